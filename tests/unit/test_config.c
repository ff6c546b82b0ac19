/*
 * test_config.c - unit tests for common/config.c
 */
#include "config.h"
#include "test.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#define OPTION_COUNT 3

/* Environment names unique to this program, so that the caller's environment cannot interfere. */
static void fill_options(struct config_option options[OPTION_COUNT])
{
    static const struct config_option defaults[OPTION_COUNT] = {
        { "UNIT_TEST_CONFIG_PORT", "--port", "8080", "TCP port of the API", NULL },
        { "UNIT_TEST_CONFIG_TIME_SCALE", "--time-scale", "1", "Multiplies every delay", NULL },
        { "UNIT_TEST_CONFIG_REDIS_URL", "--redis-url", "redis://localhost:6379", "Where Redis is", NULL },
    };
    memcpy(options, defaults, sizeof(defaults));
    unsetenv("UNIT_TEST_CONFIG_PORT");
    unsetenv("UNIT_TEST_CONFIG_TIME_SCALE");
    unsetenv("UNIT_TEST_CONFIG_REDIS_URL");
}

static int parse(struct config_option options[OPTION_COUNT], int argc, char **argv, char *error, size_t error_size)
{
    return config_parse(options, OPTION_COUNT, argc, argv, "A unit test.", error, error_size);
}

static void test_defaults_without_environment_or_flags(void)
{
    struct config_option options[OPTION_COUNT];
    char program[] = "prog";
    char *argv[] = { program, NULL };
    char error[128] = "";

    fill_options(options);
    ASSERT_EQ_INT(0, parse(options, 1, argv, error, sizeof(error)));
    ASSERT_EQ_STR("8080", config_value(options, OPTION_COUNT, "UNIT_TEST_CONFIG_PORT"));
    ASSERT_EQ_STR("1", config_value(options, OPTION_COUNT, "UNIT_TEST_CONFIG_TIME_SCALE"));
    ASSERT_EQ_STR("redis://localhost:6379", config_value(options, OPTION_COUNT, "UNIT_TEST_CONFIG_REDIS_URL"));
    ASSERT_NULL(config_value(options, OPTION_COUNT, "NO_SUCH_OPTION"));
}

static void test_environment_overrides_default(void)
{
    struct config_option options[OPTION_COUNT];
    char program[] = "prog";
    char *argv[] = { program, NULL };
    char error[128] = "";

    fill_options(options);
    setenv("UNIT_TEST_CONFIG_PORT", "9090", 1);
    setenv("UNIT_TEST_CONFIG_TIME_SCALE", "", 1); /* empty: as if unset */
    int rc = parse(options, 1, argv, error, sizeof(error));
    unsetenv("UNIT_TEST_CONFIG_PORT");
    unsetenv("UNIT_TEST_CONFIG_TIME_SCALE");
    ASSERT_EQ_INT(0, rc);
    ASSERT_EQ_STR("9090", options[0].value);
    ASSERT_EQ_STR("1", options[1].value);
    ASSERT_EQ_STR("redis://localhost:6379", options[2].value);
}

static void test_flags_override_environment_in_both_forms(void)
{
    struct config_option options[OPTION_COUNT];
    char program[] = "prog", a1[] = "--port", a2[] = "7070", a3[] = "--time-scale=0.5",
         a4[] = "--redis-url=redis://h:1/?a=b";
    char *argv[] = { program, a1, a2, a3, a4, NULL };
    char error[128] = "";

    fill_options(options);
    setenv("UNIT_TEST_CONFIG_PORT", "9090", 1);
    setenv("UNIT_TEST_CONFIG_TIME_SCALE", "3", 1);
    int rc = parse(options, 5, argv, error, sizeof(error));
    unsetenv("UNIT_TEST_CONFIG_PORT");
    unsetenv("UNIT_TEST_CONFIG_TIME_SCALE");
    ASSERT_EQ_INT(0, rc);
    ASSERT_EQ_STR("7070", options[0].value);
    ASSERT_EQ_STR("0.5", options[1].value);
    /* Only the first '=' separates flag and value. */
    ASSERT_EQ_STR("redis://h:1/?a=b", options[2].value);
}

static void test_last_flag_wins(void)
{
    struct config_option options[OPTION_COUNT];
    char program[] = "prog", a1[] = "--port=1", a2[] = "--port", a3[] = "2";
    char *argv[] = { program, a1, a2, a3, NULL };
    char error[128] = "";

    fill_options(options);
    ASSERT_EQ_INT(0, parse(options, 4, argv, error, sizeof(error)));
    ASSERT_EQ_STR("2", options[0].value);
}

