// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-net-pci on a tap, its receive and transmit rings in the kernel's vhost-net
 * (virtio 1.2, 5.1; include/uapi/linux/vhost.h VHOST_NET_SET_BACKEND; the tap's
 * Documentation/networking/tuntap.rst). armpass opens (or creates) the tap by name with
 * TUNSETIFF, or takes one a manager passed in, with a 12-byte virtio-net header
 * (TUNSETVNETHDRSZ) and no offloads; one queue pair, no control queue.
 */
#define G_LOG_DOMAIN "armpass-virtio"
#include "hw/virtio/virtio-devices.h"

#include "hw/virtio/vhost.h"
#include "system/options.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/if_tun.h>
#include <linux/vhost.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define NET_QUEUE_SIZE 256

typedef struct VirtioNetPci {
    DeviceState parent;
    char *netdev;
    char *mac;
    char *addr;
    VirtioPci vp;
    VhostBackend be;
    char *label;
    int tap_fd;             /* the netdev's (main.c keeps it open across boots) */
} VirtioNetPci;

static const Property virtio_net_props[] = {
    { "netdev", PROP_STRING, offsetof(VirtioNetPci, netdev), 0,
      "the id of the -netdev tap (required)" },
    { "mac", PROP_STRING, offsetof(VirtioNetPci, mac), 0,
      "the guest's MAC address, e.g. 52:54:00:12:34:56 (default: 52:54:00:12:34:NN)" },
    { "addr", PROP_STRING, offsetof(VirtioNetPci, addr), 0,
      "slot and function on the root bus SLOT[.FN] in hex (default: the first free slot)" },
    PROP_END,
};

/* What armpass offers the driver of what vhost-net can do (5.1.3): no offloads (the tap has
 * none), mergeable receive buffers, the MAC and link status. */
static const uint64_t net_features =
    (1ULL << VIRTIO_NET_F_MRG_RXBUF) | (1ULL << VIRTIO_RING_F_INDIRECT_DESC) |
    (1ULL << VIRTIO_RING_F_EVENT_IDX) | (1ULL << VIRTIO_F_VERSION_1);

static bool set_backend(VirtioNetPci *d, int fd, GError **errp)
{
    for (unsigned i = 0; i < 2; i++) {
        struct vhost_vring_file f = { i, fd };

        if (ioctl(d->be.fd, VHOST_NET_SET_BACKEND, &f) < 0) {
            g_set_error(errp, VHOST_ERROR, errno, "%s: VHOST_NET_SET_BACKEND (queue %u): %s",
                        d->label, i, g_strerror(errno));
            return false;
        }
    }
    return true;
}

static bool net_start(VirtioPci *vp, GError **errp)
{
    VirtioNetPci *d = vp->opaque;

    if (!vhost_start(&d->be, vp, 2, d->be.features, 0, false, errp)) {
        return false;
    }
    if (!set_backend(d, d->tap_fd, errp)) {
        vhost_stop(&d->be);
        return false;
    }
    return true;
}

static void net_stop(VirtioPci *vp)
{
    VirtioNetPci *d = vp->opaque;

    if (d->be.started) {
        set_backend(d, -1, NULL);
        vhost_stop(&d->be);
    }
}

static void net_print_stats(VirtioPci *vp, GString *out)
{
    VirtioNetPci *d = vp->opaque;

    g_string_append_printf(out, "  virtio %s backend: %s, %" PRIu64 " requests\n", vp->name,
                           d->label, d->be.request_count);
}

static const VirtioPciModel net_model = {
    .device_id = VIRTIO_ID_NET,
    .class_code = 0x020000, /* network, Ethernet */
    .start = net_start,
    .stop = net_stop,
    .print_stats = net_print_stats,
};

static bool parse_mac(const char *s, uint8_t mac[6])
{
    unsigned v[6];
    char extra;

    if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &extra) !=
        6) {
        return false;
    }
    for (unsigned i = 0; i < 6; i++) {
        if (v[i] > 0xff) {
            return false;
        }
        mac[i] = (uint8_t)v[i];
    }
    return !(mac[0] & 1); /* not a multicast address */
}

bool virtio_net_tap_open(ArmpassNetdev *n, GError **errp)
{
    struct ifreq ifr = { 0 };
    int hdr = (int)sizeof(struct virtio_net_hdr_v1);
    int fd;

    if (n->tap_fd >= 0) {
        return true;
    }
    if (n->fd >= 0) {
        fd = n->fd;
        if (ioctl(fd, TUNGETIFF, &ifr) < 0) {
            g_set_error(errp, VHOST_ERROR, errno, "-netdev %s: fd=%d is not a tap (TUNGETIFF: "
                        "%s): pass an open /dev/net/tun bound to a tap", n->id, n->fd,
                        g_strerror(errno));
            return false;
        }
        if (!(ifr.ifr_flags & IFF_VNET_HDR)) {
            g_set_error(errp, VHOST_ERROR, EINVAL, "-netdev %s: the tap passed in has no "
                        "IFF_VNET_HDR: open it with IFF_TAP|IFF_NO_PI|IFF_VNET_HDR", n->id);
            return false;
        }
    } else {
        fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
        if (fd < 0) {
            g_set_error(errp, VHOST_ERROR, errno, "-netdev %s: /dev/net/tun: %s (load the tun "
                        "module: modprobe tun)", n->id, g_strerror(errno));
            return false;
        }
        ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
        g_strlcpy(ifr.ifr_name, n->ifname, IFNAMSIZ);
        if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
            g_set_error(errp, VHOST_ERROR, errno, "-netdev %s: tap %s: TUNSETIFF: %s (if it "
                        "does not exist, create it first: ip tuntap add %s mode tap; creating "
                        "one needs CAP_NET_ADMIN)", n->id, n->ifname, g_strerror(errno),
                        n->ifname);
            close(fd);
            return false;
        }
    }
    if (ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0 || ioctl(fd, TUNSETOFFLOAD, 0) < 0) {
        g_set_error(errp, VHOST_ERROR, errno, "-netdev %s: tap %s: setting its virtio-net "
                    "header: %s", n->id, ifr.ifr_name, g_strerror(errno));
        if (fd != n->fd) {
            close(fd);
        }
        return false;
    }
    n->tap_fd = fd;
    g_free(n->tap_name);
    n->tap_name = g_strndup(ifr.ifr_name, IFNAMSIZ);
    return true;
}

