-- Reads an execution's live child branches, in the order of their ids, at most a given number. Changes nothing.
-- KEYS: [1] the execution's live branches. ARGV: [1] the most to read, [2] the prefix of branch record keys (the
-- records are built here from it, under the execution's hash tag: the slot of [1]).
-- Returns {1 when more branches exist than were read, else 0; then per branch its id and HGETALL of its record}.
local most = tonumber(ARGV[1])
local ids = redis.call('ZRANGE', KEYS[1], 0, most)
local out = {#ids > most and 1 or 0}
for i = 1, math.min(#ids, most) do
  out[#out + 1] = ids[i]
  out[#out + 1] = redis.call('HGETALL', ARGV[2] .. ids[i])
end
return out
