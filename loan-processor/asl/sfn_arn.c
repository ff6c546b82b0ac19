/* sfn_arn - see sfn_arn.h. */
#include "sfn_arn.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Colon-separated fields of an ARN: arn, partition, service, region, account, then the resource. */
enum { FIELD_ARN, FIELD_PARTITION, FIELD_SERVICE, FIELD_REGION, FIELD_ACCOUNT, FIELD_RESOURCE, ARN_FIELDS };

static int invalid_prefix(const char *text, char *error, size_t error_size)
{
    snprintf(error, error_size, "Invalid ARN prefix: %s", text);
    return -EINVAL;
}

/*
 * Splits text into its first five fields and the resource (the rest, with
 * its colons). Returns false when there are fewer than six fields.
 */
static bool split_fields(const char *text, const char *fields[ARN_FIELDS], size_t lengths[ARN_FIELDS])
{
    const char *at = text;
    for (int i = 0; i < FIELD_RESOURCE; i++) {
        const char *colon = strchr(at, ':');
        if (!colon)
            return false;
        fields[i] = at;
        lengths[i] = (size_t)(colon - at);
        at = colon + 1;
    }
    fields[FIELD_RESOURCE] = at;
    lengths[FIELD_RESOURCE] = strlen(at);
    return true;
}

static bool field_is(const char *field, size_t length, const char *expected)
{
    return length == strlen(expected) && strncmp(field, expected, length) == 0;
}

static bool is_account(const char *field, size_t length)
{
    if (length != 12)
        return false;
    for (size_t i = 0; i < length; i++) {
        if (!isdigit((unsigned char)field[i]))
            return false;
    }
    return true;
}

int sfn_arn_check(const char *text, char *error, size_t error_size)
{
    const char *fields[ARN_FIELDS];
    size_t lengths[ARN_FIELDS];
    if (strncmp(text, "arn:", 4) != 0 || !split_fields(text, fields, lengths) || !lengths[FIELD_PARTITION]
        || !lengths[FIELD_SERVICE] || !lengths[FIELD_RESOURCE])
        return invalid_prefix(text, error, error_size);
    return 0;
}

/* Copies the resource's name part (after "<type>:") into out; false when it is empty or too long. */
static bool copy_name(const char *name, char *out)
{
    size_t length = strlen(name);
    if (length == 0 || length >= SFN_ARN_PART_SIZE)
        return false;
    memcpy(out, name, length + 1);
    return true;
}

/* mapRun:<stateMachine>/<label>:<uuid>: each part present. */
static int parse_map_run(const char *text, const char *name, struct sfn_arn *arn, char *error, size_t error_size)
{
    const char *slash = strchr(name, '/');
    const char *colon = slash ? strchr(slash + 1, ':') : NULL;
    if (!slash || slash == name || !colon || colon == slash + 1 || !colon[1])
        return invalid_prefix(text, error, error_size);
    if (!copy_name(name, arn->map_run_id) || (size_t)(slash - name) >= sizeof(arn->state_machine)) {
        snprintf(error, error_size, "Map Run id too long");
        return -ENAMETOOLONG;
    }
    snprintf(arn->state_machine, sizeof(arn->state_machine), "%.*s", (int)(slash - name), name);
    return 0;
}

int sfn_arn_parse(const char *text, enum sfn_arn_type type, struct sfn_arn *arn, char *error, size_t error_size)
{
    const char *fields[ARN_FIELDS];
    size_t lengths[ARN_FIELDS];
    if (strncmp(text, "arn:", 4) != 0 || !split_fields(text, fields, lengths) || !lengths[FIELD_PARTITION]
        || !field_is(fields[FIELD_SERVICE], lengths[FIELD_SERVICE], "states") || !lengths[FIELD_REGION]
        || !is_account(fields[FIELD_ACCOUNT], lengths[FIELD_ACCOUNT]))
        return invalid_prefix(text, error, error_size);
    const char *resource = fields[FIELD_RESOURCE];
    const char *colon = strchr(resource, ':');
    if (!colon || colon == resource)
        return invalid_prefix(text, error, error_size);
    size_t type_length = (size_t)(colon - resource);
    static const char *const type_names[] = { "stateMachine", "execution", "activity", "mapRun" };
    const char *expected = type_names[type];
    if (!field_is(resource, type_length, expected)) {
        char resource_type[SFN_ARN_PART_SIZE];
        for (size_t i = 0; i < type_length && i + 1 < sizeof(resource_type); i++)
            resource_type[i] = (char)tolower((unsigned char)resource[i]);
        resource_type[type_length < sizeof(resource_type) ? type_length : sizeof(resource_type) - 1] = '\0';
        snprintf(error, error_size, "Resource type not valid in this context: %s", resource_type);
        return -EINVAL;
    }
    memset(arn, 0, sizeof(*arn));
    const char *name = colon + 1;
    if (type == SFN_ARN_STATE_MACHINE)
        return copy_name(name, arn->state_machine) ? 0 : invalid_prefix(text, error, error_size);
    if (type == SFN_ARN_ACTIVITY)
        return !strchr(name, ':') && copy_name(name, arn->activity) ? 0 : invalid_prefix(text, error, error_size);
    if (type == SFN_ARN_MAP_RUN)
        return parse_map_run(text, name, arn, error, error_size);
    /* execution:<stateMachine>:<execution> */
    const char *separator = strchr(name, ':');
    if (!separator || separator == name || !separator[1] || !copy_name(name, arn->execution_id))
        return invalid_prefix(text, error, error_size);
    snprintf(arn->state_machine, sizeof(arn->state_machine), "%.*s", (int)(separator - name), name);
    return 0;
}
