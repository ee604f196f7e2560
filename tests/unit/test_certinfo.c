/* test_certinfo.c: what Gatehouse reads from real client certificates.
 *
 * Usage: test_certinfo PKI_DIR (made by certs/make-pki.sh). Expected values come
 * from that PKI: its fingerprints.txt (computed with openssl) and openssl's own
 * reading of each certificate, so nothing here is a copied result. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/wolfcrypt/asn_public.h>

#include "certinfo.h"
#include "certmap.h"

static const char *pki;
static struct cert_identity id;
static unsigned char der[GH_CERT_DER_MAX];
static int der_len;

static char *slurp(const char *path, size_t *len)
{
    static char buf[64 * 1024];
    FILE *f = fopen(path, "rb");
    if (!f) {
        print_error("cannot open %s\n", path);
        return NULL;
    }
    *len = fread(buf, 1, sizeof buf - 1, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

static void read_der(const char *name)
{
    char path[512];
    size_t n = 0;
    snprintf(path, sizeof path, "%s/%s.pem", pki, name);
    char *pem = slurp(path, &n);
    assert_non_null(pem);
    der_len = wc_CertPemToDer((unsigned char *)pem, (int)n, der, sizeof der, CERT_TYPE);
    assert_true(der_len > 0);
}

static void read_cert(const char *name)
{
    struct gh_error e;
    read_der(name);
    gh_error_clear(&e);
    int rc = certinfo_from_der(der, (size_t)der_len, &id, &e);
    if (rc != 0)
        print_error("%s: %s\n", name, e.msg);
    assert_int_equal(rc, 0);
}

static int has(enum gh_field f, const char *text)
{
    for (int i = 0; i < id.nvalues; i++)
        if (id.values[i].field == f && strcmp(certinfo_value_text(&id, &id.values[i]), text) == 0)
            return 1;
    return 0;
}

static int count(enum gh_field f)
{
    int n = 0;
    for (int i = 0; i < id.nvalues; i++)
        n += id.values[i].field == f;
    return n;
}

/* One line of openssl's output for a certificate, after "PREFIX". */
static void openssl_says(const char *name, const char *args, const char *prefix, char *out,
                         size_t cap)
{
    char cmd[768], line[1024];
    snprintf(cmd, sizeof cmd, "openssl x509 -noout %s -in '%s/%s.pem'", args, pki, name);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    out[0] = '\0';
    while (fgets(line, sizeof line, p)) {
        if (strncmp(line, prefix, strlen(prefix)) == 0) {
            snprintf(out, cap, "%s", line + strlen(prefix));
            out[strcspn(out, "\n")] = '\0';
        }
    }
    pclose(p);
    assert_true(out[0] != '\0');
}

static int64_t openssl_date(const char *name, const char *which)
{
    char text[128];
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    openssl_says(name, which[0] == 's' ? "-startdate" : "-enddate",
                 which[0] == 's' ? "notBefore=" : "notAfter=", text, sizeof text);
    assert_non_null(strptime(text, "%b %d %H:%M:%S %Y GMT", &tm));
    return (int64_t)timegm(&tm);
}

/* ---- every client certificate against openssl's fingerprints.txt */

static void test_fingerprints_key_digests_and_serials_agree_with_openssl(void **s)
{
    char path[512], line[512];
    int checked = 0;
    (void)s;
    snprintf(path, sizeof path, "%s/fingerprints.txt", pki);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    while (fgets(line, sizeof line, f)) {
        char name[64], fp[80], spki[96], serial[80], hex[65];
        if (sscanf(line, "%63s sha256:%79s spki-sha256:%95s serial:%79s", name, fp, spki,
                   serial) != 4)
            continue;
        read_cert(name);
        certinfo_hex(id.sha256, 32, hex);
        assert_string_equal(hex, fp);
        certinfo_hex(id.spki_sha256, 32, hex);
        assert_string_equal(hex, spki);
        assert_string_equal(id.serial, serial);
        assert_true(has(GH_F_SERIAL, serial));
        checked++;
    }
    fclose(f);
    assert_true(checked >= 15);
}

