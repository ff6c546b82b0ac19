/*
 * jsonata_parser.c - the lexer, the Pratt parser (JSONata's operator table and
 * precedences) and the pass that turns its raw tree into evaluable paths,
 * stages, groups and tail calls.
 */
#include "jsonata_internal.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum token_type { T_END, T_OPERATOR, T_NAME, T_VARIABLE, T_STRING, T_NUMBER, T_VALUE, T_REGEX };

struct token {
    enum token_type type;
    const char *text; /* operator / name / string / variable */
    double number;
    int value; /* T_VALUE: 0 null, 1 true, 2 false */
    regex_t *regex;
    long position;
};

struct parser {
    struct eval_context *context;
    const char *source;
    size_t length, position;
    struct token token;
    int depth;
    int ancestor_labels;
};

static const char *const operators[] = { "..", ":=", "!=", ">=", "<=", "**", "~>", "?:", "??", ".", "[", "]",
                                         "{",  "}",  "(",  ")",  ",",  "@",  "#",  ";",  ":",  "?", "+", "-",
                                         "*",  "/",  "%",  "|",  "=",  "<",  ">",  "^",  "&",  "!", "~" };

static int binding_power(const char *op)
{
    static const struct {
        const char *op;
        int power;
    } table[] = { { ".", 75 },  { "[", 80 },  { "]", 0 },   { "{", 70 },  { "}", 0 },    { "(", 80 },  { ")", 0 },
                  { ",", 0 },   { "@", 80 },  { "#", 80 },  { ";", 80 },  { ":", 80 },   { "?", 20 },  { "+", 50 },
                  { "-", 50 },  { "*", 60 },  { "/", 60 },  { "%", 60 },  { "|", 20 },   { "=", 40 },  { "<", 40 },
                  { ">", 40 },  { "^", 40 },  { "**", 60 }, { "..", 20 }, { ":=", 10 },  { "!=", 40 }, { "<=", 40 },
                  { ">=", 40 }, { "~>", 40 }, { "?:", 40 }, { "??", 40 }, { "and", 30 }, { "or", 25 }, { "in", 40 },
                  { "&", 50 },  { "!", 0 },   { "~", 0 } };
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (strcmp(table[i].op, op) == 0)
            return table[i].power;
    return -1;
}

_Noreturn static void syntax_error(struct parser *parser, const char *code, long position, const char *token,
                                   const char *message)
{
    if (parser->context->error && token)
        snprintf(parser->context->error->token, sizeof(parser->context->error->token), "%s", token);
    jerror(parser->context, code, position, "%s%s%s", message, token ? ": " : "", token ? token : "");
}

static struct node *node_new(struct parser *parser, enum node_type type, long position)
{
    struct node *node = arena_alloc(&parser->context->arena, sizeof(*node));
    node->type = type;
    node->position = position;
    return node;
}

static void list_push(struct parser *parser, struct node_list *list, struct node *node)
{
    struct node **items = arena_alloc(&parser->context->arena, (list->count + 1) * sizeof(*items));
    if (list->count)
        memcpy(items, list->items, list->count * sizeof(*items));
    items[list->count++] = node;
    list->items = items;
}

static void pair_push(struct parser *parser, struct pair_list *list, struct node *key, struct node *value)
{
    struct node **keys = arena_alloc(&parser->context->arena, (list->count + 1) * sizeof(*keys));
    struct node **values = arena_alloc(&parser->context->arena, (list->count + 1) * sizeof(*values));
    if (list->count) {
        memcpy(keys, list->keys, list->count * sizeof(*keys));
        memcpy(values, list->values, list->count * sizeof(*values));
    }
    keys[list->count] = key;
    values[list->count++] = value;
    list->keys = keys;
    list->values = values;
}

static void slots_push(struct parser *parser, struct slot_list *list, struct ancestor_slot *slot)
{
    struct ancestor_slot **items = arena_alloc(&parser->context->arena, (list->count + 1) * sizeof(*items));
    if (list->count)
        memcpy(items, list->items, list->count * sizeof(*items));
    items[list->count++] = slot;
    list->items = items;
}

/* JSONata's pushAncestry: result inherits the unresolved '%'s of value. */
static void push_ancestry(struct parser *parser, struct node *result, const struct node *value)
{
    if (!value)
        return;
    for (size_t i = 0; i < value->seeking.count; i++)
        slots_push(parser, &result->seeking, value->seeking.items[i]);
    if (value->type == N_PARENT)
        slots_push(parser, &result->seeking, value->slot);
}

