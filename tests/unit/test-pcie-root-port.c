// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests of pcie-root-port: its type-1 header and PCI Express capability, config routing by the bus numbers the guest programs, BAR placement in its windows, and the hot-plug slot's events and interrupt (MSI and INTA), on an emulated device behind it. */
#include "system/rcu.h"
#include "hw/core/device.h"
#include "hw/pci/msi.h"
#include "hw/pci/pci.h"
#include "hw/pci/pcie-root-port.h"
#include "hw/pci-host/gpex.h"
#include "system/memory.h"
#include "system/options.h"

#include <errno.h>
#include <glib.h>
#include <inttypes.h>
#include <libfdt.h>
#include <string.h>

#define RAM_BASE    UINT64_C(0x40000000)
#define RAM_SIZE    UINT64_C(0x1000000)
#define INTX_FIRST_SPI 3
#define RP_SLOT     2
#define RP_DEVFN    PCI_DEVFN(RP_SLOT, 0)
#define EXP(r)      (PCIE_RP_EXP_CAP + (r))
#define MSI(r)      (PCIE_RP_MSI_CAP + (r))
#define MSI_ADDR    UINT64_C(0x08090040)
#define PORT_SPI    40 /* the board's first SPI for root ports' slots (pci_port_intx_spi) */

static const PCIWindow windows[] = {
    { PCI_WINDOW_MMIO32, 0x10000000, 0x2eff0000 },
    { PCI_WINDOW_MMIO64, UINT64_C(0x8000000000), UINT64_C(0x8000000000) },
    { PCI_WINDOW_IO, 0x3eff0000, 0x10000 },
};

/* ---- The bed: memory, a root bus, a machine that records interrupts ------------------ */

typedef struct Bed {
    MemoryRegion sys, ram;
    AddressSpace as;
    MachineState ms;
    GPtrArray *log;        /* "msi 0x8090040/0x21 devid 0x10", "intx 5 1" */
    PCIERootPort *rp;
    bool has_msi;
    /* the device the slot handed over on power-off */
    PCIDevice *powered_off;
    unsigned power_offs;
} Bed;

static bool rec_signal_msi(void *o, uint64_t addr, uint32_t data, uint32_t devid, GError **errp)
{
    Bed *b = o;

    (void)errp;
    g_ptr_array_add(b->log, g_strdup_printf("msi 0x%" PRIx64 "/0x%x devid 0x%x", addr, data,
                                            devid));
    return true;
}

static bool rec_has_msi(void *o)
{
    return ((Bed *)o)->has_msi;
}

static bool rec_set_spi(void *o, unsigned spi, bool level, GError **errp)
{
    (void)o, (void)spi, (void)level, (void)errp;
    return true;
}

static const MachineIrqOps rec_ops = {
    .set_spi = rec_set_spi,
    .signal_msi = rec_signal_msi,
    .has_msi = rec_has_msi,
};

static void rec_intx(void *o, unsigned spi, bool level)
{
    Bed *b = o;

    g_ptr_array_add(b->log, g_strdup_printf("intx %u %d", spi, level));
}

static DeviceState *create(const DeviceClass *dc, const char *props)
{
    g_autoptr(OptList) ol = NULL;
    g_autoptr(GError) err = NULL;
    DeviceState *dev;

    g_assert_true(opt_list_parse(props, false, &ol, &err));
    g_assert_no_error(err);
    dev = device_create_from_class(dc, ol, 0, &err);
    g_assert_no_error(err);
    return dev;
}

/* A bed with one port (rp_props); port_groups: INTx line groups the board has for root
 * ports (0: the slot's INTx swizzle onto the port's INTA). */
static void bed_init_full(Bed *b, bool has_msi, const char *rp_props, unsigned port_groups)
{
    g_autoptr(GError) err = NULL;
    DeviceState *dev;

    memset(b, 0, sizeof(*b));
    b->ms.pci_port_intx_spi = PORT_SPI;
    b->ms.pci_port_intx_groups = port_groups;
    b->ms.gic_phandle = 1;
    memory_region_init_container(&b->sys, "system", UINT64_C(1) << 48);
    g_assert_true(memory_region_init_ram(&b->ram, "ram", RAM_SIZE, &err));
    g_assert_true(memory_region_add_subregion(&b->sys, RAM_BASE, &b->ram, 0, &err));
    address_space_init(&b->as, &b->sys, "memory");
    g_assert_true(address_space_commit(&b->as, &err));
    b->log = g_ptr_array_new_with_free_func(g_free);
    b->has_msi = has_msi;
    b->ms.irq_ops = &rec_ops;
    b->ms.irq_opaque = b;
    b->ms.sysmem = &b->sys;
    b->ms.as = &b->as;
    b->ms.main_context = g_main_context_new();
    b->ms.devices = g_ptr_array_new();
    b->ms.pci_bus = pci_bus_new(&b->sys, &b->as, windows, G_N_ELEMENTS(windows));
    pci_bus_set_intx_handler(b->ms.pci_bus, INTX_FIRST_SPI, rec_intx, b);
    dev = create(&pcie_root_port_device_class, rp_props);
    g_assert_true(pcie_root_port_device_class.realize(dev, &b->ms, &err));
    g_assert_no_error(err);
    dev->realized = true;
    g_ptr_array_add(b->ms.devices, dev);
    b->rp = pcie_root_port_from_device(dev);
    g_assert_nonnull(b->rp);
}

static void bed_init_msi(Bed *b, bool has_msi, const char *rp_props)
{
    bed_init_full(b, has_msi, rp_props, 0);
}

static void bed_init(Bed *b)
{
    bed_init_msi(b, true, "id=rp0,addr=02.0");
}

static void bed_done(Bed *b)
{
    DeviceState *dev = &b->rp->parent;

    pcie_root_port_device_class.unrealize(dev, &b->ms);
    device_free(dev);
    g_ptr_array_unref(b->ms.devices);
    pci_bus_free(b->ms.pci_bus);
    g_main_context_unref(b->ms.main_context);
    address_space_destroy(&b->as);
    memory_region_del_subregion(&b->sys, &b->ram);
    memory_region_finalize(&b->ram);
    memory_region_finalize(&b->sys);
    g_ptr_array_free(b->log, TRUE);
}

