/*
 * choice_rule.c - the rules of an Amazon States Language Choice state.
 *
 * Parsing turns each rule into a small tree (struct choice_rule) that points
 * into the state's JSON; evaluation walks it without allocating. Operators are
 * described by one table, so validation and evaluation share a single list.
 */
#include "choice_rule.h"

#include "asl_path.h"
#include "wall_clock.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERROR_PREFIX "SCHEMA_VALIDATION_FAILED: "
#define ERROR_DETAIL_SIZE 256
#define ERROR_LOCATION_SIZE 512

/* ---- operators --------------------------------------------------------- */

/* What an operator looks at, which also fixes the type of its literal value. */
enum value_family {
    FAMILY_STRING,
    FAMILY_NUMERIC,
    FAMILY_BOOLEAN,
    FAMILY_TIMESTAMP,
    FAMILY_TYPE_TEST, /* IsNull, IsPresent, ...: the value is true or false */
};

enum comparison {
    COMPARE_EQUALS,
    COMPARE_LESS_THAN,
    COMPARE_GREATER_THAN,
    COMPARE_LESS_THAN_EQUALS,
    COMPARE_GREATER_THAN_EQUALS,
    COMPARE_MATCHES, /* StringMatches */
};

enum type_test {
    TEST_NULL,
    TEST_PRESENT,
    TEST_NUMERIC,
    TEST_STRING,
    TEST_BOOLEAN,
    TEST_TIMESTAMP,
};

/* Where the value compared with the Variable comes from. */
enum operand_source {
    OPERAND_LITERAL, /* the operator's own value */
    OPERAND_PATH,    /* "...Path" operators: the value a path selects */
};

struct choice_operator {
    const char *name;
    enum value_family family;
    enum operand_source source;
    enum comparison comparison; /* all families but FAMILY_TYPE_TEST */
    enum type_test test;        /* FAMILY_TYPE_TEST */
};

/* The five orderings of one family, each with and without the "Path" suffix. */
#define ORDERING_OPERATORS(prefix, family)                                                       \
    { prefix "Equals", family, OPERAND_LITERAL, COMPARE_EQUALS, 0 },                             \
        { prefix "EqualsPath", family, OPERAND_PATH, COMPARE_EQUALS, 0 },                        \
        { prefix "LessThan", family, OPERAND_LITERAL, COMPARE_LESS_THAN, 0 },                    \
        { prefix "LessThanPath", family, OPERAND_PATH, COMPARE_LESS_THAN, 0 },                   \
        { prefix "GreaterThan", family, OPERAND_LITERAL, COMPARE_GREATER_THAN, 0 },              \
        { prefix "GreaterThanPath", family, OPERAND_PATH, COMPARE_GREATER_THAN, 0 },             \
        { prefix "LessThanEquals", family, OPERAND_LITERAL, COMPARE_LESS_THAN_EQUALS, 0 },       \
        { prefix "LessThanEqualsPath", family, OPERAND_PATH, COMPARE_LESS_THAN_EQUALS, 0 },      \
        { prefix "GreaterThanEquals", family, OPERAND_LITERAL, COMPARE_GREATER_THAN_EQUALS, 0 }, \
    {                                                                                            \
        prefix "GreaterThanEqualsPath", family, OPERAND_PATH, COMPARE_GREATER_THAN_EQUALS, 0     \
    }

#define TYPE_TEST_OPERATOR(name, test)                                \
    {                                                                 \
        name, FAMILY_TYPE_TEST, OPERAND_LITERAL, COMPARE_EQUALS, test \
    }

static const struct choice_operator choice_operators[] = {
    ORDERING_OPERATORS("String", FAMILY_STRING),
    ORDERING_OPERATORS("Numeric", FAMILY_NUMERIC),
    ORDERING_OPERATORS("Timestamp", FAMILY_TIMESTAMP),
    { "StringMatches", FAMILY_STRING, OPERAND_LITERAL, COMPARE_MATCHES, 0 },
    { "BooleanEquals", FAMILY_BOOLEAN, OPERAND_LITERAL, COMPARE_EQUALS, 0 },
    { "BooleanEqualsPath", FAMILY_BOOLEAN, OPERAND_PATH, COMPARE_EQUALS, 0 },
    TYPE_TEST_OPERATOR("IsNull", TEST_NULL),
    TYPE_TEST_OPERATOR("IsPresent", TEST_PRESENT),
    TYPE_TEST_OPERATOR("IsNumeric", TEST_NUMERIC),
    TYPE_TEST_OPERATOR("IsString", TEST_STRING),
    TYPE_TEST_OPERATOR("IsBoolean", TEST_BOOLEAN),
    TYPE_TEST_OPERATOR("IsTimestamp", TEST_TIMESTAMP),
};

