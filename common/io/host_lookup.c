/*
 * host_lookup - see host_lookup.h.
 *
 * A lookup owns a struct gaicb that glibc's resolver thread writes into
 * until gai_error() stops saying EAI_INPROGRESS, so its memory may only be
 * freed once the request is finished or cancelled. A lookup given up while
 * glibc is still working on it (gai_cancel() answers EAI_NOTCANCELED) goes
 * on a list of abandoned lookups that later calls reap. The list stays
 * short: glibc's resolver gives up by itself (resolv.conf's timeout and
 * attempts, 10 s by default), and a caller retrying with backoff starts at
 * most a few lookups in that time.
 */
#include "host_lookup.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIRST_POLL_MS 1
#define MAX_POLL_MS 32
/* Most abandoned lookups host_lookup_release_abandoned() waits for at once. */
#define MAX_AWAITED 64

struct host_lookup {
    struct event_loop *loop;
    struct event_timer poll_timer;
    struct gaicb request;
    struct addrinfo hints;
    char name[256];
    uint64_t timeout_ms;
    uint64_t deadline_ms;
    uint64_t poll_interval_ms;
    host_lookup_callback callback;
    void *data;
    struct host_lookup *next_abandoned;
};

/* Lookups given up while glibc was still resolving them; the loop is single-threaded, so no lock. */
static struct host_lookup *abandoned;

bool host_lookup_is_numeric(const char *name)
{
    unsigned char address[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, name, address) == 1 || inet_pton(AF_INET6, name, address) == 1;
}

static void lookup_free(struct host_lookup *lookup)
{
    if (lookup->request.ar_result)
        freeaddrinfo(lookup->request.ar_result);
    free(lookup);
}

static void abandon(struct host_lookup *lookup)
{
    lookup->next_abandoned = abandoned;
    abandoned = lookup;
}

int host_lookup_release_abandoned(uint64_t wait_ms)
{
    int running = 0;
    const struct gaicb *awaited[MAX_AWAITED];
    struct host_lookup **link = &abandoned;
    while (*link) {
        struct host_lookup *lookup = *link;
        if (gai_error(&lookup->request) == EAI_INPROGRESS) {
            if (running < MAX_AWAITED)
                awaited[running] = &lookup->request;
            running++;
            link = &lookup->next_abandoned;
        } else {
            *link = lookup->next_abandoned;
            lookup_free(lookup);
        }
    }
    if (running == 0 || wait_ms == 0)
        return running;
    struct timespec timeout = { .tv_sec = (time_t)(wait_ms / 1000), .tv_nsec = (long)(wait_ms % 1000) * 1000000 };
    gai_suspend(awaited, running < MAX_AWAITED ? running : MAX_AWAITED, &timeout);
    return host_lookup_release_abandoned(0);
}

/* Maps a getaddrinfo error to the errno values host_lookup_callback documents. */
static int error_from_gai(int status)
{
    switch (status) {
    case EAI_NONAME:
    case EAI_NODATA:
    case EAI_ADDRFAMILY:
    case EAI_FAIL:
        return -ENOENT;
    case EAI_AGAIN:
        return -EAGAIN;
    default:
        return -EIO;
    }
}

/* The first IPv4 address of the answer, else its first IPv6 address; -ENOENT when it holds neither. */
static int pick_address(const struct addrinfo *found, char address[HOST_LOOKUP_ADDRESS_LENGTH])
{
    static const int families[] = { AF_INET, AF_INET6 };
    for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
        for (const struct addrinfo *entry = found; entry; entry = entry->ai_next) {
            if (entry->ai_family != families[i])
                continue;
            const void *socket_address = entry->ai_addr;
            const void *raw = families[i] == AF_INET
                                  ? (const void *)&((const struct sockaddr_in *)socket_address)->sin_addr
                                  : (const void *)&((const struct sockaddr_in6 *)socket_address)->sin6_addr;
            if (inet_ntop(families[i], raw, address, HOST_LOOKUP_ADDRESS_LENGTH))
                return 0;
        }
    }
    return -ENOENT;
}

