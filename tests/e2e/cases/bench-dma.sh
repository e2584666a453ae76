#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The benchmark's DMA-map part alone (scripts/bench.sh --dma; not a test: it prints figures and
# never fails on a slow machine): on the 6.12 kernel with huge page pools in L1, the DMA map of
# guest RAM at start by backing (4 KiB pages, THP, hugetlb 2 MiB, hugetlb 1 GiB) and VFIO
# backend (type1v2, iommufd), armpass against Debian's QEMU with the same options, alternating
# (bench-lib.sh, bench_dma_backends).
. /cases/lib.sh
. /cases/bench-lib.sh
bench_params
BENCH_PARTS=dma-backends
bench_env
bench_dma_backends
echo "bench: done"
pass
