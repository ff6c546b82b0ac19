/*
 * asl_path.c - Amazon States Language reference paths over cJSON documents.
 *
 * A path is scanned segment by segment straight from its text; member names
 * are compared against cJSON keys without being copied, so validation and
 * selection never allocate. Only asl_path_apply_result allocates (new keys and
 * intermediate objects).
 */
#include "asl_path.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

enum path_segment_kind {
    PATH_SEGMENT_MEMBER,
    PATH_SEGMENT_INDEX,
};

struct path_segment {
    enum path_segment_kind kind;
    const char *raw_name; /* member name as written (escapes kept), inside the path */
    size_t raw_name_length;
    size_t array_index;
};

/* ---- scanning ---------------------------------------------------------- */

static bool is_dot_member_character(unsigned char character)
{
    if (character <= ' ' || character == 0x7f)
        return false;
    return strchr(".[]'\"\\*@()?,", character) == NULL;
}

static bool is_decimal_digit(char character)
{
    return character >= '0' && character <= '9';
}

static int scan_dot_member(const char **cursor, struct path_segment *segment)
{
    const char *name_start = *cursor + 1;
    const char *name_end = name_start;

    while (is_dot_member_character((unsigned char)*name_end))
        name_end++;
    if (name_end == name_start)
        return -EINVAL;

    segment->kind = PATH_SEGMENT_MEMBER;
    segment->raw_name = name_start;
    segment->raw_name_length = (size_t)(name_end - name_start);
    *cursor = name_end;
    return 0;
}

/* *cursor points at the opening quote; on success it points past the closing one. */
static int scan_quoted_member(const char **cursor, struct path_segment *segment)
{
    const char quote = **cursor;
    const char *name_start = *cursor + 1;
    const char *position = name_start;

    while (*position != quote) {
        if (*position == '\0')
            return -EINVAL;
        if (*position == '\\' && *++position == '\0')
            return -EINVAL;
        position++;
    }

    segment->kind = PATH_SEGMENT_MEMBER;
    segment->raw_name = name_start;
    segment->raw_name_length = (size_t)(position - name_start);
    *cursor = position + 1;
    return 0;
}

static int scan_array_index(const char **cursor, struct path_segment *segment)
{
    const char *position = *cursor;
    size_t value = 0;

    while (is_decimal_digit(*position)) {
        size_t digit = (size_t)(*position - '0');
        if (value > (SIZE_MAX - digit) / 10)
            return -EINVAL;
        value = value * 10 + digit;
        position++;
    }

    segment->kind = PATH_SEGMENT_INDEX;
    segment->raw_name = NULL;
    segment->raw_name_length = 0;
    segment->array_index = value;
    *cursor = position;
    return 0;
}

static int scan_bracket(const char **cursor, struct path_segment *segment)
{
    const char *position = *cursor + 1;
    int rc;

    if (*position == '\'' || *position == '"')
        rc = scan_quoted_member(&position, segment);
    else if (is_decimal_digit(*position))
        rc = scan_array_index(&position, segment);
    else
        rc = -EINVAL;
    if (rc < 0)
        return rc;
    if (*position != ']')
        return -EINVAL;

    *cursor = position + 1;
    return 0;
}

/* Returns 1 and fills *segment when a segment was read, 0 at the end, -EINVAL on bad syntax. */
static int scan_next_segment(const char **cursor, struct path_segment *segment)
{
    const char *position = *cursor;
    int rc;

    if (*position == '\0')
        return 0;
    if (*position == '.')
        rc = scan_dot_member(&position, segment);
    else if (*position == '[')
        rc = scan_bracket(&position, segment);
    else
        rc = -EINVAL;
    if (rc < 0)
        return rc;

    *cursor = position;
    return 1;
}

/* A variable's name starts with a letter or an underscore (or any non-ASCII byte: a Unicode letter). */
static bool is_variable_start(unsigned char character)
{
    return (character >= 'a' && character <= 'z') || (character >= 'A' && character <= 'Z') || character == '_'
           || character >= 0x80;
}

