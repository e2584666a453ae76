// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-platform and vfio-amba's shared model: attach the host device, place its regions on
 * the platform bus, wire its IRQs to SPIs, generate its guest node, tear it all down.
 */
#define G_LOG_DOMAIN "armpass-vfio"
#include "hw/vfio/vfio-sysbus.h"

#include "hw/arm/sysbus-fdt.h"

#include <errno.h>
#include <glib-unix.h>
#include <inttypes.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* The userspace fallback's resample period for level IRQs (x-resample-ms), milliseconds. */
#define VFIO_SYSBUS_DEFAULT_RESAMPLE_MS 10

#define VFIO_SYSBUS_COMMON_PROPS                                                               \
    { "host", PROP_STRING, offsetof(VfioSysbusDevice, host), 0,                                \
      "host device name under /sys/bus/{platform,amba}/devices (e.g. 9010000.pl031)" },        \
    { "sysfsdev", PROP_STRING, offsetof(VfioSysbusDevice, sysfsdev), 0,                        \
      "host device's sysfs folder, instead of host=" },                                        \
    { "mmio-base", PROP_UINT64, offsetof(VfioSysbusDevice, mmio_base),                         \
      offsetof(VfioSysbusDevice, mmio_base_set),                                               \
      "guest-physical address of the first region (default: the platform-bus window); "        \
      "give the host's address for a 1:1 mapping" },                                           \
    { "irq-base", PROP_UINT64, offsetof(VfioSysbusDevice, irq_base),                           \
      offsetof(VfioSysbusDevice, irq_base_set), "guest SPI of the first IRQ (default: the "    \
      "reserved range)" },                                                                     \
    { "x-no-mmap", PROP_BOOL, offsetof(VfioSysbusDevice, x_no_mmap), 0,                        \
      "trap every access instead of mapping the regions (slow; for debugging)" },              \
    { "x-irqfd", PROP_BOOL, offsetof(VfioSysbusDevice, x_irqfd),                               \
      offsetof(VfioSysbusDevice, x_irqfd_set), "on (default): KVM delivers and completes "     \
      "the IRQs; off: armpass's main loop does" },                                             \
    { "x-resample-ms", PROP_UINT64, offsetof(VfioSysbusDevice, x_resample_ms),                 \
      offsetof(VfioSysbusDevice, x_resample_ms_set), "with x-irqfd=off: how often a level "    \
      "IRQ is lowered and unmasked while asserted (default 10)" },                             \
    { "noiommu", PROP_BOOL, offsetof(VfioSysbusDevice, noiommu), 0,                            \
      "allow a no-IOMMU group: the device can then reach all host memory by DMA" },            \
    { "compatible", PROP_STRING, offsetof(VfioSysbusDevice, compatible), 0,                    \
      "guest node's compatible list, ';'-separated, replacing the host's (commas as ,,)" },    \
    { "dt-node", PROP_STRING, offsetof(VfioSysbusDevice, dt_node), 0,                          \
      "a .dtb or .dts holding the guest node, used as is (reg and interrupts patched)" },      \
    { "clock-rate", PROP_UINT64, offsetof(VfioSysbusDevice, clock_rate),                       \
      offsetof(VfioSysbusDevice, clock_rate_set),                                              \
      "rate in Hz of the guest's fixed clocks when the host's cannot be read" }

const Property vfio_sysbus_props[] = {
    VFIO_SYSBUS_COMMON_PROPS,
    PROP_END,
};

const Property vfio_amba_props[] = {
    VFIO_SYSBUS_COMMON_PROPS,
    { "periphid", PROP_UINT64, offsetof(VfioSysbusDevice, periphid),
      offsetof(VfioSysbusDevice, periphid_set), "arm,primecell-periphid of the guest node" },
    PROP_END,
};

#define VFIO_SYSBUS_ERROR vfio_sysbus_error_quark()
static G_DEFINE_QUARK(armpass-vfio-sysbus-error, vfio_sysbus_error)

static const char *vfio_dev_name(VfioSysbusDevice *d)
{
    return d->vdev ? d->vdev->name : d->host ? d->host : d->sysfsdev;
}

/* --- interrupts ------------------------------------------------------------------------ */

static bool vfio_irq_set_line(VfioSysbusIrq *irq, bool level)
{
    g_autoptr(GError) err = NULL;
    irq->line_high = level;
    if (!machine_set_spi(irq->owner->ms, irq->spi, level, &err)) {
        g_warning("vfio %s: IRQ %u: %s", vfio_dev_name(irq->owner), irq->index, err->message);
        return false;
    }
    return true;
}

