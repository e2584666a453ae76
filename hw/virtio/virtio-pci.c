// SPDX-License-Identifier: GPL-2.0-only
/* The virtio 1.x PCI transport: capabilities, common configuration, notifications on KVM
 * ioeventfds, interrupts on irqfds of MSI-X routes (include/hw/virtio/virtio-pci.h). */
#define G_LOG_DOMAIN "armpass-virtio"
#include "hw/virtio/virtio-pci.h"

#include "hw/pci/msix.h"

#include <errno.h>
#include <glib-unix.h>
#include <inttypes.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

G_DEFINE_QUARK(armpass-virtio-pci-error-quark, armpass_virtio_pci_error)

#define VIRTIO_PCI_VENDOR 0x1af4   /* 4.1.2: the PCI vendor of every virtio device */
#define VIRTIO_PCI_DEVICE_BASE 0x1040 /* 4.1.2.1: modern device IDs are 0x1040 + virtio ID */

/* BAR 4's layout: a page per structure. */
#define BAR4_COMMON 0x0000
#define BAR4_ISR 0x1000
#define BAR4_DEVICE 0x2000
#define BAR4_NOTIFY 0x3000
#define BAR4_SIZE 0x4000
#define NOTIFY_MULT 4 /* notify_off_multiplier: each queue its own 4 bytes */
/* BAR 1: the MSI-X table, then the PBA. */
#define BAR1_TABLE 0x000
#define BAR1_PBA 0x800
#define BAR1_SIZE 0x1000
/* Config-space layout of the capabilities. */
#define CAP_COMMON 0x40
#define CAP_ISR 0x50
#define CAP_DEVICE 0x60
#define CAP_NOTIFY 0x70 /* 20 bytes: with notify_off_multiplier */
#define CAP_MSIX 0x88

static const MachineIrqOps *irq_ops(VirtioPci *vp)
{
    return vp->ms->irq_ops;
}

static VirtioPci *to_vp(PCIDevice *pdev)
{
    return (VirtioPci *)(void *)((char *)pdev - offsetof(VirtioPci, pdev));
}

/* ---- Interrupts -------------------------------------------------------------------------- */

static bool msix_on(VirtioPci *vp)
{
    return vp->pdev.msix && vp->pdev.msix->enabled;
}

/* The guest has no MSI-X: INTx, with the ISR's queue bit (4.1.4.5). */
static void intx_update(VirtioPci *vp)
{
    pci_set_intx(&vp->pdev, vp->isr != 0);
}

/* A queue's interrupt that armpass must relay: its vector is masked (pending bit), or there is
 * no MSI-X (ISR + INTx), or no route could be made (KVM_SIGNAL_MSI). */
static gboolean call_fired(gint fd, GIOCondition cond, gpointer opaque)
{
    VirtioPciQueue *q = opaque;
    VirtioPci *vp = q->owner;
    uint64_t count, addr;
    uint32_t data;
    bool deliver = false;
    unsigned idx = q->index;

    (void)cond;
    if (read(fd, &count, sizeof(count)) != sizeof(count)) {
        return G_SOURCE_CONTINUE;
    }
    q->wakeups++;
    armpass_mutex_lock(&vp->ms->as->dispatch_lock);
    if (!msix_on(vp)) {
        vp->isr |= 1;
        intx_update(vp);
    } else if (q->msix_vector != VIRTIO_MSI_NO_VECTOR &&
               q->msix_vector < vp->pdev.msix->nr_vectors) {
        if (msix_vector_masked(&vp->pdev, q->msix_vector)) {
            msix_set_pending(&vp->pdev, q->msix_vector, true);
        } else {
            msix_vector_message(&vp->pdev, q->msix_vector, &addr, &data);
            deliver = true;
        }
    }
    armpass_mutex_unlock(&vp->ms->as->dispatch_lock);
    if (deliver && irq_ops(vp)) {
        g_autoptr(GError) err = NULL;
        if (!irq_ops(vp)->signal_msi(vp->ms->irq_opaque, addr, data,
                                     pci_requester_id(&vp->pdev), &err)) {
            g_warning("virtio %s: queue %u: %s", vp->name, idx, err->message);
        }
    }
    return G_SOURCE_CONTINUE;
}

