#include "devsettings.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#define INI_NAME "settings.ini"
#define INI_LINE_MAX 1024   /* longest line of settings.ini (a value is <= 512 bytes) */

enum field { F_HOSTNAME, F_LOCATION, F_CONTACT, F_SYSLOG, F_NTP, F_COUNT };

/* JSON name, then settings.ini key */
static const char *const json_names[F_COUNT] = {"hostname", "location", "contact",
                                                "syslog_server", "ntp_servers"};
static const char *const ini_keys[F_COUNT] = {"hostname", "location", "contact",
                                              "syslog_server", "ntp_server"};

void devset_defaults(struct devsettings *s)
{
    memset(s, 0, sizeof *s);
    snprintf(s->hostname, sizeof s->hostname, "gatehouse");
}

/* ---- value checks ---- */

static int is_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* A character as people read it in a message: 'x', or its code. */
static void show_char(unsigned char c, char out[8])
{
    if (c > 0x20 && c < 0x7f)
        snprintf(out, 8, "'%c'", c);
    else
        snprintf(out, 8, "0x%02x", c);
}

int devset_check_hostname(const char *name, struct gh_error *err)
{
    size_t len = strlen(name);
    if (len == 0)
        return gh_error_set(err, GH_E_INVALID, "is empty");
    if (len > GH_DEVSET_HOSTNAME_MAX)
        return gh_error_set(err, GH_E_INVALID, "is %zu characters long; a host name has at most %d",
                            len, GH_DEVSET_HOSTNAME_MAX);
    const char *label = name;
    int all_digits = 1;
    for (size_t i = 0; i <= len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c == '.' || c == '\0') {
            size_t n = (size_t)(name + i - label);
            if (n == 0)
                return gh_error_set(err, GH_E_INVALID,
                                    "has an empty label (a dot at the start or end, or two in a row)");
            if (n > 63)
                return gh_error_set(err, GH_E_INVALID,
                                    "has a label of %zu characters (\"%.16s...\"); a label has at most 63",
                                    n, label);
            if (label[0] == '-' || label[n - 1] == '-')
                return gh_error_set(err, GH_E_INVALID,
                                    "has a label that starts or ends with '-' (\"%.*s\")",
                                    (int)(n > 63 ? 63 : n), label);
            if (c == '\0')
                break;
            label = name + i + 1;
            all_digits = 1;
            continue;
        }
        if (!is_alnum(c) && c != '-') {
            char shown[8];
            show_char(c, shown);
            return gh_error_set(err, GH_E_INVALID,
                                "holds %s at character %zu; a host name has only letters, digits, "
                                "'-' and dots",
                                shown, i + 1);
        }
        if (!(c >= '0' && c <= '9'))
            all_digits = 0;
    }
    /* "10.0.0.256" must not pass as a name because it fails as an address */
    if (all_digits)
        return gh_error_set(err, GH_E_INVALID,
                            "ends in an all-numeric label, so it is neither a host name nor a "
                            "valid IPv4 address");
    return 0;
}

static int looks_numeric(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || s[i] == '.'))
            return 0;
    return 1;
}

static int check_port(const char *p, struct gh_error *err)
{
    size_t n = strlen(p);
    unsigned long v = 0;
    if (n == 0 || n > 5 || p[0] == '0')
        return gh_error_set(err, GH_E_INVALID, "has a bad port \"%.8s\"; a port is 1 to 65535", p);
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return gh_error_set(err, GH_E_INVALID, "has a bad port \"%.8s\"; a port is 1 to 65535", p);
        v = v * 10 + (unsigned long)(p[i] - '0');
    }
    if (v > 65535)
        return gh_error_set(err, GH_E_INVALID, "has port %lu; a port is 1 to 65535", v);
    return 0;
}

/* A host name or an IPv4 address (no port, no brackets). */
static int check_host(const char *h, struct gh_error *err)
{
    unsigned char a4[4];
    if (looks_numeric(h, strlen(h)) && strchr(h, '.')) {
        if (inet_pton(AF_INET, h, a4) == 1)
            return 0;
        return gh_error_set(err, GH_E_INVALID, "\"%.40s\" is not a valid IPv4 address", h);
    }
    return devset_check_hostname(h, err);
}

