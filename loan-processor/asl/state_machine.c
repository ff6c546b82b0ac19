/* state_machine - see state_machine.h. */
#include "state_machine.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activity_arn.h"
#include "asl_parameters.h"
#include "asl_path.h"
#include "choice_rule.h"
#include "json_util.h"
#include "wall_clock.h"

static const struct {
    const char *name;
    enum state_type type;
} state_types[] = {
    { "Task", STATE_TASK }, { "Pass", STATE_PASS },     { "Succeed", STATE_SUCCEED },   { "Fail", STATE_FAIL },
    { "Wait", STATE_WAIT }, { "Choice", STATE_CHOICE }, { "Parallel", STATE_PARALLEL }, { "Map", STATE_MAP },
};

/* Room for a location in error texts: 9 scopes deep, names of 80 characters, and a field. */
#define WHERE_SIZE 1280

/* Error names of the States. namespace that a definition may list in ErrorEquals. */
static const char *const predefined_errors[] = {
    "States.ALL",
    "States.Timeout",
    "States.HeartbeatTimeout",
    "States.TaskFailed",
    "States.Permissions",
    "States.ResultPathMatchFailure",
    "States.ParameterPathFailure",
    "States.BranchFailed",
    "States.NoChoiceMatched",
    "States.IntrinsicFailure",
    "States.DataLimitExceeded",
    "States.Runtime",
    "States.ExceedToleratedFailureThreshold",
    "States.ItemReaderFailed",
    "States.ResultWriterFailed",
};

static int fail(char *error, size_t error_size, const char *format, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *error, size_t error_size, const char *format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(error, error_size, format, arguments);
    va_end(arguments);
    return -EINVAL;
}

const char *state_machine_type_name(enum state_type type)
{
    for (size_t i = 0; i < sizeof(state_types) / sizeof(state_types[0]); i++) {
        if (state_types[i].type == type)
            return state_types[i].name;
    }
    return "Unknown";
}

static const struct state_definition *find_state(const struct state_definition *states, size_t count,
                                                 const size_t *by_name, const char *name)
{
    size_t low = 0, high = count;

    while (by_name != NULL && low < high) {
        size_t middle = low + (high - low) / 2;
        const struct state_definition *state = &states[by_name[middle]];
        int order = strcmp(state->name, name);

        if (order == 0)
            return state;
        if (order < 0)
            low = middle + 1;
        else
            high = middle;
    }
    for (size_t i = 0; by_name == NULL && i < count; i++) {
        if (strcmp(states[i].name, name) == 0)
            return &states[i];
    }
    return NULL;
}

const struct state_definition *state_machine_find(const struct state_machine *machine, const char *name)
{
    return find_state(machine->states, machine->state_count, machine->root.by_name, name);
}

const struct state_definition *state_machine_scope_find(const struct state_scope *scope, const char *name)
{
    return find_state(scope->states, scope->state_count, scope->by_name, name);
}

const struct state_definition *state_machine_state_by_number(const struct state_machine *machine, size_t number)
{
    return number < machine->all_state_count ? machine->all_states[number] : NULL;
}

const struct state_scope *state_machine_fork_scope(const struct state_definition *fork, size_t index)
{
    if (fork->type == STATE_PARALLEL)
        return index < fork->branch_count ? &fork->branches[index] : NULL;
    return fork->type == STATE_MAP ? fork->processor : NULL;
}

/* Reads the decimal number at *text (digits only, at most 9) and moves *text past it. */
static bool read_number(const char **text, size_t *number)
{
    size_t digits = 0;
    *number = 0;
    for (; **text >= '0' && **text <= '9' && digits < 9; (*text)++, digits++)
        *number = *number * 10 + (size_t)(**text - '0');
    return digits > 0 && !(**text >= '0' && **text <= '9');
}

const struct state_scope *state_machine_branch_scope(const struct state_machine *machine, const char *branch_id)
{
    const struct state_scope *scope = &machine->root;
    const char *text = branch_id;
    size_t number, index;

    while (*text) {
        if (!read_number(&text, &number) || *text++ != '.' || !read_number(&text, &index))
            return NULL;
        const struct state_definition *fork = state_machine_state_by_number(machine, number);
        if (!fork || fork->scope != scope || !(scope = state_machine_fork_scope(fork, index)))
            return NULL;
        if (*text == '/' && *++text == '\0')
            return NULL;
    }
    return scope;
}

const struct state_definition *state_machine_first_fork(const struct state_machine *machine)
{
    for (size_t i = 0; i < machine->all_state_count; i++) {
        if (machine->all_states[i]->type == STATE_PARALLEL || machine->all_states[i]->type == STATE_MAP)
            return machine->all_states[i];
    }
    return NULL;
}

static bool error_name_matches(const char *pattern, const char *error, bool heartbeat)
{
    bool terminal = error && (strcmp(error, "States.Runtime") == 0 || strcmp(error, "States.DataLimitExceeded") == 0);
    bool timeout = error && strcmp(error, "States.Timeout") == 0;
    if (strcmp(pattern, "States.ALL") == 0)
        return !terminal;
    if (strcmp(pattern, "States.TaskFailed") == 0)
        return !terminal && !timeout;
    if (strcmp(pattern, "States.HeartbeatTimeout") == 0)
        return timeout && heartbeat;
    return error && strcmp(pattern, error) == 0;
}

bool state_machine_error_matches(const cJSON *error_equals, const char *error, bool heartbeat)
{
    const cJSON *name;
    cJSON_ArrayForEach(name, error_equals)
    {
        if (cJSON_IsString(name) && error_name_matches(name->valuestring, error, heartbeat))
            return true;
    }
    return false;
}

int state_machine_split_resource(const char *resource, char *type, size_t type_size, char *name, size_t name_size)
{
    static const char prefix[] = "arn:aws:states:::";
    if (strncmp(resource, prefix, sizeof(prefix) - 1) != 0)
        return -EINVAL;
    const char *service = resource + sizeof(prefix) - 1;
    const char *colon = strchr(service, ':');
    if (!colon || colon == service || !colon[1])
        return -EINVAL;
    size_t service_length = (size_t)(colon - service);
    if (service_length >= type_size || strlen(colon + 1) >= name_size)
        return -EINVAL;
    memcpy(type, service, service_length);
    type[service_length] = '\0';
    strcpy(name, colon + 1);
    return 0;
}

/* A path field's value must be a reference path into the state's input: the context object ($$) is not. */
static int check_input_path(const cJSON *value, const char *where, const char *field, char *error, size_t error_size)
{
    if (cJSON_IsString(value) && asl_path_validate(value->valuestring) == 0
        && strncmp(value->valuestring, "$$", 2) != 0)
        return 0;
    return fail(error, error_size,
                "SCHEMA_VALIDATION_FAILED: The value for the field '%s' must be a valid JSONPath at %s/%s", field,
                where, field);
}

