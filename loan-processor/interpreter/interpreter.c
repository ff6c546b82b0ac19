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

#include "interpreter_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activity_arn.h"
#include "asl_jsonata.h"
#include "asl_parameters.h"
#include "asl_path.h"
#include "choice_rule.h"
#include "intrinsic_functions.h"
#include "wall_clock.h"

const char *interpreter_status_name(enum execution_status status)
{
    static const char *const names[] = { "RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED" };
    return names[status];
}

static const char *const resting_names[] = { "task", "wait", "retry", "continue", "fork" };

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
    free(step->map_run_arn);
    cJSON_Delete(step->task.parameters);
    free(step->task.token);
    interpreter_release_children(step);
    cJSON_Delete(step->variables);
    cJSON_Delete(step->assigned);
    memset(step, 0, sizeof(*step));
}

int interpreter_step_init(struct interpreter_step *step, long stored_events, int64_t now_ms)
{
    memset(step, 0, sizeof(*step));
    step->status = EXECUTION_RUNNING;
    return history_batch_init(&step->history, stored_events, now_ms);
}

/* ---- Fail, Wait, Choice, Pass, Succeed ---- */

/* An intrinsic call in a Fail state's ErrorPath or CausePath, evaluated on input; *value is the caller's. */
static int fail_intrinsic(struct run *run, const struct state_definition *state, const char *call, const cJSON *input,
                          cJSON **value, char *detail, size_t detail_size)
{
    cJSON *context = interpreter_build_context(run, state, run->step->history.timestamp_ms, NULL, 0);
    struct intrinsic_scope scope = interpreter_template_scope(run, input, context);
    int rc = context ? intrinsic_evaluate(call, &scope, value, detail, detail_size) : -ENOMEM;

    cJSON_Delete(context);
    return rc;
}

/*
 * A Fail state's Error or Cause: the fixed text, or the string its Path (a path or an intrinsic call) gives
 * (NULL when neither is set). *owned keeps a computed value alive until the text is used (cJSON_Delete it).
 */
static int fail_text(struct run *run, const struct state_definition *state, const char *fixed, const char *path,
                     const char *field, const cJSON *input, const char **text, cJSON **owned, char *detail,
                     size_t detail_size)
{
    const cJSON *value;
    *text = fixed;
    if (!path)
        return 0;
    if (intrinsic_is_call(path)) {
        int rc = fail_intrinsic(run, state, path, input, owned, detail, detail_size);
        if (rc < 0)
            return rc;
        value = *owned;
    } else if (!(value = interpreter_select_field(path, field, input, run->step->variables, detail, detail_size))) {
        return -EINVAL;
    }
    if (!cJSON_IsString(value)) {
        snprintf(detail, detail_size, "The value selected by '%s' for the field '%s' must be a string", path, field);
        return -EINVAL;
    }
    *text = value->valuestring;
    return 0;
}

/* A JSONata Fail's Error or Cause (*value NULL when absent), which must evaluate to a string. */
static int jsonata_fail_text(struct run *run, const struct state_definition *state, const char *field,
                             const struct jsonata_states *states, cJSON **value, char *detail, size_t detail_size)
{
    int result = interpreter_jsonata_field(run, state, state->json, field, states, value, detail, detail_size);
    if (result == 0 && *value && !cJSON_IsString(*value)) {
        snprintf(detail, detail_size, "The value of the field '%s' must be a string", field);
        result = -EINVAL;
    }
    return result;
}

static int enter_jsonata_fail(struct run *run, const struct state_definition *state, struct history_ref entered,
                              const cJSON *input)
{
    char detail[4096] = "";
    struct jsonata_states states = { .input = input, .entered_ms = run->step->history.timestamp_ms };
    cJSON *error = NULL, *cause = NULL;
    int result = jsonata_fail_text(run, state, "Error", &states, &error, detail, sizeof(detail));
    if (result == 0)
        result = jsonata_fail_text(run, state, "Cause", &states, &cause, detail, sizeof(detail));
    if (result == 0)
        result = interpreter_end_failed(run->step, cJSON_GetStringValue(error), cJSON_GetStringValue(cause));
    else if (result == -EINVAL)
        result = interpreter_fail_state(run->step, QUERY_EVALUATION_ERROR, state->name, entered, detail);
    cJSON_Delete(error);
    cJSON_Delete(cause);
    return result;
}

static int enter_fail(struct run *run, const struct state_definition *state, struct history_ref entered,
                      const cJSON *input)
{
    char detail[4096] = "";
    const char *error = NULL, *cause = NULL;
    if (state->jsonata)
        return enter_jsonata_fail(run, state, entered, input);
    cJSON *error_value = NULL, *cause_value = NULL;
    int rc = fail_text(run, state, state->error, state->error_path, "ErrorPath", input, &error, &error_value, detail,
                       sizeof(detail));
    if (rc == 0)
        rc = fail_text(run, state, state->cause, state->cause_path, "CausePath", input, &cause, &cause_value, detail,
                       sizeof(detail));
    if (rc == 0)
        rc = interpreter_end_failed(run->step, error, cause);
    else if (rc != -ENOMEM)
        rc = interpreter_fail_state(run->step, interpreter_template_error(rc), state->name, entered, detail);
    cJSON_Delete(error_value);
    cJSON_Delete(cause_value);
    return rc;
}

