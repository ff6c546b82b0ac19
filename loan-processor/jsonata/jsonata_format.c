/*
 * jsonata_format.c - the string and number formatting part of the standard
 * library: $pad, $formatBase, $formatNumber, $formatInteger, $parseInteger,
 * base64 and URL encodings, and the regular expression functions $match and
 * $replace (with a regex literal callable as a matcher function).
 *
 * Positions and lengths count code points (JavaScript counts UTF-16 units:
 * the two differ only outside the Basic Multilingual Plane).
 */
#include "jsonata_internal.h"

#include "base64.h"
#include "utf8.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ARG(i) ((i) < count ? args[i] : NULL)
#define FN(name) static struct jv *name(struct eval_context *context, struct jv **args, size_t count, struct jv *focus)

/* A string as code points, for pictures whose characters may be any Unicode character. */
struct ustr {
    uint32_t *cp;
    size_t n;
};

static struct ustr ustr_from(struct eval_context *context, const char *text, size_t length)
{
    struct ustr s = { .cp = arena_alloc(&context->arena, (length + 1) * sizeof(uint32_t)) };
    for (size_t i = 0; i < length;) {
        uint32_t cp;
        i += utf8_next(text + i, length - i, &cp);
        s.cp[s.n++] = cp;
    }
    return s;
}

static struct ustr ustr_of(struct eval_context *context, const char *text)
{
    return ustr_from(context, text, strlen(text));
}

static struct ustr ustr_sub(struct ustr s, size_t from, size_t to)
{
    if (to > s.n)
        to = s.n;
    if (from > to)
        from = to;
    return (struct ustr){ .cp = s.cp + from, .n = to - from };
}

static long ustr_find(struct ustr s, uint32_t cp, size_t from)
{
    for (size_t i = from; i < s.n; i++)
        if (s.cp[i] == cp)
            return (long)i;
    return -1;
}

static long ustr_rfind(struct ustr s, uint32_t cp)
{
    for (size_t i = s.n; i-- > 0;)
        if (s.cp[i] == cp)
            return (long)i;
    return -1;
}

static void sb_put_ustr(struct sb *sb, struct ustr s)
{
    for (size_t i = 0; i < s.n; i++)
        if (s.cp[i] >= UTF8_STRAY_BYTE)
            sb_putc(sb, (char)(s.cp[i] - UTF8_STRAY_BYTE));
        else
            sb_put_code_point(sb, s.cp[i]);
}

static void sb_repeat(struct sb *sb, uint32_t cp, long times)
{
    for (long i = 0; i < times; i++)
        sb_put_code_point(sb, cp);
}

/* JSONata's $round: half to even. */
static double round_half_even(double value, int precision)
{
    double scale = pow(10, precision), scaled = value * scale;
    double rounded = round(scaled);
    if (fabs(scaled - trunc(scaled)) == 0.5 && fmod(rounded, 2) != 0)
        rounded -= scaled < 0 ? -1 : 1;
    return rounded / scale;
}

FN(f_pad)
{
    (void)focus;
    if (!ARG(0))
        return NULL;
    const char *text = args[0]->u.string;
    struct ustr fill = ustr_of(context, ARG(2) && *args[2]->u.string ? args[2]->u.string : " ");
    double width = trunc(args[1]->u.number);
    double missing = fabs(width) - (double)utf8_length(text);
    if (missing <= 0)
        return args[0];
    struct sb sb = { .context = context };
    if (width > 0)
        sb_puts(&sb, text);
    for (size_t i = 0; i < (size_t)missing; i++, step(context))
        sb_put_ustr(&sb, ustr_sub(fill, i % fill.n, i % fill.n + 1));
    if (width < 0)
        sb_puts(&sb, text);
    return jv_string(context, sb_text(&sb));
}

FN(f_format_base)
{
    (void)focus;
    if (!ARG(0))
        return NULL;
    double value = round_half_even(args[0]->u.number, 0);
    double radix = ARG(1) ? round_half_even(args[1]->u.number, 0) : 10;
    if (radix < 2 || radix > 36)
        jerror(context, "D3100", 0, "The radix of the formatBase function must be between 2 and 36.  It was given %g",
               radix);
    char digits[1100]; /* DBL_MAX has 1024 binary digits */
    size_t n = 0;
    double magnitude = fabs(value);
    do {
        int digit = (int)fmod(magnitude, radix);
        digits[n++] = "0123456789abcdefghijklmnopqrstuvwxyz"[digit];
        magnitude = floor(magnitude / radix);
    } while (magnitude >= 1 && n < sizeof(digits) - 2);
    if (value < 0)
        digits[n++] = '-';
    struct sb sb = { .context = context };
    while (n > 0)
        sb_putc(&sb, digits[--n]);
    return jv_string(context, sb_text(&sb));
}

FN(f_base64_encode)
{
    (void)focus;
    if (!ARG(0))
        return NULL;
    size_t length = strlen(args[0]->u.string);
    char *out = arena_alloc(&context->arena, base64_encoded_size(length));
    base64_encode(args[0]->u.string, length, out);
    return jv_string(context, out);
}

FN(f_base64_decode)
{
    (void)focus;
    if (!ARG(0))
        return NULL;
    size_t capacity = strlen(args[0]->u.string) + 1, length = 0;
    char *out = arena_alloc(&context->arena, capacity);
    if (base64_decode(args[0]->u.string, out, capacity, &length) != 0)
        jerror(context, "D3137", 0, "The base64decode function was given text that is not base64");
    return jv_stringn(context, out, length);
}

/* encodeURIComponent's unreserved characters; encodeURI also keeps the reserved ones. */
static bool url_keeps(unsigned char c, bool component)
{
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || strchr("-_.!~*'()", c))
        return c != '\0';
    return !component && c && strchr(";,/?:@&=+$#", c);
}

static _Noreturn void malformed_url(struct eval_context *context, const char *name, const char *text)
{
    jerror(context, "D3140", 0, "Malformed URL passed to $%s(): \"%s\"", name, text);
}

