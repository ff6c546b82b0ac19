/*
 * fuzz_parameters - payload templates (Parameters, ResultSelector, Payload):
 * asl_parameters_validate, asl_parameters_evaluate_in over an input, and
 * asl_parameters_find_unresolved_key on the result.
 *
 * Input: the template's JSON text, a NUL byte, then the input's JSON text
 * (when it does not parse, a fixed input).
 */
#include "asl_parameters.h"
#include "fuzz_input.h"
#include "json_util.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

static const char fallback_input[] = "{\"a\":\"text\",\"n\":3,\"list\":[1,2,2],\"obj\":{\"x\":1}}";

static void evaluate(const cJSON *template_json, const cJSON *input)
{
    char error[512];
    if (asl_parameters_validate(template_json, error, sizeof error) < 0)
        return;
    const struct intrinsic_scope scope = { .input = input, .context = input, .random_bytes = fuzz_input_random_bytes };
    cJSON *result = NULL;
    if (asl_parameters_evaluate_in(template_json, &scope, &result, error, sizeof error) < 0)
        return;
    const char *field = NULL;
    (void)asl_parameters_find_unresolved_key(result, &field);
    cJSON_Delete(result);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *template_text, *input_text;
    char *block = fuzz_input_split(data, size, &template_text, &input_text);
    if (!block)
        return 0;
    cJSON *template_json = NULL, *input = NULL;
    if (json_parse(input_text, strlen(input_text), &input) < 0)
        (void)json_parse(fallback_input, sizeof fallback_input - 1, &input);
    if (input && json_parse(template_text, strlen(template_text), &template_json) == 0)
        evaluate(template_json, input);
    cJSON_Delete(template_json);
    cJSON_Delete(input);
    free(block);
    return 0;
}
