/* The JSON writer every answer goes through: escaping, nesting, overflow. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"

static char buf[512];
static struct json j;

static void test_objects_arrays_and_scalars_nest_with_commas(void **s)
{
    (void)s;
    json_init(&j, buf, sizeof buf);
    json_obj_open(&j, NULL);
    json_str(&j, "role", "admin");
    json_int(&j, "generation", -3);
    json_bool(&j, "ok", 1);
    json_str(&j, "none", NULL);
    json_arr_open(&j, "list");
    json_int(&j, NULL, 1);
    json_obj_open(&j, NULL);
    json_obj_close(&j);
    json_raw(&j, NULL, "[true]");
    json_arr_close(&j);
    json_obj_close(&j);
    assert_string_equal(json_finish(&j), "{\"role\":\"admin\",\"generation\":-3,\"ok\":true,"
                                         "\"none\":null,\"list\":[1,{},[true]]}");
}

static void test_quotes_backslashes_and_controls_are_escaped(void **s)
{
    (void)s;
    json_init(&j, buf, sizeof buf);
    json_str(&j, NULL, "a\"b\\c\nd\te\x01\x7f");
    assert_string_equal(json_finish(&j), "\"a\\\"b\\\\c\\u000ad\\u0009e\\u0001\\u007f\"");
}

/* A certificate's subject must never read as markup where a page inlines
 * an answer. */
static void test_markup_characters_are_escaped(void **s)
{
    (void)s;
    json_init(&j, buf, sizeof buf);
    json_str(&j, "cn", "<script>&");
    assert_string_equal(json_finish(&j), "\"cn\":\"\\u003cscript\\u003e\\u0026\"");
}

static void test_utf8_passes_unchanged(void **s)
{
    (void)s;
    json_init(&j, buf, sizeof buf);
    json_str(&j, NULL, "M\xc3\xbcller \xe2\x82\xac");
    assert_string_equal(json_finish(&j), "\"M\xc3\xbcller \xe2\x82\xac\"");
}

static void test_strn_takes_only_its_bytes_even_a_nul(void **s)
{
    (void)s;
    json_init(&j, buf, sizeof buf);
    json_strn(&j, NULL, "ab\0cd", 5);
    assert_string_equal(json_finish(&j), "\"ab\\u0000cd\"");
}

static void test_an_answer_that_does_not_fit_is_refused_not_cut(void **s)
{
    char small[8];
    (void)s;
    json_init(&j, small, sizeof small);
    json_str(&j, NULL, "12345");   /* 7 bytes and the NUL: fits exactly */
    assert_string_equal(json_finish(&j), "\"12345\"");
    json_init(&j, small, sizeof small);
    json_str(&j, NULL, "123456");
    assert_null(json_finish(&j));
    assert_int_equal(j.overflow, 1);
    json_init(&j, small, 0);
    assert_null(json_finish(&j));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_objects_arrays_and_scalars_nest_with_commas),
        cmocka_unit_test(test_quotes_backslashes_and_controls_are_escaped),
        cmocka_unit_test(test_markup_characters_are_escaped),
        cmocka_unit_test(test_utf8_passes_unchanged),
        cmocka_unit_test(test_strn_takes_only_its_bytes_even_a_nul),
        cmocka_unit_test(test_an_answer_that_does_not_fit_is_refused_not_cut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
