/*
 * store_arguments - the argument list of a Lua script call, built up as
 * owned strings, shared by the Redis stores (execution_store,
 * state_machine_store). A failed allocation is remembered and reported
 * once, when the script is run.
 */
#ifndef STORE_ARGUMENTS_H
#define STORE_ARGUMENTS_H

#include <stdbool.h>
#include <stddef.h>

#include "redis_client.h"

struct store_arguments {
    char **values;
    size_t *lengths;
    size_t count;
    size_t capacity;
    bool failed; /* an allocation failed: running reports -ENOMEM */
};

/* Appends a copy of value (NULL is added as ""). */
void store_arguments_add(struct store_arguments *list, const char *value);

/* Appends value and takes it (malloc'd; NULL marks the list failed). */
void store_arguments_add_owned(struct store_arguments *list, char *value);

/* Appends number in decimal. */
void store_arguments_add_number(struct store_arguments *list, long long number);

/* Frees the strings; the list is empty afterwards. */
void store_arguments_release(struct store_arguments *list);

/*
 * Runs script with the list as its arguments, the first key_count being
 * keys, and releases the list in every case. Same contract as
 * redis_client_eval(); -ENOMEM when building the list failed.
 */
__attribute__((warn_unused_result)) int store_arguments_eval(struct redis_client *client, struct redis_script *script,
                                                             int key_count, struct store_arguments *list,
                                                             redis_client_callback callback, void *data);

#endif
