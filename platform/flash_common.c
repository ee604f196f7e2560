/* flash_common.c: what both flash backends share: the checks a caller's
 * arguments pass before any byte is written, CRC-32 and short-transfer loops. */
#include "flash.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Half-byte table: 64 bytes instead of zlib's 1 KiB, about 4x slower than a
 * full table and still far faster than the flash it checks. */
static const uint32_t crc_nibble[16] = {
    0x00000000u, 0x1db71064u, 0x3b6e20c8u, 0x26d930acu,
    0x76dc4190u, 0x6b6b51f4u, 0x4db26158u, 0x5005713cu,
    0xedb88320u, 0xf00f9344u, 0xd6d6a3e8u, 0xcb61b38cu,
    0x9b64c2b0u, 0x86d3d2d4u, 0xa00ae278u, 0xbdbdf21cu,
};

uint32_t flash_crc32(uint32_t crc, const void *p, size_t n)
{
    const unsigned char *b = p;
    crc = ~crc;
    while (n--) {
        crc ^= *b++;
        crc = (crc >> 4) ^ crc_nibble[crc & 15];
        crc = (crc >> 4) ^ crc_nibble[crc & 15];
    }
    return ~crc;
}

int flash_fail(struct gh_error *err, int code, const char *file, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        snprintf(err->file, sizeof err->file, "%s", file ? file : "");
        err->line = 0;
        err->mapping[0] = '\0';
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

int flash_check_name(const char *name, struct gh_error *err)
{
    size_t n;
    if (!name || !name[0])
        return flash_fail(err, GH_E_INVALID, NULL, "a flash file name is empty");
    n = strlen(name);
    if (n > GH_FLASH_NAME_MAX)
        return flash_fail(err, GH_E_INVALID, NULL,
                          "flash file name \"%.*s...\" is longer than %d characters",
                          16, name, GH_FLASH_NAME_MAX);
    /* A leading dot rules out ".", ".." and the dir backend's bookkeeping
     * files; the character set rules out '/' and so any path. */
    if (name[0] == '.')
        return flash_fail(err, GH_E_INVALID, NULL,
                          "flash file name \"%s\" starts with '.'", name);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return flash_fail(err, GH_E_INVALID, NULL,
                              "flash file name \"%s\" has '%c' (allowed: A-Z a-z 0-9 . _ -)",
                              name, c >= 0x20 && c < 0x7f ? c : '?');
    }
    if (n >= 4 && strcmp(name + n - 4, ".tmp") == 0)
        return flash_fail(err, GH_E_INVALID, NULL,
                          "flash file name \"%s\" ends in .tmp, kept for files being written",
                          name);
    return 0;
}

int flash_read(struct gh_flash *f, const char *name, void *buf, size_t cap, size_t *len,
               struct gh_error *err)
{
    int rc;
    *len = 0;
    if (!f->ops)
        return flash_fail(err, GH_E_INVALID, name, "the flash is not open");
    rc = flash_check_name(name, err);
    if (rc)
        return rc;
    return f->ops->read(f, name, buf, cap, len, err);
}

int flash_commit(struct gh_flash *f, const struct flash_file *files, int n,
                 struct gh_error *err)
{
    int rc;
    if (!f->ops)
        return flash_fail(err, GH_E_INVALID, NULL, "the flash is not open");
    if (n < 1)
        return flash_fail(err, GH_E_INVALID, NULL, "a flash commit names no file");
    if (n > GH_FLASH_MAX_FILES)
        return flash_fail(err, GH_E_CAPACITY, NULL,
                          "a flash commit names %d files, more than GH_FLASH_MAX_FILES (%d)",
                          n, GH_FLASH_MAX_FILES);
    for (int i = 0; i < n; i++) {
        uint64_t len = files[i].len;   /* a variable, so 32-bit size_t does not warn */
        rc = flash_check_name(files[i].name, err);
        if (rc)
            return rc;
        if (!files[i].data && files[i].len)
            return flash_fail(err, GH_E_INVALID, files[i].name,
                              "no data for %zu bytes", files[i].len);
        if (len > UINT32_MAX)
            return flash_fail(err, GH_E_CAPACITY, files[i].name, "over 4 GiB");
        for (int j = 0; j < i; j++)
            if (strcmp(files[i].name, files[j].name) == 0)
                return flash_fail(err, GH_E_INVALID, files[i].name,
                                  "named twice in one commit");
    }
    rc = f->ops->commit(f, files, n, err);
    if (rc && f->stale && f->ops->settle) {
        /* Learn now whether the commit took, so flash_generation() is right;
         * the commit's own error is the one the caller hears. */
        struct gh_error ignored;
        f->ops->settle(f, &ignored);
    }
    return rc;
}

int flash_open_spec(struct gh_flash *f, const char *spec, struct gh_error *err)
{
    if (strncmp(spec, "raw:", 4) == 0) {
        if (!spec[4])
            return gh_error_set(err, GH_E_INVALID, "--flash raw: names no partition (raw:/dev/mtdblock3)");
        return flash_open_raw(f, spec + 4, 0, NULL, err);
    }
    return flash_open_dir(f, spec, NULL, err);
}

const char *flash_note(const struct gh_flash *f)
{
    return f->note;
}

uint32_t flash_generation(const struct gh_flash *f)
{
    return f->generation;
}

void flash_close(struct gh_flash *f)
{
    if (f->ops && f->ops->close)
        f->ops->close(f);
    f->ops = NULL;
}

int flash_write_all(const struct flash_io *io, int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n) {
        ssize_t w = io->write(io->ctx, fd, p, n);
        if (w < 0)
            return (int)w;
        if (w == 0)
            return -EIO;   /* a device that takes nothing would spin us forever */
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int flash_pwrite_all(const struct flash_io *io, int fd, const void *buf, size_t n, uint64_t off)
{
    const char *p = buf;
    while (n) {
        ssize_t w = io->pwrite(io->ctx, fd, p, n, off);
        if (w < 0)
            return (int)w;
        if (w == 0)
            return -ENOSPC;
        p += w;
        n -= (size_t)w;
        off += (uint64_t)w;
    }
    return 0;
}

int flash_read_all(const struct flash_io *io, int fd, void *buf, size_t n, size_t *got)
{
    char *p = buf;
    *got = 0;
    while (n) {
        ssize_t r = io->read(io->ctx, fd, p, n);
        if (r < 0)
            return (int)r;
        if (r == 0)
            break;
        p += r;
        n -= (size_t)r;
        *got += (size_t)r;
    }
    return 0;
}

int flash_pread_all(const struct flash_io *io, int fd, void *buf, size_t n, uint64_t off,
                    size_t *got)
{
    char *p = buf;
    *got = 0;
    while (n) {
        ssize_t r = io->pread(io->ctx, fd, p, n, off);
        if (r < 0)
            return (int)r;
        if (r == 0)
            break;
        p += r;
        n -= (size_t)r;
        off += (uint64_t)r;
        *got += (size_t)r;
    }
    return 0;
}
