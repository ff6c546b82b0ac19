/*
 * state_machine_fields - the readers and validators of one state's fields,
 * shared by every state type: the fields each type may have, Next/End, the
 * path fields, whole numbers, payload templates, Retry and Catch, and the
 * fields of Task, Fail and Wait. See state_machine_internal.h.
 */
#include "state_machine_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activity_arn.h"
#include "asl_jsonata.h"
#include "asl_parameters.h"
#include "asl_path.h"
#include "intrinsic_functions.h"
#include "wall_clock.h"

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

int state_machine_fail(char *error, size_t error_size, const char *format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(error, error_size, format, arguments);
    va_end(arguments);
    return -EINVAL;
}

/*
 * The fields each state type may have (JSONPath query language). Anything
 * else is refused, as AWS refuses it, so that a definition that runs here
 * also deploys.
 */
static const char *const task_fields[] = { "Type",
                                           "Comment",
                                           "Next",
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
                                           "Assign",
                                           "QueryLanguage",
                                           NULL };
static const char *const pass_fields[] = { "Type",      "Comment",    "Next",          "End",
                                           "InputPath", "OutputPath", "ResultPath",    "Parameters",
                                           "Result",    "Assign",     "QueryLanguage", NULL };
static const char *const wait_fields[] = { "Type",       "Comment",       "Next",        "End",       "InputPath",
                                           "OutputPath", "Seconds",       "SecondsPath", "Timestamp", "TimestampPath",
                                           "Assign",     "QueryLanguage", NULL };
static const char *const choice_fields[] = { "Type",       "Comment", "Choices",       "Default", "InputPath",
                                             "OutputPath", "Assign",  "QueryLanguage", NULL };
static const char *const succeed_fields[] = { "Type", "Comment", "InputPath", "OutputPath", "QueryLanguage", NULL };
static const char *const fail_fields[] = { "Type",  "Comment",   "Error",         "ErrorPath",
                                           "Cause", "CausePath", "QueryLanguage", NULL };
static const char *const parallel_fields[] = { "Type",      "Comment",       "Next",       "End",
                                               "InputPath", "OutputPath",    "ResultPath", "ResultSelector",
                                               "Retry",     "Catch",         "Parameters", "Branches",
                                               "Assign",    "QueryLanguage", NULL };
static const char *const map_fields[] = { "Type",
                                          "Comment",
                                          "Next",
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
                                          "Assign",
                                          "QueryLanguage",
                                          NULL };
static const char *const *const fields_of_type[] = {
    [STATE_TASK] = task_fields,         [STATE_PASS] = pass_fields, [STATE_SUCCEED] = succeed_fields,
    [STATE_FAIL] = fail_fields,         [STATE_WAIT] = wait_fields, [STATE_CHOICE] = choice_fields,
    [STATE_PARALLEL] = parallel_fields, [STATE_MAP] = map_fields,
};

static bool listed(const char *const *names, const char *name)
{
    for (; *names; names++) {
        if (strcmp(*names, name) == 0)
            return true;
    }
    return false;
}

int state_machine_check_known_fields(const cJSON *object, const char *const *fields, const char *where, char *error,
                                     size_t error_size)
{
    const cJSON *field;
    cJSON_ArrayForEach(field, object)
    {
        if (!listed(fields, field->string))
            return state_machine_fail(error, error_size, "SCHEMA_VALIDATION_FAILED: Field '%s' is not supported at %s",
                                      field->string, where);
    }
    return 0;
}

int state_machine_check_state_fields(const cJSON *state_json, const struct state_definition *state, char *error,
                                     size_t error_size)
{
    return state_machine_check_known_fields(state_json, fields_of_type[state->type], state->where, error, error_size);
}

