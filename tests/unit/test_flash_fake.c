/* test_flash_fake.c: the power-cut filesystem of test_flash_fake.h. */
#include "test_flash_fake.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define INODES   32
#define ENTRIES  48
#define LOG_MAX  128
#define FDS      16
#define NAME_CAP 64
#define SECTORS  (FAKE_FILE_MAX / FAKE_SECTOR)

struct inode {
    int used;
    size_t dur_len, cur_len;
    unsigned char dirty[SECTORS];
};

struct dentry {
    char name[NAME_CAP];
    int ino;
};

struct ns {
    int n;
    struct dentry e[ENTRIES];
};

enum op_kind { OP_CREATE, OP_RENAME, OP_UNLINK };

struct op {
    enum op_kind kind;
    char a[NAME_CAP], b[NAME_CAP];
    int ino;
};

struct ofd {
    int used;
    int ino;          /* -1: the folder */
    size_t pos;
};

static struct {
    char dir[NAME_CAP];
    struct inode ino[INODES];
    struct ns cur, dur;
    struct op log[LOG_MAX];
    int nlog;
    struct ofd fd[FDS];
    long steps, cut_at, fail_at;
    int dead;
    char fault_name[NAME_CAP];
    int fault_err, fault_ops;
} fs;

static unsigned char dur_data[INODES][FAKE_FILE_MAX];
static unsigned char cur_data[INODES][FAKE_FILE_MAX];

uint64_t fake_rand(uint64_t *s)
{
    /* splitmix64: every seed, 0 included, gives a good stream. */
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void fake_reset(const char *dir)
{
    for (int i = 0; i < INODES; i++) {
        if (fs.ino[i].used) {
            memset(dur_data[i], 0, fs.ino[i].dur_len);
            memset(cur_data[i], 0, fs.ino[i].cur_len);
        }
    }
    memset(&fs, 0, sizeof fs);
    snprintf(fs.dir, sizeof fs.dir, "%s", dir);
    fs.cut_at = -1;
    fs.fail_at = -1;
}

void fake_arm_cut(long step)
{
    fs.steps = 0;
    fs.cut_at = step;
    fs.fail_at = -1;
}

void fake_arm_error(long step)
{
    fs.steps = 0;
    fs.cut_at = -1;
    fs.fail_at = step;
}

static int ns_find(const struct ns *s, const char *name);

void fake_fault(const char *name, int err, int ops)
{
    snprintf(fs.fault_name, sizeof fs.fault_name, "%s", name ? name : "");
    fs.fault_err = err;
    fs.fault_ops = name ? ops : 0;
}

/* -err when NAME has a lasting fault for ops, else 0. */
static int faulty(const char *name, int ops)
{
    if (!(fs.fault_ops & ops) || !name || strcmp(name, fs.fault_name) != 0)
        return 0;
    return ns_find(&fs.cur, name) >= 0 ? -fs.fault_err : 0;   /* a fault of a file that is there */
}

/* ... for a descriptor: the file it was opened as, if that name still
 * refers to its inode. */
static int faulty_ino(int ino)
{
    int i;
    if (!(fs.fault_ops & FAULT_WRITE) || ino < 0)
        return 0;
    i = ns_find(&fs.cur, fs.fault_name);
    return i >= 0 && fs.cur.e[i].ino == ino ? -fs.fault_err : 0;
}

long fake_steps(void)
{
    return fs.steps;
}

int fake_dead(void)
{
    return fs.dead;
}

/* CUT when this mutating call is the one the power cut hits, FAIL when it
 * is the one that fails on its own. */
enum { GO, CUT, FAIL };
static int step(void)
{
    long s = fs.steps++;
    return s == fs.cut_at ? CUT : s == fs.fail_at ? FAIL : GO;
}

static const char *base_name(const char *path)
{
    size_t n = strlen(fs.dir);
    if (strncmp(path, fs.dir, n) != 0 || path[n] != '/' || !path[n + 1] ||
        strchr(path + n + 1, '/') || strlen(path + n + 1) >= NAME_CAP)
        return NULL;
    return path + n + 1;
}

static int ns_find(const struct ns *s, const char *name)
{
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->e[i].name, name) == 0)
            return i;
    return -1;
}

