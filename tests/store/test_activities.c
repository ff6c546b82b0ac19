/*
 * test_activities.c - loan-processor/integrations/activities against a real
 * redis-server: activities, their task queues (and bound) and the long poll
 * that takes a task, through the module's public functions.
 */
#include <errno.h>
#include <string.h>

#include "activities.h"
#include "redis_server.h"
#include "test.h"

#define WAIT_MS 5000
#define ARN_PREFIX "arn:aws:states:us-east-1:123456789012:activity:"
#define POLL_TIMEOUT_MS 300
#define MAX_ACTIVITIES 3
#define MAX_QUEUED_TASKS 2

static struct redis_server server;
static struct event_loop *loop;
static struct redis_client *client;
static struct activities *activities;

static struct outcome {
    bool done;
    int calls;
    int status;
    bool found;
    char arn[128];
    char name[96];
    int64_t created_ms;
    size_t count;
    bool more;
    char names[4][96];
} outcome;

static void finish(int status)
{
    outcome.done = true;
    outcome.calls++;
    outcome.status = status;
}

static void on_activity(int status, const struct activity_description *activity, void *data)
{
    (void)data;
    finish(status);
    outcome.found = activity != NULL;
    if (activity) {
        snprintf(outcome.arn, sizeof(outcome.arn), "%s", activity->arn);
        snprintf(outcome.name, sizeof(outcome.name), "%s", activity->name);
        outcome.created_ms = activity->created_ms;
    }
}

static void on_status(int status, void *data)
{
    (void)data;
    finish(status);
}

static void on_list(int status, const struct activity_description *items, size_t count, bool more, void *data)
{
    (void)data;
    finish(status);
    outcome.count = count;
    outcome.more = more;
    for (size_t i = 0; i < count && i < 4; i++)
        snprintf(outcome.names[i], sizeof(outcome.names[i]), "%s", items[i].name);
}

/* Waits for the callback of an operation that returned result. */
static bool answered(int result)
{
    return result == 0 && redis_server_run_until_flag(loop, &outcome.done, WAIT_MS) && outcome.calls == 1;
}

static bool create(const char *name)
{
    outcome = (struct outcome){ 0 };
    return answered(activities_create_activity(activities, name, on_activity, NULL));
}

static bool enqueue(const char *name, const char *token, const char *input)
{
    char arn[128];
    snprintf(arn, sizeof(arn), ARN_PREFIX "%s", name);
    outcome = (struct outcome){ 0 };
    return answered(activities_enqueue(activities, arn, token, input, on_status, NULL));
}

/* ---- a poller ---- */

struct poller {
    bool wanted;      /* still_wanted() answers this */
    int claim_status; /* what the claim reports (0, -ETIMEDOUT, ...) */
    int claims;
    char claimed_token[64];
    char claimed_worker[64];
    bool answered;
    int answers;
    int status;
    char token[64];
    char input[128];
    bool got_task;
    bool claim_at_once;             /* reports the claim before the hook returns */
    struct event_timer claim_timer; /* reports the claim later, as the contract says */
    activity_claim_done claim_done;
    void *claim_context;
};

static bool poller_still_wanted(void *data)
{
    return ((struct poller *)data)->wanted;
}

static void on_claim_recorded(struct event_timer *timer)
{
    struct poller *poller = timer->data;
    poller->claim_done(poller->claim_status, poller->claim_context);
}

static int poller_claim(const char *token, const char *worker_name, activity_claim_done done, void *context, void *data)
{
    struct poller *poller = data;
    poller->claims++;
    snprintf(poller->claimed_token, sizeof(poller->claimed_token), "%s", token);
    snprintf(poller->claimed_worker, sizeof(poller->claimed_worker), "%s", worker_name ? worker_name : "");
    poller->claim_done = done;
    poller->claim_context = context;
    if (poller->claim_at_once)
        done(poller->claim_status, context);
    else
        event_loop_timer_start(loop, &poller->claim_timer, 1, on_claim_recorded, poller);
    return 0;
}

