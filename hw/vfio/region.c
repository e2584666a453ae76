// SPDX-License-Identifier: GPL-2.0-only
/* A device region as a trapped MemoryRegion (pread/pwrite) with mmap'd RAM_DEVICE subregions. */
#define G_LOG_DOMAIN "armpass-vfio"
#include "vfio-internal.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>

/* Trapped accesses the kernel refuses are counted; only the first few are reported. */
#define VFIO_REGION_WARN_LIMIT 10

static uint64_t all_ones(unsigned size)
{
    return size >= 8 ? UINT64_MAX : (UINT64_C(1) << (size * 8)) - 1;
}

static bool access_size_ok(unsigned size)
{
    return size == 1 || size == 2 || size == 4 || size == 8;
}

static void region_access_error(VfioRegion *r, const char *what, uint64_t addr, unsigned size,
                                const char *why)
{
    r->access_errors++;
    if (r->access_errors <= VFIO_REGION_WARN_LIMIT) {
        g_warning("%s (region %u, %s of %u bytes at +0x%" PRIx64 ")%s", why, r->info.index,
                  what, size, addr,
                  r->access_errors == VFIO_REGION_WARN_LIMIT
                      ? "; further access errors of this region are only counted"
                      : "");
    }
}

static uint64_t vfio_region_do_read(VfioRegion *r, uint64_t addr, unsigned size)
{
    g_autoptr(GError) err = NULL;
    uint8_t b[8];
    uint64_t value = 0;

    if (!access_size_ok(size)) {
        g_autofree char *why = g_strdup_printf("vfio %s: unsupported access size", r->dev->name);

        region_access_error(r, "read", addr, size, why);
        return UINT64_MAX;
    }
    if (!vfio_access_allowed(r->rules, r->nr_rules, addr, size, false)) {
        g_autofree char *why = g_strdup_printf("vfio %s: refused: the device does not take "
                                               "this access", r->dev->name);

        region_access_error(r, "read", addr, size, why);
        return all_ones(size);
    }
    if (!vfio_device_pread(r->dev, b, size, r->info.offset + addr, &err)) {
        region_access_error(r, "read", addr, size, err->message);
        return all_ones(size);
    }
    for (unsigned i = 0; i < size; i++) {
        value |= (uint64_t)b[i] << (8 * i); /* the device's registers are little-endian */
    }
    return value;
}

static void vfio_region_do_write(VfioRegion *r, uint64_t addr, uint64_t value, unsigned size)
{
    g_autoptr(GError) err = NULL;
    uint8_t b[8];

    if (!access_size_ok(size)) {
        g_autofree char *why = g_strdup_printf("vfio %s: unsupported access size", r->dev->name);

        region_access_error(r, "write", addr, size, why);
        return;
    }
    if (!vfio_access_allowed(r->rules, r->nr_rules, addr, size, true)) {
        g_autofree char *why = g_strdup_printf("vfio %s: refused: the device does not take "
                                               "this access", r->dev->name);

        region_access_error(r, "write", addr, size, why);
        return;
    }
    for (unsigned i = 0; i < size; i++) {
        b[i] = (uint8_t)(value >> (8 * i));
    }
    if (!vfio_device_pwrite(r->dev, b, size, r->info.offset + addr, &err)) {
        region_access_error(r, "write", addr, size, err->message);
    }
}

/* Every trapped access, relayed or refused, is the guest touching the device: its owner hears
 * of it afterwards (a level interrupt on the userspace path is completed by it). */
static uint64_t vfio_region_read(void *opaque, uint64_t addr, unsigned size)
{
    VfioRegion *r = opaque;
    uint64_t value = vfio_region_do_read(r, addr, size);

    if (r->on_trap) {
        r->on_trap(r->on_trap_opaque);
    }
    return value;
}

static void vfio_region_write(void *opaque, uint64_t addr, uint64_t value, unsigned size)
{
    VfioRegion *r = opaque;

    vfio_region_do_write(r, addr, value, size);
    if (r->on_trap) {
        r->on_trap(r->on_trap_opaque);
    }
}

static const MemoryRegionOps vfio_region_ops = {
    .read = vfio_region_read,
    .write = vfio_region_write,
};

/* mmaps area of r and places it over the trapped region. */
static bool region_map_area(VfioRegion *r, const VfioMmapArea *area, int prot, GError **errp)
{
    VfioDevice *dev = r->dev;
    const HostOps *ops = dev->ctx->ops;
    VfioRegionMmap *m = &r->mmaps[r->nr_mmaps];
    g_autofree char *name = NULL;
    uint64_t off = r->info.offset + area->offset;
    void *host;

    host = ops->mmap(ops->opaque, NULL, area->size, prot, MAP_SHARED, dev->fd, (off_t)off);
    if (host == MAP_FAILED) {
        int err = errno;

        vfio_set_error(errp, err, dev->name, "mmap of region %u [0x%" PRIx64 ", 0x%" PRIx64
                       ") (fd offset 0x%" PRIx64 "): %s", r->info.index, area->offset,
                       area->offset + area->size, off, g_strerror(err));
        return false;
    }
    name = g_strdup_printf("%s.mmap%u", r->name, r->nr_mmaps);
    memory_region_init_ram_device_ptr(&m->mr, name, area->size, host);
    if (!memory_region_add_subregion(&r->mr, area->offset, &m->mr, 1, errp)) {
        g_prefix_error(errp, "vfio %s: region %u: ", dev->name, r->info.index);
        memory_region_finalize(&m->mr);
        ops->munmap(ops->opaque, host, area->size);
        return false;
    }
    m->offset = area->offset;
    m->size = area->size;
    m->host = host;
    r->nr_mmaps++;
    g_debug("vfio %s: region %u: mmap [0x%" PRIx64 ", 0x%" PRIx64 ") at %p", dev->name,
            r->info.index, area->offset, area->offset + area->size, host);
    return true;
}

