// SPDX-License-Identifier: GPL-2.0-only
/*
 * cpu-check [pmu|sve|pauth]...: whether this CPU's optional features work, one line each (all
 * three when none is named); the e2e case vcpu-features runs it in L2 under armpass and under
 * QEMU -cpu host (docs/user-guide.md, "The vCPU").
 *
 *   CPU-CHECK pmu=yes cycles=N            perf_event_open(2) of PERF_COUNT_HW_CPU_CYCLES
 *                                         counted N cycles over a busy loop (sampling every
 *                                         million: the PMU's overflow interrupt fires)
 *   CPU-CHECK pmu=no why=...              the kernel has no hardware counter to give
 *   CPU-CHECK sve=yes hwcap=1 vl=B max_vl=M sum=S
 *                                         RDVL ran (B: the task's vector length in bytes),
 *                                         M: the longest this guest allows (PR_SVE_SET_VL),
 *                                         S: an SVE reduction of 1..B/4 (must be (B/4)(B/4+1)/2)
 *   CPU-CHECK sve=no hwcap=0 why=SIGILL
 *   CPU-CHECK pauth=yes hwcap=paca,pacg signed=1 authed=1 pacga=1
 *                                         PACIA changed a pointer (with one of 16 modifiers),
 *                                         AUTIA gave it back each time, PACGA gave a code
 *                                         (both keys enabled for this task)
 *   CPU-CHECK pauth=no hwcap=... why=SIGILL
 *
 * SVE's and pointer authentication's instructions outside the hint space are UNDEFINED on a
 * CPU without them (Arm ARM, RDVL, PACIA, PACGA): the kernel turns that into SIGILL, which
 * is caught. Exit status 0 unless a check's result is self-contradictory (1). Source of the
 * interfaces: Documentation/arm64/sve.rst and pointer-authentication.rst, perf_event_open(2).
 */
#define PROG_NAME "cpu-check"
#include "prog-util.h"

#include <linux/perf_event.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef HWCAP_SVE
#define HWCAP_SVE (1UL << 22)
#endif
#ifndef HWCAP_PACA
#define HWCAP_PACA (1UL << 30)
#endif
#ifndef HWCAP_PACG
#define HWCAP_PACG (1UL << 31)
#endif
#ifndef PR_SVE_SET_VL
#define PR_SVE_SET_VL 50
#endif
#ifndef PR_SVE_VL_LEN_MASK
#define PR_SVE_VL_LEN_MASK 0xffff
#endif

static sigjmp_buf undef_jmp;
static int bad;

static void on_sigill(int sig)
{
    (void)sig;
    siglongjmp(undef_jmp, 1);
}

static void check_pmu(void)
{
    struct perf_event_attr attr;
    volatile unsigned long spin = 0;
    uint64_t count = 0;
    int fd;

    memset(&attr, 0, sizeof(attr));
    attr.size = sizeof(attr);
    attr.type = PERF_TYPE_HARDWARE;
    attr.config = PERF_COUNT_HW_CPU_CYCLES;
    attr.disabled = 1;
    attr.sample_period = 1000000; /* an overflow interrupt every million cycles */
    fd = (int)syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
    if (fd < 0) {
        printf("CPU-CHECK pmu=no why=perf_event_open:%s\n", strerror(errno));
        return;
    }
    ioctl(fd, PERF_EVENT_IOC_RESET, 0);
    ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
    for (unsigned long i = 0; i < 1000000; i++) {
        spin += i;
    }
    ioctl(fd, PERF_EVENT_IOC_DISABLE, 0);
    if (read(fd, &count, sizeof(count)) != sizeof(count)) {
        printf("CPU-CHECK pmu=no why=read:%s\n", strerror(errno));
        close(fd);
        return;
    }
    close(fd);
    printf("CPU-CHECK pmu=yes cycles=%llu\n", (unsigned long long)count);
}

#if defined(__aarch64__)
/* RDVL x, #1: the vector length in bytes. */
static uint64_t sve_rdvl(void)
{
    uint64_t vl;
    __asm__ volatile(".arch_extension sve\n\trdvl %0, #1" : "=r"(vl));
    return vl;
}

/* The sum of 1..VL/4 as one SVE reduction: INDEX fills the 32-bit lanes with 1, 2, ...,
 * UADDV adds every active lane. */
static uint64_t sve_sum(void)
{
    uint64_t sum;
    __asm__ volatile(".arch_extension sve\n\t"
                     "ptrue p0.s\n\t"
                     "index z0.s, #1, #1\n\t"
                     "uaddv d0, p0, z0.s\n\t"
                     "fmov %0, d0"
                     : "=r"(sum) : : "v0", "p0");
    return sum;
}

