#include "check.h"

#include <string.h>
#include <time.h>

#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/wolfcrypt/asn_public.h>

#include "budget.h"
#include "certinfo.h"
#include "certmap.h"
#include "gh_error.h"
#include "roles.h"

/* A PEM chain with a few certificates and comments fits. */
#define CHECK_CERT_FILE_MAX (64 * 1024)

static const char usage[] =
    "usage: gatehouse check FILE.ini [--cert CLIENT.pem]\n"
    "  Validate a mapping table (certmap.ini); with --cert, show which mapping\n"
    "  decides for that client certificate (PEM or DER) and why.\n";

/* Read a whole file into buf. Returns bytes read, cap+1 when the file is
 * larger than cap (buf then holds the first cap+1 bytes), -1 on error. */
static long read_file(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n;
    if (!f)
        return -1;
    n = fread(buf, 1, cap + 1, f);
    if (ferror(f)) {
        fclose(f);
        return -1;
    }
    fclose(f);
    return (long)n;
}

static void print_error(FILE *out, const char *path, const struct gh_error *e)
{
    if (e->line > 0)
        fprintf(out, "%s:%d: ", path, e->line);
    else
        fprintf(out, "%s: ", path);
    if (e->mapping[0])
        fprintf(out, "map \"%s\": ", e->mapping);
    fprintf(out, "%s\n", e->msg);
}

static void print_summary(FILE *out, const char *path, const struct certmap *t)
{
    int one = 0, match = 0, off = 0;
    for (int i = 0; i < t->count; i++) {
        if (t->maps[i].kind == CERTMAP_BY_MATCH)
            match++;
        else
            one++;
        off += !t->maps[i].enabled;
    }
    fprintf(out, "%s: %d mapping%s", path, t->count, t->count == 1 ? "" : "s");
    if (t->count > 0) {
        fprintf(out, " (%d one-to-one, %d match", one, match);
        if (off)
            fprintf(out, ", %d disabled", off);
        fprintf(out, ")");
    }
    fprintf(out, ", OK%s\n", t->count - off == 0 ? ": every client will be refused" : "");
}

/* ---- --cert */

static void print_time(FILE *out, int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    char buf[32];
    if ((int64_t)tt == t && gmtime_r(&tt, &tm) && strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm))
        fprintf(out, "%s UTC", buf);
    else
        fprintf(out, "%lld (seconds since 1970)", (long long)t);
}

static void print_identity(FILE *out, const char *path, const struct cert_identity *id)
{
    static const char *const key_types[] = { "unknown key type", "RSA", "EC", "Ed25519" };
    char hex[65];
    fprintf(out, "\ncertificate %s\n", path);
    fprintf(out, "  subject      %s\n", id->subject);
    fprintf(out, "  issuer       %s\n", id->issuer);
    fprintf(out, "  serial       %s\n", id->serial);
    certinfo_hex(id->sha256, sizeof id->sha256, hex);
    fprintf(out, "  fingerprint  sha256:%s\n", hex);
    certinfo_hex(id->spki_sha256, sizeof id->spki_sha256, hex);
    fprintf(out, "  pubkey       sha256:%s\n", hex);
    fprintf(out, "  valid        ");
    print_time(out, id->not_before);
    fprintf(out, " to ");
    print_time(out, id->not_after);
    fprintf(out, "\n  key          %s", key_types[id->key_type >= 0 && id->key_type <= 3 ? id->key_type : 0]);
    if (id->key_bits)
        fprintf(out, ", %d bits", id->key_bits);
    fprintf(out, "%s\n", id->sig_sha1 ? "; signed with SHA-1" : "");
    fprintf(out, "  fields a match line can test:\n");
    for (int i = 0; i < id->nvalues; i++) {
        const struct gh_value *v = &id->values[i];
        fprintf(out, "    %-22s %s\n", certmap_field_name(v->field), certinfo_value_text(id, v));
    }
    time_t now = time(NULL);
    if ((int64_t)now > id->not_after)
        fprintf(out, "  note: this certificate has expired: the TLS handshake refuses it before "
                     "any mapping\n");
    else if ((int64_t)now < id->not_before)
        fprintf(out, "  note: this certificate is not valid yet: the TLS handshake refuses it "
                     "before any mapping\n");
    if (id->has_eku && !id->eku_client_auth)
        fprintf(out, "  note: its Extended Key Usage does not allow clientAuth: the TLS "
                     "handshake refuses it before any mapping\n");
}

