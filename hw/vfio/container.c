// SPDX-License-Identifier: GPL-2.0-only
/* The VFIO context of a machine, and the legacy backend: groups (/dev/vfio/<id>) in the
 * Type1v2/Type1/no-IOMMU containers they share (Documentation/driver-api/vfio.rst). */
#define G_LOG_DOMAIN "armpass-vfio"
#include "vfio-internal.h"

#include <errno.h>
#include <string.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <unistd.h>

#include "system/passfd.h"

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
    g_free(ctx);
}

void vfio_context_set_iommu_path(VfioContext *ctx, const char *path)
{
    g_free(ctx->iommu_path);
    ctx->iommu_path = g_strdup(path);
}

static VfioContainerObject *container_object_find(VfioContext *ctx, const char *id)
{
    for (guint i = 0; i < ctx->container_objects->len; i++) {
        VfioContainerObject *o = g_ptr_array_index(ctx->container_objects, i);

        if (!strcmp(o->id, id)) {
            return o;
        }
    }
    return NULL;
}

/* Whether id names an object of either kind already. */
static bool object_id_taken(VfioContext *ctx, const char *id, GError **errp)
{
    if (container_object_find(ctx, id) || vfio_iommufd_find(ctx, id)) {
        g_set_error(errp, VFIO_ERROR, EEXIST, "-object id=%s: the id is taken by another "
                    "-object (give each its own id)", id);
        return true;
    }
    return false;
}

bool vfio_context_add_container(VfioContext *ctx, const char *id, int fd, GError **errp)
{
    VfioContainerObject *o;

    if (object_id_taken(ctx, id, errp)) {
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

/* ---- Containers ---------------------------------------------------------------------- */

static const char *iommu_type_name(int type)
{
    switch (type) {
    case VFIO_TYPE1_IOMMU:
        return "VFIO_TYPE1_IOMMU";
    case VFIO_TYPE1v2_IOMMU:
        return "VFIO_TYPE1v2_IOMMU";
    case VFIO_NOIOMMU_IOMMU:
        return "VFIO_NOIOMMU_IOMMU";
    default:
        return "unknown IOMMU type";
    }
}

/* -d stats' name of a container's IOMMU type. */
static const char *container_dma_name(const VfioDmaSpace *s)
{
    const VfioContainer *c = (const VfioContainer *)(const void *)((const char *)s -
                                                                   offsetof(VfioContainer, dma));

    return c->iommu_type == VFIO_TYPE1v2_IOMMU ? "type1v2"
           : c->iommu_type == VFIO_TYPE1_IOMMU ? "type1"
                                               : "noiommu";
}

static VfioContainer *dma_container(VfioDmaSpace *s)
{
    return (VfioContainer *)(void *)((char *)s - offsetof(VfioContainer, dma));
}

static int container_dma_map(VfioDmaSpace *s, uint64_t iova, uint64_t size, uint64_t vaddr,
                             const char **ioctl_name)
{
    VfioContainer *c = dma_container(s);
    struct vfio_iommu_type1_dma_map map = {
        .argsz = sizeof(map),
        /* executable as well: the design note in listener.c */
        .flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
        .vaddr = vaddr,
        .iova = iova,
        .size = size,
    };

    *ioctl_name = "VFIO_IOMMU_MAP_DMA";
    return host_ioctl(c->ctx->ops, c->fd, VFIO_IOMMU_MAP_DMA, &map);
}

static int container_dma_unmap(VfioDmaSpace *s, uint64_t iova, uint64_t size,
                               const char **ioctl_name)
{
    VfioContainer *c = dma_container(s);
    struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap), .iova = iova,
                                                .size = size };

    *ioctl_name = "VFIO_IOMMU_UNMAP_DMA";
    return host_ioctl(c->ctx->ops, c->fd, VFIO_IOMMU_UNMAP_DMA, &unmap);
}

static const VfioDmaOps container_dma_ops = {
    .name = container_dma_name,
    .map = container_dma_map,
    .unmap = container_dma_unmap,
};

