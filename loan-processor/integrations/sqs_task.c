/*
 * sqs_task - sqs:sendMessage[.waitForTaskToken] against the local queues;
 * see task_functions.h and task_functions_internal.h.
 */
#include <errno.h>
#include <stdio.h>

#include "local_queue.h"
#include "log.h"
#include "random_id.h"
#include "sqs_send_message.h"
#include "task_functions_internal.h"

static void on_queued(int status, const char *message_id, void *data)
{
    struct task_functions_state *state = data;
    char request_id[37], cause[512];
    if (status == -ENOSPC) {
        snprintf(cause, sizeof(cause),
                 "The queue %s holds %lld messages, the most QUEUE_MAX_MESSAGES allows; message %s was not sent "
                 "(Service: AmazonSQS; Status Code: 403; Error Code: OverLimit)",
                 state->message.queue_name, state->environment->queues->max_messages, message_id);
        task_functions_report(state, TASK_FAILED, NULL, SQS_SERVICE_ERROR, cause);
        return;
    }
    if (status < 0) {
        snprintf(cause, sizeof(cause),
                 "Unable to execute HTTP request: the local queues' Redis did not confirm message %s, which may not "
                 "have been sent (see the loan-processor's log)",
                 message_id);
        task_functions_report(state, TASK_FAILED, NULL, SQS_CLIENT_ERROR, cause);
        return;
    }
    char *output =
        random_id_uuid(request_id) == 0 ? sqs_send_message_output(&state->message, message_id, request_id) : NULL;
    if (output)
        task_functions_report_accepted(state, output);
    else
        task_functions_report(state, TASK_FAILED, NULL, SQS_CLIENT_ERROR,
                              "Unable to execute HTTP request: out of memory building the SendMessage response");
    cJSON_free(output);
}

int sqs_task_start(struct task_functions_state *state, const cJSON *parameters)
{
    char cause[1536];
    int result = sqs_send_message_parse(parameters, &state->message, cause, sizeof(cause));
    if (result == -ENOMEM)
        return result;
    if (result < 0) {
        log_event(LOG_WARN, "send-refused", "%s (execution %s)", cause, state->execution_arn);
        task_functions_report(state, TASK_FAILED, NULL, SQS_SERVICE_ERROR, cause);
        return 0;
    }
    result = local_queue_send(state->environment->queues, &state->message, on_queued, state);
    if (result == -ENOMEM)
        return result;
    if (result < 0)
        task_functions_report(
            state, TASK_FAILED, NULL, SQS_CLIENT_ERROR,
            "Unable to execute HTTP request: the local queues' Redis is unavailable: the message was not sent");
    return 0;
}
