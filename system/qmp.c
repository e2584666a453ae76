// SPDX-License-Identifier: GPL-2.0-only
/* The QMP server: socket, clients, the wire protocol, built-in commands (include/system/qmp.h). */
#define G_LOG_DOMAIN "armpass-qmp"
#include "system/qmp.h"

#include "system/options.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

G_DEFINE_QUARK(armpass-qmp-error, qmp_error)

/* One JSON value a client sends may not exceed this (bytes); a bigger one is refused. */
#define QMP_MAX_INPUT (1024 * 1024)
/* Replies and events a client leaves unread beyond this (bytes) end its connection. */
#define QMP_MAX_OUTPUT (8 * 1024 * 1024)
/* Descriptors one message may carry (SCM_RIGHTS). */
#define QMP_MAX_FDS 8

typedef struct QmpClient {
    QmpServer *qmp;
    int fd;
    GSource *in_source;
    GSource *out_source;
    json_tokener *tok;
    size_t pending;     /* bytes of the value being parsed */
    bool skip_line;     /* after a parse error: drop input up to the next newline */
    bool negotiated;    /* qmp_capabilities done: commands and events */
    bool dead;          /* peer gone or misbehaving: closed at the next safe point */
    GByteArray *out;
    GQueue fds;         /* descriptors received with SCM_RIGHTS, not yet taken by getfd */
} QmpClient;

typedef struct QmpEntry {
    const QmpCommand *cmd;
    void *opaque;
} QmpEntry;

struct QmpServer {
    GMainContext *ctx;
    int listen_fd;
    char *path;
    bool keep_file;
    GSource *listen_source;
    GList *clients;     /* QmpClient * */
    GHashTable *commands; /* name -> QmpEntry * */
    GPtrArray *order;   /* command names in registration order (query-commands) */
    GHashTable *fds;    /* getfd name -> fd */
    bool in_dispatch;   /* a client's callback is running: closing waits */
};

const char *qmp_error_class_name(QmpErrorClass cls)
{
    switch (cls) {
    case QMP_ERROR_COMMAND_NOT_FOUND:
        return "CommandNotFound";
    case QMP_ERROR_DEVICE_NOT_ACTIVE:
        return "DeviceNotActive";
    case QMP_ERROR_DEVICE_NOT_FOUND:
        return "DeviceNotFound";
    case QMP_ERROR_KVM_MISSING_CAP:
        return "KVMMissingCap";
    case QMP_ERROR_GENERIC:
    default:
        return "GenericError";
    }
}

/* ---- output ----------------------------------------------------------------------------- */

static gboolean qmp_client_writable(gint fd, GIOCondition cond, gpointer opaque);
static void qmp_client_close(QmpClient *c);
static void qmp_listen_resume(QmpServer *qmp);

/* Sends what is queued without blocking; the rest waits for G_IO_OUT. A peer that is gone
 * (EPIPE, ECONNRESET: MSG_NOSIGNAL, so no SIGPIPE) marks the client dead. */
static void qmp_client_flush(QmpClient *c)
{
    while (c->out->len > 0 && !c->dead) {
        ssize_t n = send(c->fd, c->out->data, c->out->len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            break;
        }
        if (n <= 0) {
            g_debug("client fd %d: send: %s: closing it", c->fd,
                    n < 0 ? g_strerror(errno) : "nothing sent");
            c->dead = true;
            return;
        }
        g_byte_array_remove_range(c->out, 0, (guint)n);
    }
    if (c->out->len > 0 && !c->out_source && !c->dead) {
        c->out_source = g_unix_fd_source_new(c->fd, G_IO_OUT);
        g_source_set_callback(c->out_source, G_SOURCE_FUNC(qmp_client_writable), c, NULL);
        g_source_attach(c->out_source, c->qmp->ctx);
    }
}

static gboolean qmp_client_writable(gint fd, GIOCondition cond, gpointer opaque)
{
    QmpClient *c = opaque;

    (void)fd;
    (void)cond;
    g_source_destroy(c->out_source);
    g_source_unref(c->out_source);
    c->out_source = NULL;
    qmp_client_flush(c);
    if (c->dead) {
        qmp_client_close(c);
    }
    return G_SOURCE_REMOVE;
}

