// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests of the MemoryRegion tree, its flattening, listeners and access dispatch. */
#include "system/memory.h"

#include <glib.h>
#include <inttypes.h>
#include <string.h>

#define SYS_SIZE (UINT64_C(1) << 32)

/* ---- A recording listener ------------------------------------------------------------ */

/*
 * Logs every callback as "add NAME [0xA, 0xB) +0xOFF" / "del ...", and mirrors the ranges it
 * was told of so that a test can check the listener ends up agreeing with the view: a del of
 * a range it never heard of, or an add overlapping one it holds, fails at once.
 */
typedef struct RecListener {
    MemoryListener ml;
    GPtrArray *events; /* char * */
    GArray *mirror;    /* FlatRange, in the order added */
    const MemoryRegion *refuse; /* region_add fails for ranges of this region */
    bool lenient; /* a del of an unknown range is fine (after a failed commit) */
} RecListener;

static char *fr_str(const char *what, const FlatRange *fr)
{
    return g_strdup_printf("%s %s [0x%" PRIx64 ", 0x%" PRIx64 ") +0x%" PRIx64, what,
                           fr->mr->name, fr->addr, fr->addr + fr->size, fr->offset_in_region);
}

static bool rec_add(MemoryListener *ml, const FlatRange *fr, GError **errp)
{
    RecListener *r = (RecListener *)ml;

    g_ptr_array_add(r->events, fr_str("add", fr));
    if (fr->mr == r->refuse) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_NOSPC, "%s: refusing \"%s\"", ml->name,
                    fr->mr->name);
        return false;
    }
    for (guint i = 0; i < r->mirror->len; i++) {
        const FlatRange *m = &g_array_index(r->mirror, FlatRange, i);

        g_assert_false(fr->addr < m->addr + m->size && m->addr < fr->addr + fr->size);
    }
    g_array_append_val(r->mirror, *fr);
    return true;
}

static void rec_del(MemoryListener *ml, const FlatRange *fr)
{
    RecListener *r = (RecListener *)ml;
    guint i;

    g_ptr_array_add(r->events, fr_str("del", fr));
    for (i = 0; i < r->mirror->len; i++) {
        if (!memcmp(&g_array_index(r->mirror, FlatRange, i), fr, sizeof(*fr))) {
            break;
        }
    }
    if (i < r->mirror->len) {
        g_array_remove_index(r->mirror, i);
    } else {
        g_assert_true(r->lenient); /* told of a range it never heard of */
    }
}

static void rec_init(RecListener *r, const char *name)
{
    memset(r, 0, sizeof(*r));
    r->ml.name = name;
    r->ml.region_add = rec_add;
    r->ml.region_del = rec_del;
    r->events = g_ptr_array_new_with_free_func(g_free);
    r->mirror = g_array_new(FALSE, FALSE, sizeof(FlatRange));
}

static void rec_cleanup(RecListener *r)
{
    g_ptr_array_free(r->events, TRUE);
    g_array_free(r->mirror, TRUE);
}

/* Checks the events logged since the last call against the NULL-terminated list, in order. */
static void rec_expect(RecListener *r, ...)
{
    va_list ap;
    guint i = 0;
    const char *want;

    va_start(ap, r);
    while ((want = va_arg(ap, const char *))) {
        g_assert_cmpuint(i, <, r->events->len);
        g_assert_cmpstr(g_ptr_array_index(r->events, i), ==, want);
        i++;
    }
    va_end(ap);
    g_assert_cmpuint(i, ==, r->events->len);
    g_ptr_array_set_size(r->events, 0);
}

static int fr_cmp(gconstpointer a, gconstpointer b)
{
    const FlatRange *x = a, *y = b;

    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* The listener holds exactly the ranges of the committed view. */
static void rec_agrees(RecListener *r, const AddressSpace *as)
{
    g_array_sort(r->mirror, fr_cmp);
    g_assert_nonnull(as->view);
    g_assert_cmpuint(r->mirror->len, ==, as->view->nr);
    for (unsigned i = 0; i < as->view->nr; i++) {
        g_assert_true(!memcmp(&g_array_index(r->mirror, FlatRange, i), &as->view->ranges[i],
                              sizeof(FlatRange)));
    }
}

/* ---- A fake trapped device ----------------------------------------------------------- */

typedef struct Access {
    bool is_write;
    uint64_t offset;
    uint64_t value;
    unsigned size;
} Access;

typedef struct FakeDev {
    GArray *log;         /* Access */
    uint64_t read_value; /* what reads return: read_value + offset */
} FakeDev;

static uint64_t fake_read(void *opaque, uint64_t offset, unsigned size)
{
    FakeDev *d = opaque;
    Access a = { false, offset, 0, size };
    uint64_t v = d->read_value + offset;

    if (size < 8) {
        v &= (UINT64_C(1) << (size * 8)) - 1;
    }
    a.value = v;
    g_array_append_val(d->log, a);
    return v;
}

static void fake_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    FakeDev *d = opaque;
    Access a = { true, offset, value, size };

    g_array_append_val(d->log, a);
}

static const MemoryRegionOps fake_ops = {
    .read = fake_read,
    .write = fake_write,
};

static void fake_init(FakeDev *d, uint64_t read_value)
{
    d->log = g_array_new(FALSE, FALSE, sizeof(Access));
    d->read_value = read_value;
}

static void fake_cleanup(FakeDev *d)
{
    g_array_free(d->log, TRUE);
}

static void assert_access(const FakeDev *d, guint i, bool is_write, uint64_t offset,
                          uint64_t value, unsigned size)
{
    const Access *a;

    g_assert_cmpuint(i, <, d->log->len);
    a = &g_array_index(d->log, Access, i);
    g_assert_cmpint(a->is_write, ==, is_write);
    g_assert_cmphex(a->offset, ==, offset);
    g_assert_cmphex(a->value, ==, value);
    g_assert_cmpuint(a->size, ==, size);
}

/* ---- Helpers ------------------------------------------------------------------------- */

static void add_ok(MemoryRegion *parent, uint64_t offset, MemoryRegion *sub, int priority)
{
    GError *err = NULL;

    g_assert_true(memory_region_add_subregion(parent, offset, sub, priority, &err));
    g_assert_no_error(err);
}

static void assert_range(const FlatView *fv, unsigned i, uint64_t addr, uint64_t size,
                         const MemoryRegion *mr, uint64_t offset_in_region)
{
    g_assert_cmpuint(i, <, fv->nr);
    g_assert_cmphex(fv->ranges[i].addr, ==, addr);
    g_assert_cmphex(fv->ranges[i].size, ==, size);
    g_assert_cmpstr(fv->ranges[i].mr->name, ==, mr->name);
    g_assert_true(fv->ranges[i].mr == mr);
    g_assert_cmphex(fv->ranges[i].offset_in_region, ==, offset_in_region);
}

