/* The board facts behind GET /api/status (platform/board.h): the Linux
 * readers fed sample /proc, /sys and device-tree files, interfaces from
 * made-up rtnetlink dumps and from the kernel, and the fake board the UI
 * tests use. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "board.h"

#ifndef GATEHOUSE_VERSION
#define GATEHOUSE_VERSION "unknown"
#endif

static const char meminfo_sample[] =
    "MemTotal:        2009932 kB\n"
    "MemFree:          136480 kB\n"
    "MemAvailable:    1503456 kB\n"
    "Buffers:           81364 kB\n"
    "Cached:          1190460 kB\n"
    "SwapCached:            0 kB\n";

/* ---- one file at a time ---- */

static void test_uptime_is_read_in_whole_seconds(void **state)
{
    (void)state;
    uint64_t up = 0;
    assert_int_equal(board_parse_uptime("93784.55 180012.10\n", &up), 0);
    assert_int_equal(up, 93784);
    assert_int_equal(board_parse_uptime("12\n", &up), 0);
    assert_int_equal(up, 12);
    assert_int_equal(board_parse_uptime("abc 1.0\n", &up), GH_E_INVALID);
    assert_int_equal(board_parse_uptime("", &up), GH_E_INVALID);
    assert_int_equal(board_parse_uptime("99999999999999999999999.0", &up), GH_E_INVALID);
}

static void test_memory_total_and_available_are_read(void **state)
{
    (void)state;
    uint64_t total = 0, avail = 0;
    assert_int_equal(board_parse_meminfo(meminfo_sample, &total, &avail), 0);
    assert_int_equal(total, 2009932);
    assert_int_equal(avail, 1503456);
}

static void test_old_kernels_without_memavailable_get_an_estimate(void **state)
{
    (void)state;
    uint64_t total = 0, avail = 0;
    const char *old = "MemTotal:  1000 kB\nMemFree:  100 kB\nBuffers:  20 kB\nCached:  300 kB\n";
    assert_int_equal(board_parse_meminfo(old, &total, &avail), 0);
    assert_int_equal(total, 1000);
    assert_int_equal(avail, 420);
}

static void test_meminfo_without_a_total_is_refused(void **state)
{
    (void)state;
    uint64_t total = 0, avail = 0;
    assert_int_equal(board_parse_meminfo("MemFree: 100 kB\n", &total, &avail), GH_E_INVALID);
    assert_int_equal(board_parse_meminfo("MemTotalX: 100 kB\n", &total, &avail), GH_E_INVALID);
    assert_int_equal(board_parse_meminfo("", &total, &avail), GH_E_INVALID);
}

static void test_load_is_read_in_hundredths(void **state)
{
    (void)state;
    uint32_t l[3] = {0};
    assert_int_equal(board_parse_loadavg("0.15 1.05 12.50 1/123 4567\n", l), 0);
    assert_int_equal(l[0], 15);
    assert_int_equal(l[1], 105);
    assert_int_equal(l[2], 1250);
    assert_int_equal(board_parse_loadavg("3 0.5 0.129\n", l), 0);
    assert_int_equal(l[0], 300);
    assert_int_equal(l[1], 50);
    assert_int_equal(l[2], 12);
    assert_int_equal(board_parse_loadavg("0.15 1.05\n", l), GH_E_INVALID);
    assert_int_equal(board_parse_loadavg("0.15 x 1\n", l), GH_E_INVALID);
    assert_int_equal(board_parse_loadavg("0. 1 1\n", l), GH_E_INVALID);
}

static void test_os_name_is_the_unquoted_pretty_name(void **state)
{
    (void)state;
    char os[GH_BOARD_VERSION_MAX];
    board_parse_os_release("NAME=\"Debian GNU/Linux\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n",
                           os, sizeof os);
    assert_string_equal(os, "Debian GNU/Linux 12 (bookworm)");
    board_parse_os_release("PRETTY_NAME='OpenWrt 23.05.3'\n", os, sizeof os);
    assert_string_equal(os, "OpenWrt 23.05.3");
    board_parse_os_release("PRETTY_NAME=Buildroot\n", os, sizeof os);
    assert_string_equal(os, "Buildroot");
    board_parse_os_release("PRETTY_NAME=\"say \\\"hi\\\"\"\n", os, sizeof os);
    assert_string_equal(os, "say \"hi\"");
    board_parse_os_release("NAME=x\n", os, sizeof os);
    assert_string_equal(os, "");
}

/* ---- a whole board from sample files under a temporary root ---- */

struct root {
    char path[256];
};

