// SPDX-License-Identifier: GPL-2.0-only
/* MSI-X emulation: the capability's control bits, the vector table and the PBA. */
#define G_LOG_DOMAIN "armpass-pci"
#include "hw/pci/msix.h"

#include <inttypes.h>
#include <string.h>

void msix_init(PCIDevice *d, uint32_t cap, unsigned nr_vectors, unsigned table_bar,
               uint32_t table_offset, unsigned pba_bar, uint32_t pba_offset,
               const PCIVectorOps *ops)
{
    MsixState *m = g_new0(MsixState, 1);

    g_return_if_fail(nr_vectors >= 1 && nr_vectors <= 2048);
    m->ops = ops;
    m->nr_vectors = nr_vectors;
    m->cap = cap;
    m->table_bar = table_bar;
    m->pba_bar = pba_bar;
    m->table_offset = table_offset;
    m->pba_offset = pba_offset;
    m->table = g_malloc0(msix_table_size(m));
    m->pba_size = ((nr_vectors + 63) / 64) * 8;
    m->pba = g_malloc0(m->pba_size);
    for (unsigned v = 0; v < nr_vectors; v++) {
        m->table[v * MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_VECTOR_CTRL] =
            PCI_MSIX_ENTRY_CTRL_MASKBIT;
    }
    pci_set_byte(d, cap + PCI_CAP_LIST_ID, PCI_CAP_ID_MSIX);
    pci_set_word(d, cap + PCI_MSIX_FLAGS, (uint16_t)(nr_vectors - 1));
    pci_set_long(d, cap + PCI_MSIX_TABLE, table_offset | table_bar);
    pci_set_long(d, cap + PCI_MSIX_PBA, pba_offset | pba_bar);
    memset(&d->wmask[cap], 0, MSIX_CAP_SIZE);
    d->wmask[cap + PCI_MSIX_FLAGS + 1] = (PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL) >> 8;
    d->msix = m;
}

void msix_uninit(PCIDevice *d)
{
    MsixState *m = d->msix;

    if (m) {
        g_free(m->table);
        g_free(m->pba);
        g_free(m);
        d->msix = NULL;
    }
}

static bool entry_masked(const MsixState *m, unsigned v)
{
    return m->table[v * MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_VECTOR_CTRL] &
           PCI_MSIX_ENTRY_CTRL_MASKBIT;
}

bool msix_vector_masked(const PCIDevice *d, unsigned vector)
{
    const MsixState *m = d->msix;

    return !m->enabled || m->fmask || entry_masked(m, vector);
}

void msix_vector_message(const PCIDevice *d, unsigned vector, uint64_t *addr, uint32_t *data)
{
    const uint8_t *e = &d->msix->table[vector * MSIX_ENTRY_SIZE];
    uint32_t lo, hi, dat;

    memcpy(&lo, e + PCI_MSIX_ENTRY_LOWER_ADDR, 4);
    memcpy(&hi, e + PCI_MSIX_ENTRY_UPPER_ADDR, 4);
    memcpy(&dat, e + PCI_MSIX_ENTRY_DATA, 4);
    *addr = (uint64_t)GUINT32_FROM_LE(hi) << 32 | GUINT32_FROM_LE(lo);
    *data = GUINT32_FROM_LE(dat);
}

static void notify_vector(PCIDevice *d, unsigned v)
{
    uint64_t addr;
    uint32_t data;

    msix_vector_message(d, v, &addr, &data);
    d->msix->ops->vector_changed(d, v, msix_vector_masked(d, v), addr, data);
}

void msix_set_pending(PCIDevice *d, unsigned vector, bool pending)
{
    uint8_t bit = (uint8_t)(1u << (vector % 8));

    if (pending) {
        d->msix->pba[vector / 8] |= bit;
    } else {
        d->msix->pba[vector / 8] &= (uint8_t)~bit;
    }
}

bool msix_is_pending(const PCIDevice *d, unsigned vector)
{
    return d->msix->pba[vector / 8] & (1u << (vector % 8));
}

