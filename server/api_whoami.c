/* GET /api/whoami: the caller's identity and the decision that admitted it. */
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "roles.h"
#include "routes.h"

int api_whoami(struct gh_request *rq)
{
    const struct cert_identity *id = &rq->cn->id;
    struct json j;
    char fp[72] = "sha256:";
    certinfo_hex(id->sha256, 32, fp + 7);

    json_init(&j, rq->cn->out, sizeof rq->cn->out);
    json_obj_open(&j, NULL);
    json_str(&j, "role", gh_role_name(rq->cn->decision.role));
    json_str(&j, "mapping", rq->cn->decision.mapping);
    json_str(&j, "subject", id->subject);
    json_str(&j, "issuer", id->issuer);
    json_str(&j, "serial", id->serial);
    json_str(&j, "fingerprint", fp);
    json_int(&j, "not_before", id->not_before);
    json_int(&j, "not_after", id->not_after);
    json_int(&j, "generation", rq->cfg->flash_generation);
    json_obj_close(&j);
    return http_send_json(rq, 200, &j);
}
