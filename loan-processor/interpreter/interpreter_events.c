/*
 * interpreter_events - the building blocks of a step (see interpreter.c):
 * the retry counts as stored, the history events, the input and output
 * processing of a state and the resting point a step ends at.
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

/* ---- retry counts: "2,0,1" as stored ---- */

void interpreter_parse_retry_counts(const char *text, size_t retrier_count, struct retry_counts *counts)
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

char *interpreter_format_retry_counts(const struct retry_counts *counts, size_t retrier_count)
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

int interpreter_append_state_entered(struct interpreter_step *step, const struct state_definition *state,
                                     const char *input, struct history_ref *entered)
{
    char type[64];
    snprintf(type, sizeof(type), "%sStateEntered", state_machine_type_name(state->type));
    if (append_payload_event(step, type, "stateEnteredEventDetails", state->name, "input", input) < 0)
        return -ENOMEM;
    *entered = history_last(&step->history);
    return 0;
}

int interpreter_append_state_exited(struct interpreter_step *step, const struct state_definition *state,
                                    const char *output)
{
    char type[64];
    snprintf(type, sizeof(type), "%sStateExited", state_machine_type_name(state->type));
    cJSON *details = history_details("name", state->name, NULL);
    int result = details && history_add_payload(details, "output", output) == 0 ? 0 : -ENOMEM;
    if (result == 0 && step->assigned)
        result = interpreter_add_assigned(details, step->assigned);
    cJSON_Delete(step->assigned);
    step->assigned = NULL;
    if (result < 0) {
        cJSON_Delete(details);
        return result;
    }
    return history_append(&step->history, type, "stateExitedEventDetails", details) < 0 ? -ENOMEM : 0;
}

bool interpreter_runs_activity(const struct state_definition *state)
{
    return activity_arn_is_activity(state->resource);
}

cJSON *interpreter_attempt_details(const struct state_definition *state, const char *first_member,
                                   const char *first_value, const char *second_member, const char *second_value)
{
    char type[64] = "", name[128] = "";
    if (interpreter_runs_activity(state))
        return history_details(first_member, first_value, second_member, second_value, NULL);
    /* state_machine_parse accepted the Resource, so it splits; were it not to, both stay empty. */
    if (state_machine_split_resource(state->resource, type, sizeof(type), name, sizeof(name)) < 0)
        type[0] = name[0] = '\0';
    return history_details("resourceType", type, "resource", name, first_member, first_value, second_member,
                           second_value, NULL);
}

int interpreter_append_task_event(struct interpreter_step *step, const char *type, const char *details_member,
                                  cJSON *details)
{
    if (!details)
        return -ENOMEM;
    return history_append(&step->history, type, details_member, details) < 0 ? -ENOMEM : 0;
}

int interpreter_append_attempt_event(struct interpreter_step *step, const struct state_definition *state,
                                     const char *what, cJSON *details)
{
    bool activity = interpreter_runs_activity(state);
    char type[64], details_member[96];
    snprintf(type, sizeof(type), "%s%s", activity ? "Activity" : "Task", what);
    snprintf(details_member, sizeof(details_member), "%s%sEventDetails", activity ? "activity" : "task", what);
    return interpreter_append_task_event(step, type, details_member, details);
}

int interpreter_append_attempt_payload_event(struct interpreter_step *step, const struct state_definition *state,
                                             const char *what, const char *output)
{
    cJSON *details = interpreter_attempt_details(state, NULL, NULL, NULL, NULL);
    if (details && history_add_payload(details, "output", output) < 0) {
        cJSON_Delete(details);
        return -ENOMEM;
    }
    return interpreter_append_attempt_event(step, state, what, details);
}

int interpreter_append_iteration_event(struct interpreter_step *step, const char *what, const char *map_name,
                                       long index)
{
    char type[64], member[96];
    cJSON *details = cJSON_CreateObject();

    snprintf(type, sizeof(type), "MapIteration%s", what);
    snprintf(member, sizeof(member), "mapIteration%sEventDetails", what);
    if (!details || !cJSON_AddNumberToObject(details, "index", (double)index)
        || !cJSON_AddStringToObject(details, "name", map_name)) {
        cJSON_Delete(details);
        return -ENOMEM;
    }
    return history_append(&step->history, type, member, details) < 0 ? -ENOMEM : 0;
}

/* A child branch ended (what: "Succeeded" or "Failed"): an iteration says so; a Parallel's branch writes nothing. */
static int end_child(struct interpreter_step *step, const char *what)
{
    if (!step->iteration_of)
        return 0;
    return interpreter_append_iteration_event(step, what, step->iteration_of, step->map_index);
}

