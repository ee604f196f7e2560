#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "trust.h"

/* Generations, and why nothing here waits for ever.
 *
 * Two slots: the active generation, and the one before it that requests
 * still in flight may be reading (a request holds one from config_acquire()
 * to config_release(); a TLS handshake for a few lines). A change (a reload,
 * or an upload's commit) builds the next generation in the slot that is not
 * active, so it needs that slot's readers gone. Three rules keep that from
 * ever becoming a deadlock:
 *  - A request never holds a generation while it waits: an upload drops its
 *    reference (routes_drop_config) before it reads its body, and the slot
 *    wait refuses at once if the calling thread itself still holds the slot
 *    (held_ counts per thread), instead of waiting on itself.
 *  - Every wait is bounded: a change waits at most GH_CHANGE_WAIT_MS for the
 *    change before it (then GH_E_BUSY: "another change is being committed",
 *    409) and GH_DRAIN_WAIT_MS for the old slot's readers (then GH_E_BUSY).
 *    Readers only finish, and none waits on a change, so the wait ends.
 *    SIGHUP does not wait at all: serve.c retries it until it goes through.
 *  - Locks are held only for memory and flash work, never for network I/O:
 *    change_lock_ serialises changes (and owns the scratch buffers below);
 *    flash_lock_ guards the flash handle for the milliseconds of a build and
 *    a commit, so a reader of settings.ini waits for no writer's body.
 * An upload is built into the spare slot from its own bytes first, then
 * committed to flash, then made active: a 200 means durable and active, an
 * error means neither (the flash backends roll a failed commit back). */
static struct gh_config slots_[2];
static int refs_[2];
static __thread int held_[2];
static int active_ = -1;
static uint32_t generation_;
static struct gh_flash *flash_;
static struct gh_flash *defaults_;
/* Commits that were not configuration (the clock floor, clock.c): the
 * generation the API shows counts uploads, so they are taken off. */
static uint32_t uncounted_;

static pthread_mutex_t lock_ = PTHREAD_MUTEX_INITIALIZER;         /* active_, refs_ */
static pthread_mutex_t change_lock_ = PTHREAD_MUTEX_INITIALIZER;  /* one change at a time */
static pthread_mutex_t flash_lock_ = PTHREAD_MUTEX_INITIALIZER;   /* flash_, defaults_ */
static char ca_buf_[GH_TRUST_MAX_BYTES];
static char crl_buf_[GH_TRUST_MAX_BYTES];
static char ini_buf_[GH_SETTINGS_MAX_BYTES + 1];
static struct gh_error table_errs_[1];

/* The generation the API shows: flash commits less the clock floor's;
 * flash_lock_ held. */
static uint32_t shown_generation(void)
{
    uint32_t g = flash_generation(flash_);
    return g >= uncounted_ ? g - uncounted_ : g;
}

/* The files a commit is about to write: a build reads them from here. */
static const struct flash_file *pending_;
static int npending_;

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* pthread_mutex_timedlock() counts on the wall clock, which may jump. */
static int lock_bounded(pthread_mutex_t *m, int wait_ms)
{
    for (int waited = 0;; waited += 5) {
        if (pthread_mutex_trylock(m) == 0)
            return 0;
        if (waited >= wait_ms)
            return -1;
        sleep_ms(5);
    }
}

int config_lock_bounded(pthread_mutex_t *m, int wait_ms)
{
    return lock_bounded(m, wait_ms);
}

int config_read_file(const char *name, void *buf, size_t cap, size_t *len, struct gh_error *err)
{
    pthread_mutex_lock(&flash_lock_);
    int rc = flash_read(flash_, name, buf, cap, len, err);
    pthread_mutex_unlock(&flash_lock_);
    return rc;
}

/* Read NAME from the pending commit, flash or the firmware defaults; *found 0
 * when none has it. */
