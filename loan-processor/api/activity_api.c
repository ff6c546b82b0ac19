/*
 * activity_api - see activity_api.h.
 *
 * Each operation checks its request the way the service model does, then
 * asks the activities module and answers from its callback; the request
 * pointer stays valid until answered (http_server's contract).
 */
#include "activity_api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activities.h"
#include "activity_arn.h"
#include "engine.h"
#include "json_util.h"
#include "sfn_api_request.h"
#include "tag_api.h"

static void reply_no_such_activity(struct http_request *request, const char *arn)
{
    sfn_request_reply_error(request, 400, "ActivityDoesNotExist", "Activity Does Not Exist: '%s'", arn);
}

/*
 * Reads and checks activityArn into *arn and the activity's name into
 * parsed. *ours tells whether it is an ARN of this region and account (any
 * other names no activity here). Answers and returns false when the member
 * is missing or not an activity's ARN.
 */
static bool read_activity_arn(struct http_request *request, const struct sfn_api *api, const cJSON *body,
                              const char **arn, struct sfn_arn *parsed, bool *ours)
{
    char expected[ACTIVITY_ARN_SIZE];
    *arn = sfn_request_arn(request, body, "activityArn", SFN_ARN_ACTIVITY, parsed);
    if (!*arn)
        return false;
    if (!sfn_request_valid_name(parsed->activity)) {
        sfn_request_reply_error(request, 400, "InvalidArn", "Invalid Arn: 'Invalid ARN prefix: %s'", *arn);
        return false;
    }
    *ours = activities_arn(api->activities, parsed->activity, expected, sizeof(expected)) == 0
            && strcmp(expected, *arn) == 0;
    return true;
}

/* A request waiting for the activities module, with the ARN its answer may quote. */
struct activity_request {
    struct http_request *request;
    struct sfn_api *api;
    char arn[ACTIVITY_ARN_SIZE];
    long offset;                    /* ListActivities: the page's first activity */
    activity_claim_done claim_done; /* GetActivityTask: the claim in flight, if any */
    void *claim_context;
};

/* A context for request and arn; answers 500 and returns NULL when out of memory. */
static struct activity_request *new_activity_request(struct http_request *request, struct sfn_api *api, const char *arn)
{
    struct activity_request *context = calloc(1, sizeof(*context));
    if (!context) {
        sfn_request_reply_unavailable(request, api, -ENOMEM);
        return NULL;
    }
    context->request = request;
    context->api = api;
    snprintf(context->arn, sizeof(context->arn), "%s", arn);
    return context;
}

/* An operation's call failed with result before sending anything: answers and frees context. */
static void fail_activity_request(struct activity_request *context, int result)
{
    sfn_request_reply_unavailable(context->request, context->api, result);
    free(context);
}

/* {"activityArn", "name"?, "creationDate"} of activity; NULL when out of memory. */
static cJSON *describe_activity(const struct activity_description *activity, bool with_name)
{
    cJSON *response = cJSON_CreateObject();
    if (!response || !cJSON_AddStringToObject(response, "activityArn", activity->arn)
        || (with_name && !cJSON_AddStringToObject(response, "name", activity->name))
        || !json_add_epoch_seconds(response, "creationDate", activity->created_ms)) {
        cJSON_Delete(response);
        return NULL;
    }
    return response;
}

/* ---- CreateActivity ---- */

static void on_activity_created(int status, const struct activity_description *activity, void *data)
{
    struct activity_request *context = data;
    if (status == -EDQUOT)
        sfn_request_reply_error(context->request, 400, "ActivityLimitExceeded",
                                "Activity Limit Exceeded: 'The maximum number of activities has been reached'");
    else if (status < 0)
        sfn_request_reply_unavailable(context->request, context->api, status);
    else
        http_request_reply_json(context->request, 200, describe_activity(activity, false));
    free(context);
}