static bool container_is_noiommu(const VfioContainer *c)
{
    return c->iommu_type == VFIO_NOIOMMU_IOMMU;
}

/*
 * Sets the IOMMU type of container fd, which group g has just joined: Type1v2, else Type1
 * (VFIO_NOIOMMU_IOMMU alone for a no-IOMMU group). Returns the type, or -1 with errp set.
 */
static int container_set_iommu(VfioGroup *g, int fd, const char *devname, GError **errp)
{
    static const int type1[] = { VFIO_TYPE1v2_IOMMU, VFIO_TYPE1_IOMMU };
    static const int noiommu[] = { VFIO_NOIOMMU_IOMMU };
    const int *types = g->noiommu ? noiommu : type1;
    unsigned n = g->noiommu ? G_N_ELEMENTS(noiommu) : G_N_ELEMENTS(type1);
    const HostOps *ops = g->ctx->ops;
    g_autoptr(GString) why = g_string_new(NULL);

    for (unsigned i = 0; i < n; i++) {
        int ret = host_ioctl(ops, fd, VFIO_CHECK_EXTENSION, (void *)(uintptr_t)types[i]);

        if (ret < 0) {
            int err = errno;

            g_debug("vfio %s: VFIO_CHECK_EXTENSION (%s): %s", devname,
                    iommu_type_name(types[i]), g_strerror(err));
            g_string_append_printf(why, "%sVFIO_CHECK_EXTENSION (%s): %s", why->len ? "; " : "",
                                   iommu_type_name(types[i]), g_strerror(err));
            continue;
        }
        g_debug("vfio %s: VFIO_CHECK_EXTENSION (%s): %d", devname, iommu_type_name(types[i]),
                ret);
        if (ret == 0) {
            g_string_append_printf(why, "%sVFIO_CHECK_EXTENSION (%s): not supported",
                                   why->len ? "; " : "", iommu_type_name(types[i]));
            continue;
        }
        if (host_ioctl(ops, fd, VFIO_SET_IOMMU, (void *)(uintptr_t)types[i]) < 0) {
            int err = errno;

            g_debug("vfio %s: VFIO_SET_IOMMU (%s): %s", devname, iommu_type_name(types[i]),
                    g_strerror(err));
            g_string_append_printf(why, "%sVFIO_SET_IOMMU (%s): %s", why->len ? "; " : "",
                                   iommu_type_name(types[i]), g_strerror(err));
            continue;
        }
        g_debug("vfio %s: VFIO_SET_IOMMU (%s)", devname, iommu_type_name(types[i]));
        return types[i];
    }
    if (strstr(why->str, "VFIO_SET_IOMMU (VFIO_TYPE1v2_IOMMU): Operation not permitted")) {
        /* vfio_iommu_type1 refuses a domain whose MSIs the host cannot isolate (no interrupt
         * remapping, e.g. an SMMU without a GICv3 ITS): drivers/vfio/vfio_iommu_type1.c. */
        g_string_append(why, " (the host cannot isolate this device's MSIs: no interrupt "
                        "remapping; if you trust the device, allow it with "
                        "vfio_iommu_type1.allow_unsafe_interrupts=1)");
    }
    vfio_set_error(errp, ENODEV, devname, "group %d: no IOMMU type the container accepts: %s",
                   g->id, why->str);
    return -1;
}

/* A new container for g: opened (or the -object vfio-container's descriptor checked), API
 * checked, g placed in it, IOMMU type set, DMA listener started (Type1 with an address
 * space). Nothing stays open on failure (a passed descriptor stays with its object). */
