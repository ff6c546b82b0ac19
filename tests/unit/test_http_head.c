/*
 * test_http_head.c - unit tests for common/pure/http_head.c: the judging of a
 * request head's bytes (complete, acceptable, or refused with what status,
 * code and message).
 */
#include "http_head.h"
#include "test.h"

#include <stdlib.h>

#define MAX_BODY 1000
/* A string literal and its length, NUL bytes included. */
#define BYTES(literal) literal, sizeof(literal) - 1

#define BAD_REQUEST_LINE "The request line is not METHOD SP request-target SP HTTP-version"
#define BAD_CONTENT_LENGTH "The Content-Length header is not a decimal number of bytes"
#define BODY_TOO_LARGE "The request body is larger than the limit of 1000 bytes"
#define URL_TOO_LONG "The URL is longer than 8192 bytes or has more than 256 query arguments"
#define HEADERS_TOO_LARGE "The request's headers are larger than 32768 bytes"

static void check_acceptable(const char *bytes, size_t length, size_t head_bytes)
{
    struct http_head_verdict verdict;
    ASSERT_EQ_INT(HTTP_HEAD_ACCEPTABLE, http_head_judge(bytes, length, MAX_BODY, &verdict));
    ASSERT_EQ_INT(head_bytes, verdict.head_bytes);
}

static void check_incomplete(const char *bytes, size_t length)
{
    struct http_head_verdict verdict;
    ASSERT_EQ_INT(HTTP_HEAD_INCOMPLETE, http_head_judge(bytes, length, MAX_BODY, &verdict));
}

static void check_refused(const char *bytes, size_t length, unsigned status, const char *code, const char *message)
{
    struct http_head_verdict verdict;
    ASSERT_EQ_INT(HTTP_HEAD_REFUSED, http_head_judge(bytes, length, MAX_BODY, &verdict));
    ASSERT_EQ_INT(status, verdict.status);
    ASSERT_EQ_STR(code, verdict.code);
    ASSERT_EQ_STR(message, verdict.message);
}

static void check_bad_request(const char *bytes, size_t length, const char *message)
{
    check_refused(bytes, length, 400, "BadRequest", message);
}

/* A head with one extra header line after Host. */
static void check_header_line_refused(const char *line, size_t length, const char *message)
{
    char head[256];
    size_t prefix = sizeof("GET /health HTTP/1.1\r\nHost: x\r\n") - 1;
    memcpy(head, "GET /health HTTP/1.1\r\nHost: x\r\n", prefix);
    memcpy(head + prefix, line, length);
    memcpy(head + prefix + length, "\r\n\r\n", 4);
    check_bad_request(head, prefix + length + 4, message);
}

/* A request line of prefix, then fill repeated count times, then suffix (malloc'ed; *length set). */
static char *build_head(const char *prefix, char fill, size_t count, const char *suffix, size_t *length)
{
    size_t prefix_length = strlen(prefix), suffix_length = strlen(suffix);
    *length = prefix_length + count + suffix_length;
    char *head = malloc(*length + 1);
    if (!head)
        abort();
    memcpy(head, prefix, prefix_length);
    memset(head + prefix_length, fill, count);
    memcpy(head + prefix_length + count, suffix, suffix_length + 1);
    return head;
}

/* ---- sound heads ---- */

static void test_a_get_with_http_1_1_is_acceptable(void)
{
    check_acceptable(BYTES("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"), 33);
}

static void test_a_get_with_http_1_0_and_no_headers_is_acceptable(void)
{
    check_acceptable(BYTES("GET / HTTP/1.0\r\n\r\n"), 18);
}

static void test_a_post_with_its_body_after_the_head_is_acceptable(void)
{
    check_acceptable(BYTES("POST /x HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}"), 39);
}

static void test_a_pipelined_request_after_the_head_is_not_looked_at(void)
{
    check_acceptable(BYTES("GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/9.9\r\n\x01garbage"), 28);
}

static void test_lines_ending_in_a_bare_lf_are_acceptable(void)
{
    check_acceptable(BYTES("GET / HTTP/1.1\nHost: x\n\n"), 24);
}

static void test_up_to_eight_leading_empty_lines_are_ignored(void)
{
    check_acceptable(BYTES("\r\nGET / HTTP/1.1\r\n\r\n"), 20);
    check_acceptable(BYTES("\r\n\r\n\r\n\r\n\r\n\r\n\r\n\n"
                           "GET / HTTP/1.1\r\n\r\n"),
                     33);
}

