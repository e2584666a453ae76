/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vfio-pci: a host PCI device bound to vfio-pci, on the guest's PCI root bus. Config space
 * is the device's own (the VFIO config region), with what a VMM must own emulated: the BARs,
 * the command register's I/O, memory and bus-master bits, the expansion-ROM BAR, the MSI and
 * MSI-X capabilities, the interrupt pin, and the capability list (what armpass cannot support
 * is unlinked). BARs are VFIO regions with mmap'd parts (the sparse-mmap capability decides
 * which); the MSI-X table and PBA are emulated over them. Interrupts: INTx through an irqfd
 * with a resamplefd, every MSI or MSI-X vector an irqfd on its own KVM MSI route.
 * Source: Documentation/driver-api/vfio.rst, include/uapi/linux/vfio.h
 * (VFIO_PCI_*_REGION_INDEX, VFIO_PCI_*_IRQ_INDEX, VFIO_REGION_INFO_CAP_SPARSE_MMAP,
 * _CAP_MSIX_MAPPABLE), Documentation/virt/kvm/api.rst (KVM_IRQFD, KVM_SET_GSI_ROUTING).
 */
#ifndef ARMPASS_HW_VFIO_VFIO_PCI_H
#define ARMPASS_HW_VFIO_VFIO_PCI_H

#include "hw/core/device.h"
#include "hw/pci/pci.h"
#include "hw/vfio/vfio-common.h"
#include "hw/vfio/vfio-irq.h"

typedef struct VfioPciDevice VfioPciDevice;

/* Which interrupts the guest has the device use (one VFIO IRQ index at a time). */
typedef enum VfioPciIrqMode {
    VFIO_PCI_IRQ_NONE,
    VFIO_PCI_IRQ_INTX,
    VFIO_PCI_IRQ_MSI,
    VFIO_PCI_IRQ_MSIX,
} VfioPciIrqMode;

/* One MSI or MSI-X vector: the eventfd VFIO signals, its KVM MSI route and irqfd. */
typedef struct VfioPciVector {
    VfioPciDevice *owner;
    unsigned nr;
    int fd;            /* eventfd, -1 while MSI-X is off */
    int gsi;           /* KVM GSI of its MSI route, -1 before its first unmask */
    bool irqfd;        /* the irqfd is assigned: KVM delivers, armpass is not involved */
    guint watch;       /* masked: main-loop source that records a pending interrupt */
    uint64_t wakeups;  /* interrupts armpass handled (arrived while masked) */
    int last_gsi;      /* for -d stats once the mode is off again: the last route, or -1 */
    bool used;         /* the guest unmasked it with a message at least once */
    bool used_irqfd;   /* the vector was ever delivered by an irqfd */
    const char *kind;  /* "msi" or "msix": the mode it was last used in, for -d stats */
} VfioPciVector;

/* An emulated window over a BAR: the MSI-X table and PBA, widened to whole host pages so
 * that the mmap'd parts around it stay page-aligned (what is not table or PBA in it is
 * relayed to the device). */
typedef struct VfioPciMsixWindow {
    VfioPciDevice *owner;
    unsigned bar;
    uint64_t offset;   /* bytes from the BAR's start */
    MemoryRegion mr;
    bool used;
} VfioPciMsixWindow;

struct VfioPciDevice {
    DeviceState parent;
    /* properties */
    char *host;        /* "0000:00:01.0" */
    char *sysfsdev;
    char *iommufd;     /* -object iommufd id: the cdev path (hw/vfio/iommufd.c) */
    char *fd;          /* an open device cdev (iommufd=) */
    char *container;   /* -object vfio-container id (legacy) */
    char *group_fd;    /* an open /dev/vfio/N (legacy) */
    char *addr;        /* guest slot "SLOT[.FN]" (hex), default: the first free slot */
    char *bus;         /* id of the pcie-root-port it sits behind; NULL: the root bus */
    bool x_no_mmap;
    bool x_irqfd;      /* default on: KVM delivers (and completes INTx); off: armpass does */
    bool intx_shared_notice;    /* the notice that INTx on a root port's line is userspace, given */
    bool x_irqfd_set;
    uint64_t x_mmap_timeout_ms; /* INTx fallback: quiet period before the mmaps return */
    bool x_mmap_timeout_ms_set;
    uint64_t rombar;   /* default 1: the ROM BAR shows the device's ROM (or romfile=); 0: none */
    bool rombar_set;
    char *romfile;     /* a file shown as the ROM instead; empty: no ROM */
    /* state */
    MachineState *ms;
    PCIDevice pdev;
    VfioDevice *vdev;
    char *name;                 /* the host address */
    uint64_t config_offset;     /* the config region's offset in the device fd, bytes */
    uint64_t config_region_size;
    uint8_t emask[PCIE_CONFIG_SPACE_SIZE]; /* bits served from pdev.config, not the device */
    VfioRegion bars[PCI_NUM_BARS];
    bool bar_ready[PCI_NUM_BARS];
    VfioPciMsixWindow msix_win[2];
    VfioPciIrqMode irq_mode;
    bool has_intx;              /* the device has an INTx pin VFIO can signal */
    VfioIrqLine intx;           /* wired while irq_mode is INTX */
    bool intx_used, intx_kernel_path;
    uint64_t intx_wakeups;      /* summed over the times INTx was on */
    VfioPciVector *vectors;     /* max(MSI-X table size, MSI vectors) slots */
    unsigned nr_vectors;
    unsigned nr_vectors_on;     /* vectors with an eventfd in the current MSI/MSI-X mode */
    VfioRegion rom_region;      /* the device's ROM (VFIO_PCI_ROM_REGION_INDEX), trapped */
    MemoryRegion rom;           /* the ROM BAR's read-only view of it, or of romfile= */
    uint8_t *rom_data;          /* romfile=: its bytes, rom_size long (0xff padded) */
    uint64_t rom_size;
    bool rom_ready;
    const char *reset_kind;     /* what vfio_pci_reset did: "function reset", ... */
    GString *specific_regions;  /* device-specific regions found, for -d stats */
    unsigned nr_specific_regions;
    uint64_t config_errors;     /* config accesses the kernel refused */
    /* The request interrupt (VFIO_PCI_REQ_IRQ_INDEX): the host wants the device back. */
    bool req_wired;             /* its eventfd is given to VFIO and watched */
    int req_fd;                 /* that eventfd */
    guint req_watch;            /* its main-loop source in ms->main_context */
    uint64_t req_signals;       /* requests the host made */
};

