// SPDX-License-Identifier: GPL-2.0-only
/*
 * The virt board's device tree, one fdt_add_<node>() per node kind, then each device's own.
 * Bindings: Documentation/devicetree/bindings/ (arm/cpus.yaml, arm/psci.yaml,
 * interrupt-controller/arm,gic-v3.yaml and arm,gic.yaml, timer/arm,arch_timer.yaml, arm/pmu.yaml,
 * clock/fixed-clock.yaml, serial/pl011.yaml, chosen.txt, pci/host-generic-pci.yaml) of
 * Linux 6.1.
 */
#define G_LOG_DOMAIN "armpass-fdt"
#include "hw/arm/boot.h"
#include "hw/arm/virt.h"
#include "hw/char/pl011.h"
#include "hw/core/fdt.h"
#include "hw/gpio/pl061.h"
#include "hw/pci-host/gpex.h"

#include <inttypes.h>
#include <string.h>

#define VIRT_FDT_BUF_SIZE (1024 * 1024)

static bool fdt_add_root(void *fdt, GError **errp)
{
    static const char *const compat[] = { "linux,dummy-virt", NULL };
    FDT_CHECK(fdt_setprop_string(fdt, 0, "model", "armpass virt"));
    if (!fdt_setprop_strings(fdt, 0, "compatible", compat, errp)) {
        return false;
    }
    FDT_CHECK(fdt_setprop_u32(fdt, 0, "#address-cells", 2));
    FDT_CHECK(fdt_setprop_u32(fdt, 0, "#size-cells", 2));
    FDT_CHECK(fdt_setprop_u32(fdt, 0, "interrupt-parent", VIRT_PHANDLE_GIC));
    return true;
}

static bool fdt_add_cpus(void *fdt, const VirtFdtParams *p, GError **errp)
{
    int cpus, node;
    bool two_cells = false;

    for (unsigned i = 0; i < p->smp; i++) {
        two_cells |= (p->mpidr[i] & 0xff00000000ULL) != 0;
    }
    FDT_CHECK_OFFSET(cpus, fdt_add_subnode(fdt, 0, "cpus"));
    FDT_CHECK(fdt_setprop_u32(fdt, cpus, "#address-cells", two_cells ? 2 : 1));
    FDT_CHECK(fdt_setprop_u32(fdt, cpus, "#size-cells", 0));
    /* Added in reverse so that libfdt (which prepends) leaves cpu@0 first. */
    for (int i = (int)p->smp - 1; i >= 0; i--) {
        uint64_t aff = p->mpidr[i] & 0xff00ffffffULL; /* Aff3..Aff0 */
        g_autofree char *name = g_strdup_printf("cpu@%" PRIx64, aff);
        FDT_CHECK_OFFSET(node, fdt_add_subnode(fdt, cpus, name));
        FDT_CHECK(fdt_setprop_string(fdt, node, "device_type", "cpu"));
        FDT_CHECK(fdt_setprop_string(fdt, node, "compatible", "arm,arm-v8"));
        if (two_cells) {
            FDT_CHECK(fdt_setprop_u64(fdt, node, "reg", aff));
        } else {
            FDT_CHECK(fdt_setprop_u32(fdt, node, "reg", (uint32_t)aff));
        }
        FDT_CHECK(fdt_setprop_string(fdt, node, "enable-method", "psci"));
    }
    return true;
}

/* One memory node per bank of RAM (a direct-mapped guest may have several), added highest
 * first so that they end up in address order (fdt_add_subnode puts a node first). */
static bool fdt_add_memory(void *fdt, const VirtFdtParams *p, GError **errp)
{
    VirtRamBank one = { virt_memmap[VIRT_MEM].base, p->ram_size, 0 };
    const VirtRamBank *banks = p->nr_ram_banks ? p->ram_banks : &one;
    unsigned n = p->nr_ram_banks ? p->nr_ram_banks : 1;

    for (unsigned i = n; i-- > 0;) {
        uint64_t reg[2] = { banks[i].base, banks[i].size };
        g_autofree char *name = g_strdup_printf("memory@%" PRIx64, reg[0]);
        int node;

        FDT_CHECK_OFFSET(node, fdt_add_subnode(fdt, 0, name));
        FDT_CHECK(fdt_setprop_string(fdt, node, "device_type", "memory"));
        if (!fdt_setprop_reg64(fdt, node, reg, 1, errp)) {
            return false;
        }
    }
    return true;
}

