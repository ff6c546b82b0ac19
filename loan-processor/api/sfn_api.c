/*
 * sfn_api - see sfn_api.h.
 *
 * Each operation validates its request (shapes and limits of the service
 * model), then calls the engine or reads Redis, and answers from the
 * callback. The request pointer stays valid until answered (http_server's
 * contract), so it is the only context most operations need.
 *
 * This file has the dispatch and the execution and task operations; the
 * state machine operations are in state_machine_api.c.
 */
#include "sfn_api.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activity_api.h"
#include "execution_store.h"
#include "json_util.h"
#include "log.h"
#include "sfn_api_request.h"
#include "state_machine_api.h"
#include "state_machine_store.h"
#include "task_token.h"

#define TARGET_PREFIX "AWSStepFunctions."
#define SERVICE_NAMESPACE "com.amazonaws.swf.service.v2.model#"

static const char task_closed_message[] = "Task Timed Out: 'Provided task does not exist anymore'";

void sfn_api_reply_error(struct http_request *request, unsigned status, const char *code, const char *format, ...)
{
    char message[4096], type[160];
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(message, sizeof(message), format, arguments);
    va_end(arguments);
    if (strcmp(code, "ValidationException") == 0)
        snprintf(type, sizeof(type), "com.amazon.coral.validate#%s", code);
    else if (strcmp(code, "UnknownOperationException") == 0 || strcmp(code, "SerializationException") == 0)
        snprintf(type, sizeof(type), "com.amazon.coral.service#%s", code);
    else
        snprintf(type, sizeof(type), SERVICE_NAMESPACE "%s", code);
    http_request_reply_json(request, status, json_error("__type", type, message));
}

/* ---- StartExecution ---- */

/* A request and the state machine ARN it names, kept for an answer that comes later. */
struct start_context {
    struct http_request *request;
    char state_machine_arn[SFN_ARN_PART_SIZE];
};

static void on_started(int status, const char *execution_arn, int64_t start_ms, void *data)
{
    struct start_context *context = data;
    struct http_request *request = context->request;
    if (status == -EEXIST) {
        sfn_api_reply_error(request, 400, "ExecutionAlreadyExists", "Execution Already Exists: '%s'", execution_arn);
    } else if (status == -ENOENT) {
        sfn_request_reply_no_state_machine(request, context->state_machine_arn);
    } else if (status < 0) {
        sfn_request_reply_unavailable(request, status);
    } else {
        cJSON *response = cJSON_CreateObject();
        if (response && cJSON_AddStringToObject(response, "executionArn", execution_arn))
            json_add_epoch_seconds(response, "startDate", start_ms);
        http_request_reply_json(request, 200, response);
    }
    free(context);
}

/*
 * InvalidExecutionInput in the words of AWS's JSON parser: an unknown word
 * is quoted ("Unrecognized token 'not': was expecting ..."); an empty input
 * is "Invalid execution input."
 */
static void reply_invalid_input(struct http_request *request, const char *input)
{
    const char *start = input + strspn(input, " \t\r\n");
    size_t token = strcspn(start, " \t\r\n{}[],:\"");
    if (!*start) {
        sfn_api_reply_error(request, 400, "InvalidExecutionInput",
                            "Invalid State Machine Execution Input: 'Invalid execution input.'");
    } else if (token > 0 && !strchr("{[\"", *start)) {
        sfn_api_reply_error(request, 400, "InvalidExecutionInput",
                            "Invalid State Machine Execution Input: 'Unrecognized token '%.*s': was expecting (JSON "
                            "String, Number, Array, Object or token 'null', 'true' or 'false')'",
                            (int)(token < 256 ? token : 256), start);
    } else {
        sfn_api_reply_error(request, 400, "InvalidExecutionInput",
                            "Invalid State Machine Execution Input: 'Unexpected character or end of input: the input "
                            "is not one JSON value'");
    }
}

