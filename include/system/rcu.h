/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * armpass's read-copy-update: thin wrappers over liburcu's "mb" flavour, so that the rest of
 * the code never names the flavour (urcu_mb_*) and a change of flavour is made here alone.
 *
 * Why urcu-mb (liburcu, <urcu/urcu-mb.h>, pkg-config liburcu-mb): readers are vCPU threads
 * on the MMIO-exit path, already a few microseconds per access, where the two full barriers
 * of an mb read-side section cost nothing measurable. Its grace periods need no system call
 * but futex (allowed by system/sandbox.c's seccomp filter), whereas urcu-memb's writer calls
 * membarrier(2), which the filter blocks and which interrupts every CPU running a vCPU
 * thread; urcu-qsbr needs every reader to report quiescent states (a vCPU blocked in KVM_RUN
 * would hold up grace periods), and urcu-signal takes SIGUSR1, armpass's vCPU kick signal.
 *
 * Rules (liburcu's): every thread that enters a read-side section registers first and
 * unregisters before it exits. A read-side section may nest and may call armpass_call_rcu,
 * but never armpass_rcu_synchronize or armpass_rcu_barrier (those wait for it: deadlock).
 * Callbacks of armpass_call_rcu run on liburcu's own call_rcu thread, after a grace period:
 * they may only free memory that no one else can reach any more.
 *
 * ThreadSanitizer sees none of liburcu's ordering (barriers and futexes inside an
 * uninstrumented library): under TSan these wrappers tell it (system/tsan.h) that the end of
 * every read-side section happens before the end of any later grace period (the return of
 * armpass_rcu_synchronize, the start of a callback), that armpass_call_rcu happens before its
 * callback, and that armpass_rcu_assign_pointer happens before armpass_rcu_dereference.
 */
#ifndef ARMPASS_SYSTEM_RCU_H
#define ARMPASS_SYSTEM_RCU_H

#include "system/tsan.h"

#include <glib.h>
#include <stdbool.h>
#include <urcu/urcu-mb.h>

/* A struct that is freed after a grace period embeds one (see armpass_call_rcu). */
typedef struct ArmpassRcuHead {
    struct rcu_head head;
    void (*fn)(struct ArmpassRcuHead *head);
} ArmpassRcuHead;

/* TSan's key for "a grace period": one address for the whole program (liburcu's own). */
#define ARMPASS_RCU_TSAN_GP ((const void *)urcu_mb_synchronize_rcu)

/* Publishes v in the RCU-protected pointer p (liburcu's rcu_assign_pointer: v's contents are
 * visible to a reader that loads v). */
#define armpass_rcu_assign_pointer(p, v)                                                 \
    do {                                                                                  \
        armpass_tsan_release(&(p));                                                       \
        rcu_assign_pointer(p, v);                                                         \
    } while (0)

/* Loads the RCU-protected pointer p, inside a read-side section (rcu_dereference). */
#define armpass_rcu_dereference(p)                                                       \
    __extension__({                                                                       \
        __typeof__(p) armpass_rcu_p_ = rcu_dereference(p);                                \
        armpass_tsan_acquire(&(p));                                                       \
        armpass_rcu_p_;                                                                   \
    })

/* Makes the calling thread an RCU reader (liburcu: rcu_register_thread). Once per thread,
 * before its first read-side section. */
static inline void armpass_rcu_register_thread(void)
{
    urcu_mb_register_thread();
}

/* Undoes armpass_rcu_register_thread: before the thread exits, outside any read section. */
static inline void armpass_rcu_unregister_thread(void)
{
    urcu_mb_unregister_thread();
}

/* Enters a read-side section (nests): what rcu_dereference returns stays valid until the
 * matching armpass_rcu_read_unlock. */
static inline void armpass_rcu_read_lock(void)
{
    urcu_mb_read_lock();
}

static inline void armpass_rcu_read_unlock(void)
{
    armpass_tsan_release(ARMPASS_RCU_TSAN_GP);
    urcu_mb_read_unlock();
}

/* True inside a read-side section of the calling thread. */
static inline bool armpass_rcu_read_ongoing(void)
{
    return urcu_mb_read_ongoing() != 0;
}

/* liburcu's callback for armpass_call_rcu, on its call_rcu thread. */
static inline void armpass_rcu_run(struct rcu_head *h)
{
    ArmpassRcuHead *head = caa_container_of(h, ArmpassRcuHead, head);

    armpass_tsan_acquire(head);
    armpass_tsan_acquire(ARMPASS_RCU_TSAN_GP);
    head->fn(head);
}

/* Runs fn(head) on liburcu's call_rcu thread once every read-side section that has begun
 * has ended. Never blocks: callable inside a read-side section. The calling thread must be
 * registered. */
static inline void armpass_call_rcu(ArmpassRcuHead *head, void (*fn)(ArmpassRcuHead *head))
{
    head->fn = fn;
    armpass_tsan_release(head);
    urcu_mb_call_rcu(&head->head, armpass_rcu_run);
}

/* Waits for a grace period: every read-side section begun before the call has ended.
 * Never inside a read-side section. */
static inline void armpass_rcu_synchronize(void)
{
    g_return_if_fail(!armpass_rcu_read_ongoing());
    urcu_mb_synchronize_rcu();
    armpass_tsan_acquire(ARMPASS_RCU_TSAN_GP);
}

/* Waits until every callback queued by armpass_call_rcu so far has run (so that nothing
 * queued is leaked at exit). Never inside a read-side section nor from a callback. */
static inline void armpass_rcu_barrier(void)
{
    g_return_if_fail(!armpass_rcu_read_ongoing());
    urcu_mb_barrier();
    armpass_tsan_acquire(ARMPASS_RCU_TSAN_GP);
}

#endif
