/* board.h: facts about the device for GET /api/status (CONTRACT.md section 5).
 *
 * Read fresh on every call (uptime and memory change), into caller-owned
 * storage of fixed size. Two boards exist:
 *  - Linux (board_linux.c): /proc, /sys, the device tree or DMI, and the
 *    interfaces over rtnetlink (not getifaddrs(): it allocates on every call).
 *  - fake (board_fake.c): fixed values, for tests and screenshots that must not
 *    depend on the machine they run on. The environment variable
 *    GATEHOUSE_BOARD=fake selects it at run time; its model says "(fake)", so a
 *    status page never passes it off as a real device.
 * Nothing here knows about HTTP. */
#ifndef GH_BOARD_H
#define GH_BOARD_H

#include <stddef.h>
#include <stdint.h>

#include "budget.h"
#include "gh_error.h"

struct board_iface {
    char name[GH_BOARD_IFNAME_MAX];
    char mac[18];                                  /* "02:00:00:00:00:01", "" when none */
    int up;                                        /* administratively up and running */
    int naddrs;
    char addrs[GH_BOARD_MAX_ADDRS][GH_BOARD_ADDR_MAX]; /* "192.0.2.1/24", "2001:db8::1/64" */
};

struct board_facts {
    char model[GH_BOARD_TEXT_MAX];                 /* "unknown" when the board does not say */
    char serial[GH_BOARD_TEXT_MAX];                /* "" when not readable */
    char firmware_version[GH_BOARD_VERSION_MAX];   /* Gatehouse's build version */
    char os[GH_BOARD_VERSION_MAX];                 /* /etc/os-release PRETTY_NAME, or "" */
    uint64_t uptime_s;
    uint64_t mem_total_kb;
    uint64_t mem_available_kb;
    uint32_t load_x100[3];                         /* 1, 5, 15 minutes, times 100 */
    int niface;
    int iface_total;                               /* found; > niface when some were left out */
    struct board_iface ifaces[GH_BOARD_MAX_IFACES];
};

/* The board in use: fake when GATEHOUSE_BOARD=fake, else Linux. Fields that
 * cannot be read keep their "unknown" values; only a board that cannot be read
 * at all (no /proc) is an error. */
int board_read(struct board_facts *out, struct gh_error *err);

int board_linux_read(struct board_facts *out, struct gh_error *err);
int board_fake_read(struct board_facts *out, struct gh_error *err);

/* ---- the Linux board's pieces, for tests with sample files ---- */

/* Every file is read below root ("" for the real system), so a test points it
 * at a folder holding proc/uptime, proc/meminfo, sys/class/dmi/id/..., etc.
 * Interfaces are not read here. */
int board_linux_read_files(const char *root, struct board_facts *out, struct gh_error *err);

/* Parsers of the text of one file each; 0, or GH_E_INVALID when it does not
 * look like that file. */
int board_parse_uptime(const char *text, uint64_t *uptime_s);
int board_parse_meminfo(const char *text, uint64_t *total_kb, uint64_t *available_kb);
int board_parse_loadavg(const char *text, uint32_t load_x100[3]);
/* PRETTY_NAME's value, unquoted, into out ("" when absent). */
void board_parse_os_release(const char *text, char *out, size_t cap);

/* ---- interfaces over rtnetlink ---- */

/* One datagram of a dump, on the stack. The kernel fills the first
 * datagram up to min(page, 8 KiB), later ones up to the reader's buffer,
 * more only for a single message larger than that; a link message without
 * statistics is ~1 KiB. A datagram that did not fit would come cut
 * (MSG_TRUNC): read as an error, no interface shown. */
#define GH_BOARD_NETLINK_BUF        8192
/* The kernel answers at once: this only bounds a wedged socket. */
#define GH_BOARD_NETLINK_TIMEOUT_MS 1000

/* Reading the two dumps (RTM_GETLINK, then RTM_GETADDR) into a board_facts.
 * Addresses name their interface by index only, so the index of each listed
 * interface is kept here, beside board_facts (whose shape /api/status shows). */
struct board_netlink {
    uint32_t seq;                        /* of the dump being read */
    uint32_t portid;                     /* our socket's netlink address */
    int index[GH_BOARD_MAX_IFACES];      /* kernel ifindex of out->ifaces[i] */
};

/* No interface yet; seq and portid are the caller's to set before each dump. */
void board_netlink_begin(struct board_netlink *nl, struct board_facts *out);

/* One datagram of a dump: RTM_NEWLINK adds an interface (name, flags, MAC;
 * counted in iface_total, listed while there is room), RTM_NEWADDR adds an
 * IPv4/IPv6 address to a listed one. Messages of another seq or portid are
 * not ours and are skipped. 1 after NLMSG_DONE, 0 when more is to come,
 * GH_E_IO for an error the kernel reports (NLMSG_ERROR, a failed
 * NLMSG_DONE), GH_E_INVALID for a message cut short or malformed. */
int board_netlink_parse(struct board_netlink *nl, const void *buf, size_t len,
                        struct board_facts *out, struct gh_error *err);

/* Every interface of this machine, read over a NETLINK_ROUTE socket into
 * out->ifaces with a stack buffer of GH_BOARD_NETLINK_BUF; no heap. On error
 * out lists no interface. */
int board_linux_read_ifaces(struct board_facts *out, struct gh_error *err);

#endif
