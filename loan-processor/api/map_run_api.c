/*
 * map_run_api - see map_run_api.h.
 *
 * Each operation validates its request (the service model's shapes and
 * limits), reads or updates the store, and answers from the callback. The
 * request pointer stays valid until answered (http_server's contract).
 */
#include "map_run_api.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "execution_store.h"
#include "json_util.h"
#include "map_run_store.h"

#define MAP_RUN_MARKER ":mapRun:"

void map_run_api_reply_not_found(struct http_request *request, const char *map_run_arn)
{
    sfn_request_reply_error(request, 400, "ResourceNotFound", "Resource not found: '%s'", map_run_arn);
}

const char *map_run_api_arn(struct http_request *request, const cJSON *body, const char *member, struct sfn_arn *arn)
{
    char detail[512];
    const char *text = sfn_request_required_string(request, body, member);
    if (!text || !sfn_request_check_length(request, member, text, 1, MAP_RUN_API_MAX_ARN_LENGTH))
        return NULL;
    int result = sfn_arn_parse(text, SFN_ARN_MAP_RUN, arn, detail, sizeof(detail));
    if (result == -ENAMETOOLONG)
        map_run_api_reply_not_found(request, text);
    else if (result < 0)
        sfn_request_reply_error(request, 400, "InvalidArn", "Invalid Arn: '%s'", detail);
    return result < 0 ? NULL : text;
}

int map_run_api_child_arns(const char *map_run_arn, char *state_machine_arn, size_t machine_size,
                           char *execution_prefix, size_t prefix_size)
{
    const char *marker = strstr(map_run_arn, MAP_RUN_MARKER);
    const char *id = marker ? marker + strlen(MAP_RUN_MARKER) : NULL;
    const char *uuid = id ? strrchr(id, ':') : NULL;
    if (!uuid)
        return -EINVAL;
    int head = (int)(marker - map_run_arn), label = (int)(uuid - id);
    int machine = snprintf(state_machine_arn, machine_size, "%.*s:stateMachine:%.*s", head, map_run_arn, label, id);
    int prefix = snprintf(execution_prefix, prefix_size, "%.*s:execution:%.*s:", head, map_run_arn, label, id);
    return machine < 0 || prefix < 0 || (size_t)machine >= machine_size || (size_t)prefix >= prefix_size ? -ENAMETOOLONG
                                                                                                         : 0;
}

/* A request kept for an answer that comes later, with the ARN it names. */
struct map_run_operation {
    struct http_request *request;
    struct sfn_api *api;
    char arn[MAP_RUN_API_MAX_ARN_LENGTH + 1];
    char execution_id[SFN_ARN_PART_SIZE]; /* ListMapRuns: the execution's store id */
    long offset;
    long max_results;
};

static struct map_run_operation *operation_new(struct http_request *request, struct sfn_api *api, const char *arn)
{
    struct map_run_operation *operation = calloc(1, sizeof(*operation));
    if (!operation) {
        sfn_request_reply_unavailable(request, api, -ENOMEM);
        return NULL;
    }
    operation->request = request;
    operation->api = api;
    snprintf(operation->arn, sizeof(operation->arn), "%s", arn);
    return operation;
}

/* Answers a store call that returned result < 0 (it never calls back) and frees operation. */
static void operation_failed(struct map_run_operation *operation, int result)
{
    if (result == -ENAMETOOLONG) /* no Map Run or execution has a key that long */
        map_run_api_reply_not_found(operation->request, operation->arn);
    else
        sfn_request_reply_unavailable(operation->request, operation->api, result);
    free(operation);
}

/* ---- DescribeMapRun ---- */

static long long non_negative(long long value)
{
    return value < 0 ? 0 : value;
}

/*
 * itemCounts or executionCounts: one child execution per item (no
 * ItemBatcher), so both are the record's counters. pending is what has not
 * started; resultsWritten counts what a ResultWriter wrote: none here.
 */
static cJSON *counts(const struct map_run_record *record)
{
    long long started = record->running + record->succeeded + record->failed + record->aborted;
    const struct {
        const char *name;
        long long value;
    } members[] = {
        { "pending", non_negative(record->item_count - started) },
        { "running", non_negative(record->running) },
        { "succeeded", non_negative(record->succeeded) },
        { "failed", non_negative(record->failed) },
        { "timedOut", 0 },
        { "aborted", non_negative(record->aborted) },
        { "total", non_negative(record->item_count) },
        { "resultsWritten", 0 },
        { "failuresNotRedrivable", 0 },
        { "pendingRedrive", 0 },
    };
    cJSON *object = cJSON_CreateObject();
    for (size_t i = 0; object && i < sizeof(members) / sizeof(members[0]); i++) {
        if (!cJSON_AddNumberToObject(object, members[i].name, (double)members[i].value)) {
            cJSON_Delete(object);
            return NULL;
        }
    }
    return object;
}