_Noreturn static void parent_error(struct parser *parser, const struct node *node)
{
    syntax_error(parser, "S0217", node->position, node->type == N_PARENT ? "parent" : "path",
                 "The object representing the 'parent' cannot be derived from this expression");
}

/* JSONata's seekParent: walks back from node to the step whose input slot names. */
static void seek_parent(struct parser *parser, struct node *node, struct ancestor_slot *slot)
{
    switch (node->type) {
    case N_NAME:
    case N_WILDCARD:
        if (--slot->level == 0) {
            if (node->ancestor)
                slot->label = node->ancestor->label;
            node->ancestor = slot;
            node->tuple = true;
        }
        break;
    case N_PARENT:
        slot->level++;
        break;
    case N_BLOCK:
        if (node->list.count) {
            node->tuple = true;
            seek_parent(parser, node->list.items[node->list.count - 1], slot);
        }
        break;
    case N_PATH: {
        node->tuple = true;
        size_t index = node->list.count;
        seek_parent(parser, node->list.items[--index], slot);
        while (slot->level > 0 && index > 0)
            seek_parent(parser, node->list.items[--index], slot);
        break;
    }
    default:
        parent_error(parser, node);
    }
}

/* JSONata's resolveAncestry: binds the '%'s of the last step to earlier steps of path. */
static void resolve_ancestry(struct parser *parser, struct node *path)
{
    struct node *last = path->list.items[path->list.count - 1];
    struct slot_list slots = { 0 };
    for (size_t i = 0; i < last->seeking.count; i++)
        slots_push(parser, &slots, last->seeking.items[i]);
    if (last->type == N_PARENT)
        slots_push(parser, &slots, last->slot);
    for (size_t s = 0; s < slots.count; s++) {
        struct ancestor_slot *slot = slots.items[s];
        ptrdiff_t index = (ptrdiff_t)path->list.count - 2;
        while (slot->level > 0) {
            if (index < 0) {
                slots_push(parser, &path->seeking, slot);
                break;
            }
            struct node *step = path->list.items[index--];
            while (index >= 0 && step->focus_var && path->list.items[index]->focus_var)
                step = path->list.items[index--];
            seek_parent(parser, step, slot);
        }
    }
}

static unsigned hex_value(struct parser *parser, const char *p)
{
    unsigned value = 0;
    for (int i = 0; i < 4; i++) {
        if (!isxdigit((unsigned char)p[i]))
            syntax_error(parser, "S0104", (long)parser->position, NULL,
                         "The escape sequence \\u must be followed by 4 hex digits");
        value = value * 16 + (unsigned)(isdigit((unsigned char)p[i]) ? p[i] - '0' : (tolower(p[i]) - 'a' + 10));
    }
    return value;
}

static void lex_string(struct parser *parser, char quote)
{
    struct sb sb = { .context = parser->context };
    const char *s = parser->source;
    size_t start = parser->position;
    parser->position++;
    while (parser->position < parser->length) {
        char c = s[parser->position];
        if (c == '\\') {
            parser->position++;
            char e = s[parser->position];
            const char *simple = strchr("\"\\/bfnrt", e);
            if (e && simple) {
                static const char replaced[] = "\"\\/\b\f\n\r\t";
                sb_putc(&sb, replaced[simple - "\"\\/bfnrt"]);
            } else if (e == 'u') {
                unsigned cp = hex_value(parser, s + parser->position + 1);
                parser->position += 4;
                if (cp >= 0xD800 && cp < 0xDC00 && s[parser->position + 1] == '\\' && s[parser->position + 2] == 'u') {
                    unsigned low = hex_value(parser, s + parser->position + 3);
                    if (low >= 0xDC00 && low < 0xE000) {
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                        parser->position += 6;
                    }
                }
                sb_put_code_point(&sb, cp);
            } else {
                char token[2] = { e, 0 };
                syntax_error(parser, "S0103", (long)parser->position, token, "Unsupported escape sequence");
            }
        } else if (c == quote) {
            parser->position++;
            parser->token.type = T_STRING;
            parser->token.text = arena_strndup(&parser->context->arena, sb_text(&sb), sb.length);
            return;
        } else {
            sb_putc(&sb, c);
        }
        parser->position++;
    }
    syntax_error(parser, "S0101", (long)start, NULL, "String literal must be terminated by a matching quote");
}

static bool closing_slash(const char *s, size_t position)
{
    if (s[position] != '/')
        return false;
    size_t backslashes = 0;
    while (position > backslashes && s[position - 1 - backslashes] == '\\')
        backslashes++;
    return backslashes % 2 == 0;
}

