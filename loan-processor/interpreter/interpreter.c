/*
 * interpreter - see interpreter.h.
 *
 * Input and output processing follows the ASL order for a Task:
 * InputPath -> Parameters -> (task runs) -> ResultSelector -> ResultPath ->
 * OutputPath. Any failure of that processing (a path that selects nothing, a
 * bad ResultPath target, the CDK "taskToken.$" mistake) fails the execution
 * with States.Runtime and AWS's cause text, as real Step Functions does.
 * An intrinsic function that fails raises States.IntrinsicFailure instead,
 * which a Task's Retry and Catch see like any error of the state.
 */
#include "interpreter.h"

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

/* States run in one step without a wait; beyond this a Pass loop is assumed. */
#define MAX_TRANSITIONS_PER_STEP 1000

/* The longest a Wait or retry may rest: AWS's one-year limit on an execution. */
#define MAX_DELAY_MS (366LL * 24 * 3600 * 1000)

struct run {
    const struct state_machine *machine;
    const struct execution_facts *facts;
    const struct step_environment *environment;
    struct interpreter_step *step;
    int transitions;
};

/* Retries made so far in the current state, per retrier. */
struct retry_counts {
    long made[STATE_MACHINE_MAX_RETRIERS];
    long total;
};

const char *interpreter_status_name(enum execution_status status)
{
    static const char *const names[] = { "RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED" };
    return names[status];
}

static const char *const resting_names[] = { "task", "wait", "retry" };

const char *interpreter_resting_name(enum resting_kind kind)
{
    return resting_names[kind];
}

int interpreter_resting_from_name(const char *name, enum resting_kind *kind)
{
    for (size_t i = 0; name && i < sizeof(resting_names) / sizeof(resting_names[0]); i++) {
        if (strcmp(name, resting_names[i]) == 0) {
            *kind = (enum resting_kind)i;
            return 0;
        }
    }
    return -EINVAL;
}

void interpreter_step_release(struct interpreter_step *step)
{
    history_batch_release(&step->history);
    free(step->output);
    free(step->error);
    free(step->cause);
    free(step->state_name);
    free(step->state_input);
    free(step->retry_counts);
    cJSON_Delete(step->task.parameters);
    free(step->task.token);
    memset(step, 0, sizeof(*step));
}

static int step_init(struct interpreter_step *step, long last_event_id, int64_t now_ms)
{
    memset(step, 0, sizeof(*step));
    step->status = EXECUTION_RUNNING;
    return history_batch_init(&step->history, last_event_id, now_ms);
}

/* ---- retry counts: "2,0,1" as stored ---- */

static void parse_retry_counts(const char *text, size_t retrier_count, struct retry_counts *counts)
{
    memset(counts, 0, sizeof(*counts));
    for (size_t i = 0; text && *text && i < retrier_count; i++) {
        char *end;
        long made = strtol(text, &end, 10);
        counts->made[i] = made > 0 ? made : 0;
        counts->total += counts->made[i];
        text = *end == ',' ? end + 1 : end;
    }
}

static char *format_retry_counts(const struct retry_counts *counts, size_t retrier_count)
{
    char *text = malloc(retrier_count * 21 + 1);
    size_t length = 0;
    if (!text)
        return NULL;
    text[0] = '\0';
    for (size_t i = 0; i < retrier_count; i++)
        length += (size_t)sprintf(text + length, "%s%ld", i ? "," : "", counts->made[i]);
    return text;
}

/* ---- events ---- */

static int append_payload_event(struct interpreter_step *step, const char *type, const char *details_member,
                                const char *name, const char *payload_member, const char *payload)
{
    cJSON *details = name ? history_details("name", name, NULL) : cJSON_CreateObject();
    if (!details || history_add_payload(details, payload_member, payload) < 0) {
        cJSON_Delete(details);
        return -ENOMEM;
    }
    return history_append(&step->history, type, details_member, details) < 0 ? -ENOMEM : 0;
}

static long append_state_entered(struct interpreter_step *step, const struct state_definition *state,
                                 const char *input)
{
    char type[64];
    snprintf(type, sizeof(type), "%sStateEntered", state_machine_type_name(state->type));
    if (append_payload_event(step, type, "stateEnteredEventDetails", state->name, "input", input) < 0)
        return -ENOMEM;
    return step->history.last_event_id;
}

static int append_state_exited(struct interpreter_step *step, const struct state_definition *state,
                               const char *output)
{
    char type[64];
    snprintf(type, sizeof(type), "%sStateExited", state_machine_type_name(state->type));
    return append_payload_event(step, type, "stateExitedEventDetails", state->name, "output", output);
}

/* Whether a Task state hands its work to an activity's workers rather than to a service integration. */
static bool runs_activity(const struct state_definition *state)
{
    return activity_arn_is_activity(state->resource);
}

/*
 * The details of an event of a Task's attempt: {"resourceType", "resource"}
 * for a service integration (an activity's events have neither), plus up
 * to two more string members (NULL: left out).
 */
static cJSON *attempt_details(const struct state_definition *state, const char *first_member,
                              const char *first_value, const char *second_member, const char *second_value)
{
    char type[64] = "", name[128] = "";
    if (runs_activity(state))
        return history_details(first_member, first_value, second_member, second_value, NULL);
    state_machine_split_resource(state->resource, type, sizeof(type), name, sizeof(name));
    return history_details("resourceType", type, "resource", name, first_member, first_value, second_member,
                           second_value, NULL);
}

