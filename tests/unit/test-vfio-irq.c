// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests of the shared VFIO interrupt wiring (hw/vfio/irq.c) against the fake kernel and a
 * recording interrupt controller: the irqfd path (edge, level with resamplefd, one MSI-X
 * vector), the userspace path (a level IRQ takes the mmaps away until the quiet period ends,
 * the guest's trapped access completes it), and failures that must leave no fd open. */
#include "hw/arm/virt.h"
#include "hw/vfio/vfio-irq.h"
#include "hw/vfio/vfio-sysbus.h"
#include "system/options.h"
#include "system/rcu.h"
#include "vfio-fake.h"

#include <errno.h>
#include <glib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define DEV "9010000.pl031"
#define EDGE (VFIO_IRQ_INFO_EVENTFD)
#define LEVEL (VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED)
#define RWM (VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE | VFIO_REGION_INFO_FLAG_MMAP)
#define REGION_GPA 0x9000000u
#define QUIET_MS 150u /* the tests' quiet period (x-mmap-timeout-ms): 40 ms flaked under valgrind on a loaded machine */

/* What the interrupt controller and the userspace path's callback were asked. */
typedef struct Recorder {
    bool resample;        /* has_resample's answer */
    int fail_assign;      /* errno for irqfd_assign, 0: it works */
    unsigned assigns, deassigns;
    int fd, resamplefd;   /* the last assign's */
    unsigned gsi;
    GString *levels;      /* set_level calls: "1", "0" */
} Recorder;

static bool rec_set_spi(void *opaque, unsigned spi, bool level, GError **errp)
{
    (void)opaque, (void)spi, (void)level, (void)errp;
    g_assert_not_reached();
}

static bool rec_assign(void *opaque, int fd, int resamplefd, unsigned gsi, GError **errp)
{
    Recorder *r = opaque;

    if (r->fail_assign) {
        g_set_error(errp, g_quark_from_static_string("test"), r->fail_assign,
                    "KVM_IRQFD (SPI %u): %s", gsi, g_strerror(r->fail_assign));
        return false;
    }
    r->assigns++;
    r->fd = fd;
    r->resamplefd = resamplefd;
    r->gsi = gsi;
    return true;
}

static bool rec_deassign(void *opaque, int fd, unsigned gsi, GError **errp)
{
    Recorder *r = opaque;

    (void)errp;
    g_assert_cmpint(fd, ==, r->fd);
    g_assert_cmpuint(gsi, ==, r->gsi);
    r->deassigns++;
    return true;
}

static bool rec_has_resample(void *opaque)
{
    return ((Recorder *)opaque)->resample;
}

static const MachineIrqOps rec_irq_ops = {
    .set_spi = rec_set_spi,
    .irqfd_assign = rec_assign,
    .irqfd_deassign = rec_deassign,
    .has_resample = rec_has_resample,
};

static void rec_set_level(void *opaque, bool level)
{
    g_string_append(((Recorder *)opaque)->levels, level ? "1" : "0");
}

static const VfioIrqLineOps rec_line_ops = { .set_level = rec_set_level };

/* A fake kernel with one device whose IRQ 0 has flags and count vectors and whose region 0
 * (one page, mmap-able) can be placed in a guest memory map, attached. */
typedef struct Rig {
    FakeVfio *f;
    char *sys;
    VfioContext *ctx;
    VfioDevice *vdev;
    Recorder rec;
    MachineState ms;
    VfioIrqLine line;
    MemoryRegion root;
    AddressSpace as;
    VfioRegion region;    /* set up by rig_map */
    GString *mmaps;       /* mmaps_enable calls: "-" (taken away), "+" (given back) */
} Rig;

/* The backend of the rig's device: legacy, or iommufd for the /vfio-irq/iommufd/ variants. */
static bool use_iommufd;

static void rig_init(Rig *t, uint32_t flags, uint32_t count, bool level)
{
    VfioAttachOptions o = VFIO_ATTACH_OPTIONS_INIT;
    g_autoptr(GError) err = NULL;
    g_autofree char *path = NULL;
    FakeDevice *d;

    memset(t, 0, sizeof(*t));
    t->sys = sysfs_fixture_new();
    t->f = fake_vfio_new("/dev/vfio");
    memory_region_init_container(&t->root, "system", UINT64_C(1) << 32);
    address_space_init(&t->as, &t->root, "memory");
    g_assert_true(address_space_commit(&t->as, NULL));
    t->ctx = vfio_context_new(&t->f->ops, t->sys, "/dev/vfio", &t->as);
    d = fake_vfio_add_device(t->f, DEV, 7, false, VFIO_DEVICE_FLAGS_AMBA);
    fake_device_add_region(d, RWM, 0x1000);
    fake_device_add_irq(d, flags, count);
    sysfs_fixture_add(t->sys, "amba", DEV, 7, false, "vfio-amba");
    if (use_iommufd) {
        sysfs_fixture_add_cdev(t->sys, "amba", DEV, d->cdev);
        g_assert_true(vfio_context_add_iommufd(t->ctx, "iommufd0", -1, NULL));
        o.iommufd = "iommufd0";
    }
    path = sysfs_fixture_path(t->sys, "amba", DEV);
    t->vdev = vfio_device_attach_opts(t->ctx, path, &o, &err);
    g_assert_no_error(err);
    t->rec = (Recorder){ .resample = true, .fd = -1, .resamplefd = -1,
                         .levels = g_string_new(NULL) };
    t->mmaps = g_string_new(NULL);
    t->ms = (MachineState){ .ops = &t->f->ops, .irq_ops = &rec_irq_ops, .irq_opaque = &t->rec,
                            .as = &t->as, .sysmem = &t->root };
    t->line = (VfioIrqLine){ .vdev = t->vdev, .gsi = 33, .level = level, .whole_index = true,
                             .want_irqfd = true, .mmap_timeout_ms = QUIET_MS,
                             .ops = &rec_line_ops, .opaque = &t->rec };
    g_strlcpy(t->line.name, "IRQ 0", sizeof(t->line.name));
}

/* Unwires (again: a no-op), detaches, and checks that no fd of any kind is left open. */
static void rig_done(Rig *t)
{
    vfio_irq_line_unwire(&t->line);
    g_assert_null(t->line.ms);
    g_assert_cmpint(t->line.trigger_fd, ==, -1);
    g_assert_cmpint(t->line.resample_fd, ==, -1);
    g_assert_cmpuint(fake_vfio_open_eventfds(t->f), ==, 0);
    g_assert_cmpuint(t->rec.assigns, ==, t->rec.deassigns);
    if (t->region.dev) {
        machine_unmap(&t->ms, &t->region.mr);
        vfio_region_finalize(&t->region);
        g_assert_cmpuint(fake_vfio_live_mmaps(t->f), ==, 0);
    }
    vfio_device_detach(t->vdev);
    vfio_context_free(t->ctx);
    g_assert_cmpuint(fake_vfio_open_fds(t->f), ==, 0);
    g_string_free(t->rec.levels, TRUE);
    g_string_free(t->mmaps, TRUE);
    address_space_destroy(&t->as);
    memory_region_finalize(&t->root);
    fake_vfio_free(t->f);
    sysfs_fixture_free(t->sys);
}

static const FakeSetIrqs *set_irqs_at(Rig *t, unsigned i)
{
    g_assert_cmpuint(i, <, t->f->set_irqs->len);
    return &g_array_index(t->f->set_irqs, FakeSetIrqs, i);
}

static void assert_set_irqs(Rig *t, unsigned i, uint32_t flags, uint32_t start, uint32_t count,
                            int32_t fd)
{
    const FakeSetIrqs *s = set_irqs_at(t, i);

    g_assert_cmphex(s->flags, ==, flags);
    g_assert_cmpuint(s->index, ==, 0);
    g_assert_cmpuint(s->start, ==, start);
    g_assert_cmpuint(s->count, ==, count);
    g_assert_cmpint(s->fd, ==, fd);
}

#define TRIGGER_FD (VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER)
#define UNMASK_FD (VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_UNMASK)
#define DISABLE (VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER)
#define UNMASK (VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK)

static void test_kernel_edge(void)
{
    g_autoptr(GError) err = NULL;
    Rig t;

    rig_init(&t, EDGE, 1, false);
    g_assert_true(vfio_irq_line_wire(&t.line, &t.ms, &err));
    g_assert_no_error(err);
    g_assert_true(t.line.kernel_path);
    g_assert_cmpuint(t.rec.assigns, ==, 1);
    g_assert_cmpint(t.rec.fd, ==, t.line.trigger_fd);
    g_assert_cmpint(t.rec.resamplefd, ==, -1);
    g_assert_cmpuint(t.rec.gsi, ==, 33);
    g_assert_cmpint(t.line.resample_fd, ==, -1);
    g_assert_cmpuint(fake_vfio_open_eventfds(t.f), ==, 1);
    g_assert_cmpuint(t.f->set_irqs->len, ==, 1);
    assert_set_irqs(&t, 0, TRIGGER_FD, 0, 1, t.line.trigger_fd);

    vfio_irq_line_unwire(&t.line);
    g_assert_cmpuint(t.rec.deassigns, ==, 1);
    g_assert_cmpuint(t.f->set_irqs->len, ==, 2);
    assert_set_irqs(&t, 1, DISABLE, 0, 0, -2);
    g_assert_cmpstr(t.rec.levels->str, ==, ""); /* the kernel path never calls set_level */
    rig_done(&t);
}

static void test_kernel_level(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(GString) stats = g_string_new(NULL);
    Rig t;

    rig_init(&t, LEVEL, 1, true);
    g_assert_true(vfio_irq_line_wire(&t.line, &t.ms, &err));
    g_assert_true(t.line.kernel_path);
    g_assert_cmpint(t.line.resample_fd, >=, 0);
    g_assert_cmpint(t.rec.resamplefd, ==, t.line.resample_fd);
    g_assert_cmpuint(fake_vfio_open_eventfds(t.f), ==, 2);
    g_assert_cmpuint(t.f->set_irqs->len, ==, 2);
    assert_set_irqs(&t, 0, TRIGGER_FD, 0, 1, t.line.trigger_fd);
    assert_set_irqs(&t, 1, UNMASK_FD, 0, 1, t.line.resample_fd);
    vfio_irq_line_print_stats(&t.line, "irq 0 -> SPI 33", stats);
    g_assert_cmpstr(stats->str, ==,
                    "  vfio " DEV " irq 0 -> SPI 33 (level): irqfd, userspace wakeups 0\n");
    rig_done(&t);
}

/* MSI-X vector 2 of 4 alone: SET_IRQS start 2, and unwire leaves the other vectors be. */
static void test_kernel_vector(void)
{
    g_autoptr(GError) err = NULL;
    Rig t;

    rig_init(&t, EDGE, 4, false);
    t.line.start = 2;
    t.line.gsi = 1000;
    t.line.whole_index = false;
    g_assert_true(vfio_irq_line_wire(&t.line, &t.ms, &err));
    assert_set_irqs(&t, 0, TRIGGER_FD, 2, 1, t.line.trigger_fd);
    g_assert_cmpuint(t.rec.gsi, ==, 1000);
    vfio_irq_line_unwire(&t.line);
    g_assert_cmpuint(t.f->set_irqs->len, ==, 2);
    assert_set_irqs(&t, 1, TRIGGER_FD, 2, 1, -1);
    rig_done(&t);
}

/* Runs the default main context until the recorder has seen want. */
static void run_until_levels(Rig *t, const char *want)
{
    gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;

    while (strcmp(t->rec.levels->str, want) != 0) {
        g_assert_cmpint(g_get_monotonic_time(), <, deadline);
        g_main_context_iteration(NULL, TRUE);
    }
}

/* ---- The userspace path of a level line: the owner's side, as vfio-platform does it ---- */

static void map_set_level(void *opaque, bool level)
{
    rec_set_level(&((Rig *)opaque)->rec, level);
}

static void map_mmaps_enable(void *opaque, bool on)
{
    Rig *t = opaque;

    g_string_append_c(t->mmaps, on ? '+' : '-');
    if (vfio_region_mmaps_enable(&t->region, on)) {
        vfio_device_commit_map(t->vdev);
    }
}

static const VfioIrqLineOps map_line_ops = {
    .set_level = map_set_level,
    .mmaps_enable = map_mmaps_enable,
};

static void map_on_trap(void *opaque)
{
    vfio_irq_line_trapped_access(&((Rig *)opaque)->line);
}

/* Region 0 set up (mmap'd), placed at REGION_GPA and committed; the line uses map_line_ops. */
static void rig_map(Rig *t)
{
    g_autoptr(GError) err = NULL;

    if (sysconf(_SC_PAGESIZE) != 4096) {
        g_test_skip("the host page size is not 4 KiB");
        return;
    }
    g_assert_true(vfio_region_setup(t->vdev, 0, true, &t->region, &err));
    g_assert_no_error(err);
    g_assert_cmpuint(t->region.nr_mmaps, ==, 1);
    t->region.on_trap = map_on_trap;
    t->region.on_trap_opaque = t;
    g_assert_true(memory_region_add_subregion(&t->root, REGION_GPA, &t->region.mr, 0, NULL));
    g_assert_true(address_space_commit(&t->as, NULL));
    t->line.ops = &map_line_ops;
    t->line.opaque = t;
    t->line.want_irqfd = false;
}

/* What the guest reaches at the region: true for the mmap, false for the trapped region. */
static bool rig_mapped(Rig *t)
{
    const FlatRange *fr = flatview_lookup(t->as.view, REGION_GPA);

    g_assert_nonnull(fr);
    if (fr->mr == &t->region.mmaps[0].mr) {
        return true;
    }
    g_assert_true(fr->mr == &t->region.mr);
    return false;
}

/* A guest read of the device's first register (a vCPU's access). */
static void guest_read(Rig *t)
{
    uint8_t buf[4];

    g_assert_true(address_space_rw(&t->as, REGION_GPA, buf, 4, false));
}

static void guest_write(Rig *t)
{
    uint8_t buf[4] = { 1, 0, 0, 0 };

    g_assert_true(address_space_rw(&t->as, REGION_GPA + 4, buf, 4, true));
}

/* Runs the default main context until the mmaps are back (at most 5 s). */
static void run_until_mapped(Rig *t)
{
    gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;

    while (!rig_mapped(t)) {
        g_assert_cmpint(g_get_monotonic_time(), <, deadline);
        g_main_context_iteration(NULL, TRUE);
    }
}

/* Runs the default main context for ms milliseconds. */
static void run_for(unsigned ms)
{
    gint64 end = g_get_monotonic_time() + ms * 1000;

    while (g_get_monotonic_time() < end) {
        g_main_context_iteration(NULL, FALSE);
        g_usleep(1000);
    }
}

/* The rig of the userspace-path tests: a level line whose device region is mapped in the
 * guest's memory map, wired. False (the rig already torn down) where the fake kernel's
 * regions cannot be mapped. */
static bool rig_level_mapped(Rig *t)
{
    g_autoptr(GError) err = NULL;

    rig_init(t, LEVEL, 1, true);
    rig_map(t);
    if (!t->region.dev) {
        rig_done(t);
        return false;
    }
    g_assert_true(vfio_irq_line_wire(&t->line, &t->ms, &err));
    g_assert_no_error(err);
    return true;
}

static void test_userspace_level(void)
{
    g_autoptr(GString) stats = g_string_new(NULL);
    uint64_t reads;
    Rig t;

    if (!rig_level_mapped(&t)) {
        return;
    }
    g_assert_false(t.line.kernel_path);
    g_assert_cmpuint(t.rec.assigns, ==, 0);
    g_assert_cmpint(t.line.resample_fd, ==, -1);
    g_assert_cmpuint(t.f->set_irqs->len, ==, 1);
    assert_set_irqs(&t, 0, TRIGGER_FD, 0, 1, t.line.trigger_fd);
    g_assert_true(rig_mapped(&t));

    /* The device interrupts: the mmaps go (every access traps), the line goes up, and nothing
     * is unmasked until the guest touches the device. */
    g_assert_cmpint(eventfd_write(t.line.trigger_fd, 1), ==, 0);
    run_until_levels(&t, "1");
    g_assert_cmpstr(t.mmaps->str, ==, "-");
    g_assert_false(rig_mapped(&t));
    g_assert_true(t.line.trapping);
    g_assert_cmpuint(t.line.mmap_timer, !=, 0);
    g_assert_cmpuint(t.line.wakeups, ==, 1);
    g_assert_cmpuint(t.f->set_irqs->len, ==, 1);

    /* The guest's first access (trapped now) completes it: the line goes down, an unmask. */
    guest_read(&t);
    g_assert_cmpuint(t.region.mr.trapped_reads, ==, 1);
    g_assert_cmpstr(t.rec.levels->str, ==, "10");
    g_assert_cmpuint(t.f->set_irqs->len, ==, 2);
    assert_set_irqs(&t, 1, UNMASK, 0, 1, -2);
    g_assert_cmpuint(t.line.completions, ==, 1);
    /* Its next accesses complete nothing more. */
    guest_write(&t);
    g_assert_cmpuint(t.f->set_irqs->len, ==, 2);
    g_assert_cmpuint(t.line.completions, ==, 1);

    /* A second interrupt inside the quiet period: the mmaps stay away, the period restarts. */
    run_for(QUIET_MS / 2);
    g_assert_cmpint(eventfd_write(t.line.trigger_fd, 1), ==, 0);
    run_until_levels(&t, "101");
    g_assert_cmpstr(t.mmaps->str, ==, "-");
    g_assert_false(rig_mapped(&t));
    guest_write(&t);
    g_assert_cmpstr(t.rec.levels->str, ==, "1010");
    g_assert_cmpuint(t.f->set_irqs->len, ==, 3);
    assert_set_irqs(&t, 2, UNMASK, 0, 1, -2);
    run_for(QUIET_MS * 3 / 4); /* past the first interrupt's period, not the second's */
    g_assert_false(rig_mapped(&t));

    /* Quiet for the period: the mmaps come back; accesses no longer trap. */
    run_until_mapped(&t);
    g_assert_cmpstr(t.mmaps->str, ==, "-+");
    g_assert_false(t.line.trapping);
    g_assert_cmpuint(t.line.mmap_timer, ==, 0);
    g_assert_cmpuint(t.line.wakeups, ==, 3); /* two interrupts and one quiet period */
    reads = t.region.mr.trapped_reads;
    guest_read(&t);
    g_assert_cmpuint(t.region.mr.trapped_reads, ==, reads);
    g_assert_cmpuint(t.f->set_irqs->len, ==, 3);

    vfio_irq_line_print_stats(&t.line, "irq 0 -> SPI 33", stats);
    g_assert_cmpstr(stats->str, ==, "  vfio " DEV " irq 0 -> SPI 33 (level): userspace, "
                    "userspace wakeups 3, completed by trapped access 2, by backstop 0, "
                    "stale 0\n");
    rig_done(&t);
}

/* A guest that does not touch the device (its handler found nothing to do): after
 * VFIO_IRQ_BACKSTOP_MS the backstop completes the interrupt (line down, host IRQ unmasked), the
 * mmaps come back after the quiet period, and the next interrupt goes the usual way. */
static void test_userspace_level_untouched(void)
{
    g_autoptr(GString) stats = g_string_new(NULL);
    gint64 raised;
    Rig t;

    if (!rig_level_mapped(&t)) {
        return;
    }
    g_assert_cmpint(eventfd_write(t.line.trigger_fd, 1), ==, 0);
    run_until_levels(&t, "1");
    raised = t.line.raised_at;
    g_assert_cmpuint(t.line.backstop_timer, !=, 0);
    run_until_levels(&t, "10");
    g_assert_cmpint(g_get_monotonic_time() - raised, >=, (VFIO_IRQ_BACKSTOP_MS - 1) * 1000);
    g_assert_cmpuint(t.line.backstops, ==, 1);
    g_assert_cmpuint(t.line.completions, ==, 0);
    g_assert_cmpuint(t.line.backstop_timer, ==, 0);
    g_assert_cmpuint(t.f->set_irqs->len, ==, 2);
    assert_set_irqs(&t, 1, UNMASK, 0, 1, -2);
    g_assert_false(rig_mapped(&t)); /* still within the quiet period */
    guest_read(&t); /* a late access completes nothing more */
    g_assert_cmpuint(t.f->set_irqs->len, ==, 2);
    run_until_mapped(&t);
    g_assert_cmpstr(t.mmaps->str, ==, "-+");
    g_assert_cmpstr(t.rec.levels->str, ==, "10");
    /* The next interrupt, serviced at once: the backstop stays out of it. */
    g_assert_cmpint(eventfd_write(t.line.trigger_fd, 1), ==, 0);
    run_until_levels(&t, "101");
    guest_read(&t);
    g_assert_cmpstr(t.rec.levels->str, ==, "1010");
    run_for(VFIO_IRQ_BACKSTOP_MS * 3);
    g_assert_cmpuint(t.line.backstops, ==, 1);
    g_assert_cmpuint(t.line.completions, ==, 1);
    vfio_irq_line_print_stats(&t.line, "irq 0 -> SPI 33", stats);
    g_assert_nonnull(strstr(stats->str, "completed by trapped access 1, by backstop 1, stale 0\n"));
    rig_done(&t);
}

/* A guest whose vCPU does not run for a while (a busy host): the device asserts again at once
 * after each backstop completion. The backstop's wait doubles up to VFIO_IRQ_BACKSTOP_MAX_MS
 * instead of cycling every VFIO_IRQ_BACKSTOP_MS (a storm of raise/complete cycles on the e2e
 * bed under load); the guest's access completes the interrupt and the wait is the default again. */
static void test_userspace_level_slow_guest(void)
{
    g_autoptr(GString) want = g_string_new("1");
    unsigned expect = VFIO_IRQ_BACKSTOP_MS;
    Rig t;

    if (!rig_level_mapped(&t)) {
        return;
    }
    g_assert_cmpint(eventfd_write(t.line.trigger_fd, 1), ==, 0);
    run_until_levels(&t, "1");
    for (unsigned i = 0; i < 7; i++) {
        gint64 raised = t.line.raised_at;

        g_string_append(want, "0");
        run_until_levels(&t, want->str); /* the backstop completes it */
        g_assert_cmpint(g_get_monotonic_time() - raised, >=, ((gint64)expect - 1) * 1000);
        g_assert_cmpuint(t.line.backstops, ==, i + 1);
        g_assert_cmpint(eventfd_write(t.line.trigger_fd, 1), ==, 0); /* still asserting */
        g_string_append(want, "1");
        run_until_levels(&t, want->str);
        expect = MIN(expect * 2, VFIO_IRQ_BACKSTOP_MAX_MS);
        g_assert_cmpuint(t.line.backstop_ms, ==, expect);
    }
    g_assert_cmpuint(expect, ==, VFIO_IRQ_BACKSTOP_MAX_MS); /* 2, 4, ..., 64, 64 */
    guest_read(&t); /* the vCPU runs at last: its access completes the interrupt */
    g_string_append(want, "0");
    g_assert_cmpstr(t.rec.levels->str, ==, want->str);
    g_assert_cmpuint(t.line.completions, ==, 1);
    g_assert_cmpuint(t.line.backstop_ms, ==, 0);
    g_assert_cmpuint(t.line.backstop_done_at, ==, 0);
    rig_done(&t);
}

/* After a backstop completion, an interrupt that fires again only after
 * VFIO_IRQ_BACKSTOP_MAX_MS was serviced in between, not left waiting by a slow vCPU: the
 * backstop's wait, doubled by a quick re-fire, is the default again. */
static void test_userspace_level_backstop_resets(void)
{
    Rig t;

    if (!rig_level_mapped(&t)) {
        return;
    }
    g_assert_cmpint(eventfd_write(t.line.trigger_fd, 1), ==, 0);
    run_until_levels(&t, "1");
    run_until_levels(&t, "10"); /* the backstop completes it */
    g_assert_cmpint(eventfd_write(t.line.trigger_fd, 1), ==, 0); /* again at once */
    run_until_levels(&t, "101");
    g_assert_cmpuint(t.line.backstop_ms, ==, 2 * VFIO_IRQ_BACKSTOP_MS);
    run_until_levels(&t, "1010");
    g_usleep((VFIO_IRQ_BACKSTOP_MAX_MS + 10) * 1000);
    g_assert_cmpint(eventfd_write(t.line.trigger_fd, 1), ==, 0); /* a new interrupt, later */
    run_until_levels(&t, "10101");
    g_assert_cmpuint(t.line.backstop_ms, ==, 0);
    g_assert_cmpuint(t.line.backstops, ==, 2);
    guest_read(&t);
    g_assert_cmpstr(t.rec.levels->str, ==, "101010");
    rig_done(&t);
}

/* The device asserts again (e.g. right after an unmask) and the guest's access comes before
 * the main loop has read it: the access completes it; the line never goes up for it. */
static void test_userspace_level_refire(void)
{
    Rig t;

    if (!rig_level_mapped(&t)) {
        return;
    }
    g_assert_cmpint(eventfd_write(t.line.trigger_fd, 1), ==, 0);
    run_until_levels(&t, "1");
    guest_read(&t);
    g_assert_cmpint(eventfd_write(t.line.trigger_fd, 1), ==, 0); /* not read by the loop yet */
    guest_write(&t);
    g_assert_cmpstr(t.rec.levels->str, ==, "10");
    g_assert_cmpuint(t.line.completions, ==, 2);
    g_assert_cmpuint(t.f->set_irqs->len, ==, 3);
    assert_set_irqs(&t, 2, UNMASK, 0, 1, -2);
    run_until_mapped(&t);
    g_assert_cmpstr(t.rec.levels->str, ==, "10");
    g_assert_cmpuint(t.line.wakeups, ==, 2); /* the interrupt and the quiet period */
    rig_done(&t);
}

/* Unwired while the mmaps are away and the line high: the mmaps come back, the line goes down,
 * the timer goes, no fd stays open (rig_done). */
static void test_userspace_level_unwire(void)
{
    Rig t;

    if (!rig_level_mapped(&t)) {
        return;
    }
    g_assert_cmpint(eventfd_write(t.line.trigger_fd, 1), ==, 0);
    run_until_levels(&t, "1");
    g_assert_false(rig_mapped(&t));
    vfio_irq_line_unwire(&t.line);
    g_assert_true(rig_mapped(&t));
    g_assert_cmpstr(t.mmaps->str, ==, "-+");
    g_assert_cmpstr(t.rec.levels->str, ==, "10");
    g_assert_cmpuint(t.line.mmap_timer, ==, 0);
    g_assert_false(t.line.trapping);
    run_for(QUIET_MS * 2); /* no timer left to fire on the unwired line */
    g_assert_cmpstr(t.mmaps->str, ==, "-+");
    vfio_irq_line_trapped_access(&t.line); /* a no-op once unwired */
    g_assert_cmpuint(t.f->set_irqs->len, ==, 2); /* TRIGGER, then the disable */
    assert_set_irqs(&t, 1, DISABLE, 0, 0, -2);
    rig_done(&t);
}

/* An owner without mmaps (a quirky device, x-no-mmap): the trapped access alone completes. */
static void test_userspace_level_no_mmaps(void)
{
    g_autoptr(GError) err = NULL;
    Rig t;

    rig_init(&t, LEVEL, 1, true);
    t.line.want_irqfd = false;
    g_assert_true(vfio_irq_line_wire(&t.line, &t.ms, &err));
    vfio_irq_line_trapped_access(&t.line); /* nothing pending: nothing to do */
    g_assert_cmpuint(t.f->set_irqs->len, ==, 1);
    g_assert_cmpint(eventfd_write(t.line.trigger_fd, 1), ==, 0);
    run_until_levels(&t, "1");
    vfio_irq_line_trapped_access(&t.line);
    g_assert_cmpstr(t.rec.levels->str, ==, "10");
    assert_set_irqs(&t, 1, UNMASK, 0, 1, -2);
    rig_done(&t);
}

/* On the kernel path the resamplefd completes: a trapped access does nothing. */
static void test_kernel_level_trapped_access(void)
{
    g_autoptr(GError) err = NULL;
    Rig t;

    rig_init(&t, LEVEL, 1, true);
    g_assert_true(vfio_irq_line_wire(&t.line, &t.ms, &err));
    g_assert_true(t.line.kernel_path);
    vfio_irq_line_trapped_access(&t.line);
    g_assert_cmpuint(t.f->set_irqs->len, ==, 2);
    g_assert_cmpstr(t.rec.levels->str, ==, "");
    rig_done(&t);
}

static void test_userspace_edge(void)
{
    g_autoptr(GError) err = NULL;
    Rig t;

    rig_init(&t, EDGE, 1, false);
    t.line.want_irqfd = false;
    g_assert_true(vfio_irq_line_wire(&t.line, &t.ms, &err));
    g_assert_cmpint(eventfd_write(t.line.trigger_fd, 1), ==, 0);
    run_until_levels(&t, "10");
    g_assert_cmpuint(t.line.wakeups, ==, 1);
    g_assert_cmpuint(t.f->set_irqs->len, ==, 1); /* nothing to unmask */
    rig_done(&t);
}

/* A level line on a KVM without KVM_CAP_IRQFD_RESAMPLE: a warning, then the userspace path. */
static void test_no_resample(void)
{
    g_autoptr(GError) err = NULL;
    Rig t;

    rig_init(&t, LEVEL, 1, true);
    t.rec.resample = false;
    g_test_expect_message("armpass-vfio", G_LOG_LEVEL_WARNING,
                          "vfio " DEV ": KVM has no irqfd resample: IRQ 0 goes through armpass");
    g_assert_true(vfio_irq_line_wire(&t.line, &t.ms, &err));
    g_test_assert_expected_messages();
    g_assert_false(t.line.kernel_path);
    g_assert_cmpuint(t.rec.assigns, ==, 0);
    g_assert_cmpuint(t.line.trigger_watch, !=, 0);
    rig_done(&t);
}

/* Without an interrupt controller (device tree only) nothing is made. */
static void test_no_irq_ops(void)
{
    g_autoptr(GError) err = NULL;
    Rig t;

    rig_init(&t, LEVEL, 1, true);
    t.ms.irq_ops = NULL;
    g_assert_true(vfio_irq_line_wire(&t.line, &t.ms, &err));
    g_assert_cmpint(t.line.trigger_fd, ==, -1);
    g_assert_cmpuint(fake_vfio_open_eventfds(t.f), ==, 0);
    g_assert_cmpuint(t.f->set_irqs->len, ==, 0);
    rig_done(&t);
}

/* SET_IRQS refused (the nth call): the error names the call, and nothing stays open. */
static void check_set_irqs_fails(bool level, unsigned nth, unsigned start, const char *want)
{
    g_autoptr(GError) err = NULL;
    Rig t;

    rig_init(&t, level ? LEVEL : EDGE, 4, level);
    t.line.start = start;
    fake_vfio_fail_ioctl(t.f, VFIO_DEVICE_SET_IRQS, nth, EINVAL);
    g_assert_false(vfio_irq_line_wire(&t.line, &t.ms, &err));
    g_assert_nonnull(err);
    g_assert_true(g_str_has_prefix(err->message, want));
    g_assert_true(g_str_has_suffix(err->message, g_strerror(EINVAL)));
    g_assert_null(t.line.ms);
    g_assert_cmpuint(fake_vfio_open_eventfds(t.f), ==, 0);
    g_assert_cmpuint(t.rec.assigns, ==, 1);
    g_assert_cmpuint(t.rec.deassigns, ==, 1);
    rig_done(&t);
}

/* Which SET_IRQS is refused (the nth, on a level or edge line from vector start), and how the
 * message starts. */
static const struct {
    bool level;
    unsigned nth, start;
    const char *want;
} set_irqs_failures[] = {
    { false, 1, 0, "vfio " DEV ": VFIO_DEVICE_SET_IRQS (index 0, TRIGGER eventfd " },
    { false, 1, 3, "vfio " DEV ": VFIO_DEVICE_SET_IRQS (index 0, start 3, TRIGGER eventfd " },
    { true, 2, 0, "vfio " DEV ": VFIO_DEVICE_SET_IRQS (index 0, UNMASK eventfd " },
};

static void test_set_irqs_fails(void)
{
    for (unsigned i = 0; i < G_N_ELEMENTS(set_irqs_failures); i++) {
        check_set_irqs_fails(set_irqs_failures[i].level, set_irqs_failures[i].nth,
                             set_irqs_failures[i].start, set_irqs_failures[i].want);
    }
}

static void test_irqfd_fails(void)
{
    g_autoptr(GError) err = NULL;
    Rig t;

    rig_init(&t, LEVEL, 1, true);
    t.rec.fail_assign = ENOSPC;
    g_assert_false(vfio_irq_line_wire(&t.line, &t.ms, &err));
    g_assert_nonnull(strstr(err->message, "KVM_IRQFD (SPI 33)"));
    g_assert_cmpuint(fake_vfio_open_eventfds(t.f), ==, 0);
    g_assert_cmpuint(t.rec.deassigns, ==, 0);
    rig_done(&t);
}

/* The owner's hint follows a TRIGGER refused with EINVAL, and only that. */
static void check_trigger_hint(int err_no, bool want_hint)
{
    g_autoptr(GError) err = NULL;
    Rig t;

    rig_init(&t, LEVEL, 1, true);
    t.line.trigger_hint = "THE HINT";
    fake_vfio_fail_ioctl(t.f, VFIO_DEVICE_SET_IRQS, 1, err_no);
    g_assert_false(vfio_irq_line_wire(&t.line, &t.ms, &err));
    g_assert_error(err, VFIO_ERROR, err_no);
    g_assert_nonnull(strstr(err->message, "VFIO_DEVICE_SET_IRQS (index 0, TRIGGER eventfd "));
    g_assert_cmpint(g_str_has_suffix(err->message, ": THE HINT"), ==, want_hint);
    g_assert_nonnull(strstr(err->message, g_strerror(err_no)));
    g_assert_cmpuint(fake_vfio_open_eventfds(t.f), ==, 0);
    rig_done(&t);
}

static void test_trigger_hint(void)
{
    static const struct {
        int err_no;
        bool want_hint;
    } cases[] = { { EINVAL, true }, { EBUSY, false } };

    for (unsigned i = 0; i < G_N_ELEMENTS(cases); i++) {
        check_trigger_hint(cases[i].err_no, cases[i].want_hint);
    }
}

/*
 * vfio-amba realized on the fake kernel: the host node (of_node in the sysfs fixture) says
 * gpio-controller (or not: no hint), and the kernel refuses the IRQ's TRIGGER with EINVAL, as
 * 6.1 and 6.12 do for a PL061 whose gpio-pl061 driver bound it since boot.
 */
static void check_realize_hint(const char *controller_prop, const char *want)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(OptList) ol = NULL;
    g_autofree char *of_node = NULL;
    ArmpassConfig cfg;
    MemoryRegion root;
    AddressSpace as;
    Recorder rec = { .resample = true, .fd = -1, .resamplefd = -1,
                     .levels = g_string_new(NULL) };
    char *sys = sysfs_fixture_new();
    FakeVfio *f = fake_vfio_new("/dev/vfio");
    FakeDevice *fd;
    DeviceState *dev;
    MachineState ms;
    static const guint8 compat[] = "arm,pl061\0arm,primecell";
    static const guint8 reg[] = { 0, 0, 0, 0, 0x09, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0 };
    static const guint8 irq[] = { 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 4 };

    armpass_config_init(&cfg);
    memory_region_init_container(&root, "system", UINT64_C(1) << 40);
    address_space_init(&as, &root, "memory");
    g_assert_true(address_space_commit(&as, NULL));
    fd = fake_vfio_add_device(f, "9030000.pl061", 7, false, VFIO_DEVICE_FLAGS_AMBA);
    fake_device_add_region(fd, RWM, 0x1000);
    fake_device_add_irq(fd, LEVEL, 1);
    sysfs_fixture_add(sys, "amba", "9030000.pl061", 7, false, "vfio-amba");
    of_node = g_build_filename(sys, "devices", "platform", "9030000.pl061", "of_node", NULL);
    g_assert_cmpint(g_mkdir_with_parents(of_node, 0755), ==, 0);
    {
        g_autofree char *p1 = g_build_filename(of_node, "compatible", NULL);
        g_autofree char *p2 = g_build_filename(of_node, "reg", NULL);
        g_autofree char *p3 = g_build_filename(of_node, "interrupts", NULL);

        g_assert_true(g_file_set_contents(p1, (const char *)compat, sizeof(compat), NULL));
        g_assert_true(g_file_set_contents(p2, (const char *)reg, sizeof(reg), NULL));
        g_assert_true(g_file_set_contents(p3, (const char *)irq, sizeof(irq), NULL));
        if (controller_prop) {
            g_autofree char *p4 = g_build_filename(of_node, controller_prop, NULL);

            g_assert_true(g_file_set_contents(p4, "", 0, NULL));
        }
    }
    ms = (MachineState){ .cfg = &cfg, .ops = &f->ops, .irq_ops = &rec_irq_ops,
                         .irq_opaque = &rec, .sysmem = &root, .as = &as,
                         .max_spi = VIRT_GIC_NR_IRQS - 33, .gic_phandle = VIRT_PHANDLE_GIC,
                         .apb_pclk_phandle = VIRT_PHANDLE_APB_PCLK,
                         .next_phandle = VIRT_PHANDLE_FIRST_FREE, .sysfs_root = sys,
                         .dev_vfio = (char *)"/dev/vfio" };
    platform_bus_init(&ms.pbus, virt_memmap[VIRT_PLATFORM_BUS].base,
                      virt_memmap[VIRT_PLATFORM_BUS].size, virt_irqmap[VIRT_IRQ_PLATFORM_BUS],
                      VIRT_PLATFORM_BUS_NUM_IRQS);
    g_assert_true(opt_list_parse("vfio-amba,host=9030000.pl061", true, &ol, &err));
    dev = device_create(virt_device_classes, ol, 0, &err);
    g_assert_no_error(err);
    fake_vfio_fail_ioctl(f, VFIO_DEVICE_SET_IRQS, 1, EINVAL);
    g_assert_false(dev->klass->realize(dev, &ms, &err));
    g_assert_nonnull(err);
    g_test_message("%s", err->message);
    g_assert_true(g_str_has_prefix(err->message, "vfio 9030000.pl061: VFIO_DEVICE_SET_IRQS "
                                   "(index 0, TRIGGER eventfd "));
    if (want) {
        g_assert_nonnull(strstr(err->message, want));
        g_assert_nonnull(strstr(err->message, "until reboot"));
        g_assert_nonnull(strstr(err->message, "initcall_blacklist="));
        g_assert_nonnull(strstr(err->message, "bind the device to vfio-amba"));
    } else {
        g_assert_true(g_str_has_suffix(err->message, g_strerror(EINVAL)));
    }
    g_assert_null(strchr(err->message, '\n'));
    /* realize failed: nothing is left open */
    g_assert_cmpuint(fake_vfio_open_fds(f), ==, 0);
    g_assert_cmpuint(fake_vfio_open_eventfds(f), ==, 0);
    device_free(dev);
    vfio_context_free(ms.vfio);
    platform_bus_destroy(&ms.pbus);
    address_space_destroy(&as);
    memory_region_finalize(&root);
    armpass_config_clear(&cfg);
    g_string_free(rec.levels, TRUE);
    fake_vfio_free(f);
    sysfs_fixture_free(sys);
}

