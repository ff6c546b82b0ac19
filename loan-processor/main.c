/*
 * loan-processor - runs Amazon States Language state machines, with the
 * blog's loan workflow loaded at start, behind the AWS Step Functions JSON
 * API (POST /) and the valuation webhook (POST /valuation-callback).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access_token.h"
#include "activities.h"
#include "config.h"
#include "console_api.h"
#include "console_events.h"
#include "console_static.h"
#include "engine.h"
#include "local_queue.h"
#include "local_topic.h"
#include "log.h"
#include "mock_config.h"
#include "service.h"
#include "execution_waiters.h"
#include "sfn_api.h"
#include "sync_execution_api.h"
#include "sns_publish.h"
#include "task_functions.h"
#include "test_state_api.h"
#include "valuation_request_function.h"
#include "valuation_tokens.h"
#include "webhook.h"

/*
 * Where the shipped state machines are: installed under share/ by `meson
 * install`; a binary run from its build tree before any install finds them in
 * the source tree instead (SOURCE_STATE_MACHINES_DIR).
 */
#ifndef DEFAULT_STATE_MACHINES_DIR
#define DEFAULT_STATE_MACHINES_DIR "/usr/local/share/loan-processor/state-machines"
#endif

/* Largest definition file read at start (the API's own limit is 1 MiB). */
#define MAX_DEFINITION_BYTES (1024 * 1024)
/* Largest mock configuration file (SFN_MOCK_CONFIG). */
#define MAX_MOCK_CONFIG_BYTES (16 * 1024 * 1024)

/* AWS's quota of activities per account and region. */
#define MAX_ACTIVITIES 10000
/*
 * How often waiting GetActivityTask polls look in Redis for tasks queued by
 * other loan-processors (tasks queued by this one wake them at once).
 */
#define ACTIVITY_POLL_INTERVAL_MS 100
/* The web console's live streams: a client that leaves this much unread is dropped; a comment keeps them alive. */
#define CONSOLE_MAX_UNSENT_BYTES (256 * 1024)
#define CONSOLE_KEEP_ALIVE_MS 15000
/* A request's deadline is at least this much longer than a long poll, so a poll ends by itself. */
#define POLL_DEADLINE_MARGIN_MS 10000

