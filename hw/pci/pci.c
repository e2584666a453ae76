// SPDX-License-Identifier: GPL-2.0-only
/* The PCI buses (the root bus and bridges' secondary buses): config-space emulation with
 * write masks, routing by bus number, BAR sizing and placement in the windows on the way. */
#define G_LOG_DOMAIN "armpass-pci"
#include "hw/pci/pci.h"

#include "hw/pci/msi.h"
#include "hw/pci/msix.h"
#include "system/ratelimit.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

G_DEFINE_QUARK(armpass-pci-error-quark, armpass_pci_error)

struct PCIBus {
    MemoryRegion *sysmem;
    AddressSpace *as;
    PCIWindow *windows;      /* the root bus's: the host bridge's windows */
    unsigned nr_windows;
    PCIDevice *parent;       /* the bridge above a secondary bus; NULL for the root bus */
    char *name;              /* a secondary bus's, for messages */
    bool one_slot;           /* a PCIe link: device 0 only */
    PCIBusPlugFn plug_fn;    /* told of plugs and unplugs */
    void *plug_opaque;
    PCIDevice *devices[256]; /* by devfn */
    /* INTx: a bus with lines of its own (the root bus: the host bridge's four; a secondary
     * bus given pci_bridge_set_intx_lines) has four SPIs from intx_first_spi, each the OR of
     * the devices that drive it; a bus without swizzles its pins up to its bridge's bus.
     * intx_fn and intx_lock are the root bus's. */
    bool intx_lines;
    PCIIntxFn intx_fn;
    void *intx_opaque;
    unsigned intx_first_spi;
    unsigned intx_count[4];  /* devices driving each line high; under the root's intx_lock */
    GMutex intx_lock;
    RateLimit bar_refusal_rl; /* the root bus's: BARs the guest placed where they cannot go */
};

PCIBus *pci_bus_new(MemoryRegion *sysmem, AddressSpace *as, const PCIWindow *windows,
                    unsigned nr_windows)
{
    PCIBus *bus = g_new0(PCIBus, 1);

    bus->sysmem = sysmem;
    bus->as = as;
    bus->windows = g_memdup2(windows, sizeof(*windows) * nr_windows);
    bus->nr_windows = nr_windows;
    g_mutex_init(&bus->intx_lock);
    ratelimit_init(&bus->bar_refusal_rl, 5000, 5);
    return bus;
}

void pci_bus_set_intx_handler(PCIBus *bus, unsigned first_spi, PCIIntxFn fn, void *opaque)
{
    bus->intx_lines = true;
    bus->intx_first_spi = first_spi;
    bus->intx_fn = fn;
    bus->intx_opaque = opaque;
}

static PCIBus *root_bus(PCIBus *bus)
{
    while (bus->parent) {
        bus = bus->parent->bus;
    }
    return bus;
}

uint8_t pci_bus_num(const PCIBus *bus)
{
    return bus->parent ? bus->parent->config[PCI_SECONDARY_BUS] : 0;
}

PCIDevice *pci_bus_parent(const PCIBus *bus)
{
    return bus->parent;
}

const char *pci_bus_name(const PCIBus *bus)
{
    return bus->name ? bus->name : "pcie.0";
}

void pci_bus_set_plug_handler(PCIBus *bus, PCIBusPlugFn fn, void *opaque)
{
    bus->plug_fn = fn;
    bus->plug_opaque = opaque;
}

bool pci_parse_addr(const char *s, int *devfn, GError **errp)
{
    unsigned slot, fn = 0;
    int n = -1;

    if (!s) {
        *devfn = -1;
        return true;
    }
    if (!((sscanf(s, "%2x.%1u%n", &slot, &fn, &n) == 2 && n == (int)strlen(s)) ||
          (sscanf(s, "%2x%n", &slot, &n) == 1 && n == (int)strlen(s))) ||
        slot > 0x1f || fn > 7) {
        g_set_error(errp, PCI_ERROR, EINVAL, "addr=%s: give the guest slot as SLOT[.FN] "
                    "in hex, slot 00-1f, function 0-7 (e.g. addr=02.0)", s);
        return false;
    }
    *devfn = PCI_DEVFN(slot, fn);
    return true;
}

uint16_t pci_requester_id(const PCIDevice *d)
{
    return (uint16_t)((d->bus ? pci_bus_num(d->bus) : 0) << 8 | d->devfn);
}