static void test_realize_gpio_hint(void)
{
    check_realize_hint("gpio-controller", "its node says gpio-controller");
    check_realize_hint("interrupt-controller", "its node says interrupt-controller");
    check_realize_hint(NULL, NULL);
}

static void add_both(const char *path, void (*fn)(void))
{
    fake_test_add_both(path, fn, &use_iommufd);
}

int main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    add_both("/vfio-irq/kernel-edge", test_kernel_edge);
    add_both("/vfio-irq/kernel-level", test_kernel_level);
    add_both("/vfio-irq/kernel-vector", test_kernel_vector);
    add_both("/vfio-irq/kernel-level-trapped-access", test_kernel_level_trapped_access);
    add_both("/vfio-irq/userspace-level", test_userspace_level);
    add_both("/vfio-irq/userspace-level-untouched", test_userspace_level_untouched);
    add_both("/vfio-irq/userspace-level-slow-guest", test_userspace_level_slow_guest);
    add_both("/vfio-irq/userspace-level-backstop-resets", test_userspace_level_backstop_resets);
    add_both("/vfio-irq/userspace-level-refire", test_userspace_level_refire);
    add_both("/vfio-irq/userspace-level-unwire", test_userspace_level_unwire);
    add_both("/vfio-irq/userspace-level-no-mmaps", test_userspace_level_no_mmaps);
    add_both("/vfio-irq/userspace-edge", test_userspace_edge);
    add_both("/vfio-irq/no-resample", test_no_resample);
    add_both("/vfio-irq/no-irq-ops", test_no_irq_ops);
    add_both("/vfio-irq/set-irqs-fails", test_set_irqs_fails);
    add_both("/vfio-irq/irqfd-fails", test_irqfd_fails);
    g_test_add_func("/vfio-irq/trigger-hint", test_trigger_hint);
    g_test_add_func("/vfio-irq/realize-gpio-hint", test_realize_gpio_hint);
    armpass_rcu_register_thread(); /* commits and accesses read the view under RCU */
    ret = g_test_run();
    armpass_rcu_barrier();
    armpass_rcu_unregister_thread();
    return ret;
}
