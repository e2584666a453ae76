// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for system/qmp.c: the QMP protocol engine, spoken to over a socketpair (and a
 * real Unix socket for the listener), no KVM. */
#include "system/qmp.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

typedef struct Peer {
    QmpServer *qmp;
    int fd;          /* the client's end */
    GString *in;     /* bytes received, not yet split into lines */
} Peer;

/* Runs the server's main context until a whole line is in, then parses it. */
static json_object *peer_next(Peer *p)
{
    gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;

    for (;;) {
        char *nl = strstr(p->in->str, "\r\n");
        if (nl) {
            g_autofree char *line = g_strndup(p->in->str, (gsize)(nl - p->in->str));
            json_object *obj;
            g_string_erase(p->in, 0, (nl - p->in->str) + 2);
            obj = json_tokener_parse(line);
            g_assert_nonnull(obj);
            return obj;
        }
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        while (g_main_context_iteration(NULL, FALSE)) {
        }
        char buf[65536];
        ssize_t n = recv(p->fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n > 0) {
            g_string_append_len(p->in, buf, n);
        } else {
            g_usleep(1000);
        }
    }
}

/* Nothing more arrives within ms (after the server had its turn). */
static void peer_expect_silence(Peer *p, int ms)
{
    char buf[256];
    for (int i = 0; i < ms; i++) {
        while (g_main_context_iteration(NULL, FALSE)) {
        }
        g_usleep(1000);
    }
    g_assert_cmpint(recv(p->fd, buf, sizeof(buf), MSG_DONTWAIT), <, 0);
    g_assert_cmpuint(p->in->len, ==, 0);
}

static void peer_send(Peer *p, const char *text)
{
    size_t len = strlen(text);
    g_assert_cmpint(send(p->fd, text, len, MSG_NOSIGNAL), ==, (ssize_t)len);
}

static json_object *peer_cmd(Peer *p, const char *text)
{
    peer_send(p, text);
    return peer_next(p);
}

/* Accessors that fail the test when the member is missing. */
static json_object *member(json_object *o, const char *key)
{
    json_object *v = NULL;
    if (!json_object_object_get_ex(o, key, &v)) {
        g_error("no member %s in %s", key, json_object_to_json_string(o));
    }
    return v;
}

static const char *error_class(json_object *reply)
{
    return json_object_get_string(member(member(reply, "error"), "class"));
}

static const char *error_desc(json_object *reply)
{
    return json_object_get_string(member(member(reply, "error"), "desc"));
}

static void assert_error(Peer *p, const char *cmd, const char *cls, const char *desc_part)
{
    json_object *r = peer_cmd(p, cmd);
    g_assert_cmpstr(error_class(r), ==, cls);
    if (!strstr(error_desc(r), desc_part)) {
        g_error("%s: desc \"%s\" lacks \"%s\"", cmd, error_desc(r), desc_part);
    }
    g_assert_false(json_object_object_get_ex(r, "return", NULL));
    json_object_put(r);
}

static void assert_return(Peer *p, const char *cmd)
{
    json_object *r = peer_cmd(p, cmd);
    if (!json_object_object_get_ex(r, "return", NULL)) {
        g_error("%s: %s", cmd, json_object_to_json_string(r));
    }
    json_object_put(r);
}

static void peer_open(Peer *p, bool negotiate)
{
    int sv[2];
    json_object *greeting;

    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), ==, 0);
    p->qmp = qmp_server_new(NULL);
    p->fd = sv[1];
    p->in = g_string_new(NULL);
    qmp_server_add_client(p->qmp, sv[0]);
    greeting = peer_next(p);
    json_object *ver = member(member(greeting, "QMP"), "version");
    g_assert_true(json_object_is_type(member(member(ver, "qemu"), "major"), json_type_int));
    g_assert_nonnull(strstr(json_object_get_string(member(ver, "package")), "armpass"));
    g_assert_cmpuint(json_object_array_length(member(member(greeting, "QMP"), "capabilities")),
                     ==, 0);
    json_object_put(greeting);
    if (negotiate) {
        assert_return(p, "{\"execute\": \"qmp_capabilities\"}\n");
    }
}

static void peer_close(Peer *p)
{
    if (p->fd >= 0) {
        close(p->fd);
    }
    qmp_server_free(p->qmp);
    g_string_free(p->in, TRUE);
}

