/* keystore_pkcs11.c: the server key inside a PKCS#11 token (RFC 7512 URI).
 *
 * The key never leaves the token: wolfSSL gets a device id and the key's
 * CKA_ID or CKA_LABEL, and every signature goes through on_crypto() to the
 * token. What wolfSSL 5.7.2 gets wrong or leaves vague we do ourselves
 * (shared/deps.md "PKCS#11"):
 *  - slot lookup: wc_Pkcs11Token_InitName walks list positions, not slot ids,
 *    and prefix-matches labels, so we walk C_GetSlotList and compare whole
 *    blank-padded fields;
 *  - log-in: wc_Pkcs11Token_Open turns every failure into WC_HW_E, so we call
 *    C_OpenSession/C_Login ourselves, once (a failed log-in counts toward the
 *    token's PIN lock-out, so it is never retried), and hand wolfSSL the
 *    logged-in session;
 *  - wolfSSL_CTX_use_PrivateKey_Id/Label never touch the token, so
 *    keystore_pkcs11_attach() signs once and checks the signature against
 *    server.pem: a wrong or missing key stops the start, not the first client.
 * One session serves every worker thread: PKCS#11 allows one operation at a
 * time per session, hence the mutex around key operations. We never call
 * wolfSSL_CTX_SetDevId: that would send ECDHE, HMAC and AES-GCM to the token.
 *
 * State is static (one token per process): no heap in our code. */
#include "keystore_pkcs11.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <wolfssl/wolfcrypt/cryptocb.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/rsa.h>
#include <wolfssl/wolfcrypt/sha256.h>
#include <wolfssl/wolfcrypt/wc_pkcs11.h>

#include "log.h"
#include "pkcs11_uri.h"

/* PKCS#11 v2.40 values wolfSSL's trimmed pkcs11.h does not carry. */
#ifndef CKF_LOGIN_REQUIRED
#define CKF_LOGIN_REQUIRED                 0x00000004UL
#endif
#ifndef CKF_PROTECTED_AUTHENTICATION_PATH
#define CKF_PROTECTED_AUTHENTICATION_PATH  0x00000100UL
#endif
#ifndef CKF_TOKEN_INITIALIZED
#define CKF_TOKEN_INITIALIZED              0x00000400UL
#endif
#ifndef CKF_USER_PIN_FINAL_TRY
#define CKF_USER_PIN_FINAL_TRY             0x00020000UL
#endif
#ifndef CKF_USER_PIN_LOCKED
#define CKF_USER_PIN_LOCKED                0x00040000UL
#endif
#define P11_CKR_PIN_INCORRECT          0xA0UL
#define P11_CKR_PIN_LOCKED             0xA4UL
#define P11_CKR_USER_ALREADY_LOGGED_IN 0x100UL

/* The crypto-callback device id of the token key: any value but INVALID_DEVID
 * that no other backend registers (keystore_board_example.c uses another). */
#define KS_P11_DEVID 0x47480011

#define KS_P11_MAX_SLOTS 32     /* slots a module may list; more is refused */
#define KS_P11_MAX_LISTED 6     /* names quoted in a "not found" message */

struct p11 {
    int open;
    struct pkcs11_uri uri;
    void *dl;                   /* our own dlopen: for dlerror(), and one refcount */
    Pkcs11Dev dev;
    Pkcs11Token token;          /* wolfSSL's view: our session, no PIN */
    CK_FUNCTION_LIST *f;
    CK_SLOT_ID slot;
    CK_SESSION_HANDLE session;
    int has_session, logged_in, registered;
    char token_label[GH_P11_TOKEN_MAX + 1];
    CK_KEY_TYPE key_type;
    int use_id;                 /* hand wolfSSL the CKA_ID, else the CKA_LABEL */
    unsigned char key_id[GH_P11_ID_MAX];
    size_t key_id_len;
    char key_label[GH_P11_OBJECT_MAX + 1];
    unsigned long signatures;   /* under lock_ */
    int failing;                /* under lock_: the last key operation failed */
};

static struct p11 p11_;
static pthread_mutex_t lock_ = PTHREAD_MUTEX_INITIALIZER;
static unsigned char pin_[GH_P11_PIN_MAX];
static size_t pin_len_;

#define PFX "server_key: "

