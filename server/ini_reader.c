#include "ini_reader.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "ini.h"

#if !INI_HANDLER_LINENO || !INI_ALLOW_MULTILINE || !INI_USE_STACK
#error "inih must be built with INI_HANDLER_LINENO=1 INI_ALLOW_MULTILINE=1 INI_USE_STACK=1"
#endif

size_t gh_ini_max_line(void)
{
    /* inih's buffer holds the line, its '\n' and a NUL. */
    size_t inih = (size_t)INI_MAX_LINE - 2;
    size_t ours = (size_t)GH_INI_MAX_LINE - 1;
    return inih < ours ? inih : ours;
}

/* Length of the UTF-8 sequence at s (n bytes left), or 0 when it is not valid
 * UTF-8 (overlong forms, surrogates and values past U+10FFFF included). */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned min, cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2; min = 0x80; cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3; min = 0x800; cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4; min = 0x10000; cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

static int has_bom(const char *s, size_t n)
{
    return n >= 3 && (unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBB &&
           (unsigned char)s[2] == 0xBF;
}

/* Characters (not bytes) in s[0..n), as an editor counts columns. */
static int count_chars(const char *s, size_t n)
{
    int col = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            col++;
    return col;
}

/* The same scan as inih's ini_find_chars_or_comment(): stop at one of chars or
 * at an inline comment prefix that follows white space. */
static const char *find_chars_or_comment(const char *s, const char *chars)
{
    int was_space = 0;
#if INI_ALLOW_INLINE_COMMENTS
    while (*s && (!chars || !strchr(chars, *s)) &&
           !(was_space && strchr(INI_INLINE_COMMENT_PREFIXES, *s))) {
        was_space = isspace((unsigned char)*s);
        s++;
    }
#else
    (void)was_space;
    while (*s && (!chars || !strchr(chars, *s)))
        s++;
#endif
    return s;
}

/* Check the raw line; on a problem set r->problem (first one only) and write
 * a cleaned copy into out. Returns the number of bytes written. */
static size_t copy_checked(struct gh_ini_reader *r, const char *raw, size_t n, char *out,
                           size_t max)
{
    size_t o = 0;
    size_t i = 0;
    if (n > max) {
        snprintf(r->msg, sizeof r->msg, "line is %zu bytes long; the limit is %zu", n, max);
        r->problem = r->msg;
        r->too_long = 1;
        n = max;
    }
    while (i < n) {
        unsigned char c = (unsigned char)raw[i];
        size_t k = utf8_seq((const unsigned char *)raw + i, n - i);
        const char *what = NULL;
        if (c == '\0')
            what = "NUL byte";
        else if (c == '\r' && i + 1 == n)
            what = NULL; /* CRLF line end: inih strips it */
        else if ((c < 0x20 && c != '\t') || c == 0x7F)
            what = "control character";
        else if (k == 0)
            what = "invalid UTF-8";
        if (what) {
            if (!r->problem) {
                int col = count_chars(raw, i) + 1;
                if (r->line == 1 && has_bom(raw, n))
                    col--;
                if (c == '\0')
                    snprintf(r->msg, sizeof r->msg,
                             "NUL byte at character %d: this is not a text file", col);
                else if (k == 0 && c >= 0x80)
                    snprintf(r->msg, sizeof r->msg,
                             "invalid UTF-8 at character %d (byte 0x%02X): save the file as UTF-8",
                             col, c);
                else
                    snprintf(r->msg, sizeof r->msg, "%s 0x%02X at character %d", what, c, col);
                r->problem = r->msg;
            }
            out[o++] = '?';
            i++;
            continue;
        }
        if (k == 0)
            k = 1;
        memcpy(out + o, raw + i, k);
        o += k;
        i += k;
    }
    return o;
}

/* Classify the line in buf the way inih's ini_parse_stream() will read it. */
static void classify(struct gh_ini_reader *r, char *buf)
{
    const char *start = buf;
    const char *end;
#if INI_ALLOW_BOM
    if (r->line == 1 && has_bom(buf, strlen(buf)))
        start += 3;
#endif
    while (*start && isspace((unsigned char)*start))
        start++;
    if (*start == '\0' || strchr(INI_START_COMMENT_PREFIXES, *start)) {
        r->kind = *start ? GH_INI_COMMENT : GH_INI_BLANK;
        return;
    }
    if (r->prev_key && start > buf) {
        r->kind = GH_INI_CONTINUATION;
        return;
    }
    if (*start == '[') {
        end = find_chars_or_comment(start + 1, "]");
        if (*end != ']') {
            r->kind = GH_INI_BAD;
            if (!r->problem)
                r->problem = "section header has no closing ]";
            return;
        }
        r->kind = GH_INI_SECTION;
        r->prev_key = 0;
        r->section_line = r->line;
        r->section_len = (size_t)(end - (start + 1));
        {
            size_t k = r->section_len < GH_INI_SECTION_MAX ? r->section_len : GH_INI_SECTION_MAX;
            memcpy(r->section, start + 1, k);
            r->section[k] = '\0';
        }
        end++;
        while (*end && isspace((unsigned char)*end))
            end++;
        if (*end && *end != ';' && *end != '#' && !r->problem)
            r->problem = "text after the closing ] of the section header";
        return;
    }
    end = find_chars_or_comment(start, "=:");
    if (*end == '=' || *end == ':') {
        const char *e = end;
        while (e > start && isspace((unsigned char)e[-1]))
            e--;
        r->kind = GH_INI_KEY;
        r->prev_key = e > start;
        return;
    }
    r->kind = GH_INI_BAD;
    if (!r->problem)
        r->problem = r->prev_key
            ? "line is not `key = value`, a [section] or a comment (indent it if it continues the value above)"
            : "line is not `key = value`, a [section] or a comment";
}

/* The ini_reader: fgets() over the buffer, one physical line per call. */
static char *read_line(char *str, int num, void *stream)
{
    struct gh_ini_reader *r = stream;
    const char *raw, *nl;
    size_t n, max, room, o;

    if (r->pos >= r->len || num < 4)
        return NULL;
    raw = r->text + r->pos;
    nl = memchr(raw, '\n', r->len - r->pos);
    n = nl ? (size_t)(nl - raw) : r->len - r->pos;
    r->pos += n + (nl ? 1 : 0);
    r->line++;
    r->problem = NULL;
    r->too_long = 0;

    max = gh_ini_max_line();
    room = (size_t)num - 2;
    if (max > room)
        max = room;
    o = copy_checked(r, raw, n, str, max);
    str[o++] = '\n';
    str[o] = '\0';
    r->buf = str;

    classify(r, str);
    if (r->line_fn)
        r->line_fn(r->user, r);
    return str;
}

int gh_ini_column(const struct gh_ini_reader *r, const char *p)
{
    const char *b = r->buf;
    int col;
    if (!b || p < b)
        return 0;
    col = count_chars(b, (size_t)(p - b)) + 1;
    if (r->line == 1 && has_bom(b, strlen(b)))
        col--;
    return col;
}

int gh_ini_parse(struct gh_ini_reader *r, const char *text, size_t len,
                 gh_ini_line_fn line_fn, gh_ini_handler_fn handler, void *user)
{
    memset(r, 0, sizeof *r);
    r->text = text;
    r->len = len;
    r->line_fn = line_fn;
    r->user = user;
    return ini_parse_stream(read_line, r, handler, user);
}
