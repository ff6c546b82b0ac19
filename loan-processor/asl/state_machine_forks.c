/*
 * state_machine_forks - the fields of Parallel and Map: a Parallel's
 * Branches, a Map's ItemProcessor (or legacy Iterator) with its
 * ProcessorConfig, and the Map's own fields and their limits. Each branch and
 * each processor is a scope of its own, parsed by state_machine_parse_scope().
 * See state_machine_internal.h.
 */
#include "state_machine_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asl_jsonata.h"
#include "json_util.h"

/* The fields of a fork's scopes' objects. */
static const char *const branch_fields[] = { "StartAt", "States", "Comment", NULL };
static const char *const processor_fields[] = { "ProcessorConfig", "StartAt", "States", "Comment", NULL };
static const char *const processor_config_fields[] = { "Mode", "ExecutionType", NULL };
static const char *const batcher_fields[] = {
    "MaxItemsPerBatch", "MaxItemsPerBatchPath", "MaxInputBytesPerBatch", "MaxInputBytesPerBatchPath", "BatchInput", NULL
};

/* Sets up a child scope of fork; takes where (NULL: out of memory). */
static int open_scope(struct state_scope *scope, const struct state_definition *fork, size_t index, char *where)
{
    if (!where)
        return -ENOMEM;
    scope->where = where;
    scope->fork = fork;
    scope->branch_index = index;
    scope->depth = fork->scope->depth + 1;
    return 0;
}

static int check_nesting(const struct state_definition *state, char *error, size_t error_size)
{
    if (state->scope->depth < STATE_MACHINE_MAX_NESTING)
        return 0;
    return state_machine_fail(
        error, error_size,
        "SCHEMA_VALIDATION_FAILED: Parallel and Map states can be nested at most %d deep in this engine at %s",
        STATE_MACHINE_MAX_NESTING, state->where);
}

/* ResultSelector, Retry and Catch: what Parallel and Map share with Task. */
static int parse_fork_common(const cJSON *state_json, struct state_definition *state, char *error, size_t error_size)
{
    int result = state_machine_parse_template(state_json, state->where, "ResultSelector", &state->result_selector,
                                              error, error_size);
    return result < 0 ? result : state_machine_parse_retry_and_catch(state_json, state, error, error_size);
}

int state_machine_parse_parallel_fields(struct parser *parser, const cJSON *state_json, struct state_definition *state)
{
    const cJSON *branches = cJSON_GetObjectItemCaseSensitive(state_json, "Branches"), *branch;
    size_t index = 0;
    int result = check_nesting(state, parser->error, parser->error_size);

    if (result < 0)
        return result;
    if (!branches)
        return state_machine_fail(parser->error, parser->error_size,
                                  "SCHEMA_VALIDATION_FAILED: These fields are required: [Branches] at %s",
                                  state->where);
    if (!cJSON_IsArray(branches) || cJSON_GetArraySize(branches) == 0)
        return state_machine_fail(
            parser->error, parser->error_size,
            "SCHEMA_VALIDATION_FAILED: The value for the field 'Branches' must be a non-empty array at "
            "%s/Branches",
            state->where);
    if (cJSON_GetArraySize(branches) > STATE_MACHINE_MAX_BRANCHES)
        return state_machine_fail(
            parser->error, parser->error_size,
            "SCHEMA_VALIDATION_FAILED: A Parallel state can have at most %d branches in this engine at "
            "%s/Branches",
            STATE_MACHINE_MAX_BRANCHES, state->where);
    if ((result = parse_fork_common(state_json, state, parser->error, parser->error_size)) < 0)
        return result;
    state->branches = calloc((size_t)cJSON_GetArraySize(branches), sizeof *state->branches);
    if (!state->branches)
        return -ENOMEM;
    state->branch_count = (size_t)cJSON_GetArraySize(branches);
    size_t before = parser->problems->count;
    cJSON_ArrayForEach(branch, branches)
    {
        struct state_scope *scope = &state->branches[index];
        if ((result = open_scope(scope, state, index, json_format_text("%s/Branches[%zu]", state->where, index))) < 0)
            return result;
        index++;
        size_t branch_before = parser->problems->count;
        result = cJSON_IsObject(branch) ? state_machine_parse_scope(parser, branch, scope, branch_fields)
                                        : state_machine_fail(parser->error, parser->error_size,
                                                             "SCHEMA_VALIDATION_FAILED: A branch must be a JSON object "
                                                             "at %s",
                                                             scope->where);
        if ((result = state_machine_go_on(parser, result, branch_before)) < 0)
            return result;
    }
    return parser->problems->count > before ? -EINVAL : 0;
}

