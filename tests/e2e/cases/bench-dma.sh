#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The benchmark's DMA-map part alone (scripts/bench.sh --dma; not a test: it prints figures and
# never fails on a slow machine): on the 6.12 kernel, armpass's DMA map of guest RAM at start
# through the legacy container (type1v2) against iommufd, as RAM grows (bench-lib.sh,
# bench_dma_backends).
. /cases/lib.sh
. /cases/bench-lib.sh
bench_params
BENCH_PARTS=dma-backends
bench_env
bench_dma_backends
echo "bench: done"
pass
