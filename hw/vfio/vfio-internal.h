/* SPDX-License-Identifier: GPL-2.0-only */
/* What the files of hw/vfio/ share among themselves and nobody else: the context, the
 * backend seam (legacy container.c, iommufd.c) and the DMA listener. */
#ifndef ARMPASS_HW_VFIO_VFIO_INTERNAL_H
#define ARMPASS_HW_VFIO_VFIO_INTERNAL_H

#include "hw/vfio/vfio-common.h"
#include "system/ratelimit.h"

/* A -object vfio-container: its descriptor until a device's group takes it. */
typedef struct VfioContainerObject {
    char *id;
    int fd;                /* -1 once a container took it (and closed it at its end) */
} VfioContainerObject;

struct VfioContext {
    const HostOps *ops;
    char *sysfs_root;      /* "/sys" */
    char *dev_root;        /* "/dev/vfio" */
    char *iommu_path;      /* "/dev/iommu" */
    AddressSpace *as;      /* what the DMA listeners follow; NULL: no DMA mappings */
    uint64_t page_size;    /* host page size, bytes */
    GPtrArray *containers; /* VfioContainer * */
    GPtrArray *groups;     /* VfioGroup * */
    GPtrArray *devices;    /* VfioDevice *, attached */
    GPtrArray *iommufds;   /* VfioIommufd *, every -object iommufd */
    GPtrArray *container_objects; /* VfioContainerObject * */
    RateLimit config_error_rl; /* vfio-pci's config-space errors, all devices together */
};

/*
 * The backend seam: what differs between the legacy path and iommufd is how a device's fd
 * is obtained and where its DMA goes. Regions, IRQs, resets and device-tree nodes are the
 * shared code of device.c, region.c, irq.c and the models.
 */
struct VfioBackend {
    const char *name;      /* "legacy", "iommufd" */
    /*
     * Gives dev (name, sysfs_path, group_id and noiommu set; not yet in ctx->devices) its
     * fd, and dev->dma when its DMA is mapped (guest RAM mapped by then, the listener
     * started). Nothing is left open on failure.
     */
    bool (*attach)(VfioDevice *dev, const VfioAttachOptions *o, GError **errp);
    /* Closes dev->fd and lets go of what attach took (DMA unmapped with the last user). */
    void (*detach)(VfioDevice *dev);
};

extern const VfioBackend vfio_backend_legacy;  /* container.c: groups, Type1v2/Type1/no-IOMMU */
extern const VfioBackend vfio_backend_iommufd; /* iommufd.c: cdev, IOAS */

/* context.c: the -object vfio-container called id, or NULL. */
VfioContainerObject *vfio_container_object_find(VfioContext *ctx, const char *id);
/* Whether id names an -object of either kind already (errp: EEXIST, "the id is taken"). */
bool vfio_context_id_taken(VfioContext *ctx, const char *id, GError **errp);

/* Sets errp to "vfio NAME: <message>" in VFIO_ERROR with code (an errno value). */
void vfio_set_error(GError **errp, int code, const char *devname, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);

/* What to do about a VFIO character device that would not open (errno err): "" or ": ...". */
const char *vfio_open_hint(int err);

/*
 * The group id (noiommu: /dev/vfio/noiommu-<id>) with one more user, opened (or group_fd,
 * checked, when >= 0), checked viable and placed in a container if this is its first user
 * (container_id: only that -object vfio-container; NULL: a container armpass opened).
 * devname names the device in messages.
 */
VfioGroup *vfio_group_get(VfioContext *ctx, int id, bool noiommu, int group_fd,
                          const char *container_id, const char *devname, GError **errp);
/* One user less (devname, for messages): at the last, the group leaves its container and
 * closes (and the container with it when it was the container's last group). */
void vfio_group_put(VfioGroup *group, const char *devname);

/* The context's iommufd object called id, or NULL. */
VfioIommufd *vfio_iommufd_find(VfioContext *ctx, const char *id);
void vfio_iommufd_free(VfioIommufd *io);
/* Adds io's part to *out (vfio_context_resources): an opened iommufd and its live mappings. */
void vfio_iommufd_add_resources(const VfioIommufd *io, VfioResources *out);

/*
 * Starts the DMA listener of s (listener.c): registered on ctx->as, it maps every RAM range
 * and replays the current view, each range first checked against s->valid_iovas. devname:
 * the device being attached, which its messages name with s's devices. Errors: a range the
 * IOMMU reserves (named, with what to do), a map ioctl failed (nothing stays mapped).
 */
bool vfio_listener_start(VfioDmaSpace *s, const char *devname, GError **errp);
/* Unregisters it, unmapping everything it mapped (devname: the device being detached, for
 * the messages). Safe when it was never started. */
void vfio_listener_stop(VfioDmaSpace *s, const char *devname);
/*
 * Checks [iova, iova + size) (bytes) against s->valid_iovas: true when it lies wholly in one
 * range (or none are known). Else errp says which range the IOMMU reserves and what to do;
 * what names the mapping ("guest RAM \"ram\""), label the devices.
 */
bool vfio_dma_check_iova(const VfioDmaSpace *s, uint64_t iova, uint64_t size,
                         const char *what, const char *label, GError **errp);
/* The devices whose DMA goes to s, "a,b" (g_free), then devname (the one being attached or
 * detached; NULL: none). */
char *vfio_dma_label(const VfioDmaSpace *s, const char *devname);

#endif