static int parse_path_field(const cJSON *state_json, const char *where, const char *field, struct state_path *path,
                            char *error, size_t error_size)
{
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(state_json, field);
    path->path = "$";
    path->is_null = false;
    if (!value)
        return 0;
    if (cJSON_IsNull(value)) {
        path->is_null = true;
        return 0;
    }
    if (check_input_path(value, where, field, error, error_size) < 0)
        return -EINVAL;
    path->path = value->valuestring;
    return 0;
}

/*
 * Reads an optional whole-number field of object into *number (left as is
 * when absent). where is the object's location for the error text.
 */
static int parse_integer(const cJSON *object, const char *where, const char *field, long minimum, long maximum,
                         long *number, char *error, size_t error_size)
{
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(object, field);
    if (!value)
        return 0;
    if (!cJSON_IsNumber(value) || value->valuedouble < (double)minimum || value->valuedouble > (double)maximum
        || value->valuedouble != (double)(long)value->valuedouble)
        return fail(error, error_size,
                    "SCHEMA_VALIDATION_FAILED: The value for the field '%s' must be %s integer at %s/%s", field,
                    minimum > 0 ? "a positive" : "a non-negative", where, field);
    *number = (long)value->valuedouble;
    return 0;
}

/* The optional path-valued field (e.g. TimeoutSecondsPath): a reference path into the input. */
static int parse_reference_path(const cJSON *object, const char *where, const char *field, const char **path,
                                char *error, size_t error_size)
{
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(object, field);
    *path = NULL;
    if (!value)
        return 0;
    if (check_input_path(value, where, field, error, error_size) < 0)
        return -EINVAL;
    *path = value->valuestring;
    return 0;
}

static int parse_template(const cJSON *state_json, const char *where, const char *field, const cJSON **template_json,
                          char *error, size_t error_size)
{
    char detail[512];
    *template_json = cJSON_GetObjectItemCaseSensitive(state_json, field);
    if (!*template_json)
        return 0;
    if (asl_parameters_validate(*template_json, detail, sizeof(detail)) < 0)
        return fail(error, error_size, "SCHEMA_VALIDATION_FAILED: %s at %s/%s", detail, where, field);
    return 0;
}

static int parse_transition(const cJSON *state_json, struct state_definition *state, char *error, size_t error_size)
{
    const cJSON *next = cJSON_GetObjectItemCaseSensitive(state_json, "Next");
    const cJSON *end = cJSON_GetObjectItemCaseSensitive(state_json, "End");
    /* Succeed and Fail end the execution; a Choice's transitions are in its rules. */
    bool terminal_type = state->type == STATE_SUCCEED || state->type == STATE_FAIL || state->type == STATE_CHOICE;

    if (terminal_type)
        return 0; /* check_fields() has refused Next and End on these */
    if (next && end)
        return fail(error, error_size, "SCHEMA_VALIDATION_FAILED: Only one of 'Next' or 'End' can be set at %s",
                    state->where);
    if (next) {
        if (!cJSON_IsString(next) || !next->valuestring[0])
            return fail(error, error_size,
                        "SCHEMA_VALIDATION_FAILED: The value for the field 'Next' must be a non-empty string at "
                        "%s/Next",
                        state->where);
        state->next = next->valuestring;
        return 0;
    }
    if (!cJSON_IsTrue(end))
        return fail(error, error_size, "SCHEMA_VALIDATION_FAILED: These fields are required: [Next | End] at %s",
                    state->where);
    return 0;
}

static int parse_type(const cJSON *state_json, struct state_definition *state, char *error, size_t error_size)
{
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(state_json, "Type"));
    if (!type)
        return fail(error, error_size, "SCHEMA_VALIDATION_FAILED: These fields are required: [Type] at %s",
                    state->where);
    for (size_t i = 0; i < sizeof(state_types) / sizeof(state_types[0]); i++) {
        if (strcmp(state_types[i].name, type) == 0) {
            state->type = state_types[i].type;
            return 0;
        }
    }
    return fail(error, error_size, "SCHEMA_VALIDATION_FAILED: '%s' is not a supported state type at %s/Type", type,
                state->where);
}

static int parse_optional_string(const cJSON *state_json, const char *where, const char *field, const char **value,
                                 char *error, size_t error_size)
{
    const cJSON *member = cJSON_GetObjectItemCaseSensitive(state_json, field);
    *value = NULL;
    if (!member)
        return 0;
    if (!cJSON_IsString(member))
        return fail(error, error_size,
                    "SCHEMA_VALIDATION_FAILED: The value for the field '%s' must be a string at %s/%s", field, where,
                    field);
    *value = member->valuestring;
    return 0;
}

/* Two fields of which one at most may be set (e.g. ItemSelector and Parameters). */
static int fail_exclusive(char *error, size_t error_size, const char *field, const char *other, const char *where)
{
    return fail(error, error_size, "SCHEMA_VALIDATION_FAILED: Only one of '%s' or '%s' can be set at %s", field, other,
                where);
}

/* A field given both as a value and as a path (e.g. TimeoutSeconds and TimeoutSecondsPath). */
static int fail_both_forms(char *error, size_t error_size, const char *field, const char *where)
{
    char path_field[64];
    snprintf(path_field, sizeof(path_field), "%sPath", field);
    return fail_exclusive(error, error_size, field, path_field, where);
}

/* Checks an ErrorEquals list (where names its location); last says whether its retrier/catcher is the last one. */
static int parse_error_equals(const cJSON *entry, const char *where, bool last, const cJSON **names, char *error,
                              size_t error_size)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(entry, "ErrorEquals");
    const cJSON *name;
    if (!list)
        return fail(error, error_size, "SCHEMA_VALIDATION_FAILED: These fields are required: [ErrorEquals] at %s",
                    where);
    if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) == 0)
        return fail(error, error_size,
                    "SCHEMA_VALIDATION_FAILED: The value for the field 'ErrorEquals' must be a non-empty array at "
                    "%s/ErrorEquals",
                    where);
    cJSON_ArrayForEach(name, list)
    {
        if (!cJSON_IsString(name) || !name->valuestring[0])
            return fail(error, error_size,
                        "SCHEMA_VALIDATION_FAILED: Error names must be non-empty strings at %s/ErrorEquals", where);
        bool known = strncmp(name->valuestring, "States.", 7) != 0;
        for (size_t i = 0; !known && i < sizeof(predefined_errors) / sizeof(predefined_errors[0]); i++)
            known = strcmp(name->valuestring, predefined_errors[i]) == 0;
        if (!known)
            return fail(error, error_size,
                        "SCHEMA_VALIDATION_FAILED: '%s' is not a predefined error name; names starting with 'States.' "
                        "are reserved at %s/ErrorEquals",
                        name->valuestring, where);
        if (strcmp(name->valuestring, "States.ALL") == 0 && (cJSON_GetArraySize(list) > 1 || !last))
            return fail(error, error_size,
                        "SCHEMA_VALIDATION_FAILED: 'States.ALL' must appear alone in ErrorEquals, and only in the last "
                        "entry at %s/ErrorEquals",
                        where);
    }
    *names = list;
    return 0;
}

