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

#endif
