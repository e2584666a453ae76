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
