/* mock_config - see mock_config.h. */
#include "mock_config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mock_config {
    cJSON *document; /* checked: every lookup below may trust its shape */
};

/* An invocation range of a response, first..last. */
struct index_range {
    long first;
    long last;
};

__attribute__((format(printf, 3, 4))) static int refuse(char *error, size_t size, const char *format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(error, size, format, arguments);
    va_end(arguments);
    return -EINVAL;
}

/* A decimal index of at most 7 digits, or -1. */
static long parse_index(const char *text, size_t length)
{
    long value = 0;
    if (length == 0 || length > 7)
        return -1;
    for (size_t i = 0; i < length; i++) {
        if (text[i] < '0' || text[i] > '9')
            return -1;
        value = value * 10 + (text[i] - '0');
    }
    return value <= MOCK_CONFIG_MAX_INDEX ? value : -1;
}

/* "N" or "N-M" (N <= M) into *range. Returns 0 or -EINVAL. */
static int parse_range(const char *key, struct index_range *range)
{
    const char *dash = strchr(key, '-');
    range->first = parse_index(key, dash ? (size_t)(dash - key) : strlen(key));
    range->last = dash ? parse_index(dash + 1, strlen(dash + 1)) : range->first;
    return range->first < 0 || range->last < range->first ? -EINVAL : 0;
}

static int compare_ranges(const void *a, const void *b)
{
    const struct index_range *left = a, *right = b;
    return (left->first > right->first) - (left->first < right->first);
}

/* Whether object has a member other than the allowed ones (NULL-terminated); *unknown names it. */
static bool has_unknown_member(const cJSON *object, const char *const *allowed, const char **unknown)
{
    for (const cJSON *member = object->child; member; member = member->next) {
        bool known = false;
        for (size_t i = 0; allowed[i] && !known; i++)
            known = strcmp(member->string, allowed[i]) == 0;
        if (!known) {
            *unknown = member->string;
            return true;
        }
    }
    return false;
}

/* One entry of a response: exactly one of Return (any JSON) or Throw ({Error, Cause}). */
static int check_entry(const char *name, const cJSON *entry, char *error, size_t size)
{
    static const char *const allowed[] = { "Return", "Throw", NULL };
    const char *unknown;
    if (!cJSON_IsObject(entry))
        return refuse(error, size, "MockedResponses.%s.\"%s\": must be an object with Return or Throw", name,
                      entry->string);
    if (has_unknown_member(entry, allowed, &unknown))
        return refuse(error, size, "MockedResponses.%s.\"%s\": unknown field %s (only Return or Throw)", name,
                      entry->string, unknown);
    const cJSON *returned = cJSON_GetObjectItemCaseSensitive(entry, "Return");
    const cJSON *thrown = cJSON_GetObjectItemCaseSensitive(entry, "Throw");
    if (!returned == !thrown)
        return refuse(error, size, "MockedResponses.%s.\"%s\": must have exactly one of Return and Throw", name,
                      entry->string);
    if (!thrown)
        return 0;
    static const char *const throw_fields[] = { "Error", "Cause", NULL };
    const cJSON *cause = cJSON_GetObjectItemCaseSensitive(thrown, "Cause");
    if (!cJSON_IsObject(thrown) || has_unknown_member(thrown, throw_fields, &unknown)
        || !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(thrown, "Error")) || (cause && !cJSON_IsString(cause)))
        return refuse(
            error, size,
            "MockedResponses.%s.\"%s\".Throw: must be {\"Error\": string, \"Cause\": string} (Cause optional)", name,
            entry->string);
    return 0;
}

