// SPDX-License-Identifier: GPL-2.0-only
/* The INTx interrupt-map that the host bridge's node and each root port's node write. */
#include "hw/pci/pci-fdt.h"

#include "hw/core/fdt.h"
#include "hw/pci/pci.h"

bool pci_fdt_add_intx_map(void *fdt, int node, uint32_t mask_hi, unsigned nr_slots,
                          unsigned first_spi, uint32_t gic_phandle, GError **errp)
{
    const uint32_t mask[4] = { mask_hi, 0, 0, 7 };
    fdt32_t cells[PCI_FDT_IMAP_SLOTS * 4 * PCI_FDT_IMAP_CELLS], mask_cells[4];
    unsigned n = 0;

    g_assert(nr_slots <= PCI_FDT_IMAP_SLOTS);
    for (unsigned slot = 0; slot < nr_slots; slot++) {
        for (unsigned pin = 1; pin <= 4; pin++) {
            const uint32_t entry[PCI_FDT_IMAP_CELLS] = {
                slot << 11, 0, 0, pin, gic_phandle, 0, 0, GIC_FDT_IRQ_TYPE_SPI,
                pci_intx_spi(first_spi, slot, pin), FDT_IRQ_TYPE_LEVEL_HIGH,
            };
            for (unsigned i = 0; i < PCI_FDT_IMAP_CELLS; i++) {
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
