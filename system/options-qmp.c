// SPDX-License-Identifier: GPL-2.0-only
/* The command line's QMP options: -qmp, -chardev socket and -mon (QEMU's spellings of one
 * control socket), checked against each other once the whole line is read. */
#include "system/options.h"

#include "options-internal.h"

#include <string.h>

/* server=on and wait=off, as QEMU spells a listening socket that does not wait for its first
 * client; anything else in ol (other than the keys in also) is refused. */
static bool qmp_socket_keys(const char *name, const char *arg, const OptList *ol,
                            const char *const *also, const char *example, GError **errp)
{
    const char *server = opt_list_get(ol, "server");
    const char *wait = opt_list_get(ol, "wait");
    bool on = false;

    for (guint i = 0; i < ol->pairs->len; i++) {
        const OptPair *pair = g_ptr_array_index(ol->pairs, i);
        bool known = strcmp(pair->key, "server") == 0 || strcmp(pair->key, "wait") == 0;
        for (const char *const *a = also; a && *a && !known; a++) {
            known = strcmp(pair->key, *a) == 0;
        }
        if (!known) {
            g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_UNKNOWN,
                        "%s %s: \"%s\" is not supported (e.g. %s)", name, arg, pair->key,
                        example);
            return false;
        }
    }
    if (!server || !parse_bool(server, &on, NULL) || !on) {
        g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                    "%s %s: armpass listens for QMP clients: give server=on (e.g. %s)", name,
                    arg, example);
        return false;
    }
    if (!wait || !parse_bool(wait, &on, NULL) || on) {
        g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                    "%s %s: armpass does not wait for a client before starting the guest: "
                    "give wait=off (e.g. %s)", name, arg, example);
        return false;
    }
    return true;
}

static bool qmp_set_path(ParseState *ps, const char *name, const char *arg, const char *path,
                         GError **errp)
{
    if (ps->cfg->qmp_path) {
        g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                    "%s %s: armpass serves one QMP socket, and %s is given already (keep one "
                    "-qmp or -mon)", name, arg, ps->cfg->qmp_path);
        return false;
    }
    ps->cfg->qmp_path = g_strdup(path);
    return true;
}

bool opt_qmp(ParseState *ps, const char *name, const char *arg, GError **errp)
{
    g_autoptr(OptList) ol = NULL;

    if (!opt_list_parse(arg, true, &ol, errp)) {
        g_prefix_error(errp, "%s %s: ", name, arg);
        return false;
    }
    if (!ol->first || !g_str_has_prefix(ol->first, "unix:") || ol->first[5] == '\0') {
        g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                    "%s %s: armpass's QMP socket is a Unix socket: give unix:PATH (e.g. %s)",
                    name, arg, QMP_EXAMPLE);
        return false;
    }
    return qmp_socket_keys(name, arg, ol, NULL, QMP_EXAMPLE, errp) &&
           qmp_set_path(ps, name, arg, ol->first + 5, errp);
}