static struct jv *encode_url(struct eval_context *context, struct jv *value, bool component, const char *name)
{
    if (!value)
        return NULL;
    const char *text = value->u.string;
    size_t length = strlen(text);
    if (!utf8_is_valid(text, length))
        malformed_url(context, name, text);
    struct sb sb = { .context = context };
    for (size_t i = 0; i < length; i++) {
        unsigned char c = (unsigned char)text[i];
        if (url_keeps(c, component)) {
            sb_putc(&sb, (char)c);
        } else {
            char escape[4];
            snprintf(escape, sizeof(escape), "%%%02X", c);
            sb_puts(&sb, escape);
        }
    }
    return jv_string(context, sb_text(&sb));
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static struct jv *decode_url(struct eval_context *context, struct jv *value, bool component, const char *name)
{
    if (!value)
        return NULL;
    const char *text = value->u.string;
    struct sb sb = { .context = context };
    for (const char *p = text; *p; p++) {
        if (*p != '%') {
            sb_putc(&sb, *p);
            continue;
        }
        int high = hex_value(p[1]), low = high < 0 ? -1 : hex_value(p[2]);
        if (low < 0)
            malformed_url(context, name, text);
        unsigned char c = (unsigned char)(high * 16 + low);
        if (c < 0x80 && !component && url_keeps(c, false) && !url_keeps(c, true))
            sb_append(&sb, p, 3);
        else
            sb_putc(&sb, (char)c);
        p += 2;
    }
    if (!utf8_is_valid(sb.data ? sb.data : "", sb.length))
        malformed_url(context, name, text);
    return jv_string(context, sb_text(&sb));
}

FN(f_encode_url)
{
    (void)focus;
    return encode_url(context, ARG(0), false, "encodeUrl");
}

FN(f_encode_url_component)
{
    (void)focus;
    return encode_url(context, ARG(0), true, "encodeUrlComponent");
}

FN(f_decode_url)
{
    (void)focus;
    return decode_url(context, ARG(0), false, "decodeUrl");
}

FN(f_decode_url_component)
{
    (void)focus;
    return decode_url(context, ARG(0), true, "decodeUrlComponent");
}

/* ---- regular expressions as matcher functions ---- */

static struct jv *regex_match_at(struct eval_context *context, struct jv *regex, struct jv *text, double from);

/* The hidden native behind a match's next(): (regex, text, offset). */
FN(f_regex_next)
{
    (void)focus;
    (void)count;
    return regex_match_at(context, args[0], args[1], args[2]->u.number);
}

static struct jv *regex_next_function(struct eval_context *context, struct jv *regex, struct jv *text, double from)
{
    struct native *native = arena_alloc(&context->arena, sizeof(*native));
    *native = (struct native){ .name = "next", .signature_text = "<xxx>", .call = f_regex_next };
    struct jv *target = jv_new(context, JV_NATIVE);
    target->u.native = native;
    struct jv *partial = jv_new(context, JV_PARTIAL);
    partial->u.partial.target = target;
    partial->u.partial.count = 3;
    partial->u.partial.args = arena_alloc(&context->arena, 3 * sizeof(struct jv *));
    partial->u.partial.holes = arena_alloc(&context->arena, 3 * sizeof(bool));
    partial->u.partial.args[0] = regex;
    partial->u.partial.args[1] = text;
    partial->u.partial.args[2] = jv_number(context, from);
    memset(partial->u.partial.holes, 0, 3 * sizeof(bool));
    return partial;
}

/*
 * Narrows matches (leftmost-longest, from regexec at string + offset) to the
 * shortest match at the same start, JavaScript's reading of a lazy quantifier
 * when it is the one that decides the length.
 */
static void shortest_match(struct eval_context *context, const regex_t *compiled, const char *string, size_t offset,
                           regmatch_t *matches)
{
    size_t start = offset + (size_t)matches[0].rm_so, longest = (size_t)(matches[0].rm_eo - matches[0].rm_so);
    size_t groups = compiled->re_nsub, total = strlen(string);
    regmatch_t *shorter = arena_alloc(&context->arena, (groups + 1) * sizeof(*shorter));
    char *copy = arena_alloc(&context->arena, longest + 1);
    for (size_t length = 0; length < longest; length++) {
        step(context);
        memcpy(copy, string + start, length);
        copy[length] = '\0';
        int flags = (start ? REG_NOTBOL : 0) | (start + length < total ? REG_NOTEOL : 0);
        if (regexec(compiled, copy, groups + 1, shorter, flags) == 0 && shorter[0].rm_so == 0
            && (size_t)shorter[0].rm_eo == length) {
            for (size_t i = 0; i <= groups; i++) {
                matches[i].rm_so = shorter[i].rm_so < 0 ? -1 : shorter[i].rm_so + (regoff_t)(start - offset);
                matches[i].rm_eo = shorter[i].rm_so < 0 ? -1 : shorter[i].rm_eo + (regoff_t)(start - offset);
            }
            return;
        }
    }
}

/* The first match of regex in text at or after code point from: {match, start, end, groups, next}, or NULL. */
static struct jv *regex_match_at(struct eval_context *context, struct jv *regex, struct jv *text, double from)
{
    const char *string = text->u.string;
    size_t offset = utf8_offset(string, from > 0 ? (size_t)from : 0);
    if (from > 0 && string[offset] == '\0')
        return NULL;
    const regex_t *compiled = regex->u.regex;
    size_t groups = compiled->re_nsub;
    regmatch_t *matches = arena_alloc(&context->arena, (groups + 1) * sizeof(*matches));
    if (regexec(compiled, string + offset, groups + 1, matches, offset ? REG_NOTBOL : 0) != 0)
        return NULL;
    if (((const struct regex_info *)compiled)->lazy)
        shortest_match(context, compiled, string, offset, matches);
    if (matches[0].rm_eo == matches[0].rm_so)
        jerror(context, "D1004", 0, "Regular expression matches zero length string");
    const char *begin = string + offset + matches[0].rm_so;
    size_t length = (size_t)(matches[0].rm_eo - matches[0].rm_so);
    double start = (double)utf8_count(string, (size_t)(begin - string));
    double end = start + (double)utf8_count(begin, length);
    struct jv *result = jv_object(context);
    jv_set(context, result, "match", jv_stringn(context, begin, length));
    jv_set(context, result, "start", jv_number(context, start));
    jv_set(context, result, "end", jv_number(context, end));
    struct jv *list = jv_array(context, 0);
    for (size_t i = 1; i <= groups; i++) {
        const regmatch_t *group = &matches[i];
        size_t size = group->rm_so < 0 ? 0 : (size_t)(group->rm_eo - group->rm_so);
        jv_push(context, list, jv_stringn(context, string + offset + (group->rm_so < 0 ? 0 : group->rm_so), size));
    }
    jv_set(context, result, "groups", list);
    jv_set(context, result, "next", regex_next_function(context, regex, text, end));
    return result;
}

struct jv *format_regex_call(struct eval_context *context, struct jv *regex, struct jv **args, size_t count)
{
    if (!ARG(0) || args[0]->type != JV_STRING)
        return NULL;
    return regex_match_at(context, regex, args[0], ARG(1) && args[1]->type == JV_NUMBER ? args[1]->u.number : 0);
}

static double match_field(struct jv *match, const char *key)
{
    struct jv *value = jv_get(match, key);
    return value && value->type == JV_NUMBER ? value->u.number : 0;
}

/* A matcher function's result: undefined or an object with a string match, a numeric start and a groups array. */
static struct jv *checked_match(struct eval_context *context, struct jv *match)
{
    if (!match)
        return NULL;
    struct jv *text = jv_get(match, "match"), *start = jv_get(match, "start");
    if (match->type != JV_OBJECT || !text || text->type != JV_STRING || !start || start->type != JV_NUMBER)
        jerror(context, "T1010", 0,
               "The matcher function argument passed to function does not return the correct "
               "object structure");
    return match;
}

/* Calls a matcher (a regex or a function of the string) on text. */
static struct jv *first_match(struct eval_context *context, struct jv *matcher, struct jv *text)
{
    if (matcher->type == JV_REGEX)
        return regex_match_at(context, matcher, text, 0);
    return checked_match(context, apply_function(context, matcher, &text, 1, NULL, 0));
}

static struct jv *next_match(struct eval_context *context, struct jv *match)
{
    struct jv *next = jv_get(match, "next");
    return jv_is_function(next) ? checked_match(context, apply_function(context, next, NULL, 0, NULL, 0)) : NULL;
}

struct jv *format_matcher_contains(struct eval_context *context, struct jv *text, struct jv *matcher)
{
    return jv_bool(context, first_match(context, matcher, text) != NULL);
}

struct jv *format_matcher_split(struct eval_context *context, struct jv *text, struct jv *matcher, double limit)
{
    struct jv *result = jv_array(context, 0);
    const char *string = text->u.string;
    size_t position = 0;
    struct jv *match = first_match(context, matcher, text);
    for (; match && (double)result->u.array.count < limit; match = next_match(context, match)) {
        size_t start = utf8_offset(string, (size_t)match_field(match, "start"));
        jv_push(context, result, jv_stringn(context, string + position, start > position ? start - position : 0));
        position = start + strlen(jv_get(match, "match")->u.string);
    }
    if ((double)result->u.array.count < limit)
        jv_push(context, result, jv_string(context, string + position));
    return result;
}

FN(f_match)
{
    (void)focus;
    if (!ARG(0))
        return NULL;
    if (ARG(2) && args[2]->u.number < 0)
        jerror(context, "D3040", 0, "Third argument of match function must evaluate to a positive number");
    double limit = ARG(2) ? args[2]->u.number : INFINITY;
    struct jv *result = jv_sequence(context);
    struct jv *match = first_match(context, args[1], args[0]);
    for (double n = 0; match && n < limit; n++) {
        struct jv *item = jv_object(context);
        jv_set(context, item, "match", jv_get(match, "match"));
        jv_set(context, item, "index", jv_number(context, match_field(match, "start")));
        jv_set(context, item, "groups", jv_get(match, "groups"));
        jv_push(context, result, item);
        match = next_match(context, match);
    }
    return result;
}

/* Number of digits of a $n reference: JSONata reads as many as the group count has, then one fewer if too big. */
static void substitute_group(struct sb *sb, struct jv *groups, const char **cursor)
{
    const char *p = *cursor;
    size_t group_count = groups && jv_is_array(groups) ? groups->u.array.count : 0;
    int max_digits = group_count == 0 ? 1 : (int)floor(log10((double)group_count)) + 1;
    char digits[16] = "";
    int n = 0;
    while (n < max_digits && p[n] >= '0' && p[n] <= '9')
        digits[n] = p[n], n++;
    digits[n] = '\0';
    long index = n ? strtol(digits, NULL, 10) : -1;
    if (n > 1 && (size_t)index > group_count) {
        digits[--n] = '\0';
        index = strtol(digits, NULL, 10);
    }
    if (n == 0) {
        sb_putc(sb, '$');
        return;
    }
    if (group_count > 0 && index >= 1 && (size_t)index <= group_count) {
        struct jv *group = groups->u.array.items[index - 1];
        if (group && group->type == JV_STRING)
            sb_puts(sb, group->u.string);
    }
    char printed[24];
    *cursor = p + snprintf(printed, sizeof(printed), "%ld", index);
}

static struct jv *substitute(struct eval_context *context, const char *replacement, struct jv *match)
{
    struct sb sb = { .context = context };
    for (const char *p = replacement; *p;) {
        if (*p != '$') {
            sb_putc(&sb, *p++);
            continue;
        }
        p++;
        if (*p == '$') {
            sb_putc(&sb, '$');
            p++;
        } else if (*p == '0') {
            struct jv *whole = jv_get(match, "match");
            sb_puts(&sb, whole && whole->type == JV_STRING ? whole->u.string : "");
            p++;
        } else {
            substitute_group(&sb, jv_get(match, "groups"), &p);
        }
    }
    return jv_string(context, sb_text(&sb));
}

static void replace_literal(struct sb *sb, const char *text, const char *pattern, const char *replacement, double limit)
{
    size_t length = strlen(pattern);
    for (double n = 0; n < limit; n++) {
        const char *found = strstr(text, pattern);
        if (!found)
            break;
        sb_append(sb, text, (size_t)(found - text));
        sb_puts(sb, replacement);
        text = found + length;
    }
    sb_puts(sb, text);
}

FN(f_replace)
{
    (void)focus;
    if (!ARG(0))
        return NULL;
    if (!args[1])
        jerror(context, "T0410", 0, "Argument 2 of function \"replace\" does not match function signature");
    if (args[1]->type == JV_STRING && !*args[1]->u.string)
        jerror(context, "D3010", 0, "Second argument of replace function cannot be an empty string");
    if (ARG(3) && args[3]->u.number < 0)
        jerror(context, "D3011", 0, "Fourth argument of replace function must evaluate to a positive number");
    double limit = ARG(3) ? args[3]->u.number : INFINITY;
    const char *text = args[0]->u.string;
    struct sb sb = { .context = context };
    if (!args[2] || (args[2]->type != JV_STRING && !jv_is_function(args[2])))
        jerror(context, "D3012", 0, "Attempted to replace a matched string with a non-string value");
    if (args[1]->type == JV_STRING) {
        replace_literal(&sb, text, args[1]->u.string, jv_is_function(args[2]) ? "" : args[2]->u.string, limit);
        return jv_string(context, sb_text(&sb));
    }
    size_t position = 0;
    struct jv *match = limit > 0 ? first_match(context, args[1], args[0]) : NULL;
    for (double n = 0; match && n < limit; n++) {
        size_t start = utf8_offset(text, (size_t)match_field(match, "start"));
        struct jv *whole = jv_get(match, "match");
        sb_append(&sb, text + position, start > position ? start - position : 0);
        struct jv *with = args[2]->type == JV_STRING ? substitute(context, args[2]->u.string, match)
                                                     : apply_function(context, args[2], &match, 1, NULL, 0);
        if (!with || with->type != JV_STRING)
            jerror(context, "D3012", 0, "Attempted to replace a matched string with a non-string value");
        sb_puts(&sb, with->u.string);
        position = start + (whole && whole->type == JV_STRING ? strlen(whole->u.string) : 0);
        match = next_match(context, match);
    }
    sb_puts(&sb, text + position);
    return jv_string(context, sb_text(&sb));
}

/* ---- $formatNumber: the XPath F&O 3.1 format-number picture (sections 4.7.3 to 4.7.5) ---- */

struct number_symbols {
    uint32_t decimal, grouping, exponent, minus, percent, per_mille, zero, digit, pattern;
    const char *infinity, *nan;
};

struct sub_picture {
    struct ustr whole, prefix, suffix, active, mantissa, integer, fraction, exponent;
    bool has_exponent;
};

struct picture_analysis {
    size_t integer_groups[64], integer_group_count, fraction_groups[64], fraction_group_count;
    size_t regular_grouping;
    long min_integer, scaling, min_fraction, max_fraction, min_exponent;
    struct ustr prefix, suffix, whole;
};

static bool is_digit_of(const struct number_symbols *symbols, uint32_t cp)
{
    return cp >= symbols->zero && cp <= symbols->zero + 9;
}

static bool is_active(const struct number_symbols *symbols, uint32_t cp)
{
    return is_digit_of(symbols, cp) || cp == symbols->decimal || cp == symbols->exponent || cp == symbols->grouping
           || cp == symbols->digit || cp == symbols->pattern;
}

static size_t count_digits(const struct number_symbols *symbols, struct ustr s, bool optional_too)
{
    size_t n = 0;
    for (size_t i = 0; i < s.n; i++)
        n += is_digit_of(symbols, s.cp[i]) || (optional_too && s.cp[i] == symbols->digit);
    return n;
}

static struct sub_picture split_picture(const struct number_symbols *symbols, struct ustr picture)
{
    struct sub_picture parts = { .whole = picture };
    size_t first = picture.n, last = picture.n;
    for (size_t i = 0; i < picture.n; i++)
        if (is_active(symbols, picture.cp[i]) && picture.cp[i] != symbols->exponent) {
            first = i;
            break;
        }
    for (size_t i = picture.n; i-- > 0;)
        if (is_active(symbols, picture.cp[i]) && picture.cp[i] != symbols->exponent) {
            last = i;
            break;
        }
    parts.prefix = ustr_sub(picture, 0, first);
    parts.suffix = last == picture.n ? ustr_sub(picture, picture.n, picture.n) : ustr_sub(picture, last + 1, picture.n);
    parts.active = ustr_sub(picture, parts.prefix.n, picture.n - parts.suffix.n);
    long exponent = ustr_find(picture, symbols->exponent, parts.prefix.n);
    if (exponent < 0 || (size_t)exponent > picture.n - parts.suffix.n) {
        parts.mantissa = parts.active;
    } else {
        size_t at = (size_t)exponent - parts.prefix.n;
        parts.mantissa = ustr_sub(parts.active, 0, at);
        parts.exponent = ustr_sub(parts.active, at + 1, parts.active.n);
        parts.has_exponent = true;
    }
    long decimal = ustr_find(parts.mantissa, symbols->decimal, 0);
    if (decimal < 0) {
        parts.integer = parts.mantissa;
        parts.fraction = parts.suffix;
    } else {
        parts.integer = ustr_sub(parts.mantissa, 0, (size_t)decimal);
        parts.fraction = ustr_sub(parts.mantissa, (size_t)decimal + 1, parts.mantissa.n);
    }
    return parts;
}

static const char *picture_error(const struct number_symbols *symbols, const struct sub_picture *parts)
{
    struct ustr whole = parts->whole;
    long decimal = ustr_find(whole, symbols->decimal, 0);
    const char *error = NULL;
    if (parts->active.n == 0)
        return "D3086";
    if (decimal != ustr_rfind(whole, symbols->decimal))
        error = "D3081";
    if (ustr_find(whole, symbols->percent, 0) != ustr_rfind(whole, symbols->percent))
        error = "D3082";
    if (ustr_find(whole, symbols->per_mille, 0) != ustr_rfind(whole, symbols->per_mille))
        error = "D3083";
    bool percent = ustr_find(whole, symbols->percent, 0) >= 0, per_mille = ustr_find(whole, symbols->per_mille, 0) >= 0;
    if (percent && per_mille)
        error = "D3084";
    if (count_digits(symbols, parts->mantissa, true) == 0)
        error = "D3085";
    for (size_t i = 0; i < parts->active.n; i++)
        if (!is_active(symbols, parts->active.cp[i]))
            error = "D3086";
    if (decimal >= 0) {
        if ((decimal > 0 && whole.cp[decimal - 1] == symbols->grouping)
            || ((size_t)decimal + 1 < whole.n && whole.cp[decimal + 1] == symbols->grouping))
            error = "D3087";
    } else if (parts->integer.n && parts->integer.cp[parts->integer.n - 1] == symbols->grouping) {
        error = "D3088";
    }
    for (size_t i = 0; i + 1 < whole.n; i++)
        if (whole.cp[i] == symbols->grouping && whole.cp[i + 1] == symbols->grouping)
            error = "D3089";
    long optional = ustr_find(parts->integer, symbols->digit, 0);
    if (optional >= 0 && count_digits(symbols, ustr_sub(parts->integer, 0, (size_t)optional), false) > 0)
        error = "D3090";
    optional = ustr_rfind(parts->fraction, symbols->digit);
    if (optional >= 0 && count_digits(symbols, ustr_sub(parts->fraction, (size_t)optional, parts->fraction.n), false))
        error = "D3091";
    if (parts->has_exponent && parts->exponent.n > 0 && (percent || per_mille))
        error = "D3092";
    if (parts->has_exponent
        && (parts->exponent.n == 0 || count_digits(symbols, parts->exponent, false) != parts->exponent.n))
        error = "D3093";
    return error;
}

static size_t grouping_positions(const struct number_symbols *symbols, struct ustr part, bool to_left, size_t *out)
{
    size_t n = 0;
    for (long at = ustr_find(part, symbols->grouping, 0); at >= 0 && n < 64;
         at = ustr_find(part, symbols->grouping, (size_t)at + 1)) {
        struct ustr side = to_left ? ustr_sub(part, 0, (size_t)at) : ustr_sub(part, (size_t)at, part.n);
        out[n++] = count_digits(symbols, side, true);
    }
    return n;
}

static size_t gcd(size_t a, size_t b)
{
    return b == 0 ? a : gcd(b, a % b);
}

static size_t regular_grouping(const size_t *positions, size_t n)
{
    if (n == 0)
        return 0;
    size_t factor = positions[0];
    for (size_t i = 1; i < n; i++)
        factor = gcd(factor, positions[i]);
    for (size_t k = 1; k <= n; k++) {
        bool found = false;
        for (size_t i = 0; i < n && !found; i++)
            found = positions[i] == k * factor;
        if (!found)
            return 0;
    }
    return factor;
}

static void analyse_picture(const struct number_symbols *symbols, const struct sub_picture *parts,
                            struct picture_analysis *out)
{
    memset(out, 0, sizeof(*out));
    out->integer_group_count = grouping_positions(symbols, parts->integer, false, out->integer_groups);
    out->regular_grouping = regular_grouping(out->integer_groups, out->integer_group_count);
    out->fraction_group_count = grouping_positions(symbols, parts->fraction, true, out->fraction_groups);
    out->min_integer = (long)count_digits(symbols, parts->integer, false);
    out->scaling = out->min_integer;
    out->min_fraction = (long)count_digits(symbols, parts->fraction, false);
    out->max_fraction = (long)count_digits(symbols, parts->fraction, true);
    if (out->min_integer == 0 && out->max_fraction == 0) {
        if (parts->has_exponent)
            out->min_fraction = out->max_fraction = 1;
        else
            out->min_integer = 1;
    }
    if (parts->has_exponent && out->min_integer == 0 && ustr_find(parts->integer, symbols->digit, 0) >= 0)
        out->min_integer = 1;
    if (out->min_integer == 0 && out->min_fraction == 0)
        out->min_fraction = 1;
    if (parts->has_exponent)
        out->min_exponent = (long)count_digits(symbols, parts->exponent, false);
    out->prefix = parts->prefix;
    out->suffix = parts->suffix;
    out->whole = parts->whole;
}

/* Digits of |value| with dp decimals in the picture's digit family, as code points. */
static struct ustr digits_of(struct eval_context *context, const struct number_symbols *symbols, double value, long dp)
{
    char buffer[512];
    snprintf(buffer, sizeof(buffer), "%.*f", (int)(dp > 100 ? 100 : dp), fabs(value));
    struct ustr s = ustr_of(context, buffer);
    for (size_t i = 0; i < s.n; i++)
        if (s.cp[i] >= '0' && s.cp[i] <= '9')
            s.cp[i] = symbols->zero + (s.cp[i] - '0');
        else if (s.cp[i] == '.')
            s.cp[i] = symbols->decimal;
    return s;
}

static struct ustr ustr_insert(struct eval_context *context, struct ustr s, size_t at, uint32_t cp)
{
    struct ustr out = { .cp = arena_alloc(&context->arena, (s.n + 2) * sizeof(uint32_t)), .n = s.n + 1 };
    if (at > s.n)
        at = s.n;
    memcpy(out.cp, s.cp, at * sizeof(uint32_t));
    out.cp[at] = cp;
    memcpy(out.cp + at + 1, s.cp + at, (s.n - at) * sizeof(uint32_t));
    return out;
}

static struct ustr place_digits(struct eval_context *context, const struct number_symbols *symbols,
                                const struct picture_analysis *pic, double mantissa)
{
    struct ustr s = digits_of(context, symbols, round_half_even(mantissa, (int)pic->max_fraction), pic->max_fraction);
    if (ustr_find(s, symbols->decimal, 0) < 0)
        s = ustr_insert(context, s, s.n, symbols->decimal);
    while (s.n && s.cp[0] == symbols->zero)
        s = ustr_sub(s, 1, s.n);
    while (s.n && s.cp[s.n - 1] == symbols->zero)
        s.n--;
    size_t decimal = (size_t)ustr_find(s, symbols->decimal, 0);
    long pad_left = pic->min_integer - (long)decimal, pad_right = pic->min_fraction - (long)(s.n - decimal - 1);
    for (long i = 0; i < pad_left; i++)
        s = ustr_insert(context, s, 0, symbols->zero);
    for (long i = 0; i < pad_right; i++)
        s = ustr_insert(context, s, s.n, symbols->zero);
    decimal = (size_t)ustr_find(s, symbols->decimal, 0);
    if (pic->regular_grouping > 0) {
        size_t groups = decimal ? (decimal - 1) / pic->regular_grouping : 0;
        for (size_t group = 1; group <= groups; group++)
            s = ustr_insert(context, s, decimal - group * pic->regular_grouping, symbols->grouping);
    } else {
        for (size_t i = 0; i < pic->integer_group_count; i++) {
            if (pic->integer_groups[i] <= decimal)
                s = ustr_insert(context, s, decimal - pic->integer_groups[i], symbols->grouping);
            decimal++;
        }
    }
    decimal = (size_t)ustr_find(s, symbols->decimal, 0);
    for (size_t i = 0; i < pic->fraction_group_count; i++)
        s = ustr_insert(context, s, pic->fraction_groups[i] + decimal + 1, symbols->grouping);
    decimal = (size_t)ustr_find(s, symbols->decimal, 0);
    if (pic->min_fraction == 0 && decimal == s.n - 1)
        s.n--;
    return s;
}

static uint32_t option_char(struct eval_context *context, struct jv *options, const char *key, uint32_t fallback)
{
    struct jv *value = options ? jv_get(options, key) : NULL;
    if (!value || value->type != JV_STRING || !*value->u.string)
        return fallback;
    return ustr_of(context, value->u.string).cp[0];
}

static void number_symbols_from(struct eval_context *context, struct jv *options, struct number_symbols *symbols)
{
    *symbols = (struct number_symbols){
        .decimal = option_char(context, options, "decimal-separator", '.'),
        .grouping = option_char(context, options, "grouping-separator", ','),
        .exponent = option_char(context, options, "exponent-separator", 'e'),
        .minus = option_char(context, options, "minus-sign", '-'),
        .percent = option_char(context, options, "percent", '%'),
        .per_mille = option_char(context, options, "per-mille", 0x2030),
        .zero = option_char(context, options, "zero-digit", '0'),
        .digit = option_char(context, options, "digit", '#'),
        .pattern = option_char(context, options, "pattern-separator", ';'),
    };
}

FN(f_format_number)
{
    (void)focus;
    if (!ARG(0))
        return NULL;
    struct number_symbols symbols;
    number_symbols_from(context, ARG(2), &symbols);
    struct ustr picture = ustr_of(context, args[1]->u.string);
    long separator = ustr_find(picture, symbols.pattern, 0);
    if (separator >= 0 && ustr_find(picture, symbols.pattern, (size_t)separator + 1) >= 0)
        jerror(context, "D3080", 0, "The picture string must only contain a maximum of two sub-pictures");
    struct sub_picture parts[2];
    size_t n = separator < 0 ? 1 : 2;
    parts[0] = split_picture(&symbols, separator < 0 ? picture : ustr_sub(picture, 0, (size_t)separator));
    if (n == 2)
        parts[1] = split_picture(&symbols, ustr_sub(picture, (size_t)separator + 1, picture.n));
    struct picture_analysis analysis[2];
    for (size_t i = 0; i < n; i++) {
        const char *error = picture_error(&symbols, &parts[i]);
        if (error)
            jerror(context, error, 0, "Invalid picture string for $formatNumber: %s", args[1]->u.string);
        analyse_picture(&symbols, &parts[i], &analysis[i]);
    }
    double value = args[0]->u.number;
    const struct picture_analysis *pic = &analysis[value >= 0 || n == 1 ? 0 : 1];
    struct sb sb = { .context = context };
    if (value < 0 && n == 1)
        sb_put_code_point(&sb, symbols.minus);
    double adjusted = value;
    if (ustr_find(pic->whole, symbols.percent, 0) >= 0)
        adjusted *= 100;
    else if (ustr_find(pic->whole, symbols.per_mille, 0) >= 0)
        adjusted *= 1000;
    double mantissa = adjusted;
    long exponent = 0;
    if (pic->min_exponent > 0 && adjusted != 0) {
        double max_mantissa = pow(10, (double)pic->scaling), min_mantissa = pow(10, (double)pic->scaling - 1);
        mantissa = fabs(adjusted);
        for (; mantissa < min_mantissa; exponent--)
            mantissa *= 10;
        for (; mantissa > max_mantissa; exponent++)
            mantissa /= 10;
    }
    sb_put_ustr(&sb, pic->prefix);
    sb_put_ustr(&sb, place_digits(context, &symbols, pic, mantissa));
    if (pic->min_exponent > 0) {
        struct ustr digits = digits_of(context, &symbols, (double)exponent, 0);
        sb_put_code_point(&sb, symbols.exponent);
        if (exponent < 0)
            sb_put_code_point(&sb, symbols.minus);
        sb_repeat(&sb, symbols.zero, pic->min_exponent - (long)digits.n);
        sb_put_ustr(&sb, digits);
    }
    sb_put_ustr(&sb, pic->suffix);
    return jv_string(context, sb_text(&sb));
}

/* ---- $formatInteger and $parseInteger: the XPath F&O 3.1 format-integer picture ---- */

enum integer_kind { INT_DECIMAL, INT_LETTERS, INT_ROMAN, INT_WORDS, INT_SEQUENCE };
enum integer_case { CASE_LOWER, CASE_UPPER, CASE_TITLE };

struct grouping_separator {
    size_t position;
    uint32_t character;
};

struct integer_picture {
    enum integer_kind kind;
    enum integer_case letter_case;
    bool ordinal;
    uint32_t zero;
    size_t mandatory;
    struct grouping_separator separators[32];
    size_t separator_count;
    size_t regular; /* every regular digits one separators[0].character; 0 when irregular */
};

static const uint32_t decimal_zeros[] = { 0x30,   0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6,
                                          0x0B66, 0x0BE6, 0x0C66, 0x0CE6, 0x0D66, 0x0DE6, 0x0E50, 0x0ED0,
                                          0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80,
                                          0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900,
                                          0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10 };

/* The zero of the Unicode decimal digit family of cp, or 0 when cp is no decimal digit. */
static uint32_t digit_zero(uint32_t cp)
{
    for (size_t i = 0; i < sizeof(decimal_zeros) / sizeof(decimal_zeros[0]); i++)
        if (cp >= decimal_zeros[i] && cp <= decimal_zeros[i] + 9)
            return decimal_zeros[i];
    return 0;
}

static size_t regular_separators(const struct integer_picture *picture)
{
    size_t positions[32];
    for (size_t i = 0; i < picture->separator_count; i++) {
        if (picture->separators[i].character != picture->separators[0].character)
            return 0;
        positions[i] = picture->separators[i].position;
    }
    return regular_grouping(positions, picture->separator_count);
}

static void analyse_decimal_pattern(struct eval_context *context, struct ustr pattern, struct integer_picture *out)
{
    size_t position = 0;
    for (size_t i = pattern.n; i-- > 0;) {
        uint32_t cp = pattern.cp[i], zero = digit_zero(cp);
        if (zero) {
            if (out->zero && zero != out->zero)
                jerror(context, "D3131", 0,
                       "In a decimal digit pattern, all digits must be from the same decimal group");
            out->zero = zero;
            out->mandatory++;
            position++;
        } else if (cp == '#') {
            position++;
        } else if (out->separator_count < 32) {
            out->separators[out->separator_count++] = (struct grouping_separator){ position, cp };
        }
    }
    out->kind = out->mandatory ? INT_DECIMAL : INT_SEQUENCE;
    out->regular = regular_separators(out);
}

static void analyse_integer_picture(struct eval_context *context, const char *text, struct integer_picture *out)
{
    memset(out, 0, sizeof(*out));
    struct ustr picture = ustr_of(context, text);
    long semicolon = ustr_rfind(picture, ';');
    struct ustr primary = semicolon < 0 ? picture : ustr_sub(picture, 0, (size_t)semicolon);
    if (semicolon >= 0 && (size_t)semicolon + 1 < picture.n && picture.cp[semicolon + 1] == 'o')
        out->ordinal = true;
    static const struct {
        const char *text;
        enum integer_kind kind;
        enum integer_case letter_case;
    } named[] = { { "A", INT_LETTERS, CASE_UPPER }, { "a", INT_LETTERS, CASE_LOWER }, { "I", INT_ROMAN, CASE_UPPER },
                  { "i", INT_ROMAN, CASE_LOWER },   { "W", INT_WORDS, CASE_UPPER },   { "Ww", INT_WORDS, CASE_TITLE },
                  { "w", INT_WORDS, CASE_LOWER } };
    for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
        size_t length = strlen(named[i].text);
        if (primary.n == length && primary.cp[0] == (uint32_t)named[i].text[0]
            && (length == 1 || primary.cp[1] == (uint32_t)named[i].text[1])) {
            out->kind = named[i].kind;
            out->letter_case = named[i].letter_case;
            return;
        }
    }
    analyse_decimal_pattern(context, primary, out);
}

