// SPDX-License-Identifier: GPL-2.0-only
/* A fake VFIO kernel behind HostOps, and a sysfs folder builder, for the VFIO unit tests. */
#include "vfio-fake.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/pci_regs.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <linux/iommufd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define FAKE_FD_BASE 10000 /* far above any real fd of a test process */
#define FAKE_PAGE 4096u
#define FAKE_OFFSET_MASK ((UINT64_C(1) << 40) - 1)

typedef enum { FD_CONTAINER, FD_GROUP, FD_DEVICE, FD_IOMMUFD, FD_CDEV } FakeFdKind;

typedef struct FakeFd {
    FakeFdKind kind;
    FakeContainer *c;
    FakeGroup *g;
    FakeDevice *d;
    FakeIommufd *io;   /* FD_IOMMUFD: it; FD_CDEV: the iommufd it is bound to (NULL: not) */
    uint32_t ioas;     /* FD_CDEV: the IOAS it is attached to (0: none) */
} FakeFd;

typedef struct FakeFault {
    unsigned long request;
    unsigned nth;
    int err;
    unsigned seen;
} FakeFault;

static void logf_(FakeVfio *f, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void logf_(FakeVfio *f, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    g_ptr_array_add(f->log, g_strdup_vprintf(fmt, ap));
    va_end(ap);
}

const char *fake_ioctl_name(unsigned long request)
{
    switch (request) {
    case VFIO_GET_API_VERSION: return "VFIO_GET_API_VERSION";
    case VFIO_CHECK_EXTENSION: return "VFIO_CHECK_EXTENSION";
    case VFIO_SET_IOMMU: return "VFIO_SET_IOMMU";
    case VFIO_GROUP_GET_STATUS: return "VFIO_GROUP_GET_STATUS";
    case VFIO_GROUP_SET_CONTAINER: return "VFIO_GROUP_SET_CONTAINER";
    case VFIO_GROUP_UNSET_CONTAINER: return "VFIO_GROUP_UNSET_CONTAINER";
    case VFIO_GROUP_GET_DEVICE_FD: return "VFIO_GROUP_GET_DEVICE_FD";
    case VFIO_DEVICE_GET_INFO: return "VFIO_DEVICE_GET_INFO";
    case VFIO_DEVICE_GET_REGION_INFO: return "VFIO_DEVICE_GET_REGION_INFO";
    case VFIO_DEVICE_GET_IRQ_INFO: return "VFIO_DEVICE_GET_IRQ_INFO";
    case VFIO_DEVICE_SET_IRQS: return "VFIO_DEVICE_SET_IRQS";
    case VFIO_DEVICE_RESET: return "VFIO_DEVICE_RESET";
    case VFIO_IOMMU_MAP_DMA: return "VFIO_IOMMU_MAP_DMA";
    case VFIO_IOMMU_UNMAP_DMA: return "VFIO_IOMMU_UNMAP_DMA";
    case VFIO_DEVICE_BIND_IOMMUFD: return "VFIO_DEVICE_BIND_IOMMUFD";
    case VFIO_DEVICE_ATTACH_IOMMUFD_PT: return "VFIO_DEVICE_ATTACH_IOMMUFD_PT";
    case VFIO_DEVICE_DETACH_IOMMUFD_PT: return "VFIO_DEVICE_DETACH_IOMMUFD_PT";
    case IOMMU_DESTROY: return "IOMMU_DESTROY";
    case IOMMU_IOAS_ALLOC: return "IOMMU_IOAS_ALLOC";
    case IOMMU_IOAS_IOVA_RANGES: return "IOMMU_IOAS_IOVA_RANGES";
    case IOMMU_IOAS_MAP: return "IOMMU_IOAS_MAP";
    case IOMMU_IOAS_UNMAP: return "IOMMU_IOAS_UNMAP";
    default: return "unknown ioctl";
    }
}

static int fail(int err)
{
    errno = err;
    return -1;
}

static FakeFd *fd_lookup(FakeVfio *f, int fd)
{
    return g_hash_table_lookup(f->fds, GINT_TO_POINTER(fd));
}

static int fd_new(FakeVfio *f, FakeFdKind kind, FakeContainer *c, FakeGroup *g, FakeDevice *d)
{
    FakeFd *ff = g_new0(FakeFd, 1);
    int fd = f->next_fd++;

    ff->kind = kind;
    ff->c = c;
    ff->g = g;
    ff->d = d;
    g_hash_table_insert(f->fds, GINT_TO_POINTER(fd), ff);
    return fd;
}

static bool type_is_noiommu(int type)
{
    return type == VFIO_NOIOMMU_IOMMU;
}

static bool type_is_type1(int type)
{
    return type == VFIO_TYPE1_IOMMU || type == VFIO_TYPE1v2_IOMMU;
}

static void container_free(FakeVfio *f, FakeContainer *c)
{
    g_ptr_array_remove(f->containers, c);
    g_ptr_array_free(c->groups, TRUE);
    g_free(c);
}

/* g leaves its container, as the kernel does it: the last group takes the IOMMU with it. */
static void group_detach(FakeVfio *f, FakeGroup *g)
{
    FakeContainer *c = g->container;

    g_ptr_array_remove(c->groups, g);
    g->container = NULL;
    if (c->groups->len == 0) {
        for (guint i = f->live->len; i-- > 0;) {
            if (g_array_index(f->live, FakeDma, i).container_fd == c->fd) {
                f->dma_dropped++;
                g_array_remove_index(f->live, i);
            }
        }
        c->iommu_type = 0;
        if (!c->fd_open) {
            container_free(f, c);
        }
    }
}

/* ---- open / close -------------------------------------------------------------------- */

/* open(2) of path, by armpass (HostOps.open: counted, logged "open") or by a launcher
 * (fake_vfio_pass_fd: logged "pass"). */
static int open_impl(FakeVfio *f, const char *path, int flags, bool passed)
{
    g_autofree char *container_path = g_build_filename(f->dev_root, "vfio", NULL);
    g_autofree char *cdev_dir = g_build_filename(f->dev_root, "devices", NULL);
    const char *verb = passed ? "pass" : "open";
    gpointer err;
    const char *leaf;
    bool noiommu = false;
    guint64 id;

    if (g_hash_table_lookup_extended(f->open_faults, path, NULL, &err)) {
        logf_(f, "%s %s failed", verb, path);
        return fail(GPOINTER_TO_INT(err));
    }
    if ((flags & O_ACCMODE) != O_RDWR) {
        return fail(EACCES);
    }
    if (!strcmp(path, container_path)) {
        FakeContainer *c = g_new0(FakeContainer, 1);

        c->groups = g_ptr_array_new();
        c->fd_open = true;
        c->fd = fd_new(f, FD_CONTAINER, c, NULL, NULL);
        g_ptr_array_add(f->containers, c);
        f->opens += !passed;
        logf_(f, "%s %s", verb, path);
        return c->fd;
    }
    if (!strcmp(path, f->iommu_path)) {
        FakeIommufd *io;
        int fd;

        if (!f->has_iommufd) {
            return fail(ENOENT);
        }
        io = g_new0(FakeIommufd, 1);
        io->ioas = g_array_new(FALSE, TRUE, sizeof(uint32_t));
        io->next_id = 1;
        fd = fd_new(f, FD_IOMMUFD, NULL, NULL, NULL);
        ((FakeFd *)g_hash_table_lookup(f->fds, GINT_TO_POINTER(fd)))->io = io;
        io->fd = fd;
        g_ptr_array_add(f->iommufds, io);
        f->opens += !passed;
        logf_(f, "%s %s", verb, path);
        return fd;
    }
    if (g_str_has_prefix(path, cdev_dir) && g_str_has_prefix(path + strlen(cdev_dir), "/vfio") &&
        g_ascii_string_to_unsigned(path + strlen(cdev_dir) + 5, 10, 0, G_MAXINT, &id, NULL)) {
        for (guint i = 0; i < f->devices->len; i++) {
            FakeDevice *d = g_ptr_array_index(f->devices, i);

            if (d->cdev == (int)id) {
                f->opens += !passed;
                logf_(f, "%s %s", verb, path);
                return fd_new(f, FD_CDEV, NULL, NULL, d);
            }
        }
        return fail(ENOENT);
    }
    if (!g_str_has_prefix(path, f->dev_root) || path[strlen(f->dev_root)] != '/') {
        return fail(ENOENT);
    }
    leaf = path + strlen(f->dev_root) + 1;
    if (g_str_has_prefix(leaf, "noiommu-")) {
        noiommu = true;
        leaf += strlen("noiommu-");
    }
    if (!g_ascii_string_to_unsigned(leaf, 10, 0, G_MAXINT, &id, NULL)) {
        return fail(ENOENT);
    }
    for (guint i = 0; i < f->groups->len; i++) {
        FakeGroup *g = g_ptr_array_index(f->groups, i);

        if (g->id == (int)id && g->noiommu == noiommu) {
            if (g->open) {
                return fail(EBUSY); /* a group is opened once */
            }
            for (guint j = 0; j < f->devices->len; j++) {
                FakeDevice *d = g_ptr_array_index(f->devices, j);

                if (d->group == g->id && d->noiommu == g->noiommu && d->cdev_bound) {
                    return fail(EBUSY); /* a member is bound through its cdev */
                }
            }
            g->open = true;
            f->opens += !passed;
            logf_(f, "%s %s", verb, path);
            return fd_new(f, FD_GROUP, NULL, g, NULL);
        }
    }
    return fail(ENOENT);
}

static int fake_open(void *o, const char *path, int flags)
{
    return open_impl(o, path, flags, false);
}

int fake_vfio_pass_fd(FakeVfio *f, const char *path)
{
    return open_impl(f, path, O_RDWR, true);
}

/* Drops the live mappings of iommufd fd (ioas 0: of every IOAS), counting them dropped. */
static void drop_ioas_maps(FakeVfio *f, int fd, uint32_t ioas)
{
    for (guint i = f->live->len; i-- > 0;) {
        const FakeDma *l = &g_array_index(f->live, FakeDma, i);

        if (l->container_fd == fd && l->ioas && (!ioas || l->ioas == ioas)) {
            f->dma_dropped++;
            g_array_remove_index(f->live, i);
        }
    }
}

static void iommufd_free(FakeVfio *f, FakeIommufd *io)
{
    g_ptr_array_remove(f->iommufds, io);
    g_array_free(io->ioas, TRUE);
    g_free(io);
}

static int fake_close(void *o, int fd)
{
    FakeVfio *f = o;
    FakeFd *ff = fd_lookup(f, fd);

    if (!ff) {
        g_hash_table_remove(f->eventfds, GINT_TO_POINTER(fd));
        return close(fd); /* a real fd: an eventfd */
    }
    logf_(f, "close %d", fd);
    switch (ff->kind) {
    case FD_CONTAINER:
        ff->c->fd_open = false;
        if (ff->c->groups->len == 0) {
            container_free(f, ff->c);
        }
        break;
    case FD_GROUP:
        if (ff->g->container) {
            f->implicit_unsets++;
            group_detach(f, ff->g);
        }
        ff->g->open = false;
        break;
    case FD_DEVICE:
        ff->d->open_fds--;
        break;
    case FD_IOMMUFD:
        drop_ioas_maps(f, fd, 0);
        iommufd_free(f, ff->io);
        break;
    case FD_CDEV:
        if (ff->io) {
            ff->d->cdev_bound = false; /* closing unbinds */
            ff->d->bound_io = NULL;
            ff->d->open_fds--;
        }
        break;
    }
    g_hash_table_remove(f->fds, GINT_TO_POINTER(fd));
    return 0;
}

void fake_vfio_close_fd(FakeVfio *f, int fd)
{
    fake_close(f, fd);
}

/* ---- ioctl --------------------------------------------------------------------------- */

static bool groups_match_type(FakeContainer *c, int type)
{
    for (guint i = 0; i < c->groups->len; i++) {
        FakeGroup *g = g_ptr_array_index(c->groups, i);

        if (g->noiommu != type_is_noiommu(type)) {
            return false;
        }
    }
    return true;
}

static int map_dma(FakeVfio *f, FakeContainer *c, struct vfio_iommu_type1_dma_map *map)
{
    FakeDma d;

    if (!type_is_type1(c->iommu_type)) {
        return fail(ENOTTY);
    }
    if (map->argsz < sizeof(*map) || (map->flags & ~(uint32_t)(VFIO_DMA_MAP_FLAG_READ |
                                                               VFIO_DMA_MAP_FLAG_WRITE))) {
        return fail(EINVAL);
    }
    if (!map->size || (map->iova | map->size | map->vaddr) & (FAKE_PAGE - 1) ||
        map->iova + map->size < map->iova) {
        return fail(EINVAL);
    }
    for (guint i = 0; i < f->live->len; i++) {
        const FakeDma *l = &g_array_index(f->live, FakeDma, i);

        if (l->container_fd == c->fd && map->iova < l->iova + l->size &&
            l->iova < map->iova + map->size) {
            return fail(EEXIST);
        }
    }
    d = (FakeDma){ c->fd, 0, map->flags, map->vaddr, map->iova, map->size };
    g_array_append_val(f->maps, d);
    g_array_append_val(f->live, d);
    return 0;
}

static int unmap_dma(FakeVfio *f, FakeContainer *c, struct vfio_iommu_type1_dma_unmap *unmap)
{
    uint64_t start = unmap->iova, end = unmap->iova + unmap->size, done = 0;
    FakeDma d;

    if (!type_is_type1(c->iommu_type)) {
        return fail(ENOTTY);
    }
    if (unmap->argsz < sizeof(*unmap) || unmap->flags || (start | unmap->size) & (FAKE_PAGE - 1)) {
        return fail(EINVAL);
    }
    for (guint i = 0; i < f->live->len; i++) {
        const FakeDma *l = &g_array_index(f->live, FakeDma, i);

        if (l->container_fd == c->fd && l->iova < end && start < l->iova + l->size &&
            (l->iova < start || l->iova + l->size > end)) {
            return fail(EINVAL); /* would split a mapping */
        }
    }
    for (guint i = f->live->len; i-- > 0;) {
        const FakeDma *l = &g_array_index(f->live, FakeDma, i);

        if (l->container_fd == c->fd && l->iova >= start && l->iova + l->size <= end) {
            done += l->size;
            g_array_remove_index(f->live, i);
        }
    }
    d = (FakeDma){ c->fd, 0, unmap->flags, 0, unmap->iova, unmap->size };
    g_array_append_val(f->unmaps, d);
    unmap->size = done;
    return 0;
}

static int container_ioctl(FakeVfio *f, FakeContainer *c, unsigned long req, void *arg)
{
    switch (req) {
    case VFIO_GET_API_VERSION:
        return f->api_version;
    case VFIO_CHECK_EXTENSION: {
        uintptr_t type = (uintptr_t)arg;

        if (type >= 32 || !(f->iommu_types & (1u << type))) {
            return 0;
        }
        /* With groups in it, only the drivers that may take them count. */
        return groups_match_type(c, (int)type) ? 1 : 0;
    }
    case VFIO_SET_IOMMU: {
        uintptr_t type = (uintptr_t)arg;

        if (c->groups->len == 0 || c->iommu_type) {
            return fail(EINVAL);
        }
        if (type >= 32 || !(f->iommu_types & (1u << type)) ||
            !groups_match_type(c, (int)type)) {
            return fail(ENODEV);
        }
        c->iommu_type = (int)type;
        return 0;
    }
    case VFIO_IOMMU_MAP_DMA:
        return map_dma(f, c, arg);
    case VFIO_IOMMU_UNMAP_DMA:
        return unmap_dma(f, c, arg);
    default:
        return fail(ENOTTY);
    }
}

static int group_ioctl(FakeVfio *f, FakeGroup *g, unsigned long req, void *arg)
{
    switch (req) {
    case VFIO_GROUP_GET_STATUS: {
        struct vfio_group_status *st = arg;

        if (st->argsz < sizeof(*st)) {
            return fail(EINVAL);
        }
        st->flags = (g->viable ? VFIO_GROUP_FLAGS_VIABLE : 0) |
                    (g->container ? VFIO_GROUP_FLAGS_CONTAINER_SET : 0);
        return 0;
    }
    case VFIO_GROUP_SET_CONTAINER: {
        FakeFd *cf = fd_lookup(f, *(const int *)arg);
        FakeContainer *c;

        if (!cf || cf->kind != FD_CONTAINER) {
            return fail(EBADF);
        }
        c = cf->c;
        if (g->container) {
            return fail(EINVAL);
        }
        if (c->iommu_type && type_is_noiommu(c->iommu_type) != g->noiommu) {
            return fail(EPERM);
        }
        if (f->refuse_share && c->groups->len) {
            return fail(EINVAL);
        }
        g_ptr_array_add(c->groups, g);
        g->container = c;
        return 0;
    }
    case VFIO_GROUP_UNSET_CONTAINER:
        if (!g->container) {
            return fail(EINVAL);
        }
        for (guint i = 0; i < f->devices->len; i++) {
            FakeDevice *d = g_ptr_array_index(f->devices, i);

            if (d->group == g->id && d->noiommu == g->noiommu && d->open_fds) {
                return fail(EBUSY);
            }
        }
        group_detach(f, g);
        return 0;
    case VFIO_GROUP_GET_DEVICE_FD: {
        const char *name = arg;

        if (!g->container || !g->container->iommu_type || !g->viable) {
            return fail(EINVAL);
        }
        for (guint i = 0; i < f->devices->len; i++) {
            FakeDevice *d = g_ptr_array_index(f->devices, i);

            if (d->group == g->id && d->noiommu == g->noiommu && !strcmp(d->name, name)) {
                d->open_fds++;
                return fd_new(f, FD_DEVICE, NULL, NULL, d);
            }
        }
        return fail(ENODEV);
    }
    default:
        return fail(ENOTTY);
    }
}

static int region_info(FakeDevice *d, struct vfio_region_info *info)
{
    const FakeRegion *r;
    size_t need;

    if (info->argsz < sizeof(*info)) {
        return fail(EINVAL);
    }
    if (info->index >= d->num_regions) {
        return fail(EINVAL);
    }
    r = &d->regions[info->index];
    info->flags = r->flags;
    info->size = r->size;
    info->offset = FAKE_REGION_OFFSET(info->index);
    info->cap_offset = 0;
    if (r->caps_len) {
        info->flags |= VFIO_REGION_INFO_FLAG_CAPS;
        need = sizeof(*info) + r->caps_len;
        if (info->argsz < need) {
            info->argsz = need;
        } else {
            memcpy((uint8_t *)info + sizeof(*info), r->caps, r->caps_len);
            info->cap_offset = sizeof(*info);
        }
    }
    return 0;
}

static int set_irqs(FakeVfio *f, FakeDevice *d, struct vfio_irq_set *set)
{
    uint32_t data = set->flags & VFIO_IRQ_SET_DATA_TYPE_MASK;
    uint32_t action = set->flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;
    size_t unit;
    FakeSetIrqs rec = { .fd = -2 };

    if (set->argsz < sizeof(*set) ||
        (set->flags & ~(VFIO_IRQ_SET_DATA_TYPE_MASK | VFIO_IRQ_SET_ACTION_TYPE_MASK)) ||
        set->index >= d->num_irqs || __builtin_popcount(data) != 1 ||
        __builtin_popcount(action) != 1) {
        return fail(EINVAL);
    }
    unit = data == VFIO_IRQ_SET_DATA_EVENTFD ? sizeof(int32_t)
         : data == VFIO_IRQ_SET_DATA_BOOL    ? 1 : 0;
    if (set->argsz - sizeof(*set) < (size_t)set->count * unit) {
        return fail(EINVAL);
    }
    if (set->count && (set->start >= d->irqs[set->index].count ||
                       set->count > d->irqs[set->index].count - set->start)) {
        return fail(EINVAL);
    }
    if (!set->count && !(data == VFIO_IRQ_SET_DATA_NONE &&
                         action == VFIO_IRQ_SET_ACTION_TRIGGER)) {
        return fail(EINVAL);
    }
    if (action != VFIO_IRQ_SET_ACTION_TRIGGER &&
        !(d->irqs[set->index].flags & VFIO_IRQ_INFO_MASKABLE)) {
        return fail(EINVAL);
    }
    if (data == VFIO_IRQ_SET_DATA_EVENTFD) {
        for (uint32_t i = 0; i < set->count; i++) {
            int32_t fd;

            memcpy(&fd, set->data + i * sizeof(fd), sizeof(fd));
            if (fd < -1 || (fd >= 0 && fcntl(fd, F_GETFD) < 0)) {
                return fail(EBADF);
            }
        }
        memcpy(&rec.fd, set->data, sizeof(rec.fd));
    }
    g_strlcpy(rec.device, d->name, sizeof(rec.device));
    rec.flags = set->flags;
    rec.index = set->index;
    rec.start = set->start;
    rec.count = set->count;
    g_array_append_val(f->set_irqs, rec);
    return 0;
}

/* As Linux 6.1's vfio_pci_ioctl_get_pci_hot_reset_info: ENOSPC with the count when argsz
 * leaves too little room for the devices. */
static int hot_reset_info(FakeDevice *d, struct vfio_pci_hot_reset_info *info)
{
    size_t need = sizeof(*info) + d->nr_hot_reset_deps * sizeof(info->devices[0]);

    if (info->argsz < sizeof(*info)) {
        return fail(EINVAL);
    }
    if (!d->nr_hot_reset_deps) {
        return fail(ENODEV); /* no slot or bus reset */
    }
    info->flags = 0;
    info->count = d->nr_hot_reset_deps;
    if (info->argsz < need) {
        return fail(ENOSPC);
    }
    memcpy(info->devices, d->hot_reset_deps, d->nr_hot_reset_deps * sizeof(info->devices[0]));
    return 0;
}

/* As Linux 6.1: every group fd must be a VFIO group, and every dependent device's group must
 * be among them (else EINVAL). */
static int hot_reset(FakeVfio *f, FakeDevice *d, struct vfio_pci_hot_reset *reset)
{
    if (reset->argsz < sizeof(*reset) ||
        reset->argsz - sizeof(*reset) < (size_t)reset->count * sizeof(int32_t) ||
        !d->nr_hot_reset_deps) {
        return fail(EINVAL);
    }
    for (unsigned i = 0; i < d->nr_hot_reset_deps; i++) {
        bool found = false;

        for (unsigned j = 0; j < reset->count; j++) {
            FakeFd *ff = fd_lookup(f, reset->group_fds[j]);

            if (!ff || ff->kind != FD_GROUP) {
                return fail(EBADF);
            }
            found |= (uint32_t)ff->g->id == d->hot_reset_deps[i].group_id;
        }
        if (!found) {
            return fail(EINVAL);
        }
    }
    d->hot_resets++;
    d->hot_reset_groups = reset->count;
    return 0;
}

static int device_ioctl(FakeVfio *f, FakeDevice *d, unsigned long req, void *arg)
{
    switch (req) {
    case VFIO_DEVICE_GET_INFO: {
        struct vfio_device_info *info = arg;

        if (info->argsz < offsetof(struct vfio_device_info, cap_offset)) {
            return fail(EINVAL);
        }
        info->flags = d->flags;
        info->num_regions = d->num_regions;
        info->num_irqs = d->num_irqs;
        if (info->argsz >= sizeof(*info)) {
            info->cap_offset = 0;
        }
        return 0;
    }
    case VFIO_DEVICE_GET_REGION_INFO:
        return region_info(d, arg);
    case VFIO_DEVICE_GET_IRQ_INFO: {
        struct vfio_irq_info *info = arg;

        if (info->argsz < sizeof(*info) || info->index >= d->num_irqs) {
            return fail(EINVAL);
        }
        info->flags = d->irqs[info->index].flags;
        info->count = d->irqs[info->index].count;
        return 0;
    }
    case VFIO_DEVICE_SET_IRQS:
        return set_irqs(f, d, arg);
    case VFIO_DEVICE_RESET:
        if (!(d->flags & VFIO_DEVICE_FLAGS_RESET)) {
            return fail(EINVAL);
        }
        d->resets++;
        return 0;
    case VFIO_DEVICE_GET_PCI_HOT_RESET_INFO:
        return hot_reset_info(d, arg);
    case VFIO_DEVICE_PCI_HOT_RESET:
        return hot_reset(f, d, arg);
    default:
        return fail(ENOTTY);
    }
}

static bool ioas_live(const FakeIommufd *io, uint32_t id)
{
    for (guint i = 0; i < io->ioas->len; i++) {
        if (g_array_index(io->ioas, uint32_t, i) == id) {
            return true;
        }
    }
    return false;
}

static bool iova_allowed(const FakeVfio *f, uint64_t iova, uint64_t len)
{
    for (guint i = 0; i < f->iova_ranges->len; i++) {
        const struct iommu_iova_range *r = &g_array_index(f->iova_ranges,
                                                          struct iommu_iova_range, i);

        if (r->start <= iova && iova + (len - 1) <= r->last) {
            return true;
        }
    }
    return false;
}

/* As Linux 6.12's drivers/iommu/iommufd (ioas.c, main.c), what armpass uses of it. */
static int iommufd_ioctl(FakeVfio *f, FakeIommufd *io, unsigned long req, void *arg)
{
    switch (req) {
    case IOMMU_IOAS_ALLOC: {
        struct iommu_ioas_alloc *a = arg;
        uint32_t id = io->next_id++;

        if (a->size < sizeof(*a) || a->flags) {
            return fail(EINVAL);
        }
        g_array_append_val(io->ioas, id);
        a->out_ioas_id = id;
        return 0;
    }
    case IOMMU_DESTROY: {
        struct iommu_destroy *d = arg;
        GHashTableIter it;
        gpointer k, v;

        if (d->size < sizeof(*d) || !ioas_live(io, d->id)) {
            return fail(ENOENT);
        }
        g_hash_table_iter_init(&it, f->fds);
        while (g_hash_table_iter_next(&it, &k, &v)) {
            const FakeFd *ff = v;

            if (ff->kind == FD_CDEV && ff->io == io && ff->ioas == d->id) {
                return fail(EBUSY); /* a device is still attached */
            }
        }
        drop_ioas_maps(f, io->fd, d->id);
        for (guint i = 0; i < io->ioas->len; i++) {
            if (g_array_index(io->ioas, uint32_t, i) == d->id) {
                g_array_remove_index(io->ioas, i);
                break;
            }
        }
        return 0;
    }
    case IOMMU_IOAS_IOVA_RANGES: {
        struct iommu_ioas_iova_ranges *q = arg;
        uint32_t n = f->iova_ranges->len;

        if (q->size < sizeof(*q) || q->__reserved) {
            return fail(EINVAL);
        }
        if (!ioas_live(io, q->ioas_id)) {
            return fail(ENOENT);
        }
        if (q->num_iovas < n) {
            q->num_iovas = n;
            return fail(EMSGSIZE);
        }
        memcpy((void *)(uintptr_t)q->allowed_iovas, f->iova_ranges->data,
               n * sizeof(struct iommu_iova_range));
        q->num_iovas = n;
        q->out_iova_alignment = FAKE_PAGE;
        return 0;
    }
    case IOMMU_IOAS_MAP: {
        struct iommu_ioas_map *m = arg;
        const uint32_t known = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
                               IOMMU_IOAS_MAP_WRITEABLE;
        FakeDma d;

        if (m->size < sizeof(*m) || (m->flags & ~known) || m->__reserved ||
            !(m->flags & IOMMU_IOAS_MAP_FIXED_IOVA)) {
            return fail(EOPNOTSUPP);
        }
        if (!ioas_live(io, m->ioas_id)) {
            return fail(ENOENT);
        }
        if (!m->length || (m->iova | m->length | m->user_va) & (FAKE_PAGE - 1) ||
            m->iova + m->length < m->iova) {
            return fail(EINVAL);
        }
        if (!iova_allowed(f, m->iova, m->length)) {
            return fail(EADDRINUSE); /* a reserved IOVA */
        }
        for (guint i = 0; i < f->live->len; i++) {
            const FakeDma *l = &g_array_index(f->live, FakeDma, i);

            if (l->container_fd == io->fd && l->ioas == m->ioas_id && m->iova < l->iova + l->size &&
                l->iova < m->iova + m->length) {
                return fail(EEXIST);
            }
        }
        d = (FakeDma){ io->fd, m->ioas_id, m->flags, m->user_va, m->iova, m->length };
        g_array_append_val(f->maps, d);
        g_array_append_val(f->live, d);
        return 0;
    }
    case IOMMU_IOAS_UNMAP: {
        struct iommu_ioas_unmap *u = arg;
        uint64_t start = u->iova, end = u->iova + u->length, done = 0;
        FakeDma d;

        if (u->size < sizeof(*u)) {
            return fail(EINVAL);
        }
        if (!ioas_live(io, u->ioas_id)) {
            return fail(ENOENT);
        }
        for (guint i = 0; i < f->live->len; i++) {
            const FakeDma *l = &g_array_index(f->live, FakeDma, i);

            if (l->container_fd == io->fd && l->ioas == u->ioas_id && l->iova < end &&
                start < l->iova + l->size && (l->iova < start || l->iova + l->size > end)) {
                return fail(ENOENT); /* would split an area */
            }
        }
        for (guint i = f->live->len; i-- > 0;) {
            const FakeDma *l = &g_array_index(f->live, FakeDma, i);

            if (l->container_fd == io->fd && l->ioas == u->ioas_id && l->iova >= start &&
                l->iova + l->size <= end) {
                done += l->size;
                g_array_remove_index(f->live, i);
            }
        }
        if (!done) {
            return fail(ENOENT);
        }
        d = (FakeDma){ io->fd, u->ioas_id, 0, 0, u->iova, u->length };
        g_array_append_val(f->unmaps, d);
        u->length = done;
        return 0;
    }
    default:
        return fail(ENOTTY);
    }
}

/* Whether a device of group `group` is bound to iommufd io (owned, for a cdev's bus reset). */
static bool group_owned(FakeVfio *f, uint32_t group, const FakeIommufd *io)
{
    for (guint i = 0; i < f->devices->len; i++) {
        const FakeDevice *d = g_ptr_array_index(f->devices, i);

        if ((uint32_t)d->group == group && d->bound_io == io) {
            return true;
        }
    }
    return false;
}

/* Bus reset info and reset from a cdev (6.12): devids instead of group ids, DEV_ID_OWNED when
 * every affected device is bound to the caller's iommufd; the reset then takes no fd. */
static int cdev_hot_reset(FakeVfio *f, FakeFd *ff, unsigned long req, void *arg)
{
    FakeDevice *d = ff->d;
    bool all = true;

    for (unsigned i = 0; i < d->nr_hot_reset_deps; i++) {
        all &= group_owned(f, d->hot_reset_deps[i].group_id, ff->io);
    }
    if (req == VFIO_DEVICE_GET_PCI_HOT_RESET_INFO) {
        struct vfio_pci_hot_reset_info *info = arg;
        size_t need = sizeof(*info) + d->nr_hot_reset_deps * sizeof(info->devices[0]);

        if (info->argsz < sizeof(*info)) {
            return fail(EINVAL);
        }
        if (!d->nr_hot_reset_deps) {
            return fail(ENODEV);
        }
        info->flags = VFIO_PCI_HOT_RESET_FLAG_DEV_ID |
                      (all ? VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED : 0);
        info->count = d->nr_hot_reset_deps;
        if (info->argsz < need) {
            return fail(ENOSPC);
        }
        for (unsigned i = 0; i < d->nr_hot_reset_deps; i++) {
            info->devices[i] = d->hot_reset_deps[i];
            info->devices[i].devid = group_owned(f, d->hot_reset_deps[i].group_id, ff->io)
                                         ? VFIO_PCI_DEVID_OWNED
                                         : (uint32_t)VFIO_PCI_DEVID_NOT_OWNED;
        }
        return 0;
    }
    {
        struct vfio_pci_hot_reset *reset = arg;

        if (reset->argsz < sizeof(*reset) || reset->count || !d->nr_hot_reset_deps) {
            return fail(EINVAL);
        }
        if (!all) {
            return fail(EPERM);
        }
        d->hot_resets++;
        d->hot_reset_groups = 0;
        return 0;
    }
}

/* A cdev fd (drivers/vfio/device_cdev.c, 6.12): bind, attach and detach; the device ioctls
 * once bound (EINVAL before). */
static int cdev_ioctl(FakeVfio *f, FakeFd *ff, unsigned long req, void *arg)
{
    FakeDevice *d = ff->d;

    switch (req) {
    case VFIO_DEVICE_BIND_IOMMUFD: {
        struct vfio_device_bind_iommufd *b = arg;
        FakeFd *iof;

        if (b->argsz < sizeof(*b) || b->flags || b->iommufd < 0) {
            return fail(EINVAL);
        }
        for (guint i = 0; i < f->groups->len; i++) {
            const FakeGroup *g = g_ptr_array_index(f->groups, i);

            if (g->id == d->group && g->noiommu == d->noiommu && g->open) {
                return fail(EBUSY); /* vfio_device_block_group */
            }
        }
        if (ff->io || d->cdev_bound) {
            return fail(EINVAL); /* one device cannot be bound twice */
        }
        iof = fd_lookup(f, b->iommufd);
        if (!iof) {
            return fail(fcntl(b->iommufd, F_GETFD) < 0 ? EBADF : EBADFD);
        }
        if (iof->kind != FD_IOMMUFD) {
            return fail(EBADFD);
        }
        ff->io = iof->io;
        d->cdev_bound = true;
        d->bound_io = iof->io;
        d->open_fds++;
        d->binds++;
        b->out_devid = 0x100 + (uint32_t)d->cdev;
        return 0;
    }
    case VFIO_DEVICE_ATTACH_IOMMUFD_PT: {
        struct vfio_device_attach_iommufd_pt *a = arg;

        if (!ff->io || a->argsz < sizeof(*a) || a->flags) {
            return fail(EINVAL);
        }
        if (!ioas_live(ff->io, a->pt_id)) {
            return fail(ENOENT);
        }
        ff->ioas = a->pt_id;
        return 0;
    }
    case VFIO_DEVICE_DETACH_IOMMUFD_PT: {
        struct vfio_device_detach_iommufd_pt *dt = arg;

        if (!ff->io || dt->argsz < sizeof(*dt) || dt->flags) {
            return fail(EINVAL);
        }
        ff->ioas = 0;
        return 0;
    }
    case VFIO_DEVICE_GET_PCI_HOT_RESET_INFO:
    case VFIO_DEVICE_PCI_HOT_RESET:
        if (!ff->io) {
            return fail(EINVAL);
        }
        return cdev_hot_reset(f, ff, req, arg);
    default:
        if (!ff->io) {
            return fail(EINVAL); /* access not granted before the bind */
        }
        return device_ioctl(f, d, req, arg);
    }
}

static int fake_ioctl(void *o, int fd, unsigned long req, void *arg)
{
    FakeVfio *f = o;
    gpointer n = g_hash_table_lookup(f->calls, GSIZE_TO_POINTER(req));
    bool faulted = false;
    int err = 0;
    FakeFd *ff;

    g_hash_table_insert(f->calls, GSIZE_TO_POINTER(req),
                        GUINT_TO_POINTER(GPOINTER_TO_UINT(n) + 1));
    for (guint i = 0; i < f->ioctl_faults->len; i++) {
        FakeFault *ft = &g_array_index(f->ioctl_faults, FakeFault, i);

        if (ft->request == req) {
            ft->seen++;
            if (!faulted && (ft->nth == 0 || ft->seen == ft->nth)) {
                faulted = true;
                err = ft->err;
            }
        }
    }
    if (faulted) {
        logf_(f, "%s %d failed", fake_ioctl_name(req), fd);
        return fail(err);
    }
    ff = fd_lookup(f, fd);
    if (!ff) {
        return fail(EBADF);
    }
    if (req == VFIO_CHECK_EXTENSION || req == VFIO_SET_IOMMU) {
        logf_(f, "%s %d (fd %d)", fake_ioctl_name(req), (int)(uintptr_t)arg, fd);
    } else {
        logf_(f, "%s %d", fake_ioctl_name(req), fd);
    }
    switch (ff->kind) {
    case FD_CONTAINER:
        return container_ioctl(f, ff->c, req, arg);
    case FD_GROUP:
        return group_ioctl(f, ff->g, req, arg);
    case FD_DEVICE:
        return device_ioctl(f, ff->d, req, arg);
    case FD_IOMMUFD:
        return iommufd_ioctl(f, ff->io, req, arg);
    case FD_CDEV:
        return cdev_ioctl(f, ff, req, arg);
    }
    return fail(ENOTTY);
}

/* ---- mmap, pread/pwrite, eventfd ----------------------------------------------------- */

/* The region of device fd at file offset off for len bytes, or NULL (errno set). */
static FakeRegion *rw_region(FakeVfio *f, int fd, uint64_t off, size_t len, uint64_t *roff)
{
    FakeFd *ff = fd_lookup(f, fd);
    uint64_t index = off >> 40;
    FakeRegion *r;

    if (!ff || (ff->kind != FD_DEVICE && !(ff->kind == FD_CDEV && ff->io))) {
        errno = EBADF;
        return NULL;
    }
    if (index >= ff->d->num_regions) {
        errno = EINVAL;
        return NULL;
    }
    r = &ff->d->regions[index];
    *roff = off & FAKE_OFFSET_MASK;
    if (*roff > r->size || len > r->size - *roff) {
        errno = EINVAL;
        return NULL;
    }
    return r;
}

static void *fake_mmap(void *o, void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    FakeVfio *f = o;
    uint64_t roff;
    FakeRegion *r = rw_region(f, fd, (uint64_t)off, len, &roff);
    void *host;

    (void)addr;
    if (!r) {
        return MAP_FAILED;
    }
    if (f->mmap_errno) {
        errno = f->mmap_errno;
        return MAP_FAILED;
    }
    if (!(r->flags & VFIO_REGION_INFO_FLAG_MMAP) || !(flags & MAP_SHARED) ||
        ((prot & PROT_READ) && !(r->flags & VFIO_REGION_INFO_FLAG_READ)) ||
        ((prot & PROT_WRITE) && !(r->flags & VFIO_REGION_INFO_FLAG_WRITE)) ||
        (roff | len) % FAKE_PAGE || r->size < FAKE_PAGE || len == 0) {
        errno = EINVAL;
        return MAP_FAILED;
    }
    host = mmap(NULL, len, prot, MAP_SHARED, r->memfd, (off_t)roff);
    if (host == MAP_FAILED) {
        return MAP_FAILED;
    }
    g_hash_table_insert(f->mmaps, host, GSIZE_TO_POINTER(len));
    logf_(f, "mmap %d 0x%" PRIx64, fd, (uint64_t)off);
    return host;
}

static int fake_munmap(void *o, void *addr, size_t len)
{
    FakeVfio *f = o;
    gpointer l;

    if (!g_hash_table_lookup_extended(f->mmaps, addr, NULL, &l) || GPOINTER_TO_SIZE(l) != len) {
        return fail(EINVAL); /* not an mmap the fake handed out */
    }
    g_hash_table_remove(f->mmaps, addr);
    logf_(f, "munmap");
    return munmap(addr, len);
}

static ssize_t fake_pread(void *o, int fd, void *buf, size_t len, off_t off)
{
    FakeVfio *f = o;
    uint64_t roff;
    FakeRegion *r = rw_region(f, fd, (uint64_t)off, len, &roff);

    if (!r) {
        return -1;
    }
    if (f->rw_errno) {
        return fail(f->rw_errno);
    }
    if (!(r->flags & VFIO_REGION_INFO_FLAG_READ)) {
        return fail(EINVAL);
    }
    if (f->rw_short && len) {
        len--;
    }
    memcpy(buf, r->mem + roff, len);
    return (ssize_t)len;
}

static ssize_t fake_pwrite(void *o, int fd, const void *buf, size_t len, off_t off)
{
    FakeVfio *f = o;
    uint64_t roff;
    FakeRegion *r = rw_region(f, fd, (uint64_t)off, len, &roff);

    if (!r) {
        return -1;
    }
    if (f->rw_errno) {
        return fail(f->rw_errno);
    }
    if (!(r->flags & VFIO_REGION_INFO_FLAG_WRITE)) {
        return fail(EINVAL);
    }
    if (f->rw_short && len) {
        len--;
    }
    memcpy(r->mem + roff, buf, len);
    return (ssize_t)len;
}

static int fake_eventfd(void *o, unsigned int initval, int flags)
{
    FakeVfio *f = o;
    int fd = eventfd(initval, flags | EFD_CLOEXEC);

    if (fd >= 0) {
        g_hash_table_add(f->eventfds, GINT_TO_POINTER(fd));
    }
    return fd;
}

/* Fake fds are character devices with the numbers of vfio-fake.h; real fds are fstat'ed. */
static int fake_fstat(void *o, int fd, struct stat *st)
{
    FakeVfio *f = o;
    FakeFd *ff = fd_lookup(f, fd);

    if (!ff) {
        return fstat(fd, st);
    }
    memset(st, 0, sizeof(*st));
    st->st_mode = S_IFCHR | 0600;
    switch (ff->kind) {
    case FD_CONTAINER:
        st->st_rdev = makedev(FAKE_MISC_MAJOR, FAKE_VFIO_MINOR);
        break;
    case FD_IOMMUFD:
        st->st_rdev = makedev(FAKE_MISC_MAJOR, FAKE_IOMMU_MINOR);
        break;
    case FD_GROUP:
        st->st_rdev = makedev(FAKE_GROUP_MAJOR, ff->g->id + (ff->g->noiommu ? 1000 : 0));
        break;
    case FD_CDEV:
        st->st_rdev = makedev(FAKE_CDEV_MAJOR, ff->d->cdev);
        break;
    case FD_DEVICE:
        st->st_mode = S_IFREG | 0600; /* an anon inode: not a char device */
        break;
    }
    return 0;
}

void fake_vfio_set_iova_ranges(FakeVfio *f, unsigned n, const uint64_t *start,
                               const uint64_t *last)
{
    g_array_set_size(f->iova_ranges, 0);
    for (unsigned i = 0; i < n; i++) {
        struct iommu_iova_range r = { start[i], last[i] };

        g_array_append_val(f->iova_ranges, r);
    }
}

/* ---- Set-up -------------------------------------------------------------------------- */

FakeVfio *fake_vfio_new(const char *dev_root)
{
    FakeVfio *f = g_new0(FakeVfio, 1);

    f->ops = (HostOps){
        .open = fake_open,
        .close = fake_close,
        .ioctl = fake_ioctl,
        .mmap = fake_mmap,
        .munmap = fake_munmap,
        .pread = fake_pread,
        .pwrite = fake_pwrite,
        .eventfd = fake_eventfd,
        .fstat = fake_fstat,
        .opaque = f,
    };
    f->dev_root = g_strdup(dev_root);
    f->devices = g_ptr_array_new();
    f->groups = g_ptr_array_new_with_free_func(g_free);
    f->containers = g_ptr_array_new();
    f->iommufds = g_ptr_array_new();
    f->iommu_path = g_strdup("/dev/iommu");
    f->has_iommufd = true;
    f->iova_ranges = g_array_new(FALSE, TRUE, sizeof(struct iommu_iova_range));
    {
        /* the test bed's NVMe behind L0's SMMUv3 (6.12): the MSI window left out */
        static const uint64_t start[] = { 0, 0x8100000 }, last[] = { 0x7ffffff,
                                                                     0xffffffffffffULL };

        fake_vfio_set_iova_ranges(f, 2, start, last);
    }
    f->fds = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    f->eventfds = g_hash_table_new(g_direct_hash, g_direct_equal);
    f->next_fd = FAKE_FD_BASE;
    f->api_version = VFIO_API_VERSION;
    f->iommu_types = (1u << VFIO_TYPE1_IOMMU) | (1u << VFIO_TYPE1v2_IOMMU) |
                     (1u << VFIO_NOIOMMU_IOMMU);
    f->set_irqs = g_array_new(FALSE, TRUE, sizeof(FakeSetIrqs));
    f->maps = g_array_new(FALSE, TRUE, sizeof(FakeDma));
    f->unmaps = g_array_new(FALSE, TRUE, sizeof(FakeDma));
    f->live = g_array_new(FALSE, TRUE, sizeof(FakeDma));
    f->calls = g_hash_table_new(g_direct_hash, g_direct_equal);
    f->mmaps = g_hash_table_new(g_direct_hash, g_direct_equal);
    f->log = g_ptr_array_new_with_free_func(g_free);
    f->ioctl_faults = g_array_new(FALSE, TRUE, sizeof(FakeFault));
    f->open_faults = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    return f;
}

void fake_vfio_free(FakeVfio *f)
{
    GHashTableIter it;
    gpointer k, v;

    g_hash_table_iter_init(&it, f->mmaps);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        munmap(k, GPOINTER_TO_SIZE(v));
    }
    for (guint i = 0; i < f->devices->len; i++) {
        FakeDevice *d = g_ptr_array_index(f->devices, i);

        for (unsigned j = 0; j < d->num_regions; j++) {
            FakeRegion *r = &d->regions[j];

            if (r->mem) {
                munmap(r->mem, (r->size + FAKE_PAGE - 1) & ~(uint64_t)(FAKE_PAGE - 1));
                close(r->memfd);
            }
            g_free(r->caps);
        }
        g_free(d->name);
        g_free(d);
    }
    while (f->containers->len) {
        FakeContainer *c = g_ptr_array_index(f->containers, 0);

        container_free(f, c);
    }
    g_ptr_array_free(f->devices, TRUE);
    g_ptr_array_free(f->groups, TRUE);
    g_ptr_array_free(f->containers, TRUE);
    while (f->iommufds->len) {
        iommufd_free(f, g_ptr_array_index(f->iommufds, 0));
    }
    g_ptr_array_free(f->iommufds, TRUE);
    g_free(f->iommu_path);
    g_array_free(f->iova_ranges, TRUE);
    g_hash_table_destroy(f->fds);
    g_hash_table_destroy(f->eventfds);
    g_array_free(f->set_irqs, TRUE);
    g_array_free(f->maps, TRUE);
    g_array_free(f->unmaps, TRUE);
    g_array_free(f->live, TRUE);
    g_hash_table_destroy(f->calls);
    g_hash_table_destroy(f->mmaps);
    g_ptr_array_free(f->log, TRUE);
    g_array_free(f->ioctl_faults, TRUE);
    g_hash_table_destroy(f->open_faults);
    g_free(f->dev_root);
    g_free(f);
}

