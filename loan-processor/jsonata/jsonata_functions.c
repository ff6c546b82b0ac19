/*
 * jsonata_functions.c - signatures, regular expressions and the standard
 * library ($string, $sum, $map ...).
 */
#include "jsonata_internal.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void signature_parse(struct eval_context *context, const char *text, struct signature *out, long position)
{
    memset(out, 0, sizeof(*out));
    struct sig_param *last = NULL;
    for (const char *p = text + 1; *p && *p != '>' && *p != ':'; p++) {
        if (out->count >= sizeof(out->params) / sizeof(out->params[0]))
            jerror(context, "S0401", position, "Type signature has too many parameters");
        const char *types = NULL;
        switch (*p) {
        case 'b':
        case 'n':
        case 's':
        case 'l':
        case 'o':
            last = &out->params[out->count++];
            snprintf(last->types, sizeof(last->types), "%cm", *p);
            continue;
        case 'a':
            types = "asnblfom";
            break;
        case 'f':
            types = "f";
            break;
        case 'j':
            types = "asnblom";
            break;
        case 'x':
            types = "asnblfom";
            break;
        case '(': {
            const char *end = strchr(p, ')');
            if (!end)
                jerror(context, "S0401", position, "Type signature is missing a closing parenthesis");
            last = &out->params[out->count++];
            size_t length = (size_t)(end - p - 1);
            if (memchr(p, '<', length))
                jerror(context, "S0402", position, "Choice groups containing parameterized types are not supported");
            snprintf(last->types, sizeof(last->types), "%.*sm", (int)length, p + 1);
            p = end;
            continue;
        }
        case '<': {
            const char *end = strchr(p, '>');
            if (!last || !end)
                jerror(context, "S0401", position, "Type parameters can only be applied to functions and arrays");
            if (last->array)
                snprintf(last->subtype, sizeof(last->subtype), "%.1s", p + 1);
            int depth = 1;
            for (p++; *p && depth; p++)
                depth += *p == '<' ? 1 : *p == '>' ? -1 : 0;
            p--;
            continue;
        }
        case '?':
        case '+':
            if (last)
                last->quantifier = *p;
            continue;
        case '-':
            if (last)
                last->context = true;
            continue;
        default:
            jerror(context, "S0401", position, "Type signature contains an unknown symbol: %c", *p);
        }
        last = &out->params[out->count++];
        snprintf(last->types, sizeof(last->types), "%s", types);
        last->array = *p == 'a';
    }
}

static void release_regex(void *regex)
{
    regfree(regex);
}

/*
 * What glibc's regcomp is given at most: it copies a repeated part's tree once per repetition (a{1000}, and
 * each level of (a+)+, a++ ...), so a short hostile pattern can take gigabytes. JavaScript refuses a++ (nothing
 * to repeat) too. Patterns of state machines are short: these bounds only refuse hostile ones.
 */
#define REGEX_MAX_PATTERN 1024
#define REGEX_MAX_QUANTIFIERS 64
#define REGEX_MAX_COUNT 1000

/* Refuses (D1004-like S0302) a pattern over the bounds above, or a quantifier that repeats a quantifier. */
static void check_regex_bounds(struct eval_context *context, const char *pattern, long position)
{
    size_t quantifiers = 0;
    bool after_quantifier = false;
    if (strlen(pattern) > REGEX_MAX_PATTERN)
        jerror(context, "S0302", position, "The regular expression is longer than %d characters", REGEX_MAX_PATTERN);
    for (const char *p = pattern; *p; p++) {
        if (*p == '\\' && p[1]) {
            p++;
            after_quantifier = false;
            continue;
        }
        if (*p == '[') { /* a class: its characters are literal */
            for (p++; *p && *p != ']'; p++)
                p += *p == '\\' && p[1];
            if (!*p)
                break;
            after_quantifier = false;
            continue;
        }
        if (*p == '?' && after_quantifier)
            continue; /* lazy: the repetition it marks may not be repeated either */
        bool quantifier = *p == '*' || *p == '+' || *p == '?' || *p == '{';
        if (quantifier && after_quantifier)
            jerror(context, "S0302", position, "The regular expression repeats a repetition: nothing to repeat");
        if (*p == '{') {
            char *end = NULL;
            long low = strtol(p + 1, &end, 10), high = low;
            if (end && *end == ',')
                high = end[1] == '}' ? low : strtol(end + 1, &end, 10);
            if (low > REGEX_MAX_COUNT || high > REGEX_MAX_COUNT)
                jerror(context, "S0302", position, "The regular expression repeats more than %d times",
                       REGEX_MAX_COUNT);
            const char *close = strchr(p, '}');
            p = close ? close : p;
        }
        if (quantifier && ++quantifiers > REGEX_MAX_QUANTIFIERS)
            jerror(context, "S0302", position, "The regular expression has more than %d repetitions",
                   REGEX_MAX_QUANTIFIERS);
        after_quantifier = quantifier;
    }
}