/* One of the words allowed for field of object (absent: *chosen is left as is). */
static int parse_word(const cJSON *object, const char *where, const char *field, const char *first, const char *second,
                      bool *second_chosen, char *error, size_t error_size)
{
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(object, field);
    if (!value)
        return 0;
    if (!cJSON_IsString(value) || (strcmp(value->valuestring, first) != 0 && strcmp(value->valuestring, second) != 0))
        return state_machine_fail(error, error_size,
                                  "SCHEMA_VALIDATION_FAILED: The value for the field '%s' must be %s or %s at %s/%s",
                                  field, first, second, where, field);
    *second_chosen = strcmp(value->valuestring, second) == 0;
    return 0;
}

static int parse_processor_config(const cJSON *processor, const char *where, struct map_definition *map, char *error,
                                  size_t error_size)
{
    const cJSON *config = cJSON_GetObjectItemCaseSensitive(processor, "ProcessorConfig");
    char config_where[WHERE_SIZE];
    int result;

    if (!config)
        return 0;
    snprintf(config_where, sizeof(config_where), "%s/ProcessorConfig", where);
    if (!cJSON_IsObject(config))
        return state_machine_fail(
            error, error_size,
            "SCHEMA_VALIDATION_FAILED: The value for the field 'ProcessorConfig' must be a JSON object at %s",
            config_where);
    if ((result = state_machine_check_known_fields(config, processor_config_fields, config_where, error, error_size))
        < 0)
        return result;
    if ((result =
             parse_word(config, config_where, "Mode", "INLINE", "DISTRIBUTED", &map->distributed, error, error_size))
            < 0
        || (result = parse_word(config, config_where, "ExecutionType", "STANDARD", "EXPRESS", &map->express, error,
                                error_size))
               < 0)
        return result;
    if (map->distributed && !cJSON_GetObjectItemCaseSensitive(config, "ExecutionType"))
        return state_machine_fail(error, error_size,
                                  "SCHEMA_VALIDATION_FAILED: These fields are required: [ExecutionType] at %s",
                                  config_where);
    return 0;
}

/* The Map's ItemProcessor or legacy Iterator (AWS takes a ProcessorConfig in either): its config and its scope. */
static int parse_processor(struct parser *parser, const cJSON *state_json, struct state_definition *state)
{
    const cJSON *processor = cJSON_GetObjectItemCaseSensitive(state_json, "ItemProcessor");
    const cJSON *iterator = cJSON_GetObjectItemCaseSensitive(state_json, "Iterator");
    const char *field = processor ? "ItemProcessor" : "Iterator";
    int result;

    if (processor && iterator)
        return state_machine_fail_exclusive(parser->error, parser->error_size, "ItemProcessor", "Iterator",
                                            state->where);
    if (!processor && !iterator)
        return state_machine_fail(
            parser->error, parser->error_size,
            "SCHEMA_VALIDATION_FAILED: These fields are required: [ItemProcessor | Iterator] at %s", state->where);
    if (!processor)
        processor = iterator;
    state->processor = calloc(1, sizeof *state->processor);
    if (!state->processor)
        return -ENOMEM;
    if ((result = open_scope(state->processor, state, 0, json_format_text("%s/%s", state->where, field))) < 0)
        return result;
    if (!cJSON_IsObject(processor))
        return state_machine_fail(parser->error, parser->error_size,
                                  "SCHEMA_VALIDATION_FAILED: The value for the field '%s' must be a JSON object at %s",
                                  field, state->processor->where);
    if ((result = state_machine_parse_scope(parser, processor, state->processor, processor_fields)) < 0)
        return result;
    return parse_processor_config(processor, state->processor->where, &state->map, parser->error, parser->error_size);
}

