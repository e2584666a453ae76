// SPDX-License-Identifier: GPL-2.0-only
/*
 * qmp-client: speaks QMP to armpass over its Unix socket, for the test bed (L1 has busybox
 * only: no socat, no python). Prints every line it receives as "QMP< LINE" and every line it
 * sends as "QMP> LINE", one step per argument:
 *
 *   qmp-client [--no-negotiate] [--timeout S] SOCKET STEP...
 *     '{...}'          send a command, wait for its reply (a line with "return" or "error")
 *     raw:TEXT         send TEXT and a newline as they are (garbage), wait for a reply
 *     event:NAME       wait for the event NAME (events seen earlier count)
 *     sleep:MS         wait MS milliseconds, printing what arrives
 *     fd:NAME          send getfd NAME with an open /dev/null attached (SCM_RIGHTS)
 *     eof              wait until armpass closes the connection
 *     send:TEXT        send TEXT and a newline, wait for nothing (a client that goes away
 *                      before its reply: the soak's sessions dropped mid-command)
 *     part:TEXT        send TEXT with no newline, wait for nothing (dropped mid-line)
 *
 * Without --no-negotiate it sends qmp_capabilities after the greeting. Exit status: 0 when
 * every step completed, 2 on a timeout (default 30 s per step) or a closed connection, 1 on
 * bad usage. Replies are parsed with json-c.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int sock = -1;
static char inbuf[1 << 20];
static size_t inlen;
static int step_timeout_ms = 30000;
static char seen_events[8192]; /* " NAME NAME ..." of events received so far */

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Reads one line (without "\r\n") into line, waiting until deadline (ms). 1: a line, 0: the
 * peer closed, -1: timeout. */
static int read_line(char *line, size_t size, long long deadline)
{
    for (;;) {
        char *nl = memchr(inbuf, '\n', inlen);
        if (nl) {
            size_t n = (size_t)(nl - inbuf);
            size_t copy = n < size - 1 ? n : size - 1;
            memcpy(line, inbuf, copy);
            line[copy] = '\0';
            if (copy > 0 && line[copy - 1] == '\r') {
                line[copy - 1] = '\0';
            }
            memmove(inbuf, nl + 1, inlen - n - 1);
            inlen -= n + 1;
            return 1;
        }
        long long left = deadline - now_ms();
        if (left <= 0) {
            return -1;
        }
        struct pollfd p = { .fd = sock, .events = POLLIN };
        if (poll(&p, 1, (int)left) <= 0) {
            continue;
        }
        if (inlen == sizeof(inbuf)) {
            inlen = 0; /* a line this long is not QMP: drop it */
        }
        ssize_t r = read(sock, inbuf + inlen, sizeof(inbuf) - inlen);
        if (r <= 0) {
            return 0;
        }
        inlen += (size_t)r;
    }
}

typedef enum { LINE_REPLY, LINE_EVENT, LINE_OTHER } LineKind;

/* Prints the line and says what it is; an event's name is recorded. */
static LineKind classify(const char *line)
{
    json_object *o = json_tokener_parse(line);
    LineKind k = LINE_OTHER;
    json_object *v;

    printf("QMP< %s\n", line);
    fflush(stdout);
    if (o && json_object_is_type(o, json_type_object)) {
        if (json_object_object_get_ex(o, "return", NULL) ||
            json_object_object_get_ex(o, "error", NULL)) {
            k = LINE_REPLY;
        } else if (json_object_object_get_ex(o, "event", &v)) {
            size_t used = strlen(seen_events);
            snprintf(seen_events + used, sizeof(seen_events) - used, " %s",
                     json_object_get_string(v));
            k = LINE_EVENT;
        }
    }
    json_object_put(o);
    return k;
}

static int wait_reply(void)
{
    char line[65536];
    long long deadline = now_ms() + step_timeout_ms;

    for (;;) {
        int r = read_line(line, sizeof(line), deadline);
        if (r <= 0) {
            fprintf(stderr, "qmp-client: %s waiting for a reply\n",
                    r == 0 ? "connection closed" : "timed out");
            return 2;
        }
        if (classify(line) == LINE_REPLY) {
            return 0;
        }
    }
}

static bool event_seen(const char *name)
{
    char needle[256];
    snprintf(needle, sizeof(needle), " %s", name);
    for (const char *p = seen_events; (p = strstr(p, needle)); p++) {
        char end = p[strlen(needle)];
        if (end == '\0' || end == ' ') {
            return true;
        }
    }
    return false;
}

static int wait_event(const char *name)
{
    char line[65536];
    long long deadline = now_ms() + step_timeout_ms;

    while (!event_seen(name)) {
        int r = read_line(line, sizeof(line), deadline);
        if (r <= 0) {
            fprintf(stderr, "qmp-client: %s waiting for event %s\n",
                    r == 0 ? "connection closed" : "timed out", name);
            return 2;
        }
        classify(line);
    }
    printf("QMP: event %s seen\n", name);
    fflush(stdout);
    return 0;
}

