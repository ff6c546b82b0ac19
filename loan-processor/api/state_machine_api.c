/*
 * state_machine_api - see state_machine_api.h.
 *
 * Each operation checks its request (the model's shapes and limits), then
 * reads Redis or asks the engine, and answers from the callback. What an
 * answer needs after the request body is gone is copied into a context.
 */
#include "state_machine_api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "definition.h"
#include "engine.h"
#include "json_util.h"
#include "sfn_api_request.h"
#include "state_machine_store.h"
#include "tag_api.h"

static const char missing_parameter_message[] =
    "Either the definition, the role ARN, the LoggingConfiguration, or the TracingConfiguration must be specified";

/* A request and what its later answer names. */
struct machine_context {
    struct http_request *request;
    struct sfn_api *api;
    char arn[SFN_ARN_PART_SIZE];
    bool metadata_only;                  /* DescribeStateMachine: includedData METADATA_ONLY */
    struct engine_machine_change change; /* UpdateStateMachine: owned copies */
};

static struct machine_context *new_context(struct http_request *request, struct sfn_api *api, const char *arn)
{
    struct machine_context *context = calloc(1, sizeof(*context));
    if (!context) {
        sfn_request_reply_unavailable(request, api, -ENOMEM);
        return NULL;
    }
    context->request = request;
    context->api = api;
    snprintf(context->arn, sizeof(context->arn), "%s", arn ? arn : "");
    return context;
}

static void context_free(struct machine_context *context)
{
    free((char *)context->change.definition);
    free((char *)context->change.role_arn);
    free((char *)context->change.logging);
    free((char *)context->change.tracing);
    free((char *)context->change.version_description);
    free(context);
}

static void reply_invalid_definition(struct http_request *request, const char *detail)
{
    sfn_request_reply_error(request, 400, "InvalidDefinition", "Invalid State Machine Definition: '%s'", detail);
}

/*
 * Reads the state machine ARN member. Returns its text and the machine's
 * name in parsed; NULL (answered) when it is missing or not valid. *ours
 * tells whether it is an ARN of this region and account (else it names
 * nothing that exists here).
 */
static const char *read_machine_arn(struct http_request *request, struct sfn_api *api, const cJSON *body,
                                    struct sfn_arn *parsed, bool *ours)
{
    char expected[SFN_ARN_PART_SIZE];
    const char *arn = sfn_request_arn(request, body, "stateMachineArn", SFN_ARN_STATE_MACHINE, parsed);
    if (arn) {
        engine_state_machine_arn(api->engine, parsed->state_machine, expected, sizeof(expected));
        *ours = strcmp(expected, arn) == 0;
    }
    return arn;
}

/* Reads roleArn (1-256 characters; required or optional); answers and returns false when it is missing or too long. */
static bool read_role_arn(struct http_request *request, const cJSON *body, bool required, const char **role_arn)
{
    if (required)
        *role_arn = sfn_request_required_string(request, body, "roleArn");
    else if (!sfn_request_optional_string(request, body, "roleArn", role_arn))
        return false;
    if (!*role_arn)
        return !required;
    return sfn_request_check_length(request, "roleArn", *role_arn, 1, 256);
}

/* Checks that role_arn (when given) is an ARN; answers InvalidArn and returns false when it is not. */
static bool check_role_arn(struct http_request *request, const char *role_arn)
{
    char detail[512];
    if (role_arn && sfn_arn_check(role_arn, detail, sizeof(detail)) < 0) {
        sfn_request_reply_error(request, 400, "InvalidArn", "Invalid Arn: '%s'", detail);
        return false;
    }
    return true;
}

/* Reads an optional definition (1 to 1048576 characters); answers and returns false when it is too long or empty. */
static bool read_definition(struct http_request *request, const cJSON *body, bool required, const char **definition)
{
    if (required)
        *definition = sfn_request_required_string(request, body, "definition");
    else if (!sfn_request_optional_string(request, body, "definition", definition))
        return false;
    if (!*definition)
        return !required;
    return sfn_request_check_length(request, "definition", *definition, 1, DEFINITION_MAX_LENGTH);
}

/*
 * Reads publish and versionDescription (at most 256 characters, and only
 * with publish); answers and returns false when they are wrong.
 */
