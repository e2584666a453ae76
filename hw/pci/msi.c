// SPDX-License-Identifier: GPL-2.0-only
/* Plain MSI emulation: the capability's control word, message and per-vector mask bits. */
#define G_LOG_DOMAIN "armpass-pci"
#include "hw/pci/msi.h"

#include <string.h>

static uint32_t off_data(const MsiState *m)
{
    return m->cap + (m->is64 ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32);
}

static uint32_t off_mask(const MsiState *m)
{
    return m->cap + (m->is64 ? PCI_MSI_MASK_64 : PCI_MSI_MASK_32);
}

static uint32_t off_pending(const MsiState *m)
{
    return m->cap + (m->is64 ? PCI_MSI_PENDING_64 : PCI_MSI_PENDING_32);
}

unsigned msi_cap_size(bool is64, bool maskbit)
{
    if (maskbit) {
        return is64 ? PCI_MSI_PENDING_64 + 4 : PCI_MSI_PENDING_32 + 4;
    }
    return is64 ? PCI_MSI_DATA_64 + 2 : PCI_MSI_DATA_32 + 2;
}

void msi_init(PCIDevice *d, uint32_t cap, unsigned max_vectors, bool is64, bool maskbit,
              const PCIVectorOps *ops)
{
    MsiState *m = g_new0(MsiState, 1);
    unsigned log2 = 0;
    uint16_t flags;

    g_return_if_fail(max_vectors >= 1 && max_vectors <= MSI_MAX_VECTORS &&
                     (max_vectors & (max_vectors - 1)) == 0);
    while ((1u << log2) < max_vectors) {
        log2++;
    }
    m->ops = ops;
    m->cap = cap;
    m->max_vectors = max_vectors;
    m->is64 = is64;
    m->maskbit = maskbit;
    d->msi = m;

    memset(&d->config[cap + 2], 0, msi_cap_size(is64, maskbit) - 2);
    memset(&d->wmask[cap], 0, msi_cap_size(is64, maskbit));
    pci_set_byte(d, cap + PCI_CAP_LIST_ID, PCI_CAP_ID_MSI);
    flags = (uint16_t)(log2 << 1) | (is64 ? PCI_MSI_FLAGS_64BIT : 0) |
            (maskbit ? PCI_MSI_FLAGS_MASKBIT : 0);
    pci_set_word(d, cap + PCI_MSI_FLAGS, flags);
    pci_set_word_mask(d, cap + PCI_MSI_FLAGS, PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE);
    pci_set_long_mask(d, cap + PCI_MSI_ADDRESS_LO, 0xfffffffc);
    if (is64) {
        pci_set_long_mask(d, cap + PCI_MSI_ADDRESS_HI, 0xffffffff);
    }
    pci_set_word_mask(d, off_data(m), 0xffff);
    if (maskbit) {
        pci_set_long_mask(d, off_mask(m), max_vectors == 32 ? 0xffffffff
                                                            : (1u << max_vectors) - 1);
    }
}

void msi_uninit(PCIDevice *d)
{
    g_clear_pointer(&d->msi, g_free);
}

bool msi_vector_masked(const PCIDevice *d, unsigned vector)
{
    const MsiState *m = d->msi;

    if (!m->enabled || vector >= m->nr_vectors) {
        return true;
    }
    return m->maskbit && (pci_get_long(d, off_mask(m)) & (1u << vector));
}

void msi_vector_message(const PCIDevice *d, unsigned vector, uint64_t *addr, uint32_t *data)
{
    const MsiState *m = d->msi;
    uint32_t nr = MAX(m->nr_vectors, 1u);
    uint16_t base = pci_get_word(d, off_data(m));

    *addr = pci_get_long(d, m->cap + PCI_MSI_ADDRESS_LO);
    if (m->is64) {
        *addr |= (uint64_t)pci_get_long(d, m->cap + PCI_MSI_ADDRESS_HI) << 32;
    }
    *data = (base & ~(nr - 1)) | (vector & (nr - 1));
}

void msi_set_pending(PCIDevice *d, unsigned vector, bool pending)
{
    MsiState *m = d->msi;
    uint32_t bits;

    if (!m->maskbit || vector >= MSI_MAX_VECTORS) {
        return;
    }
    bits = pci_get_long(d, off_pending(m));
    bits = pending ? bits | (1u << vector) : bits & ~(1u << vector);
    pci_set_long(d, off_pending(m), bits);
}

bool msi_is_pending(const PCIDevice *d, unsigned vector)
{
    const MsiState *m = d->msi;

    return m->maskbit && vector < MSI_MAX_VECTORS &&
           (pci_get_long(d, off_pending(m)) & (1u << vector));
}

/* Tells the model of every vector in use whose state differs from what it was last told. */
static void notify_changes(PCIDevice *d, bool all)
{
    MsiState *m = d->msi;

    for (unsigned v = 0; v < m->nr_vectors; v++) {
        bool masked = msi_vector_masked(d, v);
        uint64_t addr;
        uint32_t data;

        msi_vector_message(d, v, &addr, &data);
        if (all || masked != m->last_masked[v] ||
            (!masked && (addr != m->last_addr[v] || data != m->last_data[v]))) {
            m->last_masked[v] = masked;
            m->last_addr[v] = addr;
            m->last_data[v] = data;
            m->ops->vector_changed(d, v, masked, addr, data);
        }
    }
}

void msi_config_write(PCIDevice *d, uint32_t addr, unsigned len)
{
    MsiState *m = d->msi;
    uint32_t end = m->cap + msi_cap_size(m->is64, m->maskbit);
    uint16_t flags;
    unsigned qsize;
    bool enabled;

    if (!(addr < end && m->cap < addr + len)) {
        return;
    }
    flags = pci_get_word(d, m->cap + PCI_MSI_FLAGS);
    qsize = (flags & PCI_MSI_FLAGS_QSIZE) >> 4;
    if ((1u << qsize) > m->max_vectors) {
        /* More than offered: the specification leaves it undefined; give what exists. */
        qsize = 0;
        while ((2u << qsize) <= m->max_vectors) {
            qsize++;
        }
        pci_set_word(d, m->cap + PCI_MSI_FLAGS,
                     (uint16_t)((flags & ~PCI_MSI_FLAGS_QSIZE) | (qsize << 4)));
    }
    enabled = flags & PCI_MSI_FLAGS_ENABLE;
    if (enabled != m->enabled) {
        m->enabled = enabled;
        m->nr_vectors = enabled ? 1u << qsize : 0;
        g_debug("%s: MSI %s, %u vectors", d->name, enabled ? "on" : "off", m->nr_vectors);
        m->ops->enable_changed(d, enabled);
        if (enabled) {
            notify_changes(d, true);
        }
        return;
    }
    if (enabled) {
        notify_changes(d, false);
    }
}
