/*
 * interpreter_fork - Parallel and inline Map states (see interpreter.h):
 * a fork starts child branches, runs them within the step (Parallel
 * branches round-robin, one state each per round; Map iterations one after
 * another), and joins, fails, or rests until its continuation.
 *
 * Event order and previousEventIds follow AWS's records: a child's first
 * event follows the fork's ...StateStarted (an iteration's MapIterationStarted
 * follows the last state event of the iteration that ended before it in the
 * step), each next one the child's own previous event; ...StateSucceeded
 * follows the last event of the batch and ...StateExited follows what it
 * followed; ...StateFailed follows the failed child's last state event.
 */
#include "interpreter_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asl_jsonata.h"
#include "asl_parameters.h"
#include "asl_path.h"

/* The default previous event (see history.h). */
static const struct history_ref default_ref = { 0, -1 };

/* A child being run in this step. */
struct child_run {
    struct fork_child *child;
    struct run run;
    struct state_cursor cursor;
    struct history_ref last; /* its thread's newest event */
    bool done;               /* it rested or ended: its outcome is noted */
};

/* A fork being run in a step. */
struct fork {
    struct run *run; /* the branch the fork is in */
    const struct state_definition *state;
    struct history_ref entered;
    int64_t entered_ms;
    const char *input_text;   /* the state's raw input */
    const char *retry_counts; /* NULL: none made */
    cJSON *input;             /* parsed input_text */
    cJSON *effective;         /* after InputPath (and a Parallel's Parameters) */
    const cJSON *items;       /* a Map's items, in effective or owned_items */
    cJSON *owned_items;       /* a JSONata Map's items, or the matches of an indefinite ItemsPath ($.a[*].b); NULL */
    long length, max_concurrency, started, ended;
    char **outputs;              /* [length]: the outputs of the children that succeeded (copies) */
    bool *failed;                /* [length] */
    const bool *running;         /* [length] or NULL: children a redrive restored, running (not started again) */
    struct history_ref cursor;   /* what the next child's first event follows */
    long tolerated_count;        /* failures the Map tolerates; -1: not set */
    double tolerated_percentage; /* the same as a percentage of its items; -1: not set */
    long failures;
    bool failing; /* failures beyond what is tolerated: the fork fails */
    /* the failure the fork fails with: the first child's, or (beyond a tolerance) the threshold's */
    long failed_index;
    char *error, *cause; /* owned copies (the children go before the fork fails) */
    bool cause_quotes_batch;
    struct history_ref failed_last; /* the failed child's last state event (default_ref: not in the batch) */
    struct child_run *runs;         /* the children started in this step */
    size_t run_count;
    bool entering;      /* the step enters the fork (not its continuation) */
    long item_count;    /* a Map's items (its children are batches of them with an ItemBatcher) */
    long *batch_starts; /* with an ItemBatcher: child i takes the items [batch_starts[i], batch_starts[i + 1]) */
};

static bool is_map(const struct fork *fork)
{
    return fork->state->type == STATE_MAP;
}

/* A distributed Map: its iterations are child executions of a Map Run. */
static bool is_distributed(const struct fork *fork)
{
    return is_map(fork) && fork->state->map.distributed;
}

static void fork_release(struct fork *fork)
{
    for (long i = 0; fork->outputs && i < fork->length; i++)
        free(fork->outputs[i]);
    free(fork->outputs);
    free(fork->failed);
    free(fork->batch_starts);
    free(fork->error);
    free(fork->cause);
    for (size_t i = 0; fork->runs && i < fork->run_count; i++)
        interpreter_cursor_release(&fork->runs[i].cursor);
    free(fork->runs);
    cJSON_Delete(fork->owned_items);
    cJSON_Delete(fork->effective);
    cJSON_Delete(fork->input);
}

void interpreter_release_children(struct interpreter_step *step)
{
    for (size_t i = 0; i < step->child_count; i++) {
        struct fork_child *child = &step->children[i];
        free(child->branch_id);
        free(child->map_item);
        if (child->step)
            interpreter_step_release(child->step);
        free(child->step);
    }
    free(step->children);
    step->children = NULL;
    step->child_count = 0;
}

/* A template (Parameters, ItemSelector, ResultSelector) evaluated against input in the fork's context. */
static int evaluate_template(struct fork *fork, const cJSON *template, const cJSON *input, long item_index,
                             const char *item_text, cJSON **result, char *detail, size_t detail_size)
{
    cJSON *context = interpreter_build_context(fork->run, fork->state, fork->entered_ms, NULL, 0);
    int status = context ? 0 : -ENOMEM;
    if (status == 0 && item_text)
        status = interpreter_add_map_item(context, item_index, item_text);
    if (status == 0) {
        struct intrinsic_scope scope = interpreter_template_scope(fork->run, input, context);
        status = asl_parameters_evaluate_in(template, &scope, result, detail, detail_size);
    }
    cJSON_Delete(context);
    return status;
}

static int select_count(const char *path, const char *field, const cJSON *input, const cJSON *variables, long *number,
                        char *detail, size_t detail_size);

/* ToleratedFailureCount and ToleratedFailurePercentage, or their Paths; -EINVAL with detail on a bad value. */
static int tolerance(struct fork *fork, char *detail, size_t detail_size)
{
    const struct map_definition *map = &fork->state->map;
    if (fork->state->jsonata)
        return 0; /* read with its items (jsonata_map_numbers) */
    fork->tolerated_count = map->tolerated_failure_count;
    fork->tolerated_percentage = map->tolerated_failure_percentage;
    if (map->tolerated_failure_count_path) {
        const cJSON *value = interpreter_select_field(map->tolerated_failure_count_path, "ToleratedFailureCountPath",
                                                      fork->effective, fork->run->step->variables, detail, detail_size);
        if (cJSON_IsNumber(value) && value->valuedouble < 0) { /* AWS's recorded text */
            snprintf(detail, detail_size, "ToleratedFailureCount cannot be negative.");
            return -EINVAL;
        }
        if (!value
            || select_count(map->tolerated_failure_count_path, "ToleratedFailureCountPath", fork->effective,
                            fork->run->step->variables, &fork->tolerated_count, detail, detail_size)
                   < 0)
            return -EINVAL;
    }
    if (!map->tolerated_failure_percentage_path)
        return 0;
    const cJSON *value =
        interpreter_select_field(map->tolerated_failure_percentage_path, "ToleratedFailurePercentagePath",
                                 fork->effective, fork->run->step->variables, detail, detail_size);
    if (!value)
        return -EINVAL;
    if (!cJSON_IsNumber(value) || value->valuedouble < 0 || value->valuedouble > 100) {
        snprintf(detail, detail_size,
                 "The value selected by '%s' for the field 'ToleratedFailurePercentagePath' must be a number between "
                 "0 and 100",
                 map->tolerated_failure_percentage_path);
        return -EINVAL;
    }
    fork->tolerated_percentage = value->valuedouble;
    return 0;
}

