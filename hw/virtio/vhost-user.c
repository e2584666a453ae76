// SPDX-License-Identifier: GPL-2.0-only
/* The vhost-user front end: messages on a Unix socket, descriptors in SCM_RIGHTS
 * (QEMU's docs/interop/vhost-user.rst; include/hw/virtio/vhost.h). */
#define G_LOG_DOMAIN "armpass-vhost"
#include "hw/virtio/vhost.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* Message types (vhost-user.rst, "Front-end message types"). */
enum {
    VU_GET_FEATURES = 1,
    VU_SET_FEATURES = 2,
    VU_SET_OWNER = 3,
    VU_SET_MEM_TABLE = 5,
    VU_SET_VRING_NUM = 8,
    VU_SET_VRING_ADDR = 9,
    VU_SET_VRING_BASE = 10,
    VU_GET_VRING_BASE = 11,
    VU_SET_VRING_KICK = 12,
    VU_SET_VRING_CALL = 13,
    VU_GET_PROTOCOL_FEATURES = 15,
    VU_SET_PROTOCOL_FEATURES = 16,
    VU_GET_QUEUE_NUM = 17,
    VU_SET_VRING_ENABLE = 18,
    VU_GET_CONFIG = 24,
};

#define VU_VERSION 0x1
#define VU_REPLY 0x4
#define VU_HDR_SIZE 12
#define VU_VRING_NOFD (1u << 8)
/* Protocol features armpass uses (vhost-user.rst, "Protocol features"). */
#define VU_PROTOCOL_F_MQ 0
#define VU_PROTOCOL_F_CONFIG 9
#define VU_F_PROTOCOL_FEATURES 30 /* the virtio feature bit that announces them */

typedef struct VuMsg {
    uint32_t request;
    uint32_t flags;
    uint32_t size;
    union {
        uint64_t u64;
        struct {
            uint32_t index, num;
        } state;
        struct {
            uint32_t index, flags;
            uint64_t desc, used, avail, log;
        } addr;
        struct {
            uint32_t nregions, padding;
            struct {
                uint64_t gpa, size, uaddr, mmap_offset;
            } regions[VHOST_MAX_REGIONS];
        } mem;
        struct {
            uint32_t offset, size, flags;
            uint8_t region[256];
        } config;
    } p;
} __attribute__((packed)) VuMsg;