/* ItemReader and ResultWriter read and write Amazon S3, which this engine does not have. */
static int refuse_s3_fields(const cJSON *state_json, const char *where, char *error, size_t error_size)
{
    static const char *const fields[] = { "ItemReader", "ResultWriter" };
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        if (cJSON_GetObjectItemCaseSensitive(state_json, fields[i]))
            return state_machine_fail(
                error, error_size,
                "SCHEMA_VALIDATION_FAILED: Field '%s' needs Amazon S3, which is not supported locally at %s/%s",
                fields[i], where, fields[i]);
    }
    return 0;
}

static int parse_tolerated_percentage(const cJSON *state_json, const struct state_definition *state,
                                      struct map_definition *map, char *error, size_t error_size)
{
    const char *where = state->where;
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(state_json, "ToleratedFailurePercentage");
    map->tolerated_failure_percentage = -1;
    if (!value || (state->jsonata && asl_jsonata_expression(value, NULL, NULL)))
        return 0;
    if (!cJSON_IsNumber(value) || !(value->valuedouble >= 0 && value->valuedouble <= 100))
        return state_machine_fail(
            error, error_size,
            "SCHEMA_VALIDATION_FAILED: The value for the field 'ToleratedFailurePercentage' must be a number "
            "between 0 and 100 at %s/ToleratedFailurePercentage",
            where);
    map->tolerated_failure_percentage = value->valuedouble;
    return 0;
}

/* The Map's numbers, each given as a value or as a path into the input. */
static int parse_map_limits(const cJSON *state_json, const struct state_definition *state, struct map_definition *map,
                            char *error, size_t error_size)
{
    const char *where = state->where;
    int result;
    map->tolerated_failure_count = -1;
    if ((result = state_machine_parse_count(state_json, state, "MaxConcurrency", 0, 99999999, &map->max_concurrency,
                                            error, error_size))
            < 0
        || (result = state_machine_parse_path(state_json, where, "MaxConcurrencyPath", false,
                                              &map->max_concurrency_path, error, error_size))
               < 0
        || (result = parse_tolerated_percentage(state_json, state, map, error, error_size)) < 0
        || (result = state_machine_parse_path(state_json, where, "ToleratedFailurePercentagePath", false,
                                              &map->tolerated_failure_percentage_path, error, error_size))
               < 0
        || (result = state_machine_parse_count(state_json, state, "ToleratedFailureCount", 0, 99999999,
                                               &map->tolerated_failure_count, error, error_size))
               < 0
        || (result = state_machine_parse_path(state_json, where, "ToleratedFailureCountPath", false,
                                              &map->tolerated_failure_count_path, error, error_size))
               < 0)
        return result;
    if (cJSON_GetObjectItemCaseSensitive(state_json, "MaxConcurrency") && map->max_concurrency_path)
        return state_machine_fail_both_forms(error, error_size, "MaxConcurrency", where);
    if (map->tolerated_failure_percentage >= 0 && map->tolerated_failure_percentage_path)
        return state_machine_fail_both_forms(error, error_size, "ToleratedFailurePercentage", where);
    if (map->tolerated_failure_count >= 0 && map->tolerated_failure_count_path)
        return state_machine_fail_both_forms(error, error_size, "ToleratedFailureCount", where);
    return 0;
}

/* ItemsPath may also read the context object ($$), unlike InputPath; absent means "$". */
static int parse_items_path(const cJSON *state_json, const char *where, struct map_definition *map, char *error,
                            size_t error_size)
{
    int result =
        state_machine_parse_query_path(state_json, where, "ItemsPath", true, &map->items_path, error, error_size);
    if (!map->items_path)
        map->items_path = "$";
    return result;
}