/* AWS's cause for a TimestampPath value that is no timestamp (a string quoted as is, any other value as JSON). */
static int describe_bad_timestamp(const char *path, const cJSON *value, char *detail, size_t detail_size)
{
    char *text = cJSON_IsString(value) ? NULL : interpreter_print_document(value);
    snprintf(detail, detail_size,
             "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format "
             "string: %s == %s",
             path, cJSON_IsString(value) ? value->valuestring : (text ? text : ""));
    cJSON_free(text);
    return -EINVAL;
}

/* A JSONata Wait's Seconds or Timestamp, when an expression, into *seconds or *timestamp (owned). */
static int jsonata_wait_fields(struct run *run, const struct state_definition *state, const cJSON *input, long *seconds,
                               cJSON **timestamp, char *detail, size_t detail_size)
{
    struct jsonata_states states = { .input = input, .entered_ms = run->step->history.timestamp_ms };
    const cJSON *template = cJSON_GetObjectItemCaseSensitive(state->json, "Timestamp");
    int result = interpreter_jsonata_whole_number(run, state, "Seconds", &states, 0, seconds, detail, detail_size);
    if (result == 0 && template)
        result =
            interpreter_jsonata_evaluate(run, state, template, "Timestamp", &states, timestamp, detail, detail_size);
    return result;
}

/* How long a Wait state waits from now (ms, may be <= 0); -EINVAL with detail on a runtime error. */
static int wait_delay(const struct state_definition *state, const cJSON *effective, const cJSON *variables,
                      int64_t now_ms, long fixed_seconds, const char *fixed_timestamp, int64_t *delay_ms, char *detail,
                      size_t detail_size)
{
    long seconds = state->wait_seconds;
    int64_t until_ms;
    if (state->jsonata && fixed_seconds >= 0)
        seconds = fixed_seconds;
    if (state->wait_seconds_path
        && interpreter_select_whole_number(state->wait_seconds_path, "SecondsPath", 0, effective, &seconds, variables,
                                           detail, detail_size)
               < 0)
        return -EINVAL;
    if (seconds >= 0) {
        *delay_ms = (int64_t)seconds * 1000;
        return 0;
    }
    const char *timestamp = fixed_timestamp ? fixed_timestamp : state->wait_timestamp;
    if (state->wait_timestamp_path) {
        const cJSON *value = interpreter_select_field(state->wait_timestamp_path, "TimestampPath", effective, variables,
                                                      detail, detail_size);
        if (!value)
            return -EINVAL;
        timestamp = cJSON_GetStringValue(value);
        if (!timestamp || wall_clock_parse_iso8601(timestamp, &until_ms) < 0)
            return describe_bad_timestamp(state->wait_timestamp_path, value, detail, detail_size);
    } else if (!timestamp || wall_clock_parse_iso8601(timestamp, &until_ms) < 0) {
        snprintf(detail, detail_size,
                 "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: %s",
                 timestamp ? timestamp : "");
        return -EINVAL;
    }
    *delay_ms = until_ms - now_ms;
    return 0;
}

/* A Wait's Assign, against its effective input; a failure fails the execution (*failed). 0 or -ENOMEM. */
static int assign_wait(struct run *run, const struct state_definition *state, const cJSON *input, int64_t entered_ms,
                       struct history_ref entered, bool *failed)
{
    char detail[4096] = "";
    const char *error = "States.Runtime";
    *failed = false;
    if (!state->assign || state->jsonata)
        return 0;
    cJSON *effective =
        interpreter_select_path(run, state, entered_ms, &state->input_path, "InputPath", input, detail, sizeof(detail));
    int result =
        effective ? interpreter_assign(run, state, state->assign, effective, entered_ms, &error, detail, sizeof(detail))
                  : (detail[0] ? -EINVAL : -ENOMEM);
    cJSON_Delete(effective);
    if (result != -EINVAL)
        return result;
    *failed = true;
    return interpreter_fail_state(run->step, error, state->name, entered, detail);
}

/*
 * A state that passes its input on (Wait, Succeed): its output, or NULL
 * with detail (and *error) on a failure. JSONata: its Output and Assign.
 */
static cJSON *pass_on(struct run *run, const struct state_definition *state, const cJSON *input, int64_t entered_ms,
                      const char **error, char *detail, size_t detail_size)
{
    struct jsonata_states states = { .input = input, .entered_ms = entered_ms };
    if (!state->jsonata)
        return interpreter_pass_through_output(run, state, entered_ms, input, detail, detail_size);
    *error = QUERY_EVALUATION_ERROR;
    return interpreter_jsonata_output(run, state, state->json, &states, input, detail, detail_size);
}

