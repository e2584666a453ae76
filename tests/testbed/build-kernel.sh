#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Builds (once, then from cache) the arm64 kernel Image of the nested test bed and prints its path.
# Usage: build-kernel.sh [6.1|6.12]   (default 6.1, or $ARMPASS_KERNEL_VERSION)
#
# 6.1 (the default, Debian 12's own kernel): Debian's linux-source-6.1 +
# tests/testbed/patches/*.patch, allnoconfig + kernel.fragment.
# 6.12 (the second kernel, for iommufd and VFIO device cdevs): linux-source-6.12, no patch
# (the vfio-platform reset fix is upstream since 6.3), allnoconfig + kernel.fragment +
# kernel-6.12.fragment.
# The result lives in $ARMPASS_CACHE/kernel-<hash>/Image, <hash> covering the fragments, the
# patches and the source package's version; each version's build tree is shared between hashes
# so that a fragment change is an incremental rebuild. Only the Image path goes to stdout.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${ARMPASS_CACHE:-$HOME/.cache/armpass}
kver=${1:-${ARMPASS_KERNEL_VERSION:-6.1}}
case $kver in
    6.1) fragments=("$here/kernel.fragment"); srcdir=linux-src ;;
    6.12) fragments=("$here/kernel.fragment" "$here/kernel-6.12.fragment"); srcdir=linux-src-6.12 ;;
    *) echo "build-kernel: error: unknown kernel version '$kver': use 6.1 or 6.12" >&2; exit 2 ;;
esac
tarball=/usr/src/linux-source-$kver.tar.xz
pkg=linux-source-$kver
jobs=$(nproc)
kmake=(make ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-)

log() { echo "build-kernel: $*" >&2; }
die() { log "error: $*"; exit 1; }

[ -f "$tarball" ] || die "$tarball missing: install $pkg (scripts/setup-host.sh)"
command -v aarch64-linux-gnu-gcc >/dev/null || die "aarch64-linux-gnu-gcc missing (gcc-aarch64-linux-gnu)"
version=$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null) || die "$pkg is not installed"

patches=()
if [ "$kver" = 6.1 ]; then
    shopt -s nullglob
    patches=("$here"/patches/*.patch)
    shopt -u nullglob
fi

hash_of() { sha256sum | cut -c1-16; }
patch_hash=$({ echo "$pkg $version"; for p in "${patches[@]}"; do echo "== ${p##*/}"; cat "$p"; done; } | hash_of)
hash=$({ echo "$patch_hash"; cat "${fragments[@]}"; } | hash_of)
out=$cache/kernel-$hash
if [ -f "$out/Image" ]; then
    echo "$out/Image"
    exit 0
fi

mkdir -p "$cache"
exec 9>"$cache/kernel.lock"
flock -n 9 || { log "another build holds $cache/kernel.lock: waiting"; flock 9; }
if [ -f "$out/Image" ]; then   # built by whoever held the lock
    echo "$out/Image"
    exit 0
fi

start=$(date +%s)
src=$cache/$srcdir
if [ "$(cat "$src/.armpass-patches" 2>/dev/null || true)" != "$patch_hash" ]; then
    log "unpacking $tarball ($pkg $version) into $src"
    rm -rf "$src" "$src.tmp"
    mkdir -p "$src.tmp"
    tar -xJf "$tarball" -C "$src.tmp"
    mv "$src.tmp/linux-source-$kver" "$src"
    rmdir "$src.tmp"
    for p in "${patches[@]}"; do
        log "applying ${p##*/}"
        patch -d "$src" -p1 --forward --batch --quiet < "$p" >&2 || die "patch ${p##*/} failed"
    done
    echo "$patch_hash" > "$src/.armpass-patches"
fi

log "configuring $kver: allnoconfig + ${fragments[*]##*/}"
(
    cd "$src"
    "${kmake[@]}" -s allnoconfig
    ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- \
        scripts/kconfig/merge_config.sh -m -O . .config "${fragments[@]}" >/dev/null
    "${kmake[@]}" -s olddefconfig
) >&2

# Every assignment of the fragment must have survived olddefconfig (a missing dependency
# silently drops an option).
missing=()
while IFS= read -r line; do
    case $line in CONFIG_*=*) ;; *) continue ;; esac
    grep -qxF -- "$line" "$src/.config" || missing+=("$line (got: $(grep -E "^(# )?${line%%=*}[= ]" "$src/.config" || echo absent))")
done < <(cat "${fragments[@]}")
if [ ${#missing[@]} -gt 0 ]; then
    log "error: these fragment options are not in the resulting .config:"
    printf '    %s\n' "${missing[@]}" >&2
    exit 1
fi

log "building Image with -j$jobs"
"${kmake[@]}" -C "$src" -j"$jobs" Image >&2
mkdir -p "$out"
cp "$src/.config" "$out/config"
cp "$src/arch/arm64/boot/Image" "$out/Image.tmp"
mv "$out/Image.tmp" "$out/Image"
log "done in $(( $(date +%s) - start )) s: $out/Image"
echo "$out/Image"
