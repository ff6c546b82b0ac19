/* history_codec - see history_codec.h. */
#include "history_codec.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIRST_SHORT_CODE 0x03
#define ESCAPE 0x1f
#define FIRST_LONG_INDEX 0x20
#define PLACEHOLDER 0x01
#define MAX_PREVIOUS_DIGITS 20

struct fragment {
    const char *text;
    size_t length;
};

#define FRAGMENT(text)         \
    {                          \
        text, sizeof(text) - 1 \
    }

/* One byte each, from FIRST_SHORT_CODE on: the fragments that pay most on the blog's and the e2e suites' histories. */
static const struct fragment short_fragments[] = {
    FRAGMENT("{\"timestamp\":"),
    FRAGMENT(",\"type\":\""),
    FRAGMENT(",\"inputDetails\":{\"truncated\":false}}}"),
    FRAGMENT(",\"inputDetails\":{\"truncated\":false}"),
    FRAGMENT(",\"outputDetails\":{\"truncated\":false}}}"),
    FRAGMENT(",\"outputDetails\":{\"truncated\":false}"),
    FRAGMENT("\"resourceType\":\"lambda\",\"resource\":\"invoke.waitForTaskToken"),
    FRAGMENT("\"resourceType\":\"lambda\",\"resource\":\""),
    FRAGMENT("\"resourceType\":\""),
    FRAGMENT("\",\"resource\":\""),
    FRAGMENT("\",\"input\":\""),
    FRAGMENT("\"input\":\""),
    FRAGMENT("\",\"output\":\""),
    FRAGMENT("\"output\":\""),
    FRAGMENT("\"name\":\""),
    FRAGMENT("\\\""),
    FRAGMENT("\\\",\\\""),
    FRAGMENT("\\\":\\\""),
    FRAGMENT("\\\":{\\\""),
    FRAGMENT("\\\"}"),
    FRAGMENT("\\\"},\\\""),
    FRAGMENT("\"}}"),
    FRAGMENT("\"roleArn\":\"arn:aws:iam::123456789012:role/"),
    FRAGMENT("\",\"region\":\"us-east-1\",\"parameters\":\"{\\\"FunctionName\\\":\\\""),
    FRAGMENT("\",\"parameters\":\"{\\\""),
    FRAGMENT("\\\"FunctionName\\\":\\\""),
    FRAGMENT("\\\"Payload\\\":{\\\""),
    FRAGMENT("\\\"StatusCode\\\":200}"),
};

/* An event type with its details key (TYPED), or one written without details (BARE). */
#define TYPED(type, details) FRAGMENT(",\"type\":\"" type "\",\"" details "EventDetails\":{")
#define BARE(type) FRAGMENT(",\"type\":\"" type "\"}")
#define ATTEMPT(what) TYPED("Task" what, "task" what), TYPED("Activity" what, "activity" what)
#define STATE(type) TYPED(type "StateEntered", "stateEntered"), TYPED(type "StateExited", "stateExited")
#define FORK(type) \
    BARE(type "StateStarted"), BARE(type "StateSucceeded"), BARE(type "StateFailed"), BARE(type "StateAborted")

/*
 * Two bytes each (ESCAPE, FIRST_LONG_INDEX + index): every event type history.c writes (each starts with
 * TYPE_PREFIX), then rarer fragments (extra_fragments, indexes from TYPE_COUNT on).
 */
