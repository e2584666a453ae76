#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# e2e case reboot (docs/hardening.md): an L2 with both passed-through devices resets itself
# again and again, each time with the pl031's interrupt asserted. armpass tears the VM down
# and builds it again each time; at every boot its open fds (by target) and its mappings must
# be what they were at the second boot (the first may still hold one-time allocations: seen
# once as a 23rd mapping at boot 1, 22 ever after): nothing leaks. Then SIGTERM ends it with status 0,
# -no-reboot makes a reset exit with status 3, and the devices still work. The only warnings
# allowed are the set-up's own: no-IOMMU mode, and fw-cfg's DMA (its node is dma-coherent)
# with guest RAM not direct-mapped.
. /cases/lib.sh
bind_vfio amba 9010000.pl031 vfio-amba
bind_vfio platform 9020000.fw-cfg vfio-platform
devs="-device vfio-amba,host=9010000.pl031,noiommu=on -device vfio-platform,host=9020000.fw-cfg,noiommu=on"
boots=${REBOOTS:-5}
: > /tmp/reboot.log   # before armpass starts: the count below must never read a missing file
# shellcheck disable=SC2086
/armpass -M virt -smp 2 -m 256M -kernel /Image -initrd /l2.cpio.gz \
    -append "console=ttyAMA0 quiet l2case=reboot" $devs > /tmp/reboot.log 2>&1 &
pid=$!
n=0
while [ "$n" -lt "$boots" ]; do
    i=0
    while c=$(grep -c 'L2-REBOOT: fwcfg_rev=[0-9]' /tmp/reboot.log); [ "${c:-0}" -le "$n" ]; do
        kill -0 "$pid" 2>/dev/null || { cat /tmp/reboot.log; fail "armpass died during boot $((n + 1))"; }
        i=$((i + 1))
        [ "$i" -lt 600 ] || { cat /tmp/reboot.log; kill "$pid"; fail "boot $((n + 1)) did not come"; }
        sleep 0.2
    done
    n=$((n + 1))
    for f in /proc/"$pid"/fd/*; do readlink "$f"; done | sort > /tmp/fds.$n
    wc -l < /proc/"$pid"/maps > /tmp/maps.$n
    echo "boot $n: $(wc -l < /tmp/fds.$n) fds, $(cat /tmp/maps.$n) mappings," \
        "$(grep -c vfio /tmp/fds.$n) vfio fds"
done
kill -TERM "$pid"
wait "$pid"
st=$?
tr -d '\r' < /tmp/reboot.log | grep -E 'armpass|L2-REBOOT|L2-IRQ' | tail -n 20
[ "$st" = 0 ] || fail "armpass exited $st on SIGTERM after $boots boots, not 0"
grep -q 'L2-IRQ-IN-FLIGHT: .* = 0x00000001' /tmp/reboot.log || fail "no interrupt was in flight at reset"
[ "$(grep -c 'vfio' /tmp/fds.2)" -ge 2 ] || fail "boot 2 holds no VFIO fds: the devices were not set up again"
k=3
while [ "$k" -le "$boots" ]; do
    cmp -s /tmp/fds.2 /tmp/fds.$k || { diff /tmp/fds.2 /tmp/fds.$k; fail "open fds changed from boot 2 to boot $k"; }
    [ "$(cat /tmp/maps.$k)" = "$(cat /tmp/maps.2)" ] ||
        fail "mappings went from $(cat /tmp/maps.2) at boot 2 to $(cat /tmp/maps.$k) at boot $k"
    k=$((k + 1))
done
! grep 'warning' /tmp/reboot.log | grep -v 'no-IOMMU mode' | grep -qv 'and has no IOMMU: its DMA addresses' || { grep warning /tmp/reboot.log; fail "armpass warned during the reboots"; }

# -no-reboot: the first reset ends armpass with status 3.
# shellcheck disable=SC2086
run_armpass 120 /tmp/l2.log -no-reboot -M virt -smp 2 -m 256M -kernel /Image \
    -initrd /l2.cpio.gz -append "console=ttyAMA0 quiet l2case=reboot" $devs
[ "$status" = 3 ] || fail "-no-reboot: armpass exited $status on a guest reset, not 3"

# And the devices still work.
# shellcheck disable=SC2086
check_rtc_guest "after the reboots" $devs
pass
