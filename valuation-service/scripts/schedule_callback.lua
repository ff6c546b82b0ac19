-- Schedules callbacks.
-- KEYS[1] the due set, KEYS[2..] the job hashes. ARGV[1] delay (ms), ARGV[2] url, then (id, body) per job.
-- Returns Redis' clock in ms, or -1 (and schedules nothing) when one of the jobs exists: an id is scheduled once
-- until it is settled.
-- include: _now.lua
for i = 2, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    return -1
  end
end
for i = 2, #KEYS do
  local id, body = ARGV[1 + 2 * (i - 1)], ARGV[2 + 2 * (i - 1)]
  redis.call('HSET', KEYS[i], 'url', ARGV[2], 'body', body, 'attempts', 0, 'created', now)
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), id)
end
return now
