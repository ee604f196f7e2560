/* The audit trail (server/audit.c), built with tiny budgets: a request ring of
 * 8, a security ring of 4, a summary table of 2 keys and a 1-second interval
 * (tests/CMakeLists.txt), so that each limit is reached in a few records. The
 * log lines are read back from stderr, which the test points at a file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "log.h"

static char log_path_[] = "/tmp/gh-test-audit-XXXXXX";
static char json_[64 * 1024];

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* everything written to the log so far */
static const char *log_text(void)
{
    static char buf[64 * 1024];
    FILE *f = fopen(log_path_, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static struct audit_record req(const char *route, int status)
{
    struct audit_record r;
    memset(&r, 0, sizeof r);
    r.kind = AUDIT_REQUEST;
    r.status = status;
    r.has_cert = 1;
    memset(r.sha256, 0xab, sizeof r.sha256);
    snprintf(r.subject, sizeof r.subject, "CN=Test");
    snprintf(r.method, sizeof r.method, "GET");
    snprintf(r.route, sizeof r.route, "%s", route);
    snprintf(r.reason, sizeof r.reason, status < 400 ? "ok" : "role-forbidden");
    snprintf(r.peer, sizeof r.peer, "127.0.0.1");
    return r;
}

static int json_of(int filter)
{
    int n = audit_json(json_, sizeof json_, 0, 0, filter);
    assert_true(n > 0);
    return count(json_, "\"seq\":");
}

static void filter_names(void **state)
{
    (void)state;
    assert_int_equal(audit_filter("all"), AUDIT_ALL);
    assert_int_equal(audit_filter("security"), AUDIT_SECURITY);
    assert_int_equal(audit_filter("request"), AUDIT_REQUEST);
    assert_int_equal(audit_filter("handshake"), AUDIT_HANDSHAKE);
    assert_int_equal(audit_filter("provision"), AUDIT_PROVISION);
    assert_int_equal(audit_filter("reload"), AUDIT_RELOAD);
    assert_int_equal(audit_filter("warning"), AUDIT_WARNING);
    assert_int_equal(audit_filter("bogus"), -1);
    assert_int_equal(audit_filter(""), -1);
    assert_int_equal(audit_filter("Security"), -1);
}

/* Runs first: the rings are empty. */
static void requests_never_push_out_security_records(void **state)
{
    (void)state;
    audit_note(AUDIT_RELOAD, "ok", 1, "first reload");
    struct audit_record r = req("/api/audit", 403);
    audit_add(&r);
    for (int i = 0; i < 100; i++) {
        r = req("/api/whoami", 200);
        audit_add(&r);
    }
    assert_int_equal(json_of(AUDIT_SECURITY), 2);
    assert_true(strstr(json_, "\"detail\":\"first reload\"") != NULL);
    assert_true(strstr(json_, "\"status\":403") != NULL);
    assert_int_equal(json_of(AUDIT_ALL), 8 + 2);   /* both rings, merged */
    assert_int_equal(json_of(AUDIT_RELOAD), 1);
    assert_int_equal(json_of(AUDIT_REQUEST), 8 + 1);   /* allowed and refused requests */
    assert_int_equal(json_of(AUDIT_WARNING), 0);

    /* newest first across the two rings: the 403 (seq 2) comes after
     * (below) the flood's records and before the reload (seq 1) */
    json_of(AUDIT_ALL);
    const char *p403 = strstr(json_, "\"seq\":2,"), *p1 = strstr(json_, "\"seq\":1,");
    assert_non_null(p403);
    assert_non_null(p1);
    assert_true(strstr(json_, "\"seq\":102,") < p403 && p403 < p1);

    /* the security ring turns over only by security records */
    for (int i = 0; i < 4; i++)
        audit_warning("a warning", 9);
    assert_int_equal(json_of(AUDIT_SECURITY), 4);
    assert_null(strstr(json_, "first reload"));
    assert_int_equal(json_of(AUDIT_WARNING), 4);
    assert_int_equal(audit_count(), 106);

    /* since and limit */
    audit_json(json_, sizeof json_, 104, 0, AUDIT_SECURITY);
    assert_int_equal(count(json_, "\"seq\":"), 2);
    audit_json(json_, sizeof json_, 0, 3, AUDIT_ALL);
    assert_int_equal(count(json_, "\"seq\":"), 3);
}

static void repeats_are_summarised(void **state)
{
    (void)state;
    audit_flush();   /* a fresh interval */
    off_t before = (off_t)strlen(log_text());
    struct audit_record r;
    for (int i = 0; i < 50; i++) {
        r = req("/api/status", 200);
        audit_add(&r);
    }
    const char *log = log_text() + before;
    assert_int_equal(count(log, "route=\"/api/status\""), 1);   /* the first, in full */
    assert_int_equal(count(log, "audit summary"), 0);

    /* the interval (1 s here) ends: the next record writes the summary */
    struct timespec ts = {1, 200 * 1000 * 1000};
    nanosleep(&ts, NULL);
    r = req("/api/status", 200);
    audit_add(&r);
    log = log_text() + before;
    assert_int_equal(count(log, "audit summary count=49 "), 1);
    assert_int_equal(count(log, "audit seq="), 2);   /* and the new interval's first */

    /* two keys fit the table (/api/status holds one): the others are
     * counted together */
    const char *routes[] = {"/a", "/b", "/c", "/d"};
    for (int k = 0; k < 4; k++)
        for (int i = 0; i < 3; i++) {
            r = req(routes[k], 404);
            audit_add(&r);
        }
    audit_flush();
    log = log_text() + before;
    assert_int_equal(count(log, "route=\"/a\""), 2);   /* in full, then its summary */
    assert_int_equal(count(log, "route=\"/b\""), 0);   /* the table was full */
    assert_int_equal(count(log, "route=\"/d\""), 0);
    assert_true(strstr(log, "audit summary count=9 ") != NULL);   /* /b, /c and /d, 3 each */
    assert_true(strstr(log, "than the summary table holds") != NULL);

    /* a warning is a record, not another line */
    before = (off_t)strlen(log_text());
    gh_log(GH_LOG_WARN, "clock: the time is before the build");
    log = log_text() + before;
    assert_int_equal(count(log, "\n"), 1);
    json_of(AUDIT_WARNING);
    assert_true(strstr(json_, "clock: the time is before the build") != NULL);
}

int main(void)
{
    int fd = mkstemp(log_path_);
    if (fd < 0 || dup2(fd, STDERR_FILENO) < 0)
        return 1;
    close(fd);
    gh_log_open(0, 0);
    gh_log_set_warning_hook(audit_warning);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(filter_names),
        cmocka_unit_test(requests_never_push_out_security_records),
        cmocka_unit_test(repeats_are_summarised),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    if (rc) {   /* cmocka's messages went to the log file too */
        fputs(log_text(), stdout);
        fflush(stdout);
    }
    unlink(log_path_);
    return rc;
}