static bool vu_send(VhostBackend *b, VuMsg *m, const int *fds, unsigned nfds, GError **errp)
{
    struct iovec iov = { m, VU_HDR_SIZE + m->size };
    char ctl[CMSG_SPACE(sizeof(int) * VHOST_MAX_REGIONS)];
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
    ssize_t n;

    m->flags = VU_VERSION;
    if (nfds) {
        struct cmsghdr *c;

        memset(ctl, 0, sizeof(ctl));
        mh.msg_control = ctl;
        mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
        c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
    }
    b->request_count++;
    do {
        n = sendmsg(b->fd, &mh, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n != (ssize_t)iov.iov_len) {
        g_set_error(errp, VHOST_ERROR, n < 0 ? errno : EIO, "%s: sending request %u: %s (the "
                    "backend closed the connection)", b->label, m->request,
                    n < 0 ? g_strerror(errno) : "short write");
        return false;
    }
    return true;
}

static bool read_full(int fd, void *buf, size_t len)
{
    size_t got = 0;

    while (got < len) {
        ssize_t n = read(fd, (char *)buf + got, len - got);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        got += (size_t)n;
    }
    return true;
}

/* Reads the reply to request (same type, REPLY set), of at most the payload's size. */
static bool vu_recv(VhostBackend *b, uint32_t request, VuMsg *m, GError **errp)
{
    if (!read_full(b->fd, m, VU_HDR_SIZE)) {
        g_set_error(errp, VHOST_ERROR, ECONNRESET, "%s: no reply to request %u (the backend "
                    "closed the connection)", b->label, request);
        return false;
    }
    if (m->request != request || !(m->flags & VU_REPLY) || m->size > sizeof(m->p)) {
        g_set_error(errp, VHOST_ERROR, EPROTO, "%s: the reply to request %u is not vhost-user "
                    "(request %u, flags 0x%x, size %u): not a vhost-user backend on that socket",
                    b->label, request, m->request, m->flags, m->size);
        return false;
    }
    if (!read_full(b->fd, &m->p, m->size)) {
        g_set_error(errp, VHOST_ERROR, ECONNRESET, "%s: the reply to request %u stops short "
                    "(the backend closed the connection)", b->label, request);
        return false;
    }
    return true;
}

static bool vu_u64(VhostBackend *b, uint32_t request, uint64_t v, GError **errp)
{
    VuMsg m = { .request = request, .size = 8, .p.u64 = v };

    return vu_send(b, &m, NULL, 0, errp);
}

static bool vu_get_u64(VhostBackend *b, uint32_t request, uint64_t *v, GError **errp)
{
    VuMsg m = { .request = request };

    if (!vu_send(b, &m, NULL, 0, errp) || !vu_recv(b, request, &m, errp)) {
        return false;
    }
    if (m.size != 8) {
        g_set_error(errp, VHOST_ERROR, EPROTO, "%s: reply to request %u has %u bytes, not 8",
                    b->label, request, m.size);
        return false;
    }
    *v = m.p.u64;
    return true;
}

static bool u_get_features(VhostBackend *b, uint64_t *f, GError **errp)
{
    return vu_get_u64(b, VU_GET_FEATURES, f, errp);
}

static bool u_set_features(VhostBackend *b, uint64_t f, GError **errp)
{
    return vu_u64(b, VU_SET_FEATURES, f, errp);
}

static bool u_set_owner(VhostBackend *b, GError **errp)
{
    VuMsg m = { .request = VU_SET_OWNER };

    return vu_send(b, &m, NULL, 0, errp);
}

static bool u_set_mem_table(VhostBackend *b, const VhostMemRegion *r, unsigned n, GError **errp)
{
    VuMsg m = { .request = VU_SET_MEM_TABLE };
    int fds[VHOST_MAX_REGIONS];

    m.p.mem.nregions = n;
    for (unsigned i = 0; i < n; i++) {
        m.p.mem.regions[i].gpa = r[i].gpa;
        m.p.mem.regions[i].size = r[i].size;
        m.p.mem.regions[i].uaddr = r[i].uaddr;
        m.p.mem.regions[i].mmap_offset = r[i].fd_offset;
        fds[i] = r[i].fd;
    }
    m.size = 8 + n * 32;
    return vu_send(b, &m, fds, n, errp);
}

static bool u_state(VhostBackend *b, uint32_t request, unsigned idx, unsigned num,
                    GError **errp)
{
    VuMsg m = { .request = request, .size = 8, .p.state = { idx, num } };

    return vu_send(b, &m, NULL, 0, errp);
}

static bool u_set_vring_num(VhostBackend *b, unsigned idx, unsigned num, GError **errp)
{
    return u_state(b, VU_SET_VRING_NUM, idx, num, errp);
}

static bool u_set_vring_base(VhostBackend *b, unsigned idx, unsigned base, GError **errp)
{
    return u_state(b, VU_SET_VRING_BASE, idx, base, errp);
}

static bool u_set_vring_enable(VhostBackend *b, unsigned idx, bool on, GError **errp)
{
    if (!(b->features & (1ULL << VU_F_PROTOCOL_FEATURES))) {
        return true; /* without protocol features rings start enabled */
    }
    return u_state(b, VU_SET_VRING_ENABLE, idx, on, errp);
}

static bool u_get_vring_base(VhostBackend *b, unsigned idx, unsigned *base, GError **errp)
{
    VuMsg m = { .request = VU_GET_VRING_BASE, .size = 8, .p.state = { idx, 0 } };

    if (!vu_send(b, &m, NULL, 0, errp) || !vu_recv(b, VU_GET_VRING_BASE, &m, errp)) {
        return false;
    }
    *base = m.p.state.num;
    return true;
}

static bool u_set_vring_addr(VhostBackend *b, unsigned idx, uint64_t desc, uint64_t used,
                             uint64_t avail, GError **errp)
{
    VuMsg m = { .request = VU_SET_VRING_ADDR, .size = 40 };

    m.p.addr.index = idx;
    m.p.addr.desc = desc;
    m.p.addr.used = used;
    m.p.addr.avail = avail;
    return vu_send(b, &m, NULL, 0, errp);
}

static bool u_vring_fd(VhostBackend *b, uint32_t request, unsigned idx, int fd, GError **errp)
{
    VuMsg m = { .request = request, .size = 8, .p.u64 = idx | (fd < 0 ? VU_VRING_NOFD : 0) };

    return vu_send(b, &m, &fd, fd < 0 ? 0 : 1, errp);
}

static bool u_set_vring_kick(VhostBackend *b, unsigned idx, int fd, GError **errp)
{
    return u_vring_fd(b, VU_SET_VRING_KICK, idx, fd, errp);
}

static bool u_set_vring_call(VhostBackend *b, unsigned idx, int fd, GError **errp)
{
    return u_vring_fd(b, VU_SET_VRING_CALL, idx, fd, errp);
}

const VhostBackendOps vhost_user_ops = {
    .name = "vhost-user",
    .get_features = u_get_features,
    .set_features = u_set_features,
    .set_owner = u_set_owner,
    .set_mem_table = u_set_mem_table,
    .set_vring_num = u_set_vring_num,
    .set_vring_addr = u_set_vring_addr,
    .set_vring_base = u_set_vring_base,
    .get_vring_base = u_get_vring_base,
    .set_vring_kick = u_set_vring_kick,
    .set_vring_call = u_set_vring_call,
    .set_vring_enable = u_set_vring_enable,
};

bool vhost_user_connect(VhostBackend *b, const char *path, GError **errp)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    uint64_t pf;
    int fd;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        g_set_error(errp, VHOST_ERROR, ENAMETOOLONG, "%s: socket path too long", b->label);
        return false;
    }
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        int err = errno;

        if (fd >= 0) {
            close(fd);
        }
        g_set_error(errp, VHOST_ERROR, err, "%s: cannot connect to %s: %s (start the backend "
                    "first, e.g. qemu-storage-daemon --export type=vhost-user-blk,"
                    "addr.type=unix,addr.path=%s,...)", b->label, path, g_strerror(err), path);
        return false;
    }
    b->ops = &vhost_user_ops;
    b->fd = fd;
    if (!u_get_features(b, &b->features, errp)) {
        vhost_close(b);
        return false;
    }
    if (b->features & (1ULL << VU_F_PROTOCOL_FEATURES)) {
        uint64_t want = (1ULL << VU_PROTOCOL_F_MQ) | (1ULL << VU_PROTOCOL_F_CONFIG);

        if (!vu_get_u64(b, VU_GET_PROTOCOL_FEATURES, &pf, errp) ||
            !vu_u64(b, VU_SET_PROTOCOL_FEATURES, pf & want, errp)) {
            vhost_close(b);
            return false;
        }
        b->protocol_features = pf & want;
    }
    if (!u_set_owner(b, errp)) {
        vhost_close(b);
        return false;
    }
    g_debug("%s: connected, features 0x%" PRIx64 ", protocol features 0x%" PRIx64, b->label,
            b->features, b->protocol_features);
    return true;
}

