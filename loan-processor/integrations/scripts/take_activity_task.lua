-- Takes the oldest queued task, or puts one back at the head.
-- KEYS[1] the activity's hash, KEYS[2] its queue. ARGV[1] arn, ARGV[2] the task to put back ('' to take).
-- Returns -1 when no activity of that ARN exists; taking: the task or nil; putting back: the queue's new length.
if redis.call('HGET', KEYS[1], 'arn') ~= ARGV[1] then return -1 end
if ARGV[2] ~= '' then return redis.call('LPUSH', KEYS[2], ARGV[2]) end
return redis.call('LPOP', KEYS[2])
