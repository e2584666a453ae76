// SPDX-License-Identifier: GPL-2.0-only
/*
 * The generic PCIe host bridge's device-tree node. Bindings (Linux 6.1):
 * Documentation/devicetree/bindings/pci/host-generic-pci.yaml, pci.txt (ranges' phys.hi,
 * interrupt-map), pci-msi.txt (msi-map), interrupt-controller/arm,gic-v3.yaml.
 */
#include "hw/core/fdt.h"
#include "hw/pci-host/gpex.h"

#include <inttypes.h>

/* phys.hi of a PCI address (pci.txt, "PCI Bus Binding to IEEE 1275"): space code in bits
 * 25:24, 64-bit and prefetchable flags, and the device/function in bits 15:8. */
#define FDT_PCI_SPACE_IO    0x01000000u
#define FDT_PCI_SPACE_MEM32 0x02000000u
#define FDT_PCI_SPACE_MEM64 0x03000000u
#define FDT_PCI_PREFETCH    0x40000000u
/* Cells of one interrupt-map entry: child address (3) + child pin (1) + GIC phandle (1) +
 * GIC unit address (2: its #address-cells) + GIC specifier (3). */
#define FDT_PCI_IMAP_CELLS 10
#define FDT_PCI_IMAP_SLOTS 4

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

/* "#interrupt-cells", "interrupt-map-mask" <mask_hi 0 0 7> and an "interrupt-map" of the
 * slots 0..nr_slots-1 x INTA-D, each to the GIC SPI first_spi rotated by slot
 * (pci_intx_spi). */
static bool fdt_add_intx_map(void *fdt, int node, uint32_t mask_hi, unsigned nr_slots,
                             unsigned first_spi, uint32_t gic_phandle, GError **errp)
{
    const uint32_t mask[4] = { mask_hi, 0, 0, 7 };
    fdt32_t cells[FDT_PCI_IMAP_SLOTS * 4 * FDT_PCI_IMAP_CELLS], mask_cells[4];
    unsigned n = 0;

    g_assert(nr_slots <= FDT_PCI_IMAP_SLOTS);
    for (unsigned slot = 0; slot < nr_slots; slot++) {
        for (unsigned pin = 1; pin <= 4; pin++) {
            const uint32_t entry[FDT_PCI_IMAP_CELLS] = {
                slot << 11, 0, 0, pin, gic_phandle, 0, 0, GIC_FDT_IRQ_TYPE_SPI,
                pci_intx_spi(first_spi, slot, pin), FDT_IRQ_TYPE_LEVEL_HIGH,
            };
            for (unsigned i = 0; i < FDT_PCI_IMAP_CELLS; i++) {
                cells[n++] = cpu_to_fdt32(entry[i]);
            }
        }
    }
    for (unsigned i = 0; i < 4; i++) {
        mask_cells[i] = cpu_to_fdt32(mask[i]);
    }
    FDT_CHECK(fdt_setprop_u32(fdt, node, "#interrupt-cells", 1));
    FDT_CHECK(fdt_setprop(fdt, node, "interrupt-map-mask", mask_cells, sizeof(mask_cells)));
    FDT_CHECK(fdt_setprop(fdt, node, "interrupt-map", cells, n * sizeof(cells[0])));
    return true;
}

/* Slots 0-3 x INTA-D; the mask folds every other slot onto these (slot & 3). */
static bool fdt_add_pcie_intx_map(void *fdt, int node, const GpexFdtParams *p, GError **errp)
{
    return fdt_add_intx_map(fdt, node, 0x1800, FDT_PCI_IMAP_SLOTS, p->first_spi,
                            p->gic_phandle, errp);
}

bool fdt_add_pcie_root_port(void *fdt, uint8_t devfn, unsigned first_spi,
                            uint32_t gic_phandle, GError **errp)
{
    g_autofree char *name = g_strdup_printf("pci@%x,%x", devfn >> 3, devfn & 7);
    const fdt32_t reg[5] = { cpu_to_fdt32((uint32_t)devfn << 8), 0, 0, 0, 0 };
    int host, node;

    host = fdt_node_offset_by_compatible(fdt, -1, "pci-host-ecam-generic");
    if (host < 0) {
        g_set_error(errp, ARMPASS_FDT_ERROR, -host, "no PCIe host bridge node for root port "
                    "%02x.%x: %s", devfn >> 3, devfn & 7, fdt_strerror(host));
        return false;
    }
    FDT_CHECK_OFFSET(node, fdt_add_subnode(fdt, host, name));
    FDT_CHECK(fdt_setprop_string(fdt, node, "device_type", "pci"));
    FDT_CHECK(fdt_setprop(fdt, node, "reg", reg, sizeof(reg)));
    FDT_CHECK(fdt_setprop_u32(fdt, node, "#address-cells", 3));
    FDT_CHECK(fdt_setprop_u32(fdt, node, "#size-cells", 2));
    FDT_CHECK(fdt_setprop(fdt, node, "ranges", NULL, 0));
    /* The port's own INTA, resolved by the host bridge's map (its parent) with the port's
     * reg. Without it Linux would take the node's interrupt-map for the port's own pin too
     * (of_irq_parse_pci: "Local interrupt-map in the device node? Use it!"). */
    FDT_CHECK(fdt_setprop_u32(fdt, node, "interrupts", 1));
    /* The link reaches device 0 only: its four pins, not rotated. */
    return fdt_add_intx_map(fdt, node, 0, 1, first_spi, gic_phandle, errp);
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