int devset_check_server(const char *server, int with_port, struct gh_error *err)
{
    char host[GH_DEVSET_SERVER_MAX + 1];
    unsigned char a6[16];
    size_t len = strlen(server);
    if (len == 0)
        return gh_error_set(err, GH_E_INVALID, "is empty");
    if (len > GH_DEVSET_SERVER_MAX)
        return gh_error_set(err, GH_E_INVALID, "is %zu characters long; at most %d", len,
                            GH_DEVSET_SERVER_MAX);

    if (server[0] == '[') {
        const char *close = strchr(server, ']');
        if (!close)
            return gh_error_set(err, GH_E_INVALID, "opens '[' for an IPv6 address but never closes it");
        size_t n = (size_t)(close - server - 1);
        memcpy(host, server + 1, n);
        host[n] = '\0';
        if (inet_pton(AF_INET6, host, a6) != 1)
            return gh_error_set(err, GH_E_INVALID, "\"%.46s\" is not a valid IPv6 address", host);
        if (close[1] == '\0')
            return 0;
        if (close[1] != ':')
            return gh_error_set(err, GH_E_INVALID, "has text after the ']' that is not \":port\"");
        if (!with_port)
            return gh_error_set(err, GH_E_INVALID, "has a port; give the server without one");
        return check_port(close + 2, err);
    }

    const char *colon = strchr(server, ':');
    if (colon && strchr(colon + 1, ':')) {
        if (inet_pton(AF_INET6, server, a6) == 1)
            return 0;
        return gh_error_set(err, GH_E_INVALID,
                            "is not a valid IPv6 address (with a port, write [address]:port)");
    }
    if (colon) {
        if (!with_port)
            return gh_error_set(err, GH_E_INVALID, "has a port; give the server without one");
        size_t n = (size_t)(colon - server);
        memcpy(host, server, n);
        host[n] = '\0';
        int rc = check_host(host, err);
        return rc ? rc : check_port(colon + 1, err);
    }
    return check_host(server, err);
}

/* The next UTF-8 character of s[0..len) at *i: its code point, or -1 when the
 * bytes are not UTF-8 (bad lead, missing continuation, overlong, surrogate,
 * past U+10FFFF). */
