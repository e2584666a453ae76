// SPDX-License-Identifier: GPL-2.0-only
/*
 * The "virt" machine: what lasts across runs (VirtBoard), run control, and one run's set-up
 * (RAM, vCPUs, vGIC, -device models, the PCIe host bridge, the device tree), main loop and
 * teardown. Its console is virt-console.c's, its boot images virt-boot.c's, its counters
 * virt-stats.c's, its QMP commands virt-qmp.c's.
 */
#define G_LOG_DOMAIN "armpass-virt"
#include "hw/arm/virt.h"
#include "virt-internal.h"

#include "accel/kvm.h"
#include "hw/arm/boot.h"
#include "hw/core/hotplug.h"
#include "hw/char/pl011.h"
#include "hw/gpio/pl061.h"
#include "hw/pci-host/gpex.h"
#include "hw/pci/pci.h"
#include "hw/pci/pcie-root-port.h"
#include "hw/vfio/vfio-common.h"
#include "system/notice.h"
#include "system/qmp.h"
#include "system/sandbox.h"
#include "system/tsan.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <libfdt.h>
#include <linux/kvm.h>
#include <sys/sysinfo.h>
#include <unistd.h>

G_DEFINE_QUARK(armpass-virt-error, virt_error)

/* What lasts across the runs of one armpass (guest reboots). Main thread. */
struct VirtBoard {
    const ArmpassConfig *cfg;
    QmpServer *qmp;         /* system/main.c's, which outlives each run; NULL: none */
    bool started_once;      /* -S holds only the first boot */
    bool hold_next;         /* a run that reset while stopped holds the next */
    /* SIGTERM/SIGINT: watched from the first run on, for the life of the board (not per run,
     * so that a signal between a guest reset and the next boot is not lost). */
    gint terminating;
    VirtMachine *current;   /* the run the signal ends, NULL between runs */
    guint sigterm_source, sigint_source; /* 0 until the first run watches them */
};

VirtBoard *virt_board_new(const ArmpassConfig *cfg, QmpServer *qmp)
{
    VirtBoard *b = g_new0(VirtBoard, 1);

    b->cfg = cfg;
    b->qmp = qmp;
    return b;
}

void virt_board_free(VirtBoard *b)
{
    if (!b) {
        return;
    }
    if (b->sigterm_source) {
        g_source_remove(b->sigterm_source);
        g_source_remove(b->sigint_source);
    }
    g_free(b);
}

VirtBoard *virt_machine_board(VirtMachine *vm)
{
    return vm->board;
}

/* --- run control ------------------------------------------------------------------------ */

void virt_quit(VirtMachine *vm, int event)
{
    g_atomic_int_compare_and_exchange(&vm->event, -1, event);
    g_main_loop_quit(vm->loop);
}

MachineState *virt_machine_state(VirtMachine *vm)
{
    return &vm->ms;
}

bool virt_paused(VirtMachine *vm)
{
    return vm->paused;
}

const char *virt_run_state(VirtMachine *vm)
{
    return vm->prelaunch ? "prelaunch" : vm->paused ? "paused" : "running";
}

void virt_set_paused(VirtMachine *vm, bool paused)
{
    vm->paused = paused;
    vm->prelaunch = false;
}

void virt_end_run(VirtMachine *vm, int event, const char *host_reason)
{
    vm->host_reason = host_reason;
    virt_quit(vm, event);
}

/* --- set-up ----------------------------------------------------------------------------- */

static bool virt_memory_init(VirtMachine *vm, GError **errp)
{
    memory_region_init_container(&vm->sysmem, "system", VIRT_ADDRESS_SPACE_SIZE);
    vm->ms.sysmem = &vm->sysmem;
    address_space_init(&vm->as, &vm->sysmem, "memory");
    vm->as_ready = true;
    vm->ms.as = &vm->as;
    /* The backend (system/main.c made it) outlives this run: guest RAM keeps its pages
     * across a reboot, as QEMU's does. */
    g_assert(vm->backend && vm->backend->size == vm->cfg->ram_size);
    vm->ram = g_new0(MemoryRegion, vm->banks->len);
    for (guint i = 0; i < vm->banks->len; i++) {
        const VirtRamBank *b = &g_array_index(vm->banks, VirtRamBank, i);
        g_autofree char *name = vm->banks->len == 1 ? g_strdup("ram")
                                                    : g_strdup_printf("ram%u", i);

        memory_region_init_ram_ptr(&vm->ram[i], name, b->size,
                                   (uint8_t *)vm->backend->host + b->offset);
    }
    vm->ram_ready = true;
    for (guint i = 0; i < vm->banks->len; i++) {
        const VirtRamBank *b = &g_array_index(vm->banks, VirtRamBank, i);

        if (!memory_region_add_subregion(&vm->sysmem, b->base, &vm->ram[i], 0, errp)) {
            return false;
        }
    }
    return !vm->ms.kvm ||
           address_space_add_listener(&vm->as, kvm_memory_listener(vm->ms.kvm), errp);
}

