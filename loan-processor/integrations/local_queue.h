/*
 * local_queue - Amazon SQS queues, locally, in Redis.
 *
 * Sending a message to queue <QueueName> is one Lua script that appends its
 * record (see sqs_message_record(): {"MessageId", "MD5OfBody", "Body",
 * "Attributes": {"SentTimestamp"}, ...}, one JSON text) to the list
 * sqs:<QueueName> with RPUSH - unless the list already holds max_messages
 * records: then nothing is sent and the sender is told the queue is full.
 * Queues need no creating: the first message creates the list.
 *
 * A worker receives the oldest message by taking it off the list's head,
 * from any Redis client (the server never blocks):
 *   redis-cli -u $REDIS_URL --raw BLPOP sqs:<QueueName> 0   (waits; prints the key, then the record)
 *   redis-cli -u $REDIS_URL --raw LPOP sqs:<QueueName>      (at once; empty when there is none)
 * Taking a message deletes it: there is no visibility timeout, no
 * redelivery and no dead-letter queue. DelaySeconds is checked but not
 * honoured: a message can be received at once.
 */
#ifndef LOCAL_QUEUE_H
#define LOCAL_QUEUE_H

#include "redis_client.h"
#include "sqs_send_message.h"

/* What sending needs; set by the owner, outlives every send. */
struct local_queues {
    struct redis_client *redis;
    long long max_messages; /* each list holds at most this many messages */
};

/*
 * status 0: the message is on the queue, message_id is its MessageId.
 * -ENOSPC: the queue holds max_messages already; nothing was sent.
 * -EIO: Redis gave no answer or refused (logged; without an answer the
 * message may have been sent).
 */
typedef void (*local_queue_callback)(int status, const char *message_id, void *data);

/* Registers the send script with queues->redis; call once before sending. Returns 0 or -ENOSPC. */
__attribute__((warn_unused_result)) int local_queue_init(const struct local_queues *queues);

/*
 * Sends request's message (copied) with a fresh MessageId. Returns 0 and
 * later calls callback exactly once; or -ENOTCONN / -EAGAIN (Redis
 * unavailable), -ENOMEM, and never calls it.
 */
__attribute__((warn_unused_result)) int local_queue_send(const struct local_queues *queues,
                                                         const struct sqs_send_message_request *request,
                                                         local_queue_callback callback, void *data);

#endif