static bool add_counts(cJSON *response, const char *name, const struct map_run_record *record)
{
    cJSON *object = counts(record);
    if (!object)
        return false;
    cJSON_AddItemToObject(response, name, object);
    return true;
}

static cJSON *describe_record(const struct map_run_record *record, const char *arn)
{
    cJSON *response = cJSON_CreateObject();
    bool ok = response
              && cJSON_AddStringToObject(response, "mapRunArn", record->map_run_arn ? record->map_run_arn : arn)
              && cJSON_AddStringToObject(response, "executionArn", record->execution_arn ? record->execution_arn : "")
              && cJSON_AddStringToObject(response, "status", record->status ? record->status : "RUNNING")
              && json_add_epoch_seconds(response, "startDate", record->start_ms)
              && (record->stop_ms == 0 || json_add_epoch_seconds(response, "stopDate", record->stop_ms))
              && cJSON_AddNumberToObject(response, "maxConcurrency", (double)record->max_concurrency)
              && cJSON_AddNumberToObject(response, "toleratedFailurePercentage", record->tolerated_failure_percentage)
              && cJSON_AddNumberToObject(response, "toleratedFailureCount", (double)record->tolerated_failure_count)
              && add_counts(response, "itemCounts", record) && add_counts(response, "executionCounts", record)
              && cJSON_AddNumberToObject(response, "redriveCount", (double)record->redrive_count)
              && (record->redrive_ms == 0 || json_add_epoch_seconds(response, "redriveDate", record->redrive_ms));
    if (!ok) {
        cJSON_Delete(response);
        return NULL; /* answered 500: out of memory */
    }
    return response;
}

static void on_described(int status, struct map_run_record *record, void *data)
{
    struct map_run_operation *operation = data;
    if (status < 0)
        sfn_request_reply_unavailable(operation->request, operation->api, status);
    else if (!record)
        map_run_api_reply_not_found(operation->request, operation->arn);
    else
        http_request_reply_json(operation->request, 200, describe_record(record, operation->arn));
    map_run_store_record_free(record);
    free(operation);
}

void map_run_api_describe(struct http_request *request, struct sfn_api *api, const cJSON *body)
{
    struct sfn_arn parsed;
    const char *arn = map_run_api_arn(request, body, "mapRunArn", &parsed);
    struct map_run_operation *operation = arn ? operation_new(request, api, arn) : NULL;
    if (!operation)
        return;
    int result = map_run_store_load(api->redis, parsed.map_run_id, on_described, operation);
    if (result < 0)
        operation_failed(operation, result);
}

/* ---- ListMapRuns ---- */

static bool add_map_run_item(cJSON *list, const struct map_run_summary *item)
{
    cJSON *entry = cJSON_CreateObject();
    bool ok = entry && cJSON_AddStringToObject(entry, "executionArn", item->execution_arn)
              && cJSON_AddStringToObject(entry, "mapRunArn", item->map_run_arn)
              && cJSON_AddStringToObject(entry, "stateMachineArn", item->state_machine_arn)
              && json_add_epoch_seconds(entry, "startDate", item->start_ms)
              && (item->stop_ms == 0 || json_add_epoch_seconds(entry, "stopDate", item->stop_ms));
    if (!ok) {
        cJSON_Delete(entry);
        return false;
    }
    cJSON_AddItemToArray(list, entry);
    return true;
}

static void on_map_runs_listed(int status, const struct map_run_summary *items, size_t count, bool more, void *data)
{
    struct map_run_operation *operation = data;
    if (status < 0) {
        sfn_request_reply_unavailable(operation->request, operation->api, status);
        free(operation);
        return;
    }
    cJSON *response = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(response, "mapRuns");
    bool ok = list != NULL;
    for (size_t i = 0; ok && i < count; i++)
        ok = add_map_run_item(list, &items[i]);
    if (ok && more) {
        char next[32];
        snprintf(next, sizeof(next), "%ld", operation->offset + operation->max_results);
        ok = cJSON_AddStringToObject(response, "nextToken", next) != NULL;
    }
    if (!ok) {
        cJSON_Delete(response);
        response = NULL; /* answered 500: out of memory */
    }
    http_request_reply_json(operation->request, 200, response);
    free(operation);
}

