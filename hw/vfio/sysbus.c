// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-platform and vfio-amba's shared model: attach the host device, place its regions on
 * the platform bus, wire its IRQs to SPIs, generate its guest node, tear it all down.
 */
#define G_LOG_DOMAIN "armpass-vfio"
#include "hw/vfio/vfio-sysbus.h"
#include "hw/vfio/vfio-objects.h"

#include "hw/vfio/host-node.h"
#include "hw/vfio/sysbus-fdt.h"
#include "system/notice.h"

#include <errno.h>
#include <inttypes.h>
#include <libfdt.h>
#include <string.h>

#define VFIO_SYSBUS_COMMON_PROPS                                                               \
    { "host", PROP_STRING, offsetof(VfioSysbusDevice, host), 0,                                \
      "host device name under /sys/bus/{platform,amba}/devices (e.g. 9010000.pl031)" },        \
    { "sysfsdev", PROP_STRING, offsetof(VfioSysbusDevice, sysfsdev), 0,                        \
      "host device's sysfs folder, instead of host=" },                                        \
    { "iommufd", PROP_STRING, offsetof(VfioSysbusDevice, iommufd), 0, "the id of an -object iommufd: "  \
      "the device's cdev and an IOAS instead of its group (Linux 6.6+)" },                      \
    { "fd", PROP_STRING, offsetof(VfioSysbusDevice, fd), 0, "with iommufd=: an open "                        \
      "/dev/vfio/devices/vfioN of the device, passed in (host= or sysfsdev= still names it)" }, \
    { "container", PROP_STRING, offsetof(VfioSysbusDevice, container), 0, "legacy path: the id of an "       \
      "-object vfio-container,fd=N its group joins" },                                         \
    { "group-fd", PROP_STRING, offsetof(VfioSysbusDevice, group_fd), 0, "legacy path: an open /dev/vfio/N "  \
      "of the device's group, passed in" },                                                    \
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
    { "x-mmap-timeout-ms", PROP_UINT64, offsetof(VfioSysbusDevice, x_mmap_timeout_ms),         \
      offsetof(VfioSysbusDevice, x_mmap_timeout_ms_set), "with x-irqfd=off: how long after "   \
      "a level IRQ the regions stay unmapped (accesses trapped) when no other IRQ comes "      \
      "(default 1100, 0: the default, at most 3600000)" },                                     \
    { "x-resample-ms", PROP_UINT64, offsetof(VfioSysbusDevice, x_resample_ms),                 \
      offsetof(VfioSysbusDevice, x_resample_ms_set), "obsolete, ignored with a warning: "      \
      "the fallback completes a level IRQ at the guest's first access, not after a period" },  \
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

/* x-mmap-timeout-ms's bound, milliseconds (0 is the default, 1100). */
#define VFIO_SYSBUS_MAX_MMAP_TIMEOUT_MS 3600000u

static const char *vfio_dev_name(VfioSysbusDevice *d)
{
    return d->vdev ? d->vdev->name : d->host ? d->host : d->sysfsdev;
}

/* --- interrupts ------------------------------------------------------------------------ */

/* The userspace path's VfioIrqLineOps: the line's GSI is its SPI. */
static void vfio_sysbus_set_spi(void *opaque, bool level)
{
    VfioIrqLine *line = &((VfioSysbusIrq *)opaque)->line;
    g_autoptr(GError) err = NULL;

    if (!machine_set_spi(line->ms, line->gsi, level, &err)) {
        g_warning("vfio %s: IRQ %u: %s", line->vdev->name, line->index, err->message);
    }
}

/* The userspace path's mmaps_enable: all the device's regions, one commit. Several level
 * IRQs share the device's mmaps: they come back when the last IRQ gives them back. */
static void vfio_sysbus_mmaps_enable(void *opaque, bool on)
{
    VfioSysbusDevice *d = ((VfioSysbusIrq *)opaque)->owner;
    bool changed = false;

    if (on ? --d->mmaps_takers != 0 : d->mmaps_takers++ != 0) {
        return;
    }
    for (unsigned i = 0; i < d->nr_regions; i++) {
        changed |= vfio_region_mmaps_enable(&d->regions[i], on);
    }
    if (changed) {
        vfio_device_commit_map(d->vdev);
    }
}

