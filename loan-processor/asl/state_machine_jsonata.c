/*
 * state_machine_jsonata - the QueryLanguage of a state and what a JSONata
 * state may hold: its fields, and every "{% expression %}" in them parsed
 * when the machine is created. See state_machine_internal.h.
 */
#include "state_machine_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asl_jsonata.h"
#include "jsonata.h"

bool asl_jsonata_expression(const cJSON *value, const char **text, size_t *length)
{
    const char *string = cJSON_GetStringValue(value);
    size_t size = string ? strlen(string) : 0;

    if (size < 4 || strncmp(string, "{%", 2) != 0 || strcmp(string + size - 2, "%}") != 0)
        return false;
    const char *start = string + 2, *end = string + size - 2;
    while (start < end && isspace((unsigned char)*start))
        start++;
    while (end > start && isspace((unsigned char)end[-1]))
        end--;
    if (text)
        *text = start;
    if (length)
        *length = (size_t)(end - start);
    return true;
}

/* The fields each state type may have in a JSONata state. */
static const char *const task_fields[] = {
    "Type",           "Comment",          "Next",  "End",   "Arguments",     "Output", "Assign", "Resource",
    "TimeoutSeconds", "HeartbeatSeconds", "Retry", "Catch", "QueryLanguage", NULL
};
static const char *const pass_fields[] = {
    "Type", "Comment", "Next", "End", "Output", "Assign", "QueryLanguage", NULL
};
static const char *const wait_fields[] = { "Type",   "Comment", "Next",      "End",           "Output",
                                           "Assign", "Seconds", "Timestamp", "QueryLanguage", NULL };
static const char *const choice_fields[] = { "Type",   "Comment", "Choices",       "Default",
                                             "Output", "Assign",  "QueryLanguage", NULL };
static const char *const succeed_fields[] = { "Type", "Comment", "Output", "QueryLanguage", NULL };
static const char *const fail_fields[] = { "Type", "Comment", "Error", "Cause", "QueryLanguage", NULL };
static const char *const parallel_fields[] = { "Type",   "Comment", "Next",  "End",      "Arguments",     "Output",
                                               "Assign", "Retry",   "Catch", "Branches", "QueryLanguage", NULL };
static const char *const map_fields[] = { "Type",
                                          "Comment",
                                          "Next",
                                          "End",
                                          "Output",
                                          "Assign",
                                          "Retry",
                                          "Catch",
                                          "Items",
                                          "ItemSelector",
                                          "ItemProcessor",
                                          "Iterator",
                                          "MaxConcurrency",
                                          "ToleratedFailurePercentage",
                                          "ToleratedFailureCount",
                                          "Label",
                                          "ItemBatcher",
                                          "ItemReader",
                                          "ResultWriter",
                                          "QueryLanguage",
                                          NULL };
static const char *const *const fields_of_type[] = {
    [STATE_TASK] = task_fields,         [STATE_PASS] = pass_fields, [STATE_SUCCEED] = succeed_fields,
    [STATE_FAIL] = fail_fields,         [STATE_WAIT] = wait_fields, [STATE_CHOICE] = choice_fields,
    [STATE_PARALLEL] = parallel_fields, [STATE_MAP] = map_fields,
};

/* The fields whose values (at any depth) may be expressions. */
static const char *const expression_fields[] = { "Arguments",
                                                 "Output",
                                                 "Assign",
                                                 "Items",
                                                 "ItemSelector",
                                                 "Seconds",
                                                 "Timestamp",
                                                 "TimeoutSeconds",
                                                 "HeartbeatSeconds",
                                                 "MaxConcurrency",
                                                 "ToleratedFailurePercentage",
                                                 "ToleratedFailureCount",
                                                 "Error",
                                                 "Cause",
                                                 "Condition",
                                                 NULL };

int state_machine_parse_query_language(const cJSON *state_json, bool machine_jsonata, struct state_definition *state,
                                       char *error, size_t error_size)
{
    const cJSON *field = cJSON_GetObjectItemCaseSensitive(state_json, "QueryLanguage");
    const char *language = cJSON_GetStringValue(field);

    state->jsonata = machine_jsonata;
    if (!field)
        return 0;
    if (!language || (strcmp(language, "JSONPath") != 0 && strcmp(language, "JSONata") != 0))
        return state_machine_fail(error, error_size,
                                  "SCHEMA_VALIDATION_FAILED: The value for the field 'QueryLanguage' must be one of "
                                  "[JSONPath, JSONata] at %s/QueryLanguage",
                                  state->where);
    if (machine_jsonata && strcmp(language, "JSONPath") == 0)
        return state_machine_fail(error, error_size,
                                  "SCHEMA_VALIDATION_FAILED: 'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' "
                                  "for whole state machine at %s",
                                  state->where);
    state->jsonata = strcmp(language, "JSONata") == 0;
    return 0;
}

