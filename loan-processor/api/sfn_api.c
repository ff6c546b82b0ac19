/*
 * sfn_api - see sfn_api.h.
 */
#include "sfn_api.h"

#include <string.h>

#include "access_token.h"
#include "activity_api.h"
#include "execution_api.h"
#include "json_util.h"
#include "state_machine_api.h"
#include "task_api.h"

#define TARGET_PREFIX "AWSStepFunctions."

static const struct {
    const char *name;
    sfn_operation *handle;
} operations[] = {
    { "StartExecution", execution_api_start },
    { "DescribeExecution", execution_api_describe },
    { "GetExecutionHistory", execution_api_get_history },
    { "SendTaskSuccess", task_api_success },
    { "SendTaskFailure", task_api_failure },
    { "SendTaskHeartbeat", task_api_heartbeat },
    { "ListExecutions", execution_api_list },
    { "StopExecution", execution_api_stop },
    { "CreateStateMachine", state_machine_api_create },
    { "DescribeStateMachine", state_machine_api_describe },
    { "UpdateStateMachine", state_machine_api_update },
    { "DeleteStateMachine", state_machine_api_delete },
    { "ListStateMachines", state_machine_api_list },
    { "CreateActivity", activity_api_create },
    { "DescribeActivity", activity_api_describe },
    { "ListActivities", activity_api_list },
    { "DeleteActivity", activity_api_delete },
    { "GetActivityTask", activity_api_get_task },
};

/* With API_TOKEN set: whether the request carries it (or the console's cookie); answers 401 when it does not. */
static bool authorized(struct http_request *request, const struct sfn_api *api)
{
    if (!api->api_token || !api->api_token[0]
        || access_token_bearer_matches(api->api_token, http_request_header(request, "Authorization"))
        || (api->console_token && api->console_token[0]
            && access_token_cookie_matches(api->console_token, http_request_header(request, "Cookie"), "token")))
        return true;
    sfn_request_reply_error(request, 401, "UnrecognizedClientException",
                            "The security token included in the request is invalid.");
    return false;
}

void sfn_api_handle(struct http_request *request, void *data)
{
    struct sfn_api *api = data;
    if (!authorized(request, api))
        return;
    const char *target = http_request_header(request, "X-Amz-Target");
    size_t length;
    const char *text = http_request_body(request, &length);

    if (!target || strncmp(target, TARGET_PREFIX, strlen(TARGET_PREFIX)) != 0) {
        sfn_request_reply_error(request, 400, "UnknownOperationException",
                                "Missing or unknown X-Amz-Target header: expected AWSStepFunctions.<Operation>");
        return;
    }
    const char *operation = target + strlen(TARGET_PREFIX);
    for (size_t i = 0; i < sizeof(operations) / sizeof(operations[0]); i++) {
        if (strcmp(operations[i].name, operation) != 0)
            continue;
        cJSON *body = NULL;
        if (json_parse(length ? text : "{}", length ? length : 2, &body) < 0 || !cJSON_IsObject(body)) {
            cJSON_Delete(body);
            sfn_request_reply_error(request, 400, "SerializationException", "The request body is not a JSON object");
            return;
        }
        operations[i].handle(request, api, body);
        cJSON_Delete(body);
        return;
    }
    sfn_request_reply_error(request, 400, "UnknownOperationException", "Unknown operation %s", operation);
}
