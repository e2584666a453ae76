// SPDX-License-Identifier: GPL-2.0-only
/*
 * vsock-echo: AF_VSOCK messages between L1 (CID 2, the host) and L2 (its vhost-vsock guest
 * CID) in both directions (tests/e2e/cases/virtio-peer.sh). Each connection carries one
 * message each way: the connector sends MESSAGE and shuts its write side, the listener reads
 * it to EOF, prints it and answers "ack cid=CID port=PORT: MESSAGE" (CID and PORT: the address
 * the connector reached, from getsockname on the accepted socket), then closes; the connector
 * reads the answer to EOF and checks it.
 *
 *   vsock-echo listen PORT [COUNT [TIMEOUT]]
 *       listens on VMADDR_CID_ANY:PORT; prints "VSOCK-ECHO: listening on port PORT" once
 *       listening, then for each of COUNT connections (default 1)
 *       "VSOCK-ECHO: from cid C port P to cid LC port PORT: MESSAGE"; exits 0 after COUNT,
 *       1 when TIMEOUT seconds (default 120) pass first.
 *   vsock-echo connect CID PORT MESSAGE [TIMEOUT]
 *       connects to CID:PORT, retrying every 200 ms while the peer is not there yet (refused,
 *       reset, timed out, no such device: no guest with that CID yet) for up to TIMEOUT
 *       seconds (default 60); prints
 *       "VSOCK-ECHO: to cid CID port PORT from cid LC: sent MESSAGE; reply: REPLY" (LC: this
 *       machine's CID from /dev/vsock, or "unknown") and exits 0
 *       if REPLY is the expected answer, else prints "VSOCK-ECHO: bad reply ..." and exits 1.
 *
 * Messages are at most 4095 bytes; all output is on stdout, flushed per line. Plain libc.
 */
#define PROG_NAME "vsock-echo"
#include "prog-util.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/vm_sockets.h>   /* after sys/socket.h: it uses struct sockaddr */

#define MSG_MAX 4096

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Reads fd to EOF into buf (at most size - 1 bytes, NUL-terminated); returns the length. */
static size_t read_all(int fd, char *buf, size_t size, const char *what)
{
    size_t n = 0;
    for (;;) {
        ssize_t r = read(fd, buf + n, size - 1 - n);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            die("reading %s: %s", what, strerror(errno));
        }
        if (r == 0) {
            break;
        }
        n += (size_t)r;
        if (n == size - 1) {
            die("%s: more than %zu bytes", what, size - 1);
        }
    }
    buf[n] = '\0';
    return n;
}

static void write_all(int fd, const char *buf, size_t len, const char *what)
{
    while (len) {
        ssize_t w = write(fd, buf, len);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w < 0) {
            die("writing %s: %s", what, strerror(errno));
        }
        buf += w;
        len -= (size_t)w;
    }
}

/* This machine's CID, from /dev/vsock (a guest's own CID; 2 on a host with no guest transport),
 * as text: getsockname on a connected socket says VMADDR_CID_ANY (the auto-bind address). */
static const char *local_cid(void)
{
    static char buf[16];
    unsigned int cid = VMADDR_CID_ANY;
    int fd = open("/dev/vsock", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        if (ioctl(fd, IOCTL_VM_SOCKETS_GET_LOCAL_CID, &cid) < 0) {
            cid = VMADDR_CID_ANY;
        }
        close(fd);
    }
    if (cid == VMADDR_CID_ANY) {
        return "unknown";
    }
    snprintf(buf, sizeof(buf), "%u", cid);
    return buf;
}

static void on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "VSOCK-ECHO: timed out\n";
    ssize_t r = write(1, msg, sizeof(msg) - 1);
    (void)r;
    _exit(1);
}

