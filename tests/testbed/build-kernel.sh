#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Builds (once, then from cache) the arm64 kernel Image of the nested test bed and prints its path.
#
# Debian's linux-source-6.1 + tests/testbed/patches/*.patch, allnoconfig + kernel.fragment.
# The result lives in $ARMPASS_CACHE/kernel-<hash>/Image, <hash> covering the fragment, the
# patches and the source package's version; the build tree is shared between hashes so that a
# fragment change is an incremental rebuild. Only the Image path goes to stdout.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${ARMPASS_CACHE:-$HOME/.cache/armpass}
fragment=$here/kernel.fragment
tarball=/usr/src/linux-source-6.1.tar.xz
pkg=linux-source-6.1
jobs=$(nproc)
kmake=(make ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-)

log() { echo "build-kernel: $*" >&2; }
die() { log "error: $*"; exit 1; }

[ -f "$tarball" ] || die "$tarball missing: install $pkg (scripts/setup-host.sh)"
command -v aarch64-linux-gnu-gcc >/dev/null || die "aarch64-linux-gnu-gcc missing (gcc-aarch64-linux-gnu)"
version=$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null) || die "$pkg is not installed"

shopt -s nullglob
patches=("$here"/patches/*.patch)
shopt -u nullglob

hash_of() { sha256sum | cut -c1-16; }
patch_hash=$({ echo "$pkg $version"; for p in "${patches[@]}"; do echo "== ${p##*/}"; cat "$p"; done; } | hash_of)
hash=$({ echo "$patch_hash"; cat "$fragment"; } | hash_of)
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
src=$cache/linux-src
if [ "$(cat "$src/.armpass-patches" 2>/dev/null || true)" != "$patch_hash" ]; then
    log "unpacking $tarball ($pkg $version) into $src"
    rm -rf "$src" "$src.tmp"
    mkdir -p "$src.tmp"
    tar -xJf "$tarball" -C "$src.tmp"
    mv "$src.tmp/linux-source-6.1" "$src"
    rmdir "$src.tmp"
    for p in "${patches[@]}"; do
        log "applying ${p##*/}"
        patch -d "$src" -p1 --forward --batch --quiet < "$p" >&2 || die "patch ${p##*/} failed"
    done
    echo "$patch_hash" > "$src/.armpass-patches"
fi

log "configuring: allnoconfig + ${fragment#"$here"/}"
(
    cd "$src"
    "${kmake[@]}" -s allnoconfig
    ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- \
        scripts/kconfig/merge_config.sh -m -O . .config "$fragment" >/dev/null
    "${kmake[@]}" -s olddefconfig
) >&2

# Every assignment of the fragment must have survived olddefconfig (a missing dependency
# silently drops an option).
missing=()
while IFS= read -r line; do
    case $line in CONFIG_*=*) ;; *) continue ;; esac
    grep -qxF -- "$line" "$src/.config" || missing+=("$line (got: $(grep -E "^(# )?${line%%=*}[= ]" "$src/.config" || echo absent))")
done < "$fragment"
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