struct trace_ctx {
    FILE *out;
    const struct cert_identity *id;
    const struct certmap_mapping *last;
};

static const char *kind_name(int kind)
{
    switch (kind) {
    case CERTMAP_BY_CERT: return "certificate";
    case CERTMAP_BY_FINGERPRINT: return "fingerprint";
    case CERTMAP_BY_PUBKEY: return "pubkey";
    }
    return "match";
}

static void print_values(FILE *out, const struct cert_identity *id, int field)
{
    int shown = 0, total = 0;
    for (int i = 0; i < id->nvalues; i++)
        total += id->values[i].field == field;
    if (total == 0) {
        fprintf(out, "  (the certificate has no %s)", certmap_field_name(field));
        return;
    }
    fprintf(out, "  (%s is", certmap_field_name(field));
    for (int i = 0; i < id->nvalues && shown < 3; i++) {
        if (id->values[i].field != field)
            continue;
        fprintf(out, "%s \"%s\"", shown ? "," : "", certinfo_value_text(id, &id->values[i]));
        shown++;
    }
    if (total > shown)
        fprintf(out, " and %d more", total - shown);
    fprintf(out, ")");
}

static void trace(void *ctx, const struct certmap_mapping *m, int match_index, int ok)
{
    struct trace_ctx *c = ctx;
    FILE *out = c->out;
    if (c->last != m) {
        c->last = m;
        fprintf(out, "  map \"%s\" (line %d, %s):", m->name, m->line, kind_name(m->kind));
        if (m->kind == CERTMAP_BY_MATCH && m->enabled)
            fprintf(out, "\n");
    }
    if (!m->enabled) {
        fprintf(out, " disabled, skipped\n");
        return;
    }
    if (m->kind != CERTMAP_BY_MATCH) {
        const char *what = m->kind == CERTMAP_BY_PUBKEY ? "key" : "certificate";
        if (ok)
            fprintf(out, " this %s: decides\n", what);
        else
            fprintf(out, " another %s\n", what);
        return;
    }
    if (match_index < 0) {
        fprintf(out, "    -> %s\n", ok ? "every line holds: decides" : "not every line holds");
        return;
    }
    const struct certmap_match *mm = &m->match[match_index];
    char line[GH_PATTERN_MAX + 64];
    int which;
    snprintf(line, sizeof line, "%s %s %s", certmap_field_name(mm->field),
             certmap_op_name(mm->op), mm->pattern);
    certmap_match_line(mm, c->id, &which);
    fprintf(out, "    line %-4d %-40s %s", mm->line, line, ok ? "true " : "false");
    if (ok && which >= 0)
        fprintf(out, "  (\"%s\")", certinfo_value_text(c->id, &c->id->values[which]));
    else if (!ok)
        print_values(out, c->id, mm->field);
    fprintf(out, "\n");
}

