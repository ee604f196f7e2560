#include "pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/ssl.h>
#include <wolfssl/wolfcrypt/memory.h>
#include <wolfssl/wolfcrypt/wc_port.h>

#include "budget.h"
#include "log.h"

#if defined(__SANITIZE_ADDRESS__)
#define POOL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define POOL_ASAN 1
#endif
#endif
#ifdef POOL_ASAN
#include <sanitizer/asan_interface.h>
/* The allocator reads its own block headers, which stay poisoned. */
#define NO_ASAN __attribute__((no_sanitize("address")))
#else
#define ASAN_POISON_MEMORY_REGION(p, n) ((void)(p), (void)(n))
#define ASAN_UNPOISON_MEMORY_REGION(p, n) ((void)(p), (void)(n))
#define NO_ASAN
#endif

#ifndef WOLFSSL_STATIC_MEMORY_DEBUG_CALLBACK
/* pool.c keeps its statistics and counts refusals with it */
#error "toolchain/user_settings.h must define WOLFSSL_STATIC_MEMORY_DEBUG_CALLBACK"
#endif

static int system_heap_;            /* GATEHOUSE_SYSTEM_HEAP=1: no pools */
static __thread uint32_t thread_refusals_;
static atomic_uint admissions_refused_;

/* A refusal is logged at most once a second, with the count since the last line. */
static void note_refusal(const char *pool, size_t pool_bytes, size_t size, uint32_t total)
{
    static atomic_llong last_;
    static atomic_uint unlogged_;
    long long now = (long long)time(NULL);
    long long last = atomic_load(&last_);
    unsigned n = atomic_fetch_add(&unlogged_, 1) + 1;
    thread_refusals_++;
    if (now == last || !atomic_compare_exchange_strong(&last_, &last, now))
        return;
    atomic_fetch_sub(&unlogged_, n);
    gh_log(GH_LOG_WARN,
           "out of memory: the %s pool (%zu bytes, budget.h) refused %zu bytes; %u refusal%s "
           "(%u in all): what needed it is refused, service goes on as memory returns",
           pool, pool_bytes, size, n, n == 1 ? "" : "s since the last line", total);
}

uint32_t pool_thread_refusals(void)
{
    uint32_t n = thread_refusals_;
    thread_refusals_ = 0;
    return n;
}

/* ---------------------------------------------------------------- TLS pool */

#define BUCKET_SIZE_(size, n, base) size,
#define BUCKET_SESSION_(size, n, base) n,
#define BUCKET_BASE_(size, n, base) base,
static const unsigned int tls_sizes_[] = {GH_TLS_BUCKETS(BUCKET_SIZE_)};
static const unsigned int tls_per_session_[] = {GH_TLS_BUCKETS(BUCKET_SESSION_)};
static const unsigned int tls_base_[] = {GH_TLS_BUCKETS(BUCKET_BASE_)};
#define TLS_NBUCKETS (sizeof tls_sizes_ / sizeof tls_sizes_[0])
_Static_assert(TLS_NBUCKETS <= WOLFMEM_MAX_BUCKETS,
               "GH_TLS_BUCKETS has more sizes than WOLFMEM_MAX_BUCKETS (user_settings.h)");

static unsigned char tls_buf_[GH_TLS_POOL_BYTES] __attribute__((aligned(WOLFSSL_STATIC_ALIGN)));
static WOLFSSL_HEAP_HINT *tls_hint_;
static size_t tls_ovh_;                  /* wolfSSL's bookkeeping per block */

/* Each block size has its own stretch of tls_buf_, handed to wolfSSL in
 * steps: one session's worth at start-up, then one session's worth whenever
 * fewer than that are left free (loading the trust store takes a few such
 * steps), so that pages are touched (wolfSSL writes a header into every
 * block it is given) as they are needed, and an idle server stays small.
 * All below is kept by the callback, which wolfSSL calls with the pool's
 * mutex held. */
struct tls_bucket {
    size_t region;                       /* offset of its stretch in tls_buf_ */
    unsigned int total;                  /* blocks the budget gives it */
    unsigned int loaded;                 /* ... handed to wolfSSL so far */
    unsigned int used;                   /* ... taken now */
};
static struct tls_bucket tls_b_[TLS_NBUCKETS];
static size_t tls_loaded_, tls_used_, tls_peak_;
static uint32_t tls_refusals_;
static uint32_t tls_conns_;              /* WOLFSSL objects alive */
static int tls_growing_;

