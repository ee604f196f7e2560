#include "trust.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/asn.h>
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

/* The next "-----BEGIN <what>-----" ... "-----END <what>-----" block from *p:
 * 1 and [*b, *e) when there is one, 0 when there is none, -1 when it has no
 * END line. */
static int next_block(const char **p, const char *stop, const char *begin, const char *end,
                      const char **b, const char **e)
{
    *b = memmem(*p, (size_t)(stop - *p), begin, strlen(begin));
    if (!*b)
        return 0;
    *e = memmem(*b, (size_t)(stop - *b), end, strlen(end));
    if (!*e)
        return -1;
    *e += strlen(end);
    *p = *e;
    return 1;
}

/* A CRL whose issuer is not in ca.pem: the usual layout, where ca.pem holds
 * the root and each intermediate's CRL comes along with the root's. Its
 * signature cannot be checked yet, so wolfSSL keeps it unverified (loaded
 * through d2i_X509_CRL + X509_STORE_add_crl, wolfSSL's own path for CRLs
 * without a known signer) and verifies it the first time a certificate from
 * that issuer is checked against it: by then the issuer is a CA that a
 * client's verified chain presented (wolfSSL adds each verified CA of a chain
 * to the generation's store before it checks the certificate below). wolfSSL
 * verifies it once per CRL entry and store, under the entry's own lock; one
 * whose signature fails is never used (crl.c VerifyCRLE). Its bytes live in
 * the TLS pool with the generation's other CRLs. We keep its issuer, to
 * say once why a CRL from that issuer is not applied (trust_crl_missing). */
static int keep_pending_crl(WOLFSSL_X509_STORE *st, struct trust_anchors *a, const char *pem,
                            size_t len, int n, struct gh_error *err)
{
    DerBuffer *der = NULL;
    struct crl_info info;
    struct gh_error e;
    WOLFSSL_X509_CRL *crl;
    int rc;
    if (a->npending >= GH_MAX_PENDING_CRLS)
        return gh_error_set(err, GH_E_INVALID, "crl.pem: more than %d CRLs from CAs that are not "
                            "in ca.pem (budget.h GH_MAX_PENDING_CRLS)", GH_MAX_PENDING_CRLS);
    rc = wc_PemToDer((const unsigned char *)pem, (long)len, CRL_TYPE, &der, NULL, NULL, NULL);
    if (rc != 0 || !der)
        return gh_error_set(err, GH_E_INVALID, "crl.pem: CRL %d is not valid PEM", n);
    if (certinfo_crl_info(der->buffer, der->length, &info, &e) != 0) {
        wc_FreeDer(&der);
        return gh_error_set(err, GH_E_INVALID, "crl.pem: CRL %d: %s", n, e.msg);
    }
    crl = wolfSSL_d2i_X509_CRL(NULL, der->buffer, (int)der->length);
    wc_FreeDer(&der);
    rc = crl ? wolfSSL_X509_STORE_add_crl(st, crl) : WOLFSSL_FAILURE;
    wolfSSL_X509_CRL_free(crl);
    /* add_crl also turns on CRL_CHECKALL; the CAs are ours to check (tls.c
     * ca_crl_check): back to wolfSSL checking the client's own */
    if (rc == WOLFSSL_SUCCESS && (wolfSSL_CertManagerDisableCRL(st->cm) != WOLFSSL_SUCCESS ||
                                  wolfSSL_CertManagerEnableCRL(st->cm, 0) != WOLFSSL_SUCCESS))
        rc = WOLFSSL_FAILURE;
    if (rc != WOLFSSL_SUCCESS)
        return gh_error_set(err, GH_E_INVALID, "crl.pem: CRL %d (from %s) cannot be loaded%s", n,
                            info.issuer, crl ? " (out of memory)" : "");
    a->pending[a->npending].issuer = trust_name_key(info.issuer);
    a->pending[a->npending].next_update = info.has_next_update ? info.next_update : INT64_MAX;
    a->pending[a->npending].crl = (uint8_t)(n > 255 ? 255 : n);
    a->npending++;
    gh_log(GH_LOG_DEBUG, "crl.pem: CRL %d is from %s, which is not in ca.pem: applied once a "
           "client's verified chain presents it", n, info.issuer);
    return 0;
}

