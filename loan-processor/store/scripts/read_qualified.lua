-- Reads a version (a qualifier of digits) or an alias of a machine; with a pick, an alias is resolved to
-- one of its versions by weight (StartExecution).
-- include: _versions.lua
-- KEYS: [1] the machine. ARGV: [1] name, [2] qualifier, [3] pick: 0-99, or '' to read the alias itself.
-- Returns {'OK', the hash's fields as a JSON object (a resolved alias: its version's, with aliasArn)},
-- {'NO_MACHINE'} or {'NOT_FOUND'}.
if redis.call('EXISTS', KEYS[1]) == 0 then return {'NO_MACHINE'} end
local name, qualifier = ARGV[1], ARGV[2]
if qualifier:match('^%d+$') then
  local version = read_hash(version_key(name, qualifier))
  if not version then return {'NOT_FOUND'} end
  return {'OK', cjson.encode(version)}
end
local alias = read_hash(alias_key(name, qualifier))
if not alias then return {'NOT_FOUND'} end
if ARGV[3] == '' then return {'OK', cjson.encode(alias)} end
local pick, chosen = tonumber(ARGV[3]), nil
for _, route in ipairs(cjson.decode(alias.routing)) do
  chosen = route.stateMachineVersionArn
  if pick < route.weight then break end
  pick = pick - route.weight
end
local version = read_hash(version_key(name, chosen:match(':(%d+)$')))
if not version then return {'NOT_FOUND'} end
version.aliasArn = alias.arn
return {'OK', cjson.encode(version)}
