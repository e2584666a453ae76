// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz-pci-config: a guest programming a vfio-pci device. The device is realized on the fake
 * VFIO kernel of the unit tests (tests/unit/vfio-fake.c) on a PCI root bus with virt's three
 * windows and RAM below them, with a recording MachineIrqOps; the input chooses the device
 * and its properties (first byte), then is a sequence of operations:
 *   config read/write of 1, 2, 4 (or 0, 3, 8) bytes at any offset, unaligned and out of range
 *   included; MSI-X table and PBA reads and writes straight into the emulation; guest reads
 *   and writes through address_space_rw at a BAR's address, a window's, RAM's or anywhere;
 *   MSI-X and MSI enable toggles (with function mask, multiple message enable); a BAR placed
 *   at an address chosen to hurt (over RAM, over another BAR, across a window's end, sizing);
 *   an interrupt from the device (an MSI/MSI-X vector's eventfd, INTx's) and a turn of the
 *   main loop that handles it.
 * Oracles, after every operation: every range of the flat view that belongs to the device is
 * one of its BARs, where pci_bar_address says, wholly inside a window of its kind, and never
 * over RAM, and a mapped BAR wholly visible; a BAR's mmap'd part enters and leaves the guest's
 * map only while the device decodes (its command register in the fake); the live MSI routes and irqfds never outnumber the vectors on, an INTx irqfd is
 * there only in INTx mode; eventfds open stay within what the mode needs. At teardown every
 * fd (fake and real), mmap, route and irqfd is gone and the view is RAM alone. No crash, no
 * sanitizer report, no leak, no glib warning but the rate-limited BAR refusals.
 */
#include "fuzz-common.h"
#include "hw/core/device.h"
#include "hw/pci/msi.h"
#include "hw/pci/msix.h"
#include "hw/pci/pci.h"
#include "hw/vfio/vfio-pci.h"
#include "system/options.h"
#include "system/rcu.h"
#include "../unit/vfio-fake.h"

#include <string.h>
#include <unistd.h>

#define NVME "0000:00:01.0"
#define AHCI "0000:00:02.0"
#define RAM_BASE UINT64_C(0x40000000)
#define RAM_SIZE UINT64_C(0x100000)
#define MAX_OPS 256

static const PCIWindow windows[] = {
    { PCI_WINDOW_MMIO32, 0x10000000, 0x2eff0000 },
    { PCI_WINDOW_MMIO64, UINT64_C(0x8000000000), UINT64_C(0x8000000000) },
    { PCI_WINDOW_IO, 0x3eff0000, 0x10000 },
};

/* ---- A recording interrupt controller ------------------------------------------------- */

typedef struct Irq {
    unsigned next_gsi;
    int routes, irqfds, level_irqfds;
    bool has_msi;
    unsigned intx_high;   /* lines the bus drives high */
    uint64_t signals;
} Irq;

static bool rec_set_spi(void *o, unsigned spi, bool level, GError **errp)
{
    (void)o, (void)spi, (void)level, (void)errp;
    return true;
}

static bool rec_irqfd_assign(void *o, int fd, int resamplefd, unsigned gsi, GError **errp)
{
    Irq *r = o;

    (void)fd, (void)gsi, (void)errp;
    FUZZ_CHECK(fd >= 0);
    if (resamplefd >= 0) {
        r->level_irqfds++;
    } else {
        r->irqfds++;
    }
    return true;
}

static bool rec_irqfd_deassign(void *o, int fd, unsigned gsi, GError **errp);

static bool rec_has_resample(void *o)
{
    (void)o;
    return true;
}

static bool rec_route_add(void *o, uint64_t addr, uint32_t data, uint32_t devid, unsigned *gsi,
                          GError **errp)
{
    Irq *r = o;

    (void)addr, (void)data, (void)devid, (void)errp;
    *gsi = r->next_gsi++;
    r->routes++;
    return true;
}

static bool rec_route_update(void *o, unsigned gsi, uint64_t addr, uint32_t data,
                             uint32_t devid, GError **errp)
{
    Irq *r = o;

    (void)addr, (void)data, (void)devid, (void)errp;
    FUZZ_CHECK(gsi < r->next_gsi);
    return true;
}

static void rec_route_release(void *o, unsigned gsi)
{
    Irq *r = o;

    FUZZ_CHECK(gsi < r->next_gsi);
    r->routes--;
    FUZZ_CHECK(r->routes >= 0);
}

static bool rec_signal_msi(void *o, uint64_t addr, uint32_t data, uint32_t devid, GError **errp)
{
    (void)addr, (void)data, (void)devid, (void)errp;
    ((Irq *)o)->signals++;
    return true;
}

static bool rec_has_msi(void *o)
{
    return ((Irq *)o)->has_msi;
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

/* ---- The machine, made once ------------------------------------------------------------ */

static struct {
    char *sys;
    char *romfile;
    MemoryRegion sysmem, ram;
    AddressSpace as;
    MachineState ms;
    Irq irq;
    VfioPciDevice *d;  /* the device of the input being run */
    FakeDevice *fdev;  /* its fake kernel side */
    MemoryListener ml; /* checks the device decodes whenever the guest has a BAR mapped */
} m;

static bool rec_irqfd_deassign(void *o, int fd, unsigned gsi, GError **errp)
{
    Irq *r = o;

    (void)gsi, (void)errp;
    if (m.d && m.d->intx.ms && fd == m.d->intx.trigger_fd) {
        r->level_irqfds--;
    } else {
        r->irqfds--;
    }
    FUZZ_CHECK(r->irqfds >= 0 && r->level_irqfds >= 0);
    return true;
}

/* The BAR (index) a flat range belongs to, or -1 (RAM, or no device). */
static int range_bar(const FlatRange *fr)
{
    MemoryRegion *top = fr->mr;

    while (top->parent && top->parent != &m.sysmem) {
        top = top->parent;
    }
    for (int bar = 0; m.d && bar < PCI_NUM_REGIONS; bar++) {
        if (m.d->pdev.bars[bar].size && m.d->pdev.bars[bar].mr == top) {
            return bar;
        }
    }
    return -1;
}

/* A BAR's mmap'd part comes and goes only while the device decodes that space (vfio-pci
 * zaps the mmaps of a device that stops decoding: a vCPU access would fail KVM_RUN). */
static void check_decode(const FlatRange *fr)
{
    int bar = range_bar(fr);
    const uint8_t *c;
    uint16_t want;

    if (bar < 0 || fr->mr->kind != MR_RAM_DEVICE || !m.fdev) {
        return;
    }
    c = m.fdev->regions[VFIO_PCI_CONFIG_REGION_INDEX].mem;
    want = bar != PCI_ROM_SLOT && (m.d->pdev.bars[bar].type & PCI_BASE_ADDRESS_SPACE_IO)
               ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY;
    FUZZ_CHECK((c[PCI_COMMAND] | c[PCI_COMMAND + 1] << 8) & want);
}

static bool decode_add(MemoryListener *l, const FlatRange *fr, GError **errp)
{
    (void)l, (void)errp;
    check_decode(fr);
    return true;
}

static void decode_del(MemoryListener *l, const FlatRange *fr)
{
    (void)l;
    check_decode(fr);
}

static void rec_intx(void *o, unsigned spi, bool level)
{
    Irq *r = o;

    FUZZ_CHECK(spi >= 3 && spi < 7);
    if (level) {
        r->intx_high++;
    } else {
        FUZZ_CHECK(r->intx_high > 0);
        r->intx_high--;
    }
}

static void quiet_printerr(const gchar *msg)
{
    (void)msg; /* the no-ITS and not-reset notices */
}

/* Warnings abort, but for the rate-limited ones a guest may cause at will. */
static void log_handler(const gchar *domain, GLogLevelFlags level, const gchar *msg,
                        gpointer opaque)
{
    (void)opaque;
    if ((level & G_LOG_LEVEL_WARNING) && msg &&
        (strstr(msg, "left unmapped") || strstr(msg, "(config space)"))) {
        return;
    }
    if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING)) {
        fprintf(stderr, "%s: %s\n", domain ? domain : "", msg ? msg : "");
        abort();
    }
}