/* ---- the field engineer's certificate: every kind of field */

static void test_field_certificate_gives_every_field(void **s)
{
    (void)s;
    read_cert("field");
    assert_true(has(GH_F_SUBJECT_CN, "Fiona Field"));
    assert_true(has(GH_F_SUBJECT_OU, "Service Team"));
    assert_true(has(GH_F_SUBJECT_O, "Acme Industrial"));
    assert_true(has(GH_F_SUBJECT_C, "DE"));
    assert_true(has(GH_F_SUBJECT_ST, "Bavaria"));
    assert_true(has(GH_F_SUBJECT_L, "Munich"));
    assert_true(has(GH_F_SUBJECT_EMAIL, "fiona@acme.example"));
    assert_true(has(GH_F_SUBJECT_SERIALNUMBER, "FE-0042"));
    assert_int_equal(count(GH_F_SUBJECT_DC), 2);
    assert_true(has(GH_F_SUBJECT_DC, "acme"));
    assert_true(has(GH_F_SUBJECT_DC, "example"));
    assert_true(has(GH_F_ISSUER_CN, "Gatehouse Demo Client CA"));
    assert_true(has(GH_F_ISSUER_O, "Gatehouse Demo"));
    assert_int_equal(count(GH_F_ISSUER_OU), 0);
    assert_true(has(GH_F_SAN_EMAIL, "fiona@acme.example"));
    assert_true(has(GH_F_SAN_DNS, "fiona.acme.example"));
    assert_true(has(GH_F_SAN_URI, "https://acme.example/people/fiona"));
    assert_true(has(GH_F_SAN_IP, "192.0.2.7"));
    assert_true(has(GH_F_SAN_IP, "2001:db8::7"));
    assert_true(has(GH_F_EKU, "1.3.6.1.5.5.7.3.2"));
    assert_true(has(GH_F_EKU, "clientAuth"));
    assert_true(has(GH_F_EKU, "1.3.6.1.5.5.7.3.4"));
    assert_true(has(GH_F_EKU, "emailProtection"));
    assert_true(has(GH_F_POLICY, "1.3.6.1.4.1.55555.1.2"));
    assert_string_equal(id.serial, "a11ce0042");
    assert_int_equal(id.has_eku, 1);
    assert_int_equal(id.eku_client_auth, 1);
}

static void test_subject_and_issuer_lines_read_as_openssl_prints_them(void **s)
{
    char want[512];
    static const char *const names[] = { "field", "operator", "admin", "public-looking" };
    (void)s;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        read_cert(names[i]);
        openssl_says(names[i], "-subject -nameopt RFC2253", "subject=", want, sizeof want);
        assert_string_equal(id.subject, want);
        openssl_says(names[i], "-issuer -nameopt RFC2253", "issuer=", want, sizeof want);
        assert_string_equal(id.issuer, want);
    }
}

static void test_two_organisational_units_are_both_kept(void **s)
{
    (void)s;
    read_cert("operator");
    assert_int_equal(count(GH_F_SUBJECT_OU), 2);
    assert_true(has(GH_F_SUBJECT_OU, "Service"));
    assert_true(has(GH_F_SUBJECT_OU, "Field"));
    assert_true(has(GH_F_SAN_DNS, "oscar-laptop.acme.example"));
}

static void test_validity_dates_agree_with_openssl(void **s)
{
    (void)s;
    read_cert("admin");
    assert_int_equal(id.not_before, openssl_date("admin", "start"));
    assert_int_equal(id.not_after, openssl_date("admin", "end"));
    read_cert("expired");
    assert_int_equal(id.not_after, openssl_date("expired", "end"));
    assert_true(id.not_after < (int64_t)time(NULL));
}