static struct config_option options[] = {
    { "LOAN_PROCESSOR_PORT", "--port", "8080", "TCP port of the API and the webhook", NULL },
    { "BIND_ADDRESS", "--bind", "127.0.0.1", "IPv4 address to listen on (0.0.0.0 for all)", NULL },
    { "REDIS_URL", "--redis-url", "redis://127.0.0.1:6379", "Redis server: redis://[:password@]host[:port][/db]",
      NULL },
    { "VALUATION_SERVICE_URL", "--valuation-service-url", "http://127.0.0.1:8081/valuation-request",
      "Where ValuationRequestFunction POSTs valuation requests", NULL },
    { "CALLBACK_URL", "--callback-url", "http://127.0.0.1:8080/valuation-callback",
      "The webhook URL given to the valuation service", NULL },
    { "TIME_SCALE", "--time-scale", "1.0", "Factor applied to every delay, wait, timeout and heartbeat", NULL },
    { "STATE_MACHINES_DIR", "--state-machines-dir", DEFAULT_STATE_MACHINES_DIR,
      "Directory of <Name>.asl.json definitions loaded at start", NULL },
    { "AWS_REGION", "--region", "us-east-1", "Region in the ARNs", NULL },
    { "AWS_ACCOUNT_ID", "--account", "123456789012", "Account in the ARNs", NULL },
    { "TOKEN_RETENTION_SECONDS", "--token-retention-seconds", "7776000",
      "How long valuation:<ref> keys are kept (default 90 days)", NULL },
    { "ERROR_TOPIC_ARN", "--error-topic-arn", "",
      "SNS topic (ARN or name) the webhook publishes its errors to; empty: "
      "arn:aws:sns:<AWS_REGION>:<AWS_ACCOUNT_ID>:LoanProcessorErrorTopic",
      NULL },
    { "TOPIC_MAX_MESSAGES", "--topic-max-messages", "10000",
      "About how many messages each local SNS topic's Redis stream (sns:<TopicName>) keeps", NULL },
    { "ACTIVITY_POLL_SECONDS", "--activity-poll-seconds", "60",
      "How long GetActivityTask waits for a task before answering without one (AWS: 60; not scaled by TIME_SCALE)",
      NULL },
    { "ACTIVITY_MAX_POLLERS", "--activity-max-pollers", "1000",
      "GetActivityTask requests that may wait at once in this process; more get ActivityWorkerLimitExceeded", NULL },
    { "ACTIVITY_MAX_QUEUED_TASKS", "--activity-max-queued-tasks", "10000",
      "Tasks that may wait for a worker per activity; more fail with ActivityScheduleFailed", NULL },
    { "QUEUE_MAX_MESSAGES", "--queue-max-messages", "10000",
      "Most messages each local SQS queue's Redis list (sqs:<QueueName>) holds; a send to a full one fails", NULL },
    { "FUNCTION_URL_TIMEOUT_SECONDS", "--function-url-timeout-seconds", "60",
      "How long a lambda:invoke of an http(s) FunctionName may take (not scaled by TIME_SCALE)", NULL },
    { "TASK_START_LEASE_SECONDS", "--task-start-lease-seconds", "90",
      "A task whose start (the valuation request, a function URL call, a queueing) is not confirmed within this "
      "long - its process died - is started again by any instance; keep it above the slowest start "
      "(FUNCTION_URL_TIMEOUT_SECONDS, 10 s for the valuation request; not scaled by TIME_SCALE)",
      NULL },
    { "EXECUTION_SHARDS", "--execution-shards", "128",
      "Shards executions are spread over (1-1024; their hash tags {sfn:NN} spread them over a cluster's masters). "
      "Fixed per Redis: the first process stores it in {sfn}:settings, later ones use the stored count",
      NULL },
    { "REDIS_TIMEOUT_MS", "--redis-timeout-ms", "5000",
      "Deadline of every Redis command (and of connecting); past it the connection is dropped and re-made", NULL },
    { "REDIS_WAIT_REPLICAS", "--redis-wait-replicas", "0",
      "Replicas a commit that matters (a started execution, a task outcome, a stored token) must reach before it is "
      "acknowledged (Redis WAIT, within REDIS_TIMEOUT_MS; 0-16; 0: do not wait)",
      NULL },
    { "REUSE_PORT", "--reuse-port", "0", "1: listen with SO_REUSEPORT, so that several instances share one port",
      NULL },
    { "MAX_CONNECTIONS_PER_ADDRESS", "--max-connections-per-address", "256",
      "Connections one client address may hold open (0-1000000; 0: no limit); more are closed at once", NULL },
    { "REQUEST_RECEIVE_TIMEOUT_SECONDS", "--request-receive-timeout-seconds", "10",
      "A request (line, headers, body) not fully received this long after it began closes its connection (1-3600)",
      NULL },
    { "CONSOLE_MAX_STREAMS", "--console-max-streams", "64",
      "Web consoles this process keeps live at once (their GET /console/events streams); more get 503", NULL },
    { "SFN_MOCK_CONFIG", "--mock-config", "",
      "A mock configuration file in AWS Step Functions Local's format (docs/mocking.md): executions started as "
      "<stateMachineArn>#<TestCase> answer its mocked Task states from it (empty: none)",
      NULL },
    { "LOG_FORMAT", "--log-format", "text", "text or json (one JSON object per line)", NULL },
    { "LOG_LEVEL", "--log-level", "info",
      "debug, info, warn or error: the lowest level logged (info: one line per step of the story)", NULL },
    { "CALLBACK_SIGNING_SECRET", "--callback-signing-secret", "",
      "Comma-separated secrets: POST /valuation-callback then requires an X-Valuation-Signature made with one of "
      "them (empty: callbacks are not checked)",
      NULL },
    { "API_TOKEN", "--api-token", "",
      "When set (16-256 of A-Z a-z 0-9 - . _ ~), the Step Functions API at POST / requires "
      "Authorization: Bearer <token> (the AWS CLI cannot send it: for a proxy in front of an exposed server)",
      NULL },
    { "CONSOLE_TOKEN", "--console-token", "",
      "When set (16-256 of A-Z a-z 0-9 - . _ ~), the console's pages, /console/api/* and /console/events require "
      "Authorization: Bearer <token>, the cookie token=<token>, or ?token=<token> (open the console at /?token=...)",
      NULL },
};
#define OPTION_COUNT (sizeof(options) / sizeof(options[0]))

struct loan_processor {
    struct service service;
    double time_scale;
    int64_t task_start_lease_ms;
    unsigned execution_shards;
    struct engine *engine;
    struct activities *activities;
    struct activities_config activities_config;
    struct sfn_api api;
    struct webhook webhook;
    const char *console_token; /* CONSOLE_TOKEN; empty: the console is open */
    struct task_functions_environment functions;
    struct valuation_request_function valuation_function;
    struct task_function function_table[1];
    struct local_topics topics;
    struct local_queues queues;
    struct console_api console_api;
    struct console_events *console_events;
    struct execution_waiters *waiters; /* StartSyncExecution's */
    struct console_events_config console_events_config;
    struct mock_config *mocks; /* SFN_MOCK_CONFIG, or NULL */
    char error_topic_arn[SNS_TOPIC_ARN_SIZE];
    char callback_function_arn[256]; /* the "source" of the webhook's error messages */
};

