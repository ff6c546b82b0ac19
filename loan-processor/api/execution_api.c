/*
 * execution_api - see execution_api.h.
 *
 * Each operation validates its request (shapes and limits of the service
 * model), then calls the engine or reads the store, and answers from the
 * callback. The request pointer stays valid until answered (http_server's
 * contract).
 */
#include "execution_api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "execution_store.h"
#include "json_util.h"
#include "map_run_api.h"
#include "map_run_store.h"
#include "mock_config.h"
#include "state_machine_store.h"
#include "wall_clock.h"

/* ---- StartExecution ---- */

/* A request and the state machine ARN it names, kept for an answer that comes later. */
struct start_context {
    struct http_request *request;
    struct sfn_api *api;
    char state_machine_arn[SFN_ARN_PART_SIZE];
};

static void on_started(int status, const char *execution_arn, int64_t start_ms, void *data)
{
    struct start_context *context = data;
    struct http_request *request = context->request;
    if (status == -EEXIST) {
        sfn_request_reply_error(request, 400, "ExecutionAlreadyExists", "Execution Already Exists: '%s'",
                                execution_arn);
    } else if (status == -ENOENT) {
        sfn_request_reply_no_state_machine(request, context->state_machine_arn);
    } else if (status == -EPROTO) {
        sfn_request_reply_error(request, 400, "InvalidExecutionInput",
                                "Invalid State Machine Execution Input: 'The store refused the execution (see the "
                                "server's store-refused log); it cannot be started as it is'");
    } else if (status < 0) {
        sfn_request_reply_unavailable(request, context->api, status);
    } else {
        cJSON *response = cJSON_CreateObject();
        if (!response || !cJSON_AddStringToObject(response, "executionArn", execution_arn)
            || !json_add_epoch_seconds(response, "startDate", start_ms)) {
            cJSON_Delete(response);
            response = NULL; /* answered 500: out of memory */
        }
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
        sfn_request_reply_error(request, 400, "InvalidExecutionInput",
                                "Invalid State Machine Execution Input: 'Invalid execution input.'");
    } else if (token > 0 && !strchr("{[\"", *start)) {
        sfn_request_reply_error(
            request, 400, "InvalidExecutionInput",
            "Invalid State Machine Execution Input: 'Unrecognized token '%.*s': was expecting (JSON "
            "String, Number, Array, Object or token 'null', 'true' or 'false')'",
            (int)(token < 256 ? token : 256), start);
    } else {
        sfn_request_reply_error(
            request, 400, "InvalidExecutionInput",
            "Invalid State Machine Execution Input: 'Unexpected character or end of input: the input "
            "is not one JSON value'");
    }
}

/*
 * <stateMachineArn>#<case> (Step Functions Local's mocked test cases): the
 * machine's ARN into machine_arn and the case into *test_case (NULL without
 * '#'). Returns false, having answered StateMachineDoesNotExist, when
 * SFN_MOCK_CONFIG has no such test case for the machine.
 */
static bool split_test_case(struct http_request *request, const struct sfn_api *api, const char *arn, char *machine_arn,
                            size_t size, const char **test_case)
{
    const char *hash = strchr(arn, '#');
    snprintf(machine_arn, size, "%.*s", hash ? (int)(hash - arn) : (int)strlen(arn), arn);
    *test_case = hash ? hash + 1 : NULL;
    if (!hash)
        return true;
    const char *colon = strrchr(machine_arn, ':');
    const char *machine = colon ? colon + 1 : machine_arn;
    if (mock_config_has_test_case(api->mocks, machine, *test_case))
        return true;
    if (!api->mocks)
        sfn_request_reply_error(request, 400, "StateMachineDoesNotExist",
                                "State Machine Does Not Exist: '%s' (no mock configuration: test cases need "
                                "SFN_MOCK_CONFIG)",
                                arn);
    else
        sfn_request_reply_error(request, 400, "StateMachineDoesNotExist",
                                "State Machine Does Not Exist: '%s' (SFN_MOCK_CONFIG has no test case '%s' for the "
                                "state machine '%s')",
                                arn, *test_case, machine);
    return false;
}
/* The optional traceHeader (TraceHeader: 0-256 ASCII); X-Amzn-Trace-Id wins over it, as on AWS. */
static bool read_trace_header(struct http_request *request, const cJSON *body, const char **trace_header)
{
    const char *header = http_request_header(request, "X-Amzn-Trace-Id");
    if (!sfn_request_optional_string(request, body, "traceHeader", trace_header))
        return false;
    if (header && header[0])
        *trace_header = header;
    if (!*trace_header)
        return true;
    if (!sfn_request_check_length(request, "traceHeader", *trace_header, 0, 256))
        return false;
    for (const unsigned char *c = (const unsigned char *)*trace_header; *c; c++) {
        if (*c > 0x7f) {
            sfn_request_reply_validation(request, "traceHeader",
                                         "Member must satisfy regular expression pattern: \\p{ASCII}*");
            return false;
        }
    }
    return true;
}

