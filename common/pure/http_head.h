/*
 * http_head - judges the bytes of an HTTP/1.x request head (request line and
 * header lines, up to the empty line) without any I/O: whether the head is
 * complete yet, sound, or refused with a status, an error code and a message.
 *
 * The server runs it on the first request of each connection before handing
 * the socket to libmicrohttpd, and answers a refusal with the JSON error
 * {"error": code, "message": message}. The limits and messages here are the
 * server's, and its later checks on libmicrohttpd's side use the same texts.
 */
#ifndef HTTP_HEAD_H
#define HTTP_HEAD_H

#include <stddef.h>

#define HTTP_HEAD_MAX_URL_BYTES 8192
#define HTTP_HEAD_MAX_QUERY_ARGUMENTS 256
#define HTTP_HEAD_MAX_HEADER_BYTES 32768
/* A head this large is refused anyway (URL and headers limits): no need to see more of it. */
#define HTTP_HEAD_MAX_BYTES (HTTP_HEAD_MAX_URL_BYTES + HTTP_HEAD_MAX_HEADER_BYTES + 8192)
/* Empty lines allowed before the request line (RFC 9112 2.2 lets a server ignore at least one). */
#define HTTP_HEAD_MAX_EMPTY_LINES 8
#define HTTP_HEAD_MESSAGE_BYTES 192

#define HTTP_HEAD_MESSAGE_CONTENT_LENGTH_MALFORMED "The Content-Length header is not a decimal number of bytes"
#define HTTP_HEAD_MESSAGE_CONTENT_LENGTH_CONFLICT "The request has several Content-Length headers with different values"
#define HTTP_HEAD_MESSAGE_CONTENT_LENGTH_AND_TRANSFER_ENCODING \
    "The request has both Content-Length and Transfer-Encoding"
/* printf formats: the URL limits (int, int), the header limit (int), the body limit (size_t). */
#define HTTP_HEAD_MESSAGE_URL_TOO_LONG "The URL is longer than %d bytes or has more than %d query arguments"
#define HTTP_HEAD_MESSAGE_HEADERS_TOO_LARGE "The request's headers are larger than %d bytes"
#define HTTP_HEAD_MESSAGE_REQUEST_LINE_MALFORMED "The request line is not METHOD SP request-target SP HTTP-version"
#define HTTP_HEAD_MESSAGE_BODY_TOO_LARGE "The request body is larger than the limit of %zu bytes"

enum http_head_result {
    HTTP_HEAD_INCOMPLETE, /* sound so far: more bytes are needed */
    HTTP_HEAD_ACCEPTABLE, /* the whole head is there and sound */
    HTTP_HEAD_REFUSED,    /* see the verdict's status, code and message */
};

struct http_head_verdict {
    size_t head_bytes;                     /* ACCEPTABLE: bytes up to and including the empty line */
    unsigned status;                       /* REFUSED: 400, 413, 414, 431 or 505 */
    const char *code;                      /* REFUSED: e.g. "BadRequest" (static) */
    char message[HTTP_HEAD_MESSAGE_BYTES]; /* REFUSED: for people */
};

/*
 * Judges the request head at the start of bytes (length bytes; what follows
 * the head, such as a body or a pipelined request, is not looked at):
 * refused as soon as a complete line shows a fault (malformed request line or
 * header line, control characters, obsolete line folding, an HTTP version
 * other than 1.0/1.1, a malformed, conflicting or over-max_body_bytes
 * Content-Length, Content-Length with Transfer-Encoding, more than
 * HTTP_HEAD_MAX_EMPTY_LINES empty lines first), acceptable once the whole
 * head is there and sound, incomplete otherwise - until length passes
 * HTTP_HEAD_MAX_BYTES, where the head is refused as too large (414 for a
 * request line still unfinished, 431 otherwise). Fills verdict (caller's).
 */
enum http_head_result http_head_judge(const char *bytes, size_t length, size_t max_body_bytes,
                                      struct http_head_verdict *verdict);

#endif
