/* digest - see digest.h. */
#include "digest.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* The chaining value of any of the algorithms: 32-bit words for MD5, SHA-1 and SHA-256, 64-bit for the others. */
union chaining_value {
    uint32_t words32[8];
    uint64_t words64[8];
};

/* What the Merkle-Damgard driver needs to know about an algorithm. */
struct algorithm_shape {
    const char *name;
    size_t block_size;        /* 64 or 128 bytes */
    size_t length_field_size; /* the message length in bits closes the padding: 8 or 16 bytes */
    bool little_endian;       /* MD5 stores its length and words little-endian, SHA big-endian */
    size_t digest_size;
    void (*compress)(union chaining_value *value, const unsigned char *block);
    void (*initialize)(union chaining_value *value);
};

/* ---- byte order -------------------------------------------------------- */

static uint32_t load32_big(const unsigned char *bytes)
{
    return (uint32_t)bytes[0] << 24 | (uint32_t)bytes[1] << 16 | (uint32_t)bytes[2] << 8 | (uint32_t)bytes[3];
}

static uint32_t load32_little(const unsigned char *bytes)
{
    return (uint32_t)bytes[3] << 24 | (uint32_t)bytes[2] << 16 | (uint32_t)bytes[1] << 8 | (uint32_t)bytes[0];
}

static uint64_t load64_big(const unsigned char *bytes)
{
    return (uint64_t)load32_big(bytes) << 32 | load32_big(bytes + 4);
}

/* Stores the low `size` bytes of value, most significant first (big) or last (little). */
static void store_bytes(uint64_t value, size_t size, bool little_endian, unsigned char *out)
{
    for (size_t i = 0; i < size; i++) {
        size_t position = little_endian ? i : size - 1 - i;
        out[position] = (unsigned char)(value >> (8 * i));
    }
}

static uint32_t rotate_left32(uint32_t value, unsigned count)
{
    return value << count | value >> (32 - count);
}

static uint32_t rotate_right32(uint32_t value, unsigned count)
{
    return value >> count | value << (32 - count);
}

static uint64_t rotate_right64(uint64_t value, unsigned count)
{
    return value >> count | value << (64 - count);
}

/* ---- MD5 (RFC 1321) ---------------------------------------------------- */

static const uint32_t md5_constants[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};

static const unsigned md5_shifts[4][4] = { { 7, 12, 17, 22 }, { 5, 9, 14, 20 }, { 4, 11, 16, 23 }, { 6, 10, 15, 21 } };

static void md5_initialize(union chaining_value *value)
{
    static const uint32_t initial[4] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476 };
    memcpy(value->words32, initial, sizeof(initial));
}

static void md5_compress(union chaining_value *value, const unsigned char *block)
{
    uint32_t message[16];
    uint32_t a = value->words32[0], b = value->words32[1], c = value->words32[2], d = value->words32[3];

    for (unsigned i = 0; i < 16; i++)
        message[i] = load32_little(block + 4 * i);
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
        uint32_t rotated = rotate_left32(a + mixed + md5_constants[i] + message[word], md5_shifts[i / 16][i % 4]);
        a = d;
        d = c;
        c = b;
        b += rotated;
    }
    value->words32[0] += a;
    value->words32[1] += b;
    value->words32[2] += c;
    value->words32[3] += d;
}

/* ---- SHA-1 (FIPS 180-4, 6.1) ------------------------------------------- */

static void sha1_initialize(union chaining_value *value)
{
    static const uint32_t initial[5] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0 };
    memcpy(value->words32, initial, sizeof(initial));
}

static void sha1_compress(union chaining_value *value, const unsigned char *block)
{
    uint32_t schedule[80];
    uint32_t a = value->words32[0], b = value->words32[1], c = value->words32[2], d = value->words32[3],
             e = value->words32[4];

    for (unsigned t = 0; t < 16; t++)
        schedule[t] = load32_big(block + 4 * t);
    for (unsigned t = 16; t < 80; t++)
        schedule[t] = rotate_left32(schedule[t - 3] ^ schedule[t - 8] ^ schedule[t - 14] ^ schedule[t - 16], 1);
    for (unsigned t = 0; t < 80; t++) {
        uint32_t mixed, constant;
        if (t < 20) {
            mixed = (b & c) | (~b & d);
            constant = 0x5a827999;
        } else if (t < 40) {
            mixed = b ^ c ^ d;
            constant = 0x6ed9eba1;
        } else if (t < 60) {
            mixed = (b & c) | (b & d) | (c & d);
            constant = 0x8f1bbcdc;
        } else {
            mixed = b ^ c ^ d;
            constant = 0xca62c1d6;
        }
        uint32_t next = rotate_left32(a, 5) + mixed + e + constant + schedule[t];
        e = d;
        d = c;
        c = rotate_left32(b, 30);
        b = a;
        a = next;
    }
    value->words32[0] += a;
    value->words32[1] += b;
    value->words32[2] += c;
    value->words32[3] += d;
    value->words32[4] += e;
}