static const struct choice_operator *find_operator(const char *name)
{
    for (size_t i = 0; i < sizeof choice_operators / sizeof choice_operators[0]; i++) {
        if (strcmp(choice_operators[i].name, name) == 0)
            return &choice_operators[i];
    }
    return NULL;
}

/* ---- the parsed form --------------------------------------------------- */

enum rule_kind {
    RULE_COMPARISON,
    RULE_AND,
    RULE_OR,
    RULE_NOT,
    RULE_CONDITION, /* a JSONata state's rule: its Condition, evaluated by the interpreter */
};

static const struct {
    const char *name;
    enum rule_kind kind;
} combinators[] = {
    { "And", RULE_AND },
    { "Or", RULE_OR },
    { "Not", RULE_NOT },
};

struct choice_rule {
    enum rule_kind kind;
    const char *next;    /* top-level rules only */
    const cJSON *assign; /* top-level rules only: its Assign, or NULL */
    /* RULE_COMPARISON */
    const char *variable;
    const struct choice_operator *operator;
    const cJSON *operand; /* the operator's value: a literal or a path string */
    /* RULE_AND, RULE_OR, RULE_NOT (one child) */
    struct choice_rule *children;
    size_t child_count;
};

struct choice_state {
    struct choice_rule *rules;
    size_t rule_count;
    const char *default_target; /* NULL when not set */
    const cJSON *assign;        /* the state's Assign (taken with the Default), or NULL */
};

/* Frees what a rule owns (not the rule itself). Fine on a zeroed or half-built rule. */
static void free_rule_contents(struct choice_rule *rule)
{
    for (size_t i = 0; i < rule->child_count; i++)
        free_rule_contents(&rule->children[i]);
    cJSON_free(rule->children);
}

/* A zeroed array of count rules from cJSON's allocator, or NULL. */
static struct choice_rule *allocate_rules(size_t count)
{
    struct choice_rule *rules = cJSON_malloc(count * sizeof *rules);

    if (rules != NULL)
        memset(rules, 0, count * sizeof *rules);
    return rules;
}

void choice_state_free(struct choice_state *choice)
{
    if (choice == NULL)
        return;
    for (size_t i = 0; i < choice->rule_count; i++)
        free_rule_contents(&choice->rules[i]);
    cJSON_free(choice->rules);
    cJSON_free(choice);
}

/* ---- error text -------------------------------------------------------- */

static void clear_text(char *text, size_t size)
{
    if (text != NULL && size > 0)
        text[0] = '\0';
}

/*
 * Where a field is in the definition, as a chain from the field up to the
 * state, so that nothing is formatted unless there is an error. The root has
 * no parent and names the state; every other link names a member (field) or,
 * when field is NULL, an array index.
 */
struct location {
    const struct location *parent;
    const char *field;
    size_t index;
};

static struct location member_location(const struct location *parent, const char *field)
{
    return (struct location){ .parent = parent, .field = field };
}

static struct location index_location(const struct location *parent, size_t index)
{
    return (struct location){ .parent = parent, .index = index };
}

/* Writes "/States/<state>/Choices/0/And/1" into text (truncated to size). */
static void format_location(const struct location *location, char *text, size_t size)
{
    size_t used;

    if (location->parent == NULL) {
        snprintf(text, size, "/States/%s", location->field);
        return;
    }
    format_location(location->parent, text, size);
    used = strlen(text);
    if (location->field != NULL)
        snprintf(text + used, size - used, "/%s", location->field);
    else
        snprintf(text + used, size - used, "/%zu", location->index);
}

struct parse_scope {
    char *error;
    size_t error_size;
};