static bool read_publish(struct http_request *request, const cJSON *body, bool *publish, const char **description)
{
    *publish = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(body, "publish"));
    if (!sfn_request_optional_string(request, body, "versionDescription", description)
        || (*description && !sfn_request_check_length(request, "versionDescription", *description, 0, 256)))
        return false;
    if (*description && !*publish) {
        sfn_request_reply_error(request, 400, "ValidationException",
                                "Version description can only be set when publish is true");
        return false;
    }
    return true;
}

/*
 * The loggingConfiguration member as normalised JSON text (level, default
 * OFF; includeExecutionData, default false; destinations when given), so
 * that the same configuration always compares equal; NULL when absent.
 * Answers and sets *failed on an invalid one.
 */
static char *read_logging(struct http_request *request, const cJSON *body, bool *failed)
{
    static const char *const levels[] = { "ALL", "ERROR", "FATAL", "OFF" };
    const cJSON *logging = cJSON_GetObjectItemCaseSensitive(body, "loggingConfiguration");
    const char *level = "OFF";
    *failed = false;
    if (!logging || cJSON_IsNull(logging))
        return NULL;
    if (cJSON_IsObject(logging) && !sfn_request_enum(request, logging, "level", levels, 4, &level)) {
        *failed = true;
        return NULL;
    }
    level = level ? level : "OFF";
    const cJSON *destinations = cJSON_GetObjectItemCaseSensitive(logging, "destinations");
    int destination_count = cJSON_IsArray(destinations) ? cJSON_GetArraySize(destinations) : 0;
    if (!cJSON_IsObject(logging) || destination_count > 1 || (strcmp(level, "OFF") != 0 && destination_count == 0)) {
        sfn_request_reply_error(request, 400, "InvalidLoggingConfiguration",
                                "Invalid Logging Configuration: Must specify exactly one Log Destination.");
        *failed = true;
        return NULL;
    }
    cJSON *normal = cJSON_CreateObject();
    char *text = NULL;
    if (normal && cJSON_AddStringToObject(normal, "level", level)
        && cJSON_AddBoolToObject(normal, "includeExecutionData",
                                 cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(logging, "includeExecutionData")))
        && (!destination_count || cJSON_AddItemToObject(normal, "destinations", cJSON_Duplicate(destinations, 1))))
        text = json_print(normal);
    cJSON_Delete(normal);
    if (!text) {
        sfn_request_reply_unavailable(request, NULL, -ENOMEM);
        *failed = true;
    }
    return text;
}

/* The tracingConfiguration member as normalised JSON text ({"enabled": bool}); NULL when absent. */
static char *read_tracing(struct http_request *request, const cJSON *body, bool *failed)
{
    const cJSON *tracing = cJSON_GetObjectItemCaseSensitive(body, "tracingConfiguration");
    *failed = false;
    if (!tracing || cJSON_IsNull(tracing))
        return NULL;
    const cJSON *enabled = cJSON_GetObjectItemCaseSensitive(tracing, "enabled");
    if (!cJSON_IsObject(tracing) || (enabled && !cJSON_IsBool(enabled))) {
        sfn_request_reply_error(request, 400, "InvalidTracingConfiguration",
                                "Invalid Tracing Configuration: enabled must be true or false");
        *failed = true;
        return NULL;
    }
    char *text = strdup(cJSON_IsTrue(enabled) ? "{\"enabled\":true}" : ENGINE_DEFAULT_TRACING);
    if (!text) {
        sfn_request_reply_unavailable(request, NULL, -ENOMEM);
        *failed = true;
    }
    return text;
}

/* ---- CreateStateMachine ---- */

/* Answers ServiceQuotaExceededException for a publish past 1000 versions. */
static void reply_versions_full(struct http_request *request, const char *arn)
{
    sfn_request_reply_error(request, 400, "ServiceQuotaExceededException",
                            "Maximum number of versions (1000) reached for state machine: '%s'", arn);
}

static void on_created(int status, const struct engine_machine_result *result, void *data)
{
    struct machine_context *context = data;
    const char *arn = result->arn;
    int64_t creation_ms = result->date_ms;
    if (status == -EEXIST) {
        sfn_request_reply_error(context->request, 400, "StateMachineAlreadyExists",
                                "State Machine Already Exists: '%s'", arn);
    } else if (status == -EDQUOT) {
        reply_versions_full(context->request, arn);
    } else if (status < 0) {
        sfn_request_reply_unavailable(context->request, context->api, status);
    } else {
        cJSON *response = cJSON_CreateObject();
        if (!response || !cJSON_AddStringToObject(response, "stateMachineArn", arn)
            || !json_add_epoch_seconds(response, "creationDate", creation_ms)
            || (result->version_arn
                && !cJSON_AddStringToObject(response, "stateMachineVersionArn", result->version_arn))) {
            cJSON_Delete(response);
            response = NULL; /* answered 500: out of memory */
        }
        http_request_reply_json(context->request, 200, response);
    }
    context_free(context);
}

