/* ini_reader.h: hands a text buffer to inih one physical line at a time.
 *
 * inih (built with INI_MAX_LINE, INI_ALLOW_MULTILINE, inline `;` comments)
 * parses what it is given, but on its own it cuts long lines and section names
 * (49 bytes) silently, stops at NUL bytes, and says nothing about control
 * characters or broken UTF-8. gh_ini_parse() feeds inih through
 * ini_parse_stream() with a reader that sees every line first: it checks the
 * line, classifies it exactly as inih will (so the caller knows a continuation
 * line from a key line), keeps the whole text of the last [section] header, and
 * tells the caller about each line before inih's handler runs for it. A line
 * with a problem is still handed on, cut to size with bad bytes replaced by
 * '?', so the keys after it keep their line numbers and their meaning.
 *
 * Used for certmap.ini (gatehouse.ini and settings.ini have readers of their
 * own, in settings.c and devsettings.c, still to be folded into this one). */
#ifndef GH_INI_READER_H
#define GH_INI_READER_H

#include <stddef.h>

#include "budget.h"

enum gh_ini_kind {
    GH_INI_BLANK,        /* empty, or white space only */
    GH_INI_COMMENT,      /* starts with ';' or '#' */
    GH_INI_SECTION,      /* [section] */
    GH_INI_KEY,          /* key = value (or key: value, inih accepts both) */
    GH_INI_CONTINUATION, /* indented line after a key: more of that key's value */
    GH_INI_BAD,          /* none of the above; inih will not call the handler */
};

struct gh_ini_reader;

/* Called once per physical line, before inih's handler sees it. r->problem is
 * NULL or a message about the line ("control character 0x07 at character 12"). */
typedef void (*gh_ini_line_fn)(void *user, const struct gh_ini_reader *r);

/* inih's handler type with INI_HANDLER_LINENO=1 (which Gatehouse requires). */
typedef int (*gh_ini_handler_fn)(void *user, const char *section, const char *name,
                                 const char *value, int lineno);

struct gh_ini_reader {
    /* the input */
    const char *text;
    size_t len;
    size_t pos;
    /* the line last handed to inih */
    int line;                    /* 1-based physical line number */
    int kind;                    /* enum gh_ini_kind */
    const char *problem;         /* NULL, or what is wrong with it */
    int too_long;                /* the problem is the line's length (a capacity) */
    const char *buf;             /* inih's copy of it: handler values point in here */
    /* the last [section] header: its whole text between '[' and ']' */
    char section[GH_INI_SECTION_MAX + 1];
    size_t section_len;          /* may exceed GH_INI_SECTION_MAX: then truncated */
    int section_line;
    /* private */
    int prev_key;                /* mirrors inih's prev_name */
    char msg[96];
    gh_ini_line_fn line_fn;
    void *user;
};

/* Parse text (len bytes, need not be NUL-terminated) with inih. line_fn (may be
 * NULL) is called for every line, handler as inih calls it: for every key line,
 * every continuation line (name = the key continued) and every section header
 * (name = value = NULL). Returns inih's result: 0, or the first line inih
 * itself found wrong; the caller's own messages are what users should see. */
int gh_ini_parse(struct gh_ini_reader *r, const char *text, size_t len,
                 gh_ini_line_fn line_fn, gh_ini_handler_fn handler, void *user);

/* 1-based character (not byte) position of p, a pointer into the current line
 * as inih handed it to the handler, counted as an editor shows columns. */
int gh_ini_column(const struct gh_ini_reader *r, const char *p);

/* Longest line the reader accepts, in bytes before its end of line. */
size_t gh_ini_max_line(void);

#endif
