// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests: the virt board's generated device tree, read back with libfdt. */
#include "hw/arm/boot.h"
#include "hw/arm/virt.h"
#include "hw/pci/pci.h"

#include <libfdt.h>
#include <string.h>

typedef struct Fixture {
    MachineState ms;
    MemoryRegion sysmem;
    ArmpassConfig cfg;
    uint64_t mpidr[4];
    VirtFdtParams p;
    void *fdt;
    size_t size;
} Fixture;

static void fixture_init(Fixture *f, unsigned smp, int gic)
{
    memset(f, 0, sizeof(*f));
    armpass_config_init(&f->cfg);
    memory_region_init_container(&f->sysmem, "system", VIRT_ADDRESS_SPACE_SIZE);
    f->ms = (MachineState){
        .cfg = &f->cfg,
        .sysmem = &f->sysmem,
        .max_spi = VIRT_GIC_NR_IRQS - 33,
        .gic_phandle = VIRT_PHANDLE_GIC,
        .apb_pclk_phandle = VIRT_PHANDLE_APB_PCLK,
        .next_phandle = VIRT_PHANDLE_FIRST_FREE,
        .devices = g_ptr_array_new(),
    };
    platform_bus_init(&f->ms.pbus, virt_memmap[VIRT_PLATFORM_BUS].base,
                      virt_memmap[VIRT_PLATFORM_BUS].size, virt_irqmap[VIRT_IRQ_PLATFORM_BUS],
                      VIRT_PLATFORM_BUS_NUM_IRQS);
    for (unsigned i = 0; i < smp; i++) {
        f->mpidr[i] = (1ULL << 31) | i;
    }
    f->p = (VirtFdtParams){
        .smp = smp,
        .mpidr = f->mpidr,
        .gic_version = gic,
        .has_its = gic == 3,
        .ram_size = 256 << 20,
        .bootargs = "console=ttyAMA0 quiet",
        .initrd_start = 0x48000000,
        .initrd_end = 0x48100000,
    };
}

static void fixture_build(Fixture *f)
{
    g_autoptr(GError) err = NULL;
    f->fdt = virt_fdt_build(&f->ms, &f->p, &f->size, &err);
    g_assert_no_error(err);
    g_assert_nonnull(f->fdt);
    g_assert_cmpint(fdt_check_header(f->fdt), ==, 0);
    g_assert_cmpuint(f->size, ==, fdt_totalsize(f->fdt));
    g_assert_cmpuint(f->size, <=, ARM64_DTB_MAX_SIZE);
}

static void fixture_clear(Fixture *f)
{
    for (unsigned i = 0; i < f->ms.devices->len; i++) {
        DeviceState *dev = g_ptr_array_index(f->ms.devices, i);
        if (dev->klass->unrealize) {
            dev->klass->unrealize(dev, &f->ms);
        }
        device_free(dev);
    }
    g_ptr_array_unref(f->ms.devices);
    platform_bus_destroy(&f->ms.pbus);
    memory_region_finalize(&f->sysmem);
    armpass_config_clear(&f->cfg);
    g_free(f->fdt);
}

static int node(Fixture *f, const char *path)
{
    int off = fdt_path_offset(f->fdt, path);
    if (off < 0) {
        g_error("node %s: %s", path, fdt_strerror(off));
    }
    return off;
}

static const void *prop(Fixture *f, const char *path, const char *name, int *len)
{
    const void *v = fdt_getprop(f->fdt, node(f, path), name, len);
    if (!v) {
        g_error("%s:%s missing", path, name);
    }
    return v;
}

static uint32_t cell(const void *v, unsigned i)
{
    return fdt32_to_cpu(((const fdt32_t *)v)[i]);
}

static uint64_t reg64(const void *v, unsigned i)
{
    return ((uint64_t)cell(v, 2 * i) << 32) | cell(v, 2 * i + 1);
}

/* A "compatible"-style string list, joined with '|' for comparison. */
static char *strlist(Fixture *f, const char *path, const char *name)
{
    int len;
    const char *v = prop(f, path, name, &len);
    GString *s = g_string_new(NULL);
    for (int off = 0; off < len; off += strlen(v + off) + 1) {
        g_string_append_printf(s, "%s%s", off ? "|" : "", v + off);
    }
    return g_string_free(s, FALSE);
}

