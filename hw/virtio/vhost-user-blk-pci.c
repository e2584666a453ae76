// SPDX-License-Identifier: GPL-2.0-only
/*
 * vhost-user-blk-pci: a virtio block device (virtio 1.2, 5.2) whose queues a vhost-user
 * backend serves (qemu-storage-daemon --export type=vhost-user-blk). armpass takes the
 * device's configuration (capacity, block size, queues) from the backend (GET_CONFIG) and
 * hands the rings over at DRIVER_OK; it never sees a request. The backend's socket closing
 * while the guest runs fails the device (DEVICE_NEEDS_RESET) and nothing else.
 */
#define G_LOG_DOMAIN "armpass-virtio"
#include "hw/virtio/virtio-devices.h"

#include "hw/virtio/vhost.h"
#include "system/hostmem.h"

#include <errno.h>
#include <glib-unix.h>
#include <inttypes.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <string.h>

#define BLK_QUEUE_SIZE 128
/* The configuration armpass asks the backend for and shows the guest: struct
 * virtio_blk_config up to the write-zeroes fields (virtio 1.2, 5.2.4; as QEMU 7.2 does), not
 * the zoned ones newer headers add. */
#define BLK_CONFIG_SIZE 60
#define VU_F_PROTOCOL_FEATURES (1ULL << 30)

typedef struct VhostUserBlkPci {
    DeviceState parent;
    char *chardev;
    char *addr;
    uint64_t num_queues;
    bool num_queues_set;
    VirtioPci vp;
    VhostBackend be;
    char *label;
    unsigned nr_queues;
    guint hup_watch;
    bool failed;
} VhostUserBlkPci;

static const Property vhost_user_blk_props[] = {
    { "chardev", PROP_STRING, offsetof(VhostUserBlkPci, chardev), 0,
      "the id of the -chardev socket the backend listens on (required)" },
    { "num-queues", PROP_UINT64, offsetof(VhostUserBlkPci, num_queues),
      offsetof(VhostUserBlkPci, num_queues_set),
      "request queues (default: the vCPUs, at most what the backend offers)" },
    { "addr", PROP_STRING, offsetof(VhostUserBlkPci, addr), 0,
      "slot and function on the root bus SLOT[.FN] in hex (default: the first free slot)" },
    PROP_END,
};

/* The features of a block device armpass lets through (5.2.3): the backend's say what the
 * device can do; armpass adds none of its own. */
static const uint64_t blk_features =
    (1ULL << VIRTIO_BLK_F_SIZE_MAX) | (1ULL << VIRTIO_BLK_F_SEG_MAX) |
    (1ULL << VIRTIO_BLK_F_GEOMETRY) | (1ULL << VIRTIO_BLK_F_RO) |
    (1ULL << VIRTIO_BLK_F_BLK_SIZE) | (1ULL << VIRTIO_BLK_F_FLUSH) |
    (1ULL << VIRTIO_BLK_F_TOPOLOGY) | (1ULL << VIRTIO_BLK_F_CONFIG_WCE) |
    (1ULL << VIRTIO_BLK_F_MQ) | (1ULL << VIRTIO_BLK_F_DISCARD) |
    (1ULL << VIRTIO_BLK_F_WRITE_ZEROES) | (1ULL << VIRTIO_RING_F_INDIRECT_DESC) |
    (1ULL << VIRTIO_RING_F_EVENT_IDX) | (1ULL << VIRTIO_F_VERSION_1);

static bool blk_start(VirtioPci *vp, GError **errp)
{
    VhostUserBlkPci *d = vp->opaque;

    if (d->failed) {
        g_set_error(errp, VHOST_ERROR, ECONNRESET, "%s: the backend is gone", d->label);
        return false;
    }
    return vhost_start(&d->be, vp, d->nr_queues, vp->host_features,
                       d->be.features & VU_F_PROTOCOL_FEATURES, true, errp);
}