static bool virt_cpus_and_gic_init(VirtMachine *vm, GError **errp)
{
    const ArmpassConfig *cfg = vm->cfg;
    KvmState *kvm = vm->ms.kvm;
    KvmGicLayout layout;

    vm->mpidr = g_new0(uint64_t, cfg->smp);
    if (!kvm) {
        /* No KVM (dumpdtb on a machine without it): KVM's default MPIDR layout, GICv3. */
        for (unsigned i = 0; i < cfg->smp; i++) {
            vm->mpidr[i] = (1ULL << 31) | (i & 0xf) | ((uint64_t)(i >> 4) << 8);
        }
        vm->gic_version = cfg->gic_version == GIC_VERSION_HOST ? 3 : (int)cfg->gic_version;
        return true;
    }
    if (!kvm_create_vcpus(kvm, cfg->smp, &cfg->cpu, errp)) {
        return false;
    }
    for (unsigned i = 0; i < cfg->smp; i++) {
        if (!kvm_vcpu_get_mpidr(kvm, i, &vm->mpidr[i], errp)) {
            return false;
        }
    }
    if (cfg->gic_version == GIC_VERSION_HOST) {
        vm->gic_version = kvm_gic_supported(kvm, 3) ? 3 : 2;
    } else {
        vm->gic_version = cfg->gic_version;
        if (!kvm_gic_supported(kvm, vm->gic_version)) {
            g_set_error(errp, VIRT_ERROR, ENODEV,
                        "gic-version=%d: this host's KVM cannot emulate a GICv%d (use "
                        "-M virt,gic-version=host)", vm->gic_version, vm->gic_version);
            return false;
        }
    }
    if (vm->gic_version == 2 && cfg->smp > 8) {
        g_set_error(errp, VIRT_ERROR, EINVAL, "a GICv2 serves at most 8 vCPUs, not %u",
                    cfg->smp);
        return false;
    }
    layout = (KvmGicLayout){
        .version = vm->gic_version,
        .dist_base = virt_memmap[VIRT_GIC_DIST].base,
        .redist_base = virt_memmap[VIRT_GIC_REDIST].base,
        .redist_size = virt_memmap[VIRT_GIC_REDIST].size,
        .cpu_base = virt_memmap[VIRT_GIC_CPU].base,
        .its_base = virt_memmap[VIRT_GIC_ITS].base,
        .nr_irqs = VIRT_GIC_NR_IRQS,
    };
    /* The PMU's overflow interrupt once the vGIC is initialised (vcpu.rst 1.2). */
    return kvm_gic_create(kvm, &layout, errp) &&
           kvm_vcpus_init_pmu(kvm, 16 + VIRT_PMU_PPI, errp);
}

/* Creates every -device (properties checked) before anything is set up, so a typo costs
 * nothing; realize comes later, once memory and the vGIC exist. */
static bool virt_devices_create(VirtMachine *vm, GError **errp)
{
    for (unsigned i = 0; i < vm->cfg->devices->len; i++) {
        const OptList *ol = g_ptr_array_index(vm->cfg->devices, i);
        DeviceState *dev = device_create(virt_device_classes, ol, i, errp);
        if (!dev) {
            return false;
        }
        for (unsigned j = 0; dev->id_set && j < vm->ms.devices->len; j++) {
            DeviceState *other = g_ptr_array_index(vm->ms.devices, j);

            if (strcmp(other->id, dev->id) == 0) {
                g_set_error(errp, VIRT_ERROR, EINVAL, "-device %s: id=%s is taken by the "
                            "-device %s before it (give each device its own id)",
                            dev->klass->name, dev->id, other->klass->name);
                device_free(dev);
                return false;
            }
        }
        g_ptr_array_add(vm->ms.devices, dev);
    }
    return true;
}

