/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * KVM for arm64: the VM, its vCPU threads, memslots (a MemoryListener), the in-kernel vGIC,
 * interrupt lines and irqfds. Source: Documentation/virt/kvm/api.rst,
 * Documentation/virt/kvm/devices/arm-vgic-v3.rst, arm-vgic.rst, arm-vgic-its.rst.
 */
#ifndef ARMPASS_ACCEL_KVM_H
#define ARMPASS_ACCEL_KVM_H

#include "system/hostops.h"
#include "system/memory.h"
#include "system/options.h"

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct KvmState KvmState;

/* Counters that -d stats prints and the benchmark reads. */
typedef struct KvmCounters {
    uint64_t exits;          /* KVM_RUN returns */
    uint64_t exits_mmio;     /* KVM_EXIT_MMIO: trapped accesses */
    uint64_t exits_intr;     /* EINTR / KVM_EXIT_INTR */
    uint64_t exits_system_event;
    uint64_t exits_other;
    uint64_t exits_nisv;     /* KVM_EXIT_ARM_NISV: undecodable accesses, refused */
    uint64_t refused_mmio;   /* trapped accesses that hit no device (RAZ/WI) */
    uint64_t irq_line_changes; /* KVM_IRQ_LINE calls made by emulated devices */
} KvmCounters;

/* Guest-physical placement of the vGIC's frames (bytes). */
typedef struct KvmGicLayout {
    int version;            /* 2 or 3 */
    uint64_t dist_base;
    uint64_t redist_base;   /* v3 */
    uint64_t redist_size;   /* v3: must hold 128 KiB per vCPU */
    uint64_t cpu_base;      /* v2: CPU interface */
    uint64_t its_base;      /* v3: 0 for no ITS */
    unsigned nr_irqs;       /* total INTIDs incl. the 32 SGIs/PPIs, a multiple of 32 */
} KvmGicLayout;

/* Called on a vCPU thread when the guest asks PSCI for SYSTEM_OFF / SYSTEM_RESET
 * (KVM_EXIT_SYSTEM_EVENT type KVM_SYSTEM_EVENT_SHUTDOWN / _RESET). */
typedef void (*KvmSystemEventFn)(void *opaque, uint32_t type);

/*
 * Opens path (normally "/dev/kvm"), checks the API version and the capabilities armpass
 * needs, creates the VM. Errors: no KVM there or not an aarch64 KVM ("armpass needs an
 * aarch64 host with KVM"; on a host that is not aarch64, host_ops_system at once, before
 * anything is opened), a missing capability (named), an ioctl failing (named, errno).
 * Another HostOps backend (the unit tests' fake, tests/unit/kvm-fake.h) stands for an
 * aarch64 KVM on any host.
 */
KvmState *kvm_init(const HostOps *ops, const char *path, GError **errp);
/*
 * kvm_init, but with fd >= 0 (-accel kvm,fd=N: an open /dev/kvm passed in by a launcher) that
 * descriptor instead of opening path: checked to be /dev/kvm (a character device whose number
 * is /sys/class/misc/kvm/dev's, then KVM_GET_API_VERSION); it is KvmState's to close. Errors
 * as kvm_init, and for fd: not open (EBADF), not /dev/kvm.
 */
KvmState *kvm_init_fd(const HostOps *ops, const char *path, int fd, GError **errp);
/* Stops the vCPUs if running, closes every fd, frees s. NULL is fine. */
void kvm_destroy(KvmState *s);

/* Whether KVM_CHECK_EXTENSION(cap) on the VM is positive. */
bool kvm_check_extension(KvmState *s, int cap);
/* Which vGIC versions KVM_CREATE_DEVICE(KVM_CREATE_DEVICE_TEST) accepts. */
bool kvm_gic_supported(KvmState *s, int version);

/* The listener that turns mapped ranges (RAM, RAM_DEVICE) into memslots
 * (KVM_SET_USER_MEMORY_REGION). Ranges must be page-aligned in address, size and host pointer;
 * errors name the range. */
