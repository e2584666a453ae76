// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests: armpass probe on sysfs fixture trees, one per state, text and JSON. */
#include "tools/probe.h"
#include "hw/arm/virt.h"
#include "hw/vfio/vfio-common.h"
#include "host-fixture.h"
#include "vfio-fake.h"

#include <libfdt.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <json-c/json.h>

#define PL031 "9010000.pl031"
#define PL061 "9030000.pl061"
#define ETH "9200000.ethernet"
#define NVME "0000:00:02.0"
#define AHCI "0000:00:02.1"
#define MiB (1024 * 1024ULL)
#define GiB (1024 * MiB)

/* A sysfs root with host-soc.dts as its device tree (firmware/devicetree/base). */
typedef struct Sys {
    char *root;
    char *base;
} Sys;

static bool sys_init(Sys *s)
{
    g_autofree char *dtb = fixture_path("host-soc.dtb");
    g_autofree char *data = NULL;
    g_autoptr(GError) err = NULL;
    size_t len;

    if (!dtb) {
        return false;
    }
    g_assert_true(g_file_get_contents(dtb, &data, &len, &err));
    s->root = sysfs_fixture_new();
    s->base = g_build_filename(s->root, "firmware", "devicetree", "base", NULL);
    write_node_dir(data, 0, s->base);
    return true;
}

static void sys_clear(Sys *s)
{
    sysfs_fixture_free(s->root);
    g_free(s->base);
}

static void put(Sys *s, const char *rel, const char *text)
{
    g_autofree char *path = g_build_filename(s->root, rel, NULL);
    g_autofree char *dir = g_path_get_dirname(path);

    g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
    write_file(path, text, strlen(text));
}

/* A platform/AMBA device whose of_node is host node node ("pl031@9010000"); group -1: none. */
static void add_dt_device(Sys *s, const char *bus, const char *name, const char *node, int group,
                          bool noiommu, const char *driver)
{
    g_autofree char *link = g_build_filename(s->root, "devices", "platform", name, "of_node",
                                             NULL);
    g_autofree char *target = g_build_filename(s->base, node, NULL);

    sysfs_fixture_add(s->root, bus, name, group, noiommu, driver);
    g_assert_cmpint(symlink(target, link), ==, 0);
}

static void add_pci(Sys *s, const char *name, int group, const char *driver, const char *cls)
{
    g_autofree char *dev = g_strdup_printf("devices/pci0000:00/%s", name);
    g_autofree char *v = g_strdup_printf("%s/vendor", dev);
    g_autofree char *d = g_strdup_printf("%s/device", dev);
    g_autofree char *c = g_strdup_printf("%s/class", dev);

    sysfs_fixture_add(s->root, "pci", name, group, false, driver);
    put(s, v, "0x1b36\n");
    put(s, d, "0x0010\n");
    put(s, c, cls);
}

/* The probe plans guest nodes on the board armpass probe gives it: virt (system/main.c). */
static const ProbeBoard *virt_board(void)
{
    static ProbeBoard b;

    b = (ProbeBoard){
        .pbus_base = virt_memmap[VIRT_PLATFORM_BUS].base,
        .pbus_size = virt_memmap[VIRT_PLATFORM_BUS].size,
        .pbus_first_spi = virt_irqmap[VIRT_IRQ_PLATFORM_BUS],
        .pbus_nr_spis = VIRT_PLATFORM_BUS_NUM_IRQS,
        .gic_phandle = VIRT_PHANDLE_GIC,
        .apb_pclk_phandle = VIRT_PHANDLE_APB_PCLK,
        .first_free_phandle = VIRT_PHANDLE_FIRST_FREE,
    };
    return &b;
}

static ProbeReport *scan(Sys *s)
{
    g_autoptr(GError) err = NULL;
    ProbeReport *r = probe_scan(s->root, virt_board(), &err);

    g_assert_no_error(err);
    g_assert_nonnull(r);
    return r;
}

static const ProbeDevice *find_dev(const ProbeReport *r, const char *name)
{
    for (guint i = 0; i < r->devices->len; i++) {
        const ProbeDevice *d = g_ptr_array_index(r->devices, i);

        if (!strcmp(d->name, name)) {
            return d;
        }
    }
    g_error("no device %s in the report", name);
}

static const ProbeIssue *find_issue(const ProbeDevice *d, const char *id)
{
    for (guint i = 0; i < d->issues->len; i++) {
        const ProbeIssue *is = g_ptr_array_index(d->issues, i);

        if (!strcmp(is->id, id)) {
            return is;
        }
    }
    return NULL;
}

/* The issue's fix commands joined with '\n'. */
static char *fix_text(const ProbeIssue *is)
{
    GString *s = g_string_new(NULL);

    for (guint i = 0; i < is->fix->len; i++) {
        g_string_append_printf(s, "%s\n", (const char *)g_ptr_array_index(is->fix, i));
    }
    return g_string_free(s, FALSE);
}

static void assert_contains(const char *hay, const char *needle)
{
    if (!strstr(hay, needle)) {
        g_error("\"%s\" not in:\n%s", needle, hay);
    }
}

/* ---- states ---- */

static void test_ready(void)
{
    Sys s;
    g_autoptr(ProbeReport) r = NULL;
    const ProbeDevice *d;

    if (!sys_init(&s)) {
        return;
    }
    add_dt_device(&s, "amba", PL031, "pl031@9010000", 3, false, "vfio-amba");
    put(&s, "class/misc/iommu/dev", "10:122\n");
    put(&s, "devices/platform/" PL031 "/vfio-dev/vfio0/dev", "511:0\n");
    r = scan(&s);
    d = find_dev(r, PL031);
    g_assert_true(d->candidate);
    g_assert_cmpstr(probe_device_status(d), ==, "ready");
    g_assert_cmpstr(d->device_arg, ==, "vfio-amba,host=" PL031);
    g_assert_cmpstr(d->compatible, ==, "arm,pl031");
    g_assert_cmpint(d->group, ==, 3);
    g_assert_cmpuint(d->issues->len, ==, 0);
    /* the guest node as virt makes it: first slot of the platform bus, first reserved SPI
     * (level), the host's 24 MHz apb_pclk as a guest fixed clock */
    if (!d->guest_node) {
        g_error("no guest node: %s", d->guest_node_error);
    }
    assert_contains(d->guest_node, "pl031@c000000 {");
    assert_contains(d->guest_node, "compatible = \"arm,pl031\", \"arm,primecell\";");
    assert_contains(d->guest_node, "reg = <0x0 0xc000000 0x0 0x1000>;");
    assert_contains(d->guest_node, "interrupts = <0x0 0x70 0x4>;");
    assert_contains(d->guest_node, "clocks = <0x5>;");
    assert_contains(d->guest_node, "pl031-c000000-clk0 {\n    phandle = <0x5>;\n"
                                   "    clock-frequency = <0x16e3600>;");
    sys_clear(&s);
}