bool vhost_user_get_queue_num(VhostBackend *b, unsigned *n, GError **errp)
{
    uint64_t v;

    *n = 1;
    if (!(b->protocol_features & (1ULL << VU_PROTOCOL_F_MQ))) {
        return true;
    }
    if (!vu_get_u64(b, VU_GET_QUEUE_NUM, &v, errp)) {
        return false;
    }
    *n = (unsigned)MIN(v, 64);
    return true;
}

bool vhost_user_get_config(VhostBackend *b, uint8_t *buf, unsigned len, GError **errp)
{
    VuMsg m = { .request = VU_GET_CONFIG, .size = 12 + len };

    if (!(b->protocol_features & (1ULL << VU_PROTOCOL_F_CONFIG))) {
        g_set_error(errp, VHOST_ERROR, ENOTSUP, "%s: the backend does not offer its device "
                    "configuration (protocol feature CONFIG)", b->label);
        return false;
    }
    g_return_val_if_fail(len <= sizeof(m.p.config.region), false);
    m.p.config.offset = 0;
    m.p.config.size = len;
    if (!vu_send(b, &m, NULL, 0, errp) || !vu_recv(b, VU_GET_CONFIG, &m, errp)) {
        return false;
    }
    /* A backend may give less than asked (its own idea of the structure's size): what it
     * gives counts, the rest stays zero. */
    if (m.size < 12 + 8) {
        g_set_error(errp, VHOST_ERROR, EPROTO, "%s: GET_CONFIG gave %u bytes of configuration, "
                    "not even a capacity", b->label, m.size < 12 ? 0 : m.size - 12);
        return false;
    }
    memset(buf, 0, len);
    memcpy(buf, m.p.config.region, MIN(len, m.size - 12));
    return true;
}
