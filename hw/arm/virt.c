// SPDX-License-Identifier: GPL-2.0-only
/*
 * The "virt" machine: memory and IRQ maps, RAM, vCPUs, vGIC, the console UART, -device
 * models, the device tree, the boot images, and the main loop that runs until the guest
 * powers off or resets.
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
#include <malloc.h>
#include <linux/kvm.h>
#include <sys/sysinfo.h>
#include <termios.h>
#include <unistd.h>

#define VIRT_ERROR virt_error_quark()
static G_DEFINE_QUARK(armpass-virt-error, virt_error)

/* Ctrl-A x on a terminal ends armpass, as in QEMU. */
#define VIRT_ESCAPE_CHAR 0x01

typedef struct VirtMachine {
    MachineState ms;
    const ArmpassConfig *cfg;
    HostMemBackend *backend; /* guest RAM's host memory (system/main.c owns it) */
    MemoryRegion sysmem;
    GArray *banks;          /* VirtRamBank: guest RAM's banks (one, unless direct-mapped) */
    unsigned boot_bank;     /* the bank kernel, initrd and device tree go in */
    MemoryRegion *ram;      /* one per bank */
    bool ram_ready;
    AddressSpace as;
    bool as_ready;
    Pl011 *uart;
    Pl061 *gpio;        /* line VIRT_GPIO_POWER_LINE: the power button */
    guint power_release; /* the timeout that releases the power button */
    GpexHost *pcie;     /* the PCIe host bridge, made when a -device is a PCI device */
    int uart_fd;        /* where the console goes; closed at the end if we opened it */
    bool uart_fd_owned;
    GMainLoop *loop;
    int event;          /* KVM_SYSTEM_EVENT_* that ended the run; 0: error; -1: none yet */
    guint stdin_source;
    guint stdin_retry;
    bool tty_raw;
    struct termios saved_tio;
    bool escape;
    int gic_version;
    uint64_t *mpidr;
    Arm64Kernel kernel;     /* open from virt_load_images until it is in RAM (fd -1: none);
                             * its format and extent stay for the last plan */
    int initrd_fd;          /* likewise the initrd's (-1: none) */
    uint64_t initrd_size;
    Arm64BootLayout layout;
    void *fdt;
    size_t fdt_size;
    int proc_status_fd; /* -sandbox on -d stats: /proc/self files opened before the filter */
    int proc_smaps_fd;
    bool paused;        /* QMP stop: the vCPUs are held (kvm_pause_vcpus, kvm_hold_vcpus) */
    bool prelaunch;     /* held by -S since start, never continued (query-status) */
    const char *host_reason; /* why the host ended the run ("host-qmp-quit", ...); NULL: the
                              * guest did */
} VirtMachine;

/* The QMP server (system/main.c makes it), which outlives each run of the machine. */
static QmpServer *virt_qmp;
/* Across the runs of one armpass (guest reboots): -S holds only the first boot; a run that
 * reset while stopped holds the next. Main thread. */
static bool virt_started_once;
static bool virt_hold_next;

void virt_set_qmp(QmpServer *qmp)
{
    virt_qmp = qmp;
}

static bool virt_boot_plan(VirtMachine *vm, GError **errp);

/* --- console ---------------------------------------------------------------------------- */

static bool virt_irq_set_spi(void *opaque, unsigned spi, bool level, GError **errp)
{
    return kvm_set_spi(opaque, spi, level, errp);
}
/* gsi: SPI n is GSI n (kvm_irqfd_assign passes it as kvm_irqfd.gsi). */
static bool virt_irq_irqfd_assign(void *opaque, int fd, int resamplefd, unsigned gsi,
                                  GError **errp)
{
    return kvm_irqfd_assign(opaque, fd, resamplefd, gsi, errp);
}
static bool virt_irq_irqfd_deassign(void *opaque, int fd, unsigned gsi, GError **errp)
{
    return kvm_irqfd_deassign(opaque, fd, gsi, errp);
}
static bool virt_irq_has_resample(void *opaque)
{
    return kvm_check_extension(opaque, KVM_CAP_IRQFD_RESAMPLE);
}