/* Whether the failures so far are more than the Map tolerates (without a tolerance: any). */
static bool over_tolerance(const struct fork *fork)
{
    if (fork->failures == 0)
        return false;
    if (fork->tolerated_count < 0 && fork->tolerated_percentage < 0)
        return true;
    return (fork->tolerated_count >= 0 && fork->failures > fork->tolerated_count)
           || (fork->tolerated_percentage >= 0
               && (double)fork->failures * 100.0 > fork->tolerated_percentage * (double)fork->length);
}

/* The error output of a failed child: {"Error": error, "Cause": cause} as text (NULL when out of memory). */
static char *error_text(const char *error, const char *cause)
{
    cJSON *object = cJSON_CreateObject();
    cJSON *error_value = error ? cJSON_CreateString(error) : cJSON_CreateNull();
    cJSON *cause_value = cause ? cJSON_CreateString(cause) : cJSON_CreateNull();
    char *text = NULL;
    if (object && error_value && cJSON_AddItemToObject(object, "Error", error_value)) {
        error_value = NULL;
        if (cause_value && cJSON_AddItemToObject(object, "Cause", cause_value)) {
            cause_value = NULL;
            text = interpreter_print_document(object);
        }
    }
    cJSON_Delete(error_value);
    cJSON_Delete(cause_value);
    cJSON_Delete(object);
    return text;
}

/*
 * Child index failed with error and cause (quotes_batch: cause quotes an
 * event of the batch; last: its last state event). A tolerated failure's
 * error output takes its place among the outputs. 0 or -ENOMEM.
 */
static int note_failure(struct fork *fork, long index, const char *error, const char *cause, bool quotes_batch,
                        struct history_ref last)
{
    bool tolerant = fork->tolerated_count >= 0 || fork->tolerated_percentage >= 0;
    fork->failed[index] = true;
    fork->ended++;
    fork->failures++;
    if (tolerant && !(fork->outputs[index] = error_text(error, cause)))
        return -ENOMEM;
    fork->failing = over_tolerance(fork);
    if (fork->failing && tolerant) {
        error = "States.ExceedToleratedFailureThreshold";
        cause = "The specified tolerated failure threshold was exceeded";
        quotes_batch = false;
    } else if (fork->failed_index >= 0) {
        return 0;
    }
    fork->failed_index = index;
    fork->failed_last = last;
    fork->cause_quotes_batch = quotes_batch;
    free(fork->error);
    free(fork->cause);
    fork->error = error ? strdup(error) : NULL;
    fork->cause = cause ? strdup(cause) : NULL;
    return (error && !fork->error) || (cause && !fork->cause) ? -ENOMEM : 0;
}

/*
 * The Map's MaxConcurrencyPath, selected from its effective input. A value
 * that is not a whole number gets AWS's recorded cause, quoting the value
 * (a string's text, any other value's JSON); a negative one the generic
 * whole-number text. -EINVAL with detail.
 */
static int select_count(const char *path, const char *field, const cJSON *input, const cJSON *variables, long *number,
                        char *detail, size_t detail_size)
{
    const cJSON *value = interpreter_select_field(path, field, input, variables, detail, detail_size);
    if (!value)
        return -EINVAL;
    if (cJSON_IsNumber(value) && value->valuedouble == floor(value->valuedouble))
        return interpreter_select_whole_number(path, field, 0, input, number, variables, detail, detail_size);
    char *text = cJSON_IsString(value) ? NULL : interpreter_print_document(value);
    snprintf(detail, detail_size, "The %s field refers to value \"%s\" which is not a valid integer: %s", field,
             cJSON_IsString(value) ? value->valuestring : (text ? text : ""), path);
    cJSON_free(text);
    return -EINVAL;
}

/*
 * ItemBatcher: groups the items, in order, into batches of at most
 * MaxItemsPerBatch items and MaxInputBytesPerBatch bytes of items' JSON
 * (an item larger than that alone); the Map's children are the batches.
 * -EINVAL with detail on a bad Path value, -ENOMEM.
 */
static int batch_items(struct fork *fork, char *detail, size_t detail_size)
{
    const struct map_definition *map = &fork->state->map;
    long most_items = map->max_items_per_batch, most_bytes = map->max_bytes_per_batch, bytes = 0;
    if ((map->max_items_per_batch_path
         && select_count(map->max_items_per_batch_path, "MaxItemsPerBatchPath", fork->effective,
                         fork->run->step->variables, &most_items, detail, detail_size)
                < 0)
        || (map->max_bytes_per_batch_path
            && select_count(map->max_bytes_per_batch_path, "MaxInputBytesPerBatchPath", fork->effective,
                            fork->run->step->variables, &most_bytes, detail, detail_size)
                   < 0))
        return -EINVAL;
    if (most_bytes <= 0 || most_bytes > STATE_MACHINE_MAX_BATCH_BYTES)
        most_bytes = STATE_MACHINE_MAX_BATCH_BYTES;
    fork->batch_starts = calloc((size_t)fork->item_count + 2, sizeof(*fork->batch_starts));
    if (!fork->batch_starts)
        return -ENOMEM;
    long batches = 0, in_batch = 0;
    for (long i = 0; i < fork->item_count; i++) {
        char *text = interpreter_print_document(cJSON_GetArrayItem(fork->items, (int)i));
        long size = text ? (long)strlen(text) + 1 : 0;
        cJSON_free(text);
        if (!text)
            return -ENOMEM;
        if (in_batch > 0 && ((most_items > 0 && in_batch == most_items) || bytes + size > most_bytes)) {
            in_batch = 0;
            bytes = 0;
        }
        if (in_batch == 0)
            fork->batch_starts[batches++] = i;
        in_batch++;
        bytes += size;
    }
    fork->batch_starts[batches] = fork->item_count;
    fork->length = batches;
    return 0;
}

