-- TagResource, UntagResource and ListTagsForResource of a state machine.
-- KEYS: [1] the machine, [2] its tags.
-- ARGV: [1] 'tag', 'untag' or 'list'; 'tag': [2] the most tags a machine may have, then key, value pairs
--       (an existing key gets the new value); 'untag': the keys (unknown ones are ignored).
-- Returns {0} when the machine does not exist; {2} when tagging would leave more than the most (nothing
-- changed); else {1} ('list': {1, key, value, ...} ordered by key).
if redis.call('EXISTS', KEYS[1]) == 0 then return {0} end
if ARGV[1] == 'tag' then
  local count, added = redis.call('HLEN', KEYS[2]), {}
  for i = 3, #ARGV, 2 do
    if not added[ARGV[i]] and redis.call('HEXISTS', KEYS[2], ARGV[i]) == 0 then count = count + 1 end
    added[ARGV[i]] = true
  end
  if count > tonumber(ARGV[2]) then return {2} end
  for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
  return {1}
end
if ARGV[1] == 'untag' then
  for i = 2, #ARGV do redis.call('HDEL', KEYS[2], ARGV[i]) end
  return {1}
end
local all, keys, reply = redis.call('HGETALL', KEYS[2]), {}, {1}
local values = {}
for i = 1, #all, 2 do keys[#keys + 1] = all[i]; values[all[i]] = all[i + 1] end
table.sort(keys)
for _, key in ipairs(keys) do reply[#reply + 1] = key; reply[#reply + 1] = values[key] end
return reply