static int check_cert(FILE *out, FILE *errout, const char *path, const struct certmap *t)
{
    static char file[CHECK_CERT_FILE_MAX + 1];
    static unsigned char der[GH_CERT_DER_MAX];
    static struct cert_identity id;
    struct gh_error e;
    struct certmap_decision d;
    struct trace_ctx c = { out, &id, NULL };
    long n = read_file(path, file, CHECK_CERT_FILE_MAX);
    int dlen;

    if (n < 0) {
        fprintf(errout, "gatehouse check: cannot read %s\n", path);
        return 2;
    }
    if (n > CHECK_CERT_FILE_MAX) {
        fprintf(errout, "gatehouse check: %s is larger than %d bytes: not a certificate\n", path,
                CHECK_CERT_FILE_MAX);
        return 2;
    }
    if (n > 0 && (unsigned char)file[0] == 0x30) {
        dlen = (int)(n <= GH_CERT_DER_MAX ? n : GH_CERT_DER_MAX + 1);
        if (n > GH_CERT_DER_MAX) {
            fprintf(errout, "gatehouse check: %s: certificate is larger than %d bytes\n", path,
                    GH_CERT_DER_MAX);
            return 2;
        }
        memcpy(der, file, (size_t)n);
    } else {
        file[n] = '\0';
        if (!strstr(file, "-----BEGIN CERTIFICATE-----")) {
            fprintf(errout, "gatehouse check: %s holds no certificate (no -----BEGIN "
                            "CERTIFICATE-----, and it is not DER)\n", path);
            return 2;
        }
        dlen = wc_CertPemToDer((const unsigned char *)file, (int)n, der, (int)sizeof der,
                               CERT_TYPE);
        if (dlen <= 0) {
            fprintf(errout, "gatehouse check: %s: the first certificate's PEM is broken or "
                            "larger than %d bytes\n", path, GH_CERT_DER_MAX);
            return 2;
        }
    }
    gh_error_clear(&e);
    if (certinfo_from_der(der, (size_t)dlen, &id, &e) != 0) {
        fprintf(errout, "gatehouse check: %s: %s\n", path, e.msg);
        return 2;
    }
    print_identity(out, path, &id);
    fprintf(out, "\nmappings, in the order they are tried:\n");
    if (t->count == 0)
        fprintf(out, "  (none)\n");
    certmap_decide(t, &id, &d, trace, &c);
    switch (d.result) {
    case CERTMAP_ALLOW:
        fprintf(out, "decision: allow role=%s by map \"%s\"\n", gh_role_name((enum gh_role)d.role),
                d.mapping);
        break;
    case CERTMAP_DENY:
        fprintf(out, "decision: deny by map \"%s\"\n", d.mapping);
        break;
    default:
        fprintf(out, "decision: no mapping matches (not-mapped)\n");
        break;
    }
    return 0;
}

int check_main(int argc, char **argv, FILE *out, FILE *errout)
{
    static char text[GH_CERTMAP_MAX_BYTES + 1];
    static struct certmap table;
    struct gh_error errs[GH_MAX_LOAD_ERRORS];
    const char *path = NULL, *cert = NULL;
    int nerrs = 0;
    long n;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage, out);
            return 0;
        } else if (strcmp(a, "--cert") == 0) {
            if (i + 1 >= argc) {
                fprintf(errout, "gatehouse check: --cert needs a file\n%s", usage);
                return 2;
            }
            cert = argv[++i];
        } else if (strncmp(a, "--cert=", 7) == 0) {
            cert = a + 7;
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(errout, "gatehouse check: unknown option %s\n%s", a, usage);
            return 2;
        } else if (path) {
            fprintf(errout, "gatehouse check: one table at a time (%s and %s)\n%s", path, a,
                    usage);
            return 2;
        } else {
            path = a;
        }
    }
    if (!path) {
        fprintf(errout, "gatehouse check: which table?\n%s", usage);
        return 2;
    }
    n = read_file(path, text, GH_CERTMAP_MAX_BYTES);
    if (n < 0) {
        fprintf(errout, "gatehouse check: cannot read %s\n", path);
        return 2;
    }
    if (n > GH_CERTMAP_MAX_BYTES) {
        fprintf(out, "%s: the table is larger than %d bytes, the limit\n", path,
                GH_CERTMAP_MAX_BYTES);
        fprintf(out, "%s: 1 error, the table would be refused\n", path);
        return 1;
    }
    certmap_load(&table, path, text, (size_t)n, errs, GH_MAX_LOAD_ERRORS, &nerrs);
    if (nerrs > 0) {
        int shown = nerrs < GH_MAX_LOAD_ERRORS ? nerrs : GH_MAX_LOAD_ERRORS;
        for (int i = 0; i < shown; i++)
            print_error(out, path, &errs[i]);
        if (nerrs > shown)
            fprintf(out, "%s: ... and %d more errors not shown\n", path, nerrs - shown);
        fprintf(out, "%s: %d error%s, the table would be refused\n", path, nerrs,
                nerrs == 1 ? "" : "s");
        return 1;
    }
    print_summary(out, path, &table);
    if (cert)
        return check_cert(out, errout, cert, &table);
    return 0;
}
