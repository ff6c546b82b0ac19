/*
 * test_callback_hosts.c - unit tests for valuation-service/callback_hosts.c:
 * the CALLBACK_ALLOWED_HOSTS syntax and which callback URLs it allows.
 */
#include "callback_hosts.h"
#include "test.h"

#include <errno.h>

static void test_list_syntax(void)
{
    static const char *const good[] = {
        CALLBACK_HOSTS_DEFAULT, "*:*", "https://example.com:443", " a:1 , ,b:*", "[::1]:8080", "HTTP://Host:65535",
    };
    static const char *const bad[] = {
        "",     " , ",   "localhost",        "localhost:", "localhost:0", "localhost:65536", "ftp://a:1",
        "a:1/", "a b:1", "*.example.com:80", "a:1x",       "user@a:1",    "[::1:80",
    };
    char error[256];
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        if (callback_hosts_check(good[i], error, sizeof(error)) != 0)
            printf("# refused: '%s': %s\n", good[i], error);
        ASSERT_EQ_INT(0, callback_hosts_check(good[i], error, sizeof(error)));
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (callback_hosts_check(bad[i], error, sizeof(error)) != -EINVAL)
            printf("# accepted: '%s'\n", bad[i]);
        ASSERT_EQ_INT(-EINVAL, callback_hosts_check(bad[i], error, sizeof(error)));
    }
    ASSERT_EQ_INT(-EINVAL, callback_hosts_check(NULL, error, sizeof(error)));
    ASSERT_TRUE(strstr(error, "CALLBACK_ALLOWED_HOSTS") != NULL);
}

static void test_default_list(void)
{
    const char *list = CALLBACK_HOSTS_DEFAULT;
    ASSERT_TRUE(callback_hosts_allow(list, "http://127.0.0.1:8080/valuation-callback"));
    ASSERT_TRUE(callback_hosts_allow(list, "http://127.0.0.1:41234/cb?x=1#f"));
    ASSERT_TRUE(callback_hosts_allow(list, "https://LOCALHOST:9/"));
    ASSERT_TRUE(callback_hosts_allow(list, "http://127.0.0.1"));
    ASSERT_TRUE(callback_hosts_allow(list, "http://loan-processor:8080/valuation-callback"));
    ASSERT_TRUE(!callback_hosts_allow(list, "http://loan-processor:6379/"));
    ASSERT_TRUE(!callback_hosts_allow(list, "http://loan-processor/valuation-callback"));
    ASSERT_TRUE(!callback_hosts_allow(list, "http://redis:6379/"));
    ASSERT_TRUE(!callback_hosts_allow(list, "http://169.254.169.254/latest/meta-data/"));
    ASSERT_TRUE(!callback_hosts_allow(list, "http://127.1:6379/"));
    ASSERT_TRUE(!callback_hosts_allow(list, "http://2130706433:80/"));
    ASSERT_TRUE(!callback_hosts_allow(list, "http://localhost.:80/"));
    ASSERT_TRUE(!callback_hosts_allow(list, "http://example.com/"));
}

static void test_url_tricks(void)
{
    const char *list = CALLBACK_HOSTS_DEFAULT;
    ASSERT_TRUE(!callback_hosts_allow(list, "http://127.0.0.1:8080@evil.example:6379/"));
    ASSERT_TRUE(!callback_hosts_allow(list, "http://user@127.0.0.1:8080/"));
    ASSERT_TRUE(!callback_hosts_allow(list, "http://127.0.0.1:8080\\@evil/"));
    ASSERT_TRUE(!callback_hosts_allow(list, "http://127.0.0.1 :8080/"));
    ASSERT_TRUE(!callback_hosts_allow(list, "http://127.0.0.1:8080\r\nX: y"));
    ASSERT_TRUE(!callback_hosts_allow(list, "http://%31%32%37.0.0.1:80/"));
    ASSERT_TRUE(!callback_hosts_allow(list, "http://127.0.0.1:/"));
    ASSERT_TRUE(!callback_hosts_allow(list, "http://127.0.0.1:0/"));
    ASSERT_TRUE(!callback_hosts_allow(list, "http://127.0.0.1:99999/"));
    ASSERT_TRUE(!callback_hosts_allow(list, "http://127.0.0.1:80x/"));
    ASSERT_TRUE(!callback_hosts_allow(list, "gopher://127.0.0.1:80/"));
    ASSERT_TRUE(!callback_hosts_allow(list, "http:/127.0.0.1:80/"));
    ASSERT_TRUE(!callback_hosts_allow(list, "http://"));
    ASSERT_TRUE(!callback_hosts_allow(list, NULL));
}

static void test_schemes_ports_and_wildcards(void)
{
    ASSERT_TRUE(callback_hosts_allow("https://api.example.com:443", "https://API.example.com/hook"));
    ASSERT_TRUE(!callback_hosts_allow("https://api.example.com:443", "http://api.example.com:443/hook"));
    ASSERT_TRUE(callback_hosts_allow("http://api.example.com:*", "http://api.example.com:81/"));
    ASSERT_TRUE(!callback_hosts_allow("http://api.example.com:*", "https://api.example.com/"));
    ASSERT_TRUE(callback_hosts_allow("*:8080", "http://anything:8080/"));
    ASSERT_TRUE(!callback_hosts_allow("*:8080", "http://anything:8081/"));
    ASSERT_TRUE(callback_hosts_allow("*:*", "https://x/"));
    ASSERT_TRUE(callback_hosts_allow("[::1]:*", "http://[::1]:8080/"));
    ASSERT_TRUE(!callback_hosts_allow("[::1]:*", "http://[::2]:8080/"));
    ASSERT_TRUE(!callback_hosts_allow("api.example.com:80", "http://xapi.example.com/"));
    ASSERT_TRUE(!callback_hosts_allow("api.example.com:80", "http://api.example.co/"));
}

int main(void)
{
    RUN(test_list_syntax);
    RUN(test_default_list);
    RUN(test_url_tricks);
    RUN(test_schemes_ports_and_wildcards);
    return test_done();
}
