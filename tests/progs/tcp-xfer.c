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
 *   tcp-xfer bench ADDR PORT BYTES PINGS
 *       the benchmark's TCP figures (tests/e2e/cases/bench-lib.sh, bench_passed_virtio),
 *       against tests/bench/net-peer.py at ADDR:PORT (L0's user-mode network forwards it to the
 *       host, run.py --net-peer). Three tests, one connection each, each inside a window
 *       ("BENCH-WINDOW-START net-TEST" ... "BENCH-WINDOW-END net-TEST" on stdout, for
 *       bench-run's KVM counters; a lead of 100 ms after the START line):
 *         rx   "SOURCE BYTES": the peer sends BYTES bytes and closes; timed from the request
 *              to the last byte
 *         tx   "SINK BYTES" then BYTES bytes: timed from the first byte to the peer's
 *              "OK BYTES" (it has them all)
 *         rtt  "ECHO", then PINGS round trips of 1 byte (TCP_NODELAY), each timed; one more
 *              before the window, not counted
 *       prints one line per test: BENCH-NET {"test", "bytes" or "pings", "s", "mbit_s" or
 *       "rtt_us": {"mean", "p50", "p90", "p99", "max"}, "irqs", "irqs_total", "window",
 *       "lead_s"}. Interrupts: the /proc/interrupts lines holding $BENCH_IRQ_MATCH (the NIC's
 *       interrupt name, e.g. "virtio1"), summed over the CPUs; 0 without it. Gives up after
 *       300 s ("TCP-XFER: timed out", status 1).
 *
 * busybox nc is not used: whether it half-closes on stdin EOF, and whether it quits on an EOF
 * from the peer before its own stdin is done, depends on how busybox was configured. Plain libc.
 */
#define PROG_NAME "tcp-xfer"
#include "prog-util.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
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

/* --- tcp-xfer bench ------------------------------------------------------------------------ */

#define BENCH_LEAD_S 0.1     /* after the window's START line, before the test */
#define BENCH_TIMEOUT_S 300  /* all three tests, then "TCP-XFER: timed out" and status 1 */

static uint64_t bench_irqs(void)
{
    const char *match = getenv("BENCH_IRQ_MATCH");
    return match && *match ? prog_irq_count(match) : 0;
}

/* Connects to host:port (an IPv4 address); dies naming the peer and errno. */
static int bench_connect(const char *host, unsigned port)
{
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
        die("not an IPv4 address: %s", host);
    }
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0) {
        die("socket: %s", strerror(errno));
    }
    if (connect(s, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        die("connect to %s:%u: %s", host, port, strerror(errno));
    }
    int one = 1;
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return s;
}

static void write_all(int s, const void *buf, size_t len, const char *what)
{
    const char *p = buf;
    while (len) {
        ssize_t w = write(s, p, len);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            die("%s: write: %s", what, w < 0 ? strerror(errno) : "nothing written");
        }
        p += w;
        len -= (size_t)w;
    }
}

/* Reads exactly len bytes (dies on EOF or error, naming what). */
static void read_all(int s, void *buf, size_t len, const char *what)
{
    char *p = buf;
    while (len) {
        ssize_t r = read(s, p, len);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            die("%s: read: %s", what, r < 0 ? strerror(errno) : "the peer closed early");
        }
        p += r;
        len -= (size_t)r;
    }
}

/* Prints the window's START line and sleeps the lead; returns the lead in seconds. */
static double bench_start(const char *win)
{
    printf("BENCH-WINDOW-START %s\n", win);
    fflush(stdout);
    double t0 = now_s();
    struct timespec ts = { 0, (long)(BENCH_LEAD_S * 1e9) };
    while (nanosleep(&ts, &ts) && errno == EINTR) {
    }
    return now_s() - t0;
}

