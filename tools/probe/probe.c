// SPDX-License-Identifier: GPL-2.0-only
/* The host readiness probe: reads sysfs and says which devices can be passed through, and how to fix the others. */
#define G_LOG_DOMAIN "armpass-probe"
#include "tools/probe.h"

#include "hw/vfio/host-node.h"
#include "hw/vfio/vfio-common.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- Small readers ---------------------------------------------------------------------- */

/* The last path component of the symlink dir/name's target, or NULL. */
static char *link_base(const char *dir, const char *name)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);
    g_autofree char *target = g_file_read_link(path, NULL);

    return target ? g_path_get_basename(target) : NULL;
}

/* A small text file's content without surrounding white space; NULL if absent or empty. */
static char *read_text(const char *path)
{
    g_autofree char *text = NULL;

    if (!g_file_get_contents(path, &text, NULL, NULL)) {
        return NULL;
    }
    g_strstrip(text);
    return *text ? g_steal_pointer(&text) : NULL;
}

static char *read_text_at(const char *dir, const char *name)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);

    return read_text(path);
}

static bool exists_at(const char *dir, const char *name)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);

    return g_file_test(path, G_FILE_TEST_EXISTS);
}

/* "Y"/"1" in a module parameter file: true; "N"/"0": false; absent: dflt. */
static bool read_param_bool(const char *root, const char *module, const char *param, bool dflt,
                            bool *present)
{
    g_autofree char *path = g_build_filename(root, "module", module, "parameters", param, NULL);
    g_autofree char *v = read_text(path);

    if (present) {
        *present = v != NULL;
    }
    if (!v) {
        return dflt;
    }
    return v[0] == 'Y' || v[0] == 'y' || v[0] == '1';
}

/* ---- Report bookkeeping ----------------------------------------------------------------- */

static void probe_issue_free(gpointer p)
{
    ProbeIssue *i = p;

    g_free(i->id);
    g_free(i->summary);
    g_free(i->detail);
    g_ptr_array_unref(i->fix);
    g_free(i);
}

static void probe_member_free(gpointer p)
{
    ProbeMember *m = p;

    g_free(m->name);
    g_free(m->driver);
    g_free(m);
}

static void probe_device_free(gpointer p)
{
    ProbeDevice *d = p;

    g_free(d->name);
    g_free(d->driver);
    g_free(d->compatible);
    g_free(d->pci_id);
    g_ptr_array_unref(d->members);
    g_free(d->skip_reason);
    g_free(d->irq_controller);
    g_free(d->device_arg);
    g_ptr_array_unref(d->issues);
    g_free(d->guest_node);
    g_ptr_array_unref(d->dropped);
    g_free(d->guest_node_error);
    g_free(d);
}

void probe_report_free(ProbeReport *r)
{
    if (!r) {
        return;
    }
    g_free(r->sysfs_root);
    g_ptr_array_unref(r->devices);
    g_free(r->proc_root);
    g_free(r);
}

static ProbeIssue *add_issue(ProbeDevice *d, const char *id, ProbeSeverity sev, char *summary,
                             char *detail)
{
    ProbeIssue *i = g_new0(ProbeIssue, 1);

    i->id = g_strdup(id);
    i->severity = sev;
    i->summary = summary;
    i->detail = detail;
    i->fix = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(d->issues, i);
    return i;
}

static void add_fix(ProbeIssue *i, char *cmd)
{
    g_ptr_array_add(i->fix, cmd);
}

bool probe_device_ready(const ProbeDevice *d)
{
    if (!d->candidate) {
        return false;
    }
    for (guint i = 0; i < d->issues->len; i++) {
        const ProbeIssue *is = g_ptr_array_index(d->issues, i);

        if (is->severity == PROBE_BLOCKER) {
            return false;
        }
    }
    return true;
}

const char *probe_device_status(const ProbeDevice *d)
{
    if (!d->candidate) {
        return "skipped";
    }
    if (!probe_device_ready(d)) {
        return "not-ready";
    }
    return d->noiommu ? "ready-noiommu" : "ready";
}

const char *probe_bus_name(ProbeBus bus)
{
    return bus == PROBE_BUS_AMBA ? "amba" : bus == PROBE_BUS_PCI ? "pci" : "platform";
}

