/* history - see history.h. */
#include "history.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

int history_batch_init(struct history_batch *batch, long last_event_id, int64_t timestamp_ms)
{
    batch->events = cJSON_CreateArray();
    batch->last_event_id = last_event_id;
    batch->previous_event_id = last_event_id;
    batch->timestamp_ms = timestamp_ms;
    return batch->events ? 0 : -ENOMEM;
}

void history_batch_release(struct history_batch *batch)
{
    cJSON_Delete(batch->events);
    batch->events = NULL;
}

long history_append(struct history_batch *batch, const char *type, const char *details_member, cJSON *details)
{
    cJSON *event = cJSON_CreateObject();
    long id = batch->last_event_id + 1;
    if (!details)
        details = cJSON_CreateObject();
    if (!event || !details || !cJSON_AddNumberToObject(event, "timestamp", (double)batch->timestamp_ms / 1000.0)
        || !cJSON_AddStringToObject(event, "type", type) || !cJSON_AddNumberToObject(event, "id", (double)id)
        || !cJSON_AddNumberToObject(event, "previousEventId", (double)batch->previous_event_id)
        || !cJSON_AddItemToObject(event, details_member, details)) {
        cJSON_Delete(event);
        cJSON_Delete(details);
        return -ENOMEM;
    }
    cJSON_AddItemToArray(batch->events, event);
    batch->last_event_id = id;
    batch->previous_event_id = id;
    return id;
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
