/* SPDX-License-Identifier: GPL-2.0-only */
/* State shared by the KVM files (VM, vCPUs, vGIC); not for use outside accel/kvm/. */
#ifndef ARMPASS_ACCEL_KVM_INTERNAL_H
#define ARMPASS_ACCEL_KVM_INTERNAL_H

#include "accel/kvm.h"

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
    KvmCounters counters; /* written by this vCPU's thread only */
} KvmVcpu;

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
    bool nisv_to_user;         /* KVM_CAP_ARM_NISV_TO_USER enabled: refuse, don't die */
    uint64_t irq_line_changes; /* atomic: any thread raises lines */
};

/* ioctl that retries on EINTR; returns the ioctl's result, errno set on failure. */
int kvm_ioctl_retry(const HostOps *ops, int fd, unsigned long req, void *arg);

#endif
