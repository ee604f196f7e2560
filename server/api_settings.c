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

/* One reader or writer at a time: the buffers are shared, and a PUT must
 * start from the file the previous PUT wrote. */
static pthread_mutex_t lock_ = PTHREAD_MUTEX_INITIALIZER;
static char file_[GH_DEVSET_FILE_MAX];
static char body_[GH_DEVSET_BODY_MAX];

/* settings.ini from flash into s; the defaults when the flash has none. */
static int load_current(struct devsettings *s, struct gh_error *err)
{
    size_t len = 0;
    int rc = config_read_file(SETTINGS_FILE, file_, sizeof file_, &len, err);
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
    char line[400], msg[440];
    gh_error_clear(&err);
    pthread_mutex_lock(&lock_);
    int rc = load_current(&s, &err);
    pthread_mutex_unlock(&lock_);
    if (rc) {
        gh_error_format(&err, line, sizeof line);
        snprintf(msg, sizeof msg, "The settings in flash cannot be read: %s", line);
        snprintf(rq->audit->detail, sizeof rq->audit->detail, "%s", line);
        return http_error(rq->mc, 500, 1, NULL, msg, NULL, rq->head);
    }
    return send_settings(rq, &s, -1);
}

static int put_locked(struct gh_request *rq)
{
    struct devsettings s;
    struct gh_error err;
    char field[48], msg[300];
    uint32_t gen = rq->cfg->flash_generation;
    long n = http_read_body(rq->mc, body_, sizeof body_);
    gh_error_clear(&err);
    if (n == -413) {
        snprintf(msg, sizeof msg, "The settings are larger than %d bytes.", GH_DEVSET_BODY_MAX);
        routes_audit_provision(rq, "settings", 413, gen, "refused: body over the limit");
        return http_error(rq->mc, 413, 1, NULL, msg, NULL, 0);
    }
    if (n < 0) {
        routes_audit_provision(rq, "settings", 400, gen, "refused: incomplete body");
        return http_error(rq->mc, 400, 1, NULL, "The request body is incomplete.", NULL, 0);
    }

    /* A broken settings.ini (hand-written at the factory) must not lock out
     * the fix: start from the defaults, and the body replaces what it names. */
    if (load_current(&s, &err) != 0) {
        char line[400];
        gh_error_format(&err, line, sizeof line);
        gh_log(GH_LOG_WARN, "PUT /api/settings: the settings in flash are unreadable (%s); "
                            "starting from the defaults", line);
        devset_defaults(&s);
        gh_error_clear(&err);
    }
    if (devset_apply_json(&s, body_, (size_t)n, field, sizeof field, &err) != 0) {
        struct json j;
        json_init(&j, rq->cn->out, sizeof rq->cn->out);
        json_obj_open(&j, NULL);
        json_str(&j, "error", err.msg);
        json_str(&j, "field", field[0] ? field : NULL);
        json_obj_close(&j);
        snprintf(msg, sizeof msg, "refused: %s", err.msg);
        routes_audit_provision(rq, "settings", 400, gen, msg);
        return http_send_json(rq, 400, &j);
    }

    size_t len = 0;
    if (devset_render_ini(&s, file_, sizeof file_, &len, &err) != 0) {
        routes_audit_provision(rq, "settings", 500, gen, err.msg);
        return http_error(rq->mc, 500, 1, NULL, err.msg, NULL, 0);
    }
    struct flash_file f = {SETTINGS_FILE, file_, len};
    if (config_commit(&f, 1, &gen, &err) != 0) {
        snprintf(msg, sizeof msg, "The settings are valid, but they could not be committed: %s",
                 err.msg);
        routes_audit_provision(rq, "settings", 500, rq->cfg->flash_generation, msg);
        gh_log(GH_LOG_ERR, "settings: %s", msg);
        return http_error(rq->mc, 500, 1, NULL, msg, NULL, 0);
    }
    snprintf(msg, sizeof msg, "accepted: hostname %s", s.hostname);
    routes_audit_provision(rq, "settings", 200, gen, msg);
    return send_settings(rq, &s, gen);
}

int api_settings_put(struct gh_request *rq)
{
    pthread_mutex_lock(&lock_);
    int status = put_locked(rq);
    pthread_mutex_unlock(&lock_);
    return status;
}
