-- Loads a branch: the execution's identity and the branch's record in one step. Changes nothing.
-- KEYS: [1] the execution's record, [2] the branch's record (the execution's record for the root), [3] history.
-- ARGV: the names of the identity fields.
-- A branch of a child execution of a distributed Map (its record has historyOf) takes that child execution's
-- identity instead, from its record under the same hash tag (docs/execution-model.md, "Distributed Map"), so that
-- its context object ($$.Execution) is the child's, and the history it counts is the child's.
-- Returns {LLEN of the history, HMGET of the identity fields (nil when absent), HGETALL of the branch}.
local identity, history = KEYS[1], KEYS[3]
if KEYS[2] ~= KEYS[1] then
  local child = redis.call('HGET', KEYS[2], 'historyOf')
  if child then
    local tag = string.match(KEYS[1], '^{[^}]*}')
    identity, history = tag .. ':execution:' .. child, tag .. ':history:' .. child
  end
end
return {redis.call('LLEN', history), redis.call('HMGET', identity, unpack(ARGV)), redis.call('HGETALL', KEYS[2])}