/* The bus whose lines d's pin reaches, and the line (0-3: the SPI's offset from the bus's
 * intx_first_spi): swizzled through every bridge without lines of its own on the way up
 * (PCI-to-PCI Bridge spec 9.1, as Linux's pci_swizzle_interrupt_pin does for a device under
 * a bridge with no device-tree node), then that bus's interrupt-map: the host bridge's,
 * rotated by slot, or a root port's own (pci_bridge_set_intx_lines). NULL without a pin. */
static PCIBus *intx_line(const PCIDevice *d, unsigned *line)
{
    unsigned pin = d->config[PCI_INTERRUPT_PIN];

    if (pin < 1 || pin > 4 || !d->bus) {
        return NULL;
    }
    while (!d->bus->intx_lines && d->bus->parent) {
        pin = (pin - 1 + (d->devfn >> 3)) % 4 + 1;
        d = d->bus->parent;
        if (!d->bus) {
            return NULL;
        }
    }
    *line = pci_intx_spi(0, d->devfn >> 3, pin);
    return d->bus;
}

unsigned pci_device_intx_spi(const PCIDevice *d)
{
    unsigned line;
    PCIBus *bus = intx_line(d, &line);

    return bus ? bus->intx_first_spi + line : 0;
}

void pci_bridge_set_intx_lines(PCIDevice *bridge, unsigned first_spi)
{
    g_return_if_fail(bridge->sec_bus != NULL);
    bridge->sec_bus->intx_lines = true;
    bridge->sec_bus->intx_first_spi = first_spi;
}

void pci_set_intx(PCIDevice *d, bool level)
{
    unsigned line;
    PCIBus *bus = intx_line(d, &line), *root;
    bool edge = false;

    if (!bus) {
        return;
    }
    root = root_bus(bus);
    g_mutex_lock(&root->intx_lock);
    if (level != d->intx_level) {
        d->intx_level = level;
        if (level) {
            edge = bus->intx_count[line]++ == 0;
        } else {
            edge = --bus->intx_count[line] == 0;
        }
        if (edge && root->intx_fn) {
            root->intx_fn(root->intx_opaque, bus->intx_first_spi + line, level);
        }
    }
    g_mutex_unlock(&root->intx_lock);
}

static bool bus_has_emulated_intx(PCIBus *bus, const PCIDevice *self, unsigned spi)
{
    g_autoptr(GPtrArray) devs = pci_bus_devices(bus);

    for (guint i = 0; i < devs->len; i++) {
        const PCIDevice *o = g_ptr_array_index(devs, i);

        if (o != self && o->intx_emulated && pci_device_intx_spi(o) == spi) {
            return true;
        }
        if (o->sec_bus && bus_has_emulated_intx(o->sec_bus, self, spi)) {
            return true;
        }
    }
    return false;
}

bool pci_intx_shares_emulated_line(const PCIDevice *d)
{
    unsigned spi = pci_device_intx_spi(d);

    return spi && bus_has_emulated_intx(root_bus(d->bus), d, spi);
}

void pci_bus_free(PCIBus *bus)
{
    if (!bus) {
        return;
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(bus->devices); i++) {
        g_warn_if_fail(bus->devices[i] == NULL);
    }
    g_mutex_clear(&bus->intx_lock);
    ratelimit_clear(&bus->bar_refusal_rl);
    g_free(bus->windows);
    g_free(bus->name);
    g_free(bus);
}

PCIBus *pci_bridge_bus_new(PCIDevice *d, const char *name, bool one_slot)
{
    PCIBus *bus = g_new0(PCIBus, 1);

    g_return_val_if_fail(d->bus != NULL, NULL);
    bus->sysmem = d->bus->sysmem;
    bus->as = d->bus->as;
    bus->parent = d;
    bus->name = g_strdup(name);
    bus->one_slot = one_slot;
    g_mutex_init(&bus->intx_lock);
    ratelimit_init(&bus->bar_refusal_rl, 5000, 5); /* unused: the root's counts */
    d->sec_bus = bus;
    return bus;
}

