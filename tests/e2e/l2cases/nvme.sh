#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# L2 side of the vfio-pci NVMe cases (l2case=nvme): the passed-through NVMe (L0's emulated one,
# through L1's vfio-pci) must work in L2 with its own nvme driver, on MSI-X.
#
# L2's command line: l2.marker=HEX (what block 0 of the disk holds: L0 wrote it),
# l2.write=HEX (a value to write at block 1 = byte 4096, with fsync: L1 and L0 check it after
# the run), l2.intx (L2 runs with pci=nomsi: the interrupt must be INTx, a level line of the
# GICv3 and no ITS line), l2.move (before using the disk: move BAR 0 by hand through config space, check the
# registers answer at the new address, then remove the device and rescan the bus so that Linux
# assigns the BAR again and re-probes the driver).
#
# The same words as arguments override the command line's (pci-l1-check runs this script in L1).
#
# Prints "L2-NVME: ..." lines; the last is "L2-NVME: PASS marker=... wrote=... irq_admin=N
# irq_io=M" or "L2-NVME: FAIL REASON" (tests/e2e/cases/lib.sh: check_nvme_guest).
marker='' write='' move='' intx=''
for arg in $(cat /proc/cmdline) "$@"; do
    case $arg in
    l2.marker=*) marker=${arg#l2.marker=} ;;
    l2.write=*) write=${arg#l2.write=} ;;
    l2.move) move=1 ;;
    l2.intx) intx=1 ;;
    esac
done
. "$(dirname "$0")/lib.sh"
say() { echo "L2-NVME: $*"; }
bad() {
    echo "L2-NVME: FAIL $*"
    grep -E 'CPU|nvme' /proc/interrupts
    dmesg | grep -iE 'nvme|pci' | tail -n 30
    exit 1
}

# The controller: the PCI device of class 0x010802 (NVM Express).
bdf=$(nvme_bdf) || { ls -l /sys/bus/pci/devices; bad "no NVMe controller (class 0x010802) on L2's PCI bus"; }
dev=/sys/bus/pci/devices/$bdf
say "controller $bdf vendor=$(cat "$dev/vendor") device=$(cat "$dev/device")"

# What the kernel read from the BARs at boot ("reg 0x10: ...", left by armpass) and what it
# assigned ("BAR 0: assigned ...").
dmesg | grep -E "$bdf: (reg 0x|BAR [0-9]|ROM)" | sed 's/^/L2-NVME: dmesg: /'

# bars WHEN: the BARs as the kernel has them now (sysfs resource: BAR 0-5, 6 the ROM).
bars() {
    _i=0
    while read -r _s _e _f && [ $_i -le 6 ]; do
        [ $((_e)) = 0 ] || say "$1 bar $_i: $_s-$_e flags $_f"
        _i=$((_i + 1))
    done < "$dev/resource"
}

# disk: waits (up to 60 s) for the nvme driver's namespace and sets $disk (/dev/nvme0n1).
disk=''
wait_disk() { disk=$(nvme_namespace "$bdf" 240); }

# readblk N: the first 32 bytes of 4 KiB block N, with O_DIRECT (from the device itself).
readblk() {
    dd if="$disk" bs=4096 skip="$1" count=1 iflag=direct 2>/dev/null | head -c 32
}

# cfg_read OFF WIDTH (2 or 4): a config-space register (sysfs config: one access of WIDTH).
cfg_read() {
    dd if="$dev/config" bs="$2" skip=$(($1 / $2)) count=1 2>/dev/null | hexdump -e "1/$2 \"%u\""
}
# cfg_write OFF WIDTH VALUE: one config write of WIDTH bytes (little-endian).
cfg_write() {
    _v=$3 _fmt=''
    for _ in $(seq 1 "$2"); do
        _fmt="$_fmt$(printf '\\%03o' $((_v & 255)))"
        _v=$((_v >> 8))
    done
    # shellcheck disable=SC2059
    printf "$_fmt" | dd of="$dev/config" bs="$2" seek=$(($1 / $2)) count=1 conv=notrunc 2>/dev/null
}
peek() { /progs/mmio-abuse peek "$1" "$2" | sed 's/.*= //'; }

