/*
 * test_history_codec.c - unit tests for loan-processor/store/history_codec.c:
 * every event an execution writes comes back from its compact stored form
 * as exactly the API JSON the full form held; placeholders survive the
 * encoding; earlier versions' full entries read unchanged; a malformed
 * entry is refused without reading past it.
 */
#include "history_codec.h"
#include "test.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What _append_events.lua stores for body at list index index after previous (digits). */
static char *stored_entry(const char *body, long index, const char *previous)
{
    char *encoded = NULL;
    if (history_codec_encode(body, &encoded) < 0)
        return NULL;
    char default_previous[32];
    snprintf(default_previous, sizeof(default_previous), "%ld", index);
    bool omitted = strcmp(previous, default_previous) == 0;
    size_t size = strlen(previous) + strlen(encoded) + 2;
    char *entry = malloc(size);
    if (entry)
        snprintf(entry, size, "%s%c%s", omitted ? "" : previous, HISTORY_CODEC_SEPARATOR, encoded);
    free(encoded);
    return entry;
}

/* The decoded text of an entry of length bytes (malloc'd), or NULL when it does not decode. */
static char *decoded(const char *entry, size_t length, long index)
{
    ssize_t size = history_codec_decoded_length(entry, length, index);
    if (size < 0)
        return NULL;
    char *out = malloc((size_t)size + 1);
    if (out && history_codec_decode(entry, length, index, out) != size) {
        free(out);
        return NULL;
    }
    return out;
}

/* Whether body stored at index after previous reads back as the full event of today's format. */
static bool round_trips(const char *body, long index, const char *previous)
{
    char *entry = stored_entry(body, index, previous);
    char *text = entry ? decoded(entry, strlen(entry), index) : NULL;
    size_t size = strlen(body) + 64;
    char *expected = malloc(size);
    bool same = false;
    if (text && expected) {
        snprintf(expected, size, "{\"id\":%ld,\"previousEventId\":%s,%s", index + 1, previous, body + 1);
        same = strcmp(expected, text) == 0;
        if (!same)
            fprintf(stderr, "# expected %s\n#      got %s\n", expected, text);
    }
    free(expected);
    free(text);
    free(entry);
    return same;
}

static const char *const blog_events[] = {
    "{\"timestamp\":1796571132.739,\"type\":\"ExecutionStarted\",\"executionStartedEventDetails\":{\"roleArn\":"
    "\"arn:aws:iam::123456789012:role/LoanProcessorPart1StateMachineRole\",\"input\":\"{\\\"applicationReference\\\": "
    "\\\"app-ref\\\", \\\"property\\\": {\\\"nameOrNumber\\\": \\\"999\\\", \\\"postcode\\\": \\\"PO1 1CE\\\"}}\","
    "\"inputDetails\":{\"truncated\":false}}}",
    "{\"timestamp\":1796571132.739,\"type\":\"TaskStateEntered\",\"stateEnteredEventDetails\":{\"name\":"
    "\"RequestValuation\",\"input\":\"{\\\"applicationReference\\\":\\\"app-ref\\\",\\\"property\\\":{\\\"nameOrNumber"
    "\\\":\\\"999\\\",\\\"postcode\\\":\\\"PO1 1CE\\\"}}\",\"inputDetails\":{\"truncated\":false}}}",
    "{\"timestamp\":1796571132.739,\"type\":\"TaskScheduled\",\"taskScheduledEventDetails\":{\"resourceType\":"
    "\"lambda\",\"resource\":\"invoke.waitForTaskToken\",\"region\":\"us-east-1\",\"parameters\":\"{"
    "\\\"FunctionName\\\":"
    "\\\"ValuationRequestFunction\\\",\\\"Payload\\\":{\\\"taskToken\\\":\\\"Af+4xR8++I7V/x==\\\",\\\"loanApplication"
    "\\\":{\\\"applicationReference\\\":\\\"app-ref\\\"}}}\"}}",
    "{\"timestamp\":1796571132.739,\"type\":\"TaskStarted\",\"taskStartedEventDetails\":{\"resourceType\":\"lambda\","
    "\"resource\":\"invoke.waitForTaskToken\"}}",
    "{\"timestamp\":1796571132.741,\"type\":\"TaskSubmitted\",\"taskSubmittedEventDetails\":{\"resourceType\":"
    "\"lambda\",\"resource\":\"invoke.waitForTaskToken\",\"output\":\"{\\\"ExecutedVersion\\\":\\\"$LATEST\\\","
    "\\\"Payload\\\":{\\\"valuationReference\\\":\\\"MV_6DLQzDC8oJEEN6GTay\\\"},\\\"StatusCode\\\":200}\","
    "\"outputDetails\":{\"truncated\":false}}}",
    "{\"timestamp\":1796571138.741,\"type\":\"TaskStateExited\",\"stateExitedEventDetails\":{\"name\":"
    "\"RequestValuation\",\"output\":\"{\\\"propertyValue\\\":153500}\",\"outputDetails\":{\"truncated\":false}}}",
    "{\"timestamp\":1796571138.741,\"type\":\"ExecutionSucceeded\",\"executionSucceededEventDetails\":{\"output\":"
    "\"{}\",\"outputDetails\":{\"truncated\":false}}}",
};

