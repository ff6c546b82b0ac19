/*
 * aws_resource_name - the name rule SNS topics and SQS queues share:
 * letters, digits, '_' and '-', optionally ending in ".fifo". Pure.
 */
#ifndef AWS_RESOURCE_NAME_H
#define AWS_RESOURCE_NAME_H

#include <stdbool.h>
#include <stddef.h>

/* Whether c is one of [A-Za-z0-9_-]. */
bool aws_resource_name_character(char c);

/* Whether name is 1 to max_length characters of [A-Za-z0-9_-], with an optional ".fifo" ending. */
bool aws_resource_name_valid(const char *name, size_t max_length);

#endif
