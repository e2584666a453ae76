// SPDX-License-Identifier: GPL-2.0-only
/* The DMA listener: every guest RAM range mapped for the devices' DMA, in a Type1 container or
 * an iommufd IOAS (the backend's VfioDmaOps), checked against the IOVAs the IOMMU accepts. */
#define G_LOG_DOMAIN "armpass-vfio"
#include "vfio-internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>

static VfioDmaSpace *listener_space(MemoryListener *l)
{
    return (VfioDmaSpace *)(void *)((char *)l - offsetof(VfioDmaSpace, listener));
}

char *vfio_dma_label(const VfioDmaSpace *c, const char *devname)
{
    const VfioContext *ctx = c->ctx;
    g_autoptr(GString) s = g_string_new(NULL);

    for (guint i = 0; i < ctx->devices->len; i++) {
        const VfioDevice *dev = g_ptr_array_index(ctx->devices, i);

        if (dev->dma == c) {
            g_string_append_printf(s, "%s%s", s->len ? "," : "", dev->name);
        }
    }
    if (devname) {
        g_string_append_printf(s, "%s%s", s->len ? "," : "", devname);
    }
    if (!s->len) {
        g_string_append_printf(s, "%s DMA space", c->ops->name(c));
    }
    return g_string_free(g_steal_pointer(&s), FALSE);
}

/*
 * The page-aligned part of fr that the IOMMU can map: [*iova, *iova + *size) backed by host
 * *vaddr. False when nothing of it can be mapped (smaller than a page, or host and guest
 * addresses not congruent modulo the page size).
 */
static bool dma_range(const VfioDmaSpace *c, const FlatRange *fr, uint64_t *iova,
                      uint64_t *size, uint64_t *vaddr)
{
    uint64_t mask = c->ctx->page_size - 1;
    uint64_t start, end, last;

    if (fr->size == 0 || fr->addr > UINT64_MAX - mask) {
        return false;
    }
    last = fr->addr + (fr->size - 1);
    start = (fr->addr + mask) & ~mask;
    end = last == UINT64_MAX ? (UINT64_MAX & ~mask) : ((last + 1) & ~mask);
    if (end <= start) {
        return false;
    }
    *iova = start;
    *size = end - start;
    *vaddr = (uint64_t)(uintptr_t)fr->mr->host + fr->offset_in_region + (start - fr->addr);
    return (*vaddr & mask) == 0;
}

bool vfio_dma_check_iova(const VfioDmaSpace *s, uint64_t iova, uint64_t size,
                         const char *what, const char *label, GError **errp)
{
    uint64_t last = iova + (size - 1);
    g_autoptr(GString) ranges = g_string_new(NULL);
    const VfioIovaRange *in = NULL;

    if (!s->valid_iovas || size == 0) {
        return true;
    }
    for (guint i = 0; i < s->valid_iovas->len; i++) {
        const VfioIovaRange *r = &g_array_index(s->valid_iovas, VfioIovaRange, i);

        if (r->start <= iova && last <= r->last) {
            return true;
        }
        if (r->start <= iova && iova <= r->last) {
            in = r;
        }
        g_string_append_printf(ranges, "%s0x%" PRIx64 "-0x%" PRIx64, ranges->len ? ", " : "",
                               r->start, r->last);
    }
    if (in) {
        /* It starts in a valid range and runs past its end: a smaller RAM fits. */
        g_set_error(errp, VFIO_ERROR, ERANGE, "vfio %s: %s [0x%" PRIx64 "-0x%" PRIx64 "] runs "
                    "into IOVAs the host IOMMU reserves past 0x%" PRIx64 " (e.g. its MSI "
                    "window; %s gives %s): the guest's RAM base cannot move, so give a "
                    "smaller -m, one that ends the RAM by 0x%" PRIx64, label, what, iova, last,
                    in->last, s->ops->name(s), ranges->str, in->last + 1);
    } else {
        g_set_error(errp, VFIO_ERROR, ERANGE, "vfio %s: %s [0x%" PRIx64 "-0x%" PRIx64 "] starts "
                    "in IOVAs the host IOMMU reserves (e.g. its MSI window; %s gives %s): the "
                    "guest's RAM base cannot move, so this device cannot do DMA in this "
                    "guest on this host", label, what, iova, last, s->ops->name(s),
                    ranges->str);
    }
    return false;
}