static const char *option(const char *name)
{
    return config_value(options, OPTION_COUNT, name);
}

/*
 * GET /health: 503 until the shipped state machines are registered in
 * Redis (so that nothing is started on a machine not there yet), then the
 * service's answer (Redis connected or not).
 */
static void handle_health(struct http_request *request, void *data)
{
    struct loan_processor *processor = data;
    if (redis_client_connected(processor->service.redis) && !engine_ready(processor->engine)) {
        cJSON *health = cJSON_CreateObject();
        if (health) {
            cJSON_AddStringToObject(health, "status", "starting");
            cJSON_AddStringToObject(health, "service", "loan-processor");
            cJSON_AddStringToObject(health, "redis", "connected");
            cJSON_AddStringToObject(health, "stateMachines", "registering");
        }
        http_request_reply_json(request, 503, health);
        return;
    }
    service_reply_health(request, &processor->service);
}

/*
 * GET /stats: this instance's own counters since it started, for
 * benchmarks and curious users; see docs/api.md.
 */
static void handle_stats(struct http_request *request, void *data)
{
    struct loan_processor *processor = data;
    const struct webhook_statistics *statistics = &processor->webhook.statistics;
    cJSON *stats = cJSON_CreateObject();
    cJSON *webhook = cJSON_AddObjectToObject(stats, "webhook");
    cJSON *latency = latency_histogram_to_json(&statistics->resume_latency);
    if (!stats || !webhook || !latency || !cJSON_AddStringToObject(stats, "service", "loan-processor")
        || !cJSON_AddNumberToObject(webhook, "received", (double)statistics->received)
        || !cJSON_AddNumberToObject(webhook, "resumed", (double)statistics->resumed)
        || !cJSON_AddNumberToObject(webhook, "rejected", (double)statistics->rejected)
        || !cJSON_AddItemToObject(webhook, "resumeLatencyMicroseconds", latency)) {
        cJSON_Delete(latency);
        cJSON_Delete(stats);
        http_request_reply_error(request, 503, "ServiceUnavailable", "Out of memory");
        return;
    }
    http_request_reply_json(request, 200, stats);
}

/*
 * With CONSOLE_TOKEN set: whether the request carries it (bearer header, "token" cookie or query); answers 401
 * when it does not.
 */
static bool console_allowed(struct http_request *request, const char *token)
{
    if (!token[0] || access_token_bearer_matches(token, http_request_header(request, "Authorization"))
        || access_token_cookie_matches(token, http_request_header(request, "Cookie"), "token")
        || access_token_equal(token, http_request_query(request, "token")))
        return true;
    http_request_reply_error(request, 401, "Unauthorized",
                             "The console requires its token (CONSOLE_TOKEN): open /?token=<token>, or send "
                             "Authorization: Bearer <token> or the cookie token=<token>");
    return false;
}

/*
 * A page opened with a valid ?token= is sent again without it (out of the address bar and history) and the
 * token is kept in a cookie that the page's own requests then carry. Returns true when it answered so.
 */
static bool redirected_to_cookie(struct http_request *request, const char *token)
{
    char cookie[ACCESS_TOKEN_MAX_LENGTH + 64];
    if (!token[0] || !access_token_equal(token, http_request_query(request, "token")))
        return false;
    snprintf(cookie, sizeof(cookie), "token=%s; Path=/; HttpOnly; SameSite=Strict", token);
    const struct http_header headers[] = {
        { "Location", http_request_path(request) },
        { "Set-Cookie", cookie },
        { "Cache-Control", "no-store" },
        { "Referrer-Policy", "no-referrer" },
    };
    http_request_reply_static(request, 303, "text/plain", headers, sizeof(headers) / sizeof(headers[0]), "", 0);
    return true;
}

static void handle_api(struct http_request *request, void *data)
{
    struct loan_processor *processor = data;
    sfn_api_handle(request, &processor->api);
}

static void handle_callback(struct http_request *request, void *data)
{
    struct loan_processor *processor = data;
    webhook_handle_valuation_callback(request, &processor->webhook);
}

static void handle_console_file(struct http_request *request, void *data)
{
    struct loan_processor *processor = data;
    if (console_allowed(request, processor->console_token) && !redirected_to_cookie(request, processor->console_token))
        console_static_handle(request);
}

static void handle_console_graph(struct http_request *request, void *data)
{
    struct loan_processor *processor = data;
    if (console_allowed(request, processor->console_token))
        console_api_graph(request, &processor->console_api);
}

static void handle_console_execution(struct http_request *request, void *data)
{
    struct loan_processor *processor = data;
    if (console_allowed(request, processor->console_token))
        console_api_execution(request, &processor->console_api);
}

