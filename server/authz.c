#include "authz.h"

#include <string.h>

struct rule {
    const char *path;   /* exact, or a prefix when it ends with '/' */
    const char *method;
    int route;
    int min_role;
};

/* Every role is at least viewer: "any mapped role" and "viewer+" coincide. */
static const struct rule rules[] = {
    {"/api/whoami", "GET", ROUTE_WHOAMI, GH_ROLE_VIEWER},
    {"/api/status", "GET", ROUTE_STATUS, GH_ROLE_VIEWER},
    {"/api/certmap", "GET", ROUTE_CERTMAP_GET, GH_ROLE_ADMIN},
    {"/api/certmap", "PUT", ROUTE_CERTMAP_PUT, GH_ROLE_ADMIN},
    {"/api/audit", "GET", ROUTE_AUDIT, GH_ROLE_ADMIN},
    {"/api/settings", "GET", ROUTE_SETTINGS_GET, GH_ROLE_VIEWER},
    {"/api/settings", "PUT", ROUTE_SETTINGS_PUT, GH_ROLE_OPERATOR},
    {"/", "GET", ROUTE_UI, GH_ROLE_VIEWER},
    {"/ui/", "GET", ROUTE_UI, GH_ROLE_VIEWER},
};

static int path_matches(const char *rule, const char *path)
{
    size_t n = strlen(rule);
    if (n > 1 && rule[n - 1] == '/')
        return strncmp(rule, path, n) == 0 && path[n] != '\0';
    return strcmp(rule, path) == 0;
}

void authz_lookup(const char *method, const char *path, struct authz_route *out)
{
    int path_known = 0;
    memset(out, 0, sizeof *out);
    out->is_api = strncmp(path, "/api/", 5) == 0 || strcmp(path, "/api") == 0;
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        if (!path_matches(rules[i].path, path))
            continue;
        path_known = 1;
        if (strcmp(rules[i].method, method) == 0 ||
            (strcmp(method, "HEAD") == 0 && strcmp(rules[i].method, "GET") == 0)) {
            out->route = rules[i].route;
            out->min_role = rules[i].min_role;
            out->method_ok = 1;
            return;
        }
    }
    if (path_known) {
        /* same path, other method: the rules list GET before PUT per path */
        out->route = ROUTE_NONE;
        out->method_ok = 0;
        out->min_role = GH_ROLE_VIEWER;
        if (strcmp(path, "/api/certmap") == 0 || strcmp(path, "/api/settings") == 0)
            out->allow = "GET, HEAD, PUT";
        else
            out->allow = "GET, HEAD";
        return;
    }
    out->method_ok = 1;   /* unknown path: 404 whatever the method */
    out->route = ROUTE_NONE;
}