static void commit_ok(AddressSpace *as)
{
    GError *err = NULL;

    g_assert_true(address_space_commit(as, &err));
    g_assert_no_error(err);
}

/* ---- add_subregion ------------------------------------------------------------------- */

static void test_add_empty(void)
{
    MemoryRegion sys, empty;
    GError *err = NULL;

    memory_region_init_container(&sys, "system", SYS_SIZE);
    memory_region_init_io(&empty, "empty", 0, &fake_ops, NULL);

    g_assert_false(memory_region_add_subregion(&sys, 0x1000, &empty, 0, &err));
    g_assert_error(err, ARMPASS_MEMORY_ERROR, ARMPASS_MEMORY_ERROR_EMPTY);
    g_assert_nonnull(strstr(err->message, "\"empty\""));
    g_assert_null(empty.parent);
    g_assert_null(sys.subregions);
    g_error_free(err);

    memory_region_finalize(&empty);
    memory_region_finalize(&sys);
}

static void test_add_overlap_same_priority(void)
{
    MemoryRegion sys, uart, rtc, next;
    GError *err = NULL;

    memory_region_init_container(&sys, "system", SYS_SIZE);
    memory_region_init_io(&uart, "uart", 0x1000, &fake_ops, NULL);
    memory_region_init_io(&rtc, "rtc", 0x1000, &fake_ops, NULL);
    memory_region_init_io(&next, "next", 0x1000, &fake_ops, NULL);

    add_ok(&sys, 0x9000000, &uart, 0);
    g_assert_false(memory_region_add_subregion(&sys, 0x9000800, &rtc, 0, &err));
    g_assert_error(err, ARMPASS_MEMORY_ERROR, ARMPASS_MEMORY_ERROR_OVERLAP);
    g_assert_cmpstr(err->message, ==,
                    "region \"rtc\" [0x9000800, 0x9001800) overlaps \"uart\" [0x9000000, "
                    "0x9001000) at the same priority 0 in \"system\"");
    g_clear_error(&err);
    /* Nothing changed. */
    g_assert_null(rtc.parent);
    g_assert_cmpuint(g_list_length(sys.subregions), ==, 1);

    /* Overlapping from below, and covering entirely, are refused as well. */
    g_assert_false(memory_region_add_subregion(&sys, 0x8fff800, &rtc, 0, &err));
    g_assert_error(err, ARMPASS_MEMORY_ERROR, ARMPASS_MEMORY_ERROR_OVERLAP);
    g_clear_error(&err);
    g_assert_false(memory_region_add_subregion(&sys, 0x9000000, &rtc, 0, &err));
    g_assert_error(err, ARMPASS_MEMORY_ERROR, ARMPASS_MEMORY_ERROR_OVERLAP);
    g_clear_error(&err);

    /* Touching is not overlapping. */
    add_ok(&sys, 0x9001000, &next, 0);
    add_ok(&sys, 0x8fff000, &rtc, 0);
    g_assert_cmpuint(g_list_length(sys.subregions), ==, 3);

    memory_region_finalize(&uart);
    memory_region_finalize(&rtc);
    memory_region_finalize(&next);
    memory_region_finalize(&sys);
}

static void check_low_high_view(MemoryRegion *sys, MemoryRegion *low, MemoryRegion *high)
{
    FlatView *fv = memory_region_flatten(sys);

    g_assert_cmpuint(fv->nr, ==, 2);
    assert_range(fv, 0, 0x10000, 0x1000, low, 0);
    assert_range(fv, 1, 0x11000, 0x2000, high, 0);
    flatview_free(fv);
    g_assert_true(sys->subregions->data == high);
}

static void test_add_overlap_other_priority(void)
{
    MemoryRegion sys, low, high;
    FakeDev dl, dh;

    fake_init(&dl, 0);
    fake_init(&dh, 0);
    memory_region_init_container(&sys, "system", SYS_SIZE);
    memory_region_init_io(&low, "low", 0x2000, &fake_ops, &dl);
    memory_region_init_io(&high, "high", 0x2000, &fake_ops, &dh);

    /* Lower first, then higher over its top half: the higher wins the overlap. */
    add_ok(&sys, 0x10000, &low, 0);
    add_ok(&sys, 0x11000, &high, 1);
    check_low_high_view(&sys, &low, &high);

    /* Same outcome when the higher one is placed first. */
    memory_region_del_subregion(&sys, &low);
    memory_region_del_subregion(&sys, &high);
    g_assert_null(sys.subregions);
    add_ok(&sys, 0x11000, &high, 1);
    add_ok(&sys, 0x10000, &low, 0);
    check_low_high_view(&sys, &low, &high);

    memory_region_finalize(&low);
    memory_region_finalize(&high);
    memory_region_finalize(&sys);
    fake_cleanup(&dl);
    fake_cleanup(&dh);
}

static void test_add_order(void)
{
    MemoryRegion sys, a, b, c, d, e;
    MemoryRegion *want[] = { &d, &a, &b, &c, &e };
    GList *l;
    unsigned i = 0;

    memory_region_init_container(&sys, "system", SYS_SIZE);
    memory_region_init_container(&a, "a", 0x1000);
    memory_region_init_container(&b, "b", 0x1000);
    memory_region_init_container(&c, "c", 0x1000);
    memory_region_init_container(&d, "d", 0x1000);
    memory_region_init_container(&e, "e", 0x1000);

    add_ok(&sys, 0x1000, &a, 0);
    add_ok(&sys, 0x1000, &e, -1);
    add_ok(&sys, 0x3000, &b, 0); /* ties keep insertion order, not address order */
    add_ok(&sys, 0x2000, &c, 0);
    add_ok(&sys, 0x1000, &d, 5);

    for (l = sys.subregions; l; l = l->next, i++) {
        g_assert_cmpuint(i, <, G_N_ELEMENTS(want));
        g_assert_cmpstr(((MemoryRegion *)l->data)->name, ==, want[i]->name);
    }
    g_assert_cmpuint(i, ==, G_N_ELEMENTS(want));
    g_assert_cmphex(c.addr, ==, 0x2000);
    g_assert_cmpint(d.priority, ==, 5);
    g_assert_true(e.parent == &sys);

    memory_region_finalize(&sys); /* lets go of its children */
    g_assert_null(a.parent);
    g_assert_null(e.parent);
    memory_region_finalize(&a);
    memory_region_finalize(&b);
    memory_region_finalize(&c);
    memory_region_finalize(&d);
    memory_region_finalize(&e);
}

