/*
 * interpreter_jsonata.c - the fields of a JSONata state evaluated: every
 * "{% expression %}" of a JSON template sees $states (input, context, and
 * the result or errorOutput where there is one) and the workflow variables
 * as $name, under limits, with $now the step's time.
 */
#include "interpreter_internal.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asl_jsonata.h"
#include "jsonata.h"

#define JSONATA_STEPS_PER_EXPRESSION 1000000L
/* The memory one expression's evaluation may use (its values and results; the input's copy included). */
#define JSONATA_BYTES_PER_EXPRESSION (32L * 1024 * 1024)

/* What one evaluation sees: the bindings and the limits. */
struct evaluation {
    struct jsonata_binding *bindings;
    size_t binding_count;
    cJSON *states;
    cJSON *empty; /* {}: the input every expression is evaluated against */
    struct jsonata_environment environment;
    struct jsonata_limits limits;
};

/* $random from the step's random source (or a fixed sequence when it has none). */
static double step_random(void *context)
{
    const struct step_environment *environment = context;
    uint64_t bits = 0;
    if (environment->random_bytes == NULL || environment->random_bytes(&bits, sizeof bits) < 0)
        return 0.5;
    return (double)(bits >> 11) / 9007199254740992.0;
}

static void evaluation_release(struct evaluation *evaluation)
{
    free(evaluation->bindings);
    cJSON_Delete(evaluation->states);
    cJSON_Delete(evaluation->empty);
}

/* $states as a new object whose members reference the given documents (NULL: left out). */
static int build_states(const struct run *run, const struct state_definition *state,
                        const struct jsonata_states *states, cJSON **out)
{
    cJSON *object = cJSON_CreateObject();
    cJSON *context = interpreter_build_context(run, state, states->entered_ms, states->token, states->retry_count);
    bool ok = object && context;
    if (ok && states->map_item) {
        cJSON_DeleteItemFromObjectCaseSensitive(context, "Map");
        cJSON *map = cJSON_AddObjectToObject(context, "Map");
        ok = map && cJSON_AddItemReferenceToObject(map, "Item", (cJSON *)states->map_item);
    }
    ok = ok && cJSON_AddItemToObject(object, "context", context);
    if (!ok)
        cJSON_Delete(context);
    ok = ok && (!states->input || cJSON_AddItemReferenceToObject(object, "input", (cJSON *)states->input));
    ok = ok && (!states->result || cJSON_AddItemReferenceToObject(object, "result", (cJSON *)states->result));
    ok = ok
         && (!states->error_output
             || cJSON_AddItemReferenceToObject(object, "errorOutput", (cJSON *)states->error_output));
    if (!ok) {
        cJSON_Delete(object);
        return -ENOMEM;
    }
    *out = object;
    return 0;
}

static int evaluation_init(const struct run *run, const struct state_definition *state,
                           const struct jsonata_states *states, struct evaluation *evaluation)
{
    /* Step Functions' JSONata has no $eval (AWS: "use $parse instead"): the name is bound to null, so calling it
       fails (T1006, States.QueryEvaluationError) */
    static const cJSON no_eval = { .type = cJSON_NULL };
    const cJSON *variable;
    size_t count = 2 + (size_t)cJSON_GetArraySize(run->step->variables);

    memset(evaluation, 0, sizeof *evaluation);
    evaluation->bindings = calloc(count, sizeof *evaluation->bindings);
    evaluation->empty = cJSON_CreateObject();
    if (!evaluation->bindings || !evaluation->empty || build_states(run, state, states, &evaluation->states) < 0) {
        evaluation_release(evaluation);
        return -ENOMEM;
    }
    evaluation->bindings[0] = (struct jsonata_binding){ "states", evaluation->states };
    evaluation->bindings[1] = (struct jsonata_binding){ "eval", &no_eval };
    evaluation->binding_count = 2;
    cJSON_ArrayForEach(variable, run->step->variables)
    {
        if (evaluation->binding_count < count)
            evaluation->bindings[evaluation->binding_count++] = (struct jsonata_binding){ variable->string, variable };
    }
    evaluation->environment =
        (struct jsonata_environment){ (double)run->environment->now_ms, step_random, (void *)run->environment, 0 };
    evaluation->limits = (struct jsonata_limits){ .max_depth = JSONATA_DEFAULT_MAX_DEPTH,
                                                  .max_steps = JSONATA_STEPS_PER_EXPRESSION,
                                                  .max_bytes = JSONATA_BYTES_PER_EXPRESSION,
                                                  .environment = &evaluation->environment };
    return 0;
}

