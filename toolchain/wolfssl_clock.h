/* wolfssl_clock.h: the floor for "now" of wolfSSL's date checks
 * (wolfssl_clock.c says how it is used; server/clock.c sets it). */
#ifndef GH_WOLFSSL_CLOCK_H
#define GH_WOLFSSL_CLOCK_H

/* Unix seconds; 0 (the default) leaves wolfSSL's checks as they are. */
void gh_wolfssl_clock_set_floor(long long floor);
long long gh_wolfssl_clock_floor(void);

/* 1 when a notBefore after the floor passed unjudged on this thread, the
 * system clock being below the floor, since the last call; clears it. */
int gh_wolfssl_clock_take_unknown(void);

#endif
