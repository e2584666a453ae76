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
 * aarch64 host with KVM"), a missing capability (named), an ioctl failing (named, errno).
 */
KvmState *kvm_init(const HostOps *ops, const char *path, GError **errp);
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

/*
 * Creates n vCPUs (KVM_CREATE_VCPU, KVM_ARM_VCPU_INIT with the preferred target and
 * KVM_ARM_VCPU_PSCI_0_2; all but vCPU 0 start powered off until PSCI CPU_ON).
 */
bool kvm_create_vcpus(KvmState *s, unsigned n, GError **errp);
unsigned kvm_nr_vcpus(KvmState *s);
/* MPIDR_EL1 of vCPU idx (the value the device tree's cpu reg carries, Aff3..Aff0). */
bool kvm_vcpu_get_mpidr(KvmState *s, unsigned idx, uint64_t *mpidr, GError **errp);
/* Sets the boot vCPU's PC (guest-physical) and X0..X3 per Documentation/arm64/booting.rst. */
bool kvm_vcpu_set_boot_regs(KvmState *s, unsigned idx, uint64_t pc, uint64_t x0,
                            GError **errp);

/* Creates and initialises the in-kernel vGIC (and ITS) at layout. Call after
 * kvm_create_vcpus. Errors name the attribute group and errno. */
bool kvm_gic_create(KvmState *s, const KvmGicLayout *layout, GError **errp);
/* Whether kvm_gic_create made an in-kernel ITS. */
bool kvm_has_its(KvmState *s);

/* Raises or lowers SPI spi (GIC INTID 32 + spi) with KVM_IRQ_LINE. */
bool kvm_set_spi(KvmState *s, unsigned spi, bool level, GError **errp);
/* Wires eventfd fd to SPI spi with KVM_IRQFD; resamplefd >= 0 adds KVM_IRQFD_FLAG_RESAMPLE
 * (level interrupts: the resamplefd is signalled when the guest completes the interrupt). */
bool kvm_irqfd_assign(KvmState *s, int fd, int resamplefd, unsigned spi, GError **errp);
bool kvm_irqfd_deassign(KvmState *s, int fd, unsigned spi, GError **errp);

/* Starts one thread per vCPU running KVM_RUN; trapped accesses go to as. on_event is called
 * on the vCPU thread for PSCI SYSTEM_OFF/RESET, and for a fatal vCPU error with type 0. */
bool kvm_start_vcpus(KvmState *s, AddressSpace *as, KvmSystemEventFn on_event, void *opaque,
                     GError **errp);
/* Kicks every vCPU out of KVM_RUN and joins its thread. Safe to call twice. */
void kvm_stop_vcpus(KvmState *s);

/* Sums the per-vCPU counters. Exact once the vCPUs have stopped. */
void kvm_get_counters(KvmState *s, KvmCounters *out);

#endif
