/*
 * event_loop - see event_loop.h.
 *
 * Timers live in a binary min-heap ordered by (due_ms, sequence), as in
 * libuv: O(log n) to arm or disarm, and timers due at the same millisecond
 * fire in the order they were armed.
 */
#include "event_loop.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

/* Events taken from the kernel per epoll_wait; more simply wait for the next. */
#define EVENT_BATCH_SIZE 256

struct event_loop {
    int epoll_fd;
    bool stopping;

    struct event_timer **heap;
    size_t heap_length;
    size_t heap_capacity;
    uint64_t next_sequence;

    struct event_hook *hooks;

    /* The batch being dispatched, so that unwatch can drop stale entries. */
    struct epoll_event batch[EVENT_BATCH_SIZE];
    int batch_length;
    int batch_position;

    struct event_watcher signal_watcher;
    void (*signal_callback)(int signal_number, void *data);
    void *signal_data;
};

uint64_t event_loop_now_us(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000u + (uint64_t)now.tv_nsec / 1000u;
}

uint64_t event_loop_now_ms(void)
{
    return event_loop_now_us() / 1000u;
}

int event_loop_create(struct event_loop **loop_out)
{
    struct event_loop *loop = calloc(1, sizeof(*loop));
    if (!loop)
        return -ENOMEM;
    loop->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (loop->epoll_fd < 0) {
        int error = -errno;
        free(loop);
        return error;
    }
    loop->signal_watcher.fd = -1;
    *loop_out = loop;
    return 0;
}

void event_loop_destroy(struct event_loop *loop)
{
    if (!loop)
        return;
    if (loop->signal_watcher.fd >= 0)
        close(loop->signal_watcher.fd);
    if (loop->epoll_fd >= 0)
        close(loop->epoll_fd);
    free(loop->heap);
    free(loop);
}

int event_loop_watch(struct event_loop *loop, struct event_watcher *watcher, int fd,
                     uint32_t events, event_watcher_callback callback, void *data)
{
    struct epoll_event event = { .events = events, .data.ptr = watcher };
    int operation = watcher->registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;

    if (watcher->registered && watcher->fd != fd) {
        event_loop_unwatch(loop, watcher);
        operation = EPOLL_CTL_ADD;
    }
    if (epoll_ctl(loop->epoll_fd, operation, fd, &event) < 0)
        return -errno;
    watcher->fd = fd;
    watcher->events = events;
    watcher->callback = callback;
    watcher->data = data;
    watcher->registered = true;
    return 0;
}

void event_loop_unwatch(struct event_loop *loop, struct event_watcher *watcher)
{
    if (!watcher->registered)
        return;
    /* The fd may already be closed (curl does that); the kernel then dropped it. */
    epoll_ctl(loop->epoll_fd, EPOLL_CTL_DEL, watcher->fd, NULL);
    watcher->registered = false;
    for (int i = loop->batch_position; i < loop->batch_length; i++) {
        if (loop->batch[i].data.ptr == watcher)
            loop->batch[i].data.ptr = NULL;
    }
}

static bool timer_before(const struct event_timer *a, const struct event_timer *b)
{
    if (a->due_ms != b->due_ms)
        return a->due_ms < b->due_ms;
    return a->sequence < b->sequence;
}

static void heap_place(struct event_loop *loop, size_t index, struct event_timer *timer)
{
    loop->heap[index] = timer;
    timer->heap_index = index;
}

static void heap_sift_up(struct event_loop *loop, size_t index)
{
    struct event_timer *timer = loop->heap[index];
    while (index > 0) {
        size_t parent = (index - 1) / 2;
        if (!timer_before(timer, loop->heap[parent]))
            break;
        heap_place(loop, index, loop->heap[parent]);
        index = parent;
    }
    heap_place(loop, index, timer);
}

static void heap_sift_down(struct event_loop *loop, size_t index)
{
    struct event_timer *timer = loop->heap[index];
    for (;;) {
        size_t smallest = index;
        size_t left = 2 * index + 1, right = left + 1;
        const struct event_timer *candidate = timer;
        if (left < loop->heap_length && timer_before(loop->heap[left], candidate)) {
            smallest = left;
            candidate = loop->heap[left];
        }
        if (right < loop->heap_length && timer_before(loop->heap[right], candidate))
            smallest = right;
        if (smallest == index)
            break;
        heap_place(loop, index, loop->heap[smallest]);
        index = smallest;
    }
    heap_place(loop, index, timer);
}

void event_loop_timer_stop(struct event_loop *loop, struct event_timer *timer)
{
    if (!timer->active)
        return;
    size_t index = timer->heap_index;
    struct event_timer *last = loop->heap[--loop->heap_length];
    timer->active = false;
    if (last == timer)
        return;
    heap_place(loop, index, last);
    heap_sift_down(loop, index);
    heap_sift_up(loop, last->heap_index);
}

