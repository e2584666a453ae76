// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench-kvm-exit: the cost of a bare KVM MMIO exit round trip (guest access -> KVM_RUN
 * returns KVM_EXIT_MMIO to this process -> KVM_RUN again), with no VMM around it. It is the
 * baseline of the benchmark's trapped-MMIO figure: what armpass adds to a trapped access is
 * what it costs beyond this (and beyond the pread it forwards the access with).
 *
 *   bench-kvm-exit EXITS BATCHES load|store [nogic] [mmu] [timer]
 *
 * Builds the smallest arm64 VM that KVM runs (Documentation/virt/kvm/api.rst: KVM_CREATE_VM,
 * KVM_SET_USER_MEMORY_REGION, KVM_CREATE_VCPU, KVM_ARM_PREFERRED_TARGET, KVM_ARM_VCPU_INIT,
 * KVM_SET_ONE_REG, KVM_RUN; Documentation/virt/kvm/devices/arm-vgic-v3.rst for the vGIC): one
 * vCPU, one 64 KiB memslot holding a two-instruction loop, "ldr w1, [x2]" (or "str w1, [x2]")
 * and "b .-4", with x2 an address no memslot covers. Every iteration of the loop is one
 * KVM_EXIT_MMIO. The VM has an in-kernel vGICv3 like armpass's, so a world switch saves and
 * restores the same GIC state; "nogic" leaves it out. The loop runs at EL1 with the MMU off;
 * with "mmu" it runs with the MMU and caches on, through an identity map of 1 GiB blocks
 * (Device-nGnRnE below 1 GiB, Normal write-back above; ARM DDI 0487, D8 "The AArch64 Virtual
 * Memory System Architecture"): closer to a Linux guest, whose accesses are translated twice,
 * by its own tables and by stage 2. With "timer" the guest's virtual timer is armed (enabled,
 * compare value an hour ahead, so it never fires), as a running Linux guest's always is.
 *
 * Times BATCHES batches of EXITS round trips with CLOCK_MONOTONIC. Prints one line,
 *   BENCH-KVM-EXIT {"access": "load", "gic": true, "mmu": false, "timer": false, "exits": 2000,
 *                   "other_returns": 0, "ns_per_exit": [...]}
 * (ns per round trip, one value per batch). Exit status 0; 1 with a message on stderr when KVM
 * cannot run the VM (no /dev/kvm, not an arm64 host, an exit that is not the expected MMIO).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvm.h>

#define PROG_NAME "bench-kvm-exit"
#include "prog-util.h"

#define CODE_BASE 0x40000000ull   /* guest-physical, where the loop runs */
#define CODE_SIZE 0x10000ull
#define MMIO_ADDR 0x10000000ull   /* no memslot: every access exits */
#define GICD_BASE 0x08000000ull
#define GICR_BASE 0x080a0000ull
#define PT_OFFSET 0x1000ull       /* the level-1 table, inside the memslot */

/* A count from the command line: a number above zero. */
static unsigned long parse_count(const char *s, const char *what)
{
    unsigned long v = parse_num(s, what);
    if (v == 0) {
        die("%s: not a positive number: %s", what, s);
    }
    return v;
}

#if defined(__aarch64__)
static uint64_t ns_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int xioctl(int fd, unsigned long req, void *arg, const char *what)
{
    int r = ioctl(fd, req, arg);
    if (r < 0) {
        die("%s: %s", what, strerror(errno));
    }
    return r;
}

static void set_reg(int vcpu, uint64_t id, uint64_t value, const char *what)
{
    struct kvm_one_reg reg = { .id = id, .addr = (uint64_t)(uintptr_t)&value };
    xioctl(vcpu, KVM_SET_ONE_REG, &reg, what);
}

#define CORE_REG(field) \
    (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | KVM_REG_ARM_CORE_REG(field))

static uint64_t get_reg(int vcpu, uint64_t id, const char *what)
{
    uint64_t value = 0;
    struct kvm_one_reg reg = { .id = id, .addr = (uint64_t)(uintptr_t)&value };
    xioctl(vcpu, KVM_GET_ONE_REG, &reg, what);
    return value;
}

/* An identity map of the first 4 GiB with 4 KiB granules and a 39-bit VA space, so the walk
 * starts at level 1, where each entry maps a 1 GiB block: block 0 (the MMIO address) as
 * Device-nGnRnE (MAIR index 0), blocks 1-3 (the code) as Normal write-back (index 1). */
