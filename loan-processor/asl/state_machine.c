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
    { "Task", STATE_TASK }, { "Pass", STATE_PASS }, { "Succeed", STATE_SUCCEED },
    { "Fail", STATE_FAIL }, { "Wait", STATE_WAIT }, { "Choice", STATE_CHOICE },
};

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

const struct state_definition *state_machine_find(const struct state_machine *machine, const char *name)
{
    size_t low = 0, high = machine->state_count;

    while (machine->by_name != NULL && low < high) {
        size_t middle = low + (high - low) / 2;
        const struct state_definition *state = &machine->states[machine->by_name[middle]];
        int order = strcmp(state->name, name);

        if (order == 0)
            return state;
        if (order < 0)
            low = middle + 1;
        else
            high = middle;
    }
    for (size_t i = 0; machine->by_name == NULL && i < machine->state_count; i++) {
        if (strcmp(machine->states[i].name, name) == 0)
            return &machine->states[i];
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

static int parse_template(const cJSON *state_json, const char *state_name, const char *field,
                          const cJSON **template_json, char *error, size_t error_size)
{
    char detail[512];
    *template_json = cJSON_GetObjectItemCaseSensitive(state_json, field);
    if (!*template_json)
        return 0;
    if (asl_parameters_validate(*template_json, detail, sizeof(detail)) < 0)
        return fail(error, error_size, "SCHEMA_VALIDATION_FAILED: %s at /States/%s/%s", detail, state_name, field);
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
        return fail(error, error_size, "SCHEMA_VALIDATION_FAILED: Only one of 'Next' or 'End' can be set at /States/%s",
                    state->name);
    if (next) {
        if (!cJSON_IsString(next) || !next->valuestring[0])
            return fail(error, error_size,
                        "SCHEMA_VALIDATION_FAILED: The value for the field 'Next' must be a non-empty string at "
                        "/States/%s/Next",
                        state->name);
        state->next = next->valuestring;
        return 0;
    }
    if (!cJSON_IsTrue(end))
        return fail(error, error_size,
                    "SCHEMA_VALIDATION_FAILED: These fields are required: [Next | End] at /States/%s", state->name);
    return 0;
}

static int parse_type(const cJSON *state_json, struct state_definition *state, char *error, size_t error_size)
{
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(state_json, "Type"));
    if (!type)
        return fail(error, error_size, "SCHEMA_VALIDATION_FAILED: These fields are required: [Type] at /States/%s",
                    state->name);
    for (size_t i = 0; i < sizeof(state_types) / sizeof(state_types[0]); i++) {
        if (strcmp(state_types[i].name, type) == 0) {
            state->type = state_types[i].type;
            return 0;
        }
    }
    return fail(error, error_size, "SCHEMA_VALIDATION_FAILED: '%s' is not a supported state type at /States/%s/Type",
                type, state->name);
}

static int parse_optional_string(const cJSON *state_json, const char *state_name, const char *field, const char **value,
                                 char *error, size_t error_size)
{
    const cJSON *member = cJSON_GetObjectItemCaseSensitive(state_json, field);
    *value = NULL;
    if (!member)
        return 0;
    if (!cJSON_IsString(member))
        return fail(error, error_size,
                    "SCHEMA_VALIDATION_FAILED: The value for the field '%s' must be a string at /States/%s/%s", field,
                    state_name, field);
    *value = member->valuestring;
    return 0;
}

/* A field given both as a value and as a path (e.g. TimeoutSeconds and TimeoutSecondsPath). */
static int fail_both_forms(char *error, size_t error_size, const char *field, const char *where)
{
    return fail(error, error_size, "SCHEMA_VALIDATION_FAILED: Only one of '%s' or '%sPath' can be set at %s", field,
                field, where);
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
static int allocate_error_list(const cJSON *state_json, const char *state_name, const char *field, size_t entry_size,
                               void **entries, char *error, size_t error_size)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(state_json, field);
    if (!list)
        return 0;
    if (!cJSON_IsArray(list))
        return fail(error, error_size,
                    "SCHEMA_VALIDATION_FAILED: The value for the field '%s' must be an array at /States/%s/%s", field,
                    state_name, field);
    if (cJSON_GetArraySize(list) > STATE_MACHINE_MAX_RETRIERS)
        return fail(error, error_size, "SCHEMA_VALIDATION_FAILED: At most %d entries are allowed at /States/%s/%s",
                    STATE_MACHINE_MAX_RETRIERS, state_name, field);
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
    char where[128];
    int index = 0, result = 0;
    const cJSON *entry, *list = cJSON_GetObjectItemCaseSensitive(state_json, field);
    cJSON_ArrayForEach(entry, list)
    {
        snprintf(where, sizeof(where), "/States/%s/%s/%d", state->name, field, index);
        bool last = ++index == cJSON_GetArraySize(list);
        if ((result = parse_entry(entry, where, last, state, error, error_size)) < 0)
            break;
    }
    return result;
}

static int parse_retry_and_catch(const cJSON *state_json, struct state_definition *state, char *error,
                                 size_t error_size)
{
    int result = allocate_error_list(state_json, state->name, "Retry", sizeof(struct retrier),
                                     (void **)&state->retriers, error, error_size);
    if (result == 0)
        result = parse_error_entries(state_json, state, "Retry", parse_retry_entry, error, error_size);
    if (result == 0)
        result = allocate_error_list(state_json, state->name, "Catch", sizeof(struct catcher),
                                     (void **)&state->catchers, error, error_size);
    if (result == 0)
        result = parse_error_entries(state_json, state, "Catch", parse_catch_entry, error, error_size);
    return result;
}

static int parse_task_fields(const cJSON *state_json, struct state_definition *state, const char *where, char *error,
                             size_t error_size)
{
    char type[64], name[128];
    int result = parse_optional_string(state_json, state->name, "Resource", &state->resource, error, error_size);
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
        || (result =
                parse_template(state_json, state->name, "ResultSelector", &state->result_selector, error, error_size))
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
    if ((result = parse_optional_string(state_json, state->name, "Error", &state->error, error, error_size)) < 0
        || (result = parse_optional_string(state_json, state->name, "Cause", &state->cause, error, error_size)) < 0
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
        || (result =
                parse_optional_string(state_json, state->name, "Timestamp", &state->wait_timestamp, error, error_size))
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
    }
    return common_fields;
}

static int check_fields(const cJSON *state_json, const struct state_definition *state, char *error, size_t error_size)
{
    const cJSON *field;
    cJSON_ArrayForEach(field, state_json)
    {
        if (!listed(common_fields, field->string) && !listed(fields_of(state->type), field->string))
            return fail(error, error_size, "SCHEMA_VALIDATION_FAILED: Field '%s' is not supported at /States/%s",
                        field->string, state->name);
    }
    return 0;
}

static int parse_state(const cJSON *state_json, struct state_definition *state, char *error, size_t error_size)
{
    char where[128];
    int result;
    state->name = state_json->string;
    state->json = state_json;
    snprintf(where, sizeof(where), "/States/%s", state->name);
    if (!cJSON_IsObject(state_json))
        return fail(error, error_size, "SCHEMA_VALIDATION_FAILED: A state must be a JSON object at %s", where);
    if ((result = parse_type(state_json, state, error, error_size)) < 0
        || (result = check_fields(state_json, state, error, error_size)) < 0
        || (result = parse_transition(state_json, state, error, error_size)) < 0
        || (result = parse_path_field(state_json, where, "InputPath", &state->input_path, error, error_size)) < 0
        || (result = parse_path_field(state_json, where, "OutputPath", &state->output_path, error, error_size)) < 0
        || (result = parse_path_field(state_json, where, "ResultPath", &state->result_path, error, error_size)) < 0
        || (result = parse_template(state_json, state->name, "Parameters", &state->parameters, error, error_size)) < 0)
        return result;
    state->result = cJSON_GetObjectItemCaseSensitive(state_json, "Result");
    switch (state->type) {
    case STATE_TASK:
        return parse_task_fields(state_json, state, where, error, error_size);
    case STATE_FAIL:
        return parse_fail_fields(state_json, state, where, error, error_size);
    case STATE_WAIT:
        return parse_wait_fields(state_json, state, where, error, error_size);
    case STATE_CHOICE:
        return choice_state_parse(state_json, state->name, &state->choice, error, error_size);
    default:
        return 0;
    }
}

static int check_target(const struct state_machine *machine, const char *target, const char *state_name,
                        const char *field, char *error, size_t error_size)
{
    if (state_machine_find(machine, target))
        return 0;
    return fail(error, error_size, "MISSING_TRANSITION_TARGET: Missing 'Next' target: %s at /States/%s/%s", target,
                state_name, field);
}

static int check_transitions(const struct state_machine *machine, char *error, size_t error_size)
{
    char field[64];
    int result = 0;
    if (!state_machine_find(machine, machine->start_at))
        return fail(error, error_size, "MISSING_TRANSITION_TARGET: Missing 'Next' target: %s at /StartAt",
                    machine->start_at);
    for (size_t i = 0; i < machine->state_count && result == 0; i++) {
        const struct state_definition *state = &machine->states[i];
        if (state->next)
            result = check_target(machine, state->next, state->name, "Next", error, error_size);
        for (size_t c = 0; c < state->catcher_count && result == 0; c++) {
            snprintf(field, sizeof(field), "Catch/%zu/Next", c);
            result = check_target(machine, state->catchers[c].next, state->name, field, error, error_size);
        }
        size_t targets = state->choice ? choice_state_target_count(state->choice) : 0;
        for (size_t t = 0; t < targets && result == 0; t++)
            result =
                check_target(machine, choice_state_target(state->choice, t), state->name, "Choices", error, error_size);
    }
    return result;
}

/* Marks target reachable and, the first time, pushes it to be walked (targets are known to exist). */
static void push_target(const struct state_machine *machine, const char *target, bool *reachable, size_t *stack,
                        size_t *depth)
{
    size_t index = (size_t)(state_machine_find(machine, target) - machine->states);

    if (reachable[index])
        return;
    reachable[index] = true;
    stack[(*depth)++] = index;
}

/* Marks every state that StartAt leads to as reachable: a walk with an explicit stack (each state pushed once). */
static int mark_reachable(const struct state_machine *machine, bool *reachable)
{
    size_t *stack = malloc(machine->state_count * sizeof *stack);
    size_t depth = 0;

    if (stack == NULL)
        return -ENOMEM;
    push_target(machine, machine->start_at, reachable, stack, &depth);
    while (depth > 0) {
        const struct state_definition *state = &machine->states[stack[--depth]];
        size_t targets = state->choice ? choice_state_target_count(state->choice) : 0;

        if (state->next)
            push_target(machine, state->next, reachable, stack, &depth);
        for (size_t c = 0; c < state->catcher_count; c++)
            push_target(machine, state->catchers[c].next, reachable, stack, &depth);
        for (size_t t = 0; t < targets; t++)
            push_target(machine, choice_state_target(state->choice, t), reachable, stack, &depth);
    }
    free(stack);
    return 0;
}

/* Every state must be reachable from StartAt (transitions are known to exist). */
static int check_reachable(const struct state_machine *machine, char *error, size_t error_size)
{
    bool *reachable = calloc(machine->state_count, sizeof(*reachable));
    int result = 0;
    if (!reachable || mark_reachable(machine, reachable) < 0) {
        free(reachable);
        return -ENOMEM;
    }
    for (size_t i = 0; i < machine->state_count && result == 0; i++) {
        if (!reachable[i])
            result = fail(error, error_size, "UNREACHABLE_STATE: State '%s' is not reachable at /States/%s",
                          machine->states[i].name, machine->states[i].name);
    }
    free(reachable);
    return result;
}

static int compare_names(const void *left, const void *right, void *machine_pointer)
{
    const struct state_machine *machine = machine_pointer;
    size_t left_index = *(const size_t *)left, right_index = *(const size_t *)right;
    int order = strcmp(machine->states[left_index].name, machine->states[right_index].name);

    return order != 0 ? order : (left_index > right_index) - (left_index < right_index);
}

/*
 * Sorts the states' indices by name into machine->by_name and flags in
 * duplicate[] every state whose name an earlier state already has.
 */
static int index_names(struct state_machine *machine, bool *duplicate)
{
    machine->by_name = malloc((machine->state_count ? machine->state_count : 1) * sizeof *machine->by_name);
    if (machine->by_name == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < machine->state_count; i++)
        machine->by_name[i] = i;
    qsort_r(machine->by_name, machine->state_count, sizeof *machine->by_name, compare_names, machine);
    for (size_t i = 1; i < machine->state_count; i++)
        duplicate[machine->by_name[i]] =
            strcmp(machine->states[machine->by_name[i - 1]].name, machine->states[machine->by_name[i]].name) == 0;
    return 0;
}

static int parse_each_state(struct state_machine *machine, const cJSON *states, const bool *duplicate, char *error,
                            size_t error_size)
{
    const cJSON *state_json;
    size_t index = 0;

    cJSON_ArrayForEach(state_json, states)
    {
        if (duplicate[index++])
            return fail(error, error_size, "DUPLICATE_STATE_NAME: Duplicate State name: %s at /States",
                        state_json->string);
        if (strlen(state_json->string) == 0 || strlen(state_json->string) > 80)
            return fail(error, error_size,
                        "SCHEMA_VALIDATION_FAILED: State names must be 1 to 80 characters long at /States");
        int result = parse_state(state_json, &machine->states[machine->state_count], error, error_size);
        machine->state_count++;
        if (result < 0)
            return result;
    }
    return 0;
}

/* Names are indexed first (a state's name is its key), so every lookup below is a binary search. */
static int parse_states(struct state_machine *machine, const cJSON *states, char *error, size_t error_size)
{
    size_t count = (size_t)cJSON_GetArraySize(states), index = 0;
    bool *duplicate = calloc(count ? count : 1, sizeof *duplicate);
    const cJSON *state_json;
    int result = -ENOMEM;

    machine->states = calloc(count ? count : 1, sizeof(*machine->states));
    if (!machine->states || !duplicate)
        goto done;
    cJSON_ArrayForEach(state_json, states) machine->states[index++].name = state_json->string;
    machine->state_count = count;
    result = index_names(machine, duplicate);
    machine->state_count = 0;
    if (result == 0)
        result = parse_each_state(machine, states, duplicate, error, error_size);
    if (result == 0)
        result = check_transitions(machine, error, error_size);
    if (result == 0)
        result = check_reachable(machine, error, error_size);
done:
    free(duplicate);
    return result;
}

/* The top level: StartAt, States, Comment, Version, TimeoutSeconds, QueryLanguage (JSONPath only). */
static int check_top_level(const cJSON *document, char *error, size_t error_size)
{
    static const char *const top_fields[] = { "StartAt",        "States",        "Comment", "Version",
                                              "TimeoutSeconds", "QueryLanguage", NULL };
    const cJSON *field;
    cJSON_ArrayForEach(field, document)
    {
        if (!listed(top_fields, field->string))
            return fail(error, error_size, "SCHEMA_VALIDATION_FAILED: Field '%s' is not supported at /", field->string);
    }
    const char *language = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(document, "QueryLanguage"));
    if (cJSON_GetObjectItemCaseSensitive(document, "QueryLanguage") && (!language || strcmp(language, "JSONPath")))
        return fail(
            error, error_size,
            "SCHEMA_VALIDATION_FAILED: This engine supports the JSONPath query language only at /QueryLanguage");
    return 0;
}