/* Evaluates one expression (length bytes at text) for field into *out; -EINVAL with AWS's detail. */
static int evaluate_expression(const struct evaluation *evaluation, const char *text, size_t length, const char *field,
                               cJSON **out, char *detail, size_t detail_size)
{
    struct jsonata_expression *expression = NULL;
    struct jsonata_error problem = { 0 };
    char *source = strndup(text, length);
    int result = source ? jsonata_parse(source, &expression, &problem) : -ENOMEM;

    /* the evaluator yields nothing for a path from a variable ($states.input) without an input: {} stands in */
    if (result == 0)
        result = jsonata_evaluate(expression, evaluation->empty, evaluation->bindings, evaluation->binding_count,
                                  &evaluation->limits, out, &problem);
    jsonata_free(expression);
    if (result == -ENOMEM) {
        free(source);
        return result;
    }
    if (result < 0)
        snprintf(detail, detail_size,
                 "The JSONata expression '%s' specified for the field '%s' threw an error during evaluation. %s: %s",
                 source, field, problem.code, problem.message);
    else if (!*out)
        snprintf(detail, detail_size,
                 "The JSONata expression '%s' specified for the field '%s' returned nothing (undefined).", source,
                 field);
    free(source);
    return result < 0 || !*out ? -EINVAL : 0;
}

static int evaluate_template(const struct evaluation *evaluation, const cJSON *template, const char *field, cJSON **out,
                             char *detail, size_t detail_size)
{
    const char *text;
    size_t length;
    const cJSON *member;
    int index = 0;

    *out = NULL;
    if (asl_jsonata_expression(template, &text, &length))
        return evaluate_expression(evaluation, text, length, field, out, detail, detail_size);
    if (!cJSON_IsObject(template) && !cJSON_IsArray(template))
        return (*out = cJSON_Duplicate(template, true)) ? 0 : -ENOMEM;
    cJSON *built = cJSON_IsObject(template) ? cJSON_CreateObject() : cJSON_CreateArray();
    if (!built)
        return -ENOMEM;
    cJSON_ArrayForEach(member, template)
    {
        char inner[1024];
        cJSON *value = NULL;
        if (member->string)
            snprintf(inner, sizeof inner, "%s/%s", field, member->string);
        else
            snprintf(inner, sizeof inner, "%s[%d]", field, index++);
        int result = evaluate_template(evaluation, member, inner, &value, detail, detail_size);
        if (result == 0
            && !(member->string ? cJSON_AddItemToObject(built, member->string, value)
                                : cJSON_AddItemToArray(built, value))) {
            cJSON_Delete(value);
            result = -ENOMEM;
        }
        if (result < 0) {
            cJSON_Delete(built);
            return result;
        }
    }
    *out = built;
    return 0;
}

int interpreter_jsonata_evaluate(const struct run *run, const struct state_definition *state, const cJSON *template,
                                 const char *field, const struct jsonata_states *states, cJSON **out, char *detail,
                                 size_t detail_size)
{
    struct evaluation evaluation;
    *out = NULL;
    if (evaluation_init(run, state, states, &evaluation) < 0)
        return -ENOMEM;
    int result = evaluate_template(&evaluation, template, field, out, detail, detail_size);
    evaluation_release(&evaluation);
    return result;
}

int interpreter_jsonata_field(const struct run *run, const struct state_definition *state, const cJSON *object,
                              const char *field, const struct jsonata_states *states, cJSON **out, char *detail,
                              size_t detail_size)
{
    const cJSON *template = cJSON_GetObjectItemCaseSensitive(object, field);
    *out = NULL;
    return template ? interpreter_jsonata_evaluate(run, state, template, field, states, out, detail, detail_size) : 0;
}

