/* definition_diagnostics - see definition_diagnostics.h. */
#include "definition_diagnostics.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whether text[0..length) is an error code: capitals and underscores. */
static bool is_code(const char *text, size_t length)
{
    if (length == 0 || length >= DEFINITION_CODE_SIZE)
        return false;
    for (size_t i = 0; i < length; i++) {
        if (!((text[i] >= 'A' && text[i] <= 'Z') || text[i] == '_'))
            return false;
    }
    return true;
}

/* The last " at /" of text (the location follows it), or NULL. */
static const char *find_location(const char *text)
{
    const char *found = NULL;
    for (const char *at = strstr(text, " at /"); at; at = strstr(at + 1, " at /"))
        found = at;
    return found;
}

void definition_diagnostic_from_error(const char *error, struct definition_diagnostic *diagnostic)
{
    const char *colon = strstr(error, ": ");
    const char *message = error;
    memset(diagnostic, 0, sizeof(*diagnostic));
    diagnostic->severity = DEFINITION_ERROR;
    if (colon && is_code(error, (size_t)(colon - error))) {
        memcpy(diagnostic->code, error, (size_t)(colon - error));
        message = colon + 2;
    } else {
        snprintf(diagnostic->code, sizeof(diagnostic->code), "SCHEMA_VALIDATION_FAILED");
    }
    const char *at = find_location(message);
    size_t length = at ? (size_t)(at - message) : strlen(message);
    snprintf(diagnostic->message, sizeof(diagnostic->message), "%.*s", (int)length, message);
    if (at)
        snprintf(diagnostic->location, sizeof(diagnostic->location), "%s", at + 4);
}

static struct definition_diagnostic *add_diagnostic(struct definition_diagnostics *list)
{
    if (list->count == list->capacity) {
        size_t capacity = list->capacity ? list->capacity * 2 : 4;
        struct definition_diagnostic *grown = realloc(list->items, capacity * sizeof(*grown));
        if (!grown)
            return NULL;
        list->items = grown;
        list->capacity = capacity;
    }
    struct definition_diagnostic *diagnostic = &list->items[list->count++];
    memset(diagnostic, 0, sizeof(*diagnostic));
    return diagnostic;
}

static int add_warning(struct definition_diagnostics *list, const char *code, const char *message, const char *location)
{
    struct definition_diagnostic *diagnostic = add_diagnostic(list);
    if (!diagnostic)
        return -ENOMEM;
    diagnostic->severity = DEFINITION_WARNING;
    snprintf(diagnostic->code, sizeof(diagnostic->code), "%s", code);
    snprintf(diagnostic->message, sizeof(diagnostic->message), "%s", message);
    snprintf(diagnostic->location, sizeof(diagnostic->location), "%s", location);
    return 0;
}

static bool ends_with_dollar(const char *name)
{
    size_t length = strlen(name);
    return length >= 2 && strcmp(name + length - 2, ".$") == 0;
}

/* Whether a plain string value reads like a JSONPath: "$", "$.x", "$$", "$$.x", "$[0]". */
static bool looks_like_path(const char *value)
{
    return strcmp(value, "$") == 0 || strcmp(value, "$$") == 0 || strncmp(value, "$.", 2) == 0
           || strncmp(value, "$$.", 3) == 0 || strncmp(value, "$[", 2) == 0;
}

/* Whether a plain string value reads like a JSONPath or an intrinsic function call. */
static bool looks_dynamic(const char *value)
{
    if (looks_like_path(value))
        return true;
    return strncmp(value, "States.", 7) == 0 && strchr(value, '(') && value[strlen(value) - 1] == ')';
}

/* NO_PATH: field of object (at location) is a string that looks like a path, where "<field>Path" is the field to use. */
static int check_no_path(const cJSON *object, const char *location, const char *field,
                         struct definition_diagnostics *list)
{
    const char *value = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(object, field));
    char where[DEFINITION_LOCATION_SIZE];
    if (!value || !looks_like_path(value))
        return 0;
    snprintf(where, sizeof(where), "%s/%s", location, field);
    return add_warning(list, "NO_PATH",
                       "Field value looks like a path, but field name does not end with 'Path': the value is used "
                       "as a plain string",
                       where);
}

/* NO_PATH in a Choice rule (at location) and the rules nested in its And, Or and Not. */
static int check_rule_paths(const cJSON *rule, const char *location, struct definition_diagnostics *list)
{
    static const char *const comparisons[] = { "StringEquals", "StringLessThan", "StringGreaterThan",
                                               "StringLessThanEquals", "StringGreaterThanEquals" };
    static const char *const nesting[] = { "And", "Or" };
    char where[DEFINITION_LOCATION_SIZE];
    int result = 0;
    for (size_t i = 0; result == 0 && i < sizeof(comparisons) / sizeof(comparisons[0]); i++)
        result = check_no_path(rule, location, comparisons[i], list);
    for (size_t i = 0; result == 0 && i < sizeof(nesting) / sizeof(nesting[0]); i++) {
        const cJSON *rules = cJSON_GetObjectItemCaseSensitive(rule, nesting[i]), *nested;
        int index = 0;
        if (!cJSON_IsArray(rules))
            continue;
        cJSON_ArrayForEach(nested, rules)
        {
            snprintf(where, sizeof(where), "%s/%s/%d", location, nesting[i], index++);
            if ((result = check_rule_paths(nested, where, list)) < 0)
                break;
        }
    }
    const cJSON *negated = cJSON_GetObjectItemCaseSensitive(rule, "Not");
    if (result == 0 && cJSON_IsObject(negated)) {
        snprintf(where, sizeof(where), "%s/Not", location);
        result = check_rule_paths(negated, where, list);
    }
    return result;
}

