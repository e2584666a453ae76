#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# L2 side of pci-ahci (l2case=ahci): the passed-through AHCI controller (class 0x010601). Its
# disk holds l2.marker=HEX at byte 0; its interrupt must be a plain MSI vector (not MSI-X, not
# INTx) that counts; VS and CAP read through the I/O BAR 4 index/data pair must be l2.vs and
# l2.cap (what L1 read on the bare device); the same words as arguments override the command
# line's (pci-l1-check-kinds runs it in L1). Last line: "L2-AHCI: PASS ..." or "L2-AHCI: FAIL ...".
marker='' vs='' cap=''
for arg in $(cat /proc/cmdline) "$@"; do
    case $arg in
    l2.marker=*) marker=${arg#l2.marker=} ;;
    l2.vs=*) vs=${arg#l2.vs=} ;;
    l2.cap=*) cap=${arg#l2.cap=} ;;
    esac
done
say() { echo "L2-AHCI: $*"; }
bad() {
    echo "L2-AHCI: FAIL $*"
    grep -E 'CPU|ahci' /proc/interrupts
    dmesg | grep -iE 'ahci|ata|pci' | tail -n 30
    exit 1
}
bdf=''
for d in /sys/bus/pci/devices/*; do
    if [ "$(cat "$d/class" 2>/dev/null)" = 0x010601 ]; then bdf=${d##*/}; break; fi
done
[ -n "$bdf" ] || { ls -l /sys/bus/pci/devices; bad "no AHCI controller (class 0x010601) on L2's PCI bus"; }
dev=/sys/bus/pci/devices/$bdf
say "controller $bdf vendor=$(cat "$dev/vendor") device=$(cat "$dev/device") driver=$(basename "$(readlink "$dev/driver" 2>/dev/null)")"
disk=''
for _ in $(seq 1 120); do
    for b in "$dev"/ata*/host*/target*/*/block/*; do
        if [ -e "$b" ] && [ -b "/dev/${b##*/}" ]; then disk=/dev/${b##*/}; break 2; fi
    done
    sleep 0.5
done
[ -n "$disk" ] || bad "the ahci driver gave no disk within 60 s"
got=$(dd if="$disk" bs=4096 count=1 iflag=direct 2>/dev/null | head -c 32)
[ -n "$marker" ] && [ "$got" = "$marker" ] || bad "block 0 of $disk holds '$got', not the marker '$marker'"
say "read marker=$got from $disk"

# The interrupt: plain MSI. msi_irqs/N says "msi" (not "msix"); the MSI capability (ID 0x05)
# has its enable bit (bit 0 of the message control at +2) set; no MSI-X capability is enabled.
cfg() { dd if="$dev/config" bs="$2" skip=$(($1 / $2)) count=1 2>/dev/null | hexdump -e "1/$2 \"%u\""; }
msi_en='' msix_en=0
p=$(($(cfg 0x34 1) & ~3))
while [ "$p" -ne 0 ]; do
    id=$(cfg $p 1)
    [ "$id" = 5 ] && msi_en=$(($(cfg $((p + 2)) 2) & 1))
    [ "$id" = 17 ] && msix_en=$((($(cfg $((p + 2)) 2) >> 15) & 1))
    p=$(($(cfg $((p + 1)) 1) & ~3))
done
modes=$(cat "$dev"/msi_irqs/* 2>/dev/null | sort -u | tr '\n' ' ')
grep -E 'CPU|ahci' /proc/interrupts
line=$(grep ahci /proc/interrupts | head -n 1)
count=$(echo "$line" | awk '{ s = 0; for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i; print s }')
chip=$(echo "$line" | awk '{ for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++); print $i }')
say "irq chip=$chip count=$count msi_irqs=$modes msi_enable=$msi_en msix_enable=$msix_en"
[ -n "$line" ] || bad "no ahci line in /proc/interrupts"
[ "$msi_en" = 1 ] || bad "the MSI capability of $bdf is not enabled (${msi_en:-no capability})"
[ "$msix_en" = 0 ] || bad "MSI-X is enabled on $bdf"
[ "$modes" = "msi " ] || bad "msi_irqs of $bdf says '$modes', not 'msi'"
case $chip in *MSI*) ;; *) bad "the ahci interrupt is on '$chip', not an MSI chip" ;; esac
[ "${count:-0}" -gt 0 ] || bad "the ahci interrupt never fired"

# The I/O BAR: BAR 4's resource flags have IORESOURCE_IO (0x100); VS and CAP through it.
flags=$(awk 'NR == 5 { print $3 }' "$dev/resource")
[ $((flags & 0x100)) != 0 ] || bad "BAR 4 of $bdf is not an I/O BAR (flags $flags)"
echo 1 > "$dev/enable" 2>/dev/null   # I/O decode, should the driver not have turned it on
idp() {
    v=$1 fmt=''
    for _ in 1 2 3 4; do fmt="$fmt$(printf '\\%03o' $((v & 255)))"; v=$((v >> 8)); done
    # shellcheck disable=SC2059
    printf "$fmt" | dd of="$dev/resource4" bs=4 seek=4 count=1 conv=notrunc 2>/dev/null &&
        dd if="$dev/resource4" bs=4 skip=5 count=1 2>/dev/null | hexdump -e '1/4 "0x%08x"'
}
vs2=$(idp 0x10) cap2=$(idp 0)
say "through BAR 4 ($(awk 'NR == 5 { print $1 "-" $2 }' "$dev/resource")): VS $vs2 CAP $cap2 (L1: VS $vs CAP $cap)"
[ -n "$vs" ] && [ "$vs2" = "$vs" ] && [ "$cap2" = "$cap" ] ||
    bad "through BAR 4 L2 reads VS '$vs2' CAP '$cap2', L1 read VS '$vs' CAP '$cap'"
say "PASS marker=$marker irq_chip=$chip irq_mode=msi irq_count=$count vs=$vs2 cap=$cap2"
