// SPDX-License-Identifier: GPL-2.0-only
/*
 * The in-kernel vGIC (v2 or v3, with an ITS where KVM has one).
 * Source: Documentation/virt/kvm/devices/arm-vgic-v3.rst, arm-vgic.rst, arm-vgic-its.rst.
 */
#define G_LOG_DOMAIN "armpass-kvm"
#include "kvm-internal.h"

#include <errno.h>
#include <inttypes.h>

static int kvm_create_device(KvmState *s, uint32_t type, bool test)
{
    struct kvm_create_device cd = { .type = type, .flags = test ? KVM_CREATE_DEVICE_TEST : 0 };
    if (kvm_ioctl_retry(s->ops, s->vm_fd, KVM_CREATE_DEVICE, &cd) < 0) {
        return -errno;
    }
    return test ? 0 : (int)cd.fd;
}

bool kvm_gic_supported(KvmState *s, int version)
{
    uint32_t type = version == 3 ? KVM_DEV_TYPE_ARM_VGIC_V3 : KVM_DEV_TYPE_ARM_VGIC_V2;
    return kvm_create_device(s, type, true) == 0;
}

static bool kvm_device_attr(KvmState *s, int fd, const char *dev, uint32_t group,
                            const char *group_name, uint64_t attr, void *val, GError **errp)
{
    struct kvm_device_attr a = { .group = group, .attr = attr, .addr = (uintptr_t)val };
    if (kvm_ioctl_retry(s->ops, fd, KVM_SET_DEVICE_ATTR, &a) < 0) {
        g_set_error(errp, KVM_ERROR, errno, "%s: KVM_SET_DEVICE_ATTR (%s, attr %" PRIu64 "): %s",
                    dev, group_name, attr, g_strerror(errno));
        return false;
    }
    return true;
}

static bool kvm_its_create(KvmState *s, const KvmGicLayout *l, GError **errp)
{
    uint64_t base = l->its_base;
    int fd = kvm_create_device(s, KVM_DEV_TYPE_ARM_VGIC_ITS, false);

    if (fd < 0) {
        g_debug("no in-kernel ITS (KVM_CREATE_DEVICE: %s)", g_strerror(-fd));
        return true; /* an ITS is optional: MSIs then have nowhere to go */
    }
    s->its_fd = fd;
    return kvm_device_attr(s, fd, "vITS", KVM_DEV_ARM_VGIC_GRP_ADDR, "GRP_ADDR",
                           KVM_VGIC_ITS_ADDR_TYPE, &base, errp) &&
           kvm_device_attr(s, fd, "vITS", KVM_DEV_ARM_VGIC_GRP_CTRL, "GRP_CTRL",
                           KVM_DEV_ARM_VGIC_CTRL_INIT, NULL, errp);
}

bool kvm_gic_create(KvmState *s, const KvmGicLayout *l, GError **errp)
{
    const char *name = l->version == 3 ? "vGICv3" : "vGICv2";
    uint32_t nr_irqs = l->nr_irqs;
    uint64_t dist = l->dist_base, second = l->version == 3 ? l->redist_base : l->cpu_base;
    int fd;

    if (l->version == 3 && l->redist_size < (uint64_t)s->nr_vcpus * 0x20000) {
        g_set_error(errp, KVM_ERROR, EINVAL, "%s: the redistributor frame holds %" PRIu64
                    " vCPUs, not %u", name, l->redist_size / 0x20000, s->nr_vcpus);
        return false;
    }
    fd = kvm_create_device(s, l->version == 3 ? KVM_DEV_TYPE_ARM_VGIC_V3
                                              : KVM_DEV_TYPE_ARM_VGIC_V2, false);
    if (fd < 0) {
        g_set_error(errp, KVM_ERROR, -fd, "%s: KVM_CREATE_DEVICE: %s (try -M virt,gic-version=%d)",
                    name, g_strerror(-fd), l->version == 3 ? 2 : 3);
        return false;
    }
    s->gic_fd = fd;
    s->nr_spis = nr_irqs - 32; /* KVM's default routing: GSI n -> SPI n for each of them */
    if (!kvm_device_attr(s, fd, name, KVM_DEV_ARM_VGIC_GRP_ADDR, "GRP_ADDR",
                         l->version == 3 ? KVM_VGIC_V3_ADDR_TYPE_DIST : KVM_VGIC_V2_ADDR_TYPE_DIST,
                         &dist, errp) ||
        !kvm_device_attr(s, fd, name, KVM_DEV_ARM_VGIC_GRP_ADDR, "GRP_ADDR",
                         l->version == 3 ? KVM_VGIC_V3_ADDR_TYPE_REDIST : KVM_VGIC_V2_ADDR_TYPE_CPU,
                         &second, errp) ||
        !kvm_device_attr(s, fd, name, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, "GRP_NR_IRQS", 0, &nr_irqs,
                         errp) ||
        !kvm_device_attr(s, fd, name, KVM_DEV_ARM_VGIC_GRP_CTRL, "GRP_CTRL",
                         KVM_DEV_ARM_VGIC_CTRL_INIT, NULL, errp)) {
        return false;
    }
    g_debug("%s: distributor 0x%" PRIx64 ", %s 0x%" PRIx64 ", %u interrupts", name, dist,
            l->version == 3 ? "redistributors" : "CPU interface", second, nr_irqs);
    if (l->version == 3 && l->its_base && !kvm_its_create(s, l, errp)) {
        return false;
    }
    return true;
}

bool kvm_has_its(KvmState *s)
{
    return s->its_fd >= 0;
}
