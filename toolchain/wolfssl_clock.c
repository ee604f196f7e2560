/* wolfssl_clock.c: the "now" of wolfSSL's certificate and CRL date checks
 * (user_settings.h: XVALIDATE_DATE), built into gh_wolfssl.
 *
 * A board without a battery-backed clock boots in 1970; one with a flat
 * battery anywhere. wolfSSL compares every notBefore, notAfter and CRL
 * nextUpdate with time(): at 1970 nothing is valid yet, so ca.pem would not
 * even load. Gatehouse knows a floor instead (server/clock.c: the firmware's
 * build time, the latest trusted time it has seen): now is never earlier
 * than that. While the system clock reads earlier than the floor, the true
 * time is unknown but at least the floor, so
 *  - an end date (notAfter, nextUpdate) before the floor has passed: refused;
 *  - a start date (notBefore) after the floor may or may not have come: it
 *    cannot be judged, and passes; the thread that checked it is told
 *    (gh_wolfssl_clock_take_unknown), so the server can say so.
 * Everything else of wolfSSL's parse runs as usual (signature, extensions,
 * CRL), which is why this is done here and not by overriding a date error in
 * the verify callback: wolfSSL stops checking a certificate at its first
 * error. With no floor set the checks are wolfSSL's own. */
#include <stdatomic.h>
#include <time.h>

#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/wolfcrypt/asn.h>
#include <wolfssl/wolfcrypt/asn_public.h>

#include "wolfssl_clock.h"

static _Atomic long long floor_;
static __thread int unknown_;   /* a notBefore passed because the clock is unknown */

static time_t now_cb(time_t *t)
{
    time_t now = time(NULL);
    long long fl = atomic_load_explicit(&floor_, memory_order_relaxed);
    if ((long long)now < fl)
        now = (time_t)fl;
    if (t)
        *t = now;
    return now;
}

void gh_wolfssl_clock_set_floor(long long floor)
{
    static atomic_int hooked;
    atomic_store(&floor_, floor);
    if (!atomic_exchange(&hooked, 1))
        wc_SetTimeCb(now_cb);   /* once: wolfSSL reads the pointer without a lock */
}

long long gh_wolfssl_clock_floor(void)
{
    return atomic_load(&floor_);
}

int gh_wolfssl_clock_take_unknown(void)
{
    int u = unknown_;
    unknown_ = 0;
    return u;
}

int gh_validate_date(const unsigned char *date, unsigned char format, int type)
{
    struct tm tm;
    int i = 0;
    if (wc_ValidateDate(date, format, type))
        return 1;
    if (type != BEFORE || (long long)time(NULL) >= atomic_load(&floor_))
        return 0;
    /* a well-formed start date after the floor, the system clock below it */
    if (!ExtractDate(date, format, &tm, &i) || (date[i] != 'Z' && date[i] != '+' && date[i] != '-'))
        return 0;
    unknown_ = 1;
    return 1;
}
