/*
 * task_token - the opaque callback tokens handed to tasks as $$.Task.Token.
 *
 * A token is standard base64 (like AWS's, with '+', '/' and '=') of:
 * a version byte, 16 random bytes (128 bits: unguessable), and the
 * execution's id "<stateMachineName>:<executionName>" (version 1: a task of
 * the root branch), or that id, '|' and a child branch's id (version 2; see
 * docs/execution-model.md, "Branch ids"), so that the token itself says
 * which execution and branch to look in. A branch id is digits, '.' and '/',
 * at most 8 nestings of "<state>.<index>/" (~90 bytes), so a token stays far
 * below TASK_TOKEN_MAX_LENGTH. The random part alone decides
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
/* Room for a branch id (and its NUL). */
#define TASK_TOKEN_BRANCH_ID_SIZE 128

/*
 * Creates a fresh token for the execution execution_id. Returns 0 and a
 * string the caller frees, or -EINVAL (id too long), -ENOMEM, or -errno
 * from the random source.
 */
__attribute__((warn_unused_result)) int task_token_create(const char *execution_id, char **token);

/*
 * Creates a fresh token for the branch branch_id ("" the root: the same
 * token as task_token_create()) of execution_id. Same returns; -EINVAL also
 * for a branch id of other characters than digits, '.' and '/', or too long.
 */
__attribute__((warn_unused_result)) int task_token_create_for_branch(const char *execution_id, const char *branch_id,
                                                                     char **token);

/*
 * Reads the execution id and the branch id ("" for a root task's token, a
 * version 1 one) out of token. Returns 0, or -EINVAL when token is not one
 * of ours (wrong length, not base64, wrong version, bad ids): the API
 * answers that with InvalidToken. Nothing is written on failure.
 */
__attribute__((warn_unused_result)) int task_token_parse_branch(const char *token,
                                                                char execution_id[TASK_TOKEN_EXECUTION_ID_SIZE],
                                                                char branch_id[TASK_TOKEN_BRANCH_ID_SIZE]);

/*
 * Reads the execution id out of a root task's token into execution_id.
 * Returns 0, or -EINVAL when token is not one of ours (as above) or names
 * a child branch (a caller that knows no branches never takes a child's
 * token for the root's).
 */
__attribute__((warn_unused_result)) int task_token_parse(const char *token,
                                                         char execution_id[TASK_TOKEN_EXECUTION_ID_SIZE]);

#endif
