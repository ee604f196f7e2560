/* pkcs11_uri.c: RFC 7512 pkcs11: URIs (see pkcs11_uri.h). */
#include "pkcs11_uri.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WHERE "[keystore] server_key: "

enum part { PATH, QUERY };

enum kind {
    K_TEXT,        /* %-decoded text into a fixed field */
    K_ID,          /* %-decoded bytes */
    K_TYPE,
    K_SLOT_ID,
    K_VERSION,
    K_MODULE_PATH,
    K_PIN_SOURCE,
    K_PIN_VALUE,
};

struct attr {
    const char *name;
    enum part part;
    enum kind kind;
    unsigned bit;
    size_t off;    /* K_TEXT: the field in struct pkcs11_uri */
    size_t cap;    /* K_TEXT: its size, NUL included */
};

#define TEXT(n, p, b, f) {n, p, K_TEXT, b, offsetof(struct pkcs11_uri, f), sizeof ((struct pkcs11_uri *)0)->f}

static const struct attr attrs[] = {
    TEXT("token", PATH, P11_TOKEN, token),
    TEXT("manufacturer", PATH, P11_MANUFACTURER, manufacturer),
    TEXT("model", PATH, P11_MODEL, model),
    TEXT("serial", PATH, P11_SERIAL, serial),
    TEXT("object", PATH, P11_OBJECT, object),
    {"id", PATH, K_ID, P11_ID, 0, 0},
    {"type", PATH, K_TYPE, P11_TYPE, 0, 0},
    {"slot-id", PATH, K_SLOT_ID, P11_SLOT_ID, 0, 0},
    TEXT("slot-description", PATH, P11_SLOT_DESCRIPTION, slot_description),
    TEXT("slot-manufacturer", PATH, P11_SLOT_MANUFACTURER, slot_manufacturer),
    TEXT("library-manufacturer", PATH, P11_LIBRARY_MANUFACTURER, library_manufacturer),
    TEXT("library-description", PATH, P11_LIBRARY_DESCRIPTION, library_description),
    {"library-version", PATH, K_VERSION, P11_LIBRARY_VERSION, 0, 0},
    {"module-path", QUERY, K_MODULE_PATH, P11_MODULE_PATH, 0, 0},
    TEXT("module-name", QUERY, P11_MODULE_NAME, module_name),
    {"pin-source", QUERY, K_PIN_SOURCE, P11_PIN_SOURCE, 0, 0},
    {"pin-value", QUERY, K_PIN_VALUE, 0, 0, 0},
};

static const struct attr *find_attr(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++)
        if (strlen(attrs[i].name) == len && memcmp(attrs[i].name, name, len) == 0)
            return &attrs[i];
    return NULL;
}

/* RFC 7512 pk11-pchar / pk11-qchar without pct-encoded. */
static int plain_char_ok(unsigned char c, enum part part)
{
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
        return 1;
    if (c && strchr("-._~:[]@!$'()*+,=", c))
        return 1;
    if (part == PATH)
        return c == '&';
    return c == '/' || c == '?' || c == '|';
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* %-decode s[0..n) (which starts at URI position pos, 0-based) into out. */
static int decode(const char *s, size_t n, size_t pos, enum part part, const char *name,
                  unsigned char *out, size_t cap, size_t *len, struct gh_error *err)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            int hi = i + 2 < n ? hexval(s[i + 1]) : -1;
            int lo = i + 2 < n ? hexval(s[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return gh_error_set(err, GH_E_INVALID,
                                    WHERE "%s: `%%` at character %zu must start two hex digits (write %%25 for a %%)",
                                    name, pos + i + 1);
            c = (unsigned char)(hi * 16 + lo);
            i += 2;
        } else if (!plain_char_ok(c, part)) {
            if (c == ' ')
                return gh_error_set(err, GH_E_INVALID,
                                    WHERE "%s: a space at character %zu must be written %%20 (RFC 7512)",
                                    name, pos + i + 1);
            if (c > 0x20 && c < 0x7f)
                return gh_error_set(err, GH_E_INVALID,
                                    WHERE "%s: `%c` at character %zu must be written %%%02X (RFC 7512)",
                                    name, c, pos + i + 1, c);
            return gh_error_set(err, GH_E_INVALID,
                                WHERE "%s: byte 0x%02X at character %zu must be written %%%02X (RFC 7512)",
                                name, c, pos + i + 1, c);
        }
        if (k == cap)
            return gh_error_set(err, GH_E_CAPACITY, WHERE "%s is longer than %zu bytes", name, cap);
        out[k++] = c;
    }
    *len = k;
    return 0;
}