bool opt_chardev(ParseState *ps, const char *name, const char *arg, GError **errp)
{
    static const char *const also[] = { "id", "path", NULL };
    g_autoptr(OptList) ol = NULL;
    const char *id, *path;

    if (!opt_list_parse(arg, true, &ol, errp)) {
        g_prefix_error(errp, "%s %s: ", name, arg);
        return false;
    }
    if (!ol->first || strcmp(ol->first, "socket") != 0) {
        g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_UNKNOWN,
                    "%s %s: the only backend is socket, for QMP (e.g. %s)", name, arg,
                    CHARDEV_EXAMPLE);
        return false;
    }
    id = opt_list_get(ol, "id");
    path = opt_list_get(ol, "path");
    if (!id || !*id || !path || !*path) {
        g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                    "%s %s: give id= and path= (e.g. %s)", name, arg, CHARDEV_EXAMPLE);
        return false;
    }
    if (!opt_list_get(ol, "server")) {
        /* A socket armpass connects to: a vhost-user backend's (-device vhost-user-*,
         * chardev=ID). */
        for (guint i = 0; i < ol->pairs->len; i++) {
            const OptPair *pair = g_ptr_array_index(ol->pairs, i);
            if (strcmp(pair->key, "id") && strcmp(pair->key, "path")) {
                g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_UNKNOWN,
                            "%s %s: \"%s\" is not supported (a socket armpass connects to "
                            "takes id= and path=; QMP's takes server=on,wait=off too)", name,
                            arg, pair->key);
                return false;
            }
        }
        if (g_hash_table_contains(ps->chardevs, id) ||
            g_hash_table_contains(ps->cfg->chardevs, id)) {
            g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                        "%s %s: a chardev with id \"%s\" is given already (give each its own "
                        "id)", name, arg, id);
            return false;
        }
        g_hash_table_insert(ps->cfg->chardevs, g_strdup(id), g_strdup(path));
        return true;
    }
    if (!qmp_socket_keys(name, arg, ol, also, CHARDEV_EXAMPLE, errp)) {
        return false;
    }
    if (g_hash_table_contains(ps->chardevs, id) || g_hash_table_contains(ps->cfg->chardevs, id)) {
        g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                    "%s %s: a chardev with id \"%s\" is given already (give each its own id)",
                    name, arg, id);
        return false;
    }
    g_hash_table_insert(ps->chardevs, g_strdup(id), g_strdup(path));
    return true;
}

bool opt_mon(ParseState *ps, const char *name, const char *arg, GError **errp)
{
    g_autoptr(OptList) ol = NULL;
    const char *chardev, *mode;

    if (!opt_list_parse(arg, false, &ol, errp)) {
        g_prefix_error(errp, "%s %s: ", name, arg);
        return false;
    }
    for (guint i = 0; i < ol->pairs->len; i++) {
        const OptPair *pair = g_ptr_array_index(ol->pairs, i);
        if (strcmp(pair->key, "chardev") != 0 && strcmp(pair->key, "mode") != 0) {
            g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_UNKNOWN,
                        "%s %s: \"%s\" is not supported (use chardev=ID,mode=control)", name,
                        arg, pair->key);
            return false;
        }
    }
    chardev = opt_list_get(ol, "chardev");
    mode = opt_list_get(ol, "mode");
    if (!chardev || !*chardev) {
        g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                    "%s %s: give chardev=ID, the id of a -chardev socket (e.g. -mon "
                    "chardev=qmp0,mode=control)", name, arg);
        return false;
    }
    if (!mode || strcmp(mode, "control") != 0) {
        g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                    "%s %s: armpass has no human monitor: give mode=control (QMP)", name, arg);
        return false;
    }
    g_ptr_array_add(ps->mon_chardevs, g_strdup(chardev));
    return true;
}

/* Once the whole command line is read (a -mon may come before its -chardev). */
bool qmp_options_resolve(ParseState *ps, GError **errp)
{
    for (guint i = 0; i < ps->mon_chardevs->len; i++) {
        const char *id = g_ptr_array_index(ps->mon_chardevs, i);
        const char *path = g_hash_table_lookup(ps->chardevs, id);
        g_autofree char *arg = g_strdup_printf("chardev=%s,mode=control", id);

        if (!path) {
            g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                        "-mon %s: no -chardev %s \"%s\" (add %s)", arg,
                        g_hash_table_contains(ps->cfg->chardevs, id)
                            ? "with server=on,wait=off has id" : "has id", id,
                        CHARDEV_EXAMPLE);
            return false;
        }
        if (!qmp_set_path(ps, "-mon", arg, path, errp)) {
            return false;
        }
    }
    if (ps->cfg->start_paused && !ps->cfg->qmp_path && !ps->cfg->dumpdtb) {
        g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                    "-S: the guest would wait for a QMP cont that nothing can send: add "
                    "-qmp unix:PATH,server=on,wait=off");
        return false;
    }
    return true;
}
