/*
 * test_wall_clock.c - unit tests for common/wall_clock.c
 */
#include "wall_clock.h"
#include "test.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

/* 2016-03-14T01:59:00Z, the ASL specification's example. */
#define SPEC_EXAMPLE_MS INT64_C(1457920740000)

/* Shorthand for wall_clock_parse_iso8601. */
static int parse(const char *text, int64_t *epoch_ms)
{
    return wall_clock_parse_iso8601(text, epoch_ms);
}

/* True if parsing text gives -EINVAL and leaves the result untouched. */
static bool is_rejected(const char *text)
{
    int64_t epoch_ms = 42;

    return wall_clock_parse_iso8601(text, &epoch_ms) == -EINVAL && epoch_ms == 42;
}

static void test_parses_the_specification_example(void)
{
    int64_t epoch_ms = 0;

    ASSERT_EQ_INT(0, parse("2016-03-14T01:59:00Z", &epoch_ms));
    ASSERT_EQ_INT(SPEC_EXAMPLE_MS, epoch_ms);
}

static void test_parses_the_epoch_and_the_day_before(void)
{
    int64_t epoch_ms = 1;

    ASSERT_EQ_INT(0, parse("1970-01-01T00:00:00Z", &epoch_ms));
    ASSERT_EQ_INT(0, epoch_ms);
    ASSERT_EQ_INT(0, parse("1969-12-31T00:00:00Z", &epoch_ms));
    ASSERT_EQ_INT(-86400000, epoch_ms);
    ASSERT_EQ_INT(0, parse("1969-12-31T23:59:59.999Z", &epoch_ms));
    ASSERT_EQ_INT(-1, epoch_ms);
}

static void test_parses_far_dates(void)
{
    int64_t epoch_ms = 0;

    ASSERT_EQ_INT(0, parse("0000-01-01T00:00:00Z", &epoch_ms));
    ASSERT_EQ_INT(INT64_C(-62167219200000), epoch_ms);
    ASSERT_EQ_INT(0, parse("9999-12-31T23:59:59Z", &epoch_ms));
    ASSERT_EQ_INT(INT64_C(253402300799000), epoch_ms);
    ASSERT_EQ_INT(0, parse("2038-01-19T03:14:08Z", &epoch_ms));
    ASSERT_EQ_INT(INT64_C(2147483648000), epoch_ms);
}

static void test_fraction_keeps_milliseconds(void)
{
    int64_t epoch_ms = 0;

    ASSERT_EQ_INT(0, parse("2016-03-14T01:59:00.1Z", &epoch_ms));
    ASSERT_EQ_INT(SPEC_EXAMPLE_MS + 100, epoch_ms);
    ASSERT_EQ_INT(0, parse("2016-03-14T01:59:00.12Z", &epoch_ms));
    ASSERT_EQ_INT(SPEC_EXAMPLE_MS + 120, epoch_ms);
    ASSERT_EQ_INT(0, parse("2016-03-14T01:59:00.123Z", &epoch_ms));
    ASSERT_EQ_INT(SPEC_EXAMPLE_MS + 123, epoch_ms);
    ASSERT_EQ_INT(0, parse("2016-03-14T01:59:00.123999999Z", &epoch_ms));
    ASSERT_EQ_INT(SPEC_EXAMPLE_MS + 123, epoch_ms);
    ASSERT_EQ_INT(0, parse("2016-03-14T01:59:00.000Z", &epoch_ms));
    ASSERT_EQ_INT(SPEC_EXAMPLE_MS, epoch_ms);
}

static void test_offsets_move_to_utc(void)
{
    int64_t epoch_ms = 0;

    ASSERT_EQ_INT(0, parse("2016-03-14T03:59:00+02:00", &epoch_ms));
    ASSERT_EQ_INT(SPEC_EXAMPLE_MS, epoch_ms);
    ASSERT_EQ_INT(0, parse("2016-03-13T20:29:00-05:30", &epoch_ms));
    ASSERT_EQ_INT(SPEC_EXAMPLE_MS, epoch_ms);
    ASSERT_EQ_INT(0, parse("2016-03-14T01:59:00+00:00", &epoch_ms));
    ASSERT_EQ_INT(SPEC_EXAMPLE_MS, epoch_ms);
    ASSERT_EQ_INT(0, parse("2016-03-14T01:59:00-00:00", &epoch_ms));
    ASSERT_EQ_INT(SPEC_EXAMPLE_MS, epoch_ms);
    ASSERT_EQ_INT(0, parse("2016-03-14T01:59:00.5+23:59", &epoch_ms));
    ASSERT_EQ_INT(SPEC_EXAMPLE_MS + 500 - (23 * 60 + 59) * 60000, epoch_ms);
}

