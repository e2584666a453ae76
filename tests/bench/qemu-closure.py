#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Fetches Debian's arm64 QEMU and the libraries it loads into a tree that the benchmark puts into L1.

usage: qemu-closure.py [--cache DIR] [--storage-daemon]

Never installs anything: `apt-get download` fetches qemu-system-arm:arm64 and, level by level,
the arm64 library packages its Depends name (dpkg must know the arm64 architecture, which
scripts/setup-host.sh sets up), and `dpkg-deb -x` unpacks them. The files the dynamic loader
actually loads are then found from the binary's DT_NEEDED entries (read with `readelf -d`),
recursively, and copied into ROOT:

    ROOT/qemu/qemu-system-aarch64        the binary
    ROOT/lib/ld-linux-aarch64.so.1       its program interpreter (PT_INTERP)
    ROOT/lib/aarch64-linux-gnu/SONAME    every library it loads, under its soname (a folder
                                         the Debian loader searches by default)

with ROOT/qemu/manifest.json: the package versions, every file and its size in bytes, and
their sum (the "binary + libraries" figure). The tree is cached in
CACHE/qemu-arm64-VERSION/ (CACHE: $ARMPASS_CACHE or ~/.cache/armpass), keyed by the package
version; a second run only prints its path. Prints ROOT on its last line. Exit status 0, or 1
with a message (apt-get failed, a library no package provided).

--storage-daemon: the same for qemu-storage-daemon (package qemu-system-common:arm64), which
the test bed's vhost cases run in L1 as a vhost-user-blk backend (tests/testbed/run.py --vhost):

    ROOT/qemu/qemu-storage-daemon        the binary
    ROOT/lib/...                         its loader and libraries, laid out as above
    ROOT/qemu/qemu-storage-daemon.json   its manifest (same keys as manifest.json)

cached in CACHE/qemu-storage-daemon-arm64-VERSION/. Both trees can be copied into one root:
they share only the loader and libraries, from the same Debian release. qemu-system-common's
Depends cover every binary of the package (audio, SPICE, USB, ...), so only the packages that
hold a library the daemon actually loads are fetched: starting from the package, each missing
soname is looked for in the library packages named by the Depends of the package whose file
needs it, one level at a time.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ARCH_DIRS = ('lib/aarch64-linux-gnu', 'usr/lib/aarch64-linux-gnu', 'lib', 'usr/lib')
BINARY = 'usr/bin/qemu-system-aarch64'


class Target:
    """What to fetch: the package, the binary in it, and where its tree goes."""

    def __init__(self, package, binary, folder, dest, manifest, lean):
        self.package = package        # Debian package (arm64)
        self.binary = binary          # its binary, relative to /
        self.folder = folder          # cache folder prefix: FOLDER-VERSION
        self.dest = dest              # the binary's path in ROOT
        self.manifest = manifest      # the manifest's path in ROOT
        self.lean = lean              # fetch only the library packages the binary loads


QEMU = Target('qemu-system-arm', BINARY, 'qemu-arm64', 'qemu/qemu-system-aarch64',
              'qemu/manifest.json', False)
STORAGE_DAEMON = Target('qemu-system-common', 'usr/bin/qemu-storage-daemon',
                        'qemu-storage-daemon-arm64', 'qemu/qemu-storage-daemon',
                        'qemu/qemu-storage-daemon.json', True)


def say(msg):
    print('qemu-closure: ' + msg, file=sys.stderr, flush=True)


def run(cmd, **kw):
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
    if res.returncode != 0:
        raise RuntimeError('%s failed: %s' % (' '.join(cmd), res.stderr.strip()[-500:]))
    return res.stdout


def candidate_version(pkg):
    out = run(['apt-cache', 'show', '--no-all-versions', pkg])
    m = re.search(r'^Version: (\S+)', out, re.M)
    if not m:
        raise RuntimeError('apt-cache knows no %s (dpkg --add-architecture arm64 && apt-get update)' % pkg)
    return m.group(1)


