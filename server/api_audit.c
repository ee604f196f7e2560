/* GET /api/audit[?since=SEQ&limit=N]: recent audit records, newest first. */
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
    if (qs && mg_get_var(qs, strlen(qs), "since", v, sizeof v) > 0)
        since = strtoul(v, NULL, 10);
    if (qs && mg_get_var(qs, strlen(qs), "limit", v, sizeof v) > 0) {
        limit = strtol(v, NULL, 10);
        if (limit <= 0 || limit > AUDIT_PAGE_MAX)
            limit = AUDIT_PAGE_MAX;
    }
    int n = audit_json(rq->cn->out, sizeof rq->cn->out, (uint32_t)since, (int)limit);
    while (n < 0 && limit > 1) {   /* long records: fewer per page */
        limit /= 2;
        n = audit_json(rq->cn->out, sizeof rq->cn->out, (uint32_t)since, (int)limit);
    }
    if (n < 0)
        return http_error(rq->mc, 500, 1, NULL, "The audit records do not fit the response buffer.", NULL, rq->head);
    http_send(rq->mc, 200, "application/json", rq->cn->out, (size_t)n, HTTP_API, NULL, rq->head);
    return 200;
}
