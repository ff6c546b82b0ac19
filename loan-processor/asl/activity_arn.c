/* activity_arn - see activity_arn.h. */
#include "activity_arn.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define PREFIX "arn:aws:states:"

/* Copies the text up to the next ':' into out (at most size - 1 bytes); returns what follows the ':' or NULL. */
static const char *take_field(const char *text, char *out, size_t size)
{
    const char *colon = strchr(text, ':');
    size_t length = colon ? (size_t)(colon - text) : 0;
    if (!colon || length == 0 || length >= size)
        return NULL;
    memcpy(out, text, length);
    out[length] = '\0';
    return colon + 1;
}

static bool valid_region(const char *region)
{
    return strspn(region, "abcdefghijklmnopqrstuvwxyz0123456789-") == strlen(region);
}

static bool valid_account(const char *account)
{
    return strlen(account) == 12 && strspn(account, "0123456789") == 12;
}

enum activity_arn_status activity_arn_parse(const char *arn, struct activity_arn *parsed)
{
    struct activity_arn scratch;
    struct activity_arn *out = parsed ? parsed : &scratch;
    memset(out, 0, sizeof(*out));
    if (strncmp(arn, PREFIX, sizeof(PREFIX) - 1) != 0 || strlen(arn) >= ACTIVITY_ARN_SIZE)
        return ACTIVITY_ARN_MALFORMED;
    const char *rest = take_field(arn + sizeof(PREFIX) - 1, out->region, sizeof(out->region));
    rest = rest ? take_field(rest, out->account, sizeof(out->account)) : NULL;
    rest = rest ? take_field(rest, out->resource_type, sizeof(out->resource_type)) : NULL;
    if (!rest || !valid_region(out->region) || !valid_account(out->account))
        return ACTIVITY_ARN_MALFORMED;
    if (strcmp(out->resource_type, "activity") != 0)
        return ACTIVITY_ARN_OTHER_RESOURCE;
    size_t length = strlen(rest);
    if (length == 0 || length >= sizeof(out->name) || strchr(rest, ':'))
        return ACTIVITY_ARN_MALFORMED;
    memcpy(out->name, rest, length + 1);
    return ACTIVITY_ARN_VALID;
}

bool activity_arn_is_activity(const char *resource)
{
    return resource && activity_arn_parse(resource, NULL) == ACTIVITY_ARN_VALID;
}

int activity_arn_format(const char *region, const char *account, const char *name, char *out, size_t size)
{
    int length = snprintf(out, size, PREFIX "%s:%s:activity:%s", region, account, name);
    return length < 0 || (size_t)length >= size ? -ENAMETOOLONG : 0;
}
