/* flash_raw.c: the flash as a raw partition with two slots (A/B).
 *
 * Layout, all integers little-endian:
 *
 *   slot i at offset i * slot_size:
 *     sector 0 (512 bytes): magic "GHF1", generation u32, length u32, crc u32, zeros
 *     from byte 512: `length` bytes of archive, one entry per file:
 *       name length u8, name, data length u32, data
 *   crc = CRC-32 of the first 12 header bytes followed by the archive.
 *
 * The header has a sector of its own so that rewriting it cannot tear a
 * sector that holds archive bytes, and the archive's writes stay aligned.
 *
 * A commit builds the complete new set (the active slot's files, with the
 * commit's replacements and removals applied) in the other slot:
 *   1. zero that slot's header, sync      (it no longer claims any generation)
 *   2. write the archive, sync            (durable, but nothing points at it)
 *   3. write the header, sync             <- commit point
 *   4. read the slot back and check it
 * The active slot is never written, so until step 3's header is durable and
 * whole, the old slot is the only valid one (old content). A header is only
 * accepted with its CRC over header and archive, and it is written only after
 * the archive is durable, so a valid new header means a complete new archive.
 * A power cut that tears the header or leaves any prefix or subset of the
 * archive's sectors fails the CRC and that slot is ignored. Reading picks the
 * valid slot with the higher generation (compared modulo 2^32). */
#include "flash.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define RAW_MAGIC   0x31464847u   /* "GHF1" */
#define SECTOR      512u
#define HDR_BYTES   16u
#define ENTRY_FIXED (1u + 4u)     /* name length + data length */

enum slot_state { SLOT_BLANK, SLOT_CORRUPT, SLOT_VALID };

struct slot {
    enum slot_state state;
    uint32_t generation;
    uint32_t length;
    const char *why;   /* for CORRUPT */
};

struct entry {
    char name[GH_FLASH_NAME_MAX + 1];
    uint32_t len;
    uint64_t data_off;   /* absolute offset in the partition */
};

static void put_le32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static uint32_t get_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t slot_base(const struct gh_flash *f, int slot)
{
    return (uint64_t)slot * f->slot_size;
}

static int io_fail(struct gh_error *err, const struct gh_flash *f, const char *file,
                   const char *what, int e)
{
    return flash_fail(err, GH_E_IO, file, "%s in flash partition %s: %s", what, f->path,
                      strerror(-e));
}

/* The entry at *pos (relative to the archive) of an archive of `length`
 * bytes. 1: *e filled and *pos advanced; 0: end; -EBADMSG: not an archive we
 * wrote; other negative: -errno. */
static int next_entry(struct gh_flash *f, int slot, uint32_t length, uint64_t *pos,
                      struct entry *e)
{
    unsigned char b[GH_FLASH_NAME_MAX + 4];
    uint64_t at = slot_base(f, slot) + SECTOR + *pos;
    size_t got;
    unsigned nlen;
    int rc;

    if (*pos == length)
        return 0;
    rc = flash_pread_all(f->io, f->fd, b, 1, at, &got);
    if (rc < 0)
        return rc;
    nlen = b[0];
    if (got != 1 || nlen == 0 || nlen > GH_FLASH_NAME_MAX ||
        *pos + ENTRY_FIXED + nlen > length)
        return -EBADMSG;
    rc = flash_pread_all(f->io, f->fd, b, nlen + 4, at + 1, &got);
    if (rc < 0)
        return rc;
    if (got != nlen + 4)
        return -EBADMSG;
    memcpy(e->name, b, nlen);
    e->name[nlen] = '\0';
    e->len = get_le32(b + nlen);
    if (flash_check_name(e->name, NULL) != 0 ||
        *pos + ENTRY_FIXED + nlen + e->len > length)
        return -EBADMSG;
    e->data_off = at + ENTRY_FIXED + nlen;
    *pos += ENTRY_FIXED + nlen + (uint64_t)e->len;
    return 1;
}

/* 0 with *s filled (a slot that is not ours is just BLANK or CORRUPT), or
 * -errno when the partition cannot be read. */