/* Writes "SCHEMA_VALIDATION_FAILED: <detail> at <location>" and returns -EINVAL. */
__attribute__((format(printf, 3, 4))) static int schema_error(const struct parse_scope *scope,
                                                              const struct location *location, const char *format, ...)
{
    char detail[ERROR_DETAIL_SIZE], where[ERROR_LOCATION_SIZE];
    va_list arguments;

    if (scope->error == NULL || scope->error_size == 0)
        return -EINVAL;
    va_start(arguments, format);
    vsnprintf(detail, sizeof detail, format, arguments);
    va_end(arguments);
    format_location(location, where, sizeof where);
    snprintf(scope->error, scope->error_size, ERROR_PREFIX "%s at %s", detail, where);
    return -EINVAL;
}

/* "The value for the field 'X' must be <requirement>" at parent/X. */
static int field_value_error(const struct parse_scope *scope, const struct location *parent, const char *field,
                             const char *requirement)
{
    struct location at = member_location(parent, field);

    return schema_error(scope, &at, "The value for the field '%s' must be %s", field, requirement);
}

static int required_field_error(const struct parse_scope *scope, const struct location *location, const char *field)
{
    return schema_error(scope, location, "These fields are required: [%s]", field);
}

static int unsupported_field_error(const struct parse_scope *scope, const struct location *parent, const char *field,
                                   const char *owner)
{
    struct location at = member_location(parent, field);

    return schema_error(scope, &at, "Field '%s' is not supported by %s", field, owner);
}

/* ---- parsing ----------------------------------------------------------- */

static bool is_non_empty_string(const cJSON *value)
{
    return cJSON_IsString(value) && value->valuestring[0] != '\0';
}

static bool is_valid_path(const cJSON *value)
{
    return cJSON_IsString(value) && asl_path_validate_reference(value->valuestring) == 0;
}

static bool is_valid_timestamp(const cJSON *value)
{
    int64_t epoch_ms;

    return cJSON_IsString(value) && wall_clock_parse_iso8601(value->valuestring, &epoch_ms) == 0;
}

static bool is_combinator(const char *field, enum rule_kind *kind)
{
    for (size_t i = 0; i < sizeof combinators / sizeof combinators[0]; i++) {
        if (strcmp(combinators[i].name, field) == 0) {
            *kind = combinators[i].kind;
            return true;
        }
    }
    return false;
}

/* Checks that the operator's value has the type its family needs. */
static int validate_operand(const struct choice_operator *operator, const cJSON * operand,
                            const struct location *rule_location, const struct parse_scope *scope)
{
    bool valid;
    const char *requirement;

    if (operator->source == OPERAND_PATH) {
        valid = is_valid_path(operand);
        requirement = "a valid JSONPath";
    } else if (operator->family == FAMILY_STRING) {
        valid = cJSON_IsString(operand);
        requirement = "a string";
    } else if (operator->family == FAMILY_NUMERIC) {
        valid = cJSON_IsNumber(operand);
        requirement = "a number";
    } else if (operator->family == FAMILY_TIMESTAMP) {
        valid = is_valid_timestamp(operand);
        requirement = "a valid timestamp";
    } else {
        valid = cJSON_IsBool(operand);
        requirement = "a boolean";
    }
    return valid ? 0 : field_value_error(scope, rule_location, operator->name, requirement);
}

/* Fields a rule may have besides its operator or combinator (each checked where it matters). */
static bool is_plain_field(const char *field, bool top_level)
{
    if (top_level && (strcmp(field, "Assign") == 0 || strcmp(field, "Output") == 0))
        return true;
    static const char *const plain_fields[] = { "Variable", "Next", "Comment" };

    for (size_t i = 0; i < sizeof plain_fields / sizeof plain_fields[0]; i++) {
        if (strcmp(plain_fields[i], field) == 0)
            return true;
    }
    return false;
}

/*
 * First pass over a rule's fields: rejects unknown ones and finds the single
 * operator or combinator (*decisive_field), storing its kind, and for a
 * comparison its operator, in rule.
 */
static int classify_rule(const cJSON *rule_json, bool top_level, const struct location *location,
                         const struct parse_scope *scope, struct choice_rule *rule, const cJSON **decisive_field)
{
    const cJSON *field;
    size_t decisive_count = 0;

    cJSON_ArrayForEach(field, rule_json)
    {
        const struct choice_operator *operator= find_operator(field->string);
        enum rule_kind kind = RULE_COMPARISON;

        if (is_plain_field(field->string, top_level))
            continue;
        if (top_level && strcmp(field->string, "Condition") == 0)
            kind = RULE_CONDITION;
        else if (operator== NULL && !is_combinator(field->string, &kind))
            return unsupported_field_error(scope, location, field->string, "a Choice Rule");
        if (decisive_count++ == 0) {
            rule->kind = kind;
            rule->operator= operator;
            *decisive_field = field;
        }
    }
    if (decisive_count != 1)
        return schema_error(scope, location,
                            "A Choice Rule must have exactly one comparison operator, or one of And, Or, Not");
    return 0;
}

