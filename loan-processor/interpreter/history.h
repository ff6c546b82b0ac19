/*
 * history - builds execution history events in the exact shape of the AWS
 * API's HistoryEvent: {"timestamp","type","id","previousEventId","<x>EventDetails":{...}}.
 * Pure: no I/O. Payloads (input, output, parameters) are JSON text strings,
 * as on the wire.
 */
#ifndef HISTORY_H
#define HISTORY_H

#include <cjson/cJSON.h>
#include <stdint.h>

/* New events being written in one step of an execution. */
struct history_batch {
    cJSON *events;          /* array of events, owned */
    long last_event_id;     /* id of the newest event (in Redis or in this batch) */
    long previous_event_id; /* previousEventId of the next event */
    int64_t timestamp_ms;   /* stamped on every event of the batch */
};

/*
 * Starts a batch after the event last_event_id. Returns 0 or -ENOMEM.
 * The batch must be released with history_batch_release().
 */
__attribute__((warn_unused_result)) int history_batch_init(struct history_batch *batch, long last_event_id,
                                                           int64_t timestamp_ms);

/* Frees what the batch still owns. */
void history_batch_release(struct history_batch *batch);

/*
 * Appends an event of type with details under details_member (takes
 * ownership of details, which may be NULL for an empty object). Returns the
 * new event's id, or -ENOMEM (details freed).
 */
__attribute__((warn_unused_result)) long history_append(struct history_batch *batch, const char *type,
                                                        const char *details_member, cJSON *details);

/*
 * Builds a details object from name/value string pairs ending with NULL;
 * a NULL value leaves the member out. Returns NULL when out of memory.
 */
__attribute__((warn_unused_result)) cJSON *history_details(const char *name, ...) __attribute__((sentinel));

/* Adds "<member>": text and "<member>Details": {"truncated": false}. Returns 0 or -ENOMEM. */
__attribute__((warn_unused_result)) int history_add_payload(cJSON *details, const char *member, const char *text);

#endif