static void call_watch(VirtioPci *vp, VirtioPciQueue *q, bool on)
{
    GMainContext *ctx = vp->ms->main_context;

    if (on && !q->watch && q->call_fd >= 0 && ctx) {
        GSource *src = g_unix_fd_source_new(q->call_fd, G_IO_IN);

        g_source_set_callback(src, (GSourceFunc)(void (*)(void))call_fired, q, NULL);
        q->watch = g_source_attach(src, ctx);
        g_source_unref(src);
    } else if (!on && q->watch) {
        GSource *src = g_main_context_find_source_by_id(ctx, q->watch);

        if (src) {
            g_source_destroy(src);
        }
        q->watch = 0;
    }
}

static void irqfd_off(VirtioPci *vp, VirtioPciQueue *q)
{
    g_autoptr(GError) err = NULL;

    if (q->irqfd) {
        if (!irq_ops(vp)->irqfd_deassign(vp->ms->irq_opaque, q->call_fd, (unsigned)q->gsi,
                                         &err)) {
            g_warning("virtio %s: %s", vp->name, err->message);
        }
        q->irqfd = false;
    }
}

static void route_release(VirtioPci *vp, VirtioPciQueue *q)
{
    irqfd_off(vp, q);
    if (q->gsi >= 0) {
        irq_ops(vp)->msi_route_release(vp->ms->irq_opaque, (unsigned)q->gsi);
        q->gsi = -1;
    }
}

/*
 * Where queue q's interrupts go now: its unmasked MSI-X vector's route on an irqfd (the
 * kernel delivers them), else armpass's main loop (masked: pending bit; no MSI-X: ISR and
 * INTx). Called when the vector, its mask or its message, or MSI-X enable change.
 */
static void queue_route(VirtioPci *vp, VirtioPciQueue *q)
{
    const MachineIrqOps *ops = irq_ops(vp);
    g_autoptr(GError) err = NULL;
    uint32_t devid = pci_requester_id(&vp->pdev);
    uint64_t addr;
    uint32_t data;
    unsigned gsi;
    bool kernel;

    if (!ops || q->call_fd < 0) {
        return;
    }
    kernel = msix_on(vp) && q->msix_vector != VIRTIO_MSI_NO_VECTOR &&
             q->msix_vector < vp->pdev.msix->nr_vectors &&
             !msix_vector_masked(&vp->pdev, q->msix_vector);
    if (!kernel) {
        irqfd_off(vp, q);
        call_watch(vp, q, true);
        return;
    }
    msix_vector_message(&vp->pdev, q->msix_vector, &addr, &data);
    if (q->gsi < 0) {
        if (!ops->msi_route_add(vp->ms->irq_opaque, addr, data, devid, &gsi, &err)) {
            g_warning("virtio %s: MSI-X vector %u: %s", vp->name, q->msix_vector, err->message);
            call_watch(vp, q, true);
            return;
        }
        q->gsi = (int)gsi;
    } else if (!ops->msi_route_update(vp->ms->irq_opaque, (unsigned)q->gsi, addr, data, devid,
                                      &err)) {
        g_warning("virtio %s: MSI-X vector %u: %s", vp->name, q->msix_vector, err->message);
        return;
    }
    if (!q->irqfd) {
        if (!ops->irqfd_assign(vp->ms->irq_opaque, q->call_fd, -1, (unsigned)q->gsi, &err)) {
            g_warning("virtio %s: MSI-X vector %u: %s", vp->name, q->msix_vector, err->message);
            call_watch(vp, q, true);
            return;
        }
        q->irqfd = true;
        q->used_irqfd = true;
    }
    call_watch(vp, q, false);
    if (msix_is_pending(&vp->pdev, q->msix_vector)) {
        uint64_t one = 1;

        msix_set_pending(&vp->pdev, q->msix_vector, false);
        if (write(q->call_fd, &one, sizeof(one)) != sizeof(one)) {
            g_warning("virtio %s: eventfd write: %s", vp->name, g_strerror(errno));
        }
    }
}

static void routes_update(VirtioPci *vp)
{
    for (unsigned i = 0; i < vp->nr_queues; i++) {
        queue_route(vp, &vp->queues[i]);
    }
}

static void vp_vector_changed(PCIDevice *pdev, unsigned vector, bool masked, uint64_t addr,
                              uint32_t data)
{
    VirtioPci *vp = to_vp(pdev);

    (void)masked;
    (void)addr;
    (void)data;
    for (unsigned i = 0; i < vp->nr_queues; i++) {
        if (vp->queues[i].msix_vector == vector) {
            queue_route(vp, &vp->queues[i]);
        }
    }
}