void activity_api_create(struct http_request *request, struct sfn_api *api, const cJSON *body)
{
    const char *name = sfn_request_required_string(request, body, "name");
    if (!name || !sfn_request_check_length(request, "name", name, 1, 80))
        return;
    if (!sfn_request_valid_name(name)) {
        sfn_request_reply_error(request, 400, "InvalidName", "Invalid Name: '%s'", name);
        return;
    }
    char arn[ACTIVITY_ARN_SIZE] = "";
    const char **tags;
    size_t tag_count;
    if (activities_arn(api->activities, name, arn, sizeof(arn)) < 0) {
        sfn_request_reply_unavailable(request, api, -ENOMEM);
        return;
    }
    if (!tag_api_read_create_tags(request, body, arn, &tags, &tag_count))
        return;
    struct activity_request *context = new_activity_request(request, api, "");
    int result =
        context ? activities_create_tagged(api->activities, name, tags, tag_count, on_activity_created, context) : 0;
    if (result < 0)
        fail_activity_request(context, result);
    free(tags);
}

/* ---- DescribeActivity ---- */

static void on_activity_described(int status, const struct activity_description *activity, void *data)
{
    struct activity_request *context = data;
    if (status < 0)
        sfn_request_reply_unavailable(context->request, context->api, status);
    else if (!activity)
        reply_no_such_activity(context->request, context->arn);
    else
        http_request_reply_json(context->request, 200, describe_activity(activity, true));
    free(context);
}

void activity_api_describe(struct http_request *request, struct sfn_api *api, const cJSON *body)
{
    struct sfn_arn parsed;
    const char *arn;
    bool ours;
    if (!read_activity_arn(request, api, body, &arn, &parsed, &ours))
        return;
    if (!ours) {
        reply_no_such_activity(request, arn);
        return;
    }
    struct activity_request *context = new_activity_request(request, api, arn);
    int result = context ? activities_describe(api->activities, parsed.activity, on_activity_described, context) : 0;
    if (result < 0)
        fail_activity_request(context, result);
}

/* ---- ListActivities ---- */

/* {"activities": [...], "nextToken"?} for a page that starts at offset; NULL when out of memory. */
static cJSON *activity_page(const struct activity_description *activities, size_t count, bool more, long offset)
{
    cJSON *response = cJSON_CreateObject();
    cJSON *list = response ? cJSON_AddArrayToObject(response, "activities") : NULL;
    bool ok = list != NULL;
    for (size_t i = 0; ok && i < count; i++) {
        cJSON *item = describe_activity(&activities[i], true);
        ok = item && cJSON_AddItemToArray(list, item);
        if (!ok)
            cJSON_Delete(item);
    }
    if (ok && more) {
        char next[24];
        snprintf(next, sizeof(next), "%ld", offset + (long)count);
        ok = cJSON_AddStringToObject(response, "nextToken", next) != NULL;
    }
    if (!ok) {
        cJSON_Delete(response);
        return NULL;
    }
    return response;
}

static void on_activities_listed(int status, const struct activity_description *activities, size_t count, bool more,
                                 void *data)
{
    struct activity_request *context = data;
    if (status < 0)
        sfn_request_reply_unavailable(context->request, context->api, status);
    else
        http_request_reply_json(context->request, 200, activity_page(activities, count, more, context->offset));
    free(context);
}

void activity_api_list(struct http_request *request, struct sfn_api *api, const cJSON *body)
{
    long max_results, offset;
    if (!sfn_request_page(request, body, &max_results, &offset))
        return;
    struct activity_request *context = new_activity_request(request, api, "");
    if (!context)
        return;
    context->offset = offset;
    int result = activities_list(api->activities, offset, max_results, on_activities_listed, context);
    if (result < 0)
        fail_activity_request(context, result);
}

/* ---- DeleteActivity ---- */

static void on_activity_deleted(int status, void *data)
{
    struct activity_request *context = data;
    if (status < 0)
        sfn_request_reply_unavailable(context->request, context->api, status);
    else
        sfn_request_reply_empty(context->request);
    free(context);
}