/* A Wait's output once its time has come (its Assign first); a failure fails the execution. 0 or -ENOMEM. */
static int wait_output(struct run *run, const struct state_definition *state, const cJSON *input, int64_t entered_ms,
                       struct history_ref entered, cJSON **output)
{
    char detail[4096] = "";
    const char *error = "States.Runtime";
    bool failed = false;
    int result = assign_wait(run, state, input, entered_ms, entered, &failed);
    if (result < 0 || failed)
        return result;
    *output = pass_on(run, state, input, entered_ms, &error, detail, sizeof(detail));
    if (!*output)
        return detail[0] ? interpreter_fail_state(run->step, error, state->name, entered, detail) : -ENOMEM;
    return 0;
}

/*
 * A Wait state: rests until its time, or (a time already past) passes its
 * input on at once through *output.
 */
static int enter_wait(struct run *run, const struct state_definition *state, struct history_ref entered,
                      const cJSON *input, const char *input_text, cJSON **output)
{
    char detail[4096] = "";
    int64_t delay_ms = 0;
    long seconds = -1;
    cJSON *timestamp = NULL;
    int result =
        state->jsonata ? jsonata_wait_fields(run, state, input, &seconds, &timestamp, detail, sizeof(detail)) : 0;
    if (result == 0 && timestamp && !cJSON_IsString(timestamp)) {
        snprintf(detail, sizeof(detail), "The value of the field 'Timestamp' must be a string");
        result = -EINVAL;
    }
    if (result == -EINVAL) {
        cJSON_Delete(timestamp);
        return interpreter_fail_state(run->step, QUERY_EVALUATION_ERROR, state->name, entered, detail);
    }
    cJSON *effective = result == 0
                           ? interpreter_select_path(run, state, run->step->history.timestamp_ms, &state->input_path,
                                                     "InputPath", input, detail, sizeof(detail))
                           : NULL;
    result = effective ? wait_delay(state, effective, run->step->variables, run->environment->now_ms, seconds,
                                    cJSON_GetStringValue(timestamp), &delay_ms, detail, sizeof(detail))
                       : (detail[0] ? -EINVAL : -ENOMEM);
    cJSON_Delete(effective);
    cJSON_Delete(timestamp);
    if (result == -EINVAL)
        return interpreter_fail_state(run->step, state->jsonata ? QUERY_EVALUATION_ERROR : "States.Runtime",
                                      state->name, entered, detail);
    if (result < 0)
        return result;
    if (delay_ms > 0) {
        run->step->delay_ms = delay_ms < MAX_DELAY_MS ? delay_ms : MAX_DELAY_MS;
        return interpreter_rest_at(run, state, entered, run->step->history.timestamp_ms, input_text, RESTING_WAIT);
    }
    return wait_output(run, state, input, run->step->history.timestamp_ms, entered, output);
}

/* No rule matched and the Choice has no Default: the execution fails. */
static int no_choice_matched(struct run *run, const struct state_definition *state, struct history_ref entered)
{
    char id[HISTORY_REF_TEXT_SIZE], detail[1024];
    snprintf(detail, sizeof(detail),
             "An error occurred while executing the state '%s' (entered at the event id #%s). No Choice Rule matched "
             "the input and the state has no Default",
             state->name, history_format_ref(entered, id));
    return interpreter_end_failed_quoting(run->step, "States.NoChoiceMatched", detail, entered.batch_index > 0);
}

/* Whether a JSONata Choice rule's Condition holds; -EINVAL with detail when it is no boolean. */
static int jsonata_condition(struct run *run, const struct state_definition *state, const cJSON *rule,
                             const struct jsonata_states *states, bool *holds, char *detail, size_t detail_size)
{
    const cJSON *template = cJSON_GetObjectItemCaseSensitive(rule, "Condition");
    cJSON *value = NULL;
    int result = interpreter_jsonata_evaluate(run, state, template, "Condition", states, &value, detail, detail_size);
    if (result == 0 && !cJSON_IsBool(value)) {
        const char *text = "";
        size_t length = 0;
        char *printed = interpreter_print_document(value);
        (void)asl_jsonata_expression(template, &text, &length);
        snprintf(detail, detail_size,
                 "The JSONata expression '%.*s' specified for the field 'Condition' returned an unexpected result "
                 "type. Expected 'boolean', but was '%s' for value: %s",
                 (int)length, text, interpreter_jsonata_type_name(value), printed ? printed : "");
        cJSON_free(printed);
        result = -EINVAL;
    }
    *holds = cJSON_IsTrue(value);
    cJSON_Delete(value);
    return result;
}

