/* flash.h: the files an appliance keeps across power cuts, replaced atomically.
 *
 * The flash holds a small set of named files (certmap.ini, ca.pem, crl.pem,
 * gatehouse.ini, settings.ini, server.pem, server.key). Provisioning replaces
 * one or several of them in one flash_commit(): after a power cut at any moment
 * the next flash_open_*() finds either every file as it was before the commit
 * or every file as the commit wrote it, never a mix and never a torn file.
 *
 * Two backends share this contract:
 *  - flash_open_dir(): a directory on a filesystem (the `--flash DIR` folder;
 *    files stay plain files an integrator can write at the factory).
 *  - flash_open_raw(): a raw partition (MTD/eMMC; on a host, a regular file)
 *    holding two slots, each a CRC-checked archive of the whole file set.
 *
 * Firmware defaults (read-only files shipped in the image, e.g.
 * /etc/gatehouse/defaults) are the caller's business, not a layer in here: the
 * caller knows which files have defaults, and a reader that silently mixed two
 * sources could not say which one a value came from, nor what "generation" it
 * belongs to. The pattern is a second handle on the defaults folder:
 *
 *     flash_open_dir(&defaults, "/etc/gatehouse/defaults", NULL, err);
 *     rc = flash_read(&fl, "settings.ini", buf, cap, &len, err);
 *     if (rc == GH_E_NOTFOUND)
 *         rc = flash_read(&defaults, "settings.ini", buf, cap, &len, err);
 *
 * Opening a clean folder writes nothing, so a read-only one works.
 *
 * One handle is used by one thread at a time; the server serialises commits.
 * No function allocates: the handle is caller-owned storage. */
#ifndef GH_FLASH_H
#define GH_FLASH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "budget.h"
#include "gh_error.h"

/* ---- the I/O every backend goes through ----
 *
 * Injectable so tests can cut the power at any step (tests/unit/
 * test_flash_faults.c). Every call returns >= 0 on success or a negative
 * errno value (-ENOENT, -EIO, ...); none of them touches errno for the caller. */
enum flash_open_mode {
    FLASH_OPEN_READ,    /* an existing file, read-only */
    FLASH_OPEN_CREATE,  /* write-only; created (0600) or truncated */
    FLASH_OPEN_RDWR,    /* an existing file or partition, read-write, not truncated */
    FLASH_OPEN_DIR,     /* a directory, opened only to fsync its entries */
};

struct flash_io {
    void *ctx;          /* handed back to every call (the fake filesystem in tests) */
    int (*open)(void *ctx, const char *path, enum flash_open_mode mode);
    ssize_t (*read)(void *ctx, int fd, void *buf, size_t n);
    ssize_t (*write)(void *ctx, int fd, const void *buf, size_t n);
    ssize_t (*pread)(void *ctx, int fd, void *buf, size_t n, uint64_t off);
    ssize_t (*pwrite)(void *ctx, int fd, const void *buf, size_t n, uint64_t off);
    int (*fsync)(void *ctx, int fd);
    int (*close)(void *ctx, int fd);
    int (*size)(void *ctx, int fd, uint64_t *size);   /* bytes of a file or partition */
    int (*rename)(void *ctx, const char *from, const char *to);
    int (*unlink)(void *ctx, const char *path);
    /* Call each(arg, name) for every entry of dir but "." and "..". A non-zero
     * return from each stops the walk and is returned. each may unlink the
     * entry it was given. */
    int (*list)(void *ctx, const char *dir, int (*each)(void *arg, const char *name), void *arg);
};

/* open(2), fsync(2), rename(2), ... on the real system. */
extern const struct flash_io flash_io_posix;

/* ---- the handle ---- */

struct flash_ops;

/* Caller-owned; every field is private to flash_*.c. */
struct gh_flash {
    const struct flash_ops *ops;
    const struct flash_io *io;
    uint32_t generation;        /* of the content a read returns; 0: never committed */
    int stale;                  /* a commit failed midway: recover before the next use */
    char path[GH_PATH_MAX];     /* the folder or the partition */
    int fd;                     /* raw: the open partition; dir: -1 */
    uint64_t slot_size;         /* raw: bytes of one slot */
    int active;                 /* raw: slot of the current content, -1 when none */
    uint32_t length;            /* raw: archive bytes in the active slot */
    int damaged;                /* raw: a slot failed its CRC (said in "not found" errors) */
    char note[400];             /* what recovery had to undo; "" when nothing */
};

