/*
 * test_md5.c - unit tests for loan-processor/md5.c: RFC 1321's test suite
 * and the lengths around its 64-byte blocks (expected digests from
 * Python's hashlib).
 */
#include "md5.h"
#include "test.h"

#include <stdint.h>

static void expect_digest(const void *data, size_t length, const char *expected)
{
    char hex[MD5_HEX_SIZE];
    md5_hex(data, length, hex);
    ASSERT_EQ_STR(expected, hex);
}

static void test_rfc_1321_test_suite(void)
{
    static const struct {
        const char *text;
        const char *digest;
    } cases[] = {
        { "", "d41d8cd98f00b204e9800998ecf8427e" },
        { "a", "0cc175b9c0f1b6a831c399e269772661" },
        { "abc", "900150983cd24fb0d6963f7d28e17f72" },
        { "message digest", "f96b697d7cb7938d525a2f31aaf161d0" },
        { "abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b" },
        { "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f" },
        { "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
          "57edf4a22be3c955ac49da2e2107b67a" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        expect_digest(cases[i].text, strlen(cases[i].text), cases[i].digest);
}

static void test_lengths_around_the_block_boundaries(void)
{
    static const struct {
        size_t length;
        const char *digest;
    } cases[] = {
        { 55, "ef1772b6dff9a122358552954ad0df65" },   /* the length still fits in the last block */
        { 56, "3b0c8ac703f828b04c6c197006d17218" },   /* it no longer does */
        { 63, "b06521f39153d618550606be297466d5" },
        { 64, "014842d480b571495a4a0363793f7367" },
        { 65, "c743a45e0d2e6a95cb859adae0248435" },
        { 119, "8a7bd0732ed6a28ce75f6dabc90e1613" },
        { 120, "5f61c0ccad4cac44c75ff505e1f1e537" },
        { 1000, "cabe45dcc9ae5b66ba86600cca6b8ba8" },
    };
    static char text[1000];
    memset(text, 'a', sizeof(text));
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        expect_digest(text, cases[i].length, cases[i].digest);
}

static void test_every_byte_value(void)
{
    uint8_t bytes[256];
    for (unsigned i = 0; i < 256; i++)
        bytes[i] = (uint8_t)i;
    expect_digest(bytes, sizeof(bytes), "e2c865db4162bed963bfaa9ef6ac18f0");
}

int main(void)
{
    RUN(test_rfc_1321_test_suite);
    RUN(test_lengths_around_the_block_boundaries);
    RUN(test_every_byte_value);
    return test_done();
}
