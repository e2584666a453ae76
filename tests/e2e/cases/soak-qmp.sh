#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Soak case soak-qmp (run.py --nvme; suite soak, docs/hardening.md "Soak"): 1,000 QMP client
# sessions against an armpass whose L2 does NVMe I/O all along (l2cases/soak-io.sh). Each
# session connects, reads the greeting, negotiates (qmp_capabilities), asks a query
# (query-status, query-pci, query-cpus-fast, query-version in turn), sends a malformed command
# (not JSON, a JSON array, an unknown command, an unexpected argument in turn), each answered,
# and disconnects; every 10th session instead goes away mid-command: in turn before the
# reply to a command it sent, and in the middle of a line. After session 1, and every 50
# sessions, armpass's snapshot (soak-lib.sh) must equal the one after session 1 (the
# snapshot's own query-stats session is not counted). L2's I/O must go on with its data
# intact throughout. Count: soak_n 1000 ($SOAK_SCALE).
. /cases/lib.sh
. /cases/soak-lib.sh
bdf=0000:00:01.0
sock=/tmp/qmp.sock
log=/tmp/l2.log
sessions=$(soak_n 1000)
nvme_values
bind_vfio_pci $bdf
soak_io_start
queries='query-status query-pci query-cpus-fast query-version'
t0=$(date +%s)
dropped=0 answered=0
s=0
while [ "$s" -lt "$sessions" ]; do
    s=$((s + 1))
    qn=$(echo $queries | cut -d' ' -f$((s % 4 + 1)))
    case $((s % 4)) in
    0) bad='raw:this is not JSON' want='JSON parse error' ;;
    1) bad='raw:[1,2,3]' want='QMP input must be a JSON object' ;;
    2) bad='{"execute": "no-such-command"}' want='"class":"CommandNotFound"' ;;
    3) bad='{"execute": "query-status", "arguments": {"x": 1}}' want="Parameter 'x' is unexpected" ;;
    esac
    case $((s % 20)) in
    9|19)
        if [ $((s % 20)) = 9 ]; then
            drop='send:{"execute": "query-pci"}'      # gone before the reply
        else
            drop='part:{"execute": "query-sta'       # gone mid-line
        fi
        /progs/qmp-client --timeout 60 "$sock" "{\"execute\": \"$qn\"}" "$drop" > /tmp/q.out 2>&1 ||
            { cat /tmp/q.out; kill "$pid"; fail "session $s (dropped mid-command): qmp-client failed"; }
        dropped=$((dropped + 1)) ;;
    *)
        /progs/qmp-client --timeout 60 "$sock" "{\"execute\": \"$qn\"}" "$bad" > /tmp/q.out 2>&1 ||
            { cat /tmp/q.out; kill "$pid"; fail "session $s: qmp-client failed"; }
        grep -q "$want" /tmp/q.out || { cat /tmp/q.out; kill "$pid"; fail "session $s: the malformed command was not answered with $want"; }
        answered=$((answered + 1)) ;;
    esac
    grep -q '"return"' /tmp/q.out || { cat /tmp/q.out; kill "$pid"; fail "session $s: no answer to $qn"; }
    if [ "$s" = 1 ]; then
        soak_snapshot "$pid" "$sock" /tmp/soak.ref || { kill "$pid"; fail "no snapshot after session 1"; }
        echo "SOAK: soak-qmp after session 1: $(soak_summary /tmp/soak.ref)"
    elif [ $((s % 50)) = 0 ] || [ "$s" = "$sessions" ]; then
        soak_check "$pid" "$sock" /tmp/soak.ref "after session $s"
        echo "soak-qmp: $s of $sessions sessions, $(($(date +%s) - t0)) s, L2 I/O ticks $(soak_io_ticks)"
    fi
done
t1=$(date +%s)
echo "SOAK: soak-qmp after session $sessions: $(soak_summary /tmp/soak-now)"
before=$(soak_io_ticks)
sleep 2
[ "$(soak_io_ticks)" -gt "$before" ] || { kill "$pid"; fail "L2's I/O stopped after the sessions"; }
/progs/qmp-client --timeout 60 "$sock" '{"execute": "quit"}' event:SHUTDOWN eof > /tmp/q.out 2>&1 ||
    { cat /tmp/q.out; fail "quit after the sessions"; }
wait "$pid"
st=$?
[ "$st" = 0 ] || { tail -n 20 "$log"; fail "armpass exited $st after quit"; }
soak_io_intact
echo "SOAK: soak-qmp: $sessions sessions ($answered answered in full, $dropped dropped mid-command) in $((t1 - t0)) s; L2 did $(soak_io_ticks) I/O rounds meanwhile, all intact"
rebind_host $bdf nvme
host_disk=$(nvme_disk $bdf) || fail "after the soak L1's nvme driver gave no namespace for $bdf"
[ "$(disk_read "$host_disk" 0)" = "$nvme_marker" ] || fail "after the soak L1 reads no marker at block 0"
pass
