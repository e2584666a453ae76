#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The benchmark (not a test: it prints figures and never fails on a slow machine), all of it in
# one L1: armpass against the floors (bare KVM exit, mapped access in L1) and against Debian's
# QEMU. scripts/bench.sh boots L1 with it; see bench-lib.sh for the parameters.
. /cases/lib.sh
. /cases/bench-lib.sh
bench_main
pass