static void put_file(struct root *r, const char *rel, const void *data, size_t len)
{
    char full[512], dir[512];
    snprintf(full, sizeof full, "%s%s", r->path, rel);
    /* make every parent folder */
    for (char *p = strchr(full + strlen(r->path) + 1, '/'); p; p = strchr(p + 1, '/')) {
        snprintf(dir, sizeof dir, "%.*s", (int)(p - full), full);
        mkdir(dir, 0700);
    }
    FILE *f = fopen(full, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static void put_text(struct root *r, const char *rel, const char *text)
{
    put_file(r, rel, text, strlen(text));
}

static int make_root(void **state)
{
    struct root *r = calloc(1, sizeof *r);
    const char *tmp = getenv("TMPDIR");
    snprintf(r->path, sizeof r->path, "%s/gh-board-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(r->path))
        return -1;
    *state = r;
    return 0;
}

static int remove_root(void **state)
{
    struct root *r = *state;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", r->path);
    int rc = system(cmd);
    free(r);
    return rc == 0 ? 0 : -1;
}

static void put_proc(struct root *r)
{
    put_text(r, "/proc/uptime", "3725.42 7000.00\n");
    put_text(r, "/proc/meminfo", meminfo_sample);
    put_text(r, "/proc/loadavg", "0.42 0.30 0.25 2/301 1234\n");
}

static void test_a_device_tree_board_says_its_model_and_serial(void **state)
{
    struct root *r = *state;
    struct board_facts f;
    struct gh_error err;
    static const char model[] = "Raspberry Pi 4 Model B Rev 1.4";   /* NUL-terminated on disk */
    static const char serial[] = "10000000abcdef01";
    put_proc(r);
    put_file(r, "/proc/device-tree/model", model, sizeof model);
    put_file(r, "/proc/device-tree/serial-number", serial, sizeof serial);
    put_text(r, "/sys/class/dmi/id/product_name", "should not be used\n");
    put_text(r, "/etc/os-release", "PRETTY_NAME=\"Raspbian GNU/Linux 11 (bullseye)\"\n");
    assert_int_equal(board_linux_read_files(r->path, &f, &err), 0);
    assert_string_equal(f.model, model);
    assert_string_equal(f.serial, serial);
    assert_string_equal(f.os, "Raspbian GNU/Linux 11 (bullseye)");
    assert_string_equal(f.firmware_version, GATEHOUSE_VERSION);
    assert_int_equal(f.uptime_s, 3725);
    assert_int_equal(f.mem_total_kb, 2009932);
    assert_int_equal(f.load_x100[0], 42);
    assert_int_equal(f.load_x100[2], 25);
}

static void test_a_pc_board_falls_back_to_dmi(void **state)
{
    struct root *r = *state;
    struct board_facts f;
    struct gh_error err;
    put_proc(r);
    put_text(r, "/sys/class/dmi/id/product_name", "APU2 \x01\n");
    put_text(r, "/sys/class/dmi/id/product_serial", "\n");   /* blank: no serial */
    assert_int_equal(board_linux_read_files(r->path, &f, &err), 0);
    assert_string_equal(f.model, "APU2 ?");
    assert_string_equal(f.serial, "");
    assert_string_equal(f.os, "");
}

static void test_a_board_that_says_nothing_is_unknown(void **state)
{
    struct root *r = *state;
    struct board_facts f;
    struct gh_error err;
    put_text(r, "/proc/uptime", "5.00 1.00\n");
    assert_int_equal(board_linux_read_files(r->path, &f, &err), 0);
    assert_string_equal(f.model, "unknown");
    assert_int_equal(f.uptime_s, 5);
    assert_int_equal(f.mem_total_kb, 0);
}

static void test_a_board_without_proc_is_an_error(void **state)
{
    struct root *r = *state;
    struct board_facts f;
    struct gh_error err;
    gh_error_clear(&err);
    assert_int_equal(board_linux_read_files(r->path, &f, &err), GH_E_IO);
    assert_non_null(strstr(err.msg, "/proc"));
}

/* ---- interfaces from made-up rtnetlink dumps ---- */

enum { SEQ = 7, PORTID = 4242 };

/* Datagrams built as the kernel sends them: messages one after another,
 * each padded to 4 bytes, attributes likewise. */
struct dgram {
    _Alignas(struct nlmsghdr) unsigned char b[4 * GH_BOARD_NETLINK_BUF];
    size_t len;
    size_t msg;   /* where the message being built starts */
};

static void put(struct dgram *d, const void *data, size_t n)
{
    assert_true(d->len + NLMSG_ALIGN(n) <= sizeof d->b);
    memcpy(d->b + d->len, data, n);
    memset(d->b + d->len + n, 0, NLMSG_ALIGN(n) - n);
    d->len += NLMSG_ALIGN(n);
}

static void msg_begin(struct dgram *d, uint16_t type, uint32_t seq, uint32_t pid)
{
    struct nlmsghdr h = {.nlmsg_type = type, .nlmsg_flags = NLM_F_MULTI, .nlmsg_seq = seq, .nlmsg_pid = pid};
    d->msg = d->len;
    put(d, &h, sizeof h);
}

static void msg_end(struct dgram *d)
{
    uint32_t len = (uint32_t)(d->len - d->msg);
    memcpy(d->b + d->msg + offsetof(struct nlmsghdr, nlmsg_len), &len, sizeof len);
}

static void attr(struct dgram *d, uint16_t type, const void *data, size_t n)
{
    struct rtattr a = {.rta_len = (unsigned short)RTA_LENGTH(n), .rta_type = type};
    size_t at = d->len;
    put(d, &a, sizeof a);
    d->len = at + RTA_LENGTH(0);
    put(d, data, n);
}

/* RTM_NEWLINK; name and mac may be NULL (attribute left out) */
static void link_msg(struct dgram *d, int index, unsigned flags, const char *name, const unsigned char *mac)
{
    struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_type = 1, .ifi_index = index, .ifi_flags = flags};
    uint32_t mtu = 1500;
    msg_begin(d, RTM_NEWLINK, SEQ, PORTID);
    put(d, &ifi, sizeof ifi);
    if (name)
        attr(d, IFLA_IFNAME, name, strlen(name) + 1);
    attr(d, IFLA_MTU, &mtu, sizeof mtu);
    if (mac)
        attr(d, IFLA_ADDRESS, mac, 6);
    msg_end(d);
}

/* RTM_NEWADDR with IFA_ADDRESS (and, for IPv4, IFA_LOCAL) as the kernel sends them */
static void addr_msg(struct dgram *d, int index, const char *text, unsigned prefix)
{
    unsigned char a[16];
    int family = strchr(text, ':') ? AF_INET6 : AF_INET;
    struct ifaddrmsg ifa = {.ifa_family = (unsigned char)family, .ifa_prefixlen = (unsigned char)prefix,
                            .ifa_index = (unsigned)index};
    assert_int_equal(inet_pton(family, text, a), 1);
    msg_begin(d, RTM_NEWADDR, SEQ, PORTID);
    put(d, &ifa, sizeof ifa);
    attr(d, IFA_ADDRESS, a, family == AF_INET ? 4 : 16);
    if (family == AF_INET)
        attr(d, IFA_LOCAL, a, 4);
    attr(d, IFA_LABEL, "x", 2);
    msg_end(d);
}

static void done_msg(struct dgram *d, int code)
{
    msg_begin(d, NLMSG_DONE, SEQ, PORTID);
    put(d, &code, sizeof code);
    msg_end(d);
}

static void error_msg(struct dgram *d, int code)
{
    struct nlmsgerr e = {.error = code};
    msg_begin(d, NLMSG_ERROR, SEQ, PORTID);
    put(d, &e, sizeof e);
    msg_end(d);
}

static int parse(struct board_netlink *nl, const struct dgram *d, struct board_facts *f, struct gh_error *err)
{
    nl->seq = SEQ;
    nl->portid = PORTID;
    return board_netlink_parse(nl, d->b, d->len, f, err);
}

static const unsigned char mac1[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0xab};
static const unsigned char zero_mac[6] = {0};

static void test_interfaces_are_grouped_with_mac_state_and_prefixes(void **state)
{
    (void)state;
    const unsigned up = IFF_UP | IFF_RUNNING;
    static struct dgram links, addrs;
    struct board_netlink nl;
    struct board_facts f;
    struct gh_error err;
    memset(&links, 0, sizeof links);
    memset(&addrs, 0, sizeof addrs);
    link_msg(&links, 1, up | IFF_LOOPBACK, "lo", zero_mac);
    link_msg(&links, 2, up, "eth0", mac1);
    link_msg(&links, 3, IFF_UP, "wlan0", mac1);   /* up but not running: no carrier */
    done_msg(&links, 0);
    addr_msg(&addrs, 1, "127.0.0.1", 8);
    addr_msg(&addrs, 2, "192.0.2.10", 24);
    addr_msg(&addrs, 1, "::1", 128);
    addr_msg(&addrs, 2, "2001:db8::10", 64);
    done_msg(&addrs, 0);

    memset(&f, 0xa5, sizeof f);
    board_netlink_begin(&nl, &f);
    assert_int_equal(parse(&nl, &links, &f, &err), 1);
    assert_int_equal(parse(&nl, &addrs, &f, &err), 1);
    assert_int_equal(f.niface, 3);
    assert_int_equal(f.iface_total, 3);
    assert_string_equal(f.ifaces[0].name, "lo");
    assert_string_equal(f.ifaces[0].mac, "");
    assert_true(f.ifaces[0].up);
    assert_int_equal(f.ifaces[0].naddrs, 2);
    assert_string_equal(f.ifaces[0].addrs[0], "127.0.0.1/8");
    assert_string_equal(f.ifaces[0].addrs[1], "::1/128");
    assert_string_equal(f.ifaces[1].name, "eth0");
    assert_string_equal(f.ifaces[1].mac, "02:00:5e:10:00:ab");
    assert_true(f.ifaces[1].up);
    assert_int_equal(f.ifaces[1].naddrs, 2);
    assert_string_equal(f.ifaces[1].addrs[0], "192.0.2.10/24");
    assert_string_equal(f.ifaces[1].addrs[1], "2001:db8::10/64");
    assert_string_equal(f.ifaces[2].name, "wlan0");
    assert_false(f.ifaces[2].up);
    assert_int_equal(f.ifaces[2].naddrs, 0);
}

static void test_a_dump_over_several_datagrams_is_read_to_its_end(void **state)
{
    (void)state;
    static struct dgram a, b;
    struct board_netlink nl;
    struct board_facts f;
    struct gh_error err;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    link_msg(&a, 1, IFF_UP, "lo", NULL);
    link_msg(&b, 2, IFF_UP, "eth0", mac1);
    done_msg(&b, 0);
    board_netlink_begin(&nl, &f);
    assert_int_equal(parse(&nl, &a, &f, &err), 0);   /* more to come */
    assert_int_equal(parse(&nl, &b, &f, &err), 1);
    assert_int_equal(f.niface, 2);
    assert_string_equal(f.ifaces[1].name, "eth0");
}

static void test_interfaces_beyond_capacity_are_counted_not_listed(void **state)
{
    (void)state;
    enum { N = GH_BOARD_MAX_IFACES + 3 };
    static struct dgram links, addrs;
    struct board_netlink nl;
    struct board_facts f;
    struct gh_error err;
    char name[16], a[32];
    memset(&links, 0, sizeof links);
    memset(&addrs, 0, sizeof addrs);
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "veth%d", i);
        link_msg(&links, 10 + i, IFF_UP, name, mac1);
        snprintf(a, sizeof a, "198.51.100.%d", i + 1);
        addr_msg(&addrs, 10 + i, a, 32);
    }
    done_msg(&links, 0);
    done_msg(&addrs, 0);
    board_netlink_begin(&nl, &f);
    assert_int_equal(parse(&nl, &links, &f, &err), 1);
    assert_int_equal(parse(&nl, &addrs, &f, &err), 1);
    assert_int_equal(f.niface, GH_BOARD_MAX_IFACES);
    assert_int_equal(f.iface_total, N);
    assert_string_equal(f.ifaces[GH_BOARD_MAX_IFACES - 1].name, "veth7");
    assert_int_equal(f.ifaces[GH_BOARD_MAX_IFACES - 1].naddrs, 1);
    assert_string_equal(f.ifaces[GH_BOARD_MAX_IFACES - 1].addrs[0], "198.51.100.8/32");
}