static void start_execution(struct http_request *request, struct sfn_api *api, const cJSON *body)
{
    const char *arn = sfn_request_required_string(request, body, "stateMachineArn");
    const char *name, *input;
    struct sfn_arn parsed;
    if (!arn || !sfn_request_check_length(request, "stateMachineArn", arn, 1, 256)
        || !sfn_request_optional_string(request, body, "name", &name)
        || !sfn_request_optional_string(request, body, "input", &input))
        return;
    if (!input)
        input = "{}";
    if (name && !sfn_request_valid_name(name)) {
        sfn_api_reply_error(request, 400, "InvalidName", "Invalid Name: '%s'", name);
        return;
    }
    if (!sfn_request_check_payload(request, "input", input))
        return;
    if (!sfn_request_valid_json(input)) {
        reply_invalid_input(request, input);
        return;
    }
    if (!sfn_request_arn(request, body, "stateMachineArn", SFN_ARN_STATE_MACHINE, &parsed))
        return;
    struct start_context *context = calloc(1, sizeof(*context));
    if (!context) {
        sfn_request_reply_unavailable(request, -ENOMEM);
        return;
    }
    context->request = request;
    snprintf(context->state_machine_arn, sizeof(context->state_machine_arn), "%s", arn);
    int result = engine_start_execution(api->engine, arn, name, input, on_started, context);
    if (result == -ENOENT)
        sfn_request_reply_no_state_machine(request, arn);
    else if (result < 0)
        sfn_request_reply_unavailable(request, result);
    if (result < 0)
        free(context);
}

/* ---- DescribeExecution ---- */

static bool add_optional_string(cJSON *object, const char *name, const char *value)
{
    return !value || cJSON_AddStringToObject(object, name, value);
}

static cJSON *describe_record(const struct execution_record *record)
{
    cJSON *response = cJSON_CreateObject();
    cJSON *input_details = cJSON_AddObjectToObject(response, "inputDetails");
    bool succeeded = record->status && strcmp(record->status, "SUCCEEDED") == 0;
    bool running = record->status && strcmp(record->status, "RUNNING") == 0;
    bool ok = input_details && cJSON_AddBoolToObject(input_details, "included", true)
              && cJSON_AddStringToObject(response, "executionArn", record->arn)
              && cJSON_AddStringToObject(response, "stateMachineArn", record->state_machine_arn)
              && cJSON_AddStringToObject(response, "name", record->name)
              && cJSON_AddStringToObject(response, "status", record->status)
              && json_add_epoch_seconds(response, "startDate", record->start_ms)
              && (record->stop_ms == 0 || json_add_epoch_seconds(response, "stopDate", record->stop_ms))
              && cJSON_AddStringToObject(response, "input", record->input ? record->input : "{}");
    if (ok && succeeded) {
        cJSON *output_details = cJSON_AddObjectToObject(response, "outputDetails");
        ok = add_optional_string(response, "output", record->output) && output_details
             && cJSON_AddBoolToObject(output_details, "included", true);
    }
    ok = ok && add_optional_string(response, "error", record->error) && add_optional_string(response, "cause", record->cause)
         && cJSON_AddNumberToObject(response, "redriveCount", 0)
         && cJSON_AddStringToObject(response, "redriveStatus",
                                    running || succeeded ? "NOT_REDRIVABLE" : "REDRIVABLE");
    if (ok && succeeded)
        ok = cJSON_AddStringToObject(response, "redriveStatusReason", "Execution is SUCCEEDED and cannot be redriven")
             != NULL;
    if (!ok) {
        cJSON_Delete(response);
        return NULL;
    }
    return response;
}

/* Request context of the reads that need the ARN and options after Redis answers. */
struct read_operation {
    struct http_request *request;
    struct sfn_api *api;
    char execution_arn[512];
    long max_results;
    long offset;
    bool reverse_order;
    bool include_data;
};

static void on_described(int status, struct execution_record *record, void *data)
{
    struct read_operation *operation = data;
    if (status < 0)
        sfn_request_reply_unavailable(operation->request, status);
    else if (!record)
        sfn_request_reply_no_execution(operation->request, operation->execution_arn);
    else
        http_request_reply_json(operation->request, 200, describe_record(record));
    execution_store_record_free(record);
    free(operation);
}

/*
 * Reads executionArn (its store id into parsed) into a new read operation;
 * answers and returns NULL on a bad request.
 */
static struct read_operation *begin_read(struct http_request *request, struct sfn_api *api, const cJSON *body,
                                         struct sfn_arn *parsed)
{
    const char *arn = sfn_request_arn(request, body, "executionArn", SFN_ARN_EXECUTION, parsed);
    if (!arn)
        return NULL;
    struct read_operation *operation = calloc(1, sizeof(*operation));
    if (!operation) {
        sfn_request_reply_unavailable(request, -ENOMEM);
        return NULL;
    }
    operation->request = request;
    operation->api = api;
    snprintf(operation->execution_arn, sizeof(operation->execution_arn), "%s", arn);
    return operation;
}

