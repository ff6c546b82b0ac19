/*
 * callback_hosts - where the valuation service may POST its callbacks
 * (CALLBACK_ALLOWED_HOSTS), pure: no I/O, no allocation.
 *
 * The list is comma-separated entries [scheme://]host:port, blanks around
 * an entry ignored:
 *   scheme  http or https; left out, both are allowed
 *   host    a name or IPv4 address compared case-insensitively and exactly
 *           (no wildcard inside a name, no name resolution: 127.1 is not
 *           127.0.0.1), an IPv6 address in brackets, or * for any host
 *   port    1-65535, or * for any port
 * e.g. "127.0.0.1:*,localhost:*,loan-processor:8080" (the default).
 *
 * A callbackUrl is allowed when it is http(s)://host[:port][/path...] with
 * no user information (user@host), no blank, control character or
 * backslash anywhere, no '%' in the host, and an entry matches its scheme,
 * host and port (80 or 443 when it names none).
 */
#ifndef CALLBACK_HOSTS_H
#define CALLBACK_HOSTS_H

#include <stdbool.h>
#include <stddef.h>

#define CALLBACK_HOSTS_DEFAULT "127.0.0.1:*,localhost:*,loan-processor:8080"

/* Checks the list's syntax. Returns 0, or -EINVAL with the reason in error (an empty list is refused too). */
__attribute__((warn_unused_result)) int callback_hosts_check(const char *list, char *error, size_t error_size);

/* Whether url may be called under list (a list callback_hosts_check accepted). */
bool callback_hosts_allow(const char *list, const char *url);

#endif