/* A response: entries whose indexes cover 0..last once each. */
static int check_response(const cJSON *response, char *error, size_t size)
{
    const char *name = response->string;
    int count = cJSON_GetArraySize(response);
    if (!cJSON_IsObject(response) || count == 0)
        return refuse(error, size, "MockedResponses.%s: must be an object of invocation indexes (\"0\", \"1-2\", ...)",
                      name);
    struct index_range *ranges = calloc((size_t)count, sizeof(*ranges));
    if (!ranges)
        return -ENOMEM;
    int result = 0, i = 0;
    for (const cJSON *entry = response->child; entry && result == 0; entry = entry->next, i++) {
        result = parse_range(entry->string, &ranges[i]);
        if (result < 0)
            result = refuse(error, size,
                            "MockedResponses.%s.\"%s\": an invocation index must be N or N-M (0 <= N <= M <= %ld)",
                            name, entry->string, MOCK_CONFIG_MAX_INDEX);
        else
            result = check_entry(name, entry, error, size);
    }
    if (result == 0) {
        qsort(ranges, (size_t)count, sizeof(*ranges), compare_ranges);
        long next = 0;
        for (i = 0; i < count && result == 0; next = ranges[i].last + 1, i++)
            if (ranges[i].first != next)
                result = refuse(error, size, "MockedResponses.%s: invocation %ld is %s", name,
                                ranges[i].first < next ? ranges[i].first : next,
                                ranges[i].first < next ? "given twice" : "missing (indexes start at 0, without gaps)");
    }
    free(ranges);
    return result;
}

/* A test case: state name -> the name of a response of responses. */
static int check_test_case(const char *machine, const cJSON *test_case, const cJSON *responses, char *error,
                           size_t size)
{
    if (!cJSON_IsObject(test_case))
        return refuse(error, size, "StateMachines.%s.TestCases.%s: must be an object of state name: mocked response",
                      machine, test_case->string);
    for (const cJSON *state = test_case->child; state; state = state->next) {
        if (!cJSON_IsString(state))
            return refuse(error, size, "StateMachines.%s.TestCases.%s.%s: must be the name of a mocked response",
                          machine, test_case->string, state->string);
        if (!cJSON_GetObjectItemCaseSensitive(responses, state->valuestring))
            return refuse(error, size, "StateMachines.%s.TestCases.%s.%s: no mocked response %s in MockedResponses",
                          machine, test_case->string, state->string, state->valuestring);
    }
    return 0;
}

static int check_machine(const cJSON *machine, const cJSON *responses, char *error, size_t size)
{
    static const char *const allowed[] = { "TestCases", NULL };
    const char *unknown;
    const cJSON *cases = cJSON_GetObjectItemCaseSensitive(machine, "TestCases");
    if (!cJSON_IsObject(machine) || !cJSON_IsObject(cases))
        return refuse(error, size, "StateMachines.%s: must be an object with a TestCases object", machine->string);
    if (has_unknown_member(machine, allowed, &unknown))
        return refuse(error, size, "StateMachines.%s: unknown field %s (only TestCases)", machine->string, unknown);
    for (const cJSON *test_case = cases->child; test_case; test_case = test_case->next) {
        int result = check_test_case(machine->string, test_case, responses, error, size);
        if (result < 0)
            return result;
    }
    return 0;
}

static int check_document(const cJSON *document, char *error, size_t size)
{
    static const char *const allowed[] = { "StateMachines", "MockedResponses", NULL };
    const char *unknown;
    if (!cJSON_IsObject(document))
        return refuse(error, size, "the configuration must be a JSON object with StateMachines and MockedResponses");
    if (has_unknown_member(document, allowed, &unknown))
        return refuse(error, size, "unknown top-level field %s (only StateMachines and MockedResponses)", unknown);
    const cJSON *machines = cJSON_GetObjectItemCaseSensitive(document, "StateMachines");
    const cJSON *responses = cJSON_GetObjectItemCaseSensitive(document, "MockedResponses");
    if (!cJSON_IsObject(machines) || !cJSON_IsObject(responses))
        return refuse(error, size, "StateMachines and MockedResponses must both be objects");
    for (const cJSON *response = responses->child; response; response = response->next) {
        int result = check_response(response, error, size);
        if (result < 0)
            return result;
    }
    for (const cJSON *machine = machines->child; machine; machine = machine->next) {
        int result = check_machine(machine, responses, error, size);
        if (result < 0)
            return result;
    }
    return 0;
}