/* Checks that a Retry or Catch field is a short array and allocates room for its entries. */
static int allocate_error_list(const cJSON *state_json, const char *where, const char *field, size_t entry_size,
                               void **entries, char *error, size_t error_size)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(state_json, field);
    if (!list)
        return 0;
    if (!cJSON_IsArray(list))
        return fail(error, error_size,
                    "SCHEMA_VALIDATION_FAILED: The value for the field '%s' must be an array at %s/%s", field, where,
                    field);
    if (cJSON_GetArraySize(list) > STATE_MACHINE_MAX_RETRIERS)
        return fail(error, error_size, "SCHEMA_VALIDATION_FAILED: At most %d entries are allowed at %s/%s",
                    STATE_MACHINE_MAX_RETRIERS, where, field);
    *entries = calloc((size_t)cJSON_GetArraySize(list) + 1, entry_size);
    return *entries ? 0 : -ENOMEM;
}

static int parse_retrier(const cJSON *entry, const char *where, bool last, struct retrier *retrier, char *error,
                         size_t error_size)
{
    long interval = 1, max_delay = 0;
    const cJSON *backoff = cJSON_GetObjectItemCaseSensitive(entry, "BackoffRate");
    const cJSON *jitter = cJSON_GetObjectItemCaseSensitive(entry, "JitterStrategy");
    int result;
    if (!cJSON_IsObject(entry))
        return fail(error, error_size, "SCHEMA_VALIDATION_FAILED: A retrier must be a JSON object at %s", where);
    retrier->max_attempts = 3;
    retrier->backoff_rate = 2.0;
    if ((result = parse_error_equals(entry, where, last, &retrier->error_equals, error, error_size)) < 0
        || (result = parse_integer(entry, where, "IntervalSeconds", 1, 99999999, &interval, error, error_size)) < 0
        || (result = parse_integer(entry, where, "MaxAttempts", 0, 99999999, &retrier->max_attempts, error, error_size))
               < 0
        || (result = parse_integer(entry, where, "MaxDelaySeconds", 1, 31622400, &max_delay, error, error_size)) < 0)
        return result;
    if (backoff && (!cJSON_IsNumber(backoff) || backoff->valuedouble < 1.0))
        return fail(error, error_size,
                    "SCHEMA_VALIDATION_FAILED: The value for the field 'BackoffRate' must be a number of at least 1.0 "
                    "at %s/BackoffRate",
                    where);
    if (jitter
        && (!cJSON_IsString(jitter)
            || (strcmp(jitter->valuestring, "FULL") != 0 && strcmp(jitter->valuestring, "NONE") != 0)))
        return fail(error, error_size,
                    "SCHEMA_VALIDATION_FAILED: The value for the field 'JitterStrategy' must be FULL or NONE at "
                    "%s/JitterStrategy",
                    where);
    retrier->interval_seconds = (double)interval;
    retrier->max_delay_seconds = max_delay;
    if (backoff)
        retrier->backoff_rate = backoff->valuedouble;
    retrier->full_jitter = jitter && strcmp(jitter->valuestring, "FULL") == 0;
    return 0;
}

static int parse_catcher(const cJSON *entry, const char *where, bool last, struct catcher *catcher, char *error,
                         size_t error_size)
{
    int result;
    if (!cJSON_IsObject(entry))
        return fail(error, error_size, "SCHEMA_VALIDATION_FAILED: A catcher must be a JSON object at %s", where);
    if ((result = parse_error_equals(entry, where, last, &catcher->error_equals, error, error_size)) < 0
        || (result = parse_path_field(entry, where, "ResultPath", &catcher->result_path, error, error_size)) < 0)
        return result;
    const cJSON *next = cJSON_GetObjectItemCaseSensitive(entry, "Next");
    if (!cJSON_IsString(next) || !next->valuestring[0])
        return fail(error, error_size, "SCHEMA_VALIDATION_FAILED: These fields are required: [Next] at %s", where);
    catcher->next = next->valuestring;
    return 0;
}

/* Parses entry number index of a Retry or Catch list into the state (where names its location). */
typedef int (*error_entry_parser)(const cJSON *entry, const char *where, bool last, struct state_definition *state,
                                  char *error, size_t error_size);

static int parse_retry_entry(const cJSON *entry, const char *where, bool last, struct state_definition *state,
                             char *error, size_t error_size)
{
    int result = parse_retrier(entry, where, last, &state->retriers[state->retrier_count], error, error_size);
    state->retrier_count += result == 0;
    return result;
}

static int parse_catch_entry(const cJSON *entry, const char *where, bool last, struct state_definition *state,
                             char *error, size_t error_size)
{
    int result = parse_catcher(entry, where, last, &state->catchers[state->catcher_count], error, error_size);
    state->catcher_count += result == 0;
    return result;
}

static int parse_error_entries(const cJSON *state_json, struct state_definition *state, const char *field,
                               error_entry_parser parse_entry, char *error, size_t error_size)
{
    char where[WHERE_SIZE];
    int index = 0, result = 0;
    const cJSON *entry, *list = cJSON_GetObjectItemCaseSensitive(state_json, field);
    cJSON_ArrayForEach(entry, list)
    {
        snprintf(where, sizeof(where), "%s/%s/%d", state->where, field, index);
        bool last = ++index == cJSON_GetArraySize(list);
        if ((result = parse_entry(entry, where, last, state, error, error_size)) < 0)
            break;
    }
    return result;
}

static int parse_retry_and_catch(const cJSON *state_json, struct state_definition *state, char *error,
                                 size_t error_size)
{
    int result = allocate_error_list(state_json, state->where, "Retry", sizeof(struct retrier),
                                     (void **)&state->retriers, error, error_size);
    if (result == 0)
        result = parse_error_entries(state_json, state, "Retry", parse_retry_entry, error, error_size);
    if (result == 0)
        result = allocate_error_list(state_json, state->where, "Catch", sizeof(struct catcher),
                                     (void **)&state->catchers, error, error_size);
    if (result == 0)
        result = parse_error_entries(state_json, state, "Catch", parse_catch_entry, error, error_size);
    return result;
}