static const char *ckr_name(CK_RV rv, char *buf, size_t cap)
{
    static const struct { CK_RV rv; const char *name; } names[] = {
        {0x00, "CKR_OK"}, {0x01, "CKR_CANCEL"}, {0x02, "CKR_HOST_MEMORY"},
        {0x03, "CKR_SLOT_ID_INVALID"}, {0x05, "CKR_GENERAL_ERROR"},
        {0x06, "CKR_FUNCTION_FAILED"}, {0x07, "CKR_ARGUMENTS_BAD"},
        {0x30, "CKR_DEVICE_ERROR"}, {0x31, "CKR_DEVICE_MEMORY"}, {0x32, "CKR_DEVICE_REMOVED"},
        {0x54, "CKR_FUNCTION_NOT_SUPPORTED"}, {0x60, "CKR_KEY_HANDLE_INVALID"},
        {0x90, "CKR_OPERATION_ACTIVE"}, {0xA0, "CKR_PIN_INCORRECT"}, {0xA1, "CKR_PIN_INVALID"},
        {0xA2, "CKR_PIN_LEN_RANGE"}, {0xA3, "CKR_PIN_EXPIRED"}, {0xA4, "CKR_PIN_LOCKED"},
        {0xB0, "CKR_SESSION_CLOSED"}, {0xB1, "CKR_SESSION_COUNT"},
        {0xB3, "CKR_SESSION_HANDLE_INVALID"}, {0xE0, "CKR_TOKEN_NOT_PRESENT"},
        {0xE1, "CKR_TOKEN_NOT_RECOGNIZED"}, {0x100, "CKR_USER_ALREADY_LOGGED_IN"},
        {0x101, "CKR_USER_NOT_LOGGED_IN"}, {0x102, "CKR_USER_PIN_NOT_INITIALIZED"},
        {0x190, "CKR_CRYPTOKI_NOT_INITIALIZED"}, {0x191, "CKR_CRYPTOKI_ALREADY_INITIALIZED"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].rv == rv)
            return names[i].name;
    snprintf(buf, cap, "CKR 0x%lX", (unsigned long)rv);
    return buf;
}

/* ---- the PIN ---- */

static int read_pin(const struct pkcs11_uri *u, struct gh_flash *flash, const char *flash_dir,
                    struct gh_error *err)
{
    size_t len = 0;
    pin_len_ = 0;
    if (u->pin_file_relative) {
        int rc = flash_read(flash, u->pin_file, pin_, sizeof pin_, &len, err);
        if (rc == GH_E_NOTFOUND)
            return gh_error_set(err, GH_E_INVALID, PFX "pin-source %s: missing in the flash folder %s",
                                u->pin_file, flash_dir ? flash_dir : "");
        if (rc == GH_E_CAPACITY)
            return gh_error_set(err, GH_E_CAPACITY, PFX "pin-source %s: longer than %d bytes",
                                u->pin_file, GH_P11_PIN_MAX);
        if (rc) {
            char why[sizeof err->msg];
            snprintf(why, sizeof why, "%s", err->msg);
            gh_error_clear(err);
            return gh_error_set(err, rc, PFX "pin-source %s: %s", u->pin_file, why);
        }
    } else {
        int fd = open(u->pin_file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
            return gh_error_set(err, GH_E_INVALID, PFX "pin-source %s: %s", u->pin_file, strerror(errno));
        for (;;) {
            ssize_t n = read(fd, pin_ + len, sizeof pin_ - len);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                int e = errno;
                close(fd);
                return gh_error_set(err, GH_E_IO, PFX "pin-source %s: %s", u->pin_file, strerror(e));
            }
            if (n == 0)
                break;
            len += (size_t)n;
            if (len == sizeof pin_) {
                char extra;
                if (read(fd, &extra, 1) > 0) {
                    close(fd);
                    explicit_bzero(pin_, sizeof pin_);
                    return gh_error_set(err, GH_E_CAPACITY, PFX "pin-source %s: longer than %d bytes",
                                        u->pin_file, GH_P11_PIN_MAX);
                }
                break;
            }
        }
        close(fd);
    }
    /* A PIN file written with echo ends in a newline that is not the PIN's. */
    while (len > 0 && (pin_[len - 1] == '\n' || pin_[len - 1] == '\r'))
        len--;
    if (len == 0)
        return gh_error_set(err, GH_E_INVALID, PFX "pin-source %s: the file is empty", u->pin_file);
    pin_len_ = len;
    return 0;
}

/* ---- the module ---- */

static int load_module(struct p11 *p, struct gh_error *err)
{
    const char *path = p->uri.module_path;
    struct stat sb;
    CK_RV rv = 0;
    char rvb[24];
    if (stat(path, &sb) != 0)
        return gh_error_set(err, GH_E_INVALID, PFX "module-path %s: %s", path, strerror(errno));
    if (S_ISDIR(sb.st_mode))
        return gh_error_set(err, GH_E_INVALID, PFX "module-path %s is a folder: name the module's .so file", path);
    dlerror();
    p->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!p->dl) {
        const char *why = dlerror();
        return gh_error_set(err, GH_E_INVALID, PFX "module-path %s is not a loadable library: %s", path,
                            why ? why : "dlopen failed");
    }
    if (!dlsym(p->dl, "C_GetFunctionList"))
        return gh_error_set(err, GH_E_INVALID, PFX "module-path %s is not a PKCS#11 module (no C_GetFunctionList)",
                            path);
    int rc = wc_Pkcs11_Initialize_ex(&p->dev, path, NULL, &rv);
    if (rc == WC_INIT_E)
        return gh_error_set(err, GH_E_INVALID,
                            PFX "module-path %s: C_Initialize failed: %s (is the module's own configuration there? SoftHSM2: SOFTHSM2_CONF)",
                            path, ckr_name(rv, rvb, sizeof rvb));
    if (rc)
        return gh_error_set(err, GH_E_INVALID, PFX "module-path %s: cannot initialise the module (%s)", path,
                            wc_GetErrorString(rc));
    p->f = p->dev.func;
    return 0;
}

