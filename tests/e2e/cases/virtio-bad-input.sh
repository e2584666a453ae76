#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# e2e case virtio-bad-input (docs/virtio.md, "Bad input"): each refused with one line, a
# non-zero exit and no guest: no backend on the socket, a socket whose server is not a
# vhost-user backend (another armpass's QMP socket), guest RAM not shared, a tap that cannot be
# created (no CAP_NET_ADMIN), /dev/vhost-net and /dev/vhost-vsock missing, a guest CID another
# VM holds, a -netdev with a script.
. /cases/lib.sh
guest="-M virt,gic-version=3 -m 256M -kernel /Image -initrd /l2.cpio.gz"
shared="-object memory-backend-memfd,id=mem0,size=256M,share=on -M virt,memory-backend=mem0"

refused no-backend "cannot connect to /tmp/none.sock" "start the backend first" -- \
    $shared -chardev socket,id=c0,path=/tmp/none.sock -device vhost-user-blk-pci,chardev=c0
refused no-chardev "chardev=c9: no -chardev socket has that id" -- \
    $shared -device vhost-user-blk-pci,chardev=c9
refused not-shared "guest RAM is not shared" "share=on" -- \
    -chardev socket,id=c0,path=/tmp/none.sock -device vhost-user-blk-pci,chardev=c0

# Another armpass whose QMP socket is not a vhost-user backend; it also holds guest CID 3.
/armpass $guest -append "console=ttyAMA0 l2case=sleep5" -qmp unix:/tmp/other.sock,server=on,wait=off \
    -device vhost-vsock-pci,guest-cid=3 > /tmp/other.log 2>&1 &
other=$!
i=0
until [ -S /tmp/other.sock ]; do i=$((i + 1)); [ $i -lt 300 ] || { cat /tmp/other.log; fail "the other armpass made no QMP socket"; }; sleep 0.2; done
refused not-vhost-user "/tmp/other.sock" "not a vhost-user backend" -- \
    $shared -chardev socket,id=c0,path=/tmp/other.sock -device vhost-user-blk-pci,chardev=c0
refused cid-taken "guest-cid=3" "another VM on this host has that CID" -- \
    -device vhost-vsock-pci,guest-cid=3
refused cid-reserved "needs guest-cid=N, 3 to" -- -device vhost-vsock-pci,guest-cid=2
wait $other

REFUSED_PREFIX="/progs/capdrop 12" # CAP_NET_ADMIN
refused tap-missing "tap nosuchtap0" "ip tuntap add nosuchtap0 mode tap" -- \
    -netdev tap,id=n0,ifname=nosuchtap0,script=no,downscript=no,vhost=on -device virtio-net-pci,netdev=n0
REFUSED_PREFIX=
refused tap-script "armpass runs no scripts" -- \
    -netdev tap,id=n0,ifname=tap9,script=/etc/qemu-ifup,vhost=on -device virtio-net-pci,netdev=n0
refused netdev-missing "netdev=n7: no -netdev has that id" -- -device virtio-net-pci,netdev=n7

mv /dev/vhost-net /dev/vhost-net.hidden && mv /dev/vhost-vsock /dev/vhost-vsock.hidden || fail "cannot hide the vhost devices"
refused no-vhost-net "/dev/vhost-net" "modprobe vhost_net" -- \
    -netdev tap,id=n0,ifname=tap9,script=no,downscript=no,vhost=on -device virtio-net-pci,netdev=n0
refused no-vhost-vsock "/dev/vhost-vsock" "modprobe vhost_vsock" -- -device vhost-vsock-pci,guest-cid=4
mv /dev/vhost-net.hidden /dev/vhost-net && mv /dev/vhost-vsock.hidden /dev/vhost-vsock
pass
