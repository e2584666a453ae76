/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the PCI nodes of a device tree share: the INTx interrupt-map that a host bridge and a
 * root port each write for the slots below them. Source:
 * Documentation/devicetree/bindings/pci/pci.txt (interrupt-map, interrupt-map-mask),
 * interrupt-controller/arm,gic-v3.yaml (the GIC specifier).
 */
#ifndef ARMPASS_HW_PCI_PCI_FDT_H
#define ARMPASS_HW_PCI_PCI_FDT_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* Cells of one interrupt-map entry: child address (3) + child pin (1) + GIC phandle (1) +
 * GIC unit address (2: its #address-cells) + GIC specifier (3). */
#define PCI_FDT_IMAP_CELLS 10
/* The most slots one map lists (INTA-D each). */
#define PCI_FDT_IMAP_SLOTS 4

/*
 * Sets "#interrupt-cells" = <1>, "interrupt-map-mask" = <mask_hi 0 0 7> and an "interrupt-map"
 * of the slots 0..nr_slots-1 (at most PCI_FDT_IMAP_SLOTS) x INTA-D on node, each to the GIC
 * SPI first_spi rotated by slot (pci_intx_spi), level-high, through the GIC gic_phandle (whose
 * #address-cells must be 2). Errors: a libfdt call failed (named).
 */
bool pci_fdt_add_intx_map(void *fdt, int node, uint32_t mask_hi, unsigned nr_slots,
                          unsigned first_spi, uint32_t gic_phandle, GError **errp);

#endif
