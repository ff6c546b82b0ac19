-- publish_change(record): announces a committed change of an execution on the channel
-- sfn:execution-changes (EXECUTION_STORE_CHANGES_CHANNEL, see execution_store.h), from inside the
-- script that made it: nothing is announced that was not committed.
local function publish_change(record)
  local state = redis.call('HMGET', record, 'arn', 'status', 'lastEventId')
  redis.call('PUBLISH', 'sfn:execution-changes', cjson.encode({executionArn = state[1],
    status = state[2], lastEventId = tonumber(state[3])}))
end
