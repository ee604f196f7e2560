#include "roles.h"

#include <string.h>

const char *gh_role_name(enum gh_role r)
{
    switch (r) {
    case GH_ROLE_VIEWER:
        return "viewer";
    case GH_ROLE_OPERATOR:
        return "operator";
    case GH_ROLE_ADMIN:
        return "admin";
    case GH_ROLE_NONE:
        break;
    }
    return "none";
}

/* Only the three roles a mapping may grant: "none" is not something to grant. */
int gh_role_parse(const char *s, enum gh_role *out)
{
    static const enum gh_role roles[] = { GH_ROLE_VIEWER, GH_ROLE_OPERATOR, GH_ROLE_ADMIN };
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
        if (strcmp(s, gh_role_name(roles[i])) == 0) {
            if (out)
                *out = roles[i];
            return 0;
        }
    }
    return -1;
}