static void describe_execution(struct http_request *request, struct sfn_api *api, const cJSON *body)
{
    struct sfn_arn parsed;
    struct read_operation *operation = begin_read(request, api, body, &parsed);
    if (!operation)
        return;
    int result = execution_store_load(api->redis, parsed.execution_id, on_described, operation);
    if (result < 0) {
        free(operation);
        sfn_request_reply_unavailable(request, result);
    }
}

/* ---- GetExecutionHistory ---- */

static cJSON *history_page(struct read_operation *operation, const redisReply *reply)
{
    cJSON *response = cJSON_CreateObject();
    cJSON *events = cJSON_AddArrayToObject(response, "events");
    long total = (long)reply->elements;
    long end = operation->offset + operation->max_results;
    if (!events)
        goto failed;
    for (long i = operation->offset; i < total && i < end; i++) {
        long index = operation->reverse_order ? total - 1 - i : i;
        const redisReply *text = reply->element[index];
        cJSON *event = text->type == REDIS_REPLY_STRING ? cJSON_ParseWithLength(text->str, text->len) : NULL;
        if (!event)
            goto failed;
        if (!operation->include_data) {
            cJSON *details = event->child ? event->child->next : NULL;
            for (; details; details = details->next) {
                if (cJSON_IsObject(details)) {
                    cJSON_DeleteItemFromObjectCaseSensitive(details, "input");
                    cJSON_DeleteItemFromObjectCaseSensitive(details, "output");
                    cJSON_DeleteItemFromObjectCaseSensitive(details, "parameters");
                }
            }
        }
        cJSON_AddItemToArray(events, event);
    }
    if (end < total) {
        char next[32];
        snprintf(next, sizeof(next), "%ld", end);
        if (!cJSON_AddStringToObject(response, "nextToken", next))
            goto failed;
    }
    return response;
failed:
    cJSON_Delete(response);
    return NULL;
}

static void on_history(redisReply *reply, void *data)
{
    struct read_operation *operation = data;
    if (!reply || reply->type != REDIS_REPLY_ARRAY)
        sfn_request_reply_unavailable(operation->request, -EIO);
    else if (reply->elements == 0)
        sfn_request_reply_no_execution(operation->request, operation->execution_arn);
    else
        http_request_reply_json(operation->request, 200, history_page(operation, reply));
    free(operation);
}

static bool read_page_options(struct http_request *request, const cJSON *body, struct read_operation *operation)
{
    if (!sfn_request_page(request, body, &operation->max_results, &operation->offset))
        return false;
    operation->reverse_order = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(body, "reverseOrder"));
    operation->include_data = !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(body, "includeExecutionData"));
    return true;
}

static void get_execution_history(struct http_request *request, struct sfn_api *api, const cJSON *body)
{
    struct sfn_arn parsed;
    char key[320];
    struct read_operation *operation = begin_read(request, api, body, &parsed);
    if (!operation)
        return;
    if (!read_page_options(request, body, operation)) {
        free(operation);
        return;
    }
    if (execution_store_history_key(parsed.execution_id, key, sizeof(key)) < 0) {
        sfn_request_reply_no_execution(request, operation->execution_arn); /* no execution has a key that long */
        free(operation);
        return;
    }
    const char *argv[] = { "LRANGE", key, "0", "-1" };
    int result = redis_client_command_strings(api->redis, on_history, operation, 4, argv);
    if (result < 0) {
        free(operation);
        sfn_request_reply_unavailable(request, result);
    }
}

/* ---- SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat ---- */

static void on_task_answered(int status, const char *execution_arn, const char *execution_status, void *data)
{
    struct http_request *request = data;
    (void)execution_arn;
    (void)execution_status;
    if (status == -ETIMEDOUT)
        sfn_api_reply_error(request, 400, "TaskTimedOut", "%s", task_closed_message);
    else if (status < 0)
        sfn_request_reply_unavailable(request, status);
    else
        sfn_request_reply_empty(request);
}

