-- publish_change(record, last_event_id): announces a committed change of an execution (record: the
-- execution's record; last_event_id: the id of the newest event of its history) on the channel
-- sfn:execution-changes (EXECUTION_STORE_CHANGES_CHANNEL, see execution_store.h), from inside the
-- script that made it: nothing is announced that was not committed.
-- An EXPRESS execution (its ARN is arn:...:express:...) is not kept once it has ended, as on AWS: its record
-- and history (same hash tag as the record, so in this script's slot) expire EXPRESS_RETENTION_SECONDS after.
local EXPRESS_RETENTION_SECONDS = 60
local function publish_change(record, last_event_id)
  local state = redis.call('HMGET', record, 'arn', 'status')
  redis.call('PUBLISH', 'sfn:execution-changes', cjson.encode({executionArn = state[1],
    status = state[2], lastEventId = last_event_id}))
  if state[1] and state[2] and state[2] ~= 'RUNNING' and string.find(state[1], ':express:', 1, true) then
    local at = string.find(record, ':execution:', 1, true)
    redis.call('EXPIRE', record, EXPRESS_RETENTION_SECONDS)
    if at then
      redis.call('EXPIRE', string.sub(record, 1, at) .. 'history:' .. string.sub(record, at + 11),
        EXPRESS_RETENTION_SECONDS)
    end
  end
end