FakeGroup *fake_vfio_group(FakeVfio *f, int id, bool noiommu)
{
    FakeGroup *g;

    for (guint i = 0; i < f->groups->len; i++) {
        g = g_ptr_array_index(f->groups, i);
        if (g->id == id && g->noiommu == noiommu) {
            return g;
        }
    }
    g = g_new0(FakeGroup, 1);
    g->id = id;
    g->noiommu = noiommu;
    g->viable = true;
    g_ptr_array_add(f->groups, g);
    return g;
}

FakeDevice *fake_vfio_add_device(FakeVfio *f, const char *name, int group, bool noiommu,
                                 uint32_t flags)
{
    FakeDevice *d = g_new0(FakeDevice, 1);

    d->name = g_strdup(name);
    d->group = group;
    d->noiommu = noiommu;
    d->flags = flags;
    d->cdev = noiommu ? -1 : (int)f->devices->len;
    fake_vfio_group(f, group, noiommu);
    g_ptr_array_add(f->devices, d);
    return d;
}

unsigned fake_device_add_region(FakeDevice *d, uint32_t flags, uint64_t size)
{
    unsigned index = d->num_regions++;
    FakeRegion *r = &d->regions[index];
    uint64_t rounded = (size + FAKE_PAGE - 1) & ~(uint64_t)(FAKE_PAGE - 1);

    g_assert_cmpuint(index, <, FAKE_MAX_REGIONS);
    r->flags = flags;
    r->size = size;
    r->memfd = -1;
    if (rounded) {
        r->memfd = memfd_create("fake-vfio-region", MFD_CLOEXEC);
        g_assert_cmpint(r->memfd, >=, 0);
        g_assert_cmpint(ftruncate(r->memfd, (off_t)rounded), ==, 0);
        r->mem = mmap(NULL, rounded, PROT_READ | PROT_WRITE, MAP_SHARED, r->memfd, 0);
        g_assert(r->mem != MAP_FAILED);
    }
    return index;
}