static const char *const small_words[] = { "zero",    "one",     "two",       "three",    "four",
                                           "five",    "six",     "seven",     "eight",    "nine",
                                           "ten",     "eleven",  "twelve",    "thirteen", "fourteen",
                                           "fifteen", "sixteen", "seventeen", "eighteen", "nineteen" };
static const char *const small_ordinals[] = { "zeroth",    "first",     "second",      "third",      "fourth",
                                              "fifth",     "sixth",     "seventh",     "eighth",     "ninth",
                                              "tenth",     "eleventh",  "twelfth",     "thirteenth", "fourteenth",
                                              "fifteenth", "sixteenth", "seventeenth", "eighteenth", "nineteenth" };
static const char *const decade_words[] = {
    "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"
};
static const char *const magnitude_words[] = { "thousand", "million", "billion", "trillion" };

static void number_words(struct sb *sb, double number, bool preceded, bool ordinal)
{
    if (number <= 19) {
        sb_puts(sb, preceded ? " and " : "");
        sb_puts(sb, (ordinal ? small_ordinals : small_words)[(int)number]);
    } else if (number < 100) {
        int tens = (int)(number / 10), units = (int)fmod(number, 10);
        sb_puts(sb, preceded ? " and " : "");
        const char *decade = decade_words[tens - 2];
        if (units == 0 && ordinal) {
            sb_append(sb, decade, strlen(decade) - 1);
            sb_puts(sb, "ieth");
            return;
        }
        sb_puts(sb, decade);
        if (units > 0) {
            sb_putc(sb, '-');
            number_words(sb, units, false, ordinal);
        }
    } else {
        int magnitude = number < 1000 ? 0 : (int)floor(log10(number) / 3);
        if (magnitude > 4)
            magnitude = 4;
        double factor = magnitude ? pow(10, magnitude * 3) : 100;
        double head = floor(number / factor), rest = number - head * factor;
        sb_puts(sb, preceded ? ", " : "");
        number_words(sb, head, false, false);
        sb_putc(sb, ' ');
        sb_puts(sb, magnitude ? magnitude_words[magnitude - 1] : "hundred");
        if (rest > 0)
            number_words(sb, rest, true, ordinal);
        else if (ordinal)
            sb_puts(sb, "th");
    }
}

