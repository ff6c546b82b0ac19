/*
 * jsonata_eval.c - the evaluator (JSONata's evaluate, path steps, filters,
 * grouping, sorting, transforms, function application with tail calls) and
 * the public entry points.
 */
#include "jsonata_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void step(struct eval_context *context)
{
    if (++context->steps > context->max_steps)
        jerror(context, "U1002", 0, "The evaluation took too many steps (more than %ld)", context->max_steps);
}

struct frame *frame_new(struct eval_context *context, struct frame *parent)
{
    struct frame *frame = arena_alloc(&context->arena, sizeof(*frame));
    frame->parent = parent;
    return frame;
}

void frame_prepend(struct eval_context *context, struct frame *frame, const char *name, struct jv *value)
{
    struct binding_entry *entry = arena_alloc(&context->arena, sizeof(*entry));
    entry->name = name;
    entry->value = value;
    entry->next = frame->first;
    frame->first = entry;
}

void frame_bind(struct eval_context *context, struct frame *frame, const char *name, struct jv *value)
{
    for (struct binding_entry *entry = frame->first; entry; entry = entry->next)
        if (strcmp(entry->name, name) == 0) {
            entry->value = value;
            return;
        }
    struct binding_entry *entry = arena_alloc(&context->arena, sizeof(*entry));
    entry->name = name;
    entry->value = value;
    entry->next = frame->first;
    frame->first = entry;
}

static struct binding_entry *frame_find(struct frame *frame, const char *name)
{
    for (; frame; frame = frame->parent)
        for (struct binding_entry *entry = frame->first; entry; entry = entry->next)
            if (strcmp(entry->name, name) == 0)
                return entry;
    return NULL;
}

struct jv *frame_lookup(struct frame *frame, const char *name)
{
    struct binding_entry *entry = frame_find(frame, name);
    return entry ? entry->value : NULL;
}

static void merge_sort(struct eval_context *context, struct jv **items, struct jv **scratch, size_t count,
                       bool (*after)(struct eval_context *, struct jv *, struct jv *, void *), void *data)
{
    if (count < 2)
        return;
    size_t middle = count / 2;
    merge_sort(context, items, scratch, middle, after, data);
    merge_sort(context, items + middle, scratch, count - middle, after, data);
    size_t i = 0, j = middle, k = 0;
    while (i < middle && j < count) {
        if (after(context, items[i], items[j], data))
            scratch[k++] = items[j++];
        else
            scratch[k++] = items[i++];
    }
    while (i < middle)
        scratch[k++] = items[i++];
    while (j < count)
        scratch[k++] = items[j++];
    memcpy(items, scratch, count * sizeof(*items));
}

void jv_sort(struct eval_context *context, struct jv **items, size_t count,
             bool (*after)(struct eval_context *, struct jv *, struct jv *, void *), void *data)
{
    struct jv **scratch = arena_alloc(&context->arena, (count + 1) * sizeof(*scratch));
    merge_sort(context, items, scratch, count, after, data);
}

static struct jv *as_sequence(struct eval_context *context, struct jv *value)
{
    if (jv_is_array(value))
        return value;
    struct jv *sequence = jv_sequence(context);
    if (value)
        jv_push(context, sequence, value);
    return sequence;
}

static struct jv *lookup_field(struct eval_context *context, struct jv *input, const char *key)
{
    if (jv_is_array(input)) {
        struct jv *result = jv_sequence(context);
        for (size_t i = 0; i < input->u.array.count; i++) {
            struct jv *value = lookup_field(context, input->u.array.items[i], key);
            if (jv_is_array(value))
                for (size_t j = 0; j < value->u.array.count; j++)
                    jv_push(context, result, value->u.array.items[j]);
            else if (value)
                jv_push(context, result, value);
        }
        return result;
    }
    return jv_get(input, key);
}

static bool is_tuple_stream(const struct jv *value)
{
    return jv_is_array(value) && (value->u.array.flags & JA_TUPLE_STREAM);
}

static struct jv *tuple_stream(struct eval_context *context)
{
    return jv_array(context, JA_SEQUENCE | JA_TUPLE_STREAM);
}

/* A frame binding each name of tuple (its '@' too, which no variable can name). */
static struct frame *tuple_frame(struct eval_context *context, struct frame *parent, const struct jv *tuple)
{
    struct frame *frame = frame_new(context, parent);
    for (size_t i = 0; i < tuple->u.object.count; i++)
        frame_bind(context, frame, tuple->u.object.keys[i], tuple->u.object.values[i]);
    return frame;
}

static struct jv *tuple_copy(struct eval_context *context, const struct jv *tuple)
{
    struct jv *copy = jv_object(context);
    for (size_t i = 0; i < tuple->u.object.count; i++)
        jv_set(context, copy, tuple->u.object.keys[i], tuple->u.object.values[i]);
    return copy;
}

static bool is_array_of_numbers(const struct jv *value)
{
    if (!jv_is_array(value))
        return false;
    for (size_t i = 0; i < value->u.array.count; i++)
        if (!value->u.array.items[i] || value->u.array.items[i]->type != JV_NUMBER)
            return false;
    return true;
}

static struct jv *evaluate_filter(struct eval_context *context, const struct node *predicate, struct jv *input,
                                  struct frame *frame)
{
    bool tuples = is_tuple_stream(input);
    struct jv *results = tuples ? tuple_stream(context) : jv_sequence(context);
    input = as_sequence(context, input);
    size_t count = input->u.array.count;
    if (predicate->type == N_NUMBER) {
        double index = floor(predicate->number);
        if (index < 0)
            index += (double)count;
        if (index >= 0 && index < (double)count) {
            struct jv *item = input->u.array.items[(size_t)index];
            if (jv_is_array(item))
                return item;
            jv_push(context, results, item);
        }
        return results;
    }
    for (size_t i = 0; i < count; i++) {
        struct jv *item = input->u.array.items[i];
        struct jv *value = tuples ? eval(context, predicate, jv_get(item, "@"), tuple_frame(context, frame, item))
                                  : eval(context, predicate, item, frame);
        if (value && value->type == JV_NUMBER) {
            struct jv *wrapped = jv_sequence(context);
            jv_push(context, wrapped, value);
            value = wrapped;
        }
        if (is_array_of_numbers(value)) {
            for (size_t j = 0; j < value->u.array.count; j++) {
                double index = floor(value->u.array.items[j]->u.number);
                if (index < 0)
                    index += (double)count;
                if (index == (double)i)
                    jv_push(context, results, item);
            }
        } else if (jv_truthy(context, value)) {
            jv_push(context, results, item);
        }
    }
    return results;
}

