// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests of vfio-pci against the fake VFIO kernel: the guest's config space, BAR mmaps with the MSI-X window trapped, interrupts in each mode (INTx kernel and userspace paths, a shared line, MSI with and without mask bits, MSI-X, switching between them), the option ROM, an I/O BAR, device-specific regions, reset, teardown and the errors a user meets. */
#include "system/rcu.h"
#include "hw/arm/virt.h"
#include "hw/core/device.h"
#include "hw/core/hotplug.h"
#include "hw/core/hotplug-qmp.h"
#include "system/qmp.h"
#include "hw/pci/msi.h"
#include "hw/pci/msix.h"
#include "hw/pci/pci.h"
#include "hw/pci/pcie-root-port.h"
#include "hw/vfio/vfio-pci.h"
#include "system/options.h"
#include "vfio-fake.h"

#include <malloc.h>

#include "../../hw/vfio/vfio-internal.h" /* VfioContext.page_size: the 64 KiB page case */

#include <dirent.h>
#include <errno.h>
#include <glib.h>
#include <inttypes.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#define NVME "0000:00:01.0"
#define NVME_FN1 "0000:00:01.1"
#define AHCI "0000:00:02.0"
#define AHCI_GROUP 8
#define IO_BASE UINT64_C(0x3eff0000)
#define GROUP 7
#define SLOT 3
#define DEVFN PCI_DEVFN(SLOT, 0)
#define BAR0_GPA UINT64_C(0x10000000)
#define TABLE_GPA (BAR0_GPA + 0x2000)
#define PBA_GPA (BAR0_GPA + 0x3000)
#define RAM_BASE UINT64_C(0x40000000)
#define RAM_SIZE UINT64_C(0x1000000)
#define INTX_FIRST_SPI 3 /* the host bridge's INTA, as virt has it (VIRT_IRQ_PCIE) */
#define SLOT_SPI (INTX_FIRST_SPI + (SLOT + 1 - 1) % 4) /* slot 3, pin A: swizzled */

static const PCIWindow windows[] = {
    { PCI_WINDOW_MMIO32, 0x10000000, 0x2eff0000 },
    { PCI_WINDOW_MMIO64, UINT64_C(0x8000000000), UINT64_C(0x8000000000) },
    { PCI_WINDOW_IO, 0x3eff0000, 0x10000 },
};

/* ---- A recording interrupt controller ------------------------------------------------ */

typedef struct IrqRec {
    GPtrArray *log;     /* "route add 100 0x8090040/0x1 devid 0x18", "irqfd 100 fd 7", ... */
    unsigned next_gsi;
    int routes;         /* live routes */
    int irqfds;         /* live irqfds (MSI/MSI-X: edge, no resamplefd) */
    int level_irqfds;   /* live irqfds with a resamplefd (INTx) */
    GHashTable *level_fds; /* trigger fd -> resamplefd of the live level irqfds */
    unsigned spi_high[1024]; /* pci_bus INTx handler: the level of each SPI */
    bool has_msi;
} IrqRec;