static VfioContainer *container_new(VfioGroup *g, const char *container_id,
                                    const char *devname, GError **errp)
{
    VfioContext *ctx = g->ctx;
    const HostOps *ops = ctx->ops;
    g_autofree char *path = g_build_filename(ctx->dev_root, "vfio", NULL);
    VfioContainerObject *obj = container_id ? container_object_find(ctx, container_id) : NULL;
    VfioContainer *c;
    int fd, version, type;

    if (container_id && !obj) {
        vfio_set_error(errp, ENOENT, devname, "container=%s: no -object vfio-container,id=%s "
                       "(add one, with fd= an open /dev/vfio/vfio)", container_id,
                       container_id);
        return NULL;
    }
    if (obj) {
        g_autofree char *what = g_strdup_printf("-object vfio-container,id=%s,fd=%d", obj->id,
                                                obj->fd);
        g_autofree char *devfile = g_build_filename(ctx->sysfs_root, "class", "misc", "vfio",
                                                    "dev", NULL);
        g_autoptr(GError) err = NULL;

        if (obj->fd < 0) {
            vfio_set_error(errp, EBADF, devname, "container=%s: that container was closed "
                           "when its last group left it", container_id);
            return NULL;
        }
        if (!passfd_check_chardev(ops, ctx->sysfs_root, obj->fd, what, devfile,
                                  "/dev/vfio/vfio (a VFIO container)", &err)) {
            vfio_set_error(errp, err->code, devname, "%s", err->message);
            return NULL;
        }
        fd = obj->fd;
        g_free(path);
        path = g_steal_pointer(&what);
    } else {
        fd = ops->open(ops->opaque, path, O_RDWR);
        if (fd < 0) {
            int err = errno;

            vfio_set_error(errp, err, devname, "open %s: %s%s", path, g_strerror(err),
                           vfio_open_hint(err));
            return NULL;
        }
    }
    version = host_ioctl(ops, fd, VFIO_GET_API_VERSION, NULL);
    if (version < 0) {
        int err = errno;

        vfio_set_error(errp, err, devname, "VFIO_GET_API_VERSION (%s): %s%s", path,
                       g_strerror(err), obj ? ": not a VFIO container (pass an open "
                       "/dev/vfio/vfio)" : "");
        goto fail_close;
    }
    if (version != VFIO_API_VERSION) {
        vfio_set_error(errp, EPROTO, devname, "VFIO_GET_API_VERSION (%s): the kernel speaks "
                       "version %d, armpass version %d", path, version, VFIO_API_VERSION);
        goto fail_close;
    }
    g_debug("vfio %s: opened %s (fd %d), API version %d", devname, path, fd, version);

    if (host_ioctl(ops, g->fd, VFIO_GROUP_SET_CONTAINER, &fd) < 0) {
        int err = errno;

        vfio_set_error(errp, err, devname, "VFIO_GROUP_SET_CONTAINER (group %d, new container): "
                       "%s", g->id, g_strerror(err));
        goto fail_close;
    }
    g_debug("vfio %s: VFIO_GROUP_SET_CONTAINER (group %d, new container fd %d)", devname, g->id,
            fd);
    type = container_set_iommu(g, fd, devname, errp);
    if (type < 0) {
        goto fail_unset;
    }

    c = g_new0(VfioContainer, 1);
    c->ctx = ctx;
    c->fd = fd;
    c->iommu_type = type;
    c->id = g_strdup(container_id);
    c->groups = g_ptr_array_new();
    c->dma.ctx = ctx;
    c->dma.ops = &container_dma_ops;
    g_ptr_array_add(c->groups, g);
    g->container = c;
    if (!container_is_noiommu(c) && ctx->as && !vfio_listener_start(&c->dma, errp)) {
        g->container = NULL;
        g_ptr_array_free(c->groups, TRUE);
        g_free(c->id);
        g_free(c);
        goto fail_unset;
    }
    if (obj) {
        obj->fd = -1; /* the container's now: closed with it */
    }
    g_ptr_array_add(ctx->containers, c);
    return c;

fail_unset:
    if (host_ioctl(ops, g->fd, VFIO_GROUP_UNSET_CONTAINER, &fd) < 0) {
        g_warning("vfio %s: VFIO_GROUP_UNSET_CONTAINER (group %d): %s", devname, g->id,
                  g_strerror(errno));
    }
fail_close:
    if (!obj) {
        ops->close(ops->opaque, fd);
    }
    return NULL;
}

/* Puts g in a container: an existing one of its kind that the kernel lets it join, else a
 * new one. container_id: only that -object vfio-container (an error when the kernel will
 * not let g join it); NULL: only containers armpass opened. */
