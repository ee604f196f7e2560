/* keystore_board_example.c: a worked skeleton for a board whose server key
 * lives in a secure element (ATECC608, SE050, OPTIGA Trust M, a TPM, ...)
 * reachable only through the vendor's own library, not PKCS#11.
 *
 * It is compiled in every build (target gh_board_example) so it keeps up
 * with wolfSSL, but it is not linked into gatehouse. A port copies it to
 * platform/keystore_<board>.c, fills in the se_* functions marked TODO with
 * the vendor's calls, and adds a scheme to keystore.c's dispatch:
 *
 *     if (strncmp(uri, "board:", 6) == 0) {             // server_key = board:se0
 *         int rc = keystore_board_open(uri + 6, &ks->backend, err);
 *         if (rc == 0)
 *             ks->kind = KS_BOARD;
 *         return rc;
 *     }
 *     ...
 *     case KS_BOARD: return keystore_board_attach(ks->backend, ctx, spki, spki_len, err);
 *
 * How it plugs into wolfSSL (the same way keystore_pkcs11.c does):
 *  1. wc_CryptoCb_RegisterDevice(devId, callback, state): wolfSSL calls the
 *     callback for every operation on a key that carries this devId.
 *  2. wolfSSL_CTX_use_PrivateKey_Id(ctx, id, len, devId) (or _Label): the
 *     TLS context holds no key, only "key <id> on device <devId>". The key's
 *     type and size come from the certificate loaded before (server.pem).
 *  3. In a handshake wolfSSL makes an ecc_key with that id and devId and
 *     calls wc_ecc_sign_hash(); the callback gets WC_PK_TYPE_ECDSA_SIGN with
 *     the hash and signs it in the secure element.
 * Pitfalls learnt with PKCS#11 (shared/deps.md) that apply here too:
 *  - never wolfSSL_CTX_SetDevId(): it would route ECDHE, HMAC and AES-GCM to
 *    the device as well;
 *  - return CRYPTOCB_UNAVAILABLE for everything that is not a key operation,
 *    before taking any lock: hashes call in ~100 times per handshake;
 *  - the element does one thing at a time and GH_WORKERS threads handshake
 *    at once: a mutex around the element;
 *  - use_PrivateKey_Id never talks to the element: sign once at start-up and
 *    verify with server.pem's public key, so a wrong slot or a dead element
 *    stops the start instead of every handshake. */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/ssl.h>
#include <wolfssl/wolfcrypt/cryptocb.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/sha256.h>

#include "gh_error.h"

/* A port puts these three in keystore_board.h, beside keystore_pkcs11.h. */
int keystore_board_open(const char *name, void **backend, struct gh_error *err);
int keystore_board_attach(void *backend, WOLFSSL_CTX *ctx, const unsigned char *spki, int spki_len,
                          struct gh_error *err);
void keystore_board_close(void *backend);

/* Any value but INVALID_DEVID (-2) that no other backend uses
 * (keystore_pkcs11.c takes 0x47480011). */
#define BOARD_SE_DEVID 0x47480021
#define BOARD_SE_P256_BYTES 32

struct board_se {
    int open;
    uint8_t slot;               /* the element's key slot; also the id wolfSSL carries */
    unsigned long signatures;   /* under lock */
};

static struct board_se se_;
static pthread_mutex_t lock_ = PTHREAD_MUTEX_INITIALIZER;

/* ---- the vendor's calls: everything a port writes is here ---- */

/* Wake the element, check it is provisioned and that slot holds a P-256
 * private key that may sign. 0, or a message in err. */
static int se_open(uint8_t slot, struct gh_error *err)
{
    /* TODO(vendor): e.g. atcab_init(&cfg); atcab_info(rev); check the slot's
     * key config (private, ECC P-256, sign allowed, never readable). */
    (void)slot;
    return gh_error_set(err, GH_E_INVALID, "server_key: board secure element: not implemented in this example");
}

/* ECDSA over a hash the TLS layer made; r and s big-endian, 32 bytes each.
 * Must not hash again: the input is already the digest. */
static int se_sign_p256(uint8_t slot, const uint8_t *hash, size_t hash_len, uint8_t r[BOARD_SE_P256_BYTES],
                        uint8_t s[BOARD_SE_P256_BYTES])
{
    /* TODO(vendor): e.g. atcab_sign(slot, hash, rs) (ATECC608 wants exactly
     * 32 bytes: truncate a longer hash as ECDSA does, pad a shorter one on
     * the left), then split rs into r and s. Return 0 or -1. */
    (void)slot;
    (void)hash;
    (void)hash_len;
    memset(r, 0, BOARD_SE_P256_BYTES);
    memset(s, 0, BOARD_SE_P256_BYTES);
    return -1;
}

static void se_close(void)
{
    /* TODO(vendor): e.g. atcab_release(); put the element to sleep. */
}

/* ---- the crypto callback ---- */

