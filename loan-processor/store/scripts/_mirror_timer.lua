-- mirror_timer(record, timers, member): makes the timers sorted set agree with a record: the
-- execution is due at its timerDue while it runs and has one, and absent otherwise. Every script
-- that changes a record ends with it, so the two never disagree.
local function mirror_timer(record, timers, member)
  local due = redis.call('HGET', record, 'timerDue')
  if due and redis.call('HGET', record, 'status') == 'RUNNING' then
    redis.call('ZADD', timers, due, member)
  else
    redis.call('ZREM', timers, member)
  end
end
