/* access_token - see access_token.h. */
#include "access_token.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

static bool is_token_character(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.'
           || c == '_' || c == '~';
}

int access_token_check(const char *token)
{
    size_t length = token ? strlen(token) : 0;
    if (length == 0)
        return 0;
    if (length < ACCESS_TOKEN_MIN_LENGTH || length > ACCESS_TOKEN_MAX_LENGTH)
        return -EINVAL;
    for (size_t i = 0; i < length; i++)
        if (!is_token_character(token[i]))
            return -EINVAL;
    return 0;
}

/* Whether the given_length bytes at given are expected, in a time that depends on expected's length only. */
static bool equal_span(const char *expected, const char *given, size_t given_length)
{
    size_t length = strlen(expected);
    unsigned char difference = (unsigned char)(given_length != length);
    for (size_t i = 0; i < length; i++)
        difference |= (unsigned char)(expected[i] ^ (i < given_length ? given[i] : 0));
    return difference == 0;
}

bool access_token_equal(const char *expected, const char *given)
{
    return expected && given && equal_span(expected, given, strnlen(given, ACCESS_TOKEN_MAX_LENGTH + 1));
}

bool access_token_bearer_matches(const char *expected, const char *authorization)
{
    if (!expected || !authorization || strncasecmp(authorization, "Bearer ", 7) != 0)
        return false;
    const char *token = authorization + 7;
    while (*token == ' ')
        token++;
    size_t length = strnlen(token, ACCESS_TOKEN_MAX_LENGTH + 1);
    while (length > 0 && token[length - 1] == ' ')
        length--;
    return equal_span(expected, token, length);
}

bool access_token_cookie_matches(const char *expected, const char *cookie_header, const char *name)
{
    size_t name_length = strlen(name);
    bool matched = false;
    for (const char *cookie = cookie_header; expected && cookie && *cookie;) {
        while (*cookie == ' ' || *cookie == ';')
            cookie++;
        size_t length = strcspn(cookie, ";");
        if (length > name_length && strncmp(cookie, name, name_length) == 0 && cookie[name_length] == '=') {
            size_t value_length = length - name_length - 1;
            while (value_length > 0 && cookie[name_length + value_length] == ' ')
                value_length--;
            matched |= equal_span(expected, cookie + name_length + 1, value_length);
        }
        cookie += length;
    }
    return matched;
}