/* --sysfs given as a relative path: the guest node is planned as with an absolute one (the
 * interrupt parent is found by comparing resolved paths). */
static void test_relative_root(void)
{
    Sys s;
    g_autoptr(ProbeReport) r = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *cwd = g_get_current_dir();
    g_autofree char *parent = NULL, *leaf = NULL;
    const ProbeDevice *d;

    if (!sys_init(&s)) {
        return;
    }
    add_dt_device(&s, "amba", PL031, "pl031@9010000", 3, false, "vfio-amba");
    parent = g_path_get_dirname(s.root);
    leaf = g_path_get_basename(s.root);
    g_assert_cmpint(chdir(parent), ==, 0);
    r = probe_scan(leaf, virt_board(), &err);
    g_assert_cmpint(chdir(cwd), ==, 0);
    g_assert_no_error(err);
    d = find_dev(r, PL031);
    if (!d->guest_node) {
        g_error("no guest node with a relative root: %s", d->guest_node_error);
    }
    assert_contains(d->guest_node, "interrupts = <0x0 0x70 0x4>;");
    sys_clear(&s);
}

/* The group's other members are listed by name. */
static void test_members_sorted(void)
{
    static const char *const others[] = { "0000:00:07.0", "0000:00:03.0", "0000:00:09.0",
                                          "0000:00:05.0", "0000:00:04.0", "0000:00:08.0" };
    Sys s;
    g_autoptr(ProbeReport) r = NULL;
    const ProbeDevice *d;

    if (!sys_init(&s)) {
        return;
    }
    add_pci(&s, NVME, 1, "vfio-pci", "0x010802\n");
    for (unsigned i = 0; i < G_N_ELEMENTS(others); i++) {
        add_pci(&s, others[i], 1, "vfio-pci", "0x010802\n");
    }
    r = scan(&s);
    d = find_dev(r, NVME);
    g_assert_cmpuint(d->members->len, ==, G_N_ELEMENTS(others));
    for (guint i = 1; i < d->members->len; i++) {
        const ProbeMember *a = g_ptr_array_index(d->members, i - 1);
        const ProbeMember *b = g_ptr_array_index(d->members, i);
        g_assert_cmpint(strcmp(a->name, b->name), <, 0);
    }
    sys_clear(&s);
}

static void test_host_driver(void)
{
    Sys s;
    g_autoptr(ProbeReport) r = NULL;
    g_autofree char *fix = NULL, *want = NULL;
    const ProbeDevice *d;
    const ProbeIssue *is;

    if (!sys_init(&s)) {
        return;
    }
    add_dt_device(&s, "amba", PL031, "pl031@9010000", 3, false, "rtc-pl031");
    r = scan(&s);
    d = find_dev(r, PL031);
    g_assert_cmpstr(probe_device_status(d), ==, "not-ready");
    is = find_issue(d, "bind");
    g_assert_nonnull(is);
    g_assert_cmpint(is->severity, ==, PROBE_BLOCKER);
    assert_contains(is->summary, "rtc-pl031");
    fix = fix_text(is);
    /* no vfio-amba driver folder in the fixture: load it first */
    want = g_strdup_printf("modprobe vfio-amba\n"
                           "echo " PL031 " > %s/bus/amba/drivers/rtc-pl031/unbind\n"
                           "echo vfio-amba > %s/bus/amba/devices/" PL031 "/driver_override\n"
                           "echo " PL031 " > %s/bus/amba/drivers_probe\n",
                           s.root, s.root, s.root);
    g_assert_cmpstr(fix, ==, want);
    sys_clear(&s);
}

static void test_not_viable(void)
{
    Sys s;
    g_autoptr(ProbeReport) r = NULL;
    g_autofree char *fix = NULL, *unbind = NULL;
    const ProbeDevice *d;
    const ProbeIssue *is;

    if (!sys_init(&s)) {
        return;
    }
    add_pci(&s, NVME, 1, "vfio-pci", "0x010802\n");
    add_pci(&s, AHCI, 1, "ahci", "0x010601\n");
    r = scan(&s);
    d = find_dev(r, NVME);
    g_assert_cmpstr(probe_device_status(d), ==, "not-ready");
    g_assert_cmpuint(d->members->len, ==, 1);
    g_assert_null(find_issue(d, "bind"));
    is = find_issue(d, "group-not-viable");
    g_assert_nonnull(is);
    assert_contains(is->summary, AHCI " (ahci)");
    fix = fix_text(is);
    unbind = g_strdup_printf("echo " AHCI " > %s/bus/pci/drivers/ahci/unbind", s.root);
    assert_contains(fix, unbind);
    assert_contains(fix, "echo vfio-pci > ");
    /* the AHCI itself: bound to its host driver, and its group not viable either way */
    d = find_dev(r, AHCI);
    g_assert_nonnull(find_issue(d, "bind"));
    g_assert_null(find_issue(d, "group-not-viable")); /* its partner is on vfio-pci */
    sys_clear(&s);
}

static void test_viable_with_pcieport(void)
{
    Sys s;
    g_autoptr(ProbeReport) r = NULL;

    if (!sys_init(&s)) {
        return;
    }
    add_pci(&s, NVME, 1, "vfio-pci", "0x010802\n");
    add_pci(&s, "0000:00:01.0", 1, "pcieport", "0x060400\n");
    r = scan(&s);
    g_assert_cmpstr(probe_device_status(find_dev(r, NVME)), ==, "ready");
    g_assert_cmpstr(probe_device_status(find_dev(r, "0000:00:01.0")), ==, "skipped");
    sys_clear(&s);
}

static void test_no_iommu_group(void)
{
    Sys s;
    g_autoptr(ProbeReport) r = NULL;
    g_autofree char *fix = NULL, *want = NULL;
    const ProbeDevice *d;
    const ProbeIssue *is;

    if (!sys_init(&s)) {
        return;
    }
    add_dt_device(&s, "amba", PL031, "pl031@9010000", -1, false, NULL);
    put(&s, "module/vfio/parameters/enable_unsafe_noiommu_mode", "N\n");
    r = scan(&s);
    d = find_dev(r, PL031);
    g_assert_cmpstr(probe_device_status(d), ==, "not-ready");
    is = find_issue(d, "no-iommu-group");
    g_assert_nonnull(is);
    g_assert_cmpint(is->severity, ==, PROBE_BLOCKER);
    assert_contains(is->detail, "tainted");
    fix = fix_text(is);
    want = g_strdup_printf("echo 1 > %s/module/vfio/parameters/enable_unsafe_noiommu_mode\n",
                           s.root);
    g_assert_cmpstr(fix, ==, want);
    g_assert_nonnull(find_issue(d, "bind"));
    g_assert_cmpstr(d->device_arg, ==, "vfio-amba,host=" PL031 ",noiommu=on");
    sys_clear(&s);

    /* the mode on already: a warning, binding makes the no-IOMMU group */
    if (!sys_init(&s)) {
        return;
    }
    add_dt_device(&s, "amba", PL031, "pl031@9010000", -1, false, NULL);
    put(&s, "module/vfio/parameters/enable_unsafe_noiommu_mode", "Y\n");
    g_clear_pointer(&r, probe_report_free);
    r = scan(&s);
    d = find_dev(r, PL031);
    g_assert_null(find_issue(d, "no-iommu-group"));
    g_assert_cmpint(find_issue(d, "noiommu")->severity, ==, PROBE_WARNING);
    sys_clear(&s);
}