static void change_words_case(char *text, enum integer_case letter_case)
{
    bool word_start = true;
    for (char *p = text; *p; p++) {
        bool letter = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z');
        bool upper = letter_case == CASE_UPPER || (letter_case == CASE_TITLE && word_start && strncmp(p, "and ", 4));
        if (letter && upper && *p >= 'a')
            *p = (char)(*p - 'a' + 'A');
        word_start = !letter;
    }
}

static const struct {
    int value;
    const char *text;
} roman_numerals[] = { { 1000, "m" }, { 900, "cm" }, { 500, "d" }, { 400, "cd" }, { 100, "c" },
                       { 90, "xc" },  { 50, "l" },   { 40, "xl" }, { 10, "x" },   { 9, "ix" },
                       { 5, "v" },    { 4, "iv" },   { 1, "i" } };

static void roman(struct sb *sb, double number)
{
    for (size_t i = 0; i < sizeof(roman_numerals) / sizeof(roman_numerals[0]); i++)
        for (; number >= roman_numerals[i].value; number -= roman_numerals[i].value, step(sb->context))
            sb_puts(sb, roman_numerals[i].text);
}

static void letters(struct sb *sb, double number, char a)
{
    char buffer[64];
    size_t n = 0;
    while (number > 0 && n < sizeof(buffer)) {
        buffer[n++] = (char)(a + (int)fmod(number - 1, 26));
        number = floor((number - 1) / 26);
    }
    while (n > 0)
        sb_putc(sb, buffer[--n]);
}