/* Load each "-----BEGIN X509 CRL-----" block on its own: wolfSSL 5.7.2 loads
 * only the first CRL of a buffer that holds several. */
static int load_crls(WOLFSSL_X509_STORE *st, struct trust_anchors *a, const char *crl,
                     size_t len, char *problem, size_t cap, int required, struct gh_error *err)
{
    static const char begin[] = "-----BEGIN X509 CRL-----";
    const char *p = crl, *stop = crl + len, *b, *e;
    int n = 0, found;
    while ((found = next_block(&p, stop, begin, "-----END X509 CRL-----", &b, &e)) != 0) {
        n++;
        if (found < 0)
            return gh_error_set(err, GH_E_INVALID, "crl.pem: CRL %d has no END line", n);
        int rc = wolfSSL_CertManagerLoadCRLBuffer(st->cm, (const unsigned char *)b, (long)(e - b),
                                                  WOLFSSL_FILETYPE_PEM);
        if (rc == WOLFSSL_SUCCESS)
            continue;
        if (rc == ASN_AFTER_DATE_E || rc == CRL_CERT_DATE_ERR) {
            /* A stale CRL: still refuse what it lists? wolfSSL will not
             * load it. Say so; `required` turns it into a refusal. */
            snprintf(problem, cap, "crl.pem: CRL %d is past its nextUpdate", n);
            if (!required)
                gh_log(GH_LOG_WARN, "%s; it is not used (crl = optional)", problem);
            continue;
        }
        if (rc == ASN_CRL_NO_SIGNER_E) {   /* dates and form held: only the signer is unknown */
            rc = keep_pending_crl(st, a, b, (size_t)(e - b), n, err);
            if (rc)
                return rc;
            continue;
        }
        char why[128];
        tls_err_text(rc, why, sizeof why);
        return gh_error_set(err, GH_E_INVALID, "crl.pem: CRL %d cannot be loaded: %s", n, why);
    }
    if (n == 0)
        return gh_error_set(err, GH_E_INVALID, "crl.pem: holds no \"%s\" block", begin);
    if (!required)
        problem[0] = '\0';
    return 0;
}

/* ---- the CAs of ca.pem against their issuers' CRLs ----
 * wolfSSL takes every certificate of ca.pem as a trust anchor: it never
 * checks one against a CRL. A CA of ca.pem below a root that is also there
 * (the layout that loaded an intermediate's CRL before pending CRLs) must
 * still refuse its clients once the root's CRL revokes it. Its verdict cannot
 * change within a generation (crl.pem and ca.pem are the generation's), so it
 * is decided here, once, and the handshake only looks it up when a client's
 * path ends at that CA (tls.c tls_chain_check, trust_anchor_verdict). A CA
 * whose issuer is not in ca.pem is an anchor by configuration: there is no
 * key to check a CRL from its issuer with. A self-signed root is not checked
 * against its own CRL. A CA below a revoked (or, with `crl = required`,
 * unchecked) CA of ca.pem takes that CA's verdict. */
enum { ANCHOR_FINE, ANCHOR_REVOKED, ANCHOR_UNKNOWN };

static int anchor_of(const struct trust_anchors *a, uint64_t subject)
{
    for (int i = 0; i < a->n; i++)
        if (a->subject[i] == subject)
            return i;
    return -1;
}

/* The verdict of ca.pem's certificate i and of the CAs of ca.pem above it. */
static void judge_anchors(struct trust_anchors *a, const uint64_t *issuer, const uint8_t *own,
                          char names[][GH_DN_MAX])
{
    int named[GH_MAX_TRUST_ANCHORS];
    for (int i = 0; i < a->n; i++)
        named[i] = -1;
    a->nnames = 0;
    for (int i = 0; i < a->n; i++) {
        int culprit = -1;
        for (int j = i, steps = 0; j >= 0 && steps < a->n; steps++) {
            if (own[j] == ANCHOR_REVOKED || (own[j] == ANCHOR_UNKNOWN && culprit < 0))
                culprit = j;
            if (own[j] == ANCHOR_REVOKED)
                break;
            int up = anchor_of(a, issuer[j]);
            j = up == j ? -1 : up;
        }
        a->state[i] = (uint8_t)(culprit < 0 ? ANCHOR_FINE : own[culprit]);
        a->name[i] = 0xff;
        if (culprit < 0)
            continue;
        if (named[culprit] < 0 && a->nnames < GH_MAX_BAD_ANCHORS) {
            named[culprit] = a->nnames;
            snprintf(a->names[a->nnames++], GH_DN_MAX, "%s", names[culprit]);
        }
        if (named[culprit] >= 0)
            a->name[i] = (uint8_t)named[culprit];
    }
}

