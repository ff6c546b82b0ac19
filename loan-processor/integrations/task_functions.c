/*
 * task_functions - see task_functions.h.
 *
 * The dispatch: a lambda:invoke of an http(s) URL is POSTed there; a named
 * function of the environment's table runs in-process; sns:publish and
 * sqs:sendMessage go to the local topics and queues.
 */
#include "task_functions.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"
#include "lambda_invoke.h"
#include "log.h"
#include "random_id.h"
#include "sns_publish.h"

#define WAIT_FOR_TASK_TOKEN ".waitForTaskToken"

struct invocation_state {
    const struct task_functions_environment *environment;
    task_outcome_callback callback;
    void *data;
    char *execution_arn;
    /* lambda:invoke of a URL */
    char *function_url;
    /* sqs:sendMessage */
    struct sqs_send_message_request message;
    /* the resource ends in .waitForTaskToken: a request that went through reports SUBMITTED */
    bool wait_for_task_token;
};

static void state_free(struct invocation_state *state)
{
    free(state->execution_arn);
    free(state->function_url);
    sqs_send_message_request_release(&state->message);
    free(state);
}

static void report(struct invocation_state *state, enum task_outcome_kind kind, const char *output, const char *error,
                   const char *cause)
{
    struct task_outcome outcome = { kind, output, error, cause };
    state->callback(&outcome, state->data);
    state_free(state);
}

/* A request that went through: done (request-response), or handed over until SendTask* brings the token back. */
static void report_accepted(struct invocation_state *state, const char *output)
{
    report(state, state->wait_for_task_token ? TASK_SUBMITTED : TASK_SUCCEEDED, output, NULL, NULL);
}

/* ---- sns:publish ---- */

static void on_published(int status, const char *message_id, void *data)
{
    struct invocation_state *state = data;
    char request_id[37], output[256], cause[256];
    if (status < 0) {
        snprintf(cause, sizeof(cause),
                 "The local topic's Redis did not confirm message %s, which may not have been published (see the "
                 "loan-processor's log) (Service: AmazonSNS; Status Code: 500; Error Code: InternalError)",
                 message_id);
        report(state, TASK_FAILED, NULL, "SNS.InternalErrorException", cause);
        return;
    }
    if (random_id_uuid(request_id) < 0 || sns_publish_output(message_id, request_id, output, sizeof(output)) < 0) {
        report(state, TASK_FAILED, NULL, "SNS.InternalErrorException", "Could not build the Publish response");
        return;
    }
    report_accepted(state, output);
}

static int publish_to_topic(struct invocation_state *state, const cJSON *parameters)
{
    struct sns_publish_request request;
    char cause[1024];
    int result = sns_publish_parse(parameters, &request, cause, sizeof(cause));
    if (result == -ENOMEM)
        return result;
    if (result < 0) {
        log_event(LOG_WARN, "publish-refused", "%s (execution %s)", cause, state->execution_arn);
        report(state, TASK_FAILED, NULL, SNS_INVALID_PARAMETER_ERROR, cause);
        return 0;
    }
    struct local_topic_message message = { request.topic, request.message, request.subject, state->execution_arn };
    result = local_topic_publish(state->environment->topics, &message, on_published, state);
    sns_publish_request_release(&request);
    if (result == -ENOMEM)
        return result;
    if (result < 0)
        report(state, TASK_FAILED, NULL, "SNS.InternalErrorException",
               "The local topics' Redis is unavailable: the message was not published (Service: AmazonSNS; "
               "Status Code: 500; Error Code: InternalError)");
    return 0;
}

/* ---- lambda:invoke of a URL ---- */

