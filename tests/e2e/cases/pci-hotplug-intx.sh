#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# e2e case pci-hotplug-intx: pci-hotplug with L2 on pci=nomsi (the port's INTA for pciehp,
# the NVMe's INTx swizzled through the port to the host bridge's line).
NOMSI=1
. /cases/pci-hotplug.sh
