#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Benchmark (not a test): only the boot comparison of bench-all.sh, armpass and (when L1 has it)
# QEMU booting L2 at 256 MiB / 2 vCPUs, armpass.bench_runs= times each, plus the sizes.
. /cases/lib.sh
. /cases/bench-lib.sh
bench_params
BENCH_PARTS=boot,size
bench_env
have_qemu || echo "bench: no $QEMU_BIN in L1 (run.py --l1-extra the tree tests/bench/qemu-closure.py makes): armpass only"
bench_size
bench_warmup
bench_boots 0
pass
