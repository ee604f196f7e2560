#include "tls.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <time.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/sha256.h>
#include <wolfssl/error-ssl.h>

#include <civetweb.h>

#include "audit.h"
#include "clock.h"
#include "config.h"
#include "conn.h"
#include "log.h"
#include "pool.h"
#include "trust.h"

/* TLS 1.3 suites first; TLS 1.2 only with ECDHE and an AEAD. */
static const char cipher_list[] =
    "TLS13-AES128-GCM-SHA256:TLS13-AES256-GCM-SHA384:TLS13-CHACHA20-POLY1305-SHA256:"
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305";

void tls_err_text(int code, char *buf, size_t cap)
{
    char s[WOLFSSL_MAX_ERROR_SZ];
    wolfSSL_ERR_error_string_n((unsigned long)code, s, sizeof s);
    snprintf(buf, cap, "%s (%d)", s, code);
}

int tls_global_init(struct gh_error *err)
{
    /* the pool first: from here on every wolfSSL allocation comes from it */
    int rc = pool_init(err);
    if (rc)
        return rc;
    if (wolfSSL_Init() != WOLFSSL_SUCCESS)
        return gh_error_set(err, GH_E_INTERNAL, "wolfSSL_Init failed");
    return 0;
}

void tls_global_cleanup(void)
{
    wolfSSL_Cleanup();
}

/* ---- the verdict words: what the 403 page, the audit log and tests say ---- */

const char *tls_reason(int code)
{
    switch (code) {
    case ASN_AFTER_DATE_E:
        return "expired";
    case ASN_BEFORE_DATE_E:
        return "not-yet-valid";
    case CRL_CERT_REVOKED:
        return "revoked";
    case CRL_MISSING:
    case CRL_CERT_DATE_ERR:
        return "revocation-unknown";
    case ASN_NO_SIGNER_E:
    case ASN_SELF_SIGNED_E:
    case ASN_PATHLEN_INV_E:
    case ASN_PATHLEN_SIZE_E:
        return "untrusted";
    case MAX_CHAIN_ERROR:
        return "chain-too-deep";
    case MEMORY_E:
    case MEMORY_ERROR:
        return "out-of-memory";
    case EXTKEYUSE_AUTH_E:      /* EKU without clientAuth */
    case KEYUSE_SIGNATURE_E:    /* keyUsage without digitalSignature */
    case ASN_VERSION_E:         /* X.509 v1 */
        return "policy";
    default:
        return "bad-certificate";
    }
}

static void reject(struct gh_conn *cn, const char *reason, const char *detail)
{
    if (cn->hs_state == GH_HS_REJECTED)
        return;   /* the first failure is the one to tell */
    cn->hs_state = GH_HS_REJECTED;
    snprintf(cn->reason, sizeof cn->reason, "%s", reason);
    snprintf(cn->detail, sizeof cn->detail, "%s", detail);
}

int tls_policy_check(const struct cert_identity *id, const struct gh_policy *p, int is_leaf,
                     char *detail, size_t cap)
{
    if (id->version != 3) {
        snprintf(detail, cap, "X.509 version %d certificate (only version 3 is accepted)", id->version);
        return GH_E_INVALID;
    }
    if (id->sig_sha1 && !p->allow_sha1) {
        snprintf(detail, cap, "signed with SHA-1 (gatehouse.ini: allow_sha1 = false)");
        return GH_E_INVALID;
    }
    if (id->key_type == GH_KEY_RSA && id->key_bits < p->min_rsa_bits) {
        snprintf(detail, cap, "RSA key of %d bits (gatehouse.ini: min_rsa_bits = %d)", id->key_bits,
                 p->min_rsa_bits);
        return GH_E_INVALID;
    }
    if (id->key_type == GH_KEY_EC && id->key_bits < p->min_ec_bits) {
        snprintf(detail, cap, "EC key of %d bits (gatehouse.ini: min_ec_bits = %d)", id->key_bits,
                 p->min_ec_bits);
        return GH_E_INVALID;
    }
    if (is_leaf && id->has_eku && !id->eku_client_auth) {
        snprintf(detail, cap, "its Extended Key Usage does not allow clientAuth");
        return GH_E_INVALID;
    }
    return 0;
}

