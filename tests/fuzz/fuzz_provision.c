/* fuzz_provision: PUT /api/certmap's decision path (server/api_certmap.c) on
 * any bytes: the body is loaded exactly as the handler loads it (one error
 * kept), the error is rendered to JSON as the handler renders it, and a valid
 * table is asked whether the uploader would still be admin (the 409 rule).
 * The first byte picks the uploader (which identity fields it has); the rest
 * is the body.
 *
 * What must hold: no crash or overread (the body is not NUL-terminated); a
 * refusal always has a message and a line that is 0 or within the body; the
 * JSON answer always fits the handler's buffer and is well-formed enough to
 * have balanced quotes and no raw control characters; deciding twice gives
 * the same answer. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certmap.h"
#include "json.h"
#include "roles.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct certmap table;
static struct cert_identity uploader;
static char out[GH_RESPONSE_MAX];

static void make_uploader(uint8_t pick)
{
    memset(&uploader, 0, sizeof uploader);
    /* fixed hashes: a table can name them with fingerprint = / pubkey = */
    for (int i = 0; i < 32; i++) {
        uploader.sha256[i] = (uint8_t)(0xA0 + i);
        uploader.spki_sha256[i] = (uint8_t)(0x10 + i);
    }
    snprintf(uploader.subject, sizeof uploader.subject, "CN=Alice Admin,OU=Operations,O=Gatehouse Demo,C=DE");
    snprintf(uploader.issuer, sizeof uploader.issuer, "CN=Gatehouse Demo Client CA,O=Gatehouse Demo,C=DE");
    snprintf(uploader.serial, sizeof uploader.serial, "a11ce0042");
    uploader.version = 3;
    certinfo_add_value(&uploader, GH_F_SUBJECT_CN, "Alice Admin", 11);
    certinfo_add_value(&uploader, GH_F_SUBJECT_O, "Gatehouse Demo", 14);
    certinfo_add_value(&uploader, GH_F_ISSUER_CN, "Gatehouse Demo Client CA", 24);
    certinfo_add_value(&uploader, GH_F_SERIAL, "a11ce0042", 9);
    if (pick & 1)
        certinfo_add_value(&uploader, GH_F_SUBJECT_OU, "Operations", 10);
    if (pick & 2)
        certinfo_add_value(&uploader, GH_F_SAN_EMAIL, "alice@gatehouse.example", 23);
    if (pick & 4)
        certinfo_add_value(&uploader, GH_F_EKU, "clientAuth", 10);
    if (pick & 8)
        certinfo_add_value(&uploader, GH_F_SAN_IP, "2001:db8::7", 11);
}

/* A JSON text from our writer: quotes balance outside escapes, no raw
 * control characters, and it ends where it says. */
static void check_json(const char *s, size_t n)
{
    int in_str = 0;
    if (n == 0 || strlen(s) != n)
        abort();
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20)
            abort();
        if (in_str && c == '\\') {
            i++;
            continue;
        }
        if (c == '"')
            in_str = !in_str;
    }
    if (in_str || s[0] != '{' || s[n - 1] != '}')
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct gh_error errs[1];
    int nerrs = -1;
    struct json j;
    if (size < 1)
        return 0;
    make_uploader(data[0]);
    const char *body = (const char *)data + 1;
    size_t n = size - 1;
    if (n > GH_CERTMAP_MAX_BYTES)
        return 0;   /* the handler answers 413 before parsing */

    memset(errs, 0, sizeof errs);
    if (certmap_load(&table, "certmap.ini", body, n, errs, 1, &nerrs) != 0) {
        char line[400];
        if (nerrs < 1 || errs[0].msg[0] == '\0' || errs[0].line < 0)
            abort();
        gh_error_format(&errs[0], line, sizeof line);
        json_init(&j, out, sizeof out);
        json_obj_open(&j, NULL);
        gh_error_json(&j, &errs[0], nerrs);   /* what the handler answers */
        json_obj_close(&j);
        if (!json_finish(&j))
            abort();   /* the handler's buffer must always hold the answer */
        check_json(j.buf, j.len);
        return 0;
    }
    if (nerrs != 0)
        abort();

    struct certmap_decision d, d2;
    certmap_decide(&table, &uploader, &d, NULL, NULL);
    certmap_decide(&table, &uploader, &d2, NULL, NULL);
    if (d.result != d2.result || d.role != d2.role || d.index != d2.index)
        abort();
    int keeps_admin = d.result == CERTMAP_ALLOW && d.role == GH_ROLE_ADMIN;
    if (!keeps_admin) {
        json_init(&j, out, sizeof out);
        json_obj_open(&j, NULL);
        json_str(&j, "error", "would lose admin");
        json_str(&j, "reason", "would-lose-admin");
        json_str(&j, "role_after", d.result == CERTMAP_ALLOW ? gh_role_name(d.role) : NULL);
        json_str(&j, "mapping_after", d.mapping[0] ? d.mapping : NULL);
        json_obj_close(&j);
        if (!json_finish(&j))
            abort();
        check_json(j.buf, j.len);
    } else if (d.index < 0 || d.index >= (int)table.count) {
        abort();
    }
    return 0;
}