static int scan_slot(struct gh_flash *f, int slot, struct slot *s)
{
    unsigned char buf[SECTOR];
    char names[GH_FLASH_MAX_FILES][GH_FLASH_NAME_MAX + 1];
    uint64_t base = slot_base(f, slot), pos;
    uint32_t crc, stored;
    size_t got;
    struct entry e;
    int rc, count = 0;

    memset(s, 0, sizeof *s);
    s->state = SLOT_CORRUPT;
    rc = flash_pread_all(f->io, f->fd, buf, HDR_BYTES, base, &got);
    if (rc < 0)
        return rc;
    if (got < HDR_BYTES || get_le32(buf) != RAW_MAGIC) {
        s->state = SLOT_BLANK;
        return 0;
    }
    s->generation = get_le32(buf + 4);
    s->length = get_le32(buf + 8);
    if (s->generation == 0 || s->length > f->slot_size - SECTOR) {
        s->why = "impossible header";
        return 0;
    }
    stored = get_le32(buf + 12);
    crc = flash_crc32(0, buf, 12);
    for (uint64_t off = 0; off < s->length; off += got) {
        size_t want = s->length - off < SECTOR ? (size_t)(s->length - off) : SECTOR;
        rc = flash_pread_all(f->io, f->fd, buf, want, base + SECTOR + off, &got);
        if (rc < 0)
            return rc;
        if (got != want) {
            s->why = "archive cut short by the end of the partition";
            return 0;
        }
        crc = flash_crc32(crc, buf, got);
    }
    if (crc != stored) {
        s->why = "bad CRC";
        return 0;
    }
    /* A good CRC over a malformed archive would be our own bug; do not let a
     * reader walk it. */
    pos = 0;
    while ((rc = next_entry(f, slot, s->length, &pos, &e)) == 1) {
        if (count == GH_FLASH_MAX_FILES) {
            s->why = "more files than GH_FLASH_MAX_FILES";
            return 0;
        }
        for (int i = 0; i < count; i++)
            if (strcmp(names[i], e.name) == 0) {
                s->why = "a file twice";
                return 0;
            }
        strcpy(names[count++], e.name);
    }
    if (rc == -EBADMSG) {
        s->why = "malformed archive";
        return 0;
    }
    if (rc < 0)
        return rc;
    s->state = SLOT_VALID;
    return 0;
}

/* for_commit 0: a reader's scan, which may go on when the sync fails. */
static int scan_for(struct gh_flash *f, int for_commit, struct gh_error *err)
{
    struct slot s[2];
    int best = -1, unsynced = 0;

    /* After a failed commit, what reads back may be cached, not stored: a
     * slot taken as active must be durable, or the next commit would write
     * over the only durable one. A medium that will not sync can still be
     * read (the handle stays stale, so a commit tries again and refuses). */
    if (f->stale) {
        int rc = f->io->fsync(f->io->ctx, f->fd);
        if (rc < 0 && for_commit)
            return io_fail(err, f, NULL, "cannot sync", rc);
        unsynced = rc < 0;
    }

    for (int i = 0; i < 2; i++) {
        int rc = scan_slot(f, i, &s[i]);
        if (rc < 0)
            return io_fail(err, f, NULL, "cannot read a slot", rc);
        if (s[i].state == SLOT_VALID &&
            (best < 0 || (int32_t)(s[i].generation - s[best].generation) > 0))
            best = i;
    }
    if (best < 0 && s[0].state == SLOT_CORRUPT && s[1].state == SLOT_CORRUPT)
        return flash_fail(err, GH_E_IO, NULL,
                          "flash partition %s: both slots are corrupt (slot 0: %s; slot 1: %s)",
                          f->path, s[0].why, s[1].why);
    /* One corrupt slot beside a blank one is also what a cut during the very
     * first commit leaves: that is the empty flash it was before. */
    f->active = best;
    f->generation = best < 0 ? 0 : s[best].generation;
    f->length = best < 0 ? 0 : s[best].length;
    f->damaged = best < 0 && (s[0].state == SLOT_CORRUPT || s[1].state == SLOT_CORRUPT);
    f->stale = unsynced;
    return 0;
}

