/*
 * sfn_api - see sfn_api.h.
 */
#include "sfn_api.h"

#include <errno.h>
#include <string.h>

#include "access_token.h"
#include "activity_api.h"
#include "execution_api.h"
#include "execution_machine_api.h"
#include "json_util.h"
#include "map_run_api.h"
#include "state_machine_api.h"
#include "sync_execution_api.h"
#include "tag_api.h"
#include "task_api.h"
#include "test_state_api.h"
#include "utf8.h"
#include "validate_api.h"
#include "version_api.h"

#define TARGET_PREFIX "AWSStepFunctions."

static const struct {
    const char *name;
    sfn_operation *handle;
} operations[] = {
    { "StartExecution", execution_api_start },
    { "DescribeExecution", execution_api_describe },
    { "GetExecutionHistory", execution_api_get_history },
    { "SendTaskSuccess", task_api_success },
    { "SendTaskFailure", task_api_failure },
    { "SendTaskHeartbeat", task_api_heartbeat },
    { "ListExecutions", execution_api_list },
    { "StopExecution", execution_api_stop },
    { "RedriveExecution", execution_api_redrive },
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
    { "DescribeMapRun", map_run_api_describe },
    { "ListMapRuns", map_run_api_list },
    { "UpdateMapRun", map_run_api_update },
    { "ValidateStateMachineDefinition", validate_api_validate },
    { "DescribeStateMachineForExecution", execution_machine_api_describe },
    { "StartSyncExecution", sync_execution_api_start },
    { "TestState", test_state_api_test },
    { "PublishStateMachineVersion", version_api_publish },
    { "ListStateMachineVersions", version_api_list_versions },
    { "DeleteStateMachineVersion", version_api_delete_version },
    { "CreateStateMachineAlias", version_api_create_alias },
    { "DescribeStateMachineAlias", version_api_describe_alias },
    { "UpdateStateMachineAlias", version_api_update_alias },
    { "DeleteStateMachineAlias", version_api_delete_alias },
    { "ListStateMachineAliases", version_api_list_aliases },
    { "TagResource", tag_api_tag },
    { "UntagResource", tag_api_untag },
    { "ListTagsForResource", tag_api_list },
};

/* The longest part of a refused value quoted in an error message. */
#define QUOTED_VALUE_BYTES 256

/*
 * Answers a body that is not UTF-8 with SerializationException in the words
 * of AWS's JSON reader (Jackson): the first byte that cannot start a
 * character, or the one that cannot continue it.
 */
static void reply_not_utf8(struct http_request *request, const char *text, size_t length)
{
    size_t offset = utf8_first_invalid(text, length);
    const unsigned char *bytes = (const unsigned char *)text;
    unsigned char lead = bytes[offset];
    if (lead >= 0xc2 && lead <= 0xf4 && offset + 1 < length && (bytes[offset + 1] & 0xc0) != 0x80)
        sfn_request_reply_error(request, 400, "SerializationException",
                                "Invalid UTF-8 middle byte 0x%02x (byte %zu of the request body)", bytes[offset + 1],
                                offset + 1);
    else
        sfn_request_reply_error(request, 400, "SerializationException",
                                "Invalid UTF-8 start byte 0x%02x (byte %zu of the request body)", lead, offset);
}

static bool ends_with(const char *text, const char *suffix)
{
    size_t length = strlen(text), suffix_length = strlen(suffix);
    return length >= suffix_length && strcmp(text + length - suffix_length, suffix) == 0;
}

