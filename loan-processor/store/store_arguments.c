/* store_arguments - see store_arguments.h. */
#include "store_arguments.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for one more value. Returns false (and marks the list failed) when out of memory. */
static bool reserve(struct store_arguments *list)
{
    if (list->failed)
        return false;
    if (list->count < list->capacity)
        return true;
    size_t capacity = list->capacity ? list->capacity * 2 : 16;
    char **values = realloc(list->values, capacity * sizeof(*values));
    size_t *lengths = values ? realloc(list->lengths, capacity * sizeof(*lengths)) : NULL;
    if (values)
        list->values = values;
    if (!values || !lengths) {
        list->failed = true;
        return false;
    }
    list->lengths = lengths;
    list->capacity = capacity;
    return true;
}

void store_arguments_add_owned(struct store_arguments *list, char *value)
{
    if (!value)
        list->failed = true;
    if (!reserve(list)) {
        free(value);
        return;
    }
    list->values[list->count] = value;
    list->lengths[list->count++] = strlen(value);
}

void store_arguments_add(struct store_arguments *list, const char *value)
{
    if (!list->failed)
        store_arguments_add_owned(list, strdup(value ? value : ""));
}

void store_arguments_add_number(struct store_arguments *list, long long number)
{
    char text[32];
    snprintf(text, sizeof(text), "%lld", number);
    store_arguments_add(list, text);
}

void store_arguments_release(struct store_arguments *list)
{
    for (size_t i = 0; i < list->count; i++)
        free(list->values[i]);
    free(list->values);
    free(list->lengths);
    memset(list, 0, sizeof(*list));
}

int store_arguments_eval(struct redis_client *client, struct redis_script *script, int key_count,
                         struct store_arguments *list, redis_client_callback callback, void *data)
{
    int result = list->failed ? -ENOMEM
                              : redis_client_eval(client, script, callback, data, key_count, (int)list->count,
                                                  (const char **)list->values, list->lengths);
    store_arguments_release(list);
    return result;
}
