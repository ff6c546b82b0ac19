-- Claims due callbacks. First puts callbacks whose lease ran out back in due, then moves up to batch due ones to
-- in-flight, marking each with the claim's lease token.
-- KEYS[1] the due set, KEYS[2] the in-flight set. ARGV[1] batch, ARGV[2] lease (ms), ARGV[3] job key prefix,
-- ARGV[4] this claim's lease token.
-- Returns {ms until the next due callback or lease expiry, or -1; {{id, url, body, attempts, created}...};
-- Redis' clock in ms}.
-- include: _now.lua
local expired = redis.call('ZRANGE', KEYS[2], '-inf', now, 'BYSCORE', 'LIMIT', 0, 100)
for _, id in ipairs(expired) do
  redis.call('ZREM', KEYS[2], id)
  redis.call('ZADD', KEYS[1], now, id)
end
local claimed = {}
local batch = tonumber(ARGV[1])
if batch > 0 then
  local due = redis.call('ZRANGE', KEYS[1], '-inf', now, 'BYSCORE', 'LIMIT', 0, batch)
  for _, id in ipairs(due) do
    redis.call('ZREM', KEYS[1], id)
    local key = ARGV[3] .. id
    local job = redis.call('HMGET', key, 'url', 'body', 'attempts', 'created')
    if job[1] and job[2] then
      redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), id)
      redis.call('HSET', key, 'lease', ARGV[4])
      claimed[#claimed + 1] = {id, job[1], job[2], job[3], job[4]}
    else
      redis.call('DEL', key)
    end
  end
end
local wait = -1
for _, key in ipairs(KEYS) do
  local head = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  if #head > 0 then
    local until_head = math.max(0, tonumber(head[2]) - now)
    if wait < 0 or until_head < wait then wait = until_head end
  end
end
return {wait, claimed, now}
