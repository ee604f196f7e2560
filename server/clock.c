#include "clock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timex.h>
#include <time.h>

#include "budget.h"
#include "config.h"
#include "log.h"
#include "wolfssl_clock.h"

#ifndef GH_BUILD_TIME
#error "GH_BUILD_TIME (Unix seconds) comes from server/CMakeLists.txt"
#endif

void clock_text(int64_t t, char *buf, size_t cap)
{
    struct tm tm;
    time_t tt = (time_t)t;
    if (!gmtime_r(&tt, &tm) || !strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(buf, cap, "%lld", (long long)t);
}

/* clock.floor: "SECONDS UNCOUNTED\n", the floor and the count of the
 * clock's commits that this one makes. */
static int parse(const char *buf, size_t len, int64_t *floor, uint32_t *uncounted)
{
    char text[GH_CLOCK_FILE_MAX + 1], *end;
    if (len == 0 || len > GH_CLOCK_FILE_MAX)
        return -1;
    memcpy(text, buf, len);
    text[len] = '\0';
    errno = 0;
    long long f = strtoll(text, &end, 10);
    if (errno || end == text || *end != ' ' || f <= 0)
        return -1;
    const char *p = end + 1;
    unsigned long n = strtoul(p, &end, 10);
    if (errno || end == p || *end != '\n' || end[1] != '\0' || n > UINT32_MAX)
        return -1;
    *floor = f;
    *uncounted = (uint32_t)n;
    return 0;
}

/* Seconds that have surely passed, whatever the wall clock does (suspend
 * included). */
static int64_t boot_seconds(void)
{
    struct timespec t;
    if (clock_gettime(CLOCK_BOOTTIME, &t) != 0)
        clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec;
}

/* The kernel's word that a time daemon disciplines the clock (adjtimex(2):
 * STA_UNSYNC clear). */
static int ntp_synchronised(void)
{
    struct timex tx;
    memset(&tx, 0, sizeof tx);
    return adjtimex(&tx) != TIME_ERROR && !(tx.status & STA_UNSYNC);
}

void clock_open(struct gh_clock *c, struct gh_flash *flash)
{
    char buf[GH_CLOCK_FILE_MAX], a[32], b[32];
    size_t len = 0;
    struct gh_error err;
    gh_error_clear(&err);
    memset(c, 0, sizeof *c);
    c->build_time = GH_BUILD_TIME;
    int rc = flash_read(flash, CLOCK_FILE, buf, sizeof buf, &len, &err);
    if (rc == 0 && parse(buf, len, &c->saved, &c->uncounted) != 0) {
        gh_log(GH_LOG_WARN, "%s: not \"SECONDS COUNT\"; the floor is the build time", CLOCK_FILE);
        c->saved = 0;
        c->uncounted = 0;
    } else if (rc != 0 && rc != GH_E_NOTFOUND) {
        gh_log(GH_LOG_WARN, "%s: %s; the floor is the build time", CLOCK_FILE, err.msg);
    }
    c->floor = c->saved > c->build_time ? c->saved : c->build_time;
    c->since = boot_seconds();
    gh_wolfssl_clock_set_floor((long long)c->floor);
    config_set_uncounted(c->uncounted);

    int64_t now = (int64_t)time(NULL);
    clock_text(now, a, sizeof a);
    clock_text(c->floor, b, sizeof b);
    if (now < c->floor)
        gh_log(GH_LOG_WARN, "clock: the system clock (%s) is behind the floor (%s, %s): the time "
               "is unknown but at least the floor; certificates are judged against it", a, b,
               c->saved > c->build_time ? "the latest trusted time seen" : "the build time");
    else
        gh_log(GH_LOG_DEBUG, "clock: the system clock (%s) is at or above the floor (%s): in use", a, b);
}

/* wait_ms: how long the flash may be waited for (the serve loop's tick
 * must not keep SIGTERM waiting: 0, and the next tick tries again). */
static void save(struct gh_clock *c, int wait_ms)
{
    char buf[GH_CLOCK_FILE_MAX];
    struct gh_error err;
    int n = snprintf(buf, sizeof buf, "%lld %u\n", (long long)c->floor, c->uncounted + 1);
    struct flash_file f = {CLOCK_FILE, buf, (size_t)n};
    gh_error_clear(&err);
    int rc = config_commit_aside(&f, 1, c->uncounted + 1, wait_ms, &err);
    if (rc == GH_E_BUSY && wait_ms == 0)
        return;   /* a change holds the flash: the next tick tries again */
    if (rc != 0) {
        gh_log(GH_LOG_WARN, "%s: the floor cannot be saved: %s", CLOCK_FILE, err.msg);
        c->tried = c->floor;
        return;
    }
    c->saved = c->floor;
    c->uncounted++;
}

/* The latest trusted time: the system clock when it is at or above the
 * floor, unless it leapt further ahead than the time since the floor was set
 * can explain (clock.h); then only as far as that. */
static void raise_floor(struct gh_clock *c)
{
    int64_t now = (int64_t)time(NULL), boot = boot_seconds();
    int64_t vouched = c->floor + (boot - c->since) + GH_CLOCK_MAX_STEP_S;
    if (now <= c->floor)
        return;
    if (now > vouched && !ntp_synchronised()) {
        if (!c->leap_told) {
            char a[32], b[32];
            clock_text(now, a, sizeof a);
            clock_text(vouched - GH_CLOCK_MAX_STEP_S, b, sizeof b);
            gh_log(GH_LOG_WARN, "clock: the system clock (%s) is far ahead of the floor (%s) and "
                   "not NTP-synchronised: it is used, but the floor follows it only as time passes",
                   a, b);
            c->leap_told = 1;
        }
        now = vouched - GH_CLOCK_MAX_STEP_S;
        if (now <= c->floor)
            return;
    } else {
        c->leap_told = 0;
    }
    c->floor = now;
    c->since = boot;
    gh_wolfssl_clock_set_floor((long long)now);
}

static int64_t saved_or_build(const struct gh_clock *c)
{
    return c->saved > c->build_time ? c->saved : c->build_time;
}

void clock_tick(struct gh_clock *c)
{
    raise_floor(c);
    int64_t last = saved_or_build(c) > c->tried ? saved_or_build(c) : c->tried;
    if (c->floor - last >= GH_CLOCK_SAVE_INTERVAL_S)
        save(c, 0);
}

void clock_close(struct gh_clock *c)
{
    raise_floor(c);
    if (c->floor > saved_or_build(c))
        save(c, GH_CHANGE_WAIT_MS);
}

void clock_state(struct clock_state *s)
{
    s->system = (int64_t)time(NULL);
    s->floor = (int64_t)gh_wolfssl_clock_floor();
    s->from_floor = s->system < s->floor;
    s->now = s->from_floor ? s->floor : s->system;
}

int clock_judge(int64_t not_before, int64_t not_after)
{
    struct clock_state s;
    clock_state(&s);
    if (not_after < s.now)
        return CLOCK_EXPIRED;
    if (not_before > s.now)
        return s.from_floor ? CLOCK_UNJUDGED : CLOCK_NOT_YET;
    return CLOCK_VALID;
}

int clock_take_unknown(void)
{
    return gh_wolfssl_clock_take_unknown();
}
