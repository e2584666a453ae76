// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests: QMP stop/cont's vCPU pause (kvm_pause_vcpus, kvm_resume_vcpus) against a fake
 * HostOps whose KVM_RUN "runs the guest" in 1 ms slices and leaves early on the kick signal
 * or kvm_run.immediate_exit, as KVM does (api.rst 4.10), and whose KVM_REG_ARM_TIMER_CNT is a
 * counter in microseconds with a VM-wide offset, as arch_timer.c keeps it. No /dev/kvm.
 */
#include "../../accel/kvm/kvm-internal.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#define NR_VCPUS 3
#define FAKE_VCPU_FD 300

typedef struct Fake {
    int runs[NR_VCPUS];     /* KVM_RUN calls that entered the "guest" (atomic) */
    int shutdown_vcpu;      /* this vCPU asks PSCI SYSTEM_OFF at its 5th run; -1: none */
    struct kvm_run *run[NR_VCPUS];
    int in_run[NR_VCPUS];   /* inside KVM_RUN now (atomic) */
    gint64 cntvoff;         /* the guest's counter is g_get_monotonic_time() - cntvoff */
    int reg_gets, reg_sets; /* KVM_GET/SET_ONE_REG of TIMER_CNT */
    int reg_errno;          /* != 0: ONE_REG fails with it */
} Fake;

#define REG_TIMER_CNT KVM_REG_ARM_TIMER_CNT

/* The guest's virtual counter as the fake KVM keeps it (microseconds). */
static gint64 fake_cnt(Fake *f)
{
    return g_get_monotonic_time() - f->cntvoff;
}

static int fake_one_reg(Fake *f, unsigned i, unsigned long req, struct kvm_one_reg *reg)
{
    uint64_t *val = (uint64_t *)(uintptr_t)reg->addr;

    g_assert_cmphex(reg->id, ==, REG_TIMER_CNT);
    g_assert_cmpint(g_atomic_int_get(&f->in_run[i]), ==, 0); /* only while it is held */
    if (f->reg_errno) {
        errno = f->reg_errno;
        return -1;
    }
    if (req == KVM_GET_ONE_REG) {
        f->reg_gets++;
        *val = (uint64_t)fake_cnt(f);
    } else {
        f->reg_sets++;
        f->cntvoff = g_get_monotonic_time() - (gint64)*val; /* update_vtimer_cntvoff */
    }
    return 0;
}

static int fake_ioctl(void *opaque, int fd, unsigned long req, void *arg)
{
    Fake *f = opaque;
    unsigned i = (unsigned)(fd - FAKE_VCPU_FD);
    struct kvm_run *run;

    g_assert_cmpuint(i, <, NR_VCPUS);
    if (req == KVM_GET_ONE_REG || req == KVM_SET_ONE_REG) {
        return fake_one_reg(f, i, req, arg);
    }
    g_assert_cmpuint(req, ==, KVM_RUN);
    run = f->run[i];
    if (__atomic_load_n(&run->immediate_exit, __ATOMIC_SEQ_CST)) {
        errno = EINTR;
        return -1;
    }
    if (g_atomic_int_add(&f->runs[i], 1) == 4 && (int)i == f->shutdown_vcpu) {
        run->exit_reason = KVM_EXIT_SYSTEM_EVENT;
        run->system_event.type = KVM_SYSTEM_EVENT_SHUTDOWN;
        return 0;
    }
    g_atomic_int_set(&f->in_run[i], 1);
    if (usleep(1000) != 0) { /* the kick signal interrupts the guest */
        g_atomic_int_set(&f->in_run[i], 0);
        errno = EINTR;
        return -1;
    }
    g_atomic_int_set(&f->in_run[i], 0);
    run->exit_reason = KVM_EXIT_INTR;
    return 0;
}

typedef struct Fixture {
    Fake fake;
    HostOps ops;
    KvmState s;
    KvmVcpu vcpus[NR_VCPUS];
    int events;
} Fixture;

