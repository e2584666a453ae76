// SPDX-License-Identifier: GPL-2.0-only
/* A fake arm64 KVM behind HostOps for the unit tests (kvm-fake.h says what it keeps). */
#include "kvm-fake.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define FAKE_KVM_FD_BASE 30000 /* far above any real fd, and apart from vfio-fake's */
#define F(bit) (1u << (bit))
#define VCPU_FEATURES (F(KVM_ARM_VCPU_POWER_OFF) | F(KVM_ARM_VCPU_PSCI_0_2) |                  \
                       F(KVM_ARM_VCPU_PMU_V3) | F(KVM_ARM_VCPU_SVE) |                          \
                       F(KVM_ARM_VCPU_PTRAUTH_ADDRESS) | F(KVM_ARM_VCPU_PTRAUTH_GENERIC))
#define VGIC_NR_IRQS_LEGACY 256 /* what a vGIC has without GRP_NR_IRQS */

typedef enum { FD_KVM, FD_VM, FD_VCPU, FD_GIC, FD_ITS, FD_NULL, FD_FILE } FakeKvmFdKind;

typedef struct FakeKvmFd {
    FakeKvmFdKind kind;
    unsigned index; /* FD_VCPU: the vCPU */
} FakeKvmFd;

typedef struct FakeKvmFault {
    unsigned long request;
    int vcpu;
    int64_t attr;
    unsigned nth;
    int err;
    unsigned seen;
} FakeKvmFault;

static int fail(int e)
{
    errno = e;
    return -1;
}

