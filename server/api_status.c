/* GET /api/status: what the device is and how it is doing (platform/board.h),
 * and the state of Gatehouse itself. Read fresh on every request. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "board.h"
#include "clock.h"
#include "json.h"
#include "pool.h"
#include "routes.h"

#ifndef GATEHOUSE_VERSION
#define GATEHOUSE_VERSION "unknown"
#endif

static void load(struct json *j, const char *key, uint32_t x100)
{
    char num[24];
    snprintf(num, sizeof num, "%u.%02u", x100 / 100, x100 % 100);
    json_raw(j, key, num);
}

static void usage(struct json *j, const char *key, const struct pool_usage *u)
{
    json_obj_open(j, key);
    json_int(j, "size", (long long)u->size);
    json_int(j, "loaded", (long long)u->loaded);
    json_int(j, "used", (long long)u->used);
    json_int(j, "peak", (long long)u->peak);
    json_int(j, "refusals", u->refusals);
    json_obj_close(j);
}

/* The fixed pools (pool.h): what the budget is and how much of it is used;
 * null when the server runs on the C library's heap. */
static void memory(struct json *j)
{
    struct pool_stats st;
    pool_stats(&st);
    if (st.tls.size == 0) {
        json_raw(j, "memory", "null");
        return;
    }
    json_obj_open(j, "memory");
    usage(j, "tls", &st.tls);
    usage(j, "web", &st.web);
    json_int(j, "tls_connections", st.tls_connections);
    json_int(j, "admissions_refused", st.admissions_refused);
    json_obj_close(j);
}

/* Which clock certificates are judged against (clock.h): the system's, or
 * the floor while the system clock reads earlier. */
static void clock_obj(struct json *j)
{
    struct clock_state c;
    clock_state(&c);
    json_obj_open(j, "clock");
    json_str(j, "source", c.from_floor ? "floor" : "system");
    json_int(j, "now", (long long)c.now);
    json_int(j, "system", (long long)c.system);
    json_int(j, "floor", (long long)c.floor);
    json_obj_close(j);
}

int api_status(struct gh_request *rq)
{
    struct board_facts f;
    struct gh_error err;
    struct json j;
    char msg[240];

    gh_error_clear(&err);
    if (board_read(&f, &err) != 0) {
        snprintf(msg, sizeof msg, "The device facts cannot be read: %s", err.msg);
        return http_error(rq->mc, 500, 1, NULL, msg, NULL, rq->head);
    }
    json_init(&j, rq->cn->out, sizeof rq->cn->out);
    json_obj_open(&j, NULL);
    json_str(&j, "model", f.model);
    json_str(&j, "serial", f.serial[0] ? f.serial : NULL);
    json_str(&j, "firmware_version", f.firmware_version);
    json_str(&j, "os", f.os[0] ? f.os : NULL);
    json_int(&j, "time", (long long)time(NULL));
    clock_obj(&j);
    json_int(&j, "uptime_s", (long long)f.uptime_s);
    json_int(&j, "mem_total_kb", (long long)f.mem_total_kb);
    json_int(&j, "mem_available_kb", (long long)f.mem_available_kb);
    load(&j, "load1", f.load_x100[0]);
    load(&j, "load5", f.load_x100[1]);
    load(&j, "load15", f.load_x100[2]);
    json_arr_open(&j, "interfaces");
    for (int i = 0; i < f.niface; i++) {
        const struct board_iface *n = &f.ifaces[i];
        json_obj_open(&j, NULL);
        json_str(&j, "name", n->name);
        json_str(&j, "mac", n->mac[0] ? n->mac : NULL);
        json_bool(&j, "up", n->up);
        json_arr_open(&j, "addresses");
        for (int k = 0; k < n->naddrs; k++)
            json_str(&j, NULL, n->addrs[k]);
        json_arr_close(&j);
        json_obj_close(&j);
    }
    json_arr_close(&j);
    json_int(&j, "interfaces_total", f.iface_total);
    json_obj_open(&j, "gatehouse");
    json_str(&j, "version", GATEHOUSE_VERSION);
    json_int(&j, "generation", rq->cfg->flash_generation);
    json_int(&j, "mappings", rq->cfg->table.count);
    json_bool(&j, "default_table", rq->cfg->table_is_default);
    json_int(&j, "audit_records", audit_count());
    char note[sizeof ((struct gh_flash *)0)->note];
    config_flash_note(note, sizeof note);
    json_str(&j, "flash_recovery", note[0] ? note : NULL);
    memory(&j);
    json_obj_close(&j);
    json_obj_close(&j);
    return http_send_json(rq, 200, &j);
}