static void decimal_integer(struct eval_context *context, struct sb *sb, double number,
                            const struct integer_picture *picture)
{
    char buffer[400];
    int length = snprintf(buffer, sizeof(buffer), "%.0f", number);
    struct ustr digits = { .cp = arena_alloc(&context->arena, ((size_t)length + picture->mandatory + 64) * 4) };
    for (size_t i = (size_t)length; i < picture->mandatory; i++)
        digits.cp[digits.n++] = picture->zero;
    for (int i = 0; i < length; i++)
        digits.cp[digits.n++] = picture->zero + (uint32_t)(buffer[i] - '0');
    if (picture->regular) {
        for (size_t k = (digits.n - 1) / picture->regular; k > 0; k--)
            digits = ustr_insert(context, digits, digits.n - k * picture->regular, picture->separators[0].character);
    } else {
        for (size_t i = picture->separator_count; i-- > 0;)
            if (picture->separators[i].position < digits.n)
                digits = ustr_insert(context, digits, digits.n - picture->separators[i].position,
                                     picture->separators[i].character);
    }
    sb_put_ustr(sb, digits);
    if (picture->ordinal) {
        int last = length ? buffer[length - 1] - '0' : 0, tens = length > 1 ? buffer[length - 2] - '0' : 0;
        sb_puts(sb, tens == 1 || last < 1 || last > 3 ? "th" : last == 1 ? "st" : last == 2 ? "nd" : "rd");
    }
}

