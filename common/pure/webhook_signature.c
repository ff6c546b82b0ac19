/* webhook_signature - see webhook_signature.h. */
#include "webhook_signature.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"

#define MAC_SIZE 32
#define MAX_TIMESTAMP_DIGITS 18
/* More v1= values than this in one header is malformed: it bounds the work one request costs. */
#define MAX_SIGNATURES 8

struct secret {
    const char *start;
    size_t length;
};

struct parsed_header {
    int64_t timestamp;
    const char *timestamp_text; /* its digits, exactly as signed */
    size_t timestamp_length;
    unsigned char macs[MAX_SIGNATURES][MAC_SIZE];
    size_t mac_count;
};

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* The next non-empty entry of the list at *cursor, blanks trimmed; false at its end. */
static bool next_secret(const char **cursor, struct secret *secret)
{
    const char *text = *cursor;
    while (text && *text) {
        const char *end = strchr(text, ',');
        if (!end)
            end = text + strlen(text);
        const char *start = text;
        const char *last = end;
        while (start < last && is_blank(*start))
            start++;
        while (last > start && is_blank(last[-1]))
            last--;
        text = *end ? end + 1 : end;
        if (last > start) {
            *cursor = text;
            *secret = (struct secret){ start, (size_t)(last - start) };
            return true;
        }
    }
    *cursor = text;
    return false;
}

bool webhook_signature_has_secret(const char *secrets)
{
    struct secret secret;
    return next_secret(&secrets, &secret);
}

/* "<timestamp>.<body>", the signed message (malloc'd); NULL when out of memory. */
static char *signed_message(const char *timestamp, size_t timestamp_length, const void *body, size_t length,
                            size_t *total)
{
    *total = timestamp_length + 1 + length;
    char *message = malloc(*total);
    if (!message)
        return NULL;
    memcpy(message, timestamp, timestamp_length);
    message[timestamp_length] = '.';
    if (length > 0)
        memcpy(message + timestamp_length + 1, body, length);
    return message;
}

