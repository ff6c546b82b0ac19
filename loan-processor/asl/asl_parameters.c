/*
 * asl_parameters.c - Amazon States Language payload templates.
 */
#include "asl_parameters.h"

#include "asl_path.h"
#include "intrinsic_functions.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define DYNAMIC_KEY_SUFFIX ".$"
#define DYNAMIC_KEY_SUFFIX_LENGTH (sizeof DYNAMIC_KEY_SUFFIX - 1)

struct evaluation_scope {
    const struct intrinsic_scope *values;
    char *error;
    size_t error_size;
    size_t built; /* at least this many bytes of JSON text selected so far (see selected_size) */
};

/* ---- helpers ----------------------------------------------------------- */

__attribute__((format(printf, 3, 4))) static void write_error(char *error, size_t error_size, const char *format, ...)
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
                "The value for the field '%s' must be a valid JSONPath or a valid intrinsic function call", key);
}

static bool is_dynamic_key(const char *key)
{
    size_t length = key != NULL ? strlen(key) : 0;

    return length >= DYNAMIC_KEY_SUFFIX_LENGTH
           && strcmp(key + length - DYNAMIC_KEY_SUFFIX_LENGTH, DYNAMIC_KEY_SUFFIX) == 0;
}

static bool is_valid_dynamic_value(const cJSON *value)
{
    if (!cJSON_IsString(value))
        return false;
    if (intrinsic_is_call(value->valuestring))
        return intrinsic_validate(value->valuestring) == 0;
    return asl_path_validate_reference(value->valuestring) == 0 || asl_path_validate_query(value->valuestring) == 0;
}

/* ---- validation -------------------------------------------------------- */

