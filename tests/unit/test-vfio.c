// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests of the VFIO layer against a fake kernel: attach, groups, containers, regions,
 * IRQs and the DMA listener. */
#include "hw/vfio/vfio-common.h"
#include "vfio-fake.h"

#include <linux/iommufd.h>

#include <errno.h>
#include <glib.h>
#include <inttypes.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#define DOMAIN "armpass-vfio"
#define PL031 "9010000.pl031"
#define PL061 "9030000.pl061"
#define FWCFG "9020000.fw-cfg"
#define RWM (VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE | VFIO_REGION_INFO_FLAG_MMAP)
#define RW (VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE)
#define LEVEL_IRQ (VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED)

/* ---- The bench: a fake kernel, a sysfs folder, a context ------------------------------ */

/* The backend the bench's devices use: false, the legacy group path; true, the iommufd one
 * (the /vfio/iommufd/... variants of the tests that hold for both). */
static bool use_iommufd;

typedef struct Bench {
    FakeVfio *f;
    char *sys;
    VfioContext *ctx;
} Bench;

static void bench_init(Bench *b, AddressSpace *as)
{
    b->sys = sysfs_fixture_new();
    b->f = fake_vfio_new("/dev/vfio");
    b->ctx = vfio_context_new(&b->f->ops, b->sys, "/dev/vfio", as);
    if (use_iommufd) {
        g_assert_true(vfio_context_add_iommufd(b->ctx, "iommufd0", -1, NULL));
    }
}

/* The device's cdev in sysfs (6.12's vfio-dev/vfioN), for the iommufd path. */
static void add_cdev_sysfs(Bench *b, const char *bus, const char *name)
{
    for (guint i = 0; i < b->f->devices->len; i++) {
        const FakeDevice *d = g_ptr_array_index(b->f->devices, i);
        g_autofree char *path = sysfs_fixture_path(b->sys, bus, name);
        g_autofree char *dir = g_build_filename(path, "vfio-dev", NULL);

        if (!strcmp(d->name, name) && d->cdev >= 0 && !g_file_test(dir, G_FILE_TEST_EXISTS)) {
            sysfs_fixture_add_cdev(b->sys, bus, name, d->cdev);
        }
    }
}

static VfioDevice *attach(Bench *b, const char *bus, const char *name, bool noiommu,
                          GError **errp)
{
    g_autofree char *path = sysfs_fixture_path(b->sys, bus, name);
    VfioAttachOptions o = VFIO_ATTACH_OPTIONS_INIT;

    o.allow_noiommu = noiommu;
    if (use_iommufd) {
        o.iommufd = "iommufd0";
        add_cdev_sysfs(b, bus, name);
    }
    return vfio_device_attach_opts(b->ctx, path, &o, errp);
}

/* The map ioctl of the bench's backend, its name and the flags it is given. */
static unsigned long map_req(void)
{
    return use_iommufd ? IOMMU_IOAS_MAP : VFIO_IOMMU_MAP_DMA;
}

static const char *map_name(void)
{
    return use_iommufd ? "IOMMU_IOAS_MAP" : "VFIO_IOMMU_MAP_DMA";
}

static uint32_t map_flags(void)
{
    return use_iommufd ? IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
                             IOMMU_IOAS_MAP_WRITEABLE
                       : VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
}

/* Frees it all, checking that nothing was left behind in the kernel. */
static void bench_done(Bench *b)
{
    vfio_context_free(b->ctx);
    g_assert_cmpuint(fake_vfio_open_fds(b->f), ==, 0);
    g_assert_cmpuint(fake_vfio_live_mmaps(b->f), ==, 0);
    g_assert_cmpuint(b->f->live->len, ==, 0);
    g_assert_cmpuint(b->f->dma_dropped, ==, 0);    /* unmapped before the container went */
    g_assert_cmpuint(b->f->implicit_unsets, ==, 0); /* groups left their containers first */
    fake_vfio_free(b->f);
    sysfs_fixture_free(b->sys);
}

/* pl031 as L1 shows it: AMBA, one 0x1000 region (READ|WRITE|MMAP), one level IRQ. */
static FakeDevice *add_pl031(Bench *b, const char *name, int group, bool noiommu)
{
    FakeDevice *d = fake_vfio_add_device(b->f, name, group, noiommu, VFIO_DEVICE_FLAGS_AMBA);

    fake_device_add_region(d, RWM, 0x1000);
    fake_device_add_irq(d, LEVEL_IRQ, 1);
    sysfs_fixture_add(b->sys, "amba", name, group, noiommu, "vfio-amba");
    return d;
}

/* fw-cfg as L1 shows it: platform, one 0x18 region (READ|WRITE, no MMAP), no IRQ. */
static FakeDevice *add_fwcfg(Bench *b, int group)
{
    FakeDevice *d = fake_vfio_add_device(b->f, FWCFG, group, false, VFIO_DEVICE_FLAGS_PLATFORM);

    fake_device_add_region(d, RW, 0x18);
    sysfs_fixture_add(b->sys, "platform", FWCFG, group, false, "vfio-platform");
    return d;
}

static VfioDevice *attach_ok(Bench *b, const char *bus, const char *name, bool noiommu)
{
    g_autoptr(GError) err = NULL;
    VfioDevice *dev = attach(b, bus, name, noiommu, &err);

    g_assert_no_error(err);
    g_assert_nonnull(dev);
    return dev;
}

/* Attaches and expects failure; returns the message (g_free). */
static char *attach_fails(Bench *b, const char *bus, const char *name, bool noiommu)
{
    g_autoptr(GError) err = NULL;
    VfioDevice *dev = attach(b, bus, name, noiommu, &err);

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

/* The region and DMA tests place mmaps and mappings on 4 KiB boundaries. */
static bool need_4k_pages(void)
{
    if (sysconf(_SC_PAGESIZE) != 4096) {
        g_test_skip("the host page size is not 4 KiB");
        return false;
    }
    return true;
}

/* ---- Finding devices ----------------------------------------------------------------- */

static void test_find(void)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *amba = NULL, *plat = NULL, *want = NULL;
    Bench b;

    bench_init(&b, NULL);
    sysfs_fixture_add(b.sys, "amba", PL031, 0, false, "vfio-amba");
    sysfs_fixture_add(b.sys, "platform", FWCFG, 1, false, "vfio-platform");

    amba = vfio_find_sysfs_device(b.ctx, PL031, &err);
    g_assert_no_error(err);
    want = sysfs_fixture_path(b.sys, "amba", PL031);
    g_assert_cmpstr(amba, ==, want);
    g_free(want);
    plat = vfio_find_sysfs_device(b.ctx, FWCFG, &err);
    g_assert_no_error(err);
    want = sysfs_fixture_path(b.sys, "platform", FWCFG);
    g_assert_cmpstr(plat, ==, want);
    g_free(want);

    g_assert_null(vfio_find_sysfs_device(b.ctx, "9040000.nothing", &err));
    g_assert_error(err, VFIO_ERROR, ENOENT);
    assert_says(err->message, "9040000.nothing");
    want = g_strdup_printf("%s/bus/platform/devices/9040000.nothing", b.sys);
    assert_says(err->message, want);
    g_free(want);
    want = g_strdup_printf("%s/bus/amba/devices/9040000.nothing", b.sys);
    assert_says(err->message, want);
    g_clear_error(&err);

    g_assert_null(vfio_find_sysfs_device(b.ctx, "../platform", &err));
    g_assert_error(err, VFIO_ERROR, EINVAL);
    bench_done(&b);
}

/* ---- Attach -------------------------------------------------------------------------- */

