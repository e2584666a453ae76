#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# e2e case bad-input: each mistake a user can make with a passed-through device gives a clear
# one-line error, a non-zero exit, and no guest: a device still bound to its host driver, one
# that does not exist, vfio-amba given a platform device, a no-IOMMU group without noiommu=on,
# the same device twice, an irq-base= on an SPI the board keeps, and a group another armpass
# holds.
. /cases/lib.sh
guest="-M virt -m 128M -kernel /Image -initrd /l2.cpio.gz -append console=ttyAMA0"

# refused NAME WANT -device ARGS...: armpass must refuse with a message containing WANT.
refused() {
    _name=$1 _want=$2
    shift 2
    # shellcheck disable=SC2086
    timeout 60 /armpass $guest "$@" > /tmp/bad.out 2>&1
    _st=$?
    _err=$(grep '^armpass: ' /tmp/bad.out | grep -v 'warning' | tail -n 1)
    echo "bad-input $_name: status $_st: $_err"
    [ "$_st" != 0 ] && [ "$_st" != 124 ] || fail "$_name: armpass exited $_st, not an error"
    case $_err in
    *"$_want"*) ;;
    *) cat /tmp/bad.out; fail "$_name: the message does not say \"$_want\"" ;;
    esac
    ! grep -q 'ARMPASS-L2-UP\|Booting Linux' /tmp/bad.out || fail "$_name: a guest started"
    [ "$(grep -vc 'warning\|WARNING' /tmp/bad.out)" = 1 ] || { cat /tmp/bad.out; fail "$_name: more than one line"; }
}

bind_vfio amba 9010000.pl031 vfio-amba
bind_vfio platform 9020000.fw-cfg vfio-platform

refused host-driver "bound to" -device vfio-amba,host=9030000.pl061,noiommu=on
grep -q driver_override /tmp/bad.out || fail "host-driver: the message does not say how to bind vfio"
refused missing "9999000.nothing" -device vfio-amba,host=9999000.nothing,noiommu=on
refused wrong-kind "vfio-platform" -device vfio-amba,host=9020000.fw-cfg,noiommu=on
refused no-iommu "noiommu=on" -device vfio-amba,host=9010000.pl031
refused twice "already" -device vfio-amba,host=9010000.pl031,noiommu=on \
    -device vfio-amba,host=9010000.pl031,noiommu=on
# SPIs the board keeps: the host bridge's INTA (SPI 3) and a root port's slot line (SPI 20).
refused spi-host-bridge "SPI 3 is already in use" -device vfio-amba,host=9010000.pl031,noiommu=on,irq-base=3
refused spi-root-port "SPI 20 is already in use" -device vfio-amba,host=9010000.pl031,noiommu=on,irq-base=20

# The group held by another armpass, whose guest waits.
# shellcheck disable=SC2086
/armpass $guest -append "console=ttyAMA0 l2case=wait" \
    -device vfio-amba,host=9010000.pl031,noiommu=on > /tmp/holder.log 2>&1 &
holder=$!
for _ in $(seq 1 120); do
    grep -q 'L2-WAIT: holding' /tmp/holder.log && break
    sleep 0.5
done
grep -q 'L2-WAIT: holding' /tmp/holder.log || { cat /tmp/holder.log; fail "the holding guest did not start"; }
refused busy "busy" -device vfio-amba,host=9010000.pl031,noiommu=on
kill -TERM "$holder"
wait "$holder"
hs=$?
[ "$hs" = 0 ] || fail "the holding armpass exited $hs on SIGTERM, not 0"
pass
