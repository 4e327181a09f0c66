-- GET the URL's path; scenarios (a) /healthz and (b) /api/secret/ (bench/run adds the
-- `Authorization: Bearer` header with -H). The request is static, so wrk builds it once and no
-- response parsing is paid for; wrk still counts statuses > 399 (reported as non-2xx), and
-- bench/run checks the status once with curl before the run.
--   wrk ... -s get.lua URL [-- DELAY_MS]
-- With DELAY_MS each connection waits that long before each request, which paces the load at
-- about connections x 1000 / DELAY_MS requests/s instead of as fast as the server answers.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "report.lua")

function init(args)
   local pause = tonumber(script_args(args)[1])
   if pause then
      -- wrk looks for delay() after the first thread's init, so defining it here is enough.
      function delay()
         return pause
      end
   end
end