static struct gh_conn *conn_of(WOLFSSL *ssl)
{
    struct mg_connection *mc = ssl ? (struct mg_connection *)wolfSSL_get_app_data(ssl) : NULL;
    return mc ? (struct gh_conn *)mg_get_thread_pointer(mc) : NULL;
}

static void audit_refused_handshake(struct gh_conn *cn)
{
    struct audit_record r;
    if (cn->handshake_audited)
        return;
    cn->handshake_audited = 1;
    memset(&r, 0, sizeof r);
    r.kind = AUDIT_HANDSHAKE;
    r.has_cert = (uint8_t)cn->has_cert;
    if (cn->has_cert) {
        memcpy(r.sha256, cn->id.sha256, 32);
        snprintf(r.subject, sizeof r.subject, "%s", cn->id.subject);
    }
    snprintf(r.reason, sizeof r.reason, "%s", cn->reason);
    snprintf(r.detail, sizeof r.detail, "%s", cn->detail);
    snprintf(r.peer, sizeof r.peer, "%s", cn->peer);
    r.generation = cn->flash_gen;
    audit_add(&r);
}

/* What a wolfSSL refusal means for people, where its own text is cryptic. */
static void verdict_detail(int code, int depth, char *out, size_t cap)
{
    const char *who = depth ? "a CA certificate of its chain" : "certificate";
    char why[96];
    switch (code) {
    case ASN_VERSION_E:
        snprintf(out, cap, "%s: X.509 version 1 (only version 3 is accepted)", who);
        return;
    case EXTKEYUSE_AUTH_E:
        snprintf(out, cap, "%s: its Extended Key Usage does not allow clientAuth", who);
        return;
    case KEYUSE_SIGNATURE_E:
        snprintf(out, cap, "%s: its Key Usage does not allow digitalSignature (a client signs "
                 "the handshake with its key)", who);
        return;
    case CRL_MISSING:
    case CRL_CERT_DATE_ERR:
        snprintf(out, cap, "%s: crl.pem has no current CRL from its issuer (none, or past its nextUpdate)", who);
        return;
    default:
        tls_err_text(code, why, sizeof why);
        snprintf(out, cap, "%s: %s", who, why);
        return;
    }
}

/* A CA certificate of a client's chain, decoded for the policy checks: per
 * worker thread (the handshake and the re-check after a reload run on the
 * connection's own worker), and off the stack. */
static __thread struct cert_identity ca_scratch_;

struct cert_identity *tls_ca_scratch(void)
{
    return &ca_scratch_;
}

/* Keep a CA certificate's DER for trust_recheck(); a chain that does not fit
 * GH_CHAIN_KEEP_BYTES is not kept at all (the re-check then refuses and the
 * client reconnects). */
static void keep_chain_der(struct gh_conn *cn, const unsigned char *der, size_t len)
{
    size_t used = cn->chain_der_used;
    if (used == (size_t)-1 || len > sizeof cn->chain_der - used) {
        cn->chain_der_used = (size_t)-1;   /* an earlier one did not fit, or this one */
        return;
    }
    memcpy(cn->chain_der + used, der, len);
    cn->chain_der_len[cn->nchain] = (uint16_t)len;
    cn->chain_der_used = used + len;
}

static int is_anchor(const struct gh_conn *cn, uint64_t name)
{
    for (int i = 0; i < cn->anchors.n; i++)
        if (cn->anchors.subject[i] == name)
            return 1;
    return 0;
}

/* wolfSSL judges the dates of the certificates a client sends, not those of
 * the trust anchor its chain ends on: a certificate of ca.pem outside its
 * validity is judged here (clock.h's now). One of several with the name
 * that is valid will do. */
