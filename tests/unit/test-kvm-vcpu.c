// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests: QMP stop/cont's vCPU pause (kvm_pause_vcpus, kvm_resume_vcpus) against a fake
 * HostOps whose KVM_RUN "runs the guest" in 1 ms slices and leaves early on the kick signal
 * or kvm_run.immediate_exit, as KVM does (api.rst 4.10), and whose KVM_REG_ARM_TIMER_CNT is a
 * counter in microseconds with a VM-wide offset, as arch_timer.c keeps it. And vCPU creation
 * with its features (-cpu: PMU, SVE and its vector lengths, pointer authentication) against a
 * second fake that keeps KVM's rules as api.rst 4.68, 4.82, 4.119 and devices/vcpu.rst state
 * them, answering a call out of order with the errno KVM gives. No /dev/kvm.
 */
#include "../../accel/kvm/kvm-internal.h"

#include <errno.h>
#include <stdarg.h>
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

/* ---- vCPU creation and features ------------------------------------------------------- */

#define MODEL_VM_FD 50
#define MODEL_VCPU_FD 400
#define MODEL_MAX_VCPUS 4
#define MODEL_TARGET 5 /* KVM_ARM_TARGET_GENERIC_V8 */
#define MODEL_RUN_SIZE 8192
#define F(bit) (1u << (bit))
#define ALL_FEATURES (F(KVM_ARM_VCPU_PSCI_0_2) | F(KVM_ARM_VCPU_PMU_V3) | F(KVM_ARM_VCPU_SVE) | \
                      F(KVM_ARM_VCPU_PTRAUTH_ADDRESS) | F(KVM_ARM_VCPU_PTRAUTH_GENERIC))

typedef struct ModelVcpu {
    bool created, inited, finalized, pmu_irq_set, pmu_inited;
    uint32_t features;
    uint32_t vqs;   /* its KVM_REG_ARM64_SVE_VLS (vq 1..32 of word 0) */
    int pmu_irq;
} ModelVcpu;

/* A KVM as the documents describe it. */
typedef struct Model {
    bool cap_pmu, cap_sve, cap_pa, cap_pg; /* KVM_CHECK_EXTENSION answers */
    uint32_t host_vqs;  /* the vector lengths the host offers */
    unsigned nr_vcpus;  /* how many the test creates */
    unsigned created;
    bool init_before_all_created;
    bool vgic_ready;    /* the vGIC exists and is initialised (the test sets it) */
    bool vm_features_set;
    uint32_t vm_features; /* every vCPU's, POWER_OFF aside */
    unsigned checks;    /* KVM_CHECK_EXTENSION calls */
    unsigned long fail_req; /* != 0: this ioctl on vCPU fail_vcpu fails with fail_errno */
    uint64_t fail_attr;
    unsigned fail_vcpu;
    int fail_errno;
    ModelVcpu v[MODEL_MAX_VCPUS];
} Model;

static int model_err(int e)
{
    errno = e;
    return -1;
}

static int model_vm_ioctl(Model *m, unsigned long req, void *arg)
{
    switch (req) {
    case KVM_CHECK_EXTENSION:
        m->checks++;
        switch ((int)(uintptr_t)arg) {
        case KVM_CAP_ARM_PMU_V3:
            return m->cap_pmu;
        case KVM_CAP_ARM_SVE:
            return m->cap_sve;
        case KVM_CAP_ARM_PTRAUTH_ADDRESS:
            return m->cap_pa;
        case KVM_CAP_ARM_PTRAUTH_GENERIC:
            return m->cap_pg;
        default:
            return 0;
        }
    case KVM_ARM_PREFERRED_TARGET: {
        struct kvm_vcpu_init *init = arg;
        memset(init, 0, sizeof(*init));
        init->target = MODEL_TARGET;
        return 0;
    }
    case KVM_CREATE_VCPU: {
        unsigned id = (unsigned)(uintptr_t)arg;
        g_assert_cmpuint(id, <, MODEL_MAX_VCPUS);
        if (m->fail_req == req && m->fail_vcpu == id) {
            return model_err(m->fail_errno);
        }
        g_assert_false(m->v[id].created);
        m->v[id].created = true;
        m->created++;
        return MODEL_VCPU_FD + (int)id;
    }
    default:
        g_error("unexpected VM ioctl 0x%lx", req);
    }
}

