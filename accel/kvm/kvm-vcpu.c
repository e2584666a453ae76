// SPDX-License-Identifier: GPL-2.0-only
/* KVM vCPUs for arm64: creation (PSCI 0.2, PMU, SVE, pointer authentication), boot registers,
 * and the KVM_RUN thread loop. Source: Documentation/virt/kvm/api.rst 4.82, 4.119, and
 * Documentation/virt/kvm/devices/vcpu.rst. */
#define G_LOG_DOMAIN "armpass-kvm"
#include "kvm-internal.h"

#include "system/notice.h"
#include "system/ratelimit.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* The signal that kicks a vCPU thread out of KVM_RUN (its handler does nothing). */
#define KVM_KICK_SIGNAL SIGUSR1

#define REG_CORE(field)                                                                  \
    (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE |                               \
     (offsetof(struct kvm_regs, field) / sizeof(uint32_t)))
#define REG_MPIDR_EL1 ARM64_SYS_REG(3, 0, 0, 0, 5)
/* The guest's virtual counter, CNTVCT_EL0 (api.rst 4.68 warns that its id and TIMER_CVAL's
 * are swapped; the uapi header's value is the one KVM takes). */
#define REG_TIMER_CNT KVM_REG_ARM_TIMER_CNT

static bool kvm_vcpu_reg(KvmState *s, unsigned idx, uint64_t id, uint64_t *val, bool set,
                         const char *what, GError **errp)
{
    struct kvm_one_reg reg = { .id = id, .addr = (uintptr_t)val };
    unsigned long req = set ? KVM_SET_ONE_REG : KVM_GET_ONE_REG;

    if (kvm_ioctl_retry(s->ops, s->vcpus[idx].fd, req, &reg) < 0) {
        g_set_error(errp, KVM_ERROR, errno, "vCPU %u: %s (%s): %s", idx,
                    set ? "KVM_SET_ONE_REG" : "KVM_GET_ONE_REG", what, g_strerror(errno));
        return false;
    }
    return true;
}

/* "128, 256, 512": the lengths in bits of a vq bitmap (bit vq - 1), for messages. */
static char *kvm_sve_lengths_text(uint32_t vqs)
{
    GString *t = g_string_new(NULL);

    for (unsigned vq = 1; vq <= 32; vq++) {
        if (vqs & (1u << (vq - 1))) {
            g_string_append_printf(t, "%s%u", t->len ? ", " : "", 128 * vq);
        }
    }
    return g_string_free(t, FALSE);
}

bool kvm_sve_pick_vqs(uint32_t offered, uint32_t on, uint32_t off, uint32_t *out,
                      GError **errp)
{
    g_autofree char *offered_text = kvm_sve_lengths_text(offered);
    uint32_t pick;

    if (on & ~offered) {
        unsigned vq = (unsigned)g_bit_nth_lsf(on & ~offered, -1) + 1;
        g_set_error(errp, KVM_ERROR, EINVAL, "-cpu sve%u=on: this host's KVM offers SVE vector "
                    "lengths of %s bits only (pick sveN=on among them)", 128 * vq, offered_text);
        return false;
    }
    if (on) {
        unsigned max_vq = (unsigned)g_bit_nth_msf(on, -1) + 1;

        pick = offered & (uint32_t)((1ull << max_vq) - 1);
        if (pick & off) {
            unsigned vq = (unsigned)g_bit_nth_lsf(pick & off, -1) + 1;
            g_autofree char *below = kvm_sve_lengths_text(pick);
            g_set_error(errp, KVM_ERROR, EINVAL, "-cpu sve%u=off with sve%u=on: KVM can only cap "
                        "the vector length, so every length up to %u bits that the host offers "
                        "(%s) stays on (drop sve%u=off, or give a shorter sveN=on)", 128 * vq,
                        128 * max_vq, 128 * max_vq, below, 128 * vq);
            return false;
        }
    } else if (off & offered) {
        unsigned first_off = (unsigned)g_bit_nth_lsf(off & offered, -1) + 1;

        pick = offered & (uint32_t)((1ull << (first_off - 1)) - 1);
    } else {
        pick = offered;
    }
    if (!pick) {
        g_set_error(errp, KVM_ERROR, EINVAL, "-cpu sveN=off leaves none of the SVE vector lengths "
                    "this host's KVM offers (%s bits): give sve=off to have no SVE", offered_text);
        return false;
    }
    *out = pick;
    return true;
}

