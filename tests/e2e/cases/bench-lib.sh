# SPDX-License-Identifier: GPL-2.0-only
# The benchmark's L1 side, sourced by the bench cases (bench-all.sh, bench-boot.sh); not a case
# itself. Each measurement prints one line "ARMPASS-BENCH {json}" on L1's console, which
# scripts/bench.sh collects from the console log (tests/bench/analyze.py reads them). Nothing
# here judges a figure: a benchmark prints, it does not fail on a slow machine. A run that
# goes wrong is recorded as it is (its status, its log's tail) and left out of the figures.
#
# What runs in L1 (see docs/performance.md):
#   /armpass                       the static aarch64 armpass
#   /qemu/qemu-system-aarch64      Debian's arm64 QEMU with its libraries in /lib (the tree of
#                                  tests/bench/qemu-closure.py, copied in by run.py --l1-extra)
#   /bench/first.Image             the first-instruction probe (tests/bench/first-insn.S)
#   /progs/bench-run, bench-mmio, bench-kvm-exit, bench-blk   (tests/progs)
#   0000:00:01.0                   L0's NVMe behind its SMMUv3 (run.py --nvme): the PCI part
#   0000:00:03.0                   L0's ich9-ahci, plain MSI (run.py --ahci): its MSI rows
#   *.virtio_mmio                  L0's virtio-blk-device and virtio-net-device (run.py
#                                  --virtio-blk --virtio-net --net-peer): the passed-virtio part
# Parameters, from L1's kernel command line (scripts/bench.sh sets them):
#   armpass.bench_runs=N     boot runs per VMM at 256 MiB / 2 vCPUs (default 20)
#   armpass.bench_quick=1    a smoke run: one or two of everything
#   armpass.bench_parts=A,B  which parts (default size,first,boot,scale,footprint,mmio,irq,
#                            passed-virtio,pci;
#                            pci is pci-io and pci-dma, each selectable alone; dma-backends,
#                            the DMA map by guest-RAM backing and VFIO backend, only when
#                            named: it needs the 6.12 kernel and huge page pools,
#                            scripts/bench.sh --dma)
#   armpass.bench_dma_rounds=N  rounds of dma-backends (default 5; quick 1)
#   armpass.bench_pci_rounds=N  rounds of pci-io (default 6; quick 1)
#   armpass.bench_pci_modes=A,B the interrupt modes of pci-io (default msix,intx,intx-off,msi)
#   armpass.bench_backing_rounds=N  rounds of backing-start and backing-reads (default 4;
#                            quick 1): start, preallocation and NVMe reads by guest-RAM backing,
#                            only when named (the 6.12 kernel and huge page pools, as dma-backends)
#   armpass.bench_pv_rounds=N   rounds of passed-virtio (default 4; quick 1)

P=/progs
QEMU_BIN=/qemu/qemu-system-aarch64
L2_APPEND="console=ttyAMA0 quiet"

bench_emit() { echo "ARMPASS-BENCH $*"; }

# bench_params: reads the parameters above into BENCH_RUNS, BENCH_QUICK, BENCH_PARTS.
bench_params() {
    BENCH_QUICK=0 BENCH_PARTS=size,first,boot,scale,footprint,mmio,irq,passed-virtio,pci
    PCI_MODES="msix intx intx-off msi"
    for arg in $(cat /proc/cmdline); do
        case $arg in
        armpass.bench_runs=*) BENCH_RUNS=${arg#*=} ;;
        armpass.bench_quick=*) BENCH_QUICK=${arg#*=} ;;
        armpass.bench_parts=*) BENCH_PARTS=${arg#*=} ;;
        armpass.bench_dma_rounds=*) _dma_rounds=${arg#*=} ;;
        armpass.bench_pci_rounds=*) _pci_rounds=${arg#*=} ;;
        armpass.bench_pci_modes=*) PCI_MODES=$(echo "${arg#*=}" | tr , ' ') ;;
        armpass.bench_backing_rounds=*) _backing_rounds=${arg#*=} ;;
        armpass.bench_pv_rounds=*) _pv_rounds=${arg#*=} ;;
        esac
    done
    BENCH_RUNS=${BENCH_RUNS:-20}
    if [ "$BENCH_QUICK" = 1 ]; then
        MMIO_ROUNDS=2 IRQ_RUNS=1 FIRST_RUNS=3 SCALE_RUNS=1 FOOT_RUNS=1
        MAPPED_READS=100000 MAPPED_BATCHES=5 TRAP_READS=500 TRAP_BATCHES=3 IRQS=50 IRQS_OFF=50
        EXIT_N=1000 EXIT_BATCHES=3
        PCI_ROUNDS=1 BLK_QD1=300 BLK_QD32=640 BLK_SEQ=32 DMA_RUNS=1 DMA_RAMS="256 1024"
        DMA_ROUNDS=1 BACKING_ROUNDS=1
        PV_ROUNDS=1 PV_QD1=200 PV_SEQ=16 PV_NET_BYTES=2097152 PV_PINGS=100
    else
        MMIO_ROUNDS=10 IRQ_RUNS=4 FIRST_RUNS=16 SCALE_RUNS=6 FOOT_RUNS=4
        MAPPED_READS=200000 MAPPED_BATCHES=10 TRAP_READS=2000 TRAP_BATCHES=5 IRQS=200 IRQS_OFF=200
        EXIT_N=2000 EXIT_BATCHES=5
        PCI_ROUNDS=6 BLK_QD1=1500 BLK_QD32=3200 BLK_SEQ=256 DMA_RUNS=3 DMA_RAMS="256 512 1024 2048"
        DMA_ROUNDS=5 BACKING_ROUNDS=4
        PV_ROUNDS=4 PV_QD1=1000 PV_SEQ=64 PV_NET_BYTES=8388608 PV_PINGS=500
    fi
    [ -z "${_dma_rounds:-}" ] || DMA_ROUNDS=$_dma_rounds
    [ -z "${_pci_rounds:-}" ] || PCI_ROUNDS=$_pci_rounds
    [ -z "${_backing_rounds:-}" ] || BACKING_ROUNDS=$_backing_rounds
    [ -z "${_pv_rounds:-}" ] || PV_ROUNDS=$_pv_rounds
}

bench_wants() {
    case ",$BENCH_PARTS," in
    *",$1,"*) return 0 ;;
    *",pci,"*) case $1 in pci-*) return 0 ;; esac ;;
    esac
    return 1
}

have_qemu() { [ -x "$QEMU_BIN" ]; }

# vmm_cmd VMM RAM_MIB SMP: the command line that boots a VM of that size, without the payload.
vmm_cmd() {
    case $1 in
    armpass) echo "/armpass -M virt,gic-version=3 -smp $3 -m ${2}M -nographic -d stats" ;;
    qemu) echo "$QEMU_BIN -M virt,gic-version=3 -cpu host -enable-kvm -smp $3 -m ${2}M -display none -nodefaults -serial stdio -nic none" ;;
    esac
}

# measure LOG RAM_MIB TIMEOUT MARKER [bench-run options...] -- COMMAND...: bench-run's JSON
# line on stdout; the VMM's console in LOG. The first -d stats block and every BENCH-MMIO line
# are kept in the JSON. The process is sampled (smaps, KVM's counters) once, at the marker:
# sampling smaps costs an L1 CPU, so the timed runs do not poll (POLL_MS=N: every N ms, for
# the footprint runs).
measure() {
    _log=$1 _ram=$2 _t=$3 _m=$4
    shift 4
    "$P/bench-run" --marker "$_m" --ram-mib "$_ram" --timeout "$_t" --poll-ms "${POLL_MS:-0}" \
        --grab BENCH-MMIO --stats "armpass stats:" --log "$_log" "$@"
}