/*
 * Reads the "$", "$$" or "$name" root; *cursor is left on the first segment.
 * A variable's root leaves its name in *variable (not NUL-terminated, *variable_length bytes); NULL otherwise.
 */
static int scan_root_variable(const char *path, const char **cursor, bool *is_context_path, const char **variable,
                              size_t *variable_length)
{
    if (path == NULL || path[0] != '$')
        return -EINVAL;

    *variable = NULL;
    *variable_length = 0;
    *is_context_path = path[1] == '$';
    *cursor = path + (*is_context_path ? 2 : 1);
    if (!*is_context_path && is_variable_start((unsigned char)path[1])) {
        const char *end = path + 1;
        while (is_dot_member_character((unsigned char)*end))
            end++;
        *variable = path + 1;
        *variable_length = (size_t)(end - *variable);
        *cursor = end;
    }
    return 0;
}

/* Reads the "$" or "$$" root; *cursor is left on the first segment. A variable's root is -EINVAL. */
static int scan_root(const char *path, const char **cursor, bool *is_context_path)
{
    const char *variable;
    size_t variable_length;
    int rc = scan_root_variable(path, cursor, is_context_path, &variable, &variable_length);

    return rc < 0 ? rc : variable != NULL ? -EINVAL : 0;
}

static int check_segments(const char *cursor)
{
    struct path_segment segment;
    int rc;

    while ((rc = scan_next_segment(&cursor, &segment)) > 0)
        continue;
    return rc;
}

/* ---- member names ------------------------------------------------------ */

static bool member_name_equals(const char *key, const struct path_segment *segment)
{
    const char *raw = segment->raw_name;
    const char *raw_end = raw + segment->raw_name_length;

    while (raw < raw_end) {
        if (*raw == '\\')
            raw++;
        if (*key != *raw)
            return false;
        key++;
        raw++;
    }
    return *key == '\0';
}

/* Returns a NUL-terminated, unescaped copy of the member name (cJSON_free it), or NULL. */
static char *copy_member_name(const struct path_segment *segment)
{
    char *name = cJSON_malloc(segment->raw_name_length + 1);
    const char *raw = segment->raw_name;
    const char *raw_end = raw + segment->raw_name_length;
    char *output = name;

    if (name == NULL)
        return NULL;
    while (raw < raw_end) {
        if (*raw == '\\')
            raw++;
        *output++ = *raw++;
    }
    *output = '\0';
    return name;
}

/* ---- selection --------------------------------------------------------- */

static cJSON *find_object_member(const cJSON *node, const struct path_segment *segment)
{
    cJSON *child;

    if (!cJSON_IsObject(node))
        return NULL;
    cJSON_ArrayForEach(child, node)
    {
        if (child->string != NULL && member_name_equals(child->string, segment))
            return child;
    }
    return NULL;
}

static cJSON *find_array_element(const cJSON *node, size_t array_index)
{
    if (!cJSON_IsArray(node) || array_index > INT_MAX)
        return NULL;
    return cJSON_GetArrayItem(node, (int)array_index);
}

static cJSON *find_child(const cJSON *node, const struct path_segment *segment)
{
    if (segment->kind == PATH_SEGMENT_INDEX)
        return find_array_element(node, segment->array_index);
    return find_object_member(node, segment);
}

int asl_path_validate(const char *path)
{
    return asl_path_is_variable(path) ? -EINVAL : asl_path_validate_reference(path);
}

int asl_path_validate_reference(const char *path)
{
    const char *cursor;
    bool is_context_path;
    const char *variable;
    size_t variable_length;
    int rc = scan_root_variable(path, &cursor, &is_context_path, &variable, &variable_length);

    if (rc < 0)
        return rc;
    return check_segments(cursor);
}

bool asl_path_is_variable(const char *path)
{
    return path != NULL && path[0] == '$' && is_variable_start((unsigned char)path[1]);
}

/* The variable named by the path's root, from variables (an object; NULL has none). */
static const cJSON *find_variable(const cJSON *variables, const char *name, size_t name_length)
{
    const cJSON *variable;

    cJSON_ArrayForEach(variable, variables)
    {
        if (variable->string != NULL && strncmp(variable->string, name, name_length) == 0
            && variable->string[name_length] == '\0')
            return variable;
    }
    return NULL;
}

