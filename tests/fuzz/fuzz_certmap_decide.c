/* fuzz_certmap_decide: the matcher and the certificate decoder.
 * The first byte picks what the rest is:
 *   0: DER of a client certificate -> certinfo_from_der -> decide (with a trace)
 *   1: an identity as records [field][length][bytes...] -> decide
 *   2: PATTERN NUL VALUE -> every operator; the operators must agree with each
 *      other (`=` implies `=i`, `~` implies `~i`, and `=` implies `~` when the
 *      pattern has no wildcard). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "certmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct certmap table;
static int table_ready;
static struct cert_identity id;

static const char table_text[] =
    "[certmap]\nversion = 1\n"
    "[map \"by-fp\"]\nfingerprint = sha256:"
    "A8E182CE88DACFA9CBB8E86C16DD0C50E1FD7D78C0AC17BD6D8883C0376DE8ED\nrole = admin\n"
    "[map \"field\"]\nmatch = issuer.CN ~ *Client CA\nmatch = subject.OU ~i service*\n"
    "match = san.email ~ *@acme.example\nrole = operator\n"
    "[map \"ip\"]\nmatch = san.ip = 2001:db8::7\nmatch = serial ~ a?1*\nrole = viewer\n"
    "[map \"eku\"]\nmatch = eku = clientAuth\nmatch = policy = 1.3.6.1.4.1.55555.1.2\nrole = viewer\n"
    "[map \"dc\"]\nmatch = subject.DC =i ACME\nmatch = subject.CN ~ *?*?*?*\naction = deny\n"
    "[map \"off\"]\nmatch = subject.CN ~ *\nrole = admin\nenabled = false\n";

static void trace(void *ctx, const struct certmap_mapping *m, int match_index, int ok)
{
    int *count = ctx;
    if (!m || match_index >= (int)GH_MAX_MATCH_PER_MAPPING || (ok != 0 && ok != 1))
        abort();
    ++*count;
}

static void decide_and_check(void)
{
    struct certmap_decision d, d2;
    int count = 0;
    certmap_decide(&table, &id, &d, NULL, NULL);
    certmap_decide(&table, &id, &d2, trace, &count);
    if (d.result != d2.result || d.index != d2.index || d.role != d2.role)
        abort(); /* tracing evaluates more lines, never decides otherwise */
    if ((d.result == CERTMAP_NO_MATCH) != (d.index < 0) ||
        (d.result == CERTMAP_ALLOW) != (d.role != GH_ROLE_NONE))
        abort();
}

static int holds(int op, const char *p, const char *v, size_t vl)
{
    return certmap_pattern_match(op, p, v, vl);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!table_ready) {
        struct gh_error e[4];
        int n;
        if (certmap_load(&table, "t.ini", table_text, sizeof table_text - 1, e, 4, &n) != 0)
            abort();
        table_ready = 1;
    }
    if (size < 1)
        return 0;
    switch (data[0] % 3) {
    case 0: {
        struct gh_error err;
        if (certinfo_from_der(data + 1, size - 1, &id, &err) == 0) {
            if (id.nvalues > GH_ID_MAX_VALUES || id.arena_used > GH_ID_ARENA)
                abort();
            decide_and_check();
        }
        break;
    }
    case 1: {
        size_t i = 1;
        memset(&id, 0, sizeof id);
        while (i + 2 <= size) {
            size_t len = data[i + 1];
            if (i + 2 + len > size)
                len = size - i - 2;
            certinfo_add_value(&id, (enum gh_field)(data[i] % GH_F_COUNT),
                               (const char *)data + i + 2, len);
            i += 2 + len;
        }
        decide_and_check();
        break;
    }
    default: {
        char pattern[GH_PATTERN_MAX + 1];
        const uint8_t *nul = memchr(data + 1, 0, size - 1);
        size_t pl = nul ? (size_t)(nul - data - 1) : size - 1;
        const char *v = nul ? (const char *)nul + 1 : "";
        size_t vl = nul ? size - (size_t)(nul - data) - 1 : 0;
        if (pl > GH_PATTERN_MAX)
            pl = GH_PATTERN_MAX;
        memcpy(pattern, data + 1, pl);
        pattern[pl] = '\0';
        int eq = holds(CERTMAP_OP_EQ, pattern, v, vl);
        int eqi = holds(CERTMAP_OP_EQ_I, pattern, v, vl);
        int w = holds(CERTMAP_OP_WILD, pattern, v, vl);
        int wi = holds(CERTMAP_OP_WILD_I, pattern, v, vl);
        if ((eq && !eqi) || (w && !wi))
            abort();
        if (eq && !strpbrk(pattern, "*?") && !w)
            abort();
        if (eq && !holds(CERTMAP_OP_WILD, "*", v, vl))
            abort();
        break;
    }
    }
    return 0;
}
