-- GCRA as governor computes it (gcra.rs), for `algorithm = "gcra"`: KEYS[1] holds the
-- theoretical arrival time (TAT) in microseconds of the server's clock (TIME), so instances
-- with skewed clocks still agree. A request is let through when
-- max(TAT, now) + interval - now <= limit * interval; the key then expires when it would have
-- drained anyway. ARGV[1]: the interval period / N (us); ARGV[2]: N.
-- Answers {allowed, remaining, retry_after_us, reset_after_us}.
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + interval
local capacity = burst * interval
if new_tat - now > capacity then
  return {0, 0, new_tat - now - capacity, tat - now}
end
redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', math.ceil((new_tat - now) / 1000))
return {1, math.floor((capacity - (new_tat - now)) / interval), 0, new_tat - now}
