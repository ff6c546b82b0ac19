-- Settles how many shards executions are spread over in this Redis: the first process to start stores its count;
-- data written before the setting existed ({sfn}:state-machines without {sfn}:settings) keeps the old 16.
-- KEYS: [1] {sfn}:settings, [2] {sfn}:state-machines.
-- ARGV: [1] the count this process is configured with.
-- Returns the stored count (a string).
local stored = redis.call('HGET', KEYS[1], 'executionShards')
if stored then
    return stored
end
local count = ARGV[1]
if redis.call('EXISTS', KEYS[2]) == 1 then
    count = '16'
end
redis.call('HSETNX', KEYS[1], 'executionShards', count)
return redis.call('HGET', KEYS[1], 'executionShards')
