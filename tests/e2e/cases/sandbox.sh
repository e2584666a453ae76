#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# e2e case sandbox (docs/hardening.md): -sandbox on. While the guest runs, armpass holds no
# capability, has no_new_privs and a seccomp filter (from /proc/PID/status); the guest's RTC
# works through irqfd and through the userspace fallback (main loop under the filter); -d stats
# still reads /proc/self; a guest reset exits with status 3. Then the cost on the trapped path:
# fw-cfg reads with and without the filter, alternating (printed, not judged).
. /cases/lib.sh
bind_vfio amba 9010000.pl031 vfio-amba
bind_vfio platform 9020000.fw-cfg vfio-platform
rtc="-device vfio-amba,host=9010000.pl031,noiommu=on"
fw="-device vfio-platform,host=9020000.fw-cfg,noiommu=on"
boot="-M virt -smp 2 -m 256M -kernel /Image -initrd /l2.cpio.gz"

for irqfd in on off; do
    before=$(date +%s)
    : > /tmp/l2.log   # emptied first: the wait below must not see the previous run's lines
    # shellcheck disable=SC2086
    /armpass -sandbox on -d stats $boot -append "console=ttyAMA0 quiet l2case=rtc" \
        -device "vfio-amba,host=9010000.pl031,noiommu=on,x-irqfd=$irqfd" > /tmp/l2.log 2>&1 &
    pid=$!
    i=0
    until grep -q 'L2-RTC: name' /tmp/l2.log; do
        i=$((i + 1)); [ "$i" -lt 300 ] || { cat /tmp/l2.log; kill "$pid"; fail "the guest did not start"; }
        sleep 0.2
    done
    grep -E '^(CapEff|CapPrm|CapBnd|NoNewPrivs|Seccomp):' /proc/"$pid"/status | tr '\t' ' ' > /tmp/priv
    cat /tmp/priv
    grep -q '^CapEff: 0000000000000000' /tmp/priv || fail "x-irqfd=$irqfd: armpass kept capabilities"
    grep -q '^CapPrm: 0000000000000000' /tmp/priv || fail "x-irqfd=$irqfd: armpass kept permitted capabilities"
    grep -q '^NoNewPrivs: 1' /tmp/priv || fail "x-irqfd=$irqfd: no_new_privs is not set"
    grep -q '^Seccomp: 2' /tmp/priv || fail "x-irqfd=$irqfd: no seccomp filter"
    wait "$pid"
    status=$?
    after=$(date +%s)
    tr -d '\r' < /tmp/l2.log | grep -E 'armpass|L2-RTC'
    [ "$status" = 0 ] || fail "x-irqfd=$irqfd: armpass -sandbox on exited $status"
    ! grep -q 'sandbox: blocked' /tmp/l2.log || fail "x-irqfd=$irqfd: the filter blocked a system call"
    check_rtc_time "$before" "$after"
    check_rtc_alarms
    grep -q 'rss: peak [1-9]' /tmp/l2.log || fail "x-irqfd=$irqfd: -d stats could not read /proc/self"
done

# shellcheck disable=SC2086
run_armpass 120 /tmp/l2.log -sandbox on $boot -append "console=ttyAMA0 quiet l2case=reboot" $rtc $fw
[ "$status" = 3 ] || fail "-sandbox on: a guest reset gave status $status, not 3"

# The trapped path with and without the filter, alternating.
for round in 1 2 3; do
    for sb in off on; do
        # shellcheck disable=SC2086
        run_armpass 300 /tmp/l2.log -sandbox "$sb" $boot \
            -append "console=ttyAMA0 quiet l2case=timing" $fw > /dev/null
        [ "$status" = 0 ] || fail "timing run (sandbox $sb) exited $status"
        ns=$(tr -d '\r' < /tmp/l2.log | grep -o 'ns_per_access=[0-9]*' | cut -d= -f2)
        echo "ARMPASS-SANDBOX-COST round=$round sandbox=$sb ns_per_trapped_read=$ns"
    done
done
pass