static void ns_remove(struct ns *s, int i)
{
    s->e[i] = s->e[--s->n];
}

static int ns_add(struct ns *s, const char *name, int ino)
{
    int i = ns_find(s, name);
    if (i >= 0) {
        s->e[i].ino = ino;
        return 0;
    }
    if (s->n == ENTRIES)
        return -ENOSPC;
    snprintf(s->e[s->n].name, NAME_CAP, "%s", name);
    s->e[s->n].ino = ino;
    s->n++;
    return 0;
}

static int referenced(int ino)
{
    for (int i = 0; i < fs.cur.n; i++)
        if (fs.cur.e[i].ino == ino)
            return 1;
    for (int i = 0; i < fs.dur.n; i++)
        if (fs.dur.e[i].ino == ino)
            return 1;
    for (int i = 0; i < fs.nlog; i++)
        if (fs.log[i].ino == ino)
            return 1;
    for (int i = 0; i < FDS; i++)
        if (fs.fd[i].used && fs.fd[i].ino == ino)
            return 1;
    return 0;
}

static void ino_free(int i)
{
    memset(dur_data[i], 0, fs.ino[i].dur_len);
    memset(cur_data[i], 0, fs.ino[i].cur_len);
    memset(&fs.ino[i], 0, sizeof fs.ino[i]);
}

static int ino_alloc(void)
{
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < INODES; i++)
            if (!fs.ino[i].used) {
                fs.ino[i].used = 1;
                return i;
            }
        for (int i = 0; i < INODES; i++)
            if (!referenced(i))
                ino_free(i);
    }
    return -ENOSPC;
}

static void log_op(enum op_kind k, const char *a, const char *b, int ino)
{
    if (fs.nlog == LOG_MAX) {
        /* Nothing we test issues this many unsynced folder changes. */
        fprintf(stderr, "fake flash: folder change log full\n");
        fs.dead = 1;
        return;
    }
    fs.log[fs.nlog].kind = k;
    snprintf(fs.log[fs.nlog].a, NAME_CAP, "%s", a);
    snprintf(fs.log[fs.nlog].b, NAME_CAP, "%s", b ? b : "");
    fs.log[fs.nlog].ino = ino;
    fs.nlog++;
}

static int fd_new(int ino)
{
    for (int i = 0; i < FDS; i++)
        if (!fs.fd[i].used) {
            fs.fd[i].used = 1;
            fs.fd[i].ino = ino;
            fs.fd[i].pos = 0;
            return i + 3;
        }
    return -EMFILE;
}

static struct ofd *fd_get(int fd)
{
    if (fd < 3 || fd >= FDS + 3 || !fs.fd[fd - 3].used)
        return NULL;
    return &fs.fd[fd - 3];
}

static void mark_dirty(int ino, size_t from, size_t to)
{
    for (size_t s = from / FAKE_SECTOR; s * FAKE_SECTOR < to && s < SECTORS; s++)
        fs.ino[ino].dirty[s] = 1;
}

static int f_open(void *ctx, const char *path, enum flash_open_mode mode)
{
    const char *name;
    int i, ino, cut = 0;
    (void)ctx;
    if (mode == FLASH_OPEN_CREATE)
        cut = step();
    if (fs.dead || cut == FAIL)
        return -EIO;
    if (mode == FLASH_OPEN_DIR)
        return strcmp(path, fs.dir) == 0 ? fd_new(-1) : -ENOENT;
    name = base_name(path);
    if (!name)
        return -ENOENT;
    /* RDWR is the raw partition: its fault is in the writes */
    if (mode != FLASH_OPEN_RDWR &&
        (i = faulty(name, mode == FLASH_OPEN_READ ? FAULT_READ : FAULT_WRITE)) != 0)
        return i;
    i = ns_find(&fs.cur, name);
    if (mode != FLASH_OPEN_CREATE) {
        if (i < 0)
            return -ENOENT;
        return fd_new(fs.cur.e[i].ino);
    }
    if (i >= 0) {
        ino = fs.cur.e[i].ino;
        mark_dirty(ino, 0, fs.ino[ino].cur_len);
        memset(cur_data[ino], 0, fs.ino[ino].cur_len);
        fs.ino[ino].cur_len = 0;
    } else {
        ino = ino_alloc();
        if (ino < 0)
            return ino;
        if (ns_add(&fs.cur, name, ino) < 0)
            return -ENOSPC;
        log_op(OP_CREATE, name, NULL, ino);
    }
    if (cut) {
        fs.dead = 1;
        return -EIO;
    }
    return fd_new(ino);
}