static int parse_task_fields(const cJSON *state_json, struct state_definition *state, const char *where, char *error,
                             size_t error_size)
{
    char type[64], name[128];
    int result = parse_optional_string(state_json, where, "Resource", &state->resource, error, error_size);
    if (result < 0)
        return result;
    if (!state->resource)
        return fail(error, error_size, "SCHEMA_VALIDATION_FAILED: These fields are required: [Resource] at %s", where);
    if (state_machine_split_resource(state->resource, type, sizeof(type), name, sizeof(name)) < 0
        && !activity_arn_is_activity(state->resource))
        return fail(error, error_size, "SCHEMA_VALIDATION_FAILED: Value is not a valid resource ARN at %s/Resource",
                    where);
    if ((result = parse_integer(state_json, where, "TimeoutSeconds", 1, 99999999, &state->timeout_seconds, error,
                                error_size))
            < 0
        || (result = parse_integer(state_json, where, "HeartbeatSeconds", 1, 99999999, &state->heartbeat_seconds, error,
                                   error_size))
               < 0
        || (result = parse_reference_path(state_json, where, "TimeoutSecondsPath", &state->timeout_seconds_path, error,
                                          error_size))
               < 0
        || (result = parse_reference_path(state_json, where, "HeartbeatSecondsPath", &state->heartbeat_seconds_path,
                                          error, error_size))
               < 0
        || (result = parse_template(state_json, where, "ResultSelector", &state->result_selector, error, error_size))
               < 0)
        return result;
    if (state->timeout_seconds && state->timeout_seconds_path)
        return fail_both_forms(error, error_size, "TimeoutSeconds", where);
    if (state->heartbeat_seconds && state->heartbeat_seconds_path)
        return fail_both_forms(error, error_size, "HeartbeatSeconds", where);
    if (state->timeout_seconds && state->heartbeat_seconds && state->heartbeat_seconds >= state->timeout_seconds)
        return fail(
            error, error_size,
            "SCHEMA_VALIDATION_FAILED: HeartbeatSeconds must be smaller than TimeoutSeconds at %s/HeartbeatSeconds",
            where);
    return parse_retry_and_catch(state_json, state, error, error_size);
}

static int parse_fail_fields(const cJSON *state_json, struct state_definition *state, const char *where, char *error,
                             size_t error_size)
{
    int result;
    if ((result = parse_optional_string(state_json, where, "Error", &state->error, error, error_size)) < 0
        || (result = parse_optional_string(state_json, where, "Cause", &state->cause, error, error_size)) < 0
        || (result = parse_reference_path(state_json, where, "ErrorPath", &state->error_path, error, error_size)) < 0
        || (result = parse_reference_path(state_json, where, "CausePath", &state->cause_path, error, error_size)) < 0)
        return result;
    if (state->error && state->error_path)
        return fail_both_forms(error, error_size, "Error", where);
    if (state->cause && state->cause_path)
        return fail_both_forms(error, error_size, "Cause", where);
    return 0;
}

static int parse_wait_fields(const cJSON *state_json, struct state_definition *state, const char *where, char *error,
                             size_t error_size)
{
    int64_t ignored;
    int result, count;
    state->wait_seconds = -1;
    if ((result = parse_integer(state_json, where, "Seconds", 0, 99999999, &state->wait_seconds, error, error_size)) < 0
        || (result =
                parse_reference_path(state_json, where, "SecondsPath", &state->wait_seconds_path, error, error_size))
               < 0
        || (result = parse_optional_string(state_json, where, "Timestamp", &state->wait_timestamp, error, error_size))
               < 0
        || (result = parse_reference_path(state_json, where, "TimestampPath", &state->wait_timestamp_path, error,
                                          error_size))
               < 0)
        return result;
    if (state->wait_timestamp && wall_clock_parse_iso8601(state->wait_timestamp, &ignored) < 0)
        return fail(error, error_size,
                    "SCHEMA_VALIDATION_FAILED: The value for the field 'Timestamp' must be an RFC 3339 timestamp at "
                    "%s/Timestamp",
                    where);
    count = (state->wait_seconds >= 0) + (state->wait_seconds_path != NULL) + (state->wait_timestamp != NULL)
            + (state->wait_timestamp_path != NULL);
    if (count != 1)
        return fail(error, error_size,
                    "SCHEMA_VALIDATION_FAILED: Exactly one of 'Seconds', 'SecondsPath', 'Timestamp' or 'TimestampPath' "
                    "must be set at %s",
                    where);
    return 0;
}

/*
 * The fields each state type may have (JSONPath query language). Anything
 * else is refused, as AWS refuses it, so that a definition that runs here
 * also deploys.
 */
static const char *const common_fields[] = { "Type", "Comment", NULL };
static const char *const task_fields[] = { "Next",
                                           "End",
                                           "InputPath",
                                           "OutputPath",
                                           "ResultPath",
                                           "Parameters",
                                           "ResultSelector",
                                           "Resource",
                                           "TimeoutSeconds",
                                           "TimeoutSecondsPath",
                                           "HeartbeatSeconds",
                                           "HeartbeatSecondsPath",
                                           "Retry",
                                           "Catch",
                                           NULL };
static const char *const pass_fields[] = { "Next",       "End",        "InputPath", "OutputPath",
                                           "ResultPath", "Parameters", "Result",    NULL };
static const char *const wait_fields[] = { "Next",        "End",       "InputPath",     "OutputPath", "Seconds",
                                           "SecondsPath", "Timestamp", "TimestampPath", NULL };
static const char *const choice_fields[] = { "Choices", "Default", "InputPath", "OutputPath", NULL };
static const char *const succeed_fields[] = { "InputPath", "OutputPath", NULL };
static const char *const fail_fields[] = { "Error", "ErrorPath", "Cause", "CausePath", NULL };
static const char *const parallel_fields[] = { "Next",       "End",        "InputPath",
                                               "OutputPath", "ResultPath", "ResultSelector",
                                               "Retry",      "Catch",      "Parameters",
                                               "Branches",   NULL };
static const char *const map_fields[] = { "Next",
                                          "End",
                                          "InputPath",
                                          "OutputPath",
                                          "ResultPath",
                                          "ResultSelector",
                                          "Retry",
                                          "Catch",
                                          "Parameters",
                                          "ItemSelector",
                                          "ItemsPath",
                                          "ItemProcessor",
                                          "Iterator",
                                          "MaxConcurrency",
                                          "MaxConcurrencyPath",
                                          "ToleratedFailurePercentage",
                                          "ToleratedFailurePercentagePath",
                                          "ToleratedFailureCount",
                                          "ToleratedFailureCountPath",
                                          "Label",
                                          "ItemBatcher",
                                          "ItemReader",
                                          "ResultWriter",
                                          NULL };

static bool listed(const char *const *names, const char *name)
{
    for (; *names; names++) {
        if (strcmp(*names, name) == 0)
            return true;
    }
    return false;
}

static const char *const *fields_of(enum state_type type)
{
    switch (type) {
    case STATE_TASK:
        return task_fields;
    case STATE_PASS:
        return pass_fields;
    case STATE_WAIT:
        return wait_fields;
    case STATE_CHOICE:
        return choice_fields;
    case STATE_SUCCEED:
        return succeed_fields;
    case STATE_FAIL:
        return fail_fields;
    case STATE_PARALLEL:
        return parallel_fields;
    case STATE_MAP:
        return map_fields;
    }
    return common_fields;
}