regex_t *regex_compile(struct eval_context *context, const char *pattern, const char *flags, long position)
{
    struct sb sb = { .context = context };
    bool lazy = false;
    check_regex_bounds(context, pattern, position);
    for (const char *p = pattern; *p; p++) {
        if (p[0] == '\\' && p[1]) {
            p++;
            switch (*p) {
            case 'd':
                sb_puts(&sb, "[0-9]");
                break;
            case 'D':
                sb_puts(&sb, "[^0-9]");
                break;
            case 'w':
                sb_puts(&sb, "[A-Za-z0-9_]");
                break;
            case 'W':
                sb_puts(&sb, "[^A-Za-z0-9_]");
                break;
            case 's':
                sb_puts(&sb, "[[:space:]]");
                break;
            case 'S':
                sb_puts(&sb, "[^[:space:]]");
                break;
            case 'n':
                sb_putc(&sb, '\n');
                break;
            case 't':
                sb_putc(&sb, '\t');
                break;
            default:
                sb_putc(&sb, '\\');
                sb_putc(&sb, *p);
            }
        } else if (p[0] == '(' && p[1] == '?' && p[2] == ':') {
            sb_putc(&sb, '(');
            p += 2;
        } else if ((p[0] == '?' || p[0] == '+' || p[0] == '*' || p[0] == '}') && p[1] == '?') {
            sb_putc(&sb, p[0]);
            p++;
            lazy = true;
        } else {
            sb_putc(&sb, *p);
        }
    }
    struct regex_info *info = arena_alloc(&context->arena, sizeof(*info));
    info->lazy = lazy;
    regex_t *regex = &info->compiled;
    int cflags = REG_EXTENDED | (strchr(flags, 'i') ? REG_ICASE : 0) | (strchr(flags, 'm') ? REG_NEWLINE : 0);
    if (regcomp(regex, sb_text(&sb), cflags) != 0)
        jerror(context, "S0301", position, "Unsupported regular expression: %s", pattern);
    arena_on_free(&context->arena, release_regex, regex);
    return regex;
}

int function_arity(struct eval_context *context, const struct jv *function)
{
    if (function->type == JV_LAMBDA)
        return (int)function->u.lambda.node->list.count;
    if (function->type == JV_NATIVE)
        return (int)native_signature(context, function->u.native)->count;
    if (function->type == JV_PARTIAL) {
        int holes = 0;
        for (size_t i = 0; i < function->u.partial.count; i++)
            holes += function->u.partial.holes[i];
        return holes;
    }
    return 0;
}

struct jv *fn_string(struct eval_context *context, struct jv *value, bool pretty)
{
    if (!value)
        return NULL;
    if (value->type == JV_STRING)
        return value;
    if (jv_is_function(value) || value->type == JV_REGEX)
        return jv_string(context, "");
    if (value->type == JV_NUMBER && !isfinite(value->u.number))
        jerror(context, "D3001", 0, "Attempting to invoke string function on Infinity or NaN");
    struct jv *result = jv_new(context, JV_STRING);
    result->u.string = jv_stringify(context, value, pretty);
    return result;
}

#define ARG(i) ((i) < count ? args[i] : NULL)
#define FN(name) static struct jv *name(struct eval_context *context, struct jv **args, size_t count, struct jv *focus)

FN(f_string)
{
    (void)focus;
    return fn_string(context, ARG(0), jv_truthy(context, ARG(1)));
}

FN(f_length)
{
    (void)focus;
    if (!ARG(0))
        return NULL;
    return jv_number(context, (double)utf8_length(args[0]->u.string));
}

