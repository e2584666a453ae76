#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# e2e case vcpu-features (docs/user-guide.md, "The vCPU"; run.py --qemu-peer): what -cpu host
# gives L2, against Debian's QEMU -cpu host on the same L1 as the reference.
# 1. armpass with no -cpu: L2 (l2cases/cpu.sh) counts cycles through the PMU (whose overflow
#    interrupts arrive on INTID 23), runs an SVE reduction and pointer authentication; it resets once and at its second boot has the same
#    Features line and the same checks pass (a reset rebuilds the VM: the features survive).
# 2. QEMU -cpu host: L2's Features line is armpass's, its longest SVE vector length too.
# 3. armpass -cpu host,pmu=off,pauth=off,sve256=on: no PMU, no pointer authentication, SVE
#    capped at 256 bits (32 bytes); 4. -cpu max,sve=off: no SVE, the PMU and PAuth still there
#    (with 2 vCPUs: vCPU 1 runs only if its PMU was initialised too).
# One vCPU elsewhere (a 2-vCPU L2 boots 2.5 times slower in the bed), and the runs two at a
# time (L1 has two CPUs), to keep the case short.
# 5. A vector-length choice KVM cannot give: one line, status 1, no guest.
# shellcheck source=tests/e2e/cases/lib.sh
. /cases/lib.sh
Q=/qemu/qemu-system-aarch64
[ -x $Q ] || fail "no $Q in L1 (run.py --qemu-peer)"
L2="-M virt,gic-version=3 -m 256M -kernel /Image -initrd /l2.cpio.gz"
APPEND="console=ttyAMA0 quiet l2case=cpu"
echo "L1 $(grep -m 1 '^Features' /proc/cpuinfo | tr -s ' \t' ' ')"
# What L1's KVM gives a vCPU (dumpdtb creates the vCPUs, runs no guest).
/armpass -M virt,dumpdtb=/tmp/cpu.dtb -d debug -smp 2 2>&1 | grep -E 'vCPUs created|PMU:' ||
    fail "armpass -d debug said nothing of its vCPUs"

# features LOG [N]: the Features line of L2's Nth boot (default the first) in LOG.
features() { tr -d '\r' < "$1" | grep '^L2-CPU: Features' | sed -n "${2:-1}p" | sed 's/^L2-CPU: //'; }
# check LOG N WHAT: the value of WHAT (e.g. pmu, cycles) on the Nth boot's CPU-CHECK lines.
check() {
    tr -d '\r' < "$1" | awk -v n="$2" -v k="$3" '
        /^L2-CPU: done/ { boot++ }
        /^L2-CPU-CHECK / && boot == n - 1 {
            for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) print kv[2] } }' |
        head -n 1
}
# irq LOG N WHAT: intid or overflows of the Nth boot's PMU interrupt line.
irq() {
    tr -d '\r' < "$1" | grep '^L2-CPU: pmu_irq' | sed -n "${2}p" | grep -o "$3=[^ ]*" | cut -d= -f2
}
# pauth_ok LOG N: the Nth boot signed and authenticated pointers and made a PACGA code.
pauth_ok() {
    [ "$(check "$1" "$2" pauth)" = yes ] &&
        [ "$(check "$1" "$2" signed)$(check "$1" "$2" authed)$(check "$1" "$2" pacga)" = 111 ]
}
# has WORD LINE: the Features line holds the flag WORD.
has() { case " $2 " in *" $1 "*) return 0 ;; esac; return 1; }

# --- 1 and 2, side by side: armpass (a reset in between) and QEMU, one vCPU each -------------
t0=$(date +%s)
# shellcheck disable=SC2086
/armpass $L2 -smp 1 -append "$APPEND l2.reboot" > /tmp/ap.log 2>&1 &
pid=$!
# shellcheck disable=SC2086
timeout 240 $Q $L2 -cpu host -enable-kvm -smp 1 -display none -nodefaults -serial stdio \
    -nic none -append "$APPEND" > /tmp/q.log 2>&1 &
qpid=$!
i=0
while [ "$(grep -c '^L2-CPU: done' /tmp/ap.log)" -lt 2 ]; do
    kill -0 "$pid" 2>/dev/null || { tail -n 30 /tmp/ap.log; fail "armpass ended before the second boot"; }
    i=$((i + 1))
    [ "$i" -lt 1200 ] || { tail -n 30 /tmp/ap.log; kill "$pid"; fail "no second boot after 240 s"; }
    sleep 0.2
done
kill -TERM "$pid"
wait "$pid"
st=$?
wait "$qpid"
qst=$?
echo "vcpu-features: $(($(date +%s) - t0)) s for armpass's two boots beside QEMU's one"
tr -d '\r' < /tmp/ap.log | grep -E '^(L2-CPU|armpass)'
[ "$st" = 0 ] || fail "armpass exited $st on SIGTERM, not 0"
ap1=$(features /tmp/ap.log 1)
ap2=$(features /tmp/ap.log 2)
[ -n "$ap1" ] || fail "L2 printed no Features line"
[ "$ap1" = "$ap2" ] || fail "the guest reset changed L2's features: '$ap1' then '$ap2'"
for boot in 1 2; do
    [ "$(check /tmp/ap.log $boot pmu)" = yes ] ||
        fail "boot $boot: L2 counted no cycles (pmu=$(check /tmp/ap.log $boot pmu) why=$(check /tmp/ap.log $boot why))"
    [ "$(check /tmp/ap.log $boot cycles)" -gt 1000 ] ||
        fail "boot $boot: the PMU counted $(check /tmp/ap.log $boot cycles) cycles for a million-step loop"
    [ "$(irq /tmp/ap.log $boot intid)" = 23 ] && [ "$(irq /tmp/ap.log $boot overflows)" -gt 0 ] ||
        fail "boot $boot: no PMU overflow interrupt on INTID 23 ($(tr -d '\r' < /tmp/ap.log | grep pmu_irq))"
    [ "$(check /tmp/ap.log $boot sve)" = yes ] || fail "boot $boot: L2 has no SVE (an SVE instruction faulted)"
    pauth_ok /tmp/ap.log $boot || fail "boot $boot: L2's pointer authentication does not work"