/* A folder. Finishes or undoes a commit a power cut interrupted, and removes
 * its leftovers. io NULL means flash_io_posix. */
int flash_open_dir(struct gh_flash *f, const char *dir, const struct flash_io *io,
                   struct gh_error *err);

/* A raw partition of at least 2 * slot_size bytes (slot_size 0 means
 * GH_FLASH_RAW_SLOT_SIZE). A blank partition opens empty (generation 0);
 * GH_E_IO when both slots hold something and neither passes its CRC. */
int flash_open_raw(struct gh_flash *f, const char *partition, size_t slot_size,
                   const struct flash_io *io, struct gh_error *err);

/* What `--flash SPEC` names: "raw:PARTITION" (a raw partition, or a file
 * standing in for one, of at least 2 * GH_FLASH_RAW_SLOT_SIZE bytes) or a
 * folder. */
int flash_open_spec(struct gh_flash *f, const char *spec, struct gh_error *err);

void flash_close(struct gh_flash *f);

/* Copy file NAME into buf (not NUL-terminated: server.key may be DER).
 * GH_E_NOTFOUND when the flash has no such file; GH_E_CAPACITY, naming the
 * file's size, when it is larger than cap; GH_E_INVALID for a bad name. */
int flash_read(struct gh_flash *f, const char *name, void *buf, size_t cap, size_t *len,
               struct gh_error *err);

/* One file of a commit. data NULL (len 0) removes the file. */
struct flash_file {
    const char *name;
    const void *data;
    size_t len;
};

/* Replace files[0..n-1] all or nothing, 1 <= n <= GH_FLASH_MAX_FILES, each
 * name once. Files the commit does not name stay as they are. On success the
 * generation is one higher and the new files are durable. A failure before
 * any byte is written (GH_E_INVALID, GH_E_CAPACITY) changes nothing. A
 * failure while writing (GH_E_IO) leaves the complete old or, when it came
 * after the commit point, the complete new set; the handle then finds out
 * which (flash_generation() tells), or if the medium does not answer, the
 * next read, commit or open does. */
int flash_commit(struct gh_flash *f, const struct flash_file *files, int n,
                 struct gh_error *err);

/* "" or, when opening (or a recovery since) found a commit it could not
 * complete and rolled it back, what it was and why: the caller says so. */
const char *flash_note(const struct gh_flash *f);

/* Counts commits; what PUT /api/certmap answers as "generation". */
uint32_t flash_generation(const struct gh_flash *f);

/* 0 when NAME may be a flash file: 1..GH_FLASH_NAME_MAX of [A-Za-z0-9._-],
 * not starting with '.' (so no "..", no hidden bookkeeping file) and not
 * ending in ".tmp" (the dir backend's names for files being written). */
int flash_check_name(const char *name, struct gh_error *err);

/* CRC-32 (IEEE 802.3, reflected, as zlib's crc32()): crc = flash_crc32(0, p, n),
 * then chain. Self-contained because the target has no zlib. */
uint32_t flash_crc32(uint32_t crc, const void *p, size_t n);

/* ---- backend plumbing: for flash_*.c only ---- */

struct flash_ops {
    int (*read)(struct gh_flash *f, const char *name, void *buf, size_t cap, size_t *len,
                struct gh_error *err);
    int (*commit)(struct gh_flash *f, const struct flash_file *files, int n,
                  struct gh_error *err);
    void (*close)(struct gh_flash *f);
    /* Bring the handle in line with the medium after a failed commit. */
    int (*settle)(struct gh_flash *f, struct gh_error *err);
};

/* gh_error_set() that also names the file (may be NULL) the error is about. */
int flash_fail(struct gh_error *err, int code, const char *file, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Loops over short transfers. 0 or -errno; *got (read) is short only at EOF. */
int flash_write_all(const struct flash_io *io, int fd, const void *buf, size_t n);
int flash_pwrite_all(const struct flash_io *io, int fd, const void *buf, size_t n, uint64_t off);
int flash_read_all(const struct flash_io *io, int fd, void *buf, size_t n, size_t *got);
int flash_pread_all(const struct flash_io *io, int fd, void *buf, size_t n, uint64_t off,
                    size_t *got);

#endif