MemoryListener *kvm_memory_listener(KvmState *s);

/* The optional vCPU features the guest has (kvm_create_vcpus resolved -cpu's switches against
 * what the host's KVM offers). */
typedef struct KvmVcpuFeatures {
    bool pmu;         /* KVM_ARM_VCPU_PMU_V3; its interrupt is set by kvm_vcpus_init_pmu */
    bool sve;         /* KVM_ARM_VCPU_SVE, its vector lengths set and finalized */
    bool pauth;       /* KVM_ARM_VCPU_PTRAUTH_ADDRESS and KVM_ARM_VCPU_PTRAUTH_GENERIC */
    uint32_t sve_vqs; /* with sve: bit vq - 1 for each vector length (128 * vq bits) it has */
} KvmVcpuFeatures;

/*
 * Creates n vCPUs: KVM_CREATE_VCPU for all of them, then for each KVM_ARM_VCPU_INIT (api.rst
 * 4.82) with the preferred target, KVM_ARM_VCPU_PSCI_0_2 (all but vCPU 0 powered off until
 * PSCI CPU_ON) and the features cpu asks for: each switch ONOFF_AUTO is on where KVM offers it
 * (KVM_CHECK_EXTENSION of KVM_CAP_ARM_PMU_V3, KVM_CAP_ARM_SVE, KVM_CAP_ARM_PTRAUTH_ADDRESS and
 * _GENERIC, both needed), ONOFF_ON must be offered. With SVE, each vCPU's vector lengths go
 * into KVM_REG_ARM64_SVE_VLS (kvm_sve_pick_vqs on what vCPU 0 reads there) before
 * KVM_ARM_VCPU_FINALIZE(KVM_ARM_VCPU_SVE) (api.rst 4.119, "arm64 SVE registers" in 4.68).
 * A PMU still needs kvm_vcpus_init_pmu once the vGIC exists.
 * Errors, before any vCPU is created: a switch =on (or an sveN=on) that KVM does not offer,
 * naming the capability and what to drop; a vector length choice KVM cannot give
 * (kvm_sve_pick_vqs). Then any ioctl's errno, with the vCPU and the ioctl named.
 */
bool kvm_create_vcpus(KvmState *s, unsigned n, const ArmpassCpuConfig *cpu, GError **errp);
/* What the vCPUs got; all false before kvm_create_vcpus. */
void kvm_vcpu_features(KvmState *s, KvmVcpuFeatures *out);
/*
 * With a PMU: for each vCPU, its overflow interrupt (KVM_SET_DEVICE_ATTR on the vCPU,
 * KVM_ARM_VCPU_PMU_V3_CTRL / KVM_ARM_VCPU_PMU_V3_IRQ = intid, a PPI: 16..31, the same on every
 * vCPU), then KVM_ARM_VCPU_PMU_V3_INIT (Documentation/virt/kvm/devices/vcpu.rst 1.1, 1.2).
 * Call after kvm_gic_create (INIT needs an initialised vGIC) and before the vCPUs run
 * (KVM_RUN fails with EINVAL on a PMU never initialised). Nothing to do without a PMU.
 * Errors: no vGIC yet (EINVAL), an intid that is not a PPI (EINVAL), the attribute's errno.
 */
bool kvm_vcpus_init_pmu(KvmState *s, unsigned intid, GError **errp);
unsigned kvm_nr_vcpus(KvmState *s);
/* MPIDR_EL1 of vCPU idx (the value the device tree's cpu reg carries, Aff3..Aff0). */
bool kvm_vcpu_get_mpidr(KvmState *s, unsigned idx, uint64_t *mpidr, GError **errp);
/* Sets the boot vCPU's PC (guest-physical) and X0..X3 per Documentation/arm64/booting.rst:
 * x0 = the device tree's guest-physical address, x1..x3 = 0. The same for any -kernel: an
 * Image (pc: its start), an ELF (its entry point), a raw binary (its load address). */
