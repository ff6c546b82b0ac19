/*
 * jsonata_internal.h - what the jsonata files share: the arena, the value
 * representation, the syntax tree and the evaluation context.
 *
 * Errors inside the module unwind with longjmp to the public entry point
 * (jsonata_parse / jsonata_evaluate), which owns the arena and frees it: no
 * internal function returns an error code.
 */
#ifndef JSONATA_INTERNAL_H
#define JSONATA_INTERNAL_H

#include "jsonata.h"

#include <regex.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>

struct arena_block;
struct arena_cleanup;

struct arena {
    struct arena_block *blocks;
    struct arena_cleanup *cleanups;
    jmp_buf *on_oom;
    size_t allocated; /* bytes of its blocks */
    size_t limit;     /* 0: none; past it an allocation jumps to on_oom with over_limit set */
    bool over_limit;
};

void *arena_alloc(struct arena *arena, size_t size);
char *arena_strndup(struct arena *arena, const char *text, size_t length);
void arena_on_free(struct arena *arena, void (*release)(void *), void *object);
void arena_release(struct arena *arena);

enum jv_type {
    JV_NULL,
    JV_BOOL,
    JV_NUMBER,
    JV_STRING,
    JV_ARRAY,
    JV_OBJECT,
    JV_LAMBDA,
    JV_NATIVE,
    JV_PARTIAL,
    JV_REGEX
};

/* Array flags, JSONata's sequence markers. */
#define JA_SEQUENCE 1u
#define JA_KEEP_SINGLETON 2u
#define JA_CONS 4u
#define JA_OUTER_WRAPPER 8u
#define JA_TUPLE_STREAM 16u

struct jv;
struct node;
struct frame;
struct native;
struct eval_context;

struct jv_array {
    struct jv **items;
    size_t count, capacity;
    unsigned flags;
};

struct jv_object {
    const char **keys;
    struct jv **values;
    size_t count, capacity;
};

struct jv {
    enum jv_type type;
    union {
        bool boolean;
        double number;
        const char *string;
        struct jv_array array;
        struct jv_object object;
        struct {
            const struct node *node;
            struct frame *frame;
            struct jv *input;
        } lambda;
        const struct native *native;
        struct {
            struct jv *target;
            struct jv **args;
            bool *holes; /* the '?' placeholders */
            size_t count;
        } partial;
        const regex_t *regex;
    } u;
};

/* A function's signature, "<s-n?:s>": one parameter per entry. */
struct sig_param {
    char types[16];  /* symbols accepted; "" none */
    char quantifier; /* 0, '?', '+' */
    bool context;    /* '-': the focus when missing */
    bool array;      /* type 'a' */
    char subtype[8]; /* a<n>: the item symbol */
};

struct signature {
    struct sig_param params[12];
    size_t count;
};

struct native {
    const char *name;
    const char *signature_text;
    struct jv *(*call)(struct eval_context *context, struct jv **args, size_t count, struct jv *focus);
    struct signature signature; /* parsed from signature_text on first use (native_signature) */
    bool signature_parsed;
};

/* A native's parsed signature: parsed on its first use in the evaluation (most natives bound are never called). */
const struct signature *native_signature(struct eval_context *context, const struct native *native);

enum node_type {
    N_PATH,
    N_BINARY,
    N_NEGATE,
    N_ARRAY,
    N_OBJECT,
    N_NAME,
    N_STRING,
    N_NUMBER,
    N_VALUE,
    N_WILDCARD,
    N_DESCENDANT,
    N_PARENT,
    N_CONDITION,
    N_BLOCK,
    N_BIND,
    N_REGEX,
    N_FUNCTION,
    N_PARTIAL,
    N_VARIABLE,
    N_LAMBDA,
    N_APPLY,
    N_TRANSFORM,
    N_SORT,
    N_PLACEHOLDER,
    N_OPERATOR,
    N_FILTER,
    N_GROUP_RAW,
    N_SORT_RAW,
    N_FOCUS,
    N_INDEX
};

struct node_list {
    struct node **items;
    size_t count;
};