static int scan(struct gh_flash *f, struct gh_error *err)
{
    return scan_for(f, 1, err);
}

static int raw_read(struct gh_flash *f, const char *name, void *buf, size_t cap, size_t *len,
                    struct gh_error *err)
{
    struct entry e;
    uint64_t pos = 0;
    size_t got;
    int rc;

    if (f->stale) {
        rc = scan_for(f, 0, err);
        if (rc)
            return rc;
    }
    if (f->active < 0)
        return flash_fail(err, GH_E_NOTFOUND, name, "not in flash partition %s%s", f->path,
                          f->damaged ? " (it holds no valid slot; one failed its CRC)" : "");
    while ((rc = next_entry(f, f->active, f->length, &pos, &e)) == 1) {
        if (strcmp(e.name, name) != 0)
            continue;
        if (e.len > cap)
            return flash_fail(err, GH_E_CAPACITY, name,
                              "is %lu bytes, more than the %zu-byte buffer for it",
                              (unsigned long)e.len, cap);
        rc = flash_pread_all(f->io, f->fd, buf, e.len, e.data_off, &got);
        if (rc == 0 && got != e.len)
            rc = -EIO;
        if (rc < 0)
            return io_fail(err, f, name, "cannot read", rc);
        *len = got;
        return 0;
    }
    if (rc < 0)
        return io_fail(err, f, name, "cannot read the archive", rc == -EBADMSG ? -EIO : rc);
    return flash_fail(err, GH_E_NOTFOUND, name, "not in flash partition %s", f->path);
}

/* Sector-sized sequential writes into the target slot, CRC as they go. */
struct writer {
    struct gh_flash *f;
    uint64_t off;               /* where buf goes */
    size_t fill;
    uint32_t crc;
    unsigned char buf[SECTOR];
};

static int wr_flush(struct writer *w)
{
    int rc;
    if (!w->fill)
        return 0;
    rc = flash_pwrite_all(w->f->io, w->f->fd, w->buf, w->fill, w->off);
    w->off += w->fill;
    w->fill = 0;
    return rc;
}

static int wr_put(struct writer *w, const void *data, size_t n)
{
    const unsigned char *p = data;
    w->crc = flash_crc32(w->crc, data, n);
    while (n) {
        size_t k = SECTOR - w->fill < n ? SECTOR - w->fill : n;
        int rc;
        memcpy(w->buf + w->fill, p, k);
        w->fill += k;
        p += k;
        n -= k;
        if (w->fill == SECTOR && (rc = wr_flush(w)) < 0)
            return rc;
    }
    return 0;
}

static int wr_entry_head(struct writer *w, const char *name, uint32_t len)
{
    unsigned char b[1 + GH_FLASH_NAME_MAX + 4];
    size_t n = strlen(name);
    b[0] = (unsigned char)n;
    memcpy(b + 1, name, n);
    put_le32(b + 1 + n, len);
    return wr_put(w, b, 1 + n + 4);
}

static int named(const struct flash_file *files, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(files[i].name, name) == 0)
            return 1;
    return 0;
}

/* Step 2: the active slot's files the commit does not name, then the
 * commit's new files. */
static int write_archive(struct writer *w, const struct flash_file *files, int n)
{
    struct gh_flash *f = w->f;
    unsigned char chunk[SECTOR];
    struct entry e;
    uint64_t pos = 0;
    int rc = 0;

    while (f->active >= 0 && (rc = next_entry(f, f->active, f->length, &pos, &e)) == 1) {
        if (named(files, n, e.name))
            continue;
        rc = wr_entry_head(w, e.name, e.len);
        for (uint32_t done = 0; rc == 0 && done < e.len;) {
            size_t want = e.len - done < SECTOR ? e.len - done : SECTOR, got;
            rc = flash_pread_all(f->io, f->fd, chunk, want, e.data_off + done, &got);
            if (rc == 0 && got != want)
                rc = -EIO;
            if (rc == 0)
                rc = wr_put(w, chunk, want);
            done += (uint32_t)want;
        }
        if (rc < 0)
            return rc;
    }
    if (rc < 0)
        return rc;
    for (int i = 0; i < n; i++) {
        if (!files[i].data)
            continue;
        rc = wr_entry_head(w, files[i].name, (uint32_t)files[i].len);
        if (rc == 0)
            rc = wr_put(w, files[i].data, files[i].len);
        if (rc < 0)
            return rc;
    }
    return wr_flush(w);
}

