// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests of the iommufd backend and of descriptors passed in by a manager, against the
 * fake kernel: shared IOAS, unmap on detach, IOVA ranges against guest RAM, fd= passing with
 * nothing opened by path, and every error a user meets (one line, saying what to do). */
#include "hw/vfio/vfio-common.h"
#include "system/passfd.h"
#include "system/rcu.h"
#include "vfio-fake.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <linux/iommufd.h>
#include <string.h>
#include <unistd.h>

#define PL031 "9010000.pl031"
#define PL061 "9030000.pl061"
#define RWM (VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE | VFIO_REGION_INFO_FLAG_MMAP)
#define LEVEL_IRQ (VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED)
#define RAM_BASE 0x40000000u
#define RAM_SIZE 0x200000u

typedef struct Bench {
    FakeVfio *f;
    char *sys;
    VfioContext *ctx;
    MemoryRegion root, ram;
    AddressSpace as;
} Bench;

/* A fake kernel with guest RAM at RAM_BASE that the DMA listeners follow. */
static void bench_init(Bench *b)
{
    memset(b, 0, sizeof(*b));
    b->sys = sysfs_fixture_new();
    b->f = fake_vfio_new("/dev/vfio");
    memory_region_init_container(&b->root, "system", UINT64_C(1) << 40);
    g_assert_true(memory_region_init_ram(&b->ram, "ram", RAM_SIZE, NULL));
    g_assert_true(memory_region_add_subregion(&b->root, RAM_BASE, &b->ram, 0, NULL));
    address_space_init(&b->as, &b->root, "memory");
    g_assert_true(address_space_commit(&b->as, NULL));
    b->ctx = vfio_context_new(&b->f->ops, b->sys, "/dev/vfio", &b->as);
}

/* Frees it all, checking that nothing was left behind in the kernel. */
static void bench_done(Bench *b)
{
    vfio_context_free(b->ctx);
    g_assert_cmpuint(fake_vfio_open_fds(b->f), ==, 0);
    g_assert_cmpuint(fake_vfio_live_mmaps(b->f), ==, 0);
    g_assert_cmpuint(b->f->live->len, ==, 0);
    g_assert_cmpuint(b->f->dma_dropped, ==, 0); /* unmapped before the IOAS went */
    fake_vfio_free(b->f);
    sysfs_fixture_free(b->sys);
    address_space_destroy(&b->as);
    memory_region_del_subregion(&b->root, &b->ram);
    memory_region_finalize(&b->ram);
    memory_region_finalize(&b->root);
}

/* A pl031-like AMBA device in IOMMU group `group`, its cdev in sysfs unless noiommu. */
static FakeDevice *add_dev(Bench *b, const char *name, int group, bool noiommu)
{
    FakeDevice *d = fake_vfio_add_device(b->f, name, group, noiommu, VFIO_DEVICE_FLAGS_AMBA);

    fake_device_add_region(d, RWM, 0x1000);
    fake_device_add_irq(d, LEVEL_IRQ, 1);
    sysfs_fixture_add(b->sys, "amba", name, group, noiommu, "vfio-amba");
    if (d->cdev >= 0) {
        sysfs_fixture_add_cdev(b->sys, "amba", name, d->cdev);
    }
    return d;
}

static VfioDevice *attach(Bench *b, const char *name, const VfioAttachOptions *o,
                          GError **errp)
{
    g_autofree char *path = sysfs_fixture_path(b->sys, "amba", name);

    return vfio_device_attach_opts(b->ctx, path, o, errp);
}

static VfioAttachOptions on_iommufd(const char *id, int fd)
{
    VfioAttachOptions o = VFIO_ATTACH_OPTIONS_INIT;

    o.iommufd = id;
    o.device_fd = fd;
    return o;
}

static VfioDevice *attach_ok(Bench *b, const char *name, VfioAttachOptions o)
{
    g_autoptr(GError) err = NULL;
    VfioDevice *dev = attach(b, name, &o, &err);

    g_assert_no_error(err);
    g_assert_nonnull(dev);
    return dev;
}