static void test_addresses_beyond_capacity_are_left_out(void **state)
{
    (void)state;
    static struct dgram links, addrs;
    struct board_netlink nl;
    struct board_facts f;
    struct gh_error err;
    char a[32];
    memset(&links, 0, sizeof links);
    memset(&addrs, 0, sizeof addrs);
    link_msg(&links, 2, IFF_UP, "eth0", mac1);
    done_msg(&links, 0);
    for (int i = 0; i < GH_BOARD_MAX_ADDRS + 2; i++) {
        snprintf(a, sizeof a, "2001:db8::%d", i + 1);
        addr_msg(&addrs, 2, a, 64);
    }
    done_msg(&addrs, 0);
    board_netlink_begin(&nl, &f);
    assert_int_equal(parse(&nl, &links, &f, &err), 1);
    assert_int_equal(parse(&nl, &addrs, &f, &err), 1);
    assert_int_equal(f.niface, 1);
    assert_int_equal(f.ifaces[0].naddrs, GH_BOARD_MAX_ADDRS);
    assert_string_equal(f.ifaces[0].addrs[GH_BOARD_MAX_ADDRS - 1], "2001:db8::6/64");
}

static void test_a_long_interface_name_is_cut_to_fit(void **state)
{
    (void)state;
    static struct dgram d;
    static const char longname[] = "averyveryverylonginterfacename0";
    struct ifinfomsg ifi = {.ifi_index = 5, .ifi_flags = IFF_UP | IFF_RUNNING};
    struct board_netlink nl;
    struct board_facts f;
    struct gh_error err;
    memset(&d, 0, sizeof d);
    link_msg(&d, 4, IFF_UP, longname, mac1);
    /* a name without its NUL */
    msg_begin(&d, RTM_NEWLINK, SEQ, PORTID);
    put(&d, &ifi, sizeof ifi);
    attr(&d, IFLA_IFNAME, "wan", 3);
    msg_end(&d);
    done_msg(&d, 0);
    board_netlink_begin(&nl, &f);
    assert_int_equal(parse(&nl, &d, &f, &err), 1);
    assert_int_equal(f.niface, 2);
    assert_int_equal(strlen(f.ifaces[0].name), GH_BOARD_IFNAME_MAX - 1);
    assert_memory_equal(f.ifaces[0].name, longname, GH_BOARD_IFNAME_MAX - 1);
    assert_string_equal(f.ifaces[1].name, "wan");
    assert_true(f.ifaces[1].up);
}

