-- UpdateStateMachine. The revisionId is a UUID-shaped digest of what executions would now run with.
-- KEYS: [1] the machine, [2] the new definition's key (only with a new definition).
-- ARGV: [1] definition, [2] definitionHash, [3] roleArn, [4] logging, [5] tracing ('' for each:
--       keep), [6] now (ms).
-- Returns {1, revisionId}, or {0} when there is no such machine.
if redis.call('EXISTS', KEYS[1]) == 0 then return {0} end
local fields = {'updateDate', ARGV[6]}
if ARGV[1] ~= '' then
  redis.call('SET', KEYS[2], ARGV[1])
  for _, v in ipairs({'definition', ARGV[1], 'definitionHash', ARGV[2]}) do fields[#fields + 1] = v end
end
for i, name in ipairs({'roleArn', 'logging', 'tracing'}) do
  if ARGV[i + 2] ~= '' then fields[#fields + 1] = name; fields[#fields + 1] = ARGV[i + 2] end
end
redis.call('HSET', KEYS[1], unpack(fields))
local m = redis.call('HMGET', KEYS[1], 'definitionHash', 'roleArn', 'logging', 'tracing')
local d = redis.sha1hex(table.concat(m, '\n'))
local revision = d:sub(1, 8) .. '-' .. d:sub(9, 12) .. '-' .. d:sub(13, 16) .. '-' .. d:sub(17, 20)
                 .. '-' .. d:sub(21, 32)
redis.call('HSET', KEYS[1], 'revisionId', revision)
return {1, revision}
