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
#include <stdlib.h>
#include <string.h>

enum path_segment_kind {
    PATH_SEGMENT_MEMBER,
    PATH_SEGMENT_INDEX,
    PATH_SEGMENT_WILDCARD,
    PATH_SEGMENT_SLICE,
    PATH_SEGMENT_FILTER,
};

struct path_segment {
    enum path_segment_kind kind;
    char quote;           /* the quote of a bracket member, 0 for a dot member */
    const char *raw_name; /* member name as written (escapes kept), inside the path */
    size_t raw_name_length;
    size_t array_index;
    long slice_bound[3]; /* start, end, step */
    bool slice_given[3];
    const char *filter; /* the expression between "[?(" and ")]" */
    size_t filter_length;
};

static int scan_next_segment(const char **cursor, struct path_segment *segment);
static int evaluate_filter(const struct path_segment *segment, const cJSON *candidate, bool *matches);

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

    segment->quote = 0;
    if (*name_start == '*') {
        segment->kind = PATH_SEGMENT_WILDCARD;
        *cursor = name_start + 1;
        return 0;
    }
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
    segment->quote = quote;
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

/* An optionally signed decimal number of at most 9 digits; *cursor is left past it. */
static int scan_signed_number(const char **cursor, long *value)
{
    const char *position = *cursor;
    bool negative = *position == '-';
    long magnitude = 0;
    int digits = 0;

    if (negative)
        position++;
    while (is_decimal_digit(*position) && digits < 10) {
        magnitude = magnitude * 10 + (*position++ - '0');
        digits++;
    }
    if (digits == 0 || digits > 9)
        return -EINVAL;
    *value = negative ? -magnitude : magnitude;
    *cursor = position;
    return 0;
}

/* "[7]" (an index) or "[start:end]", "[start:end:step]" with every bound optional and possibly negative. */
static int scan_index_or_slice(const char **cursor, struct path_segment *segment)
{
    const char *position = *cursor;
    int bound;

    if (is_decimal_digit(*position)) {
        const char *after_index = position;
        if (scan_array_index(&after_index, segment) < 0)
            return -EINVAL;
        if (*after_index == ']') {
            *cursor = after_index;
            return 0;
        }
    }
    segment->kind = PATH_SEGMENT_SLICE;
    memset(segment->slice_given, 0, sizeof(segment->slice_given));
    for (bound = 0; bound < 3; bound++) {
        segment->slice_given[bound] = *position != ':' && *position != ']';
        if (segment->slice_given[bound] && scan_signed_number(&position, &segment->slice_bound[bound]) < 0)
            return -EINVAL;
        if (*position != ':')
            break;
        position++;
    }
    if (bound == 0 || bound == 3 || (segment->slice_given[2] && segment->slice_bound[2] <= 0))
        return -EINVAL;
    *cursor = position;
    return 0;
}

/* *cursor points at the "?" of "[?(expression)]"; on success it points at the "]". */
static int scan_filter(const char **cursor, struct path_segment *segment)
{
    const char *position = *cursor + 1;
    char quote = 0;
    bool matches;

    if (*position != '(')
        return -EINVAL;
    segment->filter = ++position;
    for (; *position != '\0'; position++) {
        if (quote != 0 && *position == '\\' && position[1] != '\0')
            position++;
        else if (quote != 0 && *position == quote)
            quote = 0;
        else if (quote == 0 && (*position == '\'' || *position == '"'))
            quote = *position;
        else if (quote == 0 && *position == ')' && position[1] == ']')
            break;
    }
    if (*position == '\0')
        return -EINVAL;
    segment->kind = PATH_SEGMENT_FILTER;
    segment->filter_length = (size_t)(position - segment->filter);
    if (evaluate_filter(segment, NULL, &matches) < 0)
        return -EINVAL;
    *cursor = position + 1;
    return 0;
}

