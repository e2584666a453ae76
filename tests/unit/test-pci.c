// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests of the PCI core (config space, BAR sizing and placement, INTx swizzle and wired-OR) and MSI-X and MSI emulation, on a trivial emulated device. */
#include "system/rcu.h"
#include "hw/pci/msi.h"
#include "hw/pci/msix.h"
#include "hw/pci/pci.h"
#include "system/memory.h"

#include <glib.h>
#include <inttypes.h>
#include <string.h>

#define MMIO32_BASE UINT64_C(0x10000000)
#define MMIO32_SIZE UINT64_C(0x2eff0000)
#define MMIO64_BASE UINT64_C(0x8000000000)
#define MMIO64_SIZE UINT64_C(0x8000000000)
#define IO_BASE     UINT64_C(0x3eff0000)
#define IO_SIZE     UINT64_C(0x10000)
#define RAM_BASE    UINT64_C(0x40000000)
#define RAM_SIZE    UINT64_C(0x1000000)

#define DEVFN       PCI_DEVFN(1, 0)
#define BAR0_SIZE   0x1000u      /* 32-bit memory; MSI-X table at +0x800, PBA at +0xc00 */
#define BAR2_SIZE   0x100000u    /* 64-bit prefetchable memory */
#define BAR4_SIZE   0x100u       /* I/O */
#define ROM_SIZE    0x10000u
#define MSIX_CAP    0x50
#define MSIX_TABLE  0x800
#define MSIX_PBA    0xc00
#define NR_VECTORS  4

static const PCIWindow board_windows[] = {
    { PCI_WINDOW_MMIO32, MMIO32_BASE, MMIO32_SIZE },
    { PCI_WINDOW_MMIO64, MMIO64_BASE, MMIO64_SIZE },
    { PCI_WINDOW_IO, IO_BASE, IO_SIZE },
};

/* ---- The bed: sysmem with RAM, an address space, a bus ------------------------------- */

typedef struct Bed {
    MemoryRegion sys, ram;
    AddressSpace as;
    PCIBus *bus;
} Bed;

static void bed_init_windows(Bed *b, const PCIWindow *w, unsigned n)
{
    g_autoptr(GError) err = NULL;

    memory_region_init_container(&b->sys, "system", UINT64_C(1) << 48);
    g_assert_true(memory_region_init_ram(&b->ram, "ram", RAM_SIZE, &err));
    g_assert_no_error(err);
    g_assert_true(memory_region_add_subregion(&b->sys, RAM_BASE, &b->ram, 0, &err));
    address_space_init(&b->as, &b->sys, "memory");
    g_assert_true(address_space_commit(&b->as, &err));
    b->bus = pci_bus_new(&b->sys, &b->as, w, n);
}

static void bed_init(Bed *b)
{
    bed_init_windows(b, board_windows, G_N_ELEMENTS(board_windows));
}

static void bed_done(Bed *b)
{
    pci_bus_free(b->bus);
    address_space_destroy(&b->as);
    memory_region_del_subregion(&b->sys, &b->ram);
    memory_region_finalize(&b->ram);
    memory_region_finalize(&b->sys);
}

/* The region the guest reaches at addr, or NULL. */
static MemoryRegion *mr_at(Bed *b, uint64_t addr)
{
    const FlatRange *fr = flatview_lookup(b->as.view, addr);

    return fr ? fr->mr : NULL;
}

static bool guest_rw(Bed *b, uint64_t addr, uint64_t *v, unsigned len, bool is_write)
{
    uint8_t buf[8] = { 0 };
    bool ok;

    for (unsigned i = 0; is_write && i < len; i++) {
        buf[i] = (uint8_t)(*v >> (8 * i));
    }
    ok = address_space_rw(&b->as, addr, buf, len, is_write);
    if (!is_write) {
        *v = 0;
        for (unsigned i = 0; i < len; i++) {
            *v |= (uint64_t)buf[i] << (8 * i);
        }
    }
    return ok;
}

static uint64_t guest_read(Bed *b, uint64_t addr, unsigned len)
{
    uint64_t v;

    g_assert_true(guest_rw(b, addr, &v, len, false));
    return v;
}

static void guest_write(Bed *b, uint64_t addr, uint64_t v, unsigned len)
{
    g_assert_true(guest_rw(b, addr, &v, len, true));
}

/* ---- A trivial emulated device ------------------------------------------------------- */

typedef struct TestDev TestDev;

typedef struct BarCtx {
    TestDev *t;
    unsigned idx;
} BarCtx;

struct TestDev {
    PCIDevice pdev;
    MemoryRegion bar[PCI_NUM_REGIONS];
    BarCtx ctx[PCI_NUM_REGIONS];
    GPtrArray *log;            /* "r0 +0x10/4", "w4 +0x2/1 =0x5a": BAR accesses that reached us */
    unsigned cfg_reads[5];     /* config accesses that reached the device, by length */
    unsigned cfg_writes[5];
    GPtrArray *msix_events;    /* "enable 1", "vector 0 masked 0 addr 0x... data 0x..." */
};

static uint64_t bar_read(void *opaque, uint64_t off, unsigned size)
{
    BarCtx *c = opaque;
    TestDev *t = c->t;

    if (c->idx == 0 && t->pdev.msix && off >= MSIX_TABLE &&
        off < MSIX_TABLE + msix_table_size(t->pdev.msix)) {
        return msix_table_read(&t->pdev, (uint32_t)(off - MSIX_TABLE), size);
    }
    if (c->idx == 0 && t->pdev.msix && off >= MSIX_PBA && off < MSIX_PBA + 8) {
        return msix_pba_read(&t->pdev, (uint32_t)(off - MSIX_PBA), size);
    }
    g_ptr_array_add(t->log, g_strdup_printf("r%u +0x%" PRIx64 "/%u", c->idx, off, size));
    return 0xa0 + c->idx; /* tells the BARs apart */
}

static void bar_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    BarCtx *c = opaque;
    TestDev *t = c->t;

    if (c->idx == 0 && t->pdev.msix && off >= MSIX_TABLE &&
        off < MSIX_TABLE + msix_table_size(t->pdev.msix)) {
        msix_table_write(&t->pdev, (uint32_t)(off - MSIX_TABLE), val, size);
        return;
    }
    g_ptr_array_add(t->log, g_strdup_printf("w%u +0x%" PRIx64 "/%u =0x%" PRIx64, c->idx, off,
                                            size, val));
}

static const MemoryRegionOps bar_ops = { .read = bar_read, .write = bar_write };

static TestDev *to_test(PCIDevice *d)
{
    return (TestDev *)(void *)d; /* pdev comes first */
}

static uint32_t test_config_read(PCIDevice *d, uint32_t addr, unsigned len)
{
    to_test(d)->cfg_reads[len]++;
    return pci_default_read_config(d, addr, len);
}

static void test_config_write(PCIDevice *d, uint32_t addr, uint32_t val, unsigned len)
{
    to_test(d)->cfg_writes[len]++;
    pci_default_write_config(d, addr, val, len);
}

static const PCIDeviceOps test_config_ops = {
    .config_read = test_config_read,
    .config_write = test_config_write,
};

static void test_enable_changed(PCIDevice *d, bool enabled)
{
    g_ptr_array_add(to_test(d)->msix_events, g_strdup_printf("enable %d", enabled));
}

static void test_vector_changed(PCIDevice *d, unsigned vector, bool masked, uint64_t addr,
                                uint32_t data)
{
    g_ptr_array_add(to_test(d)->msix_events,
                    g_strdup_printf("vector %u masked %d addr 0x%" PRIx64 " data 0x%x", vector,
                                    masked, addr, data));
}

static const PCIVectorOps test_msix_ops = {
    .enable_changed = test_enable_changed,
    .vector_changed = test_vector_changed,
};

/*
 * vendor 0x1af4 device 0x10ff, status with the error bits set, BAR0 32-bit memory 4 KiB,
 * BAR2/3 64-bit prefetchable memory bar2_size, BAR4 I/O 256 bytes, a 64 KiB ROM, BAR5 not
 * implemented; plugged at devfn.
 */