static void irq_log(IrqRec *r, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void irq_log(IrqRec *r, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    g_ptr_array_add(r->log, g_strdup_vprintf(fmt, ap));
    va_end(ap);
}

static bool rec_set_spi(void *o, unsigned spi, bool level, GError **errp)
{
    (void)errp;
    irq_log(o, "spi %u %d", spi, level);
    return true;
}

static bool rec_irqfd_assign(void *o, int fd, int resamplefd, unsigned gsi, GError **errp)
{
    IrqRec *r = o;

    (void)errp;
    if (resamplefd >= 0) { /* level: INTx */
        r->level_irqfds++;
        g_hash_table_insert(r->level_fds, GINT_TO_POINTER(fd), GINT_TO_POINTER(resamplefd));
        irq_log(r, "irqfd %u fd %d resample %d", gsi, fd, resamplefd);
        return true;
    }
    r->irqfds++;
    irq_log(r, "irqfd %u fd %d", gsi, fd);
    return true;
}

static bool rec_irqfd_deassign(void *o, int fd, unsigned gsi, GError **errp)
{
    IrqRec *r = o;

    (void)errp;
    if (g_hash_table_remove(r->level_fds, GINT_TO_POINTER(fd))) {
        r->level_irqfds--;
    } else {
        r->irqfds--;
    }
    irq_log(r, "irqfd-off %u fd %d", gsi, fd);
    return true;
}

static bool rec_has_resample(void *o)
{
    (void)o;
    return true;
}

static bool rec_route_add(void *o, uint64_t addr, uint32_t data, uint32_t devid, unsigned *gsi,
                          GError **errp)
{
    IrqRec *r = o;

    (void)errp;
    *gsi = r->next_gsi++;
    r->routes++;
    irq_log(r, "route add %u 0x%" PRIx64 "/0x%x devid 0x%x", *gsi, addr, data, devid);
    return true;
}

static bool rec_route_update(void *o, unsigned gsi, uint64_t addr, uint32_t data,
                             uint32_t devid, GError **errp)
{
    (void)errp;
    irq_log(o, "route update %u 0x%" PRIx64 "/0x%x devid 0x%x", gsi, addr, data, devid);
    return true;
}

static void rec_route_release(void *o, unsigned gsi)
{
    IrqRec *r = o;

    r->routes--;
    irq_log(r, "route release %u", gsi);
}

static bool rec_signal_msi(void *o, uint64_t addr, uint32_t data, uint32_t devid, GError **errp)
{
    (void)errp;
    irq_log(o, "signal 0x%" PRIx64 "/0x%x devid 0x%x", addr, data, devid);
    return true;
}

static bool rec_has_msi(void *o)
{
    return ((IrqRec *)o)->has_msi;
}

/* The PCI bus's INTx handler (the wired-OR of its devices' pins). */
static void rec_intx(void *o, unsigned spi, bool level)
{
    IrqRec *r = o;

    g_assert_cmpuint(spi, <, G_N_ELEMENTS(r->spi_high));
    r->spi_high[spi] = level;
    irq_log(r, "intx %u %d", spi, level);
}

static const MachineIrqOps rec_irq_ops = {
    .set_spi = rec_set_spi,
    .irqfd_assign = rec_irqfd_assign,
    .irqfd_deassign = rec_irqfd_deassign,
    .has_resample = rec_has_resample,
    .msi_route_add = rec_route_add,
    .msi_route_update = rec_route_update,
    .msi_route_release = rec_route_release,
    .signal_msi = rec_signal_msi,
    .has_msi = rec_has_msi,
};

/* ---- The bench: fake kernel, sysfs, guest memory, a bus, a machine -------------------- */

typedef struct Bench {
    FakeVfio *f;
    char *sys;
    MemoryRegion sysmem, ram;
    AddressSpace as;
    MachineState ms;
    IrqRec irq;
    FakeDevice *fd;       /* the NVMe function */
    VfioPciDevice *d;
    unsigned host_fds;    /* the process's fds before the first realize */
    bool counted;
    ArmpassConfig cfg;    /* with use_iommufd: -object iommufd,id=iommufd0 */
} Bench;

/* The backend of the bench's devices: false, the legacy group path; true, iommufd (every
 * realize gets iommufd=iommufd0; the /vfio-pci/iommufd/... variants). */
static bool use_iommufd;

static unsigned count_fds(void)
{
    DIR *dir = opendir("/proc/self/fd");
    unsigned n = 0;

    g_assert_nonnull(dir);
    while (readdir(dir)) {
        n++;
    }
    closedir(dir);
    return n;
}

static void bench_init(Bench *b)
{
    g_autoptr(GError) err = NULL;

    memset(b, 0, sizeof(*b));
    b->sys = sysfs_fixture_new();
    b->f = fake_vfio_new("/dev/vfio");
    memory_region_init_container(&b->sysmem, "system", UINT64_C(1) << 48);
    g_assert_true(memory_region_init_ram(&b->ram, "ram", RAM_SIZE, &err));
    g_assert_true(memory_region_add_subregion(&b->sysmem, RAM_BASE, &b->ram, 0, &err));
    address_space_init(&b->as, &b->sysmem, "memory");
    g_assert_true(address_space_commit(&b->as, &err));
    b->irq.log = g_ptr_array_new_with_free_func(g_free);
    b->irq.level_fds = g_hash_table_new(NULL, NULL);
    b->irq.next_gsi = 100;
    b->irq.has_msi = true;
    b->ms.ops = &b->f->ops;
    b->ms.irq_ops = &rec_irq_ops;
    b->ms.irq_opaque = &b->irq;
    b->ms.sysmem = &b->sysmem;
    b->ms.as = &b->as;
    b->ms.main_context = g_main_context_new();
    b->ms.sysfs_root = b->sys;
    b->ms.dev_vfio = (char *)"/dev/vfio";
    b->ms.pci_bus = pci_bus_new(&b->sysmem, &b->as, windows, G_N_ELEMENTS(windows));
    pci_bus_set_intx_handler(b->ms.pci_bus, INTX_FIRST_SPI, rec_intx, &b->irq);
    armpass_config_init(&b->cfg);
    if (use_iommufd) {
        ArmpassObject *o = g_new0(ArmpassObject, 1);

        o->type = g_strdup("iommufd");
        o->id = g_strdup("iommufd0");
        o->fd = -1;
        g_ptr_array_add(b->cfg.objects, o);
    }
    b->ms.cfg = &b->cfg;
}

/* The NVMe function bound to vfio-pci in its own group, the bench's device or not. */
static void add_nvme_only(Bench *b)
{
    FakeDevice *d = fake_vfio_add_nvme(b->f, NVME, GROUP, FAKE_NVME_MSIX_MAPPABLE);

    sysfs_fixture_add(b->sys, "pci", NVME, GROUP, false, "vfio-pci");
    sysfs_fixture_add_cdev(b->sys, "pci", NVME, d->cdev);
}

/* The NVMe function bound to vfio-pci in its own group. */
static void add_nvme(Bench *b, FakeNvmeVariant variant)
{
    b->fd = fake_vfio_add_nvme(b->f, NVME, GROUP, variant);
    sysfs_fixture_add(b->sys, "pci", NVME, GROUP, false, "vfio-pci");
    sysfs_fixture_add_cdev(b->sys, "pci", NVME, b->fd->cdev);
}

/* Creates a vfio-pci device from "-device vfio-pci,<props>" and realizes it. */
static VfioPciDevice *realize(Bench *b, const char *props, GError **errp)
{
    g_autofree char *str = g_strdup_printf("vfio-pci,%s%s", props,
                                           use_iommufd && !strstr(props, "iommufd=")
                                               ? ",iommufd=iommufd0" : "");
    g_autoptr(OptList) ol = NULL;
    g_autoptr(GError) err = NULL;
    VfioPciDevice *d;
    DeviceState *dev;

    if (!b->counted) {
        b->host_fds = count_fds();
        b->counted = true;
    }
    for (guint i = 0; use_iommufd && i < b->f->devices->len; i++) {
        /* every fake device's cdev in sysfs, as 6.12 shows it */
        const FakeDevice *fdv = g_ptr_array_index(b->f->devices, i);
        g_autofree char *path = sysfs_fixture_path(b->sys, "pci", fdv->name);
        g_autofree char *cdir = g_build_filename(path, "vfio-dev", NULL);

        if (fdv->cdev >= 0 && g_file_test(path, G_FILE_TEST_IS_DIR) &&
            !g_file_test(cdir, G_FILE_TEST_EXISTS)) {
            sysfs_fixture_add_cdev(b->sys, "pci", fdv->name, fdv->cdev);
        }
    }
    g_assert_true(opt_list_parse(str, true, &ol, &err));
    dev = device_create_from_class(&vfio_pci_device_class, ol, 0, &err);
    g_assert_no_error(err);
    if (!vfio_pci_device_class.realize(dev, &b->ms, errp)) {
        device_free(dev);
        return NULL;
    }
    d = (VfioPciDevice *)dev;
    if (d->req_wired) {
        /* The request interrupt, wired last (its own tests are below): checked here, then
         * left out of the record so that the tests of the guest's interrupts count theirs
         * alone (see irq_eventfds for the eventfds). */
        const FakeSetIrqs *s = &g_array_index(b->f->set_irqs, FakeSetIrqs,
                                              b->f->set_irqs->len - 1);

        g_assert_cmpuint(s->index, ==, VFIO_PCI_REQ_IRQ_INDEX);
        g_assert_cmphex(s->flags, ==, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER);
        g_assert_cmpint(s->fd, ==, d->req_fd);
        g_array_remove_index(b->f->set_irqs, b->f->set_irqs->len - 1);
    }
    return d;
}

/* The eventfds open for the guest's interrupts: all of them but the request interrupt's. */
static unsigned irq_eventfds(Bench *b)
{
    return fake_vfio_open_eventfds(b->f) - (b->d && b->d->req_wired ? 1 : 0);
}

static void realize_ok(Bench *b, const char *props)
{
    g_autoptr(GError) err = NULL;

    b->d = realize(b, props, &err);
    g_assert_no_error(err);
    g_assert_nonnull(b->d);
}

/* Expects realize to fail with a one-line message, leaving nothing open; returns it. */
static char *realize_fails(Bench *b, const char *props)
{
    GError *err = NULL;
    char *msg;

    g_assert_null(realize(b, props, &err));
    g_assert_nonnull(err);
    g_assert_null(strchr(err->message, '\n'));
    g_assert_cmpuint(fake_vfio_open_fds(b->f), ==, 0);
    g_assert_cmpuint(fake_vfio_live_mmaps(b->f), ==, 0);
    g_assert_cmpuint(count_fds(), ==, b->host_fds);
    msg = g_strdup(err->message);
    g_error_free(err);
    return msg;
}

static unsigned bus_devices(Bench *b)
{
    g_autoptr(GPtrArray) devs = pci_bus_devices(b->ms.pci_bus);

    return devs->len;
}

static void unrealize(Bench *b)
{
    vfio_pci_device_class.unrealize(&b->d->parent, &b->ms);
    /* Nothing of the device is left in the kernel nor in the process. */
    g_assert_cmpuint(fake_vfio_open_fds(b->f), ==, 0);
    g_assert_cmpuint(fake_vfio_live_mmaps(b->f), ==, 0);
    g_assert_cmpuint(count_fds(), ==, b->host_fds);
    g_assert_cmpint(b->irq.routes, ==, 0);
    g_assert_cmpint(b->irq.irqfds, ==, 0);
    g_assert_cmpint(b->irq.level_irqfds, ==, 0);
    g_assert_cmpuint(fake_vfio_open_eventfds(b->f), ==, 0);
    g_assert_cmpuint(bus_devices(b), ==, 0);
    g_assert_null(b->d->name); /* the host name realize made is freed (not leaked) */
    device_free(&b->d->parent);
    b->d = NULL;
}

static void bench_done(Bench *b)
{
    if (b->d) {
        unrealize(b);
    }
    vfio_context_free(b->ms.vfio);
    g_assert_cmpuint(fake_vfio_open_fds(b->f), ==, 0);
    g_assert_cmpuint(b->f->live->len, ==, 0);
    pci_bus_free(b->ms.pci_bus);
    g_main_context_unref(b->ms.main_context);
    address_space_destroy(&b->as);
    memory_region_del_subregion(&b->sysmem, &b->ram);
    memory_region_finalize(&b->ram);
    memory_region_finalize(&b->sysmem);
    g_ptr_array_free(b->irq.log, TRUE);
    g_hash_table_destroy(b->irq.level_fds);
    armpass_config_clear(&b->cfg);
    fake_vfio_free(b->f);
    sysfs_fixture_free(b->sys);
}

static void assert_says(const char *msg, const char *needle)
{
    if (!strstr(msg, needle)) {
        g_error("\"%s\" does not say \"%s\"", msg, needle);
    }
}

static uint32_t cfg_read(Bench *b, uint32_t reg, unsigned len)
{
    return pci_bus_config_read(b->ms.pci_bus, 0, DEVFN, reg, len);
}

static void cfg_write(Bench *b, uint32_t reg, uint32_t val, unsigned len)
{
    pci_bus_config_write(b->ms.pci_bus, 0, DEVFN, reg, val, len);
}

/* The device's own config bytes (what the kernel got). */
static uint16_t dev_cfg16(Bench *b, unsigned reg)
{
    const uint8_t *c = b->fd->regions[VFIO_PCI_CONFIG_REGION_INDEX].mem;

    return (uint16_t)(c[reg] | c[reg + 1] << 8);
}

static uint64_t guest_read(Bench *b, uint64_t addr, unsigned len)
{
    uint8_t buf[8] = { 0 };
    uint64_t v = 0;

    g_assert_true(address_space_rw(&b->as, addr, buf, len, false));
    for (unsigned i = 0; i < len; i++) {
        v |= (uint64_t)buf[i] << (8 * i);
    }
    return v;
}

static void guest_write(Bench *b, uint64_t addr, uint64_t v, unsigned len)
{
    uint8_t buf[8];

    for (unsigned i = 0; i < len; i++) {
        buf[i] = (uint8_t)(v >> (8 * i));
    }
    g_assert_true(address_space_rw(&b->as, addr, buf, len, true));
}

/* BAR0 at BAR0_GPA, memory decode on. */
static void place_bar0(Bench *b)
{
    cfg_write(b, PCI_BASE_ADDRESS_0, (uint32_t)BAR0_GPA, 4);
    cfg_write(b, PCI_BASE_ADDRESS_1, 0, 4);
    cfg_write(b, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 2);
    g_assert_cmphex(pci_bar_address(&b->d->pdev, 0), ==, BAR0_GPA);
}

static const char *irq_event(Bench *b, unsigned i)
{
    return i < b->irq.log->len ? g_ptr_array_index(b->irq.log, i) : "(none)";
}

/* ---- Config space -------------------------------------------------------------------- */

static void test_realize_config(void)
{
    Bench b;

    bench_init(&b);
    add_nvme(&b, FAKE_NVME_MSIX_MAPPABLE);
    realize_ok(&b, "host=" NVME ",addr=03.0");
    g_assert_cmpuint(b.fd->resets, ==, 1);
    g_assert_cmpuint(b.d->pdev.devfn, ==, DEVFN);

    /* The device's identity comes through. */
    g_assert_cmphex(cfg_read(&b, PCI_VENDOR_ID, 4), ==, 0x00101b36);
    g_assert_cmphex(cfg_read(&b, PCI_CLASS_REVISION, 4), ==, 0x01080202);
    g_assert_cmphex(cfg_read(&b, PCI_SUBSYSTEM_VENDOR_ID, 4), ==, 0x11001af4);
    g_assert_cmphex(cfg_read(&b, PCI_HEADER_TYPE, 1), ==, 0);
    g_assert_cmphex(cfg_read(&b, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST, ==, PCI_STATUS_CAP_LIST);

    /* The capability list keeps MSI (there is an ITS): PM -> MSI -> MSI-X -> PCIe -> end. */
    g_assert_cmphex(cfg_read(&b, PCI_CAPABILITY_LIST, 1), ==, 0x40);
    g_assert_cmphex(cfg_read(&b, 0x40, 2), ==, 0x5001);
    /* MSI: emulated, off, 32 vectors offered, 64-bit. */
    g_assert_cmphex(cfg_read(&b, 0x50, 4), ==, (uint32_t)(PCI_MSI_FLAGS_64BIT | 0x000a) << 16 |
                                                   0x6005);
    g_assert_cmphex(cfg_read(&b, 0x60, 2), ==, 0x7011);
    g_assert_cmphex(cfg_read(&b, 0x70, 2), ==, 0x0010);
    g_assert_cmphex(cfg_read(&b, 0x72, 2), ==, 0x0002); /* the device's own PCIe flags */
    /* MSI-X: the emulated capability (off, 8 vectors, table BAR0 +0x2000, PBA +0x3000). */
    g_assert_cmphex(cfg_read(&b, 0x60, 4), ==, 0x00077011);
    g_assert_cmphex(cfg_read(&b, 0x64, 4), ==, 0x2000);
    g_assert_cmphex(cfg_read(&b, 0x68, 4), ==, 0x3000);
    /* No extended capabilities. */
    g_assert_cmphex(cfg_read(&b, 0x100, 4), ==, 0);
    /* The ROM is hidden: reads 0, sizes to 0. */
    g_assert_cmphex(cfg_read(&b, PCI_ROM_ADDRESS, 4), ==, 0);
    cfg_write(&b, PCI_ROM_ADDRESS, PCI_ROM_ADDRESS_MASK, 4);
    g_assert_cmphex(cfg_read(&b, PCI_ROM_ADDRESS, 4), ==, 0);
    /* INTx: the device's pin A, wired at realize (irqfd + resamplefd on the swizzled SPI). */
    g_assert_cmphex(cfg_read(&b, PCI_INTERRUPT_PIN, 1), ==, 1);
    g_assert_cmpint(b.d->irq_mode, ==, VFIO_PCI_IRQ_INTX);
    g_assert_cmpint(b.irq.level_irqfds, ==, 1);
    g_assert_cmpuint(b.d->intx.gsi, ==, SLOT_SPI); /* slot 3, pin A: INTD */

    /* BAR0: 64-bit memory, 16 KiB. */
    g_assert_cmphex(cfg_read(&b, PCI_BASE_ADDRESS_0, 4), ==, PCI_BASE_ADDRESS_MEM_TYPE_64);
    cfg_write(&b, PCI_BASE_ADDRESS_0, 0xffffffff, 4);
    cfg_write(&b, PCI_BASE_ADDRESS_1, 0xffffffff, 4);
    g_assert_cmphex(cfg_read(&b, PCI_BASE_ADDRESS_0, 4), ==, 0xffffc004);
    g_assert_cmphex(cfg_read(&b, PCI_BASE_ADDRESS_1, 4), ==, 0xffffffff);
    cfg_write(&b, PCI_BASE_ADDRESS_2, 0xffffffff, 4);
    g_assert_cmphex(cfg_read(&b, PCI_BASE_ADDRESS_2, 4), ==, 0);
    /* The BAR writes stayed with the VMM: the device's BAR is untouched. */
    g_assert_cmphex(dev_cfg16(&b, PCI_BASE_ADDRESS_0), ==, PCI_BASE_ADDRESS_MEM_TYPE_64);
    bench_done(&b);
}

/* ---- BAR0 ---------------------------------------------------------------------------- */

/* Checks the BAR0 layout every variant shares: the command reached the device, the table is
 * emulated, the PBA reads from the emulation. */
static void check_bar0_common(Bench *b)
{
    VfioRegion *r = &b->d->bars[0];
    uint8_t *mem = b->fd->regions[VFIO_PCI_BAR0_REGION_INDEX].mem;

    /* The command register reached the device too. */
    g_assert_cmphex(dev_cfg16(b, PCI_COMMAND) & (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER), ==,
                    PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    g_assert_cmphex(cfg_read(b, PCI_COMMAND, 2) & PCI_COMMAND_MEMORY, ==, PCI_COMMAND_MEMORY);

    /* The MSI-X table page is trapped: a table write is the emulation's, not the device's. */
    memset(mem + 0x2000, 0xee, 0x20);
    guest_write(b, TABLE_GPA + PCI_MSIX_ENTRY_DATA, 0x1234, 4);
    g_assert_cmphex(msix_table_read(&b->d->pdev, PCI_MSIX_ENTRY_DATA, 4), ==, 0x1234);
    g_assert_cmphex(mem[0x2000 + PCI_MSIX_ENTRY_DATA], ==, 0xee);
    g_assert_cmphex(guest_read(b, TABLE_GPA + PCI_MSIX_ENTRY_VECTOR_CTRL, 4), ==, 1);
    g_assert_cmpuint(b->d->msix_win[0].mr.trapped_writes, ==, 1);
    g_assert_cmpuint(b->d->msix_win[0].mr.trapped_reads, ==, 1);
    /* The PBA reads from the emulation. */
    mem[0x3000] = 0xff;
    g_assert_cmphex(guest_read(b, PBA_GPA, 8), ==, 0);
    /* The rest of the window is the device's. */
    mem[0x3800] = 0x5a;
    g_assert_cmphex(guest_read(b, BAR0_GPA + 0x3800, 1), ==, 0x5a);
    guest_write(b, BAR0_GPA + 0x3804, 0xabcd, 2);
    g_assert_cmphex(mem[0x3804] | mem[0x3805] << 8, ==, 0xabcd);
    /* Those went through the window, not the BAR's own trapped region. */
    g_assert_cmpuint(r->mr.trapped_reads + r->mr.trapped_writes, ==, 0);
}

static void test_bar0_mmap(void)
{
    uint8_t *mem;
    VfioRegion *r;
    Bench b;

    if (sysconf(_SC_PAGESIZE) != 4096) {
        g_test_skip("the mmap layout below is for 4 KiB host pages");
        return;
    }
    bench_init(&b);
    add_nvme(&b, FAKE_NVME_MSIX_MAPPABLE);
    realize_ok(&b, "host=" NVME ",addr=03.0");
    r = &b.d->bars[0];
    mem = b.fd->regions[VFIO_PCI_BAR0_REGION_INDEX].mem;
    g_assert_cmpuint(r->nr_mmaps, ==, 1); /* MSIX_MAPPABLE: all of it */
    g_assert_cmphex(r->mmaps[0].size, ==, FAKE_NVME_BAR0_SIZE);
    g_assert_true(b.d->msix_win[0].used);
    g_assert_cmphex(b.d->msix_win[0].offset, ==, 0x2000);
    g_assert_cmphex(b.d->msix_win[0].mr.size, ==, 0x2000);
    g_assert_false(b.d->msix_win[1].used); /* table and PBA share one window */
    place_bar0(&b);

    /* The doorbell pages are the device's memory, reached without a trap. */
    mem[0x10] = 0x42;
    g_assert_cmphex(guest_read(&b, BAR0_GPA + 0x10, 1), ==, 0x42);
    guest_write(&b, BAR0_GPA + 0x1000, 0xdeadbeef, 4);
    g_assert_cmphex(mem[0x1000], ==, 0xef);
    g_assert_cmpuint(r->mr.trapped_reads, ==, 0);
    g_assert_cmpuint(r->mr.trapped_writes, ==, 0);
    g_assert_true(flatview_lookup(b.as.view, BAR0_GPA)->mr == &r->mmaps[0].mr);
    g_assert_true(flatview_lookup(b.as.view, TABLE_GPA)->mr == &b.d->msix_win[0].mr);
    check_bar0_common(&b);

    /* Memory decode off: the BAR leaves the guest's map, the device hears it too. */
    cfg_write(&b, PCI_COMMAND, PCI_COMMAND_MASTER, 2);
    g_assert_null(flatview_lookup(b.as.view, BAR0_GPA));
    g_assert_cmphex(dev_cfg16(&b, PCI_COMMAND) & PCI_COMMAND_MEMORY, ==, 0);
    bench_done(&b);
}

static void test_bar0_sparse(void)
{
    VfioRegion *r;
    Bench b;

    if (sysconf(_SC_PAGESIZE) != 4096) {
        g_test_skip("the mmap layout below is for 4 KiB host pages");
        return;
    }
    bench_init(&b);
    add_nvme(&b, FAKE_NVME_SPARSE);
    realize_ok(&b, "host=" NVME ",addr=03.0");
    r = &b.d->bars[0];
    g_assert_cmpuint(r->nr_mmaps, ==, 1);
    g_assert_cmphex(r->mmaps[0].offset, ==, 0);
    g_assert_cmphex(r->mmaps[0].size, ==, 0x2000);
    place_bar0(&b);
    b.fd->regions[VFIO_PCI_BAR0_REGION_INDEX].mem[0x1ffc] = 0x77;
    g_assert_cmphex(guest_read(&b, BAR0_GPA + 0x1ffc, 1), ==, 0x77);
    g_assert_cmpuint(r->mr.trapped_reads, ==, 0);
    check_bar0_common(&b);
    g_assert_cmpuint(r->mr.trapped_reads, ==, 0); /* the window relays, the region is not hit */
    bench_done(&b);
}

/* 64 KiB host pages: the 16 KiB BAR cannot be mmap'd and the window covers all of it; the
 * device's registers are still reached (relayed), the table still emulated. The fake
 * context's page size is forced (the fake itself maps at 4 KiB). */
static void test_bar0_64k_pages(void)
{
    uint8_t *mem;
    VfioRegion *r;
    Bench b;

    bench_init(&b);
    add_nvme(&b, FAKE_NVME_MSIX_MAPPABLE);
    b.ms.vfio = vfio_context_new(b.ms.ops, b.sys, "/dev/vfio", b.ms.as);
    if (use_iommufd) {
        g_assert_true(vfio_context_add_iommufd(b.ms.vfio, "iommufd0", -1, NULL));
    }
    b.ms.vfio->page_size = 0x10000;
    realize_ok(&b, "host=" NVME ",addr=03.0");
    r = &b.d->bars[0];
    mem = b.fd->regions[VFIO_PCI_BAR0_REGION_INDEX].mem;
    g_assert_cmpuint(r->nr_mmaps, ==, 0);
    g_assert_cmpuint(fake_vfio_live_mmaps(b.f), ==, 0);
    g_assert_cmphex(b.d->msix_win[0].offset, ==, 0);
    g_assert_cmphex(b.d->msix_win[0].mr.size, ==, FAKE_NVME_BAR0_SIZE);
    place_bar0(&b);
    mem[0x10] = 0x42;
    g_assert_cmphex(guest_read(&b, BAR0_GPA + 0x10, 1), ==, 0x42);
    guest_write(&b, BAR0_GPA + 0x1000, 0xdeadbeef, 4);
    g_assert_cmphex(mem[0x1000], ==, 0xef);
    g_assert_cmpuint(b.d->msix_win[0].mr.trapped_reads, ==, 1);
    g_assert_cmpuint(b.d->msix_win[0].mr.trapped_writes, ==, 1);
    b.d->msix_win[0].mr.trapped_reads = b.d->msix_win[0].mr.trapped_writes = 0;
    check_bar0_common(&b);
    bench_done(&b);
}

/* ---- MSI-X --------------------------------------------------------------------------- */

static const FakeSetIrqs *last_set_irqs(Bench *b)
{
    g_assert_cmpuint(b->f->set_irqs->len, >, 0);
    return &g_array_index(b->f->set_irqs, FakeSetIrqs, b->f->set_irqs->len - 1);
}

static uint64_t eventfd_count(int fd)
{
    uint64_t n = 0;

    if (read(fd, &n, sizeof(n)) != sizeof(n)) {
        return 0; /* EAGAIN: nothing */
    }
    return n;
}

/* INTx is on: SET_IRQS entries at and after first are its TRIGGER (the line's trigger fd)
 * and UNMASK (its resamplefd), and KVM has the irqfd with that resamplefd on the SPI. */
static void assert_intx_wired(Bench *b, unsigned first)
{
    const FakeSetIrqs *t = &g_array_index(b->f->set_irqs, FakeSetIrqs, first);
    const FakeSetIrqs *u = &g_array_index(b->f->set_irqs, FakeSetIrqs, first + 1);

    g_assert_cmpuint(b->f->set_irqs->len, >=, first + 2);
    g_assert_cmpint(b->d->irq_mode, ==, VFIO_PCI_IRQ_INTX);
    g_assert_true(b->d->intx.kernel_path);
    g_assert_cmphex(t->flags, ==, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER);
    g_assert_cmpuint(t->index, ==, VFIO_PCI_INTX_IRQ_INDEX);
    g_assert_cmpuint(t->count, ==, 1);
    g_assert_cmpint(t->fd, ==, b->d->intx.trigger_fd);
    g_assert_cmphex(u->flags, ==, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_UNMASK);
    g_assert_cmpuint(u->index, ==, VFIO_PCI_INTX_IRQ_INDEX);
    g_assert_cmpint(u->fd, ==, b->d->intx.resample_fd);
    g_assert_cmpint(u->fd, >=, 0);
    g_assert_cmpint(b->irq.level_irqfds, ==, 1);
    g_assert_cmpint(GPOINTER_TO_INT(g_hash_table_lookup(b->irq.level_fds,
                                                        GINT_TO_POINTER(t->fd))), ==, u->fd);
    g_assert_cmpuint(b->d->intx.gsi, ==, pci_device_intx_spi(&b->d->pdev));
}

static void test_msix(void)
{
    const FakeSetIrqs *s;
    VfioPciVector *v0;
    unsigned gsi, mark;
    int intx_fd;
    Bench b;

    bench_init(&b);
    add_nvme(&b, FAKE_NVME_MSIX_MAPPABLE);
    realize_ok(&b, "host=" NVME ",addr=03.0");
    place_bar0(&b);
    /* INTx from the start: its trigger eventfd, then the resamplefd as UNMASK. */
    assert_intx_wired(&b, 0);
    intx_fd = b.d->intx.trigger_fd;
    g_assert_cmpuint(b.irq.log->len, ==, 1);
    g_ptr_array_set_size(b.irq.log, 0);

    /* On: INTx off first (VFIO takes one index at a time), then one SET_IRQS with an eventfd
     * for each of the 8 vectors; no route yet. */
    cfg_write(&b, FAKE_NVME_MSIX_CAP + PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE, 2);
    g_assert_cmpuint(b.f->set_irqs->len, ==, 4);
    s = &g_array_index(b.f->set_irqs, FakeSetIrqs, 2);
    g_assert_cmphex(s->flags, ==, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER);
    g_assert_cmpuint(s->index, ==, VFIO_PCI_INTX_IRQ_INDEX);
    g_assert_cmpuint(s->count, ==, 0);
    {
        g_autofree char *want = g_strdup_printf("irqfd-off %u fd %d", SLOT_SPI, intx_fd);

        g_assert_cmpstr(irq_event(&b, 0), ==, want);
    }
    g_assert_cmpint(b.irq.level_irqfds, ==, 0);
    g_assert_cmpint(b.d->irq_mode, ==, VFIO_PCI_IRQ_MSIX);
    g_ptr_array_set_size(b.irq.log, 0);
    s = last_set_irqs(&b);
    g_assert_cmphex(s->flags, ==, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER);
    g_assert_cmpuint(s->index, ==, VFIO_PCI_MSIX_IRQ_INDEX);
    g_assert_cmpuint(s->start, ==, 0);
    g_assert_cmpuint(s->count, ==, FAKE_NVME_VECTORS);
    v0 = &b.d->vectors[0];
    g_assert_cmpint(s->fd, ==, v0->fd);
    g_assert_cmpint(v0->fd, >=, 0);
    g_assert_cmpuint(b.irq.log->len, ==, 0);

    /* Unmasking vector 0 with a message: a route with the requester ID, an irqfd on it. */
    guest_write(&b, TABLE_GPA + PCI_MSIX_ENTRY_LOWER_ADDR, 0x08090040, 4);
    guest_write(&b, TABLE_GPA + PCI_MSIX_ENTRY_UPPER_ADDR, 0, 4);
    guest_write(&b, TABLE_GPA + PCI_MSIX_ENTRY_DATA, 0x21, 4);
    g_assert_cmpuint(b.irq.log->len, ==, 0);
    guest_write(&b, TABLE_GPA + PCI_MSIX_ENTRY_VECTOR_CTRL, 0, 4);
    g_assert_cmpstr(irq_event(&b, 0), ==, "route add 100 0x8090040/0x21 devid 0x18");
    gsi = 100;
    {
        g_autofree char *want = g_strdup_printf("irqfd %u fd %d", gsi, v0->fd);

        g_assert_cmpstr(irq_event(&b, 1), ==, want);
    }
    g_assert_cmpuint(b.irq.log->len, ==, 2);
    g_assert_true(v0->irqfd);
    /* A new message while unmasked: the route follows. */
    guest_write(&b, TABLE_GPA + PCI_MSIX_ENTRY_DATA, 0x22, 4);
    g_assert_cmpstr(irq_event(&b, 2), ==, "route update 100 0x8090040/0x22 devid 0x18");
    g_assert_cmpuint(b.irq.log->len, ==, 3);

    /* Masked: the irqfd goes. */
    guest_write(&b, TABLE_GPA + PCI_MSIX_ENTRY_VECTOR_CTRL, 1, 4);
    {
        g_autofree char *want = g_strdup_printf("irqfd-off %u fd %d", gsi, v0->fd);

        g_assert_cmpstr(irq_event(&b, 3), ==, want);
    }
    g_assert_false(v0->irqfd);
    /* An interrupt while masked: pending in the PBA after the main loop ran. */
    {
        uint64_t one = 1;

        g_assert_cmpint(write(v0->fd, &one, sizeof(one)), ==, sizeof(one));
    }
    for (unsigned i = 0; i < 10 && !msix_is_pending(&b.d->pdev, 0); i++) {
        g_main_context_iteration(b.ms.main_context, FALSE);
    }
    g_assert_true(msix_is_pending(&b.d->pdev, 0));
    g_assert_cmphex(guest_read(&b, PBA_GPA, 8), ==, 1);
    g_assert_cmpuint(v0->wakeups, ==, 1);

    /* Unmasked: the irqfd is back and the pending interrupt is delivered through it. */
    mark = b.irq.log->len;
    guest_write(&b, TABLE_GPA + PCI_MSIX_ENTRY_VECTOR_CTRL, 0, 4);
    g_assert_cmpstr(irq_event(&b, mark), ==, "route update 100 0x8090040/0x22 devid 0x18");
    {
        g_autofree char *want = g_strdup_printf("irqfd %u fd %d", gsi, v0->fd);

        g_assert_cmpstr(irq_event(&b, mark + 1), ==, want);
    }
    g_assert_false(msix_is_pending(&b.d->pdev, 0));
    g_assert_cmphex(guest_read(&b, PBA_GPA, 8), ==, 0);
    g_assert_cmpuint(eventfd_count(v0->fd), ==, 1);
    /* The main loop no longer watches it. */
    g_assert_false(g_main_context_iteration(b.ms.main_context, FALSE));

    /* Vector 5 too, then the function mask masks both. */
    guest_write(&b, TABLE_GPA + 5 * MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_LOWER_ADDR, 0x08090040, 4);
    guest_write(&b, TABLE_GPA + 5 * MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_DATA, 0x25, 4);
    guest_write(&b, TABLE_GPA + 5 * MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_VECTOR_CTRL, 0, 4);
    g_assert_cmpint(b.irq.routes, ==, 2);
    g_assert_cmpint(b.irq.irqfds, ==, 2);
    cfg_write(&b, FAKE_NVME_MSIX_CAP + PCI_MSIX_FLAGS,
              PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL, 2);
    g_assert_cmpint(b.irq.irqfds, ==, 0);
    cfg_write(&b, FAKE_NVME_MSIX_CAP + PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE, 2);
    g_assert_cmpint(b.irq.irqfds, ==, 2);

    /* Off: VFIO's MSI-X off (count 0), every route released, the eventfds closed; then INTx
     * is back (trigger, unmask). */
    cfg_write(&b, FAKE_NVME_MSIX_CAP + PCI_MSIX_FLAGS, 0, 2);
    g_assert_cmpuint(b.f->set_irqs->len, ==, 7);
    s = &g_array_index(b.f->set_irqs, FakeSetIrqs, 4);
    g_assert_cmphex(s->flags, ==, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER);
    g_assert_cmpuint(s->index, ==, VFIO_PCI_MSIX_IRQ_INDEX);
    g_assert_cmpuint(s->count, ==, 0);
    g_assert_cmpint(b.irq.routes, ==, 0);
    g_assert_cmpint(b.irq.irqfds, ==, 0);
    assert_intx_wired(&b, 5);
    g_assert_cmpuint(irq_eventfds(&b), ==, 2); /* INTx's trigger and resample */
    g_assert_cmpuint(count_fds(), ==, b.host_fds + 3); /* and the request interrupt's */
    for (unsigned v = 0; v < FAKE_NVME_VECTORS; v++) {
        g_assert_cmpint(b.d->vectors[v].fd, ==, -1);
        g_assert_cmpint(b.d->vectors[v].gsi, ==, -1);
    }
    /* On again: INTx off, a fresh SET_IRQS; the old routes are not reused. */
    cfg_write(&b, FAKE_NVME_MSIX_CAP + PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE, 2);
    g_assert_cmpuint(b.f->set_irqs->len, ==, 9);
    g_assert_cmpuint(last_set_irqs(&b)->count, ==, FAKE_NVME_VECTORS);
    g_assert_cmpint(b.irq.level_irqfds, ==, 0);
    g_assert_cmpint(b.irq.routes, ==, 2); /* vectors 0 and 5 are still unmasked */
    /* Unrealize with MSI-X on: all of it goes (checked in unrealize()). */
    bench_done(&b);
}

/* ---- Errors -------------------------------------------------------------------------- */

/* Realizes refused before anything is made, and what the one line says. */
typedef enum RefusalSetup {
    REFUSE_HOST_DRIVER,   /* the function bound to nvme, not vfio-pci */
    REFUSE_NOTHING,       /* the NVMe as it should be: props name another function */
    REFUSE_NOT_VIABLE,    /* function 1 shares the group and is still the host's */
    REFUSE_PLATFORM,      /* VFIO says it is a platform device */
    REFUSE_NO_ITS,        /* no ITS and no INTx pin: nothing to deliver */
} RefusalSetup;

typedef struct Refusal {
    const char *path;
    bool both;              /* run on the iommufd backend too */
    RefusalSetup setup;
    const char *props;
    const char *says[6];    /* NULL-terminated */
    const char *not_says;   /* NULL: nothing */
} Refusal;

static const Refusal refusals[] = {
    { "/vfio-pci/error/host-driver", true, REFUSE_HOST_DRIVER, "host=" NVME,
      { NVME, "bound to nvme", "vfio-pci", "/bus/pci/devices/" NVME "/driver_override",
        "/bus/pci/drivers/nvme/unbind" } },
    { "/vfio-pci/error/no-such-device", true, REFUSE_NOTHING, "host=0000:00:1f.0",
      { "0000:00:1f.0", "no such PCI device", "lspci" } },
    /* the device itself is vfio's: only function 1 is named */
    { "/vfio-pci/error/not-viable", false, REFUSE_NOT_VIABLE, "host=" NVME,
      { "not viable", NVME_FN1 " (nvme)" }, NVME " (" },
    { "/vfio-pci/error/platform-flags", true, REFUSE_PLATFORM, "host=" NVME,
      { "not a PCI device", "vfio-platform" } },
    { "/vfio-pci/error/no-its", true, REFUSE_NO_ITS, "host=" NVME,
      { NVME, "no INTx pin", "ITS", "gic-version=3" } },
};

static void test_refused(gconstpointer data)
{
    const Refusal *c = data;
    g_autofree char *msg = NULL;
    Bench b;

    bench_init(&b);
    if (c->setup == REFUSE_HOST_DRIVER) {
        b.fd = fake_vfio_add_nvme(b.f, NVME, GROUP, FAKE_NVME_MSIX_MAPPABLE);
        sysfs_fixture_add(b.sys, "pci", NVME, GROUP, false, "nvme");
    } else {
        add_nvme(&b, FAKE_NVME_MSIX_MAPPABLE);
    }
    switch (c->setup) {
    case REFUSE_NOT_VIABLE:
        sysfs_fixture_add(b.sys, "pci", NVME_FN1, GROUP, false, "nvme");
        fake_vfio_group(b.f, GROUP, false)->viable = false;
        break;
    case REFUSE_PLATFORM:
        b.fd->flags = VFIO_DEVICE_FLAGS_PLATFORM;
        break;
    case REFUSE_NO_ITS:
        b.fd->regions[VFIO_PCI_CONFIG_REGION_INDEX].mem[PCI_INTERRUPT_PIN] = 0;
        b.irq.has_msi = false;
        break;
    default:
        break;
    }
    msg = realize_fails(&b, c->props);
    for (unsigned i = 0; c->says[i]; i++) {
        assert_says(msg, c->says[i]);
    }
    if (c->not_says) {
        g_assert_null(strstr(msg, c->not_says));
    }
    g_assert_cmpuint(bus_devices(&b), ==, 0);
    bench_done(&b);
}

static void test_refused_iommufd(gconstpointer data)
{
    use_iommufd = true;
    test_refused(data);
    use_iommufd = false;
}

/* Each row under its path, and under /vfio-pci/iommufd/... as well where it holds for both. */
static void add_refusals(void)
{
    for (unsigned i = 0; i < G_N_ELEMENTS(refusals); i++) {
        const Refusal *c = &refusals[i];

        g_test_add_data_func(c->path, c, test_refused);
        if (c->both) {
            g_autofree char *ipath = g_strdup_printf("/vfio-pci/iommufd%s",
                                                     c->path + strlen("/vfio-pci"));
            g_test_add_data_func(ipath, c, test_refused_iommufd);
        }
    }
}

static void test_error_host_malformed(void)
{
    static const char *const bad[] = { "00:zz.0", "garbage", "0000:00:01.8", "0000:00:20.0",
                                       "00000:00:01.0", "0000:00:01", "0x00:00:01.0" };
    Bench b;

    bench_init(&b);
    add_nvme(&b, FAKE_NVME_MSIX_MAPPABLE);
    for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autofree char *props = g_strdup_printf("host=%s", bad[i]);
        g_autofree char *msg = realize_fails(&b, props);

        assert_says(msg, bad[i]);
        assert_says(msg, "not a PCI address");
        assert_says(msg, "DDDD:BB:DD.F");
    }
    bench_done(&b);
}

/* Captures what g_printerr prints while set. */
static GString *printerr_buf;

static void printerr_capture(const gchar *msg)
{
    g_string_append(printerr_buf, msg);
}

static void printerr_start(void)
{
    printerr_buf = g_string_new(NULL);
    g_set_printerr_handler(printerr_capture);
}

static char *printerr_stop(void)
{
    g_set_printerr_handler(NULL);
    return g_string_free(g_steal_pointer(&printerr_buf), FALSE);
}

/* A device with MSI and no MSI-X: MSI is kept in the list, INTx wired, no MSI-X window. */
static void test_msi_only(void)
{
    Bench b;

    bench_init(&b);
    add_nvme(&b, FAKE_NVME_NO_MSIX);
    realize_ok(&b, "host=" NVME ",addr=03.0");
    g_assert_null(b.d->pdev.msix);
    g_assert_nonnull(b.d->pdev.msi);
    g_assert_false(b.d->msix_win[0].used);
    g_assert_cmphex(cfg_read(&b, 0x40, 2), ==, 0x5001);
    g_assert_cmphex(cfg_read(&b, 0x50, 2), ==, 0x7005);
    g_assert_cmphex(cfg_read(&b, 0x70, 2), ==, 0x0010);
    assert_intx_wired(&b, 0);
    bench_done(&b);
}

/* The MSI capability offers 32 vectors but VFIO's MSI index has 4: the guest is offered 4
 * (Multiple Message Capable 2), and asking for 32 gets the 4 VFIO can give, not a refused
 * SET_IRQS that would leave it without interrupts. */
static void test_msi_vfio_count(void)
{
    const FakeSetIrqs *s;
    Bench b;

    bench_init(&b);
    add_nvme(&b, FAKE_NVME_NO_MSIX);
    b.fd->irqs[VFIO_PCI_MSI_IRQ_INDEX].count = 4;
    realize_ok(&b, "host=" NVME ",addr=03.0");
    g_assert_cmphex(cfg_read(&b, 0x52, 2) & PCI_MSI_FLAGS_QMASK, ==, 2 << 1);
    cfg_write(&b, 0x52, PCI_MSI_FLAGS_ENABLE | 5 << 4, 2);
    g_assert_cmpint(b.d->irq_mode, ==, VFIO_PCI_IRQ_MSI);
    g_assert_cmphex(cfg_read(&b, 0x52, 2) & PCI_MSI_FLAGS_QSIZE, ==, 2 << 4);
    s = last_set_irqs(&b);
    g_assert_cmpuint(s->index, ==, VFIO_PCI_MSI_IRQ_INDEX);
    g_assert_cmpuint(s->count, ==, 4);
    bench_done(&b);
}

/* No ITS: a device with an INTx pin is accepted with MSI and MSI-X unlinked from its list,
 * and the user is told. */
static void test_no_its_intx(void)
{
    g_autofree char *err = NULL;
    Bench b;

    bench_init(&b);
    add_nvme(&b, FAKE_NVME_MSIX_MAPPABLE);
    b.irq.has_msi = false;
    printerr_start();
    realize_ok(&b, "host=" NVME ",addr=03.0");
    err = printerr_stop();
    assert_says(err, NVME);
    assert_says(err, "no ITS");
    assert_says(err, "INTx");
    assert_says(err, "gic-version=3");
    g_assert_true(g_str_has_suffix(err, "\n"));
    g_assert_null(strchr(err, '\n')[1] ? err : NULL); /* one line */
    g_assert_null(b.d->pdev.msix);
    g_assert_null(b.d->pdev.msi);
    /* PM -> PCIe: MSI (0x50) and MSI-X (0x60) are gone from the list. */
    g_assert_cmphex(cfg_read(&b, PCI_CAPABILITY_LIST, 1), ==, 0x40);
    g_assert_cmphex(cfg_read(&b, 0x40, 2), ==, 0x7001);
    g_assert_cmphex(cfg_read(&b, 0x70, 2), ==, 0x0010);
    g_assert_cmphex(cfg_read(&b, PCI_INTERRUPT_PIN, 1), ==, 1);
    assert_intx_wired(&b, 0);
    bench_done(&b);
}

/* A realize that fails late (the bus slot taken) undoes everything: no fd, no mmap, no bus
 * entry, and the device can be realized again elsewhere. */
static void test_error_late_cleanup(void)
{
    g_autofree char *msg = NULL;
    PCIDevice other = { .name = "other" };
    Bench b;

    bench_init(&b);
    add_nvme(&b, FAKE_NVME_MSIX_MAPPABLE);
    pci_config_init(&other, PCI_CONFIG_SPACE_SIZE);
    g_assert_true(pci_bus_add_device(b.ms.pci_bus, &other, DEVFN, NULL));
    msg = realize_fails(&b, "host=" NVME ",addr=03.0");
    assert_says(msg, "taken by other");
    g_assert_cmpuint(fake_vfio_calls(b.f, use_iommufd ? VFIO_DEVICE_BIND_IOMMUFD
                                                      : VFIO_GROUP_GET_DEVICE_FD), ==, 1);
    pci_bus_remove_device(b.ms.pci_bus, &other);
    realize_ok(&b, "host=" NVME ",addr=03.0");
    g_assert_cmpuint(b.d->pdev.devfn, ==, DEVFN);
    bench_done(&b);
}

/* Watches BAR0's mmap come and go, noting whether the device decoded memory then. */
typedef struct DecodeWatch {
    MemoryListener ml;
    Bench *b;
    int decode_at_add, decode_at_del; /* -1: not seen */
} DecodeWatch;

static bool watch_add(MemoryListener *ml, const FlatRange *fr, GError **errp)
{
    DecodeWatch *w = (DecodeWatch *)ml;

    (void)errp;
    if (fr->mr == &w->b->d->bars[0].mmaps[0].mr) {
        w->decode_at_add = !!(dev_cfg16(w->b, PCI_COMMAND) & PCI_COMMAND_MEMORY);
    }
    return true;
}

static void watch_del(MemoryListener *ml, const FlatRange *fr)
{
    DecodeWatch *w = (DecodeWatch *)ml;

    if (fr->mr == &w->b->d->bars[0].mmaps[0].mr) {
        w->decode_at_del = !!(dev_cfg16(w->b, PCI_COMMAND) & PCI_COMMAND_MEMORY);
    }
}

/* The device decodes before its BAR reaches the guest, and until the guest has lost it
 * (vfio-pci zaps the mmaps of a device that stops decoding: a vCPU access through a stale
 * memslot would fail KVM_RUN). */
static void test_bar0_decode_order(void)
{
    DecodeWatch w = { .ml = { .name = "watch", .region_add = watch_add,
                              .region_del = watch_del },
                      .decode_at_add = -1, .decode_at_del = -1 };
    Bench b;

    if (sysconf(_SC_PAGESIZE) != 4096) {
        g_test_skip("needs BAR0 mmap'd: 4 KiB host pages");
        return;
    }
    bench_init(&b);
    w.b = &b;
    add_nvme(&b, FAKE_NVME_MSIX_MAPPABLE);
    realize_ok(&b, "host=" NVME ",addr=03.0");
    g_assert_true(address_space_add_listener(&b.as, &w.ml, NULL));
    cfg_write(&b, PCI_BASE_ADDRESS_0, (uint32_t)BAR0_GPA, 4);
    cfg_write(&b, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    g_assert_cmpint(w.decode_at_add, ==, 1);
    cfg_write(&b, PCI_COMMAND, 0, 2);
    g_assert_cmpint(w.decode_at_del, ==, 1);
    g_assert_cmphex(dev_cfg16(&b, PCI_COMMAND) & PCI_COMMAND_MEMORY, ==, 0);
    /* Memory off and I/O on in one write: the device still decodes memory until the guest
     * has lost the BAR, and decodes I/O by the end. */
    cfg_write(&b, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    w.decode_at_del = -1;
    cfg_write(&b, PCI_COMMAND, PCI_COMMAND_IO, 2);
    g_assert_cmpint(w.decode_at_del, ==, 1);
    g_assert_cmphex(dev_cfg16(&b, PCI_COMMAND) & (PCI_COMMAND_MEMORY | PCI_COMMAND_IO), ==,
                    PCI_COMMAND_IO);
    address_space_remove_listener(&b.as, &w.ml);
    bench_done(&b);
}

/* x-no-mmap=on: nothing mmap'd, every BAR access trapped and relayed to the device. */
static void test_bar0_no_mmap(void)
{
    uint8_t *mem;
    VfioRegion *r;
    Bench b;

    bench_init(&b);
    add_nvme(&b, FAKE_NVME_MSIX_MAPPABLE);
    realize_ok(&b, "host=" NVME ",addr=03.0,x-no-mmap=on");
    r = &b.d->bars[0];
    mem = b.fd->regions[VFIO_PCI_BAR0_REGION_INDEX].mem;
    g_assert_cmpuint(r->nr_mmaps, ==, 0);
    g_assert_cmpuint(fake_vfio_live_mmaps(b.f), ==, 0);
    place_bar0(&b);
    mem[0x10] = 0x42;
    g_assert_cmphex(guest_read(&b, BAR0_GPA + 0x10, 1), ==, 0x42);
    g_assert_cmpuint(r->mr.trapped_reads, ==, 1);
    guest_write(&b, TABLE_GPA + PCI_MSIX_ENTRY_DATA, 0x99, 4);
    g_assert_cmphex(msix_table_read(&b.d->pdev, PCI_MSIX_ENTRY_DATA, 4), ==, 0x99);
    g_assert_cmphex(mem[0x2000 + PCI_MSIX_ENTRY_DATA], ==, 0);
    bench_done(&b);
}

/* Two functions of one device, both bound to vfio-pci, share their group and container; each
 * has its own slot and requester ID, and each unrealize leaves the other working. */
static void test_shared_group(void)
{
    g_autoptr(GError) err = NULL;
    VfioPciDevice *fn1;
    FakeDevice *f1;
    Bench b;

    bench_init(&b);
    add_nvme(&b, FAKE_NVME_MSIX_MAPPABLE);
    f1 = fake_vfio_add_nvme(b.f, NVME_FN1, GROUP, FAKE_NVME_MSIX_MAPPABLE);
    sysfs_fixture_add(b.sys, "pci", NVME_FN1, GROUP, false, "vfio-pci");
    realize_ok(&b, "host=" NVME ",addr=03.0");
    fn1 = realize(&b, "host=" NVME_FN1, &err);
    g_assert_no_error(err);
    g_assert_nonnull(fn1);
    g_assert_cmpuint(fn1->pdev.devfn, ==, PCI_DEVFN(0, 0)); /* the first free slot */
    g_assert_true(fn1->vdev->group == b.d->vdev->group);
    g_assert_cmpuint(fake_vfio_calls(b.f, VFIO_GROUP_SET_CONTAINER), ==, 1);
    g_assert_cmpuint(f1->resets, ==, 1);
    /* The second device answers at its own slot, with its own config. */
    f1->regions[VFIO_PCI_CONFIG_REGION_INDEX].mem[PCI_REVISION_ID] = 0x07;
    g_assert_cmphex(pci_bus_config_read(b.ms.pci_bus, 0, PCI_DEVFN(0, 0), PCI_REVISION_ID, 1),
                    ==, 0x07);
    g_assert_cmphex(cfg_read(&b, PCI_REVISION_ID, 1), ==, 0x02);
    /* Each has INTx on its own swizzled SPI: slot 3 pin A -> INTD, slot 0 pin A -> INTA. */
    g_assert_cmpint(b.irq.level_irqfds, ==, 2);
    g_assert_cmpuint(fn1->intx.gsi, ==, INTX_FIRST_SPI);
    g_assert_cmpuint(b.d->intx.gsi, ==, SLOT_SPI);
    /* Its vector's route carries its requester ID (00.0). */
    g_ptr_array_set_size(b.irq.log, 0);
    pci_bus_config_write(b.ms.pci_bus, 0, PCI_DEVFN(0, 0), FAKE_NVME_MSIX_CAP + PCI_MSIX_FLAGS,
                         PCI_MSIX_FLAGS_ENABLE, 2);
    msix_table_write(&fn1->pdev, PCI_MSIX_ENTRY_LOWER_ADDR, 0x08090040, 4);
    msix_table_write(&fn1->pdev, PCI_MSIX_ENTRY_VECTOR_CTRL, 0, 4);
    g_assert_cmpstr(irq_event(&b, 1), ==, "route add 100 0x8090040/0x0 devid 0x0");
    g_assert_cmpint(b.irq.level_irqfds, ==, 1); /* its INTx went off, the other's stays */
    vfio_pci_device_class.unrealize(&fn1->parent, &b.ms);
    device_free(&fn1->parent);
    g_assert_cmpint(b.irq.routes, ==, 0);
    g_assert_cmpuint(fake_vfio_open_fds(b.f), ==, 3); /* container, group, the other device */
    g_assert_cmphex(cfg_read(&b, PCI_VENDOR_ID, 4), ==, 0x00101b36);
    bench_done(&b);
}

static void test_error_guest_addr(void)
{
    static const char *const bad[] = { "20", "03.8", "3g", "003.0" };
    Bench b;

    bench_init(&b);
    add_nvme(&b, FAKE_NVME_MSIX_MAPPABLE);
    for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autofree char *props = g_strdup_printf("host=" NVME ",addr=%s", bad[i]);
        g_autofree char *msg = realize_fails(&b, props);

        assert_says(msg, "SLOT[.FN]");
    }
    /* bus= naming no root port. */
    {
        g_autofree char *msg = realize_fails(&b, "host=" NVME ",bus=rp7");

        assert_says(msg, "bus=rp7: no pcie-root-port has id=rp7 (add -device "
                    "pcie-root-port,id=rp7)");
    }
    /* Neither host= nor sysfsdev=, or both. */
    {
        g_autofree char *msg = realize_fails(&b, "addr=03.0");

        assert_says(msg, "host=");
        assert_says(msg, "sysfsdev=");
    }
    /* sysfsdev= works as host= does. */
    {
        g_autofree char *path = sysfs_fixture_path(b.sys, "pci", NVME);
        g_autofree char *props = g_strdup_printf("sysfsdev=%s,addr=02.1", path);

        realize_ok(&b, props);
        g_assert_cmpuint(b.d->pdev.devfn, ==, PCI_DEVFN(2, 1));
    }
    bench_done(&b);
}

/* ---- INTx ---------------------------------------------------------------------------- */

static void add_ahci(Bench *b, uint8_t pin, bool specific)
{
    b->fd = fake_vfio_add_ahci(b->f, AHCI, AHCI_GROUP, pin, specific);
    sysfs_fixture_add(b->sys, "pci", AHCI, AHCI_GROUP, false, "vfio-pci");
}

/* Runs the machine's main loop (and the default one, where the resample timer lives) until
 * cond holds or a second has passed. */
#define RUN_UNTIL(b, cond)                                                                \
    do {                                                                                  \
        gint64 end_ = g_get_monotonic_time() + G_USEC_PER_SEC;                            \
        while (!(cond) && g_get_monotonic_time() < end_) {                                \
            g_main_context_iteration((b)->ms.main_context, FALSE);                        \
            g_main_context_iteration(NULL, FALSE);                                        \
            g_usleep(500);                                                                \
        }                                                                                 \
        g_assert_true(cond);                                                              \
    } while (0)

static void fire_fd(int fd)
{
    uint64_t one = 1;

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(write(fd, &one, sizeof(one)), ==, sizeof(one));
}

/* The pin is the device's; a device with no pin has none and no INTx SET_IRQS. */
static void test_intx_pin(void)
{
    Bench b;

    bench_init(&b);
    add_ahci(&b, 2, false);
    realize_ok(&b, "host=" AHCI ",addr=03.0");
    g_assert_cmphex(cfg_read(&b, PCI_INTERRUPT_PIN, 1), ==, 2);
    g_assert_cmpuint(b.d->intx.gsi, ==, INTX_FIRST_SPI + (SLOT + 2 - 1) % 4);
    assert_intx_wired(&b, 0);
    /* The pin is read-only for the guest. */
    cfg_write(&b, PCI_INTERRUPT_PIN, 4, 1);
    g_assert_cmphex(cfg_read(&b, PCI_INTERRUPT_PIN, 1), ==, 2);
    bench_done(&b);

    bench_init(&b);
    add_ahci(&b, 0, false);
    realize_ok(&b, "host=" AHCI ",addr=03.0");
    g_assert_cmphex(cfg_read(&b, PCI_INTERRUPT_PIN, 1), ==, 0);
    g_assert_false(b.d->has_intx);
    g_assert_cmpuint(b.f->set_irqs->len, ==, 0);
    g_assert_cmpint(b.irq.level_irqfds, ==, 0);
    bench_done(&b);
}

/* The function's Interrupt Status bit (PCI_STATUS), as the fake device's config region shows
 * it: set while the function asserts INTx. */
static void intx_status(Bench *b, bool asserted)
{
    uint8_t *cfg = b->fd->regions[VFIO_PCI_CONFIG_REGION_INDEX].mem;

    if (asserted) {
        cfg[PCI_STATUS] |= PCI_STATUS_INTERRUPT;
    } else {
        cfg[PCI_STATUS] &= (uint8_t)~PCI_STATUS_INTERRUPT;
    }
}

/* x-irqfd=off, a stale signal: VFIO signals INTx, but by the time armpass reads it the
 * function no longer asserts (the guest serviced it in a handler already running). The SPI is
 * not raised (the guest would enter its handler for nothing until its next access) and the
 * host INTx is unmasked at once; -d stats counts it. */
static void test_intx_userspace_stale(void)
{
    g_autoptr(GString) stats = g_string_new(NULL);
    const FakeSetIrqs *s;
    Bench b;

    bench_init(&b);
    add_ahci(&b, 1, false);
    realize_ok(&b, "host=" AHCI ",addr=03.0,x-irqfd=off");
    cfg_write(&b, PCI_BASE_ADDRESS_5, 0x10000000, 4);
    cfg_write(&b, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    intx_status(&b, false);
    fire_fd(b.d->intx.trigger_fd);
    RUN_UNTIL(&b, b.d->intx.stale == 1);
    g_assert_false(b.irq.spi_high[SLOT_SPI]);
    g_assert_false(b.d->intx.line_high);
    g_assert_false(b.d->intx.trapping); /* the mmaps never went */
    s = last_set_irqs(&b);
    g_assert_cmphex(s->flags, ==, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK);
    g_assert_cmpuint(s->index, ==, VFIO_PCI_INTX_IRQ_INDEX);
    /* A signal while it asserts still raises the SPI. */
    intx_status(&b, true);
    fire_fd(b.d->intx.trigger_fd);
    RUN_UNTIL(&b, b.irq.spi_high[SLOT_SPI]);
    guest_read(&b, 0x10000000, 4);
    g_assert_false(b.irq.spi_high[SLOT_SPI]);
    vfio_irq_line_print_stats(&b.d->intx, "intx", stats);
    g_assert_nonnull(strstr(stats->str, "completed by trapped access 1, by backstop 0, stale 1\n"));
    bench_done(&b);
}

/* x-irqfd=off: the interrupt wakes armpass, which raises the SPI through pci_set_intx and
 * takes the BARs' mmaps away; the guest's first access to a BAR traps and completes the
 * interrupt (line lowered, host INTx unmasked); after the quiet period the mmaps return. */
static void test_intx_userspace(void)
{
    const FakeSetIrqs *s;
    const FlatRange *fr;
    Bench b;

    bench_init(&b);
    add_ahci(&b, 1, false);
    realize_ok(&b, "host=" AHCI ",addr=03.0,x-irqfd=off,x-mmap-timeout-ms=40");
    g_assert_false(b.d->intx.kernel_path);
    g_assert_cmpint(b.irq.level_irqfds, ==, 0);
    g_assert_cmpuint(b.f->set_irqs->len, ==, 1); /* TRIGGER only, no resamplefd */
    s = last_set_irqs(&b);
    g_assert_cmphex(s->flags, ==, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER);
    g_assert_cmpuint(s->index, ==, VFIO_PCI_INTX_IRQ_INDEX);
    /* BAR 5 (the AHCI's registers) mapped at 0x10000000. */
    cfg_write(&b, PCI_BASE_ADDRESS_5, 0x10000000, 4);
    cfg_write(&b, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    fr = flatview_lookup(b.as.view, 0x10000000);
    g_assert_nonnull(fr);
    g_assert_true(memory_region_is_ram_device(fr->mr));

    intx_status(&b, true); /* the device asserts INTx */
    fire_fd(b.d->intx.trigger_fd);
    RUN_UNTIL(&b, b.irq.spi_high[SLOT_SPI]);
    g_assert_true(b.d->pdev.intx_level);
    fr = flatview_lookup(b.as.view, 0x10000000);
    g_assert_false(memory_region_is_ram_device(fr->mr)); /* trapped while pending */
    guest_read(&b, 0x10000000, 4); /* the guest's handler reads the device */
    intx_status(&b, false);
    g_assert_false(b.irq.spi_high[SLOT_SPI]);
    g_assert_false(b.d->pdev.intx_level);
    s = last_set_irqs(&b);
    g_assert_cmphex(s->flags, ==, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK);
    g_assert_cmpuint(s->index, ==, VFIO_PCI_INTX_IRQ_INDEX);
    g_assert_cmpuint(b.d->intx.wakeups, >=, 1);
    RUN_UNTIL(&b, memory_region_is_ram_device(flatview_lookup(b.as.view, 0x10000000)->mr));
    bench_done(&b);
}

/* Two devices on one SPI (slots 0 and 4, pin A), userspace path: the line stays high while
 * either drives it. */
static void test_intx_shared_line(void)
{
    g_autoptr(GError) err = NULL;
    VfioPciDevice *nvme;
    unsigned spi;
    Bench b;

    bench_init(&b);
    add_ahci(&b, 1, false);
    add_nvme_only(&b);
    realize_ok(&b, "host=" AHCI ",addr=00.0,x-irqfd=off");
    nvme = realize(&b, "host=" NVME ",addr=04.0,x-irqfd=off", &err);
    g_assert_no_error(err);
    spi = b.d->intx.gsi;
    g_assert_cmpuint(spi, ==, INTX_FIRST_SPI);
    g_assert_cmpuint(nvme->intx.gsi, ==, spi);
    intx_status(&b, true);
    fire_fd(b.d->intx.trigger_fd);
    RUN_UNTIL(&b, b.irq.spi_high[spi]);
    pci_set_intx(&nvme->pdev, true); /* the NVMe asserts too (what its watch would do) */
    /* The guest's handler touches the AHCI (a trapped access completes its INTx): the AHCI
     * lowers its share, the NVMe still holds the line. */
    g_mutex_lock(&b.as.dispatch_lock);
    vfio_irq_line_trapped_access(&b.d->intx);
    g_mutex_unlock(&b.as.dispatch_lock);
    g_assert_false(b.d->pdev.intx_level);
    g_assert_true(b.irq.spi_high[spi]);
    pci_set_intx(&nvme->pdev, false);
    g_assert_false(b.irq.spi_high[spi]);
    vfio_pci_device_class.unrealize(&nvme->parent, &b.ms);
    device_free(&nvme->parent);
    bench_done(&b);
}

/* ---- Interrupt modes ------------------------------------------------------------------ */

/* The SET_IRQS at index i: (index, action, count). */
static void assert_set_irqs(Bench *b, unsigned i, unsigned index, uint32_t flags, uint32_t count)
{
    const FakeSetIrqs *s;

    g_assert_cmpuint(b->f->set_irqs->len, >, i);
    s = &g_array_index(b->f->set_irqs, FakeSetIrqs, i);
    g_assert_cmpuint(s->index, ==, index);
    g_assert_cmphex(s->flags, ==, flags);
    g_assert_cmpuint(s->count, ==, count);
}

#define DISABLE (VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER)
#define TRIGGER (VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER)

/* INTx -> MSI-X -> INTx -> MSI -> INTx: each switch disables the old index before enabling the
 * new one and leaves no eventfd and no route of the old mode behind. */
static void test_irq_modes(void)
{
    g_autoptr(GString) stats = g_string_new(NULL);
    unsigned n;
    Bench b;

    bench_init(&b);
    add_nvme(&b, FAKE_NVME_MSIX_MAPPABLE);
    realize_ok(&b, "host=" NVME ",addr=03.0");
    place_bar0(&b);
    assert_intx_wired(&b, 0);
    g_assert_cmpuint(irq_eventfds(&b), ==, 2);

    /* MSI-X, vectors 0 and 3 unmasked. */
    cfg_write(&b, FAKE_NVME_MSIX_CAP + PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE, 2);
    assert_set_irqs(&b, 2, VFIO_PCI_INTX_IRQ_INDEX, DISABLE, 0);
    assert_set_irqs(&b, 3, VFIO_PCI_MSIX_IRQ_INDEX, TRIGGER, FAKE_NVME_VECTORS);
    for (unsigned v = 0; v < 4; v += 3) {
        guest_write(&b, TABLE_GPA + v * MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_LOWER_ADDR,
                    0x08090040, 4);
        guest_write(&b, TABLE_GPA + v * MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_VECTOR_CTRL, 0, 4);
    }
    g_assert_cmpint(b.irq.routes, ==, 2);
    g_assert_cmpint(b.irq.level_irqfds, ==, 0);
    g_assert_cmpuint(irq_eventfds(&b), ==, FAKE_NVME_VECTORS);

    /* Back to INTx. */
    cfg_write(&b, FAKE_NVME_MSIX_CAP + PCI_MSIX_FLAGS, 0, 2);
    assert_set_irqs(&b, 4, VFIO_PCI_MSIX_IRQ_INDEX, DISABLE, 0);
    assert_intx_wired(&b, 5);
    g_assert_cmpint(b.irq.routes, ==, 0);
    g_assert_cmpint(b.irq.irqfds, ==, 0);
    g_assert_cmpuint(irq_eventfds(&b), ==, 2);

    /* MSI with 4 vectors (no mask bits: all unmasked once enabled). */
    cfg_write(&b, 0x50 + PCI_MSI_ADDRESS_LO, 0x08090040, 4);
    cfg_write(&b, 0x50 + PCI_MSI_DATA_64, 0x30, 2);
    cfg_write(&b, 0x50 + PCI_MSI_FLAGS, PCI_MSI_FLAGS_ENABLE | 2 << 4, 2);
    g_assert_cmpint(b.d->irq_mode, ==, VFIO_PCI_IRQ_MSI);
    assert_set_irqs(&b, 7, VFIO_PCI_INTX_IRQ_INDEX, DISABLE, 0);
    assert_set_irqs(&b, 8, VFIO_PCI_MSI_IRQ_INDEX, TRIGGER, 4);
    g_assert_cmpint(b.irq.routes, ==, 4);
    g_assert_cmpint(b.irq.irqfds, ==, 4);
    g_assert_cmpint(b.irq.level_irqfds, ==, 0);
    g_assert_cmpuint(irq_eventfds(&b), ==, 4);
    n = b.irq.log->len;
    g_assert_cmpstr(irq_event(&b, n - 2), ==, "route add 105 0x8090040/0x33 devid 0x18");

    /* INTx again. */
    cfg_write(&b, 0x50 + PCI_MSI_FLAGS, 0, 2);
    assert_set_irqs(&b, 9, VFIO_PCI_MSI_IRQ_INDEX, DISABLE, 0);
    assert_intx_wired(&b, 10);
    g_assert_cmpuint(b.f->set_irqs->len, ==, 12);
    g_assert_cmpint(b.irq.routes, ==, 0);
    g_assert_cmpint(b.irq.irqfds, ==, 0);
    g_assert_cmpuint(irq_eventfds(&b), ==, 2);

    /* -d stats names each vector by the mode it was last used in (MSI here). */
    vfio_pci_device_class.print_stats(&b.d->parent, stats);
    assert_says(stats->str, "msi 1 -> gsi 103: irqfd");
    assert_says(stats->str, "msi 3 -> gsi 105: irqfd");
    g_assert_null(strstr(stats->str, "msix"));
    assert_says(stats->str, "intx -> SPI 6");
    bench_done(&b);
}

/* A guest that turns MSI on while MSI-X is on (the specification forbids it; a guest may
 * still do it): MSI-X keeps the device, and MSI's messages must not reach MSI-X's vectors.
 * When MSI-X goes off with MSI still on, the device switches to MSI with its vectors routed. */
static void test_msi_while_msix(void)
{
    unsigned n;
    Bench b;

    bench_init(&b);
    add_nvme(&b, FAKE_NVME_MSIX_MAPPABLE);
    realize_ok(&b, "host=" NVME ",addr=03.0");
    place_bar0(&b);
    cfg_write(&b, FAKE_NVME_MSIX_CAP + PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE, 2);
    guest_write(&b, TABLE_GPA + PCI_MSIX_ENTRY_LOWER_ADDR, 0x08090040, 4);
    guest_write(&b, TABLE_GPA + PCI_MSIX_ENTRY_DATA, 0x11, 4);
    guest_write(&b, TABLE_GPA + PCI_MSIX_ENTRY_VECTOR_CTRL, 0, 4);
    g_assert_cmpint(b.irq.routes, ==, 1);
    n = b.irq.log->len;
    /* MSI on (one vector, another message): the MSI-X vector keeps its route untouched. */
    cfg_write(&b, 0x50 + PCI_MSI_ADDRESS_LO, 0x08090080, 4);
    cfg_write(&b, 0x50 + PCI_MSI_DATA_64, 0x77, 2);
    cfg_write(&b, 0x50 + PCI_MSI_FLAGS, PCI_MSI_FLAGS_ENABLE, 2);
    g_assert_cmpint(b.d->irq_mode, ==, VFIO_PCI_IRQ_MSIX);
    g_assert_cmpuint(b.irq.log->len, ==, n);
    g_assert_true(b.d->vectors[0].irqfd);
    /* MSI-X off: MSI takes over, its vector routed with MSI's message. */
    cfg_write(&b, FAKE_NVME_MSIX_CAP + PCI_MSIX_FLAGS, 0, 2);
    g_assert_cmpint(b.d->irq_mode, ==, VFIO_PCI_IRQ_MSI);
    g_assert_cmpint(b.irq.routes, ==, 1);
    g_assert_cmpint(b.irq.irqfds, ==, 1);
    g_assert_cmpstr(irq_event(&b, b.irq.log->len - 2), ==,
                    "route add 101 0x8090080/0x77 devid 0x18");
    bench_done(&b);
}

/* VFIO refuses the MSI-X SET_IRQS: the guest is told nothing works (a warning), no eventfd
 * stays open, and switching MSI-X off brings INTx back. */
static void test_msix_set_irqs_fails(void)
{
    Bench b;

    bench_init(&b);
    add_nvme(&b, FAKE_NVME_MSIX_MAPPABLE);
    realize_ok(&b, "host=" NVME ",addr=03.0");
    fake_vfio_fail_ioctl(b.f, VFIO_DEVICE_SET_IRQS, 2, ENOSPC); /* INTx off works, MSI-X not */
    g_test_expect_message("armpass-vfio", G_LOG_LEVEL_WARNING, "*gets no MSI-X interrupts*");
    cfg_write(&b, FAKE_NVME_MSIX_CAP + PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE, 2);
    g_test_assert_expected_messages();
    fake_vfio_clear_faults(b.f);
    g_assert_cmpint(b.d->irq_mode, ==, VFIO_PCI_IRQ_NONE);
    g_assert_cmpuint(irq_eventfds(&b), ==, 0);
    g_assert_cmpuint(b.d->nr_vectors_on, ==, 0);
    g_assert_cmpint(b.irq.level_irqfds, ==, 0);
    /* The table still works as emulation; unmasking makes no route (no mode). */
    msix_table_write(&b.d->pdev, PCI_MSIX_ENTRY_LOWER_ADDR, 0x08090040, 4);
    msix_table_write(&b.d->pdev, PCI_MSIX_ENTRY_VECTOR_CTRL, 0, 4);
    g_assert_cmpint(b.irq.routes, ==, 0);
    cfg_write(&b, FAKE_NVME_MSIX_CAP + PCI_MSIX_FLAGS, 0, 2);
    g_assert_cmpint(b.d->irq_mode, ==, VFIO_PCI_IRQ_INTX);
    g_assert_cmpint(b.irq.level_irqfds, ==, 1);
    g_assert_cmpuint(irq_eventfds(&b), ==, 2);
    bench_done(&b);
}

/* x-irqfd=off: an interrupt on an unmasked MSI-X vector is delivered with KVM_SIGNAL_MSI (its
 * message, the requester ID); on a masked one it sets the PBA bit, delivered on unmask. */
static void test_msix_userspace(void)
{
    unsigned n;
    Bench b;

    bench_init(&b);
    add_nvme(&b, FAKE_NVME_MSIX_MAPPABLE);
    realize_ok(&b, "host=" NVME ",addr=03.0,x-irqfd=off");
    place_bar0(&b);
    cfg_write(&b, FAKE_NVME_MSIX_CAP + PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE, 2);
    for (unsigned v = 2; v <= 3; v++) {
        guest_write(&b, TABLE_GPA + v * MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_LOWER_ADDR,
                    0x08090040, 4);
        guest_write(&b, TABLE_GPA + v * MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_DATA, 0x20 + v, 4);
    }
    guest_write(&b, TABLE_GPA + 2 * MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_VECTOR_CTRL, 0, 4);
    g_assert_cmpint(b.irq.routes, ==, 0);
    g_assert_cmpint(b.irq.irqfds, ==, 0);
    n = b.irq.log->len;
    fire_fd(b.d->vectors[2].fd);
    RUN_UNTIL(&b, b.irq.log->len > n);
    g_assert_cmpstr(irq_event(&b, n), ==, "signal 0x8090040/0x22 devid 0x18");
    /* Vector 3 is masked: pending, no signal. */
    n = b.irq.log->len;
    fire_fd(b.d->vectors[3].fd);
    RUN_UNTIL(&b, msix_is_pending(&b.d->pdev, 3));
    g_assert_cmpuint(b.irq.log->len, ==, n);
    g_assert_cmphex(guest_read(&b, PBA_GPA, 8), ==, 1 << 3);
    /* Unmasked: the pending interrupt goes out, the bit clears. */
    guest_write(&b, TABLE_GPA + 3 * MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_VECTOR_CTRL, 0, 4);
    RUN_UNTIL(&b, b.irq.log->len > n);
    g_assert_cmpstr(irq_event(&b, n), ==, "signal 0x8090040/0x23 devid 0x18");
    g_assert_cmphex(guest_read(&b, PBA_GPA, 8), ==, 0);
    bench_done(&b);
}

/* AHCI-like MSI with per-vector masking through vfio-pci: a masked vector has no irqfd, its
 * interrupt sets the pending bit; the capability offers what the device does. */
static void test_msi_maskbit(void)
{
    Bench b;
    uint32_t cap = FAKE_AHCI_MSI_CAP;

    bench_init(&b);
    add_ahci(&b, 1, false);
    realize_ok(&b, "host=" AHCI ",addr=03.0");
    g_assert_cmphex(cfg_read(&b, cap + PCI_MSI_FLAGS, 2), ==,
                    PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_MASKBIT | 3 << 1);
    cfg_write(&b, cap + PCI_MSI_ADDRESS_LO, 0x08090040, 4);
    cfg_write(&b, cap + PCI_MSI_DATA_64, 0x40, 2);
    cfg_write(&b, cap + PCI_MSI_MASK_64, 0x2, 4);
    cfg_write(&b, cap + PCI_MSI_FLAGS, PCI_MSI_FLAGS_ENABLE | 1 << 4, 2);
    assert_set_irqs(&b, 2, VFIO_PCI_INTX_IRQ_INDEX, DISABLE, 0);
    assert_set_irqs(&b, 3, VFIO_PCI_MSI_IRQ_INDEX, TRIGGER, 2);
    g_assert_cmpint(b.irq.irqfds, ==, 1);
    g_assert_true(b.d->vectors[0].irqfd);
    g_assert_false(b.d->vectors[1].irqfd);
    fire_fd(b.d->vectors[1].fd);
    RUN_UNTIL(&b, msi_is_pending(&b.d->pdev, 1));
    g_assert_cmphex(cfg_read(&b, cap + PCI_MSI_PENDING_64, 4), ==, 0x2);
    /* Unmasked: a route, an irqfd, and the pending interrupt re-sent through it. */
    cfg_write(&b, cap + PCI_MSI_MASK_64, 0, 4);
    g_assert_cmpint(b.irq.irqfds, ==, 2);
    g_assert_false(msi_is_pending(&b.d->pdev, 1));
    g_assert_cmpuint(eventfd_count(b.d->vectors[1].fd), ==, 1);
    bench_done(&b);
}

/* ---- ROM ----------------------------------------------------------------------------- */

#define ROM_GPA UINT64_C(0x10200000)

/* Sizes the ROM BAR and returns what it read back. */
static uint32_t rom_sizing(Bench *b)
{
    cfg_write(b, PCI_ROM_ADDRESS, PCI_ROM_ADDRESS_MASK, 4);
    return cfg_read(b, PCI_ROM_ADDRESS, 4);
}

static void rom_place(Bench *b)
{
    cfg_write(b, PCI_ROM_ADDRESS, (uint32_t)ROM_GPA | PCI_ROM_ADDRESS_ENABLE, 4);
    cfg_write(b, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
}

/* rombar default: the device's ROM, read-only, once enabled with memory decode on. */
static void test_rom_device(void)
{
    uint8_t *rom;
    Bench b;

    bench_init(&b);
    add_ahci(&b, 1, false);
    realize_ok(&b, "host=" AHCI ",addr=03.0");
    rom = b.fd->regions[VFIO_PCI_ROM_REGION_INDEX].mem;
    g_assert_cmphex(cfg_read(&b, PCI_ROM_ADDRESS, 4), ==, 0); /* not the device's value */
    g_assert_cmphex(rom_sizing(&b), ==, ~(FAKE_AHCI_ROM_SIZE - 1));
    /* Not yet enabled: nothing there. */
    cfg_write(&b, PCI_ROM_ADDRESS, (uint32_t)ROM_GPA, 4);
    cfg_write(&b, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    g_assert_null(flatview_lookup(b.as.view, ROM_GPA));
    rom_place(&b);
    g_assert_cmphex(pci_bar_address(&b.d->pdev, PCI_ROM_SLOT), ==, ROM_GPA);
    g_assert_cmphex(guest_read(&b, ROM_GPA, 2), ==, 0xaa55);
    g_assert_cmphex(guest_read(&b, ROM_GPA + 0x104, 4), ==, 0x07060504);
    g_assert_cmphex(guest_read(&b, ROM_GPA + FAKE_AHCI_ROM_SIZE - 8, 8), ==,
                    UINT64_C(0xfffefdfcfbfaf9f8));
    guest_write(&b, ROM_GPA + 0x10, 0xdeadbeef, 4);
    g_assert_cmphex(guest_read(&b, ROM_GPA + 0x10, 4), ==, 0x13121110);
    g_assert_cmphex(rom[0x10], ==, 0x10);
    /* Memory decode off: gone. */
    cfg_write(&b, PCI_COMMAND, 0, 2);
    g_assert_null(flatview_lookup(b.as.view, ROM_GPA));
    bench_done(&b);
}

/* rombar=0 and romfile= empty: no ROM (the BAR reads 0 after sizing). */
static void test_rom_hidden(void)
{
    static const char *const props[] = { "rombar=0", "romfile=" };

    for (unsigned i = 0; i < G_N_ELEMENTS(props); i++) {
        g_autofree char *p = g_strdup_printf("host=" AHCI ",addr=03.0,%s", props[i]);
        Bench b;

        bench_init(&b);
        add_ahci(&b, 1, false);
        realize_ok(&b, p);
        g_assert_cmphex(rom_sizing(&b), ==, 0);
        rom_place(&b);
        g_assert_cmphex(cfg_read(&b, PCI_ROM_ADDRESS, 4), ==, 0);
        g_assert_null(flatview_lookup(b.as.view, ROM_GPA));
        bench_done(&b);
    }
}

/* romfile=FILE: its bytes, padded with 0xff to a power of two. */
static void test_rom_file(void)
{
    g_autofree char *path = NULL;
    g_autofree char *props = NULL;
    uint8_t data[3000];
    Bench b;

    bench_init(&b);
    add_ahci(&b, 1, false);
    for (unsigned i = 0; i < sizeof(data); i++) {
        data[i] = (uint8_t)(i * 7);
    }
    path = g_build_filename(b.sys, "rom.bin", NULL);
    g_assert_true(g_file_set_contents(path, (const char *)data, sizeof(data), NULL));
    props = g_strdup_printf("host=" AHCI ",addr=03.0,romfile=%s", path);
    realize_ok(&b, props);
    g_assert_cmphex(rom_sizing(&b), ==, ~(uint32_t)(4096 - 1));
    rom_place(&b);
    g_assert_cmphex(guest_read(&b, ROM_GPA + 7, 1), ==, 49);
    g_assert_cmphex(guest_read(&b, ROM_GPA + 2998, 4), ==,
                    0xffff0000u | (uint8_t)(2999 * 7) << 8 | (uint8_t)(2998 * 7));
    g_assert_cmphex(guest_read(&b, ROM_GPA + 4088, 8), ==, UINT64_MAX);
    guest_write(&b, ROM_GPA + 7, 0, 1);
    g_assert_cmphex(guest_read(&b, ROM_GPA + 7, 1), ==, 49);
    bench_done(&b);
}

static void test_rom_file_unreadable(void)
{
    g_autofree char *msg = NULL;
    Bench b;

    bench_init(&b);
    add_ahci(&b, 1, false);
    msg = realize_fails(&b, "host=" AHCI ",romfile=/nonexistent/rom.bin");
    assert_says(msg, "romfile=/nonexistent/rom.bin");
    assert_says(msg, AHCI);
    g_assert_cmpuint(bus_devices(&b), ==, 0);
    bench_done(&b);
}

/* ---- I/O BAR, device-specific regions ------------------------------------------------- */

/* BAR4 is I/O: at the I/O window's base + the BAR's value, reaching the device's region
 * through pread/pwrite. */
static void test_io_bar(void)
{
    uint8_t *mem;
    VfioRegion *r;
    Bench b;

    bench_init(&b);
    add_ahci(&b, 1, false);
    realize_ok(&b, "host=" AHCI ",addr=03.0");
    r = &b.d->bars[4];
    mem = b.fd->regions[VFIO_PCI_BAR4_REGION_INDEX].mem;
    g_assert_cmphex(cfg_read(&b, PCI_BASE_ADDRESS_4, 4), ==, PCI_BASE_ADDRESS_SPACE_IO);
    cfg_write(&b, PCI_BASE_ADDRESS_4, 0xffffffff, 4);
    g_assert_cmphex(cfg_read(&b, PCI_BASE_ADDRESS_4, 4), ==,
                    ~(FAKE_AHCI_IO_SIZE - 1) | PCI_BASE_ADDRESS_SPACE_IO);
    cfg_write(&b, PCI_BASE_ADDRESS_4, 0x1000, 4);
    g_assert_cmphex(pci_bar_address(&b.d->pdev, 4), ==, PCI_BAR_UNMAPPED); /* I/O off */
    cfg_write(&b, PCI_COMMAND, PCI_COMMAND_IO, 2);
    g_assert_cmphex(pci_bar_address(&b.d->pdev, 4), ==, IO_BASE + 0x1000);
    g_assert_cmphex(dev_cfg16(&b, PCI_COMMAND) & PCI_COMMAND_IO, ==, PCI_COMMAND_IO);
    mem[8] = 0x77;
    g_assert_cmphex(guest_read(&b, IO_BASE + 0x1008, 1), ==, 0x77);
    guest_write(&b, IO_BASE + 0x1004, 0x5aa5, 2);
    g_assert_cmphex(mem[4] | mem[5] << 8, ==, 0x5aa5);
    g_assert_cmpuint(r->nr_mmaps, ==, 0);
    g_assert_cmpuint(r->mr.trapped_reads, ==, 1);
    g_assert_cmpuint(r->mr.trapped_writes, ==, 1);
    bench_done(&b);
}

/* A device-specific region (index 9, a TYPE capability) is listed in -d stats, not mapped. */
static void test_specific_regions(void)
{
    g_autoptr(GString) stats = g_string_new(NULL);
    Bench b;

    bench_init(&b);
    add_ahci(&b, 1, true);
    realize_ok(&b, "host=" AHCI ",addr=03.0");
    g_assert_cmpuint(b.d->nr_specific_regions, ==, 1);
    g_assert_cmpuint(fake_vfio_live_mmaps(b.f), ==, 1); /* BAR5's alone */
    vfio_pci_device_class.print_stats(&b.d->parent, stats);
    assert_says(stats->str, "device-specific regions left alone: region 9 type 0x8086/0x3");
    bench_done(&b);
}

/* ---- Reset --------------------------------------------------------------------------- */

static void test_reset_flr(void)
{
    Bench b;

    bench_init(&b);
    add_nvme(&b, FAKE_NVME_MSIX_MAPPABLE);
    realize_ok(&b, "host=" NVME ",addr=03.0");
    g_assert_cmpuint(b.fd->resets, ==, 1);
    g_assert_cmpuint(b.fd->hot_resets, ==, 0);
    g_assert_cmpstr(b.d->reset_kind, ==, "function reset");
    bench_done(&b);
}

/* No VFIO_DEVICE_FLAGS_RESET: a bus reset with the group fds when every group is held. */
static void test_reset_bus(void)
{
    Bench b;

    bench_init(&b);
    add_ahci(&b, 1, false);
    realize_ok(&b, "host=" AHCI ",addr=03.0");
    g_assert_cmpuint(b.fd->resets, ==, 0);
    g_assert_cmpuint(b.fd->hot_resets, ==, 1);
    g_assert_cmpuint(b.fd->hot_reset_groups, ==, use_iommufd ? 0 : 1); /* a cdev gives none */
    g_assert_cmpstr(b.d->reset_kind, ==, "bus reset");
    bench_done(&b);
}

/* A dependent device in a group armpass does not hold: a warning naming it, no reset. */
static void test_reset_bus_not_held(void)
{
    g_autofree char *err = NULL;
    Bench b;

    bench_init(&b);
    add_ahci(&b, 1, false);
    b.fd->hot_reset_deps[1] = (struct vfio_pci_dependent_device){
        .group_id = 9, .segment = 0, .bus = 0, .devfn = PCI_DEVFN(2, 1) };
    b.fd->nr_hot_reset_deps = 2;
    printerr_start();
    realize_ok(&b, "host=" AHCI ",addr=03.0");
    err = printerr_stop();
    assert_says(err, AHCI);
    assert_says(err, "not reset");
    assert_says(err, "0000:00:02.1");
    assert_says(err, use_iommufd ? "with the same iommufd=" : "group 9");
    g_assert_cmpuint(b.fd->hot_resets, ==, 0);
    g_assert_cmpuint(b.fd->resets, ==, 0);
    g_assert_cmpstr(b.d->reset_kind, ==, "none");
    bench_done(&b);
}

/* GET_PCI_HOT_RESET_INFO refused: the warning says so. */
static void test_reset_info_fails(void)
{
    g_autofree char *err = NULL;
    Bench b;

    bench_init(&b);
    add_ahci(&b, 1, false);
    b.fd->nr_hot_reset_deps = 0; /* the fake answers ENODEV */
    printerr_start();
    realize_ok(&b, "host=" AHCI ",addr=03.0");
    err = printerr_stop();
    assert_says(err, AHCI);
    assert_says(err, "not reset");
    assert_says(err, "VFIO_DEVICE_GET_PCI_HOT_RESET_INFO");
    assert_says(err, g_strerror(ENODEV));
    g_assert_cmpuint(b.fd->hot_resets, ==, 0);
    bench_done(&b);
}

/* The function reset fails and no bus reset is possible: the warning says the reset failed
 * (not that there is none) and why the bus reset could not stand in. */
static void test_reset_flr_fails(void)
{
    g_autofree char *err = NULL;
    Bench b;

    bench_init(&b);
    add_nvme(&b, FAKE_NVME_MSIX_MAPPABLE);
    fake_vfio_fail_ioctl(b.f, VFIO_DEVICE_RESET, 1, EIO);
    printerr_start();
    realize_ok(&b, "host=" NVME ",addr=03.0");
    err = printerr_stop();
    assert_says(err, NVME);
    assert_says(err, "not reset");
    assert_says(err, "VFIO_DEVICE_RESET");
    assert_says(err, g_strerror(EIO));
    assert_says(err, "VFIO_DEVICE_GET_PCI_HOT_RESET_INFO");
    g_assert_null(strstr(err, "no function reset"));
    g_assert_true(g_str_has_suffix(err, "\n"));
    g_assert_null(strchr(err, '\n')[1] ? err : NULL); /* one line */
    g_assert_cmpstr(b.d->reset_kind, ==, "none");
    bench_done(&b);
}

/* An MSI-X table the device says is in its I/O BAR (the specification wants memory space):
 * refused as any other impossible table BAR. */
static void test_error_msix_in_io_bar(void)
{
    g_autofree char *msg = NULL;
    uint8_t *c;
    Bench b;

    bench_init(&b);
    add_ahci(&b, 1, false);
    b.fd->irqs[VFIO_PCI_MSIX_IRQ_INDEX].count = 1;
    c = b.fd->regions[VFIO_PCI_CONFIG_REGION_INDEX].mem;
    c[FAKE_AHCI_MSI_CAP + 1] = 0xa0;
    c[0xa0] = PCI_CAP_ID_MSIX;
    c[0xa1] = 0;
    c[0xa2] = 0; /* 1 vector */
    c[0xa4] = 4; /* table: BAR4 +0 */
    c[0xa8] = 4 | 0x10; /* PBA: BAR4 +0x10 */
    msg = realize_fails(&b, "host=" AHCI ",addr=03.0");
    assert_says(msg, "MSI-X table in BAR 4");
    assert_says(msg, "no such memory BAR");
    bench_done(&b);
}

/* ---- vfio_pci_parse_host ------------------------------------------------------------- */

static void test_parse_host(void)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        { "0000:00:01.0", "0000:00:01.0" },
        { "00:01.0", "0000:00:01.0" },
        { "0002:0A:1F.7", "0002:0a:1f.7" },
        { "ff:1f.7", "0000:ff:1f.7" },
        { "abcd:ef:00.3", "abcd:ef:00.3" },
        { "0000:00:01.8", NULL },   /* function 0-7 */
        { "0000:00:20.0", NULL },   /* slot 00-1f */
        { "0000:00:01.a", NULL },
        { "00000:00:01.0", NULL },  /* too long */
        { "0000:00:01.00", NULL },
        { "0000:000:01.0", NULL },
        { "0:0:1.0", NULL },
        { "00:zz.0", NULL },
        { "0x00:01.0", NULL },
        { " 000:01.0", NULL },
        { "+000:00:01.0", NULL },
        { "0000-00:01.0", NULL },
        { "", NULL },
        { "garbage", NULL },
        { NULL, NULL },
    };

    for (unsigned i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) err = NULL;
        g_autofree char *got = vfio_pci_parse_host(cases[i].in, &err);

        if (cases[i].out) {
            g_assert_no_error(err);
            g_assert_cmpstr(got, ==, cases[i].out);
        } else {
            if (got) {
                g_error("host=%s parsed as %s", cases[i].in, got);
            }
            g_assert_nonnull(err);
            assert_says(err->message, "DDDD:BB:DD.F");
        }
    }
}

/* -d stats' DMA line: "vfio BDF dma (BACKEND): N mappings, X bytes in Y us (IOCTL)" — the
 * benchmark compares the backends by it (tests/bench/analyze.py). */
static void test_stats_dma(void)
{
    g_autoptr(GString) stats = g_string_new(NULL);
    g_autofree char *want = g_strdup_printf("  vfio " NVME " dma (%s): 1 mappings, %" PRIu64
                                            " bytes in ", use_iommufd ? "iommufd" : "type1v2",
                                            (uint64_t)RAM_SIZE);
    Bench b;

    bench_init(&b);
    add_nvme(&b, FAKE_NVME_MSIX_MAPPABLE);
    realize_ok(&b, "host=" NVME ",addr=03.0");
    vfio_pci_device_class.print_stats(&b.d->parent, stats);
    if (!strstr(stats->str, want)) {
        g_error("stats \"%s\" lack \"%s\"", stats->str, want);
    }
    g_assert_nonnull(strstr(stats->str, use_iommufd ? " us (IOMMU_IOAS_MAP)\n"
                                                    : " us (VFIO_IOMMU_MAP_DMA)\n"));
    bench_done(&b);
}

/* ---- Hot-plug behind a pcie-root-port ------------------------------------------------- */

#define RP_SLOT 2
#define RP_DEVFN PCI_DEVFN(RP_SLOT, 0)
#define RP_EXP(r) (PCIE_RP_EXP_CAP + (r))
#define RP_MSI(r) (PCIE_RP_MSI_CAP + (r))
#define RP_MSI_SIGNAL "signal 0x8090040/0x31 devid 0x10"

typedef struct Deleted {
    GPtrArray *ids, *paths;
    GPtrArray *failed;  /* ms->device_failed: "ID: REASON" */
} Deleted;

static void on_deleted(void *opaque, const char *id, const char *path)
{
    Deleted *del = opaque;

    g_ptr_array_add(del->ids, g_strdup(id ? id : "(none)"));
    g_ptr_array_add(del->paths, g_strdup(path));
}

static void on_failed(void *opaque, const char *id, const char *reason)
{
    Deleted *del = opaque;

    g_ptr_array_add(del->failed, g_strdup_printf("%s: %s", id ? id : "(none)", reason));
}

static uint32_t rp_read(Bench *b, uint32_t reg, unsigned len)
{
    return pci_bus_config_read(b->ms.pci_bus, 0, RP_DEVFN, reg, len);
}

static void rp_write(Bench *b, uint32_t reg, uint32_t val, unsigned len)
{
    pci_bus_config_write(b->ms.pci_bus, 0, RP_DEVFN, reg, val, len);
}

/* The function behind the port (bus 1, device 0). */
static uint32_t ep_read(Bench *b, uint32_t reg, unsigned len)
{
    return pci_bus_config_read(b->ms.pci_bus, 1, 0, reg, len);
}

static void ep_write(Bench *b, uint32_t reg, uint32_t val, unsigned len)
{
    pci_bus_config_write(b->ms.pci_bus, 1, 0, reg, val, len);
}

/* "-device pcie-root-port,id=rp0,addr=02.0", realized, then set up as Linux leaves it:
 * secondary bus 1, memory window [0x10000000, 0x100fffff] forwarded, pciehp's notifications
 * on with MSI. */
static PCIERootPort *bench_root_port(Bench *b, Deleted *del)
{
    g_autoptr(OptList) ol = NULL;
    g_autoptr(GError) err = NULL;
    DeviceState *dev;

    b->ms.devices = g_ptr_array_new();
    b->ms.models = virt_device_classes;
    b->ms.device_deleted = on_deleted;
    b->ms.device_deleted_opaque = del;
    b->ms.device_failed = on_failed;
    del->ids = g_ptr_array_new_with_free_func(g_free);
    del->paths = g_ptr_array_new_with_free_func(g_free);
    del->failed = g_ptr_array_new_with_free_func(g_free);
    g_assert_true(opt_list_parse("id=rp0,addr=02.0", false, &ol, &err));
    dev = device_create_from_class(&pcie_root_port_device_class, ol, 0, &err);
    g_assert_no_error(err);
    g_assert_true(pcie_root_port_device_class.realize(dev, &b->ms, &err));
    g_assert_no_error(err);
    dev->realized = true;
    g_ptr_array_add(b->ms.devices, dev);
    rp_write(b, PCI_PRIMARY_BUS, 0x010100, 4);
    rp_write(b, PCI_MEMORY_BASE, 0x10001000, 4);
    rp_write(b, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 2);
    return (PCIERootPort *)dev;
}

static void guest_enable_hotplug(Bench *b)
{
    rp_write(b, RP_MSI(PCI_MSI_ADDRESS_LO), 0x08090040, 4);
    rp_write(b, RP_MSI(PCI_MSI_ADDRESS_HI), 0, 4);
    rp_write(b, RP_MSI(PCI_MSI_DATA_64), 0x31, 2);
    rp_write(b, RP_MSI(PCI_MSI_FLAGS), PCI_MSI_FLAGS_ENABLE, 2);
    rp_write(b, RP_EXP(PCI_EXP_SLTCTL), PCI_EXP_SLTCTL_ABPE |
             PCI_EXP_SLTCTL_CCIE | PCI_EXP_SLTCTL_HPIE | PCI_EXP_SLTCTL_DLLSCE |
             (rp_read(b, RP_EXP(PCI_EXP_SLTCTL), 2) & (PCI_EXP_SLTCTL_PCC |
                                                       PCI_EXP_SLTCTL_PIC)), 2);
}

static void slot_ack(Bench *b)
{
    rp_write(b, RP_EXP(PCI_EXP_SLTSTA), rp_read(b, RP_EXP(PCI_EXP_SLTSTA), 2) & 0x11f, 2);
}

static void slot_power(Bench *b, bool on)
{
    uint16_t ctl = (uint16_t)rp_read(b, RP_EXP(PCI_EXP_SLTCTL), 2);

    ctl &= (uint16_t)~(PCI_EXP_SLTCTL_PCC | PCI_EXP_SLTCTL_PIC);
    ctl |= on ? PCI_EXP_SLTCTL_PWR_ON | PCI_EXP_SLTCTL_PWR_IND_ON
              : PCI_EXP_SLTCTL_PWR_OFF | PCI_EXP_SLTCTL_PWR_IND_OFF;
    rp_write(b, RP_EXP(PCI_EXP_SLTCTL), ctl, 2);
}

static bool log_has(Bench *b, const char *line)
{
    for (unsigned i = 0; i < b->irq.log->len; i++) {
        if (strcmp(g_ptr_array_index(b->irq.log, i), line) == 0) {
            return true;
        }
    }
    return false;
}

static DeviceState *hot_add(Bench *b, const char *str, GError **errp)
{
    g_autoptr(OptList) ol = NULL;
    g_autoptr(GError) err = NULL;

    g_assert_true(opt_list_parse(str, true, &ol, &err));
    return machine_hotplug_add(&b->ms, ol, errp);
}

/* What pciehp and the NVMe driver do after Presence Detect Changed: power the slot on,
 * enumerate, place BAR0 in the port's window, turn MSI-X on with vector 0 unmasked. */
static void guest_probe(Bench *b, VfioPciDevice *d)
{
    slot_power(b, true);
    g_assert_true(rp_read(b, RP_EXP(PCI_EXP_LNKSTA), 2) & PCI_EXP_LNKSTA_DLLLA);
    g_assert_cmphex(ep_read(b, PCI_VENDOR_ID, 2), ==, dev_cfg16(b, PCI_VENDOR_ID));
    g_assert_cmphex(ep_read(b, PCI_DEVICE_ID, 2), ==, dev_cfg16(b, PCI_DEVICE_ID));
    ep_write(b, PCI_BASE_ADDRESS_0, (uint32_t)BAR0_GPA, 4);
    ep_write(b, PCI_BASE_ADDRESS_1, 0, 4);
    ep_write(b, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 2);
    g_assert_cmphex(pci_bar_address(&d->pdev, 0), ==, BAR0_GPA);
    ep_write(b, FAKE_NVME_MSIX_CAP + PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE, 2);
    guest_write(b, TABLE_GPA + PCI_MSIX_ENTRY_LOWER_ADDR, 0x08090040, 4);
    guest_write(b, TABLE_GPA + PCI_MSIX_ENTRY_UPPER_ADDR, 0, 4);
    guest_write(b, TABLE_GPA + PCI_MSIX_ENTRY_DATA, 0x21, 4);
    guest_write(b, TABLE_GPA + PCI_MSIX_ENTRY_VECTOR_CTRL, 0, 4);
    /* The route carries the requester ID with the bus number the guest gave the port. */
    g_assert_true(log_has(b, "route add 100 0x8090040/0x21 devid 0x100") ||
                  log_has(b, "route add 101 0x8090040/0x21 devid 0x100"));
    g_assert_cmpint(b->irq.routes, ==, 1);
    g_assert_cmpint(b->irq.irqfds, ==, 1);
}

/* Nothing of the removed device is left: fds, mmaps, eventfds, routes, irqfds, the BAR's
 * region in the guest's map, the function on the bus, the device in ms->devices. */
static void assert_nothing_left(Bench *b)
{
    g_assert_cmpuint(fake_vfio_open_fds(b->f), ==, 0);
    g_assert_cmpuint(fake_vfio_live_mmaps(b->f), ==, 0);
    g_assert_cmpuint(fake_vfio_open_eventfds(b->f), ==, 0);
    g_assert_cmpuint(count_fds(), ==, b->host_fds);
    g_assert_cmpint(b->irq.routes, ==, 0);
    g_assert_cmpint(b->irq.irqfds, ==, 0);
    g_assert_cmpint(b->irq.level_irqfds, ==, 0);
    g_assert_null(flatview_lookup(b->as.view, BAR0_GPA));
    g_assert_cmphex(ep_read(b, PCI_VENDOR_ID, 2), ==, 0xffff);
    g_assert_cmpuint(b->ms.devices->len, ==, 1);
    /* Guest RAM is unmapped from the IOMMU with the container. */
    g_assert_cmpuint(b->f->unmaps->len, ==, b->f->maps->len);
}

static void bench_root_port_done(Bench *b, Deleted *del)
{
    DeviceState *dev = g_ptr_array_index(b->ms.devices, 0);

    g_assert_cmpuint(b->ms.devices->len, ==, 1);
    pcie_root_port_device_class.unrealize(dev, &b->ms);
    device_free(dev);
    g_ptr_array_unref(b->ms.devices);
    b->ms.devices = NULL;
    g_ptr_array_unref(del->ids);
    g_ptr_array_unref(del->paths);
    g_ptr_array_unref(del->failed);
}

static void test_hotplug(void)
{
    g_autoptr(GError) err = NULL;
    PCIERootPort *rp;
    DeviceState *dev;
    Deleted del;
    Bench b;

    bench_init(&b);
    add_nvme(&b, FAKE_NVME_MSIX_MAPPABLE);
    rp = bench_root_port(&b, &del);
    b.host_fds = count_fds();
    b.counted = true;
    b.ms.guest_running = true;
    guest_enable_hotplug(&b);
    slot_ack(&b);
    g_ptr_array_set_size(b.irq.log, 0);

    for (unsigned round = 0; round < 2; round++) {
        g_autofree char *signal_line = NULL;
        VfioPciDevice *d;

        /* device_add: attached, DMA-mapped, in the slot; the guest is told (PDC, one MSI
         * from the port). */
        dev = hot_add(&b, "vfio-pci,host=" NVME ",bus=rp0,id=nvme0", &err);
        g_assert_no_error(err);
        g_assert_nonnull(dev);
        d = (VfioPciDevice *)dev;
        g_assert_cmpuint(b.ms.devices->len, ==, 2);
        g_assert_cmphex(rp_read(&b, RP_EXP(PCI_EXP_SLTSTA), 2), ==,
                        PCI_EXP_SLTSTA_PDS | PCI_EXP_SLTSTA_PDC | PCI_EXP_SLTSTA_ABP);
        g_assert_true(log_has(&b, RP_MSI_SIGNAL));
        g_assert_cmpuint(b.f->maps->len, >, 0);
        g_assert_cmpuint(fake_vfio_open_fds(b.f), >, 0);
        slot_ack(&b);
        guest_probe(&b, d);
        slot_ack(&b);

        /* device_del: the attention button; a second one is refused while it is pending. */
        g_ptr_array_set_size(b.irq.log, 0);
        g_assert_true(machine_hotplug_del(&b.ms, "nvme0", &err));
        g_assert_no_error(err);
        g_assert_true(rp_read(&b, RP_EXP(PCI_EXP_SLTSTA), 2) & PCI_EXP_SLTSTA_ABP);
        g_assert_true(log_has(&b, RP_MSI_SIGNAL));
        g_assert_false(machine_hotplug_del(&b.ms, "nvme0", &err));
        assert_says(err->message, "already under way");
        g_clear_error(&err);
        slot_ack(&b);
        /* Still there until the guest powers the slot off. */
        while (g_main_context_iteration(b.ms.main_context, FALSE)) {
        }
        g_assert_cmpuint(del.ids->len, ==, round);
        g_assert_cmpuint(b.ms.devices->len, ==, 2);
        /* pciehp unbinds the driver (MSI-X off, decode off) and powers the slot off. */
        ep_write(&b, FAKE_NVME_MSIX_CAP + PCI_MSIX_FLAGS, 0, 2);
        ep_write(&b, PCI_COMMAND, 0, 2);
        slot_power(&b, false);
        g_assert_cmpuint(del.ids->len, ==, round); /* not from the vCPU's config write */
        while (g_main_context_iteration(b.ms.main_context, FALSE)) {
        }
        g_assert_cmpuint(del.ids->len, ==, round + 1);
        g_assert_cmpstr(g_ptr_array_index(del.ids, round), ==, "nvme0");
        g_assert_cmpstr(g_ptr_array_index(del.paths, round), ==, "/machine/peripheral/nvme0");
        assert_nothing_left(&b);
        /* The slot is empty again: not present, and the guest told. */
        g_assert_cmphex(rp_read(&b, RP_EXP(PCI_EXP_SLTSTA), 2) & PCI_EXP_SLTSTA_PDS, ==, 0);
        g_assert_true(rp_read(&b, RP_EXP(PCI_EXP_SLTSTA), 2) & PCI_EXP_SLTSTA_PDC);
        g_assert_false(rp->unplug_requested);
        slot_ack(&b);
        (void)signal_line;
    }
    bench_root_port_done(&b, &del);
    bench_done(&b);
}

/* The guest's side of a device_del in the heap tests: pciehp unbinds the driver (MSI-X off,
 * decode off) and powers the slot off. */
static void heap_guest_release(Bench *b)
{
    slot_ack(b);
    ep_write(b, FAKE_NVME_MSIX_CAP + PCI_MSIX_FLAGS, 0, 2);
    ep_write(b, PCI_COMMAND, 0, 2);
    slot_power(b, false);
}

/* The end of a heap test's cycle: the device gone and nothing left of it; then the fake's
 * and the bench's logs are emptied, so that only armpass's own heap is left to grow. */
static void heap_cycle_end(Bench *b, Deleted *del)
{
    g_assert_cmpuint(del->ids->len, ==, 1);
    assert_nothing_left(b);
    slot_ack(b);
    g_ptr_array_set_size(del->ids, 0);
    g_ptr_array_set_size(del->paths, 0);
    g_ptr_array_set_size(b->irq.log, 0);
    g_ptr_array_set_size(b->f->log, 0);
    g_array_set_size(b->f->maps, 0);
    g_array_set_size(b->f->unmaps, 0);
    g_array_set_size(b->f->set_irqs, 0);
    b->irq.next_gsi = 100; /* the recorder's GSIs never come back by themselves */
}

/* Whether mallinfo2 sees this run's heap: not under ASan (LeakSanitizer covers that run) nor
 * under scripts/hardening.sh's valgrind run (memcheck covers it); the test is skipped then. */
static bool heap_measurable(void)
{
#ifdef __SANITIZE_ADDRESS__
    g_test_skip("mallinfo2 does not see ASan's heap (LeakSanitizer covers this run)");
    return false;
#endif
    if (g_getenv("G_SLICE")) {
        g_test_skip("under valgrind: mallinfo2 does not see its heap");
        return false;
    }
    return true;
}

/* A heap test's bench: the NVMe, rp0 with hot-plug on as the guest enables it, the guest
 * running (device_add is a hot-plug), descriptors counted. */
static void heap_bench_init(Bench *b, Deleted *del)
{
    bench_init(b);
    add_nvme(b, FAKE_NVME_MSIX_MAPPABLE);
    (void)bench_root_port(b, del);
    b->host_fds = count_fds();
    b->counted = true;
    b->ms.guest_running = true;
    guest_enable_hotplug(b);
    slot_ack(b);
    g_ptr_array_set_size(b->irq.log, 0);
}

/* One hot-plug cycle as test_hotplug makes it (device_add, the guest's probe, device_del,
 * the guest powering the slot off). */
static void hotplug_cycle(Bench *b, Deleted *del)
{
    g_autoptr(GError) err = NULL;
    DeviceState *dev = hot_add(b, "vfio-pci,host=" NVME ",bus=rp0,id=nvme0", &err);

    g_assert_no_error(err);
    slot_ack(b);
    guest_probe(b, (VfioPciDevice *)dev);
    slot_ack(b);
    g_assert_true(machine_hotplug_del(&b->ms, "nvme0", &err));
    heap_guest_release(b);
    while (g_main_context_iteration(b->ms.main_context, FALSE)) {
    }
    heap_cycle_end(b, del);
}

/*
 * The soak's hot-plug cycle (docs/hardening.md, "Soak") in the unit suite: after warm-up
 * cycles, 100 more must leave the heap (glibc's bytes in use, mallinfo2) where it was, give
 * or take allocator noise: a leak of 16 bytes a cycle would show, where the test bed's RSS
 * (in pages, with fragmentation) cannot tell a few KiB of growth from a leak.
 */
static void test_hotplug_heap_steady(void)
{
    size_t least = SIZE_MAX;
    Deleted del;
    Bench b;

    if (!heap_measurable()) {
        return;
    }
    heap_bench_init(&b, &del);
    /* Warm-up: the heap in use climbs by about 4 KiB over the first 150 cycles (hash tables
     * and arrays, GLib's, the fake's and armpass's, reaching their sizes) and then stays
     * within a few hundred bytes, mostly (measured, December 2026: 112 KiB at cycle 10,
     * 116.2 KiB at 100, 116.9 to 117.5 KiB from 125 to 400; once in three runs a window of
     * 100 cycles grew by 2.4 KiB). So: three windows of 50 cycles, and the least growth of
     * the three must be small. A leak of 16 bytes a cycle grows every window by 800. */
    for (unsigned i = 0; i < 150; i++) {
        hotplug_cycle(&b, &del);
    }
    for (unsigned w = 0; w < 3; w++) {
        size_t before, after;

        armpass_rcu_barrier();
        before = mallinfo2().uordblks;
        for (unsigned i = 0; i < 50; i++) {
            hotplug_cycle(&b, &del);
        }
        armpass_rcu_barrier();
        after = mallinfo2().uordblks;
        g_test_message("heap in use: %zu bytes, %zu after 50 more cycles", before, after);
        least = MIN(least, after > before ? after - before : 0);
    }
    g_assert_cmpuint(least, <, 800);
    bench_root_port_done(&b, &del);
    bench_done(&b);
}

typedef struct QmpBench {
    QmpServer *qmp;
    Deleted *del;
} QmpBench;

static void qmp_on_deleted(void *opaque, const char *id, const char *path)
{
    QmpBench *qb = opaque;

    on_deleted(qb->del, id, path);
    qmp_event_device_deleted(qb->qmp, id, path);
}

/* One QMP session as qmp-client makes it: connect, greeting, capabilities, cmd; the replies
 * (and events) read until want is seen, or the loop idles. Returns what the client read. */
/* Runs the main loop until it idles, then reads what the server wrote to the client fd. */
static char *qmp_session_drain(Bench *b, int cfd)
{
    GString *got = g_string_new(NULL);
    char buf[4096];
    ssize_t n;

    while (g_main_context_iteration(b->ms.main_context, FALSE)) {
    }
    while ((n = read(cfd, buf, sizeof(buf))) > 0) {
        g_string_append_len(got, buf, n);
    }
    return g_string_free(got, FALSE);
}

static char *qmp_session_open(Bench *b, QmpServer *qmp, const char *cmd, int *cfd)
{
    int sv[2];

    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv),
                    ==, 0);
    qmp_server_add_client(qmp, sv[0]);
    g_assert_cmpint(write(sv[1], "{\"execute\": \"qmp_capabilities\"}\n", 32), ==, 32);
    g_assert_cmpint(write(sv[1], cmd, strlen(cmd)), ==, (ssize_t)strlen(cmd));
    *cfd = sv[1];
    return qmp_session_drain(b, sv[1]);
}

static char *qmp_session_close(Bench *b, int cfd)
{
    char *got = qmp_session_drain(b, cfd);

    close(cfd);
    while (g_main_context_iteration(b->ms.main_context, FALSE)) {
    }
    return got;
}

static void qmp_hotplug_cycle(Bench *b, QmpBench *qb)
{
    g_autofree char *r1 = NULL, *r2 = NULL, *r3 = NULL;
    DeviceState *dev;
    int cfd;

    r1 = qmp_session_open(b, qb->qmp, "{\"execute\": \"device_add\", \"arguments\": "
                          "{\"driver\": \"vfio-pci\", \"host\": \"" NVME "\", \"bus\": "
                          "\"rp0\", \"id\": \"nvme0\"}}\n", &cfd);
    g_free(qmp_session_close(b, cfd));
    g_assert_nonnull(strstr(r1, "\"return\":{}"));
    g_assert_cmpuint(b->ms.devices->len, ==, 2);
    dev = g_ptr_array_index(b->ms.devices, 1);
    slot_ack(b);
    guest_probe(b, (VfioPciDevice *)dev);
    slot_ack(b);
    r2 = qmp_session_open(b, qb->qmp, "{\"execute\": \"device_del\", \"arguments\": "
                          "{\"id\": \"nvme0\"}}\n", &cfd);
    heap_guest_release(b);
    r3 = qmp_session_close(b, cfd);
    g_assert_nonnull(strstr(r3, "DEVICE_DELETED"));
    heap_cycle_end(b, qb->del);
}

/*
 * The soak's cycle through QMP (docs/hardening.md, "Soak"): device_add and device_del as
 * JSON on a client connection each, as qmp-client makes them, DEVICE_DELETED read back, the
 * guest's pciehp on the slot in between. The heap in use is measured with glibc's per-thread
 * cache (tcache) off, in a subprocess started with GLIBC_TUNABLES: chunks a thread freed into
 * its tcache count as in use in mallinfo2, and that cache fills over hundreds of cycles
 * (measured, December 2026: +330 bytes a cycle over the first 50 cycles, +30 after 300, on
 * the same cycle whose live blocks valgrind finds the same at 10 and 60 cycles); without it
 * the heap in use stays within 32 bytes over 200 cycles, so a leak of one chunk a cycle
 * (32 bytes at least) shows at once.
 */
static void test_hotplug_heap_qmp(void)
{
    size_t before, after;
    Deleted del;
    QmpBench qb = { .del = &del };
    bool measured;
    Bench b;
    void *probe;

    if (!heap_measurable()) {
        return;
    }
    if (!g_test_subprocess()) {
        g_autofree char *saved = g_strdup(g_getenv("GLIBC_TUNABLES"));

        g_setenv("GLIBC_TUNABLES", "glibc.malloc.tcache_count=0", TRUE);
        g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
        if (saved) {
            g_setenv("GLIBC_TUNABLES", saved, TRUE);
        } else {
            g_unsetenv("GLIBC_TUNABLES");
        }
        g_test_trap_assert_passed();
        return;
    }
    /* The tunable took: a freed chunk leaves the heap in use at once. Under valgrind run
     * by hand on this subprocess (--GTestSubprocess), mallinfo2 says 0: the cycles run for
     * memcheck, unmeasured. */
    probe = g_malloc(200);
    before = mallinfo2().uordblks;
    g_free(probe);
    measured = before != 0;
    g_assert_true(!measured || mallinfo2().uordblks < before);

    heap_bench_init(&b, &del);
    qb.qmp = qmp_server_new(b.ms.main_context);
    hotplug_qmp_register(qb.qmp, &b.ms);
    b.ms.device_deleted = qmp_on_deleted;
    b.ms.device_deleted_opaque = &qb;
    for (unsigned i = 0; i < 10; i++) { /* warm-up: arrays and hash tables at their sizes */
        qmp_hotplug_cycle(&b, &qb);
    }
    armpass_rcu_barrier();
    before = mallinfo2().uordblks;
    for (unsigned i = 0; i < 100; i++) {
        qmp_hotplug_cycle(&b, &qb);
    }
    armpass_rcu_barrier();
    after = mallinfo2().uordblks;
    g_test_message("heap in use (tcache off): %zu bytes, %zu after 100 more QMP cycles", before,
                   after);
    if (measured) { /* one leaked chunk a cycle: 3,200 bytes or more */
        g_assert_cmpuint(after, <, before + 1024);
    }
    hotplug_qmp_unregister(qb.qmp);
    qmp_server_free(qb.qmp);
    bench_root_port_done(&b, &del);
    bench_done(&b);
}

/* -device vfio-pci,bus=rp0 at start: in the slot, powered, link up, no event; reached on
 * the bus number the guest gives the port; device_del removes it like a hot-plugged one. */
static void test_coldplug_behind_port(void)
{
    g_autoptr(GError) err = NULL;
    Deleted del;
    Bench b;

    bench_init(&b);
    add_nvme(&b, FAKE_NVME_MSIX_MAPPABLE);
    (void)bench_root_port(&b, &del);
    b.host_fds = count_fds();
    b.counted = true;
    /* The root port is set up by bench_root_port after realize; undo its bus number to see
     * the device unreachable until the guest programs one. */
    rp_write(&b, PCI_PRIMARY_BUS, 0, 4);
    realize_ok(&b, "host=" NVME ",bus=rp0,id=nvme0");
    b.d->parent.realized = true;
    g_ptr_array_add(b.ms.devices, &b.d->parent);
    g_assert_cmphex(rp_read(&b, RP_EXP(PCI_EXP_SLTSTA), 2), ==, PCI_EXP_SLTSTA_PDS);
    g_assert_true(rp_read(&b, RP_EXP(PCI_EXP_LNKSTA), 2) & PCI_EXP_LNKSTA_DLLLA);
    g_assert_false(rp_read(&b, RP_EXP(PCI_EXP_SLTCTL), 2) & PCI_EXP_SLTCTL_PCC);
    g_assert_cmphex(ep_read(&b, PCI_VENDOR_ID, 2), ==, 0xffff);
    rp_write(&b, PCI_PRIMARY_BUS, 0x010100, 4);
    /* INTx at start: on the port's slot's line (device 0 pin A -> slot 2 pin A), which the
     * port drives from userspace too; KVM has no wired-OR of an irqfd and a userspace source,
     * so the device's INTx takes the userspace path (armpass's bus ORs both), with a notice. */
    g_assert_cmpuint(b.d->intx.gsi, ==, INTX_FIRST_SPI + RP_SLOT % 4);
    g_assert_false(b.d->intx.kernel_path);
    g_assert_cmpint(b.d->intx.trigger_fd, >=, 0);
    g_assert_true(b.d->intx_shared_notice);
    g_assert_cmpint(b.irq.level_irqfds, ==, 0);
    b.ms.guest_running = true;
    guest_enable_hotplug(&b);
    slot_ack(&b);
    guest_probe(&b, b.d);
    g_assert_true(machine_hotplug_del(&b.ms, "nvme0", &err));
    g_assert_no_error(err);
    slot_power(&b, false);
    while (g_main_context_iteration(b.ms.main_context, FALSE)) {
    }
    g_assert_cmpuint(del.ids->len, ==, 1);
    b.d = NULL; /* freed by the hot-plug layer */
    assert_nothing_left(&b);
    bench_root_port_done(&b, &del);
    bench_done(&b);
}

/* A root-bus device whose INTx the swizzle puts on a root port's line (slot 6 pin A and the
 * port's slot 2 pin A: the same SPI) takes the userspace path as well; one on another line
 * (slot 3) keeps its irqfd. */
static void test_intx_root_port_line(void)
{
    const unsigned slots[] = { 6, 3 };

    for (unsigned i = 0; i < G_N_ELEMENTS(slots); i++) {
        g_autofree char *props = g_strdup_printf("host=" NVME ",addr=%02x.0", slots[i]);
        bool shared = i == 0;
        Deleted del;
        Bench b;

        bench_init(&b);
        add_nvme(&b, FAKE_NVME_MSIX_MAPPABLE);
        (void)bench_root_port(&b, &del);
        realize_ok(&b, props);
        g_assert_cmpuint(b.d->intx.gsi == INTX_FIRST_SPI + RP_SLOT % 4, ==, shared);
        g_assert_cmpuint(b.d->intx.kernel_path, ==, !shared);
        g_assert_cmpuint(b.d->intx_shared_notice, ==, shared);
        bench_root_port_done(&b, &del);
        bench_done(&b);
    }
}

/* On a board with lines for root ports (virt's), the INTx of the device in a port's slot
 * reach SPIs of the port's own: nothing emulated shares them, so the kernel path (irqfd and
 * resamplefd) carries it, with no notice. */
static void test_intx_root_port_own_lines(void)
{
    Deleted del;
    Bench b;

    bench_init(&b);
    add_nvme(&b, FAKE_NVME_MSIX_MAPPABLE);
    b.ms.pci_port_intx_spi = 40;
    b.ms.pci_port_intx_groups = 16;
    (void)bench_root_port(&b, &del);
    realize_ok(&b, "host=" NVME ",bus=rp0,id=nvme0");
    g_assert_cmpuint(b.d->intx.gsi, ==, 40); /* device 0 pin A: the group's INTA */
    g_assert_true(b.d->intx.kernel_path);
    g_assert_false(b.d->intx_shared_notice);
    g_assert_cmpint(b.irq.level_irqfds, ==, 1);
    vfio_pci_device_class.unrealize(&b.d->parent, &b.ms); /* before its port */
    g_assert_cmpint(b.irq.level_irqfds, ==, 0);
    device_free(&b.d->parent);
    b.d = NULL;
    bench_root_port_done(&b, &del);
    bench_done(&b);
}

/* ---- The request interrupt: the host wants the device back ------------------------------ */

/* What the kernel does when the device is removed from the host (echo 1 > .../remove) or
 * unbound from vfio-pci: it signals the request eventfd; then the main loop turns. */
static void host_request(Bench *b, VfioPciDevice *d)
{
    uint64_t one = 1;

    g_assert_true(d->req_wired);
    g_assert_cmpint(write(d->req_fd, &one, sizeof(one)), ==, sizeof(one));
    while (g_main_context_iteration(b->ms.main_context, FALSE)) {
    }
}

/* The last VFIO_DEVICE_SET_IRQS of the request index: its eventfd (-1: taken back). */
static int last_req_fd(Bench *b)
{
    for (guint i = b->f->set_irqs->len; i > 0; i--) {
        const FakeSetIrqs *s = &g_array_index(b->f->set_irqs, FakeSetIrqs, i - 1);

        if (s->index == VFIO_PCI_REQ_IRQ_INDEX) {
            g_assert_cmphex(s->flags, ==, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER);
            return s->fd;
        }
    }
    g_error("no VFIO_DEVICE_SET_IRQS of the request index");
}

/* Realize gives VFIO an eventfd for the request interrupt; with no one to tell (no
 * ms->device_request) a request is a notice, once, and the device stays; unrealize takes
 * the eventfd back (fd -1) and closes it. */
static void test_request_wiring(void)
{
    g_autofree char *notice = NULL;
    Bench b;

    bench_init(&b);
    add_nvme(&b, FAKE_NVME_MSIX_MAPPABLE);
    realize_ok(&b, "host=" NVME ",addr=03.0"); /* checks the SET_IRQS (index 4, eventfd) */
    g_assert_true(b.d->req_wired);
    g_assert_cmpuint(fake_vfio_open_eventfds(b.f), ==, irq_eventfds(&b) + 1);
    printerr_start();
    host_request(&b, b.d);
    host_request(&b, b.d); /* the kernel asks again every 10 s */
    notice = printerr_stop();
    assert_says(notice, "vfio " NVME ": the host asks for the device back");
    assert_says(notice, "the host's removal waits until armpass exits");
    g_assert_null(strstr(strchr(notice, '\n') + 1, "asks")); /* once */
    g_assert_cmpuint(b.d->req_signals, ==, 2);
    g_assert_cmpuint(bus_devices(&b), ==, 1);
    g_assert_cmphex(cfg_read(&b, PCI_VENDOR_ID, 2), ==, 0x1b36);
    unrealize(&b); /* every eventfd closed */
    g_assert_cmpint(last_req_fd(&b), ==, -1);
    bench_done(&b);
}

/* A device without the request interrupt, or one whose eventfd VFIO refuses: it works, and
 * a notice says the host's removal of it will wait for armpass's exit. */
static void test_request_unavailable(void)
{
    for (unsigned k = 0; k < 2; k++) {
        g_autofree char *notice = NULL;
        Bench b;

        bench_init(&b);
        add_nvme(&b, FAKE_NVME_MSIX_MAPPABLE);
        if (k == 0) {
            b.fd->num_irqs = VFIO_PCI_REQ_IRQ_INDEX; /* INTx, MSI, MSI-X, ERR only */
        } else {
            /* INTx's TRIGGER and UNMASK pass, the request's TRIGGER is refused */
            fake_vfio_fail_ioctl(b.f, VFIO_DEVICE_SET_IRQS, 3, EINVAL);
        }
        printerr_start();
        realize_ok(&b, "host=" NVME ",addr=03.0");
        notice = printerr_stop();
        g_assert_false(b.d->req_wired);
        assert_says(notice, k == 0 ? "VFIO offers no request interrupt for it"
                                   : "VFIO_DEVICE_SET_IRQS (index 4, TRIGGER eventfd");
        assert_says(notice, "if the host removes the device, the removal waits until armpass "
                    "exits");
        g_assert_cmpuint(fake_vfio_open_eventfds(b.f), ==, 2); /* INTx's alone: none leaked */
        place_bar0(&b);
        g_assert_nonnull(flatview_lookup(b.as.view, BAR0_GPA));
        bench_done(&b);
    }
}

/* In a root port's slot with pciehp on: the host's request is a device_del (the attention
 * button); the device stays until the guest powers the slot off, then goes with
 * DEVICE_DELETED and nothing left, which lets the host's removal complete. A request again
 * meanwhile (the kernel's, 10 s later) presses nothing. */
static void test_request_slot(void)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *notice = NULL;
    PCIERootPort *rp;
    DeviceState *dev;
    Deleted del;
    Bench b;

    bench_init(&b);
    add_nvme(&b, FAKE_NVME_MSIX_MAPPABLE);
    rp = bench_root_port(&b, &del);
    b.host_fds = count_fds();
    b.counted = true;
    b.ms.guest_running = true;
    b.ms.device_request = machine_hotplug_host_request;
    guest_enable_hotplug(&b);
    slot_ack(&b);
    dev = hot_add(&b, "vfio-pci,host=" NVME ",bus=rp0,id=nvme0", &err);
    g_assert_no_error(err);
    slot_ack(&b);
    guest_probe(&b, (VfioPciDevice *)dev);
    slot_ack(&b);
    g_ptr_array_set_size(b.irq.log, 0);

    printerr_start();
    host_request(&b, (VfioPciDevice *)dev);
    notice = printerr_stop();
    assert_says(notice, "armpass: vfio-pci nvme0 (host " NVME "): the host asks for the device "
                "back");
    assert_says(notice, "the guest is asked to release it");
    g_assert_true(rp->unplug_requested);
    g_assert_true(rp_read(&b, RP_EXP(PCI_EXP_SLTSTA), 2) & PCI_EXP_SLTSTA_ABP);
    g_assert_true(log_has(&b, RP_MSI_SIGNAL));
    slot_ack(&b);
    g_ptr_array_set_size(b.irq.log, 0);
    host_request(&b, (VfioPciDevice *)dev); /* 10 s later: still within the 20 s */
    g_assert_false(rp_read(&b, RP_EXP(PCI_EXP_SLTSTA), 2) & PCI_EXP_SLTSTA_ABP);
    g_assert_false(log_has(&b, RP_MSI_SIGNAL));
    g_assert_cmpuint(b.ms.devices->len, ==, 2);
    g_assert_cmpuint(del.ids->len, ==, 0);

    /* pciehp unbinds the driver and powers the slot off: the device goes (and the kernel
     * takes its group out of the container before armpass does: no warning for that). */
    fake_vfio_fail_ioctl(b.f, VFIO_GROUP_UNSET_CONTAINER, 1, EINVAL);
    ep_write(&b, FAKE_NVME_MSIX_CAP + PCI_MSIX_FLAGS, 0, 2);
    ep_write(&b, PCI_COMMAND, 0, 2);
    slot_power(&b, false);
    while (g_main_context_iteration(b.ms.main_context, FALSE)) {
    }
    g_assert_cmpuint(del.ids->len, ==, 1);
    g_assert_cmpstr(g_ptr_array_index(del.ids, 0), ==, "nvme0");
    g_assert_cmpuint(del.failed->len, ==, 0); /* the guest let it go: nothing failed */
    assert_nothing_left(&b);
    g_assert_cmpint(last_req_fd(&b), ==, -1);
    bench_root_port_done(&b, &del);
    bench_done(&b);
}

/* Where the guest cannot be asked or does not answer, the device is taken away: a warning,
 * X_ARMPASS_DEVICE_FAILED (ms->device_failed) with the reason, the device off the bus (the
 * guest reads all ones), its BAR out of the guest's map, every fd closed and the DMA
 * unmapped (the host's removal completes), DEVICE_DELETED.
 *   root-bus: on the root bus, no slot;
 *   no-pciehp: behind a port whose hot-plug the guest never enabled;
 *   timeout: in a slot, the button pressed 21 s ago and the device still there. */
static void test_request_take_away(gconstpointer data)
{
    const char *kind = data;
    bool root_bus = !strcmp(kind, "root-bus");
    g_autoptr(GError) err = NULL;
    const char *want;
    PCIERootPort *rp;
    VfioPciDevice *d;
    Deleted del;
    Bench b;

    bench_init(&b);
    add_nvme(&b, FAKE_NVME_MSIX_MAPPABLE);
    rp = bench_root_port(&b, &del);
    b.host_fds = count_fds();
    b.counted = true;
    b.ms.device_request = machine_hotplug_host_request;
    realize_ok(&b, root_bus ? "host=" NVME ",addr=03.0,id=nvme0" : "host=" NVME ",bus=rp0,id=nvme0");
    d = b.d;
    d->parent.realized = true;
    g_ptr_array_add(b.ms.devices, &d->parent);
    b.ms.guest_running = true;
    if (root_bus) {
        place_bar0(&b);
        g_assert_nonnull(flatview_lookup(b.as.view, BAR0_GPA));
        g_assert_cmphex(cfg_read(&b, PCI_VENDOR_ID, 2), ==, 0x1b36);
        want = "it is in no hot-plug slot";
    } else if (!strcmp(kind, "no-pciehp")) {
        g_assert_cmphex(ep_read(&b, PCI_VENDOR_ID, 2), ==, 0x1b36);
        want = "the guest has not enabled hot-plug on the slot";
    } else {
        guest_enable_hotplug(&b);
        slot_ack(&b);
        guest_probe(&b, d);
        g_assert_true(machine_hotplug_del(&b.ms, "nvme0", &err)); /* device_del, unanswered */
        rp->unplug_requested_at -= 21 * G_USEC_PER_SEC;
        slot_ack(&b);
        want = "the guest did not release it within 20 s";
    }
    /* Once the device fd is closed the kernel finishes the removal and takes the group out
     * of its container itself (seen in the bed): armpass's own unset then fails with EINVAL,
     * which is no news worth a warning (a warning fails this test). */
    fake_vfio_fail_ioctl(b.f, VFIO_GROUP_UNSET_CONTAINER, 1, EINVAL);
    g_test_expect_message("armpass-hotplug", G_LOG_LEVEL_WARNING,
                          "vfio-pci nvme0 (host " NVME "): the host asks for the device back*"
                          "taking it away from the guest*");
    host_request(&b, d);
    g_test_assert_expected_messages();
    b.d = NULL; /* freed */
    g_assert_cmpuint(del.failed->len, ==, 1);
    assert_says(g_ptr_array_index(del.failed, 0), "nvme0: the host asks for the device back");
    assert_says(g_ptr_array_index(del.failed, 0), want);
    g_assert_null(strchr(g_ptr_array_index(del.failed, 0), '\n'));
    g_assert_cmpuint(del.ids->len, ==, 1);
    g_assert_cmpstr(g_ptr_array_index(del.ids, 0), ==, "nvme0");
    g_assert_cmpstr(g_ptr_array_index(del.paths, 0), ==, "/machine/peripheral/nvme0");
    if (root_bus) {
        g_assert_cmphex(cfg_read(&b, PCI_VENDOR_ID, 2), ==, 0xffff);
    } else {
        /* the port tells the guest the card went (a surprise removal for pciehp) */
        g_assert_cmphex(ep_read(&b, PCI_VENDOR_ID, 2), ==, 0xffff);
        g_assert_false(rp_read(&b, RP_EXP(PCI_EXP_SLTSTA), 2) & PCI_EXP_SLTSTA_PDS);
        g_assert_true(rp_read(&b, RP_EXP(PCI_EXP_SLTSTA), 2) & PCI_EXP_SLTSTA_PDC);
        g_assert_false(rp->unplug_requested);
    }
    assert_nothing_left(&b);
    g_assert_cmpint(last_req_fd(&b), ==, -1);
    bench_root_port_done(&b, &del);
    bench_done(&b);
}

static void test_hotplug_errors(void)
{
    g_autoptr(GError) err = NULL;
    ArmpassConfig cfg = { 0 };
    DeviceState *dev;
    Deleted del;
    Bench b;

    bench_init(&b);
    add_nvme(&b, FAKE_NVME_MSIX_MAPPABLE);
    fake_vfio_add_ahci(b.f, AHCI, AHCI_GROUP, 1, false);
    sysfs_fixture_add(b.sys, "pci", AHCI, AHCI_GROUP, false, "vfio-pci");
    (void)bench_root_port(&b, &del);
    b.host_fds = count_fds();
    b.counted = true;
    b.ms.guest_running = true;

    g_assert_null(hot_add(&b, "vfio-platform,host=9010000.pl031", &err));
    assert_says(err->message, "a platform device lives in the device tree, which a running "
                "guest does not re-read");
    g_clear_error(&err);
    g_assert_null(hot_add(&b, "vfio-amba,host=9010000.pl031", &err));
    assert_says(err->message, "platform device");
    g_clear_error(&err);
    g_assert_null(hot_add(&b, "pcie-root-port,id=rp1", &err));
    assert_says(err->message, "root ports at boot only");
    g_clear_error(&err);
    g_assert_null(hot_add(&b, "nosuch", &err));
    assert_says(err->message, "unknown device type");
    g_clear_error(&err);
    g_assert_null(hot_add(&b, "vfio-pci,host=" NVME, &err));
    assert_says(err->message, "give bus=ID of an empty pcie-root-port");
    g_clear_error(&err);
    g_assert_null(hot_add(&b, "vfio-pci,host=" NVME ",bus=rp9", &err));
    assert_says(err->message, "bus=rp9: no pcie-root-port has id=rp9");
    g_clear_error(&err);
    g_assert_null(hot_add(&b, "vfio-pci,host=" NVME ",bus=rp0,id=rp0", &err));
    assert_says(err->message, "id=rp0 is taken");
    g_clear_error(&err);
    g_assert_null(hot_add(&b, "vfio-pci,host=" NVME ",bus=rp0,bogus=1", &err));
    assert_says(err->message, "unknown property \"bogus\"");
    g_clear_error(&err);
    g_assert_null(hot_add(&b, "vfio-pci,host=0000:00:09.0,bus=rp0", &err));
    assert_says(err->message, "no such PCI device");
    g_clear_error(&err);
    /* fd= from a QMP client would name one of armpass's own descriptors. */
    g_assert_null(hot_add(&b, "vfio-pci,host=" NVME ",bus=rp0,iommufd=i0,fd=3", &err));
    assert_says(err->message, "fd= and group-fd= take descriptors inherited at start");
    g_clear_error(&err);
    g_assert_null(hot_add(&b, "vfio-pci,host=" NVME ",bus=rp0,group-fd=4", &err));
    assert_says(err->message, "give host= or sysfsdev=");
    g_clear_error(&err);
    cfg.sandbox = true;
    b.ms.cfg = &cfg;
    g_assert_null(hot_add(&b, "vfio-pci,host=" NVME ",bus=rp0", &err));
    assert_says(err->message, "-sandbox on");
    g_clear_error(&err);
    b.ms.cfg = NULL;
    /* Each refusal left nothing behind. */
    g_assert_cmpuint(fake_vfio_open_fds(b.f), ==, 0);
    g_assert_cmpuint(count_fds(), ==, b.host_fds);
    g_assert_cmpuint(b.ms.devices->len, ==, 1);

    /* The slot takes one device. */
    dev = hot_add(&b, "vfio-pci,host=" NVME ",bus=rp0,id=nvme0", &err);
    g_assert_no_error(err);
    g_assert_null(hot_add(&b, "vfio-pci,host=" AHCI ",bus=rp0,id=ahci0", &err));
    assert_says(err->message, "the slot of bus rp0 is taken");
    g_clear_error(&err);
    g_assert_cmpuint(b.ms.devices->len, ==, 2);

    /* device_del: unknown id, a root port, no pciehp on the slot yet. */
    g_assert_false(machine_hotplug_del(&b.ms, "nope", &err));
    g_assert_error(err, HOTPLUG_ERROR, HOTPLUG_ERROR_NOT_FOUND);
    assert_says(err->message, "Device 'nope' not found");
    g_clear_error(&err);
    g_assert_false(machine_hotplug_del(&b.ms, "rp0", &err));
    assert_says(err->message, "cannot be removed while the guest runs");
    g_clear_error(&err);
    g_assert_false(machine_hotplug_del(&b.ms, "nvme0", &err));
    assert_says(err->message, "has not enabled hot-plug");
    g_clear_error(&err);
    /* Torn down at exit like any device (the machine's teardown). */
    vfio_pci_device_class.unrealize(dev, &b.ms);
    g_ptr_array_remove(b.ms.devices, dev);
    device_free(dev);
    g_assert_cmpuint(fake_vfio_open_fds(b.f), ==, 0);
    bench_root_port_done(&b, &del);
    bench_done(&b);
}

static void add_both(const char *path, void (*fn)(void))
{
    fake_test_add_both(path, fn, &use_iommufd);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    armpass_rcu_register_thread(); /* commits and accesses read the view under RCU */
    /* The default main context (the userspace INTx resample timer's) and its wakeup fd exist
     * before any test counts the process's fds. */
    (void)g_main_context_default();
    add_both("/vfio-pci/realize/config", test_realize_config);
    add_both("/vfio-pci/stats-dma", test_stats_dma);
    g_test_add_func("/vfio-pci/hotplug/add-del-twice", test_hotplug);
    g_test_add_func("/vfio-pci/hotplug/coldplug-behind-port", test_coldplug_behind_port);
    g_test_add_func("/vfio-pci/hotplug/intx-root-port-line", test_intx_root_port_line);
    g_test_add_func("/vfio-pci/hotplug/intx-root-port-own-lines", test_intx_root_port_own_lines);
    g_test_add_func("/vfio-pci/hotplug/errors", test_hotplug_errors);
    g_test_add_func("/vfio-pci/hotplug/heap-steady", test_hotplug_heap_steady);
    g_test_add_func("/vfio-pci/hotplug/heap-steady-qmp", test_hotplug_heap_qmp);
    g_test_add_func("/vfio-pci/request/wiring", test_request_wiring);
    g_test_add_func("/vfio-pci/request/unavailable", test_request_unavailable);
    g_test_add_func("/vfio-pci/request/slot", test_request_slot);
    g_test_add_data_func("/vfio-pci/request/take-away/root-bus", "root-bus",
                         test_request_take_away);
    g_test_add_data_func("/vfio-pci/request/take-away/no-pciehp", "no-pciehp",
                         test_request_take_away);
    g_test_add_data_func("/vfio-pci/request/take-away/timeout", "timeout",
                         test_request_take_away);
    add_both("/vfio-pci/bar0/mmap", test_bar0_mmap);
    add_both("/vfio-pci/bar0/sparse", test_bar0_sparse);
    add_both("/vfio-pci/bar0/64k-pages", test_bar0_64k_pages);
    add_both("/vfio-pci/bar0/no-mmap", test_bar0_no_mmap);
    add_both("/vfio-pci/bar0/decode-order", test_bar0_decode_order);
    add_both("/vfio-pci/msix", test_msix);
    g_test_add_func("/vfio-pci/shared-group", test_shared_group);
    add_both("/vfio-pci/error/guest-addr", test_error_guest_addr);
    add_refusals();
    add_both("/vfio-pci/error/host-malformed", test_error_host_malformed);
    add_both("/vfio-pci/msi-only", test_msi_only);
    add_both("/vfio-pci/msi-vfio-count", test_msi_vfio_count);
    add_both("/vfio-pci/no-its-intx", test_no_its_intx);
    add_both("/vfio-pci/error/late-cleanup", test_error_late_cleanup);
    add_both("/vfio-pci/parse-host", test_parse_host);
    add_both("/vfio-pci/intx/pin", test_intx_pin);
    add_both("/vfio-pci/intx/userspace", test_intx_userspace);
    add_both("/vfio-pci/intx/userspace-stale", test_intx_userspace_stale);
    add_both("/vfio-pci/intx/shared-line", test_intx_shared_line);
    add_both("/vfio-pci/irq-modes", test_irq_modes);
    add_both("/vfio-pci/msi-while-msix", test_msi_while_msix);
    add_both("/vfio-pci/msix/set-irqs-fails", test_msix_set_irqs_fails);
    add_both("/vfio-pci/msix/userspace", test_msix_userspace);
    add_both("/vfio-pci/msi/maskbit", test_msi_maskbit);
    add_both("/vfio-pci/rom/device", test_rom_device);
    add_both("/vfio-pci/rom/hidden", test_rom_hidden);
    add_both("/vfio-pci/rom/file", test_rom_file);
    add_both("/vfio-pci/rom/file-unreadable", test_rom_file_unreadable);
    add_both("/vfio-pci/io-bar", test_io_bar);
    add_both("/vfio-pci/specific-regions", test_specific_regions);
    add_both("/vfio-pci/reset/flr", test_reset_flr);
    add_both("/vfio-pci/reset/bus", test_reset_bus);
    add_both("/vfio-pci/reset/bus-not-held", test_reset_bus_not_held);
    g_test_add_func("/vfio-pci/reset/info-fails", test_reset_info_fails);
    add_both("/vfio-pci/reset/flr-fails", test_reset_flr_fails);
    add_both("/vfio-pci/error/msix-in-io-bar", test_error_msix_in_io_bar);
    int ret = g_test_run();

    armpass_rcu_barrier();
    armpass_rcu_unregister_thread();
    return ret;
}
