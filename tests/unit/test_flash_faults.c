/* test_flash_faults.c: a power cut at any step of a commit leaves the old or
 * the new files, all of them, for both flash backends.
 *
 * The crash model is test_flash_fake.h's: unsynced data comes back old, new,
 * torn or garbage per sector, unsynced folder changes as any subset.
 *
 * FLASH_FAULT_SEED=N reruns the random part with seed N (printed at the start
 * and with any failure); FLASH_FAULT_RUNS=N changes its run count. */
#define _POSIX_C_SOURCE 200809L   /* clock_gettime */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "flash.h"
#include "test_flash_fake.h"

#define DIR_PATH   "/flash"
#define PART_NAME  "partition"
#define PART_PATH  DIR_PATH "/" PART_NAME
#define SLOT_SIZE  (32 * 1024)
#define NAMES      5
#define DATA_MAX   3000   /* five of these fit one raw slot */

static const char *const universe[NAMES] = {
    "certmap.ini", "ca.pem", "crl.pem", "settings.ini", "server.key",
};

enum backend { DIR_BACKEND, RAW_BACKEND };

/* What the flash should hold: per name, present or not, and its bytes. */
struct state {
    uint32_t generation;
    int present[NAMES];
    size_t len[NAMES];
    unsigned char data[NAMES][DATA_MAX];
};

struct change {
    int n;
    struct flash_file files[NAMES];
    unsigned char data[NAMES][DATA_MAX];
};

static char why[512];   /* the first thing a check found wrong */

static int complain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int complain(const char *fmt, ...)
{
    char msg[sizeof why];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);   /* fmt's arguments may be why itself */
    va_end(ap);
    memcpy(why, msg, sizeof why);
    return -1;
}

/* "FILE: msg" of an error, for a complaint. */
static const char *said(const struct gh_error *err)
{
    static char buf[sizeof err->file + sizeof err->msg + 8];
    gh_error_format(err, buf, sizeof buf);
    return buf;
}

static void fresh_medium(enum backend b, uint64_t *rng)
{
    static unsigned char blank[2 * SLOT_SIZE];
    fake_reset(DIR_PATH);
    if (b == RAW_BACKEND) {
        /* Erased NOR reads 0xff, a new eMMC or file zeros: both are blank. */
        memset(blank, fake_rand(rng) & 1 ? 0xff : 0x00, sizeof blank);
        fake_put(PART_NAME, blank, sizeof blank);
    }
}

static int open_flash(enum backend b, struct gh_flash *f, struct gh_error *err)
{
    gh_error_clear(err);
    if (b == DIR_BACKEND)
        return flash_open_dir(f, DIR_PATH, fake_io(), err);
    return flash_open_raw(f, PART_PATH, SLOT_SIZE, fake_io(), err);
}

/* 1..3 files out of the universe; about one in five removes its file. */
static void random_change(struct change *c, uint64_t *rng)
{
    int pick[NAMES] = { 0, 1, 2, 3, 4 };
    c->n = 1 + (int)(fake_rand(rng) % 3);
    for (int i = NAMES - 1; i > 0; i--) {
        int j = (int)(fake_rand(rng) % (uint64_t)(i + 1)), t = pick[i];
        pick[i] = pick[j];
        pick[j] = t;
    }
    for (int i = 0; i < c->n; i++) {
        struct flash_file *ff = &c->files[i];
        ff->name = universe[pick[i]];
        if (fake_rand(rng) % 5 == 0) {
            ff->data = NULL;
            ff->len = 0;
            continue;
        }
        /* Mostly small, some spanning several sectors, some empty. */
        switch (fake_rand(rng) % 4) {
        case 0: ff->len = (size_t)(fake_rand(rng) % 40); break;
        case 1: ff->len = (size_t)(fake_rand(rng) % 600); break;
        default: ff->len = (size_t)(fake_rand(rng) % (DATA_MAX + 1)); break;
        }
        for (size_t k = 0; k < ff->len; k++)
            c->data[i][k] = (unsigned char)fake_rand(rng);
        ff->data = c->data[i];
    }
}

static int name_index(const char *name)
{
    for (int i = 0; i < NAMES; i++)
        if (strcmp(universe[i], name) == 0)
            return i;
    return -1;
}

