#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# e2e case pci-host-remove (run.py --nvme; docs/operating.md, "When the host takes a device
# back"): L1 removes the NVMe that a running L2 uses (echo 1 > /sys/bus/pci/devices/BDF/remove,
# which makes VFIO signal armpass's request eventfd), twice:
#   slot:     the NVMe in a pcie-root-port's slot. armpass presses the slot's attention
#             button as device_del does; L2's pciehp releases the device, armpass closes it
#             and emits DEVICE_DELETED, and L1's remove completes (QEMU: about 6 s). L2 sees
#             the controller go and ticks on.
#   root-bus: the NVMe on the root bus, no slot. armpass warns, emits
#             X_ARMPASS_DEVICE_FAILED and DEVICE_DELETED and takes the device away from L2
#             (off the bus, closed), so that L1's remove completes at once; L2 ticks on.
# Each remove must complete within 60 s (before: it blocked until armpass exited). After
# each, L1 rescans its PCI bus (the device comes back, on nvme) so that nothing after this
# case misses it; at the end L1's nvme driver reads the marker at block 0.
. /cases/lib.sh
bdf=0000:00:01.0
sock=/tmp/qmp.sock
log=/tmp/l2.log
nvme_values

q() {
    /progs/qmp-client --timeout 60 "$sock" "$@" > /tmp/q.out 2>&1
    _st=$?
    cat /tmp/q.out
    return $_st
}
# wait_log PATTERN WHAT [SECONDS]: until PATTERN is on a line of the log.
wait_log() {
    _i=0
    while ! tr -d '\r' < "$log" | grep -q "$1"; do
        kill -0 "$pid" 2>/dev/null || { tail -n 40 "$log"; fail "armpass died waiting for $2"; }
        _i=$((_i + 1))
        [ "$_i" -lt $((${3:-180} * 5)) ] || { tail -n 40 "$log"; kill "$pid"; fail "timed out waiting for $2"; }
        sleep 0.2
        tr -d '\r' < "$log" | grep -q '^L2-HR: FAIL' && { tr -d '\r' < "$log" | sed -n '/^L2-HR: FAIL/,$p' | head -n 60; kill "$pid"; fail "$(tr -d '\r' < "$log" | grep '^L2-HR: FAIL' | head -n 1 | cut -c1-200)"; }
    done
}
uptime_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }
last_tick() { tr -d '\r' < "$log" | sed -n 's/^L2-HR: tick \([0-9]*\)$/\1/p' | tail -n 1; }
# rescan: the removed device comes back (a new pci_dev: no driver_override, so nvme binds).
rescan() {
    echo 1 > /sys/bus/pci/rescan
    for _ in $(seq 1 50); do
        [ -e "/sys/bus/pci/devices/$bdf/driver" ] && break
        sleep 0.2
    done
    [ -e "/sys/bus/pci/devices/$bdf" ] || fail "$bdf did not come back after a PCI rescan"
    echo "rescan: $bdf back on $(basename "$(readlink "/sys/bus/pci/devices/$bdf/driver" 2>/dev/null)")"
}

# run_variant NAME EVENTS DEVICE-ARGS...: armpass with L2 and the NVMe as DEVICE-ARGS give it;
# once L2 has read the disk, a QMP client waits for EVENTS (event:NAME ...) while L1 removes
# the device. Sets $remove_ms, and leaves the QMP client's output in /tmp/ev.out.
run_variant() {
    _name=$1 _events=$2
    shift 2
    bind_vfio_pci $bdf
    : > "$log"
    echo "+ /armpass ... $* -qmp unix:$sock,server=on,wait=off"
    /armpass -M virt,gic-version=3 -smp 2 -m 256M -kernel /Image -initrd /l2.cpio.gz \
        -append "console=ttyAMA0 quiet l2case=hostremove l2.marker=$nvme_marker" \
        "$@" -qmp "unix:$sock,server=on,wait=off" > "$log" 2>&1 &
    pid=$!
    wait_log '^L2-HR: READY' "L2 to read the NVMe ($_name)" 240
    wait_log '^L2-HR: tick 2$' "L2's ticks ($_name)" 30
    # shellcheck disable=SC2086
    /progs/qmp-client --timeout 90 "$sock" $_events > /tmp/ev.out 2>&1 &
    evpid=$!
    sleep 1
    rm -f /tmp/rm.status
    t0=$(uptime_ms)
    ( echo 1 > "/sys/bus/pci/devices/$bdf/remove"; echo $? > /tmp/rm.status ) &
    rmpid=$!
    _i=0
    while [ ! -e /tmp/rm.status ] && [ "$_i" -lt 600 ]; do
        sleep 0.1
        _i=$((_i + 1))
    done
    if [ ! -e /tmp/rm.status ]; then
        tr -d '\r' < "$log" | grep -v 'L2-HR: tick' | tail -n 30
        dmesg | grep -iE 'vfio|nvme|pci' | tail -n 10
        kill "$pid"
        wait "$rmpid"
        fail "$_name: L1's remove of $bdf did not complete within 60 s (it completed once armpass was killed)"
    fi
    t1=$(uptime_ms)
    wait "$rmpid"
    remove_ms=$((t1 - t0))
    [ "$(cat /tmp/rm.status)" = 0 ] || fail "$_name: echo 1 > .../remove failed ($(cat /tmp/rm.status))"
    echo "$_name: L1's remove of $bdf completed in $remove_ms ms"
    wait "$evpid" || { cat /tmp/ev.out; kill "$pid"; fail "$_name: QMP did not see $_events"; }
    cat /tmp/ev.out
    # L2 goes on: two more ticks after the remove completed.
    _t=$(last_tick)
    wait_log "^L2-HR: tick $((_t + 2))\$" "L2 to tick on after the remove ($_name)" 30
    echo "$_name: L2 went on: tick $_t when the remove had completed, tick $((_t + 2)) since"
}