static void test_empty_value_with_equals(void)
{
    struct config_option options[OPTION_COUNT];
    char program[] = "prog", a1[] = "--redis-url=";
    char *argv[] = { program, a1, NULL };
    char error[128] = "";

    fill_options(options);
    ASSERT_EQ_INT(0, parse(options, 2, argv, error, sizeof(error)));
    ASSERT_EQ_STR("", options[2].value);
}

static void test_unknown_flag(void)
{
    struct config_option options[OPTION_COUNT];
    char program[] = "prog", a1[] = "--prot", a2[] = "80";
    char *argv[] = { program, a1, a2, NULL };
    char error[128] = "";

    fill_options(options);
    ASSERT_EQ_INT(-EINVAL, parse(options, 3, argv, error, sizeof(error)));
    ASSERT_EQ_STR("unknown option '--prot' (see --help)", error);
}

static void test_unknown_flag_with_equals_and_prefix_of_a_flag(void)
{
    struct config_option options[OPTION_COUNT];
    char program[] = "prog", a1[] = "--po=80", a2[] = "--port8080", a3[] = "8080";
    char *with_equals[] = { program, a1, NULL };
    char *glued[] = { program, a2, NULL };
    char *positional[] = { program, a3, NULL };
    char error1[128] = "", error2[128] = "", error3[128] = "";

    fill_options(options);
    ASSERT_EQ_INT(-EINVAL, parse(options, 2, with_equals, error1, sizeof(error1)));
    ASSERT_EQ_STR("unknown option '--po=80' (see --help)", error1);
    ASSERT_EQ_INT(-EINVAL, parse(options, 2, glued, error2, sizeof(error2)));
    ASSERT_EQ_STR("unknown option '--port8080' (see --help)", error2);
    ASSERT_EQ_INT(-EINVAL, parse(options, 2, positional, error3, sizeof(error3)));
    ASSERT_EQ_STR("unknown option '8080' (see --help)", error3);
}

static void test_missing_value(void)
{
    struct config_option options[OPTION_COUNT];
    char program[] = "prog", a1[] = "--time-scale", a2[] = "2", a3[] = "--port";
    char *argv[] = { program, a1, a2, a3, NULL };
    char error[128] = "";

    fill_options(options);
    ASSERT_EQ_INT(-EINVAL, parse(options, 4, argv, error, sizeof(error)));
    ASSERT_EQ_STR("option '--port' needs a value", error);
}

static void test_error_message_is_truncated_to_the_buffer(void)
{
    struct config_option options[OPTION_COUNT];
    char program[] = "prog", a1[] = "--a-very-long-unknown-option-name";
    char *argv[] = { program, a1, NULL };
    char error[12];

    fill_options(options);
    memset(error, 'x', sizeof(error));
    ASSERT_EQ_INT(-EINVAL, parse(options, 2, argv, error, sizeof(error)));
    ASSERT_EQ_STR("unknown opt", error);
}

/* Runs config_parse with stdout captured into captured (NUL-terminated). */
static int parse_capturing_stdout(struct config_option options[OPTION_COUNT], int argc, char **argv, char *captured,
                                  size_t captured_size)
{
    FILE *capture = tmpfile();
    char error[128] = "";
    int saved = dup(STDOUT_FILENO);
    fflush(stdout);
    dup2(fileno(capture), STDOUT_FILENO);
    int rc = parse(options, argc, argv, error, sizeof(error));
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    rewind(capture);
    size_t got = fread(captured, 1, captured_size - 1, capture);
    captured[got] = '\0';
    fclose(capture);
    return rc;
}

static void test_help_returns_1_and_lists_options(void)
{
    struct config_option options[OPTION_COUNT];
    char program[] = "prog", a1[] = "--port", a2[] = "1", a3[] = "--help", a4[] = "--bogus";
    char *argv[] = { program, a1, a2, a3, a4, NULL };
    char usage[4096];

    fill_options(options);
    ASSERT_EQ_INT(1, parse_capturing_stdout(options, 5, argv, usage, sizeof(usage)));
    ASSERT_TRUE(strncmp(usage, "Usage: prog [options]\n\nA unit test.\n", 36) == 0);
    ASSERT_TRUE(strstr(usage, "  --time-scale VALUE\n      Multiplies every delay\n"
                              "      environment: UNIT_TEST_CONFIG_TIME_SCALE, default: 1\n")
                != NULL);
    ASSERT_TRUE(strstr(usage, "--redis-url VALUE") != NULL);
    ASSERT_TRUE(strstr(usage, "--help") != NULL);
}

static void test_short_help(void)
{
    struct config_option options[OPTION_COUNT];
    char program[] = "prog", a1[] = "-h";
    char *argv[] = { program, a1, NULL };
    char usage[4096];

    fill_options(options);
    ASSERT_EQ_INT(1, parse_capturing_stdout(options, 2, argv, usage, sizeof(usage)));
    ASSERT_TRUE(strstr(usage, "--port VALUE") != NULL);
}

