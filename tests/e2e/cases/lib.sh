# SPDX-License-Identifier: GPL-2.0-only
# Helpers sourced by the e2e cases that /init runs in L1: the result marker, and running armpass.
#
# A case ends with exactly one of `pass` or `fail REASON`: it prints the marker line
# "ARMPASS-E2E: PASS NAME" or "ARMPASS-E2E: FAIL NAME: REASON" that tests/testbed/run.py waits
# for, records it in $ARMPASS_RESULT for /init, and exits.

E2E_NAME=${ARMPASS_CASE:-unnamed}

_result() {
    echo "$1"
    [ -z "${ARMPASS_RESULT:-}" ] || echo "$1" > "$ARMPASS_RESULT"
}
pass() { _result "ARMPASS-E2E: PASS $E2E_NAME"; exit 0; }
fail() { _result "ARMPASS-E2E: FAIL $E2E_NAME: $*"; exit 1; }

# What L1's kernel said about its GIC and KVM: context for a failure.
l1_context() {
    echo "--- L1 dmesg (gic, kvm, vfio) ---"
    dmesg | grep -iE 'gic|kvm|vfio' | tail -n 20
}

# run_armpass TIMEOUT LOG ARGS...: runs /armpass ARGS with its console copied into LOG, at most
# TIMEOUT seconds (0: no limit). Sets $status to armpass's exit status (143: killed on timeout).
run_armpass() {
    _t=$1 _log=$2
    shift 2
    echo "+ /armpass $*"
    set -o pipefail
    if [ "$_t" = 0 ]; then
        /armpass "$@" 2>&1 | tee "$_log"
    else
        timeout "$_t" /armpass "$@" 2>&1 | tee "$_log"
    fi
    status=$?
    set +o pipefail
    echo "armpass exited with status $status"
}

# Explains a non-zero armpass status.
status_reason() {
    case $1 in
    143) echo "armpass timed out after ${2}s (status 143)" ;;
    *) echo "armpass exited with status $1" ;;
    esac
}

# bind_vfio BUS DEVICE DRIVER: hands DEVICE over to DRIVER (vfio-amba or vfio-platform), in
# no-IOMMU mode (platform devices on virt have no IOMMU), as docs/passthrough.md describes.
bind_vfio() {
    echo Y > /sys/module/vfio/parameters/enable_unsafe_noiommu_mode ||
        fail "cannot enable vfio no-IOMMU mode"
    _d=/sys/bus/$1/devices/$2
    [ -e "$_d" ] || fail "no $_d"
    if [ -e "$_d/driver" ]; then
        echo "$2" > "$_d/driver/unbind"
    fi
    echo "$3" > "$_d/driver_override"
    echo "$2" > "/sys/bus/$1/drivers_probe"
    [ "$(basename "$(readlink "$_d/driver")")" = "$3" ] || fail "$2 did not bind to $3"
    echo "bind_vfio: $2 -> $3, iommu_group $(basename "$(readlink "$_d/iommu_group")")"
}

# l2_value KEY: the value of "KEY=value" on L2's result lines in /tmp/l2.log.
l2_value() {
    tr -d '\r' < /tmp/l2.log | grep -o "$1=[^ ]*" | head -n 1 | cut -d= -f2
}

# check_rtc_alarms: L2's two alarms both raised the pl031's interrupt.
check_rtc_alarms() {
    c0=$(l2_value irq_before) c1=$(l2_value irq_after1) c2=$(l2_value irq_after2)
    [ -n "$c0" ] && [ -n "$c2" ] || fail "L2 did not report its RTC interrupt counts"
    [ "$c1" -gt "$c0" ] || fail "the first alarm did not interrupt L2 ($c0 -> $c1)"
    [ "$c2" -gt "$c1" ] || fail "the second alarm did not interrupt L2 ($c1 -> $c2): unmask failed?"
}