/* Queues obj (taken) as one line, "\r\n"-terminated as QEMU writes them. */
static void qmp_client_send(QmpClient *c, json_object *obj)
{
    const char *text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
                                                      JSON_C_TO_STRING_NOSLASHESCAPE);
    size_t len = strlen(text);

    if (!c->dead && c->out->len + len + 2 > QMP_MAX_OUTPUT) {
        g_warning("QMP client fd %d leaves more than %d MiB unread: closing it", c->fd,
                  QMP_MAX_OUTPUT >> 20);
        c->dead = true;
    }
    if (!c->dead) {
        g_byte_array_append(c->out, (const guint8 *)text, (guint)len);
        g_byte_array_append(c->out, (const guint8 *)"\r\n", 2);
        qmp_client_flush(c);
    }
    json_object_put(obj);
}

static void qmp_client_send_error(QmpClient *c, json_object *id, QmpErrorClass cls,
                                  const char *desc)
{
    json_object *reply = json_object_new_object();
    json_object *err = json_object_new_object();

    json_object_object_add(err, "class", json_object_new_string(qmp_error_class_name(cls)));
    json_object_object_add(err, "desc", json_object_new_string(desc));
    json_object_object_add(reply, "error", err);
    if (id) {
        json_object_object_add(reply, "id", json_object_get(id));
    }
    qmp_client_send(c, reply);
}

static void qmp_client_send_return(QmpClient *c, json_object *id, json_object *ret)
{
    json_object *reply = json_object_new_object();

    json_object_object_add(reply, "return", ret ? ret : json_object_new_object());
    if (id) {
        json_object_object_add(reply, "id", json_object_get(id));
    }
    qmp_client_send(c, reply);
}

static json_object *qmp_version_object(void)
{
    json_object *ver = json_object_new_object();
    json_object *num = json_object_new_object();
    unsigned major = 0, minor = 0, micro = 0;

    if (sscanf(ARMPASS_VERSION, "%u.%u.%u", &major, &minor, &micro) < 1) {
        major = 0;
    }
    json_object_object_add(num, "major", json_object_new_int((int)major));
    json_object_object_add(num, "minor", json_object_new_int((int)minor));
    json_object_object_add(num, "micro", json_object_new_int((int)micro));
    json_object_object_add(ver, "qemu", num);
    json_object_object_add(ver, "package", json_object_new_string("armpass " ARMPASS_VERSION));
    return ver;
}

static void qmp_client_send_greeting(QmpClient *c)
{
    json_object *greeting = json_object_new_object();
    json_object *body = json_object_new_object();

    json_object_object_add(body, "version", qmp_version_object());
    json_object_object_add(body, "capabilities", json_object_new_array());
    json_object_object_add(greeting, "QMP", body);
    qmp_client_send(c, greeting);
}

/* ---- dispatch ---------------------------------------------------------------------------- */

static const char *qmp_arg_type_name(QmpArgType t)
{
    switch (t) {
    case QMP_ARG_STR:
        return "string";
    case QMP_ARG_BOOL:
        return "boolean";
    case QMP_ARG_INT:
        return "integer";
    default:
        return "value";
    }
}

static bool qmp_arg_type_ok(QmpArgType t, json_object *v)
{
    switch (t) {
    case QMP_ARG_STR:
        return json_object_is_type(v, json_type_string);
    case QMP_ARG_BOOL:
        return json_object_is_type(v, json_type_boolean);
    case QMP_ARG_INT:
        return json_object_is_type(v, json_type_int);
    default:
        return true;
    }
}

/* The arguments against the command's list, with QEMU's messages. */
static bool qmp_check_args(const QmpCommand *cmd, json_object *args, GError **errp)
{
    const QmpArg *a;

    for (a = cmd->args; a && a->name; a++) {
        json_object *v = NULL;
        if (!json_object_object_get_ex(args, a->name, &v)) {
            if (a->required) {
                g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC, "Parameter '%s' is missing",
                            a->name);
                return false;
            }
            continue;
        }
        if (!qmp_arg_type_ok(a->type, v)) {
            g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC,
                        "Invalid parameter type for '%s', expected: %s", a->name,
                        qmp_arg_type_name(a->type));
            return false;
        }
    }
    if (cmd->extra_args) {
        return true;
    }
    json_object_object_foreach(args, key, val) {
        bool known = false;
        (void)val;
        for (a = cmd->args; a && a->name && !known; a++) {
            known = strcmp(a->name, key) == 0;
        }
        if (!known) {
            g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC, "Parameter '%s' is unexpected",
                        key);
            return false;
        }
    }
    return true;
}