/* Decoded text: no NUL inside, fits cap including its terminator. */
static int decode_text(const char *s, size_t n, size_t pos, enum part part, const char *name,
                       char *out, size_t cap, struct gh_error *err)
{
    size_t len = 0;
    int rc = decode(s, n, pos, part, name, (unsigned char *)out, cap - 1, &len, err);
    if (rc)
        return rc;
    if (memchr(out, '\0', len))
        return gh_error_set(err, GH_E_INVALID, WHERE "%s must not contain %%00", name);
    out[len] = '\0';
    return 0;
}

static int parse_ulong(const char *s, unsigned long max, unsigned long *v)
{
    char *end;
    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    unsigned long x = strtoul(s, &end, 10);
    if (errno || *end || x > max)
        return -1;
    *v = x;
    return 0;
}

static int set_version(struct pkcs11_uri *u, const char *v, struct gh_error *err)
{
    char major[8] = "", minor[8] = "0";
    const char *dot = strchr(v, '.');
    size_t ml = dot ? (size_t)(dot - v) : strlen(v);
    unsigned long a, b;
    if (ml >= sizeof major || (dot && strlen(dot + 1) >= sizeof minor))
        goto bad;
    memcpy(major, v, ml);
    major[ml] = '\0';
    if (dot)
        snprintf(minor, sizeof minor, "%s", dot + 1);
    if (parse_ulong(major, 255, &a) || parse_ulong(minor, 255, &b))
        goto bad;
    u->library_major = (unsigned char)a;
    u->library_minor = (unsigned char)b;
    return 0;
bad:
    return gh_error_set(err, GH_E_INVALID, WHERE "library-version `%s`: expected MAJOR or MAJOR.MINOR (0-255)", v);
}

static int set_pin_source(struct pkcs11_uri *u, const char *v, struct gh_error *err)
{
    const char *path = v;
    if (v[0] == '|')
        return gh_error_set(err, GH_E_INVALID,
                            WHERE "pin-source `%s`: running a program for the PIN is not supported; use pin-source=file:NAME",
                            v);
    if (strncmp(v, "file:", 5) == 0) {
        path = v + 5;
        if (strncmp(path, "//", 2) == 0) {
            const char *host = path + 2, *slash = strchr(host, '/');
            size_t hl = slash ? (size_t)(slash - host) : strlen(host);
            if (!slash || (hl && !(hl == 9 && strncmp(host, "localhost", 9) == 0)))
                return gh_error_set(err, GH_E_INVALID,
                                    WHERE "pin-source `%s`: a file: URI names a local file (file:NAME, file:/PATH)", v);
            path = slash;
        }
    } else {
        const char *colon = strchr(v, ':'), *slash = strchr(v, '/');
        if (colon && (!slash || colon < slash))
            return gh_error_set(err, GH_E_INVALID,
                                WHERE "pin-source `%s`: only file: is supported (pin-source=file:pin.txt)", v);
    }
    if (!*path)
        return gh_error_set(err, GH_E_INVALID, WHERE "pin-source `%s` names no file", v);
    u->pin_file_relative = path[0] != '/';
    if (u->pin_file_relative && strchr(path, '/'))
        return gh_error_set(err, GH_E_INVALID,
                            WHERE "pin-source `%s`: a relative name is a file in the flash folder (no `/`); give an absolute path for a file elsewhere",
                            v);
    if (strlen(path) >= sizeof u->pin_file)
        return gh_error_set(err, GH_E_CAPACITY, WHERE "pin-source is longer than %zu bytes",
                            sizeof u->pin_file - 1);
    snprintf(u->pin_file, sizeof u->pin_file, "%s", path);
    return 0;
}

static int parse_attr(struct pkcs11_uri *u, const char *text, const char *s, size_t n,
                      enum part part, struct gh_error *err)
{
    size_t pos = (size_t)(s - text);
    const char *eq = memchr(s, '=', n);
    const struct attr *a;
    char value[GH_PATH_MAX];
    if (n == 0)
        return gh_error_set(err, GH_E_INVALID, WHERE "empty attribute at character %zu (stray `%c`?)",
                            pos + 1, part == PATH ? ';' : '&');
    if (!eq)
        return gh_error_set(err, GH_E_INVALID, WHERE "`%.*s` at character %zu: expected NAME=VALUE",
                            (int)(n > 40 ? 40 : n), s, pos + 1);
    size_t nl = (size_t)(eq - s), vl = n - nl - 1;
    a = find_attr(s, nl);
    if (!a) {
        if (nl >= 2 && strncmp(s, "x-", 2) == 0)
            return gh_error_set(err, GH_E_INVALID,
                                WHERE "vendor attribute `%.*s` is not supported (it could select another key)",
                                (int)(nl > 40 ? 40 : nl), s);
        return gh_error_set(err, GH_E_INVALID, WHERE "unknown attribute `%.*s` (RFC 7512)",
                            (int)(nl > 40 ? 40 : nl), s);
    }
    if (a->kind == K_PIN_VALUE)
        return gh_error_set(err, GH_E_INVALID,
                            WHERE "pin-value is refused: a PIN never goes into gatehouse.ini; write it to a file and use pin-source=file:pin.txt");
    if (a->part != part)
        return gh_error_set(err, GH_E_INVALID, WHERE "%s belongs %s the `?`", a->name,
                            a->part == PATH ? "before" : "after");
    if (u->given & a->bit)
        return gh_error_set(err, GH_E_INVALID, WHERE "%s is given twice", a->name);
    u->given |= a->bit;
    if (vl == 0)
        return gh_error_set(err, GH_E_INVALID, WHERE "%s has no value", a->name);

