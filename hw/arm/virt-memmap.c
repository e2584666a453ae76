// SPDX-License-Identifier: GPL-2.0-only
/* The virt board's memory map and IRQ map: the one place both device creation and the
 * device tree read them from. Below 4 GiB it follows QEMU's virt board. */
#include "hw/arm/virt.h"

#include <errno.h>
#include <inttypes.h>

const MemMapEntry virt_memmap[VIRT_MEMMAP_COUNT] = {
    [VIRT_GIC_DIST] = { 0x08000000, 0x00010000 },
    [VIRT_GIC_CPU] = { 0x08010000, 0x00010000 },
    [VIRT_GIC_ITS] = { 0x08080000, 0x00020000 },
    [VIRT_GIC_REDIST] = { 0x080a0000, 0x00f60000 },
    [VIRT_UART] = { 0x09000000, 0x00001000 },
    [VIRT_GPIO] = { 0x09030000, 0x00001000 }, /* where QEMU's virt has its PL061 */
    [VIRT_PLATFORM_BUS] = { 0x0c000000, 0x02000000 },
    [VIRT_PCIE_MMIO] = { 0x10000000, 0x2eff0000 },
    [VIRT_PCIE_PIO] = { 0x3eff0000, 0x00010000 },
    [VIRT_PCIE_ECAM] = { 0x3f000000, 0x01000000 }, /* 16 buses */
    [VIRT_MEM] = { 0x40000000, ARMPASS_MAX_RAM },
    /* QEMU's virt places its high window at 512 GiB too; it ends at the 40-bit IPA limit. */
    [VIRT_PCIE_MMIO_HIGH] = { 0x8000000000, VIRT_ADDRESS_SPACE_SIZE - 0x8000000000 },
};

const char *const virt_memmap_names[VIRT_MEMMAP_COUNT] = {
    [VIRT_GIC_DIST] = "GIC distributor",
    [VIRT_GIC_CPU] = "GICv2 CPU interface",
    [VIRT_GIC_ITS] = "GICv3 ITS",
    [VIRT_GIC_REDIST] = "GICv3 redistributors",
    [VIRT_UART] = "PL011 UART",
    [VIRT_GPIO] = "PL061 GPIO",
    [VIRT_PLATFORM_BUS] = "platform-bus window",
    [VIRT_PCIE_MMIO] = "PCIe MMIO window",
    [VIRT_PCIE_PIO] = "PCIe I/O window",
    [VIRT_PCIE_ECAM] = "PCIe ECAM",
    [VIRT_MEM] = "RAM",
    [VIRT_PCIE_MMIO_HIGH] = "PCIe 64-bit MMIO window",
};

static gint bank_cmp(gconstpointer a, gconstpointer b)
{
    const VirtRamBank *x = a, *y = b;

    return x->base < y->base ? -1 : x->base > y->base;
}

bool virt_direct_map_banks(const HostMemRun *runs, unsigned nr_runs, GArray *banks,
                           GError **errp)
{
    for (unsigned i = 0; i < nr_runs; i++) {
        const HostMemRun *r = &runs[i];
        uint64_t last = r->hpa + r->size - 1;
        VirtRamBank b = { r->hpa, r->size, r->offset };

        if (r->size == 0 || last < r->hpa || last >= VIRT_ADDRESS_SPACE_SIZE) {
            g_set_error(errp, HOSTMEM_ERROR, ERANGE,
                        "direct-map=on: guest RAM's host-physical run 0x%" PRIx64 "-0x%" PRIx64
                        " lies above the guest's IPA space (%u bits, up to 0x%llx): this "
                        "host's memory there cannot be direct-mapped (reserve the huge pages "
                        "low, at boot: hugepagesz=1G hugepages=N)", r->hpa, last, 40,
                        VIRT_ADDRESS_SPACE_SIZE - 1);
            return false;
        }
        for (unsigned j = 0; j < VIRT_MEMMAP_COUNT; j++) {
            const MemMapEntry *m = &virt_memmap[j];

            if (j == VIRT_MEM || r->hpa > m->base + m->size - 1 || last < m->base) {
                continue;
            }
            g_set_error(errp, HOSTMEM_ERROR, ERANGE,
                        "direct-map=on: guest RAM's host-physical run 0x%" PRIx64 "-0x%" PRIx64
                        " collides with the board's %s at 0x%" PRIx64 "-0x%" PRIx64 " (the "
                        "guest cannot have RAM there: give a backend whose pages the host "
                        "placed elsewhere)", r->hpa, last, virt_memmap_names[j], m->base,
                        m->base + m->size - 1);
            return false;
        }
        g_array_append_val(banks, b);
    }
    g_array_sort(banks, bank_cmp);
    return true;
}

const unsigned virt_irqmap[VIRT_IRQ_COUNT] = {
    [VIRT_IRQ_UART] = 1,
    [VIRT_IRQ_PLATFORM_BUS] = 112,
    [VIRT_IRQ_PCIE] = 3, /* SPIs 3..6 */
    [VIRT_IRQ_GPIO] = 7, /* as on QEMU's virt; below the platform bus's SPIs */
    [VIRT_IRQ_PCIE_PORTS] = 16, /* SPIs 16..79: INTA-D behind each of 16 root ports */
};
