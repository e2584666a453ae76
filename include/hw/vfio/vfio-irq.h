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

/* The userspace fallback, level lines: how long a line must stay quiet (no interrupt) before
 * the device's mmaps come back (x-mmap-timeout-ms), milliseconds. QEMU's value
 * (vfio-platform's mmap-timeout-ms, vfio-pci's x-intx-mmap-timeout-ms). */
#define VFIO_IRQ_DEFAULT_MMAP_TIMEOUT_MS 1100

/* The userspace fallback, level lines: how long the line may stay high with no trapped access
 * to the device before armpass completes the interrupt itself (lowers the line, unmasks the
 * host IRQ), milliseconds. A backstop for a guest handler that finds nothing to do and so never
 * touches the device: without it the guest re-enters its handler until its next access. A
 * device still asserting interrupts again at once, so nothing is lost. */
#define VFIO_IRQ_BACKSTOP_MS 2

/* The backstop's longest wait, milliseconds. An interrupt the backstop completed that fires
 * again within this many milliseconds of the unmask was not serviced: the guest's vCPU had not
 * run yet (a busy host), not a handler with nothing to do. The next wait is then doubled, up
 * to this, so that a slow vCPU does not turn the line into a storm of raise/complete cycles;
 * an interrupt a trapped access completes, or one that fires later, starts again at
 * VFIO_IRQ_BACKSTOP_MS. */
#define VFIO_IRQ_BACKSTOP_MAX_MS 64

/*
 * How the userspace path reaches the guest; the line does not assume an SPI. Called on the
 * main thread (the trigger watch, the quiet-period timer, unwire) or on a vCPU thread (a
 * trapped access, vfio_irq_line_trapped_access), always with ms->as->dispatch_lock held when
 * ms->as is set; opaque is line->opaque.
 * set_level: level lines: true when the device interrupts, false when the guest's access
 * completes it; edge lines: true then false for each interrupt (an MSI injector acts on true
 * and ignores false). Also called with false by vfio_irq_line_unwire when the line was left
 * high. vfio-platform and vfio-amba raise the SPI line->gsi.
 * mmaps_enable (level lines; may be NULL: the device has no mmaps): false takes every mmap of
 * the device out of the guest's memory map and commits it, so that each guest access to the
 * device traps (and so completes the interrupt); true puts them back and commits. A line's
 * calls alternate, false first; a device with several level lines gets one pair per line and
 * must count them (its mmaps come back when the last line has called true). The device's
 * regions must call vfio_irq_line_trapped_access on every trapped access.
 * asserted (level lines; may be NULL: unknown, taken as true): whether the device still
 * asserts its interrupt, asked when VFIO signals one and before the line is raised. A signal
 * can be stale: the guest may have serviced the device (in a handler already running) between
 * the device's assertion and the signal's arrival; raising the line then would make the guest
 * enter its handler for nothing, again and again until its next access to the device. false:
 * the line is not raised and the host IRQ is unmasked at once. vfio-pci reads the Interrupt
 * Status bit of the device's Status register (PCI Local Bus 3.0, 6.2.3).
 */
typedef struct VfioIrqLineOps {
    void (*set_level)(void *opaque, bool level);
    void (*mmaps_enable)(void *opaque, bool on);
    bool (*asserted)(void *opaque);
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
    unsigned mmap_timeout_ms; /* userspace path, level: the quiet period after an interrupt
                           * before the mmaps come back, ms (0: the default, 1100) */
    char name[32];        /* for messages: "IRQ 0", "MSI-X vector 3" */
    const VfioIrqLineOps *ops; /* userspace path; may be NULL when only the kernel path is used */
    void *opaque;         /* ops' argument */
    const char *trigger_hint; /* appended (": HINT") to the error when VFIO_DEVICE_SET_IRQS
                           * TRIGGER fails with EINVAL; NULL: none. vfio-platform/-amba set it
                           * for a GPIO or interrupt controller (vfio_irq_controller_hint) */

    /* State. On the userspace path, under ms->as->dispatch_lock (when ms->as is set). */
    MachineState *ms;     /* set by vfio_irq_line_wire; NULL: not wired */
    bool kernel_path;     /* irqfd (+ resamplefd): armpass is not involved per interrupt */
    int trigger_fd;       /* eventfd VFIO signals; -1: none */
    int resample_fd;      /* eventfd KVM signals on the guest's EOI (level, kernel path); -1 */
    guint trigger_watch;  /* userspace path: main-loop source on trigger_fd */
    guint mmap_timer;     /* userspace path, level: the quiet period, running */
    guint backstop_timer; /* userspace path, level: the backstop (VFIO_IRQ_BACKSTOP_MS), running */
    gint64 raised_at;     /* userspace path, level: when the line last went up, monotonic us */
    unsigned backstop_ms; /* userspace path, level: the backstop's current wait, ms (0: the
                           * default, VFIO_IRQ_BACKSTOP_MS; doubles up to
                           * VFIO_IRQ_BACKSTOP_MAX_MS while backstop completions re-fire) */
    gint64 backstop_done_at; /* userspace path, level: when the backstop last completed an
                              * interrupt, monotonic us; 0: not since the last other completion */
    bool line_high;       /* userspace path: what armpass last set the line to */
    bool trapping;        /* userspace path, level: an interrupt came less than the quiet
                           * period ago: mmaps_enable(false) was called, trapped accesses
                           * complete it */
    uint64_t wakeups;     /* userspace path: times the main loop handled this line (trigger
                           * reads and quiet-period timers) */
    uint64_t completions; /* userspace path, level: interrupts a trapped access completed */
    uint64_t backstops;   /* userspace path, level: interrupts the backstop completed */
    uint64_t stale;       /* userspace path, level: signals dropped, the device no longer
                           * asserting (ops->asserted) */
} VfioIrqLine;