static void test_offset_crosses_the_year(void)
{
    int64_t epoch_ms = 0, utc_ms = 0;

    ASSERT_EQ_INT(0, parse("2017-01-01T00:30:00+01:00", &epoch_ms));
    ASSERT_EQ_INT(0, parse("2016-12-31T23:30:00Z", &utc_ms));
    ASSERT_EQ_INT(utc_ms, epoch_ms);
}

static void test_leap_years(void)
{
    int64_t february_29 = 0, march_1 = 0;

    ASSERT_EQ_INT(0, parse("2024-02-29T00:00:00Z", &february_29));
    ASSERT_EQ_INT(0, parse("2024-03-01T00:00:00Z", &march_1));
    ASSERT_EQ_INT(86400000, march_1 - february_29);
    ASSERT_EQ_INT(0, parse("2000-02-29T12:00:00Z", &february_29));
    ASSERT_EQ_INT(INT64_C(951825600000), february_29);
    ASSERT_TRUE(is_rejected("2023-02-29T00:00:00Z"));
    ASSERT_TRUE(is_rejected("1900-02-29T00:00:00Z"));
    ASSERT_TRUE(is_rejected("2100-02-29T00:00:00Z"));
    ASSERT_TRUE(is_rejected("2024-02-30T00:00:00Z"));
}

static void test_last_day_of_every_month(void)
{
    static const char *const last_days[] = {
        "2023-01-31", "2023-02-28", "2023-03-31", "2023-04-30", "2023-05-31", "2023-06-30",
        "2023-07-31", "2023-08-31", "2023-09-30", "2023-10-31", "2023-11-30", "2023-12-31",
    };
    static const char *const impossible_days[] = {
        "2023-01-32", "2023-02-29", "2023-03-32", "2023-04-31", "2023-05-32", "2023-06-31",
        "2023-07-32", "2023-08-32", "2023-09-31", "2023-10-32", "2023-11-31", "2023-12-32",
    };
    char text[32];
    int64_t epoch_ms;

    for (size_t i = 0; i < sizeof last_days / sizeof last_days[0]; i++) {
        snprintf(text, sizeof text, "%sT00:00:00Z", last_days[i]);
        ASSERT_EQ_INT(0, parse(text, &epoch_ms));
        snprintf(text, sizeof text, "%sT00:00:00Z", impossible_days[i]);
        ASSERT_TRUE(is_rejected(text));
    }
}

/* Every day from 1970 to 2100 formats back to the text it was parsed from. */
static void test_round_trips_with_format(void)
{
    char text[WALL_CLOCK_ISO8601_SIZE], formatted[WALL_CLOCK_ISO8601_SIZE];
    int64_t epoch_ms = 0, previous_ms = 0;

    for (int year = 1970; year <= 2100; year++) {
        for (int month = 1; month <= 12; month++) {
            for (int day = 1; day <= 31; day++) {
                snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", year, month, day, day % 24,
                         (day * 7) % 60, (day * 13) % 60, day * 31);
                if (parse(text, &epoch_ms) != 0)
                    continue; /* a day the month does not have */
                wall_clock_format_iso8601(epoch_ms, formatted);
                ASSERT_EQ_STR(text, formatted);
                ASSERT_TRUE(epoch_ms > previous_ms);
                previous_ms = epoch_ms;
            }
        }
    }
}

static void test_formats_then_parses_now(void)
{
    char formatted[WALL_CLOCK_ISO8601_SIZE];
    int64_t now = wall_clock_now_ms(), parsed = 0;

    wall_clock_format_iso8601(now, formatted);
    ASSERT_EQ_INT(0, parse(formatted, &parsed));
    ASSERT_EQ_INT(now, parsed);
}

