#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# e2e case pci-launch (run.py --nvme; Linux 6.12): armpass started the way a manager starts it,
# by /progs/vfio-launch (tests/progs/vfio-launch.c): as root it opens /dev/kvm, /dev/iommu and
# the NVMe's cdev, raises RLIMIT_MEMLOCK, drops to uid/gid 65534 with no capabilities, and execs
# armpass with -accel kvm,fd= -object iommufd,fd= -device vfio-pci,...,fd=. Before that, every
# file under /dev/vfio, /dev/iommu and /dev/kvm is made root's with mode 0600, so armpass could
# not have opened any of them by path: vfio-launch opens each as the unprivileged user after the
# drop, in the same run, and each must fail with EACCES. While the guest runs, armpass's
# /proc/PID/status must say uid 65534 and no effective or permitted capability, and its fds
# must include /dev/iommu and the cdev but no /dev/vfio group. The guest then does what
# pci-nvme's does (marker, write both ways, MSI-X on irqfds without wake-ups). First, the same
# launch with RLIMIT_MEMLOCK at 1 MiB must fail in one line naming RLIMIT_MEMLOCK.
# With LEGACY=1 (case pci-launch-legacy, Linux 6.1): the legacy container and group passed as
# -object vfio-container,id=ct0,fd= and -device vfio-pci,...,container=ct0,group-fd=.
. /cases/lib.sh
bdf=0000:00:01.0
uid=65534
nvme_values
host_disk=$(nvme_disk $bdf) || fail "L1's nvme driver gave no namespace for $bdf"
[ "$(disk_read "$host_disk" 0)" = "$nvme_marker" ] || fail "L1 reads no marker at block 0 of $host_disk"
bind_vfio_pci $bdf
group=/dev/vfio/$vfio_group

mode=iommufd launch_opts=''
probes="/dev/kvm /dev/vfio/vfio $group"
if [ -n "${LEGACY:-}" ]; then
    mode=legacy launch_opts=--legacy
else
    cdev=$(ls /sys/bus/pci/devices/$bdf/vfio-dev 2>/dev/null | head -n 1)
    [ -n "$cdev" ] && [ -c "/dev/vfio/devices/$cdev" ] ||
        fail "no VFIO device cdev for $bdf: is L1 the 6.12 kernel (run.py --kernel-version 6.12)?"
    cdev=/dev/vfio/devices/$cdev
    probes="$probes /dev/iommu $cdev"
fi

# Only root may open them, by path.
for f in $probes; do
    [ -c "$f" ] || fail "no $f in L1"
    chown 0:0 "$f" && chmod 0600 "$f" || fail "cannot chmod 0600 $f"
done
echo "L1: the files armpass must not open itself:"
# shellcheck disable=SC2086
ls -l $probes

# Pinned guest RAM is accounted to the user: with RLIMIT_MEMLOCK at 1 MiB the DMA map of a
# 128 MiB guest fails, in one line that says what to do, and no guest starts.
# shellcheck disable=SC2086
timeout 120 /progs/vfio-launch $launch_opts --uid $uid --gid $uid --memlock 1048576 --pci $bdf -- \
    /armpass -M virt -m 128M -kernel /Image -initrd /l2.cpio.gz -append console=ttyAMA0 > /tmp/memlock.out 2>&1
st=$?
err=$(grep '^armpass: ' /tmp/memlock.out | grep -v warning | tail -n 1)
echo "L1: with RLIMIT_MEMLOCK at 1 MiB: status $st: $err"
[ "$st" != 0 ] && [ "$st" != 124 ] || { cat /tmp/memlock.out; fail "with RLIMIT_MEMLOCK at 1 MiB armpass exited $st"; }
case $err in
*RLIMIT_MEMLOCK*) ;;
*) cat /tmp/memlock.out; fail "with RLIMIT_MEMLOCK at 1 MiB the message does not name RLIMIT_MEMLOCK" ;;
esac
! grep -q 'ARMPASS-L2-UP\|Booting Linux' /tmp/memlock.out || fail "with RLIMIT_MEMLOCK at 1 MiB a guest started"
[ "$(grep '^armpass: ' /tmp/memlock.out | grep -vc warning)" = 1 ] || { cat /tmp/memlock.out; fail "with RLIMIT_MEMLOCK at 1 MiB: more than one armpass line"; }

probe_args=''
for f in $probes; do probe_args="$probe_args --probe $f"; done
echo "+ /progs/vfio-launch $launch_opts --uid $uid --gid $uid$probe_args --pci $bdf -- /armpass ..."
# shellcheck disable=SC2086
( timeout 480 /progs/vfio-launch $launch_opts --uid $uid --gid $uid $probe_args --pci $bdf -- \
    /armpass -M virt,gic-version=3 -smp 2 -m 256M -d stats \
    -kernel /Image -initrd /l2.cpio.gz \
    -append "console=ttyAMA0 quiet l2case=nvme l2.marker=$nvme_marker l2.write=$nvme_write" \
    2>&1; echo "ARMPASS-LAUNCH-STATUS $?" ) > /tmp/l2.log &