void activity_api_delete(struct http_request *request, struct sfn_api *api, const cJSON *body)
{
    struct sfn_arn parsed;
    const char *arn;
    bool ours;
    if (!read_activity_arn(request, api, body, &arn, &parsed, &ours))
        return;
    if (!ours) {
        sfn_request_reply_empty(request); /* nothing of that ARN here: deleting it changes nothing, as on AWS */
        return;
    }
    struct activity_request *context = new_activity_request(request, api, arn);
    int result = context ? activities_delete(api->activities, parsed.activity, on_activity_deleted, context) : 0;
    if (result < 0)
        fail_activity_request(context, result);
}

/* ---- GetActivityTask ---- */

static bool poll_still_wanted(void *data)
{
    struct activity_request *context = data;
    return http_request_client_connected(context->request);
}

static void on_claim_recorded(int status, const char *execution_arn, const char *execution_status, void *data)
{
    struct activity_request *context = data;
    (void)execution_arn;
    (void)execution_status;
    context->claim_done(status, context->claim_context);
}

/* The poller's task is being handed over: the engine records ActivityStarted for the worker. */
static int poll_claim(const char *token, const char *worker_name, activity_claim_done done, void *claim_context,
                      void *data)
{
    struct activity_request *context = data;
    context->claim_done = done;
    context->claim_context = claim_context;
    return engine_activity_started(context->api->engine, token, worker_name, on_claim_recorded, context);
}

/* {"taskToken", "input"}; NULL when out of memory. */
static cJSON *activity_task(const char *token, const char *input)
{
    cJSON *response = cJSON_CreateObject();
    if (!response || !cJSON_AddStringToObject(response, "taskToken", token)
        || !cJSON_AddStringToObject(response, "input", input)) {
        cJSON_Delete(response);
        return NULL;
    }
    return response;
}

static void poll_answer(int status, const char *token, const char *input, void *data)
{
    struct activity_request *context = data;
    if (status == 0 && token)
        http_request_reply_json(context->request, 200, activity_task(token, input));
    else if (status == 0 || status == -ECANCELED)
        sfn_request_reply_empty(context->request); /* nothing came in time, or nobody reads it: the client went away */
    else if (status == -ENOENT)
        reply_no_such_activity(context->request, context->arn);
    else
        sfn_request_reply_unavailable(context->request, context->api, status);
    free(context);
}

void activity_api_get_task(struct http_request *request, struct sfn_api *api, const cJSON *body)
{
    struct sfn_arn parsed;
    const char *arn;
    bool ours;
    const char *worker_name;
    if (!sfn_request_optional_string(request, body, "workerName", &worker_name)
        || !read_activity_arn(request, api, body, &arn, &parsed, &ours)
        || (worker_name && !sfn_request_check_length(request, "workerName", worker_name, 1, 80)))
        return;
    if (!ours) {
        reply_no_such_activity(request, arn);
        return;
    }
    struct activity_request *context = new_activity_request(request, api, arn);
    if (!context)
        return;
    struct activity_poll poll = {
        .name = parsed.activity,
        .worker_name = worker_name,
        .still_wanted = poll_still_wanted,
        .claim = poll_claim,
        .answer = poll_answer,
        .data = context,
    };
    int result = activities_poll(api->activities, &poll);
    if (result == -EBUSY)
        sfn_request_reply_error(request, 400, "ActivityWorkerLimitExceeded",
                                "Activity Worker Limit Exceeded: 'Too many workers are waiting for activity tasks on "
                                "this loan-processor (ACTIVITY_MAX_POLLERS); retry later'");
    else if (result == -ESHUTDOWN)
        sfn_request_reply_empty(request); /* shutting down: no task for this worker here */
    else if (result < 0)
        sfn_request_reply_unavailable(request, api, result);
    if (result < 0)
        free(context);
}
