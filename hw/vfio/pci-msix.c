// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci's MSI-X vectors: an eventfd per vector given to VFIO, a KVM MSI route (the
 * guest's address and data, the requester ID as ITS DeviceID) and an irqfd on it, so an
 * unmasked vector's interrupt never wakes armpass. A masked vector's irqfd is taken away and
 * its interrupts are recorded in the PBA, delivered on unmask (PCI 3.0, 6.8.2.9).
 * Source: Documentation/driver-api/vfio.rst (VFIO_DEVICE_SET_IRQS), include/uapi/linux/vfio.h
 * (VFIO_PCI_MSIX_IRQ_INDEX), Documentation/virt/kvm/api.rst (KVM_IRQFD, KVM_SET_GSI_ROUTING).
 */
#define G_LOG_DOMAIN "armpass-vfio"
#include "hw/vfio/vfio-pci.h"

#include "hw/pci/msix.h"
#include "vfio-internal.h"

#include <errno.h>
#include <glib-unix.h>
#include <inttypes.h>
#include <sys/eventfd.h>
#include <unistd.h>

static VfioPciDevice *to_vpci(PCIDevice *pdev)
{
    return (VfioPciDevice *)(void *)((char *)pdev - offsetof(VfioPciDevice, pdev));
}

static const MachineIrqOps *irq_ops(VfioPciDevice *d)
{
    return d->ms->irq_ops;
}

/* A masked vector's interrupt: recorded as pending (the guest sees it in the PBA). */
static gboolean vector_fired_masked(gint fd, GIOCondition cond, gpointer opaque)
{
    VfioPciVector *vec = opaque;
    VfioPciDevice *d = vec->owner;
    uint64_t count;

    (void)cond;
    if (read(fd, &count, sizeof(count)) != sizeof(count)) {
        return G_SOURCE_CONTINUE;
    }
    vec->wakeups++;
    g_mutex_lock(&d->ms->as->dispatch_lock); /* the PBA is read by vCPUs under it */
    msix_set_pending(&d->pdev, vec->nr, true);
    g_mutex_unlock(&d->ms->as->dispatch_lock);
    return G_SOURCE_CONTINUE;
}

static void vector_watch(VfioPciVector *vec, bool on)
{
    GMainContext *ctx = vec->owner->ms->main_context;

    if (on && !vec->watch && vec->fd >= 0) {
        GSource *src = g_unix_fd_source_new(vec->fd, G_IO_IN);

        g_source_set_callback(src, (GSourceFunc)(void (*)(void))vector_fired_masked, vec, NULL);
        vec->watch = g_source_attach(src, ctx);
        g_source_unref(src);
    } else if (!on && vec->watch) {
        GSource *src = g_main_context_find_source_by_id(ctx, vec->watch);

        if (src) {
            g_source_destroy(src);
        }
        vec->watch = 0;
    }
}

static void vector_irqfd_off(VfioPciDevice *d, VfioPciVector *vec)
{
    g_autoptr(GError) err = NULL;

    if (vec->irqfd) {
        if (!irq_ops(d)->irqfd_deassign(d->ms->irq_opaque, vec->fd, (unsigned)vec->gsi, &err)) {
            g_warning("vfio %s: MSI-X vector %u: %s", d->name, vec->nr, err->message);
        }
        vec->irqfd = false;
    }
}

static void vector_unmask(VfioPciDevice *d, VfioPciVector *vec, uint64_t addr, uint32_t data)
{
    const MachineIrqOps *ops = irq_ops(d);
    uint32_t devid = pci_requester_id(&d->pdev);
    g_autoptr(GError) err = NULL;
    unsigned gsi;

    if (vec->gsi < 0) {
        if (!ops->msi_route_add(d->ms->irq_opaque, addr, data, devid, &gsi, &err)) {
            g_warning("vfio %s: MSI-X vector %u: %s", d->name, vec->nr, err->message);
            return;
        }
        vec->gsi = (int)gsi;
    } else if (!ops->msi_route_update(d->ms->irq_opaque, (unsigned)vec->gsi, addr, data, devid,
                                      &err)) {
        g_warning("vfio %s: MSI-X vector %u: %s", d->name, vec->nr, err->message);
        return;
    }
    if (!vec->irqfd) {
        vector_watch(vec, false);
        if (!ops->irqfd_assign(d->ms->irq_opaque, vec->fd, -1, (unsigned)vec->gsi, &err)) {
            g_warning("vfio %s: MSI-X vector %u: %s", d->name, vec->nr, err->message);
            vector_watch(vec, true);
            return;
        }
        vec->irqfd = true;
        vec->used_irqfd = true;
    }
    vec->last_gsi = vec->gsi;
    if (msix_is_pending(&d->pdev, vec->nr)) {
        uint64_t one = 1;

        msix_set_pending(&d->pdev, vec->nr, false);
        if (write(vec->fd, &one, sizeof(one)) != sizeof(one)) { /* the irqfd delivers it */
            g_warning("vfio %s: MSI-X vector %u: eventfd write: %s", d->name, vec->nr,
                      g_strerror(errno));
        }
    }
    g_debug("vfio %s: MSI-X vector %u -> 0x%" PRIx64 "/0x%x, gsi %d, irqfd", d->name, vec->nr,
            addr, data, vec->gsi);
}

