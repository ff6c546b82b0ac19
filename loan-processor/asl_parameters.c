/*
 * asl_parameters.c - Amazon States Language payload templates.
 */
#include "asl_parameters.h"

#include "asl_path.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define DYNAMIC_KEY_SUFFIX ".$"
#define DYNAMIC_KEY_SUFFIX_LENGTH (sizeof DYNAMIC_KEY_SUFFIX - 1)
#define INTRINSIC_PREFIX "States."
#define INTRINSIC_PREFIX_LENGTH (sizeof INTRINSIC_PREFIX - 1)

struct evaluation_scope {
    const cJSON *input;
    const cJSON *context;
    char *error;
    size_t error_size;
};

/* ---- helpers ----------------------------------------------------------- */

__attribute__((format(printf, 3, 4)))
static void write_error(char *error, size_t error_size, const char *format, ...)
{
    va_list arguments;

    if (error == NULL || error_size == 0)
        return;
    va_start(arguments, format);
    vsnprintf(error, error_size, format, arguments);
    va_end(arguments);
}

static void clear_error(char *error, size_t error_size)
{
    if (error != NULL && error_size > 0)
        error[0] = '\0';
}

static void write_invalid_field_error(char *error, size_t error_size, const char *key)
{
    write_error(error, error_size,
                "The value for the field '%s' must be a valid JSONPath or a valid intrinsic function call",
                key);
}

static bool is_dynamic_key(const char *key)
{
    size_t length = key != NULL ? strlen(key) : 0;

    return length >= DYNAMIC_KEY_SUFFIX_LENGTH &&
           strcmp(key + length - DYNAMIC_KEY_SUFFIX_LENGTH, DYNAMIC_KEY_SUFFIX) == 0;
}

static bool is_intrinsic_call(const char *text)
{
    return strncmp(text, INTRINSIC_PREFIX, INTRINSIC_PREFIX_LENGTH) == 0;
}

static bool is_letter(char character)
{
    return (character >= 'a' && character <= 'z') || (character >= 'A' && character <= 'Z');
}

static bool is_letter_or_digit(char character)
{
    return is_letter(character) || (character >= '0' && character <= '9');
}

/* ---- intrinsic syntax -------------------------------------------------- */

/* Skips a quoted argument starting at the quote; returns the position after it or NULL if unterminated. */
static const char *skip_quoted_text(const char *position)
{
    const char quote = *position++;

    while (*position != quote) {
        if (*position == '\0')
            return NULL;
        if (*position == '\\' && *++position == '\0')
            return NULL;
        position++;
    }
    return position + 1;
}

/* `position` is at '('; true if the parentheses balance and close exactly at the end of the text. */
static bool has_balanced_arguments(const char *position)
{
    size_t depth = 0;

    while (*position != '\0') {
        if (*position == '\'' || *position == '"') {
            position = skip_quoted_text(position);
            if (position == NULL)
                return false;
            continue;
        }
        if (*position == '(')
            depth++;
        else if (*position == ')' && depth-- == 0)
            return false;
        position++;
        if (depth == 0)
            return *position == '\0';
    }
    return false;
}

/* "States." then a name like "Format" or "Array.Length" (no empty parts), then "(...)". */
static bool is_valid_intrinsic_syntax(const char *text)
{
    const char *position = text + INTRINSIC_PREFIX_LENGTH;

    if (!is_intrinsic_call(text))
        return false;
    for (;;) {
        if (!is_letter(*position))
            return false;
        while (is_letter_or_digit(*position))
            position++;
        if (*position != '.')
            break;
        position++;
    }
    return *position == '(' && has_balanced_arguments(position);
}

static bool is_valid_dynamic_value(const cJSON *value)
{
    if (!cJSON_IsString(value))
        return false;
    return asl_path_validate(value->valuestring) == 0 ||
           is_valid_intrinsic_syntax(value->valuestring);
}

/* ---- validation -------------------------------------------------------- */