const char *probe_severity_name(ProbeSeverity s)
{
    return s == PROBE_BLOCKER ? "blocker" : s == PROBE_WARNING ? "warning" : "note";
}

static const char *bus_vfio_driver(ProbeBus bus)
{
    return bus == PROBE_BUS_AMBA ? "vfio-amba" : bus == PROBE_BUS_PCI ? "vfio-pci"
                                                                      : "vfio-platform";
}

/* Drivers that leave a group viable: vfio's own and those that declare driver_managed_dma
 * (pci-stub, pcieport in 6.1: drivers/pci/pci-stub.c, drivers/pci/pcie/portdrv_pci.c);
 * vfio_main.c's VFIO_GROUP_GET_STATUS sets VIABLE when no driver claimed DMA ownership. */
static bool driver_keeps_viable(const char *driver)
{
    return !driver || g_str_has_prefix(driver, "vfio") || !strcmp(driver, "pci-stub") ||
           !strcmp(driver, "pcieport");
}

/* ---- Fix commands ------------------------------------------------------------------------- */

/* The commands that hand device name (on bus) from driver (NULL: none) to its vfio driver. */
static void add_bind_fix(ProbeIssue *is, const ProbeReport *r, const char *bus, const char *name,
                         const char *driver)
{
    g_autofree char *busdir = g_build_filename(r->sysfs_root, "bus", bus, NULL);
    const char *vfio = !strcmp(bus, "amba") ? "vfio-amba" : !strcmp(bus, "pci") ? "vfio-pci"
                                                                                 : "vfio-platform";
    g_autofree char *drvdir = g_build_filename(busdir, "drivers", vfio, NULL);

    if (!g_file_test(drvdir, G_FILE_TEST_IS_DIR)) {
        add_fix(is, g_strdup_printf("modprobe %s", vfio));
    }
    if (driver) {
        add_fix(is, g_strdup_printf("echo %s > %s/drivers/%s/unbind", name, busdir, driver));
    }
    add_fix(is, g_strdup_printf("echo %s > %s/devices/%s/driver_override", vfio, busdir, name));
    add_fix(is, g_strdup_printf("echo %s > %s/drivers_probe", name, busdir));
}

/* The module a driver comes from (bus/BUS/drivers/DRIVER/module), or NULL: built in. */
static char *driver_module(const ProbeReport *r, const char *bus, const char *driver)
{
    g_autofree char *dir = g_build_filename(r->sysfs_root, "bus", bus, "drivers", driver, NULL);

    return link_base(dir, "module");
}

/* ---- One device ------------------------------------------------------------------------- */

/* Why a platform/AMBA device is no candidate, or NULL. */
static char *sysbus_skip_reason(const char *of_node)
{
    if (!g_file_test(of_node, G_FILE_TEST_IS_DIR)) {
        return g_strdup("no device-tree node (a software device, or described by ACPI)");
    }
    if (exists_at(of_node, "#iommu-cells")) {
        return g_strdup("an IOMMU");
    }
    if (exists_at(of_node, "msi-controller")) {
        return g_strdup("an MSI controller");
    }
    {
        g_autofree char *dt = read_text_at(of_node, "device_type");

        if (dt && !strcmp(dt, "pci")) {
            return g_strdup("a PCI host bridge (its devices are listed on the pci bus)");
        }
    }
    if (exists_at(of_node, "interrupt-controller") && !exists_at(of_node, "interrupts") &&
        !exists_at(of_node, "interrupts-extended")) {
        return g_strdup("the host's root interrupt controller");
    }
    if (!exists_at(of_node, "reg")) {
        return g_strdup("no registers (no reg in its node): nothing to map");
    }
    return NULL;
}

static char *pci_skip_reason(const char *dev)
{
    g_autofree char *cls = read_text_at(dev, "class");
    guint64 c;

    if (!cls || !g_ascii_string_to_unsigned(cls + (g_str_has_prefix(cls, "0x") ? 2 : 0), 16, 0,
                                            0xffffff, &c, NULL)) {
        return NULL;
    }
    if ((c >> 8) == 0x0604 || (c >> 8) == 0x0609) {
        return g_strdup("a PCI bridge (pass the devices behind it)");
    }
    if ((c >> 8) == 0x0600) {
        return g_strdup("a PCI host bridge");
    }
    return NULL;
}

