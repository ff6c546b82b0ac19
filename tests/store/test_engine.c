/*
 * test_engine.c - loan-processor/engine over a real redis-server: task
 * outcomes, their races and the compare-and-set retries behind them, and
 * StopExecution. The task starter is the test's own: it records the task
 * and reports it submitted, as a .waitForTaskToken integration does.
 *
 * A race is made deterministic by queueing a command on the engine's own
 * Redis connection: commands of one connection run in the order they were
 * sent, so a write queued right after the engine sent its load (HGETALL)
 * runs after that load and before the commit the engine sends once the
 * load is answered.
 */
#include <errno.h>
#include <string.h>

#include "engine.h"
#include "engine_internal.h"
#include "execution_store.h"
#include "redis_server.h"
#include "stored_history.h"
#include "test.h"

#define WAIT_MS 5000
#define MACHINE_NAME "Machine"
#define MACHINE_ARN "arn:aws:states:us-east-1:123456789012:stateMachine:" MACHINE_NAME
#define EXECUTION_ARN_PREFIX "arn:aws:states:us-east-1:123456789012:execution:" MACHINE_NAME ":"
#define DEFINITION                                                                                       \
    "{\"StartAt\":\"Valuation\",\"States\":{"                                                            \
    "\"Valuation\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:states:::lambda:invoke.waitForTaskToken\"," \
    "\"Parameters\":{\"FunctionName\":\"Valuation\",\"Payload\":{\"taskToken.$\":\"$$.Task.Token\"}},"   \
    "\"Next\":\"Done\"},"                                                                                \
    "\"Done\":{\"Type\":\"Succeed\"}}}"
/* The records the test's engine keeps for task outcomes (engine_config.resting_records). */
#define RESTING_RECORDS 4
/* How many tries the engine gives a change before -EBUSY (engine.h: "8 tries"). */
#define COMMIT_ATTEMPTS 8

static struct redis_server server;
static struct event_loop *loop;
static struct redis_client *client;
static struct engine *engine;

/* The tasks the engine asked the test's starter to start; each is reported submitted on the next loop turn. */
static struct started {
    int calls;
    char token[512];
    char resource_type[32];
    char resource[64];
    char payload_token[512]; /* the token the resolved Parameters carry */
    engine_task_report_callback report;
    void *data;
    struct event_timer timer;
} started;

/* Whether the starter reports its submissions without an output (engine.h: taken as {}). */
static bool submit_without_output;
/* Whether the starter holds its report until the test sends it (release_submission()). */
static bool hold_submission;

static void on_submit_due(struct event_timer *timer)
{
    (void)timer;
    /* What lambda:invoke answers for an asynchronous start. */
    struct engine_task_report report = { ENGINE_TASK_SUBMITTED, submit_without_output ? NULL : "{\"StatusCode\":202}",
                                         NULL, NULL };
    engine_task_report_callback callback = started.report;
    started.report = NULL;
    callback(&report, started.data);
}

static int start_task(void *context, const struct engine_task *task, engine_task_report_callback report, void *data)
{
    (void)context;
    const cJSON *payload = cJSON_GetObjectItemCaseSensitive(task->parameters, "Payload");
    const cJSON *token = cJSON_GetObjectItemCaseSensitive(payload, "taskToken");
    started.calls++;
    snprintf(started.token, sizeof(started.token), "%s", task->token);
    snprintf(started.resource_type, sizeof(started.resource_type), "%s", task->resource_type);
    snprintf(started.resource, sizeof(started.resource), "%s", task->resource);
    snprintf(started.payload_token, sizeof(started.payload_token), "%s",
             cJSON_IsString(token) ? token->valuestring : "");
    started.report = report;
    started.data = data;
    if (!hold_submission)
        event_loop_timer_start(loop, &started.timer, 0, on_submit_due, NULL);
    return 0;
}

static int check_activity(void *context, const char *activity_arn, engine_status_callback callback, void *data)
{
    (void)context;
    (void)activity_arn;
    (void)callback;
    (void)data;
    return -ENOTSUP; /* the test's definition has no activity */
}

/* What an engine callback reported. */
struct outcome {
    bool done;
    int calls;
    int status;
    char execution_arn[256];
    char execution_status[32];
    int64_t ms;
};

static void on_task(int status, const char *execution_arn, const char *execution_status, void *data)
{
    struct outcome *outcome = data;
    outcome->done = true;
    outcome->calls++;
    outcome->status = status;
    snprintf(outcome->execution_arn, sizeof(outcome->execution_arn), "%s", execution_arn ? execution_arn : "");
    snprintf(outcome->execution_status, sizeof(outcome->execution_status), "%s",
             execution_status ? execution_status : "");
}