static int check_fields(const cJSON *state_json, const struct state_definition *state, char *error, size_t error_size)
{
    const cJSON *field;
    cJSON_ArrayForEach(field, state_json)
    {
        if (!listed(common_fields, field->string) && !listed(fields_of(state->type), field->string))
            return fail(error, error_size, "SCHEMA_VALIDATION_FAILED: Field '%s' is not supported at %s", field->string,
                        state->where);
    }
    return 0;
}

/* What parsing one definition carries along. */
struct parser {
    struct state_machine *machine;
    char *error;
    size_t error_size;
};

/* The fields of a scope's object, by kind of scope. */
static const char *const top_fields[] = { "StartAt",        "States",        "Comment", "Version",
                                          "TimeoutSeconds", "QueryLanguage", NULL };
static const char *const branch_fields[] = { "StartAt", "States", "Comment", NULL };
static const char *const processor_fields[] = { "ProcessorConfig", "StartAt", "States", "Comment", NULL };
static const char *const processor_config_fields[] = { "Mode", "ExecutionType", NULL };

static int parse_scope(struct parser *parser, const cJSON *scope_json, struct state_scope *scope,
                       const char *const *fields);

/* Gives state the next number in machine->all_states (which doubles whenever its count reaches a power of two). */
static int number_state(struct state_machine *machine, struct state_definition *state)
{
    size_t count = machine->all_state_count;
    if ((count & (count - 1)) == 0) {
        struct state_definition **grown = realloc(machine->all_states, (count ? count * 2 : 1) * sizeof *grown);
        if (!grown)
            return -ENOMEM;
        machine->all_states = grown;
    }
    state->number = count;
    machine->all_states[machine->all_state_count++] = state;
    return 0;
}

/* Sets up a child scope of fork; takes where (NULL: out of memory). */
static int open_scope(struct state_scope *scope, const struct state_definition *fork, size_t index, char *where)
{
    if (!where)
        return -ENOMEM;
    scope->where = where;
    scope->fork = fork;
    scope->branch_index = index;
    scope->depth = fork->scope->depth + 1;
    return 0;
}

static int check_nesting(const struct state_definition *state, char *error, size_t error_size)
{
    if (state->scope->depth < STATE_MACHINE_MAX_NESTING)
        return 0;
    return fail(error, error_size,
                "SCHEMA_VALIDATION_FAILED: Parallel and Map states can be nested at most %d deep in this engine at %s",
                STATE_MACHINE_MAX_NESTING, state->where);
}

/* ResultSelector, Retry and Catch: what Parallel and Map share with Task. */
static int parse_fork_common(const cJSON *state_json, struct state_definition *state, char *error, size_t error_size)
{
    int result = parse_template(state_json, state->where, "ResultSelector", &state->result_selector, error, error_size);
    return result < 0 ? result : parse_retry_and_catch(state_json, state, error, error_size);
}

static int parse_parallel_fields(struct parser *parser, const cJSON *state_json, struct state_definition *state)
{
    const cJSON *branches = cJSON_GetObjectItemCaseSensitive(state_json, "Branches"), *branch;
    size_t index = 0;
    int result = check_nesting(state, parser->error, parser->error_size);

    if (result < 0)
        return result;
    if (!branches)
        return fail(parser->error, parser->error_size,
                    "SCHEMA_VALIDATION_FAILED: These fields are required: [Branches] at %s", state->where);
    if (!cJSON_IsArray(branches) || cJSON_GetArraySize(branches) == 0)
        return fail(parser->error, parser->error_size,
                    "SCHEMA_VALIDATION_FAILED: The value for the field 'Branches' must be a non-empty array at "
                    "%s/Branches",
                    state->where);
    if (cJSON_GetArraySize(branches) > STATE_MACHINE_MAX_BRANCHES)
        return fail(parser->error, parser->error_size,
                    "SCHEMA_VALIDATION_FAILED: A Parallel state can have at most %d branches in this engine at "
                    "%s/Branches",
                    STATE_MACHINE_MAX_BRANCHES, state->where);
    if ((result = parse_fork_common(state_json, state, parser->error, parser->error_size)) < 0)
        return result;
    state->branches = calloc((size_t)cJSON_GetArraySize(branches), sizeof *state->branches);
    if (!state->branches)
        return -ENOMEM;
    state->branch_count = (size_t)cJSON_GetArraySize(branches);
    cJSON_ArrayForEach(branch, branches)
    {
        struct state_scope *scope = &state->branches[index];
        if ((result = open_scope(scope, state, index, json_format_text("%s/Branches[%zu]", state->where, index))) < 0)
            return result;
        index++;
        if (!cJSON_IsObject(branch))
            return fail(parser->error, parser->error_size,
                        "SCHEMA_VALIDATION_FAILED: A branch must be a JSON object at %s", scope->where);
        if ((result = parse_scope(parser, branch, scope, branch_fields)) < 0)
            return result;
    }
    return 0;
}

/* One of the words allowed for field of object (absent: *chosen is left as is). */
static int parse_word(const cJSON *object, const char *where, const char *field, const char *first, const char *second,
                      bool *second_chosen, char *error, size_t error_size)
{
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(object, field);
    if (!value)
        return 0;
    if (!cJSON_IsString(value) || (strcmp(value->valuestring, first) != 0 && strcmp(value->valuestring, second) != 0))
        return fail(error, error_size,
                    "SCHEMA_VALIDATION_FAILED: The value for the field '%s' must be %s or %s at %s/%s", field, first,
                    second, where, field);
    *second_chosen = strcmp(value->valuestring, second) == 0;
    return 0;
}

static int parse_processor_config(const cJSON *processor, const char *where, struct map_definition *map, char *error,
                                  size_t error_size)
{
    const cJSON *config = cJSON_GetObjectItemCaseSensitive(processor, "ProcessorConfig"), *field;
    char config_where[WHERE_SIZE];
    int result;

    if (!config)
        return 0;
    snprintf(config_where, sizeof(config_where), "%s/ProcessorConfig", where);
    if (!cJSON_IsObject(config))
        return fail(error, error_size,
                    "SCHEMA_VALIDATION_FAILED: The value for the field 'ProcessorConfig' must be a JSON object at %s",
                    config_where);
    cJSON_ArrayForEach(field, config)
    {
        if (!listed(processor_config_fields, field->string))
            return fail(error, error_size, "SCHEMA_VALIDATION_FAILED: Field '%s' is not supported at %s", field->string,
                        config_where);
    }
    if ((result =
             parse_word(config, config_where, "Mode", "INLINE", "DISTRIBUTED", &map->distributed, error, error_size))
            < 0
        || (result = parse_word(config, config_where, "ExecutionType", "STANDARD", "EXPRESS", &map->express, error,
                                error_size))
               < 0)
        return result;
    if (map->distributed && !cJSON_GetObjectItemCaseSensitive(config, "ExecutionType"))
        return fail(error, error_size, "SCHEMA_VALIDATION_FAILED: These fields are required: [ExecutionType] at %s",
                    config_where);
    return 0;
}