#define TYPE_PREFIX ",\"type\":\""
static const struct fragment type_fragments[] = {
    ATTEMPT("Scheduled"),
    ATTEMPT("Started"),
    ATTEMPT("Submitted"),
    ATTEMPT("Succeeded"),
    ATTEMPT("Failed"),
    ATTEMPT("TimedOut"),
    ATTEMPT("StartFailed"),
    ATTEMPT("SubmitFailed"),
    ATTEMPT("ScheduleFailed"),
    STATE("Task"),
    STATE("Pass"),
    STATE("Choice"),
    STATE("Wait"),
    STATE("Succeed"),
    STATE("Fail"),
    STATE("Parallel"),
    STATE("Map"),
    FORK("Parallel"),
    FORK("Map"),
    TYPED("MapStateStarted", "mapStateStarted"),
    TYPED("MapIterationStarted", "mapIterationStarted"),
    TYPED("MapIterationSucceeded", "mapIterationSucceeded"),
    TYPED("MapIterationFailed", "mapIterationFailed"),
    TYPED("MapIterationAborted", "mapIterationAborted"),
    TYPED("ExecutionStarted", "executionStarted"),
    TYPED("ExecutionSucceeded", "executionSucceeded"),
    TYPED("ExecutionFailed", "executionFailed"),
    TYPED("ExecutionAborted", "executionAborted"),
    TYPED("ExecutionTimedOut", "executionTimedOut"),
    TYPED("ExecutionRedriven", "executionRedriven"),
    TYPED("MapRunStarted", "mapRunStarted"),
    TYPED("MapRunFailed", "mapRunFailed"),
    TYPED("MapRunAborted", "mapRunAborted"),
    TYPED("MapRunRedriven", "mapRunRedriven"),
    BARE("MapRunSucceeded"),
    TYPED("EvaluationFailed", "evaluationFailed"),
};

static const struct fragment extra_fragments[] = {
    FRAGMENT("\"error\":\""), FRAGMENT("\",\"cause\":\""),   FRAGMENT("\"index\":"),
    FRAGMENT("\\\\\\\""),     FRAGMENT("\"redriveCount\":"), FRAGMENT("\"mapRunArn\":\"arn:aws:states:"),
};

#define SHORT_COUNT (sizeof(short_fragments) / sizeof(short_fragments[0]))
#define TYPE_COUNT (sizeof(type_fragments) / sizeof(type_fragments[0]))
#define EXTRA_COUNT (sizeof(extra_fragments) / sizeof(extra_fragments[0]))
#define LONG_COUNT (TYPE_COUNT + EXTRA_COUNT)

_Static_assert(FIRST_SHORT_CODE + SHORT_COUNT <= ESCAPE, "one-byte codes end below the escape");
_Static_assert(FIRST_LONG_INDEX + LONG_COUNT <= 0x7f, "two-byte indexes stay printable");

/* Whether a fragment may start with byte c (every fragment starts with one of these). */
static bool may_start_fragment(char c)
{
    return c == '"' || c == ',' || c == '\\' || c == '{';
}

/* The longest fragment of table (count entries) at text, or -1; its index. */
static int longest_match(const struct fragment *table, size_t count, const char *text, size_t *best_length)
{
    int best = -1;
    for (size_t i = 0; i < count; i++) {
        if (table[i].text[0] == text[0] && table[i].text[1] == text[1] && table[i].length > *best_length
            && strncmp(text, table[i].text, table[i].length) == 0) {
            best = (int)i;
            *best_length = table[i].length;
        }
    }
    return best;
}

/* The longest two-byte fragment at text (short_index: the one-byte fragment found there), or -1; its index. */
static int longest_long_match(const char *text, int short_index, size_t *best_length)
{
    if (!may_start_fragment(*text))
        return -1;
    int extra = longest_match(extra_fragments, EXTRA_COUNT, text, best_length);
    if (short_index < 0 || strcmp(short_fragments[short_index].text, TYPE_PREFIX) != 0)
        return extra < 0 ? -1 : (int)TYPE_COUNT + extra;
    int type = longest_match(type_fragments, TYPE_COUNT, text, best_length);
    return type >= 0 ? type : extra < 0 ? -1 : (int)TYPE_COUNT + extra;
}

int history_codec_encode(const char *body, char **out)
{
    size_t length = strlen(body);
    char *encoded = malloc(2 * length + 1);
    *out = NULL;
    if (!encoded)
        return -ENOMEM;
    size_t written = 0;
    for (const char *at = body; *at;) {
        unsigned char c = (unsigned char)*at;
        size_t short_length = 0, long_length = 0;
        int short_index = may_start_fragment(*at) ? longest_match(short_fragments, SHORT_COUNT, at, &short_length) : -1;
        int long_index = longest_long_match(at, short_index, &long_length);
        if (long_index >= 0 && long_length > short_length + 1) {
            encoded[written++] = ESCAPE;
            encoded[written++] = (char)(FIRST_LONG_INDEX + long_index);
            at += long_length;
        } else if (short_index >= 0) {
            encoded[written++] = (char)(FIRST_SHORT_CODE + short_index);
            at += short_length;
        } else {
            if (c < 0x20 && c != PLACEHOLDER)
                encoded[written++] = ESCAPE;
            encoded[written++] = *at++;
        }
    }
    encoded[written] = '\0';
    *out = encoded;
    return 0;
}

