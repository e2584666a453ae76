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
 */
#ifndef ARMPASS_SYSTEM_RCU_H
#define ARMPASS_SYSTEM_RCU_H

#include <glib.h>
#include <stdbool.h>
#include <urcu/urcu-mb.h>

/* A struct that is freed after a grace period embeds one (see armpass_call_rcu). */
typedef struct rcu_head ArmpassRcuHead;

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
    urcu_mb_read_unlock();
}

/* True inside a read-side section of the calling thread. */
static inline bool armpass_rcu_read_ongoing(void)
{
    return urcu_mb_read_ongoing() != 0;
}

/* Runs fn(head) on liburcu's call_rcu thread once every read-side section that has begun
 * has ended. Never blocks: callable inside a read-side section. The calling thread must be
 * registered. */
static inline void armpass_call_rcu(ArmpassRcuHead *head, void (*fn)(ArmpassRcuHead *head))
{
    urcu_mb_call_rcu(head, fn);
}

/* Waits for a grace period: every read-side section begun before the call has ended.
 * Never inside a read-side section. */
static inline void armpass_rcu_synchronize(void)
{
    g_return_if_fail(!armpass_rcu_read_ongoing());
    urcu_mb_synchronize_rcu();
}

/* Waits until every callback queued by armpass_call_rcu so far has run (so that nothing
 * queued is leaked at exit). Never inside a read-side section nor from a callback. */
static inline void armpass_rcu_barrier(void)
{
    g_return_if_fail(!armpass_rcu_read_ongoing());
    urcu_mb_barrier();
}

#endif
