#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Virtio devices whose data path never enters the VMM (issue 19): a virtio 1.x PCI transport
# with vhost backends, in L1, with the VMM a variable: VMM=qemu (Debian's arm64 QEMU 7.2, the
# known-good peer; run by hand) or VMM=armpass (armpass.vmm=armpass on L1's command
# line: run.py --append armpass.vmm=armpass: the suite's virtio-vhost).
# Needs run.py --vhost: /qemu/qemu-system-aarch64 and /qemu/qemu-storage-daemon with their
# libraries, and /l2-root.img, an ext4 image of L2's tree (/init = l2-init) made on the host.
#
# Steps (L2's side: l2cases/virtio-peer.sh):
#  - qemu-storage-daemon serves /l2-root.img over vhost-user-blk (a unix socket, 2 queues);
#    L1 listens for TCP (port 5300) and AF_VSOCK (port 5200; L1 is CID 2); L1 gives tap0
#    192.168.76.1/24 once the VMM has created it.
#  - The VMM boots L2 with no initrd: root=/dev/vda rw init=/init, 2 vCPUs, 256 MiB of shared
#    memfd RAM (vhost-user needs the backend to map guest RAM), the vhost-user-blk disk, a
#    virtio-net NIC on tap0 with vhost=on, a vhost-vsock device with guest-cid=3. QEMU also
#    gets disable-legacy=on on the blk and net devices (on virt's root bus they would be
#    transitional, 0x1001 and 0x1000, with a legacy I/O BAR) and romfile= on the NIC.
#  - Boot 1: L2 sees the three virtio functions (1af4:1042 blk, 1af4:1041 net, 1af4:1053
#    vsock; modern-only, virtio 1.x) bound to their drivers, / is /dev/vda ext4 rw with 2
#    blk-mq queues; it writes a file holding this run's token, syncs, resets (reboot -f).
#  - Boot 2 (same VMM process, after the guest reset): the file is there; while L2 runs, the
#    VMM holds /dev/vhost-net, /dev/vhost-vsock and /dev/net/tun open and L1 has vhost-PID
#    worker threads for it; L2 pings L1 and L1 pings L2; 2 MiB of random bytes each way over
#    TCP, sha256 equal at both ends; an AF_VSOCK message each way, each answered; each of the
#    three functions took interrupts, all of them MSI-X (through L2's ITS).
#  - L2 powers off; the VMM exits 0; qemu-storage-daemon ends on SIGTERM.
#
# What the armpass variant expects of armpass (the same steps, only the command line differs):
#   /armpass -M virt,gic-version=3,memory-backend=mem0 -smp 2 -m 256M
#     -object memory-backend-memfd,id=mem0,size=256M,share=on
#     -kernel /Image -append "console=ttyAMA0 quiet root=/dev/vda rw init=/init l2case=virtio-peer l2.token=HEX l2.cid=3"
#     -chardev socket,id=c0,path=/tmp/vhost-blk.sock -device vhost-user-blk-pci,chardev=c0,num-queues=2
#     -netdev tap,id=n0,ifname=tap0,script=no,downscript=no,vhost=on -device virtio-net-pci,netdev=n0,mac=52:54:00:76:00:02
#     -device vhost-vsock-pci,guest-cid=3
# (no -initrd, no romfile=: armpass loads no option ROMs; no -d stats: nothing is asserted
# about armpass's counters yet). That is, of armpass:
#  - those options accepted exactly as QEMU spells them; L2's console on its stdout;
#  - the three devices on its PCIe host bridge as virtio 1.x (modern-only) functions with the
#    IDs above, which L2's virtio-pci binds; every interrupt of all three taken by L2 as
#    MSI-X through its ITS;
#  - vhost-user-blk with 2 queues against qemu-storage-daemon 7.2 (the backend maps the memfd
#    RAM it is sent), so that / on /dev/vda reads, writes and survives the reset;
#  - tap0 created by armpass itself (TUNSETIFF, script=no) with the data path handed to
#    /dev/vhost-net, and guest-cid 3 to /dev/vhost-vsock: the armpass process itself (pidof
#    armpass) holds /dev/net/tun, /dev/vhost-net and /dev/vhost-vsock open while L2 runs, and
#    so owns at least two vhost-PID workers;
#  - a guest reset (reboot -f) after which all three devices work in the next boot (armpass
#    rebuilds the VM: the vhost-user session and the vhost devices are set up again, the
#    disk's contents are the backend's), the same process going on;
#  - exit status 0 when L2 powers off, within 400 s for the whole run.
. /cases/lib.sh

