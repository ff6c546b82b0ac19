-- Loads a branch: the execution's identity and the branch's record in one step. Changes nothing.
-- KEYS: [1] the execution's record, [2] the branch's record (the execution's record for the root), [3] history.
-- ARGV: the names of the identity fields.
-- Returns {LLEN of the history, HMGET of the identity fields (nil when absent), HGETALL of the branch}.
return {redis.call('LLEN', KEYS[3]), redis.call('HMGET', KEYS[1], unpack(ARGV)), redis.call('HGETALL', KEYS[2])}
