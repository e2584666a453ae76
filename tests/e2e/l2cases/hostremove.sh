#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# L2 side of e2e case pci-host-remove (docs/operating.md, "When the host takes a device
# back"): L2 boots with the NVMe (in a root port's slot, or on the root bus), reads the marker
# L0 wrote at block 0, says READY, then ticks once a second while L1 removes the device from
# its host ("echo 1 > /sys/bus/pci/devices/BDF/remove"). It says when the controller's PCI
# function goes (pciehp released it, or a surprise removal) and when its disk goes, and
# tries a read of the disk every 10 s in the background (a removed device's read fails, or
# hangs until the nvme driver gives up on it), so that the ticks show L2 going on whatever
# the driver does. L1 ends the run with QMP quit.
#
# L2's command line: l2.marker=HEX. Prints "L2-HR: ..." lines: "read marker=... from DISK
# (BDF)", READY, "tick N", "gone BDF", "disk gone DISK", "read ok|failed", or
# "L2-HR: FAIL REASON".
marker=''
for arg in $(cat /proc/cmdline); do
    case $arg in
    l2.marker=*) marker=${arg#l2.marker=} ;;
    esac
done
. "$(dirname "$0")/lib.sh"
say() { echo "L2-HR: $*"; }
bad() {
    echo "L2-HR: FAIL $*"
    ls -l /sys/bus/pci/devices 2>&1
    dmesg | grep -iE 'pciehp|pcie|nvme|pci ' | tail -n 40
    exit 1
}
[ -n "$marker" ] || bad "no l2.marker= on the command line"

bdf=''
for _ in $(seq 1 120); do
    bdf=$(nvme_bdf) && break
    sleep 0.5
done
[ -n "$bdf" ] || bad "no NVMe controller within 60 s"
dev=/sys/bus/pci/devices/$bdf
disk=$(nvme_namespace "$bdf" 240) || bad "the nvme driver gave no namespace within 60 s"
got=$(dd if="$disk" bs=4096 count=1 iflag=direct 2>/dev/null | head -c 32)
[ "$got" = "$marker" ] || bad "block 0 of $disk holds '$got', not '$marker'"
say "read marker=$got from $disk ($bdf)"
say READY

gone='' disk_gone='' i=0
rm -f /tmp/reading
while [ "$i" -lt 900 ]; do
    i=$((i + 1))
    if [ -z "$gone" ] && [ ! -e "$dev" ]; then
        gone=1
        say "gone $bdf"
        dmesg | grep -iE 'pciehp|nvme' | tail -n 6 | sed 's/^/L2-HR: dmesg: /'
    fi
    if [ -z "$disk_gone" ] && [ ! -b "$disk" ]; then
        disk_gone=1
        say "disk gone $disk"
    fi
    if [ $((i % 10)) = 0 ] && [ -b "$disk" ] && [ ! -e /tmp/reading ]; then
        touch /tmp/reading
        (
            if dd if="$disk" of=/dev/null bs=4096 count=1 iflag=direct 2>/dev/null; then
                say "read ok"
            else
                say "read failed"
            fi
            rm -f /tmp/reading
        ) &
    fi
    say "tick $i"
    sleep 1
done
say "no quit from L1 within 900 s"
