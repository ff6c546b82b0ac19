/*
 * utf8 - the one UTF-8 decoder: well-formed sequences only (RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF).
 *
 * Decoding never fails: a byte that does not start a well-formed sequence
 * stands alone as UTF8_STRAY_BYTE + byte, so text that is not UTF-8 can
 * still be walked, counted and compared.
 */
#ifndef UTF8_H
#define UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* utf8_next() gives a byte outside any well-formed sequence as UTF8_STRAY_BYTE + that byte. */
#define UTF8_STRAY_BYTE 0x110000u

/*
 * Decodes the unit at bytes (remaining > 0): a well-formed sequence gives its
 * code point in *code_point and its length (1 to 4); any other byte gives
 * UTF8_STRAY_BYTE + byte and 1.
 */
size_t utf8_next(const char *bytes, size_t remaining, uint32_t *code_point);

/* True when the length bytes are well-formed UTF-8 (NUL, U+0000, is allowed). */
bool utf8_is_valid(const char *bytes, size_t length);

/* The offset of the first byte outside any well-formed sequence, or length when there is none. */
size_t utf8_first_invalid(const char *bytes, size_t length);

/* Code points in the length bytes, each stray byte counting as one. */
size_t utf8_count(const char *bytes, size_t length);

/* Code points in the NUL-terminated text, each stray byte counting as one. */
size_t utf8_count_text(const char *text);

/* What utf8_quote() writes for a byte outside any well-formed sequence: U+FFFD REPLACEMENT CHARACTER. */
#define UTF8_REPLACEMENT "\xef\xbf\xbd"

/*
 * Copies the length bytes of value into out (size > 0 bytes, always
 * NUL-terminated) for quoting in a message: whole characters only, as many
 * as fit in size - 1 bytes, each stray byte and each NUL written as
 * UTF8_REPLACEMENT. Returns the bytes written (without the NUL).
 */
size_t utf8_quote(char *out, size_t size, const char *value, size_t length);

#endif
