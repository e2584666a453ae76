// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests: guest node generation for passed-through devices, read back with libfdt. */
#include "hw/vfio/sysbus-fdt.h"
#include "hw/arm/virt.h"
#include "hw/core/fdt.h"
#include "hw/vfio/host-node.h"
#include "host-fixture.h"

#include <libfdt.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The guest: an empty tree with 2/2 root cells, the GIC (phandle 1) and the board's apb-pclk
 * (phandle 3) as virt has them, and a machine handing out phandles from 4. */
typedef struct Guest {
    MachineState ms;
    void *fdt;
    GPtrArray *dropped;
} Guest;

static void guest_init(Guest *g)
{
    int node;

    memset(g, 0, sizeof(*g));
    g->fdt = g_malloc0(GUEST_FDT_SIZE);
    g_assert_cmpint(fdt_create_empty_tree(g->fdt, GUEST_FDT_SIZE), ==, 0);
    g_assert_cmpint(fdt_setprop_u32(g->fdt, 0, "#address-cells", 2), ==, 0);
    g_assert_cmpint(fdt_setprop_u32(g->fdt, 0, "#size-cells", 2), ==, 0);
    node = fdt_add_subnode(g->fdt, 0, "intc@8000000");
    g_assert_cmpint(node, >=, 0);
    g_assert_cmpint(fdt_setprop_u32(g->fdt, node, "phandle", VIRT_PHANDLE_GIC), ==, 0);
    node = fdt_add_subnode(g->fdt, 0, "apb-pclk");
    g_assert_cmpint(node, >=, 0);
    g_assert_cmpint(fdt_setprop_u32(g->fdt, node, "phandle", VIRT_PHANDLE_APB_PCLK), ==, 0);
    g->ms.gic_phandle = VIRT_PHANDLE_GIC;
    g->ms.apb_pclk_phandle = VIRT_PHANDLE_APB_PCLK;
    g->ms.next_phandle = VIRT_PHANDLE_FIRST_FREE;
    g->dropped = g_ptr_array_new_with_free_func(g_free);
}

static void guest_clear(Guest *g)
{
    /* Whatever a test did, the tree must stay a valid blob. */
    g_assert_cmpint(fdt_check_full(g->fdt, fdt_totalsize(g->fdt)), ==, 0);
    g_free(g->fdt);
    g_ptr_array_unref(g->dropped);
}

static int guest_node(Guest *g, const char *path)
{
    int off = fdt_path_offset(g->fdt, path);
    if (off < 0) {
        g_error("no node %s: %s", path, fdt_strerror(off));
    }
    return off;
}

static const void *guest_prop(Guest *g, const char *path, const char *name, int *len)
{
    const void *val = fdt_getprop(g->fdt, guest_node(g, path), name, len);
    if (!val) {
        g_error("%s has no %s", path, name);
    }
    return val;
}

static void assert_no_prop(Guest *g, const char *path, const char *name)
{
    if (fdt_getprop(g->fdt, guest_node(g, path), name, NULL)) {
        g_error("%s has %s", path, name);
    }
}

static void assert_cells(Guest *g, const char *path, const char *name, const uint32_t *cells,
                         unsigned n)
{
    int len;
    const fdt32_t *val = guest_prop(g, path, name, &len);

    g_assert_cmpint(len, ==, (int)(n * 4));
    for (unsigned i = 0; i < n; i++) {
        g_assert_cmphex(fdt32_to_cpu(val[i]), ==, cells[i]);
    }
}

static uint32_t guest_u32(Guest *g, const char *path, const char *name)
{
    int len;
    const fdt32_t *val = guest_prop(g, path, name, &len);
    g_assert_cmpint(len, ==, 4);
    return fdt32_to_cpu(*val);
}

/* strs: NULL-terminated, the whole list in order */
static void assert_strings(Guest *g, const char *path, const char *name,
                           const char *const *strs)
{
    int node = guest_node(g, path);
    unsigned n = g_strv_length((char **)strs);

    g_assert_cmpint(fdt_stringlist_count(g->fdt, node, name), ==, (int)n);
    for (unsigned i = 0; i < n; i++) {
        g_assert_cmpstr(fdt_stringlist_get(g->fdt, node, name, (int)i, NULL), ==, strs[i]);
    }
}