static bool virt_irq_msi_route_add(void *opaque, uint64_t addr, uint32_t data, uint32_t devid,
                                   unsigned *gsi, GError **errp)
{
    return kvm_msi_route_add(opaque, addr, data, devid, gsi, errp);
}
static bool virt_irq_msi_route_update(void *opaque, unsigned gsi, uint64_t addr, uint32_t data,
                                      uint32_t devid, GError **errp)
{
    return kvm_msi_route_update(opaque, gsi, addr, data, devid, errp);
}
static void virt_irq_msi_route_release(void *opaque, unsigned gsi)
{
    kvm_msi_route_release(opaque, gsi);
}
static bool virt_irq_signal_msi(void *opaque, uint64_t addr, uint32_t data, uint32_t devid,
                                GError **errp)
{
    return kvm_signal_msi(opaque, addr, data, devid, errp);
}
static bool virt_irq_has_msi(void *opaque)
{
    return kvm_has_msi(opaque);
}

/* Devices reach KVM's interrupt controller through these. */
static bool virt_irq_ioeventfd(void *opaque, int fd, uint64_t addr, unsigned len, bool assign,
                               GError **errp)
{
    return kvm_ioeventfd(opaque, fd, addr, len, assign, errp);
}

static const MachineIrqOps virt_kvm_irq_ops = {
    .set_spi = virt_irq_set_spi,
    .irqfd_assign = virt_irq_irqfd_assign,
    .irqfd_deassign = virt_irq_irqfd_deassign,
    .has_resample = virt_irq_has_resample,
    .msi_route_add = virt_irq_msi_route_add,
    .msi_route_update = virt_irq_msi_route_update,
    .msi_route_release = virt_irq_msi_route_release,
    .signal_msi = virt_irq_signal_msi,
    .has_msi = virt_irq_has_msi,
    .ioeventfd = virt_irq_ioeventfd,
};

static void virt_uart_irq(void *opaque, bool level)
{
    VirtMachine *vm = opaque;
    g_autoptr(GError) err = NULL;

    if (!machine_set_spi(&vm->ms, virt_irqmap[VIRT_IRQ_UART], level, &err)) {
        g_warning("uart0: %s", err->message);
    }
}

static void virt_gpio_irq(void *opaque, bool level)
{
    VirtMachine *vm = opaque;
    g_autoptr(GError) err = NULL;

    if (!machine_set_spi(&vm->ms, virt_irqmap[VIRT_IRQ_GPIO], level, &err)) {
        g_warning("pl061: %s", err->message);
    }
}

/* The PL061 at its fixed place; the guest finds it and gpio-keys in the device tree. */
static bool virt_gpio_create(VirtMachine *vm, GError **errp)
{
    vm->gpio = pl061_new("pl061", virt_gpio_irq, vm);
    return memory_region_add_subregion(vm->ms.sysmem, virt_memmap[VIRT_GPIO].base,
                                       pl061_mmio(vm->gpio), 0, errp);
}

static gboolean virt_power_button_release(gpointer opaque)
{
    VirtMachine *vm = opaque;

    vm->power_release = 0;
    pl061_set_input(vm->gpio, VIRT_GPIO_POWER_LINE, false);
    return G_SOURCE_REMOVE;
}

/* A press of the power button: line 3 high for 100 ms (gpio-keys reports KEY_POWER down on
 * the rising edge, up on the falling one). Main thread. */
void virt_power_button_press(VirtMachine *vm)
{
    if (vm->power_release) {
        return; /* still pressed */
    }
    pl061_set_input(vm->gpio, VIRT_GPIO_POWER_LINE, true);
    vm->power_release = g_timeout_add(100, virt_power_button_release, vm);
}

static void virt_quit(VirtMachine *vm, int event)
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

static gboolean virt_stdin_readable(gint fd, GIOCondition cond, gpointer opaque);

static gboolean virt_stdin_retry(gpointer opaque)
{
    VirtMachine *vm = opaque;
    vm->stdin_retry = 0;
    vm->stdin_source = g_unix_fd_add(STDIN_FILENO, G_IO_IN | G_IO_HUP | G_IO_ERR,
                                      virt_stdin_readable, vm);
    return G_SOURCE_REMOVE;
}