static void apply_change(struct state *s, const struct change *c)
{
    for (int i = 0; i < c->n; i++) {
        int k = name_index(c->files[i].name);
        s->present[k] = c->files[i].data != NULL;
        s->len[k] = c->files[i].len;
        if (c->files[i].len)
            memcpy(s->data[k], c->files[i].data, c->files[i].len);
    }
    s->generation++;
}

/* 0 when the flash holds exactly s. */
static int holds(struct gh_flash *f, const struct state *s)
{
    static unsigned char buf[DATA_MAX];
    struct gh_error err;
    size_t len;

    if (flash_generation(f) != s->generation)
        return complain("generation %u, expected %u", flash_generation(f), s->generation);
    for (int i = 0; i < NAMES; i++) {
        int rc = flash_read(f, universe[i], buf, sizeof buf, &len, &err);
        if (!s->present[i] && rc != GH_E_NOTFOUND)
            return complain("%s: expected not found, got %d (%s)", universe[i], rc, said(&err));
        if (!s->present[i])
            continue;
        if (rc != 0)
            return complain("%s: expected %zu bytes, got error %d (%s)", universe[i],
                            s->len[i], rc, said(&err));
        if (len != s->len[i] || memcmp(buf, s->data[i], len) != 0)
            return complain("%s: %zu bytes that differ from the expected %zu", universe[i],
                            len, s->len[i]);
    }
    return 0;
}

/* Recovery leaves no journal and no half-written file behind. */
static int tidy(enum backend b)
{
    char name[64];
    if (b != DIR_BACKEND)
        return 0;
    for (int i = 0; fake_name(i, name, sizeof name); i++) {
        size_t n = strlen(name);
        if (strcmp(name, ".journal") == 0 || strcmp(name, ".rollback") == 0 ||
            (n > 4 && strcmp(name + n - 4, ".tmp") == 0) || (n > 1 && name[n - 1] == '~'))
            return complain("leftover %s after recovery", name);
    }
    return 0;
}

struct run {
    enum backend backend;
    int prior;             /* commits before the one that is cut */
    long cut;              /* step of the commit the power cut hits; -1 none */
    long recovery_cut;     /* step of the first re-open it hits too; -1 none */
};

/* One life: build the old state, cut the power during a commit (and maybe
 * during the recovery after it), come back, check old-or-new, then prove the
 * flash still takes a commit. Contents come from *rng, what survives each
 * crash from *crash_rng, so one set of contents can meet many cuts.
 * 0 or -1 with why[] filled. */
static int live(const struct run *r, uint64_t *rng, uint64_t *crash_rng, long *steps_out)
{
    static struct state old, new;
    struct change c;
    struct gh_flash f;
    struct gh_error err;
    int rc, is_new;

    fresh_medium(r->backend, rng);
    memset(&old, 0, sizeof old);
    if (open_flash(r->backend, &f, &err))
        return complain("open of a blank medium: %s", said(&err));
    for (int i = 0; i < r->prior; i++) {
        random_change(&c, rng);
        if (flash_commit(&f, c.files, c.n, &err))
            return complain("setup commit %d: %s", i, said(&err));
        apply_change(&old, &c);
    }
    random_change(&c, rng);
    new = old;
    apply_change(&new, &c);

    fake_arm_cut(r->cut);
    rc = flash_commit(&f, c.files, c.n, &err);
    if (steps_out)
        *steps_out = fake_steps();
    /* A commit may report success on a medium that died while tidying up
     * (the dir backend's step 6): the new set was durable by then, which the
     * re-open below checks. */
    if (rc != 0 && !fake_dead())
        return complain("commit failed without a power cut: %s", said(&err));
    flash_close(&f);
    /* Even after a commit that returned, the power goes: it must be durable. */
    fake_crash(crash_rng);

    if (r->recovery_cut >= 0) {
        fake_arm_cut(r->recovery_cut);
        if (open_flash(r->backend, &f, &err) == 0)
            flash_close(&f);
        else if (!fake_dead())
            return complain("re-open failed without a power cut: %s", said(&err));
        fake_crash(crash_rng);
    }
    if (open_flash(r->backend, &f, &err))
        return complain("re-open: %s", said(&err));
    is_new = holds(&f, &new) == 0;
    if (rc == 0 && !is_new)
        return complain("a commit that returned 0 was lost: %s", why);
    if (!is_new) {
        char not_new[sizeof why];
        memcpy(not_new, why, sizeof why);
        if (holds(&f, &old))
            return complain("neither new (%s) nor old (%s)", not_new, why);
    }
    if (tidy(r->backend))
        return -1;

    /* The recovered flash takes the next commit and keeps it. */
    if (is_new)
        old = new;
    random_change(&c, rng);
    apply_change(&old, &c);
    if (flash_commit(&f, c.files, c.n, &err))
        return complain("commit after recovery: %s", said(&err));
    flash_close(&f);
    fake_crash(crash_rng);
    if (open_flash(r->backend, &f, &err))
        return complain("open after the follow-up commit: %s", said(&err));
    if (holds(&f, &old))
        return complain("follow-up commit: %s", why);
    flash_close(&f);
    return 0;
}