/* The subject of every certificate in ca.pem, for tls_chain_check(), and
 * with crl.pem loaded, each CA's verdict (above). Runs under the reload lock,
 * one load at a time: the scratch can be static. */
static int load_anchors(struct trust_anchors *a, WOLFSSL_CERT_MANAGER *cm, int have_crl,
                        int required, const char *ca, size_t len, struct gh_error *err)
{
    static unsigned char der[GH_CERT_DER_MAX];
    static struct cert_identity id;
    static uint64_t issuer[GH_MAX_TRUST_ANCHORS];
    static uint8_t own[GH_MAX_TRUST_ANCHORS];
    static char names[GH_MAX_TRUST_ANCHORS][GH_DN_MAX];
    const char *p = ca, *stop = ca + len, *b, *q;
    struct gh_error e;
    int found;
    a->n = 0;
    while ((found = next_block(&p, stop, "-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----",
                               &b, &q)) != 0) {
        if (found < 0)
            return gh_error_set(err, GH_E_INVALID, "ca.pem: certificate %d has no END line", a->n + 1);
        if (a->n >= GH_MAX_TRUST_ANCHORS)
            return gh_error_set(err, GH_E_INVALID, "ca.pem: more than %d certificates "
                                "(budget.h GH_MAX_TRUST_ANCHORS)", GH_MAX_TRUST_ANCHORS);
        int n = wc_CertPemToDer((const unsigned char *)b, (int)(q - b), der, (int)sizeof der, CERT_TYPE);
        if (n <= 0)
            return gh_error_set(err, GH_E_INVALID, "ca.pem: certificate %d is not valid PEM, or "
                                "larger than %d bytes", a->n + 1, GH_CERT_DER_MAX);
        if (certinfo_from_der(der, (size_t)n, &id, &e) != 0)
            return gh_error_set(err, GH_E_INVALID, "ca.pem: certificate %d: %s", a->n + 1, e.msg);
        if (clock_judge(id.not_before, id.not_after) == CLOCK_EXPIRED)
            gh_log(GH_LOG_WARN, "ca.pem: certificate %d (%s) has expired: the clients below it are "
                   "refused", a->n + 1, id.subject);
        memcpy(a->sha256[a->n], id.sha256, 32);
        a->not_before[a->n] = id.not_before;
        a->not_after[a->n] = id.not_after;
        own[a->n] = ANCHOR_FINE;
        snprintf(names[a->n], GH_DN_MAX, "%s", id.subject);
        issuer[a->n] = trust_name_key(id.issuer);
        /* wolfSSL answers ASN_NO_SIGNER_E for a CA whose issuer is not in
         * ca.pem, and judges dates itself (at the handshake) */
        int rc = have_crl && strcmp(id.subject, id.issuer) != 0
                     ? wolfSSL_CertManagerCheckCRL(cm, der, n) : WOLFSSL_SUCCESS;
        if (rc == CRL_CERT_REVOKED) {
            own[a->n] = ANCHOR_REVOKED;
            gh_log(GH_LOG_WARN, "ca.pem: certificate %d (%s) is revoked by its issuer's CRL in "
                   "crl.pem: every client below it is refused", a->n + 1, id.subject);
        } else if (rc != WOLFSSL_SUCCESS && rc != CRL_MISSING && rc != CRL_CERT_DATE_ERR &&
                   rc != ASN_AFTER_DATE_E && rc != ASN_BEFORE_DATE_E) {   /* dates: anchor_dates */
            /* no verdict (out of memory, a CRL that fails its checks): fail closed */
            char why[96];
            tls_err_text(rc, why, sizeof why);
            own[a->n] = ANCHOR_UNKNOWN;
            gh_log(GH_LOG_WARN, "ca.pem: certificate %d (%s): its revocation cannot be checked (%s): "
                   "every client below it is refused", a->n + 1, id.subject, why);
        } else if (rc == CRL_MISSING || rc == CRL_CERT_DATE_ERR) {
            own[a->n] = required ? ANCHOR_UNKNOWN : ANCHOR_FINE;
            gh_log(required ? GH_LOG_WARN : GH_LOG_DEBUG, "ca.pem: certificate %d (%s): crl.pem has no current CRL from its "
                   "issuer; %s", a->n + 1, id.subject, required ? "every client below it is refused "
                   "(crl = required)" : "its revocation is not checked (crl = optional)");
        }
        a->subject[a->n++] = trust_name_key(id.subject);
    }
    judge_anchors(a, issuer, own, names);
    return 0;
}

