#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# L2 side of the fw-cfg cases: read back the item L0 was given, through the passed-through
# (trapped: 0x18 bytes, not mmap-able) fw-cfg registers.
f=/sys/firmware/qemu_fw_cfg/by_name/opt/armpass/probe/raw
if [ -e $f ]; then
    echo "L2-FWCFG: probe=$(cat $f)"
else
    echo "L2-FWCFG: no $f"; ls /sys/firmware
fi
