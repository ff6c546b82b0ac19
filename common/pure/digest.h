/*
 * digest - message digests: MD5 (RFC 1321), SHA-1, SHA-256, SHA-384 and
 * SHA-512 (FIPS 180-4), the algorithms of the States.Hash intrinsic, and
 * their HMAC (RFC 2104), which signs the valuation service's callbacks.
 *
 * Pure: no I/O, no allocation, no global state. One-shot only: the whole
 * message is in memory (States.Hash hashes at most 10,000 characters).
 */
#ifndef DIGEST_H
#define DIGEST_H

#include <stddef.h>

enum digest_algorithm {
    DIGEST_MD5,
    DIGEST_SHA1,
    DIGEST_SHA256,
    DIGEST_SHA384,
    DIGEST_SHA512,
};

/* The longest digest (SHA-512) in bytes, and as lower-case hex with its NUL. */
#define DIGEST_MAX_SIZE 64
#define DIGEST_MAX_HEX_SIZE (2 * DIGEST_MAX_SIZE + 1)

/*
 * Finds an algorithm by its name as States.Hash spells it: "MD5", "SHA-1",
 * "SHA-256", "SHA-384" or "SHA-512" (case-sensitive). Returns 0, or -EINVAL
 * for another name (or NULL).
 */
__attribute__((warn_unused_result)) int digest_algorithm_from_name(const char *name, enum digest_algorithm *algorithm);

/* The digest's size in bytes: 16, 20, 32, 48 or 64. */
size_t digest_size(enum digest_algorithm algorithm);

/* Writes the digest of length bytes of data into out (digest_size(algorithm) bytes). */
void digest_compute(enum digest_algorithm algorithm, const void *data, size_t length,
                    unsigned char out[DIGEST_MAX_SIZE]);

/*
 * Writes the HMAC (RFC 2104) of length bytes of data under the key
 * (key_length bytes, any length) into out (digest_size(algorithm) bytes).
 */
void digest_hmac(enum digest_algorithm algorithm, const void *key, size_t key_length, const void *data, size_t length,
                 unsigned char out[DIGEST_MAX_SIZE]);

/* Writes the digest as lower-case hex, NUL-terminated, into out. */
void digest_hex(enum digest_algorithm algorithm, const void *data, size_t length, char out[DIGEST_MAX_HEX_SIZE]);

#endif
