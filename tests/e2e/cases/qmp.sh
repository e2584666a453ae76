#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# e2e case qmp (docs/operating.md): /progs/qmp-client speaks QMP to armpass in L1 while L2
# prints a counter every 100 ms (l2case=qmp). Queries; bad input answered with QMP errors
# while the guest runs on; stop freezes L2's output and cont resumes it (STOP, RESUME), and
# L2's clock does not count the time it was stopped;
# system_reset (RESET) boots L2 again with the client still connected; system_powerdown
# presses the power button (POWERDOWN), L2 powers off (SHUTDOWN) and armpass exits 0. Then
# QEMU's -chardev/-mon spelling with -S (L2 waits for cont, prelaunch), a reset while stopped
# (L2 stays stopped until cont, then boots again) and quit, -sandbox on with queries and
# quit, and a reset with /dev/kvm passed in (-accel kvm,fd=): RESET, then SHUTDOWN, status 3.
. /cases/lib.sh
sock=/tmp/qmp.sock
log=/tmp/qmp-l2.log
# q [--no-negotiate] [--timeout S] STEP...: /progs/qmp-client on $sock, its output in /tmp/q.out.
q() {
    _o=''
    while [ "${1#--}" != "$1" ]; do
        if [ "$1" = --timeout ]; then _o="$_o $1 $2"; shift 2; else _o="$_o $1"; shift; fi
    done
    # shellcheck disable=SC2086
    /progs/qmp-client $_o "$sock" "$@" > /tmp/q.out 2>&1
    _st=$?
    cat /tmp/q.out
    return $_st
}
ticks() { tr -d '\r' < "$log" | grep -c '^L2-TICK'; }
# uptime_cs N: L2's uptime in centiseconds when it printed its Nth tick (/proc/uptime has two
# decimals).
uptime_cs() { tr -d '\r' < "$log" | grep '^L2-TICK' | sed -n "$1p" | awk '{ sub(/\./, "", $3); print $3 + 0 }'; }
# wait_log PATTERN N WHAT: until PATTERN is on at least N lines of the log (60 s at most).
wait_log() {
    i=0
    while [ "$(tr -d '\r' < "$log" | grep -c "$1")" -lt "$2" ]; do
        kill -0 "$pid" 2>/dev/null || { cat "$log"; fail "armpass died waiting for $3"; }
        i=$((i + 1))
        [ "$i" -lt 300 ] || { tail -n 30 "$log"; kill "$pid"; fail "timed out waiting for $3"; }
        sleep 0.2
    done
}
expect() { grep -q "$1" /tmp/q.out || { kill "$pid" 2>/dev/null; fail "$2"; }; }

/armpass -M virt -smp 2 -m 256M -kernel /Image -initrd /l2.cpio.gz \
    -append "console=ttyAMA0 quiet l2case=qmp" \
    -qmp "unix:$sock,server=on,wait=off" > "$log" 2>&1 &
pid=$!
wait_log 'L2-QMP-READY' 1 "L2's power-button reader"
wait_log '^L2-TICK' 5 "L2's first ticks"

# Queries.
q '{"execute": "query-version"}' '{"execute": "query-status", "id": "s1"}' \
  '{"execute": "query-cpus-fast"}' '{"execute": "query-pci"}' '{"execute": "query-commands"}' \
  '{"execute": "x-armpass-query-stats"}' fd:myfd \
  '{"execute": "closefd", "arguments": {"fdname": "myfd"}}' ||
    fail "qmp-client: the queries did not complete"
expect '"package":"armpass' "query-version: no armpass package"
expect '"return":{"status":"running","running":true,"singlestep":false},"id":"s1"' \
    "query-status: not running, or the id was not echoed"
[ "$(grep -o '"cpu-index":[0-9]' /tmp/q.out | sort -u | wc -l)" -eq 2 ] ||
    fail "query-cpus-fast: not 2 vCPUs"
grep -q '"thread-id":0,"props"' /tmp/q.out && fail "query-cpus-fast: a vCPU with thread-id 0"
# vCPU 1's place in the topology is the one L2 sees (one package, one core per vCPU).
tr -d '\r' < "$log" | grep -q '^L2-TOPO cpu1 package 0 core 1$' ||
    { grep L2-TOPO "$log"; fail "L2 does not see vCPU 1 as core 1 of package 0"; }
expect '"cpu-index":1,[^}]*"props":{"socket-id":0,"cluster-id":0,"core-id":1,"thread-id":0}' \
    "query-cpus-fast: vCPU 1's props are not socket 0, cluster 0, core 1, thread 0"
expect '{"return":\[\]}' "query-pci: not [] for a guest without PCI devices"
expect '"name":"x-armpass-query-stats"' "query-commands lacks x-armpass-query-stats"
expect '"lines":\["armpass stats:"' "x-armpass-query-stats: no stats lines"
expect '"exits":{"total":[1-9]' "x-armpass-query-stats: no exits counted"

