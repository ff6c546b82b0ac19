-- DeleteStateMachine: removes the machine, its tags and its index entry (its definitions stay).
-- KEYS: [1] the machine, [2] the index, [3] its tags. ARGV: [1] its name.
-- Returns 1.
redis.call('DEL', KEYS[1], KEYS[3])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
