-- Included: the clock every script reads, Redis' own, in ms, so that every instance agrees.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
