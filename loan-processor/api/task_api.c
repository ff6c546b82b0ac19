/*
 * task_api - see task_api.h.
 *
 * The engine checks the token and applies the outcome; the request is
 * answered from its callback (the request pointer stays valid until then).
 */
#include "task_api.h"

#include <errno.h>
#include <stdlib.h>

#include "engine.h"
#include "task_token.h"

static const char task_closed_message[] = "Task Timed Out: 'Provided task does not exist anymore'";

/* ---- SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat ---- */

/* A request waiting for the engine. */
struct task_request {
    struct http_request *request;
    struct sfn_api *api;
};

static void on_task_answered(int status, const char *execution_arn, const char *execution_status, void *data)
{
    struct task_request *context = data;
    (void)execution_arn;
    (void)execution_status;
    if (status == -ETIMEDOUT)
        sfn_request_reply_error(context->request, 400, "TaskTimedOut", "%s", task_closed_message);
    else if (status < 0)
        sfn_request_reply_unavailable(context->request, context->api, status);
    else
        sfn_request_reply_empty(context->request);
    free(context);
}

/* A context for request; answers 500 and returns NULL when out of memory. */
static struct task_request *new_task_request(struct http_request *request, struct sfn_api *api)
{
    struct task_request *context = malloc(sizeof(*context));
    if (!context) {
        sfn_request_reply_unavailable(request, api, -ENOMEM);
        return NULL;
    }
    *context = (struct task_request){ request, api };
    return context;
}

/* Reads and checks taskToken; answers and returns NULL when it is missing or too long. */
static const char *read_task_token(struct http_request *request, const cJSON *body)
{
    const char *token = sfn_request_required_string(request, body, "taskToken");
    if (!token || !sfn_request_check_length(request, "taskToken", token, 1, TASK_TOKEN_MAX_LENGTH))
        return NULL;
    return token;
}

/* The engine's call failed with result (and will not call back): answers and frees context. */
static void answer_engine_result(struct task_request *context, int result)
{
    if (result >= 0)
        return;
    if (result == -EINVAL)
        sfn_request_reply_error(context->request, 400, "InvalidToken", "Invalid Token: 'Invalid token'");
    else
        sfn_request_reply_unavailable(context->request, context->api, result);
    free(context);
}

void task_api_success(struct http_request *request, struct sfn_api *api, const cJSON *body)
{
    const char *token = read_task_token(request, body);
    if (!token)
        return;
    const char *output = sfn_request_required_string(request, body, "output");
    if (!output || !sfn_request_check_document(request, "output", output, "InvalidOutput", "Invalid Output"))
        return;
    if (!sfn_request_valid_json(output)) {
        sfn_request_reply_error(request, 400, "InvalidOutput", "Invalid Output: 'The output is not valid JSON'");
        return;
    }
    struct task_request *context = new_task_request(request, api);
    if (context)
        answer_engine_result(context, engine_send_task_success(api->engine, token, output, on_task_answered, context));
}

void task_api_failure(struct http_request *request, struct sfn_api *api, const cJSON *body)
{
    const char *token = read_task_token(request, body);
    if (!token)
        return;
    const char *error, *cause;
    if (!sfn_request_error_and_cause(request, body, &error, &cause))
        return;
    struct task_request *context = new_task_request(request, api);
    if (context)
        answer_engine_result(context,
                             engine_send_task_failure(api->engine, token, error, cause, on_task_answered, context));
}

void task_api_heartbeat(struct http_request *request, struct sfn_api *api, const cJSON *body)
{
    const char *token = read_task_token(request, body);
    struct task_request *context = token ? new_task_request(request, api) : NULL;
    if (context)
        answer_engine_result(context, engine_send_task_heartbeat(api->engine, token, on_task_answered, context));
}
