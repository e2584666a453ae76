#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# L2 side of pci-abuse (l2case=pci-abuse): a hostile guest against its passed-through NVMe,
# through sysfs config and /dev/mem (tests/progs/pci-abuse.c), after unbinding its driver.
# Prints the program's lines and "L2-PCI-ABUSE: done" (or "L2-PCI-ABUSE: FAIL ...").
. "$(dirname "$0")/lib.sh"
rounds=${PCI_ABUSE_ROUNDS:-40} toggles=${PCI_ABUSE_TOGGLES:-3000}
say() { echo "L2-PCI-ABUSE: $*"; }
bdf=$(nvme_bdf) || { say "FAIL no NVMe controller on L2's PCI bus"; exit 1; }
dev=/sys/bus/pci/devices/$bdf
for _ in $(seq 1 60); do [ -e "$dev/driver" ] && break; sleep 0.5; done
[ ! -e "$dev/driver" ] || echo "$bdf" > "$dev/driver/unbind"
read -r s e _ < "$dev/resource"
size=$((e - s + 1))
# Where BAR 0 goes: RAM (its start, and a page of the program's own memory), the GIC, the
# UART, just past the host bridge window that holds it, beyond any IPA; the other BARs too.
gic=$(dt_base arm,gic-v3) || gic=0x08000000
uart=$(dt_base arm,pl011) || uart=0x09000000
we=''
while IFS=' :' read -r r name; do
    a=$((0x${r%-*})) b=$((0x${r#*-}))
    case $name in *"$bdf"*|*nvme*) continue ;; esac
    if [ $a -le $((s)) ] && [ $b -ge $((e)) ]; then
        if [ -z "$we" ] || [ $((b - a)) -lt $((we - ws)) ]; then ws=$a we=$b; fi
    fi
done < /proc/iomem
past=$(((${we:-0xffffffff} + size) / size * size))
others=$(awk 'NR >= 2 && NR <= 6 && $2 != "0x0000000000000000" { print $1 }' "$dev/resource" | tr '\n' ' ')
targets="0x40000000 ram $gic $uart $(printf 0x%x $past) 0xfffff00000000000 $others"
say "BAR 0 at $(printf 0x%x $((s))), $size bytes; targets: $targets"
/progs/pci-abuse place "$dev" "$rounds" $targets || { say "FAIL place (status $?)"; exit 1; }
/progs/pci-abuse toggle "$dev" "$toggles" || { say "FAIL toggle"; exit 1; }
/progs/pci-abuse msix "$dev" 7 || { say "FAIL msix"; exit 1; }
say "done"
