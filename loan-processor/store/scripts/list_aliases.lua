-- ListStateMachineAliases: oldest first (as AWS lists them), all of the machine's or those routing to one version.
-- include: _versions.lua
-- KEYS: [1] the machine. ARGV: [1] name, [2] a version's number ('' for all), [3] offset, [4] most to return.
-- Returns {'OK', {"items": [{"arn", "creationDate"}...], "more": bool} as JSON}, {'NO_MACHINE'} or
-- {'NOT_FOUND'} (no such version).
if redis.call('EXISTS', KEYS[1]) == 0 then return {'NO_MACHINE'} end
local name, offset, max = ARGV[1], tonumber(ARGV[3]), tonumber(ARGV[4])
local version_arn = nil
if ARGV[2] ~= '' then
  version_arn = redis.call('HGET', version_key(name, ARGV[2]), 'arn')
  if not version_arn then return {'NOT_FOUND'} end
end
local matching = {}
for _, alias in ipairs(redis.call('ZRANGE', aliases_key(name), 0, -1)) do
  local a = redis.call('HMGET', alias_key(name, alias), 'arn', 'creationDate', 'routing')
  if not version_arn or a[3]:find(version_arn .. '"', 1, true) then
    matching[#matching + 1] = {arn = a[1], creationDate = a[2]}
  end
end
local items = {}
for i = offset + 1, math.min(#matching, offset + max) do items[#items + 1] = matching[i] end
return {'OK', cjson.encode({items = items, more = #matching > offset + max})}