static void anchor_dates(struct gh_conn *cn, uint64_t name)
{
    int verdict = CLOCK_EXPIRED;
    int64_t na = 0, nb = 0;
    for (int i = 0; i < cn->anchors.n && verdict != CLOCK_VALID; i++) {
        if (cn->anchors.subject[i] != name)
            continue;
        int v = clock_judge(cn->anchors.not_before[i], cn->anchors.not_after[i]);
        if (v == CLOCK_VALID || v == CLOCK_UNJUDGED || verdict == CLOCK_EXPIRED) {
            verdict = v;
            nb = cn->anchors.not_before[i];
            na = cn->anchors.not_after[i];
        }
    }
    if (verdict == CLOCK_UNJUDGED)
        cn->clock_unknown = 1;
    if (verdict == CLOCK_EXPIRED || verdict == CLOCK_NOT_YET) {
        char when[32], detail[sizeof cn->detail];
        clock_text(verdict == CLOCK_EXPIRED ? na : nb, when, sizeof when);
        snprintf(detail, sizeof detail, "the certificate of ca.pem its chain ends on %s %s",
                 verdict == CLOCK_EXPIRED ? "expired on" : "is valid only from", when);
        reject(cn, verdict == CLOCK_EXPIRED ? "expired" : "not-yet-valid", detail);
    }
}

static void reject_too_deep(struct gh_conn *cn)
{
    char detail[sizeof cn->detail];
    snprintf(detail, sizeof detail, "its chain has more than %d CA certificate%s below the "
             "trust anchor (gatehouse.ini: max_depth = %d)", cn->policy.max_depth,
             cn->policy.max_depth == 1 ? "" : "s", cn->policy.max_depth);
    reject(cn, "chain-too-deep", detail);
}

/* The chain, counted from the client's own certificate to a certificate of
 * ca.pem through the CA certificates the client sent in this handshake.
 * wolfSSL keeps every CA it verified in a handshake in the trust store until
 * the next reload ("Adding CA from chain"), so its own count stops at any CA
 * some earlier client sent: a client could leave out the CAs above one and
 * pass max_depth, or lean on a CA whose policy check (key size, SHA-1) ran
 * only for someone else. Every handshake shows its whole path instead. */
void tls_chain_check(struct gh_conn *cn)
{
    char detail[sizeof cn->detail];
    uint64_t at = trust_name_key(cn->id.issuer);
    int depth = 0;
    unsigned used = 0;
    while (!is_anchor(cn, at)) {
        int next = -1;
        for (int i = 0; i < cn->nchain; i++)
            if (!(used & (1u << i)) && cn->chain_subject[i] == at)
                next = i;
        if (next < 0) {
            snprintf(detail, sizeof detail, "its chain reaches ca.pem only through a CA certificate "
                     "it did not send%s; a client must send every CA certificate below ca.pem's",
                     depth ? "" : " (its issuer's)");
            reject(cn, "chain-incomplete", detail);
            return;
        }
        used |= 1u << next;
        at = cn->chain_issuer[next];
        if (++depth > cn->policy.max_depth) {
            reject_too_deep(cn);
            return;
        }
    }
    anchor_dates(cn, at);
    /* the path ends at a CA of ca.pem: revoked by a CRL of a CA above it? */
    int code = trust_anchor_verdict(&cn->anchors, at, detail, sizeof detail);
    if (code)
        reject(cn, code == CRL_CERT_REVOKED ? "revoked" : "revocation-unknown", detail);
}

/* A CA certificate the client sent, verified, against its issuer's CRL.
 * wolfSSL checks only the client's own certificate against a CRL unless
 * CRL_CHECKALL is on, and that option also walks the CAs of ca.pem at every
 * handshake (a self-signed root against a CRL of its own, so that a crl.pem
 * without the root's CRL fails every chain) and reports what it finds against
 * the certificate below, so that no one could tell which CA is revoked. So:
 * each CA the client sends is checked here (a parse, no signature check:
 * VERIFY_CRL), the CAs of ca.pem once per generation (trust.c), the client's
 * own by wolfSSL. 0 when the CA may sign. */
