/* certmap.c: load and apply the mapping table (CONTRACT.md section 2).
 *
 * Decisions the contract leaves open, as implemented here (the README's
 * "Mapping table" section says the same to users):
 * - `[certmap]` is optional and, when present, must come first; `version`
 *   defaults to 1, and any other version is refused.
 * - A file with no section at all is refused ("the table is empty"); a table
 *   with `[certmap]` and no mappings is valid and refuses every client.
 * - `role` together with `action = deny` is an error (one of the two is a
 *   mistake); a disabled mapping is still checked in full.
 * - Keywords are lower case and exact (keys, roles, `allow`/`deny`,
 *   `true`/`false`, operators); a wrong-case keyword gets a "did you mean".
 *   The attribute part of a field ignores case: subject.cn = subject.CN.
 * - Patterns have no escapes: in `~`, `*` and `?` are always wildcards (`?`
 *   matches one UTF-8 character); use `=` for a literal `*`. `i` compares
 *   ASCII letters ignoring case. A pattern is the rest of the line, trimmed;
 *   quotes are not allowed around it, and ` ;` starts a comment (inih), so
 *   a `;` preceded by white space cannot be part of a pattern.
 * - After `=`, a `serial` pattern is normalised (colons dropped, lower case,
 *   no leading zeros), a `san.ip` pattern becomes canonical address text, and
 *   `eku`/`policy` patterns must be known EKU names or dotted OIDs. `serial`
 *   and `san.ip` patterns are lower-cased for `~` too, so they compare as the
 *   contract says (serial ignores case).
 * - Two enabled one-to-one mappings for the same certificate (or key) are an
 *   error: only the first could ever apply.
 *
 * Stack: about 12 KiB here plus inih's INI_MAX_LINE buffer; no heap except
 * what wolfSSL uses inside certinfo_from_der() for a `certificate =` value. */
#include "certmap.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/wolfcrypt/coding.h>

#include "ini_reader.h"

/* ------------------------------------------------------------ names */

static const char *const field_names[GH_F_COUNT] = {
    "subject.CN", "subject.O", "subject.OU", "subject.C", "subject.ST", "subject.L",
    "subject.emailAddress", "subject.serialNumber", "subject.DC",
    "issuer.CN", "issuer.O", "issuer.OU", "issuer.C", "issuer.ST", "issuer.L",
    "issuer.emailAddress", "issuer.serialNumber", "issuer.DC",
    "san.dns", "san.email", "san.uri", "san.ip", "serial", "eku", "policy",
};

const char *certmap_field_name(int field)
{
    return field >= 0 && field < GH_F_COUNT ? field_names[field] : "?";
}

const char *certmap_op_name(int op)
{
    switch (op) {
    case CERTMAP_OP_EQ: return "=";
    case CERTMAP_OP_EQ_I: return "=i";
    case CERTMAP_OP_WILD: return "~";
    case CERTMAP_OP_WILD_I: return "~i";
    }
    return "?";
}

enum key_id { K_CERTIFICATE, K_FINGERPRINT, K_PUBKEY, K_MATCH, K_ROLE, K_ACTION, K_ENABLED,
              K_COUNT };

static const char *const key_names[K_COUNT] = {
    "certificate", "fingerprint", "pubkey", "match", "role", "action", "enabled",
};

static int is_one_to_one(int k)
{
    return k == K_CERTIFICATE || k == K_FINGERPRINT || k == K_PUBKEY;
}

/* ------------------------------------------------------------ matching */

