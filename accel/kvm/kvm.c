// SPDX-License-Identifier: GPL-2.0-only
/* The KVM VM: opening /dev/kvm, capabilities, memslots, interrupt lines and irqfds
 * (MSI routes: kvm-irqchip.c). */
#define G_LOG_DOMAIN "armpass-kvm"
#include "kvm-internal.h"

#include "system/passfd.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

G_DEFINE_QUARK(armpass-kvm-error, armpass_kvm_error)

#define KVM_NEEDS_AARCH64 "armpass needs an aarch64 host with KVM"

int kvm_ioctl_retry(const HostOps *ops, int fd, unsigned long req, void *arg)
{
    int ret;
    do {
        ret = host_ioctl(ops, fd, req, arg);
    } while (ret < 0 && (errno == EINTR || errno == EAGAIN));
    return ret;
}

static int kvm_check_extension_fd(KvmState *s, int fd, int cap)
{
    int ret = host_ioctl(s->ops, fd, KVM_CHECK_EXTENSION, (void *)(uintptr_t)cap);
    return ret < 0 ? 0 : ret;
}

bool kvm_check_extension(KvmState *s, int cap)
{
    return kvm_check_extension_fd(s, s->vm_fd, cap) > 0;
}

static bool kvm_memslot_add(MemoryListener *l, const FlatRange *fr, GError **errp) G_GNUC_UNUSED;
static void kvm_memslot_del(MemoryListener *l, const FlatRange *fr) G_GNUC_UNUSED;

KvmState *kvm_init(const HostOps *ops, const char *path, GError **errp)
{
    return kvm_init_fd(ops, path, -1, errp);
}

