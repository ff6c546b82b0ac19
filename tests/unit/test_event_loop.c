/*
 * test_event_loop.c - unit tests for common/event_loop.c, on a real epoll
 * loop with real pipes and the real monotonic clock (no mocks). Every wait is
 * bounded: event_loop_run_once() gets a maximum wait, and loops of it stop at
 * a deadline.
 */
#include "event_loop.h"
#include "test.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <unistd.h>

/* ---- recording callbacks ---------------------------------------------- */

struct recorder {
    char order[512];
    size_t count;
};

static struct recorder recorded;

static void record(char symbol)
{
    if (recorded.count + 1 < sizeof(recorded.order)) {
        recorded.order[recorded.count++] = symbol;
        recorded.order[recorded.count] = '\0';
    }
}

static void reset_recorder(void)
{
    memset(&recorded, 0, sizeof(recorded));
}

/* Each timer's data points at the character it records. */
static void on_timer_record(struct event_timer *timer)
{
    record(*(const char *)timer->data);
}

static const char symbols[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/* Runs iterations (each waiting at most 50 ms) until count events were recorded or 2 s passed. */
static void run_until_recorded(struct event_loop *loop, size_t count)
{
    uint64_t deadline = event_loop_now_ms() + 2000;
    while (recorded.count < count && event_loop_now_ms() < deadline && event_loop_run_once(loop, 50) == 0)
        continue;
}

static struct event_loop *callback_loop_for_restart;

/* ---- timers ------------------------------------------------------------ */

static void check_due_order_and_fifo(struct event_loop *loop, struct event_timer timers[6])
{
    /* Armed in the order a..f; due: b, d, f now (FIFO among them), then c, e at +50 ms, then a at +100 ms. */
    static const uint64_t delays[6] = { 100, 0, 50, 0, 50, 0 };
    for (size_t i = 0; i < 6; i++)
        event_loop_timer_start(loop, &timers[i], delays[i], on_timer_record, (void *)&symbols[i]);
    ASSERT_EQ_INT(0, event_loop_run_once(loop, 0));
    ASSERT_EQ_STR("bdf", recorded.order);
    run_until_recorded(loop, 6);
    ASSERT_EQ_STR("bdfcea", recorded.order);
}

static void test_timers_fire_in_due_order_and_fifo_for_equal_times(void)
{
    struct event_loop *loop = NULL;
    struct event_timer timers[6];

    memset(timers, 0, sizeof(timers));
    reset_recorder();
    ASSERT_EQ_INT(0, event_loop_create(&loop));
    check_due_order_and_fifo(loop, timers);
    event_loop_destroy(loop);
}

static void check_many_timers_sorted(struct event_loop *loop, struct event_timer timers[20])
{
    /* A permutation of 0..19, times 5 ms: the heap must hand them out sorted. */
    static const int slots[20] = { 7, 19, 0, 12, 3, 15, 9, 1, 18, 5, 11, 2, 16, 8, 13, 4, 17, 10, 6, 14 };
    char expected[21];
    for (size_t i = 0; i < 20; i++) {
        event_loop_timer_start(loop, &timers[i], (uint64_t)slots[i] * 5, on_timer_record, (void *)&symbols[i]);
        expected[slots[i]] = symbols[i];
    }
    expected[20] = '\0';
    run_until_recorded(loop, 20);
    ASSERT_EQ_STR(expected, recorded.order);
}

static void test_many_timers_fire_sorted_by_due_time(void)
{
    struct event_loop *loop = NULL;
    struct event_timer timers[20];

    memset(timers, 0, sizeof(timers));
    reset_recorder();
    ASSERT_EQ_INT(0, event_loop_create(&loop));
    check_many_timers_sorted(loop, timers);
    event_loop_destroy(loop);
}

static void check_fifo_after_stops(struct event_loop *loop, struct event_timer timers[150])
{
    /* Many timers (a heap eight levels deep), all due now; stopping every third
     * one reshuffles the heap, but the rest must still fire in arming order. */
    static const char cycle[] = "0123456789";
    char expected[151];
    size_t expected_length = 0;
    for (size_t i = 0; i < 150; i++)
        event_loop_timer_start(loop, &timers[i], 0, on_timer_record, (void *)&cycle[i % 10]);
    for (size_t i = 0; i < 150; i++) {
        if (i % 3 == 1)
            event_loop_timer_stop(loop, &timers[i]);
        else
            expected[expected_length++] = cycle[i % 10];
    }
    expected[expected_length] = '\0';
    ASSERT_EQ_INT(0, event_loop_run_once(loop, 0));
    ASSERT_EQ_STR(expected, recorded.order);
    for (size_t i = 0; i < 150; i++)
        ASSERT_TRUE(!timers[i].active);
}

static void test_equal_due_timers_stay_fifo_after_stops(void)
{
    struct event_loop *loop = NULL;
    static struct event_timer timers[150];

    memset(timers, 0, sizeof(timers));
    reset_recorder();
    ASSERT_EQ_INT(0, event_loop_create(&loop));
    check_fifo_after_stops(loop, timers);
    event_loop_destroy(loop);
}

static void check_timer_stop(struct event_loop *loop, struct event_timer *a, struct event_timer *b,
                             struct event_timer *c)
{
    event_loop_timer_start(loop, a, 0, on_timer_record, (void *)&symbols[0]);
    event_loop_timer_start(loop, b, 0, on_timer_record, (void *)&symbols[1]);
    event_loop_timer_start(loop, c, 0, on_timer_record, (void *)&symbols[2]);
    event_loop_timer_stop(loop, a);
    ASSERT_TRUE(!a->active);
    event_loop_timer_stop(loop, a); /* safe on an inactive timer */
    ASSERT_EQ_INT(0, event_loop_run_once(loop, 0));
    ASSERT_EQ_STR("bc", recorded.order);
    ASSERT_EQ_INT(0, event_loop_run_once(loop, 20));
    ASSERT_EQ_STR("bc", recorded.order);
}

static void test_timer_stop_prevents_firing(void)
{
    struct event_loop *loop = NULL;
    struct event_timer a, b, c;

    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    memset(&c, 0, sizeof(c));
    reset_recorder();
    ASSERT_EQ_INT(0, event_loop_create(&loop));
    check_timer_stop(loop, &a, &b, &c);
    event_loop_destroy(loop);
}

static struct event_loop *callback_loop;
static struct event_timer stop_target;

static void on_timer_stops_target(struct event_timer *timer)
{
    record(*(const char *)timer->data);
    event_loop_timer_stop(callback_loop, &stop_target);
}

static void check_stop_from_callback(struct event_loop *loop, struct event_timer *first)
{
    /* Both due in the same iteration; the first callback disarms the second. */
    event_loop_timer_start(loop, first, 0, on_timer_stops_target, (void *)&symbols[0]);
    event_loop_timer_start(loop, &stop_target, 0, on_timer_record, (void *)&symbols[1]);
    ASSERT_EQ_INT(0, event_loop_run_once(loop, 0));
    ASSERT_EQ_INT(0, event_loop_run_once(loop, 20));
    ASSERT_EQ_STR("a", recorded.order);
}

static void test_timer_stopped_by_an_earlier_callback_does_not_fire(void)
{
    struct event_timer first;

    memset(&first, 0, sizeof(first));
    memset(&stop_target, 0, sizeof(stop_target));
    reset_recorder();
    ASSERT_EQ_INT(0, event_loop_create(&callback_loop));
    check_stop_from_callback(callback_loop, &first);
    event_loop_destroy(callback_loop);
    callback_loop = NULL;
}

static void check_rearm(struct event_loop *loop, struct event_timer *a, struct event_timer *b, struct event_timer *late,
                        struct event_timer *early)
{
    /* a re-armed after b with the same delay moves behind b. */
    event_loop_timer_start(loop, a, 0, on_timer_record, (void *)&symbols[0]);
    event_loop_timer_start(loop, b, 0, on_timer_record, (void *)&symbols[1]);
    event_loop_timer_start(loop, a, 0, on_timer_record, (void *)&symbols[0]);
    /* late was due now, re-armed to 10 s; early was due in 10 s, re-armed to now. */
    event_loop_timer_start(loop, late, 0, on_timer_record, (void *)&symbols[11]);
    event_loop_timer_start(loop, early, 10000, on_timer_record, (void *)&symbols[4]);
    event_loop_timer_start(loop, late, 10000, on_timer_record, (void *)&symbols[11]);
    event_loop_timer_start(loop, early, 0, on_timer_record, (void *)&symbols[4]);
    ASSERT_EQ_INT(0, event_loop_run_once(loop, 0));
    ASSERT_EQ_STR("bae", recorded.order);
    ASSERT_TRUE(late->active);
    ASSERT_EQ_INT(0, event_loop_run_once(loop, 20));
    ASSERT_EQ_STR("bae", recorded.order);
}

static void test_rearming_moves_a_timer(void)
{
    struct event_loop *loop = NULL;
    struct event_timer a, b, late, early;

    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    memset(&late, 0, sizeof(late));
    memset(&early, 0, sizeof(early));
    reset_recorder();
    ASSERT_EQ_INT(0, event_loop_create(&loop));
    check_rearm(loop, &a, &b, &late, &early);
    event_loop_destroy(loop);
}

static struct event_timer chained_timer;

static void on_timer_arms_another(struct event_timer *timer)
{
    record(*(const char *)timer->data);
    event_loop_timer_start(callback_loop, &chained_timer, 0, on_timer_record, (void *)&symbols[25]);
}

static void check_chained(struct event_loop *loop, struct event_timer *first)
{
    event_loop_timer_start(loop, first, 0, on_timer_arms_another, (void *)&symbols[0]);
    ASSERT_EQ_INT(0, event_loop_run_once(loop, 0));
    ASSERT_EQ_STR("a", recorded.order);
    ASSERT_TRUE(chained_timer.active);
    ASSERT_EQ_INT(0, event_loop_run_once(loop, 0));
    ASSERT_EQ_STR("az", recorded.order);
}

static void test_timer_armed_by_a_callback_with_delay_0_fires_next_iteration(void)
{
    struct event_timer first;

    memset(&first, 0, sizeof(first));
    memset(&chained_timer, 0, sizeof(chained_timer));
    reset_recorder();
    ASSERT_EQ_INT(0, event_loop_create(&callback_loop));
    check_chained(callback_loop, &first);
    event_loop_destroy(callback_loop);
    callback_loop = NULL;
}

static void check_timer_bounds_wait(struct event_loop *loop, struct event_timer *timer)
{
    /* With an unlimited max wait the loop must still wake for the timer. */
    uint64_t start = event_loop_now_ms();
    event_loop_timer_start(loop, timer, 30, on_timer_record, (void *)&symbols[0]);
    ASSERT_EQ_INT(0, event_loop_run_once(loop, -1));
    uint64_t elapsed = event_loop_now_ms() - start;
    ASSERT_EQ_STR("a", recorded.order);
    ASSERT_TRUE(elapsed >= 29);
    ASSERT_TRUE(elapsed < 1000);
}

static void test_timer_bounds_an_unlimited_wait(void)
{
    struct event_loop *loop = NULL;
    struct event_timer timer;

    memset(&timer, 0, sizeof(timer));
    reset_recorder();
    ASSERT_EQ_INT(0, event_loop_create(&loop));
    check_timer_bounds_wait(loop, &timer);
    event_loop_destroy(loop);
}

/* ---- watchers ---------------------------------------------------------- */

struct pipe_pair {
    int read_fd;
    int write_fd;
};

static bool open_pipe(struct pipe_pair *pair)
{
    int fds[2];
    if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) < 0)
        return false;
    pair->read_fd = fds[0];
    pair->write_fd = fds[1];
    return true;
}

