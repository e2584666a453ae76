// SPDX-License-Identifier: GPL-2.0-only
/* vhost: starting and stopping a backend's rings (either kind), and the vhost-kernel ioctls
 * (include/hw/virtio/vhost.h). */
#define G_LOG_DOMAIN "armpass-vhost"
#include "hw/virtio/vhost.h"

#include "system/hostmem.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/vhost.h>
#include <linux/virtio_ring.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

G_DEFINE_QUARK(armpass-vhost-error-quark, armpass_vhost_error)

/* ---- vhost-kernel --------------------------------------------------------------------------- */

static bool kioctl(VhostBackend *b, unsigned long req, const char *name, void *arg,
                   GError **errp)
{
    int ret;

    b->request_count++;
    do {
        ret = ioctl(b->fd, req, arg);
    } while (ret < 0 && errno == EINTR);
    if (ret < 0) {
        g_set_error(errp, VHOST_ERROR, errno, "%s: %s: %s", b->label, name, g_strerror(errno));
        return false;
    }
    return true;
}

static bool k_get_features(VhostBackend *b, uint64_t *f, GError **errp)
{
    return kioctl(b, VHOST_GET_FEATURES, "VHOST_GET_FEATURES", f, errp);
}

static bool k_set_features(VhostBackend *b, uint64_t f, GError **errp)
{
    return kioctl(b, VHOST_SET_FEATURES, "VHOST_SET_FEATURES", &f, errp);
}

static bool k_set_owner(VhostBackend *b, GError **errp)
{
    return kioctl(b, VHOST_SET_OWNER, "VHOST_SET_OWNER", NULL, errp);
}

static bool k_set_mem_table(VhostBackend *b, const VhostMemRegion *r, unsigned n, GError **errp)
{
    g_autofree struct vhost_memory *m =
        g_malloc0(sizeof(*m) + n * sizeof(struct vhost_memory_region));

    m->nregions = n;
    for (unsigned i = 0; i < n; i++) {
        m->regions[i].guest_phys_addr = r[i].gpa;
        m->regions[i].memory_size = r[i].size;
        m->regions[i].userspace_addr = r[i].uaddr;
    }
    return kioctl(b, VHOST_SET_MEM_TABLE, "VHOST_SET_MEM_TABLE", m, errp);
}

static bool k_set_vring_num(VhostBackend *b, unsigned idx, unsigned num, GError **errp)
{
    struct vhost_vring_state s = { idx, num };

    return kioctl(b, VHOST_SET_VRING_NUM, "VHOST_SET_VRING_NUM", &s, errp);
}

static bool k_set_vring_addr(VhostBackend *b, unsigned idx, uint64_t desc, uint64_t used,
                             uint64_t avail, GError **errp)
{
    struct vhost_vring_addr a = {
        .index = idx,
        .desc_user_addr = desc,
        .used_user_addr = used,
        .avail_user_addr = avail,
    };

    return kioctl(b, VHOST_SET_VRING_ADDR, "VHOST_SET_VRING_ADDR", &a, errp);
}

static bool k_set_vring_base(VhostBackend *b, unsigned idx, unsigned base, GError **errp)
{
    struct vhost_vring_state s = { idx, base };

    return kioctl(b, VHOST_SET_VRING_BASE, "VHOST_SET_VRING_BASE", &s, errp);
}

static bool k_get_vring_base(VhostBackend *b, unsigned idx, unsigned *base, GError **errp)
{
    struct vhost_vring_state s = { idx, 0 };

    if (!kioctl(b, VHOST_GET_VRING_BASE, "VHOST_GET_VRING_BASE", &s, errp)) {
        return false;
    }
    *base = s.num;
    return true;
}

static bool k_set_vring_kick(VhostBackend *b, unsigned idx, int fd, GError **errp)
{
    struct vhost_vring_file f = { idx, fd };

    return kioctl(b, VHOST_SET_VRING_KICK, "VHOST_SET_VRING_KICK", &f, errp);
}

static bool k_set_vring_call(VhostBackend *b, unsigned idx, int fd, GError **errp)
{
    struct vhost_vring_file f = { idx, fd };

    return kioctl(b, VHOST_SET_VRING_CALL, "VHOST_SET_VRING_CALL", &f, errp);
}

const VhostBackendOps vhost_kernel_ops = {
    .name = "vhost-kernel",
    .get_features = k_get_features,
    .set_features = k_set_features,
    .set_owner = k_set_owner,
    .set_mem_table = k_set_mem_table,
    .set_vring_num = k_set_vring_num,
    .set_vring_addr = k_set_vring_addr,
    .set_vring_base = k_set_vring_base,
    .get_vring_base = k_get_vring_base,
    .set_vring_kick = k_set_vring_kick,
    .set_vring_call = k_set_vring_call,
};

