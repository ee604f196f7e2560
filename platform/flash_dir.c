/* flash_dir.c: the flash as a folder of plain files, committed through a journal.
 *
 * The folder is what `gatehouse serve --flash DIR` reads, so every file stays
 * a plain file under its own name and a factory can fill the folder with cp.
 * Bookkeeping names start with '.', which flash_check_name() refuses to users:
 *   .generation      the commit counter, "N\n"
 *   .journal         present only between a commit point and its completion
 *   .rollback        a journal whose commit failed and is being undone
 *   NAME.tmp         new content not yet in place (".journal.tmp" included);
 *                    any *.tmp at open is a leftover and is removed
 *   NAME~            the old copy of NAME, moved aside until the commit is
 *                    complete (or put back when it is rolled back)
 *
 * A commit of files F1..Fn (n >= 1):
 *   1. write F.tmp for every file kept or replaced, and .generation.tmp;
 *      fsync each. Their data is durable; their names are not yet.
 *   2. write .journal.tmp: the generation, "put F" / "del F" per file, a CRC;
 *      fsync it.
 *   3. fsync the folder: every .tmp name from 1 and 2 is durable.
 *   4. rename .journal.tmp to .journal, fsync the folder.  <- commit point
 *   5. move every F (kept or deleted) aside to F~, fsync the folder; rename
 *      every F.tmp to F, fsync the folder.
 *   6. unlink .journal, fsync the folder; unlink every F~.
 *
 * When step 5 fails on a medium that is still up (F is a directory, is
 * immutable, EIO) the commit is rolled back, so that an error means "never":
 * .journal is renamed .rollback and synced (the decision), every F moved in
 * goes back to F.tmp, every F~ back to F, each phase synced; then .rollback
 * and the .tmp files go. Recovery at open finishes a .rollback the same way,
 * and rolls back a .journal whose step 5 cannot be done: the folder opens on
 * the last good files, and flash_note() says what happened.
 *
 * Why this is atomic. rename(2) replaces a name in one step, but a folder's
 * entry changes are durable only after the folder is fsynced, and the
 * filesystem may persist any subset of the unsynced ones in any order. So no
 * step relies on order between two unsynced entry changes:
 *  - A cut before the rename in step 4 is durable leaves no .journal: recovery
 *    deletes every *.tmp and the old files were never touched (old content).
 *  - Once .journal exists, step 3 guarantees every F.tmp it names exists with
 *    durable data, so recovery can redo step 5: a missing F.tmp means its
 *    rename already happened (a file counts as replaced when F.tmp is gone),
 *    and the redo is idempotent, whichever subset of step 5 a cut left.
 *  - .journal is removed only after step 5 is durable (the fsync in step 5),
 *    and a new commit starts only after that removal is durable (step 6), so
 *    a journal is never replayed over a later commit's .tmp files.
 *  - Each phase of step 5 and of a rollback is synced before the next, so
 *    after a cut the folder holds one phase's result whole or in part, never
 *    a later phase's without an earlier's: F~ exists only while its F.tmp
 *    exists or has become F. Both redo and undo skip what is done, so either
 *    can be cut and run again.
 * The generation moves in the same commit as the content, which is why even a
 * one-file commit goes through the journal: "file new, counter old" would be
 * the mix this module exists to prevent. */
#include "flash.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define GEN_FILE     ".generation"
#define JOURNAL      ".journal"
#define ROLLBACK     ".rollback"
#define TMP          ".tmp"
#define ASIDE        "~"
#define JOURNAL_HEAD "gatehouse-flash-journal 1\n"

/* The head, "generation N\n", one "put|del NAME\n" per file plus the
 * generation file, "crc XXXXXXXX\n". */
#define JOURNAL_MAX                                                          \
    (sizeof JOURNAL_HEAD + sizeof "generation 4294967295\n" +               \
     (GH_FLASH_MAX_FILES + 1) * (4 + GH_FLASH_NAME_MAX + 1) + sizeof "crc 01234567\n")

struct journal {
    uint32_t generation;
    int n;
    struct {
        int put;                              /* 1: rename NAME.tmp over NAME; 0: unlink NAME */
        char name[GH_FLASH_NAME_MAX + 1];
    } e[GH_FLASH_MAX_FILES + 1];
};

