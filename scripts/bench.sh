#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The benchmark (it prints and records figures; it never fails on a slow machine): in the
# nested test bed, armpass against its floors (a bare KVM exit, a mapped access from L1, L1's own
# reads of a real NVMe and SATA disk) and against Debian's arm64 QEMU booting the same L2 in the
# same L1, with and without those devices passed through (vfio-pci). See docs/performance.md.
#
# usage: scripts/bench.sh [--quick] [--runs N] [--parts LIST] [--pci-rounds N] [--pci-modes LIST] [--pv-rounds N]
#                         [--no-setup] [--doc | --no-doc]
#        scripts/bench.sh --dma [--quick] [--parts LIST] [--rounds N] [--backing-rounds N]
#                         [--no-setup] [--doc | --no-doc]
#
#   --quick       a smoke run: one or two of everything (a few minutes); does not touch
#                 docs/performance.md unless --doc
#   --runs N      boot runs per VMM at 256 MiB / 2 vCPUs (default 20; --quick: 3)
#   --parts LIST  comma-separated subset of size,first,boot,scale,footprint,mmio,irq,
#                 passed-virtio,pci (pci: pci-io, the NVMe's and the AHCI's reads and interrupts,
#                 and pci-dma, the DMA map of guest RAM; each can be given alone; passed-virtio:
#                 L0's virtio-mmio disk and NIC, DMA platform devices with no IOMMU, passed
#                 through vfio-platform to a direct-mapped L2 against L1's own drivers: 4 KiB QD1
#                 and 1 MiB reads, TCP throughput both ways and round trips, KVM exits and
#                 armpass wake-ups per interrupt; 4 rounds, --quick 1, about 2 minutes a round).
#                 --parts passed-virtio alone writes build/bench/results-virtio.{json,md} and
#                 only its tables in docs/performance.md (between the passed-virtio markers).
#                 With --dma: a subset of map, start, reads (below)
#   --pci-rounds N  rounds of pci-io (default 6; --quick: 1): each round reads the disks in L1,
#                 then under each VMM, which one goes first alternating; every ratio's min,
#                 median and max are over the rounds
#   --pci-modes LIST  comma-separated subset of msix,intx,intx-off,msi (pci-io's interrupt
#                 modes; default all four)
#   --pv-rounds N rounds of passed-virtio (default 4; --quick: 1)
#   --no-setup    skip scripts/setup-host.sh (apt-get)
#   --dma         the guest-RAM parts alone, on the 6.12 kernel with huge page pools in L1
#                 (map, start, reads; --parts picks some):
#                 map: the DMA map of guest RAM at start, by backing (4 KiB pages, THP,
#                 hugetlb 2 MiB, hugetlb 1 GiB) and VFIO backend (type1v2, iommufd), armpass
#                 against Debian's QEMU with the same options (legacy container only: QEMU 7.2
#                 has no iommufd), both timed by strace -T in L1 (Debian's strace:arm64,
#                 fetched like QEMU); on the 6.12 test kernel (build-kernel.sh 6.12; the rest
#                 of the bench stays on 6.1), L0 -m 4G, L1 booted with a 1 GiB and a 2 MiB
#                 huge page pool: case bench-dma, 1 GiB guests, each backing as it is and
#                 preallocated, 5 rounds (--quick: 1), about 2 minutes a round (24 runs;
#                 4 rounds took 10 minutes). Writes build/bench/results-dma.{json,md} and (unless
#                 --quick) the table between the dma-backends markers of docs/performance.md
#                 and tests/bench/performance.md.in;
#                 start: start -> first instruction with the NVMe by backing, as it is and
#                 preallocated with 1 and with N threads (N: L1's 2 CPUs), both VMMs, no
#                 strace, and armpass's own preallocation time;
#                 reads: the NVMe's reads from L2 (1 GiB, 2 vCPUs, MSI-X) by backing, against
#                 L1's and QEMU's, counted as pci-io counts them;
#                 start and reads: 4 rounds (--backing-rounds N; --quick: 1), about 5 minutes
#                 a round
#   --rounds N    rounds of --dma's map part (default 5, or $BENCH_DMA_ROUNDS)
#   --backing-rounds N  rounds of --dma's start and reads parts (default 4)
#
# Steps: scripts/setup-host.sh; the static aarch64 armpass and test programs
# (scripts/build-aarch64.sh); the test bed's kernel and busybox (tests/testbed/); Debian's
# qemu-system-arm:arm64 and its library closure, fetched once into
# ~/.cache/armpass/qemu-arm64-VERSION/ (tests/bench/qemu-closure.py; never installed); the
# first-instruction probe (tests/bench/first-insn.S); then one boot of the test bed running
# tests/e2e/cases/bench-all.sh, whose ARMPASS-BENCH lines tests/bench/analyze.py turns into
#   build/bench/results.json   every raw sample, the machine, the versions, the commit
#   build/bench/results.md     min / median / max of every figure, and the targets
#   build/bench/chart.png      ratios against the floors and against QEMU, and the scale curves
#   docs/performance.md        (and docs/performance.png) regenerated with the date and commit
# The whole L0 console log is kept in build/bench/logs/. Exit status: 0 when figures were
# written, 1 when the bench could not run at all.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
t_start=$(date +%s)

