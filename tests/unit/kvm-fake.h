/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A fake arm64 KVM behind HostOps, for unit tests: /dev/kvm, one VM, its vCPUs, the vGIC (v2
 * or v3) and ITS devices, memslots, interrupt lines, irqfds, ioeventfds, GSI routing and
 * KVM_RUN, with the rules Documentation/virt/kvm/api.rst, devices/vcpu.rst, devices/arm-vgic*.rst
 * state (and Linux 6.1's arch/arm64/kvm where they are silent), answering a call made out of
 * order with the errno KVM gives. KVM_RUN plays a per-vCPU script of exits (MMIO, NISV, system
 * events, errors), then "runs the guest" in 1 ms slices that the kick signal or
 * kvm_run.immediate_exit end early, as KVM does (api.rst 4.10). Errors are injected on demand.
 * No /dev access: the tests run on any host, aarch64 or not.
 */
#ifndef ARMPASS_TESTS_KVM_FAKE_H
#define ARMPASS_TESTS_KVM_FAKE_H

#include "system/hostops.h"

#include <glib.h>
#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

#define FAKE_KVM_MAX_VCPUS 8
#define FAKE_KVM_TARGET 5          /* KVM_ARM_TARGET_GENERIC_V8, KVM_ARM_PREFERRED_TARGET's */
#define FAKE_KVM_RUN_SIZE 0x3000   /* KVM_GET_VCPU_MMAP_SIZE's answer (bytes) */
#define FAKE_KVM_IPA_BITS 40       /* the default guest-physical address space (api.rst 4.2) */
#define FAKE_KVM_MAJOR 10          /* /dev/kvm is misc 10:232 (KVM_MINOR) */
#define FAKE_KVM_MINOR 232
#define FAKE_KVM_MEMSLOTS 32767    /* arm64's KVM_CAP_NR_MEMSLOTS on 6.1 (SHRT_MAX) */
#define FAKE_KVM_MAX_ROUTES 4096   /* KVM_MAX_IRQ_ROUTES: KVM_CAP_IRQ_ROUTING's answer */
/* What MPIDR_EL1 reads on vCPU i: bit 31 (RES1) and Aff0 = i. */
#define FAKE_KVM_MPIDR(i) ((UINT64_C(1) << 31) | (uint64_t)(i))

/* One exit KVM_RUN gives, from a vCPU's script, and what armpass did about it. */
typedef struct FakeKvmExit {
    uint32_t reason;   /* KVM_EXIT_*: MMIO, ARM_NISV, SYSTEM_EVENT, or any other */
    int err;           /* != 0: KVM_RUN fails with this errno instead */
    bool slice;        /* a 1 ms slice of guest time ending in KVM_EXIT_INTR (or EINTR) */
    uint64_t addr;     /* MMIO: guest-physical address; ARM_NISV: fault_ipa */
    uint32_t len;      /* MMIO: 1, 2, 4 or 8 bytes */
    bool is_write;
    uint8_t data[8];   /* MMIO write: the guest's bytes; read: what armpass gave (once done) */
    uint32_t type;     /* SYSTEM_EVENT: KVM_SYSTEM_EVENT_* */
    bool done;         /* the vCPU entered KVM_RUN again after it (a read's data is in) */
} FakeKvmExit;

typedef struct FakeKvmVcpu {
    bool created, inited, finalized, pmu_irq_set, pmu_inited;
    int fd;
    uint32_t features;     /* KVM_ARM_VCPU_INIT's features[0] */
    uint32_t vqs;          /* its KVM_REG_ARM64_SVE_VLS (word 0: bit vq - 1) */
    int pmu_irq;
    struct kvm_run *run;   /* its mmap, while mapped */
    GHashTable *regs;      /* ONE_REG id -> value (gint64 *) set by armpass */
    GQueue *script;        /* FakeKvmExit *: what KVM_RUN gives next */
    GArray *exits;         /* FakeKvmExit: every scripted exit given, in order */
    int runs;              /* KVM_RUN calls that entered the guest (atomic) */
    int in_run;            /* inside KVM_RUN now (atomic) */
    unsigned ext_dabts;    /* KVM_SET_VCPU_EVENTS with ext_dabt_pending */
} FakeKvmVcpu;

typedef struct FakeKvmSlot {
    bool used;
    uint32_t flags;
    uint64_t gpa, size, uaddr; /* guest-physical, bytes, host-virtual */
} FakeKvmSlot;

typedef struct FakeKvmIrqfd {
    int fd;
    uint32_t gsi;
    int resamplefd;        /* -1: none */
} FakeKvmIrqfd;

typedef struct FakeKvmIoeventfd {
    int fd;
    uint64_t addr;
    uint32_t len;
} FakeKvmIoeventfd;

/* One KVM_IRQ_LINE that KVM accepted. */
typedef struct FakeKvmLine {
    uint32_t type;         /* KVM_ARM_IRQ_TYPE_* */
    uint32_t intid;        /* the INTID (SPI n is 32 + n) */
    uint32_t level;
} FakeKvmLine;

typedef struct FakeKvmGic {
    uint32_t type;         /* KVM_DEV_TYPE_ARM_VGIC_V2/_V3; 0: none created */
    int fd;
    bool has_dist, has_second;
    uint64_t dist, second; /* guest-physical: distributor; redistributors (v3) or CPU i/f (v2) */
    uint32_t nr_irqs;      /* GRP_NR_IRQS; 0: not set */
    bool inited;           /* GRP_CTRL / CTRL_INIT done */
} FakeKvmGic;

typedef struct FakeKvmIts {
    int fd;                /* -1: none */
    bool has_addr, inited;
    uint64_t addr;
} FakeKvmIts;

typedef struct FakeKvm {
    HostOps ops;           /* opaque is this fake */
    char *path;            /* "/dev/kvm" */
    GMutex lock;           /* vCPU threads call in concurrently */

    /* The kernel's answers; a test may change them (fake_kvm_set_cap for the capabilities). */
    int api_version;       /* KVM_GET_API_VERSION (KVM_API_VERSION, 12) */
    GHashTable *caps;      /* KVM_CAP_* -> value; absent: 0 (KVM_CAP_MSI_DEVID: once an ITS
                            * is initialised, as vgic-its.c gives it) */
    int run_mmap_size;     /* FAKE_KVM_RUN_SIZE */
    uint32_t host_vqs;     /* SVE vector lengths the host offers (bit vq - 1) */
    bool has_gic_v2, has_gic_v3, has_its; /* device types KVM_CREATE_DEVICE knows */
    unsigned max_vcpus;    /* KVM_CREATE_VCPU's limit on ids */

    /* What is there now. */
    int kvm_fd, vm_fd;     /* -1: not open */
    bool nisv_to_user;     /* KVM_ENABLE_CAP(KVM_CAP_ARM_NISV_TO_USER) done */
    FakeKvmSlot *slots;    /* nr_slots of them (KVM_CAP_NR_MEMSLOTS when the VM was made) */
    unsigned nr_slots;
    FakeKvmVcpu vcpus[FAKE_KVM_MAX_VCPUS];
    unsigned nr_vcpus;     /* created */
    bool create_after_init; /* a KVM_CREATE_VCPU came after some KVM_ARM_VCPU_INIT */
    FakeKvmGic gic;
    FakeKvmIts its;
    GArray *irqfds;        /* FakeKvmIrqfd, assigned now */
    GArray *ioeventfds;    /* FakeKvmIoeventfd, assigned now */
    GArray *lines;         /* FakeKvmLine: every KVM_IRQ_LINE accepted */
    struct kvm_irq_routing *routing; /* the last table KVM_SET_GSI_ROUTING accepted */
    unsigned routing_commits;
    GArray *msis;          /* struct kvm_msi: every KVM_SIGNAL_MSI accepted */
    gint64 cntvoff;        /* the guest's virtual counter is g_get_monotonic_time() - cntvoff
                            * (microseconds), one offset for the whole VM as arch_timer.c has */
    unsigned timer_gets, timer_sets; /* ONE_REG of KVM_REG_ARM_TIMER_CNT */

    /* Bookkeeping. */
    GHashTable *fds;       /* fake fd -> FakeKvmFd * */
    int next_fd;
    GHashTable *calls;     /* ioctl request -> calls (GUINT_TO_POINTER) */
    GHashTable *maps;      /* host address -> length of the mmaps handed out */
    GPtrArray *log;        /* char *: "KVM_CREATE_VM", "vcpu 1 KVM_ARM_VCPU_INIT", "vgic
                            * KVM_SET_DEVICE_ATTR 0/0" (group/attr), "close vm" */
    GArray *faults;        /* errors to inject */
    int open_errno;        /* != 0: opening path fails with it */
} FakeKvm;

/* A KVM as a 6.1 arm64 host with a GICv3 and an ITS gives it: every capability armpass asks
 * for, PMU, SVE (128, 256 and 512 bits), both pointer-authentication keys, NISV to user,
 * resamplefds, FAKE_KVM_MEMSLOTS memslots, 8 vCPUs. */
FakeKvm *fake_kvm_new(const char *path);
/* Checks nothing: a test asserts fake_kvm_open_fds() and fake_kvm_live_mmaps() itself. */
void fake_kvm_free(FakeKvm *f);

/* KVM_CHECK_EXTENSION(cap)'s answer from now on (0: not offered). */
void fake_kvm_set_cap(FakeKvm *f, int cap, int value);

/*
 * The nth matching ioctl request (1: the next) from now fails with err; nth 0: every one.
 * vcpu >= 0: only on that vCPU's fd (KVM_CREATE_VCPU: only for that id); -1: any fd.
 * attr >= 0: only KVM_SET_DEVICE_ATTR of that attribute; -1: any.
 */
void fake_kvm_fail_ioctl(FakeKvm *f, unsigned long request, int vcpu, int64_t attr,
                         unsigned nth, int err);
void fake_kvm_clear_faults(FakeKvm *f);

/* What a descriptor passed in by a launcher (-accel kvm,fd=N) is. */
typedef enum FakeKvmPass {
    FAKE_KVM_PASS_KVM,     /* an open /dev/kvm (char 10:232) */
    FAKE_KVM_PASS_NULL,    /* /dev/null (char 1:3): its ioctls fail with ENOTTY */
    FAKE_KVM_PASS_FILE,    /* a regular file */
} FakeKvmPass;
/* A fake fd of that kind, made without HostOps.open; close it with HostOps.close. */
int fake_kvm_pass_fd(FakeKvm *f, FakeKvmPass kind);

/* ---- KVM_RUN's script (any time, also while the vCPU threads run) --------------------- */

/* A trapped access of len bytes at guest-physical addr; a write carries value (little-endian). */
void fake_kvm_queue_mmio(FakeKvm *f, unsigned vcpu, uint64_t addr, unsigned len,
                         bool is_write, uint64_t value);
/* KVM_EXIT_ARM_NISV at fault_ipa (api.rst 5: an access with no valid syndrome). */
void fake_kvm_queue_nisv(FakeKvm *f, unsigned vcpu, uint64_t ipa);
/* KVM_EXIT_SYSTEM_EVENT of type (KVM_SYSTEM_EVENT_SHUTDOWN, _RESET). */
void fake_kvm_queue_event(FakeKvm *f, unsigned vcpu, uint32_t type);
/* Any other exit reason (KVM_EXIT_FAIL_ENTRY, KVM_EXIT_INTERNAL_ERROR, an unknown one). */
void fake_kvm_queue_exit(FakeKvm *f, unsigned vcpu, uint32_t reason);
/* KVM_RUN failing with err (ENOSYS: an undecodable access without NISV to user). */
void fake_kvm_queue_error(FakeKvm *f, unsigned vcpu, int err);
/* n 1 ms slices of guest time before the next scripted exit. With the script played out, each
 * KVM_RUN is such a slice. A script ending in SYSTEM_EVENT ends the vCPU's thread. */
void fake_kvm_queue_slices(FakeKvm *f, unsigned vcpu, unsigned n);
/* The nth (0: first) scripted exit vcpu was given, copied out. */
FakeKvmExit fake_kvm_exit(FakeKvm *f, unsigned vcpu, unsigned nth);

/* ---- What happened -------------------------------------------------------------------- */

/* Fake fds open now (kvm, VM, vCPUs, devices, passed ones). */
unsigned fake_kvm_open_fds(const FakeKvm *f);
unsigned fake_kvm_live_mmaps(const FakeKvm *f);
unsigned fake_kvm_calls(const FakeKvm *f, unsigned long request);
/* The ioctl's name: "KVM_IRQFD". */
const char *fake_kvm_ioctl_name(unsigned long request);
/* Index of the first log line starting with prefix at or after from, or -1. */
int fake_kvm_log_find(const FakeKvm *f, const char *prefix, int from);
/* The value armpass last set in ONE_REG id of vcpu (false: never set). */
bool fake_kvm_reg(FakeKvm *f, unsigned vcpu, uint64_t id, uint64_t *val);
/* The memslot covering guest-physical gpa, or NULL. */
const FakeKvmSlot *fake_kvm_slot_at(FakeKvm *f, uint64_t gpa);
unsigned fake_kvm_used_slots(FakeKvm *f);
/* The irqfd assigned to gsi, or NULL. */
const FakeKvmIrqfd *fake_kvm_irqfd(FakeKvm *f, uint32_t gsi);

#endif