/* ---- which token ---- */

static int library_matches(const struct p11 *p)
{
    const struct pkcs11_uri *u = &p->uri;
    CK_INFO info;
    if (!(u->given & (P11_LIBRARY_MANUFACTURER | P11_LIBRARY_DESCRIPTION | P11_LIBRARY_VERSION)))
        return 1;
    if (p->f->C_GetInfo(&info) != 0)
        return 0;
    if ((u->given & P11_LIBRARY_MANUFACTURER) &&
        !pkcs11_uri_field_matches(info.manufacturerID, sizeof info.manufacturerID, u->library_manufacturer))
        return 0;
    if ((u->given & P11_LIBRARY_DESCRIPTION) &&
        !pkcs11_uri_field_matches(info.libraryDescription, sizeof info.libraryDescription,
                                  u->library_description))
        return 0;
    if ((u->given & P11_LIBRARY_VERSION) &&
        (info.libraryVersion.major != u->library_major || info.libraryVersion.minor != u->library_minor))
        return 0;
    return 1;
}

static int token_matches(const struct pkcs11_uri *u, CK_SLOT_ID id, const CK_SLOT_INFO *si,
                         const CK_TOKEN_INFO *ti)
{
    if ((u->given & P11_SLOT_ID) && id != u->slot_id)
        return 0;
    if ((u->given & P11_SLOT_DESCRIPTION) &&
        !pkcs11_uri_field_matches(si->slotDescription, sizeof si->slotDescription, u->slot_description))
        return 0;
    if ((u->given & P11_SLOT_MANUFACTURER) &&
        !pkcs11_uri_field_matches(si->manufacturerID, sizeof si->manufacturerID, u->slot_manufacturer))
        return 0;
    if ((u->given & P11_TOKEN) && !pkcs11_uri_field_matches(ti->label, sizeof ti->label, u->token))
        return 0;
    if ((u->given & P11_MANUFACTURER) &&
        !pkcs11_uri_field_matches(ti->manufacturerID, sizeof ti->manufacturerID, u->manufacturer))
        return 0;
    if ((u->given & P11_MODEL) && !pkcs11_uri_field_matches(ti->model, sizeof ti->model, u->model))
        return 0;
    if ((u->given & P11_SERIAL) &&
        !pkcs11_uri_field_matches(ti->serialNumber, sizeof ti->serialNumber, u->serial))
        return 0;
    return 1;
}

/* "token=gatehouse;serial=..." from what the URI asked, for messages. */
static void describe_token(const struct pkcs11_uri *u, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
#define ADD(bit, fmt, val)                                                               \
    if ((u->given & (bit)) && n < cap)                                                   \
        n += (size_t)snprintf(out + n, cap - n, "%s" fmt, n ? ";" : "", val)
    ADD(P11_TOKEN, "token=%s", u->token);
    ADD(P11_SERIAL, "serial=%s", u->serial);
    ADD(P11_MANUFACTURER, "manufacturer=%s", u->manufacturer);
    ADD(P11_MODEL, "model=%s", u->model);
    ADD(P11_SLOT_ID, "slot-id=%lu", u->slot_id);
    ADD(P11_SLOT_DESCRIPTION, "slot-description=%s", u->slot_description);
#undef ADD
    if (!out[0])
        snprintf(out, cap, "any token");
}