/* One JSON value from the client (NULL: JSON null): checked as qmp-spec.rst's "execute"
 * message, run, answered. */
static void qmp_client_handle(QmpClient *c, json_object *req)
{
    QmpServer *qmp = c->qmp;
    json_object *id = NULL, *exec = NULL, *args = NULL;
    g_autoptr(GError) err = NULL;
    json_object *ret = NULL;
    const QmpEntry *e;
    const char *name;

    if (!json_object_is_type(req, json_type_object)) {
        qmp_client_send_error(c, NULL, QMP_ERROR_GENERIC, "QMP input must be a JSON object");
        return;
    }
    json_object_object_get_ex(req, "id", &id);
    json_object_object_foreach(req, key, val) {
        (void)val;
        if (strcmp(key, "execute") != 0 && strcmp(key, "arguments") != 0 &&
            strcmp(key, "id") != 0) {
            g_autofree char *msg = g_strdup_printf("QMP input member '%s' is unexpected", key);
            qmp_client_send_error(c, id, QMP_ERROR_GENERIC, msg);
            return;
        }
    }
    if (!json_object_object_get_ex(req, "execute", &exec)) {
        qmp_client_send_error(c, id, QMP_ERROR_GENERIC, "QMP input lacks member 'execute'");
        return;
    }
    if (!json_object_is_type(exec, json_type_string)) {
        qmp_client_send_error(c, id, QMP_ERROR_GENERIC,
                              "QMP input member 'execute' must be a string");
        return;
    }
    if (json_object_object_get_ex(req, "arguments", &args) &&
        !json_object_is_type(args, json_type_object)) {
        qmp_client_send_error(c, id, QMP_ERROR_GENERIC,
                              "QMP input member 'arguments' must be an object");
        return;
    }
    name = json_object_get_string(exec);
    if (!c->negotiated && strcmp(name, "qmp_capabilities") != 0) {
        qmp_client_send_error(c, id, QMP_ERROR_COMMAND_NOT_FOUND,
                              "Expecting capabilities negotiation with 'qmp_capabilities'");
        return;
    }
    if (c->negotiated && strcmp(name, "qmp_capabilities") == 0) {
        qmp_client_send_error(c, id, QMP_ERROR_COMMAND_NOT_FOUND,
                              "Capabilities negotiation is already complete, command ignored");
        return;
    }
    e = g_hash_table_lookup(qmp->commands, name);
    if (!e) {
        g_autofree char *msg = g_strdup_printf("The command %s has not been found", name);
        qmp_client_send_error(c, id, QMP_ERROR_COMMAND_NOT_FOUND, msg);
        return;
    }
    json_object *empty = args ? NULL : json_object_new_object();
    if (!args) {
        args = empty;
    }
    g_debug("client fd %d: %s", c->fd, name);
    if (qmp_check_args(e->cmd, args, &err) &&
        e->cmd->fn(qmp, args, &ret, e->opaque ? e->opaque : c, &err)) {
        if (strcmp(name, "qmp_capabilities") == 0) {
            c->negotiated = true;
        }
        qmp_client_send_return(c, id, ret);
    } else {
        QmpErrorClass cls = err && err->domain == QMP_ERROR ? (QmpErrorClass)err->code
                                                            : QMP_ERROR_GENERIC;
        qmp_client_send_error(c, id, cls, err ? err->message : "failed");
    }
    json_object_put(empty);
}

/* Bytes from the client, through the tokener: every complete value is handled; a value that
 * does not parse is answered with an error and the rest of its line dropped (QEMU's parser
 * resynchronises the same way, at the next value). A NUL byte is never valid JSON text and
 * never reaches json-c: 0.16 mishandles one inside a comment (it returns the enclosing
 * object as complete and leaks part of its state, found by fuzz-qmp), so the server refuses
 * it itself, like any other bad byte. */
