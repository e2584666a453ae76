#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Everything, on a fresh Debian 12 machine: installs what is needed, builds armpass (native,
# for the unit suite, and static aarch64, for the test bed), builds or reuses the two cached
# test kernels (Linux 6.1 and 6.12, tests/testbed/build-kernel.sh; docs/testbed.md says which
# cases run on which), runs the unit suite and the e2e suite (the nested test bed), then the
# hardening checks (scripts/hardening.sh: the unit suite under ASan+UBSan and under valgrind, each
# libFuzzer target for a bounded time; docs/hardening.md).
# Usage: scripts/test.sh [--unit-only | --soak] [extra meson test arguments...]
#   --unit-only: the native unit suite alone (no test bed, no hardening checks)
#   --soak: the soak suite alone (docs/hardening.md, "Soak": hundreds of hot-plug cycles,
#           reboots, QMP sessions, stop/cont pairs, each checking that armpass holds no more
#           after the last cycle than after the first; about 2 hours, far past CI's budget, so
#           never part of the default run; SOAK_SCALE=N runs N percent of each count)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
suites=(--suite unit --suite e2e)
if [ "${1:-}" = "--unit-only" ]; then
    suites=(--suite unit)
    shift
elif [ "${1:-}" = "--soak" ]; then
    suites=(--setup soak --suite soak)
    shift
fi

"$top/scripts/setup-host.sh" >/dev/null
if [ ! -f build/build.ninja ]; then
    meson setup build >/dev/null
fi
ninja -C build
if [ "${suites[*]}" != "--suite unit" ]; then
    "$top/scripts/build-aarch64.sh" >/dev/null
    "$top/tests/testbed/build-kernel.sh" 6.1 >/dev/null
    [ "${suites[*]}" = "--setup soak --suite soak" ] ||   # the soaks run on 6.1 alone
        "$top/tests/testbed/build-kernel.sh" 6.12 >/dev/null
fi
meson test -C build "${suites[@]}" --print-errorlogs "$@"
if [ "${suites[*]}" = "--suite unit --suite e2e" ]; then
    "$top/scripts/hardening.sh"
fi
