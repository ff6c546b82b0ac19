/*
 * http_head - see http_head.h. Reads the head line by line (LF ends a line, a
 * CR before it is dropped, any other CR is refused), judging each line as it
 * comes, so that a fault shows before the rest of the head has arrived.
 */
#include "http_head.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool is_token_char(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static size_t token_length(const char *text, size_t length)
{
    size_t i = 0;
    while (i < length && is_token_char((unsigned char)text[i]))
        i++;
    return i;
}

static enum http_head_result refuse(struct http_head_verdict *refusal, unsigned status, const char *code,
                                    const char *format, ...) __attribute__((format(printf, 4, 5)));

static enum http_head_result refuse(struct http_head_verdict *refusal, unsigned status, const char *code,
                                    const char *format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(refusal->message, sizeof(refusal->message), format, arguments);
    va_end(arguments);
    refusal->status = status;
    refusal->code = code;
    return HTTP_HEAD_REFUSED;
}

/*
 * The next complete line from *position (without its LF and a CR before it);
 * false when no LF has arrived yet. *bare_cr: a CR inside the line.
 */
static bool next_line(const char *bytes, size_t length, size_t *position, const char **line, size_t *line_length,
                      bool *bare_cr)
{
    const char *start = bytes + *position;
    const char *end = memchr(start, '\n', length - *position);
    if (!end)
        return false;
    size_t count = (size_t)(end - start);
    *position += count + 1;
    if (count > 0 && start[count - 1] == '\r')
        count--;
    *line = start;
    *line_length = count;
    *bare_cr = memchr(start, '\r', count) != NULL;
    return true;
}

static enum http_head_result judge_request_line(const char *line, size_t length, struct http_head_verdict *refusal)
{
    size_t method = token_length(line, length);
    size_t target = method + 1;
    while (target < length && (unsigned char)line[target] > ' ' && line[target] != 0x7f)
        target++;
    if (method == 0 || method >= length || line[method] != ' ' || target == method + 1 || target >= length
        || line[target] != ' ')
        return refuse(refusal, 400, "BadRequest", HTTP_HEAD_MESSAGE_REQUEST_LINE_MALFORMED);
    if (target - method - 1 > HTTP_HEAD_MAX_URL_BYTES)
        return refuse(refusal, 414, "UriTooLong", HTTP_HEAD_MESSAGE_URL_TOO_LONG, HTTP_HEAD_MAX_URL_BYTES,
                      HTTP_HEAD_MAX_QUERY_ARGUMENTS);
    const char *version = line + target + 1;
    size_t version_length = length - target - 1;
    if (version_length == 8 && (memcmp(version, "HTTP/1.1", 8) == 0 || memcmp(version, "HTTP/1.0", 8) == 0))
        return HTTP_HEAD_ACCEPTABLE;
    if (version_length > 5 && version_length <= 16 && memcmp(version, "HTTP/", 5) == 0
        && strspn(version + 5, "0123456789.") >= version_length - 5)
        return refuse(refusal, 505, "HttpVersionNotSupported",
                      "HTTP/%.*s is not supported (only versions 1.0 and 1.1 are)", (int)version_length - 5,
                      version + 5);
    return refuse(refusal, 400, "BadRequest", HTTP_HEAD_MESSAGE_REQUEST_LINE_MALFORMED);
}

/* What the header lines say about the body's framing, gathered line by line. */
struct framing {
    unsigned content_lengths;
    uint64_t content_length;
    bool transfer_encoding;
};

static bool header_named(const char *line, size_t name_length, const char *name)
{
    return name_length == strlen(name) && strncasecmp(line, name, name_length) == 0;
}

/* Content-Length: 1*DIGIT after optional blanks, nothing after; *too_large when it does not fit 64 bits. */
static bool parse_content_length(const char *value, size_t length, uint64_t *result, bool *too_large)
{
    *result = 0;
    *too_large = false;
    if (length == 0)
        return false;
    for (size_t i = 0; i < length; i++) {
        if (value[i] < '0' || value[i] > '9')
            return false;
        unsigned digit = (unsigned)(value[i] - '0');
        if (*result > (UINT64_MAX - digit) / 10)
            *too_large = true;
        else
            *result = *result * 10 + digit;
    }
    return true;
}