extern const DeviceClass vfio_pci_device_class;

/*
 * Parses a host PCI address "DDDD:BB:DD.F" or "BB:DD.F" (hex; domain 0000 when left out)
 * into its canonical "dddd:bb:dd.f" form (g_free). Errors: anything else (the message shows
 * the expected form).
 */
char *vfio_pci_parse_host(const char *host, GError **errp);

/*
 * The request interrupt (hw/vfio/pci.c), wired at realize when the device offers it
 * (VFIO_PCI_REQ_IRQ_INDEX with an eventfd; Linux 4.0+): an eventfd given to VFIO with
 * VFIO_DEVICE_SET_IRQS DATA_EVENTFD|ACTION_TRIGGER, watched in ms->main_context. The kernel
 * signals it when the device is being removed from the host or unbound from vfio-pci, and
 * again every 10 s while it waits for armpass to close the device (drivers/vfio/pci/
 * vfio_pci_core.c vfio_pci_core_request). Each signal calls ms->device_request (the hot-plug
 * layer: hw/core/hotplug.h machine_hotplug_host_request), which may unrealize and free the
 * device; without it a notice says the host's removal waits for armpass's exit.
 * vfio_pci_req_wire: false (a one-line notice on stderr, nothing left open) when the device
 * has no such interrupt or VFIO refuses the eventfd; the device works all the same.
 * vfio_pci_req_unwire: the eventfd taken back from VFIO (fd -1), unwatched and closed; a
 * no-op when not wired. Source: include/uapi/linux/vfio.h (VFIO_PCI_REQ_IRQ_INDEX,
 * VFIO_DEVICE_SET_IRQS).
 */
bool vfio_pci_req_wire(VfioPciDevice *d);
void vfio_pci_req_unwire(VfioPciDevice *d);

/* Interrupts (hw/vfio/pci-irq.c): the PCIVectorOps vfio-pci gives its MSI and MSI-X
 * capabilities (each switches the mode the guest asked for; a capability's vector changes
 * count only while the device is in its mode), switching mode by hand (INTx at start, NONE
 * at teardown: every route, eventfd and irqfd released), and -d stats. */
extern const PCIVectorOps vfio_pci_msi_vector_ops;
extern const PCIVectorOps vfio_pci_msix_vector_ops;
void vfio_pci_irq_set_mode(VfioPciDevice *d, VfioPciIrqMode mode);
void vfio_pci_irq_print_stats(VfioPciDevice *d, GString *out);
/* Has every BAR's trapped accesses complete a pending INTx on the fallback path. */
void vfio_pci_irq_hook_bars(VfioPciDevice *d);

/*
 * A reset of the device at start when it offers one: VFIO_DEVICE_RESET (FLR or the like),
 * else a secondary bus reset (VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, then
 * VFIO_DEVICE_PCI_HOT_RESET with every affected group) when armpass holds every group it
 * would touch. Otherwise warns, naming what stands in the way, and carries on: the device
 * starts as its last user left it. Source: include/uapi/linux/vfio.h. (hw/vfio/pci-reset.c)
 */
void vfio_pci_reset(VfioPciDevice *d);

/*
 * The option ROM (hw/vfio/pci-rom.c): with rombar on, the ROM BAR shows romfile= (its bytes,
 * padded with 0xff to a power of two) or else the device's ROM region, read-only (writes are
 * dropped); with rombar=0, romfile= empty or no ROM region, the ROM BAR reads 0 (no ROM).
 * Errors: romfile= unreadable or larger than 16 MiB.
 */
bool vfio_pci_rom_init(VfioPciDevice *d, GError **errp);
void vfio_pci_rom_uninit(VfioPciDevice *d);

#endif
