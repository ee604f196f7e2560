#include "routes.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "roles.h"
#include "tls.h"
#include "trust.h"

static const char *reason_text(const char *reason)
{
    if (!strcmp(reason, "no-certificate"))
        return "This device only answers clients that present a certificate. Your browser or "
               "client sent none.";
    if (!strcmp(reason, "untrusted"))
        return "Your certificate was not issued by a certificate authority this device trusts.";
    if (!strcmp(reason, "expired"))
        return "Your certificate has expired.";
    if (!strcmp(reason, "not-yet-valid"))
        return "Your certificate is not valid yet (check the clocks).";
    if (!strcmp(reason, "revoked"))
        return "Your certificate has been revoked.";
    if (!strcmp(reason, "revocation-unknown"))
        return "This device cannot check revocation of your certificate right now (no current "
               "CRL), and it is configured to require that check.";
    if (!strcmp(reason, "policy"))
        return "Your certificate does not meet this device's certificate policy.";
    if (!strcmp(reason, "chain-too-deep"))
        return "Your certificate's chain is longer than this device accepts.";
    return "Your certificate could not be accepted.";
}

/* A connection whose trust generation is older than the active one is checked
 * again before it is served (CONTRACT.md section 3). */
static int recheck_trust(struct gh_request *rq)
{
    struct gh_conn *cn = rq->cn;
    if (cn->leaf_der_len == 0) {
        cn->hs_state = GH_HS_REJECTED;
        snprintf(cn->reason, sizeof cn->reason, "bad-certificate");
        snprintf(cn->detail, sizeof cn->detail, "the connection's certificate is not available for re-checking");
        return -1;
    }
    if (trust_recheck(cn, rq->cfg, cn->leaf_der, cn->leaf_der_len) != 0) {
        cn->hs_state = GH_HS_REJECTED;
        return -1;
    }
    cn->trust_gen = rq->cfg->generation;
    return 0;
}

static int dispatch(struct gh_request *rq)
{
    struct gh_conn *cn = rq->cn;
    struct audit_record *ar = rq->audit;
    int api = rq->route.is_api;

    if (cn->hs_state == GH_HS_VERIFIED && cn->trust_gen != rq->cfg->generation)
        recheck_trust(rq);
    if (cn->hs_state != GH_HS_VERIFIED) {
        const char *reason = cn->reason[0] ? cn->reason : "no-certificate";
        snprintf(ar->reason, sizeof ar->reason, "%s", reason);
        snprintf(ar->detail, sizeof ar->detail, "%s", cn->detail);
        return http_error(rq->mc, 403, api, reason, reason_text(reason), NULL, rq->head);
    }

    if (cn->decided_gen != rq->cfg->generation) {
        certmap_decide(&rq->cfg->table, &cn->id, &cn->decision, NULL, NULL);
        cn->decided_gen = rq->cfg->generation;
    }
    snprintf(ar->mapping, sizeof ar->mapping, "%s", cn->decision.mapping);
    if (cn->decision.result != CERTMAP_ALLOW) {
        int denied = cn->decision.result == CERTMAP_DENY;
        const char *reason = denied ? "denied-by-mapping" : "not-mapped";
        char msg[200];
        snprintf(ar->reason, sizeof ar->reason, "%s", reason);
        if (denied)
            snprintf(msg, sizeof msg, "Your certificate is refused by the mapping \"%s\" of this "
                     "device's mapping table.", cn->decision.mapping);
        else
            snprintf(msg, sizeof msg, "Your certificate is valid, but no mapping of this device's "
                     "mapping table gives it a role.");
        return http_error(rq->mc, 403, api, reason, msg, NULL, rq->head);
    }
    snprintf(ar->role, sizeof ar->role, "%s", gh_role_name(cn->decision.role));

    if (rq->route.route == ROUTE_NONE) {
        if (!rq->route.method_ok) {
            char allow[64];
            snprintf(allow, sizeof allow, "Allow: %s\r\n", rq->route.allow);
            snprintf(ar->reason, sizeof ar->reason, "method-not-allowed");
            return http_error(rq->mc, 405, api, NULL, "This method is not allowed here.", allow,
                              rq->head);
        }
        snprintf(ar->reason, sizeof ar->reason, "not-found");
        return http_error(rq->mc, 404, api, NULL, "There is nothing at this address.", NULL, rq->head);
    }
    if (!authz_allows(cn->decision.role, &rq->route)) {
        char msg[160];
        snprintf(ar->reason, sizeof ar->reason, "role-forbidden");
        snprintf(msg, sizeof msg, "Your role (%s) may not use this; it needs %s.",
                 gh_role_name(cn->decision.role), gh_role_name(rq->route.min_role));
        return http_error(rq->mc, 403, api, "role-forbidden", msg, NULL, rq->head);
    }
    snprintf(ar->reason, sizeof ar->reason, "ok");

    switch (rq->route.route) {
    case ROUTE_UI: return ui_serve(rq);
    case ROUTE_WHOAMI: return api_whoami(rq);
    case ROUTE_STATUS: return api_status(rq);
    case ROUTE_CERTMAP_GET: return api_certmap_get(rq);
    case ROUTE_CERTMAP_PUT: return api_certmap_put(rq);
    case ROUTE_AUDIT: return api_audit(rq);
    case ROUTE_SETTINGS_GET: return api_settings_get(rq);
    case ROUTE_SETTINGS_PUT: return api_settings_put(rq);
    default: return http_error(rq->mc, 500, api, NULL, "Unknown route.", NULL, rq->head);
    }
}