# While the guest runs: who armpass is, and what it holds.
pid='' sampled=0
for _ in $(seq 1 600); do
    grep -q 'ARMPASS-LAUNCH-STATUS' /tmp/l2.log && break
    if grep -q 'ARMPASS-L2-UP' /tmp/l2.log; then
        pid=$(pidof armpass | cut -d' ' -f1)
        if [ -n "$pid" ] && grep -E '^(Uid|Gid|Groups|CapEff|CapPrm|CapInh|CapAmb):' "/proc/$pid/status" > /tmp/armpass-status.txt; then
            for fd in /proc/$pid/fd/*; do
                echo "${fd##*/} -> $(readlink "$fd")"
            done > /tmp/armpass-fds.txt
            sampled=1
            break
        fi
    fi
    sleep 0.2
done
while ! grep -q 'ARMPASS-LAUNCH-STATUS' /tmp/l2.log; do sleep 0.5; done
tr -d '\r' < /tmp/l2.log | grep -E '^(vfio-launch|VFIO-LAUNCH-PROBE|armpass:)' | head -n 30
status=$(sed -n 's/^ARMPASS-LAUNCH-STATUS //p' /tmp/l2.log)
echo "vfio-launch/armpass exited with status $status"

# The privileged files were out of the unprivileged user's reach, in this very run.
for f in $probes; do
    line=$(grep "^VFIO-LAUNCH-PROBE path=$f " /tmp/l2.log)
    case $line in
    *" uid=$uid result=EACCES "*) echo "L1: as uid $uid, open $f fails with EACCES" ;;
    *) fail "as uid $uid, open $f did not fail with EACCES: ${line:-no probe line}" ;;
    esac
done
grep -q "^vfio-launch: now uid $uid euid $uid gid $uid egid $uid, 0 supplementary groups, capabilities effective 0x0 permitted 0x0 inheritable 0x0" /tmp/l2.log ||
    fail "vfio-launch did not report the drop to uid $uid with no capabilities"
[ "$status" = 0 ] || fail "$(status_reason "$status" 480) (through vfio-launch)"

[ "$sampled" = 1 ] || fail "armpass's /proc status was not sampled while its guest ran"
echo "--- armpass's /proc/$pid/status while L2 ran ---"
cat /tmp/armpass-status.txt
echo "--- its open files ---"
cat /tmp/armpass-fds.txt
grep -q "^Uid:[[:space:]]*$uid[[:space:]]*$uid[[:space:]]*$uid[[:space:]]*$uid\$" /tmp/armpass-status.txt ||
    fail "armpass did not run as uid $uid: $(grep ^Uid /tmp/armpass-status.txt)"
for c in CapEff CapPrm CapInh CapAmb; do
    grep -q "^$c:[[:space:]]*0*\$" /tmp/armpass-status.txt ||
        fail "armpass ran with capabilities: $(grep "^$c" /tmp/armpass-status.txt)"
done
grep -q ' -> /dev/kvm$' /tmp/armpass-fds.txt || fail "armpass held no /dev/kvm descriptor"
if [ "$mode" = iommufd ]; then
    grep -q ' -> /dev/iommu$' /tmp/armpass-fds.txt || fail "armpass held no /dev/iommu descriptor"
    grep -q " -> $cdev\$" /tmp/armpass-fds.txt || fail "armpass held no descriptor of $cdev"
    ! grep -q " -> $group\$" /tmp/armpass-fds.txt || fail "armpass held the group $group in iommufd mode"
    ! grep -q ' -> /dev/vfio/vfio$' /tmp/armpass-fds.txt || fail "armpass held a legacy container in iommufd mode"
else
    grep -q ' -> /dev/vfio/vfio$' /tmp/armpass-fds.txt || fail "armpass held no container descriptor"
    grep -q " -> $group\$" /tmp/armpass-fds.txt || fail "armpass held no descriptor of $group"
fi

check_nvme_guest
check_nvme_stats $bdf
if [ "$mode" = iommufd ]; then
    grep -q "vfio $bdf dma (iommufd): [1-9][0-9]* mappings" /tmp/stats.txt ||
        fail "no '-d stats' line 'vfio $bdf dma (iommufd): N mappings, ...'"
fi
rebind_host $bdf nvme
host_disk=$(nvme_disk $bdf) || fail "after the run L1's nvme driver gave no namespace for $bdf"
got=$(disk_read "$host_disk" 1)
[ "$got" = "$nvme_write" ] || fail "L1 reads '$got' at block 1 of $host_disk, L2 wrote '$nvme_write'"
echo "L1: block 1 of $host_disk holds $got, written by L2 (armpass as uid $uid, $mode descriptors from vfio-launch)"
echo "ARMPASS-E2E-EXPECT-DISK disk=nvm0 offset=4096 text=$nvme_write"
pass