static void handle_console_valuation(struct http_request *request, void *data)
{
    struct loan_processor *processor = data;
    if (console_allowed(request, processor->console_token))
        console_api_valuation(request, &processor->console_api);
}

static void handle_console_events(struct http_request *request, void *data)
{
    struct loan_processor *processor = data;
    if (console_allowed(request, processor->console_token))
        console_events_handle(request, processor->console_events);
}

/* Shutdown has begun: no timer may fire any more, and waiting GetActivityTask polls end without a task. */
static void stop_background_work(void *data)
{
    struct loan_processor *processor = data;
    engine_stop(processor->engine);
    activities_stop(processor->activities);
    webhook_close(&processor->webhook); /* callbacks waiting for their token get 503 now, not after the drain */
    console_events_close(processor->console_events); /* open streams would hold the drain up to its deadline */
    execution_waiters_close(processor->waiters);     /* StartSyncExecution's waits get 503 now */
}

/*
 * ---- the engine's task starter ----
 *
 * The engine starts tasks through this hook: an activity's task is queued
 * for its workers (activities), any other runs its integration
 * (task_functions). What they report is translated into the engine's terms.
 */

/* A task being started, until its integration or queue reports. */
struct task_relay {
    engine_task_report_callback report;
    void *data;
};

static void relay_outcome(const struct task_outcome *outcome, void *data)
{
    struct task_relay *relay = data;
    static const enum engine_task_report_kind kinds[] = {
        [TASK_SUBMITTED] = ENGINE_TASK_SUBMITTED,
        [TASK_SUCCEEDED] = ENGINE_TASK_SUCCEEDED,
        [TASK_FAILED] = ENGINE_TASK_FAILED,
        [TASK_NOT_STARTED] = ENGINE_TASK_NOT_STARTED,
    };
    struct engine_task_report report = { kinds[outcome->kind], outcome->output, outcome->error, outcome->cause };
    relay->report(&report, relay->data);
    free(relay);
}

/* activities_enqueue()'s status: 0 queued, -ENOENT no such activity, -ENOSPC its queue is full, else not queued. */
static void relay_queued(int status, void *data)
{
    struct task_relay *relay = data;
    struct engine_task_report report = {
        .kind = status == 0         ? ENGINE_TASK_QUEUED
                : status == -ENOENT ? ENGINE_TASK_ACTIVITY_MISSING
                : status == -ENOSPC ? ENGINE_TASK_QUEUE_FULL
                                    : ENGINE_TASK_NOT_STARTED,
        .cause = "the activity task could not be queued: Redis gave no answer",
    };
    relay->report(&report, relay->data);
    free(relay);
}

/*
 * The state machine's name in an execution ARN (arn:aws:states:<region>:<account>:execution:<machine>:<name>, or
 * ...:express:<machine>:<name>:<id>); a distributed Map's child execution (...:execution:<machine>/<label>:<name>)
 * gives its parent's machine.
 */
static void machine_of_execution(const char *execution_arn, char *out, size_t size)
{
    const char *at = strstr(execution_arn, ":execution:");
    const char *express = strstr(execution_arn, ":express:");
    at = at ? at + strlen(":execution:") : express ? express + strlen(":express:") : "";
    snprintf(out, size, "%.*s", (int)strcspn(at, ":/"), at);
}

/*
 * A task of an execution of a mock test case whose state the test case
 * mocks: answered now with the mocked Return or Throw, as its integration
 * would have answered. Returns false when the task is not mocked.
 */
static bool answer_mocked_task(struct loan_processor *processor, const struct engine_task *task,
                               engine_task_report_callback report, void *data)
{
    char machine[256];
    struct mock_answer answer;
    if (!task->test_case || task->is_activity)
        return false;
    machine_of_execution(task->execution_arn, machine, sizeof(machine));
    if (!mock_config_answer(processor->mocks, machine, task->test_case, task->state_name, task->invocation, &answer))
        return false;
    char *output = answer.thrown ? NULL : cJSON_PrintUnformatted(answer.result);
    struct engine_task_report outcome = { ENGINE_TASK_FAILED, NULL, answer.error, answer.cause };
    if (!answer.thrown)
        outcome = output ? (struct engine_task_report){ ENGINE_TASK_SUCCEEDED, output, NULL, NULL }
                         : (struct engine_task_report){ ENGINE_TASK_NOT_STARTED, NULL, NULL, "out of memory" };
    log_event(LOG_INFO, "task-mocked", "The task of %s (state %s, invocation %ld) answered from test case %s: %s",
              task->execution_arn, task->state_name ? task->state_name : "?", task->invocation, task->test_case,
              answer.thrown ? answer.error : "Return");
    report(&outcome, data);
    cJSON_free(output);
    return true;
}

