// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for hw/gpio/pl061.c: the registers through the MemoryRegion's ops, the
 * interrupt line, and the pl061 and gpio-keys nodes read back with libfdt. */
#include "hw/gpio/pl061.h"

#include "hw/arm/virt.h"
#include "hw/core/fdt.h"

#include <glib.h>
#include <libfdt.h>

#define DIR 0x400
#define IS 0x404
#define IBE 0x408
#define IEV 0x40c
#define IE 0x410
#define RIS 0x414
#define MIS 0x418
#define IC 0x41c

typedef struct IrqLog {
    unsigned calls;
    bool level;
} IrqLog;

static void irq_cb(void *opaque, bool level)
{
    IrqLog *log = opaque;
    g_assert_true(log->calls == 0 || log->level != level); /* changes only */
    log->calls++;
    log->level = level;
}

static uint32_t rd(Pl061 *s, uint64_t off)
{
    MemoryRegion *mr = pl061_mmio(s);
    return (uint32_t)mr->ops->read(mr->opaque, off, 4);
}

static void wr(Pl061 *s, uint64_t off, uint32_t v)
{
    MemoryRegion *mr = pl061_mmio(s);
    mr->ops->write(mr->opaque, off, v, 4);
}

/* The AMBA bus matches the driver by these (drivers/gpio/gpio-pl061.c: 0x00041061). */
static void test_ids(void)
{
    Pl061 *s = pl061_new("gpio", NULL, NULL);
    uint32_t pid = rd(s, 0xfe0) | rd(s, 0xfe4) << 8 | rd(s, 0xfe8) << 16 | rd(s, 0xfec) << 24;
    uint32_t cid = rd(s, 0xff0) | rd(s, 0xff4) << 8 | rd(s, 0xff8) << 16 | rd(s, 0xffc) << 24;

    g_assert_cmphex(pid & 0x000fffff, ==, 0x00041061);
    g_assert_cmphex(cid, ==, 0xb105f00d);
    pl061_free(s);
}

/* GPIODATA: address bits [9:2] mask the access; writes reach output lines only. */
static void test_data_mask(void)
{
    Pl061 *s = pl061_new("gpio", NULL, NULL);

    wr(s, DIR, 0x0f);                  /* lines 0-3 outputs */
    wr(s, 0xff << 2, 0xff);            /* all bits addressed: outputs take 1 */
    g_assert_cmphex(rd(s, 0xff << 2), ==, 0x0f);
    wr(s, 0x01 << 2, 0x00);            /* only bit 0 addressed */
    g_assert_cmphex(rd(s, 0xff << 2), ==, 0x0e);
    g_assert_cmphex(rd(s, 0x02 << 2), ==, 0x02);  /* a read sees the addressed bits only */
    g_assert_cmphex(rd(s, 0x01 << 2), ==, 0x00);
    pl061_set_input(s, 5, true);       /* an input line shows what is driven */
    g_assert_cmphex(rd(s, 0xff << 2), ==, 0x2e);
    pl061_set_input(s, 1, false);      /* an output keeps its latch */
    g_assert_cmphex(rd(s, 0x02 << 2), ==, 0x02);
    pl061_free(s);
}

/* gpio-keys asks for both edges: a press and a release each raise the SPI until cleared. */
static void test_both_edges(void)
{
    IrqLog log = { 0 };
    Pl061 *s = pl061_new("gpio", irq_cb, &log);

    wr(s, IBE, 1u << 3);
    wr(s, IE, 1u << 3);
    g_assert_cmpuint(log.calls, ==, 0);
    pl061_set_input(s, 3, true);
    g_assert_true(log.level);
    g_assert_cmphex(rd(s, RIS), ==, 0x08);
    g_assert_cmphex(rd(s, MIS), ==, 0x08);
    g_assert_cmphex(rd(s, 0x08 << 2), ==, 0x08);
    wr(s, IC, 0x08);
    g_assert_false(log.level);
    g_assert_cmphex(rd(s, RIS), ==, 0);
    pl061_set_input(s, 3, false);
    g_assert_true(log.level);
    wr(s, IC, 0x08);
    g_assert_false(log.level);
    /* masked: latched in RIS, not raised */
    wr(s, IE, 0);
    pl061_set_input(s, 3, true);
    g_assert_false(log.level);
    g_assert_cmphex(rd(s, RIS), ==, 0x08);
    g_assert_cmphex(rd(s, MIS), ==, 0);
    wr(s, IE, 0x08);
    g_assert_true(log.level);
    pl061_free(s);
}

/* One edge (IEV picks which), and level-sensitive lines that follow the pin. */
static void test_edge_and_level(void)
{
    IrqLog log = { 0 };
    Pl061 *s = pl061_new("gpio", irq_cb, &log);

    wr(s, IE, 0x03);
    wr(s, IEV, 0x01);          /* line 0: rising edge */
    pl061_set_input(s, 0, true);
    g_assert_cmphex(rd(s, RIS), ==, 0x01);
    wr(s, IC, 0x01);
    pl061_set_input(s, 0, false); /* falling: nothing */
    g_assert_cmphex(rd(s, RIS), ==, 0);
    g_assert_false(log.level);

    wr(s, IS, 0x02);           /* line 1: level, low active (IEV bit 0) */
    g_assert_true(log.level);  /* the pin is low now */
    g_assert_cmphex(rd(s, RIS), ==, 0x02);
    wr(s, IC, 0x02);           /* still active: stays */
    g_assert_cmphex(rd(s, RIS), ==, 0x02);
    pl061_set_input(s, 1, true);
    g_assert_cmphex(rd(s, RIS), ==, 0);
    g_assert_false(log.level);
    pl061_free(s);
}

