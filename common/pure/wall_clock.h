/*
 * wall_clock - real (calendar) time, for timestamps that people and the AWS
 * API see. Durations and deadlines use the monotonic event_loop_now_ms().
 */
#ifndef WALL_CLOCK_H
#define WALL_CLOCK_H

#include <stdint.h>

/* "2026-11-21T10:00:00.123Z" plus the terminating NUL. */
#define WALL_CLOCK_ISO8601_SIZE 25

/* Milliseconds since the Unix epoch. */
int64_t wall_clock_now_ms(void);

/* Writes epoch_ms as ISO-8601 UTC with milliseconds into out. */
void wall_clock_format_iso8601(int64_t epoch_ms, char out[WALL_CLOCK_ISO8601_SIZE]);

/*
 * Parses an RFC 3339 timestamp as the Amazon States Language requires
 * ("2016-03-14T01:59:00Z": four-digit year, uppercase 'T', seconds required,
 * optional fraction of 1 to 9 digits, then 'Z' or a numeric offset +hh:mm /
 * -hh:mm) into milliseconds since the Unix epoch; digits of the fraction past
 * the milliseconds are dropped. Pure: no I/O, no locale, no TZ environment.
 * Returns 0 and sets *epoch_ms, or -EINVAL (leaving *epoch_ms untouched) for
 * anything else: NULL arguments, surrounding text, lowercase 't'/'z',
 * impossible dates such as 2023-02-30, hours > 23, minutes or seconds > 59
 * (no leap second), offsets above 23:59.
 */
__attribute__((warn_unused_result)) int wall_clock_parse_iso8601(const char *text, int64_t *epoch_ms);

#endif