# check_rtc_time BEFORE AFTER: L2's RTC reading lies within 2 s of L1's clock.
check_rtc_time() {
    t=$(l2_value since_epoch)
    [ -n "$t" ] || fail "L2 did not read its RTC (is rtc-pl031 bound in L2?)"
    [ "$t" -ge $(($1 - 2)) ] && [ "$t" -le $(($2 + 2)) ] ||
        fail "L2's RTC says $t, L1's clock was $1..$2"
}

# check_rtc_guest WHEN DEVICE-ARGS...: a fresh guest given DEVICE-ARGS (the pl031 among them)
# reads L1's time from its RTC and takes two alarms; WHEN ("after the reboots", ...) names
# the moment in the failure message.
check_rtc_guest() {
    _when=$1
    shift
    _before=$(date +%s)
    run_armpass 120 /tmp/l2.log -M virt -smp 2 -m 256M -kernel /Image -initrd /l2.cpio.gz \
        -append "console=ttyAMA0 quiet l2case=rtc" "$@"
    _after=$(date +%s)
    [ "$status" = 0 ] || fail "$(status_reason "$status" 120) $_when"
    check_rtc_time "$_before" "$_after"
    check_rtc_alarms
}

# bind_vfio_pci BDF: hands the PCI device BDF (0000:00:01.0) over to vfio-pci. It must already
# be in a real IOMMU group (L0's SMMUv3: run.py --nvme / --pci-group), not a no-IOMMU one:
# /dev/vfio/N must appear, /dev/vfio/noiommu-N must not. Sets $vfio_group to N.
bind_vfio_pci() {
    _d=/sys/bus/pci/devices/$1
    [ -e "$_d" ] || fail "no PCI device $1 in L1 (run.py --nvme / --pci-group?)"
    [ -L "$_d/iommu_group" ] ||
        fail "$1 has no IOMMU group before vfio binds it: no SMMUv3 in L0 (iommu=smmuv3)?"
    vfio_group=$(basename "$(readlink "$_d/iommu_group")")
    _iommu=$(basename "$(readlink "$_d/iommu" 2>/dev/null)")
    [ -n "$_iommu" ] || fail "$1 is in IOMMU group $vfio_group but names no IOMMU device"
    if [ -e "$_d/driver" ]; then
        echo "$1" > "$_d/driver/unbind"
    fi
    echo vfio-pci > "$_d/driver_override"
    echo "$1" > /sys/bus/pci/drivers_probe
    [ "$(basename "$(readlink "$_d/driver")")" = vfio-pci ] || fail "$1 did not bind to vfio-pci"
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        [ -c "/dev/vfio/$vfio_group" ] && break
        sleep 0.2
    done
    [ -c "/dev/vfio/$vfio_group" ] || { ls -l /dev/vfio; fail "no /dev/vfio/$vfio_group for $1"; }
    [ ! -e "/dev/vfio/noiommu-$vfio_group" ] || fail "$1 got a no-IOMMU group"
    echo "bind_vfio_pci: $1 -> vfio-pci, iommu_group $vfio_group (/dev/vfio/$vfio_group)," \
        "iommu $_iommu, group members: $(ls "/sys/kernel/iommu_groups/$vfio_group/devices" | tr '\n' ' ')"
}

# rebind_host BDF [DRIVER]: gives BDF back to its host driver (clears driver_override, lets
# drivers_probe pick); with DRIVER, that must be the one that binds.
rebind_host() {
    _d=/sys/bus/pci/devices/$1
    [ -e "$_d" ] || fail "no PCI device $1 in L1"
    if [ -e "$_d/driver" ]; then
        echo "$1" > "$_d/driver/unbind"
    fi
    echo > "$_d/driver_override"
    echo "$1" > /sys/bus/pci/drivers_probe
    _drv=$(basename "$(readlink "$_d/driver" 2>/dev/null)")
    [ -n "$_drv" ] && [ "$_drv" != vfio-pci ] || fail "$1 did not go back to a host driver (${_drv:-none})"
    [ -z "${2:-}" ] || [ "$_drv" = "$2" ] || fail "$1 bound to $_drv, not $2"
    echo "rebind_host: $1 -> $_drv"
}