FN(f_format_integer)
{
    (void)focus;
    if (!ARG(0))
        return NULL;
    struct integer_picture picture;
    analyse_integer_picture(context, args[1]->u.string, &picture);
    double number = floor(args[0]->u.number);
    struct sb sb = { .context = context };
    if (number < 0)
        sb_putc(&sb, '-');
    size_t start = sb.length;
    number = fabs(number);
    switch (picture.kind) {
    case INT_LETTERS:
        letters(&sb, number, picture.letter_case == CASE_UPPER ? 'A' : 'a');
        break;
    case INT_ROMAN:
        roman(&sb, number);
        break;
    case INT_WORDS:
        number_words(&sb, number, false, picture.ordinal);
        break;
    case INT_DECIMAL:
        decimal_integer(context, &sb, number, &picture);
        break;
    case INT_SEQUENCE:
        jerror(context, "D3130", 0, "Formatting or parsing an integer as a sequence starting with %s is not supported",
               args[1]->u.string);
    }
    struct jv *result = jv_string(context, sb_text(&sb));
    if (picture.kind != INT_DECIMAL && picture.kind != INT_LETTERS)
        change_words_case((char *)result->u.string + start, picture.letter_case);
    return result;
}

static double word_value(const char *word, size_t length)
{
    for (int i = 0; i < 20; i++)
        if ((strlen(small_words[i]) == length && !strncasecmp(word, small_words[i], length))
            || (strlen(small_ordinals[i]) == length && !strncasecmp(word, small_ordinals[i], length)))
            return i;
    for (int i = 0; i < 8; i++) {
        size_t size = strlen(decade_words[i]);
        bool ordinal = length == size + 3 && !strncasecmp(word, decade_words[i], size - 1)
                       && !strncasecmp(word + size - 1, "ieth", 4);
        if ((size == length && !strncasecmp(word, decade_words[i], length)) || ordinal)
            return (i + 2) * 10;
    }
    if (!strncasecmp(word, "hundred", 7) && (length == 7 || (length == 9 && !strncasecmp(word + 7, "th", 2))))
        return 100;
    for (int i = 0; i < 4; i++) {
        size_t size = strlen(magnitude_words[i]);
        if (!strncasecmp(word, magnitude_words[i], size) && (length == size || (length == size + 2)))
            return pow(10, (i + 1) * 3);
    }
    return NAN;
}