struct sort_run {
    const struct node *sort;
    struct frame *frame;
    bool tuples;
};

static struct jv *sort_key(struct eval_context *context, const struct sort_run *run, size_t term, struct jv *item)
{
    if (run->tuples)
        return eval(context, run->sort->list.items[term], jv_get(item, "@"), tuple_frame(context, run->frame, item));
    return eval(context, run->sort->list.items[term], item, run->frame);
}

static bool sort_after(struct eval_context *context, struct jv *a, struct jv *b, void *data)
{
    const struct sort_run *run = data;
    const struct node *sort = run->sort;
    for (size_t i = 0; i < sort->list.count; i++) {
        struct jv *x = sort_key(context, run, i, a);
        struct jv *y = sort_key(context, run, i, b);
        int comparison;
        if (!x) {
            comparison = y ? 1 : 0;
            if (comparison)
                return true;
            continue;
        }
        if (!y)
            return false;
        bool x_ok = x->type == JV_STRING || x->type == JV_NUMBER, y_ok = y->type == JV_STRING || y->type == JV_NUMBER;
        if (!x_ok || !y_ok)
            jerror(context, "T2008", sort->position,
                   "The expressions within an order-by clause must evaluate to numeric or string values");
        if (x->type != y->type)
            jerror(context, "T2007", sort->position,
                   "Type mismatch within order-by clause. All values must be of the same type");
        if (x->type == JV_NUMBER)
            comparison = x->u.number == y->u.number ? 0 : x->u.number < y->u.number ? -1 : 1;
        else
            comparison = strcmp(x->u.string, y->u.string);
        comparison = comparison < 0 ? -1 : comparison > 0;
        if (sort->descending[i])
            comparison = -comparison;
        if (comparison != 0)
            return comparison == 1;
    }
    return false;
}

static struct jv *evaluate_sort(struct eval_context *context, const struct node *sort, struct jv *input,
                                struct frame *frame)
{
    if (!input)
        return NULL;
    struct sort_run run = { .sort = sort, .frame = frame, .tuples = is_tuple_stream(input) };
    struct jv *result = run.tuples ? tuple_stream(context) : jv_sequence(context);
    for (size_t i = 0; i < input->u.array.count; i++)
        jv_push(context, result, input->u.array.items[i]);
    jv_sort(context, result->u.array.items, result->u.array.count, sort_after, &run);
    return result;
}

/* A step's predicates and '#$i' bindings, in order. */
static struct jv *evaluate_stages(struct eval_context *context, const struct node_list *stages, struct jv *input,
                                  struct frame *frame)
{
    for (size_t i = 0; i < stages->count; i++) {
        const struct node *stage = stages->items[i];
        if (stage->type == N_FILTER) {
            input = evaluate_filter(context, stage->lhs, input, frame);
        } else if (is_tuple_stream(input)) {
            for (size_t k = 0; k < input->u.array.count; k++)
                jv_set(context, input->u.array.items[k], stage->text, jv_number(context, (double)k));
        }
    }
    return input;
}

static void push_tuple(struct eval_context *context, const struct node *step, struct jv *result, struct jv *tuple,
                       struct jv *value, size_t position, bool merge)
{
    struct jv *out = tuple_copy(context, tuple);
    if (merge) {
        for (size_t i = 0; i < value->u.object.count; i++)
            jv_set(context, out, value->u.object.keys[i], value->u.object.values[i]);
    } else {
        if (step->focus_var)
            jv_set(context, out, step->focus_var, value);
        else
            jv_set(context, out, "@", value);
        if (step->index_var)
            jv_set(context, out, step->index_var, jv_number(context, (double)position));
        if (step->ancestor)
            jv_set(context, out, step->ancestor->label, jv_get(tuple, "@"));
    }
    jv_push(context, result, out);
}

/* JSONata's evaluateTupleStep: a step over a stream of variable bindings. */
static struct jv *evaluate_tuple_step(struct eval_context *context, const struct node *step, struct jv *input,
                                      struct jv *tuples, struct frame *frame)
{
    struct jv *result = tuple_stream(context);
    if (step->type == N_SORT) {
        if (tuples) {
            result = evaluate_sort(context, step, tuples, frame);
        } else {
            struct jv *sorted = evaluate_sort(context, step, input, frame);
            for (size_t i = 0; sorted && i < sorted->u.array.count; i++) {
                struct jv *tuple = jv_object(context);
                jv_set(context, tuple, "@", sorted->u.array.items[i]);
                if (step->index_var)
                    jv_set(context, tuple, step->index_var, jv_number(context, (double)i));
                jv_push(context, result, tuple);
            }
        }
        return evaluate_stages(context, &step->stages, result, frame);
    }
    if (!tuples) {
        tuples = tuple_stream(context);
        for (size_t i = 0; i < input->u.array.count; i++) {
            struct jv *tuple = jv_object(context);
            jv_set(context, tuple, "@", input->u.array.items[i]);
            jv_push(context, tuples, tuple);
        }
    }
    for (size_t i = 0; i < tuples->u.array.count; i++) {
        struct jv *tuple = tuples->u.array.items[i];
        struct jv *value = eval(context, step, jv_get(tuple, "@"), tuple_frame(context, frame, tuple));
        if (!value)
            continue;
        if (!jv_is_array(value)) {
            push_tuple(context, step, result, tuple, value, 0, false);
            continue;
        }
        bool merge = is_tuple_stream(value);
        for (size_t k = 0; k < value->u.array.count; k++)
            push_tuple(context, step, result, tuple, value->u.array.items[k], k, merge);
    }
    return evaluate_stages(context, &step->stages, result, frame);
}