static int sync_fail(struct gh_flash *f, int rc, const char *what, struct gh_error *err)
{
    return io_fail(err, f, NULL, what, rc);
}

/* A commit failed once its header may be on the medium: the caller hears
 * "failed", so the new slot must never win a scan. Clear its header again. */
static int unclaim(struct gh_flash *f, int target, int rc, struct gh_error *err)
{
    unsigned char zero[SECTOR];
    size_t at = strlen(err->msg);
    memset(zero, 0, sizeof zero);
    int e = flash_pwrite_all(f->io, f->fd, zero, SECTOR, slot_base(f, target));
    if (e == 0)
        e = f->io->fsync(f->io->ctx, f->fd);
    if (e == 0)
        snprintf(err->msg + at, sizeof err->msg - at, " (rolled back: the previous files stay)");
    else
        snprintf(err->msg + at, sizeof err->msg - at,
                 "; rolling it back failed too (%s): the flash does not answer", strerror(-e));
    return rc;
}

static int raw_commit(struct gh_flash *f, const struct flash_file *files, int n,
                      struct gh_error *err)
{
    const struct flash_io *io = f->io;
    unsigned char hdr[SECTOR];
    struct writer w;
    struct slot check;
    struct entry e;
    uint64_t pos = 0, total = 0;
    uint32_t gen;
    int rc, count = 0, target;

    if (f->stale) {
        rc = scan(f, err);
        if (rc)
            return rc;
    }
    /* Plan first: a set that does not fit is refused before a byte moves. */
    while (f->active >= 0 && (rc = next_entry(f, f->active, f->length, &pos, &e)) == 1)
        if (!named(files, n, e.name)) {
            total += ENTRY_FIXED + strlen(e.name) + e.len;
            count++;
        }
    if (f->active >= 0 && rc < 0)
        return io_fail(err, f, NULL, "cannot read the active slot",
                       rc == -EBADMSG ? -EIO : rc);
    for (int i = 0; i < n; i++)
        if (files[i].data) {
            total += ENTRY_FIXED + strlen(files[i].name) + files[i].len;
            count++;
        }
    if (count > GH_FLASH_MAX_FILES)
        return flash_fail(err, GH_E_CAPACITY, NULL,
                          "the flash would hold %d files, more than GH_FLASH_MAX_FILES (%d)",
                          count, GH_FLASH_MAX_FILES);
    if (total > f->slot_size - SECTOR)
        return flash_fail(err, GH_E_CAPACITY, NULL,
                          "the flash's files would take %llu bytes; a slot of partition %s "
                          "holds %llu",
                          (unsigned long long)total, f->path,
                          (unsigned long long)(f->slot_size - SECTOR));

    target = f->active == 0 ? 1 : 0;
    gen = f->generation + 1 ? f->generation + 1 : 1;
    f->stale = 1;   /* until the end, the handle's idea of the slots may be wrong */

    memset(hdr, 0, sizeof hdr);
    rc = flash_pwrite_all(io, f->fd, hdr, SECTOR, slot_base(f, target));
    if (rc < 0)
        return io_fail(err, f, NULL, "cannot clear the spare slot", rc);
    rc = io->fsync(io->ctx, f->fd);
    if (rc < 0)
        return sync_fail(f, rc, "cannot sync", err);

