/* The pkcs11: URIs gatehouse.ini's `[keystore] server_key` accepts (RFC 7512,
 * platform/pkcs11_uri.h): what picks a key, and what is refused and how the
 * refusal reads. No token is needed; tests/integration/test_pkcs11.sh uses one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "pkcs11_uri.h"

static struct gh_error err;
static struct pkcs11_uri uri;

static int parse(const char *text)
{
    gh_error_clear(&err);
    return pkcs11_uri_parse(text, &uri, &err);
}

static void assert_accepted(const char *text)
{
    if (parse(text) != 0)
        fail_msg("refused: %s: %s", text, err.msg);
}

/* Refused with code, and the message says each of the words. */
static void assert_refused(const char *text, int code, const char *word1, const char *word2)
{
    int rc = parse(text);
    if (rc == 0)
        fail_msg("accepted: %s", text);
    if (rc != code)
        fail_msg("%s: code %d, expected %d (%s)", text, rc, code, err.msg);
    if (!strstr(err.msg, word1) || (word2 && !strstr(err.msg, word2)))
        fail_msg("%s: message \"%s\" does not say \"%s\"%s%s", text, err.msg, word1, word2 ? " and " : "",
                 word2 ? word2 : "");
    if (!strstr(err.msg, "server_key"))
        fail_msg("%s: message \"%s\" does not name the setting", text, err.msg);
}

static void test_the_contract_example_names_token_object_module_and_pin_file(void **state)
{
    (void)state;
    assert_accepted("pkcs11:token=gatehouse;object=tls-key"
                    "?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:pin.txt");
    assert_string_equal(uri.token, "gatehouse");
    assert_string_equal(uri.object, "tls-key");
    assert_string_equal(uri.module_path, "/usr/lib/softhsm/libsofthsm2.so");
    assert_string_equal(uri.pin_file, "pin.txt");
    assert_int_equal(uri.pin_file_relative, 1);
    assert_int_equal(uri.given, P11_TOKEN | P11_OBJECT | P11_MODULE_PATH | P11_PIN_SOURCE);
}

static void test_an_id_is_pct_encoded_bytes(void **state)
{
    (void)state;
    assert_accepted("pkcs11:id=%01%a0%FFz");
    assert_int_equal(uri.id_len, 4);
    assert_memory_equal(uri.id, "\x01\xa0\xff" "z", 4);
    assert_accepted("pkcs11:id=%00");
    assert_int_equal(uri.id_len, 1);
    assert_int_equal(uri.id[0], 0);
}

static void test_a_label_with_a_space_is_written_pct20(void **state)
{
    (void)state;
    assert_accepted("pkcs11:token=My%20Token;object=web%2Fkey%3B1");
    assert_string_equal(uri.token, "My Token");
    assert_string_equal(uri.object, "web/key;1");
    assert_refused("pkcs11:token=My Token", GH_E_INVALID, "a space at character 16", "%20");
}

static void test_characters_rfc7512_allows_plain_are_kept(void **state)
{
    (void)state;
    assert_accepted("pkcs11:object=a-b.c_d~e:f[g]h@i!j$k'l(m)n*o+p,q=r&s");
    assert_string_equal(uri.object, "a-b.c_d~e:f[g]h@i!j$k'l(m)n*o+p,q=r&s");
    /* `/` `?` `|` are plain only in the query */
    assert_accepted("pkcs11:?module-path=/usr/lib/x/y.so&pin-source=file:/run/gh/pin");
    assert_string_equal(uri.module_path, "/usr/lib/x/y.so");
    assert_refused("pkcs11:object=a/b", GH_E_INVALID, "`/` at character 16", "%2F");
}

static void test_a_pin_value_is_refused_and_the_message_says_where_the_pin_goes(void **state)
{
    (void)state;
    assert_refused("pkcs11:token=gatehouse?pin-value=1234", GH_E_INVALID, "pin-value is refused",
                   "pin-source=file:");
    assert_non_null(strstr(err.msg, "never"));
    assert_null(strstr(err.msg, "1234"));   /* the PIN is not echoed into logs */
    assert_refused("pkcs11:?module-path=/m.so&pin-value=1234&pin-source=file:pin.txt", GH_E_INVALID,
                   "pin-value", NULL);
}