/* Frees lookup, then tells its owner how it ended (status: what gai_error() said). */
static void finish(struct host_lookup *lookup, int status)
{
    host_lookup_callback callback = lookup->callback;
    void *data = lookup->data;
    char address[HOST_LOOKUP_ADDRESS_LENGTH];
    int result = status == 0 ? pick_address(lookup->request.ar_result, address) : error_from_gai(status);
    const char *reason = status != 0 ? gai_strerror(status) : result < 0 ? "no IPv4 or IPv6 address" : "";
    char reason_copy[128];
    snprintf(reason_copy, sizeof(reason_copy), "%s", reason);
    event_loop_timer_stop(lookup->loop, &lookup->poll_timer);
    lookup_free(lookup);
    callback(result, result == 0 ? address : NULL, reason_copy, data);
}

static void give_up(struct host_lookup *lookup)
{
    int cancelled = gai_cancel(&lookup->request);
    if (cancelled == EAI_ALLDONE) { /* it finished just now */
        finish(lookup, gai_error(&lookup->request));
        return;
    }
    host_lookup_callback callback = lookup->callback;
    void *data = lookup->data;
    char reason[64];
    snprintf(reason, sizeof(reason), "no answer within %llu ms", (unsigned long long)lookup->timeout_ms);
    event_loop_timer_stop(lookup->loop, &lookup->poll_timer);
    if (cancelled == EAI_NOTCANCELED)
        abandon(lookup);
    else
        lookup_free(lookup);
    callback(-ETIMEDOUT, NULL, reason, data);
}

static void on_poll(struct event_timer *timer)
{
    struct host_lookup *lookup = timer->data;
    int status = gai_error(&lookup->request);
    if (status != EAI_INPROGRESS) {
        finish(lookup, status);
        return;
    }
    uint64_t now = event_loop_now_ms();
    if (now >= lookup->deadline_ms) {
        give_up(lookup);
        return;
    }
    lookup->poll_interval_ms = lookup->poll_interval_ms * 2 > MAX_POLL_MS ? MAX_POLL_MS : lookup->poll_interval_ms * 2;
    uint64_t delay = lookup->poll_interval_ms;
    if (delay > lookup->deadline_ms - now)
        delay = lookup->deadline_ms - now;
    event_loop_timer_start(lookup->loop, &lookup->poll_timer, delay, on_poll, lookup);
}

int host_lookup_start(struct event_loop *loop, const char *name, uint64_t timeout_ms, host_lookup_callback callback,
                      void *data, struct host_lookup **lookup_out)
{
    host_lookup_release_abandoned(0);
    size_t length = strlen(name);
    if (length == 0 || length >= sizeof(((struct host_lookup *)NULL)->name))
        return -EINVAL;
    struct host_lookup *lookup = calloc(1, sizeof(*lookup));
    if (!lookup)
        return -ENOMEM;
    lookup->loop = loop;
    memcpy(lookup->name, name, length + 1);
    lookup->hints = (struct addrinfo){ .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
    lookup->request = (struct gaicb){ .ar_name = lookup->name, .ar_request = &lookup->hints };
    lookup->timeout_ms = timeout_ms;
    lookup->deadline_ms = event_loop_now_ms() + timeout_ms;
    lookup->poll_interval_ms = FIRST_POLL_MS;
    lookup->callback = callback;
    lookup->data = data;
    struct gaicb *list[] = { &lookup->request };
    int started = getaddrinfo_a(GAI_NOWAIT, list, 1, NULL);
    if (started != 0) {
        free(lookup);
        return started == EAI_MEMORY ? -ENOMEM : -EAGAIN;
    }
    event_loop_timer_start(loop, &lookup->poll_timer, FIRST_POLL_MS, on_poll, lookup);
    *lookup_out = lookup;
    return 0;
}

void host_lookup_cancel(struct host_lookup *lookup)
{
    if (!lookup)
        return;
    event_loop_timer_stop(lookup->loop, &lookup->poll_timer);
    if (gai_cancel(&lookup->request) == EAI_NOTCANCELED)
        abandon(lookup);
    else
        lookup_free(lookup);
    host_lookup_release_abandoned(0);
}