/* ItemBatcher: at most so many items, or bytes of input, per child execution, and the BatchInput each one gets. */
static int parse_item_batcher(const cJSON *batcher, const char *state_where, struct map_definition *map, char *error,
                              size_t error_size)
{
    char where[WHERE_SIZE];
    int result;
    snprintf(where, sizeof(where), "%s/ItemBatcher", state_where);
    map->batched = true;
    if ((result = state_machine_check_known_fields(batcher, batcher_fields, where, error, error_size)) < 0
        || (result = state_machine_parse_integer(batcher, where, "MaxItemsPerBatch", 1, 99999999,
                                                 &map->max_items_per_batch, error, error_size))
               < 0
        || (result = state_machine_parse_path(batcher, where, "MaxItemsPerBatchPath", false,
                                              &map->max_items_per_batch_path, error, error_size))
               < 0
        || (result =
                state_machine_parse_integer(batcher, where, "MaxInputBytesPerBatch", 1, STATE_MACHINE_MAX_BATCH_BYTES,
                                            &map->max_bytes_per_batch, error, error_size))
               < 0
        || (result = state_machine_parse_path(batcher, where, "MaxInputBytesPerBatchPath", false,
                                              &map->max_bytes_per_batch_path, error, error_size))
               < 0
        || (result = state_machine_parse_template(batcher, where, "BatchInput", &map->batch_input, error, error_size))
               < 0)
        return result;
    if (map->max_items_per_batch && map->max_items_per_batch_path)
        return state_machine_fail_both_forms(error, error_size, "MaxItemsPerBatch", where);
    if (map->max_bytes_per_batch && map->max_bytes_per_batch_path)
        return state_machine_fail_both_forms(error, error_size, "MaxInputBytesPerBatch", where);
    if (!map->max_items_per_batch && !map->max_items_per_batch_path && !map->max_bytes_per_batch
        && !map->max_bytes_per_batch_path)
        return state_machine_fail(error, error_size,
                                  "SCHEMA_VALIDATION_FAILED: At least one of the fields [MaxItemsPerBatch, "
                                  "MaxItemsPerBatchPath, MaxInputBytesPerBatch, MaxInputBytesPerBatchPath] is "
                                  "required at %s",
                                  where);
    return 0;
}

int state_machine_parse_map_fields(struct parser *parser, const cJSON *state_json, struct state_definition *state)
{
    struct map_definition *map = &state->map;
    char *error = parser->error;
    size_t error_size = parser->error_size;
    const cJSON *batcher = cJSON_GetObjectItemCaseSensitive(state_json, "ItemBatcher");
    int result;

    /* A Map's Parameters are the legacy name of its ItemSelector: they shape each item, not the state's input. */
    map->item_selector = state->parameters;
    state->parameters = NULL;
    if ((result = check_nesting(state, error, error_size)) < 0
        || (result = refuse_s3_fields(state_json, state->where, error, error_size)) < 0)
        return result;
    if (map->item_selector && cJSON_GetObjectItemCaseSensitive(state_json, "ItemSelector"))
        return state_machine_fail_exclusive(error, error_size, "ItemSelector", "Parameters", state->where);
    if (!map->item_selector
        && (result = state_machine_parse_template(state_json, state->where, "ItemSelector", &map->item_selector, error,
                                                  error_size))
               < 0)
        return result;
    if ((result = parse_items_path(state_json, state->where, map, error, error_size)) < 0
        || (result = parse_map_limits(state_json, state, map, error, error_size)) < 0
        || (result =
                state_machine_parse_optional_string(state_json, state->where, "Label", &map->label, error, error_size))
               < 0)
        return result;
    if (batcher && !cJSON_IsObject(batcher))
        return state_machine_fail(
            error, error_size,
            "SCHEMA_VALIDATION_FAILED: The value for the field 'ItemBatcher' must be a JSON object at "
            "%s/ItemBatcher",
            state->where);
    if ((batcher && (result = parse_item_batcher(batcher, state->where, map, error, error_size)) < 0)
        || (result = parse_fork_common(state_json, state, error, error_size)) < 0
        || (result = parse_processor(parser, state_json, state)) < 0)
        return result;
    if (map->batched && !map->distributed)
        return state_machine_fail(error, error_size,
                                  "SCHEMA_VALIDATION_FAILED: Field 'ItemBatcher' is only supported in DISTRIBUTED "
                                  "mode at %s/ItemBatcher",
                                  state->where);
    return 0;
}