static void test_add_does_not_fit(void)
{
    MemoryRegion sys, top, dev, big;
    GError *err = NULL;

    memory_region_init_container(&sys, "system", 0x10000);
    memory_region_init_container(&top, "top", UINT64_MAX);
    memory_region_init_io(&dev, "dev", 0x2000, &fake_ops, NULL);
    memory_region_init_io(&big, "big", 0x20000, &fake_ops, NULL);

    g_assert_false(memory_region_add_subregion(&sys, 0xf000, &dev, 0, &err));
    g_assert_error(err, ARMPASS_MEMORY_ERROR, ARMPASS_MEMORY_ERROR_OUT_OF_RANGE);
    g_assert_cmpstr(err->message, ==,
                    "region \"dev\" of size 0x2000 at 0xf000 does not fit in \"system\" of "
                    "size 0x10000");
    g_clear_error(&err);
    g_assert_false(memory_region_add_subregion(&sys, 0x20000, &dev, 0, &err));
    g_assert_error(err, ARMPASS_MEMORY_ERROR, ARMPASS_MEMORY_ERROR_OUT_OF_RANGE);
    g_clear_error(&err);
    g_assert_false(memory_region_add_subregion(&sys, 0, &big, 0, &err));
    g_assert_error(err, ARMPASS_MEMORY_ERROR, ARMPASS_MEMORY_ERROR_OUT_OF_RANGE);
    g_clear_error(&err);
    /* offset + size wraps around 2^64: still refused. */
    g_assert_false(memory_region_add_subregion(&top, UINT64_MAX - 0xfff, &dev, 0, &err));
    g_assert_error(err, ARMPASS_MEMORY_ERROR, ARMPASS_MEMORY_ERROR_OUT_OF_RANGE);
    g_clear_error(&err);
    g_assert_null(dev.parent);
    g_assert_null(sys.subregions);
    g_assert_null(top.subregions);

    /* Exactly at the end fits. */
    add_ok(&sys, 0xe000, &dev, 0);

    memory_region_finalize(&dev);
    memory_region_finalize(&big);
    memory_region_finalize(&top);
    memory_region_finalize(&sys);
}

static void test_add_has_parent(void)
{
    MemoryRegion sys, other, inner, dev;
    GError *err = NULL;

    memory_region_init_container(&sys, "system", SYS_SIZE);
    memory_region_init_container(&other, "other", SYS_SIZE);
    memory_region_init_container(&inner, "inner", SYS_SIZE);
    memory_region_init_io(&dev, "dev", 0x1000, &fake_ops, NULL);

    add_ok(&sys, 0x1000, &dev, 0);
    g_assert_false(memory_region_add_subregion(&other, 0x2000, &dev, 0, &err));
    g_assert_error(err, ARMPASS_MEMORY_ERROR, ARMPASS_MEMORY_ERROR_HAS_PARENT);
    g_assert_nonnull(strstr(err->message, "\"dev\""));
    g_assert_nonnull(strstr(err->message, "\"system\""));
    g_clear_error(&err);
    g_assert_true(dev.parent == &sys);
    g_assert_cmphex(dev.addr, ==, 0x1000);
    g_assert_null(other.subregions);

    /* A region inside itself, or inside its own descendant, would make a cycle. */
    g_assert_false(memory_region_add_subregion(&other, 0, &other, 0, &err));
    g_assert_error(err, ARMPASS_MEMORY_ERROR, ARMPASS_MEMORY_ERROR_HAS_PARENT);
    g_clear_error(&err);
    add_ok(&other, 0, &inner, 0);
    g_assert_false(memory_region_add_subregion(&inner, 0, &other, 0, &err));
    g_assert_error(err, ARMPASS_MEMORY_ERROR, ARMPASS_MEMORY_ERROR_HAS_PARENT);
    g_clear_error(&err);

    /* Once removed it can go elsewhere. */
    memory_region_del_subregion(&sys, &dev);
    g_assert_null(dev.parent);
    g_assert_null(sys.subregions);
    add_ok(&other, 0x2000, &dev, 1);

    memory_region_finalize(&dev); /* detaches from other */
    g_assert_cmpuint(g_list_length(other.subregions), ==, 1);
    memory_region_finalize(&inner);
    g_assert_null(other.subregions);
    memory_region_finalize(&other);
    memory_region_finalize(&sys);
}

/* ---- Flattening ---------------------------------------------------------------------- */

static void test_flatten_split(void)
{
    MemoryRegion sys, bar, win;
    uint8_t page[0x1000];
    FlatView *fv;

    memory_region_init_container(&sys, "system", SYS_SIZE);
    memory_region_init_io(&bar, "bar0", 0x3000, &fake_ops, NULL);
    memory_region_init_ram_device_ptr(&win, "bar0-mmap", 0x1000, page);
    add_ok(&bar, 0x1000, &win, 0);
    add_ok(&sys, 0x10000000, &bar, 0);

    fv = memory_region_flatten(&sys);
    g_assert_cmpuint(fv->nr, ==, 3);
    assert_range(fv, 0, 0x10000000, 0x1000, &bar, 0);
    assert_range(fv, 1, 0x10001000, 0x1000, &win, 0);
    assert_range(fv, 2, 0x10002000, 0x1000, &bar, 0x2000);
    flatview_free(fv);

    /* The same region flattened as root sits at 0, whatever its addr in its parent. */
    fv = memory_region_flatten(&bar);
    g_assert_cmpuint(fv->nr, ==, 3);
    assert_range(fv, 0, 0, 0x1000, &bar, 0);
    assert_range(fv, 1, 0x1000, 0x1000, &win, 0);
    assert_range(fv, 2, 0x2000, 0x1000, &bar, 0x2000);
    flatview_free(fv);

    memory_region_finalize(&win);
    memory_region_finalize(&bar);
    memory_region_finalize(&sys);
}