    put_le32(hdr, RAW_MAGIC);
    put_le32(hdr + 4, gen);
    put_le32(hdr + 8, (uint32_t)total);
    memset(&w, 0, sizeof w);
    w.f = f;
    w.off = slot_base(f, target) + SECTOR;
    w.crc = flash_crc32(0, hdr, 12);
    rc = write_archive(&w, files, n);
    if (rc < 0)
        return io_fail(err, f, NULL, "cannot write the new files", rc);
    rc = io->fsync(io->ctx, f->fd);
    if (rc < 0)
        return sync_fail(f, rc, "cannot sync the new files", err);

    put_le32(hdr + 12, w.crc);
    rc = flash_pwrite_all(io, f->fd, hdr, SECTOR, slot_base(f, target));
    if (rc < 0)
        return unclaim(f, target, io_fail(err, f, NULL, "cannot write the slot header", rc), err);
    rc = io->fsync(io->ctx, f->fd);
    if (rc < 0)
        return unclaim(f, target, sync_fail(f, rc, "cannot sync the slot header", err), err);

    /* Flash that silently fails to program is a thing: prove the slot. */
    rc = scan_slot(f, target, &check);
    if (rc < 0)
        return unclaim(f, target, io_fail(err, f, NULL, "cannot read back the new slot", rc), err);
    if (check.state != SLOT_VALID || check.generation != gen)
        return unclaim(f, target,
                       flash_fail(err, GH_E_IO, NULL,
                                  "flash partition %s: slot %d does not read back as written (%s)",
                                  f->path, target, check.why ? check.why : "blank"),
                       err);
    f->active = target;
    f->generation = gen;
    f->length = (uint32_t)total;
    f->damaged = 0;
    f->stale = 0;
    return 0;
}

static void raw_close(struct gh_flash *f)
{
    if (f->fd >= 0)
        f->io->close(f->io->ctx, f->fd);
    f->fd = -1;
}

static const struct flash_ops raw_ops = {
    .read = raw_read,
    .commit = raw_commit,
    .close = raw_close,
    .settle = scan,
};

int flash_open_raw(struct gh_flash *f, const char *partition, size_t slot_size,
                   const struct flash_io *io, struct gh_error *err)
{
    size_t n = partition ? strlen(partition) : 0;
    uint64_t size, slot64;
    int rc;

    memset(f, 0, sizeof *f);
    f->fd = -1;
    f->active = -1;
    if (slot_size == 0)
        slot_size = GH_FLASH_RAW_SLOT_SIZE;
    if (n == 0)
        return flash_fail(err, GH_E_INVALID, NULL, "no flash partition given");
    if (n >= GH_PATH_MAX)
        return flash_fail(err, GH_E_CAPACITY, NULL,
                          "flash partition path is %zu characters, over GH_PATH_MAX (%d)", n,
                          GH_PATH_MAX);
    slot64 = slot_size;   /* a variable, so 32-bit size_t does not warn */
    if (slot64 < 2 * SECTOR || slot64 % SECTOR || slot64 - SECTOR > UINT32_MAX)
        return flash_fail(err, GH_E_INVALID, NULL,
                          "flash slot size %zu is not a multiple of %u of at least %u bytes",
                          slot_size, SECTOR, 2 * SECTOR);
    memcpy(f->path, partition, n + 1);
    f->io = io ? io : &flash_io_posix;
    f->slot_size = slot_size;
    rc = f->io->open(f->io->ctx, f->path, FLASH_OPEN_RDWR);
    if (rc < 0)
        return io_fail(err, f, NULL, "cannot open", rc);
    f->fd = rc;
    rc = f->io->size(f->io->ctx, f->fd, &size);
    if (rc < 0) {
        raw_close(f);
        return io_fail(err, f, NULL, "cannot size", rc);
    }
    if (size < 2 * f->slot_size) {
        raw_close(f);
        return flash_fail(err, GH_E_INVALID, NULL,
                          "flash partition %s is %llu bytes; two slots of %llu need %llu",
                          f->path, (unsigned long long)size, (unsigned long long)f->slot_size,
                          2 * (unsigned long long)f->slot_size);
    }
    f->ops = &raw_ops;
    rc = scan(f, err);
    if (rc) {
        raw_close(f);
        f->ops = NULL;
    }
    return rc;
}
