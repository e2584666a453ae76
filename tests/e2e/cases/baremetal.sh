#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# e2e case baremetal: -kernel with no Linux. tests/progs' bare-metal program, as an aarch64 ELF
# (linked at 0x40200000) and as a raw binary (the same bytes, objcopy -O binary), prints its
# line on the PL011 and powers off through PSCI SYSTEM_OFF, under armpass and, for comparison,
# under Debian's arm64 QEMU in L1 (run.py --qemu-in-l1). Under armpass: the ELF entered at its
# entry point, the raw binary at RAM + 0x80000, both with x0 = the device tree at the start of
# RAM (docs/user-guide.md, "Booting"), the ELF's second segment in place, exit status 0. Under
# QEMU: the same entry points, its data, exit status 0, and its device tree where QEMU puts it
# (for the ELF at the start of RAM, x0 = 0; for the raw binary at x0). And a Linux program
# handed over as -kernel (L1's busybox: an ELF linked at 0x400000) is one line and status 1.
# shellcheck source=tests/e2e/cases/lib.sh
. /cases/lib.sh
P=/progs
Q=/qemu/qemu-system-aarch64
limit=60
for f in elf bin; do
    [ -f "$P/baremetal-hello.$f" ] ||
        fail "no $P/baremetal-hello.$f in L1 (tests/progs: scripts/build-aarch64.sh builds it)"
done
[ -x $Q ] || fail "no $Q in L1 (run.py --qemu-in-l1)"

# the_line LOG: the program's line in a console log.
the_line() { tr -d '\r' < "$1" | grep -o 'ARMPASS-BAREMETAL: hello .*' | head -n 1; }

# expect WHO LINE KEY=VALUE...: each KEY=VALUE is on the program's line.
expect() {
    _who=$1 _line=$2
    shift 2
    for _kv in "$@"; do
        case " $_line " in
        *" $_kv "*) ;;
        *) fail "$_who: wanted $_kv in: $_line" ;;
        esac
    done
}

for f in elf bin; do
    run_armpass $limit /tmp/bm-armpass-$f.log -M virt,gic-version=3 -smp 1 -m 128M -nographic \
        -kernel $P/baremetal-hello.$f
    [ "$status" = 0 ] || fail "armpass, $f: $(status_reason "$status" $limit)"
    line=$(the_line /tmp/bm-armpass-$f.log)
    [ -n "$line" ] || fail "armpass, $f: the program printed no ARMPASS-BAREMETAL line"
    echo "BAREMETAL-RESULT vmm=armpass format=$f status=$status: $line"
    case $f in
    elf) pc=0x0000000040200000 ;;
    bin) pc=0x0000000040080000 ;;
    esac
    # (bss= is printed, not checked: a fresh guest's RAM reads as zero anyway; test-boot's
    # /boot/elf/open-load checks that the loader zeroes p_memsz past p_filesz.)
    expect "armpass, $f" "$line" pc="$pc" x0=0x0000000040000000 fdt-at-x0=yes \
        fdt-at-ram-base=yes data=ok el=1
done

for f in elf bin; do
    echo "+ $Q ... -kernel $P/baremetal-hello.$f"
    set -o pipefail
    timeout $limit $Q -M virt,gic-version=3 -cpu host -enable-kvm -smp 1 -m 128M -display none \
        -nodefaults -serial stdio -nic none -kernel $P/baremetal-hello.$f 2>&1 |
        tee /tmp/bm-qemu-$f.log
    status=$?
    set +o pipefail
    [ "$status" = 0 ] || fail "QEMU, $f: exited with status $status"
    line=$(the_line /tmp/bm-qemu-$f.log)
    [ -n "$line" ] || fail "QEMU, $f: the program printed no ARMPASS-BAREMETAL line"
    echo "BAREMETAL-RESULT vmm=qemu format=$f status=$status: $line"
    case $f in
    elf) expect "QEMU, $f" "$line" pc=0x0000000040200000 fdt-at-ram-base=yes data=ok el=1 ;;
    bin) expect "QEMU, $f" "$line" pc=0x0000000040080000 fdt-at-x0=yes data=ok el=1 ;;
    esac
done

# A Linux program is no bare-metal one: refused in one line, no guest.
/armpass -M virt -m 128M -nographic -kernel /bin/busybox > /tmp/bm-busybox.txt 2>&1
status=$?
cat /tmp/bm-busybox.txt
[ "$status" = 1 ] || fail "armpass -kernel /bin/busybox exited with status $status, not 1"
[ "$(wc -l < /tmp/bm-busybox.txt)" = 1 ] || fail "armpass -kernel /bin/busybox said more than one line"
grep -q 'below RAM' /tmp/bm-busybox.txt || fail "armpass -kernel /bin/busybox did not say it lies below RAM"
pass