int asl_path_select(const char *path, const cJSON *input, const cJSON *context, const cJSON **selected)
{
    return asl_path_select_in(path, input, context, NULL, selected);
}

int asl_path_select_in(const char *path, const cJSON *input, const cJSON *context, const cJSON *variables,
                       const cJSON **selected)
{
    const char *cursor;
    bool is_context_path;
    const char *variable;
    size_t variable_length;
    struct path_segment segment;
    const cJSON *node;

    if (selected == NULL || asl_path_validate_reference(path) < 0)
        return -EINVAL;

    scan_root_variable(path, &cursor, &is_context_path, &variable, &variable_length);
    node = variable ? find_variable(variables, variable, variable_length) : is_context_path ? context : input;
    while (node != NULL && scan_next_segment(&cursor, &segment) > 0)
        node = find_child(node, &segment);

    if (node == NULL)
        return -ENOENT;
    *selected = node;
    return 0;
}

/* ---- placing a result -------------------------------------------------- */

/* Adds `item` under the segment's member name. Takes ownership of `item`. */
static int add_member(cJSON *object, const struct path_segment *segment, cJSON *item)
{
    char *name = copy_member_name(segment);
    bool added = name != NULL && cJSON_AddItemToObject(object, name, item);

    cJSON_free(name);
    if (!added) {
        cJSON_Delete(item);
        return -ENOMEM;
    }
    return 0;
}

/* Replaces `existing` (a member of object) by `item`, keeping key and position. Takes ownership of `item`. */
static int replace_member(cJSON *object, cJSON *existing, cJSON *item)
{
    size_t key_size = strlen(existing->string) + 1;
    char *key = cJSON_malloc(key_size);

    if (key == NULL) {
        cJSON_Delete(item);
        return -ENOMEM;
    }
    memcpy(key, existing->string, key_size);
    if (item->string != NULL && !(item->type & cJSON_StringIsConst))
        cJSON_free(item->string);
    item->string = key;
    item->type &= ~cJSON_StringIsConst;
    cJSON_ReplaceItemViaPointer(object, existing, item);
    return 0;
}

/* Sets the last segment of a ResultPath inside `container`. Takes ownership of `item`. */
static int set_child(cJSON *container, const struct path_segment *segment, cJSON *item)
{
    cJSON *existing;

    if (segment->kind == PATH_SEGMENT_INDEX) {
        existing = find_array_element(container, segment->array_index);
        if (existing == NULL) {
            cJSON_Delete(item);
            return -ENOTDIR;
        }
        cJSON_ReplaceItemViaPointer(container, existing, item);
        return 0;
    }

    if (!cJSON_IsObject(container)) {
        cJSON_Delete(item);
        return -ENOTDIR;
    }
    existing = find_object_member(container, segment);
    if (existing != NULL)
        return replace_member(container, existing, item);
    return add_member(container, segment, item);
}

/*
 * Wraps `item` in one new object per remaining segment at `cursor` (innermost
 * last), e.g. ".b.c" gives {"b":{"c":item}}. Takes ownership of `item`; on
 * success *branch owns everything. Only member segments can be created.
 */
static int build_branch(const char *cursor, cJSON *item, cJSON **branch)
{
    struct path_segment segment;
    cJSON *inner;
    cJSON *object;
    int rc;

    if (scan_next_segment(&cursor, &segment) <= 0) {
        *branch = item;
        return 0;
    }
    if (segment.kind != PATH_SEGMENT_MEMBER) {
        cJSON_Delete(item);
        return -ENOTDIR;
    }

    rc = build_branch(cursor, item, &inner);
    if (rc < 0)
        return rc;
    object = cJSON_CreateObject();
    if (object == NULL) {
        cJSON_Delete(inner);
        return -ENOMEM;
    }
    rc = add_member(object, &segment, inner);
    if (rc < 0) {
        cJSON_Delete(object);
        return rc;
    }
    *branch = object;
    return 0;
}