static void test_an_unknown_attribute_is_refused_by_name(void **state)
{
    (void)state;
    assert_refused("pkcs11:token=gatehouse;label=tls-key", GH_E_INVALID, "unknown attribute `label`", NULL);
    assert_refused("pkcs11:?module-dir=/usr/lib", GH_E_INVALID, "unknown attribute `module-dir`", NULL);
}

static void test_a_vendor_attribute_is_refused(void **state)
{
    (void)state;
    assert_refused("pkcs11:token=gatehouse;x-vendor=1", GH_E_INVALID, "vendor attribute `x-vendor`", NULL);
}

static void test_an_attribute_given_twice_is_refused(void **state)
{
    (void)state;
    assert_refused("pkcs11:token=a;object=k;token=b", GH_E_INVALID, "token is given twice", NULL);
    assert_refused("pkcs11:?pin-source=file:a&pin-source=file:b", GH_E_INVALID, "pin-source is given twice",
                   NULL);
}

static void test_an_attribute_on_the_wrong_side_of_the_question_mark_is_refused(void **state)
{
    (void)state;
    assert_refused("pkcs11:token=a;module-path=/m.so", GH_E_INVALID, "module-path belongs after the `?`", NULL);
    assert_refused("pkcs11:?token=a", GH_E_INVALID, "token belongs before the `?`", NULL);
}

static void test_a_broken_pct_escape_is_refused(void **state)
{
    (void)state;
    assert_refused("pkcs11:object=50%", GH_E_INVALID, "`%` at character 17", "%25");
    assert_refused("pkcs11:object=%4", GH_E_INVALID, "two hex digits", NULL);
    assert_refused("pkcs11:object=%zz", GH_E_INVALID, "two hex digits", NULL);
}

static void test_a_nul_inside_a_label_is_refused(void **state)
{
    (void)state;
    assert_refused("pkcs11:object=tls%00key", GH_E_INVALID, "object must not contain %00", NULL);
}

static void test_a_token_label_longer_than_pkcs11_allows_is_refused(void **state)
{
    (void)state;
    assert_accepted("pkcs11:token=0123456789abcdef0123456789abcdef");   /* 32: the whole field */
    assert_refused("pkcs11:token=0123456789abcdef0123456789abcdefX", GH_E_CAPACITY, "token is longer than 32",
                   NULL);
    assert_refused("pkcs11:serial=0123456789abcdefX", GH_E_CAPACITY, "serial is longer than 16", NULL);
}

static void test_only_a_private_key_type_is_accepted(void **state)
{
    (void)state;
    assert_accepted("pkcs11:object=k;type=private");
    assert_true(uri.given & P11_TYPE);
    assert_refused("pkcs11:object=k;type=cert", GH_E_INVALID, "type=cert", "private key");
    assert_refused("pkcs11:object=k;type=public", GH_E_INVALID, "type=public", NULL);
    assert_refused("pkcs11:object=k;type=secret", GH_E_INVALID, "type `secret`", NULL);
}

static void test_slot_id_is_a_decimal_number(void **state)
{
    (void)state;
    assert_accepted("pkcs11:slot-id=342775923");
    assert_int_equal(uri.slot_id, 342775923UL);
    assert_refused("pkcs11:slot-id=0x10", GH_E_INVALID, "slot-id `0x10`", NULL);
    assert_refused("pkcs11:slot-id=-1", GH_E_INVALID, "decimal", NULL);
    assert_refused("pkcs11:slot-id=99999999999999999999999", GH_E_INVALID, "decimal", NULL);
}

