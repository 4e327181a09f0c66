-- Scenario (d): POST /api/token/ with the seeded user's credentials, a JSON body:
--   wrk ... -s login.lua URL -- USERNAME PASSWORD
-- Every request is the same (a login costs one bcrypt verification), so it is built once.
-- Any status but 200 counts as `unexpected`.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "report.lua")

unexpected, checks_status = 0, true

function init(args)
   local a = script_args(args)
   assert(a[1] and a[2], "usage: -s login.lua URL -- USERNAME PASSWORD")
   wrk.method = "POST"
   wrk.path = "/api/token/"
   wrk.headers["Content-Type"] = "application/json"
   wrk.body = string.format('{"username":"%s","password":"%s"}', a[1], a[2])
end

function response(status, headers, body)
   if status ~= 200 then
      unexpected = unexpected + 1
   end
end