static bool fdt_add_gic(void *fdt, const VirtFdtParams *p, GError **errp)
{
    uint64_t dist = virt_memmap[VIRT_GIC_DIST].base;
    g_autofree char *name = g_strdup_printf("intc@%" PRIx64, dist);
    int node;

    FDT_CHECK_OFFSET(node, fdt_add_subnode(fdt, 0, name));
    FDT_CHECK(fdt_setprop_u32(fdt, node, "#interrupt-cells", 3));
    FDT_CHECK(fdt_setprop(fdt, node, "interrupt-controller", NULL, 0));
    FDT_CHECK(fdt_setprop_u32(fdt, node, "#address-cells", 2));
    FDT_CHECK(fdt_setprop_u32(fdt, node, "#size-cells", 2));
    FDT_CHECK(fdt_setprop(fdt, node, "ranges", NULL, 0));
    FDT_CHECK(fdt_setprop_u32(fdt, node, "phandle", VIRT_PHANDLE_GIC));
    if (p->gic_version == 3) {
        uint64_t reg[4] = { dist, virt_memmap[VIRT_GIC_DIST].size,
                            virt_memmap[VIRT_GIC_REDIST].base, (uint64_t)p->smp * 0x20000 };
        FDT_CHECK(fdt_setprop_string(fdt, node, "compatible", "arm,gic-v3"));
        if (!fdt_setprop_reg64(fdt, node, reg, 2, errp)) {
            return false;
        }
        if (p->has_its) {
            uint64_t its_reg[2] = { virt_memmap[VIRT_GIC_ITS].base,
                                    virt_memmap[VIRT_GIC_ITS].size };
            g_autofree char *its_name = g_strdup_printf("its@%" PRIx64, its_reg[0]);
            int its;
            FDT_CHECK_OFFSET(its, fdt_add_subnode(fdt, node, its_name));
            FDT_CHECK(fdt_setprop_string(fdt, its, "compatible", "arm,gic-v3-its"));
            FDT_CHECK(fdt_setprop(fdt, its, "msi-controller", NULL, 0));
            FDT_CHECK(fdt_setprop_u32(fdt, its, "#msi-cells", 1));
            FDT_CHECK(fdt_setprop_u32(fdt, its, "phandle", VIRT_PHANDLE_ITS));
            if (!fdt_setprop_reg64(fdt, its, its_reg, 1, errp)) {
                return false;
            }
        }
    } else {
        /* arm,gic.yaml: the distributor's 4 KiB, then the CPU interface's 8 KiB. */
        uint64_t reg[4] = { dist, 0x1000, virt_memmap[VIRT_GIC_CPU].base, 0x2000 };
        FDT_CHECK(fdt_setprop_string(fdt, node, "compatible", "arm,cortex-a15-gic"));
        if (!fdt_setprop_reg64(fdt, node, reg, 2, errp)) {
            return false;
        }
    }
    return true;
}

static bool fdt_add_timer(void *fdt, const VirtFdtParams *p, GError **errp)
{
    /* The architected timer's PPIs: secure physical 13, non-secure physical 14, virtual 11,
     * hypervisor 10 (INTIDs 29, 30, 27, 26). GICv2 also names the CPUs they reach. */
    static const uint32_t ppis[] = { 13, 14, 11, 10 };
    uint32_t flags = FDT_IRQ_TYPE_LEVEL_HIGH;
    fdt32_t cells[12];
    int node;

    if (p->gic_version == 2) {
        flags |= ((1u << p->smp) - 1) << 8;
    }
    for (unsigned i = 0; i < 4; i++) {
        cells[i * 3] = cpu_to_fdt32(GIC_FDT_IRQ_TYPE_PPI);
        cells[i * 3 + 1] = cpu_to_fdt32(ppis[i]);
        cells[i * 3 + 2] = cpu_to_fdt32(flags);
    }
    FDT_CHECK_OFFSET(node, fdt_add_subnode(fdt, 0, "timer"));
    FDT_CHECK(fdt_setprop_string(fdt, node, "compatible", "arm,armv8-timer"));
    FDT_CHECK(fdt_setprop(fdt, node, "interrupts", cells, sizeof(cells)));
    FDT_CHECK(fdt_setprop(fdt, node, "always-on", NULL, 0));
    return true;
}

