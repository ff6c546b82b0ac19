/*
 * fuzz_intrinsics - intrinsic function calls ("States.Format('{}', $.a)"):
 * intrinsic_validate, then intrinsic_evaluate over an input document with
 * deterministic random bytes (States.UUID, States.MathRandom).
 *
 * Input: the call, a NUL byte, then the input's JSON text (when it does not
 * parse, a fixed input).
 */
#include "fuzz_input.h"
#include "intrinsic_functions.h"
#include "json_util.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

static const char fallback_input[] =
    "{\"a\":\"text\",\"n\":3,\"list\":[1,2,2,\"a\",{\"k\":1}],\"obj\":{\"x\":1},\"json\":\"{\\\"y\\\":2}\"}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *call, *input_text;
    char *block = fuzz_input_split(data, size, &call, &input_text);
    if (!block)
        return 0;
    cJSON *input = NULL;
    if (json_parse(input_text, strlen(input_text), &input) < 0)
        (void)json_parse(fallback_input, sizeof fallback_input - 1, &input);
    if (input && intrinsic_is_call(call) && intrinsic_validate(call) == 0) {
        const struct intrinsic_scope scope = { .input = input,
                                               .context = input,
                                               .random_bytes = fuzz_input_random_bytes };
        cJSON *result = NULL;
        char error[512];
        if (intrinsic_evaluate(call, &scope, &result, error, sizeof error) == 0)
            cJSON_Delete(result);
    }
    cJSON_Delete(input);
    free(block);
    return 0;
}