/* The Map's ItemProcessor or legacy Iterator (AWS takes a ProcessorConfig in either): its config and its scope. */
static int parse_processor(struct parser *parser, const cJSON *state_json, struct state_definition *state)
{
    const cJSON *processor = cJSON_GetObjectItemCaseSensitive(state_json, "ItemProcessor");
    const cJSON *iterator = cJSON_GetObjectItemCaseSensitive(state_json, "Iterator");
    const char *field = processor ? "ItemProcessor" : "Iterator";
    int result;

    if (processor && iterator)
        return fail_exclusive(parser->error, parser->error_size, "ItemProcessor", "Iterator", state->where);
    if (!processor && !iterator)
        return fail(parser->error, parser->error_size,
                    "SCHEMA_VALIDATION_FAILED: These fields are required: [ItemProcessor | Iterator] at %s",
                    state->where);
    if (!processor)
        processor = iterator;
    state->processor = calloc(1, sizeof *state->processor);
    if (!state->processor)
        return -ENOMEM;
    if ((result = open_scope(state->processor, state, 0, json_format_text("%s/%s", state->where, field))) < 0)
        return result;
    if (!cJSON_IsObject(processor))
        return fail(parser->error, parser->error_size,
                    "SCHEMA_VALIDATION_FAILED: The value for the field '%s' must be a JSON object at %s", field,
                    state->processor->where);
    if ((result = parse_scope(parser, processor, state->processor, processor_fields)) < 0)
        return result;
    return parse_processor_config(processor, state->processor->where, &state->map, parser->error, parser->error_size);
}

/* ItemReader and ResultWriter read and write Amazon S3, which this engine does not have. */
static int refuse_s3_fields(const cJSON *state_json, const char *where, char *error, size_t error_size)
{
    static const char *const fields[] = { "ItemReader", "ResultWriter" };
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        if (cJSON_GetObjectItemCaseSensitive(state_json, fields[i]))
            return fail(error, error_size,
                        "SCHEMA_VALIDATION_FAILED: Field '%s' needs Amazon S3, which is not supported locally at %s/%s",
                        fields[i], where, fields[i]);
    }
    return 0;
}

static int parse_tolerated_percentage(const cJSON *state_json, const char *where, struct map_definition *map,
                                      char *error, size_t error_size)
{
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(state_json, "ToleratedFailurePercentage");
    map->tolerated_failure_percentage = -1;
    if (!value)
        return 0;
    if (!cJSON_IsNumber(value) || !(value->valuedouble >= 0 && value->valuedouble <= 100))
        return fail(error, error_size,
                    "SCHEMA_VALIDATION_FAILED: The value for the field 'ToleratedFailurePercentage' must be a number "
                    "between 0 and 100 at %s/ToleratedFailurePercentage",
                    where);
    map->tolerated_failure_percentage = value->valuedouble;
    return 0;
}

/* The Map's numbers, each given as a value or as a path into the input. */
static int parse_map_limits(const cJSON *state_json, const char *where, struct map_definition *map, char *error,
                            size_t error_size)
{
    int result;
    map->tolerated_failure_count = -1;
    if ((result =
             parse_integer(state_json, where, "MaxConcurrency", 0, 99999999, &map->max_concurrency, error, error_size))
            < 0
        || (result = parse_reference_path(state_json, where, "MaxConcurrencyPath", &map->max_concurrency_path, error,
                                          error_size))
               < 0
        || (result = parse_tolerated_percentage(state_json, where, map, error, error_size)) < 0
        || (result = parse_reference_path(state_json, where, "ToleratedFailurePercentagePath",
                                          &map->tolerated_failure_percentage_path, error, error_size))
               < 0
        || (result = parse_integer(state_json, where, "ToleratedFailureCount", 0, 99999999,
                                   &map->tolerated_failure_count, error, error_size))
               < 0
        || (result = parse_reference_path(state_json, where, "ToleratedFailureCountPath",
                                          &map->tolerated_failure_count_path, error, error_size))
               < 0)
        return result;
    if (cJSON_GetObjectItemCaseSensitive(state_json, "MaxConcurrency") && map->max_concurrency_path)
        return fail_both_forms(error, error_size, "MaxConcurrency", where);
    if (map->tolerated_failure_percentage >= 0 && map->tolerated_failure_percentage_path)
        return fail_both_forms(error, error_size, "ToleratedFailurePercentage", where);
    if (map->tolerated_failure_count >= 0 && map->tolerated_failure_count_path)
        return fail_both_forms(error, error_size, "ToleratedFailureCount", where);
    return 0;
}

/* ItemsPath may also read the context object ($$), unlike InputPath. */
static int parse_items_path(const cJSON *state_json, const char *where, struct map_definition *map, char *error,
                            size_t error_size)
{
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(state_json, "ItemsPath");
    map->items_path = "$";
    if (!value)
        return 0;
    if (!cJSON_IsString(value) || asl_path_validate(value->valuestring) < 0)
        return fail(error, error_size,
                    "SCHEMA_VALIDATION_FAILED: The value for the field 'ItemsPath' must be a valid JSONPath at "
                    "%s/ItemsPath",
                    where);
    map->items_path = value->valuestring;
    return 0;
}

static int parse_map_fields(struct parser *parser, const cJSON *state_json, struct state_definition *state)
{
    struct map_definition *map = &state->map;
    char *error = parser->error;
    size_t error_size = parser->error_size;
    const cJSON *batcher = cJSON_GetObjectItemCaseSensitive(state_json, "ItemBatcher");
    int result;

    /* A Map's Parameters are the legacy name of its ItemSelector: they shape each item, not the state's input. */
    map->item_selector = state->parameters;
    state->parameters = NULL;
    if ((result = check_nesting(state, error, error_size)) < 0
        || (result = refuse_s3_fields(state_json, state->where, error, error_size)) < 0)
        return result;
    if (map->item_selector && cJSON_GetObjectItemCaseSensitive(state_json, "ItemSelector"))
        return fail_exclusive(error, error_size, "ItemSelector", "Parameters", state->where);
    if (!map->item_selector
        && (result = parse_template(state_json, state->where, "ItemSelector", &map->item_selector, error, error_size))
               < 0)
        return result;
    if ((result = parse_items_path(state_json, state->where, map, error, error_size)) < 0
        || (result = parse_map_limits(state_json, state->where, map, error, error_size)) < 0
        || (result = parse_optional_string(state_json, state->where, "Label", &map->label, error, error_size)) < 0)
        return result;
    if (batcher && !cJSON_IsObject(batcher))
        return fail(error, error_size,
                    "SCHEMA_VALIDATION_FAILED: The value for the field 'ItemBatcher' must be a JSON object at "
                    "%s/ItemBatcher",
                    state->where);
    map->item_batcher = batcher;
    if ((result = parse_fork_common(state_json, state, error, error_size)) < 0)
        return result;
    return parse_processor(parser, state_json, state);
}