/* Attach fails with a one-line message in VFIO_ERROR; returns it (g_free). */
static char *attach_fails(Bench *b, const char *name, VfioAttachOptions o)
{
    g_autoptr(GError) err = NULL;
    VfioDevice *dev = attach(b, name, &o, &err);

    g_assert_null(dev);
    g_assert_nonnull(err);
    g_assert_true(err->domain == VFIO_ERROR);
    g_assert_null(strchr(err->message, '\n'));
    return g_strdup(err->message);
}

static void assert_says(const char *msg, const char *needle)
{
    if (!strstr(msg, needle)) {
        g_error("\"%s\" does not say \"%s\"", msg, needle);
    }
}

/* ---- The backend ---------------------------------------------------------------------- */

/* Two devices on one -object iommufd share its one IOAS: one IOMMU_IOAS_ALLOC, RAM mapped
 * once; the first to go unmaps nothing, the last unmaps RAM, then the IOAS goes. */
static void test_shared_ioas(void)
{
    VfioDevice *a, *c;
    const FakeDma *d;
    VfioDmaStats st;
    Bench b;
    int unmap, destroy;

    bench_init(&b);
    add_dev(&b, PL031, 0, false);
    add_dev(&b, PL061, 1, false);
    g_assert_true(vfio_context_add_iommufd(b.ctx, "iommufd0", -1, NULL));
    a = attach_ok(&b, PL031, on_iommufd("iommufd0", -1));
    c = attach_ok(&b, PL061, on_iommufd("iommufd0", -1));
    g_assert_true(a->iommufd == c->iommufd);
    g_assert_true(a->dma == c->dma);
    g_assert_cmpuint(a->devid, !=, c->devid);
    g_assert_cmpuint(fake_vfio_calls(b.f, IOMMU_IOAS_ALLOC), ==, 1);
    g_assert_cmpuint(fake_vfio_calls(b.f, VFIO_DEVICE_ATTACH_IOMMUFD_PT), ==, 2);
    g_assert_cmpuint(fake_vfio_log_count(b.f, "open /dev/iommu"), ==, 1);
    g_assert_cmpuint(b.f->maps->len, ==, 1);
    d = &g_array_index(b.f->maps, FakeDma, 0);
    g_assert_cmphex(d->iova, ==, RAM_BASE);
    g_assert_cmphex(d->size, ==, RAM_SIZE);
    g_assert_cmphex(d->vaddr, ==, (uintptr_t)b.ram.host);
    g_assert_cmphex(d->flags, ==, IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
                                      IOMMU_IOAS_MAP_WRITEABLE);
    /* -d stats' figures, named by backend */
    g_assert_true(vfio_device_dma_stats(a, &st));
    g_assert_cmpstr(st.backend, ==, "iommufd");
    g_assert_cmpuint(st.maps, ==, 1);
    g_assert_cmpuint(st.bytes, ==, RAM_SIZE);

    vfio_device_detach(a);
    g_assert_cmpuint(b.f->unmaps->len, ==, 0);
    g_assert_cmpuint(b.f->live->len, ==, 1);
    vfio_device_detach(c);
    g_assert_cmpuint(b.f->unmaps->len, ==, 1);
    g_assert_cmpuint(b.f->live->len, ==, 0);
    unmap = fake_vfio_log_find(&*b.f, "IOMMU_IOAS_UNMAP", 0);
    destroy = fake_vfio_log_find(b.f, "IOMMU_DESTROY", 0);
    g_assert_cmpint(unmap, >=, 0);
    g_assert_cmpint(unmap, <, destroy);
    g_assert_cmpuint(fake_vfio_open_fds(b.f), ==, 0); /* the iommufd went with the last */
    g_assert_cmpuint(b.as.listeners->len, ==, 0);
    bench_done(&b);
}