bool execution_api_read_start(struct http_request *request, const struct sfn_api *api, const cJSON *body,
                              struct engine_start_request *start, char *machine_arn, size_t size)
{
    const char *arn = sfn_request_required_string(request, body, "stateMachineArn");
    const char *name, *input, *trace_header;
    struct sfn_arn parsed;
    if (!arn || !sfn_request_check_length(request, "stateMachineArn", arn, 1, 256)
        || !sfn_request_optional_string(request, body, "name", &name)
        || !sfn_request_optional_string(request, body, "input", &input)
        || !read_trace_header(request, body, &trace_header))
        return false;
    if (!input)
        input = "{}";
    if (name && !sfn_request_valid_name(name)) {
        sfn_request_reply_error(request, 400, "InvalidName", "Invalid Name: '%s'", name);
        return false;
    }
    if (!sfn_request_check_document(request, "input", input, "InvalidExecutionInput",
                                    "Invalid State Machine Execution Input"))
        return false;
    if (!sfn_request_valid_json(input)) {
        reply_invalid_input(request, input);
        return false;
    }
    const char *test_case;
    if (!sfn_request_arn(request, body, "stateMachineArn", SFN_ARN_STATE_MACHINE, &parsed)
        || !split_test_case(request, api, arn, machine_arn, size, &test_case))
        return false;
    *start = (struct engine_start_request){ machine_arn, name, input, trace_header, false, test_case };
    return true;
}

void execution_api_start(struct http_request *request, struct sfn_api *api, const cJSON *body)
{
    struct engine_start_request start;
    char machine_arn[SFN_ARN_PART_SIZE];
    if (!execution_api_read_start(request, api, body, &start, machine_arn, sizeof(machine_arn)))
        return;
    const char *arn = start.state_machine_arn;
    struct start_context *context = calloc(1, sizeof(*context));
    if (!context) {
        sfn_request_reply_unavailable(request, api, -ENOMEM);
        return;
    }
    context->request = request;
    context->api = api;
    snprintf(context->state_machine_arn, sizeof(context->state_machine_arn), "%s", arn);
    int result = engine_start(api->engine, &start, on_started, context);
    if (result == -ENOENT)
        sfn_request_reply_no_state_machine(request, arn);
    else if (result < 0)
        sfn_request_reply_unavailable(request, api, result);
    if (result < 0)
        free(context);
}

/* ---- DescribeExecution ---- */

static bool add_optional_string(cJSON *object, const char *name, const char *value)
{
    return !value || cJSON_AddStringToObject(object, name, value);
}

static const char *const redrive_status_names[] = {
    [ENGINE_REDRIVABLE] = "REDRIVABLE",
    [ENGINE_NOT_REDRIVABLE] = "NOT_REDRIVABLE",
    [ENGINE_REDRIVABLE_BY_MAP_RUN] = "REDRIVABLE_BY_MAP_RUN",
};

