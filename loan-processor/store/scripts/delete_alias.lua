-- DeleteStateMachineAlias (its versions stay); deleting an alias that does not exist is not an error.
-- include: _versions.lua
-- KEYS: [1] the machine. ARGV: [1] name, [2] alias.
-- Returns {'OK'}.
redis.call('DEL', alias_key(ARGV[1], ARGV[2]))
redis.call('ZREM', aliases_key(ARGV[1]), ARGV[2])
return {'OK'}