static ssize_t do_pread(struct ofd *o, void *buf, size_t n, size_t off)
{
    size_t len;
    if (o->ino < 0)
        return -EISDIR;
    len = fs.ino[o->ino].cur_len;
    if (off >= len)
        return 0;
    if (n > len - off)
        n = len - off;
    memcpy(buf, cur_data[o->ino] + off, n);
    return (ssize_t)n;
}

static ssize_t do_pwrite(struct ofd *o, const void *buf, size_t n, size_t off)
{
    struct inode *in;
    int cut = step();
    if (fs.dead || cut == FAIL)
        return -EIO;
    if (o->ino < 0)
        return -EISDIR;
    if (faulty_ino(o->ino))
        return faulty_ino(o->ino);
    in = &fs.ino[o->ino];
    if (off > FAKE_FILE_MAX || n > FAKE_FILE_MAX - off)
        return -ENOSPC;
    memcpy(cur_data[o->ino] + off, buf, n);
    mark_dirty(o->ino, off, off + n);
    if (off + n > in->cur_len)
        in->cur_len = off + n;
    if (cut) {
        fs.dead = 1;
        return -EIO;
    }
    return (ssize_t)n;
}

static ssize_t f_read(void *ctx, int fd, void *buf, size_t n)
{
    struct ofd *o = fd_get(fd);
    ssize_t r;
    (void)ctx;
    if (fs.dead)
        return -EIO;
    if (!o)
        return -EBADF;
    r = do_pread(o, buf, n, o->pos);
    if (r > 0)
        o->pos += (size_t)r;
    return r;
}

static ssize_t f_write(void *ctx, int fd, const void *buf, size_t n)
{
    struct ofd *o = fd_get(fd);
    ssize_t r;
    (void)ctx;
    if (!o)
        return -EBADF;
    r = do_pwrite(o, buf, n, o->pos);
    if (r > 0)
        o->pos += (size_t)r;
    return r;
}

static ssize_t f_pread(void *ctx, int fd, void *buf, size_t n, uint64_t off)
{
    struct ofd *o = fd_get(fd);
    (void)ctx;
    if (fs.dead)
        return -EIO;
    if (!o)
        return -EBADF;
    return off > FAKE_FILE_MAX ? 0 : do_pread(o, buf, n, (size_t)off);
}

static ssize_t f_pwrite(void *ctx, int fd, const void *buf, size_t n, uint64_t off)
{
    struct ofd *o = fd_get(fd);
    (void)ctx;
    if (!o)
        return -EBADF;
    return do_pwrite(o, buf, n, off > FAKE_FILE_MAX ? FAKE_FILE_MAX + 1 : (size_t)off);
}

static int f_fsync(void *ctx, int fd)
{
    struct ofd *o = fd_get(fd);
    int cut = step();
    (void)ctx;
    if (cut == CUT)
        fs.dead = 1;   /* a sync the cut interrupts promised nothing */
    if (fs.dead || cut == FAIL)
        return -EIO;   /* and one that fails made nothing durable */
    if (!o)
        return -EBADF;
    if (faulty_ino(o->ino))
        return faulty_ino(o->ino);
    if (o->ino < 0) {
        fs.dur = fs.cur;
        fs.nlog = 0;
    } else {
        struct inode *in = &fs.ino[o->ino];
        size_t top = in->dur_len > in->cur_len ? in->dur_len : in->cur_len;
        memcpy(dur_data[o->ino], cur_data[o->ino], top);
        in->dur_len = in->cur_len;
        memset(in->dirty, 0, sizeof in->dirty);
    }
    return 0;
}

static int f_close(void *ctx, int fd)
{
    struct ofd *o = fd_get(fd);
    (void)ctx;
    if (!o)
        return -EBADF;
    o->used = 0;
    return fs.dead ? -EIO : 0;
}