/* redriveCount, redriveDate (once redriven), redriveStatus and redriveStatusReason (when not redrivable). */
static bool add_redrive_fields(cJSON *response, const struct execution_record *record)
{
    const char *reason;
    enum engine_redrive_status status = engine_redrive_status(record, wall_clock_now_ms(), &reason);
    return cJSON_AddNumberToObject(response, "redriveCount", (double)record->redrive_count)
           && (record->redrive_ms == 0 || json_add_epoch_seconds(response, "redriveDate", record->redrive_ms))
           && cJSON_AddStringToObject(response, "redriveStatus", redrive_status_names[status])
           && add_optional_string(response, "redriveStatusReason", reason);
}

static cJSON *describe_record(const struct execution_record *record)
{
    cJSON *response = cJSON_CreateObject();
    cJSON *input_details = cJSON_AddObjectToObject(response, "inputDetails");
    bool succeeded = record->status && strcmp(record->status, "SUCCEEDED") == 0;
    bool ok = input_details && cJSON_AddBoolToObject(input_details, "included", true)
              && cJSON_AddStringToObject(response, "executionArn", record->arn)
              && cJSON_AddStringToObject(response, "stateMachineArn", record->state_machine_arn)
              && cJSON_AddStringToObject(response, "name", record->name)
              && cJSON_AddStringToObject(response, "status", record->status)
              && json_add_epoch_seconds(response, "startDate", record->start_ms)
              && (record->stop_ms == 0 || json_add_epoch_seconds(response, "stopDate", record->stop_ms))
              && cJSON_AddStringToObject(response, "input", record->input ? record->input : "{}")
              && add_optional_string(response, "traceHeader", record->trace_header);
    if (ok && succeeded) {
        cJSON *output_details = cJSON_AddObjectToObject(response, "outputDetails");
        ok = add_optional_string(response, "output", record->output) && output_details
             && cJSON_AddBoolToObject(output_details, "included", true);
    }
    if (ok && record->parent_execution) /* a child execution (a parent resting at its Map has one too: not shown) */
        ok = add_optional_string(response, "mapRunArn", record->map_run_arn);
    ok = ok && add_optional_string(response, "error", record->error)
         && add_optional_string(response, "cause", record->cause)
         && add_optional_string(response, "stateMachineVersionArn", record->version_arn)
         && add_optional_string(response, "stateMachineAliasArn", record->alias_arn)
         && add_redrive_fields(response, record);
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
        sfn_request_reply_unavailable(operation->request, operation->api, status);
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
        sfn_request_reply_unavailable(request, api, -ENOMEM);
        return NULL;
    }
    operation->request = request;
    operation->api = api;
    snprintf(operation->execution_arn, sizeof(operation->execution_arn), "%s", arn);
    return operation;
}

void execution_api_describe(struct http_request *request, struct sfn_api *api, const cJSON *body)
{
    struct sfn_arn parsed;
    struct read_operation *operation = begin_read(request, api, body, &parsed);
    if (!operation)
        return;
    int result = execution_store_load(api->redis, parsed.execution_id, on_described, operation);
    if (result < 0) {
        free(operation);
        sfn_request_reply_unavailable(request, api, result);
    }
}

/* ---- GetExecutionHistory ---- */