/* The PMUv3 (bindings/arm/pmu.yaml): its overflow interrupt, a level-high PPI on every vCPU
 * (GICv2 names the CPUs it reaches, as for the timer). */
static bool fdt_add_pmu(void *fdt, const VirtFdtParams *p, GError **errp)
{
    uint32_t flags = FDT_IRQ_TYPE_LEVEL_HIGH;
    fdt32_t cells[3];
    int node;

    if (!p->pmu) {
        return true;
    }
    if (p->gic_version == 2) {
        flags |= ((1u << p->smp) - 1) << 8;
    }
    cells[0] = cpu_to_fdt32(GIC_FDT_IRQ_TYPE_PPI);
    cells[1] = cpu_to_fdt32(VIRT_PMU_PPI);
    cells[2] = cpu_to_fdt32(flags);
    FDT_CHECK_OFFSET(node, fdt_add_subnode(fdt, 0, "pmu"));
    FDT_CHECK(fdt_setprop_string(fdt, node, "compatible", "arm,armv8-pmuv3"));
    FDT_CHECK(fdt_setprop(fdt, node, "interrupts", cells, sizeof(cells)));
    return true;
}

static bool fdt_add_psci(void *fdt, GError **errp)
{
    static const char *const compat[] = { "arm,psci-1.0", "arm,psci-0.2", NULL };
    int node;

    FDT_CHECK_OFFSET(node, fdt_add_subnode(fdt, 0, "psci"));
    if (!fdt_setprop_strings(fdt, node, "compatible", compat, errp)) {
        return false;
    }
    FDT_CHECK(fdt_setprop_string(fdt, node, "method", "hvc"));
    return true;
}

static bool fdt_add_apb_pclk(void *fdt, GError **errp)
{
    int node;

    FDT_CHECK_OFFSET(node, fdt_add_subnode(fdt, 0, "apb-pclk"));
    FDT_CHECK(fdt_setprop_string(fdt, node, "compatible", "fixed-clock"));
    FDT_CHECK(fdt_setprop_u32(fdt, node, "#clock-cells", 0));
    FDT_CHECK(fdt_setprop_u32(fdt, node, "clock-frequency", VIRT_APB_PCLK_HZ));
    FDT_CHECK(fdt_setprop_string(fdt, node, "clock-output-names", "clk24mhz"));
    FDT_CHECK(fdt_setprop_u32(fdt, node, "phandle", VIRT_PHANDLE_APB_PCLK));
    return true;
}

static bool fdt_add_chosen(void *fdt, const VirtFdtParams *p, const char *stdout_path,
                           GError **errp)
{
    uint8_t seed[32];
    int node;

    FDT_CHECK_OFFSET(node, fdt_add_subnode(fdt, 0, "chosen"));
    if (p->bootargs) {
        FDT_CHECK(fdt_setprop_string(fdt, node, "bootargs", p->bootargs));
    }
    FDT_CHECK(fdt_setprop_string(fdt, node, "stdout-path", stdout_path));
    if (p->initrd_start) {
        FDT_CHECK(fdt_setprop_u64(fdt, node, "linux,initrd-start", p->initrd_start));
        FDT_CHECK(fdt_setprop_u64(fdt, node, "linux,initrd-end", p->initrd_end));
    }
    /* Entropy for the guest's early boot, so it does not wait for its RNG to seed. */
    for (unsigned i = 0; i < sizeof(seed); i += 4) {
        uint32_t r = g_random_int();
        memcpy(seed + i, &r, 4);
    }
    FDT_CHECK(fdt_setprop(fdt, node, "rng-seed", seed, sizeof(seed)));
    return true;
}

