/* SPDX-License-Identifier: GPL-2.0-only */
/* What the virt board's files share (hw/arm/virt*.c); not for use outside hw/arm/. */
#ifndef ARMPASS_HW_ARM_VIRT_INTERNAL_H
#define ARMPASS_HW_ARM_VIRT_INTERNAL_H

#include "accel/kvm.h"
#include "hw/arm/boot.h"
#include "hw/arm/virt.h"
#include "hw/char/pl011.h"
#include "hw/vfio/vfio-common.h"
#include "hw/core/device.h"
#include "hw/gpio/pl061.h"
#include "hw/pci-host/gpex.h"
#include "system/qmp.h"

#include <glib.h>
#include <termios.h>

#define VIRT_ERROR virt_error_quark()
GQuark virt_error_quark(void);

/* One run of the machine (virt.c), from set-up to teardown. */
typedef struct VirtMachine {
    MachineState ms;
    const ArmpassConfig *cfg;
    HostMemBackend *backend; /* guest RAM's host memory (system/main.c owns it) */
    MemoryRegion sysmem;
    GArray *banks;          /* VirtRamBank: guest RAM's banks (one, unless direct-mapped) */
    unsigned boot_bank;     /* the bank kernel, initrd and device tree go in */
    MemoryRegion *ram;      /* one per bank */
    bool ram_ready;
    AddressSpace as;
    bool as_ready;
    Pl011 *uart;
    Pl061 *gpio;        /* line VIRT_GPIO_POWER_LINE: the power button */
    guint power_release; /* the timeout that releases the power button */
    GpexHost *pcie;     /* the PCIe host bridge, made when a -device is a PCI device */
    int uart_fd;        /* where the console goes; closed at the end if we opened it */
    bool uart_fd_owned;
    GMainLoop *loop;
    int event;          /* KVM_SYSTEM_EVENT_* that ended the run; 0: error; -1: none yet */
    guint stdin_source;
    guint stdin_retry;
    bool tty_raw;
    struct termios saved_tio;
    bool escape;
    int gic_version;
    uint64_t *mpidr;
    Arm64Kernel kernel;     /* open from virt_load_images until it is in RAM (fd -1: none);
                             * its format and extent stay for the last plan */
    int initrd_fd;          /* likewise the initrd's (-1: none) */
    uint64_t initrd_size;
    Arm64BootLayout layout;
    void *fdt;
    size_t fdt_size;
    int proc_status_fd; /* -sandbox on -d stats: /proc/self files opened before the filter */
    int proc_smaps_fd;
    bool paused;        /* QMP stop: the vCPUs are held (kvm_pause_vcpus, kvm_hold_vcpus) */
    bool prelaunch;     /* held by -S since start, never continued (query-status) */
    const char *host_reason; /* why the host ended the run ("host-qmp-quit", ...); NULL: the
                              * guest did */
    VirtBoard *board;       /* what outlives the run */
} VirtMachine;

/* ---- virt.c, for the board's other files -------------------------------------------------- */

/* Ends the run with event (KVM_SYSTEM_EVENT_*; 0: an error): the main loop quits. */
void virt_quit(VirtMachine *vm, int event);

/* ---- virt-console.c: the console UART, stdin, and the PL061's power button --------------- */

/* Ctrl-A x on a terminal ends armpass, as in QEMU. */
#define VIRT_ESCAPE_CHAR 0x01

/* The PL011 at virt_memmap[VIRT_UART] on its SPI, writing to -serial's destination. */
bool virt_uart_create(VirtMachine *vm, GError **errp);
/* The PL061 at virt_memmap[VIRT_GPIO], whose line VIRT_GPIO_POWER_LINE is the power button. */
bool virt_gpio_create(VirtMachine *vm, GError **errp);
/* Feeds stdin to the UART from the main loop (a terminal in raw mode, Ctrl-A x quits);
 * virt_stdin_stop undoes it (the terminal restored). */
void virt_stdin_start(VirtMachine *vm);
void virt_stdin_stop(VirtMachine *vm);

/* ---- virt-boot.c: the boot images, guest RAM's banks and the boot plan ------------------- */

