/*
 * intrinsic_internal - what the files of the intrinsic functions share: the
 * parser and dispatcher (intrinsic_functions.c) and the groups of functions
 * (intrinsic_text.c, intrinsic_json.c, intrinsic_numbers.c). Private to asl/.
 */
#ifndef INTRINSIC_INTERNAL_H
#define INTRINSIC_INTERNAL_H

#include "intrinsic_functions.h"

#include <cjson/cJSON.h>
#include <stddef.h>

/* The Java int range AWS's integer arguments live in. */
#define SMALLEST_INTEGER (-2147483648LL)
#define LARGEST_INTEGER 2147483647LL

/* A function's maximum_arguments when it takes any number. */
#define ANY_NUMBER ((size_t)-1)

struct argument {
    const cJSON *value;       /* borrowed from the scope, or owned below */
    cJSON *owned;             /* a literal or a nested call's result; NULL for a path */
    const char *literal_text; /* a string literal: its text between the quotes, escapes kept */
    size_t literal_length;
};

struct evaluation {
    const struct intrinsic_scope *scope;
    const char *call; /* the whole text, as messages quote it */
    char *error;
    size_t error_size;
};

struct function;

/*
 * A function's implementation: count evaluated arguments, already checked
 * against the function's argument counts. On success stores a new value in
 * *result and returns 0; on failure returns a negative errno (see
 * intrinsic_evaluate) and leaves *result untouched. It may move an owned
 * argument's value out (intrinsic_take_value).
 */
typedef int function_body(struct evaluation *evaluation, const struct function *function, struct argument *arguments,
                          size_t count, cJSON **result);

struct function {
    const char *name;
    size_t minimum_arguments;
    size_t maximum_arguments;
    function_body *body;
};

/* A file's share of the function table. */
struct function_group {
    const struct function *functions;
    size_t count;
};

/* Format, Base64Encode, Base64Decode, Hash, StringSplit. */
extern const struct function_group intrinsic_text_functions;
/* StringToJson, JsonToString, JsonMerge and the Array functions. */
extern const struct function_group intrinsic_json_functions;
/* MathAdd, MathRandom, UUID. */
extern const struct function_group intrinsic_number_functions;

/* Writes the evaluation's error message (when it has a buffer), printf-style. */
__attribute__((format(printf, 2, 3))) void intrinsic_write_error(const struct evaluation *evaluation,
                                                                 const char *format, ...);

/* Reports an intrinsic failure of the whole call, with AWS's prefix; returns -EDOM. */
__attribute__((format(printf, 2, 3))) int intrinsic_fail(const struct evaluation *evaluation, const char *format, ...);

/* A deep copy without the member name the original may carry; NULL when out of memory. */
cJSON *intrinsic_duplicate_value(const cJSON *value);

/* The argument's value for a result: moved out when owned, else copied. NULL when out of memory. */
cJSON *intrinsic_take_value(struct argument *argument);

/*
 * The index-th argument as an integer in [minimum, maximum] (non-integers
 * rounded, halves up); otherwise an intrinsic failure (-EDOM).
 */
__attribute__((warn_unused_result)) int intrinsic_integer_argument(const struct evaluation *evaluation,
                                                                   const struct function *function,
                                                                   const struct argument *arguments, size_t index,
                                                                   long long minimum, long long maximum,
                                                                   long long *integer);

/* 0 when the index-th argument is of the type test accepts; otherwise an intrinsic failure naming wanted. */
__attribute__((warn_unused_result)) int intrinsic_check_type(const struct evaluation *evaluation,
                                                             const struct function *function,
                                                             const struct argument *arguments, size_t index,
                                                             cJSON_bool (*test)(const cJSON *), const char *wanted);

#endif
