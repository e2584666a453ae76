// SPDX-License-Identifier: GPL-2.0-only
/* The command line's -netdev tap (QEMU's spelling; armpass runs no scripts and has only the
 * vhost-net data path). */
#include "system/options.h"

#include "options-internal.h"

#include <string.h>

/* -netdev tap,id=ID,ifname=NAME|fd=N,script=no,downscript=no,vhost=on (QEMU's spelling; armpass
 * runs no scripts and has only the vhost-net data path). */
bool opt_netdev(ParseState *ps, const char *name, const char *arg, GError **errp)
{
    g_autoptr(OptList) ol = NULL;
    ArmpassNetdev *n;
    const char *id, *ifname, *fd, *vhost;
    bool on = true;

    if (!opt_list_parse(arg, true, &ol, errp)) {
        g_prefix_error(errp, "%s %s: ", name, arg);
        return false;
    }
    if (!ol->first || strcmp(ol->first, "tap") != 0) {
        g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_UNKNOWN,
                    "%s %s: the only network backend is tap (e.g. %s)", name, arg,
                    NETDEV_EXAMPLE);
        return false;
    }
    for (guint i = 0; i < ol->pairs->len; i++) {
        const OptPair *pair = g_ptr_array_index(ol->pairs, i);
        static const char *const keys[] = { "id", "ifname", "fd", "vhost", "script",
                                            "downscript" };
        bool known = false;

        for (unsigned k = 0; k < G_N_ELEMENTS(keys); k++) {
            known |= strcmp(pair->key, keys[k]) == 0;
        }
        if (!known) {
            g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_UNKNOWN,
                        "%s %s: \"%s\" is not supported (tap takes id, ifname or fd, "
                        "script=no, downscript=no, vhost=on)", name, arg, pair->key);
            return false;
        }
        if ((!strcmp(pair->key, "script") || !strcmp(pair->key, "downscript")) &&
            strcmp(pair->value, "no") != 0) {
            g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                        "%s %s: %s=%s: armpass runs no scripts: give %s=no and set the tap up "
                        "yourself (ip link set TAP up)", name, arg, pair->key, pair->value,
                        pair->key);
            return false;
        }
    }
    id = opt_list_get(ol, "id");
    ifname = opt_list_get(ol, "ifname");
    fd = opt_list_get(ol, "fd");
    vhost = opt_list_get(ol, "vhost");
    if (!id || !*id) {
        g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                    "%s %s: needs id=NAME, which -device virtio-net-pci,netdev= names (e.g. %s)",
                    name, arg, NETDEV_EXAMPLE);
        return false;
    }
    if (!ifname == !fd || (ifname && !*ifname)) {
        g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                    "%s %s: give the tap by ifname=NAME or fd=N, one of them (e.g. %s)", name,
                    arg, NETDEV_EXAMPLE);
        return false;
    }
    if (vhost && (!parse_bool(vhost, &on, NULL) || !on)) {
        g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                    "%s %s: armpass's only network data path is the kernel's vhost-net: give "
                    "vhost=on", name, arg);
        return false;
    }
    for (guint i = 0; i < ps->cfg->netdevs->len; i++) {
        if (!strcmp(((ArmpassNetdev *)g_ptr_array_index(ps->cfg->netdevs, i))->id, id)) {
            g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                        "%s %s: a netdev with id \"%s\" is given already", name, arg, id);
            return false;
        }
    }
    n = g_new0(ArmpassNetdev, 1);
    n->fd = -1;
    n->tap_fd = -1;
    if (fd && !options_parse_fd(name, arg, fd, &n->fd, errp)) {
        g_free(n);
        return false;
    }
    n->id = g_strdup(id);
    n->ifname = g_strdup(ifname);
    n->vhost = true;
    ps->cfg->fds_passed |= n->fd >= 0;
    g_ptr_array_add(ps->cfg->netdevs, n);
    return true;
}
