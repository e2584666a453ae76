#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Benchmark (not a test): armpass boots L2 BENCH_RUNS times; each run prints one line
# "ARMPASS-BENCH {json}" with start -> L2 marker time, armpass's peak RSS beyond guest RAM and
# the VM exits of the boot (from armpass -d stats). scripts/bench.sh collects them.
. /cases/lib.sh
runs=${BENCH_RUNS:-5}
now() { cut -d' ' -f1 /proc/uptime; }
i=0
while [ "$i" -lt "$runs" ]; do
    t0=$(now)
    set -o pipefail
    /armpass -M virt -smp 2 -m 256M -d stats -kernel /Image -initrd /l2.cpio.gz \
        -append "console=ttyAMA0 quiet" 2>&1 |
        while IFS= read -r line; do
            case $line in *ARMPASS-L2-UP*) echo "marker_at=$(now)" ;; esac
            echo "$line"
        done > /tmp/bench.log
    st=$?
    set +o pipefail
    t1=$(now)
    [ "$st" = 0 ] || { cat /tmp/bench.log; fail "run $i: armpass exited $st"; }
    tr -d '\r' < /tmp/bench.log | awk -v i="$i" -v t0="$t0" -v t1="$t1" '
        /^marker_at=/ { split($0, a, "="); m = a[2] }
        /exits:/ { e = $2; mm = $4; sub(/,/, "", mm) }
        /rss: peak/ { p = $3; g = $8 }
        END {
            printf "ARMPASS-BENCH {\"run\": %d, \"start_to_marker_s\": %.2f, \"start_to_exit_s\": %.2f, \"exits\": %d, \"exits_mmio\": %d, \"rss_peak_kib\": %d, \"guest_ram_rss_kib\": %d, \"rss_beyond_guest_kib\": %d}\n", i, m - t0, t1 - t0, e, mm, p, g, p - g
        }'
    i=$((i + 1))
done
pass
