#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# e2e case host-faults (docs/hardening.md): what the host can get wrong. /dev/vfio missing,
# guest RAM the host cannot give (more than RAM + swap; an address-space limit), a host
# device-tree node that is empty: each a one-line error that says what to do, a non-zero
# exit, no guest, and the device fit for the next run. Then the device unbound from vfio
# while armpass runs: the kernel holds the unbind until armpass lets the device go; armpass
# keeps running, its guest powers off normally, and the unbind completes.
. /cases/lib.sh
guest="-M virt -m 128M -kernel /Image -initrd /l2.cpio.gz -append console=ttyAMA0"
dev="-device vfio-amba,host=9010000.pl031,noiommu=on"

# refused NAME WANT ARGS...: armpass must refuse with a one-line message containing WANT.
refused() {
    _name=$1 _want=$2
    shift 2
    timeout 60 /armpass "$@" > /tmp/fault.out 2>&1
    _st=$?
    _err=$(grep '^armpass: ' /tmp/fault.out | grep -v 'warning' | tail -n 1)
    echo "host-faults $_name: status $_st: $_err"
    [ "$_st" != 0 ] && [ "$_st" != 124 ] || { cat /tmp/fault.out; fail "$_name: armpass exited $_st, not an error"; }
    case $_err in
    *"$_want"*) ;;
    *) cat /tmp/fault.out; fail "$_name: the message does not say \"$_want\"" ;;
    esac
    ! grep -q 'ARMPASS-L2-UP\|Booting Linux' /tmp/fault.out || fail "$_name: a guest started"
    [ "$(grep -vc 'warning' /tmp/fault.out)" = 1 ] || { cat /tmp/fault.out; fail "$_name: more than one line"; }
}

bind_vfio amba 9010000.pl031 vfio-amba

# /dev/vfio gone (VFIO not loaded, or a /dev without it).
mv /dev/vfio /dev/vfio.hidden || fail "cannot hide /dev/vfio"
# shellcheck disable=SC2086
refused no-dev-vfio "VFIO is not loaded" $guest $dev
mv /dev/vfio.hidden /dev/vfio

# Guest RAM: more than the host has; then an address-space limit that mmap runs into.
# shellcheck disable=SC2086
refused ram-too-big "give a smaller -m" -M virt -m 200G -kernel /Image -initrd /l2.cpio.gz $dev
# shellcheck disable=SC2086
( ulimit -v 400000; refused ram-limit "cannot allocate guest RAM" -M virt -m 512M \
    -kernel /Image -initrd /l2.cpio.gz $dev ) || exit 1

# The host's device-tree node, emptied under armpass (a tmpfs over it).
node=$(readlink -f /sys/bus/amba/devices/9010000.pl031/of_node)
mount -t tmpfs none "$node" || fail "cannot cover $node"
# shellcheck disable=SC2086
refused node-vanished "compatible" $guest $dev
umount "$node"

# The device, after all that: a guest still reads the RTC and takes its alarms.
# shellcheck disable=SC2086
check_rtc_guest "after the host faults" $dev

# Unbound while in use: vfio_unregister_group_dev() waits for the device fd to close.
# shellcheck disable=SC2086
/armpass $guest -append "console=ttyAMA0 l2case=sleep5" $dev > /tmp/held.log 2>&1 &
ap=$!
i=0
until grep -q 'L2-SLEEP' /tmp/held.log; do
    i=$((i + 1)); [ "$i" -lt 300 ] || { cat /tmp/held.log; fail "the guest did not start"; }
    sleep 0.2
done
echo 9010000.pl031 > /sys/bus/amba/drivers/vfio-amba/unbind &
ub=$!
sleep 2
kill -0 "$ap" 2>/dev/null || { cat /tmp/held.log; fail "armpass died when its device was unbound"; }
kill -0 "$ub" 2>/dev/null && echo "unbind: held by the kernel while armpass runs"
wait "$ap"
st=$?
tr -d '\r' < /tmp/held.log | tail -n 5
[ "$st" = 0 ] || fail "armpass exited $st after its device was unbound under it"
i=0
while kill -0 "$ub" 2>/dev/null; do
    i=$((i + 1)); [ "$i" -lt 100 ] || fail "the unbind never completed after armpass exited"
    sleep 0.2
done
[ ! -e /sys/bus/amba/devices/9010000.pl031/driver ] || fail "9010000.pl031 is still bound"
# The next run sees a device not bound to vfio, and says so.
# shellcheck disable=SC2086
refused unbound "has no driver" $guest $dev
pass
