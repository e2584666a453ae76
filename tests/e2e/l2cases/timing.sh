#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# L2 side of the sandbox case: the cost of a trapped access (1-byte reads of fw-cfg's data
# register, each a KVM exit and a pread by armpass), for comparing with and without -sandbox.
. "$(dirname "$0")/lib.sh"
fw=$(dt_base qemu,fw-cfg-mmio) || { echo "L2-TIMING: no fw-cfg node"; exit 1; }
echo "L2-TIMING $(/progs/mmio-abuse read "$fw" 0 1 "${TIMING_COUNT:-20000}")"
