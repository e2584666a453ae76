/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * -sandbox on: least privilege once the VM is set up. Every file armpass needs (/dev/kvm,
 * the /dev/vfio group files, sysfs, the kernel and initrd) is opened during set-up; after it armpass needs
 * no capability and only the system calls of the run loop and the teardown.
 * Sources: capabilities(7), PR_SET_NO_NEW_PRIVS in prctl(2),
 * Documentation/userspace-api/seccomp_filter.rst; libcap-ng and libseccomp do the work.
 */
#ifndef ARMPASS_SYSTEM_SANDBOX_H
#define ARMPASS_SYSTEM_SANDBOX_H

#include <glib.h>
#include <stdbool.h>

#define SANDBOX_ERROR sandbox_error_quark()
GQuark sandbox_error_quark(void);

/*
 * Drops every capability of the calling thread (effective, permitted, inheritable, ambient;
 * the bounding set too when the thread holds CAP_SETPCAP) and sets PR_SET_NO_NEW_PRIVS.
 * Capabilities are per thread: call it before any other thread exists; threads created
 * later inherit the empty sets. Errors: libcap-ng or prctl failing (errno named).
 */
bool sandbox_drop_capabilities(GError **errp);

/*
 * Installs the seccomp filter of the run loop on every thread of the process
 * (SECCOMP_FILTER_FLAG_TSYNC): the system calls that KVM_RUN exits, trapped VFIO accesses,
 * irqfd fallbacks, the GLib main loop, the console, logging, starting threads (clone with
 * CLONE_THREAD only; clone3 fails with ENOSYS) and the teardown need. No open, no exec, no
 * socket, no new process. Call it once set-up is done, before the vCPUs start. Anything
 * else is refused with SIGSYS, whose handler prints the system call number and ends armpass
 * with status 1. Needs PR_SET_NO_NEW_PRIVS (sandbox_drop_capabilities) or CAP_SYS_ADMIN.
 * Errors: libseccomp failing (errno named).
 */
bool sandbox_install_seccomp(GError **errp);

#endif
