-- ListExecutions' look at records. Changes nothing.
-- KEYS: records of one shard. ARGV: none.
-- Returns name, status, startDate, stopDate, redriveCount, redriveDate, stateMachineVersionArn and
-- stateMachineAliasArn of each, in order, '' for a field (or a record)
-- that is absent.
local out = {}
for _, key in ipairs(KEYS) do
  local record = redis.call('HMGET', key, 'name', 'status', 'startDate', 'stopDate', 'redriveCount', 'redriveDate',
                               'stateMachineVersionArn', 'stateMachineAliasArn')
  for i = 1, 8 do out[#out + 1] = record[i] or '' end
end
return out