static cJSON *history_page(struct read_operation *operation, const char *const *texts, size_t count)
{
    cJSON *response = cJSON_CreateObject();
    cJSON *events = cJSON_AddArrayToObject(response, "events");
    long total = (long)count;
    long end = operation->offset + operation->max_results;
    if (!events)
        goto failed;
    for (long i = operation->offset; i < total && i < end; i++) {
        long index = operation->reverse_order ? total - 1 - i : i;
        cJSON *event = cJSON_Parse(texts[index]);
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

static void on_history(int status, const char *const *events, size_t count, void *data)
{
    struct read_operation *operation = data;
    if (status < 0)
        sfn_request_reply_unavailable(operation->request, operation->api, status);
    else if (count == 0)
        sfn_request_reply_no_execution(operation->request, operation->execution_arn);
    else
        http_request_reply_json(operation->request, 200, history_page(operation, events, count));
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

void execution_api_get_history(struct http_request *request, struct sfn_api *api, const cJSON *body)
{
    struct sfn_arn parsed;
    struct read_operation *operation = begin_read(request, api, body, &parsed);
    if (!operation)
        return;
    if (!read_page_options(request, body, operation)) {
        free(operation);
        return;
    }
    int result = execution_store_read_history(api->redis, parsed.execution_id, on_history, operation);
    if (result == -ENAMETOOLONG) /* no execution has a key that long */
        sfn_request_reply_no_execution(request, operation->execution_arn);
    else if (result < 0)
        sfn_request_reply_unavailable(request, api, result);
    if (result < 0)
        free(operation);
}

/* ---- ListExecutions ---- */

static const char invalid_page_token[] = "Invalid Token: 'Invalid nextToken'";

/* A ListExecutions request, between the state machine's check and the listing. */
struct list_operation {
    struct http_request *request;
    struct sfn_api *api;
    char state_machine_arn[SFN_ARN_PART_SIZE]; /* listed by mapRunArn: the child executions' */
    char map_run_arn[SFN_ARN_PART_SIZE];       /* "" unless listed by mapRunArn */
    char map_run_id[SFN_ARN_PART_SIZE];
    size_t max_results;
    const char *status;                    /* one of the static enum names, or NULL */
    enum execution_redrive_filter redrive; /* redriveFilter */
    char *next_token;
};

static void list_operation_free(struct list_operation *operation)
{
    free(operation->next_token);
    free(operation);
}

/* stateMachineArn: the machine's ARN without a version's or alias's qualifier (listed by one, AWS gives the machine's). */
static bool add_unqualified_arn(cJSON *entry, const char *arn)
{
    const char *name = strstr(arn, ":stateMachine:");
    const char *qualifier = name ? strchr(name + strlen(":stateMachine:"), ':') : NULL;
    int length = qualifier ? (int)(qualifier - arn) : (int)strlen(arn);
    char unqualified[SFN_ARN_PART_SIZE];
    snprintf(unqualified, sizeof(unqualified), "%.*s", length, arn);
    return cJSON_AddStringToObject(entry, "stateMachineArn", unqualified) != NULL;
}

static bool add_execution_item(cJSON *executions, const struct list_operation *operation,
                               const struct execution_summary *item)
{
    cJSON *entry = cJSON_CreateObject();
    bool ok = entry && cJSON_AddStringToObject(entry, "executionArn", item->arn)
              && add_unqualified_arn(entry, operation->state_machine_arn)
              && (!operation->map_run_arn[0] || cJSON_AddStringToObject(entry, "mapRunArn", operation->map_run_arn))
              && cJSON_AddStringToObject(entry, "name", item->name)
              && cJSON_AddStringToObject(entry, "status", item->status)
              && json_add_epoch_seconds(entry, "startDate", item->start_ms)
              && (item->stop_ms == 0 || json_add_epoch_seconds(entry, "stopDate", item->stop_ms))
              && cJSON_AddNumberToObject(entry, "redriveCount", (double)item->redrive_count)
              && (item->redrive_ms == 0 || json_add_epoch_seconds(entry, "redriveDate", item->redrive_ms))
              && add_optional_string(entry, "stateMachineVersionArn", item->version_arn)
              && add_optional_string(entry, "stateMachineAliasArn", item->alias_arn);
    if (!ok) {
        cJSON_Delete(entry);
        return false;
    }
    cJSON_AddItemToArray(executions, entry);
    return true;
}

static void on_executions_listed(int status, const struct execution_summary *items, size_t count, const char *next,
                                 void *data)
{
    struct list_operation *operation = data;
    if (status < 0) {
        sfn_request_reply_unavailable(operation->request, operation->api, status);
        list_operation_free(operation);
        return;
    }
    cJSON *response = cJSON_CreateObject();
    cJSON *executions = cJSON_AddArrayToObject(response, "executions");
    bool ok = executions != NULL;
    for (size_t i = 0; ok && i < count; i++)
        ok = add_execution_item(executions, operation, &items[i]);
    if (ok && next)
        ok = cJSON_AddStringToObject(response, "nextToken", next) != NULL;
    if (!ok) {
        cJSON_Delete(response);
        response = NULL;
    }
    http_request_reply_json(operation->request, 200, response);
    list_operation_free(operation);
}

/* The executions of the state machine the operation names (its ARN was checked to be the record's). */
static int list_by_machine(struct list_operation *operation)
{
    char index_key[EXECUTION_STORE_INDEX_KEY_SIZE];
    int result = execution_store_index_key(operation->state_machine_arn, index_key, sizeof(index_key));
    if (result < 0)
        return result;
    return execution_store_list_filtered(operation->api->redis, index_key, operation->next_token,
                                         operation->max_results, operation->status, operation->redrive,
                                         on_executions_listed, operation);
}

/* The child executions of the Map Run the operation names. */
static int list_by_map_run(struct list_operation *operation)
{
    return map_run_store_list_executions(operation->api->redis, operation->map_run_id, operation->next_token,
                                         operation->max_results, operation->status, on_executions_listed, operation);
}

/*
 * Starts the listing with list (none when a Map Run's redriven child
 * executions are asked for: none is). True when the operation now belongs to the listing;
 * false when it was answered here (503) and is still the caller's.
 */
static bool start_listing(struct list_operation *operation, int (*list)(struct list_operation *))
{
    if (operation->map_run_arn[0] && operation->redrive == EXECUTION_REDRIVEN) {
        on_executions_listed(0, NULL, 0, NULL, operation);
        return true;
    }
    int result = list(operation);
    if (result == 0)
        return true;
    sfn_request_reply_unavailable(operation->request, operation->api, result);
    return false;
}

/* The ARN a listing names: the machine's, its version's or its alias's (state_machine_store_load_qualified()). */
static const char *listed_arn(const struct state_machine_record *machine)
{
    return machine->alias_arn ? machine->alias_arn : machine->version_arn ? machine->version_arn : machine->arn;
}

static void on_machine_for_listing(int status, struct state_machine_record *machine, void *data)
{
    struct list_operation *operation = data;
    struct http_request *request = operation->request;
    char prefix[SFN_ARN_PART_SIZE + 16];
    if (status < 0) {
        sfn_request_reply_unavailable(request, operation->api, status);
    } else if (!machine || strcmp(listed_arn(machine), operation->state_machine_arn) != 0) {
        sfn_request_reply_no_state_machine(request, operation->state_machine_arn);
    } else if (strcmp(machine->type, "EXPRESS") == 0) {
        sfn_request_reply_error(request, 400, "StateMachineTypeNotSupported",
                                "This operation is not supported by this type of state machine");
    } else if (operation->next_token
               && (engine_execution_arn(machine->arn, "", prefix, sizeof(prefix)) < 0
                   || !execution_store_cursor_valid(operation->next_token, prefix))) {
        sfn_request_reply_error(request, 400, "InvalidToken", "%s", invalid_page_token);
    } else if (start_listing(operation, list_by_machine)) {
        operation = NULL;
    }
    state_machine_store_record_free(machine);
    if (operation)
        list_operation_free(operation);
}

/* The Map Run was read: ResourceNotFound, or its child executions. */
static void on_map_run_for_listing(int status, struct map_run_record *record, void *data)
{
    struct list_operation *operation = data;
    struct http_request *request = operation->request;
    char prefix[SFN_ARN_PART_SIZE + 16];
    if (status < 0) {
        sfn_request_reply_unavailable(request, operation->api, status);
    } else if (!record) {
        map_run_api_reply_not_found(request, operation->map_run_arn);
    } else if (map_run_api_child_arns(operation->map_run_arn, operation->state_machine_arn,
                                      sizeof(operation->state_machine_arn), prefix, sizeof(prefix))
                   < 0
               || (operation->next_token && !execution_store_cursor_valid(operation->next_token, prefix))) {
        sfn_request_reply_error(request, 400, "InvalidToken", "%s", invalid_page_token);
    } else if (start_listing(operation, list_by_map_run)) {
        operation = NULL;
    }
    map_run_store_record_free(record);
    if (operation)
        list_operation_free(operation);
}

/*
 * Reads ListExecutions' filters and paging into a new operation; answers
 * and returns NULL on a bad request.
 */
static struct list_operation *begin_list(struct http_request *request, struct sfn_api *api, const cJSON *body)
{
    /* In the order AWS lists them in its message (recorded). */
    static const char *const statuses[] = {
        "SUCCEEDED", "TIMED_OUT", "PENDING_REDRIVE", "ABORTED", "FAILED", "RUNNING"
    };
    static const char *const redrive_filters[] = { "REDRIVEN", "NOT_REDRIVEN" };
    const char *status, *redrive_filter, *next_token;
    size_t max_results;
    if (!sfn_request_enum(request, body, "statusFilter", statuses, 6, &status)
        || !sfn_request_enum(request, body, "redriveFilter", redrive_filters, 2, &redrive_filter)
        || !sfn_request_page_size(request, body, &max_results)
        || !sfn_request_page_token(request, body, SFN_MAX_LIST_EXECUTIONS_TOKEN_LENGTH, &next_token))
        return NULL;
    struct list_operation *operation = calloc(1, sizeof(*operation));
    if (!operation || (next_token && !(operation->next_token = strdup(next_token)))) {
        free(operation);
        sfn_request_reply_unavailable(request, api, -ENOMEM);
        return NULL;
    }
    operation->request = request;
    operation->api = api;
    operation->max_results = max_results;
    operation->status = status;
    operation->redrive = !redrive_filter                           ? EXECUTION_REDRIVE_ANY
                         : strcmp(redrive_filter, "REDRIVEN") == 0 ? EXECUTION_REDRIVEN
                                                                   : EXECUTION_NOT_REDRIVEN;
    return operation;
}

/* ListExecutions {mapRunArn}: the Map Run's child executions, each with its mapRunArn. */
static void list_map_run_executions(struct http_request *request, struct sfn_api *api, const cJSON *body)
{
    struct sfn_arn parsed;
    const char *arn = map_run_api_arn(request, body, "mapRunArn", &parsed);
    struct list_operation *operation = arn ? begin_list(request, api, body) : NULL;
    if (!operation)
        return;
    snprintf(operation->map_run_arn, sizeof(operation->map_run_arn), "%s", arn);
    snprintf(operation->map_run_id, sizeof(operation->map_run_id), "%s", parsed.map_run_id);
    int result = map_run_store_load(api->redis, parsed.map_run_id, on_map_run_for_listing, operation);
    if (result == -ENAMETOOLONG)
        map_run_api_reply_not_found(request, arn);
    else if (result < 0)
        sfn_request_reply_unavailable(request, api, result);
    if (result < 0)
        list_operation_free(operation);
}

void execution_api_list(struct http_request *request, struct sfn_api *api, const cJSON *body)
{
    struct sfn_arn parsed;
    const char *map_run_arn;
    if (!sfn_request_optional_string(request, body, "mapRunArn", &map_run_arn))
        return;
    bool has_machine = cJSON_GetObjectItemCaseSensitive(body, "stateMachineArn") != NULL;
    if (map_run_arn && has_machine) {
        sfn_request_reply_error(
            request, 400, "ValidationException",
            "1 validation error detected: Provide either a StateMachine ARN or a MapRun ARN, not both");
        return;
    }
    if (map_run_arn) {
        list_map_run_executions(request, api, body);
        return;
    }
    if (!has_machine) {
        sfn_request_reply_error(request, 400, "ValidationException",
                                "1 validation error detected: Must provide a StateMachine ARN or MapRun ARN");
        return;
    }
    const char *arn = sfn_request_arn(request, body, "stateMachineArn", SFN_ARN_STATE_MACHINE, &parsed);
    struct list_operation *operation = arn ? begin_list(request, api, body) : NULL;
    if (!operation)
        return;
    snprintf(operation->state_machine_arn, sizeof(operation->state_machine_arn), "%s", arn);
    char *qualifier = strchr(parsed.state_machine, ':'); /* a version's or an alias's ARN */
    if (qualifier)
        *qualifier++ = '\0';
    int result = qualifier ? state_machine_store_load_qualified(api->redis, parsed.state_machine, qualifier, 0,
                                                                on_machine_for_listing, operation)
                           : state_machine_store_load(api->redis, parsed.state_machine, false, on_machine_for_listing,
                                                      operation);
    if (result < 0) {
        list_operation_free(operation);
        sfn_request_reply_unavailable(request, api, result);
    }
}

/* ---- StopExecution ---- */

/* Answers 200 {name: date} (500 when out of memory). */
static void reply_date(struct http_request *request, const char *name, int64_t date_ms)
{
    cJSON *response = cJSON_CreateObject();
    if (response && !json_add_epoch_seconds(response, name, date_ms)) {
        cJSON_Delete(response);
        response = NULL; /* answered 500: out of memory */
    }
    http_request_reply_json(request, 200, response);
}

struct stop_context {
    struct http_request *request;
    struct sfn_api *api;
    char execution_arn[SFN_ARN_PART_SIZE];
};

/* The context of a StopExecution or RedriveExecution of arn; NULL (answered 503) when out of memory. */
static struct stop_context *new_stop_context(struct http_request *request, struct sfn_api *api, const char *arn)
{
    struct stop_context *context = calloc(1, sizeof(*context));
    if (!context) {
        sfn_request_reply_unavailable(request, api, -ENOMEM);
        return NULL;
    }
    context->request = request;
    context->api = api;
    snprintf(context->execution_arn, sizeof(context->execution_arn), "%s", arn);
    return context;
}

static void on_stopped(int status, int64_t stop_ms, void *data)
{
    struct stop_context *context = data;
    if (status == -ENOENT) {
        sfn_request_reply_no_execution(context->request, context->execution_arn);
    } else if (status < 0) {
        sfn_request_reply_unavailable(context->request, context->api, status);
    } else {
        reply_date(context->request, "stopDate", stop_ms);
    }
    free(context);
}

void execution_api_stop(struct http_request *request, struct sfn_api *api, const cJSON *body)
{
    struct sfn_arn parsed;
    const char *arn = sfn_request_arn(request, body, "executionArn", SFN_ARN_EXECUTION, &parsed);
    if (!arn)
        return;
    if (strchr(parsed.state_machine, '/')) { /* "<stateMachine>/<label>": only a Map Run's child has one */
        sfn_request_reply_error(request, 400, "ValidationException",
                                "Execution '%s' is a child execution of a Map Run: it cannot be stopped by itself; "
                                "it stops with its Map Run (stop the execution that started the Map Run)",
                                arn);
        return;
    }
    const char *error, *cause;
    if (!sfn_request_error_and_cause(request, body, &error, &cause))
        return;
    struct stop_context *context = new_stop_context(request, api, arn);
    if (!context)
        return;
    int result = engine_stop_execution(api->engine, parsed.execution_id, error, cause, on_stopped, context);
    if (result < 0) {
        free(context);
        sfn_request_reply_unavailable(request, api, result);
    }
}

/* ---- RedriveExecution ---- */

static void on_redriven(int status, int64_t redrive_ms, const char *reason, void *data)
{
    struct stop_context *context = data;
    if (status == -ENOENT) {
        sfn_request_reply_no_execution(context->request, context->execution_arn);
    } else if (status == -EPERM) {
        sfn_request_reply_error(context->request, 400, "ExecutionNotRedrivable", "%s", reason);
    } else if (status < 0) {
        sfn_request_reply_unavailable(context->request, context->api, status);
    } else {
        reply_date(context->request, "redriveDate", redrive_ms);
    }
    free(context);
}

void execution_api_redrive(struct http_request *request, struct sfn_api *api, const cJSON *body)
{
    struct sfn_arn parsed;
    const char *client_token;
    const char *arn = sfn_request_arn(request, body, "executionArn", SFN_ARN_EXECUTION, &parsed);
    if (!arn || !sfn_request_optional_string(request, body, "clientToken", &client_token)
        || (client_token && !sfn_request_check_length(request, "clientToken", client_token, 1, 64)))
        return;
    struct stop_context *context = new_stop_context(request, api, arn);
    if (!context)
        return;
    int result = engine_redrive_execution(api->engine, parsed.execution_id, client_token, on_redriven, context);
    if (result == -EINVAL)
        sfn_request_reply_no_execution(request, arn);
    else if (result < 0)
        sfn_request_reply_unavailable(request, api, result);
    if (result < 0)
        free(context);
}