/* Bytes of the UTF-8 character at s (at least 1, at most n). */
static size_t char_len(const char *s, size_t n)
{
    unsigned char c = (unsigned char)s[0];
    size_t k = c < 0xC0 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if (k > n)
        k = n;
    for (size_t i = 1; i < k; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            return i;
    return k;
}

static int same(char a, char b, int icase)
{
    if (icase)
        return tolower((unsigned char)a) == tolower((unsigned char)b);
    return a == b;
}

/* `*` any run, `?` one character. Iterative with one backtrack point (the
 * last star), so the worst case is O(pattern x value) and uses no stack. */
static int wild_match(const char *p, size_t pl, const char *s, size_t sl, int icase)
{
    size_t pi = 0, si = 0, star_p = (size_t)-1, star_s = 0;
    while (si < sl) {
        if (pi < pl && p[pi] == '*') {
            star_p = ++pi;
            star_s = si;
        } else if (pi < pl && p[pi] == '?') {
            pi++;
            si += char_len(s + si, sl - si);
        } else if (pi < pl && same(p[pi], s[si], icase)) {
            pi++;
            si++;
        } else if (star_p != (size_t)-1) {
            pi = star_p;
            star_s += char_len(s + star_s, sl - star_s);
            si = star_s;
        } else {
            return 0;
        }
    }
    while (pi < pl && p[pi] == '*')
        pi++;
    return pi == pl;
}

int certmap_pattern_match(int op, const char *pattern, const char *value, size_t value_len)
{
    size_t pl = strlen(pattern);
    int icase = op == CERTMAP_OP_EQ_I || op == CERTMAP_OP_WILD_I;
    if (op == CERTMAP_OP_WILD || op == CERTMAP_OP_WILD_I)
        return wild_match(pattern, pl, value, value_len, icase);
    if (pl != value_len)
        return 0;
    for (size_t i = 0; i < pl; i++)
        if (!same(pattern[i], value[i], icase))
            return 0;
    return 1;
}

int certmap_match_line(const struct certmap_match *m, const struct cert_identity *id, int *which)
{
    if (which)
        *which = -1;
    for (int i = 0; i < id->nvalues; i++) {
        const struct gh_value *v = &id->values[i];
        if (v->field != m->field)
            continue;
        if (certmap_pattern_match(m->op, m->pattern, certinfo_value_text(id, v), v->len)) {
            if (which)
                *which = i;
            return 1;
        }
    }
    return 0;
}

static void decided(const struct certmap *t, int i, struct certmap_decision *out)
{
    const struct certmap_mapping *m = &t->maps[i];
    out->index = i;
    snprintf(out->mapping, sizeof out->mapping, "%s", m->name);
    if (m->deny) {
        out->result = CERTMAP_DENY;
        out->role = GH_ROLE_NONE;
    } else {
        out->result = CERTMAP_ALLOW;
        out->role = m->role;
    }
}

void certmap_decide(const struct certmap *t, const struct cert_identity *id,
                    struct certmap_decision *out, certmap_trace_fn trace, void *trace_ctx)
{
    memset(out, 0, sizeof *out);
    out->result = CERTMAP_NO_MATCH;
    out->role = GH_ROLE_NONE;
    out->index = -1;

    /* One-to-one mappings first, wherever they stand in the file. */
    for (int i = 0; i < t->count; i++) {
        const struct certmap_mapping *m = &t->maps[i];
        int ok;
        if (m->kind == CERTMAP_BY_MATCH)
            continue;
        if (!m->enabled) {
            if (trace)
                trace(trace_ctx, m, -1, 0);
            continue;
        }
        ok = memcmp(m->digest, m->kind == CERTMAP_BY_PUBKEY ? id->spki_sha256 : id->sha256,
                    sizeof m->digest) == 0;
        if (trace)
            trace(trace_ctx, m, -1, ok);
        if (ok) {
            decided(t, i, out);
            return;
        }
    }
    /* Then match mappings in file order; the first whose lines all hold. */
    for (int i = 0; i < t->count; i++) {
        const struct certmap_mapping *m = &t->maps[i];
        int all = 1;
        if (m->kind != CERTMAP_BY_MATCH)
            continue;
        if (!m->enabled) {
            if (trace)
                trace(trace_ctx, m, -1, 0);
            continue;
        }
        for (int j = 0; j < m->nmatch; j++) {
            int ok = certmap_match_line(&m->match[j], id, NULL);
            if (trace)
                trace(trace_ctx, m, j, ok);
            if (!ok) {
                all = 0;
                if (!trace)
                    break; /* a trace shows every line; a decision needs only the first false */
            }
        }
        all = all && m->nmatch > 0;
        if (trace)
            trace(trace_ctx, m, -1, all);
        if (all) {
            decided(t, i, out);
            return;
        }
    }
}

/* ------------------------------------------------------------ loading */

enum { SEC_NONE, SEC_CERTMAP, SEC_MAP, SEC_SKIP };
enum { PEM_OFF, PEM_BODY, PEM_END, PEM_FAILED };

/* A `certificate =` value, decoded as it arrives, line by line. */
struct pem_state {
    int state;
    int armour;             /* -----BEGIN CERTIFICATE----- seen */
    int pad;                /* `=` seen */
    char quad[4];
    int nq;
    size_t nchars;          /* base64 characters so far */
    size_t der_len;
    uint8_t der[GH_CERT_DER_MAX];
};

struct loader {
    struct certmap *t;
    const char *file;
    struct gh_error *errs;
    int max_errs;
    int nerrs;
    int first_rc;
    struct gh_ini_reader r;
    int content_lines;      /* lines that are not blank or comments */
    int bad_line;           /* a line whose problem was reported: skip its value */
    int sec;
    int certmap_line;
    int version_line;
    int maps_seen;
    int over_reported;
    /* the [map] section being read */
    struct certmap_mapping m;
    int key_line[K_COUNT];
    int section_errors;     /* nerrs when the section started */
    int conflict_reported;
    int match_over_reported;
    int digest_ok;          /* m.digest holds a valid digest */
    int action_bad;         /* `action` had a wrong value */
    const char *cont_key;   /* the key an indented line would continue, or NULL */
    int cont_line;
    struct pem_state pem;
};

static void vfail(struct loader *L, int line, int rc, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

static void vfail(struct loader *L, int line, int rc, const char *fmt, va_list ap)
{
    if (L->errs && L->nerrs < L->max_errs) {
        struct gh_error *e = &L->errs[L->nerrs];
        gh_error_clear(e);
        snprintf(e->file, sizeof e->file, "%s", L->file ? L->file : "");
        e->line = line;
        if (L->sec == SEC_MAP)
            snprintf(e->mapping, sizeof e->mapping, "%s", L->m.name);
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    }
    if (!L->first_rc)
        L->first_rc = rc;
    L->nerrs++;
}

static void fail(struct loader *L, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(struct loader *L, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(L, line, GH_E_INVALID, fmt, ap);
    va_end(ap);
}

static void fail_capacity(struct loader *L, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail_capacity(struct loader *L, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(L, line, GH_E_CAPACITY, fmt, ap);
    va_end(ap);
}

/* How a character is named in a message: `x`, or U+... bytes for the rest. */
static const char *char_desc(const char *p, char *buf, size_t cap)
{
    unsigned char c = (unsigned char)*p;
    if (c >= 0x21 && c < 0x7F)
        snprintf(buf, cap, "`%c`", c);
    else if (c == ' ' || c == '\t')
        snprintf(buf, cap, "a space");
    else
        snprintf(buf, cap, "a non-ASCII character");
    return buf;
}

static int col(const struct loader *L, const char *p)
{
    return gh_ini_column(&L->r, p);
}

/* ---- certificate = (base64 DER, PEM armour, continuation lines) */

static void pem_fail(struct loader *L)
{
    L->pem.state = PEM_FAILED;
}

static void pem_flush(struct loader *L)
{
    byte out[3];
    word32 n = sizeof out;
    if (Base64_Decode((const byte *)L->pem.quad, 4, out, &n) != 0) {
        fail(L, L->r.line, "certificate: base64 decoding failed");
        pem_fail(L);
        return;
    }
    if (L->pem.der_len + n > sizeof L->pem.der) {
        fail_capacity(L, L->key_line[K_CERTIFICATE],
                      "certificate is larger than %d bytes of DER", GH_CERT_DER_MAX);
        pem_fail(L);
        return;
    }
    memcpy(L->pem.der + L->pem.der_len, out, n);
    L->pem.der_len += n;
    L->pem.nq = 0;
}

static int starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void pem_feed(struct loader *L, const char *s)
{
    static const char begin[] = "-----BEGIN CERTIFICATE-----";
    static const char end[] = "-----END CERTIFICATE-----";
    char cd[32];
    for (const char *p = s; *p && L->pem.state != PEM_FAILED;) {
        unsigned char c = (unsigned char)*p;
        if (isspace(c)) {
            p++;
            continue;
        }
        if (starts(p, begin)) {
            if (L->pem.armour || L->pem.nchars > 0) {
                fail(L, L->r.line, "certificate has an unexpected %s at character %d", begin,
                     col(L, p));
                pem_fail(L);
                return;
            }
            L->pem.armour = 1;
            p += sizeof begin - 1;
            continue;
        }
        if (starts(p, end)) {
            if (!L->pem.armour) {
                fail(L, L->r.line, "certificate has %s without %s", end, begin);
                pem_fail(L);
                return;
            }
            L->pem.state = PEM_END;
            p += sizeof end - 1;
            continue;
        }
        if (starts(p, "-----BEGIN ")) {
            const char *e = strstr(p + 11, "-----");
            int n = e ? (int)(e - p) + 5 : (int)strlen(p);
            fail(L, L->r.line, "certificate holds %.*s: only a certificate (%s) can be mapped",
                 n > 60 ? 60 : n, p, begin);
            pem_fail(L);
            return;
        }
        if (L->pem.state == PEM_END) {
            fail(L, L->r.line, "certificate has text after %s at character %d", end, col(L, p));
            pem_fail(L);
            return;
        }
        if (isalnum(c) || c == '+' || c == '/') {
            if (L->pem.pad) {
                fail(L, L->r.line,
                     "certificate is not valid base64 at character %d (data after the `=` padding)",
                     col(L, p));
                pem_fail(L);
                return;
            }
        } else if (c == '=') {
            if (L->pem.nq < 2) {
                fail(L, L->r.line,
                     "certificate is not valid base64 at character %d (misplaced `=`)", col(L, p));
                pem_fail(L);
                return;
            }
            L->pem.pad = 1;
        } else {
            fail(L, L->r.line, "certificate is not valid base64 at character %d (%s)", col(L, p),
                 char_desc(p, cd, sizeof cd));
            pem_fail(L);
            return;
        }
        L->pem.quad[L->pem.nq++] = (char)c;
        L->pem.nchars++;
        p++;
        if (L->pem.nq == 4)
            pem_flush(L);
    }
}

static void pem_finish(struct loader *L)
{
    int line = L->key_line[K_CERTIFICATE];
    struct cert_identity id;
    struct gh_error e;
    if (L->pem.state == PEM_FAILED)
        return;
    if (L->pem.nchars == 0) {
        fail(L, line, "certificate is empty");
        return;
    }
    if (L->pem.armour && L->pem.state != PEM_END) {
        fail(L, line, "certificate has -----BEGIN CERTIFICATE----- but no "
                      "-----END CERTIFICATE-----");
        return;
    }
    if (L->pem.nq != 0) {
        fail(L, line, "certificate is cut short: %zu base64 characters is not a multiple of 4",
             L->pem.nchars);
        return;
    }
    gh_error_clear(&e);
    if (certinfo_from_der(L->pem.der, L->pem.der_len, &id, &e) != 0) {
        fail(L, line, "certificate is base64 but not a certificate: %s", e.msg);
        return;
    }
    memcpy(L->m.digest, id.sha256, sizeof L->m.digest);
    L->digest_ok = 1;
}

/* ---- fingerprint = / pubkey = */

static void parse_digest(struct loader *L, const char *key, const char *v)
{
    size_t digits = 0;
    char cd[32];
    if (strncasecmp(v, "sha256:", 7) != 0) {
        const char *colon = strchr(v, ':');
        if (colon && colon - v < 16)
            fail(L, L->r.line, "%s must be a SHA-256: write sha256: then 64 hex digits", key);
        else
            fail(L, L->r.line, "%s must start with sha256: (then 64 hex digits)", key);
        return;
    }
    for (const char *p = v + 7; *p; p++) {
        if (*p == ':')
            continue;
        if (!isxdigit((unsigned char)*p)) {
            fail(L, L->r.line, "%s has %s at character %d, which is not a hex digit", key,
                 char_desc(p, cd, sizeof cd), col(L, p));
            return;
        }
        if (digits < 64) {
            int x = isdigit((unsigned char)*p) ? *p - '0' : tolower((unsigned char)*p) - 'a' + 10;
            if (digits % 2 == 0)
                L->m.digest[digits / 2] = (uint8_t)(x << 4);
            else
                L->m.digest[digits / 2] |= (uint8_t)x;
        }
        digits++;
    }
    if (digits != 64) {
        fail(L, L->r.line, "%s has %zu hex digits; a SHA-256 has 64%s", key, digits,
             digits == 40 ? " (40 is a SHA-1)" : "");
        return;
    }
    L->digest_ok = 1;
}

/* ---- match = FIELD OP PATTERN */

static int parse_field(const char *s, size_t n)
{
    for (int f = 0; f < GH_F_COUNT; f++) {
        const char *name = field_names[f];
        const char *dot = strchr(name, '.');
        size_t prefix = dot ? (size_t)(dot - name) + 1 : 0;
        if (strlen(name) != n)
            continue;
        /* "subject."/"issuer."/"san." and whole names exact; the attribute ignores case. */
        if (f <= GH_F_ISSUER_DC) {
            if (strncmp(s, name, prefix) == 0 && strncasecmp(s + prefix, name + prefix, n - prefix) == 0)
                return f;
        } else if (strncmp(s, name, n) == 0) {
            return f;
        }
    }
    return -1;
}

static int valid_oid(const char *s)
{
    int arcs = 0;
    const char *p = s;
    if (!(p[0] >= '0' && p[0] <= '2'))
        return 0;
    while (*p) {
        if (!isdigit((unsigned char)*p))
            return 0;
        if (*p == '0' && isdigit((unsigned char)p[1]))
            return 0; /* no leading zeros in an arc */
        while (isdigit((unsigned char)*p))
            p++;
        arcs++;
        if (*p == '.') {
            p++;
            if (!*p)
                return 0;
        } else if (*p) {
            return 0;
        }
    }
    return arcs >= 2;
}

/* Field-specific checks and normalisation of a pattern, in place. */
static int normalise(struct loader *L, struct certmap_match *mm)
{
    char *pat = mm->pattern;
    int exact = mm->op == CERTMAP_OP_EQ || mm->op == CERTMAP_OP_EQ_I;
    char cd[32];

    if (mm->field == GH_F_SERIAL) {
        size_t o = 0;
        for (size_t i = 0; pat[i]; i++) {
            char c = (char)tolower((unsigned char)pat[i]);
            if (c == ':')
                continue;
            if (!isxdigit((unsigned char)c) && (exact || (c != '*' && c != '?'))) {
                fail(L, L->r.line, "serial pattern has %s, which is not a hex digit%s",
                     char_desc(pat + i, cd, sizeof cd), exact ? "" : " or a wildcard");
                return -1;
            }
            pat[o++] = c;
        }
        pat[o] = '\0';
        if (exact) {
            size_t z = 0;
            while (pat[z] == '0' && pat[z + 1])
                z++;
            memmove(pat, pat + z, o - z + 1);
        }
        if (!pat[0]) {
            fail(L, L->r.line, "serial pattern is empty");
            return -1;
        }
    } else if (mm->field == GH_F_SAN_IP) {
        for (char *p = pat; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        if (exact) {
            uint8_t a[16];
            size_t n = 0;
            if (inet_pton(AF_INET, pat, a) == 1)
                n = 4;
            else if (inet_pton(AF_INET6, pat, a) == 1)
                n = 16;
            if (!n || certinfo_format_ip(a, n, pat, sizeof mm->pattern) != 0) {
                fail(L, L->r.line, "san.ip pattern `%.60s` is not an IPv4 or IPv6 address", pat);
                return -1;
            }
        }
    } else if (mm->field == GH_F_EKU && exact) {
        if (!valid_oid(pat)) {
            const char *name = certinfo_eku_lookup(pat, 1);
            if (!name) {
                fail(L, L->r.line, "unknown EKU `%.40s`: write a dotted OID or one of %s", pat,
                     certinfo_eku_list());
                return -1;
            }
            if (mm->op == CERTMAP_OP_EQ && strcmp(name, pat) != 0) {
                fail(L, L->r.line, "unknown EKU `%.40s` (did you mean `%s`? or use =i)", pat,
                     name);
                return -1;
            }
        }
    } else if (mm->field == GH_F_POLICY && exact) {
        if (!valid_oid(pat)) {
            fail(L, L->r.line,
                 "policy pattern `%.60s` is not a dotted OID (like 1.3.6.1.4.1.55555.1.2)", pat);
            return -1;
        }
    }
    return 0;
}

static void parse_match(struct loader *L, const char *v)
{
    const char *p = v, *f0, *op0;
    size_t fl, opl;
    int field, op;
    struct certmap_match mm;
    char cd[32];

    if (L->m.nmatch >= GH_MAX_MATCH_PER_MAPPING) {
        if (!L->match_over_reported)
            fail_capacity(L, L->r.line, "too many match lines: a mapping holds at most %d",
                          GH_MAX_MATCH_PER_MAPPING);
        L->match_over_reported = 1;
        return;
    }
    f0 = p;
    while (*p && !isspace((unsigned char)*p) && !strchr("=~!<>", *p))
        p++;
    fl = (size_t)(p - f0);
    if (fl == 0) {
        fail(L, L->r.line, "match needs FIELD OP PATTERN, like: match = subject.O = Acme");
        return;
    }
    field = parse_field(f0, fl);
    if (field < 0) {
        const char *dot = memchr(f0, '.', fl);
        if (dot && (strncmp(f0, "subject.", 8) == 0 || strncmp(f0, "issuer.", 7) == 0))
            fail(L, L->r.line,
                 "unknown field `%.*s` (after %.*s come CN, O, OU, C, ST, L, emailAddress, "
                 "serialNumber or DC)", (int)(fl > 40 ? 40 : fl), f0, (int)(dot - f0 + 1), f0);
        else
            fail(L, L->r.line,
                 "unknown field `%.*s` (fields: subject.X, issuer.X, san.dns, san.email, "
                 "san.uri, san.ip, serial, eku, policy)", (int)(fl > 40 ? 40 : fl), f0);
        return;
    }
    while (isspace((unsigned char)*p))
        p++;
    op0 = p;
    while (*p && strchr("=~!<>", *p))
        p++;
    opl = (size_t)(p - op0);
    if (opl == 0) {
        fail(L, L->r.line, "match needs an operator (=, ~, =i or ~i) after %s",
             field_names[field]);
        return;
    }
    if (opl != 1 || (*op0 != '=' && *op0 != '~')) {
        fail(L, L->r.line, "unknown operator `%.*s`: use =, ~, =i or ~i", (int)(opl > 8 ? 8 : opl),
             op0);
        return;
    }
    op = *op0 == '=' ? CERTMAP_OP_EQ : CERTMAP_OP_WILD;
    /* "=i" only when the i stands alone: `= info` and `=info` are patterns. */
    if (*p == 'i' && (p[1] == '\0' || isspace((unsigned char)p[1]))) {
        op = op == CERTMAP_OP_EQ ? CERTMAP_OP_EQ_I : CERTMAP_OP_WILD_I;
        p++;
    }
    while (isspace((unsigned char)*p))
        p++;
    if (!*p) {
        fail(L, L->r.line, "match has an empty pattern (to require any %s, write %s ~ *)",
             field_names[field], field_names[field]);
        return;
    }
    if (strlen(p) > GH_PATTERN_MAX) {
        fail_capacity(L, L->r.line, "pattern is %zu bytes long; the limit is %d", strlen(p),
                      GH_PATTERN_MAX);
        return;
    }
    {
        size_t n = strlen(p);
        if (n >= 2 && ((p[0] == '"' && p[n - 1] == '"') || (p[0] == '\'' && p[n - 1] == '\''))) {
            fail(L, L->r.line, "write the pattern without quotes (%s would be compared as part "
                               "of the value)", char_desc(p, cd, sizeof cd));
            return;
        }
    }
    memset(&mm, 0, sizeof mm);
    mm.field = (uint8_t)field;
    mm.op = (uint8_t)op;
    mm.line = L->r.line;
    snprintf(mm.pattern, sizeof mm.pattern, "%s", p);
    if (normalise(L, &mm) != 0)
        return;
    L->m.match[L->m.nmatch++] = mm;
}

/* ---- keys */

static int find_key(const char *name)
{
    for (int k = 0; k < K_COUNT; k++)
        if (strcmp(name, key_names[k]) == 0)
            return k;
    return -1;
}

static void unknown_key(struct loader *L, const char *name)
{
    for (int k = 0; k < K_COUNT; k++) {
        if (strcasecmp(name, key_names[k]) == 0) {
            fail(L, L->r.line, "unknown key `%.40s` (did you mean `%s`? keys are lower case)",
                 name, key_names[k]);
            if (!L->key_line[k] && k != K_MATCH && !is_one_to_one(k))
                L->key_line[k] = L->r.line; /* no second error for the same slip */
            return;
        }
    }
    if (strcmp(name, "version") == 0) {
        fail(L, L->r.line, "version belongs in the [certmap] section, before the first mapping");
        return;
    }
    if (!*name) {
        fail(L, L->r.line, "line has no key before its `=`");
        return;
    }
    fail(L, L->r.line, "unknown key `%.40s` (a mapping has certificate, fingerprint, pubkey, "
                       "match, role, action, enabled)", name);
}

static void set_word(struct loader *L, int k, const char *v)
{
    if (k == K_ROLE) {
        enum gh_role role;
        if (gh_role_parse(v, &role) == 0) {
            L->m.role = (uint8_t)role;
        } else {
            char low[16];
            size_t i;
            for (i = 0; v[i] && i + 1 < sizeof low; i++)
                low[i] = (char)tolower((unsigned char)v[i]);
            low[i] = '\0';
            if (!v[i] && gh_role_parse(low, NULL) == 0)
                fail(L, L->r.line, "unknown role `%s` (did you mean `%s`?)", v, low);
            else if (!*v)
                fail(L, L->r.line, "role is empty: use admin, operator or viewer");
            else
                fail(L, L->r.line, "unknown role `%.40s`: use admin, operator or viewer", v);
        }
    } else if (k == K_ACTION) {
        if (strcmp(v, "allow") == 0)
            L->m.deny = 0;
        else if (strcmp(v, "deny") == 0)
            L->m.deny = 1;
        else {
            fail(L, L->r.line, "action must be allow or deny, not `%.40s`", v);
            L->action_bad = 1; /* then whether a role is needed is unknown */
        }
    } else if (k == K_ENABLED) {
        if (strcmp(v, "true") == 0)
            L->m.enabled = 1;
        else if (strcmp(v, "false") == 0)
            L->m.enabled = 0;
        else
            fail(L, L->r.line, "enabled must be true or false, not `%.40s`", v);
    }
}

static void on_map_key(struct loader *L, const char *name, const char *value)
{
    int line = L->r.line;
    int k = find_key(name);
    if (k < 0) {
        unknown_key(L, name);
        return;
    }
    if (k != K_MATCH && L->key_line[k]) {
        fail(L, line, "%s is given twice (first on line %d)", name, L->key_line[k]);
        return;
    }
    if (!L->key_line[k])
        L->key_line[k] = line;
    L->cont_key = key_names[k];
    L->cont_line = line;

    if (is_one_to_one(k) || k == K_MATCH) {
        for (int o = 0; o < K_COUNT; o++) {
            if (o == k || !L->key_line[o] || !(is_one_to_one(o) || o == K_MATCH))
                continue;
            if (o == K_MATCH && k == K_MATCH)
                continue;
            if (!L->conflict_reported) {
                if (is_one_to_one(k) && is_one_to_one(o))
                    fail(L, line, "%s cannot be combined with %s (line %d): give exactly one of "
                                  "certificate, fingerprint or pubkey", name, key_names[o],
                         L->key_line[o]);
                else
                    fail(L, line, "%s cannot be combined with %s (line %d): a mapping is either "
                                  "one-to-one or a list of match lines", name, key_names[o],
                         L->key_line[o]);
            }
            L->conflict_reported = 1;
            if (k == K_CERTIFICATE)
                pem_fail(L);
            return;
        }
        L->m.kind = k == K_CERTIFICATE ? CERTMAP_BY_CERT
                  : k == K_FINGERPRINT ? CERTMAP_BY_FINGERPRINT
                  : k == K_PUBKEY ? CERTMAP_BY_PUBKEY : CERTMAP_BY_MATCH;
    }
    if (L->bad_line == line) { /* its problem is reported; keep the key, skip the value */
        if (k == K_CERTIFICATE)
            pem_fail(L);
        return;
    }
    switch (k) {
    case K_CERTIFICATE:
        L->pem.state = PEM_BODY;
        pem_feed(L, value);
        break;
    case K_FINGERPRINT:
    case K_PUBKEY:
        parse_digest(L, name, value);
        break;
    case K_MATCH:
        parse_match(L, value);
        break;
    default:
        set_word(L, k, value);
        break;
    }
}

static void on_certmap_key(struct loader *L, const char *name, const char *value)
{
    L->cont_key = name[0] ? "version" : NULL;
    L->cont_line = L->r.line;
    if (strcmp(name, "version") != 0) {
        fail(L, L->r.line, "unknown key `%.40s` in [certmap] (it has only version)", name);
        L->cont_key = NULL;
        return;
    }
    if (L->version_line) {
        fail(L, L->r.line, "version is given twice (first on line %d)", L->version_line);
        return;
    }
    L->version_line = L->r.line;
    if (L->bad_line == L->r.line)
        return;
    if (strcmp(value, "1") != 0)
        fail(L, L->r.line, "version `%.20s` is not supported: this Gatehouse reads version 1",
             value);
}

static void on_continuation(struct loader *L, const char *value)
{
    int line = L->r.line;
    if (L->sec == SEC_SKIP || !L->cont_key || L->bad_line == line)
        return;
    if (L->sec == SEC_MAP && strcmp(L->cont_key, "certificate") == 0) {
        /* An indented `role = admin` under a certificate would read as base64. */
        const char *e = value;
        while (isalpha((unsigned char)*e))
            e++;
        const char *q = e;
        while (*q == ' ' || *q == '\t')
            q++;
        if (e > value && (*q == '=' || *q == ':')) {
            char word[16];
            size_t n = (size_t)(e - value);
            if (n < sizeof word) {
                memcpy(word, value, n);
                word[n] = '\0';
                int k = find_key(word);
                if (k >= 0 || strcmp(word, "version") == 0) {
                    fail(L, line, "indented line looks like a new key (%s) but continues "
                                  "certificate: remove the indentation", word);
                    pem_fail(L);
                    if (k >= 0 && !L->key_line[k])
                        L->key_line[k] = line; /* no "role is missing" on top */
                    return;
                }
            }
        }
        pem_feed(L, value);
        return;
    }
    fail(L, line, "indented line continues %s from line %d, which takes one line (remove the "
                  "indentation if this starts a new key)", L->cont_key, L->cont_line);
}

/* ---- sections */

static void finish_section(struct loader *L)
{
    struct certmap_mapping *m = &L->m;
    int sel = 0, any = 0;
    if (L->sec != SEC_MAP) {
        L->sec = SEC_NONE;
        return;
    }
    for (int k = 0; k < K_COUNT; k++) {
        any |= L->key_line[k] != 0;
        if (is_one_to_one(k) || k == K_MATCH)
            sel |= L->key_line[k] != 0;
    }
    if (!any) {
        fail(L, m->line, "mapping is empty: give a certificate, fingerprint, pubkey or match "
                         "lines, and a role");
    } else {
        if (!sel)
            fail(L, m->line, "mapping has no certificate, fingerprint, pubkey or match line, "
                             "so it would never apply");
        if (L->key_line[K_CERTIFICATE] && !L->conflict_reported)
            pem_finish(L);
        if (!m->deny && !L->key_line[K_ROLE] && !L->action_bad)
            fail(L, m->line, "role is missing: add role = admin, operator or viewer (or "
                             "action = deny)");
        if (m->deny && L->key_line[K_ROLE])
            fail(L, L->key_line[K_ROLE], "role cannot be given with action = deny (line %d): "
                                         "remove one of the two", L->key_line[K_ACTION]);
        if (m->deny)
            m->role = GH_ROLE_NONE;
    }
    /* Only the first of two enabled one-to-one mappings could ever decide. */
    if (L->digest_ok && m->enabled && L->nerrs == L->section_errors) {
        for (int i = 0; i < L->t->count; i++) {
            const struct certmap_mapping *o = &L->t->maps[i];
            int same_space = (o->kind == CERTMAP_BY_PUBKEY) == (m->kind == CERTMAP_BY_PUBKEY);
            if (o->kind == CERTMAP_BY_MATCH || !o->enabled || !same_space ||
                memcmp(o->digest, m->digest, sizeof m->digest) != 0)
                continue;
            int k = m->kind == CERTMAP_BY_CERT ? K_CERTIFICATE
                  : m->kind == CERTMAP_BY_FINGERPRINT ? K_FINGERPRINT : K_PUBKEY;
            fail(L, L->key_line[k], "the same %s is already mapped by map \"%s\" (line %d), "
                                    "which decides first", m->kind == CERTMAP_BY_PUBKEY
                                    ? "public key" : "certificate", o->name, o->line);
            break;
        }
    }
    if (L->t->count < GH_MAX_MAPPINGS) {
        L->t->maps[L->t->count++] = *m;
    } else if (!L->over_reported) {
        fail_capacity(L, m->line, "too many mappings: a table holds at most %d",
                      GH_MAX_MAPPINGS);
        L->over_reported = 1;
    }
    L->sec = SEC_NONE;
}

static int name_ok(struct loader *L, const char *name, size_t n)
{
    char cd[32];
    if (n == 0) {
        fail(L, L->r.line, "mapping name is empty");
        return 0;
    }
    if (n > GH_MAP_NAME_MAX) {
        fail(L, L->r.line, "mapping name is %zu characters long; the limit is %d", n,
             GH_MAP_NAME_MAX);
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!isalnum((unsigned char)c) && c != '.' && c != '_' && c != '-') {
            fail(L, L->r.line, "mapping name \"%.*s\" has %s: use only A-Z a-z 0-9 . _ -",
                 (int)n, name, char_desc(name + i, cd, sizeof cd));
            return 0;
        }
    }
    return 1;
}

static void start_section(struct loader *L)
{
    const char *s = L->r.section;
    size_t n = L->r.section_len;
    int line = L->r.line;

    memset(&L->m, 0, sizeof L->m);
    memset(L->key_line, 0, sizeof L->key_line);
    memset(&L->pem, 0, offsetof(struct pem_state, der));
    L->m.enabled = 1;
    L->m.line = line;
    L->conflict_reported = L->match_over_reported = L->digest_ok = L->action_bad = 0;
    L->cont_key = NULL;
    L->section_errors = L->nerrs;
    L->sec = SEC_SKIP;

    if (n == 7 && strcmp(s, "certmap") == 0) {
        if (L->certmap_line) {
            fail(L, line, "[certmap] is given twice (first on line %d)", L->certmap_line);
            return;
        }
        L->certmap_line = line;
        if (L->maps_seen)
            fail(L, line, "[certmap] must come before the first [map] section");
        L->sec = SEC_CERTMAP;
        return;
    }
    if (strncmp(s, "map", 3) == 0 && (s[3] == '"' || isspace((unsigned char)s[3]))) {
        const char *p = s + 3, *q;
        while (isspace((unsigned char)*p))
            p++;
        if (n > GH_INI_SECTION_MAX) {
            fail(L, line, "mapping name is longer than %d characters", GH_MAP_NAME_MAX);
            return;
        }
        if (*p != '"') {
            fail(L, line, "write the mapping name in double quotes: [map \"%.64s\"]", p);
            return;
        }
        q = strchr(p + 1, '"');
        if (!q) {
            fail(L, line, "mapping name has no closing \"");
            return;
        }
        for (const char *t = q + 1; *t; t++) {
            if (!isspace((unsigned char)*t)) {
                fail(L, line, "text after the mapping name's closing \"");
                return;
            }
        }
        if (!name_ok(L, p + 1, (size_t)(q - p - 1)))
            return;
        memcpy(L->m.name, p + 1, (size_t)(q - p - 1));
        L->m.name[q - p - 1] = '\0';
        L->maps_seen++;
        L->sec = SEC_MAP;
        for (int i = 0; i < L->t->count; i++) {
            if (strcmp(L->t->maps[i].name, L->m.name) == 0) {
                fail(L, line, "mapping name is used twice (first on line %d)",
                     L->t->maps[i].line);
                break;
            }
        }
        return;
    }
    if (strcasecmp(s, "certmap") == 0 ||
        (strncasecmp(s, "map", 3) == 0 && (s[3] == '"' || s[3] == ' ')))
        fail(L, line, "unknown section [%.60s]: section names are lower case: [certmap], "
                      "[map \"NAME\"]", s);
    else
        fail(L, line, "unknown section [%.60s]: a table has [certmap] and [map \"NAME\"] "
                      "sections", s);
}

/* ---- inih callbacks */

static void on_line(void *user, const struct gh_ini_reader *r)
{
    struct loader *L = user;
    if (r->kind != GH_INI_BLANK && r->kind != GH_INI_COMMENT)
        L->content_lines++;
    if (r->kind == GH_INI_SECTION) {
        finish_section(L);
        start_section(L);
    } else if (r->kind == GH_INI_BAD) {
        const char *p = r->buf;
        while (isspace((unsigned char)*p))
            p++;
        if (L->cont_key && strcmp(L->cont_key, "certificate") == 0)
            pem_fail(L); /* a certificate cut by this line: one error is enough */
        if (*p == '[') { /* a broken header: its keys belong to no mapping we know */
            finish_section(L);
            L->sec = SEC_SKIP;
        } else if (L->sec == SEC_MAP) { /* `role admin`: the key was meant, say so once */
            char word[16];
            size_t n = 0;
            while (isalpha((unsigned char)p[n]) && n + 1 < sizeof word) {
                word[n] = p[n];
                n++;
            }
            word[n] = '\0';
            int k = find_key(word);
            if (k >= 0 && !L->key_line[k]) {
                L->key_line[k] = r->line;
                if (k == K_CERTIFICATE)
                    pem_fail(L);
            }
        }
    }
    if (r->problem) {
        L->bad_line = r->line;
        if (r->too_long)
            fail_capacity(L, r->line, "%s", r->problem);
        else
            fail(L, r->line, "%s", r->problem);
        if (r->kind == GH_INI_CONTINUATION && L->cont_key &&
            strcmp(L->cont_key, "certificate") == 0)
            pem_fail(L);
    }
}

static int on_key(void *user, const char *section, const char *name, const char *value,
                  int lineno)
{
    struct loader *L = user;
    (void)section; /* inih cuts it at 49 bytes: the reader keeps the whole */
    (void)lineno;  /* the same as L->r.line */
    if (name == NULL)
        return 1; /* a section header: on_line() has seen it */
    if (L->r.kind == GH_INI_CONTINUATION) {
        on_continuation(L, value);
        return 1;
    }
    L->cont_key = NULL;
    switch (L->sec) {
    case SEC_NONE:
        fail(L, L->r.line, "%.40s is outside any section: a table starts with [certmap] and "
                           "has its keys under [map \"NAME\"] headers", name);
        break;
    case SEC_CERTMAP:
        on_certmap_key(L, name, value);
        break;
    case SEC_MAP:
        on_map_key(L, name, value);
        break;
    default:
        break; /* under a header already reported as wrong */
    }
    return 1;
}

int certmap_load(struct certmap *t, const char *file, const char *text, size_t len,
                 struct gh_error *errs, int max_errs, int *nerrs)
{
    struct loader L;
    memset(&L, 0, offsetof(struct loader, pem));
    memset(&L.pem, 0, offsetof(struct pem_state, der));
    /* Not the mappings: nothing reads past count, and clearing all
     * GH_MAX_MAPPINGS of them would make the whole table resident (~290 KiB
     * of RAM for a device with a few mappings). */
    memset(t, 0, offsetof(struct certmap, maps));
    L.t = t;
    L.file = file;
    L.errs = errs;
    L.max_errs = max_errs;
    t->version = 1;

    if (len > GH_CERTMAP_MAX_BYTES) {
        fail_capacity(&L, 0, "the table is %zu bytes; the limit is %d", len,
                      GH_CERTMAP_MAX_BYTES);
    } else {
        gh_ini_parse(&L.r, text, len, on_line, on_key, &L);
        finish_section(&L);
        if (L.content_lines == 0)
            fail(&L, 0, "the table is empty: write [certmap] and version = 1 (a table with no "
                        "mappings refuses every client)");
    }
    /* In line order (file-wide ones first), however they were found: a
     * mapping's missing role is only known at its end. Stable, and short. */
    int shown = L.nerrs < max_errs ? L.nerrs : max_errs;
    for (int i = 1; errs && i < shown; i++) {
        struct gh_error e = errs[i];
        int j = i;
        for (; j > 0 && errs[j - 1].line > e.line; j--)
            errs[j] = errs[j - 1];
        errs[j] = e;
    }
    if (nerrs)
        *nerrs = L.nerrs;
    return L.first_rc;
}