static void test_to_port(void)
{
    uint16_t port = 0;

    ASSERT_EQ_INT(0, config_to_port("1", &port));
    ASSERT_EQ_INT(1, port);
    ASSERT_EQ_INT(0, config_to_port("65535", &port));
    ASSERT_EQ_INT(65535, port);
    ASSERT_EQ_INT(0, config_to_port("8080", &port));
    ASSERT_EQ_INT(8080, port);
    port = 42;
    ASSERT_EQ_INT(-EINVAL, config_to_port("0", &port));
    ASSERT_EQ_INT(-EINVAL, config_to_port("65536", &port));
    ASSERT_EQ_INT(-EINVAL, config_to_port("-1", &port));
    ASSERT_EQ_INT(-EINVAL, config_to_port("", &port));
    ASSERT_EQ_INT(-EINVAL, config_to_port("80x", &port));
    ASSERT_EQ_INT(-EINVAL, config_to_port("80 ", &port));
    ASSERT_EQ_INT(-EINVAL, config_to_port("8080.0", &port));
    ASSERT_EQ_INT(-EINVAL, config_to_port("http", &port));
    ASSERT_EQ_INT(-EINVAL, config_to_port("99999999999999999999999", &port));
    ASSERT_EQ_INT(42, port); /* untouched on failure */
}

static void test_to_positive_number(void)
{
    double number = 0;

    ASSERT_EQ_INT(0, config_to_positive_number("0.5", &number));
    ASSERT_TRUE(number == 0.5);
    ASSERT_EQ_INT(0, config_to_positive_number("60", &number));
    ASSERT_TRUE(number == 60.0);
    ASSERT_EQ_INT(0, config_to_positive_number("1e-3", &number));
    ASSERT_TRUE(number == 1e-3);
    number = 7;
    ASSERT_EQ_INT(-EINVAL, config_to_positive_number("0", &number));
    ASSERT_EQ_INT(-EINVAL, config_to_positive_number("-0.5", &number));
    ASSERT_EQ_INT(-EINVAL, config_to_positive_number("", &number));
    ASSERT_EQ_INT(-EINVAL, config_to_positive_number("fast", &number));
    ASSERT_EQ_INT(-EINVAL, config_to_positive_number("1.5x", &number));
    ASSERT_EQ_INT(-EINVAL, config_to_positive_number("inf", &number));
    ASSERT_EQ_INT(-EINVAL, config_to_positive_number("nan", &number));
    ASSERT_EQ_INT(-EINVAL, config_to_positive_number("1e999", &number));
    ASSERT_TRUE(number == 7); /* untouched on failure */
}

static void test_to_integer(void)
{
    long long number = 0;

    ASSERT_EQ_INT(0, config_to_integer("-5", -10, 10, &number));
    ASSERT_EQ_INT(-5, number);
    ASSERT_EQ_INT(0, config_to_integer("10", -10, 10, &number));
    ASSERT_EQ_INT(10, number);
    ASSERT_EQ_INT(0, config_to_integer("-10", -10, 10, &number));
    ASSERT_EQ_INT(-10, number);
    ASSERT_EQ_INT(0, config_to_integer("9223372036854775807", 0, 9223372036854775807LL, &number));
    ASSERT_EQ_INT(9223372036854775807LL, number);
    number = 3;
    ASSERT_EQ_INT(-EINVAL, config_to_integer("11", -10, 10, &number));
    ASSERT_EQ_INT(-EINVAL, config_to_integer("-11", -10, 10, &number));
    ASSERT_EQ_INT(-EINVAL, config_to_integer("", 0, 10, &number));
    ASSERT_EQ_INT(-EINVAL, config_to_integer("1.0", 0, 10, &number));
    ASSERT_EQ_INT(-EINVAL, config_to_integer("5 apples", 0, 10, &number));
    ASSERT_EQ_INT(-EINVAL, config_to_integer("9223372036854775808", 0, 9223372036854775807LL, &number));
    ASSERT_EQ_INT(3, number); /* untouched on failure */
}

int main(void)
{
    RUN(test_defaults_without_environment_or_flags);
    RUN(test_environment_overrides_default);
    RUN(test_flags_override_environment_in_both_forms);
    RUN(test_last_flag_wins);
    RUN(test_empty_value_with_equals);
    RUN(test_unknown_flag);
    RUN(test_unknown_flag_with_equals_and_prefix_of_a_flag);
    RUN(test_missing_value);
    RUN(test_error_message_is_truncated_to_the_buffer);
    RUN(test_help_returns_1_and_lists_options);
    RUN(test_short_help);
    RUN(test_to_port);
    RUN(test_to_positive_number);
    RUN(test_to_integer);
    return test_done();
}
