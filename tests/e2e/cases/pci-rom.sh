#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# e2e case pci-rom (run.py --nvme --nvme-rom): the NVMe's option ROM (made by run.py for the
# run: a valid header around random bytes; its sha256 in fw_cfg opt/armpass/nvme-rom-sha256).
# L1 reads it through sysfs "rom" on the bare device; L2 reads it the same way through
# vfio-pci and armpass: the same bytes (sha256). With rombar=0, L2 sees no ROM.
. /cases/lib.sh
bdf=0000:00:01.0
sha=$(cat /sys/firmware/qemu_fw_cfg/by_name/opt/armpass/nvme-rom-sha256/raw 2>/dev/null) ||
    fail "no opt/armpass/nvme-rom-sha256 in L1's fw_cfg (run.py --nvme-rom)"
rom=/sys/bus/pci/devices/$bdf/rom
[ -e "$rom" ] || fail "L1: $bdf has no rom file"
echo 1 > "$rom"
l1sha=$(sha256sum < "$rom" | cut -d' ' -f1) l1size=$(wc -c < "$rom")
echo 0 > "$rom"
echo "L1: ROM of $bdf: $l1size bytes, sha256 $l1sha (run.py made $sha)"
[ "$l1sha" = "$sha" ] || fail "L1 reads a ROM with sha256 $l1sha, run.py made $sha"
bind_vfio_pci $bdf
for bar in on off; do
    opts='' want="l2.romsha=$sha"
    [ "$bar" = on ] || { opts=',rombar=0'; want='l2.norom'; }
    run_armpass 480 /tmp/l2.log -M virt,gic-version=3 -smp 2 -m 256M -d stats \
        -kernel /Image -initrd /l2.cpio.gz -append "console=ttyAMA0 quiet l2case=rom $want" \
        -device "vfio-pci,host=$bdf$opts"
    [ "$status" = 0 ] || fail "$(status_reason "$status" 480) (rombar $bar)"
    check_l2 L2-ROM
    echo "pci-rom: rombar $bar: $(grep '^L2-ROM: PASS' /tmp/l2-L2-ROM.txt)"
done
rebind_host $bdf nvme
pass