static void poller_answer(int status, const char *token, const char *input, void *data)
{
    struct poller *poller = data;
    poller->answered = true;
    poller->answers++;
    poller->status = status;
    poller->got_task = token != NULL;
    snprintf(poller->token, sizeof(poller->token), "%s", token ? token : "");
    snprintf(poller->input, sizeof(poller->input), "%s", input ? input : "");
}

static int poll_for(const char *name, struct poller *poller)
{
    struct activity_poll poll = {
        .name = name,
        .worker_name = "worker-1",
        .still_wanted = poller_still_wanted,
        .claim = poller_claim,
        .answer = poller_answer,
        .data = poller,
    };
    return activities_poll(activities, &poll);
}

/* ---- the tests ---- */

static void test_create_activity_stores_it_and_indexes_it(void)
{
    ASSERT_TRUE(create("Approve"));
    ASSERT_EQ_INT(0, outcome.status);
    ASSERT_TRUE(outcome.found);
    ASSERT_EQ_STR(ARN_PREFIX "Approve", outcome.arn);
    ASSERT_EQ_STR("Approve", outcome.name);
    ASSERT_TRUE(outcome.created_ms > 1600000000000);
    char *arn = redis_server_string(&server, "HGET {sfn:activity:Approve}:activity arn");
    char *name = redis_server_string(&server, "HGET {sfn:activity:Approve}:activity name");
    char *created = redis_server_string(&server, "HGET {sfn:activity:Approve}:activity creationDate");
    char *score = redis_server_string(&server, "ZSCORE {sfn:activities}:index Approve");
    bool stored = arn && strcmp(arn, ARN_PREFIX "Approve") == 0 && name && strcmp(name, "Approve") == 0 && created
                  && strtoll(created, NULL, 10) == outcome.created_ms && score
                  && strtoll(score, NULL, 10) == outcome.created_ms;
    free(arn);
    free(name);
    free(created);
    free(score);
    ASSERT_TRUE(stored);
}

static void test_create_activity_again_finds_the_same_one(void)
{
    ASSERT_TRUE(create("Approve"));
    int64_t first = outcome.created_ms;
    ASSERT_TRUE(create("Approve"));
    ASSERT_EQ_INT(0, outcome.status);
    ASSERT_EQ_STR(ARN_PREFIX "Approve", outcome.arn);
    ASSERT_EQ_INT(first, outcome.created_ms);
    ASSERT_EQ_INT(1, redis_server_integer(&server, "ZCARD {sfn:activities}:index"));
}

static void test_the_quota_of_activities_is_edquot(void)
{
    ASSERT_TRUE(create("One") && create("Two") && create("Three"));
    ASSERT_TRUE(create("Four"));
    ASSERT_EQ_INT(-EDQUOT, outcome.status);
    ASSERT_TRUE(!outcome.found);
    ASSERT_EQ_INT(0, redis_server_integer(&server, "EXISTS {sfn:activity:Four}:activity"));
    ASSERT_EQ_INT(MAX_ACTIVITIES, redis_server_integer(&server, "ZCARD {sfn:activities}:index"));
}

static void test_describe_and_check(void)
{
    ASSERT_TRUE(create("Approve"));
    outcome = (struct outcome){ 0 };
    ASSERT_TRUE(answered(activities_describe(activities, "Approve", on_activity, NULL)));
    ASSERT_EQ_INT(0, outcome.status);
    ASSERT_TRUE(outcome.found);
    ASSERT_EQ_STR(ARN_PREFIX "Approve", outcome.arn);
    outcome = (struct outcome){ 0 };
    ASSERT_TRUE(answered(activities_describe(activities, "Missing", on_activity, NULL)));
    ASSERT_EQ_INT(0, outcome.status);
    ASSERT_TRUE(!outcome.found);
    outcome = (struct outcome){ 0 };
    ASSERT_TRUE(answered(activities_check(activities, ARN_PREFIX "Approve", on_status, NULL)));
    ASSERT_EQ_INT(0, outcome.status);
    outcome = (struct outcome){ 0 };
    ASSERT_TRUE(answered(activities_check(activities, ARN_PREFIX "Missing", on_status, NULL)));
    ASSERT_EQ_INT(-ENOENT, outcome.status);
    ASSERT_EQ_INT(-EINVAL, activities_check(activities, "not-an-arn", on_status, NULL));
}