int interpreter_end_succeeded(struct interpreter_step *step, const char *output)
{
    step->status = EXECUTION_SUCCEEDED;
    step->output = strdup(output);
    if (!step->output)
        return -ENOMEM;
    if (step->in_child && !step->child_execution)
        return end_child(step, "Succeeded");
    return append_payload_event(step, "ExecutionSucceeded", "executionSucceededEventDetails", NULL, "output", output);
}

int interpreter_end_failed(struct interpreter_step *step, const char *error, const char *cause)
{
    return interpreter_end_failed_quoting(step, error, cause, false);
}

int interpreter_end_failed_quoting(struct interpreter_step *step, const char *error, const char *cause,
                                   bool quotes_batch)
{
    step->status = EXECUTION_FAILED;
    step->cause_has_placeholders = quotes_batch && cause;
    step->error = error ? strdup(error) : NULL;
    step->cause = cause ? strdup(cause) : NULL;
    if ((error && !step->error) || (cause && !step->cause))
        return -ENOMEM;
    if (step->in_child && !step->child_execution)
        return end_child(step, "Failed");
    cJSON *details = history_details("error", error, "cause", cause, NULL);
    if (!details)
        return -ENOMEM;
    if (history_append(&step->history, "ExecutionFailed", "executionFailedEventDetails", details) < 0)
        return -ENOMEM;
    if (step->cause_has_placeholders)
        history_mark_placeholders(&step->history);
    return 0;
}

char *interpreter_state_error_cause(const char *state_name, struct history_ref entered, const char *detail)
{
    char id[HISTORY_REF_TEXT_SIZE];
    size_t size = strlen(detail) + strlen(state_name) + 128;
    char *cause = malloc(size);
    if (cause)
        snprintf(cause, size, "An error occurred while executing the state '%s' (entered at the event id #%s). %s",
                 state_name, history_format_ref(entered, id), detail);
    return cause;
}

char *interpreter_cause_as_data(const struct interpreter_step *step, const char *cause, bool quotes_batch)
{
    return quotes_batch ? history_resolve_text(cause, step->history.stored_events) : strdup(cause);
}

int interpreter_fail_state(struct interpreter_step *step, const char *error, const char *state_name,
                           struct history_ref entered, const char *detail)
{
    if (strcmp(error, QUERY_EVALUATION_ERROR) == 0
        && interpreter_append_evaluation_failed(step, state_name, entered, detail) < 0)
        return -ENOMEM;
    char *cause = interpreter_state_error_cause(state_name, entered, detail);
    if (!cause)
        return -ENOMEM;
    int result = interpreter_end_failed_quoting(step, error, cause, entered.batch_index > 0);
    free(cause);
    return result;
}

int interpreter_fail_runtime(struct interpreter_step *step, const char *state_name, struct history_ref entered,
                             const char *detail)
{
    return interpreter_fail_state(step, "States.Runtime", state_name, entered, detail);
}

bool interpreter_over_nesting_limit(struct interpreter_step *step, const struct state_definition *state,
                                    const cJSON *document, int *result)
{
    char cause[256];

    if (!interpreter_nesting_over(document, INTERPRETER_MAX_NESTING))
        return false;
    snprintf(cause, sizeof cause, "The state/task '%s' returned a result nested more than %d levels deep.", state->name,
             INTERPRETER_MAX_NESTING);
    *result = interpreter_end_failed(step, "States.Runtime", cause);
    return true;
}

_Static_assert(ASL_PARAMETERS_MAX_BYTES == INTERPRETER_MAX_PAYLOAD_BYTES, "one payload limit");

int interpreter_fail_data_limit(struct interpreter_step *step, const struct state_definition *state)
{
    char cause[256];

    snprintf(cause, sizeof cause,
             "The state/task '%s' returned a result with a size exceeding the maximum number of bytes service limit.",
             state->name);
    return interpreter_end_failed(step, "States.DataLimitExceeded", cause);
}

bool interpreter_over_data_limit(struct interpreter_step *step, const struct state_definition *state, const char *text,
                                 int *result)
{
    if (strlen(text) <= INTERPRETER_MAX_PAYLOAD_BYTES)
        return false;
    *result = interpreter_fail_data_limit(step, state);
    return true;
}

const char *interpreter_template_error(int status)
{
    return status == -EDOM ? INTRINSIC_FAILURE_ERROR : status == -E2BIG ? "States.DataLimitExceeded" : "States.Runtime";
}

