-- CreateActivity's step in the activity's own slot (activities.h: the index entry is added after it).
-- KEYS[1] the activity's hash, KEYS[2] its tags.
-- ARGV[1] arn, ARGV[2] name, ARGV[3] now (ms), ARGV[4] '1' when the index holds the most activities already,
-- then the tags as key, value pairs (for a new activity only: an existing one keeps its tags, as AWS's
-- idempotent answer does).
-- Returns {1, arn, creationDate} for the new or existing activity, {0} when the quota is reached.
local existing = redis.call('HMGET', KEYS[1], 'arn', 'creationDate')
if existing[1] then return {1, existing[1], existing[2]} end
if ARGV[4] == '1' then return {0} end
redis.call('HSET', KEYS[1], 'arn', ARGV[1], 'name', ARGV[2], 'creationDate', ARGV[3])
redis.call('DEL', KEYS[2])
for i = 5, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
return {1, ARGV[1], ARGV[3]}
