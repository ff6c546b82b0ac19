/*
 * test_webhook_signature.c - unit tests for common/pure/webhook_signature.c:
 * a known signature (checked with Python's hmac), the secret list and
 * rotation, and every verdict of a header that is missing, malformed, wrong,
 * stale or from the future.
 */
#include "test.h"
#include "webhook_signature.h"

#include <errno.h>

#define BODY "{\"valuationReference\":\"r1\",\"propertyValue\":250000}"
#define SIGNED_AT 1700000000
/* hmac.new(b"whsec_test", b"1700000000." + BODY, sha256).hexdigest() */
#define KNOWN_MAC "fd1e2cf836d8da7c20e3b4a8ebab8ee769535ece4e84ab10d2c218ed8e946d61"

static enum webhook_signature_verdict verify(const char *secrets, const char *header, int64_t now, const char *body)
{
    enum webhook_signature_verdict verdict = WEBHOOK_SIGNATURE_VALID;
    if (webhook_signature_verify(secrets, header, now, WEBHOOK_SIGNATURE_TOLERANCE_SECONDS, body, strlen(body),
                                 &verdict)
        < 0)
        return (enum webhook_signature_verdict) - 1;
    return verdict;
}

static void test_known_signature(void)
{
    char header[WEBHOOK_SIGNATURE_SIZE];
    ASSERT_EQ_INT(0, webhook_signature_sign("whsec_test", SIGNED_AT, BODY, strlen(BODY), header));
    ASSERT_EQ_STR("t=1700000000,v1=" KNOWN_MAC, header);
    ASSERT_EQ_INT(WEBHOOK_SIGNATURE_VALID, verify("whsec_test", header, SIGNED_AT + 10, BODY));
}

static void test_sign_uses_first_secret_trimmed(void)
{
    char first[WEBHOOK_SIGNATURE_SIZE], listed[WEBHOOK_SIGNATURE_SIZE];
    ASSERT_EQ_INT(0, webhook_signature_sign("whsec_test", SIGNED_AT, BODY, strlen(BODY), first));
    ASSERT_EQ_INT(0, webhook_signature_sign(" , whsec_test ,old", SIGNED_AT, BODY, strlen(BODY), listed));
    ASSERT_EQ_STR(first, listed);
}

static void test_sign_refuses(void)
{
    char header[WEBHOOK_SIGNATURE_SIZE] = "untouched";
    ASSERT_EQ_INT(-EINVAL, webhook_signature_sign(NULL, SIGNED_AT, BODY, 1, header));
    ASSERT_EQ_INT(-EINVAL, webhook_signature_sign(" , ,", SIGNED_AT, BODY, 1, header));
    ASSERT_EQ_INT(-EINVAL, webhook_signature_sign("s", -1, BODY, 1, header));
    ASSERT_EQ_INT(-EINVAL, webhook_signature_sign("s", INT64_C(1000000000000000000), BODY, 1, header));
    ASSERT_EQ_STR("untouched", header);
}

static void test_has_secret(void)
{
    ASSERT_TRUE(!webhook_signature_has_secret(NULL));
    ASSERT_TRUE(!webhook_signature_has_secret(""));
    ASSERT_TRUE(!webhook_signature_has_secret(" ,\t, "));
    ASSERT_TRUE(webhook_signature_has_secret(",x"));
}

static void test_rotation(void)
{
    char header[WEBHOOK_SIGNATURE_SIZE];
    ASSERT_EQ_INT(0, webhook_signature_sign("old", SIGNED_AT, BODY, strlen(BODY), header));
    ASSERT_EQ_INT(WEBHOOK_SIGNATURE_VALID, verify("new,old", header, SIGNED_AT, BODY));
    ASSERT_EQ_INT(WEBHOOK_SIGNATURE_VALID, verify("old, new", header, SIGNED_AT, BODY));
    ASSERT_EQ_INT(WEBHOOK_SIGNATURE_MISMATCH, verify("new", header, SIGNED_AT, BODY));
    ASSERT_EQ_INT(WEBHOOK_SIGNATURE_MISMATCH, verify("", header, SIGNED_AT, BODY));
}

static void test_several_signatures_in_header(void)
{
    char old[WEBHOOK_SIGNATURE_SIZE], both[2 * WEBHOOK_SIGNATURE_SIZE];
    ASSERT_EQ_INT(0, webhook_signature_sign("old", SIGNED_AT, BODY, strlen(BODY), old));
    snprintf(both, sizeof(both), "t=%d,v1=%064d,v1=%s", SIGNED_AT, 0, old + strlen("t=1700000000,v1="));
    ASSERT_EQ_INT(WEBHOOK_SIGNATURE_VALID, verify("old", both, SIGNED_AT, BODY));
}

