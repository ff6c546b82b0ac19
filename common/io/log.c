/* log - see log.h. */
#include "log.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdarg.h>
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

bool log_enabled(enum log_level level)
{
    return level >= log_minimum_level;
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

void log_event(enum log_level level, const char *event, const char *format, ...)
{
    if (level < log_minimum_level)
        return;
    char time[WALL_CLOCK_ISO8601_SIZE];
    char message[2048];
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(message, sizeof(message), format, arguments);
    va_end(arguments);
    wall_clock_format_iso8601(wall_clock_now_ms(), time);

    if (log_json_lines) {
        write_json_line(time, level, event, message);
    } else {
        static const char *const labels[] = { "DEBUG", "INFO ", "WARN ", "ERROR" };
        char line[sizeof(message) + 256];
        int length =
            snprintf(line, sizeof(line), "%s %s %s %s: %s\n", time, labels[level], log_service, event, message);
        if ((size_t)length >= sizeof(line)) { /* cut: keep the line a line */
            length = (int)sizeof(line) - 1;
            line[length - 1] = '\n';
        }
        if (length > 0)
            emit(line, (size_t)length);
    }
    if (level >= LOG_ERROR)
        log_flush();
}