/* What a JSONata fork's expressions see: its input (and, for an item, the context's Map.Item). */
static struct jsonata_states fork_states(const struct fork *fork)
{
    struct jsonata_states states = { .input = fork->input, .entered_ms = fork->entered_ms };
    return states;
}

/* A JSONata Map's Items (default: its input), which must be an array; -EPROTO with detail otherwise. */
static int jsonata_items(struct fork *fork, char *detail, size_t detail_size)
{
    struct jsonata_states states = fork_states(fork);
    const cJSON *template = cJSON_GetObjectItemCaseSensitive(fork->state->json, "Items");
    int result = template ? interpreter_jsonata_evaluate(fork->run, fork->state, template, "Items", &states,
                                                         &fork->owned_items, detail, detail_size)
                          : ((fork->owned_items = cJSON_Duplicate(fork->input, true)) ? 0 : -ENOMEM);
    if (result == 0 && template && !cJSON_IsArray(fork->owned_items)) {
        const char *text = "";
        size_t length = 0;
        char *printed = interpreter_print_document(fork->owned_items);
        (void)asl_jsonata_expression(template, &text, &length);
        snprintf(detail, detail_size,
                 "The JSONata expression '%.*s' specified for the field 'Items' returned an unexpected result type. "
                 "Expected 'array', but was '%s' for value: %.1000s",
                 (int)length, text, interpreter_jsonata_type_name(fork->owned_items), printed ? printed : "");
        cJSON_free(printed);
        result = -EINVAL;
    }
    fork->items = fork->owned_items;
    return result == -EINVAL ? -EPROTO : result;
}

/* A JSONata Map's MaxConcurrency and tolerance given as expressions; -EPROTO with detail on a bad value. */
static int jsonata_map_numbers(struct fork *fork, long *concurrency, char *detail, size_t detail_size)
{
    struct jsonata_states states = fork_states(fork);
    long count = fork->state->map.tolerated_failure_count, percentage = -1;
    int result = interpreter_jsonata_whole_number(fork->run, fork->state, "MaxConcurrency", &states, 0, concurrency,
                                                  detail, detail_size);
    if (result == 0)
        result = interpreter_jsonata_whole_number(fork->run, fork->state, "ToleratedFailureCount", &states, 0, &count,
                                                  detail, detail_size);
    if (result == 0)
        result = interpreter_jsonata_whole_number(fork->run, fork->state, "ToleratedFailurePercentage", &states, 0,
                                                  &percentage, detail, detail_size);
    fork->tolerated_count = count;
    fork->tolerated_percentage = percentage >= 0 ? (double)percentage : fork->state->map.tolerated_failure_percentage;
    return result == -EINVAL ? -EPROTO : result;
}

/* A Map's items and MaxConcurrency; -EINVAL with detail when its input does not give them. */
static int prepare_map(struct fork *fork, char *detail, size_t detail_size)
{
    const struct map_definition *map = &fork->state->map;
    long concurrency = map->max_concurrency;
    int evaluated = fork->state->jsonata ? jsonata_items(fork, detail, detail_size) : 0;
    if (evaluated == 0 && fork->state->jsonata)
        evaluated = jsonata_map_numbers(fork, &concurrency, detail, detail_size);
    if (evaluated < 0)
        return evaluated;
    if (!fork->state->jsonata && !asl_path_is_variable(map->items_path) && !asl_path_is_definite(map->items_path)) {
        int rc = asl_path_query(map->items_path, fork->effective, NULL, &fork->owned_items);
        if (rc == -E2BIG)
            snprintf(detail, detail_size, "The values selected by the ItemsPath '%s' are too large", map->items_path);
        if (rc < 0)
            return rc == -E2BIG ? -EINVAL : rc;
        fork->items = fork->owned_items;
    } else if (!fork->state->jsonata) {
        fork->items = interpreter_select_field(map->items_path, "ItemsPath", fork->effective,
                                               fork->run->step->variables, detail, detail_size);
    }
    if (!fork->items)
        return -EINVAL;
    if (!cJSON_IsArray(fork->items)) {
        char *text = interpreter_print_document(fork->items);
        if (!text)
            return -ENOMEM;
        snprintf(detail, detail_size, "Map state input must be an array but was: %.1000s", text);
        cJSON_free(text);
        return fork->state->jsonata ? -EPROTO : -EINVAL;
    }
    fork->length = cJSON_GetArraySize(fork->items);
    if (fork->length > INTERPRETER_MAX_MAP_ITEMS) {
        snprintf(detail, detail_size, "The Map state's items number %ld, more than the %d a Map may iterate over",
                 fork->length, INTERPRETER_MAX_MAP_ITEMS);
        return -EINVAL;
    }
    if (map->max_concurrency_path
        && select_count(map->max_concurrency_path, "MaxConcurrencyPath", fork->effective, fork->run->step->variables,
                        &concurrency, detail, detail_size)
               < 0)
        return -EINVAL;
    long most = is_distributed(fork) ? INTERPRETER_MAX_DISTRIBUTED_CONCURRENCY : INTERPRETER_MAX_INLINE_CONCURRENCY;
    fork->max_concurrency = concurrency <= 0 || concurrency > most ? most : concurrency;
    fork->item_count = fork->length;
    if (map->batched && batch_items(fork, detail, detail_size) < 0)
        return detail[0] ? -EINVAL : -ENOMEM;
    /* entering, AWS reads the tolerance after MapStateStarted (open_tolerance) */
    return fork->entering || fork->state->jsonata ? 0 : tolerance(fork, detail, detail_size);
}

/*
 * Reads the fork's input: the effective input (a Parallel's Parameters
 * applied), a Map's items. -EINVAL with detail on a runtime error, -EDOM
 * with detail when an intrinsic function failed.
 */