static void on_machine(int status, const struct engine_machine_result *result, void *data)
{
    struct outcome *outcome = data;
    outcome->done = true;
    outcome->calls++;
    outcome->status = status;
    outcome->ms = result->date_ms;
    snprintf(outcome->execution_arn, sizeof(outcome->execution_arn), "%s", result->arn ? result->arn : "");
}

static void on_started(int status, const char *execution_arn, int64_t start_ms, void *data)
{
    struct outcome *outcome = data;
    outcome->done = true;
    outcome->calls++;
    outcome->status = status;
    outcome->ms = start_ms;
    snprintf(outcome->execution_arn, sizeof(outcome->execution_arn), "%s", execution_arn ? execution_arn : "");
}

static void on_stopped(int status, int64_t stop_ms, void *data)
{
    struct outcome *outcome = data;
    outcome->done = true;
    outcome->calls++;
    outcome->status = status;
    outcome->ms = stop_ms;
}

/* Waits for the callback of an operation that returned result; false when it was not sent or not answered once. */
static bool answered(int result, struct outcome *outcome)
{
    return result == 0 && redis_server_run_until_flag(loop, &outcome->done, WAIT_MS) && outcome->calls == 1;
}

/* The record key of execution name of the test's machine (static buffer). */
static const char *record_key(const char *name)
{
    static char key[EXECUTION_STORE_KEY_SIZE];
    char id[128];
    snprintf(id, sizeof(id), MACHINE_NAME ":%s", name);
    snprintf(key, sizeof(key), "{sfn:%02u}:execution:%s", execution_store_shard(id), id);
    return key;
}

static const char *history_key(const char *name)
{
    static char key[EXECUTION_STORE_KEY_SIZE];
    char id[128];
    snprintf(id, sizeof(id), MACHINE_NAME ":%s", name);
    snprintf(key, sizeof(key), "{sfn:%02u}:history:%s", execution_store_shard(id), id);
    return key;
}

/* The string of field in execution name's record, or "" (static buffer). */
static const char *stored_field(const char *name, const char *field)
{
    static char value[1024];
    char *text = redis_server_string(&server, "HGET %s %s", record_key(name), field);
    snprintf(value, sizeof(value), "%s", text ? text : "");
    free(text);
    return value;
}

static long long history_length(const char *name)
{
    return redis_server_integer(&server, "LLEN %s", history_key(name));
}

/* The events of name's history as a JSON array (the caller deletes it), or NULL. */
static cJSON *history(const char *name)
{
    redisReply *reply = redis_server_command(&server, "LRANGE %s 0 -1", history_key(name));
    cJSON *events = reply && reply->type == REDIS_REPLY_ARRAY ? cJSON_CreateArray() : NULL;
    for (size_t i = 0; events && i < reply->elements; i++) {
        char *event = stored_history_event(reply->element[i], (long)i);
        cJSON_AddItemToArray(events, cJSON_Parse(event ? event : ""));
        free(event);
    }
    if (reply)
        freeReplyObject(reply);
    return events;
}

/*
 * How many events of type name's history holds; the id of the last one in
 * *id when id is not NULL, its previousEventId in *previous when previous is
 * not NULL.
 */
static int count_events_following(const char *name, const char *type, long *id, long *previous)
{
    cJSON *events = history(name);
    const cJSON *event;
    int count = 0;
    cJSON_ArrayForEach(event, events)
    {
        const cJSON *event_type = cJSON_GetObjectItemCaseSensitive(event, "type");
        if (!cJSON_IsString(event_type) || strcmp(event_type->valuestring, type) != 0)
            continue;
        count++;
        if (id)
            *id = (long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(event, "id"));
        if (previous)
            *previous = (long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(event, "previousEventId"));
    }
    cJSON_Delete(events);
    return count;
}

/* How many events of type name's history holds; the id of the last one in *id when id is not NULL. */
static int count_events(const char *name, const char *type, long *id)
{
    return count_events_following(name, type, id, NULL);
}