static int ca_crl_check(struct gh_conn *cn, WOLFSSL_X509_STORE_CTX *st, const unsigned char *der,
                        int der_len, const struct cert_identity *ca)
{
    char detail[sizeof cn->detail];
    if (!st->store || !st->store->cm)
        return 0;
    int rc = wolfSSL_CertManagerCheckCRL(st->store->cm, der, der_len);
    if (rc == CRL_CERT_REVOKED) {
        snprintf(detail, sizeof detail, "the CA %s is revoked (its issuer's CRL in crl.pem lists it)",
                 ca->subject);
        reject(cn, "revoked", detail);
        return GH_E_INVALID;
    }
    if (rc == WOLFSSL_SUCCESS || rc == ASN_AFTER_DATE_E || rc == ASN_BEFORE_DATE_E)
        return 0;   /* checked and fine, or a date wolfSSL has judged already */
    if (rc != CRL_MISSING && rc != CRL_CERT_DATE_ERR) {
        /* no verdict (out of memory, a CRL that fails its checks): never pass */
        char why[96];
        tls_err_text(rc, why, sizeof why);
        snprintf(detail, sizeof detail, "the CA %s: its revocation cannot be checked: %s",
                 ca->subject, why);
        reject(cn, rc == MEMORY_E ? "out-of-memory" : "revocation-unknown", detail);
        return GH_E_INVALID;
    }
    trust_crl_missing(&cn->anchors, cn->trust_gen, ca->issuer);
    if (cn->policy.crl == GH_CRL_REQUIRED) {
        snprintf(detail, sizeof detail, "the CA %s: crl.pem has no current CRL from its issuer",
                 ca->subject);
        reject(cn, "revocation-unknown", detail);
        return GH_E_INVALID;
    }
    gh_log(GH_LOG_WARN, "%s (a CA a client sent): no current CRL from its issuer in crl.pem; "
           "not checked (crl = optional)", ca->subject);
    return 0;
}

/* A verified client: decide its mapping now (the router keeps the decision
 * for the generation it was made with) and let pool_admit() keep the last
 * connections for an admin. */
static int admit(struct gh_conn *cn)
{
    char why[sizeof cn->detail];
    const struct gh_config *cfg = config_acquire();
    certmap_decide(&cfg->table, &cn->id, &cn->decision, NULL, NULL);
    cn->decided_gen = cfg->generation;
    config_release(cfg);
    int is_admin = cn->decision.result == CERTMAP_ALLOW && cn->decision.role == GH_ROLE_ADMIN;
    if (pool_admit(is_admin, why, sizeof why) == 0)
        return 0;
    reject(cn, "admin-reserve", why);
    return GH_E_NOMEM;
}

/* A client certificate that wolfSSL or certinfo cannot decode (an unknown
 * critical extension, a zero serial, too large, a key type not built in):
 * the audit names it by the SHA-256 of the DER the client sent, without a
 * subject. */
static void fingerprint_raw(struct gh_conn *cn, const WOLFSSL_X509_STORE_CTX *st)
{
    if (cn->has_cert || !st->certs || st->totalCerts < 1 || !st->certs[0].buffer)
        return;
    memset(&cn->id, 0, sizeof cn->id);
    if (wc_Sha256Hash(st->certs[0].buffer, st->certs[0].length, cn->id.sha256) == 0)
        cn->has_cert = 1;
}

/* Every certificate of the client's chain, top down, leaf last (wolfSSL's
 * VERIFY_CB_ALL_CERTS). We decide with wolfSSL's verdict plus our policy. */