static int start_task(void *context, const struct engine_task *task, engine_task_report_callback report, void *data)
{
    struct loan_processor *processor = context;
    if (answer_mocked_task(processor, task, report, data))
        return 0;
    struct task_relay *relay = malloc(sizeof(*relay));
    int result = -ENOMEM;
    if (!relay)
        return -ENOMEM;
    *relay = (struct task_relay){ report, data };
    if (task->is_activity) {
        char *input = cJSON_PrintUnformatted(task->parameters); /* the activity task's input */
        if (input)
            result =
                activities_enqueue(processor->activities, task->resource_arn, task->token, input, relay_queued, relay);
        cJSON_free(input);
    } else {
        struct task_invocation invocation = { task->execution_arn, task->resource_type, task->resource,
                                              task->parameters };
        result = task_functions_invoke(&processor->functions, &invocation, relay_outcome, relay);
    }
    if (result < 0)
        free(relay);
    return result;
}

static int check_activity(void *context, const char *activity_arn, engine_status_callback callback, void *data)
{
    struct loan_processor *processor = context;
    return activities_check(processor->activities, activity_arn, callback, data);
}

static const struct http_route routes[] = {
    { "POST", "/", handle_api },
    { "POST", "/valuation-callback", handle_callback },
    { "GET", "/health", handle_health },
    { "GET", "/stats", handle_stats },
    { "GET", "/", handle_console_file },
    { "GET", "/console/api/graph", handle_console_graph },
    { "GET", "/console/api/execution", handle_console_execution },
    { "GET", "/console/api/valuation", handle_console_valuation },
    { "GET", "/console/events", handle_console_events },
    { "GET", "/console/*", handle_console_file }, /* after the exact console routes: the first match wins */
};

/* The text of the file at path (at most limit bytes; *length set when not NULL), or NULL. */
static char *read_file(const char *path, size_t limit, size_t *length)
{
    FILE *file = fopen(path, "rb");
    if (!file)
        return NULL;
    char *text = malloc(limit + 1);
    size_t read = text ? fread(text, 1, limit + 1, file) : 0;
    fclose(file);
    if (!text || read > limit) {
        free(text);
        return NULL;
    }
    text[read] = '\0';
    if (length)
        *length = read;
    return text;
}

/* SFN_MOCK_CONFIG: read and checked now; a bad file refuses the start with its reason on stderr. */
static int load_mock_config(struct loan_processor *processor)
{
    const char *path = option("SFN_MOCK_CONFIG");
    char error[512];
    size_t length = 0;
    if (!path[0])
        return 0;
    char *text = read_file(path, MAX_MOCK_CONFIG_BYTES, &length);
    int result = text ? mock_config_parse(text, length, &processor->mocks, error, sizeof(error)) : -EIO;
    free(text);
    if (result == -EIO)
        fprintf(stderr,
                "loan-processor: SFN_MOCK_CONFIG %s: cannot read the file (missing, unreadable or over 16 MiB)\n",
                path);
    else if (result == -EINVAL)
        fprintf(stderr, "loan-processor: SFN_MOCK_CONFIG %s: %s\n", path, error);
    else if (result < 0)
        fprintf(stderr, "loan-processor: SFN_MOCK_CONFIG %s: %s\n", path, strerror(-result));
    else
        log_event(LOG_INFO, "mock-config", "mocked test cases read from %s", path);
    return result;
}

/*
 * Checks every <Name>.asl.json of directory and hands it to the engine,
 * which registers it in Redis as state machine Name (created, or its
 * definition updated) once connected. Returns the number found, or -1.
 */
static int load_state_machines(struct engine *engine, const char *directory)
{
    static const char suffix[] = ".asl.json";
    DIR *listing = opendir(directory);
    int loaded = 0;
#ifdef SOURCE_STATE_MACHINES_DIR
    if (!listing && errno == ENOENT && strcmp(directory, DEFAULT_STATE_MACHINES_DIR) == 0) {
        directory = SOURCE_STATE_MACHINES_DIR;
        listing = opendir(directory);
    }
#endif
    if (!listing) {
        log_event(LOG_ERROR, "state-machines", "cannot open STATE_MACHINES_DIR '%s': %s", directory, strerror(errno));
        return -1;
    }
    for (struct dirent *entry; (entry = readdir(listing));) {
        size_t length = strlen(entry->d_name);
        if (length <= sizeof(suffix) - 1 || strcmp(entry->d_name + length - (sizeof(suffix) - 1), suffix) != 0)
            continue;
        char path[4096], name[128], error[1024];
        snprintf(path, sizeof(path), "%s/%s", directory, entry->d_name);
        snprintf(name, sizeof(name), "%.*s", (int)(length - (sizeof(suffix) - 1)), entry->d_name);
        char *definition = read_file(path, MAX_DEFINITION_BYTES, NULL);
        int result = definition ? engine_register_state_machine(engine, name, definition, error, sizeof(error)) : -EIO;
        free(definition);
        if (result < 0) {
            log_event(LOG_ERROR, "state-machines", "%s: %s", path,
                      result == -EINVAL ? error : "cannot read the file (missing, unreadable or over 1 MiB)");
            closedir(listing);
            return -1;
        }
        char arn[320];
        engine_state_machine_arn(engine, name, arn, sizeof(arn));
        log_event(LOG_INFO, "state-machine-loaded", "%s read from %s", arn, path);
        loaded++;
    }
    closedir(listing);
    return loaded;
}

