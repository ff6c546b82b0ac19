-- The queue's state for GET /callbacks.
-- KEYS[1] the due set, KEYS[2] the in-flight set, KEYS[3] the failed list. ARGV[1] failure records wanted.
-- Returns {due count, in-flight count, the newest failure records}.
local records = {}
local wanted = tonumber(ARGV[1])
if wanted > 0 then records = redis.call('LRANGE', KEYS[3], 0, wanted - 1) end
return {redis.call('ZCARD', KEYS[1]), redis.call('ZCARD', KEYS[2]), records}
