-- Appends events (numbered by append_events) and sets/deletes fields of a record, if its lastEventId is the
-- expected one and (when a token is given) that token is still the open task's; lastEventId becomes the id of
-- the last event appended.
-- KEYS: [1] record, [2] history, [3] the shard's timers.
-- ARGV: [1] expected lastEventId, [2] required token ('' for none), [3] number of events, [4] number of
--       field/value pairs, [5] number of fields to delete, [6] the execution id, [7] '1' when the events or
--       fields hold placeholders ('' otherwise), [8] the fields whose values hold them (comma-separated),
--       then the events (two entries each, see append_events), pairs and fields.
-- Returns the id of the first event appended (the next id when there is none): committed; 0 lastEventId
-- moved on, -1 the token is not the open one, -2 no such record.
-- include: _append_events.lua
-- include: _mirror_timer.lua
-- include: _publish_change.lua
local state = redis.call('HMGET', KEYS[1], 'lastEventId', 'taskToken')
local last = state[1]
if not last then return -2 end
if ARGV[2] ~= '' and state[2] ~= ARGV[2] then return -1 end
if last ~= ARGV[1] then return 0 end
local events, pairs, deletes = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local resolve = ARGV[7] == '1'
local base, at = append_events(KEYS[2], last, events, 9, resolve)
-- The fields and the new lastEventId in one HSET (lastEventId is never among the deleted fields).
local fields = {}
for i = 1, pairs * 2 do fields[i] = ARGV[at]; at = at + 1 end
if resolve and pairs > 0 then resolve_fields(fields, ARGV[8], base) end
if events > 0 then
  fields[#fields + 1] = 'lastEventId'
  fields[#fields + 1] = tostring(base + events)
end
if #fields > 0 then redis.call('HSET', KEYS[1], unpack(fields)) end
if deletes > 0 then
  local deleted = {}
  for i = 1, deletes do deleted[i] = ARGV[at]; at = at + 1 end
  redis.call('HDEL', KEYS[1], unpack(deleted))
end
mirror_timer(KEYS[1], KEYS[3], ARGV[6])
if events > 0 then publish_change(KEYS[1], base + events) end
return base + 1