/* A JSONata Choice: the first rule whose Condition holds, with its Output and Assign (or the state's for Default). */
static int enter_jsonata_choice(struct run *run, const struct state_definition *state, struct history_ref entered,
                                const cJSON *input, cJSON **output, const char **next)
{
    char detail[4096] = "";
    struct jsonata_states states = { .input = input, .entered_ms = run->step->history.timestamp_ms };
    const cJSON *rule, *chosen = NULL;
    int result = 0;
    *next = NULL;
    cJSON_ArrayForEach(rule, cJSON_GetObjectItemCaseSensitive(state->json, "Choices"))
    {
        bool holds = false;
        if ((result = jsonata_condition(run, state, rule, &states, &holds, detail, sizeof(detail))) < 0 || holds)
            break;
    }
    if (result == 0 && rule) {
        chosen = rule;
        *next = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rule, "Next"));
    } else if (result == 0) {
        chosen = state->json;
        *next = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(state->json, "Default"));
    }
    if (result == 0 && *next) {
        *output = interpreter_jsonata_output(run, state, chosen, &states, input, detail, sizeof(detail));
        result = *output ? 0 : detail[0] ? -EINVAL : -ENOMEM;
    }
    if (result == -EINVAL)
        return interpreter_fail_state(run->step, QUERY_EVALUATION_ERROR, state->name, entered, detail);
    if (result < 0 || *next)
        return result;
    return no_choice_matched(run, state, entered);
}

static int enter_choice(struct run *run, const struct state_definition *state, struct history_ref entered,
                        const cJSON *input, cJSON **output, const char **next)
{
    char detail[4096] = "";
    if (state->jsonata)
        return enter_jsonata_choice(run, state, entered, input, output, next);
    cJSON *effective = interpreter_select_path(run, state, run->step->history.timestamp_ms, &state->input_path,
                                               "InputPath", input, detail, sizeof(detail));
    if (!effective)
        return detail[0] ? interpreter_fail_runtime(run->step, state->name, entered, detail) : -ENOMEM;
    cJSON *context = interpreter_build_context(run, state, run->step->history.timestamp_ms, NULL, 0);
    const cJSON *assign = NULL;
    const char *error = "States.Runtime";
    int result = context ? choice_state_evaluate_in(state->choice, effective, context, run->step->variables, next,
                                                    &assign, detail, sizeof(detail))
                         : -ENOMEM;
    cJSON_Delete(context);
    if (result == 0 && *next)
        result = interpreter_assign(run, state, assign, effective, run->step->history.timestamp_ms, &error, detail,
                                    sizeof(detail));
    if (result == 0 && *next) {
        *output = interpreter_select_path(run, state, run->step->history.timestamp_ms, &state->output_path,
                                          "OutputPath", effective, detail, sizeof(detail));
        if (!*output)
            result = detail[0] ? -EINVAL : -ENOMEM;
    }
    cJSON_Delete(effective);
    if (result == -EINVAL)
        return interpreter_fail_state(run->step, error, state->name, entered, detail);
    if (result < 0 || *next)
        return result;
    return no_choice_matched(run, state, entered);
}

/*
 * Pass: Result (or Parameters, or the effective input) placed by ResultPath.
 * NULL with detail (and *error, the error to raise) on a failure.
 */
static cJSON *pass_output(struct run *run, const struct state_definition *state, const cJSON *input, const char **error,
                          char *detail, size_t detail_size)
{
    if (state->jsonata)
        return pass_on(run, state, input, run->step->history.timestamp_ms, error, detail, detail_size);
    cJSON *effective = interpreter_select_path(run, state, run->step->history.timestamp_ms, &state->input_path,
                                               "InputPath", input, detail, detail_size);
    cJSON *result = NULL;
    if (!effective)
        return NULL;
    if (state->result) {
        result = cJSON_Duplicate(state->result, true);
    } else if (state->parameters) {
        cJSON *context = interpreter_build_context(run, state, run->step->history.timestamp_ms, NULL, 0);
        struct intrinsic_scope scope = interpreter_template_scope(run, effective, context);
        if (context)
            *error = interpreter_template_error(
                asl_parameters_evaluate_in(state->parameters, &scope, &result, detail, detail_size));
        cJSON_Delete(context);
    } else {
        result = cJSON_Duplicate(effective, true);
    }
    cJSON_Delete(effective);
    if (result
        && interpreter_assign(run, state, state->assign, result, run->step->history.timestamp_ms, error, detail,
                              detail_size)
               < 0) {
        cJSON_Delete(result);
        return NULL;
    }
    if (!result)
        return NULL;
    return interpreter_process_result(run, state, run->step->history.timestamp_ms, input, result, detail, detail_size);
}

/*
 * Runs state with input after its StateEntered event. Sets *output (owned
 * by the caller) and *next when the run goes straight on; leaves *output
 * NULL when the execution now rests or has ended.
 */