static int prepare_fork(struct fork *fork, char *detail, size_t detail_size)
{
    const struct state_definition *state = fork->state;
    fork->input = interpreter_parse_stored(fork->input_text);
    if (!fork->input)
        return -ENOMEM;
    fork->effective = interpreter_select_path(fork->run, state, fork->entered_ms, &state->input_path, "InputPath",
                                              fork->input, detail, detail_size);
    if (!fork->effective)
        return detail[0] ? -EINVAL : -ENOMEM;
    int result = 0;
    if (is_map(fork)) {
        result = prepare_map(fork, detail, detail_size);
    } else {
        fork->length = (long)state->branch_count;
        fork->max_concurrency = fork->length;
        fork->tolerated_count = -1;
        fork->tolerated_percentage = -1;
        if (state->jsonata) {
            struct jsonata_states states = fork_states(fork);
            cJSON *arguments = NULL;
            result = interpreter_jsonata_field(fork->run, state, state->json, "Arguments", &states, &arguments, detail,
                                               detail_size);
            if (result == -EINVAL)
                result = -EPROTO;
            if (arguments) {
                cJSON_Delete(fork->effective);
                fork->effective = arguments;
            }
        } else if (state->parameters) {
            cJSON *parameters = NULL;
            result =
                evaluate_template(fork, state->parameters, fork->effective, -1, NULL, &parameters, detail, detail_size);
            if (result == 0) {
                cJSON_Delete(fork->effective);
                fork->effective = parameters;
            }
        }
    }
    if (result == -ENOTSUP || result == -ENOENT)
        result = -EINVAL;
    if (result < 0)
        return result;
    fork->outputs = calloc((size_t)fork->length + 1, sizeof(*fork->outputs));
    fork->failed = calloc((size_t)fork->length + 1, sizeof(*fork->failed));
    return fork->outputs && fork->failed ? 0 : -ENOMEM;
}

static int item_input(struct fork *fork, long index, const char *item_text, cJSON **input, char *detail,
                      size_t detail_size);

/* A batch's input: {"BatchInput": ..., "Items": [...]}, each item through ItemSelector. */
static int batch_input(struct fork *fork, long batch, cJSON **input, char *detail, size_t detail_size)
{
    const cJSON *template = fork->state->map.batch_input;
    cJSON *object = cJSON_CreateObject(), *items = cJSON_CreateArray(), *fixed = NULL;
    int result = object && items ? 0 : -ENOMEM;
    if (result == 0 && template) {
        result = evaluate_template(fork, template, fork->effective, -1, NULL, &fixed, detail, detail_size);
        if (result == 0 && !cJSON_AddItemToObject(object, "BatchInput", fixed))
            result = -ENOMEM;
        if (result < 0)
            cJSON_Delete(fixed);
    }
    for (long i = fork->batch_starts[batch]; result == 0 && i < fork->batch_starts[batch + 1]; i++) {
        cJSON *item = NULL;
        char *text = interpreter_print_document(cJSON_GetArrayItem(fork->items, (int)i));
        result = text ? item_input(fork, i, text, &item, detail, detail_size) : -ENOMEM;
        cJSON_free(text);
        if (result == 0 && !cJSON_AddItemToArray(items, item)) {
            cJSON_Delete(item);
            result = -ENOMEM;
        }
    }
    if (result == 0 && cJSON_AddItemToObject(object, "Items", items)) {
        *input = object;
        return 0;
    }
    if (result == 0)
        result = -ENOMEM;
    cJSON_Delete(items);
    cJSON_Delete(object);
    return result == -ENOTSUP || result == -ENOENT ? -EINVAL : result;
}

/* The input of child index: a Parallel's effective input, a Map's item through ItemSelector, or a batch. */
static int child_input(struct fork *fork, long index, const char *item_text, cJSON **input, char *detail,
                       size_t detail_size)
{
    if (fork->batch_starts)
        return batch_input(fork, index, input, detail, detail_size);
    return item_input(fork, index, item_text, input, detail, detail_size);
}

/* A JSONata Map's ItemSelector for item index: $states.context.Map.Item is {"Index", "Value"}. */
static int jsonata_item_input(struct fork *fork, long index, cJSON **input, char *detail, size_t detail_size)
{
    cJSON *item = cJSON_CreateObject();
    bool ok = item && cJSON_AddNumberToObject(item, "Index", (double)index)
              && cJSON_AddItemReferenceToObject(item, "Value", cJSON_GetArrayItem(fork->items, (int)index));
    cJSON *states_input = ok ? cJSON_Duplicate(fork->input, true) : NULL;
    struct jsonata_states states = fork_states(fork);
    int result = -ENOMEM;
    if (states_input) {
        states.input = states_input;
        states.map_item = item;
        result = interpreter_jsonata_evaluate(fork->run, fork->state, fork->state->map.item_selector, "ItemSelector",
                                              &states, input, detail, detail_size);
    }
    cJSON_Delete(states_input);
    cJSON_Delete(item);
    return result == -EINVAL ? -EPROTO : result;
}

/* Item index's input: a Parallel's effective input, or a Map's item through ItemSelector. */
static int item_input(struct fork *fork, long index, const char *item_text, cJSON **input, char *detail,
                      size_t detail_size)
{
    const cJSON *selector = fork->state->map.item_selector;
    if (is_map(fork) && selector && fork->state->jsonata)
        return jsonata_item_input(fork, index, input, detail, detail_size);
    if (!is_map(fork) || !selector) {
        const cJSON *source = is_map(fork) ? cJSON_GetArrayItem(fork->items, (int)index) : fork->effective;
        *input = cJSON_Duplicate(source, true);
        return *input ? 0 : -ENOMEM;
    }
    int result = evaluate_template(fork, selector, fork->effective, index, item_text, input, detail, detail_size);
    return result == -ENOTSUP || result == -ENOENT ? -EINVAL : result;
}

/* The iterations one step may start: a distributed Map's children write no event, so more of them. */
static long starts_per_step(const struct fork *fork)
{
    return is_distributed(fork) ? INTERPRETER_CHILD_EXECUTIONS_PER_STEP : INTERPRETER_ITERATIONS_PER_STEP;
}

/* Room for the children this step may start. */
static int reserve_children(struct fork *fork)
{
    struct interpreter_step *step = fork->run->step;
    long room = fork->length - fork->started;
    interpreter_release_children(step);
    if (is_map(fork) && room > starts_per_step(fork))
        room = starts_per_step(fork);
    step->children = calloc((size_t)room + 1, sizeof(*step->children));
    fork->runs = calloc((size_t)room + 1, sizeof(*fork->runs));
    return step->children && fork->runs ? 0 : -ENOMEM;
}