static void on_event(void *opaque, uint32_t type)
{
    Fixture *f = opaque;
    g_assert_cmpuint(type, ==, KVM_SYSTEM_EVENT_SHUTDOWN);
    g_atomic_int_inc(&f->events);
}

/* The fixture without its threads (fixture_start starts them). */
static void fixture_init(Fixture *f, int shutdown_vcpu)
{
    memset(f, 0, sizeof(*f));
    f->fake.shutdown_vcpu = shutdown_vcpu;
    f->ops.ioctl = fake_ioctl;
    f->ops.opaque = &f->fake;
    f->s.ops = &f->ops;
    f->s.vcpus = f->vcpus;
    f->s.nr_vcpus = NR_VCPUS;
    g_mutex_init(&f->s.pause_lock);
    g_cond_init(&f->s.pause_cond);
    for (unsigned i = 0; i < NR_VCPUS; i++) {
        f->vcpus[i].s = &f->s;
        f->vcpus[i].index = i;
        f->vcpus[i].fd = FAKE_VCPU_FD + (int)i;
        f->vcpus[i].run = g_new0(struct kvm_run, 1);
        f->fake.run[i] = f->vcpus[i].run;
    }
}

static void fixture_start(Fixture *f, int shutdown_vcpu)
{
    fixture_init(f, shutdown_vcpu);
    g_assert_true(kvm_start_vcpus(&f->s, NULL, on_event, f, NULL));
}

static void fixture_stop(Fixture *f)
{
    kvm_stop_vcpus(&f->s);
    for (unsigned i = 0; i < NR_VCPUS; i++) {
        g_free(f->vcpus[i].run);
    }
    g_mutex_clear(&f->s.pause_lock);
    g_cond_clear(&f->s.pause_cond);
}

static void snapshot(Fixture *f, int *out)
{
    for (unsigned i = 0; i < NR_VCPUS; i++) {
        out[i] = g_atomic_int_get(&f->fake.runs[i]);
    }
}

/* Waits until every vCPU has entered KVM_RUN at least n more times than in base. */
static void wait_runs(Fixture *f, const int *base, int n)
{
    gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;

    for (unsigned i = 0; i < NR_VCPUS; i++) {
        while (g_atomic_int_get(&f->fake.runs[i]) < base[i] + n) {
            g_assert_cmpint(g_get_monotonic_time(), <, end);
            g_usleep(1000);
        }
    }
}

/* While paused no vCPU enters KVM_RUN; after resume every one does again; pause and resume
 * can be repeated; the thread ids are known. */
static void test_pause_resume(void)
{
    Fixture f;
    int zero[NR_VCPUS] = { 0 }, a[NR_VCPUS], b[NR_VCPUS];

    fixture_start(&f, -1);
    wait_runs(&f, zero, 3);
    for (unsigned i = 0; i < NR_VCPUS; i++) {
        g_assert_cmpint(kvm_vcpu_thread_id(&f.s, i), >, 0);
    }
    g_assert_cmpint(kvm_vcpu_thread_id(&f.s, NR_VCPUS), ==, 0);
    for (int round = 0; round < 3; round++) {
        kvm_pause_vcpus(&f.s);
        snapshot(&f, a);
        g_usleep(50 * 1000);
        snapshot(&f, b);
        for (unsigned i = 0; i < NR_VCPUS; i++) {
            g_assert_cmpint(b[i], ==, a[i]);
        }
        kvm_resume_vcpus(&f.s);
        wait_runs(&f, b, 3);
    }
    fixture_stop(&f);
}

/* The guest's clock stops while it is paused: its counter after resume takes up where it was
 * at the pause, not the 300 ms it was paused (a 150 ms margin for a slow or loaded machine). */