static struct jv *substring(struct eval_context *context, const char *text, double start, double length)
{
    double total = (double)utf8_length(text);
    if (start < 0)
        start = total + start < 0 ? 0 : total + start;
    if (start > total)
        start = total;
    double end = length < 0 ? start : start + length;
    if (end > total)
        end = total;
    size_t from = utf8_offset(text, (size_t)start), to = utf8_offset(text, (size_t)end);
    return jv_stringn(context, text + from, to - from);
}

FN(f_substring)
{
    (void)focus;
    if (!ARG(0) || !ARG(1))
        return NULL;
    double length = ARG(2) ? args[2]->u.number : INFINITY;
    return substring(context, args[0]->u.string, args[1]->u.number, length);
}

static struct jv *before_after(struct eval_context *context, struct jv **args, size_t count, bool before)
{
    if (!ARG(0) || !ARG(1))
        return ARG(0);
    const char *text = args[0]->u.string;
    const char *found = strstr(text, args[1]->u.string);
    if (!found)
        return args[0];
    if (before)
        return jv_stringn(context, text, (size_t)(found - text));
    return jv_string(context, found + strlen(args[1]->u.string));
}

FN(f_substring_before)
{
    (void)focus;
    return before_after(context, args, count, true);
}

FN(f_substring_after)
{
    (void)focus;
    return before_after(context, args, count, false);
}

static struct jv *change_case(struct eval_context *context, struct jv *value, int (*change)(int))
{
    if (!value)
        return NULL;
    struct jv *result = jv_string(context, value->u.string);
    for (char *p = (char *)result->u.string; *p; p++)
        *p = (char)change((unsigned char)*p);
    return result;
}

FN(f_uppercase)
{
    (void)focus;
    return change_case(context, ARG(0), toupper);
}

FN(f_lowercase)
{
    (void)focus;
    return change_case(context, ARG(0), tolower);
}

FN(f_trim)
{
    (void)focus;
    if (!ARG(0))
        return NULL;
    struct sb sb = { .context = context };
    bool space = false;
    for (const char *p = args[0]->u.string; *p; p++) {
        if (isspace((unsigned char)*p)) {
            space = true;
            continue;
        }
        if (space && sb.length)
            sb_putc(&sb, ' ');
        space = false;
        sb_putc(&sb, *p);
    }
    return jv_string(context, sb_text(&sb));
}

/* A matcher argument must be a string or a regex: other functions are not matchers here. */
static void check_matcher(struct eval_context *context, const struct jv *matcher, const char *name)
{
    if (matcher->type != JV_STRING && matcher->type != JV_REGEX)
        jerror(context, "T1010", 0,
               "The matcher function argument passed to function %s does not return the correct object structure",
               name);
}

FN(f_contains)
{
    (void)focus;
    if (!ARG(0) || !ARG(1))
        return NULL;
    check_matcher(context, args[1], "contains");
    if (args[1]->type == JV_REGEX)
        return jv_bool(context, regexec(args[1]->u.regex, args[0]->u.string, 0, NULL, 0) == 0);
    if (args[1]->type != JV_STRING)
        return format_matcher_contains(context, args[0], args[1]);
    return jv_bool(context, strstr(args[0]->u.string, args[1]->u.string) != NULL);
}

FN(f_split)
{
    (void)focus;
    if (!ARG(0) || !ARG(1))
        return NULL;
    if (ARG(2) && args[2]->u.number < 0)
        jerror(context, "D3020", 0, "Third argument of split function must evaluate to a positive number");
    check_matcher(context, args[1], "split");
    double limit = ARG(2) ? floor(args[2]->u.number) : INFINITY;
    struct jv *result = jv_array(context, 0);
    const char *text = args[0]->u.string;
    if (args[1]->type == JV_STRING) {
        const char *separator = args[1]->u.string;
        size_t length = strlen(separator);
        if (length == 0) {
            for (const char *p = text; *p && (double)result->u.array.count < limit;) {
                size_t next = utf8_offset(p, 1);
                jv_push(context, result, jv_stringn(context, p, next));
                p += next;
            }
            return result;
        }
        for (;;) {
            if ((double)result->u.array.count >= limit)
                break;
            const char *found = strstr(text, separator);
            if (!found) {
                jv_push(context, result, jv_string(context, text));
                break;
            }
            jv_push(context, result, jv_stringn(context, text, (size_t)(found - text)));
            text = found + length;
        }
        return result;
    }
    if (args[1]->type != JV_REGEX)
        return format_matcher_split(context, args[0], args[1], limit);
    regmatch_t match;
    while ((double)result->u.array.count < limit) {
        if (regexec(args[1]->u.regex, text, 1, &match, 0) != 0 || match.rm_eo == 0) {
            jv_push(context, result, jv_string(context, text));
            break;
        }
        jv_push(context, result, jv_stringn(context, text, (size_t)match.rm_so));
        text += match.rm_eo;
    }
    return result;
}