/* The group's other members and their drivers. */
/* g_ptr_array_sort's order of names (it passes pointers to the elements). */
static gint compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void scan_group(ProbeDevice *d, const ProbeReport *r)
{
    g_autofree char *leaf = g_strdup_printf("%d", d->group);
    g_autofree char *gdir = g_build_filename(r->sysfs_root, "kernel", "iommu_groups", leaf, NULL);
    g_autofree char *ddir = g_build_filename(gdir, "devices", NULL);
    g_autofree char *gname = read_text_at(gdir, "name");
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    GDir *dir;
    const char *e;

    d->noiommu = gname && strstr(gname, "vfio-noiommu");
    dir = g_dir_open(ddir, 0, NULL);
    while (dir && (e = g_dir_read_name(dir))) {
        if (strcmp(e, d->name)) {
            g_ptr_array_add(names, g_strdup(e));
        }
    }
    if (dir) {
        g_dir_close(dir);
    }
    g_ptr_array_sort(names, compare_names);
    for (guint i = 0; i < names->len; i++) {
        ProbeMember *m = g_new0(ProbeMember, 1);
        g_autofree char *mdir = g_build_filename(ddir, g_ptr_array_index(names, i), NULL);

        m->name = g_strdup(g_ptr_array_index(names, i));
        m->driver = link_base(mdir, "driver");
        g_ptr_array_add(d->members, m);
    }
}

/*
 * A no-IOMMU platform or AMBA device whose node says it does DMA (host_node_dma_reason: dma-
 * coherent, #dma-cells, dmas, dma-ranges, virtio,mmio): its driver in a guest would point it at
 * guest-physical addresses, which it takes as host-physical. It needs an IOMMU, or a guest
 * whose RAM sits at its host-physical addresses (-M virt,direct-map=on): the command that
 * works is printed, with a 1 GiB hugetlb page if the host has one free, else 2 MiB pages.
 */
static void check_dma(ProbeDevice *d, const ProbeReport *r, const char *of_node, ProbeBus bus)
{
    g_autofree void *blob = NULL;
    const HostHugePool *gig = hostmem_host_pool(&r->mem, 1024ULL << 20);
    const char *why;
    ProbeIssue *is;

    if (!d->noiommu || !(blob = host_node_load_sysfs(of_node, NULL)) ||
        !(why = host_node_dma_reason(blob))) {
        return;
    }
    is = add_issue(d, "dma-no-iommu", PROBE_WARNING,
                   g_strdup_printf("does DMA (its node: %s) with no IOMMU: needs an IOMMU, or "
                                   "a guest with -M virt,direct-map=on", why),
                   g_strdup("its DMA addresses are host-physical; a guest's driver hands it "
                            "guest-physical ones, which are right only when guest RAM sits at "
                            "its host-physical addresses: direct-map=on does that with hugetlb "
                            "guest RAM (docs/passthrough.md). The device still reaches all host "
                            "memory"));
    if (!gig || gig->free <= gig->resv) {
        add_fix(is, g_strdup("reserve a 1 GiB page at boot: hugepagesz=1G hugepages=1 (or "
                             "2 MiB pages: hugepagesz=2M hugepages=N, hugetlbsize=2M)"));
    }
    add_fix(is, g_strdup_printf("armpass -M virt,memory-backend=mem0,direct-map=on -m 1G "
                                "-object memory-backend-memfd,id=mem0,size=1G,hugetlb=on,"
                                "hugetlbsize=1G -device %s,host=%s,noiommu=on ...",
                                bus_vfio_driver(bus), d->name));
}

