/*
 * stored_history.h - the store tests' reading of a history entry as Redis
 * holds it (history_codec.h's compact form) back into its API JSON.
 */
#ifndef STORED_HISTORY_H
#define STORED_HISTORY_H

#include <hiredis/hiredis.h>
#include <stdlib.h>

#include "history_codec.h"

/* The API JSON of the entry at list index index (malloc'd; the caller frees it), or NULL. */
static inline char *stored_history_event(const redisReply *entry, long index)
{
    ssize_t length =
        entry && entry->type == REDIS_REPLY_STRING ? history_codec_decoded_length(entry->str, entry->len, index) : -1;
    char *text = length >= 0 ? malloc((size_t)length + 1) : NULL;
    if (text && history_codec_decode(entry->str, entry->len, index, text) < 0) {
        free(text);
        text = NULL;
    }
    return text;
}

#endif
