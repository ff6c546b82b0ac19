/*
 * failing_allocator.h - makes cJSON's allocations fail on demand, so that
 * unit tests can check that every allocation failure gives -ENOMEM, leaves
 * the caller's data as it was, and leaks nothing (ASan checks that).
 */
#ifndef FAILING_ALLOCATOR_H
#define FAILING_ALLOCATOR_H

#include <cjson/cJSON.h>
#include <stdlib.h>

/* Allocations still allowed before the next one fails; -1: never fail. */
static long allocations_before_failure = -1;

static void *failing_malloc(size_t size)
{
    if (allocations_before_failure == 0)
        return NULL;
    if (allocations_before_failure > 0)
        allocations_before_failure--;
    return malloc(size);
}

/* From now on, cJSON's allocations succeed allocations_allowed times, then fail. */
static inline void use_failing_allocator(long allocations_allowed)
{
    cJSON_Hooks hooks = { .malloc_fn = failing_malloc, .free_fn = free };
    allocations_before_failure = allocations_allowed;
    cJSON_InitHooks(&hooks);
}

/* Back to cJSON's normal allocator. */
static inline void use_normal_allocator(void)
{
    allocations_before_failure = -1;
    cJSON_InitHooks(NULL);
}

#endif