/* The IOMMU side: no group, a no-IOMMU group, a group that is not viable. */
static void check_iommu(ProbeDevice *d, const ProbeReport *r)
{
    g_autofree char *vfio_params = g_build_filename(r->sysfs_root, "module", "vfio",
                                                    "parameters", NULL);
    bool has_noiommu_param = exists_at(vfio_params, "enable_unsafe_noiommu_mode");
    if (d->group < 0) {
        if (r->noiommu_mode) {
            add_issue(d, "noiommu", PROBE_WARNING,
                      g_strdup("no IOMMU: binding it to vfio makes a no-IOMMU group"),
                      g_strdup("vfio's enable_unsafe_noiommu_mode is on: pass it with "
                               "noiommu=on; the device can then reach all host memory by DMA "
                               "(only for devices that do no DMA, like an RTC or a GPIO, or "
                               "that you trust)"));
            d->noiommu = true;
            return;
        }
        ProbeIssue *is = add_issue(
            d, "no-iommu-group", PROBE_BLOCKER, g_strdup("no IOMMU group: no IOMMU translates "
                                                         "its DMA"),
            g_strdup("without an IOMMU, vfio takes the device only in its explicit no-IOMMU "
                     "mode (enable_unsafe_noiommu_mode): nothing then stands between the device "
                     "and host memory, the kernel is tainted, and armpass wants noiommu=on; "
                     "fine for devices that do no DMA (an RTC, a GPIO), unsafe for any other"));
        if (!r->vfio_loaded) {
            add_fix(is, g_strdup("modprobe vfio enable_unsafe_noiommu_mode=1"));
        } else if (has_noiommu_param) {
            add_fix(is, g_strdup_printf("echo 1 > %s/enable_unsafe_noiommu_mode", vfio_params));
        } else {
            g_free(is->detail);
            is->detail = g_strdup("and this kernel's vfio has no no-IOMMU mode (no "
                                  "enable_unsafe_noiommu_mode parameter): it needs "
                                  "CONFIG_VFIO_NOIOMMU=y, or an IOMMU in front of the device");
        }
        d->noiommu = true; /* what binding would make */
        return;
    }
    if (d->noiommu) {
        add_issue(d, "noiommu", PROBE_WARNING,
                  g_strdup_printf("no-IOMMU group %d: pass it with noiommu=on", d->group),
                  g_strdup("nothing stands between the device and host memory: it can reach "
                           "all of it by DMA (only for devices that do no DMA, like an RTC or "
                           "a GPIO, or that you trust)"));
    }
    {
        g_autoptr(GString) who = g_string_new(NULL);
        ProbeIssue *is = NULL;

        for (guint i = 0; i < d->members->len; i++) {
            const ProbeMember *m = g_ptr_array_index(d->members, i);

            if (!driver_keeps_viable(m->driver)) {
                g_string_append_printf(who, "%s%s (%s)", who->len ? ", " : "", m->name,
                                       m->driver);
            }
        }
        if (who->len) {
            is = add_issue(d, "group-not-viable", PROBE_BLOCKER,
                           g_strdup_printf("IOMMU group %d is not viable: %s still bound to a "
                                           "host driver", d->group, who->str),
                           g_strdup("every device of a group must be bound to vfio (or to no "
                                    "driver) before any of them can be passed: hand the others "
                                    "to vfio too (or just unbind them)"));
            for (guint i = 0; i < d->members->len; i++) {
                const ProbeMember *m = g_ptr_array_index(d->members, i);
                g_autofree char *bus = NULL;

                if (driver_keeps_viable(m->driver)) {
                    continue;
                }
                /* the member's bus: its subsystem link */
                {
                    g_autofree char *gd = g_strdup_printf("%s/kernel/iommu_groups/%d/devices/%s",
                                                          r->sysfs_root, d->group, m->name);
                    bus = link_base(gd, "subsystem");
                }
                add_bind_fix(is, r, bus ? bus : probe_bus_name(d->bus), m->name, m->driver);
            }
        }
    }
}

