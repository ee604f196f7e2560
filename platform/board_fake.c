/* board_fake.c: a device that is the same on every machine, for browser tests
 * and screenshots (GATEHOUSE_BOARD=fake). Addresses are from the documentation
 * ranges (RFC 5737, RFC 3849), the MAC is locally administered. */
#include "board.h"

#include <stdio.h>
#include <string.h>

#ifndef GATEHOUSE_VERSION
#define GATEHOUSE_VERSION "unknown"
#endif

static void iface(struct board_facts *out, const char *name, const char *mac, int up,
                  const char *a4, const char *a6)
{
    struct board_iface *f = &out->ifaces[out->niface++];
    snprintf(f->name, sizeof f->name, "%s", name);
    snprintf(f->mac, sizeof f->mac, "%s", mac);
    f->up = up;
    snprintf(f->addrs[f->naddrs++], sizeof f->addrs[0], "%s", a4);
    snprintf(f->addrs[f->naddrs++], sizeof f->addrs[0], "%s", a6);
}

int board_fake_read(struct board_facts *out, struct gh_error *err)
{
    (void)err;
    memset(out, 0, sizeof *out);
    snprintf(out->model, sizeof out->model, "Gatehouse Demo Gateway GW-100 (fake)");
    snprintf(out->serial, sizeof out->serial, "GW100-0000042");
    snprintf(out->firmware_version, sizeof out->firmware_version, "%s", GATEHOUSE_VERSION);
    snprintf(out->os, sizeof out->os, "Demo Linux 1.0 (fake)");
    out->uptime_s = 93784;   /* 1 d 2 h 3 min 4 s */
    out->mem_total_kb = 262144;
    out->mem_available_kb = 174080;
    out->load_x100[0] = 15;
    out->load_x100[1] = 10;
    out->load_x100[2] = 5;
    iface(out, "lo", "", 1, "127.0.0.1/8", "::1/128");
    iface(out, "eth0", "02:00:5e:10:00:01", 1, "192.0.2.10/24", "2001:db8::10/64");
    iface(out, "eth1", "02:00:5e:10:00:02", 0, "198.51.100.7/24", "2001:db8:1::7/64");
    out->iface_total = out->niface;
    return 0;
}
