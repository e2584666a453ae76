// SPDX-License-Identifier: GPL-2.0-only
/* KVM vCPUs for arm64: creation with PSCI 0.2, boot registers, and the KVM_RUN thread loop. */
#define G_LOG_DOMAIN "armpass-kvm"
#include "kvm-internal.h"

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

bool kvm_create_vcpus(KvmState *s, unsigned n, GError **errp)
{
#if defined(__aarch64__)
    struct kvm_vcpu_init preferred;

    if (kvm_ioctl_retry(s->ops, s->vm_fd, KVM_ARM_PREFERRED_TARGET, &preferred) < 0) {
        g_set_error(errp, KVM_ERROR, errno, "KVM_ARM_PREFERRED_TARGET: %s", g_strerror(errno));
        return false;
    }
    s->vcpus = g_new0(KvmVcpu, n);
    for (unsigned i = 0; i < n; i++) {
        KvmVcpu *v = &s->vcpus[i];
        struct kvm_vcpu_init init = preferred;

        v->s = s;
        v->index = i;
        v->fd = kvm_ioctl_retry(s->ops, s->vm_fd, KVM_CREATE_VCPU, (void *)(uintptr_t)i);
        s->nr_vcpus = i + 1;
        if (v->fd < 0) {
            g_set_error(errp, KVM_ERROR, errno, "vCPU %u: KVM_CREATE_VCPU: %s", i,
                        g_strerror(errno));
            return false;
        }
        init.features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2;
        if (i > 0) {
            init.features[0] |= 1u << KVM_ARM_VCPU_POWER_OFF; /* until PSCI CPU_ON */
        }
        if (kvm_ioctl_retry(s->ops, v->fd, KVM_ARM_VCPU_INIT, &init) < 0) {
            g_set_error(errp, KVM_ERROR, errno, "vCPU %u: KVM_ARM_VCPU_INIT (target %u): %s", i,
                        preferred.target, g_strerror(errno));
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
    g_debug("%u vCPUs created (target %u, PSCI 0.2)", n, preferred.target);
    return true;
#else
    (void)s;
    (void)n;
    g_set_error(errp, KVM_ERROR, ENODEV, "vCPUs need an aarch64 host");
    return false;
#endif
}

unsigned kvm_nr_vcpus(KvmState *s)
{
    return s->nr_vcpus;
}

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

bool kvm_vcpu_get_mpidr(KvmState *s, unsigned idx, uint64_t *mpidr, GError **errp)
{
#if defined(__aarch64__)
    return kvm_vcpu_reg(s, idx, REG_MPIDR_EL1, mpidr, false, "MPIDR_EL1", errp);
#else
    (void)kvm_vcpu_reg;
    *mpidr = idx;
    (void)s;
    (void)errp;
    return true;
#endif
}

bool kvm_vcpu_set_boot_regs(KvmState *s, unsigned idx, uint64_t pc, uint64_t x0, GError **errp)
{
#if defined(__aarch64__)
    /* booting.rst: x0 = device tree address, x1..x3 = 0, MMU off, EL1h with DAIF masked
     * (the state KVM_ARM_VCPU_INIT leaves the vCPU in). An ELF or a raw binary starts in the
     * same state, at its entry point or load address (hw/arm/boot.c). */
    uint64_t zero = 0;
    return kvm_vcpu_reg(s, idx, REG_CORE(regs.pc), &pc, true, "PC", errp) &&
           kvm_vcpu_reg(s, idx, REG_CORE(regs.regs[0]), &x0, true, "X0", errp) &&
           kvm_vcpu_reg(s, idx, REG_CORE(regs.regs[1]), &zero, true, "X1", errp) &&
           kvm_vcpu_reg(s, idx, REG_CORE(regs.regs[2]), &zero, true, "X2", errp) &&
           kvm_vcpu_reg(s, idx, REG_CORE(regs.regs[3]), &zero, true, "X3", errp);
#else
    (void)s, (void)idx, (void)pc, (void)x0, (void)errp;
    return false;
#endif
}

/* What a guest can make armpass refuse at will: a few lines per second at most. */
static RateLimit refused_mmio_rl = RATELIMIT_INIT(5000, 5);
static RateLimit refused_nisv_rl = RATELIMIT_INIT(5000, 5);

/*
 * A guest access that hit no device (the MMIO exit's address is in no region): reads as zero,
 * writes are ignored (what a bus without a device answers on most Arm SoCs), logged at a
 * limited rate. The guest goes on.
 */
static void kvm_vcpu_refuse_mmio(KvmVcpu *v, const struct kvm_run *run)
{
    v->counters.refused_mmio++;
    ratelimit_warn(&refused_mmio_rl, "vCPU %u: guest %s of %u bytes at 0x%llx: no device "
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
    ratelimit_warn(&refused_nisv_rl, "vCPU %u: guest access at 0x%llx that KVM cannot decode "
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
    g_printerr("armpass: vCPU %u: %s\n", v->index, msg);
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
            g_printerr("armpass: warning: the guest's clock runs on while stopped: %s\n",
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
            g_printerr("armpass: warning: the guest's clock jumps by the time it was "
                       "stopped: %s\n", err->message);
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