static void test_what_a_message_leaves_out_is_shown_as_unknown(void **state)
{
    (void)state;
    static struct dgram links, addrs;
    static const unsigned char infiniband[20] = {1, 2, 3};
    unsigned char peer[4] = {203, 0, 113, 1}, local[4] = {203, 0, 113, 2}, v6[16] = {0x20, 0x01, 0x0d, 0xb8};
    struct ifinfomsg ifi = {.ifi_index = 3, .ifi_flags = IFF_UP};
    struct ifaddrmsg ifa = {.ifa_family = AF_INET, .ifa_prefixlen = 32, .ifa_index = 2};
    struct board_netlink nl;
    struct board_facts f;
    struct gh_error err;
    memset(&links, 0, sizeof links);
    memset(&addrs, 0, sizeof addrs);
    link_msg(&links, 1, IFF_UP, NULL, mac1);          /* no name: cannot be shown */
    link_msg(&links, 2, IFF_UP | IFF_RUNNING, "ppp0", NULL);   /* no MAC */
    /* a 20-byte hardware address (InfiniBand): not a MAC to show */
    msg_begin(&links, RTM_NEWLINK, SEQ, PORTID);
    put(&links, &ifi, sizeof ifi);
    attr(&links, IFLA_IFNAME, "ib0", 4);
    attr(&links, IFLA_ADDRESS, infiniband, sizeof infiniband);
    msg_end(&links);
    done_msg(&links, 0);

    /* point-to-point: IFA_ADDRESS is the peer, IFA_LOCAL ours */
    msg_begin(&addrs, RTM_NEWADDR, SEQ, PORTID);
    put(&addrs, &ifa, sizeof ifa);
    attr(&addrs, IFA_ADDRESS, peer, 4);
    attr(&addrs, IFA_LOCAL, local, 4);
    msg_end(&addrs);
    /* no address at all */
    msg_begin(&addrs, RTM_NEWADDR, SEQ, PORTID);
    put(&addrs, &ifa, sizeof ifa);
    msg_end(&addrs);
    /* an IPv4 message holding 16 bytes */
    msg_begin(&addrs, RTM_NEWADDR, SEQ, PORTID);
    put(&addrs, &ifa, sizeof ifa);
    attr(&addrs, IFA_ADDRESS, v6, sizeof v6);
    msg_end(&addrs);
    /* a prefix longer than the address */
    ifa.ifa_family = AF_INET6;
    ifa.ifa_prefixlen = 129;
    msg_begin(&addrs, RTM_NEWADDR, SEQ, PORTID);
    put(&addrs, &ifa, sizeof ifa);
    attr(&addrs, IFA_ADDRESS, v6, sizeof v6);
    msg_end(&addrs);
    /* another family, and an address on a link nobody listed */
    ifa.ifa_family = AF_PACKET;
    msg_begin(&addrs, RTM_NEWADDR, SEQ, PORTID);
    put(&addrs, &ifa, sizeof ifa);
    attr(&addrs, IFA_ADDRESS, v6, 6);
    msg_end(&addrs);
    addr_msg(&addrs, 99, "192.0.2.99", 24);
    done_msg(&addrs, 0);

    board_netlink_begin(&nl, &f);
    assert_int_equal(parse(&nl, &links, &f, &err), 1);
    assert_int_equal(parse(&nl, &addrs, &f, &err), 1);
    assert_int_equal(f.niface, 2);
    assert_int_equal(f.iface_total, 2);
    assert_string_equal(f.ifaces[0].name, "ppp0");
    assert_string_equal(f.ifaces[0].mac, "");
    assert_true(f.ifaces[0].up);
    assert_int_equal(f.ifaces[0].naddrs, 2);
    assert_string_equal(f.ifaces[0].addrs[0], "203.0.113.2/32");
    assert_string_equal(f.ifaces[0].addrs[1], "2001:db8::");
    assert_string_equal(f.ifaces[1].name, "ib0");
    assert_string_equal(f.ifaces[1].mac, "");
    assert_false(f.ifaces[1].up);
}

