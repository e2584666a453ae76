#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# e2e case pci-abuse (run.py --nvme; docs/hardening.md): a hostile L2 against the NVMe passed
# through vfio-pci (l2cases/pci-abuse.sh, tests/progs/pci-abuse.c): BAR 0 placed over RAM,
# over the GIC, over the UART, past the host bridge's window and beyond the IPA space (not all ones in either half: that is BAR sizing, which armpass does not warn about), round
# after round; memory decode and bus mastering toggled thousands of times; garbage in every
# MSI-X table entry and the PBA with the vectors unmasked; every width at every offset of the
# trapped MSI-X pages. armpass must keep running and exit 0 on the guest's power-off, say what
# it refused in few (rate-limited) "BAR 0 (...) left unmapped" lines, count the refusals in
# -d stats, never let the BAR shadow RAM (L2's pattern page reads back), and leave the device
# fit for a clean guest, which reads the marker and writes block 1.
. /cases/lib.sh
bdf=0000:00:01.0
nvme_values
bind_vfio_pci $bdf
run_armpass 600 /tmp/l2.log -M virt,gic-version=3 -smp 2 -m 256M -d stats \
    -kernel /Image -initrd /l2.cpio.gz -append "console=ttyAMA0 quiet l2case=pci-abuse" \
    -device vfio-pci,host=$bdf
[ "$status" = 0 ] || fail "$(status_reason "$status" 600) under abuse"
tr -d '\r' < /tmp/l2.log > /tmp/abuse.log
grep -E '^L2-PCI-ABUSE|pci-abuse: place [^p]' /tmp/abuse.log
grep -q '^L2-PCI-ABUSE: done' /tmp/abuse.log ||
    fail "L2 did not finish its abuse: $(grep -m1 '^L2-PCI-ABUSE: FAIL' /tmp/abuse.log)"
placed=$(sed -n 's/.*pci-abuse: place placements=\([0-9]*\) ram_changed=0 .*/\1/p' /tmp/abuse.log)
[ -n "$placed" ] || fail "the RAM pattern changed while BAR 0 sat over it, or the placements did not run: $(grep 'pci-abuse: place placements' /tmp/abuse.log)"
grep -q 'pci-abuse: toggle writes=[1-9][0-9][0-9][0-9]' /tmp/abuse.log || fail "the decode/bus-master toggling did not run"
grep -q 'pci-abuse: msix garbage entries=[1-9]' /tmp/abuse.log || fail "the MSI-X garbage did not run"
grep -q 'pci-abuse: msix sweep pages=[1-9]' /tmp/abuse.log || fail "the sweep of the MSI-X pages did not run"
stats_lines $bdf
refused=$(sed -n "s/.*vfio $bdf: BAR placements refused \([0-9]*\),.*/\1/p" /tmp/abuse.log | tail -n 1)
warnings=$(grep -c "$bdf: BAR 0 .*left unmapped" /tmp/abuse.log)
echo "pci-abuse: $placed hostile placements, armpass refused ${refused:-?}, in $warnings warning lines"
[ "${refused:-0}" -ge $((placed * 9 / 10)) ] || fail "armpass counted ${refused:-no} refused BAR placements for $placed hostile ones"
[ "$warnings" -ge 1 ] || fail "armpass did not say that it left BAR 0 unmapped"
[ "$warnings" -le $((refused / 10)) ] || fail "$warnings 'left unmapped' lines for $refused refusals: not rate-limited"

# A clean guest: the device still works.
run_armpass 480 /tmp/l2.log -M virt,gic-version=3 -smp 2 -m 256M -d stats \
    -kernel /Image -initrd /l2.cpio.gz \
    -append "console=ttyAMA0 quiet l2case=nvme l2.marker=$nvme_marker l2.write=$nvme_write" \
    -device vfio-pci,host=$bdf
[ "$status" = 0 ] || fail "$(status_reason "$status" 480) in the clean guest after the abuse"
check_nvme_guest
check_nvme_stats $bdf
echo "ARMPASS-E2E-EXPECT-DISK disk=nvm0 offset=4096 text=$nvme_write"
pass
