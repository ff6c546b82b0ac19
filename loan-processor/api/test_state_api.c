/*
 * test_state_api - see test_state_api.h.
 *
 * The request's members are checked here; the state is run by state_test
 * (interpreter/). A Task that is not mocked runs for real through the
 * engine's task starter: the request waits, suspended, for its report or
 * for the Task's deadline (its TimeoutSeconds, or TestState's five minutes;
 * scaled by the engine's time scale), whichever comes first. The starter
 * cannot be stopped, so a call answered by its deadline stays (a tombstone)
 * until the late report arrives, which then only frees it.
 */
#include "test_state_api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "random_id.h"
#include "state_test.h"
#include "task_token.h"
#include "wall_clock.h"

_Static_assert(TEST_STATE_API_MAX_SECONDS == STATE_TEST_MAX_SECONDS, "TestState's limit is spelled twice");

/* The definition's length at most, as the model's Definition says. */
#define DEFINITION_MAX_LENGTH 1048576

/* A test waiting for its Task's report. */
struct test_call {
    struct http_request *request;
    struct sfn_api *api;
    struct state_test test;
    struct event_timer deadline; /* armed while the Task runs */
    bool answered;               /* the deadline answered: the report, when it comes, only frees the call */
};

static void test_call_free(struct test_call *call)
{
    event_loop_timer_stop(engine_loop(call->api->engine), &call->deadline);
    state_test_release(&call->test);
    free(call);
}

/* Answers with the ended test's response. */
static void reply_outcome(struct http_request *request, struct sfn_api *api, const struct state_test *test)
{
    cJSON *response = state_test_response(test);
    char *text = response ? cJSON_PrintUnformatted(response) : NULL;
    if (text)
        http_request_reply(request, 200, "application/x-amz-json-1.0", text, strlen(text));
    else
        sfn_request_reply_unavailable(request, api, -ENOMEM);
    cJSON_free(text);
    cJSON_Delete(response);
}

/* Answers with the test's outcome after result (of state_test_task_done() or state_test_expire()). */
static void reply_after(struct test_call *call, int result)
{
    if (result < 0)
        sfn_request_reply_unavailable(call->request, call->api, result);
    else
        reply_outcome(call->request, call->api, &call->test);
}

/* The Task ran past its deadline: answers now; the call waits, answered, for the report. */
static void on_deadline(struct event_timer *timer)
{
    struct test_call *call = timer->data;
    bool own = false;
    (void)state_test_task_deadline_seconds(&call->test, &own);
    reply_after(call, own ? state_test_task_done(&call->test, NULL, NULL, NULL, true) : state_test_expire(&call->test));
    state_test_release(&call->test);
    call->answered = true;
}

static void on_task_report(const struct engine_task_report *report, void *data)
{
    struct test_call *call = data;
    int result;
    if (call->answered) {
        test_call_free(call);
        return;
    }
    if (report->kind == ENGINE_TASK_SUCCEEDED || report->kind == ENGINE_TASK_SUBMITTED)
        result = state_test_task_done(&call->test, report->output ? report->output : "{}", NULL, NULL, false);
    else if (report->kind == ENGINE_TASK_FAILED)
        result = state_test_task_done(&call->test, NULL, report->error, report->cause, false);
    else
        result = state_test_task_done(&call->test, NULL, "States.TaskFailed",
                                      report->cause ? report->cause : "The task could not be started", false);
    reply_after(call, result);
    test_call_free(call);
}

/* Runs the test's Task through the engine; answers (and frees call) when it cannot start. */
static void start_task(struct test_call *call)
{
    const struct task_request *task = state_test_task(&call->test);
    struct engine_task lone = {
        .execution_arn = call->test.execution_arn,
        .token = task->token,
        .resource_arn = task->resource_arn,
        .is_activity = task->is_activity,
        .resource_type = task->resource_type,
        .resource = task->resource,
        .parameters = task->parameters,
    };
    bool own = false;
    double deadline_ms =
        (double)state_test_task_deadline_seconds(&call->test, &own) * 1000.0 * engine_time_scale(call->api->engine);
    event_loop_timer_start(engine_loop(call->api->engine), &call->deadline, (uint64_t)deadline_ms, on_deadline, call);
    int result = engine_start_lone_task(call->api->engine, &lone, on_task_report, call);
    if (result == 0)
        return;
    event_loop_timer_stop(engine_loop(call->api->engine), &call->deadline);
    if (state_test_task_done(&call->test, NULL, "States.TaskFailed", "The task could not be started", false) == 0)
        reply_outcome(call->request, call->api, &call->test);
    else
        sfn_request_reply_unavailable(call->request, call->api, -ENOMEM);
    test_call_free(call);
}