/* The string member of the details (details_name) of name's first event of type, or "" (static buffer). */
static const char *event_detail(const char *name, const char *type, const char *details_name, const char *member)
{
    static char value[256];
    cJSON *events = history(name);
    const cJSON *event;
    value[0] = '\0';
    cJSON_ArrayForEach(event, events)
    {
        const cJSON *event_type = cJSON_GetObjectItemCaseSensitive(event, "type");
        if (!cJSON_IsString(event_type) || strcmp(event_type->valuestring, type) != 0)
            continue;
        const cJSON *details = cJSON_GetObjectItemCaseSensitive(event, details_name);
        const cJSON *item = cJSON_GetObjectItemCaseSensitive(details, member);
        snprintf(value, sizeof(value), "%s", cJSON_IsString(item) ? item->valuestring : "");
        break;
    }
    cJSON_Delete(events);
    return value;
}

/*
 * Whether the start of execution name's task is confirmed: its submission is
 * committed, and the engine has read the commit's answer (Redis may show the
 * commit to this test's own connection before the engine's client reads it).
 */
static bool task_submitted(void *data)
{
    return redis_client_pending(client) == 0 && count_events(data, "TaskSubmitted", NULL) == 1 && !started.report
           && redis_server_integer(&server, "HEXISTS %s taskStartDue", record_key(data)) == 0;
}

/* Creates the test's machine and starts execution name; true once both are answered. */
static bool begin(const char *name)
{
    struct outcome machine = { 0 }, execution = { 0 };
    char error[256];
    struct engine_machine_spec spec = {
        .name = MACHINE_NAME,
        .definition = DEFINITION,
        .role_arn = "arn:aws:iam::123456789012:role/MachineRole",
        .type = MACHINE_STANDARD,
    };
    started = (struct started){ 0 };
    return answered(engine_create_state_machine(engine, &spec, error, sizeof(error), on_machine, &machine), &machine)
           && machine.status == 0
           && answered(engine_start_execution(engine, MACHINE_ARN, name, "{\"amount\":1}", on_started, &execution),
                       &execution)
           && execution.status == 0;
}

/* begin() and true once execution name's task waits, submitted, on started.token. */
static bool start(const char *name)
{
    return begin(name) && redis_server_run_until(loop, task_submitted, (void *)name, WAIT_MS) && started.calls == 1;
}

static bool task_held(void *data)
{
    (void)data;
    return started.report != NULL;
}

/* begin() whose task's submission is held: true once the task was started and its report waits, unrecorded. */
static bool start_held(const char *name)
{
    hold_submission = true;
    bool held = begin(name) && redis_server_run_until(loop, task_held, NULL, WAIT_MS);
    hold_submission = false;
    return held && started.calls == 1 && count_events(name, "TaskSubmitted", NULL) == 0;
}

/* Sends the held submission and lets the engine record it. */
static void release_submission(void)
{
    on_submit_due(&started.timer);
    redis_server_run_for(loop, 100);
}

static bool send_success(const char *token, struct outcome *outcome)
{
    *outcome = (struct outcome){ 0 };
    return answered(engine_send_task_success(engine, token, "{\"value\":42}", on_task, outcome), outcome);
}

static void test_a_task_token_completes_its_execution_once(void)
{
    struct outcome outcome;
    ASSERT_TRUE(start("once"));
    ASSERT_EQ_INT(1, started.calls);
    ASSERT_TRUE(started.token[0] != '\0');
    ASSERT_EQ_STR(started.token, started.payload_token);
    ASSERT_EQ_STR("lambda", started.resource_type);
    ASSERT_EQ_STR("invoke.waitForTaskToken", started.resource);
    ASSERT_EQ_STR("RUNNING", stored_field("once", "status"));
    ASSERT_EQ_STR(started.token, stored_field("once", "taskToken"));

    ASSERT_TRUE(send_success(started.token, &outcome));
    ASSERT_EQ_INT(0, outcome.status);
    ASSERT_EQ_STR(EXECUTION_ARN_PREFIX "once", outcome.execution_arn);
    ASSERT_EQ_STR("SUCCEEDED", outcome.execution_status);
    ASSERT_EQ_STR("SUCCEEDED", stored_field("once", "status"));
    ASSERT_EQ_STR("", stored_field("once", "taskToken"));
    ASSERT_EQ_INT(1, count_events("once", "TaskSucceeded", NULL));
    ASSERT_EQ_INT(1, count_events("once", "ExecutionSucceeded", NULL));
    long long events = history_length("once");

    ASSERT_TRUE(send_success(started.token, &outcome));
    ASSERT_EQ_INT(-ETIMEDOUT, outcome.status);
    ASSERT_EQ_INT(events, history_length("once"));
    ASSERT_EQ_INT(1, count_events("once", "TaskSucceeded", NULL));
    ASSERT_EQ_INT(1, started.calls);
}