static void test_a_link_seen_twice_is_listed_once(void **state)
{
    (void)state;
    static struct dgram d;
    struct board_netlink nl;
    struct board_facts f;
    struct gh_error err;
    memset(&d, 0, sizeof d);
    link_msg(&d, 2, IFF_UP, "eth0", NULL);
    link_msg(&d, 2, IFF_UP | IFF_RUNNING, "lan", mac1);   /* renamed meanwhile */
    done_msg(&d, 0);
    board_netlink_begin(&nl, &f);
    assert_int_equal(parse(&nl, &d, &f, &err), 1);
    assert_int_equal(f.niface, 1);
    assert_int_equal(f.iface_total, 1);
    assert_string_equal(f.ifaces[0].name, "lan");
    assert_true(f.ifaces[0].up);
    assert_string_equal(f.ifaces[0].mac, "02:00:5e:10:00:ab");
}

static void test_messages_of_another_request_are_skipped(void **state)
{
    (void)state;
    static struct dgram d;
    struct board_netlink nl;
    struct board_facts f;
    struct gh_error err;
    struct nlmsghdr *h;
    memset(&d, 0, sizeof d);
    link_msg(&d, 1, IFF_UP, "old", NULL);
    h = (struct nlmsghdr *)(void *)(d.b + d.msg);
    h->nlmsg_seq = SEQ - 1;
    link_msg(&d, 2, IFF_UP, "other", NULL);
    h = (struct nlmsghdr *)(void *)(d.b + d.msg);
    h->nlmsg_pid = PORTID + 1;
    done_msg(&d, 0);
    h = (struct nlmsghdr *)(void *)(d.b + d.msg);
    h->nlmsg_seq = SEQ + 1;   /* not our dump's end */
    link_msg(&d, 3, IFF_UP, "ours", NULL);
    board_netlink_begin(&nl, &f);
    assert_int_equal(parse(&nl, &d, &f, &err), 0);
    assert_int_equal(f.niface, 1);
    assert_string_equal(f.ifaces[0].name, "ours");
}

