// SPDX-License-Identifier: GPL-2.0-only
/*
 * mmio-abuse: a hostile guest program for the test bed (L2). It maps one page of device MMIO
 * through /dev/mem and does to it what a buggy or malicious guest might:
 *
 *   mmio-abuse sweep BASE SIZE [WLO WHI]   every width (1, 2, 4, 8 bytes) at every offset of
 *                                           the page, aligned and not, reads everywhere, writes
 *                                           at offsets in [WLO, WHI) and past SIZE (defaults:
 *                                           writes everywhere); unaligned accesses fault in
 *                                           the guest (SIGBUS) and are counted
 *   mmio-abuse random BASE SIZE COUNT SEED [WLO WHI]
 *                                           COUNT accesses of random width, offset (anywhere in
 *                                           the page, so also past SIZE) and direction
 *   mmio-abuse garbage BASE SIZE COUNT SEED COUNT random 32-bit writes inside [0, SIZE)
 *   mmio-abuse nisv BASE                    a load pair, a store pair and a post-indexed load
 *                                           at BASE: accesses KVM cannot decode (no ISV); the
 *                                           VMM must refuse them without dying
 *   mmio-abuse peek BASE OFF                prints the 32-bit register at BASE + OFF
 *   mmio-abuse poke BASE OFF VALUE          writes VALUE to the 32-bit register at BASE + OFF
 *   mmio-abuse read BASE OFF WIDTH COUNT    times COUNT reads of WIDTH bytes at BASE + OFF
 *
 * random also prints ns_per_access (CLOCK_MONOTONIC, nanoseconds per access, mean).
 * BASE is a guest-physical address (bytes), SIZE a length in bytes. Prints one summary line
 * "mmio-abuse: MODE accesses=N sigbus=M" and exits 0; exits 1 on bad arguments or if
 * /dev/mem cannot be mapped. Writes are limited to [WLO, WHI) and the bytes past SIZE so a
 * caller can keep it away from registers with side effects (fw_cfg's DMA address register
 * would make the device DMA to wherever the garbage points).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define PROG_NAME "mmio-abuse"
#include "prog-util.h"
#include <unistd.h>

#define PAGE 4096ul

static sigjmp_buf fault_jmp;
static volatile sig_atomic_t faults;

static void on_fault(int sig)
{
    (void)sig;
    faults++;
    siglongjmp(fault_jmp, 1);
}

static uint64_t rng_state;

static uint64_t rnd(void)
{
    /* xorshift64*: reproducible from the seed, good enough to scatter accesses. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}


/* One access of width 1, 2, 4 or 8 bytes at p; a fault longjmps out of it. */
static void access1(volatile uint8_t *p, unsigned width, int write, uint64_t val)
{
    prog_access(p, width, write, val);
}

static unsigned long size, wlo, whi;

static int write_allowed(unsigned long off, unsigned width)
{
    return (off >= wlo && off + width <= whi) || off >= size;
}

static unsigned long accesses;

/* Does one access, counting it; a guest fault (SIGBUS/SIGSEGV) is counted in faults. */
static void guarded(volatile uint8_t *page, unsigned long off, unsigned width, int write,
                    uint64_t val)
{
    if (off + width > PAGE || (write && !write_allowed(off, width))) {
        return;
    }
    accesses++;
    if (sigsetjmp(fault_jmp, 1) == 0) {
        access1(page + off, width, write, val);
    }
}