static gboolean virt_stdin_readable(gint fd, GIOCondition cond, gpointer opaque)
{
    VirtMachine *vm = opaque;
    uint8_t buf[32], out[32];
    size_t room = pl011_can_receive(vm->uart), n = 0;
    ssize_t len;

    (void)cond;
    if (room == 0) {
        /* The guest has not drained the FIFO: look again shortly rather than spin. */
        vm->stdin_source = 0;
        vm->stdin_retry = g_timeout_add(5, virt_stdin_retry, vm);
        return G_SOURCE_REMOVE;
    }
    len = read(fd, buf, MIN(room, sizeof(buf)));
    if (len < 0 && (errno == EINTR || errno == EAGAIN)) {
        return G_SOURCE_CONTINUE;
    }
    if (len <= 0) {
        vm->stdin_source = 0;
        return G_SOURCE_REMOVE; /* end of input: the guest just gets no more */
    }
    for (ssize_t i = 0; i < len; i++) {
        if (vm->tty_raw && vm->escape) {
            vm->escape = false;
            if (buf[i] == 'x') {
                g_printerr("\r\narmpass: terminated by Ctrl-A x\r\n");
                virt_quit(vm, KVM_SYSTEM_EVENT_SHUTDOWN);
                return G_SOURCE_CONTINUE;
            }
            if (buf[i] != VIRT_ESCAPE_CHAR) {
                out[n++] = VIRT_ESCAPE_CHAR;
            }
        } else if (vm->tty_raw && buf[i] == VIRT_ESCAPE_CHAR) {
            vm->escape = true;
            continue;
        }
        out[n++] = buf[i];
    }
    pl011_receive(vm->uart, out, n);
    return G_SOURCE_CONTINUE;
}

static void virt_stdin_start(VirtMachine *vm)
{
    if (vm->cfg->serial != SERIAL_STDIO) {
        return;
    }
    if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &vm->saved_tio) == 0) {
        struct termios tio = vm->saved_tio;
        tio.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
        tio.c_lflag &= ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
        tio.c_oflag |= OPOST;
        tio.c_cc[VMIN] = 1;
        tio.c_cc[VTIME] = 0;
        if (tcsetattr(STDIN_FILENO, TCSANOW, &tio) == 0) {
            vm->tty_raw = true;
        }
    }
    vm->stdin_source = g_unix_fd_add(STDIN_FILENO, G_IO_IN | G_IO_HUP | G_IO_ERR,
                                     virt_stdin_readable, vm);
}

static void virt_stdin_stop(VirtMachine *vm)
{
    if (vm->stdin_source) {
        g_source_remove(vm->stdin_source);
        vm->stdin_source = 0;
    }
    if (vm->stdin_retry) {
        g_source_remove(vm->stdin_retry);
        vm->stdin_retry = 0;
    }
    if (vm->tty_raw) {
        tcsetattr(STDIN_FILENO, TCSANOW, &vm->saved_tio);
        vm->tty_raw = false;
    }
}