FN(f_join)
{
    (void)focus;
    if (!ARG(0))
        return NULL;
    struct sb sb = { .context = context };
    for (size_t i = 0; i < args[0]->u.array.count; i++) {
        if (i && ARG(1))
            sb_puts(&sb, args[1]->u.string);
        sb_puts(&sb, args[0]->u.array.items[i]->u.string);
    }
    return jv_string(context, sb_text(&sb));
}

FN(f_number)
{
    (void)focus;
    struct jv *value = ARG(0);
    if (!value)
        return NULL;
    if (value->type == JV_NUMBER)
        return value;
    if (value->type == JV_BOOL)
        return jv_number(context, value->u.boolean);
    if (value->type == JV_STRING) {
        const char *text = value->u.string;
        char *end;
        double number;
        if (!strncmp(text, "0x", 2) || !strncmp(text, "0b", 2) || !strncmp(text, "0o", 2)) {
            number = (double)strtoll(text + 2, &end, text[1] == 'x' ? 16 : text[1] == 'b' ? 2 : 8);
        } else {
            number = strtod(text, &end);
            if (strchr(text, 'x') || strchr(text, 'X') || strstr(text, "nf") || strstr(text, "an"))
                end = (char *)text;
        }
        if (*text && !*end && end != text && isfinite(number))
            return jv_number(context, number);
    }
    jerror(context, "D3030", 0, "Unable to cast value to a number: %s", jv_stringify(context, value, false));
}

static struct jv *math1(struct eval_context *context, struct jv *value, double (*f)(double))
{
    return value ? jv_number(context, f(value->u.number)) : NULL;
}

FN(f_abs)
{
    (void)focus;
    return math1(context, ARG(0), fabs);
}

FN(f_floor)
{
    (void)focus;
    return math1(context, ARG(0), floor);
}

FN(f_ceil)
{
    (void)focus;
    return math1(context, ARG(0), ceil);
}

FN(f_round)
{
    (void)focus;
    if (!ARG(0))
        return NULL;
    double precision = ARG(1) ? args[1]->u.number : 0;
    double scale = pow(10, precision), value = args[0]->u.number * scale;
    double rounded = round(value);
    if (fabs(value - trunc(value)) == 0.5 && fmod(rounded, 2) != 0)
        rounded -= value < 0 ? -1 : 1;
    return jv_number(context, rounded / scale);
}

FN(f_power)
{
    (void)focus;
    if (!ARG(0) || !ARG(1))
        return NULL;
    double result = pow(args[0]->u.number, args[1]->u.number);
    if (!isfinite(result))
        jerror(context, "D3061", 0, "The power function has resulted in a value that cannot be represented");
    return jv_number(context, result);
}

FN(f_sqrt)
{
    (void)focus;
    if (!ARG(0))
        return NULL;
    if (args[0]->u.number < 0)
        jerror(context, "D3060", 0, "The sqrt function cannot be applied to a negative number");
    return jv_number(context, sqrt(args[0]->u.number));
}

static struct jv *aggregate(struct eval_context *context, struct jv *array, int kind)
{
    if (!array)
        return NULL;
    if (array->u.array.count == 0)
        return kind == 0 ? jv_number(context, 0) : NULL;
    double total = kind == 1 ? -INFINITY : kind == 2 ? INFINITY : 0;
    for (size_t i = 0; i < array->u.array.count; i++) {
        double x = array->u.array.items[i]->u.number;
        total = kind == 1 ? fmax(total, x) : kind == 2 ? fmin(total, x) : total + x;
    }
    if (kind == 3)
        total /= (double)array->u.array.count;
    return jv_number(context, total);
}

FN(f_sum)
{
    (void)focus;
    return aggregate(context, ARG(0), 0);
}

FN(f_max)
{
    (void)focus;
    return aggregate(context, ARG(0), 1);
}