static int on_verify(int preverify, WOLFSSL_X509_STORE_CTX *st)
{
    WOLFSSL *ssl = wolfSSL_X509_STORE_CTX_get_ex_data(st, wolfSSL_get_ex_data_X509_STORE_CTX_idx());
    struct gh_conn *cn = conn_of(ssl);
    int depth = st->error_depth;
    int der_len = 0;
    const unsigned char *der = st->current_cert ? wolfSSL_X509_get_der(st->current_cert, &der_len) : NULL;
    char detail[sizeof cn->detail];
    struct gh_error e;

    if (!cn)
        return 0;   /* not a connection we set up: refuse */
    if (clock_take_unknown())
        cn->clock_unknown = 1;   /* a start date after the clock floor passed unjudged */
    /* A certificate above the client's own that is not a CA (a client that
     * sends its own twice) can sign nothing on the path and is never cached
     * as a signer: it neither fails nor passes the chain. */
    if (depth > 0 && st->current_cert && !wolfSSL_X509_get_isCA(st->current_cert))
        return 1;
    if (depth == 0 && der && der_len > 0) {
        if (certinfo_from_der(der, (size_t)der_len, &cn->id, &e) == 0) {
            cn->has_cert = 1;
            /* certinfo_from_der() took no more than GH_CERT_DER_MAX; the
             * re-check after a reload needs it, as wolfSSL's decoded copy is
             * freed when the handshake is done (GH_FREE_PEER_CERT) */
            memcpy(cn->leaf_der, der, (size_t)der_len);
            cn->leaf_der_len = (size_t)der_len;
        } else if (preverify) {
            reject(cn, "bad-certificate", e.msg);
        }
    }
    /* (a CRL from its issuer that waited for it and failed: say so once) */
    if (!preverify && depth == 0 && cn->has_cert &&
        (st->error == CRL_MISSING || st->error == CRL_CERT_DATE_ERR))
        trust_crl_missing(&cn->anchors, cn->trust_gen, cn->id.issuer);
    /* `crl = optional`: a client whose issuer has no current CRL in crl.pem
     * (none at all, or one past its nextUpdate, which wolfSSL will not use)
     * is served, with a warning. wolfSSL checks the CRL only after the
     * signature and dates, and reports a failing EKU over it, so this code
     * means "everything else held"; our policy below still runs. */
    if (!preverify && depth == 0 && cn->policy.crl == GH_CRL_OPTIONAL &&
        (st->error == CRL_MISSING || st->error == CRL_CERT_DATE_ERR)) {
        gh_log(GH_LOG_WARN, "%s: no current CRL from its issuer in crl.pem; served without a "
               "revocation check (crl = optional)", cn->has_cert ? cn->id.subject : "a client");
        preverify = 1;
    }
    if (!preverify) {
        verdict_detail(st->error, depth, detail, sizeof detail);
        reject(cn, tls_reason(st->error), detail);
    } else if (der && der_len > 0) {
        /* policy: the leaf fully, the CAs the client sent for key size and
         * SHA-1 (a trust anchor's self-signature means nothing, and is not
         * sent through here unless the client sends it). */
        struct cert_identity *scratch = depth == 0 ? &cn->id : NULL;
        if (!scratch && certinfo_from_der(der, (size_t)der_len, &ca_scratch_, &e) == 0)
            scratch = &ca_scratch_;
        int self_signed = depth > 0 && scratch && !strcmp(scratch->subject, scratch->issuer);
        /* max_depth counts the CA certificates between the client's own and
         * the trust anchor; a certificate of ca.pem or a self-signed root sent
         * along is not one. This is the early refusal; tls_chain_check() counts
         * what decides. */
        int anchor = depth > 0 && scratch && trust_is_anchor_cert(&cn->anchors, scratch->sha256);
        if (depth > cn->policy.max_depth && !self_signed && !anchor) {
            reject_too_deep(cn);
        } else if (scratch && !self_signed &&
                   tls_policy_check(scratch, &cn->policy, depth == 0, detail, sizeof detail) != 0) {
            char msg[sizeof cn->detail];
            snprintf(msg, sizeof msg, "%s%s", depth ? "a CA certificate of its chain: " : "", detail);
            reject(cn, "policy", msg);
        } else if (depth > 0 && scratch && !self_signed && !anchor) {
            if (ca_crl_check(cn, st, der, der_len, scratch) == 0 && cn->nchain < GH_MAX_CHAIN_DEPTH + 1) {
                cn->chain_subject[cn->nchain] = trust_name_key(scratch->subject);
                cn->chain_issuer[cn->nchain] = trust_name_key(scratch->issuer);
                keep_chain_der(cn, der, (size_t)der_len);
                cn->nchain++;
            }
        } else if (depth == 0 && cn->has_cert) {
            tls_chain_check(cn);
        }
    }
    if (depth == 0 && cn->hs_state == GH_HS_STARTED && cn->has_cert)
        cn->hs_state = GH_HS_VERIFIED;
    if (depth == 0 && cn->hs_state == GH_HS_VERIFIED && cn->crl_problem_active) {
        cn->hs_state = GH_HS_STARTED;
        reject(cn, "revocation-unknown", cn->crl_problem);
    }
    /* The admin reserve keeps TLS memory free: a client it refuses must not
     * hold any, even in `reject = page` mode. */
    if (depth == 0 && cn->hs_state == GH_HS_VERIFIED && admit(cn) != 0) {
        audit_refused_handshake(cn);
        return 0;
    }

    if (cn->hs_state != GH_HS_REJECTED)
        return 1;
    /* In `reject = page` mode the handshake goes on and every request gets a
     * readable 403, but only for the client's own certificate: overriding a
     * failed CA certificate would make wolfSSL cache it as a trusted signer
     * in the shared store (internal.c, "Adding CA from chain"). A CA
     * certificate that merely does not chain to ca.pem never gets here as a
     * failure: WOLFSSL_ALT_CERT_CHAINS skips it without caching it. */
    if (cn->policy.reject == GH_REJECT_PAGE && depth == 0 && der)
        return 1;   /* (one that does not parse ends the handshake all the same) */
    /* A CA certificate failed before wolfSSL got to the client's own: name
     * the client in the audit all the same (it sent its certificate first). */
    if (depth > 0 && !cn->has_cert && st->certs && st->totalCerts > 0 &&
        certinfo_from_der(st->certs[0].buffer, st->certs[0].length, &cn->id, &e) == 0)
        cn->has_cert = 1;
    fingerprint_raw(cn, st);
    /* Our own refusal of what wolfSSL accepted: the alert says revoked when
     * a CA on the path is (wolfssl-0006: the callback's error stands). */
    if (preverify && strcmp(cn->reason, "revoked") == 0)
        st->error = CRL_CERT_REVOKED;
    audit_refused_handshake(cn);
    return 0;
}