static int send_text_nl(const char *text, int fd, bool newline);

static int send_text(const char *text, int fd)
{
    return send_text_nl(text, fd, true);
}

static int send_text_nl(const char *text, int fd, bool newline)
{
    size_t len = strlen(text);
    char *buf = malloc(len + 2);
    union {
        char space[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov;
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
    ssize_t n;

    memcpy(buf, text, len);
    buf[len] = '\n';
    iov.iov_base = buf;
    iov.iov_len = len + (newline ? 1 : 0);
    if (fd >= 0) {
        struct cmsghdr *cm;
        memset(&ctl, 0, sizeof(ctl));
        msg.msg_control = ctl.space;
        msg.msg_controllen = sizeof(ctl.space);
        cm = CMSG_FIRSTHDR(&msg);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &fd, sizeof(int));
    }
    printf("QMP> %s\n", text);
    fflush(stdout);
    n = sendmsg(sock, &msg, MSG_NOSIGNAL);
    free(buf);
    if (n != (ssize_t)iov.iov_len) {
        fprintf(stderr, "qmp-client: send: %s\n", n < 0 ? strerror(errno) : "short");
        return 2;
    }
    return 0;
}

static int step_sleep(int ms)
{
    char line[65536];
    long long deadline = now_ms() + ms;

    for (;;) {
        int r = read_line(line, sizeof(line), deadline);
        if (r < 0) {
            return 0;
        }
        if (r == 0) {
            fprintf(stderr, "qmp-client: connection closed while sleeping\n");
            return 2;
        }
        classify(line);
    }
}

static int step_eof(void)
{
    char line[65536];
    long long deadline = now_ms() + step_timeout_ms;

    for (;;) {
        int r = read_line(line, sizeof(line), deadline);
        if (r == 0) {
            printf("QMP: connection closed by armpass\n");
            return 0;
        }
        if (r < 0) {
            fprintf(stderr, "qmp-client: timed out waiting for armpass to close\n");
            return 2;
        }
        classify(line);
    }
}

static int run_step(const char *step)
{
    if (step[0] == '{') {
        return send_text(step, -1) ?: wait_reply();
    }
    if (strncmp(step, "raw:", 4) == 0) {
        return send_text(step + 4, -1) ?: wait_reply();
    }
    if (strncmp(step, "event:", 6) == 0) {
        return wait_event(step + 6);
    }
    if (strncmp(step, "sleep:", 6) == 0) {
        return step_sleep(atoi(step + 6));
    }
    if (strncmp(step, "fd:", 3) == 0) {
        char cmd[512];
        int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
        int r;
        snprintf(cmd, sizeof(cmd),
                 "{\"execute\": \"getfd\", \"arguments\": {\"fdname\": \"%s\"}}", step + 3);
        r = send_text(cmd, fd) ?: wait_reply();
        close(fd);
        return r;
    }
    if (strncmp(step, "send:", 5) == 0) {
        return send_text_nl(step + 5, -1, true);
    }
    if (strncmp(step, "part:", 5) == 0) {
        return send_text_nl(step + 5, -1, false);
    }
    if (strcmp(step, "eof") == 0) {
        return step_eof();
    }
    fprintf(stderr, "qmp-client: unknown step \"%s\"\n", step);
    return 1;
}

int main(int argc, char **argv)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    bool negotiate = true;
    int i = 1, r;

    while (i < argc && strncmp(argv[i], "--", 2) == 0) {
        if (strcmp(argv[i], "--no-negotiate") == 0) {
            negotiate = false;
            i++;
        } else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
            step_timeout_ms = atoi(argv[i + 1]) * 1000;
            i += 2;
        } else {
            break;
        }
    }
    if (i >= argc) {
        fprintf(stderr, "usage: qmp-client [--no-negotiate] [--timeout S] SOCKET STEP...\n");
        return 1;
    }
    if (strlen(argv[i]) >= sizeof(sa.sun_path)) {
        fprintf(stderr, "qmp-client: socket path too long\n");
        return 1;
    }
    strcpy(sa.sun_path, argv[i++]);
    sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (sock < 0 || connect(sock, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        fprintf(stderr, "qmp-client: cannot connect to %s: %s\n", sa.sun_path, strerror(errno));
        return 2;
    }
    {
        char line[65536];
        if (read_line(line, sizeof(line), now_ms() + step_timeout_ms) <= 0) {
            fprintf(stderr, "qmp-client: no greeting\n");
            return 2;
        }
        classify(line);
    }
    if (negotiate && (r = run_step("{\"execute\": \"qmp_capabilities\"}")) != 0) {
        return r;
    }
    for (; i < argc; i++) {
        if ((r = run_step(argv[i])) != 0) {
            return r;
        }
    }
    close(sock);
    return 0;
}