static void test_the_kernels_refusal_ends_the_dump_with_its_reason(void **state)
{
    (void)state;
    static struct dgram d;
    struct board_netlink nl;
    struct board_facts f;
    struct gh_error err;

    memset(&d, 0, sizeof d);
    link_msg(&d, 1, IFF_UP, "lo", NULL);
    error_msg(&d, -EPERM);
    link_msg(&d, 2, IFF_UP, "after", NULL);
    board_netlink_begin(&nl, &f);
    gh_error_clear(&err);
    assert_int_equal(parse(&nl, &d, &f, &err), GH_E_IO);
    assert_non_null(strstr(err.msg, strerror(EPERM)));

    memset(&d, 0, sizeof d);
    done_msg(&d, -EMSGSIZE);   /* a dump that failed part way */
    gh_error_clear(&err);
    assert_int_equal(parse(&nl, &d, &f, &err), GH_E_IO);
    assert_non_null(strstr(err.msg, strerror(EMSGSIZE)));

    memset(&d, 0, sizeof d);
    error_msg(&d, 0);   /* an acknowledgement ends it well */
    assert_int_equal(parse(&nl, &d, &f, &err), 1);

    memset(&d, 0, sizeof d);
    msg_begin(&d, NLMSG_DONE, SEQ, PORTID);   /* old kernels: DONE without a code */
    msg_end(&d);
    assert_int_equal(parse(&nl, &d, &f, &err), 1);

    memset(&d, 0, sizeof d);
    msg_begin(&d, NLMSG_OVERRUN, SEQ, PORTID);
    msg_end(&d);
    assert_int_equal(parse(&nl, &d, &f, &err), GH_E_IO);
}

/* Every length a datagram could be cut to, in a buffer of exactly that size
 * (so AddressSanitizer sees any read past it): never a crash, never "done". */
static void test_a_datagram_cut_anywhere_is_never_read_past_its_end(void **state)
{
    (void)state;
    static struct dgram d;
    struct board_netlink nl;
    struct board_facts f;
    struct gh_error err;
    size_t whole_messages = 0, refused = 0;
    memset(&d, 0, sizeof d);
    link_msg(&d, 1, IFF_UP, "lo", zero_mac);
    addr_msg(&d, 1, "127.0.0.1", 8);
    addr_msg(&d, 1, "::1", 128);
    done_msg(&d, 0);
    for (size_t cut = 1; cut < d.len; cut++) {
        unsigned char *copy = malloc(cut);
        assert_non_null(copy);
        memcpy(copy, d.b, cut);
        board_netlink_begin(&nl, &f);
        nl.seq = SEQ;
        nl.portid = PORTID;
        int rc = board_netlink_parse(&nl, copy, cut, &f, &err);
        free(copy);
        assert_true(rc == 0 || rc == GH_E_INVALID);
        if (rc == 0)
            whole_messages++;   /* cut between two messages */
        else
            refused++;
    }
    assert_int_equal(whole_messages, 3);
    assert_int_equal(refused, d.len - 1 - 3);
}