# check_run JSON LOG WHAT: says so on the console when a run did not end well (a status other
# than 0, or bench-run's timeout).
check_run() {
    case $1 in
    *'"timed_out": true'*) ;;
    *'"status": 0,'*) return 0 ;;
    esac
    echo "bench: $3 did not end well; the last lines of its console:"
    tail -n 15 "$2"
}

bench_env() {
    _q=none
    have_qemu && _q=$("$QEMU_BIN" --version | head -n 1)
    _mem=$(awk '/MemTotal/ { print $2 }' /proc/meminfo)
    _ap=$(/armpass -version 2>&1 | head -n 1)
    bench_emit "{\"part\": \"env\", \"l1_kernel\": \"$(uname -r)\", \"l1_nproc\": $(nproc), \"l1_mem_kib\": $_mem, \"l1_qemu\": \"$_q\", \"armpass_version\": \"$_ap\", \"quick\": $BENCH_QUICK, \"runs\": $BENCH_RUNS, \"parts\": \"$BENCH_PARTS\", \"pci_rounds\": $PCI_ROUNDS, \"pci_modes\": \"$PCI_MODES\", \"backing_rounds\": $BACKING_ROUNDS, \"blk\": {\"qd1\": $BLK_QD1, \"qd32\": $BLK_QD32, \"seq\": $BLK_SEQ}}"
}

# --- 1 and 2: mapped and trapped MMIO ---------------------------------------------------------
# Per round, interleaved so that drift hits every figure alike: in L1 the bare KVM exit
# (bench-kvm-exit) and the pl031/fw-cfg through VFIO (mmap and pread); in L2 under armpass the
# pl031 mapped, then the pl031 with x-no-mmap=on and fw-cfg (trapped); in L2 under QEMU the
# same reads of QEMU's own emulated pl031 and fw-cfg (trapped by design: a reference).
bench_mmio() {
    bind_vfio amba 9010000.pl031 vfio-amba
    bind_vfio platform 9020000.fw-cfg vfio-platform
    _pass="-device vfio-amba,host=9010000.pl031,noiommu=on"
    _fw="-device vfio-platform,host=9020000.fw-cfg,noiommu=on"
    _args="bench.reads=$MAPPED_READS bench.batches=$MAPPED_BATCHES bench.treads=$TRAP_READS bench.tbatches=$TRAP_BATCHES"
    r=0
    while [ "$r" -lt "$MMIO_ROUNDS" ]; do
        for variant in "load" "store" "load nogic" "load mmu" "load timer"; do
            # shellcheck disable=SC2046,SC2086
            out=$("$P/bench-kvm-exit" "$EXIT_N" "$EXIT_BATCHES" $variant 2>&1)
            case $out in
            "BENCH-KVM-EXIT {"*)
                bench_emit "{\"part\": \"kvm-exit\", \"round\": $r, \"result\": ${out#BENCH-KVM-EXIT }}" ;;
            *) echo "bench: bench-kvm-exit $variant: $out" ;;
            esac
        done
        for dev in 9010000.pl031 9020000.fw-cfg; do
            "$P/bench-mmio" vfio "$dev" 0 "$MAPPED_READS" "$MAPPED_BATCHES" 2>&1 |
                while IFS= read -r line; do
                    case $line in
                    "BENCH-MMIO {"*)
                        bench_emit "{\"part\": \"l1-mmio\", \"round\": $r, \"result\": ${line#BENCH-MMIO }}" ;;
                    *) echo "bench: bench-mmio vfio $dev: $line" ;;
                    esac
                done
        done
        # shellcheck disable=SC2046,SC2086
        j=$(measure /tmp/mapped.log 256 300 ARMPASS-L2-UP -- $(vmm_cmd armpass 256 1) \
            -kernel /Image -initrd /l2.cpio.gz -append "$L2_APPEND l2case=bench-mapped $_args" $_pass)
        check_run "$j" /tmp/mapped.log "the mapped run"
        bench_emit "{\"part\": \"l2-mmio\", \"round\": $r, \"vmm\": \"armpass\", \"config\": \"mapped\", \"run\": $j}"
        # shellcheck disable=SC2046,SC2086
        j=$(measure /tmp/trapped.log 256 600 ARMPASS-L2-UP -- $(vmm_cmd armpass 256 1) \
            -kernel /Image -initrd /l2.cpio.gz -append "$L2_APPEND l2case=bench-trapped $_args" \
            $_pass,x-no-mmap=on $_fw)
        check_run "$j" /tmp/trapped.log "the trapped run"
        bench_emit "{\"part\": \"l2-mmio\", \"round\": $r, \"vmm\": \"armpass\", \"config\": \"trapped\", \"run\": $j}"
        if have_qemu; then
            # shellcheck disable=SC2046,SC2086
            j=$(measure /tmp/qtrapped.log 256 600 ARMPASS-L2-UP -- $(vmm_cmd qemu 256 1) \
                -kernel /Image -initrd /l2.cpio.gz -append "$L2_APPEND l2case=bench-trapped $_args")
            check_run "$j" /tmp/qtrapped.log "the QEMU trapped run"
            bench_emit "{\"part\": \"l2-mmio\", \"round\": $r, \"vmm\": \"qemu\", \"config\": \"emulated\", \"run\": $j}"
        fi
        r=$((r + 1))
    done
}

# --- 3: the interrupt path --------------------------------------------------------------------
# The pl031 passed through (mapped); L2's bench-mmio raises its alarm interrupt IRQS times in a
# tight loop (bench-mmio irq). armpass's -d stats counts its userspace wake-ups per IRQ; the
# KVM exits of the loop's window minus those of an idle window of the same length are the
# exits the interrupts caused.
bench_irq() {
    bind_vfio amba 9010000.pl031 vfio-amba
    r=0
    while [ "$r" -lt "$IRQ_RUNS" ]; do
        for irqfd in on off; do
            n=$IRQS
            [ "$irqfd" = off ] && n=$IRQS_OFF
            # shellcheck disable=SC2046,SC2086
            j=$(measure /tmp/irq.log 256 300 ARMPASS-L2-UP -- $(vmm_cmd armpass 256 1) \
                -kernel /Image -initrd /l2.cpio.gz -append "$L2_APPEND l2case=bench-irq bench.irqs=$n" \
                -device "vfio-amba,host=9010000.pl031,noiommu=on,x-irqfd=$irqfd")
            check_run "$j" /tmp/irq.log "the interrupt run (x-irqfd=$irqfd)"
            bench_emit "{\"part\": \"irq\", \"round\": $r, \"vmm\": \"armpass\", \"irqfd\": \"$irqfd\", \"irqs\": $n, \"run\": $j}"
        done
        r=$((r + 1))
    done
}

# --- 4 and 5: start to first instruction, boot, footprint, scale ------------------------------
# bench_first ROUND VMM: the probe image; its '@' is the first guest instruction's output.
bench_first() {
    # shellcheck disable=SC2046,SC2086
    j=$(measure /tmp/first.log 256 60 @ -- $(vmm_cmd "$2" 256 1) -kernel /bench/first.Image -append "")
    check_run "$j" /tmp/first.log "the first-instruction run of $2"
    bench_emit "{\"part\": \"first\", \"round\": $1, \"vmm\": \"$2\", \"ram_mib\": 256, \"smp\": 1, \"run\": $j}"
}

# bench_boot1 PART ROUND VMM RAM_MIB SMP: one boot of L2 to its marker (it holds 0.5 s there,
# l2cases/bench-hold.sh, so the VM is still whole when bench-run samples it).
bench_boot1() {
    # shellcheck disable=SC2046,SC2086
    j=$(measure /tmp/boot.log "$4" 300 ARMPASS-L2-UP -- $(vmm_cmd "$3" "$4" "$5") \
        -kernel /Image -initrd /l2.cpio.gz -append "$L2_APPEND l2case=bench-hold")
    check_run "$j" /tmp/boot.log "boot $3 ${4}M/$5"
    bench_emit "{\"part\": \"$1\", \"round\": $2, \"vmm\": \"$3\", \"ram_mib\": $4, \"smp\": $5, \"run\": $j}"
}