static int append_task_event(struct interpreter_step *step, const char *type, const char *details_member,
                             cJSON *details)
{
    if (!details)
        return -ENOMEM;
    return history_append(&step->history, type, details_member, details) < 0 ? -ENOMEM : 0;
}

/*
 * Appends the event of an attempt's outcome what ("Succeeded", "Failed",
 * ...): Task<what> with taskXxxEventDetails, or Activity<what> with
 * activityXxxEventDetails for an activity. Takes ownership of details.
 */
static int append_attempt_event(struct interpreter_step *step, const struct state_definition *state,
                                const char *what, cJSON *details)
{
    bool activity = runs_activity(state);
    char type[64], details_member[96];
    snprintf(type, sizeof(type), "%s%s", activity ? "Activity" : "Task", what);
    snprintf(details_member, sizeof(details_member), "%s%sEventDetails", activity ? "activity" : "task", what);
    return append_task_event(step, type, details_member, details);
}

static int append_attempt_payload_event(struct interpreter_step *step, const struct state_definition *state,
                                        const char *what, const char *output)
{
    cJSON *details = attempt_details(state, NULL, NULL, NULL, NULL);
    if (details && history_add_payload(details, "output", output) < 0) {
        cJSON_Delete(details);
        return -ENOMEM;
    }
    return append_attempt_event(step, state, what, details);
}

static int end_succeeded(struct interpreter_step *step, const char *output)
{
    step->status = EXECUTION_SUCCEEDED;
    step->output = strdup(output);
    if (!step->output)
        return -ENOMEM;
    return append_payload_event(step, "ExecutionSucceeded", "executionSucceededEventDetails", NULL, "output",
                                output);
}

static int end_failed(struct interpreter_step *step, const char *error, const char *cause)
{
    step->status = EXECUTION_FAILED;
    step->error = error ? strdup(error) : NULL;
    step->cause = cause ? strdup(cause) : NULL;
    if ((error && !step->error) || (cause && !step->cause))
        return -ENOMEM;
    cJSON *details = history_details("error", error, "cause", cause, NULL);
    if (!details)
        return -ENOMEM;
    return history_append(&step->history, "ExecutionFailed", "executionFailedEventDetails", details) < 0 ? -ENOMEM
                                                                                                            : 0;
}

/* AWS's cause for an error a state raises itself: its wording around detail. NULL when out of memory. */
static char *state_error_cause(const char *state_name, long entered_event_id, const char *detail)
{
    size_t size = strlen(detail) + strlen(state_name) + 128;
    char *cause = malloc(size);
    if (cause)
        snprintf(cause, size, "An error occurred while executing the state '%s' (entered at the event id #%ld). %s",
                 state_name, entered_event_id, detail);
    return cause;
}

/* Fails the execution with error (States.Runtime, States.IntrinsicFailure), AWS's wording around detail. */
static int fail_state(struct interpreter_step *step, const char *error, const char *state_name,
                      long entered_event_id, const char *detail)
{
    char *cause = state_error_cause(state_name, entered_event_id, detail);
    if (!cause)
        return -ENOMEM;
    int result = end_failed(step, error, cause);
    free(cause);
    return result;
}

/* Fails the execution with States.Runtime, AWS's wording around detail. */
static int fail_runtime(struct interpreter_step *step, const char *state_name, long entered_event_id,
                        const char *detail)
{
    return fail_state(step, "States.Runtime", state_name, entered_event_id, detail);
}

/* The error a payload template's evaluation status stands for: -EDOM is an intrinsic function's failure. */
static const char *template_error(int status)
{
    return status == -EDOM ? INTRINSIC_FAILURE_ERROR : "States.Runtime";
}

/* What a payload template reads: the effective input, the context object and the step's randomness. */
static struct intrinsic_scope template_scope(const struct run *run, const cJSON *input, const cJSON *context)
{
    struct intrinsic_scope scope = { input, context, run->environment->random_bytes };
    return scope;
}

/* ---- input and output processing ---- */

/* Parses JSON text the engine stored or validated; NULL only when out of memory or corrupt. */
static cJSON *parse_stored(const char *text)
{
    return cJSON_Parse(text ? text : "{}");
}

static char *print_document(const cJSON *document)
{
    return cJSON_PrintUnformatted(document);
}

/*
 * Applies an InputPath or OutputPath to document, returning a new document
 * (null path: {}), or NULL with detail filled when the path selects nothing.
 */
static cJSON *select_path(const struct state_path *path, const char *field, const cJSON *document, char *detail,
                          size_t detail_size)
{
    const cJSON *selected = NULL;
    if (path->is_null)
        return cJSON_CreateObject();
    if (asl_path_select(path->path, document, NULL, &selected) < 0) {
        char *text = print_document(document);
        snprintf(detail, detail_size,
                 "Invalid path '%s' for the field '%s': the JSONPath could not be found in the input '%s'",
                 path->path, field, text ? text : "");
        cJSON_free(text);
        return NULL;
    }
    return cJSON_Duplicate(selected, true);
}

/*
 * The context object ($$) while state runs. token is the Task's token
 * (NULL outside a Task); retry_count appears only for a Task, as AWS
 * records it.
 */
