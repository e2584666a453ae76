// SPDX-License-Identifier: GPL-2.0-only
/*
 * The GSI routing table armpass keeps for KVM: every SPI route of KVM's default table, plus
 * MSI routes to the in-kernel ITS; and userspace MSI delivery.
 * Source: Documentation/virt/kvm/api.rst 4.52 (KVM_SET_GSI_ROUTING), 4.71 (KVM_SIGNAL_MSI),
 * 4.75 (KVM_IRQFD); devices/arm-vgic-its.rst; arch/arm64/kvm/vgic/vgic-irqfd.c (the default
 * table: GSI n -> irqchip 0 pin n for each SPI).
 */
#define G_LOG_DOMAIN "armpass-kvm"
#include "kvm-internal.h"

#include <errno.h>
#include <inttypes.h>

/* KVM_MAX_IRQ_ROUTES of include/linux/kvm_host.h, for a KVM whose KVM_CAP_IRQ_ROUTING says
 * nothing more precise. */
#define KVM_ROUTES_FALLBACK 4096

#define KVM_MSI_NEEDS_ITS "MSI needs a GICv3 with an ITS: use -M virt,gic-version=3"

void kvm_irqchip_init(KvmState *s)
{
    g_mutex_init(&s->route_lock);
    s->msi_routes = g_array_new(FALSE, TRUE, sizeof(KvmMsiRoute));
}

void kvm_irqchip_destroy(KvmState *s)
{
    if (s->msi_routes) {
        g_array_unref(s->msi_routes);
        s->msi_routes = NULL;
        g_mutex_clear(&s->route_lock);
    }
}

struct kvm_irq_routing *kvm_irq_routing_build(unsigned nr_spis, const KvmMsiRoute *routes,
                                              unsigned nr_routes)
{
    struct kvm_irq_routing *r = g_malloc0(sizeof(*r) + (size_t)(nr_spis + nr_routes) *
                                          sizeof(struct kvm_irq_routing_entry));
    unsigned n = 0;

    for (unsigned spi = 0; spi < nr_spis; spi++) {
        struct kvm_irq_routing_entry *e = &r->entries[n++];
        e->gsi = spi;
        e->type = KVM_IRQ_ROUTING_IRQCHIP;
        e->u.irqchip.irqchip = 0;
        e->u.irqchip.pin = spi;
    }
    for (unsigned i = 0; i < nr_routes; i++) {
        struct kvm_irq_routing_entry *e;
        if (!routes[i].used) {
            continue;
        }
        e = &r->entries[n++];
        e->gsi = nr_spis + i;
        e->type = KVM_IRQ_ROUTING_MSI;
        e->flags = KVM_MSI_VALID_DEVID;
        e->u.msi.address_lo = (uint32_t)routes[i].addr;
        e->u.msi.address_hi = (uint32_t)(routes[i].addr >> 32);
        e->u.msi.data = routes[i].data;
        e->u.msi.devid = routes[i].devid;
    }
    r->nr = n;
    return r;
}

/* The ITS and the capabilities MSIs need. KVM_CAP_MSI_DEVID turns positive only once the
 * ITS exists (vgic-its.c), so this is asked at first use, not by kvm_init. */
static bool kvm_msi_check(KvmState *s, GError **errp)
{
    int max;

    if (g_atomic_int_get(&s->msi_ready)) {
        return true;
    }
    if (s->its_fd < 0) {
        g_set_error(errp, KVM_ERROR, ENOTSUP, KVM_MSI_NEEDS_ITS);
        return false;
    }
    max = host_ioctl(s->ops, s->vm_fd, KVM_CHECK_EXTENSION, (void *)(uintptr_t)KVM_CAP_IRQ_ROUTING);
    if (max <= 0) {
        g_set_error(errp, KVM_ERROR, ENOTSUP, "KVM on this host lacks KVM_CAP_IRQ_ROUTING, "
                    "which MSI routes need (%s)", KVM_MSI_NEEDS_ITS);
        return false;
    }
    if (!kvm_check_extension(s, KVM_CAP_MSI_DEVID)) {
        g_set_error(errp, KVM_ERROR, ENOTSUP, "KVM on this host lacks KVM_CAP_MSI_DEVID, "
                    "which MSIs through the ITS need (%s)", KVM_MSI_NEEDS_ITS);
        return false;
    }
    g_mutex_lock(&s->route_lock);
    s->max_routes = max > 1 ? (unsigned)max : KVM_ROUTES_FALLBACK;
    s->has_signal_msi = kvm_check_extension(s, KVM_CAP_SIGNAL_MSI);
    g_mutex_unlock(&s->route_lock);
    g_atomic_int_set(&s->msi_ready, 1);
    return true;
}

bool kvm_has_msi(KvmState *s)
{
    return kvm_msi_check(s, NULL);
}

/* Hands the whole table to KVM. Called with route_lock held. */
static bool kvm_routes_commit(KvmState *s, GError **errp)
{
    g_autofree struct kvm_irq_routing *r =
        kvm_irq_routing_build(s->nr_spis, (const KvmMsiRoute *)s->msi_routes->data,
                              s->msi_routes->len);

    if (kvm_ioctl_retry(s->ops, s->vm_fd, KVM_SET_GSI_ROUTING, r) < 0) {
        g_set_error(errp, KVM_ERROR, errno, "KVM_SET_GSI_ROUTING (%u routes, %u of them SPIs): %s",
                    r->nr, s->nr_spis, g_strerror(errno));
        return false;
    }
    return true;
}

