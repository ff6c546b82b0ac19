-- Creates an execution unless its id is taken.
-- KEYS: [1] record, [2] history, [3] the shard's timers.
-- ARGV: [1] the execution id (the timer's member), [2] number of events n, then n events, then
--       field/value pairs.
-- Returns {1} when created, or {0, fields...} (HGETALL of the existing record) when the id is taken.
-- (The state machine's index is in another slot: execution_store_create() writes it before.)
-- include: _mirror_timer.lua
-- include: _publish_change.lua
if redis.call('EXISTS', KEYS[1]) == 1 then
  local existing = redis.call('HGETALL', KEYS[1])
  table.insert(existing, 1, 0)
  return existing
end
local n = tonumber(ARGV[2])
for i = 3, n + 2 do redis.call('RPUSH', KEYS[2], ARGV[i]) end
local fields = {}
for i = n + 3, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(fields))
mirror_timer(KEYS[1], KEYS[3], ARGV[1])
publish_change(KEYS[1])
return {1}
