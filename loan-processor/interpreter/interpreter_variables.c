/*
 * interpreter_variables.c - workflow variables (a state's Assign): their
 * evaluation when a state completes, and what the step keeps of them.
 */
#include "interpreter_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asl_parameters.h"

int interpreter_load_variables(struct interpreter_step *step, const char *text)
{
    if (!text || !text[0])
        return 0;
    step->variables = cJSON_Parse(text);
    return step->variables && cJSON_IsObject(step->variables) ? 0 : -ENOMEM;
}

int interpreter_inherit_variables(struct interpreter_step *child, const struct interpreter_step *parent)
{
    if (!parent->variables)
        return 0;
    child->variables = cJSON_Duplicate(parent->variables, true);
    child->variables_changed = true;
    return child->variables ? 0 : -ENOMEM;
}

char *interpreter_variables_text(const struct interpreter_step *step)
{
    return step->variables ? cJSON_PrintUnformatted(step->variables) : strdup("{}");
}

/* Sets every member of assigned in the step's variables (created when it has none). */
static int merge_assigned(struct interpreter_step *step, const cJSON *assigned)
{
    const cJSON *member;

    if (!step->variables && !(step->variables = cJSON_CreateObject()))
        return -ENOMEM;
    cJSON_ArrayForEach(member, assigned)
    {
        cJSON *copy = cJSON_Duplicate(member, true);
        bool stored = copy
                      && (cJSON_GetObjectItemCaseSensitive(step->variables, member->string)
                              ? cJSON_ReplaceItemInObjectCaseSensitive(step->variables, member->string, copy)
                              : cJSON_AddItemToObject(step->variables, member->string, copy));
        if (!stored) {
            cJSON_Delete(copy);
            return -ENOMEM;
        }
    }
    step->variables_changed = true;
    return 0;
}

int interpreter_assign(struct run *run, const struct state_definition *state, const cJSON *assign, const cJSON *value,
                       int64_t entered_ms, const char **error, char *detail, size_t detail_size)
{
    cJSON *assigned = NULL;
    int result;

    if (!assign)
        return 0;
    cJSON *context = interpreter_build_context(run, state, entered_ms, NULL, 0);
    struct intrinsic_scope scope = interpreter_template_scope(run, value, context);
    result = context ? asl_parameters_evaluate_in(assign, &scope, &assigned, detail, detail_size) : -ENOMEM;
    cJSON_Delete(context);
    if (result < 0) {
        *error = interpreter_template_error(result);
        return result == -ENOMEM ? result : detail[0] ? -EINVAL : -ENOMEM;
    }
    result = interpreter_store_assigned(run, assigned, detail, detail_size);
    if (result == -E2BIG) {
        *error = "States.DataLimitExceeded";
        return -EINVAL;
    }
    return result;
}

/* The size of value's JSON text (0 when it cannot be printed: out of memory). */
static size_t printed_size(const cJSON *value)
{
    char *text = cJSON_PrintUnformatted(value);
    size_t size = text ? strlen(text) : 0;
    cJSON_free(text);
    return size;
}

/* Checks AWS's bounds on what an Assign adds to variables. 0 or -E2BIG with detail. */
static int check_variable_sizes(const cJSON *variables, const cJSON *assigned, char *detail, size_t detail_size)
{
    const cJSON *member;
    size_t total = 0, stored = variables ? printed_size(variables) : 0;
    cJSON_ArrayForEach(member, assigned)
    {
        size_t size = printed_size(member);
        if (size > INTERPRETER_MAX_VARIABLE_BYTES) {
            snprintf(detail, detail_size, "The variable '%s' has %zu bytes, more than the %d a variable may have",
                     member->string, size, INTERPRETER_MAX_VARIABLE_BYTES);
            return -E2BIG;
        }
        total += size;
    }
    if (total > INTERPRETER_MAX_VARIABLE_BYTES) {
        snprintf(detail, detail_size, "The Assign field's values have %zu bytes, more than the %d one Assign may set",
                 total, INTERPRETER_MAX_VARIABLE_BYTES);
        return -E2BIG;
    }
    if (stored + total > INTERPRETER_MAX_VARIABLES_BYTES) {
        snprintf(detail, detail_size, "The variables would have more than the %d bytes an execution may store",
                 INTERPRETER_MAX_VARIABLES_BYTES);
        return -E2BIG;
    }
    return 0;
}

int interpreter_store_assigned(struct run *run, cJSON *assigned, char *detail, size_t detail_size)
{
    if (cJSON_GetArraySize(assigned) == 0) {
        cJSON_Delete(assigned); /* an empty Assign records nothing, as at AWS */
        return 0;
    }
    int result = check_variable_sizes(run->step->variables, assigned, detail, detail_size);
    if (result < 0) {
        cJSON_Delete(assigned);
        return result;
    }
    result = merge_assigned(run->step, assigned);
    cJSON_Delete(run->step->assigned);
    run->step->assigned = assigned;
    return result;
}

int interpreter_add_assigned(cJSON *details, const cJSON *assigned)
{
    const cJSON *member;
    cJSON *variables = cJSON_AddObjectToObject(details, "assignedVariables");
    cJSON *variables_details = cJSON_AddObjectToObject(details, "assignedVariablesDetails");

    if (!variables || !variables_details || !cJSON_AddFalseToObject(variables_details, "truncated"))
        return -ENOMEM;
    cJSON_ArrayForEach(member, assigned)
    {
        char *text = cJSON_PrintUnformatted(member);
        bool added = text && cJSON_AddStringToObject(variables, member->string, text);
        cJSON_free(text);
        if (!added)
            return -ENOMEM;
    }
    return 0;
}
