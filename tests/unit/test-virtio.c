// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests of vhost-user (against a fake backend on a real Unix socket: the negotiation,
 * the memory table with guest RAM's memfd, the rings, stopping them, a backend that goes
 * away) and of vhost_start's checks (guest RAM not shared, rings outside RAM). */
#include "hw/pci/msix.h"
#include "hw/virtio/vhost.h"
#include "system/hostmem.h"

#include <inttypes.h>
#include <linux/virtio_pci.h>

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

/* ---- The transport on a PCI bus, with a machine that records what reaches KVM ----------- */

typedef struct TBed {
    MemoryRegion sys, ram;
    AddressSpace as;
    MachineState ms;
    GPtrArray *log;     /* "route 1", "irqfd 1", "ioeventfd 0x... on", "start 0x...", "stop" */
    VirtioPci vp;
} TBed;

static TBed *tbed; /* the models' callbacks find it here */

static void tlog(TBed *b, char *line)
{
    g_ptr_array_add(b->log, line);
}

static bool t_set_spi(void *o, unsigned spi, bool level, GError **errp)
{
    (void)errp;
    tlog(o, g_strdup_printf("intx %u %d", spi, level));
    return true;
}
static bool t_irqfd(void *o, int fd, int rfd, unsigned gsi, GError **errp)
{
    (void)fd, (void)rfd, (void)errp;
    tlog(o, g_strdup_printf("irqfd %u", gsi));
    return true;
}
static bool t_irqfd_off(void *o, int fd, unsigned gsi, GError **errp)
{
    (void)fd, (void)errp;
    tlog(o, g_strdup_printf("irqfd-off %u", gsi));
    return true;
}
static bool t_has(void *o)
{
    (void)o;
    return true;
}
static unsigned next_gsi = 100;
static bool t_route(void *o, uint64_t a, uint32_t d, uint32_t id, unsigned *gsi, GError **e)
{
    (void)e;
    *gsi = next_gsi++;
    tlog(o, g_strdup_printf("route %u 0x%" PRIx64 "/0x%x devid 0x%x", *gsi, a, d, id));
    return true;
}
static bool t_route_upd(void *o, unsigned gsi, uint64_t a, uint32_t d, uint32_t id, GError **e)
{
    (void)e, (void)id;
    tlog(o, g_strdup_printf("route-update %u 0x%" PRIx64 "/0x%x", gsi, a, d));
    return true;
}
static void t_route_rel(void *o, unsigned gsi)
{
    tlog(o, g_strdup_printf("route-release %u", gsi));
}
static bool t_msi(void *o, uint64_t a, uint32_t d, uint32_t id, GError **e)
{
    (void)e, (void)id;
    tlog(o, g_strdup_printf("msi 0x%" PRIx64 "/0x%x", a, d));
    return true;
}
static bool t_ioeventfd(void *o, int fd, uint64_t addr, unsigned len, bool on, GError **e)
{
    (void)fd, (void)e;
    tlog(o, g_strdup_printf("ioeventfd 0x%" PRIx64 "/%u %s", addr, len, on ? "on" : "off"));
    return true;
}

static const MachineIrqOps t_ops = {
    .set_spi = t_set_spi, .irqfd_assign = t_irqfd, .irqfd_deassign = t_irqfd_off,
    .has_resample = t_has, .msi_route_add = t_route, .msi_route_update = t_route_upd,
    .msi_route_release = t_route_rel, .signal_msi = t_msi, .has_msi = t_has,
    .ioeventfd = t_ioeventfd,
};

static bool m_start(VirtioPci *vp, GError **errp)
{
    (void)errp;
    tlog(tbed, g_strdup_printf("start 0x%" PRIx64, vp->guest_features));
    return true;
}
static void m_stop(VirtioPci *vp)
{
    (void)vp;
    tlog(tbed, g_strdup("stop"));
}
static const VirtioPciModel t_model = { .device_id = 1, .class_code = 0x020000,
                                        .start = m_start, .stop = m_stop };

