#include "serve.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <civetweb.h>

#include "audit.h"
#include "budget.h"
#include "clock.h"
#include "config.h"
#include "conn.h"
#include "flash.h"
#include "keystore.h"
#include "log.h"
#include "pool.h"
#include "routes.h"
#include "tls.h"

struct serve_args {
    const char *flash_dir;
    const char *defaults_dir;
    int nlisten;
    const char *listen[GH_MAX_LISTEN];
    int use_syslog;
    int verbose;
};

static WOLFSSL_CTX *ctx_;

static void usage(FILE *f)
{
    fprintf(f, "usage: gatehouse serve --flash DIR|raw:PARTITION [--listen ADDR:PORT]... [--defaults DIR]\n"
               "                       [--syslog] [--verbose]\n"
               "  --listen defaults to 0.0.0.0:443; IPv6 as [::1]:8443 (at most %d)\n"
               "  --defaults: read-only firmware defaults (certmap.ini used when the flash has none)\n",
            GH_MAX_LISTEN);
}

static int parse_args(int argc, char **argv, struct serve_args *a)
{
    memset(a, 0, sizeof *a);
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        int has_val = i + 1 < argc;
        if (!strcmp(o, "--flash") && has_val) {
            a->flash_dir = argv[++i];
        } else if (!strcmp(o, "--defaults") && has_val) {
            a->defaults_dir = argv[++i];
        } else if (!strcmp(o, "--listen") && has_val) {
            if (a->nlisten == GH_MAX_LISTEN) {
                fprintf(stderr, "gatehouse: at most %d --listen options\n", GH_MAX_LISTEN);
                return -1;
            }
            a->listen[a->nlisten++] = argv[++i];
        } else if (!strcmp(o, "--syslog")) {
            a->use_syslog = 1;
        } else if (!strcmp(o, "--verbose")) {
            a->verbose = 1;
        } else if (!strcmp(o, "--help") || !strcmp(o, "-h")) {
            usage(stdout);
            return 1;
        } else {
            fprintf(stderr, "gatehouse: serve: unknown or incomplete option `%s`\n", o);
            usage(stderr);
            return -1;
        }
    }
    if (!a->flash_dir) {
        fprintf(stderr, "gatehouse: serve: --flash DIR is required\n");
        return -1;
    }
    if (a->nlisten == 0)
        a->listen[a->nlisten++] = "0.0.0.0:443";
    return 0;
}

/* "127.0.0.1:8443" / "[::1]:8443" -> civetweb's "127.0.0.1:8443s,[::1]:8443s" */
static int listening_ports(const struct serve_args *a, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (int i = 0; i < a->nlisten; i++) {
        const char *l = a->listen[i];
        const char *colon = strrchr(l, ':');
        char *end;
        long port = colon ? strtol(colon + 1, &end, 10) : -1;
        if (!colon || colon == l || *end || port < 1 || port > 65535 ||
            (l[0] == '[' && colon[-1] != ']')) {
            fprintf(stderr, "gatehouse: --listen `%s`: expected ADDR:PORT, e.g. 127.0.0.1:8443 or [::1]:8443\n", l);
            return -1;
        }
        int w = snprintf(out + n, cap - n, "%s%ss", n ? "," : "", l);
        if (w < 0 || (size_t)w >= cap - n)
            return -1;
        n += (size_t)w;
    }
    return 0;
}

/* ---- civetweb callbacks ---- */

static int on_external_ssl_ctx(void **ssl_ctx, void *user)
{
    (void)user;
    *ssl_ctx = ctx_;
    return 1;   /* civetweb must not touch it */
}

static void *on_init_thread(const struct mg_context *ctx, int type)
{
    (void)ctx;
    if (type != 1)
        return NULL;   /* only workers serve connections */
    struct gh_conn *c = conn_slot_for_thread();
    if (!c)
        gh_log(GH_LOG_ERR, "more worker threads than connection slots (GH_WORKERS)");
    return c;
}

static int on_init_connection(const struct mg_connection *mc, void **conn_data)
{
    struct gh_conn *c = mg_get_thread_pointer(mc);
    (void)conn_data;
    if (c)
        c->handshake_done = 1;
    return 0;
}

static void on_connection_close(const struct mg_connection *mc)
{
    struct gh_conn *c = mg_get_thread_pointer(mc);
    if (!c)
        return;
    tls_connection_ends(c, c->handshake_done);
    conn_reset(c);
}

