/*
 * version_api - see version_api.h.
 *
 * Each operation checks its request, runs one store script and answers
 * from the script's outcome and JSON (state_machine_store.h).
 */
#include "version_api.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "json_util.h"
#include "utf8.h"
#include "state_machine_store.h"
#include "wall_clock.h"

/* The model's CharacterRestrictedName: an alias name is not digits only (that would be a version). */
#define ALIAS_NAME_PATTERN "^(?=.*[a-zA-Z_\\-\\.])[a-zA-Z0-9_\\-\\.]+$"
#define ALIAS_NAME_CHARACTERS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-."

struct version_context;
/* Answers a script's OK with its JSON (NULL when it has none). */
typedef void answer_function(struct version_context *context, const char *json);

/* What a script's CONFLICT means for the operation. */
enum version_conflict {
    CONFLICT_ALIAS,   /* CreateStateMachineAlias: the alias exists with other settings */
    CONFLICT_PUBLISH, /* PublishStateMachineVersion: a stale revisionId (the script's JSON: the current one) */
    CONFLICT_DELETE,  /* DeleteStateMachineVersion: aliases route to it (the script's JSON: their names) */
};

/* A request and what its answer names. */
struct version_context {
    struct http_request *request;
    struct sfn_api *api;
    answer_function *answer;
    char arn[2 * SFN_ARN_PART_SIZE]; /* the ARN the request named */
    long offset;                     /* lists: where the page starts */
    bool alias;                      /* an alias operation: a missing machine is ResourceNotFound too */
    bool update;                     /* UpdateStateMachineAlias: a missing alias has AWS's generic text */
    enum version_conflict conflict;
    char revision_id[256]; /* PublishStateMachineVersion: the revisionId the request gave */
};

/* An ARN split: the machine's name and the qualifier after it ("" for none). */
struct qualified_arn {
    char name[SFN_ARN_PART_SIZE];
    const char *qualifier;
};

static bool all_digits(const char *text)
{
    return text[0] && text[strspn(text, "0123456789")] == '\0';
}

/*
 * Reads the required ARN member: a state machine's ARN of this region and
 * account, maybe qualified. Returns its text, or NULL when answered
 * (invalid) or when it names nothing here (*ours false: not answered).
 */
static const char *read_arn(struct http_request *request, struct sfn_api *api, const cJSON *body, const char *member,
                            struct qualified_arn *out, bool *ours)
{
    struct sfn_arn parsed;
    char expected[2 * SFN_ARN_PART_SIZE];
    const char *arn = sfn_request_arn(request, body, member, SFN_ARN_STATE_MACHINE, &parsed);
    *ours = false;
    if (!arn)
        return NULL;
    engine_state_machine_arn(api->engine, parsed.state_machine, expected, sizeof(expected));
    *ours = strcmp(expected, arn) == 0;
    snprintf(out->name, sizeof(out->name), "%s", parsed.state_machine);
    char *colon = strchr(out->name, ':');
    if (colon)
        *colon++ = '\0';
    out->qualifier = colon ? colon : "";
    return arn;
}

static struct version_context *new_context(struct http_request *request, struct sfn_api *api, const char *arn,
                                           answer_function *answer)
{
    struct version_context *context = calloc(1, sizeof(*context));
    if (!context) {
        sfn_request_reply_unavailable(request, api, -ENOMEM);
        return NULL;
    }
    *context = (struct version_context){ .request = request, .api = api, .answer = answer };
    snprintf(context->arn, sizeof(context->arn), "%s", arn);
    return context;
}

static void reply_not_found(struct http_request *request, const char *arn)
{
    sfn_request_reply_error(request, 400, "ResourceNotFound", "Resource not found: '%s'", arn);
}

