#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The armpass demo: sets the host up, then shows the whole nested boot L0 QEMU -> L1 (KVM) -> armpass -> L2 on the terminal;
# L2 gets L1's pl031 RTC (vfio-amba) and L0's NVMe behind the SMMUv3 (vfio-pci).
#
# usage: scripts/demo.sh [--shell] [--gic 2|3] [--no-setup]
#   --shell     end in an interactive shell inside L2 (exit it: L2 powers off, then L1)
#   --gic N     GIC version of L0's board, and so of L1 and L2 (default 3)
#   --no-setup  skip scripts/setup-host.sh (packages already installed)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
shell='' gic=3 setup=1
while [ $# -gt 0 ]; do
    case $1 in
    --shell) shell=1; shift ;;
    --gic) gic=$2; shift 2 ;;
    --no-setup) setup=; shift ;;
    *) sed -n 's/^# usage: /usage: /p' "$0" >&2; exit 2 ;;
    esac
done

if [ -n "$setup" ]; then
    echo "== demo: installing the host packages (scripts/setup-host.sh)"
    "$top/scripts/setup-host.sh"
fi
echo "== demo: building the kernel (first time: minutes), busybox, armpass, the initramfs images"
args=(--case demo --gic "$gic" --no-quiet --nvme)
if [ -n "$shell" ]; then
    args+=(--interactive --append armpass.l2shell)
else
    args+=(--verbose)
fi
exec python3 "$top/tests/testbed/run.py" "${args[@]}"