/* "<parent>/<number>.<index>", or "<number>.<index>" under the root. */
static char *child_branch_id(const struct fork *fork, long index)
{
    const char *parent = fork->run->branch_id;
    size_t size = strlen(parent) + 48;
    char *id = malloc(size);
    if (id)
        snprintf(id, size, "%s%s%zu.%ld", parent, parent[0] ? "/" : "", fork->state->number, index);
    return id;
}

/*
 * Starts child index (its record, run and first state; an iteration's
 * MapIterationStarted is written in its first turn). -EINVAL with detail
 * when its ItemSelector fails.
 */
static int start_child(struct fork *fork, long index, char *detail, size_t detail_size)
{
    struct interpreter_step *step = fork->run->step;
    struct fork_child *child = &step->children[step->child_count];
    const struct run *parent = fork->run;
    if (parent->environment->branches_full) {
        snprintf(detail, detail_size, "%s", INTERPRETER_BRANCHES_FULL_CAUSE);
        return -EINVAL;
    }
    struct child_run *run = &fork->runs[fork->run_count++];
    const struct state_scope *scope = state_machine_fork_scope(fork->state, (size_t)index);

    step->child_count++;
    child->map_index = is_map(fork) ? index : -1;
    child->branch_id = child_branch_id(fork, index);
    child->step = calloc(1, sizeof(*child->step));
    if (!child->branch_id || !child->step || !scope)
        return -ENOMEM;
    long item = fork->batch_starts ? fork->batch_starts[index] : index; /* a batch: its first item */
    if (is_map(fork) && !(child->map_item = interpreter_print_document(cJSON_GetArrayItem(fork->items, (int)item))))
        return -ENOMEM;
    if (interpreter_inherit_variables(child->step, step) < 0)
        return -ENOMEM;
    child->step->status = EXECUTION_RUNNING;
    child->step->in_child = true;
    child->step->iteration_of = is_map(fork) ? fork->state->name : NULL;
    child->step->map_index = child->map_index;
    run->child = child;
    run->run = (struct run){ parent->machine, parent->facts,    parent->environment, child->step,    parent->budget,
                             scope,           child->branch_id, child->map_index,    child->map_item };
    run->last = fork->cursor;
    child->last_event = run->last;
    run->cursor.state = state_machine_scope_find(scope, scope->start_at);
    fork->started++;
    if (is_map(fork))
        parent->budget->iterations_started++;
    return child_input(fork, index, child->map_item, &run->cursor.input, detail, detail_size);
}

/* A turn of the child: what (enter, exit) on its cursor, with the step's history lent to it. */
static int take_turn(struct fork *fork, struct child_run *run, int (*what)(struct run *, struct state_cursor *))
{
    struct interpreter_step *parent = fork->run->step, *child = run->child->step;
    size_t before = history_batch_count(&parent->history);
    int result = 0;

    child->history = parent->history;
    memset(&parent->history, 0, sizeof(parent->history));
    history_set_previous(&child->history, run->last);
    result = what(&run->run, &run->cursor);
    if (child->history.next_previous.batch_index != -1)
        run->last = child->history.next_previous; /* its next event follows another (a joined fork's exit) */
    else if (history_batch_count(&child->history) > before)
        run->last = history_last(&child->history);
    run->child->last_event = run->last;
    parent->history = child->history;
    memset(&child->history, 0, sizeof(child->history));
    history_set_previous(&parent->history, default_ref);
    return result;
}

/* An iteration's first event: MapIterationStarted. */
static int iteration_started(struct run *run, struct state_cursor *cursor)
{
    (void)cursor;
    return interpreter_append_iteration_event(run->step, "Started", run->step->iteration_of, run->map_index);
}

/* Notes what a child whose cursor stopped came to: its output, its failure, or (resting) nothing. 0 or -ENOMEM. */
static int note_child_end(struct fork *fork, struct child_run *run)
{
    struct interpreter_step *child = run->child->step;
    long index = is_map(fork) ? run->child->map_index : (long)(run - fork->runs);
    /* an iteration's last event is its MapIteration...; the one before is its last state event */
    struct history_ref last_state = child->iteration_of ? history_ref_in_batch(run->last.batch_index - 1) : run->last;

    run->done = true;
    if (child->status == EXECUTION_SUCCEEDED) {
        if (!(fork->outputs[index] = strdup(child->output)))
            return -ENOMEM;
        fork->ended++;
        fork->cursor = last_state;
    } else if (child->status == EXECUTION_FAILED) {
        fork->cursor = last_state;
        return note_failure(fork, index, child->error, child->cause, child->cause_has_placeholders, last_state);
    }
    return 0;
}

/* Runs a child's turns until it rests or ends. */
static int run_child_through(struct fork *fork, struct child_run *run)
{
    int result = 0;
    while (result == 0 && run->cursor.state) {
        result = take_turn(fork, run, interpreter_cursor_enter);
        if (result == 0 && run->cursor.state)
            result = take_turn(fork, run, interpreter_cursor_exit);
    }
    return result;
}

/*
 * A distributed Map's iteration is a child execution: it rests at its first
 * state (continue, at once) with its input and writes no event here; its own
 * history starts when the commit creates it.
 */
static int rest_child_execution(struct child_run *run)
{
    struct interpreter_step *child = run->child->step;
    char *input = interpreter_print_document(run->cursor.input);
    run->child->child_execution = true;
    child->child_execution = true;
    child->iteration_of = NULL;
    child->delay_ms = 0;
    int result = input ? interpreter_rest_at(&run->run, run->cursor.state, history_ref_stored(0),
                                             child->history.timestamp_ms, input, RESTING_CONTINUE)
                       : -ENOMEM;
    cJSON_free(input);
    run->cursor.state = NULL;
    run->done = true;
    return result;
}

/*
 * Whether an iteration is left to start, passing over those next in line
 * that already have an output: a redriven Map (its outputs kept from the
 * visit that failed) starts only the others. In any other run no iteration
 * not yet started has one.
 */
static bool iteration_left(struct fork *fork)
{
    while (fork->started < fork->length
           && (fork->outputs[fork->started] || (fork->running && fork->running[fork->started])))
        fork->started++;
    return fork->started < fork->length;
}