static void test_token_and_library_attributes_are_kept_for_matching(void **state)
{
    (void)state;
    assert_accepted("pkcs11:manufacturer=SoftHSM%20project;model=SoftHSM%20v2;serial=cdecd809146e5873;"
                    "slot-description=SoftHSM%20slot%20ID%200x1;slot-manufacturer=SoftHSM%20project;"
                    "library-manufacturer=SoftHSM;library-description=Implementation%20of%20PKCS11;"
                    "library-version=2.6");
    assert_string_equal(uri.manufacturer, "SoftHSM project");
    assert_string_equal(uri.model, "SoftHSM v2");
    assert_string_equal(uri.serial, "cdecd809146e5873");
    assert_string_equal(uri.slot_description, "SoftHSM slot ID 0x1");
    assert_string_equal(uri.slot_manufacturer, "SoftHSM project");
    assert_string_equal(uri.library_manufacturer, "SoftHSM");
    assert_string_equal(uri.library_description, "Implementation of PKCS11");
    assert_int_equal(uri.library_major, 2);
    assert_int_equal(uri.library_minor, 6);
    assert_accepted("pkcs11:library-version=3");
    assert_int_equal(uri.library_major, 3);
    assert_int_equal(uri.library_minor, 0);
    assert_refused("pkcs11:library-version=2.x", GH_E_INVALID, "MAJOR.MINOR", NULL);
    assert_refused("pkcs11:library-version=256", GH_E_INVALID, "library-version", NULL);
}

static void test_a_relative_module_path_is_refused(void **state)
{
    (void)state;
    assert_refused("pkcs11:?module-path=libsofthsm2.so", GH_E_INVALID, "absolute path",
                   "never loaded from the flash folder");
    assert_accepted("pkcs11:?module-name=softhsm2");
    assert_string_equal(uri.module_name, "softhsm2");
}

static void test_pin_source_names_a_flash_file_or_an_absolute_path(void **state)
{
    static const struct { const char *uri, *file; int relative; } ok[] = {
        {"pkcs11:?pin-source=file:pin.txt", "pin.txt", 1},
        {"pkcs11:?pin-source=pin.txt", "pin.txt", 1},
        {"pkcs11:?pin-source=file:/run/gh/pin", "/run/gh/pin", 0},
        {"pkcs11:?pin-source=file:///run/gh/pin", "/run/gh/pin", 0},
        {"pkcs11:?pin-source=file://localhost/run/gh/pin", "/run/gh/pin", 0},
        {"pkcs11:?pin-source=/run/gh/pin", "/run/gh/pin", 0},
        {"pkcs11:?pin-source=file:my%20pin", "my pin", 1},
    };
    (void)state;
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        assert_accepted(ok[i].uri);
        assert_string_equal(uri.pin_file, ok[i].file);
        assert_int_equal(uri.pin_file_relative, ok[i].relative);
    }
    assert_refused("pkcs11:?pin-source=file://other/pin", GH_E_INVALID, "local file", NULL);
    assert_refused("pkcs11:?pin-source=|/usr/bin/getpin", GH_E_INVALID, "running a program", NULL);
    assert_refused("pkcs11:?pin-source=env:PIN", GH_E_INVALID, "only file:", NULL);
    assert_refused("pkcs11:?pin-source=file:secrets/pin", GH_E_INVALID, "flash folder", NULL);
    assert_refused("pkcs11:?pin-source=file:", GH_E_INVALID, "names no file", NULL);
}

static void test_empty_attributes_and_values_are_refused(void **state)
{
    (void)state;
    assert_refused("pkcs11:token=a;;object=b", GH_E_INVALID, "empty attribute at character 16", NULL);
    assert_refused("pkcs11:token=a;", GH_E_INVALID, "empty attribute", NULL);
    assert_refused("pkcs11:token=a?module-path=/m.so&", GH_E_INVALID, "empty attribute", NULL);
    assert_refused("pkcs11:token=", GH_E_INVALID, "token has no value", NULL);
    assert_refused("pkcs11:token", GH_E_INVALID, "expected NAME=VALUE", NULL);
}

static void test_scheme_is_required_and_case_insensitive(void **state)
{
    (void)state;
    assert_refused("token=gatehouse", GH_E_INVALID, "starts with `pkcs11:`", NULL);
    assert_refused("pkcs11 :token=a", GH_E_INVALID, "starts with `pkcs11:`", NULL);
    assert_accepted("PKCS11:token=a");
    assert_string_equal(uri.token, "a");
}

