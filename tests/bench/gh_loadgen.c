/* gh_loadgen: misbehaving clients for the overload test and the soak
 * benchmark. It talks to 127.0.0.1 only (there is no address argument).
 *
 *   gh_loadgen slow PORT N SECONDS
 *       N connections, each from its own source address 127.0.0.(2 + i % 200),
 *       that send one byte of a TLS record header every second and never a
 *       whole ClientHello (slowloris). Stops after SECONDS. Prints how many
 *       the server closed, and when the last of them was closed.
 *   gh_loadgen flood PORT SECONDS
 *       connect, send a few junk bytes, close, as fast as it goes, from
 *       127.0.0.(2 + i % 200), 16 in flight at once. Stops after SECONDS.
 *       Prints the number of connections made.
 *
 * Exit status 0 unless it could not run at all. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONN 1000

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int open_from(int i, int port)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in src, dst;
    if (s < 0)
        return -1;
    memset(&src, 0, sizeof src);
    src.sin_family = AF_INET;
    src.sin_addr.s_addr = htonl(0x7f000002u + (uint32_t)(i % 200));   /* 127.0.0.2.. */
    if (bind(s, (struct sockaddr *)&src, sizeof src) != 0) {
        close(s);
        return -1;
    }
    memset(&dst, 0, sizeof dst);
    dst.sin_family = AF_INET;
    dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    dst.sin_port = htons((uint16_t)port);
    if (connect(s, (struct sockaddr *)&dst, sizeof dst) != 0 && errno != EINPROGRESS) {
        close(s);
        return -1;
    }
    return s;
}

static int slow(int port, int n, double seconds)
{
    static int fd[MAX_CONN];
    static double closed_at[MAX_CONN];
    int opened = 0, closed = 0;
    double t0 = now_s(), last_drip = 0, last_close = 0;
    for (int i = 0; i < n; i++) {
        fd[i] = open_from(i, port);
        closed_at[i] = 0;
        opened += fd[i] >= 0;
    }
    while (now_s() - t0 < seconds) {
        if (now_s() - last_drip >= 1.0) {
            last_drip = now_s();
            for (int i = 0; i < n; i++)
                if (fd[i] >= 0 && closed_at[i] == 0)
                    (void)send(fd[i], "\x16", 1, MSG_NOSIGNAL);
        }
        static struct pollfd p[MAX_CONN];
        int k = 0;
        for (int i = 0; i < n; i++)
            if (fd[i] >= 0 && closed_at[i] == 0)
                p[k++] = (struct pollfd){fd[i], POLLIN, 0};
        if (k == 0)
            break;
        if (poll(p, (nfds_t)k, 200) > 0) {
            for (int j = 0; j < k; j++) {
                if (!(p[j].revents & (POLLIN | POLLHUP | POLLERR)))
                    continue;
                char b[256];
                ssize_t r = recv(p[j].fd, b, sizeof b, 0);
                if (r > 0)
                    continue;   /* an alert: the close follows */
                if (r < 0 && (errno == EAGAIN || errno == EINTR))
                    continue;
                for (int i = 0; i < n; i++)
                    if (fd[i] == p[j].fd) {
                        closed_at[i] = now_s() - t0;
                        last_close = closed_at[i];
                        closed++;
                    }
            }
        }
    }
    for (int i = 0; i < n; i++)
        if (fd[i] >= 0)
            close(fd[i]);
    printf("slow: %d opened, %d closed by the server, the last after %.1f s\n", opened, closed,
           last_close);
    return 0;
}

static int flood(int port, double seconds)
{
    int fd[16], made = 0, i = 0;
    double t0 = now_s();
    for (int k = 0; k < 16; k++)
        fd[k] = -1;
    while (now_s() - t0 < seconds) {
        for (int k = 0; k < 16; k++) {
            if (fd[k] >= 0) {
                struct pollfd p = {fd[k], POLLOUT, 0};
                if (poll(&p, 1, 0) > 0) {
                    (void)send(fd[k], "\x16\x03\x01\x00\x05junk", 9, MSG_NOSIGNAL);
                    close(fd[k]);
                    fd[k] = -1;
                    made++;
                }
            }
            if (fd[k] < 0)
                fd[k] = open_from(i++, port);
        }
        usleep(1000);
    }
    for (int k = 0; k < 16; k++)
        if (fd[k] >= 0)
            close(fd[k]);
    printf("flood: %d connections\n", made);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 5 && !strcmp(argv[1], "slow")) {
        int n = atoi(argv[3]);
        if (n < 1 || n > MAX_CONN)
            return 2;
        return slow(atoi(argv[2]), n, atof(argv[4]));
    }
    if (argc >= 4 && !strcmp(argv[1], "flood"))
        return flood(atoi(argv[2]), atof(argv[3]));
    fprintf(stderr, "usage: gh_loadgen slow PORT N SECONDS | flood PORT SECONDS (127.0.0.1 only)\n");
    return 2;
}