/* Map: iterations one after another, while items, concurrency and the step's budget allow and none failed. */
static int run_iterations(struct fork *fork, char *detail, size_t detail_size)
{
    struct step_budget *budget = fork->run->budget;
    int result = 0;
    while (result == 0 && !fork->failing && iteration_left(fork) && fork->started - fork->ended < fork->max_concurrency
           && budget->iterations_started < starts_per_step(fork) && !interpreter_step_is_full(fork->run)) {
        struct child_run *run = &fork->runs[fork->run_count];
        result = start_child(fork, fork->started, detail, detail_size);
        if (result == 0 && is_distributed(fork)) {
            result = rest_child_execution(run);
            continue;
        }
        if (result == 0)
            result = take_turn(fork, run, iteration_started);
        if (result == 0)
            result = run_child_through(fork, run);
        if (result == 0 && !run->cursor.state)
            result = note_child_end(fork, run);
    }
    return result;
}

/* Parallel: every branch starts; rounds of one state each (all enter, then all exit) until all rest or end. */
static int run_branches(struct fork *fork, char *detail, size_t detail_size)
{
    size_t count = 0;
    int result = 0;
    /* a redriven Parallel (its outputs kept from the visit that failed) starts only the others */
    for (long i = 0; i < fork->length && result == 0; i++)
        if (!fork->outputs[i] && (result = start_child(fork, i, detail, detail_size)) == 0)
            count++;
    fork->started = fork->length;
    for (bool active = true; result == 0 && active && !fork->failing;) {
        active = false;
        for (size_t i = 0; i < count && result == 0; i++) {
            if (fork->runs[i].cursor.state)
                result = take_turn(fork, &fork->runs[i], interpreter_cursor_enter);
            if (result == 0 && !fork->runs[i].cursor.state && !fork->runs[i].done)
                result = note_child_end(fork, &fork->runs[i]);
        }
        for (size_t i = 0; i < count && result == 0; i++) {
            if (!fork->runs[i].cursor.state)
                continue;
            result = take_turn(fork, &fork->runs[i], interpreter_cursor_exit);
            if (result == 0 && !fork->runs[i].cursor.state)
                result = note_child_end(fork, &fork->runs[i]);
            active = active || fork->runs[i].cursor.state;
        }
    }
    return result;
}

/* ---- the fork's outcome ---- */

/* The fork's position: where its errors are handled from. */
static struct execution_position fork_position(const struct fork *fork)
{
    return (struct execution_position){
        .stored_events = fork->run->step->history.stored_events,
        .state_name = fork->state->name,
        .state_entered = fork->entered,
        .state_entered_ms = fork->entered_ms,
        .state_input = fork->input_text,
        .resting = RESTING_FORK,
        .retry_counts = fork->retry_counts,
        .branch_id = fork->run->branch_id,
        .map_index = fork->run->map_index,
        .map_item = fork->run->map_item,
    };
}

/* The children still running when the fork fails are aborted: MapIterationAborted for each iteration. */
static int abort_children(struct fork *fork)
{
    struct interpreter_step *step = fork->run->step;
    /* a distributed Map's children are executions: the commit aborts them, each in its own history */
    for (long i = 0; is_map(fork) && !is_distributed(fork) && i < fork->started; i++) {
        if (fork->outputs[i] || fork->failed[i])
            continue;
        if (interpreter_append_iteration_event(step, "Aborted", fork->state->name, i) < 0)
            return -ENOMEM;
    }
    return 0;
}

/*
 * A distributed Map's Map Run ended: MapRunSucceeded, or MapRunFailed with
 * the fork's error and cause. Nothing for another fork. 0 or -ENOMEM.
 */
static int end_map_run(struct fork *fork, bool succeeded)
{
    struct interpreter_step *step = fork->run->step;
    if (!is_distributed(fork))
        return 0;
    step->map_run_ended = true;
    step->map_run_failed = !succeeded;
    if (succeeded)
        return history_append(&step->history, "MapRunSucceeded", NULL, NULL) < 0 ? -ENOMEM : 0;
    cJSON *details = history_details("error", fork->error, "cause", fork->cause, NULL);
    if (!details || history_append(&step->history, "MapRunFailed", "mapRunFailedEventDetails", details) < 0)
        return -ENOMEM;
    if (fork->cause_quotes_batch)
        history_mark_placeholders(&step->history);
    return 0;
}

/* A child failed: the others are aborted, ...StateFailed (unless a retrier retries), then Retry, Catch or the end. */
static int fail_fork(struct fork *fork)
{
    struct interpreter_step *step = fork->run->step;
    struct execution_position position = fork_position(fork);
    char type[64];

    if (abort_children(fork) < 0 || end_map_run(fork, false) < 0)
        return -ENOMEM;
    if (!interpreter_will_retry(fork->state, fork->retry_counts, fork->error)) {
        snprintf(type, sizeof(type), "%sStateFailed", state_machine_type_name(fork->state->type));
        if (fork->failed_last.batch_index != -1 && history_batch_count(&step->history) > 0)
            history_set_previous(&step->history, fork->failed_last);
        if (history_append(&step->history, type, NULL, NULL) < 0)
            return -ENOMEM;
    }
    return interpreter_handle_state_error(fork->run, fork->state, &position, fork->error, fork->cause, false,
                                          fork->cause_quotes_batch);
}

/*
 * A JSONata expression of the fork failed (detail): EvaluationFailed,
 * ...StateFailed (unless a retrier retries), then Retry, Catch or the end.
 */
static int fail_evaluation(struct fork *fork, const char *detail)
{
    struct interpreter_step *step = fork->run->step;
    struct execution_position position = fork_position(fork);
    char type[64];
    if (interpreter_append_evaluation_failed(step, fork->state->name, fork->entered, detail) < 0)
        return -ENOMEM;
    if (!interpreter_will_retry(fork->state, fork->retry_counts, QUERY_EVALUATION_ERROR)) {
        snprintf(type, sizeof(type), "%sStateFailed", state_machine_type_name(fork->state->type));
        if (history_append(&step->history, type, NULL, NULL) < 0)
            return -ENOMEM;
    }
    char *cause = interpreter_state_error_cause(fork->state->name, fork->entered, detail);
    if (!cause)
        return -ENOMEM;
    int result = interpreter_handle_state_error(fork->run, fork->state, &position, QUERY_EVALUATION_ERROR, cause, false,
                                                fork->entered.batch_index > 0);
    free(cause);
    return result;
}