/* Two objects: two iommufds, two IOASes, RAM mapped in each. */
static void test_two_objects(void)
{
    VfioDevice *a, *c;
    Bench b;

    bench_init(&b);
    add_dev(&b, PL031, 0, false);
    add_dev(&b, PL061, 1, false);
    g_assert_true(vfio_context_add_iommufd(b.ctx, "i0", -1, NULL));
    g_assert_true(vfio_context_add_iommufd(b.ctx, "i1", -1, NULL));
    a = attach_ok(&b, PL031, on_iommufd("i0", -1));
    c = attach_ok(&b, PL061, on_iommufd("i1", -1));
    g_assert_true(a->dma != c->dma);
    g_assert_cmpuint(b.f->maps->len, ==, 2);
    g_assert_cmpuint(fake_vfio_log_count(b.f, "open /dev/iommu"), ==, 2);
    vfio_device_detach(a);
    vfio_device_detach(c);
    bench_done(&b);
}

/* A legacy device and an iommufd device side by side, each with its own DMA space. */
static void test_mixed_backends(void)
{
    VfioAttachOptions legacy = VFIO_ATTACH_OPTIONS_INIT;
    VfioDevice *a, *c;
    VfioDmaStats st;
    Bench b;

    bench_init(&b);
    add_dev(&b, PL031, 0, false);
    add_dev(&b, PL061, 1, false);
    g_assert_true(vfio_context_add_iommufd(b.ctx, "iommufd0", -1, NULL));
    a = attach_ok(&b, PL031, on_iommufd("iommufd0", -1));
    c = attach_ok(&b, PL061, legacy);
    g_assert_nonnull(c->group);
    g_assert_true(vfio_device_dma_stats(c, &st));
    g_assert_cmpstr(st.backend, ==, "type1v2");
    g_assert_cmpuint(b.f->maps->len, ==, 2);
    vfio_device_detach(a);
    vfio_device_detach(c);
    bench_done(&b);
}

/* An object no device uses is never opened. */
static void test_unused_object(void)
{
    Bench b;

    bench_init(&b);
    g_assert_true(vfio_context_add_iommufd(b.ctx, "iommufd0", -1, NULL));
    g_assert_cmpuint(b.f->opens, ==, 0);
    bench_done(&b);
}

/* ---- IOVA ranges ------------------------------------------------------------------------ */

/* RAM that runs into a reserved range: one line naming the range and saying to shrink -m;
 * nothing mapped, nothing left open. RAM that starts in one: it cannot move, say so. */
static void test_iova_clash(void)
{
    static const uint64_t s2[] = { 0, 0x50000000 }, l2[] = { 0x3fffffff, 0xffffffffffffULL };
    g_autofree char *msg = NULL, *msg2 = NULL;
    Bench b;

    bench_init(&b);
    add_dev(&b, PL031, 0, false);
    g_assert_true(vfio_context_add_iommufd(b.ctx, "iommufd0", -1, NULL));
    /* a reserved window (an MSI doorbell, say) at 0x40100000-0x402fffff: RAM
     * [0x40000000, 0x40200000) runs into it */
    fake_vfio_set_iova_ranges(b.f, 2, (const uint64_t[]){ 0, 0x40300000 },
                              (const uint64_t[]){ 0x400fffff, 0xffffffffffffULL });
    msg = attach_fails(&b, PL031, on_iommufd("iommufd0", -1));
    assert_says(msg, "vfio " PL031 ": guest RAM \"ram\" [0x40000000-0x401fffff]");
    assert_says(msg, "reserves past 0x400fffff");
    assert_says(msg, "0x0-0x400fffff, 0x40300000-0xffffffffffff");
    assert_says(msg, "give a smaller -m");
    assert_says(msg, "ends the RAM by 0x40100000");
    g_assert_cmpuint(b.f->maps->len, ==, 0);
    g_assert_cmpuint(fake_vfio_open_fds(b.f), ==, 0);

    fake_vfio_set_iova_ranges(b.f, 2, s2, l2);
    msg2 = attach_fails(&b, PL031, on_iommufd("iommufd0", -1));
    assert_says(msg2, "starts in IOVAs the host IOMMU reserves");
    assert_says(msg2, "RAM base cannot move");
    g_assert_cmpuint(b.f->maps->len, ==, 0);
    g_assert_cmpuint(fake_vfio_open_fds(b.f), ==, 0);

    /* the test bed's ranges (the SMMU's MSI window at 0x8000000-0x80fffff): no clash */
    fake_vfio_set_iova_ranges(b.f, 2, (const uint64_t[]){ 0, 0x8100000 },
                              (const uint64_t[]){ 0x7ffffff, 0xffffffffffffULL });
    vfio_device_detach(attach_ok(&b, PL031, on_iommufd("iommufd0", -1)));
    g_assert_cmpuint(b.f->maps->len, ==, 1);
    bench_done(&b);
}