static int scan_bracket(const char **cursor, struct path_segment *segment)
{
    const char *position = *cursor + 1;
    int rc;

    if (*position == '\'' || *position == '"')
        rc = scan_quoted_member(&position, segment);
    else if (*position == '*') {
        segment->kind = PATH_SEGMENT_WILDCARD;
        position++;
        rc = 0;
    } else if (*position == '?')
        rc = scan_filter(&position, segment);
    else if (is_decimal_digit(*position) || *position == ':' || *position == '-')
        rc = scan_index_or_slice(&position, segment);
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

static bool is_definite_segment(const struct path_segment *segment)
{
    return segment->kind == PATH_SEGMENT_MEMBER || segment->kind == PATH_SEGMENT_INDEX;
}

/* Returns 0 and sets *is_definite when every segment scans, -EINVAL otherwise. */
static int check_segments(const char *cursor, bool *is_definite)
{
    struct path_segment segment;
    int rc;

    *is_definite = true;
    while ((rc = scan_next_segment(&cursor, &segment)) > 0)
        *is_definite = *is_definite && is_definite_segment(&segment);
    return rc;
}

/* ---- member names ------------------------------------------------------ */

/* Inside quotes a backslash escapes only a backslash or the enclosing quote; elsewhere it is literal. */
static bool is_escape(const struct path_segment *segment, const char *raw)
{
    return raw[0] == '\\' && (raw[1] == '\\' || raw[1] == segment->quote);
}

/* Compares `key` with the (unescaped) member name of `segment`, like strcmp. */
static int compare_member_name(const char *key, const struct path_segment *segment)
{
    const char *raw = segment->raw_name;
    const char *raw_end = raw + segment->raw_name_length;

    while (raw < raw_end) {
        if (is_escape(segment, raw))
            raw++;
        if (*key != *raw)
            return (unsigned char)*key - (unsigned char)*raw;
        key++;
        raw++;
    }
    return *key == '\0' ? 0 : 1;
}

static bool member_name_equals(const char *key, const struct path_segment *segment)
{
    return compare_member_name(key, segment) == 0;
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
        if (is_escape(segment, raw))
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

/* ---- filters: "@<relative path>" alone (presence) or compared with a literal --------------------- */

enum filter_operator {
    FILTER_EQUAL,
    FILTER_NOT_EQUAL,
    FILTER_LESS,
    FILTER_LESS_EQUAL,
    FILTER_GREATER,
    FILTER_GREATER_EQUAL
};

static const char *skip_spaces(const char *position, const char *end)
{
    while (position < end && *position == ' ')
        position++;
    return position;
}

/* A dot member inside a filter ends at an operator or a space as well. */
static int scan_filter_dot_member(const char **cursor, const char *end, struct path_segment *segment)
{
    const char *name_end = *cursor + 1;

    while (name_end < end && is_dot_member_character((unsigned char)*name_end) && !strchr("=!<>", *name_end))
        name_end++;
    if (name_end == *cursor + 1)
        return -EINVAL;
    segment->kind = PATH_SEGMENT_MEMBER;
    segment->quote = 0;
    segment->raw_name = *cursor + 1;
    segment->raw_name_length = (size_t)(name_end - segment->raw_name);
    *cursor = name_end;
    return 0;
}

/* Reads "@" and its definite relative path; *value becomes what it selects in candidate (NULL: nothing). */
static int scan_filter_subject(const char **cursor, const char *end, const cJSON *candidate, const cJSON **value)
{
    const char *position = skip_spaces(*cursor, end);
    struct path_segment step;
    int rc;

    if (position >= end || *position++ != '@')
        return -EINVAL;
    *value = candidate;
    while (position < end && (*position == '.' || *position == '[')) {
        rc = *position == '.' ? scan_filter_dot_member(&position, end, &step) : scan_bracket(&position, &step);
        if (rc < 0 || position > end || !is_definite_segment(&step))
            return -EINVAL;
        *value = *value != NULL ? find_child(*value, &step) : NULL;
    }
    *cursor = position;
    return 0;
}

static int scan_filter_operator(const char **cursor, const char *end, enum filter_operator *filter_operator)
{
    static const struct {
        const char *text;
        enum filter_operator filter_operator;
    } operators[] = { { "==", FILTER_EQUAL },         { "!=", FILTER_NOT_EQUAL }, { "<=", FILTER_LESS_EQUAL },
                      { ">=", FILTER_GREATER_EQUAL }, { "<", FILTER_LESS },       { ">", FILTER_GREATER } };
    size_t index;

    for (index = 0; index < sizeof(operators) / sizeof(operators[0]); index++) {
        size_t length = strlen(operators[index].text);
        if ((size_t)(end - *cursor) >= length && strncmp(*cursor, operators[index].text, length) == 0) {
            *filter_operator = operators[index].filter_operator;
            *cursor += length;
            return 0;
        }
    }
    return -EINVAL;
}

static bool ordering_holds(int order, enum filter_operator filter_operator)
{
    switch (filter_operator) {
    case FILTER_EQUAL:
        return order == 0;
    case FILTER_NOT_EQUAL:
        return order != 0;
    case FILTER_LESS:
        return order < 0;
    case FILTER_LESS_EQUAL:
        return order <= 0;
    case FILTER_GREATER:
        return order > 0;
    case FILTER_GREATER_EQUAL:
        return order >= 0;
    }
    return false;
}

/* Values of different kinds are only ever "!="; true, false and null are not ordered. */
static bool unordered_holds(bool same, enum filter_operator filter_operator)
{
    if (filter_operator == FILTER_EQUAL)
        return same;
    return filter_operator == FILTER_NOT_EQUAL && !same;
}

static bool keyword_at(const char *position, const char *end, const char *keyword)
{
    size_t length = strlen(keyword);
    return (size_t)(end - position) >= length && strncmp(position, keyword, length) == 0;
}

/* Reads a literal (number, quoted string, true, false, null) and compares value (may be NULL) with it. */
static int compare_with_literal(const char **cursor, const char *end, const cJSON *value,
                                enum filter_operator filter_operator, bool *matches)
{
    const char *position = *cursor;
    struct path_segment literal;

    if (*position == '\'' || *position == '"') {
        if (scan_quoted_member(&position, &literal) < 0 || position > end)
            return -EINVAL;
        *matches = cJSON_IsString(value)
                       ? ordering_holds(compare_member_name(value->valuestring, &literal), filter_operator)
                       : unordered_holds(false, filter_operator);
    } else if (keyword_at(position, end, "true") || keyword_at(position, end, "false")) {
        bool expected = *position == 't';
        position += expected ? 4 : 5;
        *matches = unordered_holds(cJSON_IsBool(value) && cJSON_IsTrue(value) == expected, filter_operator);
    } else if (keyword_at(position, end, "null")) {
        position += 4;
        *matches = unordered_holds(cJSON_IsNull(value), filter_operator);
    } else {
        char *number_end;
        double number = strtod(position, &number_end);
        if (number_end == position || number_end > end || !(*position == '-' || is_decimal_digit(*position)))
            return -EINVAL;
        position = number_end;
        *matches = cJSON_IsNumber(value)
                       ? ordering_holds((value->valuedouble > number) - (value->valuedouble < number), filter_operator)
                       : unordered_holds(false, filter_operator);
    }
    *cursor = position;
    return 0;
}

/* Checks the filter of `segment`; with candidate NULL only its syntax. */
static int evaluate_filter(const struct path_segment *segment, const cJSON *candidate, bool *matches)
{
    const char *position = segment->filter;
    const char *end = position + segment->filter_length;
    const cJSON *value;
    enum filter_operator filter_operator;

    if (scan_filter_subject(&position, end, candidate, &value) < 0)
        return -EINVAL;
    position = skip_spaces(position, end);
    if (position == end) {
        *matches = value != NULL;
        return 0;
    }
    if (scan_filter_operator(&position, end, &filter_operator) < 0)
        return -EINVAL;
    position = skip_spaces(position, end);
    if (position >= end || compare_with_literal(&position, end, value, filter_operator, matches) < 0)
        return -EINVAL;
    *matches = *matches && value != NULL; /* an element without the field never matches */
    return skip_spaces(position, end) == end ? 0 : -EINVAL;
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
    bool is_definite;
    int rc = scan_root_variable(path, &cursor, &is_context_path, &variable, &variable_length);

    if (rc < 0)
        return rc;
    rc = check_segments(cursor, &is_definite);
    if (rc < 0)
        return rc;
    return is_definite ? 0 : -EINVAL;
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

/* ---- queries: wildcards, slices and filters gather every match ----------------------------------------- */

struct match_collector {
    cJSON *matches;     /* the array of copies being built */
    size_t node_budget; /* nodes that may still be copied */
};

static size_t count_nodes(const cJSON *node, size_t limit)
{
    size_t count = 1;
    const cJSON *child;

    for (child = node->child; child != NULL && count <= limit; child = child->next)
        count += count_nodes(child, limit - count);
    return count;
}

static int add_match(struct match_collector *collector, const cJSON *node)
{
    size_t nodes = count_nodes(node, collector->node_budget);
    cJSON *copy;

    if (nodes > collector->node_budget)
        return -E2BIG;
    collector->node_budget -= nodes;
    copy = cJSON_Duplicate(node, true);
    if (copy == NULL || !cJSON_AddItemToArray(collector->matches, copy)) {
        cJSON_Delete(copy);
        return -ENOMEM;
    }
    return 0;
}

static int collect_matches(struct match_collector *collector, const cJSON *node, const char *cursor);

/* Python-like slice bounds: a negative bound counts from the end, both are clamped to [0, size]. */
static long slice_bound(const struct path_segment *segment, int which, long fallback, long size)
{
    long bound = segment->slice_given[which] ? segment->slice_bound[which] : fallback;

    if (bound < 0)
        bound += size;
    if (bound < 0)
        return 0;
    return bound > size ? size : bound;
}

static int collect_slice(struct match_collector *collector, const cJSON *node, const struct path_segment *segment,
                         const char *rest)
{
    long size = cJSON_GetArraySize(node);
    long start = slice_bound(segment, 0, 0, size);
    long end = slice_bound(segment, 1, size, size);
    long step = segment->slice_given[2] ? segment->slice_bound[2] : 1;
    long position = 0;
    const cJSON *child;
    int rc = 0;

    cJSON_ArrayForEach(child, node)
    {
        if (position >= start && position < end && (position - start) % step == 0
            && (rc = collect_matches(collector, child, rest)) < 0)
            return rc;
        position++;
    }
    return rc;
}

static int collect_filtered(struct match_collector *collector, const cJSON *candidate,
                            const struct path_segment *segment, const char *rest)
{
    bool matches = false;
    int rc = evaluate_filter(segment, candidate, &matches);

    if (rc < 0 || !matches)
        return rc;
    return collect_matches(collector, candidate, rest);
}

/* Applies one segment to node, then the rest of the path to what it selects. */
static int apply_segment(struct match_collector *collector, const cJSON *node, const struct path_segment *segment,
                         const char *rest)
{
    const cJSON *child;
    int rc = 0;

    switch (segment->kind) {
    case PATH_SEGMENT_MEMBER:
    case PATH_SEGMENT_INDEX:
        child = find_child(node, segment);
        return child != NULL ? collect_matches(collector, child, rest) : 0;
    case PATH_SEGMENT_WILDCARD:
        if (!cJSON_IsArray(node) && !cJSON_IsObject(node))
            return 0;
        cJSON_ArrayForEach(child, node)
        {
            if ((rc = collect_matches(collector, child, rest)) < 0)
                return rc;
        }
        return 0;
    case PATH_SEGMENT_SLICE:
        return cJSON_IsArray(node) ? collect_slice(collector, node, segment, rest) : 0;
    case PATH_SEGMENT_FILTER:
        if (!cJSON_IsArray(node))
            return cJSON_IsObject(node) ? collect_filtered(collector, node, segment, rest) : 0;
        cJSON_ArrayForEach(child, node)
        {
            if ((rc = collect_filtered(collector, child, segment, rest)) < 0)
                return rc;
        }
        return 0;
    }
    return -EINVAL;
}

static int collect_matches(struct match_collector *collector, const cJSON *node, const char *cursor)
{
    struct path_segment segment;
    int rc = scan_next_segment(&cursor, &segment);

    if (rc <= 0)
        return rc < 0 ? rc : add_match(collector, node);
    return apply_segment(collector, node, &segment, cursor);
}

int asl_path_validate_query(const char *path)
{
    const char *cursor;
    bool is_context_path;
    bool is_definite;
    int rc = scan_root(path, &cursor, &is_context_path);

    if (rc < 0)
        return rc;
    return check_segments(cursor, &is_definite);
}

bool asl_path_is_definite(const char *path)
{
    return asl_path_validate(path) == 0;
}

int asl_path_query(const char *path, const cJSON *input, const cJSON *context, cJSON **result)
{
    struct match_collector collector = { NULL, ASL_PATH_MAX_MATCH_NODES };
    const cJSON *selected = NULL;
    const char *cursor = NULL;
    bool is_context_path;
    int rc;

    if (result == NULL || asl_path_validate_query(path) < 0)
        return -EINVAL;
    if (asl_path_is_definite(path)) {
        rc = asl_path_select(path, input, context, &selected);
        if (rc < 0)
            return rc;
        *result = cJSON_Duplicate(selected, true);
        return *result != NULL ? 0 : -ENOMEM;
    }

    if (scan_root(path, &cursor, &is_context_path) < 0)
        return -EINVAL;
    collector.matches = cJSON_CreateArray();
    if (collector.matches == NULL)
        return -ENOMEM;
    selected = is_context_path ? context : input;
    rc = selected != NULL ? collect_matches(&collector, selected, cursor) : 0;
    if (rc < 0) {
        cJSON_Delete(collector.matches);
        return rc;
    }
    *result = collector.matches;
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