/* Hand n more blocks of size i to wolfSSL: a piece of exactly n blocks, with
 * the distribution set to that size alone, which wolfSSL cuts in one round
 * (it repeats rounds until the piece is used up, so the piece must be exact,
 * and it counts blocks per round in a byte: n <= 255). */
static int tls_give(size_t i, unsigned int n)
{
    struct tls_bucket *b = &tls_b_[i];
    WOLFSSL_HEAP *heap = tls_hint_->memory;
    size_t step = tls_sizes_[i] + tls_ovh_;
    static const unsigned int none[WOLFMEM_MAX_BUCKETS];
    int rc;
    if (n == 0 || n > 255 || b->loaded + n > b->total)
        return -1;
    memset(heap->distList, 0, sizeof heap->distList);
    heap->distList[i] = n;
    tls_growing_ = 1;
    rc = wc_LoadStaticMemory_ex(&tls_hint_, (unsigned)TLS_NBUCKETS, tls_sizes_, none,
                                tls_buf_ + b->region + b->loaded * step, (unsigned)(n * step),
                                WOLFMEM_GENERAL, 0);
    tls_growing_ = 0;
    if (rc != 0)
        return rc;
    b->loaded += n;
    tls_loaded_ += n * step;
    return 0;
}

static size_t tls_bucket_of(size_t block)
{
    size_t i = 0;
    while (i + 1 < TLS_NBUCKETS && tls_sizes_[i] != block)
        i++;
    return i;
}

static void on_tls_memory(size_t size, int block, byte what, int type)
{
    struct tls_bucket *b;
    if (what == WOLFSSL_DEBUG_MEMORY_INIT || tls_growing_)
        return;   /* blocks being handed over (tls_give counts them) */
    if (what == WOLFSSL_DEBUG_MEMORY_FAIL) {
        note_refusal("TLS", sizeof tls_buf_, size, ++tls_refusals_);
        return;
    }
    /* without a CTX hint, the WOLFSSL object is the only DYNAMIC_TYPE_SSL block */
    if (type == DYNAMIC_TYPE_SSL)
        tls_conns_ += what == WOLFSSL_DEBUG_MEMORY_ALLOC ? 1 : (tls_conns_ > 0 ? -1 : 0);
    b = &tls_b_[tls_bucket_of((size_t)block)];
    if (what == WOLFSSL_DEBUG_MEMORY_FREE) {
        /* wolfSSL_Realloc frees without reporting the new block: never below 0 */
        b->used -= b->used > 0;
        tls_used_ = tls_used_ > (size_t)block ? tls_used_ - (size_t)block : 0;
        return;
    }
    b->used++;
    tls_used_ += (size_t)block;
    if (tls_used_ > tls_peak_)
        tls_peak_ = tls_used_;
    /* keep one session's worth of this size free while the budget has more */
    size_t i = (size_t)(b - tls_b_);
    unsigned int room = b->total - b->loaded;
    if (b->loaded - b->used < tls_per_session_[i] && room > 0 &&
        tls_give(i, room < tls_per_session_[i] ? room : tls_per_session_[i]) != 0)
        note_refusal("TLS", sizeof tls_buf_, (size_t)block, ++tls_refusals_);
}

