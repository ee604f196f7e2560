/* civetweb extension point (built with NO_FILESYSTEMS): the access log. The
 * server writes its own audit record for every request (server/audit.c), which
 * carries the certificate identity that civetweb's line would lack. */
static void
log_access(const struct mg_connection *conn)
{
	(void)conn;
}