static void logf_(FakeKvm *f, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void logf_(FakeKvm *f, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    g_ptr_array_add(f->log, g_strdup_vprintf(fmt, ap));
    va_end(ap);
}

const char *fake_kvm_ioctl_name(unsigned long request)
{
    switch (request) {
    case KVM_GET_API_VERSION: return "KVM_GET_API_VERSION";
    case KVM_CREATE_VM: return "KVM_CREATE_VM";
    case KVM_CHECK_EXTENSION: return "KVM_CHECK_EXTENSION";
    case KVM_GET_VCPU_MMAP_SIZE: return "KVM_GET_VCPU_MMAP_SIZE";
    case KVM_ENABLE_CAP: return "KVM_ENABLE_CAP";
    case KVM_SET_USER_MEMORY_REGION: return "KVM_SET_USER_MEMORY_REGION";
    case KVM_CREATE_VCPU: return "KVM_CREATE_VCPU";
    case KVM_ARM_PREFERRED_TARGET: return "KVM_ARM_PREFERRED_TARGET";
    case KVM_CREATE_DEVICE: return "KVM_CREATE_DEVICE";
    case KVM_SET_DEVICE_ATTR: return "KVM_SET_DEVICE_ATTR";
    case KVM_IRQ_LINE: return "KVM_IRQ_LINE";
    case KVM_IRQFD: return "KVM_IRQFD";
    case KVM_IOEVENTFD: return "KVM_IOEVENTFD";
    case KVM_SET_GSI_ROUTING: return "KVM_SET_GSI_ROUTING";
    case KVM_SIGNAL_MSI: return "KVM_SIGNAL_MSI";
    case KVM_ARM_VCPU_INIT: return "KVM_ARM_VCPU_INIT";
    case KVM_ARM_VCPU_FINALIZE: return "KVM_ARM_VCPU_FINALIZE";
    case KVM_GET_ONE_REG: return "KVM_GET_ONE_REG";
    case KVM_SET_ONE_REG: return "KVM_SET_ONE_REG";
    case KVM_SET_VCPU_EVENTS: return "KVM_SET_VCPU_EVENTS";
    case KVM_RUN: return "KVM_RUN";
    default: return "?";
    }
}

static int new_fd(FakeKvm *f, FakeKvmFdKind kind, unsigned index)
{
    FakeKvmFd *fd = g_new0(FakeKvmFd, 1);
    int n = f->next_fd++;

    fd->kind = kind;
    fd->index = index;
    g_hash_table_insert(f->fds, GINT_TO_POINTER(n), fd);
    return n;
}

static const char *fd_label(const FakeKvmFd *fd, char *buf, size_t len)
{
    static const char *const names[] = { "kvm", "vm", "vcpu", "vgic", "its", "null", "file" };

    if (fd->kind == FD_VCPU) {
        g_snprintf(buf, len, "vcpu %u", fd->index);
        return buf;
    }
    return names[fd->kind];
}

void fake_kvm_set_cap(FakeKvm *f, int cap, int value)
{
    g_mutex_lock(&f->lock);
    g_hash_table_insert(f->caps, GINT_TO_POINTER(cap), GINT_TO_POINTER(value));
    g_mutex_unlock(&f->lock);
}

static int cap_value(FakeKvm *f, int cap)
{
    int v = GPOINTER_TO_INT(g_hash_table_lookup(f->caps, GINT_TO_POINTER(cap)));

    if (cap == KVM_CAP_MSI_DEVID && !f->its.inited) {
        return 0; /* vgic-its.c: positive once the VM has an ITS */
    }
    return v;
}

/* The errno an injected fault gives this call, or 0. */
static int fault_for(FakeKvm *f, unsigned long req, int vcpu, int64_t attr)
{
    for (unsigned i = 0; i < f->faults->len; i++) {
        FakeKvmFault *ft = &g_array_index(f->faults, FakeKvmFault, i);
        int err = ft->err;

        if (ft->request != req || (ft->vcpu >= 0 && ft->vcpu != vcpu) ||
            (ft->attr >= 0 && ft->attr != attr)) {
            continue;
        }
        if (ft->nth == 0) {
            return err;
        }
        if (++ft->seen == ft->nth) {
            g_array_remove_index(f->faults, i);
            return err;
        }
    }
    return 0;
}

void fake_kvm_fail_ioctl(FakeKvm *f, unsigned long request, int vcpu, int64_t attr,
                         unsigned nth, int err)
{
    FakeKvmFault ft = { .request = request, .vcpu = vcpu, .attr = attr, .nth = nth, .err = err };

    g_mutex_lock(&f->lock);
    g_array_append_val(f->faults, ft);
    g_mutex_unlock(&f->lock);
}

void fake_kvm_clear_faults(FakeKvm *f)
{
    g_mutex_lock(&f->lock);
    g_array_set_size(f->faults, 0);
    g_mutex_unlock(&f->lock);
}

/* ---- The VM -------------------------------------------------------------------------- */

static void vm_reset(FakeKvm *f)
{
    for (unsigned i = 0; i < FAKE_KVM_MAX_VCPUS; i++) {
        FakeKvmVcpu *v = &f->vcpus[i];

        v->created = v->inited = v->finalized = v->pmu_irq_set = v->pmu_inited = false;
        v->features = v->vqs = 0;
        v->pmu_irq = 0;
        v->fd = -1;
        g_hash_table_remove_all(v->regs);
    }
    f->nr_vcpus = 0;
    f->create_after_init = false;
    f->nisv_to_user = false;
    memset(&f->gic, 0, sizeof(f->gic));
    f->gic.fd = -1;
    memset(&f->its, 0, sizeof(f->its));
    f->its.fd = -1;
    g_array_set_size(f->irqfds, 0);
    g_array_set_size(f->ioeventfds, 0);
    g_array_set_size(f->lines, 0);
    g_array_set_size(f->msis, 0);
    g_clear_pointer(&f->routing, g_free);
    f->routing_commits = 0;
    g_free(f->slots);
    f->nr_slots = cap_value(f, KVM_CAP_NR_MEMSLOTS);
    if (f->nr_slots == 0) {
        f->nr_slots = 32;
    }
    f->slots = g_new0(FakeKvmSlot, f->nr_slots);
}

/* api.rst 4.35, and kvm_main.c's __kvm_set_memory_region / arm64's
 * kvm_arch_prepare_memory_region for the errnos. */
static int vm_set_memory(FakeKvm *f, const struct kvm_userspace_memory_region *r)
{
    uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
    unsigned id = r->slot & 0xffff;
    FakeKvmSlot *s;

    if ((r->flags & ~(KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY)) || (r->slot >> 16) ||
        id >= f->nr_slots) {
        return fail(EINVAL);
    }
    if ((r->memory_size | r->guest_phys_addr | r->userspace_addr) & (page - 1) ||
        r->guest_phys_addr + r->memory_size < r->guest_phys_addr) {
        return fail(EINVAL);
    }
    s = &f->slots[id];
    if (r->memory_size == 0) {
        if (!s->used) {
            return fail(EINVAL);
        }
        s->used = false;
        return 0;
    }
    if (s->used && (s->size != r->memory_size || s->uaddr != r->userspace_addr)) {
        return fail(EINVAL);
    }
    for (unsigned i = 0; i < f->nr_slots; i++) {
        const FakeKvmSlot *o = &f->slots[i];

        if (i != id && o->used && r->guest_phys_addr < o->gpa + o->size &&
            o->gpa < r->guest_phys_addr + r->memory_size) {
            return fail(EEXIST);
        }
    }
    if (r->guest_phys_addr + r->memory_size > UINT64_C(1) << FAKE_KVM_IPA_BITS) {
        return fail(EFAULT);
    }
    *s = (FakeKvmSlot){ true, r->flags, r->guest_phys_addr, r->memory_size, r->userspace_addr };
    return 0;
}

static bool fd_is_open(int fd)
{
    return fd >= 0 && fcntl(fd, F_GETFD) >= 0;
}

/* api.rst 4.75, eventfd.c's kvm_irqfd_assign / _deassign. */
static int vm_irqfd(FakeKvm *f, const struct kvm_irqfd *a)
{
    FakeKvmIrqfd n;

    if (a->flags & ~(KVM_IRQFD_FLAG_DEASSIGN | KVM_IRQFD_FLAG_RESAMPLE)) {
        return fail(EINVAL);
    }
    if (a->flags & KVM_IRQFD_FLAG_DEASSIGN) {
        for (unsigned i = 0; i < f->irqfds->len; i++) {
            FakeKvmIrqfd *q = &g_array_index(f->irqfds, FakeKvmIrqfd, i);
            if (q->fd == (int)a->fd && q->gsi == a->gsi) {
                g_array_remove_index(f->irqfds, i);
                break;
            }
        }
        return 0; /* the kernel does not say whether it found one */
    }
    if (!fd_is_open((int)a->fd) ||
        ((a->flags & KVM_IRQFD_FLAG_RESAMPLE) && !fd_is_open((int)a->resamplefd))) {
        return fail(EBADF);
    }
    for (unsigned i = 0; i < f->irqfds->len; i++) {
        if (g_array_index(f->irqfds, FakeKvmIrqfd, i).fd == (int)a->fd) {
            return fail(EBUSY);
        }
    }
    n = (FakeKvmIrqfd){ (int)a->fd, a->gsi,
                        (a->flags & KVM_IRQFD_FLAG_RESAMPLE) ? (int)a->resamplefd : -1 };
    g_array_append_val(f->irqfds, n);
    return 0;
}

/* api.rst 4.59, eventfd.c's kvm_assign_ioeventfd_idx. */
static int vm_ioeventfd(FakeKvm *f, const struct kvm_ioeventfd *a)
{
    FakeKvmIoeventfd n = { a->fd, a->addr, a->len };

    if ((a->flags & ~(KVM_IOEVENTFD_FLAG_DATAMATCH | KVM_IOEVENTFD_FLAG_DEASSIGN)) ||
        (a->len != 0 && a->len != 1 && a->len != 2 && a->len != 4 && a->len != 8) ||
        a->addr + a->len < a->addr) {
        return fail(EINVAL);
    }
    for (unsigned i = 0; i < f->ioeventfds->len; i++) {
        FakeKvmIoeventfd *q = &g_array_index(f->ioeventfds, FakeKvmIoeventfd, i);

        if (q->addr == a->addr && q->len == a->len) {
            if (a->flags & KVM_IOEVENTFD_FLAG_DEASSIGN) {
                if (q->fd != a->fd) {
                    continue;
                }
                g_array_remove_index(f->ioeventfds, i);
                return 0;
            }
            return fail(EEXIST);
        }
    }
    if (a->flags & KVM_IOEVENTFD_FLAG_DEASSIGN) {
        return fail(ENOENT);
    }
    if (!fd_is_open(a->fd)) {
        return fail(EBADF);
    }
    g_array_append_val(f->ioeventfds, n);
    return 0;
}

/* arm.c's kvm_vm_ioctl_irq_line and vgic.c's kvm_vgic_inject_irq (6.1). */
static int vm_irq_line(FakeKvm *f, const struct kvm_irq_level *l)
{
    uint32_t type = (l->irq >> KVM_ARM_IRQ_TYPE_SHIFT) & KVM_ARM_IRQ_TYPE_MASK;
    uint32_t num = (l->irq >> KVM_ARM_IRQ_NUM_SHIFT) & KVM_ARM_IRQ_NUM_MASK;
    FakeKvmLine rec = { type, num, l->level };

    if (type != KVM_ARM_IRQ_TYPE_SPI) {
        return fail(f->gic.type ? ENXIO : EINVAL);
    }
    if (!f->gic.type) {
        return fail(ENXIO);
    }
    if (num < 32) {
        return fail(EINVAL);
    }
    if (!f->gic.inited) {
        if (f->gic.type != KVM_DEV_TYPE_ARM_VGIC_V2) {
            return fail(EBUSY); /* vgic_lazy_init: only a v2 initialises itself */
        }
        f->gic.inited = true;
    }
    if (num >= (f->gic.nr_irqs ? f->gic.nr_irqs : VGIC_NR_IRQS_LEGACY)) {
        return fail(EINVAL);
    }
    g_array_append_val(f->lines, rec);
    return 0;
}

/* api.rst 4.52; irqchip.c's kvm_set_irq_routing, vgic-irqfd.c's kvm_set_routing_entry. */
static int vm_set_routing(FakeKvm *f, const struct kvm_irq_routing *r)
{
    size_t sz = sizeof(*r) + r->nr * sizeof(r->entries[0]);
    int max = cap_value(f, KVM_CAP_IRQ_ROUTING);

    if (r->flags || r->nr > (unsigned)(max > 0 ? max : 0)) {
        return fail(EINVAL);
    }
    for (unsigned i = 0; i < r->nr; i++) {
        const struct kvm_irq_routing_entry *e = &r->entries[i];

        if (e->gsi >= FAKE_KVM_MAX_ROUTES) {
            return fail(EINVAL);
        }
        if (e->type == KVM_IRQ_ROUTING_MSI) {
            if (e->flags & ~KVM_MSI_VALID_DEVID ||
                ((e->flags & KVM_MSI_VALID_DEVID) && !cap_value(f, KVM_CAP_MSI_DEVID))) {
                return fail(EINVAL);
            }
        } else if (e->type != KVM_IRQ_ROUTING_IRQCHIP || e->u.irqchip.irqchip != 0 ||
                   e->u.irqchip.pin >= 988) {
            return fail(EINVAL);
        }
    }
    g_free(f->routing);
    f->routing = g_memdup2(r, sz);
    f->routing_commits++;
    return 0;
}

static int vm_create_device(FakeKvm *f, struct kvm_create_device *cd)
{
    bool test = cd->flags & KVM_CREATE_DEVICE_TEST;
    bool known;

    if (cd->flags & ~KVM_CREATE_DEVICE_TEST) {
        return fail(EINVAL);
    }
    switch (cd->type) {
    case KVM_DEV_TYPE_ARM_VGIC_V2: known = f->has_gic_v2; break;
    case KVM_DEV_TYPE_ARM_VGIC_V3: known = f->has_gic_v3; break;
    case KVM_DEV_TYPE_ARM_VGIC_ITS:
        known = f->has_its && f->gic.type == KVM_DEV_TYPE_ARM_VGIC_V3;
        break;
    default: known = false; break;
    }
    if (!known) {
        return fail(ENODEV);
    }
    if (test) {
        return 0;
    }
    if (cd->type == KVM_DEV_TYPE_ARM_VGIC_ITS) {
        if (f->its.fd >= 0) {
            return fail(EEXIST); /* the fake keeps one */
        }
        f->its.fd = new_fd(f, FD_ITS, 0);
        cd->fd = (uint32_t)f->its.fd;
        return 0;
    }
    if (f->gic.type) {
        return fail(EEXIST);
    }
    for (unsigned i = 0; i < FAKE_KVM_MAX_VCPUS; i++) {
        if (g_atomic_int_get(&f->vcpus[i].runs)) {
            return fail(EBUSY); /* vgic-init.c: no vGIC once a vCPU has run */
        }
    }
    f->gic.type = cd->type;
    f->gic.fd = new_fd(f, FD_GIC, 0);
    cd->fd = (uint32_t)f->gic.fd;
    return 0;
}

static int vm_ioctl(FakeKvm *f, unsigned long req, void *arg)
{
    switch (req) {
    case KVM_CHECK_EXTENSION:
        return cap_value(f, (int)(uintptr_t)arg);
    case KVM_ENABLE_CAP: {
        const struct kvm_enable_cap *c = arg;

        if (c->flags || c->cap != KVM_CAP_ARM_NISV_TO_USER || !cap_value(f, (int)c->cap)) {
            return fail(EINVAL);
        }
        f->nisv_to_user = true;
        return 0;
    }
    case KVM_ARM_PREFERRED_TARGET: {
        struct kvm_vcpu_init *init = arg;

        memset(init, 0, sizeof(*init));
        init->target = FAKE_KVM_TARGET;
        return 0;
    }
    case KVM_CREATE_VCPU: {
        unsigned id = (unsigned)(uintptr_t)arg;
        FakeKvmVcpu *v;

        if (id >= f->max_vcpus || id >= FAKE_KVM_MAX_VCPUS) {
            return fail(EINVAL);
        }
        v = &f->vcpus[id];
        if (v->created) {
            return fail(EEXIST);
        }
        if (f->gic.inited) {
            return fail(EBUSY); /* kvm_arch_vcpu_precreate */
        }
        for (unsigned i = 0; i < FAKE_KVM_MAX_VCPUS; i++) {
            f->create_after_init |= f->vcpus[i].inited;
        }
        v->created = true;
        v->fd = new_fd(f, FD_VCPU, id);
        f->nr_vcpus++;
        return v->fd;
    }
    case KVM_SET_USER_MEMORY_REGION:
        return vm_set_memory(f, arg);
    case KVM_CREATE_DEVICE:
        return vm_create_device(f, arg);
    case KVM_IRQ_LINE:
        return vm_irq_line(f, arg);
    case KVM_IRQFD:
        return vm_irqfd(f, arg);
    case KVM_IOEVENTFD:
        return vm_ioeventfd(f, arg);
    case KVM_SET_GSI_ROUTING:
        return vm_set_routing(f, arg);
    case KVM_SIGNAL_MSI: {
        const struct kvm_msi *m = arg;

        if (!f->its.inited) {
            return fail(ENODEV);
        }
        if (m->flags & ~KVM_MSI_VALID_DEVID) {
            return fail(EINVAL);
        }
        g_array_append_vals(f->msis, m, 1);
        return 1; /* delivered */
    }
    default:
        g_error("fake KVM: unexpected VM ioctl 0x%lx", req);
    }
}

/* ---- vCPUs (api.rst 4.68, 4.82, 4.119; devices/vcpu.rst) ----------------------------- */

static int vcpu_init(FakeKvm *f, FakeKvmVcpu *v, const struct kvm_vcpu_init *init)
{
    uint32_t feat = init->features[0], shared = feat & ~F(KVM_ARM_VCPU_POWER_OFF);

    if (init->target != FAKE_KVM_TARGET) {
        return fail(EINVAL);
    }
    if (feat & ~VCPU_FEATURES) {
        return fail(ENOENT);
    }
    if (((feat & F(KVM_ARM_VCPU_PMU_V3)) && !cap_value(f, KVM_CAP_ARM_PMU_V3)) ||
        ((feat & F(KVM_ARM_VCPU_SVE)) && !cap_value(f, KVM_CAP_ARM_SVE)) ||
        ((feat & F(KVM_ARM_VCPU_PTRAUTH_ADDRESS)) && !cap_value(f, KVM_CAP_ARM_PTRAUTH_ADDRESS)) ||
        ((feat & F(KVM_ARM_VCPU_PTRAUTH_GENERIC)) && !cap_value(f, KVM_CAP_ARM_PTRAUTH_GENERIC)) ||
        !(feat & F(KVM_ARM_VCPU_PTRAUTH_ADDRESS)) != !(feat & F(KVM_ARM_VCPU_PTRAUTH_GENERIC))) {
        return fail(EINVAL); /* reset.c: both keys or neither */
    }
    for (unsigned i = 0; i < FAKE_KVM_MAX_VCPUS; i++) {
        const FakeKvmVcpu *o = &f->vcpus[i];

        if (o->inited && (o->features & ~F(KVM_ARM_VCPU_POWER_OFF)) != shared) {
            return fail(EINVAL); /* every vCPU of a VM has the same features */
        }
    }
    if (v->inited && v->features != feat) {
        return fail(EINVAL);
    }
    v->inited = true;
    v->features = feat;
    v->vqs = (feat & F(KVM_ARM_VCPU_SVE)) ? f->host_vqs : 0;
    return 0;
}

/* KVM_REG_ARM64_SVE_VLS as guest.c's set_sve_vls checks it; the counter as arch_timer.c
 * keeps it; any other register is stored (MPIDR_EL1 reads FAKE_KVM_MPIDR until set), which
 * an SVE vCPU refuses before its finalize. */
static int vcpu_one_reg(FakeKvm *f, unsigned i, FakeKvmVcpu *v, unsigned long req,
                        const struct kvm_one_reg *reg)
{
    uint64_t *val = (uint64_t *)(uintptr_t)reg->addr;
    uint64_t id = reg->id;

    if (!v->inited) {
        return fail(ENOEXEC);
    }
    if (id == KVM_REG_ARM64_SVE_VLS) {
        if (!(v->features & F(KVM_ARM_VCPU_SVE))) {
            return fail(ENOENT);
        }
        if (req == KVM_GET_ONE_REG) {
            memset(val, 0, sizeof(uint64_t) * KVM_ARM64_SVE_VLS_WORDS);
            val[0] = v->vqs;
            return 0;
        }
        if (v->finalized) {
            return fail(EPERM);
        }
        for (unsigned w = 1; w < KVM_ARM64_SVE_VLS_WORDS; w++) {
            if (val[w]) {
                return fail(EINVAL);
            }
        }
        if (val[0] == 0 || val[0] > 0xffffffffu ||
            (uint32_t)val[0] != (f->host_vqs &
                                 (uint32_t)((2ull << g_bit_nth_msf(val[0], -1)) - 1))) {
            return fail(EINVAL); /* not the host's set up to its longest length */
        }
        v->vqs = (uint32_t)val[0];
        return 0;
    }
    if ((v->features & F(KVM_ARM_VCPU_SVE)) && !v->finalized) {
        return fail(EPERM);
    }
    if (id == KVM_REG_ARM_TIMER_CNT) {
        if (req == KVM_GET_ONE_REG) {
            f->timer_gets++;
            *val = (uint64_t)(g_get_monotonic_time() - f->cntvoff);
        } else {
            f->timer_sets++;
            f->cntvoff = g_get_monotonic_time() - (gint64)*val; /* update_vtimer_cntvoff */
        }
        return 0;
    }
    if (req == KVM_GET_ONE_REG) {
        const gint64 *have = g_hash_table_lookup(v->regs, &id);

        *val = have ? (uint64_t)*have : id == ARM64_SYS_REG(3, 0, 0, 0, 5) ? FAKE_KVM_MPIDR(i) : 0;
        return 0;
    }
    g_hash_table_insert(v->regs, g_memdup2(&id, sizeof(id)), g_memdup2(val, sizeof(*val)));
    return 0;
}

/* devices/vcpu.rst 1.1 and 1.2, pmu-emul.c. */
static int vcpu_pmu_attr(FakeKvm *f, unsigned i, FakeKvmVcpu *v, const struct kvm_device_attr *a)
{
    if (a->group != KVM_ARM_VCPU_PMU_V3_CTRL) {
        return fail(ENXIO);
    }
    if (!(v->features & F(KVM_ARM_VCPU_PMU_V3))) {
        return fail(ENODEV);
    }
    if (v->pmu_inited) {
        return fail(EBUSY);
    }
    if (a->attr == KVM_ARM_VCPU_PMU_V3_IRQ) {
        int irq = *(const int *)(uintptr_t)a->addr;

        if (!f->gic.inited || irq < 16 || irq >= 1020) {
            return fail(EINVAL);
        }
        for (unsigned j = 0; j < FAKE_KVM_MAX_VCPUS; j++) {
            if (j != i && f->vcpus[j].pmu_irq_set && f->vcpus[j].pmu_irq != irq && irq < 32) {
                return fail(EINVAL); /* a PPI is the same on every vCPU */
            }
        }
        if (v->pmu_irq_set) {
            return fail(EBUSY);
        }
        v->pmu_irq_set = true;
        v->pmu_irq = irq;
        return 0;
    }
    if (a->attr != KVM_ARM_VCPU_PMU_V3_INIT) {
        return fail(ENXIO);
    }
    if (!f->gic.inited) {
        return fail(ENODEV);
    }
    if (!v->pmu_irq_set) {
        return fail(ENXIO);
    }
    v->pmu_inited = true;
    return 0;
}

static int vcpu_ioctl(FakeKvm *f, unsigned i, unsigned long req, void *arg)
{
    FakeKvmVcpu *v = &f->vcpus[i];

    if (g_atomic_int_get(&v->in_run)) {
        g_error("fake KVM: vCPU %u: %s while it is in KVM_RUN (KVM would block it)", i,
                fake_kvm_ioctl_name(req));
    }
    switch (req) {
    case KVM_ARM_VCPU_INIT:
        return vcpu_init(f, v, arg);
    case KVM_GET_ONE_REG:
    case KVM_SET_ONE_REG:
        return vcpu_one_reg(f, i, v, req, arg);
    case KVM_ARM_VCPU_FINALIZE:
        if (*(int *)arg != KVM_ARM_VCPU_SVE) {
            return fail(EINVAL);
        }
        if (!(v->features & F(KVM_ARM_VCPU_SVE)) || v->finalized) {
            return fail(EPERM);
        }
        v->finalized = true;
        return 0;
    case KVM_SET_DEVICE_ATTR:
        return vcpu_pmu_attr(f, i, v, arg);
    case KVM_SET_VCPU_EVENTS: {
        const struct kvm_vcpu_events *ev = arg;

        if (ev->exception.ext_dabt_pending) {
            if (!cap_value(f, KVM_CAP_ARM_INJECT_EXT_DABT)) {
                return fail(EINVAL);
            }
            v->ext_dabts++;
        }
        return 0;
    }
    default:
        g_error("fake KVM: unexpected vCPU ioctl 0x%lx (%s)", req, fake_kvm_ioctl_name(req));
    }
}

/* ---- The vGIC and ITS devices (devices/arm-vgic-v3.rst, arm-vgic.rst, arm-vgic-its.rst) */

static int gic_attr(FakeKvm *f, const struct kvm_device_attr *a)
{
    bool v3 = f->gic.type == KVM_DEV_TYPE_ARM_VGIC_V3;

    switch (a->group) {
    case KVM_DEV_ARM_VGIC_GRP_ADDR: {
        uint64_t addr = *(const uint64_t *)(uintptr_t)a->addr;
        bool dist = a->attr == (v3 ? KVM_VGIC_V3_ADDR_TYPE_DIST : KVM_VGIC_V2_ADDR_TYPE_DIST);
        bool second = a->attr == (v3 ? KVM_VGIC_V3_ADDR_TYPE_REDIST : KVM_VGIC_V2_ADDR_TYPE_CPU);
        uint64_t align = v3 ? 0x10000 : 0x1000;

        if (!dist && !second) {
            return fail(ENODEV);
        }
        if (addr & (align - 1)) {
            return fail(EINVAL);
        }
        if (addr >= UINT64_C(1) << FAKE_KVM_IPA_BITS) {
            return fail(E2BIG);
        }
        if (dist ? f->gic.has_dist : f->gic.has_second) {
            return fail(EEXIST);
        }
        if (dist) {
            f->gic.has_dist = true;
            f->gic.dist = addr;
        } else {
            f->gic.has_second = true;
            f->gic.second = addr;
        }
        return 0;
    }
    case KVM_DEV_ARM_VGIC_GRP_NR_IRQS: {
        uint32_t n = *(const uint32_t *)(uintptr_t)a->addr;

        if (n < 64 || n > 1024 || n % 32) {
            return fail(EINVAL);
        }
        if (f->gic.inited || f->gic.nr_irqs) {
            return fail(EBUSY);
        }
        f->gic.nr_irqs = n;
        return 0;
    }
    case KVM_DEV_ARM_VGIC_GRP_CTRL:
        if (a->attr != KVM_DEV_ARM_VGIC_CTRL_INIT) {
            return fail(ENXIO);
        }
        f->gic.inited = true;
        return 0;
    default:
        return fail(ENXIO);
    }
}

static int its_attr(FakeKvm *f, const struct kvm_device_attr *a)
{
    if (a->group == KVM_DEV_ARM_VGIC_GRP_ADDR) {
        uint64_t addr = *(const uint64_t *)(uintptr_t)a->addr;

        if (a->attr != KVM_VGIC_ITS_ADDR_TYPE) {
            return fail(ENODEV);
        }
        if (addr & 0xffff) {
            return fail(EINVAL);
        }
        if (f->its.has_addr) {
            return fail(EEXIST);
        }
        f->its.has_addr = true;
        f->its.addr = addr;
        return 0;
    }
    if (a->group == KVM_DEV_ARM_VGIC_GRP_CTRL && a->attr == KVM_DEV_ARM_VGIC_CTRL_INIT) {
        f->its.inited = true;
        return 0;
    }
    return fail(ENXIO);
}

/* ---- KVM_RUN ------------------------------------------------------------------------- */

static void queue(FakeKvm *f, unsigned vcpu, const FakeKvmExit *e)
{
    g_assert_cmpuint(vcpu, <, FAKE_KVM_MAX_VCPUS);
    g_mutex_lock(&f->lock);
    g_queue_push_tail(f->vcpus[vcpu].script, g_memdup2(e, sizeof(*e)));
    g_mutex_unlock(&f->lock);
}

void fake_kvm_queue_mmio(FakeKvm *f, unsigned vcpu, uint64_t addr, unsigned len,
                         bool is_write, uint64_t value)
{
    FakeKvmExit e = { .reason = KVM_EXIT_MMIO, .addr = addr, .len = len, .is_write = is_write };

    g_assert_cmpuint(len, <=, 8);
    for (unsigned i = 0; is_write && i < len; i++) {
        e.data[i] = (uint8_t)(value >> (8 * i));
    }
    queue(f, vcpu, &e);
}

void fake_kvm_queue_nisv(FakeKvm *f, unsigned vcpu, uint64_t ipa)
{
    queue(f, vcpu, &(FakeKvmExit){ .reason = KVM_EXIT_ARM_NISV, .addr = ipa });
}

void fake_kvm_queue_event(FakeKvm *f, unsigned vcpu, uint32_t type)
{
    queue(f, vcpu, &(FakeKvmExit){ .reason = KVM_EXIT_SYSTEM_EVENT, .type = type });
}

void fake_kvm_queue_exit(FakeKvm *f, unsigned vcpu, uint32_t reason)
{
    queue(f, vcpu, &(FakeKvmExit){ .reason = reason });
}

void fake_kvm_queue_error(FakeKvm *f, unsigned vcpu, int err)
{
    queue(f, vcpu, &(FakeKvmExit){ .err = err });
}

void fake_kvm_queue_slices(FakeKvm *f, unsigned vcpu, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        queue(f, vcpu, &(FakeKvmExit){ .slice = true, .reason = KVM_EXIT_INTR });
    }
}

