/* board_linux.c: device facts on Linux, from /proc, /sys, the device tree
 * (ARM/MIPS boards) or DMI (x86), and the interfaces over rtnetlink.
 *
 * Not getifaddrs(): glibc's builds its list with malloc on every call (~6
 * allocations per GET /api/status), and the server allocates nothing once it
 * serves. The socket calls used instead are bare system calls in
 * glibc; tests/integration/test_zero_alloc.sh counts that it stays so. */
#include "board.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <sys/time.h>
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

/* ---- interfaces: rtnetlink messages, parsed from a byte buffer ----
 * Headers are copied out with memcpy: a buffer from a test need not be
 * aligned, and the kernel's always is, so nothing is lost. */

void board_netlink_begin(struct board_netlink *nl, struct board_facts *out)
{
    memset(nl->index, 0, sizeof nl->index);
    out->niface = 0;
    out->iface_total = 0;
}

/* One attribute of a message's tail: 1 with its type and payload, 0 at the
 * end, -1 when the attributes do not add up. */
static int next_attr(const unsigned char **p, size_t *left, unsigned *type,
                     const unsigned char **data, size_t *dlen)
{
    struct rtattr a;
    if (*left < sizeof a)
        return *left == 0 ? 0 : -1;
    memcpy(&a, *p, sizeof a);
    if (a.rta_len < RTA_LENGTH(0) || a.rta_len > *left)
        return -1;
    *type = a.rta_type & NLA_TYPE_MASK;
    *data = *p + RTA_LENGTH(0);
    *dlen = a.rta_len - RTA_LENGTH(0);
    /* the last attribute's padding may be missing */
    size_t step = RTA_ALIGN(a.rta_len) < *left ? RTA_ALIGN(a.rta_len) : *left;
    *p += step;
    *left -= step;
    return 1;
}

static int find_index(const struct board_netlink *nl, const struct board_facts *out, int index)
{
    for (int i = 0; i < out->niface; i++)
        if (nl->index[i] == index)
            return i;
    return -1;
}

static void format_mac(char *dst, size_t cap, const unsigned char *a, size_t n)
{
    unsigned any = 0;
    dst[0] = '\0';
    if (n != 6)
        return;   /* not Ethernet-like (tunnels, InfiniBand): shown as none */
    for (size_t i = 0; i < n; i++)
        any |= a[i];
    if (!any)
        return;   /* loopback: no hardware address */
    snprintf(dst, cap, "%02x:%02x:%02x:%02x:%02x:%02x", a[0], a[1], a[2], a[3], a[4], a[5]);
}

static int on_link(struct board_netlink *nl, const unsigned char *body, size_t len,
                   struct board_facts *out, struct gh_error *err)
{
    struct ifinfomsg ifi;
    const unsigned char *name = NULL, *mac = NULL, *data;
    size_t name_len = 0, mac_len = 0, dlen;
    unsigned type;
    int rc;

    if (len < NLMSG_ALIGN(sizeof ifi))
        return gh_error_set(err, GH_E_INVALID, "netlink: link message of %zu bytes is cut short", len);
    memcpy(&ifi, body, sizeof ifi);
    const unsigned char *p = body + NLMSG_ALIGN(sizeof ifi);
    size_t left = len - NLMSG_ALIGN(sizeof ifi);
    while ((rc = next_attr(&p, &left, &type, &data, &dlen)) > 0) {
        if (type == IFLA_IFNAME) {
            name = data;
            name_len = strnlen((const char *)data, dlen);
        } else if (type == IFLA_ADDRESS) {
            mac = data;
            mac_len = dlen;
        }
    }
    if (rc < 0)
        return gh_error_set(err, GH_E_INVALID, "netlink: link %d: attributes do not add up", ifi.ifi_index);
    if (!name || name_len == 0)
        return 0;   /* the kernel always names a link; one without cannot be shown */

    int i = find_index(nl, out, ifi.ifi_index);
    if (i < 0) {
        out->iface_total++;
        if (out->niface >= GH_BOARD_MAX_IFACES)
            return 0;
        i = out->niface++;
        memset(&out->ifaces[i], 0, sizeof out->ifaces[i]);
        nl->index[i] = ifi.ifi_index;
    }
    struct board_iface *f = &out->ifaces[i];
    if (name_len >= sizeof f->name)
        name_len = sizeof f->name - 1;
    memcpy(f->name, name, name_len);
    f->name[name_len] = '\0';
    f->up = (ifi.ifi_flags & IFF_UP) && (ifi.ifi_flags & IFF_RUNNING);
    format_mac(f->mac, sizeof f->mac, mac, mac ? mac_len : 0);
    return 0;
}

static int on_addr(struct board_netlink *nl, const unsigned char *body, size_t len,
                   struct board_facts *out, struct gh_error *err)
{
    struct ifaddrmsg ifa;
    const unsigned char *address = NULL, *local = NULL, *data;
    size_t address_len = 0, local_len = 0, dlen, want;
    unsigned type;
    int rc;
    char text[INET6_ADDRSTRLEN];