/* Answers a script's CONFLICT in AWS's words for the operation (json: what the script gave with it). */
static void reply_conflict(const struct version_context *context, const char *json)
{
    const char *detail = json ? json : "";
    if (context->conflict == CONFLICT_PUBLISH)
        sfn_request_reply_error(context->request, 400, "ConflictException",
                                "Failed to publish the State Machine version for revision %s. The current State "
                                "Machine revision is %s.",
                                context->revision_id, detail);
    else if (context->conflict == CONFLICT_DELETE)
        sfn_request_reply_error(context->request, 400, "ConflictException",
                                "Version to be deleted must not be referenced by an alias. Current list of aliases "
                                "referencing this version: %s",
                                detail);
    else
        sfn_request_reply_error(context->request, 400, "ConflictException",
                                "Failed to create alias because an alias with the same name and a different routing "
                                "configuration already exists.");
}

/* The callback of every script: errors in AWS's words, OK through the context's answer. */
static void on_script(int status, enum state_machine_version_outcome outcome, const char *json, void *data)
{
    struct version_context *context = data;
    struct http_request *request = context->request;
    if (status < 0)
        sfn_request_reply_unavailable(request, context->api, status);
    else if (outcome == STATE_MACHINE_VERSION_OK)
        context->answer(context, json);
    else if (outcome == STATE_MACHINE_VERSION_NO_MACHINE && !context->alias)
        sfn_request_reply_no_state_machine(request, context->arn);
    else if (context->update
             && (outcome == STATE_MACHINE_VERSION_NO_MACHINE
                 || (outcome == STATE_MACHINE_VERSION_NOT_FOUND && json && !json[0])))
        sfn_request_reply_error(request, 400, "ResourceNotFound", "Request references a resource that does not exist.");
    else if (outcome == STATE_MACHINE_VERSION_NOT_FOUND || outcome == STATE_MACHINE_VERSION_NO_MACHINE)
        reply_not_found(request, context->arn);
    else if (outcome == STATE_MACHINE_VERSION_QUOTA)
        sfn_request_reply_error(request, 400, "ServiceQuotaExceededException",
                                "Maximum number of versions (1000) or aliases (100) reached for: '%s'", context->arn);
    else
        reply_conflict(context, json);
    free(context);
}

/* Sends the script (result of calling it); on failure answers and frees the context. */
static void sent(struct version_context *context, int result)
{
    if (result < 0) {
        sfn_request_reply_unavailable(context->request, context->api, result);
        free(context);
    }
}

/* Parses a script's JSON; NULL (answered 500) when it cannot. */
static cJSON *parse_answer(struct version_context *context, const char *json)
{
    cJSON *value = json ? cJSON_Parse(json) : NULL;
    if (!value)
        sfn_request_reply_error(context->request, 500, "InternalFailure", "Unreadable stored version or alias");
    return value;
}

/* The string member's value as epoch milliseconds (0 when absent). */
static long long member_ms(const cJSON *object, const char *name)
{
    const cJSON *member = cJSON_GetObjectItemCaseSensitive(object, name);
    return cJSON_IsString(member) ? strtoll(member->valuestring, NULL, 10) : 0;
}

static const char *member_string(const cJSON *object, const char *name)
{
    const cJSON *member = cJSON_GetObjectItemCaseSensitive(object, name);
    return cJSON_IsString(member) ? member->valuestring : "";
}

/* Answers {arn_member: arn, date_member: date} from a script's {"arn", date_member}. */
static void answer_arn_and_date(struct version_context *context, const char *json, const char *arn_member,
                                const char *date_member)
{
    cJSON *stored = parse_answer(context, json);
    if (!stored)
        return;
    cJSON *response = cJSON_CreateObject();
    if (!response || (arn_member && !cJSON_AddStringToObject(response, arn_member, member_string(stored, "arn")))
        || !json_add_epoch_seconds(response, date_member, member_ms(stored, date_member))) {
        cJSON_Delete(response);
        response = NULL;
    }
    http_request_reply_json(context->request, 200, response);
    cJSON_Delete(stored);
}