static int f_size(void *ctx, int fd, uint64_t *size)
{
    struct ofd *o = fd_get(fd);
    (void)ctx;
    if (fs.dead)
        return -EIO;
    if (!o || o->ino < 0)
        return -EBADF;
    *size = fs.ino[o->ino].cur_len;
    return 0;
}

static int f_rename(void *ctx, const char *from, const char *to)
{
    const char *a = base_name(from), *b = base_name(to);
    int i, j, cut = step();
    (void)ctx;
    if (fs.dead || cut == FAIL)
        return -EIO;
    if (!a || !b)
        return -ENOENT;
    i = ns_find(&fs.cur, a);
    if (i < 0)
        return cut ? (fs.dead = 1, -EIO) : -ENOENT;
    if (faulty(a, FAULT_RENAME) || faulty(b, FAULT_RENAME))
        return -fs.fault_err;
    j = ns_find(&fs.cur, b);
    if (j >= 0 && j != i) {
        fs.cur.e[j].ino = fs.cur.e[i].ino;
        ns_remove(&fs.cur, i);
    } else if (j < 0) {
        snprintf(fs.cur.e[i].name, NAME_CAP, "%s", b);
    }
    log_op(OP_RENAME, a, b, -1);
    if (cut) {
        fs.dead = 1;
        return -EIO;
    }
    return 0;
}

static int f_unlink(void *ctx, const char *path)
{
    const char *a = base_name(path);
    int i, cut = step();
    (void)ctx;
    if (fs.dead || cut == FAIL)
        return -EIO;
    if (!a)
        return -ENOENT;
    i = ns_find(&fs.cur, a);
    if (i < 0)
        return cut ? (fs.dead = 1, -EIO) : -ENOENT;
    if (faulty(a, FAULT_RENAME))
        return -fs.fault_err;
    ns_remove(&fs.cur, i);
    log_op(OP_UNLINK, a, NULL, -1);
    if (cut) {
        fs.dead = 1;
        return -EIO;
    }
    return 0;
}

static int f_list(void *ctx, const char *dir, int (*each)(void *arg, const char *name),
                  void *arg)
{
    struct ns snap;
    (void)ctx;
    if (fs.dead)
        return -EIO;
    if (strcmp(dir, fs.dir) != 0)
        return -ENOENT;
    snap = fs.cur;   /* each() may unlink what it is given */
    for (int i = 0; i < snap.n; i++) {
        int rc = each(arg, snap.e[i].name);
        if (rc)
            return rc;
    }
    return 0;
}

static const struct flash_io io = {
    .ctx = NULL,
    .open = f_open,
    .read = f_read,
    .write = f_write,
    .pread = f_pread,
    .pwrite = f_pwrite,
    .fsync = f_fsync,
    .close = f_close,
    .size = f_size,
    .rename = f_rename,
    .unlink = f_unlink,
    .list = f_list,
};

const struct flash_io *fake_io(void)
{
    return &io;
}

static void apply(struct ns *s, const struct op *o)
{
    int i = ns_find(s, o->a), j;
    switch (o->kind) {
    case OP_CREATE:
        ns_add(s, o->a, o->ino);
        break;
    case OP_RENAME:
        if (i < 0)
            break;   /* its source's create did not survive */
        j = ns_find(s, o->b);
        if (j >= 0 && j != i) {
            s->e[j].ino = s->e[i].ino;
            ns_remove(s, i);
        } else if (j < 0) {
            snprintf(s->e[i].name, NAME_CAP, "%s", o->b);
        }
        break;
    case OP_UNLINK:
        if (i >= 0)
            ns_remove(s, i);
        break;
    }
}

