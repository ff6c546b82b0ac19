/* engine_names - the ARNs of state machines and executions (see engine.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "engine_internal.h"
#include "execution_store.h"
#include "sfn_arn.h"

void engine_state_machine_arn(const struct engine *engine, const char *name, char *out, size_t size)
{
    snprintf(out, size, "arn:aws:states:%s:%s:stateMachine:%s", engine->config.region, engine->config.account, name);
}

int engine_execution_arn(const char *state_machine_arn, const char *execution_name, char *out, size_t size)
{
    static const char marker[] = ":stateMachine:";
    const char *found = strstr(state_machine_arn, marker);
    if (!found)
        return -EINVAL;
    int length = snprintf(out, size, "%.*s:execution:%s:%s", (int)(found - state_machine_arn), state_machine_arn,
                          found + sizeof(marker) - 1, execution_name);
    return length < 0 || (size_t)length >= size ? -EINVAL : 0;
}

int engine_machine_name_from_arn(const struct engine *engine, const char *state_machine_arn, char *out, size_t size)
{
    struct sfn_arn parsed;
    char expected[2 * SFN_ARN_PART_SIZE], error[2 * SFN_ARN_PART_SIZE];
    if (sfn_arn_parse(state_machine_arn, SFN_ARN_STATE_MACHINE, &parsed, error, sizeof(error)) < 0
        || strlen(parsed.state_machine) >= size)
        return -ENOENT;
    strcpy(out, parsed.state_machine);
    engine_state_machine_arn(engine, out, expected, sizeof(expected));
    return strcmp(expected, state_machine_arn) == 0 ? 0 : -ENOENT;
}

int engine_express_arn(const char *state_machine_arn, const char *execution_name, const char *uuid, char *out,
                       size_t size)
{
    static const char marker[] = ":stateMachine:";
    const char *found = strstr(state_machine_arn, marker);
    if (!found)
        return -EINVAL;
    int length = snprintf(out, size, "%.*s%s%s:%s:%s", (int)(found - state_machine_arn), state_machine_arn,
                          EXECUTION_STORE_EXPRESS_MARKER, found + sizeof(marker) - 1, execution_name, uuid);
    return length < 0 || (size_t)length >= size ? -EINVAL : 0;
}

int engine_express_execution_id(const char *execution_arn, char *out, size_t size)
{
    const char *found = strstr(execution_arn, EXECUTION_STORE_EXPRESS_MARKER);
    if (!found || strncmp(execution_arn, "arn:", 4) != 0)
        return -EINVAL;
    const char *machine = found + strlen(EXECUTION_STORE_EXPRESS_MARKER);
    const char *machine_end = strchr(machine, ':'), *uuid = strrchr(machine, ':');
    if (!machine_end || machine_end == machine || uuid == machine_end || !uuid[1])
        return -EINVAL;
    int length = snprintf(out, size, "%.*s%s", (int)(machine_end - machine), machine, uuid);
    return length < 0 || (size_t)length >= size ? -EINVAL : 0;
}

double engine_time_scale(const struct engine *engine)
{
    return engine->config.time_scale;
}

struct event_loop *engine_loop(const struct engine *engine)
{
    return engine->loop;
}