static void answer_empty(struct version_context *context, const char *json)
{
    (void)json;
    sfn_request_reply_empty(context->request);
}

/* Answers a page {"items": [{"arn", "creationDate"}], "more"} as list_member with arn_member per item. */
static void answer_page(struct version_context *context, const char *json, const char *list_member,
                        const char *arn_member)
{
    cJSON *stored = parse_answer(context, json);
    if (!stored)
        return;
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(stored, "items"), *item;
    const cJSON *array = cJSON_IsArray(items) ? items : NULL; /* Lua's cjson writes an empty list as {} */
    cJSON *response = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(response, list_member);
    bool ok = list != NULL;
    long count = 0;
    cJSON_ArrayForEach(item, array)
    {
        cJSON *entry = cJSON_CreateObject();
        ok = ok && entry && cJSON_AddStringToObject(entry, arn_member, member_string(item, "arn"))
             && json_add_epoch_seconds(entry, "creationDate", member_ms(item, "creationDate"));
        if (ok)
            cJSON_AddItemToArray(list, entry);
        else
            cJSON_Delete(entry);
        count++;
    }
    if (ok && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(stored, "more"))) {
        char token[32];
        snprintf(token, sizeof(token), "%ld", context->offset + count);
        ok = cJSON_AddStringToObject(response, "nextToken", token) != NULL;
    }
    if (!ok) {
        cJSON_Delete(response);
        response = NULL;
    }
    http_request_reply_json(context->request, 200, response);
    cJSON_Delete(stored);
}

/* ---- versions ---- */

static void answer_published(struct version_context *context, const char *json)
{
    answer_arn_and_date(context, json, "stateMachineVersionArn", "creationDate");
}

void version_api_publish(struct http_request *request, struct sfn_api *api, const cJSON *body)
{
    struct qualified_arn machine;
    const char *revision_id, *description;
    bool ours;
    const char *arn = read_arn(request, api, body, "stateMachineArn", &machine, &ours);
    if (!arn || !sfn_request_optional_string(request, body, "revisionId", &revision_id)
        || !sfn_request_optional_string(request, body, "description", &description)
        || (description && !sfn_request_check_length(request, "description", description, 0, 256)))
        return;
    if (!ours || machine.qualifier[0]) {
        sfn_request_reply_no_state_machine(request, arn);
        return;
    }
    struct version_context *context = new_context(request, api, arn, answer_published);
    if (!context)
        return;
    context->conflict = CONFLICT_PUBLISH;
    snprintf(context->revision_id, sizeof(context->revision_id), "%s", revision_id ? revision_id : "");
    sent(context, state_machine_store_publish(api->redis, machine.name, revision_id, description, wall_clock_now_ms(),
                                              on_script, context));
}

static void answer_versions(struct version_context *context, const char *json)
{
    answer_page(context, json, "stateMachineVersions", "stateMachineVersionArn");
}

void version_api_list_versions(struct http_request *request, struct sfn_api *api, const cJSON *body)
{
    struct qualified_arn machine;
    long max_results, offset;
    bool ours;
    const char *arn = read_arn(request, api, body, "stateMachineArn", &machine, &ours);
    if (!arn || !sfn_request_page(request, body, &max_results, &offset))
        return;
    if (!ours || machine.qualifier[0]) {
        sfn_request_reply_no_state_machine(request, arn);
        return;
    }
    struct version_context *context = new_context(request, api, arn, answer_versions);
    if (!context)
        return;
    context->offset = offset;
    sent(context,
         state_machine_store_list_versions(api->redis, machine.name, offset, (size_t)max_results, on_script, context));
}