static struct jv *evaluate_step(struct eval_context *context, const struct node *node, struct jv *input,
                                struct frame *frame, bool last)
{
    if (node->type == N_SORT) {
        return evaluate_stages(context, &node->stages, evaluate_sort(context, node, input, frame), frame);
    }
    struct jv *collected = jv_sequence(context);
    for (size_t i = 0; i < input->u.array.count; i++) {
        struct jv *value =
            evaluate_stages(context, &node->stages, eval(context, node, input->u.array.items[i], frame), frame);
        if (value)
            jv_push(context, collected, value);
    }
    if (last && collected->u.array.count == 1 && jv_is_array(collected->u.array.items[0])
        && !jv_is_sequence(collected->u.array.items[0]))
        return collected->u.array.items[0];
    struct jv *result = jv_sequence(context);
    for (size_t i = 0; i < collected->u.array.count; i++) {
        struct jv *value = collected->u.array.items[i];
        if (!jv_is_array(value) || (value->u.array.flags & JA_CONS))
            jv_push(context, result, value);
        else
            for (size_t j = 0; j < value->u.array.count; j++)
                jv_push(context, result, value->u.array.items[j]);
    }
    return result;
}

static struct jv *evaluate_group(struct eval_context *context, const struct pair_list *pairs, struct jv *input,
                                 struct frame *frame, long position);

static struct jv *evaluate_path(struct eval_context *context, const struct node *node, struct jv *input,
                                struct frame *frame)
{
    struct jv *sequence;
    if (node->list.items[0]->type == N_VARIABLE || !input) {
        sequence = jv_sequence(context);
        jv_push(context, sequence, input);
    } else {
        sequence = as_sequence(context, input);
    }
    struct jv *result = NULL, *tuples = NULL;
    bool tuple_mode = false;
    for (size_t i = 0; i < node->list.count; i++) {
        const struct node *step_node = node->list.items[i];
        tuple_mode = tuple_mode || step_node->tuple;
        if (i == 0 && step_node->consarray)
            result = eval(context, step_node, sequence, frame);
        else if (tuple_mode)
            tuples = evaluate_tuple_step(context, step_node, sequence, tuples, frame);
        else
            result = evaluate_step(context, step_node, sequence, frame, i == node->list.count - 1);
        if (tuple_mode)
            continue;
        if (!result || (jv_is_array(result) && result->u.array.count == 0))
            break;
        sequence = as_sequence(context, result);
        result = sequence;
    }
    if (tuple_mode && node->tuple) {
        result = tuples;
    } else if (tuple_mode) {
        result = jv_sequence(context);
        for (size_t i = 0; tuples && i < tuples->u.array.count; i++)
            jv_push(context, result, jv_get(tuples->u.array.items[i], "@"));
    }
    if (node->keep_singleton_array && result) {
        if (jv_is_array(result) && (result->u.array.flags & JA_CONS) && !jv_is_sequence(result)) {
            struct jv *wrapped = jv_sequence(context);
            jv_push(context, wrapped, result);
            result = wrapped;
        }
        if (jv_is_array(result))
            result->u.array.flags |= JA_KEEP_SINGLETON;
    }
    if (node->group)
        result = evaluate_group(context, node->group, tuple_mode ? tuples : result, frame, node->position);
    return result;
}

/* JSONata's reduceTupleStream: one tuple whose every name holds all the values of the group. */
static struct jv *reduce_tuples(struct eval_context *context, struct jv *tuples)
{
    if (!jv_is_array(tuples))
        return tuple_copy(context, tuples);
    struct jv *result = tuple_copy(context, tuples->u.array.items[0]);
    for (size_t i = 1; i < tuples->u.array.count; i++) {
        struct jv *tuple = tuples->u.array.items[i];
        for (size_t k = 0; k < tuple->u.object.count; k++)
            jv_set(context, result, tuple->u.object.keys[k],
                   jv_append(context, jv_get(result, tuple->u.object.keys[k]), tuple->u.object.values[k]));
    }
    return result;
}

static struct jv *evaluate_group(struct eval_context *context, const struct pair_list *pairs, struct jv *input,
                                 struct frame *frame, long position)
{
    struct jv *result = jv_object(context);
    struct jv *groups = jv_object(context); /* key -> [data, index] */
    bool reduce = is_tuple_stream(input) && input->u.array.count;
    input = as_sequence(context, input);
    size_t count = input->u.array.count ? input->u.array.count : 1;
    for (size_t i = 0; i < count; i++) {
        struct jv *item = input->u.array.count ? input->u.array.items[i] : NULL;
        for (size_t p = 0; p < pairs->count; p++) {
            struct jv *key = reduce
                                 ? eval(context, pairs->keys[p], jv_get(item, "@"), tuple_frame(context, frame, item))
                                 : eval(context, pairs->keys[p], item, frame);
            if (!key)
                continue;
            if (key->type != JV_STRING)
                jerror(context, "T1003", position, "Key in object structure must evaluate to a string; got: %s",
                       jv_stringify(context, key, false));
            struct jv *entry = jv_get(groups, key->u.string);
            if (entry) {
                if ((size_t)entry->u.array.items[1]->u.number != p)
                    jerror(context, "D1009", position, "Multiple key definitions evaluate to same key: \"%s\"",
                           key->u.string);
                entry->u.array.items[0] = jv_append(context, entry->u.array.items[0], item);
            } else {
                entry = jv_array(context, 0);
                jv_push(context, entry, item);
                jv_push(context, entry, jv_number(context, (double)p));
                jv_set(context, groups, key->u.string, entry);
            }
        }
    }
    for (size_t g = 0; g < groups->u.object.count; g++) {
        struct jv *entry = groups->u.object.values[g];
        size_t p = (size_t)entry->u.array.items[1]->u.number;
        struct jv *data = entry->u.array.items[0];
        struct frame *inner = frame;
        if (reduce) {
            struct jv *tuple = reduce_tuples(context, data);
            data = jv_get(tuple, "@");
            jv_remove(tuple, "@");
            inner = tuple_frame(context, frame, tuple);
        }
        struct jv *value = eval(context, pairs->values[p], data, inner);
        if (value)
            jv_set(context, result, groups->u.object.keys[g], value);
    }
    return result;
}

