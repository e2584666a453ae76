#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# e2e case fwcfg: fw-cfg via vfio-platform (a 0x18-byte region: every access trapped); L2 reads
# back the random string L0 was given as opt/armpass/probe.
. /cases/lib.sh
want=$(cat /sys/firmware/qemu_fw_cfg/by_name/opt/armpass/probe/raw) ||
    fail "L1 has no opt/armpass/probe (run.py --fw-cfg armpass/probe=@random)"
bind_vfio platform 9020000.fw-cfg vfio-platform
run_armpass 120 /tmp/l2.log -M virt -m 256M -d stats \
    -kernel /Image -initrd /l2.cpio.gz -append "console=ttyAMA0 quiet l2case=fwcfg" \
    -device vfio-platform,host=9020000.fw-cfg,noiommu=on
[ "$status" = 0 ] || fail "$(status_reason "$status" 120)"
got=$(l2_value probe)
[ "$got" = "$want" ] || fail "L2 read \"$got\", L0 gave \"$want\""
grep -q 'vfio 9020000.fw-cfg region 0: trapped reads [1-9]' /tmp/l2.log ||
    fail "no trapped reads counted for fw-cfg"
pass
