// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests: the PCIe host bridge's ECAM decode and config accesses (PCIe Base Spec 7.2.2),
 * against test-local stand-ins for the PCI core's bus functions that record each call. */
#include "system/rcu.h"
#include "hw/pci-host/gpex.h"

#include <string.h>

/* --- stand-ins for hw/pci/pci.c ------------------------------------------------------- */

typedef struct Access {
    bool write;
    uint8_t bus, devfn;
    uint32_t reg, val;
    unsigned len;
} Access;

struct PCIBus {
    unsigned nr_windows;
    PCIWindow windows[4];
    GArray *log; /* Access */
};

static PCIBus *the_bus;

PCIBus *pci_bus_new(MemoryRegion *sysmem, AddressSpace *as, const PCIWindow *windows,
                    unsigned nr_windows)
{
    PCIBus *b = g_new0(PCIBus, 1);
    (void)sysmem, (void)as;
    g_assert_cmpuint(nr_windows, <=, G_N_ELEMENTS(b->windows));
    memcpy(b->windows, windows, nr_windows * sizeof(*windows));
    b->nr_windows = nr_windows;
    b->log = g_array_new(FALSE, TRUE, sizeof(Access));
    the_bus = b;
    return b;
}

void pci_bus_free(PCIBus *bus)
{
    if (bus) {
        g_array_unref(bus->log);
        g_free(bus);
        the_bus = NULL;
    }
}

/* Reads return a value made of the address, so the test can tell which access made it. */
uint32_t pci_bus_config_read(PCIBus *bus, uint8_t busnr, uint8_t devfn, uint32_t reg,
                             unsigned len)
{
    Access a = { false, busnr, devfn, reg, 0, len };
    g_array_append_val(bus->log, a);
    return (uint32_t)(devfn << 16 | reg) & (len == 4 ? UINT32_MAX : (1u << (len * 8)) - 1);
}

void pci_bus_config_write(PCIBus *bus, uint8_t busnr, uint8_t devfn, uint32_t reg,
                          uint32_t val, unsigned len)
{
    Access a = { true, busnr, devfn, reg, val, len };
    g_array_append_val(bus->log, a);
}

/* --- tests ------------------------------------------------------------------------------ */

static void test_decode(void)
{
    static const struct {
        uint64_t off;
        uint8_t bus, devfn;
        uint16_t reg;
    } cases[] = {
        { 0x0, 0, 0, 0 },
        { 0x4, 0, 0, 4 },
        { 0xfff, 0, 0, 0xfff },
        { 0x1000, 0, 1, 0 },             /* device 0, function 1 */
        { 0x8010, 0, PCI_DEVFN(1, 0), 0x10 },
        { 0xff100, 0, PCI_DEVFN(31, 7), 0x100 },
        { 0x100000, 1, 0, 0 },
        { 0xf00000 | 0x18000 | 0x3c, 15, PCI_DEVFN(3, 0), 0x3c },
    };
    for (unsigned i = 0; i < G_N_ELEMENTS(cases); i++) {
        GpexEcamAddr a = gpex_ecam_decode(cases[i].off);
        g_assert_cmpuint(a.bus, ==, cases[i].bus);
        g_assert_cmphex(a.devfn, ==, cases[i].devfn);
        g_assert_cmphex(a.reg, ==, cases[i].reg);
    }
}

typedef struct Fixture {
    MemoryRegion sysmem;
    AddressSpace as;
    GpexHost *h;
} Fixture;

static void fixture_init(Fixture *f)
{
    const PCIWindow w[] = {
        { PCI_WINDOW_MMIO32, 0x10000000, 0x2eff0000 },
        { PCI_WINDOW_MMIO64, 0x8000000000, 0x8000000000 },
        { PCI_WINDOW_IO, 0x3eff0000, 0x10000 },
    };
    g_autoptr(GError) err = NULL;

    memory_region_init_container(&f->sysmem, "system", 1ULL << 40);
    address_space_init(&f->as, &f->sysmem, "memory");
    f->h = gpex_host_new(&f->sysmem, &f->as, 0x3f000000, 16 << 20, w, 3, &err);
    g_assert_no_error(err);
    g_assert_true(address_space_commit(&f->as, &err));
    g_assert_true(f->h->bus == the_bus);
    g_assert_cmpuint(the_bus->nr_windows, ==, 3);
    g_assert_cmphex(the_bus->windows[1].base, ==, 0x8000000000);
}

static void fixture_clear(Fixture *f)
{
    gpex_host_free(f->h);
    g_assert_null(the_bus);
    address_space_destroy(&f->as);
    memory_region_finalize(&f->sysmem);
}

/* A guest access through the address space, as a vCPU's trapped access arrives. */
static uint64_t guest_read(Fixture *f, uint64_t off, unsigned len)
{
    uint8_t buf[8] = { 0 };
    uint64_t v = 0;
    g_assert_true(address_space_rw(&f->as, 0x3f000000 + off, buf, len, false));
    for (unsigned i = 0; i < len; i++) {
        v |= (uint64_t)buf[i] << (8 * i);
    }
    return v;
}

static void guest_write(Fixture *f, uint64_t off, uint64_t v, unsigned len)
{
    uint8_t buf[8];
    for (unsigned i = 0; i < len; i++) {
        buf[i] = (uint8_t)(v >> (8 * i));
    }
    g_assert_true(address_space_rw(&f->as, 0x3f000000 + off, buf, len, true));
}