static void test_noiommu_group(void)
{
    Sys s;
    g_autoptr(ProbeReport) r = NULL;
    const ProbeDevice *d;
    const ProbeIssue *is;

    if (!sys_init(&s)) {
        return;
    }
    add_dt_device(&s, "amba", PL031, "pl031@9010000", 0, true, "vfio-amba");
    /* listed in vfio-dev/, but without a cdev ("dev") */
    put(&s, "devices/platform/" PL031 "/vfio-dev/vfio0/uevent", "MAJOR=0\n");
    r = scan(&s);
    d = find_dev(r, PL031);
    g_assert_true(d->noiommu);
    g_assert_cmpstr(probe_device_status(d), ==, "ready-noiommu");
    g_assert_cmpstr(d->device_arg, ==, "vfio-amba,host=" PL031 ",noiommu=on");
    is = find_issue(d, "noiommu");
    g_assert_nonnull(is);
    g_assert_cmpint(is->severity, ==, PROBE_WARNING);
    assert_contains(is->detail, "DMA");
    /* 6.1 and 6.12 list vfio-dev/ but give a no-IOMMU device no cdev */
    is = find_issue(d, "no-cdev");
    g_assert_nonnull(is);
    g_assert_cmpint(is->severity, ==, PROBE_NOTE);
    assert_contains(is->summary, "no-IOMMU");
    sys_clear(&s);
}

/* A no-IOMMU device whose node says it does DMA: a warning that it needs an IOMMU or a
 * direct-mapped guest, and the command that works; a device that does no DMA gets none. */
static void test_dma_no_iommu(void)
{
    Sys s;
    g_autoptr(ProbeReport) r = NULL;
    const ProbeDevice *d;
    const ProbeIssue *is;
    g_autofree char *fix = NULL;

    if (!sys_init(&s)) {
        return;
    }
    add_dt_device(&s, "amba", "9100000.dma-controller", "dma-controller@9100000", 0, true,
                  "vfio-amba");
    add_dt_device(&s, "amba", PL031, "pl031@9010000", 1, true, "vfio-amba");
    add_dt_device(&s, "amba", "9110000.dma-controller", "dma-controller@9100000", 2, false,
                  "vfio-amba");
    r = scan(&s);
    d = find_dev(r, "9100000.dma-controller");
    is = find_issue(d, "dma-no-iommu");
    g_assert_nonnull(is);
    g_assert_cmpint(is->severity, ==, PROBE_WARNING);
    assert_contains(is->summary, "does DMA (its node: dma-coherent) with no IOMMU");
    assert_contains(is->summary, "direct-map=on");
    fix = fix_text(is);
    assert_contains(fix, "hugepagesz=1G hugepages=1"); /* the fixture host has no 1 GiB pool */
    assert_contains(fix, "-M virt,memory-backend=mem0,direct-map=on -m 1G -object "
                         "memory-backend-memfd,id=mem0,size=1G,hugetlb=on,hugetlbsize=1G "
                         "-device vfio-amba,host=9100000.dma-controller,noiommu=on");
    /* an RTC does no DMA; the same DMA controller behind an IOMMU needs nothing */
    g_assert_null(find_issue(find_dev(r, PL031), "dma-no-iommu"));
    g_assert_null(find_issue(find_dev(r, "9110000.dma-controller"), "dma-no-iommu"));
    sys_clear(&s);
}

static void test_no_cdev(void)
{
    Sys s;
    g_autoptr(ProbeReport) r = NULL;
    const ProbeDevice *d;
    const ProbeIssue *is;

    if (!sys_init(&s)) {
        return;
    }
    add_pci(&s, NVME, 1, "vfio-pci", "0x010802\n");
    {
        /* the fixture has /dev/iommu (class/misc/iommu); this kernel has not */
        g_autofree char *dev = g_build_filename(s.root, "class", "misc", "iommu", "dev", NULL);
        g_autofree char *dir = g_path_get_dirname(dev);

        g_assert_cmpint(unlink(dev), ==, 0);
        g_assert_cmpint(rmdir(dir), ==, 0);
    }
    r = scan(&s);
    g_assert_false(r->iommufd);
    d = find_dev(r, NVME);
    g_assert_cmpstr(probe_device_status(d), ==, "ready");
    is = find_issue(d, "no-cdev");
    g_assert_nonnull(is);
    g_assert_cmpint(is->severity, ==, PROBE_NOTE);
    assert_contains(is->summary, "no /dev/iommu");
    sys_clear(&s);

    /* /dev/iommu but no vfio-dev/ */
    if (!sys_init(&s)) {
        return;
    }
    add_pci(&s, NVME, 1, "vfio-pci", "0x010802\n");
    put(&s, "class/misc/iommu/dev", "10:122\n");
    g_clear_pointer(&r, probe_report_free);
    r = scan(&s);
    assert_contains(find_issue(find_dev(r, NVME), "no-cdev")->summary, "no VFIO device cdev");
    sys_clear(&s);

    /* both: nothing to say */
    if (!sys_init(&s)) {
        return;
    }
    add_pci(&s, NVME, 1, "vfio-pci", "0x010802\n");
    put(&s, "class/misc/iommu/dev", "10:122\n");
    put(&s, "devices/pci0000:00/" NVME "/vfio-dev/vfio0/dev", "511:0\n");
    g_clear_pointer(&r, probe_report_free);
    r = scan(&s);
    g_assert_null(find_issue(find_dev(r, NVME), "no-cdev"));
    sys_clear(&s);
}

