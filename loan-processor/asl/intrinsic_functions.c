/*
 * intrinsic_functions - see intrinsic_functions.h. This file holds the call
 * syntax and the dispatch; the functions themselves are in intrinsic_text.c,
 * intrinsic_json.c and intrinsic_numbers.c, each with its share of the
 * function table (intrinsic_internal.h).
 *
 * One recursive-descent parser serves both validation and evaluation: it
 * evaluates each call as soon as its arguments are parsed. An argument is a
 * value borrowed from the scope (a path) or owned (a literal, a nested
 * call's result), so a path to a large input costs no copy until a function
 * puts it into its result.
 */
#include "intrinsic_functions.h"

#include "asl_path.h"
#include "intrinsic_internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CALL_PREFIX "States."
#define CALL_PREFIX_LENGTH (sizeof CALL_PREFIX - 1)

struct argument_list {
    struct argument *items;
    size_t count;
    size_t capacity;
};

struct parser {
    const char *position;
    struct evaluation *evaluation; /* NULL while only validating */
    unsigned calls;                /* parsed so far, nested ones included */
};

/* ---- messages ------------------------------------------------------------ */

void intrinsic_write_error(const struct evaluation *evaluation, const char *format, ...)
{
    va_list arguments;

    if (evaluation->error == NULL || evaluation->error_size == 0)
        return;
    va_start(arguments, format);
    vsnprintf(evaluation->error, evaluation->error_size, format, arguments);
    va_end(arguments);
}

int intrinsic_fail(const struct evaluation *evaluation, const char *format, ...)
{
    char detail[512];
    va_list arguments;

    va_start(arguments, format);
    vsnprintf(detail, sizeof detail, format, arguments);
    va_end(arguments);
    intrinsic_write_error(evaluation, "The function '%s' had the following error: %s", evaluation->call, detail);
    return -EDOM;
}

static const char *type_name(const cJSON *value)
{
    if (cJSON_IsString(value))
        return "a string";
    if (cJSON_IsNumber(value))
        return "a number";
    if (cJSON_IsBool(value))
        return "a boolean";
    if (cJSON_IsArray(value))
        return "an array";
    if (cJSON_IsObject(value))
        return "an object";
    return "null";
}

/* ---- values -------------------------------------------------------------- */

cJSON *intrinsic_duplicate_value(const cJSON *value)
{
    cJSON *copy = cJSON_Duplicate(value, true);

    if (copy != NULL && copy->string != NULL) {
        if (!(copy->type & cJSON_StringIsConst))
            cJSON_free(copy->string);
        copy->string = NULL;
        copy->type &= ~cJSON_StringIsConst;
    }
    return copy;
}

cJSON *intrinsic_take_value(struct argument *argument)
{
    cJSON *value = argument->owned;

    if (value == NULL)
        return intrinsic_duplicate_value(argument->value);
    argument->owned = NULL;
    argument->value = NULL;
    return value;
}

/* Adds the rough printed size of value to *total; false as soon as *total passes limit. */
static bool add_weight(const cJSON *value, size_t limit, size_t *total)
{
    const cJSON *child;

    *total += 8 + (value->string != NULL ? strlen(value->string) : 0)
              + (cJSON_IsString(value) ? strlen(value->valuestring) : 0);
    if (*total > limit)
        return false;
    cJSON_ArrayForEach(child, value)
    {
        if (!add_weight(child, limit, total))
            return false;
    }
    return true;
}

/* Java's Math.round: the nearest integer, halves rounded up. */
static double round_half_up(double number)
{
    return floor(number + 0.5);
}

int intrinsic_integer_argument(const struct evaluation *evaluation, const struct function *function,
                               const struct argument *arguments, size_t index, long long minimum, long long maximum,
                               long long *integer)
{
    const cJSON *value = arguments[index].value;
    double rounded;

    if (!cJSON_IsNumber(value))
        return intrinsic_fail(evaluation, "Invalid arguments in %s: argument %zu must be an integer, not %s",
                              function->name, index + 1, type_name(value));
    rounded = round_half_up(value->valuedouble);
    if (!(rounded >= (double)minimum && rounded <= (double)maximum))
        return intrinsic_fail(evaluation, "Invalid arguments in %s: argument %zu must be an integer from %lld to %lld",
                              function->name, index + 1, minimum, maximum);
    *integer = (long long)rounded;
    return 0;
}

