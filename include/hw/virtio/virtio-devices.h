/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The virtio device models (docs/virtio.md): each a virtio PCI device (hw/virtio/virtio-pci.h)
 * whose queues a vhost backend serves, so that no I/O goes through armpass.
 *   vhost-user-blk-pci  a block device; the backend is another process over vhost-user
 *                       (qemu-storage-daemon), -chardev socket,id=ID,path=SOCK, chardev=ID
 *   virtio-net-pci      a network device on a tap, its rings in the kernel's vhost-net,
 *                       -netdev tap,id=ID,ifname=NAME,vhost=on, netdev=ID
 *   vhost-vsock-pci     a vsock device, its rings in the kernel's vhost-vsock, guest-cid=N
 */
#ifndef ARMPASS_HW_VIRTIO_VIRTIO_DEVICES_H
#define ARMPASS_HW_VIRTIO_VIRTIO_DEVICES_H

#include "hw/core/device.h"
#include "hw/virtio/virtio-pci.h"
#include "system/options.h"

extern const DeviceClass vhost_user_blk_pci_device_class;
extern const DeviceClass virtio_net_pci_device_class;
extern const DeviceClass vhost_vsock_pci_device_class;

/*
 * Opens -netdev n's tap once for every boot of the guest (n->tap_fd, n->tap_name): by name
 * with TUNSETIFF (IFF_TAP|IFF_NO_PI|IFF_VNET_HDR; it creates the tap with CAP_NET_ADMIN), or
 * n->fd passed in (checked with TUNGETIFF); a 12-byte virtio-net header, no offloads. Kept
 * open across guest reboots so that the tap, and what the host set on it, stays. Errors: no
 * /dev/net/tun, TUNSETIFF refused (with the command that creates the tap), not a tap.
 * Source: Documentation/networking/tuntap.rst; include/uapi/linux/if_tun.h.
 */
bool virtio_net_tap_open(ArmpassNetdev *n, GError **errp);

/* A device's backend failed while the guest runs: tells the machine (QMP event). */
static inline void virtio_device_failed(MachineState *ms, const char *id, const char *reason)
{
    if (ms->device_failed) {
        ms->device_failed(ms->device_deleted_opaque, id, reason);
    }
}

#endif