static int enter_state(struct run *run, const struct state_definition *state, struct history_ref entered,
                       const cJSON *input, const char *input_text, cJSON **output, const char **next)
{
    static const struct retry_counts no_retries;
    char detail[4096] = "";
    const char *error = "States.Runtime";
    *next = state->next;
    switch (state->type) {
    case STATE_TASK:
        return interpreter_start_task_attempt(run, state, entered, run->step->history.timestamp_ms, input_text,
                                              &no_retries);
    case STATE_FAIL:
        return enter_fail(run, state, entered, input);
    case STATE_WAIT:
        return enter_wait(run, state, entered, input, input_text, output);
    case STATE_CHOICE:
        return enter_choice(run, state, entered, input, output, next);
    case STATE_PASS:
        *output = pass_output(run, state, input, &error, detail, sizeof(detail));
        break;
    case STATE_SUCCEED:
        *next = NULL;
        *output = pass_on(run, state, input, run->step->history.timestamp_ms, &error, detail, sizeof(detail));
        break;
    case STATE_PARALLEL:
    case STATE_MAP:
        return interpreter_enter_fork(run, state, entered, run->step->history.timestamp_ms, input_text, NULL, output);
    }
    if (!*output && strcmp(error, "States.DataLimitExceeded") == 0)
        return interpreter_fail_data_limit(run->step, state);
    if (!*output)
        return detail[0] ? interpreter_fail_state(run->step, error, state->name, entered, detail) : -ENOMEM;
    return 0;
}

/*
 * StateExited with output, and ExecutionSucceeded when there is no next
 * state; an output over the data limit fails the execution instead (*ended).
 */
static int record_exit(struct run *run, const struct state_definition *state, const cJSON *output, const char *next,
                       bool *ended)
{
    int result = 0;
    char *text = NULL;

    *ended = interpreter_over_nesting_limit(run->step, state, output, &result);
    if (*ended)
        return result;
    text = interpreter_print_document(output);
    result = text ? 0 : -ENOMEM;
    *ended = text && interpreter_over_data_limit(run->step, state, text, &result);
    if (result == 0 && !*ended)
        result = interpreter_append_state_exited(run->step, state, text);
    if (result == 0 && !*ended && !next)
        result = interpreter_end_succeeded(run->step, text);
    cJSON_free(text);
    return result;
}

/* The history has no room for a state's events: the execution fails, as AWS fails one at its limit. */
static int fail_history_full(struct run *run)
{
    char cause[160];

    snprintf(cause, sizeof cause, "The execution reached the maximum number of history events (%d).",
             INTERPRETER_MAX_HISTORY_EVENTS);
    return interpreter_end_failed(run->step, "States.Runtime", cause);
}

/* The step has run its share: the execution rests, to enter state with input_text when its zero-delay timer fires. */
static int yield_before(struct run *run, const struct state_definition *state, const char *input_text)
{
    run->step->delay_ms = 0;
    return interpreter_rest_at(run, state, history_ref_stored(0), run->step->history.timestamp_ms, input_text,
                               RESTING_CONTINUE);
}

bool interpreter_step_is_full(const struct run *run)
{
    return run->budget->transitions >= TRANSITIONS_PER_STEP || run->budget->input_bytes >= INPUT_BYTES_PER_STEP;
}

const struct state_definition *interpreter_find_state(const struct run *run, const char *name)
{
    if (!name)
        return NULL;
    return run->scope == &run->machine->root ? state_machine_find(run->machine, name)
                                             : state_machine_scope_find(run->scope, name);
}

int interpreter_cursor_enter(struct run *run, struct state_cursor *cursor)
{
    char *input_text = interpreter_print_document(cursor->input);
    struct history_ref entered;
    int result;

    cursor->output = NULL;
    cursor->next = NULL;
    if (!input_text) {
        result = -ENOMEM;
    } else if (interpreter_step_is_full(run)) {
        result = yield_before(run, cursor->state, input_text);
    } else if (history_total_events(&run->step->history) + 2 > INTERPRETER_MAX_HISTORY_EVENTS) {
        result = fail_history_full(run);
    } else {
        run->budget->transitions++;
        run->budget->input_bytes += strlen(input_text);
        result = interpreter_append_state_entered(run->step, cursor->state, input_text, &entered);
        if (result == 0)
            result =
                enter_state(run, cursor->state, entered, cursor->input, input_text, &cursor->output, &cursor->next);
    }
    cJSON_free(input_text);
    cJSON_Delete(cursor->input);
    cursor->input = NULL;
    if (result < 0 || !cursor->output)
        cursor->state = NULL;
    return result;
}

int interpreter_cursor_exit(struct run *run, struct state_cursor *cursor)
{
    bool ended = false;
    int result = record_exit(run, cursor->state, cursor->output, cursor->next, &ended);

    cursor->input = cursor->output;
    cursor->output = NULL;
    cursor->state = result == 0 && !ended ? interpreter_find_state(run, cursor->next) : NULL;
    return result;
}

void interpreter_cursor_release(struct state_cursor *cursor)
{
    cJSON_Delete(cursor->input);
    cJSON_Delete(cursor->output);
    memset(cursor, 0, sizeof(*cursor));
}

/*
 * Runs states from state with input (owned) until the branch rests or
 * ends, or the step has run its share and yields. Iterative, so a long
 * chain of states costs no stack.
 */
static int run_states(struct run *run, const struct state_definition *state, cJSON *input)
{
    struct state_cursor cursor = { state, input, NULL, NULL };
    int result = 0;

    while (cursor.state && result == 0) {
        result = interpreter_cursor_enter(run, &cursor);
        if (result == 0 && cursor.state)
            result = interpreter_cursor_exit(run, &cursor);
    }
    interpreter_cursor_release(&cursor);
    return result;
}

