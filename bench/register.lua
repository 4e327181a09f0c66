-- Scenario (e): POST /auth/users/, each request a new user:
--   wrk ... -s register.lua URL -- RUN_TAG PASSWORD
-- Usernames are bench_<run tag>_<thread>_<n>, so no two requests (nor two runs against one
-- database) collide. Any status but 201 counts as `unexpected`.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "report.lua")

unexpected, checks_status = 0, true
local prefix, password, n

function init(args)
   local a = script_args(args)
   assert(a[1] and a[2], "usage: -s register.lua URL -- RUN_TAG PASSWORD")
   prefix = string.format("bench_%s_%d_", a[1], thread_id)
   password = a[2]
   n = 0
   wrk.method = "POST"
   wrk.path = "/auth/users/"
   wrk.headers["Content-Type"] = "application/json"
end

function request()
   n = n + 1
   local username = prefix .. n
   return wrk.format(nil, nil, nil, string.format(
      '{"username":"%s","password":"%s","email":"%s@example.com"}',
      username, password, username))
end

function response(status, headers, body)
   if status ~= 201 then
      unexpected = unexpected + 1
   end
end
