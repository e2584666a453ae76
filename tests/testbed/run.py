#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Runs one e2e case of the nested test bed: L0 QEMU (TCG, virtualization=on) boots L1, whose /init runs the case.

The artefacts (kernel Image, arm64 busybox, static aarch64 armpass) come from the scripts next to
this one and from scripts/build-aarch64.sh, unless given by option or environment (ARMPASS_KERNEL,
ARMPASS_BUSYBOX, ARMPASS_BIN, ARMPASS_QEMU). The kernel (L1's and L2's: one Image) is
build-kernel.sh's for --kernel-version (6.1 or 6.12; default $ARMPASS_KERNEL_VERSION, else 6.1)
unless --kernel or $ARMPASS_KERNEL names one. The two initramfs images are rebuilt every run.
The whole L0 console goes to a log file in --logdir; the run ends on the case's
"ARMPASS-E2E: PASS|FAIL" line, on QEMU's exit or on the timeout. Exit status: 0 on PASS, else 1.
"""

import argparse
import datetime
import hashlib
import os
import secrets
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
CACHE = os.environ.get('ARMPASS_CACHE', os.path.join(os.path.expanduser('~'), '.cache', 'armpass'))
MARKER = re.compile(rb'ARMPASS-E2E: (PASS|FAIL)\b(.*)')
# A case asks run.py to check L0's disk image after QEMU has exited:
# "ARMPASS-E2E-EXPECT-DISK [disk=NAME] offset=BYTES hex=HEX|text=TEXT" (disk: default nvm0).
EXPECT_DISK = re.compile(rb'ARMPASS-E2E-EXPECT-DISK(?: disk=(\w+))? offset=(\d+) (hex|text)=(\S+)')
# A case asks run.py (--virtio-net) to move data over TCP with L2 through L0's hostfwd ports:
# "ARMPASS-E2E-TCP-GO bytes=N sha256=HEX": run.py sends its NET_BYTES random bytes to guest port
# 5000, then reads N bytes from guest port 5001 and checks their sha256 against HEX.
TCP_GO = re.compile(rb'ARMPASS-E2E-TCP-GO bytes=(\d+) sha256=([0-9a-f]{64})')
NET_BYTES = 4 << 20                 # what run.py sends to L2 (--virtio-net)
# --net-peer: the benchmark's TCP peer (tests/bench/net-peer.py), one process per connection a
# guest makes to this address and port of L0's user-mode network (a guestfwd rule).
NET_PEER = ('10.0.2.100', 7000)
VBLK_IMAGE_SIZE = 64 << 20          # the --virtio-blk disk (sparse)
NVME_IMAGE_SIZE = 64 << 20          # the --nvme disk (sparse)
L2_DISK_SIZE = '64M'                # --vhost: L2's ext4 root disk (sparse; mkinitramfs.sh --l2-disk)
GROUP_IMAGE_SIZE = 1 << 20          # each disk of the --pci-group pair
AHCI_IMAGE_SIZE = 16 << 20          # the --ahci disk (sparse)
ROM_SIZE = 32 << 10                 # the --nvme-rom option ROM (a power of two)
NVME_IDS = (0x1b36, 0x0010, 0x010802)   # QEMU's NVMe: vendor, device, class code
TAIL_LINES = 40
KERNEL_VERSIONS = ('6.1', '6.12')   # build-kernel.sh's


def say(msg):
    print('run.py: ' + msg, file=sys.stderr, flush=True)


def artefact(option, env, script, *script_args):
    """Path from the option, else the environment, else the last stdout line of the script."""
    path = option or os.environ.get(env)
    if not path:
        say('running ' + ' '.join([os.path.relpath(script, TOP)] + list(script_args)))
        res = subprocess.run([script] + list(script_args), stdout=subprocess.PIPE, text=True)
        lines = res.stdout.strip().splitlines()
        if res.returncode != 0 or not lines:
            raise RuntimeError('%s failed (status %d)' % (script, res.returncode))
        path = lines[-1]
    if not os.path.isfile(path):
        raise RuntimeError('%s: no such file (from %s)' % (path, option and 'option' or env))
    return os.path.abspath(path)


def closure_tree(*script_args):
    """The tree tests/bench/qemu-closure.py prints (fetched once, then from its cache)."""
    script = os.path.join(TOP, 'tests', 'bench', 'qemu-closure.py')
    say('running ' + ' '.join([os.path.relpath(script, TOP)] + list(script_args)))
    res = subprocess.run([sys.executable, script] + list(script_args), stdout=subprocess.PIPE, text=True)
    lines = res.stdout.strip().splitlines()
    if res.returncode != 0 or not lines or not os.path.isdir(lines[-1]):
        raise RuntimeError('%s failed (status %d)' % (' '.join(['qemu-closure.py'] + list(script_args)),
                                                      res.returncode))
    return lines[-1]
def qemu_peer_tree():
    """The folder tests/bench/qemu-closure.py prints (qemu/qemu-system-aarch64 and its libraries)."""
    script = os.path.join(TOP, 'tests', 'bench', 'qemu-closure.py')
    say('running ' + os.path.relpath(script, TOP))
    res = subprocess.run([sys.executable, script], stdout=subprocess.PIPE, text=True)
    lines = res.stdout.strip().splitlines()
    if res.returncode != 0 or not lines:
        raise RuntimeError('%s failed (status %d)' % (script, res.returncode))
    root = lines[-1]
    if not os.path.isfile(os.path.join(root, 'qemu', 'qemu-system-aarch64')):
        raise RuntimeError('%s: no qemu/qemu-system-aarch64 (from qemu-closure.py)' % root)
    return root


def qemu_opt_escape(s):
    return s.replace(',', ',,')


class Console:
    """Copies QEMU's output to the log (and maybe stdout), and watches for the result marker."""

    def __init__(self, proc, log, echo, net=None):
        self.proc, self.log, self.echo = proc, log, echo
        self.net = net                # (host port in, host port out, data) with --virtio-net
        self.net_result = None        # None: no exchange; else an error string or 'ok ...'
        self.net_thread = None
        self.result = None            # (PASS|FAIL, full marker line)
        self.result_seen = threading.Event()
        self.expect_disk = []         # (disk, offset, bytes or None, line) from EXPECT-DISK lines
        self.thread = threading.Thread(target=self._pump, daemon=True)
        self.thread.start()

    def _pump(self):
        pending = b''
        fd = self.proc.stdout.fileno()
        while True:
            try:
                data = os.read(fd, 65536)
            except OSError:
                data = b''
            if not data:
                break
            self.log.write(data)
            self.log.flush()
            if self.echo:
                sys.stdout.buffer.write(data)
                sys.stdout.buffer.flush()
            pending += data
            *lines, pending = pending.split(b'\n')
            for line in lines:
                self._scan(line)
            if len(pending) > 4096:
                pending = pending[-4096:]
        self._scan(pending)

    def _tcp_exchange(self, nbytes, want):
        """Sends self.net's data to L2's port 5000, reads nbytes from its port 5001."""
        port_in, port_out, data = self.net
        try:
            with socket.create_connection(('127.0.0.1', port_in), timeout=120) as c:
                c.sendall(data)
                c.shutdown(socket.SHUT_WR)
            got = b''
            with socket.create_connection(('127.0.0.1', port_out), timeout=120) as c:
                while len(got) < nbytes:
                    chunk = c.recv(65536)
                    if not chunk:
                        break
                    got += chunk
            digest = hashlib.sha256(got).hexdigest()
            if len(got) != nbytes or digest != want:
                self.net_result = ('read %d of %d bytes from L2, sha256 %s, L2 said %s'
                                   % (len(got), nbytes, digest, want))
            else:
                self.net_result = ('ok: sent %d bytes (sha256 %s), received %d bytes (sha256 %s)'
                                   % (len(data), hashlib.sha256(data).hexdigest(), len(got), digest))
        except OSError as e:
            self.net_result = 'TCP exchange with L2 failed: %s' % e
        say('tcp: %s' % self.net_result)

    def _scan(self, line):
        t = TCP_GO.search(line.rstrip(b'\r'))
        if t and self.net and self.net_thread is None:
            self.net_thread = threading.Thread(target=self._tcp_exchange, daemon=True,
                                               args=(int(t.group(1)), t.group(2).decode()))
            self.net_thread.start()
        e = EXPECT_DISK.search(line.rstrip(b'\r'))
        if e and self.result is None:
            disk = (e.group(1) or b'nvm0').decode()
            value = e.group(4)
            try:
                want = bytes.fromhex(value.decode()) if e.group(3) == b'hex' else value
            except ValueError:
                want = None             # reported as a failure after the run
            self.expect_disk.append((disk, int(e.group(2)), want, e.group(0).decode(errors='replace')))
        m = MARKER.search(line.rstrip(b'\r'))
        if m and self.result is None:
            self.result = (m.group(1).decode(), m.group(0).decode(errors='replace'))
            self.result_seen.set()