static void test_a_submission_without_output_is_recorded_with_the_empty_object(void)
{
    struct outcome outcome;
    submit_without_output = true;
    bool waiting = start("no-output");
    submit_without_output = false;
    ASSERT_TRUE(waiting);
    ASSERT_EQ_STR("{}", event_detail("no-output", "TaskSubmitted", "taskSubmittedEventDetails", "output"));
    ASSERT_TRUE(send_success(started.token, &outcome));
    ASSERT_EQ_INT(0, outcome.status);
    ASSERT_EQ_STR("SUCCEEDED", outcome.execution_status);
}

static bool both_done(void *data)
{
    const struct outcome *outcomes = data;
    return outcomes[0].done && outcomes[1].done;
}

static void test_two_outcomes_racing_for_one_task_have_one_winner(void)
{
    struct outcome outcomes[2] = { 0 };
    ASSERT_TRUE(start("race"));
    int success = engine_send_task_success(engine, started.token, "{\"value\":42}", on_task, &outcomes[0]);
    int failure = engine_send_task_failure(engine, started.token, "Valuation.Refused", "no", on_task, &outcomes[1]);
    ASSERT_EQ_INT(0, success);
    ASSERT_EQ_INT(0, failure);
    ASSERT_TRUE(redis_server_run_until(loop, both_done, outcomes, WAIT_MS));
    ASSERT_EQ_INT(1, outcomes[0].calls);
    ASSERT_EQ_INT(1, outcomes[1].calls);
    /* The one sent first loads first and commits first. */
    ASSERT_EQ_INT(0, outcomes[0].status);
    ASSERT_EQ_STR("SUCCEEDED", outcomes[0].execution_status);
    ASSERT_EQ_INT(-ETIMEDOUT, outcomes[1].status);
    ASSERT_EQ_INT(1, count_events("race", "TaskSucceeded", NULL));
    ASSERT_EQ_INT(0, count_events("race", "TaskFailed", NULL));
    ASSERT_EQ_STR("SUCCEEDED", stored_field("race", "status"));
}

/* How many times Redis ran command since the last CONFIG RESETSTAT (INFO commandstats). */
static long long command_calls(const char *command)
{
    char *info = redis_server_string(&server, "INFO commandstats");
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "cmdstat_%s:calls=", command);
    const char *found = info ? strstr(info, prefix) : NULL;
    long long calls = found ? strtoll(found + strlen(prefix), NULL, 10) : 0;
    free(info);
    return calls;
}

static void reset_command_stats(void)
{
    redisReply *reply = redis_server_command(&server, "CONFIG RESETSTAT");
    if (reply)
        freeReplyObject(reply);
}

/* Queues HINCRBY of key's lastEventId on the engine's connection. Returns what redis_client_command_strings() did. */
static int bump_last_event_id(const char *key, struct redis_server_reply *reply)
{
    const char *argv[] = { "HINCRBY", key, "lastEventId", "1" };
    return redis_client_command_strings(client, redis_server_capture, reply, 4, argv);
}

/* The engine forgets the records it kept: the next outcome loads its record, as in a process that did not commit it. */
static void forget_kept_records(void)
{
    record_cache_clear(engine->resting);
}

static void test_a_commit_that_lost_its_race_is_computed_again_and_applied(void)
{
    struct outcome outcome = { 0 };
    struct redis_server_reply bumped = { 0 };
    ASSERT_TRUE(start("retried"));
    long last = strtol(stored_field("retried", "lastEventId"), NULL, 10);
    forget_kept_records();
    reset_command_stats();
    int sent = engine_send_task_success(engine, started.token, "{\"value\":42}", on_task, &outcome);
    /* Runs after the engine's load and before its commit: the commit finds lastEventId moved on. */
    int bump = bump_last_event_id(record_key("retried"), &bumped);
    ASSERT_EQ_INT(0, sent);
    ASSERT_EQ_INT(0, bump);
    ASSERT_TRUE(answered(sent, &outcome));
    ASSERT_TRUE(bumped.done);
    ASSERT_EQ_INT(last + 1, bumped.integer);
    ASSERT_EQ_INT(0, outcome.status);
    ASSERT_EQ_STR("SUCCEEDED", outcome.execution_status);
    ASSERT_EQ_INT(2, command_calls("hgetall"));
    long id = 0, previous = 0;
    ASSERT_EQ_INT(1, count_events_following("retried", "TaskSucceeded", &id, &previous));
    /*
     * Computed from the reloaded record: its first event follows the moved
     * lastEventId; the commit numbers it after the events the history holds.
     */
    ASSERT_EQ_INT(last + 1, previous);
    ASSERT_EQ_INT(last + 1, id);
    ASSERT_EQ_STR("SUCCEEDED", stored_field("retried", "status"));
}