static void test_rejects_malformed_text(void)
{
    static const char *const rejected[] = {
        "",
        "2016-03-14",            /* no time */
        "2016-03-14T01:59Z",     /* no seconds */
        "2016-03-14T01:59:00",   /* no zone */
        "2016-03-14t01:59:00Z",  /* lowercase t */
        "2016-03-14T01:59:00z",  /* lowercase z */
        "2016-03-14 01:59:00Z",  /* space instead of T */
        "16-03-14T01:59:00Z",    /* two-digit year */
        "12016-03-14T01:59:00Z", /* five-digit year */
        "2016-3-14T01:59:00Z",   /* one-digit month */
        "2016-03-4T01:59:00Z",   /* one-digit day */
        "2016-03-14T1:59:00Z",   /* one-digit hour */
        "2016/03/14T01:59:00Z",  /* wrong separators */
        "2016-03-14T01.59.00Z",
        "20160314T015900Z",      /* basic format */
        " 2016-03-14T01:59:00Z", /* surrounding text */
        "2016-03-14T01:59:00Z ",
        "2016-03-14T01:59:00ZZ",
        "2016-03-14T01:59:00.Z",           /* empty fraction */
        "2016-03-14T01:59:00.1234567890Z", /* ten fraction digits */
        "2016-03-14T01:59:00,5Z",          /* comma fraction */
        "2016-03-14T01:59:00+0200",        /* offset without colon */
        "2016-03-14T01:59:00+02",
        "2016-03-14T01:59:00+2:00",
        "2016-03-14T01:59:00+02:0",
        "2016-03-14T01:59:00UTC",
        "2016-03-14T01:59:00+02:00Z",
        "+2016-03-14T01:59:00Z",
        "-2016-03-14T01:59:00Z",
        "2016-03-14T01:59:00.1x3Z",
        "abcd-ef-ghTij:kl:mnZ",
    };

    for (size_t i = 0; i < sizeof rejected / sizeof rejected[0]; i++) {
        if (!is_rejected(rejected[i]))
            TEST_FAIL_("accepted \"%s\"", rejected[i]);
    }
}

static void test_rejects_out_of_range_fields(void)
{
    static const char *const rejected[] = {
        "2016-00-14T01:59:00Z",                                   /* month 0 */
        "2016-13-14T01:59:00Z",                                   /* month 13 */
        "2016-03-00T01:59:00Z",                                   /* day 0 */
        "2016-03-14T24:00:00Z",                                   /* hour 24 */
        "2016-03-14T25:59:00Z",      "2016-03-14T01:60:00Z",      /* minute 60 */
        "2016-03-14T01:59:60Z",                                   /* leap second */
        "2016-03-14T01:59:99Z",      "2016-03-14T01:59:00+24:00", /* offset hour 24 */
        "2016-03-14T01:59:00-01:60",                              /* offset minute 60 */
    };

    for (size_t i = 0; i < sizeof rejected / sizeof rejected[0]; i++) {
        if (!is_rejected(rejected[i]))
            TEST_FAIL_("accepted \"%s\"", rejected[i]);
    }
}

static void test_rejects_null_arguments(void)
{
    int64_t epoch_ms = 0;

    ASSERT_EQ_INT(-EINVAL, wall_clock_parse_iso8601(NULL, &epoch_ms));
    ASSERT_EQ_INT(-EINVAL, wall_clock_parse_iso8601("2016-03-14T01:59:00Z", NULL));
}

int main(void)
{
    RUN(test_parses_the_specification_example);
    RUN(test_parses_the_epoch_and_the_day_before);
    RUN(test_parses_far_dates);
    RUN(test_fraction_keeps_milliseconds);
    RUN(test_offsets_move_to_utc);
    RUN(test_offset_crosses_the_year);
    RUN(test_leap_years);
    RUN(test_last_day_of_every_month);
    RUN(test_round_trips_with_format);
    RUN(test_formats_then_parses_now);
    RUN(test_rejects_malformed_text);
    RUN(test_rejects_out_of_range_fields);
    RUN(test_rejects_null_arguments);
    return test_done();
}
