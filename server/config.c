#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "trust.h"

static struct gh_config slots_[2];
static int refs_[2];
static int active_ = -1;
static uint32_t generation_;
static struct gh_flash *flash_;
static struct gh_flash *defaults_;
/* Commits that were not configuration (the clock floor, clock.c): the
 * generation the API shows counts uploads, so they are taken off. */
static uint32_t uncounted_;

/* lock_ guards active_ and refs_; reload_lock_ serialises whole reloads and
 * flash commits, and with them the scratch buffers below. */
static pthread_mutex_t lock_ = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t drained_ = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t reload_lock_ = PTHREAD_MUTEX_INITIALIZER;
static char ca_buf_[GH_TRUST_MAX_BYTES];
static char crl_buf_[GH_TRUST_MAX_BYTES];
static char ini_buf_[GH_SETTINGS_MAX_BYTES + 1];
static struct gh_error table_errs_[1];

static uint32_t shown_generation(void)
{
    uint32_t g = flash_generation(flash_);
    return g >= uncounted_ ? g - uncounted_ : g;
}

int config_read_file(const char *name, void *buf, size_t cap, size_t *len, struct gh_error *err)
{
    pthread_mutex_lock(&reload_lock_);
    int rc = flash_read(flash_, name, buf, cap, len, err);
    pthread_mutex_unlock(&reload_lock_);
    return rc;
}

/* Read NAME from flash (or the firmware defaults); *found 0 when neither has it. */
static int read_file(const char *name, char *buf, size_t cap, size_t *len, int *found,
                     int *from_defaults, struct gh_error *err)
{
    int rc = flash_read(flash_, name, buf, cap, len, err);
    *found = 1;
    if (from_defaults)
        *from_defaults = 0;
    if (rc == GH_E_NOTFOUND && defaults_) {
        rc = flash_read(defaults_, name, buf, cap, len, err);
        if (rc == 0 && from_defaults)
            *from_defaults = 1;
    }
    if (rc == GH_E_NOTFOUND) {
        *found = 0;
        *len = 0;
        gh_error_clear(err);
        return 0;
    }
    if (rc == GH_E_CAPACITY)
        return gh_error_set(err, rc, "%s is larger than the %zu bytes allowed", name, cap);
    return rc;
}

static int build(struct gh_config *c, struct gh_error *err)
{
    size_t len;
    int found, rc, nerrs = 0;

    /* settings first: the trust policy depends on them */
    rc = read_file("gatehouse.ini", ini_buf_, sizeof ini_buf_ - 1, &len, &found, NULL, err);
    if (rc)
        return rc;
    ini_buf_[len] = '\0';
    if (!found)
        settings_defaults(&c->settings);
    else if (memchr(ini_buf_, '\0', len))
        return gh_error_set(err, GH_E_INVALID, "gatehouse.ini: is not text (holds a NUL byte)");
    else if ((rc = settings_parse(&c->settings, "gatehouse.ini", ini_buf_, err)) != 0)
        return rc;

    rc = read_file("certmap.ini", c->certmap_text, sizeof c->certmap_text, &c->certmap_len,
                   &found, &c->table_is_default, err);
    if (rc)
        return rc;
    if (!found)
        return gh_error_set(err, GH_E_INVALID,
                            "certmap.ini: missing (not in flash, and no firmware default table)");
    rc = certmap_load(&c->table, "certmap.ini", c->certmap_text, c->certmap_len, table_errs_, 1,
                      &nerrs);
    if (rc) {
        *err = table_errs_[0];
        char line[400];
        gh_error_format(&table_errs_[0], line, sizeof line);
        snprintf(err->msg, sizeof err->msg, "%.150s%s", line,
                 nerrs > 1 ? " (and more: run `gatehouse check`)" : "");
        err->file[0] = '\0';
        err->line = 0;
        err->mapping[0] = '\0';
        return rc;
    }

    size_t ca_len, crl_len;
    rc = read_file("ca.pem", ca_buf_, sizeof ca_buf_, &ca_len, &found, NULL, err);
    if (rc)
        return rc;
    if (!found)
        return gh_error_set(err, GH_E_INVALID, "ca.pem: missing (the trust store for client certificates)");
    rc = read_file("crl.pem", crl_buf_, sizeof crl_buf_, &crl_len, &found, NULL, err);
    if (rc)
        return rc;
    c->crl_problem[0] = '\0';
    if (!found && c->settings.policy.crl == GH_CRL_REQUIRED)
        snprintf(c->crl_problem, sizeof c->crl_problem,
                 "crl.pem is missing and gatehouse.ini requires it (crl = required)");
    rc = trust_store_create(&c->store, &c->anchors, ca_buf_, ca_len, found ? crl_buf_ : NULL,
                            crl_len, &c->settings.policy, c->crl_problem, sizeof c->crl_problem, err);
    if (rc)
        return rc;
    c->crl_loaded = found;
    c->flash_generation = shown_generation();
    if (c->crl_problem[0])
        gh_log(GH_LOG_WARN, "%s: every client is refused until a current crl.pem is installed",
               c->crl_problem);
    return 0;
}