/* `segment` is missing from `container`; creates it and everything after it. Takes ownership of `item`. */
static int attach_new_branch(cJSON *container, const struct path_segment *segment, const char *rest_of_path,
                             cJSON *item)
{
    cJSON *branch;
    int rc;

    if (!cJSON_IsObject(container) || segment->kind != PATH_SEGMENT_MEMBER) {
        cJSON_Delete(item);
        return -ENOTDIR;
    }
    rc = build_branch(rest_of_path, item, &branch);
    if (rc < 0)
        return rc;
    return add_member(container, segment, branch);
}

/* The path is already validated and has at least one segment. Takes ownership of `item`. */
static int place_result(cJSON *document, const char *cursor, cJSON *item)
{
    struct path_segment segment;
    cJSON *container = document;
    cJSON *child;

    scan_next_segment(&cursor, &segment);
    while (*cursor != '\0') {
        child = find_child(container, &segment);
        if (child == NULL)
            return attach_new_branch(container, &segment, cursor, item);
        container = child;
        scan_next_segment(&cursor, &segment);
    }
    return set_child(container, &segment, item);
}

int asl_path_apply_result(cJSON **document, const char *result_path, cJSON *result)
{
    const char *cursor;
    bool is_context_path;

    if (document == NULL || result == NULL || asl_path_validate(result_path) < 0) {
        cJSON_Delete(result);
        return -EINVAL;
    }
    if (scan_root(result_path, &cursor, &is_context_path) < 0 || is_context_path) {
        cJSON_Delete(result);
        return -EINVAL;
    }

    if (*cursor == '\0') {
        cJSON_Delete(*document);
        *document = result;
        return 0;
    }
    return place_result(*document, cursor, result);
}

/* ---- describing a miss ------------------------------------------------- */

/* Appends text to the NUL-terminated buffer, truncating to fit. */
static void append_text(char *buffer, size_t size, const char *text, size_t length)
{
    size_t used = strlen(buffer);
    size_t room = size - used - 1;

    if (length > room)
        length = room;
    memcpy(buffer + used, text, length);
    buffer[used + length] = '\0';
}

/* Appends a segment as ['name'] (unescaped) or [index]. */
static void append_segment(char *buffer, size_t size, const struct path_segment *segment)
{
    char index_text[32];
    const char *raw = segment->raw_name;
    const char *raw_end = raw + segment->raw_name_length;

    if (segment->kind == PATH_SEGMENT_INDEX) {
        int length = snprintf(index_text, sizeof(index_text), "[%zu]", segment->array_index);
        append_text(buffer, size, index_text, (size_t)length);
        return;
    }
    append_text(buffer, size, "['", 2);
    while (raw < raw_end) {
        if (*raw == '\\')
            raw++;
        append_text(buffer, size, raw++, 1);
    }
    append_text(buffer, size, "']", 2);
}

/*
 * How many segments of the path at cursor a miss description names: all of them, or (setting
 * *missing_property) those up to a member missing from an object before the last segment.
 */
static size_t miss_extent(const char *cursor, const cJSON *node, bool *missing_property)
{
    struct path_segment segment;
    size_t count = 0;

    *missing_property = false;
    while (scan_next_segment(&cursor, &segment) > 0) {
        const cJSON *child = node != NULL ? find_child(node, &segment) : NULL;
        count++;
        if (child == NULL && *cursor != '\0' && segment.kind == PATH_SEGMENT_MEMBER && cJSON_IsObject(node)) {
            *missing_property = true;
            break;
        }
        node = child;
    }
    return count;
}

int asl_path_describe_miss(const char *path, const cJSON *input, const cJSON *context, char *text, size_t size)
{
    const char *cursor = NULL;
    bool is_context_path, missing_property;
    struct path_segment segment;

    if (text == NULL || size == 0 || asl_path_validate(path) < 0)
        return -EINVAL;
    scan_root(path, &cursor, &is_context_path);
    size_t count = miss_extent(cursor, is_context_path ? context : input, &missing_property);
    snprintf(text, size, "%s$", missing_property ? "Missing property in path " : "No results for path: ");
    for (size_t rendered = 0; rendered < count && scan_next_segment(&cursor, &segment) > 0; rendered++)
        append_segment(text, size, &segment);
    return 0;
}
