/* The device settings (server/devsettings.h): what PUT /api/settings accepts
 * and refuses, and settings.ini as Gatehouse writes and reads it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "devsettings.h"

static struct gh_error err;
static char field[48];

/* Apply body onto s (from the defaults); the return code. */
static int put(struct devsettings *s, const char *body)
{
    devset_defaults(s);
    gh_error_clear(&err);
    return devset_apply_json(s, body, strlen(body), field, sizeof field, &err);
}

static void assert_refused(const char *body, const char *want_field, const char *want_in_msg)
{
    struct devsettings s;
    int rc = put(&s, body);
    if (rc == 0)
        fail_msg("accepted: %s", body);
    assert_int_equal(rc, GH_E_INVALID);
    assert_string_equal(field, want_field);
    if (!strstr(err.msg, want_in_msg))
        fail_msg("body %s: message \"%s\" does not say \"%s\"", body, err.msg, want_in_msg);
}

static void assert_accepted(const char *body)
{
    struct devsettings s;
    if (put(&s, body) != 0)
        fail_msg("refused: %s: %s (field %s)", body, err.msg, field);
}

/* ---- hostnames ---- */

static void test_default_settings_have_hostname_gatehouse_and_nothing_else(void **state)
{
    (void)state;
    struct devsettings s;
    devset_defaults(&s);
    assert_string_equal(s.hostname, "gatehouse");
    assert_string_equal(s.location, "");
    assert_string_equal(s.syslog_server, "");
    assert_int_equal(s.ntp_count, 0);
}

static void test_hostname_with_underscore_is_refused_naming_the_character(void **state)
{
    (void)state;
    assert_refused("{\"hostname\":\"gw_hall3\"}", "hostname", "'_' at character 3");
}

static void test_hostname_with_space_or_control_character_is_refused(void **state)
{
    (void)state;
    assert_refused("{\"hostname\":\"gw hall\"}", "hostname", "0x20");
    assert_refused("{\"hostname\":\"gw\\u0007\"}", "hostname", "0x07");
}

static void test_hostname_label_over_63_characters_is_refused(void **state)
{
    (void)state;
    char body[200], label[70];
    memset(label, 'a', 64);
    label[64] = '\0';
    snprintf(body, sizeof body, "{\"hostname\":\"%s.example\"}", label);
    assert_refused(body, "hostname", "label of 64 characters");
    label[63] = '\0';
    snprintf(body, sizeof body, "{\"hostname\":\"%s.example\"}", label);
    assert_accepted(body);
}

/* A name of `total` characters: labels of 63 'h', the last one shorter. */
static void make_name(char *out, size_t total)
{
    size_t n = 0;
    while (n < total) {
        if (n)
            out[n++] = '.';
        size_t label = total - n > 63 ? 63 : total - n;
        memset(out + n, 'h', label);
        n += label;
    }
    out[n] = '\0';
}

static void test_hostname_of_253_characters_is_accepted_and_254_refused(void **state)
{
    (void)state;
    char name[300], body[400];
    struct devsettings s;
    make_name(name, 253);
    assert_int_equal(strlen(name), 253);
    snprintf(body, sizeof body, "{\"hostname\":\"%s\"}", name);
    assert_accepted(body);
    put(&s, body);
    assert_string_equal(s.hostname, name);
    make_name(name, 254);
    snprintf(body, sizeof body, "{\"hostname\":\"%s\"}", name);
    assert_refused(body, "hostname", "254 characters");
}

static void test_hostname_with_empty_label_or_dash_at_an_end_is_refused(void **state)
{
    (void)state;
    assert_refused("{\"hostname\":\"a..b\"}", "hostname", "empty label");
    assert_refused("{\"hostname\":\".a\"}", "hostname", "empty label");
    assert_refused("{\"hostname\":\"a.\"}", "hostname", "empty label");
    assert_refused("{\"hostname\":\"\"}", "hostname", "is empty");
    assert_refused("{\"hostname\":\"-gw\"}", "hostname", "'-'");
    assert_refused("{\"hostname\":\"gw-.example\"}", "hostname", "'-'");
    assert_accepted("{\"hostname\":\"gw-1.hall-3.example\"}");
    assert_accepted("{\"hostname\":\"3com\"}");
}

static void test_all_numeric_hostname_is_refused(void **state)
{
    (void)state;
    assert_refused("{\"hostname\":\"1234\"}", "hostname", "all-numeric");
    assert_refused("{\"hostname\":\"10.0.0.1\"}", "hostname", "all-numeric");
}

/* ---- servers ---- */