/*
 * Resolves -cpu's switches against the capabilities KVM_CHECK_EXTENSION reports on the VM
 * (api.rst 4.82 names the capability of each KVM_ARM_VCPU_INIT feature).
 */
static bool kvm_vcpu_features_resolve(KvmState *s, const ArmpassCpuConfig *cpu,
                                      KvmVcpuFeatures *f, GError **errp)
{
    bool pmu = kvm_check_extension(s, KVM_CAP_ARM_PMU_V3);
    bool sve = kvm_check_extension(s, KVM_CAP_ARM_SVE);
    bool pa = kvm_check_extension(s, KVM_CAP_ARM_PTRAUTH_ADDRESS);
    bool pg = kvm_check_extension(s, KVM_CAP_ARM_PTRAUTH_GENERIC);
    OnOffAuto want_sve = cpu->sve == ONOFF_AUTO && cpu->sve_vq_on ? ONOFF_ON : cpu->sve;

    if (cpu->pmu == ONOFF_ON && !pmu) {
        g_set_error(errp, KVM_ERROR, ENODEV, "-cpu pmu=on: this host's KVM offers guests no PMU "
                    "(KVM_CAP_ARM_PMU_V3 is 0: the host kernel needs CONFIG_HW_PERF_EVENTS and a "
                    "PMU of its own); leave pmu=on out");
        return false;
    }
    if (want_sve == ONOFF_ON && !sve) {
        g_autofree char *sw = cpu->sve == ONOFF_ON ? g_strdup("sve=on")
            : g_strdup_printf("sve%u=on", 128 * ((unsigned)g_bit_nth_msf(cpu->sve_vq_on, -1) + 1));
        g_set_error(errp, KVM_ERROR, ENODEV, "-cpu %s: this host's KVM offers guests no SVE "
                    "(KVM_CAP_ARM_SVE is 0: the host CPU needs SVE and its kernel "
                    "CONFIG_ARM64_SVE); leave %s out", sw, sw);
        return false;
    }
    if (cpu->pauth == ONOFF_ON && !(pa && pg)) {
        g_set_error(errp, KVM_ERROR, ENODEV, "-cpu pauth=on: this host's KVM offers guests no "
                    "pointer authentication (KVM_CAP_ARM_PTRAUTH_ADDRESS is %d, "
                    "KVM_CAP_ARM_PTRAUTH_GENERIC %d: the host CPU needs both and its kernel "
                    "CONFIG_ARM64_PTR_AUTH); leave pauth=on out", pa, pg);
        return false;
    }
    *f = (KvmVcpuFeatures){
        .pmu = cpu->pmu != ONOFF_OFF && pmu,
        .sve = want_sve != ONOFF_OFF && sve,
        /* api.rst 4.82: with both capabilities, both features or neither; KVM's reset.c
         * refuses either one alone. */
        .pauth = cpu->pauth != ONOFF_OFF && pa && pg,
    };
    return true;
}

/* vCPU v's SVE: the vector lengths (read on vCPU 0 and picked once), then the finalize
 * that makes its SVE registers usable (api.rst 4.82, 4.119). */
