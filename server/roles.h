/* roles.h: the local roles, ordered: a higher role may do what a lower one may. */
#ifndef GH_ROLES_H
#define GH_ROLES_H

enum gh_role { GH_ROLE_NONE = 0, GH_ROLE_VIEWER = 1, GH_ROLE_OPERATOR = 2, GH_ROLE_ADMIN = 3 };

const char *gh_role_name(enum gh_role r);       /* "admin", ..., "none" */
int gh_role_parse(const char *s, enum gh_role *out); /* 0, or -1 if unknown */

#endif