/* api.rst 4.82, and arm.c/reset.c of 6.1 and 6.12 for what each wrong call gets. */
static int model_vcpu_init(Model *m, ModelVcpu *v, const struct kvm_vcpu_init *init)
{
    uint32_t f = init->features[0], shared = f & ~F(KVM_ARM_VCPU_POWER_OFF);

    if (init->target != MODEL_TARGET) {
        return model_err(EINVAL);
    }
    if (f & ~(ALL_FEATURES | F(KVM_ARM_VCPU_POWER_OFF))) {
        return model_err(ENOENT);
    }
    if (((f & F(KVM_ARM_VCPU_PMU_V3)) && !m->cap_pmu) ||
        ((f & F(KVM_ARM_VCPU_SVE)) && !m->cap_sve) ||
        ((f & F(KVM_ARM_VCPU_PTRAUTH_ADDRESS)) && !m->cap_pa) ||
        ((f & F(KVM_ARM_VCPU_PTRAUTH_GENERIC)) && !m->cap_pg) ||
        !(f & F(KVM_ARM_VCPU_PTRAUTH_ADDRESS)) != !(f & F(KVM_ARM_VCPU_PTRAUTH_GENERIC))) {
        return model_err(EINVAL);
    }
    if ((v->inited && v->features != f) || (m->vm_features_set && m->vm_features != shared)) {
        return model_err(EINVAL);
    }
    if (m->created < m->nr_vcpus) {
        m->init_before_all_created = true;
    }
    m->vm_features_set = true;
    m->vm_features = shared;
    v->inited = true;
    v->features = f;
    v->vqs = (f & F(KVM_ARM_VCPU_SVE)) ? m->host_vqs : 0;
    return 0;
}

/* KVM_REG_ARM64_SVE_VLS as set_sve_vls (guest.c) checks it; any other register stands for
 * MPIDR_EL1 and the like, which an unfinalized SVE vCPU refuses (api.rst 4.119). */
static int model_one_reg(Model *m, unsigned i, ModelVcpu *v, unsigned long req,
                         const struct kvm_one_reg *reg)
{
    uint64_t *val = (uint64_t *)(uintptr_t)reg->addr;

    if (!v->inited) {
        return model_err(ENOEXEC);
    }
    if (reg->id != KVM_REG_ARM64_SVE_VLS) {
        if ((v->features & F(KVM_ARM_VCPU_SVE)) && !v->finalized) {
            return model_err(EPERM);
        }
        if (req == KVM_GET_ONE_REG) {
            *val = (1ULL << 31) | i;
        }
        return 0;
    }
    if (!(v->features & F(KVM_ARM_VCPU_SVE))) {
        return model_err(ENOENT);
    }
    if (req == KVM_GET_ONE_REG) {
        memset(val, 0, sizeof(uint64_t) * KVM_ARM64_SVE_VLS_WORDS);
        val[0] = v->vqs;
        return 0;
    }
    if (v->finalized) {
        return model_err(EPERM);
    }
    for (unsigned w = 1; w < KVM_ARM64_SVE_VLS_WORDS; w++) {
        if (val[w]) {
            return model_err(EINVAL);
        }
    }
    if (val[0] == 0 || val[0] > 0xffffffffu ||
        (uint32_t)val[0] != (m->host_vqs & (uint32_t)((2ull << g_bit_nth_msf(val[0], -1)) - 1))) {
        return model_err(EINVAL); /* not the host's set up to its longest length */
    }
    v->vqs = (uint32_t)val[0];
    return 0;
}

