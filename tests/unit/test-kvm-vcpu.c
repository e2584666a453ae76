// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests against the shared fake KVM (kvm-fake.h; no /dev/kvm): QMP stop/cont's vCPU
 * pause (kvm_pause_vcpus, kvm_resume_vcpus), where KVM_RUN "runs the guest" in 1 ms slices and
 * leaves early on the kick signal or kvm_run.immediate_exit, as KVM does (api.rst 4.10), and
 * KVM_REG_ARM_TIMER_CNT is a counter in microseconds with a VM-wide offset, as arch_timer.c
 * keeps it. And vCPU creation with its features (-cpu: PMU, SVE and its vector lengths,
 * pointer authentication), the fake keeping KVM's rules as api.rst 4.68, 4.82, 4.119 and
 * devices/vcpu.rst state them, answering a call out of order with the errno KVM gives.
 */
#include "../../accel/kvm/kvm-internal.h"
#include "kvm-fake.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#define NR_VCPUS 3

typedef struct Fixture {
    FakeKvm *fake;
    KvmState *s;
    int events;
} Fixture;

/* The guest's virtual counter as the fake KVM keeps it (microseconds). */
static gint64 fake_cnt(FakeKvm *f)
{
    return g_get_monotonic_time() - f->cntvoff;
}

static void on_event(void *opaque, uint32_t type)
{
    Fixture *f = opaque;
    g_assert_cmpuint(type, ==, KVM_SYSTEM_EVENT_SHUTDOWN);
    g_atomic_int_inc(&f->events);
}

/* NR_VCPUS vCPUs with no optional feature, without their threads (fixture_start starts them);
 * vCPU shutdown_vcpu (-1: none) asks PSCI SYSTEM_OFF at its 5th KVM_RUN. */
static void fixture_init(Fixture *f, int shutdown_vcpu)
{
    static const ArmpassCpuConfig cpu = { .pmu = ONOFF_OFF, .sve = ONOFF_OFF, .pauth = ONOFF_OFF };

    memset(f, 0, sizeof(*f));
    f->fake = fake_kvm_new("/dev/kvm");
    if (shutdown_vcpu >= 0) {
        fake_kvm_queue_slices(f->fake, (unsigned)shutdown_vcpu, 4);
        fake_kvm_queue_event(f->fake, (unsigned)shutdown_vcpu, KVM_SYSTEM_EVENT_SHUTDOWN);
    }
    f->s = kvm_init(&f->fake->ops, "/dev/kvm", NULL);
    g_assert_nonnull(f->s);
    g_assert_true(kvm_create_vcpus(f->s, NR_VCPUS, &cpu, NULL));
}

static void fixture_start(Fixture *f, int shutdown_vcpu)
{
    fixture_init(f, shutdown_vcpu);
    g_assert_true(kvm_start_vcpus(f->s, NULL, on_event, f, NULL));
}

static void fixture_stop(Fixture *f)
{
    kvm_stop_vcpus(f->s);
}

/* After fixture_stop: everything closed and unmapped. */
static void fixture_free(Fixture *f)
{
    kvm_destroy(f->s);
    g_assert_cmpuint(fake_kvm_open_fds(f->fake), ==, 0);
    g_assert_cmpuint(fake_kvm_live_mmaps(f->fake), ==, 0);
    fake_kvm_free(f->fake);
}

static void snapshot(Fixture *f, int *out)
{
    for (unsigned i = 0; i < NR_VCPUS; i++) {
        out[i] = g_atomic_int_get(&f->fake->vcpus[i].runs);
    }
}