/* Next is required (a non-empty string) in top-level rules and not allowed in nested ones. */
static int parse_next(const cJSON *rule_json, bool top_level, const struct location *location,
                      const struct parse_scope *scope, struct choice_rule *rule)
{
    const cJSON *next = cJSON_GetObjectItemCaseSensitive(rule_json, "Next");

    if (!top_level)
        return next == NULL ? 0 : unsupported_field_error(scope, location, "Next", "a nested Choice Rule");
    if (next == NULL)
        return required_field_error(scope, location, "Next");
    if (!is_non_empty_string(next))
        return field_value_error(scope, location, "Next", "a non-empty string");
    rule->next = next->valuestring;
    rule->assign = cJSON_GetObjectItemCaseSensitive(rule_json, "Assign");
    return 0;
}

static int parse_comparison(const cJSON *rule_json, const cJSON *operand, const struct location *location,
                            const struct parse_scope *scope, struct choice_rule *rule)
{
    const cJSON *variable = cJSON_GetObjectItemCaseSensitive(rule_json, "Variable");

    if (variable == NULL)
        return required_field_error(scope, location, "Variable");
    if (!is_valid_path(variable))
        return field_value_error(scope, location, "Variable", "a valid JSONPath");
    rule->variable = variable->valuestring;
    rule->operand = operand;
    return validate_operand(rule->operator, operand, location, scope);
}

static int parse_rule(const cJSON *rule_json, bool top_level, const struct location *location,
                      const struct parse_scope *scope, struct choice_rule *rule);

/*
 * A non-empty array of rules: the field list->string (Choices, And or Or) of
 * the object at parent. Stores the array and its length as soon as it is
 * allocated, so that a failure further on leaves something free_rule_contents
 * and choice_state_free can release.
 */
static int parse_rule_list(const cJSON *list, bool top_level, const struct location *parent,
                           const struct parse_scope *scope, struct choice_rule **rules, size_t *count)
{
    struct location list_location = member_location(parent, list->string);
    const cJSON *rule_json;
    size_t index = 0;

    if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) == 0)
        return field_value_error(scope, parent, list->string, "a non-empty array");
    *rules = allocate_rules((size_t)cJSON_GetArraySize(list));
    if (*rules == NULL)
        return -ENOMEM;
    *count = (size_t)cJSON_GetArraySize(list);
    cJSON_ArrayForEach(rule_json, list)
    {
        struct location rule_location = index_location(&list_location, index);
        int rc = parse_rule(rule_json, top_level, &rule_location, scope, &(*rules)[index++]);

        if (rc < 0)
            return rc;
    }
    return 0;
}

/* The operands of And/Or (a non-empty array of rules) or Not (one rule). */
static int parse_combinator(const cJSON *rule_json, const cJSON *operands, const struct location *location,
                            const struct parse_scope *scope, struct choice_rule *rule)
{
    struct location operand_location = member_location(location, operands->string);

    if (cJSON_GetObjectItemCaseSensitive(rule_json, "Variable") != NULL)
        return unsupported_field_error(scope, location, "Variable", "a Choice Rule with And, Or or Not");
    if (rule->kind != RULE_NOT)
        return parse_rule_list(operands, false, location, scope, &rule->children, &rule->child_count);
    rule->children = allocate_rules(1);
    if (rule->children == NULL)
        return -ENOMEM;
    rule->child_count = 1;
    return parse_rule(operands, false, &operand_location, scope, &rule->children[0]);
}

