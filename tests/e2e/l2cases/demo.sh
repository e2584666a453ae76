#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# L2 side of the demo case: shows what the guest sees (uptime, CPUs, interrupts).
echo "=== L2: uptime $(cut -d' ' -f1 /proc/uptime) s, $(nproc) CPUs, kernel $(uname -r)"
echo "=== L2: /proc/cpuinfo (first lines)"
head -n 12 /proc/cpuinfo
echo "=== L2: /proc/interrupts"
cat /proc/interrupts