static void test_board_gicv3(void)
{
    Fixture f;
    int len;
    const void *v;
    g_autofree char *compat = NULL, *uart_compat = NULL, *clock_names = NULL;

    fixture_init(&f, 2, 3);
    fixture_build(&f);
    g_assert_cmpint(fdt_address_cells(f.fdt, 0), ==, 2);
    /* cpus: both, MPIDR affinity as reg, in order, PSCI */
    v = prop(&f, "/cpus/cpu@0", "reg", &len);
    g_assert_cmpint(len, ==, 4);
    g_assert_cmpuint(cell(v, 0), ==, 0);
    v = prop(&f, "/cpus/cpu@1", "reg", &len);
    g_assert_cmpuint(cell(v, 0), ==, 1);
    g_assert_cmpstr(prop(&f, "/cpus/cpu@1", "enable-method", NULL), ==, "psci");
    g_assert_cmpint(fdt_subnode_offset(f.fdt, node(&f, "/cpus"), "cpu@0"), <,
                    fdt_subnode_offset(f.fdt, node(&f, "/cpus"), "cpu@1"));
    /* memory */
    v = prop(&f, "/memory@40000000", "reg", &len);
    g_assert_cmpint(len, ==, 16);
    g_assert_cmphex(reg64(v, 0), ==, 0x40000000);
    g_assert_cmphex(reg64(v, 1), ==, 256 << 20);
    /* GICv3: distributor and 2 redistributor frames, ITS, phandle = interrupt-parent */
    g_assert_cmpstr(prop(&f, "/intc@8000000", "compatible", NULL), ==, "arm,gic-v3");
    v = prop(&f, "/intc@8000000", "reg", &len);
    g_assert_cmpint(len, ==, 32);
    g_assert_cmphex(reg64(v, 0), ==, virt_memmap[VIRT_GIC_DIST].base);
    g_assert_cmphex(reg64(v, 2), ==, virt_memmap[VIRT_GIC_REDIST].base);
    g_assert_cmphex(reg64(v, 3), ==, 2 * 0x20000);
    g_assert_cmpuint(cell(prop(&f, "/intc@8000000", "#interrupt-cells", NULL), 0), ==, 3);
    g_assert_cmpuint(fdt_get_phandle(f.fdt, node(&f, "/intc@8000000")), ==,
                     cell(prop(&f, "/", "interrupt-parent", NULL), 0));
    g_assert_cmpstr(prop(&f, "/intc@8000000/its@8080000", "compatible", NULL), ==,
                    "arm,gic-v3-its");
    /* timer: 4 PPIs, level-high, no CPU mask on v3 */
    v = prop(&f, "/timer", "interrupts", &len);
    g_assert_cmpint(len, ==, 48);
    g_assert_cmpuint(cell(v, 0), ==, 1);
    g_assert_cmpuint(cell(v, 1), ==, 13);
    g_assert_cmphex(cell(v, 2), ==, 4);
    g_assert_cmpuint(cell(v, 7), ==, 11);
    /* PSCI through HVC */
    compat = strlist(&f, "/psci", "compatible");
    g_assert_cmpstr(compat, ==, "arm,psci-1.0|arm,psci-0.2");
    g_assert_cmpstr(prop(&f, "/psci", "method", NULL), ==, "hvc");
    /* the console UART: both compatibles, SPI 1 level-high, apb_pclk */
    uart_compat = strlist(&f, "/pl011@9000000", "compatible");
    g_assert_cmpstr(uart_compat, ==, "arm,pl011|arm,primecell");
    v = prop(&f, "/pl011@9000000", "interrupts", &len);
    g_assert_cmpint(len, ==, 12);
    g_assert_cmpuint(cell(v, 0), ==, 0);
    g_assert_cmpuint(cell(v, 1), ==, 1);
    g_assert_cmpuint(cell(v, 2), ==, 4);
    clock_names = strlist(&f, "/pl011@9000000", "clock-names");
    g_assert_cmpstr(clock_names, ==, "uartclk|apb_pclk");
    v = prop(&f, "/pl011@9000000", "clocks", &len);
    g_assert_cmpuint(cell(v, 1), ==, fdt_get_phandle(f.fdt, node(&f, "/apb-pclk")));
    g_assert_cmpuint(cell(prop(&f, "/apb-pclk", "clock-frequency", NULL), 0), ==, 24000000);
    /* chosen */
    g_assert_cmpstr(prop(&f, "/chosen", "bootargs", NULL), ==, "console=ttyAMA0 quiet");
    g_assert_cmpstr(prop(&f, "/chosen", "stdout-path", NULL), ==, "/pl011@9000000");
    v = prop(&f, "/chosen", "linux,initrd-start", &len);
    g_assert_cmpint(len, ==, 8);
    g_assert_cmphex(reg64(v, 0), ==, 0x48000000);
    g_assert_cmphex(reg64(prop(&f, "/chosen", "linux,initrd-end", NULL), 0), ==, 0x48100000);
    fixture_clear(&f);
}

