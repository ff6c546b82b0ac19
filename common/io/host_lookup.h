/*
 * host_lookup - resolves a host name without blocking the event loop.
 *
 * getaddrinfo() blocks for as long as the resolver takes (seconds when a DNS
 * server does not answer). host_lookup runs glibc's getaddrinfo_a() instead,
 * which resolves on a thread of glibc's own, and watches for the answer from
 * a loop timer that backs off from 1 ms to 32 ms: a lookup from /etc/hosts or
 * Docker's DNS is seen within a millisecond or two, and a slow one costs a
 * few dozen timer wake-ups a second until its deadline.
 *
 * Used for the Redis host on every connection attempt, so that a Redis whose
 * address changes (a re-created container) is found again, and a host name
 * that does not resolve yet (Redis starting after the servers) is retried
 * instead of being fatal.
 */
#ifndef HOST_LOOKUP_H
#define HOST_LOOKUP_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>

#include "event_loop.h"

struct host_lookup;

/* Long enough for any numeric IPv4 or IPv6 address, with its terminating NUL. */
#define HOST_LOOKUP_ADDRESS_LENGTH INET6_ADDRSTRLEN

/*
 * Called once on the loop. On success result is 0 and address the numeric
 * address (IPv4 preferred over IPv6); otherwise result is -ENOENT (no such
 * name, or no address), -ETIMEDOUT (no answer by the deadline), -EAGAIN (a
 * temporary resolver failure) or -EIO, address is NULL and reason says why.
 * Both strings are valid during the call only. The lookup is already freed
 * when the callback runs (do not cancel it there).
 */
typedef void (*host_lookup_callback)(int result, const char *address, const char *reason, void *data);

/*
 * Starts resolving name (copied) for TCP, with an answer due within
 * timeout_ms. Returns 0 and calls callback later, exactly once, unless
 * host_lookup_cancel() comes first; or -EINVAL (name empty or too long),
 * -ENOMEM or -EAGAIN (glibc could not start the lookup) and never calls it.
 */
__attribute__((warn_unused_result)) int host_lookup_start(struct event_loop *loop, const char *name,
                                                          uint64_t timeout_ms, host_lookup_callback callback,
                                                          void *data, struct host_lookup **lookup);

/*
 * Stops a lookup that has not called back: its callback never runs. A lookup
 * that glibc has already begun cannot be interrupted; it is left to finish
 * on glibc's thread and freed by a later host_lookup_start(), host_lookup_cancel()
 * or host_lookup_release_abandoned(). Safe on NULL.
 */
void host_lookup_cancel(struct host_lookup *lookup);

/*
 * Frees the abandoned lookups that have finished since, waiting at most
 * wait_ms for the others (0: not at all). Returns how many are still running.
 * For process exit, after the loop has stopped.
 */
int host_lookup_release_abandoned(uint64_t wait_ms);

/* Whether name is a numeric IPv4 or IPv6 address (which needs no lookup). */
bool host_lookup_is_numeric(const char *name);

#endif
