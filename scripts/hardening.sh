#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Hardening checks, after the main test suites (docs/hardening.md). Standalone and idempotent;
# assumes scripts/setup-host.sh has run (gcc, clang-14 and libclang-rt-14-dev, which holds
# libFuzzer and clang's sanitizer runtimes, valgrind).
#   1. asan:     build-asan (gcc, -fsanitize=address,undefined, UBSan fatal) runs the unit
#                suite; LeakSanitizer is on, so a leak fails a test.
#   2. valgrind: build-valgrind (no sanitizers) runs the unit suite under memcheck, then
#                test-cli once more with the armpass binary it spawns under memcheck too.
#   3. tsan:     build-tsan (gcc, -fsanitize=thread) runs the memory tests (memory and the
#                memory-rcu stress test of the RCU-protected memory map), with
#                tests/unit/tsan.supp. Only those: the rest of the unit suite is not TSan-clean
#                (GMutex users other than system/memory.c are not annotated; test-sandbox's
#                seccomp filter does not allow TSan's runtime).
#   4. fuzz:     build-fuzz (clang, libFuzzer + ASan + UBSan) runs each fuzz target (the
#                fuzz_targets list of tests/fuzz/meson.build) for
#                FUZZ_SECONDS (default 30), FUZZ_JOBS (default 2) at a time, over a copy of
#                its seed corpus in build-fuzz/fuzz-run/TARGET/ (never the tree's), with leak
#                detection; the summary goes to build-fuzz/fuzz-summary.txt.
# Exits non-zero if a test fails, a sanitizer or memcheck reports an error, or a fuzz target
# crashes, leaks or times out (its input is kept in build-fuzz/fuzz-run/TARGET/).
# Usage: scripts/hardening.sh [--asan-only | --valgrind-only | --tsan-only | --fuzz-only]
#   FUZZ_SECONDS=3600 scripts/hardening.sh --fuzz-only     a long fuzzing run
#   FUZZ_TARGETS="host-fdt image" ...                       only some targets
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

phases=(asan valgrind tsan fuzz)
case "${1:-}" in
    "") ;;
    --asan-only) phases=(asan) ;;
    --valgrind-only) phases=(valgrind) ;;
    --tsan-only) phases=(tsan) ;;
    --fuzz-only) phases=(fuzz) ;;
    -h|--help) awk 'NR > 2 && !/^#/ { exit } NR > 2' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "hardening.sh: unknown argument $1 (use --asan-only, --valgrind-only, --tsan-only or --fuzz-only)" >&2
       exit 2 ;;
esac
# 8 targets, 2 at a time, 30 s each: 4 rounds, 2 minutes (as 6 targets of 40 s were).
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
FUZZ_JOBS=${FUZZ_JOBS:-2}
# Every target meson builds: the names in fuzz_targets = [...] of tests/fuzz/meson.build.
FUZZ_TARGETS=${FUZZ_TARGETS:-$(sed -n "s/^fuzz_targets = \[\(.*\)\]/\1/p" tests/fuzz/meson.build | tr -d "',")}
if [ -z "$FUZZ_TARGETS" ]; then
    echo "hardening.sh: no fuzz_targets list in tests/fuzz/meson.build" >&2
    exit 2
fi
started=$(date +%s)
failed=()
report=()

log() { printf '\n=== hardening: %s\n' "$*"; }

# Sets up (or re-configures, so that the options always hold) a meson build folder.
setup() {
    local dir=$1; shift
    if [ -f "$dir/build.ninja" ]; then
        meson configure "$dir" "$@" >/dev/null
    else
        meson setup "$dir" "$@" >/dev/null
    fi
}

# ---- 1. AddressSanitizer + UndefinedBehaviorSanitizer -------------------------------------

run_asan() {
    local t0=$SECONDS
    log "asan: build-asan (gcc, -fsanitize=address,undefined) and the unit suite"
    CC=gcc setup build-asan -Db_sanitize=address,undefined -Db_lundef=false \
        -Dc_args=-fno-sanitize-recover=undefined -Dbuildtype=debugoptimized
    ninja -C build-asan
    local asan=detect_leaks=1:halt_on_error=1:abort_on_error=1:print_summary=1
    asan+=:strict_string_checks=1:detect_stack_use_after_return=1
    if ASAN_OPTIONS=$asan UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1 \
       meson test -C build-asan --suite unit --print-errorlogs --timeout-multiplier 3; then
        report+=("asan: unit suite clean ($((SECONDS - t0)) s)")
    else
        report+=("asan: FAILED (build-asan/meson-logs/testlog.txt)")
        failed+=(asan)
    fi
}

