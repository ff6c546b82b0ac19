-- UpdateStateMachine. The revisionId is a UUID-shaped digest of what executions would now run with.
-- include: _versions.lua
-- KEYS: [1] the machine, [2] the new definition's key (only with a new definition).
-- ARGV: [1] definition, [2] definitionHash, [3] roleArn, [4] logging, [5] tracing ('' for each:
--       keep), [6] now (ms), [7] publish ('1' or ''), [8] versionDescription, [9] the machine's name.
-- An update that changes nothing (publish alone) keeps the revisionId ('' when the machine never had one).
-- Returns {1, revisionId, versionArn ('' without publish)}, {0} when there is no such machine, or
-- {2} when publishing would pass the version quota (nothing changed then).
if redis.call('EXISTS', KEYS[1]) == 0 then return {0} end
if ARGV[7] == '1' and redis.call('ZCARD', versions_key(ARGV[9])) >= 1000 then return {2} end
local fields = {'updateDate', ARGV[6]}
if ARGV[1] ~= '' then
  redis.call('SET', KEYS[2], ARGV[1])
  for _, v in ipairs({'definition', ARGV[1], 'definitionHash', ARGV[2]}) do fields[#fields + 1] = v end
end
for i, name in ipairs({'roleArn', 'logging', 'tracing'}) do
  if ARGV[i + 2] ~= '' then fields[#fields + 1] = name; fields[#fields + 1] = ARGV[i + 2] end
end
local changed = #fields > 2
redis.call('HSET', KEYS[1], unpack(fields))
local revision = redis.call('HGET', KEYS[1], 'revisionId') or ''
if changed then
  revision = content_revision(KEYS[1])
  redis.call('HSET', KEYS[1], 'revisionId', revision)
end
local version = ''
if ARGV[7] == '1' then version = publish_version(KEYS[1], ARGV[9], ARGV[8], ARGV[6])[2] end
return {1, revision, version}
