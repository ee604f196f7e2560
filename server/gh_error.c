#include "gh_error.h"
#include "json.h"

#include <stdio.h>
#include <string.h>

void gh_error_clear(struct gh_error *err)
{
    if (err)
        memset(err, 0, sizeof *err);
}

int gh_error_set(struct gh_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

void gh_error_format(const struct gh_error *err, char *buf, size_t cap)
{
    size_t n = 0;
    if (cap == 0)
        return;
    buf[0] = '\0';
    if (err->file[0]) {
        if (err->line > 0)
            n += (size_t)snprintf(buf + n, cap - n, "%s:%d: ", err->file, err->line);
        else
            n += (size_t)snprintf(buf + n, cap - n, "%s: ", err->file);
    }
    if (n < cap && err->mapping[0])
        n += (size_t)snprintf(buf + n, cap - n, "map \"%s\": ", err->mapping);
    if (n < cap)
        snprintf(buf + n, cap - n, "%s", err->msg);
}

void gh_error_json(struct json *j, const struct gh_error *err, int nerrs)
{
    char line[400];
    gh_error_format(err, line, sizeof line);
    json_str(j, "error", line);
    json_str(j, "message", err->msg);
    if (err->line > 0)
        json_int(j, "line", err->line);
    else
        json_raw(j, "line", "null");
    json_str(j, "mapping", err->mapping[0] ? err->mapping : NULL);
    json_int(j, "errors", nerrs);
}