static void lex_regex(struct parser *parser)
{
    const char *s = parser->source;
    size_t start = ++parser->position;
    int depth = 0;
    while (parser->position < parser->length) {
        char c = s[parser->position];
        if (closing_slash(s, parser->position) && depth == 0) {
            if (parser->position == start)
                syntax_error(parser, "S0301", (long)parser->position, NULL,
                             "Empty regular expressions are not allowed");
            char *pattern = arena_strndup(&parser->context->arena, s + start, parser->position - start);
            size_t flags_start = ++parser->position;
            while (s[parser->position] == 'i' || s[parser->position] == 'm')
                parser->position++;
            char *flags = arena_strndup(&parser->context->arena, s + flags_start, parser->position - flags_start);
            parser->token.type = T_REGEX;
            parser->token.regex = regex_compile(parser->context, pattern, flags, (long)start);
            return;
        }
        bool escaped = parser->position > 0 && s[parser->position - 1] == '\\';
        if ((c == '(' || c == '[' || c == '{') && !escaped)
            depth++;
        if ((c == ')' || c == ']' || c == '}') && !escaped)
            depth--;
        parser->position++;
    }
    syntax_error(parser, "S0302", (long)parser->position, NULL, "No terminating / in regular expression");
}

static bool is_operator_char(char c)
{
    return c && strchr(".[]{}(),@#;:?+-*/%|=<>^&!~", c) != NULL;
}

/* Reads the next token; prefix: a '/' starts a regular expression. */
static void lex(struct parser *parser, bool prefix)
{
    const char *s = parser->source;
    struct token *token = &parser->token;
    memset(token, 0, sizeof(*token));
    for (;;) {
        while (parser->position < parser->length && isspace((unsigned char)s[parser->position]))
            parser->position++;
        if (s[parser->position] == '/' && s[parser->position + 1] == '*') {
            const char *end = strstr(s + parser->position + 2, "*/");
            if (!end)
                syntax_error(parser, "S0106", (long)parser->position, NULL, "Comment has no closing tag");
            parser->position = (size_t)(end - s) + 2;
            continue;
        }
        break;
    }
    token->position = (long)parser->position;
    if (parser->position >= parser->length) {
        token->type = T_END;
        return;
    }
    char c = s[parser->position];
    if (!prefix && c == '/') {
        lex_regex(parser);
        return;
    }
    for (size_t i = 0; i < sizeof(operators) / sizeof(operators[0]); i++) {
        size_t length = strlen(operators[i]);
        if (strncmp(s + parser->position, operators[i], length) == 0) {
            if (!strcmp(operators[i], "!") || !strcmp(operators[i], "~"))
                syntax_error(parser, "S0204", (long)parser->position, operators[i], "Unknown operator");
            token->type = T_OPERATOR;
            token->text = operators[i];
            parser->position += length;
            return;
        }
    }
    if (c == '"' || c == '\'') {
        lex_string(parser, c);
        return;
    }
    if (isdigit((unsigned char)c)) {
        size_t start = parser->position, p = start;
        if (s[p] == '0')
            p++;
        else
            while (isdigit((unsigned char)s[p]))
                p++;
        if (s[p] == '.' && isdigit((unsigned char)s[p + 1])) {
            p++;
            while (isdigit((unsigned char)s[p]))
                p++;
        }
        if (s[p] == 'e' || s[p] == 'E') {
            size_t q = p + 1;
            if (s[q] == '+' || s[q] == '-')
                q++;
            if (isdigit((unsigned char)s[q])) {
                while (isdigit((unsigned char)s[q]))
                    q++;
                p = q;
            }
        }
        char *text = arena_strndup(&parser->context->arena, s + start, p - start);
        token->type = T_NUMBER;
        token->number = strtod(text, NULL);
        if (!isfinite(token->number))
            syntax_error(parser, "S0102", (long)start, text, "Number out of range");
        parser->position = p;
        return;
    }
    if (c == '`') {
        const char *end = strchr(s + parser->position + 1, '`');
        if (!end)
            syntax_error(parser, "S0105", (long)parser->position, NULL,
                         "Quoted property name must be terminated with a backquote (`)");
        token->type = T_NAME;
        token->text =
            arena_strndup(&parser->context->arena, s + parser->position + 1, (size_t)(end - s) - parser->position - 1);
        parser->position = (size_t)(end - s) + 1;
        return;
    }
    size_t start = parser->position, p = start;
    while (p < parser->length && !isspace((unsigned char)s[p]) && !is_operator_char(s[p]))
        p++;
    char *name = arena_strndup(&parser->context->arena, s + start, p - start);
    parser->position = p;
    if (name[0] == '$') {
        token->type = T_VARIABLE;
        token->text = name + 1;
    } else if (!strcmp(name, "and") || !strcmp(name, "or") || !strcmp(name, "in")) {
        token->type = T_OPERATOR;
        token->text = name;
    } else if (!strcmp(name, "true") || !strcmp(name, "false") || !strcmp(name, "null")) {
        token->type = T_VALUE;
        token->value = name[0] == 'n' ? 0 : name[0] == 't' ? 1 : 2;
    } else {
        token->type = T_NAME;
        token->text = name;
    }
}