int state_machine_parse(const char *definition, size_t length, struct state_machine **machine_out, char *error,
                        size_t error_size)
{
    struct state_machine *machine = calloc(1, sizeof(*machine));
    int result = -ENOMEM;
    if (!machine)
        return -ENOMEM;
    if (json_parse(definition, length, &machine->document) < 0) {
        result = fail(error, error_size, "INVALID_JSON_DESCRIPTION: The definition is not valid JSON");
        goto failed;
    }
    if (!cJSON_IsObject(machine->document)) {
        result = fail(error, error_size, "SCHEMA_VALIDATION_FAILED: The definition must be a JSON object at /");
        goto failed;
    }
    if ((result = check_top_level(machine->document, error, error_size)) < 0)
        goto failed;
    machine->start_at = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(machine->document, "StartAt"));
    const cJSON *states = cJSON_GetObjectItemCaseSensitive(machine->document, "States");
    if (!machine->start_at || !cJSON_IsObject(states) || cJSON_GetArraySize(states) == 0) {
        result = fail(error, error_size, "SCHEMA_VALIDATION_FAILED: These fields are required: [%s] at /",
                      machine->start_at ? "States" : "StartAt");
        goto failed;
    }
    result = parse_states(machine, states, error, error_size);
    if (result < 0)
        goto failed;
    *machine_out = machine;
    return 0;

failed:
    state_machine_free(machine);
    return result;
}

void state_machine_free(struct state_machine *machine)
{
    if (!machine)
        return;
    for (size_t i = 0; machine->states && i < machine->state_count; i++) {
        free(machine->states[i].retriers);
        free(machine->states[i].catchers);
        choice_state_free(machine->states[i].choice);
    }
    free(machine->states);
    free(machine->by_name);
    cJSON_Delete(machine->document);
    free(machine);
}
