/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What vfio-platform and vfio-amba share: a passthrough device on the platform bus with its
 * regions placed in the guest (trapped, with mmap'd subregions), its IRQs wired to SPIs
 * (hw/vfio/irq.c: irqfd, with a resamplefd for level IRQs; a userspace fallback that unmaps
 * the regions after a level IRQ until the guest touches them), and its
 * device-tree node generated from the host's. Source: Documentation/driver-api/vfio.rst,
 * Documentation/virt/kvm/api.rst (KVM_IRQFD, KVM_IRQFD_FLAG_RESAMPLE).
 */
#ifndef ARMPASS_HW_VFIO_VFIO_SYSBUS_H
#define ARMPASS_HW_VFIO_VFIO_SYSBUS_H

#include "hw/core/device.h"
#include "hw/vfio/vfio-common.h"
#include "hw/vfio/vfio-irq.h"

typedef struct VfioSysbusDevice VfioSysbusDevice;

/* One device IRQ: a VfioIrqLine whose GSI is its guest SPI (SPI n is GSI n). */
typedef struct VfioSysbusIrq {
    VfioIrqLine line;     /* index = the VFIO IRQ index, start 0, gsi = the guest SPI;
                           * line.opaque is this VfioSysbusIrq */
    uint32_t flags;       /* VFIO_IRQ_INFO_* */
    VfioSysbusDevice *owner;
} VfioSysbusIrq;

struct VfioSysbusDevice {
    DeviceState parent;
    /* properties */
    char *host;
    char *sysfsdev;
    char *iommufd;        /* -object iommufd id: the cdev path (hw/vfio/iommufd.c) */
    char *fd;             /* an open device cdev (iommufd=) */
    char *container;      /* -object vfio-container id (legacy) */
    char *group_fd;       /* an open /dev/vfio/N (legacy) */
    uint64_t mmio_base;
    bool mmio_base_set;
    uint64_t irq_base;
    bool irq_base_set;
    bool x_no_mmap;
    bool x_irqfd;
    bool x_irqfd_set;
    uint64_t x_mmap_timeout_ms;
    bool x_mmap_timeout_ms_set;
    uint64_t x_resample_ms; /* obsolete: accepted, ignored with a warning */
    bool x_resample_ms_set;
    bool noiommu;
    char *compatible;     /* ';'-separated list overriding the host's */
    char *dt_node;        /* a .dtb or .dts used as the guest node */
    uint64_t clock_rate;  /* Hz */
    bool clock_rate_set;
    uint64_t periphid;
    bool periphid_set;
    /* state */
    bool amba;            /* vfio-amba */
    MachineState *ms;
    VfioDevice *vdev;
    VfioRegion *regions;
    uint64_t *region_addr; /* guest-physical base of each region */
    unsigned nr_regions;
    VfioSysbusIrq *irqs;
    unsigned nr_irqs;
    unsigned mmaps_takers; /* level IRQs (userspace path) keeping the mmaps out of the map;
                            * under the dispatch_lock */
    void *host_node;      /* the host's node as an FDT blob, or the dt-node= file's */
    char *irq_hint;       /* a GPIO or interrupt controller's SET_IRQS EINVAL hint, or NULL */
};

/* The property table both models use (vfio-amba adds periphid). */
extern const Property vfio_sysbus_props[];
extern const Property vfio_amba_props[];

/* realize/unrealize/fdt/stats for both models; amba is taken from dev's class. */
bool vfio_sysbus_realize(DeviceState *dev, MachineState *ms, GError **errp);
void vfio_sysbus_unrealize(DeviceState *dev, MachineState *ms);
bool vfio_sysbus_fdt_node(DeviceState *dev, MachineState *ms, void *fdt, GError **errp);
void vfio_sysbus_print_stats(DeviceState *dev, GString *out);

extern const DeviceClass vfio_platform_device_class;
extern const DeviceClass vfio_amba_device_class;

#endif
