// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests: the GSI routing table armpass hands KVM (every SPI route, then MSI routes with
 * DeviceIDs), GSI allocation and reuse, the route limit, roll-back when KVM refuses, the
 * no-ITS error, and KVM_SIGNAL_MSI, against the shared fake KVM (kvm-fake.h; no /dev/kvm).
 */
#include "../../accel/kvm/kvm-internal.h"
#include "kvm-fake.h"

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define NR_SPIS 224

typedef struct Fixture {
    FakeKvm *fake;
    KvmState *s;
} Fixture;

/* A VM as the board makes it, on the shared fake KVM: one vCPU, a GICv3 with NR_SPIS SPIs,
 * and an ITS (its) or none (a GICv2's case, or a KVM that made none). */
static void fixture_init(Fixture *f, bool its)
{
    static const ArmpassCpuConfig cpu = { .pmu = ONOFF_OFF, .sve = ONOFF_OFF, .pauth = ONOFF_OFF };
    KvmGicLayout l = { .version = 3, .dist_base = 0x08000000, .redist_base = 0x080a0000,
                       .redist_size = 0xf60000, .its_base = its ? 0x08080000 : 0,
                       .nr_irqs = NR_SPIS + 32 };

    memset(f, 0, sizeof(*f));
    f->fake = fake_kvm_new("/dev/kvm");
    f->s = kvm_init(&f->fake->ops, "/dev/kvm", NULL);
    g_assert_nonnull(f->s);
    g_assert_true(kvm_create_vcpus(f->s, 1, &cpu, NULL));
    g_assert_true(kvm_gic_create(f->s, &l, NULL));
    g_assert_cmpuint(f->s->nr_spis, ==, NR_SPIS);
}

static void fixture_clear(Fixture *f)
{
    kvm_destroy(f->s);
    g_assert_cmpuint(fake_kvm_open_fds(f->fake), ==, 0);
    fake_kvm_free(f->fake);
}

/* The entry of the committed table for gsi, or NULL. */
static const struct kvm_irq_routing_entry *entry(Fixture *f, unsigned gsi)
{
    for (unsigned i = 0; f->fake->routing && i < f->fake->routing->nr; i++) {
        if (f->fake->routing->entries[i].gsi == gsi) {
            return &f->fake->routing->entries[i];
        }
    }
    return NULL;
}

static void assert_spi_routes(const struct kvm_irq_routing *r)
{
    for (unsigned i = 0; i < NR_SPIS; i++) {
        g_assert_cmpuint(r->entries[i].gsi, ==, i);
        g_assert_cmpuint(r->entries[i].type, ==, KVM_IRQ_ROUTING_IRQCHIP);
        g_assert_cmpuint(r->entries[i].u.irqchip.irqchip, ==, 0);
        g_assert_cmpuint(r->entries[i].u.irqchip.pin, ==, i);
    }
}

static void test_build(void)
{
    const KvmMsiRoute routes[] = {
        { true, 0x08090040, 5, 0x08 },
        { false, 0, 0, 0 },
        { true, 0x1234567808090040ULL, 0xffffffff, 0x0110 },
    };
    g_autofree struct kvm_irq_routing *r = kvm_irq_routing_build(NR_SPIS, routes, 3);
    g_autofree struct kvm_irq_routing *spis_only = kvm_irq_routing_build(NR_SPIS, NULL, 0);
    const struct kvm_irq_routing_entry *e;

    g_assert_cmpuint(r->nr, ==, NR_SPIS + 2);
    g_assert_cmpuint(r->flags, ==, 0);
    assert_spi_routes(r);
    e = &r->entries[NR_SPIS];
    g_assert_cmpuint(e->gsi, ==, NR_SPIS);
    g_assert_cmpuint(e->type, ==, KVM_IRQ_ROUTING_MSI);
    g_assert_cmpuint(e->flags, ==, KVM_MSI_VALID_DEVID);
    g_assert_cmphex(e->u.msi.address_lo, ==, 0x08090040);
    g_assert_cmphex(e->u.msi.address_hi, ==, 0);
    g_assert_cmpuint(e->u.msi.data, ==, 5);
    g_assert_cmphex(e->u.msi.devid, ==, 0x08);
    e = &r->entries[NR_SPIS + 1]; /* the released route in between is skipped */
    g_assert_cmpuint(e->gsi, ==, NR_SPIS + 2);
    g_assert_cmphex(e->u.msi.address_lo, ==, 0x08090040);
    g_assert_cmphex(e->u.msi.address_hi, ==, 0x12345678);
    g_assert_cmphex(e->u.msi.data, ==, 0xffffffff);
    g_assert_cmphex(e->u.msi.devid, ==, 0x0110);
    g_assert_cmpuint(spis_only->nr, ==, NR_SPIS);
    assert_spi_routes(spis_only);
}

