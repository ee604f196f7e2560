/* mtls_load.c: a mutual-TLS client load for tests/bench/bench.sh.
 *
 * The same client for every server measured: OpenSSL (the system's libssl),
 * TLS 1.3 only, TLS_AES_128_GCM_SHA256, a P-256 key share, no session
 * tickets and no resumption, so that every connection is a full mutual-TLS
 * handshake. The server's certificate is not verified: that work is the
 * client's, and the client is not what is measured.
 *
 *   mtls_load handshakes PORT CERT KEY PATH THREADS SECONDS
 *       new connection, handshake, one GET PATH, close; again. Prints
 *       "handshakes N failed F".
 *   mtls_load keepalive PORT CERT KEY PATH THREADS SECONDS
 *       one connection per thread, GET PATH over and over. Prints
 *       "requests N failed F".
 *   mtls_load idle PORT CERT KEY PATH COUNT
 *       COUNT connections, one GET PATH each, then kept open; prints
 *       "idle N failed F" once they are all open and waits for a line (or end)
 *       on stdin before it closes them.
 *
 * Build: cc -O2 -pthread mtls_load.c -lssl -lcrypto (bench.sh does). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#define MAX_THREADS 64
#define MAX_IDLE 2000

static SSL_CTX *ctx_;
static int port_;
static char request_[512];
static double stop_at_;
static atomic_long done_, failed_;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static SSL *open_tls(int *fd_out)
{
    struct sockaddr_in a;
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    SSL *ssl;
    if (fd < 0)
        return NULL;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port_);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return NULL;
    }
    ssl = SSL_new(ctx_);
    if (!ssl) {
        close(fd);
        return NULL;
    }
    SSL_set_fd(ssl, fd);
    if (SSL_connect(ssl) != 1) {
        SSL_free(ssl);
        close(fd);
        return NULL;
    }
    *fd_out = fd;
    return ssl;
}

/* One request; reads the head and a Content-Length body. 0 when a 2xx came. */
static int one_request(SSL *ssl)
{
    char buf[16384];
    size_t have = 0;
    long body = -1;
    char *end = NULL;
    if (SSL_write(ssl, request_, (int)strlen(request_)) <= 0)
        return -1;
    while (!end) {
        int n = SSL_read(ssl, buf + have, (int)(sizeof buf - 1 - have));
        if (n <= 0)
            return -1;
        have += (size_t)n;
        buf[have] = '\0';
        end = strstr(buf, "\r\n\r\n");
        if (!end && have == sizeof buf - 1)
            return -1;
    }
    char *cl = strcasestr(buf, "\r\nContent-Length:");
    if (cl && cl < end)
        body = strtol(cl + 17, NULL, 10);
    if (body < 0)
        return -1;   /* both servers send a length */
    size_t want = (size_t)(end + 4 - buf) + (size_t)body;
    while (have < want) {
        char more[4096];
        int n = SSL_read(ssl, more, sizeof more);
        if (n <= 0)
            return -1;
        have += (size_t)n;
    }
    return strncmp(buf, "HTTP/1.1 2", 10) == 0 ? 0 : -1;
}

static void close_tls(SSL *ssl, int fd)
{
    SSL_shutdown(ssl);
    SSL_free(ssl);
    close(fd);
}

static void *handshakes(void *arg)
{
    (void)arg;
    while (now_s() < stop_at_) {
        int fd;
        SSL *ssl = open_tls(&fd);
        if (!ssl) {
            atomic_fetch_add(&failed_, 1);
            continue;
        }
        if (one_request(ssl) == 0)
            atomic_fetch_add(&done_, 1);
        else
            atomic_fetch_add(&failed_, 1);
        close_tls(ssl, fd);
    }
    return NULL;
}

static void *keepalive(void *arg)
{
    int fd;
    SSL *ssl;
    (void)arg;
    while (now_s() < stop_at_) {
        ssl = open_tls(&fd);
        if (!ssl) {
            atomic_fetch_add(&failed_, 1);
            continue;
        }
        while (now_s() < stop_at_ && one_request(ssl) == 0)
            atomic_fetch_add(&done_, 1);
        close_tls(ssl, fd);
    }
    return NULL;
}

static SSL_CTX *make_ctx(const char *cert, const char *key)
{
    SSL_CTX *c = SSL_CTX_new(TLS_client_method());
    if (!c)
        return NULL;
    SSL_CTX_set_min_proto_version(c, TLS1_3_VERSION);
    SSL_CTX_set_max_proto_version(c, TLS1_3_VERSION);
    SSL_CTX_set_options(c, SSL_OP_NO_TICKET);
    SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
    if (SSL_CTX_set_ciphersuites(c, "TLS_AES_128_GCM_SHA256") != 1 ||
        SSL_CTX_set1_groups_list(c, "P-256") != 1 ||
        SSL_CTX_use_certificate_chain_file(c, cert) != 1 ||
        SSL_CTX_use_PrivateKey_file(c, key, SSL_FILETYPE_PEM) != 1) {
        ERR_print_errors_fp(stderr);
        SSL_CTX_free(c);
        return NULL;
    }
    SSL_CTX_set_verify(c, SSL_VERIFY_NONE, NULL);
    return c;
}

int main(int argc, char **argv)
{
    pthread_t th[MAX_THREADS];
    const char *mode;
    int threads = 1;
    if (argc < 7) {
        fprintf(stderr, "usage: mtls_load handshakes|keepalive PORT CERT KEY PATH THREADS SECONDS\n"
                        "       mtls_load idle PORT CERT KEY PATH COUNT\n");
        return 2;
    }
    mode = argv[1];
    port_ = atoi(argv[2]);
    ctx_ = make_ctx(argv[3], argv[4]);
    if (!ctx_)
        return 1;
    snprintf(request_, sizeof request_, "GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n", argv[5]);

    if (!strcmp(mode, "idle")) {
        static SSL *ssl[MAX_IDLE];
        static int fd[MAX_IDLE];
        int n = atoi(argv[6]), open = 0, bad = 0;
        char line[16];
        if (n < 1 || n > MAX_IDLE)
            return 2;
        for (int i = 0; i < n; i++) {
            ssl[open] = open_tls(&fd[open]);
            if (ssl[open] && one_request(ssl[open]) == 0)
                open++;
            else if (ssl[open]) {
                close_tls(ssl[open], fd[open]);
                bad++;
            } else
                bad++;
        }
        printf("idle %d failed %d\n", open, bad);
        fflush(stdout);
        if (!fgets(line, sizeof line, stdin))
            line[0] = '\0';
        for (int i = 0; i < open; i++)
            close_tls(ssl[i], fd[i]);
        return 0;
    }

    if (argc < 8)
        return 2;
    threads = atoi(argv[6]);
    if (threads < 1 || threads > MAX_THREADS)
        return 2;
    stop_at_ = now_s() + atof(argv[7]);
    void *(*fn)(void *) = !strcmp(mode, "handshakes") ? handshakes
                        : !strcmp(mode, "keepalive")  ? keepalive : NULL;
    if (!fn)
        return 2;
    for (int i = 0; i < threads; i++)
        pthread_create(&th[i], NULL, fn, NULL);
    for (int i = 0; i < threads; i++)
        pthread_join(th[i], NULL);
    printf("%s %ld failed %ld\n", !strcmp(mode, "handshakes") ? "handshakes" : "requests",
           atomic_load(&done_), atomic_load(&failed_));
    return 0;
}
