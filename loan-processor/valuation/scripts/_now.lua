-- Included: Redis's TIME in milliseconds, as the local "now".
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