int interpreter_leave_state(struct run *run, const struct state_definition *state, cJSON *output, const char *next)
{
    bool ended = false;
    int result = record_exit(run, state, output, next, &ended);
    if (result < 0 || !next || ended) {
        cJSON_Delete(output);
        return result;
    }
    return run_states(run, interpreter_find_state(run, next), output);
}

/* ---- entry points ---- */

int interpreter_start(const struct state_machine *machine, const struct execution_facts *facts,
                      const struct step_environment *environment, struct interpreter_step *step)
{
    struct step_budget budget = { 0 };
    struct run run = { machine, facts, environment, step, &budget, &machine->root, "", -1, NULL };
    if (interpreter_step_init(step, 0, environment->now_ms) < 0)
        return -ENOMEM;
    cJSON *details = history_details("roleArn", facts->role_arn, NULL);
    if (!details || history_add_payload(details, "input", facts->input) < 0
        || (facts->alias_arn && !cJSON_AddStringToObject(details, "stateMachineAliasArn", facts->alias_arn))
        || (facts->version_arn && !cJSON_AddStringToObject(details, "stateMachineVersionArn", facts->version_arn))) {
        cJSON_Delete(details);
        return -ENOMEM;
    }
    if (history_append(&step->history, "ExecutionStarted", "executionStartedEventDetails", details) < 0)
        return -ENOMEM;
    /* AWS records the first state as following event 0, not ExecutionStarted. */
    history_set_previous(&step->history, history_ref_stored(0));
    cJSON *input = interpreter_parse_stored(facts->input);
    if (!input)
        return -ENOMEM;
    return run_states(&run, interpreter_find_state(&run, machine->start_at), input);
}

/*
 * Starts the step of position's branch: *run runs it (within budget) and
 * step reports a child's end as such. Returns 0, -ENOMEM, or -EINVAL for a
 * branch id that names no branch of machine.
 */
static int begin_branch_step(const struct state_machine *machine, const struct execution_facts *facts,
                             const struct execution_position *position, const struct step_environment *environment,
                             struct step_budget *budget, struct interpreter_step *step, struct run *run)
{
    const char *branch_id = position->branch_id ? position->branch_id : "";
    const struct state_scope *scope = state_machine_branch_scope(machine, branch_id);
    bool iteration = scope && scope->fork && scope->fork->type == STATE_MAP;

    if (interpreter_step_init(step, position->stored_events, environment->now_ms) < 0
        || interpreter_load_variables(step, position->variables) < 0)
        return -ENOMEM;
    if (!scope)
        return -EINVAL;
    *run = (struct run){ machine,
                         facts,
                         environment,
                         step,
                         budget,
                         scope,
                         branch_id,
                         iteration ? position->map_index : -1,
                         iteration ? position->map_item : NULL };
    step->in_child = branch_id[0] != '\0';
    step->child_execution = iteration && scope->fork->map.distributed;
    step->iteration_of = iteration && !step->child_execution ? scope->fork->name : NULL;
    step->map_index = run->map_index;
    return 0;
}

/* The state position rests at, if it rests there the way wanted; NULL otherwise. */
static const struct state_definition *resting_state(const struct run *run, const struct execution_position *position,
                                                    enum resting_kind wanted)
{
    const struct state_definition *state = interpreter_find_state(run, position->state_name);
    if (!state || position->resting != wanted)
        return NULL;
    if (wanted == RESTING_RETRY)
        return state->type == STATE_TASK || state->type == STATE_PARALLEL || state->type == STATE_MAP ? state : NULL;
    if (wanted == RESTING_FORK)
        return state->type == STATE_PARALLEL || state->type == STATE_MAP ? state : NULL;
    return state->type == (wanted == RESTING_WAIT ? STATE_WAIT : STATE_TASK) ? state : NULL;
}

/* Which waiting Tasks an entry point applies to. */
enum task_scope { ANY_TASK, SERVICE_TASK, ACTIVITY_TASK };

/*
 * Starts the step of an outcome of the waiting Task (run set up for its
 * branch); the state, or NULL with *result set (-EINVAL when no Task of
 * scope waits at position).
 */
static const struct state_definition *begin_task_step(struct run *run, const struct execution_position *position,
                                                      enum task_scope scope, int *result)
{
    const struct state_definition *state = *result == 0 ? resting_state(run, position, RESTING_TASK) : NULL;
    if (*result == 0 && (!state || (scope != ANY_TASK && interpreter_runs_activity(state) != (scope == ACTIVITY_TASK))))
        *result = -EINVAL;
    return *result == 0 ? state : NULL;
}

/*
 * ResultSelector, applied to the task's result (owned); returns the selected
 * result, or NULL with detail (and *error, the error to raise).
 */
