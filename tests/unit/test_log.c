/* test_log - log level names, which lines a level lets through, and how a line is cut. */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"

/* What log_event() writes to standard error while fn runs (malloc'd, "" when nothing; NULL on failure). */
static char *logged_by(void (*fn)(void))
{
    FILE *capture = tmpfile();
    int saved = dup(STDERR_FILENO);
    if (!capture || saved < 0 || dup2(fileno(capture), STDERR_FILENO) < 0) {
        if (capture)
            fclose(capture);
        if (saved >= 0)
            close(saved);
        return NULL;
    }
    fn();
    dup2(saved, STDERR_FILENO);
    close(saved);
    long size = fseek(capture, 0, SEEK_END) == 0 ? ftell(capture) : -1; /* write(2) moved the shared offset */
    char *text = size >= 0 ? calloc(1, (size_t)size + 1) : NULL;
    if (text && (fseek(capture, 0, SEEK_SET) != 0 || fread(text, 1, (size_t)size, capture) != (size_t)size)) {
        free(text);
        text = NULL;
    }
    fclose(capture);
    return text;
}

static void log_one_line_per_level(void)
{
    log_event(LOG_DEBUG, "said-debug", "d");
    log_event(LOG_INFO, "said-info", "i");
    log_event(LOG_WARN, "said-warn", "w");
    log_event(LOG_ERROR, "said-error", "e");
}

static void log_a_long_message(void)
{
    char message[5000];
    memset(message, 'x', sizeof(message) - 1);
    message[sizeof(message) - 1] = '\0';
    log_event(LOG_WARN, "said-much", "%s", message);
}

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
    char *text = logged_by(log_one_line_per_level);
    ASSERT_NOT_NULL(text);
    ASSERT_TRUE(!strstr(text, "said-debug") && !strstr(text, "said-info"));
    ASSERT_TRUE(strstr(text, " WARN  test said-warn: w\n") != NULL);
    ASSERT_TRUE(strstr(text, " ERROR test said-error: e\n") != NULL);
    free(text);
    log_configure("test", false, LOG_DEBUG);
    text = logged_by(log_one_line_per_level);
    ASSERT_NOT_NULL(text);
    ASSERT_TRUE(strstr(text, " DEBUG test said-debug: d\n") != NULL);
    ASSERT_TRUE(strstr(text, " INFO  test said-info: i\n") != NULL);
    free(text);
}

static void test_a_long_message_is_cut_and_stays_one_line(void)
{
    log_configure("test", false, LOG_INFO);
    char *text = logged_by(log_a_long_message);
    ASSERT_NOT_NULL(text);
    size_t length = strlen(text);
    ASSERT_TRUE(length > 2000 && length < 2400);
    ASSERT_TRUE(text[length - 1] == '\n' && strchr(text, '\n') == text + length - 1);
    ASSERT_TRUE(strstr(text, " WARN  test said-much: xxx") != NULL);
    free(text);
}

int main(void)
{
    RUN(test_reads_every_level_name);
    RUN(test_refuses_other_names);
    RUN(test_level_lets_through_itself_and_above);
    RUN(test_a_long_message_is_cut_and_stays_one_line);
    return test_done();
}