static void test_reset(void)
{
    Sys s;
    g_autoptr(ProbeReport) r = NULL;
    g_autofree char *fix = NULL;
    const ProbeDevice *d;
    const ProbeIssue *is;

    if (!sys_init(&s)) {
        return;
    }
    /* vfio_platform a loaded module with reset_required on */
    add_dt_device(&s, "platform", ETH, "ethernet@9200000", 4, false, NULL);
    put(&s, "module/vfio_platform/parameters/reset_required", "Y\n");
    put(&s, "module/vfio_platform/initstate", "live\n");
    r = scan(&s);
    d = find_dev(r, ETH);
    is = find_issue(d, "reset");
    g_assert_nonnull(is);
    g_assert_cmpint(is->severity, ==, PROBE_BLOCKER);
    assert_contains(is->summary, "snps,dwmac-4.20a");
    assert_contains(is->detail, "168a9c91fe0a");
    fix = fix_text(is);
    assert_contains(fix, "modprobe -r vfio-platform\nmodprobe vfio-platform reset_required=0");
    /* the guest node drops what names host resources */
    g_assert_nonnull(d->guest_node);
    g_assert_true(g_ptr_array_find_with_equal_func(d->dropped, "resets", g_str_equal, NULL));
    sys_clear(&s);

    /* built in: the kernel command line */
    if (!sys_init(&s)) {
        return;
    }
    add_dt_device(&s, "platform", ETH, "ethernet@9200000", 4, false, NULL);
    put(&s, "module/vfio_platform/parameters/reset_required", "Y\n");
    g_clear_pointer(&r, probe_report_free);
    r = scan(&s);
    g_clear_pointer(&fix, g_free);
    fix = fix_text(find_issue(find_dev(r, ETH), "reset"));
    assert_contains(fix, "vfio_platform.reset_required=0");
    sys_clear(&s);

    /* reset_required=0: no reset issue; vfio-amba never needs one */
    if (!sys_init(&s)) {
        return;
    }
    add_dt_device(&s, "platform", ETH, "ethernet@9200000", 4, false, NULL);
    add_dt_device(&s, "amba", PL031, "pl031@9010000", 3, false, NULL);
    put(&s, "module/vfio_platform/parameters/reset_required", "N\n");
    g_clear_pointer(&r, probe_report_free);
    r = scan(&s);
    g_assert_null(find_issue(find_dev(r, ETH), "reset"));
    g_assert_nonnull(find_issue(find_dev(r, ETH), "bind"));
    g_assert_null(find_issue(find_dev(r, PL031), "reset"));
    sys_clear(&s);

    /* already on vfio-platform: it got past the reset check */
    if (!sys_init(&s)) {
        return;
    }
    add_dt_device(&s, "platform", ETH, "ethernet@9200000", 4, false, "vfio-platform");
    put(&s, "module/vfio_platform/parameters/reset_required", "Y\n");
    g_clear_pointer(&r, probe_report_free);
    r = scan(&s);
    g_assert_null(find_issue(find_dev(r, ETH), "reset"));
    g_assert_cmpstr(probe_device_status(find_dev(r, ETH)), ==, "ready");
    sys_clear(&s);

    /* a compatible with a reset module that is not loaded: a note, not a blocker */
    if (!sys_init(&s)) {
        return;
    }
    add_dt_device(&s, "platform", ETH, "ethernet@9200000", 4, false, "vfio-platform");
    {
        g_autofree char *compat = g_build_filename(s.base, "ethernet@9200000", "compatible",
                                                   NULL);
        write_file(compat, "calxeda,hb-xgmac", sizeof("calxeda,hb-xgmac"));
    }
    add_dt_device(&s, "platform", "9200001.ethernet", "ethernet@9200000", 6, false, NULL);
    g_clear_pointer(&r, probe_report_free);
    r = scan(&s);
    g_assert_null(find_issue(find_dev(r, "9200001.ethernet"), "reset"));
    is = find_issue(find_dev(r, "9200001.ethernet"), "reset-module");
    g_assert_nonnull(is);
    g_assert_cmpint(is->severity, ==, PROBE_NOTE);
    g_clear_pointer(&fix, g_free);
    fix = fix_text(is);
    g_assert_cmpstr(fix, ==, "modprobe vfio-platform-calxedaxgmac\n");
    sys_clear(&s);
}

static void test_gpio_controller(void)
{
    Sys s;
    g_autoptr(ProbeReport) r = NULL;
    g_autofree char *fix = NULL;
    const ProbeDevice *d;
    const ProbeIssue *is;

    if (!sys_init(&s)) {
        return;
    }
    /* bound to its built-in host driver now: a reboot is needed */
    add_dt_device(&s, "amba", PL061, "pl061@9030000", 2, false, "pl061_gpio");
    r = scan(&s);
    d = find_dev(r, PL061);
    g_assert_cmpstr(d->irq_controller, ==, "gpio-controller");
    is = find_issue(d, "irq-controller");
    g_assert_nonnull(is);
    g_assert_cmpint(is->severity, ==, PROBE_BLOCKER);
    assert_contains(is->summary, "until reboot");
    assert_contains(is->detail, "IRQ_NOREQUEST");
    fix = fix_text(is);
    assert_contains(fix, "initcall_blacklist=pl061_gpio_driver_init");
    assert_contains(fix, "reboot");
    sys_clear(&s);

    /* a module: blacklist it */
    if (!sys_init(&s)) {
        return;
    }
    add_dt_device(&s, "amba", PL061, "pl061@9030000", 2, false, "pl061_gpio");
    {
        g_autofree char *link = g_build_filename(s.root, "bus/amba/drivers/pl061_gpio/module",
                                                 NULL);
        put(&s, "module/gpio_pl061/initstate", "live\n");
        g_assert_cmpint(symlink("../../../../module/gpio_pl061", link), ==, 0);
    }
    g_clear_pointer(&r, probe_report_free);
    r = scan(&s);
    g_clear_pointer(&fix, g_free);
    fix = fix_text(find_issue(find_dev(r, PL061), "irq-controller"));
    assert_contains(fix, "blacklist gpio_pl061");
    sys_clear(&s);

    /* on vfio-amba already: it may fail, sysfs cannot tell */
    if (!sys_init(&s)) {
        return;
    }
    add_dt_device(&s, "amba", PL061, "pl061@9030000", 2, false, "vfio-amba");
    g_clear_pointer(&r, probe_report_free);
    r = scan(&s);
    d = find_dev(r, PL061);
    is = find_issue(d, "irq-controller");
    g_assert_nonnull(is);
    g_assert_cmpint(is->severity, ==, PROBE_WARNING);
    assert_contains(is->summary, "may fail");
    g_assert_cmpstr(probe_device_status(d), ==, "ready");
    sys_clear(&s);
}

/* Devices the probe leaves out, and the reason it gives: bus, name, device-tree node (NULL:
 * none), driver. */
static const struct {
    const char *bus, *name, *node, *driver, *reason;
} skipped[] = {
    { "platform", "8000000.interrupt-controller", "interrupt-controller@8000000", NULL,
      "root interrupt controller" },
    { "platform", "9500000.iommu", "iommu@9500000", "arm-smmu-v3", "IOMMU" },
    { "platform", "reg-dummy", NULL, "reg-dummy", "no device-tree node" },
    { "platform", "power-controller", "power-controller", NULL, "no registers" },
};

