/* md5 - see md5.h. Written from RFC 1321 §3. */
#include "md5.h"

#include <stdint.h>
#include <string.h>

struct md5_state {
    uint32_t a, b, c, d;
};

/* The per-round shift amounts and the sine-derived constants T[i] = floor(2^32 * |sin(i + 1)|). */
static const uint8_t shifts[64] = {
    7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
    5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20,
    4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
    6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
};

static const uint32_t sines[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};

static uint32_t rotate_left(uint32_t value, unsigned count)
{
    return (value << count) | (value >> (32 - count));
}

/* Processes one 64-byte block. */
static void md5_block(struct md5_state *state, const uint8_t block[64])
{
    uint32_t words[16];
    for (unsigned i = 0; i < 16; i++)
        words[i] = (uint32_t)block[i * 4] | (uint32_t)block[i * 4 + 1] << 8 | (uint32_t)block[i * 4 + 2] << 16
                   | (uint32_t)block[i * 4 + 3] << 24;
    uint32_t a = state->a, b = state->b, c = state->c, d = state->d;
    for (unsigned i = 0; i < 64; i++) {
        uint32_t mixed;
        unsigned word;
        if (i < 16) {
            mixed = (b & c) | (~b & d);
            word = i;
        } else if (i < 32) {
            mixed = (d & b) | (~d & c);
            word = (5 * i + 1) % 16;
        } else if (i < 48) {
            mixed = b ^ c ^ d;
            word = (3 * i + 5) % 16;
        } else {
            mixed = c ^ (b | ~d);
            word = (7 * i) % 16;
        }
        uint32_t rotated = b + rotate_left(a + mixed + sines[i] + words[word], shifts[i]);
        a = d;
        d = c;
        c = b;
        b = rotated;
    }
    state->a += a;
    state->b += b;
    state->c += c;
    state->d += d;
}

void md5_hex(const void *data, size_t length, char hex[MD5_HEX_SIZE])
{
    static const char digits[] = "0123456789abcdef";
    struct md5_state state = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476 };
    const uint8_t *bytes = data;
    size_t whole = length - length % 64;
    for (size_t offset = 0; offset < whole; offset += 64)
        md5_block(&state, bytes + offset);

    /* The tail, a 0x80 byte, zeros, and the length in bits (little-endian): one or two more blocks. */
    uint8_t tail[128] = { 0 };
    size_t rest = length - whole;
    if (rest)
        memcpy(tail, bytes + whole, rest);
    tail[rest] = 0x80;
    size_t tail_length = rest < 56 ? 64 : 128;
    uint64_t bits = (uint64_t)length * 8;
    for (unsigned i = 0; i < 8; i++)
        tail[tail_length - 8 + i] = (uint8_t)(bits >> (8 * i));
    for (size_t offset = 0; offset < tail_length; offset += 64)
        md5_block(&state, tail + offset);

    const uint32_t words[4] = { state.a, state.b, state.c, state.d };
    for (unsigned i = 0; i < 16; i++) {
        uint8_t byte = (uint8_t)(words[i / 4] >> (8 * (i % 4)));
        hex[2 * i] = digits[byte >> 4];
        hex[2 * i + 1] = digits[byte & 0x0f];
    }
    hex[32] = '\0';
}
