/*
 * task_token - the opaque callback tokens handed to tasks as $$.Task.Token.
 *
 * A token is standard base64 (like AWS's, with '+', '/' and '=') of:
 * a version byte, 16 random bytes (128 bits: unguessable), and the
 * execution's id "<stateMachineName>:<executionName>", so that the token
 * itself says which execution to look in. The random part alone decides
 * whether a token is the open one: the execution stores its open token and
 * a token is accepted only if it is equal.
 */
#ifndef TASK_TOKEN_H
#define TASK_TOKEN_H

#include <stddef.h>

/* AWS's limit on a task token's length. */
#define TASK_TOKEN_MAX_LENGTH 2048
/* State machine and execution names are at most 80 characters each. */
#define TASK_TOKEN_EXECUTION_ID_SIZE 162

/*
 * Creates a fresh token for the execution execution_id. Returns 0 and a
 * string the caller frees, or -EINVAL (id too long), -ENOMEM, or -errno
 * from the random source.
 */
__attribute__((warn_unused_result)) int task_token_create(const char *execution_id, char **token);

/*
 * Reads the execution id out of token into execution_id. Returns 0, or
 * -EINVAL when token is not one of ours (wrong length, not base64, wrong
 * version): the API answers that with InvalidToken.
 */
__attribute__((warn_unused_result)) int task_token_parse(const char *token,
                                                         char execution_id[TASK_TOKEN_EXECUTION_ID_SIZE]);

#endif
