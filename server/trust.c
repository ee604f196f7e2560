#include "trust.h"

#include <stdio.h>
#include <string.h>

#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/error-ssl.h>

#include "clock.h"
#include "config.h"
#include "conn.h"
#include "log.h"
#include "tls.h"

uint64_t trust_name_key(const char *dn)
{
    uint64_t h = 0xcbf29ce484222325u;   /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)dn; *p; p++)
        h = (h ^ *p) * 0x100000001b3u;
    return h;
}

/* Load each "-----BEGIN X509 CRL-----" block on its own: wolfSSL 5.7.2 loads
 * only the first CRL of a buffer that holds several. */
static int load_crls(WOLFSSL_CERT_MANAGER *cm, const char *crl, size_t len, char *problem,
                     size_t cap, int required, struct gh_error *err)
{
    static const char begin[] = "-----BEGIN X509 CRL-----";
    static const char end[] = "-----END X509 CRL-----";
    const char *p = crl, *stop = crl + len;
    int n = 0;
    while (p < stop) {
        const char *b = memmem(p, (size_t)(stop - p), begin, sizeof begin - 1);
        const char *e;
        if (!b)
            break;
        e = memmem(b, (size_t)(stop - b), end, sizeof end - 1);
        if (!e)
            return gh_error_set(err, GH_E_INVALID, "crl.pem: CRL %d has no END line", n + 1);
        e += sizeof end - 1;
        p = e;
        int rc = wolfSSL_CertManagerLoadCRLBuffer(cm, (const unsigned char *)b, (long)(e - b),
                                                  WOLFSSL_FILETYPE_PEM);
        n++;
        if (rc != WOLFSSL_SUCCESS) {
            char why[128];
            tls_err_text(rc, why, sizeof why);
            if (rc == ASN_AFTER_DATE_E || rc == CRL_CERT_DATE_ERR) {
                /* A stale CRL: still refuse what it lists? wolfSSL will not
                 * load it. Say so; `required` turns it into a refusal. */
                snprintf(problem, cap, "crl.pem: CRL %d is past its nextUpdate", n);
                if (!required)
                    gh_log(GH_LOG_WARN, "%s; it is not used (crl = optional)", problem);
                continue;
            }
            if (rc == ASN_CRL_NO_SIGNER_E)
                return gh_error_set(err, GH_E_INVALID,
                                    "crl.pem: CRL %d is not signed by a CA in ca.pem", n);
            return gh_error_set(err, GH_E_INVALID, "crl.pem: CRL %d cannot be loaded: %s", n, why);
        }
    }
    if (n == 0)
        return gh_error_set(err, GH_E_INVALID, "crl.pem: holds no \"%s\" block", begin);
    if (!required)
        problem[0] = '\0';
    return 0;
}

/* The subject of every certificate in ca.pem, for tls_chain_check(). Runs under
 * the reload lock, one load at a time: the scratch can be static. */