/* devices/vcpu.rst 1.1 and 1.2. */
static int model_pmu_attr(Model *m, unsigned i, ModelVcpu *v, const struct kvm_device_attr *a)
{
    g_assert_cmpuint(a->group, ==, KVM_ARM_VCPU_PMU_V3_CTRL);
    if (!(v->features & F(KVM_ARM_VCPU_PMU_V3))) {
        return model_err(ENODEV);
    }
    if (v->pmu_inited) {
        return model_err(EBUSY);
    }
    if (a->attr == KVM_ARM_VCPU_PMU_V3_IRQ) {
        int irq = *(const int *)(uintptr_t)a->addr;

        if (!m->vgic_ready || irq < 16 || irq >= 1020) {
            return model_err(EINVAL);
        }
        for (unsigned j = 0; j < MODEL_MAX_VCPUS; j++) {
            if (j != i && m->v[j].pmu_irq_set && m->v[j].pmu_irq != irq && irq < 32) {
                return model_err(EINVAL); /* a PPI is the same on every vCPU */
            }
        }
        if (v->pmu_irq_set) {
            return model_err(EBUSY);
        }
        v->pmu_irq_set = true;
        v->pmu_irq = irq;
        return 0;
    }
    g_assert_cmpuint(a->attr, ==, KVM_ARM_VCPU_PMU_V3_INIT);
    if (!m->vgic_ready) {
        return model_err(ENODEV);
    }
    if (!v->pmu_irq_set) {
        return model_err(ENXIO);
    }
    v->pmu_inited = true;
    return 0;
}

static int model_ioctl(void *opaque, int fd, unsigned long req, void *arg)
{
    Model *m = opaque;
    unsigned i = (unsigned)(fd - MODEL_VCPU_FD);
    ModelVcpu *v;

    if (fd == MODEL_VM_FD) {
        return model_vm_ioctl(m, req, arg);
    }
    g_assert_cmpuint(i, <, MODEL_MAX_VCPUS);
    v = &m->v[i];
    g_assert_true(v->created);
    if (m->fail_req == req && m->fail_vcpu == i &&
        (req != KVM_SET_DEVICE_ATTR ||
         ((struct kvm_device_attr *)arg)->attr == m->fail_attr)) {
        return model_err(m->fail_errno);
    }
    switch (req) {
    case KVM_ARM_VCPU_INIT:
        return model_vcpu_init(m, v, arg);
    case KVM_GET_ONE_REG:
    case KVM_SET_ONE_REG:
        return model_one_reg(m, i, v, req, arg);
    case KVM_ARM_VCPU_FINALIZE:
        if (*(int *)arg != KVM_ARM_VCPU_SVE) {
            return model_err(EINVAL);
        }
        if (!(v->features & F(KVM_ARM_VCPU_SVE)) || v->finalized) {
            return model_err(EPERM);
        }
        v->finalized = true;
        return 0;
    case KVM_SET_DEVICE_ATTR:
        return model_pmu_attr(m, i, v, arg);
    default:
        g_error("unexpected vCPU ioctl 0x%lx", req);
    }
}

static void *model_mmap(void *opaque, void *addr, size_t len, int prot, int flags, int fd,
                        off_t off)
{
    (void)opaque, (void)addr, (void)prot, (void)flags, (void)off;
    g_assert_cmpint(fd, >=, MODEL_VCPU_FD);
    return g_malloc0(len);
}

typedef struct CreateFixture {
    Model m;
    HostOps ops;
    KvmState s;
    ArmpassCpuConfig cpu;
} CreateFixture;

/* A KVM offering every feature and the vector lengths 128, 256 and 512 bits (not 384, as on
 * a CPU whose SVE is 512 bits wide), n vCPUs to make, -cpu host with no switch. */
static void create_fixture_init(CreateFixture *f, unsigned n)
{
    memset(f, 0, sizeof(*f));
    f->m = (Model){ .cap_pmu = true, .cap_sve = true, .cap_pa = true, .cap_pg = true,
                    .host_vqs = 0x1 | 0x2 | 0x8, .nr_vcpus = n };
    f->ops.ioctl = model_ioctl;
    f->ops.mmap = model_mmap;
    f->ops.opaque = &f->m;
    f->s.ops = &f->ops;
    f->s.vm_fd = MODEL_VM_FD;
    f->s.gic_fd = -1;
    f->s.run_mmap_size = MODEL_RUN_SIZE;
    f->cpu = (ArmpassCpuConfig){ .pmu = ONOFF_AUTO, .sve = ONOFF_AUTO, .pauth = ONOFF_AUTO };
}

static void create_fixture_clear(CreateFixture *f)
{
    for (unsigned i = 0; i < f->s.nr_vcpus; i++) {
        g_free(f->s.vcpus[i].run);
    }
    g_free(f->s.vcpus);
}

static bool create(CreateFixture *f, GError **errp)
{
    return kvm_create_vcpus(&f->s, f->m.nr_vcpus, &f->cpu, errp);
}