static void recurse_descendants(struct eval_context *context, struct jv *input, struct jv *results, int depth)
{
    if (depth > 10000)
        jerror(context, "U1001", 0, "The value is nested too deeply");
    if (!input)
        return;
    if (!jv_is_array(input))
        jv_push(context, results, input);
    if (jv_is_array(input)) {
        for (size_t i = 0; i < input->u.array.count; i++)
            recurse_descendants(context, input->u.array.items[i], results, depth + 1);
    } else if (input->type == JV_OBJECT) {
        for (size_t i = 0; i < input->u.object.count; i++)
            recurse_descendants(context, input->u.object.values[i], results, depth + 1);
    }
}

static struct jv *evaluate_wildcard(struct eval_context *context, struct jv *input)
{
    struct jv *results = jv_sequence(context);
    if (jv_is_array(input) && (input->u.array.flags & JA_OUTER_WRAPPER) && input->u.array.count)
        input = input->u.array.items[0];
    if (jv_is_array(input)) {
        for (size_t i = 0; i < input->u.array.count; i++)
            jv_flatten(context, input->u.array.items[i], results);
    } else if (input && input->type == JV_OBJECT) {
        for (size_t i = 0; i < input->u.object.count; i++) {
            struct jv *value = input->u.object.values[i];
            if (jv_is_array(value))
                jv_flatten(context, value, results);
            else if (value)
                jv_push(context, results, value);
        }
    }
    return results;
}

static double number_operand(struct eval_context *context, struct jv *value, bool left, const struct node *node)
{
    if (value->type != JV_NUMBER)
        jerror(context, left ? "T2001" : "T2002", node->position,
               "The %s side of the \"%s\" operator must evaluate to a number", left ? "left" : "right", node->op);
    return value->u.number;
}

static struct jv *arithmetic(struct eval_context *context, const struct node *node, struct jv *l, struct jv *r)
{
    if (l && l->type != JV_NUMBER)
        number_operand(context, l, true, node);
    if (r && r->type != JV_NUMBER)
        number_operand(context, r, false, node);
    if (!l || !r)
        return NULL;
    double a = l->u.number, b = r->u.number, result;
    switch (node->op[0]) {
    case '+':
        result = a + b;
        break;
    case '-':
        result = a - b;
        break;
    case '*':
        result = a * b;
        break;
    case '/':
        result = a / b;
        break;
    default:
        result = fmod(a, b);
    }
    if (!isfinite(result))
        jerror(context, "D1001", node->position, "Number out of range");
    return jv_number(context, result);
}

static struct jv *comparison(struct eval_context *context, const struct node *node, struct jv *l, struct jv *r)
{
    const char *op = node->op;
    if (!strcmp(op, "=") || !strcmp(op, "!=")) {
        if (!l || !r)
            return jv_bool(context, false);
        bool equal = jv_equal(l, r);
        return jv_bool(context, op[0] == '=' ? equal : !equal);
    }
    bool l_ok = !l || l->type == JV_NUMBER || l->type == JV_STRING;
    bool r_ok = !r || r->type == JV_NUMBER || r->type == JV_STRING;
    if (!l_ok || !r_ok)
        jerror(context, "T2010", node->position,
               "The expressions either side of operator \"%s\" must evaluate to numeric or string values", op);
    if (!l || !r)
        return NULL;
    if (l->type != r->type)
        jerror(context, "T2009", node->position,
               "The values either side of operator \"%s\" must be of the same data type", op);
    int c = l->type == JV_NUMBER ? (l->u.number < r->u.number ? -1 : l->u.number > r->u.number)
                                 : strcmp(l->u.string, r->u.string);
    bool result = op[0] == '<' ? (op[1] == '=' ? c <= 0 : c < 0) : (op[1] == '=' ? c >= 0 : c > 0);
    return jv_bool(context, result);
}

static struct jv *range(struct eval_context *context, const struct node *node, struct jv *l, struct jv *r)
{
    if (l && !jv_is_integer(l))
        jerror(context, "T2003", node->position,
               "The left side of the range operator (..) must evaluate to an integer");
    if (r && !jv_is_integer(r))
        jerror(context, "T2004", node->position,
               "The right side of the range operator (..) must evaluate to an integer");
    if (!l || !r || l->u.number > r->u.number)
        return NULL;
    double size = r->u.number - l->u.number + 1;
    if (size > 1e7)
        jerror(context, "D2014", node->position,
               "The size of the sequence allocated by the range operator (..) must not exceed 1e7");
    struct jv *result = jv_array(context, 0);
    result->u.array.items = arena_alloc(&context->arena, (size_t)size * sizeof(struct jv *));
    result->u.array.capacity = (size_t)size;
    struct jv *numbers = arena_alloc(&context->arena, (size_t)size * sizeof(struct jv));
    for (size_t i = 0; i < (size_t)size; i++) {
        numbers[i].type = JV_NUMBER;
        numbers[i].u.number = l->u.number + (double)i;
        result->u.array.items[i] = &numbers[i];
    }
    result->u.array.count = (size_t)size;
    return result;
}

static struct jv *evaluate_binary(struct eval_context *context, const struct node *node, struct jv *input,
                                  struct frame *frame)
{
    const char *op = node->op;
    struct jv *l = eval(context, node->lhs, input, frame);
    if (!strcmp(op, "and") || !strcmp(op, "or")) {
        bool left = jv_truthy(context, l);
        if (op[0] == 'a' ? !left : left)
            return jv_bool(context, left);
        return jv_bool(context, jv_truthy(context, eval(context, node->rhs, input, frame)));
    }
    if (!strcmp(op, "??"))
        return l ? l : eval(context, node->rhs, input, frame);
    if (!strcmp(op, "?:"))
        return jv_truthy(context, l) ? l : eval(context, node->rhs, input, frame);
    struct jv *r = eval(context, node->rhs, input, frame);
    if (strchr("+-*/%", op[0]) && op[1] == '\0')
        return arithmetic(context, node, l, r);
    if (!strcmp(op, "&")) {
        struct jv *a = l ? fn_string(context, l, false) : jv_string(context, "");
        struct jv *b = r ? fn_string(context, r, false) : jv_string(context, "");
        size_t la = strlen(a->u.string), lb = strlen(b->u.string);
        char *text = arena_alloc(&context->arena, la + lb + 1);
        memcpy(text, a->u.string, la);
        memcpy(text + la, b->u.string, lb + 1);
        struct jv *result = jv_new(context, JV_STRING);
        result->u.string = text;
        return result;
    }
    if (!strcmp(op, ".."))
        return range(context, node, l, r);
    if (!strcmp(op, "in")) {
        if (!l || !r)
            return jv_bool(context, false);
        r = as_sequence(context, r);
        for (size_t i = 0; i < r->u.array.count; i++)
            if (jv_equal(l, r->u.array.items[i]))
                return jv_bool(context, true);
        return jv_bool(context, false);
    }
    return comparison(context, node, l, r);
}