static void test_key_type_size_signature_and_version(void **s)
{
    (void)s;
    read_cert("admin");
    assert_int_equal(id.key_type, GH_KEY_EC);
    assert_int_equal(id.key_bits, 256);
    assert_int_equal(id.sig_sha1, 0);
    assert_int_equal(id.version, 3);
    read_cert("p384");
    assert_int_equal(id.key_bits, 384);
    read_cert("rsa2048");
    assert_int_equal(id.key_type, GH_KEY_RSA);
    assert_int_equal(id.key_bits, 2048);
    read_cert("rsa1024");
    assert_int_equal(id.key_bits, 1024);
    read_cert("sha1");
    assert_int_equal(id.sig_sha1, 1);
}

static void test_version_1_certificate_is_read(void **s)
{
    struct gh_error e;
    (void)s;
    read_der("v1");
    /* read, so that the policy can refuse it by name (tls_policy_check) */
    assert_int_equal(certinfo_from_der(der, (size_t)der_len, &id, &e), 0);
    assert_int_equal(id.version, 1);
    assert_int_equal(id.has_eku, 0);
}

static void test_server_only_eku_does_not_allow_client_auth(void **s)
{
    (void)s;
    read_cert("serveronly");
    assert_int_equal(id.has_eku, 1);
    assert_int_equal(id.eku_client_auth, 0);
    assert_true(has(GH_F_EKU, "serverAuth"));
}

/* A URI SAN without "//" (urn:uuid:...) is read as it is written. */
static void test_urn_uri_san_is_read(void **s)
{
    (void)s;
    read_cert("urn");
    assert_true(has(GH_F_SAN_URI, "urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66"));
}

static void test_bytes_that_are_not_a_certificate_are_refused(void **s)
{
    struct gh_error e;
    static const uint8_t junk[] = { 0x30, 0x03, 0x02, 0x01, 0x01 };
    (void)s;
    gh_error_clear(&e);
    assert_int_equal(certinfo_from_der(junk, sizeof junk, &id, &e), GH_E_INVALID);
    assert_non_null(strstr(e.msg, "not an X.509 certificate"));
    assert_int_equal(certinfo_from_der((const uint8_t *)"hello", 5, &id, &e), GH_E_INVALID);

    read_der("admin");
    assert_int_equal(certinfo_from_der(der, (size_t)der_len - 1, &id, &e), GH_E_INVALID);
    der[der_len] = 0;
    assert_int_equal(certinfo_from_der(der, (size_t)der_len + 1, &id, &e), GH_E_INVALID);
    assert_string_equal(e.msg, "1 extra bytes after the certificate's DER");
}

/* ---- canonical IP text */

static void test_ip_addresses_print_in_canonical_form(void **s)
{
    char out[64];
    static const uint8_t v4[4] = { 192, 0, 2, 7 };
    static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7 };
    static const uint8_t two_runs[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1 };
    static const uint8_t one_zero[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1 };
    static const uint8_t loopback[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
    static const uint8_t any[16] = { 0 };
    static const uint8_t mapped[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3 };
    (void)s;
    assert_int_equal(certinfo_format_ip(v4, 4, out, sizeof out), 0);
    assert_string_equal(out, "192.0.2.7");
    assert_int_equal(certinfo_format_ip(v6, 16, out, sizeof out), 0);
    assert_string_equal(out, "2001:db8::7");
    certinfo_format_ip(two_runs, 16, out, sizeof out);
    assert_string_equal(out, "2001:db8:0:1::1");
    certinfo_format_ip(one_zero, 16, out, sizeof out);
    assert_string_equal(out, "2001:db8:0:1:1:1:1:1"); /* RFC 5952 4.2.2: no :: for one group */
    certinfo_format_ip(loopback, 16, out, sizeof out);
    assert_string_equal(out, "::1");
    certinfo_format_ip(any, 16, out, sizeof out);
    assert_string_equal(out, "::");
    certinfo_format_ip(mapped, 16, out, sizeof out);
    assert_string_equal(out, "::ffff:10.1.2.3");
    assert_int_equal(certinfo_format_ip(v4, 3, out, sizeof out), -1);
}

/* ---- `certificate =` in a table, written the ways people paste it */

static char table_text[32 * 1024];
static struct certmap table;

