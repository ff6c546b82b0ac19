/* tag_api - see tag_api.h. */
#include "tag_api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activities.h"
#include "activity_arn.h"
#include "engine.h"
#include "json_util.h"
#include "state_machine_store.h"
#include "utf8.h"

#define SERVICE_NAMESPACE "com.amazonaws.swf.service.v2.model#"
/* The model's TagKey (1-128 characters) and TagValue (0-256). */
#define TAG_KEY_MAX_LENGTH 128
#define TAG_VALUE_MAX_LENGTH 256

/* Answers 400 code with message and the exception's resourceName member (ResourceNotFound, TooManyTags). */
static void reply_resource_error(struct http_request *request, const char *code, const char *message, const char *arn)
{
    char type[96];
    snprintf(type, sizeof(type), SERVICE_NAMESPACE "%s", code);
    cJSON *error = json_error("__type", type, message);
    if (error && !cJSON_AddStringToObject(error, "resourceName", arn)) {
        cJSON_Delete(error);
        error = NULL; /* answered 500: out of memory */
    }
    http_request_reply_json(request, 400, error);
}

static void reply_not_found(struct http_request *request, const char *arn)
{
    char message[320];
    snprintf(message, sizeof(message), "Resource not found: '%s'", arn);
    reply_resource_error(request, "ResourceNotFound", message, arn);
}

static void reply_too_many(struct http_request *request, const char *arn)
{
    char message[320];
    snprintf(message, sizeof(message), "Too many tags: the resource may have at most %d tags: '%s'", TAG_API_MAX_TAGS,
             arn);
    reply_resource_error(request, "TooManyTags", message, arn);
}

/* Checks one string of a list member (tags.N.member.key, say) against its length limits; answers when it fails. */
static bool check_tag_string(struct http_request *request, const char *member, const char *value, size_t minimum,
                             size_t maximum)
{
    char constraint[96];
    size_t length = utf8_count_text(value);
    if (length >= minimum && length <= maximum)
        return true;
    snprintf(constraint, sizeof(constraint), "Member must have length %s %zu",
             length < minimum ? "greater than or equal to" : "less than or equal to",
             length < minimum ? minimum : maximum);
    sfn_request_reply_invalid_value(request, member, value, constraint);
    return false;
}

/* The list member of body (required or not) as a JSON array, NULL when absent; answers and sets *failed otherwise. */
static const cJSON *read_list(struct http_request *request, const cJSON *body, const char *member, bool required,
                              bool *failed)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(body, member);
    *failed = false;
    if ((!list || cJSON_IsNull(list)) && required)
        sfn_request_reply_validation(request, member, "Member must not be null");
    else if (list && !cJSON_IsNull(list) && !cJSON_IsArray(list))
        sfn_request_reply_error(request, 400, "SerializationException", "The value of '%s' must be a JSON array",
                                member);
    else
        return cJSON_IsArray(list) ? list : NULL;
    *failed = true;
    return NULL;
}

/* The string item of a list, checked for its length (member names it); NULL (answered) when it is not one. */
static const char *read_list_string(struct http_request *request, const cJSON *item, const char *member, size_t minimum,
                                    size_t maximum, bool null_is_empty)
{
    if (!item || cJSON_IsNull(item)) {
        if (null_is_empty)
            return "";
        sfn_request_reply_validation(request, member, "Member must not be null");
        return NULL;
    }
    if (!cJSON_IsString(item)) {
        sfn_request_reply_error(request, 400, "SerializationException", "The value of '%s' must be a JSON string",
                                member);
        return NULL;
    }
    return check_tag_string(request, member, item->valuestring, minimum, maximum) ? item->valuestring : NULL;
}

/*
 * Reads the TagList member tags (required or not) into *pairs (malloc'd,
 * NULL when empty) and *count; answers and returns false when it is invalid.
 */