/* civetweb's request_info is not ready during the handshake: ask the socket. */
static void peer_address(int fd, char *out, size_t cap)
{
    struct sockaddr_storage sa;
    socklen_t len = sizeof sa;
    out[0] = '\0';
    if (fd < 0 || getpeername(fd, (struct sockaddr *)&sa, &len) != 0)
        return;
    if (sa.ss_family == AF_INET)
        inet_ntop(AF_INET, &((struct sockaddr_in *)&sa)->sin_addr, out, (socklen_t)cap);
    else if (sa.ss_family == AF_INET6)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&sa)->sin6_addr, out, (socklen_t)cap);
}

/* ClientHello: bind this connection to the active generation's trust and
 * policy. Runs before the server asks for the client's certificate. */
static int on_client_hello(WOLFSSL *ssl, void *arg)
{
    struct gh_conn *cn = conn_of(ssl);
    const struct gh_config *cfg;
    int mode = WOLFSSL_VERIFY_PEER;
    (void)arg;
    if (!cn)
        return 0;
    if (cn->hs_state != GH_HS_IDLE)
        return 1;   /* TLS 1.3 HelloRetryRequest: the second ClientHello */
    peer_address(wolfSSL_get_fd(ssl), cn->peer, sizeof cn->peer);
    (void)pool_thread_refusals();   /* count this connection's own from here */
    cfg = config_acquire();
    cn->policy = cfg->settings.policy;
    cn->trust_gen = cfg->generation;
    cn->anchors = cfg->anchors;
    cn->nchain = 0;
    cn->chain_der_used = 0;
    cn->flash_gen = cfg->flash_generation;
    snprintf(cn->crl_problem, sizeof cn->crl_problem, "%s", cfg->crl_problem);
    cn->crl_problem_active = cfg->crl_problem[0] != '\0';
    int ok = wolfSSL_set1_verify_cert_store(ssl, cfg->store) == WOLFSSL_SUCCESS;
    config_release(cfg);
    if (!ok)
        return 0;
    if (cn->policy.reject == GH_REJECT_HANDSHAKE)
        mode |= WOLFSSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    wolfSSL_set_verify(ssl, mode, on_verify);
    cn->hs_state = GH_HS_STARTED;
    (void)clock_take_unknown();   /* from this handshake's own certificates only */
    return 1;
}

