/* log - see log.h. */
#include "log.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wall_clock.h"

static const char *log_service = "server";
static bool log_json_lines;
static enum log_level log_minimum_level = LOG_INFO;

void log_configure(const char *service_name, bool json_lines, enum log_level minimum_level)
{
    log_service = service_name;
    log_json_lines = json_lines;
    log_minimum_level = minimum_level;
}

/* Lines held by log_buffer_lines() until log_flush(). */
static char held[LOG_BUFFER_BYTES];
static size_t held_length;
static bool holding;

static void write_all(const char *text, size_t length)
{
    while (length > 0) {
        ssize_t written = write(STDERR_FILENO, text, length);
        if (written < 0) {
            if (errno == EINTR)
                continue;
            return; /* nowhere to report it */
        }
        text += written;
        length -= (size_t)written;
    }
}

void log_flush(void)
{
    write_all(held, held_length);
    held_length = 0;
}

void log_buffer_lines(void)
{
    if (!holding)
        atexit(log_flush);
    holding = true;
}

/* Writes text now, or holds it while buffering (writing what is held first when it would not fit). */
static void emit(const char *text, size_t length)
{
    if (!holding || length > sizeof(held)) {
        log_flush();
        write_all(text, length);
        return;
    }
    if (held_length + length > sizeof(held))
        log_flush();
    memcpy(held + held_length, text, length);
    held_length += length;
}

static const char *const level_names[] = { "debug", "info", "warn", "error" };

static const char *level_name(enum log_level level)
{
    return level_names[level];
}

int log_level_from_name(const char *name, enum log_level *level)
{
    for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
        if (strcmp(name, level_names[i]) == 0) {
            *level = (enum log_level)i;
            return 0;
        }
    return -EINVAL;
}

static void write_json_line(const char *time, enum log_level level, const char *event, const char *message)
{
    cJSON *line = cJSON_CreateObject();
    char *text = NULL;
    if (line && cJSON_AddStringToObject(line, "time", time) && cJSON_AddStringToObject(line, "level", level_name(level))
        && cJSON_AddStringToObject(line, "service", log_service) && cJSON_AddStringToObject(line, "event", event)
        && cJSON_AddStringToObject(line, "message", message))
        text = cJSON_PrintUnformatted(line);
    if (text) {
        emit(text, strlen(text));
        emit("\n", 1);
    }
    cJSON_free(text);
    cJSON_Delete(line);
}

/* The current time as ISO 8601; the date and time of day are formatted again only when the second changes. */
static void format_now(char out[WALL_CLOCK_ISO8601_SIZE])
{
    static char cached[WALL_CLOCK_ISO8601_SIZE];
    static int64_t cached_second = -1;
    int64_t now_ms = wall_clock_now_ms();
    if (now_ms < 0 || now_ms / 1000 != cached_second) {
        wall_clock_format_iso8601(now_ms, cached);
        cached_second = now_ms < 0 ? -1 : now_ms / 1000;
    } else { /* "YYYY-MM-DDTHH:MM:SS.mmmZ": only the milliseconds change */
        int ms = (int)(now_ms % 1000);
        cached[20] = (char)('0' + ms / 100);
        cached[21] = (char)('0' + ms / 10 % 10);
        cached[22] = (char)('0' + ms % 10);
    }
    memcpy(out, cached, WALL_CLOCK_ISO8601_SIZE);
}

#define LOG_MESSAGE_MAX 2048

/* "<time> <LEVEL> <service> <event>: <message>\n", the message formatted in place (cut to stay one line). */
static void write_text_line(const char *time, enum log_level level, const char *event, const char *format,
                            va_list arguments)
{
    static const char *const labels[] = { "DEBUG", "INFO ", "WARN ", "ERROR" };
    char line[LOG_MESSAGE_MAX + 256];
    int prefix = snprintf(line, sizeof(line), "%s %s %s %s: ", time, labels[level], log_service, event);
    if (prefix < 0 || (size_t)prefix >= sizeof(line) - 1)
        return;
    size_t room = sizeof(line) - (size_t)prefix - 1; /* keeps one byte for the newline */
    if (room > LOG_MESSAGE_MAX)
        room = LOG_MESSAGE_MAX;
    int message = vsnprintf(line + prefix, room, format, arguments);
    if (message < 0)
        return;
    size_t length = (size_t)prefix + ((size_t)message < room ? (size_t)message : room - 1);
    line[length++] = '\n';
    emit(line, length);
}

void log_event(enum log_level level, const char *event, const char *format, ...)
{
    if (level < log_minimum_level)
        return;
    char time[WALL_CLOCK_ISO8601_SIZE];
    format_now(time);
    va_list arguments;
    va_start(arguments, format);
    if (log_json_lines) {
        char message[LOG_MESSAGE_MAX];
        vsnprintf(message, sizeof(message), format, arguments);
        write_json_line(time, level, event, message);
    } else {
        write_text_line(time, level, event, format, arguments);
    }
    va_end(arguments);
    if (level >= LOG_ERROR)
        log_flush();
}
