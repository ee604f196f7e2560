/* user_settings.h: the wolfSSL 5.7.2 build that Gatehouse ships.
 *
 * Compiled with WOLFSSL_USER_SETTINGS, so this file is the whole configuration:
 * nothing from ./configure. The rule is "nothing weaker is compiled in": TLS 1.2
 * and 1.3 only, ECDHE only, AEAD only. What the OpenSSL compatibility layer drags
 * in is there because civetweb calls it (see README "Dependencies"). */
#ifndef GATEHOUSE_WOLFSSL_USER_SETTINGS_H
#define GATEHOUSE_WOLFSSL_USER_SETTINGS_H

/* ---- protocol ---- */
#define WOLFSSL_TLS13
#define NO_OLD_TLS                   /* no SSL 3.0, TLS 1.0, TLS 1.1 */
#define HAVE_TLS_EXTENSIONS
#define HAVE_SUPPORTED_CURVES
#define HAVE_EXTENDED_MASTER
#define HAVE_SNI
#define HAVE_HKDF
#define HAVE_SERVER_RENEGOTIATION_INFO /* announce RFC 5746 so TLS 1.2 clients connect; */
                                       /* renegotiation itself is not compiled in */
#define HAVE_FALLBACK_SCSV           /* RFC 7507: a TLS 1.2 retry of a 1.3 client gets inappropriate_fallback */
/* Conformance fixes of patches/wolfssl-0006 (its header says why):
 * keyUsage digitalSignature for a certificate that signs the handshake, TLS
 * 1.3 CertificateVerify schemes as offered and matching the key's curve (and
 * ecdsa_secp521r1_sha512 not offered: P-521 is not built), a TLS 1.2
 * CertificateRequest for ECDSA and RSA clients whatever the server's key,
 * record_overflow for a record over the limit. */
#define WOLFSSL_PEER_SIGNS_KEYUSAGE
#define WOLFSSL_TLS13_STRICT_SIG_SCHEME
#define WOLFSSL_CERT_REQ_ALL_TYPES
#define WOLFSSL_RECORD_OVERFLOW_ALERT
#define NO_PSK
/* Session resumption is switched off at run time (tls.c): a resumed mTLS
 * session carries no client certificate, so it would skip the CRL and mapping
 * checks. The cache cannot be compiled out (the OpenSSL layer needs its API),
 * so keep it at its smallest. */
#define SMALL_SESSION_CACHE
#define NO_SESSION_CACHE_REF

/* ---- key exchange and certificates ---- */
#define HAVE_ECC
#define ECC_USER_CURVES
#define HAVE_ECC256
#define HAVE_ECC384
#define ECC_TIMING_RESISTANT
#define ECC_SHAMIR
#define HAVE_CURVE25519
#define WC_RSA_BLINDING
#define WC_RSA_PSS
#define TFM_TIMING_RESISTANT
#define NO_DH                        /* ECDHE only */
#define NO_DSA
#define WOLFSSL_CERT_EXT             /* certificate policies, EKU OIDs */
#define WOLFSSL_ALT_NAMES
#define WOLFSSL_IP_ALT_NAME          /* SAN iPAddress as text */
/* Accept URI SANs without "//" (urn:uuid:..., common in IEEE 802.1AR device
 * identities). WOLFSSL_FPKI relaxes only that rule and adds parsing of FPKI
 * otherName SANs; WOLFSSL_NO_ASN_STRICT would also accept unknown critical
 * extensions and malformed strings, so it stays off. */
#define WOLFSSL_FPKI
#define HAVE_CRL
/* A CA certificate the client sends that does not chain to ca.pem (its own
 * root, a cross-certificate) is skipped, never cached as a signer, and the
 * client's certificate is judged on whether it chains to ca.pem: the alert is
 * then unknown_ca, as for a bare certificate from an unknown CA. */
