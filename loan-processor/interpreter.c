/*
 * interpreter - see interpreter.h.
 *
 * Input and output processing follows the ASL order for a Task:
 * InputPath -> Parameters -> (task runs) -> ResultPath -> OutputPath.
 * Any failure of that processing (a path that selects nothing, a bad
 * ResultPath target, the CDK "taskToken.$" mistake) fails the execution with
 * States.Runtime and AWS's cause text, as real Step Functions does.
 */
#include "interpreter.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asl_parameters.h"
#include "asl_path.h"
#include "wall_clock.h"

/* States run in one step without a wait; beyond this a Pass loop is assumed. */
#define MAX_TRANSITIONS_PER_STEP 1000

struct run {
    const struct state_machine *machine;
    const struct execution_facts *facts;
    struct interpreter_step *step;
    const char *fresh_token;
    int transitions;
};

const char *interpreter_status_name(enum execution_status status)
{
    static const char *const names[] = { "RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED" };
    return names[status];
}

void interpreter_step_release(struct interpreter_step *step)
{
    history_batch_release(&step->history);
    free(step->output);
    free(step->error);
    free(step->cause);
    free(step->state_name);
    free(step->state_input);
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

static int end_succeeded(struct interpreter_step *step, char *output)
{
    step->status = EXECUTION_SUCCEEDED;
    step->output = output;
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

/* Fails the execution with States.Runtime, AWS's wording around detail. */
static int fail_runtime(struct interpreter_step *step, const char *state_name, long entered_event_id,
                        const char *detail)
{
    size_t size = strlen(detail) + strlen(state_name) + 128;
    char *cause = malloc(size);
    if (!cause)
        return -ENOMEM;
    snprintf(cause, size, "An error occurred while executing the state '%s' (entered at the event id #%ld). %s",
             state_name, entered_event_id, detail);
    int result = end_failed(step, "States.Runtime", cause);
    free(cause);
    return result;
}

/* ---- input and output processing ---- */

/* Parses JSON text the engine stored or validated; NULL only when out of memory or corrupt. */
static cJSON *parse_stored(const char *text)
{
    return cJSON_Parse(text ? text : "{}");
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
        char *text = cJSON_PrintUnformatted(document);
        snprintf(detail, detail_size,
                 "Invalid path '%s' for the field '%s': the JSONPath could not be found in the input '%s'",
                 path->path, field, text ? text : "");
        cJSON_free(text);
        return NULL;
    }
    return cJSON_Duplicate(selected, true);
}

static cJSON *build_context(const struct run *run, const struct state_definition *state, int64_t entered_ms,
                            const char *token)
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
              && cJSON_AddNumberToObject(state_object, "RetryCount", 0)
              && cJSON_AddStringToObject(machine, "Id", facts->state_machine_arn)
              && cJSON_AddStringToObject(machine, "Name", facts->state_machine_name);
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
 * Places result into a copy of state_input at the state's ResultPath and
 * applies OutputPath. Takes ownership of result. Returns the state's output,
 * or NULL with detail filled (or, out of memory, an empty detail).
 */
static cJSON *process_result(const struct state_definition *state, const cJSON *state_input, cJSON *result,
                             char *detail, size_t detail_size)
{
    cJSON *document = cJSON_Duplicate(state_input, true);
    detail[0] = '\0';
    if (!document) {
        cJSON_Delete(result);
        return NULL;
    }
    if (state->result_path.is_null) {
        cJSON_Delete(result);
    } else {
        int status = asl_path_apply_result(&document, state->result_path.path, result);
        if (status < 0) {
            if (status != -ENOMEM)
                snprintf(detail, detail_size,
                         "Unable to apply ResultPath '%s' to the input: it must select a member of a JSON object",
                         state->result_path.path);
            cJSON_Delete(document);
            return NULL;
        }
    }
    cJSON *output = select_path(&state->output_path, "OutputPath", document, detail, detail_size);
    cJSON_Delete(document);
    return output;
}

/* ---- states ---- */

static int rest_at(struct run *run, const struct state_definition *state, long entered_event_id,
                   const char *input_text)
{
    struct interpreter_step *step = run->step;
    step->state_name = strdup(state->name);
    step->state_input = strdup(input_text);
    step->state_entered_event_id = entered_event_id;
    step->state_entered_ms = step->history.timestamp_ms;
    return step->state_name && step->state_input ? 0 : -ENOMEM;
}

static int schedule_task_events(struct interpreter_step *step, const char *region)
{
    struct task_request *task = &step->task;
    char *parameters = cJSON_PrintUnformatted(task->parameters);
    cJSON *scheduled = parameters ? history_details("resourceType", task->resource_type, "resource", task->resource,
                                                    "region", region, NULL)
                                  : NULL;
    bool ok = scheduled && cJSON_AddStringToObject(scheduled, "parameters", parameters);
    cJSON_free(parameters);
    if (ok && task->timeout_seconds)
        ok = cJSON_AddNumberToObject(scheduled, "timeoutInSeconds", (double)task->timeout_seconds) != NULL;
    if (ok && task->heartbeat_seconds)
        ok = cJSON_AddNumberToObject(scheduled, "heartbeatInSeconds", (double)task->heartbeat_seconds) != NULL;
    if (!ok) {
        cJSON_Delete(scheduled);
        return -ENOMEM;
    }
    if (history_append(&step->history, "TaskScheduled", "taskScheduledEventDetails", scheduled) < 0)
        return -ENOMEM;
    cJSON *started = history_details("resourceType", task->resource_type, "resource", task->resource, NULL);
    if (!started || history_append(&step->history, "TaskStarted", "taskStartedEventDetails", started) < 0)
        return -ENOMEM;
    return 0;
}

static int enter_task(struct run *run, const struct state_definition *state, long entered_event_id,
                      const cJSON *input, const char *input_text)
{
    struct interpreter_step *step = run->step;
    struct task_request *task = &step->task;
    char detail[4096];
    cJSON *effective = select_path(&state->input_path, "InputPath", input, detail, sizeof(detail));
    if (!effective)
        return fail_runtime(step, state->name, entered_event_id, detail);

    task->token = strdup(run->fresh_token);
    cJSON *context = build_context(run, state, step->history.timestamp_ms, run->fresh_token);
    int result = -ENOMEM;
    if (task->token && context) {
        if (state->parameters)
            result = asl_parameters_evaluate(state->parameters, effective, context, &task->parameters, detail,
                                             sizeof(detail));
        else
            result = (task->parameters = cJSON_Duplicate(effective, true)) ? 0 : -ENOMEM;
    }
    cJSON_Delete(context);
    cJSON_Delete(effective);
    if (result == -ENOMEM)
        return result;
    if (result < 0)
        return fail_runtime(step, state->name, entered_event_id, detail);

    const char *unresolved = NULL;
    if (asl_parameters_find_unresolved_key(task->parameters, &unresolved) == 0) {
        char *parameters = cJSON_PrintUnformatted(task->parameters);
        size_t size = (parameters ? strlen(parameters) : 0) + strlen(unresolved) + 256;
        char *message = malloc(size);
        if (message)
            snprintf(message, size,
                     "The Parameters '%s' could not be used to start the Task: [The value for the field '%s' must be "
                     "a valid JSONPath or a valid intrinsic function call]",
                     parameters ? parameters : "", unresolved);
        cJSON_free(parameters);
        result = message ? fail_runtime(step, state->name, entered_event_id, message) : -ENOMEM;
        free(message);
        return result;
    }

    task->resource_arn = state->resource;
    task->timeout_seconds = state->timeout_seconds;
    task->heartbeat_seconds = state->heartbeat_seconds;
    state_machine_split_resource(state->resource, task->resource_type, sizeof(task->resource_type), task->resource,
                                 sizeof(task->resource));
    if ((result = schedule_task_events(step, run->facts->region)) < 0)
        return result;
    step->has_task = true;
    return rest_at(run, state, entered_event_id, input_text);
}

/* Pass: Result (or Parameters, or the effective input) placed by ResultPath. */
static cJSON *pass_output(struct run *run, const struct state_definition *state, const cJSON *input, char *detail,
                          size_t detail_size)
{
    cJSON *effective = select_path(&state->input_path, "InputPath", input, detail, detail_size);
    cJSON *result = NULL;
    if (!effective)
        return NULL;
    if (state->result) {
        result = cJSON_Duplicate(state->result, true);
    } else if (state->parameters) {
        cJSON *context = build_context(run, state, run->step->history.timestamp_ms, NULL);
        if (context)
            asl_parameters_evaluate(state->parameters, effective, context, &result, detail, detail_size);
        cJSON_Delete(context);
    } else {
        result = cJSON_Duplicate(effective, true);
    }
    cJSON_Delete(effective);
    if (!result)
        return NULL;
    return process_result(state, input, result, detail, detail_size);
}

static cJSON *succeed_output(const struct state_definition *state, const cJSON *input, char *detail,
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
 * Runs states from state with input (owned) until a Task waits or the
 * execution ends.
 */
static int run_states(struct run *run, const struct state_definition *state, cJSON *input)
{
    struct interpreter_step *step = run->step;
    char detail[4096];
    int result = 0;

    while (state && result == 0) {
        char *input_text = cJSON_PrintUnformatted(input);
        long entered = input_text ? append_state_entered(step, state, input_text) : -ENOMEM;
        cJSON *output = NULL;
        detail[0] = '\0';
        if (entered < 0) {
            result = -ENOMEM;
        } else if (++run->transitions > MAX_TRANSITIONS_PER_STEP) {
            result = fail_runtime(step, state->name, entered,
                                  "Too many state transitions without a wait: is there a loop of Pass states?");
        } else if (state->type == STATE_TASK) {
            result = enter_task(run, state, entered, input, input_text);
        } else if (state->type == STATE_FAIL) {
            result = end_failed(step, state->error, state->cause);
        } else {
            output = state->type == STATE_PASS ? pass_output(run, state, input, detail, sizeof(detail))
                                               : succeed_output(state, input, detail, sizeof(detail));
            if (!output)
                result = detail[0] ? fail_runtime(step, state->name, entered, detail) : -ENOMEM;
        }
        cJSON_free(input_text);
        cJSON_Delete(input);
        input = NULL;
        if (!output)
            break;

        char *output_text = cJSON_PrintUnformatted(output);
        if (!output_text || append_state_exited(step, state, output_text) < 0) {
            cJSON_free(output_text);
            cJSON_Delete(output);
            return -ENOMEM;
        }
        if (state->type == STATE_SUCCEED || !state->next) {
            cJSON_Delete(output);
            char *copy = strdup(output_text);
            cJSON_free(output_text);
            return copy ? end_succeeded(step, copy) : -ENOMEM;
        }
        cJSON_free(output_text);
        state = state_machine_find(run->machine, state->next);
        input = output;
    }
    cJSON_Delete(input);
    return result;
}

int interpreter_start(const struct state_machine *machine, const struct execution_facts *facts, int64_t now_ms,
                      const char *fresh_token, struct interpreter_step *step)
{
    struct run run = { machine, facts, step, fresh_token, 0 };
    if (step_init(step, 0, now_ms) < 0)
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

static const struct state_definition *waiting_task(const struct state_machine *machine,
                                                   const struct execution_position *position)
{
    const struct state_definition *state = position->state_name ? state_machine_find(machine, position->state_name)
                                                                 : NULL;
    return state && state->type == STATE_TASK ? state : NULL;
}

static cJSON *task_details(const char *resource_arn, const char *first_member, const char *first_value,
                           const char *second_member, const char *second_value)
{
    char type[64] = "", name[128] = "";
    state_machine_split_resource(resource_arn, type, sizeof(type), name, sizeof(name));
    return history_details("resourceType", type, "resource", name, first_member, first_value, second_member,
                           second_value, NULL);
}

static int append_task_payload_event(struct interpreter_step *step, const char *type, const char *details_member,
                                     const char *resource_arn, const char *output)
{
    cJSON *details = task_details(resource_arn, NULL, NULL, NULL, NULL);
    if (!details || history_add_payload(details, "output", output) < 0) {
        cJSON_Delete(details);
        return -ENOMEM;
    }
    return history_append(&step->history, type, details_member, details) < 0 ? -ENOMEM : 0;
}

int interpreter_task_succeeded(const struct state_machine *machine, const struct execution_facts *facts,
                               const struct execution_position *position, const char *resource_arn,
                               const char *output, int64_t now_ms, const char *fresh_token,
                               struct interpreter_step *step)
{
    struct run run = { machine, facts, step, fresh_token, 0 };
    const struct state_definition *state = waiting_task(machine, position);
    if (step_init(step, position->last_event_id, now_ms) < 0)
        return -ENOMEM;
    if (!state)
        return -EINVAL;
    if (append_task_payload_event(step, "TaskSucceeded", "taskSucceededEventDetails", resource_arn, output) < 0)
        return -ENOMEM;

    char detail[4096];
    cJSON *state_input = parse_stored(position->state_input);
    cJSON *result = cJSON_Parse(output);
    if (!state_input || !result) {
        cJSON_Delete(state_input);
        cJSON_Delete(result);
        return -ENOMEM;
    }
    cJSON *state_output = process_result(state, state_input, result, detail, sizeof(detail));
    cJSON_Delete(state_input);
    if (!state_output)
        return detail[0] ? fail_runtime(step, state->name, position->state_entered_event_id, detail) : -ENOMEM;

    char *output_text = cJSON_PrintUnformatted(state_output);
    if (!output_text || append_state_exited(step, state, output_text) < 0) {
        cJSON_free(output_text);
        cJSON_Delete(state_output);
        return -ENOMEM;
    }
    if (!state->next) {
        cJSON_Delete(state_output);
        char *copy = strdup(output_text);
        cJSON_free(output_text);
        return copy ? end_succeeded(step, copy) : -ENOMEM;
    }
    cJSON_free(output_text);
    return run_states(&run, state_machine_find(machine, state->next), state_output);
}

int interpreter_task_failed(const struct state_machine *machine, const struct execution_facts *facts,
                            const struct execution_position *position, const char *resource_arn,
                            const char *error, const char *cause, int64_t now_ms, struct interpreter_step *step)
{
    (void)facts;
    if (step_init(step, position->last_event_id, now_ms) < 0)
        return -ENOMEM;
    if (!waiting_task(machine, position))
        return -EINVAL;
    cJSON *details = task_details(resource_arn, "error", error, "cause", cause);
    if (!details || history_append(&step->history, "TaskFailed", "taskFailedEventDetails", details) < 0)
        return -ENOMEM;
    return end_failed(step, error, cause);
}

int interpreter_task_submitted(const struct execution_position *position, const char *resource_arn,
                               const char *output, int64_t now_ms, struct interpreter_step *step)
{
    if (step_init(step, position->last_event_id, now_ms) < 0)
        return -ENOMEM;
    return append_task_payload_event(step, "TaskSubmitted", "taskSubmittedEventDetails", resource_arn, output);
}
