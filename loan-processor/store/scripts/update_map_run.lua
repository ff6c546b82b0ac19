-- UpdateMapRun: changes a Map Run's settings, only if it exists.
-- KEYS[1]: the Map Run's record. ARGV: field, value pairs (maxConcurrency, toleratedFailurePercentage,
-- toleratedFailureCount; none: only the existence is checked).
-- Returns 1 when the Map Run exists (and was changed), 0 when it does not.
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if #ARGV > 0 then redis.call('HSET', KEYS[1], unpack(ARGV)) end
return 1
