// SPDX-License-Identifier: GPL-2.0-only
/*
 * The iommufd backend: a device's cdev (/dev/vfio/devices/vfioN) bound to an iommufd
 * (/dev/iommu) and attached to the one IOAS of its -object iommufd, where the DMA listener
 * maps guest RAM. Source: Documentation/userspace-api/iommufd.rst, the cdev section of
 * Documentation/driver-api/vfio.rst, include/uapi/linux/iommufd.h and vfio.h (Linux 6.12).
 */
#define G_LOG_DOMAIN "armpass-vfio"
#include "vfio-internal.h"

#include "system/passfd.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/iommufd.h>
#include <stddef.h>
#include <string.h>

struct VfioIommufd {
    VfioContext *ctx;
    char *id;              /* -object iommufd,id= */
    int passed_fd;         /* fd=, until used; -1: none (armpass opens /dev/iommu); -2: the
                            * passed fd was used and closed */
    int fd;                /* the iommufd once a device used it; -1 before */
    bool fd_passed;
    uint32_t ioas_id;      /* IOMMU_IOAS_ALLOC's, shared by every device of the object */
    unsigned users;        /* devices attached to the IOAS */
    VfioDmaSpace dma;
};

/* ---- DMA: IOMMU_IOAS_MAP / UNMAP ----------------------------------------------------- */

static VfioIommufd *dma_iommufd(VfioDmaSpace *s)
{
    return (VfioIommufd *)(void *)((char *)s - offsetof(VfioIommufd, dma));
}

static const char *iommufd_dma_name(const VfioDmaSpace *s)
{
    (void)s;
    return "iommufd";
}

static int iommufd_dma_map(VfioDmaSpace *s, uint64_t iova, uint64_t size, uint64_t vaddr,
                           const char **ioctl_name)
{
    VfioIommufd *io = dma_iommufd(s);
    struct iommu_ioas_map map = {
        .size = sizeof(map),
        /* IOVA = guest-physical; executable as well: the design note in listener.c */
        .flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
                 IOMMU_IOAS_MAP_WRITEABLE,
        .ioas_id = io->ioas_id,
        .user_va = vaddr,
        .length = size,
        .iova = iova,
    };

    *ioctl_name = "IOMMU_IOAS_MAP";
    return host_ioctl(io->ctx->ops, io->fd, IOMMU_IOAS_MAP, &map);
}

static int iommufd_dma_unmap(VfioDmaSpace *s, uint64_t iova, uint64_t size,
                             const char **ioctl_name)
{
    VfioIommufd *io = dma_iommufd(s);
    struct iommu_ioas_unmap unmap = {
        .size = sizeof(unmap),
        .ioas_id = io->ioas_id,
        .iova = iova,
        .length = size,
    };

    *ioctl_name = "IOMMU_IOAS_UNMAP";
    if (host_ioctl(io->ctx->ops, io->fd, IOMMU_IOAS_UNMAP, &unmap) < 0) {
        if (errno != ENOENT) {
            return -1;
        }
        /* Nothing mapped there (a map that failed at run time): Type1 answers 0 bytes
         * unmapped, iommufd ENOENT. Either way there is nothing to undo. */
        g_debug("iommufd %s: IOMMU_IOAS_UNMAP (iova 0x%" PRIx64 ", size 0x%" PRIx64 "): nothing "
                "was mapped there", io->id, iova, size);
    }
    return 0;
}

static const VfioDmaOps iommufd_dma_ops = {
    .name = iommufd_dma_name,
    .map = iommufd_dma_map,
    .unmap = iommufd_dma_unmap,
};

/* ---- The objects --------------------------------------------------------------------- */

VfioIommufd *vfio_iommufd_find(VfioContext *ctx, const char *id)
{
    for (guint i = 0; i < ctx->iommufds->len; i++) {
        VfioIommufd *io = g_ptr_array_index(ctx->iommufds, i);

        if (!strcmp(io->id, id)) {
            return io;
        }
    }
    return NULL;
}