static bool vfio_dma_region_add(MemoryListener *l, const FlatRange *fr, GError **errp)
{
    VfioDmaSpace *c = listener_space(l);
    g_autofree char *label = NULL;
    g_autofree char *what = NULL;
    uint64_t iova, size, vaddr;
    const char *ioctl_name = "map";

    /* Guest RAM only: a RAM_DEVICE range is another device's registers (a passthrough mmap)
     * and an IO range is trapped; peer-to-peer DMA into them is not offered. */
    if (!memory_region_is_ram(fr->mr)) {
        return true;
    }
    label = vfio_dma_label(c, c->replaying);
    if (!dma_range(c, fr, &iova, &size, &vaddr)) {
        g_debug("vfio %s: \"%s\" [0x%" PRIx64 ", 0x%" PRIx64 ") has no page-aligned part (or "
                "host and guest addresses differ modulo the page size): not DMA-mapped", label,
                fr->mr->name, fr->addr, fr->addr + fr->size);
        return true;
    }
    what = g_strdup_printf("guest RAM \"%s\"", fr->mr->name);
    if (!vfio_dma_check_iova(c, iova, size, what, label, errp)) {
        return false;
    }

    /*
     * Design note: DMA mappings for an Arm SMMU must be executable. An Arm SMMU honours the
     * execute-never attribute of its page tables, and a device (a remote processor fed its
     * firmware by the guest, say) may fetch instructions by DMA.
     * - Type1: upstream maps READ|WRITE without IOMMU_NOEXEC, so these mappings are
     *   executable as they stand. VFIO_DMA_MAP_FLAG_EXEC, proposed in 2014 to ask for that
     *   explicitly, was never merged, and its bit (1 << 2) is VFIO_DMA_MAP_FLAG_VADDR today
     *   (re-point an existing mapping at a new vaddr): never set it.
     * - iommufd: IOMMU_IOAS_MAP has only READABLE and WRITEABLE; the kernel turns them into
     *   IOMMU_CACHE | IOMMU_READ | IOMMU_WRITE, never IOMMU_NOEXEC (conv_iommu_prot in
     *   drivers/iommu/iommufd/ioas.c, Linux 6.12): executable too, with no flag to ask.
     */
    gint64 t0 = g_get_monotonic_time();
    int ret = c->ops->map(c, iova, size, vaddr, &ioctl_name);

    c->dma_ns += (uint64_t)(g_get_monotonic_time() - t0) * 1000;
    if (ret < 0) {
        int err = errno;

        g_set_error(errp, VFIO_ERROR, err, "vfio %s: %s (\"%s\", iova 0x%" PRIx64 ", size 0x%"
                    PRIx64 "): %s%s", label, ioctl_name, fr->mr->name, iova, size,
                    g_strerror(err), err == ENOMEM || err == EPERM
                        ? " (guest RAM is pinned: raise RLIMIT_MEMLOCK to at least -m, or "
                          "give armpass CAP_IPC_LOCK)" : "");
        return false;
    }
    c->dma_maps++;
    c->dma_bytes += size;
    c->dma_live++;
    c->dma_live_bytes += size;
    g_debug("vfio %s: %s (\"%s\", iova 0x%" PRIx64 ", size 0x%" PRIx64 ", vaddr 0x%" PRIx64
            ")", label, ioctl_name, fr->mr->name, iova, size, vaddr);
    return true;
}

/* One mapping of size bytes is no longer in place. */
static void dma_live_drop(VfioDmaSpace *c, uint64_t size)
{
    if (c->dma_live) {
        c->dma_live--;
        c->dma_live_bytes -= MIN(size, c->dma_live_bytes);
    }
}

static void vfio_dma_region_del(MemoryListener *l, const FlatRange *fr)
{
    VfioDmaSpace *c = listener_space(l);
    g_autofree char *label = NULL;
    uint64_t iova, size, vaddr;
    const char *ioctl_name = "unmap";

    if (!memory_region_is_ram(fr->mr) || !dma_range(c, fr, &iova, &size, &vaddr)) {
        return;
    }
    label = vfio_dma_label(c, c->replaying);
    if (c->ops->unmap(c, iova, size, &ioctl_name) < 0) {
        if (c->host_took_back) {
            g_debug("vfio %s: %s (\"%s\", iova 0x%" PRIx64 ", size 0x%" PRIx64 "): %s: the "
                    "host took the device back and the kernel let the IOMMU go", label,
                    ioctl_name, fr->mr->name, iova, size, g_strerror(errno));
            dma_live_drop(c, size); /* gone with the IOMMU */
        } else {
            g_warning("vfio %s: %s (\"%s\", iova 0x%" PRIx64 ", size 0x%" PRIx64 "): %s", label,
                      ioctl_name, fr->mr->name, iova, size, g_strerror(errno));
        }
        return;
    }
    dma_live_drop(c, size);
    g_debug("vfio %s: %s (\"%s\", iova 0x%" PRIx64 ", size 0x%" PRIx64 ")", label, ioctl_name,
            fr->mr->name, iova, size);
}

bool vfio_listener_start(VfioDmaSpace *c, const char *devname, GError **errp)
{
    g_autofree char *label = vfio_dma_label(c, devname);
    bool ok;

    c->listener = (MemoryListener){
        .name = "vfio-dma",
        .region_add = vfio_dma_region_add,
        .region_del = vfio_dma_region_del,
    };
    /* Replays the current view: every RAM range is mapped now, or nothing is. */
    c->replaying = devname;
    ok = address_space_add_listener(c->ctx->as, &c->listener, errp);
    c->replaying = NULL;
    if (!ok) {
        return false;
    }
    c->listener_added = true;
    g_debug("vfio %s: DMA listener on %s (%s)", label, c->ctx->as->name, c->ops->name(c));
    return true;
}

void vfio_listener_stop(VfioDmaSpace *c, const char *devname)
{
    g_autofree char *label = NULL;

    if (!c->listener_added) {
        return;
    }
    label = vfio_dma_label(c, devname);
    c->replaying = devname;
    address_space_remove_listener(c->ctx->as, &c->listener); /* unmaps, range by range */
    c->replaying = NULL;
    c->listener_added = false;
    g_debug("vfio %s: DMA listener removed (%s)", label, c->ops->name(c));
}