FakeKvmExit fake_kvm_exit(FakeKvm *f, unsigned vcpu, unsigned nth)
{
    FakeKvmExit e;

    g_mutex_lock(&f->lock);
    g_assert_cmpuint(nth, <, f->vcpus[vcpu].exits->len);
    e = g_array_index(f->vcpus[vcpu].exits, FakeKvmExit, nth);
    g_mutex_unlock(&f->lock);
    return e;
}

/* Why KVM_RUN cannot enter the guest yet (arm.c's kvm_vcpu_first_run_init), or 0. */
static int run_refused(FakeKvm *f, const FakeKvmVcpu *v)
{
    if (!v->inited) {
        return ENOEXEC;
    }
    if ((v->features & F(KVM_ARM_VCPU_SVE)) && !v->finalized) {
        return EPERM;
    }
    if ((v->features & F(KVM_ARM_VCPU_PMU_V3)) && !v->pmu_inited) {
        return EINVAL;
    }
    if (f->gic.type == KVM_DEV_TYPE_ARM_VGIC_V3 && !f->gic.inited) {
        return EBUSY;
    }
    if (f->gic.type && !(f->gic.has_dist && f->gic.has_second)) {
        return ENXIO; /* kvm_vgic_map_resources: a frame with no address */
    }
    if (!v->run) {
        g_error("fake KVM: vCPU %u: KVM_RUN with no kvm_run mapped", (unsigned)(v - f->vcpus));
    }
    return 0;
}