static uint64_t run_seed(uint64_t seed, uint64_t index)
{
    uint64_t s = seed ^ (index * 0xd1342543de82ef95ull);
    fake_rand(&s);
    return s;
}

/* Every step of one commit, several crash outcomes each, from 0, 1 and 2
 * prior commits (so both raw slots and an empty flash are targets). */
static void cut_at_every_step(enum backend b)
{
    uint64_t base = 0x5eedf1a5ull + (uint64_t)b;
    int lives = 0;

    for (int prior = 0; prior <= 2; prior++) {
        for (int scenario = 0; scenario < 4; scenario++) {
            uint64_t seed = run_seed(base, (uint64_t)(prior * 16 + scenario));
            struct run r = { b, prior, -1, -1 };
            uint64_t probe = seed, crash = seed;
            long steps = 0;
            /* A run without a cut counts the commit's steps. */
            if (live(&r, &probe, &crash, &steps))
                fail_msg("prior %d scenario %d without a cut: %s", prior, scenario, why);
            assert_true(steps > 4);
            for (long k = 0; k <= steps; k++) {
                for (int outcome = 0; outcome < 6; outcome++) {
                    uint64_t life = seed;   /* same contents; the cut and the crash vary */
                    crash = run_seed(base + 1, (uint64_t)(k * 8 + outcome));
                    r.cut = k;
                    if (live(&r, &life, &crash, NULL))
                        fail_msg("%s backend, prior %d, scenario %d, cut at step %ld of "
                                 "%ld, outcome %d: %s",
                                 b == DIR_BACKEND ? "dir" : "raw", prior, scenario, k, steps,
                                 outcome, why);
                    lives++;
                }
            }
        }
    }
    print_message("%s backend: %d power cuts, every step of 12 commits\n",
                  b == DIR_BACKEND ? "dir" : "raw", lives);
}

static void test_dir_power_cut_at_every_step_leaves_old_or_new(void **state)
{
    (void)state;
    cut_at_every_step(DIR_BACKEND);
}

static void test_raw_power_cut_at_every_step_leaves_old_or_new(void **state)
{
    (void)state;
    cut_at_every_step(RAW_BACKEND);
}