static int parse_state(struct parser *parser, struct state_scope *scope, const cJSON *state_json,
                       struct state_definition *state)
{
    char *error = parser->error;
    size_t error_size = parser->error_size;
    int result;

    state->name = state_json->string;
    state->json = state_json;
    state->scope = scope;
    if (!(state->where = json_format_text("%s/States/%s", scope->where, state->name)))
        return -ENOMEM;
    if ((result = number_state(parser->machine, state)) < 0)
        return result;
    const char *where = state->where;
    if (!cJSON_IsObject(state_json))
        return fail(error, error_size, "SCHEMA_VALIDATION_FAILED: A state must be a JSON object at %s", where);
    if ((result = parse_type(state_json, state, error, error_size)) < 0
        || (result = check_fields(state_json, state, error, error_size)) < 0
        || (result = parse_transition(state_json, state, error, error_size)) < 0
        || (result = parse_path_field(state_json, where, "InputPath", &state->input_path, error, error_size)) < 0
        || (result = parse_path_field(state_json, where, "OutputPath", &state->output_path, error, error_size)) < 0
        || (result = parse_path_field(state_json, where, "ResultPath", &state->result_path, error, error_size)) < 0
        || (result = parse_template(state_json, where, "Parameters", &state->parameters, error, error_size)) < 0)
        return result;
    state->result = cJSON_GetObjectItemCaseSensitive(state_json, "Result");
    switch (state->type) {
    case STATE_TASK:
        return parse_task_fields(state_json, state, where, error, error_size);
    case STATE_FAIL:
        return parse_fail_fields(state_json, state, where, error, error_size);
    case STATE_WAIT:
        return parse_wait_fields(state_json, state, where, error, error_size);
    case STATE_CHOICE: /* it names the state by its location under /States/ */
        return choice_state_parse(state_json, where + strlen("/States/"), &state->choice, error, error_size);
    case STATE_PARALLEL:
        return parse_parallel_fields(parser, state_json, state);
    case STATE_MAP:
        return parse_map_fields(parser, state_json, state);
    default:
        return 0;
    }
}

static int check_target(const struct state_scope *scope, const char *target, const char *state_where, const char *field,
                        char *error, size_t error_size)
{
    if (state_machine_scope_find(scope, target))
        return 0;
    return fail(error, error_size, "MISSING_TRANSITION_TARGET: Missing 'Next' target: %s at %s/%s", target, state_where,
                field);
}

/* Every transition of the scope's states names a state of the same scope. */
static int check_transitions(const struct state_scope *scope, char *error, size_t error_size)
{
    char field[64];
    int result = 0;
    if (!state_machine_scope_find(scope, scope->start_at))
        return fail(error, error_size, "MISSING_TRANSITION_TARGET: Missing 'Next' target: %s at %s/StartAt",
                    scope->start_at, scope->where);
    for (size_t i = 0; i < scope->state_count && result == 0; i++) {
        const struct state_definition *state = &scope->states[i];
        if (state->next)
            result = check_target(scope, state->next, state->where, "Next", error, error_size);
        for (size_t c = 0; c < state->catcher_count && result == 0; c++) {
            snprintf(field, sizeof(field), "Catch/%zu/Next", c);
            result = check_target(scope, state->catchers[c].next, state->where, field, error, error_size);
        }
        size_t targets = state->choice ? choice_state_target_count(state->choice) : 0;
        for (size_t t = 0; t < targets && result == 0; t++)
            result =
                check_target(scope, choice_state_target(state->choice, t), state->where, "Choices", error, error_size);
    }
    return result;
}

/* Marks target reachable and, the first time, pushes it to be walked (targets are known to exist). */
static void push_target(const struct state_scope *scope, const char *target, bool *reachable, size_t *stack,
                        size_t *depth)
{
    size_t index = (size_t)(state_machine_scope_find(scope, target) - scope->states);

    if (reachable[index])
        return;
    reachable[index] = true;
    stack[(*depth)++] = index;
}

/* Marks every state that StartAt leads to as reachable: a walk with an explicit stack (each state pushed once). */
static int mark_reachable(const struct state_scope *scope, bool *reachable)
{
    size_t *stack = malloc(scope->state_count * sizeof *stack);
    size_t depth = 0;

    if (stack == NULL)
        return -ENOMEM;
    push_target(scope, scope->start_at, reachable, stack, &depth);
    while (depth > 0) {
        const struct state_definition *state = &scope->states[stack[--depth]];
        size_t targets = state->choice ? choice_state_target_count(state->choice) : 0;

        if (state->next)
            push_target(scope, state->next, reachable, stack, &depth);
        for (size_t c = 0; c < state->catcher_count; c++)
            push_target(scope, state->catchers[c].next, reachable, stack, &depth);
        for (size_t t = 0; t < targets; t++)
            push_target(scope, choice_state_target(state->choice, t), reachable, stack, &depth);
    }
    free(stack);
    return 0;
}

/* Every state of the scope must be reachable from its StartAt (transitions are known to exist). */
static int check_reachable(const struct state_scope *scope, char *error, size_t error_size)
{
    bool *reachable = calloc(scope->state_count, sizeof(*reachable));
    int result = 0;
    if (!reachable || mark_reachable(scope, reachable) < 0) {
        free(reachable);
        return -ENOMEM;
    }
    for (size_t i = 0; i < scope->state_count && result == 0; i++) {
        if (!reachable[i])
            result = fail(error, error_size, "UNREACHABLE_STATE: State '%s' is not reachable at %s",
                          scope->states[i].name, scope->states[i].where);
    }
    free(reachable);
    return result;
}

static int compare_names(const void *left, const void *right, void *states_pointer)
{
    const struct state_definition *states = states_pointer;
    size_t left_index = *(const size_t *)left, right_index = *(const size_t *)right;
    int order = strcmp(states[left_index].name, states[right_index].name);

    return order != 0 ? order : (left_index > right_index) - (left_index < right_index);
}

/*
 * Sorts the scope's state indices by name into scope->by_name and flags in
 * duplicate[] every state whose name an earlier state of the scope already has.
 */
static int index_names(struct state_scope *scope, bool *duplicate)
{
    scope->by_name = malloc((scope->state_count ? scope->state_count : 1) * sizeof *scope->by_name);
    if (scope->by_name == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < scope->state_count; i++)
        scope->by_name[i] = i;
    qsort_r(scope->by_name, scope->state_count, sizeof *scope->by_name, compare_names, scope->states);
    for (size_t i = 1; i < scope->state_count; i++)
        duplicate[scope->by_name[i]] =
            strcmp(scope->states[scope->by_name[i - 1]].name, scope->states[scope->by_name[i]].name) == 0;
    return 0;
}

