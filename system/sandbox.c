// SPDX-License-Identifier: GPL-2.0-only
/* -sandbox on: capabilities dropped, seccomp filter (include/system/sandbox.h). */
#define G_LOG_DOMAIN "armpass-sandbox"
#include "system/sandbox.h"

#include <cap-ng.h>
#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

G_DEFINE_QUARK(armpass-sandbox-error, sandbox_error)

bool sandbox_drop_capabilities(GError **errp)
{
    capng_get_caps_process();
    bool can_drop_bounds = capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP);

    capng_clear(CAPNG_SELECT_ALL);
    if (capng_apply(can_drop_bounds ? CAPNG_SELECT_ALL : CAPNG_SELECT_CAPS) != 0) {
        g_set_error(errp, SANDBOX_ERROR, EPERM, "-sandbox on: cannot drop capabilities "
                    "(libcap-ng capng_apply failed)");
        return false;
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        g_set_error(errp, SANDBOX_ERROR, errno, "-sandbox on: prctl(PR_SET_NO_NEW_PRIVS): %s",
                    g_strerror(errno));
        return false;
    }
    return true;
}

/*
 * The run loop's system calls, by name (libseccomp maps them for the build's architecture;
 * names an architecture lacks, such as poll on aarch64, are skipped).
 */
static const char *const sandbox_allowed[] = {
    /* vCPU threads: KVM_RUN and friends, trapped VFIO accesses, the kick signal. */
    "ioctl", "pread64", "pwrite64", "rt_sigreturn", "futex", "restart_syscall",
    /* the main loop (GLib), eventfds, the console, the irqfd fallback */
    "ppoll", "poll", "read", "write", "readv", "writev", "rt_sigprocmask", "tgkill",
    "getpid", "gettid", "clock_gettime", "clock_nanosleep", "nanosleep", "sched_yield",
    /* memory for GLib and libc */
    "mmap", "munmap", "mremap", "madvise", "brk", "mprotect",
    /* -d stats reads /proc/self files opened during set-up; stdio asks about its fds */
    "lseek", "fstat", "newfstatat", "fcntl",
    /* starting the vCPU threads and GLib's signal thread; clone is limited to threads below */
    "set_robust_list", "rseq", "rt_sigaction", "sigaltstack", "prctl", "eventfd2", "pipe2",
    "getrandom", "sched_getaffinity",
    /* the QMP socket (system/qmp.c), made before the filter: clients, descriptors they pass
     * with SCM_RIGHTS (recvmsg), replies without SIGPIPE (send is sendto) */
    "accept4", "accept", "recvmsg", "sendmsg", "sendto", "recvfrom",
    /* the teardown */
    "close", "exit", "exit_group",
};

static void sandbox_sigsys(int sig, siginfo_t *info, void *uctx)
{
    static const char head[] = "armpass: sandbox: blocked system call ";
    static const char tail[] = " (an armpass bug: run without -sandbox on, and report it)\n";
    char num[16];
    unsigned n = (unsigned)(info->si_syscall < 0 ? -info->si_syscall : info->si_syscall);
    size_t at = sizeof(num);

    (void)sig;
    (void)uctx;
    do { /* decimal, from the right: no printf in a signal handler */
        num[--at] = (char)('0' + n % 10);
        n /= 10;
    } while (n && at > 0);
    /* Only async-signal-safe calls here: write(2) and _exit(2). */
    if (write(STDERR_FILENO, head, sizeof(head) - 1) < 0 ||
        write(STDERR_FILENO, num + at, sizeof(num) - at) < 0 ||
        write(STDERR_FILENO, tail, sizeof(tail) - 1) < 0) {
        /* nothing more to do */
    }
    _exit(1);
}

/*
 * Every error message made under the filter goes through g_strerror, which converts
 * strerror's text from the locale's charset to UTF-8; finding that charset reads GLib's
 * charset.alias the first time, and outside a UTF-8 locale (armpass never calls setlocale, so
 * it runs in "C") converting may load glibc's gconv configuration: openat, refused. GLib
 * caches the alias table and each errno's text for good, so all of them are made now, while
 * files may still be opened. (Seen in the test bed: vfio-pci's teardown
 * warned under -sandbox on, and armpass died on openat instead.)
 */
static void sandbox_warm_strerror(void)
{
    /* g_strerror is declared G_GNUC_CONST: a call whose result goes unused may be dropped,
     * so every text is really read. */
    size_t n = 0;

    (void)g_get_charset(NULL);
    (void)g_get_console_charset(NULL);
    for (int e = 1; e < 256; e++) {
        n += strlen(g_strerror(e));
    }
    g_debug("sandbox: error texts made before the filter (%zu bytes)", n);
}

bool sandbox_install_seccomp(GError **errp)
{
    scmp_filter_ctx ctx;
    struct sigaction sa = { .sa_sigaction = sandbox_sigsys, .sa_flags = SA_SIGINFO };
    int ret;

    sandbox_warm_strerror();
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSYS, &sa, NULL) != 0) {
        g_set_error(errp, SANDBOX_ERROR, errno, "-sandbox on: sigaction(SIGSYS): %s",
                    g_strerror(errno));
        return false;
    }
    ctx = seccomp_init(SCMP_ACT_TRAP);
    if (!ctx) {
        g_set_error(errp, SANDBOX_ERROR, ENOMEM, "-sandbox on: seccomp_init failed");
        return false;
    }
    ret = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
    for (unsigned i = 0; ret == 0 && i < G_N_ELEMENTS(sandbox_allowed); i++) {
        int nr = seccomp_syscall_resolve_name(sandbox_allowed[i]);
        if (nr == __NR_SCMP_ERROR || nr < 0) {
            continue; /* not a system call of this architecture */
        }
        ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
        if (ret != 0) {
            g_set_error(errp, SANDBOX_ERROR, -ret, "-sandbox on: seccomp_rule_add(%s): %s",
                        sandbox_allowed[i], g_strerror(-ret));
            seccomp_release(ctx);
            return false;
        }
    }
    /* Threads only (CLONE_THREAD), never a new process; clone3's flags sit in memory a filter
     * cannot read, so it fails with ENOSYS and glibc falls back to clone. */
    if (ret == 0) {
        ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                               SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
    }
    if (ret == 0 && seccomp_syscall_resolve_name("clone3") >= 0) {
        ret = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), seccomp_syscall_resolve_name("clone3"),
                               0);
    }
    if (ret == 0) {
        ret = seccomp_load(ctx);
    }
    seccomp_release(ctx);
    if (ret != 0) {
        g_set_error(errp, SANDBOX_ERROR, -ret, "-sandbox on: cannot load the seccomp filter: "
                    "%s%s", g_strerror(-ret),
                    ret == -EOPNOTSUPP || ret == -EINVAL || ret == -ENOSYS
                        ? " (this kernel lacks CONFIG_SECCOMP_FILTER: run without -sandbox on)"
                        : "");
        return false;
    }
    g_debug("seccomp filter on every thread: %zu system calls allowed",
            G_N_ELEMENTS(sandbox_allowed));
    return true;
}