/* The execution's record was read: ExecutionDoesNotExist, or its Map Runs. */
static void on_execution_for_listing(int status, struct execution_record *record, void *data)
{
    struct map_run_operation *operation = data;
    if (status < 0 || !record) {
        if (status < 0)
            sfn_request_reply_unavailable(operation->request, operation->api, status);
        else
            sfn_request_reply_no_execution(operation->request, operation->arn);
        free(operation);
        return;
    }
    execution_store_record_free(record);
    int result = map_run_store_list(operation->api->redis, operation->execution_id, (size_t)operation->offset,
                                    (size_t)operation->max_results, on_map_runs_listed, operation);
    if (result < 0) {
        sfn_request_reply_unavailable(operation->request, operation->api, result);
        free(operation);
    }
}

void map_run_api_list(struct http_request *request, struct sfn_api *api, const cJSON *body)
{
    struct sfn_arn parsed;
    long max_results, offset;
    const char *arn = sfn_request_arn(request, body, "executionArn", SFN_ARN_EXECUTION, &parsed);
    if (!arn || !sfn_request_page(request, body, &max_results, &offset))
        return;
    struct map_run_operation *operation = operation_new(request, api, arn);
    if (!operation)
        return;
    operation->offset = offset;
    operation->max_results = max_results;
    snprintf(operation->execution_id, sizeof(operation->execution_id), "%s", parsed.execution_id);
    int result = execution_store_load(api->redis, parsed.execution_id, on_execution_for_listing, operation);
    if (result == -ENAMETOOLONG) {
        sfn_request_reply_no_execution(request, arn);
        free(operation);
    } else if (result < 0) {
        operation_failed(operation, result);
    }
}

/* ---- UpdateMapRun ---- */

/* A number member's limits in the model, and whether it must be whole. */
struct number_shape {
    const char *member;
    double minimum;
    double maximum; /* the model's, or the largest its type holds */
    bool model_maximum;
    bool whole;
};

/*
 * Reads an optional number member into *value (*present false when absent
 * or null); answers SerializationException (not a number of its type) or
 * ValidationException (out of the model's range) and returns false.
 */
static bool read_number(struct http_request *request, const cJSON *body, const struct number_shape *shape,
                        bool *present, double *value)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(body, shape->member);
    char text[64];
    *present = item && !cJSON_IsNull(item);
    if (!*present)
        return true;
    *value = item->valuedouble;
    if (!cJSON_IsNumber(item) || (shape->whole && *value != floor(*value))
        || (!shape->model_maximum && *value > shape->maximum)) {
        sfn_request_reply_error(request, 400, "SerializationException", "The value of '%s' must be %s", shape->member,
                                shape->whole ? "an integer" : "a number");
        return false;
    }
    snprintf(text, sizeof(text), "%.15g", *value);
    if (*value < shape->minimum) {
        sfn_request_reply_invalid_value(request, shape->member, text,
                                        "Member must have value greater than or equal to 0");
        return false;
    }
    if (shape->model_maximum && *value > shape->maximum) {
        sfn_request_reply_invalid_value(request, shape->member, text,
                                        "Member must have value less than or equal to 100");
        return false;
    }
    return true;
}

/* Reads UpdateMapRun's three optional settings into update; answers and returns false when one is wrong. */
static bool read_update(struct http_request *request, const cJSON *body, struct map_run_update *update)
{
    static const struct number_shape concurrency = { "maxConcurrency", 0, INT_MAX, false, true };
    static const struct number_shape percentage = { "toleratedFailurePercentage", 0, 100, true, false };
    static const struct number_shape count = { "toleratedFailureCount", 0, 9.2e18, false, true };
    double values[3] = { 0 };
    if (!read_number(request, body, &concurrency, &update->has_max_concurrency, &values[0])
        || !read_number(request, body, &percentage, &update->has_tolerated_failure_percentage, &values[1])
        || !read_number(request, body, &count, &update->has_tolerated_failure_count, &values[2]))
        return false;
    update->max_concurrency = (long long)values[0];
    update->tolerated_failure_percentage = values[1];
    update->tolerated_failure_count = (long long)values[2];
    return true;
}

static void on_updated(int status, bool found, void *data)
{
    struct map_run_operation *operation = data;
    if (status < 0)
        sfn_request_reply_unavailable(operation->request, operation->api, status);
    else if (!found)
        map_run_api_reply_not_found(operation->request, operation->arn);
    else
        sfn_request_reply_empty(operation->request);
    free(operation);
}

void map_run_api_update(struct http_request *request, struct sfn_api *api, const cJSON *body)
{
    struct sfn_arn parsed;
    struct map_run_update update = { 0 };
    const char *arn = map_run_api_arn(request, body, "mapRunArn", &parsed);
    if (!arn || !read_update(request, body, &update))
        return;
    struct map_run_operation *operation = operation_new(request, api, arn);
    if (!operation)
        return;
    int result = map_run_store_update(api->redis, parsed.map_run_id, &update, on_updated, operation);
    if (result < 0)
        operation_failed(operation, result);
}
