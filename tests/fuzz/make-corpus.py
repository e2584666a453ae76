#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Writes the seed corpora of the fuzz targets: tests/fuzz/corpus/<target>/<name>, small
valid and near-valid inputs built by hand (no tools besides Python's standard library).
The files are kept in the tree; run this again after changing it (it replaces the folders).
Usage: tests/fuzz/make-corpus.py [OUTDIR]   (default: tests/fuzz/corpus next to this file)
"""
import gzip
import os
import shutil
import struct
import sys

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
corpus = {}


def add(target, name, data):
    corpus.setdefault(target, {})[name] = bytes(data)


# ---- vfio-caps: struct vfio_region_info (32 bytes) + capability chain -------------------------

FLAG_READ, FLAG_WRITE, FLAG_MMAP, FLAG_CAPS = 1, 2, 4, 8
CAP_SPARSE, CAP_TYPE = 1, 2


def region(flags, index, cap_offset, size, offset, caps=b"", argsz=0):
    return struct.pack("<IIIIQQ", argsz, flags, index, cap_offset, size, offset) + caps


def hdr(cap_id, version, nxt):
    return struct.pack("<HHI", cap_id, version, nxt)


def sparse(nxt, areas, nr=None, version=1):
    b = hdr(CAP_SPARSE, version, nxt) + struct.pack("<II", len(areas) if nr is None else nr, 0)
    for off, size in areas:
        b += struct.pack("<QQ", off, size)
    return b


def typecap(nxt, t, sub, version=1):
    return hdr(CAP_TYPE, version, nxt) + struct.pack("<II", t, sub)


RWMC = FLAG_READ | FLAG_WRITE | FLAG_MMAP | FLAG_CAPS
add("vfio-caps", "good-chain", region(RWMC, 2, 0x20, 0x4000, 2 << 40,
                                      sparse(0x50, [(0x1000, 0x1000), (0x3000, 0x1000)]) + typecap(0, 7, 9)))
add("vfio-caps", "no-caps", region(FLAG_READ | FLAG_WRITE | FLAG_MMAP, 0, 0, 0x1000, 0))
add("vfio-caps", "caps-not-fitted", region(RWMC, 1, 0, 0x1000, 1 << 40))
add("vfio-caps", "type-only", region(RWMC, 3, 0x20, 0x1000, 3 << 40, typecap(0, 1, 2)))
add("vfio-caps", "sparse-empty", region(RWMC, 0, 0x20, 0x2000, 0, sparse(0, [])))
add("vfio-caps", "sparse-zero-area", region(RWMC, 0, 0x20, 0x2000, 0, sparse(0, [(0x1000, 0)])))
add("vfio-caps", "loop", region(RWMC, 0, 0x20, 0x1000, 0, typecap(0x20, 1, 1)))
add("vfio-caps", "backwards", region(RWMC, 0, 0x30, 0x1000, 0, typecap(0, 1, 1) + typecap(0x20, 1, 1)))
add("vfio-caps", "past-end", region(RWMC, 0, 0x20, 0x1000, 0, typecap(0x400, 1, 1)))
add("vfio-caps", "truncated-header", region(RWMC, 0, 0x20, 0x1000, 0, b"\x01\x00\x01"))
add("vfio-caps", "inside-fixed-part", region(RWMC, 0, 0x8, 0x1000, 0, typecap(0, 1, 1)))
add("vfio-caps", "overlapping-areas", region(RWMC, 0, 0x20, 0x4000, 0,
                                             sparse(0, [(0x0, 0x2000), (0x1000, 0x1000)])))
add("vfio-caps", "area-outside", region(RWMC, 0, 0x20, 0x1000, 0, sparse(0, [(0x1000, 0x1000)])))
add("vfio-caps", "huge-nr-areas", region(RWMC, 0, 0x20, 0x1000, 0, sparse(0, [(0, 0x1000)], nr=0xffffffff)))
add("vfio-caps", "sparse-cut-by-next", region(RWMC, 0, 0x20, 0x4000, 0,
                                              sparse(0x38, [(0, 0x1000), (0x2000, 0x1000)]) + typecap(0, 1, 1)))
add("vfio-caps", "two-sparse", region(RWMC, 0, 0x20, 0x4000, 0,
                                      sparse(0x40, [(0, 0x1000)]) + sparse(0, [(0x2000, 0x1000)])))
add("vfio-caps", "unknown-then-sparse", region(RWMC, 0, 0x20, 0x4000, 0,
                                               hdr(99, 1, 0x30) + b"\0" * 8 + sparse(0, [(0, 0x4000)])))
add("vfio-caps", "version-0", region(RWMC, 0, 0x20, 0x1000, 0, typecap(0, 1, 1, version=0)))
add("vfio-caps", "callback-refuses", region(RWMC, 0, 0x20, 0x1000, 0, hdr(7, 0xfffe, 0)))
add("vfio-caps", "region-past-off_t", region(RWMC, 0, 0, 0x8000000000000000, 0x10))
# struct vfio_device_info: argsz flags num_regions num_irqs cap_offset pad (24 bytes)
add("vfio-caps", "device-info-chain", struct.pack("<IIIIII", 0, 0x1 | 0x80, 2, 1, 0x18, 0)
    + hdr(1, 1, 0x28) + b"\0" * 8 + hdr(2, 1, 0) + b"\0" * 8)

# ---- host-fdt: 4 control bytes + a device-tree blob -------------------------------------------


class Fdt:
    """A minimal flattened device tree writer (Devicetree Specification v0.4, chapter 5)."""

    def __init__(self):
        self.struct = b""
        self.strings = b""
        self.offsets = {}

    def begin(self, name):
        n = name.encode() + b"\0"
        self.struct += struct.pack(">I", 1) + n + b"\0" * (-len(n) % 4)

    def end(self):
        self.struct += struct.pack(">I", 2)

    def prop(self, name, value, raw_len=None):
        if isinstance(value, int):
            value = struct.pack(">I", value)
        elif isinstance(value, str):
            value = value.encode() + b"\0"
        elif isinstance(value, (list, tuple)):
            if value and isinstance(value[0], str):
                value = b"".join(v.encode() + b"\0" for v in value)
            else:
                value = b"".join(struct.pack(">I", v) for v in value)
        if name not in self.offsets:
            self.offsets[name] = len(self.strings)
            self.strings += name.encode() + b"\0"
        self.struct += struct.pack(">III", 3, len(value) if raw_len is None else raw_len,
                                   self.offsets[name]) + value
        self.struct += b"\0" * (-len(value) % 4)

    def blob(self, version=17):
        s = self.struct + struct.pack(">I", 9)
        off_rsv = 40
        rsv = b"\0" * 16
        off_struct = off_rsv + len(rsv)
        off_strings = off_struct + len(s)
        total = off_strings + len(self.strings)
        header = struct.pack(">10I", 0xd00dfeed, total, off_struct, off_strings, off_rsv, version, 16,
                             0, len(self.strings), len(s))
        return header + rsv + s + self.strings


def node(props, children=(), name=""):
    """A blob whose root is the device node: props a list of (name, value)."""
    f = Fdt()

    def emit(nm, ps, ch):
        f.begin(nm)
        for k, v in ps:
            f.prop(k, v)
        for c in ch:
            emit(*c)
        f.end()

    emit(name, props, children)
    return f.blob()


AMBA, USER, RATE, PERIPHID, OVERRIDE, NODIR, EDGE, NOAPB = 1, 2, 4, 8, 16, 32, 64, 128


def ctl(spec=0, cells=0x12, regs=1, irqs=1, extra=0, low=0x20):
    """cells: bits 0-2 #address-cells mode, 3-5 #size-cells mode (2 = 2 cells each)."""
    return bytes([spec, cells, regs | irqs << 2 | extra, low])


pl031 = [("compatible", ["arm,pl031", "arm,primecell"]), ("reg", [0, 0x9010000, 0, 0x1000]),
         ("interrupts", [0, 2, 4]), ("clocks", [0x10]), ("clock-names", "apb_pclk"),
         ("armpass,host-node-name", "pl031@9010000")]
add("host-fdt", "pl031-amba", ctl(AMBA) + node(pl031))
add("host-fdt", "pl031-raw-too", ctl(AMBA, extra=0x40) + node(pl031))
add("host-fdt", "pl031-user", ctl(AMBA | USER | PERIPHID) + node(pl031 + [("phandle", 0x40)],
                                                                 [("child", [("phandle", 0x41)], ())]))
add("host-fdt", "generic-dropped", ctl(0, regs=2, irqs=2) + node(
    [("compatible", "acme,widget"), ("reg", [0, 0x9100000, 0, 0x1000, 0, 0x9101000, 0, 0x100]),
     ("reg-names", ["ctrl", "fifo"]), ("interrupts", [0, 5, 4, 0, 6, 1]), ("interrupt-names", "one"),
     ("resets", [0x30, 1]), ("reset-names", "core"), ("pinctrl-0", [0x31]), ("pinctrl-names", "default"),
     ("dmas", [0x32, 1]), ("phandle", 0x33), ("interrupts-extended", [0x1, 0, 5, 4]),
     ("status", "disabled"), ("vdd-supply", [0x34]), ("reset-gpios", [0x35, 1, 0]),
     ("assigned-clocks", [0x10]), ("acme,custom", "kept"),
     ("armpass,host-node-name", "widget@9100000")],
    [("mdio", [("#address-cells", [1])], [("phy@0", [("reg", [0])], ())])]))
add("host-fdt", "root-with-child", ctl(AMBA) + node(
    [("#address-cells", [2])], [("rtc@9010000", pl031[:5], ())]))
add("host-fdt", "root-two-children", ctl() + node([], [("a", [("compatible", "x")], ()), ("b", [], ())]))
add("host-fdt", "clkctl-rate", ctl(RATE) + node(
    [("compatible", "acme,uart"), ("clocks", [0x12, 3, 0x12, 4, 0x12, 3]), ("clock-names", ["a", "b", "c"])]))
add("host-fdt", "clkctl-no-rate", ctl() + node([("compatible", "acme,uart"), ("clocks", [0x12, 3])]))
add("host-fdt", "clock-providers", ctl() + node(
    [("compatible", "acme,uart"), ("clocks", [0x11, 0x18, 0x10, 0x11])]))
add("host-fdt", "clock-two-cells", ctl(RATE) + node(
    [("compatible", "acme,uart"), ("clocks", [0x17, 1, 2, 0x16, 0x17, 1, 2])]))
for ph, nm in ((0x13, "zero"), (0x14, "many"), (0x15, "badcells"), (0x99, "missing"), (0, "null")):
    add("host-fdt", "clock-" + nm, ctl() + node([("compatible", "acme,x"), ("clocks", [ph, 0])]))
add("host-fdt", "clock-truncated", ctl(RATE) + node([("compatible", "acme,x"), ("clocks", [0x12])]))
add("host-fdt", "amba-no-clocks", ctl(AMBA | NOAPB) + node([("compatible", "arm,pl061")]))
add("host-fdt", "amba-names-room", ctl(AMBA | RATE) + node(
    [("compatible", "arm,pl330"), ("clocks", [0x10, 0x11]), ("clock-names", ["x", "y"])]))
add("host-fdt", "override-no-compatible", ctl(OVERRIDE | NODIR, extra=0x40) + node([("reg", [0, 1])]))
add("host-fdt", "user-phandle-taken", ctl(USER) + node([("compatible", "a"), ("phandle", 1)]))
add("host-fdt", "name-not-string", ctl() + node([("compatible", "a"), ("armpass,host-node-name", b"x\0y\0")]))
add("host-fdt", "no-regs-no-irqs", ctl(AMBA | RATE, regs=0, irqs=0) + node(
    [("compatible", "arm,pl011"), ("armpass,host-node-name", "@9000000")]))
add("host-fdt", "cells-1-1-high", ctl(EDGE, cells=0x09, extra=0x30) + node(pl031))
add("host-fdt", "cells-bad", ctl(0, cells=0x23) + node(pl031))
add("host-fdt", "small-guest", ctl(USER, cells=0x92) + node(
    [("compatible", "acme,big"), ("blob", b"\xab" * 3900)], [("c%d" % i, [("x", [i])], ()) for i in range(8)]))
add("host-fdt", "not-strings", ctl() + node([("compatible", b"arm,pl031"), ("interrupt-names", b"\0\0x")]))
add("host-fdt", "odd-cells", ctl() + node([("compatible", "a"), ("reg", b"\0\0\0\0\0\x90\x10")]))
add("host-fdt", "deep", ctl(USER, extra=0x40) + node([("compatible", "a")], [("l1", [], [("l2", [], [("l3", [], [
    ("l4", [], [("l5", [], [("l6", [], [("l7", [], [("l8", [], [("l9", [], ())])])])])])])])])]))

# What fuzzing and review found (docs/hardening.md, "Found and fixed"): each a unit test too.
add("host-fdt", "found-old-version", ctl() + node([("compatible", "a")])[:20] + struct.pack(">I", 7)
    + node([("compatible", "a")])[24:])
bad = Fdt()
bad.begin("")
bad.prop("compatible", "a")
bad.prop("acme,bad", struct.pack(">I", 4), raw_len=0xffffffff)  # its value reads as FDT_NOP
bad.end()
add("host-fdt", "found-negative-length", ctl() + bad.blob())
add("host-fdt", "found-user-dup-phandle", ctl(AMBA | USER) + node(
    [("compatible", "a"), ("phandle", 0x41)], [("child", [("phandle", 0x41)], ())]))
add("host-fdt", "found-user-phandle-next", ctl(AMBA | USER | RATE) + node([("compatible", "a"), ("phandle", 4)]))
add("host-fdt", "found-user-phandle-top", ctl(USER) + node([("compatible", "a"), ("phandle", 0xfffffffe)]))

# ---- options: arguments separated by NUL bytes ----------------------------------------------


def argv(*args):
    return b"\0".join(a.encode() for a in args)


add("options", "full", argv("-M", "virt,gic-version=3", "-m", "512M", "-smp", "2", "-kernel", "Image",
                            "-initrd", "rootfs.cpio.gz", "-append", "console=ttyAMA0", "-nographic",
                            "-device", "vfio-amba,host=9010000.pl031", "-serial", "file:console.log",
                            "-d", "stats,debug"))
add("options", "device-help", argv("-device", "help"))
add("options", "driver-help", argv("-device", "pl011,help"))
add("options", "vfio-platform", argv("-device", "vfio-platform,host=a,,b,x-no-mmap=on,mmio-base=0x1000,"
                                     "irq-base=40,x-irqfd=off,x-resample-ms=10,noiommu=yes"))
add("options", "vfio-amba", argv("-device", "vfio-amba,sysfsdev=/sys/bus/amba/devices/x,periphid=0x41031,"
                                 "clock-rate=24000000,dt-node=n.dtb,compatible=a,,b"))
add("options", "pl011", argv("--device", "pl011,mmio-base=0x9040000,irq=5,file=u.log,mmio-base=1"))
add("options", "sizes", argv("-m", "size=1GiB", "-smp", "cpus=8", "-m", "0x20000000", "-m", "2T"))
add("options", "machine", argv("--machine", "virt,dumpdtb=v.dtb,gic-version=host", "-M", "help"))
add("options", "memory", argv("-object", "memory-backend-memfd,id=m0,size=1G,hugetlb=on,hugetlbsize=2M,"
                                "prealloc=on,prealloc-threads=4,share=off,seal=off", "-M", "virt,memory-backend=m0",
                                "-m", "1G", "-overcommit", "mem-lock=on", "-mem-prealloc"))
add("options", "memory-file", argv("-mem-path", "/dev/hugepages", "-M", "virt,thp=off", "-object",
                                   "memory-backend-file,id=f,size=64M,mem-path=/x", "-object", "memory-backend-ram,id=r,size=3M"))
add("options", "bad", argv("-m", "3M", "-smp", "9", "-M", "virt,,x", "-device", "pl011,", "-serial", "tty"))
add("options", "scalars", argv("-d", "0x10", "18446744073709551615", "1kib", "on", "False", "0x0x1", ""))

# ---- image: an arm64 Image, raw or gzip'd ----------------------------------------------------


def image(text_offset=0, image_size=0x200000, flags=0x2, res=(0, 0, 0), body=64):
    h = struct.pack("<IIQQQQQQII", 0xfa405a4d, 0x14000000, text_offset, image_size, flags,
                    res[0], res[1], res[2], 0x644d5241, 0x40)
    return h + bytes((i * 7) & 0xff for i in range(body))


add("image", "image", image())
add("image", "image-legacy", image(text_offset=0x1234, image_size=0, flags=0xff))
add("image", "image-big-endian", image(flags=1))
add("image", "image-huge-text-offset", image(text_offset=0xffffffffffe00000))
add("image", "image-huge-size", image(image_size=0xfffffffffffff000))
add("image", "image-plan-params", image(res=(0x40000000, 16 << 20, 5 << 20)))
add("image", "image-plan-top", image(res=(0xfffffffffe000000, 0x2000000, 0)))
add("image", "image.gz", gzip.compress(image(body=4096), mtime=0))
add("image", "image-2-members.gz", gzip.compress(image()[:40], mtime=0) + gzip.compress(image()[40:], mtime=0))
add("image", "image-truncated.gz", gzip.compress(image(body=512), mtime=0)[:-9])
add("image", "image-trailing.gz", gzip.compress(image(), mtime=0) + b"\0\0garbage")
add("image", "image-bad-isize.gz", gzip.compress(image(), mtime=0)[:-4] + b"\xff\xff\xff\x7f")
add("image", "not-image-gz", gzip.compress(b"hello, world\n" * 8, mtime=0))
add("image", "elf", b"\x7fELF\x02\x01\x01" + b"\0" * 57)
add("image", "zboot", b"MZ\0\0zimg" + b"\0" * 56)
add("image", "zimage", b"\0" * 0x24 + struct.pack("<I", 0x016f2818) + b"\0" * 24)
add("image", "uimage", struct.pack("<I", 0x56190527) + b"\0" * 60)
add("image", "short", image()[:63])


# ---- elf: an aarch64 ELF executable for -kernel ------------------------------------------------

def elf(segs, entry, cls=2, data=1, version=1, etype=2, machine=183, phentsize=56, phnum=None,
        phoff=64, sh=(0, 0, 0, 0)):
    """ELF64 header + program headers at phoff + each segment's bytes at 256-byte steps.
    segs: (p_type, paddr, vaddr, filesz, memsz); sh: e_shoff, e_flags, e_shentsize, e_shnum
    (fuzz-elf reads its RAM layout there)."""
    n = len(segs) if phnum is None else phnum
    body_at = 64 + 56 * len(segs)
    body_at = (body_at + 255) & ~255
    phdrs, body = b"", b""
    for i, (ptype, paddr, vaddr, filesz, memsz) in enumerate(segs):
        off = body_at + len(body)
        phdrs += struct.pack("<IIQQQQQQ", ptype, 5, off, vaddr, paddr, filesz, memsz, 4096)
        chunk = bytes(((i + 1) * 0x11 + j) & 0xff for j in range(filesz))
        body += chunk + b"\0" * ((-len(chunk)) % 256)
    ident = b"\x7fELF" + bytes([cls, data, version]) + b"\0" * 9
    hdr = ident + struct.pack("<HHIQQQIHHHHHH", etype, machine, 1, entry, phoff, sh[0], sh[1],
                              64, phentsize, n, sh[2], sh[3], 0)
    out = hdr + phdrs
    return out + b"\0" * (body_at - len(out)) + body


LOAD, NOTE, INTERP = 1, 4, 3
HELLO = [(LOAD, 0x40200000, 0x40200000, 0x300, 0x300), (NOTE, 0, 0, 0, 0),
         (LOAD, 0x40210000, 0x40210000, 8, 0x1008)]
add("elf", "hello", elf(HELLO, 0x40200000))
add("elf", "hello-layout", elf(HELLO, 0x40200000, sh=(0x40000000, 8, 0x20, 0x10)))
add("elf", "hello-tight-ram", elf(HELLO, 0x40200000, sh=(0x40200000, 1, 1, 0xffff)))
add("elf", "low-at-ram-base", elf([(LOAD, 0x40000000, 0x40000000, 0x100, 0x200000)], 0x40000000))
add("elf", "raw-address", elf([(LOAD, 0x40080000, 0x40080000, 0x40, 0x40)], 0x40080000))
add("elf", "linked-high", elf([(LOAD, 0x40080000, 0xffff800008000000, 0x100, 0x2000)],
                              0xffff800008000040))
add("elf", "below-ram", elf([(LOAD, 0x1000, 0x1000, 0x10, 0x10)], 0x1000))
add("elf", "above-ram", elf([(LOAD, 0x80000000, 0x80000000, 0x10, 0x10)], 0x80000000))
add("elf", "top", elf([(LOAD, 0xfffffffffffff000, 0xfffffffffffff000, 0x10, 0xfff)],
                      0xfffffffffffff000))
add("elf", "wrap", elf([(LOAD, 0xffffffffffffff00, 0xffffffffffffff00, 0x10, 0x200)],
                       0xffffffffffffff00))
add("elf", "overlap", elf([(LOAD, 0x40200000, 0x40200000, 0x100, 0x1000),
                           (LOAD, 0x40200800, 0x40200800, 0x10, 0x10)], 0x40200000))
add("elf", "entry-in-bss", elf([(LOAD, 0x40200000, 0x40200000, 0x10, 0x1000)], 0x40200100))
add("elf", "entry-unaligned", elf(HELLO, 0x40200002))
add("elf", "filesz-over-memsz", elf([(LOAD, 0x40200000, 0x40200000, 0x20, 0x10)], 0x40200000))
add("elf", "no-load", elf([(NOTE, 0, 0, 0x10, 0x10)], 0))
add("elf", "interp", elf([(INTERP, 0, 0, 0x10, 0x10)] + HELLO, 0x40200000))
add("elf", "elfclass32-arm", elf(HELLO, 0x40200000, cls=1, machine=40))
add("elf", "big-endian", elf(HELLO, 0x40200000, data=2))
add("elf", "x86-64", elf(HELLO, 0x40200000, machine=62))
add("elf", "et-dyn", elf(HELLO, 0x40200000, etype=3))
add("elf", "et-rel", elf(HELLO, 0x40200000, etype=1))
add("elf", "phentsize-32", elf(HELLO, 0x40200000, phentsize=32))
add("elf", "phnum-xnum", elf(HELLO, 0x40200000, phnum=0xffff))
add("elf", "phoff-past-end", elf(HELLO, 0x40200000, phoff=0xfffffffffffffff0))
add("elf", "truncated-segment", elf(HELLO, 0x40200000)[:-300])
add("elf", "header-only", elf(HELLO, 0x40200000)[:40])
# What fuzzing found (docs/hardening.md, "Found and fixed"): the oracle's, RAM from the input
# at 0xffffffffff000008 running past the top of the address space (the initrd at half of
# what is left, not of the size given).
add("elf", "found-ram-past-top", bytes.fromhex("7f454c460201010000000000000000000200b7000100000000f0ffffffffffff4000000000000000080000ffffffffffffffff004000380001000500400038000100000005000008400000000000000000f0ffffffffffff00f02fffffffffff1000000000000000ff0f0000000000000010000000000000"))
# A plan's advice below the -m given (CI, December 2026): RAM past the top of the address space
# that 14 MiB fits and the 15.5 MiB up to the top does not; no larger -m can help.
add("elf", "found-advice-below-given", bytes.fromhex("7f454c460201010000000000000000000200b7000100000000f0ffffffffffff4000000000000000080008ffffffffffffffff004000380001000500406038000100000005000008400000000000000000f0ffffffffffff00f02fffffffffff1000000000000000ff0f0000000000000010000000000000"))

# ---- pci-config: a device byte, then operations on a vfio-pci device (fuzz-pci-config.c) ------
# Device byte: bits 0-1 NVMe MSI-X mappable / sparse / no MSI-X / AHCI; 4 x-irqfd=off;
# 8 x-no-mmap; 0x10 no ITS; 0x20 rombar=off; 0x40 romfile; 0x80 (AHCI) no INTx pin.

def cfg_read(reg, lencode):
    return struct.pack("<BHB", 0, reg, lencode)


def cfg_write(reg, lencode, val):
    return struct.pack("<BHBI", 1, reg, lencode, val)


def bar(idx, sel, raw):
    return struct.pack("<BBI", 8, idx << 5 | sel, raw)


def guest(write, sel, off, lencode, val=0):
    return struct.pack("<BBIBQ", 5 if write else 4, sel, off, lencode, val)


def msix(bits):
    return bytes([6, bits])


def msi(bits, mask=0):
    return struct.pack("<BBI", 7, bits, mask)


def vector(v):
    return bytes([11, v])


def fire(which):
    return bytes([9, which])


LOOP = bytes([10])
PLACE = bar(0, 2, 0) + bar(5, 2, 0x100000) + bar(4, 5, 0x100) + bar(6, 2, 0x200000)
INTS = (msix(1) + vector(0) + vector(5) + vector(0x83) + fire(0) + fire(5) + fire(3) + LOOP +
        guest(False, 0, 0x3000, 3) + msix(3) + fire(0) + LOOP + msix(1) + msix(0) +
        msi(1 | 3 << 1, 0x2) + fire(0) + fire(1) + LOOP + msi(1 | 3 << 1, 0) + LOOP + msi(0) +
        fire(0xff) + LOOP)
for dev in range(4):
    for flags, nm in ((0, ""), (4, "-userspace"), (8, "-no-mmap"), (0x10, "-no-its"), (0x40, "-romfile")):
        add("pci-config", "dev%d%s" % (dev, nm), bytes([dev | flags]) + PLACE + INTS)
add("pci-config", "ahci-no-pin", bytes([0x83]) + PLACE + msi(1) + fire(0) + LOOP)
add("pci-config", "ahci-no-pin-no-its", bytes([0x93]))
add("pci-config", "bars-over-ram", bytes([0]) + bar(0, 0, 0) + bar(0, 4, 0) + bar(0, 3, 0x10) +
    bar(0, 1, 0) + cfg_read(0x10, 2) + bar(6, 0, 0) + guest(False, 3, 0, 2))
add("pci-config", "bars-overlap", bytes([3]) + bar(5, 2, 0) + bar(6, 4 | 5 << 3, 0) +
    bar(4, 5, 0xfff0) + bar(4, 5, 0xffe8) + guest(True, 0, 0, 2, 0x1234) +
    guest(False, 0 | 4 << 3, 0, 1))
add("pci-config", "config-edges", bytes([0]) + cfg_read(0xff, 2) + cfg_read(0xfe, 7) +
    cfg_read(0x1000, 2) + cfg_write(0xfd, 2, 0xffffffff) + cfg_write(0x3, 1, 0xff) +
    cfg_write(0x62, 6, 0xffffffff) + cfg_write(0x4, 6, 0xffffffff) + cfg_read(0x100, 2) +
    cfg_write(0x100, 2, 0xffffffff) + cfg_write(0x30, 2, 0xffffffff) + cfg_read(0x30, 2))
add("pci-config", "decode-swap", bytes([0]) + bar(0, 2, 0) + cfg_write(4, 1, 2) + cfg_write(4, 1, 1) +
    cfg_write(4, 1, 3) + cfg_write(4, 2, 0x402) + cfg_write(4, 0, 1))
add("pci-config", "msix-table-edges", bytes([1]) + PLACE + msix(1) +
    struct.pack("<BHBQ", 3, 0x7c, 3, 0xffffffffffffffff) +
    struct.pack("<BHBQ", 3, 0x0c, 3, 0) + struct.pack("<BHBQ", 3, 0x80, 11, 0) +
    struct.pack("<BHBQ", 3, 0x4, 4, 0) + guest(True, 0, 0x207c, 3, 0) +
    guest(True, 0, 0x2ffc, 3, 0) + guest(False, 0, 0x3004, 3))

# ---- qmp: a control byte, then what a QMP client sends (fuzz-qmp.c) --------------------------
# Control byte: bits 0-2 the write size (all, 1, 2, 5, 16, 100, 1000, 4095 bytes); 8 a
# descriptor with the first write; 0x10 an event after each write; 0x20 the guest releases
# the slot after a device_del; 0x40 the guest never enabled hot-plug on the slot.

def qmp(ctl, *lines):
    return bytes([ctl]) + "".join(l + "\r\n" for l in lines).encode()


CAPS = '{"execute": "qmp_capabilities"}'
ADD = '{"execute": "device_add", "arguments": {"driver": "vfio-pci", "host": "0000:00:01.0", "bus": "rp0", "id": "nvme0"}}'
DEL = '{"execute": "device_del", "arguments": {"id": "nvme0"}}'
add("qmp", "session", qmp(0, CAPS, '{"execute": "query-version", "id": "a1"}', '{"execute": "query-commands"}',
                          '{"execute": "query-status", "id": 7}', '{"execute": "stop", "id": [1, {"x": null}]}',
                          '{"execute": "cont"}', '{"execute": "query-pci"}', '{"execute": "query-cpus-fast"}',
                          '{"execute": "x-armpass-query-stats"}', '{"execute": "system_powerdown"}',
                          '{"execute": "system_reset"}', '{"execute": "quit"}'))
add("qmp", "session-bytewise", qmp(1, CAPS, '{"execute": "query-version", "id": "a1"}', '{"execute": "stop"}'))
add("qmp", "session-events", qmp(0x15, CAPS, '{"execute": "stop"}', '{"execute": "cont"}'))
add("qmp", "negotiation", qmp(0, '{"execute": "query-version"}', '{"execute": "qmp_capabilities", "arguments": {"enable": ["oob"]}}',
                              '{"execute": "qmp_capabilities", "arguments": {"enable": 5}}',
                              '{"execute": "qmp_capabilities", "arguments": {"enable": []}}', CAPS))
add("qmp", "errors", qmp(0, CAPS, 'this is not JSON', '[1, 2]', '"string"', 'null', '42', '{}',
                         '{"execute": 5}', '{"execute": "stop", "arguments": []}', '{"execute": "stop", "bogus": 1}',
                         '{"execute": "nope", "id": {"a": "b"}}', '{"execute": "stop", "arguments": {"x": 1}}',
                         '{"execute": "getfd"}', '{"execute": "getfd", "arguments": {"fdname": 5}}',
                         '{"execute": "device_del", "arguments": {"id": true}}', '{"execute": "device_add", "arguments": {}}',
                         '{"execute": "query-version"} {"execute": "query-version"}{"execute"',
                         ': "query-version"}', '{"a": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}',
                         '{"execute": "query-version", "id": "\\u00e9\\ud83d\\ude00\\u0000"}', '{"execute": "query-\xff"}',
                         '{"execute": "query-version"'))
add("qmp", "getfd", qmp(8, CAPS, '{"execute": "getfd", "arguments": {"fdname": "1bad"}}',
                        '{"execute": "getfd", "arguments": {"fdname": ""}}',
                        '{"execute": "getfd", "arguments": {"fdname": "disk0"}}', '{"execute": "getfd", "arguments": {"fdname": "disk1"}}',
                        '{"execute": "closefd", "arguments": {"fdname": "disk0"}}', '{"execute": "closefd", "arguments": {"fdname": "disk0"}}'))
add("qmp", "getfd-kept", qmp(8, CAPS, '{"execute": "getfd", "arguments": {"fdname": "disk0"}}'))
add("qmp", "hotplug", qmp(0x20, CAPS, ADD, '{"execute": "query-pci"}', DEL, DEL))
add("qmp", "hotplug-twice", qmp(0x25, CAPS, ADD, DEL, ADD, DEL))
add("qmp", "hotplug-no-release", qmp(0, CAPS, ADD, DEL, DEL))
add("qmp", "hotplug-no-pciehp", qmp(0x40, CAPS, ADD, DEL))
add("qmp", "hotplug-props", qmp(0x20, CAPS, '{"execute": "device_add", "arguments": {"driver": "vfio-pci", "host": "0000:00:01.0", '
                                '"bus": "rp0", "id": "n,1", "x-no-mmap": true, "rombar": 0, "x-irqfd": false}}',
                                '{"execute": "device_del", "arguments": {"id": "n,1"}}'))
add("qmp", "device-add-errors", qmp(0, CAPS,
    '{"execute": "device_add", "arguments": {"driver": "pl011"}}',
    '{"execute": "device_add", "arguments": {"driver": "nope"}}',
    '{"execute": "device_add", "arguments": {"driver": "pcie-root-port", "id": "rp1"}}',
    '{"execute": "device_add", "arguments": {"driver": "vfio-pci", "host": "0000:00:01.0"}}',
    '{"execute": "device_add", "arguments": {"driver": "vfio-pci", "host": "0000:00:01.0", "bus": "rp9"}}',
    '{"execute": "device_add", "arguments": {"driver": "vfio-pci", "host": "0000:00:01.0", "bus": "rp0", "fd": "3"}}',
    '{"execute": "device_add", "arguments": {"driver": "vfio-pci", "host": "0000:00:09.0", "bus": "rp0"}}',
    '{"execute": "device_add", "arguments": {"driver": "vfio-pci", "host": "zz", "bus": "rp0", "id": "rp0"}}',
    '{"execute": "device_add", "arguments": {"driver": "vfio-pci", "a=b": 1, "bus": "rp0"}}',
    '{"execute": "device_add", "arguments": {"driver": "vfio-pci", "": 1}}',
    '{"execute": "device_add", "arguments": {"driver": "vfio-pci", "host": {"a": 1}}}',
    '{"execute": "device_add", "arguments": {"driver": "vfio-pci", "host": 1.5}}',
    '{"execute": "device_add", "arguments": {"driver": "vfio-pci,host=0000:00:01.0", "bus": "rp0"}}',
    '{"execute": "device_add", "arguments": {"driver": "vfio-pci", "host": "0000:00:01.0", "bus": "rp0", "nope": "x"}}',
    '{"execute": "device_del", "arguments": {"id": "rp0"}}', '{"execute": "device_del", "arguments": {"id": "ghost"}}'))
add("qmp", "big-value", qmp(7, CAPS, '{"execute": "query-version", "id": "' + "x" * 9000 + '"}', '{"execute": "stop"}'))
add("qmp", "raw-bytes", bytes([0]) + (CAPS + "\r\n").encode() + b'{"execute": "q\xff\xfe", "id": "\xc3"}\r\n'
    + b'{"execute": "device_add", "arguments": {"driver": "vfio-pci", "host": "\xff", "bus": "rp0"}}\r\n')
# What fuzzing found (docs/hardening.md, "Found and fixed"): each a unit test too.
add("qmp", "found-garbage-after-newline", bytes([0]) + (CAPS + "\r\nx\n}\n").encode() + b"\n\0\n" +
    b'{"execute": "query-version"}\r\n')
add("qmp", "found-nul-in-comment", bytes([0]) + b'{"":""/*\0""r\n' + (CAPS + "\r\n").encode() +
    b'{"execute": "query-version", "id": 1\0}\n{"execute": "query-version"}\r\n')
add("qmp", "crlf-inside", bytes([3]) + b'{"execute":\r\n "qmp_capabilities"\n}\n{"execute": "stop"}{"execute":"cont"}\n\x00\x01{"execute": "cont"}\n')

# ---- host-node: a folder tree for host_node_load_sysfs (fuzz-host-node.c) -----------------------
# A name for the node's folder, then records: 0 file (name, u16 length, bytes), 1 folder
# (entered), 2 up, 3 link (name, selector: an earlier entry; top bit: dangling), 4 FIFO.

def hn_name(n):
    b = n.encode() if isinstance(n, str) else n
    return bytes([len(b)]) + b


def hn_file(n, content):
    if isinstance(content, int):
        content = struct.pack(">I", content)
    elif isinstance(content, str):
        content = content.encode() + b"\0"
    elif isinstance(content, list):
        content = b"".join(struct.pack(">I", v) for v in content)
    return bytes([0]) + hn_name(n) + struct.pack("<H", len(content)) + content


def hn_dir(n):
    return bytes([1]) + hn_name(n)


HN_UP = bytes([2])


def hn_link(n, sel):
    return bytes([3]) + hn_name(n) + bytes([sel])


def hn_fifo(n):
    return bytes([4]) + hn_name(n)


PL031 = (hn_file("compatible", b"arm,pl031\0arm,primecell\0") + hn_file("reg", [0, 0x9010000, 0, 0x1000]) +
         hn_file("interrupts", [0, 2, 4]) + hn_file("clocks", [0x8000]) + hn_file("clock-names", "apb_pclk") +
         hn_file("name", "pl031") + hn_file("phandle", 0x8001))
add("host-node", "pl031", hn_name("pl031@9010000") + PL031)
add("host-node", "children", hn_name("ethernet@9100000") + hn_file("compatible", "acme,eth") + hn_dir("mdio") +
    hn_file("#address-cells", 1) + hn_dir("phy@0") + hn_file("reg", 0) + hn_file("name", "phy") + HN_UP + HN_UP +
    hn_dir("fixed-link") + hn_file("speed", 1000) + HN_UP + hn_file("status", "okay"))
nest = hn_name("deep") + hn_file("compatible", "a")
for i in range(8):
    nest += hn_dir("l%d" % i) + hn_file("x", i)
add("host-node", "depth-8", nest)
add("host-node", "depth-9", nest + hn_dir("l8"))
add("host-node", "link-loop", hn_name("loop") + hn_file("compatible", "a") + hn_dir("child") + hn_link("back", 0))
add("host-node", "link-sibling", hn_name("dup") + hn_file("compatible", "a") + hn_dir("a") + hn_file("x", 1) + HN_UP +
    hn_link("b", 3) + hn_link("c", 2))
add("host-node", "link-file", hn_name("lf") + hn_file("compatible", "a") + hn_link("compat2", 1))
add("host-node", "link-dangling", hn_name("dl") + hn_file("compatible", "a") + hn_link("gone", 0x80))
add("host-node", "fifo", hn_name("ff") + hn_file("compatible", "a") + hn_fifo("pipe"))
add("host-node", "big-file", hn_name("big") + hn_file("blob", b"\xab" * 4096) + hn_file("compatible", "a"))
add("host-node", "empty", hn_name("empty"))
add("host-node", "own-name-file", hn_name("nm@1") + hn_file("armpass,host-node-name", "other") + hn_file("name", "nm") +
    hn_dir("c") + hn_file("armpass,host-node-name", "x") + HN_UP)
add("host-node", "root-of_node", hn_name("of_node") + hn_file("compatible", "a"))
add("host-node", "found-newline-in-name", hn_name("rtc\n@1") + hn_file("compatible", "a") + hn_fifo("pi\tpe\x01"))
add("host-node", "odd-names", hn_name("a b@1,2") + hn_file("#size-cells", 0) + hn_file("linux,phandle", 5) +
    hn_file("a" * 39, b"") + hn_dir("x@0,1:2") + HN_UP)

# ---- write -----------------------------------------------------------------------------------

for target, files in corpus.items():
    d = os.path.join(OUT, target)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    for name, data in files.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
total = sum(len(v) for files in corpus.values() for v in files.values())
print("%d files, %d bytes in %s" % (sum(len(f) for f in corpus.values()), total, OUT))