/* -kernel (and -initrd, -dtb) opened and read, the kernel's format known, the first plan. */
bool virt_load_images(VirtMachine *vm, GError **errp);
/* The kernel read into guest RAM at the plan's place. */
bool virt_load_kernel(VirtMachine *vm, GError **errp);
/* Guest RAM's banks (vm->banks) and the boot bank. */
bool virt_ram_banks(VirtMachine *vm, GError **errp);
/* Where kernel, initrd and device tree go (vm->layout), again once the tree's size is known. */
bool virt_boot_plan(VirtMachine *vm, GError **errp);
/* The initrd and the device tree into guest RAM, the boot vCPU's registers set. */
bool virt_load_into_ram(VirtMachine *vm, GError **errp);
/* -M dumpdtb=FILE: the device tree written to FILE. */
bool virt_write_dumpdtb(VirtMachine *vm, GError **errp);

/* ---- virt-stats.c ------------------------------------------------------------------------ */

/* -d stats at exit: virt_stats_text on stderr. */
void virt_print_stats(VirtMachine *vm);

/* ---- virt.c, for QMP; main thread only -------------------------------------------------- */

MachineState *virt_machine_state(VirtMachine *vm);
/* What outlives the run (include/hw/arm/virt.h). */
VirtBoard *virt_machine_board(VirtMachine *vm);
/* Whether QMP stop holds the vCPUs (set by stop and cont). */
bool virt_paused(VirtMachine *vm);
/* QMP's RunState: "prelaunch" (held by -S, never continued), "paused" (stop, or a reset while
 * stopped), "running". */
const char *virt_run_state(VirtMachine *vm);
void virt_set_paused(VirtMachine *vm, bool paused);
/* Ends the run as if the guest had asked for event (KVM_SYSTEM_EVENT_SHUTDOWN or _RESET);
 * host_reason ("host-qmp-quit", ...) is what SHUTDOWN / RESET will say. */
void virt_end_run(VirtMachine *vm, int event, const char *host_reason);
/* Presses the power button: the PL061's line 3 high for 100 ms (gpio-keys: KEY_POWER). */
void virt_power_button_press(VirtMachine *vm);
/* What -d stats prints at exit and x-armpass-query-stats returns live: the "armpass stats:"
 * line, then one indented line per counter; the KVM counters in *counters (may be NULL).
 * The caller holds the address space's dispatch lock while vCPUs run. */
GString *virt_stats_text(VirtMachine *vm, KvmCounters *counters);

/* What the machine holds right now, for the soak cases (docs/hardening.md): KVM memslots, GSI
 * routes, irqfds, ioeventfds (kvm_get_resources), VFIO devices, groups, containers, iommufds
 * and live DMA mappings (vfio_context_resources), and armpass's resident set (VmRSS of
 * /proc/self/status) and guest RAM's part of it (smaps), in KiB, -1 where unreadable, and the
 * heap in use (bytes). The
 * stats' "resources:" line and x-armpass-query-stats' "resources" object. Same locking as
 * virt_stats_text. */
typedef struct VirtResources {
    KvmResources kvm;
    VfioResources vfio;
    int64_t rss_kib, guest_rss_kib;
    uint64_t heap_bytes; /* glibc's heap in use (mallinfo2: uordblks + hblkhd): a leak grows it,
                          * fragmentation, which grows RSS too, does not */
} VirtResources;
void virt_resources(VirtMachine *vm, VirtResources *out);

/* ---- virt-qmp.c ------------------------------------------------------------------------- */

/* Registers the machine's QMP commands for this run (the server outlives it). */
void virt_qmp_attach(QmpServer *qmp, VirtMachine *vm);
/* The run has ended with event (KVM_SYSTEM_EVENT_*; 0: a vCPU error), the vCPUs stopped:
 * withdraws the commands and sends SHUTDOWN / RESET. host_reason: NULL if the guest ended it;
 * ends: armpass exits after this run (no reboot follows a reset). */
void virt_qmp_detach(QmpServer *qmp, VirtMachine *vm, int event, const char *host_reason,
                     bool ends);

#endif
