/* GET /api/audit[?kind=K&since=SEQ&limit=N]: recent audit records, newest
 * first; kind (audit_filter) is all (the default), security, or one kind. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "routes.h"

#define AUDIT_PAGE_MAX 64   /* records in one answer; page with ?since= */

int api_audit(struct gh_request *rq)
{
    char v[16];
    unsigned long since = 0;
    long limit = AUDIT_PAGE_MAX;
    const char *qs = rq->ri->query_string;
    char kind[24];
    int filter = AUDIT_ALL;
    int kl = qs ? mg_get_var(qs, strlen(qs), "kind", kind, sizeof kind) : -1;
    if (kl >= 0 || kl == -2) {   /* present (-2: too long for any name) */
        filter = kl >= 0 ? audit_filter(kind) : -1;
        if (filter < 0) {
            char msg[160];
            snprintf(msg, sizeof msg, "Unknown audit kind \"%s\": use all, security, request, "
                     "handshake, provision, reload or warning.", kl >= 0 ? kind : "(too long)");
            snprintf(rq->audit->reason, sizeof rq->audit->reason, "bad-query");
            return http_error(rq->mc, 400, 1, NULL, msg, NULL, rq->head);
        }
    }
    if (qs && mg_get_var(qs, strlen(qs), "since", v, sizeof v) > 0)
        since = strtoul(v, NULL, 10);
    if (qs && mg_get_var(qs, strlen(qs), "limit", v, sizeof v) > 0) {
        limit = strtol(v, NULL, 10);
        if (limit <= 0 || limit > AUDIT_PAGE_MAX)
            limit = AUDIT_PAGE_MAX;
    }
    int n = audit_json(rq->cn->out, sizeof rq->cn->out, (uint32_t)since, (int)limit, filter);
    while (n < 0 && limit > 1) {   /* long records: fewer per page */
        limit /= 2;
        n = audit_json(rq->cn->out, sizeof rq->cn->out, (uint32_t)since, (int)limit, filter);
    }
    if (n < 0)
        return http_error(rq->mc, 500, 1, NULL, "The audit records do not fit the response buffer.", NULL, rq->head);
    http_send(rq->mc, 200, "application/json", rq->cn->out, (size_t)n, HTTP_API, NULL, rq->head);
    return 200;
}