void state_machine_api_create(struct http_request *request, struct sfn_api *api, const cJSON *body)
{
    static const char *const types[] = { "STANDARD", "EXPRESS" };
    const char *name = sfn_request_required_string(request, body, "name");
    const char *definition, *role_arn, *type_name, *version_description;
    char error[1024];
    bool failed, publish;
    /* The model's constraints first (ValidationException), as AWS checks them, then the names and ARNs. */
    if (!name || !read_definition(request, body, true, &definition) || !read_role_arn(request, body, true, &role_arn)
        || !sfn_request_check_length(request, "name", name, 1, 80)
        || !sfn_request_enum(request, body, "type", types, 2, &type_name)
        || !read_publish(request, body, &publish, &version_description))
        return;
    if (!sfn_request_valid_name(name)) {
        sfn_request_reply_error(request, 400, "InvalidName", "Invalid Name: '%s'", name);
        return;
    }
    if (!check_role_arn(request, role_arn))
        return;
    char arn[SFN_ARN_PART_SIZE];
    const char **tags;
    size_t tag_count;
    engine_state_machine_arn(api->engine, name, arn, sizeof(arn));
    if (!tag_api_read_create_tags(request, body, arn, &tags, &tag_count))
        return;
    char *logging = read_logging(request, body, &failed);
    char *tracing = failed ? NULL : read_tracing(request, body, &failed);
    struct machine_context *context = failed ? NULL : new_context(request, api, NULL);
    if (context) {
        struct engine_machine_spec spec = {
            .name = name,
            .definition = definition,
            .role_arn = role_arn,
            .type = type_name && strcmp(type_name, "EXPRESS") == 0 ? MACHINE_EXPRESS : MACHINE_STANDARD,
            .logging = logging,
            .tracing = tracing,
            .publish = publish,
            .version_description = version_description,
            .tags = tags,
            .tag_count = tag_count,
        };
        int result = engine_create_state_machine(api->engine, &spec, error, sizeof(error), on_created, context);
        if (result == -EINVAL)
            reply_invalid_definition(request, error);
        else if (result < 0)
            sfn_request_reply_unavailable(request, api, result);
        if (result < 0)
            context_free(context);
    }
    free(logging);
    free(tracing);
    free(tags);
}

/* ---- DescribeStateMachine ---- */

static cJSON *describe_machine(const struct state_machine_record *machine, bool metadata_only)
{
    cJSON *response = cJSON_CreateObject();
    const char *arn = machine->version_arn ? machine->version_arn : machine->arn;
    bool ok = response && cJSON_AddStringToObject(response, "stateMachineArn", arn)
              && cJSON_AddStringToObject(response, "name", machine->name)
              && cJSON_AddStringToObject(response, "status", "ACTIVE")
              && cJSON_AddStringToObject(response, "definition", metadata_only ? "{}" : machine->definition)
              && cJSON_AddStringToObject(response, "roleArn", machine->role_arn)
              && cJSON_AddStringToObject(response, "type", machine->type)
              && json_add_epoch_seconds(response, "creationDate", machine->creation_ms)
              && json_add_parsed(response, "loggingConfiguration", machine->logging, ENGINE_DEFAULT_LOGGING)
              && json_add_parsed(response, "tracingConfiguration", machine->tracing, ENGINE_DEFAULT_TRACING)
              && (!machine->revision_id || cJSON_AddStringToObject(response, "revisionId", machine->revision_id))
              && (!machine->description || !machine->description[0]
                  || cJSON_AddStringToObject(response, "description", machine->description));
    if (!ok) {
        cJSON_Delete(response);
        return NULL;
    }
    return response;
}

