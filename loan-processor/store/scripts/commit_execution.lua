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
local last = redis.call('HGET', KEYS[1], 'lastEventId')
if not last then return -2 end
if ARGV[2] ~= '' and redis.call('HGET', KEYS[1], 'taskToken') ~= ARGV[2] then return -1 end
if last ~= ARGV[1] then return 0 end
local events, pairs, deletes = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local resolve = ARGV[7] == '1'
local base, at = append_events(KEYS[2], last, events, 9, resolve)
if pairs > 0 then
  local fields = {}
  for i = 1, pairs * 2 do fields[i] = ARGV[at]; at = at + 1 end
  if resolve then resolve_fields(fields, ARGV[8], base) end
  redis.call('HSET', KEYS[1], unpack(fields))
end
if deletes > 0 then
  local fields = {}
  for i = 1, deletes do fields[i] = ARGV[at]; at = at + 1 end
  redis.call('HDEL', KEYS[1], unpack(fields))
end
if events > 0 then redis.call('HSET', KEYS[1], 'lastEventId', tostring(base + events)) end
mirror_timer(KEYS[1], KEYS[3], ARGV[6])
if events > 0 then publish_change(KEYS[1], base + events) end
return base + 1