static void test_board_gicv2(void)
{
    Fixture f;
    int len;
    const void *v;

    fixture_init(&f, 2, 2);
    f.p.initrd_start = f.p.initrd_end = 0;
    f.p.bootargs = NULL;
    fixture_build(&f);
    g_assert_cmpstr(prop(&f, "/intc@8000000", "compatible", NULL), ==, "arm,cortex-a15-gic");
    v = prop(&f, "/intc@8000000", "reg", &len);
    g_assert_cmphex(reg64(v, 2), ==, virt_memmap[VIRT_GIC_CPU].base);
    g_assert_cmpint(fdt_path_offset(f.fdt, "/intc@8000000/its@8080000"), <, 0);
    /* GICv2 PPIs name the CPUs they reach: 2 vCPUs -> mask 0x3 in bits 8..15 */
    v = prop(&f, "/timer", "interrupts", &len);
    g_assert_cmphex(cell(v, 2), ==, 0x304);
    g_assert_null(fdt_getprop(f.fdt, node(&f, "/chosen"), "bootargs", NULL));
    g_assert_null(fdt_getprop(f.fdt, node(&f, "/chosen"), "linux,initrd-start", NULL));
    fixture_clear(&f);
}

/* With a PMU, a node arm,armv8-pmuv3 on PPI 7 (INTID 23), level-high; on a GICv2 with the
 * CPU mask of the vCPUs it reaches; none without. */
static void test_pmu_node(void)
{
    Fixture f;
    int len;
    const void *v;

    fixture_init(&f, 2, 3);
    f.p.pmu = true;
    fixture_build(&f);
    g_assert_cmpstr(prop(&f, "/pmu", "compatible", NULL), ==, "arm,armv8-pmuv3");
    v = prop(&f, "/pmu", "interrupts", &len);
    g_assert_cmpint(len, ==, 12);
    g_assert_cmpuint(cell(v, 0), ==, 1); /* PPI */
    g_assert_cmpuint(cell(v, 1), ==, 7);
    g_assert_cmphex(cell(v, 2), ==, 4);
    fixture_clear(&f);

    fixture_init(&f, 3, 2);
    f.p.pmu = true;
    fixture_build(&f);
    v = prop(&f, "/pmu", "interrupts", &len);
    g_assert_cmphex(cell(v, 2), ==, 0x704);
    fixture_clear(&f);

    fixture_init(&f, 2, 3);
    fixture_build(&f);
    g_assert_cmpint(fdt_path_offset(f.fdt, "/pmu"), <, 0);
    fixture_clear(&f);
}

static void test_platform_device_node(void)
{
    Fixture f;
    g_autoptr(OptList) ol = NULL;
    g_autoptr(GError) err = NULL;
    DeviceState *dev;
    const void *v;
    int len;

    fixture_init(&f, 1, 3);
    g_assert_true(opt_list_parse("pl011", true, &ol, &err));
    dev = device_create(virt_device_classes, ol, 0, &err);
    g_assert_no_error(err);
    g_assert_true(dev->klass->realize(dev, &f.ms, &err));
    g_assert_no_error(err);
    g_ptr_array_add(f.ms.devices, dev);
    fixture_build(&f);
    /* first slot of the platform-bus window, first reserved SPI */
    v = prop(&f, "/pl011@c000000", "reg", &len);
    g_assert_cmphex(reg64(v, 0), ==, virt_memmap[VIRT_PLATFORM_BUS].base);
    v = prop(&f, "/pl011@c000000", "interrupts", &len);
    g_assert_cmpuint(cell(v, 1), ==, virt_irqmap[VIRT_IRQ_PLATFORM_BUS]);
    fixture_clear(&f);
}

static void test_device_overlap_refused(void)
{
    Fixture f;
    g_autoptr(OptList) a = NULL, b = NULL;
    g_autoptr(GError) err = NULL;
    DeviceState *d1, *d2;

    fixture_init(&f, 1, 3);
    g_assert_true(opt_list_parse("pl011,mmio-base=0x9100000", true, &a, &err));
    g_assert_true(opt_list_parse("pl011,mmio-base=0x9100000", true, &b, &err));
    d1 = device_create(virt_device_classes, a, 0, &err);
    d2 = device_create(virt_device_classes, b, 1, &err);
    g_assert_true(d1->klass->realize(d1, &f.ms, &err));
    g_ptr_array_add(f.ms.devices, d1);
    g_assert_false(d2->klass->realize(d2, &f.ms, &err));
    g_assert_nonnull(err);
    g_assert_nonnull(strstr(err->message, "overlaps"));
    device_free(d2);
    fixture_clear(&f);
}

