-- Appends events and sets/deletes fields of a record, if its lastEventId is the expected one and
-- (when a token is given) that token is still the open task's.
-- KEYS: [1] record, [2] history, [3] the shard's timers.
-- ARGV: [1] expected lastEventId, [2] required token ('' for none), [3] number of events,
--       [4] number of field/value pairs, [5] number of fields to delete, [6] the execution id,
--       then the events, pairs and fields.
-- Returns 1 committed, 0 lastEventId moved on, -1 the token is not the open one, -2 no such record.
-- include: _mirror_timer.lua
-- include: _publish_change.lua
local last = redis.call('HGET', KEYS[1], 'lastEventId')
if not last then return -2 end
if ARGV[2] ~= '' and redis.call('HGET', KEYS[1], 'taskToken') ~= ARGV[2] then return -1 end
if last ~= ARGV[1] then return 0 end
local events, pairs, deletes = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local at = 7
for i = 1, events do redis.call('RPUSH', KEYS[2], ARGV[at]); at = at + 1 end
if pairs > 0 then
  local fields = {}
  for i = 1, pairs * 2 do fields[i] = ARGV[at]; at = at + 1 end
  redis.call('HSET', KEYS[1], unpack(fields))
end
if deletes > 0 then
  local fields = {}
  for i = 1, deletes do fields[i] = ARGV[at]; at = at + 1 end
  redis.call('HDEL', KEYS[1], unpack(fields))
end
mirror_timer(KEYS[1], KEYS[3], ARGV[6])
if events > 0 then publish_change(KEYS[1]) end
return 1