static void test_equal_content_lengths_and_the_body_limit_itself_are_acceptable(void)
{
    check_acceptable(BYTES("POST / HTTP/1.1\r\nContent-Length: 1000\r\ncontent-length:1000\r\n\r\n"), 62);
    check_acceptable(BYTES("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n"), 38);
}

static void test_transfer_encoding_alone_is_acceptable(void)
{
    check_acceptable(BYTES("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"), 47);
}

static void test_tabs_empty_values_and_token_names_are_acceptable(void)
{
    check_acceptable(BYTES("GET / HTTP/1.1\r\nX-A: a\tb\r\nX-Empty:\r\nX-!#$%&'*+-.^_`|~: v\r\n\r\n"), 60);
}

static void test_a_url_of_exactly_the_limit_is_acceptable(void)
{
    size_t length;
    char *head = build_head("GET /", 'a', HTTP_HEAD_MAX_URL_BYTES - 1, " HTTP/1.1\r\n\r\n", &length);
    check_acceptable(head, length, length);
    free(head);
}

/* ---- heads still arriving ---- */

static void test_no_bytes_are_incomplete(void)
{
    check_incomplete("", 0);
}

static void test_a_request_line_without_its_lf_is_incomplete(void)
{
    check_incomplete(BYTES("GET /health HTTP/1.1"));
    check_incomplete(BYTES("GARBAGE")); /* judged once its line is complete */
}

static void test_a_head_without_its_empty_line_is_incomplete(void)
{
    check_incomplete(BYTES("GET /health HTTP/1.1\r\nHost: x\r\n"));
    check_incomplete(BYTES("POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n"));
    check_incomplete(BYTES("GET /health HTTP/1.1\r\nHost: x\r\n\r"));
}

static void test_leading_empty_lines_alone_are_incomplete(void)
{
    check_incomplete(BYTES("\r\n\r\n\r\n"));
}

static void test_a_large_head_below_the_bound_is_incomplete(void)
{
    size_t length;
    char *head = build_head("GET / HTTP/1.1\r\nX-Big: ", 'b', HTTP_HEAD_MAX_BYTES - 23, "", &length);
    ASSERT_EQ_INT(HTTP_HEAD_MAX_BYTES, length);
    check_incomplete(head, length);
    free(head);
}

/* ---- refused request lines ---- */

static void test_garbage_request_lines_are_refused(void)
{
    check_bad_request(BYTES("GARBAGE\r\n"), BAD_REQUEST_LINE);
    check_bad_request(BYTES("GET /health\r\n"), BAD_REQUEST_LINE);
    check_bad_request(BYTES("\x01\x02\x03\x04\r\n"), BAD_REQUEST_LINE);
    check_bad_request(BYTES("GET\r\n"), BAD_REQUEST_LINE);
}

static void test_request_lines_with_wrong_spacing_are_refused(void)
{
    check_bad_request(BYTES("GET  /health HTTP/1.1\r\n"), BAD_REQUEST_LINE);
    check_bad_request(BYTES(" GET /health HTTP/1.1\r\n"), BAD_REQUEST_LINE);
    check_bad_request(BYTES("GET /health HTTP/1.1 extra\r\n"), BAD_REQUEST_LINE);
    check_bad_request(BYTES("GET\t/health HTTP/1.1\r\n"), BAD_REQUEST_LINE);
}

static void test_request_lines_with_control_bytes_are_refused(void)
{
    check_bad_request(BYTES("G\x01T /health HTTP/1.1\r\n"), BAD_REQUEST_LINE);
    check_bad_request(BYTES("GET /he\0alth HTTP/1.1\r\n"), BAD_REQUEST_LINE);
    check_bad_request(BYTES("GET /he\x7f HTTP/1.1\r\n"), BAD_REQUEST_LINE);
}

static void test_a_method_that_is_not_a_token_is_refused(void)
{
    check_bad_request(BYTES("(GET) /health HTTP/1.1\r\n"), BAD_REQUEST_LINE);
}

static void test_a_protocol_other_than_http_is_refused_with_400(void)
{
    check_bad_request(BYTES("GET /health FOO/1.1\r\n"), BAD_REQUEST_LINE);
    check_bad_request(BYTES("GET /health HTTP/\r\n"), BAD_REQUEST_LINE);
    check_bad_request(BYTES("GET /health http/1.1\r\n"), BAD_REQUEST_LINE);
}

