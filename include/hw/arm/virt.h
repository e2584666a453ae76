/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The "virt" board: its memory map and IRQ map (const tables that both device creation and
 * the device tree read), the device-tree builder and the machine's life cycle.
 * The layout follows QEMU's virt board below 4 GiB so guests and users find things where
 * they expect them.
 */
#ifndef ARMPASS_HW_ARM_VIRT_H
#define ARMPASS_HW_ARM_VIRT_H

#include "hw/core/device.h"
#include "system/hostmem.h"
#include "system/options.h"

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum VirtMemmapIndex {
    VIRT_GIC_DIST,
    VIRT_GIC_CPU,     /* GICv2 CPU interface */
    VIRT_GIC_ITS,
    VIRT_GIC_REDIST,  /* GICv3 redistributors, 128 KiB per vCPU */
    VIRT_UART,
    VIRT_GPIO,        /* the PL061 whose line 3 is the power button (gpio-keys) */
    VIRT_PLATFORM_BUS,
    VIRT_PCIE_MMIO,   /* the PCIe host bridge's 32-bit MMIO window (BARs below 4 GiB) */
    VIRT_PCIE_PIO,    /* its I/O window, seen by the CPU as MMIO (PCI I/O address 0) */
    VIRT_PCIE_ECAM,   /* its config space: 1 MiB per bus (PCIe Base Spec 7.2.2) */
    VIRT_MEM,         /* guest RAM starts here; its size is -m (at most ARMPASS_MAX_RAM) */
    VIRT_PCIE_MMIO_HIGH, /* its 64-bit MMIO window, above RAM up to VIRT_ADDRESS_SPACE_SIZE */
    VIRT_MEMMAP_COUNT
} VirtMemmapIndex;

typedef struct MemMapEntry {
    uint64_t base; /* guest-physical, bytes */
    uint64_t size; /* bytes */
} MemMapEntry;

extern const MemMapEntry virt_memmap[VIRT_MEMMAP_COUNT];
/* What each entry is, for messages ("GIC distributor", ...). */
extern const char *const virt_memmap_names[VIRT_MEMMAP_COUNT];

/* One bank of guest RAM: guest-physical [base, base + size) is the RAM backend's bytes
 * [offset, offset + size). */
typedef struct VirtRamBank {
    uint64_t base;   /* guest-physical, bytes */
    uint64_t size;   /* bytes */
    uint64_t offset; /* bytes into the backend */
} VirtRamBank;

/*
 * The banks of a direct-mapped guest (-M virt,direct-map=on): one per physically contiguous
 * run of guest RAM, at its host-physical address (guest-physical = host-physical), appended to
 * banks (a GArray of VirtRamBank). Errors (one line naming the run and what it hits): a run
 * that overlaps the board's own map (anything of virt_memmap but RAM: GIC, UART, GPIO,
 * platform bus, PCIe windows) or ends above the guest's IPA space (VIRT_ADDRESS_SPACE_SIZE).
 * Source of the idea: Xen's direct-mapped dom0less guests (docs/misc/arm/device-tree/
 * booting.txt, "direct-map").
 */
bool virt_direct_map_banks(const HostMemRun *runs, unsigned nr_runs, GArray *banks,
                           GError **errp);

typedef enum VirtIrqIndex {
    VIRT_IRQ_UART,
    VIRT_IRQ_PLATFORM_BUS, /* first of VIRT_PLATFORM_BUS_NUM_IRQS reserved SPIs */
    VIRT_IRQ_PCIE,         /* first of VIRT_PCIE_NUM_IRQS: INTA..INTD of the host bridge */
    VIRT_IRQ_GPIO,         /* the PL061 (power button) */
    VIRT_IRQ_PCIE_PORTS,   /* first of VIRT_PCIE_PORT_NUM_IRQS: root ports' slots' INTA-D */
    VIRT_IRQ_COUNT
} VirtIrqIndex;