static void test_negotiation(void)
{
    Peer p;
    json_object *r;

    peer_open(&p, false);
    /* A command before qmp_capabilities: CommandNotFound, as QEMU answers; id echoed. */
    r = peer_cmd(&p, "{\"execute\": \"query-version\", \"id\": 7}\n");
    g_assert_cmpstr(error_class(r), ==, "CommandNotFound");
    g_assert_nonnull(strstr(error_desc(r), "qmp_capabilities"));
    g_assert_cmpint(json_object_get_int(member(r, "id")), ==, 7);
    json_object_put(r);
    assert_error(&p, "{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": [\"oob\"]}}",
                 "GenericError", "'oob' not available");
    assert_return(&p, "{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": []}}");
    assert_error(&p, "{\"execute\": \"qmp_capabilities\"}", "CommandNotFound",
                 "already complete");
    r = peer_cmd(&p, "{\"execute\": \"query-version\"}");
    g_assert_true(json_object_is_type(member(member(member(r, "return"), "qemu"), "minor"),
                                      json_type_int));
    g_assert_false(json_object_object_get_ex(r, "id", NULL));
    json_object_put(r);
    peer_close(&p);
}

static void test_id_echo(void)
{
    Peer p;
    json_object *r;

    peer_open(&p, true);
    r = peer_cmd(&p, "{\"id\": {\"a\": [1, \"two\", null]}, \"execute\": \"query-version\"}");
    g_assert_cmpstr(json_object_to_json_string_ext(member(r, "id"), JSON_C_TO_STRING_PLAIN), ==,
                    "{\"a\":[1,\"two\",null]}");
    json_object_put(r);
    r = peer_cmd(&p, "{\"execute\": \"no-such\", \"id\": \"x1\"}");
    g_assert_cmpstr(json_object_get_string(member(r, "id")), ==, "x1");
    g_assert_cmpstr(error_class(r), ==, "CommandNotFound");
    json_object_put(r);
    peer_close(&p);
}

/* Everything a confused or hostile client may send: each answered with GenericError, and
 * the next good command still works. */
static void test_garbage(void)
{
    Peer p;

    peer_open(&p, true);
    assert_error(&p, "garbage\n", "GenericError", "JSON parse error");
    assert_return(&p, "{\"execute\": \"query-version\"}");
    assert_error(&p, "{\"execute\": \"query-version\",,}\n", "GenericError",
                 "JSON parse error");
    assert_return(&p, "{\"execute\": \"query-version\"}");
    assert_error(&p, "[1, 2]", "GenericError", "must be a JSON object");
    assert_error(&p, "\"text\"", "GenericError", "must be a JSON object");
    assert_error(&p, "null\n", "GenericError", "must be a JSON object");
    assert_error(&p, "{\"execute\": 42}", "GenericError", "'execute' must be a string");
    assert_error(&p, "{\"arguments\": {}}", "GenericError", "lacks member 'execute'");
    assert_error(&p, "{\"execute\": \"query-version\", \"arguments\": [1]}", "GenericError",
                 "'arguments' must be an object");
    assert_error(&p, "{\"execute\": \"query-version\", \"extra\": 1}", "GenericError",
                 "member 'extra' is unexpected");
    assert_error(&p, "{\"execute\": \"no-such-command\"}", "CommandNotFound",
                 "The command no-such-command has not been found");
    /* Arguments of the wrong type, missing, or unknown. */
    assert_error(&p, "{\"execute\": \"getfd\", \"arguments\": {\"fdname\": 1}}", "GenericError",
                 "Invalid parameter type for 'fdname', expected: string");
    assert_error(&p, "{\"execute\": \"getfd\"}", "GenericError", "Parameter 'fdname' is missing");
    assert_error(&p, "{\"execute\": \"query-version\", \"arguments\": {\"x\": true}}",
                 "GenericError", "Parameter 'x' is unexpected");
    /* Deep nesting is refused by the tokener's depth limit, not the stack. */
    {
        g_autoptr(GString) deep = g_string_new(NULL);
        for (int i = 0; i < 100; i++) {
            g_string_append_c(deep, '[');
        }
        g_string_append_c(deep, '\n');
        assert_error(&p, deep->str, "GenericError", "JSON parse error");
    }
    assert_return(&p, "{\"execute\": \"query-version\"}");
    /* Binary junk. */
    assert_error(&p, "\x01\x02\xff\n", "GenericError", "JSON parse error");
    assert_return(&p, "{\"execute\": \"query-version\"}");
    g_assert_cmpuint(qmp_server_nr_clients(p.qmp), ==, 1);
    peer_close(&p);
}

/* After a bad line and then {"execute": "query-version", "id": 2}: one GenericError whose desc
 * holds desc_part, then the return for id 2, then nothing more (the server resynchronised). */
static void assert_resync(Peer *p, const char *desc_part)
{
    json_object *r = peer_next(p);

    g_assert_cmpstr(error_class(r), ==, "GenericError");
    g_assert_nonnull(strstr(error_desc(r), desc_part));
    json_object_put(r);
    r = peer_next(p);
    g_assert_cmpint(json_object_get_int(member(r, "id")), ==, 2);
    g_assert_true(json_object_object_get_ex(r, "return", NULL));
    json_object_put(r);
    peer_expect_silence(p, 20);
}

/* Found by fuzz-qmp: a bad line that starts right after a newline, in the same read as what
 * came before it ("...}\r\nx" or "\n\0"). The tokener stops at the offending byte without
 * taking it; the server then parsed the same byte again and again, answering each time,
 * until 8 MiB of errors were queued and the client was disconnected. Now: one error for
 * the line, and the next command is answered. */
static void test_garbage_after_newline(void)
{
    static const char *const bad[] = {
        "{\"execute\": \"query-version\", \"id\": 1}\r\nx\n{\"execute\": \"query-version\", \"id\": 2}\n",
        "{\"execute\": \"query-version\", \"id\": 1}\n}\n{\"execute\": \"query-version\", \"id\": 2}\n",
    };
    Peer p;

    peer_open(&p, true);
    for (size_t i = 0; i < G_N_ELEMENTS(bad) + 1; i++) {
        json_object *r;

        if (i < G_N_ELEMENTS(bad)) {
            peer_send(&p, bad[i]);
        } else { /* a NUL after a newline, within one write */
            const char nul[] = "{\"execute\": \"query-version\", \"id\": 1}\n\0\n"
                               "{\"execute\": \"query-version\", \"id\": 2}\n";
            g_assert_cmpint(send(p.fd, nul, sizeof(nul) - 1, MSG_NOSIGNAL), ==,
                            (ssize_t)sizeof(nul) - 1);
        }
        r = peer_next(&p);
        g_assert_cmpint(json_object_get_int(member(r, "id")), ==, 1);
        json_object_put(r);
        assert_resync(&p, "JSON parse error");
    }
    g_assert_cmpuint(qmp_server_nr_clients(p.qmp), ==, 1);
    peer_close(&p);
}

/* Found by fuzz-qmp: a NUL byte inside a comment ("{\"\":\"\"/\*\0") made json-c 0.16 return
 * the unfinished object as complete and leak part of its state on the next parse. A NUL is
 * never valid JSON text: wherever it comes (in a comment, a value, a string), the line gets
 * one error naming it and the next command is answered. */
static void test_nul_byte(void)
{
    static const char a[] = "{\"\":\"\"/*\0\"\"r\n";
    static const char b[] = "{\"execute\": \"query-version\", \"id\": 1\0}\n";
    static const char c[] = "{\"execute\": \"query-ver\0sion\", \"id\": 1}\n";
    static const struct {
        const char *bytes;
        size_t len;
    } bad[] = { { a, sizeof(a) - 1 }, { b, sizeof(b) - 1 }, { c, sizeof(c) - 1 } };
    Peer p;

    peer_open(&p, true);
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_assert_cmpint(send(p.fd, bad[i].bytes, bad[i].len, MSG_NOSIGNAL), ==,
                        (ssize_t)bad[i].len);
        peer_send(&p, "{\"execute\": \"query-version\", \"id\": 2}\n");
        assert_resync(&p, "JSON parse error, invalid NUL byte");
    }
    g_assert_cmpuint(qmp_server_nr_clients(p.qmp), ==, 1);
    peer_close(&p);
}