/* ---- What the kernel cannot do ---------------------------------------------------------- */

static void test_no_dev_iommu(void)
{
    g_autofree char *msg = NULL;
    Bench b;

    bench_init(&b);
    add_dev(&b, PL031, 0, false);
    b.f->has_iommufd = false; /* a 6.1 kernel */
    g_assert_true(vfio_context_add_iommufd(b.ctx, "iommufd0", -1, NULL));
    msg = attach_fails(&b, PL031, on_iommufd("iommufd0", -1));
    assert_says(msg, "open /dev/iommu: No such file or directory");
    assert_says(msg, "CONFIG_IOMMUFD");
    assert_says(msg, "drop iommufd=");
    bench_done(&b);
}

static void test_no_cdev(void)
{
    g_autofree char *msg = NULL, *msg2 = NULL;
    Bench b;

    bench_init(&b);
    /* a kernel without VFIO_DEVICE_CDEV: no vfio-dev/ in sysfs */
    fake_vfio_add_device(b.f, PL031, 0, false, VFIO_DEVICE_FLAGS_AMBA);
    sysfs_fixture_add(b.sys, "amba", PL031, 0, false, "vfio-amba");
    g_assert_true(vfio_context_add_iommufd(b.ctx, "iommufd0", -1, NULL));
    msg = attach_fails(&b, PL031, on_iommufd("iommufd0", -1));
    assert_says(msg, "no VFIO device cdev");
    assert_says(msg, "VFIO_DEVICE_CDEV");
    assert_says(msg, "use the legacy group path (drop iommufd=");
    g_assert_cmpuint(fake_vfio_open_fds(b.f), ==, 0);

    /* sysfs lists a cdev but /dev has no node */
    sysfs_fixture_add_cdev(b.sys, "amba", PL031, 7);
    msg2 = attach_fails(&b, PL031, on_iommufd("iommufd0", -1));
    assert_says(msg2, "open /dev/vfio/devices/vfio7: No such file or directory");
    assert_says(msg2, "use the legacy group path");
    g_assert_cmpuint(fake_vfio_open_fds(b.f), ==, 0);
    bench_done(&b);
}

/* 6.12 gives a no-IOMMU device no cdev ("cdev does not support noiommu device"). */
static void test_noiommu_device(void)
{
    g_autofree char *msg = NULL;
    VfioAttachOptions o = on_iommufd("iommufd0", -1);
    Bench b;

    bench_init(&b);
    add_dev(&b, PL031, 0, true);
    g_assert_true(vfio_context_add_iommufd(b.ctx, "iommufd0", -1, NULL));
    o.allow_noiommu = true;
    msg = attach_fails(&b, PL031, o);
    assert_says(msg, "no-IOMMU group");
    assert_says(msg, "use the legacy group path (drop iommufd= and fd=, add noiommu=on)");
    g_assert_cmpuint(b.f->opens, ==, 0);
    bench_done(&b);
}

