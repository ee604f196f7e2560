/* config.h: the active configuration, and reloading it all or nothing.
 *
 * A generation is everything read from flash that can change without a
 * restart: the mapping table, the trust store (ca.pem + crl.pem) and the
 * settings (CONTRACT.md section 3). Two fixed slots hold the active generation
 * and the one being built; a reload builds the new one completely, then swaps,
 * so a bad file leaves the active generation in force. Readers hold a
 * generation for the length of one request (config_acquire/release). */
#ifndef GH_CONFIG_H
#define GH_CONFIG_H

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

/* Re-read everything from flash; on any error the active generation stays. */
int config_reload(struct gh_error *err);

/* Commit files to flash and make them active, all under the reload lock, so
 * two provisioning requests cannot interleave. If the flash commit fails,
 * nothing changes; if the reload after it fails (it should not: the caller
 * validated), the error says so and the flash holds the new files. */
int config_commit(const struct flash_file *files, int n, uint32_t *flash_gen,
                  struct gh_error *err);

/* A commit that is not configuration (the clock floor): no reload, and not
 * counted in the generation the API shows. uncounted is how many such
 * commits the flash has had with this one (the caller keeps that count in
 * the commit itself); config_set_uncounted() gives it at start, before
 * config_init(). */
int config_commit_aside(const struct flash_file *files, int n, uint32_t uncounted,
                        struct gh_error *err);
void config_set_uncounted(uint32_t n);

const struct gh_config *config_acquire(void);
void config_release(const struct gh_config *cfg);

/* Read a flash file that is not part of a generation (settings.ini), under
 * the same lock as commits, so a read never meets a commit half-way. */
int config_read_file(const char *name, void *buf, size_t cap, size_t *len, struct gh_error *err);

void config_shutdown(void);

#endif
