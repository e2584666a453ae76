// SPDX-License-Identifier: GPL-2.0-only
/* The virt board's memory map and IRQ map: the one place both device creation and the
 * device tree read them from. Below 4 GiB it follows QEMU's virt board. */
#include "hw/arm/virt.h"

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

const unsigned virt_irqmap[VIRT_IRQ_COUNT] = {
    [VIRT_IRQ_UART] = 1,
    [VIRT_IRQ_PLATFORM_BUS] = 112,
    [VIRT_IRQ_PCIE] = 3, /* SPIs 3..6 */
    [VIRT_IRQ_GPIO] = 7, /* as on QEMU's virt; below the platform bus's SPIs */
    [VIRT_IRQ_PCIE_PORTS] = 16, /* SPIs 16..79: INTA-D behind each of 16 root ports */
};
