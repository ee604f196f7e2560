/* certmap.h: the mapping table, CONTRACT.md section 2.
 *
 * certmap_load() parses and fully validates a table from a buffer (the file at
 * start-up, an uploaded body later, `gatehouse check`); certmap_decide() turns a
 * certificate identity into a role or a refusal. Both are pure: no I/O, no
 * globals, no allocation; the table lives in caller-owned fixed storage. */
#ifndef GH_CERTMAP_H
#define GH_CERTMAP_H

#include <stddef.h>
#include <stdint.h>

#include "budget.h"
#include "certinfo.h"
#include "gh_error.h"
#include "roles.h"

enum certmap_kind { CERTMAP_BY_CERT, CERTMAP_BY_FINGERPRINT, CERTMAP_BY_PUBKEY, CERTMAP_BY_MATCH };

enum certmap_op { CERTMAP_OP_EQ, CERTMAP_OP_EQ_I, CERTMAP_OP_WILD, CERTMAP_OP_WILD_I };

struct certmap_match {
    uint8_t field;                  /* enum gh_field */
    uint8_t op;                     /* enum certmap_op */
    int line;                       /* where it was written, for traces */
    char pattern[GH_PATTERN_MAX + 1];
};

struct certmap_mapping {
    char name[GH_MAP_NAME_MAX + 1];
    int line;                       /* of the [map "..."] header */
    uint8_t kind;                   /* enum certmap_kind */
    uint8_t deny;                   /* action = deny */
    uint8_t enabled;
    uint8_t role;                   /* enum gh_role; NONE for deny */
    uint8_t digest[32];             /* BY_CERT/BY_FINGERPRINT: cert SHA-256; BY_PUBKEY: SPKI SHA-256 */
    uint8_t nmatch;
    struct certmap_match match[GH_MAX_MATCH_PER_MAPPING];
};

struct certmap {
    int version;
    uint16_t count;
    struct certmap_mapping maps[GH_MAX_MAPPINGS];
};

/* Parse text (len bytes, need not be NUL-terminated) into t. `file` names the
 * source in messages ("certmap.ini"). Every error found goes into errs[] (up to
 * max_errs; *nerrs gets how many were found, which may be more). Returns 0 when
 * the table is valid, else the first error's code; t is then unspecified, so
 * load into scratch storage and copy/swap only on success. */
int certmap_load(struct certmap *t, const char *file, const char *text, size_t len,
                 struct gh_error *errs, int max_errs, int *nerrs);

enum certmap_result { CERTMAP_ALLOW, CERTMAP_DENY, CERTMAP_NO_MATCH };

struct certmap_decision {
    int result;                     /* enum certmap_result */
    int role;                       /* enum gh_role; NONE unless ALLOW */
    int index;                      /* deciding mapping, -1 if none */
    char mapping[GH_MAP_NAME_MAX + 1];
};

/* Trace of a decision for `gatehouse check --cert`, in evaluation order: called
 * for every mapping tried (match_index -1, ok = whether it decided; after its
 * match lines for a match mapping) and every `match` line evaluated
 * (match_index >= 0, ok = true/false; with a trace every line of a mapping is
 * evaluated, without one the first false line ends it). Disabled mappings are
 * reported too, with ok = 0, so a trace can say they were skipped. Mappings
 * after the deciding one are not tried. NULL for no trace. */
typedef void (*certmap_trace_fn)(void *ctx, const struct certmap_mapping *m,
                                 int match_index, int ok);

void certmap_decide(const struct certmap *t, const struct cert_identity *id,
                    struct certmap_decision *out, certmap_trace_fn trace, void *trace_ctx);

/* Whether one `match` line holds for id (any of the field's values matches);
 * *which (if not NULL) gets the index into id->values of the value that did,
 * or -1. */
int certmap_match_line(const struct certmap_match *m, const struct cert_identity *id,
                       int *which);

/* One compare: op (enum certmap_op) of a NUL-terminated pattern against a
 * value of value_len bytes. `*` any run, `?` one UTF-8 character, no escapes;
 * the `i` forms ignore ASCII case. */
int certmap_pattern_match(int op, const char *pattern, const char *value, size_t value_len);

/* Field and op names for messages and traces: "subject.OU", "~i". */
const char *certmap_field_name(int field);
const char *certmap_op_name(int op);

#endif
