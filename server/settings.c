#include "settings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

void settings_defaults(struct gh_settings *s)
{
    memset(s, 0, sizeof *s);
    s->policy.reject = GH_REJECT_HANDSHAKE;
    s->policy.crl = GH_CRL_OPTIONAL;
    s->policy.min_rsa_bits = 2048;
    s->policy.min_ec_bits = 256;
    s->policy.allow_sha1 = 0;
    s->policy.max_depth = GH_MAX_CHAIN_DEPTH;
    snprintf(s->server_key, sizeof s->server_key, "file:server.key");
}

struct parse {
    struct gh_settings *s;
    struct gh_error *err;
    const char *file;
    int failed;
};

/* Keep the first error; inih goes on calling us for the lines after it. */
#define FAIL(...)                                                            \
    do {                                                                     \
        if (!p->failed) {                                                    \
            p->failed = 1;                                                   \
            snprintf(p->err->file, sizeof p->err->file, "%s", p->file);      \
            p->err->line = line;                                             \
            gh_error_set(p->err, GH_E_INVALID, __VA_ARGS__);                 \
        }                                                                    \
        return 1;                                                            \
    } while (0)

static int parse_bool(const char *v, int *out)
{
    if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "on") || !strcmp(v, "1"))
        *out = 1;
    else if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "off") || !strcmp(v, "0"))
        *out = 0;
    else
        return -1;
    return 0;
}

static int parse_int(const char *v, int lo, int hi, int *out)
{
    char *end;
    long n = strtol(v, &end, 10);
    if (end == v || *end || n < lo || n > hi)
        return -1;
    *out = (int)n;
    return 0;
}

static int on_key(void *user, const char *section, const char *name, const char *value, int line)
{
    struct parse *p = user;
    struct gh_policy *pol = &p->s->policy;
    if (p->failed)
        return 1;
    if (!name) {   /* a new section (INI_CALL_HANDLER_ON_NEW_SECTION) */
        if (strcmp(section, "tls") && strcmp(section, "trust") && strcmp(section, "keystore"))
            FAIL("unknown section [%s] (expected [tls], [trust] or [keystore])", section);
        return 1;
    }
    if (!strcmp(section, "tls") && !strcmp(name, "reject")) {
        if (!strcmp(value, "handshake")) pol->reject = GH_REJECT_HANDSHAKE;
        else if (!strcmp(value, "page")) pol->reject = GH_REJECT_PAGE;
        else FAIL("reject must be `handshake` or `page`, not `%s`", value);
    } else if (!strcmp(section, "trust") && !strcmp(name, "crl")) {
        if (!strcmp(value, "optional")) pol->crl = GH_CRL_OPTIONAL;
        else if (!strcmp(value, "required")) pol->crl = GH_CRL_REQUIRED;
        else FAIL("crl must be `optional` or `required`, not `%s`", value);
    } else if (!strcmp(section, "trust") && !strcmp(name, "min_rsa_bits")) {
        if (parse_int(value, 1024, 16384, &pol->min_rsa_bits))
            FAIL("min_rsa_bits must be a number from 1024 to 16384, not `%s`", value);
    } else if (!strcmp(section, "trust") && !strcmp(name, "min_ec_bits")) {
        if (parse_int(value, 256, 521, &pol->min_ec_bits))
            FAIL("min_ec_bits must be a number from 256 to 521, not `%s`", value);
    } else if (!strcmp(section, "trust") && !strcmp(name, "allow_sha1")) {
        if (parse_bool(value, &pol->allow_sha1))
            FAIL("allow_sha1 must be `true` or `false`, not `%s`", value);
    } else if (!strcmp(section, "trust") && !strcmp(name, "max_depth")) {
        if (parse_int(value, 1, GH_MAX_CHAIN_DEPTH, &pol->max_depth))
            FAIL("max_depth must be a number from 1 to %d, not `%s`", GH_MAX_CHAIN_DEPTH, value);
    } else if (!strcmp(section, "keystore") && !strcmp(name, "server_key")) {
        if (strlen(value) >= sizeof p->s->server_key)
            FAIL("server_key is longer than %zu characters", sizeof p->s->server_key - 1);
        if (strncmp(value, "file:", 5) && strncmp(value, "pkcs11:", 7))
            FAIL("server_key must start with `file:` or `pkcs11:`, not `%s`", value);
        snprintf(p->s->server_key, sizeof p->s->server_key, "%s", value);
    } else {
        FAIL("unknown key `%s` in [%s]", name, section);
    }
    return 1;
}

int settings_parse(struct gh_settings *s, const char *file, const char *text, struct gh_error *err)
{
    struct parse p = {s, err, file, 0};
    int rc;
    settings_defaults(s);
    gh_error_clear(err);
    rc = ini_parse_string(text, on_key, &p);
    if (p.failed)
        return GH_E_INVALID;
    if (rc > 0) {
        snprintf(err->file, sizeof err->file, "%s", file);
        err->line = rc;
        return gh_error_set(err, GH_E_INVALID, "not an INI line (expected `[section]` or `key = value`)");
    }
    return rc == 0 ? GH_OK : gh_error_set(err, GH_E_INTERNAL, "the INI parser failed (%d)", rc);
}
