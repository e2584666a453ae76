/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vfio-pci: a host PCI device bound to vfio-pci, on the guest's PCI root bus. Config space
 * is the device's own (the VFIO config region), with what a VMM must own emulated: the BARs,
 * the command register's I/O, memory and bus-master bits, the expansion-ROM BAR (hidden),
 * the MSI-X capability, and the capability list (what armpass cannot support is unlinked).
 * BARs are VFIO regions with mmap'd parts (the sparse-mmap capability decides which); the
 * MSI-X table and PBA are emulated over them. Every MSI-X vector is an irqfd on its own KVM
 * MSI route. Source: Documentation/driver-api/vfio.rst, include/uapi/linux/vfio.h
 * (VFIO_PCI_*_REGION_INDEX, VFIO_REGION_INFO_CAP_SPARSE_MMAP, _CAP_MSIX_MAPPABLE),
 * Documentation/virt/kvm/api.rst (KVM_IRQFD, KVM_SET_GSI_ROUTING).
 */
#ifndef ARMPASS_HW_VFIO_VFIO_PCI_H
#define ARMPASS_HW_VFIO_VFIO_PCI_H

#include "hw/core/device.h"
#include "hw/pci/pci.h"
#include "hw/vfio/vfio-common.h"

typedef struct VfioPciDevice VfioPciDevice;

/* One MSI-X vector: the eventfd VFIO signals, its KVM MSI route and irqfd. */
typedef struct VfioPciVector {
    VfioPciDevice *owner;
    unsigned nr;
    int fd;            /* eventfd, -1 while MSI-X is off */
    int gsi;           /* KVM GSI of its MSI route, -1 before its first unmask */
    bool irqfd;        /* the irqfd is assigned: KVM delivers, armpass is not involved */
    guint watch;       /* masked: main-loop source that records a pending interrupt */
    uint64_t wakeups;  /* interrupts armpass handled (arrived while masked) */
    int last_gsi;      /* for -d stats once MSI-X is off again: the last route, or -1 */
    bool used_irqfd;   /* the vector was ever delivered by an irqfd */
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
    char *addr;        /* guest slot "SLOT[.FN]" (hex), default: the first free slot */
    bool x_no_mmap;
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
    VfioPciVector *vectors;
    unsigned nr_vectors;
    bool msix_on;
    uint64_t config_errors;     /* config accesses the kernel refused */
};

extern const DeviceClass vfio_pci_device_class;

/*
 * Parses a host PCI address "DDDD:BB:DD.F" or "BB:DD.F" (hex; domain 0000 when left out)
 * into its canonical "dddd:bb:dd.f" form (g_free). Errors: anything else (the message shows
 * the expected form).
 */
char *vfio_pci_parse_host(const char *host, GError **errp);

/* MSI-X wiring (hw/vfio/pci-msix.c): the MsixVectorOps of vfio-pci, and teardown. */
extern const struct MsixVectorOps vfio_pci_msix_ops;
void vfio_pci_msix_off(VfioPciDevice *d);

#endif
