/* local_topic - see local_topic.h. */
#include "local_topic.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "integrations_scripts.h"
#include "log.h"
#include "random_id.h"
#include "sns_publish.h"
#include "wall_clock.h"

/* scripts/publish_to_topic.lua */
static struct redis_script publish_script = { .name = "publish-to-topic", .source = integrations_publish_to_topic_lua };

struct publish_operation {
    local_topic_callback callback;
    void *data;
    char message_id[37];
    char topic_arn[SNS_TOPIC_ARN_SIZE];
};

void local_topic_key(const char *name, char *out, size_t size)
{
    snprintf(out, size, "sns:%s", name);
}

int local_topic_init(const struct local_topics *topics)
{
    struct redis_script *const scripts[] = { &publish_script };
    return redis_client_add_scripts(topics->redis, scripts, 1);
}

static void on_published(redisReply *reply, void *data)
{
    struct publish_operation *operation = data;
    int status = reply && reply->type == REDIS_REPLY_STRING ? 0 : -EIO;
    if (status == 0)
        log_event(LOG_DEBUG, "topic-published", "Message %s published to %s", operation->message_id,
                  operation->topic_arn);
    else
        log_event(LOG_ERROR, "topic-publish-failed", "Message %s to %s: %s", operation->message_id,
                  operation->topic_arn,
                  reply && reply->type == REDIS_REPLY_ERROR ? reply->str : "Redis gave no answer");
    operation->callback(status, operation->message_id, operation->data);
    free(operation);
}

int local_topic_publish(const struct local_topics *topics, const struct local_topic_message *message,
                        local_topic_callback callback, void *data)
{
    char name[SNS_TOPIC_NAME_SIZE], key[SNS_TOPIC_NAME_SIZE + 8], cap[32];
    char timestamp[WALL_CLOCK_ISO8601_SIZE];
    struct publish_operation *operation = calloc(1, sizeof(*operation));
    if (!operation)
        return -ENOMEM;
    int result = sns_topic_name(message->topic, name);
    if (result == 0)
        result = sns_topic_arn(message->topic, topics->region, topics->account, operation->topic_arn);
    if (result == 0)
        result = random_id_uuid(operation->message_id);
    if (result < 0) {
        free(operation);
        return result;
    }
    operation->callback = callback;
    operation->data = data;
    local_topic_key(name, key, sizeof(key));
    snprintf(cap, sizeof(cap), "%lld", topics->max_messages);
    wall_clock_format_iso8601(wall_clock_now_ms(), timestamp);
    const char *argv[] = { key,
                           cap,
                           operation->message_id,
                           operation->topic_arn,
                           message->message,
                           timestamp,
                           message->subject ? message->subject : "",
                           message->execution_arn ? message->execution_arn : "" };
    result = redis_client_eval_strings(topics->redis, &publish_script, on_published, operation, 1,
                                       (int)(sizeof(argv) / sizeof(argv[0])), argv);
    if (result < 0)
        free(operation);
    return result;
}

/* ---- reads for the API and the console ---- */

struct topic_read {
    local_topic_read_callback callback;
    void *data;
};

static const char *field_of(const redisReply *fields, const char *name)
{
    for (size_t i = 0; i + 1 < fields->elements; i += 2) {
        const redisReply *key = fields->element[i], *value = fields->element[i + 1];
        if (key->type == REDIS_REPLY_STRING && value->type == REDIS_REPLY_STRING && strcmp(key->str, name) == 0)
            return value->str;
    }
    return NULL;
}

/* Fills entries from an XRANGE reply (entries [id, [field, value, ...]]); returns how many it filled. */
static size_t entries_of(const redisReply *reply, struct local_topic_entry *entries)
{
    size_t count = 0;
    for (size_t i = 0; i < reply->elements; i++) {
        const redisReply *entry = reply->element[i];
        if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2 || entry->element[1]->type != REDIS_REPLY_ARRAY)
            continue;
        const redisReply *fields = entry->element[1];
        entries[count++] = (struct local_topic_entry){
            .message_id = field_of(fields, "MessageId"),
            .timestamp = field_of(fields, "Timestamp"),
            .subject = field_of(fields, "Subject"),
            .message = field_of(fields, "Message"),
            .execution_arn = field_of(fields, "executionArn"),
        };
    }
    return count;
}

static void on_topic_read(redisReply *reply, void *data)
{
    struct topic_read *read = data;
    if (!reply || reply->type != REDIS_REPLY_ARRAY) {
        read->callback(-EIO, NULL, 0, read->data);
    } else {
        struct local_topic_entry *entries = calloc(reply->elements ? reply->elements : 1, sizeof(*entries));
        if (entries)
            read->callback(0, entries, entries_of(reply, entries), read->data);
        else
            read->callback(-ENOMEM, NULL, 0, read->data);
        free(entries);
    }
    free(read);
}

int local_topic_read(struct redis_client *redis, const char *name, long long since_ms, size_t max_messages,
                     local_topic_read_callback callback, void *data)
{
    char key[SNS_TOPIC_NAME_SIZE + 8], first_id[32], count[32];
    if (max_messages == 0)
        return -EINVAL;
    struct topic_read *read = malloc(sizeof(*read));
    if (!read)
        return -ENOMEM;
    *read = (struct topic_read){ callback, data };
    local_topic_key(name, key, sizeof(key));
    /* A stream entry's id starts with the ms it was added at. */
    snprintf(first_id, sizeof(first_id), "%lld", since_ms);
    snprintf(count, sizeof(count), "%zu", max_messages);
    const char *argv[] = { "XRANGE", key, first_id, "+", "COUNT", count };
    int result = redis_client_command_strings(redis, on_topic_read, read, 6, argv);
    if (result < 0)
        free(read);
    return result;
}
