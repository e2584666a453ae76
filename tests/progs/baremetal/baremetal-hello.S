// SPDX-License-Identifier: GPL-2.0-only
/*
 * A bare-metal aarch64 test program for -kernel's ELF and raw-binary paths: no header, no
 * library, MMU off, nothing but the virt board's PL011 (data register at 0x09000000, flag
 * register at +0x18) and PSCI through hvc #0 (SMC Calling Convention, function id in x0).
 * It prints one line and powers off:
 *
 *   ARMPASS-BAREMETAL: hello pc=0x... x0=0x... fdt-at-x0=yes|no|none fdt-at-ram-base=yes|no
 *                      bss=zero|dirty data=ok|bad el=N
 *
 * pc: where its first instruction ran (the ELF's entry point, or where a raw binary was loaded);
 * x0: what the VMM passed; fdt-at-x0 / fdt-at-ram-base: whether a flattened device tree's magic
 * (0xd00dfeed, big-endian, Devicetree Specification 5.2) is at x0 / at RAM's base 0x40000000
 * ("none": x0 is 0); bss: whether its 4 KiB .bss reads as zero (the ELF loader zeroes p_memsz
 * past p_filesz); data: whether the word in its second loadable segment (.data, 64 KiB above
 * .text) holds what the linker put there; el: CurrentEL. Then PSCI SYSTEM_OFF (0x84000008,
 * Arm DEN0022 5.1.10); if that returns, SYSTEM_OFF failed: it prints so and spins.
 *
 * One link, two files (tests/progs/meson.build): baremetal-hello.elf, linked at 0x40200000 by
 * baremetal.ld (2 MiB into RAM: QEMU puts its device tree for an ELF at RAM's base only when
 * it fits below the ELF, and QEMU's tree is 1 MiB), and baremetal-hello.bin, its objcopy -O
 * binary, which a VMM loads at RAM base + 0x80000 = 0x40080000. The same bytes run at both
 * addresses: the code reaches its data PC-relatively (adr, adrp; the two places differ by a
 * multiple of 4 KiB, so adrp's pages line up). Only general-purpose registers (CPACR_EL1 traps
 * FP/SIMD at reset) and aligned word accesses (with the MMU off every access is Device memory).
 */
#define UART_BASE   0x09000000
#define UART_FR     0x18
#define UART_TXFF   (1 << 5)
#define RAM_BASE    0x40000000
#define FDT_MAGIC_LE 0xedfe0dd0   /* d0 0d fe ed read as a little-endian word */
#define PSCI_SYSTEM_OFF 0x84000008

    .section .text.start, "ax"
    .globl _start
_start:
    mov     x19, x0                 // the device tree's address, as the VMM gave it
    adr     x20, _start             // where we run
    mrs     x21, CurrentEL
    lsr     x21, x21, #2
    movz    x22, #(UART_BASE >> 16), lsl #16

    adr     x0, s_hello
    bl      puts
    adr     x0, s_pc
    bl      puts
    mov     x0, x20
    bl      puthex
    adr     x0, s_x0
    bl      puts
    mov     x0, x19
    bl      puthex

    adr     x0, s_fdt_x0
    bl      puts
    adr     x0, s_none
    cbz     x19, 1f
    mov     x0, x19
    bl      is_fdt
1:  bl      puts

    adr     x0, s_fdt_ram
    bl      puts
    movz    x0, #(RAM_BASE >> 16), lsl #16
    bl      is_fdt
    bl      puts

    adr     x0, s_bss
    bl      puts
    adrp    x1, bss_start
    add     x1, x1, :lo12:bss_start
    adrp    x2, bss_end
    add     x2, x2, :lo12:bss_end
    adr     x0, s_zero
2:  cmp     x1, x2
    b.hs    3f
    ldr     x3, [x1], #8
    cbz     x3, 2b
    adr     x0, s_dirty
3:  bl      puts

    adr     x0, s_data
    bl      puts
    adrp    x1, data_word
    ldr     w1, [x1, :lo12:data_word]
    ldr     w2, =0x600dda7a
    adr     x0, s_ok
    cmp     w1, w2
    b.eq    4f
    adr     x0, s_bad
4:  bl      puts

    adr     x0, s_el
    bl      puts
    add     w0, w21, #'0'
    bl      putc
    mov     w0, #'\n'
    bl      putc

    movz    x0, #(PSCI_SYSTEM_OFF >> 16), lsl #16
    movk    x0, #(PSCI_SYSTEM_OFF & 0xffff)
    hvc     #0
    adr     x0, s_off_failed        // SYSTEM_OFF returned: say so, then spin
    bl      puts
5:  wfi
    b       5b

// is_fdt(x0 = address, 4-byte aligned or not checked): x0 = s_yes or s_no
is_fdt:
    tst     x0, #3
    b.ne    1f
    ldr     w1, [x0]
    ldr     w2, =FDT_MAGIC_LE
    cmp     w1, w2
    b.ne    1f
    adr     x0, s_yes
    ret
1:  adr     x0, s_no
    ret

// putc(w0): one byte to the PL011, once its transmit FIFO has room. Uses x9.
putc:
1:  ldr     w9, [x22, #UART_FR]
    tbnz    w9, #5, 1b
    str     w0, [x22]
    ret

// puts(x0 = NUL-terminated string). Uses x9-x11, x30 saved in x12.
puts:
    mov     x12, x30
    mov     x10, x0
1:  ldrb    w0, [x10], #1
    cbz     w0, 2f
    bl      putc
    b       1b
2:  mov     x30, x12
    ret

// puthex(x0): "0x" and 16 hex digits. Uses x9-x14.
puthex:
    mov     x13, x30
    mov     x11, x0
    mov     w0, #'0'
    bl      putc
    mov     w0, #'x'
    bl      putc
    mov     x14, #60
1:  lsr     x10, x11, x14
    and     w10, w10, #0xf
    add     w0, w10, #'0'
    cmp     w10, #10
    b.lo    2f
    add     w0, w10, #('a' - 10)
2:  bl      putc
    subs    x14, x14, #4
    b.pl    1b
    mov     x30, x13
    ret

    .ltorg
    .balign 4
s_hello:    .asciz "ARMPASS-BAREMETAL: hello"
s_pc:       .asciz " pc="
s_x0:       .asciz " x0="
s_fdt_x0:   .asciz " fdt-at-x0="
s_fdt_ram:  .asciz " fdt-at-ram-base="
s_bss:      .asciz " bss="
s_data:     .asciz " data="
s_el:       .asciz " el="
s_yes:      .asciz "yes"
s_no:       .asciz "no"
s_none:     .asciz "none"
s_zero:     .asciz "zero"
s_dirty:    .asciz "dirty"
s_ok:       .asciz "ok"
s_bad:      .asciz "bad"
s_off_failed: .asciz "ARMPASS-BAREMETAL: PSCI SYSTEM_OFF returned\n"

    .data
    .balign 8
data_word:  .word 0x600dda7a
    .word 0

    .bss
    .balign 8
bss_start:
    .skip 4096
bss_end:
