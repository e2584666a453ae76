// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci's reset at start (every boot: a guest reboot rebuilds the VM): a function-level
 * reset where the device has one, else a secondary bus reset when every device it would
 * touch is in a group armpass holds (legacy) or bound to the same iommufd (a cdev: the
 * kernel checks that itself, with no group fds), else a clear warning.
 * Source: include/uapi/linux/vfio.h (VFIO_DEVICE_RESET, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO,
 * VFIO_DEVICE_PCI_HOT_RESET), Documentation/driver-api/vfio.rst.
 */
#define G_LOG_DOMAIN "armpass-vfio"
#include "hw/vfio/vfio-pci.h"

#include "vfio-internal.h"
#include "system/notice.h"

#include <errno.h>
#include <string.h>

static VfioGroup *held_group(VfioContext *ctx, int id)
{
    for (guint i = 0; i < ctx->groups->len; i++) {
        VfioGroup *g = g_ptr_array_index(ctx->groups, i);

        if (g->id == id) {
            return g;
        }
    }
    return NULL;
}

/* The devices a bus reset of d would reset (VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, argsz
 * grown to the count the kernel asks for). NULL (errp set) when the kernel refuses. */
static struct vfio_pci_hot_reset_info *hot_reset_info(VfioPciDevice *d, GError **errp)
{
    const HostOps *ops = d->ms->ops;
    struct vfio_pci_hot_reset_info probe = { .argsz = sizeof(probe) };
    struct vfio_pci_hot_reset_info *info;
    size_t argsz;

    if (host_ioctl(ops, d->vdev->fd, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &probe) < 0 &&
        errno != ENOSPC) {
        g_set_error(errp, VFIO_ERROR, errno, "VFIO_DEVICE_GET_PCI_HOT_RESET_INFO: %s",
                       g_strerror(errno));
        return NULL;
    }
    argsz = sizeof(*info) + probe.count * sizeof(struct vfio_pci_dependent_device);
    info = g_malloc0(argsz);
    info->argsz = argsz;
    if (host_ioctl(ops, d->vdev->fd, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, info) < 0) {
        g_set_error(errp, VFIO_ERROR, errno, "VFIO_DEVICE_GET_PCI_HOT_RESET_INFO (%u "
                       "devices): %s", probe.count, g_strerror(errno));
        g_free(info);
        return NULL;
    }
    return info;
}

/* A secondary bus reset, when armpass holds every group it touches. Errors (without the
 * device's name: the caller gives it) say which group stands in the way, or what the kernel
 * refused. */
static bool hot_reset(VfioPciDevice *d, GError **errp)
{
    const HostOps *ops = d->ms->ops;
    g_autofree struct vfio_pci_hot_reset_info *info = hot_reset_info(d, errp);
    g_autofree struct vfio_pci_hot_reset *reset = NULL;
    g_autoptr(GArray) fds = g_array_new(FALSE, FALSE, sizeof(int32_t));
    size_t argsz;

    if (!info) {
        return false;
    }
    if (info->flags & VFIO_PCI_HOT_RESET_FLAG_DEV_ID) {
        /* A cdev (iommufd backend): every device the reset touches must be bound to the same
         * iommufd; then the reset takes no group fd (count 0). Linux 6.12 vfio.h. */
        struct vfio_pci_hot_reset none = { .argsz = sizeof(none) };

        if (!(info->flags & VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED)) {
            for (unsigned i = 0; i < info->count; i++) {
                const struct vfio_pci_dependent_device *dep = &info->devices[i];

                if (dep->devid == (uint32_t)VFIO_PCI_DEVID_NOT_OWNED) {
                    g_set_error(errp, VFIO_ERROR, EPERM, "a bus reset would also reset "
                                "%04x:%02x:%02x.%x, which armpass does not hold (pass it "
                                "through too, with the same iommufd=, or give it no driver)",
                                dep->segment, dep->bus, dep->devfn >> 3, dep->devfn & 7);
                    return false;
                }
            }
            g_set_error(errp, VFIO_ERROR, EPERM, "the kernel does not let armpass reset the "
                        "bus (VFIO_DEVICE_GET_PCI_HOT_RESET_INFO flags 0x%x)", info->flags);
            return false;
        }
        if (host_ioctl(ops, d->vdev->fd, VFIO_DEVICE_PCI_HOT_RESET, &none) < 0) {
            g_set_error(errp, VFIO_ERROR, errno, "VFIO_DEVICE_PCI_HOT_RESET (iommufd, no group "
                        "fds): %s", g_strerror(errno));
            return false;
        }
        g_debug("vfio %s: VFIO_DEVICE_PCI_HOT_RESET (%u devices, iommufd)", d->name,
                info->count);
        return true;
    }
    for (unsigned i = 0; i < info->count; i++) {
        const struct vfio_pci_dependent_device *dep = &info->devices[i];
        VfioGroup *g = held_group(d->vdev->ctx, (int)dep->group_id);

        if (!g) {
            g_set_error(errp, VFIO_ERROR, EPERM, "a bus reset would also reset "
                           "%04x:%02x:%02x.%x (IOMMU group %u), which armpass does not hold "
                           "(pass it through too, or give it no driver)", dep->segment,
                           dep->bus, dep->devfn >> 3, dep->devfn & 7, dep->group_id);
            return false;
        }
        bool seen = false; /* each group once */

        for (unsigned j = 0; j < fds->len; j++) {
            seen |= g_array_index(fds, int32_t, j) == g->fd;
        }
        if (!seen) {
            int32_t fd = g->fd;

            g_array_append_val(fds, fd);
        }
    }
    argsz = sizeof(*reset) + fds->len * sizeof(int32_t);
    reset = g_malloc0(argsz);
    reset->argsz = argsz;
    reset->count = fds->len;
    memcpy(reset->group_fds, fds->data, fds->len * sizeof(int32_t));
    if (host_ioctl(ops, d->vdev->fd, VFIO_DEVICE_PCI_HOT_RESET, reset) < 0) {
        g_set_error(errp, VFIO_ERROR, errno, "VFIO_DEVICE_PCI_HOT_RESET (%u groups): %s",
                       fds->len, g_strerror(errno));
        return false;
    }
    g_debug("vfio %s: VFIO_DEVICE_PCI_HOT_RESET (%u devices, %u groups)", d->name,
            info->count, fds->len);
    return true;
}

void vfio_pci_reset(VfioPciDevice *d)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *flr = NULL;

    if (d->vdev->flags & VFIO_DEVICE_FLAGS_RESET) {
        if (vfio_device_reset(d->vdev, &err)) {
            d->reset_kind = "function reset";
            return;
        }
        g_debug("%s: trying a bus reset", err->message);
        flr = g_strdup_printf("its function reset (VFIO_DEVICE_RESET) failed: %s",
                              g_strerror(err->code));
        g_clear_error(&err);
    }
    if (hot_reset(d, &err)) {
        d->reset_kind = "bus reset";
        return;
    }
    d->reset_kind = "none";
    armpass_notice("vfio %s: not reset: %s and %s; it starts as its last user left it",
                   d->name, flr ? flr : "it has no function reset (VFIO_DEVICE_RESET)",
                   err ? err->message : "no bus reset is possible");
}