/* The PCIe host bridge, when some -device's model is a PCI device: its root bus is
 * ms->pci_bus from then on. */
/* The PCIe host bridge's INTx lines (the OR of the devices on each, pci_set_intx). */
static void virt_pci_intx(void *opaque, unsigned spi, bool level)
{
    VirtMachine *vm = opaque;
    g_autoptr(GError) err = NULL;

    if (!machine_set_spi(&vm->ms, spi, level, &err)) {
        g_warning("pcie INTx: %s", err->message);
    }
}

static bool virt_pcie_create(VirtMachine *vm, GError **errp)
{
    const PCIWindow windows[] = {
        { PCI_WINDOW_MMIO32, virt_memmap[VIRT_PCIE_MMIO].base, virt_memmap[VIRT_PCIE_MMIO].size },
        { PCI_WINDOW_MMIO64, virt_memmap[VIRT_PCIE_MMIO_HIGH].base,
          virt_memmap[VIRT_PCIE_MMIO_HIGH].size },
        { PCI_WINDOW_IO, virt_memmap[VIRT_PCIE_PIO].base, virt_memmap[VIRT_PCIE_PIO].size },
    };
    bool needed = false;

    for (unsigned i = 0; i < vm->ms.devices->len; i++) {
        DeviceState *dev = g_ptr_array_index(vm->ms.devices, i);
        needed |= dev->klass->pci;
    }
    if (!needed) {
        return true;
    }
    vm->pcie = gpex_host_new(vm->ms.sysmem, vm->ms.as, virt_memmap[VIRT_PCIE_ECAM].base,
                             virt_memmap[VIRT_PCIE_ECAM].size, windows, G_N_ELEMENTS(windows),
                             errp);
    if (!vm->pcie) {
        return false;
    }
    vm->ms.pci_bus = vm->pcie->bus;
    vm->ms.pci_port_intx_spi = virt_irqmap[VIRT_IRQ_PCIE_PORTS];
    vm->ms.pci_port_intx_groups = VIRT_PCIE_PORT_NUM_IRQS / 4;
    pci_bus_set_intx_handler(vm->ms.pci_bus, virt_irqmap[VIRT_IRQ_PCIE], virt_pci_intx, vm);
    return true;
}

/* Bridges (pcie-root-port) first, so that a device given bus=ID finds its bus whatever
 * the command line's order; otherwise in command-line order. */
static bool virt_devices_realize(VirtMachine *vm, GError **errp)
{
    for (unsigned pass = 0; pass < 2; pass++) {
        for (unsigned i = 0; i < vm->ms.devices->len; i++) {
            DeviceState *dev = g_ptr_array_index(vm->ms.devices, i);
            bool bridge = dev->klass == &pcie_root_port_device_class;

            if (bridge != (pass == 0)) {
                continue;
            }
            if (!dev->klass->realize(dev, &vm->ms, errp)) {
                g_prefix_error(errp, "-device %s: ", dev->klass->name);
                return false;
            }
            dev->realized = true;
        }
    }
    return true;
}

static bool virt_fdt_create(VirtMachine *vm, GError **errp)
{
    const ArmpassConfig *cfg = vm->cfg;
    VirtFdtParams p = {
        .smp = cfg->smp,
        .mpidr = vm->mpidr,
        .gic_version = vm->gic_version,
        .has_its = vm->ms.kvm ? kvm_has_its(vm->ms.kvm) : vm->gic_version == 3,
        .ram_size = cfg->ram_size,
        .ram_banks = (const VirtRamBank *)(const void *)vm->banks->data,
        .nr_ram_banks = vm->banks->len,
        .bootargs = cfg->append,
    };

    if (vm->ms.kvm) {
        KvmVcpuFeatures f;

        kvm_vcpu_features(vm->ms.kvm, &f);
        p.pmu = f.pmu;
    } else {
        p.pmu = cfg->cpu.pmu != ONOFF_OFF; /* dumpdtb without KVM: as if KVM offered one */
    }
    if (!cfg->dtb) { /* -dtb: loaded and checked by virt_load_images */
        if (vm->initrd_size) {
            p.initrd_start = vm->layout.initrd_addr;
            p.initrd_end = vm->layout.initrd_addr + vm->layout.initrd_size;
        }
        vm->fdt = virt_fdt_build(&vm->ms, &p, &vm->fdt_size, errp);
        if (!vm->fdt) {
            return false;
        }
    }
    if (cfg->kernel && vm->kernel.format != ARM64_KERNEL_IMAGE) {
        /* The tree's size is known now: where it goes below or after an ELF or raw binary.
         * The initrd stays where the tree says (its place does not depend on the tree's). */
        uint64_t initrd_addr = vm->layout.initrd_addr;

        if (!virt_boot_plan(vm, errp)) {
            return false;
        }
        g_assert(vm->layout.initrd_addr == initrd_addr);
    }
    return true;
}

