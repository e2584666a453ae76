/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The QMP control socket: QEMU's Machine Protocol, as QEMU speaks it, on a Unix socket.
 * The greeting, qmp_capabilities negotiation, execute / return / error with QEMU's error
 * classes, "id" echoed, events with timestamps. JSON is read and written with json-c
 * (its tokener takes the byte stream as it comes: objects split across reads, or several in
 * one read). The server runs in a GMainContext (armpass's main loop): it never blocks on a
 * client, and one client at a time is served (later ones queue in the listen backlog until
 * the current one leaves). Commands the machine provides are registered by it.
 * Source: QEMU's docs/interop/qmp-spec.rst (the wire protocol) and its QAPI schema
 * (qapi/ schema files: command and event names, reply shapes); unix(7) (SCM_RIGHTS).
 */
#ifndef ARMPASS_SYSTEM_QMP_H
#define ARMPASS_SYSTEM_QMP_H

#include <glib.h>
#include <json-c/json.h>
#include <stdbool.h>

/* QMP's error classes (qapi/error.json, QapiErrorClass): the GError codes of QMP_ERROR. */
typedef enum QmpErrorClass {
    QMP_ERROR_GENERIC,           /* "GenericError": everything else */
    QMP_ERROR_COMMAND_NOT_FOUND, /* "CommandNotFound" */
    QMP_ERROR_DEVICE_NOT_ACTIVE, /* "DeviceNotActive" */
    QMP_ERROR_DEVICE_NOT_FOUND,  /* "DeviceNotFound" */
    QMP_ERROR_KVM_MISSING_CAP,   /* "KVMMissingCap" */
} QmpErrorClass;

#define QMP_ERROR qmp_error_quark()
GQuark qmp_error_quark(void);
/* The class name a reply carries: "GenericError", "CommandNotFound", ... */
const char *qmp_error_class_name(QmpErrorClass cls);

typedef struct QmpServer QmpServer;

/* The type of one argument (QAPI's str, bool, int; QMP_ARG_ANY: any JSON value). */
typedef enum QmpArgType {
    QMP_ARG_STR,
    QMP_ARG_BOOL,
    QMP_ARG_INT,
    QMP_ARG_ANY,
} QmpArgType;

typedef struct QmpArg {
    const char *name;
    QmpArgType type;
    bool required;
} QmpArg;

/*
 * A command. args: the arguments object, already checked against the command's QmpArg list
 * (every required one there, each of its type, no other unless extra_args). Returns true
 * with *ret set to the "return" value (NULL means {}), or false with *errp in QMP_ERROR
 * (another domain is sent as GenericError).
 */
typedef bool (*QmpCommandFn)(QmpServer *qmp, json_object *args, json_object **ret,
                             void *opaque, GError **errp);

typedef struct QmpCommand {
    const char *name;
    QmpCommandFn fn;
    const QmpArg *args;   /* NULL-name-terminated; NULL: no arguments */
    bool extra_args;      /* members beyond args are the handler's (device_add properties) */
} QmpCommand;

/* A server with the built-in commands (qmp_capabilities, query-version, query-commands,
 * getfd, closefd) and no socket yet. ctx: where its sources go (NULL: the default). */
QmpServer *qmp_server_new(GMainContext *ctx);
/* Closes every client and the listening socket (and removes its file, unless
 * qmp_server_keep_socket_file), closes the descriptors kept by getfd. NULL is fine. */
void qmp_server_free(QmpServer *qmp);

/*
 * Listens on the Unix stream socket path (unix(7)); a stale socket file there is replaced.
 * Call before -sandbox on: it needs socket, bind and listen, which the run loop's filter
 * does not allow (accepting is allowed). Errors: the path is too long (more than 107
 * bytes), exists and is not a socket, or socket/bind/listen failed (errno text).
 */
bool qmp_server_listen_unix(QmpServer *qmp, const char *path, GError **errp);
/* Under -sandbox on unlink(2) is refused: the socket file is then left behind at exit (the
 * next start replaces it). */
void qmp_server_keep_socket_file(QmpServer *qmp);
/* Serves an already connected stream socket (an accepted one, or one end of a socketpair in
 * tests): sends the greeting. The server owns fd from now on. */
void qmp_server_add_client(QmpServer *qmp, int fd);
/* How many clients are connected. */
unsigned qmp_server_nr_clients(QmpServer *qmp);

/* Adds (or replaces, by name) a command; cmd must outlive the server or its unregistering. */
void qmp_server_register(QmpServer *qmp, const QmpCommand *cmd, void *opaque);
void qmp_server_unregister(QmpServer *qmp, const char *name);

/*
 * Sends event name to every client past negotiation, with data (taken; NULL: no "data"
 * member) and the time now as {"seconds", "microseconds"} since the Epoch (CLOCK_REALTIME,
 * as QEMU). The context's thread only.
 */
void qmp_server_emit_event(QmpServer *qmp, const char *name, json_object *data);
/* DEVICE_DELETED {"device": id (omitted if NULL), "path": path}: for device_del, once the
 * guest has let the device go (PCI hot-unplug). */
void qmp_event_device_deleted(QmpServer *qmp, const char *id, const char *path);
/* X_ARMPASS_DEVICE_FAILED {"device": id, "reason": why}: a device's backend failed while the
 * guest runs (a vhost-user backend that went away); the guest sees that device fail and
 * goes on. armpass's own event (QEMU has none for it): the X_ prefix says so. */
void qmp_event_device_failed(QmpServer *qmp, const char *id, const char *reason);

/* Writes what is still queued for the clients, waiting at most timeout_ms in all: before
 * armpass exits, so that the last reply and SHUTDOWN reach them. */
void qmp_server_flush(QmpServer *qmp, int timeout_ms);

/* Takes the descriptor getfd stored under name (the caller owns it now), or -1 if there is
 * none. closefd is its only user so far: no command takes a descriptor by name yet
 * (device_add refuses fd=). */
int qmp_server_take_fd(QmpServer *qmp, const char *name);

#endif
