// SPDX-License-Identifier: GPL-2.0-only
/* "-device pl011": an extra PL011 UART on the platform bus, and the pl011 device-tree node. */
#define G_LOG_DOMAIN "armpass-pl011"
#include "hw/char/pl011.h"
#include "hw/core/device.h"
#include "hw/core/fdt.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <unistd.h>

#define PL011_DEVICE_ERROR pl011_device_error_quark()
static G_DEFINE_QUARK(armpass-pl011-device-error, pl011_device_error)

typedef struct Pl011Device {
    DeviceState parent;
    /* properties */
    uint64_t mmio_base;
    bool mmio_base_set;
    uint64_t irq;
    bool irq_set;
    char *file;
    /* state */
    MachineState *ms;
    Pl011 *uart;
    int fd;
    uint64_t addr;
    unsigned spi;
} Pl011Device;

bool pl011_fdt_add_node(void *fdt, uint64_t addr, unsigned spi, uint32_t clk_phandle,
                        char **path, GError **errp)
{
    static const char *const compat[] = { "arm,pl011", "arm,primecell", NULL };
    static const char *const clock_names[] = { "uartclk", "apb_pclk", NULL };
    uint64_t reg[2] = { addr, PL011_MMIO_SIZE };
    fdt32_t clocks[2] = { cpu_to_fdt32(clk_phandle), cpu_to_fdt32(clk_phandle) };
    g_autofree char *name = g_strdup_printf("pl011@%" PRIx64, addr);
    int node;

    FDT_CHECK_OFFSET(node, fdt_add_subnode(fdt, 0, name));
    if (!fdt_setprop_strings(fdt, node, "compatible", compat, errp) ||
        !fdt_setprop_reg64(fdt, node, reg, 1, errp) ||
        !fdt_setprop_gic_spi(fdt, node, spi, FDT_IRQ_TYPE_LEVEL_HIGH, errp) ||
        !fdt_setprop_strings(fdt, node, "clock-names", clock_names, errp)) {
        return false;
    }
    FDT_CHECK(fdt_setprop(fdt, node, "clocks", clocks, sizeof(clocks)));
    if (path) {
        *path = g_strdup_printf("/%s", name);
    }
    return true;
}

static void pl011_device_irq(void *opaque, bool level)
{
    Pl011Device *d = opaque;
    g_autoptr(GError) err = NULL;

    if (!machine_set_spi(d->ms, d->spi, level, &err)) {
        g_warning("%s: %s", d->parent.id, err->message);
    }
}

static bool pl011_device_realize(DeviceState *dev, MachineState *ms, GError **errp)
{
    Pl011Device *d = (Pl011Device *)dev;

    d->ms = ms;
    d->fd = -1;
    if (d->mmio_base_set) {
        if (d->mmio_base & 0xfff) {
            g_set_error(errp, PL011_DEVICE_ERROR, EINVAL,
                        "mmio-base=0x%" PRIx64 " is not 4 KiB aligned", d->mmio_base);
            return false;
        }
        d->addr = d->mmio_base;
    } else if (!platform_bus_alloc_mmio(&ms->pbus, PL011_MMIO_SIZE, 0x1000, &d->addr, errp)) {
        return false;
    }
    if (d->irq_set) {
        if (!platform_bus_reserve_spi(&ms->pbus, d->irq, ms->max_spi, errp)) {
            return false;
        }
        d->spi = d->irq;
    } else if (!platform_bus_alloc_spi(&ms->pbus, &d->spi, errp)) {
        return false;
    }
    if (d->file) {
        d->fd = open(d->file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (d->fd < 0) {
            g_set_error(errp, PL011_DEVICE_ERROR, errno,
                        "file=%s: cannot open: %s", d->file, g_strerror(errno));
            return false;
        }
    }
    d->uart = pl011_new(dev->id, d->fd, pl011_device_irq, d);
    if (!memory_region_add_subregion(ms->sysmem, d->addr, pl011_mmio(d->uart), 0, errp)) {
        pl011_free(d->uart);
        d->uart = NULL;
        if (d->fd >= 0) {
            close(d->fd);
        }
        return false;
    }
    g_debug("%s: at 0x%" PRIx64 ", SPI %u", dev->id, d->addr, d->spi);
    return true;
}

static void pl011_device_unrealize(DeviceState *dev, MachineState *ms)
{
    Pl011Device *d = (Pl011Device *)dev;

    machine_unmap(ms, pl011_mmio(d->uart));
    pl011_free(d->uart);
    if (d->fd >= 0) {
        close(d->fd);
    }
}

static bool pl011_device_fdt(DeviceState *dev, MachineState *ms, void *fdt, GError **errp)
{
    Pl011Device *d = (Pl011Device *)dev;
    return pl011_fdt_add_node(fdt, d->addr, d->spi, ms->apb_pclk_phandle, NULL, errp);
}

static const Property pl011_props[] = {
    { "mmio-base", PROP_UINT64, offsetof(Pl011Device, mmio_base),
      offsetof(Pl011Device, mmio_base_set), "guest-physical address (default: next free "
      "slot in the platform-bus window)" },
    { "irq", PROP_UINT64, offsetof(Pl011Device, irq), offsetof(Pl011Device, irq_set),
      "SPI number (default: next free reserved SPI)" },
    { "file", PROP_STRING, offsetof(Pl011Device, file), 0,
      "write what the guest transmits to this file (default: discard)" },
    PROP_END,
};

const DeviceClass pl011_device_class = {
    .name = "pl011",
    .desc = "ARM PrimeCell UART (PL011), an extra serial port",
    .instance_size = sizeof(Pl011Device),
    .props = pl011_props,
    .realize = pl011_device_realize,
    .fdt_node = pl011_device_fdt,
    .no_hotplug = DEVICE_NO_HOTPLUG_FDT,
    .unrealize = pl011_device_unrealize,
};
