-- ListStateMachineVersions: newest first.
-- include: _versions.lua
-- KEYS: [1] the machine. ARGV: [1] name, [2] offset, [3] most to return.
-- Returns {'OK', {"items": [{"arn", "creationDate"}...], "more": bool} as JSON} or {'NO_MACHINE'}.
if redis.call('EXISTS', KEYS[1]) == 0 then return {'NO_MACHINE'} end
local offset, max = tonumber(ARGV[2]), tonumber(ARGV[3])
local numbers = redis.call('ZREVRANGE', versions_key(ARGV[1]), offset, offset + max)
local items = {}
for i = 1, math.min(#numbers, max) do
  local v = redis.call('HMGET', version_key(ARGV[1], numbers[i]), 'arn', 'creationDate')
  items[#items + 1] = {arn = v[1], creationDate = v[2]}
end
return {'OK', cjson.encode({items = items, more = #numbers > max})}