static int validate_node(const cJSON *node, char *error, size_t error_size)
{
    const cJSON *child;
    int rc;

    if (!cJSON_IsObject(node) && !cJSON_IsArray(node))
        return 0;
    cJSON_ArrayForEach(child, node) {
        if (cJSON_IsObject(node) && is_dynamic_key(child->string)) {
            if (!is_valid_dynamic_value(child)) {
                write_invalid_field_error(error, error_size, child->string);
                return -EINVAL;
            }
            continue;
        }
        rc = validate_node(child, error, error_size);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int asl_parameters_validate(const cJSON *template_json, char *error, size_t error_size)
{
    clear_error(error, error_size);
    if (template_json == NULL)
        return -EINVAL;
    return validate_node(template_json, error, error_size);
}

/* ---- evaluation -------------------------------------------------------- */

static int evaluate_node(const cJSON *template_node, const struct evaluation_scope *scope,
                         cJSON **evaluated);

/*
 * The one place where intrinsic functions are evaluated. `call` is the whole
 * text, e.g. "States.Format('{}', $.name)". Not supported yet.
 */
static int evaluate_intrinsic_call(const char *field_key, const char *call,
                                   const struct evaluation_scope *scope, cJSON **evaluated)
{
    const char *open_parenthesis = strchr(call, '(');
    size_t name_length = open_parenthesis != NULL ? (size_t)(open_parenthesis - call) : strlen(call);

    (void)field_key;
    (void)evaluated;
    if (name_length > INT_MAX)
        name_length = INT_MAX;
    write_error(scope->error, scope->error_size, "The intrinsic function '%.*s' is not supported",
                (int)name_length, call);
    return -ENOTSUP;
}

static int write_path_not_found_error(const char *field_key, const char *path,
                                      const struct evaluation_scope *scope)
{
    char *printed_input = NULL;

    if (scope->input != NULL) {
        printed_input = cJSON_PrintUnformatted(scope->input);
        if (printed_input == NULL)
            return -ENOMEM;
    }
    write_error(scope->error, scope->error_size,
                "The JSONPath '%s' specified for the field '%s' could not be found in the input '%s'",
                path, field_key, printed_input != NULL ? printed_input : "null");
    cJSON_free(printed_input);
    return -ENOENT;
}

static int evaluate_path(const char *field_key, const char *path,
                         const struct evaluation_scope *scope, cJSON **evaluated)
{
    const cJSON *selected = NULL;
    cJSON *copy;
    int rc = asl_path_select(path, scope->input, scope->context, &selected);

    if (rc == -ENOENT)
        return write_path_not_found_error(field_key, path, scope);
    if (rc < 0) {
        write_invalid_field_error(scope->error, scope->error_size, field_key);
        return rc;
    }
    copy = cJSON_Duplicate(selected, true);
    if (copy == NULL)
        return -ENOMEM;
    *evaluated = copy;
    return 0;
}

/* `field` has a key ending in ".$". */
static int evaluate_dynamic_field(const cJSON *field, const struct evaluation_scope *scope,
                                  cJSON **evaluated)
{
    if (!cJSON_IsString(field)) {
        write_invalid_field_error(scope->error, scope->error_size, field->string);
        return -EINVAL;
    }
    if (is_intrinsic_call(field->valuestring)) {
        if (!is_valid_intrinsic_syntax(field->valuestring)) {
            write_invalid_field_error(scope->error, scope->error_size, field->string);
            return -EINVAL;
        }
        return evaluate_intrinsic_call(field->string, field->valuestring, scope, evaluated);
    }
    return evaluate_path(field->string, field->valuestring, scope, evaluated);
}

/* Adds `value` under `key`, dropping a ".$" suffix. Takes ownership of `value`. */
static int add_evaluated_field(cJSON *object, const char *key, cJSON *value)
{
    size_t key_length = strlen(key);
    char *output_key;
    bool added;

    if (is_dynamic_key(key))
        key_length -= DYNAMIC_KEY_SUFFIX_LENGTH;
    output_key = cJSON_malloc(key_length + 1);
    if (output_key != NULL) {
        memcpy(output_key, key, key_length);
        output_key[key_length] = '\0';
    }
    added = output_key != NULL && cJSON_AddItemToObject(object, output_key, value);
    cJSON_free(output_key);
    if (!added) {
        cJSON_Delete(value);
        return -ENOMEM;
    }
    return 0;
}

static int evaluate_field(const cJSON *field, const struct evaluation_scope *scope,
                          cJSON **evaluated)
{
    if (is_dynamic_key(field->string))
        return evaluate_dynamic_field(field, scope, evaluated);
    return evaluate_node(field, scope, evaluated);
}

static int evaluate_object(const cJSON *template_object, const struct evaluation_scope *scope,
                           cJSON **evaluated)
{
    cJSON *object = cJSON_CreateObject();
    const cJSON *field;
    cJSON *value = NULL;
    int rc;

    if (object == NULL)
        return -ENOMEM;
    cJSON_ArrayForEach(field, template_object) {
        if (field->string == NULL) {
            rc = -EINVAL;
            goto fail;
        }
        rc = evaluate_field(field, scope, &value);
        if (rc < 0)
            goto fail;
        rc = add_evaluated_field(object, field->string, value);
        if (rc < 0)
            goto fail;
    }
    *evaluated = object;
    return 0;

fail:
    cJSON_Delete(object);
    return rc;
}

static int evaluate_array(const cJSON *template_array, const struct evaluation_scope *scope,
                          cJSON **evaluated)
{
    cJSON *array = cJSON_CreateArray();
    const cJSON *element;
    cJSON *value = NULL;
    int rc;

    if (array == NULL)
        return -ENOMEM;
    cJSON_ArrayForEach(element, template_array) {
        rc = evaluate_node(element, scope, &value);
        if (rc < 0) {
            cJSON_Delete(array);
            return rc;
        }
        cJSON_AddItemToArray(array, value);
    }
    *evaluated = array;
    return 0;
}

static int evaluate_node(const cJSON *template_node, const struct evaluation_scope *scope,
                         cJSON **evaluated)
{
    cJSON *copy;

    if (cJSON_IsObject(template_node))
        return evaluate_object(template_node, scope, evaluated);
    if (cJSON_IsArray(template_node))
        return evaluate_array(template_node, scope, evaluated);

    copy = cJSON_Duplicate(template_node, false);
    if (copy == NULL)
        return -ENOMEM;
    *evaluated = copy;
    return 0;
}

int asl_parameters_evaluate(const cJSON *template_json, const cJSON *input, const cJSON *context,
                            cJSON **result, char *error, size_t error_size)
{
    struct evaluation_scope scope = {
        .input = input,
        .context = context,
        .error = error,
        .error_size = error_size,
    };

    clear_error(error, error_size);
    if (template_json == NULL || result == NULL)
        return -EINVAL;
    return evaluate_node(template_json, &scope, result);
}

/* ---- leftovers --------------------------------------------------------- */

static const cJSON *find_dynamic_key(const cJSON *node)
{
    const cJSON *child;
    const cJSON *found;

    if (!cJSON_IsObject(node) && !cJSON_IsArray(node))
        return NULL;
    cJSON_ArrayForEach(child, node) {
        if (cJSON_IsObject(node) && is_dynamic_key(child->string))
            return child;
        found = find_dynamic_key(child);
        if (found != NULL)
            return found;
    }
    return NULL;
}

int asl_parameters_find_unresolved_key(const cJSON *resolved, const char **field)
{
    const cJSON *found;

    if (field == NULL)
        return -EINVAL;
    found = find_dynamic_key(resolved);
    if (found == NULL)
        return -ENOENT;
    *field = found->string;
    return 0;
}