static bool container_connect(VfioGroup *g, const char *container_id, const char *devname,
                              GError **errp)
{
    VfioContext *ctx = g->ctx;

    for (guint i = 0; i < ctx->containers->len; i++) {
        VfioContainer *c = g_ptr_array_index(ctx->containers, i);

        if (g_strcmp0(c->id, container_id) != 0) {
            continue;
        }
        if (container_is_noiommu(c) != g->noiommu) {
            if (container_id) {
                vfio_set_error(errp, EINVAL, devname, "container=%s holds %s groups, and group "
                               "%d is %s: pass another container for it", container_id,
                               container_is_noiommu(c) ? "no-IOMMU" : "IOMMU", g->id,
                               g->noiommu ? "a no-IOMMU group" : "an IOMMU group");
                return false;
            }
            continue;
        }
        if (host_ioctl(ctx->ops, g->fd, VFIO_GROUP_SET_CONTAINER, &c->fd) == 0) {
            g_debug("vfio %s: VFIO_GROUP_SET_CONTAINER (group %d, shared container fd %d, %s)",
                    devname, g->id, c->fd, iommu_type_name(c->iommu_type));
            g_ptr_array_add(c->groups, g);
            g->container = c;
            return true;
        }
        if (container_id) {
            int err = errno;

            vfio_set_error(errp, err, devname, "VFIO_GROUP_SET_CONTAINER (group %d, container=%s):"
                           " %s: the kernel will not put this group in that container (pass "
                           "another container for it)", g->id, container_id, g_strerror(err));
            return false;
        }
        g_debug("vfio %s: VFIO_GROUP_SET_CONTAINER (group %d, shared container fd %d): %s: "
                "trying another", devname, g->id, c->fd, g_strerror(errno));
    }
    return container_new(g, container_id, devname, errp) != NULL;
}

/* g leaves its container; the container goes with its last group (its DMA mappings first,
 * while the kernel still has an IOMMU behind it). */
static void container_disconnect(VfioGroup *g, const char *devname)
{
    VfioContainer *c = g->container;
    const HostOps *ops = g->ctx->ops;
    bool last;

    g_ptr_array_remove(c->groups, g);
    last = c->groups->len == 0;
    if (last) {
        c->dma.host_took_back |= g->host_took_back;
        vfio_listener_stop(&c->dma);
    }
    if (host_ioctl(ops, g->fd, VFIO_GROUP_UNSET_CONTAINER, &c->fd) < 0) {
        if (g->host_took_back) {
            g_debug("vfio %s: VFIO_GROUP_UNSET_CONTAINER (group %d): %s: the host took the "
                    "device back, and the kernel its group out of the container", devname,
                    g->id, g_strerror(errno));
        } else {
            g_warning("vfio %s: VFIO_GROUP_UNSET_CONTAINER (group %d): %s", devname, g->id,
                      g_strerror(errno));
        }
    } else {
        g_debug("vfio %s: VFIO_GROUP_UNSET_CONTAINER (group %d, container fd %d)", devname,
                g->id, c->fd);
    }
    g->container = NULL;
    if (last) {
        g_debug("vfio %s: closing container fd %d (%s, %" PRIu64 " DMA maps made)", devname,
                c->fd, iommu_type_name(c->iommu_type), c->dma.dma_maps);
        ops->close(ops->opaque, c->fd);
        g_ptr_array_remove(g->ctx->containers, c);
        g_ptr_array_free(c->groups, TRUE);
        g_free(c->id);
        g_free(c);
    }
}

/* ---- Groups -------------------------------------------------------------------------- */

/* The members of IOMMU group id bound to a driver other than vfio's, as "NAME (DRIVER), ..."
 * (g_free), or NULL when there are none or the folder cannot be read. */