quick=0 runs='' parts='' setup=1 doc='' dma=0 rounds=${BENCH_DMA_ROUNDS:-}
pci_rounds='' pci_modes='' backing_rounds= pv_rounds=
while [ $# -gt 0 ]; do
    case $1 in
    --quick) quick=1; shift ;;
    --runs) runs=$2; shift 2 ;;
    --parts) parts=$2; shift 2 ;;
    --no-setup) setup=0; shift ;;
    --dma) dma=1; shift ;;
    --rounds) rounds=$2; shift 2 ;;
    --pci-rounds) pci_rounds=$2; shift 2 ;;
    --pci-modes) pci_modes=$2; shift 2 ;;
    --pv-rounds) pv_rounds=$2; shift 2 ;;
    --backing-rounds) backing_rounds=$2; shift 2 ;;
    --doc) doc=1; shift ;;
    --no-doc) doc=0; shift ;;
    [0-9]*) runs=$1; shift ;;     # the old "scripts/bench.sh RUNS"
    -h|--help) sed -n '3,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
    *) echo "bench.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
[ -n "$runs" ] || { [ "$quick" = 1 ] && runs=3 || runs=20; }
[ -n "$doc" ] || { [ "$quick" = 1 ] && doc=0 || doc=1; }
say() { echo "bench: $*" >&2; }

if [ "$setup" = 1 ]; then
    say "installing what the bench needs (scripts/setup-host.sh)"
    "$top/scripts/setup-host.sh" >/dev/null
fi

out=$top/build/bench
mkdir -p "$out/logs" "$out/l1-extra/bench"

say "building the static aarch64 armpass and the test programs"
armpass=$("$top/scripts/build-aarch64.sh" | tail -n 1)
say "the test bed's kernel (built once, about 4 minutes; --dma: the 6.12 one) and busybox"
if [ "$dma" = 1 ]; then
    kernel=$("$top/tests/testbed/build-kernel.sh" 6.12 | tail -n 1)
else
    kernel=$("$top/tests/testbed/build-kernel.sh" | tail -n 1)
fi
busybox=$("$top/tests/testbed/busybox.sh" | tail -n 1)

say "the first-instruction probe"
probe_obj=$out/first-insn.o
aarch64-linux-gnu-as -o "$probe_obj" "$top/tests/bench/first-insn.S"
aarch64-linux-gnu-objcopy -O binary -j .text "$probe_obj" "$out/l1-extra/bench/first.Image"