static void test_add_update_release(void)
{
    Fixture f;
    g_autoptr(GError) err = NULL;
    unsigned a, b, c;

    fixture_init(&f, true);
    g_assert_true(kvm_has_msi(f.s));
    g_assert_true(kvm_msi_route_add(f.s, 0x08090040, 0, 0x08, &a, &err));
    g_assert_no_error(err);
    g_assert_cmpuint(a, ==, NR_SPIS); /* the first GSI above the SPIs */
    /* the first MSI route brings every default SPI route along */
    g_assert_cmpuint(f.fake->routing->nr, ==, NR_SPIS + 1);
    assert_spi_routes(f.fake->routing);
    g_assert_true(kvm_msi_route_add(f.s, 0x08090040, 1, 0x08, &b, &err));
    g_assert_cmpuint(b, ==, NR_SPIS + 1);
    g_assert_cmpuint(entry(&f, b)->u.msi.data, ==, 1);
    /* the guest rewrites the MSI-X entry */
    g_assert_true(kvm_msi_route_update(f.s, b, 0x08090040, 7, 0x10, &err));
    g_assert_cmpuint(entry(&f, b)->u.msi.data, ==, 7);
    g_assert_cmphex(entry(&f, b)->u.msi.devid, ==, 0x10);
    g_assert_cmpuint(entry(&f, b)->flags, ==, KVM_MSI_VALID_DEVID);
    /* a released GSI leaves the table and is the next one handed out */
    kvm_msi_route_release(f.s, a);
    g_assert_null(entry(&f, a));
    g_assert_cmpuint(f.fake->routing->nr, ==, NR_SPIS + 1);
    g_assert_nonnull(entry(&f, b));
    g_assert_true(kvm_msi_route_add(f.s, 0x08090040, 2, 0x18, &c, &err));
    g_assert_cmpuint(c, ==, a);
    g_assert_cmphex(entry(&f, c)->u.msi.devid, ==, 0x18);
    /* releasing everything leaves the SPI routes */
    kvm_msi_route_release(f.s, b);
    kvm_msi_route_release(f.s, c);
    g_assert_cmpuint(f.fake->routing->nr, ==, NR_SPIS);
    g_assert_cmpuint(f.s->msi_routes->len, ==, 0);
    kvm_msi_route_release(f.s, c); /* twice: nothing happens */
    kvm_msi_route_release(f.s, 5); /* an SPI: not an MSI route */
    g_assert_cmpuint(f.fake->routing->nr, ==, NR_SPIS);
    fixture_clear(&f);
}

static void test_bad_update(void)
{
    Fixture f;
    g_autoptr(GError) e1 = NULL, e2 = NULL;

    fixture_init(&f, true);
    g_assert_false(kvm_msi_route_update(f.s, 3, 0x08090040, 0, 0, &e1)); /* an SPI */
    g_assert_error(e1, KVM_ERROR, EINVAL);
    g_assert_nonnull(strstr(e1->message, "GSI 3 is not an MSI route"));
    g_assert_false(kvm_msi_route_update(f.s, NR_SPIS + 9, 0x08090040, 0, 0, &e2));
    g_assert_error(e2, KVM_ERROR, EINVAL);
    g_assert_cmpuint(f.fake->routing_commits, ==, 0);
    fixture_clear(&f);
}