/* The mmaps of r, where allowed and possible; an area that cannot be mapped stays trapped. */
static bool region_map(VfioRegion *r, bool allow_mmap, GError **errp)
{
    VfioDevice *dev = r->dev;
    uint64_t mask = dev->ctx->page_size - 1;
    VfioMmapArea whole = { .offset = 0, .size = r->info.size };
    const VfioMmapArea *areas;
    unsigned n;
    int prot = 0;

    if (!allow_mmap) {
        g_debug("vfio %s: region %u: x-no-mmap: every access trapped", dev->name, r->info.index);
        return true;
    }
    if (!(r->info.flags & VFIO_REGION_INFO_FLAG_MMAP)) {
        g_debug("vfio %s: region %u: no VFIO_REGION_INFO_FLAG_MMAP: every access trapped",
                dev->name, r->info.index);
        return true;
    }
    if (r->info.flags & VFIO_REGION_INFO_FLAG_READ) {
        prot |= PROT_READ;
    }
    if (r->info.flags & VFIO_REGION_INFO_FLAG_WRITE) {
        prot |= PROT_WRITE;
    }
    if (!prot) {
        g_debug("vfio %s: region %u: neither readable nor writable: not mmap'd", dev->name,
                r->info.index);
        return true;
    }
    if (r->info.offset & mask) {
        g_debug("vfio %s: region %u: fd offset 0x%" PRIx64 " is not page-aligned: not mmap'd",
                dev->name, r->info.index, r->info.offset);
        return true;
    }
    if (r->info.has_sparse) {
        areas = (const VfioMmapArea *)(const void *)r->info.sparse->data;
        n = r->info.sparse->len;
    } else {
        areas = &whole;
        n = 1;
    }
    r->mmaps = g_new0(VfioRegionMmap, n);
    for (unsigned i = 0; i < n; i++) {
        const VfioMmapArea *a = &areas[i];

        if (a->size == 0 || (a->offset & mask) || (a->size & mask)) {
            g_debug("vfio %s: region %u: area [0x%" PRIx64 ", 0x%" PRIx64 ") is not whole "
                    "pages of 0x%" PRIx64 " bytes: trapped", dev->name, r->info.index,
                    a->offset, a->offset + a->size, mask + 1);
            continue;
        }
        if (!region_map_area(r, a, prot, errp)) {
            return false;
        }
    }
    return true;
}

bool vfio_region_setup(VfioDevice *dev, unsigned index, bool allow_mmap, VfioRegion *r,
                       GError **errp)
{
    memset(r, 0, sizeof(*r));
    if (!vfio_device_get_region_info(dev, index, &r->info, errp)) {
        return false;
    }
    r->dev = dev;
    r->name = g_strdup_printf("%s.region%u", dev->name, index);
    memory_region_init_io(&r->mr, r->name, r->info.size, &vfio_region_ops, r);
    g_debug("vfio %s: region %u: trapped, 0x%" PRIx64 " bytes at fd offset 0x%" PRIx64,
            dev->name, index, r->info.size, r->info.offset);
    if (!region_map(r, allow_mmap, errp)) {
        vfio_region_finalize(r);
        return false;
    }
    return true;
}

bool vfio_region_mmaps_enable(VfioRegion *r, bool on)
{
    if (!r->dev || r->nr_mmaps == 0 || r->mmaps_off == !on) {
        return false;
    }
    for (unsigned i = 0; i < r->nr_mmaps; i++) {
        VfioRegionMmap *m = &r->mmaps[i];

        if (!on) {
            memory_region_del_subregion(&r->mr, &m->mr);
        } else if (!memory_region_add_subregion(&r->mr, m->offset, &m->mr, 1, NULL)) {
            g_assert_not_reached(); /* it was there before: same place, same priority */
        }
    }
    r->mmaps_off = !on;
    g_debug("vfio %s: region %u: %u mmaps %s", r->dev->name, r->info.index, r->nr_mmaps,
            on ? "back in the map" : "out of the map (every access trapped)");
    return true;
}

void vfio_device_commit_map(VfioDevice *dev)
{
    g_autoptr(GError) err = NULL;
    AddressSpace *as = dev->ctx->as;

    if (as && !address_space_commit(as, &err)) {
        g_warning("vfio %s: %s", dev->name, err->message);
    }
}

void vfio_region_finalize(VfioRegion *r)
{
    const HostOps *ops;

    if (!r->dev) {
        return;
    }
    ops = r->dev->ctx->ops;
    for (unsigned i = 0; i < r->nr_mmaps; i++) {
        VfioRegionMmap *m = &r->mmaps[i];

        memory_region_finalize(&m->mr);
        if (ops->munmap(ops->opaque, m->host, m->size) < 0) {
            g_warning("vfio %s: region %u: munmap of [0x%" PRIx64 ", 0x%" PRIx64 "): %s",
                      r->dev->name, r->info.index, m->offset, m->offset + m->size,
                      g_strerror(errno));
        }
    }
    if (r->nr_mmaps) {
        g_debug("vfio %s: region %u: %u mmaps removed", r->dev->name, r->info.index,
                r->nr_mmaps);
    }
    g_free(r->mmaps);
    memory_region_finalize(&r->mr);
    g_free(r->name);
    vfio_region_info_clear(&r->info);
    memset(r, 0, sizeof(*r));
}