# Both VMMs, alternating (which goes first alternates too), so that drift hits both alike.
vmm_pair() { if [ $(($1 % 2)) = 0 ]; then echo "armpass qemu"; else echo "qemu armpass"; fi; }
vmms() { if have_qemu; then vmm_pair "$1"; else echo armpass; fi; }

bench_warmup() {
    # One of each, not counted: the first VM of an L1 pays for KVM's and the page cache's
    # first use.
    for v in $(vmms 0); do
        # shellcheck disable=SC2046,SC2086
        # shellcheck disable=SC2046
        "$P/bench-run" --marker @ --timeout 60 -- $(vmm_cmd "$v" 256 1) \
            -kernel /bench/first.Image -append "" >/dev/null 2>&1
        # shellcheck disable=SC2046,SC2086
        "$P/bench-run" --marker ARMPASS-L2-UP --timeout 120 -- $(vmm_cmd "$v" 256 2) \
            -kernel /Image -initrd /l2.cpio.gz -append "$L2_APPEND l2case=bench-hold" >/dev/null 2>&1
    done
}

bench_firsts() {
    r=0
    while [ "$r" -lt "$FIRST_RUNS" ]; do
        for v in $(vmms "$r"); do bench_first "$r" "$v"; done
        r=$((r + 1))
    done
}

# Peak RSS beyond guest RAM: boots at 256 MiB / 2 vCPUs with smaps sampled every 20 ms (their
# times are not used: the sampling slows the VMM down).
bench_footprint() {
    r=0 POLL_MS=20
    while [ "$r" -lt "$FOOT_RUNS" ]; do
        for v in $(vmms "$r"); do bench_boot1 footprint "$r" "$v" 256 2; done
        r=$((r + 1))
    done
    POLL_MS=0
}

# The boot comparison (256 MiB, 2 vCPUs: BENCH_RUNS each) and the scale points (SCALE_RUNS
# each), round-robin so that every point sees the same drift.
bench_boots() {
    _scale=$1
    _points="256:2"
    [ "$_scale" = 1 ] && _points="256:2 128:2 512:2 1024:2 256:1 256:3 256:4"
    _max=$BENCH_RUNS
    [ "$SCALE_RUNS" -gt "$_max" ] && _max=$SCALE_RUNS
    r=0
    while [ "$r" -lt "$_max" ]; do
        for pt in $_points; do
            ram=${pt%:*} smp=${pt#*:}
            if [ "$pt" = 256:2 ]; then
                [ "$r" -lt "$BENCH_RUNS" ] || continue
                part=boot
            else
                [ "$r" -lt "$SCALE_RUNS" ] || continue
                part=scale
            fi
            for v in $(vmms "$r"); do bench_boot1 "$part" "$r" "$v" "$ram" "$smp"; done
        done
        r=$((r + 1))
    done
}

# --- 6: PCI passthrough (L0's NVMe behind its SMMUv3, run.py --nvme; its AHCI, run.py --ahci) --
# The interrupt modes measured, one entry each in pci_mode: its PCI device, the L2 command-line
# words that select the mode, the /proc/interrupts word that counts its interrupts, L1's host
# driver and the function that finds its disk in L1, and what each VMM adds to its -device
# option. MSI-X is the NVMe as it comes; INTx is the same NVMe with pci=nomsi on L2's command
# line (an irqfd with a resamplefd under both VMMs); intx-off is that INTx line on each VMM's
# userspace fallback (armpass's x-irqfd=off, QEMU's x-no-kvm-intx=on: both complete a level
# interrupt at the guest's first trapped access to the device); MSI is L0's ich9-ahci (plain
# MSI, no MSI-X) and its SATA disk, without NCQ (L0's QEMU 7.2 aborts on some NCQ reads, QEMU
# issue #2777; scripts/bench.sh gives L1 the same libata.force=noncq).
PCI_BDF=0000:00:01.0
AHCI_BDF=0000:00:03.0
pci_mode() {
    _opt_armpass='' _opt_qemu='' _disk_fn=nvme_disk
    case $1 in
    msix) _bdf=$PCI_BDF _l2='' _irq=nvme _host_drv=nvme ;;
    intx) _bdf=$PCI_BDF _l2='pci=nomsi' _irq=nvme _host_drv=nvme ;;
    intx-off)
        _bdf=$PCI_BDF _l2='pci=nomsi' _irq=nvme _host_drv=nvme
        _opt_armpass=',x-irqfd=off' _opt_qemu=',x-no-kvm-intx=on' ;;
    msi) _bdf=$AHCI_BDF _l2='bench.disk=sda libata.force=noncq' _irq=ahci _host_drv=ahci _disk_fn=ata_disk ;;
    *) return 1 ;;
    esac
    [ -e "/sys/bus/pci/devices/$_bdf" ]
}

# vmm_pci_dev VMM BDF: the device option that passes BDF through, the same for both VMMs
# (plus the mode's own option for that VMM, after pci_mode).
vmm_pci_dev() {
    case $1 in
    armpass) echo "-device vfio-pci,host=$2${_opt_armpass:-}" ;;
    *) echo "-device vfio-pci,host=$2${_opt_qemu:-}" ;;
    esac
}

# bench_blk_l1 ROUND MODE DISK [PART [KEY]]: the floor, bench-blk in L1 on the bare device (the
# same waits for quiet and the same windows as in L2, though no VMM counts them: their
# interrupts, and those after, tell a storm in L1 too), _q1, _q32 and _sq reads (the caller's;
# BLK_QD1, BLK_QD32, BLK_SEQ by default; 0: that test is left out). PART defaults to pci-blk; KEY is the record's extra
# JSON ("mode": MODE by default).
bench_blk_l1() {
    _key="\"mode\": \"$2\""
    [ -z "${5:-}" ] || _key=$5
    for t in "rand 1 ${_q1:-$BLK_QD1} 4096 l1-qd1" "rand 32 ${_q32:-$BLK_QD32} 4096 l1-qd32" \
        "seq ${_sq:-$BLK_SEQ} 1048576 l1-seq"; do
        case " $t " in *" 0 "*) continue ;; esac     # a test the caller left out (0 reads)
        # shellcheck disable=SC2086
        out=$(BENCH_IRQ_MATCH=$_irq "$P/bench-blk" "$3" $t 2>&1 | grep '^BENCH-BLK {' || true)
        case $out in
        "BENCH-BLK {"*)
            bench_emit "{\"part\": \"${4:-pci-blk}\", \"round\": $1, $_key, \"vmm\": \"l1\", \"result\": ${out#BENCH-BLK }}" ;;
        *) echo "bench: bench-blk $3 $t in L1 gave nothing" ;;
        esac
    done
}

