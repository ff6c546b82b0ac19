/*
 * test_utf8.c - unit tests for common/pure/utf8.c: well-formed sequences of
 * each length and at each boundary, and the ill-formed ones (overlong forms,
 * surrogates, above U+10FFFF, truncated, stray continuation bytes).
 */
#include "utf8.h"
#include "test.h"

#include <stdbool.h>
#include <stdint.h>

/* Decodes the first unit of bytes (length given, NUL allowed) and checks its code point and length. */
static bool decodes_as(const char *bytes, size_t length, uint32_t expected_code_point, size_t expected_length)
{
    uint32_t code_point = 0xffffffffu;
    size_t unit = utf8_next(bytes, length, &code_point);
    return unit == expected_length && code_point == expected_code_point;
}

static void test_decodes_each_length_at_its_boundaries(void)
{
    ASSERT_TRUE(decodes_as("A", 1, 0x41, 1));
    ASSERT_TRUE(decodes_as("\0", 1, 0, 1));
    ASSERT_TRUE(decodes_as("\x7f", 1, 0x7f, 1));
    ASSERT_TRUE(decodes_as("\xc2\x80", 2, 0x80, 2));
    ASSERT_TRUE(decodes_as("\xc3\xa9", 2, 0xe9, 2));
    ASSERT_TRUE(decodes_as("\xdf\xbf", 2, 0x7ff, 2));
    ASSERT_TRUE(decodes_as("\xe0\xa0\x80", 3, 0x800, 3));
    ASSERT_TRUE(decodes_as("\xe2\x82\xac", 3, 0x20ac, 3));
    ASSERT_TRUE(decodes_as("\xed\x9f\xbf", 3, 0xd7ff, 3));
    ASSERT_TRUE(decodes_as("\xee\x80\x80", 3, 0xe000, 3));
    ASSERT_TRUE(decodes_as("\xef\xbf\xbf", 3, 0xffff, 3));
    ASSERT_TRUE(decodes_as("\xf0\x90\x80\x80", 4, 0x10000, 4));
    ASSERT_TRUE(decodes_as("\xf0\x9f\x98\x80", 4, 0x1f600, 4));
    ASSERT_TRUE(decodes_as("\xf4\x8f\xbf\xbf", 4, 0x10ffff, 4));
}

static void test_overlong_forms_are_stray_bytes(void)
{
    ASSERT_TRUE(decodes_as("\xc0\x80", 2, UTF8_STRAY_BYTE + 0xc0, 1));
    ASSERT_TRUE(decodes_as("\xc1\xbf", 2, UTF8_STRAY_BYTE + 0xc1, 1));
    ASSERT_TRUE(decodes_as("\xe0\x80\x80", 3, UTF8_STRAY_BYTE + 0xe0, 1));
    ASSERT_TRUE(decodes_as("\xe0\x9f\xbf", 3, UTF8_STRAY_BYTE + 0xe0, 1));
    ASSERT_TRUE(decodes_as("\xf0\x80\x80\x80", 4, UTF8_STRAY_BYTE + 0xf0, 1));
    ASSERT_TRUE(decodes_as("\xf0\x8f\xbf\xbf", 4, UTF8_STRAY_BYTE + 0xf0, 1));
}

static void test_surrogates_are_stray_bytes(void)
{
    ASSERT_TRUE(decodes_as("\xed\xa0\x80", 3, UTF8_STRAY_BYTE + 0xed, 1));
    ASSERT_TRUE(decodes_as("\xed\xbf\xbf", 3, UTF8_STRAY_BYTE + 0xed, 1));
    ASSERT_TRUE(!utf8_is_valid("\xed\xa0\x80\xed\xb0\x80", 6)); /* a CESU-8 pair */
}

static void test_beyond_u10ffff_is_stray_bytes(void)
{
    ASSERT_TRUE(decodes_as("\xf4\x90\x80\x80", 4, UTF8_STRAY_BYTE + 0xf4, 1));
    ASSERT_TRUE(decodes_as("\xf5\x80\x80\x80", 4, UTF8_STRAY_BYTE + 0xf5, 1));
    ASSERT_TRUE(decodes_as("\xf8\x88\x80\x80\x80", 5, UTF8_STRAY_BYTE + 0xf8, 1));
    ASSERT_TRUE(decodes_as("\xff", 1, UTF8_STRAY_BYTE + 0xff, 1));
}