static void dir_path(const struct gh_flash *f, char *out, const char *name, const char *suffix)
{
    size_t a = strlen(f->path), b = strlen(name), c = strlen(suffix);
    /* flash_open_dir() checked that DIR/NAME.tmp fits for the longest NAME;
     * an empty path would only fail to open. */
    if (a + 1 + b + c >= GH_PATH_MAX) {
        out[0] = '\0';
        return;
    }
    memcpy(out, f->path, a);
    out[a] = '/';
    memcpy(out + a + 1, name, b);
    memcpy(out + a + 1 + b, suffix, c + 1);
}

static int io_fail(struct gh_error *err, const struct gh_flash *f, const char *file,
                   const char *what, int e)
{
    return flash_fail(err, GH_E_IO, file, "%s in flash folder %s: %s", what, f->path,
                      strerror(-e));
}

static int dir_sync(struct gh_flash *f, struct gh_error *err)
{
    const struct flash_io *io = f->io;
    int rc, fd = io->open(io->ctx, f->path, FLASH_OPEN_DIR);
    if (fd < 0)
        return io_fail(err, f, NULL, "cannot open the folder to sync it", fd);
    rc = io->fsync(io->ctx, fd);
    io->close(io->ctx, fd);
    return rc < 0 ? io_fail(err, f, NULL, "cannot sync the folder", rc) : 0;
}

/* NAME.tmp with data, fsynced: durable content under a name nobody reads. */
static int put_tmp(struct gh_flash *f, const char *name, const void *data, size_t len,
                   struct gh_error *err)
{
    const struct flash_io *io = f->io;
    char path[GH_PATH_MAX];
    int rc, fd;

    dir_path(f, path, name, TMP);
    fd = io->open(io->ctx, path, FLASH_OPEN_CREATE);
    if (fd < 0)
        return io_fail(err, f, name, "cannot create the new copy", fd);
    rc = flash_write_all(io, fd, data, len);
    if (rc == 0)
        rc = io->fsync(io->ctx, fd);
    if (rc < 0) {
        io->close(io->ctx, fd);
        return io_fail(err, f, name, "cannot write the new copy", rc);
    }
    rc = io->close(io->ctx, fd);
    return rc < 0 ? io_fail(err, f, name, "cannot close the new copy", rc) : 0;
}

/* Any file of the folder, bookkeeping ones included. */
static int read_file(struct gh_flash *f, const char *name, void *buf, size_t cap,
                     size_t *len, struct gh_error *err)
{
    const struct flash_io *io = f->io;
    char path[GH_PATH_MAX];
    uint64_t size;
    size_t got = 0;
    int rc, fd;

    *len = 0;
    dir_path(f, path, name, "");
    fd = io->open(io->ctx, path, FLASH_OPEN_READ);
    if (fd == -ENOENT)
        return flash_fail(err, GH_E_NOTFOUND, name, "not in flash folder %s", f->path);
    if (fd < 0)
        return io_fail(err, f, name, "cannot open", fd);
    rc = io->size(io->ctx, fd, &size);
    if (rc == 0 && size > cap) {
        io->close(io->ctx, fd);
        return flash_fail(err, GH_E_CAPACITY, name,
                          "is %llu bytes, more than the %zu-byte buffer for it",
                          (unsigned long long)size, cap);
    }
    if (rc == 0)
        rc = flash_read_all(io, fd, buf, cap, &got);
    if (rc == 0 && got == cap) {
        /* The file may have grown since size(); a full buffer proves nothing. */
        char probe;
        size_t more = 0;
        rc = flash_read_all(io, fd, &probe, 1, &more);
        if (rc == 0 && more) {
            io->close(io->ctx, fd);
            return flash_fail(err, GH_E_CAPACITY, name,
                              "is more than the %zu-byte buffer for it", cap);
        }
    }
    io->close(io->ctx, fd);
    if (rc < 0)
        return io_fail(err, f, name, "cannot read", rc);
    *len = got;
    return 0;
}

static int read_generation(struct gh_flash *f, struct gh_error *err)
{
    char text[16];
    size_t len;
    uint64_t g = 0;
    int rc = read_file(f, GEN_FILE, text, sizeof text, &len, err);

    if (rc == GH_E_NOTFOUND) {
        f->generation = 0;   /* a folder filled at the factory: never committed */
        gh_error_clear(err);
        return 0;
    }
    if (rc)
        return rc;
    if (len < 2 || text[len - 1] != '\n')
        goto corrupt;
    for (size_t i = 0; i + 1 < len; i++) {
        if (text[i] < '0' || text[i] > '9')
            goto corrupt;
        g = g * 10 + (uint64_t)(text[i] - '0');
        if (g > UINT32_MAX)
            goto corrupt;
    }
    f->generation = (uint32_t)g;
    return 0;
corrupt:
    return flash_fail(err, GH_E_IO, GEN_FILE, "in flash folder %s is not a number", f->path);
}