/* The vGIC as kvm_gic_create leaves it. */
static void create_fixture_gic(CreateFixture *f)
{
    f->s.gic_fd = 77;
    f->m.vgic_ready = true;
}

/* One line, containing each of the NULL-terminated needles. */
static G_GNUC_NULL_TERMINATED void assert_error(const GError *err, ...)
{
    va_list ap;
    const char *needle;

    g_assert_nonnull(err);
    g_assert_null(strchr(err->message, '\n'));
    va_start(ap, err);
    while ((needle = va_arg(ap, const char *))) {
        if (!strstr(err->message, needle)) {
            g_error("message \"%s\" lacks \"%s\"", err->message, needle);
        }
    }
    va_end(ap);
}

/* Where KVM offers everything, -cpu host gives every vCPU the PMU, SVE with all the host's
 * vector lengths (set, then finalized), and both pointer-authentication keys; vCPUs 1.. wait
 * powered off; each vCPU then has a PMU on INTID 23, initialised after its interrupt. */
static void test_create_all_features(void)
{
    CreateFixture f;
    g_autoptr(GError) err = NULL;
    KvmVcpuFeatures got;
    uint64_t mpidr;

    create_fixture_init(&f, 3);
    kvm_vcpu_features(&f.s, &got);
    g_assert_false(got.pmu || got.sve || got.pauth);
    g_assert_true(create(&f, &err));
    g_assert_no_error(err);
    g_assert_false(f.m.init_before_all_created);
    for (unsigned i = 0; i < 3; i++) {
        g_assert_cmphex(f.m.v[i].features, ==,
                        ALL_FEATURES | (i ? F(KVM_ARM_VCPU_POWER_OFF) : 0));
        g_assert_true(f.m.v[i].finalized);
        g_assert_cmphex(f.m.v[i].vqs, ==, 0xb);
        g_assert_nonnull(f.s.vcpus[i].run);
        g_assert_true(kvm_vcpu_get_mpidr(&f.s, i, &mpidr, &err)); /* finalized: usable */
    }
    kvm_vcpu_features(&f.s, &got);
    g_assert_true(got.pmu && got.sve && got.pauth);
    g_assert_cmphex(got.sve_vqs, ==, 0xb);
    create_fixture_gic(&f);
    g_assert_true(kvm_vcpus_init_pmu(&f.s, 23, &err));
    g_assert_no_error(err);
    for (unsigned i = 0; i < 3; i++) {
        g_assert_true(f.m.v[i].pmu_inited);
        g_assert_cmpint(f.m.v[i].pmu_irq, ==, 23);
    }
    create_fixture_clear(&f);
}

/* A KVM that offers none of them: PSCI alone, no SVE register touched, nothing for the PMU
 * to do (not even the check for the vGIC). */
static void test_create_none_offered(void)
{
    CreateFixture f;
    g_autoptr(GError) err = NULL;
    KvmVcpuFeatures got;

    create_fixture_init(&f, 2);
    f.m.cap_pmu = f.m.cap_sve = f.m.cap_pa = f.m.cap_pg = false;
    g_assert_true(create(&f, &err));
    g_assert_no_error(err);
    g_assert_cmphex(f.m.v[0].features, ==, F(KVM_ARM_VCPU_PSCI_0_2));
    g_assert_cmphex(f.m.v[1].features, ==, F(KVM_ARM_VCPU_PSCI_0_2) | F(KVM_ARM_VCPU_POWER_OFF));
    g_assert_false(f.m.v[0].finalized);
    kvm_vcpu_features(&f.s, &got);
    g_assert_false(got.pmu || got.sve || got.pauth);
    g_assert_cmphex(got.sve_vqs, ==, 0);
    g_assert_true(kvm_vcpus_init_pmu(&f.s, 23, &err)); /* no vGIC: fine without a PMU */
    create_fixture_clear(&f);

    /* one pointer-authentication capability alone is no pointer authentication */
    create_fixture_init(&f, 1);
    f.m.cap_pg = false;
    g_assert_true(create(&f, &err));
    g_assert_cmphex(f.m.v[0].features & (F(KVM_ARM_VCPU_PTRAUTH_ADDRESS) |
                                         F(KVM_ARM_VCPU_PTRAUTH_GENERIC)), ==, 0);
    create_fixture_clear(&f);
}