static void close_pipe(struct pipe_pair *pair)
{
    if (pair->read_fd >= 0)
        close(pair->read_fd);
    if (pair->write_fd >= 0)
        close(pair->write_fd);
    pair->read_fd = pair->write_fd = -1;
}

static int watcher_calls;
static uint32_t watcher_events;
static int watcher_fd;
static char watcher_byte;

static void on_readable_read_byte(struct event_watcher *watcher, uint32_t events)
{
    watcher_calls++;
    watcher_events = events;
    watcher_fd = watcher->fd;
    if (read(watcher->fd, &watcher_byte, 1) != 1)
        watcher_byte = '?';
}

static void check_pipe_watcher(struct event_loop *loop, struct event_watcher *watcher, struct pipe_pair *pair)
{
    ASSERT_EQ_INT(0, event_loop_watch(loop, watcher, pair->read_fd, EPOLLIN, on_readable_read_byte, NULL));
    ASSERT_TRUE(watcher->registered);
    ASSERT_EQ_INT(0, event_loop_run_once(loop, 0));
    ASSERT_EQ_INT(0, watcher_calls);
    ASSERT_EQ_INT(1, write(pair->write_fd, "x", 1));
    ASSERT_EQ_INT(0, event_loop_run_once(loop, 1000));
    ASSERT_EQ_INT(1, watcher_calls);
    ASSERT_TRUE((watcher_events & EPOLLIN) != 0);
    ASSERT_EQ_INT(pair->read_fd, watcher_fd);
    ASSERT_EQ_INT('x', watcher_byte);
    /* Drained: nothing more to report. */
    ASSERT_EQ_INT(0, event_loop_run_once(loop, 0));
    ASSERT_EQ_INT(1, watcher_calls);
    /* Unwatched: a new byte goes unnoticed. */
    event_loop_unwatch(loop, watcher);
    ASSERT_TRUE(!watcher->registered);
    event_loop_unwatch(loop, watcher); /* safe when not registered */
    ASSERT_EQ_INT(1, write(pair->write_fd, "y", 1));
    ASSERT_EQ_INT(0, event_loop_run_once(loop, 20));
    ASSERT_EQ_INT(1, watcher_calls);
}