/* SPI numbers (GIC INTID - 32). */
extern const unsigned virt_irqmap[VIRT_IRQ_COUNT];
#define VIRT_PLATFORM_BUS_NUM_IRQS 64
#define VIRT_PCIE_NUM_IRQS 4
/* Four per root port; 16 ports at most, as the ECAM's 16 buses allow 15 bridges. */
#define VIRT_PCIE_PORT_NUM_IRQS 64
/* The PMU's overflow interrupt: PPI 7, INTID 23 (QEMU's virt uses the same). */
#define VIRT_PMU_PPI 7
/* INTIDs the vGIC is given: SGIs, PPIs and 224 SPIs. */
#define VIRT_GIC_NR_IRQS 256
/* Guest-physical space the board covers (a 40-bit IPA space). */
#define VIRT_ADDRESS_SPACE_SIZE (1ULL << 40)
/* The fixed clock AMBA devices take as apb_pclk, in Hz (QEMU's virt uses the same). */
#define VIRT_APB_PCLK_HZ 24000000

/* Phandles the board itself uses; devices take theirs from machine_new_phandle(). */
enum {
    VIRT_PHANDLE_GIC = 1,
    VIRT_PHANDLE_ITS,
    VIRT_PHANDLE_APB_PCLK,
    VIRT_PHANDLE_GPIO,     /* the PL061, which gpio-keys points at */
    VIRT_PHANDLE_FIRST_FREE,
};

/* Every model -device and device_add can create on virt (hw/arm/virt-devices.c),
 * NULL-terminated: the list device_class_find, device_create and device_help_text take. */
extern const DeviceClass *const virt_device_classes[];

/* What the board's own device-tree nodes need to know. */
typedef struct VirtFdtParams {
    unsigned smp;
    const uint64_t *mpidr;  /* smp entries: each vCPU's MPIDR_EL1 */
    int gic_version;        /* 2 or 3 */
    bool has_its;
    bool pmu;               /* the vCPUs have a PMU: a node arm,armv8-pmuv3 on VIRT_PMU_PPI */
    uint64_t ram_size;      /* bytes */
    const VirtRamBank *ram_banks; /* nr_ram_banks banks of RAM; 0: one of ram_size at
                                   * virt_memmap[VIRT_MEM].base */
    unsigned nr_ram_banks;
    const char *bootargs;   /* NULL: none */
    uint64_t initrd_start;  /* guest-physical; 0 when there is no initrd */
    uint64_t initrd_end;
} VirtFdtParams;

/*
 * Builds the whole device tree: the board's nodes (cpus, memory, GIC (+ITS), timer, pmu when
 * p->pmu, PSCI, apb-pclk, pl011, chosen) and each device of ms->devices through its fdt_node.
 * Returns a packed blob of at most ARM64_DTB_MAX_SIZE bytes (g_free it) and its size.
 * Errors: a libfdt call failed (named), a device's node failed (prefixed with its id).
 */
void *virt_fdt_build(MachineState *ms, const VirtFdtParams *p, size_t *size, GError **errp);

typedef struct QmpServer QmpServer;
/*
 * The virt board across the runs of one armpass (guest reboots): the configuration, the QMP
 * server whose clients the runs serve (their commands registered while a run lasts, their
 * events sent; NULL: none; it outlives the board), -S's hold, and SIGTERM/SIGINT, watched
 * from the first run until virt_board_free. Main thread.
 */
typedef struct VirtBoard VirtBoard;
VirtBoard *virt_board_new(const ArmpassConfig *cfg, QmpServer *qmp);
void virt_board_free(VirtBoard *b);

/*
 * Runs the virt machine described by board's configuration to the end, its guest RAM in ram
 * (a backend of cfg->ram_size bytes, aligned in host-virtual address to ram->align, which
 * divides the RAM's guest-physical base; it outlives the run): loads the kernel, creates the
 * VM, devices and device tree, runs the vCPUs until the guest powers off or resets.
 * Returns the exit status (0 powered off, ARMPASS_EXIT_GUEST_RESET); on an error returns -1
 * with *errp set and nothing left running.
 */
int virt_machine_run(VirtBoard *board, HostMemBackend *ram, GError **errp);
/* The power button: the PL061 line gpio-keys watches (as on QEMU's virt). */
#define VIRT_GPIO_POWER_LINE 3

/* Whether SIGTERM or SIGINT arrived: no reboot after it (system/main.c). */
bool virt_terminate_requested(VirtBoard *b);
/* Whether a guest reset ends armpass (exit status 3) instead of rebooting the guest:
 * -no-reboot, -sandbox on (files cannot be opened again), descriptors passed in (closed with
 * the first VM; a bound cdev cannot be bound again), or a termination signal seen. The one
 * rule for system/main.c's loop and QMP's SHUTDOWN after RESET. */
bool virt_reset_ends(VirtBoard *b);

#endif