static void test_no_its(void)
{
    Fixture f;
    g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL;
    unsigned gsi = 0;

    fixture_init(&f, false); /* a GICv2, or a GICv3 KVM made no ITS for */
    g_assert_false(kvm_has_msi(f.s));
    g_assert_false(kvm_msi_route_add(f.s, 0x08090040, 0, 0, &gsi, &e1));
    g_assert_error(e1, KVM_ERROR, ENOTSUP);
    g_assert_cmpstr(e1->message, ==, "MSI needs a GICv3 with an ITS: use -M virt,gic-version=3");
    g_assert_false(kvm_msi_route_update(f.s, NR_SPIS, 0x08090040, 0, 0, &e2));
    g_assert_error(e2, KVM_ERROR, ENOTSUP);
    g_assert_false(kvm_signal_msi(f.s, 0x08090040, 0, 0, &e3));
    g_assert_error(e3, KVM_ERROR, ENOTSUP);
    kvm_msi_route_release(f.s, NR_SPIS);
    g_assert_cmpuint(f.fake->routing_commits, ==, 0);
    g_assert_cmpuint(f.fake->msis->len, ==, 0);
    fixture_clear(&f);
}

static void test_missing_caps(void)
{
    Fixture f;
    g_autoptr(GError) e1 = NULL, e2 = NULL;
    unsigned gsi;

    fixture_init(&f, true);
    fake_kvm_set_cap(f.fake, KVM_CAP_MSI_DEVID, 0);
    g_assert_false(kvm_msi_route_add(f.s, 0x08090040, 0, 0, &gsi, &e1));
    g_assert_error(e1, KVM_ERROR, ENOTSUP);
    g_assert_nonnull(strstr(e1->message, "KVM_CAP_MSI_DEVID"));
    fake_kvm_set_cap(f.fake, KVM_CAP_MSI_DEVID, 1);
    fake_kvm_set_cap(f.fake, KVM_CAP_IRQ_ROUTING, 0);
    g_assert_false(kvm_has_msi(f.s));
    g_assert_false(kvm_msi_route_add(f.s, 0x08090040, 0, 0, &gsi, &e2));
    g_assert_nonnull(strstr(e2->message, "KVM_CAP_IRQ_ROUTING"));
    fixture_clear(&f);
}

static void test_limit(void)
{
    Fixture f;
    g_autoptr(GError) err = NULL;
    unsigned gsi;

    fixture_init(&f, true);
    fake_kvm_set_cap(f.fake, KVM_CAP_IRQ_ROUTING, NR_SPIS + 2); /* room for two MSI routes */
    g_assert_true(kvm_msi_route_add(f.s, 0x08090040, 0, 0, &gsi, &err));
    g_assert_true(kvm_msi_route_add(f.s, 0x08090040, 1, 0, &gsi, &err));
    g_assert_false(kvm_msi_route_add(f.s, 0x08090040, 2, 0, &gsi, &err));
    g_assert_error(err, KVM_ERROR, ENOSPC);
    g_assert_nonnull(strstr(err->message, "no GSI left for an MSI route"));
    g_assert_cmpuint(f.fake->routing->nr, ==, NR_SPIS + 2);
    /* a released one makes room again */
    kvm_msi_route_release(f.s, NR_SPIS + 1);
    g_clear_error(&err);
    g_assert_true(kvm_msi_route_add(f.s, 0x08090040, 3, 0, &gsi, &err));
    g_assert_cmpuint(gsi, ==, NR_SPIS + 1);
    fixture_clear(&f);
}

static void test_refused_commit_rolls_back(void)
{
    Fixture f;
    g_autoptr(GError) e1 = NULL, e2 = NULL;
    unsigned a, b;

    fixture_init(&f, true);
    g_assert_true(kvm_msi_route_add(f.s, 0x08090040, 0, 0x08, &a, NULL));
    fake_kvm_fail_ioctl(f.fake, KVM_SET_GSI_ROUTING, -1, -1, 1, ENOMEM);
    g_assert_false(kvm_msi_route_add(f.s, 0x08090040, 1, 0x08, &b, &e1));
    g_assert_error(e1, KVM_ERROR, ENOMEM);
    g_assert_nonnull(strstr(e1->message, "KVM_SET_GSI_ROUTING"));
    g_assert_cmpuint(f.s->msi_routes->len, ==, 1);
    fake_kvm_fail_ioctl(f.fake, KVM_SET_GSI_ROUTING, -1, -1, 1, EINVAL);
    g_assert_false(kvm_msi_route_update(f.s, a, 0x08090040, 9, 0x08, &e2));
    g_assert_error(e2, KVM_ERROR, EINVAL);
    g_assert_cmpuint(g_array_index(f.s->msi_routes, KvmMsiRoute, 0).data, ==, 0);
    g_assert_true(kvm_msi_route_add(f.s, 0x08090040, 1, 0x08, &b, NULL));
    g_assert_cmpuint(b, ==, a + 1);
    fixture_clear(&f);
}

