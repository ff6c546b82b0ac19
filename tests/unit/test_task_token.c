/*
 * test_task_token.c - unit tests for loan-processor/task_token.c
 */
#include "task_token.h"
#include "test.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "base64.h"

#define EXECUTION_ID "LoanProcessor:2b1c3f0e-6d2a-4b8e-9f1a-0c7d5e4b3a21"

/* Base64 of version, 16 "random" bytes and id (of id_length bytes): a hand-made token. */
static void forge_token(uint8_t version, const char *id, size_t id_length, char *out)
{
    uint8_t raw[1 + 16 + 300];
    raw[0] = version;
    for (int i = 0; i < 16; i++)
        raw[1 + i] = (uint8_t)(0xa0 + i);
    memcpy(raw + 17, id, id_length);
    base64_encode(raw, 17 + id_length, out);
}

static void test_create_parse_round_trip(void)
{
    char *token = NULL;
    char execution_id[TASK_TOKEN_EXECUTION_ID_SIZE] = "";
    int rc_create = task_token_create(EXECUTION_ID, &token);
    int rc_parse = token ? task_token_parse(token, execution_id) : -1;

    free(token);
    ASSERT_EQ_INT(0, rc_create);
    ASSERT_EQ_INT(0, rc_parse);
    ASSERT_EQ_STR(EXECUTION_ID, execution_id);
}

static void test_token_is_base64_within_aws_limit(void)
{
    char *token = NULL;
    uint8_t raw[512];
    size_t raw_length = 0;
    int rc_create = task_token_create(EXECUTION_ID, &token);
    size_t length = token ? strlen(token) : 0;
    size_t base64_characters =
        token ? strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") : 0;
    int rc_decode = token ? base64_decode(token, raw, sizeof(raw), &raw_length) : -1;

    free(token);
    ASSERT_EQ_INT(0, rc_create);
    ASSERT_TRUE(length > 0 && length <= TASK_TOKEN_MAX_LENGTH);
    ASSERT_EQ_INT(length, base64_characters);
    ASSERT_EQ_INT(0, rc_decode);
    /* version byte, 16 random bytes, then the execution id */
    ASSERT_EQ_INT(1 + 16 + strlen(EXECUTION_ID), raw_length);
    ASSERT_EQ_INT(0x01, raw[0]);
    ASSERT_TRUE(memcmp(raw + 17, EXECUTION_ID, strlen(EXECUTION_ID)) == 0);
}

static void test_longest_execution_id_fits(void)
{
    /* 80-character state machine name, ':', 80-character execution name. */
    char id[TASK_TOKEN_EXECUTION_ID_SIZE];
    char parsed[TASK_TOKEN_EXECUTION_ID_SIZE] = "";
    char *token = NULL;
    memset(id, 'm', 80);
    id[80] = ':';
    memset(id + 81, 'e', 80);
    id[161] = '\0';
    int rc_create = task_token_create(id, &token);
    size_t length = token ? strlen(token) : 0;
    int rc_parse = token ? task_token_parse(token, parsed) : -1;

    free(token);
    ASSERT_EQ_INT(0, rc_create);
    ASSERT_TRUE(length <= TASK_TOKEN_MAX_LENGTH);
    ASSERT_EQ_INT(0, rc_parse);
    ASSERT_EQ_STR(id, parsed);
}

static void test_create_rejects_empty_and_too_long_ids(void)
{
    char id[TASK_TOKEN_EXECUTION_ID_SIZE + 1];
    char *token = NULL;
    memset(id, 'x', sizeof(id) - 1);
    id[40] = ':';
    id[TASK_TOKEN_EXECUTION_ID_SIZE] = '\0'; /* 162 characters: one too many */

    ASSERT_EQ_INT(-EINVAL, task_token_create("", &token));
    ASSERT_EQ_INT(-EINVAL, task_token_create(id, &token));
    ASSERT_NULL(token);
}

static void test_two_tokens_for_one_execution_differ(void)
{
    char *first = NULL, *second = NULL;
    char first_id[TASK_TOKEN_EXECUTION_ID_SIZE] = "", second_id[TASK_TOKEN_EXECUTION_ID_SIZE] = "";
    int rc_first = task_token_create(EXECUTION_ID, &first);
    int rc_second = task_token_create(EXECUTION_ID, &second);
    bool differ = first && second && strcmp(first, second) != 0;
    if (first && task_token_parse(first, first_id) < 0)
        first_id[0] = '\0';
    if (second && task_token_parse(second, second_id) < 0)
        second_id[0] = '\0';

    free(first);
    free(second);
    ASSERT_EQ_INT(0, rc_first);
    ASSERT_EQ_INT(0, rc_second);
    ASSERT_TRUE(differ);
    ASSERT_EQ_STR(EXECUTION_ID, first_id);
    ASSERT_EQ_STR(EXECUTION_ID, second_id);
}