/* The timed resample: armpass cannot see the guest's EOI without a resamplefd (KVM on arm
 * does not exit on it), so the line is lowered and the host IRQ unmasked after a period; a
 * device that still asserts fires again at once and the line goes up again. */
static gboolean vfio_irq_resample(gpointer opaque)
{
    VfioSysbusIrq *irq = opaque;
    g_autoptr(GError) err = NULL;

    irq->resample_timer = 0;
    irq->wakeups++;
    vfio_irq_set_line(irq, false);
    if (!vfio_device_irq_unmask(irq->owner->vdev, irq->index, &err)) {
        g_warning("%s", err->message);
    }
    return G_SOURCE_REMOVE;
}

static gboolean vfio_irq_triggered(gint fd, GIOCondition cond, gpointer opaque)
{
    VfioSysbusIrq *irq = opaque;
    VfioSysbusDevice *d = irq->owner;
    uint64_t count;

    (void)cond;
    if (read(fd, &count, sizeof(count)) != sizeof(count)) {
        return G_SOURCE_CONTINUE; /* EAGAIN: already consumed */
    }
    irq->wakeups++;
    if (!irq->level) {
        vfio_irq_set_line(irq, true);
        vfio_irq_set_line(irq, false);
        return G_SOURCE_CONTINUE;
    }
    vfio_irq_set_line(irq, true);
    if (!irq->resample_timer) {
        irq->resample_timer = g_timeout_add(d->x_resample_ms_set ? d->x_resample_ms
                                                                 : VFIO_SYSBUS_DEFAULT_RESAMPLE_MS,
                                            vfio_irq_resample, irq);
    }
    return G_SOURCE_CONTINUE;
}

static int vfio_new_eventfd(VfioSysbusDevice *d, GError **errp)
{
    const HostOps *ops = d->ms->ops;
    int fd = ops->eventfd(ops->opaque, 0, EFD_NONBLOCK);
    if (fd < 0) {
        g_set_error(errp, VFIO_SYSBUS_ERROR, errno, "vfio %s: eventfd: %s", vfio_dev_name(d),
                    g_strerror(errno));
    }
    return fd;
}

static bool vfio_irq_wire(VfioSysbusDevice *d, VfioSysbusIrq *irq, GError **errp)
{
    const MachineIrqOps *iops = d->ms->irq_ops;
    bool want_kernel = d->x_irqfd_set ? d->x_irqfd : true;

    irq->trigger_fd = irq->resample_fd = -1;
    if (!iops) {
        return true; /* no interrupt controller (device tree only) */
    }
    irq->trigger_fd = vfio_new_eventfd(d, errp);
    if (irq->trigger_fd < 0) {
        return false;
    }
    irq->kernel_path = want_kernel && (!irq->level || iops->has_resample(d->ms->irq_opaque));
    if (want_kernel && !irq->kernel_path) {
        g_warning("vfio %s: KVM has no irqfd resample: IRQ %u goes through armpass",
                  vfio_dev_name(d), irq->index);
    }
    if (irq->kernel_path) {
        if (irq->level) {
            irq->resample_fd = vfio_new_eventfd(d, errp);
            if (irq->resample_fd < 0) {
                return false;
            }
        }
        if (!iops->irqfd_assign(d->ms->irq_opaque, irq->trigger_fd, irq->resample_fd, irq->spi,
                                errp)) {
            irq->kernel_path = false; /* nothing assigned: nothing to undo */
            return false;
        }
    }
    if (!vfio_device_set_irq_eventfd(d->vdev, irq->index, VFIO_IRQ_SET_ACTION_TRIGGER,
                                     irq->trigger_fd, errp)) {
        return false;
    }
    if (irq->kernel_path && irq->level &&
        !vfio_device_set_irq_eventfd(d->vdev, irq->index, VFIO_IRQ_SET_ACTION_UNMASK,
                                     irq->resample_fd, errp)) {
        return false;
    }
    if (!irq->kernel_path) {
        GSource *src = g_unix_fd_source_new(irq->trigger_fd, G_IO_IN);
        g_source_set_callback(src, (GSourceFunc)(void (*)(void))vfio_irq_triggered, irq, NULL);
        irq->trigger_watch = g_source_attach(src, d->ms->main_context);
        g_source_unref(src);
    }
    g_debug("vfio %s: IRQ %u (%s) -> SPI %u, %s", vfio_dev_name(d), irq->index,
            irq->level ? "level" : "edge", irq->spi,
            irq->kernel_path ? (irq->level ? "irqfd + resamplefd" : "irqfd") : "userspace");
    return true;
}

