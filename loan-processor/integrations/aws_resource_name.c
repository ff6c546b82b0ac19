/* aws_resource_name - see aws_resource_name.h. */
#include "aws_resource_name.h"

#include <string.h>

bool aws_resource_name_character(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

bool aws_resource_name_valid(const char *name, size_t max_length)
{
    static const char fifo[] = ".fifo";
    size_t length = strlen(name);
    size_t base = length;
    if (length > max_length)
        return false;
    if (length > sizeof(fifo) - 1 && strcmp(name + length - (sizeof(fifo) - 1), fifo) == 0)
        base = length - (sizeof(fifo) - 1);
    if (base == 0)
        return false;
    for (size_t i = 0; i < base; i++) {
        if (!aws_resource_name_character(name[i]))
            return false;
    }
    return true;
}
