/* test_byte_buffer - growth, NUL termination and reuse of a byte_buffer. */
#include "byte_buffer.h"

#include <string.h>

#include "test.h"

static void test_appends_keep_the_bytes_and_a_nul(void)
{
    struct byte_buffer buffer = { 0 };
    ASSERT_NULL(buffer.data);
    ASSERT_EQ_INT(0, byte_buffer_append(&buffer, "abc", 3));
    ASSERT_EQ_INT(0, byte_buffer_append(&buffer, "", 0));
    ASSERT_EQ_INT(0, byte_buffer_append(&buffer, "de\0f", 4)); /* bytes, not a C string */
    ASSERT_EQ_INT(7, (long long)buffer.length);
    ASSERT_TRUE(memcmp(buffer.data, "abcde\0f", 8) == 0); /* the NUL after them included */
    byte_buffer_free(&buffer);
    ASSERT_NULL(buffer.data);
    ASSERT_EQ_INT(0, (long long)buffer.capacity);
}

static void test_capacity_doubles_until_the_bytes_fit(void)
{
    struct byte_buffer buffer = { 0 };
    char bytes[1000];
    memset(bytes, 'x', sizeof(bytes));
    ASSERT_EQ_INT(0, byte_buffer_append(&buffer, bytes, 10));
    ASSERT_EQ_INT(256, (long long)buffer.capacity);
    ASSERT_EQ_INT(0, byte_buffer_append(&buffer, bytes, 245)); /* 256 with the NUL: still fits */
    ASSERT_EQ_INT(256, (long long)buffer.capacity);
    ASSERT_EQ_INT(0, byte_buffer_append(&buffer, bytes, 1));
    ASSERT_EQ_INT(512, (long long)buffer.capacity);
    ASSERT_EQ_INT(0, byte_buffer_append(&buffer, bytes, sizeof(bytes)));
    ASSERT_EQ_INT(2048, (long long)buffer.capacity);
    ASSERT_EQ_INT(1256, (long long)buffer.length);
    ASSERT_EQ_INT(0, byte_buffer_reserve(&buffer, 100)); /* never shrinks */
    ASSERT_EQ_INT(2048, (long long)buffer.capacity);
    byte_buffer_free(&buffer);
}

static void test_set_replaces_what_it_held(void)
{
    struct byte_buffer buffer = { 0 };
    ASSERT_EQ_INT(0, byte_buffer_set(&buffer, "a longer text", 13));
    ASSERT_EQ_INT(0, byte_buffer_set(&buffer, "short", 5));
    ASSERT_EQ_INT(5, (long long)buffer.length);
    ASSERT_EQ_STR("short", buffer.data);
    byte_buffer_free(&buffer);
}

static void test_reset_keeps_a_small_buffer_and_frees_a_large_one(void)
{
    struct byte_buffer buffer = { 0 };
    char bytes[600] = { 0 };
    ASSERT_EQ_INT(0, byte_buffer_append(&buffer, bytes, 100));
    char *kept = buffer.data;
    byte_buffer_reset(&buffer, 256);
    ASSERT_TRUE(buffer.data == kept);
    ASSERT_EQ_INT(0, (long long)buffer.length);
    ASSERT_EQ_INT(256, (long long)buffer.capacity);
    ASSERT_EQ_INT(0, byte_buffer_append(&buffer, bytes, sizeof(bytes)));
    byte_buffer_reset(&buffer, 256);
    ASSERT_NULL(buffer.data);
    ASSERT_EQ_INT(0, (long long)buffer.length);
    ASSERT_EQ_INT(0, (long long)buffer.capacity);
    byte_buffer_free(&buffer);
}

int main(void)
{
    RUN(test_appends_keep_the_bytes_and_a_nul);
    RUN(test_capacity_doubles_until_the_bytes_fit);
    RUN(test_set_replaces_what_it_held);
    RUN(test_reset_keeps_a_small_buffer_and_frees_a_large_one);
    return test_done();
}