void tls_connection_ends(struct gh_conn *cn, int handshake_done)
{
    if (handshake_done)
        return;
    /* The handshake failed without our verify callback refusing: no
     * certificate at all, a protocol or cipher mismatch, or a client that
     * went away. Only the first is worth an audit record, and only when the
     * client got as far as being asked for a certificate. */
    if (pool_thread_refusals() > 0 && cn->hs_state != GH_HS_IDLE) {
        /* the pools had no memory for it (pool.c logged and counted it) */
        reject(cn, "out-of-memory", "the server had no memory left for this handshake "
               "(budget.h: GH_TLS_SESSIONS); refused, served again as memory returns");
        audit_refused_handshake(cn);
        return;
    }
    if (cn->hs_state == GH_HS_STARTED && !cn->has_cert) {
        reject(cn, "no-certificate", "the client sent no certificate");
        audit_refused_handshake(cn);
    }
}

/* ---- handshake deadlines (overload) ----
 * civetweb serves one connection per worker from accept to close, and gives
 * a handshake the whole request timeout: a hundred clients that connect and
 * send nothing, or drip their ClientHello, hold every worker and starve
 * everyone, the admin included. A real client sends its ClientHello at once,
 * so: no complete ClientHello within GH_HELLO_TIMEOUT_MS, and, while every
 * worker has a connection (others wait in the queue), no complete ClientHello
 * within GH_HELLO_BUSY_MS or no finished handshake within
 * GH_HANDSHAKE_BUSY_MS, and the connection is closed. The clock starts when a
 * worker first reads from the connection, not at accept: waiting in the
 * queue costs a client nothing. civetweb retries the handshake every 50 ms
 * (sslize), so every pending handshake passes here that often.
 */

static int hs_ex_idx_ = -1;
static pthread_once_t hs_once_ = PTHREAD_ONCE_INIT;
static struct timespec hs_start_[GH_WORKERS];   /* per worker: its connection's first read */

static void hs_init(void)
{
    /* index 0 is the "app data" civetweb keeps its connection in without
     * asking for an index: never take it */
    do
        hs_ex_idx_ = wolfSSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    while (hs_ex_idx_ == 0);
}