static void test_servers_may_be_names_ipv4_or_ipv6(void **state)
{
    (void)state;
    static const char *const good[] = {"pool.ntp.org", "192.0.2.10", "2001:db8::1", "::1",
                                       "[2001:db8::1]", "ntp1"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        gh_error_clear(&err);
        if (devset_check_server(good[i], 0, &err) != 0)
            fail_msg("%s refused: %s", good[i], err.msg);
    }
    static const char *const bad[] = {"256.1.1.1", "1.2.3", "2001:db8:::1", "[2001:db8::1",
                                      "[192.0.2.1]", "fe80::1%eth0", "ntp_1", "", "a b"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (devset_check_server(bad[i], 1, &err) == 0)
            fail_msg("%s accepted", bad[i]);
}

static void test_syslog_server_may_carry_a_port(void **state)
{
    (void)state;
    assert_accepted("{\"syslog_server\":\"192.0.2.10:514\"}");
    assert_accepted("{\"syslog_server\":\"logs.example:6514\"}");
    assert_accepted("{\"syslog_server\":\"[2001:db8::10]:514\"}");
    assert_accepted("{\"syslog_server\":\"\"}");   /* none */
    assert_refused("{\"syslog_server\":\"192.0.2.10:0\"}", "syslog_server", "port");
    assert_refused("{\"syslog_server\":\"192.0.2.10:65536\"}", "syslog_server", "65536");
    assert_refused("{\"syslog_server\":\"192.0.2.10:0514\"}", "syslog_server", "port");
    assert_refused("{\"syslog_server\":\"192.0.2.10:syslog\"}", "syslog_server", "port");
    assert_refused("{\"syslog_server\":\"[2001:db8::10]514\"}", "syslog_server", "after the ']'");
}

static void test_ntp_server_with_a_port_is_refused_naming_its_position(void **state)
{
    (void)state;
    assert_refused("{\"ntp_servers\":[\"a.example\",\"192.0.2.1:123\"]}", "ntp_servers",
                   "server 2: has a port");
    assert_refused("{\"ntp_servers\":[\"bad_host\"]}", "ntp_servers", "server 1:");
}

static void test_more_than_four_ntp_servers_are_refused(void **state)
{
    (void)state;
    assert_accepted("{\"ntp_servers\":[\"a.example\",\"b.example\",\"c.example\",\"d.example\"]}");
    assert_refused("{\"ntp_servers\":[\"a.example\",\"b.example\",\"c.example\",\"d.example\","
                   "\"e.example\"]}",
                   "ntp_servers", "more than 4");
    assert_refused("{\"ntp_servers\":[\"a.example\",\"a.example\"]}", "ntp_servers", "twice");
    assert_refused("{\"ntp_servers\":[\"\"]}", "ntp_servers", "is empty");
}

/* ---- free text ---- */

static void test_location_with_control_characters_is_refused(void **state)
{
    (void)state;
    assert_refused("{\"location\":\"Hall 3\\nrack 7\"}", "location", "U+000A");
    assert_refused("{\"location\":\"bell\\u0007\"}", "location", "U+0007");
    assert_refused("{\"contact\":\"del\\u007f\"}", "contact", "U+007F");
    assert_refused("{\"contact\":\"nel\\u0085\"}", "contact", "U+0085");
    assert_refused("{\"contact\":\"rtl\\u202e\"}", "contact", "invisible");
    assert_refused("{\"location\":\"tab\\there\"}", "location", "U+0009");
}

static void test_location_of_128_characters_is_accepted_and_129_refused(void **state)
{
    (void)state;
    /* 'é' is two bytes but one character: the limit counts characters */
    char body[600] = "{\"location\":\"";
    for (int i = 0; i < 128; i++)
        strcat(body, "\xc3\xa9");
    strcat(body, "\"}");
    assert_accepted(body);
    body[strlen(body) - 2] = '\0';
    strcat(body, "x\"}");
    assert_refused(body, "location", "129 characters");
}

static void test_overlong_text_is_refused_naming_the_field(void **state)
{
    (void)state;
    char body[2200] = "{\"contact\":\"";
    memset(body + strlen(body), 'x', 2000);
    strcat(body, "\"}");
    assert_refused(body, "contact", "longer than 128");
}

static void test_text_that_is_not_utf8_is_refused(void **state)
{
    (void)state;
    assert_refused("{\"location\":\"\xc0\xaf\"}", "location", "UTF-8");        /* overlong '/' */
    assert_refused("{\"location\":\"\xed\xa0\x80\"}", "location", "UTF-8");    /* surrogate */
    assert_refused("{\"location\":\"\x80\"}", "location", "UTF-8");            /* lone continuation */
    assert_refused("{\"location\":\"\xe2\x82\"}", "location", "UTF-8");        /* cut short */
    assert_refused("{\"location\":\"\xf4\x90\x80\x80\"}", "location", "UTF-8"); /* past U+10FFFF */
}

static void test_location_may_hold_semicolons_and_keeps_them_through_the_file(void **state)
{
    (void)state;
    struct devsettings s, back;
    char ini[GH_DEVSET_FILE_MAX];
    size_t len;
    assert_int_equal(put(&s, "{\"location\":\"Hall 3; rack 7 # top\",\"contact\":\"Zoë <ops@example.com>\"}"), 0);
    assert_int_equal(devset_render_ini(&s, ini, sizeof ini, &len, &err), 0);
    assert_int_equal(devset_parse_ini(&back, ini, len, &err), 0);
    assert_string_equal(back.location, "Hall 3; rack 7 # top");
    assert_string_equal(back.contact, "Zoë <ops@example.com>");
}

/* ---- the JSON body ---- */

static void test_json_changes_only_the_fields_it_names(void **state)
{
    (void)state;
    struct devsettings s;
    devset_defaults(&s);
    snprintf(s.contact, sizeof s.contact, "kept");
    s.ntp_count = 1;
    snprintf(s.ntp_servers[0], sizeof s.ntp_servers[0], "old.example");
    const char *body = " {\n \"hostname\" : \"gw-7\", \"ntp_servers\": [ \"a.example\" , \"192.0.2.1\" ] }\n";
    assert_int_equal(devset_apply_json(&s, body, strlen(body), field, sizeof field, &err), 0);
    assert_string_equal(s.hostname, "gw-7");
    assert_string_equal(s.contact, "kept");
    assert_int_equal(s.ntp_count, 2);
    assert_string_equal(s.ntp_servers[0], "a.example");
    assert_string_equal(s.ntp_servers[1], "192.0.2.1");
    body = "{\"ntp_servers\":[]}";
    assert_int_equal(devset_apply_json(&s, body, strlen(body), field, sizeof field, &err), 0);
    assert_int_equal(s.ntp_count, 0);
}

static void test_unknown_field_is_refused_naming_it(void **state)
{
    (void)state;
    assert_refused("{\"hostname\":\"gw\",\"timezone\":\"UTC\"}", "timezone", "unknown field \"timezone\"");
    assert_refused("{\"Hostname\":\"gw\"}", "Hostname", "unknown field");
}

static void test_duplicate_field_is_refused_naming_it(void **state)
{
    (void)state;
    assert_refused("{\"hostname\":\"a\",\"contact\":\"x\",\"hostname\":\"b\"}", "hostname", "twice");
    assert_refused("{\"ntp_servers\":[],\"ntp_servers\":[]}", "ntp_servers", "twice");
}

static void test_wrong_value_types_are_refused_naming_the_field(void **state)
{
    (void)state;
    assert_refused("{\"hostname\":5}", "hostname", "must be a string");
    assert_refused("{\"hostname\":null}", "hostname", "must be a string");
    assert_refused("{\"location\":true}", "location", "must be a string");
    assert_refused("{\"contact\":{\"a\":\"b\"}}", "contact", "must be a string");
    assert_refused("{\"hostname\":[\"gw\"]}", "hostname", "must be a string");
    assert_refused("{\"ntp_servers\":\"pool.ntp.org\"}", "ntp_servers", "array of strings");
    assert_refused("{\"ntp_servers\":[1]}", "ntp_servers", "array of strings");
    assert_refused("{\"ntp_servers\":[[\"a\"]]}", "ntp_servers", "array of strings");
}

static void test_every_truncation_of_a_good_body_is_refused(void **state)
{
    (void)state;
    const char *body = "{\"hostname\":\"gw-1\",\"location\":\"H\\u00e9ll\",\"ntp_servers\":[\"a.example\",\"b.example\"]}";
    struct devsettings s;
    size_t n = strlen(body);
    for (size_t cut = 0; cut < n; cut++) {
        devset_defaults(&s);
        if (devset_apply_json(&s, body, cut, field, sizeof field, &err) == 0)
            fail_msg("the first %zu bytes were accepted: %.*s", cut, (int)cut, body);
    }
    devset_defaults(&s);
    assert_int_equal(devset_apply_json(&s, body, n, field, sizeof field, &err), 0);
    assert_string_equal(s.location, "H\xc3\xa9ll");
}

static void test_broken_json_is_refused_without_a_field(void **state)
{
    (void)state;
    assert_refused("", "", "empty");
    assert_refused("   ", "", "empty");
    assert_refused("[\"hostname\"]", "", "JSON object");
    assert_refused("\"gw\"", "", "JSON object");
    assert_refused("{\"hostname\":\"gw\"} x", "", "after the object");
    assert_refused("{\"hostname\":\"gw\"}{}", "", "after the object");
    assert_refused("{\"hostname\":\"gw\",}", "", "field name");
    assert_refused("{hostname:\"gw\"}", "", "field name");
    assert_refused("{\"hostname\" \"gw\"}", "", "':'");
    assert_refused("{\"hostname\":\"gw\" \"location\":\"x\"}", "", "','");
    assert_refused("{'hostname':'gw'}", "", "field name");
    assert_refused("{\"location\":\"a\tb\"}", "location", "raw control character");
}

static void test_json_escapes_are_decoded(void **state)
{
    (void)state;
    struct devsettings s;
    assert_int_equal(put(&s, "{\"location\":\"R\\u00e4um 2 \\/ \\\"A\\\" \\\\ \\ud83d\\ude00\"}"), 0);
    assert_string_equal(s.location, "R\xc3\xa4um 2 / \"A\" \\ \xf0\x9f\x98\x80");
    assert_refused("{\"location\":\"\\ud83d\"}", "location", "surrogate");
    assert_refused("{\"location\":\"\\ude00\"}", "location", "surrogate");
    assert_refused("{\"location\":\"a\\u0000b\"}", "location", "NUL");
    assert_refused("{\"location\":\"\\x41\"}", "location", "escape");
    assert_refused("{\"location\":\"\\u12\"}", "location", "four hex");
}

static void test_text_is_trimmed(void **state)
{
    (void)state;
    struct devsettings s;
    assert_int_equal(put(&s, "{\"location\":\"  Hall 3  \",\"contact\":\" \"}"), 0);
    assert_string_equal(s.location, "Hall 3");
    assert_string_equal(s.contact, "");
}

/* ---- settings.ini ---- */

static int parse(struct devsettings *s, const char *text)
{
    gh_error_clear(&err);
    return devset_parse_ini(s, text, strlen(text), &err);
}

static void test_settings_ini_is_read_with_comments_crlf_and_bom(void **state)
{
    (void)state;
    struct devsettings s;
    const char *text = "\xef\xbb\xbf; written at the factory\r\n"
                       "# another comment\r\n"
                       "\r\n"
                       "[settings]\r\n"
                       "hostname = gw-9\r\n"
                       "  location =  Hall 3  \r\n"
                       "contact =\r\n"
                       "syslog_server = [2001:db8::10]:514\r\n"
                       "ntp_server = 0.pool.ntp.org\r\n"
                       "ntp_server = 192.0.2.123\r\n";
    assert_int_equal(parse(&s, text), 0);
    assert_string_equal(s.hostname, "gw-9");
    assert_string_equal(s.location, "Hall 3");
    assert_string_equal(s.contact, "");
    assert_string_equal(s.syslog_server, "[2001:db8::10]:514");
    assert_int_equal(s.ntp_count, 2);
    assert_string_equal(s.ntp_servers[1], "192.0.2.123");
}

static void test_settings_ini_errors_name_the_line(void **state)
{
    (void)state;
    struct devsettings s;
    char line[300];
    assert_int_equal(parse(&s, "[settings]\nhostname = gw\nhostname = gw2\n"), GH_E_INVALID);
    assert_int_equal(err.line, 3);
    assert_string_equal(err.file, "settings.ini");
    assert_int_equal(parse(&s, "[settings]\n\ncolour = blue\n"), GH_E_INVALID);
    assert_int_equal(err.line, 3);
    assert_non_null(strstr(err.msg, "unknown key `colour`"));
    assert_int_equal(parse(&s, "hostname = gw\n"), GH_E_INVALID);
    assert_int_equal(err.line, 1);
    assert_int_equal(parse(&s, "[network]\n"), GH_E_INVALID);
    assert_int_equal(parse(&s, "[settings]\nhostname\n"), GH_E_INVALID);
    assert_int_equal(parse(&s, "[settings]\nlocation = a\nhostname = gw_1\n"), GH_E_INVALID);
    gh_error_format(&err, line, sizeof line);
    assert_string_equal(line, "settings.ini:3: hostname: holds '_' at character 3; a host name has only "
                              "letters, digits, '-' and dots");
    assert_int_equal(parse(&s, "[settings]\nntp_server = a\nntp_server = b\nntp_server = c\n"
                               "ntp_server = d\nntp_server = e\n"), GH_E_INVALID);
    assert_int_equal(err.line, 6);
}

static void test_settings_ini_with_a_nul_byte_is_refused(void **state)
{
    (void)state;
    struct devsettings s;
    static const char text[] = "[settings]\nhostname = gw\0x\n";
    assert_int_equal(devset_parse_ini(&s, text, sizeof text - 1, &err), GH_E_INVALID);
    assert_int_equal(err.line, 2);
}

static void test_the_largest_settings_fit_the_file_and_come_back_unchanged(void **state)
{
    (void)state;
    struct devsettings s, back;
    char ini[GH_DEVSET_FILE_MAX];
    size_t len;
    devset_defaults(&s);
    make_name(s.hostname, GH_DEVSET_HOSTNAME_MAX);
    for (int i = 0; i < GH_DEVSET_TEXT_CHARS; i++) {
        memcpy(s.location + 4 * i, "\xf0\x9f\x98\x80", 4);
        memcpy(s.contact + 4 * i, "\xf0\x9f\x8c\x8d", 4);
    }
    snprintf(s.syslog_server, sizeof s.syslog_server, "%s:65535", s.hostname);
    assert_int_equal(devset_check_server(s.syslog_server, 1, &err), 0);
    s.ntp_count = GH_DEVSET_NTP_MAX;
    for (int i = 0; i < GH_DEVSET_NTP_MAX; i++) {
        snprintf(s.ntp_servers[i], sizeof s.ntp_servers[i], "%s", s.hostname);
        s.ntp_servers[i][0] = (char)('a' + i);
    }
    assert_int_equal(devset_render_ini(&s, ini, sizeof ini, &len, &err), 0);
    assert_int_equal(devset_parse_ini(&back, ini, len, &err), 0);
    assert_memory_equal(&s, &back, sizeof s);
}

static void test_a_file_too_small_for_the_settings_is_reported(void **state)
{
    (void)state;
    struct devsettings s;
    char ini[64];
    size_t len;
    devset_defaults(&s);
    assert_int_equal(devset_render_ini(&s, ini, sizeof ini, &len, &err), GH_E_CAPACITY);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_settings_have_hostname_gatehouse_and_nothing_else),
        cmocka_unit_test(test_hostname_with_underscore_is_refused_naming_the_character),
        cmocka_unit_test(test_hostname_with_space_or_control_character_is_refused),
        cmocka_unit_test(test_hostname_label_over_63_characters_is_refused),
        cmocka_unit_test(test_hostname_of_253_characters_is_accepted_and_254_refused),
        cmocka_unit_test(test_hostname_with_empty_label_or_dash_at_an_end_is_refused),
        cmocka_unit_test(test_all_numeric_hostname_is_refused),
        cmocka_unit_test(test_servers_may_be_names_ipv4_or_ipv6),
        cmocka_unit_test(test_syslog_server_may_carry_a_port),
        cmocka_unit_test(test_ntp_server_with_a_port_is_refused_naming_its_position),
        cmocka_unit_test(test_more_than_four_ntp_servers_are_refused),
        cmocka_unit_test(test_location_with_control_characters_is_refused),
        cmocka_unit_test(test_location_of_128_characters_is_accepted_and_129_refused),
        cmocka_unit_test(test_overlong_text_is_refused_naming_the_field),
        cmocka_unit_test(test_text_that_is_not_utf8_is_refused),
        cmocka_unit_test(test_location_may_hold_semicolons_and_keeps_them_through_the_file),
        cmocka_unit_test(test_json_changes_only_the_fields_it_names),
        cmocka_unit_test(test_unknown_field_is_refused_naming_it),
        cmocka_unit_test(test_duplicate_field_is_refused_naming_it),
        cmocka_unit_test(test_wrong_value_types_are_refused_naming_the_field),
        cmocka_unit_test(test_every_truncation_of_a_good_body_is_refused),
        cmocka_unit_test(test_broken_json_is_refused_without_a_field),
        cmocka_unit_test(test_json_escapes_are_decoded),
        cmocka_unit_test(test_text_is_trimmed),
        cmocka_unit_test(test_settings_ini_is_read_with_comments_crlf_and_bom),
        cmocka_unit_test(test_settings_ini_errors_name_the_line),
        cmocka_unit_test(test_settings_ini_with_a_nul_byte_is_refused),
        cmocka_unit_test(test_the_largest_settings_fit_the_file_and_come_back_unchanged),
        cmocka_unit_test(test_a_file_too_small_for_the_settings_is_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