# Disk reads and the interrupt path: per round and mode, the floor in L1 (host driver), then
# L2 under each VMM with the device passed through (vfio-pci), reading the same disk; the
# boot of those runs is the "start -> L2 marker with the NVMe" figure. One mode's rounds after
# another's, in PCI_MODES' order: the AHCI's (msi) last, since L0's QEMU 7.2 may abort in its
# AHCI model (QEMU issue #2777) and take the rest of the run with it. KVM's counters (every
# file of the VM's debugfs folder: exits, wfi_exit_stat, mmio_exit_kernel, mmio_exit_user,
# hvc_exit_stat, halt_wakeup, ...) are read by bench-run at the window lines bench-blk prints
# right before the first read and right after the last of each test: direct counts over a
# fixed amount of work (l2cases/bench-blk.sh). PCI_ROUNDS rounds (armpass.bench_pci_rounds),
# which VMM goes first alternating from round to round.
bench_pci_io() {
    for mode in $PCI_MODES; do
        pci_mode "$mode" || continue
        # The fallback's reads are slow, QEMU's most (its guest's handler re-enters tens of
        # times a read, and at QD32 it can storm for many minutes, a read waiting until L2's
        # kernel gives up on the line): a third of the QD1 reads and a quarter of the others,
        # at most 2 rounds, and a VMM run ends after 8 minutes (the tests it finished count).
        _q1=$BLK_QD1 _q32=$BLK_QD32 _sq=$BLK_SEQ _rounds=$PCI_ROUNDS _tmo=900
        if [ "$mode" = intx-off ]; then
            _q1=$((BLK_QD1 / 3)) _q32=$((BLK_QD32 / 4)) _sq=$((BLK_SEQ / 4)) _tmo=480
            [ "$_rounds" -gt 2 ] && _rounds=2
        fi
        r=0
        while [ "$r" -lt "$_rounds" ]; do
            rebind_host "$_bdf" "$_host_drv" >/dev/null
            disk=$("$_disk_fn" "$_bdf") || { echo "bench: no disk for $_bdf in L1"; r=$((r + 1)); continue; }
            bench_blk_l1 "$r" "$mode" "$disk"
            bind_vfio_pci "$_bdf" >/dev/null
            for v in $(vmms "$r"); do
                # shellcheck disable=SC2046,SC2086
                j=$(measure /tmp/pci.log 256 "$_tmo" ARMPASS-L2-UP --grab BENCH-BLK -- $(vmm_cmd "$v" 256 2) \
                    -kernel /Image -initrd /l2.cpio.gz \
                    -append "$L2_APPEND l2case=bench-blk bench.qd1=$_q1 bench.qd32=$_q32 bench.seq=$_sq bench.irq=$_irq $_l2" \
                    $(vmm_pci_dev "$v" "$_bdf"))
                check_run "$j" /tmp/pci.log "the PCI run of $v ($mode)"
                bench_emit "{\"part\": \"pci-blk\", \"round\": $r, \"mode\": \"$mode\", \"vmm\": \"$v\", \"ram_mib\": 256, \"smp\": 2, \"run\": $j}"
            done
            r=$((r + 1))
        done
    done
}

# bench_warm_l1_ram: writes L1's free memory once (a file on a tmpfs of its own as large as
# what is available, less 256 MiB, then removed): the first touch of a page of L1's RAM makes
# L0 (TCG) fault it in on the host, and whichever run pinned it first would pay for that.
bench_warm_l1_ram() {
    _avail=$(awk '/MemAvailable/ { print int($2 / 1024) - 256 }' /proc/meminfo)
    if [ "$_avail" -gt 0 ] && mkdir -p /run/bench-warm &&
        mount -t tmpfs -o "size=${_avail}m" tmpfs /run/bench-warm; then
        dd if=/dev/zero of=/run/bench-warm/f bs=1M count="$_avail" 2>/dev/null
        umount /run/bench-warm
    fi
}

# The DMA map of guest RAM at start: the first-instruction probe (it never touches the device)
# with and without the NVMe passed through, for each RAM size; the difference is what giving
# the VM a device costs before its first instruction, and its growth with RAM is the DMA map
# (VFIO_IOMMU_MAP_DMA pins, i.e. faults in, every page). armpass's -d stats also times its
# VFIO_IOMMU_MAP_DMA calls ("vfio BDF dma (type1v2): ...").
bench_pci_dma() {
    pci_mode msix || return 0
    bind_vfio_pci "$_bdf" >/dev/null
    # Not counted: the first touch of a page of L1's RAM makes L0 (TCG) fault it in on the
    # host, and whichever VMM pinned it first would pay for that in its DMA map, the next one
    # would not. So L1's free memory is written once (a file on a tmpfs of its own as large as what is
    # available, less 256 MiB, then removed), and each VMM runs once at the largest size with
    # the device.
    bench_warm_l1_ram
    _max=0
    for ram in $DMA_RAMS; do [ "$ram" -gt "$_max" ] && _max=$ram; done
    for v in $(vmms 0); do
        # shellcheck disable=SC2046,SC2086
        "$P/bench-run" --marker @ --timeout 120 -- $(vmm_cmd "$v" "$_max" 1) \
            -kernel /bench/first.Image -append "" $(vmm_pci_dev "$v" "$_bdf") >/dev/null 2>&1
    done
    r=0 _i=0
    while [ "$r" -lt "$DMA_RUNS" ]; do
        for ram in $DMA_RAMS; do
            _i=$((_i + 1))     # which VMM goes first alternates from point to point
            for v in $(vmms "$_i"); do
                for dev in 0 1; do
                    _d=''
                    [ "$dev" = 1 ] && _d=$(vmm_pci_dev "$v" "$_bdf")
                    # shellcheck disable=SC2046,SC2086
                    j=$(measure /tmp/dma.log "$ram" 120 @ -- $(vmm_cmd "$v" "$ram" 1) \
                        -kernel /bench/first.Image -append "" $_d)
                    check_run "$j" /tmp/dma.log "the DMA-map run of $v (${ram}M, device $dev)"
                    bench_emit "{\"part\": \"pci-dma\", \"round\": $r, \"vmm\": \"$v\", \"ram_mib\": $ram, \"dev\": $dev, \"run\": $j}"
                done
            done
        done
        r=$((r + 1))
    done
}

# --- The DMA map of guest RAM by backing and VFIO backend (scripts/bench.sh --dma) -------------
# On the 6.12 kernel, L1 booted with huge page pools (scripts/bench.sh: hugepagesz=1G
# hugepages=1 hugepagesz=2M hugepages=512 transparent_hugepage=madvise, L0 -m 4G). Per round,
# for each backing of the guest's RAM (DMA_RAM_MIB, 1 GiB):
#   4k          armpass -M virt,thp=off; QEMU's default RAM (it always madvises MADV_HUGEPAGE,
#               so L1's THP is set to "never" around this backing's runs, for both VMMs)
#   thp         both VMMs' default RAM: anonymous, 2 MiB-aligned, MADV_HUGEPAGE (L1: madvise)
#   hugetlb-2m  -object memory-backend-memfd,id=mem0,size=1024M,hugetlb=on,hugetlbsize=2M
#               -M virt,...,memory-backend=mem0 (the same words for both VMMs)
#   hugetlb-1g  the same with hugetlbsize=1G
# and each of them again with guest RAM faulted in before the map (-mem-prealloc, or
# prealloc=on on the -object; both VMMs fault it in with MADV_POPULATE_WRITE): "prealloc" 1.
# Without it the map call faults in (allocates and zeroes) every page it pins that the VMM
# has not touched yet, so its time is fault-in + pin + IOMMU map; with it, pin + IOMMU map.
# armpass boots the first-instruction probe with L0's NVMe passed through the legacy container
# (type1v2) and through iommufd, QEMU (7.2: no iommufd backend) through the legacy container;
# the order armpass / QEMU alternates from backing to backing and round to round, and the
# backings' order rotates. Every run goes under strace (-T, ioctls only, seccomp-bpf so that
# nothing else stops), whose time in VFIO_IOMMU_MAP_DMA (0x3b71) or IOMMU_IOAS_MAP (0x3b85)
# is the one instrument both VMMs share (and its time in madvise(MADV_POPULATE_WRITE), the
# preallocation); armpass's own timing of the same calls (-d stats:
# "vfio BDF dma (BACKEND): N mappings, X bytes in Y us") is kept beside it. L1's
# thp_fault_alloc and thp_fault_fallback (/proc/vmstat) before and after each run count the
# 2 MiB pages that backed its RAM; armpass's "guest RAM huge pages" stats line says the same.
DMA_BACKINGS="4k thp hugetlb-2m hugetlb-1g"
DMA_RAM_MIB=1024
STRACE=/bench/strace
STRACE_BPF=--seccomp-bpf

