// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests of vhost-user (against a fake backend on a real Unix socket: the negotiation,
 * the memory table with guest RAM's memfd, the rings, stopping them, a backend that goes
 * away) and of vhost_start's checks (guest RAM not shared, rings outside RAM). */
#include "hw/virtio/vhost.h"
#include "system/hostmem.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <linux/virtio_config.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MiB (1024 * 1024ULL)

/* ---- A fake vhost-user backend ------------------------------------------------------------ */

typedef struct Fake {
    char *path;
    int listen_fd;
    GThread *thread;
    GString *log;          /* "request[fds] " per message received */
    uint64_t features;     /* what GET_FEATURES answers */
    uint64_t protocol;     /* what GET_PROTOCOL_FEATURES answers */
    uint64_t queues;       /* GET_QUEUE_NUM */
    uint64_t set_features, set_protocol;
    uint32_t mem_regions;
    uint64_t mem_gpa, mem_size, mem_offset;
    int close_after;       /* close the connection after this many messages (0: never) */
} Fake;

static bool rd(int fd, void *buf, size_t len, int *fds, int *nfds)
{
    struct iovec iov = { buf, len };
    char ctl[CMSG_SPACE(sizeof(int) * 8)];
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
                         .msg_controllen = sizeof(ctl) };
    ssize_t n = recvmsg(fd, &mh, MSG_WAITALL);
    struct cmsghdr *c;

    if (n != (ssize_t)len) {
        return false;
    }
    for (c = CMSG_FIRSTHDR(&mh); c && nfds; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_type == SCM_RIGHTS) {
            *nfds = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
            memcpy(fds, CMSG_DATA(c), sizeof(int) * (size_t)*nfds);
        }
    }
    return true;
}

static void reply(int fd, uint32_t req, const void *payload, uint32_t size)
{
    uint32_t hdr[3] = { req, 0x5, size };

    g_assert_cmpint(write(fd, hdr, 12), ==, 12);
    if (size) {
        g_assert_cmpint(write(fd, payload, size), ==, (ssize_t)size);
    }
}

static gpointer fake_run(gpointer opaque)
{
    Fake *f = opaque;
    int c = accept(f->listen_fd, NULL, NULL);
    int count = 0;

    g_assert_cmpint(c, >=, 0);
    for (;;) {
        uint32_t hdr[3];
        uint8_t p[512];
        int fds[8], nfds = 0;

        if (!rd(c, hdr, 12, fds, &nfds) || (hdr[2] && !rd(c, p, hdr[2], fds, &nfds))) {
            break;
        }
        g_string_append_printf(f->log, "%u%s ", hdr[0], nfds ? "+fd" : "");
        for (int i = 0; i < nfds; i++) {
            close(fds[i]);
        }
        count++;
        switch (hdr[0]) {
        case 1: /* GET_FEATURES */
            reply(c, 1, &f->features, 8);
            break;
        case 2:
            memcpy(&f->set_features, p, 8);
            break;
        case 5: /* SET_MEM_TABLE */
            memcpy(&f->mem_regions, p, 4);
            memcpy(&f->mem_gpa, p + 8, 8);
            memcpy(&f->mem_size, p + 16, 8);
            memcpy(&f->mem_offset, p + 32, 8);
            break;
        case 11: { /* GET_VRING_BASE */
            uint32_t st[2];
            memcpy(st, p, 8);
            st[1] = 7;
            reply(c, 11, st, 8);
            break;
        }
        case 15:
            reply(c, 15, &f->protocol, 8);
            break;
        case 16:
            memcpy(&f->set_protocol, p, 8);
            break;
        case 17:
            reply(c, 17, &f->queues, 8);
            break;
        case 24: { /* GET_CONFIG: capacity 2048 sectors, num_queues as asked */
            uint8_t cfg[12 + 60] = { 0 };
            uint32_t size;
            uint64_t cap = 2048;

            memcpy(&size, p + 4, 4);
            memcpy(cfg + 4, &size, 4);
            memcpy(cfg + 12, &cap, 8);
            reply(c, 24, cfg, 12 + size);
            break;
        }
        }
        if (f->close_after && count >= f->close_after) {
            break;
        }
    }
    close(c);
    return NULL;
}

