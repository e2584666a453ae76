/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The virtio 1.x PCI transport ("modern" only, no legacy I/O BAR): a PCI device whose BAR 4
 * holds the common configuration, the notification area, the ISR status and the device's own
 * configuration, each named by a vendor-specific capability, and whose BAR 1 holds the MSI-X
 * table and PBA.
 *
 * The data path never enters armpass: every queue's notification address is a KVM ioeventfd
 * (the kick eventfd the backend reads) and every queue's interrupt is the backend's call
 * eventfd on a KVM irqfd of the queue's MSI-X vector. armpass runs the control plane only:
 * feature negotiation, queue set-up, and starting and stopping the backend (a vhost device:
 * hw/virtio/vhost.h) when the driver sets DRIVER_OK or resets the device. A masked vector's
 * interrupts, and interrupts of a guest without MSI-X (INTx and the ISR), go through
 * armpass's main loop (counted as wake-ups in -d stats).
 *
 * Source: Virtual I/O Device (VIRTIO) Version 1.2, 4.1 "Virtio Over PCI Bus" (4.1.4 the
 * capabilities, 4.1.4.3 common configuration, 4.1.4.4 notification, 4.1.4.5 ISR, 4.1.5 driver
 * requirements), 2.1 device status, 2.2 feature bits; include/uapi/linux/virtio_pci.h.
 */
#ifndef ARMPASS_HW_VIRTIO_VIRTIO_PCI_H
#define ARMPASS_HW_VIRTIO_VIRTIO_PCI_H

#include "hw/core/device.h"
#include "hw/pci/pci.h"

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#define VIRTIO_PCI_ERROR armpass_virtio_pci_error_quark()
GQuark armpass_virtio_pci_error_quark(void);

#define VIRTIO_PCI_MAX_QUEUES 16
#define VIRTIO_PCI_CONFIG_MAX 256 /* bytes of device-specific configuration */

typedef struct VirtioPci VirtioPci;

/* One virtqueue as the driver set it up. Addresses are guest-physical. */
typedef struct VirtioPciQueue {
    VirtioPci *owner;
    unsigned index;
    uint16_t size;          /* entries; the driver may lower it from max_size */
    uint16_t max_size;
    bool enabled;           /* queue_enable written 1 */
    uint16_t msix_vector;   /* VIRTIO_MSI_NO_VECTOR: none */
    uint64_t desc, driver, device; /* descriptor table, available ring, used ring */
    int kick_fd;            /* eventfd the guest's notification signals (ioeventfd) */
    int call_fd;            /* eventfd the backend signals for an interrupt */
    int gsi;                /* the MSI route of msix_vector, -1: none */
    bool irqfd;             /* call_fd is on an irqfd of gsi */
    bool used_irqfd;        /* it was, some time: -d stats (a driver's reset at shutdown
                             * takes the irqfd away before the stats are printed) */
    bool ioeventfd;         /* kick_fd is on a KVM ioeventfd */
    uint64_t ioeventfd_addr;
    guint watch;            /* main-loop watch of call_fd (masked vector, INTx) */
    uint64_t wakeups;       /* interrupts armpass had to relay (watch fired) */
    uint64_t trapped_kicks; /* notifications that trapped (no ioeventfd): armpass relayed */
} VirtioPciQueue;

/* What a device model gives the transport. */
typedef struct VirtioPciModel {
    uint16_t device_id;     /* virtio device ID (5 "Device Types"): 1 net, 2 block, 19 vsock */
    uint32_t class_code;    /* PCI class, subclass, prog-if */
    /* Starts the backend on DRIVER_OK: vp->guest_features and the queues are final. Errors
     * leave the device failed (DEVICE_NEEDS_RESET) with a warning naming the device. */
    bool (*start)(VirtioPci *vp, GError **errp);
    /* Stops the backend (a reset by the driver, or teardown); the queues' state is read back
     * where the backend keeps it. May be called when not started. */
    void (*stop)(VirtioPci *vp);
    /* A driver write to the device configuration (offset, size bytes); NULL: read-only. */
    void (*config_write)(VirtioPci *vp, uint32_t offset, uint64_t value, unsigned size);
    /* One -d stats line per device about its backend; may be NULL. */
    void (*print_stats)(VirtioPci *vp, GString *out);
} VirtioPciModel;

struct VirtioPci {
    PCIDevice pdev;
    MachineState *ms;
    const char *name;       /* the device's id, for messages */
    const VirtioPciModel *model;
    void *opaque;           /* the model's */
    MemoryRegion bar4;      /* the capabilities' BAR (container) */
    MemoryRegion common_mr, isr_mr, device_mr, notify_mr;
    MemoryRegion msix_bar;  /* BAR 1: MSI-X table and PBA */
    MemoryRegion msix_table_mr, msix_pba_mr;
    MemoryListener notify_listener; /* places the ioeventfds where the notify area is */
    bool listener_added;
    uint64_t host_features; /* offered, VIRTIO_F_VERSION_1 included */
    uint64_t guest_features;
    uint32_t dfselect, gfselect;
    uint8_t status;         /* VIRTIO_CONFIG_S_* */
    uint8_t config_generation;
    uint8_t isr;
    uint16_t queue_sel;
    uint16_t config_vector;
    unsigned nr_queues;
    VirtioPciQueue queues[VIRTIO_PCI_MAX_QUEUES];
    uint8_t config[VIRTIO_PCI_CONFIG_MAX]; /* device-specific configuration, little-endian */
    unsigned config_len;
    bool started;           /* the model's start succeeded and stop has not run */
    uint64_t starts;        /* -d stats: how often the backend was started */
    uint64_t started_features; /* the features of the last start */
};

/*
 * Makes vp a virtio PCI device of model on ms's PCI bus at devfn (-1: the first free slot):
 * config space with the four capabilities and MSI-X (nr_queues + 1 vectors), BAR 4 and
 * BAR 1, a kick and a call eventfd per queue (each queue max_size entries), and the listener
 * that puts the kicks on ioeventfds wherever the guest places BAR 4. host_features are what
 * the model offers (VIRTIO_F_VERSION_1 is added); config/config_len its configuration.
 * Errors: no PCI bus, no free slot, no eventfd, no MSI (the transport needs an ITS:
 * -M virt,gic-version=3).
 */
bool virtio_pci_realize(VirtioPci *vp, MachineState *ms, const char *name,
                        const VirtioPciModel *model, void *opaque, int devfn,
                        unsigned nr_queues, uint16_t max_size, uint64_t host_features,
                        GError **errp);
/* Stops the backend, takes the device off the bus, closes every eventfd. */
void virtio_pci_unrealize(VirtioPci *vp);
/* -d stats lines: status, starts, per queue its wake-ups and trapped kicks. */
void virtio_pci_print_stats(VirtioPci *vp, GString *out);
/* The backend failed while the guest runs: DEVICE_NEEDS_RESET, and a configuration
 * interrupt so that the driver sees it (4.1.2 "device status"). */
void virtio_pci_set_failed(VirtioPci *vp);

/* The host-virtual address of guest-physical [gpa, gpa + size) in guest RAM, or 0 when it is
 * not all inside one RAM range. Reads the current memory view. */
uint64_t virtio_pci_gpa_to_hva(VirtioPci *vp, uint64_t gpa, uint64_t size);

#endif
