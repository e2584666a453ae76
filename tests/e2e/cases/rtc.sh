#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# e2e case rtc: the pl031 via vfio-amba (mapped MMIO, level IRQ through irqfd + resamplefd);
# L2's rtc-pl031 binds, reads L1's time, two alarms fire, armpass handled no IRQ in userspace.
# With IRQFD=off (case rtc-userspace): the same through armpass's userspace fallback.
. /cases/lib.sh
bind_vfio amba 9010000.pl031 vfio-amba
irqfd=${IRQFD:-on}
before=$(date +%s)
run_armpass 120 /tmp/l2.log -M virt -smp 2 -m 256M -d stats \
    -kernel /Image -initrd /l2.cpio.gz -append "console=ttyAMA0 quiet l2case=rtc" \
    -device "vfio-amba,host=9010000.pl031,noiommu=on,x-irqfd=$irqfd"
after=$(date +%s)
[ "$status" = 0 ] || fail "$(status_reason "$status" 120)"
check_rtc_time "$before" "$after"
check_rtc_alarms
stats=$(grep 'vfio 9010000.pl031 irq 0' /tmp/l2.log)
echo "stats: $stats"
if [ "$irqfd" = on ]; then
    case $stats in
    *"(level): irqfd, userspace wakeups 0"*) ;;
    *) fail "the IRQ did not stay in the kernel: $stats" ;;
    esac
else
    case $stats in
    *"userspace, userspace wakeups 0"*) fail "the fallback handled nothing: $stats" ;;
    *userspace*) ;;
    *) fail "x-irqfd=off did not take the userspace path: $stats" ;;
    esac
fi
pass
