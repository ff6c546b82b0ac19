-- Queues a task for an activity worker.
-- KEYS[1] the activity's hash, KEYS[2] its queue. ARGV[1] arn, ARGV[2] the task, ARGV[3] most queued.
-- Returns -1 when no activity of that ARN exists, 0 when the queue is full, else the queue's new length.
if redis.call('HGET', KEYS[1], 'arn') ~= ARGV[1] then return -1 end
if redis.call('LLEN', KEYS[2]) >= tonumber(ARGV[3]) then return 0 end
return redis.call('RPUSH', KEYS[2], ARGV[2])