/* Drops released routes at the end, so the table does not keep growing. Lock held. */
static void kvm_routes_trim(KvmState *s)
{
    unsigned len = s->msi_routes->len;
    while (len && !g_array_index(s->msi_routes, KvmMsiRoute, len - 1).used) {
        len--;
    }
    g_array_set_size(s->msi_routes, len);
}

bool kvm_msi_route_add(KvmState *s, uint64_t addr, uint32_t data, uint32_t devid,
                       unsigned *gsi, GError **errp)
{
    const KvmMsiRoute route = { true, addr, data, devid };
    unsigned i;
    bool ok;

    if (!kvm_msi_check(s, errp)) {
        return false;
    }
    g_mutex_lock(&s->route_lock);
    for (i = 0; i < s->msi_routes->len; i++) {
        if (!g_array_index(s->msi_routes, KvmMsiRoute, i).used) {
            break;
        }
    }
    if (s->nr_spis + i >= s->max_routes) {
        g_set_error(errp, KVM_ERROR, ENOSPC, "no GSI left for an MSI route: KVM takes %u "
                    "routes, %u are SPIs and %u MSIs", s->max_routes, s->nr_spis, i);
        g_mutex_unlock(&s->route_lock);
        return false;
    }
    if (i == s->msi_routes->len) {
        g_array_append_val(s->msi_routes, route);
    } else {
        g_array_index(s->msi_routes, KvmMsiRoute, i) = route;
    }
    ok = kvm_routes_commit(s, errp);
    if (!ok) {
        g_array_index(s->msi_routes, KvmMsiRoute, i).used = false;
        kvm_routes_trim(s);
    }
    g_mutex_unlock(&s->route_lock);
    if (ok) {
        *gsi = s->nr_spis + i;
        g_debug("MSI route: GSI %u -> doorbell 0x%" PRIx64 " data %u devid 0x%x", *gsi, addr,
                data, devid);
    }
    return ok;
}

/* The route of gsi, or NULL. Lock held. */
static KvmMsiRoute *kvm_route_find(KvmState *s, unsigned gsi)
{
    KvmMsiRoute *r;
    if (gsi < s->nr_spis || gsi - s->nr_spis >= s->msi_routes->len) {
        return NULL;
    }
    r = &g_array_index(s->msi_routes, KvmMsiRoute, gsi - s->nr_spis);
    return r->used ? r : NULL;
}

bool kvm_msi_route_update(KvmState *s, unsigned gsi, uint64_t addr, uint32_t data,
                          uint32_t devid, GError **errp)
{
    KvmMsiRoute *r, old;
    bool ok;

    if (!kvm_msi_check(s, errp)) {
        return false;
    }
    g_mutex_lock(&s->route_lock);
    r = kvm_route_find(s, gsi);
    if (!r) {
        g_set_error(errp, KVM_ERROR, EINVAL, "GSI %u is not an MSI route", gsi);
        g_mutex_unlock(&s->route_lock);
        return false;
    }
    old = *r;
    *r = (KvmMsiRoute){ true, addr, data, devid };
    ok = kvm_routes_commit(s, errp);
    if (!ok) {
        *r = old;
    }
    g_mutex_unlock(&s->route_lock);
    return ok;
}

void kvm_msi_route_release(KvmState *s, unsigned gsi)
{
    g_autoptr(GError) err = NULL;
    KvmMsiRoute *r;

    if (!g_atomic_int_get(&s->msi_ready)) {
        return; /* no route was ever added */
    }
    g_mutex_lock(&s->route_lock);
    r = kvm_route_find(s, gsi);
    if (r) {
        r->used = false;
        kvm_routes_trim(s);
        if (!kvm_routes_commit(s, &err)) {
            g_warning("releasing MSI route GSI %u: %s", gsi, err->message);
        }
    }
    g_mutex_unlock(&s->route_lock);
}

unsigned kvm_msi_routes_in_use(KvmState *s)
{
    unsigned n = 0;

    if (!s->msi_routes) {
        return 0;
    }
    g_mutex_lock(&s->route_lock);
    for (unsigned i = 0; i < s->msi_routes->len; i++) {
        n += g_array_index(s->msi_routes, KvmMsiRoute, i).used;
    }
    g_mutex_unlock(&s->route_lock);
    return n;
}

bool kvm_signal_msi(KvmState *s, uint64_t addr, uint32_t data, uint32_t devid, GError **errp)
{
    struct kvm_msi msi = {
        .address_lo = (uint32_t)addr,
        .address_hi = (uint32_t)(addr >> 32),
        .data = data,
        .flags = KVM_MSI_VALID_DEVID,
        .devid = devid,
    };
    int ret;

    if (!kvm_msi_check(s, errp)) {
        return false;
    }
    if (!s->has_signal_msi) {
        g_set_error(errp, KVM_ERROR, ENOTSUP, "KVM on this host lacks KVM_CAP_SIGNAL_MSI, "
                    "which MSIs delivered by armpass need");
        return false;
    }
    ret = kvm_ioctl_retry(s->ops, s->vm_fd, KVM_SIGNAL_MSI, &msi);
    if (ret < 0) {
        g_set_error(errp, KVM_ERROR, errno, "KVM_SIGNAL_MSI (doorbell 0x%" PRIx64 ", data %u, "
                    "devid 0x%x): %s", addr, data, devid, g_strerror(errno));
        return false;
    }
    return true; /* 0: the guest's ITS blocked it, which is the guest's business */
}
