/* tls.h: our WOLFSSL_CTX, the trust store, and the client-certificate checks.
 *
 * The program builds the WOLFSSL_CTX itself (civetweb's external_ssl_ctx), so
 * every TLS setting is ours: TLS 1.2/1.3, ECDHE + AEAD suites only, no session
 * resumption (a resumed session presents no certificate to re-check), and a
 * client certificate required and verified against ca.pem only.
 *
 * Trust is per configuration generation (config.h): at each ClientHello the
 * connection is bound to the active generation's store, so a reload takes
 * effect on the next handshake without touching the CTX, and open connections
 * are re-checked against the new store before their next request
 * (tls_recheck). The verify callback decodes the client certificate once
 * (certinfo.h) into the connection's slot (conn.h) and applies the policy of
 * gatehouse.ini [trust]. */
#ifndef GH_TLS_H
#define GH_TLS_H

#include <stddef.h>
#include <stdint.h>

#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/ssl.h>

#include "budget.h"
#include "certinfo.h"
#include "gh_error.h"
#include "settings.h"

int tls_global_init(struct gh_error *err);
void tls_global_cleanup(void);

/* A server CTX with server.pem (leaf, then any chain) loaded; the caller then
 * hands it to the keystore for the private key. */
int tls_ctx_create(WOLFSSL_CTX **out, const char *server_pem, size_t len, struct gh_error *err);
void tls_ctx_free(WOLFSSL_CTX *ctx);

/* The public key (SubjectPublicKeyInfo, DER) of the first certificate in a
 * PEM buffer, into out (*out_len: its size in, the key's length out); for
 * the keystore's check that the server key belongs to server.pem. */
int tls_cert_spki(const char *pem, size_t len, unsigned char *out, int *out_len, struct gh_error *err);

/* The certificates of ca.pem, by subject: where a client's chain ends
 * (tls.c chain_check). */
struct tls_anchors {
    int n;
    uint64_t subject[GH_MAX_TRUST_ANCHORS];   /* tls_name_key() of each subject */
    int64_t not_before[GH_MAX_TRUST_ANCHORS]; /* ... and its validity: ca.pem loads */
    int64_t not_after[GH_MAX_TRUST_ANCHORS];  /* whatever the clock, chain_check judges */
};

/* A subject or issuer, as certinfo renders it, as a key to compare. */
uint64_t tls_name_key(const char *dn);

/* A trust store from ca.pem and optional crl.pem (crl NULL when absent), and
 * ca.pem's anchors.
 * A CRL problem that `crl = required` turns into a refusal of every client is
 * not an error here: it is written to crl_problem (the caller shows it). */
int tls_store_create(WOLFSSL_X509_STORE **out, struct tls_anchors *anchors, const char *ca,
                     size_t ca_len, const char *crl, size_t crl_len, const struct gh_policy *policy,
                     char *crl_problem, size_t crl_problem_cap, struct gh_error *err);
void tls_store_free(WOLFSSL_X509_STORE *store);

/* Re-check an open connection after a reload (cfg is the new generation):
 * the CA certificates it sent at its handshake and its own certificate (der)
 * against the new store, the new policy and max_depth from the new ca.pem.
 * 0 when it passes, else GH_E_INVALID with cn->reason ("expired", "revoked",
 * "untrusted", "policy", ...) and cn->detail set. */
struct gh_conn;
struct gh_config;
int tls_recheck(struct gh_conn *cn, const struct gh_config *cfg, const uint8_t *der, size_t len);

/* The gatehouse.ini [trust] policy on a decoded certificate (key sizes, SHA-1,
 * X.509 v3, clientAuth in the EKU when there is one). 0 when it passes. */
int tls_policy_check(const struct cert_identity *id, const struct gh_policy *policy, int is_leaf,
                     char *detail, size_t detail_cap);

/* A connection on this worker's slot closed, with or without a completed
 * handshake (civetweb's connection_close callback, serve.c): audits a
 * handshake that ended without a certificate. The caller resets the slot. */
struct gh_conn;
void tls_connection_ends(struct gh_conn *cn, int handshake_done);

#endif
