/*
 * asl_jsonata - the JSONata side of the States Language: a field's value
 * "{% expression %}" is a JSONata expression, anywhere in a JSON template
 * of a state whose QueryLanguage is JSONata. Pure: no I/O.
 */
#ifndef ASL_JSONATA_H
#define ASL_JSONATA_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * Whether value is a string "{% ... %}": then *text and *length (when not
 * NULL) give the expression inside, without its surrounding blanks (it
 * borrows value's string).
 */
bool asl_jsonata_expression(const cJSON *value, const char **text, size_t *length);

#endif