int state_machine_parse_path(const cJSON *object, const char *where, const char *field, bool context_allowed,
                             const char **path, char *error, size_t error_size)
{
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(object, field);
    *path = NULL;
    if (!value)
        return 0;
    /* A ResultPath places a result in the state's input: it cannot name a variable. */
    bool variable_allowed = strcmp(field, "ResultPath") != 0;
    if (!cJSON_IsString(value)
        || (variable_allowed ? asl_path_validate_reference(value->valuestring) : asl_path_validate(value->valuestring))
               < 0
        || (!context_allowed && strncmp(value->valuestring, "$$", 2) == 0))
        return state_machine_fail(
            error, error_size,
            "SCHEMA_VALIDATION_FAILED: The value for the field '%s' must be a valid JSONPath at %s/%s", field, where,
            field);
    *path = value->valuestring;
    return 0;
}

int state_machine_parse_query_path(const cJSON *object, const char *where, const char *field, bool context_allowed,
                                   const char **path, char *error, size_t error_size)
{
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(object, field);
    if (!cJSON_IsString(value) || asl_path_validate(value->valuestring) == 0
        || asl_path_validate_query(value->valuestring) < 0 || strncmp(value->valuestring, "$$", 2) == 0)
        return state_machine_parse_path(object, where, field, context_allowed, path, error, error_size);
    *path = value->valuestring;
    return 0;
}

int state_machine_parse_path_field(const cJSON *state_json, const char *where, const char *field,
                                   struct state_path *path, char *error, size_t error_size)
{
    const char *given = NULL;
    path->path = "$";
    path->is_null = cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(state_json, field));
    if (path->is_null)
        return 0;
    int result = strcmp(field, "ResultPath") == 0
                     ? state_machine_parse_path(state_json, where, field, false, &given, error, error_size)
                     : state_machine_parse_query_path(state_json, where, field, true, &given, error, error_size);
    if (given)
        path->path = given;
    return result;
}

int state_machine_parse_integer(const cJSON *object, const char *where, const char *field, long minimum, long maximum,
                                long *number, char *error, size_t error_size)
{
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(object, field);
    if (!value)
        return 0;
    if (!cJSON_IsNumber(value) || value->valuedouble < (double)minimum || value->valuedouble > (double)maximum
        || value->valuedouble != (double)(long)value->valuedouble)
        return state_machine_fail(error, error_size,
                                  "SCHEMA_VALIDATION_FAILED: The value for the field '%s' must be %s integer at %s/%s",
                                  field, minimum > 0 ? "a positive" : "a non-negative", where, field);
    *number = (long)value->valuedouble;
    return 0;
}

int state_machine_parse_template(const cJSON *state_json, const char *where, const char *field,
                                 const cJSON **template_json, char *error, size_t error_size)
{
    char detail[512];
    *template_json = cJSON_GetObjectItemCaseSensitive(state_json, field);
    if (!*template_json)
        return 0;
    if (asl_parameters_validate(*template_json, detail, sizeof(detail)) < 0)
        return state_machine_fail(error, error_size, "SCHEMA_VALIDATION_FAILED: %s at %s/%s", detail, where, field);
    return 0;
}

int state_machine_parse_assign(const cJSON *state_json, struct state_definition *state, char *error, size_t error_size)
{
    const cJSON *rule;
    char where[256];
    int index = 0;
    int result = state_machine_parse_template(state_json, state->where, "Assign", &state->assign, error, error_size);

    if (result < 0 || state->type != STATE_CHOICE)
        return result;
    cJSON_ArrayForEach(rule, cJSON_GetObjectItemCaseSensitive(state_json, "Choices"))
    {
        const cJSON *assign;
        snprintf(where, sizeof where, "%s/Choices/%d", state->where, index++);
        if (cJSON_IsObject(rule)
            && (result = state_machine_parse_template(rule, where, "Assign", &assign, error, error_size)) < 0)
            return result;
    }
    return 0;
}