int trust_is_anchor_cert(const struct trust_anchors *a, const uint8_t sha256[32])
{
    for (int i = 0; i < a->n; i++)
        if (memcmp(a->sha256[i], sha256, 32) == 0)
            return 1;
    return 0;
}

int trust_anchor_verdict(const struct trust_anchors *a, uint64_t subject, char *detail, size_t cap)
{
    /* several certificates of ca.pem may share a name (a CA and its rekeyed
     * successor): the path cannot tell which one it ends on, so the worst
     * verdict among them stands */
    int i = -1;
    for (int k = 0; k < a->n; k++)
        if (a->subject[k] == subject && (i < 0 || a->state[k] == ANCHOR_REVOKED ||
                                         (a->state[k] == ANCHOR_UNKNOWN && a->state[i] == ANCHOR_FINE)))
            i = k;
    if (i < 0 || a->state[i] == ANCHOR_FINE)
        return 0;
    const char *who = a->name[i] < a->nnames ? a->names[a->name[i]] : "a CA certificate of ca.pem";
    if (a->state[i] == ANCHOR_REVOKED) {
        snprintf(detail, cap, "the CA %s is revoked (its issuer's CRL in crl.pem lists it)", who);
        return CRL_CERT_REVOKED;
    }
    snprintf(detail, cap, "the CA %s: crl.pem has no current CRL from its issuer (crl = required)", who);
    return CRL_MISSING;
}

/* Once per pending CRL and generation: lock-free, the generation number is
 * the mark. */
static uint32_t pending_told_[GH_MAX_PENDING_CRLS];

void trust_crl_missing(const struct trust_anchors *a, uint32_t generation, const char *issuer)
{
    uint64_t key = trust_name_key(issuer);
    for (int i = 0; i < a->npending; i++) {
        if (a->pending[i].issuer != key ||
            __atomic_exchange_n(&pending_told_[i], generation, __ATOMIC_RELAXED) == generation)
            continue;
        if ((int64_t)time(NULL) >= a->pending[i].next_update)
            gh_log(GH_LOG_WARN, "crl.pem: CRL %d (from %s) is past its nextUpdate: not used",
                   a->pending[i].crl, issuer);
        else
            gh_log(GH_LOG_WARN, "crl.pem: CRL %d claims to be from %s, but its signature does not "
                   "verify with that CA's key: never used", a->pending[i].crl, issuer);
    }
}

int trust_store_create(WOLFSSL_X509_STORE **out, struct trust_anchors *anchors, const char *ca,
                       size_t ca_len, const char *crl, size_t crl_len,
                       const struct gh_policy *policy, char *crl_problem, size_t crl_problem_cap,
                       struct gh_error *err)
{
    char why[128];
    int required = policy->crl == GH_CRL_REQUIRED;
    WOLFSSL_X509_STORE *st = wolfSSL_X509_STORE_new();
    int rc;
    *out = NULL;
    memset(anchors, 0, sizeof *anchors);
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
    if (crl) {
        rc = wolfSSL_CertManagerEnableCRL(st->cm, 0);
        if (rc == WOLFSSL_SUCCESS)
            rc = load_crls(st, anchors, crl, crl_len, crl_problem, crl_problem_cap, required, err);
        else
            rc = gh_error_set(err, GH_E_INTERNAL, "cannot enable CRL checking");
        if (rc) {
            wolfSSL_X509_STORE_free(st);
            return rc;
        }
    }
    rc = load_anchors(anchors, st->cm, crl != NULL, required, ca, ca_len, err);
    if (rc) {
        wolfSSL_X509_STORE_free(st);
        return rc;
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