static long ms_since(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long)(now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

/* A handshake past its deadline has had its time: the close does not wait
 * for the rest of what it sends (the graceful close reads until EOF, which
 * a shut read side gives at once). io is wolfSSL's pointer to the socket. */
static int cut(void *io)
{
    if (io)
        shutdown(*(int *)io, SHUT_RD);
    return WOLFSSL_CBIO_ERR_CONN_CLOSE;
}

static int on_recv(WOLFSSL *ssl, char *buf, int sz, void *io)
{
    struct gh_conn *cn;
    pthread_once(&hs_once_, hs_init);
    if (hs_ex_idx_ >= 0 && !wolfSSL_is_init_finished(ssl) && (cn = conn_of(ssl)) != NULL &&
        cn->index >= 0 && cn->index < GH_WORKERS) {
        struct timespec *start = &hs_start_[cn->index];
        if (!wolfSSL_get_ex_data(ssl, hs_ex_idx_)) {   /* a new connection on this worker */
            clock_gettime(CLOCK_MONOTONIC, start);
            wolfSSL_set_ex_data(ssl, hs_ex_idx_, start);
            conn_set_busy(cn, 1);
        } else {
            long ms = ms_since(start);
            int hello = cn->hs_state != GH_HS_IDLE;
            if (!hello && ms > GH_HELLO_TIMEOUT_MS) {
                gh_log(GH_LOG_DEBUG, "worker %d: no ClientHello within %d ms: closed", cn->index,
                       GH_HELLO_TIMEOUT_MS);
                return cut(io);
            }
            if (ms > (hello ? GH_HANDSHAKE_BUSY_MS : GH_HELLO_BUSY_MS)) {
                /* counted by the slots, whichever heap is in use */
                if (conn_busy_count() >= GH_WORKERS) {
                    gh_log(GH_LOG_DEBUG, "worker %d: every worker busy and this handshake "
                           "slow (%ld ms%s): closed", cn->index, ms, hello ? "" : ", no ClientHello");
                    return cut(io);
                }
            }
        }
    }
    return EmbedReceive(ssl, buf, sz, io);
}

int tls_ctx_create(WOLFSSL_CTX **out, const char *pem, size_t len, struct gh_error *err)
{
    char why[128];
    int rc;
    static const int groups[] = {WOLFSSL_ECC_X25519, WOLFSSL_ECC_SECP256R1, WOLFSSL_ECC_SECP384R1};
    /* No heap hint of its own: everything takes from the TLS pool through
     * the global hint (pool.c). A CTX with a hint gives each WOLFSSL a hint
     * of its own, freed with it, that objects outliving the connection still
     * point to (civetweb frees its copy of the peer certificate after
     * SSL_free): a use after free under load. */
    WOLFSSL_CTX *ctx = wolfSSL_CTX_new(wolfSSLv23_server_method());
    if (!ctx)
        return gh_error_set(err, GH_E_NOMEM, "cannot create the TLS context (out of memory)");
    if (wolfSSL_CTX_SetMinVersion(ctx, WOLFSSL_TLSV1_2) != WOLFSSL_SUCCESS ||
        wolfSSL_CTX_set_cipher_list(ctx, cipher_list) != WOLFSSL_SUCCESS ||
        wolfSSL_CTX_set_groups(ctx, (int *)groups, 3) != WOLFSSL_SUCCESS) {
        wolfSSL_CTX_free(ctx);
        return gh_error_set(err, GH_E_INTERNAL, "wolfSSL refused the protocol, cipher or group settings");
    }
    /* No resumption: every connection presents its certificate again. */
    wolfSSL_CTX_set_session_cache_mode(ctx, WOLFSSL_SESS_CACHE_OFF);
#ifdef HAVE_SESSION_TICKET
    wolfSSL_CTX_NoTicketTLSv12(ctx);
#endif
    wolfSSL_CTX_no_ticket_TLSv13(ctx);
    /* The server's flight (ServerHello to Finished: six messages) in two
     * writes, not six: each write is a TCP segment, and on loopback or a
     * small board receiving it costs as much CPU again (~10 % of a
     * handshake here). The ServerHello goes first, alone
     * (user_settings.h). */
    wolfSSL_CTX_set_group_messages(ctx);
    wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_PEER | WOLFSSL_VERIFY_FAIL_IF_NO_PEER_CERT, on_verify);
    wolfSSL_CTX_set_cert_cb(ctx, on_client_hello, NULL);
    wolfSSL_CTX_SetIORecv(ctx, on_recv);   /* handshake deadlines */

    rc = wolfSSL_CTX_use_certificate_chain_buffer(ctx, (const unsigned char *)pem, (long)len);
    if (rc != WOLFSSL_SUCCESS) {
        tls_err_text(rc, why, sizeof why);
        wolfSSL_CTX_free(ctx);
        return gh_error_set(err, GH_E_INVALID, "server.pem: not a usable PEM certificate: %s", why);
    }
    *out = ctx;
    return 0;
}

void tls_ctx_free(WOLFSSL_CTX *ctx)
{
    wolfSSL_CTX_free(ctx);
}

int tls_cert_spki(const char *pem, size_t len, unsigned char *out, int *out_len, struct gh_error *err)
{
    WOLFSSL_X509 *x = wolfSSL_X509_load_certificate_buffer((const unsigned char *)pem, (int)len,
                                                           WOLFSSL_FILETYPE_PEM);
    int ok = x && wolfSSL_X509_get_pubkey_buffer(x, out, out_len) == WOLFSSL_SUCCESS;
    wolfSSL_X509_free(x);
    return ok ? 0 : gh_error_set(err, GH_E_INVALID, "server.pem: cannot read the certificate's public key");
}
