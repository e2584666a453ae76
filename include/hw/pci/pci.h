/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The PCI buses every PCI device model sits on: the root bus behind the ECAM host bridge and
 * the secondary buses of PCI-to-PCI bridges on it (PCIe root ports), config space (emulated
 * bytes with write masks) routed by the bus numbers the guest programs into the bridges, BAR
 * bookkeeping (sizing, placement in the host bridge's windows and in every bridge window on
 * the way, memory-decode switching, 64-bit pairs) and the capability list.
 * Source: PCI Local Bus Specification 3.0, sections 6.1-6.2 (config header), 6.2.5 (BARs),
 * 6.7 (capabilities); PCI-to-PCI Bridge Architecture Specification 1.2, chapter 3 (type-1
 * header, bus numbers, I/O, memory and prefetchable windows); PCI Express Base
 * Specification 4.0, section 7.2.2 (ECAM); register
 * layouts in include/uapi/linux/pci_regs.h.
 *
 * Addresses: "addr" in config space is a byte offset (0..4095); BAR addresses and windows
 * are guest-physical (the host bridge's PCI and CPU addresses are identical).
 */
#ifndef ARMPASS_HW_PCI_PCI_H
#define ARMPASS_HW_PCI_PCI_H

#include "system/memory.h"

#include <glib.h>
#include <linux/pci_regs.h>
#include <stdbool.h>
#include <stdint.h>

#define PCI_ERROR armpass_pci_error_quark()
GQuark armpass_pci_error_quark(void);

#define PCI_CONFIG_SPACE_SIZE  256
#define PCIE_CONFIG_SPACE_SIZE 4096
#define PCI_NUM_BARS     6
#define PCI_ROM_SLOT     6 /* index of the expansion ROM in PCIDevice.bars */
#define PCI_NUM_REGIONS  7
#define PCI_SLOT_MAX     32
#define PCI_DEVFN(slot, fn) ((uint8_t)(((slot) << 3) | (fn)))
#define PCI_BAR_UNMAPPED UINT64_MAX

typedef struct PCIBus PCIBus;
typedef struct PCIDevice PCIDevice;
typedef struct MsixState MsixState;
typedef struct MsiState MsiState;

/*
 * How a device model hears of the guest's MSI or MSI-X programming (hw/pci/msi.c, msix.c).
 * enable_changed: the capability was switched on (enabled true) or off by a control write;
 * after "on", vector_changed follows for every vector in use. vector_changed: while on, a
 * vector's message (addr guest-physical, data) or its effective mask (its own mask bit, or
 * MSI-X's function mask) changed.
 */
typedef struct PCIVectorOps {
    void (*enable_changed)(PCIDevice *d, bool enabled);
    void (*vector_changed)(PCIDevice *d, unsigned vector, bool masked, uint64_t addr,
                           uint32_t data);
} PCIVectorOps;

/* A window of the host bridge through which BARs decode (guest-physical, bytes). */
typedef enum PCIWindowKind {
    PCI_WINDOW_MMIO32, /* non-prefetchable and 32-bit BARs */
    PCI_WINDOW_MMIO64, /* 64-bit BARs may also go here */
    PCI_WINDOW_IO,     /* I/O BARs, seen by the CPU as MMIO */
} PCIWindowKind;

typedef struct PCIWindow {
    PCIWindowKind kind;
    uint64_t base;
    uint64_t size;
} PCIWindow;

typedef struct PCIBar {
    uint64_t size;     /* bytes, a power of two; 0: the BAR is not implemented */
    uint8_t type;      /* the BAR's low bits: PCI_BASE_ADDRESS_SPACE_IO, or MEM_TYPE_64 and
                        * MEM_PREFETCH for memory */
    MemoryRegion *mr;  /* what the BAR decodes (the device's); placed while mapped */
    uint64_t addr;     /* guest-physical base while mapped, else PCI_BAR_UNMAPPED */
    uint64_t refused;  /* the placement last refused (counted once), 0: none */
} PCIBar;

/* Config-space accesses of the guest to the device (len 1, 2 or 4; addr naturally aligned
 * and < config_size). NULL: pci_default_read_config / pci_default_write_config. */
typedef struct PCIDeviceOps {
    uint32_t (*config_read)(PCIDevice *d, uint32_t addr, unsigned len);
    void (*config_write)(PCIDevice *d, uint32_t addr, uint32_t val, unsigned len);
} PCIDeviceOps;

struct PCIDevice {
    PCIBus *bus;
    const char *name;           /* for messages: "0000:00:01.0" or the model's id */
    uint8_t devfn;              /* slot << 3 | function */
    const PCIDeviceOps *ops;
    unsigned config_size;       /* PCI_CONFIG_SPACE_SIZE or PCIE_CONFIG_SPACE_SIZE */
    uint8_t config[PCIE_CONFIG_SPACE_SIZE];  /* emulated bytes (little-endian) */
    uint8_t wmask[PCIE_CONFIG_SPACE_SIZE];   /* bits the guest may change */
    uint8_t w1cmask[PCIE_CONFIG_SPACE_SIZE]; /* bits a guest's 1 clears */
    PCIBar bars[PCI_NUM_REGIONS];
    MsixState *msix;            /* hw/pci/msix.c, NULL without MSI-X */
    MsiState *msi;              /* hw/pci/msi.c, NULL without MSI */
    bool intx_level;            /* what the device drives its INTx pin to (pci_set_intx) */
    uint64_t bar_refusals;      /* BAR placements refused (outside a window, overlapping) */
    PCIBus *sec_bus;            /* a bridge's secondary bus (pci_bridge_bus_new), else NULL */
    bool intx_emulated;         /* an emulated device (a root port): armpass drives its INTx
                                 * line from userspace (pci_set_intx) */
};

/*
 * A root bus whose BARs are placed in sysmem and committed through as (memslots and DMA
 * listeners follow). windows: nr_windows entries, copied. Config accesses, MSI-X table
 * accesses and BAR moves come from trapped guest accesses, which the AddressSpace's
 * dispatch lock serialises (system/memory.c); before the guest runs, from the main thread.
 */
PCIBus *pci_bus_new(MemoryRegion *sysmem, AddressSpace *as, const PCIWindow *windows,
                    unsigned nr_windows);
/* Every device must have been removed. NULL is fine (also for a bridge's secondary bus). */
void pci_bus_free(PCIBus *bus);

/*
 * Bridges (PCI-to-PCI Bridge Architecture Specification 1.2, 3.2): pci_bridge_config_init
 * makes d's header a type-1 one (after pci_config_init): writable primary, secondary and
 * subordinate bus numbers, a 16-bit I/O window, a 32-bit memory window, a 64-bit
 * prefetchable window and the bridge control register, all closed at reset (base above
 * limit). pci_bridge_bus_new gives the plugged-in bridge d its secondary bus, named name (for
 * messages, e.g. the root port's id); one_slot: a PCIe downstream port's link, which reaches
 * device 0 only (PCIe Base Spec 4.0, 7.3.1: other device numbers read all ones). Config
 * accesses reach it through the bus numbers the guest programmed; its devices' BARs decode
 * only inside the bridge's windows (and the command register's enables) and the host
 * bridge's. The caller frees the bus (pci_bus_free) after removing its devices and before
 * unplugging d.
 */
void pci_bridge_config_init(PCIDevice *d);
PCIBus *pci_bridge_bus_new(PCIDevice *d, const char *name, bool one_slot);
/* The bus number: 0 for the root bus, the secondary bus number the guest programmed into the
 * bridge above for a secondary bus (0 until it has). */
uint8_t pci_bus_num(const PCIBus *bus);
/* The bridge whose secondary bus this is, or NULL for the root bus. */
PCIDevice *pci_bus_parent(const PCIBus *bus);
/*
 * Who hears of devices plugged into or unplugged from bus (a root port's slot): fn runs
 * after pci_bus_add_device placed d (plugged true) and before pci_bus_remove_device takes
 * it off (plugged false), on the caller's thread, under whatever lock it holds.
 */
typedef void (*PCIBusPlugFn)(void *opaque, PCIDevice *d, bool plugged);
void pci_bus_set_plug_handler(PCIBus *bus, PCIBusPlugFn fn, void *opaque);
/* The bus's name for messages: the root bus is "pcie.0" (QEMU's), a secondary bus its
 * bridge's name. */
const char *pci_bus_name(const PCIBus *bus);
/*
 * Parses a guest slot "SLOT[.FN]" (hex slot 00-1f, function 0-7; the addr= property) into
 * *devfn; s NULL gives -1 (the first free slot). Errors: anything else (the message shows
 * the form).
 */
bool pci_parse_addr(const char *s, int *devfn, GError **errp);
/* Re-derives the BAR mappings of every device on bus and on the buses below it (after a
 * bridge's windows, bus numbers or command register changed). */
void pci_bus_update_mappings(PCIBus *bus);

/* Raises or lowers SPI spi (the host bridge's INTx line), from any thread. */
typedef void (*PCIIntxFn)(void *opaque, unsigned spi, bool level);
/* The host bridge's INTA-D are SPIs first_spi..first_spi + 3 (swizzled by slot, as its
 * device-tree interrupt-map says), driven through fn. */
void pci_bus_set_intx_handler(PCIBus *bus, unsigned first_spi, PCIIntxFn fn, void *opaque);
/* The SPI d's INTx pin (config[PCI_INTERRUPT_PIN], 1-4) reaches, or 0 without a pin. */
unsigned pci_device_intx_spi(const PCIDevice *d);
/*
 * Gives bridge's secondary bus INTx lines of its own: the INTx of its device 0 reach SPIs
 * first_spi (INTA) .. first_spi + 3 (INTD), driven through the root bus's handler, instead of
 * being swizzled onto the bridge's own pin (the device tree says so with an interrupt-map in
 * the bridge's node: pci_fdt_add_bridge_node). For root ports: the Root Complex maps each
 * Root Port's INTx virtual wires to system interrupts as it chooses (PCIe Base Spec 4.0,
 * 2.2.8.1); the swizzle binds switches' ports only. Call after pci_bridge_bus_new, before any
 * device drives a pin on that bus.
 */
void pci_bridge_set_intx_lines(PCIDevice *bridge, unsigned first_spi);
/* d drives its INTx pin to level. A line shared by several devices stays high while any of
 * them drives it (PCI 3.0, 2.2.6: wired-OR); the handler hears only of the line's changes.
 * For the userspace path: with irqfd, KVM's resampler does the same for every irqfd on
 * the GSI. */
void pci_set_intx(PCIDevice *d, bool level);
/* Whether d's INTx lands on the same host-bridge line (SPI) as an emulated device's
 * (intx_emulated) anywhere in d's hierarchy, other than d. KVM keeps one level per SPI, not a
 * wired-OR of its sources: such a line must be driven by armpass alone (pci_set_intx ORs its
 * devices), never by an irqfd too, or one source lowering it drops the other's assertion. */
bool pci_intx_shares_emulated_line(const PCIDevice *d);

/*
 * Plugs d in at devfn (slot << 3 | function), or at the first free slot's function 0 when
 * devfn < 0. d's config, wmask, bars and ops must be set up first (pci_config_init,
 * pci_register_bar). Errors: the slot is taken or out of range (the message names both).
 */
bool pci_bus_add_device(PCIBus *bus, PCIDevice *d, int devfn, GError **errp);
/* Unmaps d's BARs and unplugs it. */
void pci_bus_remove_device(PCIBus *bus, PCIDevice *d);
/* The devices plugged in, in devfn order (PCIDevice *). */
GPtrArray *pci_bus_devices(PCIBus *bus);

/*
 * A config-space access through the host bridge (ECAM: bus, devfn, byte offset reg), bus
 * being the root bus: bus number 0 is the root bus; another reaches the secondary bus of the
 * bridge whose secondary..subordinate range holds it (type-1 forwarding, PCI-to-PCI Bridge
 * spec 3.2.5.3), whatever the bridge's command register says.
 * Reads of an empty slot return all ones, writes to it are ignored. len 1, 2 or 4;
 * unaligned accesses are split into bytes. Values are little-endian guest view.
 */
uint32_t pci_bus_config_read(PCIBus *bus, uint8_t busnr, uint8_t devfn, uint32_t reg,
                             unsigned len);
void pci_bus_config_write(PCIBus *bus, uint8_t busnr, uint8_t devfn, uint32_t reg,
                          uint32_t val, unsigned len);

/* Zeroes d's config state for a device with vendor/device ids, a config space of
 * config_size bytes (256 or 4096), and the standard writable bits of a type-0 header
 * (command, cache line, latency, interrupt line). */
void pci_config_init(PCIDevice *d, unsigned config_size);

/*
 * Declares BAR idx (0-5, or PCI_ROM_SLOT) of size bytes (a power of two, at least 16 for
 * memory, 4 for I/O; 0 leaves it unimplemented) decoding mr, of type (the low bits; a
 * 64-bit BAR also claims idx + 1). Sets the BAR's read-only bits and write mask.
 */
void pci_register_bar(PCIDevice *d, unsigned idx, uint8_t type, uint64_t size,
                      MemoryRegion *mr);

/* The emulated config: reads config[], writes through wmask/w1cmask; a write that touches
 * the command register or a BAR remaps the BARs, and one that touches the MSI-X
 * capability updates MSI-X state (msix_config_write). */
uint32_t pci_default_read_config(PCIDevice *d, uint32_t addr, unsigned len);
void pci_default_write_config(PCIDevice *d, uint32_t addr, uint32_t val, unsigned len);

/*
 * Re-derives every BAR's guest-physical address from config[] and the command register's
 * memory/I-O enable bits, moves the MemoryRegions that changed, and commits. A BAR that
 * would lie outside every window of its kind, or overlap RAM or another BAR, stays
 * unmapped (counted in bar_refusals, warned about rate-limited). Called from a config
 * write (under the dispatch lock), or before the guest runs.
 */
void pci_update_mappings(PCIDevice *d);

/* The guest-physical address BAR idx currently decodes at, or PCI_BAR_UNMAPPED. */
uint64_t pci_bar_address(const PCIDevice *d, unsigned idx);

/* Config-space accessors on d->config (little-endian). */
static inline uint8_t pci_get_byte(const PCIDevice *d, uint32_t a) { return d->config[a]; }
static inline uint16_t pci_get_word(const PCIDevice *d, uint32_t a)
{
    return (uint16_t)(d->config[a] | d->config[a + 1] << 8);
}
static inline uint32_t pci_get_long(const PCIDevice *d, uint32_t a)
{
    return (uint32_t)pci_get_word(d, a) | (uint32_t)pci_get_word(d, a + 2) << 16;
}
static inline void pci_set_byte(PCIDevice *d, uint32_t a, uint8_t v) { d->config[a] = v; }
static inline void pci_set_word(PCIDevice *d, uint32_t a, uint16_t v)
{
    d->config[a] = (uint8_t)v;
    d->config[a + 1] = (uint8_t)(v >> 8);
}
static inline void pci_set_long(PCIDevice *d, uint32_t a, uint32_t v)
{
    pci_set_word(d, a, (uint16_t)v);
    pci_set_word(d, a + 2, (uint16_t)(v >> 16));
}

static inline void pci_set_word_mask(PCIDevice *d, uint32_t a, uint16_t m)
{
    d->wmask[a] = (uint8_t)m;
    d->wmask[a + 1] = (uint8_t)(m >> 8);
}
static inline void pci_set_long_mask(PCIDevice *d, uint32_t a, uint32_t m)
{
    pci_set_word_mask(d, a, (uint16_t)m);
    pci_set_word_mask(d, a + 2, (uint16_t)(m >> 16));
}

/* Requester ID (bus << 8 | devfn, with the bus number the guest programmed into the bridges
 * above d): what the ITS sees as the DeviceID through msi-map (PCIe Base Spec 4.0, 2.2.6.2).
 * Read when an MSI route is made or updated. */
uint16_t pci_requester_id(const PCIDevice *d);

/* The SPI a device in slot with INTx pin (1 = INTA .. 4 = INTD) raises: the host bridge's
 * four SPIs from first_spi, rotated by slot (the standard swizzle, as the interrupt-map the
 * device tree gives). */
static inline unsigned pci_intx_spi(unsigned first_spi, unsigned slot, unsigned pin)
{
    return first_spi + (slot + pin - 1) % 4;
}

#endif