/* Appends length bytes of text at out + *written (out NULL: only counts). */
static void put(char *out, size_t *written, const char *text, size_t length)
{
    if (out)
        memcpy(out + *written, text, length);
    *written += length;
}

/* The fragment a code (at code, end excluded) stands for, and how many bytes the code takes; NULL when none. */
static const struct fragment *fragment_of(const unsigned char *code, const unsigned char *end, size_t *code_length,
                                          struct fragment *literal)
{
    *code_length = 1;
    if (*code >= FIRST_SHORT_CODE && *code < FIRST_SHORT_CODE + SHORT_COUNT)
        return &short_fragments[*code - FIRST_SHORT_CODE];
    if (*code != ESCAPE || code + 1 >= end)
        return NULL;
    *code_length = 2;
    if (code[1] >= FIRST_LONG_INDEX && code[1] < FIRST_LONG_INDEX + TYPE_COUNT)
        return &type_fragments[code[1] - FIRST_LONG_INDEX];
    if (code[1] >= FIRST_LONG_INDEX + TYPE_COUNT && code[1] < FIRST_LONG_INDEX + LONG_COUNT)
        return &extra_fragments[code[1] - FIRST_LONG_INDEX - TYPE_COUNT];
    if (code[1] > PLACEHOLDER && code[1] < 0x20) {
        *literal = (struct fragment){ (const char *)code + 1, 1 };
        return literal;
    }
    return NULL;
}

/*
 * Decodes a compact body (its first expansion must start with '{') after the ids' text, into out (NULL: only
 * counts). Returns the length written, or -EPROTO.
 */
static ssize_t decode_body(const unsigned char *at, const unsigned char *end, const char *ids, size_t ids_length,
                           char *out)
{
    size_t written = 0;
    bool opened = false;
    while (at < end) {
        struct fragment literal, plain = { (const char *)at, 1 };
        size_t code_length = 1;
        const struct fragment *fragment = &plain;
        if (*at < 0x20 && *at != PLACEHOLDER) {
            fragment = fragment_of(at, end, &code_length, &literal);
            if (!fragment)
                return -EPROTO;
        }
        size_t skip = 0;
        if (!opened) {
            if (fragment->text[0] != '{')
                return -EPROTO;
            put(out, &written, ids, ids_length);
            opened = true;
            skip = 1;
        }
        put(out, &written, fragment->text + skip, fragment->length - skip);
        at += code_length;
    }
    return opened ? (ssize_t)written : -EPROTO;
}

/* Decodes entry into out (NULL: only counts). */
static ssize_t decode(const char *entry, size_t length, long index, char *out)
{
    if (length && entry[0] == '{') {
        if (memchr(entry, '\0', length))
            return -EPROTO;
        put(out, &(size_t){ 0 }, entry, length);
        return (ssize_t)length;
    }
    const char *separator = memchr(entry, HISTORY_CODEC_SEPARATOR, length);
    size_t digits = separator ? (size_t)(separator - entry) : 0;
    if (!separator || digits > MAX_PREVIOUS_DIGITS || strspn(entry, "0123456789") < digits)
        return -EPROTO;
    char ids[96];
    int ids_length = snprintf(ids, sizeof(ids), "{\"id\":%ld,\"previousEventId\":", index + 1);
    if (digits)
        memcpy(ids + ids_length, entry, digits);
    else
        digits = (size_t)snprintf(ids + ids_length, sizeof(ids) - (size_t)ids_length, "%ld", index);
    ids_length += (int)digits;
    ids[ids_length++] = ',';
    const unsigned char *body = (const unsigned char *)separator + 1;
    return decode_body(body, (const unsigned char *)entry + length, ids, (size_t)ids_length, out);
}

ssize_t history_codec_decoded_length(const char *entry, size_t length, long index)
{
    return decode(entry, length, index, NULL);
}

ssize_t history_codec_decode(const char *entry, size_t length, long index, char *out)
{
    ssize_t written = decode(entry, length, index, out);
    if (written >= 0)
        out[written] = '\0';
    return written;
}