static void test_watcher_fires_when_a_pipe_becomes_readable(void)
{
    struct event_loop *loop = NULL;
    struct event_watcher watcher;
    struct pipe_pair pair = { -1, -1 };

    memset(&watcher, 0, sizeof(watcher));
    watcher_calls = 0;
    ASSERT_EQ_INT(0, event_loop_create(&loop));
    if (open_pipe(&pair))
        check_pipe_watcher(loop, &watcher, &pair);
    else
        test_current_failed = 1;
    event_loop_unwatch(loop, &watcher);
    close_pipe(&pair);
    event_loop_destroy(loop);
}

static void check_hangup(struct event_loop *loop, struct event_watcher *watcher, struct pipe_pair *pair)
{
    ASSERT_EQ_INT(0, event_loop_watch(loop, watcher, pair->read_fd, EPOLLIN, on_readable_read_byte, NULL));
    close(pair->write_fd);
    pair->write_fd = -1;
    ASSERT_EQ_INT(0, event_loop_run_once(loop, 1000));
    ASSERT_TRUE(watcher_calls >= 1);
    ASSERT_TRUE((watcher_events & EPOLLHUP) != 0);
}

static void test_watcher_reports_hangup(void)
{
    struct event_loop *loop = NULL;
    struct event_watcher watcher;
    struct pipe_pair pair = { -1, -1 };

    memset(&watcher, 0, sizeof(watcher));
    watcher_calls = 0;
    watcher_events = 0;
    ASSERT_EQ_INT(0, event_loop_create(&loop));
    if (open_pipe(&pair))
        check_hangup(loop, &watcher, &pair);
    else
        test_current_failed = 1;
    event_loop_unwatch(loop, &watcher);
    close_pipe(&pair);
    event_loop_destroy(loop);
}

