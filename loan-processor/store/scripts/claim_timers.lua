-- Claims the timers that are due; each is pushed to now + lease, so that if its claimer dies it
-- fires again then (handling it rewrites it from the record).
-- KEYS: [1] a shard's timers.
-- ARGV: [1] now (ms), [2] lease (ms), [3] most to claim.
-- Returns {ids..., next}: next is the earliest remaining due time, or '' when no timer is left.
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local lease = string.format('%d', tonumber(ARGV[1]) + tonumber(ARGV[2]))
for _, member in ipairs(due) do redis.call('ZADD', KEYS[1], lease, member) end
local head = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
due[#due + 1] = head[2] or ''
return due