static gint compare_strings(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The dropped list, as a set, equals names (NULL-terminated). */
static void assert_dropped(Guest *g, const char *const *names)
{
    g_autoptr(GString) want = g_string_new(NULL);
    g_autoptr(GString) got = g_string_new(NULL);
    g_autoptr(GPtrArray) w = g_ptr_array_new();
    g_autoptr(GPtrArray) d = g_ptr_array_new();

    for (unsigned i = 0; names[i]; i++) {
        g_ptr_array_add(w, (gpointer)names[i]);
    }
    for (unsigned i = 0; i < g->dropped->len; i++) {
        g_ptr_array_add(d, g_ptr_array_index(g->dropped, i));
    }
    g_ptr_array_sort(w, compare_strings);
    g_ptr_array_sort(d, compare_strings);
    for (unsigned i = 0; i < w->len; i++) {
        g_string_append_printf(want, "%s;", (char *)g_ptr_array_index(w, i));
    }
    for (unsigned i = 0; i < d->len; i++) {
        g_string_append_printf(got, "%s;", (char *)g_ptr_array_index(d, i));
    }
    g_assert_cmpstr(got->str, ==, want->str);
}

/* Number of properties and child nodes of a guest node. */
static unsigned nr_props(Guest *g, const char *path)
{
    unsigned n = 0;
    int prop;
    fdt_for_each_property_offset(prop, g->fdt, guest_node(g, path)) {
        n++;
    }
    return n;
}

static unsigned nr_subnodes(Guest *g, const char *path)
{
    unsigned n = 0;
    int child;
    fdt_for_each_subnode(child, g->fdt, guest_node(g, path)) {
        n++;
    }
    return n;
}

#define STRS(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define CELLS(...) ((const uint32_t[]){ __VA_ARGS__ }), \
    (sizeof((const uint32_t[]){ __VA_ARGS__ }) / sizeof(uint32_t))

static bool add_node(Guest *g, SysbusFdtSpec *spec, GError **errp)
{
    spec->dropped = g->dropped;
    return sysbus_fdt_add_node(g->fdt, &g->ms, spec, errp);
}

/* ---- sysbus_fdt_add_node ---- */

/* pl330: both compatibles, two clocks from one 100 MHz fixed clock, resets & co dropped. */
static void test_pl330(void)
{
    g_autoptr(Host) h = host_new();
    g_autofree void *blob = NULL;
    g_autoptr(GError) err = NULL;
    const SysbusFdtReg regs[] = { { 0xc000000, 0x1000 } };
    const SysbusFdtIrq irqs[] = { { 112, false } };
    const char *dev = "/dma-controller@c000000", *clk = "/dma-controller-c000000-clk0";
    Guest g;

    if (!h) {
        return;
    }
    blob = host_load(h, "dma-controller@9100000");
    guest_init(&g);
    SysbusFdtSpec spec = {
        .host_fdt = blob, .name = "9100000.dma-controller",
        .regs = regs, .nr_regs = 1, .irqs = irqs, .nr_irqs = 1,
        .amba = true, .dt_base_dir = h->base,
        .has_periphid = true, .periphid = 0x00241330,
    };
    g_assert_true(add_node(&g, &spec, &err));
    g_assert_no_error(err);

    assert_strings(&g, dev, "compatible", STRS("arm,pl330", "arm,primecell"));
    assert_cells(&g, dev, "reg", CELLS(0, 0xc000000, 0, 0x1000));
    assert_cells(&g, dev, "interrupts", CELLS(0, 112, 4));
    g_assert_cmpuint(guest_u32(&g, dev, "interrupt-parent"), ==, VIRT_PHANDLE_GIC);
    /* one guest clock for the one distinct host clock, both entries point at it */
    assert_strings(&g, clk, "compatible", STRS("fixed-clock"));
    g_assert_cmpuint(guest_u32(&g, clk, "clock-frequency"), ==, 100000000);
    g_assert_cmpuint(guest_u32(&g, clk, "#clock-cells"), ==, 0);
    g_assert_cmpuint(guest_u32(&g, clk, "phandle"), ==, VIRT_PHANDLE_FIRST_FREE);
    g_assert_cmpint(fdt_path_offset(g.fdt, "/dma-controller-c000000-clk1"), <, 0);
    g_assert_cmpuint(g.ms.next_phandle, ==, VIRT_PHANDLE_FIRST_FREE + 1);
    assert_cells(&g, dev, "clocks", CELLS(VIRT_PHANDLE_FIRST_FREE, VIRT_PHANDLE_FIRST_FREE));
    assert_strings(&g, dev, "clock-names", STRS("apb_pclk", "core"));
    /* kept as they are */
    g_assert_cmpuint(guest_u32(&g, dev, "#dma-cells"), ==, 1);
    g_assert_cmpuint(guest_u32(&g, dev, "dma-channels"), ==, 8);
    g_assert_cmpuint(guest_u32(&g, dev, "dma-requests"), ==, 32);
    guest_prop(&g, dev, "dma-coherent", NULL);
    guest_prop(&g, dev, "arm,pl330-broken-no-flushp", NULL);
    g_assert_cmpstr(guest_prop(&g, dev, "status", NULL), ==, "okay");
    g_assert_cmphex(guest_u32(&g, dev, "arm,primecell-periphid"), ==, 0x00241330);
    assert_no_prop(&g, dev, HOST_NODE_NAME_PROP);
    assert_no_prop(&g, dev, "name");
    assert_dropped(&g, STRS("phandle", "resets", "reset-names", "power-domains", "iommus",
                            "assigned-clocks", "assigned-clock-rates"));
    for (unsigned i = 0; i < g.dropped->len; i++) {
        assert_no_prop(&g, dev, g_ptr_array_index(g.dropped, i));
    }
    /* 18 host properties - 7 dropped + interrupt-parent + periphid */
    g_assert_cmpuint(nr_props(&g, dev), ==, 18 - 7 + 1 + 1);
    guest_clear(&g);
}

/* pl031 as read in L1: its 24 MHz host clock becomes a guest fixed clock. */
static void test_pl031(void)
{
    g_autoptr(Host) h = host_new();
    g_autofree void *blob = NULL;
    g_autoptr(GError) err = NULL;
    const SysbusFdtReg regs[] = { { 0xc020000, 0x1000 } };
    const SysbusFdtIrq irqs[] = { { 115, false } };
    const char *dev = "/pl031@c020000", *clk = "/pl031-c020000-clk0";
    Guest g;

    if (!h) {
        return;
    }
    blob = host_load(h, "pl031@9010000");
    guest_init(&g);
    SysbusFdtSpec spec = {
        .host_fdt = blob, .name = "9010000.pl031", .regs = regs, .nr_regs = 1,
        .irqs = irqs, .nr_irqs = 1, .amba = true, .dt_base_dir = h->base,
    };
    g_assert_true(add_node(&g, &spec, &err));
    g_assert_no_error(err);
    assert_strings(&g, dev, "compatible", STRS("arm,pl031", "arm,primecell"));
    assert_cells(&g, dev, "reg", CELLS(0, 0xc020000, 0, 0x1000));
    assert_cells(&g, dev, "interrupts", CELLS(0, 115, 4));
    g_assert_cmpuint(guest_u32(&g, dev, "interrupt-parent"), ==, VIRT_PHANDLE_GIC);
    g_assert_cmpuint(guest_u32(&g, clk, "clock-frequency"), ==, 24000000);
    assert_cells(&g, dev, "clocks", CELLS(guest_u32(&g, clk, "phandle")));
    assert_strings(&g, dev, "clock-names", STRS("apb_pclk"));
    assert_no_prop(&g, dev, "arm,primecell-periphid");
    assert_no_prop(&g, dev, "status");
    g_assert_cmpuint(nr_props(&g, dev), ==, 6);
    g_assert_cmpuint(g.dropped->len, ==, 0);

    /* the same device again at the same place: refused, tree untouched */
    g_assert_false(add_node(&g, &spec, &err));
    g_assert_nonnull(strstr(err->message, "9010000.pl031: "));
    g_assert_nonnull(strstr(err->message, "already has a node pl031"));
    g_assert_cmpuint(g.ms.next_phandle, ==, VIRT_PHANDLE_FIRST_FREE + 1);
    guest_clear(&g);
}

/* A primecell without host clocks takes the board's apb_pclk, and gets "arm,primecell". */
static void test_amba_apb_pclk_fallback(void)
{
    g_autoptr(Host) h = host_new();
    g_autofree void *blob = NULL;
    g_autoptr(GError) err = NULL;
    const SysbusFdtReg regs[] = { { 0xc030000, 0x1000 } };
    const SysbusFdtIrq irqs[] = { { 116, false } };
    const char *dev = "/rtc@c030000";
    Guest g;

    if (!h) {
        return;
    }
    blob = host_load(h, "rtc@9011000");
    guest_init(&g);
    SysbusFdtSpec spec = {
        .host_fdt = blob, .name = "9011000.rtc", .regs = regs, .nr_regs = 1,
        .irqs = irqs, .nr_irqs = 1, .amba = true, .dt_base_dir = h->base,
        .has_periphid = true, .periphid = 0x00041031,
    };
    g_assert_true(add_node(&g, &spec, &err));
    g_assert_no_error(err);
    assert_strings(&g, dev, "compatible", STRS("arm,pl031", "arm,primecell"));
    assert_cells(&g, dev, "clocks", CELLS(VIRT_PHANDLE_APB_PCLK));
    assert_strings(&g, dev, "clock-names", STRS("apb_pclk"));
    g_assert_cmphex(guest_u32(&g, dev, "arm,primecell-periphid"), ==, 0x00041031);
    g_assert_cmpuint(g.ms.next_phandle, ==, VIRT_PHANDLE_FIRST_FREE); /* no clock made */
    g_assert_cmpint(fdt_path_offset(g.fdt, "/rtc-c030000-clk0"), <, 0);
    guest_clear(&g);

    /* with clock-rate=: its own apb_pclk at that rate */
    guest_init(&g);
    spec.clock_rate = 32768;
    g_assert_true(add_node(&g, &spec, &err));
    g_assert_cmpuint(guest_u32(&g, "/rtc-c030000-apb-pclk", "clock-frequency"), ==, 32768);
    assert_cells(&g, dev, "clocks", CELLS(VIRT_PHANDLE_FIRST_FREE));
    assert_strings(&g, dev, "clock-names", STRS("apb_pclk"));
    guest_clear(&g);

    /* not AMBA: no clocks invented */
    guest_init(&g);
    spec.amba = false;
    spec.has_periphid = false;
    g_assert_true(add_node(&g, &spec, &err));
    assert_strings(&g, dev, "compatible", STRS("arm,pl031"));
    assert_no_prop(&g, dev, "clocks");
    assert_no_prop(&g, dev, "clock-names");
    guest_clear(&g);
}

/* dwmac: pinctrl, PHY, resets, GPIO and child nodes dropped; two SPIs, edge and level. */
static void test_dwmac(void)
{
    g_autoptr(Host) h = host_new();
    g_autofree void *blob = NULL;
    g_autoptr(GError) err = NULL;
    const SysbusFdtReg regs[] = { { 0xc010000, 0x10000 } };
    const SysbusFdtIrq irqs[] = { { 113, false }, { 114, true } };
    const char *dev = "/ethernet@c010000";
    Guest g;

    if (!h) {
        return;
    }
    blob = host_load(h, "ethernet@9200000");
    guest_init(&g);
    SysbusFdtSpec spec = {
        .host_fdt = blob, .name = "9200000.ethernet", .regs = regs, .nr_regs = 1,
        .irqs = irqs, .nr_irqs = 2, .dt_base_dir = h->base,
    };
    g_assert_true(add_node(&g, &spec, &err));
    g_assert_no_error(err);
    assert_strings(&g, dev, "compatible", STRS("snps,dwmac-4.20a", "snps,dwmac"));
    assert_cells(&g, dev, "reg", CELLS(0, 0xc010000, 0, 0x10000));
    assert_cells(&g, dev, "interrupts", CELLS(0, 113, 4, 0, 114, 1));
    g_assert_cmpuint(guest_u32(&g, dev, "interrupt-parent"), ==, VIRT_PHANDLE_GIC);
    assert_strings(&g, dev, "interrupt-names", STRS("macirq", "eth_wake_irq"));
    /* two distinct host clocks: 100 MHz (32-bit) and 250 MHz (64-bit clock-frequency) */
    g_assert_cmpuint(guest_u32(&g, "/ethernet-c010000-clk0", "clock-frequency"), ==,
                     100000000);
    g_assert_cmpuint(guest_u32(&g, "/ethernet-c010000-clk1", "clock-frequency"), ==,
                     250000000);
    assert_cells(&g, dev, "clocks",
                 CELLS(guest_u32(&g, "/ethernet-c010000-clk0", "phandle"),
                       guest_u32(&g, "/ethernet-c010000-clk1", "phandle")));
    assert_strings(&g, dev, "clock-names", STRS("stmmaceth", "pclk"));
    g_assert_cmpstr(guest_prop(&g, dev, "phy-mode", NULL), ==, "rgmii-id");
    guest_prop(&g, dev, "local-mac-address", NULL);
    assert_no_prop(&g, dev, "arm,primecell-periphid");
    assert_strings(&g, dev, "compatible", STRS("snps,dwmac-4.20a", "snps,dwmac"));
    g_assert_cmpuint(nr_subnodes(&g, dev), ==, 0);
    assert_dropped(&g, STRS("pinctrl-0", "pinctrl-names", "phys", "phy-names", "phy-handle",
                            "resets", "reset-names", "snps,reset-gpios", "snps,axi-config",
                            "node stmmac-axi-config", "node mdio"));
    for (unsigned i = 0; i < g.dropped->len; i++) {
        if (!g_str_has_prefix(g_ptr_array_index(g.dropped, i), "node ")) {
            assert_no_prop(&g, dev, g_ptr_array_index(g.dropped, i));
        }
    }
    guest_clear(&g);

    /* only one SPI given: interrupt-names no longer matches and goes; so does a
     * compatible= override replace the whole list */
    guest_init(&g);
    spec.nr_irqs = 1;
    spec.compatible = STRS("acme,eth", "snps,dwmac");
    g_assert_true(add_node(&g, &spec, &err));
    g_assert_no_error(err);
    assert_cells(&g, dev, "interrupts", CELLS(0, 113, 4));
    assert_no_prop(&g, dev, "interrupt-names");
    assert_strings(&g, dev, "compatible", STRS("acme,eth", "snps,dwmac"));
    g_assert_true(g_ptr_array_find_with_equal_func(g.dropped, "interrupt-names", g_str_equal,
                                                   NULL));
    guest_clear(&g);
}

/*
 * AMBA host nodes passed with one register frame and one SPI, and the guest node each gets:
 * its compatible list, interrupts, clocks and clock-names, and what was dropped.
 */
typedef struct AmbaCase {
    const char *path;
    const char *host_node, *name;  /* the host's node, the device's sysfs name */
    const char *clock_names;       /* != NULL: the host node's clock-names file first becomes
                                    * this (one string) */
    uint64_t gpa;
    unsigned spi;
    bool edge;
    const char *const *compatible; /* compatible= (NULL: none) */
    const char *guest;             /* the guest node's path */
    const char *const *want_compatible;
    uint32_t want_irq_type;        /* interrupts' third cell */
    uint32_t want_clocks[2];       /* phandles; 0: none */
    const char *const *want_clock_names;
    const char *const *want_dropped;
} AmbaCase;

static const AmbaCase amba_cases[] = {
    /* a DMA consumer: dmas/dma-names go; two uses of one host clock share a guest clock */
    { "/sysbus-fdt/dma-consumer", "serial@9040000", "9040000.serial", NULL, 0xc080000, 121,
      false, NULL, "/serial@c080000", STRS("arm,pl011", "arm,primecell"), 4,
      { VIRT_PHANDLE_FIRST_FREE, VIRT_PHANDLE_FIRST_FREE }, STRS("uartclk", "apb_pclk"),
      STRS("dmas", "dma-names") },
    /* compatible= replaces the host's list, "arm,primecell" is still appended; the node keeps
     * the host node's name; an edge SPI */
    { "/sysbus-fdt/compatible-override", "pl031@9010000", "9010000.pl031", NULL, 0xc020000,
      115, true, STRS("acme,rtc", "arm,pl031"), "/pl031@c020000",
      STRS("acme,rtc", "arm,pl031", "arm,primecell"), 1, { VIRT_PHANDLE_FIRST_FREE, 0 },
      STRS("apb_pclk"), (const char *const[]){ NULL } },
    /* clock-names without apb_pclk: the board's is appended */
    { "/sysbus-fdt/amba-apb-pclk-appended", "pl031@9010000", "9010000.pl031", "rtcclk",
      0xc070000, 120, false, NULL, "/pl031@c070000", STRS("arm,pl031", "arm,primecell"), 4,
      { VIRT_PHANDLE_FIRST_FREE, VIRT_PHANDLE_APB_PCLK }, STRS("rtcclk", "apb_pclk"),
      (const char *const[]){ NULL } },
};

static void test_amba_node(gconstpointer data)
{
    const AmbaCase *c = data;
    g_autoptr(Host) h = host_new();
    g_autofree void *blob = NULL;
    g_autoptr(GError) err = NULL;
    const SysbusFdtReg regs[] = { { c->gpa, 0x1000 } };
    const SysbusFdtIrq irqs[] = { { c->spi, c->edge } };
    unsigned nr_clocks = c->want_clocks[1] ? 2 : 1;
    Guest g;

    if (!h) {
        return;
    }
    if (c->clock_names) {
        g_autofree char *names = g_build_filename(h->base, c->host_node, "clock-names", NULL);
        write_file(names, c->clock_names, strlen(c->clock_names) + 1);
    }
    blob = host_load(h, c->host_node);
    guest_init(&g);
    SysbusFdtSpec spec = {
        .host_fdt = blob, .name = c->name, .regs = regs, .nr_regs = 1,
        .irqs = irqs, .nr_irqs = 1, .amba = true, .dt_base_dir = h->base,
        .compatible = c->compatible,
    };
    g_assert_true(add_node(&g, &spec, &err));
    g_assert_no_error(err);
    assert_strings(&g, c->guest, "compatible", c->want_compatible);
    assert_cells(&g, c->guest, "interrupts", CELLS(0, c->spi, c->want_irq_type));
    assert_cells(&g, c->guest, "clocks", c->want_clocks, nr_clocks);
    assert_strings(&g, c->guest, "clock-names", c->want_clock_names);
    assert_dropped(&g, c->want_dropped);
    guest_clear(&g);
}

/* compatible= only, no host node. */
static void test_no_host_node(void)
{
    g_autoptr(GError) err = NULL;
    const SysbusFdtReg regs[] = { { 0xc040000, 0x1000 }, { 0x10000000000, 0x2000 } };
    const SysbusFdtIrq irqs[] = { { 117, false } };
    const char *dev = "/pl031@c040000";
    Guest g;

    guest_init(&g);
    SysbusFdtSpec spec = {
        .name = "9010000.pl031", .regs = regs, .nr_regs = 2, .irqs = irqs, .nr_irqs = 1,
        .amba = true, .compatible = STRS("arm,pl031"),
    };
    g_assert_true(add_node(&g, &spec, &err));
    g_assert_no_error(err);
    assert_strings(&g, dev, "compatible", STRS("arm,pl031", "arm,primecell"));
    assert_cells(&g, dev, "reg", CELLS(0, 0xc040000, 0, 0x1000, 0x100, 0, 0, 0x2000));
    assert_cells(&g, dev, "interrupts", CELLS(0, 117, 4));
    g_assert_cmpuint(guest_u32(&g, dev, "interrupt-parent"), ==, VIRT_PHANDLE_GIC);
    assert_cells(&g, dev, "clocks", CELLS(VIRT_PHANDLE_APB_PCLK));
    assert_strings(&g, dev, "clock-names", STRS("apb_pclk"));
    g_assert_cmpuint(nr_props(&g, dev), ==, 6);
    g_assert_cmpuint(g.dropped->len, ==, 0);
    guest_clear(&g);

    guest_init(&g);
    spec.amba = false;
    spec.compatible = STRS("acme,widget");
    spec.nr_regs = 1;
    g_assert_true(add_node(&g, &spec, &err));
    assert_strings(&g, "/widget@c040000", "compatible", STRS("acme,widget"));
    g_assert_cmpuint(nr_props(&g, "/widget@c040000"), ==, 4);
    guest_clear(&g);

    /* neither host node nor compatible= */
    guest_init(&g);
    spec.compatible = NULL;
    g_assert_false(add_node(&g, &spec, &err));
    g_assert_nonnull(strstr(err->message, "9010000.pl031: "));
    g_assert_nonnull(strstr(err->message, "compatible="));
    guest_clear(&g);
}

/* dt-node=FILE: used as it is, only reg/interrupts/interrupt-parent set. */
static void test_user_node(void)
{
    g_autofree char *dts = fixture_path("user-rtc.dts");
    g_autofree char *root_dts = fixture_path("user-root.dts");
    g_autofree void *blob = NULL;
    g_autofree void *root = NULL;
    g_autoptr(GError) err = NULL;
    const SysbusFdtReg regs[] = { { 0xc050000, 0x1000 } };
    const SysbusFdtIrq irqs[] = { { 118, false } };
    const char *dev = "/rtc@c050000";
    Guest g;

    if (!dts || !root_dts) {
        return;
    }
    blob = host_node_load_file(dts, &err);
    g_assert_no_error(err);
    guest_init(&g);
    SysbusFdtSpec spec = {
        .host_fdt = blob, .name = "9010000.pl031", .regs = regs, .nr_regs = 1,
        .irqs = irqs, .nr_irqs = 1, .amba = true, .user_node = true,
    };
    g_assert_true(add_node(&g, &spec, &err));
    g_assert_no_error(err);
    assert_strings(&g, dev, "compatible", STRS("arm,pl031", "arm,primecell"));
    assert_cells(&g, dev, "reg", CELLS(0, 0xc050000, 0, 0x1000));
    assert_cells(&g, dev, "interrupts", CELLS(0, 118, 4));
    g_assert_cmpuint(guest_u32(&g, dev, "interrupt-parent"), ==, VIRT_PHANDLE_GIC);
    /* as written: the user's own clocks and even a resets */
    assert_cells(&g, dev, "clocks", CELLS(3));
    assert_strings(&g, dev, "clock-names", STRS("apb_pclk"));
    assert_cells(&g, dev, "resets", CELLS(0x77));
    g_assert_cmpstr(guest_prop(&g, dev, "acme,custom", NULL), ==, "kept");
    assert_no_prop(&g, dev, "interrupts-extended"); /* would win over interrupts */
    assert_dropped(&g, STRS("interrupts-extended"));
    assert_strings(&g, "/rtc@c050000/child", "compatible", STRS("acme,sub"));
    g_assert_cmphex(guest_u32(&g, "/rtc@c050000/child", "phandle"), ==, 0x300);
    g_assert_cmpuint(g.ms.next_phandle, ==, 0x301); /* later phandles stay clear of it */
    g_assert_cmpuint(nr_props(&g, dev), ==, 8);
    guest_clear(&g);

    /* its phandle already taken in the guest: refused */
    guest_init(&g);
    g.ms.next_phandle = 0x400;
    {
        int n = fdt_add_subnode(g.fdt, 0, "other");
        g_assert_cmpint(fdt_setprop_u32(g.fdt, n, "phandle", 0x300), ==, 0);
    }
    g_assert_false(add_node(&g, &spec, &err));
    g_assert_nonnull(strstr(err->message, "phandle 0x300 is already used"));
    g_assert_cmpint(fdt_path_offset(g.fdt, dev), <, 0);
    g_clear_error(&err);
    guest_clear(&g);

    /* the root as device node: named from its compatible */
    root = host_node_load_file(root_dts, &err);
    g_assert_no_error(err);
    guest_init(&g);
    spec.host_fdt = root;
    spec.amba = false;
    g_assert_true(add_node(&g, &spec, &err));
    g_assert_no_error(err);
    assert_cells(&g, "/widget@c050000", "reg", CELLS(0, 0xc050000, 0, 0x1000));
    assert_cells(&g, "/widget@c050000", "interrupts", CELLS(0, 118, 4));
    assert_cells(&g, "/widget@c050000", "acme,mode", CELLS(2));
    guest_clear(&g);
}

/* Clock rates that cannot be found, and clock-rate= */
static void test_clock_rate_missing(void)
{
    g_autoptr(Host) h = host_new();
    g_autofree void *timer = NULL, *spi = NULL, *pl031 = NULL;
    g_autoptr(GError) err = NULL;
    const SysbusFdtReg regs[] = { { 0xc060000, 0x1000 } };
    const SysbusFdtIrq irqs[] = { { 119, false } };
    Guest g;

    if (!h) {
        return;
    }
    timer = host_load(h, "timer@9800000");
    spi = host_load(h, "spi@9900000");
    pl031 = host_load(h, "pl031@9010000");

    /* the host clock has no clock-frequency */
    guest_init(&g);
    SysbusFdtSpec spec = {
        .host_fdt = timer, .name = "9800000.timer", .regs = regs, .nr_regs = 1,
        .irqs = irqs, .nr_irqs = 1, .dt_base_dir = h->base,
    };
    g_assert_false(add_node(&g, &spec, &err));
    g_assert_nonnull(strstr(err->message, "9800000.timer: "));
    g_assert_nonnull(strstr(err->message, "no clock-frequency"));
    g_assert_nonnull(strstr(err->message, "clock-rate="));
    /* nothing was written, no phandle taken */
    g_assert_cmpint(fdt_path_offset(g.fdt, "/timer@c060000"), <, 0);
    g_assert_cmpint(fdt_path_offset(g.fdt, "/timer-c060000-clk0"), <, 0);
    g_assert_cmpuint(g.ms.next_phandle, ==, VIRT_PHANDLE_FIRST_FREE);
    g_assert_cmpuint(g.dropped->len, ==, 0);
    g_clear_error(&err);
    spec.clock_rate = 1000000;
    g_assert_true(add_node(&g, &spec, &err));
    g_assert_cmpuint(guest_u32(&g, "/timer-c060000-clk0", "clock-frequency"), ==, 1000000);
    guest_clear(&g);

    /* outputs of a multi-output provider: parsed with its #clock-cells, rate needed */
    guest_init(&g);
    spec.host_fdt = spi;
    spec.name = "9900000.spi";
    spec.clock_rate = 0;
    g_assert_false(add_node(&g, &spec, &err));
    g_assert_nonnull(strstr(err->message, "#clock-cells 1"));
    g_assert_nonnull(strstr(err->message, "clock-rate="));
    g_clear_error(&err);
    spec.clock_rate = 50000000;
    g_assert_true(add_node(&g, &spec, &err));
    g_assert_no_error(err);
    /* <&clkctl 5>, <&clkctl 6>: two specifiers, two clocks (not four) */
    g_assert_cmpuint(guest_u32(&g, "/spi-c060000-clk0", "clock-frequency"), ==, 50000000);
    g_assert_cmpuint(guest_u32(&g, "/spi-c060000-clk1", "clock-frequency"), ==, 50000000);
    g_assert_cmpint(fdt_path_offset(g.fdt, "/spi-c060000-clk2"), <, 0);
    assert_cells(&g, "/spi@c060000", "clocks",
                 CELLS(VIRT_PHANDLE_FIRST_FREE, VIRT_PHANDLE_FIRST_FREE + 1));
    guest_clear(&g);

    /* no host tree to read the rate from */
    guest_init(&g);
    spec.host_fdt = pl031;
    spec.name = "9010000.pl031";
    spec.clock_rate = 0;
    spec.dt_base_dir = NULL;
    g_assert_false(add_node(&g, &spec, &err));
    g_assert_nonnull(strstr(err->message, "clock-rate="));
    g_clear_error(&err);
    /* ... and a provider that cannot be found: #clock-cells 0 assumed, rate needed */
    spec.clock_rate = 12000000;
    g_assert_true(add_node(&g, &spec, &err));
    g_assert_cmpuint(guest_u32(&g, "/pl031-c060000-clk0", "clock-frequency"), ==, 12000000);
    guest_clear(&g);
}

/* Hostile host nodes: lengths that are not whole cells, truncated specifiers, bad strings. */
static void hostile_case(Host *h, const char *file, const void *data, size_t len,
                         const char *expect)
{
    g_autofree char *dir = host_dir(h, "pl031@9010000");
    g_autofree char *path = g_build_filename(dir, file, NULL);
    g_autofree char *saved = NULL;
    g_autofree void *blob = NULL;
    g_autoptr(GError) err = NULL;
    const SysbusFdtReg regs[] = { { 0xc020000, 0x1000 } };
    const SysbusFdtIrq irqs[] = { { 115, false } };
    size_t saved_len = 0;
    bool had = g_file_get_contents(path, &saved, &saved_len, NULL);
    Guest g;

    write_file(path, data, len);
    blob = host_load(h, "pl031@9010000");
    guest_init(&g);
    SysbusFdtSpec spec = {
        .host_fdt = blob, .name = "9010000.pl031", .regs = regs, .nr_regs = 1,
        .irqs = irqs, .nr_irqs = 1, .amba = true, .dt_base_dir = h->base,
    };
    g_assert_false(add_node(&g, &spec, &err));
    if (!strstr(err->message, expect) || !g_str_has_prefix(err->message, "9010000.pl031: ") ||
        strchr(err->message, '\n')) {
        g_error("%s: got \"%s\", want \"%s\"", file, err->message, expect);
    }
    g_assert_cmpint(fdt_path_offset(g.fdt, "/pl031@c020000"), <, 0);
    guest_clear(&g);
    if (had) {
        write_file(path, saved, saved_len);
    } else {
        g_assert_cmpint(unlink(path), ==, 0);
    }
}

/* One property of the pl031's host node replaced by data (len bytes), and what the message
 * must say. */
static const struct {
    const char *file;
    const char *data;
    size_t len;
    const char *expect;
} hostile_props[] = {
    { "reg", "\0\0\0\0\0\x90\x10", 7, "host reg property is 7 bytes" },
    { "interrupts", "\0\0\0\0\0", 5, "host interrupts property is 5 bytes" },
    { "clocks", "\0\0\x80\0\0\0", 6, "host clocks property is 6 bytes" },
    { "clocks", "\0\0\0\0", 4, "no provider" },
    { "compatible", "arm,pl031", 9, "not a list of NUL-terminated strings" },
    { "compatible", "", 0, "give compatible=" },
};

static void test_hostile(void)
{
    g_autoptr(Host) h = host_new();
    g_autofree char *cells = NULL;

    if (!h) {
        return;
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(hostile_props); i++) {
        hostile_case(h, hostile_props[i].file, hostile_props[i].data, hostile_props[i].len,
                     hostile_props[i].expect);
    }
    /* <&clkctl> without its argument cell */
    {
        g_autofree char *ph = NULL;
        g_autofree char *f = g_build_filename(h->base, "clock-controller@9300000", "phandle",
                                              NULL);
        size_t len;
        g_assert_true(g_file_get_contents(f, &ph, &len, NULL));
        g_assert_cmpuint(len, ==, 4);
        hostile_case(h, "clocks", ph, 4, "truncated");
    }
    /* a provider claiming 2^32-1 argument cells */
    cells = g_build_filename(h->base, "apb-pclk", "#clock-cells", NULL);
    write_file(cells, "\xff\xff\xff\xff", 4);
    hostile_case(h, "clocks", "\0\0\x80\0", 4, "above 8");
    write_file(cells, "\0\0", 2);
    hostile_case(h, "clocks", "\0\0\x80\0", 4, "#clock-cells is 2 bytes");
    write_file(cells, "\0\0\0\0", 4);
    /* AMBA with two clocks, no clock-names: no room for apb_pclk */
    {
        g_autofree char *names = g_build_filename(h->base, "pl031@9010000", "clock-names",
                                                  NULL);
        g_assert_cmpint(unlink(names), ==, 0);
        hostile_case(h, "clocks", "\0\0\x80\0\0\0\x80\0", 8, "needs an apb_pclk clock");
    }
}

/* A dt-node blob built in memory: the device node (compatible, phandle dev_ph unless 0) at
 * the root, with a child of phandle child_ph unless 0. */
static void *user_node_blob(uint32_t dev_ph, uint32_t child_ph)
{
    void *fdt = g_malloc0(4096);
    int child;

    g_assert_cmpint(fdt_create_empty_tree(fdt, 4096), ==, 0);
    g_assert_cmpint(fdt_setprop_string(fdt, 0, "compatible", "acme,widget"), ==, 0);
    if (dev_ph) {
        g_assert_cmpint(fdt_setprop_u32(fdt, 0, "phandle", dev_ph), ==, 0);
    }
    child = fdt_add_subnode(fdt, 0, "child");
    g_assert_cmpint(child, >=, 0);
    if (child_ph) {
        g_assert_cmpint(fdt_setprop_u32(fdt, child, "phandle", child_ph), ==, 0);
    }
    return fdt;
}

/*
 * Found by fuzz-host-fdt: a dt-node whose device node and child carry the same phandle
 * (0x41) was copied as it is, leaving two guest nodes with one phandle. Refused instead; a
 * node with the same value as phandle and linux,phandle is fine.
 */
static void test_user_node_duplicate_phandle(void)
{
    g_autofree void *dup = user_node_blob(0x41, 0x41);
    g_autofree void *both = user_node_blob(0x41, 0x42);
    g_autoptr(GError) err = NULL;
    const SysbusFdtReg regs[] = { { 0xc060000, 0x1000 } };
    Guest g;

    guest_init(&g);
    SysbusFdtSpec spec = {
        .host_fdt = dup, .name = "dup", .regs = regs, .nr_regs = 1, .user_node = true,
    };
    g_assert_false(add_node(&g, &spec, &err));
    g_assert_nonnull(strstr(err->message, "dup: dt-node: phandle 0x41 is given to two nodes"));
    g_assert_cmpint(fdt_path_offset(g.fdt, "/widget@c060000"), <, 0);
    g_clear_error(&err);

    g_assert_cmpint(fdt_setprop_u32(both, 0, "linux,phandle", 0x41), ==, 0);
    spec.host_fdt = both;
    g_assert_true(add_node(&g, &spec, &err));
    g_assert_no_error(err);
    g_assert_cmpuint(g.ms.next_phandle, ==, 0x43);
    guest_clear(&g);
}

/* The node of the guest tree that has phandle ph; fails the test if two have it. */
static int guest_node_by_phandle_once(Guest *g, uint32_t ph)
{
    int found = -1;

    for (int n = fdt_next_node(g->fdt, 0, NULL); n >= 0; n = fdt_next_node(g->fdt, n, NULL)) {
        int len;
        const fdt32_t *v = fdt_getprop(g->fdt, n, "phandle", &len);

        if (v && len == 4 && fdt32_to_cpu(*v) == ph) {
            g_assert_cmpint(found, <, 0);
            found = n;
        }
    }
    return found;
}

/*
 * The phandles a dt-node brings and the ones armpass hands out for the node's guest clocks
 * (apb-pclk at clock-rate) must not meet: a user phandle equal to the next free one
 * gave the device and its clock the same phandle; and a user phandle of 0xfffffffe left
 * 0xffffffff, an invalid phandle, to the next one handed out. Found by review while
 * writing fuzz-host-fdt's phandle oracle, which then checks it.
 */
static void test_user_node_phandle_room(void)
{
    g_autofree void *four = user_node_blob(VIRT_PHANDLE_FIRST_FREE, 0);
    g_autofree void *top = user_node_blob(0xfffffffe, 0);
    g_autoptr(GError) err = NULL;
    const SysbusFdtReg regs[] = { { 0xc070000, 0x1000 } };
    uint32_t clk;
    Guest g;

    guest_init(&g);
    g_assert_cmpuint(g.ms.next_phandle, ==, VIRT_PHANDLE_FIRST_FREE);
    SysbusFdtSpec spec = {
        .host_fdt = four, .name = "four", .regs = regs, .nr_regs = 1, .user_node = true,
        .amba = true, .clock_rate = 24000000,
    };
    g_assert_true(add_node(&g, &spec, &err));
    g_assert_no_error(err);
    clk = guest_u32(&g, "/widget@c070000", "clocks");
    g_assert_cmpuint(clk, !=, VIRT_PHANDLE_FIRST_FREE);
    g_assert_cmpint(guest_node_by_phandle_once(&g, VIRT_PHANDLE_FIRST_FREE), ==, guest_node(&g, "/widget@c070000"));
    g_assert_cmpint(guest_node_by_phandle_once(&g, clk), ==,
                    guest_node(&g, "/widget-c070000-apb-pclk"));
    g_assert_cmpuint(g.ms.next_phandle, >, clk);
    guest_clear(&g);

    guest_init(&g);
    spec.host_fdt = top;
    spec.name = "top";
    g_assert_false(add_node(&g, &spec, &err));
    g_assert_nonnull(strstr(err->message, "top: dt-node: phandle 0xfffffffe leaves"));
    g_assert_cmpuint(g.ms.next_phandle, ==, VIRT_PHANDLE_FIRST_FREE);
    g_clear_error(&err);
    spec.amba = false;
    g_assert_false(add_node(&g, &spec, &err));
    guest_clear(&g);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/sysbus-fdt/pl330", test_pl330);
    g_test_add_func("/sysbus-fdt/pl031", test_pl031);
    g_test_add_func("/sysbus-fdt/amba-apb-pclk-fallback", test_amba_apb_pclk_fallback);
    g_test_add_func("/sysbus-fdt/dwmac", test_dwmac);
    for (unsigned i = 0; i < G_N_ELEMENTS(amba_cases); i++) {
        g_test_add_data_func(amba_cases[i].path, &amba_cases[i], test_amba_node);
    }
    g_test_add_func("/sysbus-fdt/no-host-node", test_no_host_node);
    g_test_add_func("/sysbus-fdt/user-node", test_user_node);
    g_test_add_func("/sysbus-fdt/user-node-duplicate-phandle", test_user_node_duplicate_phandle);
    g_test_add_func("/sysbus-fdt/user-node-phandle-room", test_user_node_phandle_room);
    g_test_add_func("/sysbus-fdt/clock-rate-missing", test_clock_rate_missing);
    g_test_add_func("/sysbus-fdt/hostile", test_hostile);
    return g_test_run();
}
