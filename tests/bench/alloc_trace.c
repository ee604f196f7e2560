/* alloc_trace.c: an LD_PRELOAD allocation tracer for tests/bench/pool-profile.sh.
 *
 * Writes one line per malloc/calloc/realloc/free to $ALLOC_TRACE_OUT while
 * tracing is on (ALLOC_TRACE_ALL=1 from the start; SIGUSR2 toggles):
 *
 *   M SIZE PTR MODULE+OFFSET      (calloc as M, with the product as SIZE)
 *   R SIZE OLD NEW MODULE+OFFSET
 *   F PTR
 *
 * MODULE+OFFSET is the caller, so that the profile can tell wolfSSL's blocks
 * (the TLS pool's) from civetweb's (which come through pool_web_*) and from
 * the C library's own. Run the server with GATEHOUSE_SYSTEM_HEAP=1, so that
 * every block goes through malloc. A profiling tool, not a test: it calls
 * dladdr and snprintf on the allocation path.
 *
 * Build: cc -O2 -fPIC -shared alloc_trace.c -o alloc_trace.so -ldl */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void *__libc_malloc(size_t size);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t size);
void __libc_free(void *p);

static int fd_ = -1;
static volatile sig_atomic_t on_;
static __thread int busy_ __attribute__((tls_model("initial-exec")));

static void line(const char *kind, size_t size, void *a, void *b, void *caller)
{
    char buf[320];
    int n;
    Dl_info di;
    if (!on_ || busy_ || fd_ < 0)
        return;
    busy_ = 1;
    if (!caller)
        n = snprintf(buf, sizeof buf, "F %p\n", a);
    else if (dladdr(caller, &di) && di.dli_fname)
        n = snprintf(buf, sizeof buf, "%s %zu %p %p %s+0x%lx\n", kind, size, a, b, di.dli_fname,
                     (unsigned long)((char *)caller - (char *)di.dli_fbase));
    else
        n = snprintf(buf, sizeof buf, "%s %zu %p %p ?+0x0\n", kind, size, a, b);
    if (n > 0 && write(fd_, buf, (size_t)n) < 0)
        fd_ = -1;
    busy_ = 0;
}

void *malloc(size_t size)
{
    void *p = __libc_malloc(size);
    if (p)
        line("M", size, NULL, p, __builtin_return_address(0));
    return p;
}

void *calloc(size_t n, size_t size)
{
    void *p = __libc_calloc(n, size);
    if (p)
        line("M", n * size, NULL, p, __builtin_return_address(0));
    return p;
}

void *realloc(void *old, size_t size)
{
    void *p = __libc_realloc(old, size);
    if (p || size == 0)
        line("R", size, old, p, __builtin_return_address(0));
    return p;
}

void free(void *p)
{
    if (p)
        line("F", 0, p, NULL, NULL);
    __libc_free(p);
}

static void toggle(int sig)
{
    (void)sig;
    on_ = !on_;
}

__attribute__((constructor)) static void alloc_trace_init(void)
{
    const char *out = getenv("ALLOC_TRACE_OUT");
    if (out)
        fd_ = open(out, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    signal(SIGUSR2, toggle);
    const char *all = getenv("ALLOC_TRACE_ALL");
    on_ = all && !strcmp(all, "1");
}