void pci_bridge_config_init(PCIDevice *d)
{
    d->config[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_BRIDGE;
    d->wmask[PCI_PRIMARY_BUS] = 0xff;
    d->wmask[PCI_SECONDARY_BUS] = 0xff;
    d->wmask[PCI_SUBORDINATE_BUS] = 0xff;
    d->wmask[PCI_SEC_LATENCY_TIMER] = 0xff;
    /* 16-bit I/O window (the type nibble 0), 4 KiB granules; closed: base above limit. */
    d->wmask[PCI_IO_BASE] = PCI_IO_RANGE_MASK & 0xff;
    d->wmask[PCI_IO_LIMIT] = PCI_IO_RANGE_MASK & 0xff;
    d->config[PCI_IO_BASE] = 0xf0;
    /* 32-bit memory window, 1 MiB granules. */
    pci_set_word_mask(d, PCI_MEMORY_BASE, PCI_MEMORY_RANGE_MASK & 0xffff);
    pci_set_word_mask(d, PCI_MEMORY_LIMIT, PCI_MEMORY_RANGE_MASK & 0xffff);
    pci_set_word(d, PCI_MEMORY_BASE, 0xfff0);
    /* 64-bit prefetchable window. */
    pci_set_word_mask(d, PCI_PREF_MEMORY_BASE, PCI_PREF_RANGE_MASK & 0xffff);
    pci_set_word_mask(d, PCI_PREF_MEMORY_LIMIT, PCI_PREF_RANGE_MASK & 0xffff);
    pci_set_word(d, PCI_PREF_MEMORY_BASE, 0xfff0 | PCI_PREF_RANGE_TYPE_64);
    pci_set_word(d, PCI_PREF_MEMORY_LIMIT, PCI_PREF_RANGE_TYPE_64);
    pci_set_long_mask(d, PCI_PREF_BASE_UPPER32, UINT32_MAX);
    pci_set_long_mask(d, PCI_PREF_LIMIT_UPPER32, UINT32_MAX);
    pci_set_word_mask(d, PCI_BRIDGE_CONTROL, PCI_BRIDGE_CTL_PARITY | PCI_BRIDGE_CTL_SERR |
                      PCI_BRIDGE_CTL_ISA | PCI_BRIDGE_CTL_VGA | PCI_BRIDGE_CTL_MASTER_ABORT |
                      PCI_BRIDGE_CTL_BUS_RESET);
    /* Secondary status: the error bits are write-1-to-clear, as in the primary status. */
    d->w1cmask[PCI_SEC_STATUS + 1] = d->w1cmask[PCI_STATUS + 1];
    /* The type-0 header's cache line, latency and interrupt line stay writable; the ROM
     * BAR moves to 0x38 and is not implemented. */
}

void pci_bus_update_mappings(PCIBus *bus)
{
    for (unsigned i = 0; i < G_N_ELEMENTS(bus->devices); i++) {
        PCIDevice *d = bus->devices[i];

        if (d) {
            pci_update_mappings(d);
            if (d->sec_bus) {
                pci_bus_update_mappings(d->sec_bus);
            }
        }
    }
}

bool pci_bus_add_device(PCIBus *bus, PCIDevice *d, int devfn, GError **errp)
{
    if (bus->one_slot && devfn >= 0 && (devfn >> 3) != 0) {
        g_set_error(errp, PCI_ERROR, EINVAL, "%s: bus %s is a PCIe link, which has only slot "
                    "00 (give addr=00.F or leave addr out)", d->name, bus->name);
        return false;
    }
    if (devfn < 0) {
        for (unsigned slot = 0; slot < (bus->one_slot ? 1u : PCI_SLOT_MAX); slot++) {
            bool used = false;

            for (unsigned fn = 0; fn < 8; fn++) {
                used |= bus->devices[PCI_DEVFN(slot, fn)] != NULL;
            }
            if (!used) {
                devfn = PCI_DEVFN(slot, 0);
                break;
            }
        }
        if (devfn < 0) {
            if (bus->one_slot) {
                g_set_error(errp, PCI_ERROR, ENOSPC, "%s: the slot of bus %s is taken (a PCIe "
                            "root port takes one device: add another pcie-root-port)", d->name,
                            bus->name);
            } else {
                g_set_error(errp, PCI_ERROR, ENOSPC, "%s: every one of the bus's %d slots is "
                            "taken", d->name, PCI_SLOT_MAX);
            }
            return false;
        }
    }
    if (devfn > 0xff) {
        g_set_error(errp, PCI_ERROR, EINVAL, "%s: devfn 0x%x is out of range (slot 0-31, "
                    "function 0-7)", d->name, devfn);
        return false;
    }
    if (bus->devices[devfn]) {
        g_set_error(errp, PCI_ERROR, EBUSY, "%s: slot %02x.%x is taken by %s", d->name,
                    devfn >> 3, devfn & 7, bus->devices[devfn]->name);
        return false;
    }
    d->bus = bus;
    d->devfn = (uint8_t)devfn;
    for (unsigned i = 0; i < PCI_NUM_REGIONS; i++) {
        d->bars[i].addr = PCI_BAR_UNMAPPED;
    }
    bus->devices[devfn] = d;
    g_debug("%s: at %02x:%02x.%x%s%s", d->name, pci_bus_num(bus), devfn >> 3, devfn & 7,
            bus->name ? " on " : "", bus->name ? bus->name : "");
    if (bus->plug_fn) {
        bus->plug_fn(bus->plug_opaque, d, true);
    }
    return true;
}

void pci_bus_remove_device(PCIBus *bus, PCIDevice *d)
{
    bool changed = false;

    g_return_if_fail(bus->devices[d->devfn] == d);
    if (bus->plug_fn) {
        bus->plug_fn(bus->plug_opaque, d, false);
    }
    for (unsigned i = 0; i < PCI_NUM_REGIONS; i++) {
        PCIBar *bar = &d->bars[i];

        if (bar->size && bar->addr != PCI_BAR_UNMAPPED) {
            memory_region_del_subregion(bus->sysmem, bar->mr);
            bar->addr = PCI_BAR_UNMAPPED;
            changed = true;
        }
    }
    if (changed && bus->as) {
        address_space_commit(bus->as, NULL);
    }
    pci_set_intx(d, false);
    bus->devices[d->devfn] = NULL;
    d->bus = NULL;
}

GPtrArray *pci_bus_devices(PCIBus *bus)
{
    GPtrArray *out = g_ptr_array_new();

    for (unsigned i = 0; i < G_N_ELEMENTS(bus->devices); i++) {
        if (bus->devices[i]) {
            g_ptr_array_add(out, bus->devices[i]);
        }
    }
    return out;
}

/* ---- Config space -------------------------------------------------------------------- */

static uint32_t all_ones32(unsigned len)
{
    return len >= 4 ? UINT32_MAX : (UINT32_C(1) << (len * 8)) - 1;
}

static uint32_t device_config_read(PCIDevice *d, uint32_t reg, unsigned len)
{
    if (reg >= d->config_size || len > d->config_size - reg) {
        return all_ones32(len); /* past a conventional device's 256 bytes */
    }
    return d->ops && d->ops->config_read ? d->ops->config_read(d, reg, len)
                                         : pci_default_read_config(d, reg, len);
}

static void device_config_write(PCIDevice *d, uint32_t reg, uint32_t val, unsigned len)
{
    if (reg >= d->config_size || len > d->config_size - reg) {
        return;
    }
    if (d->ops && d->ops->config_write) {
        d->ops->config_write(d, reg, val, len);
    } else {
        pci_default_write_config(d, reg, val, len);
    }
}

static bool config_access_ok(uint32_t reg, unsigned len)
{
    return (len == 1 || len == 2 || len == 4) && (reg & (len - 1)) == 0;
}

/* The function busnr:devfn below bus (whose own number is pci_bus_num), or NULL. */
static PCIDevice *bus_find(PCIBus *bus, uint8_t busnr, uint8_t devfn, unsigned depth)
{
    if (busnr == pci_bus_num(bus)) {
        return bus->one_slot && (devfn >> 3) != 0 ? NULL : bus->devices[devfn];
    }
    if (depth > 8) {
        return NULL; /* a guest that programmed a loop of bus numbers */
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(bus->devices); i++) {
        PCIDevice *b = bus->devices[i];

        if (b && b->sec_bus) {
            uint8_t sec = b->config[PCI_SECONDARY_BUS], sub = b->config[PCI_SUBORDINATE_BUS];

            if (sec != 0 && sec > pci_bus_num(bus) && busnr >= sec && busnr <= sub) {
                return bus_find(b->sec_bus, busnr, devfn, depth + 1);
            }
        }
    }
    return NULL;
}

uint32_t pci_bus_config_read(PCIBus *bus, uint8_t busnr, uint8_t devfn, uint32_t reg,
                             unsigned len)
{
    PCIDevice *d = bus_find(bus, busnr, devfn, 0);
    uint32_t val = 0;

    if (!d || reg >= PCIE_CONFIG_SPACE_SIZE || len > 4 || len == 0) {
        return all_ones32(len);
    }
    if (config_access_ok(reg, len)) {
        return device_config_read(d, reg, len);
    }
    for (unsigned i = 0; i < len && reg + i < PCIE_CONFIG_SPACE_SIZE; i++) {
        val |= device_config_read(d, reg + i, 1) << (8 * i);
    }
    return val;
}

void pci_bus_config_write(PCIBus *bus, uint8_t busnr, uint8_t devfn, uint32_t reg,
                          uint32_t val, unsigned len)
{
    PCIDevice *d = bus_find(bus, busnr, devfn, 0);

    if (!d || reg >= PCIE_CONFIG_SPACE_SIZE || len > 4 || len == 0) {
        return;
    }
    if (config_access_ok(reg, len)) {
        device_config_write(d, reg, val, len);
        return;
    }
    for (unsigned i = 0; i < len && reg + i < PCIE_CONFIG_SPACE_SIZE; i++) {
        device_config_write(d, reg + i, (val >> (8 * i)) & 0xff, 1);
    }
}

void pci_config_init(PCIDevice *d, unsigned config_size)
{
    memset(d->config, 0, sizeof(d->config));
    memset(d->wmask, 0, sizeof(d->wmask));
    memset(d->w1cmask, 0, sizeof(d->w1cmask));
    memset(d->bars, 0, sizeof(d->bars));
    for (unsigned i = 0; i < PCI_NUM_REGIONS; i++) {
        d->bars[i].addr = PCI_BAR_UNMAPPED;
    }
    d->config_size = config_size;
    pci_set_word_mask(d, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY |
                      PCI_COMMAND_MASTER | PCI_COMMAND_PARITY | PCI_COMMAND_SERR |
                      PCI_COMMAND_INTX_DISABLE);
    d->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
    d->wmask[PCI_LATENCY_TIMER] = 0xff;
    d->wmask[PCI_INTERRUPT_LINE] = 0xff;
    /* Status: the error bits are write-1-to-clear (PCI 3.0, 6.2.3). */
    d->w1cmask[PCI_STATUS + 1] = (PCI_STATUS_PARITY | PCI_STATUS_SIG_TARGET_ABORT |
                                  PCI_STATUS_REC_TARGET_ABORT | PCI_STATUS_REC_MASTER_ABORT |
                                  PCI_STATUS_SIG_SYSTEM_ERROR | PCI_STATUS_DETECTED_PARITY) >> 8;
}

void pci_register_bar(PCIDevice *d, unsigned idx, uint8_t type, uint64_t size,
                      MemoryRegion *mr)
{
    uint32_t reg = idx == PCI_ROM_SLOT ? PCI_ROM_ADDRESS : PCI_BASE_ADDRESS_0 + 4 * idx;
    PCIBar *bar = &d->bars[idx];
    uint64_t mask;

    g_return_if_fail(idx < PCI_NUM_REGIONS);
    g_return_if_fail(size == 0 || (size & (size - 1)) == 0);
    bar->size = size;
    bar->type = type;
    bar->mr = mr;
    bar->addr = PCI_BAR_UNMAPPED;
    bar->refused = 0;
    if (!size) {
        pci_set_long(d, reg, 0);
        pci_set_long_mask(d, reg, 0);
        return;
    }
    if (idx == PCI_ROM_SLOT) {
        mask = ~(size - 1) & PCI_ROM_ADDRESS_MASK;
        pci_set_long(d, reg, 0);
        pci_set_long_mask(d, reg, (uint32_t)mask | PCI_ROM_ADDRESS_ENABLE);
        return;
    }
    if (type & PCI_BASE_ADDRESS_SPACE_IO) {
        size = MAX(size, 4);
        mask = ~(size - 1) & 0xffffffffULL & ~(uint64_t)3;
    } else {
        size = MAX(size, 16);
        mask = ~(size - 1) & ~(uint64_t)0xf;
    }
    pci_set_long(d, reg, type);
    pci_set_long_mask(d, reg, (uint32_t)mask);
    if (!(type & PCI_BASE_ADDRESS_SPACE_IO) && (type & PCI_BASE_ADDRESS_MEM_TYPE_64)) {
        g_return_if_fail(idx + 1 < PCI_NUM_BARS);
        pci_set_long(d, reg + 4, 0);
        pci_set_long_mask(d, reg + 4, (uint32_t)(mask >> 32));
    }
}

uint32_t pci_default_read_config(PCIDevice *d, uint32_t addr, unsigned len)
{
    uint32_t val = 0;

    for (unsigned i = 0; i < len; i++) {
        val |= (uint32_t)d->config[addr + i] << (8 * i);
    }
    return val;
}

static bool ranges_touch(uint32_t a, unsigned alen, uint32_t b, unsigned blen)
{
    return a < b + blen && b < a + alen;
}

void pci_default_write_config(PCIDevice *d, uint32_t addr, uint32_t val, unsigned len)
{
    for (unsigned i = 0; i < len; i++) {
        uint8_t v = (uint8_t)(val >> (8 * i));
        uint8_t wm = d->wmask[addr + i], w1c = d->w1cmask[addr + i];

        d->config[addr + i] = (d->config[addr + i] & ~wm) | (v & wm);
        d->config[addr + i] &= ~(v & w1c);
    }
    if (d->sec_bus) {
        /* A bridge: its windows, bus numbers or decode enables decide where the BARs
         * below it decode. Its own header has no BARs armpass implements. */
        if (ranges_touch(addr, len, PCI_COMMAND, 2) ||
            ranges_touch(addr, len, PCI_PRIMARY_BUS, PCI_CAPABILITY_LIST - PCI_PRIMARY_BUS) ||
            ranges_touch(addr, len, PCI_BRIDGE_CONTROL, 2)) {
            pci_bus_update_mappings(d->sec_bus);
        }
    } else if (ranges_touch(addr, len, PCI_COMMAND, 2) ||
               ranges_touch(addr, len, PCI_BASE_ADDRESS_0, 24) ||
               ranges_touch(addr, len, PCI_ROM_ADDRESS, 4)) {
        pci_update_mappings(d);
    }
    if (d->msix) {
        msix_config_write(d, addr, len);
    }
    if (d->msi) {
        msi_config_write(d, addr, len);
    }
}

/* ---- BAR placement ------------------------------------------------------------------- */

static uint32_t bar_reg(unsigned idx)
{
    return idx == PCI_ROM_SLOT ? PCI_ROM_ADDRESS : PCI_BASE_ADDRESS_0 + 4 * idx;
}

/* Whether the guest is sizing BAR idx: all the writable bits of either of its halves are
 * ones (it then points far outside, which is not worth a word). */
static bool bar_sizing(const PCIDevice *d, unsigned idx)
{
    uint32_t reg = bar_reg(idx);
    unsigned halves = idx != PCI_ROM_SLOT && !(d->bars[idx].type & PCI_BASE_ADDRESS_SPACE_IO) &&
                      (d->bars[idx].type & PCI_BASE_ADDRESS_MEM_TYPE_64) ? 2 : 1;

    for (unsigned h = 0; h < halves; h++) {
        uint32_t wm = d->wmask[reg + 4 * h] | d->wmask[reg + 4 * h + 1] << 8 |
                      d->wmask[reg + 4 * h + 2] << 16 | (uint32_t)d->wmask[reg + 4 * h + 3] << 24;

        wm &= idx == PCI_ROM_SLOT ? PCI_ROM_ADDRESS_MASK : UINT32_MAX;
        if (wm && (pci_get_long(d, reg + 4 * h) & wm) == wm) {
            return true;
        }
    }
    return false;
}

static uint64_t bus_forwards(const PCIBus *bus, const PCIDevice *d, unsigned idx,
                             uint64_t addr, const char **why);

/* Where BAR idx would decode now (guest-physical), or PCI_BAR_UNMAPPED; *why says why not,
 * *want is the address the guest asked for (0: none). */
static uint64_t bar_target(const PCIDevice *d, unsigned idx, const char **why, uint64_t *want)
{
    const PCIBar *bar = &d->bars[idx];
    uint16_t cmd = pci_get_word(d, PCI_COMMAND);
    uint32_t lo = pci_get_long(d, bar_reg(idx));
    bool io = idx != PCI_ROM_SLOT && (bar->type & PCI_BASE_ADDRESS_SPACE_IO);
    uint64_t addr;

    *why = NULL;
    *want = 0;
    if (io) {
        if (!(cmd & PCI_COMMAND_IO)) {
            return PCI_BAR_UNMAPPED;
        }
        addr = lo & PCI_BASE_ADDRESS_IO_MASK;
    } else {
        if (!(cmd & PCI_COMMAND_MEMORY)) {
            return PCI_BAR_UNMAPPED;
        }
        if (idx == PCI_ROM_SLOT) {
            if (!(lo & PCI_ROM_ADDRESS_ENABLE)) {
                return PCI_BAR_UNMAPPED;
            }
            addr = lo & PCI_ROM_ADDRESS_MASK;
        } else {
            addr = lo & PCI_BASE_ADDRESS_MEM_MASK;
            if (bar->type & PCI_BASE_ADDRESS_MEM_TYPE_64) {
                addr |= (uint64_t)pci_get_long(d, bar_reg(idx) + 4) << 32;
            }
        }
    }
    if (addr == 0) {
        return PCI_BAR_UNMAPPED; /* not assigned yet */
    }
    *want = addr;
    return bus_forwards(d->bus, d, idx, addr, why);
}

/* The bridge's window of one kind (PCI-to-PCI Bridge spec 3.2.5.6-3.2.5.9): [*base, *limit]
 * inclusive; false while closed (base above limit). */
static bool bridge_window(const PCIDevice *b, PCIWindowKind kind, bool pref, uint64_t *base,
                          uint64_t *limit)
{
    if (kind == PCI_WINDOW_IO) {
        *base = (uint64_t)(b->config[PCI_IO_BASE] & PCI_IO_RANGE_MASK) << 8;
        *limit = (uint64_t)(b->config[PCI_IO_LIMIT] & PCI_IO_RANGE_MASK) << 8 | 0xfff;
    } else if (!pref) {
        *base = (uint64_t)(pci_get_word(b, PCI_MEMORY_BASE) & PCI_MEMORY_RANGE_MASK) << 16;
        *limit = (uint64_t)(pci_get_word(b, PCI_MEMORY_LIMIT) & PCI_MEMORY_RANGE_MASK) << 16 |
                 0xfffff;
    } else {
        *base = (uint64_t)(pci_get_word(b, PCI_PREF_MEMORY_BASE) & PCI_PREF_RANGE_MASK) << 16 |
                (uint64_t)pci_get_long(b, PCI_PREF_BASE_UPPER32) << 32;
        *limit = ((uint64_t)(pci_get_word(b, PCI_PREF_MEMORY_LIMIT) & PCI_PREF_RANGE_MASK) << 16 |
                  0xfffff) | (uint64_t)pci_get_long(b, PCI_PREF_LIMIT_UPPER32) << 32;
    }
    return *base <= *limit;
}

static bool range_inside(uint64_t addr, uint64_t size, uint64_t base, uint64_t limit)
{
    return addr >= base && addr <= limit && size - 1 <= limit - addr;
}

/* Where BAR idx of d, at PCI address addr, decodes as seen from bus: each bridge on the way
 * up must forward it (its decode enable on, the range inside one of its windows of the kind),
 * then a host bridge's window of the kind must hold it. */
static uint64_t bus_forwards(const PCIBus *bus, const PCIDevice *d, unsigned idx,
                             uint64_t addr, const char **why)
{
    const PCIBar *bar = &d->bars[idx];
    bool io = idx != PCI_ROM_SLOT && (bar->type & PCI_BASE_ADDRESS_SPACE_IO);
    bool bar64 = idx != PCI_ROM_SLOT && !io && (bar->type & PCI_BASE_ADDRESS_MEM_TYPE_64);

    for (; bus->parent; bus = bus->parent->bus) {
        const PCIDevice *b = bus->parent;
        uint16_t cmd = pci_get_word(b, PCI_COMMAND);
        uint64_t base, limit;
        bool ok, open;

        if (!(cmd & (io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY))) {
            return PCI_BAR_UNMAPPED; /* the bridge does not forward yet */
        }
        if (io) {
            open = bridge_window(b, PCI_WINDOW_IO, false, &base, &limit);
            ok = open && range_inside(addr, bar->size, base, limit);
        } else {
            bool mem = bridge_window(b, PCI_WINDOW_MMIO32, false, &base, &limit);

            ok = mem && range_inside(addr, bar->size, base, limit);
            open = mem;
            if (!ok && bridge_window(b, PCI_WINDOW_MMIO64, true, &base, &limit)) {
                open = true;
                ok = range_inside(addr, bar->size, base, limit);
            }
        }
        if (!open) {
            return PCI_BAR_UNMAPPED; /* no window of the kind yet: not a placement to refuse */
        }
        if (!ok) {
            if (!bar_sizing(d, idx)) {
                *why = "outside the windows of the bridge above it";
            }
            return PCI_BAR_UNMAPPED;
        }
        if (!b->bus) {
            return PCI_BAR_UNMAPPED;
        }
    }
    for (unsigned i = 0; i < bus->nr_windows; i++) {
        const PCIWindow *w = &bus->windows[i];
        uint64_t gpa;

        if (io != (w->kind == PCI_WINDOW_IO)) {
            continue;
        }
        if (w->kind == PCI_WINDOW_MMIO64 && !bar64) {
            continue; /* a 32-bit BAR cannot reach the high window */
        }
        gpa = io ? w->base + addr : addr;
        if (io ? (addr < w->size && bar->size <= w->size - addr)
               : (addr >= w->base && addr - w->base < w->size &&
                  bar->size <= w->size - (addr - w->base))) {
            return gpa;
        }
    }
    if (!bar_sizing(d, idx)) {
        *why = "outside the host bridge's windows";
    }
    return PCI_BAR_UNMAPPED;
}

void pci_update_mappings(PCIDevice *d)
{
    bool changed = false;
    RateLimit *rl;

    if (!d->bus) {
        return;
    }
    rl = &root_bus(d->bus)->bar_refusal_rl;
    for (unsigned idx = 0; idx < PCI_NUM_REGIONS; idx++) {
        PCIBar *bar = &d->bars[idx];
        const char *why;
        uint64_t target, want;
        g_autoptr(GError) err = NULL;

        if (!bar->size || !bar->mr) {
            continue;
        }
        target = bar_target(d, idx, &why, &want);
        if (target == bar->addr) {
            /* Still unmapped: a new refused placement is counted all the same. */
            if (why && want != bar->refused) {
                bar->refused = want;
                d->bar_refusals++;
                ratelimit_warn(rl, "%s: BAR %u (0x%" PRIx64 " bytes) left unmapped: the guest "
                               "placed it %s", d->name, idx, bar->size, why);
            } else if (!why) {
                bar->refused = 0;
            }
            continue;
        }
        if (bar->addr != PCI_BAR_UNMAPPED) {
            memory_region_del_subregion(d->bus->sysmem, bar->mr);
            g_debug("%s: BAR %u unmapped from 0x%" PRIx64, d->name, idx, bar->addr);
            bar->addr = PCI_BAR_UNMAPPED;
            changed = true;
        }
        if (target == PCI_BAR_UNMAPPED) {
            if (why) {
                bar->refused = want;
                d->bar_refusals++;
                ratelimit_warn(rl, "%s: BAR %u (0x%" PRIx64 " bytes) left unmapped: the guest "
                               "placed it %s", d->name, idx, bar->size, why);
            }
            continue;
        }
        if (!memory_region_add_subregion(d->bus->sysmem, target, bar->mr, 0, &err)) {
            if (bar->refused == target) {
                continue; /* counted when it was first refused */
            }
            bar->refused = target;
            d->bar_refusals++;
            ratelimit_warn(rl, "%s: BAR %u left unmapped: %s", d->name, idx, err->message);
            continue;
        }
        g_debug("%s: BAR %u (0x%" PRIx64 " bytes) mapped at 0x%" PRIx64, d->name, idx,
                bar->size, target);
        bar->addr = target;
        bar->refused = 0;
        changed = true;
    }
    if (changed && d->bus->as) {
        g_autoptr(GError) err = NULL;

        if (!address_space_commit(d->bus->as, &err)) {
            g_warning("%s: mapping its BARs: %s", d->name, err->message);
        }
    }
}

uint64_t pci_bar_address(const PCIDevice *d, unsigned idx)
{
    return idx < PCI_NUM_REGIONS ? d->bars[idx].addr : PCI_BAR_UNMAPPED;
}
