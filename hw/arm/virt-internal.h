/* SPDX-License-Identifier: GPL-2.0-only */
/* What the virt board's files share (hw/arm/virt.c, virt-qmp.c); not for use outside hw/arm/. */
#ifndef ARMPASS_HW_ARM_VIRT_INTERNAL_H
#define ARMPASS_HW_ARM_VIRT_INTERNAL_H

#include "accel/kvm.h"
#include "hw/arm/virt.h"
#include "hw/core/device.h"
#include "system/qmp.h"

#include <glib.h>

/* One run of the machine (virt.c), from set-up to teardown. */
typedef struct VirtMachine VirtMachine;

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

/* ---- virt-qmp.c ------------------------------------------------------------------------- */

/* Registers the machine's QMP commands for this run (the server outlives it). */
void virt_qmp_attach(QmpServer *qmp, VirtMachine *vm);
/* The run has ended with event (KVM_SYSTEM_EVENT_*; 0: a vCPU error), the vCPUs stopped:
 * withdraws the commands and sends SHUTDOWN / RESET. host_reason: NULL if the guest ended it;
 * ends: armpass exits after this run (no reboot follows a reset). */
void virt_qmp_detach(QmpServer *qmp, VirtMachine *vm, int event, const char *host_reason,
                     bool ends);

#endif