struct intrinsic_scope interpreter_template_scope(const struct run *run, const cJSON *input, const cJSON *context)
{
    struct intrinsic_scope scope = { input, context, run->environment->random_bytes, run->step->variables };
    return scope;
}

/* ---- input and output processing ---- */

cJSON *interpreter_parse_stored(const char *text)
{
    return cJSON_Parse(text ? text : "{}");
}

char *interpreter_print_document(const cJSON *document)
{
    return cJSON_PrintUnformatted(document);
}

/* AWS's words for a reference path field (e.g. InputPath) that selects nothing: "Invalid path '$.x' : No results ...". */
static void describe_invalid_path(const char *path, const char *field, const cJSON *document, char *detail,
                                  size_t detail_size)
{
    char miss[1024];
    if (asl_path_describe_miss(path, document, NULL, miss, sizeof(miss)) < 0)
        snprintf(miss, sizeof(miss), "No results for the field '%s'", field);
    snprintf(detail, detail_size, "Invalid path '%s' : %s", path, miss);
}

cJSON *interpreter_select_path(const struct run *run, const struct state_definition *state, int64_t entered_ms,
                               const struct state_path *path, const char *field, const cJSON *document, char *detail,
                               size_t detail_size)
{
    cJSON *selected = NULL;
    if (path->is_null)
        return cJSON_CreateObject();
    cJSON *context =
        strncmp(path->path, "$$", 2) == 0 ? interpreter_build_context(run, state, entered_ms, NULL, 0) : NULL;
    int rc = 0;
    if (asl_path_is_variable(path->path)) {
        const cJSON *value = NULL;
        rc = asl_path_select_in(path->path, document, NULL, run->step->variables, &value);
        if (rc == 0 && !(selected = cJSON_Duplicate(value, true)))
            rc = -ENOMEM;
    } else {
        rc = context || strncmp(path->path, "$$", 2) != 0 ? asl_path_query(path->path, document, context, &selected)
                                                          : -ENOMEM;
    }
    cJSON_Delete(context);
    if (rc == -ENOMEM)
        return NULL;
    if (rc < 0) {
        describe_invalid_path(path->path, field, document, detail, detail_size);
        return NULL;
    }
    return selected;
}

cJSON *interpreter_build_context(const struct run *run, const struct state_definition *state, int64_t entered_ms,
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
    cJSON *input = interpreter_parse_stored(facts->input);
    if (input && (!execution || !cJSON_AddItemToObject(execution, "Input", input))) {
        cJSON_Delete(input);
        input = NULL;
    }
    bool ok = execution && state_object && machine && input
              && cJSON_AddStringToObject(execution, "Id", facts->execution_arn)
              && cJSON_AddStringToObject(execution, "Name", facts->execution_name)
              && cJSON_AddStringToObject(execution, "RoleArn", facts->role_arn)
              && cJSON_AddStringToObject(execution, "StartTime", start_time)
              && cJSON_AddNumberToObject(execution, "RedriveCount", (double)facts->redrive_count)
              && cJSON_AddStringToObject(state_object, "EnteredTime", entered_time)
              && cJSON_AddStringToObject(state_object, "Name", state->name)
              && cJSON_AddStringToObject(machine, "Id", facts->state_machine_arn)
              && cJSON_AddStringToObject(machine, "Name", facts->state_machine_name);
    if (ok && facts->redrive_ms > 0) {
        char redrive_time[WALL_CLOCK_ISO8601_SIZE];
        wall_clock_format_iso8601(facts->redrive_ms, redrive_time);
        ok = cJSON_AddStringToObject(execution, "RedriveTime", redrive_time) != NULL;
    }
    if (ok && state->type == STATE_TASK)
        ok = cJSON_AddNumberToObject(state_object, "RetryCount", (double)retry_count) != NULL;
    if (ok && token) {
        cJSON *task = cJSON_AddObjectToObject(context, "Task");
        ok = task && cJSON_AddStringToObject(task, "Token", token);
    }
    if (ok && run->map_item)
        ok = interpreter_add_map_item(context, run->map_index, run->map_item) == 0;
    if (!ok) {
        cJSON_Delete(context); /* input, when attached, goes with it */
        return NULL;
    }
    return context;
}

int interpreter_add_map_item(cJSON *context, long index, const char *item_text)
{
    cJSON *map = cJSON_AddObjectToObject(context, "Map");
    cJSON *item = map ? cJSON_AddObjectToObject(map, "Item") : NULL;
    cJSON *value = item ? cJSON_Parse(item_text) : NULL;

    if (!value || !cJSON_AddNumberToObject(item, "Index", (double)index)
        || !cJSON_AddItemToObject(item, "Value", value)) {
        cJSON_Delete(value);
        return -ENOMEM;
    }
    return 0;
}

