#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# L2 side of pci-rom (l2case=rom): the NVMe's option ROM through sysfs "rom" ("echo 1 > rom;
# cat rom"). l2.romsha=HEX: it must read back whole, with that sha256. l2.norom (rombar=0):
# there must be no ROM (no rom file, or reading it fails or gives nothing).
# Last line: "L2-ROM: PASS ..." or "L2-ROM: FAIL ...".
want='' norom=''
for arg in $(cat /proc/cmdline) "$@"; do
    case $arg in
    l2.romsha=*) want=${arg#l2.romsha=} ;;
    l2.norom) norom=1 ;;
    esac
done
. "$(dirname "$0")/lib.sh"
say() { echo "L2-ROM: $*"; }
bad() { echo "L2-ROM: FAIL $*"; dmesg | grep -iE 'rom|pci' | tail -n 20; exit 1; }
bdf=$(nvme_bdf) || bad "no NVMe controller (class 0x010802) on L2's PCI bus"
dev=/sys/bus/pci/devices/$bdf
say "ROM BAR of $bdf (resource line 7): $(awk 'NR == 7' "$dev/resource")"
size=0 sha=''
if [ -e "$dev/rom" ]; then
    echo 1 > "$dev/rom" 2>/dev/null
    if cat "$dev/rom" > /tmp/rom.bin 2>/tmp/rom.err; then
        size=$(wc -c < /tmp/rom.bin)
        sha=$(sha256sum < /tmp/rom.bin | cut -d' ' -f1)
    else
        say "reading rom: $(cat /tmp/rom.err)"
    fi
    echo 0 > "$dev/rom" 2>/dev/null
    [ "$size" = 0 ] || say "rom: $size bytes, sha256 $sha, starts $(head -c 4 /tmp/rom.bin | hexdump -e '4/1 "%02x"')"
else
    say "no rom file"
fi
if [ -n "$norom" ]; then
    [ "$size" = 0 ] || bad "rombar=0, yet L2 read a ROM of $size bytes"
    say "PASS rom=none"
else
    [ "$size" != 0 ] || bad "no ROM to read"
    [ "$sha" = "$want" ] || bad "the ROM reads back with sha256 $sha ($size bytes), not $want"
    say "PASS rom=$size sha256=$sha"
fi
