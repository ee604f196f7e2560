/* audit.h: who tried what, and what was decided (CONTRACT.md section 1).
 *
 * Records live in a fixed ring of GH_AUDIT_RECORDS in RAM (newest overwrite
 * oldest) served by GET /api/audit, and each is also written as one log line
 * (stderr/syslog), so nothing depends on the ring surviving. */
#ifndef GH_AUDIT_H
#define GH_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "budget.h"

enum audit_kind {
    AUDIT_HANDSHAKE = 'H', /* a TLS handshake refused before any request */
    AUDIT_REQUEST = 'R',   /* a request, allowed or refused */
    AUDIT_PROVISION = 'P', /* a mapping table or settings upload */
    AUDIT_RELOAD = 'L',    /* trust/table/settings reloaded (SIGHUP or upload) */
};

struct audit_record {
    int64_t time;            /* filled by audit_add */
    uint32_t seq;            /* filled by audit_add: increasing, never reused */
    char kind;               /* enum audit_kind */
    uint8_t has_cert;
    uint8_t sha256[32];
    char subject[160];
    char mapping[GH_MAP_NAME_MAX + 1];
    char role[10];
    char reason[32];         /* "not-mapped", "expired", "ok", ... */
    char method[8];
    char route[96];
    char peer[48];           /* client address */
    int status;              /* HTTP status, or 0 for a refused handshake */
    uint32_t generation;     /* of the table that decided */
    char detail[128];        /* the verify error, the table error, ... */
};

void audit_add(const struct audit_record *r);

/* Newest first, as a JSON array of objects, into buf. `since` > 0 returns only
 * records with seq > since. Returns the length, or -1 when buf is too small. */
int audit_json(char *buf, size_t cap, uint32_t since, int limit);

/* Count of records ever added (for tests and the status page). */
uint32_t audit_count(void);

#endif