static char *group_host_bound(VfioContext *ctx, int id)
{
    g_autofree char *leaf = g_strdup_printf("%d", id);
    g_autofree char *dir = g_build_filename(ctx->sysfs_root, "kernel", "iommu_groups", leaf,
                                            "devices", NULL);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    g_autoptr(GString) out = g_string_new(NULL);
    const char *name;

    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *link = g_build_filename(dir, name, "driver", NULL);
        g_autofree char *target = g_file_read_link(link, NULL);
        g_autofree char *driver = target ? g_path_get_basename(target) : NULL;

        if (driver && !g_str_has_prefix(driver, "vfio")) {
            g_string_append_printf(out, "%s%s (%s)", out->len ? ", " : "", name, driver);
        }
    }
    return out->len ? g_string_free(g_steal_pointer(&out), FALSE) : NULL;
}

VfioGroup *vfio_group_get(VfioContext *ctx, int id, bool noiommu, int group_fd,
                          const char *container_id, const char *devname, GError **errp)
{
    const HostOps *ops = ctx->ops;
    struct vfio_group_status status = { .argsz = sizeof(status) };
    g_autofree char *path = NULL;
    g_autofree char *leaf = noiommu ? g_strdup_printf("noiommu-%d", id)
                                    : g_strdup_printf("%d", id);
    VfioGroup *g;
    int fd;

    for (guint i = 0; i < ctx->groups->len; i++) {
        g = g_ptr_array_index(ctx->groups, i);
        if (g->id == id && g->noiommu == noiommu) {
            if (group_fd >= 0 && group_fd != g->fd) {
                vfio_set_error(errp, EINVAL, devname, "group-fd=%d: group %d is already open "
                               "(fd %d) for another device: give the same group-fd= or none",
                               group_fd, id, g->fd);
                return NULL;
            }
            if (g_strcmp0(g->container->id, container_id) != 0) {
                vfio_set_error(errp, EINVAL, devname, "group %d is already in %s%s for another "
                               "device: devices of one group share its container (give them "
                               "the same container=)", id, g->container->id ? "container=" :
                               "a container armpass opened", g->container->id ? g->container->id
                                                                              : "");
                return NULL;
            }
            g->refcount++;
            g_debug("vfio %s: group %d already open (fd %d), %u users", devname, id, g->fd,
                    g->refcount);
            return g;
        }
    }

    path = g_build_filename(ctx->dev_root, leaf, NULL);
    if (group_fd >= 0) {
        g_autofree char *what = g_strdup_printf("group-fd=%d", group_fd);
        g_autofree char *devfile = g_build_filename(ctx->sysfs_root, "class", "vfio", leaf,
                                                    "dev", NULL);
        g_autofree char *expect = g_strdup_printf("%s (VFIO group %s of this device)", path,
                                                  leaf);
        g_autoptr(GError) err = NULL;

        if (!passfd_check_chardev(ops, ctx->sysfs_root, group_fd, what, devfile, expect,
                                  &err)) {
            vfio_set_error(errp, err->code, devname, "%s", err->message);
            return NULL;
        }
        fd = group_fd;
        g_free(path);
        path = g_steal_pointer(&what);
    } else {
        fd = ops->open(ops->opaque, path, O_RDWR);
    }
    if (fd < 0) {
        int err = errno;

        if (err == EBUSY) {
            vfio_set_error(errp, err, devname, "vfio group %d: busy: another process (another "
                           "armpass?) has it open (open %s: %s)", id, path, g_strerror(err));
        } else if (err == ENOENT) {
            vfio_set_error(errp, err, devname, "open %s: %s: the device is probably not bound "
                           "to vfio (vfio-pci, vfio-platform or vfio-amba), or, if %s is missing too, "
                           "VFIO is not loaded (modprobe vfio-platform)", path, g_strerror(err),
                           ctx->dev_root);
        } else {
            vfio_set_error(errp, err, devname, "open %s: %s%s", path, g_strerror(err),
                           vfio_open_hint(err));
        }
        return NULL;
    }
    g_debug("vfio %s: opened %s (fd %d)", devname, path, fd);

    if (host_ioctl(ops, fd, VFIO_GROUP_GET_STATUS, &status) < 0) {
        int err = errno;

        vfio_set_error(errp, err, devname, "VFIO_GROUP_GET_STATUS (group %d, %s): %s%s", id,
                       path, g_strerror(err), group_fd >= 0 ? ": not a VFIO group (pass an "
                       "open /dev/vfio/N for the device's group)" : "");
        if (group_fd < 0) {
            ops->close(ops->opaque, fd);
        }
        return NULL;
    }
    g_debug("vfio %s: VFIO_GROUP_GET_STATUS (group %d): flags 0x%x", devname, id, status.flags);
    if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
        g_autofree char *busy = group_host_bound(ctx, id);

        vfio_set_error(errp, EPERM, devname, "vfio group %d is not viable: every device in "
                       "%s/kernel/iommu_groups/%d/devices must be bound to vfio or to no "
                       "driver%s%s (VFIO_GROUP_GET_STATUS flags 0x%x)", id, ctx->sysfs_root, id,
                       busy ? "; still bound to a host driver: " : "", busy ? busy : "",
                       status.flags);
        if (group_fd < 0) {
            ops->close(ops->opaque, fd);
        }
        return NULL;
    }

    g = g_new0(VfioGroup, 1);
    g->ctx = ctx;
    g->id = id;
    g->noiommu = noiommu;
    g->fd = fd;
    g->refcount = 1;
    if (!container_connect(g, container_id, devname, errp)) {
        if (group_fd < 0) {
            ops->close(ops->opaque, fd);
        }
        g_free(g);
        return NULL;
    }
    g_ptr_array_add(ctx->groups, g);
    return g;
}