static cJSON *select_result(struct run *run, const struct state_definition *state,
                            const struct execution_position *position, cJSON *result, const char **error, char *detail,
                            size_t detail_size)
{
    if (!state->result_selector)
        return result;
    struct retry_counts counts;
    cJSON *selected = NULL;
    interpreter_parse_retry_counts(position->retry_counts, state->retrier_count, &counts);
    cJSON *context = interpreter_build_context(run, state, position->state_entered_ms, NULL, counts.total);
    struct intrinsic_scope scope = interpreter_template_scope(run, result, context);
    if (context)
        *error = interpreter_template_error(
            asl_parameters_evaluate_in(state->result_selector, &scope, &selected, detail, detail_size));
    cJSON_Delete(context);
    cJSON_Delete(result);
    return selected;
}

/* A JSONata Task's result: its Output (default: the result) and Assign, then on to its next state. */
static int jsonata_task_succeeded(struct run *run, const struct state_definition *state,
                                  const struct execution_position *position, const char *output)
{
    char detail[4096] = "";
    struct retry_counts counts;
    interpreter_parse_retry_counts(position->retry_counts, state->retrier_count, &counts);
    cJSON *state_input = interpreter_parse_stored(position->state_input);
    cJSON *task_result = state_input ? cJSON_Parse(output) : NULL;
    struct jsonata_states states = { state_input, task_result,  NULL, position->state_entered_ms,
                                     NULL,        counts.total, NULL };
    cJSON *state_output =
        task_result ? interpreter_jsonata_output(run, state, state->json, &states, task_result, detail, sizeof(detail))
                    : NULL;
    cJSON_Delete(state_input);
    cJSON_Delete(task_result);
    if (!state_output && detail[0])
        return interpreter_raise_task_error(run, state, position, QUERY_EVALUATION_ERROR, detail);
    if (!state_output)
        return -ENOMEM;
    return interpreter_leave_state(run, state, state_output, state->next);
}

int interpreter_task_succeeded(const struct state_machine *machine, const struct execution_facts *facts,
                               const struct execution_position *position, const char *output,
                               const struct step_environment *environment, struct interpreter_step *step)
{
    struct step_budget budget = { 0 };
    struct run run;
    int result = begin_branch_step(machine, facts, position, environment, &budget, step, &run);
    const struct state_definition *state = begin_task_step(&run, position, ANY_TASK, &result);
    if (!state)
        return result;
    if (interpreter_append_attempt_payload_event(step, state, "Succeeded", output) < 0)
        return -ENOMEM;

    if (state->jsonata)
        return jsonata_task_succeeded(&run, state, position, output);
    char detail[4096] = "";
    const char *error = "States.Runtime";
    cJSON *state_input = interpreter_parse_stored(position->state_input);
    cJSON *task_result = state_input ? cJSON_Parse(output) : NULL;
    cJSON *selected =
        task_result ? select_result(&run, state, position, task_result, &error, detail, sizeof(detail)) : NULL;
    if (selected
        && interpreter_assign(&run, state, state->assign, selected, position->state_entered_ms, &error, detail,
                              sizeof(detail))
               < 0) {
        cJSON_Delete(selected);
        selected = NULL;
    }
    cJSON *state_output = selected ? interpreter_process_result(&run, state, position->state_entered_ms, state_input,
                                                                selected, detail, sizeof(detail))
                                   : NULL;
    cJSON_Delete(state_input);
    if (!state_output && strcmp(error, "States.DataLimitExceeded") == 0)
        return interpreter_fail_data_limit(step, state);
    if (!state_output && detail[0] && strcmp(error, INTRINSIC_FAILURE_ERROR) == 0)
        return interpreter_raise_task_error(&run, state, position, error, detail);
    if (!state_output)
        return detail[0] ? interpreter_fail_runtime(step, state->name, position->state_entered, detail) : -ENOMEM;
    return interpreter_leave_state(&run, state, state_output, state->next);
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
    struct step_budget budget = { 0 };
    struct run run;
    int result = begin_branch_step(machine, facts, position, environment, &budget, step, &run);
    const struct state_definition *state = begin_task_step(&run, position, scope, &result);
    if (!state)
        return result;
    result = interpreter_append_attempt_event(step, state, what,
                                              interpreter_attempt_details(state, "error", error, "cause", cause));
    return result < 0 ? result : interpreter_handle_state_error(&run, state, position, error, cause, heartbeat, false);
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
    struct step_budget budget = { 0 };
    struct run run;
    int result = begin_branch_step(machine, NULL, position, environment, &budget, step, &run);
    const struct state_definition *state = begin_task_step(&run, position, SERVICE_TASK, &result);
    if (!state)
        return result;
    return interpreter_append_attempt_payload_event(step, state, "Submitted", output);
}

/* ---- activities ---- */

int interpreter_activity_started(const struct state_machine *machine, const struct execution_position *position,
                                 const char *worker_name, const struct step_environment *environment,
                                 struct interpreter_step *step)
{
    struct step_budget budget = { 0 };
    struct run run;
    int result = begin_branch_step(machine, NULL, position, environment, &budget, step, &run);
    const struct state_definition *state = begin_task_step(&run, position, ACTIVITY_TASK, &result);
    if (!state)
        return result;
    return interpreter_append_task_event(step, "ActivityStarted", "activityStartedEventDetails",
                                         history_details("workerName", worker_name, NULL));
}