static int tls_load(struct gh_error *err)
{
    static const unsigned int none[WOLFMEM_MAX_BUCKETS];
    /* rounded up: the blocks after it must stay aligned (on aarch64 and
     * armhf the two structs do not add up to a multiple of the alignment) */
    const size_t head = (sizeof(WOLFSSL_HEAP) + sizeof(WOLFSSL_HEAP_HINT) + WOLFSSL_STATIC_ALIGN - 1) &
                        ~(size_t)(WOLFSSL_STATIC_ALIGN - 1);
    WOLFSSL_MEM_STATS st;
    size_t off = head;
    int rc;

    tls_ovh_ = (size_t)wolfSSL_MemoryPaddingSz();
    if (tls_ovh_ > GH_TLS_BLOCK_OVERHEAD)
        return gh_error_set(err, GH_E_INTERNAL, "wolfSSL's pool bookkeeping (%zu bytes a block) is "
                            "larger than GH_TLS_BLOCK_OVERHEAD", tls_ovh_);
    /* the pool's own bookkeeping first, no blocks yet */
    rc = wc_LoadStaticMemory_ex(&tls_hint_, (unsigned)TLS_NBUCKETS, tls_sizes_, none, tls_buf_,
                                (unsigned)head, WOLFMEM_GENERAL, 0);
    if (rc != 0)
        return gh_error_set(err, GH_E_INTERNAL, "cannot set up the TLS memory pool (%d)", rc);
    for (size_t i = 0; i < TLS_NBUCKETS; i++) {
        struct tls_bucket *b = &tls_b_[i];
        size_t step = tls_sizes_[i] + tls_ovh_;
        unsigned int first, pieces;
        if (tls_sizes_[i] % WOLFSSL_STATIC_ALIGN || (i > 0 && tls_sizes_[i] <= tls_sizes_[i - 1]))
            return gh_error_set(err, GH_E_INTERNAL, "GH_TLS_BUCKETS: block sizes must grow in "
                                "multiples of %d", WOLFSSL_STATIC_ALIGN);
        /* wolfSSL wants every piece to have room for its bookkeeping, used or not */
        if (tls_per_session_[i] > 0 && tls_per_session_[i] * step < head)
            return gh_error_set(err, GH_E_INTERNAL, "GH_TLS_BUCKETS: %u blocks of %u bytes are "
                                "too few to hand over", tls_per_session_[i], tls_sizes_[i]);
        b->region = off;
        b->total = tls_base_[i] + tls_per_session_[i] * GH_TLS_SESSIONS;
        off += b->total * step;
        if (off > sizeof tls_buf_)
            return gh_error_set(err, GH_E_INTERNAL, "GH_TLS_POOL_BYTES does not fit GH_TLS_BUCKETS");
        /* now: one session's worth (the base too where a size has no
         * per-session share, as nothing would make it grow), in even pieces
         * of at most 255; the rest as it is needed */
        first = tls_per_session_[i] > 0 ? tls_per_session_[i] : tls_base_[i];
        pieces = (first + 254) / 255;
        for (unsigned int k = 0; k < pieces; k++) {
            unsigned int n = first / pieces + (k < first % pieces);
            if (n * step < head || tls_give(i, n) != 0)
                return gh_error_set(err, GH_E_INTERNAL, "cannot load %u blocks of %u bytes into "
                                    "the TLS memory pool", n, tls_sizes_[i]);
        }
    }
    wolfSSL_GetMemStats(tls_hint_->memory, &st);
    for (size_t i = 0; i < TLS_NBUCKETS; i++)
        if (st.blockSz[i] != tls_sizes_[i] || st.avaBlock[i] != tls_b_[i].loaded)
            return gh_error_set(err, GH_E_INTERNAL, "the TLS pool has %u blocks of %u bytes, not %u",
                                st.avaBlock[i], st.blockSz[i], tls_b_[i].loaded);
    return 0;
}

int pool_init(struct gh_error *err)
{
    const char *sys = getenv("GATEHOUSE_SYSTEM_HEAP");
    if (sys && !strcmp(sys, "1")) {
        system_heap_ = 1;
        gh_log(GH_LOG_WARN, "GATEHOUSE_SYSTEM_HEAP=1: the C library's heap, not the fixed pools");
        return 0;
    }
    wolfSSL_SetDebugMemoryCb(on_tls_memory);
    int rc = tls_load(err);
    if (rc)
        return rc;
    /* Every wolfSSL allocation takes from the pool: those that pass no heap
     * hint (the OpenSSL layer's, and all of them, as the CTX has none). */
    wolfSSL_SetGlobalHeapHint(tls_hint_);
    return 0;
}

/* Bytes in free blocks handed to wolfSSL, and live WOLFSSL objects; under
 * the pool's lock. */
static void tls_state(size_t *free_bytes, uint32_t *conns)
{
    WOLFSSL_MEM_STATS st;
    WOLFSSL_HEAP *heap = tls_hint_->memory;
    size_t avail = 0;
    if (wc_LockMutex(&heap->memory_mutex) != 0) {
        *free_bytes = 0;
        *conns = 0;
        return;
    }
    wolfSSL_GetMemStats(heap, &st);
    *conns = tls_conns_;
    wc_UnLockMutex(&heap->memory_mutex);
    for (size_t i = 0; i < WOLFMEM_MAX_BUCKETS; i++)
        avail += (size_t)st.avaBlock[i] * st.blockSz[i];
    *free_bytes = avail;
}

