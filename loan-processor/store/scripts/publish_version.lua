-- PublishStateMachineVersion.
-- include: _versions.lua
-- KEYS: [1] the machine. ARGV: [1] name, [2] revisionId ('' for any), [3] description, [4] now (ms).
-- Returns {'OK', {"arn", "creationDate"} as JSON}, {'NO_MACHINE'}, {'CONFLICT'} (revisionId is not the
-- current one) or {'QUOTA'}.
if redis.call('EXISTS', KEYS[1]) == 0 then return {'NO_MACHINE'} end
if ARGV[2] ~= '' and ARGV[2] ~= content_revision(KEYS[1]) then return {'CONFLICT'} end
local v = publish_version(KEYS[1], ARGV[1], ARGV[3], ARGV[4])
if v[1] ~= 'OK' then return v end
return {'OK', cjson.encode({arn = v[2], creationDate = v[3]})}