static void test_a_carriage_return_inside_the_request_line_is_refused(void)
{
    check_bad_request(BYTES("GET /health HTTP/1.1\rX\r\nHost: x\r\n\r\n"),
                      "The request line contains a carriage return");
}

static void test_unsupported_versions_are_refused_with_505(void)
{
    const char *versions[] = { "0.9", "2.0", "1.2", "3", "1.10" };
    for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
        char head[64], message[HTTP_HEAD_MESSAGE_BYTES];
        int length = snprintf(head, sizeof(head), "GET /health HTTP/%s\r\n", versions[i]);
        snprintf(message, sizeof(message), "HTTP/%s is not supported (only versions 1.0 and 1.1 are)", versions[i]);
        check_refused(head, (size_t)length, 505, "HttpVersionNotSupported", message);
        if (test_current_failed)
            return;
    }
}

static void test_more_than_eight_leading_empty_lines_are_refused(void)
{
    check_bad_request(BYTES("\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n"), "The request starts with more than 8 empty lines");
}

static void test_a_url_over_the_limit_is_refused_with_414(void)
{
    size_t length;
    char *head = build_head("GET /", 'a', HTTP_HEAD_MAX_URL_BYTES, " HTTP/1.1\r\n", &length);
    check_refused(head, length, 414, "UriTooLong", URL_TOO_LONG);
    free(head);
}

static void test_an_unfinished_request_line_past_the_bound_is_refused(void)
{
    size_t length;
    char *head = build_head("GET /", 'a', HTTP_HEAD_MAX_BYTES, "", &length);
    check_refused(head, length, 414, "UriTooLong", URL_TOO_LONG);
    free(head);
    head = build_head("", '\x01', HTTP_HEAD_MAX_BYTES + 1, "", &length);
    check_bad_request(head, length, BAD_REQUEST_LINE);
    free(head);
}

/* ---- refused header lines ---- */

static void test_a_header_line_without_a_colon_is_refused(void)
{
    check_header_line_refused(BYTES("NoColon"), "A header line is not name:value");
    check_header_line_refused(BYTES("Bad Name: x"), "A header line is not name:value");
    check_header_line_refused(BYTES(": no name"), "A header line is not name:value");
}

static void test_folded_header_lines_are_refused(void)
{
    check_header_line_refused(BYTES(" folded"), "A header line starts with blanks (obsolete line folding)");
    check_header_line_refused(BYTES("\tfolded"), "A header line starts with blanks (obsolete line folding)");
}

static void test_control_bytes_in_header_values_are_refused(void)
{
    check_header_line_refused(BYTES("X-A: a\0b"), "A header value contains control characters");
    check_header_line_refused(BYTES("X-A: a\x7f"), "A header value contains control characters");
    check_header_line_refused(BYTES("X-A: \x1b[31m"), "A header value contains control characters");
}

static void test_a_carriage_return_inside_a_header_line_is_refused(void)
{
    check_header_line_refused(BYTES("X-A: a\rb"), "A header line contains a carriage return");
}

/* ---- refused framing ---- */

static void test_malformed_content_lengths_are_refused(void)
{
    const char *values[] = { "2x", "-1", "+5", "5 ", " 5 ", "0x10", "1e3", "", "5,5", "1 2", "0.5", "\xd9\xa3" };
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        char head[128];
        int length =
            snprintf(head, sizeof(head), "POST /health HTTP/1.1\r\nHost: x\r\nContent-Length:%s\r\n\r\n", values[i]);
        check_bad_request(head, (size_t)length, BAD_CONTENT_LENGTH);
        if (test_current_failed) {
            printf("# value \"%s\"\n", values[i]);
            return;
        }
    }
}

static void test_content_lengths_over_the_limit_or_64_bits_are_refused_with_413(void)
{
    check_refused(BYTES("POST / HTTP/1.1\r\nContent-Length: 1001\r\n\r\n"), 413, "PayloadTooLarge", BODY_TOO_LARGE);
    check_refused(BYTES("POST / HTTP/1.1\r\nContent-Length: 18446744073709551616\r\n\r\n"), 413, "PayloadTooLarge",
                  BODY_TOO_LARGE);
    check_refused(BYTES("POST / HTTP/1.1\r\nContent-Length: 1111111111111111111111111111111111111111\r\n"), 413,
                  "PayloadTooLarge", BODY_TOO_LARGE);
}