/*
 * Bumps a record's lastEventId between every load and commit of one engine
 * change: each bump is queued on the engine's connection when the command
 * before it is answered, and a PING between two bumps lets the engine's
 * commit and its next load go out first. (Each load is answered before the
 * bump queued after it, and the commit is sent from the load's answer, so
 * every commit comes after a bump it did not see.)
 */
struct bumper {
    const char *key;
    const bool *stop; /* the engine's change is over */
    bool pinging;
    int bumps;
    bool failed;
};

static void on_bumper_reply(redisReply *reply, void *data)
{
    struct bumper *bumper = data;
    if (!reply || reply->type == REDIS_REPLY_ERROR)
        bumper->failed = true;
    if (bumper->failed || *bumper->stop)
        return;
    if (!bumper->pinging)
        bumper->bumps++;
    bumper->pinging = !bumper->pinging;
    const char *bump[] = { "HINCRBY", bumper->key, "lastEventId", "1" }, *ping[] = { "PING" };
    int result = bumper->pinging ? redis_client_command_strings(client, on_bumper_reply, bumper, 1, ping)
                                 : redis_client_command_strings(client, on_bumper_reply, bumper, 4, bump);
    if (result < 0)
        bumper->failed = true;
}

static void test_a_change_that_loses_every_race_is_busy_and_applies_nothing(void)
{
    struct outcome outcome = { 0 };
    ASSERT_TRUE(start("busy"));
    long long events = history_length("busy");
    forget_kept_records();
    reset_command_stats();
    struct bumper bumper = { .key = record_key("busy"), .stop = &outcome.done };
    int sent = engine_send_task_success(engine, started.token, "{\"value\":42}", on_task, &outcome);
    const char *bump[] = { "HINCRBY", bumper.key, "lastEventId", "1" };
    int bumped = redis_client_command_strings(client, on_bumper_reply, &bumper, 4, bump);
    ASSERT_EQ_INT(0, sent);
    ASSERT_EQ_INT(0, bumped);
    ASSERT_TRUE(answered(sent, &outcome));
    ASSERT_TRUE(redis_server_client_ready(loop, client, WAIT_MS));
    ASSERT_TRUE(!bumper.failed);
    ASSERT_EQ_INT(-EBUSY, outcome.status);
    ASSERT_EQ_STR("", outcome.execution_status);
    ASSERT_EQ_INT(COMMIT_ATTEMPTS, command_calls("hgetall"));
    ASSERT_EQ_INT(COMMIT_ATTEMPTS, bumper.bumps);
    /* Nothing applied: the history is as it was and the task still waits on its token. */
    ASSERT_EQ_INT(events, history_length("busy"));
    ASSERT_EQ_INT(0, count_events("busy", "TaskSucceeded", NULL));
    ASSERT_EQ_STR("RUNNING", stored_field("busy", "status"));
    ASSERT_EQ_STR(started.token, stored_field("busy", "taskToken"));
    ASSERT_TRUE(send_success(started.token, &outcome));
    ASSERT_EQ_INT(0, outcome.status);
    ASSERT_EQ_STR("SUCCEEDED", outcome.execution_status);
}

static void test_stop_aborts_a_waiting_execution_and_closes_its_task(void)
{
    struct outcome outcome = { 0 };
    ASSERT_TRUE(start("stopped"));
    ASSERT_TRUE(answered(
        engine_stop_execution(engine, MACHINE_NAME ":stopped", "Operator.Stop", "not needed", on_stopped, &outcome),
        &outcome));
    ASSERT_EQ_INT(0, outcome.status);
    ASSERT_TRUE(outcome.ms > 0);
    ASSERT_EQ_STR("ABORTED", stored_field("stopped", "status"));
    ASSERT_EQ_STR("", stored_field("stopped", "taskToken"));
    ASSERT_EQ_INT(1, count_events("stopped", "ExecutionAborted", NULL));
    ASSERT_EQ_STR("Operator.Stop",
                  event_detail("stopped", "ExecutionAborted", "executionAbortedEventDetails", "error"));
    ASSERT_EQ_STR("not needed", event_detail("stopped", "ExecutionAborted", "executionAbortedEventDetails", "cause"));
    char id[64];
    snprintf(id, sizeof(id), MACHINE_NAME ":stopped");
    ASSERT_EQ_INT(0, redis_server_integer(&server, "ZCARD {sfn:%02u}:timers", execution_store_shard(id)));
    long long events = history_length("stopped");
    ASSERT_TRUE(send_success(started.token, &outcome));
    ASSERT_EQ_INT(-ETIMEDOUT, outcome.status);
    ASSERT_EQ_INT(events, history_length("stopped"));
    ASSERT_EQ_STR("ABORTED", stored_field("stopped", "status"));
}