/* A value that never ends is refused past 1 MiB, and the client can go on. */
static void test_too_large(void)
{
    Peer p;
    g_autofree char *big = g_malloc(1100 * 1024 + 1);

    peer_open(&p, true);
    memset(big, 'a', 1100 * 1024);
    big[0] = '"';
    big[1100 * 1024] = '\0';
    peer_send(&p, "{\"execute\": \"query-version\", \"id\": ");
    /* send in pieces: the socket buffer is smaller than the value */
    for (size_t off = 0; off < 1100 * 1024; off += 64 * 1024) {
        size_t n = MIN(64 * 1024, 1100 * 1024 - off);
        g_assert_cmpint(send(p.fd, big + off, n, MSG_NOSIGNAL), ==, (ssize_t)n);
        while (g_main_context_iteration(NULL, FALSE)) {
        }
    }
    json_object *r = peer_next(&p);
    g_assert_cmpstr(error_class(r), ==, "GenericError");
    g_assert_nonnull(strstr(error_desc(r), "too large"));
    json_object_put(r);
    assert_return(&p, "\n{\"execute\": \"query-version\"}");
    peer_close(&p);
}

/* The stream as it comes: a command split into single bytes, two in one write. */
static void test_framing(void)
{
    Peer p;
    const char *cmd = "{\"execute\": \"query-version\", \"id\": \"split\"}";
    json_object *r;

    peer_open(&p, true);
    for (const char *c = cmd; *c; c++) {
        g_assert_cmpint(send(p.fd, c, 1, MSG_NOSIGNAL), ==, 1);
        while (g_main_context_iteration(NULL, FALSE)) {
        }
    }
    r = peer_next(&p);
    g_assert_cmpstr(json_object_get_string(member(r, "id")), ==, "split");
    json_object_put(r);
    peer_send(&p, "{\"execute\": \"query-version\", \"id\": 1}{\"execute\": \"nope\", \"id\": 2}");
    r = peer_next(&p);
    g_assert_cmpint(json_object_get_int(member(r, "id")), ==, 1);
    g_assert_true(json_object_object_get_ex(r, "return", NULL));
    json_object_put(r);
    r = peer_next(&p);
    g_assert_cmpint(json_object_get_int(member(r, "id")), ==, 2);
    g_assert_cmpstr(error_class(r), ==, "CommandNotFound");
    json_object_put(r);
    peer_close(&p);
}

/* A command that fails with the error class its "class" argument names. */
static bool cmd_fail(QmpServer *qmp, json_object *args, json_object **ret, void *opaque,
                     GError **errp)
{
    (void)qmp, (void)ret, (void)opaque;
    g_set_error(errp, QMP_ERROR, json_object_get_int(json_object_object_get(args, "class")),
                "failed as asked");
    return false;
}

static const QmpArg fail_args[] = { { "class", QMP_ARG_INT, true }, { NULL } };
static const QmpCommand fail_cmd = { "x-test-fail", cmd_fail, fail_args, false };

static void test_error_classes(void)
{
    static const char *const names[] = { "GenericError", "CommandNotFound", "DeviceNotActive",
                                         "DeviceNotFound", "KVMMissingCap" };
    Peer p;

    peer_open(&p, true);
    qmp_server_register(p.qmp, &fail_cmd, &p);
    for (int i = 0; i < (int)G_N_ELEMENTS(names); i++) {
        g_autofree char *cmd = g_strdup_printf(
            "{\"execute\": \"x-test-fail\", \"arguments\": {\"class\": %d}}", i);
        assert_error(&p, cmd, names[i], "failed as asked");
    }
    assert_error(&p, "{\"execute\": \"x-test-fail\", \"arguments\": {\"class\": \"1\"}}",
                 "GenericError", "expected: integer");
    /* query-commands lists the built-in and the registered commands; unregistered goes. */
    json_object *r = peer_cmd(&p, "{\"execute\": \"query-commands\"}");
    g_autoptr(GString) names_seen = g_string_new(NULL);
    for (size_t i = 0; i < json_object_array_length(member(r, "return")); i++) {
        json_object *c = json_object_array_get_idx(member(r, "return"), i);
        g_string_append_printf(names_seen, "%s ", json_object_get_string(member(c, "name")));
    }
    json_object_put(r);
    g_assert_nonnull(strstr(names_seen->str, "qmp_capabilities "));
    g_assert_nonnull(strstr(names_seen->str, "getfd "));
    g_assert_nonnull(strstr(names_seen->str, "x-test-fail "));
    qmp_server_unregister(p.qmp, "x-test-fail");
    assert_error(&p, "{\"execute\": \"x-test-fail\", \"arguments\": {\"class\": 0}}",
                 "CommandNotFound", "not been found");
    peer_close(&p);
}

