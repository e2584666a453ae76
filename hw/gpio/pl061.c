// SPDX-License-Identifier: GPL-2.0-only
/* The PL061 GPIO controller model (include/hw/gpio/pl061.h) and its gpio-keys node. */
#define G_LOG_DOMAIN "armpass-pl061"
#include "hw/gpio/pl061.h"

#include "hw/core/fdt.h"

#include <inttypes.h>

/* Register offsets, ARM DDI 0190B table 3-1. GPIODATA spans 0x000-0x3fc: address bits
 * [9:2] mask the bits an access reads or writes. */
enum {
    R_DATA_END = 0x400,
    R_DIR = 0x400,
    R_IS = 0x404,   /* 1: level-sensitive */
    R_IBE = 0x408,  /* 1: both edges */
    R_IEV = 0x40c,  /* 1: rising edge / high level */
    R_IE = 0x410,
    R_RIS = 0x414,
    R_MIS = 0x418,
    R_IC = 0x41c,
    R_AFSEL = 0x420,
    R_PERIPH_ID0 = 0xfe0,
};

/* PeriphID0..3 then PCellID0..3: part 0x061, designer ARM (0x41), revision 0; the AMBA bus
 * matches 0x00041061 (drivers/gpio/gpio-pl061.c). */
static const uint8_t pl061_id[8] = { 0x61, 0x10, 0x04, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

struct Pl061 {
    MemoryRegion mmio;
    char *name;
    Pl061IrqFn irq;
    void *opaque;
    GMutex lock; /* guards everything below */
    uint8_t data;  /* output latch */
    uint8_t in;    /* levels driven from outside */
    uint8_t dir, is, ibe, iev, ie, ris, afsel;
    bool irq_level;
};

/* The level of every pin: outputs from the latch, inputs from outside. */
static uint8_t pl061_pins(const Pl061 *s)
{
    return (uint8_t)((s->data & s->dir) | (s->in & ~s->dir));
}

/* Level-sensitive lines follow their pin; then the SPI follows the masked status. */
static void pl061_update(Pl061 *s)
{
    uint8_t pins = pl061_pins(s);
    uint8_t active = (uint8_t)((pins & s->iev) | (~pins & ~s->iev));
    bool level;

    s->ris = (uint8_t)((s->ris & ~s->is) | (active & s->is));
    level = (s->ris & s->ie) != 0;
    if (level != s->irq_level) {
        s->irq_level = level;
        if (s->irq) {
            s->irq(s->opaque, level);
        }
    }
}

/* Latches edge interrupts for the pins that changed from old to the present levels. */
static void pl061_edges(Pl061 *s, uint8_t old)
{
    uint8_t pins = pl061_pins(s);
    uint8_t changed = old ^ pins;
    uint8_t edge = (uint8_t)(changed & ~s->is);
    uint8_t hit = (uint8_t)((edge & s->ibe) |
                            (edge & ~s->ibe & ((pins & s->iev) | (~pins & ~s->iev))));

    s->ris |= hit;
    pl061_update(s);
}

static uint32_t pl061_reg_read(Pl061 *s, uint64_t reg)
{
    if (reg < R_DATA_END) {
        return pl061_pins(s) & (uint8_t)(reg >> 2);
    }
    switch (reg) {
    case R_DIR:
        return s->dir;
    case R_IS:
        return s->is;
    case R_IBE:
        return s->ibe;
    case R_IEV:
        return s->iev;
    case R_IE:
        return s->ie;
    case R_RIS:
        return s->ris;
    case R_MIS:
        return s->ris & s->ie;
    case R_AFSEL:
        return s->afsel;
    default:
        if (reg >= R_PERIPH_ID0 && reg < R_PERIPH_ID0 + 4 * sizeof(pl061_id)) {
            return pl061_id[(reg - R_PERIPH_ID0) / 4];
        }
        g_debug("%s: read of unknown register %#" PRIx64 " gives 0", s->name, reg);
        return 0;
    }
}

static void pl061_reg_write(Pl061 *s, uint64_t reg, uint8_t v)
{
    uint8_t old = pl061_pins(s);

    if (reg < R_DATA_END) {
        uint8_t mask = (uint8_t)((reg >> 2) & s->dir);
        s->data = (uint8_t)((s->data & ~mask) | (v & mask));
        pl061_edges(s, old);
        return;
    }
    switch (reg) {
    case R_DIR:
        s->dir = v;
        pl061_edges(s, old);
        return;
    case R_IS:
        s->is = v;
        break;
    case R_IBE:
        s->ibe = v;
        break;
    case R_IEV:
        s->iev = v;
        break;
    case R_IE:
        s->ie = v;
        break;
    case R_IC:
        s->ris &= (uint8_t)~v; /* level lines come back in pl061_update while still active */
        break;
    case R_AFSEL:
        s->afsel = v;
        break;
    default:
        g_debug("%s: write of %#x to read-only or unknown register %#" PRIx64 " ignored",
                s->name, v, reg);
        return;
    }
    pl061_update(s);
}

static uint64_t pl061_mmio_read(void *opaque, uint64_t offset, unsigned size)
{
    Pl061 *s = opaque;
    uint32_t v;

    g_mutex_lock(&s->lock);
    v = pl061_reg_read(s, offset & ~3ull);
    g_mutex_unlock(&s->lock);
    v >>= (offset & 3) * 8;
    return size >= 4 ? v : v & ((1u << (size * 8)) - 1);
}

/* Registers are 8 bits wide in 32-bit slots: a write at a slot's offset sets its low byte;
 * one into the middle of a slot is ignored. */
static void pl061_mmio_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    Pl061 *s = opaque;

    (void)size;
    if (offset & 3) {
        g_debug("%s: write at unaligned offset %#" PRIx64 " ignored", s->name, offset);
        return;
    }
    g_mutex_lock(&s->lock);
    pl061_reg_write(s, offset, (uint8_t)value);
    g_mutex_unlock(&s->lock);
}

