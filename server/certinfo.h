/* certinfo.h: a certificate's identity, decoded once.
 *
 * From the DER of a client certificate, certinfo_from_der() takes everything the
 * mapping table can ask about (CONTRACT.md section 2) into one fixed-size,
 * caller-owned struct, using wolfSSL's X.509/ASN.1 decoders and wolfCrypt's
 * SHA-256. After that nothing refers back to the DER or to any wolfSSL object,
 * so the mapping engine and its tests work on plain data. */
#ifndef GH_CERTINFO_H
#define GH_CERTINFO_H

#include <stddef.h>
#include <stdint.h>

#include "budget.h"
#include "gh_error.h"

/* The fields a `match` line can name. Subject and issuer attributes come in the
 * same order so that issuer = subject + GH_F_ISSUER_CN - GH_F_SUBJECT_CN. */
enum gh_field {
    GH_F_SUBJECT_CN, GH_F_SUBJECT_O, GH_F_SUBJECT_OU, GH_F_SUBJECT_C,
    GH_F_SUBJECT_ST, GH_F_SUBJECT_L, GH_F_SUBJECT_EMAIL, GH_F_SUBJECT_SERIALNUMBER,
    GH_F_SUBJECT_DC,
    GH_F_ISSUER_CN, GH_F_ISSUER_O, GH_F_ISSUER_OU, GH_F_ISSUER_C,
    GH_F_ISSUER_ST, GH_F_ISSUER_L, GH_F_ISSUER_EMAIL, GH_F_ISSUER_SERIALNUMBER,
    GH_F_ISSUER_DC,
    GH_F_SAN_DNS, GH_F_SAN_EMAIL, GH_F_SAN_URI, GH_F_SAN_IP,
    GH_F_SERIAL,   /* lower-case hex, no leading zeros ("0" for zero) */
    GH_F_EKU,      /* dotted OID, and also the short name when known ("clientAuth") */
    GH_F_POLICY,   /* dotted OID */
    GH_F_COUNT
};

/* One value of a field: text in the identity's arena, NUL-terminated there. */
struct gh_value {
    uint8_t field;      /* enum gh_field */
    uint16_t off;       /* into arena */
    uint16_t len;       /* bytes, without the NUL */
};

enum gh_key_type { GH_KEY_UNKNOWN = 0, GH_KEY_RSA, GH_KEY_EC, GH_KEY_ED25519 };

struct cert_identity {
    uint8_t sha256[32];        /* SHA-256 of the DER certificate */
    uint8_t spki_sha256[32];   /* SHA-256 of the DER SubjectPublicKeyInfo */
    char subject[GH_DN_MAX];   /* one line, RFC 4514 order and escaping, for people */
    char issuer[GH_DN_MAX];
    char serial[GH_SERIAL_HEX_MAX];
    int64_t not_before;        /* seconds since the epoch, UTC */
    int64_t not_after;
    int version;               /* 1 or 3 as printed (v1 = 1) */
    int key_type;              /* enum gh_key_type */
    int key_bits;              /* RSA modulus bits, EC curve bits */
    int sig_sha1;              /* signed with SHA-1 */
    int has_eku;               /* carries an Extended Key Usage extension */
    int eku_client_auth;       /* ... that allows clientAuth (or anyExtendedKeyUsage) */
    uint16_t nvalues;
    uint16_t arena_used;
    struct gh_value values[GH_ID_MAX_VALUES];
    char arena[GH_ID_ARENA];
};

/* Decode DER into id. GH_E_INVALID when it is not an X.509 certificate,
 * GH_E_CAPACITY when it holds more values or text than budget.h allows. */
int certinfo_from_der(const uint8_t *der, size_t len, struct cert_identity *id,
                      struct gh_error *err);

/* What a CRL says about itself: its issuer as certinfo writes a subject (so
 * that it compares with a certificate's), and its dates. */
struct crl_info {
    char issuer[GH_DN_MAX];
    int64_t this_update;
    int64_t next_update;       /* when has_next_update */
    int has_next_update;
};
int certinfo_crl_info(const uint8_t *der, size_t len, struct crl_info *info, struct gh_error *err);

/* Add a value by hand (tests, and certinfo itself). GH_E_CAPACITY when full. */
int certinfo_add_value(struct cert_identity *id, enum gh_field f, const char *text, size_t len);

static inline const char *certinfo_value_text(const struct cert_identity *id,
                                              const struct gh_value *v)
{
    return id->arena + v->off;
}

/* Upper-case hex of n bytes, no separators, NUL-terminated: "AB12...".
 * A fingerprint is written for people as "sha256:" + certinfo_hex(sha256, 32). */
void certinfo_hex(const uint8_t *bytes, size_t n, char *out /* 2n+1 */);

/* An IP address (4 or 16 octets) as canonical text: dotted quad, or RFC 5952
 * IPv6 (lower case, longest zero run as "::", ::ffff:a.b.c.d for mapped IPv4).
 * -1 for another length or too small a buffer (48 bytes is always enough). */
int certinfo_format_ip(const uint8_t *addr, size_t len, char *out, size_t cap);

/* Extended Key Usage short names (clientAuth, serverAuth, codeSigning,
 * emailProtection, timeStamping, OCSPSigning, ipsecIKE, anyExtendedKeyUsage).
 * certinfo_eku_name: the name of a dotted OID, or NULL. certinfo_eku_lookup:
 * the canonical spelling of a name (compared ignoring case if icase), or NULL.
 * certinfo_eku_list: all names, for messages. */
const char *certinfo_eku_name(const char *oid);
const char *certinfo_eku_lookup(const char *name, int icase);
const char *certinfo_eku_list(void);

#endif