static struct jv *evaluate_array(struct eval_context *context, const struct node *node, struct jv *input,
                                 struct frame *frame)
{
    struct jv *result = jv_array(context, node->consarray ? JA_CONS : 0);
    for (size_t i = 0; i < node->list.count; i++) {
        const struct node *item = node->list.items[i];
        struct jv *value = eval(context, item, input, frame);
        if (!value)
            continue;
        if (item->type == N_ARRAY || !jv_is_array(value))
            jv_push(context, result, value);
        else
            for (size_t j = 0; j < value->u.array.count; j++)
                jv_push(context, result, value->u.array.items[j]);
    }
    return result;
}

static struct jv *make_lambda(struct eval_context *context, const struct node *node, struct jv *input,
                              struct frame *frame)
{
    struct jv *lambda = jv_new(context, JV_LAMBDA);
    lambda->u.lambda.node = node;
    lambda->u.lambda.frame = frame;
    lambda->u.lambda.input = input;
    return lambda;
}

static const char *procedure_name(const struct node *procedure)
{
    if (procedure->type == N_PATH && procedure->list.items[0]->type == N_NAME)
        return procedure->list.items[0]->text;
    return procedure->text;
}

static struct jv *evaluate_call(struct eval_context *context, const struct node *node, struct jv *input,
                                struct frame *frame, struct jv *first, bool has_first)
{
    struct jv *procedure = eval(context, node->procedure, input, frame);
    const char *name = procedure_name(node->procedure);
    if (!jv_is_function(procedure) && procedure == NULL && node->procedure->type == N_PATH && name
        && frame_lookup(frame, name))
        jerror(context, "T1005", node->position, "Attempted to invoke a non-function. Did you mean ${%s}?", name);
    size_t count = node->list.count + (has_first ? 1 : 0);
    struct jv **args = arena_alloc(&context->arena, (count + 1) * sizeof(*args));
    size_t n = 0;
    if (has_first)
        args[n++] = first;
    for (size_t i = 0; i < node->list.count; i++)
        args[n++] = eval(context, node->list.items[i], input, frame);
    if (context->error && name)
        snprintf(context->error->token, sizeof(context->error->token), "%s", name);
    context->call_frame = frame;
    return apply_function(context, procedure, args, count, input, node->position);
}

static struct jv *evaluate_partial(struct eval_context *context, const struct node *node, struct jv *input,
                                   struct frame *frame)
{
    struct jv *procedure = eval(context, node->procedure, input, frame);
    if (!jv_is_function(procedure)) {
        const char *name = procedure_name(node->procedure);
        if (node->procedure->type == N_PATH && name && frame_lookup(frame, name))
            jerror(context, "T1007", node->position, "Attempted to partially apply a non-function. Did you mean ${%s}?",
                   name);
        jerror(context, "T1008", node->position, "Attempted to partially apply a non-function");
    }
    struct jv *partial = jv_new(context, JV_PARTIAL);
    partial->u.partial.target = procedure;
    partial->u.partial.count = node->list.count;
    partial->u.partial.args = arena_alloc(&context->arena, (node->list.count + 1) * sizeof(struct jv *));
    partial->u.partial.holes = arena_alloc(&context->arena, node->list.count + 1);
    for (size_t i = 0; i < node->list.count; i++) {
        if (node->list.items[i]->type == N_PLACEHOLDER)
            partial->u.partial.holes[i] = true;
        else
            partial->u.partial.args[i] = eval(context, node->list.items[i], input, frame);
    }
    return partial;
}

/* A regex applied to text: JSONata's match object for the first match, undefined when none. */
static struct jv *regex_match(struct eval_context *context, const struct jv *regex, const struct jv *text)
{
    regmatch_t groups[10];
    if (!text || text->type != JV_STRING || regexec(regex->u.regex, text->u.string, 10, groups, 0) != 0)
        return NULL;
    struct jv *match = jv_object(context);
    const char *s = text->u.string;
    jv_set(context, match, "match",
           jv_stringn(context, s + groups[0].rm_so, (size_t)(groups[0].rm_eo - groups[0].rm_so)));
    jv_set(context, match, "start",
           jv_number(context, (double)utf8_length(arena_strndup(&context->arena, s, (size_t)groups[0].rm_so))));
    jv_set(context, match, "end",
           jv_number(context, (double)utf8_length(arena_strndup(&context->arena, s, (size_t)groups[0].rm_eo))));
    struct jv *captured = jv_array(context, 0);
    for (size_t i = 1; i < 10 && groups[i].rm_so >= 0; i++)
        jv_push(context, captured,
                jv_stringn(context, s + groups[i].rm_so, (size_t)(groups[i].rm_eo - groups[i].rm_so)));
    jv_set(context, match, "groups", captured);
    return match;
}

static struct jv *evaluate_apply(struct eval_context *context, const struct node *node, struct jv *input,
                                 struct frame *frame)
{
    struct jv *left = eval(context, node->lhs, input, frame);
    if (node->rhs->type == N_FUNCTION)
        return evaluate_call(context, node->rhs, input, frame, left, true);
    struct jv *function = eval(context, node->rhs, input, frame);
    if (function && function->type == JV_REGEX)
        return regex_match(context, function, left);
    if (!jv_is_function(function))
        jerror(context, "T2006", node->position,
               "The right side of the function application operator ~> must be a function");
    if (jv_is_function(left)) {
        struct jv *composition = make_lambda(context, node, jv_array(context, 0), frame);
        jv_push(context, composition->u.lambda.input, left);
        jv_push(context, composition->u.lambda.input, function);
        return composition;
    }
    return apply_function(context, function, &left, 1, input, node->position);
}

