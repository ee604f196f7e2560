/* GET and PUT /api/settings: the device's operational settings, settings.ini
 * in flash (server/devsettings.h). A PUT is validated whole, then committed
 * to flash atomically like a mapping table; fields it does not name keep
 * their values. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "devsettings.h"
#include "json.h"
#include "log.h"
#include "routes.h"

#define SETTINGS_FILE "settings.ini"

/* One writer at a time, so that a PUT starts from the file the previous PUT
 * wrote. Readers do not take it, and a writer takes it only once its body is
 * in (into the worker's answer buffer), and gives it back before answering:
 * nobody waits on another's network I/O. */
static pthread_mutex_t lock_ = PTHREAD_MUTEX_INITIALIZER;

_Static_assert(GH_DEVSET_BODY_MAX <= sizeof ((struct gh_conn *)0)->out,
               "a settings body is read into the worker's answer buffer");

/* settings.ini from flash into s; the defaults when the flash has none.
 * file: GH_DEVSET_FILE_MAX bytes of the caller's. */
static int load_current(struct devsettings *s, char *file_, struct gh_error *err)
{
    size_t len = 0;
    int rc = config_read_file(SETTINGS_FILE, file_, GH_DEVSET_FILE_MAX, &len, err);
    if (rc == GH_E_NOTFOUND) {
        gh_error_clear(err);
        devset_defaults(s);
        return 0;
    }
    if (rc == GH_E_CAPACITY)
        return gh_error_set(err, rc, "%s is larger than the %d bytes allowed", SETTINGS_FILE,
                            GH_DEVSET_FILE_MAX);
    if (rc)
        return rc;
    return devset_parse_ini(s, file_, len, err);
}

static int send_settings(struct gh_request *rq, const struct devsettings *s, long long generation)
{
    struct json j;
    json_init(&j, rq->cn->out, sizeof rq->cn->out);
    json_obj_open(&j, NULL);
    devset_to_json(s, &j);
    if (generation >= 0)
        json_int(&j, "generation", generation);
    json_obj_close(&j);
    return http_send_json(rq, 200, &j);
}

int api_settings_get(struct gh_request *rq)
{
    struct devsettings s;
    struct gh_error err;
    char line[400], msg[440], file[GH_DEVSET_FILE_MAX];
    gh_error_clear(&err);
    int rc = load_current(&s, file, &err);
    if (rc) {
        gh_error_format(&err, line, sizeof line);
        snprintf(msg, sizeof msg, "The settings in flash cannot be read: %s", line);
        snprintf(rq->audit->detail, sizeof rq->audit->detail, "%s", line);
        return http_error(rq->mc, 500, 1, NULL, msg, NULL, rq->head);
    }
    return send_settings(rq, &s, -1);
}

struct outcome {
    int status;
    struct devsettings s;
    char field[48];
    struct gh_error err;
    uint32_t gen;
    int commit_failed;                 /* 500 from the flash, not from rendering */
};

/* Read-modify-write of settings.ini; lock_ held, no network I/O. */
static void apply_locked(const char *body, size_t n, struct outcome *o)
{
    static char file[GH_DEVSET_FILE_MAX];   /* lock_ guards it */
    /* A broken settings.ini (hand-written at the factory) must not lock out
     * the fix: start from the defaults, and the body replaces what it names. */
    if (load_current(&o->s, file, &o->err) != 0) {
        char line[400];
        gh_error_format(&o->err, line, sizeof line);
        gh_log(GH_LOG_WARN, "PUT /api/settings: the settings in flash are unreadable (%s); "
                            "starting from the defaults", line);
        devset_defaults(&o->s);
        gh_error_clear(&o->err);
    }
    if (devset_apply_json(&o->s, body, n, o->field, sizeof o->field, &o->err) != 0) {
        o->status = 400;
        return;
    }
    size_t len = 0;
    if (devset_render_ini(&o->s, file, sizeof file, &len, &o->err) != 0) {
        o->status = 500;
        return;
    }
    struct flash_file f = {SETTINGS_FILE, file, len};
    int rc = config_commit(&f, 1, &o->gen, &o->err);
    o->commit_failed = rc != 0 && rc != GH_E_BUSY;
    o->status = config_commit_status(rc, &o->err);
}

static int busy(struct gh_request *rq, uint32_t gen, int status, const char *msg)
{
    return routes_refuse_busy(rq, "settings", gen, status, msg);
}

int api_settings_put(struct gh_request *rq)
{
    struct outcome o;
    char msg[600], line[400];
    uint32_t gen = routes_drop_config(rq);
    char *body = rq->cn->out;
    long n = http_read_body(rq->mc, body, GH_DEVSET_BODY_MAX);
    if (n == -413) {
        snprintf(msg, sizeof msg, "The settings are larger than %d bytes.", GH_DEVSET_BODY_MAX);
        routes_audit_provision(rq, "settings", 413, gen, "refused: body over the limit");
        return http_error(rq->mc, 413, 1, NULL, msg, NULL, 0);
    }
    if (n < 0) {
        routes_audit_provision(rq, "settings", 400, gen, "refused: incomplete body");
        return http_error(rq->mc, 400, 1, NULL, "The request body is incomplete.", NULL, 0);
    }

    if (config_lock_bounded(&lock_, GH_CHANGE_WAIT_MS))
        return busy(rq, gen, 409, CONFIG_ANOTHER_CHANGE);
    memset(&o, 0, sizeof o);
    gh_error_clear(&o.err);
    o.gen = gen;
    apply_locked(body, (size_t)n, &o);
    pthread_mutex_unlock(&lock_);

    switch (o.status) {
    case 400: {
        struct json j;
        json_init(&j, rq->cn->out, sizeof rq->cn->out);
        json_obj_open(&j, NULL);
        json_str(&j, "error", o.err.msg);
        json_str(&j, "field", o.field[0] ? o.field : NULL);
        json_obj_close(&j);
        snprintf(msg, sizeof msg, "refused: %s", o.err.msg);
        routes_audit_provision(rq, "settings", 400, gen, msg);
        return http_send_json(rq, 400, &j);
    }
    case 409:
    case 503:
        return busy(rq, gen, o.status, o.err.msg);
    case 500:
        if (!o.commit_failed) {
            routes_audit_provision(rq, "settings", 500, gen, o.err.msg);
            return http_error(rq->mc, 500, 1, NULL, o.err.msg, NULL, 0);
        }
        gh_error_format(&o.err, line, sizeof line);   /* names the file */
        snprintf(msg, sizeof msg, "The settings are valid, but they could not be committed "
                 "(nothing changed): %s", line);
        routes_audit_provision(rq, "settings", 500, gen, msg);
        gh_log(GH_LOG_ERR, "settings: %s", msg);
        return http_error(rq->mc, 500, 1, NULL, msg, NULL, 0);
    default:
        break;
    }
    snprintf(msg, sizeof msg, "accepted: hostname %s", o.s.hostname);
    routes_audit_provision(rq, "settings", 200, o.gen, msg);
    return send_settings(rq, &o.s, o.gen);
}
