/* utf8 - see utf8.h. */
#include "utf8.h"

#include <string.h>

/* The sequence length a lead byte announces, 0 for a byte that cannot lead (0x80-0xC1, 0xF5-0xFF). */
static size_t sequence_length(unsigned char lead)
{
    if (lead < 0x80)
        return 1;
    if (lead >= 0xc2 && lead < 0xe0)
        return 2;
    if (lead >= 0xe0 && lead < 0xf0)
        return 3;
    if (lead >= 0xf0 && lead < 0xf5)
        return 4;
    return 0;
}

size_t utf8_next(const char *text, size_t remaining, uint32_t *code_point)
{
    static const uint32_t smallest[5] = { 0, 0, 0x80, 0x800, 0x10000 };
    const unsigned char *bytes = (const unsigned char *)text;
    size_t length = sequence_length(bytes[0]);

    if (length == 1) {
        *code_point = bytes[0];
        return 1;
    }
    if (length == 0 || length > remaining)
        goto stray;
    uint32_t decoded = bytes[0] & (0x7fu >> length);
    for (size_t i = 1; i < length; i++) {
        if ((bytes[i] & 0xc0) != 0x80)
            goto stray;
        decoded = decoded << 6 | (bytes[i] & 0x3fu);
    }
    if (decoded < smallest[length] || decoded > 0x10ffff || (decoded >= 0xd800 && decoded <= 0xdfff))
        goto stray;
    *code_point = decoded;
    return length;

stray:
    *code_point = UTF8_STRAY_BYTE + bytes[0];
    return 1;
}

size_t utf8_first_invalid(const char *bytes, size_t length)
{
    uint32_t code_point;
    size_t offset = 0;
    while (offset < length) {
        size_t unit = utf8_next(bytes + offset, length - offset, &code_point);
        if (code_point >= UTF8_STRAY_BYTE)
            return offset;
        offset += unit;
    }
    return length;
}

bool utf8_is_valid(const char *bytes, size_t length)
{
    return utf8_first_invalid(bytes, length) == length;
}

size_t utf8_count(const char *bytes, size_t length)
{
    size_t count = 0;
    uint32_t code_point;
    while (length > 0) {
        size_t unit = utf8_next(bytes, length, &code_point);
        bytes += unit;
        length -= unit;
        count++;
    }
    return count;
}

size_t utf8_count_text(const char *text)
{
    return utf8_count(text, strlen(text));
}

size_t utf8_quote(char *out, size_t size, const char *value, size_t length)
{
    size_t written = 0;
    uint32_t code_point;
    while (length > 0) {
        size_t unit = utf8_next(value, length, &code_point);
        bool replaced = code_point >= UTF8_STRAY_BYTE || code_point == 0;
        const char *bytes = replaced ? UTF8_REPLACEMENT : value;
        size_t count = replaced ? sizeof(UTF8_REPLACEMENT) - 1 : unit;
        if (written + count >= size)
            break;
        memcpy(out + written, bytes, count);
        written += count;
        value += unit;
        length -= unit;
    }
    out[written] = '\0';
    return written;
}