static void qmp_client_feed(QmpClient *c, const char *buf, size_t len)
{
    size_t off = 0;

    while (off < len && !c->dead) {
        json_object *obj;
        enum json_tokener_error jerr;
        const char *nul;
        size_t used, avail;

        if (c->skip_line) {
            const char *nl = memchr(buf + off, '\n', len - off);
            if (!nl) {
                return;
            }
            off = (size_t)(nl - buf) + 1;
            c->skip_line = false;
            continue;
        }
        nul = memchr(buf + off, '\0', len - off);
        avail = nul ? (size_t)(nul - (buf + off)) : len - off;
        if (avail == 0) {
            qmp_client_send_error(c, NULL, QMP_ERROR_GENERIC,
                                  "JSON parse error, invalid NUL byte");
            json_tokener_reset(c->tok);
            c->pending = 0;
            c->skip_line = true; /* from the NUL to its line's end */
            continue;
        }
        obj = json_tokener_parse_ex(c->tok, buf + off, (int)MIN(avail, (size_t)INT_MAX));
        jerr = json_tokener_get_error(c->tok);
        used = json_tokener_get_parse_end(c->tok);
        if (jerr == json_tokener_continue) {
            c->pending += avail;
            if (c->pending > QMP_MAX_INPUT) {
                qmp_client_send_error(c, NULL, QMP_ERROR_GENERIC,
                                      "JSON parse error, input too large (a value of more "
                                      "than 1 MiB)");
                json_tokener_reset(c->tok);
                c->pending = 0;
                c->skip_line = true;
                return;
            }
            off += avail; /* all of it taken: the input's end, or a NUL next */
            continue;
        }
        if (jerr != json_tokener_success) {
            g_autofree char *msg = g_strdup_printf("JSON parse error, %s",
                                                   json_tokener_error_desc(jerr));
            qmp_client_send_error(c, NULL, QMP_ERROR_GENERIC, msg);
            json_tokener_reset(c->tok);
            c->pending = 0;
            /* The tokener stops at the offending byte without taking it (used: its offset;
             * whitespace and newlines before it are taken): that byte's line goes, up to and
             * including its newline, which may be the byte itself. Parsing again from the
             * offending byte would fail there again, forever. */
            off += used;
            c->skip_line = true;
            continue;
        }
        off += used > 0 ? used : avail;
        c->pending = 0;
        qmp_client_handle(c, obj);
        json_object_put(obj);
    }
}

/* Keeps the descriptors an SCM_RIGHTS message brought, for getfd. */
static void qmp_client_take_rights(QmpClient *c, struct msghdr *msg)
{
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
            size_t n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            const int *fds = (const int *)CMSG_DATA(cm);
            for (size_t i = 0; i < n; i++) {
                g_queue_push_tail(&c->fds, GINT_TO_POINTER(fds[i]));
            }
        }
    }
}