# Bad input: a command before negotiation, garbage, an unknown command, wrong argument types,
# device_add of a platform device and of a PCI one without a root port's bus=, device_del of
# nothing.
q --no-negotiate '{"execute": "query-status", "id": 1}' || fail "qmp-client (no negotiation)"
expect '"class":"CommandNotFound"' "a command before qmp_capabilities was not CommandNotFound"
before=$(ticks)
q 'raw:this is not JSON' 'raw:[1,2,3]' '{"execute": "no-such-command"}' \
  '{"execute": "getfd", "arguments": {"fdname": 5}}' '{"execute": "stop", "arguments": {"x": 1}}' \
  '{"execute": "device_add", "arguments": {"driver": "vfio-amba", "host": "9010000.pl031"}}' \
  '{"execute": "device_add", "arguments": {"driver": "vfio-pci", "host": "0000:00:01.0"}}' \
  '{"execute": "device_del", "arguments": {"id": "nothing"}}' \
  '{"execute": "query-status"}' || fail "qmp-client: the bad input did not complete"
expect 'JSON parse error' "garbage was not a JSON parse error"
expect 'QMP input must be a JSON object' "an array was not refused as such"
expect 'The command no-such-command has not been found' "unknown command: no CommandNotFound"
expect "Invalid parameter type for 'fdname', expected: string" "wrong argument type accepted"
expect "Parameter 'x' is unexpected" "an unexpected argument was accepted"
expect 'live in the device tree' "device_add of a platform device: no reason given"
expect 'give bus=ID of an empty pcie-root-port' "device_add vfio-pci: no reason given"
expect '"class":"DeviceNotFound"' "device_del of nothing: not DeviceNotFound"
expect '"status":"running"' "after bad input the guest is not running"
sleep 1
[ "$(ticks)" -gt $((before + 3)) ] || fail "the guest's output stopped after bad QMP input"
kill -0 "$pid" || fail "armpass died on bad QMP input"

# stop: no output while stopped; cont: output resumes, and L2's clock takes up where it
# stopped (QEMU's behaviour too): the uptime between the last tick before stop and the first
# after cont is far less than the 3.5 s it was stopped.
q '{"execute": "stop"}' event:STOP '{"execute": "query-status"}' || fail "qmp-client: stop"
expect '"status":"paused","running":false' "query-status after stop is not paused"
sleep 0.5
t1=$(ticks)
sleep 3
t2=$(ticks)
echo "stopped: $t1 ticks, 3 s later $t2"
[ "$t2" = "$t1" ] || fail "the guest printed $((t2 - t1)) ticks while stopped"
q '{"execute": "cont"}' event:RESUME '{"execute": "query-status"}' || fail "qmp-client: cont"
expect '"status":"running"' "query-status after cont is not running"
sleep 2
t3=$(ticks)
echo "resumed: $t3 ticks 2 s after cont"
[ "$t3" -gt $((t2 + 3)) ] || fail "the guest's output did not resume after cont ($t2 -> $t3)"
before_stop=$(uptime_cs "$t2")
after_cont=$(uptime_cs $((t2 + 1)))
gap=$((after_cont - before_stop))
echo "L2's uptime: ${before_stop} cs at the last tick before stop, ${after_cont} cs at the first after cont"
[ "$gap" -ge 0 ] && [ "$gap" -lt 150 ] ||
    fail "L2's clock moved ${gap} cs across a 3.5 s stop (it should stand still while stopped)"

# system_reset: RESET, L2 boots again; the client stays connected through it, then presses
# the power button: POWERDOWN, L2 powers off (SHUTDOWN, guest), armpass exits 0.
ups=$(tr -d '\r' < "$log" | grep -c 'ARMPASS-L2-UP')
/progs/qmp-client --timeout 120 "$sock" '{"execute": "system_reset"}' event:RESET \
    sleep:1000 '{"execute": "query-status", "id": "after-reset"}' > /tmp/q-reset.out 2>&1 &
rpid=$!
wait_log 'ARMPASS-L2-UP' $((ups + 1)) "L2 to boot again after system_reset"
wait_log 'L2-QMP-READY' 2 "L2's power-button reader after the reset"
wait "$rpid"
rst=$?
cat /tmp/q-reset.out
[ "$rst" = 0 ] || fail "qmp-client: system_reset (status $rst)"
grep -q '"status":"running".*"id":"after-reset"' /tmp/q-reset.out ||
    fail "the client connected before system_reset got no answer after it"
grep -q '"event":"RESET","data":{"guest":false,"reason":"host-qmp-system-reset"}' /tmp/q-reset.out ||
    fail "no RESET event for system_reset"
q --timeout 120 '{"execute": "system_powerdown"}' event:POWERDOWN event:SHUTDOWN eof ||
    { tail -n 20 "$log"; fail "qmp-client: system_powerdown"; }
expect '"event":"SHUTDOWN","data":{"guest":true,"reason":"guest-shutdown"}' \
    "SHUTDOWN after the power button does not say the guest shut down"