/* Parses every expression in value (at where), refusing the keys of JSONPath templates ("x.$"). */
static int check_template(const cJSON *value, const char *where, char *error, size_t error_size)
{
    const char *text;
    size_t length;
    const cJSON *member;
    char inner[WHERE_SIZE];

    if (asl_jsonata_expression(value, &text, &length)) {
        char *expression = strndup(text, length);
        struct jsonata_expression *parsed = NULL;
        struct jsonata_error problem = { 0 };
        if (!expression)
            return -ENOMEM;
        int result = jsonata_parse(expression, &parsed, &problem);
        jsonata_free(parsed);
        if (result == -EINVAL || result == -ELOOP)
            result = state_machine_fail(error, error_size,
                                        "SCHEMA_VALIDATION_FAILED: The JSONata expression '%s' is not valid: %s: %s at "
                                        "%s",
                                        expression, problem.code, problem.message, where);
        free(expression);
        return result;
    }
    cJSON_ArrayForEach(member, value)
    {
        size_t key_length = member->string ? strlen(member->string) : 0;
        if (key_length >= 2 && strcmp(member->string + key_length - 2, ".$") == 0)
            return state_machine_fail(error, error_size,
                                      "SCHEMA_VALIDATION_FAILED: The field '%s' is not supported with the JSONata "
                                      "query language at %s",
                                      member->string, where);
        if (member->string)
            snprintf(inner, sizeof inner, "%s/%s", where, member->string);
        else
            snprintf(inner, sizeof inner, "%s", where);
        int result = check_template(member, inner, error, error_size);
        if (result < 0)
            return result;
    }
    return 0;
}

/* The expression fields of object (a state, a Choice rule, a catcher) at where. */
static int check_expression_fields(const cJSON *object, const char *where, char *error, size_t error_size)
{
    char inner[WHERE_SIZE];
    for (const char *const *field = expression_fields; *field; field++) {
        const cJSON *value = cJSON_GetObjectItemCaseSensitive(object, *field);
        snprintf(inner, sizeof inner, "%s/%s", where, *field);
        int result = value ? check_template(value, inner, error, error_size) : 0;
        if (result < 0)
            return result;
    }
    return 0;
}

/* Each entry of the array field list of state_json (Choices, Catch). */
static int check_entries(const cJSON *state_json, const char *where, const char *list, char *error, size_t error_size)
{
    char inner[WHERE_SIZE];
    const cJSON *entry;
    int index = 0;
    cJSON_ArrayForEach(entry, cJSON_GetObjectItemCaseSensitive(state_json, list))
    {
        snprintf(inner, sizeof inner, "%s/%s/%d", where, list, index++);
        int result = check_expression_fields(entry, inner, error, error_size);
        if (result < 0)
            return result;
    }
    return 0;
}

int state_machine_check_jsonata_state(const cJSON *state_json, const struct state_definition *state, char *error,
                                      size_t error_size)
{
    int result =
        state_machine_check_known_fields(state_json, fields_of_type[state->type], state->where, error, error_size);
    if (result == 0)
        result = check_expression_fields(state_json, state->where, error, error_size);
    if (result == 0)
        result = check_entries(state_json, state->where, "Choices", error, error_size);
    if (result == 0)
        result = check_entries(state_json, state->where, "Catch", error, error_size);
    return result;
}

int state_machine_parse_count(const cJSON *object, const struct state_definition *state, const char *field,
                              long minimum, long maximum, long *number, char *error, size_t error_size)
{
    if (state->jsonata && asl_jsonata_expression(cJSON_GetObjectItemCaseSensitive(object, field), NULL, NULL))
        return 0;
    return state_machine_parse_integer(object, state->where, field, minimum, maximum, number, error, error_size);
}

int state_machine_check_jsonpath_choice(const cJSON *state_json, const struct state_definition *state, char *error,
                                        size_t error_size)
{
    static const char *const jsonata_only[] = { "Condition", "Output" };
    const cJSON *rule;
    int index = 0;
    cJSON_ArrayForEach(rule, cJSON_GetObjectItemCaseSensitive(state_json, "Choices"))
    {
        for (size_t i = 0; i < sizeof jsonata_only / sizeof jsonata_only[0]; i++) {
            if (cJSON_IsObject(rule) && cJSON_GetObjectItemCaseSensitive(rule, jsonata_only[i]))
                return state_machine_fail(error, error_size,
                                          "SCHEMA_VALIDATION_FAILED: Field '%s' is not supported by a Choice Rule at "
                                          "%s/Choices/%d/%s",
                                          jsonata_only[i], state->where, index, jsonata_only[i]);
        }
        index++;
    }
    return 0;
}