static int do_listen(unsigned port, unsigned long count, unsigned long timeout)
{
    int s = socket(AF_VSOCK, SOCK_STREAM, 0);
    if (s < 0) {
        die("socket(AF_VSOCK): %s", strerror(errno));
    }
    struct sockaddr_vm addr = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY, .svm_port = port };
    if (bind(s, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        die("bind to port %u: %s", port, strerror(errno));
    }
    if (listen(s, 4) < 0) {
        die("listen: %s", strerror(errno));
    }
    signal(SIGALRM, on_alarm);
    alarm((unsigned)timeout);
    printf("VSOCK-ECHO: listening on port %u\n", port);
    fflush(stdout);
    for (unsigned long i = 0; i < count; i++) {
        struct sockaddr_vm peer, local;
        socklen_t plen = sizeof(peer), llen = sizeof(local);
        int c = accept(s, (struct sockaddr *)&peer, &plen);
        if (c < 0 && errno == EINTR) {
            i--;
            continue;
        }
        if (c < 0) {
            die("accept: %s", strerror(errno));
        }
        if (getsockname(c, (struct sockaddr *)&local, &llen) < 0) {
            die("getsockname: %s", strerror(errno));
        }
        char msg[MSG_MAX], reply[MSG_MAX + 64];
        read_all(c, msg, sizeof(msg), "the message");
        printf("VSOCK-ECHO: from cid %u port %u to cid %u port %u: %s\n",
               peer.svm_cid, peer.svm_port, local.svm_cid, local.svm_port, msg);
        fflush(stdout);
        int n = snprintf(reply, sizeof(reply), "ack cid=%u port=%u: %s", local.svm_cid,
                         local.svm_port, msg);
        write_all(c, reply, (size_t)n, "the reply");
        close(c);
    }
    close(s);
    return 0;
}

static int do_connect(unsigned cid, unsigned port, const char *msg, unsigned long timeout)
{
    if (strlen(msg) >= MSG_MAX) {
        die("the message is longer than %d bytes", MSG_MAX - 1);
    }
    double deadline = now_s() + (double)timeout;
    int s, tries = 0;
    for (;;) {
        s = socket(AF_VSOCK, SOCK_STREAM, 0);
        if (s < 0) {
            die("socket(AF_VSOCK): %s", strerror(errno));
        }
        struct sockaddr_vm addr = { .svm_family = AF_VSOCK, .svm_cid = cid, .svm_port = port };
        tries++;
        if (connect(s, (struct sockaddr *)&addr, sizeof(addr)) == 0) {
            break;
        }
        int err = errno;
        close(s);
        if ((err != ECONNREFUSED && err != ECONNRESET && err != ETIMEDOUT && err != ENODEV &&
             err != EHOSTUNREACH && err != EINTR) || now_s() > deadline) {
            die("connect to cid %u port %u: %s (%d tries)", cid, port, strerror(err), tries);
        }
        usleep(200000);
    }
    write_all(s, msg, strlen(msg), "the message");
    if (shutdown(s, SHUT_WR) < 0) {
        die("shutdown: %s", strerror(errno));
    }
    signal(SIGALRM, on_alarm);
    alarm((unsigned)timeout);
    char reply[MSG_MAX + 64], want[MSG_MAX + 64];
    read_all(s, reply, sizeof(reply), "the reply");
    close(s);
    snprintf(want, sizeof(want), "ack cid=%u port=%u: %s", cid, port, msg);
    if (strcmp(reply, want) != 0) {
        printf("VSOCK-ECHO: bad reply from cid %u port %u: '%s', want '%s'\n", cid, port, reply, want);
        return 1;
    }
    printf("VSOCK-ECHO: to cid %u port %u from cid %s: sent %s; reply: %s\n", cid, port,
           local_cid(), msg, reply);
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc >= 3 && argc <= 5 && strcmp(argv[1], "listen") == 0) {
        return do_listen((unsigned)parse_num(argv[2], "PORT"),
                         argc > 3 ? parse_num(argv[3], "COUNT") : 1,
                         argc > 4 ? parse_num(argv[4], "TIMEOUT") : 120);
    }
    if (argc >= 5 && argc <= 6 && strcmp(argv[1], "connect") == 0) {
        return do_connect((unsigned)parse_num(argv[2], "CID"), (unsigned)parse_num(argv[3], "PORT"),
                          argv[4], argc > 5 ? parse_num(argv[5], "TIMEOUT") : 60);
    }
    fprintf(stderr, "usage: vsock-echo listen PORT [COUNT [TIMEOUT]]\n"
                    "       vsock-echo connect CID PORT MESSAGE [TIMEOUT]\n");
    return 2;
}
