/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One VFIO interrupt wired to the guest, shared by every VFIO model: its eventfds, the kernel
 * path (irqfd to a KVM GSI, with a resamplefd for level interrupts) and the userspace fallback.
 * Sources: Documentation/driver-api/vfio.rst (VFIO_DEVICE_SET_IRQS, include/uapi/linux/vfio.h),
 * Documentation/virt/kvm/api.rst (KVM_IRQFD, KVM_IRQFD_FLAG_RESAMPLE).
 */
#ifndef ARMPASS_HW_VFIO_VFIO_IRQ_H
#define ARMPASS_HW_VFIO_VFIO_IRQ_H

#include "hw/core/device.h"
#include "hw/vfio/vfio-common.h"

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* The userspace fallback's resample period for level interrupts (x-resample-ms), milliseconds. */
#define VFIO_IRQ_DEFAULT_RESAMPLE_MS 10

/*
 * How the userspace path reaches the guest; the line does not assume an SPI.
 * set_level: level lines: true when the device interrupts, false at the timed resample;
 * edge lines: true then false for each interrupt (an MSI injector acts on true and ignores
 * false). Also called with false by vfio_irq_line_unwire when the line was left high.
 * vfio-platform and vfio-amba pass machine_set_spi on line->gsi; opaque is line->opaque.
 */
typedef struct VfioIrqLineOps {
    void (*set_level)(void *opaque, bool level);
} VfioIrqLineOps;

/*
 * One VFIO IRQ (index, sub-index start) and how it reaches the guest. The model fills the
 * first group of fields, then calls vfio_irq_line_wire; the rest is the line's state.
 */
typedef struct VfioIrqLine {
    /* Set by the model. */
    VfioDevice *vdev;
    unsigned index;       /* VFIO IRQ index: a platform IRQ, VFIO_PCI_INTX_IRQ_INDEX, ... */
    unsigned start;       /* sub-index, the SET_IRQS start: MSI-X vector N is N; 0 otherwise */
    unsigned gsi;         /* KVM GSI of the irqfd: SPI n is GSI n; an MSI vector's GSI holds
                           * its MSI route */
    bool level;           /* level (VFIO_IRQ_INFO_AUTOMASKED: INTx, a level platform IRQ): the
                           * host masks it until unmasked; false: edge (MSI, MSI-X) */
    bool whole_index;     /* unwire disables the whole index (SET_IRQS count 0); false: only
                           * this sub-index's trigger eventfd is torn down (one MSI-X vector) */
    bool want_irqfd;      /* try the kernel path (x-irqfd=on); false: userspace path */
    unsigned resample_ms; /* userspace path, level: timed resample period, ms (0: the default) */
    char name[32];        /* for messages: "IRQ 0", "MSI-X vector 3" */
    const VfioIrqLineOps *ops; /* userspace path; may be NULL when only the kernel path is used */
    void *opaque;         /* ops' argument */

    /* State. */
    MachineState *ms;     /* set by vfio_irq_line_wire; NULL: not wired */
    bool kernel_path;     /* irqfd (+ resamplefd): armpass is not involved per interrupt */
    int trigger_fd;       /* eventfd VFIO signals; -1: none */
    int resample_fd;      /* eventfd KVM signals on the guest's EOI (level, kernel path); -1 */
    guint trigger_watch;  /* userspace path: main-loop source on trigger_fd */
    guint resample_timer; /* userspace path, level: the timed resample */
    bool line_high;       /* userspace path: what armpass last set the line to */
    uint64_t wakeups;     /* userspace path: times armpass handled this interrupt */
} VfioIrqLine;

/*
 * Wires line to the guest. Without ms->irq_ops (device tree only) nothing is made and the
 * result is true. Otherwise: a trigger eventfd (ms->ops->eventfd, EFD_NONBLOCK); on the
 * kernel path (want_irqfd, and for a level line KVM_CAP_IRQFD_RESAMPLE, else a warning and the
 * userspace path) a resample eventfd for level lines, KVM_IRQFD on line->gsi through
 * ms->irq_ops->irqfd_assign, VFIO_DEVICE_SET_IRQS DATA_EVENTFD|ACTION_TRIGGER for (index,
 * start, count 1) and, level, ACTION_UNMASK with the resamplefd; on the userspace path the
 * same TRIGGER and a watch in ms->main_context that calls line->ops->set_level, a level line
 * being lowered and unmasked (DATA_NONE|ACTION_UNMASK) resample_ms after each interrupt.
 * Errors (eventfd, KVM_IRQFD, SET_IRQS; messages name the device, the ioctl and errno) undo
 * what was done: no fd stays open and the line is left unwired.
 */
bool vfio_irq_line_wire(VfioIrqLine *line, MachineState *ms, GError **errp);

/*
 * The reverse of vfio_irq_line_wire: removes the watch and the resample timer, disables the
 * IRQ (whole_index: SET_IRQS DATA_NONE|ACTION_TRIGGER count 0; else the sub-index's trigger
 * eventfd set to -1), deassigns the irqfd, closes both eventfds and lowers the line if armpass
 * left it high. Errors are logged (g_debug), not returned. A no-op on a line not wired.
 */
void vfio_irq_line_unwire(VfioIrqLine *line);

/*
 * -d stats: appends "  vfio DEVICE WHAT (level|edge): irqfd|userspace, userspace wakeups N\n"
 * to out; what names the line and its target, e.g. "irq 0 -> SPI 33".
 */
void vfio_irq_line_print_stats(const VfioIrqLine *line, const char *what, GString *out);

#endif
