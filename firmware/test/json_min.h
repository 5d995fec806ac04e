/* A small JSON reader for the test vectors: parses a whole document into a tree. */
#ifndef JSON_MIN_H
#define JSON_MIN_H

#include <stddef.h>

typedef enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } jtype;

typedef struct jval {
    jtype type;
    double num;        /* J_NUM, J_BOOL (0/1) */
    char *str;         /* J_STR (NUL-terminated; \u escapes above 0x7f become '?') */
    char *key;         /* set when this value is a member of an object */
    struct jval *kids; /* J_ARR, J_OBJ: array of n values */
    size_t n;
} jval;

/* Parses text; returns NULL and fills err (with the byte offset) on a syntax error. */
jval *json_parse(const char *text, char *err, size_t errlen);
void json_free(jval *v);
const jval *json_get(const jval *obj, const char *key); /* NULL when absent */

#endif
