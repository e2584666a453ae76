#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# e2e case pci-reboot (run.py --nvme): an L2 with the NVMe (vfio-pci) resets itself twice
# (reboot -f: PSCI SYSTEM_RESET; armpass builds the VM again, the device must come back
# reset and usable). At each of the three boots L2 reads the marker at block 0 and counts the
# boot in block 2 (written with fsync: the count survives only if every boot's writes reached
# the disk); after the third it powers off: armpass exits 0. armpass's open fds (by target) and
# its number of mappings must be the same at boots 2 and 3 (boot 1 may hold one-time
# allocations, as in the reboot case): nothing leaks per reset.
. /cases/lib.sh
bdf=0000:00:01.0
boots=3
nvme_values
bind_vfio_pci $bdf
: > /tmp/l2.log
echo "+ /armpass ... -device vfio-pci,host=$bdf (l2case=nvme-reboot, $boots boots)"
/armpass -M virt,gic-version=3 -smp 2 -m 256M -d stats -kernel /Image -initrd /l2.cpio.gz \
    -append "console=ttyAMA0 quiet l2case=nvme-reboot l2.marker=$nvme_marker l2.boots=$boots" \
    -device vfio-pci,host=$bdf > /tmp/l2.log 2>&1 &
pid=$!
n=0
while [ "$n" -lt "$boots" ]; do
    i=0
    while c=$(grep -c 'L2-NVME-REBOOT: boot=[0-9]' /tmp/l2.log); [ "${c:-0}" -le "$n" ]; do
        kill -0 "$pid" 2>/dev/null || { tr -d '\r' < /tmp/l2.log | tail -n 40; fail "armpass ended during boot $((n + 1))"; }
        i=$((i + 1))
        [ "$i" -lt 1500 ] || { tr -d '\r' < /tmp/l2.log | tail -n 40; kill "$pid"; fail "boot $((n + 1)) did not come within 300 s"; }
        sleep 0.2
    done
    n=$((n + 1))
    for f in /proc/"$pid"/fd/*; do readlink "$f"; done | sort > /tmp/fds.$n
    wc -l < /proc/"$pid"/maps > /tmp/maps.$n
    awk '{ print $2, $6 }' /proc/"$pid"/maps | sort > /tmp/maplist.$n   # for the diff on failure
    echo "boot $n: $(tr -d '\r' < /tmp/l2.log | grep 'L2-NVME-REBOOT: boot=' | tail -n 1);" \
        "armpass: $(wc -l < /tmp/fds.$n) fds ($(grep -c vfio /tmp/fds.$n) vfio), $(cat /tmp/maps.$n) mappings"
done
i=0
while kill -0 "$pid" 2>/dev/null; do
    i=$((i + 1))
    [ "$i" -lt 600 ] || { kill "$pid"; fail "armpass still running 120 s after the last boot"; }
    sleep 0.2
done
wait "$pid"
st=$?
tr -d '\r' < /tmp/l2.log | grep -E '^armpass|L2-NVME-REBOOT|vfio' | tail -n 20
[ "$st" = 0 ] || fail "armpass exited $st after $boots boots, not 0"
tr -d '\r' < /tmp/l2.log | sed -n 's/.*L2-NVME-REBOOT: boot=\([0-9]*\) marker=\([a-z]*\).*/\1 \2/p' > /tmp/boots.txt
k=1
while read -r b m; do
    [ "$b" = "$k" ] && [ "$m" = ok ] || fail "L2's boot $k reported boot=$b marker=$m (want boot=$k marker=ok)"
    k=$((k + 1))
done < /tmp/boots.txt
[ "$k" = $((boots + 1)) ] || fail "L2 reported $((k - 1)) boots, want $boots"
! grep -q 'L2-NVME-REBOOT: FAIL' /tmp/l2.log || fail "L2: $(grep -m1 'L2-NVME-REBOOT: FAIL' /tmp/l2.log | tr -d '\r')"
[ "$(grep -c vfio /tmp/fds.2)" -ge 2 ] || fail "boot 2 holds $(grep -c vfio /tmp/fds.2) VFIO fds: the device was not set up again"
k=3
while [ "$k" -le "$boots" ]; do
    cmp -s /tmp/fds.2 /tmp/fds.$k || { diff /tmp/fds.2 /tmp/fds.$k; fail "armpass's open fds changed from boot 2 to boot $k"; }
    [ "$(cat /tmp/maps.$k)" = "$(cat /tmp/maps.2)" ] || {
        echo "--- armpass's mappings (permissions, path) at boot 2 vs boot $k ---"
        diff /tmp/maplist.2 /tmp/maplist.$k
        fail "armpass's mappings went from $(cat /tmp/maps.2) at boot 2 to $(cat /tmp/maps.$k) at boot $k"
    }
    k=$((k + 1))
done
echo "ARMPASS-E2E-EXPECT-DISK disk=nvm0 offset=8192 text=armpass-boot=$boots"
pass