/* The outputs of the children in index order, through ResultSelector; NULL with detail (or out of memory). */
static cJSON *joined_result(struct fork *fork, const char **error, char *detail, size_t detail_size)
{
    cJSON *results = cJSON_CreateArray();
    for (long i = 0; results && i < fork->length; i++) {
        cJSON *output = cJSON_Parse(fork->outputs[i]);
        if (!output || !cJSON_AddItemToArray(results, output)) {
            cJSON_Delete(output);
            cJSON_Delete(results);
            return NULL;
        }
    }
    if (!results || !fork->state->result_selector)
        return results;
    cJSON *selected = NULL;
    *error = interpreter_template_error(
        evaluate_template(fork, fork->state->result_selector, results, -1, NULL, &selected, detail, detail_size));
    cJSON_Delete(results);
    return selected;
}

/* A JSONata fork's result (owned): its Output (default: the result) and Assign into *output. */
static int join_jsonata(struct fork *fork, cJSON *result, cJSON **output)
{
    char detail[4096] = "";
    struct jsonata_states states = fork_states(fork);
    states.result = result;
    *output =
        interpreter_jsonata_output(fork->run, fork->state, fork->state->json, &states, result, detail, sizeof(detail));
    cJSON_Delete(result);
    if (*output)
        return 0;
    return detail[0] ? fail_evaluation(fork, detail) : -ENOMEM;
}

/* Every child succeeded: ...StateSucceeded, and the fork's output (*output) for its ...StateExited. */
static int join_fork(struct fork *fork, cJSON **output)
{
    struct interpreter_step *step = fork->run->step;
    struct history_ref before = history_last(&step->history);
    char type[64], detail[4096] = "";
    const char *error = "States.Runtime";

    if (end_map_run(fork, true) < 0)
        return -ENOMEM;
    if (is_distributed(fork))
        before = history_last(&step->history); /* AWS's ...StateExited follows MapRunSucceeded */
    snprintf(type, sizeof(type), "%sStateSucceeded", state_machine_type_name(fork->state->type));
    if (history_append(&step->history, type, NULL, NULL) < 0)
        return -ENOMEM;
    if (before.batch_index > 0)
        history_set_previous(&step->history, before);
    cJSON *result = joined_result(fork, &error, detail, sizeof(detail));
    if (result && fork->state->jsonata)
        return join_jsonata(fork, result, output);
    if (result
        && interpreter_assign(fork->run, fork->state, fork->state->assign, result, fork->entered_ms, &error, detail,
                              sizeof(detail))
               < 0) {
        cJSON_Delete(result);
        result = NULL;
    }
    *output = result ? interpreter_process_result(fork->run, fork->state, fork->entered_ms, fork->input, result, detail,
                                                  sizeof(detail))
                     : NULL;
    if (*output)
        return 0;
    if (strcmp(error, "States.DataLimitExceeded") == 0)
        return interpreter_fail_data_limit(step, fork->state);
    if (!detail[0])
        return -ENOMEM;
    if (strcmp(error, INTRINSIC_FAILURE_ERROR) == 0) {
        struct execution_position position = fork_position(fork);
        return interpreter_raise_task_error(fork->run, fork->state, &position, error, detail);
    }
    return interpreter_fail_runtime(step, fork->state->name, fork->entered, detail);
}

/* After the children's turns: fail, join (*output), or rest at the fork (always, when it holds). */
static int settle_fork(struct fork *fork, bool holds, cJSON **output)
{
    struct interpreter_step *step = fork->run->step;
    /* a fork that fails or joins in the step leaves no child for the caller: their events are all it wrote */
    if (!holds && (fork->failing || fork->ended == fork->length))
        interpreter_release_children(step);
    if (!holds && fork->failing)
        return fail_fork(fork);
    if (!holds && fork->ended == fork->length)
        return join_fork(fork, output);
    step->has_fork = true;
    step->fork = (struct fork_description){ fork->state->name, fork->state->type, fork->length, fork->max_concurrency,
                                            fork->started };
    if (fork->retry_counts && !(step->retry_counts = strdup(fork->retry_counts)))
        return -ENOMEM;
    return interpreter_rest_at(fork->run, fork->state, fork->entered, fork->entered_ms, fork->input_text, RESTING_FORK);
}

/* Runs the children the fork may run now, then settles it; an error of its input fails the state. */
static int run_fork(struct fork *fork, cJSON **output)
{
    char detail[4096] = "";
    struct interpreter_step *step = fork->run->step;
    if (is_distributed(fork)) {
        step->map_run_max_concurrency =
            fork->state->map.max_concurrency_path ? fork->max_concurrency : fork->state->map.max_concurrency;
        step->map_run_tolerated_count = fork->tolerated_count < 0 ? 0 : fork->tolerated_count;
        step->map_run_tolerated_percentage = fork->tolerated_percentage < 0 ? 0 : fork->tolerated_percentage;
    }
    int result = reserve_children(fork);
    /* a distributed Map rests first: its continuation starts the Map Run's children, on any instance */
    bool holds = is_distributed(fork) && fork->entering;
    if (result == 0 && is_map(fork) && !holds)
        result = run_iterations(fork, detail, sizeof(detail));
    else if (result == 0 && !is_map(fork) && fork->started == 0)
        result = run_branches(fork, detail, sizeof(detail));
    if (result == -EINVAL)
        return interpreter_fail_runtime(fork->run->step, fork->state->name, fork->entered, detail);
    if (result == -EPROTO)
        return fail_evaluation(fork, detail);
    if (result == -EDOM) {
        struct execution_position position = fork_position(fork);
        return interpreter_raise_task_error(fork->run, fork->state, &position, INTRINSIC_FAILURE_ERROR, detail);
    }
    return result < 0 ? result : settle_fork(fork, holds, output);
}

/* A runtime error of the fork's input (result -EINVAL or -EDOM, with detail) fails the state (*failed). */
static int fail_open(struct fork *fork, int result, const char *detail, bool *failed)
{
    *failed = result == -EINVAL || result == -EDOM || result == -EPROTO;
    if (result == -EPROTO)
        return fail_evaluation(fork, detail);
    if (result == -EINVAL)
        return interpreter_fail_runtime(fork->run->step, fork->state->name, fork->entered, detail);
    if (result == -EDOM) {
        struct execution_position position = fork_position(fork);
        return interpreter_raise_task_error(fork->run, fork->state, &position, INTRINSIC_FAILURE_ERROR, detail);
    }
    return result;
}