static long utf8_next(const unsigned char *s, size_t len, size_t *i)
{
    unsigned char c = s[*i];
    long cp;
    int more;
    if (c < 0x80) {
        (*i)++;
        return c;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        cp = c & 0x1f;
        more = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
        cp = c & 0x0f;
        more = 2;
    } else if (c >= 0xf0 && c <= 0xf4) {
        cp = c & 0x07;
        more = 3;
    } else {
        return -1;
    }
    if (*i + (size_t)more >= len)
        return -1;
    for (int k = 1; k <= more; k++) {
        unsigned char d = s[*i + (size_t)k];
        if ((d & 0xc0) != 0x80)
            return -1;
        cp = (cp << 6) | (d & 0x3f);
    }
    if ((more == 2 && cp < 0x800) || (more == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return -1;
    *i += (size_t)more + 1;
    return cp;
}

/* Characters a person cannot see that change how text around them reads. */
static int invisible(long cp)
{
    return cp == 0x2028 || cp == 0x2029 || (cp >= 0x202a && cp <= 0x202e) ||
           (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e || cp == 0x200f || cp == 0xfeff ||
           cp == 0xfffe || cp == 0xffff;
}

int devset_check_text(const char *text, size_t len, struct gh_error *err)
{
    size_t i = 0, chars = 0;
    const unsigned char *s = (const unsigned char *)text;
    while (i < len) {
        size_t at = i;
        long cp = utf8_next(s, len, &i);
        chars++;
        if (cp < 0)
            return gh_error_set(err, GH_E_INVALID, "is not valid UTF-8 (at byte %zu)", at + 1);
        if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f))
            return gh_error_set(err, GH_E_INVALID, "holds the control character U+%04lX at character %zu",
                                (unsigned long)cp, chars);
        if (invisible(cp))
            return gh_error_set(err, GH_E_INVALID,
                                "holds the invisible formatting character U+%04lX at character %zu",
                                (unsigned long)cp, chars);
    }
    if (chars > GH_DEVSET_TEXT_CHARS)
        return gh_error_set(err, GH_E_INVALID, "is %zu characters long; at most %d", chars,
                            GH_DEVSET_TEXT_CHARS);
    return 0;
}

/* ---- one field's value: checked and stored ---- */

static void trim(char *s)
{
    size_t n = strlen(s), a = 0;
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    while (s[a] == ' ' || s[a] == '\t')
        a++;
    if (a)
        memmove(s, s + a, n - a + 1);
}

/* Check v (NUL-terminated, trimmed by the caller) for field f and store it.
 * For F_NTP, appends one server. */
static int set_field(struct devsettings *s, int f, const char *v, struct gh_error *err)
{
    int rc;
    size_t len = strlen(v);
    switch (f) {
    case F_HOSTNAME:
        if ((rc = devset_check_hostname(v, err)) != 0)
            return rc;
        memcpy(s->hostname, v, len + 1);
        return 0;
    case F_LOCATION:
    case F_CONTACT: {
        char *dst = f == F_LOCATION ? s->location : s->contact;
        if ((rc = devset_check_text(v, len, err)) != 0)
            return rc;
        if (len > DEVSET_TEXT_BYTES)
            return gh_error_set(err, GH_E_INVALID, "is longer than %d characters", GH_DEVSET_TEXT_CHARS);
        memcpy(dst, v, len + 1);
        return 0;
    }
    case F_SYSLOG:
        /* empty: no remote syslog */
        if (len && (rc = devset_check_server(v, 1, err)) != 0)
            return rc;
        memcpy(s->syslog_server, v, len + 1);
        return 0;
    case F_NTP:
        if (s->ntp_count >= GH_DEVSET_NTP_MAX)
            return gh_error_set(err, GH_E_INVALID, "lists more than %d servers", GH_DEVSET_NTP_MAX);
        if ((rc = devset_check_server(v, 0, err)) != 0)
            return rc;
        for (int i = 0; i < s->ntp_count; i++)
            if (strcmp(s->ntp_servers[i], v) == 0)
                return gh_error_set(err, GH_E_INVALID, "lists \"%.64s\" twice", v);
        memcpy(s->ntp_servers[s->ntp_count++], v, len + 1);
        return 0;
    default:
        return gh_error_set(err, GH_E_INTERNAL, "unknown field");
    }
}

/* Prefix err->msg with the field's name: "hostname: is empty". */
static int name_error(struct gh_error *err, const char *name, int rc)
{
    if (err) {
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s: %s", name, err->msg);
        memcpy(err->msg, msg, sizeof msg);
    }
    return rc;
}

/* ---- settings.ini ---- */

static int ini_fail(struct gh_error *err, int line, int rc)
{
    if (err) {
        snprintf(err->file, sizeof err->file, "%s", INI_NAME);
        err->line = line;
    }
    return rc;
}

int devset_parse_ini(struct devsettings *s, const char *text, size_t len, struct gh_error *err)
{
    char buf[INI_LINE_MAX + 1];
    int seen[F_COUNT] = {0};
    int in_section = 0, line = 0;
    size_t pos = 0;

    devset_defaults(s);
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
        pos = 3;
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
        line++;
        if (n > INI_LINE_MAX)
            return ini_fail(err, line, gh_error_set(err, GH_E_CAPACITY,
                                                    "line is longer than %d bytes", INI_LINE_MAX));
        memcpy(buf, text + pos, n);
        buf[n] = '\0';
        pos += n + (nl ? 1 : 0);
        if (memchr(buf, '\0', n))
            return ini_fail(err, line, gh_error_set(err, GH_E_INVALID, "holds a NUL byte"));
        if (n && buf[n - 1] == '\r')
            buf[n - 1] = '\0';
        trim(buf);
        if (buf[0] == '\0' || buf[0] == ';' || buf[0] == '#')
            continue;
        if (buf[0] == '[') {
            if (strcmp(buf, "[settings]") != 0)
                return ini_fail(err, line, gh_error_set(err, GH_E_INVALID,
                                "unknown section %.40s (the file has one section, [settings])", buf));
            in_section = 1;
            continue;
        }
        char *eq = strchr(buf, '=');
        if (!eq)
            return ini_fail(err, line, gh_error_set(err, GH_E_INVALID, "expected `key = value`"));
        if (!in_section)
            return ini_fail(err, line, gh_error_set(err, GH_E_INVALID,
                                                    "a key before the [settings] section"));
        *eq = '\0';
        char *key = buf, *val = eq + 1;
        trim(key);
        trim(val);
        int f = -1;
        for (int i = 0; i < F_COUNT; i++)
            if (strcmp(key, ini_keys[i]) == 0)
                f = i;
        if (f < 0)
            return ini_fail(err, line, gh_error_set(err, GH_E_INVALID, "unknown key `%.40s`", key));
        if (f != F_NTP && seen[f])
            return ini_fail(err, line, gh_error_set(err, GH_E_INVALID, "`%s` is given twice", key));
        seen[f] = 1;
        if (f == F_NTP && !val[0])
            continue;   /* `ntp_server =`: none */
        int rc = set_field(s, f, val, err);
        if (rc)
            return ini_fail(err, line, name_error(err, key, rc));
    }
    return 0;
}

