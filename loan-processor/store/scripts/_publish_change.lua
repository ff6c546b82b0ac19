-- publish_change(record, last_event_id): announces a committed change of an execution (record: the
-- execution's record; last_event_id: the id of the newest event of its history) on the channel
-- sfn:execution-changes (EXECUTION_STORE_CHANGES_CHANNEL, see execution_store.h), from inside the
-- script that made it: nothing is announced that was not committed.
local function publish_change(record, last_event_id)
  local state = redis.call('HMGET', record, 'arn', 'status')
  redis.call('PUBLISH', 'sfn:execution-changes', cjson.encode({executionArn = state[1],
    status = state[2], lastEventId = last_event_id}))
end