static int load_table(void)
{
    struct gh_error errs[4];
    int n = 0;
    int rc = certmap_load(&table, "t.ini", table_text, strlen(table_text), errs, 4, &n);
    if (rc) {
        char buf[400];
        gh_error_format(&errs[0], buf, sizeof buf);
        print_error("%s\n", buf);
    }
    return rc;
}

static void decide_for(const char *name, struct certmap_decision *d)
{
    read_cert(name);
    certmap_decide(&table, &id, d, NULL, NULL);
}

/* admin.pem's base64 lines, joined with sep between them. */
static void admin_base64(char *out, size_t cap, const char *sep)
{
    char path[512], line[256];
    size_t o = 0;
    snprintf(path, sizeof path, "%s/admin.pem", pki);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    out[0] = '\0';
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (strncmp(line, "-----", 5) == 0)
            continue;
        o += (size_t)snprintf(out + o, cap - o, "%s%s", o ? sep : "", line);
    }
    fclose(f);
}

static void expect_admin_mapped(void)
{
    struct certmap_decision d;
    assert_int_equal(load_table(), 0);
    decide_for("admin", &d);
    assert_int_equal(d.result, CERTMAP_ALLOW);
    assert_int_equal(d.role, GH_ROLE_ADMIN);
    decide_for("renewed-admin", &d);
    assert_int_equal(d.result, CERTMAP_NO_MATCH);
}

static void test_base64_certificate_on_one_line_is_accepted(void **s)
{
    char b64[8192];
    (void)s;
    admin_base64(b64, sizeof b64, "");
    snprintf(table_text, sizeof table_text,
             "[map \"alice\"]\ncertificate = %s   ; base64 DER on one line\nrole = admin\n", b64);
    expect_admin_mapped();
}

static void test_pem_armour_on_one_line_is_accepted(void **s)
{
    char b64[8192];
    (void)s;
    admin_base64(b64, sizeof b64, " ");
    snprintf(table_text, sizeof table_text,
             "[map \"alice\"]\ncertificate = -----BEGIN CERTIFICATE----- %s -----END "
             "CERTIFICATE-----\nrole = admin\n", b64);
    expect_admin_mapped();
}

static void test_pem_on_indented_continuation_lines_is_accepted(void **s)
{
    char b64[8192];
    (void)s;
    admin_base64(b64, sizeof b64, "\n    ");
    snprintf(table_text, sizeof table_text,
             "[map \"alice\"]\ncertificate = -----BEGIN CERTIFICATE-----\n    %s\n"
             "    -----END CERTIFICATE-----\nrole = admin\n", b64);
    expect_admin_mapped();
    admin_base64(b64, sizeof b64, "\n\t");
    snprintf(table_text, sizeof table_text,
             "[map \"alice\"]\ncertificate =\n\t%s\n\nrole = admin\n", b64);
    expect_admin_mapped();
}

static void test_pubkey_mapping_survives_renewal(void **s)
{
    struct certmap_decision d;
    char hex[65];
    (void)s;
    read_cert("admin");
    certinfo_hex(id.spki_sha256, 32, hex);
    snprintf(table_text, sizeof table_text, "[map \"alice-key\"]\npubkey = sha256:%s\nrole = admin\n",
             hex);
    assert_int_equal(load_table(), 0);
    decide_for("renewed-admin", &d);
    assert_int_equal(d.result, CERTMAP_ALLOW);
    decide_for("viewer", &d);
    assert_int_equal(d.result, CERTMAP_NO_MATCH);
}

static void test_same_certificate_mapped_twice_is_refused(void **s)
{
    char b64[8192], hex[65];
    struct gh_error errs[4];
    int n = 0;
    (void)s;
    read_cert("admin");
    certinfo_hex(id.sha256, 32, hex);
    admin_base64(b64, sizeof b64, "");
    snprintf(table_text, sizeof table_text,
             "[map \"a\"]\ncertificate = %s\nrole = admin\n[map \"b\"]\nfingerprint = sha256:%s\n"
             "role = viewer\n", b64, hex);
    assert_int_equal(certmap_load(&table, "t.ini", table_text, strlen(table_text), errs, 4, &n),
                     GH_E_INVALID);
    assert_int_equal(n, 1);
    assert_int_equal(errs[0].line, 5);
    assert_string_equal(errs[0].msg, "the same certificate is already mapped by map \"a\" (line "
                                     "1), which decides first");
}

