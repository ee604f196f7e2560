#include "json.h"

#include <stdio.h>
#include <string.h>

void json_init(struct json *j, char *buf, size_t cap)
{
    j->buf = buf;
    j->cap = cap;
    j->len = 0;
    j->overflow = cap == 0;
    j->need_comma = 0;
}

static void put(struct json *j, const char *s, size_t n)
{
    if (j->overflow || j->len + n + 1 > j->cap) {
        j->overflow = 1;
        return;
    }
    memcpy(j->buf + j->len, s, n);
    j->len += n;
}

static void puts_(struct json *j, const char *s) { put(j, s, strlen(s)); }

static void escaped(struct json *j, const char *s, size_t n)
{
    put(j, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            put(j, esc, 2);
        } else if (c < 0x20 || c == 0x7f) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            put(j, esc, 6);
        } else if (c == '<' || c == '>' || c == '&') {
            /* harmless in JSON, but never let a certificate field look like
             * markup if some page inlines the answer */
            snprintf(esc, sizeof esc, "\\u%04x", c);
            put(j, esc, 6);
        } else {
            put(j, (const char *)&s[i], 1);
        }
    }
    put(j, "\"", 1);
}

static void key(struct json *j, const char *k)
{
    if (j->need_comma)
        put(j, ",", 1);
    if (k) {
        escaped(j, k, strlen(k));
        put(j, ":", 1);
    }
    j->need_comma = 1;
}

void json_obj_open(struct json *j, const char *k)
{
    key(j, k);
    put(j, "{", 1);
    j->need_comma = 0;
}

void json_obj_close(struct json *j)
{
    put(j, "}", 1);
    j->need_comma = 1;
}

void json_arr_open(struct json *j, const char *k)
{
    key(j, k);
    put(j, "[", 1);
    j->need_comma = 0;
}

void json_arr_close(struct json *j)
{
    put(j, "]", 1);
    j->need_comma = 1;
}

void json_strn(struct json *j, const char *k, const char *v, size_t n)
{
    key(j, k);
    if (!v)
        puts_(j, "null");
    else
        escaped(j, v, n);
}

void json_str(struct json *j, const char *k, const char *v)
{
    json_strn(j, k, v, v ? strlen(v) : 0);
}

void json_int(struct json *j, const char *k, long long v)
{
    char num[24];
    key(j, k);
    snprintf(num, sizeof num, "%lld", v);
    puts_(j, num);
}

void json_bool(struct json *j, const char *k, int v)
{
    key(j, k);
    puts_(j, v ? "true" : "false");
}

void json_raw(struct json *j, const char *k, const char *raw)
{
    key(j, k);
    puts_(j, raw);
}

const char *json_finish(struct json *j)
{
    if (j->overflow)
        return NULL;
    j->buf[j->len] = '\0';
    return j->buf;
}