static const PCIWindow t_windows[] = {
    { PCI_WINDOW_MMIO32, 0x10000000, 0x2eff0000 },
    { PCI_WINDOW_MMIO64, UINT64_C(0x8000000000), UINT64_C(0x8000000000) },
};

#define DEVFN PCI_DEVFN(1, 0)
#define BAR1 0x10000000ULL
#define BAR4 0x10100000ULL

static void cfgw(TBed *b, uint32_t reg, uint32_t v, unsigned len)
{
    pci_bus_config_write(b->ms.pci_bus, 0, DEVFN, reg, v, len);
}
static uint32_t cfgr(TBed *b, uint32_t reg, unsigned len)
{
    return pci_bus_config_read(b->ms.pci_bus, 0, DEVFN, reg, len);
}
static void mmw(TBed *b, uint64_t addr, uint64_t v, unsigned len)
{
    g_assert_true(address_space_rw(&b->as, addr, (uint8_t *)&v, len, true));
}
static uint64_t mmr(TBed *b, uint64_t addr, unsigned len)
{
    uint64_t v = 0;

    g_assert_true(address_space_rw(&b->as, addr, (uint8_t *)&v, len, false));
    return v;
}
static bool logged(TBed *b, const char *prefix)
{
    for (guint i = 0; i < b->log->len; i++) {
        if (g_str_has_prefix(g_ptr_array_index(b->log, i), prefix)) {
            return true;
        }
    }
    return false;
}

static void tbed_init(TBed *b)
{
    memset(b, 0, sizeof(*b));
    tbed = b;
    b->log = g_ptr_array_new_with_free_func(g_free);
    memory_region_init_container(&b->sys, "system", 1ULL << 40);
    g_assert_true(memory_region_init_ram(&b->ram, "ram", 0x1000000, NULL));
    g_assert_true(memory_region_add_subregion(&b->sys, 0x40000000, &b->ram, 0, NULL));
    address_space_init(&b->as, &b->sys, "memory");
    g_assert_true(address_space_commit(&b->as, NULL));
    b->ms.irq_ops = &t_ops;
    b->ms.irq_opaque = b;
    b->ms.sysmem = &b->sys;
    b->ms.as = &b->as;
    b->ms.main_context = g_main_context_new();
    b->ms.pci_bus = pci_bus_new(&b->sys, &b->as, t_windows, G_N_ELEMENTS(t_windows));
    g_assert_true(virtio_pci_realize(&b->vp, &b->ms, "vnet0", &t_model, b, DEVFN, 2, 256,
                                     1ULL << 5, NULL));
    /* the guest places the BARs and turns on memory decoding and bus mastering */
    cfgw(b, PCI_BASE_ADDRESS_1, (uint32_t)BAR1, 4);
    cfgw(b, PCI_BASE_ADDRESS_4, (uint32_t)BAR4, 4);
    cfgw(b, PCI_BASE_ADDRESS_5, 0, 4);
    cfgw(b, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 2);
}

static void tbed_done(TBed *b)
{
    virtio_pci_unrealize(&b->vp);
    pci_bus_free(b->ms.pci_bus);
    g_main_context_unref(b->ms.main_context);
    address_space_destroy(&b->as);
    memory_region_finalize(&b->ram);
    memory_region_finalize(&b->sys);
    g_ptr_array_unref(b->log);
    tbed = NULL;
}

/* The guest's driver, as Linux's virtio_pci_modern does it. */
static void driver_up(TBed *b, uint32_t features_hi, uint32_t features_lo)
{
    uint64_t c = BAR4; /* common configuration */

    mmw(b, c + VIRTIO_PCI_COMMON_STATUS, 0, 1);
    mmw(b, c + VIRTIO_PCI_COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER, 1);
    mmw(b, c + VIRTIO_PCI_COMMON_GFSELECT, 0, 4);
    mmw(b, c + VIRTIO_PCI_COMMON_GF, features_lo, 4);
    mmw(b, c + VIRTIO_PCI_COMMON_GFSELECT, 1, 4);
    mmw(b, c + VIRTIO_PCI_COMMON_GF, features_hi, 4);
    mmw(b, c + VIRTIO_PCI_COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
                                             VIRTIO_CONFIG_S_FEATURES_OK, 1);
}

