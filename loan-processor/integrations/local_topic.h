/*
 * local_topic - Amazon SNS topics, locally, in Redis.
 *
 * Publishing a message to topic <TopicName> is one Lua script that
 *   1. records it in the stream sns:<TopicName> (the topic's history, capped
 *      at about max_messages entries with XADD MAXLEN ~):
 *        MessageId <uuid> TopicArn <arn> Message <text> [Subject <s>]
 *        [executionArn <arn>] Timestamp <ISO-8601 UTC, ms>
 *   2. delivers it live with PUBLISH sns:<TopicName> <text>: the message
 *      itself, as SNS's raw message delivery does, so that
 *        redis-cli SUBSCRIBE sns:LoanProcessorErrorTopic
 *      shows each JSON message as it is published.
 * Streams and channels are separate Redis namespaces, so both are named
 * sns:<TopicName>. Topics need no creating: publishing creates the stream.
 */
#ifndef LOCAL_TOPIC_H
#define LOCAL_TOPIC_H

#include "redis_client.h"

/* What publishing needs; set by the owner, outlives every publish. */
struct local_topics {
    struct redis_client *redis;
    const char *region; /* for the ARN of a topic given by bare name */
    const char *account;
    long long max_messages; /* each stream keeps about this many messages */
};

struct local_topic_message {
    const char *topic;         /* ARN or bare TopicName */
    const char *message;       /* the text, sent as is */
    const char *subject;       /* NULL: none */
    const char *execution_arn; /* the execution that published it; NULL: none */
};

/*
 * status 0: the message is recorded and delivered, message_id is its
 * MessageId. -EIO: Redis gave no answer or refused (logged; without an
 * answer the message may have been published); message_id is still the id
 * it was sent with.
 */
typedef void (*local_topic_callback)(int status, const char *message_id, void *data);

/*
 * Writes the Redis key of topic name's stream - also the name of its
 * Pub/Sub channel - into out: sns:<name>.
 */
void local_topic_key(const char *name, char *out, size_t size);

/* Registers the publish script with topics->redis; call once before publishing. Returns 0 or -ENOSPC. */
__attribute__((warn_unused_result)) int local_topic_init(const struct local_topics *topics);

/*
 * Publishes message (its strings are copied). Returns 0 and later calls
 * callback exactly once; or -EINVAL (topic is not an SNS topic ARN or
 * name), -ENOTCONN / -EAGAIN (Redis unavailable), -ENOMEM, and never calls it.
 */
__attribute__((warn_unused_result)) int local_topic_publish(const struct local_topics *topics,
                                                            const struct local_topic_message *message,
                                                            local_topic_callback callback, void *data);

/* ---- reads for the API and the console ---- */

/* One recorded message of a topic's stream; the strings are borrowed for the callback, NULL when absent. */
struct local_topic_entry {
    const char *message_id;
    const char *timestamp;
    const char *subject;
    const char *message;
    const char *execution_arn;
};

/*
 * status 0: the count messages read, oldest first. -EIO when Redis gave no
 * answer or refused, -ENOMEM.
 */
typedef void (*local_topic_read_callback)(int status, const struct local_topic_entry *entries, size_t count,
                                          void *data);

/*
 * Reads up to max_messages (at least 1) of topic name's recorded messages,
 * oldest first, from those published at since_ms (epoch ms) on. Returns 0
 * and later calls callback once, or a negative errno (-ENOTCONN / -EAGAIN:
 * Redis unavailable, -ENOMEM, -EINVAL: max_messages is 0) and never calls it.
 */
__attribute__((warn_unused_result)) int local_topic_read(struct redis_client *redis, const char *name,
                                                         long long since_ms, size_t max_messages,
                                                         local_topic_read_callback callback, void *data);

#endif
