/* local_queue - see local_queue.h. */
#include "local_queue.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "integrations_scripts.h"
#include "log.h"
#include "random_id.h"
#include "wall_clock.h"

/* scripts/send_to_queue.lua */
static struct redis_script send_script = { .name = "send-to-queue", .source = integrations_send_to_queue_lua };

struct send_operation {
    local_queue_callback callback;
    void *data;
    char message_id[37];
    char key[SQS_QUEUE_NAME_SIZE + 8];
};

int local_queue_init(const struct local_queues *queues)
{
    struct redis_script *const scripts[] = { &send_script };
    return redis_client_add_scripts(queues->redis, scripts, 1);
}

static void on_sent(redisReply *reply, void *data)
{
    struct send_operation *operation = data;
    int status = !reply || reply->type != REDIS_REPLY_INTEGER ? -EIO : reply->integer == 0 ? -ENOSPC : 0;
    if (status == 0)
        log_event(LOG_INFO, "queue-sent", "Message %s sent to %s (%lld waiting)", operation->message_id, operation->key,
                  reply->integer);
    else if (status == -ENOSPC)
        log_event(LOG_WARN, "queue-full", "Message %s not sent: %s is full", operation->message_id, operation->key);
    else
        log_event(LOG_ERROR, "queue-send-failed", "Message %s to %s: %s", operation->message_id, operation->key,
                  reply && reply->type == REDIS_REPLY_ERROR ? reply->str : "Redis gave no answer");
    operation->callback(status, operation->message_id, operation->data);
    free(operation);
}

int local_queue_send(const struct local_queues *queues, const struct sqs_send_message_request *request,
                     local_queue_callback callback, void *data)
{
    struct send_operation *operation = calloc(1, sizeof(*operation));
    char *record = NULL;
    int result = operation ? random_id_uuid(operation->message_id) : -ENOMEM;
    if (result == 0 && !(record = sqs_message_record(request, operation->message_id, wall_clock_now_ms())))
        result = -ENOMEM;
    if (result == 0) {
        char cap[32];
        operation->callback = callback;
        operation->data = data;
        snprintf(operation->key, sizeof(operation->key), "sqs:%s", request->queue_name);
        snprintf(cap, sizeof(cap), "%lld", queues->max_messages);
        const char *argv[] = { operation->key, cap, record };
        result = redis_client_eval_strings(queues->redis, &send_script, on_sent, operation, 1, 3, argv);
    }
    cJSON_free(record);
    if (result < 0)
        free(operation);
    return result;
}
