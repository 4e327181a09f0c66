-- Shared by the bench/*.lua scenarios (loaded with dofile): numbers wrk's threads and, when the
-- run ends, prints one parseable line that bench/run reads:
--   BENCH requests=N rps=R p50_us=N p99_us=N ... non2xx=N unexpected=N exhausted=N ...
-- Latencies are microseconds from wrk's histogram. `non2xx` is wrk's own count (statuses > 399);
-- `unexpected` counts every status other than the scenario's expected one, in scripts that
-- define response(); `exhausted` counts requests a script could not fill (a used-up pool).
--
-- setup() and done() run in wrk's main Lua state; init(), request() and response() run in one
-- state per thread, so per-thread counters are globals there and are read back with thread:get.

local threads = {}

function setup(thread)
   -- wrk calls setup(thread) and then that thread's init(args) before the next setup, so the
   -- id is known in init(); the thread count comes from the script arguments.
   thread:set("thread_id", #threads)
   table.insert(threads, thread)
end

-- Numbered script arguments after `--` (wrk puts the URL in args[0]).
function script_args(args)
   local out, i = {}, 1
   while args[i] ~= nil do
      out[#out + 1] = args[i]
      i = i + 1
   end
   return out
end

function done(summary, latency, requests)
   local unexpected, exhausted, checked = 0, 0, 0
   for _, thread in ipairs(threads) do
      unexpected = unexpected + (thread:get("unexpected") or 0)
      exhausted = exhausted + (thread:get("exhausted") or 0)
      if thread:get("checks_status") then checked = 1 end
   end
   local e = summary.errors
   local seconds = summary.duration / 1e6
   io.write(string.format(
      "BENCH requests=%d duration_s=%.3f rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d"
         .. " non2xx=%d unexpected=%d checked=%d exhausted=%d"
         .. " connect_err=%d read_err=%d write_err=%d timeouts=%d\n",
      summary.requests, seconds, summary.requests / seconds,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
      e.status, unexpected, checked, exhausted,
      e.connect, e.read, e.write, e.timeout))
end