/* Parses one rule into *rule (zeroed by the caller); on failure *rule may be half-built. */
static int parse_rule(const cJSON *rule_json, bool top_level, const struct location *location,
                      const struct parse_scope *scope, struct choice_rule *rule)
{
    const cJSON *decisive_field = NULL;
    const cJSON *comment;
    int rc;

    if (!cJSON_IsObject(rule_json))
        return schema_error(scope, location, "A Choice Rule must be a JSON object");
    rc = classify_rule(rule_json, top_level, location, scope, rule, &decisive_field);
    if (rc == 0)
        rc = parse_next(rule_json, top_level, location, scope, rule);
    if (rc < 0)
        return rc;
    comment = cJSON_GetObjectItemCaseSensitive(rule_json, "Comment");
    if (comment != NULL && !cJSON_IsString(comment))
        return field_value_error(scope, location, "Comment", "a string");
    if (rule->kind == RULE_CONDITION)
        return 0;
    if (rule->kind == RULE_COMPARISON)
        return parse_comparison(rule_json, decisive_field, location, scope, rule);
    return parse_combinator(rule_json, decisive_field, location, scope, rule);
}

static int parse_choices(const cJSON *state_json, const struct location *state_location,
                         const struct parse_scope *scope, struct choice_state *choice)
{
    const cJSON *choices = cJSON_GetObjectItemCaseSensitive(state_json, "Choices");

    if (choices == NULL)
        return required_field_error(scope, state_location, "Choices");
    return parse_rule_list(choices, true, state_location, scope, &choice->rules, &choice->rule_count);
}

static int parse_default(const cJSON *state_json, const struct location *state_location,
                         const struct parse_scope *scope, struct choice_state *choice)
{
    const cJSON *default_target = cJSON_GetObjectItemCaseSensitive(state_json, "Default");

    if (default_target == NULL)
        return 0;
    if (!is_non_empty_string(default_target))
        return field_value_error(scope, state_location, "Default", "a non-empty string");
    choice->default_target = default_target->valuestring;
    return 0;
}

static void parse_assign(const cJSON *state_json, struct choice_state *choice)
{
    choice->assign = cJSON_GetObjectItemCaseSensitive(state_json, "Assign");
}

int choice_state_parse(const cJSON *state_json, const char *state_name, struct choice_state **choice, char *error,
                       size_t error_size)
{
    const struct parse_scope scope = { error, error_size };
    const struct location state_location = { .field = state_name };
    struct choice_state *parsed;
    int rc;

    clear_text(error, error_size);
    if (state_json == NULL || state_name == NULL || choice == NULL)
        return -EINVAL;
    parsed = cJSON_malloc(sizeof *parsed);
    if (parsed == NULL)
        return -ENOMEM;
    memset(parsed, 0, sizeof *parsed);
    rc = parse_choices(state_json, &state_location, &scope, parsed);
    if (rc == 0)
        rc = parse_default(state_json, &state_location, &scope, parsed);
    parse_assign(state_json, parsed);
    if (rc < 0) {
        choice_state_free(parsed);
        return rc;
    }
    *choice = parsed;
    return 0;
}

/* ---- evaluation -------------------------------------------------------- */

struct evaluation_scope {
    const cJSON *input;
    const cJSON *context;
    const cJSON *variables;
    char *detail;
    size_t detail_size;
};

/* AWS's runtime error (States.Runtime) for a path that selects nothing. */
static int invalid_path_error(const char *path, const struct evaluation_scope *scope)
{
    if (scope->detail != NULL && scope->detail_size > 0)
        snprintf(scope->detail, scope->detail_size,
                 "Invalid path '%s': The choice state's condition path references an invalid value.", path);
    return -EINVAL;
}

/*
 * A StringMatches pattern split at its unescaped stars: the literal bytes of
 * every segment one after another ("\\*" is a literal star, "\\\\" a literal
 * backslash, any other backslash is itself), and where each segment ends.
 */
struct pattern_segments {
    char *literals;
    size_t *ends;
    size_t count;
};

static void pattern_segments_free(struct pattern_segments *segments)
{
    free(segments->literals);
    free(segments->ends);
}

static int pattern_segments_split(const char *pattern, struct pattern_segments *segments)
{
    size_t length = strlen(pattern), used = 0;

    segments->count = 0;
    segments->literals = malloc(length + 1);
    segments->ends = malloc((length + 1) * sizeof *segments->ends);
    if (segments->literals == NULL || segments->ends == NULL) {
        pattern_segments_free(segments);
        return -ENOMEM;
    }
    for (const char *cursor = pattern; *cursor != '\0'; cursor++) {
        if (*cursor == '*') {
            segments->ends[segments->count++] = used;
            continue;
        }
        if (cursor[0] == '\\' && (cursor[1] == '*' || cursor[1] == '\\'))
            cursor++;
        segments->literals[used++] = *cursor;
    }
    segments->ends[segments->count++] = used;
    return 0;
}

