/* test_certmap.c: which mapping decides for a certificate, and why.
 * Identities are built by hand here; test_certinfo.c reads real certificates. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "certmap.h"

static struct certmap table;
static struct cert_identity id;
static struct certmap_decision d;

static void load(const char *text)
{
    struct gh_error errs[4];
    int n = 0;
    int rc = certmap_load(&table, "t.ini", text, strlen(text), errs, 4, &n);
    if (rc != 0) {
        char buf[400];
        gh_error_format(&errs[0], buf, sizeof buf);
        print_error("table refused: %s\n", buf);
        fail();
    }
}

static void ident(void)
{
    memset(&id, 0, sizeof id);
}

static void add(enum gh_field f, const char *text)
{
    assert_int_equal(certinfo_add_value(&id, f, text, strlen(text)), 0);
}

static void decide(void)
{
    certmap_decide(&table, &id, &d, NULL, NULL);
}

static int holds(int op, const char *pattern, const char *value)
{
    return certmap_pattern_match(op, pattern, value, strlen(value));
}

/* ---- single compares */

static void test_star_matches_any_run_including_none(void **s)
{
    (void)s;
    assert_true(holds(CERTMAP_OP_WILD, "Service*", "Service"));
    assert_true(holds(CERTMAP_OP_WILD, "Service*", "Service Team"));
    assert_true(holds(CERTMAP_OP_WILD, "*@acme.example", "fiona@acme.example"));
    assert_true(holds(CERTMAP_OP_WILD, "a*b*c", "a--b--b--c"));
    assert_true(holds(CERTMAP_OP_WILD, "**x**", "x"));
    assert_true(holds(CERTMAP_OP_WILD, "*", ""));
    assert_false(holds(CERTMAP_OP_WILD, "*@acme.example", "fiona@acme.example.evil"));
    assert_false(holds(CERTMAP_OP_WILD, "a*b*c", "a--b--b--"));
    assert_false(holds(CERTMAP_OP_WILD, "Service*", "Field Service"));
}

static void test_question_mark_matches_exactly_one_character(void **s)
{
    (void)s;
    assert_true(holds(CERTMAP_OP_WILD, "dev-??", "dev-01"));
    assert_false(holds(CERTMAP_OP_WILD, "dev-??", "dev-1"));
    assert_false(holds(CERTMAP_OP_WILD, "dev-??", "dev-001"));
    /* one character, not one byte: ü is two bytes in UTF-8 */
    assert_true(holds(CERTMAP_OP_WILD, "M?nchen", "M\xC3\xBCnchen"));
    assert_true(holds(CERTMAP_OP_WILD, "*?", "\xC3\xBC"));
    assert_false(holds(CERTMAP_OP_WILD, "M??nchen", "M\xC3\xBCnchen"));
}

static void test_equals_has_no_wildcards(void **s)
{
    (void)s;
    assert_true(holds(CERTMAP_OP_EQ, "a*b", "a*b"));
    assert_false(holds(CERTMAP_OP_EQ, "a*b", "axxb"));
    assert_false(holds(CERTMAP_OP_EQ, "Acme", "Acme Industrial"));
    /* no escapes: a backslash is just a character */
    assert_false(holds(CERTMAP_OP_WILD, "a\\*", "a*"));
    assert_true(holds(CERTMAP_OP_WILD, "a\\*", "a\\xyz"));
}

static void test_i_ignores_case_and_plain_ops_do_not(void **s)
{
    (void)s;
    assert_false(holds(CERTMAP_OP_EQ, "acme industrial", "Acme Industrial"));
    assert_true(holds(CERTMAP_OP_EQ_I, "acme industrial", "Acme Industrial"));
    assert_false(holds(CERTMAP_OP_WILD, "*@ACME.example", "fiona@acme.example"));
    assert_true(holds(CERTMAP_OP_WILD_I, "*@ACME.example", "fiona@acme.example"));
}

static void test_a_value_with_an_embedded_nul_does_not_match_a_shorter_pattern(void **s)
{
    (void)s;
    assert_false(certmap_pattern_match(CERTMAP_OP_EQ, "admin", "admin\0x", 7));
    assert_false(certmap_pattern_match(CERTMAP_OP_WILD, "*.acme.example", "a.acme.example\0", 15));
}

static void test_pathological_pattern_finishes(void **s)
{
    char value[201], pattern[64];
    (void)s;
    memset(value, 'a', 200);
    value[200] = '\0';
    snprintf(pattern, sizeof pattern, "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b");
    assert_false(holds(CERTMAP_OP_WILD, pattern, value));
}

