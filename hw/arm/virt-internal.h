/* SPDX-License-Identifier: GPL-2.0-only */
/* What the virt board's files share (hw/arm/virt.c, virt-qmp.c); not for use outside hw/arm/. */
#ifndef ARMPASS_HW_ARM_VIRT_INTERNAL_H
#define ARMPASS_HW_ARM_VIRT_INTERNAL_H

#include "accel/kvm.h"
#include "hw/vfio/vfio-common.h"
#include "hw/core/device.h"
#include "system/qmp.h"

#include <glib.h>

/* One run of the machine (virt.c), from set-up to teardown. */
typedef struct VirtMachine VirtMachine;

/* ---- virt.c, for QMP; main thread only -------------------------------------------------- */

MachineState *virt_machine_state(VirtMachine *vm);
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
