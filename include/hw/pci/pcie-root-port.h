/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pcie-root-port: an emulated PCI Express Root Port on the root bus (QEMU's -device
 * pcie-root-port,id=ID[,chassis=N,slot=N,addr=DD.F]), a PCI-to-PCI bridge whose secondary
 * bus is one hot-plug slot. The guest's pciehp drives the slot: the port offers a type-1
 * header, a PCI Express capability (Root Port, Slot Implemented) with an attention button, a
 * power controller, power and attention indicators and Data Link Layer Link Active
 * reporting, and signals the hot-plug events (Attention Button Pressed, Presence Detect
 * Changed, Data Link Layer State Changed, Command Completed) through MSI (with an ITS) or
 * INTA.
 *
 * INTx: the port's own INTA is a host-bridge line, swizzled by its slot. The INTx of the
 * device in its slot do not follow it there: when the machine has lines for root ports
 * (MachineState.pci_port_intx_groups), each port takes four SPIs of its own for INTA-D of
 * its slot and its device-tree node (pci@SLOT,FN under the host bridge) maps them with an
 * interrupt-map. The hot-plug interrupt and the device's then never share a line, which a
 * Linux guest needs: pciehp removes a device from its IRQ thread, and a driver that calls
 * disable_irq() on a line that thread serves waits for itself (nvme does, in
 * nvme_dev_disable). Without such lines the slot's INTx swizzle onto the port's pin.
 *
 * The slot's life: a device plugged before the guest runs is present and powered at reset.
 * One plugged while the guest runs is present with the slot's power off, and the attention
 * button is pressed with it (Presence Detect Changed and Attention Button Pressed, as QEMU
 * does: pciehp enables only the button's notification on a slot that has one, and the
 * presence change seen with the press makes it act at once): pciehp powers the slot on (the
 * link then comes up: DLLLA and Data Link Layer State Changed) and enumerates the device. An unplug request presses the
 * attention button; pciehp unbinds the driver and powers the slot off after its 5 s grace
 * (a second press within it cancels), and the port then hands the device to its owner's
 * power-off handler, from the main loop, to be unrealized; the slot is empty again.
 *
 * Source: PCI Express Base Specification 4.0, sections 6.7 (hot-plug), 7.5.3 (PCI Express
 * capability: Slot Capabilities, Slot Control, Slot Status, Link Status); PCI-to-PCI Bridge
 * Architecture Specification 1.2 (type-1 header); include/uapi/linux/pci_regs.h;
 * Linux 6.1 drivers/pci/hotplug/pciehp_hpc.c and pciehp_ctrl.c (what pciehp reads and does).
 */
#ifndef ARMPASS_HW_PCI_PCIE_ROOT_PORT_H
#define ARMPASS_HW_PCI_PCIE_ROOT_PORT_H

#include "hw/core/device.h"
#include "hw/pci/pci.h"

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* Config offsets of the port's capabilities. */
#define PCIE_RP_EXP_CAP 0x40 /* PCI Express capability, version 2 (0x3c bytes) */
#define PCIE_RP_MSI_CAP 0x80 /* MSI, one vector, 64-bit */

typedef struct PCIERootPort PCIERootPort;

/* Called from the main loop once the guest powered the slot off after an unplug request:
 * dev (the device in the slot) is to be unplugged and unrealized now. */
typedef void (*PCIERootPortPowerOffFn)(PCIERootPort *rp, PCIDevice *dev, void *opaque);

struct PCIERootPort {
    DeviceState parent;
    /* properties */
    char *addr;         /* guest slot "SLOT[.FN]" on the root bus (hex), default: first free */
    uint64_t chassis;   /* accepted for QEMU's command lines; not shown to the guest */
    uint64_t slot;      /* the Physical Slot Number in Slot Capabilities */
    bool slot_set;
    /* state */
    MachineState *ms;
    PCIDevice pdev;
    PCIBus *sec_bus;
    bool msi_ok;           /* the guest has an ITS: the MSI capability is shown */
    bool irq_level;        /* the hot-plug interrupt condition last seen (PCIe 6.7.3.4) */
    bool unplug_requested; /* the attention button was pressed for an unplug */
    gint64 unplug_requested_at; /* when (g_get_monotonic_time, us) */
    guint power_off_source; /* main-loop source that hands the device over, 0: none */
    PCIERootPortPowerOffFn power_off_fn;
    void *power_off_opaque;
    uint64_t msis, msi_errors;  /* hot-plug interrupts sent as MSI, and KVM refusals */
    int intx_group;        /* which of the machine's port INTx groups it holds, -1: none */
};

extern const DeviceClass pcie_root_port_device_class;

/* The port behind dev, or NULL when dev is not a realized pcie-root-port. */
PCIERootPort *pcie_root_port_from_device(DeviceState *dev);
/* The port whose id is id among ms->devices, or NULL. */
PCIERootPort *pcie_root_port_find(MachineState *ms, const char *id);

/*
 * Who hears of the slot being powered off after an unplug request (the hot-plug layer).
 * Without one, the device stays on the bus (powered off, as the guest left it).
 */
void pcie_root_port_set_power_off_handler(PCIERootPort *rp, PCIERootPortPowerOffFn fn,
                                          void *opaque);

/*
 * Presses the slot's attention button for an unplug: pciehp powers the slot off 5 s later
 * (unless the button is pressed again). Call with the address space's dispatch lock held
 * while vCPUs run. Errors: the slot is empty (ENODEV), an unplug is already under way
 * (EINPROGRESS: the button is not pressed again, which would cancel it), the guest has not
 * enabled hot-plug notifications on the slot (EBUSY: its pciehp is not bound, so nobody
 * would answer).
 */
bool pcie_root_port_request_unplug(PCIERootPort *rp, GError **errp);

/* Re-evaluates the hot-plug interrupt (for tests and after state changes). */
void pcie_root_port_update_irq(PCIERootPort *rp);

#endif