static void test_no_such_object(void)
{
    g_autofree char *msg = NULL;
    Bench b;

    bench_init(&b);
    add_dev(&b, PL031, 0, false);
    msg = attach_fails(&b, PL031, on_iommufd("nothing", -1));
    assert_says(msg, "iommufd=nothing: no -object iommufd,id=nothing");
    bench_done(&b);
}

/* Another process holds the device: its group open on the legacy path (EBUSY), or its cdev
 * bound already (EINVAL). */
static void test_already_bound(void)
{
    g_autofree char *msg = NULL, *msg2 = NULL;
    struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
    int group, cdev, io;
    Bench b;

    bench_init(&b);
    add_dev(&b, PL031, 0, false);
    g_assert_true(vfio_context_add_iommufd(b.ctx, "iommufd0", -1, NULL));
    group = fake_vfio_pass_fd(b.f, "/dev/vfio/0"); /* the other process's */
    g_assert_cmpint(group, >=, 0);
    msg = attach_fails(&b, PL031, on_iommufd("iommufd0", -1));
    assert_says(msg, "VFIO_DEVICE_BIND_IOMMUFD");
    assert_says(msg, "another process holds the device");
    fake_vfio_close_fd(b.f, group);
    g_assert_cmpuint(fake_vfio_open_fds(b.f), ==, 0);

    cdev = fake_vfio_pass_fd(b.f, "/dev/vfio/devices/vfio0");
    io = fake_vfio_pass_fd(b.f, "/dev/iommu");
    bind.iommufd = io;
    g_assert_cmpint(b.f->ops.ioctl(b.f, cdev, VFIO_DEVICE_BIND_IOMMUFD, &bind), ==, 0);
    msg2 = attach_fails(&b, PL031, on_iommufd("iommufd0", -1));
    assert_says(msg2, "Invalid argument: the device is already bound");
    fake_vfio_close_fd(b.f, cdev);
    fake_vfio_close_fd(b.f, io);
    bench_done(&b);
}

/* ---- Descriptors passed in -------------------------------------------------------------- */

/* -object iommufd,fd= and -device ...,fd=: armpass opens nothing under /dev/vfio or
 * /dev/iommu, and the device works as with the paths. */
static void test_pass_fds_iommufd(void)
{
    VfioDevice *dev;
    int io, cdev;
    Bench b;

    bench_init(&b);
    add_dev(&b, PL031, 0, false);
    io = fake_vfio_pass_fd(b.f, "/dev/iommu");
    cdev = fake_vfio_pass_fd(b.f, "/dev/vfio/devices/vfio0");
    g_assert_true(vfio_context_add_iommufd(b.ctx, "iommufd0", io, NULL));
    dev = attach_ok(&b, PL031, on_iommufd("iommufd0", cdev));
    g_assert_cmpint(dev->fd, ==, cdev);
    g_assert_true(dev->fd_passed);
    g_assert_cmpuint(b.f->opens, ==, 0);
    g_assert_cmpuint(fake_vfio_log_count(b.f, "open "), ==, 0);
    g_assert_cmpuint(b.f->maps->len, ==, 1);
    {
        struct vfio_irq_info irq;

        g_assert_true(vfio_device_get_irq_info(dev, 0, &irq, NULL));
    }
    vfio_device_detach(dev); /* both passed fds are closed with it: armpass's now */
    g_assert_cmpuint(fake_vfio_open_fds(b.f), ==, 0);
    bench_done(&b);
}

/* A passed cdev that armpass bound is closed (unbound) when the attach fails after the bind:
 * the manager can pass a new one, and the passed iommufd, kept, serves it. */
