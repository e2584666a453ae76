/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Hot-plug of devices while the guest runs: what QMP's device_add and device_del do. Only a
 * vfio-pci device in a pcie-root-port's slot can come and go: the guest's pciehp is told
 * through the port (hw/pci/pcie-root-port.h). Platform devices live in the device tree,
 * which a running guest does not re-read, and root ports are enumerated at boot: both are
 * refused with the reason. Main thread only (the main loop's context).
 * Source: QEMU's qapi/qdev.json (device_add, device_del, DEVICE_DELETED); PCI Express Base
 * Specification 4.0, 6.7 (hot-plug); Linux 6.1 drivers/pci/hotplug/pciehp_ctrl.c.
 */
#ifndef ARMPASS_HW_CORE_HOTPLUG_H
#define ARMPASS_HW_CORE_HOTPLUG_H

#include "hw/core/device.h"
#include "system/options.h"

#include <glib.h>
#include <stdbool.h>

#define HOTPLUG_ERROR hotplug_error_quark()
GQuark hotplug_error_quark(void);

typedef enum HotplugError {
    HOTPLUG_ERROR_FAILED,        /* anything else (QMP GenericError) */
    HOTPLUG_ERROR_NOT_FOUND,     /* no device has that id (QMP DeviceNotFound) */
} HotplugError;

/*
 * device_add: creates the device described by opts (driver first, then its properties, as
 * -device takes them; id= names it for device_del) and realizes it while the guest runs:
 * a vfio-pci with bus= a pcie-root-port's id is attached (DMA mapping of guest RAM, BARs,
 * MSI-X and INTx, as at start) and put into the port's slot, which tells the guest
 * (Presence Detect Changed): pciehp powers the slot on and enumerates the device.
 * Returns the device (in ms->devices). Errors, nothing made: unknown driver or property; a
 * platform device or a root port (not hot-pluggable, with the reason); no bus=, or bus= not
 * a root port, or its slot taken; id= taken; -sandbox on (the filter forbids opening the
 * device); whatever realize refused (the host device's own errors).
 */
DeviceState *machine_hotplug_add(MachineState *ms, const OptList *opts, GError **errp);

/*
 * device_del: asks the guest to release device id by pressing its slot's attention button.
 * pciehp unbinds the driver and powers the slot off about 5 s later; the device is then
 * unrealized (interrupts unwired, BARs unmapped, the device fd closed, the group and
 * container let go when it was their last device, which unmaps the DMA) and taken out of
 * ms->devices, and ms->device_deleted is called (DEVICE_DELETED). Returns once the request
 * is made. Errors: no such id (HOTPLUG_ERROR_NOT_FOUND); the device is not in a root port's
 * slot; an unplug is already under way; the guest has no pciehp on the slot.
 */
bool machine_hotplug_del(MachineState *ms, const char *id, GError **errp);

/*
 * The host wants device dev back while the guest runs (ms->device_request: VFIO's request
 * interrupt, VFIO_PCI_REQ_IRQ_INDEX, which the kernel signals when the device is being
 * removed from the host or unbound from vfio-pci, and again every 10 s while it waits:
 * drivers/vfio/vfio_main.c vfio_unregister_group_dev, drivers/vfio/pci/vfio_pci_core.c
 * vfio_pci_core_request). reason: one line for the messages. Main loop.
 * A vfio-pci device in a pcie-root-port's slot whose guest has pciehp on it: the same unplug
 * as device_del (the attention button; the guest releases it and powers the slot off, the
 * device is unrealized and closed, DEVICE_DELETED; a notice on stderr). A request again
 * while that is pending does nothing for 20 s from the button, then counts as below.
 * Otherwise (on the root bus, hot-plug not enabled by the guest, the slot powered off by
 * the guest, or no release within 20 s): a warning, ms->device_failed
 * (X_ARMPASS_DEVICE_FAILED {"device": id, "reason": ...}), and the device is taken away
 * without the guest's help, as a surprise removal: off its bus (the guest reads all ones
 * from its config space; a slot tells the guest presence and link went), its BARs out of
 * the guest's map, its interrupts unwired, the host device closed (the host's removal then
 * completes); it leaves ms->devices and is freed; DEVICE_DELETED. dev is freed on every
 * path but the pending and cooperative ones. Source: PCI Express Base Specification 4.0,
 * 6.7 (hot-plug, surprise removal); QEMU hw/vfio/pci.c (its request notifier unplugs a
 * hot-pluggable device).
 */
void machine_hotplug_host_request(MachineState *ms, DeviceState *dev, const char *reason);

#endif