static void on_described(int status, struct state_machine_record *machine, void *data)
{
    struct machine_context *context = data;
    if (status < 0)
        sfn_request_reply_unavailable(context->request, context->api, status);
    else if (!machine)
        sfn_request_reply_no_state_machine(context->request, context->arn);
    else
        http_request_reply_json(context->request, 200, describe_machine(machine, context->metadata_only));
    state_machine_store_record_free(machine);
    context_free(context);
}

void state_machine_api_describe(struct http_request *request, struct sfn_api *api, const cJSON *body)
{
    static const char *const included[] = { "ALL_DATA", "METADATA_ONLY" };
    struct sfn_arn parsed;
    const char *included_data;
    bool ours;
    const char *arn = read_machine_arn(request, api, body, &parsed, &ours);
    if (!arn || !sfn_request_enum(request, body, "includedData", included, 2, &included_data))
        return;
    if (!ours) {
        sfn_request_reply_no_state_machine(request, arn);
        return;
    }
    struct machine_context *context = new_context(request, api, arn);
    if (!context)
        return;
    context->metadata_only = included_data && strcmp(included_data, "METADATA_ONLY") == 0;
    char *qualifier = strchr(parsed.state_machine, ':');
    if (qualifier)
        *qualifier++ = '\0';
    int result =
        !qualifier ? state_machine_store_load(api->redis, parsed.state_machine, true, on_described, context)
        : qualifier[strspn(qualifier, "0123456789")] == '\0'
            ? state_machine_store_load_qualified(api->redis, parsed.state_machine, qualifier, -1, on_described, context)
            : (on_described(0, NULL, context), 0); /* an alias's ARN names no state machine */
    if (result < 0) {
        context_free(context);
        sfn_request_reply_unavailable(request, api, result);
    }
}

/* ---- UpdateStateMachine ---- */

static void on_updated(int status, const struct engine_machine_result *result, void *data)
{
    struct machine_context *context = data;
    if (status == -ENOENT) {
        sfn_request_reply_no_state_machine(context->request, context->arn);
    } else if (status == -EDQUOT) {
        reply_versions_full(context->request, context->arn);
    } else if (status < 0) {
        sfn_request_reply_unavailable(context->request, context->api, status);
    } else {
        cJSON *response = cJSON_CreateObject();
        /* An update with nothing but publish keeps the revision: none when the machine was never changed. */
        if (response && json_add_epoch_seconds(response, "updateDate", result->date_ms)
            && (!result->revision_id || !result->revision_id[0]
                || cJSON_AddStringToObject(response, "revisionId", result->revision_id))
            && result->version_arn)
            cJSON_AddStringToObject(response, "stateMachineVersionArn", result->version_arn);
        http_request_reply_json(context->request, 200, response);
    }
    context_free(context);
}

static void on_machine_for_update(int status, struct state_machine_record *machine, void *data)
{
    struct machine_context *context = data;
    enum machine_type type = MACHINE_STANDARD;
    char error[1024];
    int result = status;
    if (result == 0 && !machine)
        result = -ENOENT;
    if (result == 0 && definition_type_from_name(machine->type, &type) < 0)
        type = MACHINE_STANDARD;
    if (result == 0)
        result = engine_update_state_machine(context->api->engine, machine->name, type, &context->change, error,
                                             sizeof(error), on_updated, context);
    state_machine_store_record_free(machine);
    if (result == 0)
        return;
    if (result == -ENOENT)
        sfn_request_reply_no_state_machine(context->request, context->arn);
    else if (result == -EINVAL)
        reply_invalid_definition(context->request, error);
    else
        sfn_request_reply_unavailable(context->request, context->api, result);
    context_free(context);
}

/* Copies what the update changes into the context; false when out of memory. */
static bool keep_change(struct machine_context *context, const char *definition, const char *role_arn,
                        const char *version_description)
{
    struct engine_machine_change *change = &context->change;
    change->definition = definition ? strdup(definition) : NULL;
    change->role_arn = role_arn ? strdup(role_arn) : NULL;
    change->version_description = version_description ? strdup(version_description) : NULL;
    return (!definition || change->definition) && (!role_arn || change->role_arn)
           && (!version_description || change->version_description);
}

