// SPDX-License-Identifier: GPL-2.0-only
/* VFIO capability chains, walked and parsed without trusting a byte of them. */
#define G_LOG_DOMAIN "armpass-vfio"
#include "hw/vfio/vfio-common.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

/*
 * Every read from the buffer goes through memcpy: a hostile chain may put a capability at an
 * odd offset, and the buffer itself need not be aligned.
 */

bool vfio_cap_chain_walk(const void *buf, size_t argsz, uint32_t first, size_t header_size,
                         VfioCapFn fn, void *opaque, GError **errp)
{
    const uint8_t *bytes = buf;
    uint64_t off = first;
    uint64_t min = header_size; /* the next capability starts at or past this */
    uint64_t prev = 0;          /* the previous capability, 0 for the first */

    while (off != 0) {
        struct vfio_info_cap_header hdr;
        uint64_t end;

        if (off < min) {
            if (off < header_size) {
                g_set_error(errp, VFIO_ERROR, EINVAL, "capability chain: offset 0x%" PRIx64
                            " lies inside the 0x%zx-byte fixed part", off, header_size);
            } else {
                g_set_error(errp, VFIO_ERROR, EINVAL, "capability chain: offset 0x%" PRIx64
                            " (after the capability at 0x%" PRIx64 ") does not move forward "
                            "past 0x%" PRIx64 ": a loop or an overlap", off, prev, min);
            }
            return false;
        }
        if (off > argsz || argsz - off < sizeof(hdr)) {
            g_set_error(errp, VFIO_ERROR, EINVAL, "capability chain: the header at offset 0x%"
                        PRIx64 " does not fit in the 0x%zx bytes given", off, argsz);
            return false;
        }
        memcpy(&hdr, bytes + off, sizeof(hdr));
        if (hdr.next == 0) {
            end = argsz;
        } else if (hdr.next < off + sizeof(hdr)) {
            g_set_error(errp, VFIO_ERROR, EINVAL, "capability chain: the capability at offset "
                        "0x%" PRIx64 " (id %u) points back to 0x%x: a loop or an overlap", off,
                        hdr.id, hdr.next);
            return false;
        } else if (hdr.next > argsz) {
            g_set_error(errp, VFIO_ERROR, EINVAL, "capability chain: the capability at offset "
                        "0x%" PRIx64 " (id %u) points to 0x%x, past the 0x%zx bytes given", off,
                        hdr.id, hdr.next, argsz);
            return false;
        } else {
            end = hdr.next;
        }
        if (!fn((const struct vfio_info_cap_header *)(const void *)(bytes + off), end - off,
                opaque, errp)) {
            g_prefix_error(errp, "capability chain: offset 0x%" PRIx64 " (id %u): ", off,
                           hdr.id);
            return false;
        }
        prev = off;
        min = end;
        off = hdr.next;
    }
    return true;
}

/* ---- VFIO_DEVICE_GET_REGION_INFO ----------------------------------------------------- */

void vfio_region_info_clear(VfioRegionInfo *info)
{
    if (info->sparse) {
        g_array_unref(info->sparse);
    }
    memset(info, 0, sizeof(*info));
}

