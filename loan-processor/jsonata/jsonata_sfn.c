/*
 * jsonata_sfn - the functions AWS Step Functions adds to JSONata (its "Transforming data with JSONata" page):
 * $partition, $range, $hash, $random with an optional seed, $uuid and $parse. Pure, as the rest of the
 * evaluator: randomness comes from the evaluation's environment.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "digest.h"
#include "jsonata_internal.h"
#include "json_util.h"

#define ARG(i) ((i) < count ? args[i] : NULL)
#define FN(name) static struct jv *name(struct eval_context *context, struct jv **args, size_t count, struct jv *focus)

/* The most elements $range and $partition build: a hostile call ends with an error, not gigabytes. */
#define SFN_MAX_ELEMENTS 1000000

/* $partition(array, size): the array in chunks of size (the last one shorter). */
FN(f_partition)
{
    (void)focus;
    if (!ARG(0))
        return NULL;
    double size = ARG(1) ? args[1]->u.number : 0;
    if (size < 1 || size != floor(size))
        jerror(context, "D3050", 0, "The second argument of $partition must be a positive integer");
    struct jv *source = args[0];
    struct jv *chunks = jv_array(context, 0);
    size_t total = jv_is_array(source) ? source->u.array.count : 1;
    for (size_t start = 0; start < total; start += (size_t)size) {
        struct jv *chunk = jv_array(context, 0);
        for (size_t i = start; i < total && i < start + (size_t)size; i++)
            jv_push(context, chunk, jv_is_array(source) ? source->u.array.items[i] : source);
        jv_push(context, chunks, chunk);
    }
    return chunks;
}

/* $range(start, end, step): start, start + step, ... up to end included (a one-element range is its number). */
FN(f_range)
{
    (void)focus;
    if (!ARG(0) || !ARG(1))
        return NULL;
    double start = args[0]->u.number, end = args[1]->u.number, step = ARG(2) ? args[2]->u.number : 1;
    if (step == 0 || start != floor(start) || end != floor(end) || step != floor(step))
        jerror(context, "D3051", 0, "The arguments of $range must be integers and its step not 0");
    if (fabs((end - start) / step) >= SFN_MAX_ELEMENTS)
        jerror(context, "D3052", 0, "$range would build more than %d numbers", SFN_MAX_ELEMENTS);
    struct jv *numbers = jv_sequence(context);
    for (double n = start; step > 0 ? n <= end : n >= end; n += step)
        jv_push(context, numbers, jv_number(context, n));
    return numbers;
}

/* $hash(text, algorithm?): the hex digest of text (MD5, SHA-1, SHA-256 (the default), SHA-384, SHA-512). */
FN(f_hash)
{
    (void)focus;
    if (!ARG(0))
        return NULL;
    enum digest_algorithm algorithm;
    const char *name = ARG(1) ? args[1]->u.string : "SHA-256";
    if (digest_algorithm_from_name(name, &algorithm) < 0)
        jerror(context, "D3053", 0, "The hash algorithm '%s' is not one of MD5, SHA-1, SHA-256, SHA-384, SHA-512",
               name);
    char hex[DIGEST_MAX_HEX_SIZE];
    digest_hex(algorithm, args[0]->u.string, strlen(args[0]->u.string), hex);
    return jv_string(context, hex);
}

/* $random(seed?): a number in [0, 1); with a seed, the same number for the same seed. */
FN(f_random_seeded)
{
    (void)focus;
    if (!ARG(0))
        return jv_number(context, functions_next_random(context));
    unsigned long long state = (unsigned long long)(long long)args[0]->u.number ^ 0x9e3779b97f4a7c15ull;
    state ^= state >> 30;
    state *= 0xbf58476d1ce4e5b9ull;
    state ^= state >> 27;
    state *= 0x94d049bb133111ebull;
    state ^= state >> 31;
    return jv_number(context, (double)(state >> 11) / 9007199254740992.0);
}

/* $uuid(): a version 4 UUID from the environment's random source. */
FN(f_uuid)
{
    (void)focus;
    (void)args;
    (void)count;
    unsigned char bytes[16];
    char text[37];
    for (size_t i = 0; i < sizeof(bytes); i++)
        bytes[i] = (unsigned char)(functions_next_random(context) * 256.0);
    bytes[6] = (unsigned char)((bytes[6] & 0x0f) | 0x40);
    bytes[8] = (unsigned char)((bytes[8] & 0x3f) | 0x80);
    snprintf(text, sizeof(text), "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", bytes[0],
             bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9], bytes[10],
             bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]);
    return jv_string(context, text);
}

/* $parse(text): the JSON value text holds (Step Functions' replacement of $eval for data). */
FN(f_parse)
{
    (void)focus;
    if (!ARG(0))
        return NULL;
    cJSON *json = NULL;
    if (json_parse(args[0]->u.string, strlen(args[0]->u.string), &json) < 0)
        jerror(context, "D3054", 0, "The argument of $parse is not valid JSON text");
    struct jv *value = jv_from_cjson(context, json);
    cJSON_Delete(json);
    return value;
}

static const struct native sfn_natives[] = {
    { .name = "partition", .signature_text = "<an:a>", .call = f_partition },
    { .name = "range", .signature_text = "<nnn?:a<n>>", .call = f_range },
    { .name = "hash", .signature_text = "<s-s?:s>", .call = f_hash },
    { .name = "random", .signature_text = "<n?:n>", .call = f_random_seeded },
    { .name = "uuid", .signature_text = "<:s>", .call = f_uuid },
    { .name = "parse", .signature_text = "<s-:x>", .call = f_parse },
};

void sfn_functions_bind(struct eval_context *context, struct frame *frame)
{
    natives_bind(context, frame, sfn_natives, sizeof(sfn_natives) / sizeof(sfn_natives[0]));
}