static cJSON *build_context(const struct run *run, const struct state_definition *state, int64_t entered_ms,
                            const char *token, long retry_count)
{
    char start_time[WALL_CLOCK_ISO8601_SIZE], entered_time[WALL_CLOCK_ISO8601_SIZE];
    const struct execution_facts *facts = run->facts;
    wall_clock_format_iso8601(facts->start_ms, start_time);
    wall_clock_format_iso8601(entered_ms, entered_time);

    cJSON *context = cJSON_CreateObject();
    cJSON *execution = cJSON_AddObjectToObject(context, "Execution");
    cJSON *state_object = cJSON_AddObjectToObject(context, "State");
    cJSON *machine = cJSON_AddObjectToObject(context, "StateMachine");
    cJSON *input = parse_stored(facts->input);
    if (input && (!execution || !cJSON_AddItemToObject(execution, "Input", input))) {
        cJSON_Delete(input);
        input = NULL;
    }
    bool ok = execution && state_object && machine && input
              && cJSON_AddStringToObject(execution, "Id", facts->execution_arn)
              && cJSON_AddStringToObject(execution, "Name", facts->execution_name)
              && cJSON_AddStringToObject(execution, "RoleArn", facts->role_arn)
              && cJSON_AddStringToObject(execution, "StartTime", start_time)
              && cJSON_AddNumberToObject(execution, "RedriveCount", 0)
              && cJSON_AddStringToObject(state_object, "EnteredTime", entered_time)
              && cJSON_AddStringToObject(state_object, "Name", state->name)
              && cJSON_AddStringToObject(machine, "Id", facts->state_machine_arn)
              && cJSON_AddStringToObject(machine, "Name", facts->state_machine_name);
    if (ok && state->type == STATE_TASK)
        ok = cJSON_AddNumberToObject(state_object, "RetryCount", (double)retry_count) != NULL;
    if (ok && token) {
        cJSON *task = cJSON_AddObjectToObject(context, "Task");
        ok = task && cJSON_AddStringToObject(task, "Token", token);
    }
    if (!ok) {
        cJSON_Delete(context); /* input, when attached, goes with it */
        return NULL;
    }
    return context;
}

/*
 * Places result at result_path in a copy of state_input (a null path keeps
 * the input). Takes ownership of result. Returns the new document, or NULL
 * with detail filled (or, out of memory, an empty detail).
 */
static cJSON *place_result(const struct state_path *result_path, const cJSON *state_input, cJSON *result,
                           char *detail, size_t detail_size)
{
    cJSON *document = cJSON_Duplicate(state_input, true);
    detail[0] = '\0';
    if (!document || result_path->is_null) {
        cJSON_Delete(result);
        return document;
    }
    int status = asl_path_apply_result(&document, result_path->path, result);
    if (status < 0) {
        if (status != -ENOMEM)
            snprintf(detail, detail_size,
                     "Unable to apply ResultPath '%s' to the input: it must select a member of a JSON object",
                     result_path->path);
        cJSON_Delete(document);
        return NULL;
    }
    return document;
}

/* ResultPath then OutputPath: the output of a state that produced result (owned). */
static cJSON *process_result(const struct state_definition *state, const cJSON *state_input, cJSON *result,
                             char *detail, size_t detail_size)
{
    cJSON *document = place_result(&state->result_path, state_input, result, detail, detail_size);
    if (!document)
        return NULL;
    cJSON *output = select_path(&state->output_path, "OutputPath", document, detail, detail_size);
    cJSON_Delete(document);
    return output;
}

/* InputPath then OutputPath, for states that pass their input on (Succeed, Wait, Choice). */
static cJSON *pass_through_output(const struct state_definition *state, const cJSON *input, char *detail,
                                  size_t detail_size)
{
    cJSON *effective = select_path(&state->input_path, "InputPath", input, detail, detail_size);
    if (!effective)
        return NULL;
    cJSON *output = select_path(&state->output_path, "OutputPath", effective, detail, detail_size);
    cJSON_Delete(effective);
    return output;
}

/*
 * Selects what path points to in input for field (e.g. SecondsPath).
 * Returns the borrowed node, or NULL with detail filled.
 */
static const cJSON *select_field(const char *path, const char *field, const cJSON *input, char *detail,
                                 size_t detail_size)
{
    const cJSON *selected = NULL;
    if (asl_path_select(path, input, NULL, &selected) == 0)
        return selected;
    char *text = print_document(input);
    snprintf(detail, detail_size, "The JSONPath '%s' specified for the field '%s' could not be found in the input '%s'",
             path, field, text ? text : "");
    cJSON_free(text);
    return NULL;
}

/* A whole number of at least minimum selected by path for field; -EINVAL with detail otherwise. */
static int select_whole_number(const char *path, const char *field, long minimum, const cJSON *input, long *number,
                               char *detail, size_t detail_size)
{
    const cJSON *value = select_field(path, field, input, detail, detail_size);
    if (!value)
        return -EINVAL;
    if (!cJSON_IsNumber(value) || value->valuedouble < (double)minimum || value->valuedouble > 99999999
        || value->valuedouble != floor(value->valuedouble)) {
        snprintf(detail, detail_size, "The value selected by '%s' for the field '%s' must be %s integer", path,
                 field, minimum > 0 ? "a positive" : "a non-negative");
        return -EINVAL;
    }
    *number = (long)value->valuedouble;
    return 0;
}

/* ---- resting ---- */

