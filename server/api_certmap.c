/* GET and PUT /api/certmap: the active mapping table, and field provisioning
 * (CONTRACT.md section 5). An upload is validated exactly as `gatehouse
 * check` does, refused whole on any error, and otherwise committed to flash
 * atomically and made active without a restart. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "log.h"
#include "roles.h"
#include "routes.h"

int api_certmap_get(struct gh_request *rq)
{
    http_send(rq->mc, 200, "text/plain; charset=utf-8", rq->cfg->certmap_text,
              rq->cfg->certmap_len, HTTP_API, NULL, rq->head);
    return 200;
}

/* One check at a time: the table being checked is large. The body is read
 * into the worker's own answer buffer before this lock is taken, and the
 * answer is sent after it is released, so the lock never waits on the
 * network. */
static pthread_mutex_t upload_lock_ = PTHREAD_MUTEX_INITIALIZER;
static struct certmap scratch_;

_Static_assert(GH_CERTMAP_MAX_BYTES <= sizeof ((struct gh_conn *)0)->out,
               "an upload body is read into the worker's answer buffer");

struct outcome {
    int status;
    int nerrs;
    struct gh_error errs[1];           /* 400 */
    struct certmap_decision d;         /* 409: what the uploader would be */
    struct gh_error err;               /* 409/500/503: the commit's error */
    unsigned count;                    /* 200 */
    uint32_t flash_gen;
};

static void check_and_commit(struct gh_request *rq, const char *body, size_t n, int force,
                             struct outcome *o)
{
    if (certmap_load(&scratch_, "certmap.ini", body, n, o->errs, 1, &o->nerrs) != 0) {
        o->status = 400;
        return;
    }
    /* Would the uploader lock themselves out? */
    certmap_decide(&scratch_, &rq->cn->id, &o->d, NULL, NULL);
    if (!(o->d.result == CERTMAP_ALLOW && o->d.role == GH_ROLE_ADMIN) && !force) {
        o->status = 409;
        return;
    }
    o->count = scratch_.count;
    struct flash_file f = {"certmap.ini", body, n};
    gh_error_clear(&o->err);
    int rc = config_commit(&f, 1, &o->flash_gen, &o->err);
    o->status = config_commit_status(rc, &o->err);
}

static int busy(struct gh_request *rq, uint32_t gen, int status, const char *msg)
{
    return routes_refuse_busy(rq, "certmap", gen, status, msg);
}

int api_certmap_put(struct gh_request *rq)
{
    char msg[600];
    struct json j;
    struct outcome o;
    uint32_t gen = routes_drop_config(rq);
    char *body = rq->cn->out;
    long n = http_read_body(rq->mc, body, GH_CERTMAP_MAX_BYTES);
    if (n == -413) {
        snprintf(msg, sizeof msg, "The mapping table is larger than %d bytes.", GH_CERTMAP_MAX_BYTES);
        routes_audit_provision(rq, "certmap", 413, gen, "refused: body over the limit");
        return http_error(rq->mc, 413, 1, NULL, msg, NULL, 0);
    }
    if (n < 0) {
        routes_audit_provision(rq, "certmap", 400, gen, "refused: incomplete body");
        return http_error(rq->mc, 400, 1, NULL, "The request body is incomplete.", NULL, 0);
    }
    const char *qs = rq->ri->query_string;
    char force[8] = "";
    if (qs)
        mg_get_var(qs, strlen(qs), "force", force, sizeof force);

    if (config_lock_bounded(&upload_lock_, GH_CHANGE_WAIT_MS))
        return busy(rq, gen, 409, CONFIG_ANOTHER_CHANGE);
    memset(&o, 0, sizeof o);
    check_and_commit(rq, body, (size_t)n, strcmp(force, "1") == 0, &o);
    pthread_mutex_unlock(&upload_lock_);

    json_init(&j, rq->cn->out, sizeof rq->cn->out);   /* the body is no longer needed */
    json_obj_open(&j, NULL);
    switch (o.status) {
    case 400: {
        char line[400];
        gh_error_format(&o.errs[0], line, sizeof line);
        gh_error_json(&j, &o.errs[0], o.nerrs);
        json_obj_close(&j);
        snprintf(msg, sizeof msg, "refused: %s", line);
        routes_audit_provision(rq, "certmap", 400, gen, msg);
        return http_send_json(rq, 400, &j);
    }
    case 409: {
        if (o.err.msg[0])
            return busy(rq, gen, 409, o.err.msg);
        const char *now = o.d.result == CERTMAP_ALLOW ? gh_role_name(o.d.role)
                        : o.d.result == CERTMAP_DENY ? "denied" : "not mapped";
        snprintf(msg, sizeof msg,
                 "Under this table your certificate would be %s, not admin: you would lock "
                 "yourself out. Add ?force=1 to upload it anyway.", now);
        json_str(&j, "error", msg);
        json_str(&j, "reason", "would-lose-admin");
        json_str(&j, "role_after", o.d.result == CERTMAP_ALLOW ? gh_role_name(o.d.role) : NULL);
        json_str(&j, "mapping_after", o.d.mapping[0] ? o.d.mapping : NULL);
        json_obj_close(&j);
        routes_audit_provision(rq, "certmap", 409, gen, "refused: the uploader would lose admin");
        return http_send_json(rq, 409, &j);
    }
    case 503:
        return busy(rq, gen, 503, o.err.msg);
    case 500: {
        char line[400];
        gh_error_format(&o.err, line, sizeof line);   /* names the file */
        snprintf(msg, sizeof msg, "The table is valid, but it could not be committed (nothing "
                 "changed): %s", line);
        routes_audit_provision(rq, "certmap", 500, gen, msg);
        gh_log(GH_LOG_ERR, "provisioning: %s", msg);
        return http_error(rq->mc, 500, 1, NULL, msg, NULL, 0);
    }
    default:
        break;
    }
    json_int(&j, "mappings", o.count);
    json_int(&j, "generation", o.flash_gen);
    json_obj_close(&j);
    snprintf(msg, sizeof msg, "accepted: %u mappings%s", o.count,
             strcmp(force, "1") == 0 ? " (force=1)" : "");
    routes_audit_provision(rq, "certmap", 200, o.flash_gen, msg);
    return http_send_json(rq, 200, &j);
}