static gboolean qmp_client_readable(gint fd, GIOCondition cond, gpointer opaque)
{
    QmpClient *c = opaque;
    char buf[4096];
    union {
        char space[CMSG_SPACE(QMP_MAX_FDS * sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.space,
        .msg_controllen = sizeof(ctl.space),
    };
    ssize_t n;

    (void)cond;
    n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) {
        return G_SOURCE_CONTINUE;
    }
    if (n <= 0) {
        g_debug("client fd %d: %s", fd, n == 0 ? "disconnected" : g_strerror(errno));
        c->dead = true;
    } else {
        qmp_client_take_rights(c, &msg);
        c->qmp->in_dispatch = true;
        qmp_client_feed(c, buf, (size_t)n);
        c->qmp->in_dispatch = false;
    }
    if (c->dead) {
        qmp_client_close(c); /* destroys in_source: GLib keeps it alive until we return */
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

static void qmp_client_close(QmpClient *c)
{
    QmpServer *qmp = c->qmp;

    qmp->clients = g_list_remove(qmp->clients, c);
    if (c->in_source) {
        g_source_destroy(c->in_source);
        g_source_unref(c->in_source);
    }
    if (c->out_source) {
        g_source_destroy(c->out_source);
        g_source_unref(c->out_source);
    }
    while (!g_queue_is_empty(&c->fds)) {
        close(GPOINTER_TO_INT(g_queue_pop_head(&c->fds)));
    }
    json_tokener_free(c->tok);
    g_byte_array_unref(c->out);
    close(c->fd);
    g_free(c);
    qmp_listen_resume(qmp);
}

/* Closes the clients marked dead outside their own callbacks (after an event's send). */
static void qmp_reap(QmpServer *qmp)
{
    GList *l = qmp->clients;

    if (qmp->in_dispatch) {
        return;
    }
    while (l) {
        QmpClient *c = l->data;
        l = l->next;
        if (c->dead) {
            qmp_client_close(c);
        }
    }
}

void qmp_server_add_client(QmpServer *qmp, int fd)
{
    QmpClient *c = g_new0(QmpClient, 1);
    int flags = fcntl(fd, F_GETFL);

    if (flags >= 0) {
        fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    }
    c->qmp = qmp;
    c->fd = fd;
    c->tok = json_tokener_new(); /* depth limit 32: a deeply nested value is refused */
    c->out = g_byte_array_new();
    g_queue_init(&c->fds);
    c->in_source = g_unix_fd_source_new(fd, G_IO_IN | G_IO_HUP | G_IO_ERR);
    g_source_set_callback(c->in_source, G_SOURCE_FUNC(qmp_client_readable), c, NULL);
    g_source_attach(c->in_source, qmp->ctx);
    qmp->clients = g_list_append(qmp->clients, c);
    g_debug("client fd %d connected", fd);
    qmp_client_send_greeting(c);
    qmp_reap(qmp);
}

unsigned qmp_server_nr_clients(QmpServer *qmp)
{
    return g_list_length(qmp->clients);
}

/* ---- the listening socket ---------------------------------------------------------------- */

static gboolean qmp_listen_ready(gint fd, GIOCondition cond, gpointer opaque)
{
    QmpServer *qmp = opaque;
    int cfd;

    (void)cond;
    cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (cfd < 0) {
        if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK &&
            errno != ECONNABORTED) {
            g_warning("QMP socket %s: accept: %s", qmp->path, g_strerror(errno));
        }
        return G_SOURCE_CONTINUE;
    }
    /* One client at a time: the next waits in the backlog until this one leaves. */
    g_source_destroy(qmp->listen_source);
    g_source_unref(qmp->listen_source);
    qmp->listen_source = NULL;
    qmp_server_add_client(qmp, cfd);
    return G_SOURCE_REMOVE;
}

static void qmp_listen_resume(QmpServer *qmp)
{
    if (qmp->listen_fd < 0 || qmp->listen_source || qmp->clients) {
        return;
    }
    qmp->listen_source = g_unix_fd_source_new(qmp->listen_fd, G_IO_IN);
    g_source_set_callback(qmp->listen_source, G_SOURCE_FUNC(qmp_listen_ready), qmp, NULL);
    g_source_attach(qmp->listen_source, qmp->ctx);
}

bool qmp_server_listen_unix(QmpServer *qmp, const char *path, GError **errp)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct stat st;
    int fd;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC, "QMP socket %s: the path is longer "
                    "than %zu bytes (use a shorter one, e.g. /tmp/armpass-qmp.sock)", path,
                    sizeof(sa.sun_path) - 1);
        return false;
    }
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC, "QMP socket %s: the path exists "
                        "and is not a socket (remove it or choose another path)", path);
            return false;
        }
        unlink(path); /* a stale socket from an earlier run */
    }
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 4) != 0) {
        int e = errno;
        g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC, "QMP socket %s: %s: %s", path,
                    fd < 0 ? "socket" : "cannot listen there", g_strerror(e));
        if (fd >= 0) {
            close(fd);
        }
        return false;
    }
    qmp->listen_fd = fd;
    qmp->path = g_strdup(path);
    qmp_listen_resume(qmp);
    g_debug("listening on %s", path);
    return true;
}

void qmp_server_keep_socket_file(QmpServer *qmp)
{
    qmp->keep_file = true;
}

/* ---- events ------------------------------------------------------------------------------ */

void qmp_server_emit_event(QmpServer *qmp, const char *name, json_object *data)
{
    gint64 now = g_get_real_time();
    bool sent = false;

    for (GList *l = qmp->clients; l; l = l->next) {
        QmpClient *c = l->data;
        json_object *ev, *ts;

        if (!c->negotiated || c->dead) {
            continue;
        }
        ev = json_object_new_object();
        ts = json_object_new_object();
        json_object_object_add(ev, "event", json_object_new_string(name));
        if (data) {
            json_object_object_add(ev, "data", json_object_get(data));
        }
        json_object_object_add(ts, "seconds", json_object_new_int64(now / G_USEC_PER_SEC));
        json_object_object_add(ts, "microseconds", json_object_new_int64(now % G_USEC_PER_SEC));
        json_object_object_add(ev, "timestamp", ts);
        qmp_client_send(c, ev);
        sent = true;
    }
    g_debug("event %s%s", name, sent ? "" : " (no client to tell)");
    json_object_put(data);
    qmp_reap(qmp);
}

