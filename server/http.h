/* http.h: writing answers. Every answer carries the same security headers and
 * an exact Content-Length (so keep-alive works without chunking); errors are
 * JSON under /api/ and a readable HTML page elsewhere (CONTRACT.md section 5). */
#ifndef GH_HTTP_H
#define GH_HTTP_H

#include <stddef.h>

#include <civetweb.h>

#include "audit.h"
#include "authz.h"
#include "config.h"
#include "conn.h"

/* One request on its way through the router to a handler. */
struct gh_request {
    struct mg_connection *mc;
    const struct mg_request_info *ri;
    struct gh_conn *cn;
    const struct gh_config *cfg;
    struct authz_route route;
    struct audit_record *audit;   /* the handler may fill detail/status */
    int head;                     /* HEAD: headers only */
    int audited;                  /* the handler wrote its own audit record */
};

enum http_kind { HTTP_API = 0, HTTP_PAGE = 1, HTTP_ASSET = 2 };

/* Send a whole answer. extra: more header lines, each ending in "\r\n", or NULL. */
void http_send(struct mg_connection *mc, int status, const char *content_type,
               const void *body, size_t len, int kind, const char *extra, int head);

/* 4xx/5xx: {"error": msg, "reason": reason} for the API, an HTML page otherwise.
 * reason may be NULL. Returns status (handlers return it for the audit). */
int http_error(struct mg_connection *mc, int status, int is_api, const char *reason,
               const char *msg, const char *extra, int head);

/* Finish j (rendered into rq->cn->out or any buffer) and send it as
 * application/json with status; a 500 when it overflowed. Returns the status
 * sent. */
struct json;
int http_send_json(struct gh_request *rq, int status, struct json *j);

/* The request body into buf: the length, -413 when larger than cap, -400 when
 * the body is shorter than its Content-Length or the framing is bad. */
long http_read_body(struct mg_connection *mc, char *buf, size_t cap);

#endif