static void test_skipped(void)
{
    Sys s;
    g_autoptr(ProbeReport) r = NULL;

    if (!sys_init(&s)) {
        return;
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(skipped); i++) {
        if (skipped[i].node) {
            add_dt_device(&s, skipped[i].bus, skipped[i].name, skipped[i].node, -1, false,
                          skipped[i].driver);
        } else {
            sysfs_fixture_add(s.root, skipped[i].bus, skipped[i].name, -1, false,
                              skipped[i].driver);
        }
    }
    r = scan(&s);
    for (unsigned i = 0; i < G_N_ELEMENTS(skipped); i++) {
        const ProbeDevice *d = find_dev(r, skipped[i].name);

        g_assert_false(d->candidate);
        assert_contains(d->skip_reason, skipped[i].reason);
    }
    for (guint i = 0; i < r->devices->len; i++) {
        g_assert_cmpuint(((ProbeDevice *)g_ptr_array_index(r->devices, i))->issues->len, ==, 0);
    }
    sys_clear(&s);
}

/* A node whose clock rate is not in the tree: no guest node, and the report says why. */
static void test_guest_node_error(void)
{
    Sys s;
    g_autoptr(ProbeReport) r = NULL;
    g_autofree char *text = NULL;
    const ProbeDevice *d;

    if (!sys_init(&s)) {
        return;
    }
    add_dt_device(&s, "platform", "9800000.timer", "timer@9800000", 5, false, "vfio-platform");
    r = scan(&s);
    d = find_dev(r, "9800000.timer");
    g_assert_cmpstr(probe_device_status(d), ==, "ready");
    g_assert_null(d->guest_node);
    g_assert_nonnull(d->guest_node_error);
    assert_contains(d->guest_node_error, "clock-rate=");
    text = probe_format_text(r);
    assert_contains(text, "  guest node: cannot be planned: ");
    sys_clear(&s);
}

static void test_not_sysfs(void)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *root = sysfs_fixture_new();
    g_autofree char *missing = g_build_filename(root, "nothing", NULL);

    g_assert_null(probe_scan(missing, virt_board(), &err));
    g_assert_error(err, G_FILE_ERROR, G_FILE_ERROR_NOENT);
    assert_contains(err->message, "no such folder");
    sysfs_fixture_free(g_steal_pointer(&root));
}

/* ---- outputs ---- */

/* Every state at once. */
static ProbeReport *scan_all(Sys *s)
{
    add_dt_device(s, "amba", PL031, "pl031@9010000", 0, true, "vfio-amba");
    add_dt_device(s, "amba", PL061, "pl061@9030000", 2, false, "pl061_gpio");
    add_dt_device(s, "platform", ETH, "ethernet@9200000", 4, false, "dwmac");
    add_pci(s, NVME, 1, "vfio-pci", "0x010802\n");
    add_pci(s, AHCI, 1, "ahci", "0x010601\n");
    sysfs_fixture_add(s->root, "platform", "reg-dummy", -1, false, "reg-dummy");
    put(s, "module/vfio/parameters/enable_unsafe_noiommu_mode", "Y\n");
    return scan(s);
}

static void test_text(void)
{
    Sys s;
    g_autoptr(ProbeReport) r = NULL;
    g_autofree char *text = NULL, *cmd = NULL;
    g_auto(GStrv) lines = NULL;

    if (!sys_init(&s)) {
        return;
    }
    r = scan_all(&s);
    text = probe_format_text(r);
    if (g_getenv("PROBE_SHOW")) {
        g_printerr("%s", text); /* to read the report by eye */
    }
    lines = g_strsplit(text, "\n", -1);
    /* the table: a header and one aligned row per candidate, in bus then name order */
    g_assert_true(g_str_has_prefix(lines[2], "DEVICE"));
    g_assert_cmpstr(lines[3], ==,
                    "9200000.ethernet  platform  dwmac           4               NOT READY");
    g_assert_cmpstr(lines[4], ==,
                    "9010000.pl031     amba      vfio-amba       0 (no-IOMMU)    ready (noiommu=on)");
    g_assert_cmpstr(lines[5], ==,
                    "9030000.pl061     amba      pl061_gpio      2               NOT READY");
    assert_contains(text, "1 of 5 candidate devices can be passed now; 1 skipped.");
    assert_contains(text, "== " PL031 "  (amba, arm,pl031)  ready (noiommu=on)\n");
    assert_contains(text, "  use:      -device vfio-amba,host=" PL031 ",noiommu=on\n");
    assert_contains(text, "    pl031@c000000 {\n");
    /* a "to fix:" block of commands, then the -device to use */
    cmd = g_strdup_printf("  to fix:\n    echo " AHCI " > %s/bus/pci/drivers/ahci/unbind\n",
                          s.root);
    assert_contains(text, cmd);
    assert_contains(text, "  then:     -device vfio-pci,host=" NVME "\n");
    assert_contains(text, "initcall_blacklist=pl061_gpio_driver_init");
    assert_contains(text, "Skipped (cannot be passed through):\n  no device-tree node");
    assert_contains(text, "Legend:");
    /* the fixture has no kernel/mm: no pools, THP not built in; the memory block comes after
     * the devices and before the legend */
    assert_contains(text, "\n  hugetlb:  no pools (");
    assert_contains(text, "\n  THP:      enabled not built in, shmem_enabled not built in, ");
    g_assert_true(strstr(text, "== host memory for guest RAM") > strstr(text, "Skipped ("));
    g_assert_true(strstr(text, "Legend:") > strstr(text, "== host memory for guest RAM"));
    /* the reset fix loads vfio-platform already: the bind fix's modprobe is not repeated */
    assert_contains(text, "  to fix:\n    modprobe vfio-platform reset_required=0");
    g_assert_null(strstr(text, "    modprobe vfio-platform\n"));
    sys_clear(&s);
}

/* Member key of object o, which must be there (json-c's get returns NULL for a JSON null too). */
static json_object *member(json_object *o, const char *key)
{
    json_object *v = NULL;

    g_assert_true(json_object_is_type(o, json_type_object));
    if (!json_object_object_get_ex(o, key, &v)) {
        g_error("JSON: no member \"%s\"", key);
    }
    return v;
}

/* Member key of object o as a string; fails the test unless it is a JSON string. */
static const char *member_str(json_object *o, const char *key)
{
    json_object *v = member(o, key);

    g_assert_true(json_object_is_type(v, json_type_string));
    return json_object_get_string(v);
}