bool kvm_vcpu_set_boot_regs(KvmState *s, unsigned idx, uint64_t pc, uint64_t x0,
                            GError **errp);

/* Creates and initialises the in-kernel vGIC (and ITS) at layout. Call after
 * kvm_create_vcpus. Errors name the attribute group and errno. */
bool kvm_gic_create(KvmState *s, const KvmGicLayout *layout, GError **errp);
/* Whether kvm_gic_create made an in-kernel ITS. */
bool kvm_has_its(KvmState *s);

/* The calls below as a MachineIrqOps (hw/core/device.h) whose opaque is the KvmState: what
 * the board gives devices as ms->irq_ops (accel/kvm/kvm-machine-irq.c). */
typedef struct MachineIrqOps MachineIrqOps;
extern const MachineIrqOps kvm_machine_irq_ops;

/* Raises or lowers SPI spi (GIC INTID 32 + spi) with KVM_IRQ_LINE. */
bool kvm_set_spi(KvmState *s, unsigned spi, bool level, GError **errp);
/*
 * Wires eventfd fd to GSI gsi with KVM_IRQFD (api.rst 4.75); resamplefd >= 0 adds
 * KVM_IRQFD_FLAG_RESAMPLE (level interrupts: the resamplefd is signalled when the guest
 * completes the interrupt). SPI n is GSI n (KVM's default routing, which the MSI routing
 * table keeps); an MSI's GSI comes from kvm_msi_route_add. Errors: the ioctl's errno.
 */
bool kvm_irqfd_assign(KvmState *s, int fd, int resamplefd, unsigned gsi, GError **errp);
bool kvm_irqfd_deassign(KvmState *s, int fd, unsigned gsi, GError **errp);
/*
 * KVM_IOEVENTFD: a guest write of len bytes (1, 2, 4, 8; 0: any length) to guest-physical
 * addr signals eventfd fd in the kernel, with no exit to armpass (no datamatch: any value).
 * assign false takes it away again. Errors: the ioctl's errno. Source:
 * Documentation/virt/kvm/api.rst, 4.59 KVM_IOEVENTFD.
 */
bool kvm_ioeventfd(KvmState *s, int fd, uint64_t addr, unsigned len, bool assign,
                   GError **errp);

/*
 * MSIs through the in-kernel ITS (api.rst 4.52 KVM_SET_GSI_ROUTING, 4.71 KVM_SIGNAL_MSI;
 * devices/arm-vgic-its.rst). addr is the guest-physical doorbell the device writes (bytes),
 * data the EventID, devid the DeviceID (the PCI requester ID, bus << 8 | devfn, as msi-map
 * maps it). Without an ITS (a GICv2, or KVM made none) or without KVM_CAP_IRQ_ROUTING /
 * KVM_CAP_MSI_DEVID every call fails with ENOTSUP ("MSI needs a GICv3 with an ITS: use
 * -M virt,gic-version=3"). Any thread may call them (the table has a lock).
 */
/* Whether the MSI calls below can work. */
bool kvm_has_msi(KvmState *s);
/* Adds an MSI route at a free GSI above the SPIs (released ones are reused first) and
 * commits the table (which then also holds every SPI route). *gsi is for kvm_irqfd_assign.
 * Errors: ENOSPC when KVM's KVM_CAP_IRQ_ROUTING limit is reached; KVM_SET_GSI_ROUTING's
 * errno (nothing changes). */
bool kvm_msi_route_add(KvmState *s, uint64_t addr, uint32_t data, uint32_t devid,
                       unsigned *gsi, GError **errp);
/* Changes the message of gsi's route (the guest rewrote an MSI-X entry) and commits.
 * Errors: gsi is not an MSI route (EINVAL); KVM_SET_GSI_ROUTING's errno (nothing changes). */
