#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static int use_syslog_;
static int verbose_;
static void (*warning_hook_)(const char *text, size_t len);

void gh_log_set_warning_hook(void (*hook)(const char *text, size_t len))
{
    warning_hook_ = hook;
}
static pthread_mutex_t lock_ = PTHREAD_MUTEX_INITIALIZER;

void gh_log_open(int use_syslog, int verbose)
{
    use_syslog_ = use_syslog;
    verbose_ = verbose;
    if (use_syslog_)
        openlog("gatehouse", LOG_PID, LOG_DAEMON);
}

#define LINE_MAX_ 600

/* line holds head bytes of prefix, then n of text, and room for '\n' */
static void emit(int level, char *line, size_t head, size_t n)
{
    if (level == GH_LOG_WARN && warning_hook_)
        warning_hook_(line + head, n);
    if (use_syslog_)
        syslog(level, "%.*s", (int)n, line + head);
    line[head + n] = '\n';
    /* Whole lines only, even with many workers logging at once: one write(2)
     * of the whole line (one per audited request; stdio would format twice
     * and lock the stream as well). */
    size_t len = head + n + 1, off = 0;
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

static size_t prefix(int level, char *line)
{
    static const char *names[] = {"", "", "", "error", "warning", "", "info", "debug"};
    const char *name = names[level & 7];
    size_t k = strlen(name);
    memcpy(line, "gatehouse: ", 11);
    memcpy(line + 11, name, k);
    memcpy(line + 11 + k, ": ", 2);
    return 13 + k;
}

static void vlog(int level, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void vlog(int level, const char *fmt, va_list ap)
{
    char line[LINE_MAX_];
    if (level == GH_LOG_DEBUG && !verbose_)
        return;
    size_t head = prefix(level, line);
    int n = vsnprintf(line + head, sizeof line - head - 1, fmt, ap);
    if (n < 0)
        return;
    if ((size_t)n > sizeof line - head - 2)
        n = (int)(sizeof line - head - 2);   /* cut */
    emit(level, line, head, (size_t)n);
}

void gh_log_text(int level, const char *text, size_t len)
{
    char line[LINE_MAX_];
    if (level == GH_LOG_DEBUG && !verbose_)
        return;
    size_t head = prefix(level, line);
    if (len > sizeof line - head - 1)
        len = sizeof line - head - 1;   /* cut */
    memcpy(line + head, text, len);
    emit(level, line, head, len);
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