static void test_conflicting_content_lengths_are_refused(void)
{
    check_bad_request(BYTES("POST / HTTP/1.1\r\nContent-Length: 2\r\ncontent-length: 3\r\n"),
                      "The request has several Content-Length headers with different values");
}

static void test_content_length_with_transfer_encoding_is_refused_once_the_head_is_whole(void)
{
    const char *message = "The request has both Content-Length and Transfer-Encoding";
    check_bad_request(BYTES("POST / HTTP/1.1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n"), message);
    check_bad_request(BYTES("POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\nCONTENT-LENGTH: 2\r\n\r\n"), message);
}

static void test_a_whole_head_over_the_bound_is_refused_with_431(void)
{
    size_t length;
    char *head = build_head("GET / HTTP/1.1\r\nX-Big: ", 'b', 300 * 1024, "\r\n\r\n", &length);
    check_refused(head, length, 431, "RequestHeaderFieldsTooLarge", HEADERS_TOO_LARGE);
    free(head);
}

static void test_an_unfinished_head_past_the_bound_is_refused_with_431(void)
{
    size_t length;
    char *head = build_head("GET / HTTP/1.1\r\nX-Big: ", 'b', HTTP_HEAD_MAX_BYTES - 22, "", &length);
    ASSERT_EQ_INT(HTTP_HEAD_MAX_BYTES + 1, length);
    check_refused(head, length, 431, "RequestHeaderFieldsTooLarge", HEADERS_TOO_LARGE);
    free(head);
}

static void test_a_fault_is_refused_before_the_head_is_whole(void)
{
    check_refused(BYTES("GET / HTTP/2.0\r\n"), 505, "HttpVersionNotSupported",
                  "HTTP/2.0 is not supported (only versions 1.0 and 1.1 are)");
    check_bad_request(BYTES("GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\nHost: y"), "A header line is not name:value");
}

int main(void)
{
    RUN(test_a_get_with_http_1_1_is_acceptable);
    RUN(test_a_get_with_http_1_0_and_no_headers_is_acceptable);
    RUN(test_a_post_with_its_body_after_the_head_is_acceptable);
    RUN(test_a_pipelined_request_after_the_head_is_not_looked_at);
    RUN(test_lines_ending_in_a_bare_lf_are_acceptable);
    RUN(test_up_to_eight_leading_empty_lines_are_ignored);
    RUN(test_equal_content_lengths_and_the_body_limit_itself_are_acceptable);
    RUN(test_transfer_encoding_alone_is_acceptable);
    RUN(test_tabs_empty_values_and_token_names_are_acceptable);
    RUN(test_a_url_of_exactly_the_limit_is_acceptable);
    RUN(test_no_bytes_are_incomplete);
    RUN(test_a_request_line_without_its_lf_is_incomplete);
    RUN(test_a_head_without_its_empty_line_is_incomplete);
    RUN(test_leading_empty_lines_alone_are_incomplete);
    RUN(test_a_large_head_below_the_bound_is_incomplete);
    RUN(test_garbage_request_lines_are_refused);
    RUN(test_request_lines_with_wrong_spacing_are_refused);
    RUN(test_request_lines_with_control_bytes_are_refused);
    RUN(test_a_method_that_is_not_a_token_is_refused);
    RUN(test_a_protocol_other_than_http_is_refused_with_400);
    RUN(test_a_carriage_return_inside_the_request_line_is_refused);
    RUN(test_unsupported_versions_are_refused_with_505);
    RUN(test_more_than_eight_leading_empty_lines_are_refused);
    RUN(test_a_url_over_the_limit_is_refused_with_414);
    RUN(test_an_unfinished_request_line_past_the_bound_is_refused);
    RUN(test_a_header_line_without_a_colon_is_refused);
    RUN(test_folded_header_lines_are_refused);
    RUN(test_control_bytes_in_header_values_are_refused);
    RUN(test_a_carriage_return_inside_a_header_line_is_refused);
    RUN(test_malformed_content_lengths_are_refused);
    RUN(test_content_lengths_over_the_limit_or_64_bits_are_refused_with_413);
    RUN(test_conflicting_content_lengths_are_refused);
    RUN(test_content_length_with_transfer_encoding_is_refused_once_the_head_is_whole);
    RUN(test_a_whole_head_over_the_bound_is_refused_with_431);
    RUN(test_an_unfinished_head_past_the_bound_is_refused_with_431);
    RUN(test_a_fault_is_refused_before_the_head_is_whole);
    return test_done();
}