int webhook_signature_sign(const char *secrets, int64_t timestamp, const void *body, size_t length,
                           char out[WEBHOOK_SIGNATURE_SIZE])
{
    static const char hex_digits[] = "0123456789abcdef";
    struct secret secret;
    char digits[MAX_TIMESTAMP_DIGITS + 1], hex[2 * MAC_SIZE + 1];
    unsigned char mac[DIGEST_MAX_SIZE];
    size_t total;
    if (!next_secret(&secrets, &secret) || timestamp < 0 || timestamp > INT64_C(999999999999999999))
        return -EINVAL;
    int digit_count = snprintf(digits, sizeof(digits), "%" PRId64, timestamp);
    char *message = signed_message(digits, (size_t)digit_count, body, length, &total);
    if (!message)
        return -ENOMEM;
    digest_hmac(DIGEST_SHA256, secret.start, secret.length, message, total, mac);
    free(message);
    for (size_t i = 0; i < MAC_SIZE; i++) {
        hex[2 * i] = hex_digits[mac[i] >> 4];
        hex[2 * i + 1] = hex_digits[mac[i] & 15];
    }
    hex[2 * MAC_SIZE] = '\0';
    snprintf(out, WEBHOOK_SIGNATURE_SIZE, "t=%s,v1=%s", digits, hex);
    return 0;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Reads exactly 64 hex digits at text into mac; returns the text after them, or NULL. */
static const char *parse_mac(const char *text, unsigned char mac[MAC_SIZE])
{
    for (size_t i = 0; i < MAC_SIZE; i++) {
        int high = hex_value(text[2 * i]);
        int low = high < 0 ? -1 : hex_value(text[2 * i + 1]);
        if (low < 0)
            return NULL;
        mac[i] = (unsigned char)(high << 4 | low);
    }
    return text + 2 * MAC_SIZE;
}

/* Parses "t=<1-18 digits>,v1=<64 hex>[,v1=<64 hex>]..."; false when the header is anything else. */
static bool parse_header(const char *header, struct parsed_header *parsed)
{
    if (strncmp(header, "t=", 2) != 0)
        return false;
    const char *text = header + 2;
    parsed->timestamp_text = text;
    parsed->timestamp = 0;
    while (*text >= '0' && *text <= '9' && text - parsed->timestamp_text < MAX_TIMESTAMP_DIGITS)
        parsed->timestamp = parsed->timestamp * 10 + (*text++ - '0');
    parsed->timestamp_length = (size_t)(text - parsed->timestamp_text);
    if (parsed->timestamp_length == 0)
        return false;
    parsed->mac_count = 0;
    while (strncmp(text, ",v1=", 4) == 0 && parsed->mac_count < MAX_SIGNATURES) {
        text = parse_mac(text + 4, parsed->macs[parsed->mac_count]);
        if (!text)
            return false;
        parsed->mac_count++;
    }
    return parsed->mac_count > 0 && *text == '\0';
}

/* Whether mac equals one of the header's, in a time that depends on no byte of either. */
static bool matches_any(const struct parsed_header *parsed, const unsigned char mac[MAC_SIZE])
{
    unsigned matched = 0;
    for (size_t m = 0; m < parsed->mac_count; m++) {
        unsigned char difference = 0;
        for (size_t i = 0; i < MAC_SIZE; i++)
            difference |= (unsigned char)(parsed->macs[m][i] ^ mac[i]);
        matched |= (unsigned)(difference == 0);
    }
    return matched != 0;
}

int webhook_signature_verify(const char *secrets, const char *header, int64_t now, int64_t tolerance_seconds,
                             const void *body, size_t length, enum webhook_signature_verdict *verdict)
{
    struct parsed_header parsed;
    struct secret secret;
    unsigned char mac[DIGEST_MAX_SIZE];
    size_t total;
    bool matched = false;
    if (!header) {
        *verdict = WEBHOOK_SIGNATURE_MISSING;
        return 0;
    }
    if (!parse_header(header, &parsed)) {
        *verdict = WEBHOOK_SIGNATURE_MALFORMED;
        return 0;
    }
    char *message = signed_message(parsed.timestamp_text, parsed.timestamp_length, body, length, &total);
    if (!message)
        return -ENOMEM;
    while (next_secret(&secrets, &secret)) {
        digest_hmac(DIGEST_SHA256, secret.start, secret.length, message, total, mac);
        matched |= matches_any(&parsed, mac);
    }
    free(message);
    if (!matched)
        *verdict = WEBHOOK_SIGNATURE_MISMATCH;
    else if (now - parsed.timestamp > tolerance_seconds)
        *verdict = WEBHOOK_SIGNATURE_STALE;
    else if (parsed.timestamp - now > tolerance_seconds)
        *verdict = WEBHOOK_SIGNATURE_FUTURE;
    else
        *verdict = WEBHOOK_SIGNATURE_VALID;
    return 0;
}

const char *webhook_signature_verdict_text(enum webhook_signature_verdict verdict)
{
    switch (verdict) {
    case WEBHOOK_SIGNATURE_VALID:
        return "The signature is valid";
    case WEBHOOK_SIGNATURE_MISSING:
        return "The " WEBHOOK_SIGNATURE_HEADER " header is missing";
    case WEBHOOK_SIGNATURE_MALFORMED:
        return "The " WEBHOOK_SIGNATURE_HEADER " header is not t=<unix seconds>,v1=<64 hex digits>";
    case WEBHOOK_SIGNATURE_MISMATCH:
        return "The " WEBHOOK_SIGNATURE_HEADER " header does not match the body under any accepted secret";
    case WEBHOOK_SIGNATURE_STALE:
        return "The " WEBHOOK_SIGNATURE_HEADER " header was signed more than 300 seconds ago";
    case WEBHOOK_SIGNATURE_FUTURE:
        return "The " WEBHOOK_SIGNATURE_HEADER " header was signed more than 300 seconds in the future";
    }
    return "The signature is invalid";
}
