/*
 * jsonata_dates.c - the date/time functions $fromMillis, $toMillis and $now:
 * XPath/XQuery 3.1 picture strings (format-dateTime, [Y0001]-[M01]...) as
 * JSONata 2.x implements them, in UTC with an optional "+hhmm" offset. The
 * current time is context->now (from struct jsonata_environment): no clock.
 */
#include "jsonata_internal.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MILLIS_PER_DAY 86400000LL
#define MAX_MILLIS 8.64e15
#define MAX_SEPARATORS 16
#define NO_WIDTH -1
#define MAX_WIDTH 64
#define VALUE_LIMIT 1000000000000LL /* parsed numbers saturate here: far beyond any date */

enum int_primary { IP_DECIMAL, IP_LETTERS, IP_ROMAN, IP_WORDS, IP_SEQUENCE };
enum text_case { TC_NONE, TC_LOWER, TC_UPPER, TC_TITLE };

struct separator {
    size_t position; /* digits to its right */
    unsigned long character;
};

/* An integer picture ("0001", "#,##0", "I", "w;o"...). */
struct int_format {
    enum int_primary primary;
    enum text_case text_case;
    bool ordinal;
    unsigned long zero;
    int mandatory, optional;
    size_t regular; /* > 0: a separator every that many digits */
    struct separator separators[MAX_SEPARATORS];
    size_t separator_count;
    const char *token;
};

/* One part of a date/time picture: a literal or a [marker]. */
struct marker {
    const char *literal; /* NULL for a marker */
    char component;
    const char *presentation1;
    char presentation2;
    enum text_case names;
    int width_min, width_max;
    bool has_integer;
    struct int_format integer;
    int digits; /* Y M D: the year modulo 10^digits, -1 none */
};

struct picture {
    struct marker *parts;
    size_t count;
};

/* A moment broken down in UTC (after the offset is applied). */
struct moment {
    long long millis, days, year;
    int month, day, hour, minute, second, milli, weekday; /* month 1-12, weekday 1 (Monday) - 7 */
};

static const char *const few[] = { "Zero",     "One",     "Two",     "Three",     "Four",     "Five",    "Six",
                                   "Seven",    "Eight",   "Nine",    "Ten",       "Eleven",   "Twelve",  "Thirteen",
                                   "Fourteen", "Fifteen", "Sixteen", "Seventeen", "Eighteen", "Nineteen" };
static const char *const ordinals[] = { "Zeroth",    "First",     "Second",      "Third",      "Fourth",
                                        "Fifth",     "Sixth",     "Seventh",     "Eighth",     "Ninth",
                                        "Tenth",     "Eleventh",  "Twelfth",     "Thirteenth", "Fourteenth",
                                        "Fifteenth", "Sixteenth", "Seventeenth", "Eighteenth", "Nineteenth" };
static const char *const decades[] = { "Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety" };
static const char *const magnitudes[] = { "Thousand", "Million", "Billion", "Trillion" };
static const char *const months[] = { "January", "February", "March",     "April",   "May",      "June",
                                      "July",    "August",   "September", "October", "November", "December" };
static const char *const day_names[] = { "",         "Monday", "Tuesday",  "Wednesday",
                                         "Thursday", "Friday", "Saturday", "Sunday" };

/* The zero of every Unicode decimal digit group. */
static const unsigned long decimal_zeros[] = { 0x30,   0x660,  0x6F0,  0x7C0,  0x966,  0x9E6,  0xA66,  0xAE6,
                                               0xB66,  0xBE6,  0xC66,  0xCE6,  0xD66,  0xDE6,  0xE50,  0xED0,
                                               0xF20,  0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80,
                                               0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900,
                                               0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10 };

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))
#define ARG(i) ((i) < count ? args[i] : NULL)

static unsigned long next_code_point(const char **text)
{
    const unsigned char *s = (const unsigned char *)*text;
    unsigned long code_point = s[0];
    size_t extra = code_point >= 0xF0 ? 3 : code_point >= 0xE0 ? 2 : code_point >= 0xC0 ? 1 : 0;
    if (extra)
        code_point &= 0x3Fu >> extra;
    size_t i = 1;
    for (; i <= extra && (s[i] & 0xC0) == 0x80; i++)
        code_point = (code_point << 6) | (s[i] & 0x3F);
    *text += i;
    return code_point;
}

static unsigned long digit_zero(unsigned long code_point)
{
    for (size_t i = 0; i < COUNT(decimal_zeros); i++)
        if (code_point >= decimal_zeros[i] && code_point <= decimal_zeros[i] + 9)
            return decimal_zeros[i];
    return 0;
}

/* ---- calendar arithmetic (proleptic Gregorian, days since 1970-01-01) ---- */

