/* test_flash_fake.h: an in-memory filesystem behind struct flash_io that can
 * lose power, for tests/unit/test_flash_faults.c.
 *
 * The crash model, meant to be no kinder than real hardware:
 *  - A file's bytes are durable after fsync(file). At a power cut every
 *    512-byte sector written since then comes back old, new, torn (a prefix
 *    new, the rest old) or garbage, each sector on its own; an unsynced size
 *    change comes back as the old size, the new one or anything between.
 *  - A folder's entry changes (create, rename, unlink) are durable after
 *    fsync(folder). At a cut any subset of the unsynced ones survives,
 *    applied in their order (rename itself stays atomic: one entry or the
 *    other). fsync of a file does not make its name durable.
 *  - The operation the power cut hits has its volatile effect (a write lands
 *    in the cache, a rename in the folder) and then fails with -EIO, and so
 *    does everything after it until fake_crash().
 * One folder only (the one given to fake_reset()); the raw backend's
 * partition is a file in it. */
#ifndef TEST_FLASH_FAKE_H
#define TEST_FLASH_FAKE_H

#include <stddef.h>
#include <stdint.h>

#include "flash.h"

#define FAKE_FILE_MAX  (80 * 1024)
#define FAKE_SECTOR    512

void fake_reset(const char *dir);
const struct flash_io *fake_io(void);

/* Cut the power at the step-th mutating call from now (open for writing,
 * write, pwrite, fsync, rename, unlink), counting from 0; -1 never. */
void fake_arm_cut(long step);
/* Make the step-th mutating call from now fail with -EIO and no effect (a
 * failed fsync makes nothing durable), the medium staying up; -1 never. */
void fake_arm_error(long step);
/* A lasting fault of one file (the medium stays up), until fake_fault(NULL,
 * 0, 0) or fake_reset(): the calls in ops on DIR/name fail with -err and no
 * effect. A directory in the file's place is (name, EISDIR, FAULT_ALL); an
 * immutable file (chattr +i) is (name, EPERM, FAULT_WRITE | FAULT_RENAME);
 * a bad block under it is (name, EIO, ...). FAULT_RENAME covers rename from
 * or onto the name, and unlink; FAULT_WRITE opening it for writing, and
 * write/pwrite/fsync on a descriptor of it. */
enum { FAULT_READ = 1, FAULT_WRITE = 2, FAULT_RENAME = 4, FAULT_ALL = 7 };
void fake_fault(const char *name, int err, int ops);

/* Mutating calls since the last fake_arm_*() or fake_reset(). */
long fake_steps(void);
int fake_dead(void);

/* Power comes back: decide what survived (from *rng), close every fd. */
void fake_crash(uint64_t *rng);

/* A durable file DIR/name, as a factory would leave it. */
int fake_put(const char *name, const void *data, size_t len);
/* The current bytes of DIR/name; -1 when missing. */
int fake_get(const char *name, void *buf, size_t cap, size_t *len);
/* Flip bits of the current and durable bytes at off. */
int fake_poke(const char *name, size_t off, unsigned char xor_mask);

/* Names in the folder now; name i into out, returns 0 past the end. */
int fake_name(int i, char *out, size_t cap);

uint64_t fake_rand(uint64_t *rng);

#endif