FN(f_min)
{
    (void)focus;
    return aggregate(context, ARG(0), 2);
}

FN(f_average)
{
    (void)focus;
    return aggregate(context, ARG(0), 3);
}

FN(f_boolean)
{
    (void)focus;
    return ARG(0) ? jv_bool(context, jv_truthy(context, args[0])) : NULL;
}

FN(f_not)
{
    (void)focus;
    return ARG(0) ? jv_bool(context, !jv_truthy(context, args[0])) : NULL;
}

FN(f_exists)
{
    (void)focus;
    return jv_bool(context, ARG(0) != NULL);
}

FN(f_count)
{
    (void)focus;
    return jv_number(context, ARG(0) ? (double)args[0]->u.array.count : 0);
}

FN(f_append)
{
    (void)focus;
    return jv_append(context, ARG(0), ARG(1));
}

FN(f_reverse)
{
    (void)focus;
    if (!ARG(0))
        return NULL;
    struct jv *result = jv_array(context, 0);
    for (size_t i = args[0]->u.array.count; i-- > 0;)
        jv_push(context, result, args[0]->u.array.items[i]);
    return result;
}

FN(f_distinct)
{
    (void)focus;
    struct jv *array = ARG(0);
    if (!array || !jv_is_array(array))
        return array;
    struct jv *result = jv_array(context, array->u.array.flags & JA_SEQUENCE);
    for (size_t i = 0; i < array->u.array.count; i++) {
        bool seen = false;
        for (size_t j = 0; j < result->u.array.count && !seen; j++)
            seen = jv_equal(array->u.array.items[i], result->u.array.items[j]);
        if (!seen)
            jv_push(context, result, array->u.array.items[i]);
    }
    return result;
}

static bool default_after(struct eval_context *context, struct jv *a, struct jv *b, void *data)
{
    (void)data;
    if (a->type == JV_NUMBER && b->type == JV_NUMBER)
        return a->u.number > b->u.number;
    if (a->type == JV_STRING && b->type == JV_STRING)
        return strcmp(a->u.string, b->u.string) > 0;
    jerror(context, "D3070", 0,
           "The single argument form of the sort function can only be applied to an array of strings or an array of "
           "numbers. Use the second argument to specify a comparison function");
}

static bool function_after(struct eval_context *context, struct jv *a, struct jv *b, void *data)
{
    struct jv *pair[2] = { a, b };
    return jv_truthy(context, apply_function(context, data, pair, 2, NULL, 0));
}

FN(f_sort)
{
    (void)focus;
    if (!ARG(0))
        return NULL;
    struct jv *result = jv_array(context, 0);
    for (size_t i = 0; i < args[0]->u.array.count; i++)
        jv_push(context, result, args[0]->u.array.items[i]);
    jv_sort(context, result->u.array.items, result->u.array.count, ARG(1) ? function_after : default_after, ARG(1));
    return result;
}

FN(f_keys)
{
    (void)focus;
    struct jv *value = ARG(0), *result = jv_sequence(context);
    struct jv *items = jv_is_array(value) ? value : NULL;
    size_t n = items ? items->u.array.count : 1;
    for (size_t i = 0; i < n; i++) {
        struct jv *object = items ? items->u.array.items[i] : value;
        if (!object || object->type != JV_OBJECT)
            continue;
        for (size_t k = 0; k < object->u.object.count; k++) {
            bool seen = false;
            for (size_t j = 0; j < result->u.array.count && !seen; j++)
                seen = !strcmp(result->u.array.items[j]->u.string, object->u.object.keys[k]);
            if (!seen)
                jv_push(context, result, jv_string(context, object->u.object.keys[k]));
        }
    }
    return result;
}

FN(f_lookup)
{
    (void)focus;
    struct jv *value = ARG(0);
    if (jv_is_array(value)) {
        struct jv *result = jv_sequence(context);
        for (size_t i = 0; i < value->u.array.count; i++) {
            struct jv *found = ARG(1) ? jv_get(value->u.array.items[i], args[1]->u.string) : NULL;
            if (jv_is_array(found))
                jv_flatten(context, found, result);
            else if (found)
                jv_push(context, result, found);
        }
        return result;
    }
    return ARG(1) ? jv_get(value, args[1]->u.string) : NULL;
}