static void vfio_irq_unwire(VfioSysbusDevice *d, VfioSysbusIrq *irq)
{
    const HostOps *ops = d->ms->ops;
    g_autoptr(GError) err = NULL;

    if (irq->trigger_watch) {
        GSource *src = g_main_context_find_source_by_id(d->ms->main_context, irq->trigger_watch);
        if (src) {
            g_source_destroy(src);
        }
        irq->trigger_watch = 0;
    }
    if (irq->resample_timer) {
        g_source_remove(irq->resample_timer);
        irq->resample_timer = 0;
    }
    if (irq->trigger_fd >= 0) {
        if (!vfio_device_irq_disable(d->vdev, irq->index, &err)) {
            g_debug("%s", err->message);
            g_clear_error(&err);
        }
        if (irq->kernel_path &&
            !d->ms->irq_ops->irqfd_deassign(d->ms->irq_opaque, irq->trigger_fd, irq->spi, &err)) {
            g_debug("vfio %s: %s", vfio_dev_name(d), err->message);
        }
        ops->close(ops->opaque, irq->trigger_fd);
        irq->trigger_fd = -1;
    }
    if (irq->resample_fd >= 0) {
        ops->close(ops->opaque, irq->resample_fd);
        irq->resample_fd = -1;
    }
    if (irq->line_high) {
        vfio_irq_set_line(irq, false);
    }
}

static bool vfio_sysbus_irqs_init(VfioSysbusDevice *d, GError **errp)
{
    d->nr_irqs = d->vdev->num_irqs;
    d->irqs = g_new0(VfioSysbusIrq, d->nr_irqs);
    for (unsigned i = 0; i < d->nr_irqs; i++) {
        d->irqs[i].trigger_fd = d->irqs[i].resample_fd = -1;
    }
    for (unsigned i = 0; i < d->nr_irqs; i++) {
        VfioSysbusIrq *irq = &d->irqs[i];
        struct vfio_irq_info info;

        irq->owner = d;
        irq->index = i;
        if (!vfio_device_get_irq_info(d->vdev, i, &info, errp)) {
            return false;
        }
        irq->flags = info.flags;
        irq->level = info.flags & VFIO_IRQ_INFO_AUTOMASKED;
        if (!(info.flags & VFIO_IRQ_INFO_EVENTFD) || info.count == 0) {
            g_set_error(errp, VFIO_SYSBUS_ERROR, ENOTSUP, "vfio %s: IRQ %u cannot signal an "
                        "eventfd (flags 0x%x, count %u)", vfio_dev_name(d), i, info.flags,
                        info.count);
            return false;
        }
        if (d->irq_base_set) {
            irq->spi = d->irq_base + i;
            if (!platform_bus_reserve_spi(&d->ms->pbus, irq->spi, d->ms->max_spi, errp)) {
                g_prefix_error(errp, "irq-base=%" PRIu64 ": ", d->irq_base);
                return false;
            }
        } else if (!platform_bus_alloc_spi(&d->ms->pbus, &irq->spi, errp)) {
            return false;
        }
        if (!vfio_irq_wire(d, irq, errp)) {
            return false;
        }
    }
    return true;
}

/* --- regions ----------------------------------------------------------------------------- */

static bool vfio_sysbus_regions_init(VfioSysbusDevice *d, GError **errp)
{
    uint64_t cursor = d->mmio_base;

    if (d->mmio_base_set && (d->mmio_base & 0xfff)) {
        g_set_error(errp, VFIO_SYSBUS_ERROR, EINVAL, "mmio-base=0x%" PRIx64 " is not 4 KiB "
                    "aligned", d->mmio_base);
        return false;
    }
    d->nr_regions = d->vdev->num_regions;
    d->regions = g_new0(VfioRegion, d->nr_regions);
    d->region_addr = g_new0(uint64_t, d->nr_regions);
    for (unsigned i = 0; i < d->nr_regions; i++) {
        VfioRegion *r = &d->regions[i];
        uint64_t addr;

        unsigned nr_rules;
        const VfioAccessRule *rules = vfio_access_quirk(d->host_node, i, &nr_rules);

        /* A quirky device's accesses are all checked: none of its region is mapped. */
        if (!vfio_region_setup(d->vdev, i, !d->x_no_mmap && !rules, r, errp)) {
            return false;
        }
        r->rules = rules;
        r->nr_rules = nr_rules;
        if (d->mmio_base_set) {
            addr = cursor;
            cursor = (addr + r->info.size + 0xfff) & ~0xfffULL;
        } else if (!platform_bus_alloc_mmio(&d->ms->pbus, r->info.size, 0x1000, &addr, errp)) {
            return false;
        }
        if (!memory_region_add_subregion(d->ms->sysmem, addr, &r->mr, 0, errp)) {
            return false;
        }
        d->region_addr[i] = addr;
        g_debug("vfio %s: region %u (0x%" PRIx64 " bytes, %u mmap'd areas) at guest 0x%" PRIx64,
                vfio_dev_name(d), i, r->info.size, r->nr_mmaps, addr);
    }
    return true;
}

