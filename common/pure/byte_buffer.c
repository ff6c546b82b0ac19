/* byte_buffer - see byte_buffer.h. */
#include "byte_buffer.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FIRST_CAPACITY 256

int byte_buffer_reserve(struct byte_buffer *buffer, size_t size)
{
    if (size <= buffer->capacity)
        return 0;
    size_t capacity = buffer->capacity ? buffer->capacity : FIRST_CAPACITY;
    while (capacity < size && capacity <= SIZE_MAX / 2)
        capacity *= 2;
    if (capacity < size)
        capacity = size;
    char *grown = realloc(buffer->data, capacity);
    if (!grown)
        return -ENOMEM;
    buffer->data = grown;
    buffer->capacity = capacity;
    return 0;
}

int byte_buffer_append(struct byte_buffer *buffer, const void *bytes, size_t length)
{
    if (length >= SIZE_MAX - buffer->length || byte_buffer_reserve(buffer, buffer->length + length + 1) < 0)
        return -ENOMEM;
    if (length)
        memcpy(buffer->data + buffer->length, bytes, length);
    buffer->length += length;
    buffer->data[buffer->length] = '\0';
    return 0;
}

int byte_buffer_set(struct byte_buffer *buffer, const void *bytes, size_t length)
{
    buffer->length = 0;
    return byte_buffer_append(buffer, bytes, length);
}

void byte_buffer_reset(struct byte_buffer *buffer, size_t keep_max)
{
    if (buffer->capacity > keep_max)
        byte_buffer_free(buffer);
    buffer->length = 0;
}

void byte_buffer_free(struct byte_buffer *buffer)
{
    free(buffer->data);
    *buffer = (struct byte_buffer){ 0 };
}
