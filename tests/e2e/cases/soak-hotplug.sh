#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Soak case soak-hotplug (run.py --nvme; suite soak, docs/hardening.md "Soak"): 200 cycles of
# QMP device_add / read / device_del of L0's NVMe (vfio-pci in L1) in a pcie-root-port of a
# running L2, in two guests of 100 cycles each: first an L2 on MSI-X (pciehp on the port's
# MSI, the NVMe's queues on MSI-X through the ITS), then one booted with pci=nomsi (pciehp
# on the port's INTA, the NVMe on INTx). Alternating per guest, not per cycle: a guest's
# kernel takes pci=nomsi at boot, so per-cycle alternation would mean a reboot per cycle,
# and the reboot soak covers reboots. Each cycle L2 reads the marker at block 0, writes
# "soak-hp=N" at block 3 (fsync) and reads it back. After every cycle's DEVICE_DELETED (and
# while the device is in, after L2's read) armpass's snapshot (soak-lib.sh) must equal the
# one after the first cycle of that guest. Counts: soak_n 100 per guest ($SOAK_SCALE);
# SOAK_KINDS (armpass.soak_kinds= on L1's command line: "intx", "msix") runs one guest only.
. /cases/lib.sh
. /cases/soak-lib.sh
bdf=0000:00:01.0
sock=/tmp/qmp.sock
log=/tmp/l2.log
per_guest=$(soak_n 100)
nvme_values
bind_vfio_pci $bdf
q() {
    /progs/qmp-client --timeout 120 "$sock" "$@" > /tmp/q.out 2>&1
}
# wait_log PATTERN N WHAT [SECONDS]: until PATTERN is on N lines of the log.
wait_log() {
    _i=0
    while [ "$(tr -d '\r' < "$log" | grep -c "$1")" -lt "$2" ]; do
        kill -0 "$pid" 2>/dev/null || { tail -n 40 "$log"; fail "$kind guest: armpass died waiting for $3"; }
        _i=$((_i + 1))
        [ "$_i" -lt $((${4:-180} * 5)) ] || { tail -n 40 "$log"; kill "$pid"; fail "$kind guest: timed out waiting for $3"; }
        grep -q '^L2-SOAK-HP: FAIL' "$log" && { tr -d '\r' < "$log" | sed -n '/^L2-SOAK-HP: FAIL/,$p' | head -n 60; kill "$pid"; fail "$kind guest: $(tr -d '\r' < "$log" | grep -m1 '^L2-SOAK-HP: FAIL' | cut -c1-200)"; }
        sleep 0.2
    done
}
t_all=$(date +%s)
for kind in ${SOAK_KINDS:-msix intx}; do
    nomsi=''
    [ "$kind" = intx ] && nomsi=' pci=nomsi'
    t0=$(date +%s)
    echo "+ /armpass ... -device pcie-root-port,id=rp0 -qmp unix:$sock ($kind guest, $per_guest cycles)"
    env $SOAK_ENV /armpass -M virt,gic-version=3 -smp 2 -m 256M -kernel /Image -initrd /l2.cpio.gz \
        -append "console=ttyAMA0 quiet l2case=soak-hotplug l2hold l2.marker=$nvme_marker l2.cycles=$per_guest$nomsi" \
        -device pcie-root-port,id=rp0,chassis=1,slot=1 \
        -qmp "unix:$sock,server=on,wait=off" > "$log" 2>&1 &
    pid=$!
    wait_log '^L2-SOAK-HP: READY' 1 "L2's pciehp on the root port" 300
    c=0
    while [ "$c" -lt "$per_guest" ]; do
        c=$((c + 1))
        q "{\"execute\": \"device_add\", \"arguments\": {\"driver\": \"vfio-pci\", \"host\": \"$bdf\", \"bus\": \"rp0\", \"id\": \"nvme0\"}}" ||
            { cat /tmp/q.out; kill "$pid"; fail "$kind guest, cycle $c: device_add did not complete"; }
        grep -q '"return":{}' /tmp/q.out || { cat /tmp/q.out; kill "$pid"; fail "$kind guest, cycle $c: device_add refused"; }
        wait_log "^L2-SOAK-HP: read $c " 1 "L2 to read the disk (cycle $c)" 240
        for _ in $(seq 1 100); do # the whole line: L2's console may still be writing it
            line=$(tr -d '\r' < "$log" | grep "^L2-SOAK-HP: read $c ")
            case $line in *" end") break ;; esac
            sleep 0.1
        done
        case $line in
        *"marker=ok write=ok irq=$( [ "$kind" = msix ] && echo msi || echo intx) end") ;;
        *) sleep 5; tr -d '\r' < "$log" | sed -n "/^L2-SOAK-HP: read $c /,\$p" | head -n 60
           kill "$pid"; fail "$kind guest, cycle $c: $line" ;;
        esac
        if [ "$c" = 1 ]; then
            soak_snapshot "$pid" "$sock" /tmp/soak-in.ref || { kill "$pid"; fail "$kind guest: no snapshot (device in)"; }
        else
            soak_check "$pid" "$sock" /tmp/soak-in.ref "$kind guest, cycle $c, device in"
            cp /tmp/soak-now /tmp/soak-in.last
        fi
        q '{"execute": "device_del", "arguments": {"id": "nvme0"}}' event:DEVICE_DELETED ||
            { cat /tmp/q.out; kill "$pid"; fail "$kind guest, cycle $c: no DEVICE_DELETED after device_del"; }
        wait_log "^L2-SOAK-HP: gone $c\$" 1 "L2 to see the NVMe go (cycle $c)" 120
        if [ "$c" = 1 ]; then
            soak_snapshot "$pid" "$sock" /tmp/soak-out.ref || { kill "$pid"; fail "$kind guest: no snapshot (device out)"; }
            echo "SOAK: soak-hotplug $kind after cycle 1, device in: $(soak_summary /tmp/soak-in.ref)"
            echo "SOAK: soak-hotplug $kind after cycle 1, device out: $(soak_summary /tmp/soak-out.ref)"
        else
            soak_check "$pid" "$sock" /tmp/soak-out.ref "$kind guest, cycle $c, device out"
            cp /tmp/soak-now /tmp/soak-out.last
        fi
        [ $((c % 10)) = 0 ] && echo "soak-hotplug: $kind guest: $c of $per_guest cycles, $(($(date +%s) - t0)) s, rss beyond guest RAM $(sed -n 's/^rss-beyond=//p' /tmp/soak-out.last) KiB, heap in use $(sed -n 's/^heap-bytes=//p' /tmp/soak-out.last) bytes"
    done
    echo "SOAK: soak-hotplug $kind after cycle $c, device in: $(soak_summary /tmp/soak-in.last)"
    echo "SOAK: soak-hotplug $kind after cycle $c, device out: $(soak_summary /tmp/soak-out.last)"
    wait_log '^L2-SOAK-HP: PASS' 1 "L2's PASS" 60
    q '{"execute": "quit"}' event:SHUTDOWN eof || { cat /tmp/q.out; fail "$kind guest: quit"; }
    wait "$pid"
    st=$?
    [ "$st" = 0 ] || { tail -n 20 "$log"; fail "$kind guest: armpass exited $st after quit"; }
    grep -i 'warning' "$log" | grep -v 'no-IOMMU' | head -n 5
    echo "SOAK: soak-hotplug $kind guest: $c cycles of device_add/read/device_del in $(($(date +%s) - t0)) s"
done
rebind_host $bdf nvme
host_disk=$(nvme_disk $bdf) || fail "after the soak L1's nvme driver gave no namespace for $bdf"
[ "$(disk_read "$host_disk" 0)" = "$nvme_marker" ] || fail "after the soak L1 reads no marker at block 0"
got=$(disk_read "$host_disk" 3 | tr -d '\000')
[ "$got" = "soak-hp=$per_guest" ] || fail "after the soak block 3 holds '$got', not soak-hp=$per_guest"
nk=$(echo ${SOAK_KINDS:-msix intx} | wc -w)
echo "SOAK: soak-hotplug: $((nk * per_guest)) cycles ($nk guests x $per_guest) in $(($(date +%s) - t_all)) s; L1 reads the marker and soak-hp=$per_guest back"
echo "ARMPASS-E2E-EXPECT-DISK disk=nvm0 offset=12288 text=soak-hp=$per_guest"
pass