static int vcpu_run(FakeKvm *f, unsigned i)
{
    FakeKvmVcpu *v = &f->vcpus[i];
    struct kvm_run *run;
    FakeKvmExit *e;
    int err, r;

    err = run_refused(f, v);
    if (err) {
        return fail(err);
    }
    run = v->run;
    if (v->exits->len) {
        FakeKvmExit *last = &g_array_index(v->exits, FakeKvmExit, v->exits->len - 1);

        if (!last->done && last->reason == KVM_EXIT_MMIO && !last->is_write) {
            memcpy(last->data, run->mmio.data, last->len); /* the read's completion */
        }
        last->done = true;
    }
    if (__atomic_load_n(&run->immediate_exit, __ATOMIC_SEQ_CST)) {
        return fail(EINTR);
    }
    g_atomic_int_inc(&v->runs);
    e = g_queue_pop_head(v->script);
    if (e && !e->slice) {
        g_array_append_val(v->exits, *e);
        err = e->err;
        run->exit_reason = e->reason;
        switch (e->reason) {
        case KVM_EXIT_MMIO:
            run->mmio.phys_addr = e->addr;
            run->mmio.len = e->len;
            run->mmio.is_write = e->is_write;
            if (e->is_write) {
                memcpy(run->mmio.data, e->data, 8);
            } else {
                memset(run->mmio.data, 0xa5, 8); /* armpass must fill in every byte read */
            }
            break;
        case KVM_EXIT_ARM_NISV:
            run->arm_nisv.fault_ipa = e->addr;
            run->arm_nisv.esr_iss = 0;
            break;
        case KVM_EXIT_SYSTEM_EVENT:
            run->system_event.type = e->type;
            run->system_event.ndata = 0;
            break;
        case KVM_EXIT_FAIL_ENTRY:
            run->fail_entry.hardware_entry_failure_reason = 0x2a;
            break;
        case KVM_EXIT_INTERNAL_ERROR:
            run->internal.suberror = 1;
            break;
        default:
            break;
        }
        g_free(e);
        return err ? fail(err) : 0;
    }
    g_free(e);
    /* A slice of guest time: the kick signal interrupts it. */
    g_atomic_int_set(&v->in_run, 1);
    g_mutex_unlock(&f->lock);
    r = usleep(1000);
    g_mutex_lock(&f->lock);
    g_atomic_int_set(&v->in_run, 0);
    if (r != 0) {
        return fail(EINTR);
    }
    run->exit_reason = KVM_EXIT_INTR;
    return 0;
}

