#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Boot benchmark (prints figures, never fails on a slow machine): in the nested test bed,
# armpass boots L2 several times; per run: armpass start -> L2 marker wall time (L1's clock,
# 10 ms resolution), armpass's peak RSS beyond the guest RAM it touched, and the VM exits of
# the boot. Writes build/bench/boot.json (every sample, the machine, the commit) and prints
# min / median / max. Usage: scripts/bench.sh [RUNS]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
runs=${1:-5}
"$top/scripts/setup-host.sh" >/dev/null
out=$top/build/bench
mkdir -p "$out"
python3 tests/testbed/run.py --case bench-boot --append "armpass.bench_runs=$runs" \
    --logdir "$out/logs" --timeout 600 >"$out/run.txt" 2>&1 || { cat "$out/run.txt"; exit 1; }
log=$(ls -t "$out"/logs/bench-boot-*.log | head -n 1)
python3 - "$log" "$out/boot.json" <<'PY'
import json, platform, statistics, subprocess, sys, datetime
samples = [json.loads(l.split('ARMPASS-BENCH ', 1)[1]) for l in open(sys.argv[1], errors='replace')
           if l.startswith('ARMPASS-BENCH ')]
commit = subprocess.run(['git', 'rev-parse', 'HEAD'], capture_output=True, text=True).stdout.strip()
qemu = subprocess.run(['qemu-system-aarch64', '--version'], capture_output=True, text=True).stdout.splitlines()[0]
doc = {'date': datetime.datetime.now(datetime.timezone.utc).isoformat(), 'commit': commit,
       'machine': {'host': platform.machine(), 'cpus': __import__('os').cpu_count(), 'l0': qemu},
       'guest': '2 vCPUs, 256 MiB, the test-bed kernel and initramfs', 'samples': samples}
json.dump(doc, open(sys.argv[2], 'w'), indent=1)
print('armpass boot benchmark, %d runs, commit %s' % (len(samples), commit[:12]))
print('%-34s %10s %10s %10s' % ('figure', 'min', 'median', 'max'))
for key, unit in (('start_to_marker_s', 's'), ('start_to_exit_s', 's'), ('exits', ''),
                  ('exits_mmio', ''), ('rss_beyond_guest_kib', 'KiB'), ('rss_peak_kib', 'KiB')):
    v = [s[key] for s in samples]
    print('%-34s %10s %10s %10s' % (key + (' (%s)' % unit if unit else ''), min(v), statistics.median(v), max(v)))
print('written to', sys.argv[2])
PY