static void test_a_submission_is_committed_from_the_record_its_start_left(void)
{
    reset_command_stats();
    ASSERT_TRUE(start("known"));
    ASSERT_EQ_INT(0, command_calls("hgetall"));
    long id = 0, previous = 0;
    ASSERT_EQ_INT(1, count_events_following("known", "TaskSubmitted", &id, &previous));
    ASSERT_EQ_INT(history_length("known"), id);
    ASSERT_EQ_INT(id - 1, previous);
}

static void test_a_submission_reported_after_a_stop_is_dropped(void)
{
    struct outcome outcome = { 0 };
    ASSERT_TRUE(start_held("stopped-first"));
    ASSERT_TRUE(answered(engine_stop_execution(engine, MACHINE_NAME ":stopped-first", "Operator.Stop", "not needed",
                                               on_stopped, &outcome),
                         &outcome));
    ASSERT_EQ_INT(0, outcome.status);
    long long events = history_length("stopped-first");
    reset_command_stats();
    release_submission();
    /* The commit from the start's record finds the task closed; the record is loaded, and the task is closed. */
    ASSERT_EQ_INT(1, command_calls("hgetall"));
    ASSERT_EQ_INT(events, history_length("stopped-first"));
    ASSERT_EQ_INT(0, count_events("stopped-first", "TaskSubmitted", NULL));
    ASSERT_EQ_STR("ABORTED", stored_field("stopped-first", "status"));
}

static void test_a_submission_reported_after_another_change_is_computed_again(void)
{
    ASSERT_TRUE(start_held("moved-on"));
    long last = strtol(stored_field("moved-on", "lastEventId"), NULL, 10);
    ASSERT_EQ_INT(last + 1, redis_server_integer(&server, "HINCRBY %s lastEventId 1", record_key("moved-on")));
    reset_command_stats();
    release_submission();
    ASSERT_EQ_INT(1, command_calls("hgetall"));
    long id = 0, previous = 0;
    ASSERT_EQ_INT(1, count_events_following("moved-on", "TaskSubmitted", &id, &previous));
    ASSERT_EQ_INT(last + 1, previous); /* computed from the reloaded record */
    ASSERT_EQ_INT(0, redis_server_integer(&server, "HEXISTS %s taskStartDue", record_key("moved-on")));
    ASSERT_EQ_STR("RUNNING", stored_field("moved-on", "status"));
}

static void test_a_task_failure_fails_the_execution_with_its_error_and_cause(void)
{
    struct outcome outcome = { 0 };
    ASSERT_TRUE(start("failed"));
    ASSERT_TRUE(answered(
        engine_send_task_failure(engine, started.token, "Valuation.Refused", "the value is too low", on_task, &outcome),
        &outcome));
    ASSERT_EQ_INT(0, outcome.status);
    ASSERT_EQ_STR(EXECUTION_ARN_PREFIX "failed", outcome.execution_arn);
    ASSERT_EQ_STR("FAILED", outcome.execution_status);
    ASSERT_EQ_STR("FAILED", stored_field("failed", "status"));
    ASSERT_EQ_STR("Valuation.Refused", stored_field("failed", "error"));
    ASSERT_EQ_STR("the value is too low", stored_field("failed", "cause"));
    ASSERT_EQ_INT(1, count_events("failed", "TaskFailed", NULL));
    ASSERT_EQ_STR("Valuation.Refused", event_detail("failed", "TaskFailed", "taskFailedEventDetails", "error"));
    ASSERT_EQ_STR("the value is too low", event_detail("failed", "TaskFailed", "taskFailedEventDetails", "cause"));
    ASSERT_EQ_INT(1, count_events("failed", "ExecutionFailed", NULL));
    ASSERT_EQ_STR("Valuation.Refused",
                  event_detail("failed", "ExecutionFailed", "executionFailedEventDetails", "error"));
    ASSERT_TRUE(send_success(started.token, &outcome));
    ASSERT_EQ_INT(-ETIMEDOUT, outcome.status);
}