int state_machine_parse_transition(const cJSON *state_json, struct state_definition *state, char *error,
                                   size_t error_size)
{
    const cJSON *next = cJSON_GetObjectItemCaseSensitive(state_json, "Next");
    const cJSON *end = cJSON_GetObjectItemCaseSensitive(state_json, "End");
    /* Succeed and Fail end the execution; a Choice's transitions are in its rules. */
    bool terminal_type = state->type == STATE_SUCCEED || state->type == STATE_FAIL || state->type == STATE_CHOICE;

    if (terminal_type)
        return 0; /* state_machine_check_state_fields() has refused Next and End on these */
    if (next && end)
        return state_machine_fail(
            error, error_size, "SCHEMA_VALIDATION_FAILED: Only one of 'Next' or 'End' can be set at %s", state->where);
    if (next) {
        if (!cJSON_IsString(next) || !next->valuestring[0])
            return state_machine_fail(
                error, error_size,
                "SCHEMA_VALIDATION_FAILED: The value for the field 'Next' must be a non-empty string at "
                "%s/Next",
                state->where);
        state->next = next->valuestring;
        return 0;
    }
    if (!cJSON_IsTrue(end))
        return state_machine_fail(
            error, error_size, "SCHEMA_VALIDATION_FAILED: These fields are required: [Next | End] at %s", state->where);
    return 0;
}

int state_machine_parse_optional_string(const cJSON *state_json, const char *where, const char *field,
                                        const char **value, char *error, size_t error_size)
{
    const cJSON *member = cJSON_GetObjectItemCaseSensitive(state_json, field);
    *value = NULL;
    if (!member)
        return 0;
    if (!cJSON_IsString(member))
        return state_machine_fail(error, error_size,
                                  "SCHEMA_VALIDATION_FAILED: The value for the field '%s' must be a string at %s/%s",
                                  field, where, field);
    *value = member->valuestring;
    return 0;
}

int state_machine_fail_exclusive(char *error, size_t error_size, const char *field, const char *other,
                                 const char *where)
{
    return state_machine_fail(error, error_size, "SCHEMA_VALIDATION_FAILED: Only one of '%s' or '%s' can be set at %s",
                              field, other, where);
}

int state_machine_fail_both_forms(char *error, size_t error_size, const char *field, const char *where)
{
    char path_field[64];
    snprintf(path_field, sizeof(path_field), "%sPath", field);
    return state_machine_fail_exclusive(error, error_size, field, path_field, where);
}

