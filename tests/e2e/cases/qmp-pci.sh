#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# e2e case qmp-pci (run.py --nvme; docs/operating.md): armpass passes L0's NVMe through
# (vfio-pci) with a QMP socket. query-pci shows the guest's view: the host bridge's bus 0 with
# the NVMe (Red Hat 1b36:0010, class 0x0108) and its BAR 0 where L2's Linux placed it;
# x-armpass-query-stats shows live what -d stats prints at exit (BAR 0 mapped, the MSI-X
# vectors on irqfds); device_del / device_add of it are refused with the reason (it is on the
# root bus, not in a pcie-root-port's slot); system_powerdown ends the run with status 0.
. /cases/lib.sh
bdf=0000:00:01.0
sock=/tmp/qmp.sock
log=/tmp/qmp-l2.log
bind_vfio_pci $bdf
q() { /progs/qmp-client --timeout 120 "$sock" "$@" > /tmp/q.out 2>&1; _st=$?; cat /tmp/q.out; return $_st; }
expect() { grep -q "$1" /tmp/q.out || { kill "$pid" 2>/dev/null; fail "$2"; }; }
/armpass -M virt,gic-version=3 -smp 2 -m 256M -kernel /Image -initrd /l2.cpio.gz \
    -append "console=ttyAMA0 quiet l2case=qmp" -device vfio-pci,host=$bdf \
    -qmp "unix:$sock,server=on,wait=off" > "$log" 2>&1 &
pid=$!
i=0
until tr -d '\r' < "$log" | grep -q 'L2-QMP-READY'; do
    kill -0 "$pid" 2>/dev/null || { cat "$log"; fail "armpass died before L2 was up"; }
    i=$((i + 1))
    [ "$i" -lt 1500 ] || { tail -n 30 "$log"; kill "$pid"; fail "L2 did not come up"; }
    sleep 0.2
done
q '{"execute": "query-pci"}' '{"execute": "x-armpass-query-stats"}' \
  '{"execute": "device_del", "arguments": {"id": "vfio-pci.0"}}' \
  '{"execute": "device_add", "arguments": {"driver": "vfio-pci", "host": "'$bdf'", "id": "nvme1"}}' ||
    fail "qmp-client: the queries did not complete"
expect '"vendor":6966' "query-pci: no Red Hat (0x1b36) device"
expect '"device":16,' "query-pci: no NVMe (0x0010)"
expect '"class_info":{"class":264}' "query-pci: no mass-storage NVMe class (0x0108)"
expect '"bar":0,"type":"memory","address":[1-9][0-9]*,"size":[1-9]' \
    "query-pci: BAR 0 is not placed (L2's Linux assigns it at boot)"
expect "vfio $bdf bar 0: trapped reads [0-9]*, writes [0-9]*, mmap'd areas [1-9]" \
    "x-armpass-query-stats: no mapped BAR 0 line for $bdf"
expect "vfio $bdf msix [0-9]* -> gsi [0-9]*: irqfd" "x-armpass-query-stats: no MSI-X line on an irqfd"
expect 'cannot be removed while the guest runs' "device_del of the NVMe: no reason given"
expect 'give bus=ID of an empty pcie-root-port' "device_add vfio-pci: no reason given"
q '{"execute": "system_powerdown"}' event:SHUTDOWN eof || { tail -n 20 "$log"; fail "system_powerdown"; }
wait "$pid"
st=$?
[ "$st" = 0 ] || { tail -n 20 "$log"; fail "armpass exited $st after system_powerdown, not 0"; }
pass