/* A request civetweb refused before routing (bad framing, a head too large)
 * is a refused request like any other: a security record. */
static void audit_refused(struct mg_connection *mc, const struct mg_request_info *ri, int status,
                          const char *msg)
{
    struct audit_record r;
    struct gh_conn *cn = mg_get_thread_pointer(mc);
    memset(&r, 0, sizeof r);
    r.kind = AUDIT_REQUEST;
    r.status = status;
    snprintf(r.reason, sizeof r.reason, "%s",
             status == 431 ? "head-too-large" : status == 413 ? "too-large" : "malformed");
    snprintf(r.detail, sizeof r.detail, "%s", msg ? msg : "");
    if (ri) {
        snprintf(r.method, sizeof r.method, "%s", ri->request_method ? ri->request_method : "");
        snprintf(r.route, sizeof r.route, "%s", ri->request_uri ? ri->request_uri : "");
        snprintf(r.peer, sizeof r.peer, "%s", ri->remote_addr);
    }
    if (cn && cn->has_cert) {
        r.has_cert = 1;
        memcpy(r.sha256, cn->id.sha256, 32);
        snprintf(r.subject, sizeof r.subject, "%s", cn->id.subject);
    }
    audit_add(&r);
}

/* Errors civetweb answers itself (a malformed request line, headers too
 * large): same look as ours, and no server version. */
static int on_http_error(struct mg_connection *mc, int status, const char *msg)
{
    const struct mg_request_info *ri = mg_get_request_info(mc);
    /* a request refused before it was routed has no local_uri yet */
    const char *uri = ri ? (ri->local_uri ? ri->local_uri : ri->request_uri) : NULL;
    int api = uri && strncmp(uri, "/api/", 5) == 0;
    /* civetweb closes the connection after its own errors about a request: say so */
    const char *conn_close = "Connection: close\r\n";
    /* civetweb 1.16 says "Malformed message" (400) both for a request line
     * and headers over max_request_size and for a head cut short by the
     * request timeout; its "Message too large" (413) is the former too. Both
     * are a head that did not fit in time and space: 431. Bad framing
     * (toolchain/patches/civetweb-0003) is 400 with the reason in msg. */
    if ((status == 400 && msg && !strcmp(msg, "Malformed message")) ||
        (status == 413 && msg && !strcmp(msg, "Message too large"))) {
        char m[160];
        snprintf(m, sizeof m, "The request line and headers must arrive complete, in at most %d "
                 "bytes and %d seconds.", GH_REQUEST_HEADER_MAX, GH_REQUEST_TIMEOUT_MS / 1000);
        http_error(mc, 431, api, NULL, m, conn_close, 0);
        audit_refused(mc, ri, 431, m);
        return 0;
    }
    if (status == 411)
        status = 400;
    audit_refused(mc, ri, status, msg);
    http_error(mc, status, api, NULL, msg && *msg ? msg : mg_get_response_code_text(mc, status), conn_close, 0);
    return 0;
}

static int on_log_message(const struct mg_connection *mc, const char *msg)
{
    (void)mc;
    gh_log(GH_LOG_DEBUG, "civetweb: %s", msg);
    return 1;
}

static int fail(struct gh_error *err)
{
    char line[400];
    gh_error_format(err, line, sizeof line);
    fprintf(stderr, "gatehouse: %s\n", line);
    return 1;
}

static char server_pem_[GH_TRUST_MAX_BYTES];

/* mg_stop() waits for every worker; one that does not come back (a client
 * that keeps a request open, a handler stuck on a failing medium) must not
 * keep the server alive after SIGTERM. A commit in progress is let finish
 * first: the flash survives a cut anyway, but there is no need for one. */
static sem_t stopping_;

/* Started with the server (a thread made at shutdown would allocate). */
static void *shutdown_watchdog(void *unused)
{
    struct timespec grace = {GH_SHUTDOWN_GRACE_MS / 1000, (GH_SHUTDOWN_GRACE_MS % 1000) * 1000000L};
    (void)unused;
    while (sem_wait(&stopping_) != 0)
        ;
    nanosleep(&grace, NULL);
    gh_log(GH_LOG_WARN, "requests still in flight after %d ms: exiting without them",
           GH_SHUTDOWN_GRACE_MS);
    config_quiesce(500);
    _exit(0);
    return NULL;
}

