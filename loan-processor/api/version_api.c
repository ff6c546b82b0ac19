/*
 * version_api - see version_api.h.
 *
 * Each operation checks its request, runs one store script and answers
 * from the script's outcome and JSON (state_machine_store.h).
 */
#include "version_api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "json_util.h"
#include "state_machine_store.h"
#include "wall_clock.h"

/* The model's CharacterRestrictedName: an alias name is not digits only (that would be a version). */
#define ALIAS_NAME_PATTERN "^(?=.*[a-zA-Z_\\-\\.])[a-zA-Z0-9_\\-\\.]+$"
#define ALIAS_NAME_CHARACTERS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-."

struct version_context;
/* Answers a script's OK with its JSON (NULL when it has none). */
typedef void answer_function(struct version_context *context, const char *json);

/* A request and what its answer names. */
struct version_context {
    struct http_request *request;
    struct sfn_api *api;
    answer_function *answer;
    char arn[2 * SFN_ARN_PART_SIZE]; /* the ARN the request named */
    long offset;                     /* lists: where the page starts */
    bool alias;                      /* an alias operation: a missing machine is ResourceNotFound too */
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
    else if (outcome == STATE_MACHINE_VERSION_NOT_FOUND || outcome == STATE_MACHINE_VERSION_NO_MACHINE)
        reply_not_found(request, context->arn);
    else if (outcome == STATE_MACHINE_VERSION_QUOTA)
        sfn_request_reply_error(request, 400, "ServiceQuotaExceededException",
                                "Maximum number of versions (1000) or aliases (100) reached for: '%s'", context->arn);
    else if (json) /* a version that aliases use */
        sfn_request_reply_error(request, 400, "ConflictException",
                                "Version to be deleted must not be referenced by an alias. Current list of aliases "
                                "referencing this version: %s",
                                json);
    else
        sfn_request_reply_error(request, 400, "ConflictException", "%s", context->arn);
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
    if (context)
        sent(context, state_machine_store_publish(api->redis, machine.name, revision_id, description,
                                                  wall_clock_now_ms(), on_script, context));
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
    if (context)
        sent(context,
             state_machine_store_delete_version(api->redis, machine.name, machine.qualifier, on_script, context));
}

/* ---- aliases ---- */

/* The routing's version numbers and the machine they belong to, checked. */
struct routing {
    struct qualified_arn versions[2];
    size_t count;
    char *text; /* the routing as normalised JSON text (owned) */
};

/*
 * Reads routingConfiguration (1 or 2 routes to versions of one machine of
 * ours, weights 0-100 summing to 100, no version twice). Returns true with
 * routing filled (free routing->text), or false when answered.
 */
static bool read_routing(struct http_request *request, struct sfn_api *api, const cJSON *body, struct routing *routing)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(body, "routingConfiguration"), *route;
    int size = cJSON_IsArray(list) ? cJSON_GetArraySize(list) : -1;
    long total = 0;
    *routing = (struct routing){ 0 };
    if (size < 1 || size > 2) {
        sfn_request_reply_validation(request, "routingConfiguration",
                                     size < 0 ? "Member must not be null"
                                              : "Member must have length less than or equal to 2");
        return false;
    }
    cJSON *normal = cJSON_CreateArray();
    cJSON_ArrayForEach(route, list)
    {
        struct qualified_arn *version = &routing->versions[routing->count];
        const cJSON *weight = cJSON_GetObjectItemCaseSensitive(route, "weight");
        bool ours;
        const char *arn = read_arn(request, api, route, "stateMachineVersionArn", version, &ours);
        if (!arn) {
            cJSON_Delete(normal);
            return false;
        }
        if (!cJSON_IsNumber(weight) || weight->valuedouble < 0 || weight->valuedouble > 100
            || weight->valuedouble != (double)(long)weight->valuedouble) {
            sfn_request_reply_validation(request, "routingConfiguration.member.weight",
                                         "Member must have value between 0 and 100");
            cJSON_Delete(normal);
            return false;
        }
        if (!ours || !all_digits(version->qualifier)
            || (routing->count
                && (strcmp(version->name, routing->versions[0].name) != 0
                    || strcmp(version->qualifier, routing->versions[0].qualifier) == 0))) {
            sfn_request_reply_error(request, 400, "ValidationException",
                                    "Routing configuration must contain distinct versions of the same state machine: "
                                    "'%s'",
                                    arn);
            cJSON_Delete(normal);
            return false;
        }
        total += (long)weight->valuedouble;
        cJSON *entry = cJSON_CreateObject();
        if (entry) {
            cJSON_AddStringToObject(entry, "stateMachineVersionArn", arn);
            cJSON_AddNumberToObject(entry, "weight", (double)(long)weight->valuedouble);
            cJSON_AddItemToArray(normal, entry);
        }
        routing->count++;
    }
    if (total != 100) {
        sfn_request_reply_error(request, 400, "ValidationException",
                                "Sum of routing configuration weights must be equal to 100");
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
    if (!name || !read_description(request, body, &description)
        || !sfn_request_check_length(request, "name", name, 1, 80))
        return;
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
