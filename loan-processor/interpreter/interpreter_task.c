/*
 * interpreter_task - a Task state (see interpreter.c): its request, its
 * attempts, and its errors handled by Retry, Catch, or the end of the
 * execution.
 */
#include "interpreter_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activity_arn.h"
#include "asl_parameters.h"
#include "asl_path.h"
#include "choice_rule.h"
#include "wall_clock.h"

/* ---- Task ---- */

/* Adds timeoutInSeconds and heartbeatInSeconds to a scheduled event, each only when the Task sets it. */
static bool add_task_timeouts(cJSON *scheduled, const struct task_request *task)
{
    bool ok = true;
    if (task->timeout_seconds)
        ok = cJSON_AddNumberToObject(scheduled, "timeoutInSeconds", (double)task->timeout_seconds) != NULL;
    if (ok && task->heartbeat_seconds)
        ok = cJSON_AddNumberToObject(scheduled, "heartbeatInSeconds", (double)task->heartbeat_seconds) != NULL;
    return ok;
}

/* TaskScheduled and TaskStarted: a service integration's attempt begins. */
static int schedule_task_events(struct interpreter_step *step, const char *region)
{
    struct task_request *task = &step->task;
    char *parameters = interpreter_print_document(task->parameters);
    cJSON *scheduled = parameters ? history_details("resourceType", task->resource_type, "resource", task->resource,
                                                    "region", region, NULL)
                                  : NULL;
    bool ok =
        scheduled && cJSON_AddStringToObject(scheduled, "parameters", parameters) && add_task_timeouts(scheduled, task);
    cJSON_free(parameters);
    if (!ok) {
        cJSON_Delete(scheduled);
        return -ENOMEM;
    }
    if (history_append(&step->history, "TaskScheduled", "taskScheduledEventDetails", scheduled) < 0)
        return -ENOMEM;
    return interpreter_append_task_event(
        step, "TaskStarted", "taskStartedEventDetails",
        history_details("resourceType", task->resource_type, "resource", task->resource, NULL));
}

/*
 * ActivityScheduled: an activity's attempt waits for a worker. Its input is
 * the effective input (after InputPath and Parameters); ActivityStarted
 * follows when a worker takes the task.
 */
static int schedule_activity_event(struct interpreter_step *step)
{
    struct task_request *task = &step->task;
    char *input = interpreter_print_document(task->parameters);
    cJSON *scheduled = input ? history_details("resource", task->resource_arn, NULL) : NULL;
    bool ok = scheduled && history_add_payload(scheduled, "input", input) == 0 && add_task_timeouts(scheduled, task);
    cJSON_free(input);
    if (!ok) {
        cJSON_Delete(scheduled);
        return -ENOMEM;
    }
    return history_append(&step->history, "ActivityScheduled", "activityScheduledEventDetails", scheduled) < 0 ? -ENOMEM
                                                                                                               : 0;
}

int interpreter_fail_missing_activity(struct interpreter_step *step, const struct state_definition *state,
                                      struct history_ref entered)
{
    char detail[ACTIVITY_ARN_SIZE + 64];
    snprintf(detail, sizeof(detail), "The activity %s does not exist.", state->resource);
    return interpreter_fail_runtime(step, state->name, entered, detail);
}

/* The resolved Parameters must not still hold a ".$" key (the CDK mistake); -EINVAL with AWS's detail if so. */
static int check_resolved_parameters(const cJSON *parameters, char *detail, size_t detail_size)
{
    const char *unresolved = NULL;
    if (asl_parameters_find_unresolved_key(parameters, &unresolved) != 0)
        return 0;
    char *text = interpreter_print_document(parameters);
    if (!text)
        return -ENOMEM;
    snprintf(detail, detail_size,
             "The Parameters '%s' could not be used to start the Task: [The value for the field '%s' must be a valid "
             "JSONPath or a valid intrinsic function call]",
             text, unresolved);
    cJSON_free(text);
    return -EINVAL;
}