/* --- run and teardown ------------------------------------------------------------------- */

static void virt_system_event(void *opaque, uint32_t type)
{
    virt_quit(opaque, (int)type);
}

static gboolean virt_signal(gpointer opaque)
{
    VirtBoard *b = opaque;

    armpass_notice("terminating on signal");
    g_atomic_int_set(&b->terminating, 1);
    if (b->current) {
        virt_quit(b->current, KVM_SYSTEM_EVENT_SHUTDOWN);
    }
    return G_SOURCE_CONTINUE;
}

static void virt_signals_init(VirtBoard *b)
{
    if (!b->sigterm_source) {
        b->sigterm_source = g_unix_signal_add(SIGTERM, virt_signal, b);
        b->sigint_source = g_unix_signal_add(SIGINT, virt_signal, b);
    }
}

bool virt_reset_ends(VirtBoard *b)
{
    const ArmpassConfig *cfg = b->cfg;

    return cfg->no_reboot || cfg->sandbox || cfg->fds_passed || virt_terminate_requested(b);
}

bool virt_terminate_requested(VirtBoard *b)
{
    return g_atomic_int_get(&b->terminating);
}

static void virt_teardown(VirtMachine *vm)
{
    virt_stdin_stop(vm);
    if (vm->ms.kvm) {
        kvm_stop_vcpus(vm->ms.kvm);
    }
    /* In reverse, the devices before the bridges they may sit behind. */
    for (unsigned pass = 0; pass < 2; pass++) {
        for (int i = (int)vm->ms.devices->len - 1; i >= 0; i--) {
            DeviceState *dev = g_ptr_array_index(vm->ms.devices, i);
            bool bridge = dev->klass == &pcie_root_port_device_class;

            if (bridge != (pass == 1)) {
                continue;
            }
            if (dev->realized && dev->klass->unrealize) {
                dev->klass->unrealize(dev, &vm->ms);
            }
            dev->realized = false;
        }
    }
    for (unsigned i = 0; i < vm->ms.devices->len; i++) {
        device_free(g_ptr_array_index(vm->ms.devices, i));
    }
    g_ptr_array_set_size(vm->ms.devices, 0);
    vm->ms.pci_bus = NULL;
    g_clear_pointer(&vm->pcie, gpex_host_free);
    g_clear_pointer(&vm->ms.vfio, vfio_context_free);
    if (vm->uart) {
        if (pl011_mmio(vm->uart)->parent) {
            machine_unmap(&vm->ms, pl011_mmio(vm->uart));
        }
        pl011_free(vm->uart);
    }
    if (vm->power_release) {
        g_source_remove(vm->power_release);
    }
    if (vm->gpio) {
        if (pl061_mmio(vm->gpio)->parent) {
            machine_unmap(&vm->ms, pl061_mmio(vm->gpio));
        }
        pl061_free(vm->gpio);
    }
    if (vm->as_ready) {
        address_space_destroy(&vm->as); /* memslots go */
    }
    for (guint i = 0; vm->ram_ready && i < vm->banks->len; i++) {
        memory_region_finalize(&vm->ram[i]);
    }
    g_free(vm->ram);
    if (vm->banks) {
        g_array_unref(vm->banks);
    }
    memory_region_finalize(&vm->sysmem);
    kvm_destroy(vm->ms.kvm);
    if (vm->uart_fd_owned) {
        close(vm->uart_fd);
    }
    if (vm->proc_status_fd >= 0) {
        close(vm->proc_status_fd);
    }
    if (vm->proc_smaps_fd >= 0) {
        close(vm->proc_smaps_fd);
    }
    platform_bus_destroy(&vm->ms.pbus);
    g_ptr_array_unref(vm->ms.devices);
    if (vm->loop) {
        g_main_loop_unref(vm->loop);
    }
    g_free(vm->mpidr);
    g_free(vm->fdt);
    g_free(vm->ms.sysfs_root);
    arm64_kernel_close(&vm->kernel);
    if (vm->initrd_fd >= 0) {
        close(vm->initrd_fd);
    }
}

