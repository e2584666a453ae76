// SPDX-License-Identifier: GPL-2.0-only
/*
 * pci-abuse: a hostile guest program for the test bed (L2) against a passed-through PCI device.
 * DEV is the device's sysfs folder (/sys/bus/pci/devices/0000:00:01.0); its driver should be
 * unbound first. Config space goes through DEV/config, BARs through /dev/mem.
 *
 *   pci-abuse place DEV ROUNDS ADDR...   ROUNDS times, for each ADDR (a guest-physical address,
 *                                        or "ram": a page of this program's own memory, filled
 *                                        with a pattern and locked): memory decode off, BAR 0
 *                                        := ADDR, decode on. After every placement the pattern
 *                                        page must still read back its pattern (a BAR must never
 *                                        shadow RAM). Restores BAR 0 and the command register.
 *   pci-abuse toggle DEV COUNT           COUNT writes of the command register cycling memory
 *                                        decode and bus mastering on and off; restores it.
 *   pci-abuse msix DEV SEED              MSI-X on with the function masked, garbage in every
 *                                        table entry (address, data, vector control: unmasked),
 *                                        function unmasked, garbage written to the PBA, vectors
 *                                        masked and unmasked; then every width (1, 2, 4, 8) at
 *                                        every offset (aligned and not) of the table and the PBA
 *                                        and of 256 bytes past each, and of the last 64 bytes of
 *                                        their pages, reads and garbage writes; MSI-X off again.
 *
 * Prints "pci-abuse: MODE ..." summary lines; exits 0 when done, 1 on bad arguments or when
 * something it needs cannot be opened, 2 when the RAM pattern did not read back.
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
#include <unistd.h>

#define PROG_NAME "pci-abuse"
#include "prog-util.h"

#define PAGE 4096ul
#define PCI_COMMAND 0x04
#define PCI_CMD_MEM 0x2
#define PCI_CMD_MASTER 0x4
#define PCI_BAR0 0x10
#define PCI_CAP_PTR 0x34
#define CAP_MSIX 0x11

static int cfg_fd;
static const char *dev;

static uint32_t cfg_read(unsigned off, unsigned width)
{
    uint32_t v = 0;
    if (pread(cfg_fd, &v, width, off) != (ssize_t)width) {
        die("%s/config: read of %u bytes at 0x%x: %s", dev, width, off, strerror(errno));
    }
    return v;
}

static void cfg_write(unsigned off, unsigned width, uint32_t v)
{
    if (pwrite(cfg_fd, &v, width, off) != (ssize_t)width) {
        die("%s/config: write of %u bytes at 0x%x: %s", dev, width, off, strerror(errno));
    }
}

static uint64_t rng_state = 1;

static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}

/* BAR n's start and size as the guest kernel assigned them (DEV/resource). */
static void bar_resource(unsigned n, uint64_t *start, uint64_t *size)
{
    char path[512], line[256];
    snprintf(path, sizeof(path), "%s/resource", dev);
    FILE *f = fopen(path, "r");
    if (!f) {
        die("%s: %s", path, strerror(errno));
    }
    *start = *size = 0;
    for (unsigned i = 0; fgets(line, sizeof(line), f); i++) {
        unsigned long long s, e, fl;
        if (i == n && sscanf(line, "%llx %llx %llx", &s, &e, &fl) == 3 && e) {
            *start = s;
            *size = e - s + 1;
        }
    }
    fclose(f);
}

/* The physical address of the page at p (root: /proc/self/pagemap gives PFNs). */
static uint64_t phys_of(void *p)
{
    int fd = open("/proc/self/pagemap", O_RDONLY);
    uint64_t e = 0;
    if (fd < 0 || pread(fd, &e, 8, (off_t)((uintptr_t)p / PAGE * 8)) != 8) {
        die("/proc/self/pagemap: %s", strerror(errno));
    }
    close(fd);
    if (!(e >> 63) || !(e & ((1ull << 55) - 1))) {
        die("pagemap gives no PFN for the pattern page (not root?)");
    }
    return (e & ((1ull << 55) - 1)) * PAGE;
}