static void test_events(void)
{
    Peer p;
    json_object *ev, *ts;
    gint64 before = g_get_real_time() / G_USEC_PER_SEC;

    peer_open(&p, false);
    /* Before negotiation a client hears no event. */
    qmp_server_emit_event(p.qmp, "STOP", NULL);
    peer_expect_silence(&p, 20);
    assert_return(&p, "{\"execute\": \"qmp_capabilities\"}");
    qmp_server_emit_event(p.qmp, "STOP", NULL);
    ev = peer_next(&p);
    g_assert_cmpstr(json_object_get_string(member(ev, "event")), ==, "STOP");
    g_assert_false(json_object_object_get_ex(ev, "data", NULL));
    ts = member(ev, "timestamp");
    g_assert_cmpint(json_object_get_int64(member(ts, "seconds")), >=, before);
    g_assert_cmpint(json_object_get_int64(member(ts, "microseconds")), >=, 0);
    g_assert_cmpint(json_object_get_int64(member(ts, "microseconds")), <, 1000000);
    json_object_put(ev);

    json_object *data = json_object_new_object();
    json_object_object_add(data, "guest", json_object_new_boolean(true));
    json_object_object_add(data, "reason", json_object_new_string("guest-shutdown"));
    qmp_server_emit_event(p.qmp, "SHUTDOWN", data);
    ev = peer_next(&p);
    g_assert_cmpstr(json_object_get_string(member(ev, "event")), ==, "SHUTDOWN");
    g_assert_cmpstr(json_object_get_string(member(member(ev, "data"), "reason")), ==,
                    "guest-shutdown");
    json_object_put(ev);

    qmp_event_device_deleted(p.qmp, "nvme0", "/machine/peripheral/nvme0");
    ev = peer_next(&p);
    g_assert_cmpstr(json_object_get_string(member(ev, "event")), ==, "DEVICE_DELETED");
    g_assert_cmpstr(json_object_get_string(member(member(ev, "data"), "device")), ==, "nvme0");
    g_assert_cmpstr(json_object_get_string(member(member(ev, "data"), "path")), ==,
                    "/machine/peripheral/nvme0");
    json_object_put(ev);
    peer_close(&p);
}

/* getfd takes the descriptor that came with its message (SCM_RIGHTS); closefd drops it. */
static void test_getfd(void)
{
    Peer p;
    int pipefd[2];
    const char *cmd = "{\"execute\": \"getfd\", \"arguments\": {\"fdname\": \"mine\"}}";
    union {
        char space[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = { .iov_base = (void *)cmd, .iov_len = strlen(cmd) };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.space,
                          .msg_controllen = sizeof(ctl.space) };
    struct cmsghdr *cm;
    json_object *r;
    int fd;

    memset(&ctl, 0, sizeof(ctl)); /* the padding too: it goes to the kernel */
    cm = CMSG_FIRSTHDR(&msg);
    peer_open(&p, true);
    assert_error(&p, cmd, "GenericError", "No file descriptor supplied via SCM_RIGHTS");
    g_assert_cmpint(pipe(pipefd), ==, 0);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &pipefd[1], sizeof(int));
    g_assert_cmpint(sendmsg(p.fd, &msg, MSG_NOSIGNAL), ==, (ssize_t)strlen(cmd));
    r = peer_next(&p);
    g_assert_true(json_object_object_get_ex(r, "return", NULL));
    json_object_put(r);
    close(pipefd[1]);
    /* The server's copy writes into our pipe. */
    fd = qmp_server_take_fd(p.qmp, "mine");
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(write(fd, "x", 1), ==, 1);
    char c = 0;
    g_assert_cmpint(read(pipefd[0], &c, 1), ==, 1);
    g_assert_cmpint(c, ==, 'x');
    close(fd);
    g_assert_cmpint(qmp_server_take_fd(p.qmp, "mine"), ==, -1);
    assert_error(&p, "{\"execute\": \"closefd\", \"arguments\": {\"fdname\": \"mine\"}}",
                 "GenericError", "File descriptor named 'mine' not found");
    close(pipefd[0]);
    peer_close(&p);
}

