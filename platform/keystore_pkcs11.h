/* keystore_pkcs11.h: the pkcs11: backend of keystore.h (RFC 7512 URIs,
 * pkcs11_uri.h). One token key per process; its state is static. */
#ifndef GH_KEYSTORE_PKCS11_H
#define GH_KEYSTORE_PKCS11_H

#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/ssl.h>

#include "flash.h"
#include "gh_error.h"

/* Parse uri, read the PIN (a relative pin-source through flash; flash_dir
 * only names the folder in messages), load the module, find the one token
 * and the one private key the URI names, and log in once. */
int keystore_pkcs11_open(const char *uri, struct gh_flash *flash, const char *flash_dir, void **backend,
                         struct gh_error *err);

/* Point ctx at the token key and sign once with it, checking the signature
 * against the certificate's public key spki (SubjectPublicKeyInfo, DER). */
int keystore_pkcs11_attach(void *backend, WOLFSSL_CTX *ctx, const unsigned char *spki, int spki_len,
                           struct gh_error *err);

/* Log out and unload the module; after the last handshake (mg_stop). */
void keystore_pkcs11_close(void *backend);

#endif
