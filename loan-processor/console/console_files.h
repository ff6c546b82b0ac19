/*
 * console_files - the web console's files, embedded into the binary at build
 * time by loan-processor/console/embed_files.py (so the console works
 * offline and needs nothing installed beside the loan-processor).
 */
#ifndef CONSOLE_FILES_H
#define CONSOLE_FILES_H

#include <stddef.h>

struct console_file {
    const char *path; /* "/console/index.html" */
    const char *content_type;
    const char *etag; /* quoted, as sent in the ETag header */
    const unsigned char *bytes;
    size_t length;
};

extern const struct console_file console_files[];
extern const size_t console_file_count;

#endif