/* ---------------------------------------------------------------- web pool */

/* First fit over one buffer, free blocks in an address-ordered list so that
 * neighbours merge. civetweb allocates little after start-up (its context
 * and per-worker buffers are made once): a copy of each request's URI. */
#define WEB_ALIGN 16
struct web_block {
    _Alignas(WEB_ALIGN) size_t size;   /* whole block, header included; bit 0: in use */
    union {
        struct web_block *next;        /* free: the next free block up */
        size_t asked;                  /* in use: the bytes the caller asked for */
    } u;
};
#define WEB_HDR sizeof(struct web_block)
#define WEB_USED ((size_t)1)

static unsigned char web_buf_[GH_WEB_POOL_BYTES] __attribute__((aligned(WEB_ALIGN)));
static struct web_block *web_free_;
static int web_ready_;
static size_t web_used_, web_peak_, web_touched_;
static uint32_t web_refusals_;
static pthread_mutex_t web_lock_ = PTHREAD_MUTEX_INITIALIZER;

static NO_ASAN void web_init_locked(void)
{
    web_free_ = (struct web_block *)web_buf_;
    web_free_->size = sizeof web_buf_ & ~(size_t)(WEB_ALIGN - 1);
    web_free_->u.next = NULL;
    ASAN_POISON_MEMORY_REGION(web_buf_, sizeof web_buf_);
    web_ready_ = 1;
}

static NO_ASAN void *web_alloc(size_t size)
{
    size_t need;
    struct web_block **link, *b = NULL;
    if (size > sizeof web_buf_)
        goto refused;
    need = (size + WEB_HDR + WEB_ALIGN - 1) & ~(size_t)(WEB_ALIGN - 1);
    pthread_mutex_lock(&web_lock_);
    if (!web_ready_)
        web_init_locked();
    for (link = &web_free_; *link; link = &(*link)->u.next) {
        if ((*link)->size >= need)
            break;
    }
    b = *link;
    if (b) {
        if (b->size - need >= WEB_HDR + WEB_ALIGN) {   /* split: the rest stays free */
            struct web_block *rest = (struct web_block *)((unsigned char *)b + need);
            rest->size = b->size - need;
            rest->u.next = b->u.next;
            *link = rest;
            b->size = need;
        } else {
            *link = b->u.next;
        }
        web_used_ += b->size;
        if (web_used_ > web_peak_)
            web_peak_ = web_used_;
        /* the header of the free rest is written too */
        size_t end = (size_t)((unsigned char *)b - web_buf_) + b->size + WEB_HDR;
        if (end > web_touched_)
            web_touched_ = end < sizeof web_buf_ ? end : sizeof web_buf_;
        b->size |= WEB_USED;
        b->u.asked = size;
    }
    pthread_mutex_unlock(&web_lock_);
    if (b) {
        ASAN_UNPOISON_MEMORY_REGION(b + 1, size);
        return b + 1;
    }
refused:
    pthread_mutex_lock(&web_lock_);
    uint32_t total = ++web_refusals_;
    pthread_mutex_unlock(&web_lock_);
    note_refusal("web", sizeof web_buf_, size, total);
    return NULL;
}

static NO_ASAN struct web_block *web_block_of(void *p)
{
    struct web_block *b = (struct web_block *)p - 1;
    if ((unsigned char *)b < web_buf_ || (unsigned char *)p >= web_buf_ + sizeof web_buf_ ||
        ((uintptr_t)p & (WEB_ALIGN - 1)) || !(b->size & WEB_USED))
        return NULL;
    return b;
}

static NO_ASAN void web_release(void *p)
{
    struct web_block *b = web_block_of(p), *prev = NULL, *next;
    if (!b) {
        gh_log(GH_LOG_ERR, "web pool: free of a pointer it did not hand out (%p): ignored", p);
        return;
    }
    ASAN_POISON_MEMORY_REGION(p, b->u.asked);
    pthread_mutex_lock(&web_lock_);
    b->size &= ~WEB_USED;
    web_used_ -= b->size;
    for (next = web_free_; next && next < b; next = next->u.next)
        prev = next;
    if (next && (unsigned char *)b + b->size == (unsigned char *)next) {
        b->size += next->size;
        next = next->u.next;
    }
    b->u.next = next;
    if (prev && (unsigned char *)prev + prev->size == (unsigned char *)b) {
        prev->size += b->size;
        prev->u.next = next;
    } else if (prev) {
        prev->u.next = b;
    } else {
        web_free_ = b;
    }
    pthread_mutex_unlock(&web_lock_);
}

