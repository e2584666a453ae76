#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# e2e case pci-launch-legacy (run.py --nvme; Linux 6.1): pci-launch with the legacy descriptors:
# vfio-launch --legacy opens /dev/kvm, the container /dev/vfio/vfio and the group /dev/vfio/N,
# drops to uid 65534 with no capabilities, and armpass gets -object vfio-container,id=ct0,fd=
# and -device vfio-pci,...,container=ct0,group-fd=.
LEGACY=1
. /cases/pci-launch.sh
