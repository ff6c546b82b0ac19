/*
 * test_access_token.c - unit tests for common/pure/access_token.c: the
 * token syntax and finding it in Authorization, Cookie and query values.
 */
#include "access_token.h"
#include "test.h"

#include <errno.h>

#define TOKEN "0123456789abcdef-._~XYZ"

static void test_syntax(void)
{
    char long_token[ACCESS_TOKEN_MAX_LENGTH + 2];
    ASSERT_EQ_INT(0, access_token_check(NULL));
    ASSERT_EQ_INT(0, access_token_check(""));
    ASSERT_EQ_INT(0, access_token_check(TOKEN));
    ASSERT_EQ_INT(-EINVAL, access_token_check("short"));
    ASSERT_EQ_INT(-EINVAL, access_token_check("0123456789abcdef;"));
    ASSERT_EQ_INT(-EINVAL, access_token_check("0123456789abcdef "));
    ASSERT_EQ_INT(-EINVAL, access_token_check("0123456789abcdef+/="));
    memset(long_token, 'a', sizeof(long_token) - 1);
    long_token[sizeof(long_token) - 1] = '\0';
    ASSERT_EQ_INT(-EINVAL, access_token_check(long_token));
    long_token[ACCESS_TOKEN_MAX_LENGTH] = '\0';
    ASSERT_EQ_INT(0, access_token_check(long_token));
}

static void test_equal(void)
{
    ASSERT_TRUE(access_token_equal(TOKEN, TOKEN));
    ASSERT_TRUE(!access_token_equal(TOKEN, TOKEN "x"));
    ASSERT_TRUE(!access_token_equal(TOKEN, "0123456789abcdef-._~XY"));
    ASSERT_TRUE(!access_token_equal(TOKEN, "0123456789abcdef-._~XYz"));
    ASSERT_TRUE(!access_token_equal(TOKEN, ""));
    ASSERT_TRUE(!access_token_equal(TOKEN, NULL));
}

static void test_bearer(void)
{
    ASSERT_TRUE(access_token_bearer_matches(TOKEN, "Bearer " TOKEN));
    ASSERT_TRUE(access_token_bearer_matches(TOKEN, "bearer  " TOKEN " "));
    ASSERT_TRUE(!access_token_bearer_matches(TOKEN, "Basic " TOKEN));
    ASSERT_TRUE(!access_token_bearer_matches(TOKEN, TOKEN));
    ASSERT_TRUE(!access_token_bearer_matches(TOKEN, "Bearer"));
    ASSERT_TRUE(!access_token_bearer_matches(TOKEN, "Bearer " TOKEN "0"));
    ASSERT_TRUE(!access_token_bearer_matches(TOKEN, NULL));
}

static void test_cookie(void)
{
    ASSERT_TRUE(access_token_cookie_matches(TOKEN, "token=" TOKEN, "token"));
    ASSERT_TRUE(access_token_cookie_matches(TOKEN, "a=b; token=" TOKEN "; c=d", "token"));
    ASSERT_TRUE(access_token_cookie_matches(TOKEN, "token=wrong; token=" TOKEN, "token"));
    ASSERT_TRUE(!access_token_cookie_matches(TOKEN, "xtoken=" TOKEN, "token"));
    ASSERT_TRUE(!access_token_cookie_matches(TOKEN, "token=" TOKEN "x", "token"));
    ASSERT_TRUE(!access_token_cookie_matches(TOKEN, "token", "token"));
    ASSERT_TRUE(!access_token_cookie_matches(TOKEN, "token=", "token"));
    ASSERT_TRUE(!access_token_cookie_matches(TOKEN, "", "token"));
    ASSERT_TRUE(!access_token_cookie_matches(TOKEN, NULL, "token"));
}

int main(void)
{
    RUN(test_syntax);
    RUN(test_equal);
    RUN(test_bearer);
    RUN(test_cookie);
    return test_done();
}