static void blk_stop(VirtioPci *vp)
{
    VhostUserBlkPci *d = vp->opaque;

    if (!d->failed) {
        vhost_stop(&d->be);
    }
}

static void blk_print_stats(VirtioPci *vp, GString *out)
{
    VhostUserBlkPci *d = vp->opaque;

    g_string_append_printf(out, "  virtio %s backend: %s, %" PRIu64 " requests sent%s\n",
                           vp->name, d->label, d->be.request_count,
                           d->failed ? ", FAILED (the backend went away)" : "");
}

static const VirtioPciModel blk_model = {
    .device_id = VIRTIO_ID_BLOCK,
    .class_code = 0x010000, /* mass storage, SCSI (as QEMU's virtio-blk-pci) */
    .start = blk_start,
    .stop = blk_stop,
    .print_stats = blk_print_stats,
};

/* The backend closed its socket: the device fails, the guest and armpass go on. */
static gboolean blk_hup(gint fd, GIOCondition cond, gpointer opaque)
{
    VhostUserBlkPci *d = opaque;

    (void)fd;
    (void)cond;
    d->hup_watch = 0;
    if (d->failed) {
        return G_SOURCE_REMOVE;
    }
    d->failed = true;
    g_warning("%s: the backend closed the connection: the guest's device fails "
              "(DEVICE_NEEDS_RESET); the guest and every other device go on", d->label);
    armpass_mutex_lock(&d->vp.ms->as->dispatch_lock);
    d->vp.started = false;
    virtio_pci_set_failed(&d->vp);
    armpass_mutex_unlock(&d->vp.ms->as->dispatch_lock);
    virtio_device_failed(d->vp.ms, d->parent.id, d->label);
    return G_SOURCE_REMOVE;
}