# dma_backend_dev BACKEND BDF: the options that pass BDF through that VFIO backend (the legacy
# one's words are QEMU's too).
dma_backend_dev() {
    case $1 in
    iommufd) echo "-object iommufd,id=io0 -device vfio-pci,host=$2,iommufd=io0" ;;
    *) echo "-device vfio-pci,host=$2" ;;
    esac
}

# dma_vmm_cmd VMM BACKING RAM_MIB PREALLOC: the VMM's command line (no payload, no device)
# with guest RAM on that backing, faulted in at start if PREALLOC is 1; one vCPU.
dma_vmm_cmd() {
    _mp='' _obj=''
    case $2 in
    4k) [ "$1" = armpass ] && _mp=,thp=off ;;
    thp) ;;
    hugetlb-2m) _obj="-object memory-backend-memfd,id=mem0,size=${3}M,hugetlb=on,hugetlbsize=2M" _mp=,memory-backend=mem0 ;;
    hugetlb-1g) _obj="-object memory-backend-memfd,id=mem0,size=${3}M,hugetlb=on,hugetlbsize=1G" _mp=,memory-backend=mem0 ;;
    esac
    if [ "$4" = 1 ]; then
        if [ -n "$_obj" ]; then _obj="$_obj,prealloc=on"; else _obj=-mem-prealloc; fi
    fi
    case $1 in
    armpass) echo "/armpass -M virt,gic-version=3$_mp -smp 1 -m ${3}M -nographic -d stats $_obj" ;;
    qemu) echo "$QEMU_BIN -M virt,gic-version=3$_mp -cpu host -enable-kvm -smp 1 -m ${3}M -display none -nodefaults -serial stdio -nic none $_obj" ;;
    esac
}

thp_enabled() { sed -n 's/.*\[\([a-z]*\)\].*/\1/p' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null; }
thp_counts() { awk '$1 == "thp_fault_alloc" { a = $2 } $1 == "thp_fault_fallback" { f = $2 } END { print a + 0, f + 0 }' /proc/vmstat; }
hugepool() { cat "/sys/kernel/mm/hugepages/hugepages-$1kB/$2" 2>/dev/null || echo 0; }

# dma_strace_sum FILES...: the map calls strace saw, as JSON: how many returned 0, their time
# in seconds, how many failed, and the lines themselves.
dma_strace_sum() {
    cat "$@" 2>/dev/null | awk '
        /ioctl\(/ && /, 0x3b(71|85), / {
            t = $NF; gsub(/[<>]/, "", t)
            if ($0 ~ /\) += 0 </) { n++; s += t } else f++
            l = $0; gsub(/[\\"]/, "", l); gsub(/  +/, " ", l)
            lines = lines (lines == "" ? "" : ", ") "\"" l "\""
        }
        /madvise\(/ && /MADV_POPULATE_WRITE/ && /\) += 0 </ { t = $NF; gsub(/[<>]/, "", t); pn++; ps += t }
        END { printf "{\"maps\": %d, \"s\": %.6f, \"failed\": %d, \"populate\": %d, \"populate_s\": %.6f, \"lines\": [%s]}", n, s, f, pn, ps, lines }'
}

# dma_run ROUND VMM VFIO BACKING PREALLOC: one run; ROUND -1 is a warm-up, not printed as a
# sample.
dma_run() {
    _prealloc=$5
    # shellcheck disable=SC2046,SC2086
    set -- "$1" "$2" "$3" "$4" $(thp_counts)
    rm -f /tmp/dma-st /tmp/dma-st.*
    _pre=''
    [ -x "$STRACE" ] && _pre="$STRACE -f -ff -T -qq -e trace=ioctl,madvise -e raw=ioctl $STRACE_BPF -o /tmp/dma-st --"
    # shellcheck disable=SC2046,SC2086
    j=$(measure /tmp/dma.log "$DMA_RAM_MIB" 240 @ -- $_pre $(dma_vmm_cmd "$2" "$4" "$DMA_RAM_MIB" "$_prealloc") \
        -kernel /bench/first.Image -append "" $(dma_backend_dev "$3" "$PCI_BDF"))
    # shellcheck disable=SC2046
    set -- "$@" $(thp_counts)
    check_run "$j" /tmp/dma.log "the DMA-map run of $2 through $3, guest RAM on $4 (prealloc $_prealloc)"
    [ "$1" -ge 0 ] || return 0
    _st=null
    [ -x "$STRACE" ] && _st=$(dma_strace_sum /tmp/dma-st.*)
    bench_emit "{\"part\": \"dma-backing\", \"round\": $1, \"vmm\": \"$2\", \"vfio\": \"$3\", \"backing\": \"$4\", \"prealloc\": $_prealloc, \"ram_mib\": $DMA_RAM_MIB, \"thp_mode\": \"$(thp_enabled)\", \"thp_fault_alloc\": $(($7 - $5)), \"thp_fault_fallback\": $(($8 - $6)), \"strace\": $_st, \"run\": $j}"
}

# dma_backing_runs ROUND BACKING PREALLOC FLIP: armpass through both VFIO backends and QEMU
# through the legacy one, QEMU between the two armpass runs; FLIP odd reverses the order.
dma_backing_runs() {
    _seq="armpass:type1v2 qemu:type1v2 armpass:iommufd"
    [ $(($4 % 2)) = 1 ] && _seq="armpass:iommufd qemu:type1v2 armpass:type1v2"
    _thp0=$(thp_enabled)
    [ "$2" = 4k ] && [ -n "$_thp0" ] && echo never > /sys/kernel/mm/transparent_hugepage/enabled
    for _x in $_seq; do
        case $_x in qemu:*) [ "$DMA_QEMU" = 1 ] || continue ;; esac
        [ "$_x" = armpass:iommufd ] && [ "$DMA_IOMMUFD" != 1 ] && continue
        dma_run "$1" "${_x%%:*}" "${_x#*:}" "$2" "$3"
    done
    [ -n "$_thp0" ] && echo "$_thp0" > /sys/kernel/mm/transparent_hugepage/enabled
    return 0
}

bench_dma_backends() {
    if [ ! -e "/sys/bus/pci/devices/$PCI_BDF" ]; then
        echo "bench: no $PCI_BDF in L1 (run.py --nvme): no DMA-map figures"
        return 0
    fi
    DMA_IOMMUFD=1 DMA_QEMU=1
    if [ ! -c /dev/iommu ]; then
        echo "bench: no /dev/iommu in L1 (Linux $(uname -r)): no iommufd figures; run it on 6.12 (scripts/bench.sh --dma)"
        DMA_IOMMUFD=0
    fi
    have_qemu || { echo "bench: no $QEMU_BIN in L1: no QEMU figures"; DMA_QEMU=0; }
    STRACE_BPF=--seccomp-bpf
    if [ -x "$STRACE" ] && ! "$STRACE" -f -qq -e trace=ioctl $STRACE_BPF -o /dev/null -- true >/dev/null 2>&1; then
        STRACE_BPF=''
        "$STRACE" -f -qq -e trace=ioctl -o /dev/null -- true >/dev/null 2>&1 || STRACE=/bench/strace-does-not-run
        echo "bench: strace --seccomp-bpf does not run here (strace: ${STRACE})"
    fi
    if [ ! -x "$STRACE" ]; then
        echo "bench: no working $STRACE in L1: QEMU's map time cannot be read, armpass's own timing only"
        DMA_QEMU=0
    fi
    _g1=$(hugepool 1048576 nr_hugepages) _g1f=$(hugepool 1048576 free_hugepages)
    _m2=$(hugepool 2048 nr_hugepages) _m2f=$(hugepool 2048 free_hugepages)
    _need2=$((DMA_RAM_MIB / 2))
    _thp=$(thp_enabled)
    echo "bench: L1's pools: /sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages=$_g1 (free $_g1f), hugepages-2048kB/nr_hugepages=$_m2 (free $_m2f); THP $_thp; guest RAM ${DMA_RAM_MIB} MiB"
    bench_emit "{\"part\": \"dma-host\", \"ram_mib\": $DMA_RAM_MIB, \"huge_1g_nr\": $_g1, \"huge_1g_free\": $_g1f, \"huge_2m_nr\": $_m2, \"huge_2m_free\": $_m2f, \"thp\": \"$_thp\", \"strace\": \"$( [ -x "$STRACE" ] && "$STRACE" -V 2>/dev/null | head -n 1)\", \"cmdline\": \"$(cat /proc/cmdline)\"}"
    _backings=''
    for k in $DMA_BACKINGS; do
        case $k in
        hugetlb-1g) [ "$_g1f" -ge $((DMA_RAM_MIB / 1024)) ] || { echo "bench: the 1 GiB pool has $_g1f free pages: no hugetlb-1g runs"; continue; } ;;
        hugetlb-2m) [ "$_m2f" -ge "$_need2" ] || { echo "bench: the 2 MiB pool has $_m2f free pages, $_need2 needed: no hugetlb-2m runs"; continue; } ;;
        thp|4k) [ -n "$_thp" ] || { echo "bench: L1 has no THP: no $k runs"; continue; } ;;
        esac
        _backings="$_backings $k"
    done
    bind_vfio_pci "$PCI_BDF" >/dev/null
    # Not counted: L1's free memory written once (L0 faults in each page of L1's RAM at its
    # first touch, and the run that touched it first would pay), then a run on each backing
    # (the huge page pools, which that write does not reach) and each side's first use.
    bench_warm_l1_ram
    for k in $_backings; do dma_run -1 armpass type1v2 "$k" 0; done
    [ "$DMA_IOMMUFD" = 1 ] && dma_run -1 armpass iommufd thp 0
    [ "$DMA_QEMU" = 1 ] && dma_run -1 qemu type1v2 thp 0
    # the configurations: each backing as it is, then faulted in before the map
    _configs=''
    for p in 0 1; do for k in $_backings; do _configs="$_configs $k:$p"; done; done
    # shellcheck disable=SC2086
    set -- $_configs
    _nb=$#
    r=0
    while [ "$r" -lt "$DMA_ROUNDS" ]; do
        # the configurations in a rotated order, one more step each round
        i=0
        while [ "$i" -lt "$_nb" ]; do
            _j=$(((i + r) % _nb))
            # shellcheck disable=SC2086
            _c=$(echo $_configs | awk -v n=$((_j + 1)) '{ print $n }')
            # which side goes first: flips from round to round for each configuration (and
            # from one configuration to the next within a round)
            dma_backing_runs "$r" "${_c%:*}" "${_c#*:}" $((r + _j))
            i=$((i + 1))
        done
        r=$((r + 1))
    done
    rebind_host "$PCI_BDF" nvme >/dev/null
}

