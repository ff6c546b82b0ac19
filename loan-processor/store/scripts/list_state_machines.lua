-- ListStateMachines. Reads the machines' hashes (same slot) but changes nothing.
-- KEYS: [1] the index.
-- ARGV: [1] the name to start after ('' for the first), [2] most to return.
-- Returns {next, then name, arn, type, creationDate per machine}; next is the last name returned
-- when more follow, else ''.
local max = tonumber(ARGV[2])
local start = '-'
if ARGV[1] ~= '' then start = '(' .. ARGV[1] end
local names = redis.call('ZRANGEBYLEX', KEYS[1], start, '+', 'LIMIT', 0, max + 1)
local out = {''}
for i, name in ipairs(names) do
  if i > max then out[1] = names[max]; break end
  local m = redis.call('HMGET', '{sfn}:state-machine:' .. name, 'arn', 'type', 'creationDate')
  if m[1] then
    for _, v in ipairs({name, m[1], m[2] or 'STANDARD', m[3] or '0'}) do out[#out + 1] = v end
  end
end
return out
