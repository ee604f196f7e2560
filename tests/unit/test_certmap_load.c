/* test_certmap_load.c: what an integrator sees when certmap.ini is right or wrong. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "certmap.h"

static struct certmap table;
static struct gh_error errs[GH_MAX_LOAD_ERRORS];
static int nerrs;
static char big[GH_CERTMAP_MAX_BYTES + 64];

static const char fp_a[] = "sha256:3F2A000000000000000000000000000000000000000000000000000000000001";
static const char fp_b[] = "sha256:3F2A000000000000000000000000000000000000000000000000000000000002";

static int load_n(const char *text, size_t len)
{
    memset(errs, 0, sizeof errs);
    return certmap_load(&table, "certmap.ini", text, len, errs, GH_MAX_LOAD_ERRORS, &nerrs);
}

static int load(const char *text)
{
    return load_n(text, strlen(text));
}

/* The whole formatted error i, as `check` prints it. */
static const char *err_text(int i)
{
    static char buf[512];
    gh_error_format(&errs[i], buf, sizeof buf);
    return buf;
}

static void assert_only_error(const char *text, const char *expected)
{
    int rc = load(text);
    if (nerrs != 1 || strcmp(err_text(0), expected) != 0) {
        for (int i = 0; i < nerrs && i < GH_MAX_LOAD_ERRORS; i++)
            print_error("  got: %s\n", err_text(i));
        print_error("  expected: %s\n", expected);
        fail();
    }
    assert_true(rc < 0);
}

static void assert_error_contains(int i, int line, const char *mapping, const char *part)
{
    assert_true(i < nerrs);
    if (errs[i].line != line || strcmp(errs[i].mapping, mapping) != 0 ||
        !strstr(errs[i].msg, part)) {
        print_error("  got: %s\n  expected line %d, map \"%s\", containing \"%s\"\n",
                    err_text(i), line, mapping, part);
        fail();
    }
}

/* ---- valid tables */

static void test_contract_example_loads_with_all_its_mappings(void **s)
{
    char text[2048];
    (void)s;
    snprintf(text, sizeof text,
             "[certmap]\nversion = 1\n\n"
             "; one-to-one\n[map \"bob-tablet\"]\nfingerprint = %s   ; SHA-256\nrole = viewer\n"
             "enabled = false\n\n"
             "[map \"field-engineers\"]\nmatch = issuer.CN = Acme Field CA\n"
             "match = subject.O = Acme Industrial\nmatch = subject.OU ~ Service*\n"
             "match = san.email ~i *@acme.example\nrole = operator\n\n"
             "[map \"contractors\"]\nmatch = subject.O = Contractor GmbH\naction = deny\n",
             fp_a);
    assert_int_equal(load(text), 0);
    assert_int_equal(nerrs, 0);
    assert_int_equal(table.count, 3);
    assert_string_equal(table.maps[0].name, "bob-tablet");
    assert_int_equal(table.maps[0].kind, CERTMAP_BY_FINGERPRINT);
    assert_int_equal(table.maps[0].enabled, 0);
    assert_int_equal(table.maps[0].digest[0], 0x3F);
    assert_int_equal(table.maps[0].digest[31], 0x01);
    assert_int_equal(table.maps[1].kind, CERTMAP_BY_MATCH);
    assert_int_equal(table.maps[1].nmatch, 4);
    assert_int_equal(table.maps[1].role, GH_ROLE_OPERATOR);
    assert_int_equal(table.maps[1].match[2].field, GH_F_SUBJECT_OU);
    assert_int_equal(table.maps[1].match[2].op, CERTMAP_OP_WILD);
    assert_string_equal(table.maps[1].match[2].pattern, "Service*");
    assert_int_equal(table.maps[1].match[3].op, CERTMAP_OP_WILD_I);
    assert_int_equal(table.maps[1].match[3].line, 14);
    assert_int_equal(table.maps[2].deny, 1);
    assert_int_equal(table.maps[2].role, GH_ROLE_NONE);
}

static void test_table_without_certmap_section_is_version_1(void **s)
{
    (void)s;
    assert_int_equal(load("[map \"a\"]\nmatch = subject.CN = a\nrole = admin\n"), 0);
    assert_int_equal(table.version, 1);
    assert_int_equal(table.count, 1);
}

