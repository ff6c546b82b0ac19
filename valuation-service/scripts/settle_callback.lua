-- Records a delivery's outcome. A held callback is taken out of due too: its lease may have run out and put it
-- back there without anybody claiming it since.
-- KEYS[1] the due set, KEYS[2] the in-flight set, KEYS[3] the job hash, KEYS[4] the failed list.
-- ARGV[1] id, ARGV[2] 'done' | 'retry' | 'failed', ARGV[3] retry delay (ms), ARGV[4] failure record,
-- ARGV[5] the lease token of the claim, ARGV[6] most failure records kept.
-- Returns 1, or 0 (nothing changed) when the callback is no longer held under that token: another claim took
-- it over after the lease ran out, or it is gone.
if redis.call('HGET', KEYS[3], 'lease') ~= ARGV[5] then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[1], ARGV[1])
if ARGV[2] == 'retry' then
  -- include: _now.lua
  redis.call('HINCRBY', KEYS[3], 'attempts', 1)
  redis.call('HDEL', KEYS[3], 'lease')
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
  return 1
end
redis.call('DEL', KEYS[3])
if ARGV[2] == 'failed' then
  redis.call('LPUSH', KEYS[4], ARGV[4])
  redis.call('LTRIM', KEYS[4], 0, tonumber(ARGV[6]) - 1)
end
return 1