static void test_pass_fds_attach_fails(void)
{
    g_autofree char *msg = NULL;
    VfioDevice *dev;
    int io, cdev;
    Bench b;

    bench_init(&b);
    add_dev(&b, PL031, 0, false);
    io = fake_vfio_pass_fd(b.f, "/dev/iommu");
    cdev = fake_vfio_pass_fd(b.f, "/dev/vfio/devices/vfio0");
    g_assert_true(vfio_context_add_iommufd(b.ctx, "iommufd0", io, NULL));
    fake_vfio_fail_ioctl(b.f, VFIO_DEVICE_ATTACH_IOMMUFD_PT, 1, EADDRINUSE);
    msg = attach_fails(&b, PL031, on_iommufd("iommufd0", cdev));
    assert_says(msg, "VFIO_DEVICE_ATTACH_IOMMUFD_PT");
    assert_says(msg, "give this device its own -object iommufd");
    fake_vfio_clear_faults(b.f);
    cdev = fake_vfio_pass_fd(b.f, "/dev/vfio/devices/vfio0");
    dev = attach_ok(&b, PL031, on_iommufd("iommufd0", cdev));
    g_assert_cmpuint(b.f->opens, ==, 0);
    vfio_device_detach(dev);
    g_assert_cmpuint(fake_vfio_open_fds(b.f), ==, 0);
    bench_done(&b);
}

/* -object vfio-container,fd= and group-fd=: the legacy path with nothing opened by path. */
static void test_pass_fds_legacy(void)
{
    VfioAttachOptions o = VFIO_ATTACH_OPTIONS_INIT;
    VfioDevice *dev, *other;
    g_autofree char *msg = NULL;
    int container, group;
    Bench b;

    bench_init(&b);
    add_dev(&b, PL031, 0, false);
    add_dev(&b, PL061, 0, false); /* the same group */
    container = fake_vfio_pass_fd(b.f, "/dev/vfio/vfio");
    group = fake_vfio_pass_fd(b.f, "/dev/vfio/0");
    g_assert_true(vfio_context_add_container(b.ctx, "c0", container, NULL));
    o.container = "c0";
    o.group_fd = group;
    dev = attach_ok(&b, PL031, o);
    g_assert_cmpint(dev->group->fd, ==, group);
    g_assert_cmpint(dev->group->container->fd, ==, container);
    g_assert_cmpuint(b.f->maps->len, ==, 1);
    /* the second device of the group: the same group-fd, or none */
    other = attach_ok(&b, PL061, o);
    g_assert_true(other->group == dev->group);
    g_assert_cmpuint(b.f->opens, ==, 0);
    g_assert_cmpuint(fake_vfio_log_count(b.f, "open "), ==, 0);
    vfio_device_detach(other);
    /* another group-fd for an open group is refused */
    o.group_fd = 99;
    msg = attach_fails(&b, PL061, o);
    assert_says(msg, "group-fd=99: group 0 is already open");
    vfio_device_detach(dev);
    g_assert_cmpuint(fake_vfio_open_fds(b.f), ==, 0);
    bench_done(&b);
}

/* fd= that is closed, not a char device, /dev/null, or an iommufd where the cdev should be;
 * -object iommufd,fd= that is a container; a container fd that is none. Each one line. */
