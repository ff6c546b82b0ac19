-- Publish to a local topic: appends to its stream and publishes on its channel.
-- KEYS[1] the topic's stream and channel. ARGV[1] cap (approximate MAXLEN), ARGV[2] MessageId, ARGV[3] TopicArn,
-- ARGV[4] Message, ARGV[5] Timestamp, ARGV[6] Subject ('' for none), ARGV[7] executionArn ('' for none).
-- Returns the stream entry's id.
local fields = {'MessageId', ARGV[2], 'TopicArn', ARGV[3], 'Message', ARGV[4]}
if ARGV[6] ~= '' then table.insert(fields, 'Subject'); table.insert(fields, ARGV[6]) end
if ARGV[7] ~= '' then table.insert(fields, 'executionArn'); table.insert(fields, ARGV[7]) end
table.insert(fields, 'Timestamp'); table.insert(fields, ARGV[5])
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', unpack(fields))
redis.call('PUBLISH', KEYS[1], ARGV[4])
return id