static void nisv(volatile uint8_t *p)
{
#if defined(__aarch64__)
    volatile uint64_t a = 0, b = 0;
    volatile uint8_t *volatile q = p;
    if (sigsetjmp(fault_jmp, 1) == 0) {
        accesses++;
        uint64_t x, y;
        __asm__ volatile("ldp %0, %1, [%2]" : "=r"(x), "=r"(y) : "r"(p) : "memory");
        a = x;
        b = y;
    }
    if (sigsetjmp(fault_jmp, 1) == 0) {
        accesses++;
        __asm__ volatile("stp %0, %1, [%2]" : : "r"(a), "r"(b), "r"(p) : "memory");
    }
    if (sigsetjmp(fault_jmp, 1) == 0) {
        accesses++;
        uint64_t x;
        volatile uint8_t *r = q;
        __asm__ volatile("ldr %w0, [%1], #4" : "=r"(x), "+r"(r) : : "memory");
        a = x;
    }
#else
    (void)p;
    fprintf(stderr, "mmio-abuse: nisv needs aarch64\n");
    exit(1);
#endif
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: mmio-abuse sweep|random|garbage|nisv BASE [SIZE ...]\n");
        return 1;
    }
    const char *mode = argv[1];
    unsigned long base = parse_num(argv[2], "BASE");
    int a = 3;
    size = PAGE;
    unsigned long count = 0;
    unsigned long off = 0, value = 0;
    unsigned width = 4;
    if (!strcmp(mode, "read")) {
        if (argc < 6) {
            fprintf(stderr, "mmio-abuse: read needs OFF WIDTH COUNT\n");
            return 1;
        }
        off = parse_num(argv[3], "OFF");
        width = (unsigned)parse_num(argv[4], "WIDTH");
        count = parse_num(argv[5], "COUNT");
        if ((width != 1 && width != 2 && width != 4 && width != 8) || off > PAGE - width ||
            off % width) {
            fprintf(stderr, "mmio-abuse: WIDTH must be 1, 2, 4 or 8 and OFF aligned to it\n");
            return 1;
        }
    } else if (!strcmp(mode, "peek") || !strcmp(mode, "poke")) {
        if (argc < (mode[1] == 'e' ? 4 : 5)) {
            fprintf(stderr, "mmio-abuse: %s needs OFF%s\n", mode, mode[1] == 'e' ? "" : " VALUE");
            return 1;
        }
        off = parse_num(argv[3], "OFF");
        if (mode[1] == 'o') {
            value = parse_num(argv[4], "VALUE");
        }
        if (off > PAGE - 4 || (off & 3)) {
            fprintf(stderr, "mmio-abuse: OFF must be 4-byte aligned and inside the page\n");
            return 1;
        }
    } else if (strcmp(mode, "nisv") != 0) {
        if (argc < 4) {
            fprintf(stderr, "mmio-abuse: %s needs SIZE\n", mode);
            return 1;
        }
        size = parse_num(argv[a++], "SIZE");
    }
    if (!strcmp(mode, "random") || !strcmp(mode, "garbage")) {
        if (argc < a + 2) {
            fprintf(stderr, "mmio-abuse: %s needs COUNT SEED\n", mode);
            return 1;
        }
        count = parse_num(argv[a++], "COUNT");
        rng_state = parse_num(argv[a++], "SEED") | 1;
    }
    wlo = 0;
    whi = size;
    if (argc >= a + 2) {
        wlo = parse_num(argv[a], "WLO");
        whi = parse_num(argv[a + 1], "WHI");
    }
    if ((base & (PAGE - 1)) || size == 0 || size > PAGE) {
        fprintf(stderr, "mmio-abuse: BASE must be page-aligned and SIZE in 1..4096\n");
        return 1;
    }

    int fd = open("/dev/mem", O_RDWR | O_SYNC);
    if (fd < 0) {
        fprintf(stderr, "mmio-abuse: /dev/mem: %s (the kernel needs CONFIG_DEVMEM)\n",
                strerror(errno));
        return 1;
    }
    volatile uint8_t *page = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)base);
    if (page == MAP_FAILED) {
        fprintf(stderr, "mmio-abuse: mmap of /dev/mem at 0x%lx: %s\n", base, strerror(errno));
        return 1;
    }
    struct sigaction sa = { .sa_handler = on_fault, .sa_flags = SA_NODEFER };
    sigaction(SIGBUS, &sa, NULL);
    sigaction(SIGSEGV, &sa, NULL);

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (!strcmp(mode, "peek")) {
        printf("mmio-abuse: peek 0x%lx = 0x%08x\n", base + off, *(volatile uint32_t *)(page + off));
        return 0;
    } else if (!strcmp(mode, "poke")) {
        *(volatile uint32_t *)(page + off) = (uint32_t)value;
        return 0;
    } else if (!strcmp(mode, "read")) {
        for (unsigned long i = 0; i < count; i++) {
            accesses++;
            access1(page + off, width, 0, 0);
        }
    } else if (!strcmp(mode, "sweep")) {
        for (unsigned width = 1; width <= 8; width <<= 1) {
            for (unsigned long off = 0; off + width <= PAGE; off++) {
                guarded(page, off, width, 0, 0);
                guarded(page, off, width, 1, 0xa5a5a5a5a5a5a5a5ull ^ off);
            }
        }
    } else if (!strcmp(mode, "random")) {
        for (unsigned long i = 0; i < count; i++) {
            uint64_t r = rnd();
            unsigned width = 1u << (r & 3);
            unsigned long off = (r >> 2) % PAGE;
            guarded(page, off, width, (int)((r >> 20) & 1), rnd());
        }
    } else if (!strcmp(mode, "garbage")) {
        for (unsigned long i = 0; i < count; i++) {
            unsigned long off = (rnd() % size) & ~3ul;
            guarded(page, off, 4, 1, rnd());
        }
    } else if (!strcmp(mode, "nisv")) {
        nisv(page);
    } else {
        fprintf(stderr, "mmio-abuse: unknown mode %s\n", mode);
        return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ns = (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);
    printf("mmio-abuse: %s accesses=%lu sigbus=%ld ns_per_access=%.0f\n", mode, accesses,
           (long)faults, accesses ? ns / (double)accesses : 0.0);
    return 0;
}