static void enable_mmu(int vcpu, uint32_t *mem)
{
    uint64_t *l1 = (uint64_t *)(void *)((uint8_t *)mem + PT_OFFSET);
    for (uint64_t i = 0; i < 4; i++) {
        uint64_t attr = i == 0 ? 0 : 1;
        l1[i] = (i << 30) | 1u << 10 /* AF */ | 3u << 8 /* inner shareable */ | attr << 2 | 1;
    }
    set_reg(vcpu, ARM64_SYS_REG(3, 0, 10, 2, 0), 0xff00, "set MAIR_EL1");
    uint64_t tcr = 25                  /* T0SZ: 39-bit VAs */
                 | 1u << 8 | 1u << 10  /* IRGN0, ORGN0: write-back */
                 | 3u << 12            /* SH0: inner shareable */
                 | 1u << 23            /* EPD1: no TTBR1 walks */
                 | 2ull << 32;         /* IPS: 40 bits */
    set_reg(vcpu, ARM64_SYS_REG(3, 0, 2, 0, 2), tcr, "set TCR_EL1");
    set_reg(vcpu, ARM64_SYS_REG(3, 0, 2, 0, 0), CODE_BASE + PT_OFFSET, "set TTBR0_EL1");
    uint64_t sctlr = get_reg(vcpu, ARM64_SYS_REG(3, 0, 1, 0, 0), "get SCTLR_EL1");
    sctlr |= 1u << 0 | 1u << 2 | 1u << 12; /* M, C, I */
    set_reg(vcpu, ARM64_SYS_REG(3, 0, 1, 0, 0), sctlr, "set SCTLR_EL1");
}

static void vgic_attr(int dev, uint32_t group, uint64_t attr, uint64_t *val, const char *what)
{
    struct kvm_device_attr a = { .group = group, .attr = attr, .addr = (uint64_t)(uintptr_t)val };
    xioctl(dev, KVM_SET_DEVICE_ATTR, &a, what);
}
#endif