/* Reads the fork's input; a runtime error fails the state (*failed). */
static int open_fork(struct fork *fork, bool *failed)
{
    char detail[4096] = "";
    return fail_open(fork, prepare_fork(fork, detail, sizeof(detail)), detail, failed);
}

/* Entering a Map: its tolerance, read once MapStateStarted is written; a bad one fails the state (*failed). */
static int open_tolerance(struct fork *fork, bool *failed)
{
    char detail[4096] = "";
    if (!is_map(fork))
        return 0;
    return fail_open(fork, tolerance(fork, detail, sizeof(detail)), detail, failed);
}

/*
 * A distributed Map starts its Map Run: MapRunStarted with the ARN the
 * environment gives (kept in the step for the commit). Without one the
 * state fails (States.Runtime, *failed). 0 or -ENOMEM.
 */
static int start_map_run(struct fork *fork, bool *failed)
{
    const struct step_environment *environment = fork->run->environment;
    struct interpreter_step *step = fork->run->step;
    char arn[INTERPRETER_MAP_RUN_ARN_SIZE];
    if (!environment->map_run
        || environment->map_run(environment->map_run_context, fork->state->map.label, arn, sizeof(arn)) < 0) {
        *failed = true;
        return interpreter_fail_runtime(step, fork->state->name, fork->entered, "The Map Run could not be started");
    }
    cJSON *details = cJSON_CreateObject();
    free(step->map_run_arn);
    step->map_run_arn = strdup(arn);
    if (!details || !step->map_run_arn || !cJSON_AddStringToObject(details, "mapRunArn", arn)) {
        cJSON_Delete(details);
        return -ENOMEM;
    }
    return history_append(&step->history, "MapRunStarted", "mapRunStartedEventDetails", details) < 0 ? -ENOMEM : 0;
}

int interpreter_enter_fork(struct run *run, const struct state_definition *state, struct history_ref entered,
                           int64_t entered_ms, const char *input_text, const char *retry_counts, cJSON **output)
{
    struct fork fork = { .run = run,
                         .state = state,
                         .entered = entered,
                         .entered_ms = entered_ms,
                         .input_text = input_text,
                         .retry_counts = retry_counts,
                         .failed_index = -1,
                         .failed_last = default_ref,
                         .entering = true };
    struct interpreter_step *step = run->step;
    bool failed = false;
    cJSON *details = NULL;
    char type[64];

    int result = open_fork(&fork, &failed);
    if (result == 0 && !failed) {
        snprintf(type, sizeof(type), "%sStateStarted", state_machine_type_name(state->type));
        if (is_map(&fork) && !(details = cJSON_CreateObject())) {
            result = -ENOMEM;
        } else if (details && !cJSON_AddNumberToObject(details, "length", (double)fork.item_count)) {
            cJSON_Delete(details);
            result = -ENOMEM;
        } else if (history_append(&step->history, type, details ? "mapStateStartedEventDetails" : NULL, details) < 0) {
            result = -ENOMEM;
        } else if ((result = open_tolerance(&fork, &failed)) == 0 && !failed && is_distributed(&fork)) {
            result = start_map_run(&fork, &failed);
        }
        fork.cursor = history_last(&step->history);
        if (result == 0 && !failed)
            result = run_fork(&fork, output);
    }
    fork_release(&fork);
    return result;
}

/* A distributed Map's settings changed while it runs (UpdateMapRun) replace the definition's. */
static void apply_settings(struct fork *fork, const struct fork_settings *settings)
{
    if (settings->has_max_concurrency)
        fork->max_concurrency =
            settings->max_concurrency <= 0 || settings->max_concurrency > INTERPRETER_MAX_DISTRIBUTED_CONCURRENCY
                ? INTERPRETER_MAX_DISTRIBUTED_CONCURRENCY
                : settings->max_concurrency;
    if (settings->has_tolerated_count)
        fork->tolerated_count = settings->tolerated_count;
    if (settings->has_tolerated_percentage)
        fork->tolerated_percentage = settings->tolerated_percentage;
}

/* Takes what the engine knows of the children; -EINVAL when it does not fit the fork. */
static int take_progress(struct fork *fork, const struct fork_progress *progress)
{
    if (progress->length != fork->length || progress->started < 0 || progress->started > fork->length
        || (!is_map(fork) && progress->started != fork->length && progress->started != 0) || !progress->outputs
        || !progress->failed)
        return -EINVAL;
    if (progress->settings && is_distributed(fork))
        apply_settings(fork, progress->settings);
    fork->started = progress->started;
    fork->running = progress->running;
    for (long i = 0; i < fork->length; i++) {
        if (progress->failed[i]) {
            if (note_failure(fork, i, progress->errors ? progress->errors[i] : NULL,
                             progress->causes ? progress->causes[i] : NULL, false, default_ref)
                < 0)
                return -ENOMEM;
        } else if (progress->outputs[i]) {
            if (!(fork->outputs[i] = strdup(progress->outputs[i])))
                return -ENOMEM;
            fork->ended++;
        }
    }
    return 0;
}

int interpreter_fork_continue(const struct state_machine *machine, const struct execution_facts *facts,
                              const struct execution_position *position, const struct fork_progress *progress,
                              const struct step_environment *environment, struct interpreter_step *step)
{
    struct step_budget budget = { 0 };
    struct run run;
    int result;
    const struct state_definition *state =
        interpreter_begin_fork_step(machine, facts, position, environment, &budget, step, &run, &result);
    if (!state)
        return result;
    struct fork fork = { .run = &run,
                         .state = state,
                         .entered = position->state_entered,
                         .entered_ms = position->state_entered_ms,
                         .input_text = position->state_input,
                         .retry_counts = position->retry_counts,
                         .failed_index = -1,
                         .failed_last = default_ref,
                         .cursor = default_ref };
    bool failed = false;
    cJSON *output = NULL;

    result = open_fork(&fork, &failed);
    if (result == 0 && !failed)
        result = take_progress(&fork, progress);
    if (result == 0 && !failed)
        result = run_fork(&fork, &output);
    fork_release(&fork);
    if (result < 0 || !output) {
        cJSON_Delete(output);
        return result;
    }
    return interpreter_leave_state(&run, state, output, state->next);
}
