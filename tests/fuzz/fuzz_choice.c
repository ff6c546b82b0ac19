/*
 * fuzz_choice - a Choice state's rules: choice_state_parse of the state's
 * JSON, its transition targets, and choice_state_evaluate over an input
 * (also the context object).
 *
 * Input: the Choice state's JSON text ({"Type":"Choice","Choices":[...],
 * "Default":...}), a NUL byte, then the input's JSON text (when it does not
 * parse, a fixed input).
 */
#include "choice_rule.h"
#include "fuzz_input.h"
#include "json_util.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

static const char fallback_input[] =
    "{\"s\":\"abc\",\"n\":3.5,\"b\":true,\"t\":\"2024-04-05T19:34:38Z\",\"z\":null,\"o\":{\"s\":\"x*y\"}}";

static void evaluate(const cJSON *state_json, const cJSON *input)
{
    struct choice_state *choice = NULL;
    char error[512];
    if (choice_state_parse(state_json, "Choose", &choice, error, sizeof error) < 0)
        return;
    for (size_t i = 0; i < choice_state_target_count(choice); i++)
        (void)choice_state_target(choice, i);
    const char *next = NULL;
    (void)choice_state_evaluate(choice, input, input, &next, error, sizeof error);
    choice_state_free(choice);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *state_text, *input_text;
    char *block = fuzz_input_split(data, size, &state_text, &input_text);
    if (!block)
        return 0;
    cJSON *state_json = NULL, *input = NULL;
    if (json_parse(input_text, strlen(input_text), &input) < 0)
        (void)json_parse(fallback_input, sizeof fallback_input - 1, &input);
    if (input && json_parse(state_text, strlen(state_text), &state_json) == 0)
        evaluate(state_json, input);
    cJSON_Delete(state_json);
    cJSON_Delete(input);
    free(block);
    return 0;
}