# ---- 2. valgrind memcheck --------------------------------------------------------------------

run_valgrind() {
    local t0=$SECONDS ok=1 vg wrapper logs bad runs
    log "valgrind: build-valgrind and the unit suite under memcheck"
    setup build-valgrind -Db_sanitize=none -Dbuildtype=debugoptimized
    ninja -C build-valgrind
    # memcheck: every error fails the test; leaks count when definite (blocks nothing points
    # to any more). glib's type system and caches keep "still reachable" and "possibly lost"
    # blocks until exit by design: those are not errors. G_SLICE/G_DEBUG make glib use plain
    # malloc and clear freed memory, so that memcheck sees every block.
    vg="valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite"
    vg+=" --show-leak-kinds=definite --num-callers=30"
    if [ -s tests/valgrind.supp ]; then
        vg+=" --suppressions=$top/tests/valgrind.supp"
    fi
    if ! G_SLICE=always-malloc G_DEBUG=gc-friendly \
         meson test -C build-valgrind --suite unit --print-errorlogs --timeout-multiplier 10 \
         --wrap="$vg"; then
        ok=0
    fi
    # test-cli spawns armpass: run it once more with armpass itself under memcheck (its
    # reports go to log files, not to the stderr the test reads; exit status 99 on an error,
    # the last --error-exitcode winning, so that it differs from armpass's own 1).
    logs=build-valgrind/valgrind-armpass
    rm -rf "$logs" && mkdir -p "$logs"
    wrapper=build-valgrind/armpass-memcheck.sh
    cat > "$wrapper" <<EOF
#!/bin/sh
exec $vg --error-exitcode=99 --log-file=$top/$logs/armpass.%p.log $top/build-valgrind/armpass "\$@"
EOF
    chmod +x "$wrapper"
    if ! G_SLICE=always-malloc G_DEBUG=gc-friendly ARMPASS=$top/$wrapper \
         build-valgrind/tests/unit/test-cli --tap > "$logs/test-cli.tap" 2>&1; then
        echo "test-cli with armpass under memcheck failed: $logs/test-cli.tap"
        ok=0
    fi
    bad=$(grep -L "ERROR SUMMARY: 0 errors" "$logs"/armpass.*.log 2>/dev/null || true)
    if [ -n "$bad" ]; then
        echo "memcheck errors in armpass:"; for f in $bad; do cat "$f"; done
        ok=0
    fi
    runs=$(find "$logs" -name 'armpass.*.log' | wc -l)
    if [ "$runs" = 0 ]; then
        echo "test-cli ran no armpass under memcheck: $logs/test-cli.tap"
        ok=0
    fi
    if [ $ok = 1 ]; then
        report+=("valgrind: unit suite and $runs armpass runs clean ($((SECONDS - t0)) s)")
    else
        report+=("valgrind: FAILED (build-valgrind/meson-logs/testlog-valgrind.txt, $logs/)")
        failed+=(valgrind)
    fi
}

# ---- 3. ThreadSanitizer ---------------------------------------------------------------------

run_tsan() {
    local t0=$SECONDS
    log "tsan: build-tsan (gcc, -fsanitize=thread) and the memory tests"
    CC=gcc setup build-tsan -Db_sanitize=thread -Db_lundef=false -Dbuildtype=debugoptimized
    ninja -C build-tsan tests/unit/test-memory tests/unit/test-memory-rcu
    if TSAN_OPTIONS=suppressions=$top/tests/unit/tsan.supp:halt_on_error=1:exitcode=66 \
       meson test -C build-tsan --no-rebuild --print-errorlogs --timeout-multiplier 5 \
       memory memory-rcu; then
        report+=("tsan: memory tests clean ($((SECONDS - t0)) s)")
    else
        report+=("tsan: FAILED (build-tsan/meson-logs/testlog.txt)")
        failed+=(tsan)
    fi
}

# ---- 4. libFuzzer ----------------------------------------------------------------------------

