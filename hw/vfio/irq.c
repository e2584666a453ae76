// SPDX-License-Identifier: GPL-2.0-only
/* One VFIO interrupt wired to the guest (irqfd + resamplefd, or the userspace fallback). */
#define G_LOG_DOMAIN "armpass-vfio"
#include "hw/vfio/vfio-irq.h"

#include <errno.h>
#include <glib-unix.h>
#include <inttypes.h>
#include <sys/eventfd.h>
#include <unistd.h>

static void vfio_irq_line_set(VfioIrqLine *line, bool level)
{
    if (level && !line->line_high) {
        line->raised_at = g_get_monotonic_time();
    }
    line->line_high = level;
    if (line->ops && line->ops->set_level) {
        line->ops->set_level(line->opaque, level);
    }
}

/* The userspace path's state is guarded by the machine's dispatch_lock: trapped accesses
 * (vCPU threads) already hold it, the main loop's callbacks take it. It also serialises the
 * memory map changes of mmaps_enable with the vCPUs' own (lock order: dispatch_lock, then
 * memory.c's commit_lock). Unit tests without an AddressSpace run on one thread. */
static void vfio_irq_line_lock(VfioIrqLine *line)
{
    if (line->ms->as) {
        g_mutex_lock(&line->ms->as->dispatch_lock);
    }
}

static void vfio_irq_line_unlock(VfioIrqLine *line)
{
    if (line->ms->as) {
        g_mutex_unlock(&line->ms->as->dispatch_lock);
    }
}

static void vfio_irq_line_mmaps(VfioIrqLine *line, bool on)
{
    if (line->ops && line->ops->mmaps_enable) {
        line->ops->mmaps_enable(line->opaque, on);
    }
}

/* Reads the trigger eventfd: true if VFIO signalled it since the last read. */
static bool vfio_irq_line_consume(VfioIrqLine *line)
{
    uint64_t count;

    return read(line->trigger_fd, &count, sizeof(count)) == sizeof(count);
}

/* The quiet period ended with no interrupt: the mmaps come back, unless the guest has not
 * touched the device since the last interrupt (its line is still high: keep trapping). */