static bool read_tags(struct http_request *request, const cJSON *body, bool required, const char ***pairs,
                      size_t *count)
{
    bool failed;
    const cJSON *list = read_list(request, body, "tags", required, &failed);
    *pairs = NULL;
    *count = list ? (size_t)cJSON_GetArraySize(list) : 0;
    if (failed || !*count)
        return !failed;
    *pairs = calloc(2 * *count, sizeof(**pairs));
    if (!*pairs) {
        sfn_request_reply_unavailable(request, NULL, -ENOMEM);
        return false;
    }
    size_t index = 0;
    for (const cJSON *tag = list->child; tag; tag = tag->next, index++) {
        char key_member[48], value_member[48];
        snprintf(key_member, sizeof(key_member), "tags.%zu.member.key", index + 1);
        snprintf(value_member, sizeof(value_member), "tags.%zu.member.value", index + 1);
        if (!cJSON_IsObject(tag)) {
            sfn_request_reply_error(request, 400, "SerializationException",
                                    "The value of 'tags.%zu.member' must be a JSON object", index + 1);
            break;
        }
        const char *key = read_list_string(request, cJSON_GetObjectItemCaseSensitive(tag, "key"), key_member, 1,
                                           TAG_KEY_MAX_LENGTH, false);
        const char *value = key ? read_list_string(request, cJSON_GetObjectItemCaseSensitive(tag, "value"),
                                                   value_member, 0, TAG_VALUE_MAX_LENGTH, true)
                                : NULL;
        if (!value)
            break;
        (*pairs)[2 * index] = key;
        (*pairs)[2 * index + 1] = value;
    }
    if (index == *count)
        return true;
    free(*pairs);
    *pairs = NULL;
    return false;
}

/* How many different keys count pairs hold. */
static size_t distinct_keys(const char *const *pairs, size_t count)
{
    size_t distinct = 0;
    for (size_t i = 0; i < count; i++) {
        size_t j = 0;
        while (j < i && strcmp(pairs[2 * j], pairs[2 * i]) != 0)
            j++;
        distinct += j == i;
    }
    return distinct;
}

bool tag_api_read_create_tags(struct http_request *request, const cJSON *body, const char *arn, const char ***tags,
                              size_t *count)
{
    if (!read_tags(request, body, false, tags, count))
        return false;
    if (distinct_keys(*tags, *count) <= TAG_API_MAX_TAGS)
        return true;
    reply_too_many(request, arn);
    free(*tags);
    *tags = NULL;
    return false;
}

/* ---- the resource ---- */

/* The resource a request names, and the request until the owner answers. */
struct tag_request {
    struct http_request *request;
    struct sfn_api *api;
    bool activity; /* else a state machine */
    bool listing;
    char name[SFN_ARN_PART_SIZE];
    char arn[SFN_ARN_PART_SIZE];
};

/*
 * Reads resourceArn: a state machine's or an activity's ARN of this
 * region and account. Answers (ValidationException, InvalidArn, or
 * ResourceNotFound for any other resource) and returns false otherwise.
 */
static bool read_resource(struct http_request *request, struct sfn_api *api, const cJSON *body,
                          struct tag_request *target)
{
    char detail[512], expected[SFN_ARN_PART_SIZE] = "";
    struct activity_arn activity;
    struct sfn_arn machine;
    const char *arn = sfn_request_required_string(request, body, "resourceArn");
    if (!arn || !sfn_request_check_length(request, "resourceArn", arn, 1, 256))
        return false;
    snprintf(target->arn, sizeof(target->arn), "%s", arn);
    enum activity_arn_status status = activity_arn_parse(arn, &activity);
    if (status == ACTIVITY_ARN_VALID) {
        target->activity = true;
        snprintf(target->name, sizeof(target->name), "%s", activity.name);
        if (activities_arn(api->activities, activity.name, expected, sizeof(expected)) < 0)
            expected[0] = '\0';
    } else if (sfn_arn_parse(arn, SFN_ARN_STATE_MACHINE, &machine, detail, sizeof(detail)) == 0) {
        snprintf(target->name, sizeof(target->name), "%s", machine.state_machine);
        engine_state_machine_arn(api->engine, machine.state_machine, expected, sizeof(expected));
    } else if (status == ACTIVITY_ARN_MALFORMED) {
        sfn_request_reply_error(request, 400, "InvalidArn", "Invalid Arn: '%s'", detail);
        return false;
    }
    if (strcmp(expected, arn) == 0)
        return true;
    reply_not_found(request, arn); /* another region or account, a qualified ARN, an execution's... */
    return false;
}

static struct tag_request *new_tag_request(struct http_request *request, struct sfn_api *api, const cJSON *body)
{
    struct tag_request target = { .request = request, .api = api };
    if (!read_resource(request, api, body, &target))
        return NULL;
    struct tag_request *context = malloc(sizeof(*context));
    if (!context) {
        sfn_request_reply_unavailable(request, api, -ENOMEM);
        return NULL;
    }
    *context = target;
    return context;
}

/* {"tags": [{"key", "value"}]} of count pairs; NULL when out of memory. */
static cJSON *describe_tags(const char *const *tags, size_t count)
{
    cJSON *response = cJSON_CreateObject();
    cJSON *list = response ? cJSON_AddArrayToObject(response, "tags") : NULL;
    for (size_t i = 0; list && i < count; i++) {
        cJSON *tag = cJSON_CreateObject();
        if (!tag || !cJSON_AddItemToArray(list, tag) || !cJSON_AddStringToObject(tag, "key", tags[2 * i])
            || !cJSON_AddStringToObject(tag, "value", tags[2 * i + 1]))
            list = NULL;
    }
    if (!list) {
        cJSON_Delete(response);
        return NULL;
    }
    return response;
}