#define WOLFSSL_ALT_CERT_CHAINS
#define WOLFSSL_BASE64_ENCODE

/* ---- bulk ciphers and hashes ---- */
#define HAVE_AESGCM
#define GCM_TABLE_4BIT
#define HAVE_CHACHA
#define HAVE_POLY1305
#define HAVE_ONE_TIME_AUTH
#define WOLFSSL_SHA384
#define WOLFSSL_SHA512
#define NO_RC4
#define NO_DES3
#define NO_MD4
#define NO_HC128
#define NO_RABBIT

/* ---- OpenSSL compatibility, for civetweb ---- */
/* Not OPENSSL_ALL: it also turns each certificate the verify callback sees
 * into an EVP_PKEY with its own freshly seeded DRBG (three per mutual-TLS
 * handshake, each opening and reading /dev/urandom and running the DRBG's
 * health test), which nothing here reads. HAVE_LIGHTY is the smaller set of
 * the OpenSSL layer that has all civetweb calls (SNI, thread clean-up) and
 * reports the same OpenSSL version (1.0.1) to it. */
#define OPENSSL_EXTRA
#define HAVE_LIGHTY
#define HAVE_EX_DATA

/* ---- math ---- */
#define WOLFSSL_SP_MATH_ALL
#define WOLFSSL_HAVE_SP_RSA
#define WOLFSSL_HAVE_SP_ECC
#define WOLFSSL_SP_384
#define WOLFSSL_SP_4096
#define SP_INT_BITS 4096
#if defined(__x86_64__) && !defined(GH_NO_ASM)
    #define WOLFSSL_SP_X86_64
    #define WOLFSSL_SP_X86_64_ASM
    #define WOLFSSL_X86_64_BUILD
    #ifdef GH_X86_64_INTEL_ASM   /* toolchain/deps.cmake */
        #define WOLFSSL_AESNI
        #define USE_INTEL_SPEEDUP
        #define HAVE_INTEL_AVX1
        #define HAVE_INTEL_AVX2
    #endif
#elif defined(__aarch64__) && !defined(GH_NO_ASM)
    #define WOLFSSL_SP_ARM64
    #define WOLFSSL_SP_ARM64_ASM
    /* ARMv8 Cryptography Extension (AES, PMULL for GCM, SHA-256) plus NEON
     * for ChaCha20, Poly1305, SHA-512 and X25519: deps.cmake defines
     * GH_ARMV8_CRYPTO and adds wolfcrypt/src/port/arm/ (CMake option
     * GH_ARMV8_CRYPTO, default ON). There is no run-time check: a core
     * without the extension (Raspberry Pi 4's BCM2711) dies with SIGILL at
     * the first handshake, so build those with -DGH_ARMV8_CRYPTO=OFF. */
    #ifdef GH_ARMV8_CRYPTO
        #define WOLFSSL_ARMASM
        #define WOLFSSL_NO_HASH_RAW
    #endif
#elif defined(__arm__) && !defined(GH_NO_ASM)
    #define WOLFSSL_SP_ARM32
    #define WOLFSSL_SP_ARM32_ASM
#endif
#if (defined(__aarch64__) || defined(__arm__)) && defined(GH_RELEASE_SMALL)
    /* Device builds (toolchain/release.cmake): the SP code without its
     * precomputed base-point tables and unrolled loops. On aarch64 that is
     * 524 KB less (p384_table alone is 343 KB) for slower fixed-base point
     * multiplications (ECDSA signing, ECDHE key generation). */
    #define WOLFSSL_SP_SMALL
#endif

/* ---- memory: static pools (server/pool.c loads them, server/budget.h sizes them) ---- */
#define WOLFSSL_STATIC_MEMORY
/* A callback on every block taken, returned and refused: pool.c keeps the
 * pool's use and peak for /api/status, and counts and logs refusals. */