done
for w in sve paca pacg; do
    has $w "$ap1" || fail "L2's Features line lacks $w: $ap1"
done
ap_max=$(check /tmp/ap.log 1 max_vl)
echo "vcpu-features: armpass: $ap1; cycles $(check /tmp/ap.log 1 cycles) ($(irq /tmp/ap.log 1 overflows) overflow interrupts on INTID $(irq /tmp/ap.log 1 intid)), then $(check /tmp/ap.log 2 cycles) after the reset; SVE vl $(check /tmp/ap.log 1 vl) bytes, longest $ap_max"

tr -d '\r' < /tmp/q.log | grep -E '^L2-CPU|qemu'
[ "$qst" = 0 ] || fail "QEMU exited $qst"
q=$(features /tmp/q.log)
echo "vcpu-features: QEMU:    $q; cycles $(check /tmp/q.log 1 cycles) ($(irq /tmp/q.log 1 overflows) overflow interrupts on INTID $(irq /tmp/q.log 1 intid)); SVE longest $(check /tmp/q.log 1 max_vl)"
[ "$q" = "$ap1" ] || fail "L2's Features differ: armpass '$ap1', QEMU -cpu host '$q'"
[ "$(check /tmp/q.log 1 max_vl)" = "$ap_max" ] ||
    fail "longest SVE vector length: armpass $ap_max bytes, QEMU $(check /tmp/q.log 1 max_vl)"
[ "$(check /tmp/q.log 1 pmu)" = yes ] || fail "QEMU's L2 counted no cycles: the bed, not armpass?"

# --- 3 and 4, side by side: each switch takes its feature out, and only it --------------------
t0=$(date +%s)
# shellcheck disable=SC2086
timeout 240 /armpass $L2 -smp 1 -cpu host,pmu=off,pauth=off,sve256=on -append "$APPEND" \
    > /tmp/off.log 2>&1 &
p3=$!
# shellcheck disable=SC2086
timeout 240 /armpass $L2 -smp 2 -cpu max,sve=off -append "$APPEND" > /tmp/nosve.log 2>&1 &
p4=$!
wait "$p3"
st3=$?
wait "$p4"
st4=$?
echo "vcpu-features: $(($(date +%s) - t0)) s for the two boots with switches off (1 and 2 vCPUs)"
tr -d '\r' < /tmp/off.log | grep -E '^(L2-CPU|armpass)'
[ "$st3" = 0 ] || fail "-cpu host,pmu=off,pauth=off,sve256=on: $(status_reason "$st3" 240)"
f=$(features /tmp/off.log)
[ "$(check /tmp/off.log 1 pmu)" = no ] || fail "pmu=off: L2 still counts cycles"
[ "$(check /tmp/off.log 1 pauth)" = no ] || fail "pauth=off: L2 still has pointer authentication"
! has paca "$f" && ! has pacg "$f" || fail "pauth=off: L2's Features still say paca/pacg: $f"
[ "$(check /tmp/off.log 1 sve)" = yes ] || fail "pmu=off,pauth=off took SVE away too"
[ "$(check /tmp/off.log 1 max_vl)" = 32 ] ||
    fail "sve256=on: L2's longest SVE vector length is $(check /tmp/off.log 1 max_vl) bytes, not 32"
tr -d '\r' < /tmp/nosve.log | grep -E '^(L2-CPU|armpass|ARMPASS-L2-UP)'
[ "$st4" = 0 ] || fail "-cpu max,sve=off: $(status_reason "$st4" 240)"
grep -q 'ARMPASS-L2-UP .*nproc=2' /tmp/nosve.log || fail "-cpu max,sve=off: L2 did not bring up its second vCPU"
f=$(features /tmp/nosve.log)
[ "$(check /tmp/nosve.log 1 sve)" = no ] && ! has sve "$f" || fail "sve=off: L2 still has SVE ($f)"
[ "$(check /tmp/nosve.log 1 pmu)" = yes ] || fail "sve=off took the PMU away too"
pauth_ok /tmp/nosve.log 1 || fail "sve=off took pointer authentication away too"

# --- 5: what KVM cannot give, said before any guest -------------------------------------------
# shellcheck disable=SC2086
/armpass $L2 -cpu host,sve128=off,sve256=on -append "$APPEND" > /tmp/bad.log 2>&1
st=$?
cat /tmp/bad.log
[ "$st" = 1 ] || fail "-cpu host,sve128=off,sve256=on: status $st, not 1"
[ "$(wc -l < /tmp/bad.log)" = 1 ] && grep -q 'KVM can only cap the vector length' /tmp/bad.log ||
    fail "-cpu host,sve128=off,sve256=on: not the one-line error"
! grep -q 'L2-CPU' /tmp/bad.log || fail "a guest ran despite the error"
pass