static void vp_enable_changed(PCIDevice *pdev, bool enabled)
{
    VirtioPci *vp = to_vp(pdev);

    (void)enabled;
    routes_update(vp);
}

static const PCIVectorOps vp_vector_ops = {
    .enable_changed = vp_enable_changed,
    .vector_changed = vp_vector_changed,
};

void virtio_pci_set_failed(VirtioPci *vp)
{
    uint64_t addr;
    uint32_t data;

    vp->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
    vp->config_generation++;
    vp->isr |= 2; /* configuration change */
    if (!msix_on(vp)) {
        intx_update(vp);
    } else if (vp->config_vector < vp->pdev.msix->nr_vectors && irq_ops(vp)) {
        if (msix_vector_masked(&vp->pdev, vp->config_vector)) {
            msix_set_pending(&vp->pdev, vp->config_vector, true);
        } else {
            msix_vector_message(&vp->pdev, vp->config_vector, &addr, &data);
            irq_ops(vp)->signal_msi(vp->ms->irq_opaque, addr, data,
                                    pci_requester_id(&vp->pdev), NULL);
        }
    }
}

/* ---- Starting and stopping the backend ------------------------------------------------- */

static void backend_stop(VirtioPci *vp)
{
    if (vp->started) {
        vp->model->stop(vp);
        vp->started = false;
    }
}

static void device_reset(VirtioPci *vp)
{
    backend_stop(vp);
    vp->status = 0;
    vp->guest_features = 0;
    vp->dfselect = vp->gfselect = 0;
    vp->queue_sel = 0;
    vp->config_vector = VIRTIO_MSI_NO_VECTOR;
    vp->isr = 0;
    intx_update(vp);
    for (unsigned i = 0; i < vp->nr_queues; i++) {
        VirtioPciQueue *q = &vp->queues[i];

        if (irq_ops(vp)) {
            route_release(vp, q);
        }
        call_watch(vp, q, false);
        q->size = q->max_size;
        q->enabled = false;
        q->msix_vector = VIRTIO_MSI_NO_VECTOR;
        q->desc = q->driver = q->device = 0;
    }
}

static void status_write(VirtioPci *vp, uint8_t val)
{
    g_autoptr(GError) err = NULL;

    if (val == 0) {
        device_reset(vp);
        return;
    }
    if ((val & VIRTIO_CONFIG_S_FEATURES_OK) && !(vp->status & VIRTIO_CONFIG_S_FEATURES_OK)) {
        /* 2.2: the driver may accept only what was offered; armpass is a modern device. */
        if ((vp->guest_features & ~vp->host_features) ||
            !(vp->guest_features & (1ULL << VIRTIO_F_VERSION_1))) {
            g_warning("virtio %s: the driver accepted features 0x%" PRIx64 " of 0x%" PRIx64
                      " offered (VERSION_1 is required): FEATURES_OK refused", vp->name,
                      vp->guest_features, vp->host_features);
            val &= (uint8_t)~VIRTIO_CONFIG_S_FEATURES_OK;
        }
    }
    if ((val & VIRTIO_CONFIG_S_DRIVER_OK) && !(vp->status & VIRTIO_CONFIG_S_DRIVER_OK)) {
        vp->status = val;
        routes_update(vp);
        if (!vp->model->start(vp, &err)) {
            g_warning("virtio %s: starting its backend: %s", vp->name, err->message);
            virtio_pci_set_failed(vp);
            return;
        }
        vp->started = true;
        vp->starts++;
        vp->started_features = vp->guest_features;
        return;
    }
    vp->status = val;
}

/* ---- The common configuration (4.1.4.3) -------------------------------------------------- */

static VirtioPciQueue *cur_queue(VirtioPci *vp)
{
    return vp->queue_sel < vp->nr_queues ? &vp->queues[vp->queue_sel] : NULL;
}

