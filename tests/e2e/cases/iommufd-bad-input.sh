#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# e2e case iommufd-bad-input (run.py --nvme; Linux 6.12): each mistake with the iommufd backend
# gives a one-line error, a non-zero exit and no guest:
#   - the pl031 (vfio-amba, a no-IOMMU group) with iommufd=: Linux has no cdev for a no-IOMMU
#     device, so the message says to use the legacy container (noiommu=on);
#   - iommufd= naming no -object iommufd;
#   - -object iommufd,fd=N where N is not /dev/iommu, and -device vfio-pci,...,fd=N where N is
#     not a VFIO device cdev (both /dev/null);
#   - the NVMe's cdev already bound: the same device twice in one armpass, then a second
#     armpass while a first one holds it through iommufd, and while a first one holds its group
#     through the legacy container (the holders end cleanly on SIGTERM).
. /cases/lib.sh
bdf=0000:00:01.0
guest="-M virt -m 128M -kernel /Image -initrd /l2.cpio.gz -append console=ttyAMA0"
[ -c /dev/iommu ] || fail "no /dev/iommu in L1: is L1 the 6.12 kernel (run.py --kernel-version 6.12)?"

# (a) the pl031: a no-IOMMU device has no cdev on 6.12.
bind_vfio amba 9010000.pl031 vfio-amba
for c in $(ls /sys/bus/amba/devices/9010000.pl031/vfio-dev 2>/dev/null); do
    [ ! -e "/dev/vfio/devices/$c" ] || fail "the no-IOMMU pl031 has a cdev /dev/vfio/devices/$c: the case's premise is gone"
    echo "iommufd-bad-input: the no-IOMMU pl031 is $c in sysfs (vfio-dev/) but has no /dev/vfio/devices/$c"
done
refused pl031-iommufd 9010000.pl031 no-IOMMU noiommu=on -- -object iommufd,id=io0 \
    -device vfio-amba,host=9010000.pl031,iommufd=io0

bind_vfio_pci $bdf
# (b) iommufd= naming no object.
refused no-object nosuch "-object iommufd,id=nosuch" -- -device vfio-pci,host=$bdf,iommufd=nosuch

# (c) descriptors of the wrong kind: /dev/null as the iommufd, and as the device cdev.
refused iommufd-fd-null "iommufd,id=io0,fd=9" /dev/iommu -- -object iommufd,id=io0,fd=9 -device vfio-pci,host=$bdf,iommufd=io0 9<>/dev/null
refused cdev-fd-null $bdf fd=9 "the cdev of $bdf" -- -object iommufd,id=io0 -device vfio-pci,host=$bdf,iommufd=io0,fd=9 9<>/dev/null

# (d) the cdev already bound: twice in one armpass, ...
refused twice $bdf already -- -object iommufd,id=io0 -device vfio-pci,host=$bdf,iommufd=io0 \
    -device vfio-pci,host=$bdf,iommufd=io0

# ... then by another armpass, whose guest waits (iommufd, then the legacy group).
hold() {
    _how=$1
    shift
    # shellcheck disable=SC2086
    /armpass $guest -append "console=ttyAMA0 l2case=wait" "$@" > /tmp/holder.log 2>&1 &
    holder=$!
    for _ in $(seq 1 240); do
        grep -q 'L2-WAIT: holding' /tmp/holder.log && break
        kill -0 "$holder" 2>/dev/null || break
        sleep 0.5
    done
    grep -q 'L2-WAIT: holding' /tmp/holder.log || { cat /tmp/holder.log; fail "the holding guest ($_how) did not start"; }
    echo "iommufd-bad-input: armpass $holder holds $bdf ($_how)"
}
unhold() {
    kill -TERM "$holder"
    wait "$holder"
    _hs=$?
    [ "$_hs" = 0 ] || { tail -n 5 /tmp/holder.log; fail "the holding armpass ($1) exited $_hs on SIGTERM, not 0"; }
}
hold iommufd -object iommufd,id=io0 -device vfio-pci,host=$bdf,iommufd=io0
refused bound-iommufd $bdf "already bound" -- -object iommufd,id=io0 -device vfio-pci,host=$bdf,iommufd=io0
unhold iommufd
hold legacy -device vfio-pci,host=$bdf
refused bound-legacy $bdf "another process holds" -- -object iommufd,id=io0 -device vfio-pci,host=$bdf,iommufd=io0
unhold legacy

rebind_host $bdf nvme
pass