void version_api_delete_version(struct http_request *request, struct sfn_api *api, const cJSON *body)
{
    struct qualified_arn machine;
    bool ours;
    const char *arn = read_arn(request, api, body, "stateMachineVersionArn", &machine, &ours);
    if (!arn)
        return;
    if (!ours || !all_digits(machine.qualifier)) {
        sfn_request_reply_error(request, 400, "InvalidArn", "Invalid Arn: 'Invalid State Machine Version Arn: '%s''",
                                arn);
        return;
    }
    struct version_context *context = new_context(request, api, arn, answer_empty);
    if (!context)
        return;
    context->conflict = CONFLICT_DELETE;
    sent(context, state_machine_store_delete_version(api->redis, machine.name, machine.qualifier, on_script, context));
}

/* ---- aliases ---- */

/* The routing's version numbers and the machine they belong to, checked. */
struct routing {
    struct qualified_arn versions[2];
    size_t count;
    char *text; /* the routing as normalised JSON text (owned) */
};

/* How AWS quotes the routes in its messages: "[a, b]" of their ARNs, their weights or the items themselves. */
enum route_rendering { ROUTE_ARNS, ROUTE_WEIGHTS, ROUTE_ITEMS };

/* Appends formatted text to buffer (of size) at *used, cut at its end. */
__attribute__((format(printf, 4, 5))) static void append(char *buffer, size_t size, size_t *used, const char *format,
                                                         ...)
{
    va_list arguments;
    va_start(arguments, format);
    int length = *used < size ? vsnprintf(buffer + *used, size - *used, format, arguments) : 0;
    va_end(arguments);
    if (length > 0)
        *used = *used + (size_t)length < size ? *used + (size_t)length : size;
}

static void render_routes(const cJSON *list, enum route_rendering rendering, char *buffer, size_t size)
{
    const cJSON *route;
    size_t used = 0;
    append(buffer, size, &used, "[");
    cJSON_ArrayForEach(route, list)
    {
        const cJSON *arn = cJSON_GetObjectItemCaseSensitive(route, "stateMachineVersionArn");
        const cJSON *weight = cJSON_GetObjectItemCaseSensitive(route, "weight");
        const char *arn_text = cJSON_IsString(arn) ? arn->valuestring : "null";
        char weight_text[32] = "null";
        if (cJSON_IsNumber(weight))
            snprintf(weight_text, sizeof(weight_text), "%.17g", weight->valuedouble);
        const char *separator = route == list->child ? "" : ", ";
        if (rendering == ROUTE_ARNS)
            append(buffer, size, &used, "%s%s", separator, arn_text);
        else if (rendering == ROUTE_WEIGHTS)
            append(buffer, size, &used, "%s%s", separator, weight_text);
        else
            append(buffer, size, &used, "%sRoutingConfigurationListItem(stateMachineVersionArn=%s, weight=%s)",
                   separator, arn_text, weight_text);
    }
    append(buffer, size, &used, "]");
}

/* Checks the routing's length (1 or 2) and its weights (0-100), as the model does; false when answered. */
static bool check_routing_shape(struct http_request *request, const cJSON *list)
{
    char text[3072], member[64];
    int size = cJSON_IsArray(list) ? cJSON_GetArraySize(list) : -1, index = 0;
    const cJSON *route;
    if (size < 0) {
        sfn_request_reply_validation(request, "routingConfiguration", "Member must not be null");
        return false;
    }
    if (size < 1 || size > 2) {
        render_routes(list, ROUTE_ITEMS, text, sizeof(text));
        sfn_request_reply_invalid_value(request, "routingConfiguration", text,
                                        size < 1 ? "Member must have length greater than or equal to 1"
                                                 : "Member must have length less than or equal to 2");
        return false;
    }
    cJSON_ArrayForEach(route, list)
    {
        const cJSON *weight = cJSON_GetObjectItemCaseSensitive(route, "weight");
        snprintf(member, sizeof(member), "routingConfiguration.%d.member.weight", ++index);
        if (!cJSON_IsNumber(weight) || weight->valuedouble != (double)(long)weight->valuedouble) {
            sfn_request_reply_validation(request, member, "Member must not be null");
            return false;
        }
        if (weight->valuedouble < 0 || weight->valuedouble > 100) {
            snprintf(text, sizeof(text), "%ld", (long)weight->valuedouble);
            sfn_request_reply_invalid_value(request, member, text,
                                            weight->valuedouble < 0
                                                ? "Member must have value greater than or equal to 0"
                                                : "Member must have value less than or equal to 100");
            return false;
        }
    }
    return true;
}