/* The last KVM_SIGNAL_MSI the fake KVM took. */
static const struct kvm_msi *last_msi(Fixture *f)
{
    g_assert_cmpuint(f->fake->msis->len, >, 0);
    return &g_array_index(f->fake->msis, struct kvm_msi, f->fake->msis->len - 1);
}

static void test_signal_msi(void)
{
    Fixture f;
    g_autoptr(GError) err = NULL;

    fixture_init(&f, true);
    g_assert_true(kvm_signal_msi(f.s, 0x1008090040ULL, 42, 0x0108, &err));
    g_assert_no_error(err);
    g_assert_cmpuint(f.fake->msis->len, ==, 1);
    g_assert_cmphex(last_msi(&f)->address_lo, ==, 0x08090040);
    g_assert_cmphex(last_msi(&f)->address_hi, ==, 0x10);
    g_assert_cmpuint(last_msi(&f)->data, ==, 42);
    g_assert_cmpuint(last_msi(&f)->flags, ==, KVM_MSI_VALID_DEVID);
    g_assert_cmphex(last_msi(&f)->devid, ==, 0x0108);
    g_assert_cmpuint(f.fake->routing_commits, ==, 0); /* no routing table needed */
    fixture_clear(&f);
}

/* vCPU threads rewriting MSI-X tables while the main thread adds and releases routes. */
static gpointer churn(gpointer opaque)
{
    Fixture *f = opaque;
    for (unsigned i = 0; i < 200; i++) {
        unsigned gsi;
        g_assert_true(kvm_msi_route_add(f->s, 0x08090040, i, 0x08, &gsi, NULL));
        g_assert_true(kvm_msi_route_update(f->s, gsi, 0x08090040, i + 1, 0x08, NULL));
        kvm_msi_route_release(f->s, gsi);
    }
    return NULL;
}

static void test_threads(void)
{
    Fixture f;
    GThread *t[4];
    unsigned keep;

    fixture_init(&f, true);
    g_assert_true(kvm_msi_route_add(f.s, 0x08090040, 99, 0x10, &keep, NULL));
    for (unsigned i = 0; i < G_N_ELEMENTS(t); i++) {
        t[i] = g_thread_new("churn", churn, &f);
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(t); i++) {
        g_thread_join(t[i]);
    }
    /* every route but the kept one is gone, and KVM's last table says so */
    g_assert_cmpuint(f.fake->routing->nr, ==, NR_SPIS + 1);
    g_assert_cmpuint(entry(&f, keep)->u.msi.data, ==, 99);
    fixture_clear(&f);
}

/* kvm_get_resources: memslots in use, the GSI table's size, live irqfds and ioeventfds; a
 * refused assign counts nothing, a refused deassign leaves the irqfd counted (still there). */