FN(f_merge)
{
    (void)focus;
    if (!ARG(0))
        return NULL;
    struct jv *result = jv_object(context);
    for (size_t i = 0; i < args[0]->u.array.count; i++) {
        struct jv *object = args[0]->u.array.items[i];
        for (size_t k = 0; k < object->u.object.count; k++)
            jv_set(context, result, object->u.object.keys[k], object->u.object.values[k]);
    }
    return result;
}

FN(f_spread)
{
    (void)focus;
    struct jv *value = ARG(0);
    if (!value)
        return NULL;
    if (jv_is_array(value)) {
        struct jv *result = jv_sequence(context);
        for (size_t i = 0; i < value->u.array.count; i++) {
            struct jv *one = f_spread(context, &value->u.array.items[i], 1, focus);
            result = jv_append(context, result, one);
        }
        return result;
    }
    if (value->type != JV_OBJECT)
        return value;
    struct jv *result = jv_sequence(context);
    for (size_t k = 0; k < value->u.object.count; k++) {
        struct jv *single = jv_object(context);
        jv_set(context, single, value->u.object.keys[k], value->u.object.values[k]);
        jv_push(context, result, single);
    }
    return result;
}

static struct jv *call_with(struct eval_context *context, struct jv *function, struct jv *a, struct jv *b, struct jv *c)
{
    struct jv *args[3] = { a, b, c };
    int arity = function_arity(context, function);
    size_t n = arity < 1 ? 1 : arity > 3 ? 3 : (size_t)arity;
    return apply_function(context, function, args, n, NULL, 0);
}

FN(f_each)
{
    (void)focus;
    if (!ARG(0) || !ARG(1))
        return NULL;
    struct jv *result = jv_sequence(context);
    for (size_t k = 0; k < args[0]->u.object.count; k++) {
        struct jv *value = call_with(context, args[1], args[0]->u.object.values[k],
                                     jv_string(context, args[0]->u.object.keys[k]), args[0]);
        if (value)
            jv_push(context, result, value);
    }
    return result;
}

FN(f_sift)
{
    (void)focus;
    if (!ARG(0) || !ARG(1))
        return NULL;
    struct jv *result = jv_object(context);
    for (size_t k = 0; k < args[0]->u.object.count; k++) {
        struct jv *key = jv_string(context, args[0]->u.object.keys[k]);
        if (jv_truthy(context, call_with(context, args[1], args[0]->u.object.values[k], key, args[0])))
            jv_set(context, result, args[0]->u.object.keys[k], args[0]->u.object.values[k]);
    }
    return result->u.object.count ? result : NULL;
}

FN(f_map)
{
    (void)focus;
    if (!ARG(0) || !ARG(1))
        return NULL;
    struct jv *result = jv_sequence(context);
    for (size_t i = 0; i < args[0]->u.array.count; i++) {
        struct jv *value =
            call_with(context, args[1], args[0]->u.array.items[i], jv_number(context, (double)i), args[0]);
        if (value)
            jv_push(context, result, value);
    }
    return result;
}

FN(f_filter)
{
    (void)focus;
    if (!ARG(0) || !ARG(1))
        return NULL;
    struct jv *result = jv_sequence(context);
    for (size_t i = 0; i < args[0]->u.array.count; i++)
        if (jv_truthy(context,
                      call_with(context, args[1], args[0]->u.array.items[i], jv_number(context, (double)i), args[0])))
            jv_push(context, result, args[0]->u.array.items[i]);
    return result;
}

FN(f_single)
{
    (void)focus;
    if (!ARG(0))
        return NULL;
    struct jv *found = NULL;
    bool any = false;
    for (size_t i = 0; i < args[0]->u.array.count; i++) {
        struct jv *item = args[0]->u.array.items[i];
        if (ARG(1) && !jv_truthy(context, call_with(context, args[1], item, jv_number(context, (double)i), args[0])))
            continue;
        if (any)
            jerror(context, "D3138", 0,
                   "The $single() function expected exactly 1 matching result.  Instead it matched more.");
        any = true;
        found = item;
    }
    if (!any)
        jerror(context, "D3139", 0,
               "The $single() function expected exactly 1 matching result.  Instead it matched 0.");
    return found;
}