/* A CRL's issuer, written as certinfo writes a certificate's subject (a
 * pending CRL finds its CA by it), and its dates against openssl's. */
static int64_t openssl_crl_date(const char *name, const char *opt, const char *prefix)
{
    char cmd[768], text[128];
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    snprintf(cmd, sizeof cmd, "openssl crl -in '%s/%s.pem' -noout %s", pki, name, opt);
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    assert_non_null(fgets(text, sizeof text, f));
    pclose(f);
    assert_true(strncmp(text, prefix, strlen(prefix)) == 0);
    assert_non_null(strptime(text + strlen(prefix), "%b %d %H:%M:%S %Y GMT", &tm));
    return (int64_t)timegm(&tm);
}

static void read_crl(const char *name, struct crl_info *info)
{
    char path[512];
    size_t n = 0;
    DerBuffer *d = NULL;
    struct gh_error e;
    snprintf(path, sizeof path, "%s/%s.pem", pki, name);
    char *pem = slurp(path, &n);
    assert_non_null(pem);
    assert_int_equal(wc_PemToDer((unsigned char *)pem, (long)n, CRL_TYPE, &d, NULL, NULL, NULL), 0);
    int rc = certinfo_crl_info(d->buffer, d->length, info, &e);
    if (rc != 0)
        print_error("%s: %s\n", name, e.msg);
    assert_int_equal(rc, 0);
    wc_FreeDer(&d);
}

static void test_crl_issuer_and_dates(void **s)
{
    struct crl_info info;
    (void)s;
    read_crl("crl", &info);
    read_cert("client-ca");
    assert_string_equal(info.issuer, id.subject);
    assert_int_equal(info.this_update, openssl_crl_date("crl", "-lastupdate", "lastUpdate="));
    assert_true(info.has_next_update);
    assert_int_equal(info.next_update, openssl_crl_date("crl", "-nextupdate", "nextUpdate="));
    read_crl("crl-root", &info);
    read_cert("root");
    assert_string_equal(info.issuer, id.subject);
    read_crl("crl-stale", &info);
    assert_true(info.next_update < (int64_t)time(NULL));
    struct gh_error e;
    read_der("admin");   /* a certificate is not a CRL */
    assert_int_equal(certinfo_crl_info(der, (size_t)der_len, &info, &e), GH_E_INVALID);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fingerprints_key_digests_and_serials_agree_with_openssl),
        cmocka_unit_test(test_field_certificate_gives_every_field),
        cmocka_unit_test(test_subject_and_issuer_lines_read_as_openssl_prints_them),
        cmocka_unit_test(test_two_organisational_units_are_both_kept),
        cmocka_unit_test(test_validity_dates_agree_with_openssl),
        cmocka_unit_test(test_key_type_size_signature_and_version),
        cmocka_unit_test(test_version_1_certificate_is_read),
        cmocka_unit_test(test_server_only_eku_does_not_allow_client_auth),
        cmocka_unit_test(test_urn_uri_san_is_read),
        cmocka_unit_test(test_bytes_that_are_not_a_certificate_are_refused),
        cmocka_unit_test(test_ip_addresses_print_in_canonical_form),
        cmocka_unit_test(test_base64_certificate_on_one_line_is_accepted),
        cmocka_unit_test(test_pem_armour_on_one_line_is_accepted),
        cmocka_unit_test(test_pem_on_indented_continuation_lines_is_accepted),
        cmocka_unit_test(test_pubkey_mapping_survives_renewal),
        cmocka_unit_test(test_same_certificate_mapped_twice_is_refused),
        cmocka_unit_test(test_crl_issuer_and_dates),
    };
    if (argc != 2) {
        fprintf(stderr, "usage: %s PKI_DIR (made by certs/make-pki.sh)\n", argv[0]);
        return 2;
    }
    pki = argv[1];
    return cmocka_run_group_tests(tests, NULL, NULL);
}
