-- DeleteStateMachine: removes the machine, its tags, its index entry, its versions and its aliases (its
-- definitions stay).
-- include: _versions.lua
-- KEYS: [1] the machine, [2] the index, [3] its tags. ARGV: [1] its name.
-- Returns 1.
for _, n in ipairs(redis.call('ZRANGE', versions_key(ARGV[1]), 0, -1)) do
  redis.call('DEL', version_key(ARGV[1], n))
end
for _, alias in ipairs(redis.call('ZRANGE', aliases_key(ARGV[1]), 0, -1)) do
  redis.call('DEL', alias_key(ARGV[1], alias))
end
redis.call('DEL', KEYS[1], KEYS[3], versions_key(ARGV[1]), aliases_key(ARGV[1]))
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
