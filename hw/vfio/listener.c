// SPDX-License-Identifier: GPL-2.0-only
/* The DMA listener of a Type1 container: every guest RAM range mapped for the device's DMA. */
#define G_LOG_DOMAIN "armpass-vfio"
#include "vfio-internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>

static VfioContainer *listener_container(MemoryListener *l)
{
    return (VfioContainer *)(void *)((char *)l - offsetof(VfioContainer, listener));
}

/* The devices in c, for messages: "9010000.pl031" or "a,b" (with the one being attached or
 * detached). */
static char *container_label(const VfioContainer *c)
{
    const VfioContext *ctx = c->ctx;
    g_autoptr(GString) s = g_string_new(NULL);

    for (guint i = 0; i < ctx->devices->len; i++) {
        const VfioDevice *dev = g_ptr_array_index(ctx->devices, i);

        if (dev->group && dev->group->container == c) {
            g_string_append_printf(s, "%s%s", s->len ? "," : "", dev->name);
        }
    }
    if (ctx->current) {
        g_string_append_printf(s, "%s%s", s->len ? "," : "", ctx->current);
    }
    if (!s->len) {
        g_string_append_printf(s, "container fd %d", c->fd);
    }
    return g_string_free(g_steal_pointer(&s), FALSE);
}

/*
 * The page-aligned part of fr that the IOMMU can map: [*iova, *iova + *size) backed by host
 * *vaddr. False when nothing of it can be mapped (smaller than a page, or host and guest
 * addresses not congruent modulo the page size).
 */
static bool dma_range(const VfioContainer *c, const FlatRange *fr, uint64_t *iova,
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

static bool vfio_dma_region_add(MemoryListener *l, const FlatRange *fr, GError **errp)
{
    VfioContainer *c = listener_container(l);
    struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };
    g_autofree char *label = NULL;
    uint64_t iova, size, vaddr;

    /* Guest RAM only: a RAM_DEVICE range is another device's registers (a passthrough mmap)
     * and an IO range is trapped; peer-to-peer DMA into them is not offered. */
    if (!memory_region_is_ram(fr->mr)) {
        return true;
    }
    label = container_label(c);
    if (!dma_range(c, fr, &iova, &size, &vaddr)) {
        g_debug("vfio %s: \"%s\" [0x%" PRIx64 ", 0x%" PRIx64 ") has no page-aligned part (or "
                "host and guest addresses differ modulo the page size): not DMA-mapped", label,
                fr->mr->name, fr->addr, fr->addr + fr->size);
        return true;
    }

    /*
     * An Arm SMMU needs DMA mappings executable: it honours the execute-never attribute of
     * its page tables, and a device (a remote processor fed its firmware by the guest, say)
     * may fetch instructions by DMA. Upstream Type1 maps READ|WRITE without IOMMU_NOEXEC, so
     * these mappings are executable as they stand. VFIO_DMA_MAP_FLAG_EXEC, proposed in 2014
     * to ask for that explicitly, was never merged, and its bit (1 << 2) is
     * VFIO_DMA_MAP_FLAG_VADDR today (re-point an existing mapping at a new vaddr): never set
     * it here.
     */
    map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
    map.vaddr = vaddr;
    map.iova = iova;
    map.size = size;
    gint64 t0 = g_get_monotonic_time();
    int ret = host_ioctl(c->ctx->ops, c->fd, VFIO_IOMMU_MAP_DMA, &map);

    c->dma_ns += (uint64_t)(g_get_monotonic_time() - t0) * 1000;
    if (ret < 0) {
        int err = errno;

        g_set_error(errp, VFIO_ERROR, err, "vfio %s: VFIO_IOMMU_MAP_DMA (\"%s\", iova 0x%"
                    PRIx64 ", size 0x%" PRIx64 "): %s", label, fr->mr->name, iova, size,
                    g_strerror(err));
        return false;
    }
    c->dma_maps++;
    c->dma_bytes += size;
    g_debug("vfio %s: VFIO_IOMMU_MAP_DMA (\"%s\", iova 0x%" PRIx64 ", size 0x%" PRIx64
            ", vaddr 0x%" PRIx64 ")", label, fr->mr->name, iova, size, vaddr);
    return true;
}

static void vfio_dma_region_del(MemoryListener *l, const FlatRange *fr)
{
    VfioContainer *c = listener_container(l);
    struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap) };
    g_autofree char *label = NULL;
    uint64_t iova, size, vaddr;

    if (!memory_region_is_ram(fr->mr) || !dma_range(c, fr, &iova, &size, &vaddr)) {
        return;
    }
    label = container_label(c);
    unmap.iova = iova;
    unmap.size = size;
    if (host_ioctl(c->ctx->ops, c->fd, VFIO_IOMMU_UNMAP_DMA, &unmap) < 0) {
        g_warning("vfio %s: VFIO_IOMMU_UNMAP_DMA (\"%s\", iova 0x%" PRIx64 ", size 0x%" PRIx64
                  "): %s", label, fr->mr->name, iova, size, g_strerror(errno));
        return;
    }
    g_debug("vfio %s: VFIO_IOMMU_UNMAP_DMA (\"%s\", iova 0x%" PRIx64 ", size 0x%" PRIx64
            "): 0x%" PRIx64 " bytes unmapped", label, fr->mr->name, iova, size,
            (uint64_t)unmap.size);
}

bool vfio_listener_start(VfioContainer *c, GError **errp)
{
    g_autofree char *label = container_label(c);

    c->listener = (MemoryListener){
        .name = "vfio-dma",
        .region_add = vfio_dma_region_add,
        .region_del = vfio_dma_region_del,
    };
    /* Replays the current view: every RAM range is mapped now, or nothing is. */
    if (!address_space_add_listener(c->ctx->as, &c->listener, errp)) {
        return false;
    }
    c->listener_added = true;
    g_debug("vfio %s: DMA listener on %s (container fd %d)", label, c->ctx->as->name, c->fd);
    return true;
}

void vfio_listener_stop(VfioContainer *c)
{
    g_autofree char *label = NULL;

    if (!c->listener_added) {
        return;
    }
    label = container_label(c);
    address_space_remove_listener(c->ctx->as, &c->listener); /* unmaps, range by range */
    c->listener_added = false;
    g_debug("vfio %s: DMA listener removed (container fd %d)", label, c->fd);
}
