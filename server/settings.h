/* settings.h: gatehouse.ini (CONTRACT.md section 3). Every key has a safe
 * default, so a device without the file is a secure device. Unknown sections
 * and keys are errors: a typo must not silently leave a default in force. */
#ifndef GH_SETTINGS_H
#define GH_SETTINGS_H

#include <stddef.h>

#include "budget.h"
#include "gh_error.h"

enum gh_reject_mode { GH_REJECT_HANDSHAKE = 0, GH_REJECT_PAGE = 1 };
enum gh_crl_mode { GH_CRL_OPTIONAL = 0, GH_CRL_REQUIRED = 1 };

/* What the TLS layer checks on a client certificate; copied per connection. */
struct gh_policy {
    int reject;          /* enum gh_reject_mode */
    int crl;             /* enum gh_crl_mode */
    int min_rsa_bits;
    int min_ec_bits;
    int allow_sha1;
    int max_depth;       /* CA certificates above the client's */
};

struct gh_settings {
    struct gh_policy policy;
    char server_key[2 * GH_PATH_MAX];   /* "file:server.key" or a pkcs11: URI */
};

void settings_defaults(struct gh_settings *s);

/* Parse text (NUL-terminated) into s, starting from the defaults. */
int settings_parse(struct gh_settings *s, const char *file, const char *text, struct gh_error *err);

#endif