# rebind_host_platform DEVICE: gives the platform device DEVICE back to its host driver
# (driver_override cleared, drivers_probe).
rebind_host_platform() {
    if [ -e "/sys/bus/platform/devices/$1/driver" ]; then
        echo "$1" > "/sys/bus/platform/devices/$1/driver/unbind"
    fi
    echo > "/sys/bus/platform/devices/$1/driver_override"
    echo "$1" > /sys/bus/platform/drivers_probe
}

# virtio_mmio_dev ID: the virtio-mmio platform device (a003e00.virtio_mmio) whose virtio
# device has the id ID (0x0001 network, 0x0002 block), read from its virtioN child while L1's
# virtio_mmio driver holds it. Returns 1 if there is none.
virtio_mmio_dev() {
    for _d in /sys/bus/platform/devices/*.virtio_mmio; do
        [ "$(cat "$_d"/virtio*/device 2>/dev/null)" = "$1" ] && { echo "${_d##*/}"; return 0; }
    done
    return 1
}

# nvme_disk BDF: waits (up to 30 s) for the namespace of the NVMe controller at BDF, bound to
# the nvme driver, and prints its /dev path (/dev/nvme0n1).
nvme_disk() {
    for _ in $(seq 1 60); do
        for _n in /sys/bus/pci/devices/$1/nvme/nvme*/nvme*n1; do
            if [ -e "$_n" ] && [ -b "/dev/${_n##*/}" ]; then
                echo "/dev/${_n##*/}"
                return 0
            fi
        done
        sleep 0.5
    done
    return 1
}

# disk_read DISK BLOCK [LEN]: the first LEN (default 32) bytes of 4 KiB block BLOCK of DISK,
# read with O_DIRECT (from the device, not the page cache).
disk_read() {
    dd if="$1" bs=4096 skip="$2" count=1 iflag=direct 2>/dev/null | head -c "${3:-32}"
}

# nvme_values: sets $nvme_marker and $nvme_write from L0's fw_cfg items (run.py --nvme).
nvme_values() {
    _fc=/sys/firmware/qemu_fw_cfg/by_name/opt/armpass
    nvme_marker=$(cat "$_fc/nvme-marker/raw" 2>/dev/null) &&
        nvme_write=$(cat "$_fc/nvme-write/raw" 2>/dev/null) ||
        fail "no opt/armpass/nvme-marker or nvme-write in L1's fw_cfg (run.py --nvme)"
}

# check_nvme_guest: the L2 result lines of l2case=nvme in /tmp/l2.log (l2cases/nvme.sh).
check_nvme_guest() {
    tr -d '\r' < /tmp/l2.log | grep '^L2-NVME' > /tmp/l2-nvme.txt
    grep -q '^L2-NVME: PASS' /tmp/l2-nvme.txt && return 0
    _why=$(grep '^L2-NVME: FAIL' /tmp/l2-nvme.txt | head -n 1 | cut -c1-200)
    fail "L2: ${_why:-no L2-NVME: PASS line}"
}

# check_nvme_stats BDF: armpass's -d stats lines for BDF in /tmp/l2.log: BAR 0 is mapped and
# took no trapped access outside its MSI-X window (the guest reached the registers through the
# memslot); at least two MSI-X vectors went through an irqfd without waking armpass.
check_nvme_stats() {
    tr -d '\r' < /tmp/l2.log | grep "vfio $1 " > /tmp/stats.txt
    echo "--- armpass stats for $1 ---"
    cat /tmp/stats.txt
    grep -q "vfio $1 bar 0: trapped reads [0-9]*, writes [0-9]*, mmap'd areas [0-9]*" /tmp/stats.txt ||
        fail "no '-d stats' line for BAR 0 of $1"
    grep -q "vfio $1 bar 0: trapped reads 0, writes 0, mmap'd areas [1-9]" /tmp/stats.txt ||
        fail "BAR 0 of $1 was not mapped, or took trapped accesses outside the MSI-X window"
    _n=$(grep -c "vfio $1 msix [0-9]* -> gsi [0-9]*: irqfd, userspace wakeups 0\$" /tmp/stats.txt)
    _all=$(grep -c "vfio $1 msix [0-9]* -> " /tmp/stats.txt)
    [ "$_n" = "$_all" ] ||
        fail "an MSI-X vector of $1 woke armpass: $(grep "vfio $1 msix [0-9]* -> " /tmp/stats.txt | grep -v 'irqfd, userspace wakeups 0$' | head -n 1)"
    [ "$_n" -ge 2 ] || fail "$_n MSI-X vectors of $1 in -d stats, want at least 2"
}