static bool virt_setup(VirtMachine *vm, GError **errp)
{
    g_autoptr(GError) kvm_err = NULL;

    if (!virt_ram_banks(vm, errp) || !virt_devices_create(vm, errp) ||
        !virt_load_images(vm, errp)) {
        return false;
    }
    vm->ms.kvm = kvm_init_fd(&host_ops_system, "/dev/kvm", vm->cfg->kvm_fd, &kvm_err);
    if (!vm->ms.kvm && !vm->cfg->dumpdtb) {
        g_propagate_error(errp, g_steal_pointer(&kvm_err));
        return false;
    }
    if (kvm_err) {
        g_debug("dumpdtb without KVM: %s", kvm_err->message);
    } else {
        vm->ms.irq_ops = &kvm_machine_irq_ops;
        vm->ms.irq_opaque = vm->ms.kvm;
    }
    if (!virt_memory_init(vm, errp) || !virt_load_kernel(vm, errp) ||
        !virt_cpus_and_gic_init(vm, errp)) {
        return false;
    }
    vm->ms.max_spi = VIRT_GIC_NR_IRQS - 32 - 1;
    platform_bus_reserve_spi(&vm->ms.pbus, virt_irqmap[VIRT_IRQ_UART], vm->ms.max_spi, NULL);
    platform_bus_reserve_spi(&vm->ms.pbus, virt_irqmap[VIRT_IRQ_GPIO], vm->ms.max_spi, NULL);
    for (unsigned i = 0; i < VIRT_PCIE_NUM_IRQS; i++) {
        /* The PCIe host bridge's INTA..INTD: never an irq-base= of a platform device. */
        platform_bus_reserve_spi(&vm->ms.pbus, virt_irqmap[VIRT_IRQ_PCIE] + i, vm->ms.max_spi,
                                 NULL);
    }
    for (unsigned i = 0; i < VIRT_PCIE_PORT_NUM_IRQS; i++) {
        /* The root ports' slot lines, likewise: a second source on one would drop the
         * other's level (KVM keeps one level per SPI). */
        platform_bus_reserve_spi(&vm->ms.pbus, virt_irqmap[VIRT_IRQ_PCIE_PORTS] + i,
                                 vm->ms.max_spi, NULL);
    }
    if (!virt_uart_create(vm, errp) || !virt_gpio_create(vm, errp) ||
        !virt_pcie_create(vm, errp) ||
        !virt_devices_realize(vm, errp) ||
        !address_space_commit(&vm->as, errp) || !virt_fdt_create(vm, errp)) {
        return false;
    }
    if (vm->cfg->dumpdtb) {
        return true;
    }
    return virt_load_into_ram(vm, errp);
}

/*
 * -sandbox on, once everything is set up and before any thread starts: no capability, and
 * the run loop's seccomp filter (system/sandbox.c). -d stats reads /proc/self files later,
 * so they are opened now.
 */
static bool virt_sandbox(VirtMachine *vm, GError **errp)
{
    if (vm->cfg->stats || vm->board->qmp) { /* -d stats, x-armpass-query-stats */
        vm->proc_status_fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
        vm->proc_smaps_fd = open("/proc/self/smaps", O_RDONLY | O_CLOEXEC);
    }
    /* g_printerr (-d stats at exit) looks up the console's charset once (GLib reads its
     * charset.alias) and converts to it (iconv loads its module cache): both done now, with
     * an empty message, while opening files is allowed. */
    g_printerr("%s", "");
    if (!sandbox_drop_capabilities(errp) || !sandbox_install_seccomp(errp)) {
        return false;
    }
    g_debug("sandbox: capabilities dropped, seccomp filter installed");
    return true;
}

/* ms->device_failed: a device's backend failed while the guest runs. */
static void virt_device_failed(void *opaque, const char *id, const char *reason)
{
    VirtBoard *b = opaque;

    if (b->qmp) {
        qmp_event_device_failed(b->qmp, id, reason);
    }
}

