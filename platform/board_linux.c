/* board_linux.c: device facts on Linux, from /proc, /sys, the device tree
 * (ARM/MIPS boards) or DMI (x86), and getifaddrs(). */
#include "board.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netpacket/packet.h>
#include <unistd.h>

#ifndef GATEHOUSE_VERSION
#define GATEHOUSE_VERSION "unknown"
#endif

#define FILE_BUF 4096   /* /proc/meminfo is ~1.5 KB; only its first lines matter */

int board_read(struct board_facts *out, struct gh_error *err)
{
    /* getenv is safe here: nothing in the server calls setenv */
    const char *b = getenv("GATEHOUSE_BOARD");
    if (b && strcmp(b, "fake") == 0)
        return board_fake_read(out, err);
    return board_linux_read(out, err);
}

/* Up to cap-1 bytes of root/path, NUL-terminated. The length, or -1. */
static long read_small(const char *root, const char *path, char *buf, size_t cap)
{
    char full[GH_PATH_MAX];
    if (snprintf(full, sizeof full, "%s%s", root, path) >= (int)sizeof full)
        return -1;
    int fd = open(full, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t got = 0;
    while (got + 1 < cap) {
        ssize_t n = read(fd, buf + got, cap - 1 - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    buf[got] = '\0';
    return (long)got;
}

/* Firmware strings end in NUL (device tree) or a newline (sysfs) and may hold
 * anything: keep printable ASCII so the status page shows what it says. */
static void clean_copy(char *dst, size_t cap, const char *src, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n && src[i] && k + 1 < cap; i++) {
        unsigned char c = (unsigned char)src[i];
        dst[k++] = (c >= 0x20 && c < 0x7f) ? (char)c : (c == '\n' || c == '\t') ? ' ' : '?';
    }
    while (k > 0 && dst[k - 1] == ' ')
        k--;
    dst[k] = '\0';
}

/* The first of paths that is readable and not blank, cleaned, into dst. */
static int first_readable(const char *root, const char *const *paths, char *dst, size_t cap)
{
    char buf[256];
    for (; *paths; paths++) {
        long n = read_small(root, *paths, buf, sizeof buf);
        if (n <= 0)
            continue;
        clean_copy(dst, cap, buf, (size_t)n);
        if (dst[0])
            return 0;
    }
    return -1;
}

static const char *skip_space(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* Digits of a decimal number into *v; the end, or NULL when there are none. */
static const char *parse_u64(const char *p, uint64_t *v)
{
    uint64_t x = 0;
    const char *start = p;
    while (*p >= '0' && *p <= '9') {
        unsigned d = (unsigned)(*p - '0');
        if (x > (UINT64_MAX - d) / 10)
            return NULL;
        x = x * 10 + d;
        p++;
    }
    if (p == start)
        return NULL;
    *v = x;
    return p;
}

int board_parse_uptime(const char *text, uint64_t *uptime_s)
{
    const char *p = parse_u64(skip_space(text), uptime_s);
    return p && (*p == '.' || *p == ' ' || *p == '\n' || *p == '\0') ? 0 : GH_E_INVALID;
}

/* "Key:   12345 kB" anywhere in meminfo; 0 when found. */
static int meminfo_value(const char *text, const char *key, uint64_t *v)
{
    size_t klen = strlen(key);
    for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
        if (strncmp(line, key, klen) == 0 && line[klen] == ':')
            return parse_u64(skip_space(line + klen + 1), v) ? 0 : -1;
    }
    return -1;
}

int board_parse_meminfo(const char *text, uint64_t *total_kb, uint64_t *available_kb)
{
    uint64_t free_kb = 0, buffers = 0, cached = 0;
    if (meminfo_value(text, "MemTotal", total_kb) != 0)
        return GH_E_INVALID;
    if (meminfo_value(text, "MemAvailable", available_kb) == 0)
        return 0;
    /* kernels before 3.14 have no MemAvailable: estimate it as free(1) did */
    if (meminfo_value(text, "MemFree", &free_kb) != 0)
        return GH_E_INVALID;
    meminfo_value(text, "Buffers", &buffers);
    meminfo_value(text, "Cached", &cached);
    *available_kb = free_kb + buffers + cached;
    if (*available_kb > *total_kb)
        *available_kb = *total_kb;
    return 0;
}

int board_parse_loadavg(const char *text, uint32_t load_x100[3])
{
    const char *p = text;
    for (int i = 0; i < 3; i++) {
        uint64_t whole, frac = 0;
        p = parse_u64(skip_space(p), &whole);
        if (!p || whole > 1000000)
            return GH_E_INVALID;
        if (*p == '.') {
            /* the kernel prints two decimals; further ones are dropped */
            int digits = 0;
            p++;
            while (*p >= '0' && *p <= '9') {
                if (digits < 2)
                    frac = frac * 10 + (uint64_t)(*p - '0');
                digits++;
                p++;
            }
            if (digits == 0)
                return GH_E_INVALID;
            if (digits == 1)
                frac *= 10;
        }
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\0')
            return GH_E_INVALID;
        load_x100[i] = (uint32_t)(whole * 100 + frac);
    }
    return 0;
}

void board_parse_os_release(const char *text, char *out, size_t cap)
{
    static const char key[] = "PRETTY_NAME=";
    out[0] = '\0';
    for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
        if (strncmp(line, key, sizeof key - 1) != 0)
            continue;
        const char *v = line + sizeof key - 1;
        char quote = (*v == '"' || *v == '\'') ? *v++ : 0;
        char tmp[GH_BOARD_VERSION_MAX];
        size_t k = 0;
        for (; *v && *v != '\n' && k + 1 < sizeof tmp; v++) {
            if (quote && *v == quote)
                break;
            if (quote == '"' && *v == '\\' && v[1] && v[1] != '\n')
                v++;   /* shell-style escape inside double quotes */
            tmp[k++] = *v;
        }
        clean_copy(out, cap, tmp, k);
        return;
    }
}

int board_linux_read_files(const char *root, struct board_facts *out, struct gh_error *err)
{
    static const char *const models[] = {"/proc/device-tree/model",
                                         "/sys/firmware/devicetree/base/model",
                                         "/sys/class/dmi/id/product_name", NULL};
    /* product_serial is readable by root only; a server that dropped root
     * simply shows no serial */
    static const char *const serials[] = {"/proc/device-tree/serial-number",
                                          "/sys/firmware/devicetree/base/serial-number",
                                          "/sys/class/dmi/id/product_serial", NULL};
    char buf[FILE_BUF];
    int readable = 0;

    memset(out, 0, sizeof *out);
    if (first_readable(root, models, out->model, sizeof out->model) != 0)
        snprintf(out->model, sizeof out->model, "unknown");
    first_readable(root, serials, out->serial, sizeof out->serial);
    snprintf(out->firmware_version, sizeof out->firmware_version, "%s", GATEHOUSE_VERSION);
    if (read_small(root, "/etc/os-release", buf, sizeof buf) > 0 ||
        read_small(root, "/usr/lib/os-release", buf, sizeof buf) > 0)
        board_parse_os_release(buf, out->os, sizeof out->os);

    if (read_small(root, "/proc/uptime", buf, sizeof buf) > 0 &&
        board_parse_uptime(buf, &out->uptime_s) == 0)
        readable++;
    if (read_small(root, "/proc/meminfo", buf, sizeof buf) > 0 &&
        board_parse_meminfo(buf, &out->mem_total_kb, &out->mem_available_kb) == 0)
        readable++;
    if (read_small(root, "/proc/loadavg", buf, sizeof buf) > 0 &&
        board_parse_loadavg(buf, out->load_x100) == 0)
        readable++;
    if (!readable)
        return gh_error_set(err, GH_E_IO, "%s/proc: uptime, memory and load are not readable",
                            root);
    return 0;
}

static int prefix_len(const struct sockaddr *mask)
{
    const unsigned char *b;
    size_t n;
    int bits = 0;
    if (!mask)
        return -1;
    if (mask->sa_family == AF_INET) {
        b = (const unsigned char *)&((const struct sockaddr_in *)(const void *)mask)->sin_addr;
        n = 4;
    } else if (mask->sa_family == AF_INET6) {
        b = (const unsigned char *)&((const struct sockaddr_in6 *)(const void *)mask)->sin6_addr;
        n = 16;
    } else {
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        for (int k = 7; k >= 0; k--)
            bits += (b[i] >> k) & 1;
    return bits;
}

static void add_address(struct board_iface *f, const struct ifaddrs *a)
{
    char text[INET6_ADDRSTRLEN];
    const void *src;
    int family = a->ifa_addr->sa_family;
    if (family == AF_INET)
        src = &((const struct sockaddr_in *)(const void *)a->ifa_addr)->sin_addr;
    else
        src = &((const struct sockaddr_in6 *)(const void *)a->ifa_addr)->sin6_addr;
    if (f->naddrs >= GH_BOARD_MAX_ADDRS || !inet_ntop(family, src, text, sizeof text))
        return;
    /* a netmask of another family (seen on some drivers) says nothing */
    int plen = a->ifa_netmask && a->ifa_netmask->sa_family == family ? prefix_len(a->ifa_netmask) : -1;
    if (plen >= 0)
        snprintf(f->addrs[f->naddrs], sizeof f->addrs[0], "%s/%d", text, plen);
    else
        snprintf(f->addrs[f->naddrs], sizeof f->addrs[0], "%s", text);
    f->naddrs++;
}

static void set_mac(struct board_iface *f, const struct ifaddrs *a)
{
    const struct sockaddr_ll *ll = (const struct sockaddr_ll *)(const void *)a->ifa_addr;
    unsigned any = 0;
    if (ll->sll_halen != 6)
        return;
    for (int i = 0; i < 6; i++)
        any |= ll->sll_addr[i];
    if (!any)
        return;   /* loopback and tunnels: no hardware address */
    snprintf(f->mac, sizeof f->mac, "%02x:%02x:%02x:%02x:%02x:%02x", ll->sll_addr[0],
             ll->sll_addr[1], ll->sll_addr[2], ll->sll_addr[3], ll->sll_addr[4], ll->sll_addr[5]);
}

/* Has an entry before `upto` the same interface name? */
static int seen_before(const struct ifaddrs *list, const struct ifaddrs *upto)
{
    for (const struct ifaddrs *p = list; p != upto; p = p->ifa_next)
        if (p->ifa_name && strcmp(p->ifa_name, upto->ifa_name) == 0)
            return 1;
    return 0;
}

void board_collect_ifaddrs(const struct ifaddrs *list, struct board_facts *out)
{
    out->niface = 0;
    out->iface_total = 0;
    for (const struct ifaddrs *a = list; a; a = a->ifa_next) {
        struct board_iface *f = NULL;
        if (!a->ifa_name)
            continue;
        for (int i = 0; i < out->niface; i++)
            if (strncmp(out->ifaces[i].name, a->ifa_name, sizeof out->ifaces[i].name) == 0)
                f = &out->ifaces[i];
        if (!f) {
            if (seen_before(list, a))
                continue;   /* an interface already counted but not listed */
            out->iface_total++;
            if (out->niface >= GH_BOARD_MAX_IFACES)
                continue;
            f = &out->ifaces[out->niface++];
            memset(f, 0, sizeof *f);
            snprintf(f->name, sizeof f->name, "%s", a->ifa_name);
        }
        f->up = (a->ifa_flags & IFF_UP) && (a->ifa_flags & IFF_RUNNING);
        if (!a->ifa_addr)
            continue;
        if (a->ifa_addr->sa_family == AF_PACKET)
            set_mac(f, a);
        if (a->ifa_addr->sa_family == AF_INET || a->ifa_addr->sa_family == AF_INET6)
            add_address(f, a);
    }
}

int board_linux_read(struct board_facts *out, struct gh_error *err)
{
    struct ifaddrs *list = NULL;
    int rc = board_linux_read_files("", out, err);
    if (rc)
        return rc;
    /* getifaddrs allocates inside libc; freed before we return */
    if (getifaddrs(&list) == 0) {
        board_collect_ifaddrs(list, out);
        freeifaddrs(list);
    }
    return 0;
}