static uint32_t rp_read(Bed *b, uint32_t reg, unsigned len)
{
    return pci_bus_config_read(b->ms.pci_bus, 0, RP_DEVFN, reg, len);
}

static void rp_write(Bed *b, uint32_t reg, uint32_t val, unsigned len)
{
    pci_bus_config_write(b->ms.pci_bus, 0, RP_DEVFN, reg, val, len);
}

static const char *last_event(Bed *b)
{
    return b->log->len ? g_ptr_array_index(b->log, b->log->len - 1) : "(none)";
}

/* Bus numbers as Linux gives them: primary 0, secondary and subordinate sec. */
static void program_bus(Bed *b, uint8_t sec)
{
    rp_write(b, PCI_PRIMARY_BUS, (uint32_t)sec << 16 | (uint32_t)sec << 8, 4);
}

/* ---- An emulated endpoint to put into the slot --------------------------------------- */

typedef struct Ep {
    PCIDevice pdev;
    MemoryRegion bar0, bar2, bar4;
} Ep;

static void ep_init(Ep *e)
{
    memset(e, 0, sizeof(*e));
    e->pdev.name = "ep";
    pci_config_init(&e->pdev, PCIE_CONFIG_SPACE_SIZE);
    pci_set_word(&e->pdev, PCI_VENDOR_ID, 0x1b36);
    pci_set_word(&e->pdev, PCI_DEVICE_ID, 0x0010);
    e->pdev.config[PCI_INTERRUPT_PIN] = 1;
    memory_region_init_io(&e->bar0, "ep-bar0", 0x4000, NULL, NULL);
    memory_region_init_io(&e->bar2, "ep-bar2", 0x100000, NULL, NULL);
    memory_region_init_io(&e->bar4, "ep-bar4", 0x100, NULL, NULL);
    pci_register_bar(&e->pdev, 0, PCI_BASE_ADDRESS_MEM_TYPE_64, 0x4000, &e->bar0);
    pci_register_bar(&e->pdev, 2, PCI_BASE_ADDRESS_MEM_TYPE_64 | PCI_BASE_ADDRESS_MEM_PREFETCH,
                     0x100000, &e->bar2);
    pci_register_bar(&e->pdev, 4, PCI_BASE_ADDRESS_SPACE_IO, 0x100, &e->bar4);
}

static void ep_done(Ep *e)
{
    memory_region_finalize(&e->bar0);
    memory_region_finalize(&e->bar2);
    memory_region_finalize(&e->bar4);
}

static MemoryRegion *mr_at(Bed *b, uint64_t addr)
{
    const FlatRange *fr = flatview_lookup(b->as.view, addr);

    return fr ? fr->mr : NULL;
}

/* BAR refusals warn (rate-limited): expected here, the counter is what the tests check. Any
 * other warning fails the test. */
static unsigned refusal_warnings;

static void warning_handler(const gchar *domain, GLogLevelFlags level, const gchar *msg,
                            gpointer data)
{
    (void)data;
    if (strstr(msg, "left unmapped")) {
        refusal_warnings++;
        return;
    }
    g_log_default_handler(domain, level, msg, NULL);
    g_test_fail();
}

/* ---- The type-1 header and the PCI Express capability --------------------------------- */