/* ---- HostOps ------------------------------------------------------------------------- */

static int fake_ioctl_locked(FakeKvm *f, int fd, unsigned long req, void *arg)
{
    FakeKvmFd *k = g_hash_table_lookup(f->fds, GINT_TO_POINTER(fd));
    int vcpu = -1, err, ret;
    int64_t attr = -1;
    char buf[32];

    if (!k) {
        return fail(EBADF);
    }
    g_hash_table_insert(f->calls, GSIZE_TO_POINTER(req),
                        GUINT_TO_POINTER(fake_kvm_calls(f, req) + 1));
    if (k->kind == FD_VCPU) {
        vcpu = (int)k->index;
    } else if (req == KVM_CREATE_VCPU) {
        vcpu = (int)(uintptr_t)arg;
    }
    if (req == KVM_SET_DEVICE_ATTR) {
        attr = (int64_t)((const struct kvm_device_attr *)arg)->attr;
    }
    err = fault_for(f, req, vcpu, attr);
    if (err) {
        logf_(f, "%s %s failed (injected)", fd_label(k, buf, sizeof(buf)),
              fake_kvm_ioctl_name(req));
        return fail(err);
    }
    switch (k->kind) {
    case FD_KVM:
        switch (req) {
        case KVM_GET_API_VERSION:
            ret = f->api_version;
            break;
        case KVM_CREATE_VM:
            if ((uintptr_t)arg != 0) {
                ret = fail(EINVAL);
                break;
            }
            if (f->vm_fd >= 0) {
                g_error("fake KVM: one VM at a time");
            }
            vm_reset(f);
            f->vm_fd = ret = new_fd(f, FD_VM, 0);
            break;
        case KVM_CHECK_EXTENSION:
            ret = cap_value(f, (int)(uintptr_t)arg);
            break;
        case KVM_GET_VCPU_MMAP_SIZE:
            ret = f->run_mmap_size;
            break;
        default:
            ret = fail(EINVAL);
            break;
        }
        break;
    case FD_VM:
        ret = vm_ioctl(f, req, arg);
        break;
    case FD_VCPU:
        ret = req == KVM_RUN ? vcpu_run(f, k->index) : vcpu_ioctl(f, k->index, req, arg);
        break;
    case FD_GIC:
    case FD_ITS:
        if (req != KVM_SET_DEVICE_ATTR) {
            g_error("fake KVM: unexpected device ioctl 0x%lx", req);
        }
        ret = k->kind == FD_GIC ? gic_attr(f, arg) : its_attr(f, arg);
        break;
    default:
        ret = fail(ENOTTY);
        break;
    }
    if (req != KVM_RUN && req != KVM_CHECK_EXTENSION) {
        int saved = errno;

        if (req == KVM_SET_DEVICE_ATTR) {
            const struct kvm_device_attr *a = arg;
            logf_(f, "%s %s %u/%" PRIu64 "%s", fd_label(k, buf, sizeof(buf)),
                  fake_kvm_ioctl_name(req), a->group, (uint64_t)a->attr,
                  ret < 0 ? " failed" : "");
        } else {
            logf_(f, "%s %s%s", fd_label(k, buf, sizeof(buf)), fake_kvm_ioctl_name(req),
                  ret < 0 ? " failed" : "");
        }
        errno = saved;
    }
    return ret;
}