def deps_of(deb):
    """Package names a .deb's Depends and Pre-Depends name (first of each alternative)."""
    out = run(['dpkg-deb', '-f', deb, 'Depends', 'Pre-Depends'])
    names = []
    for line in out.splitlines():
        line = line.split(':', 1)[1] if re.match(r'^(Pre-)?Depends:', line) else line
        for item in line.split(','):
            first = item.split('|')[0].strip()
            name = re.split(r'[\s(]', first, 1)[0].split(':')[0]
            if name:
                names.append(name)
    return names


def is_library(name):
    return name.startswith('lib') or name == 'zlib1g'


def download(names, debs):
    """apt-get download NAME:arm64 for each; returns {name: deb path}."""
    run(['apt-get', 'download'] + ['%s:arm64' % n for n in names], cwd=debs)
    got = {}
    # Oldest first: a package fetched again in a newer version wins.
    for f in sorted(os.listdir(debs), key=lambda f: os.path.getmtime(os.path.join(debs, f))):
        m = re.match(r'^([^_]+)_([^_]+)_arm64\.deb$', f)
        if m and m.group(1) in names:
            got[m.group(1)] = os.path.join(debs, f)
    missing = set(names) - set(got)
    if missing:
        raise RuntimeError('apt-get download gave no .deb for %s' % ', '.join(sorted(missing)))
    return got


def resolve(tree, path):
    """path (absolute inside tree) with symlinks followed inside tree; None if missing."""
    for _ in range(40):
        full = os.path.join(tree, path.lstrip('/'))
        if os.path.islink(full):
            target = os.readlink(full)
            path = target if target.startswith('/') else os.path.normpath(
                os.path.join(os.path.dirname(path), target))
            continue
        return full if os.path.isfile(full) else None
    return None


def elf_needed(path):
    out = run(['readelf', '-dW', path])
    return re.findall(r'\(NEEDED\)\s+Shared library: \[([^\]]+)\]', out)


def elf_interp(path):
    out = run(['readelf', '-lW', path])
    m = re.search(r'Requesting program interpreter: ([^\]]+)\]', out)
    return m.group(1) if m else None


def find_lib(tree, soname):
    for d in ARCH_DIRS:
        found = resolve(tree, '/%s/%s' % (d, soname))
        if found:
            return found
    return None


def closure(tree, binary):
    """The libraries binary loads, from its DT_NEEDED entries, recursively: ({soname: file},
    [(soname, file that needs it)] for those no unpacked package holds)."""
    libs, missing, todo = {}, [], [(n, binary) for n in elf_needed(binary)]
    while todo:
        soname, needer = todo.pop(0)
        if soname in libs or any(m[0] == soname for m in missing):
            continue
        found = find_lib(tree, soname)
        if not found:
            missing.append((soname, needer))
            continue
        libs[soname] = found
        todo.extend((n, found) for n in elf_needed(found))
    return libs, missing


def fetch_all(target, debs, tree):
    """The package and, level by level, every library package its Depends name (recursively).
    Returns {name: version}."""
    seen, level, packages = set(), [target.package], {}
    while level:
        seen.update(level)
        got = download(level, debs)
        nxt = []
        for name, deb in sorted(got.items()):
            run(['dpkg-deb', '-x', deb, tree])
            packages[name] = re.match(r'^[^_]+_([^_]+)_', os.path.basename(deb)).group(1)
            for dep in deps_of(deb):
                if is_library(dep) and dep not in seen and dep not in nxt:
                    nxt.append(dep)
        level = nxt
    return packages


def fetch_lean(target, debs, tree):
    """The package, then only the library packages that hold what its binary loads: for each
    soname still missing, the library Depends of the package whose file needs it. Returns
    {name: version}."""
    packages, owner, deb_of = {}, {}, {}

    def unpack(names):
        for name, deb in sorted(download(names, debs).items()):
            run(['dpkg-deb', '-x', deb, tree])
            deb_of[name] = deb
            packages[name] = re.match(r'^[^_]+_([^_]+)_', os.path.basename(deb)).group(1)
            for line in run(['dpkg-deb', '-c', deb]).splitlines():
                path = line.split(None, 5)[-1].split(' -> ')[0]
                owner[os.path.normpath(path.lstrip('.'))] = name

    unpack([target.package])
    binary = os.path.join(tree, target.binary)
    if not os.path.isfile(binary):
        raise RuntimeError('%s:arm64 has no /%s' % (target.package, target.binary))
    while True:
        _, missing = closure(tree, binary)
        if not missing:
            return packages
        wanted = []
        for soname, needer in missing:
            pkg = owner.get('/' + os.path.relpath(needer, tree))
            deps = deps_of(deb_of[pkg]) if pkg else []
            wanted += [d for d in deps if is_library(d) and d not in packages and d not in wanted]
        if not wanted:
            raise RuntimeError('no package unpacked provides %s (needed by %s)'
                               % (', '.join(m[0] for m in missing), os.path.basename(target.binary)))
        unpack(wanted)


