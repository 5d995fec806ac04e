#include "json_min.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *s;
    size_t i;
    const char *err;
} parser;

static void ws(parser *p)
{
    while (p->s[p->i] == ' ' || p->s[p->i] == '\n' || p->s[p->i] == '\r' || p->s[p->i] == '\t')
        p->i++;
}

static int fail(parser *p, const char *msg)
{
    if (!p->err)
        p->err = msg;
    return -1;
}

static int value(parser *p, jval *v, int depth);

static int string(parser *p, char **out)
{
    size_t cap = 16, n = 0;
    char *buf = malloc(cap);
    if (!buf)
        return fail(p, "out of memory");
    p->i++; /* opening quote */
    for (;;) {
        char c = p->s[p->i++];
        if (c == '\0' || (unsigned char)c < 0x20) {
            free(buf);
            return fail(p, "unterminated string");
        }
        if (c == '"')
            break;
        if (c == '\\') {
            char e = p->s[p->i++];
            switch (e) {
            case '"': case '\\': case '/': c = e; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'n': c = '\n'; break;
            case 'r': c = '\r'; break;
            case 't': c = '\t'; break;
            case 'u': {
                unsigned code = 0;
                for (int k = 0; k < 4; k++) {
                    char h = p->s[p->i++];
                    code <<= 4;
                    if (h >= '0' && h <= '9') code |= (unsigned)(h - '0');
                    else if (h >= 'a' && h <= 'f') code |= (unsigned)(h - 'a' + 10);
                    else if (h >= 'A' && h <= 'F') code |= (unsigned)(h - 'A' + 10);
                    else { free(buf); return fail(p, "bad \\u escape"); }
                }
                c = code < 0x80 ? (char)code : '?';
                break;
            }
            default:
                free(buf);
                return fail(p, "bad escape");
            }
        }
        if (n + 2 > cap) {
            char *bigger = realloc(buf, cap *= 2);
            if (!bigger) {
                free(buf);
                return fail(p, "out of memory");
            }
            buf = bigger;
        }
        buf[n++] = c;
    }
    buf[n] = '\0';
    *out = buf;
    return 0;
}

static int push(parser *p, jval *v, jval **kid)
{
    jval *bigger = realloc(v->kids, (v->n + 1) * sizeof *bigger);
    if (!bigger)
        return fail(p, "out of memory");
    v->kids = bigger;
    *kid = &v->kids[v->n++];
    memset(*kid, 0, sizeof **kid);
    return 0;
}

static int container(parser *p, jval *v, int depth, char close)
{
    v->type = close == ']' ? J_ARR : J_OBJ;
    p->i++;
    ws(p);
    if (p->s[p->i] == close) {
        p->i++;
        return 0;
    }
    for (;;) {
        jval *kid;
        char *key = NULL;
        ws(p);
        if (close == '}') {
            if (p->s[p->i] != '"' || string(p, &key))
                return fail(p, "expected a key");
            ws(p);
            if (p->s[p->i++] != ':') {
                free(key);
                return fail(p, "expected ':'");
            }
        }
        if (push(p, v, &kid)) {
            free(key);
            return -1;
        }
        kid->key = key;
        if (value(p, kid, depth + 1))
            return -1;
        ws(p);
        if (p->s[p->i] == ',') {
            p->i++;
            continue;
        }
        if (p->s[p->i] == close) {
            p->i++;
            return 0;
        }
        return fail(p, close == ']' ? "expected ',' or ']'" : "expected ',' or '}'");
    }
}

static int value(parser *p, jval *v, int depth)
{
    char c;
    if (depth > 64)
        return fail(p, "nested too deeply");
    ws(p);
    c = p->s[p->i];
    if (c == '{')
        return container(p, v, depth, '}');
    if (c == '[')
        return container(p, v, depth, ']');
    if (c == '"') {
        v->type = J_STR;
        return string(p, &v->str);
    }
    if (!strncmp(p->s + p->i, "true", 4) || !strncmp(p->s + p->i, "false", 5)) {
        v->type = J_BOOL;
        v->num = c == 't';
        p->i += c == 't' ? 4 : 5;
        return 0;
    }
    if (!strncmp(p->s + p->i, "null", 4)) {
        v->type = J_NULL;
        p->i += 4;
        return 0;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        char *end;
        v->type = J_NUM;
        v->num = strtod(p->s + p->i, &end);
        p->i = (size_t)(end - p->s);
        return 0;
    }
    return fail(p, "unexpected character");
}

jval *json_parse(const char *text, char *err, size_t errlen)
{
    parser p = {text, 0, NULL};
    jval *v = calloc(1, sizeof *v);
    if (!v) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (value(&p, v, 0) == 0) {
        ws(&p);
        if (p.s[p.i] != '\0')
            fail(&p, "trailing characters");
    }
    if (p.err) {
        snprintf(err, errlen, "%s at byte %zu", p.err, p.i);
        json_free(v);
        return NULL;
    }
    return v;
}

static void free_kids(jval *v)
{
    for (size_t k = 0; k < v->n; k++) {
        free_kids(&v->kids[k]);
        free(v->kids[k].key);
        free(v->kids[k].str);
    }
    free(v->kids);
}

void json_free(jval *v)
{
    if (!v)
        return;
    free_kids(v);
    free(v->str);
    free(v);
}

const jval *json_get(const jval *obj, const char *key)
{
    if (!obj || obj->type != J_OBJ)
        return NULL;
    for (size_t k = 0; k < obj->n; k++)
        if (obj->kids[k].key && !strcmp(obj->kids[k].key, key))
            return &obj->kids[k];
    return NULL;
}
