// SPDX-License-Identifier: GPL-2.0-only
/*
 * tcp-xfer: moves a stream over one TCP connection with a clear end, for the test bed's
 * network checks (tests/e2e/cases/virtio-peer.sh: L1 and L2 over a tap and vhost-net). The
 * checksums are the caller's (sha256sum of the file at each end); this program only makes
 * sure the whole stream arrives and both sides know when it has.
 *
 *   tcp-xfer recv PORT [TIMEOUT]
 *       listens on 0.0.0.0:PORT, prints "TCP-XFER: listening on port PORT" (stderr), accepts
 *       one connection, copies it to stdout until the sender's EOF, prints
 *       "TCP-XFER: received N bytes from ADDR:PORT" (stderr) and exits 0 (1 after TIMEOUT
 *       seconds, default 120).
 *   tcp-xfer send ADDR PORT [TIMEOUT]
 *       connects to ADDR:PORT (an IPv4 address), retrying every 200 ms while refused or
 *       unreachable, for up to TIMEOUT seconds (default 60); copies stdin to it, shuts its
 *       write side, waits for the receiver to close (so the data is all there), prints
 *       "TCP-XFER: sent N bytes to ADDR:PORT" (stderr) and exits 0.
 *
 * busybox nc is not used: whether it half-closes on stdin EOF, and whether it quits on an EOF
 * from the peer before its own stdin is done, depends on how busybox was configured. Plain libc.
 */
#define PROG_NAME "tcp-xfer"
#include "prog-util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "TCP-XFER: timed out\n";
    ssize_t r = write(2, msg, sizeof(msg) - 1);
    (void)r;
    _exit(1);
}

/* Copies from to to until EOF on from; returns the bytes copied. */
static unsigned long long copy(int from, int to, const char *what)
{
    static char buf[1 << 16];
    unsigned long long total = 0;
    for (;;) {
        ssize_t r = read(from, buf, sizeof(buf));
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            die("reading %s: %s", what, strerror(errno));
        }
        if (r == 0) {
            return total;
        }
        for (ssize_t off = 0; off < r;) {
            ssize_t w = write(to, buf + off, (size_t)(r - off));
            if (w < 0 && errno == EINTR) {
                continue;
            }
            if (w < 0) {
                die("writing %s: %s", what, strerror(errno));
            }
            off += w;
        }
        total += (unsigned long long)r;
    }
}

static int do_recv(unsigned port, unsigned long timeout)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0) {
        die("socket: %s", strerror(errno));
    }
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                                .sin_addr.s_addr = htonl(INADDR_ANY) };
    if (bind(s, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        die("bind to port %u: %s", port, strerror(errno));
    }
    if (listen(s, 1) < 0) {
        die("listen: %s", strerror(errno));
    }
    signal(SIGALRM, on_alarm);
    alarm((unsigned)timeout);
    fprintf(stderr, "TCP-XFER: listening on port %u\n", port);
    struct sockaddr_in peer;
    socklen_t plen = sizeof(peer);
    int c;
    do {
        c = accept(s, (struct sockaddr *)&peer, &plen);
    } while (c < 0 && errno == EINTR);
    if (c < 0) {
        die("accept: %s", strerror(errno));
    }
    close(s);
    unsigned long long n = copy(c, 1, "the connection");
    close(c);
    fprintf(stderr, "TCP-XFER: received %llu bytes from %s:%u\n", n, inet_ntoa(peer.sin_addr),
            ntohs(peer.sin_port));
    return 0;
}

static int do_send(const char *host, unsigned port, unsigned long timeout)
{
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
        die("not an IPv4 address: %s", host);
    }
    double deadline = now_s() + (double)timeout;
    int s, tries = 0;
    for (;;) {
        s = socket(AF_INET, SOCK_STREAM, 0);
        if (s < 0) {
            die("socket: %s", strerror(errno));
        }
        tries++;
        if (connect(s, (struct sockaddr *)&addr, sizeof(addr)) == 0) {
            break;
        }
        int err = errno;
        close(s);
        if ((err != ECONNREFUSED && err != ENETUNREACH && err != EHOSTUNREACH &&
             err != ETIMEDOUT && err != EINTR) || now_s() > deadline) {
            die("connect to %s:%u: %s (%d tries)", host, port, strerror(err), tries);
        }
        usleep(200000);
    }
    signal(SIGALRM, on_alarm);
    alarm((unsigned)timeout);
    unsigned long long n = copy(0, s, "stdin to the connection");
    if (shutdown(s, SHUT_WR) < 0) {
        die("shutdown: %s", strerror(errno));
    }
    char c;
    ssize_t r;
    while ((r = read(s, &c, 1)) > 0 || (r < 0 && errno == EINTR)) {
        /* the receiver sends nothing; wait for its close */
    }
    close(s);
    fprintf(stderr, "TCP-XFER: sent %llu bytes to %s:%u\n", n, host, port);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && argc <= 4 && strcmp(argv[1], "recv") == 0) {
        return do_recv((unsigned)parse_num(argv[2], "PORT"), argc > 3 ? parse_num(argv[3], "TIMEOUT") : 120);
    }
    if (argc >= 4 && argc <= 5 && strcmp(argv[1], "send") == 0) {
        return do_send(argv[2], (unsigned)parse_num(argv[3], "PORT"),
                       argc > 4 ? parse_num(argv[4], "TIMEOUT") : 60);
    }
    fprintf(stderr, "usage: tcp-xfer recv PORT [TIMEOUT]\n"
                    "       tcp-xfer send ADDR PORT [TIMEOUT]\n");
    return 2;
}