/* The error topic's ARN (by default the one of the follow-up post) and the webhook's function ARN. */
static int configure_error_topic(struct loan_processor *processor)
{
    const char *region = option("AWS_REGION"), *account = option("AWS_ACCOUNT_ID");
    const char *topic = option("ERROR_TOPIC_ARN")[0] ? option("ERROR_TOPIC_ARN") : "LoanProcessorErrorTopic";
    if (sns_topic_arn(topic, region, account, processor->error_topic_arn) < 0) {
        fprintf(stderr, "loan-processor: ERROR_TOPIC_ARN must be arn:aws:sns:<region>:<account>:<TopicName> or a "
                        "TopicName (1-256 of A-Z a-z 0-9 _ -, optionally ending in .fifo)\n");
        return -EINVAL;
    }
    snprintf(processor->callback_function_arn, sizeof(processor->callback_function_arn),
             "arn:aws:lambda:%s:%s:function:ValuationCallbackFunction", region, account);
    return 0;
}

/* TASK_START_LEASE_SECONDS; a lease shorter than the slowest start only warns (it makes a slow start run twice). */
static int configure_task_start_lease(struct loan_processor *processor, long long function_url_timeout_seconds)
{
    double seconds;
    if (config_to_positive_number(option("TASK_START_LEASE_SECONDS"), &seconds) < 0 || seconds > 86400) {
        fprintf(stderr, "loan-processor: TASK_START_LEASE_SECONDS must be a number of seconds > 0 and <= 86400\n");
        return -EINVAL;
    }
    processor->task_start_lease_ms = (int64_t)(seconds * 1000.0);
    double slowest = (double)function_url_timeout_seconds;
    if (slowest < VALUATION_REQUEST_TIMEOUT_MS / 1000.0)
        slowest = VALUATION_REQUEST_TIMEOUT_MS / 1000.0;
    if (seconds <= slowest)
        log_event(LOG_WARN, "configuration",
                  "TASK_START_LEASE_SECONDS (%g) is not above the slowest task start "
                  "(%g s): a slow start may be made twice",
                  seconds, slowest);
    return 0;
}

/* The activity settings; a long poll must end before its request's deadline. */
static int configure_activities(struct loan_processor *processor, struct service_config *config)
{
    double poll_seconds;
    long long max_pollers, max_queued_tasks;
    if (config_to_positive_number(option("ACTIVITY_POLL_SECONDS"), &poll_seconds) < 0 || poll_seconds > 3600
        || config_to_integer(option("ACTIVITY_MAX_POLLERS"), 1, 100000, &max_pollers) < 0
        || config_to_integer(option("ACTIVITY_MAX_QUEUED_TASKS"), 1, 100000000, &max_queued_tasks) < 0) {
        fprintf(stderr, "loan-processor: ACTIVITY_POLL_SECONDS must be a number of seconds > 0 and <= 3600, "
                        "ACTIVITY_MAX_POLLERS 1-100000 and ACTIVITY_MAX_QUEUED_TASKS 1-100000000\n");
        return -EINVAL;
    }
    processor->activities_config = (struct activities_config){
        .region = option("AWS_REGION"),
        .account = option("AWS_ACCOUNT_ID"),
        .poll_timeout_ms = (uint64_t)(poll_seconds * 1000.0),
        .poll_interval_ms = ACTIVITY_POLL_INTERVAL_MS,
        .max_pollers = (size_t)max_pollers,
        .max_activities = MAX_ACTIVITIES,
        .max_queued_tasks = max_queued_tasks,
    };
    uint64_t deadline_ms = processor->activities_config.poll_timeout_ms + POLL_DEADLINE_MARGIN_MS;
    if (config->http.request_deadline_ms < deadline_ms)
        config->http.request_deadline_ms = deadline_ms;
    return 0;
}