#define WOLFSSL_STATIC_MEMORY_DEBUG_CALLBACK
/* Block sizes fitted to what a handshake asks for (budget.h GH_TLS_BUCKETS)
 * need more than the default nine. */
#define WOLFMEM_MAX_BUCKETS 14
/* The OpenSSL layer keeps the client certificate decoded (names and public
 * key as OpenSSL-style objects, ~12 KB of pool) for as long as a connection
 * is open, and civetweb duplicates it; the verify callback already took what
 * the mapping needs. CMake option GH_FREE_PEER_CERT frees it when the
 * handshake is done (patches/wolfssl-0002); SSL_get_peer_certificate then
 * returns NULL after the handshake. */
#ifdef GH_FREE_PEER_CERT
#define WOLFSSL_FREE_PEER_CERT_AFTER_HANDSHAKE
#endif

/* Clients send their issuing CA with their certificate; when that CA is in
 * ca.pem, wolfSSL would verify the sent copy's signature on every handshake
 * (one ECDSA verify, ~10 % of a P-256 handshake) for nothing: the trusted copy
 * verifies the client certificate. patches/wolfssl-0003 skips it for a copy
 * that is byte for byte a trusted CA, which needs each signer's DER kept
 * (SIGNER_DER_CERT: the size of ca.pem again, in the pool). */
#define WOLFSSL_SIGNER_DER_CERT
#define WOLFSSL_SKIP_ANCHOR_REVERIFY

/* The OpenSSL layer builds each certificate's issuer and subject as X509_NAME
 * objects (a tree of small allocations each), for every certificate a client
 * sends and again for the X509 the verify callback gets. tls.c reads only
 * the DER there, and certinfo.c reads names from the DER itself:
 * patches/wolfssl-0004 lets both go without (X509_get_subject_name() of a
 * client certificate is then empty). */
#define WOLFSSL_OPTIONAL_X509_NAMES
#define WOLFSSL_PEER_X509_NO_NAMES

/* tls.c groups the server's handshake messages into one write; the
 * ServerHello still goes out first on its own (patches/wolfssl-0005). */
#define WOLFSSL_TLS13_SEND_SERVER_HELLO_ALONE

/* tls.c refuses a client whose path runs through a revoked CA, which wolfSSL
 * passed: the verify callback's error then decides the alert
 * (certificate_revoked), patches/wolfssl-0006. */
#define WOLFSSL_VERIFY_CB_SETS_ERROR

/* ---- hardware keys: PKCS#11 and crypto callbacks (platform/keystore) ---- */
#define WOLF_CRYPTO_CB
#define HAVE_PKCS11
#define HAVE_WOLF_BIGINT             /* PKCS#11 passes raw big integers */

/* ---- platform ---- */
#define HAVE_PTHREAD
#define WOLFSSL_USE_ALIGN
#define NO_WRITEV
#define WC_NO_ASYNC_THREADING
/* Random numbers straight from getrandom(2), no DRBG of wolfSSL's own
 * (toolchain/wolfssl_random.c says why); seeds, should anything still ask
 * for one, from getrandom too rather than /dev/urandom. No system header
 * here: this file is read before civetweb sets its feature macros. */
#define CUSTOM_RAND_GENERATE_BLOCK gh_random_block
#ifndef __ASSEMBLER__   /* wolfSSL's .S files read this file too */
int gh_random_block(unsigned char *out, unsigned int sz);
#endif
#define WOLFSSL_GETRANDOM
/* Certificate and CRL dates judged against a floor for "now" while the
 * system clock is behind it (toolchain/wolfssl_clock.c, server/clock.c);
 * wolfSSL's own check (wc_ValidateDate) does the comparing. */
#define USE_WOLF_VALIDDATE
#define XVALIDATE_DATE(d, f, t) gh_validate_date((d), (f), (t))
#ifndef __ASSEMBLER__
int gh_validate_date(const unsigned char *date, unsigned char format, int type);
#endif

#endif