int interpreter_jsonata_assign(struct run *run, const struct state_definition *state, const cJSON *object,
                               const struct jsonata_states *states, char *detail, size_t detail_size)
{
    cJSON *assigned = NULL;
    int result = interpreter_jsonata_field(run, state, object, "Assign", states, &assigned, detail, detail_size);
    if (result < 0 || !assigned)
        return result;
    if (!cJSON_IsObject(assigned)) {
        cJSON_Delete(assigned);
        snprintf(detail, detail_size, "The value of the field 'Assign' must be an object");
        return -EINVAL;
    }
    result = interpreter_store_assigned(run, assigned, detail, detail_size);
    return result == -E2BIG ? -EINVAL : result; /* a JSONata state raises States.QueryEvaluationError with it */
}

cJSON *interpreter_jsonata_output(struct run *run, const struct state_definition *state, const cJSON *object,
                                  const struct jsonata_states *states, const cJSON *default_output, char *detail,
                                  size_t detail_size)
{
    cJSON *output = NULL;
    int result = interpreter_jsonata_field(run, state, object, "Output", states, &output, detail, detail_size);
    if (result == 0 && !output && !(output = cJSON_Duplicate(default_output, true)))
        result = -ENOMEM;
    if (result == 0)
        result = interpreter_jsonata_assign(run, state, object, states, detail, detail_size);
    if (result == 0)
        return output;
    cJSON_Delete(output);
    if (result == -ENOMEM)
        detail[0] = '\0';
    return NULL;
}

int interpreter_jsonata_whole_number(const struct run *run, const struct state_definition *state, const char *field,
                                     const struct jsonata_states *states, long minimum, long *number, char *detail,
                                     size_t detail_size)
{
    const cJSON *template = cJSON_GetObjectItemCaseSensitive(state->json, field);
    cJSON *value = NULL;
    if (!asl_jsonata_expression(template, NULL, NULL))
        return 0;
    int result = interpreter_jsonata_evaluate(run, state, template, field, states, &value, detail, detail_size);
    if (result == 0) {
        double number_value = cJSON_IsNumber(value) ? value->valuedouble : -1;
        if (!cJSON_IsNumber(value) || number_value != (double)(long)number_value || number_value < (double)minimum) {
            char *text = interpreter_print_document(value);
            const char *expression;
            size_t length;
            (void)asl_jsonata_expression(template, &expression, &length);
            snprintf(detail, detail_size,
                     "The JSONata expression '%.*s' specified for the field '%s' returned an unexpected result type. "
                     "Expected 'integer', but was '%s' for value: %s",
                     (int)length, expression, field, interpreter_jsonata_type_name(value), text ? text : "");
            cJSON_free(text);
            result = -EINVAL;
        } else {
            *number = (long)number_value;
        }
    }
    cJSON_Delete(value);
    return result;
}

const char *interpreter_jsonata_type_name(const cJSON *value)
{
    if (cJSON_IsArray(value))
        return "array";
    if (cJSON_IsObject(value))
        return "object";
    if (cJSON_IsString(value))
        return "string";
    if (cJSON_IsNumber(value))
        return "number";
    if (cJSON_IsBool(value))
        return "boolean";
    return "null";
}

/* The field a detail of interpreter_jsonata_evaluate() names ("Output/result"), into location. */
static void detail_location(const char *detail, char *location, size_t size)
{
    static const char marker[] = "for the field '";
    const char *start = strstr(detail, marker);
    const char *end = start ? strchr(start + sizeof(marker) - 1, '\'') : NULL;
    location[0] = '\0';
    if (strncmp(detail, "The Timestamp field", strlen("The Timestamp field")) == 0)
        snprintf(location, size, "Timestamp");
    else if (start && end)
        snprintf(location, size, "%.*s", (int)(end - start - (sizeof(marker) - 1)), start + sizeof(marker) - 1);
}

int interpreter_append_evaluation_failed(struct interpreter_step *step, const char *state_name,
                                         struct history_ref entered, const char *detail)
{
    char location[256];
    char *cause = interpreter_state_error_cause(state_name, entered, detail);
    detail_location(detail, location, sizeof location);
    cJSON *details = cause ? history_details("cause", cause, "error", QUERY_EVALUATION_ERROR, "location",
                                             location[0] ? location : NULL, "state", state_name, NULL)
                           : NULL;
    free(cause);
    if (!details || history_append(&step->history, "EvaluationFailed", "evaluationFailedEventDetails", details) < 0)
        return -ENOMEM;
    if (entered.batch_index > 0)
        history_mark_placeholders(&step->history);
    return 0;
}
