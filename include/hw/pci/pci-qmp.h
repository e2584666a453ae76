/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The PCI bus's QMP command: query-pci, as QEMU's (qapi/pci.json, PciInfo): [] without a PCI
 * bus, else the root bus (bus 0) with each device's ids and class as the guest reads them, its
 * INTx and BARs as placed now, and behind a bridge its secondary bus, windows and devices.
 * The command's opaque is the MachineState (ms->pci_bus, read under ms->as's dispatch lock).
 */
#ifndef ARMPASS_HW_PCI_PCI_QMP_H
#define ARMPASS_HW_PCI_PCI_QMP_H

#include "hw/core/device.h"
#include "system/qmp.h"

/* Registers query-pci on qmp for machine ms (main thread), and withdraws it. */
void pci_qmp_register(QmpServer *qmp, MachineState *ms);
void pci_qmp_unregister(QmpServer *qmp);

#endif
