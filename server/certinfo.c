/* certinfo.c: DER certificate -> struct cert_identity.
 *
 * Who decodes what, and why:
 * - wolfSSL (wc_InitDecodedCert + wc_ParseCert, no verification) decides
 *   whether the bytes are an X.509 certificate at all, with the same decoder
 *   the TLS handshake uses, and gives the version, serial, signature and key
 *   algorithms and the validity dates (wc_GetDateInfo/wc_GetDateAsCalendarTime).
 *   wolfCrypt's wc_Sha256Hash makes both fingerprints.
 * - A small bounds-checked DER walker, run only over DER that wolfSSL has just
 *   accepted, reads what wolfSSL 5.7.2 does not hand out completely: every
 *   subject/issuer attribute in order (DecodedCert keeps one OU and one of each
 *   attribute; its X509_NAME copy needs the OpenSSL layer and drops attribute
 *   types it has no NID for), every SAN with the raw iPAddress octets (printed
 *   here as RFC 5952 text; wolfSSL's ipString prints IPv6 uncompressed), every
 *   EKU OID (DecodedCert keeps a bitmask of the ones it knows), every policy OID
 *   (DecodedCert keeps the first MAX_CERTPOL_NB = 2, silently), and the
 *   SubjectPublicKeyInfo bytes for the `pubkey` digest (DecodedCert.publicKey
 *   is the key inside the BIT STRING, not the SPKI).
 *
 * wolfSSL build requirements (toolchain/user_settings.h): WOLFSSL_CERT_EXT and
 * WOLFSSL_ALT_NAMES are not needed by this file but are by the TLS layer.
 * Without WOLFSSL_NO_ASN_STRICT, wolfSSL refuses a certificate whose URI SAN
 * has no "scheme://" (urn:uuid:..., certs/make-pki.sh's urn.pem): such a
 * certificate fails here (and in the handshake) as "not a certificate".
 *
 * Heap: wolfSSL may allocate inside wc_ParseCert (freed by wc_FreeDecodedCert
 * before return); this file holds nothing after it returns. */
#include "certinfo.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/wolfcrypt/asn.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/sha256.h>

/* ------------------------------------------------------------ DER walking */

struct der {
    const uint8_t *p;
    size_t n;
};

enum {
    T_BOOLEAN = 0x01, T_INTEGER = 0x02, T_BIT_STRING = 0x03, T_OCTET_STRING = 0x04,
    T_OID = 0x06, T_UTF8 = 0x0C, T_NUMERIC = 0x12, T_PRINTABLE = 0x13, T_TELETEX = 0x14,
    T_IA5 = 0x16, T_VISIBLE = 0x1A, T_UNIVERSAL = 0x1C, T_BMP = 0x1E,
    T_SEQUENCE = 0x30, T_SET = 0x31,
};

/* Take one TLV off the front of in. val gets the contents, whole (if not
 * NULL) the whole TLV. Only definite lengths and one-byte tags: DER. */
static int der_get(struct der *in, uint8_t *tag, struct der *val, struct der *whole)
{
    size_t len, hl = 2;
    if (in->n < 2 || (in->p[0] & 0x1F) == 0x1F)
        return -1;
    if (in->p[1] < 0x80) {
        len = in->p[1];
    } else {
        size_t k = in->p[1] & 0x7F;
        if (k == 0 || k > 3 || in->n < 2 + k)
            return -1;
        len = 0;
        for (size_t i = 0; i < k; i++)
            len = (len << 8) | in->p[2 + i];
        hl = 2 + k;
    }
    if (len > in->n - hl)
        return -1;
    if (tag)
        *tag = in->p[0];
    val->p = in->p + hl;
    val->n = len;
    if (whole) {
        whole->p = in->p;
        whole->n = hl + len;
    }
    in->p += hl + len;
    in->n -= hl + len;
    return 0;
}

static int der_expect(struct der *in, uint8_t want, struct der *val, struct der *whole)
{
    uint8_t tag;
    struct der save = *in;
    if (der_get(in, &tag, val, whole) != 0 || tag != want) {
        *in = save;
        return -1;
    }
    return 0;
}

static int oid_is(const struct der *oid, const uint8_t *bytes, size_t n)
{
    return oid->n == n && memcmp(oid->p, bytes, n) == 0;
}