/* name's history as text, each event without its timestamp and with token (the execution's own) as "TOKEN". */
static char *history_text(const char *name, const char *token)
{
    cJSON *events = history(name);
    cJSON *event;
    cJSON_ArrayForEach(event, events) cJSON_DeleteItemFromObjectCaseSensitive(event, "timestamp");
    char *text = events ? cJSON_PrintUnformatted(events) : NULL;
    cJSON_Delete(events);
    size_t length = strlen(token);
    for (char *at = text ? strstr(text, token) : NULL; at; at = strstr(at, token)) {
        memmove(at + 5, at + length, strlen(at + length) + 1);
        memcpy(at, "TOKEN", 5);
    }
    return text;
}

static void test_an_outcome_from_the_kept_record_commits_the_history_a_load_does(void)
{
    struct outcome outcome;
    char loaded_token[512];
    forget_kept_records(); /* those earlier tests left */
    ASSERT_TRUE(start("loaded"));
    snprintf(loaded_token, sizeof(loaded_token), "%s", started.token);
    forget_kept_records();
    reset_command_stats();
    ASSERT_TRUE(send_success(loaded_token, &outcome));
    ASSERT_EQ_INT(0, outcome.status);
    ASSERT_EQ_INT(1, command_calls("hgetall"));

    ASSERT_TRUE(start("kept"));
    ASSERT_EQ_INT(1, (long long)record_cache_count(engine->resting));
    reset_command_stats();
    ASSERT_TRUE(send_success(started.token, &outcome));
    ASSERT_EQ_INT(0, outcome.status);
    ASSERT_EQ_STR(EXECUTION_ARN_PREFIX "kept", outcome.execution_arn);
    ASSERT_EQ_STR("SUCCEEDED", outcome.execution_status);
    ASSERT_EQ_INT(0, command_calls("hgetall")); /* computed from the record the submission's commit left */
    ASSERT_EQ_INT(0, (long long)record_cache_count(engine->resting));
    char *loaded = history_text("loaded", loaded_token), *kept = history_text("kept", started.token);
    ASSERT_TRUE(loaded && kept);
    ASSERT_EQ_STR(loaded, kept);
    free(loaded);
    free(kept);
    ASSERT_EQ_STR("SUCCEEDED", stored_field("kept", "status"));
    ASSERT_EQ_STR(stored_field("loaded", "output"), stored_field("kept", "output"));
    ASSERT_EQ_STR("", stored_field("kept", "taskToken"));
}

static void test_an_outcome_after_a_stop_elsewhere_is_refused_from_a_stale_record(void)
{
    struct outcome outcome = { 0 };
    forget_kept_records(); /* those earlier tests left */
    ASSERT_TRUE(start("stopped-elsewhere"));
    /* Another process's stop: this one's kept record stays, stale. */
    struct execution_record *kept =
        record_cache_take(engine->resting, MACHINE_NAME ":stopped-elsewhere", started.token);
    ASSERT_TRUE(kept != NULL);
    ASSERT_TRUE(answered(engine_stop_execution(engine, MACHINE_NAME ":stopped-elsewhere", "Operator.Stop", "not needed",
                                               on_stopped, &outcome),
                         &outcome));
    ASSERT_EQ_INT(0, outcome.status);
    record_cache_put(engine->resting, MACHINE_NAME ":stopped-elsewhere", kept);
    long long events = history_length("stopped-elsewhere");
    reset_command_stats();
    ASSERT_TRUE(send_success(started.token, &outcome));
    ASSERT_EQ_INT(-ETIMEDOUT, outcome.status); /* the commit found the task closed; the load says so */
    ASSERT_EQ_INT(1, command_calls("hgetall"));
    ASSERT_EQ_INT(events, history_length("stopped-elsewhere"));
    ASSERT_EQ_INT(0, count_events("stopped-elsewhere", "TaskSucceeded", NULL));
    ASSERT_EQ_STR("ABORTED", stored_field("stopped-elsewhere", "status"));
}

static void test_a_stop_here_drops_the_kept_record(void)
{
    struct outcome outcome = { 0 };
    forget_kept_records(); /* those earlier tests left */
    ASSERT_TRUE(start("stopped-here"));
    ASSERT_EQ_INT(1, (long long)record_cache_count(engine->resting));
    ASSERT_TRUE(answered(engine_stop_execution(engine, MACHINE_NAME ":stopped-here", "Operator.Stop", "not needed",
                                               on_stopped, &outcome),
                         &outcome));
    ASSERT_EQ_INT(0, outcome.status);
    ASSERT_EQ_INT(0, (long long)record_cache_count(engine->resting));
    ASSERT_TRUE(send_success(started.token, &outcome));
    ASSERT_EQ_INT(-ETIMEDOUT, outcome.status);
}