static void test_the_blog_history_round_trips_and_shrinks(void)
{
    for (size_t i = 0; i < sizeof(blog_events) / sizeof(blog_events[0]); i++) {
        ASSERT_TRUE(round_trips(blog_events[i], (long)i, "0"));
        char previous[8];
        snprintf(previous, sizeof(previous), "%zu", i);
        ASSERT_TRUE(round_trips(blog_events[i], (long)i, previous));
        char *entry = stored_entry(blog_events[i], (long)i, previous);
        ASSERT_NOT_NULL(entry);
        ASSERT_TRUE(entry && strlen(entry) * 2 < strlen(blog_events[i]));
        free(entry);
    }
}

/* Every type history.c writes, with its details member ("" for none, as MapRunSucceeded). */
static const char *const event_types[][2] = {
    { "ActivityFailed", "activityFailedEventDetails" },
    { "ActivityScheduleFailed", "activityScheduleFailedEventDetails" },
    { "ActivityScheduled", "activityScheduledEventDetails" },
    { "ActivityStarted", "activityStartedEventDetails" },
    { "ActivitySucceeded", "activitySucceededEventDetails" },
    { "ActivityTimedOut", "activityTimedOutEventDetails" },
    { "ChoiceStateEntered", "stateEnteredEventDetails" },
    { "ChoiceStateExited", "stateExitedEventDetails" },
    { "EvaluationFailed", "evaluationFailedEventDetails" },
    { "ExecutionAborted", "executionAbortedEventDetails" },
    { "ExecutionFailed", "executionFailedEventDetails" },
    { "ExecutionRedriven", "executionRedrivenEventDetails" },
    { "ExecutionStarted", "executionStartedEventDetails" },
    { "ExecutionSucceeded", "executionSucceededEventDetails" },
    { "ExecutionTimedOut", "executionTimedOutEventDetails" },
    { "FailStateEntered", "stateEnteredEventDetails" },
    { "MapIterationAborted", "mapIterationAbortedEventDetails" },
    { "MapIterationFailed", "mapIterationFailedEventDetails" },
    { "MapIterationStarted", "mapIterationStartedEventDetails" },
    { "MapIterationSucceeded", "mapIterationSucceededEventDetails" },
    { "MapRunFailed", "mapRunFailedEventDetails" },
    { "MapRunRedriven", "mapRunRedrivenEventDetails" },
    { "MapRunStarted", "mapRunStartedEventDetails" },
    { "MapRunSucceeded", "" },
    { "MapStateAborted", "" },
    { "MapStateEntered", "stateEnteredEventDetails" },
    { "MapStateExited", "stateExitedEventDetails" },
    { "MapStateFailed", "" },
    { "MapStateStarted", "" },
    { "MapStateStarted", "mapStateStartedEventDetails" },
    { "MapStateSucceeded", "" },
    { "ParallelStateAborted", "" },
    { "ParallelStateEntered", "stateEnteredEventDetails" },
    { "ParallelStateExited", "stateExitedEventDetails" },
    { "ParallelStateFailed", "" },
    { "ParallelStateStarted", "" },
    { "ParallelStateSucceeded", "" },
    { "PassStateEntered", "stateEnteredEventDetails" },
    { "PassStateExited", "stateExitedEventDetails" },
    { "SucceedStateEntered", "stateEnteredEventDetails" },
    { "SucceedStateExited", "stateExitedEventDetails" },
    { "TaskFailed", "taskFailedEventDetails" },
    { "TaskScheduled", "taskScheduledEventDetails" },
    { "TaskStartFailed", "taskStartFailedEventDetails" },
    { "TaskStarted", "taskStartedEventDetails" },
    { "TaskStateEntered", "stateEnteredEventDetails" },
    { "TaskStateExited", "stateExitedEventDetails" },
    { "TaskSubmitFailed", "taskSubmitFailedEventDetails" },
    { "TaskSubmitted", "taskSubmittedEventDetails" },
    { "TaskSucceeded", "taskSucceededEventDetails" },
    { "TaskTimedOut", "taskTimedOutEventDetails" },
    { "WaitStateEntered", "stateEnteredEventDetails" },
    { "WaitStateExited", "stateExitedEventDetails" },
    { "SomeFutureType", "someFutureTypeEventDetails" },
};

