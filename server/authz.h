/* authz.h: which role may use which route (CONTRACT.md section 5). Pure. */
#ifndef GH_AUTHZ_H
#define GH_AUTHZ_H

#include "roles.h"

enum gh_route {
    ROUTE_NONE = 0,     /* unknown path: 404 */
    ROUTE_UI,           /* GET / and /ui/... */
    ROUTE_WHOAMI,
    ROUTE_STATUS,
    ROUTE_CERTMAP_GET,
    ROUTE_CERTMAP_PUT,
    ROUTE_AUDIT,
    ROUTE_SETTINGS_GET,
    ROUTE_SETTINGS_PUT,
};

struct authz_route {
    int route;          /* enum gh_route */
    int min_role;       /* enum gh_role */
    int is_api;         /* errors as JSON rather than an HTML page */
    int method_ok;      /* 0: known path, method not allowed (405) */
    const char *allow;  /* the methods the path answers, for 405's Allow */
};

/* Look up method + path (already percent-decoded and normalised). */
void authz_lookup(const char *method, const char *path, struct authz_route *out);

/* Whether role may use the route found. */
static inline int authz_allows(int role, const struct authz_route *r)
{
    return role != GH_ROLE_NONE && role >= r->min_role;
}

#endif