static bool at(struct parser *parser, const char *op)
{
    return parser->token.type == T_OPERATOR && strcmp(parser->token.text, op) == 0;
}

static const char *token_text(struct parser *parser)
{
    switch (parser->token.type) {
    case T_END:
        return "(end)";
    case T_NUMBER:
    case T_VALUE:
    case T_REGEX:
        return "(literal)";
    default:
        return parser->token.text;
    }
}

/* Checks the current token is op (when not NULL) and reads the next one. */
static struct token advance(struct parser *parser, const char *op, bool infix)
{
    if (op && !at(parser, op)) {
        if (parser->token.type == T_END)
            syntax_error(parser, "S0203", parser->token.position, op, "Expected token before end of expression");
        syntax_error(parser, "S0202", parser->token.position, token_text(parser), "Expected a different token");
    }
    struct token previous = parser->token;
    lex(parser, infix);
    return previous;
}

static struct node *expression(struct parser *parser, int rbp);

static struct node *object_parser(struct parser *parser, struct node *node)
{
    if (!at(parser, "}")) {
        for (;;) {
            struct node *key = expression(parser, 0);
            advance(parser, ":", false);
            struct node *value = expression(parser, 0);
            pair_push(parser, &node->pairs, key, value);
            if (!at(parser, ","))
                break;
            advance(parser, ",", false);
        }
    }
    advance(parser, "}", true);
    return node;
}

static struct node *nud(struct parser *parser, struct token token)
{
    struct node *node;
    switch (token.type) {
    case T_END:
        syntax_error(parser, "S0207", token.position, NULL, "Unexpected end of expression");
    case T_NAME:
        node = node_new(parser, N_NAME, token.position);
        node->text = token.text;
        return node;
    case T_VARIABLE:
        node = node_new(parser, N_VARIABLE, token.position);
        node->text = token.text;
        return node;
    case T_STRING:
        node = node_new(parser, N_STRING, token.position);
        node->text = token.text;
        return node;
    case T_NUMBER:
        node = node_new(parser, N_NUMBER, token.position);
        node->number = token.number;
        return node;
    case T_VALUE:
        node = node_new(parser, N_VALUE, token.position);
        node->number = token.value;
        return node;
    case T_REGEX:
        node = node_new(parser, N_REGEX, token.position);
        node->regex = token.regex;
        return node;
    case T_OPERATOR:
        break;
    }
    const char *op = token.text;
    if (!strcmp(op, "and") || !strcmp(op, "or") || !strcmp(op, "in")) {
        node = node_new(parser, N_NAME, token.position);
        node->text = op;
        return node;
    }
    if (!strcmp(op, "-")) {
        node = node_new(parser, N_NEGATE, token.position);
        node->lhs = expression(parser, 70);
        return node;
    }
    if (!strcmp(op, "*"))
        return node_new(parser, N_WILDCARD, token.position);
    if (!strcmp(op, "**"))
        return node_new(parser, N_DESCENDANT, token.position);
    if (!strcmp(op, "%")) {
        struct node *parent = node_new(parser, N_PARENT, token.position);
        parent->slot = arena_alloc(&parser->context->arena, sizeof(*parent->slot));
        char label[24];
        snprintf(label, sizeof(label), "!%d", parser->ancestor_labels++);
        parent->slot->label = arena_strndup(&parser->context->arena, label, strlen(label));
        parent->slot->level = 1;
        return parent;
    }
    if (!strcmp(op, "?"))
        return node_new(parser, N_PLACEHOLDER, token.position);
    if (!strcmp(op, "(")) {
        node = node_new(parser, N_BLOCK, token.position);
        while (!at(parser, ")")) {
            list_push(parser, &node->list, expression(parser, 0));
            if (!at(parser, ";"))
                break;
            advance(parser, ";", false);
        }
        advance(parser, ")", true);
        return node;
    }
    if (!strcmp(op, "[")) {
        node = node_new(parser, N_ARRAY, token.position);
        if (!at(parser, "]")) {
            for (;;) {
                struct node *item = expression(parser, 0);
                if (at(parser, "..")) {
                    struct node *range = node_new(parser, N_BINARY, parser->token.position);
                    strcpy(range->op, "..");
                    range->lhs = item;
                    advance(parser, "..", false);
                    range->rhs = expression(parser, 0);
                    item = range;
                }
                list_push(parser, &node->list, item);
                if (!at(parser, ","))
                    break;
                advance(parser, ",", false);
            }
        }
        advance(parser, "]", true);
        return node;
    }
    if (!strcmp(op, "{"))
        return object_parser(parser, node_new(parser, N_OBJECT, token.position));
    if (!strcmp(op, "|")) {
        node = node_new(parser, N_TRANSFORM, token.position);
        node->lhs = expression(parser, 0);
        advance(parser, "|", false);
        node->rhs = expression(parser, 0);
        if (at(parser, ",")) {
            advance(parser, ",", false);
            node->third = expression(parser, 0);
        }
        advance(parser, "|", true);
        return node;
    }
    syntax_error(parser, "S0211", token.position, op, "The symbol cannot be used as a unary operator");
}