/* Reads the mock: answers and returns false when it is malformed. */
static bool read_mock(struct http_request *request, const cJSON *body, struct state_test_request *test)
{
    static const char *const modes[] = { "STRICT", "PRESENT", "NONE" };
    const cJSON *mock = cJSON_GetObjectItemCaseSensitive(body, "mock");
    const char *mode = NULL;
    if (!mock || cJSON_IsNull(mock))
        return true;
    const cJSON *error_output = cJSON_GetObjectItemCaseSensitive(mock, "errorOutput");
    if (!cJSON_IsObject(mock)) {
        sfn_request_reply_validation(request, "mock", "Member must be an object");
        return false;
    }
    if (!sfn_request_optional_string(request, mock, "result", &test->mock_result)
        || !sfn_request_enum(request, mock, "fieldValidationMode", modes, 3, &mode))
        return false;
    if (error_output && !cJSON_IsObject(error_output)) {
        sfn_request_reply_validation(request, "mock.errorOutput", "Member must be an object");
        return false;
    }
    if (error_output
        && (!sfn_request_optional_string(request, error_output, "error", &test->mock_error)
            || !sfn_request_optional_string(request, error_output, "cause", &test->mock_cause)))
        return false;
    if (test->mock_result && error_output) {
        sfn_request_reply_error(request, 400, "ValidationException",
                                "A test mock should have only one of the following fields: [result, errorOutput].");
        return false;
    }
    if (!test->mock_result && !error_output) {
        sfn_request_reply_error(request, 400, "ValidationException",
                                "A mock must specify exactly one of result and errorOutput.");
        return false;
    }
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(body, "revealSecrets"))) {
        sfn_request_reply_error(request, 400, "ValidationException",
                                "TestState does not support RevealSecrets when a mock is specified.");
        return false;
    }
    if (error_output && !test->mock_error) {
        sfn_request_reply_error(request, 400, "ValidationException",
                                "The error field is required if mock.errorOutput is specified.");
        return false;
    }
    /* Our integrations have no API models: STRICT and PRESENT check that the result is JSON, and so does NONE. */
    if (test->mock_result && !sfn_request_valid_json(test->mock_result)) {
        sfn_request_reply_error(request, 400, "ValidationException", "The mocked result is not valid JSON.");
        return false;
    }
    test->mocked = true;
    return true;
}

/* Reads stateConfiguration.retrierRetryCount; answers and returns false when it is malformed. */
static bool read_configuration(struct http_request *request, const cJSON *body, struct state_test_request *test)
{
    const cJSON *configuration = cJSON_GetObjectItemCaseSensitive(body, "stateConfiguration");
    const cJSON *count = cJSON_GetObjectItemCaseSensitive(configuration, "retrierRetryCount");
    test->retrier_retry_count = -1;
    if (configuration && !cJSON_IsObject(configuration) && !cJSON_IsNull(configuration)) {
        sfn_request_reply_validation(request, "stateConfiguration", "Member must be an object");
        return false;
    }
    if (!count || cJSON_IsNull(count))
        return true;
    if (!cJSON_IsNumber(count) || count->valuedouble < 0 || count->valuedouble > 2147483647.0) {
        sfn_request_reply_validation(request, "stateConfiguration.retrierRetryCount",
                                     "Member must have value greater than or equal to 0");
        return false;
    }
    test->retrier_retry_count = (long)count->valuedouble;
    return true;
}

