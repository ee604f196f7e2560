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

/* One upload at a time: the body and the table being checked are large. */
static pthread_mutex_t upload_lock_ = PTHREAD_MUTEX_INITIALIZER;
static char body_[GH_CERTMAP_MAX_BYTES];
static struct certmap scratch_;


static int put_locked(struct gh_request *rq)
{
    struct gh_error errs[1];
    int nerrs = 0;
    char msg[256];
    struct json j;
    long n = http_read_body(rq->mc, body_, sizeof body_);
    if (n == -413) {
        snprintf(msg, sizeof msg, "The mapping table is larger than %d bytes.", GH_CERTMAP_MAX_BYTES);
        routes_audit_provision(rq, "certmap", 413, rq->cfg->flash_generation, "refused: body over the limit");
        return http_error(rq->mc, 413, 1, NULL, msg, NULL, 0);
    }
    if (n < 0) {
        routes_audit_provision(rq, "certmap", 400, rq->cfg->flash_generation, "refused: incomplete body");
        return http_error(rq->mc, 400, 1, NULL, "The request body is incomplete.", NULL, 0);
    }

    if (certmap_load(&scratch_, "certmap.ini", body_, (size_t)n, errs, 1, &nerrs) != 0) {
        char line[400];
        gh_error_format(&errs[0], line, sizeof line);
        json_init(&j, rq->cn->out, sizeof rq->cn->out);
        json_obj_open(&j, NULL);
        gh_error_json(&j, &errs[0], nerrs);
        json_obj_close(&j);
        snprintf(msg, sizeof msg, "refused: %s", line);
        routes_audit_provision(rq, "certmap", 400, rq->cfg->flash_generation, msg);
        return http_send_json(rq, 400, &j);
    }

    /* Would the uploader lock themselves out? */
    struct certmap_decision d;
    certmap_decide(&scratch_, &rq->cn->id, &d, NULL, NULL);
    const char *qs = rq->ri->query_string;
    char force[8] = "";
    if (qs)
        mg_get_var(qs, strlen(qs), "force", force, sizeof force);
    if (!(d.result == CERTMAP_ALLOW && d.role == GH_ROLE_ADMIN) && strcmp(force, "1") != 0) {
        const char *now = d.result == CERTMAP_ALLOW ? gh_role_name(d.role)
                        : d.result == CERTMAP_DENY ? "denied" : "not mapped";
        snprintf(msg, sizeof msg,
                 "Under this table your certificate would be %s, not admin: you would lock "
                 "yourself out. Add ?force=1 to upload it anyway.", now);
        json_init(&j, rq->cn->out, sizeof rq->cn->out);
        json_obj_open(&j, NULL);
        json_str(&j, "error", msg);
        json_str(&j, "reason", "would-lose-admin");
        json_str(&j, "role_after", d.result == CERTMAP_ALLOW ? gh_role_name(d.role) : NULL);
        json_str(&j, "mapping_after", d.mapping[0] ? d.mapping : NULL);
        json_obj_close(&j);
        routes_audit_provision(rq, "certmap", 409, rq->cfg->flash_generation, "refused: the uploader would lose admin");
        return http_send_json(rq, 409, &j);
    }

    struct flash_file f = {"certmap.ini", body_, (size_t)n};
    struct gh_error err;
    uint32_t flash_gen = 0;
    gh_error_clear(&err);
    if (config_commit(&f, 1, &flash_gen, &err) != 0) {
        snprintf(msg, sizeof msg, "The table is valid, but it could not be committed: %s", err.msg);
        routes_audit_provision(rq, "certmap", 500, rq->cfg->flash_generation, msg);
        gh_log(GH_LOG_ERR, "provisioning: %s", msg);
        return http_error(rq->mc, 500, 1, NULL, msg, NULL, 0);
    }
    json_init(&j, rq->cn->out, sizeof rq->cn->out);
    json_obj_open(&j, NULL);
    json_int(&j, "mappings", scratch_.count);
    json_int(&j, "generation", flash_gen);
    json_obj_close(&j);
    snprintf(msg, sizeof msg, "accepted: %u mappings%s", scratch_.count,
             strcmp(force, "1") == 0 ? " (force=1)" : "");
    routes_audit_provision(rq, "certmap", 200, flash_gen, msg);
    return http_send_json(rq, 200, &j);
}

int api_certmap_put(struct gh_request *rq)
{
    pthread_mutex_lock(&upload_lock_);
    int status = put_locked(rq);
    pthread_mutex_unlock(&upload_lock_);
    return status;
}
