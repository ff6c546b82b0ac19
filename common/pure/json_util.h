/*
 * json_util - small helpers around cJSON used by both servers.
 */
#ifndef JSON_UTIL_H
#define JSON_UTIL_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * Parses exactly length bytes (the text need not be NUL-terminated) as one
 * JSON value. Returns 0 and a document the caller frees with cJSON_Delete, or
 * -EINVAL for text that is not JSON (trailing bytes after the value, a NUL
 * byte, a number beyond a double's range such as 1e400), -ENOMEM.
 */
__attribute__((warn_unused_result)) int json_parse(const char *text, size_t length, cJSON **document);

/*
 * Adds member to object: the JSON document text holds, or, when text is
 * NULL or not JSON, the one fallback holds (JSON text too). Returns false
 * when neither parses or memory runs out (object is then unchanged).
 */
__attribute__((warn_unused_result)) bool json_add_parsed(cJSON *object, const char *member, const char *text,
                                                         const char *fallback);

/*
 * Marks, in a document from json_parse_request(), where the request had a
 * \u0000 escape: cJSON's strings end at a NUL, so the escape is decoded as
 * this two-byte sequence instead (the overlong form of U+0000, never valid
 * UTF-8, so it cannot come from the request itself).
 */
#define JSON_NUL_MARK "\xc0\x80"

/*
 * Parses a request body as json_parse() does, after checking that it is
 * UTF-8, and decodes each \u0000 escape as JSON_NUL_MARK (json_has_nul()
 * finds them). Returns 0 and a document the caller frees with cJSON_Delete,
 * -EILSEQ for a body that is not well-formed UTF-8, -EINVAL for one that is
 * not JSON, or -ENOMEM.
 */
__attribute__((warn_unused_result)) int json_parse_request(const char *text, size_t length, cJSON **document);

/* True when a string or member name anywhere in value holds JSON_NUL_MARK (a \u0000 of the request). */
bool json_has_nul(const cJSON *value);

/*
 * Parses a request body that must be UTF-8 JSON without a NUL character
 * (raw or \u0000). Returns 0 and a document the caller frees with
 * cJSON_Delete, or -EINVAL (-ENOMEM) and the reason in problem (size > 0
 * bytes), e.g. "The body is not valid JSON".
 */
__attribute__((warn_unused_result)) int json_parse_body(const char *text, size_t length, cJSON **document,
                                                        char *problem, size_t size);

/* Prints unformatted; the caller frees with cJSON_free. NULL when out of memory. */
char *json_print(const cJSON *value);

/*
 * A value as the text a service sends it: a string as it is, any other
 * value as its JSON text (as Step Functions sends an SNS Message or an SQS
 * MessageBody). The caller frees with cJSON_free. NULL when out of memory.
 */
char *json_text_of(const cJSON *value);

/* The formatted text, from cJSON's allocator (the caller frees with cJSON_free). NULL when out of memory. */
char *json_format_text(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* The member's string value, or NULL when it is missing or not a string. */
const char *json_string_member(const cJSON *object, const char *name);

/* The member's object value, or NULL when it is missing or not an object. */
const cJSON *json_object_member(const cJSON *object, const char *name);

/*
 * Builds {"<code_member>": code, "message": message}, the error body both
 * servers answer with. Returns NULL when out of memory.
 */
cJSON *json_error(const char *code_member, const char *code, const char *message);

/* Adds name: epoch seconds (a JSON number with milliseconds). Returns false when out of memory. */
__attribute__((warn_unused_result)) bool json_add_epoch_seconds(cJSON *object, const char *name, long long epoch_ms);

/*
 * Whether JSON text (length bytes, not necessarily valid) nests arrays and
 * objects more than limit levels deep, counting the brackets outside
 * strings; one pass, no parse, so it also measures what a parser with a
 * lower nesting limit would refuse.
 */
bool json_text_nesting_over(const char *text, size_t length, int limit);

/*
 * Writes text (up to its NUL) into out as a JSON string, quotes included, escaped exactly as cJSON prints it:
 * '"', '\\' and the control characters (\b \f \n \r \t by name, the others as \u00xx), every other byte
 * as it is; no NUL is written. With out NULL it only counts. Returns the bytes written (or that would be): a
 * JSON text built from parts without a cJSON document to build, print and free.
 */
size_t json_append_string(char *out, const char *text);

#endif