static void test_transport(void)
{
    TBed b;
    uint64_t c = BAR4;
    uint8_t st;

    tbed_init(&b);
    /* identity: a modern virtio-net, the capabilities chained from 0x40 */
    g_assert_cmphex(cfgr(&b, PCI_VENDOR_ID, 2), ==, 0x1af4);
    g_assert_cmphex(cfgr(&b, PCI_DEVICE_ID, 2), ==, 0x1041);
    g_assert_cmphex(cfgr(&b, PCI_REVISION_ID, 1), ==, 1);
    g_assert_cmphex(cfgr(&b, PCI_CAPABILITY_LIST, 1), ==, 0x40);
    g_assert_cmphex(cfgr(&b, 0x40 + 3, 1), ==, VIRTIO_PCI_CAP_COMMON_CFG);
    g_assert_cmphex(cfgr(&b, 0x70 + 3, 1), ==, VIRTIO_PCI_CAP_NOTIFY_CFG);
    g_assert_cmphex(cfgr(&b, 0x70 + 16, 4), ==, 4); /* notify_off_multiplier */
    /* the kicks went on ioeventfds where the guest put BAR 4's notification area */
    g_assert_true(logged(&b, "ioeventfd 0x10103000/2 on"));
    g_assert_true(logged(&b, "ioeventfd 0x10103004/2 on"));
    /* offered: the model's features and VERSION_1 */
    mmw(&b, c + VIRTIO_PCI_COMMON_DFSELECT, 1, 4);
    g_assert_cmphex(mmr(&b, c + VIRTIO_PCI_COMMON_DF, 4), ==, 1);
    mmw(&b, c + VIRTIO_PCI_COMMON_DFSELECT, 0, 4);
    g_assert_cmphex(mmr(&b, c + VIRTIO_PCI_COMMON_DF, 4), ==, 1 << 5);
    g_assert_cmpuint(mmr(&b, c + VIRTIO_PCI_COMMON_NUMQ, 2), ==, 2);

    /* a driver without VERSION_1 is refused FEATURES_OK (and armpass says so) */
    g_test_expect_message("armpass-virtio", G_LOG_LEVEL_WARNING, "*accepted features 0x20 of*");
    driver_up(&b, 0, 1 << 5);
    g_test_assert_expected_messages();
    st = (uint8_t)mmr(&b, c + VIRTIO_PCI_COMMON_STATUS, 1);
    g_assert_false(st & VIRTIO_CONFIG_S_FEATURES_OK);
    /* nor may it take what was not offered */
    g_test_expect_message("armpass-virtio", G_LOG_LEVEL_WARNING, "*0x100000040 of*");
    driver_up(&b, 1, 1 << 6);
    g_test_assert_expected_messages();
    g_assert_false(mmr(&b, c + VIRTIO_PCI_COMMON_STATUS, 1) & VIRTIO_CONFIG_S_FEATURES_OK);

    driver_up(&b, 1, 1 << 5);
    g_assert_true(mmr(&b, c + VIRTIO_PCI_COMMON_STATUS, 1) & VIRTIO_CONFIG_S_FEATURES_OK);
    /* queue 0: a size that is no power of two is ignored, 128 taken; vector 1 */
    mmw(&b, c + VIRTIO_PCI_COMMON_Q_SELECT, 0, 2);
    g_assert_cmpuint(mmr(&b, c + VIRTIO_PCI_COMMON_Q_SIZE, 2), ==, 256);
    mmw(&b, c + VIRTIO_PCI_COMMON_Q_SIZE, 100, 2);
    g_assert_cmpuint(mmr(&b, c + VIRTIO_PCI_COMMON_Q_SIZE, 2), ==, 256);
    mmw(&b, c + VIRTIO_PCI_COMMON_Q_SIZE, 128, 2);
    g_assert_cmpuint(mmr(&b, c + VIRTIO_PCI_COMMON_Q_SIZE, 2), ==, 128);
    mmw(&b, c + VIRTIO_PCI_COMMON_Q_DESCLO, 0x40001000, 4);
    mmw(&b, c + VIRTIO_PCI_COMMON_Q_MSIX, 1, 2);
    mmw(&b, c + VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2);
    g_assert_cmphex(b.vp.queues[0].desc, ==, 0x40001000);
    g_assert_cmpuint(mmr(&b, c + VIRTIO_PCI_COMMON_Q_NOFF, 2), ==, 0);
    /* MSI-X on, vector 1 unmasked with a message: a route and an irqfd; no wake-up path */
    cfgw(&b, 0x88 + PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE, 2);
    mmw(&b, BAR1 + 16 + PCI_MSIX_ENTRY_LOWER_ADDR, 0x08090040, 4);
    mmw(&b, BAR1 + 16 + PCI_MSIX_ENTRY_DATA, 0x21, 4);
    mmw(&b, BAR1 + 16 + PCI_MSIX_ENTRY_VECTOR_CTRL, 0, 4);
    g_assert_true(logged(&b, "route 100 0x8090040/0x21"));
    g_assert_true(logged(&b, "irqfd 100"));
    g_assert_true(b.vp.queues[0].irqfd);
    g_assert_cmpuint(b.vp.queues[0].watch, ==, 0);
    /* masked: the irqfd goes, armpass's main loop records it pending */
    mmw(&b, BAR1 + 16 + PCI_MSIX_ENTRY_VECTOR_CTRL, 1, 4);
    g_assert_true(logged(&b, "irqfd-off 100"));
    g_assert_false(b.vp.queues[0].irqfd);
    g_assert_cmpuint(b.vp.queues[0].watch, !=, 0);
    mmw(&b, BAR1 + 16 + PCI_MSIX_ENTRY_VECTOR_CTRL, 0, 4);
    g_assert_true(b.vp.queues[0].irqfd);

    /* DRIVER_OK starts the backend with the accepted features */
    g_assert_false(logged(&b, "start"));
    mmw(&b, c + VIRTIO_PCI_COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
                                              VIRTIO_CONFIG_S_FEATURES_OK |
                                              VIRTIO_CONFIG_S_DRIVER_OK, 1);
    g_assert_true(logged(&b, "start 0x100000020"));
    g_assert_true(b.vp.started);
    /* a notification that reaches armpass (KVM's ioeventfd catches it first in a real VM) is
     * relayed to the kick eventfd and counted */
    mmw(&b, BAR4 + 0x3000, 0, 2);
    g_assert_cmpuint(b.vp.queues[0].trapped_kicks, ==, 1);
    /* the guest moves BAR 4: the ioeventfds move with it */
    cfgw(&b, PCI_BASE_ADDRESS_4, 0x10200000, 4);
    g_assert_true(logged(&b, "ioeventfd 0x10103000/2 off"));
    g_assert_true(logged(&b, "ioeventfd 0x10203000/2 on"));
    /* reset: the backend stops, the routes go */
    mmw(&b, 0x10200000 + VIRTIO_PCI_COMMON_STATUS, 0, 1);
    g_assert_true(logged(&b, "stop"));
    g_assert_true(logged(&b, "route-release 100"));
    g_assert_false(b.vp.started);
    g_assert_cmpuint(mmr(&b, 0x10200000 + VIRTIO_PCI_COMMON_STATUS, 1), ==, 0);
    tbed_done(&b);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vhost-user/negotiate-and-start", test_negotiate_and_start);
    g_test_add_func("/vhost-user/errors", test_errors);
    g_test_add_func("/virtio-pci/transport", test_transport);
    return g_test_run();
}
