/* random_id - see random_id.h. */
#include "random_id.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>

/* Reads length bytes from the kernel's CSPRNG. */
static int read_kernel_random(uint8_t *bytes, size_t length)
{
    while (length > 0) {
        ssize_t got = getrandom(bytes, length, 0);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        bytes += got;
        length -= (size_t)got;
    }
    return 0;
}

/*
 * Bytes from the kernel are fetched RANDOM_POOL_BYTES at a time: a busy
 * server draws a few ids per request, and one getrandom() per id was a
 * tenth of its system calls. Each byte is handed out once and wiped from
 * the pool as it goes. Per thread, so threads never share bytes.
 */
#define RANDOM_POOL_BYTES 4096
static _Thread_local uint8_t random_pool[RANDOM_POOL_BYTES];
static _Thread_local size_t random_pool_left;

int random_id_fill(void *buffer, size_t length)
{
    uint8_t *bytes = buffer;
    if (length > RANDOM_POOL_BYTES / 4)
        return read_kernel_random(bytes, length);
    while (length > 0) {
        if (random_pool_left == 0) {
            int result = read_kernel_random(random_pool, RANDOM_POOL_BYTES);
            if (result < 0)
                return result;
            random_pool_left = RANDOM_POOL_BYTES;
        }
        size_t take = length < random_pool_left ? length : random_pool_left;
        uint8_t *from = random_pool + RANDOM_POOL_BYTES - random_pool_left;
        memcpy(bytes, from, take);
        memset(from, 0, take);
        random_pool_left -= take;
        bytes += take;
        length -= take;
    }
    return 0;
}

int random_id_nanoid(char out[RANDOM_ID_NANOID_SIZE])
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    uint8_t bytes[RANDOM_ID_NANOID_SIZE - 1];
    int result = random_id_fill(bytes, sizeof(bytes));
    if (result < 0)
        return result;
    /* 64 symbols: masking to 6 bits keeps the distribution uniform. */
    for (size_t i = 0; i < sizeof(bytes); i++)
        out[i] = alphabet[bytes[i] & 63];
    out[sizeof(bytes)] = '\0';
    return 0;
}

int random_id_uuid(char out[37])
{
    uint8_t b[16];
    int result = random_id_fill(b, sizeof(b));
    if (result < 0)
        return result;
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) { /* 8-4-4-4-12 hex digits, without printf's cost */
        *out++ = hex[b[i] >> 4];
        *out++ = hex[b[i] & 0x0f];
        if (i == 3 || i == 5 || i == 7 || i == 9)
            *out++ = '-';
    }
    *out = '\0';
    return 0;
}
