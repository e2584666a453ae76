#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# e2e case boot: armpass boots L2 with 2 vCPUs and GIC version $GIC (default 3); L2 must come up, see both CPUs and power off (exit 0).
# shellcheck source=tests/e2e/cases/lib.sh
. /cases/lib.sh
gic=${GIC:-3}
limit=${L2_TIMEOUT:-240}

run_armpass "$limit" /tmp/l2.log -M "virt,gic-version=$gic" -smp 2 -m 256M \
    -kernel /Image -initrd /l2.cpio.gz \
    -append "console=ttyAMA0 earlycon=pl011,0x9000000 quiet l2case=boot"

if [ "$status" != 0 ]; then
    l1_context
    fail "$(status_reason "$status" "$limit")"
fi
up=$(grep -o 'ARMPASS-L2-UP .*' /tmp/l2.log | tr -d '\r' | head -n 1)
[ -n "$up" ] || fail "L2 never printed ARMPASS-L2-UP"
case "$up " in
*" nproc=2 "*) ;;
*) fail "L2 did not see 2 CPUs: $up" ;;
esac
pass
