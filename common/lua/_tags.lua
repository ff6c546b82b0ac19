-- TagResource, UntagResource and ListTagsForResource of any taggable resource, for the scripts of the
-- modules that own one (store/scripts/state_machine_tags.lua, integrations/scripts/activity_tags.lua).
-- tags_command(resource, tags): resource is the resource's key, tags its tags hash; ARGV: [1] 'tag',
-- 'untag' or 'list'; 'tag': [2] the most tags the resource may have, then key, value pairs (an existing key
-- gets the new value); 'untag': the keys (unknown ones are ignored).
-- Returns {0} when the resource does not exist; {2} when tagging would leave more than the most (nothing
-- changed); else {1} ('list': {1, key, value, ...} ordered by key).
local function tags_command(resource, tags)
  if redis.call('EXISTS', resource) == 0 then return {0} end
  if ARGV[1] == 'tag' then
    local count, added = redis.call('HLEN', tags), {}
    for i = 3, #ARGV, 2 do
      if not added[ARGV[i]] and redis.call('HEXISTS', tags, ARGV[i]) == 0 then count = count + 1 end
      added[ARGV[i]] = true
    end
    if count > tonumber(ARGV[2]) then return {2} end
    for i = 3, #ARGV, 2 do redis.call('HSET', tags, ARGV[i], ARGV[i + 1]) end
    return {1}
  end
  if ARGV[1] == 'untag' then
    for i = 2, #ARGV do redis.call('HDEL', tags, ARGV[i]) end
    return {1}
  end
  local all, keys, reply = redis.call('HGETALL', tags), {}, {1}
  local values = {}
  for i = 1, #all, 2 do keys[#keys + 1] = all[i]; values[all[i]] = all[i + 1] end
  table.sort(keys)
  for _, key in ipairs(keys) do reply[#reply + 1] = key; reply[#reply + 1] = values[key] end
  return reply
end