static enum http_head_result judge_header_line(const char *line, size_t length, struct framing *framing,
                                               size_t max_body_bytes, struct http_head_verdict *refusal)
{
    if (line[0] == ' ' || line[0] == '\t')
        return refuse(refusal, 400, "BadRequest", "A header line starts with blanks (obsolete line folding)");
    size_t name = token_length(line, length);
    if (name == 0 || name >= length || line[name] != ':')
        return refuse(refusal, 400, "BadRequest", "A header line is not name:value");
    size_t start = name + 1;
    while (start < length && (line[start] == ' ' || line[start] == '\t'))
        start++;
    for (size_t i = start; i < length; i++) {
        unsigned char c = (unsigned char)line[i];
        if ((c < ' ' && c != '\t') || c == 0x7f)
            return refuse(refusal, 400, "BadRequest", "A header value contains control characters");
    }
    if (header_named(line, name, "Transfer-Encoding"))
        framing->transfer_encoding = true;
    if (!header_named(line, name, "Content-Length"))
        return HTTP_HEAD_INCOMPLETE;
    uint64_t value;
    bool too_large;
    if (!parse_content_length(line + start, length - start, &value, &too_large))
        return refuse(refusal, 400, "BadRequest", HTTP_HEAD_MESSAGE_CONTENT_LENGTH_MALFORMED);
    if (too_large || value > max_body_bytes)
        return refuse(refusal, 413, "PayloadTooLarge", HTTP_HEAD_MESSAGE_BODY_TOO_LARGE, max_body_bytes);
    if (framing->content_lengths++ > 0 && value != framing->content_length)
        return refuse(refusal, 400, "BadRequest", HTTP_HEAD_MESSAGE_CONTENT_LENGTH_CONFLICT);
    framing->content_length = value;
    return HTTP_HEAD_INCOMPLETE;
}

/* Past HTTP_HEAD_MAX_BYTES without the empty line: a request line this long is a long URL (or garbage), else 431. */
static enum http_head_result refuse_too_large(const char *bytes, size_t length, size_t position, bool have_line,
                                              struct http_head_verdict *refusal)
{
    if (have_line)
        return refuse(refusal, 431, "RequestHeaderFieldsTooLarge", HTTP_HEAD_MESSAGE_HEADERS_TOO_LARGE,
                      HTTP_HEAD_MAX_HEADER_BYTES);
    size_t method = token_length(bytes + position, length - position);
    if (method == 0 || position + method >= length || bytes[position + method] != ' ')
        return refuse(refusal, 400, "BadRequest", HTTP_HEAD_MESSAGE_REQUEST_LINE_MALFORMED);
    return refuse(refusal, 414, "UriTooLong", HTTP_HEAD_MESSAGE_URL_TOO_LONG, HTTP_HEAD_MAX_URL_BYTES,
                  HTTP_HEAD_MAX_QUERY_ARGUMENTS);
}

/* The empty line ending the head has come at position: the head is whole. */
static enum http_head_result judge_whole_head(size_t position, const struct framing *framing,
                                              struct http_head_verdict *verdict)
{
    if (framing->content_lengths > 0 && framing->transfer_encoding)
        return refuse(verdict, 400, "BadRequest", HTTP_HEAD_MESSAGE_CONTENT_LENGTH_AND_TRANSFER_ENCODING);
    if (position > HTTP_HEAD_MAX_BYTES)
        return refuse(verdict, 431, "RequestHeaderFieldsTooLarge", HTTP_HEAD_MESSAGE_HEADERS_TOO_LARGE,
                      HTTP_HEAD_MAX_HEADER_BYTES);
    verdict->head_bytes = position;
    return HTTP_HEAD_ACCEPTABLE;
}

enum http_head_result http_head_judge(const char *bytes, size_t length, size_t max_body_bytes,
                                      struct http_head_verdict *verdict)
{
    size_t position = 0, line_length;
    const char *line;
    bool bare_cr;
    unsigned empty_lines = 0;
    bool have_line;
    *verdict = (struct http_head_verdict){ 0 };
    while ((have_line = next_line(bytes, length, &position, &line, &line_length, &bare_cr)) && line_length == 0
           && !bare_cr) {
        if (++empty_lines > HTTP_HEAD_MAX_EMPTY_LINES)
            return refuse(verdict, 400, "BadRequest", "The request starts with more than %d empty lines",
                          HTTP_HEAD_MAX_EMPTY_LINES);
    }
    enum http_head_result result = HTTP_HEAD_INCOMPLETE;
    if (have_line)
        result = bare_cr ? refuse(verdict, 400, "BadRequest", "The request line contains a carriage return")
                         : judge_request_line(line, line_length, verdict);
    if (result == HTTP_HEAD_ACCEPTABLE)
        result = HTTP_HEAD_INCOMPLETE; /* so far */
    struct framing framing = { 0 };
    while (result != HTTP_HEAD_REFUSED && have_line) {
        if (!next_line(bytes, length, &position, &line, &line_length, &bare_cr))
            break;
        if (bare_cr)
            return refuse(verdict, 400, "BadRequest", "A header line contains a carriage return");
        if (line_length == 0)
            return judge_whole_head(position, &framing, verdict);
        result = judge_header_line(line, line_length, &framing, max_body_bytes, verdict);
    }
    if (result == HTTP_HEAD_REFUSED || length <= HTTP_HEAD_MAX_BYTES)
        return result;
    return refuse_too_large(bytes, length, position, have_line, verdict);
}
