#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# L2 side of the guest-abuse case: a hostile guest. Hammers the trapped fw-cfg page (every
# width at every offset, past the 0x18-byte region too, then random accesses), makes accesses
# KVM cannot decode, writes garbage to the mapped pl031, and powers off with the pl031's
# interrupt asserted. fw-cfg's DMA register (0x10..0x17) is never written: garbage there would
# make the device DMA into L1 (no IOMMU on this bed).
. "$(dirname "$0")/lib.sh"
fw=$(dt_base qemu,fw-cfg-mmio) || { echo "L2-ABUSE: no fw-cfg node"; exit 1; }
rtc=$(dt_base arm,pl031) || { echo "L2-ABUSE: no pl031 node"; exit 1; }
count=${ABUSE_COUNT:-20000}
echo "L2-ABUSE: fw-cfg at $fw, pl031 at $rtc"
echo "L2-ABUSE-SWEEP $(/progs/mmio-abuse sweep "$fw" 0x18 0 10)"
echo "L2-ABUSE-RANDOM $(/progs/mmio-abuse random "$fw" 0x18 "$count" 1 0 10)"
echo "L2-ABUSE-NISV $(/progs/mmio-abuse nisv "$fw")"
# The garbage also hits the load register (LR, 0x8): put the clock back afterwards.
dr0=$(/progs/mmio-abuse peek "$rtc" 0 | sed 's/.*= //') up0=$(cut -d. -f1 /proc/uptime)
echo "L2-ABUSE-GARBAGE $(/progs/mmio-abuse garbage "$rtc" 0x1000 1000000 7)"
/progs/mmio-abuse poke "$rtc" 8 $((dr0 + $(cut -d. -f1 /proc/uptime) - up0))
# Still a working guest: fw-cfg still answers (its signature, read through the data register).
sig=$(cat /sys/firmware/qemu_fw_cfg/rev 2>/dev/null)
echo "L2-ABUSE: alive fwcfg_rev=$sig"
pl031_irq_in_flight "$rtc"
echo "L2-ABUSE: done"
