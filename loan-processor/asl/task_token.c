/* task_token - see task_token.h. */
#include "task_token.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "random_id.h"

#define TOKEN_VERSION 0x01
#define RANDOM_BYTES 16

int task_token_create(const char *execution_id, char **token_out)
{
    size_t id_length = strlen(execution_id);
    uint8_t raw[1 + RANDOM_BYTES + TASK_TOKEN_EXECUTION_ID_SIZE];
    if (id_length == 0 || id_length >= TASK_TOKEN_EXECUTION_ID_SIZE)
        return -EINVAL;
    raw[0] = TOKEN_VERSION;
    int result = random_id_fill(raw + 1, RANDOM_BYTES);
    if (result < 0)
        return result;
    memcpy(raw + 1 + RANDOM_BYTES, execution_id, id_length);
    size_t raw_length = 1 + RANDOM_BYTES + id_length;
    char *token = malloc(base64_encoded_size(raw_length));
    if (!token)
        return -ENOMEM;
    base64_encode(raw, raw_length, token);
    *token_out = token;
    return 0;
}

int task_token_parse(const char *token, char execution_id[TASK_TOKEN_EXECUTION_ID_SIZE])
{
    uint8_t raw[1 + RANDOM_BYTES + TASK_TOKEN_EXECUTION_ID_SIZE];
    size_t raw_length;
    if (strlen(token) > TASK_TOKEN_MAX_LENGTH || base64_decode(token, raw, sizeof(raw), &raw_length) < 0)
        return -EINVAL;
    if (raw_length <= 1 + RANDOM_BYTES || raw[0] != TOKEN_VERSION)
        return -EINVAL;
    size_t id_length = raw_length - 1 - RANDOM_BYTES;
    if (id_length >= TASK_TOKEN_EXECUTION_ID_SIZE || memchr(raw + 1 + RANDOM_BYTES, '\0', id_length)
        || !memchr(raw + 1 + RANDOM_BYTES, ':', id_length))
        return -EINVAL;
    memcpy(execution_id, raw + 1 + RANDOM_BYTES, id_length);
    execution_id[id_length] = '\0';
    return 0;
}