static int validate_node(const cJSON *node, char *error, size_t error_size)
{
    const cJSON *child;
    int rc;

    if (!cJSON_IsObject(node) && !cJSON_IsArray(node))
        return 0;
    cJSON_ArrayForEach(child, node)
    {
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

static int evaluate_node(const cJSON *template_node, struct evaluation_scope *scope, cJSON **evaluated);

/*
 * A lower bound of the length of node's unformatted JSON text (a string
 * without its escapes, a number as one digit), counted only until it passes
 * cap: the walk stops there, so a huge node costs no more than the budget.
 */
static size_t selected_size(const cJSON *node, size_t cap)
{
    const cJSON *child;
    size_t size;

    if (cJSON_IsString(node))
        return strlen(node->valuestring) + 2;
    if (cJSON_IsNumber(node))
        return 1;
    if (cJSON_IsTrue(node) || cJSON_IsNull(node))
        return 4;
    if (cJSON_IsFalse(node))
        return 5;
    size = 2;
    cJSON_ArrayForEach(child, node)
    {
        if (cJSON_IsObject(node) && child->string)
            size += strlen(child->string) + 3;
        size += (child != node->child) + selected_size(child, cap - (size < cap ? size : cap));
        if (size > cap)
            break;
    }
    return size;
}

/*
 * Counts a selected value against ASL_PARAMETERS_MAX_BYTES: -E2BIG (error written) once the total passes it;
 * NULL stands for a selection too big to build at all.
 */
static int count_selected(struct evaluation_scope *scope, const cJSON *value)
{
    scope->built +=
        value != NULL ? selected_size(value, ASL_PARAMETERS_MAX_BYTES - scope->built) : ASL_PARAMETERS_MAX_BYTES + 1;
    if (scope->built <= ASL_PARAMETERS_MAX_BYTES)
        return 0;
    write_error(scope->error, scope->error_size, "The values selected exceed the maximum of %d bytes",
                ASL_PARAMETERS_MAX_BYTES);
    return -E2BIG;
}

/* `call` is the whole text, e.g. "States.Format('{}', $.name)". */
static int evaluate_intrinsic_call(const char *field_key, const char *call, struct evaluation_scope *scope,
                                   cJSON **evaluated)
{
    int rc = intrinsic_evaluate(call, scope->values, evaluated, scope->error, scope->error_size);

    if (rc == -EINVAL)
        write_invalid_field_error(scope->error, scope->error_size, field_key);
    if (rc == 0 && (rc = count_selected(scope, *evaluated)) < 0)
        cJSON_Delete(*evaluated);
    return rc;
}

static int write_path_not_found_error(const char *field_key, const char *path, const struct evaluation_scope *scope)
{
    char *printed_input = NULL;

    if (scope->values->input != NULL) {
        printed_input = cJSON_PrintUnformatted(scope->values->input);
        if (printed_input == NULL)
            return -ENOMEM;
    }
    write_error(scope->error, scope->error_size,
                "The JSONPath '%s' specified for the field '%s' could not be found in the input '%s'", path, field_key,
                printed_input != NULL ? printed_input : "null");
    cJSON_free(printed_input);
    return -ENOENT;
}

static int evaluate_path(const char *field_key, const char *path, struct evaluation_scope *scope, cJSON **evaluated)
{
    const cJSON *selected = NULL;
    cJSON *copy = NULL;
    /* a variable's path is a reference path; any other may be a query (wildcards, slices, filters) */
    int rc = asl_path_is_variable(path) ? asl_path_select_in(path, scope->values->input, scope->values->context,
                                                             scope->values->variables, &selected)
                                        : asl_path_query(path, scope->values->input, scope->values->context, &copy);
    if (rc == 0 && selected && !(copy = cJSON_Duplicate(selected, true)))
        rc = -ENOMEM;

    if (rc == -ENOENT)
        return write_path_not_found_error(field_key, path, scope);
    if (rc == -E2BIG)
        return count_selected(scope, NULL);
    if (rc < 0) {
        if (rc != -ENOMEM)
            write_invalid_field_error(scope->error, scope->error_size, field_key);
        return rc;
    }
    rc = count_selected(scope, copy);
    if (rc < 0) {
        cJSON_Delete(copy);
        return rc;
    }
    *evaluated = copy;
    return 0;
}

/* `field` has a key ending in ".$". */
static int evaluate_dynamic_field(const cJSON *field, struct evaluation_scope *scope, cJSON **evaluated)
{
    if (!cJSON_IsString(field)) {
        write_invalid_field_error(scope->error, scope->error_size, field->string);
        return -EINVAL;
    }
    if (intrinsic_is_call(field->valuestring))
        return evaluate_intrinsic_call(field->string, field->valuestring, scope, evaluated);
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

static int evaluate_field(const cJSON *field, struct evaluation_scope *scope, cJSON **evaluated)
{
    if (is_dynamic_key(field->string))
        return evaluate_dynamic_field(field, scope, evaluated);
    return evaluate_node(field, scope, evaluated);
}

static int evaluate_object(const cJSON *template_object, struct evaluation_scope *scope, cJSON **evaluated)
{
    cJSON *object = cJSON_CreateObject();
    const cJSON *field;
    cJSON *value = NULL;
    int rc;

    if (object == NULL)
        return -ENOMEM;
    cJSON_ArrayForEach(field, template_object)
    {
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

static int evaluate_array(const cJSON *template_array, struct evaluation_scope *scope, cJSON **evaluated)
{
    cJSON *array = cJSON_CreateArray();
    const cJSON *element;
    cJSON *value = NULL;
    int rc;

    if (array == NULL)
        return -ENOMEM;
    cJSON_ArrayForEach(element, template_array)
    {
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

static int evaluate_node(const cJSON *template_node, struct evaluation_scope *scope, cJSON **evaluated)
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

int asl_parameters_evaluate_in(const cJSON *template_json, const struct intrinsic_scope *values, cJSON **result,
                               char *error, size_t error_size)
{
    struct evaluation_scope scope = {
        .values = values,
        .error = error,
        .error_size = error_size,
    };

    clear_error(error, error_size);
    if (template_json == NULL || values == NULL || result == NULL)
        return -EINVAL;
    return evaluate_node(template_json, &scope, result);
}

int asl_parameters_evaluate(const cJSON *template_json, const cJSON *input, const cJSON *context, cJSON **result,
                            char *error, size_t error_size)
{
    const struct intrinsic_scope values = { .input = input, .context = context, .random_bytes = NULL };

    return asl_parameters_evaluate_in(template_json, &values, result, error, error_size);
}

/* ---- leftovers --------------------------------------------------------- */

static const cJSON *find_dynamic_key(const cJSON *node)
{
    const cJSON *child;
    const cJSON *found;

    if (!cJSON_IsObject(node) && !cJSON_IsArray(node))
        return NULL;
    cJSON_ArrayForEach(child, node)
    {
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