KvmState *kvm_init_fd(const HostOps *ops, const char *path, int fd, GError **errp)
{
    g_autofree KvmState *s = NULL;
    static const struct {
        int cap;
        const char *name;
    } needed[] = {
        { KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
        { KVM_CAP_ONE_REG, "KVM_CAP_ONE_REG" },
        { KVM_CAP_ARM_PSCI_0_2, "KVM_CAP_ARM_PSCI_0_2" },
        { KVM_CAP_DEVICE_CTRL, "KVM_CAP_DEVICE_CTRL" },
        { KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
        { KVM_CAP_IRQFD, "KVM_CAP_IRQFD" },
    };
    g_autofree char *what = NULL;
    int ret;

#if !defined(__aarch64__)
    /* This host's own kernel has no arm64 KVM to give; any other backend (the unit tests'
     * fake KVM) stands for one, so the code below is tested on every host. */
    if (ops == &host_ops_system) {
        g_set_error(errp, KVM_ERROR, ENODEV, KVM_NEEDS_AARCH64 " (this host is not aarch64; "
                    "run armpass on an Arm machine, or in the nested test bed: see README.md)");
        return NULL;
    }
#endif
    s = g_new0(KvmState, 1);
    s->ops = ops;
    s->gic_fd = s->its_fd = -1;
    if (fd >= 0) {
        g_autoptr(GError) err = NULL;

        what = g_strdup_printf("-accel kvm,fd=%d", fd);
        if (!passfd_check_chardev(ops, "/sys", fd, what, "/sys/class/misc/kvm/dev",
                                  "/dev/kvm", &err)) {
            g_set_error(errp, KVM_ERROR, err->code, "%s", err->message);
            return NULL;
        }
        s->kvm_fd = fd;
        path = what;
    } else {
        s->kvm_fd = ops->open(ops->opaque, path, O_RDWR);
        if (s->kvm_fd < 0) {
            g_set_error(errp, KVM_ERROR, errno, KVM_NEEDS_AARCH64 ": cannot open %s: %s", path,
                        g_strerror(errno));
            return NULL;
        }
    }
    ret = host_ioctl(ops, s->kvm_fd, KVM_GET_API_VERSION, NULL);
    if (ret != KVM_API_VERSION) {
        g_set_error(errp, KVM_ERROR, EINVAL, "%s: KVM_GET_API_VERSION gave %d, armpass needs "
                    "%d%s", path, ret, KVM_API_VERSION,
                    fd >= 0 ? " (is it /dev/kvm? pass an open /dev/kvm)" : "");
        goto fail;
    }
    s->vm_fd = kvm_ioctl_retry(ops, s->kvm_fd, KVM_CREATE_VM, (void *)0UL);
    if (s->vm_fd < 0) {
        g_set_error(errp, KVM_ERROR, errno, KVM_NEEDS_AARCH64 ": KVM_CREATE_VM: %s",
                    g_strerror(errno));
        goto fail;
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(needed); i++) {
        if (!kvm_check_extension(s, needed[i].cap)) {
            g_set_error(errp, KVM_ERROR, ENOSYS, "KVM on this host lacks %s, which armpass needs",
                        needed[i].name);
            goto fail_vm;
        }
    }
    /* api.rst 5 (KVM_EXIT_ARM_NISV), 4.32: a guest access KVM cannot decode (a load/store
     * pair, a writeback) to a trapped address comes back to armpass, which refuses it with an
     * external data abort to the guest, instead of KVM_RUN failing with ENOSYS. */
    if (kvm_check_extension(s, KVM_CAP_ARM_NISV_TO_USER) &&
        kvm_check_extension(s, KVM_CAP_ARM_INJECT_EXT_DABT)) {
        struct kvm_enable_cap cap = { .cap = KVM_CAP_ARM_NISV_TO_USER };
        if (kvm_ioctl_retry(ops, s->vm_fd, KVM_ENABLE_CAP, &cap) == 0) {
            s->nisv_to_user = true;
        } else {
            g_debug("KVM_ENABLE_CAP(KVM_CAP_ARM_NISV_TO_USER): %s", g_strerror(errno));
        }
    }
    ret = host_ioctl(ops, s->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, NULL);
    if (ret <= 0) {
        g_set_error(errp, KVM_ERROR, errno, "KVM_GET_VCPU_MMAP_SIZE: %s", g_strerror(errno));
        goto fail_vm;
    }
    s->run_mmap_size = ret;
    s->nr_slots = kvm_check_extension_fd(s, s->vm_fd, KVM_CAP_NR_MEMSLOTS);
    if (s->nr_slots == 0) {
        s->nr_slots = 32;
    }
    s->slots = g_new0(KvmSlot, s->nr_slots);
    s->listener.name = "kvm-memslots";
    s->listener.region_add = kvm_memslot_add;
    s->listener.region_del = kvm_memslot_del;
    g_debug("KVM VM created: %u memslots, vCPU run area %zu bytes", s->nr_slots,
            s->run_mmap_size);
    kvm_irqchip_init(s);
    g_mutex_init(&s->pause_lock);
    g_cond_init(&s->pause_cond);
    ratelimit_init(&s->refused_mmio_rl, 5000, 5);
    ratelimit_init(&s->refused_nisv_rl, 5000, 5);
    return g_steal_pointer(&s);

fail_vm:
    ops->close(ops->opaque, s->vm_fd);
fail:
    ops->close(ops->opaque, s->kvm_fd);
    return NULL;
}

void kvm_destroy(KvmState *s)
{
    if (!s) {
        return;
    }
    kvm_stop_vcpus(s);
    for (unsigned i = 0; i < s->nr_vcpus; i++) {
        if (s->vcpus[i].run) {
            s->ops->munmap(s->ops->opaque, s->vcpus[i].run, s->run_mmap_size);
        }
        if (s->vcpus[i].fd >= 0) {
            s->ops->close(s->ops->opaque, s->vcpus[i].fd);
        }
    }
    if (s->its_fd >= 0) {
        s->ops->close(s->ops->opaque, s->its_fd);
    }
    if (s->gic_fd >= 0) {
        s->ops->close(s->ops->opaque, s->gic_fd);
    }
    s->ops->close(s->ops->opaque, s->vm_fd);
    s->ops->close(s->ops->opaque, s->kvm_fd);
    kvm_irqchip_destroy(s);
    g_mutex_clear(&s->pause_lock);
    g_cond_clear(&s->pause_cond);
    ratelimit_clear(&s->refused_mmio_rl);
    ratelimit_clear(&s->refused_nisv_rl);
    g_free(s->vcpus);
    g_free(s->slots);
    g_free(s);
}

MemoryListener *kvm_memory_listener(KvmState *s)
{
    return &s->listener;
}

static bool kvm_set_slot(KvmState *s, unsigned slot, uint64_t gpa, uint64_t size, void *host,
                         GError **errp)
{
    struct kvm_userspace_memory_region r = {
        .slot = slot,
        .guest_phys_addr = gpa,
        .memory_size = size,
        .userspace_addr = (uintptr_t)host,
    };
    if (kvm_ioctl_retry(s->ops, s->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0) {
        g_set_error(errp, KVM_ERROR, errno,
                    "KVM_SET_USER_MEMORY_REGION (slot %u, guest [0x%" PRIx64 ", 0x%" PRIx64
                    ")): %s", slot, gpa, gpa + size, g_strerror(errno));
        return false;
    }
    return true;
}

static bool kvm_memslot_add(MemoryListener *l, const FlatRange *fr, GError **errp)
{
    KvmState *s = G_STRUCT_MEMBER_P(l, -G_STRUCT_OFFSET(KvmState, listener));
    uint64_t page = sysconf(_SC_PAGESIZE);
    void *host;

    if (!memory_region_is_mapped(fr->mr)) {
        return true;
    }
    host = (uint8_t *)fr->mr->host + fr->offset_in_region;
    if ((fr->addr | fr->size | (uintptr_t)host) & (page - 1)) {
        g_set_error(errp, KVM_ERROR, EINVAL,
                    "region \"%s\" at guest 0x%" PRIx64 " (0x%" PRIx64 " bytes) is not "
                    "aligned to the %" PRIu64 "-byte page, so it cannot be a memslot",
                    fr->mr->name, fr->addr, fr->size, page);
        return false;
    }
    for (unsigned i = 0; i < s->nr_slots; i++) {
        if (!s->slots[i].used) {
            if (!kvm_set_slot(s, i, fr->addr, fr->size, host, errp)) {
                g_prefix_error(errp, "region \"%s\": ", fr->mr->name);
                return false;
            }
            s->slots[i] = (KvmSlot){ true, fr->addr, fr->size, host };
            g_debug("memslot %u: guest [0x%" PRIx64 ", 0x%" PRIx64 ") -> host %p (%s)", i,
                    fr->addr, fr->addr + fr->size, host, fr->mr->name);
            return true;
        }
    }
    g_set_error(errp, KVM_ERROR, ENOSPC, "region \"%s\": all %u KVM memslots are in use",
                fr->mr->name, s->nr_slots);
    return false;
}

static void kvm_memslot_del(MemoryListener *l, const FlatRange *fr)
{
    KvmState *s = G_STRUCT_MEMBER_P(l, -G_STRUCT_OFFSET(KvmState, listener));
    g_autoptr(GError) err = NULL;

    for (unsigned i = 0; i < s->nr_slots; i++) {
        if (s->slots[i].used && s->slots[i].gpa == fr->addr && s->slots[i].size == fr->size) {
            if (!kvm_set_slot(s, i, fr->addr, 0, NULL, &err)) {
                g_warning("region \"%s\": %s", fr->mr->name, err->message);
            }
            s->slots[i].used = false;
            g_debug("memslot %u removed (%s)", i, fr->mr->name);
            return;
        }
    }
}

bool kvm_set_spi(KvmState *s, unsigned spi, bool level, GError **errp)
{
    struct kvm_irq_level irq = {
        .irq = (KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT) | ((32 + spi) & KVM_ARM_IRQ_NUM_MASK),
        .level = level,
    };
    __atomic_add_fetch(&s->irq_line_changes, 1, __ATOMIC_RELAXED);
    if (kvm_ioctl_retry(s->ops, s->vm_fd, KVM_IRQ_LINE, &irq) < 0) {
        g_set_error(errp, KVM_ERROR, errno, "KVM_IRQ_LINE (SPI %u, level %d): %s", spi, level,
                    g_strerror(errno));
        return false;
    }
    return true;
}

bool kvm_irqfd_assign(KvmState *s, int fd, int resamplefd, unsigned gsi, GError **errp)
{
    struct kvm_irqfd irqfd = {
        .fd = fd,
        .gsi = gsi, /* routing on arm64: GSI n < nr_spis is SPI n (INTID 32 + n), above: MSIs */
        .flags = resamplefd >= 0 ? KVM_IRQFD_FLAG_RESAMPLE : 0,
        .resamplefd = resamplefd >= 0 ? resamplefd : 0,
    };
    if (kvm_ioctl_retry(s->ops, s->vm_fd, KVM_IRQFD, &irqfd) < 0) {
        g_set_error(errp, KVM_ERROR, errno, "KVM_IRQFD (GSI %u%s): %s", gsi,
                    resamplefd >= 0 ? ", resample" : "", g_strerror(errno));
        return false;
    }
    __atomic_add_fetch(&s->irqfds, 1, __ATOMIC_RELAXED);
    g_debug("irqfd %d -> GSI %u%s", fd, gsi, resamplefd >= 0 ? " (resamplefd)" : "");
    return true;
}

bool kvm_irqfd_deassign(KvmState *s, int fd, unsigned gsi, GError **errp)
{
    struct kvm_irqfd irqfd = { .fd = fd, .gsi = gsi, .flags = KVM_IRQFD_FLAG_DEASSIGN };
    if (kvm_ioctl_retry(s->ops, s->vm_fd, KVM_IRQFD, &irqfd) < 0) {
        g_set_error(errp, KVM_ERROR, errno, "KVM_IRQFD deassign (GSI %u): %s", gsi,
                    g_strerror(errno));
        return false;
    }
    __atomic_sub_fetch(&s->irqfds, 1, __ATOMIC_RELAXED);
    return true;
}

bool kvm_ioeventfd(KvmState *s, int fd, uint64_t addr, unsigned len, bool assign,
                   GError **errp)
{
    struct kvm_ioeventfd e = {
        .addr = addr,
        .len = len,
        .fd = fd,
        .flags = assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN,
    };

    if (kvm_ioctl_retry(s->ops, s->vm_fd, KVM_IOEVENTFD, &e) < 0) {
        g_set_error(errp, KVM_ERROR, errno, "KVM_IOEVENTFD (%s 0x%" PRIx64 ", %u bytes): %s",
                    assign ? "assign" : "deassign", addr, len, g_strerror(errno));
        return false;
    }
    if (assign) {
        __atomic_add_fetch(&s->ioeventfds, 1, __ATOMIC_RELAXED);
    } else {
        __atomic_sub_fetch(&s->ioeventfds, 1, __ATOMIC_RELAXED);
    }
    g_debug("ioeventfd %d %s at 0x%" PRIx64 " (%u bytes)", fd, assign ? "on" : "off", addr, len);
    return true;
}

void kvm_get_counters(KvmState *s, KvmCounters *out)
{
    memset(out, 0, sizeof(*out));
    for (unsigned i = 0; i < s->nr_vcpus; i++) {
        const KvmCounters *c = &s->vcpus[i].counters;
        out->exits += c->exits;
        out->exits_mmio += c->exits_mmio;
        out->exits_intr += c->exits_intr;
        out->exits_system_event += c->exits_system_event;
        out->exits_other += c->exits_other;
        out->exits_nisv += c->exits_nisv;
        out->refused_mmio += c->refused_mmio;
    }
    out->irq_line_changes = __atomic_load_n(&s->irq_line_changes, __ATOMIC_RELAXED);
}

void kvm_get_resources(KvmState *s, KvmResources *out)
{
    memset(out, 0, sizeof(*out));
    out->nr_memslots = s->nr_slots;
    for (unsigned i = 0; i < s->nr_slots; i++) {
        out->memslots += s->slots[i].used;
    }
    out->msi_routes = kvm_msi_routes_in_use(s);
    out->gsi_routes = s->nr_spis + out->msi_routes;
    out->irqfds = (unsigned)__atomic_load_n(&s->irqfds, __ATOMIC_RELAXED);
    out->ioeventfds = (unsigned)__atomic_load_n(&s->ioeventfds, __ATOMIC_RELAXED);
}