/* Dotted text of a DER OID's contents. -1 if malformed or too long. */
static int oid_text(const struct der *oid, char *out, size_t cap)
{
    size_t o = 0;
    uint64_t v = 0;
    int first = 1;
    if (oid->n == 0 || cap == 0)
        return -1;
    for (size_t i = 0; i < oid->n; i++) {
        uint8_t b = oid->p[i];
        if (v == 0 && b == 0x80)
            return -1; /* non-minimal encoding */
        if (v > (UINT64_MAX >> 7))
            return -1;
        v = (v << 7) | (b & 0x7F);
        if (b & 0x80) {
            if (i + 1 == oid->n)
                return -1;
            continue;
        }
        int w;
        if (first) {
            unsigned a = v < 40 ? 0 : v < 80 ? 1 : 2;
            w = snprintf(out + o, cap - o, "%u.%llu", a, (unsigned long long)(v - 40u * a));
            first = 0;
        } else {
            w = snprintf(out + o, cap - o, ".%llu", (unsigned long long)v);
        }
        if (w < 0 || (size_t)w >= cap - o)
            return -1;
        o += (size_t)w;
        v = 0;
    }
    return 0;
}

/* ------------------------------------------------------------ identity values */

int certinfo_add_value(struct cert_identity *id, enum gh_field f, const char *text, size_t len)
{
    if ((unsigned)f >= GH_F_COUNT || id->nvalues >= GH_ID_MAX_VALUES ||
        len + 1 > (size_t)GH_ID_ARENA - id->arena_used)
        return GH_E_CAPACITY;
    struct gh_value *v = &id->values[id->nvalues++];
    v->field = (uint8_t)f;
    v->off = id->arena_used;
    v->len = (uint16_t)len;
    memcpy(id->arena + id->arena_used, text, len);
    id->arena[id->arena_used + len] = '\0';
    id->arena_used = (uint16_t)(id->arena_used + len + 1);
    return 0;
}

void certinfo_hex(const uint8_t *bytes, size_t n, char *out)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[bytes[i] >> 4];
        out[2 * i + 1] = hex[bytes[i] & 15];
    }
    out[2 * n] = '\0';
}

/* Text sink with a capacity; overflow is remembered, not written. */
struct sink {
    char *p;
    size_t cap, n;
    int over;
};

static void put_byte(struct sink *s, char c)
{
    if (s->n + 1 < s->cap)
        s->p[s->n++] = c;
    else
        s->over = 1;
}

static void put_cp(struct sink *s, uint32_t cp)
{
    char tmp[8];
    if (cp < 0x20 || cp == 0x7F || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
        /* Never let a control character or NUL reach a log line or a pattern. */
        snprintf(tmp, sizeof tmp, "\\x%02X", (unsigned)(cp & 0xFF));
        for (char *t = tmp; *t; t++)
            put_byte(s, *t);
    } else if (cp < 0x80) {
        put_byte(s, (char)cp);
    } else if (cp < 0x800) {
        put_byte(s, (char)(0xC0 | (cp >> 6)));
        put_byte(s, (char)(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        put_byte(s, (char)(0xE0 | (cp >> 12)));
        put_byte(s, (char)(0x80 | ((cp >> 6) & 0x3F)));
        put_byte(s, (char)(0x80 | (cp & 0x3F)));
    } else {
        put_byte(s, (char)(0xF0 | (cp >> 18)));
        put_byte(s, (char)(0x80 | ((cp >> 12) & 0x3F)));
        put_byte(s, (char)(0x80 | ((cp >> 6) & 0x3F)));
        put_byte(s, (char)(0x80 | (cp & 0x3F)));
    }
}

/* Decode one UTF-8 code point; invalid bytes come back as 0xDC00+byte so that
 * put_cp() shows them as \xNN. */
static size_t utf8_get(const uint8_t *s, size_t n, uint32_t *cp)
{
    uint8_t c = s[0];
    size_t len;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) { len = 2; v = c & 0x1F; min = 0x80; }
    else if (c >= 0xE0 && c <= 0xEF) { len = 3; v = c & 0x0F; min = 0x800; }
    else if (c >= 0xF0 && c <= 0xF4) { len = 4; v = c & 0x07; min = 0x10000; }
    else goto bad;
    if (n < len)
        goto bad;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            goto bad;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        goto bad;
    *cp = v;
    return len;
bad:
    *cp = 0xDC00u + c;
    return 1;
}

/* An ASN.1 string of any of the DirectoryString/IA5 types, as UTF-8 text. */
static void put_string(struct sink *s, uint8_t tag, const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        if (tag == T_BMP) {
            if (i + 2 > n) { put_cp(s, 0xDC00u + p[i]); break; }
            cp = (uint32_t)p[i] << 8 | p[i + 1];
            i += 2;
            if (cp >= 0xD800 && cp <= 0xDBFF && i + 2 <= n) {
                uint32_t lo = (uint32_t)p[i] << 8 | p[i + 1];
                if (lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    i += 2;
                }
            }
        } else if (tag == T_UNIVERSAL) {
            if (i + 4 > n) { put_cp(s, 0xDC00u + p[i]); break; }
            cp = (uint32_t)p[i] << 24 | (uint32_t)p[i + 1] << 16 | (uint32_t)p[i + 2] << 8 | p[i + 3];
            i += 4;
        } else if (tag == T_TELETEX) {
            cp = p[i++]; /* as Latin-1, as most software reads it */
        } else {
            i += utf8_get(p + i, n - i, &cp);
        }
        put_cp(s, cp);
    }
}