void state_machine_api_update(struct http_request *request, struct sfn_api *api, const cJSON *body)
{
    struct sfn_arn parsed;
    const char *definition, *role_arn, *version_description;
    bool ours, failed, publish;
    const char *arn = read_machine_arn(request, api, body, &parsed, &ours);
    if (!arn || !read_definition(request, body, false, &definition) || !read_role_arn(request, body, false, &role_arn)
        || !read_publish(request, body, &publish, &version_description) || !check_role_arn(request, role_arn))
        return;
    char *logging = read_logging(request, body, &failed);
    char *tracing = failed ? NULL : read_tracing(request, body, &failed);
    if (failed || (!definition && !role_arn && !logging && !tracing && !publish)) {
        if (!failed)
            sfn_request_reply_error(request, 400, "MissingRequiredParameter", "%s", missing_parameter_message);
        free(logging);
        free(tracing);
        return;
    }
    struct machine_context *context = ours ? new_context(request, api, arn) : NULL;
    if (!ours)
        sfn_request_reply_no_state_machine(request, arn);
    if (!context) {
        free(logging);
        free(tracing);
        return;
    }
    context->change.logging = logging;
    context->change.tracing = tracing;
    context->change.publish = publish;
    int result = keep_change(context, definition, role_arn, version_description)
                     ? state_machine_store_load(api->redis, parsed.state_machine, false, on_machine_for_update, context)
                     : -ENOMEM;
    if (result < 0) {
        context_free(context);
        sfn_request_reply_unavailable(request, api, result);
    }
}

/* ---- DeleteStateMachine ---- */

static void on_deleted(int status, void *data)
{
    struct machine_context *context = data;
    if (status < 0)
        sfn_request_reply_unavailable(context->request, context->api, status);
    else
        sfn_request_reply_empty(context->request);
    context_free(context);
}

void state_machine_api_delete(struct http_request *request, struct sfn_api *api, const cJSON *body)
{
    struct sfn_arn parsed;
    bool ours;
    const char *arn = read_machine_arn(request, api, body, &parsed, &ours);
    if (!arn)
        return;
    if (!ours) { /* AWS answers a delete of nothing with 200 too (recorded) */
        sfn_request_reply_empty(request);
        return;
    }
    struct machine_context *context = new_context(request, api, arn);
    if (!context)
        return;
    int result = state_machine_store_delete(api->redis, parsed.state_machine, on_deleted, context);
    if (result < 0) {
        context_free(context);
        sfn_request_reply_unavailable(request, api, result);
    }
}

/* ---- ListStateMachines ---- */

static void on_listed(int status, const struct state_machine_summary *items, size_t count, const char *next, void *data)
{
    struct machine_context *context = data;
    if (status < 0) {
        sfn_request_reply_unavailable(context->request, context->api, status);
        context_free(context);
        return;
    }
    cJSON *response = cJSON_CreateObject();
    cJSON *machines = cJSON_AddArrayToObject(response, "stateMachines");
    bool ok = machines != NULL;
    for (size_t i = 0; ok && i < count; i++) {
        cJSON *machine = cJSON_CreateObject();
        ok = machine && cJSON_AddStringToObject(machine, "stateMachineArn", items[i].arn)
             && cJSON_AddStringToObject(machine, "name", items[i].name)
             && cJSON_AddStringToObject(machine, "type", items[i].type)
             && json_add_epoch_seconds(machine, "creationDate", items[i].creation_ms);
        if (ok)
            cJSON_AddItemToArray(machines, machine);
        else
            cJSON_Delete(machine);
    }
    if (ok && next)
        ok = cJSON_AddStringToObject(response, "nextToken", next) != NULL;
    if (!ok) {
        cJSON_Delete(response);
        response = NULL;
    }
    http_request_reply_json(context->request, 200, response);
    context_free(context);
}

void state_machine_api_list(struct http_request *request, struct sfn_api *api, const cJSON *body)
{
    size_t max_results;
    const char *next_token;
    if (!sfn_request_page_size(request, body, &max_results)
        || !sfn_request_page_token(request, body, SFN_MAX_PAGE_TOKEN_LENGTH, &next_token))
        return;
    /* A page's token is the last name it listed, so anything that cannot be a name is not one of ours. */
    if (next_token && !sfn_request_valid_name(next_token)) {
        sfn_request_reply_error(request, 400, "InvalidToken", "Invalid Token: 'Invalid nextToken'");
        return;
    }
    struct machine_context *context = new_context(request, api, NULL);
    if (!context)
        return;
    int result = state_machine_store_list(api->redis, next_token, max_results, on_listed, context);
    if (result < 0) {
        context_free(context);
        sfn_request_reply_unavailable(request, api, result);
    }
}