static bool kvm_vcpu_sve_setup(KvmState *s, KvmVcpu *v, const ArmpassCpuConfig *cpu,
                               GError **errp)
{
    uint64_t vls[KVM_ARM64_SVE_VLS_WORDS] = { 0 };
    int feature = KVM_ARM_VCPU_SVE;

    if (v->index == 0) {
        if (!kvm_vcpu_reg(s, 0, KVM_REG_ARM64_SVE_VLS, vls, false, "SVE_VLS", errp) ||
            !kvm_sve_pick_vqs((uint32_t)(vls[0] & ((1u << ARMPASS_SVE_MAX_VQ) - 1)),
                              cpu->sve_vq_on, cpu->sve_vq_off, &s->features.sve_vqs, errp)) {
            return false;
        }
        memset(vls, 0, sizeof(vls));
    }
    vls[0] = s->features.sve_vqs;
    if (!kvm_vcpu_reg(s, v->index, KVM_REG_ARM64_SVE_VLS, vls, true, "SVE_VLS", errp)) {
        return false;
    }
    if (kvm_ioctl_retry(s->ops, v->fd, KVM_ARM_VCPU_FINALIZE, &feature) < 0) {
        g_set_error(errp, KVM_ERROR, errno, "vCPU %u: KVM_ARM_VCPU_FINALIZE(KVM_ARM_VCPU_SVE): %s",
                    v->index, g_strerror(errno));
        return false;
    }
    return true;
}

bool kvm_create_vcpus(KvmState *s, unsigned n, const ArmpassCpuConfig *cpu, GError **errp)
{
    struct kvm_vcpu_init preferred;
    KvmVcpuFeatures f;
    uint32_t features = 1u << KVM_ARM_VCPU_PSCI_0_2;
    g_autofree char *lengths = NULL;

    if (!kvm_vcpu_features_resolve(s, cpu, &f, errp)) {
        return false;
    }
    features |= (f.pmu ? 1u << KVM_ARM_VCPU_PMU_V3 : 0) | (f.sve ? 1u << KVM_ARM_VCPU_SVE : 0) |
                (f.pauth ? 1u << KVM_ARM_VCPU_PTRAUTH_ADDRESS |
                           1u << KVM_ARM_VCPU_PTRAUTH_GENERIC : 0);
    if (kvm_ioctl_retry(s->ops, s->vm_fd, KVM_ARM_PREFERRED_TARGET, &preferred) < 0) {
        g_set_error(errp, KVM_ERROR, errno, "KVM_ARM_PREFERRED_TARGET: %s", g_strerror(errno));
        return false;
    }
    s->features = f;
    s->vcpus = g_new0(KvmVcpu, n);
    /* api.rst 4.82: every vCPU is created before the first KVM_ARM_VCPU_INIT (some registers
     * reflect the machine's topology). */
    for (unsigned i = 0; i < n; i++) {
        KvmVcpu *v = &s->vcpus[i];

        v->s = s;
        v->index = i;
        v->fd = kvm_ioctl_retry(s->ops, s->vm_fd, KVM_CREATE_VCPU, (void *)(uintptr_t)i);
        s->nr_vcpus = i + 1;
        if (v->fd < 0) {
            g_set_error(errp, KVM_ERROR, errno, "vCPU %u: KVM_CREATE_VCPU: %s", i,
                        g_strerror(errno));
            return false;
        }
    }
    for (unsigned i = 0; i < n; i++) {
        KvmVcpu *v = &s->vcpus[i];
        struct kvm_vcpu_init init = preferred;

        init.features[0] |= features;
        if (i > 0) {
            init.features[0] |= 1u << KVM_ARM_VCPU_POWER_OFF; /* until PSCI CPU_ON */
        }
        if (kvm_ioctl_retry(s->ops, v->fd, KVM_ARM_VCPU_INIT, &init) < 0) {
            g_set_error(errp, KVM_ERROR, errno, "vCPU %u: KVM_ARM_VCPU_INIT (target %u, "
                        "features 0x%x): %s", i, preferred.target, init.features[0],
                        g_strerror(errno));
            return false;
        }
        if (f.sve && !kvm_vcpu_sve_setup(s, v, cpu, errp)) {
            return false;
        }
        v->run = s->ops->mmap(s->ops->opaque, NULL, s->run_mmap_size, PROT_READ | PROT_WRITE,
                              MAP_SHARED, v->fd, 0);
        if (v->run == MAP_FAILED) {
            v->run = NULL;
            g_set_error(errp, KVM_ERROR, errno, "vCPU %u: mmap of kvm_run: %s", i,
                        g_strerror(errno));
            return false;
        }
    }
    lengths = kvm_sve_lengths_text(s->features.sve_vqs);
    g_debug("%u vCPUs created (target %u, PSCI 0.2, PMU %s, SVE %s%s%s, pointer authentication "
            "%s)", n, preferred.target, f.pmu ? "on" : "off", f.sve ? "on" : "off",
            f.sve ? ": vector lengths " : "", f.sve ? lengths : "", f.pauth ? "on" : "off");
    return true;
}

