/* execution_waiters - see execution_waiters.h. */
#include "execution_waiters.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <cjson/cJSON.h>

#include "execution_store.h"
#include "wall_clock.h"

/* How often deadlines and clients are looked at while anyone waits. */
#define TICK_MS 1000
/* Room for an execution's store id. */
#define WAITER_ID_SIZE 256

struct waiter {
    TAILQ_ENTRY(waiter) link;
    struct execution_waiters *hub; /* NULL once finished */
    char execution_id[WAITER_ID_SIZE];
    char *execution_arn;
    int64_t deadline_ms;
    struct http_request *request;
    execution_waiter_callback callback;
    void *data;
    bool loading;  /* a read of its record is in flight (it owns the waiter until it returns) */
    bool finished; /* its callback has run */
};

TAILQ_HEAD(waiter_list, waiter);

struct execution_waiters {
    struct event_loop *loop;
    struct redis_client *redis;
    struct redis_client *subscriber;
    struct waiter_list waiting;
    size_t count;
    struct event_timer tick;
    unsigned ticks;
    bool closed;
};

static void waiter_free(struct waiter *waiter)
{
    free(waiter->execution_arn);
    free(waiter);
}

/* Answers waiter's callback once; frees it unless a read still holds it. */
static void finish(struct waiter *waiter, int status, const struct execution_record *record)
{
    if (waiter->finished)
        return;
    waiter->finished = true;
    TAILQ_REMOVE(&waiter->hub->waiting, waiter, link);
    waiter->hub->count--;
    waiter->hub = NULL;
    waiter->callback(status, record, waiter->data);
    if (!waiter->loading)
        waiter_free(waiter);
}

static void on_record(int status, struct execution_record *record, void *data)
{
    struct waiter *waiter = data;
    waiter->loading = false;
    if (waiter->finished)
        waiter_free(waiter);
    else if (status == 0 && !record)
        finish(waiter, -EIO, NULL); /* gone: an ended EXPRESS execution is kept only briefly */
    else if (status == 0 && record->status && strcmp(record->status, "RUNNING") != 0)
        finish(waiter, 0, record);
    execution_store_record_free(record); /* a failed read is tried again by the next look */
}

/* Reads waiter's record (unless a read is in flight); its end answers the waiter. */
static void look(struct waiter *waiter)
{
    if (waiter->loading || waiter->finished)
        return;
    waiter->loading = true;
    if (execution_store_load(waiter->hub->redis, waiter->execution_id, on_record, waiter) < 0)
        waiter->loading = false; /* Redis away: the next look tries again */
}

static void look_at_all(struct execution_waiters *hub)
{
    struct waiter *waiter;
    TAILQ_FOREACH(waiter, &hub->waiting, link)
    look(waiter);
}

static void start_ticking(struct execution_waiters *hub);

static void on_tick(struct event_timer *timer)
{
    struct execution_waiters *hub = timer->data;
    int64_t now = wall_clock_now_ms();
    bool recheck = ++hub->ticks % (EXECUTION_WAITERS_RECHECK_MS / TICK_MS) == 0;
    for (struct waiter *waiter = TAILQ_FIRST(&hub->waiting), *next; waiter; waiter = next) {
        next = TAILQ_NEXT(waiter, link);
        if (now >= waiter->deadline_ms)
            finish(waiter, -ETIMEDOUT, NULL);
        else if (!http_request_client_connected(waiter->request))
            finish(waiter, -ECANCELED, NULL);
        else if (recheck)
            look(waiter);
    }
    start_ticking(hub);
}

static void start_ticking(struct execution_waiters *hub)
{
    if (hub->count && !hub->closed && !hub->tick.active)
        event_loop_timer_start(hub->loop, &hub->tick, TICK_MS, on_tick, hub);
}