static int find_token(struct p11 *p, CK_TOKEN_INFO *found, struct gh_error *err)
{
    CK_SLOT_ID slots[KS_P11_MAX_SLOTS];
    CK_ULONG n = KS_P11_MAX_SLOTS;
    char rvb[24], want[120], seen[120] = "";
    size_t seen_len = 0;
    int matches = 0, listed = 0;
    CK_RV rv = p->f->C_GetSlotList(CK_TRUE, slots, &n);
    describe_token(&p->uri, want, sizeof want);
    if (rv != 0)
        return gh_error_set(err, GH_E_INVALID, PFX "C_GetSlotList failed: %s (more than %d slots?)",
                            ckr_name(rv, rvb, sizeof rvb), KS_P11_MAX_SLOTS);
    if (!library_matches(p))
        return gh_error_set(err, GH_E_INVALID, PFX "module %s does not match the URI's library-* attributes",
                            p->uri.module_path);
    for (CK_ULONG i = 0; i < n; i++) {
        CK_SLOT_INFO si;
        CK_TOKEN_INFO ti;
        if (p->f->C_GetSlotInfo(slots[i], &si) != 0 || p->f->C_GetTokenInfo(slots[i], &ti) != 0)
            continue;
        if (!(ti.flags & CKF_TOKEN_INITIALIZED))
            continue;   /* SoftHSM's spare slot, a blank card */
        if (token_matches(&p->uri, slots[i], &si, &ti)) {
            if (matches++ == 0) {
                p->slot = slots[i];
                *found = ti;
            }
        } else if (listed < KS_P11_MAX_LISTED && seen_len < sizeof seen) {
            char label[GH_P11_TOKEN_MAX + 1];
            pkcs11_uri_field_text(ti.label, sizeof ti.label, label, sizeof label);
            seen_len += (size_t)snprintf(seen + seen_len, sizeof seen - seen_len, "%s\"%s\"",
                                         listed ? ", " : "", label);
            listed++;
        }
    }
    if (matches == 0)
        return gh_error_set(err, GH_E_INVALID, PFX "no PKCS#11 token matches %s (%s%s)", want,
                            listed ? "the module has " : "the module has no initialised token", seen);
    if (matches > 1)
        return gh_error_set(err, GH_E_INVALID,
                            PFX "%d PKCS#11 tokens match %s: add serial= or slot-id= to the URI", matches, want);
    pkcs11_uri_field_text(found->label, sizeof found->label, p->token_label, sizeof p->token_label);
    return 0;
}

/* ---- log in, once ---- */

static int log_in(struct p11 *p, const CK_TOKEN_INFO *ti, struct gh_error *err)
{
    char rvb[24];
    CK_RV rv = p->f->C_OpenSession(p->slot, CKF_SERIAL_SESSION, NULL, NULL, &p->session);
    if (rv != 0)
        return gh_error_set(err, GH_E_INVALID, PFX "token \"%s\": C_OpenSession failed: %s", p->token_label,
                            ckr_name(rv, rvb, sizeof rvb));
    p->has_session = 1;
    if (ti->flags & CKF_USER_PIN_LOCKED)
        return gh_error_set(err, GH_E_INVALID,
                            PFX "token \"%s\": the user PIN is locked (too many wrong PINs); unlock it with the SO PIN",
                            p->token_label);
    if (!(p->uri.given & P11_PIN_SOURCE)) {
        if (ti->flags & CKF_PROTECTED_AUTHENTICATION_PATH) {
            rv = p->f->C_Login(p->session, CKU_USER, NULL, 0);
        } else if (ti->flags & CKF_LOGIN_REQUIRED) {
            return gh_error_set(err, GH_E_INVALID,
                                PFX "token \"%s\" needs a PIN: add pin-source=file:pin.txt (a file in flash)",
                                p->token_label);
        } else {
            return 0;
        }
    } else {
        if (ti->flags & CKF_USER_PIN_FINAL_TRY)
            gh_log(GH_LOG_WARN, "token \"%s\": one wrong PIN left before it locks", p->token_label);
        rv = p->f->C_Login(p->session, CKU_USER, pin_, (CK_ULONG)pin_len_);
    }
    /* The session stays logged in; the PIN is not needed again. */
    explicit_bzero(pin_, sizeof pin_);
    pin_len_ = 0;
    if (rv == 0 || rv == P11_CKR_USER_ALREADY_LOGGED_IN) {
        p->logged_in = 1;
        return 0;
    }
    if (rv == P11_CKR_PIN_INCORRECT)
        return gh_error_set(err, GH_E_INVALID,
                            PFX "token \"%s\": wrong PIN in pin-source %s (tried once, never retried: failed log-ins count toward the PIN lock-out)",
                            p->token_label, p->uri.pin_file);
    if (rv == P11_CKR_PIN_LOCKED)
        return gh_error_set(err, GH_E_INVALID,
                            PFX "token \"%s\": the user PIN is locked (too many wrong PINs); unlock it with the SO PIN",
                            p->token_label);
    return gh_error_set(err, GH_E_INVALID, PFX "token \"%s\": log-in refused: %s", p->token_label,
                        ckr_name(rv, rvb, sizeof rvb));
}

/* ---- which key ---- */

static void id_text(const unsigned char *id, size_t len, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < len && n + 4 <= cap; i++)
        n += (size_t)snprintf(out + n, cap - n, "%%%02X", id[i]);
}

static void describe_key(const struct pkcs11_uri *u, char *out, size_t cap)
{
    char id[3 * 16 + 1];
    id_text(u->id, u->id_len, id, sizeof id);
    if ((u->given & P11_OBJECT) && (u->given & P11_ID))
        snprintf(out, cap, "object=%s;id=%s", u->object, id);
    else if (u->given & P11_OBJECT)
        snprintf(out, cap, "object=%s", u->object);
    else if (u->given & P11_ID)
        snprintf(out, cap, "id=%s", id);
    else
        snprintf(out, cap, "(any private key)");
}

