-- Creates an execution unless its id is taken.
-- KEYS: [1] record, [2] history, [3] the shard's timers.
-- ARGV: [1] the execution id (the timer's member), [2] number of events n, [3] '1' when the events or fields
--       hold placeholders ('' otherwise), [4] the fields whose values hold them (comma-separated), then the n
--       events (two entries each, see append_events; the first follows event 0), then field/value pairs.
--       lastEventId is set to the id of the last event.
-- Returns {1, first event id} when created, or {0, fields...} (HGETALL of the existing record) when the id is
-- taken.
-- (The state machine's index is in another slot: execution_store_create() writes it before.)
-- include: _append_events.lua
-- include: _mirror_timer.lua
-- include: _publish_change.lua
if redis.call('EXISTS', KEYS[1]) == 1 then
  local existing = redis.call('HGETALL', KEYS[1])
  table.insert(existing, 1, 0)
  return existing
end
local n = tonumber(ARGV[2])
local resolve = ARGV[3] == '1'
local base, at = append_events(KEYS[2], '0', n, 5, resolve)
local fields = {}
for i = at, #ARGV do fields[#fields + 1] = ARGV[i] end
if resolve then resolve_fields(fields, ARGV[4], base) end
fields[#fields + 1] = 'lastEventId'
fields[#fields + 1] = tostring(base + n)
redis.call('HSET', KEYS[1], unpack(fields))
mirror_timer(KEYS[1], KEYS[3], ARGV[1])
publish_change(KEYS[1])
return {1, base + 1}