static void cleanup(void)
{
    if (m.sys) {
        sysfs_fixture_free(m.sys);
        m.sys = NULL;
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    g_autoptr(GError) err = NULL;
    static const uint8_t rom[3000] = { 0x55, 0xaa, 0x06 };
    g_autofree char *path = NULL;

    (void)argc, (void)argv;
    g_setenv("G_MESSAGES_DEBUG", "", TRUE);
    g_log_set_default_handler(log_handler, NULL);
    g_log_set_always_fatal(G_LOG_FATAL_MASK);
    g_set_printerr_handler(quiet_printerr);
    armpass_rcu_register_thread();
    m.sys = sysfs_fixture_new();
    atexit(cleanup);
    sysfs_fixture_add(m.sys, "pci", NVME, 7, false, "vfio-pci");
    sysfs_fixture_add(m.sys, "pci", AHCI, 8, false, "vfio-pci");
    path = g_build_filename(m.sys, "rom.bin", NULL);
    FUZZ_CHECK(g_file_set_contents(path, (const char *)rom, sizeof(rom), NULL));
    m.romfile = g_steal_pointer(&path);
    memory_region_init_container(&m.sysmem, "system", UINT64_C(1) << 48);
    FUZZ_CHECK(memory_region_init_ram(&m.ram, "ram", RAM_SIZE, &err));
    FUZZ_CHECK(memory_region_add_subregion(&m.sysmem, RAM_BASE, &m.ram, 0, &err));
    address_space_init(&m.as, &m.sysmem, "memory");
    FUZZ_CHECK(address_space_commit(&m.as, &err));
    m.ml = (MemoryListener){ .name = "decode", .region_add = decode_add,
                             .region_del = decode_del };
    FUZZ_CHECK(address_space_add_listener(&m.as, &m.ml, &err));
    m.ms.irq_ops = &rec_irq_ops;
    m.ms.irq_opaque = &m.irq;
    m.ms.sysmem = &m.sysmem;
    m.ms.as = &m.as;
    m.ms.main_context = g_main_context_new();
    m.ms.sysfs_root = m.sys;
    m.ms.dev_vfio = (char *)"/dev/vfio";
    m.ms.pci_bus = pci_bus_new(&m.sysmem, &m.as, windows, G_N_ELEMENTS(windows));
    pci_bus_set_intx_handler(m.ms.pci_bus, 3, rec_intx, &m.irq);
    return 0;
}

/* ---- Invariants ---------------------------------------------------------------------- */

static bool in_window(PCIWindowKind want_io, uint64_t addr, uint64_t size)
{
    for (unsigned i = 0; i < G_N_ELEMENTS(windows); i++) {
        const PCIWindow *w = &windows[i];

        if ((w->kind == PCI_WINDOW_IO) != (want_io == PCI_WINDOW_IO)) {
            continue;
        }
        if (addr >= w->base && addr - w->base < w->size && size <= w->size - (addr - w->base)) {
            return true;
        }
    }
    return false;
}

static void check_view(VfioPciDevice *d)
{
    const FlatView *fv = m.as.view;
    uint64_t seen[PCI_NUM_REGIONS] = { 0 };

    for (unsigned i = 0; i < fv->nr; i++) {
        const FlatRange *fr = &fv->ranges[i];
        MemoryRegion *top = fr->mr;
        unsigned bar;

        while (top->parent && top->parent != &m.sysmem) {
            top = top->parent;
        }
        FUZZ_CHECK(top->parent == &m.sysmem);
        if (top == &m.ram) {
            FUZZ_CHECK(fr->addr >= RAM_BASE && fr->addr + fr->size <= RAM_BASE + RAM_SIZE);
            continue;
        }
        FUZZ_CHECK(d != NULL);
        for (bar = 0; bar < PCI_NUM_REGIONS; bar++) {
            if (d->pdev.bars[bar].size && d->pdev.bars[bar].mr == top) {
                break;
            }
        }
        FUZZ_CHECK(bar < PCI_NUM_REGIONS); /* nothing but RAM and the device's BARs */
        FUZZ_CHECK(d->pdev.bars[bar].addr == top->addr);
        FUZZ_CHECK(fr->addr >= top->addr && fr->addr - top->addr < top->size);
        /* Inside a window of its kind, never over RAM. */
        FUZZ_CHECK(in_window(bar != PCI_ROM_SLOT &&
                             (d->pdev.bars[bar].type & PCI_BASE_ADDRESS_SPACE_IO)
                                 ? PCI_WINDOW_IO : PCI_WINDOW_MMIO32,
                             fr->addr, fr->size));
        FUZZ_CHECK(fr->addr + fr->size <= RAM_BASE || fr->addr >= RAM_BASE + RAM_SIZE);
        seen[bar] += fr->size;
    }
    /* A mapped BAR is wholly visible: no other BAR hides a part of it. */
    for (unsigned bar = 0; d && bar < PCI_NUM_REGIONS; bar++) {
        const PCIBar *pb = &d->pdev.bars[bar];

        if (pb->size && pb->mr) {
            FUZZ_CHECK(seen[bar] == (pb->addr == PCI_BAR_UNMAPPED ? 0 : pb->mr->size));
        }
    }
}

static void check_irqs(VfioPciDevice *d, FakeVfio *f)
{
    unsigned on = d->nr_vectors_on;

    FUZZ_CHECK(on <= d->nr_vectors);
    FUZZ_CHECK(m.irq.routes >= 0 && (unsigned)m.irq.routes <= on);
    FUZZ_CHECK(m.irq.irqfds >= 0 && (unsigned)m.irq.irqfds <= on);
    FUZZ_CHECK(m.irq.level_irqfds == (d->irq_mode == VFIO_PCI_IRQ_INTX && d->intx.ms &&
                                      d->intx.kernel_path ? 1 : 0));
    if (d->irq_mode == VFIO_PCI_IRQ_MSIX) {
        FUZZ_CHECK(d->pdev.msix && d->pdev.msix->enabled && on == d->pdev.msix->nr_vectors);
    } else if (d->irq_mode == VFIO_PCI_IRQ_MSI) {
        FUZZ_CHECK(d->pdev.msi && d->pdev.msi->enabled && on == d->pdev.msi->nr_vectors);
    } else {
        FUZZ_CHECK(on == 0 && m.irq.routes == 0 && m.irq.irqfds == 0);
    }
    /* INTx needs two eventfds (trigger, resample), a vector one each, and the request
     * interrupt one while the device is realized. */
    FUZZ_CHECK(d->req_wired);
    FUZZ_CHECK(fake_vfio_open_eventfds(f) <= on + 2 + 1);
    FUZZ_CHECK(m.irq.intx_high <= 1);
}

/* ---- The operations ------------------------------------------------------------------ */

typedef struct Input {
    const uint8_t *p;
    size_t n;
} Input;

static uint64_t take(Input *in, size_t bytes)
{
    uint8_t b[8] = { 0 };
    size_t k = MIN(bytes, in->n);

    memcpy(b, in->p, k);
    in->p += k;
    in->n -= k;
    return fuzz_ld_le(b, bytes);
}

static unsigned access_len(uint8_t code)
{
    static const unsigned lens[8] = { 1, 2, 4, 4, 1, 2, 3, 8 };

    return lens[code & 7];
}

/* An address that hurts: a BAR's, a window's edges, RAM, anything. */
static uint64_t pick_addr(VfioPciDevice *d, uint8_t sel, uint32_t off)
{
    switch (sel & 7) {
    case 0: {
        uint64_t a = pci_bar_address(&d->pdev, (sel >> 3) % PCI_NUM_REGIONS);

        return a == PCI_BAR_UNMAPPED ? off : a + (off & 0xffff);
    }
    case 1:
        return windows[(sel >> 3) % 3].base + off;
    case 2:
        return windows[(sel >> 3) % 3].base + windows[(sel >> 3) % 3].size - (off & 0xff);
    case 3:
        return RAM_BASE + (off % RAM_SIZE);
    default:
        return (uint64_t)off << (sel >> 5);
    }
}

/* A value for a BAR register: over RAM, over another BAR, at a window's edge, sizing... */
static uint32_t pick_bar_value(VfioPciDevice *d, uint8_t sel, uint32_t raw)
{
    uint64_t other;

    switch (sel & 7) {
    case 0:
        return (uint32_t)RAM_BASE + (raw & 0xfff0);
    case 1:
        return 0xffffffff;
    case 2:
        return (uint32_t)windows[0].base + (raw & 0xfffff0);
    case 3:
        return (uint32_t)(windows[0].base + windows[0].size) - (raw & 0xfff0);
    case 4:
        other = pci_bar_address(&d->pdev, (sel >> 3) % PCI_NUM_REGIONS);
        return other == PCI_BAR_UNMAPPED ? raw : (uint32_t)other + (raw & 0xff0);
    case 5:
        return raw & 0xffff; /* an I/O port */
    default:
        return raw;
    }
}

static void fire(VfioPciDevice *d, unsigned which)
{
    uint64_t one = 1;
    int fd = -1;

    if (which == 0xff) {
        fd = d->intx.ms ? d->intx.trigger_fd : -1;
    } else if (d->nr_vectors) {
        fd = d->vectors[which % d->nr_vectors].fd;
    }
    if (fd >= 0) {
        FUZZ_CHECK(write(fd, &one, sizeof(one)) == sizeof(one));
    }
}

static void run_op(VfioPciDevice *d, Input *in)
{
    PCIBus *bus = m.ms.pci_bus;
    uint8_t op = (uint8_t)take(in, 1);
    uint8_t devfn = d->pdev.devfn;

    switch (op % 12) {
    case 0: { /* config read */
        uint32_t reg = (uint32_t)take(in, 2) & 0x1fff;
        unsigned len = access_len((uint8_t)take(in, 1));
        uint32_t v = pci_bus_config_read(bus, 0, devfn, reg, len);

        if (len == 1 || len == 2) {
            FUZZ_CHECK(v >> (8 * len) == 0);
        }
        break;
    }
    case 1: { /* config write */
        uint32_t reg = (uint32_t)take(in, 2) & 0x1fff;
        unsigned len = access_len((uint8_t)take(in, 1));

        pci_bus_config_write(bus, 0, devfn, reg, (uint32_t)take(in, 4), len);
        break;
    }
    case 2: { /* config write into the header or a capability, aligned */
        uint32_t reg = (uint32_t)take(in, 1);
        unsigned len = access_len((uint8_t)take(in, 1)) & 7;

        len = len > 4 ? 4 : (len == 3 ? 2 : len);
        pci_bus_config_write(bus, 0, devfn, reg & ~(len - 1), (uint32_t)take(in, 4), len);
        break;
    }
    case 3: { /* MSI-X table / PBA, straight into the emulation */
        uint32_t off = (uint32_t)take(in, 2);
        uint8_t k = (uint8_t)take(in, 1);
        unsigned size = 1u << (k & 3);
        uint64_t val = take(in, 8);

        if (!d->pdev.msix) {
            break;
        }
        if (k & 4) {
            msix_pba_read(&d->pdev, off, size);
        } else if (k & 8) {
            msix_table_read(&d->pdev, off, size);
        } else {
            msix_table_write(&d->pdev, off % (msix_table_size(d->pdev.msix) + 16), val, size);
        }
        break;
    }
    case 4:
    case 5: { /* a guest access */
        uint8_t sel = (uint8_t)take(in, 1);
        uint32_t off = (uint32_t)take(in, 4);
        unsigned len = 1u << (take(in, 1) & 3); /* what a vCPU does: 1, 2, 4, 8 */
        uint8_t buf[8];
        uint64_t val = take(in, 8);

        memcpy(buf, &val, sizeof(buf));
        address_space_rw(&m.as, pick_addr(d, sel, off), buf, len, op % 12 == 5);
        break;
    }
    case 6: { /* MSI-X enable / function mask */
        uint8_t bits = (uint8_t)take(in, 1);

        if (d->pdev.msix) {
            pci_bus_config_write(bus, 0, devfn, d->pdev.msix->cap + PCI_MSIX_FLAGS,
                                 (bits & 1 ? PCI_MSIX_FLAGS_ENABLE : 0) |
                                     (bits & 2 ? PCI_MSIX_FLAGS_MASKALL : 0), 2);
        }
        break;
    }
    case 7: { /* MSI enable, multiple message enable, a vector's message and mask */
        uint8_t bits = (uint8_t)take(in, 1);
        uint32_t mask = (uint32_t)take(in, 4);
        MsiState *ms = d->pdev.msi;

        if (ms) {
            uint32_t data = ms->cap + (ms->is64 ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32);

            pci_bus_config_write(bus, 0, devfn, ms->cap + PCI_MSI_ADDRESS_LO, 0x08090040, 4);
            pci_bus_config_write(bus, 0, devfn, data, bits, 2);
            if (ms->maskbit) {
                pci_bus_config_write(bus, 0, devfn,
                                     ms->cap + (ms->is64 ? PCI_MSI_MASK_64 : PCI_MSI_MASK_32),
                                     mask, 4);
            }
            pci_bus_config_write(bus, 0, devfn, ms->cap + PCI_MSI_FLAGS,
                                 (bits & 1 ? PCI_MSI_FLAGS_ENABLE : 0) |
                                     ((bits >> 1) & 7) << 4, 2);
        }
        break;
    }
    case 8: { /* a BAR placed somewhere that hurts, decode on */
        uint8_t sel = (uint8_t)take(in, 1);
        unsigned idx = (sel >> 5) % 7;
        uint32_t reg = idx == 6 ? PCI_ROM_ADDRESS : PCI_BASE_ADDRESS_0 + 4 * idx;
        uint32_t v = pick_bar_value(d, sel, (uint32_t)take(in, 4));

        pci_bus_config_write(bus, 0, devfn, reg, idx == 6 ? v | PCI_ROM_ADDRESS_ENABLE : v, 4);
        pci_bus_config_write(bus, 0, devfn, PCI_COMMAND,
                             PCI_COMMAND_MEMORY | PCI_COMMAND_IO | PCI_COMMAND_MASTER, 2);
        break;
    }
    case 9: /* the device interrupts: a vector, or INTx */
        fire(d, (uint8_t)take(in, 1));
        /* fall through */
    case 10: /* the main loop turns */
        for (unsigned i = 0; i < 4 && g_main_context_iteration(m.ms.main_context, FALSE); i++) {
        }
        break;
    case 11: { /* an MSI-X vector unmasked with a message through the BAR, if mapped */
        uint8_t v = (uint8_t)take(in, 1);

        if (d->pdev.msix) {
            uint32_t off = (v % d->pdev.msix->nr_vectors) * MSIX_ENTRY_SIZE;

            msix_table_write(&d->pdev, off + PCI_MSIX_ENTRY_LOWER_ADDR, 0x08090040, 4);
            msix_table_write(&d->pdev, off + PCI_MSIX_ENTRY_DATA, v, 4);
            msix_table_write(&d->pdev, off + PCI_MSIX_ENTRY_VECTOR_CTRL, v >> 7, 4);
        }
        break;
    }
    }
}

/* ---- One input ----------------------------------------------------------------------- */

static VfioPciDevice *realize(const char *props)
{
    g_autofree char *str = g_strdup_printf("vfio-pci,%s", props);
    g_autoptr(OptList) ol = NULL;
    g_autoptr(GError) err = NULL;
    DeviceState *dev;

    FUZZ_CHECK(opt_list_parse(str, true, &ol, &err));
    dev = device_create_from_class(&vfio_pci_device_class, ol, 0, &err);
    FUZZ_CHECK(dev != NULL);
    if (!vfio_pci_device_class.realize(dev, &m.ms, &err)) {
        fuzz_note("realize", err);
        device_free(dev);
        return NULL;
    }
    return (VfioPciDevice *)dev;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Input in = { data, size };
    uint8_t cfg = (uint8_t)take(&in, 1);
    g_autoptr(GString) props = g_string_new(NULL);
    g_autoptr(GString) stats = g_string_new(NULL);
    FakeVfio *f = fake_vfio_new("/dev/vfio");
    VfioPciDevice *d;
    unsigned ops = 0;

    switch (cfg & 3) {
    case 0:
    case 1:
    case 2:
        m.fdev = fake_vfio_add_nvme(f, NVME, 7, (FakeNvmeVariant)(cfg & 3));
        g_string_append(props, "host=" NVME);
        break;
    default:
        m.fdev = fake_vfio_add_ahci(f, AHCI, 8, (cfg >> 7) ? 0 : 1, true);
        g_string_append(props, "host=" AHCI);
        break;
    }
    if (cfg & 4) {
        g_string_append(props, ",x-irqfd=off");
    }
    if (cfg & 8) {
        g_string_append(props, ",x-no-mmap=on");
    }
    if (cfg & 0x20) {
        g_string_append(props, ",rombar=0");
    } else if (cfg & 0x40) {
        g_string_append_printf(props, ",romfile=%s", m.romfile);
    }
    m.irq = (Irq){ .next_gsi = 100, .has_msi = !(cfg & 0x10) };
    m.ms.ops = &f->ops;
    m.ms.vfio = NULL;
    m.d = d = realize(props->str);
    if (d) {
        check_view(d);
        check_irqs(d, f);
        while (in.n && ops++ < MAX_OPS) {
            run_op(d, &in);
            check_view(d);
            check_irqs(d, f);
        }
        vfio_pci_device_class.print_stats(&d->parent, stats);
        vfio_pci_device_class.unrealize(&d->parent, &m.ms);
        device_free(&d->parent);
        m.d = NULL;
    }
    /* Everything is gone. */
    FUZZ_CHECK(m.irq.routes == 0 && m.irq.irqfds == 0 && m.irq.level_irqfds == 0);
    FUZZ_CHECK(m.irq.intx_high == 0);
    FUZZ_CHECK(m.as.view->nr == 1 && m.as.view->ranges[0].mr == &m.ram);
    vfio_context_free(m.ms.vfio);
    m.ms.vfio = NULL;
    FUZZ_CHECK(fake_vfio_open_fds(f) == 0);
    FUZZ_CHECK(fake_vfio_open_eventfds(f) == 0);
    FUZZ_CHECK(fake_vfio_live_mmaps(f) == 0);
    FUZZ_CHECK(f->live->len == 0);
    {
        g_autoptr(GPtrArray) devs = pci_bus_devices(m.ms.pci_bus);

        FUZZ_CHECK(devs->len == 0);
    }
    m.fdev = NULL;
    fake_vfio_free(f);
    /* Drain what the main loop still holds (sources of closed fds are destroyed already). */
    while (g_main_context_iteration(m.ms.main_context, FALSE)) {
    }
    /* The views replaced by commits, freed now: left to liburcu's call_rcu thread, they
     * would be freed during later inputs, and libFuzzer would run a leak check after most
     * inputs for the unbalanced mallocs (slower than this wait). */
    armpass_rcu_barrier();
    return 0;
}
