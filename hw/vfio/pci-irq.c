// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci's interrupts, in whichever mode the guest has chosen: INTx (a VfioIrqLine on the
 * swizzled SPI: irqfd + resamplefd, or the userspace fallback), plain MSI or MSI-X (per
 * vector an eventfd given to VFIO, a KVM MSI route with the requester ID as ITS DeviceID and
 * an irqfd on it, so an unmasked vector's interrupt never wakes armpass). A masked vector's
 * irqfd is taken away and its interrupts are recorded as pending (MSI-X PBA, MSI pending
 * bits), delivered on unmask (PCI 3.0, 6.8.1.5 and 6.8.2.9). Switching modes tears the old
 * one down (every route released, every eventfd closed) before the new one is built: VFIO
 * takes one index at a time.
 * Source: Documentation/driver-api/vfio.rst (VFIO_DEVICE_SET_IRQS), include/uapi/linux/vfio.h
 * (VFIO_PCI_INTX/MSI/MSIX_IRQ_INDEX), Documentation/virt/kvm/api.rst (KVM_IRQFD,
 * KVM_SET_GSI_ROUTING, KVM_SIGNAL_MSI).
 */
#define G_LOG_DOMAIN "armpass-vfio"
#include "hw/vfio/vfio-pci.h"

#include "hw/pci/msi.h"
#include "hw/pci/msix.h"
#include "vfio-internal.h"
#include "system/notice.h"

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

static const char *mode_name(VfioPciIrqMode mode)
{
    static const char *const names[] = { "none", "INTx", "MSI", "MSI-X" };

    return names[mode];
}

/* ---- MSI and MSI-X vectors ------------------------------------------------------------ */

static bool vector_masked(VfioPciDevice *d, unsigned v)
{
    return d->irq_mode == VFIO_PCI_IRQ_MSIX ? msix_vector_masked(&d->pdev, v)
                                            : msi_vector_masked(&d->pdev, v);
}

static void vector_message(VfioPciDevice *d, unsigned v, uint64_t *addr, uint32_t *data)
{
    if (d->irq_mode == VFIO_PCI_IRQ_MSIX) {
        msix_vector_message(&d->pdev, v, addr, data);
    } else {
        msi_vector_message(&d->pdev, v, addr, data);
    }
}

static void vector_set_pending(VfioPciDevice *d, unsigned v, bool pending)
{
    if (d->irq_mode == VFIO_PCI_IRQ_MSIX) {
        msix_set_pending(&d->pdev, v, pending);
    } else {
        msi_set_pending(&d->pdev, v, pending);
    }
}

static bool vector_is_pending(VfioPciDevice *d, unsigned v)
{
    return d->irq_mode == VFIO_PCI_IRQ_MSIX ? msix_is_pending(&d->pdev, v)
                                            : msi_is_pending(&d->pdev, v);
}

/*
 * The vector's eventfd fired and armpass is to handle it: a masked vector's interrupt is
 * recorded as pending; with x-irqfd=off an unmasked one is delivered with KVM_SIGNAL_MSI.
 */
static gboolean vector_fired(gint fd, GIOCondition cond, gpointer opaque)
{
    VfioPciVector *vec = opaque;
    VfioPciDevice *d = vec->owner;
    g_autoptr(GError) err = NULL;
    uint64_t count, addr;
    uint32_t data;
    bool deliver = false;

    (void)cond;
    if (read(fd, &count, sizeof(count)) != sizeof(count)) {
        return G_SOURCE_CONTINUE;
    }
    vec->wakeups++;
    g_mutex_lock(&d->ms->as->dispatch_lock); /* vCPUs change vector state under it */
    if (d->irq_mode == VFIO_PCI_IRQ_MSI || d->irq_mode == VFIO_PCI_IRQ_MSIX) {
        if (vector_masked(d, vec->nr)) {
            vector_set_pending(d, vec->nr, true);
        } else {
            vector_message(d, vec->nr, &addr, &data);
            deliver = true;
        }
    }
    g_mutex_unlock(&d->ms->as->dispatch_lock);
    if (deliver && !irq_ops(d)->signal_msi(d->ms->irq_opaque, addr, data,
                                           pci_requester_id(&d->pdev), &err)) {
        g_warning("vfio %s: %s vector %u: %s", d->name, mode_name(d->irq_mode), vec->nr,
                  err->message);
    }
    return G_SOURCE_CONTINUE;
}

static void vector_watch(VfioPciVector *vec, bool on)
{
    GMainContext *ctx = vec->owner->ms->main_context;

    if (on && !vec->watch && vec->fd >= 0) {
        GSource *src = g_unix_fd_source_new(vec->fd, G_IO_IN);

        g_source_set_callback(src, (GSourceFunc)(void (*)(void))vector_fired, vec, NULL);
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
            g_warning("vfio %s: vector %u: %s", d->name, vec->nr, err->message);
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

    if (!d->x_irqfd) {
        vector_watch(vec, true); /* userspace path: KVM_SIGNAL_MSI per interrupt */
    } else if (vec->gsi < 0) {
        if (!ops->msi_route_add(d->ms->irq_opaque, addr, data, devid, &gsi, &err)) {
            g_warning("vfio %s: %s vector %u: %s", d->name, mode_name(d->irq_mode), vec->nr,
                      err->message);
            return;
        }
        vec->gsi = (int)gsi;
    } else if (!ops->msi_route_update(d->ms->irq_opaque, (unsigned)vec->gsi, addr, data, devid,
                                      &err)) {
        g_warning("vfio %s: %s vector %u: %s", d->name, mode_name(d->irq_mode), vec->nr,
                  err->message);
        return;
    }
    if (d->x_irqfd && !vec->irqfd) {
        vector_watch(vec, false);
        if (!ops->irqfd_assign(d->ms->irq_opaque, vec->fd, -1, (unsigned)vec->gsi, &err)) {
            g_warning("vfio %s: %s vector %u: %s", d->name, mode_name(d->irq_mode), vec->nr,
                      err->message);
            vector_watch(vec, true);
            return;
        }
        vec->irqfd = true;
        vec->used_irqfd = true;
    }
    vec->last_gsi = vec->gsi;
    vec->used = true;
    vec->kind = d->irq_mode == VFIO_PCI_IRQ_MSIX ? "msix" : "msi";
    if (vector_is_pending(d, vec->nr)) {
        uint64_t one = 1;

        vector_set_pending(d, vec->nr, false);
        if (write(vec->fd, &one, sizeof(one)) != sizeof(one)) { /* delivered as any other */
            g_warning("vfio %s: vector %u: eventfd write: %s", d->name, vec->nr,
                      g_strerror(errno));
        }
    }
    g_debug("vfio %s: %s vector %u -> 0x%" PRIx64 "/0x%x, %s", d->name,
            mode_name(d->irq_mode), vec->nr, addr, data, d->x_irqfd ? "irqfd" : "userspace");
}

/* PCIVectorOps.vector_changed of both capabilities. */
static void vfio_pci_vector_changed(PCIDevice *pdev, unsigned vector, bool masked,
                                    uint64_t addr, uint32_t data)
{
    VfioPciDevice *d = to_vpci(pdev);
    VfioPciVector *vec;

    if (vector >= d->nr_vectors_on || !irq_ops(d)) {
        return;
    }
    vec = &d->vectors[vector];
    if (!masked && addr != 0) {
        vector_unmask(d, vec, addr, data);
        return;
    }
    vector_irqfd_off(d, vec);
    vector_watch(vec, true);
}

/* MSI or MSI-X on with n vectors: an eventfd for each, all given to VFIO in one SET_IRQS
 * (Linux 6.1 enables that many host vectors and cannot grow them later); the routes come as
 * the guest unmasks. */
static bool vectors_on(VfioPciDevice *d, unsigned index, unsigned n, GError **errp)
{
    const HostOps *ops = d->ms->ops;
    g_autofree int32_t *fds = g_new(int32_t, n);

    g_return_val_if_fail(n <= d->nr_vectors, false);
    for (unsigned v = 0; v < n; v++) {
        int fd = ops->eventfd(ops->opaque, 0, EFD_NONBLOCK | EFD_CLOEXEC);

        if (fd < 0) {
            vfio_set_error(errp, errno, d->name, "eventfd for vector %u: %s", v,
                           g_strerror(errno));
            return false;
        }
        d->vectors[v].fd = fd;
        d->nr_vectors_on = v + 1;
        fds[v] = fd;
    }
    return vfio_device_set_irq_eventfds(d->vdev, index, 0, n, fds, errp);
}

static void vectors_off(VfioPciDevice *d, unsigned index)
{
    const HostOps *ops = d->ms->ops;
    g_autoptr(GError) err = NULL;

    if (!vfio_device_irq_disable(d->vdev, index, &err)) {
        g_debug("%s", err->message);
    }
    for (unsigned v = 0; v < d->nr_vectors_on; v++) {
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
    d->nr_vectors_on = 0;
}

/* ---- INTx ------------------------------------------------------------------------------ */

static void intx_set_level(void *opaque, bool level)
{
    VfioPciDevice *d = opaque;

    pci_set_intx(&d->pdev, level); /* the wired-OR of the bridge's line */
}

/* The INTx fallback's completion: the BARs' mmaps out while an interrupt is pending, so the
 * guest's first access to the device traps (hw/vfio/irq.c). The MSI-X window stays. */
static void intx_mmaps_enable(void *opaque, bool on)
{
    VfioPciDevice *d = opaque;
    bool changed = false;

    for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
        if (d->bar_ready[i] && d->bars[i].dev) {
            changed |= vfio_region_mmaps_enable(&d->bars[i], on);
        }
    }
    if (changed) {
        vfio_device_commit_map(d->vdev);
    }
}

/* Whether the device still asserts INTx: the Interrupt Status bit of its Status register (PCI
 * Local Bus 3.0, 6.2.3; set while the function asserts INTx, whatever INTx Disable says), read
 * through the VFIO config region. A read error: taken as asserting. */
static bool intx_asserted(void *opaque)
{
    VfioPciDevice *d = opaque;
    g_autoptr(GError) err = NULL;
    uint8_t status[2];

    if (!vfio_device_pread(d->vdev, status, sizeof(status), d->config_offset + PCI_STATUS,
                           &err)) {
        g_debug("%s", err->message);
        return true;
    }
    return (status[0] & PCI_STATUS_INTERRUPT) != 0;
}

static const VfioIrqLineOps intx_ops = {
    .set_level = intx_set_level,
    .mmaps_enable = intx_mmaps_enable,
    .asserted = intx_asserted,
};

/* VfioRegion.on_trap of every BAR: a trapped access completes a pending INTx (fallback). */
static void intx_bar_trapped(void *opaque)
{
    VfioPciDevice *d = opaque;

    if (d->irq_mode == VFIO_PCI_IRQ_INTX && d->intx.ms) {
        vfio_irq_line_trapped_access(&d->intx);
    }
}

void vfio_pci_irq_hook_bars(VfioPciDevice *d)
{
    for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
        if (d->bar_ready[i] && d->bars[i].dev) {
            d->bars[i].on_trap = intx_bar_trapped;
            d->bars[i].on_trap_opaque = d;
        }
    }
}

/* A line an emulated device (a pcie-root-port's INTA) drives too takes the userspace path,
 * where armpass's PCI bus ORs both (pci_intx_shares_emulated_line says why); a notice says so
 * once: a root-bus device the host bridge's swizzle puts on a port's INTA (a port's slot has
 * lines of its own on virt). MSI and MSI-X are not affected. */
static bool intx_needs_userspace(VfioPciDevice *d)
{
    if (!d->x_irqfd || !pci_intx_shares_emulated_line(&d->pdev)) {
        return false;
    }
    if (!d->intx_shared_notice) {
        d->intx_shared_notice = true;
        armpass_notice("vfio %s: its INTx shares the line of a pcie-root-port, so it goes "
                       "through armpass, not an irqfd (MSI and MSI-X do not)", d->name);
    }
    return true;
}

static bool intx_on(VfioPciDevice *d, GError **errp)
{
    VfioIrqLine *l = &d->intx;
    bool userspace = intx_needs_userspace(d);

    *l = (VfioIrqLine){
        .vdev = d->vdev,
        .index = VFIO_PCI_INTX_IRQ_INDEX,
        .gsi = pci_device_intx_spi(&d->pdev),
        .level = true,
        .whole_index = true,
        .want_irqfd = d->x_irqfd && !userspace,
        .mmap_timeout_ms = (unsigned)d->x_mmap_timeout_ms,
        .ops = &intx_ops,
        .opaque = d,
        .trigger_fd = -1,
        .resample_fd = -1,
        .wakeups = d->intx_wakeups,
    };
    g_snprintf(l->name, sizeof(l->name), "INTx");
    if (!vfio_irq_line_wire(l, d->ms, errp)) {
        return false;
    }
    d->intx_used = true;
    return true;
}

static void intx_off(VfioPciDevice *d)
{
    d->intx_kernel_path = d->intx.kernel_path;
    d->intx_wakeups = d->intx.wakeups;
    vfio_irq_line_unwire(&d->intx);
    pci_set_intx(&d->pdev, false);
}

/* ---- Modes ----------------------------------------------------------------------------- */

void vfio_pci_irq_set_mode(VfioPciDevice *d, VfioPciIrqMode want)
{
    g_autoptr(GError) err = NULL;
    bool ok = true;

    if (want == d->irq_mode || !d->ms || !irq_ops(d)) {
        return;
    }
    switch (d->irq_mode) {
    case VFIO_PCI_IRQ_INTX:
        intx_off(d);
        break;
    case VFIO_PCI_IRQ_MSI:
        vectors_off(d, VFIO_PCI_MSI_IRQ_INDEX);
        break;
    case VFIO_PCI_IRQ_MSIX:
        vectors_off(d, VFIO_PCI_MSIX_IRQ_INDEX);
        break;
    case VFIO_PCI_IRQ_NONE:
        break;
    }
    g_debug("vfio %s: interrupts: %s -> %s", d->name, mode_name(d->irq_mode), mode_name(want));
    d->irq_mode = want;
    switch (want) {
    case VFIO_PCI_IRQ_INTX:
        ok = !d->has_intx || intx_on(d, &err);
        break;
    case VFIO_PCI_IRQ_MSI:
        ok = vectors_on(d, VFIO_PCI_MSI_IRQ_INDEX, d->pdev.msi->nr_vectors, &err);
        break;
    case VFIO_PCI_IRQ_MSIX:
        ok = vectors_on(d, VFIO_PCI_MSIX_IRQ_INDEX, d->pdev.msix->nr_vectors, &err);
        break;
    case VFIO_PCI_IRQ_NONE:
        break;
    }
    if (!ok) {
        g_warning("%s: the guest gets no %s interrupts", err->message, mode_name(want));
        vfio_pci_irq_set_mode(d, VFIO_PCI_IRQ_NONE);
    }
}

/* What the guest's capabilities ask for now: MSI-X over MSI over INTx. */
static VfioPciIrqMode wanted_mode(VfioPciDevice *d)
{
    if (d->pdev.msix && d->pdev.msix->enabled) {
        return VFIO_PCI_IRQ_MSIX;
    }
    if (d->pdev.msi && d->pdev.msi->enabled) {
        return VFIO_PCI_IRQ_MSI;
    }
    return VFIO_PCI_IRQ_INTX;
}

/* Tells the vectors of the current MSI or MSI-X mode their state, as the capability does
 * when it is switched on. */
static void vectors_replay(VfioPciDevice *d)
{
    for (unsigned v = 0; v < d->nr_vectors_on; v++) {
        uint64_t addr;
        uint32_t data;

        vector_message(d, v, &addr, &data);
        vfio_pci_vector_changed(&d->pdev, v, vector_masked(d, v), addr, data);
    }
}

static void vfio_pci_enable_changed(PCIDevice *pdev, bool enabled)
{
    VfioPciDevice *d = to_vpci(pdev);
    VfioPciIrqMode before = d->irq_mode;

    vfio_pci_irq_set_mode(d, wanted_mode(d));
    /* A capability switched on tells its vectors itself, right after this. One switched off
     * while the other was on too (the specification forbids both; a guest may do it) hands
     * the device to the other, whose vectors have said nothing while it was not in charge. */
    if (!enabled && d->irq_mode != before &&
        (d->irq_mode == VFIO_PCI_IRQ_MSI || d->irq_mode == VFIO_PCI_IRQ_MSIX)) {
        vectors_replay(d);
    }
}

/* A capability's vector changes while the device is in the other's mode are not the
 * device's: they are heard when that capability takes over. */
static void vfio_pci_msi_vector_changed(PCIDevice *pdev, unsigned vector, bool masked,
                                        uint64_t addr, uint32_t data)
{
    if (to_vpci(pdev)->irq_mode == VFIO_PCI_IRQ_MSI) {
        vfio_pci_vector_changed(pdev, vector, masked, addr, data);
    }
}

static void vfio_pci_msix_vector_changed(PCIDevice *pdev, unsigned vector, bool masked,
                                         uint64_t addr, uint32_t data)
{
    if (to_vpci(pdev)->irq_mode == VFIO_PCI_IRQ_MSIX) {
        vfio_pci_vector_changed(pdev, vector, masked, addr, data);
    }
}

const PCIVectorOps vfio_pci_msi_vector_ops = {
    .enable_changed = vfio_pci_enable_changed,
    .vector_changed = vfio_pci_msi_vector_changed,
};

const PCIVectorOps vfio_pci_msix_vector_ops = {
    .enable_changed = vfio_pci_enable_changed,
    .vector_changed = vfio_pci_msix_vector_changed,
};

void vfio_pci_irq_print_stats(VfioPciDevice *d, GString *out)
{
    if (d->has_intx && (d->intx_used || d->intx.ms)) {
        g_autofree char *what = g_strdup_printf("intx -> SPI %u", pci_device_intx_spi(&d->pdev));
        VfioIrqLine l = d->intx;

        if (!l.ms) { /* off now: what it was */
            l.kernel_path = d->intx_kernel_path;
            l.wakeups = d->intx_wakeups;
        }
        vfio_irq_line_print_stats(&l, what, out);
    }
    for (unsigned v = 0; v < d->nr_vectors; v++) {
        VfioPciVector *vec = &d->vectors[v];

        if (vec->used || vec->wakeups) {
            /* What each vector did this run (routes are released when the guest turns the
             * capability off, as it does at shutdown). */
            g_string_append_printf(out, "  vfio %s %s %u -> gsi %d: %s, userspace wakeups %"
                                   PRIu64 "\n", d->name, vec->kind, v, vec->last_gsi,
                                   vec->used_irqfd ? "irqfd" : "userspace", vec->wakeups);
        }
    }
}
