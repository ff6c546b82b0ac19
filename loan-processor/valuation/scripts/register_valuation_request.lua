-- Registers a valuation request, dropping the expired registrations.
-- KEYS[1] the in-flight set. ARGV[1] lease (ms), ARGV[2] request id.
-- Returns 1.
-- include: _now.lua
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[2])
return 1
