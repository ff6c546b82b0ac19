/*
 * history - builds execution history events in the exact shape of the AWS
 * API's HistoryEvent: {"id","previousEventId","timestamp","type","<x>EventDetails":{...}}.
 * Pure: no I/O. Payloads (input, output, parameters) are JSON text strings,
 * as on the wire.
 *
 * Event ids are assigned by the commit (see docs/execution-model.md, "Event
 * ids: assigned by the commit"): a batch's events are built without "id"
 * and "previousEventId". Each event names its previous event by a reference:
 * by default the branch's last event before the batch (for the first event)
 * or the event before it in the batch; history_set_previous() names another.
 * Where an id of the same batch is quoted in text (a cause's "#N", the
 * record's stateEnteredEventId), it is written as the placeholder "\x01k\x01"
 * (k: the event's 1-based index in the batch), which the commit replaces by
 * the id; history_batch_render() is the commit's rule, in C.
 */
#ifndef HISTORY_H
#define HISTORY_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An event: the batch_index-th (1-based) event of the batch being built, or (batch_index 0) the id of a stored one. */
struct history_ref {
    long id;
    int batch_index;
};

/* The byte that opens and closes a placeholder; a JSON text never holds it raw (cJSON escapes it). */
#define HISTORY_PLACEHOLDER '\x01'

/* Room for a formatted reference (digits, or a placeholder). */
#define HISTORY_REF_TEXT_SIZE 24

/* What an event of a batch says about itself beyond its JSON. */
struct history_entry {
    struct history_ref previous; /* batch_index -1: the rule's default (see above) */
    bool has_placeholders;       /* its text quotes an id of the batch */
};

/* New events being written in one step of an execution. */
struct history_batch {
    cJSON *events; /* array of events without ids, owned */
    struct history_entry *entries;
    size_t capacity;
    struct history_ref next_previous; /* what the next event's previousEventId names (batch_index -1: default) */
    long stored_events;               /* how many events the history held before the batch */
    int64_t timestamp_ms;             /* stamped on every event of the batch */
};

/* A stored event's reference. */
struct history_ref history_ref_stored(long id);

/* The reference of the index-th (1-based) event of the batch. */
struct history_ref history_ref_in_batch(int index);

/*
 * Starts a batch for a history that holds stored_events events. Returns 0
 * or -ENOMEM. The batch must be released with history_batch_release().
 */
__attribute__((warn_unused_result)) int history_batch_init(struct history_batch *batch, long stored_events,
                                                           int64_t timestamp_ms);

/* Frees what the batch still owns. */
void history_batch_release(struct history_batch *batch);

/* How many events the batch holds. */
size_t history_batch_count(const struct history_batch *batch);

/* How many events the history holds once the batch is committed. */
long history_total_events(const struct history_batch *batch);

/*
 * Appends an event of type with details under details_member (takes
 * ownership of details, which may be NULL for an empty object; a NULL
 * details_member: an event without details, as ParallelStateStarted).
 * Returns 0, or -ENOMEM (details freed).
 */
__attribute__((warn_unused_result)) int history_append(struct history_batch *batch, const char *type,
                                                       const char *details_member, cJSON *details);

/* The newest event of the batch (history_ref_stored(0) while it is empty). */
struct history_ref history_last(const struct history_batch *batch);

/* The next event appended follows previous (AWS's exceptions: a first state or an abort follows event 0). */
void history_set_previous(struct history_batch *batch, struct history_ref previous);

/* Marks the newest event as quoting ids of the batch (placeholders in its strings). */
void history_mark_placeholders(struct history_batch *batch);

/* Writes ref as it is quoted: the id's digits, or the placeholder of a batch event. Returns out. */
char *history_format_ref(struct history_ref ref, char out[HISTORY_REF_TEXT_SIZE]);

/*
 * A copy of text (malloc'd; NULL when out of memory) whose placeholders
 * are replaced by the ids the events get when the batch is committed at
 * base (the first event gets base + 1).
 */
char *history_resolve_text(const char *text, long base);

/*
 * Event index (0-based) of the batch as the commit script takes it:
 * *previous is "" (the default), "@k" (batch event k) or an id's digits;
 * *body the event's JSON text (malloc'd, the caller frees it) with its
 * placeholders raw. Returns 0, -ENOMEM, or -EINVAL for an index out of range.
 */
__attribute__((warn_unused_result)) int history_wire_event(const struct history_batch *batch, size_t index,
                                                           char previous[HISTORY_REF_TEXT_SIZE], char **body);

/* Whether any event of the batch quotes an id of the batch. */
bool history_batch_has_placeholders(const struct history_batch *batch);

/*
 * What the commit stores for the batch when the history holds base events
 * and the branch's last event is branch_last_id: a new array (the caller
 * deletes it) of the full events, with ids base + 1... and their
 * previousEventIds, placeholders replaced. NULL when out of memory.
 */
cJSON *history_batch_render(const struct history_batch *batch, long base, long branch_last_id);

/*
 * Builds a details object from name/value string pairs ending with NULL;
 * a NULL value leaves the member out. Returns NULL when out of memory.
 */
__attribute__((warn_unused_result)) cJSON *history_details(const char *name, ...) __attribute__((sentinel));

/* Adds "<member>": text and "<member>Details": {"truncated": false}. Returns 0 or -ENOMEM. */
__attribute__((warn_unused_result)) int history_add_payload(cJSON *details, const char *member, const char *text);

#endif