/* Private keys matching the template's label/id; up to max handles, *count of
 * all found (capped at max). */
static int find_keys(struct p11 *p, const CK_KEY_TYPE *type, const char *label, const unsigned char *id,
                     size_t id_len, CK_OBJECT_HANDLE *h, CK_ULONG max, CK_ULONG *count)
{
    CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
    CK_ATTRIBUTE t[4];
    CK_ULONG nt = 0;
    t[nt++] = (CK_ATTRIBUTE){CKA_CLASS, &cls, sizeof cls};
    if (type)
        t[nt++] = (CK_ATTRIBUTE){CKA_KEY_TYPE, (void *)type, sizeof *type};
    if (label)
        t[nt++] = (CK_ATTRIBUTE){CKA_LABEL, (void *)label, strlen(label)};
    if (id)
        t[nt++] = (CK_ATTRIBUTE){CKA_ID, (void *)id, id_len};
    *count = 0;
    CK_RV rv = p->f->C_FindObjectsInit(p->session, t, nt);
    if (rv != 0)
        return (int)rv;
    rv = p->f->C_FindObjects(p->session, h, max, count);
    p->f->C_FindObjectsFinal(p->session);
    return (int)rv;
}

/* CKA_LABEL of h as text; "" when it has none or it does not fit. */
static void key_label(struct p11 *p, CK_OBJECT_HANDLE h, char *out, size_t cap)
{
    CK_ATTRIBUTE a = {CKA_LABEL, out, cap - 1};
    out[0] = '\0';
    if (p->f->C_GetAttributeValue(p->session, h, &a, 1) == 0 && a.ulValueLen < cap &&
        !memchr(out, '\0', a.ulValueLen))
        out[a.ulValueLen] = '\0';
    else
        out[0] = '\0';
}

static void list_keys(struct p11 *p, char *out, size_t cap)
{
    CK_OBJECT_HANDLE h[KS_P11_MAX_LISTED];
    CK_ULONG n = 0;
    size_t len = 0;
    out[0] = '\0';
    if (find_keys(p, NULL, NULL, NULL, 0, h, KS_P11_MAX_LISTED, &n) != 0 || n == 0) {
        snprintf(out, cap, "it holds no private key this log-in can see");
        return;
    }
    len += (size_t)snprintf(out, cap, "its private keys: ");
    for (CK_ULONG i = 0; i < n && len < cap; i++) {
        char label[GH_P11_OBJECT_MAX + 1];
        key_label(p, h[i], label, sizeof label);
        len += (size_t)snprintf(out + len, cap - len, "%s\"%s\"", i ? ", " : "", label);
    }
}

static CK_BBOOL key_flag(struct p11 *p, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type, CK_BBOOL dflt)
{
    CK_BBOOL v = dflt;
    CK_ATTRIBUTE a = {type, &v, sizeof v};
    if (p->f->C_GetAttributeValue(p->session, h, &a, 1) != 0)
        return dflt;
    return v;
}

/* wolfSSL finds the key again by (class, key type, id) or (class, key type,
 * label) and takes the first hit: pick a handle that names only this key,
 * and that fits wolfSSL's key structures (ECC_MAX_ID_LEN, RSA_MAX_LABEL_LEN...). */
#define KS_P11_HANDLE_MAX 32
_Static_assert(KS_P11_HANDLE_MAX <= ECC_MAX_ID_LEN && KS_P11_HANDLE_MAX <= ECC_MAX_LABEL_LEN &&
                   KS_P11_HANDLE_MAX <= RSA_MAX_ID_LEN && KS_P11_HANDLE_MAX <= RSA_MAX_LABEL_LEN,
               "a key handle must fit wolfSSL's ecc_key and RsaKey");
static int choose_handle(struct p11 *p, CK_OBJECT_HANDLE key, struct gh_error *err)
{
    const struct pkcs11_uri *u = &p->uri;
    CK_OBJECT_HANDLE h[2];
    CK_ULONG n = 0;
    unsigned char id[GH_P11_ID_MAX];
    char label[GH_P11_OBJECT_MAX + 1];
    CK_ATTRIBUTE a = {CKA_ID, id, sizeof id};
    size_t id_len = 0;

    if (u->given & P11_ID) {
        memcpy(id, u->id, u->id_len);
        id_len = u->id_len;
    } else if (p->f->C_GetAttributeValue(p->session, key, &a, 1) == 0 && a.ulValueLen <= sizeof id) {
        id_len = a.ulValueLen;
    }
    if (id_len && id_len <= KS_P11_HANDLE_MAX &&
        find_keys(p, &p->key_type, NULL, id, id_len, h, 2, &n) == 0 && n == 1 && h[0] == key) {
        memcpy(p->key_id, id, id_len);
        p->key_id_len = id_len;
        p->use_id = 1;
        return 0;
    }
    if (u->given & P11_OBJECT)
        snprintf(label, sizeof label, "%s", u->object);
    else
        key_label(p, key, label, sizeof label);
    if (label[0] && strlen(label) <= KS_P11_HANDLE_MAX &&
        find_keys(p, &p->key_type, label, NULL, 0, h, 2, &n) == 0 && n == 1 && h[0] == key) {
        snprintf(p->key_label, sizeof p->key_label, "%s", label);
        p->use_id = 0;
        return 0;
    }
    return gh_error_set(err, GH_E_INVALID,
                        PFX "token \"%s\": the key needs a CKA_ID or label of 1 to %d bytes that no other private key has",
                        p->token_label, KS_P11_HANDLE_MAX);
}