static bool vhost_user_blk_realize(DeviceState *dev, MachineState *ms, GError **errp)
{
    VhostUserBlkPci *d = (VhostUserBlkPci *)dev;
    struct virtio_blk_config cfg;
    const char *path;
    unsigned backend_queues;
    int devfn;

    d->be.fd = -1;
    if (!d->chardev) {
        g_set_error(errp, VHOST_ERROR, EINVAL, "vhost-user-blk-pci needs chardev=ID, a -chardev "
                    "socket,id=ID,path=SOCK where the backend listens");
        return false;
    }
    path = ms->cfg ? g_hash_table_lookup(ms->cfg->chardevs, d->chardev) : NULL;
    if (!path) {
        g_set_error(errp, VHOST_ERROR, ENOENT, "vhost-user-blk-pci chardev=%s: no -chardev "
                    "socket has that id (add -chardev socket,id=%s,path=SOCK)", d->chardev,
                    d->chardev);
        return false;
    }
    if (!pci_parse_addr(d->addr, &devfn, errp)) {
        return false;
    }
    if (ms->ram_backend && (ms->ram_backend->fd < 0 || !ms->ram_backend->cfg->share)) {
        g_set_error(errp, VHOST_ERROR, EINVAL, "vhost-user-blk-pci %s: guest RAM is not shared, "
                    "so the backend cannot map it: give -object memory-backend-memfd,id=mem0,"
                    "size=SIZE,share=on -M virt,memory-backend=mem0", dev->id);
        return false;
    }
    d->label = g_strdup_printf("vhost-user-blk %s (%s)", dev->id, path);
    d->be.label = d->label;
    d->be.ops = &vhost_user_ops;
    if (!vhost_user_connect(&d->be, path, errp)) {
        return false;
    }
    if (!(d->be.features & (1ULL << VIRTIO_F_VERSION_1))) {
        g_set_error(errp, VHOST_ERROR, ENOTSUP, "%s: the backend does not offer "
                    "VIRTIO_F_VERSION_1 (armpass's transport is virtio 1.x only)", d->label);
        vhost_close(&d->be);
        return false;
    }
    if (!vhost_user_get_queue_num(&d->be, &backend_queues, errp)) {
        vhost_close(&d->be);
        return false;
    }
    d->nr_queues = d->num_queues_set ? (unsigned)d->num_queues
                                     : MIN(backend_queues, ms->cfg ? ms->cfg->smp : 1);
    if (d->nr_queues < 1 || d->nr_queues > backend_queues ||
        d->nr_queues > VIRTIO_PCI_MAX_QUEUES - 1) {
        g_set_error(errp, VHOST_ERROR, EINVAL, "%s: num-queues=%u, but the backend serves at "
                    "most %u (give num-queues=1..%u, or start the backend with more, e.g. "
                    "num-queues=%u on its --export)", d->label, d->nr_queues, backend_queues,
                    MIN(backend_queues, VIRTIO_PCI_MAX_QUEUES - 1), d->nr_queues);
        vhost_close(&d->be);
        return false;
    }
    G_STATIC_ASSERT(sizeof(cfg) >= BLK_CONFIG_SIZE);
    memset(&cfg, 0, sizeof(cfg));
    if (!vhost_user_get_config(&d->be, (uint8_t *)&cfg, BLK_CONFIG_SIZE, errp)) {
        vhost_close(&d->be);
        return false;
    }
    cfg.num_queues = (uint16_t)d->nr_queues; /* little-endian host */
    memcpy(d->vp.config, &cfg, BLK_CONFIG_SIZE);
    d->vp.config_len = BLK_CONFIG_SIZE;
    if (!virtio_pci_realize(&d->vp, ms, dev->id, &blk_model, d, devfn, d->nr_queues,
                            BLK_QUEUE_SIZE,
                            (d->be.features & blk_features) |
                                (d->nr_queues > 1 ? 1ULL << VIRTIO_BLK_F_MQ : 0),
                            errp)) {
        vhost_close(&d->be);
        return false;
    }
    if (!(d->vp.host_features & (1ULL << VIRTIO_BLK_F_MQ)) || d->nr_queues == 1) {
        d->vp.host_features &= ~(1ULL << VIRTIO_BLK_F_MQ);
    }
    if (ms->main_context) {
        GSource *src = g_unix_fd_source_new(d->be.fd, G_IO_HUP | G_IO_ERR);

        g_source_set_callback(src, (GSourceFunc)(void (*)(void))blk_hup, d, NULL);
        d->hup_watch = g_source_attach(src, ms->main_context);
        g_source_unref(src);
    }
    g_debug("%s: %" PRIu64 " sectors, %u queues", d->label, (uint64_t)cfg.capacity,
            d->nr_queues);
    return true;
}

static void vhost_user_blk_unrealize(DeviceState *dev, MachineState *ms)
{
    VhostUserBlkPci *d = (VhostUserBlkPci *)dev;

    if (d->hup_watch) {
        GSource *src = g_main_context_find_source_by_id(ms->main_context, d->hup_watch);

        if (src) {
            g_source_destroy(src);
        }
        d->hup_watch = 0;
    }
    virtio_pci_unrealize(&d->vp);
    vhost_close(&d->be);
    g_clear_pointer(&d->label, g_free);
}

static bool vhost_user_blk_fdt(DeviceState *dev, MachineState *ms, void *fdt, GError **errp)
{
    (void)dev;
    (void)ms;
    (void)fdt;
    (void)errp;
    return true; /* a PCI device: the host bridge's node covers it */
}

static void vhost_user_blk_stats(DeviceState *dev, GString *out)
{
    virtio_pci_print_stats(&((VhostUserBlkPci *)dev)->vp, out);
}

const DeviceClass vhost_user_blk_pci_device_class = {
    .name = "vhost-user-blk-pci",
    .desc = "a virtio block device served by a vhost-user backend (qemu-storage-daemon)",
    .instance_size = sizeof(VhostUserBlkPci),
    .props = vhost_user_blk_props,
    .realize = vhost_user_blk_realize,
    .fdt_node = vhost_user_blk_fdt,
    .unrealize = vhost_user_blk_unrealize,
    .print_stats = vhost_user_blk_stats,
    .pci = true,
};