/* ---- SHA-256 (FIPS 180-4, 6.2) ----------------------------------------- */

static const uint32_t sha256_constants[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static void sha256_initialize(union chaining_value *value)
{
    static const uint32_t initial[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                         0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
    memcpy(value->words32, initial, sizeof(initial));
}

static void sha256_compress(union chaining_value *value, const unsigned char *block)
{
    uint32_t schedule[64], working[8];

    for (unsigned t = 0; t < 16; t++)
        schedule[t] = load32_big(block + 4 * t);
    for (unsigned t = 16; t < 64; t++) {
        uint32_t s0 =
            rotate_right32(schedule[t - 15], 7) ^ rotate_right32(schedule[t - 15], 18) ^ schedule[t - 15] >> 3;
        uint32_t s1 = rotate_right32(schedule[t - 2], 17) ^ rotate_right32(schedule[t - 2], 19) ^ schedule[t - 2] >> 10;
        schedule[t] = s1 + schedule[t - 7] + s0 + schedule[t - 16];
    }
    memcpy(working, value->words32, sizeof(working));
    for (unsigned t = 0; t < 64; t++) {
        uint32_t a = working[0], e = working[4];
        uint32_t sum1 = rotate_right32(e, 6) ^ rotate_right32(e, 11) ^ rotate_right32(e, 25);
        uint32_t choice = (e & working[5]) ^ (~e & working[6]);
        uint32_t first = working[7] + sum1 + choice + sha256_constants[t] + schedule[t];
        uint32_t sum0 = rotate_right32(a, 2) ^ rotate_right32(a, 13) ^ rotate_right32(a, 22);
        uint32_t majority = (a & working[1]) ^ (a & working[2]) ^ (working[1] & working[2]);
        memmove(working + 1, working, 7 * sizeof(working[0]));
        working[4] += first;
        working[0] = first + sum0 + majority;
    }
    for (unsigned i = 0; i < 8; i++)
        value->words32[i] += working[i];
}

/* ---- SHA-384 and SHA-512 (FIPS 180-4, 6.4 and 6.5) --------------------- */

static const uint64_t sha512_constants[80] = {
    0x428a2f98d728ae22, 0x7137449123ef65cd, 0xb5c0fbcfec4d3b2f, 0xe9b5dba58189dbbc, 0x3956c25bf348b538,
    0x59f111f1b605d019, 0x923f82a4af194f9b, 0xab1c5ed5da6d8118, 0xd807aa98a3030242, 0x12835b0145706fbe,
    0x243185be4ee4b28c, 0x550c7dc3d5ffb4e2, 0x72be5d74f27b896f, 0x80deb1fe3b1696b1, 0x9bdc06a725c71235,
    0xc19bf174cf692694, 0xe49b69c19ef14ad2, 0xefbe4786384f25e3, 0x0fc19dc68b8cd5b5, 0x240ca1cc77ac9c65,
    0x2de92c6f592b0275, 0x4a7484aa6ea6e483, 0x5cb0a9dcbd41fbd4, 0x76f988da831153b5, 0x983e5152ee66dfab,
    0xa831c66d2db43210, 0xb00327c898fb213f, 0xbf597fc7beef0ee4, 0xc6e00bf33da88fc2, 0xd5a79147930aa725,
    0x06ca6351e003826f, 0x142929670a0e6e70, 0x27b70a8546d22ffc, 0x2e1b21385c26c926, 0x4d2c6dfc5ac42aed,
    0x53380d139d95b3df, 0x650a73548baf63de, 0x766a0abb3c77b2a8, 0x81c2c92e47edaee6, 0x92722c851482353b,
    0xa2bfe8a14cf10364, 0xa81a664bbc423001, 0xc24b8b70d0f89791, 0xc76c51a30654be30, 0xd192e819d6ef5218,
    0xd69906245565a910, 0xf40e35855771202a, 0x106aa07032bbd1b8, 0x19a4c116b8d2d0c8, 0x1e376c085141ab53,
    0x2748774cdf8eeb99, 0x34b0bcb5e19b48a8, 0x391c0cb3c5c95a63, 0x4ed8aa4ae3418acb, 0x5b9cca4f7763e373,
    0x682e6ff3d6b2b8a3, 0x748f82ee5defb2fc, 0x78a5636f43172f60, 0x84c87814a1f0ab72, 0x8cc702081a6439ec,
    0x90befffa23631e28, 0xa4506cebde82bde9, 0xbef9a3f7b2c67915, 0xc67178f2e372532b, 0xca273eceea26619c,
    0xd186b8c721c0c207, 0xeada7dd6cde0eb1e, 0xf57d4f7fee6ed178, 0x06f067aa72176fba, 0x0a637dc5a2c898a6,
    0x113f9804bef90dae, 0x1b710b35131c471b, 0x28db77f523047d84, 0x32caab7b40c72493, 0x3c9ebe0a15c9bebc,
    0x431d67c49c100d4c, 0x4cc5d4becb3e42b6, 0x597f299cfc657e2a, 0x5fcb6fab3ad6faec, 0x6c44198c4a475817,
};

static void sha384_initialize(union chaining_value *value)
{
    static const uint64_t initial[8] = {
        0xcbbb9d5dc1059ed8, 0x629a292a367cd507, 0x9159015a3070dd17, 0x152fecd8f70e5939,
        0x67332667ffc00b31, 0x8eb44a8768581511, 0xdb0c2e0d64f98fa7, 0x47b5481dbefa4fa4
    };
    memcpy(value->words64, initial, sizeof(initial));
}

static void sha512_initialize(union chaining_value *value)
{
    static const uint64_t initial[8] = {
        0x6a09e667f3bcc908, 0xbb67ae8584caa73b, 0x3c6ef372fe94f82b, 0xa54ff53a5f1d36f1,
        0x510e527fade682d1, 0x9b05688c2b3e6c1f, 0x1f83d9abfb41bd6b, 0x5be0cd19137e2179
    };
    memcpy(value->words64, initial, sizeof(initial));
}

static void sha512_compress(union chaining_value *value, const unsigned char *block)
{
    uint64_t schedule[80], working[8];

    for (unsigned t = 0; t < 16; t++)
        schedule[t] = load64_big(block + 8 * t);
    for (unsigned t = 16; t < 80; t++) {
        uint64_t s0 = rotate_right64(schedule[t - 15], 1) ^ rotate_right64(schedule[t - 15], 8) ^ schedule[t - 15] >> 7;
        uint64_t s1 = rotate_right64(schedule[t - 2], 19) ^ rotate_right64(schedule[t - 2], 61) ^ schedule[t - 2] >> 6;
        schedule[t] = s1 + schedule[t - 7] + s0 + schedule[t - 16];
    }
    memcpy(working, value->words64, sizeof(working));
    for (unsigned t = 0; t < 80; t++) {
        uint64_t a = working[0], e = working[4];
        uint64_t sum1 = rotate_right64(e, 14) ^ rotate_right64(e, 18) ^ rotate_right64(e, 41);
        uint64_t choice = (e & working[5]) ^ (~e & working[6]);
        uint64_t first = working[7] + sum1 + choice + sha512_constants[t] + schedule[t];
        uint64_t sum0 = rotate_right64(a, 28) ^ rotate_right64(a, 34) ^ rotate_right64(a, 39);
        uint64_t majority = (a & working[1]) ^ (a & working[2]) ^ (working[1] & working[2]);
        memmove(working + 1, working, 7 * sizeof(working[0]));
        working[4] += first;
        working[0] = first + sum0 + majority;
    }
    for (unsigned i = 0; i < 8; i++)
        value->words64[i] += working[i];
}

/* ---- the driver -------------------------------------------------------- */

static const struct algorithm_shape shapes[] = {
    [DIGEST_MD5] = { "MD5", 64, 8, true, 16, md5_compress, md5_initialize },
    [DIGEST_SHA1] = { "SHA-1", 64, 8, false, 20, sha1_compress, sha1_initialize },
    [DIGEST_SHA256] = { "SHA-256", 64, 8, false, 32, sha256_compress, sha256_initialize },
    [DIGEST_SHA384] = { "SHA-384", 128, 16, false, 48, sha512_compress, sha384_initialize },
    [DIGEST_SHA512] = { "SHA-512", 128, 16, false, 64, sha512_compress, sha512_initialize },
};

int digest_algorithm_from_name(const char *name, enum digest_algorithm *algorithm)
{
    for (size_t i = 0; name && i < sizeof(shapes) / sizeof(shapes[0]); i++) {
        if (strcmp(name, shapes[i].name) == 0) {
            *algorithm = (enum digest_algorithm)i;
            return 0;
        }
    }
    return -EINVAL;
}

size_t digest_size(enum digest_algorithm algorithm)
{
    return shapes[algorithm].digest_size;
}

/*
 * Compresses the whole blocks of the message, then the padding: the rest of
 * the message, 0x80, zeros, and the length in bits, in one or two blocks.
 */
static void compress_message(const struct algorithm_shape *shape, union chaining_value *value,
                             const unsigned char *data, size_t length, size_t length_before)
{
    unsigned char tail[2 * 128];
    size_t whole = length - length % shape->block_size;
    size_t rest = length - whole;
    size_t tail_size =
        rest + 1 + shape->length_field_size <= shape->block_size ? shape->block_size : 2 * shape->block_size;
    uint64_t length64 = (uint64_t)length + (uint64_t)length_before;
    unsigned char *length_field = tail + tail_size - shape->length_field_size;

    for (size_t offset = 0; offset < whole; offset += shape->block_size)
        shape->compress(value, data + offset);
    memset(tail, 0, tail_size);
    if (rest > 0)
        memcpy(tail, data + whole, rest);
    tail[rest] = 0x80;
    if (shape->length_field_size == 16) /* the top 64 bits of a 128-bit length in bits, then the bottom 64 */
        store_bytes(length64 >> 61, 8, false, length_field);
    store_bytes(length64 << 3, 8, shape->little_endian, tail + tail_size - 8);
    for (size_t offset = 0; offset < tail_size; offset += shape->block_size)
        shape->compress(value, tail + offset);
}

/* Writes the chaining value as the digest's bytes. */
static void store_digest(const struct algorithm_shape *shape, const union chaining_value *value,
                         unsigned char out[DIGEST_MAX_SIZE])
{
    bool wide = shape->block_size == 128;
    size_t word_size = wide ? 8 : 4;

    for (size_t i = 0; i < shape->digest_size / word_size; i++) {
        uint64_t word = wide ? value->words64[i] : value->words32[i];
        store_bytes(word, word_size, shape->little_endian, out + i * word_size);
    }
}

/* The digest of one block (already compressed: the HMAC's padded key), then length bytes of data. */
static void compute_after_block(const struct algorithm_shape *shape, const unsigned char *block, const void *data,
                                size_t length, unsigned char out[DIGEST_MAX_SIZE])
{
    union chaining_value value;

    shape->initialize(&value);
    shape->compress(&value, block);
    compress_message(shape, &value, data, length, shape->block_size);
    store_digest(shape, &value, out);
}

void digest_compute(enum digest_algorithm algorithm, const void *data, size_t length,
                    unsigned char out[DIGEST_MAX_SIZE])
{
    const struct algorithm_shape *shape = &shapes[algorithm];
    union chaining_value value;

    shape->initialize(&value);
    compress_message(shape, &value, data, length, 0);
    store_digest(shape, &value, out);
}

void digest_hmac(enum digest_algorithm algorithm, const void *key, size_t key_length, const void *data, size_t length,
                 unsigned char out[DIGEST_MAX_SIZE])
{
    const struct algorithm_shape *shape = &shapes[algorithm];
    unsigned char padded_key[128] = { 0 }, block[128], inner[DIGEST_MAX_SIZE];

    if (key_length > shape->block_size)
        digest_compute(algorithm, key, key_length, padded_key);
    else if (key_length > 0)
        memcpy(padded_key, key, key_length);
    for (size_t i = 0; i < shape->block_size; i++)
        block[i] = padded_key[i] ^ 0x36;
    compute_after_block(shape, block, data, length, inner);
    for (size_t i = 0; i < shape->block_size; i++)
        block[i] = padded_key[i] ^ 0x5c;
    compute_after_block(shape, block, inner, shape->digest_size, out);
}

void digest_hex(enum digest_algorithm algorithm, const void *data, size_t length, char out[DIGEST_MAX_HEX_SIZE])
{
    static const char hex_digits[] = "0123456789abcdef";
    unsigned char digest[DIGEST_MAX_SIZE];
    size_t size = digest_size(algorithm);

    digest_compute(algorithm, data, length, digest);
    for (size_t i = 0; i < size; i++) {
        out[2 * i] = hex_digits[digest[i] >> 4];
        out[2 * i + 1] = hex_digits[digest[i] & 15];
    }
    out[2 * size] = '\0';
}
