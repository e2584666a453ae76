#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# e2e case pci-hotplug-intx: pci-hotplug with L2 on pci=nomsi. pciehp hears the port's INTA
# (a host-bridge line); the NVMe's INTx goes to the port's own lines (the port's node in the
# device tree maps them), so the two never share a line. They used to (the swizzle put the
# NVMe's INTA on the port's), and L2 then deadlocked in device_del: pciehp's IRQ thread
# removed the NVMe, whose driver calls disable_irq() on that same line and so waited for the
# thread it ran in (docs/operating.md, "Hot-plug").
NOMSI=1
. /cases/pci-hotplug.sh