static uint64_t common_read(void *opaque, uint64_t offset, unsigned size)
{
    VirtioPci *vp = opaque;
    VirtioPciQueue *q = cur_queue(vp);
    uint64_t v = 0;

    (void)size;
    switch (offset) {
    case VIRTIO_PCI_COMMON_DFSELECT:
        return vp->dfselect;
    case VIRTIO_PCI_COMMON_DF:
        return vp->dfselect == 0 ? (uint32_t)vp->host_features
               : vp->dfselect == 1 ? (uint32_t)(vp->host_features >> 32) : 0;
    case VIRTIO_PCI_COMMON_GFSELECT:
        return vp->gfselect;
    case VIRTIO_PCI_COMMON_GF:
        return vp->gfselect == 0 ? (uint32_t)vp->guest_features
               : vp->gfselect == 1 ? (uint32_t)(vp->guest_features >> 32) : 0;
    case VIRTIO_PCI_COMMON_MSIX:
        return vp->config_vector;
    case VIRTIO_PCI_COMMON_NUMQ:
        return vp->nr_queues;
    case VIRTIO_PCI_COMMON_STATUS:
        return vp->status;
    case VIRTIO_PCI_COMMON_CFGGENERATION:
        return vp->config_generation;
    case VIRTIO_PCI_COMMON_Q_SELECT:
        return vp->queue_sel;
    }
    if (!q) {
        return 0;
    }
    switch (offset) {
    case VIRTIO_PCI_COMMON_Q_SIZE:
        v = q->size;
        break;
    case VIRTIO_PCI_COMMON_Q_MSIX:
        v = q->msix_vector;
        break;
    case VIRTIO_PCI_COMMON_Q_ENABLE:
        v = q->enabled;
        break;
    case VIRTIO_PCI_COMMON_Q_NOFF:
        v = vp->queue_sel;
        break;
    case VIRTIO_PCI_COMMON_Q_DESCLO:
        v = (uint32_t)q->desc;
        break;
    case VIRTIO_PCI_COMMON_Q_DESCHI:
        v = q->desc >> 32;
        break;
    case VIRTIO_PCI_COMMON_Q_AVAILLO:
        v = (uint32_t)q->driver;
        break;
    case VIRTIO_PCI_COMMON_Q_AVAILHI:
        v = q->driver >> 32;
        break;
    case VIRTIO_PCI_COMMON_Q_USEDLO:
        v = (uint32_t)q->device;
        break;
    case VIRTIO_PCI_COMMON_Q_USEDHI:
        v = q->device >> 32;
        break;
    }
    return v;
}

static void set_lo(uint64_t *r, uint64_t v)
{
    *r = (*r & ~0xffffffffULL) | (uint32_t)v;
}

static void set_hi(uint64_t *r, uint64_t v)
{
    *r = (*r & 0xffffffffULL) | ((uint64_t)(uint32_t)v << 32);
}

static void common_write(void *opaque, uint64_t offset, uint64_t val, unsigned size)
{
    VirtioPci *vp = opaque;
    VirtioPciQueue *q = cur_queue(vp);
    bool live = vp->status & VIRTIO_CONFIG_S_DRIVER_OK;

    (void)size;
    switch (offset) {
    case VIRTIO_PCI_COMMON_DFSELECT:
        vp->dfselect = (uint32_t)val;
        return;
    case VIRTIO_PCI_COMMON_GFSELECT:
        vp->gfselect = (uint32_t)val;
        return;
    case VIRTIO_PCI_COMMON_GF:
        if (vp->status & VIRTIO_CONFIG_S_FEATURES_OK) {
            return; /* 2.2: fixed once FEATURES_OK is set */
        }
        if (vp->gfselect == 0) {
            set_lo(&vp->guest_features, val);
        } else if (vp->gfselect == 1) {
            set_hi(&vp->guest_features, val);
        }
        return;
    case VIRTIO_PCI_COMMON_MSIX:
        vp->config_vector = (uint16_t)val;
        return;
    case VIRTIO_PCI_COMMON_STATUS:
        status_write(vp, (uint8_t)val);
        return;
    case VIRTIO_PCI_COMMON_Q_SELECT:
        vp->queue_sel = (uint16_t)val;
        return;
    }
    if (!q) {
        return;
    }
    switch (offset) {
    case VIRTIO_PCI_COMMON_Q_SIZE:
        /* a power of two, at most the maximum (2.7: packed rings aside) */
        if (!live && val && val <= q->max_size && !(val & (val - 1))) {
            q->size = (uint16_t)val;
        }
        break;
    case VIRTIO_PCI_COMMON_Q_MSIX:
        q->msix_vector = (uint16_t)val;
        queue_route(vp, q);
        break;
    case VIRTIO_PCI_COMMON_Q_ENABLE:
        if (val == 1) {
            q->enabled = true;
        }
        break;
    case VIRTIO_PCI_COMMON_Q_DESCLO:
        set_lo(&q->desc, val);
        break;
    case VIRTIO_PCI_COMMON_Q_DESCHI:
        set_hi(&q->desc, val);
        break;
    case VIRTIO_PCI_COMMON_Q_AVAILLO:
        set_lo(&q->driver, val);
        break;
    case VIRTIO_PCI_COMMON_Q_AVAILHI:
        set_hi(&q->driver, val);
        break;
    case VIRTIO_PCI_COMMON_Q_USEDLO:
        set_lo(&q->device, val);
        break;
    case VIRTIO_PCI_COMMON_Q_USEDHI:
        set_hi(&q->device, val);
        break;
    }
}

