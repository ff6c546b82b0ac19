/*
 * event_loop - one epoll loop per process: fd watchers, timers, and hooks
 * that run before and after each poll.
 *
 * Everything in a server runs on this loop's thread: the HTTP server (MHD in
 * external mode), the HTTP client (curl's multi socket interface) and the
 * Redis client (hiredis async) all register watchers, timers or hooks here.
 * Nothing blocks and nothing sleeps; the only wait is epoll_wait, bounded by
 * the earliest timer and the hooks' timeout hints.
 *
 * Handles (watchers, timers, hooks) are allocated by the caller and must stay
 * valid while registered, in the style of libuv. Unregistering a watcher from
 * inside a callback is safe even when the same poll batch still holds an
 * event for it: the loop forgets that event.
 */
#ifndef EVENT_LOOP_H
#define EVENT_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

struct event_loop;
struct event_watcher;
struct event_timer;

typedef void (*event_watcher_callback)(struct event_watcher *watcher, uint32_t events);
typedef void (*event_timer_callback)(struct event_timer *timer);

struct event_watcher {
    int fd;
    uint32_t events; /* EPOLLIN | EPOLLOUT as registered */
    event_watcher_callback callback;
    void *data; /* for the owner */
    bool registered;
};

/*
 * A timer is embedded by its owner in its own object; the loop links it into
 * its timer heap through the private links, so arming one never allocates.
 */
struct event_timer {
    uint64_t due_ms;                                          /* monotonic, see event_loop_now_ms() */
    uint64_t sequence;                                        /* keeps timers with equal due times FIFO */
    struct event_timer *heap_left, *heap_right, *heap_parent; /* private */
    event_timer_callback callback;
    void *data; /* for the owner */
    bool active;
};

/*
 * A hook runs around every poll. prepare() returns how many milliseconds the
 * loop may sleep at most for this hook's sake (-1: no limit); check() runs
 * after the poll's events were dispatched and the due timers fired. Either
 * may be NULL.
 */
struct event_hook {
    int64_t (*prepare)(void *data);
    void (*check)(void *data);
    void *data;
    LIST_ENTRY(event_hook) link; /* private */
    bool registered;             /* private */
};

/* Creates a loop. Returns 0, or -errno when epoll_create1 or malloc fails. */
__attribute__((warn_unused_result)) int event_loop_create(struct event_loop **loop);

/* Frees the loop. Handles still registered are simply forgotten. */
void event_loop_destroy(struct event_loop *loop);

/* Milliseconds on the monotonic clock; only differences are meaningful. */
uint64_t event_loop_now_ms(void);

/* The same clock in microseconds. */
uint64_t event_loop_now_us(void);

/*
 * Watches fd for events (EPOLLIN and/or EPOLLOUT; EPOLLERR and EPOLLHUP are
 * always reported). Calling it again on a registered watcher changes the
 * events. Returns 0 or -errno from epoll_ctl; on failure nothing is
 * registered and the callback will not be called.
 */
__attribute__((warn_unused_result)) int event_loop_watch(struct event_loop *loop, struct event_watcher *watcher, int fd,
                                                         uint32_t events, event_watcher_callback callback, void *data);

/* Stops watching. Safe on a watcher that is not registered. Does not close fd. */
void event_loop_unwatch(struct event_loop *loop, struct event_watcher *watcher);

/*
 * Arms timer to fire once, delay_ms from now (0: on the next iteration).
 * Re-arming an active timer moves it; a callback may re-arm its own timer.
 * Cannot fail: the timer's storage is the caller's, which keeps it valid
 * until it fires or is stopped. O(log n).
 */
void event_loop_timer_start(struct event_loop *loop, struct event_timer *timer, uint64_t delay_ms,
                            event_timer_callback callback, void *data);

/* Disarms timer in O(log n). Safe on a timer that is not active (or never armed). */
void event_loop_timer_stop(struct event_loop *loop, struct event_timer *timer);

/* Registers a hook (once: again does nothing); it stays until event_loop_remove_hook(). */
void event_loop_add_hook(struct event_loop *loop, struct event_hook *hook);

/* Unregisters a hook. Safe on a hook that is not registered. */
void event_loop_remove_hook(struct event_loop *loop, struct event_hook *hook);

/*
 * Runs the loop until event_loop_stop() is called. Returns 0, or -errno if
 * epoll_wait fails for a reason other than EINTR.
 */
__attribute__((warn_unused_result)) int event_loop_run(struct event_loop *loop);

/* Runs a single iteration, waiting at most max_wait_ms (-1: as long as needed). */
__attribute__((warn_unused_result)) int event_loop_run_once(struct event_loop *loop, int64_t max_wait_ms);

/* Makes event_loop_run() return after the current iteration. */
void event_loop_stop(struct event_loop *loop);

/*
 * Blocks SIGINT and SIGTERM for the process and delivers them through a
 * signalfd watched by the loop: callback(signal_number, data) runs on the loop.
 * Also ignores SIGPIPE (OpenSSL under curl can raise it). Call once, before
 * any thread starts. Returns 0 or -errno.
 */
__attribute__((warn_unused_result)) int
event_loop_handle_signals(struct event_loop *loop, void (*callback)(int signal_number, void *data), void *data);

#endif