static volatile uint64_t *ram;
static uint64_t ram_seed;

static void ram_fill(uint64_t seed)
{
    ram_seed = seed;
    for (unsigned i = 0; i < PAGE / 8; i++) {
        ram[i] = seed ^ (i * 0x9e3779b97f4a7c15ull);
    }
}

/* Whether the pattern page still holds its pattern. */
static int ram_ok(void)
{
    for (unsigned i = 0; i < PAGE / 8; i++) {
        if (ram[i] != (ram_seed ^ (i * 0x9e3779b97f4a7c15ull))) {
            return 0;
        }
    }
    return 1;
}

static int mode_place(int argc, char **argv)
{
    if (argc < 2) {
        die("place needs ROUNDS ADDR...");
    }
    unsigned long rounds = parse_num(argv[0], "ROUNDS");
    ram = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (ram == MAP_FAILED || mlock((void *)ram, PAGE) != 0) {
        die("a locked page of RAM: %s", strerror(errno));
    }
    ram_fill(0x5a5a0000a5a5ffffull);
    uint64_t ram_phys = phys_of((void *)ram);
    uint16_t cmd = (uint16_t)cfg_read(PCI_COMMAND, 2);
    uint32_t lo0 = cfg_read(PCI_BAR0, 4), hi0 = 0;
    int is64 = (lo0 & 0x7) == 0x4;
    if (is64) {
        hi0 = cfg_read(PCI_BAR0 + 4, 4);
    }
    uint64_t start, size;
    bar_resource(0, &start, &size);
    printf("pci-abuse: place: BAR 0 at 0x%" PRIx64 " (0x%" PRIx64 " bytes, %s-bit), pattern page at "
           "0x%" PRIx64 ", command 0x%x\n", start, size, is64 ? "64" : "32", ram_phys, cmd);
    unsigned long placements = 0, bad = 0;
    for (unsigned long r = 0; r < rounds; r++) {
        for (int i = 1; i < argc; i++) {
            uint64_t a = strcmp(argv[i], "ram") ? parse_num(argv[i], "ADDR") : ram_phys;
            cfg_write(PCI_COMMAND, 2, cmd & ~PCI_CMD_MEM);
            cfg_write(PCI_BAR0, 4, (uint32_t)a);
            if (is64) {
                cfg_write(PCI_BAR0 + 4, 4, (uint32_t)(a >> 32));
            }
            cfg_write(PCI_COMMAND, 2, cmd | PCI_CMD_MEM);
            placements++;
            int ok = ram_ok();
            ram_fill(rnd());   /* and a fresh pattern must stick too */
            ok = ok && ram_ok();
            if (!ok) {
                bad++;
            }
            if (r == 0) {
                uint64_t got = cfg_read(PCI_BAR0, 4) & ~0xfull;
                if (is64) {
                    got |= (uint64_t)cfg_read(PCI_BAR0 + 4, 4) << 32;
                }
                printf("pci-abuse: place %s: BAR 0 := 0x%" PRIx64 ", reads back 0x%" PRIx64
                       ", RAM pattern %s\n", argv[i], a, got, ok ? "intact" : "CHANGED");
            }
        }
    }
    cfg_write(PCI_COMMAND, 2, cmd & ~PCI_CMD_MEM);
    cfg_write(PCI_BAR0, 4, lo0);
    if (is64) {
        cfg_write(PCI_BAR0 + 4, 4, hi0);
    }
    cfg_write(PCI_COMMAND, 2, cmd);
    printf("pci-abuse: place placements=%lu ram_changed=%lu restored=0x%" PRIx64 "\n", placements,
           bad, ((uint64_t)hi0 << 32 | lo0) & ~(uint64_t)0xf);
    return bad ? 2 : 0;
}

