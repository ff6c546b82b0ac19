/* sync_execution_api - see sync_execution_api.h. */
#include "sync_execution_api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "execution_api.h"
#include "execution_waiters.h"
#include "json_util.h"

/* AWS bills an EXPRESS execution at least 64 MB, its duration rounded up to 100 ms. */
#define BILLED_MEMORY_MB 64
#define BILLED_DURATION_STEP_MS 100

/* A StartSyncExecution until its answer. */
struct sync_start {
    struct http_request *request;
    struct sfn_api *api;
    char state_machine_arn[SFN_ARN_PART_SIZE];
};

static bool add_details(cJSON *response, const char *name)
{
    cJSON *details = cJSON_AddObjectToObject(response, name);
    return details && cJSON_AddBoolToObject(details, "included", true);
}

static bool add_optional(cJSON *response, const char *name, const char *value)
{
    return !value || cJSON_AddStringToObject(response, name, value);
}

static bool add_billing(cJSON *response, const struct execution_record *record)
{
    int64_t duration = record->stop_ms > record->start_ms ? record->stop_ms - record->start_ms : 0;
    int64_t billed = (duration + BILLED_DURATION_STEP_MS - 1) / BILLED_DURATION_STEP_MS * BILLED_DURATION_STEP_MS;
    cJSON *billing = cJSON_AddObjectToObject(response, "billingDetails");
    return billing && cJSON_AddNumberToObject(billing, "billedMemoryUsedInMB", BILLED_MEMORY_MB)
           && cJSON_AddNumberToObject(billing, "billedDurationInMilliseconds",
                                      (double)(billed ? billed : BILLED_DURATION_STEP_MS));
}

/*
 * The answer for an ended execution. Its status is one of the
 * SyncExecutionStatus values; a TIMED_OUT one carries error States.Timeout
 * (the store records none for an execution's time limit).
 */
static cJSON *sync_response(const struct execution_record *record)
{
    bool succeeded = strcmp(record->status, "SUCCEEDED") == 0;
    bool timed_out = strcmp(record->status, "TIMED_OUT") == 0;
    const char *error = record->error ? record->error : timed_out ? "States.Timeout" : NULL;
    cJSON *response = cJSON_CreateObject();
    bool ok = response && cJSON_AddStringToObject(response, "executionArn", record->arn)
              && cJSON_AddStringToObject(response, "stateMachineArn", record->state_machine_arn)
              && cJSON_AddStringToObject(response, "name", record->name)
              && json_add_epoch_seconds(response, "startDate", record->start_ms)
              && json_add_epoch_seconds(response, "stopDate", record->stop_ms)
              && cJSON_AddStringToObject(response, "status", succeeded || timed_out ? record->status : "FAILED")
              && add_optional(response, "error", error) && add_optional(response, "cause", record->cause)
              && cJSON_AddStringToObject(response, "input", record->input ? record->input : "{}")
              && add_details(response, "inputDetails")
              && (!succeeded
                  || (cJSON_AddStringToObject(response, "output", record->output ? record->output : "null")
                      && add_details(response, "outputDetails")))
              && add_optional(response, "traceHeader", record->trace_header) && add_billing(response, record);
    if (!ok) {
        cJSON_Delete(response);
        return NULL; /* answered 500: out of memory */
    }
    return response;
}

static void on_ended(int status, const struct execution_record *record, void *data)
{
    struct sync_start *start = data;
    if (status == 0)
        http_request_reply_json(start->request, 200, sync_response(record));
    else if (status == -ETIMEDOUT)
        sfn_request_reply_error(start->request, 500, "InternalFailure",
                                "The execution did not end within the time limit of an EXPRESS execution");
    else
        sfn_request_reply_unavailable(start->request, start->api, status == -ECANCELED ? -EIO : status);
    free(start);
}

static void on_started(int status, const char *execution_arn, int64_t start_ms, void *data)
{
    struct sync_start *start = data;
    struct http_request *request = start->request;
    char execution_id[SFN_ARN_PART_SIZE];
    if (status == -EOPNOTSUPP) {
        sfn_request_reply_error(request, 400, "StateMachineTypeNotSupported",
                                "This operation is not supported by this type of state machine");
    } else if (status == -ENOENT) {
        sfn_request_reply_no_state_machine(request, start->state_machine_arn);
    } else if (status == -EPROTO) {
        sfn_request_reply_error(request, 400, "InvalidExecutionInput",
                                "Invalid State Machine Execution Input: 'The store refused the execution (see the "
                                "server's store-refused log); it cannot be started as it is'");
    } else if (status < 0 || engine_express_execution_id(execution_arn, execution_id, sizeof(execution_id)) < 0) {
        sfn_request_reply_unavailable(request, start->api, status < 0 ? status : -EIO);
    } else {
        double limit_ms = ENGINE_EXPRESS_MAX_SECONDS * 1000.0 * engine_time_scale(start->api->engine);
        int64_t deadline = start_ms + (int64_t)limit_ms + SYNC_EXECUTION_MARGIN_MS;
        int result = execution_waiters_wait(start->api->waiters, execution_id, execution_arn, deadline, request,
                                            on_ended, start);
        if (result == 0)
            return;
        sfn_request_reply_unavailable(request, start->api, result == -ENOMEM ? -ENOMEM : -EIO);
    }
    free(start);
}

void sync_execution_api_start(struct http_request *request, struct sfn_api *api, const cJSON *body)
{
    struct engine_start_request request_members;
    char machine_arn[SFN_ARN_PART_SIZE];
    if (!execution_api_read_start(request, api, body, &request_members, machine_arn, sizeof(machine_arn)))
        return;
    if (!api->waiters) { /* nothing would hear of its end */
        sfn_request_reply_unavailable(request, api, -EIO);
        return;
    }
    request_members.express_only = true;
    struct sync_start *start = calloc(1, sizeof(*start));
    if (!start) {
        sfn_request_reply_unavailable(request, api, -ENOMEM);
        return;
    }
    start->request = request;
    start->api = api;
    snprintf(start->state_machine_arn, sizeof(start->state_machine_arn), "%s", request_members.state_machine_arn);
    int result = engine_start(api->engine, &request_members, on_started, start);
    if (result == -ENOENT)
        sfn_request_reply_no_state_machine(request, start->state_machine_arn);
    else if (result < 0)
        sfn_request_reply_unavailable(request, api, result);
    if (result < 0)
        free(start);
}
