/* SPDX-License-Identifier: GPL-2.0-only */
/* What the files of hw/vfio/ share among themselves and nobody else: the context, the
 * group/container life cycle and the DMA listener. */
#ifndef ARMPASS_HW_VFIO_VFIO_INTERNAL_H
#define ARMPASS_HW_VFIO_VFIO_INTERNAL_H

#include "hw/vfio/vfio-common.h"

struct VfioContext {
    const HostOps *ops;
    char *sysfs_root;      /* "/sys" */
    char *dev_root;        /* "/dev/vfio" */
    AddressSpace *as;      /* what the DMA listeners follow; NULL: no DMA mappings */
    uint64_t page_size;    /* host page size, bytes */
    GPtrArray *containers; /* VfioContainer * */
    GPtrArray *groups;     /* VfioGroup * */
    GPtrArray *devices;    /* VfioDevice *, attached */
    const char *current;   /* the device being attached or detached, for the listener's
                            * messages */
};

/* Sets errp to "vfio NAME: <message>" in VFIO_ERROR with code (an errno value). */
void vfio_set_error(GError **errp, int code, const char *devname, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);

/*
 * The group id (noiommu: /dev/vfio/noiommu-<id>) with one more user, opened, checked viable
 * and placed in a container if this is its first user. devname names the device in messages.
 */
VfioGroup *vfio_group_get(VfioContext *ctx, int id, bool noiommu, const char *devname,
                          GError **errp);
/* One user less (devname, for messages): at the last, the group leaves its container and
 * closes (and the container with it when it was the container's last group). */
void vfio_group_put(VfioGroup *group, const char *devname);

/* The DMA listener of a Type1 container (listener.c): registered on ctx->as, it maps every
 * RAM range and replays the current view. Errors: a VFIO_IOMMU_MAP_DMA failed (nothing stays
 * mapped). */
bool vfio_listener_start(VfioContainer *c, GError **errp);
/* Unregisters it, unmapping everything it mapped. Safe when it was never started. */
void vfio_listener_stop(VfioContainer *c);

#endif
