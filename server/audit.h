/* audit.h: who tried what, and what was decided (CONTRACT.md section 1).
 *
 * Records live in two fixed rings in RAM (newest overwrite oldest), served
 * by GET /api/audit: allowed requests in one of GH_AUDIT_REQUEST_RECORDS,
 * everything else (refused handshakes and requests, provisioning, reloads,
 * warnings) in one of GH_AUDIT_SECURITY_RECORDS that requests never touch.
 * Each is also written to the log (stderr/syslog), repeats summarised
 * (audit.c), so nothing depends on the rings surviving. */
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
    AUDIT_WARNING = 'W',   /* a warning of the log: policy, clock, memory */
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

/* A record without a request (a reload): kind, reason, generation, detail. */
void audit_note(char kind, const char *reason, uint32_t generation, const char *detail);

/* A warning line of the log (gh_log_set_warning_hook) as a record of the
 * security ring; the log line itself is the warning's. */
void audit_warning(const char *text, size_t len);

/* Filters of audit_json: every record, the security ring, or one kind. */
enum { AUDIT_ALL = 0, AUDIT_SECURITY = 1 };
/* "all", "security", or a kind's name ("request", "handshake", "provision",
 * "reload", "warning"): the filter, or -1 when the name is none of these. */
int audit_filter(const char *name);

/* Newest first, as a JSON array of objects, into buf: the records filter
 * selects with seq > since, at most limit (<= 0: all). Returns the length, or
 * -1 when buf is too small. */
int audit_json(char *buf, size_t cap, uint32_t since, int limit, int filter);

/* Write the log's pending summary lines now (at exit). */
void audit_flush(void);

/* Count of records ever added (for tests and the status page). */
uint32_t audit_count(void);

#endif
