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

/* '<', '>' and '&' are harmless in JSON, but a certificate field must never
 * look like markup if some page inlines the answer. */
#define ESCAPED_BELOW_64 \
    (0xffffffffull | 1ull << '"' | 1ull << '&' | 1ull << '<' | 1ull << '>') /* and controls */

static int needs_escape(unsigned char c)
{
    return c < 64 ? (int)(ESCAPED_BELOW_64 >> c & 1) : c == '\\' || c == 0x7f;
}

static void escaped(struct json *j, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    put(j, "\"", 1);
    for (size_t i = 0; i < n;) {
        size_t run = i;
        while (run < n && !needs_escape((unsigned char)s[run]))
            run++;
        put(j, s + i, run - i);   /* every request's answer: in runs, not bytes */
        if (run == n)
            break;
        unsigned char c = (unsigned char)s[run];
        char esc[6] = {'\\', (char)c};
        if (c == '"' || c == '\\') {
            put(j, esc, 2);
        } else {
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            put(j, esc, 6);
        }
        i = run + 1;
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