/* A GPIO or interrupt controller's parent interrupt (kernel/irq/chip.c). */
static void check_irq_controller(ProbeDevice *d, const ProbeReport *r, const char *of_node)
{
    const char *bus = probe_bus_name(d->bus);
    const char *what = exists_at(of_node, "gpio-controller")        ? "gpio-controller"
                       : exists_at(of_node, "interrupt-controller") ? "interrupt-controller"
                                                                    : NULL;
    ProbeIssue *is;

    if (!what || (!exists_at(of_node, "interrupts") && !exists_at(of_node, "interrupts-extended"))) {
        return;
    }
    d->irq_controller = g_strdup(what);
    if (d->driver && !g_str_has_prefix(d->driver, "vfio")) {
        g_autofree char *module = driver_module(r, bus, d->driver);

        is = add_issue(d, "irq-controller", PROBE_BLOCKER,
                       g_strdup_printf("%s bound to %s: its interrupt cannot be passed until "
                                       "reboot", what, d->driver),
                       g_strdup_printf("a GPIO or interrupt controller driver installs a "
                                       "chained handler on its parent interrupt, which marks it "
                                       "IRQ_NOREQUEST; unbinding %s does not clear that, so "
                                       "VFIO_DEVICE_SET_IRQS fails with EINVAL until the host "
                                       "boots without %s binding it (kernel/irq/chip.c)",
                                       d->driver, d->driver));
        if (module) {
            add_fix(is, g_strdup_printf("echo 'blacklist %s' > /etc/modprobe.d/armpass-%s.conf"
                                        "   # or boot with modprobe.blacklist=%s; the initramfs "
                                        "may need rebuilding", module, module, module));
        } else {
            add_fix(is, g_strdup_printf("# built in: add initcall_blacklist=%s_driver_init to "
                                        "the kernel command line (the initcall is usually the "
                                        "driver struct's name + _init: grep -w '%s.*_init' "
                                        "/proc/kallsyms)", d->driver, d->driver));
        }
        add_fix(is, g_strdup("reboot"));
        return;
    }
    add_issue(d, "irq-controller", PROBE_WARNING,
              g_strdup_printf("%s: passing its interrupt may fail until reboot", what),
              g_strdup_printf("sysfs does not tell whether a host driver bound it since boot. "
                              "If one did (it was handed to %s without a reboot), that driver "
                              "left its parent interrupt IRQ_NOREQUEST and VFIO_DEVICE_SET_IRQS "
                              "fails with EINVAL; then boot with the driver kept off "
                              "(initcall_blacklist=DRIVER_driver_init, or "
                              "modprobe.blacklist=MODULE) and bind it to %s at once",
                              d->driver ? d->driver : "no driver", bus_vfio_driver(d->bus)));
}

/* Reset modules of vfio-platform, by compatible (drivers/vfio/platform/reset, 6.1). */
static const struct {
    const char *compatible;
    const char *module;
} vfio_platform_resets[] = {
    { "calxeda,hb-xgmac", "vfio-platform-calxedaxgmac" },
    { "amd,xgbe-seattle-v1a", "vfio-platform-amdxgbe" },
    { "brcm,iproc-flexrm-mbox", "vfio_platform_bcmflexrm" },
};