/* --- life cycle -------------------------------------------------------------------------- */

static bool vfio_sysbus_check_kind(VfioSysbusDevice *d, GError **errp)
{
    uint32_t want = d->amba ? VFIO_DEVICE_FLAGS_AMBA : VFIO_DEVICE_FLAGS_PLATFORM;
    const char *is = d->vdev->flags & VFIO_DEVICE_FLAGS_AMBA       ? "an AMBA"
                     : d->vdev->flags & VFIO_DEVICE_FLAGS_PLATFORM ? "a platform"
                     : d->vdev->flags & VFIO_DEVICE_FLAGS_PCI      ? "a PCI"
                                                                   : "an unknown kind of";
    const char *use = d->vdev->flags & VFIO_DEVICE_FLAGS_AMBA       ? "vfio-amba"
                      : d->vdev->flags & VFIO_DEVICE_FLAGS_PLATFORM ? "vfio-platform"
                                                                    : NULL;

    if (d->vdev->flags & want) {
        return true;
    }
    if (use) {
        g_set_error(errp, VFIO_SYSBUS_ERROR, EINVAL, "%s is %s device, not %s: use -device "
                    "%s,host=%s", d->vdev->name, is, d->amba ? "AMBA" : "platform", use,
                    d->vdev->name);
    } else {
        g_set_error(errp, VFIO_SYSBUS_ERROR, EINVAL, "%s is %s device, not %s", d->vdev->name,
                    is, d->amba ? "AMBA" : "platform");
    }
    return false;
}

static bool vfio_sysbus_load_node(VfioSysbusDevice *d, const char *sysfs_path, GError **errp)
{
    g_autofree char *of_node = NULL;
    g_autoptr(GError) err = NULL;

    if (d->dt_node) {
        d->host_node = host_node_load_file(d->dt_node, errp);
        return d->host_node != NULL;
    }
    of_node = g_build_filename(sysfs_path, "of_node", NULL);
    d->host_node = host_node_load_sysfs(of_node, &err);
    if (!d->host_node && !d->compatible) {
        g_propagate_prefixed_error(errp, g_steal_pointer(&err), "vfio %s: ", d->vdev->name);
        return false;
    }
    return true;
}

bool vfio_sysbus_realize(DeviceState *dev, MachineState *ms, GError **errp)
{
    VfioSysbusDevice *d = (VfioSysbusDevice *)dev;
    g_autofree char *path = NULL;

    d->ms = ms;
    d->amba = dev->klass == &vfio_amba_device_class;
    if (!d->host == !d->sysfsdev) {
        g_set_error(errp, VFIO_SYSBUS_ERROR, EINVAL, "give the host device with host=NAME "
                    "(e.g. host=9010000.pl031) or sysfsdev=PATH, one of them");
        return false;
    }
    if (!ms->vfio) {
        ms->vfio = vfio_context_new(ms->ops, ms->sysfs_root,
                                    ms->dev_vfio ? ms->dev_vfio : "/dev/vfio", ms->as);
    }
    path = d->sysfsdev ? g_strdup(d->sysfsdev) : vfio_find_sysfs_device(ms->vfio, d->host, errp);
    if (!path) {
        return false;
    }
    d->vdev = vfio_device_attach(ms->vfio, path, d->noiommu, errp);
    if (!d->vdev) {
        return false;
    }
    if (!vfio_sysbus_check_kind(d, errp) || !vfio_device_reset(d->vdev, errp) ||
        !vfio_sysbus_load_node(d, path, errp) || !vfio_sysbus_regions_init(d, errp) ||
        !vfio_sysbus_irqs_init(d, errp)) {
        vfio_sysbus_unrealize(dev, ms);
        return false;
    }
    return true;
}

