#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Builds the test bed's two initramfs images (L2's, then L1's which carries it) and prints the L1 image's path.
#
# usage: mkinitramfs.sh --kernel IMAGE --busybox BUSYBOX --armpass ARMPASS [--progs DIR] [--extra DIR]... [--l2-disk SIZE] [--out DIR]
#
#   both:           busybox + tests/testbed/udhcpc.script as udhcpc's default script
#   DIR/l2.cpio.gz: busybox + tests/testbed/l2-init as /init + tests/e2e/l2cases/* in /l2cases/
#                   + the test programs (tests/progs, built static for aarch64) in /progs/
#                   (with the bare-metal baremetal-hello.elf and .bin)
#   DIR/l1.cpio.gz: busybox + tests/testbed/l1-init as /init + /armpass + /Image +
#                   /l2.cpio.gz + tests/e2e/cases/* in /cases/ + the test programs in /progs/
#
# --progs DIR: where the aarch64 test programs are (default: tests/progs next to ARMPASS, i.e.
# build-aarch64/tests/progs; left out if that folder does not exist).
#
# --extra DIR (repeatable): a tree copied as is into the root of the L1 image, after everything
# else (the benchmark's QEMU closure and probe image: tests/bench/, scripts/bench.sh).
#
# --l2-disk SIZE (e.g. 64M): also an ext4 image of SIZE bytes holding L2's tree (the same
# tree as l2.cpio.gz: /init is l2-init), made with mke2fs -d (no root needed), as
# DIR/l2-root.img and as /l2-root.img in the L1 image: L2 boots from it as root=/dev/vda rw
# init=/init with no initrd, served by qemu-storage-daemon over vhost-user-blk
# (tests/e2e/cases/virtio-peer.sh; run.py --vhost). Mostly empty, so it costs little in the
# gzip'd L1 image (it is whole in L1's RAM once unpacked).
#
# The busybox applet links are made at boot by /init (busybox --install -s): the arm64 binary
# cannot be asked for its applet list on the x86_64 host. /dev/console comes from the kernel's
# built-in default initramfs, so nothing here needs root.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache=${ARMPASS_CACHE:-$HOME/.cache/armpass}
kernel='' busybox='' armpass='' progs='' out=$cache/initramfs l2disk=''
extras=()

usage() { sed -n 's/^# usage: //p' "$0" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case $1 in
    --kernel) kernel=$2; shift 2 ;;
    --busybox) busybox=$2; shift 2 ;;
    --armpass) armpass=$2; shift 2 ;;
    --progs) progs=$2; shift 2 ;;
    --extra) [ -d "$2" ] || { echo "mkinitramfs: --extra $2: not a folder" >&2; exit 1; }
             extras+=("$2"); shift 2 ;;
    --l2-disk) l2disk=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) usage ;;
    esac
done
if [ -z "$kernel" ] || [ -z "$busybox" ] || [ -z "$armpass" ]; then usage; fi
for f in "$kernel" "$busybox" "$armpass"; do
    [ -f "$f" ] || { echo "mkinitramfs: $f: no such file" >&2; exit 1; }
done

[ -n "$progs" ] || progs=$(dirname "$armpass")/tests/progs

mkdir -p "$out"
out=$(cd "$out" && pwd)
stage=$(mktemp -d "$out/stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT

# Skeleton shared by both images: busybox and the folders its --install -s fills.
skeleton() {
    local root=$1
    mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,root,etc,mnt}
    install -m 0755 "$busybox" "$root/bin/busybox"
    ln -s busybox "$root/bin/sh"
    # busybox udhcpc runs this on a lease (the e1000e case); Debian's busybox looks for it there.
    install -D -m 0755 "$here/udhcpc.script" "$root/etc/udhcpc/default.script"
}

# The test programs: every executable file of $progs, and the bare-metal images (*.elf, *.bin:
# guest kernels, not L1 programs), into ROOT/progs/.
add_progs() {
    local root=$1 f
    mkdir -p "$root/progs"
    [ -d "$progs" ] || return 0
    for f in "$progs"/*; do
        [ -f "$f" ] || continue
        case $f in
        *.elf|*.bin) install -m 0644 "$f" "$root/progs/" ;;
        *) [ -x "$f" ] && install -m 0755 "$f" "$root/progs/" ;;
        esac
    done
    return 0
}

# newc cpio of a folder, owned by root, gzip'd.
pack() {
    local root=$1 dest=$2
    (cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
        cpio --quiet -o -H newc -R 0:0 --reproducible) | gzip -6n > "$dest.tmp"
    mv "$dest.tmp" "$dest"
}

l2=$stage/l2
skeleton "$l2"
install -m 0755 "$here/l2-init" "$l2/init"
mkdir -p "$l2/l2cases"
for f in "$top"/tests/e2e/l2cases/*; do
    [ -f "$f" ] && install -m 0755 "$f" "$l2/l2cases/"
done
add_progs "$l2"
pack "$l2" "$out/l2.cpio.gz"
if [ -n "$l2disk" ]; then
    mke2fs=$(PATH=$PATH:/usr/sbin:/sbin command -v mke2fs) ||
        { echo "mkinitramfs: --l2-disk needs mke2fs (e2fsprogs; scripts/setup-host.sh)" >&2; exit 1; }
    : > "$out/l2-root.img"       # mke2fs grows it to SIZE (sparse), without "Creating regular file"
    # -d copies the tree (owners as they are here: root's when run as root, else the user's;
    # L2 runs everything as root either way); root_owner: / itself belongs to root.
    "$mke2fs" -q -F -t ext4 -L armpass-l2 -E root_owner=0:0 -d "$l2" "$out/l2-root.img" "$l2disk" >&2 ||
        { echo "mkinitramfs: mke2fs -d failed" >&2; exit 1; }
fi

l1=$stage/l1
skeleton "$l1"
install -m 0755 "$here/l1-init" "$l1/init"
install -m 0755 "$armpass" "$l1/armpass"
install -m 0644 "$kernel" "$l1/Image"
install -m 0644 "$out/l2.cpio.gz" "$l1/l2.cpio.gz"
[ -z "$l2disk" ] || cp --sparse=always "$out/l2-root.img" "$l1/l2-root.img"
mkdir -p "$l1/cases"
for f in "$top"/tests/e2e/cases/*; do
    [ -f "$f" ] && install -m 0755 "$f" "$l1/cases/"
done
add_progs "$l1"
for d in ${extras[@]+"${extras[@]}"}; do
    cp -a "$d"/. "$l1"/
done
pack "$l1" "$out/l1.cpio.gz"

echo "$out/l1.cpio.gz"
