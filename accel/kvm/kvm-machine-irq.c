// SPDX-License-Identifier: GPL-2.0-only
/* How devices reach KVM's interrupt controller: the MachineIrqOps (hw/core/device.h) over a
 * KvmState, which the board hands devices as ms->irq_ops with the KvmState as irq_opaque. */
#include "accel/kvm.h"
#include "hw/core/device.h"

#include <linux/kvm.h>

static bool kvm_mirq_set_spi(void *opaque, unsigned spi, bool level, GError **errp)
{
    return kvm_set_spi(opaque, spi, level, errp);
}
/* gsi: SPI n is GSI n (kvm_irqfd_assign passes it as kvm_irqfd.gsi). */
static bool kvm_mirq_irqfd_assign(void *opaque, int fd, int resamplefd, unsigned gsi,
                                  GError **errp)
{
    return kvm_irqfd_assign(opaque, fd, resamplefd, gsi, errp);
}
static bool kvm_mirq_irqfd_deassign(void *opaque, int fd, unsigned gsi, GError **errp)
{
    return kvm_irqfd_deassign(opaque, fd, gsi, errp);
}
static bool kvm_mirq_has_resample(void *opaque)
{
    return kvm_check_extension(opaque, KVM_CAP_IRQFD_RESAMPLE);
}

static bool kvm_mirq_msi_route_add(void *opaque, uint64_t addr, uint32_t data, uint32_t devid,
                                   unsigned *gsi, GError **errp)
{
    return kvm_msi_route_add(opaque, addr, data, devid, gsi, errp);
}
static bool kvm_mirq_msi_route_update(void *opaque, unsigned gsi, uint64_t addr, uint32_t data,
                                      uint32_t devid, GError **errp)
{
    return kvm_msi_route_update(opaque, gsi, addr, data, devid, errp);
}
static void kvm_mirq_msi_route_release(void *opaque, unsigned gsi)
{
    kvm_msi_route_release(opaque, gsi);
}
static bool kvm_mirq_signal_msi(void *opaque, uint64_t addr, uint32_t data, uint32_t devid,
                                GError **errp)
{
    return kvm_signal_msi(opaque, addr, data, devid, errp);
}
static bool kvm_mirq_has_msi(void *opaque)
{
    return kvm_has_msi(opaque);
}

static bool kvm_mirq_ioeventfd(void *opaque, int fd, uint64_t addr, unsigned len, bool assign,
                               GError **errp)
{
    return kvm_ioeventfd(opaque, fd, addr, len, assign, errp);
}

const MachineIrqOps kvm_machine_irq_ops = {
    .set_spi = kvm_mirq_set_spi,
    .irqfd_assign = kvm_mirq_irqfd_assign,
    .irqfd_deassign = kvm_mirq_irqfd_deassign,
    .has_resample = kvm_mirq_has_resample,
    .msi_route_add = kvm_mirq_msi_route_add,
    .msi_route_update = kvm_mirq_msi_route_update,
    .msi_route_release = kvm_mirq_msi_route_release,
    .signal_msi = kvm_mirq_signal_msi,
    .has_msi = kvm_mirq_has_msi,
    .ioeventfd = kvm_mirq_ioeventfd,
};
