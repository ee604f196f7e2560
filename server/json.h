/* json.h: writing JSON into a caller-owned buffer. A value that does not fit
 * sets `overflow` instead of truncating silently; the caller answers 500. */
#ifndef GH_JSON_H
#define GH_JSON_H

#include <stddef.h>
#include <stdint.h>

struct json {
    char *buf;
    size_t cap;
    size_t len;
    int overflow;
    int need_comma;
};

void json_init(struct json *j, char *buf, size_t cap);
void json_obj_open(struct json *j, const char *key);   /* key NULL inside arrays / at top */
void json_obj_close(struct json *j);
void json_arr_open(struct json *j, const char *key);
void json_arr_close(struct json *j);
void json_str(struct json *j, const char *key, const char *val);   /* val NULL -> null */
void json_strn(struct json *j, const char *key, const char *val, size_t n);
void json_int(struct json *j, const char *key, long long v);
void json_bool(struct json *j, const char *key, int v);
/* Append raw bytes (already valid JSON), e.g. a pre-rendered value. */
void json_raw(struct json *j, const char *key, const char *raw);
const char *json_finish(struct json *j);   /* NUL-terminates; NULL on overflow */

#endif
