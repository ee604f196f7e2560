/* civetweb extension point (built with NO_FILESYSTEMS): where civetweb's own
 * error messages go. Included by civetweb.c; forwards to server/log.c so that
 * they share the server's single log line format and destination. */
void gh_log_civetweb(const char *msg);

static void
mg_cry_internal_impl(const struct mg_connection *conn,
                     const char *func,
                     unsigned line,
                     const char *fmt,
                     va_list ap)
{
	char buf[256];
	(void)conn;
	(void)func;
	(void)line;
	vsnprintf(buf, sizeof buf, fmt, ap);
	gh_log_civetweb(buf);
}