void kvm_vcpu_features(KvmState *s, KvmVcpuFeatures *out)
{
    *out = s->features;
}

/* KVM_SET_DEVICE_ATTR on vCPU v (Documentation/virt/kvm/devices/vcpu.rst). */
static bool kvm_vcpu_attr(KvmState *s, KvmVcpu *v, uint32_t group, uint64_t attr, void *val,
                          const char *what, GError **errp)
{
    struct kvm_device_attr a = { .group = group, .attr = attr, .addr = (uintptr_t)val };

    if (kvm_ioctl_retry(s->ops, v->fd, KVM_SET_DEVICE_ATTR, &a) < 0) {
        g_set_error(errp, KVM_ERROR, errno, "vCPU %u: KVM_SET_DEVICE_ATTR (%s): %s", v->index,
                    what, g_strerror(errno));
        return false;
    }
    return true;
}

bool kvm_vcpus_init_pmu(KvmState *s, unsigned intid, GError **errp)
{
    if (!s->features.pmu) {
        return true;
    }
    if (s->gic_fd < 0) {
        g_set_error(errp, KVM_ERROR, EINVAL, "the PMU's overflow interrupt needs the in-kernel "
                    "vGIC, which does not exist yet (create it first: vcpu.rst 1.2)");
        return false;
    }
    if (intid < 16 || intid > 31) {
        g_set_error(errp, KVM_ERROR, EINVAL, "the PMU's overflow interrupt INTID %u is not a "
                    "PPI (16..31)", intid);
        return false;
    }
    for (unsigned i = 0; i < s->nr_vcpus; i++) {
        KvmVcpu *v = &s->vcpus[i];
        int irq = (int)intid;
        g_autofree char *what = g_strdup_printf("KVM_ARM_VCPU_PMU_V3_CTRL, "
                                                "KVM_ARM_VCPU_PMU_V3_IRQ = %u", intid);

        if (!kvm_vcpu_attr(s, v, KVM_ARM_VCPU_PMU_V3_CTRL, KVM_ARM_VCPU_PMU_V3_IRQ, &irq, what,
                           errp) ||
            !kvm_vcpu_attr(s, v, KVM_ARM_VCPU_PMU_V3_CTRL, KVM_ARM_VCPU_PMU_V3_INIT, NULL,
                           "KVM_ARM_VCPU_PMU_V3_CTRL, KVM_ARM_VCPU_PMU_V3_INIT", errp)) {
            return false;
        }
    }
    s->pmu_ready = true;
    g_debug("PMU: overflow interrupt INTID %u on %u vCPUs", intid, s->nr_vcpus);
    return true;
}

unsigned kvm_nr_vcpus(KvmState *s)
{
    return s->nr_vcpus;
}

bool kvm_vcpu_get_mpidr(KvmState *s, unsigned idx, uint64_t *mpidr, GError **errp)
{
    return kvm_vcpu_reg(s, idx, REG_MPIDR_EL1, mpidr, false, "MPIDR_EL1", errp);
}

bool kvm_vcpu_set_boot_regs(KvmState *s, unsigned idx, uint64_t pc, uint64_t x0, GError **errp)
{
    /* booting.rst: x0 = device tree address, x1..x3 = 0, MMU off, EL1h with DAIF masked
     * (the state KVM_ARM_VCPU_INIT leaves the vCPU in). An ELF or a raw binary starts in the
     * same state, at its entry point or load address (hw/arm/boot.c). */
    uint64_t zero = 0;
    return kvm_vcpu_reg(s, idx, REG_CORE(regs.pc), &pc, true, "PC", errp) &&
           kvm_vcpu_reg(s, idx, REG_CORE(regs.regs[0]), &x0, true, "X0", errp) &&
           kvm_vcpu_reg(s, idx, REG_CORE(regs.regs[1]), &zero, true, "X1", errp) &&
           kvm_vcpu_reg(s, idx, REG_CORE(regs.regs[2]), &zero, true, "X2", errp) &&
           kvm_vcpu_reg(s, idx, REG_CORE(regs.regs[3]), &zero, true, "X3", errp);
}

