/* wall_clock - see wall_clock.h. */
#include "wall_clock.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define MILLISECONDS_PER_SECOND 1000
#define SECONDS_PER_MINUTE 60
#define SECONDS_PER_DAY 86400
#define MAX_FRACTION_DIGITS 9

/* The parts of "YYYY-MM-DDThh:mm:ss[.fff]Z|±hh:mm" as written. */
struct timestamp_fields {
    int year, month, day;
    int hour, minute, second;
    int millisecond;
    int offset_minutes; /* east of UTC */
};

int64_t wall_clock_now_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* Writes value's last count decimal digits, zero-padded. */
static void put_digits(char *out, int value, int count)
{
    for (int i = count - 1; i >= 0; i--, value /= 10)
        out[i] = (char)('0' + value % 10);
}

void wall_clock_format_iso8601(int64_t epoch_ms, char out[WALL_CLOCK_ISO8601_SIZE])
{
    time_t seconds = (time_t)(epoch_ms / 1000);
    struct tm utc;
    gmtime_r(&seconds, &utc);
    if (epoch_ms >= 0 && utc.tm_year + 1900 <= 9999) { /* the usual case, without printf's cost */
        put_digits(out, utc.tm_year + 1900, 4);
        put_digits(out + 5, utc.tm_mon + 1, 2);
        put_digits(out + 8, utc.tm_mday, 2);
        put_digits(out + 11, utc.tm_hour, 2);
        put_digits(out + 14, utc.tm_min, 2);
        put_digits(out + 17, utc.tm_sec, 2);
        put_digits(out + 20, (int)(epoch_ms % 1000), 3);
        out[4] = out[7] = '-';
        out[10] = 'T';
        out[13] = out[16] = ':';
        out[19] = '.';
        out[23] = 'Z';
        out[24] = '\0';
        return;
    }
    char text[64]; /* roomy enough for any int, so the compiler can prove no truncation */
    snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
             utc.tm_hour, utc.tm_min, utc.tm_sec, (int)(epoch_ms % 1000));
    memcpy(out, text, WALL_CLOCK_ISO8601_SIZE - 1);
    out[WALL_CLOCK_ISO8601_SIZE - 1] = '\0';
}

/* ---- parsing ----------------------------------------------------------- */

static bool is_digit(char character)
{
    return character >= '0' && character <= '9';
}

/* Reads exactly `count` decimal digits at *cursor into *value and moves past them. */
static bool read_digits(const char **cursor, int count, int *value)
{
    int result = 0;

    for (int i = 0; i < count; i++) {
        if (!is_digit((*cursor)[i]))
            return false;
        result = result * 10 + ((*cursor)[i] - '0');
    }
    *cursor += count;
    *value = result;
    return true;
}

/* Reads `count` digits into *value, which must then lie in [minimum, maximum]. */
static bool read_number_in_range(const char **cursor, int count, int minimum, int maximum, int *value)
{
    return read_digits(cursor, count, value) && *value >= minimum && *value <= maximum;
}

static bool read_separator(const char **cursor, char separator)
{
    if (**cursor != separator)
        return false;
    (*cursor)++;
    return true;
}

static bool is_leap_year(int year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int days_in_month(int year, int month)
{
    static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

    return month == 2 && is_leap_year(year) ? 29 : days[month - 1];
}

/* "YYYY-MM-DD", a date that exists. */
static bool read_date(const char **cursor, struct timestamp_fields *fields)
{
    return read_number_in_range(cursor, 4, 0, 9999, &fields->year) && read_separator(cursor, '-')
           && read_number_in_range(cursor, 2, 1, 12, &fields->month) && read_separator(cursor, '-')
           && read_number_in_range(cursor, 2, 1, days_in_month(fields->year, fields->month), &fields->day);
}

/* Optional ".d..." (1 to MAX_FRACTION_DIGITS digits); keeps the milliseconds. */
static bool read_fraction(const char **cursor, int *millisecond)
{
    int digits = 0;

    *millisecond = 0;
    if (!read_separator(cursor, '.'))
        return true;
    while (is_digit(**cursor)) {
        if (digits < 3)
            *millisecond = *millisecond * 10 + (**cursor - '0');
        digits++;
        (*cursor)++;
    }
    for (int padding = digits; padding < 3; padding++)
        *millisecond *= 10;
    return digits >= 1 && digits <= MAX_FRACTION_DIGITS;
}

/* "hh:mm:ss" then an optional fraction. */
static bool read_time(const char **cursor, struct timestamp_fields *fields)
{
    return read_number_in_range(cursor, 2, 0, 23, &fields->hour) && read_separator(cursor, ':')
           && read_number_in_range(cursor, 2, 0, 59, &fields->minute) && read_separator(cursor, ':')
           && read_number_in_range(cursor, 2, 0, 59, &fields->second) && read_fraction(cursor, &fields->millisecond);
}

/* "Z", "+hh:mm" or "-hh:mm". */
static bool read_offset(const char **cursor, int *offset_minutes)
{
    int sign, hours, minutes;

    if (read_separator(cursor, 'Z')) {
        *offset_minutes = 0;
        return true;
    }
    if (**cursor != '+' && **cursor != '-')
        return false;
    sign = **cursor == '-' ? -1 : 1;
    (*cursor)++;
    if (!read_number_in_range(cursor, 2, 0, 23, &hours) || !read_separator(cursor, ':')
        || !read_number_in_range(cursor, 2, 0, 59, &minutes))
        return false;
    *offset_minutes = sign * (hours * 60 + minutes);
    return true;
}

/* Days from 1970-01-01 to year-month-day in the proleptic Gregorian calendar (H. Hinnant's algorithm). */
static int64_t days_from_civil(int year, int month, int day)
{
    const int64_t shifted_year = month <= 2 ? year - 1 : year; /* years start in March */
    const int64_t era = (shifted_year >= 0 ? shifted_year : shifted_year - 399) / 400;
    const int64_t year_of_era = shifted_year - era * 400; /* [0, 399] */
    const int64_t day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
    const int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;

    return era * 146097 + day_of_era - 719468;
}

static int64_t fields_to_epoch_ms(const struct timestamp_fields *fields)
{
    int64_t seconds = days_from_civil(fields->year, fields->month, fields->day) * SECONDS_PER_DAY
                      + (int64_t)fields->hour * 3600 + fields->minute * SECONDS_PER_MINUTE + fields->second
                      - (int64_t)fields->offset_minutes * SECONDS_PER_MINUTE;

    return seconds * MILLISECONDS_PER_SECOND + fields->millisecond;
}

int wall_clock_parse_iso8601(const char *text, int64_t *epoch_ms)
{
    struct timestamp_fields fields;
    const char *cursor = text;

    if (text == NULL || epoch_ms == NULL)
        return -EINVAL;
    if (!read_date(&cursor, &fields) || !read_separator(&cursor, 'T') || !read_time(&cursor, &fields)
        || !read_offset(&cursor, &fields.offset_minutes) || *cursor != '\0')
        return -EINVAL;
    *epoch_ms = fields_to_epoch_ms(&fields);
    return 0;
}