static uint64_t bytes_read(const uint8_t *base, uint32_t len, uint32_t offset, unsigned size)
{
    uint64_t val = 0;

    for (unsigned i = 0; i < size; i++) {
        if (offset + i < len) {
            val |= (uint64_t)base[offset + i] << (8 * i);
        }
    }
    return val;
}

uint64_t msix_table_read(PCIDevice *d, uint32_t offset, unsigned size)
{
    return bytes_read(d->msix->table, msix_table_size(d->msix), offset, size);
}

uint64_t msix_pba_read(PCIDevice *d, uint32_t offset, unsigned size)
{
    return bytes_read(d->msix->pba, d->msix->pba_size, offset, size);
}

void msix_table_write(PCIDevice *d, uint32_t offset, uint64_t val, unsigned size)
{
    MsixState *m = d->msix;
    uint32_t len = msix_table_size(m);
    unsigned first = offset / MSIX_ENTRY_SIZE;
    unsigned last = (offset + size - 1) / MSIX_ENTRY_SIZE;
    bool was_masked[2];
    uint8_t before[2][MSIX_ENTRY_SIZE];

    if (offset >= len) {
        return;
    }
    last = MIN(last, m->nr_vectors - 1);
    for (unsigned v = first; v <= last; v++) {
        was_masked[v - first] = msix_vector_masked(d, v);
        memcpy(before[v - first], &m->table[v * MSIX_ENTRY_SIZE], MSIX_ENTRY_SIZE);
    }
    for (unsigned i = 0; i < size && offset + i < len; i++) {
        uint32_t at = offset + i;
        uint8_t b = (uint8_t)(val >> (8 * i));

        if (at % MSIX_ENTRY_SIZE == PCI_MSIX_ENTRY_VECTOR_CTRL) {
            b &= PCI_MSIX_ENTRY_CTRL_MASKBIT; /* the rest is reserved, reads as zero */
        } else if (at % MSIX_ENTRY_SIZE > PCI_MSIX_ENTRY_VECTOR_CTRL) {
            b = 0;
        }
        m->table[at] = b;
    }
    if (!m->enabled) {
        return;
    }
    for (unsigned v = first; v <= last; v++) {
        bool masked = msix_vector_masked(d, v);
        bool msg_changed = memcmp(before[v - first], &m->table[v * MSIX_ENTRY_SIZE],
                                  PCI_MSIX_ENTRY_VECTOR_CTRL) != 0;

        if (masked != was_masked[v - first] || (!masked && msg_changed)) {
            notify_vector(d, v);
        }
    }
}

void msix_config_write(PCIDevice *d, uint32_t addr, unsigned len)
{
    MsixState *m = d->msix;
    uint32_t ctrl = m->cap + PCI_MSIX_FLAGS;
    uint16_t flags;
    bool enabled, fmask;

    if (!(addr < ctrl + 2 && ctrl < addr + len)) {
        return;
    }
    flags = pci_get_word(d, ctrl);
    enabled = flags & PCI_MSIX_FLAGS_ENABLE;
    fmask = flags & PCI_MSIX_FLAGS_MASKALL;
    if (enabled == m->enabled && fmask == m->fmask) {
        return;
    }
    g_debug("%s: MSI-X %s%s", d->name, enabled ? "on" : "off",
            fmask ? ", function masked" : "");
    if (enabled != m->enabled) {
        m->enabled = enabled;
        m->fmask = fmask;
        m->ops->enable_changed(d, enabled);
        if (!enabled) {
            return;
        }
        for (unsigned v = 0; v < m->nr_vectors; v++) {
            notify_vector(d, v);
        }
        return;
    }
    m->fmask = fmask;
    if (!m->enabled) {
        return; /* no vector changes while MSI-X is off: the enable tells them all */
    }
    for (unsigned v = 0; v < m->nr_vectors; v++) {
        if (!entry_masked(m, v)) {
            notify_vector(d, v);
        }
    }
}