/* Each switch =off takes out its feature and only its feature. */
static void test_create_switches_off(void)
{
    static const struct {
        const char *what;
        ArmpassCpuConfig cpu;
        uint32_t gone;
    } cases[] = {
        { "pmu=off", { ONOFF_OFF, ONOFF_AUTO, ONOFF_AUTO, 0, 0 }, F(KVM_ARM_VCPU_PMU_V3) },
        { "sve=off", { ONOFF_AUTO, ONOFF_OFF, ONOFF_AUTO, 0, 0 }, F(KVM_ARM_VCPU_SVE) },
        { "pauth=off", { ONOFF_AUTO, ONOFF_AUTO, ONOFF_OFF, 0, 0 },
          F(KVM_ARM_VCPU_PTRAUTH_ADDRESS) | F(KVM_ARM_VCPU_PTRAUTH_GENERIC) },
        { "all on", { ONOFF_ON, ONOFF_ON, ONOFF_ON, 0, 0 }, 0 },
    };

    for (unsigned c = 0; c < G_N_ELEMENTS(cases); c++) {
        CreateFixture f;
        g_autoptr(GError) err = NULL;
        KvmVcpuFeatures got;

        g_test_message("-cpu host,%s", cases[c].what);
        create_fixture_init(&f, 2);
        f.cpu = cases[c].cpu;
        g_assert_true(create(&f, &err));
        g_assert_no_error(err);
        g_assert_cmphex(f.m.v[0].features, ==, ALL_FEATURES & ~cases[c].gone);
        g_assert_cmphex(f.m.v[1].features, ==,
                        (ALL_FEATURES & ~cases[c].gone) | F(KVM_ARM_VCPU_POWER_OFF));
        g_assert_cmpint(f.m.v[1].finalized, ==, !(cases[c].gone & F(KVM_ARM_VCPU_SVE)));
        kvm_vcpu_features(&f.s, &got);
        g_assert_cmpint(got.pmu, ==, !(cases[c].gone & F(KVM_ARM_VCPU_PMU_V3)));
        g_assert_cmpint(got.sve, ==, !(cases[c].gone & F(KVM_ARM_VCPU_SVE)));
        g_assert_cmpint(got.pauth, ==, !(cases[c].gone & F(KVM_ARM_VCPU_PTRAUTH_ADDRESS)));
        create_fixture_gic(&f);
        g_assert_true(kvm_vcpus_init_pmu(&f.s, 23, &err));
        g_assert_cmpint(f.m.v[1].pmu_inited, ==, got.pmu);
        create_fixture_clear(&f);
    }
}

/* A switch =on (or sveN=on) that KVM does not offer: one line naming the switch and the
 * capability, before any vCPU exists. */
static void test_create_on_not_offered(void)
{
    static const struct {
        ArmpassCpuConfig cpu;
        bool pmu, sve, pa, pg;
        const char *want1, *want2;
    } cases[] = {
        { { ONOFF_ON, ONOFF_AUTO, ONOFF_AUTO, 0, 0 }, false, true, true, true,
          "-cpu pmu=on: this host's KVM offers guests no PMU", "KVM_CAP_ARM_PMU_V3 is 0" },
        { { ONOFF_AUTO, ONOFF_ON, ONOFF_AUTO, 0, 0 }, true, false, true, true,
          "-cpu sve=on: this host's KVM offers guests no SVE", "leave sve=on out" },
        { { ONOFF_AUTO, ONOFF_AUTO, ONOFF_AUTO, 0x2, 0 }, true, false, true, true,
          "-cpu sve256=on: this host's KVM offers guests no SVE", "KVM_CAP_ARM_SVE is 0" },
        { { ONOFF_AUTO, ONOFF_AUTO, ONOFF_ON, 0, 0 }, true, true, true, false,
          "-cpu pauth=on: this host's KVM offers guests no pointer authentication",
          "KVM_CAP_ARM_PTRAUTH_ADDRESS is 1, KVM_CAP_ARM_PTRAUTH_GENERIC 0" },
    };

    for (unsigned c = 0; c < G_N_ELEMENTS(cases); c++) {
        CreateFixture f;
        g_autoptr(GError) err = NULL;

        create_fixture_init(&f, 2);
        f.cpu = cases[c].cpu;
        f.m.cap_pmu = cases[c].pmu;
        f.m.cap_sve = cases[c].sve;
        f.m.cap_pa = cases[c].pa;
        f.m.cap_pg = cases[c].pg;
        g_assert_false(create(&f, &err));
        assert_error(err, cases[c].want1, cases[c].want2, NULL);
        g_assert_cmpuint(f.m.created, ==, 0);
        create_fixture_clear(&f);
    }
}