/* Build into the free slot and swap; reload_lock_ held. */
static int reload_locked(struct gh_error *err)
{
    int next;
    pthread_mutex_lock(&lock_);
    next = active_ < 0 ? 0 : 1 - active_;
    while (refs_[next] > 0)      /* readers of the generation before last */
        pthread_cond_wait(&drained_, &lock_);
    pthread_mutex_unlock(&lock_);

    struct gh_config *c = &slots_[next];
    if (c->store) {
        trust_store_free(c->store);
        c->store = NULL;
    }
    gh_error_clear(err);
    int rc = build(c, err);
    if (rc) {
        if (c->store) {
            trust_store_free(c->store);
            c->store = NULL;
        }
        return rc;
    }
    pthread_mutex_lock(&lock_);
    c->generation = ++generation_;
    active_ = next;
    pthread_mutex_unlock(&lock_);
    gh_log(c->generation > 1 ? GH_LOG_INFO : GH_LOG_DEBUG, "configuration generation %u active: %u mappings%s, CRL %s%s%s",
           c->generation, c->table.count, c->table_is_default ? " (firmware default table)" : "",
           c->crl_loaded ? "loaded" : "absent", c->crl_problem[0] ? ": " : "", c->crl_problem);
    return 0;
}

int config_init(struct gh_flash *flash, struct gh_flash *defaults, struct gh_error *err)
{
    flash_ = flash;
    defaults_ = defaults;
    pthread_mutex_lock(&reload_lock_);
    int rc = reload_locked(err);
    pthread_mutex_unlock(&reload_lock_);
    return rc;
}

int config_reload(struct gh_error *err)
{
    pthread_mutex_lock(&reload_lock_);
    int rc = reload_locked(err);
    pthread_mutex_unlock(&reload_lock_);
    return rc;
}

int config_commit(const struct flash_file *files, int n, uint32_t *flash_gen, struct gh_error *err)
{
    pthread_mutex_lock(&reload_lock_);
    int rc = flash_commit(flash_, files, n, err);
    if (rc == 0) {
        if (flash_gen)
            *flash_gen = shown_generation();
        rc = reload_locked(err);
        if (rc)
            gh_log(GH_LOG_ERR, "committed to flash, but the reload failed: %s", err->msg);
    }
    pthread_mutex_unlock(&reload_lock_);
    return rc;
}

void config_set_uncounted(uint32_t n)
{
    pthread_mutex_lock(&reload_lock_);
    uncounted_ = n;
    pthread_mutex_unlock(&reload_lock_);
}

int config_commit_aside(const struct flash_file *files, int n, uint32_t uncounted,
                        struct gh_error *err)
{
    pthread_mutex_lock(&reload_lock_);
    int rc = flash_commit(flash_, files, n, err);
    if (rc == 0)
        uncounted_ = uncounted;
    pthread_mutex_unlock(&reload_lock_);
    return rc;
}

const struct gh_config *config_acquire(void)
{
    const struct gh_config *c;
    pthread_mutex_lock(&lock_);
    refs_[active_]++;
    c = &slots_[active_];
    pthread_mutex_unlock(&lock_);
    return c;
}

void config_release(const struct gh_config *c)
{
    int i = (int)(c - slots_);
    pthread_mutex_lock(&lock_);
    if (--refs_[i] == 0)
        pthread_cond_broadcast(&drained_);
    pthread_mutex_unlock(&lock_);
}

void config_shutdown(void)
{
    for (int i = 0; i < 2; i++) {
        if (slots_[i].store) {
            trust_store_free(slots_[i].store);
            slots_[i].store = NULL;
        }
    }
    active_ = -1;
}