/* ---- Starting and stopping -------------------------------------------------------------------- */

/* Guest RAM's ranges from the current view; need_fd: each with the backend's fd. */
static bool mem_table(VirtioPci *vp, bool need_fd, VhostMemRegion *r, unsigned *n,
                      const char *label, GError **errp)
{
    const FlatView *view = vp->ms->as->view;
    const HostMemBackend *be = vp->ms->ram_backend;

    *n = 0;
    for (unsigned i = 0; view && i < view->nr; i++) {
        const FlatRange *fr = &view->ranges[i];
        uint64_t uaddr;

        if (!memory_region_is_ram(fr->mr)) {
            continue;
        }
        if (*n == VHOST_MAX_REGIONS) {
            g_set_error(errp, VHOST_ERROR, E2BIG, "%s: guest RAM has more than %u ranges",
                        label, VHOST_MAX_REGIONS);
            return false;
        }
        uaddr = (uint64_t)(uintptr_t)fr->mr->host + fr->offset_in_region;
        r[*n] = (VhostMemRegion){ fr->addr, fr->size, uaddr, -1, 0 };
        if (be && be->fd >= 0 && uaddr >= (uint64_t)(uintptr_t)be->host &&
            uaddr + fr->size <= (uint64_t)(uintptr_t)be->host + be->size) {
            r[*n].fd = be->fd;
            r[*n].fd_offset = uaddr - (uint64_t)(uintptr_t)be->host;
        }
        if (need_fd && (r[*n].fd < 0 || !be->cfg->share)) {
            g_set_error(errp, VHOST_ERROR, EINVAL,
                        "%s: guest RAM is not shared, so the backend cannot map it: give "
                        "-object memory-backend-memfd,id=mem0,size=SIZE,share=on "
                        "-M virt,memory-backend=mem0", label);
            return false;
        }
        (*n)++;
    }
    return true;
}

bool vhost_start(VhostBackend *b, VirtioPci *vp, unsigned nr, uint64_t feature_mask,
                 uint64_t extra, bool need_fd, GError **errp)
{
    VhostMemRegion regions[VHOST_MAX_REGIONS];
    unsigned n;
    uint64_t features = (vp->guest_features & feature_mask) | extra;

    if (!mem_table(vp, need_fd, regions, &n, b->label, errp) ||
        !b->ops->set_features(b, features, errp) ||
        !b->ops->set_mem_table(b, regions, n, errp)) {
        return false;
    }
    b->nr_started = 0;
    for (unsigned i = 0; i < nr; i++) {
        VirtioPciQueue *q = &vp->queues[i];
        uint64_t desc, avail, used;

        if (!q->enabled) {
            continue;
        }
        desc = virtio_pci_gpa_to_hva(vp, q->desc, 16ULL * q->size);
        avail = virtio_pci_gpa_to_hva(vp, q->driver, 6 + 2ULL * q->size);
        used = virtio_pci_gpa_to_hva(vp, q->device, 6 + 8ULL * q->size);
        if (!desc || !avail || !used) {
            g_set_error(errp, VHOST_ERROR, EFAULT, "%s: queue %u's rings (0x%" PRIx64 ", 0x%"
                        PRIx64 ", 0x%" PRIx64 ") are not in guest RAM", b->label, i, q->desc,
                        q->driver, q->device);
            vhost_stop(b);
            return false;
        }
        if (!b->ops->set_vring_num(b, i, q->size, errp) ||
            !b->ops->set_vring_base(b, i, 0, errp) ||
            !b->ops->set_vring_addr(b, i, desc, used, avail, errp) ||
            !b->ops->set_vring_kick(b, i, q->kick_fd, errp) ||
            !b->ops->set_vring_call(b, i, q->call_fd, errp)) {
            vhost_stop(b);
            return false;
        }
        b->nr_started = i + 1;
        if (b->ops->set_vring_enable && !b->ops->set_vring_enable(b, i, true, errp)) {
            vhost_stop(b);
            return false;
        }
    }
    b->started = true;
    g_debug("%s: started, features 0x%" PRIx64 ", %u memory regions, %u rings", b->label,
            features, n, b->nr_started);
    return true;
}

void vhost_stop(VhostBackend *b)
{
    for (unsigned i = 0; i < b->nr_started && b->fd >= 0; i++) {
        g_autoptr(GError) err = NULL;
        unsigned base;

        if (b->ops->set_vring_enable) {
            b->ops->set_vring_enable(b, i, false, NULL);
        }
        if (!b->ops->get_vring_base(b, i, &base, &err)) {
            g_debug("%s", err->message);
        }
    }
    b->nr_started = 0;
    b->started = false;
}

void vhost_close(VhostBackend *b)
{
    if (b->fd >= 0) {
        close(b->fd);
        b->fd = -1;
    }
}