static void test_watch_bad_fd_registers_nothing(void)
{
    struct event_loop *loop = NULL;
    struct event_watcher watcher;

    memset(&watcher, 0, sizeof(watcher));
    ASSERT_EQ_INT(0, event_loop_create(&loop));
    int rc = event_loop_watch(loop, &watcher, -1, EPOLLIN, on_readable_read_byte, NULL);
    bool registered = watcher.registered;
    event_loop_unwatch(loop, &watcher);
    event_loop_destroy(loop);
    ASSERT_EQ_INT(-EBADF, rc);
    ASSERT_TRUE(!registered);
}

/* Two watchers; whichever runs first unwatches the other. */
static struct event_watcher rival_watchers[2];
static int rival_calls[2];

static void on_readable_unwatch_rival(struct event_watcher *watcher, uint32_t events)
{
    int self = watcher == &rival_watchers[0] ? 0 : 1;
    (void)events;
    rival_calls[self]++;
    event_loop_unwatch(callback_loop, &rival_watchers[1 - self]);
}

static void check_unwatch_in_batch(struct event_loop *loop, struct pipe_pair pairs[2])
{
    for (int i = 0; i < 2; i++) {
        ASSERT_EQ_INT(
            0, event_loop_watch(loop, &rival_watchers[i], pairs[i].read_fd, EPOLLIN, on_readable_unwatch_rival, NULL));
        /* Both readable before the poll, so one epoll_wait returns both. */
        ASSERT_EQ_INT(1, write(pairs[i].write_fd, "z", 1));
    }
    ASSERT_EQ_INT(0, event_loop_run_once(loop, 1000));
    ASSERT_EQ_INT(1, rival_calls[0] + rival_calls[1]);
    int survivor = rival_calls[0] ? 0 : 1;
    ASSERT_TRUE(rival_watchers[survivor].registered);
    ASSERT_TRUE(!rival_watchers[1 - survivor].registered);
}

