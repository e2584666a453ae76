#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# L2 side of the reboot case: reads fw-cfg (the device works in this boot), leaves the pl031's
# interrupt asserted, and resets (PSCI SYSTEM_RESET), again and again: L1 decides when to stop.
. "$(dirname "$0")/lib.sh"
rtc=$(dt_base arm,pl031) || { echo "L2-REBOOT: no pl031 node"; exit 1; }
echo "L2-REBOOT: fwcfg_rev=$(cat /sys/firmware/qemu_fw_cfg/rev 2>/dev/null) rtc=$(cat /sys/class/rtc/rtc0/since_epoch 2>/dev/null)"
pl031_irq_in_flight "$rtc"
reboot -f