static void on_function_answer(const struct http_response *response, void *data)
{
    struct invocation_state *state = data;
    struct lambda_invoke_answer answer = { response->status, response->body, response->body_length, response->error,
                                           response->timed_out };
    struct lambda_invoke_result result;
    char request_id[37];
    if (random_id_uuid(request_id) < 0 || lambda_invoke_result(state->function_url, &answer, request_id, &result) < 0) {
        report(state, TASK_FAILED, NULL, "Lambda.SdkClientException",
               "Unable to execute HTTP request: out of memory reading the function's answer");
        return;
    }
    if (result.output) {
        log_event(LOG_INFO, "function-answered", "%s answered %ld (execution %s)", state->function_url,
                  response->status, state->execution_arn);
        report_accepted(state, result.output);
    } else {
        log_event(LOG_WARN, "function-failed", "%s: %s: %s (execution %s)", state->function_url, result.error,
                  result.cause, state->execution_arn);
        report(state, TASK_FAILED, NULL, result.error, result.cause);
    }
    lambda_invoke_result_release(&result);
}

/* POSTs the Payload to the FunctionName URL; the answer is the invocation's (see lambda_invoke.h). */
static int invoke_function_url(struct invocation_state *state, const cJSON *parameters)
{
    const struct task_functions_environment *environment = state->environment;
    struct lambda_invoke_request request;
    int result = lambda_invoke_parse(parameters, &request);
    if (result < 0) /* -ENOMEM: the dispatch checked that FunctionName is a URL */
        return result;
    state->function_url = strdup(request.url);
    if (state->function_url) {
        log_event(LOG_INFO, "function-invoked", "POST %s (execution %s)", request.url, state->execution_arn);
        result = http_client_post_json(environment->http, request.url, request.payload, strlen(request.payload),
                                       (uint64_t)environment->function_url_timeout_ms, on_function_answer, state);
    }
    lambda_invoke_request_release(&request);
    if (!state->function_url || result == -ENOMEM)
        return -ENOMEM;
    if (result < 0)
        report(state, TASK_FAILED, NULL, "Lambda.SdkClientException",
               result == -EAGAIN      ? "Unable to execute HTTP request: too many requests in flight; try again later"
               : result == -ECANCELED ? "Unable to execute HTTP request: the loan-processor is shutting down"
                                      : "Unable to execute HTTP request: the FunctionName is not a URL curl accepts");
    return 0;
}

/* ---- sqs:sendMessage ---- */

static void on_queued(int status, const char *message_id, void *data)
{
    struct invocation_state *state = data;
    char request_id[37], cause[512];
    if (status == -ENOSPC) {
        snprintf(cause, sizeof(cause),
                 "The queue %s holds %lld messages, the most QUEUE_MAX_MESSAGES allows; message %s was not sent "
                 "(Service: AmazonSQS; Status Code: 403; Error Code: OverLimit)",
                 state->message.queue_name, state->environment->queues->max_messages, message_id);
        report(state, TASK_FAILED, NULL, SQS_SERVICE_ERROR, cause);
        return;
    }
    if (status < 0) {
        snprintf(cause, sizeof(cause),
                 "Unable to execute HTTP request: the local queues' Redis did not confirm message %s, which may not "
                 "have been sent (see the loan-processor's log)",
                 message_id);
        report(state, TASK_FAILED, NULL, SQS_CLIENT_ERROR, cause);
        return;
    }
    char *output =
        random_id_uuid(request_id) == 0 ? sqs_send_message_output(&state->message, message_id, request_id) : NULL;
    if (output)
        report_accepted(state, output);
    else
        report(state, TASK_FAILED, NULL, SQS_CLIENT_ERROR,
               "Unable to execute HTTP request: out of memory building the SendMessage response");
    cJSON_free(output);
}

static int send_to_queue(struct invocation_state *state, const cJSON *parameters)
{
    char cause[1536];
    int result = sqs_send_message_parse(parameters, &state->message, cause, sizeof(cause));
    if (result == -ENOMEM)
        return result;
    if (result < 0) {
        log_event(LOG_WARN, "send-refused", "%s (execution %s)", cause, state->execution_arn);
        report(state, TASK_FAILED, NULL, SQS_SERVICE_ERROR, cause);
        return 0;
    }
    result = local_queue_send(state->environment->queues, &state->message, on_queued, state);
    if (result == -ENOMEM)
        return result;
    if (result < 0)
        report(state, TASK_FAILED, NULL, SQS_CLIENT_ERROR,
               "Unable to execute HTTP request: the local queues' Redis is unavailable: the message was not sent");
    return 0;
}