static void test_unwatch_from_a_callback_drops_the_pending_event(void)
{
    struct pipe_pair pairs[2] = { { -1, -1 }, { -1, -1 } };

    memset(rival_watchers, 0, sizeof(rival_watchers));
    memset(rival_calls, 0, sizeof(rival_calls));
    ASSERT_EQ_INT(0, event_loop_create(&callback_loop));
    if (open_pipe(&pairs[0]) && open_pipe(&pairs[1]))
        check_unwatch_in_batch(callback_loop, pairs);
    else
        test_current_failed = 1;
    event_loop_unwatch(callback_loop, &rival_watchers[0]);
    event_loop_unwatch(callback_loop, &rival_watchers[1]);
    close_pipe(&pairs[0]);
    close_pipe(&pairs[1]);
    event_loop_destroy(callback_loop);
    callback_loop = NULL;
}

/* ---- hooks, run and stop ----------------------------------------------- */

static int64_t prepare_no_wait(void *data)
{
    (void)data;
    record('p');
    return 0;
}

static void on_check(void *data)
{
    (void)data;
    record('k');
}

static void check_hooks(struct event_loop *loop, struct event_hook *hook, struct event_timer *timer,
                        struct event_timer *safety)
{
    /* prepare() returning 0 keeps an unlimited wait from blocking; the
     * safety timer bounds the test if it did block. */
    event_loop_timer_start(loop, safety, 2000, on_timer_record, (void *)&symbols[18]);
    event_loop_timer_start(loop, timer, 0, on_timer_record, (void *)&symbols[19]);
    event_loop_add_hook(loop, hook);
    uint64_t start = event_loop_now_ms();
    ASSERT_EQ_INT(0, event_loop_run_once(loop, -1));
    ASSERT_TRUE(event_loop_now_ms() - start < 1000);
    /* prepare before the poll, check after the due timers fired. */
    ASSERT_EQ_STR("ptk", recorded.order);
    event_loop_remove_hook(loop, hook);
    event_loop_remove_hook(loop, hook); /* safe when not registered */
    ASSERT_EQ_INT(0, event_loop_run_once(loop, 0));
    ASSERT_EQ_STR("ptk", recorded.order);
}

