/* config - see config.h. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_usage(const struct config_option *options, size_t count, const char *program, const char *summary)
{
    printf("Usage: %s [options]\n\n%s\n\nOptions (each also read from the environment variable shown):\n", program,
           summary);
    for (size_t i = 0; i < count; i++) {
        printf("  %s VALUE\n      %s\n      environment: %s, default: %s\n", options[i].flag, options[i].help,
               options[i].environment_name, options[i].default_value);
    }
    printf("  --help\n      Show this help and exit.\n");
}

static struct config_option *find_flag(struct config_option *options, size_t count, const char *flag,
                                       size_t flag_length)
{
    for (size_t i = 0; i < count; i++) {
        if (strlen(options[i].flag) == flag_length && strncmp(options[i].flag, flag, flag_length) == 0)
            return &options[i];
    }
    return NULL;
}

int config_parse(struct config_option *options, size_t count, int argc, char **argv, const char *summary, char *error,
                 size_t error_size)
{
    for (size_t i = 0; i < count; i++) {
        const char *from_environment = getenv(options[i].environment_name);
        options[i].value = from_environment && *from_environment ? from_environment : options[i].default_value;
    }
    for (int i = 1; i < argc; i++) {
        const char *argument = argv[i];
        if (strcmp(argument, "--help") == 0 || strcmp(argument, "-h") == 0) {
            print_usage(options, count, argv[0], summary);
            return 1;
        }
        const char *equals = strchr(argument, '=');
        size_t flag_length = equals ? (size_t)(equals - argument) : strlen(argument);
        struct config_option *option = find_flag(options, count, argument, flag_length);
        if (!option) {
            snprintf(error, error_size, "unknown option '%s' (see --help)", argument);
            return -EINVAL;
        }
        if (equals) {
            option->value = equals + 1;
        } else if (i + 1 < argc) {
            option->value = argv[++i];
        } else {
            snprintf(error, error_size, "option '%s' needs a value", argument);
            return -EINVAL;
        }
    }
    return 0;
}

const char *config_value(const struct config_option *options, size_t count, const char *environment_name)
{
    for (size_t i = 0; i < count; i++) {
        if (strcmp(options[i].environment_name, environment_name) == 0)
            return options[i].value;
    }
    return NULL;
}

/* strtoll and strtod skip leading white space and accept '+': settings must not. */
static bool starts_like_a_number(const char *text)
{
    return (text[0] >= '0' && text[0] <= '9') || (text[0] == '-' && text[1] >= '0' && text[1] <= '9') || text[0] == '.';
}

int config_to_integer(const char *text, long long minimum, long long maximum, long long *number)
{
    char *end;
    if (!starts_like_a_number(text))
        return -EINVAL;
    errno = 0;
    long long value = strtoll(text, &end, 10);
    if (errno || end == text || *end || value < minimum || value > maximum)
        return -EINVAL;
    *number = value;
    return 0;
}

int config_to_port(const char *text, uint16_t *port)
{
    long long value;
    if (config_to_integer(text, 1, 65535, &value) < 0)
        return -EINVAL;
    *port = (uint16_t)value;
    return 0;
}

int config_to_positive_number(const char *text, double *number)
{
    char *end;
    if (!starts_like_a_number(text))
        return -EINVAL;
    errno = 0;
    double value = strtod(text, &end);
    if (errno || end == text || *end || !isfinite(value) || value <= 0)
        return -EINVAL;
    *number = value;
    return 0;
}
