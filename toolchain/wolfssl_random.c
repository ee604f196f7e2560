/* wolfssl_random.c: where wolfSSL's random numbers come from
 * (user_settings.h: CUSTOM_RAND_GENERATE_BLOCK), built into gh_wolfssl.
 *
 * Straight from the kernel's CSPRNG with getrandom(2) (Linux 3.17, glibc
 * 2.25, musl 1.1.20) instead of a Hash_DRBG per WC_RNG: wolfSSL makes one
 * of those for every connection and runs the DRBG's known-answer health test
 * each time (about 3 % of a mutual-TLS handshake's CPU here), where the
 * kernel's generator is already a seeded, reseeding CSPRNG. getrandom also
 * waits, early in a device's boot, until that generator is initialised,
 * where /dev/urandom would not. */
#include <errno.h>
#include <sys/random.h>

#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/wolfcrypt/random.h>

int gh_random_block(unsigned char *out, unsigned int sz)
{
    while (sz > 0) {
        ssize_t n = getrandom(out, sz, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;   /* wolfSSL: any non-zero fails the caller's operation */
        }
        out += n;
        sz -= (unsigned int)n;
    }
    return 0;
}

/* With CUSTOM_RAND_GENERATE_BLOCK wolfSSL compiles no seed source of its
 * own, yet its OpenSSL layer's RAND_poll() still calls one. */
int wc_GenerateSeed(OS_Seed *os, byte *seed, word32 sz)
{
    (void)os;
    return gh_random_block(seed, sz);
}