static int parse_each_state(struct parser *parser, struct state_scope *scope, const cJSON *states,
                            const bool *duplicate)
{
    const cJSON *state_json;
    size_t index = 0;

    cJSON_ArrayForEach(state_json, states)
    {
        if (duplicate[index])
            return fail(parser->error, parser->error_size,
                        "DUPLICATE_STATE_NAME: Duplicate State name: %s at %s/States", state_json->string,
                        scope->where);
        if (strlen(state_json->string) == 0 || strlen(state_json->string) > 80)
            return fail(parser->error, parser->error_size,
                        "SCHEMA_VALIDATION_FAILED: State names must be 1 to 80 characters long at %s/States",
                        scope->where);
        int result = parse_state(parser, scope, state_json, &scope->states[index++]);
        if (result < 0)
            return result;
    }
    return 0;
}

/* Names are indexed first (a state's name is its key), so every lookup below is a binary search. */
static int parse_states(struct parser *parser, struct state_scope *scope, const cJSON *states)
{
    size_t count = (size_t)cJSON_GetArraySize(states), index = 0;
    bool *duplicate = calloc(count ? count : 1, sizeof *duplicate);
    const cJSON *state_json;
    int result = -ENOMEM;

    scope->states = calloc(count ? count : 1, sizeof(*scope->states));
    if (!scope->states || !duplicate)
        goto done;
    cJSON_ArrayForEach(state_json, states) scope->states[index++].name = state_json->string;
    scope->state_count = count;
    result = index_names(scope, duplicate);
    if (result == 0)
        result = parse_each_state(parser, scope, states, duplicate);
    if (result == 0)
        result = check_transitions(scope, parser->error, parser->error_size);
    if (result == 0)
        result = check_reachable(scope, parser->error, parser->error_size);
done:
    free(duplicate);
    return result;
}

/* A scope's object (known to be one): only the given fields, a StartAt and a non-empty States. */
static int parse_scope(struct parser *parser, const cJSON *scope_json, struct state_scope *scope,
                       const char *const *fields)
{
    const char *location = scope->where[0] ? scope->where : "/";
    const cJSON *field, *states = cJSON_GetObjectItemCaseSensitive(scope_json, "States");

    cJSON_ArrayForEach(field, scope_json)
    {
        if (!listed(fields, field->string))
            return fail(parser->error, parser->error_size,
                        "SCHEMA_VALIDATION_FAILED: Field '%s' is not supported at %s", field->string, location);
    }
    scope->start_at = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(scope_json, "StartAt"));
    if (!scope->start_at || !cJSON_IsObject(states) || cJSON_GetArraySize(states) == 0)
        return fail(parser->error, parser->error_size,
                    "SCHEMA_VALIDATION_FAILED: These fields are required: [%s] at %s",
                    scope->start_at ? "States" : "StartAt", location);
    return parse_states(parser, scope, states);
}

static int compare_state_names(const void *left, const void *right)
{
    const struct state_definition *const *left_state = left, *const *right_state = right;
    int order = strcmp((*left_state)->name, (*right_state)->name);
    return order != 0
               ? order
               : ((*left_state)->number > (*right_state)->number) - ((*left_state)->number < (*right_state)->number);
}

/* State names are unique in the whole machine (each scope has checked its own): refuses the later of a pair. */
static int check_unique_names(const struct state_machine *machine, char *error, size_t error_size)
{
    const struct state_definition *duplicate = NULL;
    struct state_definition **sorted = malloc((machine->all_state_count + 1) * sizeof *sorted);

    if (!sorted)
        return -ENOMEM;
    memcpy(sorted, machine->all_states, machine->all_state_count * sizeof *sorted);
    qsort(sorted, machine->all_state_count, sizeof *sorted, compare_state_names);
    for (size_t i = 1; i < machine->all_state_count; i++) {
        if (strcmp(sorted[i - 1]->name, sorted[i]->name) == 0 && (!duplicate || sorted[i]->number < duplicate->number))
            duplicate = sorted[i];
    }
    free(sorted);
    if (!duplicate)
        return 0;
    return fail(error, error_size, "DUPLICATE_STATE_NAME: Duplicate State name: %s at %s/States", duplicate->name,
                duplicate->scope->where);
}

/* QueryLanguage: JSONPath only. */
static int check_query_language(const cJSON *document, char *error, size_t error_size)
{
    const cJSON *field = cJSON_GetObjectItemCaseSensitive(document, "QueryLanguage");
    const char *language = cJSON_GetStringValue(field);
    if (field && (!language || strcmp(language, "JSONPath")))
        return fail(
            error, error_size,
            "SCHEMA_VALIDATION_FAILED: This engine supports the JSONPath query language only at /QueryLanguage");
    return 0;
}

int state_machine_parse(const char *definition, size_t length, struct state_machine **machine_out, char *error,
                        size_t error_size)
{
    struct state_machine *machine = calloc(1, sizeof(*machine));
    struct parser parser = { .machine = machine, .error = error, .error_size = error_size };
    int result = -ENOMEM;
    if (!machine)
        return -ENOMEM;
    if (!(machine->root.where = json_format_text("%s", "")))
        goto failed;
    if (json_parse(definition, length, &machine->document) < 0) {
        result = fail(error, error_size, "INVALID_JSON_DESCRIPTION: The definition is not valid JSON");
        goto failed;
    }
    if (!cJSON_IsObject(machine->document)) {
        result = fail(error, error_size, "SCHEMA_VALIDATION_FAILED: The definition must be a JSON object at /");
        goto failed;
    }
    if ((result = check_query_language(machine->document, error, error_size)) < 0
        || (result = parse_scope(&parser, machine->document, &machine->root, top_fields)) < 0
        || (result = check_unique_names(machine, error, error_size)) < 0)
        goto failed;
    machine->start_at = machine->root.start_at;
    machine->states = machine->root.states;
    machine->state_count = machine->root.state_count;
    *machine_out = machine;
    return 0;

failed:
    state_machine_free(machine);
    return result;
}

static void free_scope(struct state_scope *scope);

static void free_state(struct state_definition *state)
{
    free(state->retriers);
    free(state->catchers);
    choice_state_free(state->choice);
    cJSON_free(state->where);
    for (size_t i = 0; state->branches && i < state->branch_count; i++)
        free_scope(&state->branches[i]);
    free(state->branches);
    if (state->processor)
        free_scope(state->processor);
    free(state->processor);
}

/* Frees what scope holds (not scope itself); nesting is bounded, so is this recursion. */
static void free_scope(struct state_scope *scope)
{
    for (size_t i = 0; scope->states && i < scope->state_count; i++)
        free_state(&scope->states[i]);
    free(scope->states);
    free(scope->by_name);
    cJSON_free(scope->where);
}

void state_machine_free(struct state_machine *machine)
{
    if (!machine)
        return;
    free_scope(&machine->root);
    free(machine->all_states);
    cJSON_Delete(machine->document);
    free(machine);
}