static void test_config(void)
{
    Bed b;
    uint32_t sltcap;

    bed_init(&b);
    g_assert_cmphex(rp_read(&b, PCI_VENDOR_ID, 4), ==, 0x000c1b36);
    g_assert_cmphex(rp_read(&b, PCI_HEADER_TYPE, 1), ==, PCI_HEADER_TYPE_BRIDGE);
    g_assert_cmphex(rp_read(&b, PCI_CLASS_DEVICE, 2), ==, 0x0604);
    g_assert_true(rp_read(&b, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
    g_assert_cmphex(rp_read(&b, PCI_CAPABILITY_LIST, 1), ==, PCIE_RP_EXP_CAP);
    g_assert_cmphex(rp_read(&b, PCI_INTERRUPT_PIN, 1), ==, 1);
    /* The PCI Express capability: v2, Root Port, Slot Implemented; then MSI; then none. */
    g_assert_cmphex(rp_read(&b, EXP(PCI_CAP_LIST_ID), 1), ==, PCI_CAP_ID_EXP);
    g_assert_cmphex(rp_read(&b, EXP(PCI_EXP_FLAGS), 2), ==,
                    2 | PCI_EXP_TYPE_ROOT_PORT << 4 | PCI_EXP_FLAGS_SLOT);
    g_assert_cmphex(rp_read(&b, EXP(PCI_CAP_LIST_NEXT), 1), ==, PCIE_RP_MSI_CAP);
    g_assert_cmphex(rp_read(&b, MSI(PCI_CAP_LIST_ID), 1), ==, PCI_CAP_ID_MSI);
    g_assert_cmphex(rp_read(&b, MSI(PCI_CAP_LIST_NEXT), 1), ==, 0);
    /* No extended capabilities: a zero header at 0x100 ends Linux's walk. */
    g_assert_cmphex(rp_read(&b, 0x100, 4), ==, 0);
    /* Link: reports DLL Link Active (pciehp waits on it), down while the slot is empty. */
    g_assert_true(rp_read(&b, EXP(PCI_EXP_LNKCAP), 4) & PCI_EXP_LNKCAP_DLLLARC);
    g_assert_cmphex(rp_read(&b, EXP(PCI_EXP_LNKCAP), 4) >> 24, ==, RP_SLOT);
    g_assert_false(rp_read(&b, EXP(PCI_EXP_LNKSTA), 2) & PCI_EXP_LNKSTA_DLLLA);
    g_assert_cmphex(rp_read(&b, EXP(PCI_EXP_LNKSTA), 2) & PCI_EXP_LNKSTA_NLW, ==,
                    PCI_EXP_LNKSTA_NLW_X1); /* pciehp refuses a link of width 0 */
    /* Slot: attention button, power controller, indicators, hot-plug capable; commands
     * complete with an event (no NCCS); physical slot number = the port's device number. */
    sltcap = rp_read(&b, EXP(PCI_EXP_SLTCAP), 4);
    g_assert_cmphex(sltcap & 0x7f, ==, PCI_EXP_SLTCAP_ABP | PCI_EXP_SLTCAP_PCP |
                    PCI_EXP_SLTCAP_AIP | PCI_EXP_SLTCAP_PIP | PCI_EXP_SLTCAP_HPC);
    g_assert_false(sltcap & PCI_EXP_SLTCAP_NCCS);
    g_assert_cmpuint(sltcap >> 19, ==, RP_SLOT);
    /* Empty slot at reset: power off, indicators off, nothing present. */
    g_assert_cmphex(rp_read(&b, EXP(PCI_EXP_SLTCTL), 2), ==,
                    PCI_EXP_SLTCTL_PWR_OFF | PCI_EXP_SLTCTL_PWR_IND_OFF |
                    PCI_EXP_SLTCTL_ATTN_IND_OFF);
    g_assert_cmphex(rp_read(&b, EXP(PCI_EXP_SLTSTA), 2), ==, 0);

    /* Bridge windows as Linux probes them (pci_bridge_check_ranges): an I/O window... */
    rp_write(&b, PCI_IO_BASE, 0xe0f0, 2);
    g_assert_cmphex(rp_read(&b, PCI_IO_BASE, 2), ==, 0xe0f0);
    /* ...a 64-bit prefetchable one (type bits read-only, upper halves writable)... */
    rp_write(&b, PCI_PREF_MEMORY_BASE, 0xffe0fff0, 4);
    g_assert_cmphex(rp_read(&b, PCI_PREF_MEMORY_BASE, 4), ==, 0xffe1fff1);
    rp_write(&b, PCI_PREF_BASE_UPPER32, 0xffffffff, 4);
    g_assert_cmphex(rp_read(&b, PCI_PREF_BASE_UPPER32, 4), ==, 0xffffffff);
    /* ...and a memory window with 1 MiB granules. */
    rp_write(&b, PCI_MEMORY_BASE, 0xffffffff, 4);
    g_assert_cmphex(rp_read(&b, PCI_MEMORY_BASE, 4), ==, 0xfff0fff0);
    /* Bus numbers are writable; the type-1 header's BARs are not implemented. */
    program_bus(&b, 5);
    g_assert_cmphex(rp_read(&b, PCI_PRIMARY_BUS, 4) & 0xffffff, ==, 0x050500);
    rp_write(&b, PCI_BASE_ADDRESS_0, 0xffffffff, 4);
    g_assert_cmphex(rp_read(&b, PCI_BASE_ADDRESS_0, 4), ==, 0);
    g_assert_cmpuint(pci_bus_num(b.rp->sec_bus), ==, 5);
    bed_done(&b);

    /* slot= sets the physical slot number; the MSI capability goes without an ITS. */
    bed_init_msi(&b, false, "id=rp1,slot=9,addr=02.0");
    g_assert_cmpuint(rp_read(&b, EXP(PCI_EXP_SLTCAP), 4) >> 19, ==, 9);
    g_assert_cmphex(rp_read(&b, EXP(PCI_CAP_LIST_NEXT), 1), ==, 0);
    bed_done(&b);
}

static void test_errors(void)
{
    g_autoptr(GError) err = NULL;
    MachineState ms = { 0 };
    DeviceState *dev;
    Bed b;

    dev = create(&pcie_root_port_device_class, "id=rp0");
    g_assert_false(pcie_root_port_device_class.realize(dev, &ms, &err));
    g_assert_nonnull(strstr(err->message, "no PCI bus"));
    device_free(dev);
    g_clear_error(&err);

    bed_init(&b);
    dev = create(&pcie_root_port_device_class, "id=rp1,slot=9000");
    g_assert_false(pcie_root_port_device_class.realize(dev, &b.ms, &err));
    g_assert_nonnull(strstr(err->message, "slot=9000: give a physical slot number 0-8191"));
    device_free(dev);
    g_clear_error(&err);
    dev = create(&pcie_root_port_device_class, "id=rp1,addr=02.0");
    g_assert_false(pcie_root_port_device_class.realize(dev, &b.ms, &err));
    g_assert_nonnull(strstr(err->message, "slot 02.0 is taken by rp0"));
    device_free(dev);
    g_clear_error(&err);
    dev = create(&pcie_root_port_device_class, "id=rp1,addr=40");
    g_assert_false(pcie_root_port_device_class.realize(dev, &b.ms, &err));
    g_assert_nonnull(strstr(err->message, "addr=40: give the guest slot as SLOT[.FN]"));
    device_free(dev);
    g_clear_error(&err);
    /* Unplug requests on an empty slot. */
    g_assert_false(pcie_root_port_request_unplug(b.rp, &err));
    g_assert_error(err, PCI_ERROR, ENODEV);
    bed_done(&b);
}

/* ---- Config routing by bus number ---------------------------------------------------- */

static void test_routing(void)
{
    g_autoptr(GError) err = NULL;
    PCIBus *root;
    Ep e, e2;
    Bed b;

    bed_init(&b);
    root = b.ms.pci_bus;
    ep_init(&e);
    ep_init(&e2);
    g_assert_true(pci_bus_add_device(b.rp->sec_bus, &e.pdev, -1, &err));
    g_assert_cmphex(e.pdev.devfn, ==, 0);
    /* Until the guest programs the bus numbers, nothing answers on bus 1. */
    g_assert_cmphex(pci_bus_config_read(root, 1, 0, PCI_VENDOR_ID, 4), ==, 0xffffffff);
    program_bus(&b, 1);
    g_assert_cmphex(pci_bus_config_read(root, 1, 0, PCI_VENDOR_ID, 4), ==, 0x00101b36);
    /* A PCIe link reaches device 0 only; other buses stay empty. */
    g_assert_cmphex(pci_bus_config_read(root, 1, PCI_DEVFN(1, 0), PCI_VENDOR_ID, 2), ==, 0xffff);
    g_assert_cmphex(pci_bus_config_read(root, 2, 0, PCI_VENDOR_ID, 2), ==, 0xffff);
    /* Writes reach the device behind the port (its interrupt line). */
    pci_bus_config_write(root, 1, 0, PCI_INTERRUPT_LINE, 0x5a, 1);
    g_assert_cmphex(e.pdev.config[PCI_INTERRUPT_LINE], ==, 0x5a);
    g_assert_cmphex(pci_requester_id(&e.pdev), ==, 0x0100);
    g_assert_cmphex(pci_requester_id(&b.rp->pdev), ==, RP_DEVFN);
    /* Renumbered: bus 3 reaches it, bus 1 no longer, and its requester ID follows. */
    program_bus(&b, 3);
    g_assert_cmphex(pci_bus_config_read(root, 1, 0, PCI_VENDOR_ID, 2), ==, 0xffff);
    g_assert_cmphex(pci_bus_config_read(root, 3, 0, PCI_VENDOR_ID, 2), ==, 0x1b36);
    g_assert_cmphex(pci_requester_id(&e.pdev), ==, 0x0300);
    /* A subordinate range reaches buses beyond the secondary one only through bridges: none
     * here, so bus 4 is empty even when the range holds it. */
    rp_write(&b, PCI_SUBORDINATE_BUS, 4, 1);
    g_assert_cmphex(pci_bus_config_read(root, 4, 0, PCI_VENDOR_ID, 2), ==, 0xffff);
    /* INTx behind the port: pin A of device 0 swizzles to the port's slot (2) pin A. */
    g_assert_cmpuint(pci_device_intx_spi(&e.pdev), ==, INTX_FIRST_SPI + (RP_SLOT % 4));
    /* The slot takes one device, at device 0 only. */
    g_assert_false(pci_bus_add_device(b.rp->sec_bus, &e2.pdev, -1, &err));
    g_assert_nonnull(strstr(err->message, "the slot of bus rp0 is taken"));
    g_clear_error(&err);
    g_assert_false(pci_bus_add_device(b.rp->sec_bus, &e2.pdev, PCI_DEVFN(1, 0), &err));
    g_assert_nonnull(strstr(err->message, "has only slot 00"));
    g_clear_error(&err);
    pci_bus_remove_device(b.rp->sec_bus, &e.pdev);
    g_assert_cmphex(pci_bus_config_read(root, 3, 0, PCI_VENDOR_ID, 2), ==, 0xffff);
    ep_done(&e);
    ep_done(&e2);
    bed_done(&b);
}

/* ---- BAR placement in the bridge's windows ------------------------------------------- */

static void ep_write(Bed *b, uint32_t reg, uint32_t val, unsigned len)
{
    pci_bus_config_write(b->ms.pci_bus, 1, 0, reg, val, len);
}

static void test_bar_windows(void)
{
    g_autoptr(GError) err = NULL;
    Ep e;
    Bed b;

    bed_init(&b);
    ep_init(&e);
    g_assert_true(pci_bus_add_device(b.rp->sec_bus, &e.pdev, -1, &err));
    program_bus(&b, 1);
    /* BAR0 (64-bit, non-prefetchable, 16 KiB) at 0x10100000, decoding on, while the port's
     * windows are still closed and its decoding off: nothing is mapped, nothing refused. */
    ep_write(&b, PCI_BASE_ADDRESS_0, 0x10100000, 4);
    ep_write(&b, PCI_BASE_ADDRESS_1, 0, 4);
    ep_write(&b, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_IO, 2);
    g_assert_cmphex(pci_bar_address(&e.pdev, 0), ==, PCI_BAR_UNMAPPED);
    g_assert_cmpuint(e.pdev.bar_refusals, ==, 0);
    /* The port forwards [0x10100000, 0x101fffff]: the BAR appears once its decoding is on. */
    rp_write(&b, PCI_MEMORY_BASE, 0x10101010, 4);
    g_assert_cmphex(pci_bar_address(&e.pdev, 0), ==, PCI_BAR_UNMAPPED);
    rp_write(&b, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_IO, 2);
    g_assert_cmphex(pci_bar_address(&e.pdev, 0), ==, 0x10100000);
    g_assert_true(mr_at(&b, 0x10100000) == &e.bar0);
    /* Moved past the window's end: refused and counted, gone from the map. */
    ep_write(&b, PCI_BASE_ADDRESS_0, 0x10200000, 4);
    g_assert_cmphex(pci_bar_address(&e.pdev, 0), ==, PCI_BAR_UNMAPPED);
    g_assert_cmpuint(e.pdev.bar_refusals, ==, 1);
    g_assert_cmpuint(refusal_warnings, ==, 1);
    g_assert_null(mr_at(&b, 0x10100000));
    /* Below the window's start: refused too. */
    ep_write(&b, PCI_BASE_ADDRESS_0, 0x10000000, 4);
    g_assert_cmphex(pci_bar_address(&e.pdev, 0), ==, PCI_BAR_UNMAPPED);
    g_assert_cmpuint(e.pdev.bar_refusals, ==, 2);
    /* Back inside: mapped; the port's window closes (base above limit): unmapped, not
     * counted (nothing forwarded is not a placement); open again: mapped. */
    ep_write(&b, PCI_BASE_ADDRESS_0, 0x10100000, 4);
    g_assert_cmphex(pci_bar_address(&e.pdev, 0), ==, 0x10100000);
    rp_write(&b, PCI_MEMORY_LIMIT, 0x1000, 2);
    g_assert_cmphex(pci_bar_address(&e.pdev, 0), ==, PCI_BAR_UNMAPPED);
    rp_write(&b, PCI_MEMORY_LIMIT, 0x1010, 2);
    g_assert_cmphex(pci_bar_address(&e.pdev, 0), ==, 0x10100000);
    g_assert_cmpuint(e.pdev.bar_refusals, ==, 2);
    /* The port's memory decoding off: unmapped. */
    rp_write(&b, PCI_COMMAND, PCI_COMMAND_IO, 2);
    g_assert_cmphex(pci_bar_address(&e.pdev, 0), ==, PCI_BAR_UNMAPPED);
    rp_write(&b, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_IO, 2);
    g_assert_cmphex(pci_bar_address(&e.pdev, 0), ==, 0x10100000);
    /* A bridge window over guest RAM (outside the host bridge's windows): the BAR in it is
     * still refused. */
    rp_write(&b, PCI_MEMORY_BASE, 0x40004000, 4);
    ep_write(&b, PCI_BASE_ADDRESS_0, 0x40000000, 4);
    g_assert_cmphex(pci_bar_address(&e.pdev, 0), ==, PCI_BAR_UNMAPPED);
    g_assert_true(mr_at(&b, 0x40000000) == &b.ram);
    g_assert_cmpuint(e.pdev.bar_refusals, ==, 4); /* outside the moved window, then in RAM */
    /* The 64-bit prefetchable BAR in the port's prefetchable window in the high window. */
    rp_write(&b, PCI_PREF_MEMORY_BASE, 0x00000000, 4);       /* [0x80_0000_0000, +1 MiB) */
    rp_write(&b, PCI_PREF_BASE_UPPER32, 0x80, 4);
    rp_write(&b, PCI_PREF_LIMIT_UPPER32, 0x80, 4);
    ep_write(&b, PCI_BASE_ADDRESS_2, 0, 4);
    ep_write(&b, PCI_BASE_ADDRESS_3, 0x80, 4);
    g_assert_cmphex(pci_bar_address(&e.pdev, 2), ==, UINT64_C(0x8000000000));
    /* The I/O BAR in the port's I/O window [0x1000, 0x1fff]: at the host's I/O window + addr. */
    rp_write(&b, PCI_IO_BASE, 0x1010, 2);
    ep_write(&b, PCI_BASE_ADDRESS_4, 0x1000 | PCI_BASE_ADDRESS_SPACE_IO, 4);
    g_assert_cmphex(pci_bar_address(&e.pdev, 4), ==, UINT64_C(0x3eff0000) + 0x1000);
    ep_write(&b, PCI_BASE_ADDRESS_4, 0x2000 | PCI_BASE_ADDRESS_SPACE_IO, 4);
    g_assert_cmphex(pci_bar_address(&e.pdev, 4), ==, PCI_BAR_UNMAPPED);
    pci_bus_remove_device(b.rp->sec_bus, &e.pdev);
    g_assert_null(mr_at(&b, UINT64_C(0x8000000000)));
    ep_done(&e);
    bed_done(&b);
}

/* ---- The hot-plug slot: events and their interrupt ----------------------------------- */

static void on_power_off(PCIERootPort *rp, PCIDevice *d, void *opaque)
{
    Bed *b = opaque;

    (void)rp;
    b->powered_off = d;
    b->power_offs++;
}

/* What pciehp does at probe: every notification on, MSI on with a message. */
static void guest_enable_hotplug(Bed *b, bool msi)
{
    if (msi) {
        rp_write(b, MSI(PCI_MSI_ADDRESS_LO), (uint32_t)MSI_ADDR, 4);
        rp_write(b, MSI(PCI_MSI_ADDRESS_HI), 0, 4);
        rp_write(b, MSI(PCI_MSI_DATA_64), 0x21, 2);
        rp_write(b, MSI(PCI_MSI_FLAGS), PCI_MSI_FLAGS_ENABLE, 2);
    }
    rp_write(b, EXP(PCI_EXP_SLTCTL), PCI_EXP_SLTCTL_ABPE |
             PCI_EXP_SLTCTL_CCIE | PCI_EXP_SLTCTL_HPIE | PCI_EXP_SLTCTL_DLLSCE |
             PCI_EXP_SLTCTL_PWR_OFF | PCI_EXP_SLTCTL_PWR_IND_OFF | PCI_EXP_SLTCTL_ATTN_IND_OFF,
             2);
}

static uint16_t sltsta(Bed *b)
{
    return (uint16_t)rp_read(b, EXP(PCI_EXP_SLTSTA), 2);
}

/* pciehp's handler: writes back the event bits it saw (write-1-to-clear). */
static void guest_ack(Bed *b)
{
    rp_write(b, EXP(PCI_EXP_SLTSTA), sltsta(b) & (PCI_EXP_SLTSTA_ABP | PCI_EXP_SLTSTA_PDC |
             PCI_EXP_SLTSTA_CC | PCI_EXP_SLTSTA_DLLSC), 2);
}

static void test_hotplug_msi(void)
{
    g_autoptr(GError) err = NULL;
    const char *msi = "msi 0x8090040/0x21 devid 0x10";
    uint16_t ctl;
    Ep e;
    Bed b;

    bed_init(&b);
    pcie_root_port_set_power_off_handler(b.rp, on_power_off, &b);
    program_bus(&b, 1);
    b.ms.guest_running = true;
    /* Without pciehp nobody would answer an unplug request. */
    ep_init(&e);
    /* pciehp's setup: the Slot Control write completes at once, with an MSI (CCIE). */
    guest_enable_hotplug(&b, true);
    g_assert_true(sltsta(&b) & PCI_EXP_SLTSTA_CC);
    g_assert_cmpstr(last_event(&b), ==, msi);
    g_assert_cmpuint(b.log->len, ==, 1);
    guest_ack(&b);
    g_assert_cmphex(sltsta(&b), ==, 0);

    /* Hot-plug: present, Presence Detect Changed and the attention button (pciehp, with a
     * button, enables only its notification: PDCE stays off), one MSI (from the port's
     * requester ID); power stays off and the link down until pciehp powers the slot. */
    g_assert_true(pci_bus_add_device(b.rp->sec_bus, &e.pdev, -1, &err));
    g_assert_cmphex(sltsta(&b), ==, PCI_EXP_SLTSTA_PDS | PCI_EXP_SLTSTA_PDC |
                    PCI_EXP_SLTSTA_ABP);
    g_assert_cmpuint(b.log->len, ==, 2);
    g_assert_cmpstr(last_event(&b), ==, msi);
    g_assert_true(rp_read(&b, EXP(PCI_EXP_SLTCTL), 2) & PCI_EXP_SLTCTL_PCC);
    g_assert_false(rp_read(&b, EXP(PCI_EXP_LNKSTA), 2) & PCI_EXP_LNKSTA_DLLLA);
    /* A second event before the handler cleared the first: no new message (the condition
     * did not rise); pciehp re-reads Slot Status after its write-back. */
    guest_ack(&b);
    g_assert_cmphex(sltsta(&b), ==, PCI_EXP_SLTSTA_PDS);

    /* pciehp powers the slot on (power indicator on): the link comes up (DLLLA, Data Link
     * Layer State Changed) and the command completes; one MSI for both. */
    ctl = (uint16_t)rp_read(&b, EXP(PCI_EXP_SLTCTL), 2);
    ctl = (ctl & ~(PCI_EXP_SLTCTL_PCC | PCI_EXP_SLTCTL_PIC)) | PCI_EXP_SLTCTL_PWR_IND_ON;
    rp_write(&b, EXP(PCI_EXP_SLTCTL), ctl, 2);
    g_assert_true(rp_read(&b, EXP(PCI_EXP_LNKSTA), 2) & PCI_EXP_LNKSTA_DLLLA);
    g_assert_cmphex(sltsta(&b), ==, PCI_EXP_SLTSTA_PDS | PCI_EXP_SLTSTA_DLLSC |
                    PCI_EXP_SLTSTA_CC);
    g_assert_cmpuint(b.log->len, ==, 3);
    guest_ack(&b);

    /* Unplug request: the attention button, one MSI; a second request is refused (pressing
     * again would cancel pciehp's pending power-off). */
    g_assert_true(pcie_root_port_request_unplug(b.rp, &err));
    g_assert_no_error(err);
    g_assert_true(sltsta(&b) & PCI_EXP_SLTSTA_ABP);
    g_assert_cmpuint(b.log->len, ==, 4);
    g_assert_false(pcie_root_port_request_unplug(b.rp, &err));
    g_assert_error(err, PCI_ERROR, EINPROGRESS);
    g_clear_error(&err);
    guest_ack(&b);
    /* pciehp powers the slot off 5 s later: link down, DLLSC, and the device is handed over
     * from the main loop, not from the config write. */
    ctl = (uint16_t)rp_read(&b, EXP(PCI_EXP_SLTCTL), 2);
    rp_write(&b, EXP(PCI_EXP_SLTCTL), ctl | PCI_EXP_SLTCTL_PCC, 2);
    g_assert_false(rp_read(&b, EXP(PCI_EXP_LNKSTA), 2) & PCI_EXP_LNKSTA_DLLLA);
    g_assert_true(sltsta(&b) & PCI_EXP_SLTSTA_DLLSC);
    g_assert_cmpuint(b.power_offs, ==, 0);
    while (g_main_context_iteration(b.ms.main_context, FALSE)) {
    }
    g_assert_cmpuint(b.power_offs, ==, 1);
    g_assert_true(b.powered_off == &e.pdev);
    guest_ack(&b);
    /* The owner takes it off the bus: not present, Presence Detect Changed. */
    pci_bus_remove_device(b.rp->sec_bus, &e.pdev);
    g_assert_cmphex(sltsta(&b), ==, PCI_EXP_SLTSTA_PDC);
    g_assert_false(b.rp->unplug_requested);
    g_assert_cmphex(pci_bus_config_read(b.ms.pci_bus, 1, 0, PCI_VENDOR_ID, 2), ==, 0xffff);
    ep_done(&e);
    bed_done(&b);
}

static void test_hotplug_intx(void)
{
    g_autoptr(GError) err = NULL;
    unsigned spi = INTX_FIRST_SPI + RP_SLOT % 4;
    g_autofree char *high = g_strdup_printf("intx %u 1", spi);
    g_autofree char *low = g_strdup_printf("intx %u 0", spi);
    Ep e;
    Bed b;

    /* No ITS: no MSI capability, the hot-plug interrupt is the port's INTA, a level held
     * while an enabled event is pending. */
    bed_init_msi(&b, false, "id=rp0,addr=02.0");
    program_bus(&b, 1);
    b.ms.guest_running = true;
    ep_init(&e);
    guest_enable_hotplug(&b, false);
    g_assert_cmpstr(last_event(&b), ==, high);
    g_assert_true(rp_read(&b, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
    guest_ack(&b);
    g_assert_cmpstr(last_event(&b), ==, low);
    g_assert_false(rp_read(&b, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
    g_assert_true(pci_bus_add_device(b.rp->sec_bus, &e.pdev, -1, &err));
    g_assert_cmpstr(last_event(&b), ==, high);
    /* A new event while INTA is high leaves the line as it is: no second edge (nothing but
     * armpass drives this line: pci_intx_shares_emulated_line keeps irqfds off it). */
    {
        unsigned n = b.log->len;

        rp_write(&b, EXP(PCI_EXP_SLTCTL), rp_read(&b, EXP(PCI_EXP_SLTCTL), 2), 2); /* CC */
        g_assert_true(sltsta(&b) & PCI_EXP_SLTSTA_CC);
        g_assert_cmpuint(b.log->len, ==, n);
    }
    /* INTx Disable in the command register lowers the line; Interrupt Status stays. */
    rp_write(&b, PCI_COMMAND, PCI_COMMAND_INTX_DISABLE, 2);
    g_assert_cmpstr(last_event(&b), ==, low);
    g_assert_true(rp_read(&b, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
    rp_write(&b, PCI_COMMAND, 0, 2);
    g_assert_cmpstr(last_event(&b), ==, high);
    guest_ack(&b);
    g_assert_cmpstr(last_event(&b), ==, low);
    /* Hot-plug interrupts off (HPIE clear): events are recorded but raise nothing, and an
     * unplug request is refused (no pciehp to answer). */
    rp_write(&b, EXP(PCI_EXP_SLTCTL), PCI_EXP_SLTCTL_PWR_OFF, 2);
    g_assert_true(sltsta(&b) & PCI_EXP_SLTSTA_CC);
    g_assert_cmpstr(last_event(&b), ==, low);
    g_assert_false(pcie_root_port_request_unplug(b.rp, &err));
    g_assert_error(err, PCI_ERROR, EBUSY);
    g_assert_nonnull(strstr(err->message, "CONFIG_HOTPLUG_PCI_PCIE"));
    pci_bus_remove_device(b.rp->sec_bus, &e.pdev);
    ep_done(&e);
    bed_done(&b);
}

/* Cold-plugged (before the guest runs): present, powered, link up, no event. */
static void test_coldplug(void)
{
    g_autoptr(GError) err = NULL;
    Ep e;
    Bed b;

    bed_init(&b);
    ep_init(&e);
    g_assert_true(pci_bus_add_device(b.rp->sec_bus, &e.pdev, -1, &err));
    g_assert_cmphex(sltsta(&b), ==, PCI_EXP_SLTSTA_PDS);
    g_assert_cmphex(rp_read(&b, EXP(PCI_EXP_SLTCTL), 2) &
                    (PCI_EXP_SLTCTL_PCC | PCI_EXP_SLTCTL_PIC), ==, PCI_EXP_SLTCTL_PWR_IND_ON);
    g_assert_true(rp_read(&b, EXP(PCI_EXP_LNKSTA), 2) & PCI_EXP_LNKSTA_DLLLA);
    g_assert_cmpuint(b.log->len, ==, 0);
    /* A guest that powers the slot off on its own, with no unplug requested: the device is
     * still handed to the owner, which decides (the hot-plug layer keeps it). */
    b.ms.guest_running = true;
    pcie_root_port_set_power_off_handler(b.rp, on_power_off, &b);
    rp_write(&b, EXP(PCI_EXP_SLTCTL), PCI_EXP_SLTCTL_PWR_OFF, 2);
    /* An unplug request now is refused (pciehp listening): the button on a slot that is off
     * would ask pciehp to power it on, and the request would stay pending for good. */
    rp_write(&b, EXP(PCI_EXP_SLTCTL), PCI_EXP_SLTCTL_PWR_OFF | PCI_EXP_SLTCTL_HPIE |
             PCI_EXP_SLTCTL_ABPE, 2);
    g_assert_false(pcie_root_port_request_unplug(b.rp, &err));
    g_assert_error(err, PCI_ERROR, EBUSY);
    g_assert_nonnull(strstr(err->message, "the guest has powered the slot off"));
    g_clear_error(&err);
    g_assert_false(b.rp->unplug_requested);
    /* ...and powered on again before the main loop ran: nothing is handed over. */
    rp_write(&b, EXP(PCI_EXP_SLTCTL), PCI_EXP_SLTCTL_PWR_ON, 2);
    while (g_main_context_iteration(b.ms.main_context, FALSE)) {
    }
    g_assert_cmpuint(b.power_offs, ==, 0);
    g_assert_true(rp_read(&b, EXP(PCI_EXP_LNKSTA), 2) & PCI_EXP_LNKSTA_DLLLA);
    pci_bus_remove_device(b.rp->sec_bus, &e.pdev);
    ep_done(&e);
    bed_done(&b);
}

/* A device tree with the host bridge's node, as the virt board makes it. */
static void *fdt_with_host(void)
{
    const GpexFdtParams gp = {
        .ecam_base = 0x3f000000, .ecam_size = 16 << 20,
        .pio_base = 0x3eff0000, .pio_size = 0x10000,
        .mmio_base = 0x10000000, .mmio_size = 0x2eff0000,
        .mmio64_base = UINT64_C(0x8000000000), .mmio64_size = UINT64_C(0x8000000000),
        .first_spi = INTX_FIRST_SPI, .gic_phandle = 1,
    };
    g_autoptr(GError) err = NULL;
    void *fdt = g_malloc0(0x4000);

    g_assert_cmpint(fdt_create_empty_tree(fdt, 0x4000), ==, 0);
    g_assert_true(fdt_add_pcie_host(fdt, &gp, &err));
    g_assert_no_error(err);
    return fdt;
}

/* With lines for root ports (the virt board's), the INTx of the device in the slot reach
 * SPIs of the port's own, not the port's INTA: pciehp's interrupt and the device's never
 * share a line (a Linux guest deadlocks removing a device whose driver disables a line
 * pciehp's IRQ thread serves). The port's node under the host bridge maps them for the
 * guest. Ports take groups in turn; with none left realize fails; unrealize gives one back. */
static void test_slot_intx_lines(void)
{
    g_autoptr(GError) err = NULL;
    g_autofree void *fdt = NULL;
    g_autofree char *port_high = g_strdup_printf("intx %u 1", INTX_FIRST_SPI + RP_SLOT % 4);
    g_autofree char *dev_high = g_strdup_printf("intx %u 1", PORT_SPI);
    g_autofree char *dev_low = g_strdup_printf("intx %u 0", PORT_SPI);
    const fdt32_t *v;
    DeviceState *rp1, *rp2;
    int node, len;
    Ep e;
    Bed b;

    bed_init_full(&b, false, "id=rp0,addr=02.0", 2);
    program_bus(&b, 1);
    ep_init(&e);
    g_assert_true(pci_bus_add_device(b.rp->sec_bus, &e.pdev, -1, &err));
    for (unsigned pin = 1; pin <= 4; pin++) { /* INTA-D: the group's four SPIs, in order */
        e.pdev.config[PCI_INTERRUPT_PIN] = (uint8_t)pin;
        g_assert_cmpuint(pci_device_intx_spi(&e.pdev), ==, PORT_SPI + pin - 1);
    }
    e.pdev.config[PCI_INTERRUPT_PIN] = 1;
    g_assert_cmpuint(pci_device_intx_spi(&b.rp->pdev), ==, INTX_FIRST_SPI + RP_SLOT % 4);
    g_assert_false(pci_intx_shares_emulated_line(&e.pdev));
    /* The device's line and the port's move apart. */
    pci_set_intx(&e.pdev, true);
    g_assert_cmpstr(last_event(&b), ==, dev_high);
    b.ms.guest_running = true;
    guest_enable_hotplug(&b, false);
    g_assert_cmpstr(last_event(&b), ==, port_high);
    pci_set_intx(&e.pdev, false);
    g_assert_cmpstr(last_event(&b), ==, dev_low);
    /* The port's node: reg = its devfn, an interrupt-map of the slot's pins to its SPIs. */
    fdt = fdt_with_host();
    g_assert_true(pcie_root_port_device_class.fdt_node(&b.rp->parent, &b.ms, fdt, &err));
    g_assert_no_error(err);
    node = fdt_path_offset(fdt, "/pcie@3f000000/pci@2,0");
    g_assert_cmpint(node, >=, 0);
    g_assert_cmpstr(fdt_getprop(fdt, node, "device_type", NULL), ==, "pci");
    v = fdt_getprop(fdt, node, "reg", &len);
    g_assert_cmpint(len, ==, 5 * 4);
    g_assert_cmphex(fdt32_to_cpu(v[0]), ==, RP_DEVFN << 8);
    g_assert_nonnull(fdt_getprop(fdt, node, "ranges", &len));
    g_assert_cmpint(len, ==, 0);
    /* The port's own pin: INTA, which its parent (the host bridge) maps, not its own map. */
    v = fdt_getprop(fdt, node, "interrupts", &len);
    g_assert_cmpint(len, ==, 4);
    g_assert_cmpuint(fdt32_to_cpu(v[0]), ==, 1);
    v = fdt_getprop(fdt, node, "interrupt-map-mask", &len);
    g_assert_cmpint(len, ==, 4 * 4);
    g_assert_cmphex(fdt32_to_cpu(v[0]) | fdt32_to_cpu(v[1]) | fdt32_to_cpu(v[2]), ==, 0);
    g_assert_cmphex(fdt32_to_cpu(v[3]), ==, 7);
    v = fdt_getprop(fdt, node, "interrupt-map", &len);
    g_assert_cmpint(len, ==, 4 * 10 * 4);
    for (unsigned pin = 1; pin <= 4; pin++) {
        const fdt32_t *ent = v + (pin - 1) * 10;
        g_assert_cmpuint(fdt32_to_cpu(ent[3]), ==, pin);
        g_assert_cmpuint(fdt32_to_cpu(ent[4]), ==, 1); /* the GIC */
        g_assert_cmpuint(fdt32_to_cpu(ent[7]), ==, 0); /* SPI */
        g_assert_cmpuint(fdt32_to_cpu(ent[8]), ==, PORT_SPI + pin - 1);
        g_assert_cmpuint(fdt32_to_cpu(ent[9]), ==, 4); /* level, active high */
    }
    /* A second port takes the next group; a third finds none. */
    rp1 = create(&pcie_root_port_device_class, "id=rp1,addr=03.0");
    g_assert_true(pcie_root_port_device_class.realize(rp1, &b.ms, &err));
    g_assert_cmpint(((PCIERootPort *)rp1)->intx_group, ==, 1);
    rp2 = create(&pcie_root_port_device_class, "id=rp2,addr=04.0");
    g_assert_false(pcie_root_port_device_class.realize(rp2, &b.ms, &err));
    g_assert_error(err, PCI_ERROR, ENOSPC);
    g_assert_cmpstr(err->message, ==, "no INTx lines left for another root port (the board "
                    "has 2): give fewer -device pcie-root-port");
    g_clear_error(&err);
    g_assert_cmphex(pci_bus_config_read(b.ms.pci_bus, 0, PCI_DEVFN(4, 0), PCI_VENDOR_ID, 2),
                    ==, 0xffff); /* the refused port left nothing on the bus */
    pcie_root_port_device_class.unrealize(rp1, &b.ms);
    device_free(rp1);
    g_assert_true(pcie_root_port_device_class.realize(rp2, &b.ms, &err));
    g_assert_no_error(err);
    g_assert_cmpint(((PCIERootPort *)rp2)->intx_group, ==, 1);
    pcie_root_port_device_class.unrealize(rp2, &b.ms);
    device_free(rp2);
    pci_bus_remove_device(b.rp->sec_bus, &e.pdev);
    ep_done(&e);
    bed_done(&b);
}

/* Without lines for root ports the slot's INTx swizzle onto the port's INTA, and the port
 * has no node (the guest swizzles too). */
static void test_slot_intx_swizzled(void)
{
    g_autoptr(GError) err = NULL;
    g_autofree void *fdt = fdt_with_host();
    Ep e;
    Bed b;

    bed_init(&b);
    program_bus(&b, 1);
    ep_init(&e);
    g_assert_true(pci_bus_add_device(b.rp->sec_bus, &e.pdev, -1, &err));
    g_assert_cmpuint(pci_device_intx_spi(&e.pdev), ==, pci_device_intx_spi(&b.rp->pdev));
    g_assert_true(pci_intx_shares_emulated_line(&e.pdev));
    g_assert_true(pcie_root_port_device_class.fdt_node(&b.rp->parent, &b.ms, fdt, &err));
    g_assert_cmpint(fdt_path_offset(fdt, "/pcie@3f000000/pci@2,0"), ==, -FDT_ERR_NOTFOUND);
    pci_bus_remove_device(b.rp->sec_bus, &e.pdev);
    ep_done(&e);
    bed_done(&b);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    armpass_rcu_register_thread();
    g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
    g_log_set_handler(NULL, G_LOG_LEVEL_WARNING, warning_handler, NULL);
    g_log_set_handler("armpass-pci", G_LOG_LEVEL_WARNING, warning_handler, NULL);
    g_test_add_func("/pcie-root-port/config", test_config);
    g_test_add_func("/pcie-root-port/errors", test_errors);
    g_test_add_func("/pcie-root-port/routing", test_routing);
    g_test_add_func("/pcie-root-port/bar-windows", test_bar_windows);
    g_test_add_func("/pcie-root-port/hotplug-msi", test_hotplug_msi);
    g_test_add_func("/pcie-root-port/hotplug-intx", test_hotplug_intx);
    g_test_add_func("/pcie-root-port/coldplug", test_coldplug);
    g_test_add_func("/pcie-root-port/slot-intx-lines", test_slot_intx_lines);
    g_test_add_func("/pcie-root-port/slot-intx-swizzled", test_slot_intx_swizzled);
    return g_test_run();
}