/* TimeoutSeconds/HeartbeatSeconds, or their Path forms resolved against the effective input. */
static int resolve_task_timeouts(const struct state_definition *state, const cJSON *effective, const cJSON *variables,
                                 struct task_request *task, char *detail, size_t detail_size)
{
    int result = 0;
    task->timeout_seconds = state->timeout_seconds;
    task->heartbeat_seconds = state->heartbeat_seconds;
    if (state->timeout_seconds_path)
        result = interpreter_select_whole_number(state->timeout_seconds_path, "TimeoutSecondsPath", 1, effective,
                                                 &task->timeout_seconds, variables, detail, detail_size);
    if (result == 0 && state->heartbeat_seconds_path)
        result = interpreter_select_whole_number(state->heartbeat_seconds_path, "HeartbeatSecondsPath", 1, effective,
                                                 &task->heartbeat_seconds, variables, detail, detail_size);
    if (result == 0 && task->timeout_seconds && task->heartbeat_seconds
        && task->heartbeat_seconds >= task->timeout_seconds) {
        snprintf(detail, detail_size, "The heartbeat (%ld s) must be shorter than the timeout (%ld s)",
                 task->heartbeat_seconds, task->timeout_seconds);
        result = -EINVAL;
    }
    return result;
}

/* Where the Task's resource goes in its request (task->resource_type and resource). */
static void set_task_resource(const struct state_definition *state, struct task_request *task)
{
    task->resource_arn = state->resource;
    task->is_activity = interpreter_runs_activity(state);
    /* state_machine_parse accepted the Resource, so it splits; were it not to, both stay empty. */
    if (!task->is_activity) {
        int split = state_machine_split_resource(state->resource, task->resource_type, sizeof(task->resource_type),
                                                 task->resource, sizeof(task->resource));
        if (split < 0)
            task->resource_type[0] = task->resource[0] = '\0';
    }
}

/*
 * A JSONata Task's request: its Arguments (the input when it has none) and
 * timeouts evaluated; -EPROTO with detail when an expression fails.
 */
static int build_jsonata_request(struct run *run, const struct state_definition *state, int64_t entered_ms,
                                 const cJSON *input, long retry_count, char *detail, size_t detail_size)
{
    struct task_request *task = &run->step->task;
    struct jsonata_states states = { input, NULL, NULL, entered_ms, task->token, retry_count, NULL };
    int result = interpreter_jsonata_field(run, state, state->json, "Arguments", &states, &task->parameters, detail,
                                           detail_size);
    if (result == 0 && !task->parameters && !(task->parameters = cJSON_Duplicate(input, true)))
        result = -ENOMEM;
    task->timeout_seconds = state->timeout_seconds;
    task->heartbeat_seconds = state->heartbeat_seconds;
    if (result == 0)
        result = interpreter_jsonata_whole_number(run, state, "TimeoutSeconds", &states, 1, &task->timeout_seconds,
                                                  detail, detail_size);
    if (result == 0)
        result = interpreter_jsonata_whole_number(run, state, "HeartbeatSeconds", &states, 1, &task->heartbeat_seconds,
                                                  detail, detail_size);
    set_task_resource(state, task);
    return result == -EINVAL ? -EPROTO : result;
}

/*
 * Builds the Task's request (Parameters with a fresh token, timeouts);
 * -EINVAL with detail on a runtime error, -EDOM with detail when an
 * intrinsic function failed.
 */
static int build_task_request(struct run *run, const struct state_definition *state, int64_t entered_ms,
                              const cJSON *input, long retry_count, char *detail, size_t detail_size)
{
    struct task_request *task = &run->step->task;
    cJSON *effective =
        interpreter_select_path(run, state, entered_ms, &state->input_path, "InputPath", input, detail, detail_size);
    if (!effective)
        return detail[0] ? -EINVAL : -ENOMEM;
    int result = -ENOMEM;
    const struct step_environment *environment = run->environment;
    char branch_token[INTERPRETER_MAX_TOKEN_BYTES];
    const char *token = environment->fresh_token;
    if (run->branch_id[0] && environment->branch_token) {
        if (environment->branch_token(environment->token_context, run->branch_id, branch_token, sizeof(branch_token))
            < 0) {
            cJSON_Delete(effective);
            return -ENOMEM;
        }
        token = branch_token;
    }
    task->token = strdup(token);
    if (state->jsonata) {
        cJSON_Delete(effective);
        return task->token ? build_jsonata_request(run, state, entered_ms, input, retry_count, detail, detail_size)
                           : -ENOMEM;
    }
    cJSON *context = interpreter_build_context(run, state, entered_ms, token, retry_count);
    if (task->token && context) {
        struct intrinsic_scope scope = interpreter_template_scope(run, effective, context);
        if (state->parameters)
            result = asl_parameters_evaluate_in(state->parameters, &scope, &task->parameters, detail, detail_size);
        else
            result = (task->parameters = cJSON_Duplicate(effective, true)) ? 0 : -ENOMEM;
    }
    if (result == -ENOTSUP || result == -ENOENT)
        result = -EINVAL;
    if (result == 0)
        result = check_resolved_parameters(task->parameters, detail, detail_size);
    if (result == 0)
        result = resolve_task_timeouts(state, effective, run->step->variables, task, detail, detail_size);
    cJSON_Delete(context);
    cJSON_Delete(effective);
    set_task_resource(state, task);
    return result;
}