int intrinsic_check_type(const struct evaluation *evaluation, const struct function *function,
                         const struct argument *arguments, size_t index, cJSON_bool (*test)(const cJSON *),
                         const char *wanted)
{
    if (test(arguments[index].value))
        return 0;
    return intrinsic_fail(evaluation, "Invalid arguments in %s: argument %zu must be %s, not %s", function->name,
                          index + 1, wanted, type_name(arguments[index].value));
}

/* ---- the functions ------------------------------------------------------- */

static const struct function_group *const groups[] = {
    &intrinsic_text_functions,
    &intrinsic_json_functions,
    &intrinsic_number_functions,
};

/* Reads "States.Name" at the parser's position; the function, or NULL for an unknown name. */
static const struct function *parse_function_name(struct parser *parser)
{
    const char *start = parser->position, *end = start + CALL_PREFIX_LENGTH;

    if (strncmp(start, CALL_PREFIX, CALL_PREFIX_LENGTH) != 0)
        return NULL;
    while ((*end >= 'a' && *end <= 'z') || (*end >= 'A' && *end <= 'Z') || (*end >= '0' && *end <= '9'))
        end++;
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++) {
        const struct function *functions = groups[g]->functions;
        for (size_t i = 0; i < groups[g]->count; i++) {
            if (strlen(functions[i].name) == (size_t)(end - start)
                && strncmp(functions[i].name, start, (size_t)(end - start)) == 0) {
                parser->position = end;
                return &functions[i];
            }
        }
    }
    return NULL;
}

/* ---- the parser ---------------------------------------------------------- */

static void release_argument(struct argument *argument)
{
    cJSON_Delete(argument->owned);
    argument->owned = NULL;
}

/* While validating, arguments are only counted: items stays NULL. */
static void release_arguments(struct argument_list *arguments)
{
    for (size_t i = 0; arguments->items != NULL && i < arguments->count; i++)
        release_argument(&arguments->items[i]);
    cJSON_free(arguments->items);
}

/* Appends argument (taking what it owns, releasing it on failure). */
static int append_argument(struct argument_list *arguments, struct argument *argument)
{
    if (arguments->count == arguments->capacity) {
        size_t capacity = arguments->capacity ? 2 * arguments->capacity : 4;
        struct argument *grown = cJSON_malloc(capacity * sizeof *grown);
        if (grown == NULL) {
            release_argument(argument);
            return -ENOMEM;
        }
        if (arguments->count > 0)
            memcpy(grown, arguments->items, arguments->count * sizeof *grown);
        cJSON_free(arguments->items);
        arguments->items = grown;
        arguments->capacity = capacity;
    }
    arguments->items[arguments->count++] = *argument;
    return 0;
}

static void skip_spaces(struct parser *parser)
{
    while (*parser->position == ' ' || *parser->position == '\t' || *parser->position == '\n'
           || *parser->position == '\r')
        parser->position++;
}

/* Stores an owned value as the argument; -ENOMEM when value is NULL. */
static int own_value(struct argument *argument, cJSON *value)
{
    argument->owned = value;
    argument->value = value;
    return value != NULL ? 0 : -ENOMEM;
}

/* 'text' with the escapes \' \{ \} \\. */
static int parse_string(struct parser *parser, struct argument *argument)
{
    const char *const text = parser->position + 1;
    const char *start = text, *end;
    size_t length = 0;
    char *decoded;
    int rc;

    for (end = start; *end != '\''; end++) {
        if (*end == '\0')
            return -EINVAL;
        if (*end == '\\' && (end[1] == '\0' || strchr("'{}\\", end[1]) == NULL))
            return -EINVAL;
        end += *end == '\\';
        length++;
    }
    parser->position = end + 1;
    if (parser->evaluation == NULL)
        return 0;
    decoded = cJSON_malloc(length + 1);
    if (decoded == NULL)
        return -ENOMEM;
    for (length = 0; start < end; start++) {
        start += *start == '\\';
        decoded[length++] = *start;
    }
    decoded[length] = '\0';
    rc = own_value(argument, cJSON_CreateString(decoded));
    cJSON_free(decoded);
    argument->literal_text = text;
    argument->literal_length = (size_t)(end - text);
    return rc;
}