static void test_certmap_without_mappings_is_valid(void **s)
{
    (void)s;
    assert_int_equal(load("[certmap]\nversion = 1\n"), 0);
    assert_int_equal(table.count, 0);
}

static void test_empty_file_is_refused(void **s)
{
    (void)s;
    assert_only_error("", "certmap.ini: the table is empty: write [certmap] and version = 1 (a "
                          "table with no mappings refuses every client)");
    assert_int_equal(load("; only a comment\n\n   \n# another\n"), GH_E_INVALID);
    assert_int_equal(nerrs, 1);
}

static void test_sixty_four_character_name_is_kept_whole(void **s)
{
    char text[256], name[65];
    (void)s;
    memset(name, 'n', 64);
    name[0] = 'A', name[62] = '.', name[63] = '9';
    name[64] = '\0';
    snprintf(text, sizeof text, "[map \"%s\"]\nmatch = subject.CN = x\nrole = viewer\n", name);
    assert_int_equal(load(text), 0);
    assert_string_equal(table.maps[0].name, name);
}

static void test_crlf_line_ends_and_a_bom_are_accepted(void **s)
{
    (void)s;
    assert_int_equal(load("\xEF\xBB\xBF[certmap]\r\nversion = 1\r\n[map \"a\"]\r\n"
                          "match = subject.CN = x\r\nrole = admin\r\n"), 0);
    assert_string_equal(table.maps[0].match[0].pattern, "x");
}

static void test_fingerprint_ignores_colons_and_case(void **s)
{
    char text[512];
    (void)s;
    snprintf(text, sizeof text, "[map \"a\"]\nfingerprint = SHA256:3f:2a:%s\nrole = admin\n",
             "00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:01");
    assert_int_equal(load(text), 0);
    assert_int_equal(table.maps[0].digest[0], 0x3F);
    assert_int_equal(table.maps[0].digest[1], 0x2A);
    assert_int_equal(table.maps[0].digest[31], 0x01);
}

static void test_semicolon_after_space_starts_a_comment(void **s)
{
    (void)s;
    assert_int_equal(load("[map \"a\"]\nmatch = subject.CN = a;b ; a comment\nrole = admin\n"), 0);
    assert_string_equal(table.maps[0].match[0].pattern, "a;b");
}

static void test_patterns_are_normalised_at_load(void **s)
{
    (void)s;
    assert_int_equal(load("[map \"a\"]\n"
                          "match = serial = 00:0A:11:CE:00:42\n"
                          "match = san.ip = 2001:DB8:0:0:0:0:0:7\n"
                          "match = san.ip = 192.0.2.7\n"
                          "match = eku = clientAuth\n"
                          "match = eku =i CLIENTAUTH\n"
                          "match = policy = 1.3.6.1.4.1.55555.1.2\n"
                          "match = subject.cn =info\n"
                          "role = admin\n"), 0);
    const struct certmap_mapping *m = &table.maps[0];
    assert_int_equal(m->nmatch, 7);
    assert_string_equal(m->match[0].pattern, "a11ce0042");
    assert_string_equal(m->match[1].pattern, "2001:db8::7");
    assert_string_equal(m->match[2].pattern, "192.0.2.7");
    assert_int_equal(m->match[4].op, CERTMAP_OP_EQ_I);
    /* `=info` is the pattern "info", not the operator =i and "nfo" */
    assert_int_equal(m->match[6].field, GH_F_SUBJECT_CN);
    assert_int_equal(m->match[6].op, CERTMAP_OP_EQ);
    assert_string_equal(m->match[6].pattern, "info");
}

static void test_deny_needs_no_role(void **s)
{
    (void)s;
    assert_int_equal(load("[map \"x\"]\nmatch = subject.O = Contractor GmbH\naction = deny\n"), 0);
    assert_int_equal(table.maps[0].deny, 1);
}

/* ---- refused tables: one precise message each */

