/* base64 - see base64.h. */
#include "base64.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

static const char base64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t base64_encoded_size(size_t length)
{
    return (length + 2) / 3 * 4 + 1;
}

void base64_encode(const void *data, size_t length, char *out)
{
    const uint8_t *bytes = data;
    size_t i = 0;
    for (; i + 2 < length; i += 3) {
        uint32_t group = (uint32_t)bytes[i] << 16 | (uint32_t)bytes[i + 1] << 8 | bytes[i + 2];
        *out++ = base64_alphabet[group >> 18 & 63];
        *out++ = base64_alphabet[group >> 12 & 63];
        *out++ = base64_alphabet[group >> 6 & 63];
        *out++ = base64_alphabet[group & 63];
    }
    if (i < length) {
        uint32_t group = (uint32_t)bytes[i] << 16;
        if (i + 1 < length)
            group |= (uint32_t)bytes[i + 1] << 8;
        *out++ = base64_alphabet[group >> 18 & 63];
        *out++ = base64_alphabet[group >> 12 & 63];
        *out++ = i + 1 < length ? base64_alphabet[group >> 6 & 63] : '=';
        *out++ = '=';
    }
    *out = '\0';
}

static int symbol_value(char symbol)
{
    const char *found = symbol ? strchr(base64_alphabet, symbol) : NULL;
    return found ? (int)(found - base64_alphabet) : -1;
}

int base64_decode(const char *text, void *out, size_t out_capacity, size_t *out_length)
{
    size_t text_length = strlen(text);
    uint8_t *bytes = out;
    size_t written = 0;
    if (text_length % 4 != 0)
        return -EINVAL;
    for (size_t i = 0; i < text_length; i += 4) {
        bool last = i + 4 == text_length;
        int padding = (last && text[i + 3] == '=') + (last && text[i + 2] == '=');
        int values[4];
        for (int k = 0; k < 4 - padding; k++) {
            values[k] = symbol_value(text[i + (size_t)k]);
            if (values[k] < 0)
                return -EINVAL;
        }
        for (int k = 4 - padding; k < 4; k++)
            values[k] = 0;
        /* Canonical form only: the bits that padding drops must be zero. */
        if ((padding == 1 && (values[2] & 3)) || (padding == 2 && (values[1] & 15)))
            return -EINVAL;
        uint32_t group =
            (uint32_t)values[0] << 18 | (uint32_t)values[1] << 12 | (uint32_t)values[2] << 6 | (uint32_t)values[3];
        size_t count = (size_t)(3 - padding);
        if (written + count > out_capacity)
            return -ENOSPC;
        uint8_t decoded[3] = { (uint8_t)(group >> 16), (uint8_t)(group >> 8), (uint8_t)group };
        memcpy(bytes + written, decoded, count);
        written += count;
    }
    *out_length = written;
    return 0;
}