/* Skips a bracket segment of a path ("[0]", "['a, b']"); the position after it, or NULL if unclosed. */
static const char *skip_bracket(const char *position)
{
    for (position++; *position != ']'; position++) {
        if (*position == '\0')
            return NULL;
        if (*position == '\'' || *position == '"') {
            const char quote = *position;
            for (position++; *position != quote; position++) {
                if (*position == '\0')
                    return NULL;
                position += *position == '\\' && position[1] != '\0';
            }
        }
    }
    return position + 1;
}

static int write_path_not_found(struct evaluation *evaluation, const char *path)
{
    const cJSON *input = evaluation->scope->input;
    char *printed = input != NULL ? cJSON_PrintUnformatted(input) : NULL;

    if (input != NULL && printed == NULL)
        return -ENOMEM;
    intrinsic_write_error(evaluation,
                          "The function '%s' had the following error: "
                          "The JsonPath argument for the field '%s' could not be found in the input '%s'",
                          evaluation->call, path, printed != NULL ? printed : "null");
    cJSON_free(printed);
    return -ENOENT;
}

/* $... or $$...: up to the next comma, closing parenthesis or space outside brackets. */
static int parse_path(struct parser *parser, struct argument *argument)
{
    const char *start = parser->position, *end = start;
    const cJSON *selected = NULL;
    char *path;
    int rc;

    while (*end != '\0' && *end != ',' && *end != ')' && *end != ' ' && *end != '\t' && *end != '\n' && *end != '\r') {
        end = *end == '[' ? skip_bracket(end) : end + 1;
        if (end == NULL)
            return -EINVAL;
    }
    path = cJSON_malloc((size_t)(end - start) + 1);
    if (path == NULL)
        return -ENOMEM;
    memcpy(path, start, (size_t)(end - start));
    path[end - start] = '\0';
    parser->position = end;
    rc = asl_path_validate_reference(path);
    if (rc == 0 && parser->evaluation != NULL) {
        const struct intrinsic_scope *scope = parser->evaluation->scope;
        rc = asl_path_select_in(path, scope->input, scope->context, scope->variables, &selected);
        if (rc == -ENOENT)
            rc = write_path_not_found(parser->evaluation, path);
        argument->value = selected;
    }
    cJSON_free(path);
    return rc;
}

/* A JSON number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, finite. */
static int parse_number(struct parser *parser, struct argument *argument)
{
    const char *start = parser->position, *end = start;
    double number;

    end += *end == '-';
    if (*end == '0')
        end++;
    else if (*end >= '1' && *end <= '9')
        while (*end >= '0' && *end <= '9')
            end++;
    else
        return -EINVAL;
    if (*end == '.') {
        if (!(*++end >= '0' && *end <= '9'))
            return -EINVAL;
        while (*end >= '0' && *end <= '9')
            end++;
    }
    if (*end == 'e' || *end == 'E') {
        end++;
        end += *end == '+' || *end == '-';
        if (!(*end >= '0' && *end <= '9'))
            return -EINVAL;
        while (*end >= '0' && *end <= '9')
            end++;
    }
    number = strtod(start, NULL);
    if (!isfinite(number))
        return -EINVAL;
    parser->position = end;
    return parser->evaluation != NULL ? own_value(argument, cJSON_CreateNumber(number)) : 0;
}

/* true, false or null. */
static int parse_keyword(struct parser *parser, struct argument *argument)
{
    static const char *const keywords[] = { "true", "false", "null" };

    for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++) {
        size_t length = strlen(keywords[i]);
        if (strncmp(parser->position, keywords[i], length) != 0)
            continue;
        parser->position += length;
        if (parser->evaluation == NULL)
            return 0;
        return own_value(argument, i == 2 ? cJSON_CreateNull() : cJSON_CreateBool(i == 0));
    }
    return -EINVAL;
}

static int parse_call(struct parser *parser, cJSON **result);

