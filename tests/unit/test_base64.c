/*
 * test_base64.c - unit tests for common/base64.c
 */
#include "base64.h"
#include "test.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

/* Encodes text and compares with expected; decodes expected and compares with text. */
static void check_vector(const char *text, const char *expected)
{
    char encoded[64];
    uint8_t decoded[64];
    size_t length = strlen(text), decoded_length = 999;

    ASSERT_EQ_INT(strlen(expected) + 1, base64_encoded_size(length));
    memset(encoded, '#', sizeof(encoded));
    base64_encode(text, length, encoded);
    ASSERT_EQ_STR(expected, encoded);
    ASSERT_EQ_INT(0, base64_decode(expected, decoded, sizeof(decoded), &decoded_length));
    ASSERT_EQ_INT(length, decoded_length);
    ASSERT_TRUE(memcmp(decoded, text, length) == 0);
}

static void test_rfc4648_vectors(void)
{
    check_vector("", "");
    check_vector("f", "Zg==");
    check_vector("fo", "Zm8=");
    check_vector("foo", "Zm9v");
    check_vector("foob", "Zm9vYg==");
    check_vector("fooba", "Zm9vYmE=");
    check_vector("foobar", "Zm9vYmFy");
}

static void test_alphabet_uses_plus_and_slash(void)
{
    /* 0xfb 0xef 0xbe -> four times 111110 (62, '+'); 0xff 0xff 0xff -> four times 63 ('/'). */
    const uint8_t data[] = { 0xfb, 0xef, 0xbe, 0xff, 0xff, 0xff };
    char encoded[16];
    uint8_t decoded[6];
    size_t decoded_length = 0;

    base64_encode(data, sizeof(data), encoded);
    ASSERT_EQ_STR("++++////", encoded);
    ASSERT_EQ_INT(0, base64_decode(encoded, decoded, sizeof(decoded), &decoded_length));
    ASSERT_EQ_INT(6, decoded_length);
    ASSERT_TRUE(memcmp(decoded, data, sizeof(data)) == 0);
}

static void test_round_trips_lengths_0_to_5_all_byte_values(void)
{
    /* Every byte value in every position of every length 0..5. */
    for (size_t length = 0; length <= 5; length++) {
        for (unsigned value = 0; value < 256; value++) {
            uint8_t data[5], decoded[5];
            char encoded[16];
            size_t decoded_length = 99;
            for (size_t i = 0; i < length; i++)
                data[i] = (uint8_t)(value + i * 37u);
            base64_encode(data, length, encoded);
            ASSERT_EQ_INT(base64_encoded_size(length) - 1, strlen(encoded));
            ASSERT_EQ_INT(0, strlen(encoded) % 4);
            ASSERT_EQ_INT(0, base64_decode(encoded, decoded, length, &decoded_length));
            ASSERT_EQ_INT(length, decoded_length);
            ASSERT_TRUE(length == 0 || memcmp(decoded, data, length) == 0);
        }
    }
}

static void test_encoded_size(void)
{
    ASSERT_EQ_INT(1, base64_encoded_size(0));
    ASSERT_EQ_INT(5, base64_encoded_size(1));
    ASSERT_EQ_INT(5, base64_encoded_size(2));
    ASSERT_EQ_INT(5, base64_encoded_size(3));
    ASSERT_EQ_INT(9, base64_encoded_size(4));
    ASSERT_EQ_INT(2049, base64_encoded_size(1536));
}

static int decode(const char *text)
{
    uint8_t out[64];
    size_t length = 0;
    return base64_decode(text, out, sizeof(out), &length);
}

static void test_rejects_bad_length(void)
{
    ASSERT_EQ_INT(-EINVAL, decode("Z"));
    ASSERT_EQ_INT(-EINVAL, decode("Zg"));
    ASSERT_EQ_INT(-EINVAL, decode("Zg="));
    ASSERT_EQ_INT(-EINVAL, decode("Zm9vY"));
    ASSERT_EQ_INT(-EINVAL, decode("Zm9vYmFy="));
}

static void test_rejects_bad_characters(void)
{
    ASSERT_EQ_INT(-EINVAL, decode("Zm9*"));
    ASSERT_EQ_INT(-EINVAL, decode("Zm 9"));
    ASSERT_EQ_INT(-EINVAL, decode("Zm9v\nYmFy"));
    ASSERT_EQ_INT(-EINVAL, decode("Zm-_")); /* base64url is not accepted */
    ASSERT_EQ_INT(-EINVAL, decode("Zm9\x80"));
}

static void test_rejects_misplaced_padding(void)
{
    ASSERT_EQ_INT(-EINVAL, decode("===="));
    ASSERT_EQ_INT(-EINVAL, decode("Z==="));
    ASSERT_EQ_INT(-EINVAL, decode("=Zm9"));
    ASSERT_EQ_INT(-EINVAL, decode("Zm=v"));
    ASSERT_EQ_INT(-EINVAL, decode("Zg==Zg==")); /* padding before the last group */
    ASSERT_EQ_INT(-EINVAL, decode("Zm8=Zm9v"));
}

static void test_rejects_nonzero_padding_bits(void)
{
    /* The header promises -EINVAL for "not canonical" base64: RFC 4648 §3.5's
     * canonical encoding has the bits beyond the data set to zero. "Zh==" and
     * "Zm9=" decode to the same bytes as "Zg==" and "Zm8=". */
    ASSERT_EQ_INT(-EINVAL, decode("Zh=="));
    ASSERT_EQ_INT(-EINVAL, decode("Zm9="));
}

static void test_no_space(void)
{
    uint8_t out[8];
    size_t length = 0;

    ASSERT_EQ_INT(-ENOSPC, base64_decode("Zm9v", out, 2, &length));
    ASSERT_EQ_INT(-ENOSPC, base64_decode("Zm9vYmFy", out, 5, &length));
    ASSERT_EQ_INT(-ENOSPC, base64_decode("Zg==", out, 0, &length));
    ASSERT_EQ_INT(0, base64_decode("Zm9vYmFy", out, 6, &length));
    ASSERT_EQ_INT(6, length);
    ASSERT_EQ_INT(0, base64_decode("Zm8=", out, 2, &length));
    ASSERT_EQ_INT(2, length);
    ASSERT_EQ_INT(0, base64_decode("", out, 0, &length));
    ASSERT_EQ_INT(0, length);
}

static void test_does_not_write_past_capacity(void)
{
    uint8_t out[8];
    size_t length = 0;

    memset(out, 0xaa, sizeof(out));
    ASSERT_EQ_INT(-ENOSPC, base64_decode("Zm9vYmFy", out, 4, &length));
    ASSERT_EQ_INT(0xaa, out[4]);
    ASSERT_EQ_INT(0xaa, out[5]);
}

int main(void)
{
    RUN(test_rfc4648_vectors);
    RUN(test_alphabet_uses_plus_and_slash);
    RUN(test_round_trips_lengths_0_to_5_all_byte_values);
    RUN(test_encoded_size);
    RUN(test_rejects_bad_length);
    RUN(test_rejects_bad_characters);
    RUN(test_rejects_misplaced_padding);
    RUN(test_rejects_nonzero_padding_bits);
    RUN(test_no_space);
    RUN(test_does_not_write_past_capacity);
    return test_done();
}
