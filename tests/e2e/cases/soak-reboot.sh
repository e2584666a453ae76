#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Soak case soak-reboot (run.py --nvme; suite soak, docs/hardening.md "Soak"): 100 guest
# reboots of an L2 with the NVMe (vfio-pci, a real IOMMU group) and the pl031 (vfio-amba,
# no-IOMMU) passed through, each reset (reboot -f: PSCI SYSTEM_RESET, armpass rebuilds the VM)
# with the pl031's alarm interrupt asserted and NVMe reads and a write in flight
# (l2cases/soak-reboot.sh). At every boot L2 reads the marker, counts the boot in block 2 and
# reads its RTC; L1 then takes armpass's snapshot (soak-lib.sh), which from boot 3 on must
# equal the one at boot 2 (after the first reboot: boot 1 may hold one-time allocations).
# After the last boot: quit, L1 reads the count back, and a fresh guest's RTC takes two alarms.
# Count: soak_n 100 reboots ($SOAK_SCALE).
. /cases/lib.sh
. /cases/soak-lib.sh
bdf=0000:00:01.0
sock=/tmp/qmp.sock
log=/tmp/l2.log
reboots=$(soak_n 100)
boots=$((reboots + 1))
nvme_values
bind_vfio amba 9010000.pl031 vfio-amba
bind_vfio_pci $bdf
: > "$log"
t0=$(date +%s)
echo "+ /armpass ... -device vfio-amba,host=9010000.pl031 -device vfio-pci,host=$bdf -qmp unix:$sock ($reboots reboots)"
env $SOAK_ENV /armpass -M virt,gic-version=3 -smp 2 -m 256M -kernel /Image -initrd /l2.cpio.gz \
    -append "console=ttyAMA0 quiet l2case=soak-reboot l2.marker=$nvme_marker l2.boots=$boots" \
    -device vfio-amba,host=9010000.pl031,noiommu=on -device vfio-pci,host=$bdf \
    -qmp "unix:$sock,server=on,wait=off" > "$log" 2>&1 &
pid=$!
n=0
while [ "$n" -lt "$boots" ]; do
    i=0
    while c=$(grep -c 'L2-SOAK-RB: boot=[0-9]' "$log"); [ "${c:-0}" -le "$n" ]; do
        kill -0 "$pid" 2>/dev/null || { tr -d '\r' < "$log" | tail -n 40; fail "armpass ended during boot $((n + 1))"; }
        grep -q 'L2-SOAK-RB: FAIL' "$log" && { kill "$pid"; fail "boot $((n + 1)): $(tr -d '\r' < "$log" | grep -m1 'L2-SOAK-RB: FAIL' | cut -c1-200)"; }
        i=$((i + 1))
        [ "$i" -lt 1500 ] || { tr -d '\r' < "$log" | tail -n 40; kill "$pid"; fail "boot $((n + 1)) did not come within 300 s"; }
        sleep 0.2
    done
    n=$((n + 1))
    line=$(tr -d '\r' < "$log" | grep 'L2-SOAK-RB: boot=' | tail -n 1)
    case $line in
    *"boot=$n marker=ok write=ok rtc="[0-9]*) ;;
    *) kill "$pid"; fail "boot $n: $line" ;;
    esac
    if [ "$n" = 2 ]; then
        soak_snapshot "$pid" "$sock" /tmp/soak.ref || { kill "$pid"; fail "boot 2: no snapshot"; }
        echo "SOAK: soak-reboot after reboot 1 (boot 2): $(soak_summary /tmp/soak.ref)"
    elif [ "$n" -gt 2 ]; then
        soak_check "$pid" "$sock" /tmp/soak.ref "boot $n (after reboot $((n - 1)))"
        echo "soak-reboot: boot $n: $(soak_summary /tmp/soak-now)"
    fi
    [ $((n % 10)) = 0 ] && echo "soak-reboot: boot $n of $boots, $(($(date +%s) - t0)) s"
done
echo "SOAK: soak-reboot after reboot $reboots (boot $boots): $(soak_summary /tmp/soak-now)"
q_out=$(/progs/qmp-client --timeout 60 "$sock" '{"execute": "quit"}' event:SHUTDOWN eof 2>&1) ||
    { echo "$q_out"; fail "quit after the reboots"; }
wait "$pid"
st=$?
t1=$(date +%s)
[ "$st" = 0 ] || { tr -d '\r' < "$log" | tail -n 20; fail "armpass exited $st after quit, not 0"; }
inflight=$(grep -c 'L2-IRQ-IN-FLIGHT: .* = 0x00000001' "$log")
[ "$inflight" = "$reboots" ] || fail "the pl031's interrupt was in flight at $inflight of $reboots resets"
! grep 'warning' "$log" | grep -v 'no-IOMMU mode' | grep -qv 'and has no IOMMU: its DMA addresses' ||
    { grep warning "$log" | head; fail "armpass warned during the reboots"; }
rebind_host $bdf nvme
host_disk=$(nvme_disk $bdf) || fail "after the soak L1's nvme driver gave no namespace for $bdf"
[ "$(disk_read "$host_disk" 0)" = "$nvme_marker" ] || fail "after the soak L1 reads no marker at block 0"
got=$(disk_read "$host_disk" 2 | tr -d '\000')
[ "$got" = "soak-rb=$boots" ] || fail "after the soak block 2 holds '$got', not soak-rb=$boots"
echo "SOAK: soak-reboot: $reboots reboots ($boots boots), each with the pl031's interrupt and NVMe I/O in flight, in $((t1 - t0)) s; L1 reads soak-rb=$boots back"
check_rtc_guest "after the reboots" -device vfio-amba,host=9010000.pl031,noiommu=on
echo "ARMPASS-E2E-EXPECT-DISK disk=nvm0 offset=8192 text=soak-rb=$boots"
pass
