/*
 * history_codec - the compact form in which an execution's history events
 * are stored (docs/redis-layout.md, "History entries"), and its exact
 * inverse. Pure: plain C strings, no I/O.
 *
 * A stored entry is
 *   [previous] SEPARATOR body
 * previous: the digits of its previousEventId, absent when that is the
 * event's id - 1 (its list index); body: the event's JSON text without ids
 * ({"timestamp":...,"type":...,...}, as a commit gets it), with frequent
 * fragments replaced by bytes 0x03-0x1E, and an event type with its details
 * key (or a rarer fragment) by ESCAPE and a byte 0x20 + its index. JSON text
 * as cJSON prints it never holds a raw byte below 0x20; one that does keeps
 * it as ESCAPE and the byte. The placeholder byte 0x01 (HISTORY_PLACEHOLDER)
 * is never used nor touched, so the digits of a placeholder \x01k\x01 stay
 * as they are and the commit can resolve them on the encoded body.
 * An entry that starts with '{' is an earlier version's full event, read
 * unchanged.
 */
#ifndef HISTORY_CODEC_H
#define HISTORY_CODEC_H

#include <stddef.h>
#include <sys/types.h>

/* The byte that ends an entry's previous digits (scripts/_append_events.lua writes it). */
#define HISTORY_CODEC_SEPARATOR '\x02'

/*
 * The compact body of an event's JSON text without ids (malloc'd, the
 * caller frees it) into *out. Returns 0, or -ENOMEM (*out NULL).
 */
__attribute__((warn_unused_result)) int history_codec_encode(const char *body, char **out);

/*
 * The length of the API JSON of the stored entry (length bytes, not
 * necessarily terminated) at list index index (its id is index + 1), or
 * -EPROTO when the entry is not one history_codec_encode()'s form or a full
 * event can be.
 */
__attribute__((warn_unused_result)) ssize_t history_codec_decoded_length(const char *entry, size_t length, long index);

/*
 * Writes the API JSON of the stored entry at list index index into out (room
 * for history_codec_decoded_length() + 1 bytes), terminated. Returns its
 * length, or -EPROTO as history_codec_decoded_length().
 */
__attribute__((warn_unused_result)) ssize_t history_codec_decode(const char *entry, size_t length, long index,
                                                                 char *out);

#endif