/* An announced change: the waiters of an execution that is no longer RUNNING read its record. */
static void on_message(const char *channel, const char *message, size_t length, void *data)
{
    struct execution_waiters *hub = data;
    (void)channel;
    if (!hub->count)
        return;
    char *text = malloc(length + 1); /* the message is not NUL-terminated */
    if (!text)
        return; /* the periodic look finds the end */
    memcpy(text, message, length);
    text[length] = '\0';
    cJSON *change = strstr(text, "\"RUNNING\"") ? NULL : cJSON_Parse(text);
    const cJSON *arn = cJSON_GetObjectItemCaseSensitive(change, "executionArn");
    if (cJSON_IsString(arn)) {
        struct waiter *waiter;
        TAILQ_FOREACH(waiter, &hub->waiting, link)
        {
            if (strcmp(waiter->execution_arn, arn->valuestring) == 0)
                look(waiter);
        }
    }
    cJSON_Delete(change);
    free(text);
}

/* Announcements were lost while the subscriber was away: every waiter reads its record again. */
static void on_subscriber_change(bool connected, void *data)
{
    if (connected)
        look_at_all(data);
}

int execution_waiters_create(struct event_loop *loop, struct redis_client *redis,
                             const struct execution_waiters_config *config, struct execution_waiters **waiters)
{
    struct execution_waiters *hub = calloc(1, sizeof(*hub));
    if (!hub)
        return -ENOMEM;
    hub->loop = loop;
    hub->redis = redis;
    TAILQ_INIT(&hub->waiting);
    struct redis_client_config redis_config = { .url = config->redis_url,
                                                .command_timeout_ms = config->redis_timeout_ms,
                                                .max_pending = 8,
                                                .name = "loan-processor-execution-waiters" };
    int result = redis_client_create(loop, &redis_config, &hub->subscriber);
    if (result == 0) {
        const char *channels[] = { EXECUTION_STORE_CHANGES_CHANNEL };
        result = redis_client_subscribe(hub->subscriber, channels, 1, on_message, hub);
    }
    if (result < 0) {
        execution_waiters_destroy(hub);
        return result;
    }
    redis_client_on_change(hub->subscriber, on_subscriber_change, hub);
    *waiters = hub;
    return 0;
}

int execution_waiters_wait(struct execution_waiters *hub, const char *execution_id, const char *execution_arn,
                           int64_t deadline_ms, struct http_request *request, execution_waiter_callback callback,
                           void *data)
{
    if (hub->closed)
        return -ESHUTDOWN;
    struct waiter *waiter = calloc(1, sizeof(*waiter));
    if (!waiter || strlen(execution_id) >= sizeof(waiter->execution_id)
        || !(waiter->execution_arn = strdup(execution_arn))) {
        free(waiter);
        return -ENOMEM;
    }
    memcpy(waiter->execution_id, execution_id, strlen(execution_id) + 1);
    waiter->hub = hub;
    waiter->deadline_ms = deadline_ms;
    waiter->request = request;
    waiter->callback = callback;
    waiter->data = data;
    TAILQ_INSERT_TAIL(&hub->waiting, waiter, link);
    hub->count++;
    start_ticking(hub);
    look(waiter); /* it may have ended before anyone waited */
    return 0;
}

size_t execution_waiters_count(const struct execution_waiters *waiters)
{
    return waiters->count;
}

void execution_waiters_close(struct execution_waiters *hub)
{
    if (!hub || hub->closed)
        return;
    hub->closed = true;
    while (!TAILQ_EMPTY(&hub->waiting))
        finish(TAILQ_FIRST(&hub->waiting), -ESHUTDOWN, NULL);
    event_loop_timer_stop(hub->loop, &hub->tick);
    if (hub->subscriber)
        redis_client_close(hub->subscriber);
}

void execution_waiters_destroy(struct execution_waiters *hub)
{
    if (!hub)
        return;
    execution_waiters_close(hub);
    redis_client_destroy(hub->subscriber);
    free(hub);
}
