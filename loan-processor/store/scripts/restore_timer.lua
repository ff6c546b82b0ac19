-- Rewrites one execution's timer from its record.
-- KEYS: [1] record, [2] the shard's timers.
-- ARGV: [1] the execution id.
-- Returns 1.
-- include: _mirror_timer.lua
mirror_timer(KEYS[1], KEYS[2], ARGV[1])
return 1
