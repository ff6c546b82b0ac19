/*
 * Each case runs in a child process, so a crash fails that case only.
 *
 * test_jsonata_suite - runs every case of the JSONata reference suite
 * (tests/jsonata-suite, MIT) and passes when at least SUITE_FLOOR pass: a
 * ratchet that fails when a change makes things worse. The failing cases are
 * listed in jsonata-suite-failures.txt in the current (build) directory.
 */
#include "jsonata.h"
#include "test.h"

#include <dirent.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdbool.h>
#include <errno.h>
#include <math.h>

#define SUITE_FLOOR 1667

static int passed, total;
static FILE *failures;

static bool json_equal(const cJSON *a, const cJSON *b)
{
    if (cJSON_IsNumber(a) && cJSON_IsNumber(b)) {
        double x = a->valuedouble, y = b->valuedouble;
        return x == y || fabs(x - y) <= 1e-9 * fmax(fabs(x), fabs(y));
    }
    if ((a->type & 0xFF) != (b->type & 0xFF))
        return false;
    if (cJSON_IsString(a))
        return strcmp(a->valuestring, b->valuestring) == 0;
    if (cJSON_IsArray(a)) {
        if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b))
            return false;
        for (const cJSON *x = a->child, *y = b->child; x; x = x->next, y = y->next)
            if (!json_equal(x, y))
                return false;
        return true;
    }
    if (cJSON_IsObject(a)) {
        if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b))
            return false;
        for (const cJSON *x = a->child; x; x = x->next) {
            const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, x->string);
            if (!y || !json_equal(x, y))
                return false;
        }
        return true;
    }
    return true;
}

static cJSON *load_json(const char *path)
{
    size_t length;
    char *text = test_read_file(path, &length);
    if (!text)
        return NULL;
    cJSON *json = cJSON_Parse(text);
    free(text);
    return json;
}

/* Returns NULL when the case passes, else why not. */
static const char *run_case(const char *group, const cJSON *test, char *why, size_t size)
{
    const cJSON *expr = cJSON_GetObjectItemCaseSensitive(test, "expr");
    const cJSON *expr_file = cJSON_GetObjectItemCaseSensitive(test, "expr-file");
    char *expr_text = NULL;
    if (!cJSON_IsString(expr) && cJSON_IsString(expr_file)) {
        char path[600];
        size_t length;
        snprintf(path, sizeof(path), "%s/tests/jsonata-suite/groups/%s/%s", SOURCE_ROOT, group, expr_file->valuestring);
        expr_text = test_read_file(path, &length);
    } else if (cJSON_IsString(expr)) {
        expr_text = strdup(expr->valuestring);
    }
    if (!expr_text)
        return "no expr";
    cJSON *dataset = NULL;
    const cJSON *input = cJSON_GetObjectItemCaseSensitive(test, "data");
    const cJSON *dataset_name = cJSON_GetObjectItemCaseSensitive(test, "dataset");
    if (!input && cJSON_IsString(dataset_name)) {
        char path[512];
        snprintf(path, sizeof(path), "%s/tests/jsonata-suite/datasets/%s.json", SOURCE_ROOT, dataset_name->valuestring);
        input = dataset = load_json(path);
    }
    struct jsonata_binding bindings[32];
    size_t binding_count = 0;
    const cJSON *binds = cJSON_GetObjectItemCaseSensitive(test, "bindings");
    for (const cJSON *b = binds ? binds->child : NULL; b && binding_count < 32; b = b->next)
        bindings[binding_count++] = (struct jsonata_binding){ b->string, b };
    struct jsonata_limits limits = { 0 };
    const cJSON *depth = cJSON_GetObjectItemCaseSensitive(test, "depth");
    const cJSON *timelimit = cJSON_GetObjectItemCaseSensitive(test, "timelimit");
    if (cJSON_IsNumber(depth))
        limits.max_depth = depth->valueint;
    if (cJSON_IsNumber(timelimit))
        limits.max_steps = (long)timelimit->valuedouble * 10000;
    struct jsonata_expression *expression = NULL;
    struct jsonata_error error;
    cJSON *result = NULL;
    int rc = jsonata_parse(expr_text, &expression, &error);
    free(expr_text);
    if (rc == 0)
        rc = jsonata_evaluate(expression, input, bindings, binding_count, &limits, &result, &error);
    jsonata_free(expression);
    cJSON_Delete(dataset);
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(test, "code");
    if (!code) /* some cases give {"error": {"code": ...}} */
        code = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(test, "error"), "code");
    const cJSON *expected = cJSON_GetObjectItemCaseSensitive(test, "result");
    const char *verdict = NULL;
    char *got = result ? cJSON_PrintUnformatted(result) : NULL;
    if (cJSON_IsString(code)) {
        if (rc == 0 || strcmp(error.code, code->valuestring) != 0) {
            snprintf(why, size, "expected error %s, got rc %d %s %s %s", code->valuestring, rc, rc ? error.code : "",
                     rc ? error.message : "", got ? got : "undefined");
            verdict = why;
        }
    } else if (rc != 0) {
        snprintf(why, size, "error %s: %s", error.code, error.message);
        verdict = why;
    } else if (expected) {
        if (!result || !json_equal(expected, result)) {
            snprintf(why, size, "got %.300s", got ? got : "undefined");
            verdict = why;
        }
    } else if (result) {
        snprintf(why, size, "expected undefined, got %.300s", got);
        verdict = why;
    }
    free(got);
    cJSON_Delete(result);
    return verdict;
}

