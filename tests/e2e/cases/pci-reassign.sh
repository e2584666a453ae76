#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# e2e case pci-reassign (run.py --nvme): pci-nvme, but L2 first moves the NVMe's BAR 0 through
# config space (memory decode off, new BAR, decode on: the registers must answer at the new
# address), then removes the device and rescans the bus so that Linux assigns the BAR again
# and its nvme driver probes anew; the marker, the write and MSI-X must still work.
MOVE=1
. /cases/pci-nvme.sh
