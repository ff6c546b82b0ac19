-- DeleteActivity.
-- KEYS[1] the activity's hash, KEYS[2] its queue, KEYS[3] the index, KEYS[4] its tags. ARGV[1] the name.
-- Returns 1.
redis.call('DEL', KEYS[1], KEYS[2], KEYS[4])
redis.call('ZREM', KEYS[3], ARGV[1])
return 1