static int load_anchors(struct trust_anchors *a, const char *ca, size_t len, struct gh_error *err)
{
    static const char begin[] = "-----BEGIN CERTIFICATE-----";
    static const char end[] = "-----END CERTIFICATE-----";
    static unsigned char der[GH_CERT_DER_MAX];
    static struct cert_identity id;
    const char *p = ca, *stop = ca + len;
    struct gh_error e;
    a->n = 0;
    while (p < stop) {
        const char *b = memmem(p, (size_t)(stop - p), begin, sizeof begin - 1), *q;
        if (!b)
            break;
        q = memmem(b, (size_t)(stop - b), end, sizeof end - 1);
        if (!q)
            return gh_error_set(err, GH_E_INVALID, "ca.pem: certificate %d has no END line", a->n + 1);
        p = q + sizeof end - 1;
        if (a->n >= GH_MAX_TRUST_ANCHORS)
            return gh_error_set(err, GH_E_INVALID, "ca.pem: more than %d certificates "
                                "(budget.h GH_MAX_TRUST_ANCHORS)", GH_MAX_TRUST_ANCHORS);
        int n = wc_CertPemToDer((const unsigned char *)b, (int)(p - b), der, (int)sizeof der, CERT_TYPE);
        if (n <= 0)
            return gh_error_set(err, GH_E_INVALID, "ca.pem: certificate %d is not valid PEM, or "
                                "larger than %d bytes", a->n + 1, GH_CERT_DER_MAX);
        if (certinfo_from_der(der, (size_t)n, &id, &e) != 0)
            return gh_error_set(err, GH_E_INVALID, "ca.pem: certificate %d: %s", a->n + 1, e.msg);
        if (clock_judge(id.not_before, id.not_after) == CLOCK_EXPIRED)
            gh_log(GH_LOG_WARN, "ca.pem: certificate %d (%s) has expired: the clients below it are "
                   "refused", a->n + 1, id.subject);
        a->not_before[a->n] = id.not_before;
        a->not_after[a->n] = id.not_after;
        a->subject[a->n++] = trust_name_key(id.subject);
    }
    return 0;
}

int trust_store_create(WOLFSSL_X509_STORE **out, struct trust_anchors *anchors, const char *ca,
                     size_t ca_len, const char *crl, size_t crl_len, const struct gh_policy *policy,
                     char *crl_problem, size_t crl_problem_cap, struct gh_error *err)
{
    char why[128];
    WOLFSSL_X509_STORE *st = wolfSSL_X509_STORE_new();
    int rc;
    *out = NULL;
    if (!st)
        return gh_error_set(err, GH_E_NOMEM, "cannot create the trust store (out of memory)");
    if (!memmem(ca, ca_len, "-----BEGIN CERTIFICATE-----", 27)) {
        wolfSSL_X509_STORE_free(st);
        return gh_error_set(err, GH_E_INVALID, "ca.pem: holds no PEM certificate");
    }
    /* whatever the clock says (clock.h): a CA's dates are not a reason to
     * stop serving, and wolfSSL judges the clients' own */
    rc = wolfSSL_CertManagerLoadCABuffer_ex(st->cm, (const unsigned char *)ca, (long)ca_len,
                                            WOLFSSL_FILETYPE_PEM, 0, WOLFSSL_LOAD_FLAG_DATE_ERR_OKAY);
    if (rc != WOLFSSL_SUCCESS) {
        tls_err_text(rc, why, sizeof why);
        wolfSSL_X509_STORE_free(st);
        return gh_error_set(err, GH_E_INVALID, "ca.pem: cannot be loaded: %s", why);
    }
    rc = load_anchors(anchors, ca, ca_len, err);
    if (rc) {
        wolfSSL_X509_STORE_free(st);
        return rc;
    }
    if (crl) {
        rc = wolfSSL_CertManagerEnableCRL(st->cm, 0);
        if (rc == WOLFSSL_SUCCESS)
            rc = load_crls(st->cm, crl, crl_len, crl_problem, crl_problem_cap,
                           policy->crl == GH_CRL_REQUIRED, err);
        else
            rc = gh_error_set(err, GH_E_INTERNAL, "cannot enable CRL checking");
        if (rc) {
            wolfSSL_X509_STORE_free(st);
            return rc;
        }
    }
    *out = st;
    return 0;
}

void trust_store_free(WOLFSSL_X509_STORE *store)
{
    wolfSSL_X509_STORE_free(store);
}

/* One certificate against a store: signature, dates, CRL. As at the
 * handshake, `crl = optional` passes a certificate whose issuer has no
 * current CRL. */
