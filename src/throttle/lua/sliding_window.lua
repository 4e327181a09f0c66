-- DRF's sliding window for one key, run atomically by Redis: the algorithm of window.rs.
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
-- The base, the oldest entry and, for a log of one or two entries (a huge rate's usual
-- state), the newest: one read; a longer log needs a second for its newest entry.
local head = redis.call('LRANGE', key, 0, 5)
local count, oldest_at, newest_at, newest_end = 0, 0, 0, 0
if #head >= 3 then
  if #head == 6 then
    local newest = redis.call('LRANGE', key, -2, -1)
    newest_at, newest_end = tonumber(newest[1]), tonumber(newest[2])
  else
    newest_at, newest_end = tonumber(head[#head - 1]), tonumber(head[#head])
  end
  -- Never let time run backwards within a log (the server's clock stepped back).
  if newest_at > now then now = newest_at end
  local base = tonumber(head[1])
  oldest_at = tonumber(head[2])
  -- Entries at or before now - period have left the window (DRF: history[-1] <= now -
  -- duration). When the newest has too, the whole log has (count stays 0).
  if newest_at + period > now then
    if oldest_at + period <= now then
      local dropped = 1
      oldest_at = tonumber(redis.call('LINDEX', key, 3))
      while oldest_at + period <= now do
        dropped = dropped + 1
        oldest_at = tonumber(redis.call('LINDEX', key, 2 * dropped + 1))
      end
      -- What is left starts with the last dropped entry's end: the new base.
      redis.call('LTRIM', key, 2 * dropped, -1)
      base = tonumber(redis.call('LINDEX', key, 0))
    end
    count = newest_end - base
  end
end
if count >= limit then
  -- Refused and not recorded; the key's expiry, set with the newest entry, stands.
  return {0, 0, oldest_at + period - now, newest_at + period - now}
end
local stamp = string.format('%d', now)
if slot > 0 and count > 0 and math.floor(newest_at / slot) == math.floor(now / slot) then
  -- Into the newest entry. The key's expiry, set when the entry was made, already covers
  -- its whole slot.
  redis.call('LSET', key, -2, stamp)
  redis.call('LSET', key, -1, string.format('%d', newest_end + 1))
  return {1, limit - count - 1, 0, period}
end
if count == 0 then
  -- No request in the window (a live entry counts at least one): start the log afresh.
  redis.call('DEL', key)
  redis.call('RPUSH', key, 0, stamp, 1)
else
  redis.call('RPUSH', key, stamp, string.format('%d', newest_end + 1))
end
-- The key expires as its newest entry leaves the window: the end of the entry's slot (when
-- it may take later requests) plus the period.
local slot_left = 0
if slot > 0 then slot_left = slot - now % slot end
redis.call('PEXPIRE', key, math.ceil((period + slot_left) / 1000))
return {1, limit - count - 1, 0, period}