static NO_ASAN size_t web_asked(void *p)
{
    return ((struct web_block *)p - 1)->u.asked;
}

void *pool_web_malloc(size_t size)
{
    if (system_heap_)
        return malloc(size);
    return web_alloc(size);
}

void *pool_web_calloc(size_t n, size_t size)
{
    size_t total;
    void *p;
    if (system_heap_)
        return calloc(n, size);
    if (__builtin_mul_overflow(n, size, &total))
        return NULL;
    p = web_alloc(total);
    if (p)
        memset(p, 0, total);
    return p;
}

void *pool_web_realloc(void *p, size_t size)
{
    void *q;
    if (system_heap_)
        return realloc(p, size);
    if (!p)
        return web_alloc(size);
    if (size == 0) {
        web_release(p);
        return NULL;
    }
    if (!web_block_of(p))
        return NULL;
    q = web_alloc(size);
    if (q) {
        size_t old = web_asked(p);
        memcpy(q, p, old < size ? old : size);
        web_release(p);
    }
    return q;
}

void pool_web_free(void *p)
{
    if (!p)
        return;
    if (system_heap_) {
        free(p);
        return;
    }
    web_release(p);
}

/* ---------------------------------------------------------------- status */

void pool_stats(struct pool_stats *out)
{
    memset(out, 0, sizeof *out);
    out->admissions_refused = atomic_load(&admissions_refused_);
    if (system_heap_)
        return;
    size_t free_bytes;
    tls_state(&free_bytes, &out->tls_connections);
    out->tls.size = sizeof tls_buf_;
    if (wc_LockMutex(&tls_hint_->memory->memory_mutex) == 0) {
        out->tls.loaded = tls_loaded_;
        out->tls.peak = tls_peak_;
        out->tls.refusals = tls_refusals_;
        wc_UnLockMutex(&tls_hint_->memory->memory_mutex);
    }
    /* exact, from the free lists (the callback's count misses reallocs) */
    out->tls.used = out->tls.loaded > free_bytes ? out->tls.loaded - free_bytes : 0;
    if (out->tls.peak < out->tls.used)
        out->tls.peak = out->tls.used;
    pthread_mutex_lock(&web_lock_);
    out->web.size = sizeof web_buf_;
    out->web.loaded = web_touched_;
    out->web.used = web_used_;
    out->web.peak = web_peak_;
    out->web.refusals = web_refusals_;
    pthread_mutex_unlock(&web_lock_);
}

/* ---------------------------------------------------------------- admin reserve */

/* Memory, not connections: a browser alone opens six connections, and idle
 * keep-alive connections hold little of the pool (their record buffers go
 * back after each request), so counting connections would refuse a second
 * user's browser long before memory is short. What a flood takes is the
 * blocks of handshakes in progress. */
int pool_admit(int is_admin, char *why, size_t cap)
{
    unsigned int short_of = 0;
    if (is_admin || GH_ADMIN_RESERVE == 0 || system_heap_)
        return 0;
    if (wc_LockMutex(&tls_hint_->memory->memory_mutex) != 0)
        return 0;
    /* Would a handshake's blocks still fit? wolfSSL serves a request from
     * the smallest free block that holds it, so what one size lacks is
     * taken from the next larger one. */
    unsigned int carry = 0;
    for (size_t i = 0; i < TLS_NBUCKETS; i++) {
        unsigned int need = tls_per_session_[i] * GH_ADMIN_RESERVE + carry;
        unsigned int avail = tls_b_[i].total - tls_b_[i].used;
        carry = avail >= need ? 0 : need - avail;
        if (carry && !short_of)
            short_of = tls_sizes_[i];
    }
    if (!carry)
        short_of = 0;
    wc_UnLockMutex(&tls_hint_->memory->memory_mutex);
    if (!short_of)
        return 0;
    snprintf(why, cap, "TLS memory is low (%u-byte blocks for fewer than %d more handshake%s); "
             "the rest is kept for an admin", short_of, GH_ADMIN_RESERVE,
             GH_ADMIN_RESERVE == 1 ? "" : "s");
    atomic_fetch_add(&admissions_refused_, 1);
    return GH_E_NOMEM;
}