# --- Start, preallocation and NVMe reads by guest-RAM backing (scripts/bench.sh --dma) ----------
# The same L1 as dma-backends (6.12, the pools, THP madvise; L1's THP "never" around each 4 KiB
# run, for both VMMs). Guest RAM is always an -object, the same words for both VMMs
# (backing_vmm_cmd): memory-backend-ram for 4 KiB pages (armpass: thp=off; QEMU: L1's THP off)
# and THP, memory-backend-memfd with hugetlb=on,hugetlbsize=2M or 1G; with prealloc=on,
# prealloc-threads=N when preallocated.
#   backing-start  the first-instruction probe with L0's NVMe (type1v2) and 1 GiB of guest RAM,
#                  one vCPU, no strace: start -> first instruction by backing, as it is and
#                  preallocated by 1 and by N threads (N: L1's CPUs); armpass's -d stats
#                  line "guest RAM prealloc: T ms with N threads" is the preallocation's time
#   backing-reads  L2 (1 GiB, 2 vCPUs) on each backing reading the NVMe (MSI-X) as pci-io does
#                  (l2cases/bench-blk.sh, the same direct counts), and L1's floor once a round
# BACKING_ROUNDS rounds (armpass.bench_backing_rounds); the backings' order rotates from round
# to round, and which VMM goes first flips from one configuration to the next and from round to
# round.
BACKING_RAM_MIB=1024

# backing_vmm_cmd VMM BACKING RAM_MIB THREADS SMP: the VMM's command line (no payload, no
# device), guest RAM on that backing, preallocated by THREADS threads (0: not preallocated).
backing_vmm_cmd() {
    _pre=''
    [ "$4" -gt 0 ] && _pre=",prealloc=on,prealloc-threads=$4"
    case $2 in
    4k) _obj="-object memory-backend-ram,id=mem0,size=${3}M$_pre"
        [ "$1" = armpass ] && _obj="$_obj,thp=off" ;;
    thp) _obj="-object memory-backend-ram,id=mem0,size=${3}M$_pre" ;;
    hugetlb-2m) _obj="-object memory-backend-memfd,id=mem0,size=${3}M,hugetlb=on,hugetlbsize=2M$_pre" ;;
    hugetlb-1g) _obj="-object memory-backend-memfd,id=mem0,size=${3}M,hugetlb=on,hugetlbsize=1G$_pre" ;;
    esac
    case $1 in
    armpass) echo "/armpass -M virt,gic-version=3,memory-backend=mem0 -smp $5 -m ${3}M -nographic -d stats $_obj" ;;
    qemu) echo "$QEMU_BIN -M virt,gic-version=3,memory-backend=mem0 -cpu host -enable-kvm -smp $5 -m ${3}M -display none -nodefaults -serial stdio -nic none $_obj" ;;
    esac
}

# backing_thp_off BACKING / backing_thp_back: L1's THP "never" around a 4 KiB run.
backing_thp_off() {
    _thp_saved=$(thp_enabled)
    [ "$1" = 4k ] && [ -n "$_thp_saved" ] && echo never > /sys/kernel/mm/transparent_hugepage/enabled
    return 0
}
backing_thp_back() {
    [ -n "${_thp_saved:-}" ] && echo "$_thp_saved" > /sys/kernel/mm/transparent_hugepage/enabled
    return 0
}

# backing_list: the backings L1 can serve (as bench_dma_backends checks them), in _backings.
backing_list() {
    _backings=''
    _g1f=$(hugepool 1048576 free_hugepages) _m2f=$(hugepool 2048 free_hugepages)
    for k in $DMA_BACKINGS; do
        case $k in
        hugetlb-1g) [ "$_g1f" -ge $((BACKING_RAM_MIB / 1024)) ] || { echo "bench: the 1 GiB pool has $_g1f free pages: no hugetlb-1g runs"; continue; } ;;
        hugetlb-2m) [ "$_m2f" -ge $((BACKING_RAM_MIB / 2)) ] || { echo "bench: the 2 MiB pool has $_m2f free pages: no hugetlb-2m runs"; continue; } ;;
        thp|4k) [ -n "$(thp_enabled)" ] || { echo "bench: L1 has no THP: no $k runs"; continue; } ;;
        esac
        _backings="$_backings $k"
    done
}