/* A machine with a PCI device: the board made the host bridge (the tree never looks into
 * the bus, so a stand-in pointer does). */
static void fixture_init_pci(Fixture *f, int gic)
{
    static int bus_standin;
    fixture_init(f, 1, gic);
    f->ms.pci_bus = (struct PCIBus *)&bus_standin;
}

#define PCIE "/pcie@3f000000"

static void test_pcie_node(void)
{
    Fixture f;
    int len;
    const void *v;

    fixture_init_pci(&f, 3);
    fixture_build(&f);
    g_assert_cmpstr(prop(&f, PCIE, "compatible", NULL), ==, "pci-host-ecam-generic");
    g_assert_cmpstr(prop(&f, PCIE, "device_type", NULL), ==, "pci");
    g_assert_cmpuint(cell(prop(&f, PCIE, "#address-cells", NULL), 0), ==, 3);
    g_assert_cmpuint(cell(prop(&f, PCIE, "#size-cells", NULL), 0), ==, 2);
    g_assert_cmpuint(cell(prop(&f, PCIE, "#interrupt-cells", NULL), 0), ==, 1);
    g_assert_cmpuint(cell(prop(&f, PCIE, "linux,pci-domain", &len), 0), ==, 0);
    g_assert_cmpint(len, ==, 4);
    prop(&f, PCIE, "dma-coherent", &len);
    g_assert_cmpint(len, ==, 0);
    /* reg: the ECAM window; bus-range: its 16 buses */
    v = prop(&f, PCIE, "reg", &len);
    g_assert_cmpint(len, ==, 16);
    g_assert_cmphex(reg64(v, 0), ==, 0x3f000000);
    g_assert_cmphex(reg64(v, 1), ==, 0x01000000);
    v = prop(&f, PCIE, "bus-range", &len);
    g_assert_cmpint(len, ==, 8);
    g_assert_cmpuint(cell(v, 0), ==, 0);
    g_assert_cmpuint(cell(v, 1), ==, 15);
    /* ranges: 3 x (phys.hi, PCI addr 2 cells, CPU addr 2 cells, size 2 cells) */
    v = prop(&f, PCIE, "ranges", &len);
    g_assert_cmpint(len, ==, 3 * 7 * 4);
    g_assert_cmphex(cell(v, 0), ==, 0x01000000); /* I/O at PCI 0 */
    g_assert_cmphex(((uint64_t)cell(v, 1) << 32) | cell(v, 2), ==, 0);
    g_assert_cmphex(((uint64_t)cell(v, 3) << 32) | cell(v, 4), ==, 0x3eff0000);
    g_assert_cmphex(((uint64_t)cell(v, 5) << 32) | cell(v, 6), ==, 0x10000);
    g_assert_cmphex(cell(v, 7), ==, 0x02000000); /* 32-bit, PCI = CPU */
    g_assert_cmphex(((uint64_t)cell(v, 8) << 32) | cell(v, 9), ==, 0x10000000);
    g_assert_cmphex(((uint64_t)cell(v, 10) << 32) | cell(v, 11), ==, 0x10000000);
    g_assert_cmphex(((uint64_t)cell(v, 12) << 32) | cell(v, 13), ==, 0x2eff0000);
    g_assert_cmphex(cell(v, 14), ==, 0x43000000); /* 64-bit prefetchable, PCI = CPU */
    g_assert_cmphex(((uint64_t)cell(v, 15) << 32) | cell(v, 16), ==, 0x8000000000);
    g_assert_cmphex(((uint64_t)cell(v, 17) << 32) | cell(v, 18), ==, 0x8000000000);
    g_assert_cmphex(((uint64_t)cell(v, 19) << 32) | cell(v, 20), ==, 0x8000000000);
    /* interrupt-map-mask: the slot's low 2 bits and the pin */
    v = prop(&f, PCIE, "interrupt-map-mask", &len);
    g_assert_cmpint(len, ==, 16);
    g_assert_cmphex(cell(v, 0), ==, 0x1800);
    g_assert_cmphex(cell(v, 1), ==, 0);
    g_assert_cmphex(cell(v, 2), ==, 0);
    g_assert_cmphex(cell(v, 3), ==, 7);
    /* msi-map: requester ID -> ITS DeviceID, identity over 0x10000 IDs */
    v = prop(&f, PCIE, "msi-map", &len);
    g_assert_cmpint(len, ==, 16);
    g_assert_cmpuint(cell(v, 0), ==, 0);
    g_assert_cmpuint(cell(v, 1), ==, fdt_get_phandle(f.fdt, node(&f, "/intc@8000000/its@8080000")));
    g_assert_cmpuint(cell(v, 2), ==, 0);
    g_assert_cmphex(cell(v, 3), ==, 0x10000);
    fixture_clear(&f);
}

