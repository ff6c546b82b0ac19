/*
 * fuzz_asl_path - reference paths (InputPath, OutputPath, ResultPath, ".$"
 * values): asl_path_validate, asl_path_select over a document (as the input
 * and as the context object), and asl_path_apply_result placing a value.
 *
 * Input: the path, a NUL byte, then the document's JSON text (when it does
 * not parse, the paths are applied to a fixed document).
 */
#include "asl_path.h"
#include "fuzz_input.h"
#include "json_util.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

static const char fallback_document[] = "{\"a\":{\"b\":[1,{\"c\":\"d\"}]},\"x y\":null,\"list\":[[0]]}";

static void place(const char *path, const cJSON *document)
{
    cJSON *copy = cJSON_Duplicate(document, true);
    cJSON *result = cJSON_CreateString("placed");
    if (!copy || !result) {
        cJSON_Delete(copy);
        cJSON_Delete(result);
        return;
    }
    (void)asl_path_apply_result(&copy, path, result);
    cJSON_Delete(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path, *document_text;
    char *block = fuzz_input_split(data, size, &path, &document_text);
    if (!block)
        return 0;
    cJSON *document = NULL;
    if (json_parse(document_text, strlen(document_text), &document) < 0)
        (void)json_parse(fallback_document, sizeof fallback_document - 1, &document);
    if (document && asl_path_validate(path) == 0) {
        const cJSON *selected = NULL;
        (void)asl_path_select(path, document, document, &selected);
        place(path, document);
    }
    cJSON_Delete(document);
    free(block);
    return 0;
}
