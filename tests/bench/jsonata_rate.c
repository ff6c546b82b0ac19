/*
 * jsonata_rate - scenario 7's measure: evaluations per second of a few typical state templates written in JSONata
 * (jsonata_evaluate of a parsed expression, as a state would run it) next to the same work in JSONPath
 * (asl_path_select and asl_parameters_evaluate, as today's states run it), over the same input document.
 *
 * Usage: jsonata-rate [seconds per measure, default 0.5]. Prints one JSON object per template on stdout:
 * {"template": ..., "jsonata_per_second": N, "jsonpath_per_second": N, "jsonpath_form": ...}.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "asl_parameters.h"
#include "asl_path.h"
#include "jsonata.h"

/* What one template's two forms are. */
struct template
{
    const char *name;
    const char *jsonata;
    const char *jsonpath;  /* a path ("$...") or a Parameters template (JSON text) */
    bool jsonpath_is_path; /* a path: asl_path_select; else asl_parameters_evaluate */
};

static const struct template templates[] = {
    { "a field pick", "customer.name", "$.customer.name", true },
    { "an object construction", "{\"name\": customer.name, \"city\": customer.address.city, \"first\": items[0].price}",
      "{\"name.$\":\"$.customer.name\",\"city.$\":\"$.customer.address.city\",\"first.$\":\"$.items[0].price\"}",
      false },
    { "a $map over 100 items", "$map(items, function($v) { $v.price * 2 })", "{\"prices.$\":\"$.items\"}", false },
};

static double now_seconds(void)
{
    struct timespec clock;
    clock_gettime(CLOCK_MONOTONIC, &clock);
    return (double)clock.tv_sec + (double)clock.tv_nsec / 1e9;
}

/* The input: a customer and 100 priced items. */
static cJSON *make_input(void)
{
    cJSON *input = cJSON_Parse("{\"customer\":{\"name\":\"Ada\",\"address\":{\"city\":\"London\"}}}");
    cJSON *items = cJSON_AddArrayToObject(input, "items");
    for (int i = 0; items && i < 100; i++) {
        cJSON *item = cJSON_CreateObject();
        cJSON_AddNumberToObject(item, "price", i + 0.5);
        cJSON_AddStringToObject(item, "sku", "sku");
        cJSON_AddItemToArray(items, item);
    }
    return input;
}

/* Evaluations of the JSONata form per second over seconds; -1 when it fails. */
static double jsonata_rate(const char *text, const cJSON *input, double seconds)
{
    struct jsonata_expression *expression = NULL;
    struct jsonata_error error;
    long count = 0;
    if (jsonata_parse(text, &expression, &error) < 0)
        return -1;
    double start = now_seconds(), elapsed = 0;
    while (elapsed < seconds) {
        for (int i = 0; i < 100; i++, count++) {
            cJSON *result = NULL;
            if (jsonata_evaluate(expression, input, NULL, 0, NULL, &result, &error) < 0) {
                jsonata_free(expression);
                return -1;
            }
            cJSON_Delete(result);
        }
        elapsed = now_seconds() - start;
    }
    jsonata_free(expression);
    return (double)count / elapsed;
}

/* Evaluations of the JSONPath form per second (a selection is copied, as a state's result would be). */
static double jsonpath_rate(const struct template *template, const cJSON *input, double seconds)
{
    cJSON *parameters = template->jsonpath_is_path ? NULL : cJSON_Parse(template->jsonpath);
    long count = 0;
    char error[256];
    double start = now_seconds(), elapsed = 0;
    while (elapsed < seconds) {
        for (int i = 0; i < 100; i++, count++) {
            cJSON *result = NULL;
            const cJSON *selected = NULL;
            int status = template->jsonpath_is_path
                             ? asl_path_select(template->jsonpath, input, NULL, &selected)
                             : asl_parameters_evaluate(parameters, input, NULL, &result, error, sizeof(error));
            if (status == 0 && selected)
                result = cJSON_Duplicate(selected, true);
            if (status < 0) {
                cJSON_Delete(parameters);
                return -1;
            }
            cJSON_Delete(result);
        }
        elapsed = now_seconds() - start;
    }
    cJSON_Delete(parameters);
    return (double)count / elapsed;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 0.5;
    cJSON *input = make_input();
    if (!input || seconds <= 0)
        return 2;
    for (size_t i = 0; i < sizeof(templates) / sizeof(templates[0]); i++) {
        const struct template *template = &templates[i];
        printf("{\"template\":\"%s\",\"jsonata_per_second\":%.0f,\"jsonpath_per_second\":%.0f}\n", template->name,
               jsonata_rate(template->jsonata, input, seconds), jsonpath_rate(template, input, seconds));
    }
    cJSON_Delete(input);
    return 0;
}
