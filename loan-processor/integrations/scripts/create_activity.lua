-- CreateActivity.
-- KEYS[1] the activity's hash, KEYS[2] the index (a sorted set by creation date), KEYS[3] its tags.
-- ARGV[1] arn, ARGV[2] name, ARGV[3] now (ms), ARGV[4] most activities, then the tags as key, value pairs
-- (for a new activity only: an existing one keeps its tags, as AWS's idempotent answer does).
-- Returns {1, arn, creationDate} for the new or existing activity, {0} when the quota is reached.
local existing = redis.call('HMGET', KEYS[1], 'arn', 'creationDate')
if existing[1] then return {1, existing[1], existing[2]} end
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[4]) then return {0} end
redis.call('HSET', KEYS[1], 'arn', ARGV[1], 'name', ARGV[2], 'creationDate', ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
redis.call('DEL', KEYS[3])
for i = 5, #ARGV, 2 do redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1]) end
return {1, ARGV[1], ARGV[3]}