static long long floor_div(long long a, long long b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static long long days_from_civil(long long year, long long month, long long day)
{
    year += floor_div(month - 1, 12);
    month = month - 1 - 12 * floor_div(month - 1, 12) + 1;
    year -= month <= 2;
    long long era = floor_div(year, 400);
    long long year_of_era = year - era * 400;
    long long day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    long long day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468;
}

static void civil_from_days(long long days, long long *year, int *month, int *day)
{
    days += 719468;
    long long era = floor_div(days, 146097);
    long long day_of_era = days - era * 146097;
    long long year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    long long day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    long long mp = (5 * day_of_year + 2) / 153;
    *day = (int)(day_of_year - (153 * mp + 2) / 5 + 1);
    *month = (int)(mp < 10 ? mp + 3 : mp - 9);
    *year = year_of_era + era * 400 + (*month <= 2);
}

static int weekday_of(long long days)
{
    return (int)((days % 7 + 7 + 3) % 7) + 1;
}

static struct moment moment_of(long long millis)
{
    struct moment m = { .millis = millis, .days = floor_div(millis, MILLIS_PER_DAY) };
    long long in_day = millis - m.days * MILLIS_PER_DAY;
    civil_from_days(m.days, &m.year, &m.month, &m.day);
    m.hour = (int)(in_day / 3600000);
    m.minute = (int)(in_day / 60000 % 60);
    m.second = (int)(in_day / 1000 % 60);
    m.milli = (int)(in_day % 1000);
    m.weekday = weekday_of(m.days);
    return m;
}

/* The Monday starting week 1 of a month (month0 0-11, may overflow): the week holding its first Thursday. */
static long long start_of_first_week(long long year, long long month0)
{
    long long first = days_from_civil(year, month0 + 1, 1);
    int weekday = weekday_of(first);
    return weekday > 4 ? first + (8 - weekday) : first - (weekday - 1);
}

static double delta_weeks(long long start, long long end)
{
    return (double)(end - start) / 7.0 + 1;
}

static long long iso_week(const struct moment *m)
{
    double week = delta_weeks(start_of_first_week(m->year, 0), m->days);
    if (week > 52) {
        if (m->days >= start_of_first_week(m->year + 1, 0))
            week = 1;
    } else if (week < 1) {
        week = delta_weeks(start_of_first_week(m->year - 1, 0), m->days);
    }
    return (long long)floor(week);
}

static long long week_in_month(const struct moment *m)
{
    double week = delta_weeks(start_of_first_week(m->year, m->month - 1), m->days);
    if (week > 4) {
        if (m->days >= start_of_first_week(m->year, m->month))
            week = 1;
    } else if (week < 1) {
        week = delta_weeks(start_of_first_week(m->year, m->month - 2), m->days);
    }
    return (long long)floor(week);
}

static long long month_of_week(const struct moment *m)
{
    if (m->days < start_of_first_week(m->year, m->month - 1))
        return m->month == 1 ? 12 : m->month - 1;
    if (m->days >= start_of_first_week(m->year, m->month))
        return m->month == 12 ? 1 : m->month + 1;
    return m->month;
}

static long long iso_year(const struct moment *m)
{
    if (m->days < start_of_first_week(m->year, 0))
        return m->year - 1;
    if (m->days >= start_of_first_week(m->year + 1, 0))
        return m->year + 1;
    return m->year;
}

/* The numeric value of a component; P is 0 (am) or 1 (pm). */
static long long fragment(const struct moment *m, char component)
{
    switch (component) {
    case 'Y':
        return m->year;
    case 'M':
        return m->month;
    case 'D':
        return m->day;
    case 'd':
        return m->days - days_from_civil(m->year, 1, 1) + 1;
    case 'F':
        return m->weekday;
    case 'W':
        return iso_week(m);
    case 'w':
        return week_in_month(m);
    case 'X':
        return iso_year(m);
    case 'x':
        return month_of_week(m);
    case 'H':
        return m->hour;
    case 'h':
        return m->hour % 12 == 0 ? 12 : m->hour % 12;
    case 'P':
        return m->hour >= 12;
    case 'm':
        return m->minute;
    case 's':
        return m->second;
    case 'f':
        return m->milli;
    default:
        return 0;
    }
}

/* ---- integer pictures ---- */

static size_t gcd(size_t a, size_t b)
{
    return b == 0 ? a : gcd(b, a % b);
}

/* The spacing of separators that repeat regularly (same character, every n digits), else 0. */
static size_t regular_spacing(const struct int_format *format)
{
    if (format->separator_count == 0)
        return 0;
    size_t factor = format->separators[0].position;
    for (size_t i = 1; i < format->separator_count; i++) {
        if (format->separators[i].character != format->separators[0].character)
            return 0;
        factor = gcd(factor, format->separators[i].position);
    }
    for (size_t index = 1; index <= format->separator_count; index++) {
        bool found = false;
        for (size_t i = 0; i < format->separator_count; i++)
            found |= format->separators[i].position == index * factor;
        if (!found)
            return 0;
    }
    return factor;
}

static void analyse_decimal(struct eval_context *context, const char *picture, struct int_format *format)
{
    size_t length = strlen(picture), count = 0;
    unsigned long *code_points = arena_alloc(&context->arena, (length + 1) * sizeof(*code_points));
    for (const char *p = picture; *p;)
        code_points[count++] = next_code_point(&p);
    size_t position = 0;
    for (size_t i = count; i-- > 0;) {
        unsigned long zero = digit_zero(code_points[i]);
        if (zero) {
            format->mandatory++;
            position++;
            if (!format->zero)
                format->zero = zero;
            else if (zero != format->zero)
                jerror(context, "D3131", 0,
                       "In a decimal digit pattern, all digits must be from the same decimal group");
        } else if (code_points[i] == '#') {
            position++;
            format->optional++;
        } else if (format->separator_count < MAX_SEPARATORS) {
            format->separators[format->separator_count++] = (struct separator){ position, code_points[i] };
        }
    }
    if (format->mandatory == 0) {
        format->primary = IP_SEQUENCE;
        format->token = picture;
        return;
    }
    format->regular = regular_spacing(format);
}

static void analyse_integer(struct eval_context *context, const char *picture, bool ordinal, struct int_format *format)
{
    memset(format, 0, sizeof(*format));
    format->text_case = TC_LOWER;
    format->ordinal = ordinal;
    if (strcmp(picture, "A") == 0 || strcmp(picture, "a") == 0) {
        format->primary = IP_LETTERS;
        format->text_case = picture[0] == 'A' ? TC_UPPER : TC_LOWER;
    } else if (strcmp(picture, "I") == 0 || strcmp(picture, "i") == 0) {
        format->primary = IP_ROMAN;
        format->text_case = picture[0] == 'I' ? TC_UPPER : TC_LOWER;
    } else if (strcmp(picture, "W") == 0 || strcmp(picture, "w") == 0 || strcmp(picture, "Ww") == 0) {
        format->primary = IP_WORDS;
        format->text_case = picture[1] ? TC_TITLE : picture[0] == 'W' ? TC_UPPER : TC_LOWER;
    } else {
        format->primary = IP_DECIMAL;
        analyse_decimal(context, picture, format);
    }
}

static void put_words(struct sb *out, long long number, bool previous, bool ordinal)
{
    if (number <= 19) {
        sb_puts(out, previous ? " and " : "");
        sb_puts(out, ordinal ? ordinals[number] : few[number]);
    } else if (number < 100) {
        sb_puts(out, previous ? " and " : "");
        const char *decade = decades[number / 10 - 2];
        if (number % 10 > 0) {
            sb_puts(out, decade);
            sb_putc(out, '-');
            put_words(out, number % 10, false, ordinal);
        } else if (ordinal) {
            sb_append(out, decade, strlen(decade) - 1);
            sb_puts(out, "ieth");
        } else {
            sb_puts(out, decade);
        }
    } else {
        long long factor = 100;
        const char *unit = "Hundred";
        if (number >= 1000) {
            size_t magnitude = 1;
            for (factor = 1000; magnitude < COUNT(magnitudes) && number / factor >= 1000; magnitude++)
                factor *= 1000;
            unit = magnitudes[magnitude - 1];
        }
        sb_puts(out, previous ? ", " : "");
        put_words(out, number / factor, false, false);
        sb_putc(out, ' ');
        sb_puts(out, unit);
        if (number % factor > 0)
            put_words(out, number % factor, true, ordinal);
        else if (ordinal)
            sb_puts(out, "th");
    }
}

static void put_roman(struct sb *out, long long number)
{
    static const struct {
        int value;
        const char *letters;
    } numerals[] = { { 1000, "m" }, { 900, "cm" }, { 500, "d" }, { 400, "cd" }, { 100, "c" }, { 90, "xc" }, { 50, "l" },
                     { 40, "xl" },  { 10, "x" },   { 9, "ix" },  { 5, "v" },    { 4, "iv" },  { 1, "i" } };
    for (size_t i = 0; i < COUNT(numerals); i++)
        for (; number >= numerals[i].value; number -= numerals[i].value)
            sb_puts(out, numerals[i].letters);
}

static void put_letters(struct sb *out, long long number, char a)
{
    char letters[32];
    size_t n = sizeof(letters);
    for (; number > 0 && n > 0; number = (number - 1) / 26)
        letters[--n] = (char)(a + (number - 1) % 26);
    sb_append(out, letters + n, sizeof(letters) - n);
}

static void apply_case(char *text, enum text_case text_case)
{
    for (; *text; text++)
        if (text_case == TC_UPPER)
            *text = (char)toupper((unsigned char)*text);
        else if (text_case == TC_LOWER)
            *text = (char)tolower((unsigned char)*text);
}

static bool separator_before(const struct int_format *format, size_t right, size_t length, unsigned long *character)
{
    if (format->regular) {
        *character = format->separators[0].character;
        return right > 0 && right < length && right % format->regular == 0;
    }
    for (size_t i = 0; i < format->separator_count; i++)
        if (format->separators[i].position == right && right <= length) {
            *character = format->separators[i].character;
            return true;
        }
    return false;
}

static void put_decimal(struct sb *out, long long number, const struct int_format *format)
{
    char digits[64];
    int length = snprintf(digits, sizeof(digits), "%0*lld", format->mandatory > 40 ? 40 : format->mandatory, number);
    for (int i = 0; i <= length; i++) {
        unsigned long character;
        if (separator_before(format, (size_t)(length - i), (size_t)length, &character) && (i > 0 || !format->regular))
            sb_put_code_point(out, character);
        if (i < length)
            sb_put_code_point(out, (unsigned long)(digits[i] - '0') + format->zero);
    }
    if (format->ordinal) {
        long long last = number % 10, tens = number / 10 % 10;
        const char *suffix = tens == 1 || last == 0 || last > 3 ? "th" : last == 1 ? "st" : last == 2 ? "nd" : "rd";
        sb_puts(out, suffix);
    }
}

static void format_integer(struct eval_context *context, struct sb *out, long long number,
                           const struct int_format *format)
{
    if (number < 0) {
        sb_putc(out, '-');
        number = -number;
    }
    struct sb text = { .context = context };
    switch (format->primary) {
    case IP_LETTERS:
        put_letters(out, number, format->text_case == TC_UPPER ? 'A' : 'a');
        return;
    case IP_ROMAN:
        put_roman(&text, number);
        break;
    case IP_WORDS:
        put_words(&text, number, false, format->ordinal);
        break;
    case IP_DECIMAL:
        put_decimal(out, number, format);
        return;
    case IP_SEQUENCE:
        jerror(
            context, "D3130", 0,
            "Formatting or parsing an integer as a sequence starting with %s is not supported by this implementation",
            format->token);
    }
    char *result = (char *)sb_text(&text);
    apply_case(result, format->text_case);
    sb_puts(out, result);
}

/* ---- date/time pictures ---- */

static const char *default_presentation(char component)
{
    switch (component) {
    case 'F':
    case 'P':
    case 'C':
    case 'E':
        return "n";
    case 'm':
    case 's':
        return "01";
    case 'Z':
    case 'z':
        return "01:01";
    default:
        return strchr("YMDdWwXxHhf", component) ? "1" : NULL;
    }
}

static int parse_width(const char *text, const char *end)
{
    if (text == end || *text == '*')
        return NO_WIDTH;
    long width = strtol(text, NULL, 10);
    return width < 0 ? 0 : width > MAX_WIDTH ? MAX_WIDTH : (int)width;
}

static void set_width(struct marker *marker, const char *width)
{
    const char *dash = strchr(width, '-');
    marker->width_min = parse_width(width, dash ? dash : width + strlen(width));
    if (dash)
        marker->width_max = parse_width(dash + 1, dash + 1 + strlen(dash + 1));
}

static void set_presentation(struct eval_context *context, struct marker *marker, const char *modifier)
{
    size_t length = strlen(modifier);
    if (length > 1 && strchr("atco", modifier[length - 1])) {
        marker->presentation2 = modifier[length - 1];
        marker->presentation1 = arena_strndup(&context->arena, modifier, length - 1);
    } else {
        marker->presentation1 = length ? modifier : default_presentation(marker->component);
    }
    if (!marker->presentation1)
        jerror(context, "D3132", 0, "Unknown component specifier %c in date/time picture string", marker->component);
    const char *p = marker->presentation1;
    if (p[0] == 'n')
        marker->names = TC_LOWER;
    else if (p[0] == 'N')
        marker->names = p[1] == 'n' ? TC_TITLE : TC_UPPER;
}

static void set_integer_format(struct eval_context *context, struct marker *marker)
{
    char c = marker->component;
    if (c == 'Z' || c == 'z') {
        marker->has_integer = true;
        analyse_integer(context, marker->presentation1, false, &marker->integer);
        return;
    }
    if (marker->names || !strchr("YMDdFWwXxHhmsf", c))
        return;
    marker->has_integer = true;
    analyse_integer(context, marker->presentation1, marker->presentation2 == 'o', &marker->integer);
    if (marker->width_min != NO_WIDTH && marker->integer.mandatory < marker->width_min)
        marker->integer.mandatory = marker->width_min;
    if (!strchr("YMD", c))
        return;
    if (marker->width_max != NO_WIDTH) {
        marker->digits = marker->width_max;
        marker->integer.mandatory = marker->width_max;
    } else if (marker->integer.mandatory + marker->integer.optional >= 2) {
        marker->digits = marker->integer.mandatory + marker->integer.optional;
    }
}

/* text: the marker's content between the brackets. */
static void parse_marker(struct eval_context *context, const char *text, size_t length, struct marker *marker)
{
    char *compact = arena_alloc(&context->arena, length + 1);
    size_t n = 0;
    for (size_t i = 0; i < length; i++)
        if (!isspace((unsigned char)text[i]))
            compact[n++] = text[i];
    compact[n] = '\0';
    *marker = (struct marker){ .component = compact[0], .width_min = NO_WIDTH, .width_max = NO_WIDTH, .digits = -1 };
    char *comma = strrchr(compact, ',');
    if (comma) {
        set_width(marker, comma + 1);
        *comma = '\0';
    }
    if (!marker->component)
        jerror(context, "D3132", 0, "Unknown component specifier in date/time picture string");
    set_presentation(context, marker, compact[0] ? compact + 1 : compact);
    set_integer_format(context, marker);
}

static void add_literal(struct eval_context *context, struct picture *picture, const char *text, size_t length)
{
    if (length == 0)
        return;
    struct sb sb = { .context = context };
    for (size_t i = 0; i < length; i++) {
        sb_putc(&sb, text[i]);
        if (text[i] == ']' && i + 1 < length && text[i + 1] == ']')
            i++;
    }
    picture->parts[picture->count++] = (struct marker){ .literal = sb_text(&sb) };
}

static struct picture analyse_picture(struct eval_context *context, const char *text)
{
    size_t length = strlen(text);
    struct picture picture = { .parts = arena_alloc(&context->arena, (length + 1) * sizeof(struct marker)) };
    size_t start = 0, pos = 0;
    while (pos < length) {
        if (text[pos] != '[') {
            pos++;
            continue;
        }
        add_literal(context, &picture, text + start, pos - start);
        if (text[pos + 1] == '[') {
            add_literal(context, &picture, "[", 1);
            pos += 2;
            start = pos;
            continue;
        }
        const char *close = strchr(text + pos, ']');
        if (!close)
            jerror(context, "D3135", 0, "No matching closing bracket ']' in date/time picture string");
        parse_marker(context, text + pos + 1, (size_t)(close - text - pos - 1), &picture.parts[picture.count++]);
        pos = (size_t)(close - text) + 1;
        start = pos;
    }
    add_literal(context, &picture, text + start, pos - start);
    return picture;
}

static void put_name(struct eval_context *context, struct sb *out, const struct marker *marker, long long value)
{
    const char *name;
    if (marker->component == 'M' || marker->component == 'x')
        name = months[value - 1];
    else if (marker->component == 'F')
        name = day_names[value];
    else
        jerror(context, "D3133", 0,
               "The 'name' modifier can only be applied to months and days in the date/time picture string, not %c",
               marker->component);
    size_t length = strlen(name);
    if (marker->width_max != NO_WIDTH && length > (size_t)marker->width_max)
        length = (size_t)marker->width_max;
    char *text = arena_strndup(&context->arena, name, length);
    apply_case(text, marker->names);
    sb_puts(out, text);
}

static void put_offset(struct eval_context *context, struct sb *out, const struct marker *marker, int offset_minutes)
{
    int hours = offset_minutes / 60, minutes = offset_minutes % 60;
    int offset = hours * 100 + minutes;
    if (offset == 0 && marker->presentation2 == 't') {
        sb_putc(out, 'Z');
        return;
    }
    if (marker->component == 'z')
        sb_puts(out, "GMT");
    if (offset >= 0)
        sb_putc(out, '+');
    const struct int_format *format = &marker->integer;
    if (format->regular) {
        format_integer(context, out, offset, format);
    } else if (format->mandatory == 1 || format->mandatory == 2) {
        format_integer(context, out, hours, format);
        if (minutes != 0) {
            char text[8];
            snprintf(text, sizeof(text), ":%02d", abs(minutes));
            sb_puts(out, text);
        }
    } else if (format->mandatory == 3 || format->mandatory == 4) {
        format_integer(context, out, offset, format);
    } else {
        jerror(context, "D3134", 0, "The timezone integer format specifier cannot have more than four digits");
    }
}

static void put_component(struct eval_context *context, struct sb *out, const struct marker *marker,
                          const struct moment *m, int offset_minutes)
{
    char c = marker->component;
    long long value = fragment(m, c);
    if (strchr("YMDdFWwXxHhms", c)) {
        if (c == 'Y' && marker->digits > 0 && marker->digits < 18) {
            long long modulus = 1;
            for (int i = 0; i < marker->digits; i++)
                modulus *= 10;
            value %= modulus;
        }
        if (marker->names)
            put_name(context, out, marker, value);
        else
            format_integer(context, out, value, &marker->integer);
    } else if (c == 'f') {
        format_integer(context, out, value, &marker->integer);
    } else if (c == 'Z' || c == 'z') {
        put_offset(context, out, marker, offset_minutes);
    } else if (c == 'P') {
        sb_puts(out, marker->names == TC_UPPER ? (value ? "PM" : "AM") : (value ? "pm" : "am"));
    } else if (c == 'C' || c == 'E') {
        sb_puts(out, "ISO");
    }
}

/* "+hhmm" / "-hhmm" (as parseInt reads it) in minutes. */
static int parse_timezone(const char *text)
{
    long value = strtol(text, NULL, 10);
    long magnitude = value < -9999 || value > 9999 ? 9999 : labs(value);
    long minutes = magnitude / 100 * 60 + magnitude % 100;
    return (int)(value < 0 ? -minutes : minutes);
}

static struct jv *format_date_time(struct eval_context *context, double millis, const char *picture_text,
                                   const char *timezone)
{
    if (!isfinite(millis) || fabs(millis) > MAX_MILLIS)
        return NULL;
    int offset_minutes = timezone ? parse_timezone(timezone) : 0;
    struct picture picture =
        analyse_picture(context, picture_text ? picture_text : "[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001][Z01:01t]");
    struct moment m = moment_of((long long)millis + (long long)offset_minutes * 60000);
    struct sb out = { .context = context };
    sb_puts(&out, "");
    for (size_t i = 0; i < picture.count; i++)
        if (picture.parts[i].literal)
            sb_puts(&out, picture.parts[i].literal);
        else
            put_component(context, &out, &picture.parts[i], &m, offset_minutes);
    return jv_string(context, sb_text(&out));
}

/* ---- parsing timestamps with a picture ---- */

/* What a captured group of the timestamp means. */
struct matcher {
    const struct marker *marker;
    size_t group; /* index of its capture */
};

static void append_escaped(struct sb *regex, const char *text)
{
    for (; *text; text++) {
        if (strchr(".[]\\()*+?{}|^$", *text))
            sb_putc(regex, '\\');
        sb_putc(regex, *text);
    }
}

static void append_word_alternatives(struct sb *regex)
{
    sb_puts(regex, "(and|[-, ]");
    const char *const *lists[] = { few, ordinals, decades, magnitudes };
    size_t sizes[] = { COUNT(few), COUNT(ordinals), COUNT(decades), COUNT(magnitudes) };
    for (size_t l = 0; l < COUNT(lists); l++)
        for (size_t i = 0; i < sizes[l]; i++) {
            sb_putc(regex, '|');
            sb_puts(regex, lists[l][i]);
            if (l == 2) {
                sb_putc(regex, '|');
                sb_append(regex, lists[l][i], strlen(lists[l][i]) - 1);
                sb_puts(regex, "ieth");
            } else if (l == 3) {
                sb_putc(regex, '|');
                sb_puts(regex, lists[l][i]);
                sb_puts(regex, "th");
            }
        }
    sb_puts(regex, "|hundredth|hundred)+");
}

/* Appends the pattern of an integer; returns how many groups it opens. */
static size_t append_integer_pattern(struct eval_context *context, struct sb *regex, const struct int_format *format)
{
    switch (format->primary) {
    case IP_LETTERS:
        sb_puts(regex, "[a-z]+");
        return 0;
    case IP_ROMAN:
        sb_puts(regex, "[mdclxvi]+");
        return 0;
    case IP_WORDS:
        append_word_alternatives(regex);
        return 1;
    case IP_DECIMAL:
        break;
    case IP_SEQUENCE:
        jerror(
            context, "D3130", 0,
            "Formatting or parsing an integer as a sequence starting with %s is not supported by this implementation",
            format->token);
    }
    char occurrences[32] = "+";
    int width = format->mandatory + format->optional;
    if (format->separator_count) {
        sb_puts(regex, "[0-9");
        for (size_t i = 0; i < format->separator_count; i++)
            if (format->separators[i].character < 0x80 && format->separators[i].character != ']')
                sb_putc(regex, (char)format->separators[i].character);
        sb_putc(regex, ']');
    } else {
        sb_puts(regex, "[0-9]");
        if (width >= 2)
            snprintf(occurrences, sizeof(occurrences), "{%d,%d}", format->mandatory, width);
    }
    sb_puts(regex, occurrences);
    if (format->ordinal)
        sb_puts(regex, "(th|st|nd|rd)");
    return format->ordinal ? 1 : 0;
}

/* Appends the pattern of a marker (without its capture); returns how many groups it opens. */
static size_t append_marker_pattern(struct eval_context *context, struct sb *regex, const struct marker *marker)
{
    char c = marker->component;
    if (c == 'Z' || c == 'z') {
        sb_puts(regex, c == 'z' ? "GMT[-+][0-9]+" : "[-+][0-9]+");
        if (marker->integer.regular && marker->integer.separators[0].character < 0x80) {
            char separator[2] = { (char)marker->integer.separators[0].character, '\0' };
            append_escaped(regex, separator);
            sb_puts(regex, "[0-9]+");
        }
        return 0;
    }
    if (marker->has_integer)
        return append_integer_pattern(context, regex, &marker->integer);
    if (!strchr("MxFP", c))
        jerror(context, "D3133", 0,
               "The 'name' modifier can only be applied to months and days in the date/time picture string, not %c", c);
    sb_puts(regex, "[a-z]+");
    return 0;
}

static long long push_digit(long long value, long long digit, long long base)
{
    return value > (VALUE_LIMIT - digit) / base ? VALUE_LIMIT : value * base + digit;
}

/* The leading decimal digits of text (saturating). */
static long long digits_value(const char *text)
{
    long long value = 0;
    for (; isdigit((unsigned char)*text); text++)
        value = push_digit(value, *text - '0', 10);
    return value;
}

static long long letters_value(const char *text)
{
    long long value = 0;
    for (; *text; text++)
        value = push_digit(value, tolower((unsigned char)*text) - 'a' + 1, 26);
    return value;
}

static long long roman_value(const char *text)
{
    static const char letters[] = "mdclxvi";
    static const int values[] = { 1000, 500, 100, 50, 10, 5, 1 };
    long long value = 0;
    int max = 1;
    for (size_t i = strlen(text); i-- > 0;) {
        int digit = values[strchr(letters, tolower((unsigned char)text[i])) - letters];
        if (digit < max) {
            value -= digit;
        } else {
            max = digit;
            value += digit;
        }
    }
    return value;
}

static long long word_value(const char *word, size_t length)
{
    const char *const *lists[] = { few, ordinals, decades, magnitudes };
    size_t sizes[] = { COUNT(few), COUNT(ordinals), COUNT(decades), COUNT(magnitudes) };
    if (length == 7 && strncasecmp(word, "hundred", 7) == 0)
        return 100;
    if (length == 9 && strncasecmp(word, "hundredth", 9) == 0)
        return 100;
    for (size_t l = 0; l < COUNT(lists); l++)
        for (size_t i = 0; i < sizes[l]; i++) {
            const char *name = lists[l][i];
            size_t n = strlen(name);
            long long value = l < 2 ? (long long)i : l == 2 ? (long long)(i + 2) * 10 : 1;
            for (size_t k = 0; l == 3 && k <= i; k++)
                value *= 1000;
            bool exact = length == n && strncasecmp(word, name, n) == 0;
            bool ieth = l == 2 && length == n + 3 && strncasecmp(word, name, n - 1) == 0
                        && strncasecmp(word + n - 1, "ieth", 4) == 0;
            bool th =
                l == 3 && length == n + 2 && strncasecmp(word, name, n) == 0 && strncasecmp(word + n, "th", 2) == 0;
            if (exact || ieth || th)
                return value;
        }
    return -1;
}

/* "one thousand, nine hundred and eighty-four" -> 1984; -1 when a word is unknown. */
static long long words_value(const char *text)
{
    long long segments[16] = { 0 };
    size_t top = 0;
    while (*text) {
        size_t length = 0;
        while (text[length] && isalpha((unsigned char)text[length]))
            length++;
        if (length == 0) {
            text++;
            continue;
        }
        if (!(length == 3 && strncasecmp(text, "and", 3) == 0)) {
            long long value = word_value(text, length);
            if (value < 0)
                return -1;
            if (value >= 100) {
                segments[top] = segments[top] > VALUE_LIMIT / value ? VALUE_LIMIT : segments[top] * value;
            } else {
                if (segments[top] >= 1000 && top + 1 < COUNT(segments))
                    segments[++top] = 0;
                segments[top] = push_digit(segments[top], value, 1);
            }
        }
        text += length;
    }
    long long sum = 0;
    for (size_t i = 0; i <= top; i++)
        sum += segments[i];
    return sum;
}

static long long decimal_value(const char *text, const struct int_format *format)
{
    long long value = 0;
    for (; *text; text++)
        if (isdigit((unsigned char)*text))
            value = push_digit(value, *text - '0', 10);
        else if (format->ordinal && isalpha((unsigned char)*text))
            break;
    return value;
}

static long long name_value(const struct marker *marker, const char *text)
{
    char c = marker->component;
    if (c == 'P')
        return strcasecmp(text, "am") == 0 ? 0 : strcasecmp(text, "pm") == 0 ? 1 : -1;
    const char *const *names = c == 'F' ? day_names + 1 : months;
    size_t count = c == 'F' ? 7 : 12;
    for (size_t i = 0; i < count; i++) {
        size_t length = strlen(names[i]);
        if (marker->width_max != NO_WIDTH && length > (size_t)marker->width_max)
            length = (size_t)marker->width_max;
        if (strlen(text) == length && strncasecmp(text, names[i], length) == 0)
            return (long long)i + 1;
    }
    return -1;
}

/* Minutes east of UTC in "+05:30", "GMT-5", "+0530". */
static long long offset_value(const struct marker *marker, const char *text)
{
    if (marker->component == 'z')
        text += 3;
    int sign = text[0] == '-' ? -1 : 1;
    const char *digits = text + 1;
    long long hours, minutes = 0;
    const char *colon = strpbrk(digits, ":.");
    if (colon) {
        hours = digits_value(digits);
        minutes = digits_value(colon + 1);
    } else if (strlen(digits) <= 2) {
        hours = digits_value(digits);
    } else {
        char hh[3] = { digits[0], digits[1], '\0' };
        hours = digits_value(hh);
        minutes = digits_value(digits + 2);
    }
    return sign * (hours * 60 + minutes);
}

/* The value of a captured text; -1 when it has none (unknown name or word). */
static long long captured_value(const struct marker *marker, const char *text)
{
    char c = marker->component;
    if (c == 'Z' || c == 'z')
        return offset_value(marker, text);
    if (!marker->has_integer)
        return name_value(marker, text);
    switch (marker->integer.primary) {
    case IP_LETTERS:
        return letters_value(text);
    case IP_ROMAN:
        return roman_value(text);
    case IP_WORDS:
        return words_value(text);
    default:
        break;
    }
    if (c == 'f') {
        char millis[4] = "000";
        for (size_t i = 0; i < 3 && isdigit((unsigned char)text[i]); i++)
            millis[i] = text[i];
        return digits_value(millis);
    }
    return decimal_value(text, &marker->integer);
}

struct components {
    long long value[128];
    bool set[128];
};

static unsigned mask_of(const struct components *components, const char *parts)
{
    unsigned mask = 0;
    for (; *parts; parts++)
        mask = (mask << 1) | (components->set[(unsigned char)*parts] ? 1u : 0u);
    return mask;
}

static bool is_type(unsigned type, unsigned mask)
{
    return (~type & mask) == 0 && (type & mask) != 0;
}

/* Fills the unspecified components: current date/time before the given ones, zero (or 1) after. */
static void default_components(struct eval_context *context, struct components *components, const char *order)
{
    struct moment now = moment_of((long long)context->now);
    bool started = false, ended = false;
    for (const char *p = order; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (!components->set[c]) {
            if (started) {
                components->value[c] = strchr("MDd", c) ? 1 : 0;
                ended = true;
            } else {
                components->value[c] = c == 'P' ? 0 : fragment(&now, (char)c);
            }
        } else {
            started = true;
            if (ended)
                jerror(context, "D3136", 0,
                       "The date/time picture string is missing specifiers required to parse the timestamp");
        }
    }
}

static double components_millis(struct eval_context *context, struct components *components)
{
    unsigned date_mask = mask_of(components, "YXMxWwdD"), time_mask = mask_of(components, "PHhmsf");
    bool date_a = is_type(161, date_mask), date_b = !date_a && is_type(130, date_mask);
    bool date_c = is_type(84, date_mask), date_d = !date_c && is_type(72, date_mask);
    bool time_a = is_type(23, time_mask), time_b = !time_a && is_type(47, time_mask);
    char order[16];
    snprintf(order, sizeof(order), "%s%s",
             date_b   ? "Yd"
             : date_c ? "XxwF"
             : date_d ? "XWF"
                      : "YMD",
             time_b ? "Phmsf" : "Hmsf");
    default_components(context, components, order);
    if (date_c || date_d)
        jerror(context, "D3136", 0,
               "The date/time picture string is missing specifiers required to parse the timestamp");
    long long *v = components->value;
    long long month = v['M'] > 0 ? v['M'] : 1, day = v['D'];
    if (date_b) {
        long long year;
        int m, d;
        civil_from_days(days_from_civil(v['Y'], 1, 1) + v['d'] - 1, &year, &m, &d);
        month = m;
        day = d;
    }
    if (time_b)
        v['H'] = (v['h'] == 12 ? 0 : v['h']) + (v['P'] == 1 ? 12 : 0);
    long long year = v['Y'] >= 0 && v['Y'] <= 99 ? v['Y'] + 1900 : v['Y'];
    double millis = (double)days_from_civil(year, month, 1) * (double)MILLIS_PER_DAY
                    + (double)(day - 1) * (double)MILLIS_PER_DAY + (double)v['H'] * 3600000.0 + (double)v['m'] * 60000.0
                    + (double)v['s'] * 1000.0 + (double)v['f'];
    long long offset = components->set['Z'] ? v['Z'] : components->set['z'] ? v['z'] : 0;
    return millis - (double)offset * 60000.0;
}

static void release_regex(void *regex)
{
    regfree(regex);
}

static struct jv *parse_date_time(struct eval_context *context, const char *timestamp, const char *picture_text)
{
    struct picture picture = analyse_picture(context, picture_text);
    struct matcher *matchers = arena_alloc(&context->arena, (picture.count + 1) * sizeof(*matchers));
    struct sb pattern = { .context = context };
    sb_putc(&pattern, '^');
    size_t groups = 0, matcher_count = 0;
    for (size_t i = 0; i < picture.count; i++) {
        const struct marker *marker = &picture.parts[i];
        sb_putc(&pattern, '(');
        groups++;
        if (marker->literal) {
            append_escaped(&pattern, marker->literal);
        } else {
            matchers[matcher_count++] = (struct matcher){ marker, groups };
            groups += append_marker_pattern(context, &pattern, marker);
        }
        sb_putc(&pattern, ')');
    }
    sb_putc(&pattern, '$');
    regex_t *regex = arena_alloc(&context->arena, sizeof(*regex));
    if (regcomp(regex, sb_text(&pattern), REG_EXTENDED | REG_ICASE) != 0)
        jerror(context, "D3136", 0, "The date/time picture string cannot be used to parse a timestamp");
    arena_on_free(&context->arena, release_regex, regex);
    regmatch_t *match = arena_alloc(&context->arena, (groups + 1) * sizeof(*match));
    if (regexec(regex, timestamp, groups + 1, match, 0) != 0)
        return NULL;
    struct components *components = arena_alloc(&context->arena, sizeof(*components));
    memset(components, 0, sizeof(*components));
    bool any = false;
    for (size_t i = 0; i < matcher_count; i++) {
        const regmatch_t *m = &match[matchers[i].group];
        const char *text = jv_stringn(context, timestamp + m->rm_so, (size_t)(m->rm_eo - m->rm_so))->u.string;
        long long value = captured_value(matchers[i].marker, text);
        unsigned char c = (unsigned char)matchers[i].marker->component;
        any = true;
        if (value >= 0 || c == 'Z' || c == 'z') {
            components->value[c] = value;
            components->set[c] = true;
        }
    }
    if (!any)
        return NULL;
    double millis = components_millis(context, components);
    return isfinite(millis) && fabs(millis) <= MAX_MILLIS ? jv_number(context, millis) : NULL;
}

/* ---- ISO 8601 ---- */

static bool take_digits(const char **p, int count, long long *value)
{
    *value = 0;
    for (int i = 0; i < count; i++, (*p)++) {
        if (!isdigit((unsigned char)**p))
            return false;
        *value = *value * 10 + (**p - '0');
    }
    return true;
}

static bool take_two(const char **p, char separator, long long *value, long long max)
{
    if (separator) {
        if (**p != separator)
            return false;
        (*p)++;
    }
    return take_digits(p, 2, value) && *value <= max;
}

/* YYYY[-MM[-DD[Thh:mm:ss[.fff]]]][Z|+hh[:]mm]; false when not that. */
static bool parse_iso8601(const char *text, double *millis)
{
    long long year, month = 1, day = 1, hour = 0, minute = 0, second = 0, fraction = 0, oh = 0, om = 0;
    const char *p = text;
    if (!take_digits(&p, 4, &year))
        return false;
    if (*p == '-' && !(take_two(&p, '-', &month, 12) && month >= 1))
        return false;
    if (*p == '-' && !(take_two(&p, '-', &day, 31) && day >= 1))
        return false;
    if (*p == 'T'
        && !(take_two(&p, 'T', &hour, 24) && take_two(&p, ':', &minute, 59) && take_two(&p, ':', &second, 59)))
        return false;
    if (*p == '.') {
        p++;
        int digits = 0;
        for (; isdigit((unsigned char)*p); p++, digits++)
            if (digits < 3)
                fraction = fraction * 10 + (*p - '0');
        if (digits == 0)
            return false;
        for (; digits < 3; digits++)
            fraction *= 10;
    }
    int sign = 0;
    if (*p == 'Z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        sign = *p++ == '-' ? -1 : 1;
        if (!take_digits(&p, 2, &oh) || (*p == ':' && !*++p) || !take_digits(&p, 2, &om) || om > 59)
            return false;
    }
    if (*p || (hour == 24 && (minute || second || fraction)))
        return false;
    *millis =
        ((double)days_from_civil(year, month, day) * 86400.0 + (double)(hour * 3600 + minute * 60 + second)) * 1000.0
        + (double)fraction - (double)(sign * (oh * 60 + om)) * 60000.0;
    return true;
}

/* ---- the natives ---- */

static const char *optional_string(const struct jv *value)
{
    return value && value->type == JV_STRING ? value->u.string : NULL;
}

struct jv *fn_from_millis(struct eval_context *context, struct jv **args, size_t count, struct jv *focus)
{
    (void)focus;
    if (!ARG(0))
        return NULL;
    return format_date_time(context, args[0]->u.number, optional_string(ARG(1)), optional_string(ARG(2)));
}

struct jv *fn_to_millis(struct eval_context *context, struct jv **args, size_t count, struct jv *focus)
{
    (void)focus;
    if (!ARG(0))
        return NULL;
    const char *picture = optional_string(ARG(1));
    if (picture)
        return parse_date_time(context, args[0]->u.string, picture);
    double millis;
    if (!parse_iso8601(args[0]->u.string, &millis))
        jerror(context, "D3110", 0, "The timestamp %.64s cannot be parsed", args[0]->u.string);
    return jv_number(context, millis);
}

struct jv *fn_now(struct eval_context *context, struct jv **args, size_t count, struct jv *focus)
{
    (void)focus;
    return format_date_time(context, context->now, optional_string(ARG(0)), optional_string(ARG(1)));
}
