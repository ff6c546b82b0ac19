/* test_log - log level names and which lines a level lets through. */
#include "log.h"

#include <errno.h>

#include "test.h"

static void test_reads_every_level_name(void)
{
    enum log_level level = LOG_ERROR;
    ASSERT_EQ_INT(0, log_level_from_name("debug", &level));
    ASSERT_EQ_INT(LOG_DEBUG, level);
    ASSERT_EQ_INT(0, log_level_from_name("info", &level));
    ASSERT_EQ_INT(LOG_INFO, level);
    ASSERT_EQ_INT(0, log_level_from_name("warn", &level));
    ASSERT_EQ_INT(LOG_WARN, level);
    ASSERT_EQ_INT(0, log_level_from_name("error", &level));
    ASSERT_EQ_INT(LOG_ERROR, level);
}

static void test_refuses_other_names(void)
{
    enum log_level level = LOG_WARN;
    ASSERT_EQ_INT(-EINVAL, log_level_from_name("INFO", &level));
    ASSERT_EQ_INT(-EINVAL, log_level_from_name("warning", &level));
    ASSERT_EQ_INT(-EINVAL, log_level_from_name("", &level));
    ASSERT_EQ_INT(LOG_WARN, level);
}

static void test_level_lets_through_itself_and_above(void)
{
    log_configure("test", false, LOG_WARN);
    ASSERT_TRUE(!log_enabled(LOG_DEBUG));
    ASSERT_TRUE(!log_enabled(LOG_INFO));
    ASSERT_TRUE(log_enabled(LOG_WARN));
    ASSERT_TRUE(log_enabled(LOG_ERROR));
    log_configure("test", false, LOG_DEBUG);
    ASSERT_TRUE(log_enabled(LOG_DEBUG));
}

int main(void)
{
    RUN(test_reads_every_level_name);
    RUN(test_refuses_other_names);
    RUN(test_level_lets_through_itself_and_above);
    return test_done();
}