static int on_crypto(int dev_id, wc_CryptoInfo *info, void *ctx)
{
    struct board_se *se = ctx;
    uint8_t r[BOARD_SE_P256_BYTES], s[BOARD_SE_P256_BYTES];
    (void)dev_id;
    /* Not a key operation: let wolfSSL do it in software, without the lock. */
    if (info->algo_type != WC_ALGO_TYPE_PK || info->pk.type != WC_PK_TYPE_ECDSA_SIGN)
        return CRYPTOCB_UNAVAILABLE;
    const ecc_key *key = info->pk.eccsign.key;
    /* wolfSSL carries the id given to wolfSSL_CTX_use_PrivateKey_Id. */
    if (key->idLen != 1 || key->id[0] != se->slot)
        return BAD_FUNC_ARG;
    pthread_mutex_lock(&lock_);
    int rc = se_sign_p256(se->slot, info->pk.eccsign.in, info->pk.eccsign.inlen, r, s);
    if (rc == 0)
        se->signatures++;
    pthread_mutex_unlock(&lock_);
    if (rc != 0)
        return WC_HW_E;
    /* TLS wants the DER form (SEQUENCE of two INTEGERs). */
    return wc_ecc_rs_raw_to_sig(r, sizeof r, s, sizeof s, info->pk.eccsign.out, info->pk.eccsign.outlen);
}

/* ---- the keystore interface ---- */

/* name: what follows `board:` in server_key, e.g. "se0" for slot 0. */
int keystore_board_open(const char *name, void **backend, struct gh_error *err)
{
    if (se_.open)
        return gh_error_set(err, GH_E_INTERNAL, "server_key: the secure element is open already");
    if (strncmp(name, "se", 2) != 0 || name[2] < '0' || name[2] > '9' || name[3] != '\0')
        return gh_error_set(err, GH_E_INVALID, "server_key `board:%s`: expected board:se0 ... board:se9", name);
    memset(&se_, 0, sizeof se_);
    se_.slot = (uint8_t)(name[2] - '0');
    int rc = se_open(se_.slot, err);
    if (rc)
        return rc;
    rc = wc_CryptoCb_RegisterDevice(BOARD_SE_DEVID, on_crypto, &se_);
    if (rc) {
        se_close();
        return gh_error_set(err, GH_E_INTERNAL, "server_key: cannot register the crypto callback (%s)",
                            wc_GetErrorString(rc));
    }
    se_.open = 1;
    *backend = &se_;
    return 0;
}

int keystore_board_attach(void *backend, WOLFSSL_CTX *ctx, const unsigned char *spki, int spki_len,
                          struct gh_error *err)
{
    struct board_se *se = backend;
    unsigned char nonce[32], hash[WC_SHA256_DIGEST_SIZE], sig[ECC_MAX_SIG_SIZE];
    int ok = 0, rc;
    word32 sig_len = sizeof sig, idx = 0;
    WC_RNG rng;
    ecc_key key, pub;

    if (wolfSSL_CTX_use_PrivateKey_Id(ctx, &se->slot, 1, BOARD_SE_DEVID) != WOLFSSL_SUCCESS)
        return gh_error_set(err, GH_E_NOMEM, "server_key: wolfSSL refused the key id");

    /* The probe: a fresh challenge signed in the element, checked in software. */
    if (wc_InitRng(&rng) != 0)
        return gh_error_set(err, GH_E_INTERNAL, "server_key: cannot start the random generator");
    rc = wc_RNG_GenerateBlock(&rng, nonce, sizeof nonce);
    if (rc == 0)
        rc = wc_Sha256Hash(nonce, sizeof nonce, hash);
    if (rc == 0)
        rc = wc_ecc_init_id(&key, &se->slot, 1, NULL, BOARD_SE_DEVID);
    if (rc == 0) {
        rc = wc_ecc_sign_hash(hash, sizeof hash, sig, &sig_len, &rng, &key);
        wc_ecc_free(&key);
    }
    wc_FreeRng(&rng);
    if (rc)
        return gh_error_set(err, GH_E_INVALID, "server_key: the secure element did not sign (%s)",
                            wc_GetErrorString(rc));
    if (wc_ecc_init(&pub) != 0)
        return gh_error_set(err, GH_E_NOMEM, "server_key: cannot set up an EC key");
    rc = wc_EccPublicKeyDecode(spki, &idx, &pub, (word32)spki_len);
    if (rc == 0)
        rc = wc_ecc_verify_hash(sig, sig_len, hash, sizeof hash, &ok, &pub);
    wc_ecc_free(&pub);
    if (rc || !ok)
        return gh_error_set(err, GH_E_INVALID,
                            "server_key: the key in secure element slot %u does not belong to server.pem", se->slot);
    return 0;
}

void keystore_board_close(void *backend)
{
    struct board_se *se = backend;
    if (!se || !se->open)
        return;
    wc_CryptoCb_UnRegisterDevice(BOARD_SE_DEVID);
    pthread_mutex_lock(&lock_);
    se_close();
    memset(se, 0, sizeof *se);
    pthread_mutex_unlock(&lock_);
}