static int fake_ioctl(void *opaque, int fd, unsigned long req, void *arg)
{
    FakeKvm *f = opaque;
    int ret, saved;

    g_mutex_lock(&f->lock);
    ret = fake_ioctl_locked(f, fd, req, arg);
    saved = errno;
    g_mutex_unlock(&f->lock);
    errno = saved;
    return ret;
}

static int fake_open(void *opaque, const char *path, int flags)
{
    FakeKvm *f = opaque;
    int ret;

    (void)flags;
    g_mutex_lock(&f->lock);
    if (strcmp(path, f->path) != 0) {
        ret = fail(ENOENT);
    } else if (f->open_errno) {
        ret = fail(f->open_errno);
    } else {
        f->kvm_fd = ret = new_fd(f, FD_KVM, 0);
        logf_(f, "open %s", path);
    }
    g_mutex_unlock(&f->lock);
    return ret;
}

static int fake_close(void *opaque, int fd)
{
    FakeKvm *f = opaque;
    FakeKvmFd *k;
    char buf[32];
    int ret = 0;

    g_mutex_lock(&f->lock);
    k = g_hash_table_lookup(f->fds, GINT_TO_POINTER(fd));
    if (!k) {
        ret = fail(EBADF);
    } else {
        logf_(f, "close %s", fd_label(k, buf, sizeof(buf)));
        switch (k->kind) {
        case FD_KVM: f->kvm_fd = -1; break;
        case FD_VM: f->vm_fd = -1; break;
        case FD_VCPU: f->vcpus[k->index].fd = -1; break;
        case FD_GIC: f->gic.fd = -1; break;
        case FD_ITS: f->its.fd = -1; break;
        default: break;
        }
        g_hash_table_remove(f->fds, GINT_TO_POINTER(fd));
    }
    g_mutex_unlock(&f->lock);
    return ret;
}