# end_variant: QMP quit (armpass exits 0), then L1 gets the device back.
end_variant() {
    q '{"execute": "quit"}' || { kill "$pid"; fail "$1: quit did not complete"; }
    wait "$pid"
    status=$?
    [ "$status" = 0 ] || { tail -n 30 "$log"; fail "$1: armpass exited with status $status"; }
    rescan
}

# 1. In a root port's slot: released by L2's pciehp, as device_del.
run_variant slot event:DEVICE_DELETED \
    -device pcie-root-port,id=rp0,chassis=1,slot=1 -device vfio-pci,host=$bdf,bus=rp0,id=nvme0
slot_ms=$remove_ms
grep -q '"event":"DEVICE_DELETED","data":{"device":"nvme0","path":"/machine/peripheral/nvme0"}' /tmp/ev.out ||
    { kill "$pid"; fail "slot: DEVICE_DELETED without the device's id and path"; }
grep -q 'X_ARMPASS_DEVICE_FAILED' /tmp/ev.out && { kill "$pid"; fail "slot: X_ARMPASS_DEVICE_FAILED although L2 released the device"; }
wait_log "^L2-HR: gone " "L2 to see the NVMe go (slot)" 30
tr -d '\r' < "$log" | grep -q 'the guest is asked to release it (its slot' ||
    { kill "$pid"; fail "slot: no notice that the guest was asked to release the device"; }
[ "$slot_ms" -le 60000 ] || fail "slot: the remove took $slot_ms ms"
tr -d '\r' < "$log" | grep -E '^L2-HR: (read|gone|disk|dmesg)|armpass:' | head -n 20
end_variant slot

# 2. On the root bus: nothing to ask L2, so armpass takes the device away and says so.
run_variant root-bus "event:X_ARMPASS_DEVICE_FAILED event:DEVICE_DELETED" \
    -device vfio-pci,host=$bdf,id=nvme0
bus_ms=$remove_ms
grep -q '"event":"X_ARMPASS_DEVICE_FAILED","data":{"device":"nvme0","reason":"the host asks for the device back[^"]*no hot-plug slot' /tmp/ev.out ||
    { kill "$pid"; fail "root-bus: X_ARMPASS_DEVICE_FAILED without the device's id or the reason"; }
grep -q '"event":"DEVICE_DELETED","data":{"device":"nvme0"' /tmp/ev.out ||
    { kill "$pid"; fail "root-bus: no DEVICE_DELETED for nvme0"; }
# Not anchored: L2's console (the PL011, a byte per write) shares the log with armpass's
# stderr, and the warning may begin in the middle of one of L2's lines.
tr -d '\r' < "$log" | grep -q 'armpass: warning: vfio-pci nvme0 (host 0000:00:01.0): the host asks for the device back.*taking it away from the guest' ||
    { kill "$pid"; fail "root-bus: no warning that the device was taken away"; }
[ "$bus_ms" -le 60000 ] || fail "root-bus: the remove took $bus_ms ms"
tr -d '\r' < "$log" | grep -E '^L2-HR: (read|gone|disk)|armpass:' | head -n 20
end_variant root-bus

host_disk=$(nvme_disk $bdf) || fail "after the case L1's nvme driver gave no namespace for $bdf"
[ "$(disk_read "$host_disk" 0)" = "$nvme_marker" ] || fail "after the case L1 reads no marker at block 0"
echo "ARMPASS-HOST-REMOVE: slot ${slot_ms} ms, root-bus ${bus_ms} ms"
echo "L1: $host_disk holds the marker after two host removals and rescans"
pass
