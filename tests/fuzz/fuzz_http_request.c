/* fuzz_http_request: any bytes as an HTTP request to civetweb as Gatehouse
 * runs it (server/serve.c: the same limits and timeouts from budget.h, keep-
 * alive, decode_url, no file serving), and handled the way server/routes.c
 * and the handlers take a request apart: authz_lookup on
 * the method and decoded path, mg_get_var on the query string (?since=,
 * ?limit=, ?force=), http_read_body into a fixed buffer, then an answer
 * through http_send/http_error (JSON or an escaped HTML page echoing the
 * path). civetweb's own errors go through the same mapping as serve.c's
 * on_http_error.
 *
 * TLS is left out (wolfSSL is fuzzed upstream, and a handshake per input
 * would drown the parser in crypto): civetweb listens on a loopback port of
 * its own, plain HTTP, in this process only. Each input is sent on a new
 * connection, the write side is shut, and the whole answer is read; the
 * answer must start with an HTTP status line whose code is one we send. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <civetweb.h>

#include "authz.h"
#include "budget.h"
#include "http.h"
#include "json.h"
#include "pool.h"

/* libFuzzer's -timeout is a SIGALRM every second or so: a blocking call
 * that it interrupts (EINTR) has not failed. */
static int poll_retry(struct pollfd *p, int ms)
{
    int r;
    do
        r = poll(p, 1, ms);
    while (r < 0 && errno == EINTR);
    return r;
}

