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
-- A child that ends drops what an earlier end or a redrive noted of it: '#nested:<index>' (its own fork kept) and
-- '~<index>' (running again, restored by a redrive: RedriveExecution writes that field here, counted in nothing).
local function record_child_result(results, parent, field, value)
  if string.sub(field, 1, 1) == '~' then
    redis.call('HSET', results, field, value)
    return
  end
  local index = string.sub(field, 1, 1) == '!' and string.sub(field, 2) or field
  redis.call('HDEL', results, '#nested:' .. index, '~' .. index)
  redis.call('HSET', results, field, value)
  redis.call('HINCRBY', parent, string.sub(field, 1, 1) == '!' and 'forkFailed' or 'forkSucceeded', 1)
end

-- A distributed Map's child executions (docs/execution-model.md, "Distributed Map"). Their keys share the
-- execution's hash tag: tag_of(key) is it ('{sfn:NN}'), and the keys are spelled as execution_store.h and
-- map_run_store.h spell them.
local function tag_of(key)
  return string.match(key, '^{[^}]*}')
end

-- map_run_key(tag, arn): the Map Run record of a Map Run ARN (its id is what follows ':mapRun:').
local function map_run_key(tag, arn)
  return tag .. ':maprun:' .. string.match(arn, ':mapRun:(.*)$')
end

-- end_child_execution(tag, child, last, now, status, details): the child execution child (its id) ends: its
-- record gets status, stopDate and details (a field/value list), and, when event is given (an aborted child
-- writes ExecutionAborted here; a child that succeeded or failed wrote its own last event), the event goes to its
-- history after last. Its Map Run counts it. Nothing when the child already ended.
local function end_child_execution(tag, child, last, now, status, details, event)
  local record = tag .. ':execution:' .. child
  local state = redis.call('HMGET', record, 'status', 'mapRunArn')
  if state[1] ~= 'RUNNING' then return end
  redis.call('HSET', record, 'status', status, 'stopDate', now, unpack(details))
  if event then
    local history = tag .. ':history:' .. child
    redis.call('RPUSH', history, '{"id":' .. tostring(redis.call('LLEN', history) + 1) .. ',"previousEventId":'
      .. (last or '0') .. ',"timestamp":' .. string.format('%.3f', tonumber(now) / 1000) .. ',"type":"'
      .. event .. '","' .. string.lower(string.sub(event, 1, 1)) .. string.sub(event, 2) .. 'EventDetails":{}}')
  end
  if state[2] then
    local run = map_run_key(tag, state[2])
    redis.call('HINCRBY', run, 'running', -1)
    redis.call('HINCRBY', run, string.lower(status), 1)
  end
end

-- abort_map_run(tag, arn, now): a Map Run still running is ABORTED (its fork was left: the engine's writes, applied
-- after, say SUCCEEDED or FAILED when it joined or failed).
local function abort_map_run(tag, arn, now)
  local run = map_run_key(tag, arn)
  if redis.call('HGET', run, 'status') == 'RUNNING' then redis.call('HSET', run, 'status', 'ABORTED', 'stopDate', now) end
end

-- abort_child_executions(tag, record, now): before a branch record goes in an abort: the child execution it is
-- (childExecution) is ABORTED, and the Map Run it rests at (mapRunArn) too while it runs.
local function abort_child_executions(tag, record, now)
  local fields = redis.call('HMGET', record, 'childExecution', 'lastEventId', 'mapRunArn')
  if fields[1] then end_child_execution(tag, fields[1], fields[2], now, 'ABORTED', {}, 'ExecutionAborted') end
  if fields[3] then abort_map_run(tag, fields[3], now) end
end

-- end_child_of_result(tag, record, now, field, value): a child branch that ends as a child execution (its record
-- has childExecution): SUCCEEDED with its output, or ('!' field) FAILED with the error and cause of value.
local function end_child_of_result(tag, record, now, field, value)
  local child = redis.call('HGET', record, 'childExecution')
  if not child then return end
  if string.sub(field, 1, 1) ~= '!' then
    end_child_execution(tag, child, nil, now, 'SUCCEEDED', {'output', value})
    return
  end
  local failure, details = cjson.decode(value), {}
  if type(failure.Error) == 'string' then details[#details + 1] = 'error'; details[#details + 1] = failure.Error end
  if type(failure.Cause) == 'string' then details[#details + 1] = 'cause'; details[#details + 1] = failure.Cause end
  end_child_execution(tag, child, nil, now, 'FAILED', details)
end

-- apply_writes(at): the writes the engine built (a Map Run's and its child executions' records, histories and
-- indexes): ARGV[at] their number, then per write its command, key, number of arguments and the arguments.
-- 'HSETNX*' sets the pairs only when the hash lacks the first pair's field. Returns the index after them.
local allowed_writes = {HSET = true, HDEL = true, RPUSH = true, ZADD = true, HINCRBY = true}
local function apply_writes(at)
  for _ = 1, tonumber(ARGV[at]) do
    local command, key, count = ARGV[at + 1], ARGV[at + 2], tonumber(ARGV[at + 3])
    if not count or count < 0 or at + 3 + count > #ARGV then error('apply_writes: malformed writes') end
    local arguments = {}
    for i = 1, count do arguments[i] = ARGV[at + 3 + i] end
    at = at + 3 + count
    if command == 'HSETNX*' then
      if redis.call('HEXISTS', key, arguments[1]) == 0 then redis.call('HSET', key, unpack(arguments)) end
    elseif allowed_writes[command] then
      redis.call(command, key, unpack(arguments))
    end
  end
  return at + 1
end

-- keep_fork_results(results, kept, entered, fields): a child branch's fork left by an abort keeps its results
-- (results, absent when no child of it ended) as kept for RedriveExecution, with '#entered' the stateEnteredEventId
-- of that visit and what creates the branch's record again: fields = {mapIndex, mapItem, variables} (each may be
-- false).
local function keep_fork_results(results, kept, entered, fields)
  if redis.call('EXISTS', results) == 1 then redis.call('RENAME', results, kept) else redis.call('DEL', kept) end
  redis.call('HSET', kept, '#entered', entered or '0')
  if fields[1] then redis.call('HSET', kept, '#mapIndex', fields[1], '#mapItem', fields[2] or 'null') end
  if fields[3] then redis.call('HSET', kept, '#variables', fields[3]) end
end

-- note_nested_kept(results_prefix, id, fork): the kept results of the fork that child branch id rested at are
-- noted in its parent fork's kept results ('#nested:<index>' -> fork), when those were kept.
local function note_nested_kept(results_prefix, id, fork)
  local parent, number, index = string.match(id, '^(.*)/(%d+)%.(%d+)$')
  if not parent then parent, number, index = '', string.match(id, '^(%d+)%.(%d+)$') end
  if not number then return end
  local kept = string.gsub(results_prefix .. parent .. '/' .. number, ':results:', ':kept:', 1)
  if redis.call('EXISTS', kept) == 1 then redis.call('HSET', kept, '#nested:' .. index, fork) end
end