VMM=qemu
for arg in $(cat /proc/cmdline); do
    case $arg in
    armpass.vmm=*) VMM=${arg#armpass.vmm=} ;;
    esac
done
QEMU=/qemu/qemu-system-aarch64
QSD=/qemu/qemu-storage-daemon
IMG=/l2-root.img
SOCK=/tmp/vhost-blk.sock
CID=3
MAC=52:54:00:76:00:02
L1_IP=192.168.76.1 L2_IP=192.168.76.2
XFER=2097152
say() { echo "VIRTIO-PEER: $*"; }

case $VMM in
qemu) [ -x $QEMU ] || fail "no $QEMU in L1 (run.py --vhost)"; vmm_name=qemu-system-aarch64 ;;
armpass) [ -x /armpass ] || fail "no /armpass in L1"; vmm_name=armpass ;;
*) fail "armpass.vmm=$VMM: use qemu or armpass" ;;
esac
[ -x $QSD ] || fail "no $QSD in L1 (run.py --vhost)"
[ -f $IMG ] || fail "no $IMG in L1 (run.py --vhost)"
for d in /dev/vhost-net /dev/vhost-vsock /dev/net/tun; do
    [ -c $d ] || fail "no $d in L1 (kernel without VHOST_NET, VHOST_VSOCK or TUN?)"
done
token=$(head -c 8 /dev/urandom | hexdump -e '8/1 "%02x"')
say "VMM=$VMM token=$token image $IMG ($(wc -c < $IMG) bytes)"

# l2_line PATTERN: the first whole line of L2's console (/tmp/l2.log) matching PATTERN
# (grep -E); a line still being written (no newline yet) does not count.
l2_line() { head -n "$(wc -l < /tmp/l2.log)" /tmp/l2.log | tr -d '\r' | grep -E "$1" | head -n 1; }
# wait_l2 PATTERN SECONDS WHAT: waits for such a line; fails naming WHAT if L2 failed, the
# VMM exited or SECONDS passed first.
wait_l2() {
    _n=$(($2 * 5))
    while :; do
        [ -z "$(l2_line "$1")" ] || return 0
        _bad=$(l2_line '^L2-VIRTIO: FAIL')
        [ -z "$_bad" ] || fail "L2: ${_bad#L2-VIRTIO: }"
        [ ! -f /tmp/vmm.status ] || fail "the VMM exited (status $(cat /tmp/vmm.status)) before $3"
        [ $_n -gt 0 ] || fail "no $3 within $2 s"
        _n=$((_n - 1))
        sleep 0.2
    done
}
# gone PID SECONDS: waits until PID has exited or SECONDS passed; status 0 if it exited.
gone() {
    _n=$(($2 * 5))
    while kill -0 "$1" 2>/dev/null; do
        [ $_n -gt 0 ] || return 1
        _n=$((_n - 1))
        sleep 0.2
    done
}

# The disk: qemu-storage-daemon, in the background for the whole run.
$QSD --blockdev driver=file,node-name=file0,filename=$IMG \
    --blockdev driver=raw,node-name=disk0,file=file0 \
    --export type=vhost-user-blk,id=exp0,node-name=disk0,addr.type=unix,addr.path=$SOCK,writable=on,num-queues=2 \
    > /tmp/qsd.log 2>&1 &
qsd=$!
i=0
until [ -S $SOCK ]; do
    i=$((i + 1))
    kill -0 $qsd 2>/dev/null && [ $i -lt 150 ] || { cat /tmp/qsd.log; fail "qemu-storage-daemon did not make $SOCK"; }
    sleep 0.2
done
say "qemu-storage-daemon (pid $qsd) serves $IMG over vhost-user-blk at $SOCK, 2 queues"

# L1's ends: a TCP receiver (L2 -> L1), a vsock listener (L2 -> L1), 2 MiB to send to L2,
# and tap0's address once the VMM has made it.
/progs/tcp-xfer recv 5300 600 > /tmp/tcp-from-l2 2> /tmp/tcp-rx.log &
tcp_rx=$!
/progs/vsock-echo listen 5200 1 600 > /tmp/vsock-l1.log 2>&1 &
vsock_rx=$!
dd if=/dev/urandom of=/tmp/tcp-to-l2 bs=1M count=2 2>/dev/null
(
    i=0
    until [ -e /sys/class/net/tap0 ]; do
        i=$((i + 1))
        [ $i -lt 1200 ] || { say "no tap0 within 120 s"; exit 1; }
        sleep 0.1
    done
    ip addr add $L1_IP/24 dev tap0 && ip link set tap0 up &&
        say "tap0 (made by the VMM) up: $L1_IP/24"
) &

