/* conn.h: what the server knows about one client connection.
 *
 * civetweb serves a connection on one worker thread from accept to close, so
 * each of the GH_WORKERS workers owns one slot, handed to civetweb as the
 * thread's user pointer (init_thread) and found again from a connection with
 * mg_get_thread_pointer(). The TLS layer fills the identity at the handshake;
 * the router caches the decision on it. Nothing here is allocated. */
#ifndef GH_CONN_H
#define GH_CONN_H

#include <stdint.h>

#include "budget.h"
#include "certinfo.h"
#include "certmap.h"
#include "settings.h"
#include "trust.h"

enum gh_hs_state {
    GH_HS_IDLE = 0,     /* no handshake yet on this slot */
    GH_HS_STARTED,      /* ClientHello seen, bound to a trust generation */
    GH_HS_VERIFIED,     /* a client certificate passed chain and policy checks */
    GH_HS_REJECTED,     /* no or a failing certificate; reason says why */
};

struct gh_conn {
    int index;                      /* worker number, for logs */
    int hs_state;                   /* enum gh_hs_state */
    char reason[24];                /* "no-certificate", "untrusted", "expired", ... */
    char detail[128];               /* for people: what exactly failed */
    int has_cert;                   /* id holds the client's certificate (even if rejected) */
    struct cert_identity id;
    struct gh_policy policy;        /* the settings in force when the handshake began */
    uint32_t trust_gen;             /* config generation whose trust verified id */
    uint32_t flash_gen;             /* ... and its flash generation, for the audit */
    uint32_t decided_gen;           /* config generation whose table made `decision` */
    struct certmap_decision decision;
    int handshake_audited;          /* a refused handshake is logged once */
    char peer[48];                  /* client address, for the audit trail */
    int handshake_done;             /* civetweb's init_connection ran */
    struct trust_anchors anchors;     /* ca.pem of the generation bound at ClientHello */
    int nchain;                     /* CA certificates the client sent, verified: */
    uint64_t chain_subject[GH_MAX_CHAIN_DEPTH + 1];   /* trust_name_key() of subject */
    uint64_t chain_issuer[GH_MAX_CHAIN_DEPTH + 1];    /* ... and of issuer */
    uint16_t chain_der_len[GH_MAX_CHAIN_DEPTH + 1];  /* ... and their DER, one after */
    size_t chain_der_used;                           /* the other in chain_der ((size_t)-1: */
    uint8_t chain_der[GH_CHAIN_KEEP_BYTES];          /* not kept, did not fit) */
    size_t leaf_der_len;            /* the client's own certificate, as sent, for */
    uint8_t leaf_der[GH_CERT_DER_MAX];  /* re-checks after a reload (0: none) */
    int clock_unknown;              /* a start date after the clock floor passed unjudged */
    int crl_problem_active;         /* `crl = required` and no usable CRL: refuse */
    char crl_problem[160];
    char out[GH_RESPONSE_MAX];      /* this worker's answer buffer */
};

/* The worker slots; civetweb's init_thread callback hands them out. */
struct gh_conn *conn_slot_for_thread(void);

/* Forget everything about the previous connection on this slot (and mark
 * the worker free). */
void conn_reset(struct gh_conn *c);

/* A worker holds a connection from its first TLS read until conn_reset():
 * how many do (for the overload rules in tls.c). */
void conn_set_busy(struct gh_conn *c, int busy);
int conn_busy_count(void);

#endif