/*
 * A guest access that hit no device (the MMIO exit's address is in no region): reads as zero,
 * writes are ignored (what a bus without a device answers on most Arm SoCs), logged at a
 * limited rate. The guest goes on.
 */
static void kvm_vcpu_refuse_mmio(KvmVcpu *v, const struct kvm_run *run)
{
    v->counters.refused_mmio++;
    ratelimit_warn(&v->s->refused_mmio_rl, "vCPU %u: guest %s of %u bytes at 0x%llx: no device "
                   "there; %s", v->index, run->mmio.is_write ? "write" : "read", run->mmio.len,
                   (unsigned long long)run->mmio.phys_addr,
                   run->mmio.is_write ? "ignored" : "read as zero");
}

/*
 * KVM_EXIT_ARM_NISV (api.rst 5, kvm_run arm_nisv): an access KVM could not decode (no valid
 * instruction syndrome: a load/store pair, a writeback, ...) to an address with no memslot.
 * armpass does not decode guest instructions: it refuses the access with an external data
 * abort (KVM_SET_VCPU_EVENTS ext_dabt_pending, api.rst 4.32) so that the guest, not armpass,
 * deals with its fault. False if the abort could not be injected (fatal for the vCPU).
 */
static bool kvm_vcpu_refuse_nisv(KvmVcpu *v, const struct kvm_run *run)
{
    struct kvm_vcpu_events ev = { 0 };

    v->counters.exits_nisv++;
    ratelimit_warn(&v->s->refused_nisv_rl, "vCPU %u: guest access at 0x%llx that KVM cannot decode "
                   "(a load/store pair or writeback to MMIO?): refused with an external abort",
                   v->index, (unsigned long long)run->arm_nisv.fault_ipa);
    ev.exception.ext_dabt_pending = 1;
    return kvm_ioctl_retry(v->s->ops, v->fd, KVM_SET_VCPU_EVENTS, &ev) == 0;
}

static void kvm_kick_handler(int sig)
{
    (void)sig;
}