static Access logged(unsigned i)
{
    g_assert_cmpuint(i, <, the_bus->log->len);
    return g_array_index(the_bus->log, Access, i);
}

static void test_config_access(void)
{
    Fixture f;
    Access a;

    fixture_init(&f);
    /* a 4-byte read of slot 1's BAR0, a 2-byte and a 1-byte one */
    g_assert_cmphex(guest_read(&f, 0x8010, 4), ==, (uint32_t)(PCI_DEVFN(1, 0) << 16 | 0x10));
    a = logged(0);
    g_assert_false(a.write);
    g_assert_cmpuint(a.bus, ==, 0);
    g_assert_cmphex(a.devfn, ==, PCI_DEVFN(1, 0));
    g_assert_cmphex(a.reg, ==, 0x10);
    g_assert_cmpuint(a.len, ==, 4);
    g_assert_cmphex(guest_read(&f, 0x8006, 2), ==, 0x0006);
    g_assert_cmpuint(logged(1).len, ==, 2);
    guest_read(&f, 0x803d, 1);
    g_assert_cmpuint(logged(2).len, ==, 1);
    g_assert_cmphex(logged(2).reg, ==, 0x3d);
    /* a write reaches the device with its value and length */
    guest_write(&f, 0x8004, 0x0006, 2);
    a = logged(3);
    g_assert_true(a.write);
    g_assert_cmphex(a.val, ==, 6);
    g_assert_cmpuint(a.len, ==, 2);
    g_assert_cmphex(a.reg, ==, 4);
    fixture_clear(&f);
}

static void test_eight_byte_split(void)
{
    Fixture f;

    fixture_init(&f);
    /* a 64-bit BAR pair read with one LDR X: two 4-byte accesses, low word first */
    g_assert_cmphex(guest_read(&f, 0x8010, 8), ==,
                    (uint64_t)(PCI_DEVFN(1, 0) << 16 | 0x14) << 32 | (PCI_DEVFN(1, 0) << 16 | 0x10));
    g_assert_cmpuint(the_bus->log->len, ==, 2);
    g_assert_cmphex(logged(0).reg, ==, 0x10);
    g_assert_cmphex(logged(1).reg, ==, 0x14);
    g_assert_cmpuint(logged(1).len, ==, 4);
    guest_write(&f, 0x8010, 0x80000000fe000000ULL, 8);
    g_assert_cmpuint(the_bus->log->len, ==, 4);
    g_assert_cmphex(logged(2).val, ==, 0xfe000000);
    g_assert_cmphex(logged(2).reg, ==, 0x10);
    g_assert_cmphex(logged(3).val, ==, 0x80000000);
    g_assert_cmphex(logged(3).reg, ==, 0x14);
    fixture_clear(&f);
}

/* Every bus number goes to the root bus's routing (pci_bus_config_read picks the bridge whose
 * bus range holds it: tests/unit/test-pcie-root-port.c), with the bus number decoded. */
static void test_other_buses_routed(void)
{
    Fixture f;

    fixture_init(&f);
    g_assert_cmphex(guest_read(&f, 0x100000, 4), ==, 0);
    g_assert_cmphex(guest_read(&f, 0xf08002, 2), ==, 0x0002 | 0);
    g_assert_cmpuint(the_bus->log->len, ==, 2);
    g_assert_cmpuint(logged(0).bus, ==, 1);
    g_assert_cmpuint(logged(1).bus, ==, 15);
    g_assert_cmphex(logged(1).devfn, ==, PCI_DEVFN(1, 0));
    guest_write(&f, 0x100004, 0x6, 2);
    g_assert_cmpuint(the_bus->log->len, ==, 3);
    g_assert_true(logged(2).write);
    g_assert_cmpuint(logged(2).bus, ==, 1);
    g_assert_cmphex(logged(2).reg, ==, 4);
    fixture_clear(&f);
}

static void test_window_taken(void)
{
    MemoryRegion sysmem, other;
    AddressSpace as;
    g_autoptr(GError) err = NULL;

    memory_region_init_container(&sysmem, "system", 1ULL << 40);
    address_space_init(&as, &sysmem, "memory");
    memory_region_init_container(&other, "other", 0x1000);
    g_assert_true(memory_region_add_subregion(&sysmem, 0x3f800000, &other, 0, &err));
    g_assert_null(gpex_host_new(&sysmem, &as, 0x3f000000, 16 << 20, NULL, 0, &err));
    g_assert_nonnull(err);
    g_assert_nonnull(strstr(err->message, "ECAM window at 0x3f000000"));
    g_assert_null(the_bus);
    memory_region_finalize(&other);
    address_space_destroy(&as);
    memory_region_finalize(&sysmem);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    armpass_rcu_register_thread(); /* commits and accesses read the view under RCU */
    g_test_add_func("/gpex/ecam-decode", test_decode);
    g_test_add_func("/gpex/config-access", test_config_access);
    g_test_add_func("/gpex/eight-byte-split", test_eight_byte_split);
    g_test_add_func("/gpex/other-buses-routed", test_other_buses_routed);
    g_test_add_func("/gpex/window-taken", test_window_taken);
    int ret = g_test_run();

    armpass_rcu_barrier();
    armpass_rcu_unregister_thread();
    return ret;
}