/* The vector lengths, as QEMU's sveN switches pick them under KVM (which can only cap the
 * length), on a host offering 128, 256 and 512 bits. */
static void test_sve_pick(void)
{
    static const struct {
        uint32_t on, off, want;
    } ok[] = {
        { 0, 0, 0xb },     /* all of them */
        { 0x2, 0, 0x3 },   /* sve256=on: 128, 256 */
        { 0x1, 0, 0x1 },   /* sve128=on */
        { 0x8, 0x4, 0xb }, /* sve512=on,sve384=off: 384 is not offered anyway */
        { 0, 0x8, 0x3 },   /* sve512=off */
        { 0, 0x2, 0x1 },   /* sve256=off takes 512 with it */
        { 0, 0x4, 0xb },   /* sve384=off: nothing the host has */
    };
    static const struct {
        uint32_t on, off;
        const char *want1, *want2;
    } bad[] = {
        { 0x4, 0, "-cpu sve384=on: this host's KVM offers SVE vector lengths of 128, 256, 512 "
          "bits only", NULL },
        { 0x100, 0, "sve1152=on", "128, 256, 512" },
        { 0x8, 0x1, "-cpu sve128=off with sve512=on", "drop sve128=off" },
        { 0, 0x1, "leaves none of the SVE vector lengths this host's KVM offers (128, 256, 512 "
          "bits)", "give sve=off" },
    };

    for (unsigned i = 0; i < G_N_ELEMENTS(ok); i++) {
        g_autoptr(GError) err = NULL;
        uint32_t got = 0;

        g_assert_true(kvm_sve_pick_vqs(0xb, ok[i].on, ok[i].off, &got, &err));
        g_assert_no_error(err);
        g_assert_cmphex(got, ==, ok[i].want);
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) err = NULL;
        uint32_t got = 0xdead;

        g_assert_false(kvm_sve_pick_vqs(0xb, bad[i].on, bad[i].off, &got, &err));
        assert_error(err, bad[i].want1, bad[i].want2, NULL);
        g_assert_cmphex(got, ==, 0xdead);
    }
}

/* sveN reaches every vCPU's KVM_REG_ARM64_SVE_VLS before its finalize; a choice KVM cannot
 * give stops creation with the pick's message. */
static void test_create_sve_lengths(void)
{
    CreateFixture f;
    g_autoptr(GError) err = NULL;
    KvmVcpuFeatures got;

    create_fixture_init(&f, 2);
    f.cpu.sve_vq_on = 0x2; /* sve256=on */
    g_assert_true(create(&f, &err));
    g_assert_no_error(err);
    g_assert_cmphex(f.m.v[0].vqs, ==, 0x3);
    g_assert_cmphex(f.m.v[1].vqs, ==, 0x3);
    g_assert_true(f.m.v[1].finalized);
    kvm_vcpu_features(&f.s, &got);
    g_assert_cmphex(got.sve_vqs, ==, 0x3);
    create_fixture_clear(&f);

    create_fixture_init(&f, 2);
    f.cpu.sve_vq_on = 0x4; /* sve384=on */
    g_assert_false(create(&f, &err));
    assert_error(err, "sve384=on", "128, 256, 512", NULL);
    g_assert_false(f.m.v[0].finalized);
    create_fixture_clear(&f);
}

/* The PMU's interrupt needs the vGIC first; a refused attribute names the vCPU, the attribute
 * and errno. */
