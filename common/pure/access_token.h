/*
 * access_token - the optional shared secrets that guard an exposed server
 * (API_TOKEN, CONSOLE_TOKEN): their syntax, and finding one in a request's
 * Authorization header ("Bearer <token>"), Cookie header or a query value.
 *
 * Comparisons take the same time whatever the bytes compared (only the
 * length of the expected token may show). Pure: no I/O, no allocation.
 */
#ifndef ACCESS_TOKEN_H
#define ACCESS_TOKEN_H

#include <stdbool.h>

#define ACCESS_TOKEN_MIN_LENGTH 16
#define ACCESS_TOKEN_MAX_LENGTH 256

/*
 * Checks a configured token: empty (no check), or 16-256 characters of
 * A-Z a-z 0-9 - . _ ~ (safe in a header, a cookie and a URL as they are;
 * `openssl rand -hex 32` makes one). Returns 0 or -EINVAL.
 */
__attribute__((warn_unused_result)) int access_token_check(const char *token);

/* Whether given (NULL: absent) is exactly expected. */
bool access_token_equal(const char *expected, const char *given);

/* Whether authorization (a header's value, NULL: absent) is "Bearer <expected>" (scheme case-insensitive). */
bool access_token_bearer_matches(const char *expected, const char *authorization);

/* Whether the Cookie header's value (NULL: absent) has a cookie called name whose value is expected. */
bool access_token_cookie_matches(const char *expected, const char *cookie_header, const char *name);

#endif
