/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * MSI-X as the guest sees it: the capability in config space (enable, function mask), the
 * vector table and the pending-bit array, emulated for any PCI device model. The model is
 * told when MSI-X is switched on or off and when a vector's message or effective mask
 * changes; it decides how a vector reaches the interrupt controller.
 * Source: PCI Local Bus Specification 3.0, section 6.8.2 (MSI-X capability and table);
 * include/uapi/linux/pci_regs.h (PCI_MSIX_*).
 */
#ifndef ARMPASS_HW_PCI_MSIX_H
#define ARMPASS_HW_PCI_MSIX_H

#include "hw/pci/pci.h"

#include <stdbool.h>
#include <stdint.h>

#define MSIX_ENTRY_SIZE 16 /* bytes: address lo, address hi, data, vector control */
#define MSIX_CAP_SIZE   12 /* bytes */


struct MsixState {
    const PCIVectorOps *ops;
    unsigned nr_vectors;
    uint32_t cap;            /* the capability's config offset */
    unsigned table_bar, pba_bar;
    uint32_t table_offset, pba_offset; /* bytes from the BAR's start */
    uint8_t *table;          /* nr_vectors * MSIX_ENTRY_SIZE bytes, little-endian */
    uint8_t *pba;            /* pba_size bytes */
    uint32_t pba_size;       /* bytes: a bit per vector, rounded up to 8 bytes */
    bool enabled;            /* MSI-X Enable */
    bool fmask;              /* Function Mask */
};

/*
 * Gives d an MSI-X capability at config offset cap (the caller links it into the list) of
 * nr_vectors (1-2048) whose table lives at table_offset of BAR table_bar and whose PBA at
 * pba_offset of BAR pba_bar. Every vector starts masked, MSI-X off. The caller routes the
 * BAR's accesses at those offsets to msix_table_read/write and msix_pba_read.
 */
void msix_init(PCIDevice *d, uint32_t cap, unsigned nr_vectors, unsigned table_bar,
               uint32_t table_offset, unsigned pba_bar, uint32_t pba_offset,
               const PCIVectorOps *ops);
void msix_uninit(PCIDevice *d);

/* Table and PBA size in bytes. */
static inline uint32_t msix_table_size(const MsixState *m)
{
    return m->nr_vectors * MSIX_ENTRY_SIZE;
}

/* A guest access of size bytes (1, 2, 4, 8) at offset bytes into the table / PBA. Accesses
 * past the end read as zero and are ignored. */
uint64_t msix_table_read(PCIDevice *d, uint32_t offset, unsigned size);
void msix_table_write(PCIDevice *d, uint32_t offset, uint64_t val, unsigned size);
uint64_t msix_pba_read(PCIDevice *d, uint32_t offset, unsigned size);

/* After pci_default_write_config changed [addr, addr + len): reacts to control writes. */
void msix_config_write(PCIDevice *d, uint32_t addr, unsigned len);

/* Whether vector is masked (its own bit or the function mask, or MSI-X off). */
bool msix_vector_masked(const PCIDevice *d, unsigned vector);
/* The vector's message: address (guest-physical) and data. */
void msix_vector_message(const PCIDevice *d, unsigned vector, uint64_t *addr, uint32_t *data);
/* The pending bit of a vector: set by the model when an interrupt arrives while masked;
 * the model clears it when it delivers on unmask. */
void msix_set_pending(PCIDevice *d, unsigned vector, bool pending);
bool msix_is_pending(const PCIDevice *d, unsigned vector);

#endif