static struct jv *transform(struct eval_context *context, const struct node *node, struct frame *frame,
                            struct jv *object)
{
    if (!object)
        return NULL;
    if (object->type != JV_OBJECT && object->type != JV_ARRAY)
        jerror(context, "T0410", node->position,
               "Argument 1 of function \"transform\" does not match function signature");
    struct jv *result = jv_deep_copy(context, object);
    struct jv *matches = eval(context, node->lhs, result, frame);
    if (!matches)
        return result;
    matches = as_sequence(context, matches);
    for (size_t i = 0; i < matches->u.array.count; i++) {
        struct jv *match = matches->u.array.items[i];
        struct jv *update = eval(context, node->rhs, match, frame);
        if (update) {
            if (update->type != JV_OBJECT)
                jerror(context, "T2011", node->position,
                       "The insert/update clause of the transform expression must evaluate to an object");
            if (match && match->type == JV_OBJECT)
                for (size_t k = 0; k < update->u.object.count; k++)
                    jv_set(context, match, update->u.object.keys[k], update->u.object.values[k]);
        }
        if (!node->third)
            continue;
        struct jv *deletions = eval(context, node->third, match, frame);
        if (!deletions)
            continue;
        deletions = as_sequence(context, deletions);
        for (size_t k = 0; k < deletions->u.array.count; k++)
            if (!deletions->u.array.items[k] || deletions->u.array.items[k]->type != JV_STRING)
                jerror(context, "T2012", node->position,
                       "The delete clause of the transform expression must evaluate to a string or array of strings");
        if (match && match->type == JV_OBJECT)
            for (size_t k = 0; k < deletions->u.array.count; k++)
                jv_remove(match, deletions->u.array.items[k]->u.string);
    }
    return result;
}

static struct jv *eval_node(struct eval_context *context, const struct node *node, struct jv *input,
                            struct frame *frame)
{
    switch (node->type) {
    case N_PATH:
        return evaluate_path(context, node, input, frame);
    case N_BINARY:
        return evaluate_binary(context, node, input, frame);
    case N_NEGATE: {
        struct jv *value = eval(context, node->lhs, input, frame);
        if (!value)
            return NULL;
        if (value->type != JV_NUMBER)
            jerror(context, "D1002", node->position, "Cannot negate a non-numeric value");
        return jv_number(context, -value->u.number);
    }
    case N_ARRAY:
        return evaluate_array(context, node, input, frame);
    case N_OBJECT:
        return evaluate_group(context, &node->pairs, input, frame, node->position);
    case N_NAME:
        return lookup_field(context, input, node->text);
    case N_STRING:
        return jv_string(context, node->text);
    case N_NUMBER:
        return jv_number(context, node->number);
    case N_VALUE:
        return node->number == 0 ? jv_null(context) : jv_bool(context, node->number == 1);
    case N_WILDCARD:
        return evaluate_wildcard(context, input);
    case N_DESCENDANT: {
        struct jv *results = jv_sequence(context);
        recurse_descendants(context, input, results, 0);
        return results->u.array.count == 1 ? results->u.array.items[0] : results;
    }
    case N_CONDITION:
        if (jv_truthy(context, eval(context, node->lhs, input, frame)))
            return eval(context, node->rhs, input, frame);
        return node->third ? eval(context, node->third, input, frame) : NULL;
    case N_BLOCK: {
        struct frame *inner = frame_new(context, frame);
        struct jv *result = NULL;
        for (size_t i = 0; i < node->list.count; i++)
            result = eval(context, node->list.items[i], input, inner);
        return result;
    }
    case N_BIND: {
        struct jv *value = eval(context, node->rhs, input, frame);
        frame_bind(context, frame, node->lhs->text, value);
        return value;
    }
    case N_REGEX: {
        struct jv *value = jv_new(context, JV_REGEX);
        value->u.regex = node->regex;
        return value;
    }
    case N_VARIABLE:
        if (node->text[0] == '\0')
            return jv_is_array(input) && (input->u.array.flags & JA_OUTER_WRAPPER) ? input->u.array.items[0] : input;
        return frame_lookup(frame, node->text);
    case N_FUNCTION:
        return evaluate_call(context, node, input, frame, NULL, false);
    case N_PARTIAL:
        return evaluate_partial(context, node, input, frame);
    case N_LAMBDA:
    case N_TRANSFORM:
        return make_lambda(context, node, input, frame);
    case N_APPLY:
        return evaluate_apply(context, node, input, frame);
    case N_SORT:
        return evaluate_sort(context, node, as_sequence(context, input), frame);
    case N_PARENT:
        return frame_lookup(frame, node->slot->label);
    default:
        jerror(context, "S0206", node->position, "Unknown expression type");
    }
    return NULL;
}

struct jv *eval(struct eval_context *context, const struct node *node, struct jv *input, struct frame *frame)
{
    step(context);
    if (++context->depth > context->max_depth)
        jerror(context, "U1001", node->position,
               "Stack overflow error: Check for non-terminating recursive function. Consider rewriting as "
               "tail-recursive.");
    struct jv *result = eval_node(context, node, input, frame);
    for (size_t i = 0; i < node->predicates.count; i++)
        result = evaluate_filter(context, node->predicates.items[i]->lhs, result, frame);
    if (node->type != N_PATH && node->group)
        result = evaluate_group(context, node->group, result, frame, node->position);
    if (jv_is_sequence(result) && !is_tuple_stream(result)) {
        if (node->keep_array)
            result->u.array.flags |= JA_KEEP_SINGLETON;
        if (result->u.array.count == 0)
            result = NULL;
        else if (result->u.array.count == 1 && !(result->u.array.flags & JA_KEEP_SINGLETON))
            result = result->u.array.items[0];
    }
    context->depth--;
    return result;
}

/* Checks args against signature and fills in the context argument; returns the arguments to call with. */
static struct jv **validate(struct eval_context *context, const struct signature *signature, struct jv **args,
                            size_t *count, struct jv *focus, long position, const char *name);