/* A '%' waiting for the step it names: the tuple key holding that step's input. */
struct ancestor_slot {
    const char *label;
    int level;
};

struct slot_list {
    struct ancestor_slot **items;
    size_t count;
};

struct pair_list {
    struct node **keys, **values;
    size_t count;
};

struct node {
    enum node_type type;
    long position;
    char op[4];
    const char *text; /* name, string, variable, operator */
    double number;
    struct jv *literal; /* N_VALUE, N_STRING, N_NUMBER: the value */
    struct node *lhs, *rhs, *third;
    struct node *procedure, *body; /* call, lambda */
    struct node_list list;         /* path steps, array items, block, call arguments, lambda parameters */
    struct pair_list pairs;        /* object constructor */
    struct pair_list *group;
    struct node_list predicates; /* filters on a non-path step */
    struct node_list stages;     /* filters on a path step */
    bool *descending;            /* sort terms: list */
    struct signature *signature;
    regex_t *regex;
    bool keep_array, keep_singleton_array, consarray, thunk;
    const char *focus_var, *index_var; /* @$v, #$i */
    bool tuple;
    struct ancestor_slot *slot;     /* N_PARENT */
    struct ancestor_slot *ancestor; /* a step whose input a '%' refers to */
    struct slot_list seeking;       /* '%'s inside not yet resolved to a step */
};

struct jsonata_expression {
    struct arena arena;
    struct node *root;
};

struct binding_entry {
    const char *name;
    struct jv *value;
    struct binding_entry *next;
};

struct frame {
    struct frame *parent;
    struct binding_entry *first;
};

struct eval_context {
    struct arena arena;
    jmp_buf fail;
    int status;
    struct jsonata_error *error;
    int depth, max_depth;
    long steps, max_steps;
    double now;
    double (*random)(void *);
    void *random_context;
    unsigned long long seed;
    struct frame *global;
    struct frame *call_frame; /* where the latest function call was written ($eval's scope) */
};

_Noreturn void jerror(struct eval_context *context, const char *code, long position, const char *format, ...)
    __attribute__((format(printf, 4, 5)));

/* Values (jsonata_value.c). */
struct jv *jv_new(struct eval_context *context, enum jv_type type);
struct jv *jv_number(struct eval_context *context, double number);
struct jv *jv_string(struct eval_context *context, const char *text);
struct jv *jv_stringn(struct eval_context *context, const char *text, size_t length);
struct jv *jv_bool(struct eval_context *context, bool value);
struct jv *jv_null(struct eval_context *context);
struct jv *jv_array(struct eval_context *context, unsigned flags);
struct jv *jv_sequence(struct eval_context *context);
void jv_push(struct eval_context *context, struct jv *array, struct jv *item);
struct jv *jv_object(struct eval_context *context);
struct jv *jv_get(const struct jv *object, const char *key);
void jv_set(struct eval_context *context, struct jv *object, const char *key, struct jv *value);
void jv_remove(struct jv *object, const char *key);
bool jv_is_function(const struct jv *value);
bool jv_is_array(const struct jv *value);
bool jv_is_sequence(const struct jv *value);
bool jv_is_integer(const struct jv *value);
bool jv_equal(const struct jv *a, const struct jv *b);
struct jv *jv_from_cjson(struct eval_context *context, const cJSON *json);
/* Converts value into *out (NULL: undefined); 0 or a negative errno with context->error filled. */
int jv_to_cjson(struct eval_context *context, const struct jv *value, cJSON **out);
void jv_format_number(double number, char *out, size_t size);
/* JSON text of value (functions as ""), pretty with 2 spaces when indent. */
char *jv_stringify(struct eval_context *context, const struct jv *value, bool indent);
struct jv *jv_append(struct eval_context *context, struct jv *a, struct jv *b);
struct jv *jv_flatten(struct eval_context *context, struct jv *value, struct jv *into);
struct jv *jv_deep_copy(struct eval_context *context, const struct jv *value);
char jv_symbol(const struct jv *value);
bool jv_truthy(struct eval_context *context, const struct jv *value);
size_t utf8_length(const char *text);
/* Byte offset of code point index in text (clamped to its end). */
size_t utf8_offset(const char *text, size_t index);