/* PACIA then AUTIA of ptr with modifier mod, and PACGA of ptr with mod. */
static void pauth_run(uint64_t ptr, uint64_t mod, uint64_t *signed_ptr, uint64_t *authed,
                      uint64_t *pacga)
{
    uint64_t p = ptr, g;
    __asm__ volatile(".arch_extension pauth\n\tpacia %0, %1" : "+r"(p) : "r"(mod));
    *signed_ptr = p;
    __asm__ volatile(".arch_extension pauth\n\tautia %0, %1" : "+r"(p) : "r"(mod));
    *authed = p;
    __asm__ volatile(".arch_extension pauth\n\tpacga %0, %1, %2" : "=r"(g) : "r"(ptr), "r"(mod));
    *pacga = g;
}
#endif

static void check_sve(void)
{
    int hwcap = (getauxval(AT_HWCAP) & HWCAP_SVE) != 0;
#if defined(__aarch64__)
    volatile uint64_t vl = 0, max_vl = 0, sum = 0, n;
    int ret;

    if (sigsetjmp(undef_jmp, 1)) {
        printf("CPU-CHECK sve=no hwcap=%d why=SIGILL\n", hwcap);
        bad |= hwcap; /* the kernel said it has SVE, yet it faults */
        return;
    }
    vl = sve_rdvl();
    sum = sve_sum();
    n = vl / 4;
    ret = prctl(PR_SVE_SET_VL, 8192, 0, 0, 0); /* the longest the guest allows */
    max_vl = ret < 0 ? 0 : (uint64_t)(ret & PR_SVE_VL_LEN_MASK);
    printf("CPU-CHECK sve=yes hwcap=%d vl=%llu max_vl=%llu sum=%llu\n", hwcap,
           (unsigned long long)vl, (unsigned long long)max_vl, (unsigned long long)sum);
    if (sum != n * (n + 1) / 2 || !hwcap) {
        printf("CPU-CHECK sve: sum %llu, not %llu, or no HWCAP_SVE\n", (unsigned long long)sum,
               (unsigned long long)(n * (n + 1) / 2));
        bad = 1;
    }
#else
    printf("CPU-CHECK sve=no hwcap=%d why=not-aarch64\n", hwcap);
#endif
}

static void check_pauth(void)
{
    unsigned long caps = getauxval(AT_HWCAP);
    char hw[16];
    int any = (caps & (HWCAP_PACA | HWCAP_PACG)) != 0;

    snprintf(hw, sizeof(hw), "%s%s%s", caps & HWCAP_PACA ? "paca" : "",
             (caps & HWCAP_PACA) && (caps & HWCAP_PACG) ? "," : "",
             caps & HWCAP_PACG ? "pacg" : "");
#if defined(__aarch64__)
    {
        /* A real address of this program: a pointer outside the task's VA range (its bits
         * above VA_BITS not all equal) gets a PAC that fails authentication on purpose. With
         * 52-bit VAs a PAC may have as few as 3 bits, so 1 in 8 is all zeros and leaves the
         * pointer as it was: 16 modifiers, of which some must change it. */
        const uint64_t ptr = (uint64_t)(uintptr_t)&check_pauth;
        volatile int changed = 0, authed = 0, pacga = 0;

        if (sigsetjmp(undef_jmp, 1)) {
            printf("CPU-CHECK pauth=no hwcap=%s why=SIGILL\n", any ? hw : "none");
            bad |= any;
            return;
        }
        for (uint64_t mod = 1; mod <= 16; mod++) {
            uint64_t sp, au, g;

            pauth_run(ptr, mod, &sp, &au, &g);
            changed += sp != ptr;
            authed += au == ptr;
            pacga += g != 0;
        }
        printf("CPU-CHECK pauth=yes hwcap=%s signed=%d authed=%d pacga=%d\n", any ? hw : "none",
               changed > 0, authed == 16, pacga > 0);
        if (!changed || authed != 16 || !pacga) {
            printf("CPU-CHECK pauth: of 16 modifiers %d changed the pointer, %d authenticated, "
                   "%d gave a PACGA\n", changed, authed, pacga);
            bad = 1;
        }
    }
#else
    printf("CPU-CHECK pauth=no hwcap=%s why=not-aarch64\n", any ? hw : "none");
#endif
}

int main(int argc, char **argv)
{
    struct sigaction sa;
    int all = argc < 2;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sigill;
    sigaction(SIGILL, &sa, NULL);
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int i = all ? 0 : 1; i < (all ? 1 : argc); i++) {
        const char *what = all ? NULL : argv[i];

        if (!what || strcmp(what, "pmu") == 0) {
            check_pmu();
        }
        if (!what || strcmp(what, "sve") == 0) {
            check_sve();
        }
        if (!what || strcmp(what, "pauth") == 0) {
            check_pauth();
        }
        if (what && strcmp(what, "pmu") && strcmp(what, "sve") && strcmp(what, "pauth")) {
            die("unknown check \"%s\" (pmu, sve, pauth)", what);
        }
    }
    return bad;
}