int main(int argc, char **argv)
{
    bool gic = true, mmu = false, timer = false, ok = argc >= 4 &&
        (!strcmp(argv[3], "load") || !strcmp(argv[3], "store"));
    for (int a = 4; ok && a < argc; a++) {
        if (!strcmp(argv[a], "nogic")) {
            gic = false;
        } else if (!strcmp(argv[a], "mmu")) {
            mmu = true;
        } else if (!strcmp(argv[a], "timer")) {
            timer = true;
        } else {
            ok = false;
        }
    }
    if (!ok) {
        fprintf(stderr, "usage: bench-kvm-exit EXITS BATCHES load|store [nogic] [mmu] [timer]\n");
        return 1;
    }
    unsigned long exits = parse_count(argv[1], "EXITS");
    unsigned long batches = parse_count(argv[2], "BATCHES");
    bool store = !strcmp(argv[3], "store");
#if !defined(__aarch64__)
    (void)exits, (void)batches, (void)store, (void)gic, (void)mmu, (void)timer;
    die("needs an arm64 host with KVM (this build is not aarch64)");
#else
    int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0) {
        die("/dev/kvm: %s", strerror(errno));
    }
    if (ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
        die("unexpected KVM API version");
    }
    int vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0) {
        die("KVM_CREATE_VM: %s", strerror(errno));
    }
    int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (run_size <= 0) {
        die("KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
    }

    uint32_t *code = mmap(NULL, CODE_SIZE, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (code == MAP_FAILED) {
        die("mmap: %s", strerror(errno));
    }
    code[0] = store ? 0xb9000041u  /* str w1, [x2] */
                    : 0xb9400041u; /* ldr w1, [x2] */
    code[1] = 0x17ffffffu;         /* b .-4 */
    struct kvm_userspace_memory_region mem = {
        .slot = 0, .guest_phys_addr = CODE_BASE, .memory_size = CODE_SIZE,
        .userspace_addr = (uint64_t)(uintptr_t)code,
    };
    xioctl(vm, KVM_SET_USER_MEMORY_REGION, &mem, "KVM_SET_USER_MEMORY_REGION");

    int gic_fd = -1;
    if (gic) {
        struct kvm_create_device cd = { .type = KVM_DEV_TYPE_ARM_VGIC_V3 };
        xioctl(vm, KVM_CREATE_DEVICE, &cd, "KVM_CREATE_DEVICE (vGICv3)");
        gic_fd = (int)cd.fd;
        uint64_t dist = GICD_BASE, redist = GICR_BASE;
        vgic_attr(gic_fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &dist,
                  "vGIC distributor address");
        vgic_attr(gic_fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, &redist,
                  "vGIC redistributor address");
    }

    int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    if (vcpu < 0) {
        die("KVM_CREATE_VCPU: %s", strerror(errno));
    }
    struct kvm_run *run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    if (run == MAP_FAILED) {
        die("mmap of kvm_run: %s", strerror(errno));
    }
    struct kvm_vcpu_init init;
    memset(&init, 0, sizeof(init));
    xioctl(vm, KVM_ARM_PREFERRED_TARGET, &init, "KVM_ARM_PREFERRED_TARGET");
    xioctl(vcpu, KVM_ARM_VCPU_INIT, &init, "KVM_ARM_VCPU_INIT");
    if (gic) {
        vgic_attr(gic_fd, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL,
                  "vGIC init");
    }
    set_reg(vcpu, CORE_REG(regs.pc), CODE_BASE, "set PC");
    set_reg(vcpu, CORE_REG(regs.regs[2]), MMIO_ADDR, "set X2");
    set_reg(vcpu, CORE_REG(regs.regs[1]), 0x5a5a5a5a, "set X1");
    if (mmu) {
        enable_mmu(vcpu, code);
    }
    if (timer) {
        /* The uapi header's KVM_REG_ARM_TIMER_CNT/_CVAL have each other's encodings, but KVM
         * gives each name its meaning: use the names. */
        uint64_t cnt = get_reg(vcpu, KVM_REG_ARM_TIMER_CNT, "get CNTVCT");
        uint64_t freq = 0;
        __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(freq));
        set_reg(vcpu, KVM_REG_ARM_TIMER_CVAL, cnt + 3600 * freq, "set CNTV_CVAL");
        set_reg(vcpu, KVM_REG_ARM_TIMER_CTL, 1, "set CNTV_CTL");
    }

    /* Returns of KVM_RUN that are not our MMIO (a signal, KVM_EXIT_INTR) are not counted. */
    unsigned long others = 0;
    double *ns = calloc(batches, sizeof(double));
    if (!ns) {
        die("out of memory");
    }
    for (unsigned long b = 0; b <= batches; b++) {
        unsigned long todo = b == 0 ? exits / 10 + 1 : exits; /* batch 0 warms up */
        uint64_t t = ns_now();
        for (unsigned long i = 0; i < todo;) {
            if (ioctl(vcpu, KVM_RUN, 0) < 0) {
                if (errno == EINTR || errno == EAGAIN) {
                    others++;
                    continue;
                }
                die("KVM_RUN: %s", strerror(errno));
            }
            if (run->exit_reason != KVM_EXIT_MMIO) {
                if (run->exit_reason == KVM_EXIT_INTR) {
                    others++;
                    continue;
                }
                die("unexpected exit reason %u", run->exit_reason);
            }
            if (run->mmio.phys_addr != MMIO_ADDR || run->mmio.len != 4 ||
                run->mmio.is_write != store) {
                die("unexpected MMIO exit at 0x%llx, %u bytes, write %u",
                    (unsigned long long)run->mmio.phys_addr, run->mmio.len, run->mmio.is_write);
            }
            if (!store) {
                uint32_t v = 0x12345678;
                memcpy(run->mmio.data, &v, sizeof(v));
            }
            i++;
        }
        if (b > 0) {
            ns[b - 1] = (double)(ns_now() - t) / (double)exits;
        }
    }
    printf("BENCH-KVM-EXIT {\"access\": \"%s\", \"gic\": %s, \"mmu\": %s, \"timer\": %s, "
           "\"exits\": %lu, \"other_returns\": %lu, \"ns_per_exit\": [", store ? "store" : "load",
           gic ? "true" : "false", mmu ? "true" : "false", timer ? "true" : "false", exits, others);
    for (unsigned long b = 0; b < batches; b++) {
        printf("%s%.1f", b ? ", " : "", ns[b]);
    }
    printf("]}\n");
    free(ns);
    return 0;
#endif
}