def stop(proc):
    """Ends QEMU: SIGTERM (it restores the terminal), then SIGKILL."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def tail(path, n):
    with open(path, 'rb') as f:
        lines = f.read().decode(errors='replace').replace('\r', '').splitlines()
    return lines[-n:]


def option_rom(vendor, device, class_code, size):
    """A valid PCI option ROM image of size bytes (one image, the last): random bytes around the
    header Linux checks before it reads a ROM (pci_get_rom_size: 0x55 0xAA at 0, the pointer
    at 0x18 to a "PCIR" data structure whose image length covers the file and whose indicator
    has the last-image bit)."""
    rom = bytearray(secrets.token_bytes(size))
    pcir = 0x1c
    rom[0:3] = bytes((0x55, 0xaa, size // 512))
    rom[0x18:0x1a] = pcir.to_bytes(2, 'little')
    rom[pcir:pcir + 0x18] = (b'PCIR' + vendor.to_bytes(2, 'little') + device.to_bytes(2, 'little')
                             + b'\0\0'                          # device list pointer: none
                             + (0x18).to_bytes(2, 'little')     # length of this structure
                             + b'\0'                             # its revision
                             + class_code.to_bytes(3, 'little')
                             + (size // 512).to_bytes(2, 'little')   # image length, 512-byte units
                             + b'\x01\x00'                       # revision level of the code
                             + b'\x00'                           # code type
                             + b'\x80'                           # indicator: last image
                             + b'\0\0')
    return bytes(rom)


def raw_image(path, size, marker):
    """A sparse raw disk image of size bytes with marker (bytes) at byte 0."""
    with open(path, 'wb') as f:
        f.truncate(size)
        f.write(marker)


def check_disks(disks, expects):
    """After QEMU has exited: each EXPECT-DISK request holds in L0's image. None, or why not."""
    for disk, offset, want, line in expects:
        say('checking %s' % line)
        if disk not in disks:
            return '%r: no disk %s in L0 (run.py --nvme?)' % (line, disk)
        if want is None:
            return '%r: not hex' % line
        with open(disks[disk], 'rb') as f:
            f.seek(offset)
            got = f.read(len(want))
        if got != want:
            return "L0's image %s at byte %d holds %r, not %r (%s)" % (disk, offset, got, want, line)
        say('L0 image %s at byte %d holds %r: ok' % (disk, offset, want))
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--case', help='e2e case: tests/e2e/cases/NAME.sh (none: an L1 shell, with --interactive)')
    ap.add_argument('--gic', type=int, choices=(2, 3), default=3, help="L0 board's GIC version (default 3)")
    ap.add_argument('--timeout', type=float,
                    help='seconds to wait for the result (default 300; none with --interactive)')
    ap.add_argument('--logdir', default=os.path.join(TOP, 'build', 'testbed-logs'),
                    help='where the console logs go (default: build/testbed-logs)')
    ap.add_argument('--fw-cfg', action='append', default=[], metavar='NAME=STRING',
                    help='an L0 fw_cfg item opt/NAME with STRING as contents (repeatable; @random: a new random string each run)')
    ap.add_argument('--interactive', action='store_true',
                    help='console on the terminal, keyboard to L1; the run ends when QEMU exits')
    ap.add_argument('-v', '--verbose', action='store_true', help='stream the console to stdout too')
    ap.add_argument('--no-quiet', action='store_true', help="drop 'quiet' from L1's command line")
    ap.add_argument('--mem', default='1G', help="L1's RAM, as QEMU's -m takes it (default 1G)")
    ap.add_argument('--smp', type=int, default=2, help="L1's CPUs (default 2)")
    ap.add_argument('--append', default='', help="more words for L1's kernel command line")
    ap.add_argument('--kernel', help='kernel Image (default: $ARMPASS_KERNEL or build-kernel.sh VERSION)')
    ap.add_argument('--kernel-version', choices=KERNEL_VERSIONS,
                    default=os.environ.get('ARMPASS_KERNEL_VERSION') or '6.1',
                    help="the test bed's kernel for L1 and L2, built by build-kernel.sh "
                    "(default: $ARMPASS_KERNEL_VERSION, else 6.1); ignored with --kernel")
    ap.add_argument('--busybox', help='arm64 busybox (default: $ARMPASS_BUSYBOX or busybox.sh)')
    ap.add_argument('--armpass', help='aarch64 armpass (default: $ARMPASS_BIN or scripts/build-aarch64.sh)')
    ap.add_argument('--qemu', default=os.environ.get('ARMPASS_QEMU', 'qemu-system-aarch64'))
    ap.add_argument('--l1-extra', action='append', default=[], metavar='DIR',
                    help="a folder whose tree is copied into the root of L1's image (repeatable)")
    ap.add_argument('--qemu-in-l1', action='store_true',
                    help="Debian's arm64 QEMU and its libraries in L1 (/qemu/qemu-system-aarch64), "
                    "from tests/bench/qemu-closure.py (apt-get download, cached in the cache folder)")
    ap.add_argument('--vhost', action='store_true',
                    help="virtio with vhost backends in L1 (tests/e2e/cases/virtio-peer.sh): Debian's arm64 "
                    "qemu-system-aarch64 and qemu-storage-daemon with their libraries (tests/bench/qemu-closure.py, "
                    "never installed, cached) in L1's root (/qemu/), and /l2-root.img, an ext4 image of L2's tree "
                    "(%s, sparse) made for the run, for L2 to boot from over vhost-user-blk" % L2_DISK_SIZE)
    ap.add_argument('--qemu-peer', action='store_true',
                    help="Debian's arm64 QEMU in L1 as /qemu/qemu-system-aarch64, a peer VMM to compare "
                    "with (the tree tests/bench/qemu-closure.py fetches once and caches; never installed)")
    ap.add_argument('--nvme', action='store_true',
                    help='an SMMUv3 on L0 and an emulated NVMe at 0000:00:01.0 on a fresh raw image '
                    '(64 MiB) holding a random marker at byte 0; the marker and a second random value '
                    '(for L2 to write) reach L1 as fw_cfg opt/armpass/nvme-marker and opt/armpass/nvme-write')
    ap.add_argument('--pci-group', action='store_true',
                    help='an SMMUv3 on L0 and two NVMe functions in one multi-function slot '
                    '(0000:00:02.0 and 0000:00:02.1, one IOMMU group in L1), each on a 1 MiB image')
    ap.add_argument('--pci-group-mixed', action='store_true',
                    help='an SMMUv3 on L0 and, in one multi-function slot, an NVMe at 0000:00:02.0 and '
                    'an ich9-ahci at 0000:00:02.1 (one IOMMU group in L1, two host drivers)')
    ap.add_argument('--ahci', action='store_true',
                    help='an SMMUv3 on L0 and an emulated ich9-ahci at 0000:00:03.0 (plain MSI, I/O BAR 4) '
                    'with a disk on port 0: a fresh raw image (16 MiB) holding a random marker at byte 0, '
                    'which reaches L1 as fw_cfg opt/armpass/ahci-marker')
    ap.add_argument('--e1000e', action='store_true',
                    help='an SMMUv3 on L0 and an emulated e1000e at 0000:00:04.0 on a user-mode network '
                    'that reaches nothing (restrict=on) but whose DHCP server answers')
    ap.add_argument('--virtio-blk', action='store_true',
                    help='a virtio-blk-device on one of L0\'s virtio-mmio transports (a platform device in L1 '
                    'that does DMA with no IOMMU) on a fresh raw image (64 MiB) holding a random marker at byte 0; '
                    'the marker and a value for L2 to write reach L1 as fw_cfg opt/armpass/vblk-marker and vblk-write')
    ap.add_argument('--virtio-net', action='store_true',
                    help='a virtio-net-device on a virtio-mmio transport, on a user-mode network that reaches '
                    'nothing (restrict=on) but forwards 127.0.0.1 ports to the guest\'s 5000 and 5001; the sha256 '
                    'of the data run.py sends reaches L1 as fw_cfg opt/armpass/net-sha256 (see ARMPASS-E2E-TCP-GO)')
    ap.add_argument('--net-peer', action='store_true',
                    help='with --virtio-net: the benchmark\'s TCP peer, tests/bench/net-peer.py on this machine, '
                    'reached from the guest at %s:%d (a guestfwd rule; restrict=on does not stop it); '
                    'the case need not ask for the ARMPASS-E2E-TCP-GO exchange' % NET_PEER)
    ap.add_argument('--nvme-rom', action='store_true',
                    help="with --nvme: the NVMe gets an option ROM made for the run (a valid header around "
                    "random bytes, 32 KiB); its sha256 reaches L1 as fw_cfg opt/armpass/nvme-rom-sha256")
    args = ap.parse_args()
    if args.nvme_rom and not args.nvme:
        ap.error('--nvme-rom needs --nvme')
    if args.net_peer and not args.virtio_net:
        ap.error('--net-peer needs --virtio-net')
    if args.pci_group and args.pci_group_mixed:
        ap.error('--pci-group and --pci-group-mixed both want slot 2')

    if not args.case and not args.interactive:
        ap.error('--case is required unless --interactive')
    if args.case and not os.path.isfile(os.path.join(TOP, 'tests', 'e2e', 'cases', args.case + '.sh')):
        ap.error('no tests/e2e/cases/%s.sh' % args.case)
    timeout = args.timeout if args.timeout is not None else (None if args.interactive else 300.0)
    name = args.case or 'shell'

    if args.kernel_version not in KERNEL_VERSIONS:     # from the environment
        ap.error('ARMPASS_KERNEL_VERSION=%s: use one of %s' % (args.kernel_version, ', '.join(KERNEL_VERSIONS)))
    try:
        kernel = artefact(args.kernel, 'ARMPASS_KERNEL', os.path.join(HERE, 'build-kernel.sh'),
                          args.kernel_version)
        busybox = artefact(args.busybox, 'ARMPASS_BUSYBOX', os.path.join(HERE, 'busybox.sh'))
        armpass = artefact(args.armpass, 'ARMPASS_BIN', os.path.join(TOP, 'scripts', 'build-aarch64.sh'))
        if args.qemu_peer:
            args.l1_extra.append(qemu_peer_tree())
        say('kernel: %s%s' % (kernel, '' if args.kernel or os.environ.get('ARMPASS_KERNEL')
                                else ' (Linux %s)' % args.kernel_version))
        if args.qemu_in_l1:
            script = os.path.join(TOP, 'tests', 'bench', 'qemu-closure.py')
            say('running ' + os.path.relpath(script, TOP))
            res = subprocess.run([sys.executable, script], stdout=subprocess.PIPE, text=True)
            lines = res.stdout.strip().splitlines()
            if res.returncode != 0 or not lines or not os.path.isdir(lines[-1]):
                raise RuntimeError('%s failed (status %d): no QEMU for L1' % (script, res.returncode))
            args.l1_extra.append(lines[-1])
        if shutil.which(args.qemu) is None:
            raise RuntimeError('%s not found (install qemu-system-arm)' % args.qemu)
        if args.vhost:
            args.l1_extra += [closure_tree(), closure_tree('--storage-daemon')]
    except RuntimeError as e:
        say('error: %s' % e)
        print('ARMPASS-E2E: FAIL %s: test bed artefacts: %s' % (name, e), flush=True)
        return 1

    os.makedirs(args.logdir, exist_ok=True)
    os.makedirs(os.path.join(CACHE, 'work'), exist_ok=True)
    work = tempfile.mkdtemp(prefix='run-', dir=os.path.join(CACHE, 'work'))
    try:
        return run(args, name, timeout, kernel, busybox, armpass, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(args, name, timeout, kernel, busybox, armpass, work):
    extra = []
    for d in args.l1_extra:
        extra += ['--extra', d]
    if args.vhost:
        extra += ['--l2-disk', L2_DISK_SIZE]
    res = subprocess.run([os.path.join(HERE, 'mkinitramfs.sh'), '--kernel', kernel, '--busybox', busybox,
                          '--armpass', armpass, '--out', work] + extra, stdout=subprocess.PIPE, text=True)
    if res.returncode != 0:
        say('error: mkinitramfs.sh failed')
        return 1
    initrd = res.stdout.strip().splitlines()[-1]

    append = ['console=ttyAMA0'] + ([] if args.no_quiet else ['quiet']) + ['vfio_platform.reset_required=0']
    if args.case:
        append.append('armpass.case=' + args.case)
    if os.environ.get('SOAK_SCALE'):
        # The soak cases' counts in percent of their full ones (tests/e2e/cases/soak-lib.sh).
        append.append('armpass.soak_scale=' + os.environ['SOAK_SCALE'])
    if os.environ.get('SOAK_ENV'):
        # One NAME=VALUE the soak cases put in armpass's environment (soak-lib.sh), e.g.
        # GLIBC_TUNABLES=glibc.malloc.tcache_count=0 to tell heap growth from glibc's caches.
        append.append('armpass.soak_env=' + os.environ['SOAK_ENV'])
    if args.append:
        append.append(args.append)
    machine = 'virt,virtualization=on,gic-version=%d' % args.gic
    if args.nvme or args.pci_group or args.pci_group_mixed or args.ahci or args.e1000e:
        machine += ',iommu=smmuv3'      # PCI devices get real IOMMU groups in L1
    cmd = [args.qemu, '-M', machine, '-cpu', 'max',
           '-smp', str(args.smp), '-m', args.mem, '-nographic',
           # No NIC: the default virtio-net-pci wants efi-virtio.rom (ipxe-qemu), and nothing needs it.
           '-nic', 'none',
           '-kernel', kernel, '-initrd', initrd,
           '-append', ' '.join(append)]
    for item in args.fw_cfg:
        key, sep, value = item.partition('=')
        if not sep or not key:
            say('error: --fw-cfg wants NAME=STRING, not %r' % item)
            return 1
        if not key.startswith('opt/'):
            key = 'opt/' + key
        if value == '@random':
            value = 'armpass-%s' % secrets.token_hex(8)  # a new string every run
            say('fw_cfg %s = %s' % (key, value))
        cmd += ['-fw_cfg', 'name=%s,string=%s' % (qemu_opt_escape(key), qemu_opt_escape(value))]
    disks = {}          # drive id -> image path, for the EXPECT-DISK checks
    if args.nvme:
        img = os.path.join(work, 'nvme0.img')
        marker, write = secrets.token_hex(16), secrets.token_hex(16)
        raw_image(img, NVME_IMAGE_SIZE, marker.encode())   # block 0, byte 0: what L1 and L2 must read
        say('nvme: %s, marker %s at byte 0, value for L2 to write %s' % (img, marker, write))
        disks['nvm0'] = img
        rom = ''
        if args.nvme_rom:
            romfile = os.path.join(work, 'nvme.rom')
            data = option_rom(*NVME_IDS, ROM_SIZE)
            with open(romfile, 'wb') as f:
                f.write(data)
            digest = hashlib.sha256(data).hexdigest()
            say('nvme option ROM: %s, %d bytes, sha256 %s' % (romfile, len(data), digest))
            rom = ',romfile=' + qemu_opt_escape(romfile)
            cmd += ['-fw_cfg', 'name=opt/armpass/nvme-rom-sha256,string=' + digest]
        cmd += ['-drive', 'file=%s,if=none,format=raw,id=nvm0' % qemu_opt_escape(img),
                '-device', 'nvme,drive=nvm0,serial=armpass0,addr=1.0' + rom,
                '-fw_cfg', 'name=opt/armpass/nvme-marker,string=' + marker,
                '-fw_cfg', 'name=opt/armpass/nvme-write,string=' + write]
    if args.pci_group:
        for fn in (0, 1):
            img = os.path.join(work, 'group%d.img' % fn)
            with open(img, 'wb') as f:
                f.truncate(GROUP_IMAGE_SIZE)
            drive = 'grp%d' % fn
            disks[drive] = img
            cmd += ['-drive', 'file=%s,if=none,format=raw,id=%s' % (qemu_opt_escape(img), drive),
                    '-device', 'nvme,drive=%s,serial=armpass-grp%d,addr=2.%d%s'
                    % (drive, fn, fn, ',multifunction=on' if fn == 0 else '')]
    if args.pci_group_mixed:
        for drive, size in (('mix0', GROUP_IMAGE_SIZE), ('mix1', GROUP_IMAGE_SIZE)):
            img = os.path.join(work, drive + '.img')
            raw_image(img, size, b'')
            disks[drive] = img
        cmd += ['-drive', 'file=%s,if=none,format=raw,id=mix0' % qemu_opt_escape(disks['mix0']),
                '-device', 'nvme,drive=mix0,serial=armpass-mix0,addr=2.0,multifunction=on',
                '-drive', 'file=%s,if=none,format=raw,id=mix1' % qemu_opt_escape(disks['mix1']),
                '-device', 'ich9-ahci,id=ahcimix,addr=2.1',
                '-device', 'ide-hd,drive=mix1,bus=ahcimix.0']
    if args.ahci:
        img = os.path.join(work, 'ahci0.img')
        marker = secrets.token_hex(16)
        raw_image(img, AHCI_IMAGE_SIZE, marker.encode())
        say('ahci: %s, marker %s at byte 0' % (img, marker))
        disks['ahd0'] = img
        cmd += ['-drive', 'file=%s,if=none,format=raw,id=ahd0' % qemu_opt_escape(img),
                '-device', 'ich9-ahci,id=ahci0,addr=3.0',
                '-device', 'ide-hd,drive=ahd0,bus=ahci0.0',
                '-fw_cfg', 'name=opt/armpass/ahci-marker,string=' + marker]
    net = None
    if args.virtio_blk:
        img = os.path.join(work, 'vblk0.img')
        marker, write = secrets.token_hex(16), secrets.token_hex(16)
        raw_image(img, VBLK_IMAGE_SIZE, marker.encode())
        say('virtio-blk: %s, marker %s at byte 0, value for L2 to write %s' % (img, marker, write))
        disks['vd0'] = img
        cmd += ['-drive', 'file=%s,if=none,format=raw,id=vd0' % qemu_opt_escape(img),
                '-device', 'virtio-blk-device,drive=vd0',
                '-fw_cfg', 'name=opt/armpass/vblk-marker,string=' + marker,
                '-fw_cfg', 'name=opt/armpass/vblk-write,string=' + write]
    if args.virtio_net:
        ports = []
        for _ in range(2):
            with socket.socket() as sk:
                sk.bind(('127.0.0.1', 0))
                ports.append(sk.getsockname()[1])
        data = secrets.token_bytes(NET_BYTES)
        net = (ports[0], ports[1], data)
        say('virtio-net: 127.0.0.1:%d -> guest 5000, 127.0.0.1:%d -> guest 5001; %d bytes, sha256 %s'
            % (ports[0], ports[1], len(data), hashlib.sha256(data).hexdigest()))
        peer = ''
        if args.net_peer:
            script = os.path.join(TOP, 'tests', 'bench', 'net-peer.py')
            if ',' in script + sys.executable:
                say('error: --net-peer: a comma in %s or %s (QEMU option syntax)' % (script, sys.executable))
                return 1
            peer = ',guestfwd=tcp:%s:%d-cmd:%s %s' % (NET_PEER + (sys.executable, script))
            say('virtio-net: the benchmark\'s TCP peer at %s:%d (%s)' % (NET_PEER + (os.path.relpath(script, TOP),)))
        cmd += ['-netdev', 'user,id=vn0,restrict=on,hostfwd=tcp:127.0.0.1:%d-:5000,hostfwd=tcp:127.0.0.1:%d-:5001%s'
                % (ports[0], ports[1], peer),
                '-device', 'virtio-net-device,netdev=vn0',
                '-fw_cfg', 'name=opt/armpass/net-sha256,string=' + hashlib.sha256(data).hexdigest(),
                '-fw_cfg', 'name=opt/armpass/net-bytes,string=%d' % len(data)]
    if args.e1000e:
        # restrict=on: the guest reaches nothing outside, but QEMU's DHCP server answers.
        # romfile=: no PXE ROM (Debian's ipxe-qemu need not be installed).
        cmd += ['-netdev', 'user,id=n0,restrict=on',
                '-device', 'e1000e,netdev=n0,romfile=,addr=4.0']

    stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S')
    # The kernel version in the name when it is not the default one (6.1), so that the two
    # kernels' runs of one case keep apart.
    tag = name if args.kernel or args.kernel_version == '6.1' else '%s-%s' % (name, args.kernel_version)
    logpath = os.path.abspath(os.path.join(args.logdir, '%s-gic%d-%s.log' % (tag, args.gic, stamp)))
    latest = os.path.join(args.logdir, '%s-gic%d-latest.log' % (tag, args.gic))

    saved_tty = None
    if args.interactive and sys.stdin.isatty():
        import termios
        saved_tty = termios.tcgetattr(sys.stdin.fileno())

    with open(logpath, 'wb') as log:
        log.write(('# %s\n' % shlex.join(cmd)).encode())
        log.flush()
        try:
            if os.path.lexists(latest):
                os.unlink(latest)
            os.symlink(os.path.basename(logpath), latest)
        except OSError:
            pass
        say('L0: %s' % shlex.join(cmd))
        say('console log: %s' % logpath)
        if args.interactive:
            say('QEMU monitor/exit: Ctrl-A C / Ctrl-A X')
        start = time.monotonic()
        proc = subprocess.Popen(cmd, stdin=None if args.interactive else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                start_new_session=not args.interactive)
        console = Console(proc, log, args.interactive or args.verbose, net)
        reason = None
        try:
            if args.interactive:
                proc.wait(timeout)
            else:
                deadline = start + timeout
                while not console.result_seen.wait(0.5) and proc.poll() is None:
                    if time.monotonic() > deadline:
                        reason = 'timed out after %g s' % timeout
                        break
                if proc.poll() is not None:
                    console.thread.join(5)  # QEMU gone: its last output may hold the result
            # After the marker, L1 powers itself off; give it a moment.
            if proc.poll() is None and reason is None:
                try:
                    proc.wait(30 if not args.interactive else None)
                except subprocess.TimeoutExpired:
                    say('QEMU still running 30 s after the result: killing it')
        except subprocess.TimeoutExpired:
            reason = 'timed out after %g s' % timeout
        except KeyboardInterrupt:
            reason = 'interrupted'
        finally:
            stop(proc)
            console.thread.join(5)
            if saved_tty is not None:
                import termios
                termios.tcsetattr(sys.stdin.fileno(), termios.TCSADRAIN, saved_tty)
        elapsed = time.monotonic() - start

    if not args.case:       # an interactive L1 shell: nothing to judge
        say('QEMU exited with status %s after %.0f s; log: %s' % (proc.returncode, elapsed, logpath))
        return 0 if proc.returncode == 0 else 1
    if console.result and console.result[0] == 'PASS':
        bad = check_disks(disks, console.expect_disk)
        if not bad and net and not (args.net_peer and console.net_thread is None):
            if console.net_thread:
                console.net_thread.join(60)
            if not console.net_result or not console.net_result.startswith('ok'):
                bad = 'virtio-net: %s' % (console.net_result or 'the case never asked for the TCP exchange')
        if bad:
            reason = bad
            print('ARMPASS-E2E: FAIL %s: %s' % (name, bad), flush=True)
            say('FAIL %s (L0 gic-version=%d) after %.0f s: %s' % (name, args.gic, elapsed, reason))
            say('log: %s' % logpath)
            return 1
        say('PASS %s (L0 gic-version=%d) in %.0f s; log: %s' % (name, args.gic, elapsed, logpath))
        return 0
    if console.result:
        reason = console.result[1]
    elif reason is None:
        reason = 'QEMU exited with status %s before any result' % proc.returncode
    if not (args.interactive or args.verbose):
        print('--- last %d lines of %s ---' % (TAIL_LINES, logpath))
        print('\n'.join(tail(logpath, TAIL_LINES)))
        print('---')
    say('FAIL %s (L0 gic-version=%d) after %.0f s: %s' % (name, args.gic, elapsed, reason))
    say('log: %s' % logpath)
    return 1


if __name__ == '__main__':
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))   # meson's timeout: run the cleanups
    sys.exit(main())