bool kvm_msi_route_update(KvmState *s, unsigned gsi, uint64_t addr, uint32_t data,
                          uint32_t devid, GError **errp);
/* Frees gsi's route for reuse and commits (deassign its irqfd first). A failing commit is
 * warned about. */
void kvm_msi_route_release(KvmState *s, unsigned gsi);
/* Delivers one MSI from userspace with KVM_SIGNAL_MSI and KVM_MSI_VALID_DEVID. A message
 * the guest blocked (the ITS has no mapping for it) is not an error. Errors: the ioctl's
 * errno, ENOTSUP as above or without KVM_CAP_SIGNAL_MSI. */
bool kvm_signal_msi(KvmState *s, uint64_t addr, uint32_t data, uint32_t devid, GError **errp);

/* Starts one thread per vCPU running KVM_RUN; trapped accesses go to as. on_event is called
 * on the vCPU thread for PSCI SYSTEM_OFF/RESET, and for a fatal vCPU error with type 0. */
bool kvm_start_vcpus(KvmState *s, AddressSpace *as, KvmSystemEventFn on_event, void *opaque,
                     GError **errp);
/*
 * QMP stop/cont: kvm_pause_vcpus kicks every vCPU out of KVM_RUN (the kick signal with
 * kvm_run.immediate_exit, api.rst 4.10) and returns once each is held outside it (or its
 * thread has ended); kvm_resume_vcpus lets them run on. The guest's virtual counter stops
 * with them: read at pause (KVM_GET_ONE_REG KVM_REG_ARM_TIMER_CNT on vCPU 0), written back
 * at resume (api.rst 4.68, "arm64 timer registers"), so the guest's clock does not jump and
 * its timers keep their distance. A failing register access is a warning on stderr: the
 * clock then runs on. Main thread; kvm_stop_vcpus also releases paused vCPUs.
 */
void kvm_pause_vcpus(KvmState *s);
void kvm_resume_vcpus(KvmState *s);
/* Before kvm_start_vcpus: the vCPU threads park before their first KVM_RUN, as if paused,
 * until kvm_resume_vcpus (-S, and a guest reset while stopped). The counter is left alone:
 * it counts from the VM's creation, as under QEMU's -S (a Linux guest's clocks start from its
 * own boot anyway). Main thread. */
void kvm_hold_vcpus(KvmState *s);
/* vCPU idx's Linux thread id (gettid), 0 if its thread has not run yet. */
int kvm_vcpu_thread_id(KvmState *s, unsigned idx);
/* Kicks every vCPU out of KVM_RUN and joins its thread. Safe to call twice. */
void kvm_stop_vcpus(KvmState *s);

/* Sums the per-vCPU counters. Exact once the vCPUs have stopped. */
void kvm_get_counters(KvmState *s, KvmCounters *out);

/* What the VM holds in the kernel right now: counts that go up and down with devices and
 * guest actions (hot-plug, MSI-X enables, BAR moves) and must come back to the same values
 * when the same state comes back; the soak cases compare them (docs/hardening.md). */
typedef struct KvmResources {
    unsigned memslots;   /* KVM_SET_USER_MEMORY_REGION slots in use (of nr_memslots) */
    unsigned nr_memslots; /* KVM_CAP_NR_MEMSLOTS: how many there are */
    unsigned gsi_routes; /* entries of the GSI routing table: one per SPI, plus msi_routes */
    unsigned msi_routes; /* KVM_IRQ_ROUTING_MSI entries in use */
    unsigned irqfds;     /* KVM_IRQFD assigns that succeeded, less deassigns that succeeded */
    unsigned ioeventfds; /* KVM_IOEVENTFD likewise */
} KvmResources;
/* Fills *out from armpass's own book-keeping of the ioctls above (KVM offers no query for
 * them); no ioctl, no error. Main thread, or any thread holding the address space's dispatch
 * lock (memslots change under it). */
void kvm_get_resources(KvmState *s, KvmResources *out);

#endif