/* ------------------------------------------------------------ names */

struct attr_def {
    uint8_t oid[10];
    uint8_t oid_len;
    const char *label; /* for the one-line DN */
    int field;         /* subject field, or -1 */
};

static const struct attr_def attrs[] = {
    { { 0x55, 0x04, 0x03 }, 3, "CN", GH_F_SUBJECT_CN },
    { { 0x55, 0x04, 0x0A }, 3, "O", GH_F_SUBJECT_O },
    { { 0x55, 0x04, 0x0B }, 3, "OU", GH_F_SUBJECT_OU },
    { { 0x55, 0x04, 0x06 }, 3, "C", GH_F_SUBJECT_C },
    { { 0x55, 0x04, 0x08 }, 3, "ST", GH_F_SUBJECT_ST },
    { { 0x55, 0x04, 0x07 }, 3, "L", GH_F_SUBJECT_L },
    { { 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x01 }, 9, "emailAddress",
      GH_F_SUBJECT_EMAIL },
    { { 0x55, 0x04, 0x05 }, 3, "serialNumber", GH_F_SUBJECT_SERIALNUMBER },
    { { 0x09, 0x92, 0x26, 0x89, 0x93, 0xF2, 0x2C, 0x64, 0x01, 0x19 }, 10, "DC",
      GH_F_SUBJECT_DC },
    { { 0x55, 0x04, 0x09 }, 3, "STREET", -1 },
    { { 0x09, 0x92, 0x26, 0x89, 0x93, 0xF2, 0x2C, 0x64, 0x01, 0x01 }, 10, "UID", -1 },
    { { 0x55, 0x04, 0x0C }, 3, "title", -1 },
    { { 0x55, 0x04, 0x2A }, 3, "GN", -1 },
    { { 0x55, 0x04, 0x04 }, 3, "SN", -1 },
};

static const struct attr_def *find_attr(const struct der *oid)
{
    for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++)
        if (oid_is(oid, attrs[i].oid, attrs[i].oid_len))
            return &attrs[i];
    return NULL;
}

/* RFC 4514 escaping of one value into the display line. */
static void put_dn_value(struct sink *s, const char *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = v[i];
        if (strchr("\"+,;<>\\", c) || (i == 0 && (c == '#' || c == ' ')) ||
            (i + 1 == n && c == ' '))
            put_byte(s, '\\');
        put_byte(s, c);
    }
}

#define MAX_RDNS 32

/* Walk a Name: add its attributes as values (field base: subject or issuer;
 * none when id is NULL) and write the one-line form, last RDN first (RFC 4514
 * order). */