bool vfio_context_add_iommufd(VfioContext *ctx, const char *id, int fd, GError **errp)
{
    VfioIommufd *io;

    if (vfio_context_id_taken(ctx, id, errp)) {
        return false;
    }
    io = g_new0(VfioIommufd, 1);
    io->ctx = ctx;
    io->id = g_strdup(id);
    io->passed_fd = fd;
    io->fd = -1;
    io->dma.ctx = ctx;
    io->dma.ops = &iommufd_dma_ops;
    g_ptr_array_add(ctx->iommufds, io);
    return true;
}

/*
 * Once no device uses it (the last detached, or the first failed to attach): its IOAS
 * destroyed and its fd closed, as a container goes with its last group; the next device
 * opens /dev/iommu again. A passed fd is closed too, unless keep_passed (a failed first
 * attach: it goes back to the object, unused, and the context closes it).
 */
static void iommufd_release(VfioIommufd *io, bool keep_passed)
{
    const HostOps *ops = io->ctx->ops;
    struct iommu_destroy destroy = { .size = sizeof(destroy), .id = io->ioas_id };

    g_assert(io->users == 0 && !io->dma.listener_added);
    if (io->fd < 0) {
        return;
    }
    if (host_ioctl(ops, io->fd, IOMMU_DESTROY, &destroy) < 0) {
        g_warning("iommufd %s: IOMMU_DESTROY (IOAS %u): %s", io->id, io->ioas_id,
                  g_strerror(errno));
    }
    if (io->fd_passed && keep_passed) {
        g_debug("iommufd %s: IOAS %u destroyed, fd %d kept unused", io->id, io->ioas_id, io->fd);
        io->passed_fd = io->fd;
    } else {
        g_debug("iommufd %s: IOAS %u destroyed, closing fd %d (%" PRIu64 " DMA maps made)",
                io->id, io->ioas_id, io->fd, io->dma.dma_maps);
        ops->close(ops->opaque, io->fd);
        io->passed_fd = io->fd_passed ? -2 : -1;
    }
    io->fd = -1;
    io->fd_passed = false;
    if (io->dma.valid_iovas) {
        g_array_free(io->dma.valid_iovas, TRUE);
        io->dma.valid_iovas = NULL;
    }
}

void vfio_iommufd_add_resources(const VfioIommufd *io, VfioResources *out)
{
    if (io->fd < 0) {
        return;
    }
    out->iommufds++;
    out->dma_mappings += io->dma.dma_live;
    out->dma_bytes += io->dma.dma_live_bytes;
}

/* A passed fd that no device used is closed with the object. */
void vfio_iommufd_free(VfioIommufd *io)
{
    const HostOps *ops = io->ctx->ops;

    g_assert(io->users == 0 && io->fd < 0);
    if (io->passed_fd >= 0) {
        ops->close(ops->opaque, io->passed_fd);
    }
    g_free(io->id);
    g_free(io);
}