static const MemoryRegionOps pl061_ops = {
    .read = pl061_mmio_read,
    .write = pl061_mmio_write,
};

Pl061 *pl061_new(const char *name, Pl061IrqFn irq, void *opaque)
{
    Pl061 *s = g_new0(Pl061, 1);

    s->name = g_strdup(name);
    s->irq = irq;
    s->opaque = opaque;
    g_mutex_init(&s->lock);
    memory_region_init_io(&s->mmio, name, PL061_MMIO_SIZE, &pl061_ops, s);
    return s;
}

void pl061_free(Pl061 *s)
{
    if (!s) {
        return;
    }
    memory_region_finalize(&s->mmio);
    g_mutex_clear(&s->lock);
    g_free(s->name);
    g_free(s);
}

MemoryRegion *pl061_mmio(Pl061 *s)
{
    return &s->mmio;
}

void pl061_set_input(Pl061 *s, unsigned line, bool level)
{
    uint8_t old;

    g_return_if_fail(line < PL061_NR_LINES);
    g_mutex_lock(&s->lock);
    old = pl061_pins(s);
    if (level) {
        s->in |= (uint8_t)(1u << line);
    } else {
        s->in &= (uint8_t)~(1u << line);
    }
    pl061_edges(s, old);
    g_mutex_unlock(&s->lock);
}

bool pl061_fdt_add_node(void *fdt, uint64_t addr, unsigned spi, uint32_t clk_phandle,
                        uint32_t phandle, GError **errp)
{
    static const char *const compat[] = { "arm,pl061", "arm,primecell", NULL };
    uint64_t reg[2] = { addr, PL061_MMIO_SIZE };
    g_autofree char *name = g_strdup_printf("pl061@%" PRIx64, addr);
    int node;

    FDT_CHECK_OFFSET(node, fdt_add_subnode(fdt, 0, name));
    if (!fdt_setprop_strings(fdt, node, "compatible", compat, errp) ||
        !fdt_setprop_reg64(fdt, node, reg, 1, errp) ||
        !fdt_setprop_gic_spi(fdt, node, spi, FDT_IRQ_TYPE_LEVEL_HIGH, errp)) {
        return false;
    }
    FDT_CHECK(fdt_setprop(fdt, node, "gpio-controller", NULL, 0));
    FDT_CHECK(fdt_setprop_u32(fdt, node, "#gpio-cells", 2));
    FDT_CHECK(fdt_setprop_u32(fdt, node, "clocks", clk_phandle));
    FDT_CHECK(fdt_setprop_string(fdt, node, "clock-names", "apb_pclk"));
    FDT_CHECK(fdt_setprop_u32(fdt, node, "phandle", phandle));
    return true;
}

bool gpio_keys_fdt_add_node(void *fdt, uint32_t gpio_phandle, unsigned line, uint32_t code,
                            GError **errp)
{
    fdt32_t gpios[3] = { cpu_to_fdt32(gpio_phandle), cpu_to_fdt32(line),
                         cpu_to_fdt32(0) /* GPIO_ACTIVE_HIGH */ };
    int node, key;

    FDT_CHECK_OFFSET(node, fdt_add_subnode(fdt, 0, "gpio-keys"));
    FDT_CHECK(fdt_setprop_string(fdt, node, "compatible", "gpio-keys"));
    FDT_CHECK_OFFSET(key, fdt_add_subnode(fdt, node, "poweroff"));
    FDT_CHECK(fdt_setprop_string(fdt, key, "label", "GPIO Key Poweroff"));
    FDT_CHECK(fdt_setprop_u32(fdt, key, "linux,code", code));
    FDT_CHECK(fdt_setprop(fdt, key, "gpios", gpios, sizeof(gpios)));
    return true;
}