void qmp_event_device_deleted(QmpServer *qmp, const char *id, const char *path)
{
    json_object *data = json_object_new_object();

    if (id) {
        json_object_object_add(data, "device", json_object_new_string(id));
    }
    json_object_object_add(data, "path", json_object_new_string(path));
    qmp_server_emit_event(qmp, "DEVICE_DELETED", data);
}

void qmp_event_device_failed(QmpServer *qmp, const char *id, const char *reason)
{
    json_object *data = json_object_new_object();

    json_object_object_add(data, "device", json_object_new_string(id ? id : ""));
    json_object_object_add(data, "reason", json_object_new_string(reason));
    qmp_server_emit_event(qmp, "X_ARMPASS_DEVICE_FAILED", data);
}

void qmp_server_flush(QmpServer *qmp, int timeout_ms)
{
    gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

    for (GList *l = qmp ? qmp->clients : NULL; l; l = l->next) {
        QmpClient *c = l->data;
        while (c->out->len > 0 && !c->dead) {
            gint64 left = (end - g_get_monotonic_time()) / 1000;
            struct pollfd p = { .fd = c->fd, .events = POLLOUT };
            if (left <= 0 || poll(&p, 1, (int)left) <= 0) {
                break;
            }
            qmp_client_flush(c);
        }
    }
}

/* ---- built-in commands ------------------------------------------------------------------- */

static bool qmp_cmd_capabilities(QmpServer *qmp, json_object *args, json_object **ret,
                                 void *opaque, GError **errp)
{
    json_object *enable = NULL;

    (void)qmp, (void)ret, (void)opaque;
    if (json_object_object_get_ex(args, "enable", &enable)) {
        if (!json_object_is_type(enable, json_type_array)) {
            g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC,
                        "Invalid parameter type for 'enable', expected: array");
            return false;
        }
        if (json_object_array_length(enable) > 0) {
            json_object *cap = json_object_array_get_idx(enable, 0);
            g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC,
                        "Capability '%s' not available (armpass offers none)",
                        json_object_get_string(cap));
            return false;
        }
    }
    return true;
}

static bool qmp_cmd_query_version(QmpServer *qmp, json_object *args, json_object **ret,
                                  void *opaque, GError **errp)
{
    (void)qmp, (void)args, (void)opaque, (void)errp;
    *ret = qmp_version_object();
    return true;
}

static bool qmp_cmd_query_commands(QmpServer *qmp, json_object *args, json_object **ret,
                                   void *opaque, GError **errp)
{
    json_object *list = json_object_new_array();

    (void)args, (void)opaque, (void)errp;
    for (guint i = 0; i < qmp->order->len; i++) {
        const char *name = g_ptr_array_index(qmp->order, i);
        json_object *o;
        if (!g_hash_table_contains(qmp->commands, name)) {
            continue;
        }
        o = json_object_new_object();
        json_object_object_add(o, "name", json_object_new_string(name));
        json_object_array_add(list, o);
    }
    *ret = list;
    return true;
}

/* getfd / closefd: the client is the opaque (built-in commands are registered without one). */
static bool qmp_cmd_getfd(QmpServer *qmp, json_object *args, json_object **ret, void *opaque,
                          GError **errp)
{
    QmpClient *c = opaque;
    const char *name = json_object_get_string(json_object_object_get(args, "fdname"));
    int fd;

    (void)ret;
    if (g_queue_is_empty(&c->fds)) {
        g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC,
                    "No file descriptor supplied via SCM_RIGHTS");
        return false;
    }
    if (name[0] == '\0' || g_ascii_isdigit(name[0])) {
        g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC,
                    "Parameter 'fdname' expects a name not starting with a digit");
        return false;
    }
    fd = GPOINTER_TO_INT(g_queue_pop_head(&c->fds));
    g_hash_table_replace(qmp->fds, g_strdup(name), GINT_TO_POINTER(fd));
    g_debug("getfd: %s is fd %d", name, fd);
    return true;
}