/* Reads and checks taskToken; answers and returns NULL when it is missing or too long. */
static const char *read_task_token(struct http_request *request, const cJSON *body)
{
    const char *token = sfn_request_required_string(request, body, "taskToken");
    if (!token || !sfn_request_check_length(request, "taskToken", token, 1, TASK_TOKEN_MAX_LENGTH))
        return NULL;
    return token;
}

static void answer_engine_result(struct http_request *request, int result)
{
    if (result == -EINVAL)
        sfn_api_reply_error(request, 400, "InvalidToken", "Invalid Token: 'Invalid token'");
    else if (result < 0)
        sfn_request_reply_unavailable(request, result);
}

static void send_task_success(struct http_request *request, struct sfn_api *api, const cJSON *body)
{
    const char *token = read_task_token(request, body);
    if (!token)
        return;
    const char *output = sfn_request_required_string(request, body, "output");
    if (!output || !sfn_request_check_payload(request, "output", output))
        return;
    if (!sfn_request_valid_json(output)) {
        sfn_api_reply_error(request, 400, "InvalidOutput", "Invalid Output: 'The output is not valid JSON'");
        return;
    }
    answer_engine_result(request, engine_send_task_success(api->engine, token, output, on_task_answered, request));
}

/* The optional error (256 characters at most) and cause (32768); answers and returns false when one is too long. */
static bool read_error_and_cause(struct http_request *request, const cJSON *body, const char **error,
                                 const char **cause)
{
    return sfn_request_optional_string(request, body, "error", error)
           && sfn_request_optional_string(request, body, "cause", cause)
           && (!*error || sfn_request_check_length(request, "error", *error, 0, SFN_MAX_ERROR_LENGTH))
           && (!*cause || sfn_request_check_length(request, "cause", *cause, 0, SFN_MAX_CAUSE_LENGTH));
}

static void send_task_failure(struct http_request *request, struct sfn_api *api, const cJSON *body)
{
    const char *token = read_task_token(request, body);
    if (!token)
        return;
    const char *error, *cause;
    if (!read_error_and_cause(request, body, &error, &cause))
        return;
    answer_engine_result(request,
                         engine_send_task_failure(api->engine, token, error, cause, on_task_answered, request));
}

static void send_task_heartbeat(struct http_request *request, struct sfn_api *api, const cJSON *body)
{
    const char *token = read_task_token(request, body);
    if (token)
        answer_engine_result(request, engine_send_task_heartbeat(api->engine, token, on_task_answered, request));
}

/* ---- ListExecutions ---- */

static const char invalid_page_token[] = "Invalid Token: 'Invalid nextToken'";

/* A ListExecutions request, between the state machine's check and the listing. */
struct list_operation {
    struct http_request *request;
    struct sfn_api *api;
    char state_machine_arn[SFN_ARN_PART_SIZE];
    size_t max_results;
    const char *status;           /* one of the static enum names, or NULL */
    bool redriven_only;           /* redriveFilter REDRIVEN: none is */
    char *next_token;
};

static void list_operation_free(struct list_operation *operation)
{
    free(operation->next_token);
    free(operation);
}

static bool add_execution_item(cJSON *executions, const char *state_machine_arn,
                               const struct execution_summary *item)
{
    cJSON *entry = cJSON_CreateObject();
    bool ok = entry && cJSON_AddStringToObject(entry, "executionArn", item->arn)
              && cJSON_AddStringToObject(entry, "stateMachineArn", state_machine_arn)
              && cJSON_AddStringToObject(entry, "name", item->name)
              && cJSON_AddStringToObject(entry, "status", item->status)
              && json_add_epoch_seconds(entry, "startDate", item->start_ms)
              && (item->stop_ms == 0 || json_add_epoch_seconds(entry, "stopDate", item->stop_ms))
              && cJSON_AddNumberToObject(entry, "redriveCount", 0);
    if (!ok) {
        cJSON_Delete(entry);
        return false;
    }
    cJSON_AddItemToArray(executions, entry);
    return true;
}

