#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# e2e case pci-iommufd (run.py --nvme, Linux 6.12 only): pci-nvme through the iommufd backend:
# the NVMe's cdev /dev/vfio/devices/vfioN bound to an iommufd (-object iommufd,id=io0 and
# -device vfio-pci,...,iommufd=io0) instead of the legacy container and group. L2 reads L0's
# marker and writes block 1 (L1 and run.py read it back), its MSI-X vectors all stay on
# irqfds (0 userspace wake-ups), and the -d stats dma line names the iommufd backend.
BACKEND=iommufd
. /cases/pci-nvme.sh