/* Reads the request's members into test; answers and returns false when one is refused. */
static bool read_request(struct http_request *request, const cJSON *body, struct state_test_request *test)
{
    static const char *const levels[] = { "INFO", "DEBUG", "TRACE" };
    const char *level = NULL, *context = NULL;
    test->definition = sfn_request_required_string(request, body, "definition");
    if (!test->definition
        || !sfn_request_check_length(request, "definition", test->definition, 1, DEFINITION_MAX_LENGTH)
        || !sfn_request_optional_string(request, body, "roleArn", &test->role_arn)
        || (test->role_arn && !sfn_request_check_length(request, "roleArn", test->role_arn, 1, 256))
        || !sfn_request_optional_string(request, body, "input", &test->input)
        || (test->input && !sfn_request_check_payload(request, "input", test->input))
        || !sfn_request_optional_string(request, body, "variables", &test->variables)
        || (test->variables && !sfn_request_check_payload(request, "variables", test->variables))
        || !sfn_request_optional_string(request, body, "stateName", &test->state_name)
        || (test->state_name && !sfn_request_check_length(request, "stateName", test->state_name, 1, 80))
        || !sfn_request_optional_string(request, body, "context", &context)
        || !sfn_request_enum(request, body, "inspectionLevel", levels, 3, &level) || !read_mock(request, body, test)
        || !read_configuration(request, body, test))
        return false;
    if (test->role_arn && strncmp(test->role_arn, "arn:", 4) != 0) {
        sfn_request_reply_error(request, 400, "InvalidArn",
                                "Invalid Arn: 'Resource type not valid in this context: "
                                "%s'",
                                test->role_arn);
        return false;
    }
    if (test->input && !sfn_request_valid_json(test->input)) {
        sfn_request_reply_error(request, 400, "InvalidExecutionInput",
                                "Invalid State Machine Execution Input: 'The input is not one JSON value'");
        return false;
    }
    if (context && !test->mocked) {
        sfn_request_reply_error(request, 400, "ValidationException",
                                "The context field may only be specified if a mock is specified.");
        return false;
    }
    test->level = !level || strcmp(level, "INFO") == 0 ? STATE_TEST_INFO
                  : strcmp(level, "DEBUG") == 0        ? STATE_TEST_DEBUG
                                                       : STATE_TEST_TRACE;
    return true;
}

/* The region of an ARN (its fourth field) into out. */
static const char *region_of(const char *arn, char *out, size_t size)
{
    const char *start = arn;
    for (int field = 0; field < 3 && start; field++)
        start = strchr(start, ':') ? strchr(start, ':') + 1 : NULL;
    size_t length = start ? strcspn(start, ":") : 0;
    snprintf(out, size, "%.*s", (int)length, start ? start : "");
    return out;
}

static const char *const refusal_codes[] = {
    [STATE_TEST_INVALID_DEFINITION] = "InvalidDefinition",
    [STATE_TEST_VALIDATION] = "ValidationException",
};

void test_state_api_test(struct http_request *request, struct sfn_api *api, const cJSON *body)
{
    struct state_test_request test = { 0 };
    char machine_arn[256], execution_arn[384], name[RANDOM_ID_NANOID_SIZE], region[64], message[1536];
    char execution_id[TASK_TOKEN_EXECUTION_ID_SIZE], *token = NULL;
    enum state_test_refusal refusal = STATE_TEST_VALIDATION;
    if (!read_request(request, body, &test))
        return;
    struct test_call *call = calloc(1, sizeof(*call));
    int result = call ? random_id_nanoid(name) : -ENOMEM;
    if (result == 0) {
        snprintf(execution_id, sizeof(execution_id), "TestState:%s", name);
        result = task_token_create(execution_id, &token);
    }
    if (result < 0) {
        free(call);
        sfn_request_reply_unavailable(request, api, -ENOMEM);
        return;
    }
    *call = (struct test_call){ .request = request, .api = api };
    engine_state_machine_arn(api->engine, "TestState", machine_arn, sizeof(machine_arn));
    if (engine_execution_arn(machine_arn, name, execution_arn, sizeof(execution_arn)) < 0)
        execution_arn[0] = '\0';
    test.execution_arn = execution_arn;
    test.state_machine_arn = machine_arn;
    test.region = region_of(machine_arn, region, sizeof(region));
    test.now_ms = wall_clock_now_ms();
    test.token = token;
    test.random_bytes = random_id_fill;
    result = state_test_begin(&test, &call->test, &refusal, message, sizeof(message));
    free(token);
    if (result == -EINVAL)
        sfn_request_reply_error(request, 400, refusal_codes[refusal], "%s", message);
    else if (result < 0)
        sfn_request_reply_unavailable(request, api, result);
    else if (state_test_waits(&call->test)) {
        start_task(call);
        return;
    } else
        reply_outcome(request, api, &call->test);
    test_call_free(call);
}