/* The console's live streams, and the error topic whose messages it shows (named as in sns:<TopicName>). */
static int configure_console(struct loan_processor *processor, const struct service_config *config)
{
    long long max_streams;
    if (config_to_integer(option("CONSOLE_MAX_STREAMS"), 1, 10000, &max_streams) < 0) {
        fprintf(stderr, "loan-processor: CONSOLE_MAX_STREAMS must be 1-10000\n");
        return -EINVAL;
    }
    const char *topic_name = strrchr(processor->error_topic_arn, ':') + 1; /* the ARN is well formed by now */
    processor->console_api = (struct console_api){ .topic_name = topic_name };
    processor->console_events_config = (struct console_events_config){
        .redis_url = config->redis_url,
        .redis_timeout_ms = config->redis_timeout_ms,
        .topic_name = topic_name,
        .max_streams = (unsigned)max_streams,
        .max_unsent_bytes = CONSOLE_MAX_UNSENT_BYTES,
        .keep_alive_ms = CONSOLE_KEEP_ALIVE_MS,
    };
    return 0;
}

static int configure(struct loan_processor *processor, struct service_config *config)
{
    uint16_t port;
    long long retention, topic_max_messages, queue_max_messages, function_url_timeout;
    if (service_configure_log("loan-processor", option("LOG_FORMAT"), option("LOG_LEVEL")) < 0) {
        return -EINVAL; /* service_configure_log() said why */
    }
    if (config_to_port(option("LOAN_PROCESSOR_PORT"), &port) < 0
        || config_to_positive_number(option("TIME_SCALE"), &processor->time_scale) < 0
        || config_to_integer(option("TOKEN_RETENTION_SECONDS"), 1, 400LL * 24 * 3600, &retention) < 0
        || config_to_integer(option("TOPIC_MAX_MESSAGES"), 1, 100000000, &topic_max_messages) < 0
        || config_to_integer(option("QUEUE_MAX_MESSAGES"), 1, 100000000, &queue_max_messages) < 0
        || config_to_integer(option("FUNCTION_URL_TIMEOUT_SECONDS"), 1, 900, &function_url_timeout) < 0) {
        fprintf(stderr, "loan-processor: LOAN_PROCESSOR_PORT must be 1-65535, TIME_SCALE a number > 0, "
                        "TOKEN_RETENTION_SECONDS a whole number of seconds, TOPIC_MAX_MESSAGES and QUEUE_MAX_MESSAGES "
                        "1-100000000 and FUNCTION_URL_TIMEOUT_SECONDS 1-900\n");
        return -EINVAL;
    }
    if (configure_error_topic(processor) < 0 || configure_task_start_lease(processor, function_url_timeout) < 0)
        return -EINVAL;
    long long shards;
    if (config_to_integer(option("EXECUTION_SHARDS"), 1, ENGINE_MAX_EXECUTION_SHARDS, &shards) < 0) {
        fprintf(stderr, "loan-processor: EXECUTION_SHARDS must be 1-%d\n", ENGINE_MAX_EXECUTION_SHARDS);
        return -EINVAL;
    }
    processor->execution_shards = (unsigned)shards;
    if (access_token_check(option("API_TOKEN")) < 0 || access_token_check(option("CONSOLE_TOKEN")) < 0) {
        fprintf(stderr, "loan-processor: API_TOKEN and CONSOLE_TOKEN must be empty or 16-256 characters of "
                        "A-Z a-z 0-9 - . _ ~ (e.g. openssl rand -hex 32)\n");
        return -EINVAL;
    }
    processor->console_token = option("CONSOLE_TOKEN");
    service_config_defaults(config, "loan-processor", option("REDIS_URL"), option("BIND_ADDRESS"), port);
    if (service_config_from_options(config, option) < 0) {
        fprintf(stderr, "loan-processor: %s\n", SERVICE_OPTIONS_ERROR);
        return -EINVAL;
    }
    config->http.max_body_bytes = 2 * 1024 * 1024;
    if (configure_activities(processor, config) < 0)
        return -EINVAL;
    processor->valuation_function = (struct valuation_request_function){
        .valuation_service_url = option("VALUATION_SERVICE_URL"),
        .callback_url = option("CALLBACK_URL"),
        .token_retention_seconds = retention,
    };
    processor->function_table[0] = (struct task_function){
        .name = VALUATION_REQUEST_FUNCTION_NAME,
        .invoke = valuation_request_function_invoke,
        .context = &processor->valuation_function,
    };
    processor->functions = (struct task_functions_environment){
        .functions = processor->function_table,
        .function_count = sizeof(processor->function_table) / sizeof(processor->function_table[0]),
        .topics = &processor->topics,
        .queues = &processor->queues,
        .function_url_timeout_ms = function_url_timeout * 1000,
    };
    processor->queues = (struct local_queues){ .max_messages = queue_max_messages };
    if (configure_console(processor, config) < 0 || load_mock_config(processor) < 0)
        return -EINVAL;
    uint64_t sync_deadline_ms = (uint64_t)(ENGINE_EXPRESS_MAX_SECONDS * 1000.0 * processor->time_scale)
                                + SYNC_EXECUTION_MARGIN_MS + POLL_DEADLINE_MARGIN_MS;
    if (config->http.request_deadline_ms < sync_deadline_ms) /* a StartSyncExecution ends by itself first */
        config->http.request_deadline_ms = sync_deadline_ms;
    uint64_t test_state_deadline_ms = (uint64_t)(TEST_STATE_API_MAX_SECONDS * 1000.0 * processor->time_scale)
                                      + SYNC_EXECUTION_MARGIN_MS + POLL_DEADLINE_MARGIN_MS;
    if (config->http.request_deadline_ms < test_state_deadline_ms) /* so does a TestState */
        config->http.request_deadline_ms = test_state_deadline_ms;
    processor->topics = (struct local_topics){
        .region = option("AWS_REGION"),
        .account = option("AWS_ACCOUNT_ID"),
        .max_messages = topic_max_messages,
    };
    return 0;
}

