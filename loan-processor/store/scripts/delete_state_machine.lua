-- DeleteStateMachine: removes the machine and its index entry (its definitions stay).
-- KEYS: [1] the machine, [2] the index. ARGV: [1] its name.
-- Returns 1.
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