/*
 * StringMatches: '*' matches any run of bytes (so any run of UTF-8
 * characters). The first segment must be a prefix, the last a suffix, and the
 * ones between are found left-most in order (memmem is linear), so matching
 * is linear in the text and the pattern whatever they hold.
 */
static int string_matches(const char *text, const char *pattern, bool *matched)
{
    struct pattern_segments segments;
    size_t text_length = strlen(text), first_length, last_start, last_length, position;
    int rc = pattern_segments_split(pattern, &segments);

    if (rc < 0)
        return rc;
    first_length = segments.ends[0];
    last_start = segments.count > 1 ? segments.ends[segments.count - 2] : 0;
    last_length = segments.ends[segments.count - 1] - last_start;
    if (segments.count == 1)
        *matched = text_length == first_length && memcmp(text, segments.literals, first_length) == 0;
    else
        *matched = text_length >= first_length + last_length && memcmp(text, segments.literals, first_length) == 0
                   && memcmp(text + text_length - last_length, segments.literals + last_start, last_length) == 0;
    position = first_length;
    for (size_t index = 1; *matched && index + 1 < segments.count; index++) {
        size_t start = segments.ends[index - 1], length = segments.ends[index] - start;
        size_t window = text_length - last_length - position;
        const char *found = memmem(text + position, window, segments.literals + start, length);

        *matched = found != NULL;
        if (found != NULL)
            position = (size_t)(found - text) + length;
    }
    pattern_segments_free(&segments);
    return 0;
}

static bool is_timestamp_string(const cJSON *value, int64_t *epoch_ms)
{
    return cJSON_IsString(value) && wall_clock_parse_iso8601(value->valuestring, epoch_ms) == 0;
}

static int sign_of_difference(double left, double right)
{
    return (left > right) - (left < right);
}

/*
 * Orders value against comparand as the family sees them (negative, zero,
 * positive). False when either is not of the family's type, which makes the
 * comparison false, as at AWS.
 */
static bool order_values(enum value_family family, const cJSON *value, const cJSON *comparand, int *ordering)
{
    int64_t value_ms, comparand_ms;

    switch (family) {
    case FAMILY_STRING:
        if (!cJSON_IsString(value) || !cJSON_IsString(comparand))
            return false;
        *ordering = strcmp(value->valuestring, comparand->valuestring);
        return true;
    case FAMILY_NUMERIC:
        if (!cJSON_IsNumber(value) || !cJSON_IsNumber(comparand))
            return false;
        *ordering = sign_of_difference(value->valuedouble, comparand->valuedouble);
        return true;
    case FAMILY_BOOLEAN:
        if (!cJSON_IsBool(value) || !cJSON_IsBool(comparand))
            return false;
        *ordering = cJSON_IsTrue(value) == cJSON_IsTrue(comparand) ? 0 : 1;
        return true;
    case FAMILY_TIMESTAMP:
        if (!is_timestamp_string(value, &value_ms) || !is_timestamp_string(comparand, &comparand_ms))
            return false;
        *ordering = (value_ms > comparand_ms) - (value_ms < comparand_ms);
        return true;
    case FAMILY_TYPE_TEST:
        break;
    }
    return false;
}

static bool ordering_satisfies(int ordering, enum comparison comparison)
{
    switch (comparison) {
    case COMPARE_EQUALS:
        return ordering == 0;
    case COMPARE_LESS_THAN:
        return ordering < 0;
    case COMPARE_GREATER_THAN:
        return ordering > 0;
    case COMPARE_LESS_THAN_EQUALS:
        return ordering <= 0;
    case COMPARE_GREATER_THAN_EQUALS:
        return ordering >= 0;
    case COMPARE_MATCHES:
        break;
    }
    return false;
}

/* value is NULL when the Variable selects nothing (only IsPresent gets that far). */
static bool passes_type_test(enum type_test test, const cJSON *value)
{
    int64_t epoch_ms;

    switch (test) {
    case TEST_NULL:
        return cJSON_IsNull(value);
    case TEST_PRESENT:
        return value != NULL;
    case TEST_NUMERIC:
        return cJSON_IsNumber(value);
    case TEST_STRING:
        return cJSON_IsString(value);
    case TEST_BOOLEAN:
        return cJSON_IsBool(value);
    case TEST_TIMESTAMP:
        return is_timestamp_string(value, &epoch_ms);
    }
    return false;
}

