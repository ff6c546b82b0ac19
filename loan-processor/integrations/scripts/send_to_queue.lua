-- SendMessage to a local queue.
-- KEYS[1] the queue's list. ARGV[1] most messages (cap), ARGV[2] the record.
-- Returns the list's new length, or 0 when it is full.
if redis.call('LLEN', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
return redis.call('RPUSH', KEYS[1], ARGV[2])