static void test_every_event_type_round_trips(void)
{
    for (size_t i = 0; i < sizeof(event_types) / sizeof(event_types[0]); i++) {
        char body[512];
        if (event_types[i][1][0])
            snprintf(body, sizeof(body),
                     "{\"timestamp\":1796571132.7,\"type\":\"%s\",\"%s\":{\"error\":\"States.ALL\",\"cause\":\"x\","
                     "\"index\":3,\"name\":\"It\"}}",
                     event_types[i][0], event_types[i][1]);
        else
            snprintf(body, sizeof(body), "{\"timestamp\":1796571132,\"type\":\"%s\"}", event_types[i][0]);
        ASSERT_TRUE(round_trips(body, 41, "41"));
        ASSERT_TRUE(round_trips(body, 41, "7"));
        ASSERT_TRUE(round_trips(body, 0, "0"));
        if (event_types[i][1][0]) {
            snprintf(body, sizeof(body), "{\"timestamp\":1.5,\"type\":\"%s\",\"%s\":{}}", event_types[i][0],
                     event_types[i][1]);
            ASSERT_TRUE(round_trips(body, 2, "1"));
        }
    }
}

static void test_escapes_unicode_and_raw_bytes_round_trip(void)
{
    const char *const bodies[] = {
        "{\"timestamp\":1,\"type\":\"PassStateExited\",\"stateExitedEventDetails\":{\"name\":\"a\\\\\\\"b\\n\\t\\u0002"
        "\\u001f\\\\\",\"output\":\"\\\"\\\\\\\"\\\"\\u00e9\\ud83d\\ude00\",\"outputDetails\":{\"truncated\":false}}}",
        "{\"timestamp\":1,\"type\":\"TaskFailed\",\"taskFailedEventDetails\":{\"cause\":\"caf\xc3\xa9 \xf0\x9f\x98\x80 "
        "\\u0001\"}}",
        "{\"timestamp\":1,\"type\":\"X\",\"raw\":\"\x02\x03\x1e\x1f\x7f\"}",
        "{}",
        "{\"timestamp\":",
        "{\"timestamp\":1,\"type\":\"\\\"\\\"\\\",\\\",\\\":{\\\"\\\"},\\\"\"}",
    };
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
        ASSERT_TRUE(round_trips(bodies[i], (long)i, "0"));
}

/* Encodes body, replaces its placeholders as _append_events.lua does (base + k), and decodes it. */
static char *resolved_round_trip(const char *body, long base)
{
    char *encoded = NULL, out[1024] = "";
    if (history_codec_encode(body, &encoded) < 0)
        return NULL;
    size_t written = (size_t)snprintf(out, sizeof(out), "%c", HISTORY_CODEC_SEPARATOR);
    for (const char *at = encoded; *at && written < sizeof(out) - 32;) {
        char *end;
        long k = *at == '\x01' ? strtol(at + 1, &end, 10) : 0;
        if (*at == '\x01' && end > at + 1 && *end == '\x01') {
            written += (size_t)snprintf(out + written, sizeof(out) - written, "%ld", base + k);
            at = end + 1;
        } else {
            out[written++] = *at++;
        }
    }
    out[written] = '\0';
    free(encoded);
    return decoded(out, written, base);
}