/* Opens the object's iommufd (or checks fd=) and allocates its IOAS, at its first use. */
static bool iommufd_open(VfioIommufd *io, const char *devname, GError **errp)
{
    VfioContext *ctx = io->ctx;
    const HostOps *ops = ctx->ops;
    struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
    g_autofree char *what = NULL;
    int fd;

    if (io->fd >= 0) {
        return true;
    }
    if (io->passed_fd == -2) {
        vfio_set_error(errp, EBADF, devname, "-object iommufd,id=%s: its fd= was closed when "
                       "its last device went", io->id);
        return false;
    }
    if (io->passed_fd >= 0) {
        g_autofree char *devfile = g_build_filename(ctx->sysfs_root, "class", "misc", "iommu",
                                                    "dev", NULL);
        g_autoptr(GError) err = NULL;

        what = g_strdup_printf("-object iommufd,id=%s,fd=%d", io->id, io->passed_fd);
        if (!passfd_check_chardev(ops, ctx->sysfs_root, io->passed_fd, what, devfile,
                                  "/dev/iommu (an iommufd)", &err)) {
            vfio_set_error(errp, err->code, devname, "%s", err->message);
            return false;
        }
        fd = io->passed_fd;
    } else {
        what = g_strdup(ctx->iommu_path);
        fd = ops->open(ops->opaque, ctx->iommu_path, O_RDWR);
        if (fd < 0) {
            int err = errno;

            if (err == ENOENT) {
                vfio_set_error(errp, err, devname, "iommufd=%s: open %s: %s: this kernel has no "
                               "iommufd (CONFIG_IOMMUFD, Linux 6.2 or later): use the legacy "
                               "group path (drop iommufd= from the -device)", io->id,
                               ctx->iommu_path, g_strerror(err));
            } else {
                vfio_set_error(errp, err, devname, "iommufd=%s: open %s: %s%s", io->id,
                               ctx->iommu_path, g_strerror(err), vfio_open_hint(err));
            }
            return false;
        }
    }
    if (host_ioctl(ops, fd, IOMMU_IOAS_ALLOC, &alloc) < 0) {
        int err = errno;

        vfio_set_error(errp, err, devname, "IOMMU_IOAS_ALLOC (%s): %s%s", what, g_strerror(err),
                       io->passed_fd >= 0 && (err == ENOTTY || err == EINVAL)
                           ? ": not an iommufd (pass an open /dev/iommu)" : "");
        if (io->passed_fd < 0) {
            ops->close(ops->opaque, fd);
        }
        return false;
    }
    io->fd = fd;
    io->fd_passed = io->passed_fd >= 0;
    io->passed_fd = -1;
    io->ioas_id = alloc.out_ioas_id;
    g_debug("vfio %s: iommufd %s: %s (fd %d), IOMMU_IOAS_ALLOC: IOAS %u", devname, io->id, what,
            fd, io->ioas_id);
    return true;
}

/* IOMMU_IOAS_IOVA_RANGES into io->dma.valid_iovas: what the attached devices' IOMMU can map
 * (their reserved regions, such as an SMMU's MSI window, left out). */
static bool iommufd_read_ranges(VfioIommufd *io, const char *devname, GError **errp)
{
    const HostOps *ops = io->ctx->ops;
    struct iommu_ioas_iova_ranges q = { .size = sizeof(q), .ioas_id = io->ioas_id };
    g_autofree struct iommu_iova_range *r = NULL;
    GArray *valid;

    for (unsigned attempt = 0;; attempt++) {
        int ret = host_ioctl(ops, io->fd, IOMMU_IOAS_IOVA_RANGES, &q);

        if (ret == 0) {
            break;
        }
        if (errno != EMSGSIZE || attempt > 0 || q.num_iovas > 4096) {
            int err = errno;

            vfio_set_error(errp, err, devname, "IOMMU_IOAS_IOVA_RANGES (IOAS %u): %s",
                           io->ioas_id, g_strerror(err));
            return false;
        }
        g_free(r);
        r = g_new0(struct iommu_iova_range, q.num_iovas);
        q.allowed_iovas = (uint64_t)(uintptr_t)r;
    }
    valid = g_array_new(FALSE, TRUE, sizeof(VfioIovaRange));
    for (unsigned i = 0; r && i < q.num_iovas; i++) {
        VfioIovaRange v = { r[i].start, r[i].last };

        g_array_append_val(valid, v);
        g_debug("vfio %s: IOMMU_IOAS_IOVA_RANGES (IOAS %u): 0x%" PRIx64 "-0x%" PRIx64, devname,
                io->ioas_id, v.start, v.last);
    }
    if (io->dma.valid_iovas) {
        g_array_free(io->dma.valid_iovas, TRUE);
    }
    io->dma.valid_iovas = valid;
    return true;
}

/* ---- The device's cdev --------------------------------------------------------------- */

