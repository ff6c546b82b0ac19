-- ListMapRuns' look at records. Changes nothing.
-- KEYS: Map Run records (of one slot: an execution's Map Runs live in its shard). ARGV: none.
-- Returns mapRunArn, executionArn, stateMachineArn, startDate and stopDate of each, in order, '' for a
-- field (or a record) that is absent.
local out = {}
for _, key in ipairs(KEYS) do
  local record = redis.call('HMGET', key, 'mapRunArn', 'executionArn', 'stateMachineArn', 'startDate', 'stopDate')
  for i = 1, 5 do out[#out + 1] = record[i] or '' end
end
return out
