/*
 * task_functions_internal - what the files of task_functions share (see
 * task_functions.h for what a Task runs). Not for use outside these files.
 *
 *   task_functions.c      task_functions_invoke(): the dispatch table, the named in-process functions,
 *                         the invocation state and its reports
 *   function_url_task.c   lambda:invoke[.waitForTaskToken] of an http(s) FunctionName
 *   sns_task.c            sns:publish[.waitForTaskToken]
 *   sqs_task.c            sqs:sendMessage[.waitForTaskToken]
 */
#ifndef TASK_FUNCTIONS_INTERNAL_H
#define TASK_FUNCTIONS_INTERNAL_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "sqs_send_message.h"
#include "task_functions.h"

/* One invocation an integration runs; owned by it until it reports. */
struct task_functions_state {
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

/* ---- task_functions.c ---- */

/* Calls the invocation's callback with this outcome, then frees state. */
void task_functions_report(struct task_functions_state *state, enum task_outcome_kind kind, const char *output,
                           const char *error, const char *cause);

/*
 * A request that went through: SUCCEEDED with output (request-response), or
 * SUBMITTED with it until SendTask* brings the token back. Frees state.
 */
void task_functions_report_accepted(struct task_functions_state *state, const char *output);

/*
 * ---- the integrations: one file each ----
 * A start function runs the invocation with its resolved Parameters. It
 * returns 0 and reports exactly once (now or later), which frees state; or
 * returns -ENOMEM, reports nothing and leaves state to the caller.
 */

/* function_url_task.c: whether the lambda:invoke's FunctionName is an http(s) URL. */
bool function_url_task_matches(const struct task_invocation *invocation);

/* function_url_task.c: POSTs the Payload to the FunctionName URL (see lambda_invoke.h). */
__attribute__((warn_unused_result)) int function_url_task_start(struct task_functions_state *state,
                                                                const cJSON *parameters);

/* sns_task.c: publishes to a local topic. */
__attribute__((warn_unused_result)) int sns_task_start(struct task_functions_state *state, const cJSON *parameters);

/* sqs_task.c: sends to a local queue. */
__attribute__((warn_unused_result)) int sqs_task_start(struct task_functions_state *state, const cJSON *parameters);

#endif
