// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests: the virt board's memory and IRQ maps are consistent (no overlaps, RAM's
 * maximum below the PCIe high window, everything inside the 40-bit IPA space). */
#include "hw/arm/virt.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

static const char *const names[VIRT_MEMMAP_COUNT] = {
    [VIRT_GIC_DIST] = "GIC_DIST", [VIRT_GIC_CPU] = "GIC_CPU", [VIRT_GIC_ITS] = "GIC_ITS",
    [VIRT_GIC_REDIST] = "GIC_REDIST", [VIRT_UART] = "UART", [VIRT_GPIO] = "GPIO",
    [VIRT_PLATFORM_BUS] = "PLATFORM_BUS", [VIRT_PCIE_MMIO] = "PCIE_MMIO",
    [VIRT_PCIE_PIO] = "PCIE_PIO", [VIRT_PCIE_ECAM] = "PCIE_ECAM", [VIRT_MEM] = "MEM",
    [VIRT_PCIE_MMIO_HIGH] = "PCIE_MMIO_HIGH",
};

static void test_no_overlap(void)
{
    for (unsigned i = 0; i < VIRT_MEMMAP_COUNT; i++) {
        const MemMapEntry *a = &virt_memmap[i];
        g_assert_nonnull(names[i]);
        g_assert_cmpuint(a->size, >, 0);
        g_assert_cmphex(a->base + a->size, <=, VIRT_ADDRESS_SPACE_SIZE);
        for (unsigned j = i + 1; j < VIRT_MEMMAP_COUNT; j++) {
            const MemMapEntry *b = &virt_memmap[j];
            if (a->base < b->base + b->size && b->base < a->base + a->size) {
                g_error("%s [0x%" PRIx64 ", 0x%" PRIx64 ") overlaps %s [0x%" PRIx64
                        ", 0x%" PRIx64 ")", names[i], a->base, a->base + a->size, names[j],
                        b->base, b->base + b->size);
            }
        }
    }
}

static void test_pcie_windows(void)
{
    const MemMapEntry *ecam = &virt_memmap[VIRT_PCIE_ECAM];
    const MemMapEntry *high = &virt_memmap[VIRT_PCIE_MMIO_HIGH];

    /* RAM at its largest ends below the 64-bit window, which ends at the IPA limit */
    g_assert_cmphex(virt_memmap[VIRT_MEM].base + ARMPASS_MAX_RAM, <=, high->base);
    g_assert_cmphex(high->base + high->size, ==, VIRT_ADDRESS_SPACE_SIZE);
    /* the 32-bit window lies below 4 GiB; ECAM holds 16 buses of 1 MiB, aligned */
    g_assert_cmphex(virt_memmap[VIRT_PCIE_MMIO].base + virt_memmap[VIRT_PCIE_MMIO].size, <=,
                    1ULL << 32);
    g_assert_cmphex(ecam->size, ==, 16 << 20);
    g_assert_cmphex(ecam->base & (ecam->size - 1), ==, 0);
    g_assert_cmphex(virt_memmap[VIRT_PCIE_PIO].size, ==, 0x10000);
}

static void test_irq_map(void)
{
    unsigned pcie = virt_irqmap[VIRT_IRQ_PCIE];
    unsigned pbus = virt_irqmap[VIRT_IRQ_PLATFORM_BUS];

    g_assert_cmpuint(pcie, ==, 3);
    g_assert_true(virt_irqmap[VIRT_IRQ_UART] < pcie ||
                  virt_irqmap[VIRT_IRQ_UART] >= pcie + VIRT_PCIE_NUM_IRQS);
    g_assert_true(pcie + VIRT_PCIE_NUM_IRQS <= pbus || pbus + VIRT_PLATFORM_BUS_NUM_IRQS <= pcie);
    g_assert_cmpuint(pbus + VIRT_PLATFORM_BUS_NUM_IRQS, <=, VIRT_GIC_NR_IRQS - 32);
    /* The power button's PL061: its own SPI, never one a passed-through device may take. */
    unsigned gpio = virt_irqmap[VIRT_IRQ_GPIO];
    g_assert_cmpuint(gpio, !=, virt_irqmap[VIRT_IRQ_UART]);
    g_assert_true(gpio < pcie || gpio >= pcie + VIRT_PCIE_NUM_IRQS);
    g_assert_true(gpio < pbus || gpio >= pbus + VIRT_PLATFORM_BUS_NUM_IRQS);
    /* The root ports' slot lines: a range of their own, 4 per port, one port per ECAM bus. */
    unsigned ports = virt_irqmap[VIRT_IRQ_PCIE_PORTS];
    g_assert_cmpuint(VIRT_PCIE_PORT_NUM_IRQS % 4, ==, 0);
    g_assert_cmpuint(VIRT_PCIE_PORT_NUM_IRQS / 4, >=, virt_memmap[VIRT_PCIE_ECAM].size >> 20);
    g_assert_cmpuint(VIRT_PCIE_PORT_NUM_IRQS / 4, <=, 32); /* pci_port_intx_used's bits */
    g_assert_true(ports >= pcie + VIRT_PCIE_NUM_IRQS || ports + VIRT_PCIE_PORT_NUM_IRQS <= pcie);
    g_assert_true(ports >= gpio + 1 || ports + VIRT_PCIE_PORT_NUM_IRQS <= gpio);
    g_assert_true(ports >= virt_irqmap[VIRT_IRQ_UART] + 1);
    g_assert_cmpuint(ports + VIRT_PCIE_PORT_NUM_IRQS, <=, pbus);
}

