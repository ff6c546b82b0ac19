#include "fuzz_input.h"

#include <stdlib.h>
#include <string.h>

char *fuzz_input_split(const uint8_t *data, size_t size, const char **first, const char **second)
{
    /* Two terminators: one for the first text, one for the second (empty when data has no NUL). */
    char *block = malloc(size + 2);
    if (!block)
        return NULL;
    if (size)
        memcpy(block, data, size);
    block[size] = '\0';
    block[size + 1] = '\0';
    size_t first_length = strlen(block);
    *first = block;
    *second = block + first_length + 1;
    return block;
}

int fuzz_input_random_bytes(void *buffer, size_t length)
{
    unsigned char *bytes = buffer;
    for (size_t i = 0; i < length; i++)
        bytes[i] = (unsigned char)(i * 37 + 11);
    return 0;
}