static void test_list_pages_oldest_first(void)
{
    ASSERT_TRUE(create("One"));
    redis_server_run_for(loop, 3); /* distinct creation times */
    ASSERT_TRUE(create("Two"));
    redis_server_run_for(loop, 3);
    ASSERT_TRUE(create("Three"));
    outcome = (struct outcome){ 0 };
    ASSERT_TRUE(answered(activities_list(activities, 0, 2, on_list, NULL)));
    ASSERT_EQ_INT(0, outcome.status);
    ASSERT_EQ_INT(2, outcome.count);
    ASSERT_EQ_STR("One", outcome.names[0]);
    ASSERT_EQ_STR("Two", outcome.names[1]);
    ASSERT_TRUE(outcome.more);
    outcome = (struct outcome){ 0 };
    ASSERT_TRUE(answered(activities_list(activities, 2, 2, on_list, NULL)));
    ASSERT_EQ_INT(1, outcome.count);
    ASSERT_EQ_STR("Three", outcome.names[0]);
    ASSERT_TRUE(!outcome.more);
}

static void test_enqueue_stores_the_task_a_worker_receives(void)
{
    ASSERT_TRUE(create("Approve"));
    ASSERT_TRUE(enqueue("Approve", "token-1", "{\"amount\":100}"));
    ASSERT_EQ_INT(0, outcome.status);
    char *task = redis_server_string(&server, "LINDEX {sfn:activity:Approve}:tasks 0");
    bool shaped = task && strcmp(task, "{\"taskToken\":\"token-1\",\"input\":\"{\\\"amount\\\":100}\"}") == 0;
    if (!shaped)
        printf("# queued: %s\n", task ? task : "(none)");
    free(task);
    ASSERT_TRUE(shaped);
}

static void test_the_queue_bound_is_enospc(void)
{
    ASSERT_TRUE(create("Approve"));
    ASSERT_TRUE(enqueue("Approve", "token-1", "{}") && outcome.status == 0);
    ASSERT_TRUE(enqueue("Approve", "token-2", "{}") && outcome.status == 0);
    ASSERT_TRUE(enqueue("Approve", "token-3", "{}"));
    ASSERT_EQ_INT(-ENOSPC, outcome.status);
    ASSERT_EQ_INT(MAX_QUEUED_TASKS, redis_server_integer(&server, "LLEN {sfn:activity:Approve}:tasks"));
}

static void test_enqueue_for_a_missing_activity_is_enoent(void)
{
    ASSERT_TRUE(enqueue("Missing", "token-1", "{}"));
    ASSERT_EQ_INT(-ENOENT, outcome.status);
    ASSERT_EQ_INT(0, redis_server_integer(&server, "EXISTS {sfn:activity:Missing}:tasks"));
    ASSERT_EQ_INT(-EINVAL, activities_enqueue(activities, "arn:aws:sqs:x", "t", "{}", on_status, NULL));
}

static void test_a_poll_takes_the_oldest_task_and_claims_it(void)
{
    struct poller poller = { .wanted = true };
    ASSERT_TRUE(create("Approve"));
    ASSERT_TRUE(enqueue("Approve", "token-1", "{\"n\":1}") && outcome.status == 0);
    ASSERT_TRUE(enqueue("Approve", "token-2", "{\"n\":2}") && outcome.status == 0);
    ASSERT_EQ_INT(0, poll_for("Approve", &poller));
    ASSERT_TRUE(redis_server_run_until_flag(loop, &poller.answered, WAIT_MS));
    ASSERT_EQ_INT(0, poller.status);
    ASSERT_TRUE(poller.got_task);
    ASSERT_EQ_STR("token-1", poller.token);
    ASSERT_EQ_STR("{\"n\":1}", poller.input);
    ASSERT_EQ_INT(1, poller.claims);
    ASSERT_EQ_STR("token-1", poller.claimed_token);
    ASSERT_EQ_STR("worker-1", poller.claimed_worker);
    ASSERT_EQ_INT(1, redis_server_integer(&server, "LLEN {sfn:activity:Approve}:tasks"));
}