static void test_hooks_run_around_the_poll(void)
{
    struct event_loop *loop = NULL;
    struct event_hook hook = { .prepare = prepare_no_wait, .check = on_check };
    struct event_timer timer, safety;

    memset(&timer, 0, sizeof(timer));
    memset(&safety, 0, sizeof(safety));
    reset_recorder();
    ASSERT_EQ_INT(0, event_loop_create(&loop));
    check_hooks(loop, &hook, &timer, &safety);
    event_loop_destroy(loop);
}

static int iterations;

static int64_t prepare_count_iterations(void *data)
{
    (void)data;
    iterations++;
    return 10; /* bounds every wait of event_loop_run() */
}

static void on_timer_stop_loop(struct event_timer *timer)
{
    record(*(const char *)timer->data);
    event_loop_stop(callback_loop);
}

static void check_run_until_stop(struct event_loop *loop, struct event_hook *hook, struct event_timer *timer)
{
    event_loop_add_hook(loop, hook);
    event_loop_timer_start(loop, timer, 30, on_timer_stop_loop, (void *)&symbols[18]);
    uint64_t start = event_loop_now_ms();
    ASSERT_EQ_INT(0, event_loop_run(loop));
    uint64_t elapsed = event_loop_now_ms() - start;
    ASSERT_EQ_STR("s", recorded.order);
    ASSERT_TRUE(elapsed >= 29 && elapsed < 1000);
    ASSERT_TRUE(iterations >= 2); /* it kept iterating until the timer stopped it */
}

static void test_stop_ends_run(void)
{
    struct event_hook hook = { .prepare = prepare_count_iterations };
    struct event_timer timer;

    memset(&timer, 0, sizeof(timer));
    reset_recorder();
    iterations = 0;
    alarm(10); /* should event_loop_stop() not work, fail instead of hanging */
    ASSERT_EQ_INT(0, event_loop_create(&callback_loop));
    check_run_until_stop(callback_loop, &hook, &timer);
    event_loop_destroy(callback_loop);
    callback_loop = NULL;
    alarm(0);
}

static void test_now_is_monotonic_milliseconds(void)
{
    uint64_t before = event_loop_now_ms();
    usleep(20000);
    uint64_t after = event_loop_now_ms();

    ASSERT_TRUE(after >= before + 19);
    ASSERT_TRUE(after < before + 1000);
}

/* ---- the intrusive timer heap ------------------------------------------ */

static bool timer_precedes(const struct event_timer *a, const struct event_timer *b)
{
    return a->due_ms != b->due_ms ? a->due_ms < b->due_ms : a->sequence < b->sequence;
}

/* Counts the nodes under root, checking links and order; returns -1 if broken. */
static long heap_check_subtree(const struct event_timer *node)
{
    if (!node)
        return 0;
    if (!node->active)
        return -1;
    const struct event_timer *children[2] = { node->heap_left, node->heap_right };
    long count = 1;
    for (int i = 0; i < 2; i++) {
        if (!children[i])
            continue;
        if (children[i]->heap_parent != node || timer_precedes(children[i], node))
            return -1;
        long below = heap_check_subtree(children[i]);
        if (below < 0)
            return -1;
        count += below;
    }
    return count;
}

/* The heap's root found among timers (the only active one without a parent), or NULL; *roots counts them. */
static struct event_timer *heap_root_of(struct event_timer *timers, size_t count, size_t *roots)
{
    struct event_timer *root = NULL;
    *roots = 0;
    for (size_t i = 0; i < count; i++) {
        if (timers[i].active && !timers[i].heap_parent) {
            root = &timers[i];
            (*roots)++;
        }
    }
    return root;
}

/* True when the active ones among timers form one well-ordered heap holding exactly them. */
static bool heap_is_valid(struct event_timer *timers, size_t count)
{
    size_t roots, active = 0;
    struct event_timer *root = heap_root_of(timers, count, &roots);
    for (size_t i = 0; i < count; i++)
        active += timers[i].active;
    if (active == 0)
        return roots == 0;
    return roots == 1 && heap_check_subtree(root) == (long)active;
}

