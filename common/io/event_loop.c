/*
 * event_loop - see event_loop.h.
 *
 * Timers live in an intrusive binary min-heap ordered by (due_ms, sequence),
 * as libuv's heap-inl.h: each timer carries its left/right/parent links, so
 * arming never allocates; O(log n) to arm or disarm, and timers due at the
 * same millisecond fire in the order they were armed.
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

    struct event_timer *timer_root; /* intrusive min-heap of the active timers */
    size_t timer_count;
    uint64_t next_sequence;

    LIST_HEAD(, event_hook) hooks;

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
    free(loop);
}

int event_loop_watch(struct event_loop *loop, struct event_watcher *watcher, int fd, uint32_t events,
                     event_watcher_callback callback, void *data)
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

/* Points the link that held old_child (its parent's, or the root) at new_child. */
static void heap_relink_parent(struct event_loop *loop, struct event_timer *parent, struct event_timer *old_child,
                               struct event_timer *new_child)
{
    if (!parent)
        loop->timer_root = new_child;
    else if (parent->heap_left == old_child)
        parent->heap_left = new_child;
    else
        parent->heap_right = new_child;
}

/* Exchanges child with its parent in the tree (the timers stay where they are in memory). */
static void heap_swap_with_parent(struct event_loop *loop, struct event_timer *parent, struct event_timer *child)
{
    struct event_timer *left = parent->heap_left, *right = parent->heap_right, *grandparent = parent->heap_parent;
    struct event_timer *sibling = left == child ? right : left;

    parent->heap_left = child->heap_left;
    parent->heap_right = child->heap_right;
    parent->heap_parent = child;
    child->heap_left = left == child ? parent : left;
    child->heap_right = right == child ? parent : right;
    child->heap_parent = grandparent;
    if (sibling)
        sibling->heap_parent = child;
    if (parent->heap_left)
        parent->heap_left->heap_parent = parent;
    if (parent->heap_right)
        parent->heap_right->heap_parent = parent;
    heap_relink_parent(loop, grandparent, parent, child);
}

/*
 * The link (in the root or in a node) that holds, or would hold, the node at
 * 1-based position `position` in level order: the bits of position below its
 * highest one, read from the top, say left (0) or right (1) from the root.
 * Sets *parent to the node owning that link (NULL for the root).
 */
static struct event_timer **heap_link_at(struct event_loop *loop, size_t position, struct event_timer **parent)
{
    size_t path = 0, depth = 0;
    for (size_t n = position; n >= 2; n /= 2, depth++)
        path = (path << 1) | (n & 1);
    struct event_timer **link = &loop->timer_root;
    *parent = NULL;
    for (; depth > 0; depth--, path >>= 1) {
        *parent = *link;
        link = (path & 1) ? &(*link)->heap_right : &(*link)->heap_left;
    }
    return link;
}

static void heap_sift_up(struct event_loop *loop, struct event_timer *timer)
{
    while (timer->heap_parent && timer_before(timer, timer->heap_parent))
        heap_swap_with_parent(loop, timer->heap_parent, timer);
}

static void heap_sift_down(struct event_loop *loop, struct event_timer *timer)
{
    for (;;) {
        struct event_timer *smallest = timer;
        if (timer->heap_left && timer_before(timer->heap_left, smallest))
            smallest = timer->heap_left;
        if (timer->heap_right && timer_before(timer->heap_right, smallest))
            smallest = timer->heap_right;
        if (smallest == timer)
            return;
        heap_swap_with_parent(loop, timer, smallest);
    }
}

static void heap_insert(struct event_loop *loop, struct event_timer *timer)
{
    struct event_timer *parent;
    struct event_timer **link = heap_link_at(loop, loop->timer_count + 1, &parent);
    timer->heap_left = timer->heap_right = NULL;
    timer->heap_parent = parent;
    *link = timer;
    loop->timer_count++;
    heap_sift_up(loop, timer);
}

/* Moves the last node (in level order) into timer's place, then restores the order around it. */
static void heap_remove(struct event_loop *loop, struct event_timer *timer)
{
    struct event_timer *last_parent;
    struct event_timer **last_link = heap_link_at(loop, loop->timer_count, &last_parent);
    struct event_timer *last = *last_link;

    *last_link = NULL;
    loop->timer_count--;
    if (last == timer)
        return;
    last->heap_left = timer->heap_left;
    last->heap_right = timer->heap_right;
    last->heap_parent = timer->heap_parent;
    if (last->heap_left)
        last->heap_left->heap_parent = last;
    if (last->heap_right)
        last->heap_right->heap_parent = last;
    heap_relink_parent(loop, timer->heap_parent, timer, last);
    heap_sift_down(loop, last);
    heap_sift_up(loop, last);
}

void event_loop_timer_stop(struct event_loop *loop, struct event_timer *timer)
{
    if (!timer->active)
        return;
    heap_remove(loop, timer);
    timer->heap_left = timer->heap_right = timer->heap_parent = NULL;
    timer->active = false;
}

void event_loop_timer_start(struct event_loop *loop, struct event_timer *timer, uint64_t delay_ms,
                            event_timer_callback callback, void *data)
{
    event_loop_timer_stop(loop, timer);
    timer->due_ms = event_loop_now_ms() + delay_ms;
    timer->sequence = loop->next_sequence++;
    timer->callback = callback;
    timer->data = data;
    timer->active = true;
    heap_insert(loop, timer);
}

void event_loop_add_hook(struct event_loop *loop, struct event_hook *hook)
{
    if (hook->registered)
        return;
    LIST_INSERT_HEAD(&loop->hooks, hook, link);
    hook->registered = true;
}

void event_loop_remove_hook(struct event_loop *loop, struct event_hook *hook)
{
    (void)loop; /* the hook's links are enough */
    if (!hook->registered)
        return;
    LIST_REMOVE(hook, link);
    hook->registered = false;
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
    struct event_hook *hook;
    LIST_FOREACH(hook, &loop->hooks, link)
    {
        if (hook->prepare)
            wait_ms = shorter_wait(wait_ms, hook->prepare(hook->data));
    }
    if (loop->timer_root) {
        uint64_t now = event_loop_now_ms();
        uint64_t due = loop->timer_root->due_ms;
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
    while (loop->timer_root) {
        struct event_timer *timer = loop->timer_root;
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
    for (struct event_hook *hook = LIST_FIRST(&loop->hooks), *next; hook; hook = next) {
        next = LIST_NEXT(hook, link);
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

int event_loop_handle_signals(struct event_loop *loop, void (*callback)(int signal_number, void *data), void *data)
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