static void on_executions_listed(int status, const struct execution_summary *items, size_t count,
                                 const char *next, void *data)
{
    struct list_operation *operation = data;
    if (status < 0) {
        sfn_request_reply_unavailable(operation->request, status);
        list_operation_free(operation);
        return;
    }
    cJSON *response = cJSON_CreateObject();
    cJSON *executions = cJSON_AddArrayToObject(response, "executions");
    bool ok = executions != NULL;
    for (size_t i = 0; ok && i < count; i++)
        ok = add_execution_item(executions, operation->state_machine_arn, &items[i]);
    if (ok && next)
        ok = cJSON_AddStringToObject(response, "nextToken", next) != NULL;
    if (!ok) {
        cJSON_Delete(response);
        response = NULL;
    }
    http_request_reply_json(operation->request, 200, response);
    list_operation_free(operation);
}

static void on_machine_for_listing(int status, struct state_machine_record *machine, void *data)
{
    struct list_operation *operation = data;
    struct http_request *request = operation->request;
    char prefix[SFN_ARN_PART_SIZE + 16];
    int result = 0;
    if (status < 0) {
        sfn_request_reply_unavailable(request, status);
    } else if (!machine || strcmp(machine->arn, operation->state_machine_arn) != 0) {
        sfn_request_reply_no_state_machine(request, operation->state_machine_arn);
    } else if (strcmp(machine->type, "EXPRESS") == 0) {
        sfn_api_reply_error(request, 400, "StateMachineTypeNotSupported",
                            "This operation is not supported by this type of state machine");
    } else if (operation->next_token && (engine_execution_arn(machine->arn, "", prefix, sizeof(prefix)) < 0
                                         || !execution_store_cursor_valid(operation->next_token, prefix))) {
        sfn_api_reply_error(request, 400, "InvalidToken", "%s", invalid_page_token);
    } else if (operation->redriven_only) {
        on_executions_listed(0, NULL, 0, NULL, operation);
        operation = NULL;
    } else {
        result = execution_store_list(operation->api->redis, machine->arn, operation->next_token,
                                      operation->max_results, operation->status, on_executions_listed, operation);
        if (result == 0)
            operation = NULL;
        else
            sfn_request_reply_unavailable(request, result);
    }
    state_machine_store_record_free(machine);
    if (operation)
        list_operation_free(operation);
}

static void list_executions(struct http_request *request, struct sfn_api *api, const cJSON *body)
{
    /* In the order AWS lists them in its message (recorded). */
    static const char *const statuses[] = { "SUCCEEDED", "TIMED_OUT", "PENDING_REDRIVE",
                                            "ABORTED",   "FAILED",    "RUNNING" };
    static const char *const redrive_filters[] = { "REDRIVEN", "NOT_REDRIVEN" };
    const char *status, *redrive_filter, *next_token;
    size_t max_results;
    struct sfn_arn parsed;
    const char *map_run_arn;
    if (!sfn_request_optional_string(request, body, "mapRunArn", &map_run_arn))
        return;
    bool has_machine = cJSON_GetObjectItemCaseSensitive(body, "stateMachineArn") != NULL;
    if (map_run_arn && has_machine) {
        sfn_api_reply_error(request, 400, "ValidationException",
                            "1 validation error detected: Provide either a StateMachine ARN or a MapRun ARN, not both");
        return;
    }
    if (map_run_arn) { /* no Map state runs here, so no Map Run exists */
        sfn_api_reply_error(request, 400, "ResourceNotFound", "Resource not found: '%s'", map_run_arn);
        return;
    }
    if (!has_machine) {
        sfn_api_reply_error(request, 400, "ValidationException",
                            "1 validation error detected: Must provide a StateMachine ARN or MapRun ARN");
        return;
    }
    const char *arn = sfn_request_arn(request, body, "stateMachineArn", SFN_ARN_STATE_MACHINE, &parsed);
    if (!arn || !sfn_request_enum(request, body, "statusFilter", statuses, 6, &status)
        || !sfn_request_enum(request, body, "redriveFilter", redrive_filters, 2, &redrive_filter)
        || !sfn_request_page_size(request, body, &max_results)
        || !sfn_request_page_token(request, body, SFN_MAX_LIST_EXECUTIONS_TOKEN_LENGTH, &next_token))
        return;
    struct list_operation *operation = calloc(1, sizeof(*operation));
    if (!operation || (next_token && !(operation->next_token = strdup(next_token)))) {
        free(operation);
        sfn_request_reply_unavailable(request, -ENOMEM);
        return;
    }
    operation->request = request;
    operation->api = api;
    snprintf(operation->state_machine_arn, sizeof(operation->state_machine_arn), "%s", arn);
    operation->max_results = max_results;
    operation->status = status;
    operation->redriven_only = redrive_filter && strcmp(redrive_filter, "REDRIVEN") == 0;
    int result = state_machine_store_load(api->redis, parsed.state_machine, false, on_machine_for_listing, operation);
    if (result < 0) {
        list_operation_free(operation);
        sfn_request_reply_unavailable(request, result);
    }
}