struct fired {
    uint64_t due_ms[1024];
    uint64_t sequence[1024];
    size_t count;
};

static struct fired fired;

static void on_timer_note(struct event_timer *timer)
{
    if (fired.count < 1024) {
        fired.due_ms[fired.count] = timer->due_ms;
        fired.sequence[fired.count] = timer->sequence;
        fired.count++;
    }
}

static void run_until_fired(struct event_loop *loop, size_t count)
{
    uint64_t deadline = event_loop_now_ms() + 2000;
    while (fired.count < count && event_loop_now_ms() < deadline && event_loop_run_once(loop, 5) == 0)
        continue;
}

static bool fired_in_order(void)
{
    for (size_t i = 1; i < fired.count; i++) {
        if (fired.due_ms[i] < fired.due_ms[i - 1]
            || (fired.due_ms[i] == fired.due_ms[i - 1] && fired.sequence[i] < fired.sequence[i - 1]))
            return false;
    }
    return true;
}

static void test_heap_orders_many_timers_with_equal_and_different_due_times(void)
{
    static struct event_timer timers[600];
    struct event_loop *loop = NULL;

    memset(timers, 0, sizeof(timers));
    memset(&fired, 0, sizeof(fired));
    ASSERT_EQ_INT(0, event_loop_create(&loop));
    for (size_t i = 0; i < 600; i++)
        event_loop_timer_start(loop, &timers[i], (i * 7) % 5, on_timer_note, NULL);
    ASSERT_TRUE(heap_is_valid(timers, 600));
    run_until_fired(loop, 600);
    ASSERT_EQ_INT(600, fired.count);
    ASSERT_TRUE(fired_in_order());
    ASSERT_TRUE(heap_is_valid(timers, 600));
    event_loop_destroy(loop);
}

static struct event_timer *find_node(struct event_timer *timers, size_t count, bool leaf)
{
    for (size_t i = 0; i < count; i++) {
        struct event_timer *t = &timers[i];
        bool has_children = t->heap_left || t->heap_right;
        if (t->active && t->heap_parent && has_children != leaf)
            return t;
    }
    return NULL;
}

/* Stops one node, stops it again, and checks the heap stays whole. */
static void check_stop(struct event_loop *loop, struct event_timer *timers, size_t count, struct event_timer *node)
{
    ASSERT_NOT_NULL(node);
    event_loop_timer_stop(loop, node);
    ASSERT_TRUE(!node->active);
    ASSERT_TRUE(heap_is_valid(timers, count));
    event_loop_timer_stop(loop, node);
    ASSERT_TRUE(heap_is_valid(timers, count));
}

static void test_heap_stops_the_root_a_leaf_and_a_middle_node(void)
{
    struct event_timer timers[31];
    struct event_loop *loop = NULL;
    size_t roots;

    memset(timers, 0, sizeof(timers));
    memset(&fired, 0, sizeof(fired));
    ASSERT_EQ_INT(0, event_loop_create(&loop));
    for (size_t i = 0; i < 31; i++)
        event_loop_timer_start(loop, &timers[i], 1 + (i * 11) % 31, on_timer_note, NULL);
    ASSERT_TRUE(heap_is_valid(timers, 31));
    check_stop(loop, timers, 31, heap_root_of(timers, 31, &roots));
    check_stop(loop, timers, 31, find_node(timers, 31, true));
    check_stop(loop, timers, 31, find_node(timers, 31, false));
    run_until_fired(loop, 28);
    ASSERT_EQ_INT(28, fired.count);
    ASSERT_TRUE(fired_in_order());
    event_loop_destroy(loop);
}

static int restarts_left;

static void on_timer_restarts_itself(struct event_timer *timer)
{
    record('r');
    if (restarts_left-- > 0)
        event_loop_timer_start(callback_loop_for_restart, timer, 0, on_timer_restarts_itself, NULL);
}

