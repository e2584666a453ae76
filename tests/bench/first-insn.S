// SPDX-License-Identifier: GPL-2.0-only
/*
 * The "first guest instruction" probe of the benchmark: a flat arm64 Linux Image (the 64-byte
 * header of Documentation/arm64/booting.rst, so both VMMs load it like a kernel) whose first
 * instructions write '@' to the PL011 data register of the virt board (0x09000000), then ask
 * PSCI for SYSTEM_OFF (function 0x84000008 through hvc #0, the conduit both VMMs describe).
 * Time from VMM start to the '@' on its stdout: start -> first guest instruction; to its exit:
 * the whole life of a minimal VM. scripts/bench.sh builds it with aarch64-linux-gnu-as and
 * objcopy -O binary.
 */
    .text
    .globl _start
_start:
    b       entry               // code0: jump over the header
    .long   0                   // code1
    .quad   0                   // text_offset
    .quad   0x10000             // image_size: 64 KiB
    .quad   0x2                 // flags: little-endian, 4 KiB pages, near the base of RAM
    .quad   0, 0, 0             // res2, res3, res4
    .ascii  "ARM\x64"           // magic
    .long   0                   // res5: no PE header
entry:
    movz    x1, #0x0900, lsl #16
    mov     w0, #'@'
    str     w0, [x1]            // UARTDR: one trapped write, one byte out
    mov     w0, #'\n'
    str     w0, [x1]
    movz    x0, #0x8400, lsl #16
    movk    x0, #0x0008         // PSCI SYSTEM_OFF
    hvc     #0
1:  wfi                         // not reached: SYSTEM_OFF does not return
    b       1b
