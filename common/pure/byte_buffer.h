/*
 * byte_buffer - a growable run of bytes, kept NUL-terminated, that can be
 * emptied for reuse without giving its memory back (unless it grew past a
 * bound). Pure: libc only.
 *
 *     struct byte_buffer buffer = { 0 };                  // empty, nothing allocated
 *     if (byte_buffer_append(&buffer, data, size) < 0) ... // -ENOMEM: unchanged
 *     use(buffer.data, buffer.length);                     // data NULL until the first byte
 *     byte_buffer_reset(&buffer, BYTE_BUFFER_KEEP_MAX);    // empty again, for the next use
 *     byte_buffer_free(&buffer);
 */
#ifndef BYTE_BUFFER_H
#define BYTE_BUFFER_H

#include <stddef.h>

/*
 * The most a buffer reused between requests keeps allocated: one large
 * exchange does not stay allocated, usual ones allocate nothing again.
 */
#define BYTE_BUFFER_KEEP_MAX (64 * 1024)

struct byte_buffer {
    char *data; /* length bytes and a NUL; NULL while nothing was ever stored */
    size_t length;
    size_t capacity;
};

/*
 * Makes room for size bytes in all (the NUL included): the capacity doubles
 * from 256 until it fits. Returns 0, or -ENOMEM (buffer unchanged).
 */
__attribute__((warn_unused_result)) int byte_buffer_reserve(struct byte_buffer *buffer, size_t size);

/* Appends length bytes of bytes and a NUL after them. Returns 0, or -ENOMEM (buffer unchanged). */
__attribute__((warn_unused_result)) int byte_buffer_append(struct byte_buffer *buffer, const void *bytes,
                                                           size_t length);

/* Makes the buffer hold length bytes of bytes (and a NUL). Returns 0, or -ENOMEM (emptied). */
__attribute__((warn_unused_result)) int byte_buffer_set(struct byte_buffer *buffer, const void *bytes, size_t length);

/* Empties the buffer; its memory is kept for the next use unless its capacity is over keep_max. */
void byte_buffer_reset(struct byte_buffer *buffer, size_t keep_max);

/* Frees the buffer's memory and empties it; safe on a zeroed one. */
void byte_buffer_free(struct byte_buffer *buffer);

#endif