/* "key = value\n", or "key =\n" for an empty value, at buf + *n. */
static int put_line(char *buf, size_t cap, size_t *n, const char *key, const char *value)
{
    int w = snprintf(buf + *n, cap - *n, "%s =%s%s\n", key, value[0] ? " " : "", value);
    if (w < 0 || (size_t)w >= cap - *n)
        return -1;
    *n += (size_t)w;
    return 0;
}

int devset_render_ini(const struct devsettings *s, char *buf, size_t cap, size_t *len,
                      struct gh_error *err)
{
    static const char head[] =
        "; settings.ini: the device's operational settings, written by Gatehouse\n"
        "; (PUT /api/settings). A value runs to the end of its line.\n"
        "[settings]\n";
    size_t n = sizeof head - 1;
    int bad = n >= cap;
    if (!bad)
        memcpy(buf, head, n);
    bad = bad || put_line(buf, cap, &n, ini_keys[F_HOSTNAME], s->hostname) ||
          put_line(buf, cap, &n, ini_keys[F_LOCATION], s->location) ||
          put_line(buf, cap, &n, ini_keys[F_CONTACT], s->contact) ||
          put_line(buf, cap, &n, ini_keys[F_SYSLOG], s->syslog_server);
    for (int i = 0; !bad && i < s->ntp_count; i++)
        bad = put_line(buf, cap, &n, ini_keys[F_NTP], s->ntp_servers[i]);
    if (bad)
        return gh_error_set(err, GH_E_CAPACITY, "settings.ini does not fit %zu bytes", cap);
    *len = n;
    return 0;
}

void devset_to_json(const struct devsettings *s, struct json *j)
{
    json_str(j, "hostname", s->hostname);
    json_str(j, "location", s->location);
    json_str(j, "contact", s->contact);
    json_str(j, "syslog_server", s->syslog_server);
    json_arr_open(j, "ntp_servers");
    for (int i = 0; i < s->ntp_count; i++)
        json_str(j, NULL, s->ntp_servers[i]);
    json_arr_close(j);
}

/* ---- the PUT body: one flat JSON object ---- */

struct jp {
    const unsigned char *start, *p, *end;
    struct gh_error *err;
};

