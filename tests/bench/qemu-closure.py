#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Fetches Debian's arm64 QEMU and the libraries it loads into a tree that the benchmark puts into L1.

usage: qemu-closure.py [--cache DIR]

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


def build(cache):
    version = candidate_version('qemu-system-arm:arm64')
    folder = os.path.join(cache, 'qemu-arm64-' + version.replace(':', '_'))
    root = os.path.join(folder, 'root')
    manifest_path = os.path.join(root, 'qemu', 'manifest.json')
    if os.path.isfile(manifest_path):
        return root
    say('fetching qemu-system-arm:arm64 %s and its libraries (once; cached in %s)' % (version, folder))
    os.makedirs(folder, exist_ok=True)
    debs = os.path.join(folder, 'debs')
    os.makedirs(debs, exist_ok=True)
    tree = tempfile.mkdtemp(prefix='unpacked.', dir=folder)
    try:
        seen, level, packages = set(), ['qemu-system-arm'], {}
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

        binary = os.path.join(tree, BINARY)
        if not os.path.isfile(binary):
            raise RuntimeError('qemu-system-arm:arm64 has no /%s' % BINARY)
        interp = elf_interp(binary)
        interp_file = resolve(tree, interp) if interp else None
        if not interp_file:
            raise RuntimeError('the program interpreter %s is not in the unpacked packages' % interp)
        libs, todo = {}, list(elf_needed(binary))
        while todo:
            soname = todo.pop(0)
            if soname in libs:
                continue
            found = None
            for d in ARCH_DIRS:
                found = resolve(tree, '/%s/%s' % (d, soname))
                if found:
                    break
            if not found:
                raise RuntimeError('no package unpacked provides %s (needed by QEMU)' % soname)
            libs[soname] = found
            todo.extend(elf_needed(found))

        stage = tempfile.mkdtemp(prefix='root.', dir=folder)
        os.makedirs(os.path.join(stage, 'qemu'))
        os.makedirs(os.path.join(stage, 'lib', 'aarch64-linux-gnu'))
        files = [{'path': '/qemu/qemu-system-aarch64', 'from': '/' + BINARY,
                  'bytes': os.path.getsize(binary)}]
        shutil.copy2(binary, os.path.join(stage, 'qemu', 'qemu-system-aarch64'))
        ld_name = os.path.basename(interp)
        shutil.copy2(interp_file, os.path.join(stage, 'lib', ld_name))
        files.append({'path': '/lib/' + ld_name, 'from': interp, 'bytes': os.path.getsize(interp_file)})
        for soname, src in sorted(libs.items()):
            if soname == ld_name:
                continue
            shutil.copy2(src, os.path.join(stage, 'lib', 'aarch64-linux-gnu', soname))
            files.append({'path': '/lib/aarch64-linux-gnu/' + soname,
                          'from': '/' + os.path.relpath(src, tree), 'bytes': os.path.getsize(src)})
        manifest = {'package': 'qemu-system-arm:arm64', 'version': version,
                    'packages_unpacked': packages, 'interpreter': interp, 'files': files,
                    'total_bytes': sum(f['bytes'] for f in files)}
        with open(os.path.join(stage, 'qemu', 'manifest.json'), 'w') as f:
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
    args = ap.parse_args()
    try:
        print(build(args.cache))
    except RuntimeError as e:
        say('error: %s' % e)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