static int decode_name(const struct der *name, struct cert_identity *id, int issuer,
                       char *line, size_t line_cap)
{
    struct der rdns[MAX_RDNS];
    int nrdn = 0;
    struct der in = *name;
    struct sink dn = { line, line_cap, 0, 0 };
    const int shift = issuer ? GH_F_ISSUER_CN - GH_F_SUBJECT_CN : 0;

    while (in.n > 0) {
        struct der set;
        if (der_expect(&in, T_SET, &set, NULL) != 0)
            return GH_E_INVALID;
        if (nrdn == MAX_RDNS)
            return GH_E_CAPACITY;
        rdns[nrdn++] = set;
    }
    /* Values in certificate order: they are what `match` lines see. */
    for (int i = 0; i < nrdn; i++) {
        struct der set = rdns[i], atv;
        while (set.n > 0) {
            struct der oid, val;
            uint8_t tag;
            char buf[GH_ID_ARENA];
            struct sink s = { buf, sizeof buf, 0, 0 };
            if (der_expect(&set, T_SEQUENCE, &atv, NULL) != 0 ||
                der_expect(&atv, T_OID, &oid, NULL) != 0 || der_get(&atv, &tag, &val, NULL) != 0)
                return GH_E_INVALID;
            const struct attr_def *a = find_attr(&oid);
            if (!id || !a || a->field < 0)
                continue;
            put_string(&s, tag, val.p, val.n);
            if (s.over)
                return GH_E_CAPACITY;
            int rc = certinfo_add_value(id, (enum gh_field)(a->field + shift), buf, s.n);
            if (rc)
                return rc;
        }
    }
    /* The display line, last RDN first. */
    for (int i = nrdn - 1; i >= 0; i--) {
        struct der set = rdns[i], atv;
        int first_in_rdn = 1;
        while (set.n > 0) {
            struct der oid, val;
            uint8_t tag;
            char buf[GH_DN_MAX];
            struct sink s = { buf, sizeof buf, 0, 0 };
            char otext[64];
            if (der_expect(&set, T_SEQUENCE, &atv, NULL) != 0 ||
                der_expect(&atv, T_OID, &oid, NULL) != 0 || der_get(&atv, &tag, &val, NULL) != 0)
                return GH_E_INVALID;
            const struct attr_def *a = find_attr(&oid);
            const char *label = a ? a->label : NULL;
            if (!label) {
                if (oid_text(&oid, otext, sizeof otext) != 0)
                    snprintf(otext, sizeof otext, "?");
                label = otext;
            }
            if (dn.n > 0)
                put_byte(&dn, first_in_rdn ? ',' : '+');
            first_in_rdn = 0;
            for (const char *l = label; *l; l++)
                put_byte(&dn, *l);
            put_byte(&dn, '=');
            put_string(&s, tag, val.p, val.n);
            put_dn_value(&dn, buf, s.n);
        }
    }
    if (dn.over && line_cap > 4)
        memcpy(line + line_cap - 4, "...", 3), dn.n = line_cap - 1;
    line[dn.n < line_cap ? dn.n : line_cap - 1] = '\0';
    return 0;
}

/* ------------------------------------------------------------ extensions */

static const struct {
    const char *name;
    const char *oid;
} eku_names[] = {
    { "serverAuth", "1.3.6.1.5.5.7.3.1" },
    { "clientAuth", "1.3.6.1.5.5.7.3.2" },
    { "codeSigning", "1.3.6.1.5.5.7.3.3" },
    { "emailProtection", "1.3.6.1.5.5.7.3.4" },
    { "timeStamping", "1.3.6.1.5.5.7.3.8" },
    { "OCSPSigning", "1.3.6.1.5.5.7.3.9" },
    { "ipsecIKE", "1.3.6.1.5.5.7.3.17" },
    { "anyExtendedKeyUsage", "2.5.29.37.0" },
};

const char *certinfo_eku_name(const char *oid)
{
    for (size_t i = 0; i < sizeof eku_names / sizeof eku_names[0]; i++)
        if (strcmp(oid, eku_names[i].oid) == 0)
            return eku_names[i].name;
    return NULL;
}

const char *certinfo_eku_lookup(const char *name, int icase)
{
    for (size_t i = 0; i < sizeof eku_names / sizeof eku_names[0]; i++) {
        const char *n = eku_names[i].name;
        if (icase ? strcasecmp(name, n) == 0 : strcmp(name, n) == 0)
            return n;
    }
    return NULL;
}

const char *certinfo_eku_list(void)
{
    return "clientAuth, serverAuth, codeSigning, emailProtection, timeStamping, OCSPSigning, "
           "ipsecIKE, anyExtendedKeyUsage";
}

