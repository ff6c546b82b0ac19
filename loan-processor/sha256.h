/*
 * sha256 - the SHA-256 digest (FIPS 180-4) of a byte string, as lower-case
 * hex. Pure: no I/O. Used to name state machine definitions by their
 * content, so that an execution can record exactly which definition it runs.
 */
#ifndef SHA256_H
#define SHA256_H

#include <stddef.h>

/* 64 hex digits plus the terminating NUL. */
#define SHA256_HEX_SIZE 65

/* Writes the SHA-256 of the length bytes at data into out as 64 lower-case hex digits. */
void sha256_hex(const void *data, size_t length, char out[SHA256_HEX_SIZE]);

#endif