# refused NAME WANT... -- -device ARGS...: armpass, given $guest (the guest options) and the
# ARGS, must refuse with one line holding every WANT, a non-zero exit, and no guest.
# $REFUSED_PREFIX, when set, runs before armpass (e.g. setpriv to drop privileges).
refused() {
    _name=$1
    shift
    _wants=''
    while [ "$1" != -- ]; do _wants="$_wants$1
"; shift; done
    shift
    # shellcheck disable=SC2086
    timeout 60 ${REFUSED_PREFIX:-} /armpass $guest "$@" > /tmp/bad.out 2>&1
    _st=$?
    _err=$(grep '^armpass: ' /tmp/bad.out | grep -v 'warning' | tail -n 1)
    echo "$E2E_NAME $_name: status $_st: $_err"
    [ "$_st" != 0 ] && [ "$_st" != 124 ] || { cat /tmp/bad.out; fail "$_name: armpass exited $_st, not an error"; }
    echo "$_wants" | while read -r _w; do
        [ -z "$_w" ] && continue
        case $_err in
        *"$_w"*) ;;
        *) echo "$_name: the message does not say \"$_w\""; exit 1 ;;
        esac
    done || { cat /tmp/bad.out; fail "$_name: the message lacks a key word (want: $(echo $_wants))"; }
    ! grep -q 'ARMPASS-L2-UP\|Booting Linux' /tmp/bad.out || fail "$_name: a guest started"
    [ "$(grep -vc 'warning\|WARNING' /tmp/bad.out)" = 1 ] || { cat /tmp/bad.out; fail "$_name: more than one line"; }
}

# stats_lines BDF: armpass's -d stats lines for BDF in /tmp/l2.log into /tmp/stats.txt (and printed).
stats_lines() {
    tr -d '\r' < /tmp/l2.log | grep "vfio $1 " > /tmp/stats.txt
    echo "--- armpass stats for $1 ---"
    cat /tmp/stats.txt
}

# check_intx_stats BDF irqfd|userspace: armpass's -d stats line for BDF's INTx,
# "  vfio BDF intx -> SPI N (level): irqfd, userspace wakeups 0" (irqfd: the kernel did it all)
# or "...: userspace, userspace wakeups M, completed by trapped access C" with M, C > 0
# (x-irqfd=off: armpass relayed it, and the guest's access to the device completed it).
check_intx_stats() {
    stats_lines "$1"
    _l=$(grep "vfio $1 intx -> SPI [0-9]* (level): " /tmp/stats.txt | head -n 1)
    [ -n "$_l" ] || fail "no '-d stats' line 'vfio $1 intx -> SPI N (level): ...'"
    case $2 in
    irqfd) echo "$_l" | grep -q ': irqfd, userspace wakeups 0$' ||
        fail "INTx of $1 did not stay on an irqfd without userspace wakeups: $_l" ;;
    *) echo "$_l" | grep -q ': userspace, userspace wakeups [1-9][0-9]*, completed by trapped access [1-9][0-9]*, by backstop [0-9]*, stale [0-9]*$' ||
        fail "INTx of $1 with x-irqfd=off did not go through userspace: $_l" ;;
    esac
    ! grep -qE "vfio $1 msix? [0-9]+ -> " /tmp/stats.txt ||
        fail "MSI/MSI-X vectors of $1 were used although L2 was on INTx"
}

