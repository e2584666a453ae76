#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# e2e case guest-abuse (docs/hardening.md): a hostile L2 hammers its trapped and mapped
# regions, makes accesses KVM cannot decode, and powers off with an interrupt in flight.
# (Before hw/vfio/access-quirks.c, its first 1-byte read at fw-cfg offset 1 made L0's fw_cfg
# raise an external abort inside L1's vfio_platform_read: an Oops in L1, armpass hung.)
# armpass must refuse what it cannot do (rate-limited warnings, counted in -d stats), keep
# running, exit 0 on the guest's power-off, and leave the devices fit for the next guest.
. /cases/lib.sh
bind_vfio amba 9010000.pl031 vfio-amba
bind_vfio platform 9020000.fw-cfg vfio-platform
devs="-device vfio-amba,host=9010000.pl031,noiommu=on -device vfio-platform,host=9020000.fw-cfg,noiommu=on"
# shellcheck disable=SC2086
run_armpass 600 /tmp/l2.log -M virt -smp 2 -m 256M -d stats \
    -kernel /Image -initrd /l2.cpio.gz -append "console=ttyAMA0 quiet l2case=abuse" $devs
[ "$status" = 0 ] || fail "$(status_reason "$status" 600) under abuse"
tr -d '\r' < /tmp/l2.log > /tmp/abuse.log
grep -q 'L2-ABUSE: done' /tmp/abuse.log || fail "L2 did not finish its abuse"
grep -q 'L2-ABUSE: alive fwcfg_rev=[0-9]' /tmp/abuse.log || fail "fw-cfg stopped answering L2"
grep -q 'L2-ABUSE-NISV mmio-abuse: nisv accesses=3 sigbus=3' /tmp/abuse.log ||
    fail "the 3 undecodable accesses did not each fault in the guest"
grep -q 'L2-IRQ-IN-FLIGHT: .* = 0x00000001' /tmp/abuse.log ||
    fail "the pl031 interrupt was not asserted at power-off"
refused=$(grep -o 'refused: [0-9]* accesses to no device (RAZ/WI), [0-9]* undecodable' /tmp/abuse.log)
echo "stats: $refused"
nodev=$(echo "$refused" | awk '{ print $2 }') nisv=$(echo "$refused" | awk '{ print $8 }')
[ "${nodev:-0}" -gt 1000 ] || fail "armpass counted ${nodev:-no} accesses to no device"
[ "${nisv:-0}" = 3 ] || fail "armpass counted ${nisv:-no} undecodable accesses, not 3"
warnings=$(grep -c 'armpass: warning: vCPU' /tmp/abuse.log)
echo "warnings: $warnings for $nodev refused accesses"
[ "$warnings" -ge 2 ] || fail "armpass did not say what it refused"
[ "$warnings" -lt $((nodev / 20)) ] || fail "$warnings warnings for $nodev refused accesses: not rate-limited"
# (The "(N similar messages suppressed)" count shows only when refusals go on past a 5 s
# window, which depends on the machine's speed: test-ratelimit checks it.)
# fw-cfg takes only some accesses (hw/vfio/access-quirks.c); the rest never reach L1's kernel.
fwstats=$(grep 'vfio 9020000.fw-cfg region 0:' /tmp/abuse.log)
echo "fw-cfg: $fwstats"
case $fwstats in
*"refused 0"*|"") fail "armpass relayed every access to fw-cfg: $fwstats" ;;
esac

# The devices are fit for the next guest: the RTC reads the time and takes alarms.
# shellcheck disable=SC2086
check_rtc_guest "in the guest after the abuse" $devs
pass