int interpreter_raise_task_error(struct run *run, const struct state_definition *state,
                                 const struct execution_position *position, const char *error, const char *detail)
{
    if (strcmp(error, QUERY_EVALUATION_ERROR) == 0
        && interpreter_append_evaluation_failed(run->step, state->name, position->state_entered, detail) < 0)
        return -ENOMEM;
    char *cause = interpreter_state_error_cause(state->name, position->state_entered, detail);
    if (!cause)
        return -ENOMEM;
    int result = interpreter_handle_state_error(run, state, position, error, cause, false,
                                                position->state_entered.batch_index > 0);
    free(cause);
    return result;
}

/* An attempt whose Parameters failed never starts: what its request holds goes, and the error is raised. */
static int abandon_task_attempt(struct run *run, const struct state_definition *state, struct history_ref entered,
                                int64_t entered_ms, const char *input_text, const struct retry_counts *counts,
                                const char *error, const char *detail)
{
    struct task_request *task = &run->step->task;
    char *retry_text = interpreter_format_retry_counts(counts, state->retrier_count);
    if (!retry_text)
        return -ENOMEM;
    struct execution_position position = {
        .stored_events = run->step->history.stored_events,
        .state_name = state->name,
        .state_entered = entered,
        .state_entered_ms = entered_ms,
        .state_input = input_text,
        .resting = RESTING_TASK,
        .retry_counts = retry_text,
    };
    cJSON_Delete(task->parameters);
    free(task->token);
    memset(task, 0, sizeof(*task));
    int result = interpreter_raise_task_error(run, state, &position, error, detail);
    free(retry_text);
    return result;
}

/*
 * Parameters over the data limit (States.DataLimitExceeded) or nested too
 * deep (States.Runtime): the attempt never starts and the execution fails.
 */
static bool parameters_over_data_limit(struct interpreter_step *step, const struct state_definition *state, int *result)
{
    bool deep = interpreter_over_nesting_limit(step, state, step->task.parameters, result);
    char *text = deep ? NULL : interpreter_print_document(step->task.parameters);
    bool over = deep || text == NULL || interpreter_over_data_limit(step, state, text, result);

    if (!deep && text == NULL)
        *result = -ENOMEM;
    cJSON_free(text);
    if (over) {
        cJSON_Delete(step->task.parameters);
        free(step->task.token);
        memset(&step->task, 0, sizeof step->task);
    }
    return over;
}

int interpreter_start_task_attempt(struct run *run, const struct state_definition *state, struct history_ref entered,
                                   int64_t entered_ms, const char *input_text, const struct retry_counts *counts)
{
    struct interpreter_step *step = run->step;
    char detail[4096] = "";
    cJSON *input = interpreter_parse_stored(input_text);
    if (!input)
        return -ENOMEM;
    int result = build_task_request(run, state, entered_ms, input, counts->total, detail, sizeof(detail));
    cJSON_Delete(input);
    if (result == -EINVAL)
        return interpreter_fail_runtime(step, state->name, entered, detail);
    if (result == -EDOM || result == -EPROTO)
        return abandon_task_attempt(run, state, entered, entered_ms, input_text, counts,
                                    result == -EDOM ? INTRINSIC_FAILURE_ERROR : QUERY_EVALUATION_ERROR, detail);
    if (result == -E2BIG)
        return interpreter_fail_data_limit(step, state);
    if (result < 0)
        return result;
    const char *missing = run->environment->missing_activity;
    if (step->task.is_activity && missing && strcmp(missing, state->resource) == 0)
        return interpreter_fail_missing_activity(step, state, entered);
    if (parameters_over_data_limit(step, state, &result))
        return result;
    if (counts->total && !(step->retry_counts = interpreter_format_retry_counts(counts, state->retrier_count)))
        return -ENOMEM;
    result = step->task.is_activity ? schedule_activity_event(step) : schedule_task_events(step, run->facts->region);
    if (result < 0)
        return result;
    step->has_task = true;
    return interpreter_rest_at(run, state, entered, entered_ms, input_text, RESTING_TASK);
}

/* ---- errors of a Task: Retry, Catch, or the end ---- */

