-- UpdateMapRun: changes a Map Run's settings, only if it exists.
-- KEYS[1]: the Map Run's record. ARGV: field, value pairs (maxConcurrency, toleratedFailurePercentage,
-- toleratedFailureCount; none: only the existence is checked).
-- Each setting is also kept as 'updated:<field>', which the running Map's continuations apply (the plain field
-- holds what DescribeMapRun shows, written by the engine from the definition too).
-- Returns 1 when the Map Run exists (and was changed), 0 when it does not.
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if #ARGV > 0 then
  redis.call('HSET', KEYS[1], unpack(ARGV))
  for i = 1, #ARGV, 2 do redis.call('HSET', KEYS[1], 'updated:' .. ARGV[i], ARGV[i + 1]) end
  -- the running fork goes on at once with them: a signal, as a child's end gives (docs/execution-model.md, Joins)
  local run = redis.call('HMGET', KEYS[1], 'status', 'mapRunArn', 'forkRecord', 'forkTimers', 'forkTimer')
  if run[1] == 'RUNNING' and run[3] and redis.call('HGET', run[3], 'mapRunArn') == run[2] then
    local time = redis.call('TIME')
    local now = tostring(tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000))
    redis.call('HINCRBY', run[3], 'forkSignals', 1)
    redis.call('HSET', run[3], 'timerDue', now)
    redis.call('ZADD', run[4], now, run[5])
  end
end
return 1
