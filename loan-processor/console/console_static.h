/*
 * console_static - serves the web console's embedded files (console_files.h):
 * GET / is the console's page, GET /console/<name> its other files. Each
 * answer carries an ETag, and a request whose If-None-Match names it gets
 * 304 without the body; Cache-Control: no-cache makes browsers ask each
 * time, so a rebuilt server is never shown with an old page.
 */
#ifndef CONSOLE_STATIC_H
#define CONSOLE_STATIC_H

#include "http_server.h"

/* Answers GET / and GET /console/<name>: the file, 304, or 404 for a name that is not a console file. */
void console_static_handle(struct http_request *request);

#endif
