/* flash_io_posix.c: the flash I/O table on a real system (open(2), fsync(2), ...). */
#define _POSIX_C_SOURCE 200809L

#include "flash.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int px_open(void *ctx, const char *path, enum flash_open_mode mode)
{
    int flags;
    (void)ctx;
    switch (mode) {
    case FLASH_OPEN_READ:   flags = O_RDONLY; break;
    case FLASH_OPEN_CREATE: flags = O_WRONLY | O_CREAT | O_TRUNC; break;
    case FLASH_OPEN_RDWR:   flags = O_RDWR; break;
    case FLASH_OPEN_DIR:    flags = O_RDONLY | O_DIRECTORY; break;
    default: return -EINVAL;
    }
    for (;;) {
        int fd = open(path, flags | O_CLOEXEC, 0600);
        struct stat st;
        /* O_RDONLY opens a directory too; a flash file that is one is not a file */
        if (fd >= 0 && mode == FLASH_OPEN_READ && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
            close(fd);
            return -EISDIR;
        }
        if (fd >= 0)
            return fd;
        if (errno != EINTR)
            return -errno;
    }
}

static ssize_t px_read(void *ctx, int fd, void *buf, size_t n)
{
    (void)ctx;
    for (;;) {
        ssize_t r = read(fd, buf, n);
        if (r >= 0)
            return r;
        if (errno != EINTR)
            return -errno;
    }
}

static ssize_t px_write(void *ctx, int fd, const void *buf, size_t n)
{
    (void)ctx;
    for (;;) {
        ssize_t r = write(fd, buf, n);
        if (r >= 0)
            return r;
        if (errno != EINTR)
            return -errno;
    }
}

static ssize_t px_pread(void *ctx, int fd, void *buf, size_t n, uint64_t off)
{
    (void)ctx;
    for (;;) {
        ssize_t r = pread(fd, buf, n, (off_t)off);
        if (r >= 0)
            return r;
        if (errno != EINTR)
            return -errno;
    }
}

static ssize_t px_pwrite(void *ctx, int fd, const void *buf, size_t n, uint64_t off)
{
    (void)ctx;
    for (;;) {
        ssize_t r = pwrite(fd, buf, n, (off_t)off);
        if (r >= 0)
            return r;
        if (errno != EINTR)
            return -errno;
    }
}

static int px_fsync(void *ctx, int fd)
{
    (void)ctx;
    /* fsync of a directory gives EINVAL on a few filesystems that cannot
     * sync one; there the rename is as durable as it will ever get. */
    if (fsync(fd) == 0 || errno == EINVAL)
        return 0;
    return -errno;
}

static int px_close(void *ctx, int fd)
{
    (void)ctx;
    /* Never retry close on EINTR: on Linux the descriptor is already gone. */
    if (close(fd) == 0 || errno == EINTR)
        return 0;
    return -errno;
}

static int px_size(void *ctx, int fd, uint64_t *size)
{
    /* lseek rather than fstat: fstat says 0 for a block device. */
    off_t end = lseek(fd, 0, SEEK_END);
    (void)ctx;
    if (end < 0)
        return -errno;
    if (lseek(fd, 0, SEEK_SET) < 0)
        return -errno;
    *size = (uint64_t)end;
    return 0;
}

static int px_rename(void *ctx, const char *from, const char *to)
{
    (void)ctx;
    return rename(from, to) == 0 ? 0 : -errno;
}

static int px_unlink(void *ctx, const char *path)
{
    (void)ctx;
    return unlink(path) == 0 ? 0 : -errno;
}

static int px_list(void *ctx, const char *dir, int (*each)(void *arg, const char *name),
                   void *arg)
{
    DIR *d;
    struct dirent *e;
    int rc = 0;
    (void)ctx;
    d = opendir(dir);
    if (!d)
        return -errno;
    for (;;) {
        errno = 0;
        e = readdir(d);
        if (!e) {
            if (errno)
                rc = -errno;
            break;
        }
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        rc = each(arg, e->d_name);
        if (rc)
            break;
    }
    closedir(d);
    return rc;
}

const struct flash_io flash_io_posix = {
    .ctx = NULL,
    .open = px_open,
    .read = px_read,
    .write = px_write,
    .pread = px_pread,
    .pwrite = px_pwrite,
    .fsync = px_fsync,
    .close = px_close,
    .size = px_size,
    .rename = px_rename,
    .unlink = px_unlink,
    .list = px_list,
};