static void test_flatten_holes(void)
{
    MemoryRegion sys, a, b;
    FlatView *fv;
    GError *err = NULL;

    memory_region_init_container(&sys, "system", SYS_SIZE);
    memory_region_init_io(&a, "a", 0x1000, &fake_ops, NULL);
    g_assert_true(memory_region_init_ram(&b, "b", 0x2000, &err));
    g_assert_no_error(err);

    fv = memory_region_flatten(&sys);
    g_assert_cmpuint(fv->nr, ==, 0);
    g_assert_null(flatview_lookup(fv, 0));
    flatview_free(fv);

    add_ok(&sys, 0x3000, &b, 0);
    add_ok(&sys, 0x1000, &a, 0);
    fv = memory_region_flatten(&sys);
    g_assert_cmpuint(fv->nr, ==, 2);
    assert_range(fv, 0, 0x1000, 0x1000, &a, 0);
    assert_range(fv, 1, 0x3000, 0x2000, &b, 0);
    g_assert_null(flatview_lookup(fv, 0));
    g_assert_null(flatview_lookup(fv, 0xfff));
    g_assert_true(flatview_lookup(fv, 0x1000) == &fv->ranges[0]);
    g_assert_true(flatview_lookup(fv, 0x1fff) == &fv->ranges[0]);
    g_assert_null(flatview_lookup(fv, 0x2000));
    g_assert_null(flatview_lookup(fv, 0x2fff));
    g_assert_true(flatview_lookup(fv, 0x3000) == &fv->ranges[1]);
    g_assert_true(flatview_lookup(fv, 0x4fff) == &fv->ranges[1]);
    g_assert_null(flatview_lookup(fv, 0x5000));
    g_assert_null(flatview_lookup(fv, UINT64_MAX));
    flatview_free(fv);

    memory_region_finalize(&a);
    memory_region_finalize(&b);
    memory_region_finalize(&sys);
}

static void test_flatten_nested(void)
{
    MemoryRegion sys, bus, slot, dev, ram;
    FlatView *fv;
    GError *err = NULL;

    memory_region_init_container(&sys, "system", SYS_SIZE);
    memory_region_init_container(&bus, "bus", 0x1000000);
    memory_region_init_container(&slot, "slot", 0x10000);
    memory_region_init_io(&dev, "dev", 0x1000, &fake_ops, NULL);
    g_assert_true(memory_region_init_ram(&ram, "ram", 0x4000, &err));
    g_assert_no_error(err);

    add_ok(&slot, 0x3000, &dev, 0);
    add_ok(&bus, 0x20000, &slot, 0);
    add_ok(&sys, 0x8000000, &bus, 0);
    add_ok(&sys, 0x40000000, &ram, 0);

    fv = memory_region_flatten(&sys);
    g_assert_cmpuint(fv->nr, ==, 2);
    assert_range(fv, 0, 0x8023000, 0x1000, &dev, 0);
    assert_range(fv, 1, 0x40000000, 0x4000, &ram, 0);
    flatview_free(fv);

    memory_region_finalize(&dev);
    memory_region_finalize(&slot);
    memory_region_finalize(&bus);
    memory_region_finalize(&ram);
    memory_region_finalize(&sys);
}

/* A higher-priority container claims only what its children cover: its holes show what lies
 * below; an IO region with subregions, in contrast, claims its whole extent. */
static void test_flatten_container_hole_shows_below(void)
{
    MemoryRegion sys, bg, overlay, dev, io, io_child;
    FlatView *fv;

    memory_region_init_container(&sys, "system", SYS_SIZE);
    memory_region_init_io(&bg, "background", 0x10000, &fake_ops, NULL);
    memory_region_init_container(&overlay, "overlay", 0x4000);
    memory_region_init_io(&dev, "dev", 0x1000, &fake_ops, NULL);
    memory_region_init_io(&io, "io", 0x4000, &fake_ops, NULL);
    memory_region_init_io(&io_child, "io-child", 0x1000, &fake_ops, NULL);

    add_ok(&sys, 0, &bg, 0);
    add_ok(&overlay, 0x1000, &dev, 0);
    add_ok(&sys, 0x2000, &overlay, 1);
    add_ok(&io, 0x2000, &io_child, 0);
    add_ok(&sys, 0x8000, &io, 1);

    fv = memory_region_flatten(&sys);
    g_assert_cmpuint(fv->nr, ==, 7);
    assert_range(fv, 0, 0x0, 0x3000, &bg, 0);
    assert_range(fv, 1, 0x3000, 0x1000, &dev, 0);
    assert_range(fv, 2, 0x4000, 0x4000, &bg, 0x4000);
    assert_range(fv, 3, 0x8000, 0x2000, &io, 0);
    assert_range(fv, 4, 0xa000, 0x1000, &io_child, 0);
    assert_range(fv, 5, 0xb000, 0x1000, &io, 0x3000);
    assert_range(fv, 6, 0xc000, 0x4000, &bg, 0xc000);
    flatview_free(fv);

    memory_region_finalize(&io_child);
    memory_region_finalize(&io);
    memory_region_finalize(&dev);
    memory_region_finalize(&overlay);
    memory_region_finalize(&bg);
    memory_region_finalize(&sys);
}

static void test_flatten_lookup_many(void)
{
    enum { N = 97 };
    MemoryRegion sys, regs[N];
    char names[N][8];
    FlatView *fv;

    memory_region_init_container(&sys, "system", SYS_SIZE);
    for (unsigned i = 0; i < N; i++) {
        g_snprintf(names[i], sizeof(names[i]), "r%u", i);
        memory_region_init_io(&regs[i], names[i], 0x100 + i, &fake_ops, NULL);
        add_ok(&sys, (uint64_t)i * 0x1000 + 0x10, &regs[i], 0);
    }
    fv = memory_region_flatten(&sys);
    g_assert_cmpuint(fv->nr, ==, N);
    for (unsigned i = 0; i < N; i++) {
        uint64_t start = (uint64_t)i * 0x1000 + 0x10, end = start + 0x100 + i;

        g_assert_null(flatview_lookup(fv, start - 1));
        g_assert_true(flatview_lookup(fv, start)->mr == &regs[i]);
        g_assert_true(flatview_lookup(fv, end - 1)->mr == &regs[i]);
        g_assert_null(flatview_lookup(fv, end));
    }
    flatview_free(fv);
    g_assert_null(flatview_lookup(NULL, 0));

    for (unsigned i = 0; i < N; i++) {
        memory_region_finalize(&regs[i]);
    }
    g_assert_null(sys.subregions);
    memory_region_finalize(&sys);
}

/* ---- Commit and listeners ------------------------------------------------------------ */