/* "vfioN" of the device's cdev, from <sysfs_path>/vfio-dev/, or NULL with errp set. */
static char *cdev_name(VfioDevice *dev, GError **errp)
{
    g_autofree char *dir = g_build_filename(dev->sysfs_path, "vfio-dev", NULL);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *leaf;

    while (d && (leaf = g_dir_read_name(d))) {
        if (g_str_has_prefix(leaf, "vfio")) {
            return g_strdup(leaf);
        }
    }
    vfio_set_error(errp, ENODEV, dev->name, "no VFIO device cdev (%s has none): this kernel "
                   "lacks VFIO_DEVICE_CDEV (Linux 6.6 or later): use the legacy group path "
                   "(drop iommufd= from the -device)", dir);
    return NULL;
}

/* The device's cdev fd: fd= checked against sysfs, or <dev_root>/devices/vfioN opened. */
static int cdev_open(VfioDevice *dev, const VfioAttachOptions *o, GError **errp)
{
    VfioContext *ctx = dev->ctx;
    const HostOps *ops = ctx->ops;
    g_autofree char *leaf = cdev_name(dev, errp);
    g_autofree char *path = NULL;
    int fd;

    if (!leaf) {
        return -1;
    }
    path = g_build_filename(ctx->dev_root, "devices", leaf, NULL);
    if (o->device_fd >= 0) {
        g_autofree char *what = g_strdup_printf("fd=%d", o->device_fd);
        g_autofree char *devfile = g_build_filename(dev->sysfs_path, "vfio-dev", leaf, "dev",
                                                    NULL);
        g_autofree char *expect = g_strdup_printf("%s (the cdev of %s)", path, dev->name);
        g_autoptr(GError) err = NULL;

        if (!passfd_check_chardev(ops, ctx->sysfs_root, o->device_fd, what, devfile, expect,
                                  &err)) {
            vfio_set_error(errp, err->code, dev->name, "%s", err->message);
            return -1;
        }
        return o->device_fd;
    }
    fd = ops->open(ops->opaque, path, O_RDWR);
    if (fd < 0) {
        int err = errno;

        if (err == ENOENT) {
            vfio_set_error(errp, err, dev->name, "open %s: %s: sysfs lists the cdev %s but "
                           "there is no node for it (the kernel makes none for a no-IOMMU "
                           "device; is devtmpfs on /dev?): use the legacy group path (drop "
                           "iommufd= from the -device)", path, g_strerror(err), leaf);
        } else {
            vfio_set_error(errp, err, dev->name, "open %s: %s%s", path, g_strerror(err),
                           vfio_open_hint(err));
        }
        return -1;
    }
    g_debug("vfio %s: opened %s (fd %d)", dev->name, path, fd);
    return fd;
}

/* The message for a VFIO_DEVICE_BIND_IOMMUFD that failed with err. */
static const char *bind_hint(int err, bool fd_passed)
{
    switch (err) {
    case EBUSY:
        return ": another process holds the device (its VFIO group is open, e.g. by a VMM on "
               "the legacy path): stop it first";
    case EINVAL:
        return ": the device is already bound (another process has its cdev bound to an "
               "iommufd, or fd= was bound before): stop that process first";
    case EBADFD:
        return ": the iommufd is not one (pass an open /dev/iommu as -object iommufd,fd=)";
    case ENOTTY:
        return fd_passed ? ": fd= is not a VFIO device cdev (pass an open "
                           "/dev/vfio/devices/vfioN)" : "";
    default:
        return "";
    }
}

