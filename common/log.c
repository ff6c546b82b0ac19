/* log - see log.h. */
#include "log.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

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

void log_buffer_lines(void)
{
    static char buffer[LOG_BUFFER_BYTES];
    fflush(stderr);
    setvbuf(stderr, buffer, _IOFBF, sizeof(buffer));
}

void log_flush(void)
{
    fflush(stderr);
}

static const char *level_name(enum log_level level)
{
    switch (level) {
    case LOG_DEBUG: return "debug";
    case LOG_INFO: return "info";
    case LOG_WARN: return "warn";
    default: return "error";
    }
}

static void write_json_line(const char *time, enum log_level level, const char *event, const char *message)
{
    cJSON *line = cJSON_CreateObject();
    char *text = NULL;
    if (line && cJSON_AddStringToObject(line, "time", time) && cJSON_AddStringToObject(line, "level", level_name(level))
        && cJSON_AddStringToObject(line, "service", log_service) && cJSON_AddStringToObject(line, "event", event)
        && cJSON_AddStringToObject(line, "message", message))
        text = cJSON_PrintUnformatted(line);
    if (text)
        fprintf(stderr, "%s\n", text);
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
        fprintf(stderr, "%s %s %s %s: %s\n", time, labels[level], log_service, event, message);
    }
    if (level >= LOG_ERROR)
        fflush(stderr);
}