/* ---- decisions */

static void test_field_with_several_values_matches_when_any_does(void **s)
{
    (void)s;
    load("[map \"svc\"]\nmatch = subject.OU = Field\nrole = operator\n");
    ident();
    add(GH_F_SUBJECT_OU, "Service");
    add(GH_F_SUBJECT_OU, "Field");
    decide();
    assert_int_equal(d.result, CERTMAP_ALLOW);
    assert_int_equal(d.role, GH_ROLE_OPERATOR);
    assert_string_equal(d.mapping, "svc");
    assert_int_equal(d.index, 0);
}

static void test_every_match_line_must_hold(void **s)
{
    (void)s;
    load("[map \"field\"]\nmatch = subject.O = Acme Industrial\nmatch = subject.OU ~ Service*\n"
         "role = operator\n");
    ident();
    add(GH_F_SUBJECT_O, "Acme Industrial");
    add(GH_F_SUBJECT_OU, "Sales");
    decide();
    assert_int_equal(d.result, CERTMAP_NO_MATCH);
    assert_int_equal(d.role, GH_ROLE_NONE);
    assert_int_equal(d.index, -1);
    add(GH_F_SUBJECT_OU, "Service North");
    decide();
    assert_int_equal(d.result, CERTMAP_ALLOW);
}

static void test_subject_and_issuer_fields_are_not_confused(void **s)
{
    (void)s;
    load("[map \"a\"]\nmatch = issuer.CN = Acme Field CA\nrole = admin\n");
    ident();
    add(GH_F_SUBJECT_CN, "Acme Field CA");
    decide();
    assert_int_equal(d.result, CERTMAP_NO_MATCH);
    add(GH_F_ISSUER_CN, "Acme Field CA");
    decide();
    assert_int_equal(d.result, CERTMAP_ALLOW);
}

static void test_first_match_mapping_in_file_order_decides(void **s)
{
    (void)s;
    load("[map \"contractors\"]\nmatch = subject.O = Contractor GmbH\naction = deny\n"
         "[map \"everyone\"]\nmatch = subject.CN ~ *\nrole = viewer\n");
    ident();
    add(GH_F_SUBJECT_CN, "Carl");
    add(GH_F_SUBJECT_O, "Contractor GmbH");
    decide();
    assert_int_equal(d.result, CERTMAP_DENY);
    assert_int_equal(d.role, GH_ROLE_NONE);
    assert_string_equal(d.mapping, "contractors");

    load("[map \"everyone\"]\nmatch = subject.CN ~ *\nrole = viewer\n"
         "[map \"contractors\"]\nmatch = subject.O = Contractor GmbH\naction = deny\n");
    decide();
    assert_int_equal(d.result, CERTMAP_ALLOW);
    assert_string_equal(d.mapping, "everyone");
}

static void test_one_to_one_decides_before_any_match_mapping(void **s)
{
    char text[512];
    (void)s;
    ident();
    for (int i = 0; i < 32; i++)
        id.sha256[i] = (uint8_t)(0xA0 + i);
    add(GH_F_SUBJECT_CN, "Alice");
    snprintf(text, sizeof text,
             "[map \"everyone\"]\nmatch = subject.CN ~ *\nrole = viewer\n"
             "[map \"alice\"]\nfingerprint = sha256:"
             "A0A1A2A3A4A5A6A7A8A9AAABACADAEAFB0B1B2B3B4B5B6B7B8B9BABBBCBDBEBF\nrole = admin\n");
    load(text);
    decide();
    assert_int_equal(d.result, CERTMAP_ALLOW);
    assert_int_equal(d.role, GH_ROLE_ADMIN);
    assert_string_equal(d.mapping, "alice");
    assert_int_equal(d.index, 1);
}

static void test_pubkey_mapping_compares_the_key_digest(void **s)
{
    char text[512];
    (void)s;
    ident();
    for (int i = 0; i < 32; i++)
        id.spki_sha256[i] = (uint8_t)i;
    snprintf(text, sizeof text,
             "[map \"by-key\"]\npubkey = sha256:"
             "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F\nrole = operator\n");
    load(text);
    decide();
    assert_int_equal(d.result, CERTMAP_ALLOW);
    /* the same digest as a certificate fingerprint is another thing */
    memcpy(id.sha256, id.spki_sha256, 32);
    memset(id.spki_sha256, 0, 32);
    decide();
    assert_int_equal(d.result, CERTMAP_NO_MATCH);
}

