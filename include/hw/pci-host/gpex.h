/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The generic PCIe host bridge (QEMU's "gpex", Linux's pci-host-ecam-generic): one root bus
 * whose config space the guest reaches through an ECAM window, and its device-tree node.
 * Source: PCI Express Base Specification 4.0, section 7.2.2 (ECAM);
 * Documentation/devicetree/bindings/pci/host-generic-pci.yaml, pci.txt, pci-msi.txt.
 */
#ifndef ARMPASS_HW_PCI_HOST_GPEX_H
#define ARMPASS_HW_PCI_HOST_GPEX_H

#include "hw/pci/pci.h"
#include "system/memory.h"

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#define GPEX_ECAM_BUS_SIZE (1u << 20) /* bytes of ECAM per bus: 32 devices x 8 functions x 4 KiB */

/* Where an ECAM byte offset lands: PCIe Base Spec 7.2.2, table 7-1. */
typedef struct GpexEcamAddr {
    uint8_t bus;    /* offset bits 27:20 */
    uint8_t devfn;  /* bits 19:12: device << 3 | function */
    uint16_t reg;   /* bits 11:0: byte offset in the function's 4 KiB config space */
} GpexEcamAddr;

/* Decodes a byte offset into the ECAM window (no errors: every offset decodes). */
GpexEcamAddr gpex_ecam_decode(uint64_t offset);

typedef struct GpexHost {
    PCIBus *bus;
    MemoryRegion ecam;     /* MR_IO over the ECAM window */
    MemoryRegion *sysmem;  /* where ecam is placed */
    AddressSpace *as;      /* committed when ecam goes */
    uint64_t ecam_base;    /* guest-physical, bytes */
} GpexHost;

/*
 * Creates the root bus (pci_bus_new with windows: guest-physical, bytes; PCI and CPU
 * addresses are identical) and places the trapped ECAM window of ecam_size bytes (a multiple
 * of GPEX_ECAM_BUS_SIZE) at guest-physical ecam_base in sysmem. Config accesses go to bus 0
 * (pci_bus_config_read/write) and, through the bridges on it, to their secondary buses by
 * the bus numbers the guest programmed; a bus number nothing claims reads all ones.
 * The caller commits as. Errors: the window cannot be placed (overlap, out of range).
 */
GpexHost *gpex_host_new(MemoryRegion *sysmem, AddressSpace *as, uint64_t ecam_base,
                        uint64_t ecam_size, const PCIWindow *windows, unsigned nr_windows,
                        GError **errp);
/* Unplaces the ECAM window and commits as (so no view still refers to it), then frees the
 * bus, whose devices must be gone. NULL is fine. */
void gpex_host_free(GpexHost *h);

/* What the host bridge's device-tree node describes (guest-physical addresses, bytes). */
typedef struct GpexFdtParams {
    uint64_t ecam_base, ecam_size;   /* bus-range is 0 .. ecam_size / 1 MiB - 1 */
    uint64_t pio_base, pio_size;     /* I/O window: PCI I/O address 0 at pio_base */
    uint64_t mmio_base, mmio_size;   /* 32-bit window, PCI address = CPU address */
    uint64_t mmio64_base, mmio64_size; /* 64-bit prefetchable window, PCI = CPU address */
    unsigned first_spi;              /* INTA of slot 0; see pci_intx_spi() */
    uint32_t gic_phandle;            /* the GIC, whose #address-cells must be 2 */
    uint32_t its_phandle;            /* 0: no ITS, so no msi-map */
} GpexFdtParams;

/*
 * Adds /pcie@<ecam_base> (compatible "pci-host-ecam-generic") with reg, bus-range, ranges
 * for the three windows, the INTx interrupt-map (slots 0-3 x INTA-D, swizzled) and, with an
 * ITS, msi-map (requester ID = ITS DeviceID). Source: host-generic-pci.yaml, pci.txt
 * (ranges, interrupt-map), pci-msi.txt (msi-map). Errors: a libfdt call failed (named).
 */
bool fdt_add_pcie_host(void *fdt, const GpexFdtParams *p, GError **errp);

#endif