if [ "$dma" = 1 ]; then
    host_json=$out/host-dma.json
    # The DMA map by backing and VFIO backend, armpass against QEMU, on the 6.12 kernel
    # (iommufd). QEMU's map time is read with strace in L1: Debian's strace:arm64 (it needs
    # only libc, which QEMU's library tree brings), unpacked, never installed.
    say "Debian's arm64 QEMU and its libraries; Debian's arm64 strace"
    qemu_root=$(python3 "$top/tests/bench/qemu-closure.py" | tail -n 1)
    cache=${ARMPASS_CACHE:-$HOME/.cache/armpass}
    sver=$(apt-cache show --no-all-versions strace:arm64 2>/dev/null | sed -n 's/^Version: //p' | head -n 1)
    sdir=$cache/strace-arm64-${sver:-unknown}
    if [ -n "$sver" ] && [ ! -x "$sdir/strace" ]; then
        tmp=$(mktemp -d)
        if (cd "$tmp" && apt-get download strace:arm64 >/dev/null 2>&1 && dpkg-deb -x strace_*.deb root); then
            mkdir -p "$sdir" && cp "$tmp/root/usr/bin/strace" "$sdir/strace"
        fi
        rm -rf "$tmp"
    fi
    rm -f "$out/l1-extra/bench/strace"
    if [ -x "$sdir/strace" ]; then
        cp "$sdir/strace" "$out/l1-extra/bench/strace"
    else
        say "no strace:arm64 (apt-get download failed): armpass's own timing only, no QEMU figures"
    fi
    [ -n "$rounds" ] || { [ "$quick" = 1 ] && rounds=1 || rounds=5; }
    # L1: 4 GiB, of which 1 GiB in one 1 GiB huge page and 1 GiB in 512 2 MiB pages (each guest
    # has 1 GiB of RAM), THP only where madvised (both VMMs madvise their default RAM).
    pools="hugepagesz=1G hugepages=1 hugepagesz=2M hugepages=512 transparent_hugepage=madvise"
    # --parts: map, start, reads (or the parts' own names)
    dparts=''
    for p in $(echo "${parts:-map,start,reads}" | tr , ' '); do
        case $p in
        map|dma-backends) dparts="$dparts,dma-backends" ;;
        start|backing-start) dparts="$dparts,backing-start" ;;
        reads|backing-reads) dparts="$dparts,backing-reads" ;;
        *) echo "bench.sh: --dma --parts takes map, start, reads (not $p)" >&2; exit 2 ;;
        esac
    done
    dappend="armpass.bench_quick=$quick armpass.bench_dma_rounds=$rounds armpass.bench_parts=${dparts#,}"
    [ -z "$backing_rounds" ] || dappend="$dappend armpass.bench_backing_rounds=$backing_rounds"
    say "booting the test bed (Linux 6.12; ${dparts#,}) (L0 console: $out/logs/)"
    status=0
    python3 "$top/tests/testbed/run.py" --case bench-dma --mem 4G --smp 2 --nvme \
        --kernel "$kernel" --busybox "$busybox" --armpass "$armpass" \
        --l1-extra "$qemu_root" --l1-extra "$out/l1-extra" \
        --append "$dappend $pools" \
        --timeout 5400 --logdir "$out/logs" >"$out/run-dma.txt" 2>&1 || status=$?
    if [ "$status" != 0 ]; then
        say "the test bed run did not end cleanly (status $status); analysing what it printed"
        tail -n 20 "$out/run-dma.txt" >&2
    fi
    wall=$(($(date +%s) - t_start))
    python3 - "$host_json" "$kernel" "$armpass" "$top" "$wall" "$qemu_root" "$sdir/strace" <<'PY'
