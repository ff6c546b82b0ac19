/* wall_clock - see wall_clock.h. */
#include "wall_clock.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t wall_clock_now_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

void wall_clock_format_iso8601(int64_t epoch_ms, char out[WALL_CLOCK_ISO8601_SIZE])
{
    time_t seconds = (time_t)(epoch_ms / 1000);
    struct tm utc;
    gmtime_r(&seconds, &utc);
    char text[64]; /* roomy enough for any int, so the compiler can prove no truncation */
    snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
             utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, (int)(epoch_ms % 1000));
    memcpy(out, text, WALL_CLOCK_ISO8601_SIZE - 1);
    out[WALL_CLOCK_ISO8601_SIZE - 1] = '\0';
}