static void test_parse_accepts_a_forged_token_of_the_right_shape(void)
{
    char token[512];
    char id[TASK_TOKEN_EXECUTION_ID_SIZE] = "";

    forge_token(0x01, "sm:exec", 7, token);
    ASSERT_EQ_INT(0, task_token_parse(token, id));
    ASSERT_EQ_STR("sm:exec", id);
}

static void test_parse_rejects_what_is_not_a_token(void)
{
    char id[TASK_TOKEN_EXECUTION_ID_SIZE] = "untouched";

    ASSERT_EQ_INT(-EINVAL, task_token_parse("NoSuchTaskToken", id));
    ASSERT_EQ_INT(-EINVAL, task_token_parse("", id));
    ASSERT_EQ_INT(-EINVAL, task_token_parse("not base64!", id));
    ASSERT_EQ_INT(-EINVAL, task_token_parse("AQID-_-_", id)); /* base64url, not base64 */
    ASSERT_EQ_INT(-EINVAL, task_token_parse("AQIDBA==\n", id));
    ASSERT_EQ_STR("untouched", id);
}

static void test_parse_rejects_wrong_version(void)
{
    char token[512];
    char id[TASK_TOKEN_EXECUTION_ID_SIZE] = "untouched";

    forge_token(0x02, "sm:exec", 7, token);
    ASSERT_EQ_INT(-EINVAL, task_token_parse(token, id));
    forge_token(0x00, "sm:exec", 7, token);
    ASSERT_EQ_INT(-EINVAL, task_token_parse(token, id));
    ASSERT_EQ_STR("untouched", id);
}

static void test_parse_rejects_bad_execution_ids(void)
{
    char token[512];
    char long_id[300];
    char id[TASK_TOKEN_EXECUTION_ID_SIZE] = "untouched";

    forge_token(0x01, "smexec", 6, token); /* no ':' */
    ASSERT_EQ_INT(-EINVAL, task_token_parse(token, id));
    forge_token(0x01, "", 0, token); /* no id at all */
    ASSERT_EQ_INT(-EINVAL, task_token_parse(token, id));
    forge_token(0x01, "sm:e\0x", 6, token); /* NUL inside the id */
    ASSERT_EQ_INT(-EINVAL, task_token_parse(token, id));
    memset(long_id, 'a', sizeof(long_id));
    long_id[10] = ':';
    forge_token(0x01, long_id, TASK_TOKEN_EXECUTION_ID_SIZE, token); /* id of 162 bytes */
    ASSERT_EQ_INT(-EINVAL, task_token_parse(token, id));
    forge_token(0x01, long_id, sizeof(long_id), token);
    ASSERT_EQ_INT(-EINVAL, task_token_parse(token, id));
    ASSERT_EQ_STR("untouched", id);
}

static void test_parse_rejects_a_truncated_token(void)
{
    char *token = NULL;
    char id[TASK_TOKEN_EXECUTION_ID_SIZE] = "untouched";
    int rc_create = task_token_create(EXECUTION_ID, &token);
    int rc_parse = -1;
    if (token) {
        token[strlen(token) - 1] = '\0'; /* a copy-and-paste that lost a character */
        rc_parse = task_token_parse(token, id);
    }

    free(token);
    ASSERT_EQ_INT(0, rc_create);
    ASSERT_EQ_INT(-EINVAL, rc_parse);
    ASSERT_EQ_STR("untouched", id);
}

static void test_parse_rejects_over_2048_characters(void)
{
    char *token = malloc(TASK_TOKEN_MAX_LENGTH + 5);
    char id[TASK_TOKEN_EXECUTION_ID_SIZE] = "";
    int rc = -1;
    if (token) {
        forge_token(0x01, "sm:exec", 7, token);
        size_t length = strlen(token);
        /* Pad with "AAAA" groups past the limit: still base64, just too long. */
        while (length <= TASK_TOKEN_MAX_LENGTH) {
            memcpy(token + length, "AAAA", 4);
            length += 4;
        }
        token[length] = '\0';
        rc = task_token_parse(token, id);
    }
    free(token);
    ASSERT_EQ_INT(-EINVAL, rc);
}