static void test_placeholders_survive_the_encoding(void)
{
    const char *body = "{\"timestamp\":1,\"type\":\"ExecutionFailed\",\"executionFailedEventDetails\":{\"error\":"
                       "\"States.Runtime\",\"cause\":\"An error occurred while executing the state 'A' (entered at "
                       "the event id #\x01"
                       "2\x01). \\\"\x01"
                       "12\x01\\\" \\\"\x01"
                       "1\x01\\\",\\\"\"}}";
    char *text = resolved_round_trip(body, 40);
    ASSERT_EQ_STR("{\"id\":41,\"previousEventId\":40,\"timestamp\":1,\"type\":\"ExecutionFailed\","
                  "\"executionFailedEventDetails\":{\"error\":\"States.Runtime\",\"cause\":\"An error occurred while "
                  "executing the state 'A' (entered at the event id #42). \\\"52\\\" \\\"41\\\",\\\"\"}}",
                  text ? text : "(null)");
    free(text);
}

static void test_a_full_entry_of_an_earlier_version_reads_unchanged(void)
{
    const char *full = "{\"id\":7,\"previousEventId\":3,\"timestamp\":1,\"type\":\"TaskStarted\","
                       "\"taskStartedEventDetails\":{}}";
    char *text = decoded(full, strlen(full), 6);
    ASSERT_EQ_STR(full, text ? text : "(null)");
    free(text);
    text = decoded(full, strlen(full), 99);
    ASSERT_EQ_STR(full, text ? text : "(null)");
    free(text);
}

static void test_malformed_entries_are_refused(void)
{
    static const struct {
        const char *text;
        size_t length;
    } bad[] = {
        { "", 0 },
        { "12", 2 },                           /* no separator */
        { "1a\x02{}", 5 },                     /* not digits */
        { "123456789012345678901\x02{}", 24 }, /* too many digits */
        { "\x02", 1 },                         /* no body */
        { "\x02}", 2 },                        /* a body not opening an object */
        { "\x02\x04{}", 4 },                   /* the first fragment is not the opening */
        { "\x02{\x02}", 4 },                   /* a second separator */
        { "\x02{\x00}", 4 },                   /* a NUL */
        { "\x02{\x1f", 3 },                    /* an escape at the end */
        { "\x02{\x1f\x7f", 4 },                /* an escape of no fragment */
        { "\x02{\x1f\x01", 4 },                /* an escaped placeholder byte */
        { "{\"id\":1\x00}", 9 },               /* a full entry with a NUL */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char copy[32];
        memcpy(copy, bad[i].text, bad[i].length);
        ASSERT_EQ_INT(-EPROTO, (int)history_codec_decoded_length(copy, bad[i].length, 3));
        ASSERT_EQ_INT(-EPROTO, (int)history_codec_decode(copy, bad[i].length, 3, (char[64]){ 0 }));
    }
}

static void test_every_truncation_is_refused_or_decodes_within_its_bytes(void)
{
    char *entry = stored_entry(blog_events[2], 2, "1");
    ASSERT_NOT_NULL(entry);
    size_t length = entry ? strlen(entry) : 0;
    for (size_t cut = 0; cut < length; cut++) {
        char *copy = malloc(cut ? cut : 1); /* exactly cut bytes, so that the sanitizer sees any overread */
        memcpy(copy, entry, cut);
        ssize_t size = history_codec_decoded_length(copy, cut, 2);
        if (size >= 0) {
            char *out = malloc((size_t)size + 1);
            ASSERT_EQ_INT((int)size, (int)history_codec_decode(copy, cut, 2, out));
            free(out);
        }
        free(copy);
    }
    free(entry);
}

int main(void)
{
    RUN(test_the_blog_history_round_trips_and_shrinks);
    RUN(test_every_event_type_round_trips);
    RUN(test_escapes_unicode_and_raw_bytes_round_trip);
    RUN(test_placeholders_survive_the_encoding);
    RUN(test_a_full_entry_of_an_earlier_version_reads_unchanged);
    RUN(test_malformed_entries_are_refused);
    RUN(test_every_truncation_is_refused_or_decodes_within_its_bytes);
    return test_done();
}