static gint area_cmp(gconstpointer a, gconstpointer b)
{
    const VfioMmapArea *x = a, *y = b;

    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

static bool parse_sparse_mmap(const uint8_t *cap, size_t avail, VfioRegionInfo *out,
                              GError **errp)
{
    struct vfio_region_info_cap_sparse_mmap fixed;
    const size_t area_size = sizeof(struct vfio_region_sparse_mmap_area);
    g_autoptr(GArray) sorted = NULL;

    if (out->has_sparse) {
        g_set_error(errp, VFIO_ERROR, EINVAL, "a second SPARSE_MMAP capability");
        return false;
    }
    if (avail < sizeof(fixed)) {
        g_set_error(errp, VFIO_ERROR, EINVAL, "SPARSE_MMAP needs 0x%zx bytes, 0x%zx are there",
                    sizeof(fixed), avail);
        return false;
    }
    memcpy(&fixed, cap, sizeof(fixed));
    if (fixed.header.version < 1) {
        g_set_error(errp, VFIO_ERROR, EINVAL, "SPARSE_MMAP version %u (1 or later expected)",
                    fixed.header.version);
        return false;
    }
    if (fixed.nr_areas > (avail - sizeof(fixed)) / area_size) {
        g_set_error(errp, VFIO_ERROR, EINVAL, "SPARSE_MMAP with %u areas needs 0x%" PRIx64
                    " bytes, 0x%zx are there", fixed.nr_areas,
                    (uint64_t)sizeof(fixed) + (uint64_t)fixed.nr_areas * area_size, avail);
        return false;
    }
    for (uint32_t i = 0; i < fixed.nr_areas; i++) {
        struct vfio_region_sparse_mmap_area raw;
        VfioMmapArea a;

        memcpy(&raw, cap + sizeof(fixed) + (size_t)i * area_size, sizeof(raw));
        a.offset = raw.offset;
        a.size = raw.size;
        if (a.size == 0) {
            g_debug("region %u: SPARSE_MMAP area %u is empty: skipped", out->index, i);
            continue;
        }
        if (a.size > out->size || a.offset > out->size - a.size) {
            g_set_error(errp, VFIO_ERROR, EINVAL, "SPARSE_MMAP area %u [0x%" PRIx64 " + 0x%"
                        PRIx64 ") lies outside the region of 0x%" PRIx64 " bytes", i, a.offset,
                        a.size, out->size);
            return false;
        }
        g_array_append_val(out->sparse, a);
    }

    /* Mapped side by side as subregions: they must not overlap. */
    sorted = g_array_sized_new(FALSE, FALSE, sizeof(VfioMmapArea), out->sparse->len);
    g_array_append_vals(sorted, out->sparse->data, out->sparse->len);
    g_array_sort(sorted, area_cmp);
    for (guint i = 1; i < sorted->len; i++) {
        const VfioMmapArea *p = &g_array_index(sorted, VfioMmapArea, i - 1);
        const VfioMmapArea *n = &g_array_index(sorted, VfioMmapArea, i);

        if (n->offset < p->offset + p->size) {
            g_set_error(errp, VFIO_ERROR, EINVAL, "SPARSE_MMAP areas [0x%" PRIx64 " + 0x%"
                        PRIx64 ") and [0x%" PRIx64 " + 0x%" PRIx64 ") overlap", p->offset,
                        p->size, n->offset, n->size);
            return false;
        }
    }
    out->has_sparse = true;
    return true;
}

static bool parse_type(const uint8_t *cap, size_t avail, VfioRegionInfo *out, GError **errp)
{
    struct vfio_region_info_cap_type t;

    if (out->has_type) {
        g_set_error(errp, VFIO_ERROR, EINVAL, "a second TYPE capability");
        return false;
    }
    if (avail < sizeof(t)) {
        g_set_error(errp, VFIO_ERROR, EINVAL, "TYPE needs 0x%zx bytes, 0x%zx are there",
                    sizeof(t), avail);
        return false;
    }
    memcpy(&t, cap, sizeof(t));
    if (t.header.version < 1) {
        g_set_error(errp, VFIO_ERROR, EINVAL, "TYPE version %u (1 or later expected)",
                    t.header.version);
        return false;
    }
    out->has_type = true;
    out->type = t.type;
    out->subtype = t.subtype;
    return true;
}

static bool region_cap(const struct vfio_info_cap_header *cap, size_t avail, void *opaque,
                       GError **errp)
{
    VfioRegionInfo *out = opaque;
    struct vfio_info_cap_header hdr;

    memcpy(&hdr, cap, sizeof(hdr));
    switch (hdr.id) {
    case VFIO_REGION_INFO_CAP_SPARSE_MMAP:
        return parse_sparse_mmap((const uint8_t *)cap, avail, out, errp);
    case VFIO_REGION_INFO_CAP_TYPE:
        return parse_type((const uint8_t *)cap, avail, out, errp);
    default:
        g_debug("region %u: capability id %u version %u skipped", out->index, hdr.id,
                hdr.version);
        return true;
    }
}

bool vfio_region_info_parse(const void *buf, size_t len, VfioRegionInfo *out, GError **errp)
{
    struct vfio_region_info info;

    memset(out, 0, sizeof(*out));
    if (len < sizeof(info)) {
        g_set_error(errp, VFIO_ERROR, EINVAL, "region info of 0x%zx bytes (0x%zx expected)",
                    len, sizeof(info));
        return false;
    }
    memcpy(&info, buf, sizeof(info));
    /* Accesses are pread/pwrite/mmap at offset + [0, size): that must fit in an off_t. */
    if (info.size > INT64_MAX || info.offset > INT64_MAX - info.size) {
        g_set_error(errp, VFIO_ERROR, EINVAL, "region %u: offset 0x%" PRIx64 " + size 0x%"
                    PRIx64 " runs past the largest file offset", info.index,
                    (uint64_t)info.offset, (uint64_t)info.size);
        return false;
    }
    out->index = info.index;
    out->flags = info.flags;
    out->size = info.size;
    out->offset = info.offset;
    out->sparse = g_array_new(FALSE, FALSE, sizeof(VfioMmapArea));

    /* The kernel sets FLAG_CAPS whenever it has capabilities; cap_offset is 0 when they did
     * not fit in argsz. */
    if ((info.flags & VFIO_REGION_INFO_FLAG_CAPS) && info.cap_offset &&
        !vfio_cap_chain_walk(buf, len, info.cap_offset, sizeof(info), region_cap, out, errp)) {
        g_prefix_error(errp, "region %u: ", info.index);
        vfio_region_info_clear(out);
        return false;
    }
    return true;
}