wait "$pid"
st=$?
tr -d '\r' < "$log" | grep -E 'armpass|L2-POWER|L2-QMP|ARMPASS-L2' | tail -n 12
tr -d '\r' < "$log" | grep -q 'L2-POWER-KEY pressed' || fail "L2 did not see KEY_POWER"
[ "$st" = 0 ] || fail "armpass exited $st after the guest powered off, not 0"
[ ! -e "$sock" ] || fail "the QMP socket file is left after exit"

# QEMU's spelling and -S: nothing runs until cont.
/armpass -S -M virt -m 256M -kernel /Image -initrd /l2.cpio.gz \
    -append "console=ttyAMA0 quiet l2case=qmp" \
    -chardev "socket,id=mon0,path=$sock,server=on,wait=off" -mon chardev=mon0,mode=control \
    > "$log" 2>&1 &
pid=$!
i=0
until [ -S "$sock" ]; do
    i=$((i + 1)); [ "$i" -lt 100 ] || fail "no QMP socket under -S"; sleep 0.1
done
q '{"execute": "query-status"}' || fail "qmp-client: query-status under -S"
expect '"status":"prelaunch","running":false' "query-status under -S is not prelaunch"
sleep 3
[ "$(tr -d '\r' < "$log" | grep -c 'ARMPASS-L2-UP')" = 0 ] ||
    { cat "$log"; fail "L2 booted before cont under -S"; }
q '{"execute": "cont"}' event:RESUME '{"execute": "query-status"}' || fail "qmp-client: cont after -S"
expect '"status":"running"' "query-status after cont (-S) is not running"
wait_log 'L2-QMP-READY' 1 "L2 under -chardev/-mon, after cont"
# A reset while stopped: RESET, the new boot waits for cont (paused), then L2 boots again.
q '{"execute": "stop"}' event:STOP '{"execute": "system_reset"}' event:RESET sleep:2000 \
  '{"execute": "query-status"}' || fail "qmp-client: system_reset while stopped"
expect '"status":"paused","running":false' "after a reset while stopped the guest is not paused"
[ "$(tr -d '\r' < "$log" | grep -c 'ARMPASS-L2-UP')" = 1 ] ||
    fail "L2 booted again after a reset while stopped, before cont"
q '{"execute": "cont"}' event:RESUME || fail "qmp-client: cont after the reset"
wait_log 'ARMPASS-L2-UP' 2 "L2 to boot again after cont"
wait_log 'L2-QMP-READY' 2 "L2's power-button reader after the reset"
# quit while the vCPUs are stopped.
q '{"execute": "stop"}' '{"execute": "quit"}' event:SHUTDOWN eof ||
    fail "qmp-client: quit while stopped"
expect '"reason":"host-qmp-quit"' "SHUTDOWN after quit does not say host-qmp-quit"
wait "$pid"
st=$?
[ "$st" = 0 ] || fail "armpass exited $st after quit (the vCPUs stopped), not 0"

# -sandbox on: QMP works under the seccomp filter (accept, recvmsg, send; getfd).
/armpass -sandbox on -d stats -M virt -m 256M -kernel /Image -initrd /l2.cpio.gz \
    -append "console=ttyAMA0 quiet l2case=qmp" -qmp "unix:$sock,server=on,wait=off" \
    > "$log" 2>&1 &
pid=$!
wait_log 'L2-QMP-READY' 1 "L2 under -sandbox on"
q '{"execute": "query-status"}' '{"execute": "x-armpass-query-stats"}' fd:sandboxed \
  '{"execute": "stop"}' '{"execute": "cont"}' raw:garbage '{"execute": "quit"}' eof ||
    { cat "$log"; fail "qmp-client under -sandbox on"; }
expect '"lines":\["armpass stats:"' "x-armpass-query-stats under -sandbox on"
wait "$pid"
st=$?
grep -q 'blocked system call' "$log" && { cat "$log"; fail "the sandbox blocked a QMP system call"; }
[ "$st" = 0 ] || { tail -n 20 "$log"; fail "armpass under -sandbox on exited $st after quit"; }
# Descriptors passed in cannot be opened again for a new VM: system_reset ends armpass (status
# 3), and the client hears RESET and then SHUTDOWN.
/armpass -accel kvm,fd=3 -M virt -m 256M -kernel /Image -initrd /l2.cpio.gz \
    -append "console=ttyAMA0 quiet l2case=qmp" -qmp "unix:$sock,server=on,wait=off" \
    > "$log" 2>&1 3<>/dev/kvm &
pid=$!
wait_log 'L2-QMP-READY' 1 "L2 with -accel kvm,fd=3"
q '{"execute": "system_reset"}' event:RESET event:SHUTDOWN eof ||
    { tail -n 20 "$log"; fail "qmp-client: system_reset with a passed /dev/kvm"; }
expect '"event":"SHUTDOWN","data":{"guest":false,"reason":"host-qmp-system-reset"}' \
    "SHUTDOWN after system_reset with a passed /dev/kvm does not say host-qmp-system-reset"
wait "$pid"
st=$?
[ "$st" = 3 ] || { tail -n 20 "$log"; fail "armpass exited $st after system_reset with fd=, not 3"; }
pass
