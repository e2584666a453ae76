// SPDX-License-Identifier: GPL-2.0-only
/* A VFIO device: found in sysfs, checked bound to vfio, opened through its group; its info,
 * IRQ control and pread/pwrite. */
#define G_LOG_DOMAIN "armpass-vfio"
#include "vfio-internal.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "system/passfd.h"

/* The largest VFIO_DEVICE_GET_REGION_INFO answer (struct + capabilities) believed. */
#define VFIO_REGION_INFO_MAX (1u << 20)

static bool valid_device_name(const char *name)
{
    return name && *name && !strchr(name, '/') && strcmp(name, ".") && strcmp(name, "..");
}

char *vfio_find_sysfs_device(VfioContext *ctx, const char *name, GError **errp)
{
    g_autofree char *platform = NULL, *amba = NULL;

    if (!valid_device_name(name)) {
        vfio_set_error(errp, EINVAL, name ? name : "(null)", "not a device name (like "
                       "9010000.pl031)");
        return NULL;
    }
    platform = g_build_filename(ctx->sysfs_root, "bus", "platform", "devices", name, NULL);
    amba = g_build_filename(ctx->sysfs_root, "bus", "amba", "devices", name, NULL);
    if (g_file_test(platform, G_FILE_TEST_EXISTS)) {
        g_debug("vfio %s: found at %s", name, platform);
        return g_steal_pointer(&platform);
    }
    if (g_file_test(amba, G_FILE_TEST_EXISTS)) {
        g_debug("vfio %s: found at %s", name, amba);
        return g_steal_pointer(&amba);
    }
    vfio_set_error(errp, ENOENT, name, "no such platform or AMBA device: looked in %s and %s",
                   platform, amba);
    return NULL;
}

/* ---- Attach and detach --------------------------------------------------------------- */

/* "pci" or "amba" when sysfs puts the device on that bus, else "platform". */
static const char *device_bus(const char *sysfs_path)
{
    g_autofree char *link = g_build_filename(sysfs_path, "subsystem", NULL);
    g_autofree char *target = g_file_read_link(link, NULL);

    if (target) {
        g_autofree char *bus = g_path_get_basename(target);

        return !strcmp(bus, "amba") ? "amba" : !strcmp(bus, "pci") ? "pci" : "platform";
    }
    return strstr(sysfs_path, "/bus/amba/") ? "amba"
           : strstr(sysfs_path, "/bus/pci/") ? "pci"
                                             : "platform";
}

/* The vfio driver for a bus: vfio-pci, vfio-amba or vfio-platform. */
static const char *bus_vfio_driver(const char *bus)
{
    return !strcmp(bus, "amba") ? "vfio-amba" : !strcmp(bus, "pci") ? "vfio-pci"
                                                                     : "vfio-platform";
}