/* Only the exact form the server issues: padded, standard alphabet, nothing after it. */
static void test_parse_accepts_only_the_issued_form(void)
{
    char *token = NULL;
    char id[TASK_TOKEN_EXECUTION_ID_SIZE] = "untouched";
    char variant[TASK_TOKEN_MAX_LENGTH + 8];
    ASSERT_EQ_INT(0, task_token_create("sm:exec1", &token)); /* 25 bytes: ends in "==" */
    size_t length = strlen(token);
    int rc_issued = task_token_parse(token, id);
    snprintf(variant, sizeof(variant), "%.*s", (int)(length - 2), token);
    int rc_unpadded = task_token_parse(variant, id);
    snprintf(variant, sizeof(variant), "%s=", token);
    int rc_extra_padding = task_token_parse(variant, id);
    snprintf(variant, sizeof(variant), "%sAAAA", token);
    int rc_trailing = task_token_parse(variant, id);
    snprintf(variant, sizeof(variant), "%s", token);
    for (char *c = variant; *c; c++)
        *c = *c == '+' ? '-' : *c == '/' ? '_' : *c;
    int rc_url_safe = strcmp(variant, token) != 0 ? task_token_parse(variant, id) : -EINVAL;
    free(token);
    ASSERT_EQ_INT(0, rc_issued);
    ASSERT_EQ_STR("sm:exec1", id);
    ASSERT_EQ_INT(-EINVAL, rc_unpadded);
    ASSERT_EQ_INT(-EINVAL, rc_extra_padding);
    ASSERT_EQ_INT(-EINVAL, rc_trailing);
    ASSERT_EQ_INT(-EINVAL, rc_url_safe);
}

static void test_branch_token_round_trip(void)
{
    char *token = NULL, *root = NULL;
    char id[TASK_TOKEN_EXECUTION_ID_SIZE] = "", branch[TASK_TOKEN_BRANCH_ID_SIZE] = "x";
    char root_id[TASK_TOKEN_EXECUTION_ID_SIZE] = "", root_branch[TASK_TOKEN_BRANCH_ID_SIZE] = "x";
    char old_id[TASK_TOKEN_EXECUTION_ID_SIZE] = "untouched";
    int rc_create = task_token_create_for_branch(EXECUTION_ID, "4.0/9.17", &token);
    int rc_parse = token ? task_token_parse_branch(token, id, branch) : -1;
    int rc_old = token ? task_token_parse(token, old_id) : -1;
    int rc_root = task_token_create_for_branch(EXECUTION_ID, "", &root);
    int rc_root_parse = root ? task_token_parse_branch(root, root_id, root_branch) : -1;
    uint8_t raw[512];
    size_t raw_length = 0;
    int rc_decode = root ? base64_decode(root, raw, sizeof(raw), &raw_length) : -1;

    free(token);
    free(root);
    ASSERT_EQ_INT(0, rc_create);
    ASSERT_EQ_INT(0, rc_parse);
    ASSERT_EQ_STR(EXECUTION_ID, id);
    ASSERT_EQ_STR("4.0/9.17", branch);
    ASSERT_EQ_INT(-EINVAL, rc_old); /* a caller that knows no branches never takes it for the root's */
    ASSERT_EQ_STR("untouched", old_id);
    ASSERT_EQ_INT(0, rc_root);
    ASSERT_EQ_INT(0, rc_root_parse);
    ASSERT_EQ_STR(EXECUTION_ID, root_id);
    ASSERT_EQ_STR("", root_branch);
    ASSERT_EQ_INT(0, rc_decode); /* the root's token is today's: version 1 */
    ASSERT_EQ_INT(0x01, raw[0]);
    ASSERT_EQ_INT(1 + 16 + strlen(EXECUTION_ID), raw_length);
}

static void test_old_tokens_parse_with_the_root_branch(void)
{
    char token[512];
    char id[TASK_TOKEN_EXECUTION_ID_SIZE] = "", branch[TASK_TOKEN_BRANCH_ID_SIZE] = "x";

    forge_token(0x01, "sm:exec", 7, token);
    ASSERT_EQ_INT(0, task_token_parse_branch(token, id, branch));
    ASSERT_EQ_STR("sm:exec", id);
    ASSERT_EQ_STR("", branch);
}

