/* SPDX-License-Identifier: GPL-2.0-only */
/* State shared by the KVM files (VM, vCPUs, vGIC); not for use outside accel/kvm/. */
#ifndef ARMPASS_ACCEL_KVM_INTERNAL_H
#define ARMPASS_ACCEL_KVM_INTERNAL_H

#include "accel/kvm.h"
#include "system/ratelimit.h"

#include <linux/kvm.h>
#include <pthread.h>

#define KVM_ERROR armpass_kvm_error_quark()
GQuark armpass_kvm_error_quark(void);

typedef struct KvmVcpu {
    KvmState *s;
    unsigned index;
    int fd;
    struct kvm_run *run; /* mmap of the vCPU fd, mmap_size bytes */
    pthread_t thread;
    bool thread_started;
    bool parked;          /* under pause_lock: held by kvm_pause_vcpus, or its thread ended */
    int tid;              /* the thread's Linux thread id (query-cpus-fast), 0 before it runs */
    KvmCounters counters; /* written by this vCPU's thread only */
} KvmVcpu;

/* An MSI route of the GSI routing table (KVM_IRQ_ROUTING_MSI): entry i of
 * KvmState.msi_routes is GSI nr_spis + i. */
typedef struct KvmMsiRoute {
    bool used;     /* false: a released GSI, free for the next kvm_msi_route_add */
    uint64_t addr; /* guest-physical doorbell (GITS_TRANSLATER) */
    uint32_t data; /* EventID */
    uint32_t devid; /* DeviceID: the PCI requester ID */
} KvmMsiRoute;

typedef struct KvmSlot {
    bool used;
    uint64_t gpa;  /* guest-physical */
    uint64_t size; /* bytes */
    void *host;    /* host-virtual */
} KvmSlot;

struct KvmState {
    const HostOps *ops;
    int kvm_fd;
    int vm_fd;
    int gic_fd;
    int its_fd;
    size_t run_mmap_size;
    KvmVcpu *vcpus;
    unsigned nr_vcpus;
    KvmSlot *slots;
    unsigned nr_slots;
    MemoryListener listener;
    AddressSpace *as;
    KvmSystemEventFn on_event;
    void *event_opaque;
    volatile int stopping;
    int pause_requested;       /* atomic: vCPUs park at the top of their loop */
    GMutex pause_lock;         /* parked, pause_requested changes; pause_cond */
    GCond pause_cond;          /* a vCPU parked or ended; or a resume/stop for parked ones */
    uint64_t paused_cnt;       /* main thread: the guest's virtual counter when it was paused */
    bool paused_cnt_valid;     /* paused_cnt was read: kvm_resume_vcpus writes it back */
    bool nisv_to_user;         /* KVM_CAP_ARM_NISV_TO_USER enabled: refuse, don't die */
    uint64_t irq_line_changes; /* atomic: any thread raises lines */
    unsigned nr_spis;          /* the vGIC's SPIs: GSIs 0..nr_spis-1 are SPI routes */
    GMutex route_lock;         /* msi_routes and KVM_SET_GSI_ROUTING (vCPU and main threads) */
    GArray *msi_routes;        /* KvmMsiRoute, GSIs from nr_spis up */
    unsigned max_routes;       /* KVM_CAP_IRQ_ROUTING's value (KVM_MAX_IRQ_ROUTES) */
    bool has_signal_msi;       /* KVM_CAP_SIGNAL_MSI; valid once msi_ready */
    int msi_ready;             /* atomic: 1 once the ITS and capabilities were found */
    KvmVcpuFeatures features;  /* what kvm_create_vcpus gave the vCPUs */
    bool pmu_ready;            /* kvm_vcpus_init_pmu has set up every vCPU's PMU */
    /* What a guest can make armpass refuse at will (kvm-vcpu.c): a few lines per second at
     * most, for all vCPUs together. */
    RateLimit refused_mmio_rl;
    RateLimit refused_nisv_rl;
    int irqfds;                /* atomic: KVM_IRQFD assigned and not yet deassigned */
    int ioeventfds;            /* atomic: KVM_IOEVENTFD assigned and not yet deassigned */
};

/* How many MSI routes are in use now (route_lock taken inside). kvm-irqchip.c. */
unsigned kvm_msi_routes_in_use(KvmState *s);

/* Sets up and frees the routing-table state (kvm-irqchip.c); kvm_init / kvm_destroy. */
void kvm_irqchip_init(KvmState *s);
void kvm_irqchip_destroy(KvmState *s);

/*
 * The whole GSI routing table KVM_SET_GSI_ROUTING takes (api.rst 4.52): GSI n -> irqchip 0
 * pin n (SPI n) for n < nr_spis, as KVM's default table (vgic-irqfd.c), then one
 * KVM_IRQ_ROUTING_MSI entry with KVM_MSI_VALID_DEVID per used route (route i is GSI
 * nr_spis + i). Pure; g_free the result.
 */
struct kvm_irq_routing *kvm_irq_routing_build(unsigned nr_spis, const KvmMsiRoute *routes,
                                              unsigned nr_routes);

/*
 * Which SVE vector lengths the vCPUs get (bit vq - 1 for 128 * vq bits, vq 1..16), from those
 * KVM offers (offered, vCPU 0's KVM_REG_ARM64_SVE_VLS after KVM_ARM_VCPU_INIT) and -cpu's
 * sveN=on (on) and sveN=off (off). KVM can only cap the length (api.rst 4.68: below the
 * longest, the set must be exactly the host's), so: with some sveN=on, every offered length up
 * to the longest N given; with only sveN=off, every offered length shorter than the shortest
 * offered one turned off; with neither, all offered. Pure. Errors (one line, saying what to
 * give instead): an sveN=on KVM does not offer; an sveN=off below the longest sveN=on that KVM
 * offers; nothing left.
 */
bool kvm_sve_pick_vqs(uint32_t offered, uint32_t on, uint32_t off, uint32_t *out,
                      GError **errp);

/* ioctl that retries on EINTR; returns the ioctl's result, errno set on failure. */
int kvm_ioctl_retry(const HostOps *ops, int fd, unsigned long req, void *arg);

#endif
