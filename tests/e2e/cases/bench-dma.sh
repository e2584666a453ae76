#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The benchmark's guest-RAM parts (scripts/bench.sh --dma; not a test: it prints figures and
# never fails on a slow machine), on the 6.12 kernel with huge page pools in L1, armpass against
# Debian's QEMU with the same options, alternating (bench-lib.sh):
#   dma-backends   the DMA map of guest RAM at start by backing (4 KiB pages, THP, hugetlb
#                  2 MiB, hugetlb 1 GiB) and VFIO backend (type1v2, iommufd): bench_dma_backends
#   backing-start  start -> first instruction with the NVMe by backing, as it is and
#                  preallocated by 1 and by N threads: bench_backings
#   backing-reads  the NVMe's reads from L2 by backing, against L1: bench_backings
# armpass.bench_parts= picks some of them (default all three).
. /cases/lib.sh
. /cases/bench-lib.sh
bench_params
case ,$BENCH_PARTS, in
*,dma-backends,*|*,backing-start,*|*,backing-reads,*) ;;
*) BENCH_PARTS=dma-backends,backing-start,backing-reads ;;
esac
bench_env
bench_wants dma-backends && bench_dma_backends
if bench_wants backing-start || bench_wants backing-reads; then
    bench_backings
fi
echo "bench: done"
pass
