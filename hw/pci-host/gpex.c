// SPDX-License-Identifier: GPL-2.0-only
/* The generic PCIe host bridge: the root bus and the trapped ECAM window that reaches it. */
#define G_LOG_DOMAIN "armpass-gpex"
#include "hw/pci-host/gpex.h"

#include <inttypes.h>

GpexEcamAddr gpex_ecam_decode(uint64_t offset)
{
    return (GpexEcamAddr){
        .bus = (uint8_t)(offset >> 20),
        .devfn = (uint8_t)(offset >> 12),
        .reg = (uint16_t)(offset & 0xfff),
    };
}

/* One access of len 1, 2 or 4 bytes: bus 0 is the root bus, the others are reached through
 * the bridges on it (pci_bus_config_read routes by the bus numbers the guest programmed). */
static uint32_t gpex_ecam_read4(GpexHost *h, uint64_t offset, unsigned len)
{
    GpexEcamAddr a = gpex_ecam_decode(offset);

    return pci_bus_config_read(h->bus, a.bus, a.devfn, a.reg, len);
}

static void gpex_ecam_write4(GpexHost *h, uint64_t offset, uint32_t val, unsigned len)
{
    GpexEcamAddr a = gpex_ecam_decode(offset);

    pci_bus_config_write(h->bus, a.bus, a.devfn, a.reg, val, len);
}

/* 8-byte accesses (an LDR Xn the guest may make) become two 4-byte ones, low word first. */
static uint64_t gpex_ecam_read(void *opaque, uint64_t offset, unsigned size)
{
    if (size == 8) {
        return gpex_ecam_read4(opaque, offset, 4) |
               (uint64_t)gpex_ecam_read4(opaque, offset + 4, 4) << 32;
    }
    return gpex_ecam_read4(opaque, offset, size);
}

static void gpex_ecam_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    if (size == 8) {
        gpex_ecam_write4(opaque, offset, (uint32_t)value, 4);
        gpex_ecam_write4(opaque, offset + 4, (uint32_t)(value >> 32), 4);
        return;
    }
    gpex_ecam_write4(opaque, offset, (uint32_t)value, size);
}

static const MemoryRegionOps gpex_ecam_ops = {
    .read = gpex_ecam_read,
    .write = gpex_ecam_write,
};

GpexHost *gpex_host_new(MemoryRegion *sysmem, AddressSpace *as, uint64_t ecam_base,
                        uint64_t ecam_size, const PCIWindow *windows, unsigned nr_windows,
                        GError **errp)
{
    GpexHost *h = g_new0(GpexHost, 1);

    g_assert(ecam_size && ecam_size % GPEX_ECAM_BUS_SIZE == 0);
    h->sysmem = sysmem;
    h->as = as;
    h->ecam_base = ecam_base;
    memory_region_init_io(&h->ecam, "pcie-ecam", ecam_size, &gpex_ecam_ops, h);
    if (!memory_region_add_subregion(sysmem, ecam_base, &h->ecam, 0, errp)) {
        g_prefix_error(errp, "PCIe host bridge: ECAM window at 0x%" PRIx64 ": ", ecam_base);
        memory_region_finalize(&h->ecam);
        g_free(h);
        return NULL;
    }
    h->bus = pci_bus_new(sysmem, as, windows, nr_windows);
    g_debug("PCIe host bridge: ECAM [0x%" PRIx64 ", 0x%" PRIx64 "), %u windows", ecam_base,
            ecam_base + ecam_size, nr_windows);
    return h;
}

void gpex_host_free(GpexHost *h)
{
    if (!h) {
        return;
    }
    if (h->ecam.parent) {
        memory_region_del_subregion(h->sysmem, &h->ecam);
        if (h->as) {
            address_space_commit(h->as, NULL);
        }
    }
    memory_region_finalize(&h->ecam);
    pci_bus_free(h->bus);
    g_free(h);
}