/* vfio-platform refuses a device without a reset module unless reset_required=0. */
static void check_reset(ProbeDevice *d, const ProbeReport *r)
{
    g_autofree char *moddir = g_build_filename(r->sysfs_root, "module", "vfio_platform", NULL);
    bool present;
    bool required;
    bool builtin;
    ProbeIssue *is;

    if (d->bus != PROBE_BUS_PLATFORM || (d->driver && !strcmp(d->driver, "vfio-platform"))) {
        return; /* vfio-amba needs no reset; a bound device got past the check */
    }
    for (size_t i = 0; d->compatible && i < G_N_ELEMENTS(vfio_platform_resets); i++) {
        if (!strcmp(d->compatible, vfio_platform_resets[i].compatible)) {
            g_autofree char *sysname = g_strdelimit(g_strdup(vfio_platform_resets[i].module),
                                                    "-", '_');
            g_autofree char *loaded = g_build_filename(r->sysfs_root, "module", sysname, NULL);

            if (!g_file_test(loaded, G_FILE_TEST_IS_DIR)) {
                is = add_issue(d, "reset-module", PROBE_NOTE,
                               g_strdup_printf("reset module %s not loaded yet",
                                               vfio_platform_resets[i].module),
                               g_strdup_printf("vfio-platform loads it itself (module alias "
                                               "vfio-reset:%s) if it is installed",
                                               d->compatible));
                add_fix(is, g_strdup_printf("modprobe %s", vfio_platform_resets[i].module));
            }
            return;
        }
    }
    required = read_param_bool(r->sysfs_root, "vfio_platform", "reset_required", true, &present);
    if (!required) {
        return;
    }
    /* A loadable module has an initstate file; a built-in one does not. */
    builtin = g_file_test(moddir, G_FILE_TEST_IS_DIR) && !exists_at(moddir, "initstate");
    is = add_issue(d, "reset", PROBE_BLOCKER,
                   g_strdup_printf("vfio-platform has no reset module for %s and "
                                   "reset_required is %s", d->compatible ? d->compatible : "it",
                                   present ? "on" : "on by default"),
                   g_strdup("vfio-platform refuses a device it cannot reset unless "
                            "reset_required=0 (the device then keeps whatever state the last "
                            "user left). Linux 6.1 to 6.2 also fail every such probe even with "
                            "reset_required=0 unless patched with upstream 168a9c91fe0a (v6.3)"));
    if (builtin) {
        add_fix(is, g_strdup("# built in: add vfio_platform.reset_required=0 to the kernel "
                             "command line, then reboot"));
    } else {
        if (g_file_test(moddir, G_FILE_TEST_IS_DIR)) {
            add_fix(is, g_strdup("modprobe -r vfio-platform"));
        }
        add_fix(is, g_strdup("modprobe vfio-platform reset_required=0   # to keep it: "
                             "echo 'options vfio_platform reset_required=0' > "
                             "/etc/modprobe.d/vfio-platform.conf"));
    }
}

/* Whether the device has a VFIO device cdev: a vfio-dev/vfioN with a "dev" (major:minor)
 * file. 6.1 lists vfio-dev/ with no cdev behind it; 6.6+ with CONFIG_VFIO_DEVICE_CDEV give
 * each device one, but a no-IOMMU device none (6.12: drivers/vfio/vfio.h, vfio_device_add). */
static bool has_vfio_cdev(const char *dev)
{
    g_autofree char *vdir = g_build_filename(dev, "vfio-dev", NULL);
    GDir *d = g_dir_open(vdir, 0, NULL);
    const char *e;
    bool found = false;

    while (d && !found && (e = g_dir_read_name(d))) {
        g_autofree char *devfile = g_build_filename(vdir, e, "dev", NULL);

        found = g_file_test(devfile, G_FILE_TEST_EXISTS);
    }
    if (d) {
        g_dir_close(d);
    }
    return found;
}

/* The iommufd/cdev backend: a note only, armpass uses the group path. */
static void check_cdev(ProbeDevice *d, const ProbeReport *r, const char *dev)
{
    bool vfio_bound = d->driver && g_str_has_prefix(d->driver, "vfio");
    bool cdev = has_vfio_cdev(dev);

    if (!vfio_bound) {
        return;
    }
    if (d->noiommu && !cdev) {
        add_issue(d, "no-cdev", PROBE_NOTE,
                  g_strdup("no VFIO cdev for a no-IOMMU device: group path only"),
                  g_strdup("a no-IOMMU device never gets a /dev/vfio/devices/ node (6.12: "
                           "drivers/vfio/vfio.h), and kernels before 6.6 give none to any "
                           "device; armpass uses the group (/dev/vfio/noiommu-N), which works"));
    } else if (!d->noiommu && (!cdev || !r->iommufd)) {
        add_issue(d, "no-cdev", PROBE_NOTE,
                  g_strdup_printf("no iommufd/cdev backend (%s)",
                                  !r->iommufd ? "no /dev/iommu" : "no VFIO device cdev"),
                  g_strdup("the kernel lacks CONFIG_IOMMUFD or CONFIG_VFIO_DEVICE_CDEV (Linux "
                           "6.6 and later have them); armpass uses the VFIO group path "
                           "(/dev/vfio/N), which works without them"));
    }
}

