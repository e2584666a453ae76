#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The benchmark's TCP peer on the host: one connection per run, its socket on stdin and stdout.

L0's user-mode network starts it for each connection a guest makes to 10.0.2.100:7000
(tests/testbed/run.py --net-peer: a guestfwd rule with "cmd:"); tcp-xfer bench in L1 or L2
(tests/progs/tcp-xfer.c) is the other end. The first line is the request:
  SOURCE N   sends N bytes, then closes
  SINK N     reads until N bytes (or EOF) came, answers "OK <bytes read>\\n", closes
  ECHO       sends back whatever it reads until EOF
Writes nothing else: stderr is the same socket.
"""
import os
import signal
import sys

CHUNK = 1 << 16


def write_all(data):
    view = memoryview(data)
    while view:
        view = view[os.write(1, view):]


def main():
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    line = b''
    while not line.endswith(b'\n'):
        c = os.read(0, 1)
        if not c or len(line) > 64:
            return 1
        line += c
    words = line.split()
    if len(words) == 2 and words[0] == b'SOURCE':
        left = int(words[1])
        block = b'\xa5' * CHUNK
        while left > 0:
            n = os.write(1, block[:min(left, CHUNK)])
            left -= n
        return 0
    if len(words) == 2 and words[0] == b'SINK':
        want, got = int(words[1]), 0
        while got < want:
            data = os.read(0, CHUNK)
            if not data:
                break
            got += len(data)
        write_all(b'OK %d\n' % got)
        return 0
    if words == [b'ECHO']:
        while True:
            data = os.read(0, CHUNK)
            if not data:
                return 0
            write_all(data)
    return 1


if __name__ == '__main__':
    sys.exit(main())