int main(int argc, char **argv)
{
    struct loan_processor processor = { 0 };
    struct service_config config;
    char error[256];
    int parsed = config_parse(options, OPTION_COUNT, argc, argv,
                              "Runs Amazon States Language state machines behind the AWS Step Functions API, "
                              "with the loan workflow of 'Using Step Function Task Tokens with CDK'.",
                              error, sizeof(error));
    if (parsed != 0) {
        if (parsed < 0)
            fprintf(stderr, "loan-processor: %s\n", error);
        return parsed < 0 ? 2 : 0;
    }
    if (configure(&processor, &config) < 0) {
        mock_config_free(processor.mocks);
        return 2;
    }
    if (service_init(&processor.service, &config) < 0)
        return 1;
    processor.functions.http = processor.service.http;
    processor.functions.redis = processor.service.redis;
    processor.valuation_function.http = processor.service.http;
    processor.valuation_function.redis = processor.service.redis;
    processor.topics.redis = processor.service.redis;
    processor.queues.redis = processor.service.redis;
    struct engine_config engine_config = {
        .region = option("AWS_REGION"),
        .account = option("AWS_ACCOUNT_ID"),
        .time_scale = processor.time_scale,
        .tasks = { start_task, check_activity, &processor },
        .task_start_lease_ms = processor.task_start_lease_ms,
        .execution_shards = processor.execution_shards,
    };
    int status = 1;
    if (local_topic_init(&processor.topics) < 0 || local_queue_init(&processor.queues) < 0
        || valuation_tokens_init(processor.service.redis) < 0)
        goto done;
    if (activities_create(processor.service.loop, processor.service.redis, &processor.activities_config,
                          &processor.activities)
        < 0)
        goto done;
    if (engine_create(processor.service.loop, processor.service.redis, &engine_config, &processor.engine) < 0)
        goto done;
    if (load_state_machines(processor.engine, option("STATE_MACHINES_DIR")) < 0)
        goto done;
    processor.service.on_drain = stop_background_work;
    processor.service.on_drain_data = &processor;
    processor.api = (struct sfn_api){ processor.engine,
                                      processor.service.redis,
                                      processor.activities,
                                      option("API_TOKEN"),
                                      processor.console_token,
                                      processor.mocks,
                                      NULL };
    const struct execution_waiters_config waiters_config = { config.redis_url, config.redis_timeout_ms };
    if (execution_waiters_create(processor.service.loop, processor.service.redis, &waiters_config, &processor.waiters)
        < 0)
        goto done;
    processor.api.waiters = processor.waiters;
    processor.console_api.redis = processor.service.redis;
    if (console_events_create(processor.service.loop, &processor.console_events_config, &processor.console_events) < 0)
        goto done;
    processor.webhook = (struct webhook){
        .loop = processor.service.loop,
        .engine = processor.engine,
        .redis = processor.service.redis,
        .topics = &processor.topics,
        .error_topic = processor.error_topic_arn,
        .source_arn = processor.callback_function_arn,
        .signing_secrets = option("CALLBACK_SIGNING_SECRET"),
    };
    if (service_listen(&processor.service, &config, routes, sizeof(routes) / sizeof(routes[0]), &processor) < 0)
        goto done;
    status = service_run(&processor.service) < 0 ? 1 : 0;
done:
    engine_stop(processor.engine);
    activities_stop(processor.activities); /* before the server goes: waiting polls end without a task */
    webhook_close(&processor.webhook);     /* before the server goes: callbacks waiting for their token get 503 */
    console_events_destroy(processor.console_events); /* its streams end and its Redis client goes before the loop */
    execution_waiters_destroy(processor.waiters);     /* its waits end and its Redis client goes before the loop */
    service_cleanup(&processor.service);
    console_api_clear(&processor.console_api);
    engine_destroy(processor.engine);
    activities_destroy(processor.activities);
    mock_config_free(processor.mocks);
    return status;
}