static void reload_audit(const char *reason, const char *detail)
{
    const struct gh_config *cfg = config_acquire();
    audit_note(AUDIT_RELOAD, reason, cfg->flash_generation, detail);
    config_release(cfg);
}

int serve_main(int argc, char **argv)
{
    struct serve_args a;
    struct gh_error err;
    static struct gh_flash flash, defaults;
    struct gh_clock clk;
    struct gh_keystore ks;
    char ports[GH_MAX_LISTEN * 64];
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc > 0 ? 0 : 2;
    if (listening_ports(&a, ports, sizeof ports))
        return 2;
    gh_log_open(a.use_syslog, a.verbose);
    gh_log_set_warning_hook(audit_warning);   /* policy, clock, memory: security records */
    gh_error_clear(&err);

    /* Signals: the main thread waits for them; workers never see them. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    pthread_t watchdog;
    sem_init(&stopping_, 0, 0);
    if (pthread_create(&watchdog, NULL, shutdown_watchdog, NULL) == 0)
        pthread_detach(watchdog);

    if (flash_open_spec(&flash, a.flash_dir, &err))
        return fail(&err);
    if (a.defaults_dir && flash_open_dir(&defaults, a.defaults_dir, NULL, &err))
        return fail(&err);
    if (tls_global_init(&err))
        return fail(&err);
    clock_open(&clk, &flash);   /* the floor for "now", before any certificate loads */
    if (config_init(&flash, a.defaults_dir ? &defaults : NULL, &err))
        return fail(&err);
    if (flash_note(&flash)[0]) {
        /* the folder opened on its last good files: say so where people look */
        struct audit_record r;
        memset(&r, 0, sizeof r);
        r.kind = AUDIT_RELOAD;
        r.generation = flash_generation(&flash);
        snprintf(r.reason, sizeof r.reason, "rolled-back");
        snprintf(r.detail, sizeof r.detail, "%s", flash_note(&flash));
        audit_add(&r);
        gh_log(GH_LOG_WARN, "flash %s: %s; starting on the last good files (generation %u)",
               a.flash_dir, flash_note(&flash), flash_generation(&flash));
    }

    size_t len = 0;
    rc = flash_read(&flash, "server.pem", server_pem_, sizeof server_pem_, &len, &err);
    if (rc == GH_E_NOTFOUND) {
        gh_error_clear(&err);
        rc = gh_error_set(&err, GH_E_INVALID, "server.pem: missing (the server's certificate)");
    }
    if (rc || tls_ctx_create(&ctx_, server_pem_, len, &err))
        return fail(&err);
    {
        const struct gh_config *cfg = config_acquire();
        char uri[sizeof cfg->settings.server_key];
        snprintf(uri, sizeof uri, "%s", cfg->settings.server_key);
        config_release(cfg);
        unsigned char spki[1024];   /* RSA-4096 is 550 bytes */
        int spki_len = sizeof spki;
        if (tls_cert_spki(server_pem_, len, spki, &spki_len, &err) || keystore_open(&ks, uri, &flash, a.flash_dir, &err) ||
            keystore_attach(&ks, ctx_, spki, spki_len, &err))
            return fail(&err);
    }

    char workers[16], backlog[16], req_to[16], ka_to[16], req_max[16], linger[16], body_max[16];
    snprintf(workers, sizeof workers, "%d", GH_WORKERS);
    snprintf(req_max, sizeof req_max, "%d", GH_REQUEST_HEADER_MAX);
    snprintf(body_max, sizeof body_max, "%d", GH_API_BODY_MAX);
    snprintf(backlog, sizeof backlog, "%d", GH_LISTEN_BACKLOG);
    snprintf(req_to, sizeof req_to, "%d", GH_REQUEST_TIMEOUT_MS);
    snprintf(ka_to, sizeof ka_to, "%d", GH_KEEPALIVE_TIMEOUT_MS);
    snprintf(linger, sizeof linger, "%d", GH_CLOSE_DRAIN_MS);
    const char *options[] = {
        "listening_ports", ports,
        "num_threads", workers,
        "max_request_size", req_max,        /* each worker's header buffer, from the web pool */
        "max_request_body_size", body_max,  /* a chunk declaring more: 413 at once (our patch) */
        "listen_backlog", backlog,
        "connection_queue", backlog,
        "request_timeout_ms", req_to,
        "keep_alive_timeout_ms", ka_to,
        "enable_keep_alive", "yes",
        "tcp_nodelay", "1",                 /* civetweb writes a head and a body: without it, */
                                            /* Nagle and delayed ACKs cost 40 ms a request */
        "linger_timeout_ms", linger,        /* a graceful close, bounded (budget.h) */
        "decode_url", "yes",
        "ssl_default_verify_paths", "no",   /* belt and braces: we own the CTX anyway */
        NULL};
    struct mg_callbacks cb;
    memset(&cb, 0, sizeof cb);
    cb.external_ssl_ctx = on_external_ssl_ctx;
    cb.init_thread = on_init_thread;
    cb.init_connection = on_init_connection;
    cb.connection_close = on_connection_close;
    cb.http_error = on_http_error;
    cb.log_message = on_log_message;

    struct mg_init_data init = {&cb, NULL, options};
    struct mg_error_data mge;
    char mgmsg[256] = "";
    memset(&mge, 0, sizeof mge);
    mge.text = mgmsg;
    mge.text_buffer_size = sizeof mgmsg;
    struct mg_context *mg = mg_start2(&init, &mge);
    if (!mg) {
        fprintf(stderr, "gatehouse: cannot serve on %s: %s\n", ports, mgmsg[0] ? mgmsg : "civetweb failed to start");
        return 1;
    }
    {
        /* civetweb makes each worker's buffers as it starts and only logs
         * when one is missing: a pool too small for GH_WORKERS is a build
         * error to tell now, not a worker that silently never serves */
        struct pool_stats ps;
        pool_stats(&ps);
        if (ps.web.refusals || ps.tls.refusals) {
            mg_stop(mg);
            fprintf(stderr, "gatehouse: the memory pools are too small for start-up (web %u, TLS %u "
                    "refusals): check GH_WEB_POOL_BYTES / GH_TLS_POOL_BYTES in budget.h\n",
                    ps.web.refusals, ps.tls.refusals);
            return 1;
        }
    }
    mg_set_request_handler(mg, "/", routes_handle, NULL);
    clock_tick(&clk);   /* a floor an hour behind a trusted clock is saved now */
    {
        const struct gh_config *cfg = config_acquire();
        gh_log(GH_LOG_INFO, "serving https on %s (flash %s, generation %u): %u mappings%s, CRL %s%s%s",
               ports, a.flash_dir, cfg->flash_generation, cfg->table.count,
               cfg->table_is_default ? " (firmware default table)" : "",
               cfg->crl_loaded ? "loaded" : "absent", cfg->crl_problem[0] ? ": " : "", cfg->crl_problem);
        config_release(cfg);
    }

    int reload_pending = 0;
    for (;;) {
        /* a reload that met a change in progress is tried again shortly;
         * the clock floor is looked at every GH_CLOCK_TICK_S; SIGTERM is
         * answered at once either way */
        struct timespec wait = {GH_CLOCK_TICK_S, 0};
        if (reload_pending)
            wait = (struct timespec){0, 200 * 1000000L};
        int sig = sigtimedwait(&sigs, NULL, &wait);
        if (sig < 0) {
            if (errno != EAGAIN)
                continue;
            clock_tick(&clk);
            if (!reload_pending)
                continue;
            sig = SIGHUP;
        }
        if (sig == SIGHUP) {
            struct gh_error rerr;
            int rrc = config_reload(0, &rerr);
            if (rrc == GH_E_BUSY) {
                if (!reload_pending)
                    gh_log(GH_LOG_INFO, "reload postponed: %s", rerr.msg);
                reload_pending = 1;
                continue;
            }
            reload_pending = 0;
            if (rrc != 0) {
                char line[400];
                gh_error_format(&rerr, line, sizeof line);
                gh_log(GH_LOG_ERR, "reload refused, the active configuration stays: %s", line);
                reload_audit("refused", line);
            } else {
                reload_audit("ok", "SIGHUP: the flash's files are active");
            }
            continue;
        }
        gh_log(GH_LOG_INFO, "signal %d: finishing requests in flight (at most %d ms), then exiting",
               sig, GH_SHUTDOWN_GRACE_MS);
        break;
    }
    sem_post(&stopping_);
    mg_stop(mg);
    clock_close(&clk);
    audit_flush();   /* the log's last summary lines */
    keystore_close(&ks);
    tls_ctx_free(ctx_);
    config_shutdown();
    flash_close(&flash);
    if (a.defaults_dir)
        flash_close(&defaults);
    tls_global_cleanup();
    return 0;
}
