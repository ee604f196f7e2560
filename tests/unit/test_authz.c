/* The route table: which role may use which route (CONTRACT.md section 5). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "authz.h"

static struct authz_route r;

static void lookup(const char *method, const char *path)
{
    authz_lookup(method, path, &r);
}

static void test_every_contract_route_has_its_role(void **s)
{
    static const struct {
        const char *method, *path;
        int route, min_role;
    } cases[] = {
        {"GET", "/api/whoami", ROUTE_WHOAMI, GH_ROLE_VIEWER},
        {"GET", "/api/status", ROUTE_STATUS, GH_ROLE_VIEWER},
        {"GET", "/api/certmap", ROUTE_CERTMAP_GET, GH_ROLE_ADMIN},
        {"PUT", "/api/certmap", ROUTE_CERTMAP_PUT, GH_ROLE_ADMIN},
        {"GET", "/api/audit", ROUTE_AUDIT, GH_ROLE_ADMIN},
        {"GET", "/api/settings", ROUTE_SETTINGS_GET, GH_ROLE_VIEWER},
        {"PUT", "/api/settings", ROUTE_SETTINGS_PUT, GH_ROLE_OPERATOR},
        {"GET", "/", ROUTE_UI, GH_ROLE_VIEWER},
        {"GET", "/ui/app.js", ROUTE_UI, GH_ROLE_VIEWER},
    };
    (void)s;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lookup(cases[i].method, cases[i].path);
        assert_int_equal(r.route, cases[i].route);
        assert_int_equal(r.min_role, cases[i].min_role);
        assert_int_equal(r.method_ok, 1);
    }
}

static void test_a_role_below_the_route_is_refused(void **s)
{
    (void)s;
    lookup("PUT", "/api/certmap");
    assert_false(authz_allows(GH_ROLE_OPERATOR, &r));
    assert_true(authz_allows(GH_ROLE_ADMIN, &r));
    lookup("PUT", "/api/settings");
    assert_false(authz_allows(GH_ROLE_VIEWER, &r));
    assert_true(authz_allows(GH_ROLE_OPERATOR, &r));
    assert_true(authz_allows(GH_ROLE_ADMIN, &r));
    lookup("GET", "/api/whoami");
    assert_false(authz_allows(GH_ROLE_NONE, &r));   /* unmapped: never */
    assert_true(authz_allows(GH_ROLE_VIEWER, &r));
}

static void test_head_is_answered_where_get_is(void **s)
{
    (void)s;
    lookup("HEAD", "/api/status");
    assert_int_equal(r.route, ROUTE_STATUS);
    assert_int_equal(r.method_ok, 1);
    lookup("HEAD", "/ui/app.css");
    assert_int_equal(r.route, ROUTE_UI);
}

static void test_a_known_path_with_another_method_is_405_with_allow(void **s)
{
    (void)s;
    lookup("DELETE", "/api/certmap");
    assert_int_equal(r.method_ok, 0);
    assert_string_equal(r.allow, "GET, HEAD, PUT");
    lookup("POST", "/api/whoami");
    assert_int_equal(r.method_ok, 0);
    assert_string_equal(r.allow, "GET, HEAD");
    lookup("PUT", "/api/audit");
    assert_int_equal(r.method_ok, 0);
}

static void test_unknown_paths_are_404_and_api_errors_are_json(void **s)
{
    (void)s;
    lookup("GET", "/api/nothing");
    assert_int_equal(r.route, ROUTE_NONE);
    assert_int_equal(r.method_ok, 1);
    assert_int_equal(r.is_api, 1);
    lookup("GET", "/nothing");
    assert_int_equal(r.route, ROUTE_NONE);
    assert_int_equal(r.is_api, 0);
    /* a route is its exact path, not a prefix of a longer one */
    lookup("GET", "/api/whoami/x");
    assert_int_equal(r.route, ROUTE_NONE);
    lookup("GET", "/api/certmapx");
    assert_int_equal(r.route, ROUTE_NONE);
    /* "/ui/" itself is no file of the UI */
    lookup("GET", "/ui/");
    assert_int_equal(r.route, ROUTE_NONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_contract_route_has_its_role),
        cmocka_unit_test(test_a_role_below_the_route_is_refused),
        cmocka_unit_test(test_head_is_answered_where_get_is),
        cmocka_unit_test(test_a_known_path_with_another_method_is_405_with_allow),
        cmocka_unit_test(test_unknown_paths_are_404_and_api_errors_are_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
