/*
 * fuzz_input - what the fuzz targets share: splitting libFuzzer's bytes into
 * NUL-terminated texts, and a deterministic stand-in for random bytes.
 */
#ifndef FUZZ_INPUT_H
#define FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>

/* libFuzzer's entry point (each target defines it). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Copies data into two NUL-terminated texts, split at the first NUL byte
 * (second is "" when there is none). Returns a block the caller frees with
 * free() (first points at its start), or NULL when out of memory.
 */
char *fuzz_input_split(const uint8_t *data, size_t size, const char **first, const char **second);

/* Fills length bytes with a fixed pattern: the same input always gives the same UUIDs and random numbers. */
int fuzz_input_random_bytes(void *buffer, size_t length);

#endif