static int reverify_one(struct gh_conn *cn, WOLFSSL_CERT_MANAGER *cm, const uint8_t *der,
                        size_t len, const char *what)
{
    char why[96];
    int rc = wolfSSL_CertManagerVerifyBuffer(cm, der, (long)len, WOLFSSL_FILETYPE_ASN1);
    if (cn->policy.crl == GH_CRL_OPTIONAL && (rc == CRL_MISSING || rc == CRL_CERT_DATE_ERR))
        rc = WOLFSSL_SUCCESS;
    if (rc == WOLFSSL_SUCCESS)
        return 0;
    tls_err_text(rc, why, sizeof why);
    snprintf(cn->reason, sizeof cn->reason, "%s", tls_reason(rc));
    snprintf(cn->detail, sizeof cn->detail, "after a reload: %s: %s", what, why);
    return GH_E_INVALID;
}

/* After a reload: the CA certificates the client sent, top down, against the
 * new store (signature, dates, CRL) and policy; each that passes is added to
 * the store, as wolfSSL does with a chain at a handshake, so that the next
 * one and the client's own can be verified against it. */
static int recheck_chain(struct gh_conn *cn, WOLFSSL_CERT_MANAGER *cm)
{
    struct cert_identity *scratch = tls_ca_scratch();
    char why[96];
    struct gh_error e;
    size_t off = 0;
    if (cn->nchain > 0 && cn->chain_der_used == (size_t)-1) {
        snprintf(cn->reason, sizeof cn->reason, "untrusted");
        snprintf(cn->detail, sizeof cn->detail, "after a reload: its chain was larger than the "
                 "server keeps (budget.h GH_CHAIN_KEEP_BYTES); reconnect");
        return GH_E_INVALID;
    }
    for (int i = 0; i < cn->nchain; i++) {
        const uint8_t *der = cn->chain_der + off;
        size_t len = cn->chain_der_len[i];
        off += len;
        if (reverify_one(cn, cm, der, len, "a CA certificate of its chain") != 0)
            return GH_E_INVALID;
        if (certinfo_from_der(der, len, scratch, &e) == 0 &&
            tls_policy_check(scratch, &cn->policy, 0, why, sizeof why) != 0) {
            snprintf(cn->reason, sizeof cn->reason, "policy");
            snprintf(cn->detail, sizeof cn->detail, "after a reload: a CA certificate of its chain: %s", why);
            return GH_E_INVALID;
        }
        if (wolfSSL_CertManagerLoadCABuffer(cm, der, (long)len, WOLFSSL_FILETYPE_ASN1) != WOLFSSL_SUCCESS) {
            snprintf(cn->reason, sizeof cn->reason, "out-of-memory");
            snprintf(cn->detail, sizeof cn->detail, "after a reload: no memory to re-check its chain");
            return GH_E_NOMEM;
        }
    }
    return 0;
}

int trust_recheck(struct gh_conn *cn, const struct gh_config *cfg, const uint8_t *der, size_t len)
{
    WOLFSSL_CERT_MANAGER *cm = cfg->store->cm;
    cn->policy = cfg->settings.policy;
    cn->anchors = cfg->anchors;
    if (recheck_chain(cn, cm) != 0)
        return GH_E_INVALID;
    if (reverify_one(cn, cm, der, len, "certificate") != 0)
        return GH_E_INVALID;
    if (clock_take_unknown())
        cn->clock_unknown = 1;
    if (tls_policy_check(&cn->id, &cn->policy, 1, cn->detail, sizeof cn->detail) != 0) {
        snprintf(cn->reason, sizeof cn->reason, "policy");
        return GH_E_INVALID;
    }
    /* max_depth as it is now, from ca.pem as it is now */
    cn->hs_state = GH_HS_VERIFIED;
    tls_chain_check(cn);
    if (cn->hs_state != GH_HS_VERIFIED)
        return GH_E_INVALID;
    if (cfg->crl_problem[0]) {
        snprintf(cn->reason, sizeof cn->reason, "revocation-unknown");
        snprintf(cn->detail, sizeof cn->detail, "%s", cfg->crl_problem);
        return GH_E_INVALID;
    }
    return 0;
}