static double words_to_number(const char *text)
{
    double segments[64] = { 0 };
    size_t n = 1;
    for (const char *p = text; *p;) {
        size_t length = strcspn(p, " ,-");
        if (length == 0 || (length == 3 && !strncasecmp(p, "and", 3))) {
            p += length ? length : 1;
            continue;
        }
        double value = word_value(p, length);
        p += length;
        if (value < 100) {
            if (segments[n - 1] >= 1000 && n < 64)
                segments[n++] = 0;
            segments[n - 1] += value;
        } else {
            segments[n - 1] *= value;
        }
    }
    double total = 0;
    for (size_t i = 0; i < n; i++)
        total += segments[i];
    return total;
}

static double roman_to_number(const char *text)
{
    double total = 0, max = 1;
    for (size_t i = strlen(text); i-- > 0;) {
        static const char symbols[] = "ivxlcdm";
        static const double values[] = { 1, 5, 10, 50, 100, 500, 1000 };
        char c = (char)(text[i] | 0x20);
        const char *at = strchr(symbols, c);
        double value = at && c ? values[at - symbols] : 0;
        if (value < max) {
            total -= value;
        } else {
            max = value;
            total += value;
        }
    }
    return total;
}

static double letters_to_number(const char *text, char a)
{
    double total = 0;
    for (const char *p = text; *p; p++)
        total = total * 26 + (*p - a + 1);
    return total;
}

