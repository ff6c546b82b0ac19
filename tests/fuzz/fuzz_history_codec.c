/*
 * fuzz_history_codec - the compact form of stored history events
 * (history_codec.h): any stored bytes are decoded without a crash or an
 * overread, with the length history_codec_decoded_length() announced; and
 * every event text encodes to an entry that decodes back to exactly the API
 * JSON of that event (the round trip GetExecutionHistory relies on).
 *
 * Input: a stored entry's bytes (all of them), and, up to the first NUL, an
 * event text for the round trip (used when it starts with '{').
 */
#include "fuzz_input.h"
#include "history_codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Decodes length bytes at list index index; the two calls must agree. */
static void decode_entry(const char *entry, size_t length, long index)
{
    ssize_t expected = history_codec_decoded_length(entry, length, index);
    if (expected < 0)
        return;
    char *out = malloc((size_t)expected + 1);
    if (!out)
        return;
    if (history_codec_decode(entry, length, index, out) != expected || strlen(out) != (size_t)expected)
        abort();
    free(out);
}

/* Encodes text (an event without ids) and checks that it decodes to {"id":5,"previousEventId":4, and the rest. */
static void round_trip(const char *text)
{
    if (text[0] != '{' || strchr(text, '\x01'))
        return; /* not an event text; 0x01 is the commit's placeholder byte, resolved before storing */
    char *body = NULL;
    if (history_codec_encode(text, &body) < 0)
        return;
    size_t length = strlen(body) + 1;
    char *entry = malloc(length + 1);
    char *wanted = malloc(strlen(text) + 64);
    if (entry && wanted) {
        entry[0] = HISTORY_CODEC_SEPARATOR;
        memcpy(entry + 1, body, length);
        snprintf(wanted, strlen(text) + 64, "{\"id\":5,\"previousEventId\":4,%s", text + 1);
        ssize_t decoded_length = history_codec_decoded_length(entry, length, 4);
        if (decoded_length < 0)
            abort(); /* an entry the codec wrote that it cannot read */
        char *decoded = malloc((size_t)decoded_length + 1);
        if (decoded && (history_codec_decode(entry, length, 4, decoded) != decoded_length || strcmp(decoded, wanted)))
            abort();
        free(decoded);
    }
    free(wanted);
    free(entry);
    free(body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (long index = 0; index < 3; index++)
        decode_entry((const char *)data, size, index);
    const char *text, *unused;
    char *block = fuzz_input_split(data, size, &text, &unused);
    if (!block)
        return 0;
    round_trip(text);
    free(block);
    return 0;
}
