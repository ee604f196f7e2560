/* alloc_count.c: counts heap allocations in a running program, for
 * tests/integration/test_zero_alloc.sh (LD_PRELOAD=alloc_count.so).
 *
 * Only a window is counted, so start-up (which may allocate) is left out:
 * the first SIGUSR2 opens the window (counters from zero), the second closes
 * it and writes a report to $ALLOC_COUNT_OUT:
 *
 *   allocations N
 *   bytes N
 *   then, for the first few allocations, a backtrace each
 *
 * Two ways to see an allocation, chosen when this file is compiled:
 * - default: this library defines malloc, calloc, realloc, the aligned
 *   allocators and reallocarray, counts, and passes each call on to glibc's
 *   own (__libc_malloc, ...). glibc routes its internal allocations (strdup,
 *   fopen, getaddrinfo, ...) through the same symbols, so those count too.
 * - ALLOC_COUNT_SANITIZER_HOOKS: under AddressSanitizer, whose allocator
 *   must stay the only malloc, this library defines none of them and asks
 *   the sanitizer to call it back on every allocation instead
 *   (__sanitizer_install_malloc_and_free_hooks). Run the program with
 *   ASAN_OPTIONS=verify_asan_link_order=0: the library comes before the
 *   sanitizer in the load order, harmlessly, as it replaces nothing.
 *
 * Everything a signal handler or an allocation path touches is static and
 * lock-free; the report is written with write(2) and backtrace_symbols_fd,
 * which do not allocate. */
#define _GNU_SOURCE
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#define TRACES 8         /* allocations whose backtrace the report shows */
#define TRACE_DEPTH 24

static atomic_int armed_;
static atomic_ulong count_;
static atomic_ulong bytes_;
static void *traces_[TRACES][TRACE_DEPTH];
static int trace_len_[TRACES];
static char out_path_[512];   /* $ALLOC_COUNT_OUT, read once at load */
static size_t trace_size_[TRACES];
/* backtrace() in an allocation it was called from would count itself */
static __thread int busy_ __attribute__((tls_model("initial-exec")));

static void seen(size_t size)
{
    unsigned long n;
    if (!atomic_load_explicit(&armed_, memory_order_relaxed) || busy_)
        return;
    busy_ = 1;
    n = atomic_fetch_add(&count_, 1);
    atomic_fetch_add(&bytes_, size);
    if (n < TRACES) {
        trace_size_[n] = size;
        trace_len_[n] = backtrace(traces_[n], TRACE_DEPTH);
    }
    busy_ = 0;
}

static void put(int fd, const char *s)
{
    size_t len = strlen(s);
    while (len > 0) {
        ssize_t w = write(fd, s, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        s += w;
        len -= (size_t)w;
    }
}

static void put_num(int fd, const char *label, unsigned long v)
{
    char buf[32];
    int i = (int)sizeof buf - 1;
    buf[i] = '\0';
    buf[--i] = '\n';
    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v && i > 0);
    put(fd, label);
    put(fd, buf + i);
}

static void report(void)
{
    unsigned long n = atomic_load(&count_);
    int fd = out_path_[0] ? open(out_path_, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : 2;
    if (fd < 0)
        return;
    put_num(fd, "allocations ", n);
    put_num(fd, "bytes ", atomic_load(&bytes_));
    for (unsigned long i = 0; i < n && i < TRACES; i++) {
        put_num(fd, "-- allocation of bytes: ", trace_size_[i]);
        backtrace_symbols_fd(traces_[i], trace_len_[i], fd);
    }
    if (fd != 2)
        close(fd);
}

static void on_sigusr2(int sig)
{
    int saved = errno;
    (void)sig;
    if (!atomic_load(&armed_)) {
        atomic_store(&count_, 0);
        atomic_store(&bytes_, 0);
        atomic_store(&armed_, 1);
    } else {
        atomic_store(&armed_, 0);
        report();
    }
    errno = saved;
}

#ifdef ALLOC_COUNT_SANITIZER_HOOKS

/* The sanitizer's interface (sanitizer/allocator_interface.h), weak so the
 * library loads even where it is missing. */
int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void *, size_t),
                                              void (*free_hook)(const volatile void *))
    __attribute__((weak));

static void on_malloc(const volatile void *p, size_t size)
{
    (void)p;
    seen(size);
}

static void on_free(const volatile void *p)
{
    (void)p;
}

/* Both hooks are required: the sanitizer refuses a NULL one. */
static int use_hooks(void)
{
    if (!__sanitizer_install_malloc_and_free_hooks)
        return -1;
    return __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free) ? 0 : -1;
}

#else

void *__libc_malloc(size_t size);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t size);
void *__libc_memalign(size_t align, size_t size);
void *__libc_valloc(size_t size);
void *__libc_pvalloc(size_t size);
/* the obsolete ones <malloc.h> would declare; <malloc.h> itself would also
 * declare the glibc hooks this file does not need */
void *memalign(size_t align, size_t size);
void *pvalloc(size_t size);

void *malloc(size_t size)
{
    seen(size);
    return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
    seen(n * size);
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
    if (size)   /* realloc(p, 0) frees */
        seen(size);
    return __libc_realloc(p, size);
}

void *reallocarray(void *p, size_t n, size_t size)
{
    size_t total;
    if (__builtin_mul_overflow(n, size, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(p, total);
}

void *memalign(size_t align, size_t size)
{
    seen(size);
    return __libc_memalign(align, size);
}

void *aligned_alloc(size_t align, size_t size)
{
    seen(size);
    return __libc_memalign(align, size);
}

int posix_memalign(void **out, size_t align, size_t size)
{
    void *p;
    if (align < sizeof(void *) || (align & (align - 1)))
        return EINVAL;
    seen(size);
    p = __libc_memalign(align, size);
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}

void *valloc(size_t size)
{
    seen(size);
    return __libc_valloc(size);
}

void *pvalloc(size_t size)
{
    seen(size);
    return __libc_pvalloc(size);
}

static int use_hooks(void) { return 0; }

#endif

__attribute__((constructor)) static void alloc_count_init(void)
{
    struct sigaction sa;
    void *warm[2];
    const char *out = getenv("ALLOC_COUNT_OUT");
    if (out && strlen(out) < sizeof out_path_)
        memcpy(out_path_, out, strlen(out) + 1);
    /* backtrace() loads libgcc_s on its first call (and allocates): now,
     * before anything is counted */
    backtrace(warm, 2);
    if (use_hooks() != 0) {
        put(2, "alloc_count: the sanitizer's allocation hooks are not available\n");
        return;
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigusr2;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR2, &sa, NULL);
}
