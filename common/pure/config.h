/*
 * config - settings from environment variables, overridden by matching
 * command-line flags, with --help generated from the same table.
 *
 *     static struct config_option options[] = {
 *         { "LOAN_PROCESSOR_PORT", "--port", "8080", "TCP port of the API and webhook" },
 *     };
 *
 * Precedence: flag, then environment variable, then default.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <stddef.h>
#include <stdint.h>

struct config_option {
    const char *environment_name; /* e.g. "TIME_SCALE" */
    const char *flag;             /* e.g. "--time-scale"; takes a value */
    const char *default_value;
    const char *help;
    const char *value; /* set by config_parse(); borrowed from argv/environ/default */
};

/*
 * Fills each option's value. Accepts "--flag value" and "--flag=value".
 * Returns 0; 1 after printing usage for --help (the caller exits 0); or
 * -EINVAL with a one-line reason in error for an unknown flag or a missing value.
 */
__attribute__((warn_unused_result)) int config_parse(struct config_option *options, size_t count, int argc, char **argv,
                                                     const char *summary, char *error, size_t error_size);

/* The value of the option with this environment name, or NULL. */
const char *config_value(const struct config_option *options, size_t count, const char *environment_name);

/* Parses a TCP port (1-65535). Returns 0 or -EINVAL. */
__attribute__((warn_unused_result)) int config_to_port(const char *text, uint16_t *port);

/* Parses a finite number > 0. Returns 0 or -EINVAL. */
__attribute__((warn_unused_result)) int config_to_positive_number(const char *text, double *number);

/* Parses a whole number in [minimum, maximum]. Returns 0 or -EINVAL. */
__attribute__((warn_unused_result)) int config_to_integer(const char *text, long long minimum, long long maximum,
                                                          long long *number);

#endif