static int rest_at(struct run *run, const struct state_definition *state, long entered_event_id, int64_t entered_ms,
                   const char *input_text, enum resting_kind resting)
{
    struct interpreter_step *step = run->step;
    step->resting = resting;
    step->state_name = strdup(state->name);
    step->state_input = strdup(input_text);
    step->state_entered_event_id = entered_event_id;
    step->state_entered_ms = entered_ms;
    return step->state_name && step->state_input ? 0 : -ENOMEM;
}

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
    char *parameters = print_document(task->parameters);
    cJSON *scheduled = parameters ? history_details("resourceType", task->resource_type, "resource", task->resource,
                                                    "region", region, NULL)
                                  : NULL;
    bool ok = scheduled && cJSON_AddStringToObject(scheduled, "parameters", parameters)
              && add_task_timeouts(scheduled, task);
    cJSON_free(parameters);
    if (!ok) {
        cJSON_Delete(scheduled);
        return -ENOMEM;
    }
    if (history_append(&step->history, "TaskScheduled", "taskScheduledEventDetails", scheduled) < 0)
        return -ENOMEM;
    return append_task_event(step, "TaskStarted", "taskStartedEventDetails",
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
    char *input = print_document(task->parameters);
    cJSON *scheduled = input ? history_details("resource", task->resource_arn, NULL) : NULL;
    bool ok = scheduled && history_add_payload(scheduled, "input", input) == 0 && add_task_timeouts(scheduled, task);
    cJSON_free(input);
    if (!ok) {
        cJSON_Delete(scheduled);
        return -ENOMEM;
    }
    return history_append(&step->history, "ActivityScheduled", "activityScheduledEventDetails", scheduled) < 0
               ? -ENOMEM
               : 0;
}

/* Fails the execution because the activity of state does not exist, in AWS's words. */
static int fail_missing_activity(struct interpreter_step *step, const struct state_definition *state,
                                 long entered_event_id)
{
    char detail[ACTIVITY_ARN_SIZE + 64];
    snprintf(detail, sizeof(detail), "The activity %s does not exist.", state->resource);
    return fail_runtime(step, state->name, entered_event_id, detail);
}