static void test_json(void)
{
    Sys s;
    g_autoptr(ProbeReport) r = NULL;
    g_autofree char *json = NULL;
    json_object *root, *devs;
    unsigned seen = 0;

    if (!sys_init(&s)) {
        return;
    }
    r = scan_all(&s);
    json = probe_format_json(r);
    g_assert_nonnull(json);
    /* pretty-printed, "key": value, paths unescaped: what a grep in a shell script relies on */
    assert_contains(json, "\n  \"noiommu_mode\": true,\n");
    assert_contains(json, "\"status\": \"ready-noiommu\"");
    assert_contains(json, "\"compatible\": \"arm,pl031\"");
    g_assert_null(strstr(json, "\\/"));
    root = json_tokener_parse(json);
    g_assert_nonnull(root);
    g_assert_cmpstr(member_str(root, "sysfs"), ==, s.root);
    g_assert_true(json_object_is_type(member(root, "iommufd"), json_type_boolean));
    g_assert_true(json_object_get_boolean(member(root, "noiommu_mode")));
    devs = member(root, "devices");
    g_assert_true(json_object_is_type(devs, json_type_array));
    g_assert_cmpuint(json_object_array_length(devs), ==, 6);
    for (size_t i = 0; i < json_object_array_length(devs); i++) {
        json_object *d = json_object_array_get_idx(devs, i);
        const char *name = member_str(d, "name");
        const char *status = member_str(d, "status");
        json_object *issues = member(d, "issues");

        g_assert_true(json_object_is_type(issues, json_type_array));
        if (!strcmp(name, PL031)) {
            g_assert_cmpstr(status, ==, "ready-noiommu");
            g_assert_true(json_object_get_boolean(member(d, "ready")));
            g_assert_true(json_object_get_boolean(member(d, "noiommu")));
            g_assert_true(json_object_is_type(member(d, "iommu_group"), json_type_int));
            g_assert_cmpint(json_object_get_int(member(d, "iommu_group")), ==, 0);
            g_assert_cmpstr(member_str(d, "device"), ==, "vfio-amba,host=" PL031 ",noiommu=on");
            assert_contains(member_str(d, "guest_node"), "pl031@c000000");
            seen++;
        } else if (!strcmp(name, NVME)) {
            json_object *is = json_object_array_get_idx(issues, 0);
            json_object *fix = member(is, "fix");

            g_assert_cmpstr(status, ==, "not-ready");
            g_assert_false(json_object_get_boolean(member(d, "ready")));
            g_assert_cmpstr(member_str(is, "id"), ==, "group-not-viable");
            g_assert_cmpstr(member_str(is, "severity"), ==, "blocker");
            /* vfio-pci is there (the NVMe is on it): unbind, driver_override, drivers_probe */
            g_assert_cmpuint(json_object_array_length(fix), ==, 3);
            assert_contains(json_object_get_string(json_object_array_get_idx(fix, 0)),
                            "drivers/ahci/unbind");
            g_assert_cmpstr(member_str(json_object_array_get_idx(member(d, "group_members"), 0),
                                       "driver"), ==, "ahci");
            seen++;
        } else if (!strcmp(name, PL061)) {
            g_assert_cmpstr(member_str(d, "irq_controller"), ==, "gpio-controller");
            seen++;
        } else if (!strcmp(name, "reg-dummy")) {
            g_assert_cmpstr(status, ==, "skipped");
            g_assert_true(json_object_is_type(member(d, "device"), json_type_null));
            g_assert_true(json_object_is_type(member(d, "iommu_group"), json_type_null));
            seen++;
        }
    }
    g_assert_cmpuint(seen, ==, 4);
    /* the fixture has no kernel/mm: THP null, no pools */
    g_assert_true(json_object_is_type(member(member(root, "memory"), "thp_enabled"),
                                      json_type_null));
    g_assert_cmpuint(json_object_array_length(member(member(root, "memory"), "hugetlb_pools")),
                     ==, 0);
    json_object_put(root);
    sys_clear(&s);
}

/* ---- the host's memory for guest RAM ---- */

/* text with append_wrapped's line breaks (a newline and 12 spaces) joined back into spaces. */
static char *unwrap(const char *text)
{
    g_auto(GStrv) parts = g_strsplit(text, "\n            ", -1);

    return g_strjoinv(" ", parts);
}

/*
 * A sysfs root named TMP/sys with TMP/proc beside it: a 2 MiB pool of 150 pages, 22 free, none
 * reserved, a 1 GiB pool whose one free page is reserved (the default size in proc/meminfo:
 * 1 GiB, which no real host's /proc says unless it was booted so),
 * THP "always [madvise] never", shmem THP "[never]", a 2 MiB PMD; no devices.
 */
typedef struct MemSys {
    char *tmp;
    char *root;
} MemSys;