append="console=ttyAMA0 quiet root=/dev/vda rw init=/init l2case=virtio-peer l2.token=$token l2.cid=$CID"
case $VMM in
qemu)
    set -- $QEMU -M virt,gic-version=3,memory-backend=mem0 -cpu host -enable-kvm \
        -display none -nodefaults -serial stdio
    # QEMU's virtio-net-pci wants efi-virtio.rom (ipxe-qemu) unless romfile= is empty. On
    # virt's root bus QEMU's blk and net functions are transitional (0x1001, 0x1000: legacy
    # I/O BAR too) unless disable-legacy=on: then they are what armpass offers, virtio 1.x only.
    qopt=,disable-legacy=on
    netrom=,romfile=
    ;;
armpass)
    set -- /armpass -M virt,gic-version=3,memory-backend=mem0 -d stats
    qopt='' netrom=''
    ;;
esac
set -- "$@" -smp 2 -m 256M -object memory-backend-memfd,id=mem0,size=256M,share=on \
    -kernel /Image -append "$append" \
    -chardev socket,id=c0,path=$SOCK -device vhost-user-blk-pci,chardev=c0,num-queues=2$qopt \
    -netdev tap,id=n0,ifname=tap0,script=no,downscript=no,vhost=on \
    -device virtio-net-pci,netdev=n0,mac=$MAC$qopt$netrom \
    -device vhost-vsock-pci,guest-cid=$CID
echo "+ $*"
rm -f /tmp/vmm.status
: > /tmp/l2.log
start=$(date +%s)
( (timeout 400 "$@" < /dev/null; echo $? > /tmp/vmm.status.new) 2>&1 | tee /tmp/l2.log
  mv /tmp/vmm.status.new /tmp/vmm.status ) &

wait_l2 '^L2-VIRTIO: boot=1 root=' 180 "L2's first boot"
line=$(l2_line '^L2-VIRTIO: boot=1 root=')
for want in 1042:virtio_blk 1041:virtio_net 1053:vmw_vsock_virtio_transport; do
    case $line in *"=0x$want"*) ;; *) fail "L2 has no virtio function 0x${want%%:*} bound to ${want#*:}: $line" ;; esac
done
case $line in *' queues=2 '*) ;; *) fail "L2's /dev/vda does not have 2 queues: $line" ;; esac
say "L2 boot 1: ${line#L2-VIRTIO: }"
wait_l2 '^L2-VIRTIO: boot=2 kept' 180 "L2's second boot with the file of the first"
say "L2 boot 2: $(l2_line '^L2-VIRTIO: boot=2 kept' | sed 's/^L2-VIRTIO: //')"

# The VMM handed the data paths to the kernel: vhost-net, vhost-vsock, the tap.
pid=$(pidof $vmm_name | cut -d' ' -f1)
[ -n "$pid" ] || fail "no $vmm_name process while L2 runs"
fds=$(ls -l /proc/$pid/fd 2>/dev/null)
for d in /dev/vhost-net /dev/vhost-vsock /dev/net/tun; do
    echo "$fds" | grep -q " -> $d\$" || { echo "$fds"; fail "$vmm_name (pid $pid) has no $d open"; }