/* Checks dev is bound to a vfio driver; the errors say how to bind it. */
static bool check_vfio_driver(VfioContext *ctx, const char *name, const char *sysfs_path,
                              GError **errp)
{
    const char *bus = device_bus(sysfs_path);
    const char *vfio_drv = bus_vfio_driver(bus);
    g_autofree char *link = g_build_filename(sysfs_path, "driver", NULL);
    g_autofree char *busdir = g_build_filename(ctx->sysfs_root, "bus", bus, NULL);
    g_autofree char *target = NULL, *driver = NULL;
    g_autoptr(GError) err = NULL;

    target = g_file_read_link(link, &err);
    if (!target) {
        if (g_error_matches(err, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
            vfio_set_error(errp, ENODEV, name, "%s has no driver: bind it to %s: echo %s > "
                           "%s/devices/%s/driver_override; echo %s > %s/drivers_probe", name,
                           vfio_drv, vfio_drv, busdir, name, name, busdir);
        } else {
            vfio_set_error(errp, EIO, name, "cannot tell its driver: %s", err->message);
        }
        return false;
    }
    driver = g_path_get_basename(target);
    if (!g_str_has_prefix(driver, "vfio")) {
        vfio_set_error(errp, EBUSY, name, "%s is bound to %s, not vfio: echo %s > "
                       "%s/drivers/%s/unbind; echo %s > %s/devices/%s/driver_override; "
                       "echo %s > %s/drivers_probe", name, driver, name, busdir, driver,
                       vfio_drv, busdir, name, name, busdir);
        return false;
    }
    g_debug("vfio %s: on the %s bus, bound to %s", name, bus, driver);
    return true;
}

/* The IOMMU group of the device: its id, and whether it is a no-IOMMU group. */
static bool device_iommu_group(const char *name, const char *sysfs_path, int *id,
                               bool *noiommu, GError **errp)
{
    g_autofree char *link = g_build_filename(sysfs_path, "iommu_group", NULL);
    g_autofree char *namefile = g_build_filename(sysfs_path, "iommu_group", "name", NULL);
    g_autofree char *target = NULL, *leaf = NULL, *gname = NULL;
    g_autoptr(GError) err = NULL;
    guint64 n;

    target = g_file_read_link(link, &err);
    if (!target) {
        vfio_set_error(errp, ENODEV, name, "no IOMMU group (%s): without an IOMMU, load vfio "
                       "with enable_unsafe_noiommu_mode=1 before binding the device to vfio",
                       err->message);
        return false;
    }
    leaf = g_path_get_basename(target);
    if (!g_ascii_string_to_unsigned(leaf, 10, 0, G_MAXINT, &n, NULL)) {
        vfio_set_error(errp, EINVAL, name, "%s points to %s: not an IOMMU group number", link,
                       target);
        return false;
    }
    *id = (int)n;
    *noiommu = g_file_get_contents(namefile, &gname, NULL, NULL) &&
               strstr(gname, "vfio-noiommu") != NULL;
    g_debug("vfio %s: IOMMU group %d%s", name, *id, *noiommu ? " (no-IOMMU)" : "");
    return true;
}

VfioDevice *vfio_device_attach(VfioContext *ctx, const char *sysfs_path, bool allow_noiommu,
                               GError **errp)
{
    VfioAttachOptions o = VFIO_ATTACH_OPTIONS_INIT;

    o.allow_noiommu = allow_noiommu;
    return vfio_device_attach_opts(ctx, sysfs_path, &o, errp);
}

bool vfio_attach_options_parse(const char *iommufd, const char *fd, const char *container,
                               const char *group_fd, bool allow_noiommu,
                               VfioAttachOptions *o, GError **errp)
{
    g_autoptr(GError) err = NULL;

    *o = (VfioAttachOptions)VFIO_ATTACH_OPTIONS_INIT;
    o->allow_noiommu = allow_noiommu;
    if (iommufd && !*iommufd) {
        g_set_error(errp, VFIO_ERROR, EINVAL, "iommufd= needs the id of an -object iommufd "
                    "(e.g. -object iommufd,id=iommufd0 ... iommufd=iommufd0)");
        return false;
    }
    if (fd && !iommufd) {
        g_set_error(errp, VFIO_ERROR, EINVAL, "fd=%s is the device's cdev, which only the "
                    "iommufd backend takes: add iommufd=NAME (and -object iommufd,id=NAME), or "
                    "for the legacy path pass the group with group-fd=", fd);
        return false;
    }
    if (iommufd && (container || group_fd)) {
        g_set_error(errp, VFIO_ERROR, EINVAL, "%s belongs to the legacy group path and "
                    "iommufd=%s to the iommufd one: give one of them",
                    container ? "container=" : "group-fd=", iommufd);
        return false;
    }
    if (container && !*container) {
        g_set_error(errp, VFIO_ERROR, EINVAL, "container= needs the id of an -object "
                    "vfio-container");
        return false;
    }
    if (fd && !passfd_parse(fd, "fd", &o->device_fd, &err)) {
        g_set_error(errp, VFIO_ERROR, EINVAL, "%s", err->message);
        return false;
    }
    if (group_fd && !passfd_parse(group_fd, "group-fd", &o->group_fd, &err)) {
        g_set_error(errp, VFIO_ERROR, EINVAL, "%s", err->message);
        return false;
    }
    o->iommufd = iommufd;
    o->container = container;
    return true;
}

VfioDevice *vfio_device_attach_opts(VfioContext *ctx, const char *sysfs_path,
                                    const VfioAttachOptions *o, GError **errp)
{
    const HostOps *ops = ctx->ops;
    g_autofree char *name = g_path_get_basename(sysfs_path);
    struct vfio_device_info info = { .argsz = sizeof(info) };
    VfioDevice *dev;
    bool noiommu;
    int id;

    for (guint i = 0; i < ctx->devices->len; i++) {
        const VfioDevice *d = g_ptr_array_index(ctx->devices, i);

        if (!strcmp(d->name, name)) {
            vfio_set_error(errp, EBUSY, name, "%s is already passed through", name);
            return NULL;
        }
    }
    if (!valid_device_name(name) || !g_file_test(sysfs_path, G_FILE_TEST_IS_DIR)) {
        vfio_set_error(errp, ENOENT, name, "%s: no such device folder", sysfs_path);
        return NULL;
    }
    if (!check_vfio_driver(ctx, name, sysfs_path, errp) ||
        !device_iommu_group(name, sysfs_path, &id, &noiommu, errp)) {
        return NULL;
    }
    if (noiommu && o->iommufd) {
        vfio_set_error(errp, ENODEV, name, "IOMMU group %d is a no-IOMMU group: iommufd cannot "
                       "take a no-IOMMU device (the kernel gives it no cdev: \"cdev does not "
                       "support noiommu device\"): use the legacy group path (drop iommufd= "
                       "and fd=, add noiommu=on)", id);
        return NULL;
    }
    if (noiommu && !o->allow_noiommu) {
        vfio_set_error(errp, EPERM, name, "IOMMU group %d is a no-IOMMU group (%s/noiommu-%d): "
                       "add noiommu=on to the -device to pass it through anyway, knowing that "
                       "the device can then DMA anywhere in host memory", id, ctx->dev_root, id);
        return NULL;
    }

    dev = g_new0(VfioDevice, 1);
    dev->ctx = ctx;
    dev->name = g_steal_pointer(&name);
    dev->sysfs_path = g_strdup(sysfs_path);
    dev->group_id = id;
    dev->noiommu = noiommu;
    dev->fd = -1;
    dev->backend = o->iommufd ? &vfio_backend_iommufd : &vfio_backend_legacy;
    if (!dev->backend->attach(dev, o, errp)) {
        g_free(dev->name);
        g_free(dev->sysfs_path);
        g_free(dev);
        return NULL;
    }
    if (host_ioctl(ops, dev->fd, VFIO_DEVICE_GET_INFO, &info) < 0) {
        int err = errno;

        vfio_set_error(errp, err, dev->name, "VFIO_DEVICE_GET_INFO: %s", g_strerror(err));
        dev->backend->detach(dev);
        g_free(dev->name);
        g_free(dev->sysfs_path);
        g_free(dev);
        return NULL;
    }
    g_debug("vfio %s: VFIO_DEVICE_GET_INFO: flags 0x%x, %u regions, %u IRQs (%s backend)",
            dev->name, info.flags, info.num_regions, info.num_irqs, dev->backend->name);
    dev->flags = info.flags;
    dev->num_regions = info.num_regions;
    dev->num_irqs = info.num_irqs;
    g_ptr_array_add(ctx->devices, dev);
    if (noiommu) {
        g_warning("vfio %s: no-IOMMU mode: nothing stands between the device and host memory; "
                  "it can reach all memory by DMA", dev->name);
    }
    return dev;
}

void vfio_device_detach(VfioDevice *dev)
{
    if (!dev) {
        return;
    }
    g_ptr_array_remove(dev->ctx->devices, dev);
    dev->backend->detach(dev);
    g_free(dev->name);
    g_free(dev->sysfs_path);
    g_free(dev);
}

bool vfio_device_dma_stats(const VfioDevice *dev, VfioDmaStats *out)
{
    if (!dev->dma) {
        return false;
    }
    out->backend = dev->dma->ops->name(dev->dma);
    out->maps = dev->dma->dma_maps;
    out->bytes = dev->dma->dma_bytes;
    out->ns = dev->dma->dma_ns;
    return true;
}

/* ---- Regions and IRQs ---------------------------------------------------------------- */

bool vfio_device_get_region_info(VfioDevice *dev, unsigned index, VfioRegionInfo *out,
                                 GError **errp)
{
    size_t argsz = sizeof(struct vfio_region_info);
    g_autofree struct vfio_region_info *info = g_malloc0(argsz);

    memset(out, 0, sizeof(*out));
    for (unsigned attempt = 0;; attempt++) {
        info->argsz = argsz;
        info->index = index;
        if (host_ioctl(dev->ctx->ops, dev->fd, VFIO_DEVICE_GET_REGION_INFO, info) < 0) {
            int err = errno;

            vfio_set_error(errp, err, dev->name, "VFIO_DEVICE_GET_REGION_INFO (index %u): %s",
                           index, g_strerror(err));
            return false;
        }
        /* A kernel that has more (capabilities) says how much room it needs: ask once more. */
        if (info->argsz <= argsz || attempt > 0) {
            break;
        }
        if (info->argsz > VFIO_REGION_INFO_MAX) {
            vfio_set_error(errp, E2BIG, dev->name, "VFIO_DEVICE_GET_REGION_INFO (index %u): "
                           "argsz 0x%x is past the 0x%x bytes believed", index, info->argsz,
                           VFIO_REGION_INFO_MAX);
            return false;
        }
        g_debug("vfio %s: VFIO_DEVICE_GET_REGION_INFO (index %u): needs argsz 0x%x", dev->name,
                index, info->argsz);
        argsz = info->argsz;
        g_free(info);
        info = g_malloc0(argsz);
    }
    if (!vfio_region_info_parse(info, argsz, out, errp)) {
        g_prefix_error(errp, "vfio %s: VFIO_DEVICE_GET_REGION_INFO (index %u): ", dev->name,
                       index);
        return false;
    }
    g_debug("vfio %s: VFIO_DEVICE_GET_REGION_INFO (index %u): flags 0x%x, size 0x%" PRIx64
            ", offset 0x%" PRIx64 ", %u sparse mmap areas%s", dev->name, index, out->flags,
            out->size, out->offset, out->has_sparse ? out->sparse->len : 0,
            out->has_type ? ", typed" : "");
    return true;
}

bool vfio_device_get_irq_info(VfioDevice *dev, unsigned index, struct vfio_irq_info *out,
                              GError **errp)
{
    struct vfio_irq_info info = { .argsz = sizeof(info), .index = index };

    if (host_ioctl(dev->ctx->ops, dev->fd, VFIO_DEVICE_GET_IRQ_INFO, &info) < 0) {
        int err = errno;

        vfio_set_error(errp, err, dev->name, "VFIO_DEVICE_GET_IRQ_INFO (index %u): %s", index,
                       g_strerror(err));
        return false;
    }
    g_debug("vfio %s: VFIO_DEVICE_GET_IRQ_INFO (index %u): flags 0x%x, count %u", dev->name,
            index, info.flags, info.count);
    *out = info;
    return true;
}

/* VFIO_DEVICE_SET_IRQS with flags, start, count and (when with_fd) one eventfd; what names the
 * call in messages: "(index 0, UNMASK)", "(index 2, start 3, TRIGGER eventfd 9)". */
static bool set_irqs(VfioDevice *dev, unsigned index, unsigned start, uint32_t flags,
                     uint32_t count, bool with_fd, int32_t fd, const char *what, GError **errp)
{
    g_autofree char *where = start ? g_strdup_printf("index %u, start %u", index, start)
                                   : g_strdup_printf("index %u", index);
    size_t argsz = sizeof(struct vfio_irq_set) + (with_fd ? sizeof(int32_t) : 0);
    g_autofree struct vfio_irq_set *set = g_malloc0(argsz);

    set->argsz = argsz;
    set->flags = flags;
    set->index = index;
    set->start = start;
    set->count = count;
    if (with_fd) {
        memcpy(set->data, &fd, sizeof(fd));
    }
    if (host_ioctl(dev->ctx->ops, dev->fd, VFIO_DEVICE_SET_IRQS, set) < 0) {
        int err = errno;

        vfio_set_error(errp, err, dev->name, "VFIO_DEVICE_SET_IRQS (%s, %s): %s", where, what,
                       g_strerror(err));
        return false;
    }
    g_debug("vfio %s: VFIO_DEVICE_SET_IRQS (%s, %s)", dev->name, where, what);
    return true;
}

bool vfio_device_set_irq_eventfd(VfioDevice *dev, unsigned index, unsigned start,
                                 uint32_t action, int fd, GError **errp)
{
    g_autofree char *what = NULL;
    const char *aname;

    if (action == VFIO_IRQ_SET_ACTION_TRIGGER) {
        aname = "TRIGGER";
    } else if (action == VFIO_IRQ_SET_ACTION_UNMASK) {
        aname = "UNMASK";
    } else {
        vfio_set_error(errp, EINVAL, dev->name, "VFIO_DEVICE_SET_IRQS (index %u): action 0x%x "
                       "takes no eventfd (TRIGGER or UNMASK only)", index, action);
        return false;
    }
    what = fd < 0 ? g_strdup_printf("%s eventfd off", aname)
                  : g_strdup_printf("%s eventfd %d", aname, fd);
    return set_irqs(dev, index, start, VFIO_IRQ_SET_DATA_EVENTFD | action, 1, true,
                    fd < 0 ? -1 : fd, what, errp);
}

bool vfio_device_irq_unmask(VfioDevice *dev, unsigned index, GError **errp)
{
    return set_irqs(dev, index, 0, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK, 1,
                    false, -1, "UNMASK", errp);
}

bool vfio_device_irq_disable(VfioDevice *dev, unsigned index, GError **errp)
{
    return set_irqs(dev, index, 0, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 0,
                    false, -1, "TRIGGER, disable", errp);
}

bool vfio_device_reset(VfioDevice *dev, GError **errp)
{
    if (!(dev->flags & VFIO_DEVICE_FLAGS_RESET)) {
        g_debug("vfio %s: no VFIO_DEVICE_FLAGS_RESET: no reset", dev->name);
        return true;
    }
    if (host_ioctl(dev->ctx->ops, dev->fd, VFIO_DEVICE_RESET, NULL) < 0) {
        int err = errno;

        vfio_set_error(errp, err, dev->name, "VFIO_DEVICE_RESET: %s", g_strerror(err));
        return false;
    }
    g_debug("vfio %s: VFIO_DEVICE_RESET", dev->name);
    return true;
}

/* ---- pread / pwrite ------------------------------------------------------------------ */

/* One exact-length pread or pwrite on the device fd, retried on EINTR. */
static bool vfio_device_rw(VfioDevice *dev, void *buf, size_t len, uint64_t offset,
                           bool is_write, GError **errp)
{
    const HostOps *ops = dev->ctx->ops;
    const char *what = is_write ? "pwrite" : "pread";
    ssize_t ret;

    if (offset > INT64_MAX || len > INT64_MAX - offset) {
        vfio_set_error(errp, EINVAL, dev->name, "%s of %zu bytes at 0x%" PRIx64 ": past the "
                       "largest file offset", what, len, offset);
        return false;
    }
    do {
        ret = is_write ? ops->pwrite(ops->opaque, dev->fd, buf, len, (off_t)offset)
                       : ops->pread(ops->opaque, dev->fd, buf, len, (off_t)offset);
    } while (ret < 0 && errno == EINTR);
    if (ret < 0) {
        int err = errno;

        vfio_set_error(errp, err, dev->name, "%s of %zu bytes at 0x%" PRIx64 ": %s", what, len,
                       offset, g_strerror(err));
        return false;
    }
    if ((size_t)ret != len) {
        vfio_set_error(errp, EIO, dev->name, "%s of %zu bytes at 0x%" PRIx64 ": short %s of "
                       "%zd bytes", what, len, offset, is_write ? "write" : "read", ret);
        return false;
    }
    return true;
}

bool vfio_device_pread(VfioDevice *dev, void *buf, size_t len, uint64_t offset, GError **errp)
{
    return vfio_device_rw(dev, buf, len, offset, false, errp);
}

bool vfio_device_pwrite(VfioDevice *dev, const void *buf, size_t len, uint64_t offset,
                        GError **errp)
{
    return vfio_device_rw(dev, (void *)buf, len, offset, true, errp);
}

/* ---- Blocks of eventfds (MSI-X) ------------------------------------------------------ */

bool vfio_device_set_irq_eventfds(VfioDevice *dev, unsigned index, unsigned start,
                                  unsigned count, const int32_t *fds, GError **errp)
{
    size_t argsz = sizeof(struct vfio_irq_set) + sizeof(int32_t) * count;
    g_autofree struct vfio_irq_set *set = g_malloc0(argsz);

    set->argsz = argsz;
    set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
    set->index = index;
    set->start = start;
    set->count = count;
    memcpy(set->data, fds, sizeof(int32_t) * count);
    if (host_ioctl(dev->ctx->ops, dev->fd, VFIO_DEVICE_SET_IRQS, set) < 0) {
        int err = errno;

        vfio_set_error(errp, err, dev->name, "VFIO_DEVICE_SET_IRQS (index %u, TRIGGER, %u "
                       "eventfds from %u): %s", index, count, start, g_strerror(err));
        return false;
    }
    g_debug("vfio %s: VFIO_DEVICE_SET_IRQS (index %u, TRIGGER, %u eventfds from %u)", dev->name,
            index, count, start);
    return true;
}
