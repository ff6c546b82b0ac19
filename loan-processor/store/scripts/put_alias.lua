-- CreateStateMachineAlias and UpdateStateMachineAlias.
-- include: _versions.lua
-- KEYS: [1] the machine. ARGV: [1] name, [2] alias, [3] 'create' or 'update', [4] description ('-' keeps
--       it on update), [5] routing as JSON ('' keeps it on update), [6] now (ms), [7...] the routing's
--       version numbers.
-- Returns {'OK', {"arn", "creationDate", "updateDate"} as JSON}, {'NO_MACHINE'}, {'NOT_FOUND', the
-- missing version's number or '' for the alias}, {'CONFLICT'} (create: the alias exists with another
-- description or routing) or {'QUOTA'} (100 aliases).
if redis.call('EXISTS', KEYS[1]) == 0 then return {'NO_MACHINE'} end
local name, alias_name, now = ARGV[1], ARGV[2], ARGV[6]
local key = alias_key(name, alias_name)
local alias = read_hash(key)
if ARGV[3] == 'update' and not alias then return {'NOT_FOUND', ''} end
for i = 7, #ARGV do
  if redis.call('EXISTS', version_key(name, ARGV[i])) == 0 then return {'NOT_FOUND', ARGV[i]} end
end
if ARGV[3] == 'create' then
  if alias then
    if alias.description ~= ARGV[4] or alias.routing ~= ARGV[5] then return {'CONFLICT'} end
    return {'OK', cjson.encode({arn = alias.arn, creationDate = alias.creationDate})}
  end
  if redis.call('ZCARD', aliases_key(name)) >= 100 then return {'QUOTA'} end
  local arn = redis.call('HGET', KEYS[1], 'arn') .. ':' .. alias_name
  redis.call('HSET', key, 'arn', arn, 'name', alias_name, 'description', ARGV[4], 'routing', ARGV[5],
             'creationDate', now)
  redis.call('ZADD', aliases_key(name), now, alias_name)
  return {'OK', cjson.encode({arn = arn, creationDate = now})}
end
local fields = {'updateDate', now}
if ARGV[4] ~= '-' then fields[#fields + 1] = 'description'; fields[#fields + 1] = ARGV[4] end
if ARGV[5] ~= '' then fields[#fields + 1] = 'routing'; fields[#fields + 1] = ARGV[5] end
redis.call('HSET', key, unpack(fields))
return {'OK', cjson.encode({arn = alias.arn, updateDate = now})}