void fake_region_set_caps(FakeDevice *d, unsigned index, const void *caps, size_t caps_len)
{
    g_assert_cmpuint(index, <, d->num_regions);
    g_free(d->regions[index].caps);
    d->regions[index].caps = g_malloc(caps_len ? caps_len : 1);
    memcpy(d->regions[index].caps, caps, caps_len);
    d->regions[index].caps_len = caps_len;
}

static void put16(uint8_t *c, unsigned at, uint16_t v)
{
    c[at] = (uint8_t)v;
    c[at + 1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *c, unsigned at, uint32_t v)
{
    put16(c, at, (uint16_t)v);
    put16(c, at + 2, (uint16_t)(v >> 16));
}

FakeDevice *fake_vfio_add_nvme(FakeVfio *f, const char *name, int group,
                               FakeNvmeVariant variant)
{
    FakeDevice *d = fake_vfio_add_device(f, name, group, false,
                                         VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET);
    const uint32_t rwm = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
                         VFIO_REGION_INFO_FLAG_MMAP;
    uint8_t *c;

    for (unsigned i = 0; i < VFIO_PCI_NUM_REGIONS; i++) {
        if (i == VFIO_PCI_BAR0_REGION_INDEX) {
            fake_device_add_region(d, rwm, FAKE_NVME_BAR0_SIZE);
        } else if (i == VFIO_PCI_CONFIG_REGION_INDEX) {
            fake_device_add_region(d, VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE,
                                   FAKE_NVME_CONFIG_SIZE);
        } else {
            fake_device_add_region(d, 0, 0);
        }
    }
    if (variant == FAKE_NVME_SPARSE) {
        /* The header and one area, laid out as the kernel does (no struct: clang refuses a
         * flexible-array struct that is not last). */
        struct vfio_region_info_cap_sparse_mmap hdr = {
            .header = { .id = VFIO_REGION_INFO_CAP_SPARSE_MMAP, .version = 1 },
            .nr_areas = 1,
        };
        struct vfio_region_sparse_mmap_area area = { .offset = 0, .size = 0x2000 };
        uint8_t sp[sizeof(hdr) + sizeof(area)];

        memcpy(sp, &hdr, sizeof(hdr));
        memcpy(sp + sizeof(hdr), &area, sizeof(area));
        fake_region_set_caps(d, VFIO_PCI_BAR0_REGION_INDEX, sp, sizeof(sp));
    } else {
        struct vfio_info_cap_header mm = { .id = VFIO_REGION_INFO_CAP_MSIX_MAPPABLE,
                                           .version = 1 };

        fake_region_set_caps(d, VFIO_PCI_BAR0_REGION_INDEX, &mm, sizeof(mm));
    }
    fake_device_add_irq(d, VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE |
                               VFIO_IRQ_INFO_AUTOMASKED, 1);          /* INTx */
    fake_device_add_irq(d, VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE,
                        32); /* MSI: as Linux counts it, what the capability offers */
    fake_device_add_irq(d, VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE,
                        variant == FAKE_NVME_NO_MSIX ? 0 : FAKE_NVME_VECTORS); /* MSI-X */
    fake_device_add_irq(d, VFIO_IRQ_INFO_EVENTFD, 1);                 /* ERR */
    fake_device_add_irq(d, VFIO_IRQ_INFO_EVENTFD, 1);                 /* REQ */

    c = d->regions[VFIO_PCI_CONFIG_REGION_INDEX].mem;
    put16(c, PCI_VENDOR_ID, 0x1b36);
    put16(c, PCI_DEVICE_ID, 0x0010);
    put16(c, PCI_STATUS, PCI_STATUS_CAP_LIST);
    c[PCI_REVISION_ID] = 0x02;
    c[PCI_CLASS_PROG] = 0x02;       /* NVM Express */
    put16(c, PCI_CLASS_DEVICE, 0x0108); /* mass storage, non-volatile memory */
    c[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_NORMAL;
    put32(c, PCI_BASE_ADDRESS_0, PCI_BASE_ADDRESS_MEM_TYPE_64);
    put16(c, PCI_SUBSYSTEM_VENDOR_ID, 0x1af4);
    put16(c, PCI_SUBSYSTEM_ID, 0x1100);
    put32(c, PCI_ROM_ADDRESS, 0xfeb80000 | PCI_ROM_ADDRESS_ENABLE);
    c[PCI_CAPABILITY_LIST] = 0x40;
    c[PCI_INTERRUPT_LINE] = 0x0b;
    c[PCI_INTERRUPT_PIN] = 1;
    /* PM */
    c[0x40] = PCI_CAP_ID_PM;
    c[0x41] = 0x50;
    put16(c, 0x42, 0x0003);
    put16(c, 0x44, 0x0008);
    /* MSI: 64-bit, 32 vectors, no per-vector masking (14 bytes: with the mask and pending
     * bits it would be 24 and run into MSI-X at 0x60) */
    c[0x50] = PCI_CAP_ID_MSI;
    c[0x51] = variant == FAKE_NVME_NO_MSIX ? 0x70 : FAKE_NVME_MSIX_CAP;
    put16(c, 0x52, PCI_MSI_FLAGS_64BIT | 0x000a);
    if (variant != FAKE_NVME_NO_MSIX) {
        c[0x60] = PCI_CAP_ID_MSIX;
        c[0x61] = 0x70;
        put16(c, 0x62, FAKE_NVME_VECTORS - 1);
        put32(c, 0x64, 0x2000 | 0);
        put32(c, 0x68, 0x3000 | 0);
    }
    /* PCI Express v2 endpoint */
    c[0x70] = PCI_CAP_ID_EXP;
    c[0x71] = 0;
    put16(c, 0x72, 0x0002);
    /* AER at 0x100, the end of the extended list */
    put32(c, 0x100, 0x00010001);
    return d;
}

FakeDevice *fake_vfio_add_ahci(FakeVfio *f, const char *name, int group, uint8_t pin,
                               bool specific)
{
    FakeDevice *d = fake_vfio_add_device(f, name, group, false, VFIO_DEVICE_FLAGS_PCI);
    const uint32_t rw = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
    unsigned dom, bus, slot, fn;
    uint8_t *c, *rom;

    for (unsigned i = 0; i < VFIO_PCI_NUM_REGIONS; i++) {
        if (i == VFIO_PCI_BAR4_REGION_INDEX) {
            fake_device_add_region(d, rw, FAKE_AHCI_IO_SIZE);
        } else if (i == VFIO_PCI_BAR5_REGION_INDEX) {
            fake_device_add_region(d, rw | VFIO_REGION_INFO_FLAG_MMAP, FAKE_AHCI_BAR5_SIZE);
        } else if (i == VFIO_PCI_ROM_REGION_INDEX) {
            fake_device_add_region(d, VFIO_REGION_INFO_FLAG_READ, FAKE_AHCI_ROM_SIZE);
        } else if (i == VFIO_PCI_CONFIG_REGION_INDEX) {
            fake_device_add_region(d, rw, FAKE_AHCI_CONFIG_SIZE);
        } else {
            fake_device_add_region(d, 0, 0);
        }
    }
    if (specific) {
        struct vfio_region_info_cap_type t = {
            .header = { .id = VFIO_REGION_INFO_CAP_TYPE, .version = 1 },
            .type = FAKE_AHCI_SPECIFIC_TYPE,
            .subtype = FAKE_AHCI_SPECIFIC_SUBTYPE,
        };
        unsigned idx = fake_device_add_region(d, VFIO_REGION_INFO_FLAG_READ,
                                              FAKE_AHCI_SPECIFIC_SIZE);

        fake_region_set_caps(d, idx, &t, sizeof(t));
    }
    fake_device_add_irq(d, VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE |
                               VFIO_IRQ_INFO_AUTOMASKED, 1);          /* INTx */
    fake_device_add_irq(d, VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE,
                        FAKE_AHCI_MSI_VECTORS);                       /* MSI */
    fake_device_add_irq(d, VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE, 0); /* MSI-X */
    fake_device_add_irq(d, VFIO_IRQ_INFO_EVENTFD, 1);                 /* ERR */
    fake_device_add_irq(d, VFIO_IRQ_INFO_EVENTFD, 1);                 /* REQ */

    rom = d->regions[VFIO_PCI_ROM_REGION_INDEX].mem;
    for (unsigned i = 0; i < FAKE_AHCI_ROM_SIZE; i++) {
        rom[i] = (uint8_t)i;
    }
    rom[0] = 0x55;
    rom[1] = 0xaa;

    c = d->regions[VFIO_PCI_CONFIG_REGION_INDEX].mem;
    put16(c, PCI_VENDOR_ID, 0x8086);
    put16(c, PCI_DEVICE_ID, 0x2922);
    put16(c, PCI_STATUS, PCI_STATUS_CAP_LIST);
    c[PCI_REVISION_ID] = 0x02;
    c[PCI_CLASS_PROG] = 0x01;           /* AHCI 1.0 */
    put16(c, PCI_CLASS_DEVICE, 0x0106); /* mass storage, SATA */
    c[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_NORMAL;
    put32(c, PCI_BASE_ADDRESS_4, PCI_BASE_ADDRESS_SPACE_IO);
    put32(c, PCI_BASE_ADDRESS_5, 0);
    put32(c, PCI_ROM_ADDRESS, 0xfeb00000);
    c[PCI_CAPABILITY_LIST] = 0x70;
    c[PCI_INTERRUPT_LINE] = 0x0a;
    c[PCI_INTERRUPT_PIN] = pin;
    /* PM */
    c[0x70] = PCI_CAP_ID_PM;
    c[0x71] = FAKE_AHCI_MSI_CAP;
    put16(c, 0x72, 0x0003);
    /* MSI: 64-bit, per-vector masking, 8 vectors (24 bytes: 0x80-0x97) */
    c[FAKE_AHCI_MSI_CAP] = PCI_CAP_ID_MSI;
    c[FAKE_AHCI_MSI_CAP + 1] = 0;
    put16(c, FAKE_AHCI_MSI_CAP + PCI_MSI_FLAGS,
          PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_MASKBIT | (3 << 1));

    if (sscanf(name, "%x:%x:%x.%u", &dom, &bus, &slot, &fn) == 4) {
        d->hot_reset_deps[0] = (struct vfio_pci_dependent_device){
            .group_id = (uint32_t)group, .segment = (uint16_t)dom, .bus = (uint8_t)bus,
            .devfn = (uint8_t)(slot << 3 | fn) };
        d->nr_hot_reset_deps = 1;
    }
    return d;
}

unsigned fake_device_add_irq(FakeDevice *d, uint32_t flags, uint32_t count)
{
    unsigned index = d->num_irqs++;

    g_assert_cmpuint(index, <, FAKE_MAX_IRQS);
    d->irqs[index] = (struct vfio_irq_info){
        .argsz = sizeof(struct vfio_irq_info),
        .flags = flags,
        .index = index,
        .count = count,
    };
    return index;
}

void fake_vfio_fail_ioctl(FakeVfio *f, unsigned long request, unsigned nth, int err)
{
    FakeFault ft = { .request = request, .nth = nth, .err = err };

    g_array_append_val(f->ioctl_faults, ft);
}

void fake_vfio_fail_open(FakeVfio *f, const char *path, int err)
{
    if (err) {
        g_hash_table_insert(f->open_faults, g_strdup(path), GINT_TO_POINTER(err));
    } else {
        g_hash_table_remove(f->open_faults, path);
    }
}

void fake_vfio_clear_faults(FakeVfio *f)
{
    g_array_set_size(f->ioctl_faults, 0);
    g_hash_table_remove_all(f->open_faults);
    f->rw_errno = 0;
    f->rw_short = false;
    f->mmap_errno = 0;
}

unsigned fake_vfio_open_fds(const FakeVfio *f)
{
    return g_hash_table_size(f->fds);
}

unsigned fake_vfio_open_eventfds(const FakeVfio *f)
{
    return g_hash_table_size(f->eventfds);
}

unsigned fake_vfio_calls(const FakeVfio *f, unsigned long request)
{
    return GPOINTER_TO_UINT(g_hash_table_lookup(f->calls, GSIZE_TO_POINTER(request)));
}

unsigned fake_vfio_live_mmaps(const FakeVfio *f)
{
    return g_hash_table_size(f->mmaps);
}

unsigned fake_vfio_log_count(const FakeVfio *f, const char *prefix)
{
    unsigned n = 0;

    for (guint i = 0; i < f->log->len; i++) {
        n += g_str_has_prefix(g_ptr_array_index(f->log, i), prefix);
    }
    return n;
}

int fake_vfio_log_find(const FakeVfio *f, const char *prefix, int from)
{
    for (guint i = from < 0 ? 0 : (guint)from; i < f->log->len; i++) {
        if (g_str_has_prefix(g_ptr_array_index(f->log, i), prefix)) {
            return (int)i;
        }
    }
    return -1;
}

/* ---- sysfs --------------------------------------------------------------------------- */

static void write_at(const char *root, const char *rel, const char *text)
{
    g_autofree char *path = g_build_filename(root, rel, NULL);
    g_autofree char *dir = g_path_get_dirname(path);

    g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
    g_assert_true(g_file_set_contents(path, text, -1, NULL));
}

char *sysfs_fixture_new(void)
{
    g_autoptr(GError) err = NULL;
    char *root = g_dir_make_tmp("armpass-vfio-sysfs-XXXXXX", &err);
    g_autofree char *vfio = g_strdup_printf("%d:%d\n", FAKE_MISC_MAJOR, FAKE_VFIO_MINOR);
    g_autofree char *iommu = g_strdup_printf("%d:%d\n", FAKE_MISC_MAJOR, FAKE_IOMMU_MINOR);
    g_autofree char *devchar = g_build_filename(root, "dev", "char", NULL);
    g_autofree char *null = g_build_filename(devchar, "1:3", NULL);

    g_assert_no_error(err);
    write_at(root, "class/misc/vfio/dev", vfio);
    write_at(root, "class/misc/iommu/dev", iommu);
    write_at(root, "devices/virtual/mem/null/dev", "1:3\n");
    g_assert_cmpint(g_mkdir_with_parents(devchar, 0755), ==, 0);
    g_assert_cmpint(symlink("../../devices/virtual/mem/null", null), ==, 0);
    return root;
}

void sysfs_fixture_add_cdev(const char *root, const char *bus, const char *name, int cdev)
{
    const char *parent = !strcmp(bus, "pci") ? "pci0000:00" : "platform";
    g_autofree char *rel = g_strdup_printf("devices/%s/%s/vfio-dev/vfio%d/dev", parent, name,
                                           cdev);
    g_autofree char *text = g_strdup_printf("%d:%d\n", FAKE_CDEV_MAJOR, cdev);

    write_at(root, rel, text);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void sysfs_fixture_free(char *root)
{
    if (root) {
        g_assert_cmpint(nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS), ==, 0);
        g_free(root);
    }
}

static void mkdirs(const char *root, const char *rel)
{
    g_autofree char *path = g_build_filename(root, rel, NULL);

    g_assert_cmpint(g_mkdir_with_parents(path, 0755), ==, 0);
}

static void link_at(const char *root, const char *rel, const char *target)
{
    g_autofree char *path = g_build_filename(root, rel, NULL);

    g_assert_cmpint(symlink(target, path), ==, 0);
}

void sysfs_fixture_add(const char *root, const char *bus, const char *name, int group,
                       bool noiommu, const char *driver)
{
    const char *parent = !strcmp(bus, "pci") ? "pci0000:00" : "platform";
    g_autofree char *dev = g_strdup_printf("devices/%s/%s", parent, name);
    g_autofree char *busdevs = g_strdup_printf("bus/%s/devices", bus);
    g_autofree char *busdrvs = g_strdup_printf("bus/%s/drivers", bus);

    mkdirs(root, dev);
    mkdirs(root, busdevs);
    mkdirs(root, busdrvs);
    {
        g_autofree char *rel = g_strdup_printf("%s/subsystem", dev);
        g_autofree char *target = g_strdup_printf("../../../bus/%s", bus);

        link_at(root, rel, target);
    }
    {
        g_autofree char *rel = g_strdup_printf("%s/%s", busdevs, name);
        g_autofree char *target = g_strdup_printf("../../../%s", dev);

        link_at(root, rel, target);
    }
    if (driver) {
        g_autofree char *drvdir = g_strdup_printf("%s/%s", busdrvs, driver);
        g_autofree char *rel = g_strdup_printf("%s/driver", dev);
        g_autofree char *target = g_strdup_printf("../../../bus/%s/drivers/%s", bus, driver);

        mkdirs(root, drvdir);
        link_at(root, rel, target);
    }
    if (group >= 0) {
        g_autofree char *cls = g_strdup_printf("class/vfio/%s%d/dev", noiommu ? "noiommu-" : "",
                                               group);
        g_autofree char *num = g_strdup_printf("%d:%d\n", FAKE_GROUP_MAJOR,
                                               group + (noiommu ? 1000 : 0));

        write_at(root, cls, num);
    }
    if (group >= 0) {
        g_autofree char *gdir = g_strdup_printf("kernel/iommu_groups/%d", group);
        g_autofree char *gdevs = g_strdup_printf("%s/devices", gdir);
        g_autofree char *rel = g_strdup_printf("%s/iommu_group", dev);
        g_autofree char *target = g_strdup_printf("../../../kernel/iommu_groups/%d", group);
        g_autofree char *grel = g_strdup_printf("%s/%s", gdevs, name);
        g_autofree char *gtarget = g_strdup_printf("../../../../%s", dev);

        mkdirs(root, gdevs);
        link_at(root, rel, target);
        link_at(root, grel, gtarget);
        if (noiommu) {
            g_autofree char *namefile = g_build_filename(root, gdir, "name", NULL);

            g_assert_true(g_file_set_contents(namefile, "vfio-noiommu\n", -1, NULL));
        }
    }
}

char *sysfs_fixture_path(const char *root, const char *bus, const char *name)
{
    return g_build_filename(root, "bus", bus, "devices", name, NULL);
}

typedef struct FakeVariant {
    void (*fn)(void);
    bool *use_iommufd;
} FakeVariant;

static void fake_run_on_iommufd(gconstpointer p)
{
    const FakeVariant *v = p;

    *v->use_iommufd = true;
    v->fn();
    *v->use_iommufd = false;
}

void fake_test_add_both(const char *path, void (*fn)(void), bool *use_iommufd)
{
    const char *rest = strchr(path + 1, '/');
    g_autofree char *ipath = NULL;
    FakeVariant *v = g_new0(FakeVariant, 1);

    g_assert_nonnull(rest);
    ipath = g_strdup_printf("%.*s/iommufd%s", (int)(rest - path), path, rest);
    v->fn = fn;
    v->use_iommufd = use_iommufd;
    g_test_add_func(path, fn);
    g_test_add_data_func_full(ipath, v, fake_run_on_iommufd, g_free);
}