/* A claim hook that reports before it returns must not free the poll's state under the module (ASan checks). */
static void test_a_claim_answered_at_once_is_served(void)
{
    struct poller poller = { .wanted = true, .claim_at_once = true };
    ASSERT_TRUE(create("Approve"));
    ASSERT_TRUE(enqueue("Approve", "token-1", "{\"n\":1}") && outcome.status == 0);
    ASSERT_EQ_INT(0, poll_for("Approve", &poller));
    ASSERT_TRUE(redis_server_run_until_flag(loop, &poller.answered, WAIT_MS));
    ASSERT_EQ_INT(0, poller.status);
    ASSERT_EQ_STR("token-1", poller.token);
    ASSERT_EQ_INT(1, poller.claims);
    ASSERT_EQ_INT(1, poller.answers);
    ASSERT_EQ_INT(0, redis_server_integer(&server, "LLEN {sfn:activity:Approve}:tasks"));
}

static void test_a_waiting_poll_gets_a_task_queued_by_another_process(void)
{
    struct poller poller = { .wanted = true };
    ASSERT_TRUE(create("Approve"));
    ASSERT_EQ_INT(0, poll_for("Approve", &poller));
    redis_server_run_for(loop, 50);
    ASSERT_TRUE(!poller.answered);
    redisReply *pushed = redis_server_command(&server, "RPUSH {sfn:activity:Approve}:tasks %s",
                                              "{\"taskToken\":\"elsewhere\",\"input\":\"{}\"}");
    freeReplyObject(pushed);
    ASSERT_TRUE(redis_server_run_until_flag(loop, &poller.answered, WAIT_MS));
    ASSERT_EQ_INT(0, poller.status);
    ASSERT_EQ_STR("elsewhere", poller.token);
}

static void test_a_poll_without_a_task_ends_empty_after_its_timeout(void)
{
    struct poller poller = { .wanted = true };
    ASSERT_TRUE(create("Approve"));
    uint64_t started = event_loop_now_ms();
    ASSERT_EQ_INT(0, poll_for("Approve", &poller));
    ASSERT_TRUE(redis_server_run_until_flag(loop, &poller.answered, WAIT_MS));
    ASSERT_EQ_INT(0, poller.status);
    ASSERT_TRUE(!poller.got_task);
    ASSERT_EQ_INT(0, poller.claims);
    ASSERT_TRUE(event_loop_now_ms() - started >= POLL_TIMEOUT_MS);
}

static void test_a_closed_task_is_skipped(void)
{
    struct poller poller = { .wanted = true, .claim_status = -ETIMEDOUT };
    ASSERT_TRUE(create("Approve"));
    ASSERT_TRUE(enqueue("Approve", "closed", "{}") && outcome.status == 0);
    ASSERT_EQ_INT(0, poll_for("Approve", &poller));
    ASSERT_TRUE(redis_server_run_until_flag(loop, &poller.answered, WAIT_MS));
    ASSERT_EQ_INT(0, poller.status);
    ASSERT_TRUE(!poller.got_task);
    ASSERT_EQ_INT(1, poller.claims);
    ASSERT_EQ_INT(0, redis_server_integer(&server, "LLEN {sfn:activity:Approve}:tasks"));
}

static bool task_queued(void *data)
{
    (void)data;
    return redis_server_integer(&server, "LLEN {sfn:activity:Approve}:tasks") == 1;
}