static struct node *lambda_definition(struct parser *parser, struct node *call)
{
    call->type = N_LAMBDA;
    for (size_t i = 0; i < call->list.count; i++)
        if (call->list.items[i]->type != N_VARIABLE)
            syntax_error(parser, "S0208", call->list.items[i]->position, NULL,
                         "Parameter of function definition must be a variable name (start with $)");
    if (at(parser, "<")) {
        long position = parser->token.position;
        struct sb sig = { .context = parser->context };
        int depth = 1;
        sb_putc(&sig, '<');
        while (depth > 0 && !at(parser, "{") && parser->token.type != T_END) {
            struct token token = advance(parser, NULL, false);
            if (at(parser, ">"))
                depth--;
            else if (at(parser, "<"))
                depth++;
            (void)token;
            sb_puts(&sig, parser->token.type == T_OPERATOR || parser->token.type == T_NAME ? parser->token.text : "");
        }
        advance(parser, ">", false);
        call->signature = arena_alloc(&parser->context->arena, sizeof(*call->signature));
        signature_parse(parser->context, sb_text(&sig), call->signature, position);
    }
    advance(parser, "{", false);
    call->body = expression(parser, 0);
    advance(parser, "}", true);
    return call;
}

static struct node *call_led(struct parser *parser, struct node *left, long position)
{
    struct node *node = node_new(parser, N_FUNCTION, position);
    node->procedure = left;
    if (!at(parser, ")")) {
        for (;;) {
            if (at(parser, "?")) {
                node->type = N_PARTIAL;
                list_push(parser, &node->list, node_new(parser, N_PLACEHOLDER, parser->token.position));
                advance(parser, "?", false);
            } else {
                list_push(parser, &node->list, expression(parser, 0));
            }
            if (!at(parser, ","))
                break;
            advance(parser, ",", false);
        }
    }
    advance(parser, ")", true);
    if (left->type == N_NAME && (!strcmp(left->text, "function") || !strcmp(left->text, "\xce\xbb")))
        return lambda_definition(parser, node);
    return node;
}

static struct node *binary(struct parser *parser, const char *op, struct node *left, struct node *right, long position)
{
    struct node *node = node_new(parser, N_BINARY, position);
    snprintf(node->op, sizeof(node->op), "%s", op);
    node->lhs = left;
    node->rhs = right;
    return node;
}

