-- PublishStateMachineVersion.
-- include: _versions.lua
-- KEYS: [1] the machine. ARGV: [1] name, [2] revisionId ('' for any), [3] description, [4] now (ms).
-- Returns {'OK', {"arn", "creationDate"} as JSON}, {'NO_MACHINE'}, {'CONFLICT', the current revision}
-- (revisionId is not the current one) or {'QUOTA'}.
if redis.call('EXISTS', KEYS[1]) == 0 then return {'NO_MACHINE'} end
local current = content_revision(KEYS[1])
if ARGV[2] ~= '' and ARGV[2] ~= current then return {'CONFLICT', current} end
local v = publish_version(KEYS[1], ARGV[1], ARGV[3], ARGV[4])
if v[1] ~= 'OK' then return v end
return {'OK', cjson.encode({arn = v[2], creationDate = v[3]})}