static bool qmp_cmd_closefd(QmpServer *qmp, json_object *args, json_object **ret,
                            void *opaque, GError **errp)
{
    const char *name = json_object_get_string(json_object_object_get(args, "fdname"));
    int fd = qmp_server_take_fd(qmp, name);

    (void)ret, (void)opaque;
    if (fd < 0) {
        g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC, "File descriptor named '%s' not found",
                    name);
        return false;
    }
    close(fd);
    return true;
}

int qmp_server_take_fd(QmpServer *qmp, const char *name)
{
    gpointer key, value;

    if (!g_hash_table_lookup_extended(qmp->fds, name, &key, &value)) {
        return -1;
    }
    g_hash_table_steal(qmp->fds, name);
    g_free(key);
    return GPOINTER_TO_INT(value);
}

static const QmpArg qmp_args_capabilities[] = { { "enable", QMP_ARG_ANY, false }, { NULL } };
static const QmpArg qmp_args_fdname[] = { { "fdname", QMP_ARG_STR, true }, { NULL } };

static const QmpCommand qmp_builtin[] = {
    { "qmp_capabilities", qmp_cmd_capabilities, qmp_args_capabilities, false },
    { "query-version", qmp_cmd_query_version, NULL, false },
    { "query-commands", qmp_cmd_query_commands, NULL, false },
    { "getfd", qmp_cmd_getfd, qmp_args_fdname, false },
    { "closefd", qmp_cmd_closefd, qmp_args_fdname, false },
};

/* ---- the server -------------------------------------------------------------------------- */

void qmp_server_register(QmpServer *qmp, const QmpCommand *cmd, void *opaque)
{
    QmpEntry *e = g_new0(QmpEntry, 1);
    bool listed = false;

    e->cmd = cmd;
    e->opaque = opaque;
    g_hash_table_replace(qmp->commands, g_strdup(cmd->name), e);
    for (guint i = 0; i < qmp->order->len && !listed; i++) {
        listed = strcmp(g_ptr_array_index(qmp->order, i), cmd->name) == 0;
    }
    if (!listed) {
        g_ptr_array_add(qmp->order, g_strdup(cmd->name));
    }
}

void qmp_server_unregister(QmpServer *qmp, const char *name)
{
    g_hash_table_remove(qmp->commands, name);
}

static void qmp_close_fd_value(gpointer p)
{
    close(GPOINTER_TO_INT(p));
}

QmpServer *qmp_server_new(GMainContext *ctx)
{
    QmpServer *qmp = g_new0(QmpServer, 1);
    json_tokener *tok;

    qmp->ctx = ctx ? g_main_context_ref(ctx) : g_main_context_ref(g_main_context_default());
    qmp->listen_fd = -1;
    qmp->commands = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    qmp->order = g_ptr_array_new_with_free_func(g_free);
    qmp->fds = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, qmp_close_fd_value);
    for (size_t i = 0; i < G_N_ELEMENTS(qmp_builtin); i++) {
        qmp_server_register(qmp, &qmp_builtin[i], NULL);
    }
    /* json-c allocates its tokener's first buffers and looks up the locale on first use:
     * done now, before -sandbox on limits what the run loop may call. */
    tok = json_tokener_new();
    json_object_put(json_tokener_parse_ex(tok, "{\"a\": 1.5}", 10));
    json_tokener_free(tok);
    return qmp;
}

void qmp_server_free(QmpServer *qmp)
{
    if (!qmp) {
        return;
    }
    while (qmp->clients) {
        qmp_client_close(qmp->clients->data);
    }
    if (qmp->listen_source) {
        g_source_destroy(qmp->listen_source);
        g_source_unref(qmp->listen_source);
    }
    if (qmp->listen_fd >= 0) {
        close(qmp->listen_fd);
        if (!qmp->keep_file) {
            unlink(qmp->path);
        }
    }
    g_free(qmp->path);
    g_hash_table_unref(qmp->commands);
    g_ptr_array_unref(qmp->order);
    g_hash_table_unref(qmp->fds);
    g_main_context_unref(qmp->ctx);
    g_free(qmp);
}