FN(f_reduce)
{
    (void)focus;
    if (!ARG(0) || !ARG(1))
        return NULL;
    if (function_arity(context, args[1]) < 2)
        jerror(context, "D3050", 0,
               "The second argument of reduce function must be a function with at least two arguments");
    size_t start = 0;
    struct jv *accumulator = ARG(2);
    if (!accumulator && args[0]->u.array.count) {
        accumulator = args[0]->u.array.items[0];
        start = 1;
    }
    for (size_t i = start; i < args[0]->u.array.count; i++) {
        struct jv *call_args[4] = { accumulator, args[0]->u.array.items[i], jv_number(context, (double)i), args[0] };
        int arity = function_arity(context, args[1]);
        accumulator = apply_function(context, args[1], call_args, arity > 4 ? 4 : (size_t)arity, NULL, 0);
    }
    return accumulator;
}

FN(f_zip)
{
    (void)focus;
    struct jv *result = jv_array(context, 0);
    size_t shortest = (size_t)-1;
    for (size_t i = 0; i < count; i++)
        shortest = !args[i] ? 0 : args[i]->u.array.count < shortest ? args[i]->u.array.count : shortest;
    for (size_t i = 0; count && i < shortest; i++) {
        struct jv *tuple = jv_array(context, 0);
        for (size_t j = 0; j < count; j++)
            jv_push(context, tuple, args[j]->u.array.items[i]);
        jv_push(context, result, tuple);
    }
    return result;
}

FN(f_error)
{
    (void)focus;
    jerror(context, "D3137", 0, "%s", ARG(0) ? args[0]->u.string : "$error() function evaluated");
}

FN(f_assert)
{
    (void)focus;
    if (!ARG(0) || args[0]->type != JV_BOOL)
        jerror(context, "T0410", 0, "Argument 1 of function \"assert\" does not match function signature");
    if (!args[0]->u.boolean)
        jerror(context, "D3141", 0, "%s", ARG(1) ? args[1]->u.string : "$assert() statement failed");
    return NULL;
}

FN(f_type)
{
    (void)focus;
    static const char *const names[] = { "null",   "boolean",  "number",   "string",   "array",
                                         "object", "function", "function", "function", "function" };
    return ARG(0) ? jv_string(context, names[args[0]->type]) : NULL;
}

double functions_next_random(struct eval_context *context)
{
    if (context->random)
        return context->random(context->random_context);
    context->seed ^= context->seed << 13;
    context->seed ^= context->seed >> 7;
    context->seed ^= context->seed << 17;
    return (double)(context->seed >> 11) / 9007199254740992.0;
}

FN(f_random)
{
    (void)focus;
    (void)args;
    (void)count;
    return jv_number(context, functions_next_random(context));
}

FN(f_shuffle)
{
    (void)focus;
    if (!ARG(0))
        return NULL;
    struct jv *result = jv_array(context, 0);
    for (size_t i = 0; i < args[0]->u.array.count; i++)
        jv_push(context, result, args[0]->u.array.items[i]);
    for (size_t i = result->u.array.count; i > 1; i--) {
        size_t j = (size_t)(functions_next_random(context) * (double)i);
        struct jv *swap = result->u.array.items[i - 1];
        result->u.array.items[i - 1] = result->u.array.items[j];
        result->u.array.items[j] = swap;
    }
    return result;
}

FN(f_millis)
{
    (void)focus;
    (void)args;
    (void)count;
    return jv_number(context, context->now);
}