static void test_pmu_errors(void)
{
    CreateFixture f;
    g_autoptr(GError) err = NULL;

    create_fixture_init(&f, 2);
    g_assert_true(create(&f, &err));
    g_assert_false(kvm_vcpus_init_pmu(&f.s, 23, &err));
    assert_error(err, "needs the in-kernel vGIC", NULL);
    g_assert_false(f.m.v[0].pmu_irq_set);
    g_clear_error(&err);
    create_fixture_gic(&f);
    g_assert_false(kvm_vcpus_init_pmu(&f.s, 40, &err));
    assert_error(err, "INTID 40 is not a PPI", NULL);
    g_clear_error(&err);
    f.m.fail_req = KVM_SET_DEVICE_ATTR;
    f.m.fail_attr = KVM_ARM_VCPU_PMU_V3_INIT;
    f.m.fail_vcpu = 1;
    f.m.fail_errno = ENXIO;
    g_assert_false(kvm_vcpus_init_pmu(&f.s, 23, &err));
    assert_error(err, "vCPU 1: KVM_SET_DEVICE_ATTR (KVM_ARM_VCPU_PMU_V3_CTRL, "
                 "KVM_ARM_VCPU_PMU_V3_INIT): No such device or address", NULL);
    g_assert_true(f.m.v[0].pmu_inited);
    create_fixture_clear(&f);
    g_clear_error(&err);

    create_fixture_init(&f, 2);
    g_assert_true(create(&f, &err));
    create_fixture_gic(&f);
    f.m.fail_req = KVM_SET_DEVICE_ATTR;
    f.m.fail_attr = KVM_ARM_VCPU_PMU_V3_IRQ;
    f.m.fail_vcpu = 0;
    f.m.fail_errno = EBUSY;
    g_assert_false(kvm_vcpus_init_pmu(&f.s, 23, &err));
    assert_error(err, "vCPU 0: KVM_SET_DEVICE_ATTR (KVM_ARM_VCPU_PMU_V3_CTRL, "
                 "KVM_ARM_VCPU_PMU_V3_IRQ = 23): Device or resource busy", NULL);
    create_fixture_clear(&f);
}

/* A failing KVM_ARM_VCPU_INIT or finalize: the vCPU, the ioctl (with the target and
 * features for INIT) and errno. */
static void test_create_ioctl_errors(void)
{
    CreateFixture f;
    g_autoptr(GError) err = NULL;

    create_fixture_init(&f, 3);
    f.m.fail_req = KVM_ARM_VCPU_INIT;
    f.m.fail_vcpu = 0;
    f.m.fail_errno = EINVAL;
    g_assert_false(create(&f, &err));
    assert_error(err, "vCPU 0: KVM_ARM_VCPU_INIT (target 5, features 0x7c): Invalid argument",
                 NULL);
    create_fixture_clear(&f);
    g_clear_error(&err);

    create_fixture_init(&f, 3);
    f.m.fail_req = KVM_ARM_VCPU_FINALIZE;
    f.m.fail_vcpu = 2;
    f.m.fail_errno = EPERM;
    g_assert_false(create(&f, &err));
    assert_error(err, "vCPU 2: KVM_ARM_VCPU_FINALIZE(KVM_ARM_VCPU_SVE): Operation not permitted",
                 NULL);
    create_fixture_clear(&f);
    g_clear_error(&err);

    create_fixture_init(&f, 3);
    f.m.fail_req = KVM_CREATE_VCPU;
    f.m.fail_vcpu = 1;
    f.m.fail_errno = ENOMEM;
    g_assert_false(create(&f, &err));
    assert_error(err, "vCPU 1: KVM_CREATE_VCPU: Cannot allocate memory", NULL);
    g_assert_false(f.m.v[0].inited); /* no INIT before every vCPU exists */
    create_fixture_clear(&f);
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
    g_test_add_func("/kvm-vcpu/create/all-features", test_create_all_features);
    g_test_add_func("/kvm-vcpu/create/none-offered", test_create_none_offered);
    g_test_add_func("/kvm-vcpu/create/switches-off", test_create_switches_off);
    g_test_add_func("/kvm-vcpu/create/on-not-offered", test_create_on_not_offered);
    g_test_add_func("/kvm-vcpu/create/sve-lengths", test_create_sve_lengths);
    g_test_add_func("/kvm-vcpu/create/ioctl-errors", test_create_ioctl_errors);
    g_test_add_func("/kvm-vcpu/sve-pick", test_sve_pick);
    g_test_add_func("/kvm-vcpu/pmu-errors", test_pmu_errors);
    return g_test_run();
}