static int parse_argument(struct parser *parser, struct argument *argument)
{
    const char first = *parser->position;
    cJSON *value = NULL;
    int rc;

    if (first == '\'')
        return parse_string(parser, argument);
    if (first == '$')
        return parse_path(parser, argument);
    if (first == '-' || (first >= '0' && first <= '9'))
        return parse_number(parser, argument);
    if (strncmp(parser->position, CALL_PREFIX, CALL_PREFIX_LENGTH) != 0)
        return parse_keyword(parser, argument);
    rc = parse_call(parser, &value);
    return rc == 0 && parser->evaluation != NULL ? own_value(argument, value) : rc;
}

/* The arguments after "(", through ")". While validating they are only counted. */
static int parse_arguments(struct parser *parser, struct argument_list *arguments)
{
    skip_spaces(parser);
    if (*parser->position == ')') {
        parser->position++;
        return 0;
    }
    for (;;) {
        struct argument argument = { NULL, NULL, NULL, 0 };
        int rc;
        skip_spaces(parser);
        rc = parse_argument(parser, &argument);
        if (rc == 0 && parser->evaluation != NULL)
            rc = append_argument(arguments, &argument);
        else if (rc == 0)
            arguments->count++;
        if (rc < 0) {
            release_argument(&argument);
            return rc;
        }
        skip_spaces(parser);
        if (*parser->position == ')') {
            parser->position++;
            return 0;
        }
        if (*parser->position++ != ',')
            return -EINVAL;
    }
}

/* Runs function on its evaluated arguments, once they are known not to be too large together. */
static int run_function(struct evaluation *evaluation, const struct function *function, struct argument_list *arguments,
                        cJSON **result)
{
    size_t weight = 0;

    for (size_t i = 0; i < arguments->count; i++) {
        if (!add_weight(arguments->items[i].value, INTRINSIC_MAX_ARGUMENT_BYTES, &weight))
            return intrinsic_fail(evaluation,
                                  "Invalid arguments in %s: the arguments are larger than %d bytes together",
                                  function->name, INTRINSIC_MAX_ARGUMENT_BYTES);
    }
    return function->body(evaluation, function, arguments->items, arguments->count, result);
}

/* States.Name(arguments), nested calls included. */
static int parse_call(struct parser *parser, cJSON **result)
{
    struct argument_list arguments = { NULL, 0, 0 };
    const struct function *function;
    int rc;

    if (++parser->calls > INTRINSIC_MAX_CALLS)
        return -EINVAL;
    function = parse_function_name(parser);
    if (function == NULL || *parser->position != '(')
        return -EINVAL;
    parser->position++;
    rc = parse_arguments(parser, &arguments);
    if (rc == 0 && (arguments.count < function->minimum_arguments || arguments.count > function->maximum_arguments))
        rc = -EINVAL;
    if (rc == 0 && parser->evaluation != NULL)
        rc = run_function(parser->evaluation, function, &arguments, result);
    release_arguments(&arguments);
    return rc;
}

/* Parses (and, with an evaluation, evaluates) the whole text as one call. */
static int parse_whole_call(const char *call, struct evaluation *evaluation, cJSON **result)
{
    struct parser parser = { call, evaluation, 0 };
    int rc = parse_call(&parser, result);

    if (rc == 0 && *parser.position != '\0') {
        if (result != NULL && *result != NULL) {
            cJSON_Delete(*result);
            *result = NULL;
        }
        rc = -EINVAL;
    }
    return rc;
}

/* ---- public -------------------------------------------------------------- */

bool intrinsic_is_call(const char *text)
{
    return text != NULL && strncmp(text, CALL_PREFIX, CALL_PREFIX_LENGTH) == 0;
}

int intrinsic_validate(const char *call)
{
    if (call == NULL)
        return -EINVAL;
    return parse_whole_call(call, NULL, NULL);
}

int intrinsic_evaluate(const char *call, const struct intrinsic_scope *scope, cJSON **result, char *error,
                       size_t error_size)
{
    struct evaluation evaluation = { scope, call, error, error_size };
    cJSON *value = NULL;
    int rc;

    if (error != NULL && error_size > 0)
        error[0] = '\0';
    if (scope == NULL || result == NULL)
        return -EINVAL;
    rc = intrinsic_validate(call);
    if (rc == 0)
        rc = parse_whole_call(call, &evaluation, &value);
    if (rc == 0)
        *result = value;
    else if (rc == -ENOMEM && error != NULL && error_size > 0)
        error[0] = '\0';
    return rc;
}