static void test_disabled_mapping_is_ignored(void **s)
{
    (void)s;
    load("[map \"off\"]\nmatch = subject.CN = Alice\nrole = admin\nenabled = false\n"
         "[map \"on\"]\nmatch = subject.CN = Alice\nrole = viewer\n");
    ident();
    add(GH_F_SUBJECT_CN, "Alice");
    decide();
    assert_int_equal(d.result, CERTMAP_ALLOW);
    assert_int_equal(d.role, GH_ROLE_VIEWER);
    assert_string_equal(d.mapping, "on");
}

static void test_a_field_the_certificate_lacks_never_matches(void **s)
{
    (void)s;
    load("[map \"any-uri\"]\nmatch = san.uri ~ *\nrole = viewer\n");
    ident();
    add(GH_F_SAN_DNS, "host.example");
    decide();
    assert_int_equal(d.result, CERTMAP_NO_MATCH);
}

static void test_serial_and_ip_compare_in_canonical_form(void **s)
{
    (void)s;
    load("[map \"s\"]\nmatch = serial = 0A:11:CE:00:42\nmatch = san.ip = 2001:DB8::0:7\n"
         "role = viewer\n");
    ident();
    add(GH_F_SERIAL, "a11ce0042");
    add(GH_F_SAN_IP, "2001:db8::7");
    decide();
    assert_int_equal(d.result, CERTMAP_ALLOW);
}

static void test_eku_name_and_oid_both_match(void **s)
{
    (void)s;
    ident();
    add(GH_F_EKU, "1.3.6.1.5.5.7.3.2");
    add(GH_F_EKU, "clientAuth");
    load("[map \"n\"]\nmatch = eku = clientAuth\nrole = viewer\n");
    decide();
    assert_int_equal(d.result, CERTMAP_ALLOW);
    load("[map \"o\"]\nmatch = eku = 1.3.6.1.5.5.7.3.2\nrole = viewer\n");
    decide();
    assert_int_equal(d.result, CERTMAP_ALLOW);
    load("[map \"s\"]\nmatch = eku = serverAuth\nrole = viewer\n");
    decide();
    assert_int_equal(d.result, CERTMAP_NO_MATCH);
}

struct trace_log {
    char text[512];
};

static void trace(void *ctx, const struct certmap_mapping *m, int match_index, int ok)
{
    struct trace_log *t = ctx;
    size_t n = strlen(t->text);
    snprintf(t->text + n, sizeof t->text - n, "%s:%d:%d ", m->name, match_index, ok);
}

static void test_trace_shows_every_line_and_skipped_mappings(void **s)
{
    struct trace_log log = { "" };
    (void)s;
    load("[map \"off\"]\nmatch = subject.CN = x\nrole = admin\nenabled = false\n"
         "[map \"two\"]\nmatch = subject.CN = nope\nmatch = subject.O = Acme\nrole = admin\n"
         "[map \"hit\"]\nmatch = subject.O = Acme\nrole = viewer\n"
         "[map \"later\"]\nmatch = subject.O = Acme\nrole = operator\n");
    ident();
    add(GH_F_SUBJECT_CN, "Alice");
    add(GH_F_SUBJECT_O, "Acme");
    certmap_decide(&table, &id, &d, trace, &log);
    assert_string_equal(log.text, "off:-1:0 two:0:0 two:1:1 two:-1:0 hit:0:1 hit:-1:1 ");
    assert_string_equal(d.mapping, "hit");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_star_matches_any_run_including_none),
        cmocka_unit_test(test_question_mark_matches_exactly_one_character),
        cmocka_unit_test(test_equals_has_no_wildcards),
        cmocka_unit_test(test_i_ignores_case_and_plain_ops_do_not),
        cmocka_unit_test(test_a_value_with_an_embedded_nul_does_not_match_a_shorter_pattern),
        cmocka_unit_test(test_pathological_pattern_finishes),
        cmocka_unit_test(test_field_with_several_values_matches_when_any_does),
        cmocka_unit_test(test_every_match_line_must_hold),
        cmocka_unit_test(test_subject_and_issuer_fields_are_not_confused),
        cmocka_unit_test(test_first_match_mapping_in_file_order_decides),
        cmocka_unit_test(test_one_to_one_decides_before_any_match_mapping),
        cmocka_unit_test(test_pubkey_mapping_compares_the_key_digest),
        cmocka_unit_test(test_disabled_mapping_is_ignored),
        cmocka_unit_test(test_a_field_the_certificate_lacks_never_matches),
        cmocka_unit_test(test_serial_and_ip_compare_in_canonical_form),
        cmocka_unit_test(test_eku_name_and_oid_both_match),
        cmocka_unit_test(test_trace_shows_every_line_and_skipped_mappings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
