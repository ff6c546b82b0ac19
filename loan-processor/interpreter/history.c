/* history - see history.h. */
#include "history.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The escape cJSON prints for the placeholder byte. */
#define ESCAPED_PLACEHOLDER "\\u0001"

static const struct history_ref default_previous = { 0, -1 };

struct history_ref history_ref_stored(long id)
{
    return (struct history_ref){ id, 0 };
}

struct history_ref history_ref_in_batch(int index)
{
    return (struct history_ref){ 0, index };
}

int history_batch_init(struct history_batch *batch, long stored_events, int64_t timestamp_ms)
{
    memset(batch, 0, sizeof(*batch));
    batch->events = cJSON_CreateArray();
    batch->next_previous = default_previous;
    batch->stored_events = stored_events;
    batch->timestamp_ms = timestamp_ms;
    return batch->events ? 0 : -ENOMEM;
}

void history_batch_release(struct history_batch *batch)
{
    cJSON_Delete(batch->events);
    free(batch->entries);
    batch->events = NULL;
    batch->entries = NULL;
    batch->capacity = 0;
}

size_t history_batch_count(const struct history_batch *batch)
{
    return batch->events ? (size_t)cJSON_GetArraySize(batch->events) : 0;
}

long history_total_events(const struct history_batch *batch)
{
    return batch->stored_events + (long)history_batch_count(batch);
}

/* Room for one more entry. Returns 0 or -ENOMEM. */
static int reserve_entry(struct history_batch *batch)
{
    size_t count = history_batch_count(batch);
    if (count < batch->capacity)
        return 0;
    size_t capacity = batch->capacity ? batch->capacity * 2 : 16;
    struct history_entry *entries = realloc(batch->entries, capacity * sizeof(*entries));
    if (!entries)
        return -ENOMEM;
    batch->entries = entries;
    batch->capacity = capacity;
    return 0;
}

int history_append(struct history_batch *batch, const char *type, const char *details_member, cJSON *details)
{
    cJSON *event = cJSON_CreateObject();
    if (!details)
        details = cJSON_CreateObject();
    if (!event || !details || reserve_entry(batch) < 0
        || !cJSON_AddNumberToObject(event, "timestamp", (double)batch->timestamp_ms / 1000.0)
        || !cJSON_AddStringToObject(event, "type", type)
        || (details_member && !cJSON_AddItemToObject(event, details_member, details))) {
        cJSON_Delete(event);
        cJSON_Delete(details);
        return -ENOMEM;
    }
    if (!details_member)
        cJSON_Delete(details);
    batch->entries[history_batch_count(batch)] = (struct history_entry){ batch->next_previous, false };
    cJSON_AddItemToArray(batch->events, event);
    batch->next_previous = default_previous;
    return 0;
}

struct history_ref history_last(const struct history_batch *batch)
{
    size_t count = history_batch_count(batch);
    return count ? history_ref_in_batch((int)count) : history_ref_stored(0);
}

void history_set_previous(struct history_batch *batch, struct history_ref previous)
{
    batch->next_previous = previous;
}

void history_mark_placeholders(struct history_batch *batch)
{
    size_t count = history_batch_count(batch);
    if (count)
        batch->entries[count - 1].has_placeholders = true;
}

bool history_batch_has_placeholders(const struct history_batch *batch)
{
    for (size_t i = 0; i < history_batch_count(batch); i++)
        if (batch->entries[i].has_placeholders)
            return true;
    return false;
}

char *history_format_ref(struct history_ref ref, char out[HISTORY_REF_TEXT_SIZE])
{
    if (ref.batch_index > 0)
        snprintf(out, HISTORY_REF_TEXT_SIZE, "%c%d%c", HISTORY_PLACEHOLDER, ref.batch_index, HISTORY_PLACEHOLDER);
    else
        snprintf(out, HISTORY_REF_TEXT_SIZE, "%ld", ref.id);
    return out;
}

/* The length of the placeholder's digits at text ("k\x01" follows an opening byte), or 0 when it is none. */
static size_t placeholder_digits(const char *text, const char *closing, size_t closing_length)
{
    size_t digits = strspn(text, "0123456789");
    return digits && digits < 10 && strncmp(text + digits, closing, closing_length) == 0 ? digits : 0;
}

char *history_resolve_text(const char *text, long base)
{
    size_t length = strlen(text);
    char *out = malloc(length + 1);
    size_t written = 0;
    if (!out)
        return NULL;
    for (const char *at = text; *at;) {
        size_t digits = *at == HISTORY_PLACEHOLDER ? placeholder_digits(at + 1, "\x01", 1) : 0;
        if (!digits) {
            out[written++] = *at++;
            continue;
        }
        char id[HISTORY_REF_TEXT_SIZE];
        int id_length = snprintf(id, sizeof(id), "%ld", base + strtol(at + 1, NULL, 10));
        if ((size_t)id_length > digits + 2) {
            char *grown = realloc(out, length + (size_t)id_length + 1);
            if (!grown) {
                free(out);
                return NULL;
            }
            out = grown;
            length += (size_t)id_length;
        }
        memcpy(out + written, id, (size_t)id_length);
        written += (size_t)id_length;
        at += digits + 2;
    }
    out[written] = '\0';
    return out;
}

