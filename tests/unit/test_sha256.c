/*
 * test_sha256.c - unit tests for loan-processor/sha256.c, with the FIPS 180-4
 * example messages and lengths around the padding's block boundaries.
 */
#include "sha256.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>

static void test_empty_message(void)
{
    char out[SHA256_HEX_SIZE];
    sha256_hex("", 0, out);
    ASSERT_EQ_STR("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", out);
}

static void test_abc(void)
{
    char out[SHA256_HEX_SIZE];
    sha256_hex("abc", 3, out);
    ASSERT_EQ_STR("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", out);
}

static void test_two_block_message(void)
{
    static const char message[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    char out[SHA256_HEX_SIZE];
    sha256_hex(message, strlen(message), out);
    ASSERT_EQ_STR("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1", out);
}

static void test_long_message(void)
{
    static const char message[] = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    char out[SHA256_HEX_SIZE];
    sha256_hex(message, strlen(message), out);
    ASSERT_EQ_STR("cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1", out);
}

static void test_a_million_a(void)
{
    size_t length = 1000000;
    char *message = malloc(length), out[SHA256_HEX_SIZE];
    ASSERT_NOT_NULL(message);
    memset(message, 'a', length);
    sha256_hex(message, length, out);
    free(message);
    ASSERT_EQ_STR("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", out);
}

/* 55, 56 and 64 bytes: the length just fits, just does not, and a whole block. */
static void test_padding_boundaries(void)
{
    char message[65], out55[SHA256_HEX_SIZE], out56[SHA256_HEX_SIZE], out64[SHA256_HEX_SIZE];
    memset(message, 'a', sizeof(message));
    sha256_hex(message, 55, out55);
    sha256_hex(message, 56, out56);
    sha256_hex(message, 64, out64);
    ASSERT_EQ_STR("9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318", out55);
    ASSERT_EQ_STR("b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a", out56);
    ASSERT_EQ_STR("ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb", out64);
}

int main(void)
{
    RUN(test_empty_message);
    RUN(test_abc);
    RUN(test_two_block_message);
    RUN(test_long_message);
    RUN(test_a_million_a);
    RUN(test_padding_boundaries);
    return test_done();
}
