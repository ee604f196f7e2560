/* tls.h: our WOLFSSL_CTX and the client-certificate checks (the trust store
 * itself: trust.h).
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
 * (trust_recheck). The verify callback decodes the client certificate once
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

/* For trust.c: wolfSSL's text for an error code, with the code; the
 * reason word the audit and the 403 page use for it; this worker thread's
 * scratch for decoding a CA certificate of a client's chain. */
void tls_err_text(int code, char *buf, size_t cap);
const char *tls_reason(int code);
struct cert_identity *tls_ca_scratch(void);

/* The path from the client's own certificate (cn->id) through the CA
 * certificates it sent to ca.pem (cn->anchors): a client that sent too few
 * or too many is refused on cn (chain-incomplete, chain-too-deep). */
struct gh_conn;
void tls_chain_check(struct gh_conn *cn);

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
