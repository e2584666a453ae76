// SPDX-License-Identifier: GPL-2.0-only
/*
 * vhost-vsock-pci: a virtio socket device (virtio 1.2, 5.10) whose receive and transmit rings
 * the kernel's vhost-vsock serves (include/uapi/linux/vhost.h VHOST_VSOCK_SET_GUEST_CID,
 * VHOST_VSOCK_SET_RUNNING). The host is CID 2; the guest's is guest-cid=. The event queue
 * (transport resets, only sent on migration) stays with armpass, which never sends one.
 */
#define G_LOG_DOMAIN "armpass-virtio"
#include "hw/virtio/virtio-devices.h"

#include "hw/virtio/vhost.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/vhost.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define VSOCK_QUEUE_SIZE 128

typedef struct VhostVsockPci {
    DeviceState parent;
    uint64_t guest_cid;
    bool guest_cid_set;
    char *addr;
    VirtioPci vp;
    VhostBackend be;
    char *label;
} VhostVsockPci;

static const Property vhost_vsock_props[] = {
    { "guest-cid", PROP_UINT64, offsetof(VhostVsockPci, guest_cid),
      offsetof(VhostVsockPci, guest_cid_set),
      "the guest's context ID, 3 or more, unique on the host (required)" },
    { "addr", PROP_STRING, offsetof(VhostVsockPci, addr), 0,
      "slot and function on the root bus SLOT[.FN] in hex (default: the first free slot)" },
    PROP_END,
};

static bool set_running(VhostVsockPci *d, int on, GError **errp)
{
    d->be.request_count++;
    if (ioctl(d->be.fd, VHOST_VSOCK_SET_RUNNING, &on) < 0) {
        g_set_error(errp, VHOST_ERROR, errno, "%s: VHOST_VSOCK_SET_RUNNING %d: %s", d->label, on,
                    g_strerror(errno));
        return false;
    }
    return true;
}

static bool vsock_start(VirtioPci *vp, GError **errp)
{
    VhostVsockPci *d = vp->opaque;

    if (!vhost_start(&d->be, vp, 2, d->be.features, 0, false, errp)) {
        return false;
    }
    if (!set_running(d, 1, errp)) {
        vhost_stop(&d->be);
        return false;
    }
    return true;
}

static void vsock_stop(VirtioPci *vp)
{
    VhostVsockPci *d = vp->opaque;

    if (d->be.started) {
        set_running(d, 0, NULL);
        vhost_stop(&d->be);
    }
}

static void vsock_print_stats(VirtioPci *vp, GString *out)
{
    VhostVsockPci *d = vp->opaque;

    g_string_append_printf(out, "  virtio %s backend: %s, %" PRIu64 " requests\n", vp->name,
                           d->label, d->be.request_count);
}

static const VirtioPciModel vsock_model = {
    .device_id = VIRTIO_ID_VSOCK,
    .class_code = 0xff0000, /* other (as QEMU's vhost-vsock-pci) */
    .start = vsock_start,
    .stop = vsock_stop,
    .print_stats = vsock_print_stats,
};

static bool vhost_vsock_realize(DeviceState *dev, MachineState *ms, GError **errp)
{
    VhostVsockPci *d = (VhostVsockPci *)dev;
    uint64_t cid = d->guest_cid;
    int devfn;

    d->be.fd = -1;
    if (!d->guest_cid_set || cid < 3 || cid >= 0xffffffffULL) {
        g_set_error(errp, VHOST_ERROR, EINVAL, "vhost-vsock-pci needs guest-cid=N, 3 to "
                    "4294967294 (0-2 are the hypervisor's, the local and the host's), e.g. "
                    "guest-cid=3");
        return false;
    }
    if (!pci_parse_addr(d->addr, &devfn, errp)) {
        return false;
    }
    d->label = g_strdup_printf("vhost-vsock %s (CID %" PRIu64 ")", dev->id, cid);
    d->be.label = d->label;
    d->be.ops = &vhost_kernel_ops;
    d->be.fd = open("/dev/vhost-vsock", O_RDWR | O_CLOEXEC);
    if (d->be.fd < 0) {
        g_set_error(errp, VHOST_ERROR, errno, "vhost-vsock-pci %s: /dev/vhost-vsock: %s (load "
                    "vhost_vsock: modprobe vhost_vsock)", dev->id, g_strerror(errno));
        goto fail;
    }
    if (!vhost_kernel_ops.set_owner(&d->be, errp) ||
        !vhost_kernel_ops.get_features(&d->be, &d->be.features, errp)) {
        goto fail;
    }
    if (ioctl(d->be.fd, VHOST_VSOCK_SET_GUEST_CID, &cid) < 0) {
        int err = errno;
        g_set_error(errp, VHOST_ERROR, err, "vhost-vsock-pci %s: guest-cid=%" PRIu64 ": %s%s",
                    dev->id, cid, g_strerror(err),
                    err == EADDRINUSE ? " (another VM on this host has that CID: give another)"
                                      : "");
        goto fail;
    }
    d->be.features &= (1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_RING_F_EVENT_IDX) |
                      (1ULL << VIRTIO_RING_F_INDIRECT_DESC);
    memcpy(d->vp.config, &cid, sizeof(cid)); /* le64 guest_cid (5.10.4) */
    d->vp.config_len = sizeof(cid);
    if (!virtio_pci_realize(&d->vp, ms, dev->id, &vsock_model, d, devfn, 3, VSOCK_QUEUE_SIZE,
                            d->be.features, errp)) {
        goto fail;
    }
    return true;
fail:
    vhost_close(&d->be);
    g_clear_pointer(&d->label, g_free);
    return false;
}

static void vhost_vsock_unrealize(DeviceState *dev, MachineState *ms)
{
    VhostVsockPci *d = (VhostVsockPci *)dev;

    (void)ms;
    virtio_pci_unrealize(&d->vp);
    vhost_close(&d->be);
    g_clear_pointer(&d->label, g_free);
}

static bool vhost_vsock_fdt(DeviceState *dev, MachineState *ms, void *fdt, GError **errp)
{
    (void)dev;
    (void)ms;
    (void)fdt;
    (void)errp;
    return true;
}

static void vhost_vsock_stats(DeviceState *dev, GString *out)
{
    virtio_pci_print_stats(&((VhostVsockPci *)dev)->vp, out);
}

const DeviceClass vhost_vsock_pci_device_class = {
    .name = "vhost-vsock-pci",
    .desc = "a virtio socket device (AF_VSOCK), its data path in the kernel's vhost-vsock",
    .instance_size = sizeof(VhostVsockPci),
    .props = vhost_vsock_props,
    .realize = vhost_vsock_realize,
    .fdt_node = vhost_vsock_fdt,
    .unrealize = vhost_vsock_unrealize,
    .print_stats = vhost_vsock_stats,
    .pci = true,
};
