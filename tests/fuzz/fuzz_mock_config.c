/*
 * fuzz_mock_config - an SFN_MOCK_CONFIG file as the loan-processor reads it at
 * start: mock_config_parse, then the look-ups a mocked Task makes.
 *
 * Input: the file's text (up to its first NUL byte), then, after the NUL,
 * "<stateMachine>\n<testCase>\n<state>" to look up (each defaults to the
 * first name of the example in tests/fuzz/corpus when missing).
 */
#include "fuzz_input.h"
#include "mock_config.h"

#include <stdlib.h>
#include <string.h>

/* Splits names at newlines into up to count parts (the rest keep their defaults). */
static void split_names(char *names, const char **parts, size_t count)
{
    for (size_t i = 0; i < count && names && *names; i++) {
        parts[i] = names;
        names = strchr(names, '\n');
        if (names)
            *names++ = '\0';
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text, *second;
    char *block = fuzz_input_split(data, size, &text, &second);
    if (!block)
        return 0;
    char error[512];
    struct mock_config *config = NULL;
    if (mock_config_parse(text, strlen(text), &config, error, sizeof error) == 0) {
        const char *names[3] = { "LoanProcessorStateMachine", "HappyPath", "RequestValuation" };
        split_names((char *)second, names, 3);
        if (mock_config_has_test_case(config, names[0], names[1])) {
            static const long invocations[] = { 0, 1, 2, 3, 7, MOCK_CONFIG_MAX_INDEX, MOCK_CONFIG_MAX_INDEX + 1 };
            for (size_t i = 0; i < sizeof(invocations) / sizeof(invocations[0]); i++) {
                struct mock_answer answer;
                (void)mock_config_answer(config, names[0], names[1], names[2], invocations[i], &answer);
            }
        }
        mock_config_free(config);
    }
    free(block);
    return 0;
}