static void test_resources(void)
{
    Fixture f;
    KvmResources r;
    unsigned gsi1, gsi2;
    int e[6];

    fixture_init(&f, true);
    for (unsigned i = 0; i < G_N_ELEMENTS(e); i++) {
        e[i] = eventfd(0, EFD_CLOEXEC);
        g_assert_cmpint(e[i], >=, 0);
    }
    g_assert_cmpuint(f.s->nr_slots, >=, 6);
    kvm_get_resources(f.s, &r);
    g_assert_cmpuint(r.memslots, ==, 0);
    g_assert_cmpuint(r.nr_memslots, ==, f.s->nr_slots);
    g_assert_cmpuint(r.gsi_routes, ==, NR_SPIS);
    g_assert_cmpuint(r.msi_routes, ==, 0);
    g_assert_cmpuint(r.irqfds, ==, 0);
    g_assert_cmpuint(r.ioeventfds, ==, 0);

    f.s->slots[1].used = f.s->slots[5].used = true;
    g_assert_true(kvm_msi_route_add(f.s, 0x08090040, 1, 0x08, &gsi1, NULL));
    g_assert_true(kvm_msi_route_add(f.s, 0x08090040, 2, 0x08, &gsi2, NULL));
    g_assert_true(kvm_irqfd_assign(f.s, e[0], -1, gsi1, NULL));
    g_assert_true(kvm_irqfd_assign(f.s, e[1], -1, gsi2, NULL));
    g_assert_true(kvm_irqfd_assign(f.s, e[2], e[3], 5, NULL)); /* an SPI with a resamplefd */
    fake_kvm_fail_ioctl(f.fake, KVM_IRQFD, -1, -1, 1, EBUSY);
    g_assert_false(kvm_irqfd_assign(f.s, e[4], -1, 6, NULL));
    g_assert_true(kvm_ioeventfd(f.s, e[5], 0x10000000, 4, true, NULL));
    kvm_get_resources(f.s, &r);
    g_assert_cmpuint(r.memslots, ==, 2);
    g_assert_cmpuint(r.msi_routes, ==, 2);
    g_assert_cmpuint(r.gsi_routes, ==, NR_SPIS + 2);
    g_assert_cmpuint(r.irqfds, ==, 3);
    g_assert_cmpuint(r.ioeventfds, ==, 1);

    /* Torn down again: back to where it started, but for a deassign KVM refused. */
    g_assert_true(kvm_irqfd_deassign(f.s, e[0], gsi1, NULL));
    kvm_msi_route_release(f.s, gsi1);
    fake_kvm_fail_ioctl(f.fake, KVM_IRQFD, -1, -1, 1, ENOENT);
    g_assert_false(kvm_irqfd_deassign(f.s, e[1], gsi2, NULL));
    g_assert_true(kvm_irqfd_deassign(f.s, e[2], 5, NULL));
    fake_kvm_fail_ioctl(f.fake, KVM_IOEVENTFD, -1, -1, 1, EINVAL);
    g_assert_false(kvm_ioeventfd(f.s, e[5], 0x10000000, 4, false, NULL));
    kvm_get_resources(f.s, &r);
    g_assert_cmpuint(r.irqfds, ==, 1);
    g_assert_cmpuint(r.ioeventfds, ==, 1);
    g_assert_true(kvm_irqfd_deassign(f.s, e[1], gsi2, NULL));
    kvm_msi_route_release(f.s, gsi2);
    g_assert_true(kvm_ioeventfd(f.s, e[5], 0x10000000, 4, false, NULL));
    f.s->slots[1].used = f.s->slots[5].used = false;
    kvm_get_resources(f.s, &r);
    g_assert_cmpuint(r.memslots, ==, 0);
    g_assert_cmpuint(r.gsi_routes, ==, NR_SPIS);
    g_assert_cmpuint(r.msi_routes, ==, 0);
    g_assert_cmpuint(r.irqfds, ==, 0);
    g_assert_cmpuint(r.ioeventfds, ==, 0);
    for (unsigned i = 0; i < G_N_ELEMENTS(e); i++) {
        close(e[i]);
    }
    fixture_clear(&f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/kvm-irqchip/build", test_build);
    g_test_add_func("/kvm-irqchip/add-update-release", test_add_update_release);
    g_test_add_func("/kvm-irqchip/bad-update", test_bad_update);
    g_test_add_func("/kvm-irqchip/no-its", test_no_its);
    g_test_add_func("/kvm-irqchip/missing-caps", test_missing_caps);
    g_test_add_func("/kvm-irqchip/limit", test_limit);
    g_test_add_func("/kvm-irqchip/refused-commit-rolls-back", test_refused_commit_rolls_back);
    g_test_add_func("/kvm-irqchip/signal-msi", test_signal_msi);
    g_test_add_func("/kvm-irqchip/threads", test_threads);
    g_test_add_func("/kvm-irqchip/resources", test_resources);
    return g_test_run();
}