static size_t journal_format(const struct journal *j, char *out, size_t cap)
{
    size_t n = (size_t)snprintf(out, cap, "%sgeneration %lu\n", JOURNAL_HEAD,
                                (unsigned long)j->generation);
    for (int i = 0; i < j->n; i++)
        n += (size_t)snprintf(out + n, cap - n, "%s %s\n", j->e[i].put ? "put" : "del",
                              j->e[i].name);
    n += (size_t)snprintf(out + n, cap - n, "crc %08lx\n",
                          (unsigned long)flash_crc32(0, out, n));
    return n;
}

/* Take one "WORD REST\n" line off *p; REST is NUL-terminated in place. */
static char *journal_line(char **p, char *end, const char *word)
{
    size_t w = strlen(word);
    char *rest, *nl;
    if ((size_t)(end - *p) <= w || memcmp(*p, word, w) != 0 || (*p)[w] != ' ')
        return NULL;
    rest = *p + w + 1;
    nl = memchr(rest, '\n', (size_t)(end - rest));
    if (!nl)
        return NULL;
    *nl = '\0';
    *p = nl + 1;
    return rest;
}

static int parse_u32(const char *s, int base, uint32_t *out)
{
    uint64_t v = 0;
    if (!*s)
        return -1;
    for (; *s; s++) {
        int d;
        if (*s >= '0' && *s <= '9')
            d = *s - '0';
        else if (base == 16 && *s >= 'a' && *s <= 'f')
            d = *s - 'a' + 10;
        else
            return -1;
        v = v * (unsigned)base + (unsigned)d;
        if (v > UINT32_MAX)
            return -1;
    }
    *out = (uint32_t)v;
    return 0;
}

/* 0 when text is a whole journal with a good CRC. */
static int journal_parse(char *text, size_t len, struct journal *j)
{
    char *p, *end = text + len, *crc_at, *v;
    uint32_t crc, want;
    size_t h = strlen(JOURNAL_HEAD);

    memset(j, 0, sizeof *j);
    if (len < h || memcmp(text, JOURNAL_HEAD, h) != 0 || text[len - 1] != '\n')
        return -1;
    /* The CRC line is the last; check it before parsing cuts lines in place. */
    crc_at = end - 1;
    while (crc_at > text && crc_at[-1] != '\n')
        crc_at--;
    want = flash_crc32(0, text, (size_t)(crc_at - text));
    p = crc_at;
    v = journal_line(&p, end, "crc");
    if (!v || p != end || strlen(v) != 8 || parse_u32(v, 16, &crc) || crc != want)
        return -1;

    p = text + h;
    v = journal_line(&p, crc_at, "generation");
    if (!v || parse_u32(v, 10, &j->generation))
        return -1;
    while (p < crc_at) {
        int put;
        if ((v = journal_line(&p, crc_at, "put")) != NULL)
            put = 1;
        else if ((v = journal_line(&p, crc_at, "del")) != NULL)
            put = 0;
        else
            return -1;
        if (j->n == GH_FLASH_MAX_FILES + 1 || strlen(v) > GH_FLASH_NAME_MAX)
            return -1;
        if (strcmp(v, GEN_FILE) != 0 && flash_check_name(v, NULL) != 0)
            return -1;
        j->e[j->n].put = put;
        strcpy(j->e[j->n].name, v);
        j->n++;
    }
    return 0;
}

/* 1 when NAME+suffix exists, 0 when not, -EISDIR for a directory, or -errno. */
static int exists(struct gh_flash *f, const char *name, const char *suffix)
{
    const struct flash_io *io = f->io;
    char path[GH_PATH_MAX];
    dir_path(f, path, name, suffix);
    int fd = io->open(io->ctx, path, FLASH_OPEN_READ);
    if (fd == -ENOENT)
        return 0;
    if (fd < 0)
        return fd;
    io->close(io->ctx, fd);
    return 1;
}

static int rename_in(struct gh_flash *f, const char *name, const char *from_sfx,
                     const char *to_sfx)
{
    char from[GH_PATH_MAX], to[GH_PATH_MAX];
    dir_path(f, from, name, from_sfx);
    dir_path(f, to, name, to_sfx);
    int rc = f->io->rename(f->io->ctx, from, to);
    return rc == -ENOENT ? 0 : rc;   /* ENOENT: done before a cut, or nothing to do */
}

