#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>
#include <time.h>

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
    char line[512];
    static const char *names[] = {"", "", "", "error", "warning", "", "info", "debug"};
    if (level == GH_LOG_DEBUG && !verbose_)
        return;
    vsnprintf(line, sizeof line, fmt, ap);
    if (use_syslog_)
        syslog(level, "%s", line);
    /* Whole lines only, even with many workers logging at once. */
    pthread_mutex_lock(&lock_);
    fprintf(stderr, "gatehouse: %s: %s\n", names[level & 7], line);
    fflush(stderr);
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