static void test_pause_freezes_counter(void)
{
    Fixture f;
    int zero[NR_VCPUS] = { 0 };
    gint64 at_pause, at_resume;

    fixture_start(&f, -1);
    wait_runs(&f, zero, 2);
    kvm_pause_vcpus(&f.s);
    at_pause = fake_cnt(&f.fake);
    g_usleep(300 * 1000);
    kvm_resume_vcpus(&f.s);
    at_resume = fake_cnt(&f.fake);
    fixture_stop(&f);
    g_assert_cmpint(f.fake.reg_gets, ==, 1);
    g_assert_cmpint(f.fake.reg_sets, ==, 1);
    g_assert_cmpint(at_resume - at_pause, <, 150 * 1000);
}

/* -S: held before the first KVM_RUN (no vCPU enters it) until resume. */
static void test_hold_before_start(void)
{
    Fixture f;
    int zero[NR_VCPUS] = { 0 }, a[NR_VCPUS];

    fixture_init(&f, -1);
    kvm_hold_vcpus(&f.s);
    g_assert_true(kvm_start_vcpus(&f.s, NULL, on_event, &f, NULL));
    g_usleep(100 * 1000);
    snapshot(&f, a);
    for (unsigned i = 0; i < NR_VCPUS; i++) {
        g_assert_cmpint(a[i], ==, 0);
    }
    kvm_resume_vcpus(&f.s);
    wait_runs(&f, zero, 3);
    fixture_stop(&f);
}

/* A KVM that refuses the counter register: stop and cont still work, the clock runs on. */
static void test_pause_counter_refused(void)
{
    Fixture f;
    int zero[NR_VCPUS] = { 0 }, b[NR_VCPUS];

    if (g_test_subprocess()) {
        fixture_start(&f, -1);
        f.fake.reg_errno = ENOENT;
        wait_runs(&f, zero, 2);
        kvm_pause_vcpus(&f.s);
        snapshot(&f, b);
        kvm_resume_vcpus(&f.s);
        wait_runs(&f, b, 2);
        fixture_stop(&f);
        g_assert_cmpint(f.fake.reg_sets, ==, 0);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_passed();
    g_test_trap_assert_stderr("*warning: the guest's clock runs on while stopped: vCPU 0: "
                              "KVM_GET_ONE_REG (TIMER_CNT)*");
}

/* Stopping the vCPUs while they are paused ends their threads (the teardown after QMP quit
 * or SIGTERM while stopped). */
static void test_stop_while_paused(void)
{
    Fixture f;
    int zero[NR_VCPUS] = { 0 };

    fixture_start(&f, -1);
    wait_runs(&f, zero, 2);
    kvm_pause_vcpus(&f.s);
    fixture_stop(&f); /* would hang here if parked threads were not released */
    for (unsigned i = 0; i < NR_VCPUS; i++) {
        g_assert_false(f.vcpus[i].thread_started);
    }
}

/* A vCPU whose thread has ended (the guest powered off on it) does not hold up a pause. */
static void test_pause_after_thread_ended(void)
{
    Fixture f;
    int zero[NR_VCPUS] = { 0 };
    gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;

    fixture_start(&f, 1);
    while (!g_atomic_int_get(&f.events)) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(1000);
    }
    wait_runs(&f, zero, 5);
    kvm_pause_vcpus(&f.s);
    kvm_resume_vcpus(&f.s);
    fixture_stop(&f);
    g_assert_cmpint(f.events, ==, 1);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/kvm-vcpu/pause-resume", test_pause_resume);
    g_test_add_func("/kvm-vcpu/pause-freezes-counter", test_pause_freezes_counter);
    g_test_add_func("/kvm-vcpu/pause-counter-refused", test_pause_counter_refused);
    g_test_add_func("/kvm-vcpu/hold-before-start", test_hold_before_start);
    g_test_add_func("/kvm-vcpu/stop-while-paused", test_stop_while_paused);
    g_test_add_func("/kvm-vcpu/pause-after-thread-ended", test_pause_after_thread_ended);
    return g_test_run();
}