/* Step 5; also what recovery redoes. */
static int apply(struct gh_flash *f, const struct journal *j, struct gh_error *err)
{
    int rc;
    for (int i = 0; i < j->n; i++) {
        const char *name = j->e[i].name;
        if (j->e[i].put && (rc = exists(f, name, TMP)) <= 0) {
            if (rc < 0)
                return io_fail(err, f, name, "cannot look for the new copy", rc);
            continue;   /* already in place */
        }
        rc = exists(f, name, "");
        if (rc == -EISDIR)
            return flash_fail(err, GH_E_IO, name, "is a directory in flash folder %s, not a "
                              "file: cannot replace it", f->path);
        if (rc < 0)
            return io_fail(err, f, name, "cannot look at the old copy", rc);
        if (rc == 1 && (rc = rename_in(f, name, "", ASIDE)) < 0)
            return io_fail(err, f, name, j->e[i].put ? "cannot replace the old copy"
                                                     : "cannot remove", rc);
    }
    rc = dir_sync(f, err);
    if (rc)
        return rc;
    for (int i = 0; i < j->n; i++) {
        if (j->e[i].put && (rc = rename_in(f, j->e[i].name, TMP, "")) < 0)
            return io_fail(err, f, j->e[i].name, "cannot put the new copy in place", rc);
    }
    return dir_sync(f, err);
}

/* Step 6: the commit is complete; the old copies may go. */
static int finish(struct gh_flash *f, const struct journal *j, const char *journal,
                  struct gh_error *err)
{
    char path[GH_PATH_MAX];
    dir_path(f, path, journal, "");
    int rc = f->io->unlink(f->io->ctx, path);
    if (rc < 0 && rc != -ENOENT)
        return io_fail(err, f, journal, "cannot remove", rc);
    rc = dir_sync(f, err);
    if (rc)
        return rc;
    /* A leftover F~ harms nothing (the next commit moves its F over it);
     * the next settle() tries again. */
    for (int i = 0; i < j->n; i++) {
        dir_path(f, path, j->e[i].name, ASIDE);
        f->io->unlink(f->io->ctx, path);
    }
    return 0;
}

/* Undo step 5 as far as it went; .rollback durable. */
static int undo(struct gh_flash *f, const struct journal *j, struct gh_error *err)
{
    int rc;
    for (int i = 0; i < j->n; i++) {
        if (!j->e[i].put)
            continue;
        rc = exists(f, j->e[i].name, TMP);
        if (rc == 0)
            rc = rename_in(f, j->e[i].name, "", TMP);   /* the new copy back out */
        if (rc < 0)
            return io_fail(err, f, j->e[i].name, "cannot take the new copy back", rc);
    }
    rc = dir_sync(f, err);
    if (rc)
        return rc;
    for (int i = 0; i < j->n; i++)
        if ((rc = rename_in(f, j->e[i].name, ASIDE, "")) < 0)
            return io_fail(err, f, j->e[i].name, "cannot put the old copy back", rc);
    return dir_sync(f, err);
}

/* The decision to roll back, made durable: .journal becomes .rollback. */
static int decide_rollback(struct gh_flash *f, struct gh_error *err)
{
    char from[GH_PATH_MAX], to[GH_PATH_MAX];
    dir_path(f, from, JOURNAL, "");
    dir_path(f, to, ROLLBACK, "");
    int rc = f->io->rename(f->io->ctx, from, to);
    if (rc < 0)
        return io_fail(err, f, JOURNAL, "cannot mark the commit for rollback", rc);
    return dir_sync(f, err);
}

struct walk {
    struct gh_flash *f;
    int journal;     /* .journal seen */
    int rollback;    /* .rollback seen */
    int leftovers;   /* *.tmp or *~ seen (or removed) */
    int remove;      /* unlink every *.tmp and *~ */
};

static int has_suffix(const char *name, const char *sfx)
{
    size_t n = strlen(name), k = strlen(sfx);
    return n > k && strcmp(name + n - k, sfx) == 0;
}

static int walk_each(void *arg, const char *name)
{
    struct walk *w = arg;
    int tmp = has_suffix(name, TMP), aside = has_suffix(name, ASIDE);
    if (strcmp(name, JOURNAL) == 0)
        w->journal = 1;
    if (strcmp(name, ROLLBACK) == 0)
        w->rollback = 1;
    if (!tmp && !aside)
        return 0;
    w->leftovers++;
    if (w->remove) {
        char path[GH_PATH_MAX];
        if (snprintf(path, sizeof path, "%s/%s", w->f->path, name) >= (int)sizeof path)
            return 0;   /* not ours: we never make a name that long */
        /* A leftover that will not go harms nothing: a commit writes its
         * .tmp afresh and moves its F over an old F~. */
        w->f->io->unlink(w->f->io->ctx, path);
    }
    return 0;
}

