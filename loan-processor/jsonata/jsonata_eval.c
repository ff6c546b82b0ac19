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
    struct jv *results = jv_sequence(context);
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
        struct jv *value = eval(context, predicate, item, frame);
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

static bool sort_after(struct eval_context *context, struct jv *a, struct jv *b, void *data)
{
    const struct node *sort = data;
    struct frame *frame = sort->rhs ? (struct frame *)sort->rhs : NULL;
    (void)frame;
    for (size_t i = 0; i < sort->list.count; i++) {
        struct jv *x = eval(context, sort->list.items[i], a, context->global);
        struct jv *y = eval(context, sort->list.items[i], b, context->global);
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
    (void)frame;
    if (!input)
        return NULL;
    struct jv *result = jv_sequence(context);
    for (size_t i = 0; i < input->u.array.count; i++)
        jv_push(context, result, input->u.array.items[i]);
    struct frame *saved = context->global;
    context->global = frame;
    jv_sort(context, result->u.array.items, result->u.array.count, sort_after, (void *)sort);
    context->global = saved;
    return result;
}

static struct jv *evaluate_step(struct eval_context *context, const struct node *node, struct jv *input,
                                struct frame *frame, bool last)
{
    if (node->type == N_SORT) {
        struct jv *result = evaluate_sort(context, node, input, frame);
        for (size_t i = 0; i < node->stages.count; i++)
            result = evaluate_filter(context, node->stages.items[i]->lhs, result, frame);
        return result;
    }
    struct jv *collected = jv_sequence(context);
    for (size_t i = 0; i < input->u.array.count; i++) {
        struct jv *value = eval(context, node, input->u.array.items[i], frame);
        for (size_t j = 0; j < node->stages.count; j++)
            value = evaluate_filter(context, node->stages.items[j]->lhs, value, frame);
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
    if (jv_is_array(input) && node->list.items[0]->type != N_VARIABLE)
        sequence = input;
    else
        sequence = as_sequence(context, input);
    struct jv *result = NULL;
    for (size_t i = 0; i < node->list.count; i++) {
        const struct node *step_node = node->list.items[i];
        if (i == 0 && step_node->consarray)
            result = eval(context, step_node, sequence, frame);
        else
            result = evaluate_step(context, step_node, sequence, frame, i == node->list.count - 1);
        if (!result || (jv_is_array(result) && result->u.array.count == 0))
            break;
        sequence = as_sequence(context, result);
        result = sequence;
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
        result = evaluate_group(context, node->group, result, frame, node->position);
    return result;
}

static struct jv *evaluate_group(struct eval_context *context, const struct pair_list *pairs, struct jv *input,
                                 struct frame *frame, long position)
{
    struct jv *result = jv_object(context);
    struct jv *groups = jv_object(context); /* key -> [data, index] */
    input = as_sequence(context, input);
    size_t count = input->u.array.count ? input->u.array.count : 1;
    for (size_t i = 0; i < count; i++) {
        struct jv *item = input->u.array.count ? input->u.array.items[i] : NULL;
        for (size_t p = 0; p < pairs->count; p++) {
            struct jv *key = eval(context, pairs->keys[p], item, frame);
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
        struct jv *value = eval(context, pairs->values[p], entry->u.array.items[0], frame);
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
    if (input && input->type == JV_OBJECT) {
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

static struct jv *evaluate_apply(struct eval_context *context, const struct node *node, struct jv *input,
                                 struct frame *frame)
{
    struct jv *left = eval(context, node->lhs, input, frame);
    if (node->rhs->type == N_FUNCTION)
        return evaluate_call(context, node->rhs, input, frame, left, true);
    struct jv *function = eval(context, node->rhs, input, frame);
    if (!jv_is_function(function) && !(function && function->type == JV_REGEX))
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
        jerror(context, "S0217", node->position, "The parent operator %% is not supported");
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
    if (jv_is_sequence(result)) {
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
        args = validate(context, &native->signature, args, &count, focus, position, native->name);
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

static void limits_from(struct eval_context *context, const struct jsonata_limits *limits)
{
    context->max_depth = limits && limits->max_depth > 0 ? limits->max_depth : JSONATA_DEFAULT_MAX_DEPTH;
    if (context->max_depth > 5000)
        context->max_depth = 5000;
    context->max_steps = limits && limits->max_steps > 0 ? limits->max_steps : JSONATA_DEFAULT_MAX_STEPS;
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
