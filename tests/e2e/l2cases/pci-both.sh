#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# L2 side of the case with the NVMe (vfio-pci) and the pl031 (vfio-amba) in one guest.
sh /l2cases/nvme.sh
sh /l2cases/rtc.sh