/* The journal named NAME into *j: 0, GH_E_NOTFOUND (gone since the listing),
 * 1 when it is unreadable (only a failing medium garbles one: it was complete
 * and synced before it got its name), or another error. */
static int load_journal(struct gh_flash *f, const char *name, struct journal *j,
                        struct gh_error *err)
{
    char text[JOURNAL_MAX + 1];
    size_t len;
    int rc = read_file(f, name, text, sizeof text, &len, err);
    if (rc == 0 && journal_parse(text, len, j) == 0)
        return 0;
    if (rc == 0 || rc == GH_E_CAPACITY)
        return 1;
    return rc;
}

/* Finish a .rollback: undo, then drop it. */
static int finish_rollback(struct gh_flash *f, const struct journal *j, struct gh_error *err)
{
    int rc = undo(f, j, err);
    if (rc)
        return rc;
    char path[GH_PATH_MAX];
    dir_path(f, path, ROLLBACK, "");
    rc = f->io->unlink(f->io->ctx, path);
    if (rc < 0 && rc != -ENOENT)
        return io_fail(err, f, ROLLBACK, "cannot remove", rc);
    return 0;
}

/* Bring the folder to a state with no journal and no *.tmp: finish a commit
 * that passed its commit point, undo one that did not or that cannot be
 * finished. */
static int settle(struct gh_flash *f, struct gh_error *err)
{
    const struct flash_io *io = f->io;
    struct walk w = { .f = f };
    struct journal j;
    int rc = io->list(io->ctx, f->path, walk_each, &w), changed = f->stale;

    if (rc < 0)
        return io_fail(err, f, NULL, "cannot list", rc);
    if (w.rollback || w.journal) {
        const char *name = w.rollback ? ROLLBACK : JOURNAL;
        rc = load_journal(f, name, &j, err);
        if (rc == 0 && w.rollback) {
            rc = finish_rollback(f, &j, err);
            if (rc)
                return rc;
        } else if (rc == 0) {
            struct gh_error why;
            rc = apply(f, &j, &why);
            if (rc == 0) {
                rc = finish(f, &j, JOURNAL, err);
                if (rc)
                    return rc;
                f->generation = j.generation;
            } else {
                char line[300];
                gh_error_format(&why, line, sizeof line);
                rc = decide_rollback(f, err);
                if (rc == 0)
                    rc = finish_rollback(f, &j, err);
                if (rc)
                    return rc;
                snprintf(f->note, sizeof f->note, "an interrupted commit (generation %lu) "
                         "could not be completed and was rolled back: %.300s",
                         (unsigned long)j.generation, line);
            }
        } else if (rc == GH_E_NOTFOUND) {
            gh_error_clear(err);   /* gone since the listing: nothing to finish */
        } else if (rc == 1) {
            /* What it said is unknowable: keep the files in place, drop the rest. */
            char path[GH_PATH_MAX];
            dir_path(f, path, name, "");
            rc = io->unlink(io->ctx, path);
            if (rc < 0 && rc != -ENOENT)
                return io_fail(err, f, name, "cannot remove the unreadable", rc);
        } else {
            return rc;
        }
        changed = 1;
    }
    if (w.leftovers || changed) {
        w.remove = 1;
        rc = io->list(io->ctx, f->path, walk_each, &w);
        if (rc < 0)
            return io_fail(err, f, NULL, "cannot list", rc);
        changed = 1;
    }
    /* Also after a failed commit, where the folder as listed may not be the
     * folder as stored (a sync that failed promised nothing): a commit must
     * not start while an unlinked journal could come back and replay. */
    if (changed) {
        rc = dir_sync(f, err);
        if (rc)
            return rc;
    }
    rc = read_generation(f, err);
    if (rc)
        return rc;
    f->stale = 0;
    return 0;
}

static int dir_read(struct gh_flash *f, const char *name, void *buf, size_t cap, size_t *len,
                    struct gh_error *err)
{
    if (f->stale) {
        int rc = settle(f, err);
        if (rc)
            return rc;
    }
    return read_file(f, name, buf, cap, len, err);
}