static ProbeDevice *scan_device(const ProbeReport *r, const ProbeBoard *board, ProbeBus bus,
                                const char *name)
{
    ProbeDevice *d = g_new0(ProbeDevice, 1);
    g_autofree char *dev = g_build_filename(r->sysfs_root, "bus", probe_bus_name(bus), "devices",
                                            name, NULL);
    g_autofree char *of_node = g_build_filename(dev, "of_node", NULL);
    g_autofree char *group = NULL;
    guint64 n;

    d->name = g_strdup(name);
    d->bus = bus;
    d->group = -1;
    d->members = g_ptr_array_new_with_free_func(probe_member_free);
    d->issues = g_ptr_array_new_with_free_func(probe_issue_free);
    d->dropped = g_ptr_array_new_with_free_func(g_free);
    d->driver = link_base(dev, "driver");
    if (g_file_test(of_node, G_FILE_TEST_IS_DIR)) {
        g_autofree guint8 *val = NULL;
        size_t len;

        if (host_dt_read_prop(of_node, "compatible", 4096, &val, &len, NULL) && len > 0) {
            d->compatible = g_strndup((const char *)val, len);
        }
    }
    if (bus == PROBE_BUS_PCI) {
        g_autofree char *vendor = read_text_at(dev, "vendor");
        g_autofree char *device = read_text_at(dev, "device");
        g_autofree char *cls = read_text_at(dev, "class");

        d->pci_id = g_strdup_printf("%s:%s class %s", vendor ? vendor + 2 * g_str_has_prefix(vendor, "0x") : "?",
                                    device ? device + 2 * g_str_has_prefix(device, "0x") : "?",
                                    cls ? cls : "?");
        d->skip_reason = pci_skip_reason(dev);
    } else {
        d->skip_reason = sysbus_skip_reason(of_node);
    }
    d->candidate = d->skip_reason == NULL;
    group = link_base(dev, "iommu_group");
    if (group && g_ascii_string_to_unsigned(group, 10, 0, G_MAXINT, &n, NULL)) {
        d->group = (int)n;
        scan_group(d, r);
    }
    if (!d->candidate) {
        return d;
    }

    check_iommu(d, r);
    check_reset(d, r);
    if (bus != PROBE_BUS_PCI) {
        check_irq_controller(d, r, of_node);
        check_dma(d, r, of_node, bus);
    }
    if (!d->driver || !g_str_has_prefix(d->driver, "vfio")) {
        ProbeIssue *is = add_issue(
            d, "bind", PROBE_BLOCKER,
            d->driver ? g_strdup_printf("bound to its host driver %s, not %s", d->driver,
                                        bus_vfio_driver(bus))
                      : g_strdup_printf("bound to no driver: bind it to %s", bus_vfio_driver(bus)),
            NULL);
        add_bind_fix(is, r, probe_bus_name(bus), name, d->driver);
    }
    check_cdev(d, r, dev);
    d->device_arg = g_strdup_printf("%s,host=%s%s", bus_vfio_driver(bus), name,
                                    d->noiommu ? ",noiommu=on" : "");
    if (bus != PROBE_BUS_PCI) {
        probe_plan_guest_node(d, r->sysfs_root, board);
    }
    return d;
}

ProbeReport *probe_scan(const char *sysfs_root, const ProbeBoard *board, GError **errp)
{
    static const ProbeBus buses[] = { PROBE_BUS_PLATFORM, PROBE_BUS_AMBA, PROBE_BUS_PCI };
    g_autofree char *busdir = g_build_filename(sysfs_root, "bus", NULL);
    ProbeReport *r;

    if (!g_file_test(busdir, G_FILE_TEST_IS_DIR)) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_NOENT, "%s: no such folder: is %s a sysfs "
                    "(mount -t sysfs sysfs /sys)?", busdir, sysfs_root);
        return NULL;
    }
    r = g_new0(ProbeReport, 1);
    r->sysfs_root = g_strdup(sysfs_root);
    r->devices = g_ptr_array_new_with_free_func(probe_device_free);
    {
        g_autofree char *misc = g_build_filename(sysfs_root, "class", "misc", "iommu", NULL);
        g_autofree char *vfio = g_build_filename(sysfs_root, "module", "vfio", NULL);

        r->iommufd = g_file_test(misc, G_FILE_TEST_EXISTS);
        r->vfio_loaded = g_file_test(vfio, G_FILE_TEST_IS_DIR);
        r->noiommu_mode = read_param_bool(sysfs_root, "vfio", "enable_unsafe_noiommu_mode",
                                          false, NULL);
    }
    r->proc_root = probe_proc_root(sysfs_root);
    hostmem_host_read(sysfs_root, r->proc_root, &r->mem);
    for (size_t b = 0; b < G_N_ELEMENTS(buses); b++) {
        g_autofree char *dir = g_build_filename(busdir, probe_bus_name(buses[b]), "devices", NULL);
        g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
        GDir *d = g_dir_open(dir, 0, NULL);
        const char *e;

        while (d && (e = g_dir_read_name(d))) {
            g_ptr_array_add(names, g_strdup(e));
        }
        if (d) {
            g_dir_close(d);
        }
        g_ptr_array_sort(names, compare_names);
        for (guint i = 0; i < names->len; i++) {
            g_ptr_array_add(r->devices, scan_device(r, board, buses[b],
                                                    g_ptr_array_index(names, i)));
        }
    }
    return r;
}

