/*
 * test.h - a tiny TAP producer for the unit-test programs.
 *
 * Each program defines test functions and lists them in main():
 *
 *     static void test_parses_root(void) { ASSERT_EQ_INT(0, ...); }
 *     int main(void) { RUN(test_parses_root); return test_done(); }
 *
 * Every RUN() is one TAP test point ("ok N - name"), so meson counts the
 * cases, not the programs. An assertion that fails prints a diagnostic and
 * returns from the test function; the remaining tests still run.
 */
#ifndef TEST_H
#define TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * One set of counters per program, whichever of its files assert: each file
 * that includes this header defines them weakly, and the linker keeps one.
 */
__attribute__((weak)) int test_count;
__attribute__((weak)) int test_failures;
__attribute__((weak)) int test_current_failed;

#define TEST_FAIL_(...)                          \
    do {                                         \
        printf("# %s:%d: ", __FILE__, __LINE__); \
        printf(__VA_ARGS__);                     \
        printf("\n");                            \
        test_current_failed = 1;                 \
        return;                                  \
    } while (0)

#define ASSERT_TRUE(cond)                           \
    do {                                            \
        if (!(cond))                                \
            TEST_FAIL_("expected true: %s", #cond); \
    } while (0)

#define ASSERT_EQ_INT(expected, actual)                                 \
    do {                                                                \
        long long e_ = (long long)(expected), a_ = (long long)(actual); \
        if (e_ != a_)                                                   \
            TEST_FAIL_("%s: expected %lld, got %lld", #actual, e_, a_); \
    } while (0)

#define ASSERT_EQ_STR(expected, actual)                                                     \
    do {                                                                                    \
        const char *e_ = (expected), *a_ = (actual);                                        \
        if (!a_ || strcmp(e_, a_) != 0)                                                     \
            TEST_FAIL_("%s: expected \"%s\", got \"%s\"", #actual, e_, a_ ? a_ : "(null)"); \
    } while (0)

#define ASSERT_NOT_NULL(p)                           \
    do {                                             \
        if ((p) == NULL)                             \
            TEST_FAIL_("expected non-NULL: %s", #p); \
    } while (0)

#define ASSERT_NULL(p)                           \
    do {                                         \
        if ((p) != NULL)                         \
            TEST_FAIL_("expected NULL: %s", #p); \
    } while (0)

#define RUN(fn)                                                                         \
    do {                                                                                \
        test_current_failed = 0;                                                        \
        fn();                                                                           \
        test_count++;                                                                   \
        if (test_current_failed)                                                        \
            test_failures++;                                                            \
        printf("%s %d - %s\n", test_current_failed ? "not ok" : "ok", test_count, #fn); \
        fflush(stdout);                                                                 \
    } while (0)

/* Reads a whole file (NUL-terminated; its length in *length); NULL on failure. The caller frees. */
static inline char *test_read_file(const char *path, size_t *length)
{
    FILE *file = fopen(path, "rb");
    char *text = NULL;
    long size;
    if (!file)
        return NULL;
    if (fseek(file, 0, SEEK_END) == 0 && (size = ftell(file)) >= 0 && fseek(file, 0, SEEK_SET) == 0
        && (text = malloc((size_t)size + 1)) != NULL) {
        *length = fread(text, 1, (size_t)size, file);
        text[*length] = '\0';
    }
    fclose(file);
    return text;
}

/*
 * The blog's shipped definitions, for the programs that meson gives
 * -DSOURCE_ROOT (unit_test_c_args in tests/unit/meson.build).
 */
#ifdef SOURCE_ROOT
#define TEST_STATE_MACHINES_DIR SOURCE_ROOT "/loan-processor/state-machines/"
#define TEST_BLOG_PART1_PATH TEST_STATE_MACHINES_DIR "LoanProcessorPart1StateMachine.asl.json"
#define TEST_BLOG_PART2_PATH TEST_STATE_MACHINES_DIR "LoanProcessorStateMachine.asl.json"
#endif

static inline int test_done(void)
{
    printf("1..%d\n", test_count);
    return test_failures ? 1 : 0;
}

#endif