    if (len < NLMSG_ALIGN(sizeof ifa))
        return gh_error_set(err, GH_E_INVALID, "netlink: address message of %zu bytes is cut short", len);
    memcpy(&ifa, body, sizeof ifa);
    const unsigned char *p = body + NLMSG_ALIGN(sizeof ifa);
    size_t left = len - NLMSG_ALIGN(sizeof ifa);
    while ((rc = next_attr(&p, &left, &type, &data, &dlen)) > 0) {
        if (type == IFA_ADDRESS) {
            address = data;
            address_len = dlen;
        } else if (type == IFA_LOCAL) {
            local = data;
            local_len = dlen;
        }
    }
    if (rc < 0)
        return gh_error_set(err, GH_E_INVALID, "netlink: address on link %u: attributes do not add up",
                            ifa.ifa_index);
    if (ifa.ifa_family == AF_INET)
        want = 4;
    else if (ifa.ifa_family == AF_INET6)
        want = 16;
    else
        return 0;
    /* On a point-to-point link IFA_ADDRESS is the peer and IFA_LOCAL ours;
     * elsewhere both are ours (as getifaddrs() reads them). */
    if (local) {
        address = local;
        address_len = local_len;
    }
    int i = find_index(nl, out, (int)ifa.ifa_index);
    if (!address || address_len != want || i < 0)
        return 0;   /* no address, or on an interface not listed */
    struct board_iface *f = &out->ifaces[i];
    if (f->naddrs >= GH_BOARD_MAX_ADDRS || !inet_ntop(ifa.ifa_family, address, text, sizeof text))
        return 0;
    if (ifa.ifa_prefixlen <= want * 8)
        snprintf(f->addrs[f->naddrs], sizeof f->addrs[0], "%s/%u", text, ifa.ifa_prefixlen);
    else
        snprintf(f->addrs[f->naddrs], sizeof f->addrs[0], "%s", text);
    f->naddrs++;
    return 0;
}

int board_netlink_parse(struct board_netlink *nl, const void *buf, size_t len,
                        struct board_facts *out, struct gh_error *err)
{
    const unsigned char *p = buf;
    size_t off = 0;

