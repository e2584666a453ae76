#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# e2e case memory (docs/user-guide.md, "Guest memory"; run.py --nvme, L1 with 3 GiB, a 1 GiB
# and a 2 MiB hugetlb pool, THP in madvise mode): guest RAM's backings, each with L0's NVMe
# passed through and read and written by L2 (l2case=mem runs l2cases/nvme.sh after it).
#  1. the default RAM: while L2 holds 150 MiB of tmpfs, armpass's guest-RAM mapping in L1's
#     /proc/PID/smaps is mostly AnonHugePages (and -d stats says so at exit); with
#     -M virt,thp=off the same mapping has none (so it is armpass's madvise that does it);
#  2. memory-backend-memfd,hugetlb=on,hugetlbsize=2M: L1's free 2 MiB pages drop by exactly
#     the guest's 128 while it runs and come back after, through the legacy container, and on
#     Linux 6.12 through iommufd too;
#  3. a 1 GiB hugetlb backend: the 1 GiB pool's one page is the guest's while it runs;
#  4. prealloc=on,prealloc-threads=2 (no device, held by -S): all of guest RAM is resident
#     before the first guest instruction; without prealloc almost none of it is;
#  5. bad input: each refused with one line, a non-zero exit and no guest.
. /cases/lib.sh
bdf=0000:00:01.0
mm=/sys/kernel/mm
pool2=$mm/hugepages/hugepages-2048kB
pool1g=$mm/hugepages/hugepages-1048576kB
nvme_values
echo "L1: THP $(cat $mm/transparent_hugepage/enabled); 2 MiB pool $(cat $pool2/free_hugepages) free of $(cat $pool2/nr_hugepages); 1 GiB pool $(cat $pool1g/free_hugepages 2>/dev/null) free of $(cat $pool1g/nr_hugepages 2>/dev/null)"
grep -q '\[madvise\]' $mm/transparent_hugepage/enabled || fail "L1's THP is not in madvise mode"
[ "$(cat $pool2/free_hugepages)" -ge 160 ] || fail "L1 has fewer than 160 free 2 MiB pages (run.py --append hugepages=)"
[ "$(cat $pool1g/free_hugepages 2>/dev/null)" = 1 ] || fail "L1 has no free 1 GiB page (run.py --append hugepagesz=1G hugepages=1)"
bind_vfio_pci $bdf
guest="-M virt,gic-version=3 -smp 2 -d stats -kernel /Image -initrd /l2.cpio.gz"
l2nvme="l2case=mem l2.marker=$nvme_marker l2.write=$nvme_write"
dev="-device vfio-pci,host=$bdf"

# start LOG ARGS...: armpass in the background, its output in LOG; $pid.
start() {
    _log=$1
    shift
    echo "+ /armpass $*"
    : > "$_log" # now, not in the child: wait_line must not read the last run's lines
    /armpass "$@" > "$_log" 2>&1 &
    pid=$!
}
# wait_line LOG PATTERN WHAT: until PATTERN is in LOG (300 s at most).
wait_line() {
    _i=0
    while ! tr -d '\r' < "$1" | grep -q "$2"; do
        kill -0 "$pid" 2>/dev/null || { tail -n 30 "$1"; fail "armpass ended before $3"; }
        _i=$((_i + 1))
        [ "$_i" -lt 1500 ] || { tail -n 30 "$1"; kill "$pid"; fail "timed out waiting for $3"; }
        sleep 0.2
    done
}
# finish WHAT: waits for armpass; it must exit 0 and L2's NVMe case must have passed.
finish() {
    wait "$pid"
    _st=$?
    [ "$_st" = 0 ] || { tail -n 30 /tmp/l2.log; fail "$1: armpass exited with status $_st"; }
    check_nvme_guest
    echo "$1: $(grep '^L2-NVME: PASS' /tmp/l2-nvme.txt)"
}
# vma FIELD SIZE_KIB: FIELD (kB) of armpass's mapping whose Size is SIZE_KIB in /proc/$pid/smaps.
vma() {
    awk -v want="$2" -v f="$1:" '
        /^[0-9a-f]+-[0-9a-f]+ / { n = 0 }
        $1 == "Size:" { n = ($2 == want) }
        n && $1 == f { print $2; exit }' "/proc/$pid/smaps"
}
stat_line() { tr -d '\r' < /tmp/l2.log | grep "^  guest RAM$1" | head -n 1; }