/* ms->device_deleted: the guest let a device_del'd device go and it is gone. */
static void virt_device_deleted(void *opaque, const char *id, const char *path)
{
    VirtBoard *b = opaque;

    if (b->qmp) {
        qmp_event_device_deleted(b->qmp, id, path);
    }
}

int virt_machine_run(VirtBoard *board, HostMemBackend *ram, GError **errp)
{
    const ArmpassConfig *cfg = board->cfg;
    VirtMachine vm = {
        .cfg = cfg,
        .backend = ram,
        .event = -1,
        .uart_fd = -1,
        .proc_status_fd = -1,
        .proc_smaps_fd = -1,
        .kernel = { .fd = -1 },
        .initrd_fd = -1,
        .board = board,
        .ms = {
            .cfg = cfg,
            .ops = &host_ops_system,
            .models = virt_device_classes,
            .ram_backend = ram,
            .device_request = machine_hotplug_host_request, /* VFIO's request interrupt */
            .gic_phandle = VIRT_PHANDLE_GIC,
            .apb_pclk_phandle = VIRT_PHANDLE_APB_PCLK,
            .next_phandle = VIRT_PHANDLE_FIRST_FREE,
            .devices = g_ptr_array_new(),
            .main_context = g_main_context_default(),
            .device_deleted = virt_device_deleted,
            .device_deleted_opaque = board,
            .device_failed = virt_device_failed,
            .sysfs_root = g_strdup("/sys"),
        },
    };
    int status = -1;

    platform_bus_init(&vm.ms.pbus, virt_memmap[VIRT_PLATFORM_BUS].base,
                      virt_memmap[VIRT_PLATFORM_BUS].size, virt_irqmap[VIRT_IRQ_PLATFORM_BUS],
                      VIRT_PLATFORM_BUS_NUM_IRQS);
    if (!virt_setup(&vm, errp)) {
        virt_teardown(&vm);
        return -1;
    }
    if (cfg->dumpdtb) {
        status = virt_write_dumpdtb(&vm, errp) ? 0 : -1;
        virt_teardown(&vm);
        return status;
    }
    if (cfg->sandbox && !virt_sandbox(&vm, errp)) {
        virt_teardown(&vm);
        return -1;
    }
    vm.loop = g_main_loop_new(NULL, FALSE);
    virt_signals_init(board);
    board->current = &vm;
    if (virt_terminate_requested(board)) {
        virt_quit(&vm, KVM_SYSTEM_EVENT_SHUTDOWN);
    }
    virt_stdin_start(&vm);
    vm.ms.guest_running = true; /* from now on a plugged device is hot-plugged */
    /* -S holds the first boot until QMP cont; a guest reset while stopped keeps it stopped
     * (as QEMU does): the new VM waits for cont too. */
    if ((cfg->start_paused && !board->started_once) || board->hold_next) {
        kvm_hold_vcpus(vm.ms.kvm);
        vm.paused = true;
        vm.prelaunch = !board->started_once;
    }
    board->started_once = true;
    board->hold_next = false;
    if (!kvm_start_vcpus(vm.ms.kvm, &vm.as, virt_system_event, &vm, errp)) {
        board->current = NULL;
        virt_teardown(&vm);
        return -1;
    }
    if (board->qmp) {
        virt_qmp_attach(board->qmp, &vm);
    }
    g_main_loop_run(vm.loop);
    board->current = NULL;
    kvm_stop_vcpus(vm.ms.kvm);
    if (board->qmp) {
        virt_qmp_detach(board->qmp, &vm, g_atomic_int_get(&vm.event), vm.host_reason,
                        virt_reset_ends(board));
    }
    switch (g_atomic_int_get(&vm.event)) {
    case KVM_SYSTEM_EVENT_SHUTDOWN:
        status = 0;
        break;
    case KVM_SYSTEM_EVENT_RESET:
        status = ARMPASS_EXIT_GUEST_RESET;
        board->hold_next = vm.paused;
        break;
    default:
        g_set_error(errp, VIRT_ERROR, EIO, "the guest stopped on a vCPU error (see above)");
        status = -1;
        break;
    }
    if (cfg->stats) {
        virt_print_stats(&vm);
    }
    virt_teardown(&vm);
    return status;
}
