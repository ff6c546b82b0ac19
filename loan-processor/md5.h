/*
 * md5 - the MD5 message digest (RFC 1321), for the digests Amazon SQS
 * answers with (MD5OfMessageBody). Not for anything security-related. Pure.
 */
#ifndef MD5_H
#define MD5_H

#include <stddef.h>

/* 32 lower-case hex digits and a NUL. */
#define MD5_HEX_SIZE 33

/* Writes the MD5 digest of length bytes of data into hex as lower-case hex digits. */
void md5_hex(const void *data, size_t length, char hex[MD5_HEX_SIZE]);

#endif