static void crash_inode(int i, uint64_t *rng, int mode)
{
    struct inode *in = &fs.ino[i];
    static unsigned char out[FAKE_FILE_MAX];
    size_t lo = in->dur_len < in->cur_len ? in->dur_len : in->cur_len;
    size_t hi = in->dur_len < in->cur_len ? in->cur_len : in->dur_len;
    size_t len;

    switch (fake_rand(rng) % 3) {
    case 0: len = in->dur_len; break;
    case 1: len = in->cur_len; break;
    default: len = lo + (size_t)(fake_rand(rng) % (hi - lo + 1)); break;
    }
    /* Both buffers are zero past their lengths, so "old" past dur_len reads
     * as the zeros a grown file shows. */
    memcpy(out, dur_data[i], hi);
    for (size_t s = 0; s * FAKE_SECTOR < hi; s++) {
        size_t off = s * FAKE_SECTOR, n = hi - off < FAKE_SECTOR ? hi - off : FAKE_SECTOR;
        int pick;
        if (!in->dirty[s])
            continue;
        pick = mode == 0 ? 0 : mode == 1 ? 1 : (int)(fake_rand(rng) % 4);
        if (pick == 1) {
            memcpy(out + off, cur_data[i] + off, n);
        } else if (pick == 2) {
            size_t cut = (size_t)(fake_rand(rng) % (n + 1));
            memcpy(out + off, cur_data[i] + off, cut);
        } else if (pick == 3) {
            for (size_t k = 0; k < n; k++)
                out[off + k] = (unsigned char)fake_rand(rng);
        }
    }
    memset(out + len, 0, hi - len);
    memcpy(dur_data[i], out, hi);
    memcpy(cur_data[i], out, hi);
    in->dur_len = in->cur_len = len;
    memset(in->dirty, 0, sizeof in->dirty);
}

void fake_crash(uint64_t *rng)
{
    struct ns s = fs.dur;
    int ns_mode = (int)(fake_rand(rng) % 4), data_mode = (int)(fake_rand(rng) % 3);
    int prefix = fs.nlog ? (int)(fake_rand(rng) % (uint64_t)(fs.nlog + 1)) : 0;

    for (int k = 0; k < fs.nlog; k++) {
        int keep = ns_mode == 0 ? 0 : ns_mode == 1 ? 1 : ns_mode == 2 ? k < prefix
                                                                 : (int)(fake_rand(rng) & 1);
        if (keep)
            apply(&s, &fs.log[k]);
    }
    fs.nlog = 0;
    fs.cur = fs.dur = s;
    memset(fs.fd, 0, sizeof fs.fd);
    for (int i = 0; i < INODES; i++) {
        if (!fs.ino[i].used)
            continue;
        if (!referenced(i)) {
            ino_free(i);
            continue;
        }
        crash_inode(i, rng, data_mode);
    }
    fs.dead = 0;
    fs.cut_at = -1;
    fs.fail_at = -1;
    fs.steps = 0;
}

int fake_put(const char *name, const void *data, size_t len)
{
    int ino, i;
    if (len > FAKE_FILE_MAX)
        return -ENOSPC;
    i = ns_find(&fs.cur, name);
    if (i >= 0) {
        ino = fs.cur.e[i].ino;
    } else {
        ino = ino_alloc();
        if (ino < 0 || ns_add(&fs.cur, name, ino) < 0)
            return -ENOSPC;
    }
    memset(cur_data[ino], 0, fs.ino[ino].cur_len);
    memset(dur_data[ino], 0, fs.ino[ino].dur_len);
    memcpy(cur_data[ino], data, len);
    memcpy(dur_data[ino], data, len);
    fs.ino[ino].cur_len = fs.ino[ino].dur_len = len;
    fs.dur = fs.cur;
    fs.nlog = 0;
    return 0;
}

int fake_get(const char *name, void *buf, size_t cap, size_t *len)
{
    int i = ns_find(&fs.cur, name);
    if (i < 0)
        return -1;
    *len = fs.ino[fs.cur.e[i].ino].cur_len;
    memcpy(buf, cur_data[fs.cur.e[i].ino], *len < cap ? *len : cap);
    return 0;
}

int fake_poke(const char *name, size_t off, unsigned char xor_mask)
{
    int i = ns_find(&fs.cur, name);
    if (i < 0 || off >= FAKE_FILE_MAX)
        return -1;
    cur_data[fs.cur.e[i].ino][off] ^= xor_mask;
    dur_data[fs.cur.e[i].ino][off] ^= xor_mask;
    return 0;
}

int fake_name(int i, char *out, size_t cap)
{
    if (i < 0 || i >= fs.cur.n)
        return 0;
    snprintf(out, cap, "%s", fs.cur.e[i].name);
    return 1;
}