# move_bar0: moves BAR 0 (driver unbound) to a free, aligned spot at the top of its window
# in /proc/iomem; the controller's CAP and VS registers must answer there as they did at the
# old address. Then remove + rescan: Linux assigns the BARs again and the driver probes anew.
move_bar0() {
    read -r _s _e _f < "$dev/resource"
    old=$((_s)) size=$((_e - _s + 1)) flags=$((_f))
    cap0=$(peek "$old" 0) vs0=$(peek "$old" 8)
    say "bar 0 at $(printf 0x%x $old), $size bytes: CAP $cap0 VS $vs0"
    # The window: the smallest /proc/iomem range holding the BAR that is not the BAR itself.
    ws='' we=''
    while IFS=' :' read -r _r _name; do
        _a=$((0x${_r%-*})) _b=$((0x${_r#*-}))
        case $_name in *"$bdf"*|*nvme*) continue ;; esac
        if [ $_a -le $old ] && [ $_b -ge $((old + size - 1)) ]; then
            if [ -z "$ws" ] || [ $((_b - _a)) -lt $((we - ws)) ]; then ws=$_a we=$_b; fi
        fi
    done < /proc/iomem
    [ -n "$ws" ] || { cat /proc/iomem; bad "no /proc/iomem window holds BAR 0 at $(printf 0x%x $old)"; }
    # The highest size-aligned slot of the window that is not the old one and overlaps nothing.
    new=$(((we + 1 - size) / size * size))
    while [ $new -ge $ws ]; do
        _busy=''
        if [ $new = $old ]; then _busy=1; fi
        while IFS=' :' read -r _r _name; do
            _a=$((0x${_r%-*})) _b=$((0x${_r#*-}))
            [ $_a = $ws ] && [ $_b = $we ] && continue
            if [ $_a -ge $ws ] && [ $_b -le $we ] && [ $_a -lt $((new + size)) ] && [ $_b -ge $new ]; then
                _busy=1
            fi
        done < /proc/iomem
        [ -n "$_busy" ] || break
        new=$((new - size))
    done
    [ $new -ge $ws ] || bad "no free slot of $size bytes in the window $(printf 0x%x-0x%x $ws $we)"
    say "moving bar 0: $(printf 0x%x $old) -> $(printf 0x%x $new) (window $(printf 0x%x-0x%x $ws $we))"
    cmd=$(cfg_read 4 2)
    cfg_write 4 2 $((cmd & ~2))                         # memory decode off
    cfg_write 16 4 $((new & 0xffffffff))
    if [ $((flags & 0x00100000)) != 0 ]; then           # IORESOURCE_MEM_64: the upper half
        cfg_write 20 4 $((new >> 32))
    fi
    cfg_write 4 2 $((cmd | 2))                          # memory decode on
    lo=$(cfg_read 16 4) hi=$(cfg_read 20 4)
    say "bar 0 register now $(printf '0x%08x 0x%08x' "$hi" "$lo"), command $(printf 0x%x "$(cfg_read 4 2)")"
    cap1=$(peek "$new" 0) vs1=$(peek "$new" 8)
    say "at the new address: CAP $cap1 VS $vs1"
    [ "$cap1" = "$cap0" ] && [ "$vs1" = "$vs0" ] ||
        bad "after the move the registers read CAP $cap1 VS $vs1, not CAP $cap0 VS $vs0"
    echo 1 > "$dev/remove"
    echo 1 > /sys/bus/pci/rescan
    [ -e "$dev" ] || bad "$bdf did not come back after remove + rescan"
    bars "after rescan:"
    say "bar0 moved=yes boot=$(printf 0x%x $old) by_hand=$(printf 0x%x $new) after_rescan=$(awk 'NR == 1 { print $1; exit }' "$dev/resource")"
}

bars "at boot:"
wait_disk || bad "the nvme driver gave no namespace within 60 s (driver: $(basename "$(readlink "$dev/driver" 2>/dev/null)"))"
say "disk $disk of $bdf, driver $(basename "$(readlink "$dev/driver")")"
got=$(readblk 0)
[ -n "$marker" ] || bad "no l2.marker= on the command line"
[ "$got" = "$marker" ] || bad "block 0 holds '$got', not the marker '$marker'"
say "read marker=$got from block 0"

if [ -n "$move" ]; then
    echo "$bdf" > "$dev/driver/unbind"
    move_bar0
    wait_disk || bad "after the BAR move the nvme driver gave no namespace within 60 s"
    got=$(readblk 0)
    [ "$got" = "$marker" ] || bad "after the BAR move block 0 holds '$got', not the marker '$marker'"
    say "after the BAR move: read marker=$got from block 0 of $disk"
fi

if [ -n "$write" ]; then
    printf '%s' "$write" | dd of="$disk" bs=4096 seek=1 conv=notrunc,fsync 2>/dev/null ||
        bad "writing block 1 failed"
    back=$(readblk 1)
    [ "$back" = "$write" ] || bad "block 1 reads back '$back' after writing '$write'"
    say "wrote=$write to block 1 (byte 4096), fsync'd, read back with O_DIRECT"
fi

# The interrupts. INTx (l2.intx, pci=nomsi or a GICv2 guest): one level line of the GIC shared by the queues
# ("GICv3 36 Level nvme0q0, nvme0q1"), counting; no vector of the ITS.
ctrl=$(basename "$(echo "$dev"/nvme/nvme*)")
if [ -n "$intx" ]; then
    echo "L2-NVME: /proc/interrupts ($ctrl, INTx):"
    grep -E "CPU|${ctrl}q" /proc/interrupts
    line=$(grep -E "${ctrl}q0(,|\$)" /proc/interrupts | head -n 1)
    [ -n "$line" ] || bad "no ${ctrl}q0 line in /proc/interrupts"
    case $line in
    *GIC*Level*) ;;
    *) bad "${ctrl}q0 is not on a level line of the GIC: $line" ;;
    esac
    ! grep -E "${ctrl}q" /proc/interrupts | grep -q ITS || bad "an ${ctrl} queue is on the ITS despite pci=nomsi"
    [ -z "$(ls "$dev/msi_irqs" 2>/dev/null)" ] || bad "$bdf has msi_irqs despite pci=nomsi"
    count=$(echo "$line" | awk '{ s = 0; for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i; print s }')
    [ "$count" -gt 0 ] || bad "the INTx line never fired: $line"
    chip=$(echo "$line" | grep -oE 'GIC(v[23])?' | head -n 1)
    say "PASS marker=$marker wrote=${write:-none} irq_chip=$chip irq_mode=intx irq_count=$count"
    exit 0
fi
# MSI-X vectors of the admin queue (nvme0q0) and the I/O queues, all counting.
echo "L2-NVME: /proc/interrupts ($ctrl):"
grep -E "CPU|${ctrl}q[0-9]+\$" /proc/interrupts
sums=$(awk -v c="$ctrl" '$NF ~ "^" c "q[0-9]+$" { s = 0; for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i;
                                                  printf "%s=%d\n", $NF, s }' /proc/interrupts)
echo "$sums" | sed 's/^/L2-NVME: irq /'
lines=$(echo "$sums" | grep -c '=')
chip=$(grep -E "${ctrl}q0\$" /proc/interrupts | awk '{ for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++); print $i; exit }')
admin=$(echo "$sums" | awk -F= '$1 ~ /q0$/ { s += $2 } END { print s + 0 }')
io=$(echo "$sums" | awk -F= '$1 !~ /q0$/ { s += $2 } END { print s + 0 }')
[ "$lines" -ge 2 ] || bad "$lines nvme interrupt lines in /proc/interrupts, want the admin queue and I/O queues"
[ "$admin" -gt 0 ] || bad "the admin queue's interrupt never fired"
[ "$io" -gt 0 ] || bad "no I/O queue interrupt fired"
say "PASS marker=$marker wrote=${write:-none} irq_chip=$chip irq_lines=$lines irq_admin=$admin irq_io=$io"