static void random_cuts(enum backend b)
{
    const char *s = getenv("FLASH_FAULT_SEED"), *n = getenv("FLASH_FAULT_RUNS");
    uint64_t seed = s ? strtoull(s, NULL, 0) : (uint64_t)time(NULL);
    long runs = n ? strtol(n, NULL, 0) : 1000, cuts = 0, double_cuts = 0;
    struct timespec t0, t1;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    print_message("%s backend: FLASH_FAULT_SEED=%llu\n", b == DIR_BACKEND ? "dir" : "raw",
                  (unsigned long long)seed);
    for (long i = 0; i < runs; i++) {
        uint64_t rng = run_seed(seed, (uint64_t)i), content, probe, crash;
        struct run r = { b, (int)(fake_rand(&rng) % 4), -1, -1 };
        long steps = 0;
        content = probe = run_seed(rng, 1);
        crash = run_seed(rng, 2);
        if (live(&r, &probe, &crash, &steps))
            fail_msg("FLASH_FAULT_SEED=%llu run %ld without a cut: %s",
                     (unsigned long long)seed, i, why);
        /* One in eight runs lets the commit finish; the rest cut it. */
        r.cut = fake_rand(&rng) % 8 ? (long)(fake_rand(&rng) % (uint64_t)steps) : steps + 1;
        /* One in four also cuts the recovery, within its first steps. */
        if (fake_rand(&rng) % 4 == 0) {
            r.recovery_cut = (long)(fake_rand(&rng) % 12);
            double_cuts++;
        }
        cuts += r.cut <= steps;
        if (live(&r, &content, &rng, NULL))
            fail_msg("FLASH_FAULT_SEED=%llu run %ld (prior %d, cut at step %ld of %ld, "
                     "recovery cut %ld): %s",
                     (unsigned long long)seed, i, r.prior, r.cut, steps, r.recovery_cut, why);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    print_message("%s backend: %ld random runs, %ld cut mid-commit, %ld cut again in "
                  "recovery, %.2f s\n",
                  b == DIR_BACKEND ? "dir" : "raw", runs, cuts, double_cuts,
                  (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
}

static void test_dir_random_power_cuts_leave_old_or_new(void **state)
{
    (void)state;
    random_cuts(DIR_BACKEND);
}

static void test_raw_random_power_cuts_leave_old_or_new(void **state)
{
    (void)state;
    random_cuts(RAW_BACKEND);
}

/* A write, sync, rename or unlink that fails on its own (the medium stays
 * up) fails the commit; the handle then settles on the old or the new set,
 * and the next commit builds on that, all or nothing under a power cut at
 * step cut2 (-1: after it). */
static int failed_step_life(enum backend b, long fail, long cut2, uint64_t *rng,
                            uint64_t *crash_rng, long *steps_out)
{
    static struct state old, new, settled, next;
    struct change c;
    struct gh_flash f;
    struct gh_error err;
    int rc;

    fresh_medium(b, rng);
    memset(&old, 0, sizeof old);
    if (open_flash(b, &f, &err))
        return complain("open of a blank medium: %s", said(&err));
    random_change(&c, rng);
    if (flash_commit(&f, c.files, c.n, &err))
        return complain("setup commit: %s", said(&err));
    apply_change(&old, &c);
    random_change(&c, rng);
    new = old;
    apply_change(&new, &c);

    fake_arm_error(fail);
    rc = flash_commit(&f, c.files, c.n, &err);
    if (steps_out)
        *steps_out = fake_steps();
    fake_arm_error(-1);
    if (rc == 0) {
        settled = new;
    } else {
        /* The caller heard "failed": the new set must never appear, now or
         * after a restart. */
        if (rc != GH_E_IO)
            return complain("a failed step gave %d, not GH_E_IO: %s", rc, said(&err));
        if (holds(&f, &old))
            return complain("after a failed step (%s), not the old set: %s", said(&err), why);
        flash_close(&f);
        fake_crash(crash_rng);
        if (open_flash(b, &f, &err))
            return complain("re-open after a failed step: %s", said(&err));
        if (holds(&f, &old))
            return complain("after a failed step and a restart, not the old set: %s", why);
        settled = old;
    }
    random_change(&c, rng);
    next = settled;
    apply_change(&next, &c);
    fake_arm_cut(cut2);
    rc = flash_commit(&f, c.files, c.n, &err);
    if (rc && !fake_dead())
        return complain("the commit after a failed one: %s", said(&err));
    flash_close(&f);
    fake_crash(crash_rng);
    if (open_flash(b, &f, &err))
        return complain("re-open: %s", said(&err));
    if (holds(&f, &next)) {
        if (rc == 0)
            return complain("the commit after a failed one was not kept: %s", why);
        if (holds(&f, &settled))
            return complain("a cut in the commit after a failed one left neither "
                            "state: %s", why);
    }
    if (tidy(b))
        return -1;
    flash_close(&f);
    return 0;
}

static void failed_step_at_every_step(enum backend b)
{
    int lives = 0;
    for (int scenario = 0; scenario < 12; scenario++) {
        uint64_t seed = run_seed(0xfa11ull + (uint64_t)b, (uint64_t)scenario);
        uint64_t probe = seed, crash = seed;
        long steps = 0;
        if (failed_step_life(b, -1, -1, &probe, &crash, &steps))
            fail_msg("scenario %d without a failure: %s", scenario, why);
        for (long k = 0; k <= steps; k++) {
            for (int outcome = 0; outcome < 8; outcome++) {
                uint64_t life = seed;
                long cut2;
                crash = run_seed(seed, (uint64_t)(k * 8 + outcome));
                /* Half the lives also lose power in the next commit. */
                cut2 = outcome < 2 ? -1 : (long)(fake_rand(&crash) % (uint64_t)(steps + 8));
                if (failed_step_life(b, k, cut2, &life, &crash, NULL))
                    fail_msg("%s backend, scenario %d, step %ld of %ld fails, next commit "
                             "cut at %ld, outcome %d: %s",
                             b == DIR_BACKEND ? "dir" : "raw", scenario, k, steps, cut2,
                             outcome, why);
                lives++;
            }
        }
    }
    print_message("%s backend: %d commits with one failing step\n",
                  b == DIR_BACKEND ? "dir" : "raw", lives);
}

static void test_dir_failed_step_then_next_commit_is_kept_whole(void **state)
{
    (void)state;
    failed_step_at_every_step(DIR_BACKEND);
}

static void test_raw_failed_step_then_next_commit_is_kept_whole(void **state)
{
    (void)state;
    failed_step_at_every_step(RAW_BACKEND);
}

/* ---- lasting faults of one file: a directory in its place, chattr +i, EIO ---- */

struct fault {
    const char *what;
    const char *name;
    int err, ops;
};

static const struct fault dir_faults[] = {
    {"certmap.ini is a directory", "certmap.ini", EISDIR, FAULT_ALL},
    {"certmap.ini is immutable", "certmap.ini", EPERM, FAULT_WRITE | FAULT_RENAME},
    {"certmap.ini cannot be renamed (EIO)", "certmap.ini", EIO, FAULT_RENAME},
    {"the new certmap.ini cannot be moved in (EIO)", "certmap.ini.tmp", EIO, FAULT_RENAME},
    {"the new settings.ini cannot be written (EIO)", "settings.ini.tmp", EIO, FAULT_WRITE},
};

/* The old set, except a file the fault makes unreadable. */
static int holds_readable(struct gh_flash *f, const struct state *s, const struct fault *ft)
{
    static struct state visible;
    visible = *s;
    if (ft && (ft->ops & FAULT_READ)) {
        int k = name_index(ft->name);
        if (k >= 0 && visible.present[k]) {
            /* a directory where the file was: not a file, and says so */
            static unsigned char buf[DATA_MAX];
            struct gh_error err;
            size_t len;
            if (flash_read(f, ft->name, buf, sizeof buf, &len, &err) != GH_E_IO)
                return complain("%s: reading it should fail with GH_E_IO", ft->name);
            visible.present[k] = 0;
            for (int i = 0; i < NAMES; i++)
                if (i != k && visible.present[i]) {
                    int rc = flash_read(f, universe[i], buf, sizeof buf, &len, &err);
                    if (rc || len != visible.len[i] || memcmp(buf, visible.data[i], len))
                        return complain("%s differs from the old set", universe[i]);
                }
            return flash_generation(f) == s->generation ? 0
                   : complain("generation %u, expected %u", flash_generation(f), s->generation);
        }
    }
    return holds(f, s);
}

static void fill(struct change *c, int n, const char *const *names, uint64_t *rng)
{
    memset(c, 0, sizeof *c);
    c->n = n;
    for (int i = 0; i < n; i++) {
        size_t len = 100 + fake_rand(rng) % 900;
        for (size_t k = 0; k < len; k++)
            c->data[i][k] = (unsigned char)fake_rand(rng);
        c->files[i].name = names[i];
        c->files[i].data = c->data[i];
        c->files[i].len = len;
    }
}

/* A commit that meets the fault fails, says it was rolled back, and leaves
 * the old set, also after a restart with the fault still there and after the
 * fault is mended; the next commit then goes through. */
static int refused_commit_life(enum backend b, const struct fault *ft, uint64_t *rng)
{
    static const char *const setup_names[] = {"certmap.ini", "settings.ini", "ca.pem"};
    static const char *const change_names[] = {"settings.ini", "certmap.ini"};
    static struct state old, next;
    struct change c;
    struct gh_flash f;
    struct gh_error err;
    int rc;

    fresh_medium(b, rng);
    memset(&old, 0, sizeof old);
    if (open_flash(b, &f, &err))
        return complain("open of a blank medium: %s", said(&err));
    fill(&c, 3, setup_names, rng);
    if (flash_commit(&f, c.files, c.n, &err))
        return complain("setup commit: %s", said(&err));
    apply_change(&old, &c);

    fake_fault(ft->name, ft->err, ft->ops);
    fill(&c, 2, change_names, rng);
    rc = flash_commit(&f, c.files, c.n, &err);
    if (rc != GH_E_IO)
        return complain("the commit gave %d (%s), not GH_E_IO", rc, said(&err));
    if ((ft->ops & FAULT_RENAME) && !strstr(err.msg, "rolled back"))
        return complain("the error does not say it was rolled back: %s", err.msg);
    if (holds_readable(&f, &old, ft))
        return complain("after the refused commit: %s", why);
    flash_close(&f);
    uint64_t crash = fake_rand(rng);
    fake_crash(&crash);
    if (open_flash(b, &f, &err))
        return complain("a restart with the fault still there: %s", said(&err));
    if (holds_readable(&f, &old, ft))
        return complain("after a restart with the fault: %s", why);
    if (!strstr(ft->name, ".tmp") && tidy(b))   /* a faulty .tmp cannot be removed */
        return -1;
    flash_close(&f);

    fake_fault(NULL, 0, 0);
    if (open_flash(b, &f, &err))
        return complain("a restart after the fault is mended: %s", said(&err));
    if (holds(&f, &old))
        return complain("after the fault is mended, the refused commit came back: %s", why);
    next = old;
    apply_change(&next, &c);
    if (flash_commit(&f, c.files, c.n, &err))
        return complain("the same commit after the fault is mended: %s", said(&err));
    if (holds(&f, &next))
        return complain("the commit after the fault is mended: %s", why);
    flash_close(&f);
    return 0;
}

static void test_dir_refused_commit_is_rolled_back(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof dir_faults / sizeof dir_faults[0]; i++) {
        uint64_t rng = 0xbadf11e5ull + i;
        if (refused_commit_life(DIR_BACKEND, &dir_faults[i], &rng))
            fail_msg("dir backend, %s: %s", dir_faults[i].what, why);
    }
}

static void test_raw_refused_commit_is_rolled_back(void **state)
{
    static const struct fault raw_faults[] = {
        {"the partition cannot be written (EIO)", PART_NAME, EIO, FAULT_WRITE},
    };
    (void)state;
    for (size_t i = 0; i < sizeof raw_faults / sizeof raw_faults[0]; i++) {
        uint64_t rng = 0xbadf11e5ull + i;
        if (refused_commit_life(RAW_BACKEND, &raw_faults[i], &rng))
            fail_msg("raw backend, %s: %s", raw_faults[i].what, why);
    }
}

/* A power cut after the commit point leaves a journal; if at the next start
 * the fault keeps it from being completed, the folder opens on the old set,
 * says so in flash_note(), and the journal never goes live later. */
static void test_dir_journal_that_cannot_be_applied_is_rolled_back_at_open(void **state)
{
    static const char *const setup_names[] = {"certmap.ini", "settings.ini", "ca.pem"};
    static const char *const change_names[] = {"settings.ini", "certmap.ini"};
    static struct state old, new;
    int with_journal = 0, rolled_back = 0;
    (void)state;
    for (size_t fi = 0; fi < sizeof dir_faults / sizeof dir_faults[0]; fi++) {
        const struct fault *ft = &dir_faults[fi];
        if (ft->ops == FAULT_WRITE)
            continue;   /* the .tmp files are written before the commit point */
        for (long cut = 0; cut < 40; cut++) {
            for (int outcome = 0; outcome < 3; outcome++) {
                uint64_t rng = 0x10a11ull + (uint64_t)fi, crash = (uint64_t)(cut * 8 + outcome);
                struct change c;
                struct gh_flash f;
                struct gh_error err;
                char name[64];
                int journal = 0;
                fresh_medium(DIR_BACKEND, &rng);
                memset(&old, 0, sizeof old);
                assert_int_equal(open_flash(DIR_BACKEND, &f, &err), 0);
                fill(&c, 3, setup_names, &rng);
                assert_int_equal(flash_commit(&f, c.files, c.n, &err), 0);
                apply_change(&old, &c);
                fill(&c, 2, change_names, &rng);
                new = old;
                apply_change(&new, &c);
                fake_arm_cut(cut);
                flash_commit(&f, c.files, c.n, &err);
                flash_close(&f);
                fake_crash(&crash);
                for (int i = 0; fake_name(i, name, sizeof name); i++)
                    journal |= strcmp(name, ".journal") == 0;
                if (!journal)
                    continue;
                with_journal++;
                fake_fault(ft->name, ft->err, ft->ops);
                if (open_flash(DIR_BACKEND, &f, &err))
                    fail_msg("%s, cut at %ld: the folder does not open with a journal it "
                             "cannot apply: %s", ft->what, cut, said(&err));
                if (!flash_note(&f)[0]) {
                    /* the cut came after the faulty step: the journal could be completed */
                    if (holds_readable(&f, &new, ft))
                        fail_msg("%s, cut at %ld: no note, and not the new set: %s", ft->what,
                                 cut, why);
                    flash_close(&f);
                    fake_fault(NULL, 0, 0);
                    continue;
                }
                rolled_back++;
                if (!strstr(flash_note(&f), "rolled back"))
                    fail_msg("%s, cut at %ld: flash_note() does not say it rolled back: [%s]",
                             ft->what, cut, flash_note(&f));
                if (holds_readable(&f, &old, ft))
                    fail_msg("%s, cut at %ld: not the old set: %s", ft->what, cut, why);
                if (!strstr(ft->name, ".tmp") && tidy(DIR_BACKEND))
                    fail_msg("%s, cut at %ld: %s", ft->what, cut, why);
                flash_close(&f);
                fake_fault(NULL, 0, 0);
                assert_int_equal(open_flash(DIR_BACKEND, &f, &err), 0);
                if (holds(&f, &old))
                    fail_msg("%s, cut at %ld: the rolled-back commit came back after the "
                             "fault was mended: %s", ft->what, cut, why);
                assert_string_equal(flash_note(&f), "");
                flash_close(&f);
            }
        }
    }
    print_message("dir backend: %d restarts on a journal with a fault, %d rolled back\n",
                  with_journal, rolled_back);
    assert_true(rolled_back > 10);
}

/* The fake must be able to lose things, or the tests above prove nothing. */
static void test_fake_loses_unsynced_data_and_names(void **state)
{
    const struct flash_io *io = fake_io();
    uint64_t rng = 1;
    int lost_data = 0, lost_name = 0, kept = 0;
    (void)state;
    for (int i = 0; i < 64; i++) {
        char buf[16];
        size_t len = 0;
        int fd;
        fake_reset(DIR_PATH);
        fd = io->open(io->ctx, DIR_PATH "/x", FLASH_OPEN_CREATE);
        assert_true(fd >= 0);
        assert_int_equal(io->write(io->ctx, fd, "hello", 5), 5);
        assert_int_equal(io->fsync(io->ctx, fd), 0);   /* data durable, name not */
        assert_int_equal(io->write(io->ctx, fd, " world", 6), 6);
        io->close(io->ctx, fd);
        fake_crash(&rng);
        if (fake_get("x", buf, sizeof buf, &len) != 0)
            lost_name++;
        else if (len != 11 || memcmp(buf, "hello world", 11) != 0)
            lost_data++;
        else
            kept++;
    }
    assert_true(lost_name > 0);
    assert_true(lost_data > 0);
    assert_true(kept > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fake_loses_unsynced_data_and_names),
        cmocka_unit_test(test_dir_power_cut_at_every_step_leaves_old_or_new),
        cmocka_unit_test(test_raw_power_cut_at_every_step_leaves_old_or_new),
        cmocka_unit_test(test_dir_failed_step_then_next_commit_is_kept_whole),
        cmocka_unit_test(test_raw_failed_step_then_next_commit_is_kept_whole),
        cmocka_unit_test(test_dir_refused_commit_is_rolled_back),
        cmocka_unit_test(test_raw_refused_commit_is_rolled_back),
        cmocka_unit_test(test_dir_journal_that_cannot_be_applied_is_rolled_back_at_open),
        cmocka_unit_test(test_dir_random_power_cuts_leave_old_or_new),
        cmocka_unit_test(test_raw_random_power_cuts_leave_old_or_new),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