/* The pl061 node and the gpio-keys power button, as QEMU's virt has them. */
static void test_fdt(void)
{
    g_autofree void *fdt = g_malloc0(8192);
    g_autoptr(GError) err = NULL;
    const fdt32_t *cells;
    int node, key, len;

    g_assert_cmpint(fdt_create_empty_tree(fdt, 8192), ==, 0);
    g_assert_true(pl061_fdt_add_node(fdt, 0x9030000, 7, 3, 4, &err));
    g_assert_true(gpio_keys_fdt_add_node(fdt, 4, 3, PL061_KEY_POWER, &err));
    g_assert_no_error(err);

    node = fdt_path_offset(fdt, "/pl061@9030000");
    g_assert_cmpint(node, >=, 0);
    g_assert_cmpint(fdt_node_check_compatible(fdt, node, "arm,pl061"), ==, 0);
    g_assert_cmpint(fdt_node_check_compatible(fdt, node, "arm,primecell"), ==, 0);
    g_assert_nonnull(fdt_getprop(fdt, node, "gpio-controller", &len));
    g_assert_cmpuint(fdt32_to_cpu(*(const fdt32_t *)fdt_getprop(fdt, node, "#gpio-cells", NULL)),
                     ==, 2);
    g_assert_cmpuint(fdt_get_phandle(fdt, node), ==, 4);
    cells = fdt_getprop(fdt, node, "interrupts", &len);
    g_assert_cmpint(len, ==, 12);
    g_assert_cmpuint(fdt32_to_cpu(cells[0]), ==, GIC_FDT_IRQ_TYPE_SPI);
    g_assert_cmpuint(fdt32_to_cpu(cells[1]), ==, 7);
    g_assert_cmpstr(fdt_getprop(fdt, node, "clock-names", NULL), ==, "apb_pclk");
    cells = fdt_getprop(fdt, node, "reg", &len);
    g_assert_cmpint(len, ==, 16);
    g_assert_cmphex(fdt32_to_cpu(cells[1]), ==, 0x9030000);
    g_assert_cmphex(fdt32_to_cpu(cells[3]), ==, PL061_MMIO_SIZE);

    node = fdt_path_offset(fdt, "/gpio-keys");
    g_assert_cmpint(fdt_node_check_compatible(fdt, node, "gpio-keys"), ==, 0);
    key = fdt_subnode_offset(fdt, node, "poweroff");
    g_assert_cmpint(key, >=, 0);
    g_assert_cmpuint(fdt32_to_cpu(*(const fdt32_t *)fdt_getprop(fdt, key, "linux,code", NULL)),
                     ==, 116);
    cells = fdt_getprop(fdt, key, "gpios", &len);
    g_assert_cmpint(len, ==, 12);
    g_assert_cmpuint(fdt32_to_cpu(cells[0]), ==, 4);
    g_assert_cmpuint(fdt32_to_cpu(cells[1]), ==, 3);
    g_assert_cmpuint(fdt32_to_cpu(cells[2]), ==, 0);
}

/* The board's tree has them, wired together, at the memory map's place. */
static void test_board_tree(void)
{
    uint64_t mpidr = 0x80000000;
    VirtFdtParams p = { .smp = 1, .mpidr = &mpidr, .gic_version = 3, .ram_size = 1 << 30 };
    MachineState ms = { .next_phandle = VIRT_PHANDLE_FIRST_FREE };
    g_autoptr(GError) err = NULL;
    size_t size;
    g_autofree void *fdt = virt_fdt_build(&ms, &p, &size, &err);
    g_autofree char *path = g_strdup_printf("/pl061@%" G_GINT64_MODIFIER "x",
                                            (guint64)virt_memmap[VIRT_GPIO].base);
    const fdt32_t *cells;
    int gpio, key;

    g_assert_no_error(err);
    gpio = fdt_path_offset(fdt, path);
    g_assert_cmpint(gpio, >=, 0);
    key = fdt_path_offset(fdt, "/gpio-keys/poweroff");
    g_assert_cmpint(key, >=, 0);
    cells = fdt_getprop(fdt, key, "gpios", NULL);
    g_assert_cmpuint(fdt32_to_cpu(cells[0]), ==, fdt_get_phandle(fdt, gpio));
    g_assert_cmpuint(fdt32_to_cpu(cells[1]), ==, VIRT_GPIO_POWER_LINE);
    cells = fdt_getprop(fdt, gpio, "interrupts", NULL);
    g_assert_cmpuint(fdt32_to_cpu(cells[1]), ==, virt_irqmap[VIRT_IRQ_GPIO]);
    cells = fdt_getprop(fdt, gpio, "clocks", NULL);
    g_assert_cmpuint(fdt32_to_cpu(cells[0]), ==,
                     fdt_get_phandle(fdt, fdt_path_offset(fdt, "/apb-pclk")));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/pl061/ids", test_ids);
    g_test_add_func("/pl061/data-mask", test_data_mask);
    g_test_add_func("/pl061/both-edges", test_both_edges);
    g_test_add_func("/pl061/edge-and-level", test_edge_and_level);
    g_test_add_func("/pl061/fdt", test_fdt);
    g_test_add_func("/pl061/board-tree", test_board_tree);
    return g_test_run();
}