static int find_key(struct p11 *p, struct gh_error *err)
{
    const struct pkcs11_uri *u = &p->uri;
    CK_OBJECT_HANDLE h[2];
    CK_ULONG n = 0;
    char want[GH_P11_OBJECT_MAX + 64], have[120], rvb[24];
    describe_key(u, want, sizeof want);
    int rv = find_keys(p, NULL, (u->given & P11_OBJECT) ? u->object : NULL, (u->given & P11_ID) ? u->id : NULL,
                       u->id_len, h, 2, &n);
    if (rv != 0)
        return gh_error_set(err, GH_E_INVALID, PFX "token \"%s\": searching for the key failed: %s",
                            p->token_label, ckr_name((CK_RV)rv, rvb, sizeof rvb));
    if (n == 0) {
        list_keys(p, have, sizeof have);
        return gh_error_set(err, GH_E_INVALID, PFX "token \"%s\" has no private key %s (%s)", p->token_label,
                            want, have);
    }
    if (n > 1)
        return gh_error_set(err, GH_E_INVALID,
                            PFX "token \"%s\": several private keys match %s: add object= or id= to the URI",
                            p->token_label, want);
    CK_ATTRIBUTE a = {CKA_KEY_TYPE, &p->key_type, sizeof p->key_type};
    if (p->f->C_GetAttributeValue(p->session, h[0], &a, 1) != 0)
        return gh_error_set(err, GH_E_INVALID, PFX "token \"%s\": cannot read the key type of %s", p->token_label,
                            want);
    if (p->key_type != CKK_EC && p->key_type != CKK_RSA)
        return gh_error_set(err, GH_E_INVALID, PFX "token \"%s\": key %s is neither EC nor RSA (CKK 0x%lX)",
                            p->token_label, want, (unsigned long)p->key_type);
    if (!key_flag(p, h[0], CKA_SIGN, CK_TRUE))
        return gh_error_set(err, GH_E_INVALID, PFX "token \"%s\": key %s may not sign (CKA_SIGN is false)",
                            p->token_label, want);
    if (key_flag(p, h[0], CKA_ALWAYS_AUTHENTICATE, CK_FALSE))
        return gh_error_set(err, GH_E_INVALID,
                            PFX "token \"%s\": key %s wants the PIN for every signature (CKA_ALWAYS_AUTHENTICATE), which a server cannot give",
                            p->token_label, want);
    return choose_handle(p, h[0], err);
}

/* ---- the crypto callback ---- */

/* What the token does with its key. Not ECDSA verification: the token key
 * carries no public point for it (wolfSSL's PKCS#11 verify would read a NULL
 * curve), and TLS never verifies with its own key unless built with
 * WOLFSSL_CHECK_SIG_FAULTS, which token keys do not support. RSA stays whole:
 * wolfSSL checks each RSA signature it makes with the same key object. */
static int is_key_op(int pk_type)
{
    switch (pk_type) {
    case WC_PK_TYPE_ECDSA_SIGN:
    case WC_PK_TYPE_EC_CHECK_PRIV_KEY:
    case WC_PK_TYPE_RSA:
    case WC_PK_TYPE_RSA_GET_SIZE:
    case WC_PK_TYPE_RSA_CHECK_PRIV_KEY:
        return 1;
    default:
        return 0;
    }
}

static int on_crypto(int dev_id, wc_CryptoInfo *info, void *ctx)
{
    struct p11 *p = ctx;
    /* Hashes and the like come here many times per handshake: answer them
     * without the lock, so they never wait behind a signature. */
    if (info->algo_type != WC_ALGO_TYPE_PK || !is_key_op(info->pk.type))
        return CRYPTOCB_UNAVAILABLE;
    pthread_mutex_lock(&lock_);
    int rc = wc_Pkcs11_CryptoDevCb(dev_id, info, &p->token);
    int signing = info->pk.type == WC_PK_TYPE_ECDSA_SIGN || info->pk.type == WC_PK_TYPE_RSA;
    if (rc == 0 && signing)
        p->signatures++;
    if (rc != 0 && !p->failing)
        gh_log(GH_LOG_ERR, "token \"%s\": key operation failed (%s); handshakes fail until it works again",
               p->token_label, wc_GetErrorString(rc));
    else if (rc == 0 && p->failing)
        gh_log(GH_LOG_INFO, "token \"%s\": key operations work again", p->token_label);
    p->failing = rc != 0;
    pthread_mutex_unlock(&lock_);
    return rc;
}