static TestDev *testdev_new_sized(Bed *b, const char *name, int devfn, unsigned config_size,
                                  uint64_t bar2_size)
{
    TestDev *t = g_new0(TestDev, 1);
    g_autoptr(GError) err = NULL;
    static const struct { unsigned idx; uint8_t type; uint64_t size; } bars[] = {
        { 0, PCI_BASE_ADDRESS_SPACE_MEMORY, BAR0_SIZE },
        { 2, PCI_BASE_ADDRESS_MEM_TYPE_64 | PCI_BASE_ADDRESS_MEM_PREFETCH, 0 /* bar2_size */ },
        { 4, PCI_BASE_ADDRESS_SPACE_IO, BAR4_SIZE },
        { PCI_ROM_SLOT, 0, ROM_SIZE },
    };

    t->log = g_ptr_array_new_with_free_func(g_free);
    t->msix_events = g_ptr_array_new_with_free_func(g_free);
    t->pdev.name = name;
    pci_config_init(&t->pdev, config_size);
    t->pdev.ops = &test_config_ops;
    pci_set_word(&t->pdev, PCI_VENDOR_ID, 0x1af4);
    pci_set_word(&t->pdev, PCI_DEVICE_ID, 0x10ff);
    pci_set_word(&t->pdev, PCI_STATUS, PCI_STATUS_DETECTED_PARITY | PCI_STATUS_SIG_SYSTEM_ERROR |
                                           PCI_STATUS_REC_MASTER_ABORT | PCI_STATUS_66MHZ);
    for (unsigned i = 0; i < G_N_ELEMENTS(bars); i++) {
        unsigned idx = bars[i].idx;
        uint64_t size = idx == 2 ? bar2_size : bars[i].size;
        g_autofree char *mrname = g_strdup_printf("%s.bar%u", name, idx);

        t->ctx[idx] = (BarCtx){ t, idx };
        memory_region_init_io(&t->bar[idx], mrname, size, &bar_ops, &t->ctx[idx]);
        pci_register_bar(&t->pdev, idx, bars[i].type, size, &t->bar[idx]);
    }
    g_assert_true(pci_bus_add_device(b->bus, &t->pdev, devfn, &err));
    g_assert_no_error(err);
    return t;
}

static TestDev *testdev_new(Bed *b)
{
    return testdev_new_sized(b, "testdev", DEVFN, PCI_CONFIG_SPACE_SIZE, BAR2_SIZE);
}

static void testdev_free(Bed *b, TestDev *t)
{
    if (t->pdev.bus) {
        pci_bus_remove_device(b->bus, &t->pdev);
    }
    msix_uninit(&t->pdev);
    msi_uninit(&t->pdev);
    for (unsigned i = 0; i < PCI_NUM_REGIONS; i++) {
        if (t->bar[i].name) {
            memory_region_finalize(&t->bar[i]);
        }
    }
    g_ptr_array_free(t->log, TRUE);
    g_ptr_array_free(t->msix_events, TRUE);
    g_free(t);
}

static uint32_t cfg_read(Bed *b, uint8_t devfn, uint32_t reg, unsigned len)
{
    return pci_bus_config_read(b->bus, 0, devfn, reg, len);
}

static void cfg_write(Bed *b, uint8_t devfn, uint32_t reg, uint32_t val, unsigned len)
{
    pci_bus_config_write(b->bus, 0, devfn, reg, val, len);
}

static void cmd(Bed *b, uint16_t bits)
{
    cfg_write(b, DEVFN, PCI_COMMAND, bits, 2);
}

/* BAR refusals warn (rate-limited, so not every refusal shows): expected here, the counter
 * is what the tests check. Any other warning fails the test. */
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

/* ---- Config space -------------------------------------------------------------------- */