static void test_pass_fds_wrong(void)
{
    g_autofree char *tmp = g_build_filename(g_get_tmp_dir(), "armpass-passfd-XXXXXX", NULL);
    g_autofree char *m1 = NULL, *m2 = NULL, *m3 = NULL, *m4 = NULL, *m5 = NULL, *m6 = NULL;
    g_autofree char *m7 = NULL;
    VfioAttachOptions o = VFIO_ATTACH_OPTIONS_INIT;
    int closed, file, null, io, container;
    Bench b;

    bench_init(&b);
    add_dev(&b, PL031, 0, false);
    g_assert_true(vfio_context_add_iommufd(b.ctx, "iommufd0", -1, NULL));

    closed = open("/dev/null", O_RDONLY);
    g_assert_cmpint(closed, >=, 0);
    close(closed);
    m1 = attach_fails(&b, PL031, on_iommufd("iommufd0", closed));
    assert_says(m1, "Bad file descriptor");
    assert_says(m1, "the launcher must pass it open");

    file = g_mkstemp(tmp);
    g_assert_cmpint(file, >=, 0);
    m2 = attach_fails(&b, PL031, on_iommufd("iommufd0", file));
    assert_says(m2, "not a character device");
    close(file);
    g_unlink(tmp);

    null = open("/dev/null", O_RDWR);
    g_assert_cmpint(null, >=, 0);
    m3 = attach_fails(&b, PL031, on_iommufd("iommufd0", null));
    assert_says(m3, "char device 1:3 (null) is not /dev/vfio/devices/vfio0");

    io = fake_vfio_pass_fd(b.f, "/dev/iommu");
    m4 = attach_fails(&b, PL031, on_iommufd("iommufd0", io));
    assert_says(m4, "char device 10:123 is not /dev/vfio/devices/vfio0");
    g_assert_cmpuint(fake_vfio_calls(b.f, VFIO_DEVICE_BIND_IOMMUFD), ==, 0);

    /* -object iommufd,fd= given /dev/null and a container */
    container = fake_vfio_pass_fd(b.f, "/dev/vfio/vfio");
    g_assert_true(vfio_context_add_iommufd(b.ctx, "bad", container, NULL));
    m5 = attach_fails(&b, PL031, on_iommufd("bad", -1));
    assert_says(m5, "-object iommufd,id=bad,fd=");
    assert_says(m5, "is not /dev/iommu");

    /* a container object given an iommufd, and one given a container the kernel refuses */
    g_assert_true(vfio_context_add_container(b.ctx, "c0", io, NULL));
    o.container = "c0";
    m6 = attach_fails(&b, PL031, o);
    assert_says(m6, "is not /dev/vfio/vfio");
    g_assert_true(vfio_context_add_container(b.ctx, "c1", fake_vfio_pass_fd(b.f,
                                                                             "/dev/vfio/vfio"),
                                             NULL));
    o.container = "c1";
    fake_vfio_fail_ioctl(b.f, VFIO_GET_API_VERSION, 1, ENOTTY);
    m7 = attach_fails(&b, PL031, o);
    assert_says(m7, "VFIO_GET_API_VERSION");
    assert_says(m7, "not a VFIO container");
    fake_vfio_clear_faults(b.f);
    close(null);
    bench_done(&b); /* the unused passed fds are closed with their objects */
}

static void test_pass_group_fd_wrong(void)
{
    VfioAttachOptions o = VFIO_ATTACH_OPTIONS_INIT;
    g_autofree char *msg = NULL, *msg2 = NULL, *msg3 = NULL;
    int other;
    Bench b;

    bench_init(&b);
    add_dev(&b, PL031, 0, false);
    add_dev(&b, PL061, 1, false);
    /* container= naming no object */
    o.container = "nothing";
    msg3 = attach_fails(&b, PL031, o);
    assert_says(msg3, "container=nothing: no -object vfio-container,id=nothing");
    g_assert_cmpuint(fake_vfio_open_fds(b.f), ==, 0);
    o.container = NULL;
    other = fake_vfio_pass_fd(b.f, "/dev/vfio/1");
    o.group_fd = other;
    msg = attach_fails(&b, PL031, o);
    assert_says(msg, "char device 511:1");
    assert_says(msg, "is not /dev/vfio/0");
    /* a group the kernel does not answer for */
    o.group_fd = fake_vfio_pass_fd(b.f, "/dev/vfio/0");
    fake_vfio_fail_ioctl(b.f, VFIO_GROUP_GET_STATUS, 1, ENOTTY);
    msg2 = attach_fails(&b, PL031, o);
    assert_says(msg2, "not a VFIO group");
    fake_vfio_close_fd(b.f, other);
    fake_vfio_close_fd(b.f, o.group_fd);
    bench_done(&b);
}

/* ---- The -device properties ------------------------------------------------------------- */

