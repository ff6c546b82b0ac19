/*
 * fuzz_jsonata - JSONata expressions: jsonata_parse, then jsonata_evaluate
 * over an input document with a fixed time and seed, under tight limits
 * (depth 200, 200,000 steps, 16 MiB), so that a slow or large input is a bug of the limits.
 *
 * Input: the expression, a NUL byte, then the input's JSON text (when it
 * does not parse, a fixed input).
 */
#include "fuzz_input.h"
#include "json_util.h"
#include "jsonata.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

static const char fallback_input[] =
    "{\"a\":\"text\",\"n\":3,\"list\":[1,2,2,\"a\",{\"k\":1}],\"obj\":{\"x\":{\"y\":[1,"
    "{\"z\":2}]}},\"people\":[{\"name\":\"A\",\"age\":3},{\"name\":\"B\",\"age\":1}]}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text, *input_text;
    char *block = fuzz_input_split(data, size, &text, &input_text);
    if (!block)
        return 0;
    cJSON *input = NULL;
    if (json_parse(input_text, strlen(input_text), &input) < 0)
        (void)json_parse(fallback_input, sizeof fallback_input - 1, &input);
    struct jsonata_expression *expression = NULL;
    struct jsonata_error error;
    if (input && jsonata_parse(text, &expression, &error) == 0) {
        const struct jsonata_environment environment = { .now_millis = 1733470000000.0, .seed = 7 };
        const struct jsonata_limits limits = {
            .max_depth = 200, .max_steps = 200000, .max_bytes = 16L * 1024 * 1024, .environment = &environment
        };
        const cJSON one = { .type = cJSON_Number, .valueint = 1, .valuedouble = 1 };
        const struct jsonata_binding bindings[] = { { "one", &one } };
        cJSON *result = NULL;
        if (jsonata_evaluate(expression, input, bindings, 1, &limits, &result, &error) == 0)
            cJSON_Delete(result);
    }
    jsonata_free(expression);
    cJSON_Delete(input);
    free(block);
    return 0;
}