static void *fake_mmap(void *opaque, void *addr, size_t len, int prot, int flags, int fd,
                       off_t off)
{
    FakeKvm *f = opaque;
    FakeKvmFd *k;
    void *p = MAP_FAILED;

    (void)addr, (void)prot, (void)flags;
    g_mutex_lock(&f->lock);
    k = g_hash_table_lookup(f->fds, GINT_TO_POINTER(fd));
    if (!k || k->kind != FD_VCPU) {
        errno = k ? ENODEV : EBADF;
    } else if (off != 0 || len == 0 || len > (size_t)f->run_mmap_size) {
        errno = EINVAL;
    } else {
        p = g_malloc0(len);
        f->vcpus[k->index].run = p;
        g_hash_table_insert(f->maps, p, GSIZE_TO_POINTER(len));
    }
    g_mutex_unlock(&f->lock);
    return p;
}

static int fake_munmap(void *opaque, void *addr, size_t len)
{
    FakeKvm *f = opaque;

    g_mutex_lock(&f->lock);
    if (GPOINTER_TO_SIZE(g_hash_table_lookup(f->maps, addr)) != len) {
        g_error("fake KVM: munmap(%p, %zu) of nothing it mapped", addr, len);
    }
    g_hash_table_remove(f->maps, addr);
    for (unsigned i = 0; i < FAKE_KVM_MAX_VCPUS; i++) {
        if (f->vcpus[i].run == addr) {
            f->vcpus[i].run = NULL;
        }
    }
    g_free(addr);
    g_mutex_unlock(&f->lock);
    return 0;
}

static ssize_t fake_pread(void *opaque, int fd, void *buf, size_t len, off_t off)
{
    (void)opaque, (void)buf, (void)len, (void)off;
    g_error("fake KVM: pread of fd %d", fd);
    return -1;
}

static ssize_t fake_pwrite(void *opaque, int fd, const void *buf, size_t len, off_t off)
{
    (void)opaque, (void)buf, (void)len, (void)off;
    g_error("fake KVM: pwrite of fd %d", fd);
    return -1;
}

static int fake_eventfd(void *opaque, unsigned int initval, int flags)
{
    (void)opaque;
    return eventfd(initval, flags | EFD_CLOEXEC);
}

static int fake_fstat(void *opaque, int fd, struct stat *st)
{
    FakeKvm *f = opaque;
    FakeKvmFd *k;
    int ret = 0;

    g_mutex_lock(&f->lock);
    k = g_hash_table_lookup(f->fds, GINT_TO_POINTER(fd));
    memset(st, 0, sizeof(*st));
    if (!k) {
        ret = fail(EBADF);
    } else if (k->kind == FD_FILE) {
        st->st_mode = S_IFREG | 0644;
    } else if (k->kind == FD_NULL) {
        st->st_mode = S_IFCHR | 0666;
        st->st_rdev = makedev(1, 3);
    } else if (k->kind == FD_KVM) {
        st->st_mode = S_IFCHR | 0660;
        st->st_rdev = makedev(FAKE_KVM_MAJOR, FAKE_KVM_MINOR);
    } else {
        st->st_mode = S_IFREG | 0600; /* anon_inode: not a device */
    }
    g_mutex_unlock(&f->lock);
    return ret;
}

int fake_kvm_pass_fd(FakeKvm *f, FakeKvmPass kind)
{
    int fd;

    g_mutex_lock(&f->lock);
    fd = new_fd(f, kind == FAKE_KVM_PASS_KVM ? FD_KVM : kind == FAKE_KVM_PASS_NULL ? FD_NULL
                                                                                   : FD_FILE, 0);
    if (kind == FAKE_KVM_PASS_KVM) {
        f->kvm_fd = fd;
    }
    logf_(f, "pass %d", fd);
    g_mutex_unlock(&f->lock);
    return fd;
}

/* ---- Set-up and queries -------------------------------------------------------------- */

