#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Soak case soak-stopcont (run.py --nvme; suite soak, docs/hardening.md "Soak"): 50 QMP
# stop/cont pairs while L2 does NVMe I/O without pause (l2cases/soak-io.sh), each stop held
# 0.5 s (no I/O round may complete then) and each cont followed by 1 s in which I/O must go on.
# The guest's clock: armpass freezes the guest's virtual counter while stopped
# (kvm_pause_vcpus), so between an L2 line before the first stop and one after the last cont,
# L2's uptime (CLOCK_BOOTTIME, /proc/uptime) and its REALTIME (date +%s) must have advanced by
# L1's elapsed time less the time the guest was held, which L1 brackets: at least from each
# stop's reply to the sending of its cont, at most from the sending of each stop to its
# cont's reply; 0.5 s of slack for the console (and 1 s more for REALTIME's resolution); and
# the uptime never goes backwards. After the first pair and every pair after,
# armpass's snapshot (soak-lib.sh) must equal the one after the first. Count: soak_n 50.
. /cases/lib.sh
. /cases/soak-lib.sh
bdf=0000:00:01.0
sock=/tmp/qmp.sock
log=/tmp/l2.log
pairs=$(soak_n 50)
nvme_values
bind_vfio_pci $bdf
q() { /progs/qmp-client --timeout 60 "$sock" "$@" > /tmp/q.out 2>&1 || { cat /tmp/q.out; kill "$pid"; fail "qmp-client $*"; }; }
# next_tick: waits for L2's next I/O line; sets l1_cs (L1's uptime, cs, when it was seen),
# l2_up (L2's uptime, cs) and l2_real (L2's REALTIME, s).
next_tick() {
    _n=$(soak_io_ticks)
    _i=0
    while [ "$(soak_io_ticks)" -le "$_n" ]; do
        _i=$((_i + 1)); [ "$_i" -lt 3000 ] || { kill "$pid"; fail "no L2 I/O line within 60 s"; }
        sleep 0.02
    done
    l1_cs=$(uptime_cs)
    _l=$(soak_io_lines | tail -n 1)
    l2_up=$(echo "$_l" | sed -n 's/.* up=\([0-9]*\)\.\([0-9]*\) .*/\1\2/p' | sed 's/^0*//')
    l2_real=$(echo "$_l" | sed -n 's/.* real=\([0-9]*\).*/\1/p')
}
soak_io_start
next_tick
start_l1=$l1_cs start_up=$l2_up start_real=$l2_real
t0=$(date +%s)
held_min=0 held_max=0
p=0
while [ "$p" -lt "$pairs" ]; do
    p=$((p + 1))
    s_before=$(uptime_cs)
    q '{"execute": "stop"}' event:STOP
    s_after=$(uptime_cs)
    grep -q '"event":"STOP"' /tmp/q.out || { kill "$pid"; fail "pair $p: no STOP event"; }
    sleep 0.2
    n0=$(soak_io_ticks)
    sleep 0.5
    n1=$(soak_io_ticks)
    [ "$n1" = "$n0" ] || { kill "$pid"; fail "pair $p: L2 did $((n1 - n0)) I/O rounds while stopped"; }
    c_before=$(uptime_cs)
    q '{"execute": "cont"}' event:RESUME
    c_after=$(uptime_cs)
    held_min=$((held_min + c_before - s_after))
    held_max=$((held_max + c_after - s_before))
    sleep 1
    n2=$(soak_io_ticks)
    if [ "$n2" -le "$n1" ]; then
        sleep 4
        n2=$(soak_io_ticks)
        [ "$n2" -gt "$n1" ] || { kill "$pid"; tail -n 20 "$log"; fail "pair $p: L2's I/O did not go on within 5 s of cont"; }
    fi
    if [ "$p" = 1 ]; then
        soak_snapshot "$pid" "$sock" /tmp/soak.ref || { kill "$pid"; fail "no snapshot after pair 1"; }
        echo "SOAK: soak-stopcont after pair 1: $(soak_summary /tmp/soak.ref)"
    else
        soak_check "$pid" "$sock" /tmp/soak.ref "after pair $p"
    fi
    [ $((p % 10)) = 0 ] && echo "soak-stopcont: $p of $pairs pairs, $(($(date +%s) - t0)) s, held $held_min..$held_max cs"
done
t1=$(date +%s)
echo "SOAK: soak-stopcont after pair $pairs: $(soak_summary /tmp/soak-now)"
next_tick
l1_d=$((l1_cs - start_l1)) up_d=$((l2_up - start_up)) real_d=$((l2_real - start_real))
# The guest was held at least from each stop's reply to the moment its cont was sent (L1's
# clock: held_min) and at most from the moment each stop was sent to its cont's reply
# (held_max); its clocks must have advanced by L1's elapsed time less something in between,
# give or take 0.5 s for the two console lines' latency (1 s resolution more for REALTIME).
lo=$((l1_d - held_max - 50)) hi=$((l1_d - held_min + 50))
echo "SOAK: soak-stopcont clock: L1 elapsed ${l1_d} cs, guest held ${held_min}..${held_max} cs in $pairs stops; L2 uptime advanced ${up_d} cs (want ${lo}..${hi}), L2 REALTIME ${real_d} s (want $(((lo - 100) / 100))..$(((hi + 199) / 100)))"
[ "$up_d" -ge "$lo" ] && [ "$up_d" -le "$hi" ] ||
    { kill "$pid"; fail "L2's uptime advanced ${up_d} cs over ${l1_d} cs of L1 with ${held_min}..${held_max} cs held: not in ${lo}..${hi}"; }
[ $((real_d * 100)) -ge $((lo - 100)) ] && [ $((real_d * 100)) -le $((hi + 100)) ] ||
    { kill "$pid"; fail "L2's REALTIME advanced ${real_d} s over ${l1_d} cs of L1 with ${held_min}..${held_max} cs held: not in $((lo - 100))..$((hi + 100)) cs"; }
soak_io_lines | sed -n 's/^L2-SOAK-IO: n=[0-9]* .* up=\([0-9.]*\) .*/\1/p' | sed 's/\.//; s/^0*//' |
    awk 'NR > 1 && $1 < prev { print "L2 uptime went back from " prev " to " $1 " cs"; exit 1 } { prev = $1 }' ||
    { kill "$pid"; fail "L2's clock went backwards"; }
q '{"execute": "quit"}' event:SHUTDOWN eof
wait "$pid"
st=$?
[ "$st" = 0 ] || { tail -n 20 "$log"; fail "armpass exited $st after quit"; }
soak_io_intact
tr -d '\r' < "$log" | grep -iE 'nvme.*(timeout|reset)' | head -n 3
echo "SOAK: soak-stopcont: $pairs stop/cont pairs during NVMe I/O in $((t1 - t0)) s; L2 did $(soak_io_ticks) I/O rounds, all intact"
rebind_host $bdf nvme
host_disk=$(nvme_disk $bdf) || fail "after the soak L1's nvme driver gave no namespace for $bdf"
[ "$(disk_read "$host_disk" 0)" = "$nvme_marker" ] || fail "after the soak L1 reads no marker at block 0"
pass
