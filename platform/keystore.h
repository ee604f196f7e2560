/* keystore.h: where the server's private key lives, and handing it to TLS.
 *
 * gatehouse.ini `[keystore] server_key` names the key:
 *   file:NAME      a PEM or DER key file in flash (development, simple boards)
 *   pkcs11:...     a key inside a PKCS#11 token (RFC 7512 URI; keystore_pkcs11.c),
 *                  used for signing inside the token; it never leaves it.
 * A board with a secure element reachable only through its vendor library
 * plugs in as a wolfSSL crypto callback the same way the PKCS#11 backend does
 * (see keystore_board_example.c). */
#ifndef GH_KEYSTORE_H
#define GH_KEYSTORE_H

#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/ssl.h>

#include "flash.h"
#include "gh_error.h"

struct gh_keystore {
    int kind;          /* private to keystore*.c */
    void *backend;     /* backend state (static storage inside the backend) */
};

/* Parse uri and open the backend (for PKCS#11: load the module, log in).
 * A relative `pin-source=file:NAME` is a file in the flash; module paths must
 * be absolute (code is never loaded from the writable flash folder). */
int keystore_open(struct gh_keystore *ks, const char *uri, struct gh_flash *flash,
                  const char *flash_dir, struct gh_error *err);

/* Give ctx the private key (or a device id that signs with it) and prove it
 * works with the certificate already loaded in ctx, whose public key (its
 * SubjectPublicKeyInfo, DER) is spki: the caller has it (tls_cert_spki()),
 * and wolfSSL gives a context's certificate back only with its whole OpenSSL
 * layer compiled in. */
int keystore_attach(struct gh_keystore *ks, WOLFSSL_CTX *ctx, const unsigned char *spki, int spki_len,
                    struct gh_error *err);

void keystore_close(struct gh_keystore *ks);

#endif