static void test_empty_slot(void)
{
    TestDev *t;
    Bed b;

    bed_init(&b);
    t = testdev_new(&b);
    /* Nothing in slot 2, nor on bus 1: the guest reads all ones at every width. */
    g_assert_cmphex(cfg_read(&b, PCI_DEVFN(2, 0), PCI_VENDOR_ID, 4), ==, 0xffffffff);
    g_assert_cmphex(cfg_read(&b, PCI_DEVFN(2, 0), PCI_VENDOR_ID, 2), ==, 0xffff);
    g_assert_cmphex(cfg_read(&b, PCI_DEVFN(2, 0), PCI_HEADER_TYPE, 1), ==, 0xff);
    g_assert_cmphex(cfg_read(&b, PCI_DEVFN(1, 1), PCI_VENDOR_ID, 4), ==, 0xffffffff);
    g_assert_cmphex(pci_bus_config_read(b.bus, 1, DEVFN, PCI_VENDOR_ID, 4), ==, 0xffffffff);
    /* ...and the device in slot 1 answers. */
    g_assert_cmphex(cfg_read(&b, DEVFN, PCI_VENDOR_ID, 4), ==, 0x10ff1af4);
    /* A write to bus 1 with the same devfn does not reach slot 1's device. */
    pci_bus_config_write(b.bus, 1, DEVFN, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    g_assert_cmphex(cfg_read(&b, DEVFN, PCI_COMMAND, 2), ==, 0);
    /* Past a conventional device's 256 bytes: all ones, never the device. */
    g_assert_cmphex(cfg_read(&b, DEVFN, 0x100, 4), ==, 0xffffffff);
    g_assert_cmpuint(t->cfg_reads[4], ==, 1);
    testdev_free(&b, t);
    bed_done(&b);
}

static void test_readonly_and_wmask(void)
{
    TestDev *t;
    Bed b;

    bed_init(&b);
    t = testdev_new(&b);
    cfg_write(&b, DEVFN, PCI_VENDOR_ID, 0x12345678, 4);
    g_assert_cmphex(cfg_read(&b, DEVFN, PCI_VENDOR_ID, 4), ==, 0x10ff1af4);
    /* Command: only the standard writable bits stick. */
    cfg_write(&b, DEVFN, PCI_COMMAND, 0xffff, 2);
    g_assert_cmphex(cfg_read(&b, DEVFN, PCI_COMMAND, 2), ==,
                    PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
                    PCI_COMMAND_PARITY | PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE);
    cfg_write(&b, DEVFN, PCI_COMMAND, 0, 2);
    cfg_write(&b, DEVFN, PCI_INTERRUPT_LINE, 0xffff, 2);
    g_assert_cmphex(cfg_read(&b, DEVFN, PCI_INTERRUPT_LINE, 2), ==, 0x00ff); /* pin RO */
    testdev_free(&b, t);
    bed_done(&b);
}

static void test_status_w1c(void)
{
    uint16_t st = PCI_STATUS_DETECTED_PARITY | PCI_STATUS_SIG_SYSTEM_ERROR |
                  PCI_STATUS_REC_MASTER_ABORT | PCI_STATUS_66MHZ;
    TestDev *t;
    Bed b;

    bed_init(&b);
    t = testdev_new(&b);
    g_assert_cmphex(cfg_read(&b, DEVFN, PCI_STATUS, 2), ==, st);
    /* Writing 0 clears nothing; a 1 clears only its own error bit; RO bits stay. */
    cfg_write(&b, DEVFN, PCI_STATUS, 0, 2);
    g_assert_cmphex(cfg_read(&b, DEVFN, PCI_STATUS, 2), ==, st);
    cfg_write(&b, DEVFN, PCI_STATUS, PCI_STATUS_SIG_SYSTEM_ERROR | PCI_STATUS_66MHZ, 2);
    st &= (uint16_t)~PCI_STATUS_SIG_SYSTEM_ERROR;
    g_assert_cmphex(cfg_read(&b, DEVFN, PCI_STATUS, 2), ==, st);
    /* A dword write to command+status: the command part sticks, status bits clear. */
    cfg_write(&b, DEVFN, PCI_COMMAND,
              (uint32_t)(PCI_STATUS_DETECTED_PARITY | PCI_STATUS_REC_MASTER_ABORT) << 16 |
                  PCI_COMMAND_MASTER, 4);
    g_assert_cmphex(cfg_read(&b, DEVFN, PCI_STATUS, 2), ==, PCI_STATUS_66MHZ);
    g_assert_cmphex(cfg_read(&b, DEVFN, PCI_COMMAND, 2), ==, PCI_COMMAND_MASTER);
    testdev_free(&b, t);
    bed_done(&b);
}

static void test_unaligned(void)
{
    TestDev *t;
    Bed b;

    bed_init(&b);
    t = testdev_new(&b);
    /* A word at 1: vendor high byte and device-id low byte, as two byte reads. */
    g_assert_cmphex(cfg_read(&b, DEVFN, 1, 2), ==, 0xff1a);
    g_assert_cmpuint(t->cfg_reads[1], ==, 2);
    g_assert_cmpuint(t->cfg_reads[2], ==, 0);
    g_assert_cmphex(cfg_read(&b, DEVFN, 2, 4), ==, 0x000010ff);
    g_assert_cmpuint(t->cfg_reads[1], ==, 6);
    g_assert_cmpuint(t->cfg_reads[4], ==, 0);
    /* A word at 3: byte 3 (device id, read-only) and byte 4 (command): split, command set. */
    cfg_write(&b, DEVFN, 3, (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER) << 8 | 0x55, 2);
    g_assert_cmpuint(t->cfg_writes[1], ==, 2);
    g_assert_cmpuint(t->cfg_writes[2], ==, 0);
    g_assert_cmphex(cfg_read(&b, DEVFN, PCI_COMMAND, 2), ==,
                    PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    g_assert_cmphex(cfg_read(&b, DEVFN, PCI_DEVICE_ID, 2), ==, 0x10ff);
    /* An aligned access stays whole. */
    cfg_read(&b, DEVFN, PCI_BASE_ADDRESS_0, 4);
    g_assert_cmpuint(t->cfg_reads[4], ==, 1);
    testdev_free(&b, t);
    bed_done(&b);
}

/* ---- BARs ---------------------------------------------------------------------------- */

static void test_bar_sizing(void)
{
    TestDev *t, *big;
    Bed b;

    bed_init(&b);
    t = testdev_new(&b);
    /* Before sizing: the type bits only. */
    g_assert_cmphex(cfg_read(&b, DEVFN, PCI_BASE_ADDRESS_0, 4), ==, 0);
    g_assert_cmphex(cfg_read(&b, DEVFN, PCI_BASE_ADDRESS_2, 4), ==, 0xc);
    g_assert_cmphex(cfg_read(&b, DEVFN, PCI_BASE_ADDRESS_4, 4), ==, 0x1);
    for (unsigned i = 0; i < 6; i++) {
        cfg_write(&b, DEVFN, PCI_BASE_ADDRESS_0 + 4 * i, 0xffffffff, 4);
    }
    g_assert_cmphex(cfg_read(&b, DEVFN, PCI_BASE_ADDRESS_0, 4), ==, 0xfffff000);
    g_assert_cmphex(cfg_read(&b, DEVFN, PCI_BASE_ADDRESS_1, 4), ==, 0); /* not implemented */
    g_assert_cmphex(cfg_read(&b, DEVFN, PCI_BASE_ADDRESS_2, 4), ==, 0xfff0000c);
    g_assert_cmphex(cfg_read(&b, DEVFN, PCI_BASE_ADDRESS_3, 4), ==, 0xffffffff);
    g_assert_cmphex(cfg_read(&b, DEVFN, PCI_BASE_ADDRESS_4, 4), ==, 0xffffff01);
    g_assert_cmphex(cfg_read(&b, DEVFN, PCI_BASE_ADDRESS_5, 4), ==, 0);
    /* The ROM as Linux sizes it (enable bit clear). */
    cfg_write(&b, DEVFN, PCI_ROM_ADDRESS, PCI_ROM_ADDRESS_MASK, 4);
    g_assert_cmphex(cfg_read(&b, DEVFN, PCI_ROM_ADDRESS, 4), ==, 0xffff0000);
    /* Sizing with decode off maps nothing and refuses nothing. */
    g_assert_cmpuint(t->pdev.bar_refusals, ==, 0);
    for (unsigned i = 0; i < PCI_NUM_REGIONS; i++) {
        g_assert_cmphex(pci_bar_address(&t->pdev, i), ==, PCI_BAR_UNMAPPED);
    }

    /* A 64-bit BAR of 8 GiB: the size shows in the upper half. */
    big = testdev_new_sized(&b, "big", PCI_DEVFN(2, 0), PCI_CONFIG_SPACE_SIZE,
                            UINT64_C(8) << 30);
    cfg_write(&b, PCI_DEVFN(2, 0), PCI_BASE_ADDRESS_2, 0xffffffff, 4);
    cfg_write(&b, PCI_DEVFN(2, 0), PCI_BASE_ADDRESS_3, 0xffffffff, 4);
    g_assert_cmphex(cfg_read(&b, PCI_DEVFN(2, 0), PCI_BASE_ADDRESS_2, 4), ==, 0x0000000c);
    g_assert_cmphex(cfg_read(&b, PCI_DEVFN(2, 0), PCI_BASE_ADDRESS_3, 4), ==, 0xfffffffe);
    testdev_free(&b, big);
    testdev_free(&b, t);
    bed_done(&b);
}

static void test_bar_map_move_unmap(void)
{
    TestDev *t;
    Bed b;

    bed_init(&b);
    t = testdev_new(&b);
    cfg_write(&b, DEVFN, PCI_BASE_ADDRESS_0, 0x10000000, 4);
    g_assert_null(mr_at(&b, 0x10000000)); /* decode still off */
    cmd(&b, PCI_COMMAND_MEMORY);
    g_assert_true(mr_at(&b, 0x10000000) == &t->bar[0]);
    g_assert_cmphex(pci_bar_address(&t->pdev, 0), ==, 0x10000000);
    g_assert_cmphex(guest_read(&b, 0x10000010, 4), ==, 0xa0);
    guest_write(&b, 0x10000020, 0x5a, 1);
    g_assert_cmpuint(t->log->len, ==, 2);
    g_assert_cmpstr(g_ptr_array_index(t->log, 0), ==, "r0 +0x10/4");
    g_assert_cmpstr(g_ptr_array_index(t->log, 1), ==, "w0 +0x20/1 =0x5a");

    /* Moved: the old address is empty, the new one decodes. */
    cfg_write(&b, DEVFN, PCI_BASE_ADDRESS_0, 0x20000000, 4);
    g_assert_null(mr_at(&b, 0x10000000));
    g_assert_true(mr_at(&b, 0x20000000) == &t->bar[0]);
    g_assert_cmphex(pci_bar_address(&t->pdev, 0), ==, 0x20000000);
    g_assert_cmphex(guest_read(&b, 0x20000ffc, 4), ==, 0xa0);
    g_assert_cmpstr(g_ptr_array_index(t->log, 2), ==, "r0 +0xffc/4");

    /* Memory decode off: unmapped, the guest's access goes nowhere. */
    cmd(&b, 0);
    g_assert_null(mr_at(&b, 0x20000000));
    g_assert_cmphex(pci_bar_address(&t->pdev, 0), ==, PCI_BAR_UNMAPPED);
    {
        uint64_t v;

        g_assert_false(guest_rw(&b, 0x20000000, &v, 4, false));
    }
    g_assert_cmpuint(t->log->len, ==, 3);
    /* Back on: back where the BAR says. */
    cmd(&b, PCI_COMMAND_MEMORY);
    g_assert_true(mr_at(&b, 0x20000000) == &t->bar[0]);
    g_assert_cmpuint(t->pdev.bar_refusals, ==, 0);

    /* Unplugged: unmapped. */
    pci_bus_remove_device(b.bus, &t->pdev);
    g_assert_null(mr_at(&b, 0x20000000));
    g_assert_null(t->bar[0].parent);
    testdev_free(&b, t);
    bed_done(&b);
}

static void test_bar_64bit(void)
{
    TestDev *t;
    Bed b;

    bed_init(&b);
    t = testdev_new(&b);
    /* In the 64-bit window. */
    cfg_write(&b, DEVFN, PCI_BASE_ADDRESS_2, 0x00100000, 4);
    cfg_write(&b, DEVFN, PCI_BASE_ADDRESS_3, 0x80, 4);
    cmd(&b, PCI_COMMAND_MEMORY);
    g_assert_cmphex(pci_bar_address(&t->pdev, 2), ==, MMIO64_BASE + 0x100000);
    g_assert_true(mr_at(&b, MMIO64_BASE + 0x100000) == &t->bar[2]);
    g_assert_cmphex(guest_read(&b, MMIO64_BASE + 0x100008, 8), ==, 0xa2);
    /* A 64-bit BAR may also sit in the 32-bit window. */
    cfg_write(&b, DEVFN, PCI_BASE_ADDRESS_3, 0, 4);
    g_assert_cmphex(pci_bar_address(&t->pdev, 2), ==, PCI_BAR_UNMAPPED); /* 1 MiB: below it */
    cfg_write(&b, DEVFN, PCI_BASE_ADDRESS_2, 0x30000000, 4);
    g_assert_cmphex(pci_bar_address(&t->pdev, 2), ==, 0x30000000);
    g_assert_true(mr_at(&b, 0x30000000) == &t->bar[2]);
    g_assert_null(mr_at(&b, MMIO64_BASE + 0x100000));
    testdev_free(&b, t);
    bed_done(&b);
}

static void test_bar_refused(void)
{
    static const PCIWindow low64[] = {
        { PCI_WINDOW_MMIO32, MMIO32_BASE, MMIO32_SIZE },
        { PCI_WINDOW_MMIO64, 0x80000000, 0x40000000 }, /* below 4 GiB: a 32-bit BAR fits */
    };
    uint64_t refusals = 0;
    TestDev *t;
    Bed b;

    bed_init(&b);
    t = testdev_new(&b);
    guest_write(&b, RAM_BASE, 0x1122334455667788, 8);
    cmd(&b, PCI_COMMAND_MEMORY);

    /* Below the 32-bit window. */
    cfg_write(&b, DEVFN, PCI_BASE_ADDRESS_0, 0x0f000000, 4);
    g_assert_cmphex(pci_bar_address(&t->pdev, 0), ==, PCI_BAR_UNMAPPED);
    g_assert_cmpuint(t->pdev.bar_refusals, ==, ++refusals);
    g_assert_null(mr_at(&b, 0x0f000000));
    /* Other config writes re-derive the BARs: the same refusal is not counted again. */
    cmd(&b, PCI_COMMAND_MEMORY);
    cfg_write(&b, DEVFN, PCI_BASE_ADDRESS_4, 0x1000, 4);
    g_assert_cmpuint(t->pdev.bar_refusals, ==, refusals);
    /* Over RAM: RAM stays RAM. */
    cfg_write(&b, DEVFN, PCI_BASE_ADDRESS_0, (uint32_t)RAM_BASE, 4);
    g_assert_cmphex(pci_bar_address(&t->pdev, 0), ==, PCI_BAR_UNMAPPED);
    g_assert_cmpuint(t->pdev.bar_refusals, ==, ++refusals);
    g_assert_true(mr_at(&b, RAM_BASE) == &b.ram);
    g_assert_cmphex(guest_read(&b, RAM_BASE, 8), ==, 0x1122334455667788);
    g_assert_cmpuint(t->log->len, ==, 0);
    /* The last page of the 32-bit window fits; a 1 MiB BAR straddling its end does not. */
    cfg_write(&b, DEVFN, PCI_BASE_ADDRESS_0, (uint32_t)(MMIO32_BASE + MMIO32_SIZE - 0x1000), 4);
    g_assert_cmphex(pci_bar_address(&t->pdev, 0), ==, MMIO32_BASE + MMIO32_SIZE - 0x1000);
    cfg_write(&b, DEVFN, PCI_BASE_ADDRESS_2, 0x3ef00000, 4);
    g_assert_cmphex(pci_bar_address(&t->pdev, 2), ==, PCI_BAR_UNMAPPED);
    g_assert_cmpuint(t->pdev.bar_refusals, ==, ++refusals);
    /* A 64-bit BAR past the end of the 64-bit window. */
    cfg_write(&b, DEVFN, PCI_BASE_ADDRESS_2, 0, 4);
    cfg_write(&b, DEVFN, PCI_BASE_ADDRESS_3, 0x100, 4); /* 1 TiB: just past */
    g_assert_cmphex(pci_bar_address(&t->pdev, 2), ==, PCI_BAR_UNMAPPED);
    g_assert_cmpuint(t->pdev.bar_refusals, ==, ++refusals);
    testdev_free(&b, t);
    bed_done(&b);

    /* A 32-bit BAR cannot use the 64-bit window, even where its address would reach it. */
    bed_init_windows(&b, low64, G_N_ELEMENTS(low64));
    t = testdev_new(&b);
    cmd(&b, PCI_COMMAND_MEMORY);
    cfg_write(&b, DEVFN, PCI_BASE_ADDRESS_0, 0x80000000, 4);
    g_assert_cmphex(pci_bar_address(&t->pdev, 0), ==, PCI_BAR_UNMAPPED);
    g_assert_cmpuint(t->pdev.bar_refusals, ==, 1);
    g_assert_null(mr_at(&b, 0x80000000));
    cfg_write(&b, DEVFN, PCI_BASE_ADDRESS_2, 0x80000000, 4); /* 64-bit: fine there */
    g_assert_cmphex(pci_bar_address(&t->pdev, 2), ==, 0x80000000);
    g_assert_true(mr_at(&b, 0x80000000) == &t->bar[2]);
    testdev_free(&b, t);
    bed_done(&b);
}

static void test_bar_overlap(void)
{
    TestDev *t, *u;
    Bed b;

    bed_init(&b);
    t = testdev_new(&b);
    u = testdev_new_sized(&b, "other", PCI_DEVFN(2, 0), PCI_CONFIG_SPACE_SIZE, BAR2_SIZE);
    cfg_write(&b, DEVFN, PCI_BASE_ADDRESS_0, 0x10000000, 4);
    cmd(&b, PCI_COMMAND_MEMORY);
    /* The other device's BAR0 on top of the first: refused, the first still decodes. */
    cfg_write(&b, PCI_DEVFN(2, 0), PCI_BASE_ADDRESS_0, 0x10000000, 4);
    cfg_write(&b, PCI_DEVFN(2, 0), PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    g_assert_cmphex(pci_bar_address(&u->pdev, 0), ==, PCI_BAR_UNMAPPED);
    g_assert_cmpuint(u->pdev.bar_refusals, ==, 1);
    g_assert_cmpuint(t->pdev.bar_refusals, ==, 0);
    g_assert_true(mr_at(&b, 0x10000000) == &t->bar[0]);
    /* Two BARs of one device overlapping: BAR2 (1 MiB) over BAR0. */
    cfg_write(&b, DEVFN, PCI_BASE_ADDRESS_2, 0x10000000, 4);
    g_assert_cmphex(pci_bar_address(&t->pdev, 2), ==, PCI_BAR_UNMAPPED);
    g_assert_cmpuint(t->pdev.bar_refusals, ==, 1);
    g_assert_true(mr_at(&b, 0x10000000) == &t->bar[0]);
    g_assert_null(mr_at(&b, 0x10001000));
    /* BAR0 moves away: BAR2 gets its place at the next remap. */
    cfg_write(&b, DEVFN, PCI_BASE_ADDRESS_0, 0x20000000, 4);
    g_assert_cmphex(pci_bar_address(&t->pdev, 2), ==, 0x10000000);
    g_assert_true(mr_at(&b, 0x10001000) == &t->bar[2]);
    testdev_free(&b, u);
    testdev_free(&b, t);
    bed_done(&b);
}

static void test_bar_io(void)
{
    TestDev *t;
    Bed b;

    bed_init(&b);
    t = testdev_new(&b);
    cfg_write(&b, DEVFN, PCI_BASE_ADDRESS_4, 0x1000, 4);
    cmd(&b, PCI_COMMAND_MEMORY); /* memory decode does not enable I/O */
    g_assert_cmphex(pci_bar_address(&t->pdev, 4), ==, PCI_BAR_UNMAPPED);
    cmd(&b, PCI_COMMAND_IO);
    g_assert_cmphex(pci_bar_address(&t->pdev, 4), ==, IO_BASE + 0x1000);
    g_assert_true(mr_at(&b, IO_BASE + 0x1000) == &t->bar[4]);
    g_assert_cmphex(guest_read(&b, IO_BASE + 0x1004, 1), ==, 0xa4);
    g_assert_cmpstr(g_ptr_array_index(t->log, 0), ==, "r4 +0x4/1");
    /* Past the I/O window (64 KiB): refused. */
    cfg_write(&b, DEVFN, PCI_BASE_ADDRESS_4, 0x10000, 4);
    g_assert_cmphex(pci_bar_address(&t->pdev, 4), ==, PCI_BAR_UNMAPPED);
    g_assert_cmpuint(t->pdev.bar_refusals, ==, 1);
    cfg_write(&b, DEVFN, PCI_BASE_ADDRESS_4, 0xff00, 4);
    g_assert_cmphex(pci_bar_address(&t->pdev, 4), ==, IO_BASE + 0xff00);
    cmd(&b, 0);
    g_assert_null(mr_at(&b, IO_BASE + 0xff00));
    testdev_free(&b, t);
    bed_done(&b);
}

static void test_bar_rom(void)
{
    TestDev *t;
    Bed b;

    bed_init(&b);
    t = testdev_new(&b);
    cmd(&b, PCI_COMMAND_MEMORY);
    cfg_write(&b, DEVFN, PCI_ROM_ADDRESS, 0x10010000, 4);
    g_assert_cmphex(cfg_read(&b, DEVFN, PCI_ROM_ADDRESS, 4), ==, 0x10010000);
    g_assert_cmphex(pci_bar_address(&t->pdev, PCI_ROM_SLOT), ==, PCI_BAR_UNMAPPED);
    g_assert_null(mr_at(&b, 0x10010000));
    cfg_write(&b, DEVFN, PCI_ROM_ADDRESS, 0x10010000 | PCI_ROM_ADDRESS_ENABLE, 4);
    g_assert_cmphex(pci_bar_address(&t->pdev, PCI_ROM_SLOT), ==, 0x10010000);
    g_assert_true(mr_at(&b, 0x10010000) == &t->bar[PCI_ROM_SLOT]);
    g_assert_cmphex(guest_read(&b, 0x10010000, 4), ==, 0xa6);
    cfg_write(&b, DEVFN, PCI_ROM_ADDRESS, 0x10010000, 4);
    g_assert_null(mr_at(&b, 0x10010000));
    g_assert_cmpuint(t->pdev.bar_refusals, ==, 0);
    testdev_free(&b, t);
    bed_done(&b);
}

/* Firmware may size a BAR with decode on: the all-ones address is no placement to refuse,
 * and restoring the BAR maps it again. */
static void test_bar_sizing_decode_on(void)
{
    TestDev *t;
    Bed b;

    bed_init(&b);
    t = testdev_new(&b);
    cfg_write(&b, DEVFN, PCI_BASE_ADDRESS_0, 0x10000000, 4);
    cfg_write(&b, DEVFN, PCI_BASE_ADDRESS_2, 0x10100000, 4);
    cmd(&b, PCI_COMMAND_MEMORY);
    g_assert_true(mr_at(&b, 0x10000000) == &t->bar[0]);

    cfg_write(&b, DEVFN, PCI_BASE_ADDRESS_0, 0xffffffff, 4);
    g_assert_cmphex(cfg_read(&b, DEVFN, PCI_BASE_ADDRESS_0, 4), ==, 0xfffff000);
    g_assert_null(mr_at(&b, 0x10000000));
    cfg_write(&b, DEVFN, PCI_BASE_ADDRESS_0, 0x10000000, 4);
    /* Both halves of the 64-bit BAR, one after the other. */
    cfg_write(&b, DEVFN, PCI_BASE_ADDRESS_2, 0xffffffff, 4);
    g_assert_cmphex(cfg_read(&b, DEVFN, PCI_BASE_ADDRESS_2, 4), ==, 0xfff0000c);
    cfg_write(&b, DEVFN, PCI_BASE_ADDRESS_2, 0x10100000, 4);
    cfg_write(&b, DEVFN, PCI_BASE_ADDRESS_3, 0xffffffff, 4);
    g_assert_cmphex(cfg_read(&b, DEVFN, PCI_BASE_ADDRESS_3, 4), ==, 0xffffffff);
    cfg_write(&b, DEVFN, PCI_BASE_ADDRESS_3, 0, 4);

    g_assert_cmpuint(t->pdev.bar_refusals, ==, 0);
    g_assert_true(mr_at(&b, 0x10000000) == &t->bar[0]);
    g_assert_true(mr_at(&b, 0x10100000) == &t->bar[2]);
    testdev_free(&b, t);
    bed_done(&b);
}

static void test_pcie_config_size(void)
{
    TestDev *t;
    Bed b;

    bed_init(&b);
    t = testdev_new_sized(&b, "pcie", DEVFN, PCIE_CONFIG_SPACE_SIZE, BAR2_SIZE);
    g_assert_cmphex(cfg_read(&b, DEVFN, 0x100, 4), ==, 0);
    g_assert_cmphex(cfg_read(&b, DEVFN, 0xffc, 4), ==, 0);
    g_assert_cmphex(cfg_read(&b, DEVFN, 0x1000, 4), ==, 0xffffffff);
    testdev_free(&b, t);
    bed_done(&b);
}

static void test_add_device_errors(void)
{
    g_autoptr(GError) err = NULL;
    TestDev *t, *u;
    PCIDevice extra = { .name = "extra" };
    Bed b;

    bed_init(&b);
    t = testdev_new(&b);
    u = testdev_new_sized(&b, "auto", -1, PCI_CONFIG_SPACE_SIZE, BAR2_SIZE);
    g_assert_cmpuint(u->pdev.devfn, ==, PCI_DEVFN(0, 0)); /* the first free slot */
    pci_config_init(&extra, PCI_CONFIG_SPACE_SIZE);
    g_assert_false(pci_bus_add_device(b.bus, &extra, DEVFN, &err));
    g_assert_nonnull(strstr(err->message, "extra"));
    g_assert_nonnull(strstr(err->message, "01.0"));
    g_assert_nonnull(strstr(err->message, "testdev"));
    g_clear_error(&err);
    g_assert_false(pci_bus_add_device(b.bus, &extra, 0x100, &err));
    g_assert_nonnull(strstr(err->message, "out of range"));
    testdev_free(&b, u);
    testdev_free(&b, t);
    bed_done(&b);
}

/* ---- MSI-X --------------------------------------------------------------------------- */

static TestDev *msix_dev(Bed *b)
{
    TestDev *t = testdev_new(b);

    msix_init(&t->pdev, MSIX_CAP, NR_VECTORS, 0, MSIX_TABLE, 0, MSIX_PBA, &test_msix_ops);
    pci_set_byte(&t->pdev, PCI_CAPABILITY_LIST, MSIX_CAP);
    t->pdev.config[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
    cfg_write(b, DEVFN, PCI_BASE_ADDRESS_0, 0x10000000, 4);
    cmd(b, PCI_COMMAND_MEMORY);
    return t;
}

#define TABLE(v, field) (0x10000000 + MSIX_TABLE + (v) * MSIX_ENTRY_SIZE + (field))
#define MSIX_CTRL (MSIX_CAP + PCI_MSIX_FLAGS)

static void events_clear(TestDev *t)
{
    g_ptr_array_set_size(t->msix_events, 0);
}

static void assert_events(TestDev *t, const char *const *want)
{
    unsigned n = 0;

    while (want[n]) {
        n++;
    }
    for (unsigned i = 0; i < MAX(n, t->msix_events->len); i++) {
        const char *got = i < t->msix_events->len ? g_ptr_array_index(t->msix_events, i) : "-";

        g_assert_cmpstr(got, ==, i < n ? want[i] : "-");
    }
    events_clear(t);
}

static void test_msix_capability(void)
{
    TestDev *t;
    Bed b;

    bed_init(&b);
    t = msix_dev(&b);
    g_assert_cmphex(cfg_read(&b, DEVFN, MSIX_CAP, 1), ==, PCI_CAP_ID_MSIX);
    g_assert_cmphex(cfg_read(&b, DEVFN, MSIX_CTRL, 2), ==, NR_VECTORS - 1);
    g_assert_cmphex(cfg_read(&b, DEVFN, MSIX_CAP + PCI_MSIX_TABLE, 4), ==, MSIX_TABLE | 0);
    g_assert_cmphex(cfg_read(&b, DEVFN, MSIX_CAP + PCI_MSIX_PBA, 4), ==, MSIX_PBA | 0);
    /* Only enable and function mask are the guest's; table/PBA offsets are read-only. */
    cfg_write(&b, DEVFN, MSIX_CTRL, 0x07ff, 2);
    g_assert_cmphex(cfg_read(&b, DEVFN, MSIX_CTRL, 2), ==, NR_VECTORS - 1);
    cfg_write(&b, DEVFN, MSIX_CAP + PCI_MSIX_TABLE, 0xffffffff, 4);
    g_assert_cmphex(cfg_read(&b, DEVFN, MSIX_CAP + PCI_MSIX_TABLE, 4), ==, MSIX_TABLE);
    /* Every vector starts masked, MSI-X off. */
    for (unsigned v = 0; v < NR_VECTORS; v++) {
        g_assert_cmphex(guest_read(&b, TABLE(v, PCI_MSIX_ENTRY_VECTOR_CTRL), 4), ==,
                        PCI_MSIX_ENTRY_CTRL_MASKBIT);
        g_assert_true(msix_vector_masked(&t->pdev, v));
    }
    g_assert_cmpuint(t->msix_events->len, ==, 0);
    testdev_free(&b, t);
    bed_done(&b);
}

static void test_msix_enable(void)
{
    TestDev *t;
    Bed b;

    bed_init(&b);
    t = msix_dev(&b);
    /* A message programmed while off tells nothing, and shows once MSI-X is on. */
    guest_write(&b, TABLE(1, PCI_MSIX_ENTRY_LOWER_ADDR), 0x08090040, 4);
    guest_write(&b, TABLE(1, PCI_MSIX_ENTRY_DATA), 0x21, 4);
    guest_write(&b, TABLE(1, PCI_MSIX_ENTRY_VECTOR_CTRL), 0, 4);
    g_assert_cmpuint(t->msix_events->len, ==, 0);

    cfg_write(&b, DEVFN, MSIX_CTRL, PCI_MSIX_FLAGS_ENABLE, 2);
    g_assert_cmphex(cfg_read(&b, DEVFN, MSIX_CTRL, 2), ==, PCI_MSIX_FLAGS_ENABLE | 3);
    assert_events(t, (const char *const[]){
        "enable 1",
        "vector 0 masked 1 addr 0x0 data 0x0",
        "vector 1 masked 0 addr 0x8090040 data 0x21",
        "vector 2 masked 1 addr 0x0 data 0x0",
        "vector 3 masked 1 addr 0x0 data 0x0",
        NULL });
    g_assert_false(msix_vector_masked(&t->pdev, 1));
    /* Writing the same control again changes nothing. */
    cfg_write(&b, DEVFN, MSIX_CTRL, PCI_MSIX_FLAGS_ENABLE, 2);
    g_assert_cmpuint(t->msix_events->len, ==, 0);
    /* Off: one enable_changed, no vector calls. */
    cfg_write(&b, DEVFN, MSIX_CTRL, 0, 2);
    assert_events(t, (const char *const[]){ "enable 0", NULL });
    g_assert_true(msix_vector_masked(&t->pdev, 1));
    testdev_free(&b, t);
    bed_done(&b);
}

static void test_msix_table_writes(void)
{
    TestDev *t;
    Bed b;

    bed_init(&b);
    t = msix_dev(&b);
    cfg_write(&b, DEVFN, MSIX_CTRL, PCI_MSIX_FLAGS_ENABLE, 2);
    events_clear(t);

    /* Message writes to a masked vector: nothing to tell. */
    guest_write(&b, TABLE(0, PCI_MSIX_ENTRY_LOWER_ADDR), 0x08090040, 4);
    guest_write(&b, TABLE(0, PCI_MSIX_ENTRY_UPPER_ADDR), 0x1, 4);
    guest_write(&b, TABLE(0, PCI_MSIX_ENTRY_DATA), 0x30, 4);
    g_assert_cmpuint(t->msix_events->len, ==, 0);
    /* Unmask: told, with the message. */
    guest_write(&b, TABLE(0, PCI_MSIX_ENTRY_VECTOR_CTRL), 0, 4);
    assert_events(t, (const char *const[]){
        "vector 0 masked 0 addr 0x108090040 data 0x30", NULL });
    /* The same mask again: nothing. */
    guest_write(&b, TABLE(0, PCI_MSIX_ENTRY_VECTOR_CTRL), 0, 4);
    g_assert_cmpuint(t->msix_events->len, ==, 0);
    /* A new message while unmasked: told; the same message rewritten: not. */
    guest_write(&b, TABLE(0, PCI_MSIX_ENTRY_DATA), 0x31, 4);
    assert_events(t, (const char *const[]){
        "vector 0 masked 0 addr 0x108090040 data 0x31", NULL });
    guest_write(&b, TABLE(0, PCI_MSIX_ENTRY_DATA), 0x31, 4);
    g_assert_cmpuint(t->msix_events->len, ==, 0);
    /* A 64-bit write of the address: one call. */
    guest_write(&b, TABLE(0, PCI_MSIX_ENTRY_LOWER_ADDR), 0x0000000008090080, 8);
    assert_events(t, (const char *const[]){
        "vector 0 masked 0 addr 0x8090080 data 0x31", NULL });
    /* Mask: told; message writes while masked: not. */
    guest_write(&b, TABLE(0, PCI_MSIX_ENTRY_VECTOR_CTRL), 1, 4);
    assert_events(t, (const char *const[]){
        "vector 0 masked 1 addr 0x8090080 data 0x31", NULL });
    guest_write(&b, TABLE(0, PCI_MSIX_ENTRY_DATA), 0x32, 4);
    g_assert_cmpuint(t->msix_events->len, ==, 0);
    /* Reserved vector-control bits read as zero. */
    guest_write(&b, TABLE(2, PCI_MSIX_ENTRY_VECTOR_CTRL), 0xfffffffe, 4);
    assert_events(t, (const char *const[]){
        "vector 2 masked 0 addr 0x0 data 0x0", NULL });
    g_assert_cmphex(guest_read(&b, TABLE(2, PCI_MSIX_ENTRY_VECTOR_CTRL), 4), ==, 0);
    guest_write(&b, TABLE(2, PCI_MSIX_ENTRY_VECTOR_CTRL), 0xffffffff, 4);
    g_assert_cmphex(guest_read(&b, TABLE(2, PCI_MSIX_ENTRY_VECTOR_CTRL), 4), ==, 1);
    events_clear(t);
    /* The table reads back what was written; past its end reads 0. */
    g_assert_cmphex(guest_read(&b, TABLE(0, PCI_MSIX_ENTRY_DATA), 4), ==, 0x32);
    g_assert_cmphex(guest_read(&b, TABLE(0, 0), 8), ==, 0x8090080);
    g_assert_cmphex(msix_table_read(&t->pdev, NR_VECTORS * MSIX_ENTRY_SIZE, 4), ==, 0);
    testdev_free(&b, t);
    bed_done(&b);
}

static void test_msix_function_mask(void)
{
    TestDev *t;
    Bed b;

    bed_init(&b);
    t = msix_dev(&b);
    guest_write(&b, TABLE(3, PCI_MSIX_ENTRY_LOWER_ADDR), 0x08090040, 4);
    guest_write(&b, TABLE(3, PCI_MSIX_ENTRY_DATA), 0x7, 4);
    guest_write(&b, TABLE(3, PCI_MSIX_ENTRY_VECTOR_CTRL), 0, 4);
    cfg_write(&b, DEVFN, MSIX_CTRL, PCI_MSIX_FLAGS_ENABLE, 2);
    events_clear(t);

    /* The function mask masks every vector; only the unmasked one changes. */
    cfg_write(&b, DEVFN, MSIX_CTRL, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL, 2);
    assert_events(t, (const char *const[]){
        "vector 3 masked 1 addr 0x8090040 data 0x7", NULL });
    for (unsigned v = 0; v < NR_VECTORS; v++) {
        g_assert_true(msix_vector_masked(&t->pdev, v));
    }
    /* Unmasking an entry under the function mask: still masked, nothing to tell. */
    guest_write(&b, TABLE(0, PCI_MSIX_ENTRY_VECTOR_CTRL), 0, 4);
    g_assert_cmpuint(t->msix_events->len, ==, 0);
    g_assert_true(msix_vector_masked(&t->pdev, 0));
    /* Function mask off: both unmasked entries come alive. */
    cfg_write(&b, DEVFN, MSIX_CTRL, PCI_MSIX_FLAGS_ENABLE, 2);
    assert_events(t, (const char *const[]){
        "vector 0 masked 0 addr 0x0 data 0x0",
        "vector 3 masked 0 addr 0x8090040 data 0x7",
        NULL });
    testdev_free(&b, t);
    bed_done(&b);
}

/* The function mask toggled while MSI-X is off is no vector change (vector_changed is only
 * for while MSI-X is on). */
static void test_msix_function_mask_while_off(void)
{
    TestDev *t;
    Bed b;

    bed_init(&b);
    t = msix_dev(&b);
    guest_write(&b, TABLE(0, PCI_MSIX_ENTRY_VECTOR_CTRL), 0, 4);
    cfg_write(&b, DEVFN, MSIX_CTRL, PCI_MSIX_FLAGS_MASKALL, 2);
    cfg_write(&b, DEVFN, MSIX_CTRL, 0, 2);
    g_assert_cmpuint(t->msix_events->len, ==, 0);
    /* On with the function mask set: every vector told, all masked. */
    cfg_write(&b, DEVFN, MSIX_CTRL, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL, 2);
    g_assert_cmpuint(t->msix_events->len, ==, 1 + NR_VECTORS);
    g_assert_cmpstr(g_ptr_array_index(t->msix_events, 1), ==,
                    "vector 0 masked 1 addr 0x0 data 0x0");
    testdev_free(&b, t);
    bed_done(&b);
}

static void test_msix_pba(void)
{
    TestDev *t;
    Bed b;

    bed_init(&b);
    t = msix_dev(&b);
    g_assert_cmphex(guest_read(&b, 0x10000000 + MSIX_PBA, 8), ==, 0);
    msix_set_pending(&t->pdev, 1, true);
    msix_set_pending(&t->pdev, 3, true);
    g_assert_true(msix_is_pending(&t->pdev, 3));
    g_assert_false(msix_is_pending(&t->pdev, 2));
    g_assert_cmphex(msix_pba_read(&t->pdev, 0, 8), ==, 0xa);
    g_assert_cmphex(guest_read(&b, 0x10000000 + MSIX_PBA, 4), ==, 0xa);
    g_assert_cmphex(guest_read(&b, 0x10000000 + MSIX_PBA, 1), ==, 0xa);
    msix_set_pending(&t->pdev, 1, false);
    g_assert_cmphex(guest_read(&b, 0x10000000 + MSIX_PBA, 8), ==, 0x8);
    g_assert_cmphex(msix_pba_read(&t->pdev, 8, 8), ==, 0); /* past its end */
    testdev_free(&b, t);
    bed_done(&b);
}

/* ---- MSI ----------------------------------------------------------------------------- */

#define MSI_CAP 0x60

static const char *event(TestDev *t, unsigned i)
{
    return i < t->msix_events->len ? g_ptr_array_index(t->msix_events, i) : "(none)";
}

/* The layout for each of the four flavours: size, flags, where data/mask/pending sit, and
 * which bytes the guest may write. */
static void test_msi_layout(void)
{
    static const struct {
        bool is64, maskbit;
        unsigned size, data, mask, pending;
    } cases[] = {
        { false, false, 10, PCI_MSI_DATA_32, 0, 0 },
        { true, false, 14, PCI_MSI_DATA_64, 0, 0 },
        { false, true, 20, PCI_MSI_DATA_32, PCI_MSI_MASK_32, PCI_MSI_PENDING_32 },
        { true, true, 24, PCI_MSI_DATA_64, PCI_MSI_MASK_64, PCI_MSI_PENDING_64 },
    };

    for (unsigned i = 0; i < G_N_ELEMENTS(cases); i++) {
        Bed b;
        TestDev *t;
        uint16_t flags;

        bed_init(&b);
        t = testdev_new(&b);
        g_assert_cmpuint(msi_cap_size(cases[i].is64, cases[i].maskbit), ==, cases[i].size);
        pci_set_byte(&t->pdev, MSI_CAP + PCI_CAP_LIST_NEXT, 0x00);
        msi_init(&t->pdev, MSI_CAP, 8, cases[i].is64, cases[i].maskbit, &test_msix_ops);
        g_assert_cmphex(cfg_read(&b, DEVFN, MSI_CAP, 1), ==, PCI_CAP_ID_MSI);
        flags = (uint16_t)cfg_read(&b, DEVFN, MSI_CAP + PCI_MSI_FLAGS, 2);
        g_assert_cmphex(flags & PCI_MSI_FLAGS_QMASK, ==, 3 << 1);
        g_assert_cmphex(!!(flags & PCI_MSI_FLAGS_64BIT), ==, cases[i].is64);
        g_assert_cmphex(!!(flags & PCI_MSI_FLAGS_MASKBIT), ==, cases[i].maskbit);
        /* Read-only: Multiple Message Capable, 64-bit, maskbit, the ID. */
        cfg_write(&b, DEVFN, MSI_CAP, 0xffffffff, 4);
        g_assert_cmphex(cfg_read(&b, DEVFN, MSI_CAP, 1), ==, PCI_CAP_ID_MSI);
        g_assert_cmphex(cfg_read(&b, DEVFN, MSI_CAP + PCI_MSI_FLAGS, 2) &
                            ~(PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE), ==, flags);
        cfg_write(&b, DEVFN, MSI_CAP + PCI_MSI_FLAGS, 0, 2);
        /* The address: dword-aligned; its high half only when 64-bit. */
        cfg_write(&b, DEVFN, MSI_CAP + PCI_MSI_ADDRESS_LO, 0x08090043, 4);
        g_assert_cmphex(cfg_read(&b, DEVFN, MSI_CAP + PCI_MSI_ADDRESS_LO, 4), ==, 0x08090040);
        cfg_write(&b, DEVFN, MSI_CAP + cases[i].data, 0xabcd1234, 4);
        g_assert_cmphex(cfg_read(&b, DEVFN, MSI_CAP + cases[i].data, 2), ==, 0x1234);
        if (cases[i].is64) {
            cfg_write(&b, DEVFN, MSI_CAP + PCI_MSI_ADDRESS_HI, 0x12, 4);
            g_assert_cmphex(cfg_read(&b, DEVFN, MSI_CAP + PCI_MSI_ADDRESS_HI, 4), ==, 0x12);
        }
        if (cases[i].maskbit) {
            /* A bit per offered vector is writable; pending is read-only. */
            cfg_write(&b, DEVFN, MSI_CAP + cases[i].mask, 0xffffffff, 4);
            g_assert_cmphex(cfg_read(&b, DEVFN, MSI_CAP + cases[i].mask, 4), ==, 0xff);
            cfg_write(&b, DEVFN, MSI_CAP + cases[i].pending, 0xffffffff, 4);
            g_assert_cmphex(cfg_read(&b, DEVFN, MSI_CAP + cases[i].pending, 4), ==, 0);
        }
        /* Nothing past the capability is touched. */
        g_assert_cmphex(t->pdev.wmask[MSI_CAP + cases[i].size], ==, 0);
        g_assert_cmpstr(event(t, 0), ==, "enable 1"); /* the all-ones write had Enable */
        g_assert_false(t->pdev.msi->enabled);
        testdev_free(&b, t);
        bed_done(&b);
    }
}

/* Enabling with Multiple Message Enable 0..5: 2^MME vectors, clamped to what is offered (the
 * register then reads the clamped value); each vector's data carries its number in the low
 * bits. */
static void test_msi_enable(void)
{
    for (unsigned mme = 0; mme <= 5; mme++) {
        Bed b;
        TestDev *t;
        unsigned want = MIN(1u << mme, 4u);

        bed_init(&b);
        t = testdev_new(&b);
        msi_init(&t->pdev, MSI_CAP, 4, true, false, &test_msix_ops);
        cfg_write(&b, DEVFN, MSI_CAP + PCI_MSI_ADDRESS_LO, 0x08090040, 4);
        cfg_write(&b, DEVFN, MSI_CAP + PCI_MSI_DATA_64, 0x23, 2);
        cfg_write(&b, DEVFN, MSI_CAP + PCI_MSI_FLAGS, PCI_MSI_FLAGS_ENABLE | mme << 4, 2);
        g_assert_true(t->pdev.msi->enabled);
        g_assert_cmpuint(t->pdev.msi->nr_vectors, ==, want);
        g_assert_cmphex((cfg_read(&b, DEVFN, MSI_CAP + PCI_MSI_FLAGS, 2) &
                         PCI_MSI_FLAGS_QSIZE) >> 4, ==, mme > 2 ? 2 : mme);
        g_assert_cmpstr(event(t, 0), ==, "enable 1");
        g_assert_cmpuint(t->msix_events->len, ==, 1 + want);
        for (unsigned v = 0; v < want; v++) {
            g_autofree char *exp = g_strdup_printf("vector %u masked 0 addr 0x8090040 data 0x%x",
                                                   v, (0x23 & ~(want - 1)) | v);
            uint64_t addr;
            uint32_t data;

            g_assert_cmpstr(event(t, 1 + v), ==, exp);
            msi_vector_message(&t->pdev, v, &addr, &data);
            g_assert_cmphex(data, ==, (0x23 & ~(want - 1)) | v);
        }
        /* Off: told once, and every vector reads masked. */
        cfg_write(&b, DEVFN, MSI_CAP + PCI_MSI_FLAGS, 0, 2);
        g_assert_cmpstr(event(t, 1 + want), ==, "enable 0");
        g_assert_true(msi_vector_masked(&t->pdev, 0));
        testdev_free(&b, t);
        bed_done(&b);
    }
}

/* Per-vector masking: only the vectors whose state changed are told of; pending bits. */
static void test_msi_mask_pending(void)
{
    Bed b;
    TestDev *t;
    unsigned n;

    bed_init(&b);
    t = testdev_new(&b);
    msi_init(&t->pdev, MSI_CAP, 8, true, true, &test_msix_ops);
    cfg_write(&b, DEVFN, MSI_CAP + PCI_MSI_ADDRESS_LO, 0x08090040, 4);
    cfg_write(&b, DEVFN, MSI_CAP + PCI_MSI_DATA_64, 0x40, 2);
    cfg_write(&b, DEVFN, MSI_CAP + PCI_MSI_MASK_64, 0x0e, 4); /* 1, 2, 3 masked */
    g_assert_cmpuint(t->msix_events->len, ==, 0);             /* off: nothing said */
    cfg_write(&b, DEVFN, MSI_CAP + PCI_MSI_FLAGS, PCI_MSI_FLAGS_ENABLE | 2 << 4, 2);
    g_assert_cmpuint(t->msix_events->len, ==, 5);
    g_assert_cmpstr(event(t, 1), ==, "vector 0 masked 0 addr 0x8090040 data 0x40");
    g_assert_cmpstr(event(t, 2), ==, "vector 1 masked 1 addr 0x8090040 data 0x41");
    g_assert_true(msi_vector_masked(&t->pdev, 3));
    g_assert_false(msi_vector_masked(&t->pdev, 0));
    g_assert_true(msi_vector_masked(&t->pdev, 4)); /* not enabled */
    /* Unmask 2, mask 0: two events, no others. */
    n = t->msix_events->len;
    cfg_write(&b, DEVFN, MSI_CAP + PCI_MSI_MASK_64, 0x0b, 4);
    g_assert_cmpuint(t->msix_events->len, ==, n + 2);
    g_assert_cmpstr(event(t, n), ==, "vector 0 masked 1 addr 0x8090040 data 0x40");
    g_assert_cmpstr(event(t, n + 1), ==, "vector 2 masked 0 addr 0x8090040 data 0x42");
    /* The same mask again: nothing. */
    n = t->msix_events->len;
    cfg_write(&b, DEVFN, MSI_CAP + PCI_MSI_MASK_64, 0x0b, 4);
    g_assert_cmpuint(t->msix_events->len, ==, n);
    /* A new message: only the unmasked vectors (2) hear of it; 0 hears when unmasked. */
    cfg_write(&b, DEVFN, MSI_CAP + PCI_MSI_DATA_64, 0x80, 2);
    g_assert_cmpuint(t->msix_events->len, ==, n + 1);
    g_assert_cmpstr(event(t, n), ==, "vector 2 masked 0 addr 0x8090040 data 0x82");
    cfg_write(&b, DEVFN, MSI_CAP + PCI_MSI_MASK_64, 0x0a, 4);
    g_assert_cmpstr(event(t, n + 1), ==, "vector 0 masked 0 addr 0x8090040 data 0x80");
    /* Pending: the model sets it, the guest reads it, cannot write it. */
    msi_set_pending(&t->pdev, 1, true);
    msi_set_pending(&t->pdev, 3, true);
    g_assert_true(msi_is_pending(&t->pdev, 1));
    g_assert_false(msi_is_pending(&t->pdev, 0));
    g_assert_cmphex(cfg_read(&b, DEVFN, MSI_CAP + PCI_MSI_PENDING_64, 4), ==, 0x0a);
    cfg_write(&b, DEVFN, MSI_CAP + PCI_MSI_PENDING_64, 0, 4);
    g_assert_cmphex(cfg_read(&b, DEVFN, MSI_CAP + PCI_MSI_PENDING_64, 4), ==, 0x0a);
    msi_set_pending(&t->pdev, 1, false);
    g_assert_cmphex(cfg_read(&b, DEVFN, MSI_CAP + PCI_MSI_PENDING_64, 4), ==, 0x08);
    msi_set_pending(&t->pdev, 40, true); /* out of range: ignored */
    g_assert_false(msi_is_pending(&t->pdev, 40));
    testdev_free(&b, t);
    bed_done(&b);
}

/* Without mask bits there is no pending state at all. */
static void test_msi_no_maskbit_pending(void)
{
    Bed b;
    TestDev *t;

    bed_init(&b);
    t = testdev_new(&b);
    msi_init(&t->pdev, MSI_CAP, 1, false, false, &test_msix_ops);
    msi_set_pending(&t->pdev, 0, true);
    g_assert_false(msi_is_pending(&t->pdev, 0));
    g_assert_cmphex(cfg_read(&b, DEVFN, MSI_CAP + PCI_MSI_DATA_32 + 2, 4), ==, 0);
    testdev_free(&b, t);
    bed_done(&b);
}

/* ---- INTx ---------------------------------------------------------------------------- */

typedef struct IntxRec {
    GPtrArray *log;
    bool high[64];
} IntxRec;

static void intx_rec(void *opaque, unsigned spi, bool level)
{
    IntxRec *r = opaque;

    g_ptr_array_add(r->log, g_strdup_printf("spi %u %d", spi, level));
    r->high[spi] = level;
}

/* The swizzle: a slot's pin reaches INTA-D rotated by slot. */
static void test_intx_swizzle(void)
{
    Bed b;
    TestDev *t;

    bed_init(&b);
    t = testdev_new(&b); /* slot 1 */
    pci_bus_set_intx_handler(b.bus, 35, intx_rec, NULL);
    g_assert_cmpuint(pci_device_intx_spi(&t->pdev), ==, 0); /* no pin */
    for (unsigned pin = 1; pin <= 4; pin++) {
        pci_set_byte(&t->pdev, PCI_INTERRUPT_PIN, (uint8_t)pin);
        g_assert_cmpuint(pci_device_intx_spi(&t->pdev), ==, 35 + (1 + pin - 1) % 4);
        g_assert_cmpuint(pci_intx_spi(35, 4, pin), ==, 35 + pin - 1); /* slot 4: as slot 0 */
    }
    pci_set_byte(&t->pdev, PCI_INTERRUPT_PIN, 5);
    g_assert_cmpuint(pci_device_intx_spi(&t->pdev), ==, 0);
    testdev_free(&b, t);
    bed_done(&b);
}

/* Two devices on one line (slots 0 and 4, pin A): the line is high while either drives it;
 * the handler hears only the line's changes. A device without a pin drives nothing. */
static void test_intx_wired_or(void)
{
    IntxRec r = { .log = g_ptr_array_new_with_free_func(g_free) };
    TestDev *a, *c, *nopin;
    Bed b;

    bed_init(&b);
    pci_bus_set_intx_handler(b.bus, 3, intx_rec, &r);
    a = testdev_new_sized(&b, "a", PCI_DEVFN(0, 0), PCI_CONFIG_SPACE_SIZE, BAR2_SIZE);
    c = testdev_new_sized(&b, "c", PCI_DEVFN(4, 0), PCI_CONFIG_SPACE_SIZE, BAR2_SIZE);
    nopin = testdev_new_sized(&b, "n", PCI_DEVFN(5, 0), PCI_CONFIG_SPACE_SIZE, BAR2_SIZE);
    pci_set_byte(&a->pdev, PCI_INTERRUPT_PIN, 1);
    pci_set_byte(&c->pdev, PCI_INTERRUPT_PIN, 1);
    g_assert_cmpuint(pci_device_intx_spi(&a->pdev), ==, pci_device_intx_spi(&c->pdev));

    pci_set_intx(&a->pdev, true);
    g_assert_cmpuint(r.log->len, ==, 1);
    g_assert_cmpstr(g_ptr_array_index(r.log, 0), ==, "spi 3 1");
    pci_set_intx(&c->pdev, true);
    pci_set_intx(&c->pdev, true); /* again: no change */
    g_assert_cmpuint(r.log->len, ==, 1);
    pci_set_intx(&a->pdev, false);
    g_assert_cmpuint(r.log->len, ==, 1); /* c still drives it */
    g_assert_true(r.high[3]);
    pci_set_intx(&a->pdev, false); /* a lowering twice does not take c's share */
    g_assert_true(r.high[3]);
    pci_set_intx(&c->pdev, false);
    g_assert_cmpuint(r.log->len, ==, 2);
    g_assert_cmpstr(g_ptr_array_index(r.log, 1), ==, "spi 3 0");
    pci_set_intx(&nopin->pdev, true);
    g_assert_cmpuint(r.log->len, ==, 2);
    /* A device removed while driving the line lets go of it. */
    pci_set_intx(&a->pdev, true);
    pci_set_intx(&c->pdev, true);
    testdev_free(&b, a);
    g_assert_true(r.high[3]);
    testdev_free(&b, c);
    g_assert_false(r.high[3]);
    g_assert_cmpstr(g_ptr_array_index(r.log, r.log->len - 1), ==, "spi 3 0");
    testdev_free(&b, nopin);
    g_ptr_array_free(r.log, TRUE);
    bed_done(&b);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    armpass_rcu_register_thread(); /* commits and accesses read the view under RCU */
    /* Warnings go to warning_handler (which fails the test on any but a BAR refusal). */
    g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
    g_log_set_handler(NULL, G_LOG_LEVEL_WARNING, warning_handler, NULL);
    g_log_set_handler("armpass-pci", G_LOG_LEVEL_WARNING, warning_handler, NULL);
    g_log_set_handler("armpass-memory", G_LOG_LEVEL_WARNING, warning_handler, NULL);
    g_test_add_func("/pci/config/empty-slot", test_empty_slot);
    g_test_add_func("/pci/config/readonly-wmask", test_readonly_and_wmask);
    g_test_add_func("/pci/config/status-w1c", test_status_w1c);
    g_test_add_func("/pci/config/unaligned", test_unaligned);
    g_test_add_func("/pci/config/pcie-size", test_pcie_config_size);
    g_test_add_func("/pci/bus/add-errors", test_add_device_errors);
    g_test_add_func("/pci/bar/sizing", test_bar_sizing);
    g_test_add_func("/pci/bar/sizing-decode-on", test_bar_sizing_decode_on);
    g_test_add_func("/pci/bar/map-move-unmap", test_bar_map_move_unmap);
    g_test_add_func("/pci/bar/64bit", test_bar_64bit);
    g_test_add_func("/pci/bar/refused", test_bar_refused);
    g_test_add_func("/pci/bar/overlap", test_bar_overlap);
    g_test_add_func("/pci/bar/io", test_bar_io);
    g_test_add_func("/pci/bar/rom", test_bar_rom);
    g_test_add_func("/pci/msix/capability", test_msix_capability);
    g_test_add_func("/pci/msix/enable", test_msix_enable);
    g_test_add_func("/pci/msix/table-writes", test_msix_table_writes);
    g_test_add_func("/pci/msix/function-mask", test_msix_function_mask);
    g_test_add_func("/pci/msix/function-mask-while-off", test_msix_function_mask_while_off);
    g_test_add_func("/pci/msix/pba", test_msix_pba);
    g_test_add_func("/pci/msi/layout", test_msi_layout);
    g_test_add_func("/pci/msi/enable", test_msi_enable);
    g_test_add_func("/pci/msi/mask-pending", test_msi_mask_pending);
    g_test_add_func("/pci/msi/no-maskbit-pending", test_msi_no_maskbit_pending);
    g_test_add_func("/pci/intx/swizzle", test_intx_swizzle);
    g_test_add_func("/pci/intx/wired-or", test_intx_wired_or);
    int ret = g_test_run();

    armpass_rcu_barrier();
    armpass_rcu_unregister_thread();
    return ret;
}
