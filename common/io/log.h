/*
 * log - one line per event on standard error, human-readable by default or
 * JSON lines (LOG_FORMAT=json), so that the story of each request can be
 * followed in a terminal or fed to a log tool.
 *
 * Human:  2026-11-21T10:00:00.123Z INFO  loan-processor token-stored: Task token stored under valuation:abc
 * JSON:   {"time":"...","level":"info","service":"loan-processor","event":"token-stored","message":"..."}
 */
#ifndef LOG_H
#define LOG_H

#include <stdbool.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/*
 * Sets the service name shown on every line, the format and the lowest
 * level written (lines below it cost log_event() one comparison: nothing is
 * formatted). Call once at start.
 */
void log_configure(const char *service_name, bool json_lines, enum log_level minimum_level);

/* Reads a level's name (debug, info, warn, error) into *level. Returns 0, or -EINVAL (level untouched). */
__attribute__((warn_unused_result)) int log_level_from_name(const char *name, enum log_level *level);

/*
 * Lines are written (one write(2) each) as they are logged unless
 * log_buffer_lines() was called: then they collect in a buffer of
 * LOG_BUFFER_BYTES that is written when full, by log_flush() and at exit
 * (ERROR lines at once). A server
 * calls it at start and flushes before each wait of its event loop
 * (service.c), so that a busy loop writes its lines with one system call
 * per turn instead of one per line; a crash loses at most one turn's lines.
 */
#define LOG_BUFFER_BYTES (64 * 1024)
void log_buffer_lines(void);

/* Writes the lines buffered so far. */
void log_flush(void);

/*
 * Writes one line, unless level is below the configured one. event is a
 * short kebab-case name for machines ("token-stored"); the message is
 * printf-formatted text for people.
 */
void log_event(enum log_level level, const char *event, const char *format, ...) __attribute__((format(printf, 3, 4)));

#endif
