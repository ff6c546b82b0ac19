/* task_token - see task_token.h. */
#include "task_token.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "random_id.h"

#define TOKEN_VERSION 0x01        /* the root branch: the execution id */
#define TOKEN_VERSION_BRANCH 0x02 /* a child branch: the execution id, '|', the branch id */
#define RANDOM_BYTES 16
#define BRANCH_SEPARATOR '|'
/* The most bytes after the random ones. */
#define NAMES_SIZE (TASK_TOKEN_EXECUTION_ID_SIZE + TASK_TOKEN_BRANCH_ID_SIZE)

/* Whether branch (length bytes) is a child branch's id: digits, '.' and '/' only, not empty. */
static int branch_id_valid(const char *branch, size_t length)
{
    if (length == 0 || length >= TASK_TOKEN_BRANCH_ID_SIZE)
        return 0;
    for (size_t i = 0; i < length; i++) {
        if (!((branch[i] >= '0' && branch[i] <= '9') || branch[i] == '.' || branch[i] == '/'))
            return 0;
    }
    return 1;
}

int task_token_create_for_branch(const char *execution_id, const char *branch_id, char **token_out)
{
    size_t id_length = strlen(execution_id), branch_length = strlen(branch_id);
    uint8_t raw[1 + RANDOM_BYTES + NAMES_SIZE];
    size_t raw_length = 1 + RANDOM_BYTES + id_length;
    if (id_length == 0 || id_length >= TASK_TOKEN_EXECUTION_ID_SIZE || memchr(execution_id, BRANCH_SEPARATOR, id_length)
        || (branch_length > 0 && !branch_id_valid(branch_id, branch_length)))
        return -EINVAL;
    raw[0] = branch_length ? TOKEN_VERSION_BRANCH : TOKEN_VERSION;
    int result = random_id_fill(raw + 1, RANDOM_BYTES);
    if (result < 0)
        return result;
    memcpy(raw + 1 + RANDOM_BYTES, execution_id, id_length);
    if (branch_length) {
        raw[raw_length++] = BRANCH_SEPARATOR;
        memcpy(raw + raw_length, branch_id, branch_length);
        raw_length += branch_length;
    }
    char *token = malloc(base64_encoded_size(raw_length));
    if (!token)
        return -ENOMEM;
    base64_encode(raw, raw_length, token);
    *token_out = token;
    return 0;
}

int task_token_create(const char *execution_id, char **token_out)
{
    return task_token_create_for_branch(execution_id, "", token_out);
}

/* Whether id (length bytes) is an execution id a token may hold: "<machine>:<execution>", no NUL, no '|'. */
static int execution_id_valid(const uint8_t *id, size_t length)
{
    return length > 0 && length < TASK_TOKEN_EXECUTION_ID_SIZE && !memchr(id, '\0', length) && memchr(id, ':', length)
           && !memchr(id, BRANCH_SEPARATOR, length);
}

int task_token_parse_branch(const char *token, char execution_id[TASK_TOKEN_EXECUTION_ID_SIZE],
                            char branch_id[TASK_TOKEN_BRANCH_ID_SIZE])
{
    uint8_t raw[1 + RANDOM_BYTES + NAMES_SIZE];
    size_t raw_length;
    if (strlen(token) > TASK_TOKEN_MAX_LENGTH || base64_decode(token, raw, sizeof(raw), &raw_length) < 0)
        return -EINVAL;
    if (raw_length <= 1 + RANDOM_BYTES || (raw[0] != TOKEN_VERSION && raw[0] != TOKEN_VERSION_BRANCH))
        return -EINVAL;
    const uint8_t *names = raw + 1 + RANDOM_BYTES;
    size_t names_length = raw_length - 1 - RANDOM_BYTES, id_length = names_length;
    const uint8_t *separator = NULL;
    if (raw[0] == TOKEN_VERSION_BRANCH) {
        separator = memchr(names, BRANCH_SEPARATOR, names_length);
        if (!separator)
            return -EINVAL;
        id_length = (size_t)(separator - names);
    }
    size_t branch_length = names_length - id_length - (separator ? 1 : 0);
    if (!execution_id_valid(names, id_length)
        || (separator && !branch_id_valid((const char *)separator + 1, branch_length)))
        return -EINVAL;
    memcpy(execution_id, names, id_length);
    execution_id[id_length] = '\0';
    if (separator)
        memcpy(branch_id, separator + 1, branch_length);
    branch_id[branch_length] = '\0';
    return 0;
}

int task_token_parse(const char *token, char execution_id[TASK_TOKEN_EXECUTION_ID_SIZE])
{
    char id[TASK_TOKEN_EXECUTION_ID_SIZE], branch[TASK_TOKEN_BRANCH_ID_SIZE];
    if (task_token_parse_branch(token, id, branch) < 0 || branch[0])
        return -EINVAL;
    memcpy(execution_id, id, strlen(id) + 1);
    return 0;
}