int event_loop_timer_start(struct event_loop *loop, struct event_timer *timer, uint64_t delay_ms,
                           event_timer_callback callback, void *data)
{
    event_loop_timer_stop(loop, timer);
    if (loop->heap_length == loop->heap_capacity) {
        size_t capacity = loop->heap_capacity ? loop->heap_capacity * 2 : 64;
        struct event_timer **heap = realloc(loop->heap, capacity * sizeof(*heap));
        if (!heap)
            return -ENOMEM;
        loop->heap = heap;
        loop->heap_capacity = capacity;
    }
    timer->due_ms = event_loop_now_ms() + delay_ms;
    timer->sequence = loop->next_sequence++;
    timer->callback = callback;
    timer->data = data;
    timer->active = true;
    heap_place(loop, loop->heap_length++, timer);
    heap_sift_up(loop, timer->heap_index);
    return 0;
}

void event_loop_add_hook(struct event_loop *loop, struct event_hook *hook)
{
    hook->next = loop->hooks;
    loop->hooks = hook;
}

void event_loop_remove_hook(struct event_loop *loop, struct event_hook *hook)
{
    for (struct event_hook **link = &loop->hooks; *link; link = &(*link)->next) {
        if (*link == hook) {
            *link = hook->next;
            hook->next = NULL;
            return;
        }
    }
}

static int64_t shorter_wait(int64_t current, int64_t candidate)
{
    if (candidate < 0)
        return current;
    if (current < 0 || candidate < current)
        return candidate;
    return current;
}

static int64_t compute_wait_ms(struct event_loop *loop, int64_t max_wait_ms)
{
    int64_t wait_ms = max_wait_ms;
    for (struct event_hook *hook = loop->hooks; hook; hook = hook->next) {
        if (hook->prepare)
            wait_ms = shorter_wait(wait_ms, hook->prepare(hook->data));
    }
    if (loop->heap_length > 0) {
        uint64_t now = event_loop_now_ms();
        uint64_t due = loop->heap[0]->due_ms;
        wait_ms = shorter_wait(wait_ms, due > now ? (int64_t)(due - now) : 0);
    }
    if (wait_ms > 60000)
        wait_ms = 60000;
    return wait_ms;
}

static void fire_due_timers(struct event_loop *loop)
{
    uint64_t now = event_loop_now_ms();
    /* Timers armed by callbacks with delay 0 wait for the next iteration. */
    uint64_t last_sequence = loop->next_sequence;
    while (loop->heap_length > 0) {
        struct event_timer *timer = loop->heap[0];
        if (timer->due_ms > now || timer->sequence >= last_sequence)
            break;
        event_loop_timer_stop(loop, timer);
        timer->callback(timer);
    }
}

static void dispatch_batch(struct event_loop *loop)
{
    for (loop->batch_position = 0; loop->batch_position < loop->batch_length;) {
        struct epoll_event *event = &loop->batch[loop->batch_position++];
        struct event_watcher *watcher = event->data.ptr;
        if (watcher)
            watcher->callback(watcher, event->events);
    }
    loop->batch_length = 0;
    loop->batch_position = 0;
}

int event_loop_run_once(struct event_loop *loop, int64_t max_wait_ms)
{
    int64_t wait_ms = compute_wait_ms(loop, max_wait_ms);
    int count = epoll_wait(loop->epoll_fd, loop->batch, EVENT_BATCH_SIZE, (int)wait_ms);
    if (count < 0) {
        if (errno != EINTR)
            return -errno;
        count = 0;
    }
    loop->batch_length = count;
    dispatch_batch(loop);
    fire_due_timers(loop);
    for (struct event_hook *hook = loop->hooks, *next; hook; hook = next) {
        next = hook->next;
        if (hook->check)
            hook->check(hook->data);
    }
    return 0;
}

int event_loop_run(struct event_loop *loop)
{
    loop->stopping = false;
    while (!loop->stopping) {
        int result = event_loop_run_once(loop, -1);
        if (result < 0)
            return result;
    }
    return 0;
}

void event_loop_stop(struct event_loop *loop)
{
    loop->stopping = true;
}

static void on_signal_readable(struct event_watcher *watcher, uint32_t events)
{
    struct event_loop *loop = watcher->data;
    struct signalfd_siginfo info;
    (void)events;
    while (read(watcher->fd, &info, sizeof(info)) == (ssize_t)sizeof(info))
        loop->signal_callback((int)info.ssi_signo, loop->signal_data);
}

int event_loop_handle_signals(struct event_loop *loop, void (*callback)(int signal_number, void *data),
                              void *data)
{
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    if (sigprocmask(SIG_BLOCK, &signals, NULL) < 0)
        return -errno;
    signal(SIGPIPE, SIG_IGN);
    int fd = signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd < 0)
        return -errno;
    loop->signal_callback = callback;
    loop->signal_data = data;
    int result = event_loop_watch(loop, &loop->signal_watcher, fd, EPOLLIN, on_signal_readable, loop);
    if (result < 0) {
        close(fd);
        return result;
    }
    return 0;
}