static void test_bad_base64_names_the_character(void **s)
{
    (void)s;
    assert_only_error("[certmap]\nversion = 1\n[map \"alice-laptop\"]\n"
                      "certificate = MIIBxTCCAWugAwIBAgIU!AAA\nrole = admin\n",
                      "certmap.ini:4: map \"alice-laptop\": certificate is not valid base64 at "
                      "character 35 (`!`)");
}

static void test_base64_that_is_not_a_certificate_is_refused(void **s)
{
    (void)s;
    assert_int_equal(load("[map \"a\"]\ncertificate = AAAA\nrole = admin\n"), GH_E_INVALID);
    assert_int_equal(nerrs, 1);
    assert_error_contains(0, 2, "a", "certificate is base64 but not a certificate");
}

static void test_cut_short_base64_is_refused(void **s)
{
    (void)s;
    assert_only_error("[map \"a\"]\ncertificate = MIIBx\nrole = admin\n",
                      "certmap.ini:2: map \"a\": certificate is cut short: 5 base64 characters "
                      "is not a multiple of 4");
}

static void test_other_pem_armour_is_refused(void **s)
{
    (void)s;
    assert_only_error("[map \"a\"]\ncertificate = -----BEGIN PUBLIC KEY----- MFkw -----END PUBLIC "
                      "KEY-----\nrole = admin\n",
                      "certmap.ini:2: map \"a\": certificate holds -----BEGIN PUBLIC KEY-----: "
                      "only a certificate (-----BEGIN CERTIFICATE-----) can be mapped");
}

static void test_fingerprint_of_wrong_length_is_refused(void **s)
{
    (void)s;
    assert_only_error("[map \"a\"]\nfingerprint = sha256:3F2A\nrole = admin\n",
                      "certmap.ini:2: map \"a\": fingerprint has 4 hex digits; a SHA-256 has 64");
    assert_only_error("[map \"a\"]\npubkey = 3F2A\nrole = admin\n",
                      "certmap.ini:2: map \"a\": pubkey must start with sha256: (then 64 hex "
                      "digits)");
    assert_only_error("[map \"a\"]\nfingerprint = sha256:3G2A\nrole = admin\n",
                      "certmap.ini:2: map \"a\": fingerprint has `G` at character 23, which is "
                      "not a hex digit");
}

static void test_unknown_key_field_operator_and_role_are_refused(void **s)
{
    (void)s;
    assert_only_error("[map \"a\"]\nmatch = subject.CN = x\nrole = admin\ncolour = red\n",
                      "certmap.ini:4: map \"a\": unknown key `colour` (a mapping has certificate, "
                      "fingerprint, pubkey, match, role, action, enabled)");
    assert_only_error("[map \"a\"]\nmatch = subject.CN = x\nRole = admin\n",
                      "certmap.ini:3: map \"a\": unknown key `Role` (did you mean `role`? keys "
                      "are lower case)");
    assert_int_equal(load("[map \"a\"]\nmatch = subject.XX = x\nrole = admin\n"), GH_E_INVALID);
    assert_error_contains(0, 2, "a", "unknown field `subject.XX`");
    assert_only_error("[map \"a\"]\nmatch = subject.CN == x\nrole = admin\n",
                      "certmap.ini:2: map \"a\": unknown operator `==`: use =, ~, =i or ~i");
    assert_only_error("[map \"a\"]\nmatch = subject.CN x\nrole = admin\n",
                      "certmap.ini:2: map \"a\": match needs an operator (=, ~, =i or ~i) after "
                      "subject.CN");
    assert_only_error("[map \"a\"]\nmatch = subject.CN = x\nrole = root\n",
                      "certmap.ini:3: map \"a\": unknown role `root`: use admin, operator or viewer");
    assert_only_error("[map \"a\"]\nmatch = subject.CN = x\nrole = Admin\n",
                      "certmap.ini:3: map \"a\": unknown role `Admin` (did you mean `admin`?)");
    assert_only_error("[map \"a\"]\nmatch = subject.CN = x\nrole = admin\nenabled = yes\n",
                      "certmap.ini:4: map \"a\": enabled must be true or false, not `yes`");
    assert_only_error("[map \"a\"]\nmatch = subject.CN = x\naction = block\n",
                      "certmap.ini:3: map \"a\": action must be allow or deny, not `block`");
}

