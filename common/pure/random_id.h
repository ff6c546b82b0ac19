/*
 * random_id - unguessable identifiers from the kernel's CSPRNG (getrandom).
 */
#ifndef RANDOM_ID_H
#define RANDOM_ID_H

#include <stddef.h>

/* nanoid's default: 21 characters of A-Za-z0-9_- (126 random bits), plus NUL. */
#define RANDOM_ID_NANOID_SIZE 22

/* Fills buffer with length bytes from the kernel's CSPRNG (through a per-thread pool, see random_id.c). Returns 0 or -errno (buffer undefined). */
__attribute__((warn_unused_result)) int random_id_fill(void *buffer, size_t length);

/* Writes a 21-character nanoid-style id into out. Returns 0 or -errno. */
__attribute__((warn_unused_result)) int random_id_nanoid(char out[RANDOM_ID_NANOID_SIZE]);

/* Writes a random RFC 4122 version-4 UUID (36 characters + NUL) into out. */
__attribute__((warn_unused_result)) int random_id_uuid(char out[37]);

#endif
