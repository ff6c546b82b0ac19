-- Creates an execution unless its id is taken, with the child branches its first step forked.
-- KEYS: [1] record, [2] history, [3] the shard's timers, [4] the execution's live branches.
-- ARGV: [1] the execution id (the timer's member), [2] number of events n, [3] '1' when the events or fields
--       hold placeholders ('' otherwise), [4] the fields whose values hold them (comma-separated), [5] number
--       of field/value pairs, [6] number of children, [7] number of results, [8] the prefix of branch record
--       keys, [9] the prefix of results keys, [10] the prefix of child timer members, then the n events (two
--       entries each, see append_events; the first follows event 0), the field/value pairs, per child its
--       branch id, its lastEventId (digits), its number of field/value pairs and the pairs, and per result (a
--       child that ended in the first step) its fork's branch id, the fork's state number, the results field
--       ('<index>' or '!<index>') and its value. lastEventId is set to the id of the last event.
-- Child keys are built from [8]-[10], under the execution's hash tag (the slot of every key above).
-- Returns {1, first event id} when created, or {0, fields...} (HGETALL of the existing record) when the id is
-- taken.
-- (The state machine's index is in another slot: execution_store_create() writes it before.)
-- include: _append_events.lua
-- include: _mirror_timer.lua
-- include: _branches.lua
-- include: _publish_change.lua
if redis.call('EXISTS', KEYS[1]) == 1 then
  local existing = redis.call('HGETALL', KEYS[1])
  table.insert(existing, 1, 0)
  return existing
end
local n = tonumber(ARGV[2])
local resolve = ARGV[3] == '1'
local base, at = append_events(KEYS[2], '0', n, 11, resolve)
local function take(count)
  local list = {}
  for i = 1, count do list[i] = ARGV[at]; at = at + 1 end
  return list
end
local fields = take(tonumber(ARGV[5]) * 2)
if resolve then resolve_fields(fields, ARGV[4], base) end
fields[#fields + 1] = 'lastEventId'
fields[#fields + 1] = tostring(base + n)
redis.call('HSET', KEYS[1], unpack(fields))
mirror_timer(KEYS[1], KEYS[3], ARGV[1])
for c = 1, tonumber(ARGV[6]) do
  local id, last, count = ARGV[at], ARGV[at + 1], tonumber(ARGV[at + 2])
  at = at + 3
  local child = take(count * 2)
  if resolve then resolve_fields(child, ARGV[4], base) end
  child[#child + 1] = 'lastEventId'
  child[#child + 1] = last
  create_branch(ARGV[8] .. id, KEYS[4], KEYS[3], id, ARGV[10] .. id, child)
end
for r = 1, tonumber(ARGV[7]) do
  local owner, fork, field = ARGV[at], ARGV[at + 1], ARGV[at + 2]
  record_child_result(ARGV[9] .. owner .. '/' .. fork, owner == '' and KEYS[1] or ARGV[8] .. owner, field,
    ARGV[at + 3])
  at = at + 4
end
publish_change(KEYS[1], base + n)
return {1, base + 1}