static struct node *led(struct parser *parser, struct token token, struct node *left)
{
    const char *op = token.text;
    long position = token.position;
    if (!strcmp(op, "("))
        return call_led(parser, left, position);
    if (!strcmp(op, "[")) {
        if (at(parser, "]")) {
            struct node *step = left;
            while (step && step->type == N_BINARY && !strcmp(step->op, "["))
                step = step->lhs;
            step->keep_array = true;
            advance(parser, "]", true);
            return left;
        }
        struct node *node = binary(parser, "[", left, expression(parser, 0), position);
        advance(parser, "]", true);
        return node;
    }
    if (!strcmp(op, "{")) {
        struct node *node = object_parser(parser, node_new(parser, N_GROUP_RAW, position));
        node->lhs = left;
        return node;
    }
    if (!strcmp(op, ":=")) {
        if (left->type != N_VARIABLE)
            syntax_error(parser, "S0212", position, NULL, "The left side of := must be a variable name (start with $)");
        struct node *node = node_new(parser, N_BIND, position);
        node->lhs = left;
        node->rhs = expression(parser, binding_power(":=") - 1);
        return node;
    }
    if (!strcmp(op, "@") || !strcmp(op, "#")) {
        struct node *right = expression(parser, binding_power(op));
        if (right->type != N_VARIABLE)
            syntax_error(parser, "S0214", right->position, op, "The right side of this operator must be a variable");
        struct node *node = node_new(parser, op[0] == '@' ? N_FOCUS : N_INDEX, position);
        node->lhs = left;
        node->rhs = right;
        return node;
    }
    if (!strcmp(op, "?")) {
        struct node *node = node_new(parser, N_CONDITION, position);
        node->lhs = left;
        node->rhs = expression(parser, 0);
        if (at(parser, ":")) {
            advance(parser, ":", false);
            node->third = expression(parser, 0);
        }
        return node;
    }
    if (!strcmp(op, "^")) {
        struct node *node = node_new(parser, N_SORT_RAW, position);
        node->lhs = left;
        advance(parser, "(", false);
        size_t count = 0;
        bool descending[256];
        for (;;) {
            bool down = false;
            if (at(parser, "<")) {
                advance(parser, "<", false);
            } else if (at(parser, ">")) {
                down = true;
                advance(parser, ">", false);
            }
            if (count < 256)
                descending[count++] = down;
            list_push(parser, &node->list, expression(parser, 0));
            if (!at(parser, ","))
                break;
            advance(parser, ",", false);
        }
        advance(parser, ")", true);
        node->descending = arena_alloc(&parser->context->arena, count * sizeof(bool));
        memcpy(node->descending, descending, count * sizeof(bool));
        return node;
    }
    if (binding_power(op) <= 0 || !strcmp(op, "..") || !strcmp(op, ":") || !strcmp(op, ";"))
        syntax_error(parser, "S0201", position, op, "Syntax error");
    return binary(parser, op, left, expression(parser, binding_power(op)), position);
}

static int current_power(struct parser *parser)
{
    if (parser->token.type == T_END)
        return 0;
    if (parser->token.type != T_OPERATOR)
        return 0;
    const char *op = parser->token.text;
    if (!strcmp(op, ":") || !strcmp(op, ";") || !strcmp(op, "..") || !strcmp(op, "|"))
        return 0;
    int power = binding_power(op);
    return power < 0 ? 0 : power;
}

static struct node *expression(struct parser *parser, int rbp)
{
    if (++parser->depth > JSONATA_MAX_PARSE_DEPTH)
        jerror(parser->context, "U1001", parser->token.position, "The expression is nested too deeply");
    struct token token = advance(parser, NULL, true);
    struct node *left = nud(parser, token);
    while (rbp < current_power(parser)) {
        token = advance(parser, NULL, false);
        left = led(parser, token, left);
    }
    parser->depth--;
    return left;
}

/* The post-parse pass (JSONata's processAST). */
static struct node *process(struct parser *parser, struct node *node);

static struct node *as_path(struct parser *parser, struct node *node)
{
    if (node->type == N_PATH)
        return node;
    struct node *path = node_new(parser, N_PATH, node->position);
    list_push(parser, &path->list, node);
    return path;
}

static void path_flags(struct node *path)
{
    for (size_t i = 0; i < path->list.count; i++) {
        struct node *step = path->list.items[i];
        if (step->type == N_STRING)
            step->type = N_NAME;
        if (step->keep_array)
            path->keep_singleton_array = true;
    }
    struct node *first = path->list.items[0], *last = path->list.items[path->list.count - 1];
    if (first->type == N_ARRAY)
        first->consarray = true;
    if (last->type == N_ARRAY)
        last->consarray = true;
}

static struct node *process_dot(struct parser *parser, struct node *node)
{
    struct node *left = process(parser, node->lhs);
    struct node *path = as_path(parser, left);
    if (left->type == N_PARENT)
        slots_push(parser, &path->seeking, left->slot);
    struct node *rest = process(parser, node->rhs);
    if (rest->type == N_PATH) {
        for (size_t i = 0; i < rest->list.count; i++)
            list_push(parser, &path->list, rest->list.items[i]);
    } else {
        if (rest->predicates.count) {
            rest->stages = rest->predicates;
            rest->predicates = (struct node_list){ 0 };
        }
        list_push(parser, &path->list, rest);
    }
    for (size_t i = 0; i < path->list.count; i++) {
        struct node *step = path->list.items[i];
        if (step->type == N_NUMBER || step->type == N_VALUE)
            syntax_error(parser, "S0213", step->position, NULL,
                         "The literal value cannot be used as a step within a path expression");
    }
    path_flags(path);
    resolve_ancestry(parser, path);
    return path;
}

static struct node *filter_node(struct parser *parser, struct node *expression, long position)
{
    struct node *filter = node_new(parser, N_FILTER, position);
    filter->lhs = expression;
    return filter;
}