static void kvm_vcpu_fatal(KvmVcpu *v, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void kvm_vcpu_fatal(KvmVcpu *v, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *msg = NULL;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    armpass_notice("vCPU %u: %s", v->index, msg);
    v->s->on_event(v->s->event_opaque, 0);
}

/* Marks v parked (or ended) and wakes kvm_pause_vcpus. Called with pause_lock held. */
static void kvm_vcpu_set_parked(KvmVcpu *v, bool parked)
{
    v->parked = parked;
    g_cond_broadcast(&v->s->pause_cond);
}

/* At the top of the run loop: while a pause is requested, the thread waits here, outside
 * KVM_RUN, until kvm_resume_vcpus or kvm_stop_vcpus. */
static void kvm_vcpu_maybe_park(KvmVcpu *v)
{
    KvmState *s = v->s;

    if (!g_atomic_int_get(&s->pause_requested)) {
        return;
    }
    g_mutex_lock(&s->pause_lock);
    if (g_atomic_int_get(&s->pause_requested) && !g_atomic_int_get(&s->stopping)) {
        kvm_vcpu_set_parked(v, true);
        while (g_atomic_int_get(&s->pause_requested) && !g_atomic_int_get(&s->stopping)) {
            g_cond_wait(&s->pause_cond, &s->pause_lock);
        }
        kvm_vcpu_set_parked(v, false);
    }
    g_mutex_unlock(&s->pause_lock);
    v->run->immediate_exit = 0;
}

static void *kvm_vcpu_thread(void *opaque)
{
    KvmVcpu *v = opaque;
    KvmState *s = v->s;
    struct kvm_run *run = v->run;
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, KVM_KICK_SIGNAL);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    armpass_rcu_register_thread(); /* address_space_rw reads the memory map under RCU */
    g_atomic_int_set(&v->tid, (int)gettid());

    while (!g_atomic_int_get(&s->stopping)) {
        int ret;

        kvm_vcpu_maybe_park(v);
        if (g_atomic_int_get(&s->stopping)) {
            break;
        }
        ret = host_ioctl(s->ops, v->fd, KVM_RUN, NULL);
        v->counters.exits++;
        if (ret < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                v->counters.exits_intr++;
                run->immediate_exit = 0;
                continue;
            }
            if (errno == ENOSYS) {
                /* Without KVM_CAP_ARM_NISV_TO_USER an undecodable access ends here. */
                kvm_vcpu_fatal(v, "KVM_RUN: %s (the guest made an access KVM cannot decode, "
                               "and this KVM cannot hand it to armpass)", g_strerror(errno));
            } else {
                kvm_vcpu_fatal(v, "KVM_RUN: %s", g_strerror(errno));
            }
            break;
        }
        switch (run->exit_reason) {
        case KVM_EXIT_MMIO:
            v->counters.exits_mmio++;
            if (!address_space_rw(s->as, run->mmio.phys_addr, run->mmio.data, run->mmio.len,
                                  run->mmio.is_write)) {
                kvm_vcpu_refuse_mmio(v, run);
            }
            break;
        case KVM_EXIT_INTR:
            v->counters.exits_intr++;
            break;
        case KVM_EXIT_SYSTEM_EVENT:
            v->counters.exits_system_event++;
            g_debug("vCPU %u: system event %u", v->index, run->system_event.type);
            if (run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN ||
                run->system_event.type == KVM_SYSTEM_EVENT_RESET) {
                s->on_event(s->event_opaque, run->system_event.type);
                goto out;
            }
            break;
        case KVM_EXIT_ARM_NISV:
            if (kvm_vcpu_refuse_nisv(v, run)) {
                break;
            }
            kvm_vcpu_fatal(v, "guest access at 0x%llx has no valid syndrome (a load/store "
                           "pair or writeback to MMIO?) and KVM_SET_VCPU_EVENTS failed: %s",
                           (unsigned long long)run->arm_nisv.fault_ipa, g_strerror(errno));
            goto out;
        case KVM_EXIT_FAIL_ENTRY:
            kvm_vcpu_fatal(v, "KVM_EXIT_FAIL_ENTRY (reason 0x%llx)",
                           (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
            goto out;
        case KVM_EXIT_INTERNAL_ERROR:
            kvm_vcpu_fatal(v, "KVM_EXIT_INTERNAL_ERROR (suberror %u)", run->internal.suberror);
            goto out;
        default:
            v->counters.exits_other++;
            kvm_vcpu_fatal(v, "unhandled KVM exit reason %u", run->exit_reason);
            goto out;
        }
    }
out:
    g_mutex_lock(&s->pause_lock);
    kvm_vcpu_set_parked(v, true); /* an ended thread never holds up a pause */
    g_mutex_unlock(&s->pause_lock);
    armpass_rcu_unregister_thread();
    return NULL;
}

bool kvm_start_vcpus(KvmState *s, AddressSpace *as, KvmSystemEventFn on_event, void *opaque,
                     GError **errp)
{
    struct sigaction sa = { .sa_handler = kvm_kick_handler };
    sigset_t set, old;

    s->as = as;
    s->on_event = on_event;
    s->event_opaque = opaque;
    sigemptyset(&sa.sa_mask);
    sigaction(KVM_KICK_SIGNAL, &sa, NULL);
    /* Only vCPU threads take the kick signal: they unblock it themselves. */
    sigemptyset(&set);
    sigaddset(&set, KVM_KICK_SIGNAL);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    for (unsigned i = 0; i < s->nr_vcpus; i++) {
        int ret = pthread_create(&s->vcpus[i].thread, NULL, kvm_vcpu_thread, &s->vcpus[i]);
        if (ret != 0) {
            g_set_error(errp, KVM_ERROR, ret, "vCPU %u: cannot start its thread: %s", i,
                        g_strerror(ret));
            pthread_sigmask(SIG_SETMASK, &old, NULL);
            kvm_stop_vcpus(s);
            return false;
        }
        s->vcpus[i].thread_started = true;
    }
    return true;
}

void kvm_pause_vcpus(KvmState *s)
{
    g_mutex_lock(&s->pause_lock);
    g_atomic_int_set(&s->pause_requested, 1);
    g_mutex_unlock(&s->pause_lock);
    /* pause_requested is set before immediate_exit: a thread that misses the signal before
     * KVM_RUN leaves at once (immediate_exit), and one that resets immediate_exit after an
     * EINTR sees pause_requested at the top of its loop. */
    for (unsigned i = 0; i < s->nr_vcpus; i++) {
        KvmVcpu *v = &s->vcpus[i];
        if (v->thread_started && !pthread_equal(v->thread, pthread_self())) {
            __atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
            pthread_kill(v->thread, KVM_KICK_SIGNAL);
        }
    }
    g_mutex_lock(&s->pause_lock);
    for (unsigned i = 0; i < s->nr_vcpus; i++) {
        KvmVcpu *v = &s->vcpus[i];
        while (v->thread_started && !v->parked && !g_atomic_int_get(&s->stopping)) {
            g_cond_wait(&s->pause_cond, &s->pause_lock);
        }
    }
    g_mutex_unlock(&s->pause_lock);
    /* Freeze the guest's clock, as QEMU does for a stopped VM: its virtual counter is read
     * now and written back on resume, which moves CNTVOFF so that the guest does not see the
     * time it spent stopped (no jump in its clock, no burst of late timers). The offset is
     * one for the whole VM (arch_timer.c, update_vtimer_cntvoff in 6.1; the VM-wide voffset
     * in 6.12), so vCPU 0 is enough. A failure leaves the clock running on: only a warning. */
    if (s->nr_vcpus > 0) {
        g_autoptr(GError) err = NULL;

        s->paused_cnt_valid = kvm_vcpu_reg(s, 0, REG_TIMER_CNT, &s->paused_cnt, false,
                                           "TIMER_CNT", &err);
        if (!s->paused_cnt_valid) {
            armpass_notice("warning: the guest's clock runs on while stopped: %s",
                           err->message);
        }
    }
    g_debug("vCPUs paused");
}

void kvm_hold_vcpus(KvmState *s)
{
    g_return_if_fail(s->nr_vcpus == 0 || !s->vcpus[0].thread_started);
    g_atomic_int_set(&s->pause_requested, 1);
}

void kvm_resume_vcpus(KvmState *s)
{
    if (s->paused_cnt_valid) {
        g_autoptr(GError) err = NULL;

        if (!kvm_vcpu_reg(s, 0, REG_TIMER_CNT, &s->paused_cnt, true, "TIMER_CNT", &err)) {
            armpass_notice("warning: the guest's clock jumps by the time it was "
                           "stopped: %s", err->message);
        }
        s->paused_cnt_valid = false;
    }
    g_mutex_lock(&s->pause_lock);
    g_atomic_int_set(&s->pause_requested, 0);
    g_cond_broadcast(&s->pause_cond);
    g_mutex_unlock(&s->pause_lock);
    g_debug("vCPUs resumed");
}

int kvm_vcpu_thread_id(KvmState *s, unsigned idx)
{
    return idx < s->nr_vcpus ? g_atomic_int_get(&s->vcpus[idx].tid) : 0;
}

void kvm_stop_vcpus(KvmState *s)
{
    g_mutex_lock(&s->pause_lock);
    g_atomic_int_set(&s->stopping, 1);
    g_cond_broadcast(&s->pause_cond); /* parked threads leave */
    g_mutex_unlock(&s->pause_lock);
    for (unsigned i = 0; i < s->nr_vcpus; i++) {
        KvmVcpu *v = &s->vcpus[i];
        if (!v->thread_started) {
            continue;
        }
        if (!pthread_equal(v->thread, pthread_self())) {
            v->run->immediate_exit = 1;
            pthread_kill(v->thread, KVM_KICK_SIGNAL);
            pthread_join(v->thread, NULL);
        }
        v->thread_started = false;
    }
}