static int mode_toggle(int argc, char **argv)
{
    if (argc < 1) {
        die("toggle needs COUNT");
    }
    unsigned long count = parse_num(argv[0], "COUNT");
    uint16_t cmd = (uint16_t)cfg_read(PCI_COMMAND, 2);
    static const uint16_t bits[] = { 0, PCI_CMD_MEM, PCI_CMD_MASTER, PCI_CMD_MEM | PCI_CMD_MASTER,
                                     PCI_CMD_MASTER, 0, PCI_CMD_MEM };
    for (unsigned long i = 0; i < count; i++) {
        uint16_t b = bits[i % (sizeof(bits) / sizeof(bits[0]))];
        cfg_write(PCI_COMMAND, 2, (cmd & ~(PCI_CMD_MEM | PCI_CMD_MASTER)) | b);
    }
    cfg_write(PCI_COMMAND, 2, cmd);
    printf("pci-abuse: toggle writes=%lu command=0x%x\n", count, (unsigned)cfg_read(PCI_COMMAND, 2));
    return 0;
}

static sigjmp_buf fault_jmp;
static volatile sig_atomic_t faults;

static void on_fault(int sig)
{
    (void)sig;
    faults++;
    siglongjmp(fault_jmp, 1);
}

static unsigned long accesses;

static void access1(volatile uint8_t *p, unsigned width, int write, uint64_t val)
{
    accesses++;
    if (sigsetjmp(fault_jmp, 1) != 0) {
        return;
    }
    prog_access(p, width, write, val);
}

static volatile uint8_t *map_page(int memfd, uint64_t phys)
{
    void *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, (off_t)(phys & ~(PAGE - 1)));
    if (p == MAP_FAILED) {
        die("mmap of /dev/mem at 0x%" PRIx64 ": %s", phys, strerror(errno));
    }
    return p;
}

/* Every width at every offset of the page below lim (the table or PBA and 256 bytes past its
 * end) and in its last 64 bytes, reads and (garbage) writes. (The whole page would be 65536
 * trapped accesses: too slow under nested TCG for what it adds.) */
static void sweep(volatile uint8_t *page, unsigned long lim)
{
    for (unsigned width = 1; width <= 8; width <<= 1) {
        for (unsigned long off = 0; off + width <= PAGE; off++) {
            if (off >= lim && off < PAGE - 64) {
                continue;
            }
            access1(page + off, width, 0, 0);
            access1(page + off, width, 1, rnd());
        }
    }
}