static bool iommufd_attach(VfioDevice *dev, const VfioAttachOptions *o, GError **errp)
{
    VfioContext *ctx = dev->ctx;
    const HostOps *ops = ctx->ops;
    VfioIommufd *io = vfio_iommufd_find(ctx, o->iommufd);
    struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
    struct vfio_device_attach_iommufd_pt attach = { .argsz = sizeof(attach) };
    bool passed = o->device_fd >= 0;
    int fd;

    if (!io) {
        vfio_set_error(errp, ENOENT, dev->name, "iommufd=%s: no -object iommufd,id=%s (add "
                       "one: -object iommufd,id=%s)", o->iommufd, o->iommufd, o->iommufd);
        return false;
    }
    if (!iommufd_open(io, dev->name, errp)) {
        return false;
    }
    fd = cdev_open(dev, o, errp);
    if (fd < 0) {
        goto fail_release;
    }
    bind.iommufd = io->fd;
    if (host_ioctl(ops, fd, VFIO_DEVICE_BIND_IOMMUFD, &bind) < 0) {
        int err = errno;

        vfio_set_error(errp, err, dev->name, "VFIO_DEVICE_BIND_IOMMUFD (%s%d, iommufd %s): %s%s",
                       passed ? "fd=" : "cdev fd ", fd, io->id, g_strerror(err),
                       bind_hint(err, passed));
        goto fail_close;
    }
    g_debug("vfio %s: VFIO_DEVICE_BIND_IOMMUFD (fd %d, iommufd %s): devid %u", dev->name, fd,
            io->id, bind.out_devid);
    attach.pt_id = io->ioas_id;
    if (host_ioctl(ops, fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach) < 0) {
        int err = errno;

        vfio_set_error(errp, err, dev->name, "VFIO_DEVICE_ATTACH_IOMMUFD_PT (IOAS %u of iommufd "
                       "%s): %s%s", io->ioas_id, io->id, g_strerror(err),
                       err == EADDRINUSE ? ": guest RAM already mapped there for another device "
                       "lies in a range this device's IOMMU reserves (give this device its own "
                       "-object iommufd)" : "");
        goto fail_unbind;
    }
    g_debug("vfio %s: VFIO_DEVICE_ATTACH_IOMMUFD_PT: IOAS %u (devid %u)", dev->name,
            attach.pt_id, bind.out_devid);
    dev->fd = fd;
    dev->fd_passed = passed;
    dev->devid = bind.out_devid;
    dev->iommufd = io;
    if (!iommufd_read_ranges(io, dev->name, errp)) {
        goto fail_detach;
    }
    if (io->users == 0 && ctx->as && !vfio_listener_start(&io->dma, dev->name, errp)) {
        goto fail_detach;
    }
    io->users++;
    dev->dma = io->dma.listener_added ? &io->dma : NULL;
    return true;

fail_detach:
    dev->iommufd = NULL;
    dev->fd = -1;
    {
        struct vfio_device_detach_iommufd_pt detach = { .argsz = sizeof(detach) };

        if (host_ioctl(ops, fd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &detach) < 0) {
            g_warning("vfio %s: VFIO_DEVICE_DETACH_IOMMUFD_PT: %s", dev->name,
                      g_strerror(errno));
        }
    }
fail_unbind:
    ops->close(ops->opaque, fd); /* unbinds, even a passed one: it was bound by us */
    goto fail_release;
fail_close:
    if (!passed) {
        ops->close(ops->opaque, fd);
    }
fail_release:
    if (io->users == 0) {
        iommufd_release(io, true);
    }
    return false;
}

static void iommufd_detach(VfioDevice *dev)
{
    const HostOps *ops = dev->ctx->ops;
    VfioIommufd *io = dev->iommufd;
    struct vfio_device_detach_iommufd_pt detach = { .argsz = sizeof(detach) };

    if (host_ioctl(ops, dev->fd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &detach) < 0) {
        g_warning("vfio %s: VFIO_DEVICE_DETACH_IOMMUFD_PT: %s", dev->name, g_strerror(errno));
    }
    g_debug("vfio %s: closing cdev fd %d (unbinds it from iommufd %s)", dev->name, dev->fd,
            io->id);
    ops->close(ops->opaque, dev->fd);
    dev->fd = -1;
    g_assert(io->users > 0);
    if (--io->users == 0) {
        /* The last device: guest RAM unmapped, the IOAS destroyed, the iommufd closed. */
        vfio_listener_stop(&io->dma, dev->name);
        iommufd_release(io, false);
    }
    dev->iommufd = NULL;
    dev->dma = NULL;
}

const VfioBackend vfio_backend_iommufd = {
    .name = "iommufd",
    .attach = iommufd_attach,
    .detach = iommufd_detach,
};