void routes_audit_provision(struct gh_request *rq, const char *what, int status, uint32_t gen,
                            const char *detail)
{
    routes_audit_provision_why(rq, what, status, NULL, gen, detail);
}

void routes_audit_provision_why(struct gh_request *rq, const char *what, int status,
                                const char *reason, uint32_t gen, const char *detail)
{
    struct audit_record r = *rq->audit;
    r.kind = AUDIT_PROVISION;
    r.status = status;
    r.generation = gen;
    snprintf(r.reason, sizeof r.reason, "%s", reason ? reason
             : status == 200 ? "ok" : status == 409 ? "would-lose-admin"
             : status == 413 ? "too-large" : status == 400 ? "invalid" : "commit-failed");
    snprintf(r.detail, sizeof r.detail, "%s: %s", what, detail);
    audit_add(&r);
    rq->audited = 1;
}

int routes_refuse_busy(struct gh_request *rq, const char *what, uint32_t gen, int status,
                       const char *msg)
{
    char detail[600];
    snprintf(detail, sizeof detail, "refused: %s", msg);
    routes_audit_provision_why(rq, what, status, "busy", gen, detail);
    return http_error(rq->mc, status, 1, NULL, msg, status == 503 ? "Retry-After: 1\r\n" : NULL, 0);
}

uint32_t routes_drop_config(struct gh_request *rq)
{
    uint32_t gen = rq->cfg->flash_generation;
    config_release(rq->cfg);
    rq->cfg = NULL;
    return gen;
}

int routes_handle(struct mg_connection *mc, void *unused)
{
    struct gh_request rq;
    struct audit_record ar;
    int status;
    (void)unused;

    memset(&rq, 0, sizeof rq);
    memset(&ar, 0, sizeof ar);
    rq.mc = mc;
    rq.ri = mg_get_request_info(mc);
    rq.cn = (struct gh_conn *)mg_get_thread_pointer(mc);
    rq.audit = &ar;
    rq.head = !strcmp(rq.ri->request_method, "HEAD");
    authz_lookup(rq.ri->request_method, rq.ri->local_uri, &rq.route);

    ar.kind = AUDIT_REQUEST;
    snprintf(ar.method, sizeof ar.method, "%s", rq.ri->request_method);
    snprintf(ar.route, sizeof ar.route, "%s", rq.ri->local_uri);
    snprintf(ar.peer, sizeof ar.peer, "%s", rq.ri->remote_addr);
    if (!rq.cn)
        return http_error(mc, 500, rq.route.is_api, NULL, "No connection slot.", NULL, rq.head);
    if (rq.cn->has_cert) {
        ar.has_cert = 1;
        memcpy(ar.sha256, rq.cn->id.sha256, 32);
        snprintf(ar.subject, sizeof ar.subject, "%s", rq.cn->id.subject);
    }

    rq.cfg = config_acquire();
    ar.generation = rq.cfg->flash_generation;
    status = dispatch(&rq);
    if (rq.cfg)
        config_release(rq.cfg);

    ar.status = status;
    if (rq.cn->clock_unknown && !ar.detail[0])
        snprintf(ar.detail, sizeof ar.detail, "clock-unknown: a certificate of its chain starts "
                 "after the clock floor and the system clock is below it: not judged");
    /* The UI's own files are not worth a record each once the page that
     * loads them was allowed; anything refused, and every API call, is. */
    if (!rq.audited &&
        !(status < 400 && rq.route.route == ROUTE_UI && strncmp(rq.ri->local_uri, "/ui/", 4) == 0))
        audit_add(&ar);
    return status;
}