void vfio_sysbus_unrealize(DeviceState *dev, MachineState *ms)
{
    VfioSysbusDevice *d = (VfioSysbusDevice *)dev;

    for (unsigned i = 0; d->irqs && i < d->nr_irqs; i++) {
        if (d->irqs[i].owner) {
            vfio_irq_unwire(d, &d->irqs[i]);
        }
    }
    g_clear_pointer(&d->irqs, g_free);
    for (unsigned i = 0; d->regions && i < d->nr_regions; i++) {
        VfioRegion *r = &d->regions[i];
        if (r->mr.parent) {
            machine_unmap(ms, &r->mr);
        }
        if (r->dev) {
            vfio_region_finalize(r);
        }
    }
    g_clear_pointer(&d->regions, g_free);
    g_clear_pointer(&d->region_addr, g_free);
    if (d->vdev) {
        vfio_device_detach(d->vdev);
        d->vdev = NULL;
    }
    g_clear_pointer(&d->host_node, g_free);
}

void vfio_sysbus_print_stats(DeviceState *dev, GString *out)
{
    VfioSysbusDevice *d = (VfioSysbusDevice *)dev;

    for (unsigned i = 0; i < d->nr_regions; i++) {
        VfioRegion *r = &d->regions[i];
        g_string_append_printf(out, "  vfio %s region %u: trapped reads %" PRIu64 ", writes %"
                               PRIu64 ", mmap'd areas %u, refused %" PRIu64 "\n",
                               vfio_dev_name(d), i, r->mr.trapped_reads, r->mr.trapped_writes,
                               r->nr_mmaps, r->access_errors);
    }
    for (unsigned i = 0; i < d->nr_irqs; i++) {
        VfioSysbusIrq *irq = &d->irqs[i];
        g_string_append_printf(out, "  vfio %s irq %u -> SPI %u (%s): %s, userspace wakeups %"
                               PRIu64 "\n", vfio_dev_name(d), i, irq->spi,
                               irq->level ? "level" : "edge",
                               irq->kernel_path ? "irqfd" : "userspace", irq->wakeups);
    }
}

/* --- the guest node ---------------------------------------------------------------------- */

bool vfio_sysbus_fdt_node(DeviceState *dev, MachineState *ms, void *fdt, GError **errp)
{
    VfioSysbusDevice *d = (VfioSysbusDevice *)dev;
    g_autofree SysbusFdtReg *regs = g_new0(SysbusFdtReg, d->nr_regions);
    g_autofree SysbusFdtIrq *irqs = g_new0(SysbusFdtIrq, d->nr_irqs);
    g_auto(GStrv) compat = d->compatible ? g_strsplit(d->compatible, ";", -1) : NULL;
    g_autoptr(GPtrArray) dropped = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *dt_base = g_build_filename(ms->sysfs_root, "firmware", "devicetree",
                                                "base", NULL);
    SysbusFdtSpec spec = {
        .host_fdt = d->host_node,
        .name = vfio_dev_name(d),
        .regs = regs,
        .nr_regs = d->nr_regions,
        .irqs = irqs,
        .nr_irqs = d->nr_irqs,
        .compatible = (const char *const *)compat,
        .amba = d->amba,
        .clock_rate = d->clock_rate_set ? (uint32_t)d->clock_rate : 0,
        .dt_base_dir = dt_base,
        .periphid = (uint32_t)d->periphid,
        .has_periphid = d->periphid_set,
        .user_node = d->dt_node != NULL,
        .dropped = dropped,
    };

    for (unsigned i = 0; i < d->nr_regions; i++) {
        regs[i] = (SysbusFdtReg){ d->region_addr[i], d->regions[i].info.size };
    }
    for (unsigned i = 0; i < d->nr_irqs; i++) {
        irqs[i] = (SysbusFdtIrq){ d->irqs[i].spi, !d->irqs[i].level };
    }
    if (!sysbus_fdt_add_node(fdt, ms, &spec, errp)) {
        return false;
    }
    if (dropped->len) {
        g_autoptr(GString) list = g_string_new(NULL);
        for (unsigned i = 0; i < dropped->len; i++) {
            g_string_append_printf(list, "%s%s", i ? ", " : "",
                                   (char *)g_ptr_array_index(dropped, i));
        }
        g_printerr("armpass: %s: left out of the guest node (they name host resources): %s\n",
                   vfio_dev_name(d), list->str);
    }
    return true;
}