static struct node *process_predicate(struct parser *parser, struct node *node)
{
    struct node *result = process(parser, node->lhs);
    struct node *step = result;
    bool stages = false;
    if (result->type == N_PATH) {
        step = result->list.items[result->list.count - 1];
        stages = true;
    }
    if (step->group)
        syntax_error(parser, "S0209", node->position, NULL,
                     "A predicate cannot follow a grouping expression in a step");
    struct node *predicate = process(parser, node->rhs);
    if (predicate->seeking.count) {
        for (size_t i = 0; i < predicate->seeking.count; i++) {
            struct ancestor_slot *slot = predicate->seeking.items[i];
            if (slot->level == 1)
                seek_parent(parser, step, slot);
            else
                slot->level--;
        }
        push_ancestry(parser, step, predicate);
    }
    list_push(parser, stages ? &step->stages : &step->predicates, filter_node(parser, predicate, node->position));
    return result;
}

/* '@$v': binds the step's focus to $v instead of moving the context on. */
static struct node *process_focus(struct parser *parser, struct node *node)
{
    struct node *path = as_path(parser, process(parser, node->lhs));
    struct node *step = path->list.items[path->list.count - 1];
    if (step->stages.count || step->predicates.count)
        syntax_error(parser, "S0215", node->position, NULL,
                     "A context variable binding must precede any predicates on a step");
    if (step->type == N_SORT)
        syntax_error(parser, "S0216", node->position, NULL,
                     "A context variable binding must precede the 'order-by' clause on a step");
    step->focus_var = node->rhs->text;
    step->tuple = true;
    path->keep_singleton_array = path->keep_singleton_array || node->keep_array;
    return path;
}

/* '#$i': binds the position in the step's sequence, after any predicates so far. */
static struct node *process_index(struct parser *parser, struct node *node)
{
    struct node *result = process(parser, node->lhs);
    struct node *step = result;
    if (result->type == N_PATH) {
        step = result->list.items[result->list.count - 1];
    } else {
        result = as_path(parser, result);
        if (step->predicates.count) {
            step->stages = step->predicates;
            step->predicates = (struct node_list){ 0 };
        }
    }
    if (!step->stages.count) {
        step->index_var = node->rhs->text;
    } else {
        struct node *stage = node_new(parser, N_INDEX, node->position);
        stage->text = node->rhs->text;
        list_push(parser, &step->stages, stage);
    }
    step->tuple = true;
    result->keep_singleton_array = result->keep_singleton_array || node->keep_array;
    return result;
}

static struct node *process(struct parser *parser, struct node *node)
{
    if (++parser->depth > JSONATA_MAX_PARSE_DEPTH * 4)
        jerror(parser->context, "U1001", node->position, "The expression is nested too deeply");
    struct node *result = node;
    switch (node->type) {
    case N_BINARY:
        if (!strcmp(node->op, ".")) {
            result = process_dot(parser, node);
        } else if (!strcmp(node->op, "[")) {
            result = process_predicate(parser, node);
        } else if (!strcmp(node->op, "~>")) {
            result = node_new(parser, N_APPLY, node->position);
            result->lhs = process(parser, node->lhs);
            result->rhs = process(parser, node->rhs);
        } else {
            node->lhs = process(parser, node->lhs);
            node->rhs = process(parser, node->rhs);
            push_ancestry(parser, node, node->lhs);
            push_ancestry(parser, node, node->rhs);
        }
        break;
    case N_GROUP_RAW:
        result = process(parser, node->lhs);
        if (result->group)
            syntax_error(parser, "S0210", node->position, NULL, "Each step can only have one grouping expression");
        result->group = arena_alloc(&parser->context->arena, sizeof(*result->group));
        for (size_t i = 0; i < node->pairs.count; i++)
            pair_push(parser, result->group, process(parser, node->pairs.keys[i]),
                      process(parser, node->pairs.values[i]));
        break;
    case N_SORT_RAW: {
        struct node *path = as_path(parser, process(parser, node->lhs));
        struct node *sort = node_new(parser, N_SORT, node->position);
        sort->descending = node->descending;
        for (size_t i = 0; i < node->list.count; i++) {
            list_push(parser, &sort->list, process(parser, node->list.items[i]));
            push_ancestry(parser, sort, sort->list.items[i]);
        }
        list_push(parser, &path->list, sort);
        resolve_ancestry(parser, path);
        result = path;
        break;
    }
    case N_FOCUS:
        result = process_focus(parser, node);
        break;
    case N_INDEX:
        result = process_index(parser, node);
        break;
    case N_BIND:
        node->rhs = process(parser, node->rhs);
        push_ancestry(parser, node, node->rhs);
        break;
    case N_NEGATE:
        node->lhs = process(parser, node->lhs);
        if (node->lhs->type == N_NUMBER) {
            result = node->lhs;
            result->number = -result->number;
        } else {
            push_ancestry(parser, node, node->lhs);
        }
        break;
    case N_ARRAY:
    case N_BLOCK:
        for (size_t i = 0; i < node->list.count; i++) {
            node->list.items[i] = process(parser, node->list.items[i]);
            push_ancestry(parser, node, node->list.items[i]);
        }
        break;
    case N_OBJECT:
        for (size_t i = 0; i < node->pairs.count; i++) {
            node->pairs.keys[i] = process(parser, node->pairs.keys[i]);
            push_ancestry(parser, node, node->pairs.keys[i]);
            node->pairs.values[i] = process(parser, node->pairs.values[i]);
            push_ancestry(parser, node, node->pairs.values[i]);
        }
        break;
    case N_CONDITION:
        node->lhs = process(parser, node->lhs);
        push_ancestry(parser, node, node->lhs);
        node->rhs = process(parser, node->rhs);
        push_ancestry(parser, node, node->rhs);
        if (node->third) {
            node->third = process(parser, node->third);
            push_ancestry(parser, node, node->third);
        }
        break;
    case N_FUNCTION:
    case N_PARTIAL:
        node->procedure = process(parser, node->procedure);
        for (size_t i = 0; i < node->list.count; i++) {
            node->list.items[i] = process(parser, node->list.items[i]);
            push_ancestry(parser, node, node->list.items[i]);
        }
        break;
    case N_LAMBDA:
        node->body = process(parser, node->body);
        break;
    case N_TRANSFORM:
        node->lhs = process(parser, node->lhs);
        node->rhs = process(parser, node->rhs);
        if (node->third)
            node->third = process(parser, node->third);
        break;
    case N_NAME:
        result = as_path(parser, node);
        if (node->keep_array)
            result->keep_singleton_array = true;
        break;
    default:
        break;
    }
    parser->depth--;
    return result;
}