# 1. The default: THP, and thp=off for contrast.
for thp in on off; do
    mopt="-M virt,thp=$thp"
    # shellcheck disable=SC2086
    start /tmp/l2.log $guest $mopt -m 256M -append "console=ttyAMA0 quiet $l2nvme l2.fill=150 l2.hold=3" $dev
    wait_line /tmp/l2.log 'L2-MEM: filled' "L2 filled its RAM (thp=$thp)"
    rss=$(vma Rss 262144) huge=$(vma AnonHugePages 262144)
    echo "thp=$thp: armpass's 256 MiB guest-RAM mapping in L1: Rss $rss kB, AnonHugePages $huge kB"
    [ -n "$rss" ] && [ "$rss" -ge 153600 ] || fail "thp=$thp: guest RAM's Rss is '$rss' kB in L1, want at least the 150 MiB L2 filled"
    if [ $thp = on ]; then
        [ "$huge" -ge $((rss * 8 / 10)) ] || fail "thp=on: only $huge of $rss kB of guest RAM are AnonHugePages"
    else
        [ "$huge" = 0 ] || fail "thp=off: $huge kB of guest RAM are AnonHugePages, want 0"
    fi
    finish "thp=$thp"
    stat_line ': '
    stat_line ' huge pages'
    if [ $thp = on ]; then
        stat_line ': ' | grep -q 'anonymous, 256 MiB, 4 KiB pages, THP madvised' || fail "-d stats does not say the RAM is anonymous with THP"
        h=$(stat_line ' huge pages' | awk '{ print $5 }') r=$(stat_line ' huge pages' | awk '{ print $8 }')
        [ "$h" -ge $((r * 8 / 10)) ] || fail "-d stats: $h of $r KiB in huge pages at exit"
    else
        stat_line ': ' | grep -q 'no THP' || fail "-d stats does not say thp=off left THP off"
    fi
done

# 2. memfd hugetlb 2 MiB: the legacy container, and iommufd on 6.12.
backends=legacy
if [ -c /dev/iommu ]; then
    backends="legacy iommufd"
elif uname -r | grep -q '^6\.12'; then
    fail "Linux 6.12 without /dev/iommu: IOMMUFD?"
fi
for be in $backends; do
    d=$dev
    [ $be = iommufd ] && d="-object iommufd,id=io0 -device vfio-pci,host=$bdf,iommufd=io0"
    free0=$(cat $pool2/free_hugepages)
    # shellcheck disable=SC2086
    start /tmp/l2.log $guest -m 256M -object memory-backend-memfd,id=mem0,size=256M,hugetlb=on,hugetlbsize=2M \
        -M virt,memory-backend=mem0 -append "console=ttyAMA0 quiet $l2nvme l2.hold=2" $d
    wait_line /tmp/l2.log 'L2-NVME: controller' "L2 found the NVMe ($be)"
    free1=$(cat $pool2/free_hugepages)
    echo "memfd hugetlb 2M ($be): L1's free 2 MiB pages $free0 before, $free1 while L2 runs"
    [ $((free0 - free1)) = 128 ] || fail "memfd hugetlb 2M ($be): the pool dropped by $((free0 - free1)) pages, want the guest's 128"
    finish "memfd hugetlb 2M ($be)"
    stat_line ': '
    stat_line ': ' | grep -q 'memory-backend-memfd mem0, 256 MiB, 2 MiB pages (hugetlb)' || fail "-d stats does not name the hugetlb memfd"
    stat_line ' huge pages' | grep -q ': 262144 KiB of' || fail "-d stats: not all 256 MiB in hugetlb pages: $(stat_line ' huge pages')"
    [ $be = iommufd ] && { tr -d '\r' < /tmp/l2.log | grep -q "vfio $bdf dma (iommufd): [1-9]" || fail "the iommufd run did not map through iommufd"; }
    [ "$(cat $pool2/free_hugepages)" = "$free0" ] || fail "after the run L1 has $(cat $pool2/free_hugepages) free 2 MiB pages, $free0 before"
done

# 3. A 1 GiB page.
start /tmp/l2.log $guest -m 1G -object memory-backend-memfd,id=mem1,size=1G,hugetlb=on,hugetlbsize=1G \
    -M virt,memory-backend=mem1 -append "console=ttyAMA0 quiet $l2nvme l2.hold=2" $dev
wait_line /tmp/l2.log 'L2-NVME: controller' "L2 found the NVMe (1 GiB page)"
f=$(cat $pool1g/free_hugepages)
echo "memfd hugetlb 1G: L1's free 1 GiB pages while L2 runs: $f"
[ "$f" = 0 ] || fail "memfd hugetlb 1G: the 1 GiB pool still has $f free pages while the guest runs"
finish "memfd hugetlb 1G"
stat_line ': '
stat_line ': ' | grep -q '1 GiB, 1 GiB pages (hugetlb)' || fail "-d stats does not say 1 GiB pages"
[ "$(cat $pool1g/free_hugepages)" = 1 ] || fail "the 1 GiB page did not come back"