/* Checks an ErrorEquals list (where names its location); last says whether its retrier/catcher is the last one. */
static int parse_error_equals(const cJSON *entry, const char *where, bool last, const cJSON **names, char *error,
                              size_t error_size)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(entry, "ErrorEquals");
    const cJSON *name;
    if (!list)
        return state_machine_fail(error, error_size,
                                  "SCHEMA_VALIDATION_FAILED: These fields are required: [ErrorEquals] at %s", where);
    if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) == 0)
        return state_machine_fail(
            error, error_size,
            "SCHEMA_VALIDATION_FAILED: The value for the field 'ErrorEquals' must be a non-empty array at "
            "%s/ErrorEquals",
            where);
    cJSON_ArrayForEach(name, list)
    {
        if (!cJSON_IsString(name) || !name->valuestring[0])
            return state_machine_fail(
                error, error_size, "SCHEMA_VALIDATION_FAILED: Error names must be non-empty strings at %s/ErrorEquals",
                where);
        bool known = strncmp(name->valuestring, "States.", 7) != 0;
        for (size_t i = 0; !known && i < sizeof(predefined_errors) / sizeof(predefined_errors[0]); i++)
            known = strcmp(name->valuestring, predefined_errors[i]) == 0;
        if (!known)
            return state_machine_fail(
                error, error_size,
                "SCHEMA_VALIDATION_FAILED: '%s' is not a predefined error name; names starting with 'States.' "
                "are reserved at %s/ErrorEquals",
                name->valuestring, where);
        if (strcmp(name->valuestring, "States.ALL") == 0 && (cJSON_GetArraySize(list) > 1 || !last))
            return state_machine_fail(
                error, error_size,
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
        return state_machine_fail(error, error_size,
                                  "SCHEMA_VALIDATION_FAILED: The value for the field '%s' must be an array at %s/%s",
                                  field, where, field);
    if (cJSON_GetArraySize(list) > STATE_MACHINE_MAX_RETRIERS)
        return state_machine_fail(error, error_size,
                                  "SCHEMA_VALIDATION_FAILED: At most %d entries are allowed at %s/%s",
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
        return state_machine_fail(error, error_size, "SCHEMA_VALIDATION_FAILED: A retrier must be a JSON object at %s",
                                  where);
    retrier->max_attempts = 3;
    retrier->backoff_rate = 2.0;
    if ((result = parse_error_equals(entry, where, last, &retrier->error_equals, error, error_size)) < 0
        || (result =
                state_machine_parse_integer(entry, where, "IntervalSeconds", 1, 99999999, &interval, error, error_size))
               < 0
        || (result = state_machine_parse_integer(entry, where, "MaxAttempts", 0, 99999999, &retrier->max_attempts,
                                                 error, error_size))
               < 0
        || (result = state_machine_parse_integer(entry, where, "MaxDelaySeconds", 1, 31622400, &max_delay, error,
                                                 error_size))
               < 0)
        return result;
    if (backoff && (!cJSON_IsNumber(backoff) || backoff->valuedouble < 1.0))
        return state_machine_fail(
            error, error_size,
            "SCHEMA_VALIDATION_FAILED: The value for the field 'BackoffRate' must be a number of at least 1.0 "
            "at %s/BackoffRate",
            where);
    if (jitter
        && (!cJSON_IsString(jitter)
            || (strcmp(jitter->valuestring, "FULL") != 0 && strcmp(jitter->valuestring, "NONE") != 0)))
        return state_machine_fail(
            error, error_size,
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
        return state_machine_fail(error, error_size, "SCHEMA_VALIDATION_FAILED: A catcher must be a JSON object at %s",
                                  where);
    if ((result = parse_error_equals(entry, where, last, &catcher->error_equals, error, error_size)) < 0
        || (result =
                state_machine_parse_path_field(entry, where, "ResultPath", &catcher->result_path, error, error_size))
               < 0)
        return result;
    const cJSON *next = cJSON_GetObjectItemCaseSensitive(entry, "Next");
    if (!cJSON_IsString(next) || !next->valuestring[0])
        return state_machine_fail(error, error_size,
                                  "SCHEMA_VALIDATION_FAILED: These fields are required: [Next] at %s", where);
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

int state_machine_parse_retry_and_catch(const cJSON *state_json, struct state_definition *state, char *error,
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

int state_machine_parse_task_fields(const cJSON *state_json, struct state_definition *state, char *error,
                                    size_t error_size)
{
    const char *where = state->where;
    char type[64], name[128];
    int result =
        state_machine_parse_optional_string(state_json, where, "Resource", &state->resource, error, error_size);
    if (result < 0)
        return result;
    if (!state->resource)
        return state_machine_fail(error, error_size,
                                  "SCHEMA_VALIDATION_FAILED: These fields are required: [Resource] at %s", where);
    if (state_machine_split_resource(state->resource, type, sizeof(type), name, sizeof(name)) < 0
        && !activity_arn_is_activity(state->resource))
        return state_machine_fail(error, error_size,
                                  "SCHEMA_VALIDATION_FAILED: Value is not a valid resource ARN at %s/Resource", where);
    if ((result = state_machine_parse_count(state_json, state, "TimeoutSeconds", 1, 99999999, &state->timeout_seconds,
                                            error, error_size))
            < 0
        || (result = state_machine_parse_count(state_json, state, "HeartbeatSeconds", 1, 99999999,
                                               &state->heartbeat_seconds, error, error_size))
               < 0
        || (result = state_machine_parse_path(state_json, where, "TimeoutSecondsPath", false,
                                              &state->timeout_seconds_path, error, error_size))
               < 0
        || (result = state_machine_parse_path(state_json, where, "HeartbeatSecondsPath", false,
                                              &state->heartbeat_seconds_path, error, error_size))
               < 0
        || (result = state_machine_parse_template(state_json, where, "ResultSelector", &state->result_selector, error,
                                                  error_size))
               < 0)
        return result;
    if (state->timeout_seconds && state->timeout_seconds_path)
        return state_machine_fail_both_forms(error, error_size, "TimeoutSeconds", where);
    if (state->heartbeat_seconds && state->heartbeat_seconds_path)
        return state_machine_fail_both_forms(error, error_size, "HeartbeatSeconds", where);
    if (state->timeout_seconds && state->heartbeat_seconds && state->heartbeat_seconds >= state->timeout_seconds)
        return state_machine_fail(
            error, error_size,
            "SCHEMA_VALIDATION_FAILED: HeartbeatSeconds must be smaller than TimeoutSeconds at %s/HeartbeatSeconds",
            where);
    return state_machine_parse_retry_and_catch(state_json, state, error, error_size);
}

/* A Fail state's ErrorPath or CausePath: a reference path or an intrinsic function call. */
static int parse_fail_path(const cJSON *state_json, const char *where, const char *field, const char **path,
                           char *error, size_t error_size)
{
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(state_json, field);
    if (cJSON_IsString(value) && intrinsic_is_call(value->valuestring) && intrinsic_validate(value->valuestring) == 0) {
        *path = value->valuestring;
        return 0;
    }
    return state_machine_parse_path(state_json, where, field, false, path, error, error_size);
}

int state_machine_parse_fail_fields(const cJSON *state_json, struct state_definition *state, char *error,
                                    size_t error_size)
{
    const char *where = state->where;
    int result;
    if ((result = state_machine_parse_optional_string(state_json, where, "Error", &state->error, error, error_size)) < 0
        || (result = state_machine_parse_optional_string(state_json, where, "Cause", &state->cause, error, error_size))
               < 0
        || (result = parse_fail_path(state_json, where, "ErrorPath", &state->error_path, error, error_size)) < 0
        || (result = parse_fail_path(state_json, where, "CausePath", &state->cause_path, error, error_size)) < 0)
        return result;
    if (state->error && state->error_path)
        return state_machine_fail_both_forms(error, error_size, "Error", where);
    if (state->cause && state->cause_path)
        return state_machine_fail_both_forms(error, error_size, "Cause", where);
    return 0;
}

int state_machine_parse_wait_fields(const cJSON *state_json, struct state_definition *state, char *error,
                                    size_t error_size)
{
    const char *where = state->where;
    int64_t ignored;
    int result, count;
    state->wait_seconds = -1;
    if ((result = state_machine_parse_count(state_json, state, "Seconds", 0, 99999999, &state->wait_seconds, error,
                                            error_size))
            < 0
        || (result = state_machine_parse_path(state_json, where, "SecondsPath", false, &state->wait_seconds_path, error,
                                              error_size))
               < 0
        || (result = state_machine_parse_optional_string(state_json, where, "Timestamp", &state->wait_timestamp, error,
                                                         error_size))
               < 0
        || (result = state_machine_parse_path(state_json, where, "TimestampPath", false, &state->wait_timestamp_path,
                                              error, error_size))
               < 0)
        return result;
    bool seconds_expression =
        asl_jsonata_expression(cJSON_GetObjectItemCaseSensitive(state_json, "Seconds"), NULL, NULL);
    bool timestamp_expression =
        asl_jsonata_expression(cJSON_GetObjectItemCaseSensitive(state_json, "Timestamp"), NULL, NULL);
    if (state->wait_timestamp && !(state->jsonata && timestamp_expression)
        && wall_clock_parse_iso8601(state->wait_timestamp, &ignored) < 0)
        return state_machine_fail(error, error_size,
                                  "SCHEMA_VALIDATION_FAILED: String does not match RFC3339 timestamp at %s/Timestamp",
                                  where);
    count = (state->wait_seconds >= 0) + (state->jsonata && seconds_expression) + (state->wait_seconds_path != NULL)
            + (state->wait_timestamp != NULL) + (state->wait_timestamp_path != NULL);
    if (count != 1)
        return state_machine_fail(
            error, error_size,
            "SCHEMA_VALIDATION_FAILED: Exactly one of 'Seconds', 'SecondsPath', 'Timestamp' or 'TimestampPath' "
            "must be set at %s",
            where);
    return 0;
}
