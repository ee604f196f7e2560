/* The board facts behind GET /api/status (platform/board.h): the Linux
 * readers fed sample /proc, /sys and device-tree files, interfaces from a
 * made-up getifaddrs() list, and the fake board the UI tests use. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
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

/* ---- interfaces from a made-up getifaddrs() list ---- */

struct fake_if {
    struct ifaddrs ifa;
    struct sockaddr_storage addr, mask;
};

static void fake_link(struct fake_if *e, const char *name, unsigned flags, const unsigned char mac[6])
{
    struct sockaddr_ll *ll = (struct sockaddr_ll *)&e->addr;
    memset(e, 0, sizeof *e);
    e->ifa.ifa_name = (char *)name;
    e->ifa.ifa_flags = flags;
    ll->sll_family = AF_PACKET;
    ll->sll_halen = 6;
    memcpy(ll->sll_addr, mac, 6);
    e->ifa.ifa_addr = (struct sockaddr *)&e->addr;
}

static void fake_addr(struct fake_if *e, const char *name, unsigned flags, int family,
                      const char *addr, const char *mask)
{
    memset(e, 0, sizeof *e);
    e->ifa.ifa_name = (char *)name;
    e->ifa.ifa_flags = flags;
    if (family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&e->addr, *m = (struct sockaddr_in *)&e->mask;
        a->sin_family = m->sin_family = AF_INET;
        inet_pton(AF_INET, addr, &a->sin_addr);
        inet_pton(AF_INET, mask, &m->sin_addr);
    } else {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&e->addr, *m = (struct sockaddr_in6 *)&e->mask;
        a->sin6_family = m->sin6_family = AF_INET6;
        inet_pton(AF_INET6, addr, &a->sin6_addr);
        inet_pton(AF_INET6, mask, &m->sin6_addr);
    }
    e->ifa.ifa_addr = (struct sockaddr *)&e->addr;
    e->ifa.ifa_netmask = (struct sockaddr *)&e->mask;
}

static void chain(struct fake_if *e, int n)
{
    for (int i = 0; i < n; i++)
        e[i].ifa.ifa_next = i + 1 < n ? &e[i + 1].ifa : NULL;
}

static void test_interfaces_are_grouped_with_mac_state_and_prefixes(void **state)
{
    (void)state;
    static const unsigned char zero[6] = {0}, mac[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0xab};
    const unsigned up = IFF_UP | IFF_RUNNING;
    struct fake_if e[6];
    struct board_facts f;
    fake_link(&e[0], "lo", up | IFF_LOOPBACK, zero);
    fake_link(&e[1], "eth0", up, mac);
    fake_link(&e[2], "wlan0", IFF_UP, mac);   /* up but not running: no carrier */
    fake_addr(&e[3], "lo", up, AF_INET, "127.0.0.1", "255.0.0.0");
    fake_addr(&e[4], "eth0", up, AF_INET, "192.0.2.10", "255.255.255.0");
    fake_addr(&e[5], "eth0", up, AF_INET6, "2001:db8::10", "ffff:ffff:ffff:ffff::");
    chain(e, 6);
    memset(&f, 0, sizeof f);
    board_collect_ifaddrs(&e[0].ifa, &f);
    assert_int_equal(f.niface, 3);
    assert_int_equal(f.iface_total, 3);
    assert_string_equal(f.ifaces[0].name, "lo");
    assert_string_equal(f.ifaces[0].mac, "");
    assert_int_equal(f.ifaces[0].naddrs, 1);
    assert_string_equal(f.ifaces[0].addrs[0], "127.0.0.1/8");
    assert_string_equal(f.ifaces[1].name, "eth0");
    assert_string_equal(f.ifaces[1].mac, "02:00:5e:10:00:ab");
    assert_true(f.ifaces[1].up);
    assert_int_equal(f.ifaces[1].naddrs, 2);
    assert_string_equal(f.ifaces[1].addrs[0], "192.0.2.10/24");
    assert_string_equal(f.ifaces[1].addrs[1], "2001:db8::10/64");
    assert_false(f.ifaces[2].up);
    assert_int_equal(f.ifaces[2].naddrs, 0);
}

static void test_interfaces_beyond_capacity_are_counted_not_listed(void **state)
{
    (void)state;
    enum { N = GH_BOARD_MAX_IFACES + 3 };
    static const unsigned char mac[6] = {2, 0, 0, 0, 0, 1};
    static char names[N][16];
    struct fake_if e[2 * N];
    struct board_facts f;
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "veth%d", i);
        fake_link(&e[i], names[i], IFF_UP, mac);
        fake_addr(&e[N + i], names[i], IFF_UP, AF_INET, "198.51.100.1", "255.255.255.255");
    }
    chain(e, 2 * N);
    board_collect_ifaddrs(&e[0].ifa, &f);
    assert_int_equal(f.niface, GH_BOARD_MAX_IFACES);
    assert_int_equal(f.iface_total, N);
    assert_string_equal(f.ifaces[GH_BOARD_MAX_IFACES - 1].addrs[0], "198.51.100.1/32");
}

static void test_addresses_beyond_capacity_are_left_out(void **state)
{
    (void)state;
    struct fake_if e[GH_BOARD_MAX_ADDRS + 2];
    struct board_facts f;
    char a[32];
    for (int i = 0; i < GH_BOARD_MAX_ADDRS + 2; i++) {
        snprintf(a, sizeof a, "2001:db8::%d", i + 1);
        fake_addr(&e[i], "eth0", IFF_UP, AF_INET6, a, "ffff:ffff:ffff:ffff::");
    }
    chain(e, GH_BOARD_MAX_ADDRS + 2);
    board_collect_ifaddrs(&e[0].ifa, &f);
    assert_int_equal(f.niface, 1);
    assert_int_equal(f.ifaces[0].naddrs, GH_BOARD_MAX_ADDRS);
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
        cmocka_unit_test(test_interfaces_beyond_capacity_are_counted_not_listed),
        cmocka_unit_test(test_addresses_beyond_capacity_are_left_out),
        cmocka_unit_test(test_the_fake_board_is_the_same_everywhere_and_says_so),
        cmocka_unit_test(test_gatehouse_board_env_selects_the_fake_board),
        cmocka_unit_test(test_this_machine_is_read_as_a_linux_board),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