static void test_missing_and_malformed(void)
{
    static const char *const malformed[] = {
        "",
        "v1=" KNOWN_MAC,
        "t=,v1=" KNOWN_MAC,
        "t=1700000000",
        "t=1700000000,",
        "t=1700000000,v1=",
        "t=1700000000,v1=" KNOWN_MAC ",",
        "t=1700000000,v1=" KNOWN_MAC "0",
        "t=1700000000,v1=fd1e2cf8",
        "t=1700000000,v1=zz1e2cf836d8da7c20e3b4a8ebab8ee769535ece4e84ab10d2c218ed8e946d61",
        "t=1700000000 ,v1=" KNOWN_MAC,
        " t=1700000000,v1=" KNOWN_MAC,
        "t=-1700000000,v1=" KNOWN_MAC,
        "t=1700000000,v2=" KNOWN_MAC,
        "t=1234567890123456789,v1=" KNOWN_MAC,
        "v1=" KNOWN_MAC ",t=1700000000",
    };
    ASSERT_EQ_INT(WEBHOOK_SIGNATURE_MISSING, verify("whsec_test", NULL, SIGNED_AT, BODY));
    for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
        if (verify("whsec_test", malformed[i], SIGNED_AT, BODY) != WEBHOOK_SIGNATURE_MALFORMED)
            printf("# not malformed: '%s'\n", malformed[i]);
        ASSERT_EQ_INT(WEBHOOK_SIGNATURE_MALFORMED, verify("whsec_test", malformed[i], SIGNED_AT, BODY));
    }
}

static void test_too_many_signatures(void)
{
    char header[1024];
    int used = snprintf(header, sizeof(header), "t=%d", SIGNED_AT);
    for (int i = 0; i < 9; i++)
        used += snprintf(header + used, sizeof(header) - (size_t)used, ",v1=%s", KNOWN_MAC);
    ASSERT_EQ_INT(WEBHOOK_SIGNATURE_MALFORMED, verify("whsec_test", header, SIGNED_AT, BODY));
}

static void test_wrong_body_secret_or_time(void)
{
    ASSERT_EQ_INT(WEBHOOK_SIGNATURE_VALID, verify("whsec_test", "t=1700000000,v1=" KNOWN_MAC, SIGNED_AT, BODY));
    ASSERT_EQ_INT(WEBHOOK_SIGNATURE_VALID,
                  verify("whsec_test",
                         "t=1700000000,v1=FD1E2CF836D8DA7C20E3B4A8EBAB8EE769535ECE4E84AB10D2C218ED8E946D61", SIGNED_AT,
                         BODY));
    ASSERT_EQ_INT(WEBHOOK_SIGNATURE_MISMATCH, verify("whsec_test", "t=1700000000,v1=" KNOWN_MAC, SIGNED_AT, BODY " "));
    ASSERT_EQ_INT(WEBHOOK_SIGNATURE_MISMATCH, verify("whsec_tesT", "t=1700000000,v1=" KNOWN_MAC, SIGNED_AT, BODY));
    ASSERT_EQ_INT(WEBHOOK_SIGNATURE_MISMATCH, verify("whsec_test", "t=1700000001,v1=" KNOWN_MAC, SIGNED_AT, BODY));
    ASSERT_EQ_INT(WEBHOOK_SIGNATURE_MISMATCH, verify("whsec_test", "t=01700000000,v1=" KNOWN_MAC, SIGNED_AT, BODY));
}

static void test_tolerance(void)
{
    const char *header = "t=1700000000,v1=" KNOWN_MAC;
    ASSERT_EQ_INT(WEBHOOK_SIGNATURE_VALID, verify("whsec_test", header, SIGNED_AT + 300, BODY));
    ASSERT_EQ_INT(WEBHOOK_SIGNATURE_STALE, verify("whsec_test", header, SIGNED_AT + 301, BODY));
    ASSERT_EQ_INT(WEBHOOK_SIGNATURE_VALID, verify("whsec_test", header, SIGNED_AT - 300, BODY));
    ASSERT_EQ_INT(WEBHOOK_SIGNATURE_FUTURE, verify("whsec_test", header, SIGNED_AT - 301, BODY));
}

static void test_large_body(void)
{
    size_t length = 300 * 1024;
    char *body = malloc(length + 1);
    char header[WEBHOOK_SIGNATURE_SIZE];
    enum webhook_signature_verdict verdict = WEBHOOK_SIGNATURE_MISSING;
    ASSERT_NOT_NULL(body);
    memset(body, 'x', length);
    body[length] = '\0';
    if (webhook_signature_sign("k", SIGNED_AT, body, length, header) == 0
        && webhook_signature_verify("k", header, SIGNED_AT, 300, body, length, &verdict) == 0) {
        free(body);
        ASSERT_EQ_INT(WEBHOOK_SIGNATURE_VALID, verdict);
        return;
    }
    free(body);
    ASSERT_TRUE(false);
}

static void test_verdict_texts(void)
{
    ASSERT_TRUE(strstr(webhook_signature_verdict_text(WEBHOOK_SIGNATURE_MISSING), "missing") != NULL);
    ASSERT_TRUE(strstr(webhook_signature_verdict_text(WEBHOOK_SIGNATURE_STALE), "ago") != NULL);
    ASSERT_TRUE(strstr(webhook_signature_verdict_text(WEBHOOK_SIGNATURE_FUTURE), "future") != NULL);
}

int main(void)
{
    RUN(test_known_signature);
    RUN(test_sign_uses_first_secret_trimmed);
    RUN(test_sign_refuses);
    RUN(test_has_secret);
    RUN(test_rotation);
    RUN(test_several_signatures_in_header);
    RUN(test_missing_and_malformed);
    RUN(test_too_many_signatures);
    RUN(test_wrong_body_secret_or_time);
    RUN(test_tolerance);
    RUN(test_large_body);
    RUN(test_verdict_texts);
    return test_done();
}