static struct node *tail_call_optimize(struct parser *parser, struct node *node)
{
    if (node->type == N_FUNCTION && !node->predicates.count) {
        struct node *thunk = node_new(parser, N_LAMBDA, node->position);
        thunk->thunk = true;
        thunk->body = node;
        return thunk;
    }
    if (node->type == N_CONDITION) {
        node->rhs = tail_call_optimize(parser, node->rhs);
        if (node->third)
            node->third = tail_call_optimize(parser, node->third);
    } else if (node->type == N_BLOCK && node->list.count) {
        node->list.items[node->list.count - 1] = tail_call_optimize(parser, node->list.items[node->list.count - 1]);
    }
    return node;
}

static void optimize_lambdas(struct parser *parser, struct node *node, int depth)
{
    if (!node || depth > JSONATA_MAX_PARSE_DEPTH * 4)
        return;
    if (node->type == N_LAMBDA && !node->thunk)
        node->body = tail_call_optimize(parser, node->body);
    struct node *children[] = { node->lhs, node->rhs, node->third, node->procedure, node->body };
    for (size_t i = 0; i < 5; i++)
        optimize_lambdas(parser, children[i], depth + 1);
    for (size_t i = 0; i < node->list.count; i++)
        optimize_lambdas(parser, node->list.items[i], depth + 1);
    for (size_t i = 0; i < node->pairs.count; i++) {
        optimize_lambdas(parser, node->pairs.keys[i], depth + 1);
        optimize_lambdas(parser, node->pairs.values[i], depth + 1);
    }
    if (node->group)
        for (size_t i = 0; i < node->group->count; i++) {
            optimize_lambdas(parser, node->group->keys[i], depth + 1);
            optimize_lambdas(parser, node->group->values[i], depth + 1);
        }
    for (size_t i = 0; i < node->predicates.count; i++)
        optimize_lambdas(parser, node->predicates.items[i], depth + 1);
    for (size_t i = 0; i < node->stages.count; i++)
        optimize_lambdas(parser, node->stages.items[i], depth + 1);
}

struct node *jsonata_parse_tree(struct eval_context *context, const char *text)
{
    struct parser parser = { .context = context, .source = text, .length = strlen(text) };
    lex(&parser, false);
    struct node *root = expression(&parser, 0);
    if (parser.token.type != T_END)
        syntax_error(&parser, "S0201", parser.token.position, token_text(&parser), "Syntax error");
    parser.depth = 0;
    root = process(&parser, root);
    if (root->type == N_PARENT || root->seeking.count)
        parent_error(&parser, root);
    optimize_lambdas(&parser, root, 0);
    return root;
}