/* All 16 interrupt-map entries: slot s, pin p -> GIC SPI 3 + (s + p - 1) % 4, level-high. */
static void test_pcie_interrupt_map(void)
{
    Fixture f;
    int len;
    const void *v;

    fixture_init_pci(&f, 3);
    fixture_build(&f);
    v = prop(&f, PCIE, "interrupt-map", &len);
    g_assert_cmpint(len, ==, 16 * 10 * 4);
    for (unsigned slot = 0; slot < 4; slot++) {
        for (unsigned pin = 1; pin <= 4; pin++) {
            unsigned e = (slot * 4 + pin - 1) * 10;
            g_assert_cmphex(cell(v, e), ==, slot << 11);
            g_assert_cmphex(cell(v, e + 1), ==, 0);
            g_assert_cmphex(cell(v, e + 2), ==, 0);
            g_assert_cmpuint(cell(v, e + 3), ==, pin);
            g_assert_cmpuint(cell(v, e + 4), ==, VIRT_PHANDLE_GIC);
            g_assert_cmpuint(cell(v, e + 5), ==, 0); /* the GIC's 2 address cells */
            g_assert_cmpuint(cell(v, e + 6), ==, 0);
            g_assert_cmpuint(cell(v, e + 7), ==, 0); /* SPI */
            g_assert_cmpuint(cell(v, e + 8), ==, 3 + (slot + pin - 1) % 4);
            g_assert_cmpuint(cell(v, e + 8), ==, pci_intx_spi(virt_irqmap[VIRT_IRQ_PCIE],
                                                              slot, pin));
            g_assert_cmpuint(cell(v, e + 9), ==, 4); /* level-high */
        }
    }
    /* the GIC's #address-cells is what the map's parent unit address assumes */
    g_assert_cmpuint(cell(prop(&f, "/intc@8000000", "#address-cells", NULL), 0), ==, 2);
    fixture_clear(&f);
}

static void test_pcie_gicv2_no_msi(void)
{
    Fixture f;

    fixture_init_pci(&f, 2);
    f.p.has_its = false;
    fixture_build(&f);
    prop(&f, PCIE, "interrupt-map", NULL);
    g_assert_null(fdt_getprop(f.fdt, node(&f, PCIE), "msi-map", NULL));
    fixture_clear(&f);
    /* a GICv3 without an in-kernel ITS: no msi-map either */
    fixture_init_pci(&f, 3);
    f.p.has_its = false;
    fixture_build(&f);
    g_assert_null(fdt_getprop(f.fdt, node(&f, PCIE), "msi-map", NULL));
    fixture_clear(&f);
}

static void test_pcie_absent_without_pci(void)
{
    Fixture f;

    fixture_init(&f, 1, 3);
    fixture_build(&f);
    g_assert_cmpint(fdt_path_offset(f.fdt, PCIE), ==, -FDT_ERR_NOTFOUND);
    g_assert_cmpint(fdt_node_offset_by_compatible(f.fdt, -1, "pci-host-ecam-generic"), <, 0);
    fixture_clear(&f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/fdt/board-gicv3", test_board_gicv3);
    g_test_add_func("/fdt/board-gicv2", test_board_gicv2);
    g_test_add_func("/fdt/pmu-node", test_pmu_node);
    g_test_add_func("/fdt/platform-device-node", test_platform_device_node);
    g_test_add_func("/fdt/device-overlap-refused", test_device_overlap_refused);
    g_test_add_func("/fdt/pcie-node", test_pcie_node);
    g_test_add_func("/fdt/pcie-interrupt-map", test_pcie_interrupt_map);
    g_test_add_func("/fdt/pcie-gicv2-no-msi", test_pcie_gicv2_no_msi);
    g_test_add_func("/fdt/pcie-absent-without-pci", test_pcie_absent_without_pci);
    return g_test_run();
}