static int read_file(const char *name, char *buf, size_t cap, size_t *len, int *found,
                     int *from_defaults, struct gh_error *err)
{
    int rc = GH_E_NOTFOUND;
    *found = 1;
    if (from_defaults)
        *from_defaults = 0;
    for (int i = 0; i < npending_; i++) {
        if (strcmp(pending_[i].name, name) != 0)
            continue;
        if (!pending_[i].data) {
            *found = 0;
            *len = 0;
            return 0;
        }
        if (pending_[i].len > cap)
            return gh_error_set(err, GH_E_CAPACITY, "%s is larger than the %zu bytes allowed",
                                name, cap);
        memcpy(buf, pending_[i].data, pending_[i].len);
        *len = pending_[i].len;
        return 0;
    }
    rc = flash_read(flash_, name, buf, cap, len, err);
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

/* The slot a change may build into, once its readers are gone; change_lock_
 * held. GH_E_BUSY after wait_ms, or at once when this thread holds it. */
static int reserve_slot(int wait_ms, int *slot, struct gh_error *err)
{
    int next, readers;
    for (int waited = 0;; waited += 5) {
        pthread_mutex_lock(&lock_);
        next = active_ < 0 ? 0 : 1 - active_;
        readers = refs_[next];
        pthread_mutex_unlock(&lock_);
        if (readers == 0)
            break;
        if (held_[next] > 0)
            return gh_error_set(err, GH_E_BUSY, "a change was asked for by a request that "
                                "still holds the previous configuration (a bug: refused, not "
                                "waited for)");
        if (waited >= wait_ms)
            return gh_error_set(err, GH_E_BUSY, "%d request%s in flight still use%s the "
                                "previous configuration; try again", readers,
                                readers == 1 ? "" : "s", readers == 1 ? "s" : "");
        sleep_ms(5);
    }
    *slot = next;
    return 0;
}

static void discard(struct gh_config *c)
{
    if (c->store) {
        trust_store_free(c->store);
        c->store = NULL;
    }
}

static void activate(int next)
{
    struct gh_config *c = &slots_[next];
    pthread_mutex_lock(&lock_);
    c->generation = ++generation_;
    active_ = next;
    pthread_mutex_unlock(&lock_);
    gh_log(c->generation > 1 ? GH_LOG_INFO : GH_LOG_DEBUG, "configuration generation %u active: %u mappings%s, CRL %s%s%s",
           c->generation, c->table.count, c->table_is_default ? " (firmware default table)" : "",
           c->crl_loaded ? "loaded" : "absent", c->crl_problem[0] ? ": " : "", c->crl_problem);
}

/* Build the next generation (with files[0..n-1] in place of the flash's),
 * commit files when n > 0, then make it active; change_lock_ held. */
static int change_locked(const struct flash_file *files, int n, int wait_ms, uint32_t *flash_gen,
                         struct gh_error *err)
{
    int next = 0, rc;
    gh_error_clear(err);
    rc = reserve_slot(wait_ms, &next, err);
    if (rc)
        return rc;
    struct gh_config *c = &slots_[next];
    discard(c);
    pthread_mutex_lock(&flash_lock_);
    pending_ = files;
    npending_ = n;
    rc = build(c, err);
    pending_ = NULL;
    npending_ = 0;
    if (rc == 0 && n > 0) {
        rc = flash_commit(flash_, files, n, err);
        c->flash_generation = shown_generation();
    }
    if (rc == 0 && flash_gen)
        *flash_gen = c->flash_generation;
    pthread_mutex_unlock(&flash_lock_);
    if (rc) {
        discard(c);
        return rc;
    }
    activate(next);
    return 0;
}

int config_init(struct gh_flash *flash, struct gh_flash *defaults, struct gh_error *err)
{
    flash_ = flash;
    defaults_ = defaults;
    pthread_mutex_lock(&change_lock_);
    int rc = change_locked(NULL, 0, 0, NULL, err);
    pthread_mutex_unlock(&change_lock_);
    return rc;
}

static int busy(struct gh_error *err)
{
    return gh_error_set(err, GH_E_BUSY, CONFIG_ANOTHER_CHANGE);
}

int config_reload(int wait_ms, struct gh_error *err)
{
    if (lock_bounded(&change_lock_, wait_ms))
        return busy(err);
    int rc = change_locked(NULL, 0, wait_ms, NULL, err);
    pthread_mutex_unlock(&change_lock_);
    return rc;
}

int config_commit(const struct flash_file *files, int n, uint32_t *flash_gen, struct gh_error *err)
{
    if (lock_bounded(&change_lock_, GH_CHANGE_WAIT_MS))
        return busy(err);
    int rc = change_locked(files, n, GH_DRAIN_WAIT_MS, flash_gen, err);
    pthread_mutex_unlock(&change_lock_);
    return rc;
}

int config_commit_status(int rc, const struct gh_error *err)
{
    if (rc == 0)
        return 200;
    if (rc != GH_E_BUSY)
        return 500;
    return strcmp(err->msg, CONFIG_ANOTHER_CHANGE) == 0 ? 409 : 503;
}

void config_set_uncounted(uint32_t n)
{
    pthread_mutex_lock(&flash_lock_);
    uncounted_ = n;
    pthread_mutex_unlock(&flash_lock_);
}

int config_commit_aside(const struct flash_file *files, int n, uint32_t uncounted, int wait_ms,
                        struct gh_error *err)
{
    /* bounded like every other wait: at shutdown the flash stays locked */
    if (lock_bounded(&flash_lock_, wait_ms))
        return busy(err);
    int rc = flash_commit(flash_, files, n, err);
    if (rc == 0)
        uncounted_ = uncounted;
    pthread_mutex_unlock(&flash_lock_);
    return rc;
}

const struct gh_config *config_acquire(void)
{
    const struct gh_config *c;
    pthread_mutex_lock(&lock_);
    refs_[active_]++;
    held_[active_]++;
    c = &slots_[active_];
    pthread_mutex_unlock(&lock_);
    return c;
}

void config_release(const struct gh_config *c)
{
    int i = (int)(c - slots_);
    pthread_mutex_lock(&lock_);
    refs_[i]--;
    held_[i]--;
    pthread_mutex_unlock(&lock_);
}

void config_flash_note(char *buf, size_t cap)
{
    pthread_mutex_lock(&flash_lock_);
    snprintf(buf, cap, "%s", flash_note(flash_));
    pthread_mutex_unlock(&flash_lock_);
}

int config_quiesce(int wait_ms)
{
    return lock_bounded(&flash_lock_, wait_ms);
}

void config_shutdown(void)
{
    for (int i = 0; i < 2; i++)
        discard(&slots_[i]);
    active_ = -1;
}