static void vfio_pci_vector_changed(PCIDevice *pdev, unsigned vector, bool masked,
                                    uint64_t addr, uint32_t data)
{
    VfioPciDevice *d = to_vpci(pdev);
    VfioPciVector *vec = &d->vectors[vector];

    if (!d->msix_on || vec->fd < 0 || !irq_ops(d)) {
        return;
    }
    if (!masked && addr != 0) {
        vector_unmask(d, vec, addr, data);
        return;
    }
    vector_irqfd_off(d, vec);
    vector_watch(vec, true);
}

/* MSI-X on: an eventfd for every vector, all given to VFIO in one SET_IRQS (the kernel
 * enables MSI-X with that many host vectors); the routes come as the guest unmasks. */
static bool msix_on(VfioPciDevice *d, GError **errp)
{
    const HostOps *ops = d->ms->ops;
    g_autofree int32_t *fds = g_new(int32_t, d->nr_vectors);

    for (unsigned v = 0; v < d->nr_vectors; v++) {
        int fd = ops->eventfd(ops->opaque, 0, EFD_NONBLOCK | EFD_CLOEXEC);

        if (fd < 0) {
            vfio_set_error(errp, errno, d->name, "eventfd for MSI-X vector %u: %s", v,
                           g_strerror(errno));
            return false;
        }
        d->vectors[v].fd = fd;
        fds[v] = fd;
    }
    if (!vfio_device_set_irq_eventfds(d->vdev, VFIO_PCI_MSIX_IRQ_INDEX, 0, d->nr_vectors, fds,
                                      errp)) {
        return false;
    }
    d->msix_on = true;
    g_debug("vfio %s: MSI-X on, %u vectors", d->name, d->nr_vectors);
    return true;
}

void vfio_pci_msix_off(VfioPciDevice *d)
{
    const HostOps *ops = d->ms ? d->ms->ops : NULL;
    g_autoptr(GError) err = NULL;

    if (d->msix_on && !vfio_device_irq_disable(d->vdev, VFIO_PCI_MSIX_IRQ_INDEX, &err)) {
        g_warning("%s", err->message);
    }
    for (unsigned v = 0; v < d->nr_vectors; v++) {
        VfioPciVector *vec = &d->vectors[v];

        vector_watch(vec, false);
        vector_irqfd_off(d, vec);
        if (vec->gsi >= 0) {
            irq_ops(d)->msi_route_release(d->ms->irq_opaque, (unsigned)vec->gsi);
            vec->gsi = -1;
        }
        if (vec->fd >= 0) {
            ops->close(ops->opaque, vec->fd);
            vec->fd = -1;
        }
    }
    if (d->msix_on) {
        g_debug("vfio %s: MSI-X off", d->name);
    }
    d->msix_on = false;
}

static void vfio_pci_enable_changed(PCIDevice *pdev, bool enabled)
{
    VfioPciDevice *d = to_vpci(pdev);
    g_autoptr(GError) err = NULL;

    if (!irq_ops(d)) {
        return; /* no interrupt controller: nothing to wire */
    }
    if (enabled && !d->msix_on) {
        if (!msix_on(d, &err)) {
            g_warning("%s: the guest's MSI-X stays off", err->message);
            vfio_pci_msix_off(d);
        }
    } else if (!enabled) {
        vfio_pci_msix_off(d);
    }
}

const MsixVectorOps vfio_pci_msix_ops = {
    .enable_changed = vfio_pci_enable_changed,
    .vector_changed = vfio_pci_vector_changed,
};
