-- DeleteStateMachineVersion; deleting a version that does not exist is not an error.
-- include: _versions.lua
-- KEYS: [1] the machine. ARGV: [1] name, [2] the version's number.
-- Returns {'OK'} or {'CONFLICT', the names of the aliases that route to it as AWS lists them: '[a, b]'}.
local arn = redis.call('HGET', version_key(ARGV[1], ARGV[2]), 'arn')
if not arn then return {'OK'} end
local aliases = aliases_of_version(ARGV[1], arn)
if #aliases > 0 then return {'CONFLICT', '[' .. table.concat(aliases, ', ') .. ']'} end
redis.call('DEL', version_key(ARGV[1], ARGV[2]))
redis.call('ZREM', versions_key(ARGV[1]), ARGV[2])
return {'OK'}