static void test_the_kept_records_never_exceed_their_bound(void)
{
    struct outcome outcome;
    char tokens[RESTING_RECORDS + 2][512];
    char name[32];
    forget_kept_records(); /* those earlier tests left */
    for (int i = 0; i < RESTING_RECORDS + 2; i++) {
        snprintf(name, sizeof(name), "bounded-%d", i);
        ASSERT_TRUE(start(name));
        snprintf(tokens[i], sizeof(tokens[i]), "%s", started.token);
        ASSERT_TRUE(record_cache_count(engine->resting) <= RESTING_RECORDS);
    }
    ASSERT_EQ_INT(RESTING_RECORDS, (long long)record_cache_count(engine->resting));
    reset_command_stats();
    ASSERT_TRUE(send_success(tokens[0], &outcome)); /* the oldest was evicted: loaded */
    ASSERT_EQ_INT(0, outcome.status);
    ASSERT_EQ_STR("SUCCEEDED", outcome.execution_status);
    ASSERT_EQ_INT(1, command_calls("hgetall"));
    ASSERT_TRUE(send_success(tokens[RESTING_RECORDS + 1], &outcome)); /* the newest is kept */
    ASSERT_EQ_INT(0, outcome.status);
    ASSERT_EQ_STR("SUCCEEDED", outcome.execution_status);
    ASSERT_EQ_INT(1, command_calls("hgetall"));
    ASSERT_EQ_INT(RESTING_RECORDS - 1, (long long)record_cache_count(engine->resting));
}

static bool engine_is_ready(void *data)
{
    return engine_ready(data);
}

static int init_engine(void *config)
{
    return engine_create(loop, client, config, &engine);
}

int main(void)
{
    struct engine_config config = {
        .region = "us-east-1",
        .account = "123456789012",
        .time_scale = 1.0,
        .tasks = { .start = start_task, .check_activity = check_activity },
        .task_start_lease_ms = 60000,
        .resting_records = RESTING_RECORDS,
    };
    if (redis_server_open(&server, &loop, &client, init_engine, &config) < 0) {
        engine_destroy(engine);
        return 1;
    }
    if (!redis_server_run_until(loop, engine_is_ready, engine, WAIT_MS)) { /* the shard count is settled */
        fprintf(stderr, "the engine did not become ready\n");
        return 1;
    }
    REDIS_SERVER_RUN_FLUSHED(&server, test_a_task_token_completes_its_execution_once);
    REDIS_SERVER_RUN_FLUSHED(&server, test_a_submission_without_output_is_recorded_with_the_empty_object);
    REDIS_SERVER_RUN_FLUSHED(&server, test_two_outcomes_racing_for_one_task_have_one_winner);
    REDIS_SERVER_RUN_FLUSHED(&server, test_a_commit_that_lost_its_race_is_computed_again_and_applied);
    REDIS_SERVER_RUN_FLUSHED(&server, test_a_change_that_loses_every_race_is_busy_and_applies_nothing);
    REDIS_SERVER_RUN_FLUSHED(&server, test_stop_aborts_a_waiting_execution_and_closes_its_task);
    REDIS_SERVER_RUN_FLUSHED(&server, test_a_task_failure_fails_the_execution_with_its_error_and_cause);
    REDIS_SERVER_RUN_FLUSHED(&server, test_a_submission_is_committed_from_the_record_its_start_left);
    REDIS_SERVER_RUN_FLUSHED(&server, test_a_submission_reported_after_a_stop_is_dropped);
    REDIS_SERVER_RUN_FLUSHED(&server, test_a_submission_reported_after_another_change_is_computed_again);
    REDIS_SERVER_RUN_FLUSHED(&server, test_an_outcome_from_the_kept_record_commits_the_history_a_load_does);
    REDIS_SERVER_RUN_FLUSHED(&server, test_an_outcome_after_a_stop_elsewhere_is_refused_from_a_stale_record);
    REDIS_SERVER_RUN_FLUSHED(&server, test_a_stop_here_drops_the_kept_record);
    REDIS_SERVER_RUN_FLUSHED(&server, test_the_kept_records_never_exceed_their_bound);
    engine_stop(engine);
    redis_server_run_for(loop, 20);
    redis_client_destroy(client); /* before the engine: its operations in flight are answered */
    engine_destroy(engine);
    redis_server_close(&server, loop, NULL);
    return test_done();
}