# 4. prealloc: all resident before the first instruction (-S holds it; no device pins it).
for pre in on off; do
    sock=/tmp/mem-qmp.sock
    rm -f $sock
    start /tmp/pre.log -M virt,gic-version=3 -d stats -kernel /Image -initrd /l2.cpio.gz \
        -object memory-backend-ram,id=p,size=256M,thp=off,prealloc=$pre,prealloc-threads=2 \
        -M virt,memory-backend=p -S -qmp unix:$sock,server=on,wait=off -append "console=ttyAMA0 quiet"
    i=0
    until [ -S $sock ]; do i=$((i + 1)); [ $i -lt 300 ] || fail "no QMP socket"; sleep 0.2; done
    /progs/qmp-client $sock '{"execute": "query-status"}' > /tmp/q.out 2>&1
    grep -q '"status":"prelaunch"' /tmp/q.out || { cat /tmp/q.out; fail "prealloc=$pre: not held in prelaunch"; }
    rss=$(vma Rss 262144)
    echo "prealloc=$pre: guest RAM resident before the first guest instruction: $rss kB of 262144"
    if [ $pre = on ]; then
        [ "$rss" = 262144 ] || fail "prealloc=on: only $rss of 262144 kB resident before the guest ran"
    else
        [ "$rss" -lt 26214 ] || fail "prealloc=off: $rss kB resident before the guest ran (the kernel's and initrd's pages only, want under 10%)"
    fi
    /progs/qmp-client $sock '{"execute": "quit"}' > /tmp/q.out 2>&1
    wait "$pid"
    if [ $pre = on ]; then
        tr -d '\r' < /tmp/pre.log | grep '^  guest RAM prealloc: .* with 2 threads' || fail "-d stats has no prealloc line with 2 threads"
    fi
done

# 5. Bad input.
guest="-M virt -kernel /Image -initrd /l2.cpio.gz"
refused pool-short "needs 256 huge pages of 2 MiB" "free" "hugepagesz=2M" "nr_hugepages" -- \
    -m 512M -object memory-backend-memfd,id=m,size=512M,hugetlb=on,hugetlbsize=2M -M virt,memory-backend=m $dev
# (arm64 with 4 KiB pages has pools of 64 KiB, 2 MiB, 32 MiB and 1 GiB, none of 512 MiB)
refused page-size "no pool of 512 MiB huge pages" "hugepagesz=512M" -- \
    -m 512M -object memory-backend-memfd,id=m,size=512M,hugetlb=on,hugetlbsize=512M -M virt,memory-backend=m $dev
refused page-multiple "not a multiple of its 1 GiB huge pages" -- \
    -m 1536M -object memory-backend-memfd,id=m,size=1536M,hugetlb=on,hugetlbsize=1G -M virt,memory-backend=m $dev
refused size-differs "-m 256M differs from the size of memory-backend m (512M)" -- \
    -m 256M -object memory-backend-ram,id=m,size=512M -M virt,memory-backend=m $dev
refused mem-path-missing "/nonexistent/huge" "mount -t hugetlbfs" -- -m 256M -mem-path /nonexistent/huge $dev
refused mem-path-not-hugetlbfs "not on hugetlbfs" "mount -t hugetlbfs" -- -m 256M -mem-path /tmp $dev
mkdir -p /dev/hugepages && mount -t hugetlbfs none /dev/hugepages || fail "cannot mount hugetlbfs"
refused mem-path-pool-short "huge pages of 2 MiB" "free" -- -m 2G -mem-path /dev/hugepages $dev
# RLIMIT_MEMLOCK: without CAP_IPC_LOCK (capability 14) and with 64 MiB, refused before
# anything opens /dev/kvm or VFIO.
REFUSED_PREFIX="/progs/capdrop 14"
ulimit -l 65536 || fail "cannot lower RLIMIT_MEMLOCK"
refused memlock-dma "RLIMIT_MEMLOCK is 64 MiB" "VFIO's DMA map (type1) locks 256 MiB" "ulimit -l 262144" "LimitMEMLOCK=" "CAP_IPC_LOCK" -- -m 256M $dev
refused memlock-lock "RLIMIT_MEMLOCK is 64 MiB" "mem-lock=on locks 256 MiB" -- -m 256M -overcommit mem-lock=on
REFUSED_PREFIX=
# With a noiommu-only guest nothing is pinned: no refusal for a low limit alone is tested
# here (the platform cases run as root).
rebind_host $bdf nvme
pass