static void test_options(void)
{
    VfioAttachOptions o;
    GError *err = NULL;

    g_assert_true(vfio_attach_options_parse("i0", "5", NULL, NULL, false, &o, &err));
    g_assert_no_error(err);
    g_assert_cmpstr(o.iommufd, ==, "i0");
    g_assert_cmpint(o.device_fd, ==, 5);
    g_assert_cmpint(o.group_fd, ==, -1);

    g_assert_false(vfio_attach_options_parse(NULL, "5", NULL, NULL, false, &o, &err));
    assert_says(err->message, "add iommufd=NAME");
    g_clear_error(&err);
    g_assert_false(vfio_attach_options_parse("i0", "five", NULL, NULL, false, &o, &err));
    assert_says(err->message, "fd=five: not a descriptor number");
    g_clear_error(&err);
    g_assert_false(vfio_attach_options_parse("i0", "-1", NULL, NULL, false, &o, &err));
    g_clear_error(&err);
    g_assert_false(vfio_attach_options_parse("i0", NULL, "c0", NULL, false, &o, &err));
    assert_says(err->message, "give one of them");
    g_clear_error(&err);
    g_assert_false(vfio_attach_options_parse(NULL, NULL, "c0", "x", false, &o, &err));
    assert_says(err->message, "group-fd=x: not a descriptor number");
    g_clear_error(&err);
    g_assert_true(vfio_attach_options_parse(NULL, NULL, "c0", "7", true, &o, &err));
    g_assert_cmpint(o.group_fd, ==, 7);
    g_assert_true(o.allow_noiommu);

    /* duplicate ids across both kinds of object */
    {
        FakeVfio *f = fake_vfio_new("/dev/vfio");
        VfioContext *ctx = vfio_context_new(&f->ops, "/nonexistent", "/dev/vfio", NULL);

        g_assert_true(vfio_context_add_iommufd(ctx, "x", -1, NULL));
        g_assert_false(vfio_context_add_container(ctx, "x", 3, &err));
        assert_says(err->message, "-object id=x: the id is taken");
        g_clear_error(&err);
        g_assert_false(vfio_context_add_container(ctx, "y", -1, &err));
        assert_says(err->message, "needs fd=N");
        g_clear_error(&err);
        vfio_context_free(ctx);
        fake_vfio_free(f);
    }
}

int main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    armpass_rcu_register_thread();
    g_test_add_func("/vfio-iommufd/shared-ioas", test_shared_ioas);
    g_test_add_func("/vfio-iommufd/two-objects", test_two_objects);
    g_test_add_func("/vfio-iommufd/mixed-backends", test_mixed_backends);
    g_test_add_func("/vfio-iommufd/unused-object", test_unused_object);
    g_test_add_func("/vfio-iommufd/iova-clash", test_iova_clash);
    g_test_add_func("/vfio-iommufd/error/no-dev-iommu", test_no_dev_iommu);
    g_test_add_func("/vfio-iommufd/error/no-cdev", test_no_cdev);
    g_test_add_func("/vfio-iommufd/error/noiommu-device", test_noiommu_device);
    g_test_add_func("/vfio-iommufd/error/no-such-object", test_no_such_object);
    g_test_add_func("/vfio-iommufd/error/already-bound", test_already_bound);
    g_test_add_func("/vfio-iommufd/pass/iommufd", test_pass_fds_iommufd);
    g_test_add_func("/vfio-iommufd/pass/attach-fails", test_pass_fds_attach_fails);
    g_test_add_func("/vfio-iommufd/pass/legacy", test_pass_fds_legacy);
    g_test_add_func("/vfio-iommufd/pass/wrong", test_pass_fds_wrong);
    g_test_add_func("/vfio-iommufd/pass/group-fd-wrong", test_pass_group_fd_wrong);
    g_test_add_func("/vfio-iommufd/options", test_options);
    ret = g_test_run();
    armpass_rcu_unregister_thread();
    return ret;
}
