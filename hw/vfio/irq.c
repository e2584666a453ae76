// SPDX-License-Identifier: GPL-2.0-only
/* One VFIO interrupt wired to the guest (irqfd + resamplefd, or the userspace fallback). */
#define G_LOG_DOMAIN "armpass-vfio"
#include "hw/vfio/vfio-irq.h"

#include <errno.h>
#include <glib-unix.h>
#include <inttypes.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define VFIO_IRQ_ERROR vfio_irq_error_quark()
static G_DEFINE_QUARK(armpass-vfio-irq-error, vfio_irq_error)

static void vfio_irq_line_set(VfioIrqLine *line, bool level)
{
    line->line_high = level;
    if (line->ops && line->ops->set_level) {
        line->ops->set_level(line->opaque, level);
    }
}

/* The timed resample: armpass cannot see the guest's EOI without a resamplefd (KVM on arm
 * does not exit on it), so the line is lowered and the host IRQ unmasked after a period; a
 * device that still asserts fires again at once and the line goes up again. */
static gboolean vfio_irq_line_resample(gpointer opaque)
{
    VfioIrqLine *line = opaque;
    g_autoptr(GError) err = NULL;

    line->resample_timer = 0;
    line->wakeups++;
    vfio_irq_line_set(line, false);
    if (!vfio_device_irq_unmask(line->vdev, line->index, &err)) {
        g_warning("%s", err->message);
    }
    return G_SOURCE_REMOVE;
}

static gboolean vfio_irq_line_triggered(gint fd, GIOCondition cond, gpointer opaque)
{
    VfioIrqLine *line = opaque;
    uint64_t count;

    (void)cond;
    if (read(fd, &count, sizeof(count)) != sizeof(count)) {
        return G_SOURCE_CONTINUE; /* EAGAIN: already consumed */
    }
    line->wakeups++;
    if (!line->level) {
        vfio_irq_line_set(line, true);
        vfio_irq_line_set(line, false);
        return G_SOURCE_CONTINUE;
    }
    vfio_irq_line_set(line, true);
    if (!line->resample_timer) {
        line->resample_timer = g_timeout_add(line->resample_ms ? line->resample_ms
                                                               : VFIO_IRQ_DEFAULT_RESAMPLE_MS,
                                             vfio_irq_line_resample, line);
    }
    return G_SOURCE_CONTINUE;
}

static int vfio_irq_new_eventfd(VfioIrqLine *line, GError **errp)
{
    const HostOps *ops = line->ms->ops;
    int fd = ops->eventfd(ops->opaque, 0, EFD_NONBLOCK);
    if (fd < 0) {
        g_set_error(errp, VFIO_IRQ_ERROR, errno, "vfio %s: eventfd: %s", line->vdev->name,
                    g_strerror(errno));
    }
    return fd;
}

/* The work of vfio_irq_line_wire; on failure the caller unwires what was done. */
static bool vfio_irq_line_connect(VfioIrqLine *line, GError **errp)
{
    MachineState *ms = line->ms;
    const MachineIrqOps *iops = ms->irq_ops;

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
                                     VFIO_IRQ_SET_ACTION_TRIGGER, line->trigger_fd, errp)) {
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
    if (line->trigger_watch) {
        GSource *src = g_main_context_find_source_by_id(ms->main_context, line->trigger_watch);
        if (src) {
            g_source_destroy(src);
        }
        line->trigger_watch = 0;
    }
    if (line->resample_timer) {
        g_source_remove(line->resample_timer);
        line->resample_timer = 0;
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
    g_string_append_printf(out, "  vfio %s %s (%s): %s, userspace wakeups %" PRIu64 "\n",
                           line->vdev->name, what, line->level ? "level" : "edge",
                           line->kernel_path ? "irqfd" : "userspace", line->wakeups);
}
