-- What the scripts that write child branches share (see docs/execution-model.md).
-- mirror_branch_timer(record, timers, member): a child branch's record has no status; it is due at its timerDue
-- while it has one, and absent from the timers otherwise.
local function mirror_branch_timer(record, timers, member)
  local due = redis.call('HGET', record, 'timerDue')
  if due then redis.call('ZADD', timers, due, member) else redis.call('ZREM', timers, member) end
end

-- create_branch(record, branches, timers, id, member, fields): a child branch's record is exactly fields (a
-- field/value list that includes lastEventId; whatever an earlier visit left under the key goes), listed among the
-- live branches, its timer mirrored.
local function create_branch(record, branches, timers, id, member, fields)
  redis.call('DEL', record)
  redis.call('HSET', record, unpack(fields))
  redis.call('ZADD', branches, 0, id)
  mirror_branch_timer(record, timers, member)
end

-- record_child_result(results, parent, field, value): a child that ended: its output ('<index>') or error
-- ('!<index>') in its fork's results, counted in the parent's forkSucceeded or forkFailed.
local function record_child_result(results, parent, field, value)
  redis.call('HSET', results, field, value)
  redis.call('HINCRBY', parent, string.sub(field, 1, 1) == '!' and 'forkFailed' or 'forkSucceeded', 1)
end
