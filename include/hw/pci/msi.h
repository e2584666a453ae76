/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The plain MSI capability as the guest sees it, emulated for any PCI device model: the
 * control word (enable, multiple message enable), the message address and data, and the
 * per-vector mask and pending bits where the capability has them. The model is told when
 * MSI is switched on or off and when a vector's message or mask changes.
 * Source: PCI Local Bus Specification 3.0, section 6.8.1 (MSI capability);
 * include/uapi/linux/pci_regs.h (PCI_MSI_*).
 */
#ifndef ARMPASS_HW_PCI_MSI_H
#define ARMPASS_HW_PCI_MSI_H

#include "hw/pci/pci.h"

#include <stdbool.h>
#include <stdint.h>

#define MSI_MAX_VECTORS 32

struct MsiState {
    const PCIVectorOps *ops;
    uint32_t cap;         /* the capability's config offset */
    unsigned max_vectors; /* what Multiple Message Capable offers: 1, 2, 4, 8, 16 or 32 */
    bool is64;            /* 64-bit message address */
    bool maskbit;         /* per-vector masking */
    bool enabled;
    unsigned nr_vectors;  /* enabled: 2^Multiple Message Enable, at most max_vectors */
    /* What vector_changed last said of each vector, to tell only of changes. */
    bool last_masked[MSI_MAX_VECTORS];
    uint64_t last_addr[MSI_MAX_VECTORS];
    uint32_t last_data[MSI_MAX_VECTORS];
};

/* The capability's size in bytes for these flags (10 to 24). */
unsigned msi_cap_size(bool is64, bool maskbit);

/*
 * Gives d an MSI capability at config offset cap (the caller links it into the list)
 * offering max_vectors (a power of two, 1-32), 64-bit addresses if is64, per-vector masking
 * if maskbit. MSI starts off. The capability's bytes become emulated, with the writable
 * bits the specification allows.
 */
void msi_init(PCIDevice *d, uint32_t cap, unsigned max_vectors, bool is64, bool maskbit,
              const PCIVectorOps *ops);
void msi_uninit(PCIDevice *d);

/* After pci_default_write_config changed [addr, addr + len): reacts to writes to the
 * capability (enable, message, mask bits). */
void msi_config_write(PCIDevice *d, uint32_t addr, unsigned len);

/* Whether vector (below nr_vectors) is masked (its mask bit, or MSI off). */
bool msi_vector_masked(const PCIDevice *d, unsigned vector);
/* The message of vector: the address (guest-physical) and the data with the vector number
 * in its low bits (PCI 3.0, 6.8.3.3). */
void msi_vector_message(const PCIDevice *d, unsigned vector, uint64_t *addr, uint32_t *data);
/* The pending bit of a vector (with per-vector masking): set by the model while masked. */
void msi_set_pending(PCIDevice *d, unsigned vector, bool pending);
bool msi_is_pending(const PCIDevice *d, unsigned vector);

#endif
