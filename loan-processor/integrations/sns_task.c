/*
 * sns_task - sns:publish[.waitForTaskToken] against the local topics; see
 * task_functions.h and task_functions_internal.h.
 */
#include <errno.h>
#include <stdio.h>

#include "local_topic.h"
#include "log.h"
#include "random_id.h"
#include "sns_publish.h"
#include "task_functions_internal.h"

static void on_published(int status, const char *message_id, void *data)
{
    struct task_functions_state *state = data;
    char request_id[37], output[256], cause[256];
    if (status < 0) {
        snprintf(cause, sizeof(cause),
                 "The local topic's Redis did not confirm message %s, which may not have been published (see the "
                 "loan-processor's log) (Service: AmazonSNS; Status Code: 500; Error Code: InternalError)",
                 message_id);
        task_functions_report(state, TASK_FAILED, NULL, "SNS.InternalErrorException", cause);
        return;
    }
    if (random_id_uuid(request_id) < 0 || sns_publish_output(message_id, request_id, output, sizeof(output)) < 0) {
        task_functions_report(state, TASK_FAILED, NULL, "SNS.InternalErrorException",
                              "Could not build the Publish response");
        return;
    }
    task_functions_report_accepted(state, output);
}

int sns_task_start(struct task_functions_state *state, const cJSON *parameters)
{
    struct sns_publish_request request;
    char cause[1024];
    int result = sns_publish_parse(parameters, &request, cause, sizeof(cause));
    if (result == -ENOMEM)
        return result;
    if (result < 0) {
        log_event(LOG_WARN, "publish-refused", "%s (execution %s)", cause, state->execution_arn);
        task_functions_report(state, TASK_FAILED, NULL, SNS_INVALID_PARAMETER_ERROR, cause);
        return 0;
    }
    struct local_topic_message message = { request.topic, request.message, request.subject, state->execution_arn };
    result = local_topic_publish(state->environment->topics, &message, on_published, state);
    sns_publish_request_release(&request);
    if (result == -ENOMEM)
        return result;
    if (result < 0)
        task_functions_report(state, TASK_FAILED, NULL, "SNS.InternalErrorException",
                              "The local topics' Redis is unavailable: the message was not published (Service: "
                              "AmazonSNS; Status Code: 500; Error Code: InternalError)");
    return 0;
}