# Runs one target; its log is build-fuzz/fuzz-run/TARGET/log.txt.
fuzz_one() {
    local t=$1 dir=build-fuzz/fuzz-run/$1 dict=tests/fuzz/dict/$1.dict
    local args=(-max_total_time="$FUZZ_SECONDS" -detect_leaks=1 -timeout=10 -rss_limit_mb=2048
                -print_final_stats=1 -artifact_prefix="$dir/")
    rm -rf "$dir" && mkdir -p "$dir" && cp -r "tests/fuzz/corpus/$t" "$dir/corpus"
    [ -f "$dict" ] && args+=(-dict="$dict")
    local t0=$SECONDS rc=0
    build-fuzz/tests/fuzz/fuzz-"$t" "${args[@]}" "$dir/corpus" > "$dir/log.txt" 2>&1 || rc=$?
    echo "$rc $((SECONDS - t0))" > "$dir/status"
}

# One line of the summary from a target's log: runs, exec/s, cov, ft, seconds, crash.
fuzz_line() {
    local t=$1 dir=build-fuzz/fuzz-run/$1 rc secs runs eps cov ft crash artifact
    read -r rc secs < "$dir/status"
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log.txt" | tail -1)
    eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/log.txt" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$dir/log.txt" | tail -1 | cut -d' ' -f2 || true)
    ft=$(grep -o 'ft: [0-9]*' "$dir/log.txt" | tail -1 | cut -d' ' -f2 || true)
    crash=no
    artifact=$(ls "$dir" | grep -E '^(crash|leak|timeout|oom)-' | head -1 || true)
    if [ -n "$artifact" ]; then
        crash="YES ($artifact)"
    elif [ "$rc" = 72 ]; then
        crash="YES (interrupted by a signal: no result)"
    elif [ "$rc" != 0 ]; then
        crash="YES (exit status $rc, see log.txt)"
    fi
    printf '%-10s %12s %9s %6s %7s %8s  %s\n' "$t" "${runs:-?}" "${eps:-?}" "${cov:-?}" \
        "${ft:-?}" "$secs" "$crash"
}

run_fuzz() {
    local t0=$SECONDS pids=() summary=build-fuzz/fuzz-summary.txt t crashed=0
    log "fuzz: build-fuzz (clang, libFuzzer) and $FUZZ_SECONDS s per target, $FUZZ_JOBS at a time"
    CC=$(command -v clang-14 || command -v clang) setup build-fuzz -Dfuzzing=true \
        -Db_sanitize=address,undefined -Db_lundef=false \
        -Dc_args=-fno-sanitize-recover=undefined -Dbuildtype=debugoptimized
    ninja -C build-fuzz fuzz
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:print_summary=1
    export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1
    for t in $FUZZ_TARGETS; do
        if [ ${#pids[@]} -ge "$FUZZ_JOBS" ]; then
            wait "${pids[0]}" || true
            pids=("${pids[@]:1}")
        fi
        echo "fuzz-$t: running (build-fuzz/fuzz-run/$t/log.txt)"
        fuzz_one "$t" &
        pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p" || true; done
    {
        echo "# scripts/hardening.sh fuzzing, $(date -u +%Y-%m-%dT%H:%MZ), FUZZ_SECONDS=$FUZZ_SECONDS, $FUZZ_JOBS at a time"
        printf '%-10s %12s %9s %6s %7s %8s  %s\n' target runs exec/s cov ft seconds crash
        for t in $FUZZ_TARGETS; do fuzz_line "$t"; done
    } > "$summary"
    cat "$summary"
    if grep -q ' YES (' "$summary"; then
        crashed=1
        for t in $FUZZ_TARGETS; do
            if fuzz_line "$t" | grep -q ' YES ('; then
                echo "--- fuzz-$t: the end of build-fuzz/fuzz-run/$t/log.txt"
                tail -40 "build-fuzz/fuzz-run/$t/log.txt"
            fi
        done
    fi
    if [ $crashed = 0 ]; then
        report+=("fuzz: no crash in $(echo $FUZZ_TARGETS | wc -w) targets ($((SECONDS - t0)) s; $summary)")
    else
        report+=("fuzz: FAILED (build-fuzz/fuzz-summary.txt; reproduce a crash with"
                 "build-fuzz/tests/fuzz/fuzz-TARGET build-fuzz/fuzz-run/TARGET/crash-...)")
        failed+=(fuzz)
    fi
}

for p in "${phases[@]}"; do
    "run_$p"
done
log "summary ($(( $(date +%s) - started )) s)"
printf '  %s\n' "${report[@]}"
if [ ${#failed[@]} -gt 0 ]; then
    echo "hardening: FAILED: ${failed[*]}"
    exit 1
fi
echo "hardening: all clean"