static void test_a_message_that_does_not_add_up_is_refused(void **state)
{
    (void)state;
    static struct dgram d;
    struct board_netlink nl;
    struct board_facts f;
    struct gh_error err;
    struct nlmsghdr *h;
    struct rtattr *a;

    /* a header claiming more than the datagram holds */
    memset(&d, 0, sizeof d);
    link_msg(&d, 1, IFF_UP, "lo", NULL);
    h = (struct nlmsghdr *)(void *)d.b;
    h->nlmsg_len += 64;
    board_netlink_begin(&nl, &f);
    assert_int_equal(parse(&nl, &d, &f, &err), GH_E_INVALID);
    /* ... or less than a header */
    h->nlmsg_len = 8;
    assert_int_equal(parse(&nl, &d, &f, &err), GH_E_INVALID);

    /* a link message too short for its ifinfomsg */
    memset(&d, 0, sizeof d);
    msg_begin(&d, RTM_NEWLINK, SEQ, PORTID);
    put(&d, "abcd", 4);
    msg_end(&d);
    gh_error_clear(&err);
    assert_int_equal(parse(&nl, &d, &f, &err), GH_E_INVALID);
    assert_non_null(strstr(err.msg, "cut short"));

    /* an attribute claiming more than its message holds */
    memset(&d, 0, sizeof d);
    link_msg(&d, 1, IFF_UP, "lo", mac1);
    a = (struct rtattr *)(void *)(d.b + NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct ifinfomsg)));
    a->rta_len = 200;
    assert_int_equal(parse(&nl, &d, &f, &err), GH_E_INVALID);
    /* ... or less than its own header */
    a->rta_len = 2;
    assert_int_equal(parse(&nl, &d, &f, &err), GH_E_INVALID);
    assert_int_equal(f.niface, 0);
}

/* ---- interfaces of a real kernel ---- */

/* In a network namespace of its own (needs root and iproute2's `ip`, else
 * skipped): more interfaces than are listed, more addresses than are kept,
 * and a dump larger than one GH_BOARD_NETLINK_BUF datagram. The checks run in
 * a child, whose exit code says which one failed. */
enum { VETH_PAIRS = 24 };

static int many_interfaces_child(void)
{
    struct board_facts f;
    struct gh_error err;
    if (unshare(CLONE_NEWNET) != 0)
        return 77;
    FILE *ip = popen("ip -batch - >/dev/null 2>&1", "w");
    if (!ip)
        return 77;
    fprintf(ip, "link set lo up\n");
    for (int i = 0; i < VETH_PAIRS; i++)
        fprintf(ip, "link add gh%d type veth peer name gh%dpeer\n", i, i);
    for (int i = 0; i < GH_BOARD_MAX_ADDRS + 4; i++)
        fprintf(ip, "addr add 2001:db8::%d/64 dev lo\n", i + 2);
    if (pclose(ip) != 0)
        return 77;   /* no veth in this kernel, or not allowed */
    gh_error_clear(&err);
    if (board_linux_read_ifaces(&f, &err) != 0) {
        fprintf(stderr, "board_linux_read_ifaces: %s\n", err.msg);
        return 1;
    }
    fprintf(stderr, "# %d interfaces listed of %d; lo: %d addresses\n", f.niface, f.iface_total,
            f.ifaces[0].naddrs);
    if (f.iface_total != 1 + 2 * VETH_PAIRS)
        return 2;
    if (f.niface != GH_BOARD_MAX_IFACES)
        return 3;
    if (strcmp(f.ifaces[0].name, "lo") != 0 || !f.ifaces[0].up || f.ifaces[0].naddrs != GH_BOARD_MAX_ADDRS)
        return 4;
    if (strcmp(f.ifaces[0].addrs[0], "127.0.0.1/8") != 0 && strcmp(f.ifaces[0].addrs[0], "::1/128") != 0)
        return 5;
    for (int i = 1; i < f.niface; i++)
        if (strncmp(f.ifaces[i].name, "gh", 2) != 0 || strlen(f.ifaces[i].mac) != 17 || f.ifaces[i].up)
            return 6;
    return 0;
}

static void test_a_machine_with_many_interfaces_is_read_in_full(void **state)
{
    (void)state;
    int status = 0;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(many_interfaces_child());
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 77)
        skip();   /* no network namespace, no veth or no `ip` here */
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* Whatever this machine has, netlink and glibc's getifaddrs() agree on it. */
static void test_this_machines_interfaces_are_those_getifaddrs_sees(void **state)
{
    (void)state;
    struct board_facts f;
    struct gh_error err;
    struct ifaddrs *list, *a;
    int links = 0;
    assert_int_equal(board_linux_read_ifaces(&f, &err), 0);
    assert_int_equal(getifaddrs(&list), 0);
    for (a = list; a; a = a->ifa_next)
        if (a->ifa_addr && a->ifa_addr->sa_family == AF_PACKET)
            links++;
    assert_int_equal(f.iface_total, links);
    for (int i = 0; i < f.niface; i++) {
        const struct board_iface *n = &f.ifaces[i];
        int found = 0, naddrs = 0;
        for (a = list; a; a = a->ifa_next) {
            if (!a->ifa_addr || strcmp(a->ifa_name, n->name) != 0)
                continue;
            int fam = a->ifa_addr->sa_family;
            if (fam == AF_PACKET) {
                found = 1;
                assert_int_equal(n->up, (a->ifa_flags & IFF_UP) && (a->ifa_flags & IFF_RUNNING));
            } else if ((fam == AF_INET || fam == AF_INET6) && naddrs < GH_BOARD_MAX_ADDRS) {
                char text[INET6_ADDRSTRLEN];
                const void *src = fam == AF_INET
                    ? (const void *)&((struct sockaddr_in *)(void *)a->ifa_addr)->sin_addr
                    : (const void *)&((struct sockaddr_in6 *)(void *)a->ifa_addr)->sin6_addr;
                assert_non_null(inet_ntop(fam, src, text, sizeof text));
                assert_true(naddrs < n->naddrs);
                assert_int_equal(strncmp(n->addrs[naddrs], text, strlen(text)), 0);
                assert_int_equal(n->addrs[naddrs][strlen(text)], '/');
                naddrs++;
            }
        }
        assert_true(found);
        assert_int_equal(naddrs, n->naddrs);
    }
    freeifaddrs(list);
}