/* Answers ValidationException "<message> Received: [<the routes rendered>]". */
static void reply_routing_error(struct http_request *request, const cJSON *list, enum route_rendering rendering,
                                const char *message)
{
    char text[3072];
    render_routes(list, rendering, text, sizeof(text));
    sfn_request_reply_error(request, 400, "ValidationException", "%s Received: %s", message, text);
}

/*
 * Checks the routes read into routing against the routing list, in AWS's
 * order: version ARNs only, distinct, of one machine of ours, weights
 * summing to 100. False when answered.
 */
static bool check_routes(struct http_request *request, const cJSON *list, const struct routing *routing, long total,
                         bool ours)
{
    const struct qualified_arn *versions = routing->versions;
    for (size_t i = 0; i < routing->count; i++)
        if (!all_digits(versions[i].qualifier)) {
            reply_routing_error(request, list, ROUTE_ARNS,
                                "Routing configuration must contain state machine version ARNs.");
            return false;
        }
    bool two = routing->count == 2;
    if (two && strcmp(versions[0].name, versions[1].name) == 0
        && strcmp(versions[0].qualifier, versions[1].qualifier) == 0) {
        reply_routing_error(request, list, ROUTE_ARNS,
                            "Routing configuration must contain distinct state machine version ARNs.");
        return false;
    }
    if (!ours || (two && strcmp(versions[0].name, versions[1].name) != 0)) {
        reply_routing_error(request, list, ROUTE_ARNS,
                            "Routing configuration must contain versions of the same state machine of this account "
                            "and region.");
        return false;
    }
    if (total != 100) {
        reply_routing_error(request, list, ROUTE_WEIGHTS, "Sum of routing configuration weights must equal 100.");
        return false;
    }
    return true;
}

/*
 * Reads routingConfiguration (1 or 2 routes to versions of one machine of
 * ours, weights 0-100 summing to 100, no version twice). Returns true with
 * routing filled (free routing->text), or false when answered.
 */
static bool read_routing(struct http_request *request, struct sfn_api *api, const cJSON *body, struct routing *routing)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(body, "routingConfiguration"), *route;
    long total = 0;
    bool all_ours = true;
    *routing = (struct routing){ 0 };
    if (!check_routing_shape(request, list))
        return false;
    cJSON *normal = cJSON_CreateArray();
    cJSON_ArrayForEach(route, list)
    {
        long weight = (long)cJSON_GetObjectItemCaseSensitive(route, "weight")->valuedouble;
        bool ours;
        const char *arn =
            read_arn(request, api, route, "stateMachineVersionArn", &routing->versions[routing->count], &ours);
        if (!arn) {
            cJSON_Delete(normal);
            return false;
        }
        all_ours = all_ours && ours;
        total += weight;
        cJSON *entry = cJSON_CreateObject();
        if (entry) {
            cJSON_AddStringToObject(entry, "stateMachineVersionArn", arn);
            cJSON_AddNumberToObject(entry, "weight", (double)weight);
            cJSON_AddItemToArray(normal, entry);
        }
        routing->count++;
    }
    if (!check_routes(request, list, routing, total, all_ours)) {
        cJSON_Delete(normal);
        return false;
    }
    routing->text = normal ? json_print(normal) : NULL;
    cJSON_Delete(normal);
    if (!routing->text)
        sfn_request_reply_unavailable(request, api, -ENOMEM);
    return routing->text != NULL;
}