static const MemoryRegionOps common_ops = { .read = common_read, .write = common_write };

/* ---- ISR, device configuration, notifications --------------------------------------------- */

static uint64_t isr_read(void *opaque, uint64_t offset, unsigned size)
{
    VirtioPci *vp = opaque;
    uint8_t v = vp->isr;

    (void)size;
    if (offset != 0) {
        return 0;
    }
    vp->isr = 0; /* 4.1.4.5.1: reading clears it and deasserts INTx */
    intx_update(vp);
    return v;
}

static void isr_write(void *opaque, uint64_t offset, uint64_t val, unsigned size)
{
    (void)opaque;
    (void)offset;
    (void)val;
    (void)size;
}

static const MemoryRegionOps isr_ops = { .read = isr_read, .write = isr_write };

static uint64_t device_read(void *opaque, uint64_t offset, unsigned size)
{
    VirtioPci *vp = opaque;
    uint64_t v = 0;

    if (offset + size > vp->config_len) {
        return 0;
    }
    memcpy(&v, &vp->config[offset], size); /* little-endian host and guest */
    return v;
}

static void device_write(void *opaque, uint64_t offset, uint64_t val, unsigned size)
{
    VirtioPci *vp = opaque;

    if (offset + size <= vp->config_len && vp->model->config_write) {
        vp->model->config_write(vp, (uint32_t)offset, val, size);
    }
}

static const MemoryRegionOps device_ops = { .read = device_read, .write = device_write };

static uint64_t notify_read(void *opaque, uint64_t offset, unsigned size)
{
    (void)opaque;
    (void)offset;
    (void)size;
    return 0;
}

/* A notification KVM did not catch (no ioeventfd there yet): relayed to the kick eventfd. */
static void notify_write(void *opaque, uint64_t offset, uint64_t val, unsigned size)
{
    VirtioPci *vp = opaque;
    unsigned idx = (unsigned)(offset / NOTIFY_MULT);
    uint64_t one = 1;

    (void)val;
    (void)size;
    if (idx < vp->nr_queues && vp->queues[idx].kick_fd >= 0) {
        vp->queues[idx].trapped_kicks++;
        if (write(vp->queues[idx].kick_fd, &one, sizeof(one)) != sizeof(one)) {
            g_warning("virtio %s: kick: %s", vp->name, g_strerror(errno));
        }
    }
}

static const MemoryRegionOps notify_ops = { .read = notify_read, .write = notify_write };

static VirtioPci *listener_vp(MemoryListener *l)
{
    return (VirtioPci *)(void *)((char *)l - offsetof(VirtioPci, notify_listener));
}

/* The notify area appeared at guest-physical fr->addr: every queue's kick goes on an
 * ioeventfd there (16-bit writes: the driver writes the queue index, 4.1.4.4). */
static bool notify_region_add(MemoryListener *l, const FlatRange *fr, GError **errp)
{
    VirtioPci *vp = listener_vp(l);

    (void)errp;
    if (fr->mr != &vp->notify_mr || !irq_ops(vp) || !irq_ops(vp)->ioeventfd) {
        return true;
    }
    for (unsigned i = 0; i < vp->nr_queues; i++) {
        VirtioPciQueue *q = &vp->queues[i];
        uint64_t off = (uint64_t)i * NOTIFY_MULT;
        g_autoptr(GError) err = NULL;

        if (q->ioeventfd || off < fr->offset_in_region ||
            off + 2 > fr->offset_in_region + fr->size) {
            continue;
        }
        q->ioeventfd_addr = fr->addr + (off - fr->offset_in_region);
        if (!irq_ops(vp)->ioeventfd(vp->ms->irq_opaque, q->kick_fd, q->ioeventfd_addr, 2, true,
                                    &err)) {
            g_warning("virtio %s: queue %u: %s (its notifications will trap)", vp->name, i,
                      err->message);
            continue;
        }
        q->ioeventfd = true;
    }
    return true;
}