static void bench_end(const char *win)
{
    printf("BENCH-WINDOW-END %s\n", win);
    fflush(stdout);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* rx or tx of n bytes: one connection, one window. */
static void bench_stream(const char *host, unsigned port, unsigned long long n, int tx)
{
    static char buf[1 << 16];
    const char *win = tx ? "net-tx" : "net-rx";
    int s = bench_connect(host, port);
    char req[64];
    int len = snprintf(req, sizeof(req), "%s %llu\n", tx ? "SINK" : "SOURCE", n);
    double lead = bench_start(win);
    uint64_t i0 = bench_irqs();
    double t0 = now_s();
    write_all(s, req, (size_t)len, win);
    unsigned long long moved = 0;
    if (tx) {
        memset(buf, 0x5a, sizeof(buf));
        while (moved < n) {
            size_t chunk = n - moved < sizeof(buf) ? (size_t)(n - moved) : sizeof(buf);
            write_all(s, buf, chunk, win);
            moved += chunk;
        }
        shutdown(s, SHUT_WR);
        char reply[64];
        ssize_t r, got = 0;
        while ((r = read(s, reply + got, sizeof(reply) - 1 - (size_t)got)) > 0) {
            got += r;
        }
        reply[got] = '\0';
        if (strncmp(reply, "OK ", 3) != 0 || strtoull(reply + 3, NULL, 10) != n) {
            die("%s: the peer answered '%s', not 'OK %llu'", win, reply, n);
        }
    } else {
        for (;;) {
            ssize_t r = read(s, buf, sizeof(buf));
            if (r < 0 && errno == EINTR) {
                continue;
            }
            if (r < 0) {
                die("%s: read: %s", win, strerror(errno));
            }
            if (r == 0) {
                break;
            }
            moved += (unsigned long long)r;
        }
        if (moved != n) {
            die("%s: received %llu bytes, asked for %llu", win, moved, n);
        }
    }
    double t = now_s() - t0;
    uint64_t i1 = bench_irqs();
    bench_end(win);
    close(s);
    printf("BENCH-NET {\"test\": \"%s\", \"bytes\": %llu, \"s\": %.6f, \"mbit_s\": %.3f, "
           "\"irqs\": %" PRIu64 ", \"irqs_total\": %" PRIu64 ", \"window\": \"%s\", \"lead_s\": %.3f}\n",
           tx ? "tx" : "rx", n, t, (double)n * 8 / t / 1e6, i1 - i0, i1, win, lead);
    fflush(stdout);
}

/* pings round trips of one byte over one connection, in the window net-rtt. */
static void bench_rtt(const char *host, unsigned port, unsigned long pings)
{
    const char *win = "net-rtt";
    double *rtt = calloc(pings, sizeof(double));
    if (!rtt) {
        die("out of memory");
    }
    int s = bench_connect(host, port);
    write_all(s, "ECHO\n", 5, win);
    char c = 'p';
    write_all(s, &c, 1, win);      /* the first one (the peer's start) is not counted */
    read_all(s, &c, 1, win);
    double lead = bench_start(win);
    uint64_t i0 = bench_irqs();
    double t0 = now_s();
    for (unsigned long i = 0; i < pings; i++) {
        double a = now_s();
        write_all(s, &c, 1, win);
        read_all(s, &c, 1, win);
        rtt[i] = (now_s() - a) * 1e6;
    }
    double t = now_s() - t0;
    uint64_t i1 = bench_irqs();
    bench_end(win);
    close(s);
    double sum = 0;
    for (unsigned long i = 0; i < pings; i++) {
        sum += rtt[i];
    }
    qsort(rtt, pings, sizeof(double), cmp_double);
#define RTT_PCT(p) rtt[(unsigned long)((double)(pings - 1) * (p))]
    printf("BENCH-NET {\"test\": \"rtt\", \"pings\": %lu, \"size\": 1, \"s\": %.6f, \"rtt_us\": "
           "{\"mean\": %.1f, \"p50\": %.1f, \"p90\": %.1f, \"p99\": %.1f, \"max\": %.1f}, "
           "\"irqs\": %" PRIu64 ", \"irqs_total\": %" PRIu64 ", \"window\": \"%s\", \"lead_s\": %.3f}\n",
           pings, t, sum / (double)pings, RTT_PCT(0.5), RTT_PCT(0.9), RTT_PCT(0.99), rtt[pings - 1],
           i1 - i0, i1, win, lead);
    fflush(stdout);
    free(rtt);
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
    if (argc == 6 && strcmp(argv[1], "bench") == 0) {
        unsigned port = (unsigned)parse_num(argv[3], "PORT");
        unsigned long long bytes = parse_num(argv[4], "BYTES");
        unsigned long pings = parse_num(argv[5], "PINGS");
        if (bytes == 0 || pings == 0) {
            die("BYTES and PINGS must be at least 1");
        }
        signal(SIGALRM, on_alarm);
        alarm(BENCH_TIMEOUT_S);     /* the three tests together */
        bench_stream(argv[2], port, bytes, 0);
        bench_stream(argv[2], port, bytes, 1);
        bench_rtt(argv[2], port, pings);
        return 0;
    }
    fprintf(stderr, "usage: tcp-xfer recv PORT [TIMEOUT]\n"
                    "       tcp-xfer send ADDR PORT [TIMEOUT]\n"
                    "       tcp-xfer bench ADDR PORT BYTES PINGS\n");
    return 2;
}
