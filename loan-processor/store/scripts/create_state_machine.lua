-- CreateStateMachine.
-- include: _versions.lua
-- KEYS: [1] the machine, [2] the index, [3] the definition, [4] the machine's tags.
-- ARGV: [1] name, [2] arn, [3] definition, [4] definitionHash, [5] roleArn, [6] type, [7] logging,
--       [8] tracing, [9] now (ms), [10] publish ('1' or ''), [11] versionDescription, then the tags as key,
--       value pairs.
-- Returns {status, creationDate, versionArn}: 2 created; 1 the same machine exists (the roleArn is not
-- compared: AWS ignores it too; its tags are kept); 0 the name is taken; 3 the version quota is full.
-- versionArn is '' without publish.
local function published(status, created)
  if ARGV[10] ~= '1' or status == 0 then return {status, created, ''} end
  local v = publish_version(KEYS[1], ARGV[1], ARGV[11], ARGV[9])
  if v[1] ~= 'OK' then return {3, created, ''} end
  return {status, created, v[2]}
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  local m = redis.call('HMGET', KEYS[1], 'definitionHash', 'type', 'logging', 'tracing', 'creationDate')
  local same = m[1] == ARGV[4] and m[2] == ARGV[6] and m[3] == ARGV[7] and m[4] == ARGV[8]
  return published(same and 1 or 0, m[5] or '0')
end
redis.call('SET', KEYS[3], ARGV[3])
redis.call('HSET', KEYS[1], 'name', ARGV[1], 'arn', ARGV[2], 'definition', ARGV[3],
           'definitionHash', ARGV[4], 'roleArn', ARGV[5], 'type', ARGV[6], 'logging', ARGV[7],
           'tracing', ARGV[8], 'creationDate', ARGV[9])
redis.call('ZADD', KEYS[2], 0, ARGV[1])
redis.call('DEL', KEYS[4])
for i = 12, #ARGV, 2 do redis.call('HSET', KEYS[4], ARGV[i], ARGV[i + 1]) end
return published(2, ARGV[9])