static void test_commit_removal(void)
{
    MemoryRegion sys, a, bg, win, c;
    AddressSpace as;
    RecListener rec;
    uint8_t page[0x1000];

    memory_region_init_container(&sys, "system", SYS_SIZE);
    memory_region_init_io(&a, "a", 0x1000, &fake_ops, NULL);
    memory_region_init_io(&bg, "bg", 0x1000, &fake_ops, NULL);
    memory_region_init_ram_device_ptr(&win, "win", 0x1000, page);
    memory_region_init_io(&c, "c", 0x1000, &fake_ops, NULL);
    add_ok(&sys, 0x0, &a, 0);
    add_ok(&sys, 0x1000, &bg, 0);
    add_ok(&sys, 0x1000, &win, 1);
    add_ok(&sys, 0x2000, &c, 0);

    address_space_init(&as, &sys, "memory");
    rec_init(&rec, "rec");
    g_assert_null(as.view);
    g_assert_true(address_space_add_listener(&as, &rec.ml, NULL));
    rec_expect(&rec, NULL);

    commit_ok(&as);
    rec_expect(&rec, "add a [0x0, 0x1000) +0x0", "add win [0x1000, 0x2000) +0x0",
               "add c [0x2000, 0x3000) +0x0", NULL);
    rec_agrees(&rec, &as);

    /* The window goes: exactly its range is deleted, and what it covered appears. */
    memory_region_del_subregion(&sys, &win);
    commit_ok(&as);
    rec_expect(&rec, "del win [0x1000, 0x2000) +0x0", "add bg [0x1000, 0x2000) +0x0", NULL);
    rec_agrees(&rec, &as);

    /* Nothing changed: nothing said. */
    commit_ok(&as);
    rec_expect(&rec, NULL);

    address_space_destroy(&as);
    rec_expect(&rec, "del c [0x2000, 0x3000) +0x0", "del bg [0x1000, 0x2000) +0x0",
               "del a [0x0, 0x1000) +0x0", NULL);
    g_assert_cmpuint(rec.mirror->len, ==, 0);

    rec_cleanup(&rec);
    memory_region_finalize(&a);
    memory_region_finalize(&bg);
    memory_region_finalize(&win);
    memory_region_finalize(&c);
    memory_region_finalize(&sys);
}

/* Removing an overlay makes the region below one range again; moving a region deletes before
 * it adds, even when the new place comes first in address order. */
static void test_commit_merge_and_move(void)
{
    MemoryRegion sys, ram, hole, dev;
    AddressSpace as;
    RecListener rec;
    GError *err = NULL;

    memory_region_init_container(&sys, "system", SYS_SIZE);
    g_assert_true(memory_region_init_ram(&ram, "ram", 0x4000, &err));
    g_assert_no_error(err);
    memory_region_init_io(&hole, "hole", 0x1000, &fake_ops, NULL);
    memory_region_init_io(&dev, "dev", 0x1000, &fake_ops, NULL);
    add_ok(&ram, 0x1000, &hole, 0);
    add_ok(&sys, 0x40000000, &ram, 0);
    add_ok(&sys, 0x9000000, &dev, 0);

    address_space_init(&as, &sys, "memory");
    rec_init(&rec, "rec");
    g_assert_true(address_space_add_listener(&as, &rec.ml, NULL));
    commit_ok(&as);
    rec_expect(&rec, "add dev [0x9000000, 0x9001000) +0x0",
               "add ram [0x40000000, 0x40001000) +0x0",
               "add hole [0x40001000, 0x40002000) +0x0",
               "add ram [0x40002000, 0x40004000) +0x2000", NULL);
    rec_agrees(&rec, &as);

    memory_region_del_subregion(&ram, &hole);
    commit_ok(&as);
    rec_expect(&rec, "del ram [0x40000000, 0x40001000) +0x0",
               "del hole [0x40001000, 0x40002000) +0x0",
               "del ram [0x40002000, 0x40004000) +0x2000",
               "add ram [0x40000000, 0x40004000) +0x0", NULL);
    rec_agrees(&rec, &as);
    g_assert_cmpuint(as.view->nr, ==, 2);

    memory_region_del_subregion(&sys, &dev);
    add_ok(&sys, 0x1000, &dev, 0);
    commit_ok(&as);
    rec_expect(&rec, "del dev [0x9000000, 0x9001000) +0x0", "add dev [0x1000, 0x2000) +0x0",
               NULL);
    rec_agrees(&rec, &as);

    address_space_destroy(&as);
    g_assert_cmpuint(rec.mirror->len, ==, 0);
    rec_cleanup(&rec);
    memory_region_finalize(&hole);
    memory_region_finalize(&ram);
    memory_region_finalize(&dev);
    memory_region_finalize(&sys);
}

static void test_listener_replay(void)
{
    MemoryRegion sys, a, b;
    AddressSpace as;
    RecListener first, late;

    memory_region_init_container(&sys, "system", SYS_SIZE);
    memory_region_init_io(&a, "a", 0x1000, &fake_ops, NULL);
    memory_region_init_io(&b, "b", 0x2000, &fake_ops, NULL);
    add_ok(&sys, 0x5000, &b, 0);
    add_ok(&sys, 0x1000, &a, 0);

    address_space_init(&as, &sys, "memory");
    rec_init(&first, "first");
    rec_init(&late, "late");
    g_assert_true(address_space_add_listener(&as, &first.ml, NULL));
    commit_ok(&as);
    rec_expect(&first, "add a [0x1000, 0x2000) +0x0", "add b [0x5000, 0x7000) +0x0", NULL);

    /* A listener that comes late hears the whole current view; the others hear nothing. */
    g_assert_true(address_space_add_listener(&as, &late.ml, NULL));
    rec_expect(&late, "add a [0x1000, 0x2000) +0x0", "add b [0x5000, 0x7000) +0x0", NULL);
    rec_expect(&first, NULL);
    rec_agrees(&late, &as);

    /* Both hear a change. */
    memory_region_del_subregion(&sys, &a);
    commit_ok(&as);
    rec_expect(&first, "del a [0x1000, 0x2000) +0x0", NULL);
    rec_expect(&late, "del a [0x1000, 0x2000) +0x0", NULL);

    /* Leaving hears everything go, and then nothing more. */
    address_space_remove_listener(&as, &late.ml);
    rec_expect(&late, "del b [0x5000, 0x7000) +0x0", NULL);
    g_assert_cmpuint(late.mirror->len, ==, 0);
    add_ok(&sys, 0x1000, &a, 0);
    commit_ok(&as);
    rec_expect(&late, NULL);
    rec_expect(&first, "add a [0x1000, 0x2000) +0x0", NULL);
    rec_agrees(&first, &as);

    address_space_destroy(&as);
    rec_expect(&first, "del b [0x5000, 0x7000) +0x0", "del a [0x1000, 0x2000) +0x0", NULL);
    rec_expect(&late, NULL);
    rec_cleanup(&first);
    rec_cleanup(&late);
    memory_region_finalize(&a);
    memory_region_finalize(&b);
    memory_region_finalize(&sys);
}