/* ---- dispatch ---- */

/* "ValuationRequestFunction" or "arn:aws:lambda:...:function:ValuationRequestFunction[:alias]". */
static bool function_is(const char *function_name, const char *wanted)
{
    const char *marker = strstr(function_name, ":function:");
    const char *name = marker ? marker + strlen(":function:") : function_name;
    size_t length = strcspn(name, ":");
    return length == strlen(wanted) && strncmp(name, wanted, length) == 0;
}

/* The environment's in-process function called function_name, or NULL. */
static const struct task_function *find_function(const struct task_functions_environment *environment,
                                                 const char *function_name)
{
    for (size_t i = 0; i < environment->function_count; i++)
        if (function_is(function_name, environment->functions[i].name))
            return &environment->functions[i];
    return NULL;
}

/* Whether the invocation runs service:api, request-response or .waitForTaskToken. */
static bool resource_is(const struct task_invocation *invocation, const char *type, const char *api)
{
    size_t length = strlen(api);
    return strcmp(invocation->resource_type, type) == 0 && strncmp(invocation->resource, api, length) == 0
           && (invocation->resource[length] == '\0' || strcmp(invocation->resource + length, WAIT_FOR_TASK_TOKEN) == 0);
}

/* Fails a task this build cannot run, as a Lambda invoke of a missing function would. */
static void report_unavailable(struct invocation_state *state, const struct task_invocation *invocation, bool is_lambda,
                               const char *function_name)
{
    char cause[512];
    if (!is_lambda)
        snprintf(cause, sizeof(cause), "The resource 'arn:aws:states:::%s:%s' is not available in this local engine",
                 invocation->resource_type, invocation->resource);
    else
        snprintf(cause, sizeof(cause),
                 "Function not found: %.300s (this local engine runs ValuationRequestFunction as "
                 "lambda:invoke.waitForTaskToken, and any FunctionName that is an http(s) URL)",
                 function_name ? function_name : "(no FunctionName)");
    report(state, TASK_FAILED, NULL, is_lambda ? "Lambda.ResourceNotFoundException" : "States.TaskFailed", cause);
}

int task_functions_invoke(const struct task_functions_environment *environment,
                          const struct task_invocation *invocation, task_outcome_callback callback, void *data)
{
    const char *function_name = json_string_member(invocation->parameters, "FunctionName");
    const char *suffix = strstr(invocation->resource, WAIT_FOR_TASK_TOKEN);
    bool is_lambda = resource_is(invocation, "lambda", "invoke");
    bool wait_for_task_token = suffix && strcmp(suffix, WAIT_FOR_TASK_TOKEN) == 0;
    const struct task_function *named =
        is_lambda && wait_for_task_token && function_name ? find_function(environment, function_name) : NULL;
    if (named && !lambda_invoke_is_url(function_name))
        return named->invoke(named->context, invocation->execution_arn,
                             cJSON_GetObjectItemCaseSensitive(invocation->parameters, "Payload"), callback, data);
    struct invocation_state *state = calloc(1, sizeof(*state));
    if (!state)
        return -ENOMEM;
    state->environment = environment;
    state->callback = callback;
    state->data = data;
    state->wait_for_task_token = wait_for_task_token;
    state->execution_arn = strdup(invocation->execution_arn);
    if (!state->execution_arn) {
        free(state);
        return -ENOMEM;
    }
    int result = 0;
    if (is_lambda && function_name && lambda_invoke_is_url(function_name))
        result = invoke_function_url(state, invocation->parameters);
    else if (resource_is(invocation, "sns", "publish"))
        result = publish_to_topic(state, invocation->parameters);
    else if (resource_is(invocation, "sqs", "sendMessage"))
        result = send_to_queue(state, invocation->parameters);
    else
        report_unavailable(state, invocation, is_lambda, function_name);
    if (result < 0) /* nothing was reported: the state is still ours */
        state_free(state);
    return result;
}