def build(cache, target=QEMU):
    pkg = target.package + ':arm64'
    version = candidate_version(pkg)
    folder = os.path.join(cache, target.folder + '-' + version.replace(':', '_'))
    root = os.path.join(folder, 'root')
    manifest_path = os.path.join(root, target.manifest)
    if os.path.isfile(manifest_path):
        return root
    say('fetching %s %s and its libraries (once; cached in %s)' % (pkg, version, folder))
    os.makedirs(folder, exist_ok=True)
    debs = os.path.join(folder, 'debs')
    os.makedirs(debs, exist_ok=True)
    tree = tempfile.mkdtemp(prefix='unpacked.', dir=folder)
    try:
        packages = (fetch_lean if target.lean else fetch_all)(target, debs, tree)

        binary = os.path.join(tree, target.binary)
        if not os.path.isfile(binary):
            raise RuntimeError('%s has no /%s' % (pkg, target.binary))
        interp = elf_interp(binary)
        interp_file = resolve(tree, interp) if interp else None
        if not interp_file:
            raise RuntimeError('the program interpreter %s is not in the unpacked packages' % interp)
        libs, missing = closure(tree, binary)
        if missing:
            raise RuntimeError('no package unpacked provides %s (needed by %s)'
                               % (missing[0][0], 'QEMU' if target is QEMU else os.path.basename(target.binary)))

        stage = tempfile.mkdtemp(prefix='root.', dir=folder)
        os.makedirs(os.path.join(stage, 'qemu'))
        os.makedirs(os.path.join(stage, 'lib', 'aarch64-linux-gnu'))
        files = [{'path': '/' + target.dest, 'from': '/' + target.binary,
                  'bytes': os.path.getsize(binary)}]
        shutil.copy2(binary, os.path.join(stage, target.dest))
        ld_name = os.path.basename(interp)
        shutil.copy2(interp_file, os.path.join(stage, 'lib', ld_name))
        files.append({'path': '/lib/' + ld_name, 'from': interp, 'bytes': os.path.getsize(interp_file)})
        for soname, src in sorted(libs.items()):
            if soname == ld_name:
                continue
            shutil.copy2(src, os.path.join(stage, 'lib', 'aarch64-linux-gnu', soname))
            files.append({'path': '/lib/aarch64-linux-gnu/' + soname,
                          'from': '/' + os.path.relpath(src, tree), 'bytes': os.path.getsize(src)})
        manifest = {'package': pkg, 'version': version,
                    'packages_unpacked': packages, 'interpreter': interp, 'files': files,
                    'total_bytes': sum(f['bytes'] for f in files)}
        with open(os.path.join(stage, target.manifest), 'w') as f:
            json.dump(manifest, f, indent=1)
        if os.path.exists(root):
            shutil.rmtree(root)
        os.rename(stage, root)
        say('%d files, %.1f MB (binary + loader + libraries)' % (len(files), manifest['total_bytes'] / 1e6))
        return root
    finally:
        shutil.rmtree(tree, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--cache', default=os.environ.get(
        'ARMPASS_CACHE', os.path.join(os.path.expanduser('~'), '.cache', 'armpass')))
    ap.add_argument('--storage-daemon', action='store_true',
                    help='qemu-storage-daemon (qemu-system-common:arm64) instead of qemu-system-aarch64')
    args = ap.parse_args()
    try:
        print(build(args.cache, STORAGE_DAEMON if args.storage_daemon else QEMU))
    except RuntimeError as e:
        say('error: %s' % e)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
