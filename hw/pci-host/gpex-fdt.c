// SPDX-License-Identifier: GPL-2.0-only
/*
 * The generic PCIe host bridge's device-tree node (the root ports under it write their own:
 * hw/pci/pcie-root-port.c). Bindings (Linux 6.1):
 * Documentation/devicetree/bindings/pci/host-generic-pci.yaml, pci.txt (ranges' phys.hi,
 * interrupt-map), pci-msi.txt (msi-map), interrupt-controller/arm,gic-v3.yaml.
 */
#include "hw/core/fdt.h"
#include "hw/pci-host/gpex.h"
#include "hw/pci/pci-fdt.h"

#include <inttypes.h>

/* phys.hi of a PCI address (pci.txt, "PCI Bus Binding to IEEE 1275"): space code in bits
 * 25:24, 64-bit and prefetchable flags, and the device/function in bits 15:8. */
#define FDT_PCI_SPACE_IO    0x01000000u
#define FDT_PCI_SPACE_MEM32 0x02000000u
#define FDT_PCI_SPACE_MEM64 0x03000000u
#define FDT_PCI_PREFETCH    0x40000000u

static void push_u64(fdt32_t *cells, unsigned *n, uint64_t v)
{
    cells[(*n)++] = cpu_to_fdt32((uint32_t)(v >> 32));
    cells[(*n)++] = cpu_to_fdt32((uint32_t)v);
}

/* One "ranges" entry: PCI address (3 cells), CPU address (2), size (2). */
static void push_range(fdt32_t *cells, unsigned *n, uint32_t hi, uint64_t pci, uint64_t cpu,
                       uint64_t size)
{
    cells[(*n)++] = cpu_to_fdt32(hi);
    push_u64(cells, n, pci);
    push_u64(cells, n, cpu);
    push_u64(cells, n, size);
}

static bool fdt_add_pcie_ranges(void *fdt, int node, const GpexFdtParams *p, GError **errp)
{
    fdt32_t cells[3 * 7];
    unsigned n = 0;

    push_range(cells, &n, FDT_PCI_SPACE_IO, 0, p->pio_base, p->pio_size);
    push_range(cells, &n, FDT_PCI_SPACE_MEM32, p->mmio_base, p->mmio_base, p->mmio_size);
    push_range(cells, &n, FDT_PCI_PREFETCH | FDT_PCI_SPACE_MEM64, p->mmio64_base,
               p->mmio64_base, p->mmio64_size);
    FDT_CHECK(fdt_setprop(fdt, node, "ranges", cells, n * sizeof(cells[0])));
    return true;
}

/* Slots 0-3 x INTA-D; the mask folds every other slot onto these (slot & 3). */
static bool fdt_add_pcie_intx_map(void *fdt, int node, const GpexFdtParams *p, GError **errp)
{
    return pci_fdt_add_intx_map(fdt, node, 0x1800, PCI_FDT_IMAP_SLOTS, p->first_spi,
                                p->gic_phandle, errp);
}

bool fdt_add_pcie_host(void *fdt, const GpexFdtParams *p, GError **errp)
{
    g_autofree char *name = g_strdup_printf("pcie@%" PRIx64, p->ecam_base);
    uint64_t reg[2] = { p->ecam_base, p->ecam_size };
    uint32_t nr_buses = (uint32_t)(p->ecam_size / GPEX_ECAM_BUS_SIZE);
    int node;

    FDT_CHECK_OFFSET(node, fdt_add_subnode(fdt, 0, name));
    FDT_CHECK(fdt_setprop_string(fdt, node, "compatible", "pci-host-ecam-generic"));
    FDT_CHECK(fdt_setprop_string(fdt, node, "device_type", "pci"));
    FDT_CHECK(fdt_setprop_u32(fdt, node, "#address-cells", 3));
    FDT_CHECK(fdt_setprop_u32(fdt, node, "#size-cells", 2));
    if (!fdt_setprop_reg64(fdt, node, reg, 1, errp)) {
        return false;
    }
    FDT_CHECK(fdt_setprop_u32(fdt, node, "linux,pci-domain", 0));
    FDT_CHECK(fdt_setprop_u32(fdt, node, "bus-range", 0));
    FDT_CHECK(fdt_appendprop_u32(fdt, node, "bus-range", nr_buses - 1));
    FDT_CHECK(fdt_setprop(fdt, node, "dma-coherent", NULL, 0));
    if (!fdt_add_pcie_ranges(fdt, node, p, errp) || !fdt_add_pcie_intx_map(fdt, node, p, errp)) {
        return false;
    }
    if (p->its_phandle) {
        /* pci-msi.txt: requester IDs 0..0xffff -> the ITS's DeviceIDs 0..0xffff. */
        FDT_CHECK(fdt_setprop_u32(fdt, node, "msi-map", 0));
        FDT_CHECK(fdt_appendprop_u32(fdt, node, "msi-map", p->its_phandle));
        FDT_CHECK(fdt_appendprop_u32(fdt, node, "msi-map", 0));
        FDT_CHECK(fdt_appendprop_u32(fdt, node, "msi-map", 0x10000));
    }
    return true;
}
