#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static int use_syslog_;
static int verbose_;
static pthread_mutex_t lock_ = PTHREAD_MUTEX_INITIALIZER;

void gh_log_open(int use_syslog, int verbose)
{
    use_syslog_ = use_syslog;
    verbose_ = verbose;
    if (use_syslog_)
        openlog("gatehouse", LOG_PID, LOG_DAEMON);
}

static void vlog(int level, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void vlog(int level, const char *fmt, va_list ap)
{
    static const char *names[] = {"", "", "", "error", "warning", "", "info", "debug"};
    char line[600];
    if (level == GH_LOG_DEBUG && !verbose_)
        return;
    int head = snprintf(line, sizeof line, "gatehouse: %s: ", names[level & 7]);
    int n = vsnprintf(line + head, sizeof line - (size_t)head - 1, fmt, ap);
    if (n < 0)
        return;
    if ((size_t)n > sizeof line - (size_t)head - 2)
        n = (int)(sizeof line - (size_t)head - 2);   /* cut, as before */
    if (use_syslog_)
        syslog(level, "%s", line + head);
    line[head + n] = '\n';
    /* Whole lines only, even with many workers logging at once: one write(2)
     * of the whole line (one per audited request; stdio would format twice
     * and lock the stream as well). */
    size_t len = (size_t)head + (size_t)n + 1, off = 0;
    pthread_mutex_lock(&lock_);
    while (off < len) {
        ssize_t w = write(STDERR_FILENO, line + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;   /* nowhere to report it: the log is where errors go */
        off += (size_t)w;
    }
    pthread_mutex_unlock(&lock_);
}

void gh_log(int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(level, fmt, ap);
    va_end(ap);
}

/* civetweb's messages (server/civetweb/external_mg_cry_internal_impl.inl). They
 * are about the transport (a client that went away, a TLS read error), so they
 * are debug lines: the audit record says what matters to an operator. */
void gh_log_civetweb(const char *msg);
void gh_log_civetweb(const char *msg)
{
    gh_log(GH_LOG_DEBUG, "civetweb: %s", msg);
}