static void test_empty_and_quoted_patterns_are_refused(void **s)
{
    (void)s;
    assert_only_error("[map \"a\"]\nmatch = subject.OU =\nrole = admin\n",
                      "certmap.ini:2: map \"a\": match has an empty pattern (to require any "
                      "subject.OU, write subject.OU ~ *)");
    assert_only_error("[map \"a\"]\nmatch = subject.O = \"Acme\"\nrole = admin\n",
                      "certmap.ini:2: map \"a\": write the pattern without quotes (`\"` would be "
                      "compared as part of the value)");
}

static void test_field_specific_patterns_are_checked(void **s)
{
    (void)s;
    assert_only_error("[map \"a\"]\nmatch = eku = clientauth\nrole = admin\n",
                      "certmap.ini:2: map \"a\": unknown EKU `clientauth` (did you mean "
                      "`clientAuth`? or use =i)");
    assert_int_equal(load("[map \"a\"]\nmatch = eku = webLogin\nrole = admin\n"), GH_E_INVALID);
    assert_error_contains(0, 2, "a", "unknown EKU `webLogin`: write a dotted OID or one of");
    assert_only_error("[map \"a\"]\nmatch = policy = 1.3.6..1\nrole = admin\n",
                      "certmap.ini:2: map \"a\": policy pattern `1.3.6..1` is not a dotted OID "
                      "(like 1.3.6.1.4.1.55555.1.2)");
    assert_only_error("[map \"a\"]\nmatch = san.ip = 10.0.0.300\nrole = admin\n",
                      "certmap.ini:2: map \"a\": san.ip pattern `10.0.0.300` is not an IPv4 or "
                      "IPv6 address");
    assert_only_error("[map \"a\"]\nmatch = serial = 0x12\nrole = admin\n",
                      "certmap.ini:2: map \"a\": serial pattern has `x`, which is not a hex digit");
}

static void test_duplicates_are_refused(void **s)
{
    (void)s;
    assert_only_error("[map \"a\"]\nmatch = subject.CN = x\nrole = admin\n\n"
                      "[map \"a\"]\nmatch = subject.CN = y\nrole = viewer\n",
                      "certmap.ini:5: map \"a\": mapping name is used twice (first on line 1)");
    assert_only_error("[map \"a\"]\nmatch = subject.CN = x\nrole = admin\nrole = viewer\n",
                      "certmap.ini:4: map \"a\": role is given twice (first on line 3)");
}

static void test_one_to_one_and_match_cannot_be_combined(void **s)
{
    char text[512];
    (void)s;
    snprintf(text, sizeof text, "[map \"a\"]\nfingerprint = %s\nmatch = subject.CN = x\n"
                                "role = admin\n", fp_a);
    assert_only_error(text, "certmap.ini:3: map \"a\": match cannot be combined with fingerprint "
                            "(line 2): a mapping is either one-to-one or a list of match lines");
    snprintf(text, sizeof text, "[map \"a\"]\nfingerprint = %s\npubkey = %s\nrole = admin\n",
             fp_a, fp_b);
    assert_only_error(text, "certmap.ini:3: map \"a\": pubkey cannot be combined with fingerprint "
                            "(line 2): give exactly one of certificate, fingerprint or pubkey");
}

static void test_role_is_required_unless_deny(void **s)
{
    (void)s;
    assert_only_error("[certmap]\n[map \"a\"]\nmatch = subject.CN = x\n",
                      "certmap.ini:2: map \"a\": role is missing: add role = admin, operator or "
                      "viewer (or action = deny)");
    assert_only_error("[map \"a\"]\nmatch = subject.CN = x\nrole = admin\naction = deny\n",
                      "certmap.ini:3: map \"a\": role cannot be given with action = deny (line "
                      "4): remove one of the two");
    assert_only_error("[map \"a\"]\nrole = admin\n",
                      "certmap.ini:1: map \"a\": mapping has no certificate, fingerprint, pubkey "
                      "or match line, so it would never apply");
    assert_only_error("[map \"a\"]\n",
                      "certmap.ini:1: map \"a\": mapping is empty: give a certificate, "
                      "fingerprint, pubkey or match lines, and a role");
}