static void test_attach_pl031(void)
{
    VfioDevice *dev;
    Bench b;
    int i;

    bench_init(&b, NULL);
    add_pl031(&b, PL031, 0, false);
    dev = attach_ok(&b, "amba", PL031, false);
    g_assert_cmpstr(dev->name, ==, PL031);
    g_assert_cmphex(dev->flags, ==, VFIO_DEVICE_FLAGS_AMBA);
    g_assert_cmpuint(dev->num_regions, ==, 1);
    g_assert_cmpuint(dev->num_irqs, ==, 1);
    g_assert_null(dev->dma); /* no address space */
    if (use_iommufd) {
        /* The order of iommufd.rst and vfio.rst's cdev section: iommufd, IOAS, cdev, bind,
         * attach, then the device is used as any. No group, no container. */
        g_assert_null(dev->group);
        g_assert_nonnull(dev->iommufd);
        g_assert_cmpuint(fake_vfio_open_fds(b.f), ==, 2); /* iommufd, cdev */
        i = fake_vfio_log_find(b.f, "open /dev/iommu", 0);
        g_assert_cmpint(i, >=, 0);
        i = fake_vfio_log_find(b.f, "IOMMU_IOAS_ALLOC", i);
        g_assert_cmpint(i, >=, 0);
        i = fake_vfio_log_find(b.f, "open /dev/vfio/devices/vfio0", i);
        g_assert_cmpint(i, >=, 0);
        i = fake_vfio_log_find(b.f, "VFIO_DEVICE_BIND_IOMMUFD", i);
        g_assert_cmpint(i, >=, 0);
        i = fake_vfio_log_find(b.f, "VFIO_DEVICE_ATTACH_IOMMUFD_PT", i);
        g_assert_cmpint(i, >=, 0);
        i = fake_vfio_log_find(b.f, "IOMMU_IOAS_IOVA_RANGES", i);
        g_assert_cmpint(i, >=, 0);
        i = fake_vfio_log_find(b.f, "VFIO_DEVICE_GET_INFO", i);
        g_assert_cmpint(i, >=, 0);
        g_assert_cmpint(fake_vfio_log_find(b.f, "open /dev/vfio/0", 0), <, 0);
        g_assert_cmpint(fake_vfio_log_find(b.f, "open /dev/vfio/vfio", 0), <, 0);
        vfio_device_detach(dev);
        g_assert_cmpuint(fake_vfio_open_fds(b.f), ==, 0);
        g_assert_cmpuint(fake_vfio_calls(b.f, VFIO_DEVICE_DETACH_IOMMUFD_PT), ==, 1);
        g_assert_cmpuint(fake_vfio_calls(b.f, IOMMU_DESTROY), ==, 1);
        bench_done(&b);
        return;
    }
    g_assert_cmpint(dev->group->id, ==, 0);
    g_assert_false(dev->group->noiommu);
    g_assert_cmpuint(dev->group->refcount, ==, 1);
    g_assert_cmpint(dev->group->container->iommu_type, ==, VFIO_TYPE1v2_IOMMU);
    g_assert_false(dev->group->container->dma.listener_added); /* no address space */
    g_assert_cmpuint(fake_vfio_open_fds(b.f), ==, 3); /* container, group, device */

    /* The order of vfio.rst: group, then a container, the group in it, then the IOMMU. */
    i = fake_vfio_log_find(b.f, "open /dev/vfio/0", 0);
    g_assert_cmpint(i, >=, 0);
    i = fake_vfio_log_find(b.f, "VFIO_GROUP_GET_STATUS", i);
    g_assert_cmpint(i, >=, 0);
    i = fake_vfio_log_find(b.f, "open /dev/vfio/vfio", i);
    g_assert_cmpint(i, >=, 0);
    i = fake_vfio_log_find(b.f, "VFIO_GET_API_VERSION", i);
    g_assert_cmpint(i, >=, 0);
    i = fake_vfio_log_find(b.f, "VFIO_GROUP_SET_CONTAINER", i);
    g_assert_cmpint(i, >=, 0);
    i = fake_vfio_log_find(b.f, "VFIO_SET_IOMMU", i);
    g_assert_cmpint(i, >=, 0);
    i = fake_vfio_log_find(b.f, "VFIO_GROUP_GET_DEVICE_FD", i);
    g_assert_cmpint(i, >=, 0);
    i = fake_vfio_log_find(b.f, "VFIO_DEVICE_GET_INFO", i);
    g_assert_cmpint(i, >=, 0);

    vfio_device_detach(dev);
    g_assert_cmpuint(fake_vfio_open_fds(b.f), ==, 0);
    g_assert_cmpuint(fake_vfio_calls(b.f, VFIO_GROUP_UNSET_CONTAINER), ==, 1);
    bench_done(&b);
}

static void test_attach_sysfsdev(void)
{
    g_autofree char *path = NULL;
    g_autoptr(GError) err = NULL;
    VfioDevice *dev;
    Bench b;

    /* The device's own folder (sysfsdev=), not the bus link: the bus comes from subsystem. */
    bench_init(&b, NULL);
    add_pl031(&b, PL031, 0, false);
    path = g_build_filename(b.sys, "devices", "platform", PL031, NULL);
    dev = vfio_device_attach(b.ctx, path, false, &err);
    g_assert_no_error(err);
    vfio_device_detach(dev);
    bench_done(&b);
}

static void test_type1_fallback(void)
{
    VfioDevice *dev;
    Bench b;

    /* A kernel without Type1v2. */
    bench_init(&b, NULL);
    add_pl031(&b, PL031, 0, false);
    b.f->iommu_types = 1u << VFIO_TYPE1_IOMMU;
    dev = attach_ok(&b, "amba", PL031, false);
    g_assert_cmpint(dev->group->container->iommu_type, ==, VFIO_TYPE1_IOMMU);
    g_assert_cmpint(fake_vfio_log_find(b.f, "VFIO_SET_IOMMU 3 ", 0), ==, -1);
    g_assert_cmpint(fake_vfio_log_find(b.f, "VFIO_SET_IOMMU 1 ", 0), >=, 0);
    vfio_device_detach(dev);
    bench_done(&b);

    /* A kernel that offers Type1v2 but refuses to set it. */
    bench_init(&b, NULL);
    add_pl031(&b, PL031, 0, false);
    fake_vfio_fail_ioctl(b.f, VFIO_SET_IOMMU, 1, EINVAL);
    dev = attach_ok(&b, "amba", PL031, false);
    g_assert_cmpint(dev->group->container->iommu_type, ==, VFIO_TYPE1_IOMMU);
    vfio_device_detach(dev);
    bench_done(&b);
}

static void test_group_shared(void)
{
    VfioDevice *a, *c;
    Bench b;

    bench_init(&b, NULL);
    add_pl031(&b, PL031, 5, false);
    add_pl031(&b, PL061, 5, false);
    a = attach_ok(&b, "amba", PL031, false);
    c = attach_ok(&b, "amba", PL061, false);
    g_assert_true(a->group == c->group);
    g_assert_cmpuint(a->group->refcount, ==, 2);
    g_assert_cmpuint(fake_vfio_log_count(b.f, "open /dev/vfio/5"), ==, 1);
    g_assert_cmpuint(fake_vfio_log_count(b.f, "open /dev/vfio/vfio"), ==, 1);
    g_assert_cmpuint(fake_vfio_calls(b.f, VFIO_GROUP_SET_CONTAINER), ==, 1);
    g_assert_cmpuint(fake_vfio_open_fds(b.f), ==, 4);

    /* The group stays for the device still in it. */
    vfio_device_detach(a);
    g_assert_cmpuint(c->group->refcount, ==, 1);
    g_assert_cmpuint(fake_vfio_open_fds(b.f), ==, 3);
    g_assert_cmpuint(fake_vfio_calls(b.f, VFIO_GROUP_UNSET_CONTAINER), ==, 0);
    vfio_device_detach(c);
    g_assert_cmpuint(fake_vfio_open_fds(b.f), ==, 0);
    bench_done(&b);
}

static void test_container_shared(void)
{
    VfioDevice *a, *c;
    Bench b;

    /* Two groups: the second joins the first one's container. */
    bench_init(&b, NULL);
    add_pl031(&b, PL031, 1, false);
    add_pl031(&b, PL061, 2, false);
    a = attach_ok(&b, "amba", PL031, false);
    c = attach_ok(&b, "amba", PL061, false);
    g_assert_true(a->group != c->group);
    g_assert_true(a->group->container == c->group->container);
    g_assert_cmpuint(a->group->container->groups->len, ==, 2);
    g_assert_cmpuint(fake_vfio_log_count(b.f, "open /dev/vfio/vfio"), ==, 1);
    g_assert_cmpuint(fake_vfio_open_fds(b.f), ==, 5);
    vfio_device_detach(a);
    g_assert_cmpuint(c->group->container->groups->len, ==, 1);
    g_assert_cmpuint(fake_vfio_open_fds(b.f), ==, 3);
    vfio_device_detach(c);
    bench_done(&b);

    /* A kernel that will not put them together: a container each. */
    bench_init(&b, NULL);
    b.f->refuse_share = true;
    add_pl031(&b, PL031, 1, false);
    add_pl031(&b, PL061, 2, false);
    a = attach_ok(&b, "amba", PL031, false);
    c = attach_ok(&b, "amba", PL061, false);
    g_assert_true(a->group->container != c->group->container);
    g_assert_cmpuint(fake_vfio_log_count(b.f, "open /dev/vfio/vfio"), ==, 2);
    g_assert_cmpuint(fake_vfio_open_fds(b.f), ==, 6);
    vfio_device_detach(c);
    vfio_device_detach(a);
    bench_done(&b);
}