/* Turns the escaped placeholders of printed JSON text back into raw ones, in place. */
static void raw_placeholders(char *text)
{
    const size_t escape_length = strlen(ESCAPED_PLACEHOLDER);
    char *out = text;
    for (const char *at = text; *at;) {
        size_t digits = strncmp(at, ESCAPED_PLACEHOLDER, escape_length) == 0
                            ? placeholder_digits(at + escape_length, ESCAPED_PLACEHOLDER, escape_length)
                            : 0;
        if (digits) {
            *out++ = HISTORY_PLACEHOLDER;
            memmove(out, at + escape_length, digits);
            out += digits;
            *out++ = HISTORY_PLACEHOLDER;
            at += 2 * escape_length + digits;
        } else if (*at == '\\') {
            *out++ = *at++; /* an escape's second byte (an escaped backslash too) is never a placeholder's start */
            if (*at)
                *out++ = *at++;
        } else {
            *out++ = *at++;
        }
    }
    *out = '\0';
}

int history_wire_event(const struct history_batch *batch, size_t index, char previous[HISTORY_REF_TEXT_SIZE],
                       char **body)
{
    if (index >= history_batch_count(batch))
        return -EINVAL;
    struct history_ref ref = batch->entries[index].previous;
    if (ref.batch_index < 0)
        previous[0] = '\0';
    else if (ref.batch_index > 0)
        snprintf(previous, HISTORY_REF_TEXT_SIZE, "@%d", ref.batch_index);
    else
        snprintf(previous, HISTORY_REF_TEXT_SIZE, "%ld", ref.id);
    char *printed = cJSON_PrintUnformatted(cJSON_GetArrayItem(batch->events, (int)index));
    *body = printed ? strdup(printed) : NULL;
    cJSON_free(printed);
    if (!*body)
        return -ENOMEM;
    if (batch->entries[index].has_placeholders)
        raw_placeholders(*body);
    return 0;
}

/* The previousEventId of event index (0-based) of a batch committed at base after branch_last_id (the rule). */
static long previous_id(const char *previous, size_t index, long base, long branch_last_id)
{
    if (previous[0] == '@')
        return base + strtol(previous + 1, NULL, 10);
    if (previous[0])
        return strtol(previous, NULL, 10);
    return index == 0 ? branch_last_id : base + (long)index;
}

/* Event index of the batch as stored at base (parsed; NULL when out of memory). */
static cJSON *render_event(const struct history_batch *batch, size_t index, long base, long branch_last_id)
{
    char previous[HISTORY_REF_TEXT_SIZE], *body = NULL;
    if (history_wire_event(batch, index, previous, &body) < 0)
        return NULL;
    char *resolved = history_resolve_text(body, base);
    size_t size = (resolved ? strlen(resolved) : 0) + 64;
    char *text = resolved ? malloc(size) : NULL;
    cJSON *event = NULL;
    if (text) {
        snprintf(text, size, "{\"id\":%ld,\"previousEventId\":%ld,%s", base + (long)index + 1,
                 previous_id(previous, index, base, branch_last_id), resolved + 1);
        event = cJSON_Parse(text);
    }
    free(text);
    free(resolved);
    free(body);
    return event;
}

cJSON *history_batch_render(const struct history_batch *batch, long base, long branch_last_id)
{
    cJSON *events = cJSON_CreateArray();
    for (size_t i = 0; events && i < history_batch_count(batch); i++) {
        cJSON *event = render_event(batch, i, base, branch_last_id);
        if (!event || !cJSON_AddItemToArray(events, event)) {
            cJSON_Delete(event);
            cJSON_Delete(events);
            return NULL;
        }
    }
    return events;
}

cJSON *history_details(const char *name, ...)
{
    cJSON *details = cJSON_CreateObject();
    va_list arguments;
    va_start(arguments, name);
    for (const char *member = name; details && member; member = va_arg(arguments, const char *)) {
        const char *value = va_arg(arguments, const char *);
        if (value && !cJSON_AddStringToObject(details, member, value)) {
            cJSON_Delete(details);
            details = NULL;
        }
    }
    va_end(arguments);
    return details;
}

int history_add_payload(cJSON *details, const char *member, const char *text)
{
    char details_member[64];
    snprintf(details_member, sizeof(details_member), "%sDetails", member);
    cJSON *truncation = cJSON_CreateObject();
    if (!truncation || !cJSON_AddBoolToObject(truncation, "truncated", false)
        || !cJSON_AddStringToObject(details, member, text)) {
        cJSON_Delete(truncation);
        return -ENOMEM;
    }
    if (!cJSON_AddItemToObject(details, details_member, truncation)) {
        cJSON_Delete(truncation);
        return -ENOMEM;
    }
    return 0;
}
