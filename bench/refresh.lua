-- Scenarios (c), (c16) and (g): POST a refresh token to the URL's path, /api/token/refresh/
-- (rotation) or /api/token/blacklist/, expecting 200. A refresh token works exactly once (a
-- second refresh is a 401 *and* revokes its session; a blacklisted token is refused), so every
-- request carries a token from a pre-minted pool and none is ever sent twice:
--   wrk -t T ... -s refresh.lua URL -- POOL_FILE T [MODE]
-- MODE: `body` (default) sends {"refresh": token}; `cookie` (rows (cc)) reads pool lines
-- "token csrf_proof" (`bouncer issue-tokens --csrf`) and sends the token as the refresh
-- cookie with its X-CSRF-Token and an empty JSON body; `replay` (row (cg)) sends body-mode
-- tokens that were each rotated once already, round and round: inside the grace window every
-- presentation is a retry that gets the same pair again, so reusing them is the point.
-- Thread k of T takes pool lines k, k+T, k+2T, ... and walks them in order; requests are built
-- in init() so request() costs a table lookup. If a thread runs out it sends an invalid token
-- (a 401) and counts it as `exhausted`: the run is then invalid, mint a bigger pool.
-- Note: wrk calls request() once on thread 0 before the run to check the request parses; that
-- token is skipped, never reused.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "report.lua")

local requests, next_request, mode = {}, 1, "body"
unexpected, exhausted, checks_status = 0, 0, true

local function body(token)
   return '{"refresh":"' .. token .. '"}'
end

local function format(line)
   if mode ~= "cookie" then
      return wrk.format(nil, nil, nil, body(line))
   end
   local token, proof = line:match("^(%S+) (%S+)$")
   assert(token, "cookie mode needs pool lines 'token csrf' (issue-tokens --csrf)")
   return wrk.format(nil, nil, {
      ["Content-Type"] = "application/json",
      ["Cookie"] = "__Host-bouncer_refresh=" .. token,
      ["X-CSRF-Token"] = proof,
   }, "{}")
end

function init(args)
   local a = script_args(args)
   local pool, nthreads = a[1], tonumber(a[2])
   mode = a[3] or "body"
   assert(pool and nthreads, "usage: -s refresh.lua URL -- POOL_FILE THREADS [body|cookie|replay]")
   -- wrk.path is the URL's path already: one script for both endpoints.
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "application/json"
   local line = 0
   for token in io.lines(pool) do
      if line % nthreads == thread_id and token ~= "" then
         requests[#requests + 1] = format(token)
      end
      line = line + 1
   end
end

function request()
   if mode == "replay" then
      local req = requests[next_request]
      next_request = next_request % #requests + 1
      return req
   end
   local req = requests[next_request]
   if req == nil then
      exhausted = exhausted + 1
      return wrk.format(nil, nil, nil, body("pool-exhausted"))
   end
   requests[next_request] = nil -- never again
   next_request = next_request + 1
   return req
end

function response(status, headers, body)
   if status ~= 200 then
      unexpected = unexpected + 1
   end
end
