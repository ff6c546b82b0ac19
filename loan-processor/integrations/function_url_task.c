/*
 * function_url_task - lambda:invoke[.waitForTaskToken] of a FunctionName
 * that is an http(s) URL: the Payload is POSTed there; see task_functions.h
 * and task_functions_internal.h.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_client.h"
#include "json_util.h"
#include "lambda_invoke.h"
#include "log.h"
#include "random_id.h"
#include "task_functions_internal.h"

bool function_url_task_matches(const struct task_invocation *invocation)
{
    const char *function_name = json_string_member(invocation->parameters, "FunctionName");
    return function_name && lambda_invoke_is_url(function_name);
}

static void on_function_answer(const struct http_response *response, void *data)
{
    struct task_functions_state *state = data;
    struct lambda_invoke_answer answer = { response->status, response->body, response->body_length, response->error,
                                           response->timed_out };
    struct lambda_invoke_result result;
    char request_id[37];
    if (random_id_uuid(request_id) < 0 || lambda_invoke_result(state->function_url, &answer, request_id, &result) < 0) {
        task_functions_report(state, TASK_FAILED, NULL, "Lambda.SdkClientException",
                              "Unable to execute HTTP request: out of memory reading the function's answer");
        return;
    }
    if (result.output) {
        log_event(LOG_INFO, "function-answered", "%s answered %ld (execution %s)", state->function_url,
                  response->status, state->execution_arn);
        task_functions_report_accepted(state, result.output);
    } else {
        log_event(LOG_WARN, "function-failed", "%s: %s: %s (execution %s)", state->function_url, result.error,
                  result.cause, state->execution_arn);
        task_functions_report(state, TASK_FAILED, NULL, result.error, result.cause);
    }
    lambda_invoke_result_release(&result);
}

int function_url_task_start(struct task_functions_state *state, const cJSON *parameters)
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
        task_functions_report(
            state, TASK_FAILED, NULL, "Lambda.SdkClientException",
            result == -EAGAIN      ? "Unable to execute HTTP request: too many requests in flight; try again later"
            : result == -ECANCELED ? "Unable to execute HTTP request: the loan-processor is shutting down"
                                   : "Unable to execute HTTP request: the FunctionName is not a URL curl accepts");
    return 0;
}