/* connect() interrupted goes on in the background: wait for it. */
static int connected_after_eintr(int s)
{
    struct pollfd p = {s, POLLOUT, 0};
    int soerr = 0;
    socklen_t len = sizeof soerr;
    if (errno != EINTR || poll_retry(&p, 20000) <= 0)
        return 0;
    return getsockopt(s, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0 && soerr == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct mg_context *ctx_;
static int port_;
static __thread char body_[GH_API_BODY_MAX];
static __thread char out_[4096];

static int handler(struct mg_connection *mc, void *unused)
{
    const struct mg_request_info *ri = mg_get_request_info(mc);
    struct authz_route route;
    char v[16];
    (void)unused;
    authz_lookup(ri->request_method, ri->local_uri, &route);
    int head = !strcmp(ri->request_method, "HEAD");
    const char *qs = ri->query_string;
    if (qs) {
        mg_get_var(qs, strlen(qs), "since", v, sizeof v);
        mg_get_var(qs, strlen(qs), "limit", v, sizeof v);
        mg_get_var(qs, strlen(qs), "force", v, sizeof v);
    }
    if (route.route == ROUTE_CERTMAP_PUT || route.route == ROUTE_SETTINGS_PUT) {
        long n = http_read_body(mc, body_, sizeof body_);
        if (n == -413)
            return http_error(mc, 413, 1, NULL, "too large", NULL, 0);
        if (n < 0)
            return http_error(mc, 400, 1, NULL, "The request body is incomplete.", NULL, 0);
    }
    if (route.route == ROUTE_NONE)
        return http_error(mc, route.method_ok ? 404 : 405, route.is_api, "not-found", ri->local_uri,
                          NULL, head);
    struct json j;
    json_init(&j, out_, sizeof out_);
    json_obj_open(&j, NULL);
    json_str(&j, "path", ri->local_uri);
    json_str(&j, "query", qs);
    json_int(&j, "route", route.route);
    json_obj_close(&j);
    if (!json_finish(&j))
        return http_error(mc, 500, 1, NULL, "overflow", NULL, head);
    http_send(mc, 200, "application/json", j.buf, j.len, HTTP_API, NULL, head);
    return 200;
}

/* as serve.c's on_http_error */
static int on_http_error(struct mg_connection *mc, int status, const char *msg)
{
    const struct mg_request_info *ri = mg_get_request_info(mc);
    const char *uri = ri ? (ri->local_uri ? ri->local_uri : ri->request_uri) : NULL;
    int api = uri && strncmp(uri, "/api/", 5) == 0;
    if ((status == 400 && msg && !strcmp(msg, "Malformed message")) ||
        (status == 413 && msg && !strcmp(msg, "Message too large")))
        status = 431;
    if (status == 411)
        status = 400;
    http_error(mc, status, api, NULL, msg && *msg ? msg : "error", NULL, 0);
    return 0;
}

static int on_log(const struct mg_connection *mc, const char *msg)
{
    (void)mc;
    (void)msg;
    return 1;   /* quiet */
}

static void start(void)
{
    static char max_req[16], max_body[16], workers[16];
    snprintf(max_req, sizeof max_req, "%d", GH_REQUEST_HEADER_MAX);
    snprintf(max_body, sizeof max_body, "%d", GH_API_BODY_MAX);
    snprintf(workers, sizeof workers, "%d", 2);
    const char *options[] = {
        "listening_ports", "127.0.0.1:0",
        "num_threads", workers,
        "max_request_size", max_req,
        "max_request_body_size", max_body,
        "request_timeout_ms", "300",   /* an unfinished request ends fast */
        "keep_alive_timeout_ms", "300",
        "enable_keep_alive", "yes",
        "linger_timeout_ms", "0",
        "decode_url", "yes",
        NULL};
    struct mg_callbacks cb;
    memset(&cb, 0, sizeof cb);
    cb.http_error = on_http_error;
    cb.log_message = on_log;
    /* civetweb allocates through the web pool: use the C library's heap
     * behind it, so that ASan sees every block (pool.h) */
    struct gh_error err;
    setenv("GATEHOUSE_SYSTEM_HEAP", "1", 1);
    if (pool_init(&err) != 0)
        abort();
    mg_init_library(0);
    ctx_ = mg_start(&cb, NULL, options);
    if (!ctx_)
        abort();
    mg_set_request_handler(ctx_, "/", handler, NULL);
    struct mg_server_port ports[2];
    if (mg_get_server_ports(ctx_, 2, ports) < 1)
        abort();
    port_ = ports[0].port;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ctx_)
        start();
    if (size > 4 * GH_REQUEST_HEADER_MAX)
        return 0;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin;
    /* Thousands of connections a second soon reuse the ephemeral ports of
     * one source address while their old connections are still in
     * TIME_WAIT, and a SYN that meets one stalls for a second: spread the
     * connections over the source addresses 127.0.0.2-251. */
    static unsigned int next_src_;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK + 1 + (next_src_++ % 250));
    if (s < 0 || bind(s, (struct sockaddr *)&sin, sizeof sin) != 0)
        abort();
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sin.sin_port = htons((uint16_t)port_);
    if (connect(s, (struct sockaddr *)&sin, sizeof sin) != 0 && !connected_after_eintr(s))
        abort();
    size_t off = 0;
    while (off < size) {
        ssize_t w = send(s, data + off, size - off, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;   /* the server may answer and close early */
        off += (size_t)w;
    }
    shutdown(s, SHUT_WR);
    char buf[8192];
    size_t got = 0;
    char first[16] = "";
    for (;;) {
        struct pollfd p = {s, POLLIN, 0};
        if (poll_retry(&p, 20000) <= 0)
            abort();   /* civetweb must answer or close within its timeouts */
        ssize_t r = recv(s, buf, sizeof buf, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        if (got < sizeof first - 1) {
            size_t k = sizeof first - 1 - got < (size_t)r ? sizeof first - 1 - got : (size_t)r;
            memcpy(first + got, buf, k);
            first[got + k] = '\0';
        }
        got += (size_t)r;
    }
    close(s);
    if (getenv("FUZZ_VERBOSE"))
        fprintf(stderr, "%zu bytes in, %zu out: %.12s\n", size, got, first);
    /* Nothing at all is fine (an empty or cut request is just closed); an
     * answer is one of ours. */
    if (got > 0 && (strncmp(first, "HTTP/1.1 ", 9) != 0 ||
                    !strchr("2345", first[9])))
        abort();
    return 0;
}