int interpreter_activity_missing(const struct state_machine *machine, const struct execution_position *position,
                                 const struct step_environment *environment, struct interpreter_step *step)
{
    struct step_budget budget = { 0 };
    struct run run;
    int result = begin_branch_step(machine, NULL, position, environment, &budget, step, &run);
    const struct state_definition *state = begin_task_step(&run, position, ACTIVITY_TASK, &result);
    if (!state)
        return result;
    return interpreter_fail_missing_activity(step, state, position->state_entered);
}

int interpreter_activity_schedule_failed(const struct state_machine *machine, const struct execution_facts *facts,
                                         const struct execution_position *position, const char *error,
                                         const char *cause, const struct step_environment *environment,
                                         struct interpreter_step *step)
{
    return end_task_attempt(machine, facts, position, ACTIVITY_TASK, "ScheduleFailed", error, cause, false, environment,
                            step);
}

/* A run that yielded goes on: it enters the state it rested before, with the input it kept. */
static int go_on(struct run *run, const struct execution_position *position)
{
    const struct state_definition *state = interpreter_find_state(run, position->state_name);
    cJSON *input = state ? interpreter_parse_stored(position->state_input) : NULL;

    if (!state)
        return -EINVAL;
    return input ? run_states(run, state, input) : -ENOMEM;
}

/* The timer of a retry ran out: a Task's next attempt, or a Parallel's or Map's next run of its children. */
static int retry_state(struct run *run, const struct state_definition *state, const struct execution_position *position)
{
    struct retry_counts counts;
    cJSON *output = NULL;

    interpreter_parse_retry_counts(position->retry_counts, state->retrier_count, &counts);
    if (state->type == STATE_TASK)
        return interpreter_start_task_attempt(run, state, position->state_entered, position->state_entered_ms,
                                              position->state_input, &counts);
    int result = interpreter_enter_fork(run, state, position->state_entered, position->state_entered_ms,
                                        position->state_input, position->retry_counts, &output);
    if (result < 0 || !output) {
        cJSON_Delete(output);
        return result;
    }
    return interpreter_leave_state(run, state, output, state->next);
}

int interpreter_timer_due(const struct state_machine *machine, const struct execution_facts *facts,
                          const struct execution_position *position, const struct step_environment *environment,
                          struct interpreter_step *step)
{
    struct step_budget budget = { 0 };
    struct run run;
    int result = begin_branch_step(machine, facts, position, environment, &budget, step, &run);
    if (result < 0)
        return result;
    const struct state_definition *wait = resting_state(&run, position, RESTING_WAIT);
    const struct state_definition *retry = resting_state(&run, position, RESTING_RETRY);
    if (position->resting == RESTING_CONTINUE)
        return go_on(&run, position);
    if (retry)
        return retry_state(&run, retry, position);
    if (!wait)
        return -EINVAL;
    cJSON *output = NULL;
    cJSON *input = interpreter_parse_stored(position->state_input);
    if (!input)
        return -ENOMEM;
    result = wait_output(&run, wait, input, position->state_entered_ms, position->state_entered, &output);
    cJSON_Delete(input);
    if (result < 0 || !output)
        return result;
    return interpreter_leave_state(&run, wait, output, wait->next);
}

int interpreter_fail_execution(const struct execution_position *position, const char *error, const char *cause,
                               const struct step_environment *environment, struct interpreter_step *step)
{
    if (interpreter_step_init(step, position->stored_events, environment->now_ms) < 0)
        return -ENOMEM;
    if (position->branch_id && position->branch_id[0])
        return -EINVAL;
    return interpreter_end_failed(step, error, cause);
}

int interpreter_execution_timed_out(const struct execution_position *position,
                                    const struct step_environment *environment, struct interpreter_step *step)
{
    if (interpreter_step_init(step, position->stored_events, environment->now_ms) < 0)
        return -ENOMEM;
    if (position->branch_id && position->branch_id[0])
        return -EINVAL;
    step->status = EXECUTION_TIMED_OUT;
    return history_append(&step->history, "ExecutionTimedOut", "executionTimedOutEventDetails", NULL) < 0 ? -ENOMEM : 0;
}

/* Sets up the step of the fork resting at position; the fork's state, or NULL with *result set. */
const struct state_definition *
interpreter_begin_fork_step(const struct state_machine *machine, const struct execution_facts *facts,
                            const struct execution_position *position, const struct step_environment *environment,
                            struct step_budget *budget, struct interpreter_step *step, struct run *run, int *result)
{
    const struct state_definition *state = NULL;
    *result = begin_branch_step(machine, facts, position, environment, budget, step, run);
    if (*result == 0 && !(state = resting_state(run, position, RESTING_FORK)))
        *result = -EINVAL;
    return state;
}
