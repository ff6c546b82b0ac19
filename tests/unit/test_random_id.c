/*
 * test_random_id.c - unit tests for common/random_id.c
 */
#include "random_id.h"
#include "test.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>

static const char nanoid_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

static void test_nanoid_is_21_characters_from_the_alphabet(void)
{
    for (int round = 0; round < 100; round++) {
        char id[RANDOM_ID_NANOID_SIZE];
        memset(id, '!', sizeof(id));
        ASSERT_EQ_INT(0, random_id_nanoid(id));
        ASSERT_EQ_INT(21, strlen(id));
        ASSERT_EQ_INT(21, strspn(id, nanoid_alphabet));
    }
}

static void test_nanoid_uses_the_whole_alphabet(void)
{
    /* 200 ids = 4200 symbols; each of the 64 is missing with probability ~1e-29. */
    bool seen[256] = { false };
    size_t distinct = 0;
    for (int round = 0; round < 200; round++) {
        char id[RANDOM_ID_NANOID_SIZE];
        ASSERT_EQ_INT(0, random_id_nanoid(id));
        for (const char *c = id; *c; c++) {
            if (!seen[(unsigned char)*c]) {
                seen[(unsigned char)*c] = true;
                distinct++;
            }
        }
    }
    ASSERT_EQ_INT(64, distinct);
}

static void test_two_nanoids_differ(void)
{
    char first[RANDOM_ID_NANOID_SIZE], second[RANDOM_ID_NANOID_SIZE];

    ASSERT_EQ_INT(0, random_id_nanoid(first));
    ASSERT_EQ_INT(0, random_id_nanoid(second));
    ASSERT_TRUE(strcmp(first, second) != 0);
}

static bool is_lower_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static void test_uuid_v4_format(void)
{
    for (int round = 0; round < 100; round++) {
        char uuid[37];
        memset(uuid, '!', sizeof(uuid));
        ASSERT_EQ_INT(0, random_id_uuid(uuid));
        ASSERT_EQ_INT(36, strlen(uuid));
        for (size_t i = 0; i < 36; i++) {
            if (i == 8 || i == 13 || i == 18 || i == 23)
                ASSERT_EQ_INT('-', uuid[i]);
            else
                ASSERT_TRUE(is_lower_hex(uuid[i]));
        }
        ASSERT_EQ_INT('4', uuid[14]);                  /* version 4 */
        ASSERT_TRUE(strchr("89ab", uuid[19]) != NULL); /* RFC 4122 variant */
    }
}

static void test_two_uuids_differ(void)
{
    char first[37], second[37];

    ASSERT_EQ_INT(0, random_id_uuid(first));
    ASSERT_EQ_INT(0, random_id_uuid(second));
    ASSERT_TRUE(strcmp(first, second) != 0);
}

static void test_fill_produces_random_bytes(void)
{
    /* 64 random bytes all zero (or all unchanged) has probability 2^-512. */
    uint8_t buffer[64], zero[64];
    memset(buffer, 0, sizeof(buffer));
    memset(zero, 0, sizeof(zero));

    ASSERT_EQ_INT(0, random_id_fill(buffer, sizeof(buffer)));
    ASSERT_TRUE(memcmp(buffer, zero, sizeof(buffer)) != 0);
    ASSERT_EQ_INT(0, random_id_fill(buffer, 0));
}

int main(void)
{
    RUN(test_nanoid_is_21_characters_from_the_alphabet);
    RUN(test_nanoid_uses_the_whole_alphabet);
    RUN(test_two_nanoids_differ);
    RUN(test_uuid_v4_format);
    RUN(test_two_uuids_differ);
    RUN(test_fill_produces_random_bytes);
    return test_done();
}