static gboolean vfio_irq_line_quiet(gpointer opaque)
{
    VfioIrqLine *line = opaque;
    gboolean again;

    vfio_irq_line_lock(line);
    line->wakeups++;
    again = line->line_high;
    if (!again) {
        line->mmap_timer = 0;
        line->trapping = false;
        vfio_irq_line_mmaps(line, true);
    }
    vfio_irq_line_unlock(line);
    return again ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

/* Removes the main-loop source *id of ms's context, if any. */
static void vfio_irq_line_drop_source(MachineState *ms, guint *id)
{
    if (*id) {
        GSource *src = g_main_context_find_source_by_id(ms->main_context, *id);
        if (src) {
            g_source_destroy(src);
        }
        *id = 0;
    }
}

/* A timer of ms milliseconds in ms's main context calling fn(line); returns its id. */
static guint vfio_irq_line_timer(VfioIrqLine *line, unsigned ms, GSourceFunc fn)
{
    GSource *src = g_timeout_source_new(ms);
    guint id;

    g_source_set_callback(src, fn, line, NULL);
    id = g_source_attach(src, line->ms->main_context);
    g_source_unref(src);
    return id;
}

/* (Re)starts the quiet period: mmap_timeout_ms from now. Under the lock. */
static void vfio_irq_line_restart_timer(VfioIrqLine *line)
{
    vfio_irq_line_drop_source(line->ms, &line->mmap_timer);
    line->mmap_timer = vfio_irq_line_timer(line, line->mmap_timeout_ms
                                                     ? line->mmap_timeout_ms
                                                     : VFIO_IRQ_DEFAULT_MMAP_TIMEOUT_MS,
                                           vfio_irq_line_quiet);
}

/* Lowers the line and unmasks the host IRQ: the interrupt is complete. Under the lock. */
static void vfio_irq_line_complete(VfioIrqLine *line)
{
    g_autoptr(GError) err = NULL;

    if (line->line_high) {
        vfio_irq_line_set(line, false);
    }
    if (!vfio_device_irq_unmask(line->vdev, line->index, &err)) {
        g_warning("%s", err->message);
    }
}

/* The backstop's current wait in ms (VfioIrqLine.backstop_ms). */
static unsigned vfio_irq_line_backstop_ms(const VfioIrqLine *line)
{
    return line->backstop_ms ? line->backstop_ms : VFIO_IRQ_BACKSTOP_MS;
}

/* The backstop: the line went up and no trapped access has completed it since. If it has been
 * up VFIO_IRQ_BACKSTOP_MS, armpass completes it; if it went down and up again meanwhile, the
 * backstop waits for the rest of the newer interrupt's time. */
static gboolean vfio_irq_line_backstop(gpointer opaque)
{
    VfioIrqLine *line = opaque;
    gint64 left;

    vfio_irq_line_lock(line);
    line->backstop_timer = 0;
    if (line->line_high) {
        left = line->raised_at + (gint64)vfio_irq_line_backstop_ms(line) * 1000 -
               g_get_monotonic_time();
        if (left > 0) {
            line->backstop_timer = vfio_irq_line_timer(line, (unsigned)((left + 999) / 1000),
                                                       vfio_irq_line_backstop);
        } else {
            line->wakeups++;
            line->backstops++;
            line->backstop_done_at = g_get_monotonic_time();
            vfio_irq_line_complete(line);
        }
    }
    vfio_irq_line_unlock(line);
    return G_SOURCE_REMOVE;
}

/* A level interrupt on the userspace path: trap every access to the device, raise the line,
 * wait for the guest's access (vfio_irq_line_trapped_access). Under the lock. */
static void vfio_irq_line_level_fired(VfioIrqLine *line)
{
    g_autoptr(GError) err = NULL;

    if (line->ops && line->ops->asserted && !line->ops->asserted(line->opaque)) {
        /* stale: the guest serviced the device after it asserted */
        line->stale++;
        if (!vfio_device_irq_unmask(line->vdev, line->index, &err)) {
            g_warning("%s", err->message);
        }
        return;
    }
    if (line->backstop_done_at) {
        /* fired again soon after the backstop's completion: not serviced, the vCPU has not
         * run yet; wait longer this time (VFIO_IRQ_BACKSTOP_MAX_MS) */
        unsigned ms = vfio_irq_line_backstop_ms(line);

        if (g_get_monotonic_time() - line->backstop_done_at < VFIO_IRQ_BACKSTOP_MAX_MS * 1000) {
            line->backstop_ms = MIN(ms * 2, VFIO_IRQ_BACKSTOP_MAX_MS);
        } else {
            line->backstop_ms = 0;
        }
        line->backstop_done_at = 0;
    }
    if (!line->trapping) {
        line->trapping = true;
        vfio_irq_line_mmaps(line, false);
    }
    vfio_irq_line_set(line, true);
    vfio_irq_line_restart_timer(line);
    if (!line->backstop_timer) {
        line->backstop_timer = vfio_irq_line_timer(line, vfio_irq_line_backstop_ms(line),
                                                   vfio_irq_line_backstop);
    }
}

static gboolean vfio_irq_line_triggered(gint fd, GIOCondition cond, gpointer opaque)
{
    VfioIrqLine *line = opaque;

    (void)fd, (void)cond;
    if (!line->level) {
        if (vfio_irq_line_consume(line)) {
            line->wakeups++;
            vfio_irq_line_set(line, true);
            vfio_irq_line_set(line, false);
        }
        return G_SOURCE_CONTINUE;
    }
    vfio_irq_line_lock(line);
    /* EAGAIN: already consumed, by a trapped access that completed it */
    if (vfio_irq_line_consume(line)) {
        line->wakeups++;
        vfio_irq_line_level_fired(line);
    }
    vfio_irq_line_unlock(line);
    return G_SOURCE_CONTINUE;
}

void vfio_irq_line_trapped_access(VfioIrqLine *line)
{
    if (!line->ms || line->kernel_path || !line->level || !line->trapping) {
        return;
    }
    /* An interrupt signalled but not yet read came before this access: it completes it too
     * (reading it here spares the guest a spurious entry, the main loop raising the line
     * after the guest has already cleared the device). */
    if (!vfio_irq_line_consume(line) && !line->line_high) {
        return;
    }
    line->completions++;
    line->backstop_ms = 0;
    line->backstop_done_at = 0;
    vfio_irq_line_complete(line);
}

static int vfio_irq_new_eventfd(VfioIrqLine *line, GError **errp)
{
    const HostOps *ops = line->ms->ops;
    int fd = ops->eventfd(ops->opaque, 0, EFD_NONBLOCK);
    if (fd < 0) {
        g_set_error(errp, VFIO_ERROR, errno, "vfio %s: eventfd: %s", line->vdev->name,
                    g_strerror(errno));
    }
    return fd;
}

/* The work of vfio_irq_line_wire; on failure the caller unwires what was done. */
static bool vfio_irq_line_connect(VfioIrqLine *line, GError **errp)
{
    MachineState *ms = line->ms;
    const MachineIrqOps *iops = ms->irq_ops;
    g_autoptr(GError) err = NULL;

    line->trigger_fd = vfio_irq_new_eventfd(line, errp);
    if (line->trigger_fd < 0) {
        return false;
    }
    line->kernel_path = line->want_irqfd && (!line->level || iops->has_resample(ms->irq_opaque));
    if (line->want_irqfd && !line->kernel_path) {
        g_warning("vfio %s: KVM has no irqfd resample: %s goes through armpass", line->vdev->name,
                  line->name);
    }
    if (line->kernel_path) {
        if (line->level) {
            line->resample_fd = vfio_irq_new_eventfd(line, errp);
            if (line->resample_fd < 0) {
                return false;
            }
        }
        if (!iops->irqfd_assign(ms->irq_opaque, line->trigger_fd, line->resample_fd, line->gsi,
                                errp)) {
            line->kernel_path = false; /* nothing assigned: nothing to undo */
            return false;
        }
    }
    if (!vfio_device_set_irq_eventfd(line->vdev, line->index, line->start,
                                     VFIO_IRQ_SET_ACTION_TRIGGER, line->trigger_fd, &err)) {
        /* EINVAL here, for a GPIO or interrupt controller, is the host's IRQ_NOREQUEST left
         * by a driver that bound it since boot: the owner's hint says what to do. */
        if (line->trigger_hint && g_error_matches(err, VFIO_ERROR, EINVAL)) {
            g_set_error(errp, err->domain, err->code, "%s: %s", err->message,
                        line->trigger_hint);
        } else {
            g_propagate_error(errp, g_steal_pointer(&err));
        }
        return false;
    }
    if (line->kernel_path && line->level &&
        !vfio_device_set_irq_eventfd(line->vdev, line->index, line->start,
                                     VFIO_IRQ_SET_ACTION_UNMASK, line->resample_fd, errp)) {
        return false;
    }
    if (!line->kernel_path) {
        GSource *src = g_unix_fd_source_new(line->trigger_fd, G_IO_IN);
        g_source_set_callback(src, (GSourceFunc)(void (*)(void))vfio_irq_line_triggered, line,
                              NULL);
        line->trigger_watch = g_source_attach(src, ms->main_context);
        g_source_unref(src);
    }
    return true;
}

bool vfio_irq_line_wire(VfioIrqLine *line, MachineState *ms, GError **errp)
{
    line->trigger_fd = line->resample_fd = -1;
    line->kernel_path = false;
    if (!ms->irq_ops) {
        return true; /* no interrupt controller (device tree only) */
    }
    line->ms = ms;
    if (!vfio_irq_line_connect(line, errp)) {
        vfio_irq_line_unwire(line);
        return false;
    }
    g_debug("vfio %s: %s (%s) -> GSI %u, %s", line->vdev->name, line->name,
            line->level ? "level" : "edge", line->gsi,
            line->kernel_path ? (line->level ? "irqfd + resamplefd" : "irqfd") : "userspace");
    return true;
}

/* Stops the IRQ at the device: the whole index, or this sub-index's trigger alone. */
static bool vfio_irq_line_disable(VfioIrqLine *line, GError **errp)
{
    if (line->whole_index) {
        return vfio_device_irq_disable(line->vdev, line->index, errp);
    }
    return vfio_device_set_irq_eventfd(line->vdev, line->index, line->start,
                                       VFIO_IRQ_SET_ACTION_TRIGGER, -1, errp);
}

void vfio_irq_line_unwire(VfioIrqLine *line)
{
    MachineState *ms = line->ms;
    g_autoptr(GError) err = NULL;

    if (!ms) {
        return;
    }
    vfio_irq_line_drop_source(ms, &line->trigger_watch);
    vfio_irq_line_drop_source(ms, &line->mmap_timer);
    vfio_irq_line_drop_source(ms, &line->backstop_timer);
    if (line->trapping) {
        vfio_irq_line_lock(line);
        line->trapping = false;
        vfio_irq_line_mmaps(line, true);
        vfio_irq_line_unlock(line);
    }
    if (line->trigger_fd >= 0) {
        if (!vfio_irq_line_disable(line, &err)) {
            g_debug("%s", err->message);
            g_clear_error(&err);
        }
        if (line->kernel_path &&
            !ms->irq_ops->irqfd_deassign(ms->irq_opaque, line->trigger_fd, line->gsi, &err)) {
            g_debug("vfio %s: %s", line->vdev->name, err->message);
        }
        ms->ops->close(ms->ops->opaque, line->trigger_fd);
        line->trigger_fd = -1;
    }
    if (line->resample_fd >= 0) {
        ms->ops->close(ms->ops->opaque, line->resample_fd);
        line->resample_fd = -1;
    }
    line->kernel_path = false;
    if (line->line_high) {
        vfio_irq_line_set(line, false);
    }
    line->ms = NULL;
}

void vfio_irq_line_print_stats(const VfioIrqLine *line, const char *what, GString *out)
{
    g_string_append_printf(out, "  vfio %s %s (%s): %s, userspace wakeups %" PRIu64,
                           line->vdev->name, what, line->level ? "level" : "edge",
                           line->kernel_path ? "irqfd" : "userspace", line->wakeups);
    if (line->level && !line->kernel_path) {
        g_string_append_printf(out, ", completed by trapped access %" PRIu64
                               ", by backstop %" PRIu64 ", stale %" PRIu64,
                               line->completions, line->backstops, line->stale);
    }
    g_string_append_c(out, '\n');
}