static void test_sections_and_names_are_checked(void **s)
{
    (void)s;
    assert_only_error("[mapping \"a\"]\nmatch = subject.CN = x\nrole = admin\n",
                      "certmap.ini:1: unknown section [mapping \"a\"]: a table has [certmap] and "
                      "[map \"NAME\"] sections");
    assert_only_error("[map a]\nmatch = subject.CN = x\nrole = admin\n",
                      "certmap.ini:1: write the mapping name in double quotes: [map \"a\"]");
    assert_only_error("[map \"bob laptop\"]\nmatch = subject.CN = x\nrole = admin\n",
                      "certmap.ini:1: mapping name \"bob laptop\" has a space: use only A-Z a-z "
                      "0-9 . _ -");
    assert_only_error("[map \"\"]\nmatch = subject.CN = x\nrole = admin\n",
                      "certmap.ini:1: mapping name is empty");
    assert_only_error("[map \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"]\n"
                      "match = subject.CN = x\nrole = admin\n",
                      "certmap.ini:1: mapping name is 65 characters long; the limit is 64");
    assert_only_error("[certmap]\nversion = 2\n",
                      "certmap.ini:2: version `2` is not supported: this Gatehouse reads version 1");
    assert_only_error("role = admin\n[certmap]\n",
                      "certmap.ini:1: role is outside any section: a table starts with [certmap] "
                      "and has its keys under [map \"NAME\"] headers");
    assert_only_error("[map \"a\"]\nmatch = subject.CN = x\nrole = admin\n[certmap]\n",
                      "certmap.ini:4: [certmap] must come before the first [map] section");
    assert_only_error("[certmap\nversion = 1\n",
                      "certmap.ini:1: section header has no closing ]");
    assert_only_error("[map \"a\"]\nmatch = subject.CN = x\nrole admin\n",
                      "certmap.ini:3: map \"a\": line is not `key = value`, a [section] or a "
                      "comment (indent it if it continues the value above)");
}

static void test_indented_key_after_one_line_value_is_refused(void **s)
{
    (void)s;
    assert_only_error("[map \"a\"]\nmatch = subject.CN = x\nrole = admin\n  enabled = false\n",
                      "certmap.ini:4: map \"a\": indented line continues role from line 3, which "
                      "takes one line (remove the indentation if this starts a new key)");
}

static void test_text_that_is_not_utf8_text_is_refused(void **s)
{
    static const char nul[] = "[map \"a\"]\nmatch = subject.CN = a\0b\nrole = admin\n";
    (void)s;
    assert_int_equal(load_n(nul, sizeof nul - 1), GH_E_INVALID);
    assert_int_equal(nerrs, 1);
    assert_string_equal(err_text(0), "certmap.ini:2: map \"a\": NUL byte at character 23: this "
                                     "is not a text file");
    assert_only_error("[map \"a\"]\nmatch = subject.CN = a\x07 b\nrole = admin\n",
                      "certmap.ini:2: map \"a\": control character 0x07 at character 23");
    assert_only_error("[map \"a\"]\nmatch = subject.CN = caf\xE9\nrole = admin\n",
                      "certmap.ini:2: map \"a\": invalid UTF-8 at character 25 (byte 0xE9): save "
                      "the file as UTF-8");
}

static void test_over_long_line_is_refused_with_its_number(void **s)
{
    size_t n = 0;
    (void)s;
    n += (size_t)snprintf(big, sizeof big, "[map \"a\"]\nmatch = subject.CN = ");
    memset(big + n, 'x', 9000);
    n += 9000;
    n += (size_t)snprintf(big + n, sizeof big - n, "\nrole = admin\n");
    assert_int_equal(load_n(big, n), GH_E_CAPACITY);
    assert_int_equal(nerrs, 1);
    assert_error_contains(0, 2, "a", "line is 9021 bytes long; the limit is");
}