static void notify_region_del(MemoryListener *l, const FlatRange *fr)
{
    VirtioPci *vp = listener_vp(l);

    if (fr->mr != &vp->notify_mr || !irq_ops(vp) || !irq_ops(vp)->ioeventfd) {
        return;
    }
    for (unsigned i = 0; i < vp->nr_queues; i++) {
        VirtioPciQueue *q = &vp->queues[i];

        if (q->ioeventfd && q->ioeventfd_addr >= fr->addr &&
            q->ioeventfd_addr < fr->addr + fr->size) {
            irq_ops(vp)->ioeventfd(vp->ms->irq_opaque, q->kick_fd, q->ioeventfd_addr, 2, false,
                                   NULL);
            q->ioeventfd = false;
        }
    }
}

/* ---- MSI-X table and PBA in BAR 1 ---------------------------------------------------------- */

static uint64_t table_read(void *opaque, uint64_t offset, unsigned size)
{
    VirtioPci *vp = opaque;

    return offset + size <= msix_table_size(vp->pdev.msix)
               ? msix_table_read(&vp->pdev, (uint32_t)offset, size) : 0;
}

static void table_write(void *opaque, uint64_t offset, uint64_t val, unsigned size)
{
    VirtioPci *vp = opaque;

    if (offset + size <= msix_table_size(vp->pdev.msix)) {
        msix_table_write(&vp->pdev, (uint32_t)offset, val, size);
    }
}

static uint64_t pba_read(void *opaque, uint64_t offset, unsigned size)
{
    VirtioPci *vp = opaque;

    return offset + size <= vp->pdev.msix->pba_size
               ? msix_pba_read(&vp->pdev, (uint32_t)offset, size) : 0;
}

static void pba_write(void *opaque, uint64_t offset, uint64_t val, unsigned size)
{
    (void)opaque;
    (void)offset;
    (void)val;
    (void)size;
}

static const MemoryRegionOps table_ops = { .read = table_read, .write = table_write };
static const MemoryRegionOps pba_ops = { .read = pba_read, .write = pba_write };

/* ---- Config space ------------------------------------------------------------------------ */

/* One vendor-specific capability (4.1.4): type, BAR 4, offset, length. */
static void add_cap(PCIDevice *d, uint32_t at, uint8_t next, uint8_t type, uint32_t offset,
                    uint32_t length, uint8_t len)
{
    pci_set_byte(d, at + 0, PCI_CAP_ID_VNDR);
    pci_set_byte(d, at + 1, next);
    pci_set_byte(d, at + 2, len);
    pci_set_byte(d, at + 3, type);
    pci_set_byte(d, at + 4, 4); /* BAR 4 */
    pci_set_long(d, at + 8, offset);
    pci_set_long(d, at + 12, length);
}

static void vp_config_write(PCIDevice *d, uint32_t addr, uint32_t val, unsigned len)
{
    pci_default_write_config(d, addr, val, len);
}

static const PCIDeviceOps vp_config_ops = {
    .config_write = vp_config_write,
};

uint64_t virtio_pci_gpa_to_hva(VirtioPci *vp, uint64_t gpa, uint64_t size)
{
    const FlatView *view = vp->ms->as->view;

    for (unsigned i = 0; view && i < view->nr; i++) {
        const FlatRange *fr = &view->ranges[i];

        if (memory_region_is_ram(fr->mr) && gpa >= fr->addr && size <= fr->size &&
            gpa - fr->addr <= fr->size - size) {
            return (uint64_t)(uintptr_t)fr->mr->host + fr->offset_in_region + (gpa - fr->addr);
        }
    }
    return 0;
}

