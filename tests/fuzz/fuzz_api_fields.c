/*
 * fuzz_api_fields - the pure checks the Step Functions API applies to the
 * string members of a request: ARNs (state machine, execution, activity,
 * role), task tokens (SendTask*), activity ARNs as a Task's Resource, the
 * model's name rules, the machine type, and base64 (the token's encoding).
 *
 * Input: one member's value (up to the first NUL byte).
 */
#include "activity_arn.h"
#include "base64.h"
#include "definition.h"
#include "fuzz_input.h"
#include "sfn_api_request.h"
#include "sfn_arn.h"
#include "task_token.h"

#include <stdlib.h>
#include <string.h>

static void check_arns(const char *text)
{
    static const enum sfn_arn_type types[] = { SFN_ARN_STATE_MACHINE, SFN_ARN_EXECUTION, SFN_ARN_ACTIVITY };
    char error[512];
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        struct sfn_arn arn;
        (void)sfn_arn_parse(text, types[i], &arn, error, sizeof error);
    }
    (void)sfn_arn_check(text, error, sizeof error);
    struct activity_arn activity;
    (void)activity_arn_parse(text, &activity);
    (void)activity_arn_is_activity(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text, *unused;
    char *block = fuzz_input_split(data, size, &text, &unused);
    if (!block)
        return 0;
    check_arns(text);
    char execution_id[TASK_TOKEN_EXECUTION_ID_SIZE];
    (void)task_token_parse(text, execution_id);
    (void)sfn_request_valid_name(text);
    enum machine_type type;
    (void)definition_type_from_name(text, &type);
    unsigned char decoded[1024];
    size_t decoded_length;
    (void)base64_decode(text, decoded, sizeof decoded, &decoded_length);
    free(block);
    return 0;
}