/* The owner's answer: 0 (with the tags when listing), -ENOENT, -E2BIG or a failure. Frees context. */
static void answer(struct tag_request *context, int status, const char *const *tags, size_t count)
{
    if (status == -ENOENT)
        reply_not_found(context->request, context->arn);
    else if (status == -E2BIG)
        reply_too_many(context->request, context->arn);
    else if (status < 0)
        sfn_request_reply_unavailable(context->request, context->api, status);
    else if (context->listing)
        http_request_reply_json(context->request, 200, describe_tags(tags, count));
    else
        sfn_request_reply_empty(context->request);
    free(context);
}

static void on_machine_tags(int status, enum state_machine_tags_outcome outcome, const char *const *tags, size_t count,
                            void *data)
{
    if (status == 0 && outcome == STATE_MACHINE_TAGS_NO_MACHINE)
        status = -ENOENT;
    else if (status == 0 && outcome == STATE_MACHINE_TAGS_TOO_MANY)
        status = -E2BIG;
    answer(data, status, tags, count);
}

static void on_activity_tags(int status, const char *const *tags, size_t count, void *data)
{
    answer(data, status, tags, count);
}

/* The call to the owner failed with result before sending anything: answers and frees context. */
static void sent(struct tag_request *context, int result)
{
    if (result < 0)
        answer(context, result == -ENAMETOOLONG ? -ENOENT : result, NULL, 0);
}

/* ---- the operations ---- */

void tag_api_tag(struct http_request *request, struct sfn_api *api, const cJSON *body)
{
    const char **tags;
    size_t count;
    /* The model's constraints first (ValidationException), then the ARN. */
    if (!read_tags(request, body, true, &tags, &count))
        return;
    struct tag_request *context = new_tag_request(request, api, body);
    if (!context) {
        free(tags);
        return;
    }
    const char *const *pairs = tags;
    sent(context, context->activity ? activities_tag(api->activities, context->name, pairs, count, TAG_API_MAX_TAGS,
                                                     on_activity_tags, context)
                                    : state_machine_store_tag(api->redis, context->name, pairs, count, TAG_API_MAX_TAGS,
                                                              on_machine_tags, context));
    free(tags);
}

/* Reads tagKeys (required; each 1-128 characters) into *keys (malloc'd, NULL when empty); answers when invalid. */
static bool read_tag_keys(struct http_request *request, const cJSON *body, const char ***keys, size_t *count)
{
    bool failed;
    const cJSON *list = read_list(request, body, "tagKeys", true, &failed);
    *keys = NULL;
    *count = list ? (size_t)cJSON_GetArraySize(list) : 0;
    if (failed || !*count)
        return !failed;
    *keys = calloc(*count, sizeof(**keys));
    if (!*keys) {
        sfn_request_reply_unavailable(request, NULL, -ENOMEM);
        return false;
    }
    size_t index = 0;
    for (const cJSON *item = list->child; item; item = item->next, index++) {
        char member[40];
        snprintf(member, sizeof(member), "tagKeys.%zu.member", index + 1);
        if (!((*keys)[index] = read_list_string(request, item, member, 1, TAG_KEY_MAX_LENGTH, false)))
            break;
    }
    if (index == *count)
        return true;
    free(*keys);
    *keys = NULL;
    return false;
}

void tag_api_untag(struct http_request *request, struct sfn_api *api, const cJSON *body)
{
    const char **keys;
    size_t count;
    if (!read_tag_keys(request, body, &keys, &count))
        return;
    struct tag_request *context = new_tag_request(request, api, body);
    if (!context) {
        free(keys);
        return;
    }
    const char *const *list = keys;
    sent(context, context->activity
                      ? activities_untag(api->activities, context->name, list, count, on_activity_tags, context)
                      : state_machine_store_untag(api->redis, context->name, list, count, on_machine_tags, context));
    free(keys);
}

void tag_api_list(struct http_request *request, struct sfn_api *api, const cJSON *body)
{
    struct tag_request *context = new_tag_request(request, api, body);
    if (!context)
        return;
    context->listing = true;
    sent(context, context->activity
                      ? activities_list_tags(api->activities, context->name, on_activity_tags, context)
                      : state_machine_store_list_tags(api->redis, context->name, on_machine_tags, context));
}