static const struct native natives_template[] = {
    { .name = "string", .signature_text = "<x-b?:s>", .call = f_string },
    { .name = "length", .signature_text = "<s-:n>", .call = f_length },
    { .name = "substring", .signature_text = "<s-nn?:s>", .call = f_substring },
    { .name = "substringBefore", .signature_text = "<s-s:s>", .call = f_substring_before },
    { .name = "substringAfter", .signature_text = "<s-s:s>", .call = f_substring_after },
    { .name = "uppercase", .signature_text = "<s-:s>", .call = f_uppercase },
    { .name = "lowercase", .signature_text = "<s-:s>", .call = f_lowercase },
    { .name = "trim", .signature_text = "<s-:s>", .call = f_trim },
    { .name = "contains", .signature_text = "<s-(sf):b>", .call = f_contains },
    { .name = "split", .signature_text = "<s-(sf)n?:a<s>>", .call = f_split },
    { .name = "join", .signature_text = "<a<s>s?:s>", .call = f_join },
    { .name = "number", .signature_text = "<(nsb)-:n>", .call = f_number },
    { .name = "abs", .signature_text = "<n-:n>", .call = f_abs },
    { .name = "floor", .signature_text = "<n-:n>", .call = f_floor },
    { .name = "ceil", .signature_text = "<n-:n>", .call = f_ceil },
    { .name = "round", .signature_text = "<n-n?:n>", .call = f_round },
    { .name = "power", .signature_text = "<n-n:n>", .call = f_power },
    { .name = "sqrt", .signature_text = "<n-:n>", .call = f_sqrt },
    { .name = "sum", .signature_text = "<a<n>:n>", .call = f_sum },
    { .name = "max", .signature_text = "<a<n>:n>", .call = f_max },
    { .name = "min", .signature_text = "<a<n>:n>", .call = f_min },
    { .name = "average", .signature_text = "<a<n>:n>", .call = f_average },
    { .name = "boolean", .signature_text = "<x-:b>", .call = f_boolean },
    { .name = "not", .signature_text = "<x-:b>", .call = f_not },
    { .name = "exists", .signature_text = "<x:b>", .call = f_exists },
    { .name = "count", .signature_text = "<a:n>", .call = f_count },
    { .name = "append", .signature_text = "<xx:a>", .call = f_append },
    { .name = "reverse", .signature_text = "<a:a>", .call = f_reverse },
    { .name = "distinct", .signature_text = "<x:x>", .call = f_distinct },
    { .name = "sort", .signature_text = "<af?:a>", .call = f_sort },
    { .name = "keys", .signature_text = "<x-:a<s>>", .call = f_keys },
    { .name = "lookup", .signature_text = "<x-s:x>", .call = f_lookup },
    { .name = "merge", .signature_text = "<a<o>:o>", .call = f_merge },
    { .name = "spread", .signature_text = "<x-:a<o>>", .call = f_spread },
    { .name = "each", .signature_text = "<o-f:a>", .call = f_each },
    { .name = "sift", .signature_text = "<o-f?:o>", .call = f_sift },
    { .name = "map", .signature_text = "<af>", .call = f_map },
    { .name = "filter", .signature_text = "<af>", .call = f_filter },
    { .name = "single", .signature_text = "<af?>", .call = f_single },
    { .name = "reduce", .signature_text = "<afj?:j>", .call = f_reduce },
    { .name = "zip", .signature_text = "<a+>", .call = f_zip },
    { .name = "error", .signature_text = "<s?:x>", .call = f_error },
    { .name = "assert", .signature_text = "<bs?:x>", .call = f_assert },
    { .name = "type", .signature_text = "<x:s>", .call = f_type },
    { .name = "eval", .signature_text = "<sx?:x>", .call = eval_text },
    { .name = "random", .signature_text = "<:n>", .call = f_random },
    { .name = "shuffle", .signature_text = "<a:a>", .call = f_shuffle },
    { .name = "millis", .signature_text = "<:n>", .call = f_millis },
    { .name = "now", .signature_text = "<s?s?:s>", .call = fn_now },
    { .name = "fromMillis", .signature_text = "<n-s?s?:s>", .call = fn_from_millis },
    { .name = "toMillis", .signature_text = "<s-s?:n>", .call = fn_to_millis },
};

const struct signature *native_signature(struct eval_context *context, const struct native *native)
{
    struct native *bound = (struct native *)native; /* every bound native is the evaluation's own copy */
    if (!bound->signature_parsed) {
        signature_parse(context, bound->signature_text, &bound->signature, 0);
        bound->signature_parsed = true;
    }
    return &bound->signature;
}

void natives_bind(struct eval_context *context, struct frame *frame, const struct native *table, size_t n)
{
    struct native *natives = arena_alloc(&context->arena, n * sizeof(*natives));
    for (size_t i = 0; i < n; i++) {
        natives[i] = table[i];
        struct jv *value = jv_new(context, JV_NATIVE);
        value->u.native = &natives[i];
        frame_prepend(context, frame, natives[i].name, value); /* a later table's entry shadows an earlier one */
    }
}

void functions_bind(struct eval_context *context, struct frame *frame)
{
    natives_bind(context, frame, natives_template, sizeof(natives_template) / sizeof(natives_template[0]));
    format_functions_bind(context, frame);
    sfn_functions_bind(context, frame);
}