static void test_deepest_branch_token_fits_the_limit(void)
{
    char id[TASK_TOKEN_EXECUTION_ID_SIZE], deep[TASK_TOKEN_BRANCH_ID_SIZE] = "";
    char parsed[TASK_TOKEN_EXECUTION_ID_SIZE] = "", branch[TASK_TOKEN_BRANCH_ID_SIZE] = "";
    char *token = NULL;
    memset(id, 'm', 80);
    id[80] = ':';
    memset(id + 81, 'e', 80);
    id[161] = '\0';
    for (int level = 0; level < 8; level++) /* 8 nestings of a 4-digit state and a 5-digit index */
        snprintf(deep + strlen(deep), sizeof(deep) - strlen(deep), "%s9999.99999", level ? "/" : "");
    int rc_create = task_token_create_for_branch(id, deep, &token);
    size_t length = token ? strlen(token) : 0;
    int rc_parse = token ? task_token_parse_branch(token, parsed, branch) : -1;

    free(token);
    ASSERT_EQ_INT(0, rc_create);
    ASSERT_TRUE(length > 0 && length <= TASK_TOKEN_MAX_LENGTH);
    ASSERT_EQ_INT(0, rc_parse);
    ASSERT_EQ_STR(id, parsed);
    ASSERT_EQ_STR(deep, branch);
}

static void test_branch_tokens_refuse_bad_branch_ids(void)
{
    char token[512], *made = NULL;
    char id[TASK_TOKEN_EXECUTION_ID_SIZE] = "untouched", branch[TASK_TOKEN_BRANCH_ID_SIZE] = "untouched";
    char long_branch[TASK_TOKEN_BRANCH_ID_SIZE + 1];
    memset(long_branch, '1', TASK_TOKEN_BRANCH_ID_SIZE);
    long_branch[TASK_TOKEN_BRANCH_ID_SIZE] = '\0';

    ASSERT_EQ_INT(-EINVAL, task_token_create_for_branch("sm:exec", "4.a", &made));
    ASSERT_EQ_INT(-EINVAL, task_token_create_for_branch("sm:exec", "4|0", &made));
    ASSERT_EQ_INT(-EINVAL, task_token_create_for_branch("sm|x:exec", "4.0", &made));
    ASSERT_EQ_INT(-EINVAL, task_token_create_for_branch("sm:exec", long_branch, &made));
    ASSERT_TRUE(made == NULL);
    forge_token(0x02, "sm:exec|", 8, token); /* an empty branch id */
    ASSERT_EQ_INT(-EINVAL, task_token_parse_branch(token, id, branch));
    forge_token(0x02, "sm:exec|4.x", 11, token);
    ASSERT_EQ_INT(-EINVAL, task_token_parse_branch(token, id, branch));
    forge_token(0x02, "sm:exec|4.0|1", 13, token);
    ASSERT_EQ_INT(-EINVAL, task_token_parse_branch(token, id, branch));
    forge_token(0x02, "smexec|4.0", 10, token); /* no ':' in the execution id */
    ASSERT_EQ_INT(-EINVAL, task_token_parse_branch(token, id, branch));
    forge_token(0x01, "sm:exec|4.0", 11, token); /* a '|' in a version 1 token */
    ASSERT_EQ_INT(-EINVAL, task_token_parse_branch(token, id, branch));
    forge_token(0x03, "sm:exec|4.0", 11, token);
    ASSERT_EQ_INT(-EINVAL, task_token_parse_branch(token, id, branch));
    ASSERT_EQ_STR("untouched", id);
    ASSERT_EQ_STR("untouched", branch);
}

int main(void)
{
    RUN(test_parse_accepts_only_the_issued_form);
    RUN(test_create_parse_round_trip);
    RUN(test_token_is_base64_within_aws_limit);
    RUN(test_longest_execution_id_fits);
    RUN(test_create_rejects_empty_and_too_long_ids);
    RUN(test_two_tokens_for_one_execution_differ);
    RUN(test_parse_accepts_a_forged_token_of_the_right_shape);
    RUN(test_parse_rejects_what_is_not_a_token);
    RUN(test_parse_rejects_wrong_version);
    RUN(test_parse_rejects_bad_execution_ids);
    RUN(test_parse_rejects_a_truncated_token);
    RUN(test_parse_rejects_over_2048_characters);
    RUN(test_branch_token_round_trip);
    RUN(test_old_tokens_parse_with_the_root_branch);
    RUN(test_deepest_branch_token_fits_the_limit);
    RUN(test_branch_tokens_refuse_bad_branch_ids);
    return test_done();
}
