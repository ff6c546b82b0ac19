/*
 * intrinsic_numbers - the intrinsic functions on numbers and randomness:
 * States.MathAdd, MathRandom and UUID (see intrinsic_functions.h).
 */
#include "intrinsic_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>

/* ---- numbers and randomness ---------------------------------------------- */

static int math_add_body(struct evaluation *evaluation, const struct function *function, struct argument *arguments,
                         size_t count, cJSON **result)
{
    long long first = 0, second = 0;
    int rc = intrinsic_integer_argument(evaluation, function, arguments, 0, SMALLEST_INTEGER, LARGEST_INTEGER, &first);

    (void)count;
    if (rc == 0)
        rc = intrinsic_integer_argument(evaluation, function, arguments, 1, SMALLEST_INTEGER, LARGEST_INTEGER, &second);
    if (rc < 0)
        return rc;
    *result = cJSON_CreateNumber((double)(first + second));
    return *result != NULL ? 0 : -ENOMEM;
}

/* SplitMix64: the next number of the sequence a seed starts. */
static uint64_t split_mix(uint64_t *state)
{
    uint64_t mixed = (*state += 0x9e3779b97f4a7c15ull);

    mixed = (mixed ^ mixed >> 30) * 0xbf58476d1ce4e5b9ull;
    mixed = (mixed ^ mixed >> 27) * 0x94d049bb133111ebull;
    return mixed ^ mixed >> 31;
}

/* Random bytes from the scope; -ENOTSUP without a source. */
static int draw_random(struct evaluation *evaluation, const struct function *function, void *buffer, size_t length)
{
    if (evaluation->scope->random_bytes == NULL) {
        intrinsic_write_error(evaluation, "The function '%s' had the following error: %s needs a source of randomness",
                              evaluation->call, function->name);
        return -ENOTSUP;
    }
    return evaluation->scope->random_bytes(buffer, length);
}

/* An integer from start (included) to end (excluded); the same for the same seed. */
static int math_random_body(struct evaluation *evaluation, const struct function *function, struct argument *arguments,
                            size_t count, cJSON **result)
{
    long long start = 0, end = 0, seed = 0;
    uint64_t random = 0;
    int rc = intrinsic_integer_argument(evaluation, function, arguments, 0, SMALLEST_INTEGER, LARGEST_INTEGER, &start);

    if (rc == 0)
        rc = intrinsic_integer_argument(evaluation, function, arguments, 1, SMALLEST_INTEGER, LARGEST_INTEGER, &end);
    if (rc == 0 && end <= start)
        rc = intrinsic_fail(evaluation, "Invalid arguments in %s: the start must be less than the end", function->name);
    if (rc == 0 && count == 3)
        rc = intrinsic_integer_argument(evaluation, function, arguments, 2, LLONG_MIN / 2, LLONG_MAX / 2, &seed);
    if (rc < 0)
        return rc;
    if (count == 3) {
        uint64_t state = (uint64_t)seed;
        random = split_mix(&state);
    } else {
        rc = draw_random(evaluation, function, &random, sizeof random);
        if (rc < 0)
            return rc;
    }
    /* The span is below 2^32, so the modulo's bias is below 2^-32. */
    *result = cJSON_CreateNumber((double)(start + (long long)(random % (uint64_t)(end - start))));
    return *result != NULL ? 0 : -ENOMEM;
}

/* A random (version 4) UUID in lower-case hex. */
static int uuid_body(struct evaluation *evaluation, const struct function *function, struct argument *arguments,
                     size_t count, cJSON **result)
{
    unsigned char bytes[16];
    char text[37];
    int rc = draw_random(evaluation, function, bytes, sizeof bytes);

    (void)arguments, (void)count;
    if (rc < 0)
        return rc;
    bytes[6] = (unsigned char)((bytes[6] & 0x0f) | 0x40);
    bytes[8] = (unsigned char)((bytes[8] & 0x3f) | 0x80);
    snprintf(text, sizeof text, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", bytes[0],
             bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9], bytes[10],
             bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]);
    *result = cJSON_CreateString(text);
    return *result != NULL ? 0 : -ENOMEM;
}

/* ---- the table ---------------------------------------------------------- */

static const struct function functions[] = {
    { "States.MathAdd", 2, 2, math_add_body },
    { "States.MathRandom", 2, 3, math_random_body },
    { "States.UUID", 0, 0, uuid_body },
};

const struct function_group intrinsic_number_functions = { functions, sizeof functions / sizeof functions[0] };