# backing_start_run ROUND VMM BACKING THREADS: one first-instruction run with the NVMe; ROUND
# -1 is a warm-up, not printed.
backing_start_run() {
    backing_thp_off "$3"
    # shellcheck disable=SC2046
    set -- "$@" $(thp_counts)
    # shellcheck disable=SC2046,SC2086
    j=$(measure /tmp/bs.log "$BACKING_RAM_MIB" 240 @ -- $(backing_vmm_cmd "$2" "$3" "$BACKING_RAM_MIB" "$4" 1) \
        -kernel /bench/first.Image -append "" -device "vfio-pci,host=$PCI_BDF")
    # shellcheck disable=SC2046
    set -- "$@" $(thp_counts)
    backing_thp_back
    check_run "$j" /tmp/bs.log "the start run of $2, guest RAM on $3 (prealloc threads $4)"
    [ "$1" -ge 0 ] || return 0
    bench_emit "{\"part\": \"backing-start\", \"round\": $1, \"vmm\": \"$2\", \"backing\": \"$3\", \"threads\": $4, \"ram_mib\": $BACKING_RAM_MIB, \"thp_fault_alloc\": $(($7 - $5)), \"thp_fault_fallback\": $(($8 - $6)), \"run\": $j}"
}

# backing_reads_run ROUND VMM BACKING: L2 on that backing reading the NVMe.
backing_reads_run() {
    backing_thp_off "$3"
    # shellcheck disable=SC2046,SC2086
    j=$(measure /tmp/br.log "$BACKING_RAM_MIB" 600 ARMPASS-L2-UP --grab BENCH-BLK -- \
        $(backing_vmm_cmd "$2" "$3" "$BACKING_RAM_MIB" 0 2) -kernel /Image -initrd /l2.cpio.gz \
        -append "$L2_APPEND l2case=bench-blk bench.qd1=$BLK_QD1 bench.qd32=$BLK_QD32 bench.seq=$BLK_SEQ bench.irq=nvme" \
        -device "vfio-pci,host=$PCI_BDF")
    backing_thp_back
    check_run "$j" /tmp/br.log "the reads run of $2, guest RAM on $3"
    bench_emit "{\"part\": \"backing-blk\", \"round\": $1, \"vmm\": \"$2\", \"backing\": \"$3\", \"ram_mib\": $BACKING_RAM_MIB, \"smp\": 2, \"run\": $j}"
}

# pick N WORDS...: the Nth word (from 1).
pick() { _n=$1; shift; eval "echo \${$_n}"; }

bench_backings() {
    if [ ! -e "/sys/bus/pci/devices/$PCI_BDF" ]; then
        echo "bench: no $PCI_BDF in L1 (run.py --nvme): no figures by backing"
        return 0
    fi
    have_qemu || echo "bench: no $QEMU_BIN in L1: armpass only"
    backing_list
    # shellcheck disable=SC2086
    set -- $_backings
    _nb=$#
    [ "$_nb" -gt 0 ] || return 0
    _nthr=$(nproc)
    [ "$_nthr" -gt 1 ] || _nthr=2
    echo "bench: by backing:$_backings; $BACKING_ROUNDS rounds; prealloc threads 1 and $_nthr"
    bind_vfio_pci "$PCI_BDF" >/dev/null
    bench_warm_l1_ram
    for k in $_backings; do
        for v in $(vmms 0); do backing_start_run -1 "$v" "$k" 0; done
    done
    if bench_wants backing-start; then
        _configs=''
        for k in $_backings; do for t in 0 1 "$_nthr"; do _configs="$_configs $k:$t"; done; done
        # shellcheck disable=SC2086
        _nc=$(echo $_configs | wc -w)
        r=0
        while [ "$r" -lt "$BACKING_ROUNDS" ]; do
            i=0
            while [ "$i" -lt "$_nc" ]; do
                _j=$(((i + r) % _nc))
                # shellcheck disable=SC2086
                _c=$(pick $((_j + 1)) $_configs)
                for v in $(vmms $((r + _j))); do backing_start_run "$r" "$v" "${_c%:*}" "${_c#*:}"; done
                i=$((i + 1))
            done
            r=$((r + 1))
        done
    fi
    if bench_wants backing-reads; then
        _irq=nvme _q1=$BLK_QD1 _q32=$BLK_QD32 _sq=$BLK_SEQ
        r=0
        while [ "$r" -lt "$BACKING_ROUNDS" ]; do
            rebind_host "$PCI_BDF" nvme >/dev/null
            if disk=$(nvme_disk "$PCI_BDF"); then
                bench_blk_l1 "$r" l1 "$disk" backing-blk "\"backing\": \"l1\""
            else
                echo "bench: no disk for $PCI_BDF in L1"
            fi
            bind_vfio_pci "$PCI_BDF" >/dev/null
            i=0
            while [ "$i" -lt "$_nb" ]; do
                _j=$(((i + r) % _nb))
                # shellcheck disable=SC2086
                _k=$(pick $((_j + 1)) $_backings)
                for v in $(vmms $((r + _j))); do backing_reads_run "$r" "$v" "$_k"; done
                i=$((i + 1))
            done
            r=$((r + 1))
        done
    fi
    rebind_host "$PCI_BDF" nvme >/dev/null
}

# --- 7: DMA platform devices passed through to a direct-mapped guest ----------------------------
# L0's virtio-blk-device and virtio-net-device on its virtio-mmio transports (run.py --virtio-blk
# --virtio-net --net-peer): platform devices in L1 that do DMA to L1-physical addresses with no
# IOMMU (docs/passthrough.md, "Devices that do DMA with no IOMMU"). Per round (PV_ROUNDS,
# armpass.bench_pv_rounds), the floor first, L1's own drivers on the same devices: bench-blk on
# the disk (4 KiB random reads at queue depth 1, PV_QD1 of them; 1 MiB sequential reads,
# PV_SEQ) and tcp-xfer bench over the NIC (after a DHCP lease) against the host's TCP peer
# (tests/bench/net-peer.py, 10.0.2.100:7000: PV_NET_BYTES received and sent, PV_PINGS round
# trips of one byte); then both devices bound to vfio-platform (no-IOMMU mode) and passed to
# one L2 (1 GiB of guest RAM in L1's 1 GiB hugetlb page, -M virt,direct-map=on, 2 vCPUs) that
# runs the same tests (l2cases/bench-virtio.sh), each in a KVM-exit window that bench-run
# counts directly, as the PCI part's reads are; armpass's -d stats counts its userspace
# wake-ups per interrupt line. L1's 1 GiB page: the one L1 booted with (scripts/bench.sh gives
# it hugepagesz=1G hugepages=1), else one allocated for the part and given back after it (on a
# kernel that can: the test kernel has no CONFIG_CONTIG_ALLOC).
PV_RAM_MIB=1024
PV_POOL=/sys/kernel/mm/hugepages/hugepages-1048576kB

# pv_l1_net ROUND NETDEV: the floor of the network tests, L1's virtio_net driver on NETDEV.
pv_l1_net() {
    _nif=$(ls "/sys/bus/platform/devices/$2"/virtio*/net 2>/dev/null | head -n 1)
    _virtio=$(basename "$(dirname "$(ls -d "/sys/bus/platform/devices/$2"/virtio*/net)")")
    [ -n "$_nif" ] || { echo "bench: no network interface for $2 in L1"; return 0; }
    ip link set "$_nif" up
    if ! timeout 90 udhcpc -s /etc/udhcpc/default.script -i "$_nif" -n -q -t 15 -T 3 > /tmp/pv-dhcp.log 2>&1; then
        echo "bench: no DHCP lease for $_nif in L1: $(tail -n 3 /tmp/pv-dhcp.log | tr '\n' ' ')"
        return 0
    fi
    BENCH_IRQ_MATCH=$_virtio "$P/tcp-xfer" bench 10.0.2.100 7000 "$PV_NET_BYTES" "$PV_PINGS" 2>&1 |
        while IFS= read -r line; do
            case $line in
            "BENCH-NET {"*)
                bench_emit "{\"part\": \"passed-virtio\", \"round\": $1, \"dev\": \"net\", \"vmm\": \"l1\", \"result\": ${line#BENCH-NET }}" ;;
            BENCH-WINDOW-*) ;;
            *) echo "bench: tcp-xfer bench in L1: $line" ;;
            esac
        done
    ip addr flush dev "$_nif"
    ip link set "$_nif" down
}