static void test_noiommu_refused(void)
{
    g_autofree char *msg = NULL;
    Bench b;

    bench_init(&b, NULL);
    add_pl031(&b, PL031, 0, true);
    msg = attach_fails(&b, "amba", PL031, false);
    assert_says(msg, PL031);
    assert_says(msg, "noiommu=on");
    assert_says(msg, "DMA anywhere");
    g_assert_cmpuint(b.f->opens, ==, 0); /* nothing was even opened */
    bench_done(&b);
}

static void test_noiommu_accepted(void)
{
    MemoryRegion root, ram;
    AddressSpace as;
    VfioDevice *dev, *other;
    Bench b;

    /* Even with guest RAM to follow, a no-IOMMU container maps nothing. */
    memory_region_init_container(&root, "system", UINT64_C(1) << 32);
    g_assert_true(memory_region_init_ram(&ram, "ram", 0x100000, NULL));
    g_assert_true(memory_region_add_subregion(&root, 0x40000000, &ram, 0, NULL));
    address_space_init(&as, &root, "memory");
    g_assert_true(address_space_commit(&as, NULL));

    bench_init(&b, &as);
    add_pl031(&b, PL031, 0, true);
    add_pl031(&b, PL061, 1, false);
    g_test_expect_message(DOMAIN, G_LOG_LEVEL_WARNING, "*" PL031 "*reach all memory by DMA*");
    dev = attach_ok(&b, "amba", PL031, true);
    g_test_assert_expected_messages();
    g_assert_true(dev->group->noiommu);
    g_assert_cmpint(dev->group->container->iommu_type, ==, VFIO_NOIOMMU_IOMMU);
    g_assert_false(dev->group->container->dma.listener_added);
    g_assert_cmpint(fake_vfio_log_find(b.f, "open /dev/vfio/noiommu-0", 0), >=, 0);
    g_assert_cmpint(fake_vfio_log_find(b.f, "VFIO_SET_IOMMU 8 ", 0), >=, 0);
    g_assert_cmpuint(fake_vfio_calls(b.f, VFIO_IOMMU_MAP_DMA), ==, 0);

    /* An IOMMU group beside it gets a Type1 container of its own, with DMA. */
    other = attach_ok(&b, "amba", PL061, false);
    g_assert_true(other->group->container != dev->group->container);
    g_assert_cmpint(other->group->container->iommu_type, ==, VFIO_TYPE1v2_IOMMU);
    g_assert_cmpuint(b.f->maps->len, ==, 1);

    vfio_device_detach(other);
    vfio_device_detach(dev);
    bench_done(&b);
    address_space_destroy(&as);
    memory_region_finalize(&root);
    memory_region_finalize(&ram);
}

/* A group armpass cannot use, and what the message says (each of says, and errno's text). */
typedef enum GroupBreak {
    GROUP_NOT_VIABLE,  /* a member bound to a host driver */
    GROUP_BUSY,        /* /dev/vfio/N open elsewhere */
    GROUP_NO_DEV_NODE, /* bound to vfio in sysfs, but no /dev/vfio/N */
    GROUP_NONE,        /* no IOMMU group at all */
} GroupBreak;

typedef struct GroupRefusal {
    const char *path;
    GroupBreak how;
    int group;
    int err;                /* != 0: g_strerror(err) is in the message too */
    const char *says[4];    /* NULL-terminated */
} GroupRefusal;

static const GroupRefusal group_refusals[] = {
    { "/vfio/attach/not-viable", GROUP_NOT_VIABLE, 4, 0,
      { PL031, "vfio group 4 is not viable",
        "kernel/iommu_groups/4/devices must be bound to vfio or to no driver" } },
    { "/vfio/attach/busy", GROUP_BUSY, 3, EBUSY,
      { PL031, "vfio group 3: busy: another process (another armpass?) has it open" } },
    { "/vfio/attach/group-missing", GROUP_NO_DEV_NODE, 7, ENOENT,
      { PL031, "/dev/vfio/7", "probably not bound to vfio" } },
    { "/vfio/attach/no-iommu-group", GROUP_NONE, -1, 0, { PL031, "no IOMMU group" } },
};

static void test_group_refused(gconstpointer data)
{
    const GroupRefusal *c = data;
    g_autofree char *msg = NULL;
    g_autofree char *node = g_strdup_printf("/dev/vfio/%d", c->group);
    Bench b;

    bench_init(&b, NULL);
    switch (c->how) {
    case GROUP_NOT_VIABLE:
        add_pl031(&b, PL031, c->group, false);
        fake_vfio_group(b.f, c->group, false)->viable = false;
        break;
    case GROUP_BUSY:
        add_pl031(&b, PL031, c->group, false);
        fake_vfio_fail_open(b.f, node, EBUSY);
        break;
    case GROUP_NO_DEV_NODE:
    case GROUP_NONE:
        sysfs_fixture_add(b.sys, "amba", PL031, c->group, false, "vfio-amba");
        break;
    }
    msg = attach_fails(&b, "amba", PL031, false);
    for (unsigned i = 0; c->says[i]; i++) {
        assert_says(msg, c->says[i]);
    }
    if (c->err) {
        assert_says(msg, g_strerror(c->err));
    }
    bench_done(&b);
}

static void test_wrong_driver(void)
{
    g_autofree char *msg = NULL, *want = NULL;
    Bench b;

    bench_init(&b, NULL);
    fake_vfio_add_device(b.f, PL031, 0, false, VFIO_DEVICE_FLAGS_AMBA);
    sysfs_fixture_add(b.sys, "amba", PL031, 0, false, "rtc-pl031");
    msg = attach_fails(&b, "amba", PL031, false);
    assert_says(msg, PL031 " is bound to rtc-pl031, not vfio");
    want = g_strdup_printf("echo " PL031 " > %s/bus/amba/drivers/rtc-pl031/unbind", b.sys);
    assert_says(msg, want);
    g_free(want);
    want = g_strdup_printf("echo vfio-amba > %s/bus/amba/devices/" PL031 "/driver_override",
                           b.sys);
    assert_says(msg, want);
    g_free(want);
    want = g_strdup_printf("echo " PL031 " > %s/bus/amba/drivers_probe", b.sys);
    assert_says(msg, want);
    g_free(want);
    g_free(msg);
    g_assert_cmpuint(b.f->opens, ==, 0);

    /* A platform device: vfio-platform, on the platform bus. */
    sysfs_fixture_add(b.sys, "platform", FWCFG, 1, false, "fw_cfg");
    msg = attach_fails(&b, "platform", FWCFG, false);
    assert_says(msg, FWCFG " is bound to fw_cfg, not vfio");
    want = g_strdup_printf("%s/bus/platform/drivers/fw_cfg/unbind", b.sys);
    assert_says(msg, want);
    assert_says(msg, "echo vfio-platform > ");
    bench_done(&b);
}

static void test_no_driver(void)
{
    g_autofree char *msg = NULL, *want = NULL;
    Bench b;

    bench_init(&b, NULL);
    sysfs_fixture_add(b.sys, "amba", PL031, 0, false, NULL);
    msg = attach_fails(&b, "amba", PL031, false);
    assert_says(msg, PL031 " has no driver: bind it to vfio-amba");
    want = g_strdup_printf("echo vfio-amba > %s/bus/amba/devices/" PL031 "/driver_override; "
                           "echo " PL031 " > %s/bus/amba/drivers_probe", b.sys, b.sys);
    assert_says(msg, want);
    g_free(msg);

    sysfs_fixture_add(b.sys, "platform", FWCFG, 1, false, NULL);
    msg = attach_fails(&b, "platform", FWCFG, false);
    assert_says(msg, "bind it to vfio-platform: echo vfio-platform > ");
    g_free(msg);

    /* Without a subsystem link, the bus comes from the path. */
    {
        g_autofree char *link = g_build_filename(b.sys, "devices", "platform", PL031,
                                                 "subsystem", NULL);

        g_assert_cmpint(unlink(link), ==, 0);
    }
    msg = attach_fails(&b, "amba", PL031, false);
    assert_says(msg, want);
    bench_done(&b);
}

