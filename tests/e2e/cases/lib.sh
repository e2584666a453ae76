# SPDX-License-Identifier: GPL-2.0-only
# Helpers sourced by the e2e cases that /init runs in L1: the result marker, and running armpass.
#
# A case ends with exactly one of `pass` or `fail REASON`: it prints the marker line
# "ARMPASS-E2E: PASS NAME" or "ARMPASS-E2E: FAIL NAME: REASON" that tests/testbed/run.py waits
# for, records it in $ARMPASS_RESULT for /init, and exits.

E2E_NAME=${ARMPASS_CASE:-unnamed}

_result() {
    echo "$1"
    [ -z "${ARMPASS_RESULT:-}" ] || echo "$1" > "$ARMPASS_RESULT"
}
pass() { _result "ARMPASS-E2E: PASS $E2E_NAME"; exit 0; }
fail() { _result "ARMPASS-E2E: FAIL $E2E_NAME: $*"; exit 1; }

# What L1's kernel said about its GIC and KVM: context for a failure.
l1_context() {
    echo "--- L1 dmesg (gic, kvm, vfio) ---"
    dmesg | grep -iE 'gic|kvm|vfio' | tail -n 20
}

# run_armpass TIMEOUT LOG ARGS...: runs /armpass ARGS with its console copied into LOG, at most
# TIMEOUT seconds (0: no limit). Sets $status to armpass's exit status (143: killed on timeout).
run_armpass() {
    _t=$1 _log=$2
    shift 2
    echo "+ /armpass $*"
    set -o pipefail
    if [ "$_t" = 0 ]; then
        /armpass "$@" 2>&1 | tee "$_log"
    else
        timeout "$_t" /armpass "$@" 2>&1 | tee "$_log"
    fi
    status=$?
    set +o pipefail
    echo "armpass exited with status $status"
}

# Explains a non-zero armpass status.
status_reason() {
    case $1 in
    143) echo "armpass timed out after ${2}s (status 143)" ;;
    *) echo "armpass exited with status $1" ;;
    esac
}
