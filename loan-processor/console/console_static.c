/*
 * console_static - see console_static.h.
 */
#include "console_static.h"

#include <string.h>

#include "console_files.h"

#define INDEX_PATH "/console/index.html"

static const struct console_file *find_file(const char *path)
{
    for (size_t i = 0; i < console_file_count; i++) {
        if (strcmp(console_files[i].path, path) == 0)
            return &console_files[i];
    }
    return NULL;
}

void console_static_handle(struct http_request *request)
{
    const char *path = http_request_path(request);
    const struct console_file *file = find_file(strcmp(path, "/") == 0 ? INDEX_PATH : path);
    if (!file) {
        http_request_reply_error(request, 404, "NotFound", "No console file %.200s", path);
        return;
    }
    const struct http_header headers[] = {
        { "ETag", file->etag },
        { "Cache-Control", "no-cache" },
        { "X-Content-Type-Options", "nosniff" },
        /* The page loads nothing from elsewhere and runs no inline script; it may not be framed. */
        { "Content-Security-Policy", "default-src 'self'; img-src 'self' data:; base-uri 'none'; "
                                     "form-action 'none'; frame-ancestors 'none'" },
        { "Referrer-Policy", "no-referrer" },
    };
    size_t header_count = sizeof(headers) / sizeof(headers[0]);
    const char *known = http_request_header(request, "If-None-Match");
    if (known && strcmp(known, file->etag) == 0)
        http_request_reply_static(request, 304, NULL, headers, header_count, "", 0);
    else
        http_request_reply_static(request, 200, file->content_type, headers, header_count, file->bytes, file->length);
}
