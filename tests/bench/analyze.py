#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Turns the benchmark's console log into results.json, results.md, a chart and docs/performance.md.

usage: analyze.py --log CONSOLE_LOG --host HOST_JSON --out DIR [--doc docs/performance.md]

CONSOLE_LOG: L0's console log of a bench run (tests/e2e/cases/bench-all.sh): every line
"ARMPASS-BENCH {json}" is one raw sample. HOST_JSON: what scripts/bench.sh knows about the
host (machine, versions, sizes, wall time). Writes DIR/results.json (every raw sample, the
machine, the versions, the commit, and every figure), DIR/results.md (the tables), and
DIR/chart.png (with gnuplot from Debian's gnuplot-nox; left out with a note if it is missing).
With --doc, regenerates that file from tests/bench/performance.md.in and copies the chart next
to it. Standard library only. Every figure is a ratio against a baseline of the same run, or a
count; absolute times are printed for scale only. Nothing here fails on a slow machine: exit
status 0 unless the log holds no sample at all.
"""

import argparse
import datetime
import json
import os
import re
import shutil
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))


# --- reading -----------------------------------------------------------------------------------

def read_log(path):
    """The ARMPASS-BENCH records of a console log, and how many lines could not be read."""
    records, bad, l0 = [], 0, None
    with open(path, errors='replace') as f:
        for line in f:
            line = line.rstrip('\r\n')
            if line.startswith('# ') and l0 is None:
                l0 = line[2:]
            i = line.find('ARMPASS-BENCH ')
            if i < 0:
                continue
            try:
                records.append(json.loads(line[i + len('ARMPASS-BENCH '):]))
            except ValueError:
                bad += 1
    return records, bad, l0


def grabbed(run):
    """The BENCH-MMIO results a run's guest printed."""
    out = []
    for g in run.get('grabbed', []):
        try:
            out.append(json.loads(g[len('BENCH-MMIO '):]))
        except ValueError:
            pass
    return out


def armpass_stats(run):
    """armpass's -d stats block, parsed: exits, per-region trapped reads, per-IRQ wake-ups."""
    st = {'regions': {}, 'irqs': {}}
    for line in run.get('stats', []):
        m = re.search(r'exits: (\d+) \(mmio (\d+)', line)
        if m:
            st['exits'], st['exits_mmio'] = int(m.group(1)), int(m.group(2))
        m = re.search(r'rss: peak (\d+) KiB, guest RAM resident (\d+) KiB, peak beyond guest RAM (-?\d+)', line)
        if m:
            st['rss_peak_kib'], st['guest_kib'], st['beyond_kib'] = map(int, m.groups())
        m = re.search(r'vfio (\S+) region (\d+): trapped reads (\d+), writes (\d+)', line)
        if m:
            st['regions']['%s/%s' % (m.group(1), m.group(2))] = (int(m.group(3)), int(m.group(4)))
        # a level line on the userspace fallback ends ", completed by trapped access C"
        comp = re.search(r'completed by trapped access (\d+)', line)
        comp = int(comp.group(1)) if comp else None
        # ... ", by backstop B, stale S" (the fallback's guards, hw/vfio/irq.c)
        guards = re.search(r'by backstop (\d+), stale (\d+)', line)
        m = re.search(r'vfio (\S+) irq (\d+) .*: (\w+), userspace wakeups (\d+)', line)
        if m:
            st['irqs']['%s/%s' % (m.group(1), m.group(2))] = (m.group(3), int(m.group(4)))
            if comp is not None:
                st.setdefault('completions', {})['%s/%s' % (m.group(1), m.group(2))] = comp
        # vfio-pci: each MSI-X or MSI vector, and the INTx line ("intx -> SPI N (level)")
        m = re.search(r'vfio (\S+) (msix|msi) (\d+) -> gsi (-?\d+): (\w+), userspace wakeups (\d+)', line)
        if m:
            st.setdefault('pci_irqs', {})['%s/%s%s' % (m.group(1), m.group(2), m.group(3))] = (
                m.group(5), int(m.group(6)))
        m = re.search(r'vfio (\S+) intx -> SPI (\d+) \(\w+\): (\w+), userspace wakeups (\d+)', line)
        if m:
            st.setdefault('pci_irqs', {})['%s/intx' % m.group(1)] = (m.group(3), int(m.group(4)))
            if comp is not None:
                st.setdefault('completions', {})['%s/intx' % m.group(1)] = comp
            if guards:
                st.setdefault('backstops', {})['%s/intx' % m.group(1)] = int(guards.group(1))
                st.setdefault('stale', {})['%s/intx' % m.group(1)] = int(guards.group(2))
        # "vfio BDF dma (type1v2): ..." or "(iommufd)"; older armpass printed no backend.
        m = re.search(r'vfio (\S+) dma(?: \((\w+)\))?: (\d+) mappings, (\d+) bytes in (\d+) us',
                      line)
        if m:
            st['dma'] = {'dev': m.group(1), 'backend': m.group(2) or 'type1v2',
                         'maps': int(m.group(3)), 'bytes': int(m.group(4)),
                         'us': int(m.group(5))}
    return st


def ok(run, marker=None):
    if not run or run.get('status') != 0 or run.get('timed_out'):
        return False
    return marker is None or run.get('markers_s', {}).get(marker) is not None


def median(v):
    return statistics.median(v) if v else None


# --- figures -----------------------------------------------------------------------------------

class Figures:
    """Figures in the order they are printed; each one keeps its samples."""

    def __init__(self):
        self.items, self.notes = [], []

    def add(self, section, key, name, unit, samples, target=None, cmp='le', baseline=None, note=None):
        samples = [s for s in samples if s is not None]
        f = {'section': section, 'key': key, 'name': name, 'unit': unit, 'samples': samples,
             'n': len(samples), 'baseline': baseline, 'note': note}
        if samples:
            f['min'], f['median'], f['max'] = min(samples), statistics.median(samples), max(samples)
        if target is not None:
            f['target'], f['cmp'] = target, cmp
            if samples:
                m = f['median']
                f['met'] = m <= target if cmp == 'le' else (m == target if cmp == 'eq' else m >= target)
        self.items.append(f)
        return f

    def get(self, key):
        for f in self.items:
            if f['key'] == key:
                return f
        return None


def by_round(records, part, pred=lambda r: True):
    out = {}
    for r in records:
        if r.get('part') == part and pred(r):
            out.setdefault(r.get('round', 0), []).append(r)
    return out


def compute(records):
    F = Figures()
    rounds_l1 = by_round(records, 'l1-mmio')
    rounds_exit = by_round(records, 'kvm-exit')
    rounds_l2 = by_round(records, 'l2-mmio')

    def l1(r, access, dev):
        for rec in rounds_l1.get(r, []):
            res = rec['result']
            if res.get('access') == access and res.get('device') == dev:
                return res
        return None

    def bare(r, **kw):
        want = {'access': 'load', 'gic': True, 'mmu': False, 'timer': False}
        want.update(kw)
        for rec in rounds_exit.get(r, []):
            res = rec['result']
            if all(res.get(k, False) == v for k, v in want.items()):
                return res
        return None

    def l2(r, vmm, config):
        for rec in rounds_l2.get(r, []):
            if rec.get('vmm') == vmm and rec.get('config') == config and ok(rec['run']):
                return rec['run']
        return None

    def l2read(run, compat, offset=None):
        for g in grabbed(run) if run else []:
            if g.get('device') == compat and (offset is None or g.get('offset') == offset):
                return g
        return None

    def window_exits(run, name, counter='exits'):
        """KVM's count over the busy window minus over the idle window as long after it."""
        w = run.get('windows', {}) if run else {}
        if name + '-busy' not in w or name + '-idle' not in w:
            return None
        return w[name + '-busy']['kvm'].get(counter, 0) - w[name + '-idle']['kvm'].get(counter, 0)

    def per_batch(a, b):
        """Median over batches of a[i] / b[i]: two targets read in turn, batch by batch."""
        return median([x / y for x, y in zip(a['ns_per_read'], b['ns_per_read']) if y])

    rounds = sorted(set(rounds_l1) | set(rounds_l2) | set(rounds_exit))

    # 1. Mapped MMIO.
    S = '1. Mapped MMIO (pl031 data register, 32-bit reads)'
    l1_ns, l2_ns, ratio, exits_per, trapped_reads = [], [], [], [], []
    for r in rounds:
        a, run = l1(r, 'mmap', '9010000.pl031'), l2(r, 'armpass', 'mapped')
        b = l2read(run, 'arm,pl031')
        if a:
            l1_ns += a['ns_per_read']
        if b:
            l2_ns += b['ns_per_read']
        if a and b:
            ratio.append(median(b['ns_per_read']) / median(a['ns_per_read']))
        if b:
            e = window_exits(run, 'mapped')
            if e is not None:
                exits_per.append(max(e, 0) / (b['reads'] * len(b['ns_per_read'])))
            reg = armpass_stats(run)['regions'].get('9010000.pl031/0')
            if reg:
                trapped_reads.append((reg[0] + reg[1]) / (b['reads'] * len(b['ns_per_read'])))
    F.add(S, 'mapped_l1_ns', 'L1 read through the VFIO mmap', 'ns/read', l1_ns)
    F.add(S, 'mapped_l2_ns', 'L2 read through /dev/mem (armpass, mapped)', 'ns/read', l2_ns)
    F.add(S, 'mapped_ratio', 'L2 / L1 per-read cost', 'ratio', ratio, target=1.05,
          baseline='L1 read of the same register through VFIO, same round')
    if l1_ns and l2_ns:
        F.add(S, 'mapped_ratio_best', 'L2 / L1, best case (fastest L2 batch / fastest L1 batch)', 'ratio',
              [min(l2_ns) / min(l1_ns)])
    F.add(S, 'mapped_trapped', "exits to armpass per mapped read (armpass's trapped count on the region)",
          'exits/read', trapped_reads, target=0, cmp='eq')
    F.add(S, 'mapped_exits', 'KVM exits per mapped read (loop window - idle window)', 'exits/read',
          exits_per, note='timer ticks and console lines of the window: an upper bound')

    # 2. Trapped MMIO.
    S = '2. Trapped MMIO (32-bit reads, each a KVM exit to the VMM)'
    bare_ns, bare_variants, pread_pl, pread_fw = [], {}, [], []
    t_pl, t_fw, t_uart, q_pl, q_fw, q_uart = [], [], [], [], [], []
    r_pl, r_floor, r_fw, r_fw_floor, r_same, r_q, exits_trap = [], [], [], [], [], [], []
    r_best = []
    for r in rounds:
        b = bare(r)
        if b:
            bare_ns += b['ns_per_exit']
        for name, kw in (('store', {'access': 'store'}), ('no vGIC', {'gic': False}),
                         ('MMU on', {'mmu': True}), ('armed timer', {'timer': True})):
            v = bare(r, **kw)
            if v:
                bare_variants.setdefault(name, []).extend(v['ns_per_exit'])
        pp, pf = l1(r, 'pread', '9010000.pl031'), l1(r, 'pread', '9020000.fw-cfg')
        if pp:
            pread_pl += pp['ns_per_read']
        if pf:
            pread_fw += pf['ns_per_read']
        run, qrun = l2(r, 'armpass', 'trapped'), l2(r, 'qemu', 'emulated')
        gp, gf, gu = l2read(run, 'arm,pl031'), l2read(run, 'qemu,fw-cfg-mmio'), l2read(run, 'arm,pl011')
        qp, qf, qu = l2read(qrun, 'arm,pl031'), l2read(qrun, 'qemu,fw-cfg-mmio'), l2read(qrun, 'arm,pl011')
        for g, acc in ((gp, t_pl), (gf, t_fw), (gu, t_uart), (qp, q_pl), (qf, q_fw), (qu, q_uart)):
            if g:
                acc += g['ns_per_read']
        bm = median(b['ns_per_exit']) if b else None
        if gp and b:
            r_best.append(min(gp['ns_per_read']) / min(b['ns_per_exit']))
        if gp and bm:
            r_pl.append(median(gp['ns_per_read']) / bm)
            if pp:
                r_floor.append(1 + median(pp['ns_per_read']) / bm)
        if gf and bm:
            r_fw.append(median(gf['ns_per_read']) / bm)
            if pf:
                r_fw_floor.append(1 + median(pf['ns_per_read']) / bm)
        if gp and gu:
            r_same.append(per_batch(gp, gu))
        if gp and qp:
            r_q.append(median(gp['ns_per_read']) / median(qp['ns_per_read']))
        e = window_exits(run, 'trapped', 'mmio_exit_user')
        reads = sum(g['reads'] * len(g['ns_per_read']) for g in (gp, gf, gu) if g)
        if e is not None and reads:
            exits_trap.append(e / reads)
    F.add(S, 'bare_exit_ns', 'bare KVM MMIO exit round trip (minimal guest, load, vGICv3)', 'ns/exit', bare_ns)
    for name, v in bare_variants.items():
        F.add(S, 'bare_exit_ns_' + re.sub(r'\W+', '_', name), '  the same, %s' % name, 'ns/exit', v)
    F.add(S, 'pread_pl031_ns', 'L1 pread of the pl031 register (VFIO device fd)', 'ns/read', pread_pl)
    F.add(S, 'pread_fwcfg_ns', 'L1 pread of the fw-cfg data register', 'ns/read', pread_fw)
    F.add(S, 'trap_pl031_ns', 'L2 trapped read, pl031 x-no-mmap=on (armpass)', 'ns/read', t_pl)
    F.add(S, 'trap_fwcfg_ns', 'L2 trapped read, fw-cfg data (armpass)', 'ns/read', t_fw)
    F.add(S, 'trap_uart_ns', 'L2 read of UARTFR, emulated by armpass (exit, no pread)', 'ns/read', t_uart)
    F.add(S, 'qemu_pl031_ns', "L2 read of QEMU's emulated pl031 (reference)", 'ns/read', q_pl)
    F.add(S, 'qemu_fwcfg_ns', "L2 read of QEMU's emulated fw-cfg data (reference)", 'ns/read', q_fw)
    F.add(S, 'qemu_uart_ns', "L2 read of UARTFR, emulated by QEMU (reference)", 'ns/read', q_uart)
    F.add(S, 'trap_ratio', 'trapped pl031 read / bare exit round trip', 'ratio', r_pl, target=1.10,
          baseline='bare KVM exit of the same round')
    F.add(S, 'trap_floor', '  its floor: 1 + pread / bare exit', 'ratio', r_floor)
    F.add(S, 'trap_ratio_best', '  the same, best case (fastest trapped batch / fastest bare-exit batch, per round)',
          'ratio', r_best)
    F.add(S, 'trap_fw_ratio', 'trapped fw-cfg read / bare exit round trip', 'ratio', r_fw, target=1.10,
          baseline='bare KVM exit of the same round')
    F.add(S, 'trap_fw_floor', '  its floor: 1 + pread / bare exit', 'ratio', r_fw_floor)
    F.add(S, 'trap_same_guest', 'trapped pl031 read / exit to armpass in the same guest (UARTFR)', 'ratio',
          r_same, baseline="armpass's own emulated register, read in turn with it")
    F.add(S, 'trap_vs_qemu', "trapped pl031 read (armpass) / QEMU's emulated pl031 read", 'ratio', r_q,
          baseline='QEMU, same round')
    F.add(S, 'trap_exits', 'exits to the VMM per trapped read (window - idle window)', 'exits/read',
          exits_trap)

    # 3. Interrupts.
    S = '3. Interrupt path (pl031 level interrupt, raised in a loop by L2)'
    for mode, label in (('on', 'irqfd + resamplefd'), ('off', 'x-irqfd=off (userspace fallback)')):
        wake, kexits, uexits, lat, entries, comps = [], [], [], [], [], []
        for rec in records:
            if rec.get('part') != 'irq' or rec.get('irqfd') != mode or not ok(rec['run']):
                continue
            run = rec['run']
            g = next((x for x in grabbed(run) if x.get('mode') == 'irq'), None)
            if not g:
                continue
            n = g['count']
            irq = armpass_stats(run)['irqs'].get('9010000.pl031/0')
            if irq:
                wake.append(irq[1] / n)
            c = armpass_stats(run).get('completions', {}).get('9010000.pl031/0')
            if c is not None:
                comps.append(c / n)
            e = window_exits(run, 'irq')
            if e is not None:
                kexits.append(e / n)
            e = window_exits(run, 'irq', 'mmio_exit_user')
            if e is not None:
                uexits.append(e / n)
            lat.append(g['latency_ns']['median'] / 1000.0)
            entries.append(g['entries'] / n)
        k = 'irq_' + mode
        F.add(S, k + '_wakeups', 'userspace wake-ups per interrupt, ' + label, 'wake-ups/irq', wake,
              target=0 if mode == 'on' else None, cmp='eq')
        F.add(S, k + '_exits', 'KVM exits per interrupt, ' + label, 'exits/irq', kexits,
              note='loop window - idle window, all exits KVM counts (most handled in the kernel)')
        F.add(S, k + '_uexits', 'exits to armpass per interrupt, ' + label, 'exits/irq', uexits)
        F.add(S, k + '_latency', 'interrupt latency (alarm write -> handler done), ' + label, 'us', lat)
        F.add(S, k + '_entries', "guest handler entries per interrupt, " + label, 'entries/irq', entries)
        if mode == 'off':
            F.add(S, k + '_completions', 'interrupts completed by a trapped access, per interrupt, ' + label,
                  'completions/irq', comps, note="armpass's -d stats: the line's 'completed by trapped access'")
    on, off = F.get('irq_on_entries'), F.get('irq_off_entries')
    if on and off and on['n'] and off['n']:
        F.add(S, 'irq_entries_ratio', "  handler entries per interrupt: fallback / irqfd (medians)", 'ratio',
              [off['median'] / on['median']] if on['median'] else [], baseline='the irqfd path, same run')

    # 4. Boot and footprint against QEMU.
    S = '4. Boot and footprint against QEMU (256 MiB, 2 vCPUs unless said)'

    def pairs(part, value, marker, pred=lambda r: True):
        """(armpass samples, qemu samples, per-round armpass/qemu ratios)."""
        rs = by_round(records, part, pred)
        a_s, q_s, ratio = [], [], []
        for r in sorted(rs):
            got = {}
            for rec in rs[r]:
                if ok(rec['run'], marker):
                    v = value(rec['run'])
                    if v is not None:
                        got[rec['vmm']] = v
            if 'armpass' in got:
                a_s.append(got['armpass'])
            if 'qemu' in got:
                q_s.append(got['qemu'])
            if 'armpass' in got and 'qemu' in got and got['qemu']:
                ratio.append(got['armpass'] / got['qemu'])
        return a_s, q_s, ratio

    def at(key, sub=None):
        def f(run):
            s = run.get('at_sample') or {}
            v = s.get(key) if sub is None else (s.get(key) or {}).get(sub)
            return v
        return f

    def add3(key, name, unit, part, value, marker, target=None, scale=1.0, pred=lambda r: True):
        a_s, q_s, ratio = pairs(part, value, marker, pred)
        F.add(S, key + '_armpass', name + ', armpass', unit, [x * scale for x in a_s])
        F.add(S, key + '_qemu', name + ', QEMU', unit, [x * scale for x in q_s])
        F.add(S, key + '_ratio', name + ': armpass / QEMU', 'ratio', ratio, target=target,
              baseline='QEMU, same round')

    add3('first', 'start -> first guest instruction', 'ms', 'first', lambda r: r['markers_s']['@'], '@',
         target=0.1, scale=1000)
    add3('life', 'minimal VM lifecycle (start -> exit, probe image)', 'ms', 'first', lambda r: r['exit_s'], '@',
         scale=1000)
    add3('boot', 'start -> L2 marker', 's', 'boot', lambda r: r['markers_s']['ARMPASS-L2-UP'],
         'ARMPASS-L2-UP', target=0.5)
    a_boot, a_first, q_boot = F.get('boot_armpass'), F.get('first_armpass'), F.get('boot_qemu')
    if all(x and x['n'] for x in (a_boot, a_first, q_boot)):
        F.add(S, 'boot_bound', '  the ratio armpass would reach with no start-up at all (medians: '
              '(armpass boot - armpass start to first instruction) / QEMU boot)', 'ratio',
              [(a_boot['median'] - a_first['median'] / 1000) / q_boot['median']])
    add3('rss_peak', 'peak RSS beyond guest RAM (smaps every 20 ms)', 'MiB', 'footprint',
         lambda r: r.get('beyond_guest_peak_kib'), 'ARMPASS-L2-UP', target=0.1, scale=1 / 1024)
    add3('rss_marker', 'RSS beyond guest RAM at the L2 marker', 'MiB', 'boot', at('beyond_guest_kib'),
         'ARMPASS-L2-UP', target=0.1, scale=1 / 1024)
    add3('rss_file', '  of which mapped files (binary, libraries) at the L2 marker', 'MiB', 'boot',
         at('file_rss_kib'), 'ARMPASS-L2-UP', scale=1 / 1024)
    add3('exits', 'VM exits from start to the L2 marker (KVM debugfs)', 'exits', 'boot',
         at('kvm', 'exits'), 'ARMPASS-L2-UP')
    add3('uexits', 'MMIO exits to the VMM from start to the L2 marker', 'exits', 'boot',
         at('kvm', 'mmio_exit_user'), 'ARMPASS-L2-UP')
    own = [armpass_stats(rec['run']).get('exits') for rec in records
           if rec.get('part') == 'boot' and rec.get('vmm') == 'armpass' and ok(rec['run'])]
    F.add(S, 'exits_own', "armpass's own count: KVM_RUN returns, whole run (-d stats)", 'exits', own)
    sizes = {rec['vmm']: rec['bytes'] for rec in records if rec.get('part') == 'size'}
    if sizes.get('armpass'):
        F.add(S, 'size_armpass', 'binary + libraries, armpass (static)', 'MB', [sizes['armpass'] / 1e6])
    if sizes.get('qemu'):
        F.add(S, 'size_qemu', 'binary + libraries, QEMU (what ld.so loads)', 'MB', [sizes['qemu'] / 1e6])
    if sizes.get('armpass') and sizes.get('qemu'):
        F.add(S, 'size_ratio', 'binary + libraries: armpass / QEMU', 'ratio',
              [sizes['armpass'] / sizes['qemu']], baseline='QEMU')

    # 6. PCI passthrough.
    pci_scale = pci_figures(F, records)

    # 5. Scale.
    scale = []
    for rec in records:
        if rec.get('part') in ('boot', 'scale') and ok(rec['run'], 'ARMPASS-L2-UP'):
            run = rec['run']
            s = run.get('at_sample') or {}
            scale.append({'vmm': rec['vmm'], 'round': rec['round'], 'ram_mib': rec['ram_mib'],
                          'smp': rec['smp'], 'boot_s': run['markers_s']['ARMPASS-L2-UP'],
                          'beyond_kib': s.get('beyond_guest_kib'), 'guest_kib': s.get('guest_rss_kib'),
                          'exits': (s.get('kvm') or {}).get('exits')})
    return F, scale, pci_scale


def blk_results(run):
    """The BENCH-BLK results an L2 run printed, by test: 'qd1', 'qd32', 'seq'."""
    out = {}
    for g in run.get('grabbed', []) if run else []:
        if not g.startswith('BENCH-BLK {'):
            continue
        try:
            res = json.loads(g[len('BENCH-BLK '):])
        except ValueError:
            continue
        out[blk_kind(res)] = res
    return out


def blk_kind(res):
    if res.get('mode') == 'empty':
        return 'empty'
    return 'seq' if res.get('mode') == 'seq' else 'qd%d' % res.get('qd', 0)


MODE_LABEL = {'msix': 'MSI-X', 'msi': 'plain MSI', 'intx': 'INTx',
              'intx-off': 'INTx on the userspace fallback (armpass x-irqfd=off, QEMU x-no-kvm-intx=on)'}
MODE_SHORT = {'msix': 'MSI-X', 'msi': 'MSI', 'intx': 'INTx', 'intx-off': 'INTx fallback'}

BLK_TESTS = (('qd1', '4 KiB random reads, queue depth 1'),
             ('qd32', '4 KiB random reads, queue depth 32 (32 threads at depth 1)'),
             ('seq', '1 MiB sequential reads'))


def fit_slope(points):
    """Least-squares slope of [(x, y)]; None with fewer than two distinct x."""
    if len({x for x, _ in points}) < 2:
        return None
    mx = statistics.mean(x for x, _ in points)
    my = statistics.mean(y for _, y in points)
    den = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / den


# --- Direct counts of the disk reads (pci-io, backing-reads): samples, storms, verdicts ---------

# KVM's per-VM counters (L1's debugfs, summed over vCPUs) by exit reason; "other" is what
# "exits" counts beyond these (physical interrupts taken while the guest ran, trapped system
# registers such as the GIC's SGI register, stage-2 faults). halt_wakeup is not an exit but
# the vCPU's wake-ups from a blocking WFI.
EXIT_REASONS = (('all', 'exits', 'all exits'),
                ('wfi', 'wfi_exit_stat', 'WFI'),
                ('mmio_kernel', 'mmio_exit_kernel', 'MMIO handled in the kernel'),
                ('mmio_user', 'mmio_exit_user', 'MMIO to the VMM'),
                ('hvc', 'hvc_exit_stat', 'HVC'),
                ('other', None, 'other (interrupts, system registers, faults)'),
                ('halt_wakeup', 'halt_wakeup', 'halt wake-ups'))
STORM_AFTER_IRQS = 20       # interrupts in the quiet 300 ms after a test's last read
STORM_FACTOR = 2.0          # interrupts per read above this times L1's (and above 1)
NEGLIGIBLE = 0.05           # exits of a reason per interrupt below which neither side has any
BLK_KINDS = ('qd1', 'qd32', 'seq')
BLK_KIND_NAMES = {'qd1': 'QD1 4 KiB', 'qd32': 'QD32 4 KiB', 'seq': '1 MiB sequential'}


def window_counts(w):
    """A window's KVM counter deltas by reason (EXIT_REASONS), or None."""
    if not w:
        return None
    k = w.get('kvm') or {}
    if 'exits' not in k:
        return None
    out = {}
    for key, counter, _ in EXIT_REASONS:
        if counter:
            out[key] = k.get(counter, 0)
    out['wfe'] = k.get('wfe_exit_stat', 0)
    out['other'] = out['all'] - sum(out[x] for x in ('wfi', 'wfe', 'mmio_kernel', 'mmio_user', 'hvc'))
    return out


def blk_samples(records, part, group_of):
    """The disk-read runs of a part, as {group: {round: {side: entry}}}: group_of(record) names
    the group (the interrupt mode, or the backing; None to skip), side is l1, armpass or qemu,
    entry = {'run': the VMM run or None, 'kinds': {kind: sample}, 'empty': counts of the empty
    window}. A sample: reads, time per read (us), interrupts per read, the interrupts after,
    whether the controller went quiet before, and the window's exits by reason."""
    out = {}
    for rec in records:
        if rec.get('part') != part:
            continue
        g = group_of(rec)
        if g is None:
            continue
        side = rec.get('vmm')
        if side == 'l1':
            res = rec.get('result') or {}
            entry = out.setdefault(g, {}).setdefault(rec.get('round', 0), {}).setdefault(
                'l1', {'run': None, 'kinds': {}, 'empty': None})
            results = {blk_kind(res): res}
            run = None
        else:
            run = rec.get('run')
            # A run that timed out or was killed still counts the tests it finished (each
            # BENCH-BLK line and its window are whole).
            if not run or (run.get('markers_s') or {}).get('ARMPASS-L2-UP') is None:
                continue
            entry = out.setdefault(g, {}).setdefault(rec.get('round', 0), {}).setdefault(
                side, {'run': run, 'kinds': {}, 'empty': None})
            results = blk_results(run)
            entry['empty'] = window_counts((run.get('windows') or {}).get('empty'))
            smp_ = run.get('at_sample') or {}
            if smp_.get('guest_vma_kib') and 'guest_thp_kib' in smp_:
                entry['huge'] = ((smp_.get('guest_thp_kib') or 0) + (smp_.get('guest_hugetlb_kib') or 0)) / \
                    smp_['guest_vma_kib']
        w = (run or {}).get('windows') or {}
        for kind, res in results.items():
            if kind not in BLK_KINDS or not res.get('reads'):
                continue
            raw = window_counts(w.get(kind))
            exits = raw
            if raw and entry['empty']:
                # less what the window costs by itself (its lead and its END line), measured in
                # the same boot before any read
                exits = {k: raw[k] - entry['empty'].get(k, 0) for k in raw}
            smp = {'reads': res['reads'], 't_us': res['s'] / res['reads'] * 1e6,
                   'p50_us': (res.get('lat_us') or {}).get('p50'),
                   'irqs': res['irqs'], 'ipr': res['irqs'] / res['reads'],
                   'irqs_after': res.get('irqs_after'), 'settled': res.get('settled', True),
                   'settle_s': res.get('settle_s'), 'exits': exits, 'exits_raw': raw,
                   'after_exits': window_counts(w.get(kind + '-after'))}
            entry['kinds'][kind] = smp
    return out


def mark_storms(groups, rule=True):
    """Marks each sample a storm (sample['storm'] = why, or None): interrupts per read above
    STORM_FACTOR times L1's for the same test (median over the group's rounds; at least 1 per
    read), more than STORM_AFTER_IRQS interrupts in the quiet window after the reads, or a
    controller that did not go quiet before them. rule False (the INTx fallback, whose handler
    re-entries are what it measures): nothing is marked."""
    for g, rounds in groups.items():
        ref = {}
        for kind in BLK_KINDS:
            v = [e['kinds'][kind]['ipr'] for e in (r.get('l1') for r in rounds.values())
                 if e and kind in e['kinds']]
            ref[kind] = median(v)
        for rounds_e in rounds.values():
            for side, e in rounds_e.items():
                for kind, smp in e['kinds'].items():
                    why = []
                    lim = max(STORM_FACTOR * (ref.get(kind) or 0.5), 1.0)
                    if smp['ipr'] > lim:
                        why.append('%d interrupts for %d reads (%.2f a read; the limit %.2f)' % (
                            smp['irqs'], smp['reads'], smp['ipr'], lim))
                    if smp.get('irqs_after') is not None and smp['irqs_after'] > STORM_AFTER_IRQS:
                        why.append('%d interrupts in the quiet 0.3 s after%s' % (
                            smp['irqs_after'], (', with %d exits' % smp['after_exits']['all'])
                            if smp.get('after_exits') else ''))
                    if smp.get('settled') is False:
                        why.append('not quiet before (3 s)')
                    smp['storm'] = '; '.join(why) if (why and rule) else None
                    smp['storm_seen'] = '; '.join(why) if why else None
    return groups


def verdict(a, q, ratios, count=False):
    """Whether armpass's and QEMU's figures differ: 'real' when their ranges over the rounds do
    not overlap, or when every per-round ratio lies on the same side of 1 over at least 5
    rounds; 'noise' otherwise. Returns (word, text)."""
    if len(a) < 3 or len(q) < 3:
        return 'few', 'too few rounds to tell (%d / %d)' % (len(a), len(q))
    if not any(a) and not any(q):
        return 'same', 'the same (0)'
    if max(a) < min(q):
        return 'real', '**real**: armpass lower (ranges apart)'
    if min(a) > max(q):
        return 'real', '**real**: armpass higher (ranges apart)'
    if len(ratios) >= 5 and all(r < 1 for r in ratios):
        return 'real', '**real**: armpass lower in all %d rounds' % len(ratios)
    if len(ratios) >= 5 and all(r > 1 for r in ratios):
        return 'real', '**real**: armpass higher in all %d rounds' % len(ratios)
    return 'noise', 'noise (ranges overlap%s)' % (
        '' if not ratios else ', ratios %s to %s' % (fmt(min(ratios), 'ratio'), fmt(max(ratios), 'ratio')))


def mmm(v, unit=''):
    """'median (min–max)' of v, or '–'."""
    if not v:
        return '–'
    if len(v) == 1:
        return fmt(v[0], unit)
    return '%s (%s–%s)' % (fmt(median(v), unit), fmt(min(v), unit), fmt(max(v), unit))


def blk_compare(groups, group):
    """Per test of one group: the rows of its tables, from the rounds without a storm.
    Returns {'rows': [...], 'storms': {side: [(round, kind, why)]}, 'rounds': N}."""
    rounds = groups.get(group, {})
    storms = {'l1': [], 'armpass': [], 'qemu': []}
    for r in sorted(rounds):
        for side, e in rounds[r].items():
            for kind in BLK_KINDS:
                smp = e['kinds'].get(kind)
                if smp and smp.get('storm_seen'):
                    storms.setdefault(side, []).append((r, kind, smp['storm_seen'], bool(smp.get('storm'))))
    rows = []

    def clean(r, side, kind):
        e = rounds.get(r, {}).get(side)
        smp = e['kinds'].get(kind) if e else None
        return smp if smp and not smp.get('storm') else None

    for kind in BLK_KINDS:
        if not any(clean(r, s, kind) for r in rounds for s in ('armpass', 'qemu')):
            continue
        t = {s: [] for s in ('l1', 'armpass', 'qemu')}
        tr = {'armpass': [], 'qemu': [], 'peer': []}
        for r in sorted(rounds):
            got = {s: clean(r, s, kind) for s in ('l1', 'armpass', 'qemu')}
            for s, smp in got.items():
                if smp:
                    t[s].append(smp['t_us'])
            for s in ('armpass', 'qemu'):
                if got[s] and got['l1']:
                    tr[s].append(got[s]['t_us'] / got['l1']['t_us'])
            if got['armpass'] and got['qemu']:
                tr['peer'].append(got['armpass']['t_us'] / got['qemu']['t_us'])
        v = verdict(t['armpass'], t['qemu'], tr['peer'])
        rows.append({'kind': kind, 'what': 'time per read', 'unit': 'us', 'l1': t['l1'],
                     'armpass': t['armpass'], 'qemu': t['qemu'], 'a_l1': tr['armpass'],
                     'q_l1': tr['qemu'], 'ratio': tr['peer'], 'verdict': v})
        if kind != 'qd32':
            # the median read's latency: a burst of load on the shared host moves it less than
            # the mean (at QD32 a read's latency is mostly its wait in the queue)
            t = {s: [] for s in ('l1', 'armpass', 'qemu')}
            tr = {'armpass': [], 'qemu': [], 'peer': []}
            for r in sorted(rounds):
                got = {s: clean(r, s, kind) for s in ('l1', 'armpass', 'qemu')}
                got = {s: (x if x and x.get('p50_us') else None) for s, x in got.items()}
                for s, smp in got.items():
                    if smp:
                        t[s].append(smp['p50_us'])
                for s in ('armpass', 'qemu'):
                    if got[s] and got['l1']:
                        tr[s].append(got[s]['p50_us'] / got['l1']['p50_us'])
                if got['armpass'] and got['qemu']:
                    tr['peer'].append(got['armpass']['p50_us'] / got['qemu']['p50_us'])
            if t['armpass'] or t['qemu']:
                rows.append({'kind': kind, 'what': 'median latency', 'unit': 'us', 'l1': t['l1'],
                             'armpass': t['armpass'], 'qemu': t['qemu'], 'a_l1': tr['armpass'],
                             'q_l1': tr['qemu'], 'ratio': tr['peer'],
                             'verdict': verdict(t['armpass'], t['qemu'], tr['peer'])})
        # counts: interrupts per read, then exits per interrupt by reason
        specs = [('ipr', 'interrupts per read', lambda s: s['ipr'], True)]
        for key, counter, name in EXIT_REASONS:
            specs.append((key, ('KVM exits per interrupt: ' if key != 'halt_wakeup' else '') + name +
                          (' per interrupt' if key == 'halt_wakeup' else ''),
                          (lambda s, k=key: s['exits'][k] / s['irqs'] if s.get('exits') and s['irqs'] else None),
                          False))
        for key, name, f, with_l1 in specs:
            vals = {s: [] for s in ('l1', 'armpass', 'qemu')}
            ratios = []
            for r in sorted(rounds):
                got = {s: clean(r, s, kind) for s in ('l1', 'armpass', 'qemu')}
                x = {s: (f(smp) if smp else None) for s, smp in got.items()}
                for s in vals:
                    if x[s] is not None and (with_l1 or s != 'l1'):
                        vals[s].append(x[s])
                if x['armpass'] is not None and x['qemu'] is not None and x['armpass'] > 0 and x['qemu'] > 0:
                    ratios.append(x['armpass'] / x['qemu'])
            if not vals['armpass'] and not vals['qemu']:
                continue
            v = verdict(vals['armpass'], vals['qemu'], ratios, count=True)
            if key != 'ipr' and v[0] in ('real', 'noise') and \
                    max(abs(median(vals['armpass']) or 0), abs(median(vals['qemu']) or 0)) < NEGLIGIBLE:
                v = ('same', 'negligible under both (below %g an interrupt)' % NEGLIGIBLE)
            rows.append({'kind': kind, 'what': name, 'key': key, 'unit': 'count', 'l1': vals['l1'],
                         'armpass': vals['armpass'], 'qemu': vals['qemu'], 'ratio': ratios, 'verdict': v})
    # what a window costs by itself, and the exits in the quiet window after the reads
    extra = {}
    for s in ('armpass', 'qemu'):
        extra[s] = {'empty': [e['empty']['all'] for e in (rr.get(s) for rr in rounds.values())
                              if e and e.get('empty')],
                    'after': [smp['after_exits']['all'] for e in (rr.get(s) for rr in rounds.values()) if e
                              for smp in e['kinds'].values()
                              if smp.get('after_exits') and not smp.get('storm')],
                    'huge': [e['huge'] for e in (rr.get(s) for rr in rounds.values()) if e and e.get('huge') is not None]}
    return {'rows': rows, 'storms': storms, 'rounds': len(rounds), 'extra': extra}


def blk_compare_markdown(title, cmp, note=''):
    """One group's tables: times against L1 and QEMU, then counts by reason."""
    out = ['#### ' + title, '']
    n = cmp['rounds']
    st = cmp['storms']
    parts = []
    for side, name in (('armpass', 'armpass'), ('qemu', 'QEMU'), ('l1', 'L1')):
        rs = sorted({r for r, _, _, _ in st.get(side, [])})
        if rs or side != 'l1':
            parts.append('%s %d of %d rounds' % (name, len(rs), n))
    seen = any(st.values())
    excluded = any(x for s in st.values() for _, _, _, x in s)
    tail = ''
    if excluded:
        tail = ' Each is listed here and left out of the medians and ratios below (its round\'s other tests stay in).'
    elif seen:
        tail = ' Listed here, not left out: %s.' % (note or 'see the text')
    out.append('%d rounds. Storms (a test whose interrupts per read exceed %.0f × L1\'s and 1, or with more than %d '
               'interrupts in the quiet 0.3 s after its reads, or whose controller did not go quiet before it): '
               '%s.%s' % (n, STORM_FACTOR, STORM_AFTER_IRQS, ', '.join(parts), tail))
    if seen:
        out.append('')
    for side, name in (('armpass', 'armpass'), ('qemu', 'QEMU'), ('l1', 'L1')):
        for r, kind, why, _ in st.get(side, []):
            out.append('- %s, round %d, %s: %s' % (name, r, BLK_KIND_NAMES[kind], why))
    out.append('')
    ex = cmp['extra']
    out.append('A window by itself (no reads: the 100 ms lead and the END line): %s exits under armpass, %s under '
               'QEMU; the quiet 0.3 s after a test: %s / %s (medians, min–max).' % (
                   mmm(ex['armpass']['empty']), mmm(ex['qemu']['empty']),
                   mmm(ex['armpass']['after']), mmm(ex['qemu']['after'])))
    if ex['armpass']['huge'] or ex['qemu']['huge']:
        out[-1] += (' Guest RAM in huge pages at the L2 marker (L1\'s smaps; the DMA map has pinned all of it): '
                    '%s under armpass, %s under QEMU.' % (
                        '–' if not ex['armpass']['huge'] else '%.0f%%–%.0f%%' % (100 * min(ex['armpass']['huge']),
                                                                                 100 * max(ex['armpass']['huge'])),
                        '–' if not ex['qemu']['huge'] else '%.0f%%–%.0f%%' % (100 * min(ex['qemu']['huge']),
                                                                              100 * max(ex['qemu']['huge']))))
    out += ['', '| test | µs | L1 | armpass | QEMU | armpass / L1 | QEMU / L1 | armpass / QEMU '
            '(per round) | spread (max / min) | armpass against QEMU |',
            '|---|---|---:|---:|---:|---:|---:|---:|---:|---|']
    for row in cmp['rows']:
        if row['unit'] != 'us':
            continue
        rt = row['ratio']
        out.append('| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |' % (
            BLK_KIND_NAMES[row['kind']], row['what'], mmm(row['l1'], 'us'), mmm(row['armpass'], 'us'), mmm(row['qemu'], 'us'),
            mmm(row['a_l1'], 'ratio'), mmm(row['q_l1'], 'ratio'), mmm(rt, 'ratio'),
            '%.2f' % (max(rt) / min(rt)) if rt and min(rt) > 0 else '–', row['verdict'][1]))
    out += ['', '| test | count | L1 | armpass | QEMU | armpass / QEMU (per round) | armpass against QEMU |',
            '|---|---|---:|---:|---:|---:|---|']
    for row in cmp['rows']:
        if row['unit'] == 'us':
            continue
        out.append('| %s | %s | %s | %s | %s | %s | %s |' % (
            BLK_KIND_NAMES[row['kind']], row['what'], mmm(row['l1'], 'count'), mmm(row['armpass'], 'count'),
            mmm(row['qemu'], 'count'), mmm(row['ratio'], 'ratio'), row['verdict'][1]))
    return '\n'.join(out) + '\n'


def blk_verdict_summary(cmps):
    """Plain words: which armpass / QEMU differences are real and which are noise, one line per
    test."""
    real, noise = [], []
    short = {'time per read': 'time per read', 'median latency': 'median latency',
             'interrupts per read': 'interrupts per read'}
    for label, cmp in cmps:
        for kind in BLK_KINDS:
            rs, ns = [], []
            for row in cmp['rows']:
                if row['kind'] != kind:
                    continue
                w, text = row['verdict']
                name = short.get(row['what'], row['what'].replace('KVM exits per interrupt: ', 'exits per interrupt, '))
                if row.get('key') == 'other':
                    name = 'exits per interrupt, other'
                med = median(row['ratio'])
                if med is not None:
                    val = fmt(med, 'ratio')
                else:   # a count near 0 (after the empty window is taken off): the two medians
                    val = '%s against %s' % (fmt(median(row['armpass']), 'count'), fmt(median(row['qemu']), 'count'))
                if w == 'real':
                    how = text.replace('**real**: armpass ', '').replace(' (ranges apart)', ', ranges apart')
                    rs.append('%s %s (%s)' % (name, val, how))
                elif w == 'noise':
                    ns.append('%s %s' % (name, val))
            if rs:
                real.append('- %s, %s: %s.' % (label, BLK_KIND_NAMES[kind], '; '.join(rs)))
            if ns:
                noise.append('- %s, %s: %s.' % (label, BLK_KIND_NAMES[kind], '; '.join(ns)))
    out = []
    if real:
        out.append('Real differences, armpass / QEMU (median of the per-round ratios; why it is real):')
        out += real
    else:
        out.append('No real difference between armpass and QEMU in these tables.')
    if noise:
        out += ['', 'Within the noise (median armpass / QEMU):'] + noise
    return '\n'.join(out) + '\n'


def pci_trust(records):
    """Section 6's comparison with QEMU from the direct counts, one table pair per interrupt
    mode, and the verdicts in plain words. Returns (markdown, data)."""
    order = {'msix': 0, 'intx': 1, 'intx-off': 2, 'msi': 3}
    groups = blk_samples(records, 'pci-blk', lambda r: r.get('mode'))
    if not groups:
        return '', {}
    cmps, data = [], {}
    out = ['### 6. PCI passthrough against QEMU: direct counts over a fixed amount of work', '',
           'Per interrupt mode and test: the time per read and KVM\'s exits of the VM by reason, counted '
           'from right before the first read to right after the last (L1\'s debugfs, no idle window '
           'subtracted), per round; medians (min–max) over the rounds without a storm in that test; '
           'armpass / QEMU is per round. "Real" means armpass\'s and QEMU\'s ranges do not overlap, or the '
           'ratio is on the same side of 1 in every round (at least 5); anything else is noise.', '']
    for mode in sorted(groups, key=lambda m: (order.get(m, 9), m)):
        mark_storms({mode: groups[mode]}, rule=mode != 'intx-off')
        cmp = blk_compare(groups, mode)
        label = MODE_SHORT.get(mode, mode)
        out.append(blk_compare_markdown('%s (%s)' % (label, 'the AHCI' if mode == 'msi' else 'the NVMe'), cmp,
                                        note='the fallback\'s handler re-entries are what this mode measures'
                                        if mode == 'intx-off' else ''))
        cmps.append((label, cmp))
        data[mode] = cmp
    out += ['#### In plain words', '', blk_verdict_summary(cmps)]
    return '\n'.join(out), data


def pci_figures(F, records):
    """Section 6: NVMe reads against L1's bare device (the floor) and against QEMU, the
    interrupt path, boot with the device, and the DMA map of guest RAM. Returns the DMA rows
    (per guest RAM size) for the table and the chart."""
    order = {'msix': 0, 'intx': 1, 'intx-off': 2, 'msi': 3}
    groups = blk_samples(records, 'pci-blk', lambda r: r.get('mode'))
    for mode, rounds in groups.items():
        mark_storms({mode: rounds}, rule=mode != 'intx-off')
    modes = sorted(groups, key=lambda m: (order.get(m, 9), m))
    entries_per_read = {}   # mode -> round -> vmm -> handler entries (interrupts L2 counted) per read
    for mode in modes:
        dev = 'SATA disk behind L0\'s ich9-ahci (behind its SMMUv3)' if mode == 'msi' else \
            'NVMe (L0\'s, behind its SMMUv3)'
        S = '6. PCI passthrough: %s through vfio-pci, %s' % (dev, MODE_LABEL.get(mode, mode))
        dname = 'the AHCI' if mode == 'msi' else 'the NVMe'
        rounds = groups[mode]

        def clean(r, v, kind):
            e = rounds.get(r, {}).get(v)
            smp = e['kinds'].get(kind) if e else None
            return smp if smp and not smp.get('storm') else None

        def runs_of(r):
            return {v: e['run'] for v, e in rounds.get(r, {}).items() if e.get('run')}

        for kind, label in BLK_TESTS:
            tpr = {'l1': [], 'armpass': [], 'qemu': []}
            p50 = {'l1': [], 'armpass': [], 'qemu': []}
            floor, peer, qfloor = [], [], []
            for r in sorted(rounds):
                got = {v: clean(r, v, kind) for v in ('l1', 'armpass', 'qemu')}
                for v, smp in got.items():
                    if smp:
                        tpr[v].append(smp['t_us'])
                a, l, q = got['armpass'], got['l1'], got['qemu']
                if a and l:
                    floor.append(a['t_us'] / l['t_us'])
                if a and q:
                    peer.append(a['t_us'] / q['t_us'])
                if q and l:
                    qfloor.append(q['t_us'] / l['t_us'])
            for r in sorted(rounds):
                for v in ('l1', 'armpass', 'qemu'):
                    e = rounds[r].get(v)
                    res = None
                    if e and e.get('run'):
                        res = blk_results(e['run']).get(kind)
                    elif e and v == 'l1':
                        res = next((rec['result'] for rec in records if rec.get('part') == 'pci-blk'
                                    and rec.get('vmm') == 'l1' and rec.get('mode') == mode
                                    and rec.get('round', 0) == r and blk_kind(rec['result']) == kind), None)
                    if res and clean(r, v, kind):
                        p50[v].append(res['lat_us']['p50'])
            k = 'pci_%s_%s' % (mode.replace('-', '_'), kind)
            F.add(S, k + '_l1', label + ', time per read, L1 on the bare device', 'us', tpr['l1'])
            F.add(S, k + '_armpass', label + ', time per read, L2 under armpass', 'us', tpr['armpass'])
            F.add(S, k + '_qemu', label + ', time per read, L2 under QEMU', 'us', tpr['qemu'])
            if kind == 'qd1':
                F.add(S, k + '_p50_l1', '  median read latency, L1', 'us', p50['l1'])
                F.add(S, k + '_p50_armpass', '  median read latency, L2 under armpass', 'us', p50['armpass'])
                F.add(S, k + '_p50_qemu', '  median read latency, L2 under QEMU', 'us', p50['qemu'])
            short = '%s, %s' % (MODE_SHORT.get(mode, mode), BLK_KIND_NAMES[kind])
            # (the fallback is measured for what it costs, against its peer's: no floor target)
            F.add(S, k + '_floor', '  %s, time per read: L2 under armpass / L1 on the bare device' % short, 'ratio',
                  floor, target=None if mode == 'intx-off' else 1.10, baseline='L1, same round')
            F.add(S, k + '_qfloor', '  %s, time per read: L2 under QEMU / L1 (what the peer reaches)' % short,
                  'ratio', qfloor)
            f = F.add(S, k + '_peer', '  %s, time per read: armpass / QEMU' % short, 'ratio', peer, target=1.0,
                      baseline='QEMU, same round')
            f['verdict'] = verdict(tpr['armpass'], tpr['qemu'], peer)
        # The interrupt path: wake-ups over the whole run; KVM's exits over the QD1 test's fixed
        # work (direct counts), per interrupt.
        wake, ints_per_read = [], {'l1': [], 'armpass': [], 'qemu': []}
        exits = {'armpass': [], 'qemu': []}
        uexits = {'armpass': [], 'qemu': []}
        eratio = []
        for r in sorted(rounds):
            for v in ('l1', 'armpass', 'qemu'):
                smps = [clean(r, v, kind) for kind in BLK_KINDS]
                smps = [x for x in smps if x]
                n = sum(x['irqs'] for x in smps)
                reads = sum(x['reads'] for x in smps)
                if reads:
                    ints_per_read[v].append(n / reads)
                    entries_per_read.setdefault(mode, {}).setdefault(r, {})[v] = n / reads
            got = {}
            for v in ('armpass', 'qemu'):
                smp = clean(r, v, 'qd1')
                if smp and smp.get('exits') and smp['irqs']:
                    got[v] = smp['exits']['all'] / smp['irqs']
                    exits[v].append(got[v])
                    uexits[v].append(smp['exits']['mmio_user'] / smp['irqs'])
                run = runs_of(r).get(v)
                if v == 'armpass' and run:
                    st = armpass_stats(run).get('pci_irqs', {})
                    res = blk_results(run)
                    last = res.get('seq') or res.get('qd32') or res.get('qd1')
                    if st and last and last.get('irqs_total'):
                        wake.append(sum(x[1] for x in st.values()) / last['irqs_total'])
            if 'armpass' in got and 'qemu' in got and got['qemu']:
                eratio.append(got['armpass'] / got['qemu'])
        k = 'pci_%s' % mode.replace('-', '_')
        ml = MODE_SHORT.get(mode, mode)
        fallback = mode == 'intx-off'
        F.add(S, k + '_wakeups', '%s: armpass userspace wake-ups per interrupt (-d stats, per vector / L2\'s count)' % ml,
              'wake-ups/irq', wake, target=None if fallback else 0, cmp='eq')
        if fallback:
            comps = []
            for r in sorted(rounds):
                run = runs_of(r).get('armpass')
                res = blk_results(run) if run else {}
                last = res.get('seq') or res.get('qd32') or res.get('qd1')
                c = armpass_stats(run).get('completions', {}) if run else {}
                if c and last and last.get('irqs_total'):
                    comps.append(sum(c.values()) / last['irqs_total'])
            F.add(S, k + '_completions', '%s: armpass interrupts completed by a trapped access, per interrupt (-d stats)' % ml,
                  'completions/irq', comps)
            for what, label in (('backstops', 'completed by the backstop'),
                                ('stale', 'stale signals dropped (Interrupt Status clear)')):
                vals = []
                for r in sorted(rounds):
                    run = runs_of(r).get('armpass')
                    res = blk_results(run) if run else {}
                    last = res.get('seq') or res.get('qd32') or res.get('qd1')
                    c = armpass_stats(run).get(what, {}) if run else {}
                    if c and last and last.get('irqs_total'):
                        vals.append(sum(c.values()) / last['irqs_total'])
                F.add(S, k + '_' + what, '%s: armpass interrupts %s, per interrupt (-d stats)' % (ml, label),
                      'per irq', vals)
        F.add(S, k + '_exits_armpass', '%s: KVM exits per interrupt over the QD1 reads, armpass (direct count, KVM debugfs)' % ml,
              'exits/irq', exits['armpass'])
        F.add(S, k + '_exits_qemu', '%s: KVM exits per interrupt over the QD1 reads, QEMU (the same counters)' % ml,
              'exits/irq', exits['qemu'])
        f = F.add(S, k + '_exits_ratio', '  %s: KVM exits per interrupt: armpass / QEMU' % ml, 'ratio', eratio,
                  baseline='QEMU, same round')
        f['verdict'] = verdict(exits['armpass'], exits['qemu'], eratio)
        F.add(S, k + '_uexits_armpass', 'MMIO exits to the VMM per interrupt over the QD1 reads, armpass', 'exits/irq',
              uexits['armpass'])
        F.add(S, k + '_uexits_qemu', 'MMIO exits to the VMM per interrupt over the QD1 reads, QEMU', 'exits/irq',
              uexits['qemu'])
        for v, name in (('l1', 'L1'), ('armpass', 'L2 under armpass'), ('qemu', 'L2 under QEMU')):
            F.add(S, '%s_irq_per_read_%s' % (k, v), 'interrupts per read, %s (the three tests)' % name, 'irqs/read',
                  ints_per_read[v])
        a_s, q_s, ratio = [], [], []
        for r in sorted(rounds):
            t = {v: run['markers_s']['ARMPASS-L2-UP'] for v, run in runs_of(r).items()}
            if 'armpass' in t:
                a_s.append(t['armpass'])
            if 'qemu' in t:
                q_s.append(t['qemu'])
            if 'armpass' in t and 'qemu' in t:
                ratio.append(t['armpass'] / t['qemu'])
        F.add(S, k + '_boot_armpass', 'start -> L2 marker with %s, armpass (256 MiB, 2 vCPUs)' % dname, 's', a_s)
        F.add(S, k + '_boot_qemu', 'start -> L2 marker with %s, QEMU' % dname, 's', q_s)
        F.add(S, k + '_boot_ratio', '  %s: start -> L2 marker with %s: armpass / QEMU' % (ml, dname), 'ratio', ratio,
              target=None if fallback else 0.5, baseline='QEMU, same round')
        if fallback:
            # The fallback's handler entries against the irqfd path's: L2's interrupts per read
            # on INTx x-irqfd=off over those on INTx with the irqfd, same round, same VMM.
            base = entries_per_read.get('intx', {})
            for v, name in (('armpass', 'armpass (x-irqfd=off)'), ('qemu', 'QEMU (x-no-kvm-intx=on)')):
                F.add(S, '%s_entries_ratio_%s' % (k, v),
                      '  handler entries per read, INTx fallback / INTx irqfd, %s' % name, 'ratio',
                      [e[v] / base[r][v] for r, e in sorted(entries_per_read.get(mode, {}).items())
                       if v in e and base.get(r, {}).get(v)], baseline='INTx with the irqfd, same round')

    # The DMA map of guest RAM: first-instruction time with the device minus without.
    S = '6. PCI passthrough: DMA map of guest RAM at start (first-instruction probe, with - without the NVMe)'
    rows = []
    dma = [r for r in records if r.get('part') == 'pci-dma' and ok(r['run'], '@')]
    if not dma:
        return rows
    first = {}
    own = {}
    for rec in dma:
        first[(rec['round'], rec['vmm'], rec['ram_mib'], rec['dev'])] = rec['run']['markers_s']['@']
        if rec['vmm'] == 'armpass' and rec['dev'] == 1:
            d = armpass_stats(rec['run']).get('dma')
            if d and d['bytes']:
                own.setdefault(rec['ram_mib'], []).append(d)
    delta = {}      # (round, vmm) -> [(GiB, ms)]
    for (r, v, ram, dev), t in first.items():
        if dev == 1 and (r, v, ram, 0) in first:
            delta.setdefault((r, v), []).append((ram / 1024, (t - first[(r, v, ram, 0)]) * 1000))
    slopes = {'armpass': {}, 'qemu': {}}
    for (r, v), pts in delta.items():
        sl = fit_slope(pts)
        if sl is not None:
            slopes.setdefault(v, {})[r] = sl
    F.add(S, 'dma_slope_armpass', 'device cost growth with guest RAM, armpass (least squares over the RAM sizes)',
          'ms/GiB', list(slopes['armpass'].values()))
    F.add(S, 'dma_slope_qemu', 'device cost growth with guest RAM, QEMU', 'ms/GiB', list(slopes['qemu'].values()))
    F.add(S, 'dma_slope_ratio', '  DMA map per GiB: armpass / QEMU', 'ratio',
          [slopes['armpass'][r] / slopes['qemu'][r] for r in slopes['armpass']
           if r in slopes['qemu'] and slopes['qemu'][r] > 0], target=1.0, baseline='QEMU, same round')
    all_own = [d for v in own.values() for d in v]
    F.add(S, 'dma_own', "armpass's own time in VFIO_IOMMU_MAP_DMA per GiB (-d stats), all sizes", 'ms/GiB',
          [d['us'] / 1000 / (d['bytes'] / 2**30) for d in all_own])
    for ram in sorted({k[2] for k in first}):
        row = {'ram_mib': ram}
        for v in ('armpass', 'qemu'):
            row[v] = median([ms for (r, vv), pts in delta.items() if vv == v for g, ms in pts if g == ram / 1024])
            row[v + '_all'] = [ms for (r, vv), pts in delta.items() if vv == v for g, ms in pts if g == ram / 1024]
            row[v + '_first'] = median([t * 1000 for (r, vv, rm, dv), t in first.items()
                                        if vv == v and rm == ram and dv == 0])
        row['own_ms'] = median([d['us'] / 1000 for d in own.get(ram, [])])
        rows.append(row)
    return rows


# --- 7. DMA platform devices passed through to a direct-mapped guest (passed-virtio) -----------

PV_MARK_BEGIN = '<!-- passed-virtio: scripts/bench.sh writes from here -->'
PV_MARK_END = '<!-- passed-virtio: to here -->'
PV_SECTION = '7. DMA platform devices passed through to a direct-mapped L2 (virtio-mmio, vfio-platform), against L1\'s own drivers'
PV_NET_TESTS = (('rx', 'TCP receive (the host\'s peer sends)'), ('tx', 'TCP send (to the host\'s peer)'),
                ('rtt', 'TCP round trip of 1 byte'))
PV_BLK_TESTS = (('qd1', '4 KiB random reads, queue depth 1'), ('seq', '1 MiB sequential reads'))
PV_THROUGHPUT_TARGET = 0.9      # L2 / L1, throughput (the issue's target for the NIC)


def net_results(run):
    """The BENCH-NET results an L2 run printed, by test: 'rx', 'tx', 'rtt'."""
    out = {}
    for g in run.get('grabbed', []) if run else []:
        if g.startswith('BENCH-NET {'):
            try:
                res = json.loads(g[len('BENCH-NET '):])
            except ValueError:
                continue
            out[res.get('test')] = res
    return out


def pv_samples(records):
    """The passed-virtio records by round: {round: {'l1': {test: result}, 'armpass': run}}, the
    block samples (blk_samples' group 'blk', storms marked) and the part's environment."""
    rounds = {}
    for rec in records:
        if rec.get('part') != 'passed-virtio':
            continue
        e = rounds.setdefault(rec.get('round', 0), {'l1': {}, 'armpass': None})
        if rec.get('vmm') == 'l1' and rec.get('dev') == 'net':
            res = rec.get('result') or {}
            e['l1'][res.get('test')] = res
        elif rec.get('vmm') == 'armpass':
            run = rec.get('run')
            if run and (run.get('markers_s') or {}).get('ARMPASS-L2-UP') is not None:
                e['armpass'] = run
    blk = blk_samples(records, 'passed-virtio',
                      lambda r: 'blk' if r.get('dev') == 'blk' or r.get('vmm') == 'armpass' else None)
    mark_storms(blk)
    env = next((r for r in records if r.get('part') == 'passed-virtio-env'), {})
    return rounds, blk.get('blk', {}), env


def pv_net_exits(run, test):
    """KVM's exits of the VM by reason over one network test's window, less the empty window's
    (what a window costs by itself), and the NIC's interrupts in it: (counts, irqs) or None."""
    w = run.get('windows') or {}
    raw = window_counts(w.get('net-' + test))
    res = net_results(run).get(test)
    if not raw or not res or not res.get('irqs'):
        return None
    empty = window_counts(w.get('empty'))
    if empty:
        raw = {k: raw[k] - empty.get(k, 0) for k in raw}
    return raw, res['irqs']


def pv_device_stats(run, env, dev):
    """armpass's -d stats for one passed device: (userspace wake-ups, trapped accesses) or None."""
    st = armpass_stats(run)
    name = env.get(dev)
    irq = next((v for k, v in st['irqs'].items() if name and k.startswith(name + '/')), None)
    reg = [v for k, v in st['regions'].items() if name and k.startswith(name + '/')]
    if irq is None:
        return None
    return irq[1], sum(r + w for r, w in reg), irq[0]


def passed_virtio(records, ref=None, ref_floor=None):
    """Section 7's figures (a Figures of their own) and the rows of its exits table; None when the
    records hold no passed-virtio sample. ref: the passed NVMe's KVM exits per interrupt over its
    QD1 reads under armpass (MSI-X through an irqfd), a Figures item, for the comparison;
    ref_floor: its QD1 time per read under armpass / L1's (section 6), shown as throughput."""
    rounds, blk, env = pv_samples(records)
    if not rounds:
        return None
    F = Figures()
    S = PV_SECTION

    def clean(r, side, kind):
        e = blk.get(r, {}).get(side)
        smp = e['kinds'].get(kind) if e else None
        return smp if smp and not smp.get('storm') else None

    # the disk: L2 / L1 per round, as throughput (L1's time per read over L2's)
    for kind, label in PV_BLK_TESTS:
        t = {'l1': [], 'armpass': []}
        ratio = []
        for r in sorted(blk):
            got = {s: clean(r, s, kind) for s in ('l1', 'armpass')}
            for s, smp in got.items():
                if smp:
                    t[s].append(smp['t_us'])
            if got['l1'] and got['armpass']:
                ratio.append(got['l1']['t_us'] / got['armpass']['t_us'])
        F.add(S, 'pv_blk_%s_l1' % kind, 'virtio-blk, %s: time per read, L1\'s virtio_blk' % label, 'us', t['l1'])
        F.add(S, 'pv_blk_%s_l2' % kind, 'virtio-blk, %s: time per read, L2 (passed through)' % label, 'us', t['armpass'])
        F.add(S, 'pv_blk_%s_ratio' % kind, '  virtio-blk, %s: throughput L2 / L1' % label, 'ratio', ratio,
              baseline='L1, same round')
    # the NIC
    for test, label in PV_NET_TESTS:
        key = 'mbit_s' if test != 'rtt' else None
        v = {'l1': [], 'armpass': []}
        ratio = []
        for r in sorted(rounds):
            a = net_results(rounds[r]['armpass']).get(test) if rounds[r]['armpass'] else None
            l = rounds[r]['l1'].get(test)
            x = {}
            for s, res in (('l1', l), ('armpass', a)):
                if res:
                    x[s] = res[key] if key else res['rtt_us']['p50']
                    v[s].append(x[s])
            if 'l1' in x and 'armpass' in x and x['armpass'] > 0:
                ratio.append(x['armpass'] / x['l1'])
        if key:
            F.add(S, 'pv_net_%s_l1' % test, 'virtio-net, %s: L1\'s virtio_net' % label, 'Mbit/s', v['l1'])
            F.add(S, 'pv_net_%s_l2' % test, 'virtio-net, %s: L2 (passed through)' % label, 'Mbit/s', v['armpass'])
            F.add(S, 'pv_net_%s_ratio' % test, '  virtio-net, %s: throughput L2 / L1' % label, 'ratio', ratio,
                  target=PV_THROUGHPUT_TARGET, cmp='ge', baseline='L1, same round')
        else:
            F.add(S, 'pv_net_rtt_l1', 'virtio-net, %s: median, L1\'s virtio_net' % label, 'us', v['l1'])
            F.add(S, 'pv_net_rtt_l2', 'virtio-net, %s: median, L2 (passed through)' % label, 'us', v['armpass'])
            F.add(S, 'pv_net_rtt_ratio', '  virtio-net, %s: L2 / L1 (lower is better)' % label, 'ratio', ratio,
                  baseline='L1, same round')
    # the interrupt path: armpass's userspace wake-ups and trapped register accesses per
    # interrupt (-d stats over the whole run / the interrupts L2 counted on the device's line)
    wake = {'blk': [], 'net': []}
    traps = {'blk': [], 'net': []}
    paths = set()
    for r in sorted(rounds):
        run = rounds[r]['armpass']
        if not run:
            continue
        last = {'net': net_results(run).get('rtt') or net_results(run).get('tx') or net_results(run).get('rx'),
                'blk': blk_results(run).get('seq') or blk_results(run).get('qd1')}
        for dev in ('blk', 'net'):
            st = pv_device_stats(run, env, dev)
            n = (last[dev] or {}).get('irqs_total')
            if st and n:
                wake[dev].append(st[0] / n)
                traps[dev].append(st[1] / n)
                paths.add(st[2])
    for dev, name in (('net', 'virtio-net'), ('blk', 'virtio-blk')):
        F.add(S, 'pv_%s_wakeups' % dev, '%s: armpass userspace wake-ups per interrupt (-d stats / L2\'s count)' % name,
              'wake-ups/irq', wake[dev], target=0, cmp='eq')
    # KVM's exits per interrupt, direct counts over a fixed amount of work (the empty window
    # taken off): by reason, for each network test and the disk's QD1 reads
    rows = []
    for what, label, get in [('net-' + t, 'virtio-net, ' + lab, (lambda run, t=t: pv_net_exits(run, t)))
                             for t, lab in PV_NET_TESTS] + [
            ('blk-qd1', 'virtio-blk, 4 KiB QD1 reads', None)]:
        per = {k: [] for k, _, _ in EXIT_REASONS}
        ipu = []
        for r in sorted(rounds):
            if get:
                run = rounds[r]['armpass']
                got = get(run) if run else None
            else:
                smp = clean(r, 'armpass', 'qd1')
                got = (smp['exits'], smp['irqs']) if smp and smp.get('exits') and smp['irqs'] else None
                if smp and smp['reads']:
                    ipu.append(smp['irqs'] / smp['reads'])
            if not got:
                continue
            counts, irqs = got
            for k, _, _ in EXIT_REASONS:
                per[k].append(counts[k] / irqs)
        rows.append({'what': what, 'label': label, 'per': per})
    q = next((row for row in rows if row['what'] == 'blk-qd1'), None)
    ref_med = ref['median'] if ref and ref.get('n') else None
    F.add(S, 'pv_blk_qd1_exits', 'virtio-blk: KVM exits per interrupt over the QD1 reads (direct count, KVM debugfs)',
          'exits/irq', q['per']['all'] if q else [], target=ref_med,
          baseline='the passed NVMe\'s, MSI-X irqfd path, QD1 reads' if ref_med is not None else None)
    rx = next(row for row in rows if row['what'] == 'net-rx')
    F.add(S, 'pv_net_rx_exits', 'virtio-net: KVM exits per interrupt over the TCP receive (direct count)',
          'exits/irq', rx['per']['all'], target=ref_med,
          baseline='the passed NVMe\'s, MSI-X irqfd path, QD1 reads' if ref_med is not None else None)
    for dev, name, row in (('net', 'virtio-net', rx), ('blk', 'virtio-blk', q)):
        F.add(S, 'pv_%s_uexits' % dev, '%s: MMIO exits to armpass per interrupt (%s; direct count)' % (
            name, 'TCP receive' if dev == 'net' else 'QD1 reads'), 'exits/irq', row['per']['mmio_user'] if row else [])
        F.add(S, 'pv_%s_traps' % dev, '%s: armpass trapped register accesses per interrupt, whole run (-d stats)' % name,
              'accesses/irq', traps[dev])
    if ref_floor and ref_floor.get('n'):
        F.add(S, 'pv_ref_nvme_qd1', 'reference: the passed NVMe (BAR mapped, MSI-X irqfds), 4 KiB QD1 reads: '
              'throughput L2 / L1 (section 6)', 'ratio', [1 / x for x in ref_floor['samples'] if x],
              baseline='L1, same round')
    return {'F': F, 'rows': rows, 'env': env, 'rounds': len(rounds), 'paths': sorted(paths), 'ref': ref}


def passed_virtio_markdown(pv, meta):
    """Section 7's tables and its verdict, for docs/performance.md."""
    F, env = pv['F'], pv['env']
    l1 = meta.get('l1', {})
    out = ['### ' + PV_SECTION, '',
           '%s, commit `%s`%s: %d rounds, L1 on Linux %s (%s CPUs), L2 with %s MiB of guest RAM at '
           'guest-physical = L1-physical (`-M virt,direct-map=on`, a 1 GiB hugetlb page), 2 vCPUs; %s 4 KiB '
           'reads, %s 1 MiB reads, %s bytes each way, %s round trips a round. Devices in L1: `%s` (block), `%s` '
           '(network); their interrupts in L2: %s.' % (
               meta.get('date', '?')[:16], (meta.get('commit') or '?')[:12],
               ' (quick)' if l1.get('quick') else '', pv['rounds'], l1.get('l1_kernel', '?'),
               l1.get('l1_nproc', '?'), env.get('ram_mib', '?'), env.get('qd1', '?'), env.get('seq', '?'),
               env.get('net_bytes', '?'), env.get('pings', '?'), env.get('blk', '?'), env.get('net', '?'),
               ', '.join(pv['paths']) or '?'), '',
           '| figure | unit | min | median | max | n | target |', '|---|---|---:|---:|---:|---:|---|']
    out += [figure_row(f) for f in F.items]
    out += ['', 'KVM exits of L2\'s VM per interrupt of the device, by reason (L1\'s debugfs, counted from right '
            'before the test\'s first byte or read to right after its last, less a window without work; '
            'medians, min–max, over the rounds):', '',
            '| test | ' + ' | '.join(name for _, _, name in EXIT_REASONS) + ' |',
            '|---|' + '---:|' * len(EXIT_REASONS)]
    for row in pv['rows']:
        out.append('| %s | %s |' % (row['label'], ' | '.join(mmm(row['per'][k], 'count') for k, _, _ in EXIT_REASONS)))
    if pv.get('ref') and pv['ref'].get('n'):
        out += ['', 'The reference, from %s (section 6): the passed NVMe\'s KVM exits per interrupt over its QD1 '
                'reads under armpass, MSI-X through an irqfd: %s (%d rounds).' % (
                    pv.get('ref_source', 'the PCI part of the same run'), mmm(pv['ref']['samples'], 'count'),
                    pv['ref']['n'])]
    def med(key):
        f = F.get(key)
        return fmt(f['median'], f['unit']) if f and f.get('n') else '–'

    out += ['', '#### In plain words', '',
            'L2 reaches %s of L1\'s TCP receive throughput and %s of its send (target 0.9 each), and its one-byte '
            'round trips take %s times L1\'s; its 4 KiB QD1 reads reach %s of L1\'s throughput and its 1 MiB reads %s%s. '
            'No interrupt of either device wakes armpass (%s and %s wake-ups per interrupt, NIC and disk: irqfds), but '
            'every register access is trapped (%s and %s per interrupt: the transports\' regions cannot be mapped), and '
            'L2\'s VM takes %s KVM exits per interrupt over the disk\'s QD1 reads%s.' % (
                med('pv_net_rx_ratio'), med('pv_net_tx_ratio'), med('pv_net_rtt_ratio'), med('pv_blk_qd1_ratio'),
                med('pv_blk_seq_ratio'),
                ' (the passed NVMe, mapped and on irqfds: %s on its QD1 reads)' % med('pv_ref_nvme_qd1')
                if F.get('pv_ref_nvme_qd1') else '',
                med('pv_net_wakeups'), med('pv_blk_wakeups'), med('pv_net_traps'), med('pv_blk_traps'),
                med('pv_blk_qd1_exits'),
                ' against the passed NVMe\'s %s' % fmt(pv['ref']['median'], 'count')
                if pv.get('ref') and pv['ref'].get('n') else ''),
            '', '#### Where a target is missed, and why', '', shortfalls(F)]
    return '\n'.join(out) + '\n'

DMA_BACKENDS = ('type1v2', 'iommufd')
DMA_MARK_BEGIN = '<!-- dma-backends: scripts/bench.sh --dma writes from here -->'
DMA_MARK_END = '<!-- dma-backends: to here -->'


def dma_backends(records):
    """The "dma-backend" part (scripts/bench.sh --dma): per RAM size, armpass's own time in the
    DMA map of guest RAM at start through each VFIO backend (-d stats), the per-round ratio
    iommufd / type1v2, and start -> first instruction. Returns (rows, summary)."""
    own = {}        # (round, backend, ram) -> stats dma dict
    first = {}      # (round, backend, ram) -> seconds to the first instruction
    for rec in records:
        if rec.get('part') != 'dma-backend' or not ok(rec['run'], '@'):
            continue
        key = (rec['round'], rec['backend'], rec['ram_mib'])
        first[key] = rec['run']['markers_s']['@']
        d = armpass_stats(rec['run']).get('dma')
        if d and d['bytes']:
            own[key] = d
    rows = []
    for ram in sorted({k[2] for k in own}):
        row = {'ram_mib': ram}
        for b in DMA_BACKENDS:
            ds = [d for (r, bb, rm), d in own.items() if bb == b and rm == ram]
            row[b] = {
                'ms': median([d['us'] / 1000 for d in ds]),
                'ms_all': [d['us'] / 1000 for d in ds],
                'ms_per_gib': median([d['us'] / 1000 / (d['bytes'] / 2**30) for d in ds]),
                'maps': median([d['maps'] for d in ds]),
                'bytes': median([d['bytes'] for d in ds]),
                'named': sorted({str(d.get('backend')) for d in ds}),
                'first_ms': median([t * 1000 for (r, bb, rm), t in first.items() if bb == b and rm == ram]),
                'n': len(ds),
            }
        ratios = [own[(r, 'iommufd', ram)]['us'] / own[(r, 'type1v2', ram)]['us']
                  for (r, bb, rm) in own if bb == 'type1v2' and rm == ram
                  and (r, 'iommufd', ram) in own and own[(r, 'type1v2', ram)]['us'] > 0]
        row['ratio'] = median(ratios)
        row['ratio_min'] = min(ratios) if ratios else None
        row['ratio_max'] = max(ratios) if ratios else None
        rows.append(row)
    # Growth with RAM: a least-squares slope per round and backend (ms per GiB), and its ratio.
    slopes = {b: {} for b in DMA_BACKENDS}
    for b in DMA_BACKENDS:
        for r in sorted({k[0] for k in own}):
            pts = [(rm / 1024, d['us'] / 1000) for (rr, bb, rm), d in own.items() if rr == r and bb == b]
            sl = fit_slope(pts) if len(pts) >= 2 else None
            if sl is not None:
                slopes[b][r] = sl
    sr = [slopes['iommufd'][r] / slopes['type1v2'][r] for r in slopes['type1v2']
          if r in slopes['iommufd'] and slopes['type1v2'][r] > 0]
    summary = {b: median(list(slopes[b].values())) for b in DMA_BACKENDS}
    summary['slope_ratio'] = median(sr)
    summary['slope_ratio_all'] = sr
    return rows, summary


def dma_backends_markdown(rows, summary, meta):
    """The dma-backend table, for results-dma.md and docs/performance.md."""
    def f(v, nd=1):
        return '-' if v is None else ('%.*f' % (nd, v))
    env = meta.get('l1', {})
    out = ['### DMA map of guest RAM at start: legacy type1v2 against iommufd', '',
           '%s, commit `%s`, `scripts/bench.sh --dma`%s: L1 on Linux %s, L0\'s NVMe through vfio-pci, '
           'armpass alone, the first-instruction probe as the guest; %s rounds, each backend once per RAM size and '
           'round, their order alternating. Times are armpass\'s own, in `VFIO_IOMMU_MAP_DMA` (type1v2) or '
           '`IOMMU_IOAS_MAP` (iommufd), from its `-d stats` line `vfio BDF dma (BACKEND): N mappings, X bytes in Y us`; '
           'medians; the ratio is the median of the per-round ratios iommufd / type1v2 (min-max), '
           'measured in the same run. Figures, not pass/fail.' % (
               meta.get('date', '?')[:16], (meta.get('commit') or '?')[:12],
               ' (quick)' if env.get('quick') else '', env.get('l1_kernel', '?'),
               max([r['type1v2']['n'] for r in rows] + [0])),
           '',
           '| guest RAM | type1v2 (ms) | iommufd (ms) | type1v2 (ms/GiB) | iommufd (ms/GiB) | iommufd / type1v2 | '
           'mappings type1v2 / iommufd | start -> first instruction, type1v2 / iommufd (ms) | runs |',
           '|---:|---:|---:|---:|---:|---:|---:|---:|---:|']
    for r in rows:
        t, i = r['type1v2'], r['iommufd']
        out.append('| %d MiB | %s | %s | %s | %s | %s (%s-%s) | %s / %s | %s / %s | %d / %d |' % (
            r['ram_mib'], f(t['ms']), f(i['ms']), f(t['ms_per_gib']), f(i['ms_per_gib']),
            f(r['ratio'], 3), f(r['ratio_min'], 3), f(r['ratio_max'], 3),
            f(t['maps'], 0), f(i['maps'], 0), f(t['first_ms']), f(i['first_ms']), t['n'], i['n']))
    out += ['', 'Growth with guest RAM (least squares over the sizes, per round; medians): type1v2 %s ms/GiB, '
            'iommufd %s ms/GiB, iommufd / type1v2 %s.' % (
                f(summary.get('type1v2')), f(summary.get('iommufd')), f(summary.get('slope_ratio'), 3))]
    return '\n'.join(out) + '\n'


DMA_BACKINGS = ('4k', 'thp', 'hugetlb-2m', 'hugetlb-1g')
DMA_BACKING_NAMES = {'4k': '4 KiB pages', 'thp': 'THP', 'hugetlb-2m': 'hugetlb 2 MiB', 'hugetlb-1g': 'hugetlb 1 GiB'}
# Each backing as it is, and with guest RAM faulted in before the map ("+prealloc").
DMA_CONFIGS = DMA_BACKINGS + tuple(b + '+prealloc' for b in DMA_BACKINGS)
DMA_SIDES = (('armpass', 'type1v2'), ('armpass', 'iommufd'), ('qemu', 'type1v2'))
DMA_SIDE_NAMES = {('armpass', 'type1v2'): 'armpass, type1v2', ('armpass', 'iommufd'): 'armpass, iommufd',
                  ('qemu', 'type1v2'): 'QEMU, type1v2'}
DMA_HUGE_TARGET = 0.2       # a huge-page backing's map per GiB over the 4 KiB one's, same round
DMA_QEMU_TARGET = 1.0       # armpass / QEMU, same backing, same round


def dma_config_name(c):
    b, _, pre = c.partition('+')
    return DMA_BACKING_NAMES[b] + (', preallocated' if pre else '')


def dma_backing_samples(records):
    """The "dma-backing" part (scripts/bench.sh --dma): one dict per run that ended well, keyed
    (round, vmm, vfio, config): the map time per GiB by armpass's own clock (-d stats) and by
    strace -T (both VMMs), the preallocation's, the mappings, and what backed guest RAM."""
    out = {}
    for rec in records:
        if rec.get('part') != 'dma-backing' or not ok(rec['run'], '@'):
            continue
        ram_kib = rec['ram_mib'] * 1024
        gib = rec['ram_mib'] / 1024
        s = {'thp_alloc': rec.get('thp_fault_alloc'), 'thp_fallback': rec.get('thp_fault_fallback'),
             'thp_mode': rec.get('thp_mode')}
        if rec.get('thp_fault_alloc') is not None:
            s['thp_share'] = rec['thp_fault_alloc'] * 2048 / ram_kib
        st = rec.get('strace')
        if st and st.get('maps'):
            s['strace'] = st['s'] * 1000 / gib
            s['strace_maps'], s['strace_failed'] = st['maps'], st.get('failed', 0)
        if st and st.get('populate'):
            s['populate'] = st['populate_s'] * 1000 / gib
        if rec['vmm'] == 'armpass':
            a = armpass_stats(rec['run'])
            d = a.get('dma')
            if d and d['bytes']:
                s['own'] = d['us'] / 1000 / (d['bytes'] / 2**30)
                s['maps'] = d['maps']
            for line in rec['run'].get('stats', []):
                m = re.search(r'guest RAM huge pages: (-?\d+) KiB of (-?\d+) KiB', line)
                if m:
                    s['huge_share'] = int(m.group(1)) / ram_kib
                m = re.search(r'guest RAM prealloc: ([\d.]+) ms', line)
                if m:
                    s['own_prealloc'] = float(m.group(1)) / gib
                m = re.search(r'guest RAM: (.*)', line)
                if m and 'huge pages' not in line and 'prealloc' not in line:
                    s['described'] = m.group(1).strip()
        elif 'strace_maps' in s:
            s['maps'] = s['strace_maps']
        cfg = rec['backing'] + ('+prealloc' if rec.get('prealloc') else '')
        out[(rec['round'], rec['vmm'], rec['vfio'], cfg)] = s
    return out


def dma_backings(records):
    """Figures of the dma-backing part: per configuration and side, the map time per GiB
    (armpass: its own clock and strace; QEMU: strace) and the preallocation's, and the
    per-round ratios (backing / 4 KiB, armpass / QEMU, iommufd / type1v2, armpass's own clock /
    strace). Returns (F, matrix)."""
    S = dma_backing_samples(records)
    rounds = sorted({k[0] for k in S})
    configs = [c for c in DMA_CONFIGS if any(k[3] == c for k in S)]
    F = Figures()

    def val(r, vmm, vfio, c, what):
        return S.get((r, vmm, vfio, c), {}).get(what)

    def own_or_strace(vmm):
        return 'own' if vmm == 'armpass' else 'strace'

    matrix = []
    for c in configs:
        name = dma_config_name(c)
        sec = 'map per GiB'
        row = {'config': c}
        for vmm, vfio in DMA_SIDES:
            side = DMA_SIDE_NAMES[(vmm, vfio)]
            if vmm == 'armpass':
                row[(vmm, vfio, 'own')] = F.add(sec, 'own_%s_%s' % (vfio, c), '%s: %s (-d stats)' % (name, side),
                                                'ms/GiB', [val(r, vmm, vfio, c, 'own') for r in rounds])
            row[(vmm, vfio, 'strace')] = F.add(sec, 'strace_%s_%s_%s' % (vmm, vfio, c),
                                               '%s: %s (strace -T)' % (name, side), 'ms/GiB',
                                               [val(r, vmm, vfio, c, 'strace') for r in rounds])
            runs = [S[k] for k in S if k[1:] == (vmm, vfio, c)]
            row[(vmm, vfio, 'n')] = len(runs)
            for w in ('maps', 'huge_share', 'thp_share', 'populate', 'own_prealloc'):
                row[(vmm, vfio, w)] = median([x[w] for x in runs if x.get(w) is not None])
            row[(vmm, vfio, 'described')] = next((x['described'] for x in runs if x.get('described')), None)
        matrix.append(row)

    sec = 'ratios, per round'
    for c in configs:
        b, _, pre = c.partition('+')
        base = '4k' + ('+prealloc' if pre else '')
        if b == '4k':
            continue
        for vmm, vfio in DMA_SIDES:
            w = own_or_strace(vmm)
            ratios = [val(r, vmm, vfio, c, w) / val(r, vmm, vfio, base, w) for r in rounds
                      if val(r, vmm, vfio, c, w) is not None and val(r, vmm, vfio, base, w)]
            F.add(sec, 'huge_%s_%s_%s' % (vmm, vfio, c),
                  '%s / %s: %s%s' % (dma_config_name(c), dma_config_name(base), DMA_SIDE_NAMES[(vmm, vfio)],
                                      ' (-d stats)' if w == 'own' else ' (strace -T)'),
                  'ratio', ratios, target=DMA_HUGE_TARGET if vmm == 'armpass' else None,
                  baseline='the 4 KiB figure, same side and round')
    for c in configs:
        ratios = [val(r, 'armpass', 'type1v2', c, 'strace') / val(r, 'qemu', 'type1v2', c, 'strace')
                  for r in rounds if val(r, 'armpass', 'type1v2', c, 'strace') is not None
                  and val(r, 'qemu', 'type1v2', c, 'strace')]
        F.add(sec, 'vsqemu_%s' % c, 'armpass / QEMU, %s: type1v2 (strace -T, both)' % dma_config_name(c),
              'ratio', ratios, target=DMA_QEMU_TARGET, baseline='QEMU, same configuration and round')
    for c in configs:
        ratios = [val(r, 'armpass', 'iommufd', c, 'own') / val(r, 'armpass', 'type1v2', c, 'own')
                  for r in rounds if val(r, 'armpass', 'iommufd', c, 'own') is not None
                  and val(r, 'armpass', 'type1v2', c, 'own')]
        F.add(sec, 'iommufd_%s' % c, 'iommufd / type1v2, armpass, %s (-d stats)' % dma_config_name(c),
              'ratio', ratios, baseline='type1v2, same configuration and round')
    for vfio in ('type1v2', 'iommufd'):
        ratios = [x['own'] / x['strace'] for k, x in S.items()
                  if k[1:3] == ('armpass', vfio) and x.get('own') is not None and x.get('strace')]
        F.add(sec, 'clock_%s' % vfio, "armpass's own clock / strace -T, %s, every run" % vfio, 'ratio', ratios)
    return F, matrix


def dma_backings_markdown(F, matrix, meta, host):
    """The dma-backing tables, for results-dma.md and docs/performance.md."""
    env = meta.get('l1', {})
    h = meta.get('host', {})

    def pct(v):
        return '–' if v is None else '%.0f%%' % (100 * v)

    def cell(f):
        if not f or not f['n']:
            return '–'
        return '%s (%s–%s)' % (fmt(f['median'], f['unit']), fmt(f['min'], f['unit']), fmt(f['max'], f['unit']))

    def num(v):
        return '–' if v is None else fmt(v, 'ms')

    nr = max([r[(v, b, 'n')] for r in matrix for v, b in DMA_SIDES] + [0])
    out = ['### DMA map of guest RAM at start: by backing and VFIO backend, armpass and QEMU', '',
           '%s, commit `%s`, `scripts/bench.sh --dma`%s, in %s: L1 on Linux %s (%s CPUs, %s MiB) with '
           'the pools `hugepages-1048576kB/nr_hugepages` = %s, `hugepages-2048kB/nr_hugepages` = %s and THP `%s` '
           '(`never` around the 4 KiB runs); L0\'s NVMe through vfio-pci; the first-instruction probe with '
           '%s MiB of guest RAM and one vCPU; %d rounds, in each every configuration once per side, armpass and '
           'QEMU alternating. QEMU: %s. Medians (min–max) in ms per GiB of guest RAM; the ratios are per round. '
           'armpass\'s own figure is its clock (`-d stats`: `vfio BDF dma (BACKEND): N mappings, X bytes in Y us`); '
           'armpass against QEMU is strace -T on both, the same instrument. "Preallocated": guest RAM faulted in '
           'before the map (`-mem-prealloc`, or `prealloc=on` on the `-object`), so that the map pins and maps '
           'only. Figures, not pass/fail.' % (
               meta.get('date', '?')[:16], (meta.get('commit') or '?')[:12],
               ' (quick)' if env.get('quick') else '',
               ('%d min %02d s' % (h['wall_s'] // 60, h['wall_s'] % 60)) if h.get('wall_s') else '?',
               env.get('l1_kernel', '?'), env.get('l1_nproc', '?'), (env.get('l1_mem_kib') or 0) // 1024,
               host.get('huge_1g_nr', '?'), host.get('huge_2m_nr', '?'), host.get('thp', '?'),
               host.get('ram_mib', '?'), nr, env.get('l1_qemu', '?')),
           '',
           '| guest RAM | armpass, type1v2 | armpass, iommufd | QEMU, type1v2 (strace -T) | armpass, type1v2 (strace -T) | '
           'prealloc, armpass / QEMU (strace -T) | huge pages under guest RAM: armpass / QEMU | mappings armpass / QEMU | runs |',
           '|---|---:|---:|---:|---:|---:|---:|---:|---:|']
    for row in matrix:
        c = row['config']
        qh = '(hugetlb)' if c.startswith('hugetlb') else pct(row[('qemu', 'type1v2', 'thp_share')])
        maps = [row[(v, 'type1v2', 'maps')] for v in ('armpass', 'qemu')]
        pre = '–'
        if c.endswith('+prealloc'):
            pre = '%s / %s' % (num(row[('armpass', 'type1v2', 'populate')]), num(row[('qemu', 'type1v2', 'populate')]))
        out.append('| %s | %s | %s | %s | %s | %s | %s / %s | %s | %d / %d / %d |' % (
            dma_config_name(c), cell(row[('armpass', 'type1v2', 'own')]), cell(row[('armpass', 'iommufd', 'own')]),
            cell(row[('qemu', 'type1v2', 'strace')]), cell(row[('armpass', 'type1v2', 'strace')]), pre,
            pct(row[('armpass', 'type1v2', 'huge_share')]), qh,
            ' / '.join('–' if m is None else '%g' % m for m in maps),
            row[('armpass', 'type1v2', 'n')], row[('armpass', 'iommufd', 'n')], row[('qemu', 'type1v2', 'n')]))
    out += ['', '(runs: armpass type1v2 / armpass iommufd / QEMU. Prealloc: each VMM\'s time in '
            '`madvise(MADV_POPULATE_WRITE)` by strace, ms per GiB. Huge pages: armpass\'s `guest RAM huge pages` '
            'stats line over its RAM; QEMU\'s THP share is L1\'s `thp_fault_alloc` (/proc/vmstat) over the run × 2 MiB '
            'over its RAM; a hugetlb backing is hugetlb by its `-object`, or the VMM fails to start.)', '',
            '| figure | unit | min | median | max | spread (max / min) | n | target |',
            '|---|---|---:|---:|---:|---:|---:|---|']
    section = None
    for f in F.items:
        if f['section'] != section and f['section'].startswith('ratios'):
            out.append('| **per-round ratios** | | | | | | | |')
        section = f['section']
        if not f['n']:
            out.append('| %s | %s | – | – | – | – | 0 | %s |' % (f['name'], f['unit'], target_text(f)))
            continue
        spread = (f['max'] / f['min']) if f['min'] and f['min'] > 0 else None
        out.append('| %s | %s | %s | %s | %s | %s | %d | %s |' % (
            f['name'], f['unit'], fmt(f['min'], f['unit']), fmt(f['median'], f['unit']), fmt(f['max'], f['unit']),
            '–' if spread is None else '%.2f' % spread, f['n'], target_text(f)))

    def count(pre):
        fs = [f for f in F.items if 'met' in f and (f['key'].endswith('+prealloc') == pre)]
        return sum(1 for f in fs if f['met']), len(fs), [f for f in fs if not f['met']]
    out.append('')
    for pre, what in ((False, 'the backings as they are'), (True, 'guest RAM preallocated')):
        met, n, missed = count(pre)
        if n:
            out.append('Targets, %s: %d of %d met (on the median: a huge-page backing ≤ %.1f × the 4 KiB figure, '
                       'armpass ≤ QEMU).%s' % (what, met, n, DMA_HUGE_TARGET, (' Not met: ' + '; '.join(
                           '%s (%s)' % (f['name'], fmt(f['median'], f['unit'])) for f in missed) + '.') if missed else ''))
            out.append('')
    return '\n'.join(out).rstrip('\n') + '\n'


BACKING_MARK_BEGIN = '<!-- backings: scripts/bench.sh --dma writes from here -->'
BACKING_MARK_END = '<!-- backings: to here -->'


def backing_start(records):
    """The backing-start part: per (round, vmm, backing, threads) the time to the first
    instruction with the NVMe (ms), armpass's own preallocation time (ms per GiB), and the
    share of guest RAM in huge pages."""
    out = {}
    for rec in records:
        if rec.get('part') != 'backing-start' or not ok(rec['run'], '@'):
            continue
        s = {'first_ms': rec['run']['markers_s']['@'] * 1000}
        gib = rec['ram_mib'] / 1024
        for line in rec['run'].get('stats', []):
            m = re.search(r'guest RAM prealloc: ([\d.]+) ms with (\d+) thread', line)
            if m:
                s['own_prealloc'] = float(m.group(1)) / gib
                s['own_threads'] = int(m.group(2))
        if rec.get('thp_fault_alloc') is not None:
            s['thp_share'] = rec['thp_fault_alloc'] * 2048 / (rec['ram_mib'] * 1024)
        out[(rec['round'], rec['vmm'], rec['backing'], rec['threads'])] = s
    return out


def backing_start_markdown(S, meta):
    if not S:
        return ''
    rounds = sorted({k[0] for k in S})
    backings = [b for b in DMA_BACKINGS if any(k[2] == b for k in S)]
    threads = sorted({k[3] for k in S})
    nthr = max(threads)

    def vals(vmm, b, t, what='first_ms'):
        return [S[(r, vmm, b, t)][what] for r in rounds if S.get((r, vmm, b, t), {}).get(what) is not None]

    def per_round(fa, fb):
        return [fa(r) / fb(r) for r in rounds if fa(r) is not None and fb(r)]

    def get(r, vmm, b, t, what='first_ms'):
        return S.get((r, vmm, b, t), {}).get(what)

    tname = {0: 'as it is'}
    out = ['### Start with the NVMe, and preallocation, by backing', '',
           '`scripts/bench.sh --dma` (its `start` part): the first-instruction probe with L0\'s NVMe through the legacy '
           'container, 1 GiB of guest RAM on each backing (`-object memory-backend-ram` or `-memfd`, the same words '
           'for both VMMs; 4 KiB pages: armpass `thp=off`, and L1\'s THP `never` for both), one vCPU, no strace; '
           'as it is, and with `prealloc=on,prealloc-threads=1` and `=%d` (L1 has %s CPUs). %d rounds, armpass and '
           'QEMU alternating. Medians (min–max) over the rounds; ratios per round.' % (
               nthr, meta.get('l1', {}).get('l1_nproc', '?'), len(rounds)),
           '',
           '| backing | guest RAM | start -> first instruction, armpass (ms) | QEMU (ms) | armpass / QEMU | '
           'armpass against QEMU |',
           '|---|---|---:|---:|---:|---|']
    for b in backings:
        for t in threads:
            a, q = vals('armpass', b, t), vals('qemu', b, t)
            rr = per_round(lambda r: get(r, 'armpass', b, t), lambda r: get(r, 'qemu', b, t))
            out.append('| %s | %s | %s | %s | %s | %s |' % (
                DMA_BACKING_NAMES[b], tname.get(t, 'preallocated, %d thread%s' % (t, '' if t == 1 else 's')),
                mmm(a, 'ms'), mmm(q, 'ms'), mmm(rr, 'ratio'), verdict(a, q, rr)[1]))
    out += ['', '| backing | armpass prealloc, 1 thread (ms/GiB) | %d threads (ms/GiB) | %d threads / 1 (per round) | '
            'first instruction, preallocated by %d threads / as it is: armpass | QEMU |' % (nthr, nthr, nthr),
            '|---|---:|---:|---:|---:|---:|']
    for b in backings:
        p1, pn = vals('armpass', b, 1, 'own_prealloc'), vals('armpass', b, nthr, 'own_prealloc')
        rr = per_round(lambda r: get(r, 'armpass', b, nthr, 'own_prealloc'),
                       lambda r: get(r, 'armpass', b, 1, 'own_prealloc'))
        fa = per_round(lambda r: get(r, 'armpass', b, nthr), lambda r: get(r, 'armpass', b, 0))
        fq = per_round(lambda r: get(r, 'qemu', b, nthr), lambda r: get(r, 'qemu', b, 0))
        out.append('| %s | %s | %s | %s | %s | %s |' % (
            DMA_BACKING_NAMES[b], mmm(p1, 'ms'), mmm(pn, 'ms'), mmm(rr, 'ratio'), mmm(fa, 'ratio'), mmm(fq, 'ratio')))
    out.append('')
    return '\n'.join(out) + '\n'


def backing_reads(records):
    """The backing-blk part as blk groups keyed by backing, each with L1's floor of its round."""
    groups = blk_samples(records, 'backing-blk', lambda r: r.get('backing'))
    l1 = groups.pop('l1', {})
    for b, rounds in groups.items():
        for r, e in l1.items():
            if 'l1' in e:
                rounds.setdefault(r, {})['l1'] = e['l1']
    mark_storms(groups)
    return groups


def backing_reads_markdown(groups, records, meta):
    if not groups:
        return '', ''
    backings = [b for b in DMA_BACKINGS if b in groups]
    cmps = {b: blk_compare(groups, b) for b in backings}
    # the huge pages under guest RAM at the L2 marker (bench-run's smaps sample: the DMA map has
    # pinned all of it by then)
    huge = {}
    for rec in records:
        if rec.get('part') == 'backing-blk' and rec.get('vmm') in ('armpass', 'qemu') and ok(rec['run']):
            s = rec['run'].get('at_sample') or {}
            if s.get('guest_vma_kib'):
                h = (s.get('guest_thp_kib') or 0) + (s.get('guest_hugetlb_kib') or 0)
                huge.setdefault((rec['backing'], rec['vmm']), []).append(h / (rec['ram_mib'] * 1024))

    def pct(v):
        return '–' if not v else '%.0f%%' % (100 * median(v))

    def rowfor(b, kind, what='time per read'):
        return next((x for x in cmps[b]['rows'] if x['kind'] == kind and x['what'] == what), None)

    rounds = max([c['rounds'] for c in cmps.values()] + [0])
    out = ['### NVMe reads from L2 by backing', '',
           '`scripts/bench.sh --dma` (its `reads` part): L2 with 1 GiB of guest RAM on each backing (as `start` gives '
           'it, not preallocated) and 2 vCPUs reads L0\'s NVMe through vfio-pci on MSI-X, as section 6 does (the same '
           '`bench-blk` tests, the same direct counts and storm rule); L1\'s own reads of the bare device once a round '
           'are the floor. %d rounds. Time per read: medians (min–max) of the per-round ratios. "This backing / 4 KiB": '
           'the same VMM\'s time per read on this backing over its time on 4 KiB pages in the same round.' % rounds, '',
           '| backing | test | armpass / L1 | QEMU / L1 | armpass / QEMU | armpass against QEMU | this backing / 4 KiB: '
           'armpass | QEMU | huge pages under guest RAM: armpass / QEMU | storms: armpass / QEMU |',
           '|---|---|---:|---:|---:|---|---:|---:|---:|---:|']
    base = groups.get('4k', {})
    for b in backings:
        st = cmps[b]['storms']
        for kind in BLK_KINDS:
            row = rowfor(b, kind)
            if not row:
                continue
            vs4 = {}
            for v in ('armpass', 'qemu'):
                rr = []
                for r in sorted(groups[b]):
                    x = (groups[b][r].get(v) or {}).get('kinds', {}).get(kind)
                    y = (base.get(r, {}).get(v) or {}).get('kinds', {}).get(kind)
                    if x and y and not x.get('storm') and not y.get('storm'):
                        rr.append(x['t_us'] / y['t_us'])
                vs4[v] = rr
            out.append('| %s | %s | %s | %s | %s | %s | %s | %s | %s / %s | %d / %d |' % (
                DMA_BACKING_NAMES[b], BLK_KIND_NAMES[kind], mmm(row['a_l1'], 'ratio'), mmm(row['q_l1'], 'ratio'),
                mmm(row['ratio'], 'ratio'), row['verdict'][1],
                '–' if b == '4k' else mmm(vs4['armpass'], 'ratio'), '–' if b == '4k' else mmm(vs4['qemu'], 'ratio'),
                pct(huge.get((b, 'armpass'))), pct(huge.get((b, 'qemu'))),
                len([1 for _, k, _, x in st.get('armpass', []) if k == kind and x]),
                len([1 for _, k, _, x in st.get('qemu', []) if k == kind and x])))
    out += ['', blk_verdict_summary([(DMA_BACKING_NAMES[b], cmps[b]) for b in backings])]
    detail = '\n'.join(blk_compare_markdown('Reads on %s' % DMA_BACKING_NAMES[b], cmps[b]) for b in backings)
    return '\n'.join(out) + '\n', detail


def splice_marked(path, begin, end, text):
    """Puts text between the markers begin and end of path (appended at the end, with the
    markers, if it has none). Returns True if the file was written."""
    try:
        with open(path) as f:
            doc = f.read()
    except OSError:
        return False
    block = begin + '\n' + text + end
    if begin in doc and end in doc:
        a = doc.index(begin)
        b = doc.index(end) + len(end)
        doc = doc[:a] + block + doc[b:]
    else:
        doc = doc.rstrip('\n') + '\n\n' + block + '\n'
    with open(path, 'w') as f:
        f.write(doc)
    return True


def splice_dma(path, text):
    """Puts text between the dma-backends markers of path (appended at the end, with the
    markers, if it has none). Returns True if the file was written."""
    return splice_marked(path, DMA_MARK_BEGIN, DMA_MARK_END, text)


def scale_table(scale):
    """Per point: median boot time and RSS of each VMM, and the per-round ratio."""
    points = sorted({(s['ram_mib'], s['smp']) for s in scale}, key=lambda p: (p[1] != 2, p[1], p[0]))
    rows = []
    for ram, smp in points:
        row = {'ram_mib': ram, 'smp': smp}
        per_round = {}
        for s in scale:
            if (s['ram_mib'], s['smp']) == (ram, smp):
                per_round.setdefault(s['round'], {})[s['vmm']] = s
        for vmm in ('armpass', 'qemu'):
            v = [x[vmm] for x in per_round.values() if vmm in x]
            row[vmm] = {'n': len(v),
                        'boot_s': median([x['boot_s'] for x in v]),
                        'boot_s_all': [x['boot_s'] for x in v],
                        'beyond_mib': median([x['beyond_kib'] / 1024 for x in v if x['beyond_kib'] is not None]),
                        'guest_mib': median([x['guest_kib'] / 1024 for x in v if x['guest_kib'] is not None]),
                        'exits': median([x['exits'] for x in v if x['exits'] is not None])}
        ratios = [x['armpass']['boot_s'] / x['qemu']['boot_s'] for x in per_round.values()
                  if 'armpass' in x and 'qemu' in x]
        row['boot_ratio'] = median(ratios)
        row['boot_ratio_all'] = ratios
        rows.append(row)
    return rows


# --- writing -----------------------------------------------------------------------------------

def fmt(v, unit):
    if v is None:
        return '–'
    if unit in ('ratio',):
        return '%.3f' % v if abs(v) < 10 else '%.1f' % v
    if unit in ('exits/read',):
        return '%.2g' % v if v else '0'
    if isinstance(v, int) or (isinstance(v, float) and v == int(v) and abs(v) >= 10):
        return '%d' % v
    a = abs(v)
    return '%.0f' % v if a >= 1000 else ('%.1f' % v if a >= 10 else ('%.2f' % v if a >= 0.1 else '%.3g' % v))


def target_text(f):
    if 'target' not in f:
        return ''
    op = {'le': '≤', 'eq': '=', 'ge': '≥'}[f['cmp']]
    met = f.get('met')
    verdict = '' if met is None else (' **met**' if met else ' **missed**')
    return '%s %s%s' % (op, fmt(f['target'], f['unit']), verdict)


def figure_row(f):
    """One figure's table row: name, unit, min, median, max, n, target."""
    if not f['n']:
        return '| %s | %s | – | – | – | 0 | %s |' % (f['name'], f['unit'], target_text(f))
    name = f['name'] + (' (baseline: %s)' % f['baseline'] if f.get('baseline') else '')
    return '| %s | %s | %s | %s | %s | %d | %s |' % (
        name, f['unit'], fmt(f['min'], f['unit']), fmt(f['median'], f['unit']),
        fmt(f['max'], f['unit']), f['n'], target_text(f))


def markdown(F, scale_rows, meta, dma_rows=()):
    out = []
    section = None
    # Sections in their numbers' order: the scale table (5) between boot (4) and PCI (6).
    items = [f for f in F.items if not f['section'].startswith('6.')]
    later = [f for f in F.items if f['section'].startswith('6.')]
    for f in items:
        if f['section'] != section:
            section = f['section']
            out += ['', '### ' + section, '',
                    '| figure | unit | min | median | max | n | target |',
                    '|---|---|---:|---:|---:|---:|---|']
        out.append(figure_row(f))
    out += ['', '### 5. Scale (medians; ratio: median of the per-round armpass / QEMU ratios)', '',
            '| guest RAM | vCPUs | armpass boot (s) | QEMU boot (s) | boot armpass / QEMU | '
            'armpass beyond guest RAM (MiB) | QEMU beyond guest RAM (MiB) | guest RAM resident, armpass / QEMU (MiB) | '
            'KVM exits to marker, armpass / QEMU | runs |',
            '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|']
    for row in scale_rows:
        a, q = row['armpass'], row['qemu']
        out.append('| %d MiB | %d | %s | %s | %s | %s | %s | %s / %s | %s / %s | %d / %d |' % (
            row['ram_mib'], row['smp'], fmt(a['boot_s'], 's'), fmt(q['boot_s'], 's'),
            fmt(row['boot_ratio'], 'ratio'), fmt(a['beyond_mib'], 'MiB'), fmt(q['beyond_mib'], 'MiB'),
            fmt(a['guest_mib'], 'MiB'), fmt(q['guest_mib'], 'MiB'), fmt(a['exits'], ''), fmt(q['exits'], ''),
            a['n'], q['n']))
    section = None
    for f in later:
        if f['section'] != section:
            section = f['section']
            out += ['', '### ' + section, '',
                    '| figure | unit | min | median | max | n | target |',
                    '|---|---|---:|---:|---:|---:|---|']
        out.append(figure_row(f))
    if dma_rows:
        out += ['', '### 6. DMA map by guest RAM size (medians, ms: start -> first instruction with the NVMe '
                'minus without; armpass\'s own time in VFIO_IOMMU_MAP_DMA)', '',
                '| guest RAM | armpass, with - without (ms) | QEMU, with - without (ms) | armpass in MAP_DMA (ms) | '
                'armpass / QEMU first instruction without the device (ms) |',
                '|---:|---:|---:|---:|---:|']
        for row in dma_rows:
            out.append('| %d MiB | %s | %s | %s | %s / %s |' % (
                row['ram_mib'], fmt(row['armpass'], 'ms'), fmt(row['qemu'], 'ms'), fmt(row['own_ms'], 'ms'),
                fmt(row['armpass_first'], 'ms'), fmt(row['qemu_first'], 'ms')))
    return '\n'.join(out).strip() + '\n'


def machine_text(meta):
    h = meta.get('host', {})
    env = meta.get('l1', {})
    lines = [
        '- host: %s, %s CPUs, %s GiB, Linux %s, %s' % (h.get('cpu', '?'), h.get('cpus', '?'),
                                                       h.get('mem_gib', '?'), h.get('kernel', '?'), h.get('os', '?')),
        '- L0: %s (TCG, `-M virt,virtualization=on,gic-version=3 -cpu max`), L1 with %s CPUs and %s MiB' % (
            h.get('l0_qemu', '?'), env.get('l1_nproc', '?'), (env.get('l1_mem_kib') or 0) // 1024),
        '- L1 and L2 kernel: Linux %s (the test bed\'s Image, `%s`)' % (env.get('l1_kernel', '?'), h.get('kernel_image', '?')),
        '- QEMU in L1: %s (`qemu-system-arm:arm64` %s)' % (env.get('l1_qemu', '?'), h.get('qemu_arm64_version', '?')),
        '- armpass: %s, commit %s' % (env.get('armpass_version', '?'), meta.get('commit', '?')),
    ]
    return '\n'.join(lines)


def shortfalls(F):
    """One paragraph per missed target, from tests/bench/shortfalls.json's explanations."""
    with open(os.path.join(HERE, 'shortfalls.json')) as f:
        why = json.load(f)
    why.pop('_comment', None)
    def value(m):
        x = F.get(m.group(1))
        if not x or not x['n']:
            return '?'
        if m.group(2) == 'n':
            return '%d' % x['n']
        if m.group(2) == 'verdict':
            return (x.get('verdict') or ('', 'not judged'))[1].replace('**', '')
        return fmt(x.get(m.group(2)), x['unit'])

    out = []
    for f in F.items:
        if f.get('met') is False:
            text = why.get(f['key'], 'no explanation recorded for this figure yet.')
            text = re.sub(r'\{(\w+)\.(min|median|max|n|verdict)\}', value, text)
            out.append('- **%s**: median %s %s against a target of %s. %s' % (
                f['name'].strip(), fmt(f['median'], f['unit']), f['unit'], target_text(f).split(' **')[0], text))
    met = [f for f in F.items if f.get('met') is True]
    head = '%d of %d targets met in this run.' % (len(met), len(met) + len(out))
    return head + ('\n\n' + '\n'.join(out) if out else '')


def gnuplot_chart(F, scale_rows, out_dir, dma_rows=()):
    if not shutil.which('gnuplot'):
        return None, 'gnuplot not found (apt-get install gnuplot-nox): no chart'
    d = os.path.join(out_dir, 'chart')
    os.makedirs(d, exist_ok=True)

    def bars(path, keys):
        n = 0
        with open(path, 'w') as f:
            for key, label in keys:
                x = F.get(key)
                if not x or not x['n']:
                    continue
                t = x.get('target', -1)
                f.write('%d "%s" %g %g %g %g\n' % (n, label, x['median'], x['min'], x['max'], t))
                n += 1
        return n

    n1 = bars(os.path.join(d, 'floor.dat'), [
        ('mapped_ratio', 'mapped read\\nL2 / L1'),
        ('trap_ratio', 'trapped pl031\\n/ bare exit'),
        ('trap_floor', 'its floor\\n1 + pread/exit'),
        ('trap_fw_ratio', 'trapped fw-cfg\\n/ bare exit'),
        ('trap_same_guest', 'trapped pl031\\n/ armpass UARTFR'),
    ])
    n2 = bars(os.path.join(d, 'qemu.dat'), [
        ('first_ratio', 'start to\\nfirst\\ninstruction'),
        ('boot_ratio', 'start to\\nL2\\nmarker'),
        ('rss_peak_ratio', 'peak RSS\\nbeyond\\nguest RAM'),
        ('rss_marker_ratio', 'RSS beyond\\nguest RAM\\nat marker'),
        ('size_ratio', 'binary +\\nlibraries'),
        ('exits_ratio', 'KVM exits\\nto marker'),
        ('uexits_ratio', 'exits to\\nthe VMM\\nto marker'),
        ('trap_vs_qemu', 'trapped\\nregister\\nread'),
    ])
    with open(os.path.join(d, 'ram.dat'), 'w') as f:
        for row in scale_rows:
            if row['smp'] == 2:
                a, q = row['armpass']['boot_s_all'], row['qemu']['boot_s_all']
                f.write('%d %s %s %s %s %s %s\n' % (row['ram_mib'], median(a) or 'NaN', min(a, default='NaN'),
                                                    max(a, default='NaN'), median(q) or 'NaN',
                                                    min(q, default='NaN'), max(q, default='NaN')))
    with open(os.path.join(d, 'smp.dat'), 'w') as f:
        for row in sorted(scale_rows, key=lambda r: r['smp']):
            if row['ram_mib'] == 256:
                a, q = row['armpass']['boot_s_all'], row['qemu']['boot_s_all']
                f.write('%d %s %s %s %s %s %s\n' % (row['smp'], median(a) or 'NaN', min(a, default='NaN'),
                                                    max(a, default='NaN'), median(q) or 'NaN',
                                                    min(q, default='NaN'), max(q, default='NaN')))
    n3 = bars(os.path.join(d, 'pci.dat'), [
        ('pci_msix_qd1_floor', 'QD1 4K\\n/ L1'),
        ('pci_msix_qd32_floor', 'QD32 4K\\n/ L1'),
        ('pci_msix_seq_floor', '1M seq\\n/ L1'),
        ('pci_msix_qd1_peer', 'QD1 4K\\n/ QEMU'),
        ('pci_msix_qd32_peer', 'QD32 4K\\n/ QEMU'),
        ('pci_msix_seq_peer', '1M seq\\n/ QEMU'),
        ('pci_msix_exits_ratio', 'KVM exits\\nper irq\\n/ QEMU'),
        ('pci_msix_boot_ratio', 'boot with\\nNVMe\\n/ QEMU'),
        ('pci_intx_qd1_floor', 'INTx QD1\\n/ L1'),
        ('pci_intx_qd1_peer', 'INTx QD1\\n/ QEMU'),
        ('pci_intx_exits_ratio', 'INTx exits\\nper irq\\n/ QEMU'),
        ('pci_msi_qd1_floor', 'AHCI MSI\\nQD1 / L1'),
        ('pci_msi_qd1_peer', 'AHCI MSI\\nQD1 / QEMU'),
        ('pci_msi_exits_ratio', 'MSI exits\\nper irq\\n/ QEMU'),
        ('dma_slope_ratio', 'DMA map\\nper GiB\\n/ QEMU'),
    ])
    with open(os.path.join(d, 'dma.dat'), 'w') as f:
        for row in dma_rows:
            a, q = row['armpass_all'], row['qemu_all']
            f.write('%d %s %s %s %s %s %s %s\n' % (
                row['ram_mib'], median(a) if a else 'NaN', min(a, default='NaN'), max(a, default='NaN'),
                median(q) if q else 'NaN', min(q, default='NaN'), max(q, default='NaN'),
                row['own_ms'] if row['own_ms'] is not None else 'NaN'))
    def has_data(name):
        with open(os.path.join(d, name)) as f:
            return any(re.search(r'\d', line.split(' ', 1)[1] if ' ' in line else '') and 'NaN NaN NaN NaN NaN NaN' not in line
                       for line in f)

    def or_empty(name, cmd):
        """cmd, or an empty panel that says so when name holds nothing to plot (a run of some parts)."""
        if has_data(name):
            return cmd
        return ('unset logscale y\nset label 1 "no data in this run" at graph 0.5,0.5 center\n'
                'plot [][0:1] -1 notitle\nunset label 1')

    png = os.path.join(out_dir, 'chart.png')
    gp = '''
set terminal pngcairo size 1500,1500 font "sans,10"
set output "{png}"
set multiplot layout 3,2 title "armpass benchmark, {title}" font "sans,13"
set style fill solid 0.6 border -1
set boxwidth 0.6
set grid ytics
set key top left
set xtics scale 0 font "sans,9"
set xrange [-0.6:{x1}]
set yrange [0:*]
set bmargin 5
set title "armpass against its floors (median, min-max bars; 1 = the floor)"
set ylabel "ratio"
plot "{d}/floor.dat" using 1:3:xtic(2) with boxes lc rgb "#4a7ebb" title "median", \\
     "" using 1:3:4:5 with yerrorbars lc rgb "black" pt -1 notitle, \\
     "" using ($1 + 0.18):3:(sprintf("%.2f", $3)) with labels left offset 0,0.7 font "sans,9" notitle, \\
     "" using 1:($6 > 0 ? $6 : 1/0) with points pt 9 ps 2 lc rgb "#d62728" title "target", \\
     1 with lines dt 2 lc rgb "black" title "floor"
set title "armpass / QEMU (log scale; below 1: armpass costs less)"
set logscale y
set yrange [0.005:3]
set xrange [-0.6:{x2}]
plot "{d}/qemu.dat" using 1:3:xtic(2) with boxes lc rgb "#2ca02c" title "median", \\
     "" using 1:3:4:5 with yerrorbars lc rgb "black" pt -1 notitle, \\
     "" using ($1 + 0.18):3:(sprintf("%.3g", $3)) with labels left offset 0,0.7 font "sans,9" notitle, \\
     "" using 1:($6 > 0 ? $6 : 1/0) with points pt 9 ps 2 lc rgb "#d62728" title "target", \\
     1 with lines dt 2 lc rgb "black" title "QEMU"
unset logscale y
set yrange [0:*]
set autoscale x
set xtics auto font "sans,10"
set bmargin
set title "start -> L2 marker as guest RAM grows (2 vCPUs)"
set xlabel "guest RAM (MiB)"
set ylabel "seconds"
set logscale x 2
set xrange [100:1300]
{ram_plot}
unset logscale x
set title "start -> L2 marker as vCPUs grow (256 MiB; L1 has 2 CPUs)"
set xlabel "vCPUs"
set xrange [0.5:4.5]
set xtics 1
{smp_plot}
set title "PCI (NVMe through vfio-pci, MSI-X unless said; AHCI on plain MSI): armpass's L2 against L1 and QEMU (1 = the baseline)"
set xlabel
set ylabel "ratio (time per read, exits, seconds)"
set xrange [-0.6:{x3}]
set xtics scale 0 font "sans,9"
set yrange [0:*]
set bmargin 5
{pci_plot}
set bmargin
set title "DMA map at start: first instruction with the NVMe - without, by guest RAM"
set xlabel "guest RAM (MiB)"
set ylabel "ms (log scale)"
set logscale x 2
set logscale y
set yrange [*:*]
set xrange [180:2900]
set xtics auto font "sans,10"
{dma_plot}
unset multiplot
'''.format(png=png, d=d, x1=n1 - 0.4, x2=n2 - 0.4, x3=max(n3, 1) - 0.4, title=os.environ.get('BENCH_CHART_TITLE', ''),
           ram_plot=or_empty('ram.dat', 'plot "{d}/ram.dat" using 1:2:3:4 with yerrorlines lw 2 lc rgb "#4a7ebb" title "armpass", '
                             '"" using 1:5:6:7 with yerrorlines lw 2 lc rgb "#ff7f0e" title "QEMU"'.format(d=d)),
           smp_plot=or_empty('smp.dat', 'plot "{d}/smp.dat" using 1:2:3:4 with yerrorlines lw 2 lc rgb "#4a7ebb" title "armpass", '
                             '"" using 1:5:6:7 with yerrorlines lw 2 lc rgb "#ff7f0e" title "QEMU"'.format(d=d)),
           pci_plot=or_empty('pci.dat', 'plot "{d}/pci.dat" using 1:3:xtic(2) with boxes lc rgb "#9467bd" title "median", '
                             '"" using 1:3:4:5 with yerrorbars lc rgb "black" pt -1 notitle, '
                             '"" using ($1 + 0.18):3:(sprintf("%.2f", $3)) with labels left offset 0,0.7 font "sans,9" notitle, '
                             '"" using 1:($6 > 0 ? $6 : 1/0) with points pt 9 ps 2 lc rgb "#d62728" title "target", '
                             '1 with lines dt 2 lc rgb "black" title "baseline"'.format(d=d)),
           dma_plot=or_empty('dma.dat', 'plot "{d}/dma.dat" using 1:2:3:4 with yerrorlines lw 2 lc rgb "#4a7ebb" title "armpass", '
                             '"" using 1:5:6:7 with yerrorlines lw 2 lc rgb "#ff7f0e" title "QEMU", '
                             '"" using 1:8 with linespoints lw 1 dt 2 lc rgb "#4a7ebb" title "armpass in VFIO_IOMMU_MAP_DMA (-d stats)" noenhanced'.format(d=d)))
    with open(os.path.join(d, 'chart.gp'), 'w') as f:
        f.write(gp)
    res = subprocess.run(['gnuplot', os.path.join(d, 'chart.gp')], capture_output=True, text=True)
    if res.returncode != 0:
        return None, 'gnuplot failed: ' + res.stderr.strip()[-400:]
    return png, None


def git_commit(top):
    """HEAD's commit, read from .git without running git; None when there is no .git."""
    git = os.path.join(top, '.git')
    try:
        if os.path.isfile(git):  # a worktree: "gitdir: PATH"
            with open(git) as f:
                git = f.read().split(':', 1)[1].strip()
        with open(os.path.join(git, 'HEAD')) as f:
            head = f.read().strip()
        if not head.startswith('ref: '):
            return head
        ref = head[5:]
        # A worktree's branches live in the main repository's .git ("commondir").
        common = git
        if os.path.isfile(os.path.join(git, 'commondir')):
            with open(os.path.join(git, 'commondir')) as f:
                common = os.path.normpath(os.path.join(git, f.read().strip()))
        for base in (git, common):
            p = os.path.join(base, ref)
            if os.path.isfile(p):
                with open(p) as f:
                    return f.read().strip()
        with open(os.path.join(common, 'packed-refs')) as f:
            for line in f:
                if line.strip().endswith(' ' + ref):
                    return line.split()[0]
    except OSError:
        pass
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--log', required=True, action='append',
                    help='a console log; given more than once, the logs are read in order and a later '
                    'log\'s parts replace an earlier one\'s (a run that lost some parts, completed by '
                    'a run of those parts: --parts)')
    ap.add_argument('--host', required=True, action='append',
                    help='scripts/bench.sh\'s host.json (one per --log: their wall times add up)')
    ap.add_argument('--out', required=True)
    ap.add_argument('--doc')
    ap.add_argument('--dma-only', action='store_true',
                    help='the dma-backend part alone (scripts/bench.sh --dma): DIR/results-dma.json and '
                    'results-dma.md; with --doc, its table between the dma-backends markers of that file '
                    'and of tests/bench/performance.md.in')
    ap.add_argument('--passed-virtio-only', action='store_true',
                    help='the passed-virtio part alone (scripts/bench.sh --parts passed-virtio): '
                    'DIR/results-virtio.json and results-virtio.md; with --doc, its tables between the '
                    'passed-virtio markers of that file and of tests/bench/performance.md.in (the PCI '
                    'part\'s NVMe figure it compares with comes from an earlier --log, if one is given)')
    args = ap.parse_args()

    records, bad, l0, envs = [], 0, None, []
    for i, path in enumerate(args.log):
        recs, b, l0_ = read_log(path)
        bad += b
        l0 = l0 or l0_
        envs += [r for r in recs if r.get('part') == 'env']
        parts = {r.get('part') for r in recs} - {'env'}
        for r in recs:
            r['_log'] = i
        records = [r for r in records if r.get('part') not in parts and r.get('part') != 'env'] + \
            [r for r in recs if r.get('part') != 'env']
    if not records:
        print('analyze: no ARMPASS-BENCH line in %s' % ', '.join(args.log), file=sys.stderr)
        return 1
    if envs:
        env = dict(envs[-1])
        if len(envs) > 1:
            env['parts'] = ' + '.join(e.get('parts', '?') for e in envs)
            env['runs'] = max(e.get('runs', 0) for e in envs)
        records.insert(0, env)
    args.log = args.log[-1] if len(args.log) == 1 else args.log
    hosts = []
    for path in args.host:
        with open(path) as f:
            hosts.append(json.load(f))
    host = dict(hosts[-1])
    if len(hosts) > 1:
        host['wall_s'] = sum(h.get('wall_s') or 0 for h in hosts) or None
    nlogs = len(args.log) if isinstance(args.log, list) else 1
    env = next((r for r in records if r.get('part') == 'env'), {})
    commit = host.get('commit') or git_commit(TOP)  # HEAD when the bench started
    meta = {'date': host.get('date') or datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
            'commit': commit, 'host': host, 'l1': env, 'l0_command': l0, 'unreadable_lines': bad,
            'failed_runs': sum(1 for r in records if 'run' in r and not ok(r['run']))}
    if args.dma_only:
        return dma_only(args, records, meta)
    if args.passed_virtio_only:
        return passed_virtio_only(args, records, meta)
    F, scale, dma_rows = compute(records)
    rows = scale_table(scale)
    os.makedirs(args.out, exist_ok=True)
    md = markdown(F, rows, meta, dma_rows)
    trust_md, trust = pci_trust(records)
    if trust_md:
        md = md.rstrip('\n') + '\n\n' + trust_md
    os.environ.setdefault('BENCH_CHART_TITLE', '%s, commit %s' % (meta['date'][:10], (commit or '?')[:12]))
    png, chart_err = gnuplot_chart(F, rows, args.out, dma_rows)

    pv = passed_virtio(records, ref=F.get('pci_msix_exits_armpass'), ref_floor=F.get('pci_msix_qd1_floor'))
    pv_md = passed_virtio_markdown(pv, meta) if pv else ''
    results = {'meta': meta, 'figures': F.items, 'scale': rows, 'dma': dma_rows, 'pci_direct': trust,
               'passed_virtio': pv and {'figures': pv['F'].items, 'exits': pv['rows']}, 'samples': records}
    header = ('# armpass benchmark results\n\n%s, commit %s%s\n\n%s\n' % (
        meta['date'], commit or '?', ' (quick run)' if env.get('quick') else '', machine_text(meta)))
    write_results(args.out, 'results', results,
                  header + '\n' + md + '\n' + shortfalls(F) + '\n' + ('\n' + pv_md if pv_md else ''))
    print(header + '\n' + md + ('\n' + pv_md if pv_md else ''))
    print(shortfalls(F))
    if bad or meta['failed_runs']:
        print('\nanalyze: %d unreadable ARMPASS-BENCH lines, %d runs that did not end well (left out)' % (
            bad, meta['failed_runs']))
    print('\nwritten: %s/results.json, results.md%s' % (args.out, ', chart.png' if png else ''))
    if chart_err:
        print('analyze: ' + chart_err)

    if args.doc:
        with open(os.path.join(HERE, 'performance.md.in')) as f:
            doc = f.read()
        chart_name = os.path.splitext(os.path.basename(args.doc))[0] + '.png'
        if png:
            shutil.copy(png, os.path.join(os.path.dirname(os.path.abspath(args.doc)), chart_name))
        wall = host.get('wall_s')
        subst = {
            '@DATE@': meta['date'],
            '@COMMIT@': commit_text(records, hosts) or '`%s`' % (commit or 'unknown (no .git)'),
            '@MACHINE@': machine_text(meta),
            '@WALL@': ('%d min %02d s' % (wall // 60, wall % 60)) if wall else 'unknown',
            '@RUNS@': str(env.get('runs', '?')),
            '@KIND@': ('a quick bench (scripts/bench.sh --quick)' if env.get('quick') else 'the full bench') +
                      ('' if nlogs == 1 else ' in %d boots of the test bed (each commit above with the parts its '
                       'boot gave: a later boot\'s parts replace an earlier one\'s)' % nlogs),

            '@TABLE@': md,
            '@SHORTFALLS@': shortfalls(F),
            '@CHART@': ('![armpass benchmark chart](%s)' % chart_name) if png else '(no chart: %s)' % chart_err,
        }
        for k, v in subst.items():
            doc = doc.replace(k, v)
        with open(args.doc, 'w') as f:
            f.write(doc)
        if pv_md:
            # its section of the document (the template keeps the last one between its markers)
            splice_marked(args.doc, PV_MARK_BEGIN, PV_MARK_END, pv_md)
            splice_marked(os.path.join(HERE, 'performance.md.in'), PV_MARK_BEGIN, PV_MARK_END, pv_md)
        print('written: %s' % args.doc)
    return 0


def passed_virtio_only(args, records, meta):
    """scripts/bench.sh --parts passed-virtio: section 7 alone, its tables spliced into the
    document between their markers; the rest of the document stays as it is."""
    ref = ref_floor = None
    if any(r.get('part') == 'pci-blk' for r in records):
        Fp = Figures()
        pci_figures(Fp, records)
        ref, ref_floor = Fp.get('pci_msix_exits_armpass'), Fp.get('pci_msix_qd1_floor')
    pv = passed_virtio(records, ref=ref, ref_floor=ref_floor)
    if pv and ref:
        # where the PCI figures came from: an earlier log's run (its host.json)
        i = next(r.get('_log', 0) for r in records if r.get('part') == 'pci-blk')
        try:
            with open(args.host[i]) as f:
                h = json.load(f)
            pv['ref_source'] = 'the PCI part of the run of %s, commit `%s`' % (
                h.get('date', '?')[:16], (h.get('commit') or '?')[:12])
        except (OSError, ValueError, IndexError):
            pass
    if not pv:
        print('analyze: no passed-virtio sample in %s' % args.log, file=sys.stderr)
        return 1
    md = passed_virtio_markdown(pv, meta)
    write_results(args.out, 'results-virtio',
                  {'meta': meta, 'figures': pv['F'].items, 'exits': pv['rows'], 'ref': ref, 'ref_floor': ref_floor,
                   'samples': [r for r in records if r.get('part', '').startswith('passed-virtio')]}, md)
    print(md)
    if meta['failed_runs']:
        print('analyze: %d runs did not end well (left out)' % meta['failed_runs'])
    print('written: %s/results-virtio.json, results-virtio.md' % args.out)
    if args.doc:
        for path in (args.doc, os.path.join(HERE, 'performance.md.in')):
            if splice_marked(path, PV_MARK_BEGIN, PV_MARK_END, md):
                print('written: %s' % path)
    return 0


def write_results(out, stem, data, md):
    """Writes OUT/STEM.json (data) and OUT/STEM.md (md), making OUT if it is missing."""
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, stem + '.json'), 'w') as f:
        json.dump(data, f, indent=1)
    with open(os.path.join(out, stem + '.md'), 'w') as f:
        f.write(md)


def commit_text(records, hosts):
    """With several logs: each log's commit and the parts its records gave (None with one log)."""
    if len(hosts) < 2:
        return None
    out = []
    for i, h in enumerate(hosts):
        parts = sorted({r.get('part') for r in records if r.get('_log') == i} - {'env', None})
        if parts:
            out.append('`%s` (%s: %s)' % ((h.get('commit') or '?')[:12], h.get('date', '?')[:16], ', '.join(parts)))
    return ', '.join(out) if out else None


def dma_only(args, records, meta):
    md, results = '', {'meta': meta}
    if any(r.get('part') == 'dma-backing' for r in records):
        F, matrix = dma_backings(records)
        if any(f['n'] for f in F.items):
            host = next((r for r in records if r.get('part') == 'dma-host'), {})
            md = dma_backings_markdown(F, matrix, meta, host)
            rows = [{'config': row['config'],
                     'sides': {'%s/%s' % (v, b): {w: row.get((v, b, w)) for w in (
                         'n', 'maps', 'huge_share', 'thp_share', 'populate', 'own_prealloc', 'described')}
                         for v, b in DMA_SIDES}} for row in matrix]
            results.update({'pools': host, 'figures': F.items, 'rows': rows})
    elif any(r.get('part') == 'dma-backend' for r in records):   # the older part: type1v2 against iommufd
        rows, summary = dma_backends(records)
        if rows:
            md = dma_backends_markdown(rows, summary, meta)
            results.update({'rows': rows, 'summary': summary})
    start = backing_start(records)
    reads = backing_reads(records)
    bmd = backing_start_markdown(start, meta)
    rmd, rdetail = backing_reads_markdown(reads, records, meta)
    if bmd or rmd:
        head = ('%s, commit `%s`, `scripts/bench.sh --dma`%s: L1 on Linux %s (%s CPUs, %s MiB), QEMU: %s.\n\n' % (
            meta.get('date', '?')[:16], (meta.get('commit') or '?')[:12],
            ' (quick)' if meta.get('l1', {}).get('quick') else '', meta.get('l1', {}).get('l1_kernel', '?'),
            meta.get('l1', {}).get('l1_nproc', '?'), (meta.get('l1', {}).get('l1_mem_kib') or 0) // 1024,
            meta.get('l1', {}).get('l1_qemu', '?')))
        backing_md = head + bmd + ('\n' if bmd and rmd else '') + rmd
        results['start'] = [{'round': k[0], 'vmm': k[1], 'backing': k[2], 'threads': k[3], **v}
                            for k, v in sorted(start.items())]
        results['reads'] = {b: blk_compare(reads, b) for b in reads}
    else:
        backing_md = ''
    if not md and not backing_md:
        print('analyze: no usable sample of the --dma parts in %s' % args.log, file=sys.stderr)
        return 1
    results['samples'] = [r for r in records if r.get('part') in (
        'env', 'dma-host', 'dma-backing', 'dma-backend', 'backing-start', 'backing-blk')]
    full = md + ('\n' if md and backing_md else '') + backing_md + ('\n' + rdetail if rdetail else '')
    write_results(args.out, 'results-dma', results, full)
    print(full)
    if meta['failed_runs']:
        print('analyze: %d runs did not end well (left out)' % meta['failed_runs'])
    print('written: %s/results-dma.json, results-dma.md' % args.out)
    if args.doc:
        for path in (args.doc, os.path.join(HERE, 'performance.md.in')):
            w = False
            if md:
                w |= splice_dma(path, md)
            if backing_md:
                w |= splice_marked(path, BACKING_MARK_BEGIN, BACKING_MARK_END, backing_md)
            if w:
                print('written: %s' % path)
    return 0


if __name__ == '__main__':
    sys.exit(main())