done
# vhost's workers: kernel threads on 6.1, threads of the VMM's process since 6.4; "vhost-PID" either way.
threads=$( (cat /proc/$pid/task/*/comm; ps -o comm) 2>/dev/null | grep -c "vhost-$pid")
[ "$threads" -ge 2 ] || { ps -o pid,comm | grep vhost; fail "$threads vhost-$pid workers, want at least 2 (net, vsock)"; }
say "$vmm_name (pid $pid) holds /dev/vhost-net, /dev/vhost-vsock, /dev/net/tun; $threads vhost-$pid worker threads"

wait_l2 '^L2-VIRTIO: net ' 120 "L2's network"
say "L2 $(l2_line '^L2-VIRTIO: net ' | sed 's/^L2-VIRTIO: //')"
p=$(ping -c 3 -W 2 $L2_IP 2>&1 | grep 'packets transmitted')
case $p in *' 3 packets received'*) ;; *) fail "L1 ping $L2_IP: ${p:-no answer}" ;; esac
say "L1 ping $L2_IP over tap0: $p"

wait_l2 '^L2-VIRTIO: tcp tx bytes=' 60 "L2's TCP send"
gone $tcp_rx 120 || fail "L1's TCP receiver on port 5300 still waiting 120 s after L2 started sending"
cat /tmp/tcp-rx.log
txline=$(l2_line '^L2-VIRTIO: tcp tx bytes=')
got="bytes=$(wc -c < /tmp/tcp-from-l2) sha256=$(sha256sum /tmp/tcp-from-l2 | cut -d' ' -f1)"
[ "${txline#L2-VIRTIO: tcp tx }" = "$got" ] && [ "${got%% *}" = "bytes=$XFER" ] ||
    fail "TCP L2 -> L1: L2 sent ${txline#L2-VIRTIO: tcp tx }, L1 received $got"
say "tcp L2 -> L1: $got at both ends"

wait_l2 '^L2-VIRTIO: tcp rx ready' 60 "L2's TCP receiver"
/progs/tcp-xfer send $L2_IP 5301 60 < /tmp/tcp-to-l2 || fail "L1 could not send 2 MiB to $L2_IP:5301"
wait_l2 '^L2-VIRTIO: tcp rx bytes=' 120 "L2's sha256 of what L1 sent"
rxline=$(l2_line '^L2-VIRTIO: tcp rx bytes=')
sent="bytes=$(wc -c < /tmp/tcp-to-l2) sha256=$(sha256sum /tmp/tcp-to-l2 | cut -d' ' -f1)"
[ "${rxline#L2-VIRTIO: tcp rx }" = "$sent" ] ||
    fail "TCP L1 -> L2: L1 sent $sent, L2 received ${rxline#L2-VIRTIO: tcp rx }"
say "tcp L1 -> L2: $sent at both ends"

wait_l2 '^L2-VIRTIO: vsock tx ok' 90 "L2's vsock message to L1"
gone $vsock_rx 10 || fail "L1's vsock listener on port 5200 did not finish"
cat /tmp/vsock-l1.log
grep -qE "^VSOCK-ECHO: from cid $CID port [0-9]+ to cid 2 port 5200: l2-to-l1-$token\$" /tmp/vsock-l1.log ||
    fail "vsock L2 -> L1: L1 did not get l2-to-l1-$token from CID $CID"
[ -n "$(l2_line "^VSOCK-ECHO: to cid 2 port 5200 from cid $CID: sent l2-to-l1-$token; reply: ack cid=2 port=5200: l2-to-l1-$token\$")" ] ||
    fail "vsock L2 -> L1: L2 did not report L1's answer"
say "vsock L2 (cid $CID) -> L1 (cid 2) port 5200: message and answer ok"

wait_l2 '^L2-VIRTIO: vsock rx ready' 60 "L2's vsock listener"
out=$(/progs/vsock-echo connect $CID 5201 "l1-to-l2-$token" 60) || fail "vsock L1 -> L2: $out"
echo "$out"
[ "$out" = "VSOCK-ECHO: to cid $CID port 5201 from cid 2: sent l1-to-l2-$token; reply: ack cid=$CID port=5201: l1-to-l2-$token" ] ||
    fail "vsock L1 -> L2: unexpected report: $out"
wait_l2 "^VSOCK-ECHO: from cid 2 port [0-9]+ to cid $CID port 5201: l1-to-l2-$token\$" 30 "L2's report of L1's vsock message"
say "vsock L1 (cid 2) -> L2 (cid $CID) port 5201: message and answer ok"

wait_l2 '^L2-VIRTIO: PASS' 60 "L2's PASS line"
irqs=$(l2_line '^L2-VIRTIO: irqs ')
for drv in virtio_blk virtio_net vmw_vsock_virtio_transport; do
    case $irqs in *" $drv="[1-9]*:msi*) ;; *) fail "L2's $drv took no interrupt or not all on MSI-X: $irqs" ;; esac
done
say "L2 ${irqs#L2-VIRTIO: } (count:kind; msi: MSI-X through L2's ITS)"
i=0
until [ -f /tmp/vmm.status ]; do
    i=$((i + 1))
    [ $i -lt 300 ] || fail "$vmm_name still running 60 s after L2's PASS line"
    sleep 0.2
done
end=$(date +%s)
st=$(cat /tmp/vmm.status)
[ "$st" = 0 ] || fail "$vmm_name exited with status $st after L2 powered off"
boots=$(tr -d '\r' < /tmp/l2.log | grep -c '^ARMPASS-L2-UP')
[ "$boots" = 2 ] || fail "L2 came up $boots times, want 2"
say "$vmm_name exited 0 after L2's 2 boots ($((end - start)) s)"
if [ "$VMM" = armpass ]; then
    # The second boot's counters: every queue's kicks on ioeventfds, interrupts on irqfds,
    # and armpass woken by none of them.
    tr -d '\r' < /tmp/l2.log | grep '^  virtio ' > /tmp/stats.txt
    cat /tmp/stats.txt
    nq=$(grep -c ' queue [0-9]*: ' /tmp/stats.txt)
    ok=$(grep -c ' queue [0-9]*: ioeventfd, irqfd, userspace wakeups 0, trapped kicks 0$' /tmp/stats.txt)
    [ "$nq" -ge 7 ] && [ "$ok" = "$nq" ] ||
        fail "$ok of $nq virtio queues went without armpass (want all; -d stats above)"
    say "armpass: $ok virtio queues, every kick an ioeventfd and every interrupt an irqfd, 0 wake-ups"
fi
kill $qsd
gone $qsd 10 || fail "qemu-storage-daemon did not end on SIGTERM"
pass