/* ---- the interface ---- */

static void teardown(struct p11 *p)
{
    if (p->registered)
        wc_CryptoCb_UnRegisterDevice(KS_P11_DEVID);
    if (p->logged_in)
        p->f->C_Logout(p->session);
    if (p->has_session)
        p->f->C_CloseSession(p->session);
    if (p->f)
        wc_Pkcs11_Finalize(&p->dev);
    if (p->dl)
        dlclose(p->dl);
    explicit_bzero(pin_, sizeof pin_);
    pin_len_ = 0;
    memset(p, 0, sizeof *p);
}

int keystore_pkcs11_open(const char *uri, struct gh_flash *flash, const char *flash_dir, void **backend,
                         struct gh_error *err)
{
    struct p11 *p = &p11_;
    CK_TOKEN_INFO ti;
    int rc;
    if (p->open)
        return gh_error_set(err, GH_E_INTERNAL, PFX "a PKCS#11 key is open already (one per process)");
    memset(p, 0, sizeof *p);
    rc = pkcs11_uri_parse(uri, &p->uri, err);
    if (rc) {
        snprintf(err->file, sizeof err->file, "gatehouse.ini");
        return rc;
    }
    if (!(p->uri.given & P11_MODULE_PATH)) {
        snprintf(err->file, sizeof err->file, "gatehouse.ini");
        return gh_error_set(err, GH_E_INVALID,
                            "[keystore] server_key: add ?module-path=/path/to/module.so (the token's PKCS#11 library)%s",
                            (p->uri.given & P11_MODULE_NAME) ? "; module-name alone is not supported" : "");
    }
    /* Cheap checks first: a missing PIN file is reported without touching the token. */
    if ((p->uri.given & P11_PIN_SOURCE) && (rc = read_pin(&p->uri, flash, flash_dir, err)) != 0)
        goto fail;
    if ((rc = load_module(p, err)) != 0 || (rc = find_token(p, &ti, err)) != 0 ||
        (rc = log_in(p, &ti, err)) != 0 || (rc = find_key(p, err)) != 0)
        goto fail;
    /* wolfSSL's token: our session, no PIN, so it never logs in (or out) itself. */
    rc = wc_Pkcs11Token_Init_NoLogin(&p->token, &p->dev, (int)p->slot, NULL);
    if (rc) {
        rc = gh_error_set(err, GH_E_INTERNAL, PFX "wolfSSL refused slot %lu: %s", (unsigned long)p->slot,
                          wc_GetErrorString(rc));
        goto fail;
    }
    p->token.handle = p->session;
    rc = wc_CryptoCb_RegisterDevice(KS_P11_DEVID, on_crypto, p);
    if (rc) {
        rc = gh_error_set(err, GH_E_INTERNAL, PFX "cannot register the crypto callback: %s", wc_GetErrorString(rc));
        goto fail;
    }
    p->registered = 1;
    p->open = 1;
    *backend = p;
    return 0;
fail:
    teardown(p);
    return rc;
}

static int probe_ecc(struct p11 *p, const unsigned char *spki, int spki_len, const unsigned char *hash,
                     WC_RNG *rng, struct gh_error *err)
{
    ecc_key key, pub;
    unsigned char sig[ECC_MAX_SIG_SIZE];
    word32 sig_len = sizeof sig, idx = 0;
    int ok = 0, rc;
    rc = p->use_id ? wc_ecc_init_id(&key, p->key_id, (int)p->key_id_len, NULL, KS_P11_DEVID)
                   : wc_ecc_init_label(&key, p->key_label, NULL, KS_P11_DEVID);
    if (rc == 0) {
        rc = wc_ecc_sign_hash(hash, WC_SHA256_DIGEST_SIZE, sig, &sig_len, rng, &key);
        wc_ecc_free(&key);
    }
    if (rc)
        return gh_error_set(err, GH_E_INVALID, PFX "token \"%s\": signing with the key failed (%s)",
                            p->token_label, wc_GetErrorString(rc));
    if (wc_ecc_init(&pub) != 0)
        return gh_error_set(err, GH_E_NOMEM, PFX "cannot set up an EC key (out of memory)");
    rc = wc_EccPublicKeyDecode(spki, &idx, &pub, (word32)spki_len);
    if (rc == 0)
        rc = wc_ecc_verify_hash(sig, sig_len, hash, WC_SHA256_DIGEST_SIZE, &ok, &pub);
    wc_ecc_free(&pub);
    if (rc == ASN_PARSE_E || rc == ECC_BAD_ARG_E || rc == ASN_OBJECT_ID_E)
        return gh_error_set(err, GH_E_INVALID, PFX "token \"%s\" holds an EC key but server.pem does not",
                            p->token_label);
    if (rc || !ok)
        return gh_error_set(err, GH_E_INVALID,
                            PFX "the key in token \"%s\" does not belong to the certificate in server.pem",
                            p->token_label);
    return 0;
}

