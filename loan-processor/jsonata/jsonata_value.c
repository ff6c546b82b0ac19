/*
 * jsonata_value.c - the arena and the values of the evaluator: constructors,
 * sequences, equality, conversion from and to cJSON, JSON text.
 */
#include "jsonata_internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_BLOCK_SIZE (64 * 1024)

struct arena_block {
    struct arena_block *next;
    size_t used, size;
    max_align_t data[];
};

struct arena_cleanup {
    struct arena_cleanup *next;
    void (*release)(void *);
    void *object;
};

void *arena_alloc(struct arena *arena, size_t size)
{
    size = (size + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    struct arena_block *block = arena->blocks;
    if (!block || block->size - block->used < size) {
        size_t capacity = size > ARENA_BLOCK_SIZE / 4 ? size : ARENA_BLOCK_SIZE;
        if (arena->limit && (capacity > arena->limit || arena->allocated > arena->limit - capacity)) {
            arena->over_limit = true;
            longjmp(*arena->on_oom, 1);
        }
        block = malloc(sizeof(*block) + capacity);
        if (!block)
            longjmp(*arena->on_oom, 1);
        arena->allocated += capacity;
        block->size = capacity;
        block->used = 0;
        if (size > ARENA_BLOCK_SIZE / 4 && arena->blocks) {
            block->next = arena->blocks->next;
            arena->blocks->next = block;
        } else {
            block->next = arena->blocks;
            arena->blocks = block;
        }
    }
    void *result = (char *)block->data + block->used;
    block->used += size;
    memset(result, 0, size);
    return result;
}

char *arena_strndup(struct arena *arena, const char *text, size_t length)
{
    char *copy = arena_alloc(arena, length + 1);
    memcpy(copy, text, length);
    copy[length] = '\0';
    return copy;
}

void arena_on_free(struct arena *arena, void (*release)(void *), void *object)
{
    struct arena_cleanup *cleanup = arena_alloc(arena, sizeof(*cleanup));
    cleanup->release = release;
    cleanup->object = object;
    cleanup->next = arena->cleanups;
    arena->cleanups = cleanup;
}

void arena_release(struct arena *arena)
{
    for (struct arena_cleanup *cleanup = arena->cleanups; cleanup; cleanup = cleanup->next)
        cleanup->release(cleanup->object);
    arena->cleanups = NULL;
    while (arena->blocks) {
        struct arena_block *next = arena->blocks->next;
        free(arena->blocks);
        arena->blocks = next;
    }
}

_Noreturn void jerror(struct eval_context *context, const char *code, long position, const char *format, ...)
{
    if (context->error) {
        snprintf(context->error->code, sizeof(context->error->code), "%s", code);
        context->error->position = position;
        va_list args;
        va_start(args, format);
        vsnprintf(context->error->message, sizeof(context->error->message), format, args);
        va_end(args);
    }
    if (context->status == 0)
        context->status = code[0] == 'U' ? (strcmp(code, "U1002") == 0 ? -E2BIG : -ELOOP) : -EINVAL;
    longjmp(context->fail, 1);
}

struct jv *jv_new(struct eval_context *context, enum jv_type type)
{
    struct jv *value = arena_alloc(&context->arena, sizeof(*value));
    value->type = type;
    return value;
}

struct jv *jv_number(struct eval_context *context, double number)
{
    struct jv *value = jv_new(context, JV_NUMBER);
    value->u.number = number;
    return value;
}

struct jv *jv_stringn(struct eval_context *context, const char *text, size_t length)
{
    struct jv *value = jv_new(context, JV_STRING);
    value->u.string = arena_strndup(&context->arena, text, length);
    return value;
}

struct jv *jv_string(struct eval_context *context, const char *text)
{
    return jv_stringn(context, text, strlen(text));
}

struct jv *jv_bool(struct eval_context *context, bool boolean)
{
    struct jv *value = jv_new(context, JV_BOOL);
    value->u.boolean = boolean;
    return value;
}

struct jv *jv_null(struct eval_context *context)
{
    return jv_new(context, JV_NULL);
}

struct jv *jv_array(struct eval_context *context, unsigned flags)
{
    struct jv *value = jv_new(context, JV_ARRAY);
    value->u.array.flags = flags;
    return value;
}

struct jv *jv_sequence(struct eval_context *context)
{
    return jv_array(context, JA_SEQUENCE);
}

void jv_push(struct eval_context *context, struct jv *array, struct jv *item)
{
    struct jv_array *a = &array->u.array;
    if (a->count == a->capacity) {
        size_t capacity = a->capacity ? a->capacity * 2 : 4;
        struct jv **items = arena_alloc(&context->arena, capacity * sizeof(*items));
        if (a->count)
            memcpy(items, a->items, a->count * sizeof(*items));
        a->items = items;
        a->capacity = capacity;
    }
    a->items[a->count++] = item;
}

struct jv *jv_object(struct eval_context *context)
{
    return jv_new(context, JV_OBJECT);
}

static long object_index(const struct jv *object, const char *key)
{
    for (size_t i = 0; i < object->u.object.count; i++)
        if (strcmp(object->u.object.keys[i], key) == 0)
            return (long)i;
    return -1;
}

struct jv *jv_get(const struct jv *object, const char *key)
{
    if (!object || object->type != JV_OBJECT)
        return NULL;
    long index = object_index(object, key);
    return index < 0 ? NULL : object->u.object.values[index];
}

void jv_set(struct eval_context *context, struct jv *object, const char *key, struct jv *value)
{
    struct jv_object *o = &object->u.object;
    long index = object_index(object, key);
    if (index >= 0) {
        o->values[index] = value;
        return;
    }
    if (o->count == o->capacity) {
        size_t capacity = o->capacity ? o->capacity * 2 : 4;
        const char **keys = arena_alloc(&context->arena, capacity * sizeof(*keys));
        struct jv **values = arena_alloc(&context->arena, capacity * sizeof(*values));
        if (o->count) {
            memcpy(keys, o->keys, o->count * sizeof(*keys));
            memcpy(values, o->values, o->count * sizeof(*values));
        }
        o->keys = keys;
        o->values = values;
        o->capacity = capacity;
    }
    o->keys[o->count] = key;
    o->values[o->count++] = value;
}

void jv_remove(struct jv *object, const char *key)
{
    long index = object_index(object, key);
    if (index < 0)
        return;
    struct jv_object *o = &object->u.object;
    memmove(o->keys + index, o->keys + index + 1, (o->count - (size_t)index - 1) * sizeof(*o->keys));
    memmove(o->values + index, o->values + index + 1, (o->count - (size_t)index - 1) * sizeof(*o->values));
    o->count--;
}

bool jv_is_function(const struct jv *value)
{
    return value && (value->type == JV_LAMBDA || value->type == JV_NATIVE || value->type == JV_PARTIAL);
}

bool jv_is_array(const struct jv *value)
{
    return value && value->type == JV_ARRAY;
}

bool jv_is_sequence(const struct jv *value)
{
    return jv_is_array(value) && (value->u.array.flags & JA_SEQUENCE);
}

bool jv_is_integer(const struct jv *value)
{
    return value && value->type == JV_NUMBER && isfinite(value->u.number) && floor(value->u.number) == value->u.number;
}

bool jv_equal(const struct jv *a, const struct jv *b)
{
    if (a == b)
        return true;
    if (!a || !b || a->type != b->type)
        return false;
    switch (a->type) {
    case JV_NULL:
        return true;
    case JV_BOOL:
        return a->u.boolean == b->u.boolean;
    case JV_NUMBER:
        return a->u.number == b->u.number;
    case JV_STRING:
        return strcmp(a->u.string, b->u.string) == 0;
    case JV_ARRAY:
        if (a->u.array.count != b->u.array.count)
            return false;
        for (size_t i = 0; i < a->u.array.count; i++)
            if (!jv_equal(a->u.array.items[i], b->u.array.items[i]))
                return false;
        return true;
    case JV_OBJECT:
        if (a->u.object.count != b->u.object.count)
            return false;
        for (size_t i = 0; i < a->u.object.count; i++)
            if (!jv_equal(a->u.object.values[i], jv_get(b, a->u.object.keys[i])))
                return false;
        return true;
    default:
        return false;
    }
}

struct jv *jv_from_cjson(struct eval_context *context, const cJSON *json)
{
    if (!json)
        return NULL;
    if (cJSON_IsNull(json))
        return jv_null(context);
    if (cJSON_IsBool(json))
        return jv_bool(context, cJSON_IsTrue(json));
    if (cJSON_IsNumber(json))
        return jv_number(context, json->valuedouble);
    if (cJSON_IsString(json))
        return jv_string(context, json->valuestring);
    if (cJSON_IsArray(json)) {
        struct jv *array = jv_array(context, 0);
        for (const cJSON *item = json->child; item; item = item->next)
            jv_push(context, array, jv_from_cjson(context, item));
        return array;
    }
    if (cJSON_IsObject(json)) {
        struct jv *object = jv_object(context);
        for (const cJSON *item = json->child; item; item = item->next)
            jv_set(context, object, arena_strndup(&context->arena, item->string, strlen(item->string)),
                   jv_from_cjson(context, item));
        return object;
    }
    return NULL;
}

/* Sets *out (NULL for undefined); on failure returns a negative errno with the error filled, *out NULL. */
static int to_cjson(struct eval_context *context, const struct jv *value, int depth, cJSON **out)
{
    *out = NULL;
    if (!value)
        return 0;
    if (depth > 10000) {
        snprintf(context->error->code, sizeof(context->error->code), "U1001");
        snprintf(context->error->message, sizeof(context->error->message), "The result is nested too deeply");
        return -ELOOP;
    }
    cJSON *json = NULL;
    switch (value->type) {
    case JV_NULL:
        json = cJSON_CreateNull();
        break;
    case JV_BOOL:
        json = cJSON_CreateBool(value->u.boolean);
        break;
    case JV_NUMBER:
        if (!isfinite(value->u.number)) {
            snprintf(context->error->code, sizeof(context->error->code), "D1001");
            snprintf(context->error->message, sizeof(context->error->message), "Number out of range");
            return -EINVAL;
        }
        json = cJSON_CreateNumber(value->u.number);
        break;
    case JV_STRING:
        json = cJSON_CreateString(value->u.string);
        break;
    case JV_ARRAY:
    case JV_OBJECT: {
        bool is_array = value->type == JV_ARRAY;
        json = is_array ? cJSON_CreateArray() : cJSON_CreateObject();
        size_t count = is_array ? value->u.array.count : value->u.object.count;
        for (size_t i = 0; json && i < count; i++) {
            cJSON *item;
            int rc =
                to_cjson(context, is_array ? value->u.array.items[i] : value->u.object.values[i], depth + 1, &item);
            if (rc < 0) {
                cJSON_Delete(json);
                return rc;
            }
            if (item
                && !(is_array ? cJSON_AddItemToArray(json, item)
                              : cJSON_AddItemToObject(json, value->u.object.keys[i], item))) {
                cJSON_Delete(item);
                cJSON_Delete(json);
                json = NULL;
            }
        }
        break;
    }
    default:
        json = cJSON_CreateString("");
    }
    if (!json) {
        snprintf(context->error->code, sizeof(context->error->code), "U1003");
        snprintf(context->error->message, sizeof(context->error->message), "Out of memory");
        return -ENOMEM;
    }
    *out = json;
    return 0;
}

int jv_to_cjson(struct eval_context *context, const struct jv *value, cJSON **out)
{
    return to_cjson(context, value, 0, out);
}

void sb_append(struct sb *sb, const char *text, size_t length)
{
    if (sb->length + length + 1 > sb->capacity) {
        size_t capacity = (sb->length + length + 1) * 2;
        char *data = arena_alloc(&sb->context->arena, capacity < 32 ? 32 : capacity);
        if (sb->length)
            memcpy(data, sb->data, sb->length);
        sb->data = data;
        sb->capacity = capacity < 32 ? 32 : capacity;
    }
    memcpy(sb->data + sb->length, text, length);
    sb->length += length;
    sb->data[sb->length] = '\0';
}

void sb_puts(struct sb *sb, const char *text)
{
    sb_append(sb, text, strlen(text));
}

void sb_putc(struct sb *sb, char c)
{
    sb_append(sb, &c, 1);
}

void sb_put_code_point(struct sb *sb, unsigned long cp)
{
    char buffer[4];
    size_t length;
    if (cp < 0x80) {
        buffer[0] = (char)cp;
        length = 1;
    } else if (cp < 0x800) {
        buffer[0] = (char)(0xC0 | (cp >> 6));
        buffer[1] = (char)(0x80 | (cp & 0x3F));
        length = 2;
    } else if (cp < 0x10000) {
        buffer[0] = (char)(0xE0 | (cp >> 12));
        buffer[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        buffer[2] = (char)(0x80 | (cp & 0x3F));
        length = 3;
    } else {
        buffer[0] = (char)(0xF0 | (cp >> 18));
        buffer[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        buffer[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        buffer[3] = (char)(0x80 | (cp & 0x3F));
        length = 4;
    }
    sb_append(sb, buffer, length);
}

const char *sb_text(struct sb *sb)
{
    return sb->data ? sb->data : "";
}

/* JavaScript's Number.prototype.toString. */
void jv_format_number(double number, char *out, size_t size)
{
    if (number == 0) {
        snprintf(out, size, "0");
        return;
    }
    char buffer[40];
    for (int precision = 1; precision <= 17; precision++) {
        snprintf(buffer, sizeof(buffer), "%.*e", precision - 1, number);
        if (strtod(buffer, NULL) == number)
            break;
    }
    char digits[24];
    size_t k = 0;
    const char *p = buffer;
    bool negative = *p == '-';
    if (negative)
        p++;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9')
            digits[k++] = *p;
    while (k > 1 && digits[k - 1] == '0')
        k--;
    digits[k] = '\0';
    int n = atoi(p + 1) + 1;
    char result[64];
    size_t r = 0;
    if (negative)
        result[r++] = '-';
    if ((int)k <= n && n <= 21) {
        memcpy(result + r, digits, k);
        r += k;
        for (int i = (int)k; i < n; i++)
            result[r++] = '0';
    } else if (0 < n && n <= 21) {
        memcpy(result + r, digits, (size_t)n);
        r += (size_t)n;
        result[r++] = '.';
        memcpy(result + r, digits + n, k - (size_t)n);
        r += k - (size_t)n;
    } else if (-6 < n && n <= 0) {
        result[r++] = '0';
        result[r++] = '.';
        for (int i = 0; i < -n; i++)
            result[r++] = '0';
        memcpy(result + r, digits, k);
        r += k;
    } else {
        result[r++] = digits[0];
        if (k > 1) {
            result[r++] = '.';
            memcpy(result + r, digits + 1, k - 1);
            r += k - 1;
        }
        r += (size_t)snprintf(result + r, sizeof(result) - r, "e%c%d", n - 1 >= 0 ? '+' : '-', abs(n - 1));
    }
    result[r] = '\0';
    snprintf(out, size, "%s", result);
}

static void stringify_string(struct sb *sb, const char *text)
{
    sb_putc(sb, '"');
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        switch (*p) {
        case '"':
            sb_puts(sb, "\\\"");
            break;
        case '\\':
            sb_puts(sb, "\\\\");
            break;
        case '\n':
            sb_puts(sb, "\\n");
            break;
        case '\r':
            sb_puts(sb, "\\r");
            break;
        case '\t':
            sb_puts(sb, "\\t");
            break;
        case '\b':
            sb_puts(sb, "\\b");
            break;
        case '\f':
            sb_puts(sb, "\\f");
            break;
        default:
            if (*p < 0x20) {
                char escape[8];
                snprintf(escape, sizeof(escape), "\\u%04x", *p);
                sb_puts(sb, escape);
            } else {
                sb_putc(sb, (char)*p);
            }
        }
    }
    sb_putc(sb, '"');
}

static void newline(struct sb *sb, bool indent, int level)
{
    if (!indent)
        return;
    sb_putc(sb, '\n');
    for (int i = 0; i < level; i++)
        sb_puts(sb, "  ");
}

static void stringify(struct sb *sb, const struct jv *value, bool indent, int level)
{
    if (level > 10000)
        jerror(sb->context, "U1001", 0, "The value is nested too deeply");
    if (!value) {
        sb_puts(sb, "null");
        return;
    }
    switch (value->type) {
    case JV_NULL:
        sb_puts(sb, "null");
        break;
    case JV_BOOL:
        sb_puts(sb, value->u.boolean ? "true" : "false");
        break;
    case JV_NUMBER: {
        char number[64];
        if (!isfinite(value->u.number)) {
            sb_puts(sb, "null");
            break;
        }
        snprintf(number, sizeof(number), "%.15g", value->u.number);
        jv_format_number(strtod(number, NULL), number, sizeof(number));
        sb_puts(sb, number);
        break;
    }
    case JV_STRING:
        stringify_string(sb, value->u.string);
        break;
    case JV_ARRAY: {
        sb_putc(sb, '[');
        size_t written = 0;
        for (size_t i = 0; i < value->u.array.count; i++) {
            if (written++)
                sb_putc(sb, ',');
            newline(sb, indent, level + 1);
            stringify(sb, value->u.array.items[i], indent, level + 1);
        }
        if (written)
            newline(sb, indent, level);
        sb_putc(sb, ']');
        break;
    }
    case JV_OBJECT: {
        sb_putc(sb, '{');
        size_t written = 0;
        for (size_t i = 0; i < value->u.object.count; i++) {
            if (!value->u.object.values[i])
                continue;
            if (written++)
                sb_putc(sb, ',');
            newline(sb, indent, level + 1);
            stringify_string(sb, value->u.object.keys[i]);
            sb_puts(sb, indent ? ": " : ":");
            stringify(sb, value->u.object.values[i], indent, level + 1);
        }
        if (written)
            newline(sb, indent, level);
        sb_putc(sb, '}');
        break;
    }
    default:
        sb_puts(sb, "\"\"");
    }
}

char *jv_stringify(struct eval_context *context, const struct jv *value, bool indent)
{
    struct sb sb = { .context = context };
    stringify(&sb, value, indent, 0);
    return (char *)sb_text(&sb);
}

struct jv *jv_append(struct eval_context *context, struct jv *a, struct jv *b)
{
    if (!a)
        return b;
    if (!b)
        return a;
    struct jv *result = jv_array(context, jv_is_array(a) ? 0 : JA_SEQUENCE);
    if (jv_is_array(a))
        for (size_t i = 0; i < a->u.array.count; i++)
            jv_push(context, result, a->u.array.items[i]);
    else
        jv_push(context, result, a);
    if (jv_is_array(b))
        for (size_t i = 0; i < b->u.array.count; i++)
            jv_push(context, result, b->u.array.items[i]);
    else
        jv_push(context, result, b);
    return result;
}

struct jv *jv_flatten(struct eval_context *context, struct jv *value, struct jv *into)
{
    if (!into)
        into = jv_sequence(context);
    if (jv_is_array(value)) {
        for (size_t i = 0; i < value->u.array.count; i++)
            jv_flatten(context, value->u.array.items[i], into);
    } else if (value) {
        jv_push(context, into, value);
    }
    return into;
}

struct jv *jv_deep_copy(struct eval_context *context, const struct jv *value)
{
    if (!value)
        return NULL;
    if (value->type == JV_ARRAY) {
        struct jv *copy = jv_array(context, value->u.array.flags);
        for (size_t i = 0; i < value->u.array.count; i++)
            jv_push(context, copy, jv_deep_copy(context, value->u.array.items[i]));
        return copy;
    }
    if (value->type == JV_OBJECT) {
        struct jv *copy = jv_object(context);
        for (size_t i = 0; i < value->u.object.count; i++)
            jv_set(context, copy, value->u.object.keys[i], jv_deep_copy(context, value->u.object.values[i]));
        return copy;
    }
    return (struct jv *)value;
}

char jv_symbol(const struct jv *value)
{
    if (!value)
        return 'm';
    switch (value->type) {
    case JV_NULL:
        return 'l';
    case JV_BOOL:
        return 'b';
    case JV_NUMBER:
        return 'n';
    case JV_STRING:
        return 's';
    case JV_ARRAY:
        return 'a';
    case JV_OBJECT:
        return 'o';
    case JV_REGEX:
        return 'f';
    default:
        return 'f';
    }
}

bool jv_truthy(struct eval_context *context, const struct jv *value)
{
    (void)context;
    if (!value)
        return false;
    switch (value->type) {
    case JV_NULL:
        return false;
    case JV_BOOL:
        return value->u.boolean;
    case JV_NUMBER:
        return value->u.number != 0;
    case JV_STRING:
        return value->u.string[0] != '\0';
    case JV_OBJECT:
        return value->u.object.count > 0;
    case JV_ARRAY:
        if (value->u.array.count == 1)
            return jv_truthy(context, value->u.array.items[0]);
        for (size_t i = 0; i < value->u.array.count; i++)
            if (jv_truthy(context, value->u.array.items[i]))
                return true;
        return false;
    default:
        return false;
    }
}

size_t utf8_length(const char *text)
{
    size_t count = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        if ((*p & 0xC0) != 0x80)
            count++;
    return count;
}

size_t utf8_offset(const char *text, size_t index)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t seen = 0;
    for (; *p; p++) {
        if ((*p & 0xC0) != 0x80) {
            if (seen == index)
                break;
            seen++;
        }
    }
    return (size_t)(p - (const unsigned char *)text);
}
