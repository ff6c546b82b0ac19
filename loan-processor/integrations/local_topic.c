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
        log_event(LOG_INFO, "topic-published", "Message %s published to %s", operation->message_id,
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
    const char *argv[] = { key, cap, operation->message_id, operation->topic_arn, message->message, timestamp,
                           message->subject ? message->subject : "",
                           message->execution_arn ? message->execution_arn : "" };
    result = redis_client_eval_strings(topics->redis, &publish_script, on_published, operation, 1,
                                       (int)(sizeof(argv) / sizeof(argv[0])), argv);
    if (result < 0)
        free(operation);
    return result;
}
