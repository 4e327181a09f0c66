-- DRF's sliding window for one key, run atomically by Redis: window.rs, line for line.
-- KEYS[1]: the key's log, a list [base, at1, end1, at2, end2, ...], oldest first. atI is the
-- latest request of entry I (microseconds of the server's clock, TIME, so instances with
-- skewed clocks agree); endI counts the requests of every entry up to I since the list was
-- made, and base those of the entries already dropped, so the requests in the window are
-- end(newest) - base, read in O(1) however many entries share a slot.
-- ARGV[1]: the period (us); ARGV[2]: the limit N; ARGV[3]: the width of a shared slot (us),
-- 0 when every request is an entry of its own (N up to window.rs's EXACT_UP_TO).
-- Answers {allowed, remaining, retry_after_us, reset_after_us}.
local key = KEYS[1]
local period = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local slot = tonumber(ARGV[3])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local len = redis.call('LLEN', key)
local newest_at, newest_end = 0, 0
if len >= 3 then
  local newest = redis.call('LRANGE', key, -2, -1)
  newest_at, newest_end = tonumber(newest[1]), tonumber(newest[2])
  -- Never let time run backwards within a log (the server's clock stepped back).
  if newest_at > now then now = newest_at end
end
-- Drop the entries that left the window (DRF: history[-1] <= now - duration). The newest
-- entry is dropped only with all the others, so newest_* stay right while anything is left.
local dropped, oldest_at = 0, 0
while 2 * dropped + 1 < len do
  oldest_at = tonumber(redis.call('LINDEX', key, 2 * dropped + 1))
  if oldest_at + period > now then break end
  dropped = dropped + 1
end
if dropped > 0 then
  -- What is left starts with the last dropped entry's end: the new base.
  redis.call('LTRIM', key, 2 * dropped, -1)
  len = len - 2 * dropped
end
local count = 0
if len >= 3 then count = newest_end - tonumber(redis.call('LINDEX', key, 0)) end
if count >= limit then
  -- Refused and not recorded; the key's expiry, set by the newest entry, stands.
  return {0, 0, oldest_at + period - now, newest_at + period - now}
end
local stamp = string.format('%d', now)
if len < 3 then
  redis.call('DEL', key)
  redis.call('RPUSH', key, 0, stamp, 1)
elseif slot > 0 and math.floor(newest_at / slot) == math.floor(now / slot) then
  redis.call('LSET', key, -2, stamp)
  redis.call('LSET', key, -1, string.format('%d', newest_end + 1))
else
  redis.call('RPUSH', key, stamp, string.format('%d', newest_end + 1))
end
-- The key expires as its newest entry leaves the window.
redis.call('PEXPIRE', key, math.ceil(period / 1000))
return {1, limit - count - 1, 0, period}