static void jp_ws(struct jp *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static int jp_syntax(struct jp *j, const char *what)
{
    if (j->p >= j->end)
        return gh_error_set(j->err, GH_E_INVALID, "the JSON ends too early (%s)", what);
    char shown[8];
    show_char(*j->p, shown);
    return gh_error_set(j->err, GH_E_INVALID, "bad JSON at byte %zu: %s, found %s",
                        (size_t)(j->p - j->start) + 1, what, shown);
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int jp_hex4(struct jp *j, long *v)
{
    if (j->end - j->p < 4)
        return -1;
    *v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(j->p[i]);
        if (h < 0)
            return -1;
        *v = *v * 16 + h;
    }
    j->p += 4;
    return 0;
}

static size_t put_utf8(char *o, long cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xc0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xe0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    o[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* A JSON string at j->p (on its opening quote) into out, NUL-terminated.
 * GH_E_CAPACITY when it is longer than cap - 1 bytes (the rest is skipped so
 * the caller can name the field), GH_E_INVALID for bad JSON. */
static int jp_string(struct jp *j, char *out, size_t cap, size_t *outlen)
{
    size_t n = 0;
    int over = 0;
    j->p++;
    for (;;) {
        char tmp[4];
        size_t k;
        if (j->p >= j->end)
            return jp_syntax(j, "a string is not closed");
        unsigned char c = *j->p;
        if (c == '"') {
            j->p++;
            break;
        }
        if (c < 0x20)
            return gh_error_set(j->err, GH_E_INVALID,
                                "bad JSON: a raw control character (0x%02x) inside a string", c);
        if (c != '\\') {
            tmp[0] = (char)c;
            k = 1;
            j->p++;
        } else {
            j->p++;
            if (j->p >= j->end)
                return jp_syntax(j, "an escape is cut off");
            c = *j->p++;
            long cp;
            switch (c) {
            case '"': case '\\': case '/': tmp[0] = (char)c; k = 1; break;
            case 'b': tmp[0] = '\b'; k = 1; break;
            case 'f': tmp[0] = '\f'; k = 1; break;
            case 'n': tmp[0] = '\n'; k = 1; break;
            case 'r': tmp[0] = '\r'; k = 1; break;
            case 't': tmp[0] = '\t'; k = 1; break;
            case 'u':
                if (jp_hex4(j, &cp))
                    return gh_error_set(j->err, GH_E_INVALID, "bad JSON: \\u needs four hex digits");
                if (cp >= 0xdc00 && cp <= 0xdfff)
                    return gh_error_set(j->err, GH_E_INVALID, "bad JSON: a lone low surrogate \\u%04lx",
                                        (unsigned long)cp);
                if (cp >= 0xd800 && cp <= 0xdbff) {
                    long lo;
                    if (j->end - j->p < 2 || j->p[0] != '\\' || j->p[1] != 'u')
                        return gh_error_set(j->err, GH_E_INVALID,
                                            "bad JSON: a high surrogate without its low half");
                    j->p += 2;
                    if (jp_hex4(j, &lo) || lo < 0xdc00 || lo > 0xdfff)
                        return gh_error_set(j->err, GH_E_INVALID,
                                            "bad JSON: a high surrogate without its low half");
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                }
                if (cp == 0)
                    return gh_error_set(j->err, GH_E_INVALID, "holds a NUL character (\\u0000)");
                k = put_utf8(tmp, cp);
                break;
            default:
                return gh_error_set(j->err, GH_E_INVALID, "bad JSON: unknown escape \\%c",
                                    c > 0x20 && c < 0x7f ? c : '?');
            }
        }
        if (n + k >= cap)
            over = 1;
        else {
            memcpy(out + n, tmp, k);
            n += k;
        }
    }
    out[n] = '\0';
    *outlen = n;
    return over ? GH_E_CAPACITY : 0;
}

static int field_error(struct jp *j, char *field, size_t field_cap, int f, int rc)
{
    snprintf(field, field_cap, "%s", json_names[f]);
    return name_error(j->err, json_names[f], rc);
}

/* One string value for field f (j->p on it), checked and stored. */
static int jp_value(struct jp *j, struct devsettings *s, int f, char *field, size_t field_cap)
{
    char v[DEVSET_TEXT_BYTES + 1];
    size_t n;
    int rc;
    if (j->p >= j->end || *j->p != '"') {
        if (j->p >= j->end)
            return jp_syntax(j, "a value is missing");
        return field_error(j, field, field_cap, f,
                           gh_error_set(j->err, GH_E_INVALID, "must be %s",
                                        f == F_NTP ? "an array of strings" : "a string"));
    }
    rc = jp_string(j, v, sizeof v, &n);
    if (rc == GH_E_CAPACITY) {
        int max = f == F_LOCATION || f == F_CONTACT ? GH_DEVSET_TEXT_CHARS
                : f == F_HOSTNAME ? GH_DEVSET_HOSTNAME_MAX : GH_DEVSET_SERVER_MAX;
        return field_error(j, field, field_cap, f,
                           gh_error_set(j->err, GH_E_INVALID, "is longer than %d characters", max));
    }
    if (rc) {
        /* a string broken inside is bad JSON, but name the field it was for */
        snprintf(field, field_cap, "%s", json_names[f]);
        return rc;
    }
    if (memchr(v, '\0', n))
        return field_error(j, field, field_cap, f,
                           gh_error_set(j->err, GH_E_INVALID, "holds a NUL character"));
    if (f == F_LOCATION || f == F_CONTACT)
        trim(v);
    int index = s->ntp_count + 1;
    rc = set_field(s, f, v, j->err);
    if (rc && f == F_NTP && index <= GH_DEVSET_NTP_MAX) {
        char what[16];
        snprintf(what, sizeof what, "server %d", index);
        name_error(j->err, what, rc);
    }
    return rc ? field_error(j, field, field_cap, f, rc) : 0;
}

int devset_apply_json(struct devsettings *s, const char *body, size_t len, char *field,
                      size_t field_cap, struct gh_error *err)
{
    struct jp j = {(const unsigned char *)body, (const unsigned char *)body,
                   (const unsigned char *)body + len, err};
    int seen[F_COUNT] = {0};
    int rc;

    field[0] = '\0';
    jp_ws(&j);
    if (j.p >= j.end)
        return gh_error_set(err, GH_E_INVALID, "the body is empty; expected a JSON object");
    if (*j.p != '{')
        return jp_syntax(&j, "expected a JSON object '{'");
    j.p++;
    jp_ws(&j);
    if (j.p < j.end && *j.p == '}') {
        j.p++;
    } else {
        for (;;) {
            char key[48];
            size_t klen;
            jp_ws(&j);
            if (j.p >= j.end || *j.p != '"')
                return jp_syntax(&j, "expected a field name in double quotes");
            rc = jp_string(&j, key, sizeof key, &klen);
            if (rc == GH_E_INVALID)
                return rc;
            int f = -1;
            for (int i = 0; rc == 0 && i < F_COUNT; i++)
                if (strcmp(key, json_names[i]) == 0)
                    f = i;
            if (f < 0) {
                for (char *c = key; *c; c++)   /* echoed back: keep it plain */
                    if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
                        *c = '?';
                snprintf(field, field_cap, "%s", key);
                return gh_error_set(err, GH_E_INVALID,
                                    "unknown field \"%s%s\"; the fields are hostname, location, "
                                    "contact, syslog_server and ntp_servers",
                                    key, rc == GH_E_CAPACITY ? "..." : "");
            }
            if (seen[f])
                return field_error(&j, field, field_cap, f,
                                   gh_error_set(err, GH_E_INVALID, "is given twice"));
            seen[f] = 1;
            jp_ws(&j);
            if (j.p >= j.end || *j.p != ':')
                return jp_syntax(&j, "expected ':' after a field name");
            j.p++;
            jp_ws(&j);
            if (f == F_NTP) {
                if (j.p >= j.end)
                    return jp_syntax(&j, "a value is missing");
                if (*j.p != '[')
                    return field_error(&j, field, field_cap, f,
                                       gh_error_set(err, GH_E_INVALID, "must be an array of strings"));
                j.p++;
                s->ntp_count = 0;
                jp_ws(&j);
                if (j.p < j.end && *j.p == ']') {
                    j.p++;
                } else {
                    for (;;) {
                        jp_ws(&j);
                        if ((rc = jp_value(&j, s, f, field, field_cap)) != 0)
                            return rc;
                        jp_ws(&j);
                        if (j.p < j.end && *j.p == ',') {
                            j.p++;
                            continue;
                        }
                        if (j.p < j.end && *j.p == ']') {
                            j.p++;
                            break;
                        }
                        return jp_syntax(&j, "expected ',' or ']' in ntp_servers");
                    }
                }
            } else if ((rc = jp_value(&j, s, f, field, field_cap)) != 0) {
                return rc;
            }
            jp_ws(&j);
            if (j.p < j.end && *j.p == ',') {
                j.p++;
                continue;
            }
            if (j.p < j.end && *j.p == '}') {
                j.p++;
                break;
            }
            return jp_syntax(&j, "expected ',' or '}' after a value");
        }
    }
    jp_ws(&j);
    if (j.p != j.end) {
        field[0] = '\0';
        return jp_syntax(&j, "expected nothing after the object");
    }
    return 0;
}