/* Reads the optional description (at most 256 characters); false when answered. */
static bool read_description(struct http_request *request, const cJSON *body, const char **description)
{
    return sfn_request_optional_string(request, body, "description", description)
           && (!*description || sfn_request_check_length(request, "description", *description, 0, 256));
}

static void answer_alias_created(struct version_context *context, const char *json)
{
    answer_arn_and_date(context, json, "stateMachineAliasArn", "creationDate");
}

static void answer_alias_updated(struct version_context *context, const char *json)
{
    answer_arn_and_date(context, json, NULL, "updateDate");
}

/* Sends a create or update of alias of the routing's machine (fields' routing parts from routing). */
static void put_alias(struct version_context *context, struct state_machine_alias_fields *fields,
                      const struct routing *routing)
{
    fields->routing = routing->text;
    for (size_t i = 0; i < routing->count; i++)
        fields->versions[i] = routing->versions[i].qualifier;
    fields->now_ms = wall_clock_now_ms();
    context->alias = true;
    sent(context, state_machine_store_put_alias(context->api->redis, fields, on_script, context));
}

void version_api_create_alias(struct http_request *request, struct sfn_api *api, const cJSON *body)
{
    const char *name = sfn_request_required_string(request, body, "name");
    const char *description;
    struct routing routing;
    if (!name || !read_description(request, body, &description))
        return;
    size_t length = utf8_count_text(name);
    if (length < 1 || length > 80) {
        sfn_request_reply_invalid_value(request, "name", name,
                                        length < 1 ? "Member must have length greater than or equal to 1"
                                                   : "Member must have length less than or equal to 80");
        return;
    }
    if (name[strspn(name, ALIAS_NAME_CHARACTERS)] != '\0' || all_digits(name)) {
        sfn_request_reply_invalid_value(request, "name", name,
                                        "Member must satisfy regular expression pattern: " ALIAS_NAME_PATTERN);
        return;
    }
    if (!read_routing(request, api, body, &routing))
        return;
    char machine_arn[SFN_ARN_PART_SIZE], alias_arn[2 * SFN_ARN_PART_SIZE];
    engine_state_machine_arn(api->engine, routing.versions[0].name, machine_arn, sizeof(machine_arn));
    snprintf(alias_arn, sizeof(alias_arn), "%s:%s", machine_arn, name);
    struct version_context *context =
        new_context(request, api, routing.count ? machine_arn : alias_arn, answer_alias_created);
    if (context) {
        struct state_machine_alias_fields fields = {
            .name = routing.versions[0].name, .alias = name, .create = true, .description = description
        };
        put_alias(context, &fields, &routing);
    }
    free(routing.text);
}

/* Reads an alias ARN member; NULL when answered (invalid, or not an alias of ours: ResourceNotFound). */
static const char *read_alias_arn(struct http_request *request, struct sfn_api *api, const cJSON *body,
                                  struct qualified_arn *alias)
{
    bool ours;
    const char *arn = read_arn(request, api, body, "stateMachineAliasArn", alias, &ours);
    if (arn && (!ours || !alias->qualifier[0] || all_digits(alias->qualifier))) {
        if (ours && !alias->qualifier[0])
            sfn_request_reply_error(request, 400, "InvalidArn", "Invalid Arn: 'Invalid State Machine Alias Arn: '%s''",
                                    arn);
        else
            reply_not_found(request, arn);
        return NULL;
    }
    return arn;
}