/* NO_PATH in a Fail's Error and Cause, and in a Choice's rules. */
static int check_paths(const struct state_definition *state, struct definition_diagnostics *list)
{
    char where[DEFINITION_LOCATION_SIZE];
    int result = 0, index = 0;
    if (state->type == STATE_FAIL) {
        result = check_no_path(state->json, state->where, "Error", list);
        return result < 0 ? result : check_no_path(state->json, state->where, "Cause", list);
    }
    const cJSON *rules = cJSON_GetObjectItemCaseSensitive(state->json, "Choices"), *rule;
    if (state->type != STATE_CHOICE || !cJSON_IsArray(rules))
        return 0;
    cJSON_ArrayForEach(rule, rules)
    {
        snprintf(where, sizeof(where), "%s/Choices/%d", state->where, index++);
        if ((result = check_rule_paths(rule, where, list)) < 0)
            return result;
    }
    return 0;
}

/* What a template walk looks for: NO_DOLLAR in a payload template, PASS_RESULT_IS_STATIC in a Pass's Result. */
enum template_check { CHECK_NO_DOLLAR, CHECK_STATIC_RESULT };

static int check_template(const cJSON *node, const char *location, enum template_check check,
                          struct definition_diagnostics *list)
{
    char where[DEFINITION_LOCATION_SIZE];
    const cJSON *field;
    int index = 0;
    cJSON_ArrayForEach(field, node)
    {
        if (cJSON_IsObject(node))
            snprintf(where, sizeof(where), "%s/%s", location, field->string);
        else
            snprintf(where, sizeof(where), "%s[%d]", location, index);
        index++;
        int result = 0;
        if (check == CHECK_STATIC_RESULT && cJSON_IsObject(node) && ends_with_dollar(field->string))
            result = add_warning(list, "PASS_RESULT_IS_STATIC",
                                 "Attempt to use a path in the result of a pass state: the Result field is static, "
                                 "so the value of a field whose name ends with '.$' is not evaluated",
                                 where);
        else if (check == CHECK_NO_DOLLAR && cJSON_IsObject(node) && cJSON_IsString(field)
                 && !ends_with_dollar(field->string) && looks_dynamic(field->valuestring))
            result = add_warning(list, "NO_DOLLAR",
                                 "No '.$' on a field that appears to be a JSONPath or an intrinsic function: its value "
                                 "is used as a plain string",
                                 where);
        else if (cJSON_IsObject(field) || cJSON_IsArray(field))
            result = check_template(field, where, check, list);
        if (result < 0)
            return result;
    }
    return 0;
}

static int check_member(const struct state_definition *state, const char *member, enum template_check check,
                        struct definition_diagnostics *list)
{
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(state->json, member);
    char location[DEFINITION_LOCATION_SIZE];
    if (!cJSON_IsObject(value) && !cJSON_IsArray(value))
        return 0;
    snprintf(location, sizeof(location), "%s/%s", state->where, member);
    return check_template(value, location, check, list);
}

static int check_state(const struct state_definition *state, struct definition_diagnostics *list)
{
    static const char *const templates[] = { "Parameters", "ResultSelector", "ItemSelector" };
    if (state->jsonata)
        return 0;
    for (size_t i = 0; i < sizeof(templates) / sizeof(templates[0]); i++) {
        int result = check_member(state, templates[i], CHECK_NO_DOLLAR, list);
        if (result < 0)
            return result;
    }
    int result = check_paths(state, list);
    if (result < 0)
        return result;
    return state->type == STATE_PASS ? check_member(state, "Result", CHECK_STATIC_RESULT, list) : 0;
}

static int add_error(void *context, const char *error)
{
    struct definition_diagnostic *diagnostic = add_diagnostic(context);
    if (!diagnostic)
        return -ENOMEM;
    definition_diagnostic_from_error(error, diagnostic);
    return 0;
}

int definition_diagnose(const char *text, enum machine_type type, bool warnings, struct definition_diagnostics *out)
{
    struct state_machine *machine = NULL;
    struct state_machine_problems problems = { .report = add_error, .context = out, .limit = DEFINITION_MAX_ERRORS };
    int result = definition_check_reporting(text, type, warnings ? &machine : NULL, &problems);
    if (result == -EINVAL)
        return 0;
    for (size_t i = 0; result == 0 && machine && i < machine->all_state_count; i++)
        result = check_state(machine->all_states[i], out);
    state_machine_free(machine);
    return result;
}

void definition_diagnostics_free(struct definition_diagnostics *diagnostics)
{
    free(diagnostics->items);
    memset(diagnostics, 0, sizeof(*diagnostics));
}
