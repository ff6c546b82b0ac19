/*
 * task_functions - see task_functions.h; its files in task_functions_internal.h.
 *
 * The dispatch: the first row of the integrations table whose resource the
 * invocation runs (and whose matcher accepts it) starts it; else a named
 * function of the environment's table runs in-process; else the task fails
 * as unavailable.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"
#include "task_functions_internal.h"

#define WAIT_FOR_TASK_TOKEN ".waitForTaskToken"

/* What runs service:api[.waitForTaskToken]. */
struct task_integration {
    const char *resource_type;
    const char *api;
    bool (*matches)(const struct task_invocation *invocation); /* NULL: every invocation of the resource */
    int (*start)(struct task_functions_state *state, const cJSON *parameters);
};

/* Walked in order; a URL FunctionName wins over a named in-process function. */
static const struct task_integration integrations[] = {
    { "lambda", "invoke", function_url_task_matches, function_url_task_start },
    { "sns", "publish", NULL, sns_task_start },
    { "sqs", "sendMessage", NULL, sqs_task_start },
};

static void state_free(struct task_functions_state *state)
{
    free(state->execution_arn);
    free(state->function_url);
    sqs_send_message_request_release(&state->message);
    free(state);
}

void task_functions_report(struct task_functions_state *state, enum task_outcome_kind kind, const char *output,
                           const char *error, const char *cause)
{
    struct task_outcome outcome = { kind, output, error, cause };
    state->callback(&outcome, state->data);
    state_free(state);
}

void task_functions_report_accepted(struct task_functions_state *state, const char *output)
{
    task_functions_report(state, state->wait_for_task_token ? TASK_SUBMITTED : TASK_SUCCEEDED, output, NULL, NULL);
}

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

/* The first row of the integrations table that runs the invocation, or NULL. */
static const struct task_integration *find_integration(const struct task_invocation *invocation)
{
    for (size_t i = 0; i < sizeof(integrations) / sizeof(integrations[0]); i++) {
        const struct task_integration *integration = &integrations[i];
        if (resource_is(invocation, integration->resource_type, integration->api)
            && (!integration->matches || integration->matches(invocation)))
            return integration;
    }
    return NULL;
}

/* Fails a task this build cannot run, as a Lambda invoke of a missing function would. */
static void report_unavailable(struct task_functions_state *state, const struct task_invocation *invocation,
                               bool is_lambda, const char *function_name)
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
    task_functions_report(state, TASK_FAILED, NULL,
                          is_lambda ? "Lambda.ResourceNotFoundException" : "States.TaskFailed", cause);
}

int task_functions_invoke(const struct task_functions_environment *environment,
                          const struct task_invocation *invocation, task_outcome_callback callback, void *data)
{
    const char *function_name = json_string_member(invocation->parameters, "FunctionName");
    const char *suffix = strstr(invocation->resource, WAIT_FOR_TASK_TOKEN);
    bool is_lambda = resource_is(invocation, "lambda", "invoke");
    bool wait_for_task_token = suffix && strcmp(suffix, WAIT_FOR_TASK_TOKEN) == 0;
    const struct task_integration *integration = find_integration(invocation);
    const struct task_function *named = !integration && is_lambda && wait_for_task_token && function_name
                                            ? find_function(environment, function_name)
                                            : NULL;
    if (named)
        return named->invoke(named->context, invocation->execution_arn,
                             cJSON_GetObjectItemCaseSensitive(invocation->parameters, "Payload"), callback, data);
    struct task_functions_state *state = calloc(1, sizeof(*state));
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
    if (integration)
        result = integration->start(state, invocation->parameters);
    else
        report_unavailable(state, invocation, is_lambda, function_name);
    if (result < 0) /* nothing was reported: the state is still ours */
        state_free(state);
    return result;
}