static void test_a_uri_with_no_attributes_matches_anything(void **state)
{
    (void)state;
    assert_accepted("pkcs11:");
    assert_int_equal(uri.given, 0);
    assert_accepted("pkcs11:?module-path=/m.so");
    assert_int_equal(uri.given, P11_MODULE_PATH);
}

static void test_a_fragment_is_refused(void **state)
{
    (void)state;
    assert_refused("pkcs11:token=a#b", GH_E_INVALID, "`#` at character 15", "%23");
}

static void test_a_token_label_matches_the_whole_padded_field_only(void **state)
{
    unsigned char field[32];
    (void)state;
    memset(field, ' ', sizeof field);
    memcpy(field, "gatehouse", 9);
    assert_true(pkcs11_uri_field_matches(field, sizeof field, "gatehouse"));
    assert_false(pkcs11_uri_field_matches(field, sizeof field, "gate"));        /* no prefix match */
    assert_false(pkcs11_uri_field_matches(field, sizeof field, "gatehouse2"));
    assert_false(pkcs11_uri_field_matches(field, sizeof field, "Gatehouse"));
    memcpy(field, "0123456789abcdef0123456789abcdef", 32);                  /* no padding left */
    assert_true(pkcs11_uri_field_matches(field, sizeof field, "0123456789abcdef0123456789abcdef"));
    assert_false(pkcs11_uri_field_matches(field, sizeof field, "0123456789abcdef0123456789abcdefX"));
}

static void test_a_padded_field_reads_as_text_without_its_blanks(void **state)
{
    unsigned char field[16];
    char out[17], small[4];
    (void)state;
    memset(field, ' ', sizeof field);
    memcpy(field, "SoftHSM v2", 10);
    pkcs11_uri_field_text(field, sizeof field, out, sizeof out);
    assert_string_equal(out, "SoftHSM v2");
    pkcs11_uri_field_text(field, sizeof field, small, sizeof small);
    assert_string_equal(small, "Sof");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_contract_example_names_token_object_module_and_pin_file),
        cmocka_unit_test(test_an_id_is_pct_encoded_bytes),
        cmocka_unit_test(test_a_label_with_a_space_is_written_pct20),
        cmocka_unit_test(test_characters_rfc7512_allows_plain_are_kept),
        cmocka_unit_test(test_a_pin_value_is_refused_and_the_message_says_where_the_pin_goes),
        cmocka_unit_test(test_an_unknown_attribute_is_refused_by_name),
        cmocka_unit_test(test_a_vendor_attribute_is_refused),
        cmocka_unit_test(test_an_attribute_given_twice_is_refused),
        cmocka_unit_test(test_an_attribute_on_the_wrong_side_of_the_question_mark_is_refused),
        cmocka_unit_test(test_a_broken_pct_escape_is_refused),
        cmocka_unit_test(test_a_nul_inside_a_label_is_refused),
        cmocka_unit_test(test_a_token_label_longer_than_pkcs11_allows_is_refused),
        cmocka_unit_test(test_only_a_private_key_type_is_accepted),
        cmocka_unit_test(test_slot_id_is_a_decimal_number),
        cmocka_unit_test(test_token_and_library_attributes_are_kept_for_matching),
        cmocka_unit_test(test_a_relative_module_path_is_refused),
        cmocka_unit_test(test_pin_source_names_a_flash_file_or_an_absolute_path),
        cmocka_unit_test(test_empty_attributes_and_values_are_refused),
        cmocka_unit_test(test_scheme_is_required_and_case_insensitive),
        cmocka_unit_test(test_a_uri_with_no_attributes_matches_anything),
        cmocka_unit_test(test_a_fragment_is_refused),
        cmocka_unit_test(test_a_token_label_matches_the_whole_padded_field_only),
        cmocka_unit_test(test_a_padded_field_reads_as_text_without_its_blanks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