static void test_a_task_taken_for_a_vanished_poller_goes_back(void)
{
    struct poller poller = { .wanted = false };
    ASSERT_TRUE(create("Approve"));
    ASSERT_TRUE(enqueue("Approve", "token-1", "{}") && outcome.status == 0);
    ASSERT_EQ_INT(0, poll_for("Approve", &poller));
    ASSERT_TRUE(redis_server_run_until_flag(loop, &poller.answered, WAIT_MS));
    ASSERT_EQ_INT(-ECANCELED, poller.status);
    ASSERT_EQ_INT(0, poller.claims);
    ASSERT_TRUE(redis_server_run_until(loop, task_queued, NULL, WAIT_MS)); /* the put-back */
    char *task = redis_server_string(&server, "LINDEX {sfn:activity:Approve}:tasks 0");
    bool back = task && strstr(task, "\"token-1\"");
    free(task);
    ASSERT_TRUE(back);
}

static void test_delete_drops_the_activity_and_its_queue(void)
{
    struct poller poller = { .wanted = true };
    ASSERT_TRUE(create("Approve"));
    ASSERT_TRUE(enqueue("Approve", "token-1", "{}") && outcome.status == 0);
    outcome = (struct outcome){ 0 };
    ASSERT_TRUE(answered(activities_delete(activities, "Approve", on_status, NULL)));
    ASSERT_EQ_INT(0, outcome.status);
    ASSERT_EQ_INT(0, redis_server_integer(&server, "EXISTS {sfn:activity:Approve}:activity"));
    ASSERT_EQ_INT(0, redis_server_integer(&server, "EXISTS {sfn:activity:Approve}:tasks"));
    ASSERT_EQ_INT(0, redis_server_integer(&server, "ZCARD {sfn:activities}:index"));
    ASSERT_EQ_INT(0, poll_for("Approve", &poller));
    ASSERT_TRUE(redis_server_run_until_flag(loop, &poller.answered, WAIT_MS));
    ASSERT_EQ_INT(-ENOENT, poller.status);
}

static int init_activities(void *config)
{
    return activities_create(loop, client, config, &activities);
}

int main(void)
{
    struct activities_config config = {
        .region = "us-east-1",
        .account = "123456789012",
        .poll_timeout_ms = POLL_TIMEOUT_MS,
        .poll_interval_ms = 20,
        .max_pollers = 4,
        .max_activities = MAX_ACTIVITIES,
        .max_queued_tasks = MAX_QUEUED_TASKS,
    };
    if (redis_server_open(&server, &loop, &client, init_activities, &config) < 0)
        return 1;
    REDIS_SERVER_RUN_FLUSHED(&server, test_create_activity_stores_it_and_indexes_it);
    REDIS_SERVER_RUN_FLUSHED(&server, test_create_activity_again_finds_the_same_one);
    REDIS_SERVER_RUN_FLUSHED(&server, test_the_quota_of_activities_is_edquot);
    REDIS_SERVER_RUN_FLUSHED(&server, test_describe_and_check);
    REDIS_SERVER_RUN_FLUSHED(&server, test_list_pages_oldest_first);
    REDIS_SERVER_RUN_FLUSHED(&server, test_enqueue_stores_the_task_a_worker_receives);
    REDIS_SERVER_RUN_FLUSHED(&server, test_the_queue_bound_is_enospc);
    REDIS_SERVER_RUN_FLUSHED(&server, test_enqueue_for_a_missing_activity_is_enoent);
    REDIS_SERVER_RUN_FLUSHED(&server, test_a_poll_takes_the_oldest_task_and_claims_it);
    REDIS_SERVER_RUN_FLUSHED(&server, test_a_claim_answered_at_once_is_served);
    REDIS_SERVER_RUN_FLUSHED(&server, test_a_waiting_poll_gets_a_task_queued_by_another_process);
    REDIS_SERVER_RUN_FLUSHED(&server, test_a_poll_without_a_task_ends_empty_after_its_timeout);
    REDIS_SERVER_RUN_FLUSHED(&server, test_a_closed_task_is_skipped);
    REDIS_SERVER_RUN_FLUSHED(&server, test_a_task_taken_for_a_vanished_poller_goes_back);
    REDIS_SERVER_RUN_FLUSHED(&server, test_delete_drops_the_activity_and_its_queue);
    activities_stop(activities);
    redis_server_close(&server, loop, client);
    activities_destroy(activities);
    return test_done();
}
