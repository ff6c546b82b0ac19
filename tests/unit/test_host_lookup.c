/*
 * test_host_lookup.c - unit tests for common/host_lookup.c, with glibc's
 * real resolver on a real event loop (no mocks). "localhost" comes from
 * /etc/hosts; a name under the reserved .invalid domain never resolves
 * (whether the machine's DNS answers NXDOMAIN or does not answer at all, the
 * lookup's own deadline ends it). Every loop is bounded by a deadline.
 */
#include "host_lookup.h"
#include "test.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

struct answer {
    int calls;
    int calls_from_start; /* calls made within host_lookup_start() itself */
    uint64_t elapsed_ms;  /* from the start to the end of the wait */
    int result;
    char address[HOST_LOOKUP_ADDRESS_LENGTH];
    char reason[128];
    bool address_was_null;
};

static void record_answer(int result, const char *address, const char *reason, void *data)
{
    struct answer *answer = data;
    answer->calls++;
    answer->result = result;
    answer->address_was_null = address == NULL;
    if (address)
        snprintf(answer->address, sizeof(answer->address), "%s", address);
    snprintf(answer->reason, sizeof(answer->reason), "%s", reason);
}

/* Runs the loop until answer has a call or wait_ms passed, then for settle_ms more (a second call would show). */
static void run_for_answer(struct event_loop *loop, const struct answer *answer, uint64_t wait_ms, uint64_t settle_ms)
{
    uint64_t deadline = event_loop_now_ms() + wait_ms;
    while (answer->calls == 0 && event_loop_now_ms() < deadline && event_loop_run_once(loop, 20) == 0)
        continue;
    deadline = event_loop_now_ms() + settle_ms;
    while (event_loop_now_ms() < deadline && event_loop_run_once(loop, 10) == 0)
        continue;
}

/*
 * Resolves name on a loop of its own, waiting up to timeout_ms + 2 s for the
 * answer and 50 ms more (a second call would show). Returns 0, or what
 * creating the loop or starting the lookup returned.
 */
static int resolve_once(const char *name, uint64_t timeout_ms, struct answer *answer)
{
    struct event_loop *loop = NULL;
    struct host_lookup *lookup = NULL;
    int result = event_loop_create(&loop);
    if (result < 0)
        return result;
    uint64_t started = event_loop_now_ms();
    result = host_lookup_start(loop, name, timeout_ms, record_answer, answer, &lookup);
    answer->calls_from_start = answer->calls;
    if (result == 0)
        run_for_answer(loop, answer, timeout_ms + 2000, 50);
    answer->elapsed_ms = event_loop_now_ms() - started;
    event_loop_destroy(loop);
    return result;
}

static void test_numeric_addresses_need_no_lookup(void)
{
    ASSERT_TRUE(host_lookup_is_numeric("127.0.0.1"));
    ASSERT_TRUE(host_lookup_is_numeric("::1"));
    ASSERT_TRUE(host_lookup_is_numeric("fe80::1:2"));
    ASSERT_TRUE(!host_lookup_is_numeric("localhost"));
    ASSERT_TRUE(!host_lookup_is_numeric("redis"));
    ASSERT_TRUE(!host_lookup_is_numeric("1.2.3"));
    ASSERT_TRUE(!host_lookup_is_numeric("[::1]"));
    ASSERT_TRUE(!host_lookup_is_numeric(""));
}

static void test_localhost_resolves_to_its_ipv4_address_once(void)
{
    struct answer answer = { 0 };
    ASSERT_EQ_INT(0, resolve_once("localhost", 2000, &answer));
    ASSERT_EQ_INT(0, answer.calls_from_start); /* never from within host_lookup_start() */
    ASSERT_EQ_INT(1, answer.calls);
    ASSERT_EQ_INT(0, answer.result);
    ASSERT_EQ_STR("127.0.0.1", answer.address);
}

static void test_a_name_that_does_not_exist_fails_within_its_deadline(void)
{
    struct answer answer = { 0 };
    ASSERT_EQ_INT(0, resolve_once("no-such-host.invalid", 1000, &answer));
    host_lookup_release_abandoned(0);
    ASSERT_EQ_INT(1, answer.calls);
    ASSERT_TRUE(answer.result == -ENOENT || answer.result == -EAGAIN || answer.result == -ETIMEDOUT);
    ASSERT_TRUE(answer.address_was_null);
    ASSERT_TRUE(answer.reason[0] != '\0');
    ASSERT_TRUE(answer.elapsed_ms < 1000 + 50 + 200);
}

static void test_a_zero_deadline_still_answers_exactly_once(void)
{
    struct answer answer = { 0 };
    ASSERT_EQ_INT(0, resolve_once("localhost", 0, &answer));
    ASSERT_EQ_INT(0, host_lookup_release_abandoned(2000));
    ASSERT_EQ_INT(1, answer.calls);
    if (answer.result == 0)
        ASSERT_EQ_STR("127.0.0.1", answer.address);
    else
        ASSERT_EQ_INT(-ETIMEDOUT, answer.result);
}

static void test_a_cancelled_lookup_never_calls_back(void)
{
    struct event_loop *loop = NULL;
    struct answer answer = { 0 };
    ASSERT_EQ_INT(0, event_loop_create(&loop));
    for (int i = 0; i < 20; i++) {
        struct host_lookup *lookup = NULL;
        ASSERT_EQ_INT(0, host_lookup_start(loop, "localhost", 2000, record_answer, &answer, &lookup));
        if (i % 2)
            ASSERT_EQ_INT(0, event_loop_run_once(loop, 0)); /* half of them may be running or done in glibc */
        host_lookup_cancel(lookup);
    }
    run_for_answer(loop, &answer, 100, 0);
    ASSERT_EQ_INT(0, answer.calls);
    event_loop_destroy(loop);
    ASSERT_EQ_INT(0, host_lookup_release_abandoned(2000));
}

static void test_bad_names_are_refused_at_once(void)
{
    struct event_loop *loop = NULL;
    struct host_lookup *lookup = NULL;
    struct answer answer = { 0 };
    char long_name[300];
    memset(long_name, 'a', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    ASSERT_EQ_INT(0, event_loop_create(&loop));
    ASSERT_EQ_INT(-EINVAL, host_lookup_start(loop, "", 1000, record_answer, &answer, &lookup));
    ASSERT_EQ_INT(-EINVAL, host_lookup_start(loop, long_name, 1000, record_answer, &answer, &lookup));
    run_for_answer(loop, &answer, 50, 0);
    ASSERT_EQ_INT(0, answer.calls);
    event_loop_destroy(loop);
    host_lookup_cancel(NULL);
}

int main(void)
{
    RUN(test_numeric_addresses_need_no_lookup);
    RUN(test_localhost_resolves_to_its_ipv4_address_once);
    RUN(test_a_name_that_does_not_exist_fails_within_its_deadline);
    RUN(test_a_zero_deadline_still_answers_exactly_once);
    RUN(test_a_cancelled_lookup_never_calls_back);
    RUN(test_bad_names_are_refused_at_once);
    return test_done();
}