static void test_truncated_and_broken_sequences_are_stray_bytes(void)
{
    ASSERT_TRUE(decodes_as("\xc3", 1, UTF8_STRAY_BYTE + 0xc3, 1));
    ASSERT_TRUE(decodes_as("\xe2\x82", 2, UTF8_STRAY_BYTE + 0xe2, 1));
    ASSERT_TRUE(decodes_as("\xf0\x9f\x98", 3, UTF8_STRAY_BYTE + 0xf0, 1));
    /* remaining is the limit, not the NUL: a sequence cut by it is not read past it */
    ASSERT_TRUE(decodes_as("\xe2\x82\xac", 2, UTF8_STRAY_BYTE + 0xe2, 1));
    ASSERT_TRUE(decodes_as("\xe2\x41\xac", 3, UTF8_STRAY_BYTE + 0xe2, 1));
    ASSERT_TRUE(decodes_as("\x80", 1, UTF8_STRAY_BYTE + 0x80, 1));
    ASSERT_TRUE(decodes_as("\xbf\x80", 2, UTF8_STRAY_BYTE + 0xbf, 1));
}

static void test_validates_whole_strings(void)
{
    ASSERT_TRUE(utf8_is_valid("", 0));
    ASSERT_TRUE(utf8_is_valid("plain ascii", 11));
    ASSERT_TRUE(utf8_is_valid("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14));
    ASSERT_TRUE(utf8_is_valid("a\0b", 3));
    ASSERT_TRUE(!utf8_is_valid("caf\xc3", 4));
    ASSERT_TRUE(!utf8_is_valid("\xc0\xaf", 2));
    ASSERT_TRUE(!utf8_is_valid("ok\x80", 3));
}

static void test_counts_code_points_and_stray_bytes(void)
{
    ASSERT_EQ_INT(0, utf8_count_text(""));
    ASSERT_EQ_INT(5, utf8_count_text("hello"));
    ASSERT_EQ_INT(4, utf8_count_text("caf\xc3\xa9"));
    ASSERT_EQ_INT(3, utf8_count_text("\xe2\x82\xac\xf0\x9f\x98\x80x"));
    ASSERT_EQ_INT(3, utf8_count_text("\xed\xa0\x80")); /* a surrogate: three stray bytes */
    ASSERT_EQ_INT(2, utf8_count_text("a\xc3"));        /* truncated: one stray byte */
    ASSERT_EQ_INT(3, utf8_count("a\0\xc3\xa9", 4));
}

static void test_first_invalid_byte(void)
{
    ASSERT_EQ_INT(0, utf8_first_invalid("", 0));
    ASSERT_EQ_INT(5, utf8_first_invalid("caf\xc3\xa9", 5));
    ASSERT_EQ_INT(3, utf8_first_invalid("bad\xff\xfe", 5));
    ASSERT_EQ_INT(1, utf8_first_invalid("a\xc3(", 3));
}

static void test_quote_cuts_on_character_boundaries(void)
{
    char out[6];
    ASSERT_EQ_INT(5, utf8_quote(out, sizeof(out), "hello world", 11));
    ASSERT_EQ_STR("hello", out);
    /* "ab" and the euro sign (3 bytes) fill the 5 bytes of room exactly. */
    ASSERT_EQ_INT(5, utf8_quote(out, sizeof(out), "ab\xe2\x82\xac", 5));
    ASSERT_EQ_STR("ab\xe2\x82\xac", out);
    ASSERT_EQ_INT(3, utf8_quote(out, sizeof(out), "abc\xe2\x82\xac", 6)); /* 6 bytes needed: stops before it */
    ASSERT_EQ_STR("abc", out);
    ASSERT_TRUE(utf8_is_valid(out, strlen(out)));
}

static void test_quote_replaces_stray_bytes_and_nul(void)
{
    char out[32];
    ASSERT_EQ_INT(9, utf8_quote(out, sizeof(out), "bad\xff\xfe", 5));
    ASSERT_EQ_STR("bad" UTF8_REPLACEMENT UTF8_REPLACEMENT, out);
    ASSERT_EQ_INT(5, utf8_quote(out, sizeof(out), "a\0b", 3));
    ASSERT_EQ_STR("a" UTF8_REPLACEMENT "b", out);
    ASSERT_EQ_INT(2, utf8_quote(out, 4, "ab\xff", 3)); /* the replacement does not fit: cut before it */
    ASSERT_EQ_STR("ab", out);
    ASSERT_EQ_INT(0, utf8_quote(out, 1, "abc", 3));
    ASSERT_EQ_STR("", out);
}

int main(void)
{
    RUN(test_first_invalid_byte);
    RUN(test_quote_cuts_on_character_boundaries);
    RUN(test_quote_replaces_stray_bytes_and_nul);
    RUN(test_decodes_each_length_at_its_boundaries);
    RUN(test_overlong_forms_are_stray_bytes);
    RUN(test_surrogates_are_stray_bytes);
    RUN(test_beyond_u10ffff_is_stray_bytes);
    RUN(test_truncated_and_broken_sequences_are_stray_bytes);
    RUN(test_validates_whole_strings);
    RUN(test_counts_code_points_and_stray_bytes);
    return test_done();
}