FakeKvm *fake_kvm_new(const char *path)
{
    static const struct {
        int cap, value;
    } caps[] = {
        { KVM_CAP_USER_MEMORY, 1 }, { KVM_CAP_ONE_REG, 1 }, { KVM_CAP_ARM_PSCI_0_2, 1 },
        { KVM_CAP_DEVICE_CTRL, 1 }, { KVM_CAP_IMMEDIATE_EXIT, 1 }, { KVM_CAP_IRQFD, 1 },
        { KVM_CAP_IRQFD_RESAMPLE, 1 }, { KVM_CAP_IOEVENTFD, 1 },
        { KVM_CAP_NR_MEMSLOTS, FAKE_KVM_MEMSLOTS }, { KVM_CAP_ARM_NISV_TO_USER, 1 },
        { KVM_CAP_ARM_INJECT_EXT_DABT, 1 }, { KVM_CAP_ARM_PMU_V3, 1 }, { KVM_CAP_ARM_SVE, 1 },
        { KVM_CAP_ARM_PTRAUTH_ADDRESS, 1 }, { KVM_CAP_ARM_PTRAUTH_GENERIC, 1 },
        { KVM_CAP_IRQ_ROUTING, FAKE_KVM_MAX_ROUTES }, { KVM_CAP_SIGNAL_MSI, 1 },
        { KVM_CAP_MSI_DEVID, 1 }, { KVM_CAP_ARM_VM_IPA_SIZE, FAKE_KVM_IPA_BITS },
        { KVM_CAP_MAX_VCPUS, FAKE_KVM_MAX_VCPUS },
    };
    FakeKvm *f = g_new0(FakeKvm, 1);

    f->ops = (HostOps){
        .open = fake_open, .close = fake_close, .ioctl = fake_ioctl, .mmap = fake_mmap,
        .munmap = fake_munmap, .pread = fake_pread, .pwrite = fake_pwrite,
        .eventfd = fake_eventfd, .fstat = fake_fstat, .opaque = f,
    };
    f->path = g_strdup(path);
    g_mutex_init(&f->lock);
    f->api_version = KVM_API_VERSION;
    f->caps = g_hash_table_new(g_direct_hash, g_direct_equal);
    for (unsigned i = 0; i < G_N_ELEMENTS(caps); i++) {
        g_hash_table_insert(f->caps, GINT_TO_POINTER(caps[i].cap),
                            GINT_TO_POINTER(caps[i].value));
    }
    f->run_mmap_size = FAKE_KVM_RUN_SIZE;
    f->host_vqs = 0x1 | 0x2 | 0x8; /* 128, 256, 512 bits: a 512-bit SVE, which has no 384 */
    f->has_gic_v3 = f->has_its = true;
    f->max_vcpus = FAKE_KVM_MAX_VCPUS;
    f->kvm_fd = f->vm_fd = -1;
    f->irqfds = g_array_new(FALSE, TRUE, sizeof(FakeKvmIrqfd));
    f->ioeventfds = g_array_new(FALSE, TRUE, sizeof(FakeKvmIoeventfd));
    f->lines = g_array_new(FALSE, TRUE, sizeof(FakeKvmLine));
    f->msis = g_array_new(FALSE, TRUE, sizeof(struct kvm_msi));
    f->fds = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    f->next_fd = FAKE_KVM_FD_BASE;
    f->calls = g_hash_table_new(g_direct_hash, g_direct_equal);
    f->maps = g_hash_table_new(g_direct_hash, g_direct_equal);
    f->log = g_ptr_array_new_with_free_func(g_free);
    f->faults = g_array_new(FALSE, TRUE, sizeof(FakeKvmFault));
    for (unsigned i = 0; i < FAKE_KVM_MAX_VCPUS; i++) {
        f->vcpus[i].regs = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
        f->vcpus[i].script = g_queue_new();
        f->vcpus[i].exits = g_array_new(FALSE, TRUE, sizeof(FakeKvmExit));
    }
    vm_reset(f);
    return f;
}

void fake_kvm_free(FakeKvm *f)
{
    GHashTableIter it;
    gpointer addr;

    if (!f) {
        return;
    }
    g_hash_table_iter_init(&it, f->maps);
    while (g_hash_table_iter_next(&it, &addr, NULL)) {
        g_free(addr);
    }
    for (unsigned i = 0; i < FAKE_KVM_MAX_VCPUS; i++) {
        g_hash_table_destroy(f->vcpus[i].regs);
        g_queue_free_full(f->vcpus[i].script, g_free);
        g_array_free(f->vcpus[i].exits, TRUE);
    }
    g_free(f->slots);
    g_free(f->routing);
    g_array_free(f->irqfds, TRUE);
    g_array_free(f->ioeventfds, TRUE);
    g_array_free(f->lines, TRUE);
    g_array_free(f->msis, TRUE);
    g_array_free(f->faults, TRUE);
    g_hash_table_destroy(f->fds);
    g_hash_table_destroy(f->calls);
    g_hash_table_destroy(f->maps);
    g_hash_table_destroy(f->caps);
    g_ptr_array_free(f->log, TRUE);
    g_mutex_clear(&f->lock);
    g_free(f->path);
    g_free(f);
}

unsigned fake_kvm_open_fds(const FakeKvm *f)
{
    return g_hash_table_size(f->fds);
}

unsigned fake_kvm_live_mmaps(const FakeKvm *f)
{
    return g_hash_table_size(f->maps);
}

unsigned fake_kvm_calls(const FakeKvm *f, unsigned long request)
{
    return GPOINTER_TO_UINT(g_hash_table_lookup(f->calls, GSIZE_TO_POINTER(request)));
}

int fake_kvm_log_find(const FakeKvm *f, const char *prefix, int from)
{
    for (unsigned i = (unsigned)MAX(from, 0); i < f->log->len; i++) {
        if (g_str_has_prefix(g_ptr_array_index(f->log, i), prefix)) {
            return (int)i;
        }
    }
    return -1;
}

bool fake_kvm_reg(FakeKvm *f, unsigned vcpu, uint64_t id, uint64_t *val)
{
    const gint64 *have;

    g_mutex_lock(&f->lock);
    have = g_hash_table_lookup(f->vcpus[vcpu].regs, &id);
    if (have) {
        *val = (uint64_t)*have;
    }
    g_mutex_unlock(&f->lock);
    return have != NULL;
}

const FakeKvmSlot *fake_kvm_slot_at(FakeKvm *f, uint64_t gpa)
{
    for (unsigned i = 0; i < f->nr_slots; i++) {
        if (f->slots[i].used && gpa >= f->slots[i].gpa &&
            gpa - f->slots[i].gpa < f->slots[i].size) {
            return &f->slots[i];
        }
    }
    return NULL;
}

unsigned fake_kvm_used_slots(FakeKvm *f)
{
    unsigned n = 0;

    for (unsigned i = 0; i < f->nr_slots; i++) {
        n += f->slots[i].used;
    }
    return n;
}

const FakeKvmIrqfd *fake_kvm_irqfd(FakeKvm *f, uint32_t gsi)
{
    for (unsigned i = 0; i < f->irqfds->len; i++) {
        if (g_array_index(f->irqfds, FakeKvmIrqfd, i).gsi == gsi) {
            return &g_array_index(f->irqfds, FakeKvmIrqfd, i);
        }
    }
    return NULL;
}
