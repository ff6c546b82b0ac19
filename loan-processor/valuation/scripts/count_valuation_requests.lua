-- The look-up's count (read-only: expired registrations are dropped by register_valuation_request.lua).
-- KEYS[1] the in-flight set. ARGV[1] lease (ms), ARGV[2] arrival time (ms) or '' for now.
-- Returns {requests registered by the arrival time and not expired, arrival time};
-- a registration's time is its score minus the lease.
-- include: _now.lua
local arrived = ARGV[2] == '' and now or tonumber(ARGV[2])
return {redis.call('ZCOUNT', KEYS[1], '(' .. now, arrived + tonumber(ARGV[1])), arrived}
