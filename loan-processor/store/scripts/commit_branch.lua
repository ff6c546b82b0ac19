-- A branch's step (see docs/execution-model.md, "What each commit checks"): commit_execution.lua generalised to
-- any branch, which may also create child branches, end the branch as a child of a fork, signal-check a fork's
-- continuation and abort a fork's subtree. Applies only if the branch's record exists, its lastEventId is the
-- expected one and (when a token is given) that token is still the open one; a child's end applies only if its
-- parent still rests at this fork.
-- KEYS: [1] the branch's record (the execution's for the root), [2] history, [3] the shard's timers, [4] the
--       execution's record, [5] the execution's live branches, then with an end [6] the parent's record and [7]
--       the fork's results, then one record per child created, then with an abort the aborted fork's results.
-- ARGV: [1] expected lastEventId, [2] required token ('' none), [3] number of events, [4] number of field/value
--       pairs, [5] number of fields to delete, [6] the branch's timer member, [7] '1' when the events or fields
--       hold placeholders, [8] the fields whose values hold them (comma-separated), [9] the branch's last event
--       after the commit ('' the commit's last; '@k'; or digits), [10] the branch id, [11] now (ms), [12] with a
--       continuation the forkSignals it was computed from ('' none), [13] forkRunning's change ('' or a number),
--       [14] with an end the results field ('<index>', '!<index>' when it failed; '' no end), [15] its value,
--       [16] the parent's timer member, [17] the fork's state number, [18] the number of children created,
--       [19] the abort's branch id prefix ('' no abort), [20] the prefix of branch record keys, [21] the prefix
--       of results keys, [22] the prefix of child timer members, [23] the most live branches the execution may
--       have (EXECUTION_STORE_MAX_LIVE_BRANCHES); then the events (two entries each, see
--       append_events), pairs and fields to delete; then per child its branch id, its last event (as [9]), its
--       number of field/value pairs and the pairs (its record is exactly those and lastEventId); then the number
--       of results of children ended within the step and per result its fork's branch id, the fork's state
--       number, the results field ('<index>' or '!<index>') and its value; then the id of the child execution
--       whose history [2] is ('' the execution's: announced as the change), and the engine's writes (see
--       apply_writes).
-- The abort deletes records, timers and results of the subtree's nested forks that it finds in [5]: their keys
-- are built here from [20]-[22], under the execution's hash tag (the slot of every key above). A root's abort
-- of a fork whose children did not all succeed renames its results to the same key with ':kept:' for ':results:'
-- (execution_store_read_kept_results()), with '#entered' the stateEnteredEventId of the root (else deletes both);
-- so does a child's end that fails with its fork (its parent's results then note '#nested:<index>' -> the fork),
-- and such an abort keeps the results of every fork its subtree rested at, each noted in its parent fork's kept.
-- Returns the id of the first event appended (the next id when there is none): committed; 0 lastEventId moved
-- on, -1 the token is not the open one, -2 no such record, -3 the child's fork was left, -4 the children would
-- make the execution's live branches more than [23] (nothing written in each case).
-- include: _append_events.lua
-- include: _mirror_timer.lua
-- include: _branches.lua
-- include: _publish_change.lua
local record, history, timers, execution, branches = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local ending, key = ARGV[14] ~= '', 6
local now = ARGV[11]
if ending then
  local at = redis.call('HMGET', KEYS[6], 'resting', 'forkState')
  if at[1] ~= 'fork' or at[2] ~= ARGV[17] then return -3 end
  key = 8
end
local last, own_run = unpack(redis.call('HMGET', record, 'lastEventId', 'mapRunArn'))
if not last then return -2 end
if ARGV[2] ~= '' and redis.call('HGET', record, 'taskToken') ~= ARGV[2] then return -1 end
if last ~= ARGV[1] then return 0 end
local children = tonumber(ARGV[18])
if children > 0 and redis.call('ZCARD', branches) + children > tonumber(ARGV[23]) then return -4 end
local events, pairs, deletes = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local resolve = ARGV[7] == '1'
local base, at = append_events(history, last, events, 24, resolve)
local function reference(ref, default)
  if ref == '' then return default end
  if string.sub(ref, 1, 1) == '@' then return tostring(base + tonumber(string.sub(ref, 2))) end
  return ref
end
local function take(count)
  local list = {}
  for i = 1, count do list[i] = ARGV[at]; at = at + 1 end
  return list
end
local sets, removes = take(pairs * 2), take(deletes)
local tag = tag_of(execution)
-- A fork left by an abort before all its children succeeded (it failed, or was stopped or timed out) keeps its
-- results for RedriveExecution (see execution_store.h), with the stateEnteredEventId of that visit: the root's fork,
-- and a child's fork when the child ends failed with it; then so do the forks its subtree rested at. Not for an
-- EXPRESS execution (it cannot be redriven, and its record and history expire once it ends: see _publish_change).
local kept_entered, own = false, {}
if ARGV[19] ~= '' and (ARGV[10] == '' or string.sub(ARGV[14], 1, 1) == '!')
    and not string.find(redis.call('HGET', execution, 'arn') or '', ':express:', 1, true) then
  own = redis.call('HMGET', record, 'stateEnteredEventId', 'forkRunning', 'forkFailed', 'mapIndex', 'mapItem',
    'variables', 'forkState')
  if (tonumber(own[2] or '0') or 0) > 0 or (tonumber(own[3] or '0') or 0) > 0 then kept_entered = own[1] end
end
if ending then
  local parent, results = KEYS[6], KEYS[7]
  end_child_of_result(tag, record, now, ARGV[14], ARGV[15])
  record_child_result(results, parent, ARGV[14], ARGV[15])
  redis.call('HINCRBY', parent, 'forkRunning', -1)
  redis.call('HINCRBY', parent, 'forkSignals', 1)
  redis.call('HSET', parent, 'timerDue', now)
  redis.call('ZADD', timers, now, ARGV[16])
  redis.call('DEL', record)
  redis.call('ZREM', timers, ARGV[6])
  redis.call('ZREM', branches, ARGV[10])
else
  if pairs > 0 then
    if resolve then resolve_fields(sets, ARGV[8], base) end
    redis.call('HSET', record, unpack(sets))
  end
  if deletes > 0 then redis.call('HDEL', record, unpack(removes)) end
  if events > 0 then redis.call('HSET', record, 'lastEventId', reference(ARGV[9], tostring(base + events))) end
  if ARGV[13] ~= '' and ARGV[13] ~= '0' then redis.call('HINCRBY', record, 'forkRunning', tonumber(ARGV[13])) end
  if record == execution then
    mirror_timer(record, timers, ARGV[6])
  else
    mirror_branch_timer(record, timers, ARGV[6])
  end
  if ARGV[12] ~= '' then
    local state = redis.call('HMGET', record, 'resting', 'forkSignals')
    if state[1] == 'fork' and (state[2] or '0') ~= ARGV[12] then
      redis.call('HSET', record, 'timerDue', now)
      redis.call('ZADD', timers, now, ARGV[6])
    end
  end
end
local prefix = ARGV[19]
if prefix ~= '' then
  if own_run then abort_map_run(tag, own_run, now) end
  local resting = {}
  for _, id in ipairs(redis.call('ZRANGEBYLEX', branches, '[' .. prefix, '[' .. prefix .. '\255')) do
    local child = ARGV[20] .. id
    abort_child_executions(tag, child, now)
    local fork = redis.call('HMGET', child, 'forkState', 'stateEnteredEventId', 'mapIndex', 'mapItem', 'variables')
    if fork[1] and kept_entered then
      local results = ARGV[21] .. id .. '/' .. fork[1]
      keep_fork_results(results, string.gsub(results, ':results:', ':kept:', 1), fork[2], {fork[3], fork[4], fork[5]})
      resting[#resting + 1] = {id, fork[1]}
    elseif fork[1] then
      redis.call('DEL', ARGV[21] .. id .. '/' .. fork[1])
    end
    redis.call('DEL', child)
    redis.call('ZREM', timers, ARGV[22] .. id)
    redis.call('ZREM', branches, id)
  end
  local kept = string.gsub(KEYS[key + children], ':results:', ':kept:', 1)
  if kept_entered and ARGV[10] ~= '' then
    keep_fork_results(KEYS[key + children], kept, kept_entered, {own[4], own[5], own[6]})
    redis.call('HSET', KEYS[7], '#nested:' .. string.sub(ARGV[14], 2), own[7])
  elseif kept_entered and redis.call('EXISTS', KEYS[key + children]) == 1 then
    redis.call('RENAME', KEYS[key + children], kept)
    redis.call('HSET', kept, '#entered', kept_entered)
  else
    redis.call('DEL', KEYS[key + children], kept)
  end
  for _, fork in ipairs(resting) do note_nested_kept(ARGV[21], fork[1], fork[2]) end
end
for c = 1, children do
  local id, ref, count = ARGV[at], ARGV[at + 1], tonumber(ARGV[at + 2])
  at = at + 3
  local fields = take(count * 2)
  if resolve then resolve_fields(fields, ARGV[8], base) end
  fields[#fields + 1] = 'lastEventId'
  fields[#fields + 1] = reference(ref, tostring(base + events))
  create_branch(KEYS[key], branches, timers, id, ARGV[22] .. id, fields)
  key = key + 1
end
local result_count = tonumber(ARGV[at])
for r = 1, result_count do
  local owner, fork, field = ARGV[at + 4 * r - 3], ARGV[at + 4 * r - 2], ARGV[at + 4 * r - 1]
  record_child_result(ARGV[21] .. owner .. '/' .. fork, owner == '' and execution or ARGV[20] .. owner, field,
    ARGV[at + 4 * r])
end
at = at + 1 + 4 * result_count
local history_of = ARGV[at]
apply_writes(at + 1)
if events > 0 then
  publish_change(history_of == '' and execution or tag .. ':execution:' .. history_of, base + events)
end
return base + 1