static int mode_msix(int argc, char **argv)
{
    if (argc < 1) {
        die("msix needs SEED");
    }
    rng_state = parse_num(argv[0], "SEED") | 1;
    unsigned cap = 0;
    if (cfg_read(0x06, 2) & 0x10) {
        for (unsigned p = cfg_read(PCI_CAP_PTR, 1) & ~3u, n = 0; p && n < 48; n++) {
            if (cfg_read(p, 1) == CAP_MSIX) {
                cap = p;
                break;
            }
            p = cfg_read(p + 1, 1) & ~3u;
        }
    }
    if (!cap) {
        die("%s has no MSI-X capability", dev);
    }
    uint16_t ctrl = (uint16_t)cfg_read(cap + 2, 2);
    unsigned nvec = (ctrl & 0x7ff) + 1;
    uint32_t tbl = cfg_read(cap + 4, 4), pba = cfg_read(cap + 8, 4);
    uint64_t tbar, tsize, pbar, psize;
    bar_resource(tbl & 7, &tbar, &tsize);
    bar_resource(pba & 7, &pbar, &psize);
    uint64_t taddr = tbar + (tbl & ~7u), paddr = pbar + (pba & ~7u);
    printf("pci-abuse: msix: %u vectors, table at 0x%" PRIx64 " (BAR %u), PBA at 0x%" PRIx64
           " (BAR %u)\n", nvec, taddr, tbl & 7, paddr, pba & 7);
    uint16_t cmd = (uint16_t)cfg_read(PCI_COMMAND, 2);
    cfg_write(PCI_COMMAND, 2, cmd | PCI_CMD_MEM | PCI_CMD_MASTER);

    int memfd = open("/dev/mem", O_RDWR | O_SYNC);
    if (memfd < 0) {
        die("/dev/mem: %s (the kernel needs CONFIG_DEVMEM)", strerror(errno));
    }
    struct sigaction sa = { .sa_handler = on_fault, .sa_flags = SA_NODEFER };
    sigaction(SIGBUS, &sa, NULL);
    sigaction(SIGSEGV, &sa, NULL);

    /* Enabled with the function masked, garbage in every entry, each vector unmasked. */
    cfg_write(cap + 2, 2, 0xc000);
    unsigned long entries = 0;
    for (unsigned v = 0; v < nvec; v++) {
        uint64_t e = taddr + v * 16ull;
        volatile uint8_t *pg = map_page(memfd, e);
        volatile uint32_t *w = (volatile uint32_t *)(pg + (e & (PAGE - 1)));
        w[0] = (uint32_t)rnd();
        w[1] = (uint32_t)rnd();
        w[2] = (uint32_t)rnd();
        w[3] = (uint32_t)rnd() & ~1u;   /* unmasked */
        munmap((void *)pg, PAGE);
        entries++;
    }
    cfg_write(cap + 2, 2, 0x8000);       /* function unmasked: garbage messages live */
    volatile uint8_t *pp = map_page(memfd, paddr);
    for (unsigned i = 0; i < (nvec + 63) / 64 * 8; i += 4) {
        /* access1: one plain store each (a loop of stores through a pointer may compile to
         * post-indexed stores, which KVM cannot decode: not what this step is about). */
        access1(pp + (paddr & (PAGE - 1)) + i, 4, 1, rnd());
    }
    /* Mask and unmask every vector a few times, and flip the function mask. */
    for (unsigned round = 0; round < 4; round++) {
        for (unsigned v = 0; v < nvec; v++) {
            uint64_t e = taddr + v * 16ull + 12;
            volatile uint8_t *pg = map_page(memfd, e);
            *(volatile uint32_t *)(pg + (e & (PAGE - 1))) = round & 1;
            munmap((void *)pg, PAGE);
        }
        cfg_write(cap + 2, 2, (round & 1) ? 0xc000 : 0x8000);
    }
    printf("pci-abuse: msix garbage entries=%lu pba_writes=%u\n", entries, (nvec + 63) / 64 * 2);

    /* Odd accesses to the trapped pages: the table's (every page of it) and the PBA's. */
    unsigned long pages = 0;
    uint64_t tend = taddr + nvec * 16ull;
    for (uint64_t a = taddr & ~(PAGE - 1); a < tend; a += PAGE) {
        volatile uint8_t *pg = map_page(memfd, a);
        uint64_t used = tend - a < PAGE ? tend - a : PAGE;
        sweep(pg, used + 256);
        munmap((void *)pg, PAGE);
        pages++;
    }
    if ((paddr & ~(PAGE - 1)) >= tend || (paddr & ~(PAGE - 1)) < (taddr & ~(PAGE - 1))) {
        sweep(pp, (paddr & (PAGE - 1)) + (nvec + 63) / 64 * 8 + 256);
        pages++;
    }
    munmap((void *)pp, PAGE);
    cfg_write(cap + 2, 2, ctrl & ~0xc000);   /* MSI-X off */
    cfg_write(PCI_COMMAND, 2, cmd);
    printf("pci-abuse: msix sweep pages=%lu accesses=%lu sigbus=%ld\n", pages, accesses, (long)faults);
    close(memfd);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: pci-abuse place|toggle|msix DEV ...\n");
        return 1;
    }
    dev = argv[2];
    char path[512];
    snprintf(path, sizeof(path), "%s/config", dev);
    cfg_fd = open(path, O_RDWR);
    if (cfg_fd < 0) {
        die("%s: %s", path, strerror(errno));
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (!strcmp(argv[1], "place")) {
        return mode_place(argc - 3, argv + 3);
    } else if (!strcmp(argv[1], "toggle")) {
        return mode_toggle(argc - 3, argv + 3);
    } else if (!strcmp(argv[1], "msix")) {
        return mode_msix(argc - 3, argv + 3);
    }
    die("unknown mode %s", argv[1]);
}
