#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# e2e case demo (run.py --nvme): L1 passes its pl031 RTC (vfio-amba) and L0's NVMe behind the SMMUv3 (vfio-pci) to L2; armpass boots L2 verbosely; L2 shows its uptime, CPUs, the RTC and the NVMe it was given (reading L0's marker, writing a block) and its interrupts, then powers off (armpass.l2shell on L1's command line: an L2 shell instead).
# shellcheck source=tests/e2e/cases/lib.sh
. /cases/lib.sh
gic=${GIC:-3}
[ -e /sys/firmware/devicetree/base/intc@8000000/compatible ] &&
    grep -q 'arm,cortex-a15-gic' /sys/firmware/devicetree/base/intc@8000000/compatible && gic=2
append="console=ttyAMA0 earlycon=pl011,0x9000000 l2case=demo"
limit=${L2_TIMEOUT:-240}
if grep -qw armpass.l2shell /proc/cmdline; then
    append="$append l2shell"
    limit=0
fi
bind_vfio amba 9010000.pl031 vfio-amba
pci=''
if [ -e /sys/bus/pci/devices/0000:00:01.0 ]; then
    nvme_values
    bind_vfio_pci 0000:00:01.0
    pci="-device vfio-pci,host=0000:00:01.0"
    append="$append l2.marker=$nvme_marker l2.write=$nvme_write"
fi
echo "demo: L1's clock: $(date -u)"
echo "demo: L1 is up (uptime $(cut -d' ' -f1 /proc/uptime) s); armpass boots L2 with GICv$gic"
run_armpass "$limit" /tmp/l2.log -M "virt,gic-version=$gic" -smp 2 -m 256M \
    -kernel /Image -initrd /l2.cpio.gz -append "$append" -d stats \
    -device vfio-amba,host=9010000.pl031,noiommu=on $pci
[ "$status" = 0 ] || fail "$(status_reason "$status" "$limit")"
grep -q ARMPASS-L2-UP /tmp/l2.log || fail "L2 never printed ARMPASS-L2-UP"
[ -z "$pci" ] || check_nvme_guest
pass
