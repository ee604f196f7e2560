/* pool.h: the fixed memory that wolfSSL and civetweb run on.
 *
 * Two static pools, sized in budget.h ("memory"), so that the server's whole
 * RAM use is fixed when it is built and nothing calls malloc once it serves:
 *
 * - the TLS pool: wolfSSL's static-memory allocator (WOLFSSL_STATIC_MEMORY)
 *   over one buffer cut into blocks of a few sizes. It is wolfSSL's global
 *   heap hint, so everything takes from it: the OpenSSL compatibility layer
 *   passes no hint, and the CTX is made without one (tls.c says why).
 * - the web pool: civetweb's allocations (toolchain/mg_alloc.h sends its
 *   malloc family to pool_web_*), first fit over one buffer.
 *
 * Either pool refuses when it is full: a handshake or a request that finds no
 * memory fails cleanly, the refusal is counted and logged (at most once a
 * second), and the next one succeeds as soon as memory is back.
 *
 * GATEHOUSE_SYSTEM_HEAP=1 in the environment leaves both pools out and uses
 * the C library's heap instead: for valgrind and AddressSanitizer, which see
 * each block of a heap but not the blocks inside a pool, and for the
 * zero-allocation test's check that its counter does see allocations. */
#ifndef GH_POOL_H
#define GH_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "gh_error.h"

/* Load the TLS pool and make it wolfSSL's global heap hint. Once, before
 * wolfSSL_Init() and before anything else calls wolfSSL. */
int pool_init(struct gh_error *err);

struct pool_usage {
    size_t size;             /* bytes of the pool's buffer: its budget (0: system heap) */
    size_t loaded;           /* ... of which in use at least once (RAM actually touched) */
    size_t used;             /* bytes in blocks handed out now */
    size_t peak;             /* most bytes ever in use at once */
    uint32_t refusals;       /* allocations refused because the pool was full */
};

struct pool_stats {
    struct pool_usage tls;
    struct pool_usage web;
    uint32_t tls_connections;   /* WOLFSSL objects alive (handshaking or open) */
    uint32_t admissions_refused; /* clients refused to keep the admin reserve */
};

void pool_stats(struct pool_stats *out);

/* The admin reserve, asked by the verify callback once the client's
 * certificate is verified and mapped: 0 admits the client, GH_E_NOMEM
 * refuses it (reason in why) when it is not an admin and the TLS pool has
 * less than GH_ADMIN_RESERVE handshakes' worth of some block size left
 * (budget.h: the blocks one connection holds at its peak). */
int pool_admit(int is_admin, char *why, size_t cap);

/* Allocations the pools refused on this thread since the last call (the
 * connection this worker served ran out of memory: audit it as such). */
uint32_t pool_thread_refusals(void);

/* civetweb's allocator (toolchain/mg_alloc.h). */
void *pool_web_malloc(size_t size);
void *pool_web_calloc(size_t n, size_t size);
void *pool_web_realloc(void *p, size_t size);
void pool_web_free(void *p);

#endif