static const VfioIrqLineOps vfio_sysbus_irq_ops = {
    .set_level = vfio_sysbus_set_spi,
    .mmaps_enable = vfio_sysbus_mmaps_enable,
};

/* A trapped access to any region (vCPU thread, under dispatch_lock): it completes a pending
 * level IRQ of the userspace path. */
static void vfio_sysbus_on_trap(void *opaque)
{
    VfioSysbusDevice *d = opaque;

    for (unsigned i = 0; d->irqs && i < d->nr_irqs; i++) {
        vfio_irq_line_trapped_access(&d->irqs[i].line);
    }
}

static bool vfio_sysbus_irqs_init(VfioSysbusDevice *d, GError **errp)
{
    if (d->x_resample_ms_set) {
        g_warning("vfio %s: x-resample-ms is obsolete and ignored: with x-irqfd=off a level IRQ "
                  "is completed by the guest's first access to the device (see "
                  "x-mmap-timeout-ms)", vfio_dev_name(d));
    }
    if (d->x_mmap_timeout_ms_set && d->x_mmap_timeout_ms > VFIO_SYSBUS_MAX_MMAP_TIMEOUT_MS) {
        g_set_error(errp, VFIO_ERROR, EINVAL, "x-mmap-timeout-ms=%" PRIu64 " is more "
                    "than %u (an hour)", d->x_mmap_timeout_ms, VFIO_SYSBUS_MAX_MMAP_TIMEOUT_MS);
        return false;
    }
    d->nr_irqs = d->vdev->num_irqs;
    d->irqs = g_new0(VfioSysbusIrq, d->nr_irqs);
    /* A GPIO or interrupt controller that a host driver bound since boot: its interrupt is
     * IRQ_NOREQUEST (kernel/irq/chip.c) and SET_IRQS TRIGGER fails with EINVAL. */
    if (d->host_node && !d->irq_hint) {
        const char *what = fdt_getprop(d->host_node, 0, "gpio-controller", NULL)
                               ? "gpio-controller"
                           : fdt_getprop(d->host_node, 0, "interrupt-controller", NULL)
                               ? "interrupt-controller"
                               : NULL;

        if (what) {
            d->irq_hint = vfio_irq_controller_hint(what, d->amba ? "vfio-amba"
                                                                 : "vfio-platform");
        }
    }
    for (unsigned i = 0; i < d->nr_irqs; i++) {
        VfioIrqLine *line = &d->irqs[i].line;
        struct vfio_irq_info info;

        d->irqs[i].owner = d;

        *line = (VfioIrqLine){
            .vdev = d->vdev,
            .index = i,
            .whole_index = true,
            .want_irqfd = d->x_irqfd_set ? d->x_irqfd : true,
            .mmap_timeout_ms = d->x_mmap_timeout_ms_set ? (unsigned)d->x_mmap_timeout_ms : 0,
            .ops = &vfio_sysbus_irq_ops,
            .opaque = &d->irqs[i],
            .trigger_hint = d->irq_hint,
            .trigger_fd = -1,
            .resample_fd = -1,
        };
        g_snprintf(line->name, sizeof(line->name), "IRQ %u", i);
        if (!vfio_device_get_irq_info(d->vdev, i, &info, errp)) {
            return false;
        }
        d->irqs[i].flags = info.flags;
        line->level = info.flags & VFIO_IRQ_INFO_AUTOMASKED;
        if (!(info.flags & VFIO_IRQ_INFO_EVENTFD) || info.count == 0) {
            g_set_error(errp, VFIO_ERROR, ENOTSUP, "vfio %s: IRQ %u cannot signal an "
                        "eventfd (flags 0x%x, count %u)", vfio_dev_name(d), i, info.flags,
                        info.count);
            return false;
        }
        if (d->irq_base_set) {
            line->gsi = d->irq_base + i;
            if (!platform_bus_reserve_spi(&d->ms->pbus, line->gsi, d->ms->max_spi, errp)) {
                g_prefix_error(errp, "irq-base=%" PRIu64 ": ", d->irq_base);
                return false;
            }
        } else if (!platform_bus_alloc_spi(&d->ms->pbus, &line->gsi, errp)) {
            return false;
        }
        if (!vfio_irq_line_wire(line, d->ms, errp)) {
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
        g_set_error(errp, VFIO_ERROR, EINVAL, "mmio-base=0x%" PRIx64 " is not 4 KiB "
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
        r->on_trap = vfio_sysbus_on_trap;
        r->on_trap_opaque = d;
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
        g_set_error(errp, VFIO_ERROR, EINVAL, "%s is %s device, not %s: use -device "
                    "%s,host=%s", d->vdev->name, is, d->amba ? "AMBA" : "platform", use,
                    d->vdev->name);
    } else {
        g_set_error(errp, VFIO_ERROR, EINVAL, "%s is %s device, not %s", d->vdev->name,
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

/*
 * A device that does DMA with no IOMMU puts host-physical addresses on the bus: the guest's
 * driver hands it guest-physical ones, which are right only in a direct-mapped guest. Said
 * once, as a warning (a device that never starts DMA, or a user who knows, can go on).
 */
static void vfio_sysbus_check_dma(VfioSysbusDevice *d, MachineState *ms)
{
    const char *why = host_node_dma_reason(d->host_node);

    if (!d->vdev->noiommu || !why || (ms->cfg && ms->cfg->direct_map)) {
        return;
    }
    g_warning("vfio %s does DMA (its host node: %s) and has no IOMMU: its DMA addresses are "
              "host-physical, and this guest's RAM is not at its host-physical addresses, so "
              "its driver will point it at the wrong memory; give guest RAM from a hugetlb "
              "backend and -M virt,direct-map=on (docs/passthrough.md)", d->vdev->name, why);
}

bool vfio_sysbus_realize(DeviceState *dev, MachineState *ms, GError **errp)
{
    VfioSysbusDevice *d = (VfioSysbusDevice *)dev;
    VfioAttachOptions opts;
    g_autofree char *path = NULL;

    d->ms = ms;
    d->amba = dev->klass == &vfio_amba_device_class;
    if (!d->host == !d->sysfsdev) {
        g_set_error(errp, VFIO_ERROR, EINVAL, "give the host device with host=NAME "
                    "(e.g. host=9010000.pl031) or sysfsdev=PATH, one of them");
        return false;
    }
    if (!vfio_attach_options_parse(d->iommufd, d->fd, d->container, d->group_fd, d->noiommu,
                                   &opts, errp) ||
        !vfio_machine_context(ms, errp)) {
        return false;
    }
    path = d->sysfsdev ? g_strdup(d->sysfsdev) : vfio_find_sysfs_device(ms->vfio, d->host, errp);
    if (!path) {
        return false;
    }
    d->vdev = vfio_device_attach_opts(ms->vfio, path, &opts, errp);
    if (!d->vdev) {
        return false;
    }
    if (!vfio_sysbus_check_kind(d, errp) || !vfio_device_reset(d->vdev, errp) ||
        !vfio_sysbus_load_node(d, path, errp) || !vfio_sysbus_regions_init(d, errp) ||
        !vfio_sysbus_irqs_init(d, errp)) {
        vfio_sysbus_unrealize(dev, ms);
        return false;
    }
    vfio_sysbus_check_dma(d, ms);
    return true;
}

void vfio_sysbus_unrealize(DeviceState *dev, MachineState *ms)
{
    VfioSysbusDevice *d = (VfioSysbusDevice *)dev;

    for (unsigned i = 0; d->irqs && i < d->nr_irqs; i++) {
        vfio_irq_line_unwire(&d->irqs[i].line);
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
    g_clear_pointer(&d->irq_hint, g_free);
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
        g_autofree char *what = g_strdup_printf("irq %u -> SPI %u", i, d->irqs[i].line.gsi);
        vfio_irq_line_print_stats(&d->irqs[i].line, what, out);
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
        irqs[i] = (SysbusFdtIrq){ d->irqs[i].line.gsi, !d->irqs[i].line.level };
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
        armpass_notice("%s: left out of the guest node (they name host resources): %s",
                       vfio_dev_name(d), list->str);
    }
    return true;
}