static void fake_start(Fake *f)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    g_autofree char *dir = g_dir_make_tmp("vhost-user-XXXXXX", NULL);

    f->path = g_build_filename(dir, "sock", NULL);
    f->log = g_string_new(NULL);
    g_strlcpy(sa.sun_path, f->path, sizeof(sa.sun_path));
    f->listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
    g_assert_cmpint(bind(f->listen_fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    g_assert_cmpint(listen(f->listen_fd, 1), ==, 0);
    f->thread = g_thread_new("fake-vhost-user", fake_run, f);
}

/* Waits for the fake to see the connection close; its log stays until fake_stop. */
static void fake_join(Fake *f)
{
    if (f->thread) {
        g_thread_join(f->thread);
        f->thread = NULL;
    }
}

static void fake_stop(Fake *f)
{
    g_autofree char *dir = g_path_get_dirname(f->path);

    fake_join(f);
    close(f->listen_fd);
    unlink(f->path);
    g_rmdir(dir);
    g_free(f->path);
    g_string_free(f->log, TRUE);
}

/* ---- A guest: RAM in a memfd backend, one virtqueue in it --------------------------------- */

typedef struct Guest {
    MachineState ms;
    MemoryRegion sysmem, ram;
    AddressSpace as;
    HostMemBackend *be;
    VirtioPci vp;
} Guest;

static void guest_init(Guest *g, bool share)
{
    HostMemHost host;
    g_autoptr(HostMemConfig) c = hostmem_config_new(HOSTMEM_MEMFD, "mem0");

    memset(g, 0, sizeof(*g));
    hostmem_host_read("/sys", "/proc", &host);
    c->size = 16 * MiB;
    c->share = share;
    g->be = hostmem_backend_new(c, &host, NULL);
    g_assert_nonnull(g->be);
    memory_region_init_container(&g->sysmem, "system", 1ULL << 40);
    memory_region_init_ram_ptr(&g->ram, "ram", g->be->size, g->be->host);
    g_assert_true(memory_region_add_subregion(&g->sysmem, 0x40000000, &g->ram, 0, NULL));
    address_space_init(&g->as, &g->sysmem, "memory");
    g_assert_true(address_space_commit(&g->as, NULL));
    g->ms.as = &g->as;
    g->ms.ram_backend = g->be;
    g->vp.ms = &g->ms;
    g->vp.nr_queues = 1;
    g->vp.guest_features = (1ULL << VIRTIO_F_VERSION_1) | (1ULL << 28);
    g->vp.queues[0] = (VirtioPciQueue){ .size = 128, .enabled = true, .desc = 0x40001000,
                                        .driver = 0x40002000, .device = 0x40003000,
                                        .kick_fd = 0, .call_fd = 1, .gsi = -1 };
}

static void guest_clear(Guest *g)
{
    address_space_destroy(&g->as);
    memory_region_finalize(&g->ram);
    memory_region_finalize(&g->sysmem);
    hostmem_backend_free(g->be);
}

/* ---- Tests -------------------------------------------------------------------------------- */

static void test_negotiate_and_start(void)
{
    Fake f = { .features = (1ULL << VIRTIO_F_VERSION_1) | (1ULL << 30) | (1ULL << 28),
               .protocol = (1ULL << 0) | (1ULL << 9) | (1ULL << 3), .queues = 4 };
    VhostBackend b = { .fd = -1, .label = "vhost-user test" };
    g_autoptr(GError) err = NULL;
    uint8_t cfg[60];
    uint64_t cap;
    unsigned n;
    Guest g;

    fake_start(&f);
    g_assert_true(vhost_user_connect(&b, f.path, &err));
    g_assert_no_error(err);
    /* only the protocol features armpass uses are taken (MQ, CONFIG; not REPLY_ACK) */
    g_assert_cmphex(b.protocol_features, ==, (1ULL << 0) | (1ULL << 9));
    g_assert_true(vhost_user_get_queue_num(&b, &n, NULL));
    g_assert_cmpuint(n, ==, 4);
    g_assert_true(vhost_user_get_config(&b, cfg, sizeof(cfg), NULL));
    memcpy(&cap, cfg, 8);
    g_assert_cmpuint(cap, ==, 2048);

    guest_init(&g, true);
    g_assert_true(vhost_start(&b, &g.vp, 1, ~0ULL, 1ULL << 30, true, &err));
    g_assert_no_error(err);
    g_assert_true(b.started);
    vhost_stop(&b);
    g_assert_false(b.started);
    vhost_close(&b);
    fake_join(&f);
    /* the order of vhost-user.rst: features, protocol features, owner; then at start the
     * features, the memory table with guest RAM's fd, and per ring num, base, addr, kick
     * and call (each with its eventfd) and enable; at stop disable and GET_VRING_BASE */
    g_assert_cmpstr(f.log->str, ==, "1 15 16 3 17 24 2 5+fd 8 10 9 12+fd 13+fd 18 18 11 ");
    g_assert_cmphex(f.set_features, ==, (1ULL << VIRTIO_F_VERSION_1) | (1ULL << 28) |
                                            (1ULL << 30));
    g_assert_cmphex(f.set_protocol, ==, (1ULL << 0) | (1ULL << 9));
    g_assert_cmpuint(f.mem_regions, ==, 1);
    g_assert_cmphex(f.mem_gpa, ==, 0x40000000);
    g_assert_cmphex(f.mem_size, ==, 16 * MiB);
    g_assert_cmphex(f.mem_offset, ==, 0);
    guest_clear(&g);
    fake_stop(&f);
}

static void test_errors(void)
{
    VhostBackend b = { .fd = -1, .label = "vhost-user test" };
    Guest g;

    {   /* nobody listening */
        g_autoptr(GError) err = NULL;
        g_assert_false(vhost_user_connect(&b, "/nonexistent/vhost.sock", &err));
        g_assert_nonnull(strstr(err->message, "cannot connect to /nonexistent/vhost.sock"));
        g_assert_nonnull(strstr(err->message, "qemu-storage-daemon"));
        g_assert_cmpint(b.fd, ==, -1);
    }
    {   /* the backend hangs up in the middle of the negotiation */
        Fake f = { .features = 1ULL << 30, .close_after = 1 };
        g_autoptr(GError) err = NULL;

        fake_start(&f);
        g_assert_false(vhost_user_connect(&b, f.path, &err));
        g_assert_nonnull(strstr(err->message, "closed the connection"));
        g_assert_cmpint(b.fd, ==, -1);
        fake_stop(&f);
    }
    {   /* guest RAM that is not shared: the backend could not map it */
        Fake f = { .features = 1ULL << VIRTIO_F_VERSION_1 };
        g_autoptr(GError) err = NULL;

        fake_start(&f);
        g_assert_true(vhost_user_connect(&b, f.path, NULL));
        guest_init(&g, false);
        g_assert_false(vhost_start(&b, &g.vp, 1, ~0ULL, 0, true, &err));
        g_assert_nonnull(strstr(err->message, "guest RAM is not shared"));
        g_assert_nonnull(strstr(err->message, "share=on"));
        guest_clear(&g);
        vhost_close(&b);
        fake_stop(&f);
    }
    {   /* a ring outside guest RAM: nothing started, the rings already set stopped */
        Fake f = { .features = 1ULL << VIRTIO_F_VERSION_1 };
        g_autoptr(GError) err = NULL;

        fake_start(&f);
        g_assert_true(vhost_user_connect(&b, f.path, NULL));
        guest_init(&g, true);
        g.vp.queues[0].desc = 0x10000000;
        g_assert_false(vhost_start(&b, &g.vp, 1, ~0ULL, 0, true, &err));
        g_assert_nonnull(strstr(err->message, "queue 0's rings"));
        g_assert_nonnull(strstr(err->message, "are not in guest RAM"));
        g_assert_false(b.started);
        guest_clear(&g);
        vhost_close(&b);
        fake_stop(&f);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vhost-user/negotiate-and-start", test_negotiate_and_start);
    g_test_add_func("/vhost-user/errors", test_errors);
    return g_test_run();
}
