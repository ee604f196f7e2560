/* gh_error.h: how a module reports a problem to a person.
 *
 * Functions return 0 or a negative GH_E* code; the words for the user go into a
 * caller-owned gh_error. Only main() prints and exits. */
#ifndef GH_ERROR_H
#define GH_ERROR_H

#include <stdarg.h>
#include <stddef.h>

#include "budget.h"

enum {
    GH_OK = 0,
    GH_E_INVALID = -1,   /* the input is wrong: see msg */
    GH_E_CAPACITY = -2,  /* the input is well-formed but over a budget.h limit */
    GH_E_IO = -3,        /* a file could not be read or written */
    GH_E_NOMEM = -4,     /* a fixed pool is exhausted right now */
    GH_E_INTERNAL = -5,  /* a library refused something it should not have */
    GH_E_NOTFOUND = -6,  /* the named thing does not exist (a file not in flash) */
    GH_E_BUSY = -7,      /* another change holds what this one needs: try again */
};

struct gh_error {
    char file[64];                    /* "certmap.ini", or "" when not from a file */
    int line;                         /* 1-based; 0 when not about a line */
    char mapping[GH_MAP_NAME_MAX + 1]; /* "" when not inside a mapping */
    char msg[512];                    /* room for a path or two (a module, a PIN file) */
};

/* Fill err (if not NULL) and return code. msg is printf-style. */
int gh_error_set(struct gh_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void gh_error_clear(struct gh_error *err);

/* "FILE:LINE: map "NAME": msg" (the parts that are set), into buf. */
void gh_error_format(const struct gh_error *err, char *buf, size_t cap);

/* The members of a 400 answer for a refused upload, into an open JSON object:
 * "error" (the formatted line), "message", "line" (null when none),
 * "mapping" (null when none) and "errors" (how many were found). */
struct json;
void gh_error_json(struct json *j, const struct gh_error *err, int nerrs);

#endif