/* ---- the boards as the server picks them ---- */

static void test_the_fake_board_is_the_same_everywhere_and_says_so(void **state)
{
    (void)state;
    struct board_facts a, b;
    assert_int_equal(board_fake_read(&a, NULL), 0);
    assert_int_equal(board_fake_read(&b, NULL), 0);
    assert_memory_equal(&a, &b, sizeof a);
    assert_non_null(strstr(a.model, "(fake)"));
    assert_int_equal(a.uptime_s, 93784);
    assert_true(a.niface >= 2);
}

static void test_gatehouse_board_env_selects_the_fake_board(void **state)
{
    (void)state;
    struct board_facts f;
    struct gh_error err;
    setenv("GATEHOUSE_BOARD", "fake", 1);
    assert_int_equal(board_read(&f, &err), 0);
    assert_non_null(strstr(f.model, "(fake)"));
    unsetenv("GATEHOUSE_BOARD");
    assert_int_equal(board_read(&f, &err), 0);
    assert_null(strstr(f.model, "(fake)"));
}

static void test_this_machine_is_read_as_a_linux_board(void **state)
{
    (void)state;
    struct board_facts f;
    struct gh_error err;
    int lo = 0;
    assert_int_equal(board_linux_read(&f, &err), 0);
    assert_true(f.uptime_s > 0);
    assert_true(f.mem_total_kb > 0);
    assert_true(f.mem_available_kb <= f.mem_total_kb);
    assert_true(f.model[0] != '\0');
    for (int i = 0; i < f.niface; i++)
        if (strcmp(f.ifaces[i].name, "lo") == 0)
            lo = 1;
    assert_true(lo || f.iface_total > f.niface);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uptime_is_read_in_whole_seconds),
        cmocka_unit_test(test_memory_total_and_available_are_read),
        cmocka_unit_test(test_old_kernels_without_memavailable_get_an_estimate),
        cmocka_unit_test(test_meminfo_without_a_total_is_refused),
        cmocka_unit_test(test_load_is_read_in_hundredths),
        cmocka_unit_test(test_os_name_is_the_unquoted_pretty_name),
        cmocka_unit_test_setup_teardown(test_a_device_tree_board_says_its_model_and_serial, make_root, remove_root),
        cmocka_unit_test_setup_teardown(test_a_pc_board_falls_back_to_dmi, make_root, remove_root),
        cmocka_unit_test_setup_teardown(test_a_board_that_says_nothing_is_unknown, make_root, remove_root),
        cmocka_unit_test_setup_teardown(test_a_board_without_proc_is_an_error, make_root, remove_root),
        cmocka_unit_test(test_interfaces_are_grouped_with_mac_state_and_prefixes),
        cmocka_unit_test(test_a_dump_over_several_datagrams_is_read_to_its_end),
        cmocka_unit_test(test_interfaces_beyond_capacity_are_counted_not_listed),
        cmocka_unit_test(test_addresses_beyond_capacity_are_left_out),
        cmocka_unit_test(test_a_long_interface_name_is_cut_to_fit),
        cmocka_unit_test(test_what_a_message_leaves_out_is_shown_as_unknown),
        cmocka_unit_test(test_a_link_seen_twice_is_listed_once),
        cmocka_unit_test(test_messages_of_another_request_are_skipped),
        cmocka_unit_test(test_the_kernels_refusal_ends_the_dump_with_its_reason),
        cmocka_unit_test(test_a_datagram_cut_anywhere_is_never_read_past_its_end),
        cmocka_unit_test(test_a_message_that_does_not_add_up_is_refused),
        cmocka_unit_test(test_a_machine_with_many_interfaces_is_read_in_full),
        cmocka_unit_test(test_this_machines_interfaces_are_those_getifaddrs_sees),
        cmocka_unit_test(test_the_fake_board_is_the_same_everywhere_and_says_so),
        cmocka_unit_test(test_gatehouse_board_env_selects_the_fake_board),
        cmocka_unit_test(test_this_machine_is_read_as_a_linux_board),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