static struct jv *apply_lambda(struct eval_context *context, struct jv *lambda, struct jv **args, size_t count,
                               long position)
{
    const struct node *node = lambda->u.lambda.node;
    if (node->type == N_TRANSFORM)
        return transform(context, node, lambda->u.lambda.frame, count ? args[0] : NULL);
    if (node->type == N_APPLY) {
        struct jv *inner =
            apply_function(context, lambda->u.lambda.input->u.array.items[0], args, count, NULL, position);
        return apply_function(context, lambda->u.lambda.input->u.array.items[1], &inner, 1, NULL, position);
    }
    if (node->signature)
        args = validate(context, node->signature, args, &count, lambda->u.lambda.input, position, "lambda");
    struct frame *frame = frame_new(context, lambda->u.lambda.frame);
    for (size_t i = 0; i < node->list.count; i++)
        frame_bind(context, frame, node->list.items[i]->text, i < count ? args[i] : NULL);
    if (node->thunk)
        return make_lambda(context, node, lambda->u.lambda.input, frame);
    return eval(context, node->body, lambda->u.lambda.input, frame);
}

static struct jv *apply_once(struct eval_context *context, struct jv *function, struct jv **args, size_t count,
                             struct jv *focus, long position)
{
    if (function && function->type == JV_REGEX)
        return format_regex_call(context, function, args, count);
    if (!jv_is_function(function))
        jerror(context, "T1006", position, "Attempted to invoke a non-function");
    if (function->type == JV_LAMBDA)
        return apply_lambda(context, function, args, count, position);
    if (function->type == JV_NATIVE) {
        const struct native *native = function->u.native;
        args = validate(context, native_signature(context, native), args, &count, focus, position, native->name);
        return native->call(context, args, count, focus);
    }
    size_t total = function->u.partial.count;
    struct jv **filled = arena_alloc(&context->arena, (total + 1) * sizeof(*filled));
    size_t next = 0;
    for (size_t i = 0; i < total; i++)
        filled[i] = function->u.partial.holes[i] ? (next < count ? args[next++] : NULL) : function->u.partial.args[i];
    return apply_function(context, function->u.partial.target, filled, total, focus, position);
}

struct jv *apply_function(struct eval_context *context, struct jv *function, struct jv **args, size_t count,
                          struct jv *focus, long position)
{
    if (++context->depth > context->max_depth)
        jerror(context, "U1001", position,
               "Stack overflow error: Check for non-terminating recursive function. Consider rewriting as "
               "tail-recursive.");
    struct jv *result = apply_once(context, function, args, count, focus, position);
    while (result && result->type == JV_LAMBDA && result->u.lambda.node->thunk) {
        step(context);
        const struct node *call = result->u.lambda.node->body;
        struct frame *frame = result->u.lambda.frame;
        struct jv *input = result->u.lambda.input;
        struct jv *next = eval(context, call->procedure, input, frame);
        size_t n = call->list.count;
        struct jv **next_args = arena_alloc(&context->arena, (n + 1) * sizeof(*next_args));
        for (size_t i = 0; i < n; i++)
            next_args[i] = eval(context, call->list.items[i], input, frame);
        if (!jv_is_function(next)) {
            const char *name = procedure_name(call->procedure);
            if (next == NULL && call->procedure->type == N_PATH && name && frame_lookup(frame, name))
                jerror(context, "T1005", call->position, "Attempted to invoke a non-function. Did you mean ${%s}?",
                       name);
        }
        result = apply_once(context, next, next_args, n, input, call->position);
    }
    context->depth--;
    return result;
}

static bool param_accepts(const struct sig_param *param, char symbol)
{
    return strchr(param->types, symbol) != NULL;
}

/* Backtracking match of symbols against params; spans[i] is how many symbols param i took. */
static bool match_params(const struct signature *signature, size_t p, const char *symbols, size_t *spans)
{
    if (p == signature->count)
        return *symbols == '\0';
    const struct sig_param *param = &signature->params[p];
    size_t available = 0;
    while (symbols[available] && param_accepts(param, symbols[available]))
        available++;
    size_t most = param->quantifier == '+' ? available : (available ? 1 : 0);
    size_t least = (param->quantifier == '?' || param->context) ? 0 : 1;
    for (size_t take = most + 1; take-- > least;) {
        spans[p] = take;
        if (match_params(signature, p + 1, symbols + take, spans))
            return true;
        if (take == 0)
            break;
    }
    return false;
}

static const char *type_name(char symbol)
{
    switch (symbol) {
    case 'n':
        return "numbers";
    case 's':
        return "strings";
    case 'b':
        return "booleans";
    case 'o':
        return "objects";
    default:
        return "values";
    }
}

static struct jv **validate(struct eval_context *context, const struct signature *signature, struct jv **args,
                            size_t *count, struct jv *focus, long position, const char *name)
{
    char symbols[64];
    size_t n = *count < 63 ? *count : 63;
    for (size_t i = 0; i < n; i++)
        symbols[i] = jv_symbol(args[i]);
    symbols[n] = '\0';
    size_t spans[16] = { 0 };
    if (!match_params(signature, 0, symbols, spans)) {
        size_t good = 0;
        for (size_t p = 0; p < signature->count && good < n; p++) {
            const struct sig_param *param = &signature->params[p];
            if (!param_accepts(param, symbols[good])) {
                if (param->quantifier == '?' || param->context)
                    continue;
                break;
            }
            good++;
            while (param->quantifier == '+' && good < n && param_accepts(param, symbols[good]))
                good++;
        }
        jerror(context, "T0410", position, "Argument %zu of function \"%s\" does not match function signature",
               good + 1, name);
    }
    struct jv **validated = arena_alloc(&context->arena, (signature->count + n + 1) * sizeof(*validated));
    size_t out = 0, index = 0;
    for (size_t p = 0; p < signature->count; p++) {
        const struct sig_param *param = &signature->params[p];
        if (spans[p] == 0) {
            if (param->context) {
                if (!param_accepts(param, jv_symbol(focus)))
                    jerror(context, "T0411", position,
                           "Context value is not a compatible type with argument %zu of function \"%s\"", index + 1,
                           name);
                validated[out++] = focus;
            } else if (param->quantifier == '?' && index < n) {
                validated[out++] = NULL;
            }
            continue;
        }
        for (size_t k = 0; k < spans[p]; k++, index++) {
            struct jv *arg = args[index];
            if (param->array && arg) {
                bool ok = true;
                if (param->subtype[0]) {
                    if (jv_is_array(arg)) {
                        for (size_t j = 0; j < arg->u.array.count; j++)
                            if (jv_symbol(arg->u.array.items[j]) != param->subtype[0])
                                ok = false;
                    } else if (jv_symbol(arg) != param->subtype[0]) {
                        ok = false;
                    }
                }
                if (!ok)
                    jerror(context, "T0412", position, "Argument %zu of function \"%s\" must be an array of %s",
                           index + 1, name, type_name(param->subtype[0]));
                if (!jv_is_array(arg)) {
                    struct jv *wrapped = jv_sequence(context);
                    jv_push(context, wrapped, arg);
                    arg = wrapped;
                }
            }
            validated[out++] = arg;
        }
    }
    *count = out;
    return validated;
}

