/*
 * execution_machine_api - see execution_machine_api.h.
 *
 * Three reads one after the other: the execution, its state machine, the
 * definition under the execution's hash.
 */
#include "execution_machine_api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "execution_store.h"
#include "json_util.h"
#include "state_machine_store.h"

struct machine_for_execution {
    struct http_request *request;
    struct sfn_api *api;
    char execution_arn[SFN_ARN_PART_SIZE];
    struct execution_record *execution;
    struct state_machine_record *machine; /* NULL when the state machine was deleted since */
};

static void operation_free(struct machine_for_execution *operation)
{
    execution_store_record_free(operation->execution);
    state_machine_store_record_free(operation->machine);
    free(operation);
}

static bool add_configuration(cJSON *response, const char *member, const char *text, const char *fallback)
{
    cJSON *value = NULL;
    if ((!text || json_parse(text, strlen(text), &value) < 0) && json_parse(fallback, strlen(fallback), &value) < 0)
        return false;
    return cJSON_AddItemToObject(response, member, value);
}

/* The label of a Map Run ARN (...:mapRun:<stateMachine>/<label>:<uuid>), into label; false when it has none. */
static bool map_run_label(const char *map_run_arn, char *label, size_t size)
{
    const char *slash = strrchr(map_run_arn, '/');
    const char *colon = slash ? strrchr(slash, ':') : NULL;
    if (!colon)
        return false;
    snprintf(label, size, "%.*s", (int)(colon - slash - 1), slash + 1);
    return true;
}

static cJSON *describe(const struct machine_for_execution *operation, const char *definition, const char *name)
{
    const struct execution_record *execution = operation->execution;
    const struct state_machine_record *machine = operation->machine;
    /* The revisionId names the machine's current revision: given only when the execution runs that definition. */
    bool current = machine && machine->definition_hash && execution->definition_hash
                   && strcmp(machine->definition_hash, execution->definition_hash) == 0;
    int64_t update_ms = !machine ? execution->start_ms : machine->update_ms ? machine->update_ms : machine->creation_ms;
    char label[SFN_ARN_PART_SIZE];
    cJSON *response = cJSON_CreateObject();
    bool ok =
        response && cJSON_AddStringToObject(response, "stateMachineArn", execution->state_machine_arn)
        && cJSON_AddStringToObject(response, "name", name)
        && cJSON_AddStringToObject(response, "definition", definition)
        && cJSON_AddStringToObject(response, "roleArn",
                                   execution->role_arn            ? execution->role_arn
                                   : machine && machine->role_arn ? machine->role_arn
                                                                  : "")
        && json_add_epoch_seconds(response, "updateDate", update_ms)
        && add_configuration(response, "loggingConfiguration", machine ? machine->logging : NULL,
                             ENGINE_DEFAULT_LOGGING)
        && add_configuration(response, "tracingConfiguration", machine ? machine->tracing : NULL,
                             ENGINE_DEFAULT_TRACING)
        && (!current || !machine->revision_id || cJSON_AddStringToObject(response, "revisionId", machine->revision_id));
    if (ok && execution->parent_execution && execution->map_run_arn) {
        ok = cJSON_AddStringToObject(response, "mapRunArn", execution->map_run_arn)
             && (!map_run_label(execution->map_run_arn, label, sizeof(label))
                 || cJSON_AddStringToObject(response, "label", label));
    }
    if (!ok) {
        cJSON_Delete(response);
        return NULL;
    }
    return response;
}

static void on_definition(int status, const char *definition, void *data)
{
    struct machine_for_execution *operation = data;
    struct sfn_arn parsed;
    char error[256];
    if (status < 0) {
        sfn_request_reply_unavailable(operation->request, operation->api, status);
    } else if (!definition) { /* definitions are never deleted: an execution without one is not one */
        sfn_request_reply_no_execution(operation->request, operation->execution_arn);
    } else {
        const char *name = operation->machine ? operation->machine->name : NULL;
        if (!name
            && sfn_arn_parse(operation->execution->state_machine_arn, SFN_ARN_STATE_MACHINE, &parsed, error,
                             sizeof(error))
                   == 0)
            name = parsed.state_machine;
        http_request_reply_json(operation->request, 200, describe(operation, definition, name ? name : ""));
    }
    operation_free(operation);
}

static void on_machine(int status, struct state_machine_record *machine, void *data)
{
    struct machine_for_execution *operation = data;
    operation->machine = machine;
    int result = status < 0 ? status
                            : state_machine_store_load_definition(
                                operation->api->redis, operation->execution->definition_hash, on_definition, operation);
    if (result < 0) {
        sfn_request_reply_unavailable(operation->request, operation->api, result);
        operation_free(operation);
    }
}

static void on_execution(int status, struct execution_record *record, void *data)
{
    struct machine_for_execution *operation = data;
    struct sfn_arn parsed;
    char error[256];
    int result = status;
    operation->execution = record;
    if (result == 0 && (!record || !record->definition_hash || !record->state_machine_arn)) {
        sfn_request_reply_no_execution(operation->request, operation->execution_arn);
        operation_free(operation);
        return;
    }
    if (result == 0) {
        /* A machine that cannot be named (not an ARN of ours any more) is read as a deleted one. */
        if (sfn_arn_parse(record->state_machine_arn, SFN_ARN_STATE_MACHINE, &parsed, error, sizeof(error)) < 0)
            snprintf(parsed.state_machine, sizeof(parsed.state_machine), "%s", "");
        /* Started by a version: that version is the machine described (its revisionId; deleted: as a deleted one). */
        const char *version = record->version_arn ? strrchr(record->version_arn, ':') : NULL;
        result = !parsed.state_machine[0] ? state_machine_store_load_definition(
                     operation->api->redis, record->definition_hash, on_definition, operation)
                 : version ? state_machine_store_load_qualified(operation->api->redis, parsed.state_machine,
                                                                version + 1, -1, on_machine, operation)
                           : state_machine_store_load(operation->api->redis, parsed.state_machine, false, on_machine,
                                                      operation);
    }
    if (result < 0) {
        sfn_request_reply_unavailable(operation->request, operation->api, result);
        operation_free(operation);
    }
}

void execution_machine_api_describe(struct http_request *request, struct sfn_api *api, const cJSON *body)
{
    struct sfn_arn parsed;
    const char *arn = sfn_request_arn(request, body, "executionArn", SFN_ARN_EXECUTION, &parsed);
    if (!arn)
        return;
    struct machine_for_execution *operation = calloc(1, sizeof(*operation));
    if (!operation) {
        sfn_request_reply_unavailable(request, api, -ENOMEM);
        return;
    }
    operation->request = request;
    operation->api = api;
    snprintf(operation->execution_arn, sizeof(operation->execution_arn), "%s", arn);
    int result = execution_store_load(api->redis, parsed.execution_id, on_execution, operation);
    if (result < 0) {
        operation_free(operation);
        sfn_request_reply_unavailable(request, api, result);
    }
}