static void run_file(const char *group, const char *file)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/tests/jsonata-suite/groups/%s/%s", SOURCE_ROOT, group, file);
    cJSON *json = load_json(path);
    if (!json)
        return;
    cJSON *single = cJSON_IsArray(json) ? NULL : json;
    for (const cJSON *test = single ? single : json->child; test; test = single ? NULL : test->next) {
        char why[1024];
        total++;
        if (failures)
            fflush(failures);
        pid_t child = fork();
        if (child == 0) {
            const char *verdict = run_case(group, test, why, sizeof(why));
            if (verdict && failures)
                fprintf(failures, "%s/%s: %s\n    %s\n", group, file,
                        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(test, "expr")), verdict);
            if (failures)
                fflush(failures);
            _exit(verdict ? 1 : 0);
        }
        int status = 0;
        if (child > 0 && waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0)
            passed++;
        else if (failures && !(WIFEXITED(status)))
            fprintf(failures, "%s/%s: crashed\n", group, file);
    }
    cJSON_Delete(json);
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static size_t list_dir(const char *path, char **names, size_t capacity)
{
    DIR *dir = opendir(path);
    size_t count = 0;
    for (struct dirent *entry; dir && (entry = readdir(dir)) && count < capacity;)
        if (entry->d_name[0] != '.')
            names[count++] = strdup(entry->d_name);
    if (dir)
        closedir(dir);
    qsort(names, count, sizeof(*names), compare_names);
    return count;
}

static void test_reference_suite(void)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/tests/jsonata-suite/groups", SOURCE_ROOT);
    static char *groups[256], *files[1024];
    size_t group_count = list_dir(path, groups, 256);
    failures = fopen("jsonata-suite-failures.txt", "w");
    for (size_t g = 0; g < group_count; g++) {
        char group_path[600];
        snprintf(group_path, sizeof(group_path), "%s/%s", path, groups[g]);
        size_t file_count = list_dir(group_path, files, 1024);
        for (size_t f = 0; f < file_count; f++) {
            run_file(groups[g], files[f]);
            free(files[f]);
        }
        free(groups[g]);
    }
    if (failures)
        fclose(failures);
    printf("# jsonata suite: %d of %d passed\n", passed, total);
    ASSERT_TRUE(total > 1000);
    ASSERT_TRUE(passed >= SUITE_FLOOR);
}

int main(void)
{
    RUN(test_reference_suite);
    return test_done();
}
