/* log.h: the server's own log lines, to stderr and (when asked) syslog.
 * One line per event; the audit trail (audit.h) is separate and structured. */
#ifndef GH_LOG_H
#define GH_LOG_H

#include <stddef.h>

enum gh_log_level { GH_LOG_ERR = 3, GH_LOG_WARN = 4, GH_LOG_INFO = 6, GH_LOG_DEBUG = 7 };

void gh_log_open(int use_syslog, int verbose);
void gh_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A line already made (no format, no newline): the audit trail's, which are
 * built without printf. */
void gh_log_text(int level, const char *text, size_t len);

/* Called with the text of every warning line (no prefix, no newline): the
 * server makes each an audit record (audit_warning). NULL: none. */
void gh_log_set_warning_hook(void (*hook)(const char *text, size_t len));

#endif