/* The resolved Parameters must not still hold a ".$" key (the CDK mistake); -EINVAL with AWS's detail if so. */
static int check_resolved_parameters(const cJSON *parameters, char *detail, size_t detail_size)
{
    const char *unresolved = NULL;
    if (asl_parameters_find_unresolved_key(parameters, &unresolved) != 0)
        return 0;
    char *text = print_document(parameters);
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
static int resolve_task_timeouts(const struct state_definition *state, const cJSON *effective,
                                 struct task_request *task, char *detail, size_t detail_size)
{
    int result = 0;
    task->timeout_seconds = state->timeout_seconds;
    task->heartbeat_seconds = state->heartbeat_seconds;
    if (state->timeout_seconds_path)
        result = select_whole_number(state->timeout_seconds_path, "TimeoutSecondsPath", 1, effective,
                                     &task->timeout_seconds, detail, detail_size);
    if (result == 0 && state->heartbeat_seconds_path)
        result = select_whole_number(state->heartbeat_seconds_path, "HeartbeatSecondsPath", 1, effective,
                                     &task->heartbeat_seconds, detail, detail_size);
    if (result == 0 && task->timeout_seconds && task->heartbeat_seconds
        && task->heartbeat_seconds >= task->timeout_seconds) {
        snprintf(detail, detail_size, "The heartbeat (%ld s) must be shorter than the timeout (%ld s)",
                 task->heartbeat_seconds, task->timeout_seconds);
        result = -EINVAL;
    }
    return result;
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
    cJSON *effective = select_path(&state->input_path, "InputPath", input, detail, detail_size);
    if (!effective)
        return detail[0] ? -EINVAL : -ENOMEM;
    int result = -ENOMEM;
    task->token = strdup(run->environment->fresh_token);
    cJSON *context = build_context(run, state, entered_ms, run->environment->fresh_token, retry_count);
    if (task->token && context) {
        struct intrinsic_scope scope = template_scope(run, effective, context);
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
        result = resolve_task_timeouts(state, effective, task, detail, detail_size);
    cJSON_Delete(context);
    cJSON_Delete(effective);
    task->resource_arn = state->resource;
    task->is_activity = runs_activity(state);
    if (!task->is_activity)
        state_machine_split_resource(state->resource, task->resource_type, sizeof(task->resource_type),
                                     task->resource, sizeof(task->resource));
    return result;
}

static int handle_task_error(struct run *run, const struct state_definition *state,
                             const struct execution_position *position, const char *error, const char *cause,
                             bool heartbeat);

/* A Task raises error with AWS's cause around detail; its Retry and Catch handle it as they would a task's. */
static int raise_task_error(struct run *run, const struct state_definition *state,
                            const struct execution_position *position, const char *error, const char *detail)
{
    char *cause = state_error_cause(state->name, position->state_entered_event_id, detail);
    if (!cause)
        return -ENOMEM;
    int result = handle_task_error(run, state, position, error, cause, false);
    free(cause);
    return result;
}

/* An attempt whose Parameters failed never starts: what its request holds goes, and the error is raised. */
static int abandon_task_attempt(struct run *run, const struct state_definition *state, long entered_event_id,
                                int64_t entered_ms, const char *input_text, const struct retry_counts *counts,
                                const char *detail)
{
    struct task_request *task = &run->step->task;
    char *retry_text = format_retry_counts(counts, state->retrier_count);
    if (!retry_text)
        return -ENOMEM;
    struct execution_position position = {
        .last_event_id = run->step->history.last_event_id,
        .state_name = state->name,
        .state_entered_event_id = entered_event_id,
        .state_entered_ms = entered_ms,
        .state_input = input_text,
        .resting = RESTING_TASK,
        .retry_counts = retry_text,
    };
    cJSON_Delete(task->parameters);
    free(task->token);
    memset(task, 0, sizeof(*task));
    int result = raise_task_error(run, state, &position, INTRINSIC_FAILURE_ERROR, detail);
    free(retry_text);
    return result;
}

/*
 * Starts an attempt of the Task state (its first, or a retry): TaskScheduled
 * and TaskStarted (ActivityScheduled for an activity), and the execution
 * rests waiting for the outcome. An activity the caller found missing fails
 * the execution instead.
 */
static int start_task_attempt(struct run *run, const struct state_definition *state, long entered_event_id,
                              int64_t entered_ms, const char *input_text, const struct retry_counts *counts)
{
    struct interpreter_step *step = run->step;
    char detail[4096] = "";
    cJSON *input = parse_stored(input_text);
    if (!input)
        return -ENOMEM;
    int result = build_task_request(run, state, entered_ms, input, counts->total, detail, sizeof(detail));
    cJSON_Delete(input);
    if (result == -EINVAL)
        return fail_runtime(step, state->name, entered_event_id, detail);
    if (result == -EDOM)
        return abandon_task_attempt(run, state, entered_event_id, entered_ms, input_text, counts, detail);
    if (result < 0)
        return result;
    const char *missing = run->environment->missing_activity;
    if (step->task.is_activity && missing && strcmp(missing, state->resource) == 0)
        return fail_missing_activity(step, state, entered_event_id);
    if (counts->total && !(step->retry_counts = format_retry_counts(counts, state->retrier_count)))
        return -ENOMEM;
    result = step->task.is_activity ? schedule_activity_event(step) : schedule_task_events(step, run->facts->region);
    if (result < 0)
        return result;
    step->has_task = true;
    return rest_at(run, state, entered_event_id, entered_ms, input_text, RESTING_TASK);
}

/* ---- Fail, Wait, Choice, Pass, Succeed ---- */

/* A Fail state's Error or Cause: the fixed text, or the string its Path selects (NULL when neither is set). */
static int fail_text(const char *fixed, const char *path, const char *field, const cJSON *input, const char **text,
                     char *detail, size_t detail_size)
{
    *text = fixed;
    if (!path)
        return 0;
    const cJSON *value = select_field(path, field, input, detail, detail_size);
    if (!value)
        return -EINVAL;
    if (!cJSON_IsString(value)) {
        snprintf(detail, detail_size, "The value selected by '%s' for the field '%s' must be a string", path, field);
        return -EINVAL;
    }
    *text = value->valuestring;
    return 0;
}

static int enter_fail(struct run *run, const struct state_definition *state, long entered_event_id,
                      const cJSON *input)
{
    char detail[4096] = "";
    const char *error = NULL, *cause = NULL;
    if (fail_text(state->error, state->error_path, "ErrorPath", input, &error, detail, sizeof(detail)) < 0
        || fail_text(state->cause, state->cause_path, "CausePath", input, &cause, detail, sizeof(detail)) < 0)
        return fail_runtime(run->step, state->name, entered_event_id, detail);
    return end_failed(run->step, error, cause);
}

/* How long a Wait state waits from now (ms, may be <= 0); -EINVAL with detail on a runtime error. */
static int wait_delay(const struct state_definition *state, const cJSON *effective, int64_t now_ms,
                      int64_t *delay_ms, char *detail, size_t detail_size)
{
    long seconds = state->wait_seconds;
    int64_t until_ms;
    if (state->wait_seconds_path
        && select_whole_number(state->wait_seconds_path, "SecondsPath", 0, effective, &seconds, detail, detail_size) < 0)
        return -EINVAL;
    if (seconds >= 0) {
        *delay_ms = (int64_t)seconds * 1000;
        return 0;
    }
    const char *timestamp = state->wait_timestamp;
    if (state->wait_timestamp_path) {
        const cJSON *value = select_field(state->wait_timestamp_path, "TimestampPath", effective, detail,
                                          detail_size);
        if (!value)
            return -EINVAL;
        timestamp = cJSON_GetStringValue(value);
    }
    if (!timestamp || wall_clock_parse_iso8601(timestamp, &until_ms) < 0) {
        snprintf(detail, detail_size, "The value for the field 'TimestampPath' must be an RFC 3339 timestamp");
        return -EINVAL;
    }
    *delay_ms = until_ms - now_ms;
    return 0;
}

/*
 * A Wait state: rests until its time, or (a time already past) passes its
 * input on at once through *output.
 */
static int enter_wait(struct run *run, const struct state_definition *state, long entered_event_id,
                      const cJSON *input, const char *input_text, cJSON **output)
{
    char detail[4096] = "";
    int64_t delay_ms = 0;
    cJSON *effective = select_path(&state->input_path, "InputPath", input, detail, sizeof(detail));
    int result = effective ? wait_delay(state, effective, run->environment->now_ms, &delay_ms, detail, sizeof(detail))
                           : (detail[0] ? -EINVAL : -ENOMEM);
    cJSON_Delete(effective);
    if (result == -EINVAL)
        return fail_runtime(run->step, state->name, entered_event_id, detail);
    if (result < 0)
        return result;
    if (delay_ms > 0) {
        run->step->delay_ms = delay_ms < MAX_DELAY_MS ? delay_ms : MAX_DELAY_MS;
        return rest_at(run, state, entered_event_id, run->step->history.timestamp_ms, input_text, RESTING_WAIT);
    }
    *output = pass_through_output(state, input, detail, sizeof(detail));
    if (!*output)
        return detail[0] ? fail_runtime(run->step, state->name, entered_event_id, detail) : -ENOMEM;
    return 0;
}

static int enter_choice(struct run *run, const struct state_definition *state, long entered_event_id,
                        const cJSON *input, cJSON **output, const char **next)
{
    char detail[4096] = "";
    cJSON *effective = select_path(&state->input_path, "InputPath", input, detail, sizeof(detail));
    if (!effective)
        return detail[0] ? fail_runtime(run->step, state->name, entered_event_id, detail) : -ENOMEM;
    cJSON *context = build_context(run, state, run->step->history.timestamp_ms, NULL, 0);
    int result = context ? choice_state_evaluate(state->choice, effective, context, next, detail, sizeof(detail))
                         : -ENOMEM;
    cJSON_Delete(context);
    if (result == 0 && *next) {
        *output = select_path(&state->output_path, "OutputPath", effective, detail, sizeof(detail));
        if (!*output)
            result = detail[0] ? -EINVAL : -ENOMEM;
    }
    cJSON_Delete(effective);
    if (result == -EINVAL)
        return fail_runtime(run->step, state->name, entered_event_id, detail);
    if (result < 0 || *next)
        return result;
    snprintf(detail, sizeof(detail),
             "An error occurred while executing the state '%s' (entered at the event id #%ld). No Choice Rule matched "
             "the input and the state has no Default",
             state->name, entered_event_id);
    return end_failed(run->step, "States.NoChoiceMatched", detail);
}

/*
 * Pass: Result (or Parameters, or the effective input) placed by ResultPath.
 * NULL with detail (and *error, the error to raise) on a failure.
 */
static cJSON *pass_output(struct run *run, const struct state_definition *state, const cJSON *input,
                          const char **error, char *detail, size_t detail_size)
{
    cJSON *effective = select_path(&state->input_path, "InputPath", input, detail, detail_size);
    cJSON *result = NULL;
    if (!effective)
        return NULL;
    if (state->result) {
        result = cJSON_Duplicate(state->result, true);
    } else if (state->parameters) {
        cJSON *context = build_context(run, state, run->step->history.timestamp_ms, NULL, 0);
        struct intrinsic_scope scope = template_scope(run, effective, context);
        if (context)
            *error = template_error(asl_parameters_evaluate_in(state->parameters, &scope, &result, detail,
                                                               detail_size));
        cJSON_Delete(context);
    } else {
        result = cJSON_Duplicate(effective, true);
    }
    cJSON_Delete(effective);
    if (!result)
        return NULL;
    return process_result(state, input, result, detail, detail_size);
}

/*
 * Runs state with input after its StateEntered event. Sets *output (owned
 * by the caller) and *next when the run goes straight on; leaves *output
 * NULL when the execution now rests or has ended.
 */
static int enter_state(struct run *run, const struct state_definition *state, long entered_event_id,
                       const cJSON *input, const char *input_text, cJSON **output, const char **next)
{
    static const struct retry_counts no_retries;
    char detail[4096] = "";
    const char *error = "States.Runtime";
    *next = state->next;
    switch (state->type) {
    case STATE_TASK:
        return start_task_attempt(run, state, entered_event_id, run->step->history.timestamp_ms, input_text,
                                  &no_retries);
    case STATE_FAIL:
        return enter_fail(run, state, entered_event_id, input);
    case STATE_WAIT:
        return enter_wait(run, state, entered_event_id, input, input_text, output);
    case STATE_CHOICE:
        return enter_choice(run, state, entered_event_id, input, output, next);
    case STATE_PASS:
        *output = pass_output(run, state, input, &error, detail, sizeof(detail));
        break;
    case STATE_SUCCEED:
        *next = NULL;
        *output = pass_through_output(state, input, detail, sizeof(detail));
        break;
    }
    if (!*output)
        return detail[0] ? fail_state(run->step, error, state->name, entered_event_id, detail) : -ENOMEM;
    return 0;
}

/* StateExited with output, and ExecutionSucceeded when there is no next state. */
static int record_exit(struct run *run, const struct state_definition *state, const cJSON *output, const char *next)
{
    char *text = print_document(output);
    int result = text ? append_state_exited(run->step, state, text) : -ENOMEM;
    if (result == 0 && !next)
        result = end_succeeded(run->step, text);
    cJSON_free(text);
    return result;
}

/*
 * Runs states from state with input (owned) until the execution rests or
 * ends. Iterative, so a long chain of states costs no stack.
 */
static int run_states(struct run *run, const struct state_definition *state, cJSON *input)
{
    int result = 0;
    while (state && result == 0) {
        char *input_text = print_document(input);
        long entered = input_text ? append_state_entered(run->step, state, input_text) : -ENOMEM;
        cJSON *output = NULL;
        const char *next = NULL;
        if (entered < 0)
            result = -ENOMEM;
        else if (++run->transitions > MAX_TRANSITIONS_PER_STEP)
            result = fail_runtime(run->step, state->name, entered,
                                  "Too many state transitions without a wait: is there a loop of states that never rest?");
        else
            result = enter_state(run, state, entered, input, input_text, &output, &next);
        cJSON_free(input_text);
        cJSON_Delete(input);
        input = output;
        if (result < 0 || !output)
            break;
        result = record_exit(run, state, output, next);
        state = next ? state_machine_find(run->machine, next) : NULL;
    }
    cJSON_Delete(input);
    return result;
}

/* Leaves the resting state with output (owned) and runs on from next (NULL: the execution succeeds). */
static int leave_state(struct run *run, const struct state_definition *state, cJSON *output, const char *next)
{
    int result = record_exit(run, state, output, next);
    if (result < 0 || !next) {
        cJSON_Delete(output);
        return result;
    }
    return run_states(run, state_machine_find(run->machine, next), output);
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

static int catch_error(struct run *run, const struct state_definition *state,
                       const struct execution_position *position, const struct catcher *catcher, const char *error,
                       const char *cause)
{
    char detail[1024];
    cJSON *input = parse_stored(position->state_input);
    cJSON *result = input ? error_output(error, cause) : NULL;
    cJSON *output = result ? place_result(&catcher->result_path, input, result, detail, sizeof(detail)) : NULL;
    if (!result)
        detail[0] = '\0';
    cJSON_Delete(input);
    if (!output)
        return detail[0] ? fail_runtime(run->step, state->name, position->state_entered_event_id, detail) : -ENOMEM;
    return leave_state(run, state, output, catcher->next);
}

/*
 * After a Task attempt's TaskFailed or TaskTimedOut: the first retrier that
 * matches retries while it has attempts left; otherwise the first matching
 * catcher takes over; otherwise the execution fails with the error.
 */
static int handle_task_error(struct run *run, const struct state_definition *state,
                             const struct execution_position *position, const char *error, const char *cause,
                             bool heartbeat)
{
    struct retry_counts counts;
    parse_retry_counts(position->retry_counts, state->retrier_count, &counts);
    for (size_t i = 0; i < state->retrier_count; i++) {
        const struct retrier *retrier = &state->retriers[i];
        if (!state_machine_error_matches(retrier->error_equals, error, heartbeat))
            continue;
        if (counts.made[i] >= retrier->max_attempts)
            break;
        run->step->delay_ms = retry_delay_ms(retrier, counts.made[i], run->environment->jitter);
        counts.made[i]++;
        run->step->retry_counts = format_retry_counts(&counts, state->retrier_count);
        if (!run->step->retry_counts)
            return -ENOMEM;
        return rest_at(run, state, position->state_entered_event_id, position->state_entered_ms,
                       position->state_input, RESTING_RETRY);
    }
    for (size_t i = 0; i < state->catcher_count; i++) {
        if (state_machine_error_matches(state->catchers[i].error_equals, error, heartbeat))
            return catch_error(run, state, position, &state->catchers[i], error, cause);
    }
    return end_failed(run->step, error, cause);
}

/* ---- entry points ---- */

int interpreter_start(const struct state_machine *machine, const struct execution_facts *facts,
                      const struct step_environment *environment, struct interpreter_step *step)
{
    struct run run = { machine, facts, environment, step, 0 };
    if (step_init(step, 0, environment->now_ms) < 0)
        return -ENOMEM;
    cJSON *details = history_details("roleArn", facts->role_arn, NULL);
    if (!details || history_add_payload(details, "input", facts->input) < 0) {
        cJSON_Delete(details);
        return -ENOMEM;
    }
    if (history_append(&step->history, "ExecutionStarted", "executionStartedEventDetails", details) < 0)
        return -ENOMEM;
    /* AWS records the first state as following event 0, not ExecutionStarted. */
    step->history.previous_event_id = 0;
    cJSON *input = parse_stored(facts->input);
    if (!input)
        return -ENOMEM;
    return run_states(&run, state_machine_find(machine, machine->start_at), input);
}

/* The state position rests at, if it rests there the way wanted; NULL otherwise. */
static const struct state_definition *resting_state(const struct state_machine *machine,
                                                    const struct execution_position *position,
                                                    enum resting_kind wanted)
{
    const struct state_definition *state = position->state_name ? state_machine_find(machine, position->state_name)
                                                                 : NULL;
    if (!state || position->resting != wanted)
        return NULL;
    return state->type == (wanted == RESTING_WAIT ? STATE_WAIT : STATE_TASK) ? state : NULL;
}

/* Which waiting Tasks an entry point applies to. */
enum task_scope { ANY_TASK, SERVICE_TASK, ACTIVITY_TASK };

/*
 * Starts the step of an outcome of the waiting Task; the state, or NULL
 * with *result set (-EINVAL when no Task of scope waits at position).
 */
static const struct state_definition *begin_task_step(const struct state_machine *machine,
                                                      const struct execution_position *position,
                                                      enum task_scope scope,
                                                      const struct step_environment *environment,
                                                      struct interpreter_step *step, int *result)
{
    const struct state_definition *state = resting_state(machine, position, RESTING_TASK);
    *result = step_init(step, position->last_event_id, environment->now_ms) < 0 ? -ENOMEM : 0;
    if (*result == 0 && (!state || (scope != ANY_TASK && runs_activity(state) != (scope == ACTIVITY_TASK))))
        *result = -EINVAL;
    return *result == 0 ? state : NULL;
}

/*
 * ResultSelector, applied to the task's result (owned); returns the selected
 * result, or NULL with detail (and *error, the error to raise).
 */
static cJSON *select_result(struct run *run, const struct state_definition *state,
                            const struct execution_position *position, cJSON *result, const char **error,
                            char *detail, size_t detail_size)
{
    if (!state->result_selector)
        return result;
    struct retry_counts counts;
    cJSON *selected = NULL;
    parse_retry_counts(position->retry_counts, state->retrier_count, &counts);
    cJSON *context = build_context(run, state, position->state_entered_ms, NULL, counts.total);
    struct intrinsic_scope scope = template_scope(run, result, context);
    if (context)
        *error = template_error(asl_parameters_evaluate_in(state->result_selector, &scope, &selected, detail,
                                                           detail_size));
    cJSON_Delete(context);
    cJSON_Delete(result);
    return selected;
}

int interpreter_task_succeeded(const struct state_machine *machine, const struct execution_facts *facts,
                               const struct execution_position *position, const char *output,
                               const struct step_environment *environment, struct interpreter_step *step)
{
    struct run run = { machine, facts, environment, step, 0 };
    int result;
    const struct state_definition *state = begin_task_step(machine, position, ANY_TASK, environment, step, &result);
    if (!state)
        return result;
    if (append_attempt_payload_event(step, state, "Succeeded", output) < 0)
        return -ENOMEM;

    char detail[4096] = "";
    const char *error = "States.Runtime";
    cJSON *state_input = parse_stored(position->state_input);
    cJSON *task_result = state_input ? cJSON_Parse(output) : NULL;
    cJSON *selected = task_result ? select_result(&run, state, position, task_result, &error, detail, sizeof(detail))
                                  : NULL;
    cJSON *state_output = selected ? process_result(state, state_input, selected, detail, sizeof(detail)) : NULL;
    cJSON_Delete(state_input);
    if (!state_output && detail[0] && strcmp(error, INTRINSIC_FAILURE_ERROR) == 0)
        return raise_task_error(&run, state, position, error, detail);
    if (!state_output)
        return detail[0] ? fail_runtime(step, state->name, position->state_entered_event_id, detail) : -ENOMEM;
    return leave_state(&run, state, state_output, state->next);
}

/*
 * An error ends the waiting Task's attempt: the event of outcome what
 * ("Failed": TaskFailed or ActivityFailed, ...), then its handling.
 */
static int end_task_attempt(const struct state_machine *machine, const struct execution_facts *facts,
                            const struct execution_position *position, enum task_scope scope, const char *what,
                            const char *error, const char *cause, bool heartbeat,
                            const struct step_environment *environment, struct interpreter_step *step)
{
    struct run run = { machine, facts, environment, step, 0 };
    int result;
    const struct state_definition *state = begin_task_step(machine, position, scope, environment, step, &result);
    if (!state)
        return result;
    result = append_attempt_event(step, state, what, attempt_details(state, "error", error, "cause", cause));
    return result < 0 ? result : handle_task_error(&run, state, position, error, cause, heartbeat);
}

int interpreter_task_failed(const struct state_machine *machine, const struct execution_facts *facts,
                            const struct execution_position *position, const char *error, const char *cause,
                            const struct step_environment *environment, struct interpreter_step *step)
{
    return end_task_attempt(machine, facts, position, ANY_TASK, "Failed", error, cause, false, environment, step);
}

int interpreter_task_timed_out(const struct state_machine *machine, const struct execution_facts *facts,
                               const struct execution_position *position, bool heartbeat,
                               const struct step_environment *environment, struct interpreter_step *step)
{
    /* AWS records a missed heartbeat as States.Timeout too, with no cause. */
    return end_task_attempt(machine, facts, position, ANY_TASK, "TimedOut", "States.Timeout", NULL, heartbeat,
                            environment, step);
}

int interpreter_task_submitted(const struct state_machine *machine, const struct execution_position *position,
                               const char *output, const struct step_environment *environment,
                               struct interpreter_step *step)
{
    int result;
    const struct state_definition *state = begin_task_step(machine, position, SERVICE_TASK, environment, step,
                                                           &result);
    if (!state)
        return result;
    return append_attempt_payload_event(step, state, "Submitted", output);
}

/* ---- activities ---- */

int interpreter_activity_started(const struct state_machine *machine, const struct execution_position *position,
                                 const char *worker_name, const struct step_environment *environment,
                                 struct interpreter_step *step)
{
    int result;
    const struct state_definition *state = begin_task_step(machine, position, ACTIVITY_TASK, environment, step,
                                                           &result);
    if (!state)
        return result;
    return append_task_event(step, "ActivityStarted", "activityStartedEventDetails",
                             history_details("workerName", worker_name, NULL));
}

int interpreter_activity_missing(const struct state_machine *machine, const struct execution_position *position,
                                 const struct step_environment *environment, struct interpreter_step *step)
{
    int result;
    const struct state_definition *state = begin_task_step(machine, position, ACTIVITY_TASK, environment, step,
                                                           &result);
    if (!state)
        return result;
    return fail_missing_activity(step, state, position->state_entered_event_id);
}

int interpreter_activity_schedule_failed(const struct state_machine *machine, const struct execution_facts *facts,
                                         const struct execution_position *position, const char *error,
                                         const char *cause, const struct step_environment *environment,
                                         struct interpreter_step *step)
{
    return end_task_attempt(machine, facts, position, ACTIVITY_TASK, "ScheduleFailed", error, cause, false,
                            environment, step);
}

int interpreter_timer_due(const struct state_machine *machine, const struct execution_facts *facts,
                          const struct execution_position *position, const struct step_environment *environment,
                          struct interpreter_step *step)
{
    struct run run = { machine, facts, environment, step, 0 };
    const struct state_definition *wait = resting_state(machine, position, RESTING_WAIT);
    const struct state_definition *retry = resting_state(machine, position, RESTING_RETRY);
    if (step_init(step, position->last_event_id, environment->now_ms) < 0)
        return -ENOMEM;
    if (retry) {
        struct retry_counts counts;
        parse_retry_counts(position->retry_counts, retry->retrier_count, &counts);
        return start_task_attempt(&run, retry, position->state_entered_event_id, position->state_entered_ms,
                                  position->state_input, &counts);
    }
    if (!wait)
        return -EINVAL;
    char detail[4096] = "";
    cJSON *input = parse_stored(position->state_input);
    cJSON *output = input ? pass_through_output(wait, input, detail, sizeof(detail)) : NULL;
    cJSON_Delete(input);
    if (!output)
        return detail[0] ? fail_runtime(step, wait->name, position->state_entered_event_id, detail) : -ENOMEM;
    return leave_state(&run, wait, output, wait->next);
}
