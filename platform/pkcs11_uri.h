/* pkcs11_uri.h: the pkcs11: URIs of RFC 7512, as gatehouse.ini's
 * `[keystore] server_key` writes them (CONTRACT.md section 3).
 *
 *   pkcs11:token=gatehouse;object=tls-key?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:pin.txt
 *
 * Pure: no PKCS#11 library, no files. The parser is strict where leniency
 * could pick the wrong key or leak a secret: an unknown or repeated attribute,
 * a vendor (`x-`) attribute, a character RFC 7512 wants %-encoded, a `type`
 * other than `private`, and `pin-value` (a PIN never goes into the settings
 * file) are all errors that say what to write instead. */
#ifndef GH_PKCS11_URI_H
#define GH_PKCS11_URI_H

#include <stddef.h>

#include "budget.h"
#include "gh_error.h"

/* PKCS#11 fixes the width of the blank-padded text fields a URI matches:
 * CK_TOKEN_INFO label/manufacturerID 32, model/serialNumber 16;
 * CK_SLOT_INFO slotDescription 64, manufacturerID 32; CK_INFO 32 each. */
#define GH_P11_TOKEN_MAX     32
#define GH_P11_MODEL_MAX     16
#define GH_P11_SLOTDESC_MAX  64
/* Not fixed by PKCS#11: our capacities (candidates for budget.h). */
#ifndef GH_P11_OBJECT_MAX
#define GH_P11_OBJECT_MAX    128   /* bytes of a CKA_LABEL (`object=`) */
#endif
#ifndef GH_P11_ID_MAX
#define GH_P11_ID_MAX        64    /* bytes of a CKA_ID (`id=`) */
#endif
#ifndef GH_P11_PIN_MAX
#define GH_P11_PIN_MAX       256   /* bytes of a PIN file */
#endif

/* Which attributes the URI gave (bits of pkcs11_uri.given). */
enum pkcs11_uri_attr {
    P11_TOKEN = 1u << 0,
    P11_MANUFACTURER = 1u << 1,
    P11_MODEL = 1u << 2,
    P11_SERIAL = 1u << 3,
    P11_OBJECT = 1u << 4,
    P11_ID = 1u << 5,
    P11_TYPE = 1u << 6,
    P11_SLOT_ID = 1u << 7,
    P11_SLOT_DESCRIPTION = 1u << 8,
    P11_SLOT_MANUFACTURER = 1u << 9,
    P11_LIBRARY_MANUFACTURER = 1u << 10,
    P11_LIBRARY_DESCRIPTION = 1u << 11,
    P11_LIBRARY_VERSION = 1u << 12,
    P11_MODULE_PATH = 1u << 13,
    P11_MODULE_NAME = 1u << 14,
    P11_PIN_SOURCE = 1u << 15,
};

/* Every text value is %-decoded and NUL-terminated; `id` is bytes. */
struct pkcs11_uri {
    unsigned given;                                     /* enum pkcs11_uri_attr bits */
    /* path: which token, which object */
    char token[GH_P11_TOKEN_MAX + 1];
    char manufacturer[GH_P11_TOKEN_MAX + 1];
    char model[GH_P11_MODEL_MAX + 1];
    char serial[GH_P11_MODEL_MAX + 1];
    char object[GH_P11_OBJECT_MAX + 1];
    unsigned char id[GH_P11_ID_MAX];
    size_t id_len;
    unsigned long slot_id;
    char slot_description[GH_P11_SLOTDESC_MAX + 1];
    char slot_manufacturer[GH_P11_TOKEN_MAX + 1];
    char library_manufacturer[GH_P11_TOKEN_MAX + 1];
    char library_description[GH_P11_TOKEN_MAX + 1];
    unsigned char library_major, library_minor;         /* `library-version=M[.m]` */
    /* query: how to reach it */
    char module_path[GH_PATH_MAX];                      /* always absolute */
    char module_name[GH_PATH_MAX];
    char pin_file[GH_PATH_MAX];                         /* from pin-source; "" when absent */
    int pin_file_relative;                              /* 1: a name in the flash folder */
};

/* Parse text (NUL-terminated) into u. On error: GH_E_INVALID or
 * GH_E_CAPACITY, and err->msg says which attribute and what to write. */
int pkcs11_uri_parse(const char *text, struct pkcs11_uri *u, struct gh_error *err);

/* 1 when the blank-padded PKCS#11 field (width bytes, e.g. CK_TOKEN_INFO.label)
 * holds exactly value: the same bytes, then only blanks. "gate" does not match
 * "gatehouse". */
int pkcs11_uri_field_matches(const unsigned char *field, size_t width, const char *value);

/* The field as text without its padding, for messages (cap >= width + 1 keeps
 * it whole). */
void pkcs11_uri_field_text(const unsigned char *field, size_t width, char *out, size_t cap);

#endif
