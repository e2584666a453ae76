/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Happens-before annotations for ThreadSanitizer (meson -Db_sanitize=thread), where armpass
 * synchronises through code TSan does not see: liburcu (plain barriers and futexes in an
 * uninstrumented library, see system/rcu.h) and GLib's GMutex (a futex of its own on Linux,
 * not a pthread mutex). Without TSan every annotation compiles to nothing.
 *
 * armpass_tsan_release(addr) in one thread, then armpass_tsan_acquire(addr) in another: what
 * the first did before is ordered before what the second does after (sanitizer/
 * tsan_interface.h, __tsan_release and __tsan_acquire).
 */
#ifndef ARMPASS_SYSTEM_TSAN_H
#define ARMPASS_SYSTEM_TSAN_H

#include <glib.h>

#if defined(__SANITIZE_THREAD__)
#define ARMPASS_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define ARMPASS_TSAN 1
#endif
#endif

#ifdef ARMPASS_TSAN
#include <sanitizer/tsan_interface.h>

static inline void armpass_tsan_acquire(const void *addr)
{
    __tsan_acquire((void *)addr);
}

static inline void armpass_tsan_release(const void *addr)
{
    __tsan_release((void *)addr);
}
#else
static inline void armpass_tsan_acquire(const void *addr)
{
    (void)addr;
}

static inline void armpass_tsan_release(const void *addr)
{
    (void)addr;
}
#endif

/* g_mutex_lock / g_mutex_unlock that TSan sees as a lock. */
static inline void armpass_mutex_lock(GMutex *m)
{
    g_mutex_lock(m);
    armpass_tsan_acquire(m);
}

static inline void armpass_mutex_unlock(GMutex *m)
{
    armpass_tsan_release(m);
    g_mutex_unlock(m);
}

#endif