    const char *vs = eq + 1;
    size_t vpos = pos + nl + 1;
    int rc;
    switch (a->kind) {
    case K_TEXT:
        return decode_text(vs, vl, vpos, part, a->name, (char *)u + a->off, a->cap, err);
    case K_ID:
        return decode(vs, vl, vpos, part, a->name, u->id, sizeof u->id, &u->id_len, err);
    default:
        break;
    }
    rc = decode_text(vs, vl, vpos, part, a->name, value, sizeof value, err);
    if (rc)
        return rc;
    switch (a->kind) {
    case K_TYPE:
        if (strcmp(value, "private") == 0)
            return 0;
        if (!strcmp(value, "public") || !strcmp(value, "cert") || !strcmp(value, "secret-key") ||
            !strcmp(value, "data"))
            return gh_error_set(err, GH_E_INVALID,
                                WHERE "type=%s: the server key must be a private key (type=private, or leave type out)",
                                value);
        return gh_error_set(err, GH_E_INVALID,
                            WHERE "type `%s`: expected private, public, cert, secret-key or data", value);
    case K_SLOT_ID:
        if (parse_ulong(value, ULONG_MAX, &u->slot_id))
            return gh_error_set(err, GH_E_INVALID, WHERE "slot-id `%s`: expected a decimal number", value);
        return 0;
    case K_VERSION:
        return set_version(u, value, err);
    case K_MODULE_PATH:
        if (value[0] != '/')
            return gh_error_set(err, GH_E_INVALID,
                                WHERE "module-path `%s` must be an absolute path (a module is never loaded from the flash folder)",
                                value);
        snprintf(u->module_path, sizeof u->module_path, "%s", value);
        return 0;
    case K_PIN_SOURCE:
        return set_pin_source(u, value, err);
    default:
        return gh_error_set(err, GH_E_INTERNAL, WHERE "attribute %s not handled", a->name);
    }
}

static int parse_list(struct pkcs11_uri *u, const char *text, const char *s, size_t n,
                      enum part part, struct gh_error *err)
{
    char sep = part == PATH ? ';' : '&';
    const char *end = s + n;
    if (n == 0)
        return 0;
    for (;;) {
        const char *e = memchr(s, sep, (size_t)(end - s));
        if (!e)
            e = end;
        int rc = parse_attr(u, text, s, (size_t)(e - s), part, err);
        if (rc)
            return rc;
        if (e == end)
            return 0;
        s = e + 1;
        if (s == end)   /* a trailing separator: an empty attribute */
            return parse_attr(u, text, s, 0, part, err);
    }
}

int pkcs11_uri_parse(const char *text, struct pkcs11_uri *u, struct gh_error *err)
{
    memset(u, 0, sizeof *u);
    if (strncasecmp(text, "pkcs11:", 7) != 0)
        return gh_error_set(err, GH_E_INVALID, WHERE "a PKCS#11 URI starts with `pkcs11:`");
    const char *path = text + 7;
    const char *hash = strchr(path, '#');
    if (hash)
        return gh_error_set(err, GH_E_INVALID,
                            WHERE "`#` at character %zu must be written %%23 (RFC 7512 URIs have no fragment)",
                            (size_t)(hash - text) + 1);
    const char *q = strchr(path, '?');
    size_t plen = q ? (size_t)(q - path) : strlen(path);
    int rc = parse_list(u, text, path, plen, PATH, err);
    if (rc == 0 && q)
        rc = parse_list(u, text, q + 1, strlen(q + 1), QUERY, err);
    return rc;
}

int pkcs11_uri_field_matches(const unsigned char *field, size_t width, const char *value)
{
    size_t n = strlen(value);
    if (n > width || memcmp(field, value, n) != 0)
        return 0;
    for (size_t i = n; i < width; i++)
        if (field[i] != ' ')
            return 0;
    return 1;
}

void pkcs11_uri_field_text(const unsigned char *field, size_t width, char *out, size_t cap)
{
    size_t n = width;
    if (cap == 0)
        return;
    while (n > 0 && (field[n - 1] == ' ' || field[n - 1] == '\0'))
        n--;
    if (n >= cap)
        n = cap - 1;
    memcpy(out, field, n);
    out[n] = '\0';
}