static bool cmd_big(QmpServer *qmp, json_object *args, json_object **ret, void *opaque,
                    GError **errp)
{
    g_autofree char *s = g_malloc(4 * 1024 * 1024 + 1);

    (void)qmp, (void)args, (void)opaque, (void)errp;
    memset(s, 'b', 4 * 1024 * 1024);
    s[4 * 1024 * 1024] = '\0';
    *ret = json_object_new_string(s);
    return true;
}
static const QmpCommand big_cmd = { "x-test-big", cmd_big, NULL, false };

/* A client that goes away mid-reply: the server closes it and goes on (no SIGPIPE: the test
 * runs with SIGPIPE's default action, which would kill it). */
static void test_disconnect_mid_reply(void)
{
    Peer p;

    signal(SIGPIPE, SIG_DFL);
    peer_open(&p, true);
    qmp_server_register(p.qmp, &big_cmd, NULL);
    peer_send(&p, "{\"execute\": \"x-test-big\"}");
    for (int i = 0; i < 20; i++) {
        while (g_main_context_iteration(NULL, FALSE)) {
        }
        g_usleep(1000);
    }
    close(p.fd);
    p.fd = -1;
    for (int i = 0; i < 200 && qmp_server_nr_clients(p.qmp) > 0; i++) {
        qmp_server_emit_event(p.qmp, "STOP", NULL);
        while (g_main_context_iteration(NULL, FALSE)) {
        }
        g_usleep(1000);
    }
    g_assert_cmpuint(qmp_server_nr_clients(p.qmp), ==, 0);
    peer_close(&p);
}

static int connect_unix(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
    g_assert_cmpint(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    return fd;
}

/* The listening socket: bad paths refused; one client at a time, the next served once the
 * first leaves; the socket file goes with the server. */
static void test_listen(void)
{
    g_autofree char *dir = g_dir_make_tmp("qmp-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "qmp.sock", NULL);
    g_autofree char *file = g_build_filename(dir, "file", NULL);
    g_autofree char *longp = g_strnfill(200, 'x');
    g_autoptr(GError) err = NULL;
    QmpServer *qmp = qmp_server_new(NULL);
    Peer a = { .qmp = qmp, .in = g_string_new(NULL) };
    Peer b = { .qmp = qmp, .in = g_string_new(NULL) };
    json_object *g;

    g_assert_false(qmp_server_listen_unix(qmp, longp, &err));
    g_assert_nonnull(strstr(err->message, "longer than"));
    g_clear_error(&err);
    g_assert_true(g_file_set_contents(file, "keep", -1, NULL));
    g_assert_false(qmp_server_listen_unix(qmp, file, &err));
    g_assert_nonnull(strstr(err->message, "not a socket"));
    g_clear_error(&err);
    g_assert_true(qmp_server_listen_unix(qmp, path, &err));
    g_assert_no_error(err);

    a.fd = connect_unix(path);
    g = peer_next(&a);
    g_assert_true(json_object_object_get_ex(g, "QMP", NULL));
    json_object_put(g);
    b.fd = connect_unix(path); /* queued in the backlog */
    peer_expect_silence(&b, 30);
    close(a.fd);
    g = peer_next(&b);
    g_assert_true(json_object_object_get_ex(g, "QMP", NULL));
    json_object_put(g);
    assert_return(&b, "{\"execute\": \"qmp_capabilities\"}");
    close(b.fd);
    qmp_server_free(qmp);
    g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
    unlink(file);
    rmdir(dir);
    g_string_free(a.in, TRUE);
    g_string_free(b.in, TRUE);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qmp/negotiation", test_negotiation);
    g_test_add_func("/qmp/id-echo", test_id_echo);
    g_test_add_func("/qmp/garbage", test_garbage);
    g_test_add_func("/qmp/garbage-after-newline", test_garbage_after_newline);
    g_test_add_func("/qmp/nul-byte", test_nul_byte);
    g_test_add_func("/qmp/too-large", test_too_large);
    g_test_add_func("/qmp/framing", test_framing);
    g_test_add_func("/qmp/error-classes", test_error_classes);
    g_test_add_func("/qmp/events", test_events);
    g_test_add_func("/qmp/getfd", test_getfd);
    g_test_add_func("/qmp/disconnect-mid-reply", test_disconnect_mid_reply);
    g_test_add_func("/qmp/listen", test_listen);
    return g_test_run();
}