static void memsys_init(MemSys *m)
{
    static const char *const files[][2] = {
        { "sys/kernel/mm/transparent_hugepage/enabled", "always [madvise] never\n" },
        { "sys/kernel/mm/transparent_hugepage/shmem_enabled",
          "always within_size advise [never] deny force\n" },
        { "sys/kernel/mm/transparent_hugepage/hpage_pmd_size", "2097152\n" },
        { "sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "150\n" },
        { "sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "22\n" },
        { "sys/kernel/mm/hugepages/hugepages-2048kB/resv_hugepages", "0\n" },
        { "sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages", "1\n" },
        { "sys/kernel/mm/hugepages/hugepages-1048576kB/free_hugepages", "1\n" },
        { "sys/kernel/mm/hugepages/hugepages-1048576kB/resv_hugepages", "1\n" },
        { "proc/meminfo", "MemTotal:       1000 kB\nHugepagesize:    1048576 kB\n" },
    };
    g_autoptr(GError) err = NULL;
    g_autofree char *bus = NULL;

    m->tmp = g_dir_make_tmp("armpass-probe-mem-XXXXXX", &err);
    g_assert_no_error(err);
    m->root = g_build_filename(m->tmp, "sys", NULL);
    bus = g_build_filename(m->root, "bus", NULL);
    g_assert_cmpint(g_mkdir_with_parents(bus, 0755), ==, 0);
    for (size_t i = 0; i < G_N_ELEMENTS(files); i++) {
        g_autofree char *path = g_build_filename(m->tmp, files[i][0], NULL);
        g_autofree char *dir = g_path_get_dirname(path);

        g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
        write_file(path, files[i][1], strlen(files[i][1]));
    }
}

static void memsys_clear(MemSys *m)
{
    rm_rf(m->tmp);
    g_free(m->tmp);
    g_free(m->root);
}

/*
 * Scans m with RLIMIT_MEMLOCK's soft limit lowered for the scan (to a value other than the
 * current one, so that the report shows it read getrlimit), then gives the report a memlock of
 * 64 MiB without CAP_IPC_LOCK on a host of 16 GiB RAM and swap: what the text and JSON tests
 * assert, whatever this process's limit and capabilities (the unit suite may run as root).
 */
static ProbeReport *memsys_scan(MemSys *m)
{
    struct rlimit saved, rl;
    g_autoptr(GError) err = NULL;
    ProbeReport *r;
    rlim_t want;
    uint64_t expect;

    g_assert_cmpint(getrlimit(RLIMIT_MEMLOCK, &saved), ==, 0);
    want = saved.rlim_max == RLIM_INFINITY ? 8 * MiB : saved.rlim_max;
    want = want / 2 + 4096;
    if (want == saved.rlim_cur) {
        want -= 8192;
    }
    rl = saved;
    rl.rlim_cur = want;
    if (want > saved.rlim_max || setrlimit(RLIMIT_MEMLOCK, &rl) != 0) {
        want = saved.rlim_cur; /* a hard limit under 8 KiB: nothing to lower */
    }
    r = probe_scan(m->root, virt_board(), &err);
    g_assert_cmpint(setrlimit(RLIMIT_MEMLOCK, &saved), ==, 0);
    g_assert_no_error(err);
    g_assert_nonnull(r);
    expect = want == RLIM_INFINITY ? UINT64_MAX : (uint64_t)want;
    g_assert_cmpuint(r->mem.memlock_limit, ==, expect);
    r->mem.memlock_limit = 64 * MiB;
    r->mem.cap_ipc_lock = false;
    r->mem.ram_and_swap = 16 * GiB;
    return r;
}

/* probe_proc_root: the sibling proc of a root named sys, else /proc. */
static void test_proc_root(void)
{
    static const char *const cases[][2] = {
        { "/sys", "/proc" },          { "/sys/", "/proc" },
        { "/tmp/t/sys", "/tmp/t/proc" }, { "/tmp/t/sys//", "/tmp/t/proc" },
        { "sys", "./proc" },           { "/tmp/armpass-vfio-sysfs-1", "/proc" },
        { "/tmp/sysfs", "/proc" },     { "/", "/proc" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *proc = probe_proc_root(cases[i][0]);

        g_assert_cmpstr(proc, ==, cases[i][1]);
    }
}

/* The largest guest a pool or a memlock limit allows: whole pages, 2 MiB steps, 16 MiB to
 * 255 GiB. */
static void test_memory_limits(void)
{
    HostHugePool p = { .page_size = 2 * MiB, .nr = 150, .free = 22, .resv = 2 };
    HostMemHost h = { .memlock_limit = 64 * MiB + 4096, .ram_and_swap = 16 * GiB };
    g_autofree char *opt = NULL;

    g_assert_cmpuint(probe_pool_max_guest_ram(&p), ==, 40 * MiB); /* reserved pages are taken */
    p = (HostHugePool){ .page_size = 64 * 1024, .free = 1000 };   /* 62.5 MiB */
    g_assert_cmpuint(probe_pool_max_guest_ram(&p), ==, 62 * MiB);
    opt = probe_pool_option(&p, 62 * MiB);
    g_assert_cmpstr(opt, ==, "-object memory-backend-memfd,id=mem0,size=62M,hugetlb=on,"
                    "hugetlbsize=64K -M virt,memory-backend=mem0");
    p.free = 100; /* 6.25 MiB: less than a guest needs */
    g_assert_cmpuint(probe_pool_max_guest_ram(&p), ==, 0);
    p = (HostHugePool){ .page_size = GiB, .nr = 300, .free = 300 };
    g_assert_cmpuint(probe_pool_max_guest_ram(&p), ==, 255 * GiB);
    g_clear_pointer(&opt, g_free);
    opt = probe_pool_option(&p, 255 * GiB);
    assert_contains(opt, ",size=255G,hugetlb=on,hugetlbsize=1G ");

    g_assert_cmpuint(probe_memlock_max_guest_ram(&h), ==, 64 * MiB);
    g_assert_true(probe_memlock_is_small(&h));
    h.ram_and_swap = 32 * MiB; /* the limit is above the host's memory */
    g_assert_false(probe_memlock_is_small(&h));
    h.ram_and_swap = 0; /* unknown: the fixes are shown */
    g_assert_true(probe_memlock_is_small(&h));
    h.memlock_limit = 8 * MiB;
    g_assert_cmpuint(probe_memlock_max_guest_ram(&h), ==, 0);
    h.cap_ipc_lock = true;
    g_assert_cmpuint(probe_memlock_max_guest_ram(&h), ==, UINT64_MAX);
    g_assert_false(probe_memlock_is_small(&h));
    h = (HostMemHost){ .memlock_limit = UINT64_MAX };
    g_assert_cmpuint(probe_memlock_max_guest_ram(&h), ==, UINT64_MAX);
    g_assert_false(probe_memlock_is_small(&h));
}

static void test_memory_text(void)
{
    MemSys m;
    g_autoptr(ProbeReport) r = NULL;
    g_autofree char *text = NULL, *flat = NULL, *head = NULL, *grow = NULL;

    memsys_init(&m);
    r = memsys_scan(&m);
    text = probe_format_text(r);
    if (g_getenv("PROBE_SHOW")) {
        g_printerr("%s", text);
    }
    flat = unwrap(text);
    head = g_strdup_printf("\n== host memory for guest RAM  (%s/kernel/mm, %s/proc/meminfo)\n",
                           m.root, m.tmp);
    assert_contains(flat, head);
    assert_contains(flat, "\n  hugetlb:  2 MiB pages: 150 in all, 22 free, 0 reserved: "
                          "backs a guest of up to 44 MiB\n  use:      -object "
                          "memory-backend-memfd,id=mem0,size=44M,hugetlb=on,hugetlbsize=2M "
                          "-M virt,memory-backend=mem0\n");
    assert_contains(flat, "\n  hugetlb:  1 GiB pages (default): 1 in all, 1 free, 1 reserved: "
                          "too few free pages for a guest (it needs 16 MiB)");
    grow = g_strdup_printf("\n    echo N > %s/kernel/mm/hugepages/hugepages-1048576kB/"
                           "nr_hugepages\n", m.root);
    assert_contains(flat, grow);
    assert_contains(flat, "\n  THP:      enabled madvise, shmem_enabled never, PMD size 2 MiB: "
                          "the default guest RAM gets huge pages");
    assert_contains(flat, "\n  memlock:  RLIMIT_MEMLOCK 64 MiB, no CAP_IPC_LOCK: a VFIO guest "
                          "with an IOMMU can have at most 64 MiB of RAM (");
    assert_contains(flat, "\n    ulimit -l unlimited ");
    assert_contains(flat, "\n    LimitMEMLOCK=infinity ");
    assert_contains(flat, "\n    setcap cap_ipc_lock+ep \"$(command -v armpass)\" ");
    g_clear_pointer(&text, g_free);
    g_clear_pointer(&flat, g_free);

    /* too small for any guest: said plainly, with the fixes */
    r->mem.memlock_limit = 8 * MiB;
    text = probe_format_text(r);
    flat = unwrap(text);
    assert_contains(flat, "\n  memlock:  RLIMIT_MEMLOCK 8 MiB, no CAP_IPC_LOCK: no VFIO guest "
                          "with an IOMMU can start");
    assert_contains(flat, "\n    ulimit -l unlimited ");
    g_clear_pointer(&text, g_free);
    g_clear_pointer(&flat, g_free);

    /* above the host's RAM and swap: a limit, but nothing to fix */
    r->mem.memlock_limit = 64 * MiB;
    r->mem.ram_and_swap = 32 * MiB;
    text = probe_format_text(r);
    flat = unwrap(text);
    assert_contains(flat, "can have at most 64 MiB of RAM");
    assert_contains(flat, "the limit is above this host's RAM and swap\n");
    g_assert_null(strstr(flat, "ulimit -l unlimited"));
    g_clear_pointer(&text, g_free);
    g_clear_pointer(&flat, g_free);

    /* CAP_IPC_LOCK: no limit applies; THP off: base pages */
    r->mem.cap_ipc_lock = true;
    g_strlcpy(r->mem.thp_mode, "never", sizeof(r->mem.thp_mode));
    text = probe_format_text(r);
    flat = unwrap(text);
    assert_contains(flat, "\n  memlock:  RLIMIT_MEMLOCK 64 MiB, with CAP_IPC_LOCK: no limit "
                          "applies");
    assert_contains(flat, "\n  THP:      enabled never, ");
    assert_contains(flat, "the default guest RAM gets base pages\n");
    g_assert_null(strstr(flat, "ulimit -l unlimited"));
    memsys_clear(&m);
}

static void test_memory_json(void)
{
    MemSys m;
    g_autoptr(ProbeReport) r = NULL;
    g_autofree char *json = NULL, *proc = NULL;
    json_object *root, *mem, *pools, *p, *fix;

    memsys_init(&m);
    r = memsys_scan(&m);
    json = probe_format_json(r);
    root = json_tokener_parse(json);
    g_assert_nonnull(root);
    /* the existing keys are still there */
    g_assert_cmpstr(member_str(root, "sysfs"), ==, m.root);
    g_assert_true(json_object_is_type(member(root, "iommufd"), json_type_boolean));
    g_assert_true(json_object_is_type(member(root, "noiommu_mode"), json_type_boolean));
    g_assert_cmpuint(json_object_array_length(member(root, "devices")), ==, 0);
    mem = member(root, "memory");
    proc = g_build_filename(m.tmp, "proc", NULL);
    g_assert_cmpstr(member_str(mem, "proc"), ==, proc);
    g_assert_cmpstr(member_str(mem, "thp_enabled"), ==, "madvise");
    g_assert_cmpstr(member_str(mem, "thp_shmem_enabled"), ==, "never");
    g_assert_cmpint(json_object_get_int64(member(mem, "pmd_size")), ==, 2 * MiB);
    /* read from the proc beside the sysfs root */
    g_assert_cmpint(json_object_get_int64(member(mem, "default_huge_page_size")), ==, GiB);
    pools = member(mem, "hugetlb_pools");
    g_assert_cmpuint(json_object_array_length(pools), ==, 2);
    p = json_object_array_get_idx(pools, 0);
    g_assert_cmpint(json_object_get_int64(member(p, "page_size")), ==, 2 * MiB);
    g_assert_cmpint(json_object_get_int64(member(p, "nr")), ==, 150);
    g_assert_cmpint(json_object_get_int64(member(p, "free")), ==, 22);
    g_assert_cmpint(json_object_get_int64(member(p, "resv")), ==, 0);
    g_assert_cmpint(json_object_get_int64(member(p, "max_guest_ram")), ==, 44 * MiB);
    g_assert_cmpstr(member_str(p, "option"), ==, "-object memory-backend-memfd,id=mem0,size=44M,"
                    "hugetlb=on,hugetlbsize=2M -M virt,memory-backend=mem0");
    p = json_object_array_get_idx(pools, 1);
    g_assert_cmpint(json_object_get_int64(member(p, "page_size")), ==, GiB);
    g_assert_cmpint(json_object_get_int64(member(p, "resv")), ==, 1);
    g_assert_cmpint(json_object_get_int64(member(p, "max_guest_ram")), ==, 0);
    g_assert_true(json_object_is_type(member(p, "option"), json_type_null));
    g_assert_cmpint(json_object_get_int64(member(mem, "memlock_limit")), ==, 64 * MiB);
    g_assert_false(json_object_get_boolean(member(mem, "cap_ipc_lock")));
    g_assert_cmpint(json_object_get_int64(member(mem, "max_vfio_guest_ram")), ==, 64 * MiB);
    g_assert_true(json_object_get_boolean(member(mem, "memlock_small")));
    fix = member(mem, "memlock_fix");
    g_assert_cmpuint(json_object_array_length(fix), ==, 3);
    g_assert_cmpstr(json_object_get_string(json_object_array_get_idx(fix, 0)), ==,
                    "ulimit -l unlimited");
    g_assert_cmpstr(json_object_get_string(json_object_array_get_idx(fix, 1)), ==,
                    "LimitMEMLOCK=infinity");
    json_object_put(root);
    g_clear_pointer(&json, g_free);

    /* no limit: nulls, no fixes */
    r->mem.memlock_limit = UINT64_MAX;
    json = probe_format_json(r);
    root = json_tokener_parse(json);
    mem = member(root, "memory");
    g_assert_true(json_object_is_type(member(mem, "memlock_limit"), json_type_null));
    g_assert_true(json_object_is_type(member(mem, "max_vfio_guest_ram"), json_type_null));
    g_assert_false(json_object_get_boolean(member(mem, "memlock_small")));
    g_assert_cmpuint(json_object_array_length(member(mem, "memlock_fix")), ==, 0);
    json_object_put(root);
    memsys_clear(&m);
}

static void test_irq_hint(void)
{
    g_autofree char *hint = vfio_irq_controller_hint("gpio-controller", "vfio-amba");

    assert_contains(hint, "its node says gpio-controller");
    assert_contains(hint, "until reboot");
    assert_contains(hint, "initcall_blacklist=");
    assert_contains(hint, "bind the device to vfio-amba");
    g_assert_null(strchr(hint, '\n'));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/probe/ready", test_ready);
    g_test_add_func("/probe/host-driver", test_host_driver);
    g_test_add_func("/probe/relative-root", test_relative_root);
    g_test_add_func("/probe/members-sorted", test_members_sorted);
    g_test_add_func("/probe/not-viable", test_not_viable);
    g_test_add_func("/probe/viable-with-pcieport", test_viable_with_pcieport);
    g_test_add_func("/probe/no-iommu-group", test_no_iommu_group);
    g_test_add_func("/probe/noiommu-group", test_noiommu_group);
    g_test_add_func("/probe/no-cdev", test_no_cdev);
    g_test_add_func("/probe/dma-no-iommu", test_dma_no_iommu);
    g_test_add_func("/probe/reset", test_reset);
    g_test_add_func("/probe/gpio-controller", test_gpio_controller);
    g_test_add_func("/probe/skipped", test_skipped);
    g_test_add_func("/probe/guest-node-error", test_guest_node_error);
    g_test_add_func("/probe/not-sysfs", test_not_sysfs);
    g_test_add_func("/probe/text", test_text);
    g_test_add_func("/probe/json", test_json);
    g_test_add_func("/probe/irq-hint", test_irq_hint);
    g_test_add_func("/probe/memory/proc-root", test_proc_root);
    g_test_add_func("/probe/memory/limits", test_memory_limits);
    g_test_add_func("/probe/memory/text", test_memory_text);
    g_test_add_func("/probe/memory/json", test_memory_json);
    return g_test_run();
}