void vfio_group_put(VfioGroup *g, const char *devname)
{
    const HostOps *ops = g->ctx->ops;

    g_return_if_fail(g->refcount > 0);
    if (--g->refcount > 0) {
        g_debug("vfio %s: group %d stays open for %u other devices", devname, g->id,
                g->refcount);
        return;
    }
    container_disconnect(g, devname);
    g_debug("vfio %s: closing group %d (fd %d)", devname, g->id, g->fd);
    ops->close(ops->opaque, g->fd);
    g_ptr_array_remove(g->ctx->groups, g);
    g_free(g);
}

uint64_t vfio_context_page_size(const VfioContext *ctx)
{
    return ctx->page_size;
}

/* ---- The legacy backend -------------------------------------------------------------- */

static bool legacy_attach(VfioDevice *dev, const VfioAttachOptions *o, GError **errp)
{
    VfioContext *ctx = dev->ctx;
    VfioGroup *group;
    int fd;

    ctx->current = dev->name;
    group = vfio_group_get(ctx, dev->group_id, dev->noiommu, o->group_fd, o->container,
                           dev->name, errp);
    ctx->current = NULL;
    if (!group) {
        return false;
    }
    fd = host_ioctl(ctx->ops, group->fd, VFIO_GROUP_GET_DEVICE_FD, dev->name);
    if (fd < 0) {
        int err = errno;

        vfio_set_error(errp, err, dev->name, "VFIO_GROUP_GET_DEVICE_FD (group %d): %s",
                       dev->group_id, g_strerror(err));
        ctx->current = dev->name;
        vfio_group_put(group, dev->name);
        ctx->current = NULL;
        return false;
    }
    g_debug("vfio %s: VFIO_GROUP_GET_DEVICE_FD (group %d): fd %d", dev->name, dev->group_id,
            fd);
    dev->group = group;
    dev->fd = fd;
    dev->dma = group->container->dma.listener_added ? &group->container->dma : NULL;
    return true;
}

static void legacy_detach(VfioDevice *dev)
{
    const HostOps *ops = dev->ctx->ops;

    g_debug("vfio %s: closing device fd %d", dev->name, dev->fd);
    ops->close(ops->opaque, dev->fd);
    dev->group->host_took_back |= dev->host_took_back;
    dev->ctx->current = dev->name;
    vfio_group_put(dev->group, dev->name);
    dev->ctx->current = NULL;
    dev->group = NULL;
    dev->dma = NULL;
}

const VfioBackend vfio_backend_legacy = {
    .name = "legacy",
    .attach = legacy_attach,
    .detach = legacy_detach,
};
