// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests: the virt board's memory and IRQ maps are consistent (no overlaps, RAM's
 * maximum below the PCIe high window, everything inside the 40-bit IPA space). */
#include "hw/arm/virt.h"

#include <inttypes.h>

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

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/virt-memmap/no-overlap", test_no_overlap);
    g_test_add_func("/virt-memmap/pcie-windows", test_pcie_windows);
    g_test_add_func("/virt-memmap/irq-map", test_irq_map);
    return g_test_run();
}