static void test_twice(void)
{
    g_autofree char *msg = NULL;
    struct vfio_irq_info irq;
    VfioDevice *dev;
    Bench b;

    bench_init(&b, NULL);
    add_pl031(&b, PL031, 0, false);
    dev = attach_ok(&b, "amba", PL031, false);
    msg = attach_fails(&b, "amba", PL031, false);
    assert_says(msg, PL031 " is already passed through");
    /* The first is untouched (legacy: container, group, device; iommufd: iommufd, cdev). */
    g_assert_cmpuint(fake_vfio_open_fds(b.f), ==, use_iommufd ? 2 : 3);
    if (!use_iommufd) {
        g_assert_cmpuint(dev->group->refcount, ==, 1);
    }
    g_assert_true(vfio_device_get_irq_info(dev, 0, &irq, NULL));
    vfio_device_detach(dev);
    bench_done(&b);
}

/* Every ioctl of attach, failing: the message names the device, the ioctl and errno, nothing
 * stays open, and attach works once the fault is gone (no state left behind). */
static void test_attach_errors(void)
{
    static const struct {
        unsigned long request;
        unsigned nth;
    } cases[] = {
        { VFIO_GROUP_GET_STATUS, 1 },
        { VFIO_GET_API_VERSION, 1 },
        { VFIO_GROUP_SET_CONTAINER, 1 },
        { VFIO_CHECK_EXTENSION, 0 },
        { VFIO_SET_IOMMU, 0 },
        { VFIO_GROUP_GET_DEVICE_FD, 1 },
        { VFIO_DEVICE_GET_INFO, 1 },
    };

    for (unsigned i = 0; i < G_N_ELEMENTS(cases); i++) {
        const char *name = fake_ioctl_name(cases[i].request);
        g_autofree char *msg = NULL;
        VfioDevice *dev;
        Bench b;

        g_test_message("%s fails", name);
        bench_init(&b, NULL);
        add_pl031(&b, PL031, 0, false);
        fake_vfio_fail_ioctl(b.f, cases[i].request, cases[i].nth, EPROTO);
        msg = attach_fails(&b, "amba", PL031, false);
        assert_says(msg, "vfio " PL031 ": ");
        assert_says(msg, name);
        assert_says(msg, g_strerror(EPROTO));
        g_assert_cmpuint(fake_vfio_open_fds(b.f), ==, 0);
        g_assert_cmpuint(b.f->implicit_unsets, ==, 0);

        fake_vfio_clear_faults(b.f);
        dev = attach_ok(&b, "amba", PL031, false);
        g_assert_cmpuint(dev->group->refcount, ==, 1);
        g_assert_cmpuint(dev->group->container->groups->len, ==, 1);
        vfio_device_detach(dev);
        bench_done(&b);
    }
}

static void test_attach_errors_other(void)
{
    g_autofree char *msg = NULL;
    VfioDevice *a;
    struct vfio_irq_info irq;
    Bench b;

    /* /dev/vfio/vfio cannot be opened. */
    bench_init(&b, NULL);
    add_pl031(&b, PL031, 0, false);
    add_pl031(&b, PL061, 0, false);
    fake_vfio_fail_open(b.f, "/dev/vfio/vfio", EACCES);
    msg = attach_fails(&b, "amba", PL031, false);
    assert_says(msg, "vfio " PL031 ": open /dev/vfio/vfio: ");
    assert_says(msg, g_strerror(EACCES));
    g_assert_cmpuint(fake_vfio_open_fds(b.f), ==, 0);
    g_free(msg);
    fake_vfio_clear_faults(b.f);

    /* A kernel speaking another API version. */
    b.f->api_version = 1;
    msg = attach_fails(&b, "amba", PL031, false);
    assert_says(msg, "vfio " PL031 ": VFIO_GET_API_VERSION");
    assert_says(msg, "version 1");
    g_assert_cmpuint(fake_vfio_open_fds(b.f), ==, 0);
    g_free(msg);
    b.f->api_version = VFIO_API_VERSION;

    /* The second device of a group fails: the group stays open for the first. */
    a = attach_ok(&b, "amba", PL031, false);
    fake_vfio_fail_ioctl(b.f, VFIO_GROUP_GET_DEVICE_FD, 1, ENODEV);
    msg = attach_fails(&b, "amba", PL061, false);
    assert_says(msg, "vfio " PL061 ": VFIO_GROUP_GET_DEVICE_FD");
    g_assert_cmpuint(a->group->refcount, ==, 1);
    g_assert_cmpuint(fake_vfio_open_fds(b.f), ==, 3);
    g_assert_true(vfio_device_get_irq_info(a, 0, &irq, NULL));
    vfio_device_detach(a);
    bench_done(&b);
}

/* ---- Device ioctls ------------------------------------------------------------------- */

static void test_device_errors(void)
{
    g_autoptr(GError) err = NULL;
    VfioRegionInfo info;
    struct vfio_irq_info irq;
    VfioDevice *dev;
    Bench b;

    bench_init(&b, NULL);
    add_pl031(&b, PL031, 0, false)->flags |= VFIO_DEVICE_FLAGS_RESET;
    dev = attach_ok(&b, "amba", PL031, false);

    /* The message exactly as the user sees it. */
    fake_vfio_fail_ioctl(b.f, VFIO_DEVICE_SET_IRQS, 1, EINVAL);
    g_assert_false(vfio_device_irq_unmask(dev, 0, &err));
    g_assert_cmpstr(err->message, ==,
                    "vfio 9010000.pl031: VFIO_DEVICE_SET_IRQS (index 0, UNMASK): "
                    "Invalid argument");
    g_assert_error(err, VFIO_ERROR, EINVAL);
    g_clear_error(&err);

#define EXPECT_FAILS(req, call)                                                          \
    do {                                                                                 \
        fake_vfio_fail_ioctl(b.f, req, 1, EPROTO);                                       \
        g_assert_false(call);                                                            \
        g_assert_nonnull(err);                                                           \
        assert_says(err->message, "vfio " PL031 ": ");                                   \
        assert_says(err->message, fake_ioctl_name(req));                                 \
        assert_says(err->message, g_strerror(EPROTO));                                   \
        g_clear_error(&err);                                                             \
    } while (0)

    EXPECT_FAILS(VFIO_DEVICE_GET_REGION_INFO, vfio_device_get_region_info(dev, 0, &info, &err));
    g_assert_null(info.sparse);
    EXPECT_FAILS(VFIO_DEVICE_GET_IRQ_INFO, vfio_device_get_irq_info(dev, 0, &irq, &err));
    EXPECT_FAILS(VFIO_DEVICE_SET_IRQS,
                 vfio_device_set_irq_eventfd(dev, 0, 0, VFIO_IRQ_SET_ACTION_TRIGGER, -1, &err));
    EXPECT_FAILS(VFIO_DEVICE_SET_IRQS, vfio_device_irq_disable(dev, 0, &err));
    EXPECT_FAILS(VFIO_DEVICE_SET_IRQS, vfio_device_irq_unmask(dev, 0, &err));
    EXPECT_FAILS(VFIO_DEVICE_RESET, vfio_device_reset(dev, &err));
#undef EXPECT_FAILS

    /* The kernel's own refusals: no such region / IRQ. */
    g_assert_false(vfio_device_get_region_info(dev, 5, &info, &err));
    assert_says(err->message, "VFIO_DEVICE_GET_REGION_INFO (index 5)");
    g_clear_error(&err);
    g_assert_false(vfio_device_get_irq_info(dev, 3, &irq, &err));
    assert_says(err->message, "VFIO_DEVICE_GET_IRQ_INFO (index 3)");
    g_clear_error(&err);
    vfio_device_detach(dev);
    bench_done(&b);
}