static double decimal_to_number(struct eval_context *context, const char *text, const struct integer_picture *picture)
{
    struct ustr digits = ustr_of(context, text);
    double total = 0;
    for (size_t i = 0; i < digits.n; i++)
        if (digits.cp[i] >= picture->zero && digits.cp[i] <= picture->zero + 9)
            total = total * 10 + (digits.cp[i] - picture->zero);
    return total;
}

FN(f_parse_integer)
{
    (void)focus;
    if (!ARG(0))
        return NULL;
    struct integer_picture picture;
    analyse_integer_picture(context, args[1]->u.string, &picture);
    const char *text = args[0]->u.string;
    switch (picture.kind) {
    case INT_LETTERS:
        return jv_number(context, letters_to_number(text, picture.letter_case == CASE_UPPER ? 'A' : 'a'));
    case INT_ROMAN:
        return jv_number(context, roman_to_number(text));
    case INT_WORDS:
        return jv_number(context, words_to_number(text));
    case INT_DECIMAL:
        return jv_number(context, decimal_to_number(context, text, &picture));
    case INT_SEQUENCE:
        break;
    }
    jerror(context, "D3130", 0, "Formatting or parsing an integer as a sequence starting with %s is not supported",
           args[1]->u.string);
}

static const struct native format_natives[] = {
    { .name = "formatInteger", .signature_text = "<n-s:s>", .call = f_format_integer },
    { .name = "parseInteger", .signature_text = "<s-s:n>", .call = f_parse_integer },
    { .name = "formatNumber", .signature_text = "<n-so?:s>", .call = f_format_number },
    { .name = "pad", .signature_text = "<s-ns?:s>", .call = f_pad },
    { .name = "formatBase", .signature_text = "<n-n?:s>", .call = f_format_base },
    { .name = "base64encode", .signature_text = "<s-:s>", .call = f_base64_encode },
    { .name = "base64decode", .signature_text = "<s-:s>", .call = f_base64_decode },
    { .name = "encodeUrl", .signature_text = "<s-:s>", .call = f_encode_url },
    { .name = "encodeUrlComponent", .signature_text = "<s-:s>", .call = f_encode_url_component },
    { .name = "decodeUrl", .signature_text = "<s-:s>", .call = f_decode_url },
    { .name = "decodeUrlComponent", .signature_text = "<s-:s>", .call = f_decode_url_component },
    { .name = "match", .signature_text = "<s-f<s:o>n?:a<o>>", .call = f_match },
    { .name = "replace", .signature_text = "<s-(sf)(sf)n?:s>", .call = f_replace },
};

void format_functions_bind(struct eval_context *context, struct frame *frame)
{
    natives_bind(context, frame, format_natives, sizeof(format_natives) / sizeof(format_natives[0]));
}
