/* clock.h: what "now" is when the system clock may be wrong (CONTRACT.md
 * section 7, "Clock").
 *
 * A board without a battery-backed clock boots in 1970, and until NTP answers
 * (if it ever does) every certificate looks not yet valid. Gatehouse keeps a
 * floor for "now": the firmware's build time (fixed when the build is
 * configured: SOURCE_DATE_EPOCH or the git commit time, so the build is
 * reproducible) and the latest trusted time it has seen, kept in flash as
 * `clock.floor`. The system clock is trusted when it reads at or above the
 * floor; it then raises the floor. Below the floor the time is unknown but at
 * least the floor: wolfSSL judges dates against the floor, an end date before
 * it has passed, a start date after it cannot be judged and passes
 * (toolchain/wolfssl_clock.c), and the connection is marked `clock-unknown`.
 *
 * The floor is written to flash at most every GH_CLOCK_SAVE_INTERVAL_S and at
 * shutdown, and only when it moved: a commit rewrites a whole slot of a raw
 * partition. Those commits do not count as configuration generations
 * (config_commit_aside). The state is the caller's; the floor wolfSSL uses is
 * the one thing shared (its time callback has no argument). */
#ifndef GH_CLOCK_H
#define GH_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "flash.h"

#define CLOCK_FILE "clock.floor"

struct gh_clock {
    int64_t build_time;   /* the firmware's */
    int64_t saved;        /* the floor clock.floor holds (0: none) */
    int64_t floor;        /* in force: max(build time, saved, trusted time seen) */
    int64_t tried;        /* the floor of the last save that failed: the next try is an */
                          /* hour later, not every tick */
    uint32_t uncounted;   /* commits of clock.floor so far */
    int64_t since;        /* CLOCK_BOOTTIME when the floor was last set: the floor plus */
                          /* the time since is a time that has surely passed */
    int leap_told;        /* the log has said that a leap ahead is not followed */
};

/* Read clock.floor from flash and give the floor to wolfSSL: before any
 * certificate is loaded, and before config_init() (it tells config.c how many
 * commits were the clock's). Never fails: an unreadable clock.floor is logged
 * and the build time is the floor. */
void clock_open(struct gh_clock *c, struct gh_flash *flash);

/* A system clock at or above the floor raises it, by as much as the time
 * since the floor was set (plus GH_CLOCK_MAX_STEP_S) can vouch for, or all
 * the way when the kernel says the clock is NTP-synchronised: a clock set
 * years ahead (a flat RTC battery, a typo) must not become a floor that
 * refuses every certificate once the clock is put right. The floor goes to
 * flash when it is
 * GH_CLOCK_SAVE_INTERVAL_S past the saved one. After config_init(), then
 * every GH_CLOCK_TICK_S (the serve loop). */
void clock_tick(struct gh_clock *c);

/* At shutdown: the floor to flash if it moved since it was saved. */
void clock_close(struct gh_clock *c);

/* Which clock is in use, for /api/status. */
struct clock_state {
    int from_floor;       /* the system clock is below the floor */
    int64_t now;          /* what certificates are judged against */
    int64_t system;
    int64_t floor;
};
void clock_state(struct clock_state *s);

/* A validity period against now. */
enum clock_verdict {
    CLOCK_VALID,
    CLOCK_UNJUDGED,       /* starts after the floor, the clock below it */
    CLOCK_EXPIRED,        /* ended before now (before the floor, when unknown) */
    CLOCK_NOT_YET,        /* starts after a trusted now */
};
int clock_judge(int64_t not_before, int64_t not_after);

/* "2026-12-04T10:00:00Z" */
void clock_text(int64_t t, char *buf, size_t cap);

/* 1 when a certificate the calling thread had wolfSSL check since the last
 * call started after the floor while the clock was unknown (accepted
 * unjudged); clears it. */
int clock_take_unknown(void);

#endif
