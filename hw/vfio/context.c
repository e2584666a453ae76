// SPDX-License-Identifier: GPL-2.0-only
/* The VFIO context of a machine, shared by both backends and the models: VFIO's error domain
 * and messages' hints, the context itself (paths, page size, what is attached) and its
 * registry of -object vfio-container and iommufd ids. */
#define G_LOG_DOMAIN "armpass-vfio"
#include "vfio-internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

G_DEFINE_QUARK(armpass-vfio-error-quark, armpass_vfio_error)

void vfio_set_error(GError **errp, int code, const char *devname, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *msg = NULL;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(errp, VFIO_ERROR, code, "vfio %s: %s", devname, msg);
}

/* What to do about a VFIO character device that would not open (errno err). */
const char *vfio_open_hint(int err)
{
    if (err == ENOENT) {
        return ": VFIO is not loaded (modprobe vfio-platform, or vfio-amba)";
    }
    if (err == EACCES || err == EPERM) {
        return ": armpass may not open it (run it as root, or give its user the file: "
               "chown USER FILE)";
    }
    return "";
}

char *vfio_irq_controller_hint(const char *what, const char *vfio_driver)
{
    return g_strdup_printf("its node says %s: if a host driver bound it since boot, that "
                           "driver claimed its parent interrupt (a chained handler marks it "
                           "IRQ_NOREQUEST, and unbinding does not undo it), so no one can "
                           "request it until reboot; reboot with that driver kept off "
                           "(kernel command line initcall_blacklist=DRIVER_driver_init for a "
                           "built-in driver, modprobe.blacklist=MODULE for a module), then "
                           "bind the device to %s (armpass probe shows the commands)", what,
                           vfio_driver);
}

/* ---- The context --------------------------------------------------------------------- */

VfioContext *vfio_context_new(const HostOps *ops, const char *sysfs_root, const char *dev_root,
                              AddressSpace *as)
{
    VfioContext *ctx = g_new0(VfioContext, 1);
    long page = sysconf(_SC_PAGESIZE);

    ctx->ops = ops;
    ctx->sysfs_root = g_strdup(sysfs_root);
    ctx->dev_root = g_strdup(dev_root);
    ctx->iommu_path = g_strdup("/dev/iommu");
    ctx->as = as;
    ctx->page_size = page > 0 ? (uint64_t)page : 4096;
    ctx->containers = g_ptr_array_new();
    ctx->groups = g_ptr_array_new();
    ctx->devices = g_ptr_array_new();
    ctx->iommufds = g_ptr_array_new();
    ctx->container_objects = g_ptr_array_new();
    ratelimit_init(&ctx->config_error_rl, 5000, 5);
    g_debug("vfio: context on %s and %s, page size 0x%" PRIx64 ", DMA %s",
            sysfs_root, dev_root, ctx->page_size, as ? "follows guest RAM" : "off");
    return ctx;
}

void vfio_context_resources(VfioContext *ctx, VfioResources *out)
{
    memset(out, 0, sizeof(*out));
    if (!ctx) {
        return;
    }
    out->devices = ctx->devices->len;
    out->groups = ctx->groups->len;
    out->containers = ctx->containers->len;
    for (guint i = 0; i < ctx->containers->len; i++) {
        const VfioContainer *c = g_ptr_array_index(ctx->containers, i);

        out->dma_mappings += c->dma.dma_live;
        out->dma_bytes += c->dma.dma_live_bytes;
    }
    for (guint i = 0; i < ctx->iommufds->len; i++) {
        vfio_iommufd_add_resources(g_ptr_array_index(ctx->iommufds, i), out);
    }
}

void vfio_context_free(VfioContext *ctx)
{
    if (!ctx) {
        return;
    }
    while (ctx->devices->len) {
        VfioDevice *dev = g_ptr_array_index(ctx->devices, ctx->devices->len - 1);

        g_warning("vfio %s: still attached when the VFIO context goes: detaching it", dev->name);
        vfio_device_detach(dev);
    }
    g_assert(ctx->groups->len == 0 && ctx->containers->len == 0);
    for (guint i = 0; i < ctx->iommufds->len; i++) {
        vfio_iommufd_free(g_ptr_array_index(ctx->iommufds, i));
    }
    for (guint i = 0; i < ctx->container_objects->len; i++) {
        VfioContainerObject *o = g_ptr_array_index(ctx->container_objects, i);

        if (o->fd >= 0) {
            ctx->ops->close(ctx->ops->opaque, o->fd); /* passed in, never used */
        }
        g_free(o->id);
        g_free(o);
    }
    g_ptr_array_free(ctx->iommufds, TRUE);
    g_ptr_array_free(ctx->container_objects, TRUE);
    g_ptr_array_free(ctx->devices, TRUE);
    g_ptr_array_free(ctx->groups, TRUE);
    g_ptr_array_free(ctx->containers, TRUE);
    g_free(ctx->sysfs_root);
    g_free(ctx->dev_root);
    g_free(ctx->iommu_path);
    ratelimit_clear(&ctx->config_error_rl);
    g_free(ctx);
}

void vfio_context_set_iommu_path(VfioContext *ctx, const char *path)
{
    g_free(ctx->iommu_path);
    ctx->iommu_path = g_strdup(path);
}

VfioContainerObject *vfio_container_object_find(VfioContext *ctx, const char *id)
{
    for (guint i = 0; i < ctx->container_objects->len; i++) {
        VfioContainerObject *o = g_ptr_array_index(ctx->container_objects, i);

        if (!strcmp(o->id, id)) {
            return o;
        }
    }
    return NULL;
}

bool vfio_context_id_taken(VfioContext *ctx, const char *id, GError **errp)
{
    if (vfio_container_object_find(ctx, id) || vfio_iommufd_find(ctx, id)) {
        g_set_error(errp, VFIO_ERROR, EEXIST, "-object id=%s: the id is taken by another "
                    "-object (give each its own id)", id);
        return true;
    }
    return false;
}

bool vfio_context_add_container(VfioContext *ctx, const char *id, int fd, GError **errp)
{
    VfioContainerObject *o;

    if (vfio_context_id_taken(ctx, id, errp)) {
        return false;
    }
    if (fd < 0) {
        g_set_error(errp, VFIO_ERROR, EINVAL, "-object vfio-container,id=%s: needs fd=N, an "
                    "open /dev/vfio/vfio (without fd= leave the -object out: armpass opens "
                    "the container itself)", id);
        return false;
    }
    o = g_new0(VfioContainerObject, 1);
    o->id = g_strdup(id);
    o->fd = fd;
    g_ptr_array_add(ctx->container_objects, o);
    return true;
}

uint64_t vfio_context_page_size(const VfioContext *ctx)
{
    return ctx->page_size;
}