/* ---- The host's memory for guest RAM ----------------------------------------------------- */

#define MiB (1024 * 1024ULL)

char *probe_proc_root(const char *sysfs_root)
{
    g_autofree char *root = g_strdup(sysfs_root);
    g_autofree char *base = NULL, *parent = NULL;
    size_t len = strlen(root);

    while (len > 1 && root[len - 1] == '/') {
        root[--len] = '\0';
    }
    base = g_path_get_basename(root);
    if (strcmp(base, "sys") != 0) {
        return g_strdup("/proc");
    }
    parent = g_path_get_dirname(root);
    return g_build_filename(parent, "proc", NULL);
}

/* bytes rounded down to a multiple of step (a power of two), capped at ARMPASS_MAX_RAM; 0 below
 * ARMPASS_MIN_RAM. */
static uint64_t guest_ram_fit(uint64_t bytes, uint64_t step)
{
    bytes = MIN(bytes, ARMPASS_MAX_RAM) & ~(step - 1);
    return bytes < ARMPASS_MIN_RAM ? 0 : bytes;
}

uint64_t probe_pool_max_guest_ram(const HostHugePool *p)
{
    uint64_t avail = p->free > p->resv ? p->free - p->resv : 0;

    if (!p->page_size || (p->page_size & (p->page_size - 1))) {
        return 0;
    }
    if (avail > UINT64_MAX / p->page_size) {
        avail = UINT64_MAX / p->page_size;
    }
    return guest_ram_fit(avail * p->page_size, MAX(p->page_size, 2 * MiB));
}

/* "44M", "1G", "64K": bytes as -object's sizes take them (the largest unit that divides). */
static char *size_arg(uint64_t bytes)
{
    if (bytes && bytes % (1024 * MiB) == 0) {
        return g_strdup_printf("%" PRIu64 "G", (uint64_t)(bytes / (1024 * MiB)));
    }
    if (bytes && bytes % MiB == 0) {
        return g_strdup_printf("%" PRIu64 "M", (uint64_t)(bytes / MiB));
    }
    if (bytes % 1024 == 0) {
        return g_strdup_printf("%" PRIu64 "K", bytes / 1024);
    }
    return g_strdup_printf("%" PRIu64, bytes);
}

char *probe_pool_option(const HostHugePool *p, uint64_t size)
{
    g_autofree char *sz = size_arg(size), *ps = size_arg(p->page_size);

    return g_strdup_printf("-object memory-backend-memfd,id=mem0,size=%s,hugetlb=on,"
                           "hugetlbsize=%s -M virt,memory-backend=mem0", sz, ps);
}

uint64_t probe_memlock_max_guest_ram(const HostMemHost *h)
{
    if (h->cap_ipc_lock || h->memlock_limit == UINT64_MAX) {
        return UINT64_MAX;
    }
    return guest_ram_fit(h->memlock_limit, 2 * MiB);
}

bool probe_memlock_is_small(const HostMemHost *h)
{
    return !h->cap_ipc_lock && h->memlock_limit != UINT64_MAX &&
           (!h->ram_and_swap || h->memlock_limit < h->ram_and_swap);
}