static void answer_alias(struct version_context *context, const char *json)
{
    cJSON *stored = parse_answer(context, json);
    if (!stored)
        return;
    cJSON *response = cJSON_CreateObject(), *routing = NULL;
    const char *routing_text = member_string(stored, "routing"), *description = member_string(stored, "description");
    bool ok = response && cJSON_AddStringToObject(response, "stateMachineAliasArn", member_string(stored, "arn"))
              && cJSON_AddStringToObject(response, "name", member_string(stored, "name"))
              && (!description[0] || cJSON_AddStringToObject(response, "description", description))
              && json_parse(routing_text, strlen(routing_text), &routing) == 0
              && cJSON_AddItemToObject(response, "routingConfiguration", routing)
              && json_add_epoch_seconds(response, "creationDate", member_ms(stored, "creationDate"))
              && (!member_ms(stored, "updateDate")
                  || json_add_epoch_seconds(response, "updateDate", member_ms(stored, "updateDate")));
    if (!ok) {
        cJSON_Delete(response);
        response = NULL;
    }
    http_request_reply_json(context->request, 200, response);
    cJSON_Delete(stored);
}

void version_api_describe_alias(struct http_request *request, struct sfn_api *api, const cJSON *body)
{
    struct qualified_arn alias;
    const char *arn = read_alias_arn(request, api, body, &alias);
    struct version_context *context = arn ? new_context(request, api, arn, answer_alias) : NULL;
    if (context && (context->alias = true))
        sent(context,
             state_machine_store_read_qualified(api->redis, alias.name, alias.qualifier, -1, on_script, context));
}

void version_api_update_alias(struct http_request *request, struct sfn_api *api, const cJSON *body)
{
    struct qualified_arn alias;
    const char *description;
    struct routing routing = { 0 };
    const char *arn = read_alias_arn(request, api, body, &alias);
    if (!arn || !read_description(request, body, &description))
        return;
    bool has_routing = cJSON_GetObjectItemCaseSensitive(body, "routingConfiguration") != NULL;
    if (!description && !has_routing) {
        sfn_request_reply_error(request, 400, "MissingRequiredParameter",
                                "Either the description or the RoutingConfiguration must be specified");
        return;
    }
    if (has_routing && !read_routing(request, api, body, &routing))
        return;
    if (has_routing && strcmp(routing.versions[0].name, alias.name) != 0) {
        sfn_request_reply_error(request, 400, "ValidationException",
                                "Routing configuration must contain versions of the alias's state machine");
        free(routing.text);
        return;
    }
    struct version_context *context = new_context(request, api, arn, answer_alias_updated);
    if (context) {
        context->update = true;
        struct state_machine_alias_fields fields = {
            .name = alias.name, .alias = alias.qualifier, .create = false, .description = description
        };
        put_alias(context, &fields, &routing);
    }
    free(routing.text);
}

void version_api_delete_alias(struct http_request *request, struct sfn_api *api, const cJSON *body)
{
    struct qualified_arn alias;
    const char *arn = read_alias_arn(request, api, body, &alias);
    struct version_context *context = arn ? new_context(request, api, arn, answer_empty) : NULL;
    if (context)
        sent(context, state_machine_store_delete_alias(api->redis, alias.name, alias.qualifier, on_script, context));
}

static void answer_aliases(struct version_context *context, const char *json)
{
    answer_page(context, json, "stateMachineAliases", "stateMachineAliasArn");
}

void version_api_list_aliases(struct http_request *request, struct sfn_api *api, const cJSON *body)
{
    struct qualified_arn machine;
    long max_results, offset;
    bool ours;
    const char *arn = read_arn(request, api, body, "stateMachineArn", &machine, &ours);
    if (!arn || !sfn_request_page(request, body, &max_results, &offset))
        return;
    if (!ours || (machine.qualifier[0] && !all_digits(machine.qualifier))) {
        sfn_request_reply_no_state_machine(request, arn);
        return;
    }
    struct version_context *context = new_context(request, api, arn, answer_aliases);
    if (!context)
        return;
    context->offset = offset;
    sent(context,
         state_machine_store_list_aliases(api->redis, machine.name, machine.qualifier[0] ? machine.qualifier : NULL,
                                          offset, (size_t)max_results, on_script, context));
}
