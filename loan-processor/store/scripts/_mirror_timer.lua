-- mirror_timer(record, timers, member): makes the timers sorted set agree with a record: the
-- execution is due at its timerDue while it runs and has one, and absent otherwise. Every script
-- that changes a record ends with it, so the two never disagree.
local function mirror_timer(record, timers, member)
  local state = redis.call('HMGET', record, 'timerDue', 'status')
  if state[1] and state[2] == 'RUNNING' then
    redis.call('ZADD', timers, state[1], member)
  else
    redis.call('ZREM', timers, member)
  end
end