/* Parses text into *root when NULL, else evaluates *root against input; an error it raises becomes code (a limit
 * error stays what it is). */
static struct jv *guarded(struct eval_context *context, const char *text, struct node **root, struct jv *input,
                          const char *code, const char *what)
{
    jmp_buf saved;
    memcpy(saved, context->fail, sizeof(saved));
    int depth = context->depth;
    struct jv *volatile result = NULL;
    if (setjmp(context->fail)) {
        memcpy(context->fail, saved, sizeof(saved));
        context->depth = depth;
        if (context->status != -EINVAL || !context->error)
            longjmp(context->fail, 1);
        context->status = 0;
        char message[sizeof(context->error->message)];
        snprintf(message, sizeof(message), "%s", context->error->message);
        jerror(context, code, context->error->position, "%s expression passed to function eval: %s", what, message);
    }
    if (*root)
        result = eval(context, *root, input, context->call_frame ? context->call_frame : context->global);
    else
        *root = jsonata_parse_tree(context, text);
    memcpy(context->fail, saved, sizeof(saved));
    return result;
}

struct jv *eval_text(struct eval_context *context, struct jv **args, size_t count, struct jv *focus)
{
    if (!args[0])
        return NULL;
    struct jv *input = count > 1 && args[1] ? args[1] : focus;
    struct node *root = NULL;
    (void)guarded(context, args[0]->u.string, &root, NULL, "D3120", "Syntax error in");
    if (jv_is_array(input) && !jv_is_sequence(input)) {
        struct jv *wrapper = jv_array(context, JA_SEQUENCE | JA_OUTER_WRAPPER);
        jv_push(context, wrapper, input);
        input = wrapper;
    }
    return guarded(context, args[0]->u.string, &root, input, "D3121", "Error evaluating");
}

static void limits_from(struct eval_context *context, const struct jsonata_limits *limits)
{
    context->max_depth = limits && limits->max_depth > 0 ? limits->max_depth : JSONATA_DEFAULT_MAX_DEPTH;
    if (context->max_depth > 5000)
        context->max_depth = 5000;
    context->max_steps = limits && limits->max_steps > 0 ? limits->max_steps : JSONATA_DEFAULT_MAX_STEPS;
    context->arena.limit = (size_t)(limits && limits->max_bytes > 0 ? limits->max_bytes : JSONATA_DEFAULT_MAX_BYTES);
    const struct jsonata_environment *environment = limits ? limits->environment : NULL;
    if (environment) {
        context->now = environment->now_millis;
        context->random = environment->random;
        context->random_context = environment->random_context;
        context->seed = environment->seed;
    }
    if (!context->seed)
        context->seed = 0x9E3779B97F4A7C15ULL;
}

int jsonata_parse(const char *text, struct jsonata_expression **out, struct jsonata_error *error)
{
    struct jsonata_error scratch;
    struct eval_context context = { .error = error ? error : &scratch };
    memset(context.error, 0, sizeof(*context.error));
    *out = NULL;
    context.arena.on_oom = &context.fail;
    if (setjmp(context.fail)) {
        arena_release(&context.arena);
        return context.status ? context.status : -ENOMEM;
    }
    struct node *root = jsonata_parse_tree(&context, text);
    struct jsonata_expression *expression = malloc(sizeof(*expression));
    if (!expression) {
        arena_release(&context.arena);
        return -ENOMEM;
    }
    expression->arena = context.arena;
    expression->arena.on_oom = NULL;
    expression->root = root;
    *out = expression;
    return 0;
}

int jsonata_evaluate(const struct jsonata_expression *expression, const cJSON *input,
                     const struct jsonata_binding *bindings, size_t binding_count, const struct jsonata_limits *limits,
                     cJSON **result, struct jsonata_error *error)
{
    struct jsonata_error scratch;
    struct eval_context *context = calloc(1, sizeof(*context));
    *result = NULL;
    if (!context)
        return -ENOMEM;
    context->error = error ? error : &scratch;
    memset(context->error, 0, sizeof(*context->error));
    context->arena.on_oom = &context->fail;
    limits_from(context, limits);
    int rc;
    if (setjmp(context->fail)) {
        rc = context->status ? context->status : -ENOMEM;
        if (context->arena.over_limit) {
            rc = -E2BIG;
            snprintf(context->error->code, sizeof(context->error->code), "U1003");
            snprintf(context->error->message, sizeof(context->error->message),
                     "The evaluation used more than its %zu bytes of memory", context->arena.limit);
        }
        goto done;
    }
    struct frame *global = frame_new(context, NULL);
    functions_bind(context, global);
    for (size_t i = 0; i < binding_count; i++)
        frame_bind(context, global, bindings[i].name, jv_from_cjson(context, bindings[i].value));
    struct jv *data = jv_from_cjson(context, input);
    if (jv_is_array(data)) {
        struct jv *wrapper = jv_array(context, JA_SEQUENCE | JA_OUTER_WRAPPER);
        jv_push(context, wrapper, data);
        data = wrapper;
    }
    frame_bind(context, global, "", data);
    frame_bind(context, global, "$", data);
    context->global = global;
    struct jv *value = eval(context, expression->root, data, global);
    if (jv_is_sequence(value) && (value->u.array.flags & JA_KEEP_SINGLETON) == 0 && value->u.array.count == 1)
        value = value->u.array.items[0];
    rc = jv_to_cjson(context, value, result);
done:
    arena_release(&context->arena);
    free(context);
    return rc;
}

void jsonata_free(struct jsonata_expression *expression)
{
    if (!expression)
        return;
    arena_release(&expression->arena);
    free(expression);
}