bool virtio_pci_realize(VirtioPci *vp, MachineState *ms, const char *name,
                        const VirtioPciModel *model, void *opaque, int devfn,
                        unsigned nr_queues, uint16_t max_size, uint64_t host_features,
                        GError **errp)
{
    PCIDevice *d = &vp->pdev;

    g_return_val_if_fail(nr_queues >= 1 && nr_queues <= VIRTIO_PCI_MAX_QUEUES, false);
    vp->ms = ms;
    vp->name = name;
    vp->model = model;
    vp->opaque = opaque;
    vp->nr_queues = nr_queues;
    vp->host_features = host_features | (1ULL << VIRTIO_F_VERSION_1);
    for (unsigned i = 0; i < VIRTIO_PCI_MAX_QUEUES; i++) {
        vp->queues[i] = (VirtioPciQueue){ .owner = vp, .index = i, .kick_fd = -1,
                                          .call_fd = -1, .gsi = -1 };
    }
    if (!ms->pci_bus) {
        g_set_error(errp, VIRTIO_PCI_ERROR, ENODEV, "the machine has no PCI bus");
        return false;
    }
    if (ms->irq_ops && ms->irq_ops->has_msi && !ms->irq_ops->has_msi(ms->irq_opaque)) {
        g_set_error(errp, VIRTIO_PCI_ERROR, ENOTSUP, "%s needs MSI-X, which needs the GICv3 "
                    "ITS: use -M virt,gic-version=3", name);
        return false;
    }
    for (unsigned i = 0; i < nr_queues; i++) {
        VirtioPciQueue *q = &vp->queues[i];

        q->max_size = q->size = max_size;
        q->msix_vector = VIRTIO_MSI_NO_VECTOR;
        q->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        q->call_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (q->kick_fd < 0 || q->call_fd < 0) {
            g_set_error(errp, VIRTIO_PCI_ERROR, errno, "%s: eventfd for queue %u: %s", name, i,
                        g_strerror(errno));
            virtio_pci_unrealize(vp);
            return false;
        }
    }
    vp->config_vector = VIRTIO_MSI_NO_VECTOR;

    d->name = name;
    d->ops = &vp_config_ops;
    pci_config_init(d, PCIE_CONFIG_SPACE_SIZE);
    pci_set_word(d, PCI_VENDOR_ID, VIRTIO_PCI_VENDOR);
    pci_set_word(d, PCI_DEVICE_ID, (uint16_t)(VIRTIO_PCI_DEVICE_BASE + model->device_id));
    pci_set_byte(d, PCI_REVISION_ID, 1); /* 4.1.2.1: modern devices have revision 1 or more */
    pci_set_byte(d, PCI_CLASS_PROG, (uint8_t)model->class_code);
    pci_set_word(d, PCI_CLASS_DEVICE, (uint16_t)(model->class_code >> 8));
    pci_set_word(d, PCI_SUBSYSTEM_VENDOR_ID, VIRTIO_PCI_VENDOR);
    pci_set_word(d, PCI_SUBSYSTEM_ID, 0x40); /* 4.1.2.1: >= 0x40 for modern devices */
    pci_set_word(d, PCI_STATUS, PCI_STATUS_CAP_LIST);
    d->config[PCI_CAPABILITY_LIST] = CAP_COMMON;
    d->config[PCI_INTERRUPT_PIN] = 1;
    add_cap(d, CAP_COMMON, CAP_ISR, VIRTIO_PCI_CAP_COMMON_CFG, BAR4_COMMON, 0x38, 16);
    add_cap(d, CAP_ISR, CAP_DEVICE, VIRTIO_PCI_CAP_ISR_CFG, BAR4_ISR, 1, 16);
    add_cap(d, CAP_DEVICE, CAP_NOTIFY, VIRTIO_PCI_CAP_DEVICE_CFG, BAR4_DEVICE,
            VIRTIO_PCI_CONFIG_MAX, 16);
    add_cap(d, CAP_NOTIFY, CAP_MSIX, VIRTIO_PCI_CAP_NOTIFY_CFG, BAR4_NOTIFY,
            nr_queues * NOTIFY_MULT, 20);
    pci_set_long(d, CAP_NOTIFY + 16, NOTIFY_MULT);

    memory_region_init_container(&vp->bar4, "virtio-bar4", BAR4_SIZE);
    memory_region_init_io(&vp->common_mr, "virtio-common", 0x1000, &common_ops, vp);
    memory_region_init_io(&vp->isr_mr, "virtio-isr", 0x1000, &isr_ops, vp);
    memory_region_init_io(&vp->device_mr, "virtio-device", 0x1000, &device_ops, vp);
    memory_region_init_io(&vp->notify_mr, "virtio-notify", 0x1000, &notify_ops, vp);
    if (!memory_region_add_subregion(&vp->bar4, BAR4_COMMON, &vp->common_mr, 0, errp) ||
        !memory_region_add_subregion(&vp->bar4, BAR4_ISR, &vp->isr_mr, 0, errp) ||
        !memory_region_add_subregion(&vp->bar4, BAR4_DEVICE, &vp->device_mr, 0, errp) ||
        !memory_region_add_subregion(&vp->bar4, BAR4_NOTIFY, &vp->notify_mr, 0, errp)) {
        virtio_pci_unrealize(vp);
        return false;
    }
    memory_region_init_container(&vp->msix_bar, "virtio-msix", BAR1_SIZE);
    memory_region_init_io(&vp->msix_table_mr, "virtio-msix-table", BAR1_PBA, &table_ops, vp);
    memory_region_init_io(&vp->msix_pba_mr, "virtio-msix-pba", BAR1_SIZE - BAR1_PBA, &pba_ops,
                          vp);
    if (!memory_region_add_subregion(&vp->msix_bar, BAR1_TABLE, &vp->msix_table_mr, 0, errp) ||
        !memory_region_add_subregion(&vp->msix_bar, BAR1_PBA, &vp->msix_pba_mr, 0, errp)) {
        virtio_pci_unrealize(vp);
        return false;
    }
    pci_register_bar(d, 1, PCI_BASE_ADDRESS_SPACE_MEMORY, BAR1_SIZE, &vp->msix_bar);
    pci_register_bar(d, 4, PCI_BASE_ADDRESS_SPACE_MEMORY | PCI_BASE_ADDRESS_MEM_TYPE_64,
                     BAR4_SIZE, &vp->bar4);
    msix_init(d, CAP_MSIX, nr_queues + 1, 1, BAR1_TABLE, 1, BAR1_PBA, &vp_vector_ops);
    pci_set_byte(d, CAP_MSIX + PCI_CAP_LIST_NEXT, 0);
    if (!pci_bus_add_device(ms->pci_bus, d, devfn, errp)) {
        msix_uninit(d);
        virtio_pci_unrealize(vp);
        return false;
    }
    if (ms->as) {
        vp->notify_listener = (MemoryListener){
            .name = "virtio-notify",
            .region_add = notify_region_add,
            .region_del = notify_region_del,
        };
        if (!address_space_add_listener(ms->as, &vp->notify_listener, errp)) {
            pci_bus_remove_device(ms->pci_bus, d);
            msix_uninit(d);
            virtio_pci_unrealize(vp);
            return false;
        }
        vp->listener_added = true;
    }
    g_debug("virtio %s: virtio device %u at %02x.%x, %u queues of %u", name, model->device_id,
            d->devfn >> 3, d->devfn & 7, nr_queues, max_size);
    return true;
}

