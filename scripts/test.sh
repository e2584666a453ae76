#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Everything, on a fresh Debian 12 machine: installs what is needed, builds armpass (native,
# for the unit suite, and static aarch64, for the test bed), builds or reuses the two cached
# test kernels (Linux 6.1 and 6.12, tests/testbed/build-kernel.sh; docs/testbed.md says which
# cases run on which), runs the unit suite and the e2e suite (the nested test bed), then the
# hardening checks (scripts/hardening.sh: the unit suite under ASan+UBSan and under valgrind, each
# libFuzzer target for a bounded time; docs/hardening.md).
# Usage: scripts/test.sh [--unit-only] [extra meson test arguments...]
#   --unit-only: the native unit suite alone (no test bed, no hardening checks)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
suites=(--suite unit --suite e2e)
if [ "${1:-}" = "--unit-only" ]; then
    suites=(--suite unit)
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
    "$top/tests/testbed/build-kernel.sh" 6.12 >/dev/null
fi
meson test -C build "${suites[@]}" --print-errorlogs "$@"
if [ "${suites[*]}" != "--suite unit" ]; then
    "$top/scripts/hardening.sh"
fi