/* Answers the error AWS gives for a NUL character (\u0000) in member, whose value is value. */
static void reply_nul_in(struct http_request *request, const char *member, const cJSON *value)
{
    char quoted[QUOTED_VALUE_BYTES];
    utf8_quote(quoted, sizeof(quoted), cJSON_IsString(value) ? value->valuestring : "",
               cJSON_IsString(value) ? strlen(value->valuestring) : 0);
    if (strcmp(member, "name") == 0)
        sfn_request_reply_error(request, 400, "InvalidName", "Invalid Name: '%s'", quoted);
    else if (strcmp(member, "input") == 0)
        sfn_request_reply_error(request, 400, "InvalidExecutionInput",
                                "Invalid State Machine Execution Input: 'Illegal character (NUL, code 0): the input "
                                "is not one JSON value'");
    else if (strcmp(member, "output") == 0)
        sfn_request_reply_error(request, 400, "InvalidOutput", "Invalid Output: 'The output is not valid JSON'");
    else if (strcmp(member, "taskToken") == 0)
        sfn_request_reply_error(request, 400, "InvalidToken", "Invalid Token: 'Invalid token'");
    else if (strcmp(member, "definition") == 0)
        sfn_request_reply_error(request, 400, "InvalidDefinition",
                                "Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION: Illegal character (NUL, "
                                "code 0)'");
    else if (ends_with(member, "Arn"))
        sfn_request_reply_error(request, 400, "InvalidArn", "Invalid Arn: '%s'", quoted);
    else
        sfn_request_reply_validation(request, member, "Member must not contain the NUL character (\\u0000)");
}

/*
 * Parses the body as a JSON object that is UTF-8 and holds no NUL character;
 * answers (SerializationException, or the error of the member holding a NUL)
 * and returns NULL when it is not.
 */
static cJSON *read_body(struct http_request *request)
{
    size_t length;
    const char *text = http_request_body(request, &length);
    cJSON *body = NULL;
    int result = json_parse_request(length ? text : "{}", length ? length : 2, &body);
    if (result == -EILSEQ) {
        reply_not_utf8(request, text, length);
        return NULL;
    }
    if (result < 0 || !cJSON_IsObject(body)) {
        cJSON_Delete(body);
        if (result == -ENOMEM)
            sfn_request_reply_error(request, 500, "InternalFailure", "Out of memory");
        else
            sfn_request_reply_error(request, 400, "SerializationException", "The request body is not a JSON object");
        return NULL;
    }
    for (const cJSON *member = body->child; member; member = member->next) {
        if (json_has_nul(member)) {
            reply_nul_in(request, member->string, member);
            cJSON_Delete(body);
            return NULL;
        }
    }
    return body;
}

/* With API_TOKEN set: whether the request carries it (or the console's cookie); answers 401 when it does not. */
static bool authorized(struct http_request *request, const struct sfn_api *api)
{
    if (!api->api_token || !api->api_token[0]
        || access_token_bearer_matches(api->api_token, http_request_header(request, "Authorization"))
        || (api->console_token && api->console_token[0]
            && access_token_cookie_matches(api->console_token, http_request_header(request, "Cookie"), "token")))
        return true;
    sfn_request_reply_error(request, 401, "UnrecognizedClientException",
                            "The security token included in the request is invalid.");
    return false;
}

void sfn_api_handle(struct http_request *request, void *data)
{
    struct sfn_api *api = data;
    if (!authorized(request, api))
        return;
    const char *target = http_request_header(request, "X-Amz-Target");

    if (!target || strncmp(target, TARGET_PREFIX, strlen(TARGET_PREFIX)) != 0) {
        sfn_request_reply_error(request, 400, "UnknownOperationException",
                                "Missing or unknown X-Amz-Target header: expected AWSStepFunctions.<Operation>");
        return;
    }
    const char *operation = target + strlen(TARGET_PREFIX);
    for (size_t i = 0; i < sizeof(operations) / sizeof(operations[0]); i++) {
        if (strcmp(operations[i].name, operation) != 0)
            continue;
        cJSON *body = read_body(request);
        if (!body)
            return;
        operations[i].handle(request, api, body);
        cJSON_Delete(body);
        return;
    }
    sfn_request_reply_error(request, 400, "UnknownOperationException", "Unknown operation %s", operation);
}