static void test_capacity_limits_are_named(void **s)
{
    size_t n = 0;
    (void)s;
    for (int i = 0; i <= GH_MAX_MAPPINGS; i++)
        n += (size_t)snprintf(big + n, sizeof big - n,
                              "[map \"m%d\"]\nmatch = subject.CN = x%d\nrole = viewer\n", i, i);
    assert_int_equal(load_n(big, n), GH_E_CAPACITY);
    assert_int_equal(nerrs, 1);
    assert_error_contains(0, 3 * GH_MAX_MAPPINGS + 1, "m128", "too many mappings: a table holds at most");

    n = (size_t)snprintf(big, sizeof big, "[map \"a\"]\nrole = admin\n");
    for (int i = 0; i <= GH_MAX_MATCH_PER_MAPPING; i++)
        n += (size_t)snprintf(big + n, sizeof big - n, "match = subject.OU = u%d\n", i);
    assert_int_equal(load_n(big, n), GH_E_CAPACITY);
    assert_int_equal(nerrs, 1);
    assert_error_contains(0, 3 + GH_MAX_MATCH_PER_MAPPING, "a", "too many match lines");

    memset(big, ';', GH_CERTMAP_MAX_BYTES + 1);
    assert_int_equal(load_n(big, GH_CERTMAP_MAX_BYTES + 1), GH_E_CAPACITY);
    assert_int_equal(nerrs, 1);
}

static void test_every_error_is_reported_not_just_the_first(void **s)
{
    (void)s;
    assert_int_equal(load("[map \"a\"]\nmatch = subject.XX = x\nrole = admin\n"
                          "[map \"b\"]\nmatch = subject.CN = x\nrole = boss\n"
                          "[map \"c\"]\nmatch = subject.CN = x\n"), GH_E_INVALID);
    assert_int_equal(nerrs, 3);
    assert_error_contains(0, 2, "a", "unknown field");
    assert_error_contains(1, 6, "b", "unknown role");
    assert_error_contains(2, 7, "c", "role is missing");
}

static void test_errors_beyond_the_array_are_counted(void **s)
{
    struct gh_error few[2];
    int count = 0;
    const char *text = "[map \"a\"]\nx1 = 1\nx2 = 2\nx3 = 3\nrole = admin\nmatch = serial = 1\n";
    (void)s;
    assert_int_equal(certmap_load(&table, "t.ini", text, strlen(text), few, 2, &count),
                     GH_E_INVALID);
    assert_int_equal(count, 3);
    assert_int_equal(few[1].line, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_contract_example_loads_with_all_its_mappings),
        cmocka_unit_test(test_table_without_certmap_section_is_version_1),
        cmocka_unit_test(test_certmap_without_mappings_is_valid),
        cmocka_unit_test(test_empty_file_is_refused),
        cmocka_unit_test(test_sixty_four_character_name_is_kept_whole),
        cmocka_unit_test(test_crlf_line_ends_and_a_bom_are_accepted),
        cmocka_unit_test(test_fingerprint_ignores_colons_and_case),
        cmocka_unit_test(test_semicolon_after_space_starts_a_comment),
        cmocka_unit_test(test_patterns_are_normalised_at_load),
        cmocka_unit_test(test_deny_needs_no_role),
        cmocka_unit_test(test_bad_base64_names_the_character),
        cmocka_unit_test(test_base64_that_is_not_a_certificate_is_refused),
        cmocka_unit_test(test_cut_short_base64_is_refused),
        cmocka_unit_test(test_other_pem_armour_is_refused),
        cmocka_unit_test(test_fingerprint_of_wrong_length_is_refused),
        cmocka_unit_test(test_unknown_key_field_operator_and_role_are_refused),
        cmocka_unit_test(test_empty_and_quoted_patterns_are_refused),
        cmocka_unit_test(test_field_specific_patterns_are_checked),
        cmocka_unit_test(test_duplicates_are_refused),
        cmocka_unit_test(test_one_to_one_and_match_cannot_be_combined),
        cmocka_unit_test(test_role_is_required_unless_deny),
        cmocka_unit_test(test_sections_and_names_are_checked),
        cmocka_unit_test(test_indented_key_after_one_line_value_is_refused),
        cmocka_unit_test(test_text_that_is_not_utf8_text_is_refused),
        cmocka_unit_test(test_over_long_line_is_refused_with_its_number),
        cmocka_unit_test(test_capacity_limits_are_named),
        cmocka_unit_test(test_every_error_is_reported_not_just_the_first),
        cmocka_unit_test(test_errors_beyond_the_array_are_counted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