import datetime, json, os, subprocess, sys
path, kernel, armpass, top, wall, qroot, strace = sys.argv[1:8]
sys.path.insert(0, os.path.join(top, 'tests', 'bench'))
from analyze import git_commit
cpu = next((l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')), '?')
try:
    qv = json.load(open(os.path.join(qroot, 'qemu', 'manifest.json')))['version']
except (OSError, ValueError, KeyError):
    qv = None
l0 = subprocess.run(['qemu-system-aarch64', '--version'], capture_output=True, text=True).stdout
json.dump({'date': datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
           'commit': git_commit(top), 'kernel_image': os.path.basename(os.path.dirname(kernel)),
           'cpu': cpu, 'cpus': os.cpu_count(), 'l0_qemu': (l0.splitlines() or ['?'])[0],
           'qemu_arm64_version': qv, 'strace_arm64': os.path.basename(os.path.dirname(strace)) if os.path.exists(strace) else None,
           'armpass_bytes': os.path.getsize(armpass), 'wall_s': int(wall)}, open(path, 'w'), indent=1)
PY
    doc_args=()
    [ "$doc" = 1 ] && doc_args=(--doc "$top/docs/performance.md")
    python3 "$top/tests/bench/analyze.py" --dma-only --log "$(readlink -f "$out/logs/bench-dma-gic3-latest.log")" \
        --host "$host_json" --out "$out" "${doc_args[@]}"
    say "done in $((wall / 60)) min $((wall % 60)) s"
    exit 0
fi

say "Debian's arm64 QEMU and its libraries"
qemu_root=$(python3 "$top/tests/bench/qemu-closure.py" | tail -n 1)

# What the host side knows; analyze.py adds what L1 reported.
host_json=$out/host.json
python3 - "$host_json" "$kernel" "$qemu_root" "$armpass" "$top" <<'PY'
import datetime, json, os, platform, subprocess, sys, tempfile
path, kernel, qroot, armpass, top = sys.argv[1:6]
sys.path.insert(0, os.path.join(top, 'tests', 'bench'))
from analyze import git_commit
def sh(cmd):
    r = subprocess.run(cmd, shell=True, capture_output=True, text=True)
    return r.stdout.strip()
cpu = next((l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')), platform.machine())
mem = next(int(l.split()[1]) for l in open('/proc/meminfo') if l.startswith('MemTotal'))
osr = dict(l.rstrip().split('=', 1) for l in open('/etc/os-release') if '=' in l)
man = json.load(open(os.path.join(qroot, 'qemu', 'manifest.json')))
with tempfile.TemporaryDirectory() as t:
    subprocess.run(['aarch64-linux-gnu-strip', '-o', t + '/a', armpass], check=True)
    stripped = os.path.getsize(t + '/a')
json.dump({
    'date': datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
    'commit': git_commit(top),
    'cpu': cpu, 'cpus': os.cpu_count(), 'mem_gib': round(mem / 2**20, 1),
    'kernel': platform.release(), 'os': osr.get('PRETTY_NAME', '').strip('"'),
    'l0_qemu': sh('qemu-system-aarch64 --version').splitlines()[0],
    'kernel_image': os.path.basename(os.path.dirname(kernel)),
    'qemu_arm64_version': man['version'], 'qemu_closure_bytes': man['total_bytes'],
    'qemu_closure_files': len(man['files']),
    'armpass_bytes': os.path.getsize(armpass), 'armpass_stripped_bytes': stripped,
}, open(path, 'w'), indent=1)
PY

# libata.force=noncq: no NCQ on the AHCI's SATA disk, in L1 and (bench-lib.sh) in L2: L0's QEMU
# 7.2 aborts in its ich9-ahci model on some NCQ reads (QEMU issue #2777, fixed in later QEMU).
# hugepagesz=1G hugepages=1: the 1 GiB page of the passed-virtio part's direct-mapped guest (the
# test kernel cannot allocate one once it runs: no CONFIG_CONTIG_ALLOC); L0 gives L1 1 GiB more.
append="armpass.bench_runs=$runs armpass.bench_quick=$quick libata.force=noncq hugepagesz=1G hugepages=1"
[ -z "$parts" ] || append="$append armpass.bench_parts=$parts"
[ -z "$pci_rounds" ] || append="$append armpass.bench_pci_rounds=$pci_rounds"
[ -z "$pci_modes" ] || append="$append armpass.bench_pci_modes=$pci_modes"
[ -z "$pv_rounds" ] || append="$append armpass.bench_pv_rounds=$pv_rounds"
say "booting the test bed with the bench (L0 console: $out/logs/; this takes a while)"
status=0
# L1 at 5 GiB, 4 GiB of it not in the 1 GiB page: the DMA-map part gives a 2 GiB guest the NVMe,
# and every page of it is pinned.
# --ahci: L0's ich9-ahci and its disk, the plain-MSI rows of the PCI part. --virtio-blk
# --virtio-net --net-peer: L0's virtio-mmio disk and NIC and the host's TCP peer
# (tests/bench/net-peer.py), the passed-virtio part.
python3 "$top/tests/testbed/run.py" --case bench-all --mem 5G --smp 2 --nvme --ahci \
    --virtio-blk --virtio-net --net-peer \
    --kernel "$kernel" --busybox "$busybox" --armpass "$armpass" \
    --l1-extra "$qemu_root" --l1-extra "$out/l1-extra" \
    --append "$append" --timeout 5400 --logdir "$out/logs" >"$out/run.txt" 2>&1 || status=$?
log=$(readlink -f "$out/logs/bench-all-gic3-latest.log")
if [ "$status" != 0 ]; then
    say "the test bed run did not end cleanly (status $status); analysing what it printed"
    tail -n 20 "$out/run.txt" >&2
fi

wall=$(($(date +%s) - t_start))
python3 - "$host_json" "$wall" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d['wall_s'] = int(sys.argv[2])
json.dump(d, open(sys.argv[1], 'w'), indent=1)
PY
doc_args=()
[ "$doc" = 1 ] && doc_args=(--doc "$top/docs/performance.md")
if [ "$parts" = passed-virtio ]; then
    # that part alone: its own results and tables, the rest of docs/performance.md as it is
    python3 "$top/tests/bench/analyze.py" --passed-virtio-only --log "$log" --host "$host_json" --out "$out" \
        "${doc_args[@]}"
else
    python3 "$top/tests/bench/analyze.py" --log "$log" --host "$host_json" --out "$out" "${doc_args[@]}"
fi
say "done in $((wall / 60)) min $((wall % 60)) s"