/* The 1-based line of offset in text. */
static unsigned line_of(const char *text, size_t offset)
{
    unsigned line = 1;
    for (size_t i = 0; i < offset; i++)
        line += text[i] == '\n';
    return line;
}

static bool only_blanks(const char *text, size_t length)
{
    for (size_t i = 0; i < length; i++)
        if (!strchr(" \t\r\n", text[i]) || !text[i])
            return false;
    return true;
}

int mock_config_parse(const char *text, size_t length, struct mock_config **config, char *error, size_t error_size)
{
    const char *end = NULL;
    cJSON *document = cJSON_ParseWithLengthOpts(text, length, &end, false);
    if (!document) {
        size_t offset = end && end >= text && end <= text + length ? (size_t)(end - text) : 0;
        return refuse(error, error_size, "line %u: invalid JSON", line_of(text, offset));
    }
    if (end && !only_blanks(end, length - (size_t)(end - text))) {
        size_t offset = (size_t)(end - text);
        while (offset < length && strchr(" \t\r\n", text[offset]) && text[offset])
            offset++;
        unsigned line = line_of(text, offset);
        cJSON_Delete(document);
        return refuse(error, error_size, "line %u: invalid JSON (more after the configuration's object)", line);
    }
    int result = check_document(document, error, error_size);
    struct mock_config *made = result == 0 ? malloc(sizeof(*made)) : NULL;
    if (result == 0 && !made)
        result = -ENOMEM;
    if (result < 0) {
        cJSON_Delete(document);
        return result;
    }
    made->document = document;
    *config = made;
    return 0;
}

void mock_config_free(struct mock_config *config)
{
    if (!config)
        return;
    cJSON_Delete(config->document);
    free(config);
}

/* The test case of machine, or NULL. */
static const cJSON *find_test_case(const struct mock_config *config, const char *machine, const char *test_case)
{
    if (!config || !machine || !test_case)
        return NULL;
    const cJSON *machines = cJSON_GetObjectItemCaseSensitive(config->document, "StateMachines");
    const cJSON *cases =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(machines, machine), "TestCases");
    return cJSON_GetObjectItemCaseSensitive(cases, test_case);
}

bool mock_config_has_test_case(const struct mock_config *config, const char *machine, const char *test_case)
{
    return find_test_case(config, machine, test_case) != NULL;
}

/* The entry of response for invocation: the one whose range holds it, else the one of the last index. */
static const cJSON *entry_for(const cJSON *response, long invocation)
{
    const cJSON *last = NULL;
    long last_index = -1;
    for (const cJSON *entry = response->child; entry; entry = entry->next) {
        struct index_range range;
        if (parse_range(entry->string, &range) < 0)
            continue;
        if (range.first <= invocation && invocation <= range.last)
            return entry;
        if (range.last > last_index) {
            last_index = range.last;
            last = entry;
        }
    }
    return last;
}

bool mock_config_answer(const struct mock_config *config, const char *machine, const char *test_case, const char *state,
                        long invocation, struct mock_answer *answer)
{
    const cJSON *mocked =
        state ? cJSON_GetObjectItemCaseSensitive(find_test_case(config, machine, test_case), state) : NULL;
    if (!cJSON_IsString(mocked))
        return false;
    const cJSON *responses = cJSON_GetObjectItemCaseSensitive(config->document, "MockedResponses");
    const cJSON *entry = entry_for(cJSON_GetObjectItemCaseSensitive(responses, mocked->valuestring), invocation);
    if (!entry)
        return false;
    const cJSON *thrown = cJSON_GetObjectItemCaseSensitive(entry, "Throw");
    *answer = (struct mock_answer){ .thrown = thrown != NULL };
    if (thrown) {
        answer->error = cJSON_GetObjectItemCaseSensitive(thrown, "Error")->valuestring;
        const cJSON *cause = cJSON_GetObjectItemCaseSensitive(thrown, "Cause");
        answer->cause = cause ? cause->valuestring : NULL;
    } else {
        answer->result = cJSON_GetObjectItemCaseSensitive(entry, "Return");
    }
    return true;
}