static int probe_rsa(struct p11 *p, const unsigned char *spki, int spki_len, const unsigned char *hash,
                     WC_RNG *rng, struct gh_error *err)
{
    static RsaKey key, pub;     /* large with 4096-bit math; used once, at start */
    static unsigned char sig[512], out[512];
    word32 idx = 0;
    int rc, sig_len;
    rc = p->use_id ? wc_InitRsaKey_Id(&key, p->key_id, (int)p->key_id_len, NULL, KS_P11_DEVID)
                   : wc_InitRsaKey_Label(&key, p->key_label, NULL, KS_P11_DEVID);
    if (rc == 0) {
        sig_len = wc_RsaSSL_Sign(hash, WC_SHA256_DIGEST_SIZE, sig, sizeof sig, &key, rng);
        wc_FreeRsaKey(&key);
        rc = sig_len < 0 ? sig_len : 0;
    } else {
        sig_len = 0;
    }
    if (rc)
        return gh_error_set(err, GH_E_INVALID, PFX "token \"%s\": signing with the key failed (%s)",
                            p->token_label, wc_GetErrorString(rc));
    if (wc_InitRsaKey(&pub, NULL) != 0)
        return gh_error_set(err, GH_E_NOMEM, PFX "cannot set up an RSA key (out of memory)");
    rc = wc_RsaPublicKeyDecode(spki, &idx, &pub, (word32)spki_len);
    if (rc) {
        wc_FreeRsaKey(&pub);
        return gh_error_set(err, GH_E_INVALID, PFX "token \"%s\" holds an RSA key but server.pem does not",
                            p->token_label);
    }
    rc = wc_RsaSSL_Verify(sig, (word32)sig_len, out, sizeof out, &pub);
    wc_FreeRsaKey(&pub);
    if (rc != WC_SHA256_DIGEST_SIZE || memcmp(out, hash, WC_SHA256_DIGEST_SIZE) != 0)
        return gh_error_set(err, GH_E_INVALID,
                            PFX "the key in token \"%s\" does not belong to the certificate in server.pem",
                            p->token_label);
    return 0;
}

int keystore_pkcs11_attach(void *backend, WOLFSSL_CTX *ctx, const unsigned char *spki, int spki_len,
                           struct gh_error *err)
{
    struct p11 *p = backend;
    unsigned char nonce[32], hash[WC_SHA256_DIGEST_SIZE];
    int rc;
    char idt[3 * 16 + 1];
    WC_RNG rng;
    rc = p->use_id ? wolfSSL_CTX_use_PrivateKey_Id(ctx, p->key_id, (long)p->key_id_len, KS_P11_DEVID)
                   : wolfSSL_CTX_use_PrivateKey_Label(ctx, p->key_label, KS_P11_DEVID);
    if (rc != WOLFSSL_SUCCESS)
        return gh_error_set(err, GH_E_NOMEM, PFX "wolfSSL refused the token key (out of memory?)");

    /* Sign a fresh challenge in the token, check it with server.pem's key. */
    if (wc_InitRng(&rng) != 0)
        return gh_error_set(err, GH_E_INTERNAL, PFX "cannot start the random generator");
    rc = wc_RNG_GenerateBlock(&rng, nonce, sizeof nonce);
    if (rc == 0)
        rc = wc_Sha256Hash(nonce, sizeof nonce, hash);
    if (rc)
        rc = gh_error_set(err, GH_E_INTERNAL, PFX "cannot make a challenge to sign");
    else if (p->key_type == CKK_EC)
        rc = probe_ecc(p, spki, spki_len, hash, &rng, err);
    else
        rc = probe_rsa(p, spki, spki_len, hash, &rng, err);
    wc_FreeRng(&rng);
    if (rc)
        return rc;
    id_text(p->key_id, p->key_id_len, idt, sizeof idt);
    gh_log(GH_LOG_INFO, "server key: %s key %s%s in PKCS#11 token \"%s\" (slot %lu); it signs inside the token",
           p->key_type == CKK_EC ? "EC" : "RSA", p->use_id ? "id=" : "object=", p->use_id ? idt : p->key_label,
           p->token_label, (unsigned long)p->slot);
    return 0;
}

void keystore_pkcs11_close(void *backend)
{
    struct p11 *p = backend;
    if (!p || !p->open)
        return;
    pthread_mutex_lock(&lock_);
    gh_log(GH_LOG_INFO, "token \"%s\": %lu signatures made in the token", p->token_label, p->signatures);
    teardown(p);
    pthread_mutex_unlock(&lock_);
}