static bool virt_uart_create(VirtMachine *vm, GError **errp)
{
    switch (vm->cfg->serial) {
    case SERIAL_STDIO:
        vm->uart_fd = STDOUT_FILENO;
        break;
    case SERIAL_NONE:
        vm->uart_fd = -1;
        break;
    case SERIAL_FILE:
        vm->uart_fd = open(vm->cfg->serial_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (vm->uart_fd < 0) {
            g_set_error(errp, VIRT_ERROR, errno, "-serial file:%s: cannot open: %s",
                        vm->cfg->serial_path, g_strerror(errno));
            return false;
        }
        vm->uart_fd_owned = true;
        break;
    }
    vm->uart = pl011_new("uart0", vm->uart_fd, virt_uart_irq, vm);
    return memory_region_add_subregion(vm->ms.sysmem, virt_memmap[VIRT_UART].base,
                                       pl011_mmio(vm->uart), 0, errp);
}

/* --- set-up ----------------------------------------------------------------------------- */

/* -dtb FILE: read and checked before anything else is set up. */
static bool virt_load_dtb(VirtMachine *vm, GError **errp)
{
    const ArmpassConfig *cfg = vm->cfg;
    gchar *data;
    gsize len;
    g_autoptr(GError) err = NULL;
    if (!g_file_get_contents(cfg->dtb, &data, &len, &err)) {
        g_set_error(errp, VIRT_ERROR, EINVAL, "-dtb %s: cannot read: %s", cfg->dtb,
                    err->message);
        return false;
    }
    vm->fdt = data;
    vm->fdt_size = len;
    if (len < sizeof(struct fdt_header) || fdt_check_header(data) != 0 ||
        fdt_totalsize(data) > len || len > ARM64_DTB_MAX_SIZE) {
        g_set_error(errp, VIRT_ERROR, EINVAL, "-dtb %s: not a device tree blob of at most "
                    "2 MiB (make one with dtc -O dtb)", cfg->dtb);
        return false;
    }
    return true;
}

/*
 * Opens the kernel (its Image header read) and the initrd (its size taken) and plans where
 * they go, before anything is set up, so that a bad file or a too-small -m costs nothing.
 * Their bytes go straight into guest RAM later (virt_load_kernel, virt_load_into_ram): no
 * copy of them is ever in armpass's heap.
 */
static bool virt_load_images(VirtMachine *vm, GError **errp)
{
    const ArmpassConfig *cfg = vm->cfg;

    if (cfg->dtb && !virt_load_dtb(vm, errp)) {
        return false;
    }
    if (!cfg->kernel) {
        if (cfg->dumpdtb) {
            return true; /* the tree alone: no kernel needed */
        }
        g_set_error(errp, VIRT_ERROR, EINVAL, "no kernel given (use -kernel FILE: an arm64 "
                    "Image, an aarch64 ELF or a raw binary)");
        return false;
    }
    if (!arm64_kernel_open(cfg->kernel, &vm->kernel, errp)) {
        return false;
    }
    if (cfg->initrd) {
        g_autoptr(GError) err = NULL;
        vm->initrd_fd = arm64_initrd_open(cfg->initrd, &vm->initrd_size, &err);
        if (vm->initrd_fd < 0) {
            /* "initrd \"PATH\": cannot read: why" -> "-initrd PATH: cannot read: why" */
            const char *why = strstr(err->message, "\": ");
            g_set_error(errp, VIRT_ERROR, EINVAL, "-initrd %s: %s", cfg->initrd,
                        why ? why + 3 : err->message);
            return false;
        }
    }
    return virt_boot_plan(vm, errp);
}

/* Host-virtual address of guest RAM at guest-physical addr, and the bytes from there to the
 * end of its bank in *room; NULL when addr is not in RAM. */
static uint8_t *virt_ram_ptr(VirtMachine *vm, uint64_t addr, uint64_t *room)
{
    for (guint i = 0; vm->ram_ready && i < vm->banks->len; i++) {
        const VirtRamBank *b = &g_array_index(vm->banks, VirtRamBank, i);

        if (addr >= b->base && addr - b->base < b->size) {
            *room = b->size - (addr - b->base);
            return (uint8_t *)vm->backend->host + b->offset + (addr - b->base);
        }
    }
    return NULL;
}

/*
 * Reads (or inflates) the kernel straight into its place in guest RAM, once RAM exists and
 * before the device tree is made: a gzip'd kernel's exact length is known only now, and the
 * plan (the initrd's place, which the tree names) is made again with it.
 */
static bool virt_load_kernel(VirtMachine *vm, GError **errp)
{
    uint64_t room;
    uint8_t *dst;

    if (vm->kernel.fd < 0) {
        return true;
    }
    dst = virt_ram_ptr(vm, vm->layout.kernel_addr, &room);
    if (!dst) {
        g_set_error(errp, VIRT_ERROR, EINVAL, "the kernel's load address 0x%" PRIx64
                    " is outside RAM", vm->layout.kernel_addr);
        return false;
    }
    if (vm->kernel.format == ARM64_KERNEL_ELF) {
        /* The segments lie in the boot bank (the plan checked): read them into it. */
        const VirtRamBank *b = &g_array_index(vm->banks, VirtRamBank, vm->boot_bank);

        dst = virt_ram_ptr(vm, b->base, &room);
        if (!arm64_kernel_load_elf(&vm->kernel, dst, b->base, b->size, errp)) {
            return false;
        }
    } else if (!arm64_kernel_load(&vm->kernel, dst, room, errp)) {
        return false;
    }
    if (vm->kernel.gz && !virt_boot_plan(vm, errp)) {
        return false;
    }
    arm64_kernel_close(&vm->kernel);
    return true;
}

/*
 * Guest RAM's banks, before anything is placed in them: one of -m at virt_memmap[VIRT_MEM]
 * (its guest-physical base a multiple of the backend's alignment, so that KVM's stage-2 and
 * the host's huge pages line up), or, direct-mapped, one per physically contiguous run at its
 * host-physical address. The boot bank is the largest (the lowest of equals).
 */
static bool virt_ram_banks(VirtMachine *vm, GError **errp)
{
    const HostMemBackend *be = vm->backend;

    vm->banks = g_array_new(FALSE, FALSE, sizeof(VirtRamBank));
    if (vm->cfg->direct_map) {
        g_assert(be->runs);
        if (!virt_direct_map_banks((const HostMemRun *)(const void *)be->runs->data,
                                   be->runs->len, vm->banks, errp)) {
            return false;
        }
    } else {
        VirtRamBank b = { virt_memmap[VIRT_MEM].base, vm->cfg->ram_size, 0 };

        g_assert(b.base % be->align == 0);
        g_array_append_val(vm->banks, b);
    }
    vm->boot_bank = 0;
    for (guint i = 1; i < vm->banks->len; i++) {
        if (g_array_index(vm->banks, VirtRamBank, i).size >
            g_array_index(vm->banks, VirtRamBank, vm->boot_bank).size) {
            vm->boot_bank = i;
        }
    }
    return true;
}

/* The device tree's size that an ELF's or raw binary's first plan assumes before the tree is
 * built (bytes): less than any tree virt builds (2 KiB and more), so that the first plan
 * refuses nothing the last accepts; virt_fdt_create plans again with the tree's size. */
#define VIRT_DTB_SIZE_GUESS 1024

/*
 * Where kernel, initrd and device tree go: arm64_kernel_plan in the boot bank. An Image's
 * device tree has its 2 MiB; an ELF's or raw binary's goes at the start of RAM if it fits
 * below the kernel, and its size is known only once the tree is built (or read, -dtb).
 */
static bool virt_boot_plan(VirtMachine *vm, GError **errp)
{
    const VirtRamBank *b = &g_array_index(vm->banks, VirtRamBank, vm->boot_bank);
    uint64_t dtb_size = vm->fdt ? vm->fdt_size : VIRT_DTB_SIZE_GUESS;

    if (!arm64_kernel_plan(&vm->kernel, b->base, b->size, vm->initrd_size, dtb_size,
                           &vm->layout, errp)) {
        if (vm->kernel.format != ARM64_KERNEL_IMAGE) {
            g_prefix_error(errp, "-kernel %s: ", vm->cfg->kernel);
        }
        return false;
    }
    return true;
}

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
        DeviceState *dev = device_create(ol, i, errp);
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

static bool virt_load_into_ram(VirtMachine *vm, GError **errp)
{
    const Arm64BootLayout *l = &vm->layout;

    /* The kernel is in RAM already (virt_load_kernel); the initrd is read into its place. */
    if (vm->initrd_fd >= 0) {
        uint64_t room;
        uint8_t *dst = virt_ram_ptr(vm, l->initrd_addr, &room);
        if (!dst || room < l->initrd_size) {
            g_set_error(errp, VIRT_ERROR, EINVAL, "-initrd %s: 0x%" PRIx64 "+0x%" PRIx64
                        " is outside RAM", vm->cfg->initrd, l->initrd_addr, l->initrd_size);
            return false;
        }
        if (!arm64_read_fd_into(vm->initrd_fd, "initrd", vm->cfg->initrd, dst, l->initrd_size,
                                errp)) {
            return false;
        }
        close(vm->initrd_fd);
        vm->initrd_fd = -1;
    }
    if (!address_space_write_ram(&vm->as, l->dtb_addr, vm->fdt, vm->fdt_size, errp)) {
        return false;
    }
    g_debug("kernel at 0x%" PRIx64 "-0x%" PRIx64 " entered at 0x%" PRIx64 ", initrd at 0x%"
            PRIx64 " (%" PRIu64 " bytes), dtb at 0x%" PRIx64 " (%zu bytes)", l->kernel_addr,
            l->kernel_end, l->entry, l->initrd_addr, l->initrd_size, l->dtb_addr, vm->fdt_size);
    /* The guest has its copy of the tree now: armpass's own would only add to its footprint. */
    g_clear_pointer(&vm->fdt, g_free);
    return kvm_vcpu_set_boot_regs(vm->ms.kvm, 0, l->entry, l->dtb_addr, errp);
}

static bool virt_write_dumpdtb(VirtMachine *vm, GError **errp)
{
    g_autoptr(GError) err = NULL;
    if (!g_file_set_contents(vm->cfg->dumpdtb, vm->fdt, vm->fdt_size, &err)) {
        g_set_error(errp, VIRT_ERROR, EIO, "dumpdtb=%s: %s", vm->cfg->dumpdtb, err->message);
        return false;
    }
    return true;
}

/* --- run and teardown ------------------------------------------------------------------- */

static void virt_system_event(void *opaque, uint32_t type)
{
    virt_quit(opaque, (int)type);
}

/* SIGTERM/SIGINT: watched for the life of the process (not per run, so that a signal
 * between a guest reset and the next boot is not lost); main thread only. */
static gint virt_terminating;
static VirtMachine *virt_current;

static gboolean virt_signal(gpointer opaque)
{
    (void)opaque;
    g_printerr("armpass: terminating on signal\n");
    g_atomic_int_set(&virt_terminating, 1);
    if (virt_current) {
        virt_quit(virt_current, KVM_SYSTEM_EVENT_SHUTDOWN);
    }
    return G_SOURCE_CONTINUE;
}

static void virt_signals_init(void)
{
    static bool done;

    if (!done) {
        g_unix_signal_add(SIGTERM, virt_signal, NULL);
        g_unix_signal_add(SIGINT, virt_signal, NULL);
        done = true;
    }
}

bool virt_reset_ends(const ArmpassConfig *cfg)
{
    return cfg->no_reboot || cfg->sandbox || cfg->fds_passed || virt_terminate_requested();
}

bool virt_terminate_requested(void)
{
    return g_atomic_int_get(&virt_terminating);
}

/* The whole of a /proc file: from fd (opened before -sandbox on forbade opening) if >= 0,
 * else from path. NULL if unreadable. */
static char *virt_read_proc(int fd, const char *path)
{
    GString *s;
    char buf[4096];
    off_t off = 0;
    ssize_t n;
    char *data = NULL;

    if (fd < 0) {
        return g_file_get_contents(path, &data, NULL, NULL) ? data : NULL;
    }
    s = g_string_new(NULL);
    while ((n = pread(fd, buf, sizeof(buf), off)) > 0) {
        g_string_append_len(s, buf, n);
        off += n;
    }
    if (n < 0) {
        g_string_free(s, TRUE);
        return NULL;
    }
    return g_string_free(s, FALSE);
}

/* What smaps says of the guest-RAM mapping (system/hostmem.h), and armpass's peak RSS in KiB
 * (VmHWM of /proc/self/status); -1 where unreadable. */
static void virt_ram_usage(VirtMachine *vm, HostMemUsage *u, int64_t *peak_kib)
{
    g_autofree char *smaps = NULL, *status = NULL;

    *peak_kib = -1;
    if ((status = virt_read_proc(vm->proc_status_fd, "/proc/self/status"))) {
        const char *hwm = strstr(status, "VmHWM:");
        if (hwm) {
            *peak_kib = g_ascii_strtoll(hwm + 6, NULL, 10);
        }
    }
    smaps = vm->ram_ready ? virt_read_proc(vm->proc_smaps_fd, "/proc/self/smaps") : NULL;
    hostmem_usage_from_smaps(smaps, vm->backend ? vm->backend->host : NULL, u);
}

void virt_resources(VirtMachine *vm, VirtResources *out)
{
    g_autofree char *status = NULL, *smaps = NULL;
    HostMemUsage ram_use;
    const char *rss;

    memset(out, 0, sizeof(*out));
    if (vm->ms.kvm) {
        kvm_get_resources(vm->ms.kvm, &out->kvm);
    }
    vfio_context_resources(vm->ms.vfio, &out->vfio);
    out->rss_kib = -1;
    if ((status = virt_read_proc(vm->proc_status_fd, "/proc/self/status")) &&
        (rss = strstr(status, "VmRSS:"))) {
        out->rss_kib = g_ascii_strtoll(rss + 6, NULL, 10);
    }
    smaps = vm->ram_ready ? virt_read_proc(vm->proc_smaps_fd, "/proc/self/smaps") : NULL;
    hostmem_usage_from_smaps(smaps, vm->backend ? vm->backend->host : NULL, &ram_use);
    out->guest_rss_kib = ram_use.rss_kib;
    {
        struct mallinfo2 mi = mallinfo2();

        out->heap_bytes = mi.uordblks + mi.hblkhd;
    }
}

/* The "resources:" line of the stats. */
static void virt_resources_text(VirtMachine *vm, GString *out)
{
    VirtResources r;

    virt_resources(vm, &r);
    g_string_append_printf(out, "  resources: memslots %u of %u, gsi routes %u (msi %u), "
                           "irqfds %u, ioeventfds %u; vfio devices %u, groups %u, "
                           "containers %u, iommufds %u, dma mappings %" PRIu64 " (%" PRIu64
                           " bytes); rss %" PRId64 " KiB, guest RAM resident %" PRId64
                           " KiB, beyond guest RAM %" PRId64 " KiB; heap in use %" PRIu64
                           " bytes\n", r.kvm.memslots,
                           r.kvm.nr_memslots, r.kvm.gsi_routes, r.kvm.msi_routes, r.kvm.irqfds,
                           r.kvm.ioeventfds, r.vfio.devices, r.vfio.groups, r.vfio.containers,
                           r.vfio.iommufds, r.vfio.dma_mappings, r.vfio.dma_bytes, r.rss_kib,
                           r.guest_rss_kib, r.rss_kib - r.guest_rss_kib, r.heap_bytes);
}

GString *virt_stats_text(VirtMachine *vm, KvmCounters *counters)
{
    int64_t guest_kib, peak_kib;
    HostMemUsage ram_use;
    GString *out = g_string_new("armpass stats:\n");
    KvmCounters c = { 0 };

    if (vm->ms.kvm) {
        kvm_get_counters(vm->ms.kvm, &c);
    }
    g_string_append_printf(out, "  exits: %" PRIu64 " (mmio %" PRIu64 ", intr %" PRIu64
                           ", system_event %" PRIu64 ", other %" PRIu64 ")\n",
                           c.exits, c.exits_mmio, c.exits_intr, c.exits_system_event,
                           c.exits_other);
    g_string_append_printf(out, "  irq_line_changes: %" PRIu64 "\n", c.irq_line_changes);
    g_string_append_printf(out, "  refused: %" PRIu64 " accesses to no device (RAZ/WI), %"
                           PRIu64 " undecodable accesses (external abort)\n",
                           c.refused_mmio, c.exits_nisv);
    g_string_append_printf(out, "  trapped uart0: reads %" PRIu64 ", writes %" PRIu64 "\n",
                           pl011_mmio(vm->uart)->trapped_reads,
                           pl011_mmio(vm->uart)->trapped_writes);
    g_string_append_printf(out, "  unassigned_accesses: %" PRIu64 "\n",
                           vm->as.unassigned_accesses);
    virt_ram_usage(vm, &ram_use, &peak_kib);
    guest_kib = ram_use.rss_kib; /* hugetlb pages count in neither Rss nor VmHWM */
    g_string_append_printf(out, "  rss: peak %" PRId64 " KiB, guest RAM resident %" PRId64
                           " KiB, peak beyond guest RAM %" PRId64 " KiB\n", peak_kib, guest_kib,
                           peak_kib - guest_kib);
    if (vm->backend) {
        hostmem_stats_text(vm->backend, &ram_use, out);
    }
    virt_resources_text(vm, out);
    for (unsigned i = 0; i < vm->ms.devices->len; i++) {
        DeviceState *dev = g_ptr_array_index(vm->ms.devices, i);
        if (dev->klass->print_stats) {
            dev->klass->print_stats(dev, out);
        }
    }
    if (counters) {
        *counters = c;
    }
    return out;
}

static void virt_print_stats(VirtMachine *vm)
{
    g_autoptr(GString) out = virt_stats_text(vm, NULL);

    g_printerr("%s", out->str);
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
        vm->ms.irq_ops = &virt_kvm_irq_ops;
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
    if (vm->cfg->stats || virt_qmp) { /* -d stats, x-armpass-query-stats */
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
    (void)opaque;
    if (virt_qmp) {
        qmp_event_device_failed(virt_qmp, id, reason);
    }
}

/* ms->device_deleted: the guest let a device_del'd device go and it is gone. */
static void virt_device_deleted(void *opaque, const char *id, const char *path)
{
    (void)opaque;
    if (virt_qmp) {
        qmp_event_device_deleted(virt_qmp, id, path);
    }
}

int virt_machine_run(const ArmpassConfig *cfg, HostMemBackend *ram, GError **errp)
{
    VirtMachine vm = {
        .cfg = cfg,
        .backend = ram,
        .event = -1,
        .uart_fd = -1,
        .proc_status_fd = -1,
        .proc_smaps_fd = -1,
        .kernel = { .fd = -1 },
        .initrd_fd = -1,
        .ms = {
            .cfg = cfg,
            .ops = &host_ops_system,
            .ram_backend = ram,
            .device_request = machine_hotplug_host_request, /* VFIO's request interrupt */
            .gic_phandle = VIRT_PHANDLE_GIC,
            .apb_pclk_phandle = VIRT_PHANDLE_APB_PCLK,
            .next_phandle = VIRT_PHANDLE_FIRST_FREE,
            .devices = g_ptr_array_new(),
            .main_context = g_main_context_default(),
            .device_deleted = virt_device_deleted,
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
    virt_signals_init();
    virt_current = &vm;
    if (virt_terminate_requested()) {
        virt_quit(&vm, KVM_SYSTEM_EVENT_SHUTDOWN);
    }
    virt_stdin_start(&vm);
    vm.ms.guest_running = true; /* from now on a plugged device is hot-plugged */
    /* -S holds the first boot until QMP cont; a guest reset while stopped keeps it stopped
     * (as QEMU does): the new VM waits for cont too. */
    if ((cfg->start_paused && !virt_started_once) || virt_hold_next) {
        kvm_hold_vcpus(vm.ms.kvm);
        vm.paused = true;
        vm.prelaunch = !virt_started_once;
    }
    virt_started_once = true;
    virt_hold_next = false;
    if (!kvm_start_vcpus(vm.ms.kvm, &vm.as, virt_system_event, &vm, errp)) {
        virt_current = NULL;
        virt_teardown(&vm);
        return -1;
    }
    if (virt_qmp) {
        virt_qmp_attach(virt_qmp, &vm);
    }
    g_main_loop_run(vm.loop);
    virt_current = NULL;
    kvm_stop_vcpus(vm.ms.kvm);
    if (virt_qmp) {
        virt_qmp_detach(virt_qmp, &vm, g_atomic_int_get(&vm.event), vm.host_reason,
                        virt_reset_ends(cfg));
    }
    switch (g_atomic_int_get(&vm.event)) {
    case KVM_SYSTEM_EVENT_SHUTDOWN:
        status = 0;
        break;
    case KVM_SYSTEM_EVENT_RESET:
        status = ARMPASS_EXIT_GUEST_RESET;
        virt_hold_next = vm.paused;
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
