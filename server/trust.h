/* trust.h: a configuration generation's trust: ca.pem and crl.pem in a
 * wolfSSL store, the subjects of ca.pem (where a client's path ends), and the
 * re-check of open connections against a new generation after a reload.
 *
 * tls.c binds each handshake to a generation's store and judges the chain
 * with it; this file builds and frees those stores and holds what the
 * handshake copies of them (struct trust_anchors). */
#ifndef GH_TRUST_H
#define GH_TRUST_H

#include <stddef.h>
#include <stdint.h>

#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/ssl.h>

#include "budget.h"
#include "gh_error.h"
#include "settings.h"

/* What a handshake needs of a generation's trust, copied at ClientHello:
 * the certificates of ca.pem by subject (where a client's chain ends, tls.c
 * tls_chain_check) with each one's revocation verdict (trust_anchor_verdict),
 * and the issuers of the CRLs in crl.pem that wait for their issuer
 * (trust_crl_missing). */
struct trust_anchors {
    int n;
    uint64_t subject[GH_MAX_TRUST_ANCHORS];   /* trust_name_key() of each subject */
    uint8_t sha256[GH_MAX_TRUST_ANCHORS][32]; /* ... and of its DER: a CA a client sends */
                                              /* is an anchor only when byte for byte one */
    int64_t not_before[GH_MAX_TRUST_ANCHORS]; /* ... and its validity: ca.pem loads */
    int64_t not_after[GH_MAX_TRUST_ANCHORS];  /* whatever the clock, chain_check judges */
    uint8_t state[GH_MAX_TRUST_ANCHORS];     /* fine, revoked, or unchecked with crl = required */
    uint8_t name[GH_MAX_TRUST_ANCHORS];      /* the CA to blame, in names[] (0xff: unnamed) */
    int nnames;
    char names[GH_MAX_BAD_ANCHORS][GH_DN_MAX];
    int npending;
    struct {
        uint64_t issuer;                      /* trust_name_key() of the CRL's issuer */
        int64_t next_update;
        uint8_t crl;                          /* its number in crl.pem, from 1 */
    } pending[GH_MAX_PENDING_CRLS];
};

/* Whether a CA certificate (the SHA-256 of its DER) is one of ca.pem's. A
 * name is not enough: a rekeyed CA keeps its name, and the old certificate
 * (revoked, say) must be checked as the client's, not taken for the anchor. */
int trust_is_anchor_cert(const struct trust_anchors *a, const uint8_t sha256[32]);

/* A subject or issuer, as certinfo renders it, as a key to compare. */
uint64_t trust_name_key(const char *dn);

/* A trust store from ca.pem and optional crl.pem (crl NULL when absent), and
 * ca.pem's anchors.
 * A CRL problem that `crl = required` turns into a refusal of every client is
 * not an error here: it is written to crl_problem (the caller shows it). */
int trust_store_create(WOLFSSL_X509_STORE **out, struct trust_anchors *anchors, const char *ca,
                       size_t ca_len, const char *crl, size_t crl_len,
                       const struct gh_policy *policy, char *crl_problem,
                       size_t crl_problem_cap, struct gh_error *err);
void trust_store_free(WOLFSSL_X509_STORE *store);

/* A client's path ends at the certificate of ca.pem with this subject: 0 when
 * that CA and the CAs of ca.pem above it stand, else CRL_CERT_REVOKED (one is
 * revoked) or CRL_MISSING (`crl = required` and one has no current CRL from
 * its issuer), with a detail naming the CA. */
int trust_anchor_verdict(const struct trust_anchors *a, uint64_t subject, char *detail, size_t cap);

/* wolfSSL found no usable CRL from issuer for a certificate: if crl.pem holds
 * a CRL from it that waited for its issuer, say once per generation why it is
 * not used (its signature failed, or it went stale). */
void trust_crl_missing(const struct trust_anchors *a, uint32_t generation, const char *issuer);

/* Re-check an open connection after a reload (cfg is the new generation):
 * the CA certificates it sent at its handshake and its own certificate (der)
 * against the new store, the new policy and max_depth from the new ca.pem.
 * 0 when it passes, else GH_E_INVALID with cn->reason ("expired", "revoked",
 * "untrusted", "policy", ...) and cn->detail set. */
struct gh_conn;
struct gh_config;
int trust_recheck(struct gh_conn *cn, const struct gh_config *cfg, const uint8_t *der, size_t len);

#endif