/* ---- StopExecution ---- */

struct stop_context {
    struct http_request *request;
    char execution_arn[SFN_ARN_PART_SIZE];
};

static void on_stopped(int status, int64_t stop_ms, void *data)
{
    struct stop_context *context = data;
    if (status == -ENOENT) {
        sfn_request_reply_no_execution(context->request, context->execution_arn);
    } else if (status < 0) {
        sfn_request_reply_unavailable(context->request, status);
    } else {
        cJSON *response = cJSON_CreateObject();
        if (response)
            json_add_epoch_seconds(response, "stopDate", stop_ms);
        http_request_reply_json(context->request, 200, response);
    }
    free(context);
}

static void stop_execution(struct http_request *request, struct sfn_api *api, const cJSON *body)
{
    struct sfn_arn parsed;
    const char *arn = sfn_request_arn(request, body, "executionArn", SFN_ARN_EXECUTION, &parsed);
    if (!arn)
        return;
    const char *error, *cause;
    if (!read_error_and_cause(request, body, &error, &cause))
        return;
    struct stop_context *context = calloc(1, sizeof(*context));
    if (!context) {
        sfn_request_reply_unavailable(request, -ENOMEM);
        return;
    }
    context->request = request;
    snprintf(context->execution_arn, sizeof(context->execution_arn), "%s", arn);
    int result = engine_stop_execution(api->engine, parsed.execution_id, error, cause, on_stopped, context);
    if (result < 0) {
        free(context);
        sfn_request_reply_unavailable(request, result);
    }
}

/* ---- dispatch ---- */

static const struct {
    const char *name;
    void (*handle)(struct http_request *request, struct sfn_api *api, const cJSON *body);
} operations[] = {
    { "StartExecution", start_execution },
    { "DescribeExecution", describe_execution },
    { "GetExecutionHistory", get_execution_history },
    { "SendTaskSuccess", send_task_success },
    { "SendTaskFailure", send_task_failure },
    { "SendTaskHeartbeat", send_task_heartbeat },
    { "ListExecutions", list_executions },
    { "StopExecution", stop_execution },
    { "CreateStateMachine", state_machine_api_create },
    { "DescribeStateMachine", state_machine_api_describe },
    { "UpdateStateMachine", state_machine_api_update },
    { "DeleteStateMachine", state_machine_api_delete },
    { "ListStateMachines", state_machine_api_list },
    { "CreateActivity", activity_api_create },
    { "DescribeActivity", activity_api_describe },
    { "ListActivities", activity_api_list },
    { "DeleteActivity", activity_api_delete },
    { "GetActivityTask", activity_api_get_task },
};

void sfn_api_handle(struct http_request *request, void *data)
{
    struct sfn_api *api = data;
    const char *target = http_request_header(request, "X-Amz-Target");
    size_t length;
    const char *text = http_request_body(request, &length);

    if (!target || strncmp(target, TARGET_PREFIX, strlen(TARGET_PREFIX)) != 0) {
        sfn_api_reply_error(request, 400, "UnknownOperationException",
                            "Missing or unknown X-Amz-Target header: expected AWSStepFunctions.<Operation>");
        return;
    }
    const char *operation = target + strlen(TARGET_PREFIX);
    for (size_t i = 0; i < sizeof(operations) / sizeof(operations[0]); i++) {
        if (strcmp(operations[i].name, operation) != 0)
            continue;
        cJSON *body = NULL;
        if (json_parse(length ? text : "{}", length ? length : 2, &body) < 0 || !cJSON_IsObject(body)) {
            cJSON_Delete(body);
            sfn_api_reply_error(request, 400, "SerializationException", "The request body is not a JSON object");
            return;
        }
        operations[i].handle(request, api, body);
        cJSON_Delete(body);
        return;
    }
    sfn_api_reply_error(request, 400, "UnknownOperationException", "Unknown operation %s", operation);
}