/* How long before retry number attempt (0 for the first) under retrier, in ms. */
static int64_t retry_delay_ms(const struct retrier *retrier, long attempt, double jitter)
{
    double seconds = retrier->interval_seconds * pow(retrier->backoff_rate, (double)attempt);
    if (retrier->max_delay_seconds && seconds > (double)retrier->max_delay_seconds)
        seconds = (double)retrier->max_delay_seconds;
    if (retrier->full_jitter)
        seconds *= jitter;
    double ms = seconds * 1000.0;
    return ms < (double)MAX_DELAY_MS ? (int64_t)ms : MAX_DELAY_MS;
}

/* The error output a catcher places: {"Error": error, "Cause": cause}, null for a missing one. */
static cJSON *error_output(const char *error, const char *cause)
{
    cJSON *output = cJSON_CreateObject();
    cJSON *error_value = error ? cJSON_CreateString(error) : cJSON_CreateNull();
    cJSON *cause_value = cause ? cJSON_CreateString(cause) : cJSON_CreateNull();
    if (output && error_value && cJSON_AddItemToObject(output, "Error", error_value)) {
        error_value = NULL;
        if (cause_value && cJSON_AddItemToObject(output, "Cause", cause_value))
            return output;
    }
    cJSON_Delete(error_value);
    cJSON_Delete(cause_value);
    cJSON_Delete(output);
    return NULL;
}

static int catch_error(struct run *run, const struct state_definition *state, const struct execution_position *position,
                       const struct catcher *catcher, const char *error, const char *cause, bool cause_quotes_batch)
{
    char detail[4096] = "";
    char *data_cause = cause ? interpreter_cause_as_data(run->step, cause, cause_quotes_batch) : NULL;
    cJSON *input = !cause || data_cause ? interpreter_parse_stored(position->state_input) : NULL;
    cJSON *result = input ? error_output(error, data_cause) : NULL;
    free(data_cause);
    cJSON *output = NULL;
    if (result && state->jsonata) {
        const cJSON *catcher_json = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(state->json, "Catch"),
                                                       (int)(catcher - state->catchers));
        struct jsonata_states states = { input, NULL, result, position->state_entered_ms, NULL, 0, NULL };
        output = interpreter_jsonata_output(run, state, catcher_json, &states, result, detail, sizeof(detail));
        cJSON_Delete(result);
    } else if (result) {
        output = interpreter_place_result(&catcher->result_path, input, result, detail, sizeof(detail));
    }
    cJSON_Delete(input);
    if (!output)
        return detail[0] ? interpreter_fail_state(run->step, state->jsonata ? QUERY_EVALUATION_ERROR : "States.Runtime",
                                                  state->name, position->state_entered, detail)
                         : -ENOMEM;
    return interpreter_leave_state(run, state, output, catcher->next);
}

bool interpreter_will_retry(const struct state_definition *state, const char *retry_counts, const char *error)
{
    struct retry_counts counts;
    interpreter_parse_retry_counts(retry_counts, state->retrier_count, &counts);
    for (size_t i = 0; i < state->retrier_count; i++) {
        if (state_machine_error_matches(state->retriers[i].error_equals, error, false))
            return counts.made[i] < state->retriers[i].max_attempts;
    }
    return false;
}

int interpreter_handle_state_error(struct run *run, const struct state_definition *state,
                                   const struct execution_position *position, const char *error, const char *cause,
                                   bool heartbeat, bool cause_quotes_batch)
{
    struct retry_counts counts;
    interpreter_parse_retry_counts(position->retry_counts, state->retrier_count, &counts);
    for (size_t i = 0; i < state->retrier_count; i++) {
        const struct retrier *retrier = &state->retriers[i];
        if (!state_machine_error_matches(retrier->error_equals, error, heartbeat))
            continue;
        if (counts.made[i] >= retrier->max_attempts)
            break;
        run->step->delay_ms = retry_delay_ms(retrier, counts.made[i], run->environment->jitter);
        counts.made[i]++;
        run->step->retry_counts = interpreter_format_retry_counts(&counts, state->retrier_count);
        if (!run->step->retry_counts)
            return -ENOMEM;
        return interpreter_rest_at(run, state, position->state_entered, position->state_entered_ms,
                                   position->state_input, RESTING_RETRY);
    }
    for (size_t i = 0; i < state->catcher_count; i++) {
        if (state_machine_error_matches(state->catchers[i].error_equals, error, heartbeat))
            return catch_error(run, state, position, &state->catchers[i], error, cause, cause_quotes_batch);
    }
    return interpreter_end_failed_quoting(run->step, error, cause, cause_quotes_batch);
}