static void test_irqs(void)
{
    g_autoptr(GError) err = NULL;
    struct vfio_irq_info irq;
    const FakeSetIrqs *s;
    VfioDevice *dev;
    int efd;
    Bench b;

    bench_init(&b, NULL);
    add_pl031(&b, PL031, 0, false);
    dev = attach_ok(&b, "amba", PL031, false);
    g_assert_true(vfio_device_get_irq_info(dev, 0, &irq, &err));
    g_assert_cmphex(irq.flags, ==, LEVEL_IRQ);
    g_assert_cmpuint(irq.count, ==, 1);
    g_assert_cmpuint(irq.index, ==, 0);

    efd = b.f->ops.eventfd(b.f->ops.opaque, 0, 0);
    g_assert_cmpint(efd, >=, 0);
    g_assert_true(vfio_device_set_irq_eventfd(dev, 0, 0, VFIO_IRQ_SET_ACTION_TRIGGER, efd, &err));
    g_assert_true(vfio_device_set_irq_eventfd(dev, 0, 0, VFIO_IRQ_SET_ACTION_UNMASK, efd, &err));
    g_assert_true(vfio_device_irq_unmask(dev, 0, &err));
    g_assert_true(vfio_device_set_irq_eventfd(dev, 0, 0, VFIO_IRQ_SET_ACTION_TRIGGER, -1, &err));
    g_assert_true(vfio_device_irq_disable(dev, 0, &err));
    g_assert_no_error(err);
    g_assert_cmpuint(b.f->set_irqs->len, ==, 5);

    s = &g_array_index(b.f->set_irqs, FakeSetIrqs, 0);
    g_assert_cmpstr(s->device, ==, PL031);
    g_assert_cmphex(s->flags, ==, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER);
    g_assert_cmpuint(s->index, ==, 0);
    g_assert_cmpuint(s->start, ==, 0);
    g_assert_cmpuint(s->count, ==, 1);
    g_assert_cmpint(s->fd, ==, efd);
    s = &g_array_index(b.f->set_irqs, FakeSetIrqs, 1);
    g_assert_cmphex(s->flags, ==, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_UNMASK);
    g_assert_cmpint(s->fd, ==, efd);
    s = &g_array_index(b.f->set_irqs, FakeSetIrqs, 2);
    g_assert_cmphex(s->flags, ==, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK);
    g_assert_cmpuint(s->count, ==, 1);
    s = &g_array_index(b.f->set_irqs, FakeSetIrqs, 3);
    g_assert_cmphex(s->flags, ==, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER);
    g_assert_cmpint(s->fd, ==, -1);
    g_assert_cmpuint(s->count, ==, 1);
    s = &g_array_index(b.f->set_irqs, FakeSetIrqs, 4);
    g_assert_cmphex(s->flags, ==, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER);
    g_assert_cmpuint(s->count, ==, 0);

    /* MASK takes no eventfd here: refused before the kernel sees it. */
    g_assert_false(vfio_device_set_irq_eventfd(dev, 0, 0, VFIO_IRQ_SET_ACTION_MASK, efd, &err));
    g_assert_error(err, VFIO_ERROR, EINVAL);
    assert_says(err->message, PL031);
    g_clear_error(&err);
    g_assert_cmpuint(b.f->set_irqs->len, ==, 5);

    g_assert_cmpint(b.f->ops.close(b.f->ops.opaque, efd), ==, 0);
    vfio_device_detach(dev);
    bench_done(&b);
}

static void test_reset(void)
{
    g_autoptr(GError) err = NULL;
    FakeDevice *fd;
    VfioDevice *dev;
    Bench b;

    /* vfio-amba offers no reset: nothing to do, and no ioctl. */
    bench_init(&b, NULL);
    fd = add_pl031(&b, PL031, 0, false);
    dev = attach_ok(&b, "amba", PL031, false);
    g_assert_true(vfio_device_reset(dev, &err));
    g_assert_cmpuint(fake_vfio_calls(b.f, VFIO_DEVICE_RESET), ==, 0);
    vfio_device_detach(dev);

    fd->flags |= VFIO_DEVICE_FLAGS_RESET;
    dev = attach_ok(&b, "amba", PL031, false);
    g_assert_true(vfio_device_reset(dev, &err));
    g_assert_no_error(err);
    g_assert_cmpuint(fd->resets, ==, 1);
    vfio_device_detach(dev);
    bench_done(&b);
}

static void test_pread_pwrite(void)
{
    g_autoptr(GError) err = NULL;
    FakeDevice *fd;
    VfioDevice *dev;
    uint8_t buf[4];
    Bench b;

    bench_init(&b, NULL);
    fd = add_pl031(&b, PL031, 0, false);
    dev = attach_ok(&b, "amba", PL031, false);
    memcpy(fd->regions[0].mem + 0xfe0, "\x31\x10\x14\x00", 4);
    g_assert_true(vfio_device_pread(dev, buf, 4, FAKE_REGION_OFFSET(0) + 0xfe0, &err));
    g_assert_cmpmem(buf, 4, "\x31\x10\x14\x00", 4);
    g_assert_true(vfio_device_pwrite(dev, "\xaa\xbb", 2, FAKE_REGION_OFFSET(0) + 0x10, &err));
    g_assert_cmpmem(fd->regions[0].mem + 0x10, 2, "\xaa\xbb", 2);
    g_assert_no_error(err);

    b.f->rw_short = true;
    g_assert_false(vfio_device_pread(dev, buf, 4, FAKE_REGION_OFFSET(0) + 0x20, &err));
    assert_says(err->message, "vfio " PL031 ": pread of 4 bytes at 0x20: short read of 3 bytes");
    g_clear_error(&err);
    g_assert_false(vfio_device_pwrite(dev, buf, 4, FAKE_REGION_OFFSET(0), &err));
    assert_says(err->message, "short write");
    g_clear_error(&err);
    b.f->rw_short = false;

    b.f->rw_errno = EIO;
    g_assert_false(vfio_device_pread(dev, buf, 4, 0, &err));
    assert_says(err->message, "vfio " PL031 ": pread of 4 bytes at 0x0: ");
    assert_says(err->message, g_strerror(EIO));
    g_assert_error(err, VFIO_ERROR, EIO);
    g_clear_error(&err);
    g_assert_false(vfio_device_pwrite(dev, buf, 4, 0, &err));
    assert_says(err->message, g_strerror(EIO));
    g_clear_error(&err);
    vfio_device_detach(dev);
    bench_done(&b);
}

/* ---- Regions ------------------------------------------------------------------------- */

/* The region placed in a guest address space at 0x9000000, as a board does it. */
typedef struct Guest {
    MemoryRegion root;
    AddressSpace as;
} Guest;

#define GUEST_BASE 0x9000000

static void guest_init(Guest *g, VfioRegion *r)
{
    memory_region_init_container(&g->root, "system", UINT64_C(1) << 32);
    g_assert_true(memory_region_add_subregion(&g->root, GUEST_BASE, &r->mr, 0, NULL));
    address_space_init(&g->as, &g->root, "memory");
    g_assert_true(address_space_commit(&g->as, NULL));
}

static void guest_done(Guest *g, VfioRegion *r)
{
    address_space_destroy(&g->as);
    memory_region_del_subregion(&g->root, &r->mr);
    memory_region_finalize(&g->root);
}

static uint64_t guest_read(Guest *g, uint64_t off, unsigned len)
{
    uint8_t buf[8] = { 0 };
    uint64_t v = 0;

    g_assert_true(address_space_rw(&g->as, GUEST_BASE + off, buf, len, false));
    for (unsigned i = 0; i < len; i++) {
        v |= (uint64_t)buf[i] << (8 * i);
    }
    return v;
}

static void guest_write(Guest *g, uint64_t off, uint64_t v, unsigned len)
{
    uint8_t buf[8];

    for (unsigned i = 0; i < len; i++) {
        buf[i] = (uint8_t)(v >> (8 * i));
    }
    g_assert_true(address_space_rw(&g->as, GUEST_BASE + off, buf, len, true));
}

