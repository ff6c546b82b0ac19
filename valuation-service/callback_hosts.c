/* callback_hosts - see callback_hosts.h. */
#include "callback_hosts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The longest host this module compares (a DNS name is at most 253 characters). */
#define MAX_HOST_LENGTH 255

enum scheme { SCHEME_ANY, SCHEME_HTTP, SCHEME_HTTPS };

/* A parsed entry or URL: text spans into the original string. */
struct address {
    enum scheme scheme;
    const char *host;
    size_t host_length;
    long port; /* 0: any */
};

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static bool is_host_character(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.'
           || c == '_';
}

/* Reads an optional "http://" or "https://" at *text; returns the scheme (SCHEME_ANY when there is none). */
static enum scheme read_scheme(const char **text, const char *end)
{
    if ((size_t)(end - *text) >= 7 && strncasecmp(*text, "http://", 7) == 0) {
        *text += 7;
        return SCHEME_HTTP;
    }
    if ((size_t)(end - *text) >= 8 && strncasecmp(*text, "https://", 8) == 0) {
        *text += 8;
        return SCHEME_HTTPS;
    }
    return SCHEME_ANY;
}

/* Reads a host (a name, an address, "[ipv6]" or, when star_allowed, "*") at *text; false when there is none. */
static bool read_host(const char **text, const char *end, bool star_allowed, struct address *address)
{
    const char *start = *text, *cursor = *text;
    if (cursor < end && *cursor == '*' && star_allowed) {
        cursor++;
    } else if (cursor < end && *cursor == '[') {
        while (cursor < end && *cursor != ']' && (is_host_character(*cursor) || *cursor == ':' || *cursor == '['))
            cursor++;
        if (cursor == end || *cursor != ']')
            return false;
        cursor++;
    } else {
        while (cursor < end && is_host_character(*cursor))
            cursor++;
    }
    if (cursor == start || cursor - start > MAX_HOST_LENGTH)
        return false;
    address->host = start;
    address->host_length = (size_t)(cursor - start);
    *text = cursor;
    return true;
}

/* Reads 1-65535 (or "*" when star_allowed, as 0) at *text; false otherwise. */
static bool read_port(const char **text, const char *end, bool star_allowed, long *port)
{
    const char *cursor = *text;
    long value = 0;
    if (cursor < end && *cursor == '*' && star_allowed) {
        *port = 0;
        *text = cursor + 1;
        return true;
    }
    while (cursor < end && *cursor >= '0' && *cursor <= '9' && value <= 65535)
        value = value * 10 + (*cursor++ - '0');
    if (cursor == *text || value < 1 || value > 65535)
        return false;
    *port = value;
    *text = cursor;
    return true;
}

/* Parses one entry (blanks trimmed) spanning [start, end); false when its syntax is wrong. */
static bool parse_entry(const char *start, const char *end, struct address *entry)
{
    const char *text = start;
    entry->scheme = read_scheme(&text, end);
    return read_host(&text, end, true, entry) && text < end && *text++ == ':'
           && read_port(&text, end, true, &entry->port) && text == end;
}

/* The next non-empty entry of the list at *cursor, blanks trimmed, as [*start, *end); false at its end. */
static bool next_entry(const char **cursor, const char **start, const char **end)
{
    const char *text = *cursor;
    while (*text) {
        const char *comma = strchr(text, ',');
        const char *stop = comma ? comma : text + strlen(text);
        const char *first = text, *last = stop;
        while (first < last && is_blank(*first))
            first++;
        while (last > first && is_blank(last[-1]))
            last--;
        text = comma ? comma + 1 : stop;
        if (last > first) {
            *cursor = text;
            *start = first;
            *end = last;
            return true;
        }
    }
    *cursor = text;
    return false;
}

int callback_hosts_check(const char *list, char *error, size_t error_size)
{
    const char *cursor = list ? list : "", *start, *end;
    struct address entry;
    bool any = false;
    while (next_entry(&cursor, &start, &end)) {
        if (!parse_entry(start, end, &entry)) {
            snprintf(error, error_size,
                     "CALLBACK_ALLOWED_HOSTS: '%.*s' is not [http://|https://]host:port (host or port may be *)",
                     (int)(end - start > 100 ? 100 : end - start), start);
            return -EINVAL;
        }
        any = true;
    }
    if (!any) {
        snprintf(error, error_size, "CALLBACK_ALLOWED_HOSTS names no host:port");
        return -EINVAL;
    }
    return 0;
}

/* Parses a callback URL into its scheme, host and port; false when it is not one this module allows at all. */
static bool parse_url(const char *url, struct address *address)
{
    for (const char *c = url; *c; c++)
        if ((unsigned char)*c <= 0x20 || *c == 0x7f || *c == '\\')
            return false;
    const char *text = url;
    address->scheme = read_scheme(&text, url + strlen(url));
    if (address->scheme == SCHEME_ANY)
        return false;
    const char *authority_end = text + strcspn(text, "/?#");
    if (memchr(text, '@', (size_t)(authority_end - text)))
        return false;
    if (!read_host(&text, authority_end, false, address))
        return false;
    if (text == authority_end) {
        address->port = address->scheme == SCHEME_HTTPS ? 443 : 80;
        return true;
    }
    return *text++ == ':' && read_port(&text, authority_end, false, &address->port) && text == authority_end;
}

static bool entry_matches(const struct address *entry, const struct address *url)
{
    if (entry->scheme != SCHEME_ANY && entry->scheme != url->scheme)
        return false;
    if (entry->port != 0 && entry->port != url->port)
        return false;
    if (entry->host_length == 1 && entry->host[0] == '*')
        return true;
    return entry->host_length == url->host_length && strncasecmp(entry->host, url->host, url->host_length) == 0;
}

bool callback_hosts_allow(const char *list, const char *url)
{
    struct address target, entry;
    const char *cursor = list ? list : "", *start, *end;
    if (!url || !parse_url(url, &target))
        return false;
    while (next_entry(&cursor, &start, &end))
        if (parse_entry(start, end, &entry) && entry_matches(&entry, &target))
            return true;
    return false;
}