/* A growing string in the arena. */
struct sb {
    struct eval_context *context;
    char *data;
    size_t length, capacity;
};
void sb_append(struct sb *sb, const char *text, size_t length);
void sb_puts(struct sb *sb, const char *text);
void sb_putc(struct sb *sb, char c);
/* Appends code point as UTF-8. */
void sb_put_code_point(struct sb *sb, unsigned long code_point);
const char *sb_text(struct sb *sb);

/* Parser (jsonata_parser.c). */
struct node *jsonata_parse_tree(struct eval_context *context, const char *text);
void signature_parse(struct eval_context *context, const char *text, struct signature *out, long position);

/* Evaluator (jsonata_eval.c). */
struct jv *eval(struct eval_context *context, const struct node *node, struct jv *input, struct frame *frame);
struct jv *apply_function(struct eval_context *context, struct jv *function, struct jv **args, size_t count,
                          struct jv *focus, long position);
struct frame *frame_new(struct eval_context *context, struct frame *parent);
void frame_bind(struct eval_context *context, struct frame *frame, const char *name, struct jv *value);
/* Binds name in frame without looking for an earlier binding: it shadows one (lookups find the newest first). */
void frame_prepend(struct eval_context *context, struct frame *frame, const char *name, struct jv *value);
struct jv *frame_lookup(struct frame *frame, const char *name);
/* $eval(text, input?): parses and evaluates text against input (the focus when absent) in the caller's scope. */
struct jv *eval_text(struct eval_context *context, struct jv **args, size_t count, struct jv *focus);
void step(struct eval_context *context);
/* Stable merge sort; after(a, b) true when a goes after b. */
void jv_sort(struct eval_context *context, struct jv **items, size_t count,
             bool (*after)(struct eval_context *, struct jv *, struct jv *, void *), void *data);

/* Standard library (jsonata_functions.c). */
void functions_bind(struct eval_context *context, struct frame *frame);
struct jv *fn_string(struct eval_context *context, struct jv *value, bool pretty);
struct jv *fn_sort(struct eval_context *context, struct jv *array, struct jv *comparator, long position);
/* What regex_compile() allocates; the regex_t * it returns points to compiled. */
struct regex_info {
    regex_t compiled;
    bool lazy; /* has a lazy quantifier (*? +? ?? }?): matched as the shortest match at the leftmost start */
};
regex_t *regex_compile(struct eval_context *context, const char *pattern, const char *flags, long position);
int function_arity(struct eval_context *context, const struct jv *function);
/* Binds the n natives of table (signatures parsed) in frame. */
void natives_bind(struct eval_context *context, struct frame *frame, const struct native *table, size_t n);

/* Formatting, encodings and regex matchers (jsonata_format.c). */
void format_functions_bind(struct eval_context *context, struct frame *frame);

/* Binds what AWS Step Functions adds to JSONata ($partition, $range, $hash, $random with a seed, $uuid, $parse). */
void sfn_functions_bind(struct eval_context *context, struct frame *frame);

/* A number in [0, 1) from the environment's random source (or the evaluation's fixed pseudo-random sequence). */
double functions_next_random(struct eval_context *context);
/* A regex literal called as a function (string, offset?): its match object {match, start, end, groups, next}. */
/* $contains and $split with a matcher function (regex or function): the match protocol, "T1010" on a bad match. */
struct jv *format_matcher_contains(struct eval_context *context, struct jv *text, struct jv *matcher);
struct jv *format_matcher_split(struct eval_context *context, struct jv *text, struct jv *matcher, double limit);
struct jv *format_regex_call(struct eval_context *context, struct jv *regex, struct jv **args, size_t count);

/* Date/time natives (jsonata_dates.c): $fromMillis, $toMillis, $now. */
struct jv *fn_from_millis(struct eval_context *context, struct jv **args, size_t count, struct jv *focus);
struct jv *fn_to_millis(struct eval_context *context, struct jv **args, size_t count, struct jv *focus);
struct jv *fn_now(struct eval_context *context, struct jv **args, size_t count, struct jv *focus);

#endif