bench_passed_virtio() {
    _blk=$(virtio_mmio_dev 0x0002) _net=$(virtio_mmio_dev 0x0001)
    if [ -z "$_blk" ] || [ -z "$_net" ]; then
        echo "bench: no virtio-mmio block ('$_blk') and network ('$_net') device in L1 (run.py --virtio-blk --virtio-net --net-peer): no passed-virtio figures"
        return 0
    fi
    _pv_nr0=$(cat "$PV_POOL/nr_hugepages" 2>/dev/null || echo 0)
    if [ "$(cat "$PV_POOL/free_hugepages" 2>/dev/null || echo 0)" -lt 1 ]; then
        echo $((_pv_nr0 + 1)) > "$PV_POOL/nr_hugepages" 2>/dev/null
        if [ "$(cat "$PV_POOL/free_hugepages" 2>/dev/null || echo 0)" -lt 1 ]; then
            echo "bench: no free 1 GiB huge page in L1 (and none could be allocated): no passed-virtio figures"
            echo "$_pv_nr0" > "$PV_POOL/nr_hugepages" 2>/dev/null
            return 0
        fi
    fi
    echo "bench: passed-virtio: $_blk (block), $_net (network); $PV_ROUNDS rounds"
    bench_emit "{\"part\": \"passed-virtio-env\", \"blk\": \"$_blk\", \"net\": \"$_net\", \"ram_mib\": $PV_RAM_MIB, \"qd1\": $PV_QD1, \"seq\": $PV_SEQ, \"net_bytes\": $PV_NET_BYTES, \"pings\": $PV_PINGS, \"huge_1g_nr\": $(cat "$PV_POOL/nr_hugepages"), \"huge_1g_nr_at_boot\": $_pv_nr0}"
    _mem="-m ${PV_RAM_MIB}M -object memory-backend-memfd,id=mem0,size=${PV_RAM_MIB}M,hugetlb=on,hugetlbsize=1G -M virt,memory-backend=mem0,direct-map=on"
    r=0
    while [ "$r" -lt "$PV_ROUNDS" ]; do
        rebind_host_platform "$_blk"
        rebind_host_platform "$_net"
        _disk=''
        for _ in $(seq 1 20); do
            _b=$(ls "/sys/bus/platform/devices/$_blk"/virtio*/block 2>/dev/null | head -n 1)
            [ -n "$_b" ] && [ -b "/dev/$_b" ] && _disk=/dev/$_b && break
            sleep 0.5
        done
        if [ -n "$_disk" ]; then
            _irq=$(basename "$(dirname "$(ls -d "/sys/bus/platform/devices/$_blk"/virtio*/block)")")
            _q1=$PV_QD1 _q32=0 _sq=$PV_SEQ bench_blk_l1 "$r" l1 "$_disk" passed-virtio '"dev": "blk"'
        else
            echo "bench: no disk for $_blk in L1"
        fi
        pv_l1_net "$r" "$_net"
        bind_vfio platform "$_blk" vfio-platform >/dev/null
        bind_vfio platform "$_net" vfio-platform >/dev/null
        # shellcheck disable=SC2086
        j=$(measure /tmp/pv.log "$PV_RAM_MIB" 420 ARMPASS-L2-UP --grab BENCH-BLK --grab BENCH-NET -- \
            /armpass -M virt,gic-version=3 -smp 2 -nographic -d stats $_mem \
            -kernel /Image -initrd /l2.cpio.gz \
            -append "$L2_APPEND l2case=bench-virtio bench.qd1=$PV_QD1 bench.seq=$PV_SEQ bench.netbytes=$PV_NET_BYTES bench.pings=$PV_PINGS" \
            -device "vfio-platform,host=$_blk,noiommu=on" -device "vfio-platform,host=$_net,noiommu=on")
        check_run "$j" /tmp/pv.log "the passed-virtio run"
        case $j in
        *'"ARMPASS-L2-UP": null'*)     # L2 never reached its init: how its boot began
            echo "bench: the first lines of that run's console:"
            tr -d '\r' < /tmp/pv.log | head -n 60 | cut -c1-200 ;;
        esac
        tr -d '\r' < /tmp/pv.log | grep -E '^BENCH-VIRTIO-(ERROR|INTR|STEP)|^TCP-XFER' | sed 's/^/bench: L2: /'
        bench_emit "{\"part\": \"passed-virtio\", \"round\": $r, \"vmm\": \"armpass\", \"ram_mib\": $PV_RAM_MIB, \"smp\": 2, \"run\": $j}"
        r=$((r + 1))
    done
    rebind_host_platform "$_blk"
    rebind_host_platform "$_net"
    echo "$_pv_nr0" > "$PV_POOL/nr_hugepages" 2>/dev/null
    return 0
}

bench_pci() {
    if [ ! -e "/sys/bus/pci/devices/$PCI_BDF" ]; then
        echo "bench: no $PCI_BDF in L1 (run.py --nvme): the PCI figures are left out"
        return 0
    fi
    [ -e "/sys/bus/pci/devices/$AHCI_BDF" ] ||
        echo "bench: no $AHCI_BDF in L1 (run.py --ahci): the plain-MSI figures are left out"
    # the DMA map first: an abort of L0 in the AHCI's rounds (above) would lose it
    bench_wants pci-dma && bench_pci_dma
    bench_wants pci-io && bench_pci_io
    pci_mode msix && rebind_host "$_bdf" "$_host_drv" >/dev/null
    pci_mode msi && rebind_host "$_bdf" "$_host_drv" >/dev/null
    return 0
}

# What the dynamic loader loads for QEMU, as L1's loader sees it (LD_TRACE_LOADED_OBJECTS),
# and armpass's one static file.
bench_size() {
    _files='' _sum=0
    if have_qemu; then
        for f in $QEMU_BIN $(LD_TRACE_LOADED_OBJECTS=1 "$QEMU_BIN" |
                awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
            s=$(stat -L -c %s "$f")
            _sum=$((_sum + s))
            _files="$_files${_files:+, }{\"path\": \"$f\", \"bytes\": $s}"
        done
        bench_emit "{\"part\": \"size\", \"vmm\": \"qemu\", \"bytes\": $_sum, \"files\": [$_files]}"
    fi
    s=$(stat -L -c %s /armpass)
    bench_emit "{\"part\": \"size\", \"vmm\": \"armpass\", \"bytes\": $s, \"files\": [{\"path\": \"/armpass\", \"bytes\": $s}]}"
}

bench_main() {
    bench_params
    bench_env
    have_qemu || echo "bench: no $QEMU_BIN in L1 (run.py --l1-extra the tree tests/bench/qemu-closure.py makes): the QEMU figures are left out"
    bench_wants size && bench_size
    if bench_wants first || bench_wants boot || bench_wants scale || bench_wants footprint; then
        bench_warmup
    fi
    bench_wants first && bench_firsts
    if bench_wants boot || bench_wants scale; then
        s=0
        bench_wants scale && s=1
        bench_boots "$s"
    fi
    bench_wants footprint && bench_footprint
    bench_wants mmio && bench_mmio
    bench_wants irq && bench_irq
    # before the PCI part: L0's QEMU 7.2 may abort in its AHCI model there (QEMU issue #2777)
    bench_wants passed-virtio && bench_passed_virtio
    if bench_wants pci-io || bench_wants pci-dma; then
        bench_pci
    fi
    bench_wants dma-backends && bench_dma_backends
    echo "bench: done"
}