/*
 * Wires line to the guest. Without ms->irq_ops (device tree only) nothing is made and the
 * result is true. Otherwise: a trigger eventfd (ms->ops->eventfd, EFD_NONBLOCK); on the
 * kernel path (want_irqfd, and for a level line KVM_CAP_IRQFD_RESAMPLE, else a warning and the
 * userspace path) a resample eventfd for level lines, KVM_IRQFD on line->gsi through
 * ms->irq_ops->irqfd_assign, VFIO_DEVICE_SET_IRQS DATA_EVENTFD|ACTION_TRIGGER for (index,
 * start, count 1) and, level, ACTION_UNMASK with the resamplefd; on the userspace path the
 * same TRIGGER and a watch in ms->main_context that calls line->ops->set_level. A level
 * interrupt on the userspace path (what QEMU's vfio does; KVM on arm tells userspace nothing of
 * the guest's EOI): ops->mmaps_enable(false), the line raised, and a quiet-period timer
 * (mmap_timeout_ms, restarted by each interrupt) in ms->main_context; the guest's next access
 * to the device traps and completes it (vfio_irq_line_trapped_access); when the timer fires
 * with the line low, ops->mmaps_enable(true). Two guards against a guest entering its handler
 * for nothing: a signal for a device no longer asserting (ops->asserted false) is dropped with
 * an unmask; a line left high VFIO_IRQ_BACKSTOP_MS with no trapped access is completed by
 * armpass (the backstop).
 * Errors (eventfd, KVM_IRQFD, SET_IRQS; messages name the device, the ioctl and errno) undo
 * what was done: no fd stays open and the line is left unwired.
 */
bool vfio_irq_line_wire(VfioIrqLine *line, MachineState *ms, GError **errp);

/*
 * The device's guest made a trapped access to one of its regions (a vCPU thread, under
 * ms->as->dispatch_lock, which the access already holds; call it after the access was
 * relayed). On a wired level line on the userspace path, within the quiet period after an
 * interrupt: if the line is high, or an interrupt was signalled and not yet read (it is read
 * here: a device that asserted again before the guest's access, e.g. after an earlier unmask),
 * the access completes it: the line is lowered and the host IRQ unmasked (VFIO_DEVICE_SET_IRQS
 * DATA_NONE|ACTION_UNMASK; a device still asserting interrupts again at once). Otherwise, and on
 * any other line, a no-op. Errors of the unmask are logged (g_warning). Same semantics as
 * QEMU's vfio_intx_eoi / vfio_platform_eoi (hw/vfio/pci.c, hw/vfio/platform.c).
 */
void vfio_irq_line_trapped_access(VfioIrqLine *line);

/*
 * The reverse of vfio_irq_line_wire: removes the watch, the backstop and the quiet-period timer
 * (giving the mmaps back with ops->mmaps_enable(true) if they were taken), disables the IRQ
 * (whole_index:
 * SET_IRQS DATA_NONE|ACTION_TRIGGER count 0; else the sub-index's trigger eventfd set to -1),
 * deassigns the irqfd, closes both eventfds and lowers the line if armpass left it high.
 * Errors are logged (g_debug), not returned. A no-op on a line not wired.
 */
void vfio_irq_line_unwire(VfioIrqLine *line);

/*
 * -d stats: appends "  vfio DEVICE WHAT (level|edge): irqfd|userspace, userspace wakeups N\n"
 * to out, and for a level line on the userspace path ", completed by trapped access M, by
 * backstop B, stale S" before the newline; what names the line and its target, e.g.
 * "irq 0 -> SPI 33".
 */
void vfio_irq_line_print_stats(const VfioIrqLine *line, const char *what, GString *out);

#endif