/* The banks of a direct-mapped guest: sorted, every board region refused by name, the IPA
 * limit enforced. */
static void test_direct_map_banks(void)
{
    static const struct {
        uint64_t hpa, size;
        const char *err; /* NULL: accepted */
    } t[] = {
        { 0xc0000000, 1ULL << 30, NULL },
        { 0x100000000, 2 << 20, NULL },
        { 0x7fffe00000ULL, 2 << 20, NULL },           /* just below the high PCIe window */
        { 0x08000000, 2 << 20, "GIC distributor at 0x8000000-0x800ffff" },
        { 0x09000000, 2 << 20, "PL011 UART" },
        { 0x0c000000, 2 << 20, "platform-bus window" },
        { 0x3ec00000, 2 << 20, "PCIe MMIO window" },  /* 0x3ec00000-0x3edfffff */
        { 0x3f000000, 2 << 20, "PCIe ECAM" },
        { 0x8000000000ULL, 1ULL << 30, "PCIe 64-bit MMIO window" },
        { 0x10000000000ULL, 2 << 20, "above the guest's IPA space (40 bits" },
        { 0xffc0000000ULL, 1ULL << 30, "PCIe 64-bit MMIO window" },
    };

    for (unsigned i = 0; i < G_N_ELEMENTS(t); i++) {
        HostMemRun r = { t[i].hpa, t[i].size, 0 };
        g_autoptr(GArray) banks = g_array_new(FALSE, FALSE, sizeof(VirtRamBank));
        g_autoptr(GError) err = NULL;
        bool ok = virt_direct_map_banks(&r, 1, banks, &err);

        if (!t[i].err) {
            g_assert_no_error(err);
            g_assert_cmpuint(banks->len, ==, 1);
            g_assert_cmphex(g_array_index(banks, VirtRamBank, 0).base, ==, t[i].hpa);
            continue;
        }
        g_assert_false(ok);
        if (!strstr(err->message, t[i].err)) {
            g_error("run 0x%" PRIx64 ": \"%s\" lacks \"%s\"", t[i].hpa, err->message, t[i].err);
        }
        g_assert_nonnull(strstr(err->message, "direct-map=on"));
    }
    {   /* several runs: banks in address order, each with its backend offset */
        HostMemRun runs[] = { { 0x180000000ULL, 2 << 20, 0 }, { 0x100000000ULL, 4 << 20, 2 << 20 },
                              { 0x140000000ULL, 2 << 20, 6 << 20 } };
        g_autoptr(GArray) banks = g_array_new(FALSE, FALSE, sizeof(VirtRamBank));
        const VirtRamBank *b;

        g_assert_true(virt_direct_map_banks(runs, 3, banks, NULL));
        g_assert_cmpuint(banks->len, ==, 3);
        b = (const VirtRamBank *)(const void *)banks->data;
        g_assert_cmphex(b[0].base, ==, 0x100000000ULL);
        g_assert_cmphex(b[0].offset, ==, 2 << 20);
        g_assert_cmphex(b[0].size, ==, 4 << 20);
        g_assert_cmphex(b[1].base, ==, 0x140000000ULL);
        g_assert_cmphex(b[2].base, ==, 0x180000000ULL);
        g_assert_cmphex(b[2].offset, ==, 0);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/virt-memmap/no-overlap", test_no_overlap);
    g_test_add_func("/virt-memmap/pcie-windows", test_pcie_windows);
    g_test_add_func("/virt-memmap/irq-map", test_irq_map);
    g_test_add_func("/virt-memmap/direct-map-banks", test_direct_map_banks);
    return g_test_run();
}