static int evaluate_comparison(const struct choice_rule *rule, const struct evaluation_scope *scope, bool *matched)
{
    const struct choice_operator *operator= rule->operator;
    const cJSON *value = NULL, *comparand = rule->operand;
    bool is_presence_test = operator->family == FAMILY_TYPE_TEST && operator->test == TEST_PRESENT;
    int ordering = 0;

    if (asl_path_select_in(rule->variable, scope->input, scope->context, scope->variables, &value) < 0
        && !is_presence_test)
        return invalid_path_error(rule->variable, scope);
    if (operator->family == FAMILY_TYPE_TEST) {
        *matched = passes_type_test(operator->test, value) == cJSON_IsTrue(rule->operand);
        return 0;
    }
    if (operator->comparison == COMPARE_MATCHES) {
        *matched = false;
        return cJSON_IsString(value) ? string_matches(value->valuestring, rule->operand->valuestring, matched) : 0;
    }
    if (operator->source == OPERAND_PATH && asl_path_select_in(rule->operand->valuestring, scope->input, scope->context,
                                                               scope->variables, &comparand)
        < 0)
        return invalid_path_error(rule->operand->valuestring, scope);
    *matched = order_values(operator->family, value, comparand, &ordering)
               && ordering_satisfies(ordering, operator->comparison);
    return 0;
}

static int evaluate_rule(const struct choice_rule *rule, const struct evaluation_scope *scope, bool *matched);

/*
 * And (decisive_result false) / Or (decisive_result true): the first operand
 * that evaluates to decisive_result decides; later operands are not evaluated.
 */
static int evaluate_combination(const struct choice_rule *rule, bool decisive_result,
                                const struct evaluation_scope *scope, bool *matched)
{
    for (size_t i = 0; i < rule->child_count; i++) {
        int rc = evaluate_rule(&rule->children[i], scope, matched);

        if (rc < 0 || *matched == decisive_result)
            return rc;
    }
    *matched = !decisive_result;
    return 0;
}

static int evaluate_rule(const struct choice_rule *rule, const struct evaluation_scope *scope, bool *matched)
{
    int rc;

    switch (rule->kind) {
    case RULE_COMPARISON:
        return evaluate_comparison(rule, scope, matched);
    case RULE_AND:
        return evaluate_combination(rule, false, scope, matched);
    case RULE_OR:
        return evaluate_combination(rule, true, scope, matched);
    case RULE_NOT:
        rc = evaluate_rule(&rule->children[0], scope, matched);
        *matched = !*matched;
        return rc;
    case RULE_CONDITION:
        *matched = false;
        return 0;
    }
    return -EINVAL;
}

int choice_state_evaluate(const struct choice_state *choice, const cJSON *input, const cJSON *context,
                          const char **next, char *detail, size_t detail_size)
{
    const cJSON *assign;

    return choice_state_evaluate_in(choice, input, context, NULL, next, &assign, detail, detail_size);
}

int choice_state_evaluate_in(const struct choice_state *choice, const cJSON *input, const cJSON *context,
                             const cJSON *variables, const char **next, const cJSON **assign, char *detail,
                             size_t detail_size)
{
    const struct evaluation_scope scope = { input, context, variables, detail, detail_size };

    clear_text(detail, detail_size);
    if (choice == NULL || next == NULL)
        return -EINVAL;
    for (size_t i = 0; i < choice->rule_count; i++) {
        bool matched = false;
        int rc = evaluate_rule(&choice->rules[i], &scope, &matched);

        if (rc < 0)
            return rc;
        if (matched) {
            *next = choice->rules[i].next;
            *assign = choice->rules[i].assign;
            return 0;
        }
    }
    *next = choice->default_target;
    *assign = choice->assign;
    return 0;
}

/* ---- transition targets ------------------------------------------------ */

size_t choice_state_target_count(const struct choice_state *choice)
{
    if (choice == NULL)
        return 0;
    return choice->rule_count + (choice->default_target != NULL ? 1 : 0);
}

const char *choice_state_target(const struct choice_state *choice, size_t index)
{
    if (index >= choice_state_target_count(choice))
        return NULL;
    return index < choice->rule_count ? choice->rules[index].next : choice->default_target;
}