static int dir_commit(struct gh_flash *f, const struct flash_file *files, int n,
                      struct gh_error *err)
{
    const struct flash_io *io = f->io;
    struct journal j;
    char text[JOURNAL_MAX], from[GH_PATH_MAX], to[GH_PATH_MAX], gen[16];
    size_t len;
    int rc;

    if (f->stale) {
        rc = settle(f, err);
        if (rc)
            return rc;
    }
    memset(&j, 0, sizeof j);
    j.generation = f->generation + 1 ? f->generation + 1 : 1;
    /* From here any failure leaves work for settle(). */
    f->stale = 1;
    /* No F~ of an earlier commit may be left (its unlink failed): a rollback
     * of this one puts every F~ back, and would bring back that older copy. */
    for (int i = 0; i < n; i++) {
        dir_path(f, from, files[i].name, ASIDE);
        rc = io->unlink(io->ctx, from);
        if (rc < 0 && rc != -ENOENT)
            return io_fail(err, f, files[i].name, "cannot remove an old copy set aside", rc);
    }
    for (int i = 0; i < n; i++) {
        j.e[j.n].put = files[i].data != NULL;
        snprintf(j.e[j.n].name, sizeof j.e[j.n].name, "%s", files[i].name);
        j.n++;
        if (files[i].data) {
            rc = put_tmp(f, files[i].name, files[i].data, files[i].len, err);
            if (rc)
                return rc;
        }
    }
    len = (size_t)snprintf(gen, sizeof gen, "%lu\n", (unsigned long)j.generation);
    rc = put_tmp(f, GEN_FILE, gen, len, err);
    if (rc)
        return rc;
    j.e[j.n].put = 1;
    strcpy(j.e[j.n].name, GEN_FILE);
    j.n++;

    len = journal_format(&j, text, sizeof text);
    rc = put_tmp(f, JOURNAL, text, len, err);
    if (rc == 0)
        rc = dir_sync(f, err);
    if (rc)
        return rc;
    dir_path(f, from, JOURNAL, TMP);
    dir_path(f, to, JOURNAL, "");
    rc = io->rename(io->ctx, from, to);
    if (rc < 0)
        return io_fail(err, f, JOURNAL, "cannot commit", rc);
    rc = dir_sync(f, err);
    if (rc == 0)
        rc = apply(f, &j, err);
    if (rc) {
        /* The caller hears "failed": make that true for good. */
        struct gh_error rb;
        if (decide_rollback(f, &rb) == 0 && finish_rollback(f, &j, &rb) == 0) {
            settle(f, &rb);   /* tidying up; stays stale for the next call if it fails */
            snprintf(err->msg + strlen(err->msg), sizeof err->msg - strlen(err->msg),
                     " (rolled back: the previous files stay)");
            return GH_E_IO;
        }
        snprintf(err->msg + strlen(err->msg), sizeof err->msg - strlen(err->msg),
                 "; rolling it back failed too (%.200s): the flash does not answer", rb.msg);
        return GH_E_IO;
    }
    /* Durable and complete from here: a failure to tidy up is settle()'s. */
    if (finish(f, &j, JOURNAL, err) != 0) {
        gh_error_clear(err);
        f->generation = j.generation;
        return 0;
    }
    f->generation = j.generation;
    f->stale = 0;
    return 0;
}

static const struct flash_ops dir_ops = {
    .read = dir_read,
    .commit = dir_commit,
    .close = NULL,
    .settle = settle,
};

int flash_open_dir(struct gh_flash *f, const char *dir, const struct flash_io *io,
                   struct gh_error *err)
{
    size_t n = dir ? strlen(dir) : 0;
    int rc;

    memset(f, 0, sizeof *f);
    f->fd = -1;
    f->active = -1;
    if (n == 0)
        return flash_fail(err, GH_E_INVALID, NULL, "no flash folder given");
    /* The longest path we build: DIR/NAME.tmp with the longest NAME. */
    if (n + 1 + GH_FLASH_NAME_MAX + sizeof TMP > GH_PATH_MAX)
        return flash_fail(err, GH_E_CAPACITY, NULL,
                          "flash folder path is %zu characters; at most %zu fit GH_PATH_MAX",
                          n, (size_t)(GH_PATH_MAX - 1 - GH_FLASH_NAME_MAX - sizeof TMP));
    memcpy(f->path, dir, n + 1);
    f->io = io ? io : &flash_io_posix;
    f->ops = &dir_ops;
    rc = settle(f, err);
    if (rc)
        f->ops = NULL;
    return rc;
}