static void test_timer_restarts_from_its_own_callback(void)
{
    struct event_timer timer, other;
    struct event_loop *loop = NULL;

    memset(&timer, 0, sizeof(timer));
    memset(&other, 0, sizeof(other));
    reset_recorder();
    ASSERT_EQ_INT(0, event_loop_create(&loop));
    callback_loop_for_restart = loop;
    restarts_left = 3;
    event_loop_timer_start(loop, &other, 0, on_timer_record, (void *)&symbols[0]);
    event_loop_timer_start(loop, &timer, 0, on_timer_restarts_itself, NULL);
    for (int i = 0; i < 3; i++) {
        ASSERT_EQ_INT(0, event_loop_run_once(loop, 0));
        ASSERT_TRUE(timer.active);
    }
    ASSERT_EQ_STR("arrr", recorded.order);
    ASSERT_EQ_INT(0, event_loop_run_once(loop, 0));
    ASSERT_EQ_STR("arrrr", recorded.order);
    ASSERT_TRUE(!timer.active);
    event_loop_destroy(loop);
}

static uint32_t random_state = 12345;

static uint32_t next_random(void)
{
    random_state = random_state * 1103515245u + 12345u;
    return random_state >> 8;
}

static void test_heap_matches_a_model_over_random_starts_and_stops(void)
{
    enum { TIMERS = 64, OPERATIONS = 10000 };
    struct event_timer timers[TIMERS];
    bool model[TIMERS] = { false };
    struct event_loop *loop = NULL;
    size_t active = 0;

    memset(timers, 0, sizeof(timers));
    memset(&fired, 0, sizeof(fired));
    ASSERT_EQ_INT(0, event_loop_create(&loop));
    for (int op = 0; op < OPERATIONS; op++) {
        size_t i = next_random() % TIMERS;
        if (next_random() % 2) {
            event_loop_timer_start(loop, &timers[i], 1000 + next_random() % 50, on_timer_note, NULL);
            active += !model[i];
            model[i] = true;
        } else {
            event_loop_timer_stop(loop, &timers[i]);
            active -= model[i];
            model[i] = false;
        }
        for (size_t j = 0; j < TIMERS; j++)
            ASSERT_TRUE(timers[j].active == model[j]);
        ASSERT_TRUE(heap_is_valid(timers, TIMERS));
    }
    for (size_t j = 0; j < TIMERS; j++) {
        if (model[j])
            event_loop_timer_start(loop, &timers[j], timers[j].due_ms % 5, on_timer_note, NULL);
    }
    run_until_fired(loop, active);
    ASSERT_EQ_INT(active, fired.count);
    ASSERT_TRUE(fired_in_order());
    ASSERT_TRUE(heap_is_valid(timers, TIMERS));
    event_loop_destroy(loop);
}

int main(void)
{
    RUN(test_timers_fire_in_due_order_and_fifo_for_equal_times);
    RUN(test_many_timers_fire_sorted_by_due_time);
    RUN(test_equal_due_timers_stay_fifo_after_stops);
    RUN(test_timer_stop_prevents_firing);
    RUN(test_timer_stopped_by_an_earlier_callback_does_not_fire);
    RUN(test_rearming_moves_a_timer);
    RUN(test_timer_armed_by_a_callback_with_delay_0_fires_next_iteration);
    RUN(test_timer_bounds_an_unlimited_wait);
    RUN(test_watcher_fires_when_a_pipe_becomes_readable);
    RUN(test_watcher_reports_hangup);
    RUN(test_watch_bad_fd_registers_nothing);
    RUN(test_unwatch_from_a_callback_drops_the_pending_event);
    RUN(test_hooks_run_around_the_poll);
    RUN(test_stop_ends_run);
    RUN(test_now_is_monotonic_milliseconds);
    RUN(test_heap_orders_many_timers_with_equal_and_different_due_times);
    RUN(test_heap_stops_the_root_a_leaf_and_a_middle_node);
    RUN(test_timer_restarts_from_its_own_callback);
    RUN(test_heap_matches_a_model_over_random_starts_and_stops);
    return test_done();
}