void virtio_pci_unrealize(VirtioPci *vp)
{
    if (vp->model) {
        device_reset(vp);
    }
    if (vp->listener_added) {
        address_space_remove_listener(vp->ms->as, &vp->notify_listener); /* ioeventfds off */
        vp->listener_added = false;
    }
    if (vp->pdev.bus) {
        pci_bus_remove_device(vp->pdev.bus, &vp->pdev);
    }
    msix_uninit(&vp->pdev);
    for (unsigned i = 0; i < VIRTIO_PCI_MAX_QUEUES; i++) {
        VirtioPciQueue *q = &vp->queues[i];

        if (q->kick_fd >= 0) {
            close(q->kick_fd);
            q->kick_fd = -1;
        }
        if (q->call_fd >= 0) {
            close(q->call_fd);
            q->call_fd = -1;
        }
    }
    memory_region_finalize(&vp->common_mr);
    memory_region_finalize(&vp->isr_mr);
    memory_region_finalize(&vp->device_mr);
    memory_region_finalize(&vp->notify_mr);
    memory_region_finalize(&vp->bar4);
    memory_region_finalize(&vp->msix_table_mr);
    memory_region_finalize(&vp->msix_pba_mr);
    memory_region_finalize(&vp->msix_bar);
}

void virtio_pci_print_stats(VirtioPci *vp, GString *out)
{
    g_string_append_printf(out, "  virtio %s: status 0x%02x, features 0x%" PRIx64 ", backend "
                           "started %" PRIu64 " times\n", vp->name, vp->status,
                           vp->started_features, vp->starts);
    for (unsigned i = 0; i < vp->nr_queues; i++) {
        const VirtioPciQueue *q = &vp->queues[i];

        g_string_append_printf(out, "  virtio %s queue %u: %s, %s, userspace wakeups %" PRIu64
                               ", trapped kicks %" PRIu64 "\n", vp->name, i,
                               q->ioeventfd ? "ioeventfd" : "kicks trapped",
                               q->irqfd || q->used_irqfd ? "irqfd" : "no irqfd", q->wakeups,
                               q->trapped_kicks);
    }
    if (vp->model->print_stats) {
        vp->model->print_stats(vp, out);
    }
}
