/* config.h: the active configuration, and reloading it all or nothing.
 *
 * A generation is everything read from flash that can change without a
 * restart: the mapping table, the trust store (ca.pem + crl.pem) and the
 * settings (CONTRACT.md section 3). Two fixed slots hold the active generation
 * and the one being built; a reload builds the new one completely, then swaps,
 * so a bad file leaves the active generation in force. Readers hold a
 * generation for the length of one request (config_acquire/release) and must
 * not ask for a change while they hold one. No function here waits without a
 * bound (config.c says how). */
#ifndef GH_CONFIG_H
#define GH_CONFIG_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/ssl.h>

#include "budget.h"
#include "certmap.h"
#include "flash.h"
#include "gh_error.h"
#include "settings.h"
#include "trust.h"

struct gh_config {
    uint32_t generation;            /* 1, 2, ...: one per successful (re)load */
    uint32_t flash_generation;      /* the flash's commit counter when loaded */
    struct certmap table;
    struct gh_settings settings;
    WOLFSSL_X509_STORE *store;      /* ca.pem (+ crl.pem); refcounted by wolfSSL */
    struct trust_anchors anchors;     /* ca.pem's subjects */
    int crl_loaded;
    char crl_problem[160];          /* why `crl = required` refuses everyone; "" if not */
    int table_is_default;           /* certmap.ini came from the firmware defaults */
    size_t certmap_len;
    char certmap_text[GH_CERTMAP_MAX_BYTES];
};

/* Load the first generation. defaults may be NULL (no firmware default table). */
int config_init(struct gh_flash *flash, struct gh_flash *defaults, struct gh_error *err);

/* Re-read everything from flash; on any error the active generation stays.
 * GH_E_BUSY when another change, or requests on the generation before last,
 * still hold what it needs after wait_ms (0: do not wait). */
int config_reload(int wait_ms, struct gh_error *err);

/* Build the generation files[0..n-1] make, commit them to flash and make it
 * active, one change at a time. 0: durable and active. Otherwise nothing
 * changed: GH_E_BUSY ("another change is being committed", or old readers
 * after GH_DRAIN_WAIT_MS) when another change held it GH_CHANGE_WAIT_MS, the
 * build's error when the files would not load, the flash's when it refused.
 * The caller must hold no generation (routes_drop_config). */
int config_commit(const struct flash_file *files, int n, uint32_t *flash_gen,
                  struct gh_error *err);

/* A commit that is not configuration (the clock floor): no reload, and not
 * counted in the generation the API shows. uncounted is how many such
 * commits the flash has had with this one (the caller keeps that count in
 * the commit itself); config_set_uncounted() gives it at start, before
 * config_init(). */
int config_commit_aside(const struct flash_file *files, int n, uint32_t uncounted, int wait_ms,
                        struct gh_error *err);
void config_set_uncounted(uint32_t n);
/* err->msg of GH_E_BUSY when the wait was for another change (a 409). */
#define CONFIG_ANOTHER_CHANGE "another change is being committed"

/* The HTTP answer to config_commit()'s rc: 200, 409 (another change), 503
 * (requests still on the configuration before) or 500. */
int config_commit_status(int rc, const struct gh_error *err);

/* pthread_mutex_lock() for at most wait_ms, on the monotonic clock; 0 or -1. */
int config_lock_bounded(pthread_mutex_t *m, int wait_ms);

/* flash_note() of the flash: "" or what recovery rolled back. */
void config_flash_note(char *buf, size_t cap);

/* At shutdown: wait at most wait_ms for a flash commit in progress to end,
 * and keep the flash locked from then on (0), or -1. */
int config_quiesce(int wait_ms);

const struct gh_config *config_acquire(void);
void config_release(const struct gh_config *cfg);

/* Read a flash file that is not part of a generation (settings.ini), under
 * the same lock as commits, so a read never meets a commit half-way. */
int config_read_file(const char *name, void *buf, size_t cap, size_t *len, struct gh_error *err);

void config_shutdown(void);

#endif