static bool virtio_net_realize(DeviceState *dev, MachineState *ms, GError **errp)
{
    VirtioNetPci *d = (VirtioNetPci *)dev;
    const ArmpassNetdev *n = NULL;
    struct virtio_net_config cfg = { 0 };
    uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
    int devfn;

    d->be.fd = d->tap_fd = -1;
    for (guint i = 0; ms->cfg && d->netdev && i < ms->cfg->netdevs->len; i++) {
        const ArmpassNetdev *c = g_ptr_array_index(ms->cfg->netdevs, i);
        if (!strcmp(c->id, d->netdev)) {
            n = c;
        }
    }
    if (!n) {
        g_set_error(errp, VHOST_ERROR, ENOENT, "virtio-net-pci netdev=%s: no -netdev has that "
                    "id (add e.g. -netdev tap,id=%s,ifname=tap0,script=no,downscript=no,"
                    "vhost=on)", d->netdev ? d->netdev : "", d->netdev ? d->netdev : "n0");
        return false;
    }
    if (d->mac && !parse_mac(d->mac, mac)) {
        g_set_error(errp, VHOST_ERROR, EINVAL, "virtio-net-pci mac=%s is not a unicast MAC "
                    "address (e.g. mac=52:54:00:12:34:56)", d->mac);
        return false;
    }
    if (!pci_parse_addr(d->addr, &devfn, errp) ||
        !virtio_net_tap_open((ArmpassNetdev *)n, errp)) {
        goto fail;
    }
    d->tap_fd = n->tap_fd;
    d->label = g_strdup_printf("vhost-net %s (tap %s)", dev->id, n->tap_name);
    d->be.label = d->label;
    d->be.ops = &vhost_kernel_ops;
    d->be.fd = open("/dev/vhost-net", O_RDWR | O_CLOEXEC);
    if (d->be.fd < 0) {
        g_set_error(errp, VHOST_ERROR, errno, "virtio-net-pci %s: /dev/vhost-net: %s (load "
                    "vhost_net: modprobe vhost_net; armpass has no other network data path)",
                    dev->id, g_strerror(errno));
        goto fail;
    }
    if (!vhost_kernel_ops.set_owner(&d->be, errp) ||
        !vhost_kernel_ops.get_features(&d->be, &d->be.features, errp)) {
        goto fail;
    }
    if (!(d->be.features & (1ULL << VIRTIO_F_VERSION_1))) {
        g_set_error(errp, VHOST_ERROR, ENOTSUP, "%s: vhost-net does not offer VERSION_1", d->label);
        goto fail;
    }
    memcpy(cfg.mac, mac, 6);
    cfg.status = VIRTIO_NET_S_LINK_UP;
    cfg.max_virtqueue_pairs = 1;
    memcpy(d->vp.config, &cfg, sizeof(cfg));
    d->vp.config_len = sizeof(cfg);
    if (!virtio_pci_realize(&d->vp, ms, dev->id, &net_model, d, devfn, 2, NET_QUEUE_SIZE,
                            (d->be.features & net_features) | (1ULL << VIRTIO_NET_F_MAC) |
                                (1ULL << VIRTIO_NET_F_STATUS),
                            errp)) {
        goto fail;
    }
    /* MAC and STATUS are armpass's (config space), not vhost's: never passed to it */
    d->be.features &= net_features;
    return true;
fail:
    vhost_close(&d->be);
    d->tap_fd = -1;
    g_clear_pointer(&d->label, g_free);
    return false;
}

static void virtio_net_unrealize(DeviceState *dev, MachineState *ms)
{
    VirtioNetPci *d = (VirtioNetPci *)dev;

    (void)ms;
    virtio_pci_unrealize(&d->vp);
    vhost_close(&d->be);
    d->tap_fd = -1; /* the netdev's: it stays open for the next boot */
    g_clear_pointer(&d->label, g_free);
}

static bool virtio_net_fdt(DeviceState *dev, MachineState *ms, void *fdt, GError **errp)
{
    (void)dev;
    (void)ms;
    (void)fdt;
    (void)errp;
    return true;
}

static void virtio_net_stats(DeviceState *dev, GString *out)
{
    virtio_pci_print_stats(&((VirtioNetPci *)dev)->vp, out);
}

const DeviceClass virtio_net_pci_device_class = {
    .name = "virtio-net-pci",
    .desc = "a virtio network device on a tap, its data path in the kernel's vhost-net",
    .instance_size = sizeof(VirtioNetPci),
    .props = virtio_net_props,
    .realize = virtio_net_realize,
    .fdt_node = virtio_net_fdt,
    .unrealize = virtio_net_unrealize,
    .print_stats = virtio_net_stats,
    .pci = true,
};