int certinfo_format_ip(const uint8_t *a, size_t len, char *out, size_t cap)
{
    int w;
    if (len == 4) {
        w = snprintf(out, cap, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
        return w < 0 || (size_t)w >= cap ? -1 : 0;
    }
    if (len != 16)
        return -1;
    static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF };
    if (memcmp(a, mapped, 12) == 0) { /* RFC 5952 section 5 */
        w = snprintf(out, cap, "::ffff:%u.%u.%u.%u", a[12], a[13], a[14], a[15]);
        return w < 0 || (size_t)w >= cap ? -1 : 0;
    }
    unsigned g[8];
    for (int i = 0; i < 8; i++)
        g[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
    /* The longest run of two or more zero groups (the first of equal runs). */
    int best = -1, best_len = 1;
    for (int i = 0; i < 8;) {
        if (g[i] != 0) { i++; continue; }
        int j = i;
        while (j < 8 && g[j] == 0)
            j++;
        if (j - i > best_len) {
            best = i;
            best_len = j - i;
        }
        i = j;
    }
    size_t o = 0;
    for (int i = 0; i < 8; i++) {
        if (i == best) {
            w = snprintf(out + o, cap - o, "::");
            i += best_len - 1;
        } else {
            int colon = i > 0 && !(best >= 0 && i == best + best_len);
            w = snprintf(out + o, cap - o, "%s%x", colon ? ":" : "", g[i]);
        }
        if (w < 0 || (size_t)w >= cap - o)
            return -1;
        o += (size_t)w;
    }
    return 0;
}

static int add_oid_value(struct cert_identity *id, enum gh_field f, const struct der *oid)
{
    char text[96];
    if (oid_text(oid, text, sizeof text) != 0)
        return GH_E_INVALID;
    return certinfo_add_value(id, f, text, strlen(text));
}

static int decode_san(const struct der *octets, struct cert_identity *id)
{
    struct der in = *octets, names;
    if (der_expect(&in, T_SEQUENCE, &names, NULL) != 0)
        return GH_E_INVALID;
    while (names.n > 0) {
        uint8_t tag;
        struct der v;
        int f, rc;
        if (der_get(&names, &tag, &v, NULL) != 0)
            return GH_E_INVALID;
        switch (tag) {
        case 0x81: f = GH_F_SAN_EMAIL; break;
        case 0x82: f = GH_F_SAN_DNS; break;
        case 0x86: f = GH_F_SAN_URI; break;
        case 0x87: f = GH_F_SAN_IP; break;
        default: continue; /* otherName, directoryName, ...: not matchable */
        }
        if (f == GH_F_SAN_IP) {
            char ip[64];
            if (certinfo_format_ip(v.p, v.n, ip, sizeof ip) != 0)
                continue; /* a name constraint's address/mask: not in a SAN */
            rc = certinfo_add_value(id, (enum gh_field)f, ip, strlen(ip));
        } else {
            char buf[GH_ID_ARENA];
            struct sink s = { buf, sizeof buf, 0, 0 };
            put_string(&s, T_IA5, v.p, v.n);
            if (s.over)
                return GH_E_CAPACITY;
            rc = certinfo_add_value(id, (enum gh_field)f, buf, s.n);
        }
        if (rc)
            return rc;
    }
    return 0;
}

static int decode_eku(const struct der *octets, struct cert_identity *id)
{
    struct der in = *octets, seq;
    if (der_expect(&in, T_SEQUENCE, &seq, NULL) != 0)
        return GH_E_INVALID;
    id->has_eku = 1;
    while (seq.n > 0) {
        struct der oid;
        char text[96];
        int rc;
        if (der_expect(&seq, T_OID, &oid, NULL) != 0 || oid_text(&oid, text, sizeof text) != 0)
            return GH_E_INVALID;
        if ((rc = certinfo_add_value(id, GH_F_EKU, text, strlen(text))) != 0)
            return rc;
        const char *name = certinfo_eku_name(text);
        if (name) {
            if ((rc = certinfo_add_value(id, GH_F_EKU, name, strlen(name))) != 0)
                return rc;
            if (strcmp(name, "clientAuth") == 0 || strcmp(name, "anyExtendedKeyUsage") == 0)
                id->eku_client_auth = 1;
        }
    }
    return 0;
}

static int decode_policies(const struct der *octets, struct cert_identity *id)
{
    struct der in = *octets, seq;
    if (der_expect(&in, T_SEQUENCE, &seq, NULL) != 0)
        return GH_E_INVALID;
    while (seq.n > 0) {
        struct der info, oid;
        int rc;
        if (der_expect(&seq, T_SEQUENCE, &info, NULL) != 0 ||
            der_expect(&info, T_OID, &oid, NULL) != 0)
            return GH_E_INVALID;
        if ((rc = add_oid_value(id, GH_F_POLICY, &oid)) != 0)
            return rc;
    }
    return 0;
}

static int decode_extensions(const struct der *exts, struct cert_identity *id)
{
    static const uint8_t san[] = { 0x55, 0x1D, 0x11 };
    static const uint8_t eku[] = { 0x55, 0x1D, 0x25 };
    static const uint8_t pol[] = { 0x55, 0x1D, 0x20 };
    struct der in = *exts, seq;
    if (der_expect(&in, T_SEQUENCE, &seq, NULL) != 0)
        return GH_E_INVALID;
    while (seq.n > 0) {
        struct der ext, oid, crit, octets;
        int rc = 0;
        if (der_expect(&seq, T_SEQUENCE, &ext, NULL) != 0 ||
            der_expect(&ext, T_OID, &oid, NULL) != 0)
            return GH_E_INVALID;
        (void)der_expect(&ext, T_BOOLEAN, &crit, NULL);
        if (der_expect(&ext, T_OCTET_STRING, &octets, NULL) != 0)
            return GH_E_INVALID;
        if (oid_is(&oid, san, sizeof san))
            rc = decode_san(&octets, id);
        else if (oid_is(&oid, eku, sizeof eku))
            rc = decode_eku(&octets, id);
        else if (oid_is(&oid, pol, sizeof pol))
            rc = decode_policies(&octets, id);
        if (rc)
            return rc;
    }
    return 0;
}

/* ------------------------------------------------------------ key and dates */

static int int_bits(const struct der *integer)
{
    size_t i = 0;
    while (i < integer->n && integer->p[i] == 0)
        i++;
    if (i == integer->n)
        return 0;
    int bits = (int)(integer->n - i - 1) * 8;
    for (uint8_t top = integer->p[i]; top; top >>= 1)
        bits++;
    return bits;
}

static void decode_key(const struct der *spki, struct cert_identity *id)
{
    static const uint8_t rsa[] = { 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01 };
    static const uint8_t ec[] = { 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01 };
    static const uint8_t ed25519[] = { 0x2B, 0x65, 0x70 };
    static const struct { uint8_t oid[8]; uint8_t len; int bits; } curves[] = {
        { { 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07 }, 8, 256 }, /* P-256 */
        { { 0x2B, 0x81, 0x04, 0x00, 0x22 }, 5, 384 },                   /* P-384 */
        { { 0x2B, 0x81, 0x04, 0x00, 0x23 }, 5, 521 },                   /* P-521 */
    };
    struct der in = *spki, alg, oid, params, bits;
    uint8_t ptag;
    if (der_expect(&in, T_SEQUENCE, &alg, NULL) != 0 || der_expect(&alg, T_OID, &oid, NULL) != 0 ||
        der_expect(&in, T_BIT_STRING, &bits, NULL) != 0 || bits.n < 1)
        return;
    bits.p++, bits.n--; /* unused-bits octet */
    if (oid_is(&oid, rsa, sizeof rsa)) {
        struct der key, n;
        id->key_type = GH_KEY_RSA;
        if (der_expect(&bits, T_SEQUENCE, &key, NULL) == 0 &&
            der_expect(&key, T_INTEGER, &n, NULL) == 0)
            id->key_bits = int_bits(&n);
    } else if (oid_is(&oid, ec, sizeof ec)) {
        id->key_type = GH_KEY_EC;
        if (der_get(&alg, &ptag, &params, NULL) == 0 && ptag == T_OID)
            for (size_t i = 0; i < sizeof curves / sizeof curves[0]; i++)
                if (oid_is(&params, curves[i].oid, curves[i].len))
                    id->key_bits = curves[i].bits;
        if (id->key_bits == 0 && bits.n > 1)
            id->key_bits = (int)((bits.n - 1) / 2 * 8); /* uncompressed point: 04 X Y */
    } else if (oid_is(&oid, ed25519, sizeof ed25519)) {
        id->key_type = GH_KEY_ED25519;
        id->key_bits = 256;
    }
}

/* Seconds since 1970 for a UTC civil date (Howard Hinnant's days_from_civil):
 * timegm() is not in every libc a router has. */
static int64_t utc_seconds(int y, int mon, int d, int h, int mi, int s)
{
    y -= mon <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const int64_t yoe = y - era * 400;
    const int64_t doy = (153 * (mon + (mon > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    const int64_t days = era * 146097 + doe - 719468;
    return days * 86400 + h * 3600 + mi * 60 + s;
}

static int decode_date(const byte *raw, int raw_len, int64_t *out)
{
    const byte *date;
    byte format;
    int len;
    struct tm tm;
    if (raw == NULL || wc_GetDateInfo(raw, raw_len, &date, &format, &len) != 0 ||
        wc_GetDateAsCalendarTime(date, len, format, &tm) != 0)
        return -1;
    *out = utc_seconds(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                       tm.tm_sec);
    return 0;
}

/* ------------------------------------------------------------ the whole */

/* tbsCertificate's parts that wolfSSL does not hand out in full. */
static int walk_tbs(const uint8_t *der, size_t len, struct cert_identity *id, struct gh_error *err)
{
    struct der in = { der, len }, cert, tbs, v, issuer, subject, spki_whole, spki;
    uint8_t tag;
    int rc;

    if (der_expect(&in, T_SEQUENCE, &cert, NULL) != 0 ||
        der_expect(&cert, T_SEQUENCE, &tbs, NULL) != 0)
        return gh_error_set(err, GH_E_INVALID, "not an X.509 certificate (bad DER framing)");
    (void)der_expect(&tbs, 0xA0, &v, NULL); /* version */
    if (der_expect(&tbs, T_INTEGER, &v, NULL) != 0 ||   /* serial */
        der_expect(&tbs, T_SEQUENCE, &v, NULL) != 0 ||  /* signature */
        der_expect(&tbs, T_SEQUENCE, &issuer, NULL) != 0 ||
        der_expect(&tbs, T_SEQUENCE, &v, NULL) != 0 ||  /* validity */
        der_expect(&tbs, T_SEQUENCE, &subject, NULL) != 0 ||
        der_expect(&tbs, T_SEQUENCE, &spki, &spki_whole) != 0)
        return gh_error_set(err, GH_E_INVALID, "not an X.509 certificate (bad tbsCertificate)");

    if ((rc = wc_Sha256Hash(spki_whole.p, (word32)spki_whole.n, id->spki_sha256)) != 0)
        return gh_error_set(err, GH_E_INTERNAL, "SHA-256 failed (wolfCrypt error %d)", rc);
    decode_key(&spki, id);

    rc = decode_name(&subject, id, 0, id->subject, sizeof id->subject);
    if (rc == 0)
        rc = decode_name(&issuer, id, 1, id->issuer, sizeof id->issuer);
    while (rc == 0 && tbs.n > 0) {
        if (der_get(&tbs, &tag, &v, NULL) != 0) {
            rc = GH_E_INVALID;
            break;
        }
        if (tag == 0xA3)
            rc = decode_extensions(&v, id);
    }
    if (rc == GH_E_CAPACITY)
        return gh_error_set(err, rc,
                            "certificate has more names and extensions than fit (%d values, "
                            "%d bytes of text)", GH_ID_MAX_VALUES, GH_ID_ARENA);
    if (rc)
        return gh_error_set(err, rc, "not an X.509 certificate (bad name or extension)");
    return 0;
}

static void put_serial(struct cert_identity *id, const uint8_t *s, int n)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (int i = 0; i < n && o + 2 < sizeof id->serial; i++) {
        if (o == 0 && s[i] >> 4 == 0) {
            if (s[i] & 15)
                id->serial[o++] = hex[s[i] & 15];
            continue;
        }
        id->serial[o++] = hex[s[i] >> 4];
        id->serial[o++] = hex[s[i] & 15];
    }
    if (o == 0)
        id->serial[o++] = '0';
    id->serial[o] = '\0';
}

int certinfo_from_der(const uint8_t *der, size_t len, struct cert_identity *id,
                      struct gh_error *err)
{
    DecodedCert dc;
    int rc;
    struct der in = { der, len }, whole, body;

    memset(id, 0, sizeof *id);
    if (der == NULL || len == 0)
        return gh_error_set(err, GH_E_INVALID, "empty certificate");
    if (len > GH_CERT_DER_MAX)
        return gh_error_set(err, GH_E_CAPACITY, "certificate is %zu bytes; the limit is %d",
                            len, GH_CERT_DER_MAX);
    if (der_get(&in, NULL, &body, &whole) != 0 || der[0] != T_SEQUENCE)
        return gh_error_set(err, GH_E_INVALID, "not an X.509 certificate (not DER)");
    if (in.n != 0)
        return gh_error_set(err, GH_E_INVALID,
                            "%zu extra bytes after the certificate's DER", in.n);

    wc_InitDecodedCert(&dc, der, (word32)len, NULL);
#ifdef WOLFSSL_OPTIONAL_X509_NAMES
    dc.noX509Names = 1;   /* names come from walk_tbs() below */
#endif
    rc = wc_ParseCert(&dc, CERT_TYPE, NO_VERIFY, NULL);
    if (rc != 0) {
        wc_FreeDecodedCert(&dc);
        return gh_error_set(err, GH_E_INVALID, "not an X.509 certificate (wolfSSL: %s)",
                            wc_GetErrorString(rc));
    }
    id->version = dc.version + 1;
    id->sig_sha1 = dc.signatureOID == CTC_SHAwRSA || dc.signatureOID == CTC_SHAwECDSA;
    put_serial(id, dc.serial, dc.serialSz);
    if (decode_date(dc.beforeDate, dc.beforeDateLen, &id->not_before) != 0 ||
        decode_date(dc.afterDate, dc.afterDateLen, &id->not_after) != 0) {
        wc_FreeDecodedCert(&dc);
        return gh_error_set(err, GH_E_INVALID, "certificate has an unreadable validity date");
    }
    wc_FreeDecodedCert(&dc);

    if ((rc = wc_Sha256Hash(der, (word32)len, id->sha256)) != 0)
        return gh_error_set(err, GH_E_INTERNAL, "SHA-256 failed (wolfCrypt error %d)", rc);
    if ((rc = walk_tbs(der, len, id, err)) != 0)
        return rc;
    rc = certinfo_add_value(id, GH_F_SERIAL, id->serial, strlen(id->serial));
    if (rc)
        return gh_error_set(err, rc, "certificate has more values than fit (%d)",
                            GH_ID_MAX_VALUES);
    return 0;
}

int certinfo_crl_info(const uint8_t *der, size_t len, struct crl_info *info, struct gh_error *err)
{
    /* CertificateList: tbsCertList { version OPTIONAL, signature, issuer,
     * thisUpdate, nextUpdate OPTIONAL, ... } */
    struct der in = { der, len }, crl, tbs, v, issuer, t_this, t_next;
    uint8_t tag;
    memset(info, 0, sizeof *info);
    if (der_expect(&in, T_SEQUENCE, &crl, NULL) != 0 || der_expect(&crl, T_SEQUENCE, &tbs, NULL) != 0)
        return gh_error_set(err, GH_E_INVALID, "not an X.509 CRL (bad DER framing)");
    (void)der_expect(&tbs, T_INTEGER, &v, NULL);   /* version */
    if (der_expect(&tbs, T_SEQUENCE, &v, NULL) != 0 ||
        der_expect(&tbs, T_SEQUENCE, &issuer, NULL) != 0 ||
        der_get(&tbs, &tag, &v, &t_this) != 0 ||
        decode_date(t_this.p, (int)t_this.n, &info->this_update) != 0)
        return gh_error_set(err, GH_E_INVALID, "not an X.509 CRL (bad tbsCertList)");
    if (der_get(&tbs, &tag, &v, &t_next) == 0 && (tag == 0x17 || tag == 0x18) &&
        decode_date(t_next.p, (int)t_next.n, &info->next_update) == 0)
        info->has_next_update = 1;
    if (decode_name(&issuer, NULL, 1, info->issuer, sizeof info->issuer) != 0)
        return gh_error_set(err, GH_E_INVALID, "not an X.509 CRL (bad issuer name)");
    return 0;
}
