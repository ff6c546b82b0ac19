-- SendTaskHeartbeat: moves the heartbeat deadline of the open task to now + its interval (and the
-- timer to the earlier of that, the task's timeout, its start lease and the execution's timeout, if any).
-- KEYS: [1] record, [2] the shard's timers.
-- ARGV: [1] token, [2] now (ms), [3] the execution id.
-- Returns 1, -1 when the token is not the open one, -2 when there is no such execution.
-- include: _mirror_timer.lua
if redis.call('EXISTS', KEYS[1]) == 0 then return -2 end
local record = redis.call('HMGET', KEYS[1], 'status', 'taskToken', 'heartbeatIntervalMs', 'taskTimeoutDate',
                          'taskStartDue', 'executionTimeoutDue')
if record[1] ~= 'RUNNING' or record[2] ~= ARGV[1] then return -1 end
if record[3] then
  local heartbeat = tonumber(ARGV[2]) + tonumber(record[3])
  local due = heartbeat
  if record[4] and tonumber(record[4]) < due then due = tonumber(record[4]) end
  if record[5] and tonumber(record[5]) < due then due = tonumber(record[5]) end
  if record[6] and tonumber(record[6]) < due then due = tonumber(record[6]) end
  redis.call('HSET', KEYS[1], 'heartbeatDate', string.format('%d', heartbeat), 'timerDue', string.format('%d', due))
  mirror_timer(KEYS[1], KEYS[2], ARGV[3])
end
return 1