    while (off < len) {
        struct nlmsghdr h;
        if (len - off < sizeof h)
            return gh_error_set(err, GH_E_INVALID, "netlink: %zu bytes left, less than a header", len - off);
        memcpy(&h, p + off, sizeof h);
        if (h.nlmsg_len < NLMSG_HDRLEN || h.nlmsg_len > len - off)
            return gh_error_set(err, GH_E_INVALID, "netlink: message of %u bytes, %zu received",
                                h.nlmsg_len, len - off);
        const unsigned char *body = p + off + NLMSG_HDRLEN;
        size_t blen = h.nlmsg_len - NLMSG_HDRLEN;
        size_t step = NLMSG_ALIGN(h.nlmsg_len) < len - off ? NLMSG_ALIGN(h.nlmsg_len) : len - off;
        off += step;
        /* a late answer to an earlier request, or not from our dump */
        if (h.nlmsg_seq != nl->seq || h.nlmsg_pid != nl->portid)
            continue;
        /* NLM_F_DUMP_INTR (links changed during the dump) is no error: the
         * page shows what was read, as ip(8) does; the next read is whole */
        int rc = 0;
        switch (h.nlmsg_type) {
        case NLMSG_DONE: {
            /* since Linux 4.x a dump that failed part way says so here */
            int code = 0;
            if (blen >= sizeof code)
                memcpy(&code, body, sizeof code);
            if (code < 0)
                return gh_error_set(err, GH_E_IO, "netlink: the dump failed: %s", strerror(-code));
            return 1;
        }
        case NLMSG_ERROR: {
            struct nlmsgerr e;
            if (blen < sizeof e)
                return gh_error_set(err, GH_E_INVALID, "netlink: error message cut short");
            memcpy(&e, body, sizeof e);
            if (e.error == 0)
                return 1;   /* an acknowledgement: nothing more comes */
            return gh_error_set(err, GH_E_IO, "netlink: the kernel refused the dump: %s",
                                strerror(e.error < 0 ? -e.error : e.error));
        }
        case NLMSG_OVERRUN:
            return gh_error_set(err, GH_E_IO, "netlink: messages were lost");
        case RTM_NEWLINK:
            rc = on_link(nl, body, blen, out, err);
            break;
        case RTM_NEWADDR:
            rc = on_addr(nl, body, blen, out, err);
            break;
        default:
            break;   /* NLMSG_NOOP and anything newer */
        }
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- interfaces: the socket ---- */

static int nl_send_dump(int fd, const struct board_netlink *nl, uint16_t type, struct gh_error *err)
{
    struct {
        struct nlmsghdr h;
        union {
            struct ifinfomsg link;
            struct ifaddrmsg addr;
        } m;
        struct rtattr mask_hdr;
        uint32_t mask;
    } req;
    struct sockaddr_nl kernel;
    size_t len;

    memset(&req, 0, sizeof req);
    memset(&kernel, 0, sizeof kernel);
    kernel.nl_family = AF_NETLINK;
    if (type == RTM_GETLINK) {
        /* statistics are most of a link message and are not shown */
        len = NLMSG_LENGTH(sizeof req.m.link) + RTA_LENGTH(sizeof req.mask);
        req.m.link.ifi_family = AF_UNSPEC;
        req.mask_hdr.rta_type = IFLA_EXT_MASK;
        req.mask_hdr.rta_len = RTA_LENGTH(sizeof req.mask);
        req.mask = RTEXT_FILTER_SKIP_STATS;   /* kernels before 4.20 ignore it */
    } else {
        len = NLMSG_LENGTH(sizeof req.m.addr);
        req.m.addr.ifa_family = AF_UNSPEC;
    }
    req.h.nlmsg_len = (uint32_t)len;
    req.h.nlmsg_type = type;
    req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    req.h.nlmsg_seq = nl->seq;
    req.h.nlmsg_pid = nl->portid;
    for (;;) {
        ssize_t n = sendto(fd, &req, len, 0, (const struct sockaddr *)&kernel, sizeof kernel);
        if (n == (ssize_t)len)
            return 0;
        if (n < 0 && errno == EINTR)
            continue;
        return gh_error_set(err, GH_E_IO, "netlink: cannot send the request: %s",
                            n < 0 ? strerror(errno) : "short write");
    }
}

/* Receive and parse datagrams until the dump's NLMSG_DONE. */
static int nl_read_dump(int fd, struct board_netlink *nl, unsigned char *buf, size_t cap,
                        struct board_facts *out, struct gh_error *err)
{
    for (;;) {
        struct sockaddr_nl from;
        struct iovec iov = {.iov_base = buf, .iov_len = cap};
        struct msghdr msg = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1};
        ssize_t n = recvmsg(fd, &msg, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return gh_error_set(err, GH_E_IO, "netlink: no answer: %s", strerror(errno));
        if (n == 0)
            return gh_error_set(err, GH_E_IO, "netlink: the answer ended before its end");
        if (msg.msg_flags & MSG_TRUNC)
            return gh_error_set(err, GH_E_CAPACITY, "netlink: a datagram larger than %zu bytes", cap);
        if (msg.msg_namelen < sizeof from || from.nl_pid != 0)
            continue;   /* only the kernel speaks for the kernel */
        int rc = board_netlink_parse(nl, buf, (size_t)n, out, err);
        if (rc != 0)
            return rc < 0 ? rc : 0;
    }
}

int board_linux_read_ifaces(struct board_facts *out, struct gh_error *err)
{
    _Alignas(struct nlmsghdr) unsigned char buf[GH_BOARD_NETLINK_BUF];
    struct board_netlink nl;
    struct sockaddr_nl self;
    socklen_t self_len = sizeof self;
    struct timeval tv = {.tv_sec = GH_BOARD_NETLINK_TIMEOUT_MS / 1000,
                         .tv_usec = (GH_BOARD_NETLINK_TIMEOUT_MS % 1000) * 1000};
    int rc;

    board_netlink_begin(&nl, out);
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0)
        return gh_error_set(err, GH_E_IO, "netlink: no socket: %s", strerror(errno));
    memset(&self, 0, sizeof self);
    self.nl_family = AF_NETLINK;   /* nl_pid 0: the kernel picks our address */
    /* without the timeout (an emulator that knows no 64-bit timeval, say)
     * the kernel still answers */
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (bind(fd, (const struct sockaddr *)&self, sizeof self) != 0 ||
        getsockname(fd, (struct sockaddr *)&self, &self_len) != 0) {
        rc = gh_error_set(err, GH_E_IO, "netlink: cannot bind: %s", strerror(errno));
        goto out;
    }
    nl.portid = self.nl_pid;
    /* links first: an address only names its link's index */
    nl.seq = 1;
    rc = nl_send_dump(fd, &nl, RTM_GETLINK, err);
    if (rc == 0)
        rc = nl_read_dump(fd, &nl, buf, sizeof buf, out, err);
    nl.seq = 2;
    if (rc == 0)
        rc = nl_send_dump(fd, &nl, RTM_GETADDR, err);
    if (rc == 0)
        rc = nl_read_dump(fd, &nl, buf, sizeof buf, out, err);
out:
    close(fd);
    if (rc) {
        out->niface = 0;
        out->iface_total = 0;
    }
    return rc;
}

int board_linux_read(struct board_facts *out, struct gh_error *err)
{
    int rc = board_linux_read_files("", out, err);
    if (rc)
        return rc;
    /* a board whose interfaces cannot be read still has a status to show,
     * as before with getifaddrs() */
    board_linux_read_ifaces(out, NULL);
    return 0;
}
