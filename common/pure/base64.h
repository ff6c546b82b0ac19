/*
 * base64 - standard base64 (RFC 4648 §4, with '+', '/' and '=' padding).
 */
#ifndef BASE64_H
#define BASE64_H

#include <stddef.h>

/* Bytes needed to encode length bytes, including the terminating NUL. */
size_t base64_encoded_size(size_t length);

/* Encodes length bytes of data into out (base64_encoded_size(length) bytes). */
void base64_encode(const void *data, size_t length, char *out);

/*
 * Decodes a NUL-terminated base64 text into out, which has room for
 * out_capacity bytes; stores the decoded length in *out_length.
 * Returns 0, or -EINVAL for text that is not canonical padded base64, or
 * -ENOSPC when out is too small. Never reads past the text's NUL.
 */
__attribute__((warn_unused_result)) int base64_decode(const char *text, void *out, size_t out_capacity,
                                                      size_t *out_length);

#endif