/* Waits until every vCPU has entered KVM_RUN at least n more times than in base. */
static void wait_runs(Fixture *f, const int *base, int n)
{
    gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;

    for (unsigned i = 0; i < NR_VCPUS; i++) {
        while (g_atomic_int_get(&f->fake->vcpus[i].runs) < base[i] + n) {
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
        g_assert_cmpint(kvm_vcpu_thread_id(f.s, i), >, 0);
    }
    g_assert_cmpint(kvm_vcpu_thread_id(f.s, NR_VCPUS), ==, 0);
    for (int round = 0; round < 3; round++) {
        kvm_pause_vcpus(f.s);
        snapshot(&f, a);
        g_usleep(50 * 1000);
        snapshot(&f, b);
        for (unsigned i = 0; i < NR_VCPUS; i++) {
            g_assert_cmpint(b[i], ==, a[i]);
        }
        kvm_resume_vcpus(f.s);
        wait_runs(&f, b, 3);
    }
    fixture_stop(&f);
    fixture_free(&f);
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
    kvm_pause_vcpus(f.s);
    at_pause = fake_cnt(f.fake);
    g_usleep(300 * 1000);
    kvm_resume_vcpus(f.s);
    at_resume = fake_cnt(f.fake);
    fixture_stop(&f);
    g_assert_cmpint(f.fake->timer_gets, ==, 1);
    g_assert_cmpint(f.fake->timer_sets, ==, 1);
    g_assert_cmpint(at_resume - at_pause, <, 150 * 1000);
    fixture_free(&f);
}

/* -S: held before the first KVM_RUN (no vCPU enters it) until resume. */
static void test_hold_before_start(void)
{
    Fixture f;
    int zero[NR_VCPUS] = { 0 }, a[NR_VCPUS];

    fixture_init(&f, -1);
    kvm_hold_vcpus(f.s);
    g_assert_true(kvm_start_vcpus(f.s, NULL, on_event, &f, NULL));
    g_usleep(100 * 1000);
    snapshot(&f, a);
    for (unsigned i = 0; i < NR_VCPUS; i++) {
        g_assert_cmpint(a[i], ==, 0);
    }
    kvm_resume_vcpus(f.s);
    wait_runs(&f, zero, 3);
    fixture_stop(&f);
    fixture_free(&f);
}

/* A KVM that refuses the counter register: stop and cont still work, the clock runs on. */
static void test_pause_counter_refused(void)
{
    Fixture f;
    int zero[NR_VCPUS] = { 0 }, b[NR_VCPUS];

    if (g_test_subprocess()) {
        fixture_start(&f, -1);
        fake_kvm_fail_ioctl(f.fake, KVM_GET_ONE_REG, -1, -1, 0, ENOENT);
        fake_kvm_fail_ioctl(f.fake, KVM_SET_ONE_REG, -1, -1, 0, ENOENT);
        wait_runs(&f, zero, 2);
        kvm_pause_vcpus(f.s);
        snapshot(&f, b);
        kvm_resume_vcpus(f.s);
        wait_runs(&f, b, 2);
        fixture_stop(&f);
        g_assert_cmpint(f.fake->timer_sets, ==, 0);
        fixture_free(&f);
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
    kvm_pause_vcpus(f.s);
    fixture_stop(&f); /* would hang here if parked threads were not released */
    for (unsigned i = 0; i < NR_VCPUS; i++) {
        g_assert_false(f.s->vcpus[i].thread_started);
    }
    fixture_free(&f);
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
    kvm_pause_vcpus(f.s);
    kvm_resume_vcpus(f.s);
    fixture_stop(&f);
    g_assert_cmpint(f.events, ==, 1);
    fixture_free(&f);
}

/* ---- vCPU creation and features ------------------------------------------------------- */

#define F(bit) (1u << (bit))
#define ALL_FEATURES (F(KVM_ARM_VCPU_PSCI_0_2) | F(KVM_ARM_VCPU_PMU_V3) | F(KVM_ARM_VCPU_SVE) | \
                      F(KVM_ARM_VCPU_PTRAUTH_ADDRESS) | F(KVM_ARM_VCPU_PTRAUTH_GENERIC))

typedef struct CreateFixture {
    FakeKvm *k;
    KvmState *s;
    unsigned n;
    ArmpassCpuConfig cpu;
} CreateFixture;

/* The shared fake KVM, offering every feature and the vector lengths 128, 256 and 512 bits
 * (not 384, as on a CPU whose SVE is 512 bits wide), n vCPUs to make, -cpu host with no
 * switch. */
static void create_fixture_init(CreateFixture *f, unsigned n)
{
    memset(f, 0, sizeof(*f));
    f->k = fake_kvm_new("/dev/kvm");
    g_assert_cmphex(f->k->host_vqs, ==, 0x1 | 0x2 | 0x8);
    f->s = kvm_init(&f->k->ops, "/dev/kvm", NULL);
    g_assert_nonnull(f->s);
    f->n = n;
    f->cpu = (ArmpassCpuConfig){ .pmu = ONOFF_AUTO, .sve = ONOFF_AUTO, .pauth = ONOFF_AUTO };
}

/* What KVM_CHECK_EXTENSION says of the PMU, SVE and the two pointer-authentication keys. */
static void set_caps(CreateFixture *f, bool pmu, bool sve, bool pa, bool pg)
{
    fake_kvm_set_cap(f->k, KVM_CAP_ARM_PMU_V3, pmu);
    fake_kvm_set_cap(f->k, KVM_CAP_ARM_SVE, sve);
    fake_kvm_set_cap(f->k, KVM_CAP_ARM_PTRAUTH_ADDRESS, pa);
    fake_kvm_set_cap(f->k, KVM_CAP_ARM_PTRAUTH_GENERIC, pg);
}

/* Every vCPU fd closed and every kvm_run unmapped by kvm_destroy. */
static void create_fixture_clear(CreateFixture *f)
{
    kvm_destroy(f->s);
    g_assert_cmpuint(fake_kvm_open_fds(f->k), ==, 0);
    g_assert_cmpuint(fake_kvm_live_mmaps(f->k), ==, 0);
    fake_kvm_free(f->k);
}

static bool create(CreateFixture *f, GError **errp)
{
    return kvm_create_vcpus(f->s, f->n, &f->cpu, errp);
}

/* The vGIC, made by kvm_gic_create. */
static void create_fixture_gic(CreateFixture *f)
{
    KvmGicLayout l = { .version = 3, .dist_base = 0x08000000, .redist_base = 0x080a0000,
                       .redist_size = 0xf60000, .nr_irqs = 256 };

    g_assert_true(kvm_gic_create(f->s, &l, NULL));
    g_assert_true(f->k->gic.inited);
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
    kvm_vcpu_features(f.s, &got);
    g_assert_false(got.pmu || got.sve || got.pauth);
    g_assert_true(create(&f, &err));
    g_assert_no_error(err);
    g_assert_false(f.k->create_after_init);
    for (unsigned i = 0; i < 3; i++) {
        g_assert_cmphex(f.k->vcpus[i].features, ==,
                        ALL_FEATURES | (i ? F(KVM_ARM_VCPU_POWER_OFF) : 0));
        g_assert_true(f.k->vcpus[i].finalized);
        g_assert_cmphex(f.k->vcpus[i].vqs, ==, 0xb);
        g_assert_nonnull(f.s->vcpus[i].run);
        g_assert_true(kvm_vcpu_get_mpidr(f.s, i, &mpidr, &err)); /* finalized: usable */
    }
    kvm_vcpu_features(f.s, &got);
    g_assert_true(got.pmu && got.sve && got.pauth);
    g_assert_cmphex(got.sve_vqs, ==, 0xb);
    create_fixture_gic(&f);
    g_assert_true(kvm_vcpus_init_pmu(f.s, 23, &err));
    g_assert_no_error(err);
    for (unsigned i = 0; i < 3; i++) {
        g_assert_true(f.k->vcpus[i].pmu_inited);
        g_assert_cmpint(f.k->vcpus[i].pmu_irq, ==, 23);
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
    set_caps(&f, false, false, false, false);
    g_assert_true(create(&f, &err));
    g_assert_no_error(err);
    g_assert_cmphex(f.k->vcpus[0].features, ==, F(KVM_ARM_VCPU_PSCI_0_2));
    g_assert_cmphex(f.k->vcpus[1].features, ==, F(KVM_ARM_VCPU_PSCI_0_2) | F(KVM_ARM_VCPU_POWER_OFF));
    g_assert_false(f.k->vcpus[0].finalized);
    kvm_vcpu_features(f.s, &got);
    g_assert_false(got.pmu || got.sve || got.pauth);
    g_assert_cmphex(got.sve_vqs, ==, 0);
    g_assert_true(kvm_vcpus_init_pmu(f.s, 23, &err)); /* no vGIC: fine without a PMU */
    create_fixture_clear(&f);

    /* one pointer-authentication capability alone is no pointer authentication */
    create_fixture_init(&f, 1);
    set_caps(&f, true, true, true, false);
    g_assert_true(create(&f, &err));
    g_assert_cmphex(f.k->vcpus[0].features & (F(KVM_ARM_VCPU_PTRAUTH_ADDRESS) |
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
        g_assert_cmphex(f.k->vcpus[0].features, ==, ALL_FEATURES & ~cases[c].gone);
        g_assert_cmphex(f.k->vcpus[1].features, ==,
                        (ALL_FEATURES & ~cases[c].gone) | F(KVM_ARM_VCPU_POWER_OFF));
        g_assert_cmpint(f.k->vcpus[1].finalized, ==, !(cases[c].gone & F(KVM_ARM_VCPU_SVE)));
        kvm_vcpu_features(f.s, &got);
        g_assert_cmpint(got.pmu, ==, !(cases[c].gone & F(KVM_ARM_VCPU_PMU_V3)));
        g_assert_cmpint(got.sve, ==, !(cases[c].gone & F(KVM_ARM_VCPU_SVE)));
        g_assert_cmpint(got.pauth, ==, !(cases[c].gone & F(KVM_ARM_VCPU_PTRAUTH_ADDRESS)));
        create_fixture_gic(&f);
        g_assert_true(kvm_vcpus_init_pmu(f.s, 23, &err));
        g_assert_cmpint(f.k->vcpus[1].pmu_inited, ==, got.pmu);
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
        set_caps(&f, cases[c].pmu, cases[c].sve, cases[c].pa, cases[c].pg);
        g_assert_false(create(&f, &err));
        assert_error(err, cases[c].want1, cases[c].want2, NULL);
        g_assert_cmpuint(f.k->nr_vcpus, ==, 0);
        create_fixture_clear(&f);
    }
}

/* The whole line a user reads for each switch =on that KVM cannot give (api.rst 4.82 names
 * the capability of each feature), and the ioctls made before it: none on a vCPU. */
static void test_create_unsupported_messages(void)
{
    static const struct {
        ArmpassCpuConfig cpu;
        int cap;
        const char *want;
    } cases[] = {
        { { ONOFF_ON, ONOFF_AUTO, ONOFF_AUTO, 0, 0 }, KVM_CAP_ARM_PMU_V3,
          "-cpu pmu=on: this host's KVM offers guests no PMU (KVM_CAP_ARM_PMU_V3 is 0: the host "
          "kernel needs CONFIG_HW_PERF_EVENTS and a PMU of its own); leave pmu=on out" },
        { { ONOFF_AUTO, ONOFF_ON, ONOFF_AUTO, 0, 0 }, KVM_CAP_ARM_SVE,
          "-cpu sve=on: this host's KVM offers guests no SVE (KVM_CAP_ARM_SVE is 0: the host CPU "
          "needs SVE and its kernel CONFIG_ARM64_SVE); leave sve=on out" },
        { { ONOFF_AUTO, ONOFF_AUTO, ONOFF_AUTO, 0x8 | 0x2, 0 }, KVM_CAP_ARM_SVE,
          "-cpu sve512=on: this host's KVM offers guests no SVE (KVM_CAP_ARM_SVE is 0: the host "
          "CPU needs SVE and its kernel CONFIG_ARM64_SVE); leave sve512=on out" },
        { { ONOFF_AUTO, ONOFF_AUTO, ONOFF_ON, 0, 0 }, KVM_CAP_ARM_PTRAUTH_ADDRESS,
          "-cpu pauth=on: this host's KVM offers guests no pointer authentication "
          "(KVM_CAP_ARM_PTRAUTH_ADDRESS is 0, KVM_CAP_ARM_PTRAUTH_GENERIC 1: the host CPU needs "
          "both and its kernel CONFIG_ARM64_PTR_AUTH); leave pauth=on out" },
    };

    for (unsigned c = 0; c < G_N_ELEMENTS(cases); c++) {
        CreateFixture f;
        g_autoptr(GError) err = NULL;

        create_fixture_init(&f, 2);
        f.cpu = cases[c].cpu;
        fake_kvm_set_cap(f.k, cases[c].cap, 0);
        g_assert_false(create(&f, &err));
        g_assert_error(err, KVM_ERROR, ENODEV);
        g_assert_cmpstr(err->message, ==, cases[c].want);
        g_assert_cmpuint(fake_kvm_calls(f.k, KVM_CREATE_VCPU), ==, 0);
        g_assert_cmpuint(fake_kvm_calls(f.k, KVM_ARM_PREFERRED_TARGET), ==, 0);
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
    g_assert_cmphex(f.k->vcpus[0].vqs, ==, 0x3);
    g_assert_cmphex(f.k->vcpus[1].vqs, ==, 0x3);
    g_assert_true(f.k->vcpus[1].finalized);
    kvm_vcpu_features(f.s, &got);
    g_assert_cmphex(got.sve_vqs, ==, 0x3);
    create_fixture_clear(&f);

    create_fixture_init(&f, 2);
    f.cpu.sve_vq_on = 0x4; /* sve384=on */
    g_assert_false(create(&f, &err));
    assert_error(err, "sve384=on", "128, 256, 512", NULL);
    g_assert_false(f.k->vcpus[0].finalized);
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
    g_assert_false(kvm_vcpus_init_pmu(f.s, 23, &err));
    assert_error(err, "needs the in-kernel vGIC", NULL);
    g_assert_false(f.k->vcpus[0].pmu_irq_set);
    g_clear_error(&err);
    create_fixture_gic(&f);
    g_assert_false(kvm_vcpus_init_pmu(f.s, 40, &err));
    assert_error(err, "INTID 40 is not a PPI", NULL);
    g_clear_error(&err);
    fake_kvm_fail_ioctl(f.k, KVM_SET_DEVICE_ATTR, 1, KVM_ARM_VCPU_PMU_V3_INIT, 0, ENXIO);
    g_assert_false(kvm_vcpus_init_pmu(f.s, 23, &err));
    assert_error(err, "vCPU 1: KVM_SET_DEVICE_ATTR (KVM_ARM_VCPU_PMU_V3_CTRL, "
                 "KVM_ARM_VCPU_PMU_V3_INIT): No such device or address", NULL);
    g_assert_true(f.k->vcpus[0].pmu_inited);
    create_fixture_clear(&f);
    g_clear_error(&err);

    create_fixture_init(&f, 2);
    g_assert_true(create(&f, &err));
    create_fixture_gic(&f);
    fake_kvm_fail_ioctl(f.k, KVM_SET_DEVICE_ATTR, 0, KVM_ARM_VCPU_PMU_V3_IRQ, 0, EBUSY);
    g_assert_false(kvm_vcpus_init_pmu(f.s, 23, &err));
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
    fake_kvm_fail_ioctl(f.k, KVM_ARM_VCPU_INIT, 0, -1, 0, EINVAL);
    g_assert_false(create(&f, &err));
    assert_error(err, "vCPU 0: KVM_ARM_VCPU_INIT (target 5, features 0x7c): Invalid argument",
                 NULL);
    create_fixture_clear(&f);
    g_clear_error(&err);

    create_fixture_init(&f, 3);
    fake_kvm_fail_ioctl(f.k, KVM_ARM_VCPU_FINALIZE, 2, -1, 0, EPERM);
    g_assert_false(create(&f, &err));
    assert_error(err, "vCPU 2: KVM_ARM_VCPU_FINALIZE(KVM_ARM_VCPU_SVE): Operation not permitted",
                 NULL);
    create_fixture_clear(&f);
    g_clear_error(&err);

    create_fixture_init(&f, 3);
    fake_kvm_fail_ioctl(f.k, KVM_CREATE_VCPU, 1, -1, 0, ENOMEM);
    g_assert_false(create(&f, &err));
    assert_error(err, "vCPU 1: KVM_CREATE_VCPU: Cannot allocate memory", NULL);
    g_assert_false(f.k->vcpus[0].inited); /* no INIT before every vCPU exists */
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
    g_test_add_func("/kvm-vcpu/create/unsupported-messages", test_create_unsupported_messages);
    g_test_add_func("/kvm-vcpu/create/ioctl-errors", test_create_ioctl_errors);
    g_test_add_func("/kvm-vcpu/sve-pick", test_sve_pick);
    g_test_add_func("/kvm-vcpu/pmu-errors", test_pmu_errors);
    return g_test_run();
}
