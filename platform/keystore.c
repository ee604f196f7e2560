/* keystore.c: the URI dispatch and the file: backend. */
#include "keystore.h"

#include <stdio.h>
#include <string.h>

#include <wolfssl/wolfcrypt/error-crypt.h>


#include "keystore_pkcs11.h"

enum { KS_NONE, KS_FILE, KS_PKCS11 };

struct file_backend {
    struct gh_flash *flash;
    char name[GH_FLASH_NAME_MAX + 1];
};

static struct file_backend file_;
static unsigned char keybuf_[16 * 1024];

int keystore_open(struct gh_keystore *ks, const char *uri, struct gh_flash *flash,
                  const char *flash_dir, struct gh_error *err)
{
    memset(ks, 0, sizeof *ks);
    if (strncmp(uri, "file:", 5) == 0) {
        const char *name = uri + 5;
        if (flash_check_name(name, err) != 0)
            return gh_error_set(err, GH_E_INVALID,
                                "gatehouse.ini: server_key `%s`: a file: key must name a file in the flash folder (%s)",
                                uri, err->msg);
        snprintf(file_.name, sizeof file_.name, "%s", name);
        file_.flash = flash;
        ks->kind = KS_FILE;
        ks->backend = &file_;
        return 0;
    }
    if (strncmp(uri, "pkcs11:", 7) == 0) {
        int rc = keystore_pkcs11_open(uri, flash, flash_dir, &ks->backend, err);
        if (rc == 0)
            ks->kind = KS_PKCS11;
        return rc;
    }
    return gh_error_set(err, GH_E_INVALID, "server_key `%s`: expected file:NAME or a pkcs11: URI", uri);
}

static int attach_file(struct file_backend *fb, WOLFSSL_CTX *ctx, struct gh_error *err)
{
    size_t len = 0;
    int rc = flash_read(fb->flash, fb->name, keybuf_, sizeof keybuf_, &len, err);
    if (rc == GH_E_NOTFOUND) {
        gh_error_clear(err);
        return gh_error_set(err, GH_E_INVALID, "%s: missing (the server's private key)", fb->name);
    }
    if (rc)
        return rc;
    int pem = memmem(keybuf_, len, "-----BEGIN", 10) != NULL;
    rc = wolfSSL_CTX_use_PrivateKey_buffer(ctx, keybuf_, (long)len,
                                           pem ? WOLFSSL_FILETYPE_PEM : WOLFSSL_FILETYPE_ASN1);
    /* the key stays in wolfSSL's own copy only */
    explicit_bzero(keybuf_, sizeof keybuf_);
    if (rc != WOLFSSL_SUCCESS)
        return gh_error_set(err, GH_E_INVALID, "%s: not a usable private key (%s, encrypted keys are not supported)",
                            fb->name, pem ? "PEM" : "DER");
    if (wolfSSL_CTX_check_private_key(ctx) != WOLFSSL_SUCCESS)
        return gh_error_set(err, GH_E_INVALID, "%s: does not belong to the certificate in server.pem", fb->name);
    return 0;
}

int keystore_attach(struct gh_keystore *ks, WOLFSSL_CTX *ctx, const unsigned char *spki, int spki_len,
                    struct gh_error *err)
{
    switch (ks->kind) {
    case KS_FILE: return attach_file(ks->backend, ctx, err);
    case KS_PKCS11: return keystore_pkcs11_attach(ks->backend, ctx, spki, spki_len, err);
    default: return gh_error_set(err, GH_E_INTERNAL, "keystore not opened");
    }
}

void keystore_close(struct gh_keystore *ks)
{
    if (ks->kind == KS_PKCS11)
        keystore_pkcs11_close(ks->backend);
    memset(ks, 0, sizeof *ks);
}