# check_msi_stats BDF: plain MSI: at least one "  vfio BDF msi V -> gsi G: irqfd, userspace
# wakeups 0" line, every msi line like that, and no MSI-X line.
check_msi_stats() {
    stats_lines "$1"
    _n=$(grep -c "vfio $1 msi [0-9]* -> gsi [0-9]*: irqfd, userspace wakeups 0\$" /tmp/stats.txt)
    _all=$(grep -c "vfio $1 msi [0-9]* -> " /tmp/stats.txt)
    [ "$_n" -ge 1 ] || fail "no '-d stats' line 'vfio $1 msi V -> gsi G: irqfd, userspace wakeups 0'"
    [ "$_n" = "$_all" ] ||
        fail "an MSI vector of $1 woke armpass: $(grep "vfio $1 msi [0-9]* -> " /tmp/stats.txt | grep -v 'irqfd, userspace wakeups 0$' | head -n 1)"
    ! grep -q "vfio $1 msix [0-9]* -> " /tmp/stats.txt || fail "$1 used MSI-X vectors, not plain MSI"
}

# check_msix_stats BDF MIN: at least MIN "  vfio BDF msix V -> gsi G: irqfd, userspace wakeups 0"
# lines, and no other msix line.
check_msix_stats() {
    stats_lines "$1"
    _n=$(grep -c "vfio $1 msix [0-9]* -> gsi [0-9]*: irqfd, userspace wakeups 0\$" /tmp/stats.txt)
    _all=$(grep -c "vfio $1 msix [0-9]* -> " /tmp/stats.txt)
    [ "$_n" = "$_all" ] ||
        fail "an MSI-X vector of $1 woke armpass: $(grep "vfio $1 msix [0-9]* -> " /tmp/stats.txt | grep -v 'irqfd, userspace wakeups 0$' | head -n 1)"
    [ "$_n" -ge "$2" ] || fail "$_n MSI-X vectors of $1 in -d stats, want at least $2"
}

# check_l2 TAG: L2's script printed "TAG: PASS ..." (its lines go to /tmp/l2-TAG.txt); else
# fails with its first "TAG: FAIL" line.
check_l2() {
    tr -d '\r' < /tmp/l2.log | grep "^$1" > "/tmp/l2-$1.txt"
    grep -q "^$1: PASS" "/tmp/l2-$1.txt" && return 0
    _why=$(grep "^$1: FAIL" "/tmp/l2-$1.txt" | head -n 1 | cut -c1-200)
    fail "L2: ${_why:-no $1: PASS line}"
}

# ata_disk BDF: waits (up to 30 s) for the disk behind the AHCI controller at BDF and prints its
# /dev path (/dev/sda).
ata_disk() {
    for _ in $(seq 1 60); do
        for _b in /sys/bus/pci/devices/$1/ata*/host*/target*/*/block/*; do
            if [ -e "$_b" ] && [ -b "/dev/${_b##*/}" ]; then
                echo "/dev/${_b##*/}"
                return 0
            fi
        done
        sleep 0.5
    done
    return 1
}

# ahci_idp BDF INDEX: the AHCI register at INDEX read through the index/data pair of BAR 4
# (an I/O BAR: index at 0x10, data at 0x14), via sysfs resource4, as 0x%08x.
ahci_idp() {
    _v=$2 _fmt=''
    for _ in 1 2 3 4; do _fmt="$_fmt$(printf '\\%03o' $((_v & 255)))"; _v=$((_v >> 8)); done
    # shellcheck disable=SC2059
    printf "$_fmt" | dd of="/sys/bus/pci/devices/$1/resource4" bs=4 seek=4 count=1 conv=notrunc 2>/dev/null &&
        dd if="/sys/bus/pci/devices/$1/resource4" bs=4 skip=5 count=1 2>/dev/null | hexdump -e '1/4 "0x%08x"'
}