static void test_region_pl031(void)
{
    g_autoptr(GError) err = NULL;
    VfioRegion r;
    FakeDevice *fd;
    VfioDevice *dev;
    Guest g;
    Bench b;

    if (!need_4k_pages()) {
        return;
    }

    bench_init(&b, NULL);
    fd = add_pl031(&b, PL031, 0, false);
    dev = attach_ok(&b, "amba", PL031, false);
    g_assert_true(vfio_region_setup(dev, 0, true, &r, &err));
    g_assert_no_error(err);
    g_assert_true(r.dev == dev);
    g_assert_cmpstr(r.name, ==, PL031 ".region0");
    g_assert_cmpint(r.mr.kind, ==, MR_IO);
    g_assert_cmphex(r.mr.size, ==, 0x1000);
    g_assert_cmpuint(r.nr_mmaps, ==, 1);
    g_assert_cmphex(r.mmaps[0].offset, ==, 0);
    g_assert_cmphex(r.mmaps[0].size, ==, 0x1000);
    g_assert_cmpint(r.mmaps[0].mr.kind, ==, MR_RAM_DEVICE);
    g_assert_true(r.mmaps[0].mr.parent == &r.mr);
    g_assert_cmphex(r.mmaps[0].mr.addr, ==, 0);
    g_assert_cmpint(r.mmaps[0].mr.priority, ==, 1);
    g_assert_cmpuint(fake_vfio_live_mmaps(b.f), ==, 1);

    /* A guest access goes through the mmap, straight to the device. */
    guest_init(&g, &r);
    memcpy(fd->regions[0].mem + 0xfe0, "\x31\x10\x14\x00", 4);
    g_assert_cmphex(guest_read(&g, 0xfe0, 4), ==, 0x00141031);
    guest_write(&g, 0x10, 1, 4);
    g_assert_cmphex(fd->regions[0].mem[0x10], ==, 1);
    g_assert_cmpuint(r.mr.trapped_reads + r.mr.trapped_writes, ==, 0);
    guest_done(&g, &r);

    vfio_region_finalize(&r);
    g_assert_null(r.dev);
    g_assert_cmpuint(fake_vfio_live_mmaps(b.f), ==, 0);
    vfio_device_detach(dev);
    bench_done(&b);
}

/* A sparse-mmap capability as the kernel appends it: areas given as offset/size pairs. */
static size_t build_sparse(uint8_t *buf, unsigned n, const uint64_t *pairs)
{
    struct vfio_region_info_cap_sparse_mmap hdr = {
        .header = { .id = VFIO_REGION_INFO_CAP_SPARSE_MMAP, .version = 1, .next = 0 },
        .nr_areas = n,
    };

    memcpy(buf, &hdr, sizeof(hdr));
    for (unsigned i = 0; i < n; i++) {
        struct vfio_region_sparse_mmap_area a = { pairs[2 * i], pairs[2 * i + 1] };

        memcpy(buf + sizeof(hdr) + i * sizeof(a), &a, sizeof(a));
    }
    return sizeof(hdr) + n * sizeof(struct vfio_region_sparse_mmap_area);
}

static void test_region_sparse(void)
{
    static const uint64_t areas[] = {
        0x3000, 0x1000, /* listed out of order */
        0x1000, 0x1000,
        0x2800, 0x800,  /* not whole pages: stays trapped */
    };
    g_autoptr(GError) err = NULL;
    uint8_t caps[256];
    size_t len;
    VfioRegion r;
    FakeDevice *fd;
    VfioDevice *dev;
    Guest g;
    Bench b;

    if (!need_4k_pages()) {
        return;
    }

    /* Region 1, so that its fd offset (1 << 40) is not 0. */
    bench_init(&b, NULL);
    fd = fake_vfio_add_device(b.f, PL031, 0, false, VFIO_DEVICE_FLAGS_PLATFORM);
    fake_device_add_region(fd, RWM, 0x4000);
    fake_device_add_region(fd, RWM, 0x4000);
    memset(fd->regions[0].mem, 0xee, 0x4000);
    len = build_sparse(caps, 3, areas);
    fake_region_set_caps(fd, 1, caps, len);
    sysfs_fixture_add(b.sys, "amba", PL031, 0, false, "vfio-amba");
    dev = attach_ok(&b, "amba", PL031, false);

    g_assert_true(vfio_region_setup(dev, 1, true, &r, &err));
    g_assert_no_error(err);
    /* The first answer asked for more room: the caps came with the second. */
    g_assert_cmpuint(fake_vfio_calls(b.f, VFIO_DEVICE_GET_REGION_INFO), ==, 2);
    g_assert_true(r.info.has_sparse);
    g_assert_cmpuint(r.info.sparse->len, ==, 3);
    g_assert_cmpuint(r.nr_mmaps, ==, 2);
    g_assert_cmphex(r.mmaps[0].offset, ==, 0x3000);
    g_assert_cmphex(r.mmaps[0].mr.addr, ==, 0x3000);
    g_assert_cmphex(r.mmaps[1].offset, ==, 0x1000);
    g_assert_cmphex(r.mmaps[1].mr.addr, ==, 0x1000);
    g_assert_cmphex(r.mmaps[1].size, ==, 0x1000);
    g_assert_cmpuint(fake_vfio_live_mmaps(b.f), ==, 2);

    g_assert_cmphex(r.info.offset, ==, FAKE_REGION_OFFSET(1));
    guest_init(&g, &r);
    for (unsigned i = 0; i < 0x4000; i += 0x400) {
        fd->regions[1].mem[i] = (uint8_t)(i >> 10);
    }
    /* The mmaps hold the device's bytes at their own offsets. */
    g_assert_cmphex(guest_read(&g, 0x1000, 1), ==, 0x04);
    g_assert_cmphex(guest_read(&g, 0x3c00, 1), ==, 0x0f);
    g_assert_cmpuint(r.mr.trapped_reads, ==, 0);
    /* Outside them: trapped, pread at the region's offset. */
    g_assert_cmphex(guest_read(&g, 0x0400, 1), ==, 0x01);
    g_assert_cmphex(guest_read(&g, 0x2c00, 1), ==, 0x0b);
    g_assert_cmpuint(r.mr.trapped_reads, ==, 2);
    guest_done(&g, &r);

    vfio_region_finalize(&r);
    vfio_device_detach(dev);
    bench_done(&b);
}

