#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# e2e case both: the pl031 and fw-cfg in one guest.
. /cases/lib.sh
want=$(cat /sys/firmware/qemu_fw_cfg/by_name/opt/armpass/probe/raw) || fail "no opt/armpass/probe in L1"
bind_vfio amba 9010000.pl031 vfio-amba
bind_vfio platform 9020000.fw-cfg vfio-platform
before=$(date +%s)
run_armpass 120 /tmp/l2.log -M virt -smp 2 -m 256M -d stats \
    -kernel /Image -initrd /l2.cpio.gz -append "console=ttyAMA0 quiet l2case=both" \
    -device vfio-amba,host=9010000.pl031,noiommu=on \
    -device vfio-platform,host=9020000.fw-cfg,noiommu=on
after=$(date +%s)
[ "$status" = 0 ] || fail "$(status_reason "$status" 120)"
[ "$(l2_value probe)" = "$want" ] || fail "L2 read \"$(l2_value probe)\" from fw-cfg, not \"$want\""
check_rtc_time "$before" "$after"
check_rtc_alarms
pass