static void test_listener_error(void)
{
    MemoryRegion sys, a, bad, c;
    AddressSpace as;
    RecListener ok, picky, late;
    GError *err = NULL;

    memory_region_init_container(&sys, "system", SYS_SIZE);
    memory_region_init_io(&a, "a", 0x1000, &fake_ops, NULL);
    memory_region_init_io(&bad, "bad", 0x1000, &fake_ops, NULL);
    memory_region_init_io(&c, "c", 0x1000, &fake_ops, NULL);
    add_ok(&sys, 0x1000, &a, 0);

    address_space_init(&as, &sys, "memory");
    rec_init(&ok, "ok");
    rec_init(&picky, "picky");
    rec_init(&late, "late");
    picky.refuse = &bad;
    late.refuse = &bad;
    g_assert_true(address_space_add_listener(&as, &ok.ml, NULL));
    g_assert_true(address_space_add_listener(&as, &picky.ml, NULL));
    commit_ok(&as);
    rec_expect(&picky, "add a [0x1000, 0x2000) +0x0", NULL);
    rec_expect(&ok, "add a [0x1000, 0x2000) +0x0", NULL);

    /* The failure comes back from commit with the listener's own error, and commit goes no
     * further (c is not announced); the view is updated all the same. */
    add_ok(&sys, 0x2000, &bad, 0);
    add_ok(&sys, 0x3000, &c, 0);
    g_assert_false(address_space_commit(&as, &err));
    g_assert_error(err, G_FILE_ERROR, G_FILE_ERROR_NOSPC);
    g_assert_cmpstr(err->message, ==, "picky: refusing \"bad\"");
    g_clear_error(&err);
    rec_expect(&ok, "add bad [0x2000, 0x3000) +0x0", NULL);
    rec_expect(&picky, "add bad [0x2000, 0x3000) +0x0", NULL);
    g_assert_cmpuint(as.view->nr, ==, 3);
    assert_range(as.view, 1, 0x2000, 0x1000, &bad, 0);
    assert_range(as.view, 2, 0x3000, 0x1000, &c, 0);
    /* From here on the listeners will be told to delete ranges they never got. */
    ok.lenient = picky.lenient = true;

    /* A listener whose replay fails is not registered, and is told to forget what it got. */
    g_assert_false(address_space_add_listener(&as, &late.ml, &err));
    g_assert_error(err, G_FILE_ERROR, G_FILE_ERROR_NOSPC);
    g_assert_cmpstr(err->message, ==, "late: refusing \"bad\"");
    g_clear_error(&err);
    rec_expect(&late, "add a [0x1000, 0x2000) +0x0", "add bad [0x2000, 0x3000) +0x0",
               "del a [0x1000, 0x2000) +0x0", NULL);
    g_assert_cmpuint(late.mirror->len, ==, 0);
    g_assert_cmpuint(as.listeners->len, ==, 2);
    rec_expect(&ok, NULL);
    rec_expect(&picky, NULL);
    memory_region_del_subregion(&sys, &a);
    commit_ok(&as);
    rec_expect(&late, NULL);
    rec_expect(&ok, "del a [0x1000, 0x2000) +0x0", NULL);
    rec_expect(&picky, "del a [0x1000, 0x2000) +0x0", NULL);

    /* Once what it refused is gone, the picky listener can join. */
    memory_region_del_subregion(&sys, &bad);
    commit_ok(&as);
    g_ptr_array_set_size(ok.events, 0);
    g_ptr_array_set_size(picky.events, 0);
    g_assert_true(address_space_add_listener(&as, &late.ml, &err));
    g_assert_no_error(err);
    rec_expect(&late, "add c [0x3000, 0x4000) +0x0", NULL);
    address_space_remove_listener(&as, &late.ml);
    rec_expect(&late, "del c [0x3000, 0x4000) +0x0", NULL);

    address_space_destroy(&as);
    rec_cleanup(&ok);
    rec_cleanup(&picky);
    rec_cleanup(&late);
    memory_region_finalize(&a);
    memory_region_finalize(&bad);
    memory_region_finalize(&c);
    memory_region_finalize(&sys);
}

/* ---- Guest accesses ------------------------------------------------------------------ */

static void test_rw_io(void)
{
    MemoryRegion sys, bar, win;
    AddressSpace as;
    FakeDev d;
    uint8_t page[0x1000] = { 0 };
    uint8_t buf[8];

    fake_init(&d, UINT64_C(0x1122334455667700));
    memory_region_init_container(&sys, "system", SYS_SIZE);
    memory_region_init_io(&bar, "bar", 0x3000, &fake_ops, &d);
    memory_region_init_ram_device_ptr(&win, "win", 0x1000, page);
    add_ok(&bar, 0x1000, &win, 0);
    add_ok(&sys, 0x9000000, &bar, 0);
    address_space_init(&as, &sys, "memory");
    commit_ok(&as);

    memcpy(buf, (uint8_t[]){ 0x78, 0x56, 0x34, 0x12 }, 4);
    g_assert_true(address_space_rw(&as, 0x9000010, buf, 4, true));
    assert_access(&d, 0, true, 0x10, 0x12345678, 4);

    /* In the piece after the window, the offset is relative to the region, not the piece. */
    memcpy(buf, (uint8_t[]){ 0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01 }, 8);
    g_assert_true(address_space_rw(&as, 0x9002008, buf, 8, true));
    assert_access(&d, 1, true, 0x2008, UINT64_C(0x0123456789abcdef), 8);

    memset(buf, 0xaa, sizeof(buf));
    g_assert_true(address_space_rw(&as, 0x9002004, buf, 2, false));
    assert_access(&d, 2, false, 0x2004, 0x9704, 2);
    g_assert_cmphex(buf[0], ==, 0x04);
    g_assert_cmphex(buf[1], ==, 0x97);
    g_assert_cmphex(buf[2], ==, 0xaa); /* untouched past len */

    g_assert_true(address_space_rw(&as, 0x9000000, buf, 8, false));
    assert_access(&d, 3, false, 0, UINT64_C(0x1122334455667700), 8);
    g_assert_cmphex(buf[0], ==, 0x00);
    g_assert_cmphex(buf[1], ==, 0x77);
    g_assert_cmphex(buf[7], ==, 0x11);

    g_assert_true(address_space_rw(&as, 0x9000003, buf, 1, false));
    assert_access(&d, 4, false, 3, 0x03, 1);
    g_assert_cmphex(buf[0], ==, 0x03);

    /* The window is memory: no callback. */
    buf[0] = 0x5a;
    g_assert_true(address_space_rw(&as, 0x9001234, buf, 1, true));
    g_assert_cmphex(page[0x234], ==, 0x5a);
    g_assert_cmpuint(d.log->len, ==, 5);
    g_assert_cmpuint(bar.trapped_writes, ==, 2);
    g_assert_cmpuint(bar.trapped_reads, ==, 3);
    g_assert_cmpuint(win.trapped_reads + win.trapped_writes, ==, 0);
    g_assert_cmpuint(as.unassigned_accesses, ==, 0);

    address_space_destroy(&as);
    memory_region_finalize(&win);
    memory_region_finalize(&bar);
    memory_region_finalize(&sys);
    fake_cleanup(&d);
}