static void test_region_sub_page(void)
{
    g_autoptr(GError) err = NULL;
    VfioRegion r;
    FakeDevice *fd;
    VfioDevice *dev;
    Guest g;
    Bench b;

    /* fw-cfg: 0x18 bytes, no MMAP flag. Selector (16-bit big-endian) at +8, data at +0. */
    bench_init(&b, NULL);
    fd = add_fwcfg(&b, 1);
    dev = attach_ok(&b, "platform", FWCFG, false);
    g_assert_true(vfio_region_setup(dev, 0, true, &r, &err));
    g_assert_no_error(err);
    g_assert_cmpuint(r.nr_mmaps, ==, 0);
    g_assert_cmpuint(fake_vfio_log_count(b.f, "mmap"), ==, 0);

    guest_init(&g, &r);
    guest_write(&g, 8, 0x0000, 2); /* selector 0, as big-endian bytes 00 00 */
    guest_write(&g, 8, 0x3412, 2); /* bytes 12 34 in guest order */
    g_assert_cmpmem(fd->regions[0].mem + 8, 2, "\x12\x34", 2);
    memcpy(fd->regions[0].mem, "QEMU", 4);
    g_assert_cmphex(guest_read(&g, 0, 4), ==, 0x554d4551); /* "QEMU", little-endian */
    g_assert_cmphex(guest_read(&g, 1, 2), ==, 0x4d45);
    memcpy(fd->regions[0].mem + 0x10, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    g_assert_cmphex(guest_read(&g, 0x10, 8), ==, UINT64_C(0x0807060504030201));
    g_assert_cmpuint(r.mr.trapped_reads, ==, 3);
    g_assert_cmpuint(r.mr.trapped_writes, ==, 2);
    g_assert_cmpuint(r.access_errors, ==, 0);
    guest_done(&g, &r);
    vfio_region_finalize(&r);
    vfio_device_detach(dev);
    bench_done(&b);

    /* Even with MMAP, a region smaller than a page cannot be mapped: trapped. */
    bench_init(&b, NULL);
    fd = fake_vfio_add_device(b.f, FWCFG, 1, false, VFIO_DEVICE_FLAGS_PLATFORM);
    fake_device_add_region(fd, RWM, 0x18);
    sysfs_fixture_add(b.sys, "platform", FWCFG, 1, false, "vfio-platform");
    dev = attach_ok(&b, "platform", FWCFG, false);
    g_assert_true(vfio_region_setup(dev, 0, true, &r, &err));
    g_assert_cmpuint(r.nr_mmaps, ==, 0);
    g_assert_cmpuint(fake_vfio_log_count(b.f, "mmap"), ==, 0);
    vfio_region_finalize(&r);
    vfio_device_detach(dev);
    bench_done(&b);
}

static void test_region_no_mmap(void)
{
    g_autoptr(GError) err = NULL;
    VfioRegion r;
    FakeDevice *fd;
    VfioDevice *dev;
    Guest g;
    Bench b;

    bench_init(&b, NULL);
    fd = add_pl031(&b, PL031, 0, false);
    dev = attach_ok(&b, "amba", PL031, false);
    g_assert_true(vfio_region_setup(dev, 0, false, &r, &err));
    g_assert_cmpuint(r.nr_mmaps, ==, 0);
    g_assert_cmpuint(fake_vfio_log_count(b.f, "mmap"), ==, 0);
    guest_init(&g, &r);
    memcpy(fd->regions[0].mem + 0xff0, "\x0d\xf0\x05\xb1", 4);
    g_assert_cmphex(guest_read(&g, 0xff0, 4), ==, 0xb105f00d);
    g_assert_cmpuint(r.mr.trapped_reads, ==, 1);
    guest_done(&g, &r);
    vfio_region_finalize(&r);
    vfio_device_detach(dev);
    bench_done(&b);
}

static void test_region_access_errors(void)
{
    g_autoptr(GError) err = NULL;
    VfioRegion r;
    VfioDevice *dev;
    Guest g;
    Bench b;

    bench_init(&b, NULL);
    add_fwcfg(&b, 1);
    dev = attach_ok(&b, "platform", FWCFG, false);
    g_assert_true(vfio_region_setup(dev, 0, true, &r, &err));
    guest_init(&g, &r);
    b.f->rw_errno = EIO;

    /* Reads give all-ones; only the first 10 errors are reported. */
    for (unsigned i = 0; i < 10; i++) {
        g_test_expect_message(DOMAIN, G_LOG_LEVEL_WARNING,
                              "*" FWCFG ": pread of *Input/output error*region 0*");
    }
    g_assert_cmphex(guest_read(&g, 0, 1), ==, 0xff);
    g_assert_cmphex(guest_read(&g, 0, 2), ==, 0xffff);
    g_assert_cmphex(guest_read(&g, 0, 4), ==, 0xffffffff);
    g_assert_cmphex(guest_read(&g, 0x10, 8), ==, UINT64_MAX);
    for (unsigned i = 0; i < 11; i++) {
        g_assert_cmphex(guest_read(&g, 4, 4), ==, 0xffffffff);
    }
    g_test_assert_expected_messages();
    g_assert_cmpuint(r.access_errors, ==, 15);
    guest_write(&g, 8, 0, 2); /* counted, not reported */
    g_assert_cmpuint(r.access_errors, ==, 16);

    guest_done(&g, &r);
    vfio_region_finalize(&r);
    vfio_device_detach(dev);
    bench_done(&b);
}

static void test_region_setup_errors(void)
{
    g_autoptr(GError) err = NULL;
    uint8_t caps[64] = { 0 };
    struct vfio_info_cap_header loop = { .id = 0x55, .version = 1,
                                         .next = sizeof(struct vfio_region_info) };
    VfioRegion r;
    FakeDevice *fd;
    VfioDevice *dev;
    Bench b;

    bench_init(&b, NULL);
    fd = add_pl031(&b, PL031, 0, false);
    dev = attach_ok(&b, "amba", PL031, false);

    /* mmap refused. */
    b.f->mmap_errno = ENOMEM;
    g_assert_false(vfio_region_setup(dev, 0, true, &r, &err));
    assert_says(err->message, "vfio " PL031 ": mmap of region 0");
    assert_says(err->message, g_strerror(ENOMEM));
    g_clear_error(&err);
    g_assert_null(r.dev); /* nothing to finalize */
    g_assert_cmpuint(fake_vfio_live_mmaps(b.f), ==, 0);
    b.f->mmap_errno = 0;

    /* A capability chain that loops. */
    memcpy(caps, &loop, sizeof(loop));
    fake_region_set_caps(fd, 0, caps, 16);
    g_assert_false(vfio_region_setup(dev, 0, true, &r, &err));
    assert_says(err->message, "vfio " PL031 ": VFIO_DEVICE_GET_REGION_INFO (index 0): ");
    assert_says(err->message, "loop");
    g_clear_error(&err);
    g_assert_null(r.dev);
    vfio_device_detach(dev);
    bench_done(&b);
}

/* ---- The DMA listener ---------------------------------------------------------------- */

typedef struct Machine {
    MemoryRegion root, ram, ram2, dev_mmap, io;
    void *dev_host;
    AddressSpace as;
} Machine;

static const MemoryRegionOps no_ops;

static void machine_init(Machine *m)
{
    memory_region_init_container(&m->root, "system", UINT64_C(1) << 40);
    g_assert_true(memory_region_init_ram(&m->ram, "ram", 0x200000, NULL));
    g_assert_true(memory_region_init_ram(&m->ram2, "ram2", 0x100000, NULL));
    m->dev_host = mmap(NULL, 0x1000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    g_assert(m->dev_host != MAP_FAILED);
    memory_region_init_ram_device_ptr(&m->dev_mmap, "other.mmap", 0x1000, m->dev_host);
    memory_region_init_io(&m->io, "uart", 0x1000, &no_ops, NULL);
    g_assert_true(memory_region_add_subregion(&m->root, 0x40000000, &m->ram, 0, NULL));
    g_assert_true(memory_region_add_subregion(&m->root, 0x9000000, &m->dev_mmap, 0, NULL));
    g_assert_true(memory_region_add_subregion(&m->root, 0x9001000, &m->io, 0, NULL));
    address_space_init(&m->as, &m->root, "memory");
    g_assert_true(address_space_commit(&m->as, NULL));
}

static void machine_done(Machine *m)
{
    address_space_destroy(&m->as);
    memory_region_finalize(&m->root);
    memory_region_finalize(&m->ram);
    memory_region_finalize(&m->ram2);
    memory_region_finalize(&m->dev_mmap);
    memory_region_finalize(&m->io);
    munmap(m->dev_host, 0x1000);
}

static void test_dma(void)
{
    Machine m;
    VfioDevice *dev, *other;
    const FakeDma *d;
    Bench b;
    VfioResources res;
    int unmap, unset;

    machine_init(&m);
    bench_init(&b, &m.as);
    add_pl031(&b, PL031, 0, false);
    add_pl031(&b, PL061, 1, false);
    dev = attach_ok(&b, "amba", PL031, false);
    g_assert_nonnull(dev->dma);
    g_assert_true(dev->dma->listener_added);

    /* RAM mapped, read/write (never bit 2, VADDR); the other device's mmap and IO not. */
    g_assert_cmpuint(b.f->maps->len, ==, 1);
    d = &g_array_index(b.f->maps, FakeDma, 0);
    g_assert_cmphex(d->iova, ==, 0x40000000);
    g_assert_cmphex(d->size, ==, 0x200000);
    g_assert_cmphex(d->vaddr, ==, (uintptr_t)m.ram.host);
    g_assert_cmphex(d->flags, ==, map_flags());
    g_assert_cmpuint(dev->dma->dma_maps, ==, 1);
    vfio_context_resources(b.ctx, &res);
    g_assert_cmpuint(res.devices, ==, 1);
    g_assert_cmpuint(res.dma_mappings, ==, 1);
    g_assert_cmphex(res.dma_bytes, ==, 0x200000);
    g_assert_cmpuint(res.containers + res.iommufds, ==, 1);

    /* A second group joining the container (or device the IOAS) maps nothing again. */
    other = attach_ok(&b, "amba", PL061, false);
    g_assert_true(other->dma == dev->dma);
    g_assert_cmpuint(b.f->maps->len, ==, 1);

    /* RAM added and removed at run time. */
    g_assert_true(memory_region_add_subregion(&m.root, 0x80000000, &m.ram2, 0, NULL));
    g_assert_true(address_space_commit(&m.as, NULL));
    g_assert_cmpuint(b.f->maps->len, ==, 2);
    d = &g_array_index(b.f->maps, FakeDma, 1);
    g_assert_cmphex(d->iova, ==, 0x80000000);
    g_assert_cmphex(d->size, ==, 0x100000);
    memory_region_del_subregion(&m.root, &m.ram);
    g_assert_true(address_space_commit(&m.as, NULL));
    g_assert_cmpuint(b.f->unmaps->len, ==, 1);
    d = &g_array_index(b.f->unmaps, FakeDma, 0);
    g_assert_cmphex(d->iova, ==, 0x40000000);
    g_assert_cmphex(d->size, ==, 0x200000);
    g_assert_cmpuint(b.f->live->len, ==, 1);
    vfio_context_resources(b.ctx, &res); /* the mappings in place, not the calls made */
    g_assert_cmpuint(res.devices, ==, 2);
    g_assert_cmpuint(res.dma_mappings, ==, 1);
    g_assert_cmphex(res.dma_bytes, ==, 0x100000);
    g_assert_cmpuint(dev->dma->dma_maps, ==, 2);

    /* A RAM_DEVICE or IO change is none of the listener's business. */
    memory_region_del_subregion(&m.root, &m.io);
    g_assert_true(address_space_commit(&m.as, NULL));
    g_assert_cmpuint(b.f->unmaps->len, ==, 1);

    /* The last device goes: unmapped before the group leaves the container. */
    vfio_device_detach(other);
    g_assert_cmpuint(b.f->unmaps->len, ==, 1);
    vfio_device_detach(dev);
    g_assert_cmpuint(b.f->unmaps->len, ==, 2);
    g_assert_cmpuint(b.f->live->len, ==, 0);
    vfio_context_resources(b.ctx, &res);
    g_assert_cmpuint(res.devices + res.groups + res.containers + res.iommufds, ==, 0);
    g_assert_cmpuint(res.dma_mappings, ==, 0);
    g_assert_cmpuint(res.dma_bytes, ==, 0);
    if (use_iommufd) {
        /* unmapped before the IOAS is destroyed */
        unmap = fake_vfio_log_find(b.f, "IOMMU_IOAS_UNMAP", 0);
        unmap = fake_vfio_log_find(b.f, "IOMMU_IOAS_UNMAP", unmap + 1);
        unset = fake_vfio_log_find(b.f, "IOMMU_DESTROY", 0);
    } else {
        unmap = fake_vfio_log_find(b.f, "VFIO_IOMMU_UNMAP_DMA", 0);
        unmap = fake_vfio_log_find(b.f, "VFIO_IOMMU_UNMAP_DMA", unmap + 1);
        unset = fake_vfio_log_find(b.f, "VFIO_GROUP_UNSET_CONTAINER", 0);
        unset = fake_vfio_log_find(b.f, "VFIO_GROUP_UNSET_CONTAINER", unset + 1);
    }
    g_assert_cmpint(unmap, >=, 0);
    g_assert_cmpint(unmap, <, unset);
    g_assert_cmpuint(m.as.listeners->len, ==, 0);
    bench_done(&b);
    machine_done(&m);
}

static void test_dma_unaligned(void)
{
    MemoryRegion small;
    Machine m;
    VfioDevice *dev;
    const FakeDma *d;
    Bench b;

    if (!need_4k_pages()) {
        return;
    }

    /* An IO page over the middle of RAM: two RAM pieces, each mapped on its own. */
    machine_init(&m);
    memory_region_init_io(&small, "hole", 0x800, &no_ops, NULL);
    g_assert_true(memory_region_add_subregion(&m.ram, 0x100800, &small, 1, NULL));
    g_assert_true(address_space_commit(&m.as, NULL));
    bench_init(&b, &m.as);
    add_pl031(&b, PL031, 0, false);
    dev = attach_ok(&b, "amba", PL031, false);
    /* [0x40000000, 0x40100800) -> whole pages up to 0x40100000; [0x40101000, 0x40200000). */
    g_assert_cmpuint(b.f->maps->len, ==, 2);
    d = &g_array_index(b.f->maps, FakeDma, 0);
    g_assert_cmphex(d->iova, ==, 0x40000000);
    g_assert_cmphex(d->size, ==, 0x100000);
    d = &g_array_index(b.f->maps, FakeDma, 1);
    g_assert_cmphex(d->iova, ==, 0x40101000);
    g_assert_cmphex(d->size, ==, 0xff000);
    g_assert_cmphex(d->vaddr, ==, (uintptr_t)m.ram.host + 0x101000);
    vfio_device_detach(dev);
    bench_done(&b);
    memory_region_del_subregion(&m.ram, &small);
    memory_region_finalize(&small);
    machine_done(&m);
}

static void test_dma_map_fails(void)
{
    g_autofree char *msg = NULL;
    Machine m;
    VfioDevice *dev;
    Bench b;

    machine_init(&m);
    g_assert_true(memory_region_add_subregion(&m.root, 0x80000000, &m.ram2, 0, NULL));
    g_assert_true(address_space_commit(&m.as, NULL));
    bench_init(&b, &m.as);
    add_pl031(&b, PL031, 0, false);

    /* The second RAM range fails: the first is unmapped again, nothing stays open. */
    fake_vfio_fail_ioctl(b.f, map_req(), 2, EPROTO);
    msg = attach_fails(&b, "amba", PL031, false);
    assert_says(msg, "vfio " PL031 ": ");
    assert_says(msg, map_name());
    assert_says(msg, g_strerror(EPROTO));
    g_assert_cmpuint(b.f->live->len, ==, 0);
    g_assert_cmpuint(b.f->unmaps->len, ==, 1);
    g_assert_cmpuint(m.as.listeners->len, ==, 0);
    g_assert_cmpuint(fake_vfio_open_fds(b.f), ==, 0);

    /* At run time, a failed map fails the commit and names the device. */
    fake_vfio_clear_faults(b.f);
    dev = attach_ok(&b, "amba", PL031, false);
    fake_vfio_fail_ioctl(b.f, map_req(), 1, ENOSPC);
    memory_region_del_subregion(&m.root, &m.ram2);
    g_assert_true(memory_region_add_subregion(&m.root, 0xc0000000, &m.ram2, 0, NULL));
    {
        g_autoptr(GError) err = NULL;

        g_assert_false(address_space_commit(&m.as, &err));
        assert_says(err->message, "vfio " PL031 ": ");
        assert_says(err->message, map_name());
        assert_says(err->message, g_strerror(ENOSPC));
    }
    vfio_device_detach(dev);
    bench_done(&b);
    machine_done(&m);
}

static void add_both(const char *path, void (*fn)(void))
{
    fake_test_add_both(path, fn, &use_iommufd);
}

int main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    armpass_rcu_register_thread(); /* commits and accesses read the view under RCU */
    g_test_add_func("/vfio/find", test_find);
    add_both("/vfio/attach/pl031", test_attach_pl031);
    add_both("/vfio/attach/sysfsdev", test_attach_sysfsdev);
    g_test_add_func("/vfio/attach/type1-fallback", test_type1_fallback);
    g_test_add_func("/vfio/attach/group-shared", test_group_shared);
    g_test_add_func("/vfio/attach/container-shared", test_container_shared);
    g_test_add_func("/vfio/attach/noiommu-refused", test_noiommu_refused);
    g_test_add_func("/vfio/attach/noiommu-accepted", test_noiommu_accepted);
    for (unsigned i = 0; i < G_N_ELEMENTS(group_refusals); i++) {
        g_test_add_data_func(group_refusals[i].path, &group_refusals[i], test_group_refused);
    }
    add_both("/vfio/attach/wrong-driver", test_wrong_driver);
    add_both("/vfio/attach/no-driver", test_no_driver);
    add_both("/vfio/attach/twice", test_twice);
    g_test_add_func("/vfio/attach/errors", test_attach_errors);
    g_test_add_func("/vfio/attach/errors-other", test_attach_errors_other);
    add_both("/vfio/device/errors", test_device_errors);
    add_both("/vfio/device/irqs", test_irqs);
    add_both("/vfio/device/reset", test_reset);
    add_both("/vfio/device/pread-pwrite", test_pread_pwrite);
    add_both("/vfio/region/pl031", test_region_pl031);
    add_both("/vfio/region/sparse", test_region_sparse);
    add_both("/vfio/region/sub-page", test_region_sub_page);
    add_both("/vfio/region/no-mmap", test_region_no_mmap);
    add_both("/vfio/region/access-errors", test_region_access_errors);
    add_both("/vfio/region/setup-errors", test_region_setup_errors);
    add_both("/vfio/dma/map-unmap", test_dma);
    add_both("/vfio/dma/unaligned", test_dma_unaligned);
    add_both("/vfio/dma/map-fails", test_dma_map_fails);
    ret = g_test_run();
    armpass_rcu_barrier();
    armpass_rcu_unregister_thread();
    return ret;
}