/* The PCIe host bridge, when the board made one (some -device is a PCI device). */
static bool fdt_add_pcie(MachineState *ms, const VirtFdtParams *p, void *fdt, GError **errp)
{
    const GpexFdtParams gp = {
        .ecam_base = virt_memmap[VIRT_PCIE_ECAM].base,
        .ecam_size = virt_memmap[VIRT_PCIE_ECAM].size,
        .pio_base = virt_memmap[VIRT_PCIE_PIO].base,
        .pio_size = virt_memmap[VIRT_PCIE_PIO].size,
        .mmio_base = virt_memmap[VIRT_PCIE_MMIO].base,
        .mmio_size = virt_memmap[VIRT_PCIE_MMIO].size,
        .mmio64_base = virt_memmap[VIRT_PCIE_MMIO_HIGH].base,
        .mmio64_size = virt_memmap[VIRT_PCIE_MMIO_HIGH].size,
        .first_spi = virt_irqmap[VIRT_IRQ_PCIE],
        .gic_phandle = VIRT_PHANDLE_GIC,
        .its_phandle = p->gic_version == 3 && p->has_its ? VIRT_PHANDLE_ITS : 0,
    };

    return !ms->pci_bus || fdt_add_pcie_host(fdt, &gp, errp);
}

static bool virt_fdt_fill(MachineState *ms, const VirtFdtParams *p, void *fdt, GError **errp)
{
    g_autofree char *uart_path = NULL;
    int aliases;

    if (!fdt_add_root(fdt, errp) || !fdt_add_cpus(fdt, p, errp) ||
        !fdt_add_memory(fdt, p, errp) || !fdt_add_gic(fdt, p, errp) ||
        !fdt_add_timer(fdt, p, errp) || !fdt_add_pmu(fdt, p, errp) ||
        !fdt_add_psci(fdt, errp) ||
        !fdt_add_apb_pclk(fdt, errp) ||
        !pl011_fdt_add_node(fdt, virt_memmap[VIRT_UART].base, virt_irqmap[VIRT_IRQ_UART],
                            VIRT_PHANDLE_APB_PCLK, &uart_path, errp) ||
        !fdt_add_chosen(fdt, p, uart_path, errp) || !fdt_add_pcie(ms, p, fdt, errp) ||
        !pl061_fdt_add_node(fdt, virt_memmap[VIRT_GPIO].base, virt_irqmap[VIRT_IRQ_GPIO],
                            VIRT_PHANDLE_APB_PCLK, VIRT_PHANDLE_GPIO, errp) ||
        !gpio_keys_fdt_add_node(fdt, VIRT_PHANDLE_GPIO, VIRT_GPIO_POWER_LINE, PL061_KEY_POWER,
                                errp)) {
        return false;
    }
    FDT_CHECK_OFFSET(aliases, fdt_add_subnode(fdt, 0, "aliases"));
    FDT_CHECK(fdt_setprop_string(fdt, aliases, "serial0", uart_path));
    for (unsigned i = 0; ms->devices && i < ms->devices->len; i++) {
        DeviceState *dev = g_ptr_array_index(ms->devices, i);
        if (dev->klass->fdt_node && !dev->klass->fdt_node(dev, ms, fdt, errp)) {
            g_prefix_error(errp, "%s: device tree node: ", dev->id);
            return false;
        }
    }
    return true;
}

void *virt_fdt_build(MachineState *ms, const VirtFdtParams *p, size_t *size, GError **errp)
{
    g_autofree void *fdt = g_malloc0(VIRT_FDT_BUF_SIZE);
    int ret = fdt_create_empty_tree(fdt, VIRT_FDT_BUF_SIZE);

    if (ret < 0) {
        g_set_error(errp, ARMPASS_FDT_ERROR, -ret, "fdt_create_empty_tree: %s",
                    fdt_strerror(ret));
        return NULL;
    }
    if (!virt_fdt_fill(ms, p, fdt, errp)) {
        return NULL;
    }
    fdt_pack(fdt);
    *size = fdt_totalsize(fdt);
    g_assert(*size <= ARM64_DTB_MAX_SIZE);
    return g_steal_pointer(&fdt);
}