static void test_rw_ram(void)
{
    MemoryRegion sys, ram, dev;
    AddressSpace as;
    GError *err = NULL;
    uint8_t devmem[0x100] = { 0 };
    uint8_t buf[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

    memory_region_init_container(&sys, "system", SYS_SIZE);
    g_assert_true(memory_region_init_ram(&ram, "ram", 0x10000, &err));
    g_assert_no_error(err);
    g_assert_true(ram.owns_host);
    g_assert_true(memory_region_is_ram(&ram));
    memory_region_init_ram_device_ptr(&dev, "devmem", sizeof(devmem), devmem);
    g_assert_false(dev.owns_host);
    g_assert_false(memory_region_is_ram(&dev));
    g_assert_true(memory_region_is_mapped(&dev));
    add_ok(&sys, 0x40000000, &ram, 0);
    add_ok(&sys, 0x20000000, &dev, 0);
    address_space_init(&as, &sys, "memory");
    commit_ok(&as);

    g_assert_cmphex(((uint8_t *)ram.host)[0x8000], ==, 0); /* anonymous: zeroed */
    g_assert_true(address_space_rw(&as, 0x40008000, buf, 8, true));
    g_assert_cmpmem((uint8_t *)ram.host + 0x8000, 8, buf, 8);
    ((uint8_t *)ram.host)[0xfffe] = 0xc3;
    ((uint8_t *)ram.host)[0xffff] = 0x3c;
    memset(buf, 0, sizeof(buf));
    g_assert_true(address_space_rw(&as, 0x4000fffe, buf, 2, false));
    g_assert_cmphex(buf[0], ==, 0xc3);
    g_assert_cmphex(buf[1], ==, 0x3c);

    buf[0] = 0x99;
    g_assert_true(address_space_rw(&as, 0x200000ff, buf, 1, true));
    g_assert_cmphex(devmem[0xff], ==, 0x99);
    devmem[0x10] = 0x42;
    g_assert_true(address_space_rw(&as, 0x20000010, buf, 1, false));
    g_assert_cmphex(buf[0], ==, 0x42);
    g_assert_cmpuint(ram.trapped_reads + ram.trapped_writes, ==, 0);

    address_space_destroy(&as);
    memory_region_finalize(&dev);
    memory_region_finalize(&ram);
    g_assert_null(ram.host);
    memory_region_finalize(&sys);
}

static void test_rw_unassigned(void)
{
    MemoryRegion sys, dev;
    AddressSpace as;
    FakeDev d;
    uint8_t buf[8];

    fake_init(&d, 0x55);
    memory_region_init_container(&sys, "system", SYS_SIZE);
    memory_region_init_io(&dev, "dev", 0x1000, &fake_ops, &d);
    add_ok(&sys, 0x1000, &dev, 0);
    address_space_init(&as, &sys, "memory");

    /* Before the first commit everything is unassigned. */
    memset(buf, 0xaa, sizeof(buf));
    g_assert_false(address_space_rw(&as, 0x1000, buf, 4, false));
    g_assert_cmphex(buf[0] | buf[1] | buf[2] | buf[3], ==, 0);
    g_assert_cmphex(buf[4], ==, 0xaa);
    g_assert_cmpuint(as.unassigned_accesses, ==, 1);

    commit_ok(&as);
    memset(buf, 0xaa, sizeof(buf));
    g_assert_false(address_space_rw(&as, 0x2000, buf, 8, false));
    for (unsigned i = 0; i < 8; i++) {
        g_assert_cmphex(buf[i], ==, 0);
    }
    g_assert_false(address_space_rw(&as, 0xfff, buf, 1, true));
    g_assert_cmpuint(as.unassigned_accesses, ==, 3);
    g_assert_cmpuint(d.log->len, ==, 0);
    g_assert_cmpuint(dev.trapped_reads + dev.trapped_writes, ==, 0);

    address_space_destroy(&as);
    memory_region_finalize(&dev);
    memory_region_finalize(&sys);
    fake_cleanup(&d);
}

static void test_rw_straddle(void)
{
    MemoryRegion sys, dev, ram;
    AddressSpace as;
    FakeDev d;
    GError *err = NULL;
    uint8_t buf[8] = { 0x11, 0x22, 0x33, 0x44 };

    fake_init(&d, 0xa0);
    memory_region_init_container(&sys, "system", SYS_SIZE);
    memory_region_init_io(&dev, "dev", 0x1000, &fake_ops, &d);
    g_assert_true(memory_region_init_ram(&ram, "ram", 0x1000, &err));
    g_assert_no_error(err);
    add_ok(&sys, 0x1000, &dev, 0);
    add_ok(&sys, 0x2000, &ram, 0);
    address_space_init(&as, &sys, "memory");
    commit_ok(&as);

    /* Two bytes in the device (each its own 1-byte access), two in RAM. */
    g_assert_true(address_space_rw(&as, 0x1ffe, buf, 4, true));
    g_assert_cmpuint(d.log->len, ==, 2);
    assert_access(&d, 0, true, 0xffe, 0x11, 1);
    assert_access(&d, 1, true, 0xfff, 0x22, 1);
    g_assert_cmphex(((uint8_t *)ram.host)[0], ==, 0x33);
    g_assert_cmphex(((uint8_t *)ram.host)[1], ==, 0x44);
    g_assert_cmpuint(dev.trapped_writes, ==, 2);

    memset(buf, 0, sizeof(buf));
    g_assert_true(address_space_rw(&as, 0x1fff, buf, 2, false));
    assert_access(&d, 2, false, 0xfff, 0x9f, 1); /* (0xa0 + 0xfff) & 0xff */
    g_assert_cmphex(buf[0], ==, 0x9f);
    g_assert_cmphex(buf[1], ==, 0x33);

    /* Running off the end of RAM into nothing: the assigned bytes still happen, the rest read
     * as zero, and the access as a whole reports false. */
    ((uint8_t *)ram.host)[0xffe] = 0x7e;
    ((uint8_t *)ram.host)[0xfff] = 0x7f;
    memset(buf, 0xaa, sizeof(buf));
    g_assert_false(address_space_rw(&as, 0x2ffe, buf, 4, false));
    g_assert_cmphex(buf[0], ==, 0x7e);
    g_assert_cmphex(buf[1], ==, 0x7f);
    g_assert_cmphex(buf[2], ==, 0);
    g_assert_cmphex(buf[3], ==, 0);
    g_assert_cmpuint(as.unassigned_accesses, ==, 2);

    /* And from nothing into the device. */
    memset(buf, 0, sizeof(buf));
    g_assert_false(address_space_rw(&as, 0xffe, buf, 4, false));
    g_assert_cmpuint(d.log->len, ==, 5);
    assert_access(&d, 3, false, 0, 0xa0, 1);
    assert_access(&d, 4, false, 1, 0xa1, 1);
    g_assert_cmphex(buf[0] | buf[1], ==, 0);
    g_assert_cmphex(buf[2], ==, 0xa0);
    g_assert_cmphex(buf[3], ==, 0xa1);
    g_assert_cmpuint(as.unassigned_accesses, ==, 4);

    address_space_destroy(&as);
    memory_region_finalize(&dev);
    memory_region_finalize(&ram);
    memory_region_finalize(&sys);
    fake_cleanup(&d);
}

static void test_write_ram(void)
{
    MemoryRegion sys, lo, hi, dev, devmem;
    AddressSpace as;
    GError *err = NULL;
    uint8_t dm[0x1000] = { 0 };
    uint8_t data[0x2000];

    for (unsigned i = 0; i < sizeof(data); i++) {
        data[i] = (uint8_t)(i * 7 + 1);
    }
    memory_region_init_container(&sys, "system", SYS_SIZE);
    g_assert_true(memory_region_init_ram(&lo, "ram-lo", 0x2000, &err));
    g_assert_true(memory_region_init_ram(&hi, "ram-hi", 0x2000, &err));
    g_assert_no_error(err);
    memory_region_init_io(&dev, "uart", 0x1000, &fake_ops, NULL);
    memory_region_init_ram_device_ptr(&devmem, "devmem", sizeof(dm), dm);
    add_ok(&sys, 0x40000000, &lo, 0);
    add_ok(&sys, 0x40002000, &hi, 0);
    add_ok(&sys, 0x40004000, &dev, 0);
    add_ok(&sys, 0x50000000, &devmem, 0);
    address_space_init(&as, &sys, "memory");
    commit_ok(&as);

    /* Across two adjacent RAM regions. */
    g_assert_true(address_space_write_ram(&as, 0x40001000, data, sizeof(data), &err));
    g_assert_no_error(err);
    g_assert_cmpmem((uint8_t *)lo.host + 0x1000, 0x1000, data, 0x1000);
    g_assert_cmpmem(hi.host, 0x1000, data + 0x1000, 0x1000);

    /* Into the device after RAM: refused, naming the address, and nothing is written. */
    g_assert_false(address_space_write_ram(&as, 0x40003800, data, 0x1000, &err));
    g_assert_error(err, ARMPASS_MEMORY_ERROR, ARMPASS_MEMORY_ERROR_NOT_RAM);
    g_assert_nonnull(strstr(err->message, "0x40003800"));
    g_assert_nonnull(strstr(err->message, "0x40004000"));
    g_assert_nonnull(strstr(err->message, "\"uart\""));
    g_clear_error(&err);
    g_assert_cmphex(((uint8_t *)hi.host)[0x1800], ==, 0);

    /* A device's memory is not RAM either. */
    g_assert_false(address_space_write_ram(&as, 0x50000000, data, 4, &err));
    g_assert_error(err, ARMPASS_MEMORY_ERROR, ARMPASS_MEMORY_ERROR_NOT_RAM);
    g_assert_nonnull(strstr(err->message, "\"devmem\""));
    g_clear_error(&err);
    g_assert_cmphex(dm[0], ==, 0);

    /* Nor is nothing. */
    g_assert_false(address_space_write_ram(&as, 0x60000000, data, 4, &err));
    g_assert_error(err, ARMPASS_MEMORY_ERROR, ARMPASS_MEMORY_ERROR_NOT_RAM);
    g_assert_nonnull(strstr(err->message, "0x60000000"));
    g_clear_error(&err);
    g_assert_false(address_space_write_ram(&as, UINT64_MAX - 1, data, 4, &err));
    g_assert_error(err, ARMPASS_MEMORY_ERROR, ARMPASS_MEMORY_ERROR_NOT_RAM);
    g_clear_error(&err);

    address_space_destroy(&as);
    memory_region_finalize(&lo);
    memory_region_finalize(&hi);
    memory_region_finalize(&dev);
    memory_region_finalize(&devmem);
    memory_region_finalize(&sys);
}

int main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    armpass_rcu_register_thread(); /* commits and accesses read the view under RCU */
    g_test_add_func("/memory/add/empty", test_add_empty);
    g_test_add_func("/memory/add/overlap-same-priority", test_add_overlap_same_priority);
    g_test_add_func("/memory/add/overlap-other-priority", test_add_overlap_other_priority);
    g_test_add_func("/memory/add/order", test_add_order);
    g_test_add_func("/memory/add/does-not-fit", test_add_does_not_fit);
    g_test_add_func("/memory/add/has-parent", test_add_has_parent);
    g_test_add_func("/memory/flatten/split", test_flatten_split);
    g_test_add_func("/memory/flatten/holes", test_flatten_holes);
    g_test_add_func("/memory/flatten/nested", test_flatten_nested);
    g_test_add_func("/memory/flatten/container-hole-shows-below",
                    test_flatten_container_hole_shows_below);
    g_test_add_func("/memory/flatten/lookup-many", test_flatten_lookup_many);
    g_test_add_func("/memory/commit/removal", test_commit_removal);
    g_test_add_func("/memory/commit/merge-and-move", test_commit_merge_and_move);
    g_test_add_func("/memory/listener/replay", test_listener_replay);
    g_test_add_func("/memory/listener/error", test_listener_error);
    g_test_add_func("/memory/rw/io", test_rw_io);
    g_test_add_func("/memory/rw/ram", test_rw_ram);
    g_test_add_func("/memory/rw/unassigned", test_rw_unassigned);
    g_test_add_func("/memory/rw/straddle", test_rw_straddle);
    g_test_add_func("/memory/write-ram", test_write_ram);
    ret = g_test_run();
    armpass_rcu_barrier();
    armpass_rcu_unregister_thread();
    return ret;
}
