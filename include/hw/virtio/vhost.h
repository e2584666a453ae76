/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vhost: the virtqueues of a virtio device handed to a backend outside armpass, in the
 * kernel (vhost-net, vhost-vsock: ioctls on /dev/vhost-*) or in another process (vhost-user:
 * messages on a Unix socket). armpass gives the backend guest RAM's layout (the memory
 * table), the negotiated features and, per ring, its size, its addresses (host-virtual in
 * armpass, which the table maps), its start index and two eventfds: the kick (the guest's
 * notification, a KVM ioeventfd) and the call (the interrupt, a KVM irqfd). From then on the
 * data path never enters armpass.
 *
 * Source: include/uapi/linux/vhost.h (Linux 6.1); QEMU's docs/interop/vhost-user.rst (the
 * protocol: "Front-end message types", "Ring states", "Memory region description").
 */
#ifndef ARMPASS_HW_VIRTIO_VHOST_H
#define ARMPASS_HW_VIRTIO_VHOST_H

#include "hw/virtio/virtio-pci.h"

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#define VHOST_ERROR armpass_vhost_error_quark()
GQuark armpass_vhost_error_quark(void);

#define VHOST_MAX_REGIONS 8 /* vhost-user's VHOST_MEMORY_BASELINE_NREGIONS */

/* One range of guest RAM for the backend. */
typedef struct VhostMemRegion {
    uint64_t gpa;        /* guest-physical base, bytes */
    uint64_t size;       /* bytes */
    uint64_t uaddr;      /* host-virtual base in armpass */
    int fd;              /* the memory's fd (vhost-user maps it), -1: none */
    uint64_t fd_offset;  /* where uaddr is in fd, bytes */
} VhostMemRegion;

typedef struct VhostBackend VhostBackend;

/* One backend kind's calls. Each returns false with *errp naming the request and why. */
typedef struct VhostBackendOps {
    const char *name; /* "vhost-user", "vhost-kernel" */
    bool (*get_features)(VhostBackend *b, uint64_t *features, GError **errp);
    bool (*set_features)(VhostBackend *b, uint64_t features, GError **errp);
    bool (*set_owner)(VhostBackend *b, GError **errp);
    bool (*set_mem_table)(VhostBackend *b, const VhostMemRegion *r, unsigned n, GError **errp);
    bool (*set_vring_num)(VhostBackend *b, unsigned idx, unsigned num, GError **errp);
    bool (*set_vring_addr)(VhostBackend *b, unsigned idx, uint64_t desc, uint64_t used,
                           uint64_t avail, GError **errp);
    bool (*set_vring_base)(VhostBackend *b, unsigned idx, unsigned base, GError **errp);
    bool (*get_vring_base)(VhostBackend *b, unsigned idx, unsigned *base, GError **errp);
    bool (*set_vring_kick)(VhostBackend *b, unsigned idx, int fd, GError **errp);
    bool (*set_vring_call)(VhostBackend *b, unsigned idx, int fd, GError **errp);
    /* vhost-user with protocol features: rings start disabled. NULL: nothing to do. */
    bool (*set_vring_enable)(VhostBackend *b, unsigned idx, bool on, GError **errp);
} VhostBackendOps;

struct VhostBackend {
    const VhostBackendOps *ops;
    int fd;                  /* /dev/vhost-* or the vhost-user socket; -1: closed */
    const char *label;       /* "vhost-user blk0 (/run/blk.sock)": for messages */
    uint64_t features;       /* what the backend offers (get_features at connect) */
    uint64_t protocol_features; /* vhost-user: negotiated protocol features */
    bool started;
    unsigned nr_started;     /* rings started (get_vring_base on stop) */
    uint64_t request_count;  /* messages or ioctls sent: -d stats */
};

/* vhost-kernel: ops for a /dev/vhost-* fd (ioctls through the host's ioctl(2)). */
extern const VhostBackendOps vhost_kernel_ops;
/* vhost-user: ops for a connected socket (hw/virtio/vhost-user.c). */
extern const VhostBackendOps vhost_user_ops;

/*
 * Starts the backend on vp's enabled queues 0..nr-1 with the driver's features masked to
 * feature_mask (plus extra, e.g. VHOST_USER_F_PROTOCOL_FEATURES): the memory table from guest
 * RAM (every RAM range of the current view; need_fd: each must have an fd, i.e. shared guest
 * RAM), then per ring num, base 0, addresses, kick, call (and enable). Errors: guest RAM not
 * shareable (need_fd), a ring outside guest RAM, a backend call's error.
 */
bool vhost_start(VhostBackend *b, VirtioPci *vp, unsigned nr, uint64_t feature_mask,
                 uint64_t extra, bool need_fd, GError **errp);
/* Stops every started ring (get_vring_base: the backend lets go of it). Never fails: what
 * the backend refuses is logged. */
void vhost_stop(VhostBackend *b);

/*
 * vhost-user: connects to the Unix socket at path and negotiates: GET_FEATURES, protocol
 * features (CONFIG, MQ, when offered), SET_OWNER. Errors (one line, naming path and what to
 * do): no such socket or nobody listening, the backend refused or closed the connection,
 * a malformed reply.
 */
bool vhost_user_connect(VhostBackend *b, const char *path, GError **errp);
/* vhost-user: GET_QUEUE_NUM (protocol feature MQ), else 1. */
bool vhost_user_get_queue_num(VhostBackend *b, unsigned *n, GError **errp);
/* vhost-user: GET_CONFIG of len bytes from offset 0 (protocol feature CONFIG). */
bool vhost_user_get_config(VhostBackend *b, uint8_t *buf, unsigned len, GError **errp);
/* Closes the backend's fd. */
void vhost_close(VhostBackend *b);

#endif
