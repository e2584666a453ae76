#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# e2e case pci-hotplug (run.py --nvme; docs/operating.md ("Hot-plug")): L2 boots with an empty
# pcie-root-port (id rp0); /progs/qmp-client device_add-s L0's NVMe (bound to vfio-pci in L1)
# into it while L2 runs; L2's pciehp powers the slot, its nvme driver reads the marker at
# block 0; device_del presses the slot's attention button, pciehp powers the slot off and
# armpass emits DEVICE_DELETED; the same again, then L2 powers off and armpass exits 0. L1's
# nvme driver reads the disk afterwards.
# With NOMSI=1 (tests/e2e/cases/pci-hotplug-intx.sh): L2 runs with pci=nomsi, so pciehp hears
# the port's INTA and the NVMe interrupts by INTx, on a line of the port's own, which armpass
# feeds from an irqfd (no userspace path, no notice).
. /cases/lib.sh
bdf=0000:00:01.0
sock=/tmp/qmp.sock
log=/tmp/l2.log
nvme_values
bind_vfio_pci $bdf
q() {
    /progs/qmp-client --timeout 60 "$sock" "$@" > /tmp/q.out 2>&1
    _st=$?
    cat /tmp/q.out
    return $_st
}
# wait_log PATTERN N WHAT [SECONDS]: until PATTERN is on N lines of the log.
wait_log() {
    _i=0
    while [ "$(tr -d '\r' < "$log" | grep -c "$1")" -lt "$2" ]; do
        kill -0 "$pid" 2>/dev/null || { tail -n 40 "$log"; fail "armpass died waiting for $3"; }
        _i=$((_i + 1))
        [ "$_i" -lt $((${4:-180} * 5)) ] || { tail -n 40 "$log"; kill "$pid"; fail "timed out waiting for $3"; }
        sleep 0.2
        tr -d '\r' < "$log" | grep -q '^L2-HP: FAIL' && { tr -d '\r' < "$log" | sed -n '/^L2-HP: FAIL/,$p' | head -n 60; kill "$pid"; fail "$(tr -d '\r' < "$log" | grep '^L2-HP: FAIL' | head -n 1 | cut -c1-200)"; }
    done
}
echo "+ /armpass ... -device pcie-root-port,id=rp0,chassis=1,slot=1 -qmp unix:$sock,server=on,wait=off"
/armpass -M virt,gic-version=3 -smp 2 -m 256M -d stats -kernel /Image -initrd /l2.cpio.gz \
    -append "console=ttyAMA0 quiet l2case=hotplug l2.marker=$nvme_marker${NOMSI:+ pci=nomsi}" \
    -device pcie-root-port,id=rp0,chassis=1,slot=1 \
    -qmp "unix:$sock,server=on,wait=off" > "$log" 2>&1 &
pid=$!
wait_log '^L2-HP: READY' 1 "L2's pciehp on the root port" 240
for round in 1 2; do
    t0=$(date +%s)
    q "{\"execute\": \"device_add\", \"arguments\": {\"driver\": \"vfio-pci\", \"host\": \"$bdf\", \"bus\": \"rp0\", \"id\": \"nvme0\"}}" ||
        { kill "$pid"; fail "round $round: device_add did not complete"; }
    grep -q '"return":{}' /tmp/q.out || { kill "$pid"; fail "round $round: device_add refused: $(grep -o '"desc":"[^"]*"' /tmp/q.out)"; }
    wait_log "^L2-HP: read $round " 1 "L2 to read the hot-plugged disk (round $round)" 240
    t1=$(date +%s)
    if [ "$round" = 1 ]; then
        # query-pci: the NVMe on the guest's bus 1, behind the port (QEMU's pci_bridge).
        q '{"execute": "query-pci"}' || { kill "$pid"; fail "query-pci did not complete"; }
        grep -q '"pci_bridge":{"bus":{"number":1,' /tmp/q.out ||
            { kill "$pid"; fail "query-pci: the root port has no pci_bridge with bus 1"; }
        grep -q '"bus":1,"slot":0,"function":0' /tmp/q.out ||
            { kill "$pid"; fail "query-pci: no device at 01:00.0"; }
    fi
    q '{"execute": "device_del", "arguments": {"id": "nvme0"}}' event:DEVICE_DELETED ||
        { tr -d '\r' < "$log" | grep -E '^L2-HP|pcie|rp0' | tail -n 40; kill "$pid";
          fail "round $round: no DEVICE_DELETED after device_del"; }
    grep -q '"event":"DEVICE_DELETED","data":{"device":"nvme0","path":"/machine/peripheral/nvme0"}' /tmp/q.out ||
        { kill "$pid"; fail "round $round: DEVICE_DELETED without the device's id and path"; }
    t2=$(date +%s)
    if [ "$round" = 1 ]; then
        # device_del of the gone device is DeviceNotFound; the guest runs on.
        q '{"execute": "device_del", "arguments": {"id": "nvme0"}}' || true
        grep -q '"class":"DeviceNotFound"' /tmp/q.out ||
            { kill "$pid"; fail "device_del after DEVICE_DELETED: not DeviceNotFound"; }
    fi
    wait_log "^L2-HP: gone $round" 1 "L2 to see the NVMe go (round $round)" 60
    echo "round $round: device_add to L2's read $((t1 - t0)) s, device_del to DEVICE_DELETED $((t2 - t1)) s"
done
wait "$pid"
status=$?
tr -d '\r' < "$log" | grep -E '^L2-HP|pcie-root-port|rp0' | head -n 40
[ "$status" = 0 ] || fail "armpass exited with status $status"
tr -d '\r' < "$log" | grep -q '^L2-HP: PASS' || fail "L2 printed no L2-HP: PASS"
# Which interrupt controller carried pciehp's and the NVMe's interrupts in L2.
if [ -n "${NOMSI:-}" ]; then
    tr -d '\r' < "$log" | grep '^L2-HP: irq' | grep -q 'GICv3.*pciehp' ||
        fail "pci=nomsi: pciehp's interrupt is not a GICv3 line (the port's INTA)"
    tr -d '\r' < "$log" | grep '^L2-HP: irq' | grep 'nvme' | grep -q MSI &&
        fail "pci=nomsi: the NVMe used MSI"
    tr -d '\r' < "$log" | grep '^L2-HP: irq' | grep 'pciehp' | grep -q nvme &&
        fail "pci=nomsi: pciehp and the NVMe share a line in L2"
    grep -q 'shares the line of a pcie-root-port' "$log" &&
        fail "pci=nomsi: the NVMe's INTx went through armpass, not an irqfd"
else
    tr -d '\r' < "$log" | grep '^L2-HP: irq' | grep -q 'MSI.*pciehp' ||
        fail "pciehp's interrupt is not the port's MSI"
fi
rebind_host $bdf nvme
host_disk=$(nvme_disk $bdf) || fail "after the run L1's nvme driver gave no namespace for $bdf"
[ "$(disk_read "$host_disk" 0)" = "$nvme_marker" ] || fail "after the run L1 reads no marker at block 0"
echo "L1: $host_disk still holds the marker after two hot-plug rounds"
pass
