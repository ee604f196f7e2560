/* routes.h: the one civetweb request handler. Every request goes the same way:
 * identity (from the handshake) -> decision (certmap, cached per connection and
 * table generation) -> authorization (authz) -> handler -> audit. */
#ifndef GH_ROUTES_H
#define GH_ROUTES_H

#include <civetweb.h>

#include "http.h"

int routes_handle(struct mg_connection *mc, void *unused);

/* The audit record of a provisioning attempt (what = "certmap", "settings"),
 * in place of the request's own record. The reason follows the status. */
void routes_audit_provision(struct gh_request *rq, const char *what, int status, uint32_t gen,
                            const char *detail);
/* ... with the audit reason given (NULL: from the status). */
void routes_audit_provision_why(struct gh_request *rq, const char *what, int status,
                                const char *reason, uint32_t gen, const char *detail);

/* A change refused because another is being committed (409) or requests
 * still hold the configuration before (503, Retry-After): audited
 * ("busy") and answered. Returns the status. */
int routes_refuse_busy(struct gh_request *rq, const char *what, uint32_t gen, int status,
                       const char *msg);

/* A handler that will wait (a request body, a commit) gives its generation
 * back first; rq->cfg is NULL after. Returns its flash generation. */
uint32_t routes_drop_config(struct gh_request *rq);

/* The handlers (api_*.c, ui.c). Each returns the HTTP status it answered. */
int api_whoami(struct gh_request *rq);
int api_status(struct gh_request *rq);
int api_certmap_get(struct gh_request *rq);
int api_certmap_put(struct gh_request *rq);
int api_audit(struct gh_request *rq);
int api_settings_get(struct gh_request *rq);
int api_settings_put(struct gh_request *rq);
int ui_serve(struct gh_request *rq);

#endif