bool interpreter_nesting_over(const cJSON *value, int limit)
{
    const cJSON *child;

    if (!cJSON_IsArray(value) && !cJSON_IsObject(value))
        return false;
    if (limit < 1)
        return true;
    cJSON_ArrayForEach(child, value)
    {
        if (interpreter_nesting_over(child, limit - 1))
            return true;
    }
    return false;
}

/* How many levels a ResultPath may add at most: one per member or index it names. */
static int path_levels(const char *path)
{
    int levels = 0;

    for (; *path != '\0'; path++)
        levels += *path == '.' || *path == '[';
    return levels;
}

cJSON *interpreter_place_result(const struct state_path *result_path, const cJSON *state_input, cJSON *result,
                                char *detail, size_t detail_size)
{
    cJSON *document = cJSON_Duplicate(state_input, true);
    detail[0] = '\0';
    if (!document || result_path->is_null) {
        cJSON_Delete(result);
        return document;
    }
    int levels = path_levels(result_path->path);
    if (levels >= INTERPRETER_MAX_NESTING || interpreter_nesting_over(result, INTERPRETER_MAX_NESTING - levels)) {
        snprintf(
            detail, detail_size,
            "Unable to apply ResultPath '%.200s' to the input: the result would be nested more than %d levels deep",
            result_path->path, INTERPRETER_MAX_NESTING);
        cJSON_Delete(result);
        cJSON_Delete(document);
        return NULL;
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

cJSON *interpreter_process_result(const struct run *run, const struct state_definition *state, int64_t entered_ms,
                                  const cJSON *state_input, cJSON *result, char *detail, size_t detail_size)
{
    cJSON *document = interpreter_place_result(&state->result_path, state_input, result, detail, detail_size);
    if (!document)
        return NULL;
    cJSON *output = interpreter_select_path(run, state, entered_ms, &state->output_path, "OutputPath", document, detail,
                                            detail_size);
    cJSON_Delete(document);
    return output;
}

cJSON *interpreter_pass_through_output(const struct run *run, const struct state_definition *state, int64_t entered_ms,
                                       const cJSON *input, char *detail, size_t detail_size)
{
    cJSON *effective =
        interpreter_select_path(run, state, entered_ms, &state->input_path, "InputPath", input, detail, detail_size);
    if (!effective)
        return NULL;
    cJSON *output = interpreter_select_path(run, state, entered_ms, &state->output_path, "OutputPath", effective,
                                            detail, detail_size);
    cJSON_Delete(effective);
    return output;
}

const cJSON *interpreter_select_field(const char *path, const char *field, const cJSON *input, const cJSON *variables,
                                      char *detail, size_t detail_size)
{
    const cJSON *selected = NULL;
    if (asl_path_select_in(path, input, NULL, variables, &selected) == 0)
        return selected;
    char *text = interpreter_print_document(input);
    snprintf(detail, detail_size, "The JSONPath '%s' specified for the field '%s' could not be found in the input '%s'",
             path, field, text ? text : "");
    cJSON_free(text);
    return NULL;
}

int interpreter_select_whole_number(const char *path, const char *field, long minimum, const cJSON *input, long *number,
                                    const cJSON *variables, char *detail, size_t detail_size)
{
    const cJSON *value = NULL;
    if (asl_path_select_in(path, input, NULL, variables, &value) < 0) {
        describe_invalid_path(path, field, input, detail, detail_size);
        return -EINVAL;
    }
    if (!cJSON_IsNumber(value) || value->valuedouble < (double)minimum || value->valuedouble > 99999999
        || value->valuedouble != floor(value->valuedouble)) {
        snprintf(detail, detail_size, "The value selected by '%s' for the field '%s' must be %s integer", path, field,
                 minimum > 0 ? "a positive" : "a non-negative");
        return -EINVAL;
    }
    *number = (long)value->valuedouble;
    return 0;
}

/* ---- resting ---- */

int interpreter_rest_at(struct run *run, const struct state_definition *state, struct history_ref entered,
                        int64_t entered_ms, const char *input_text, enum resting_kind resting)
{
    struct interpreter_step *step = run->step;
    step->resting = resting;
    step->state_name = strdup(state->name);
    step->state_input = strdup(input_text);
    step->state_entered = entered;
    step->state_entered_ms = entered_ms;
    return step->state_name && step->state_input ? 0 : -ENOMEM;
}
