// SPDX-License-Identifier: GPL-2.0-only
/*
 * -sandbox on (system/sandbox.c), in child processes: once the filter is in, the run loop's
 * system calls still work (write, threads, eventfds), and what it must never do (open a file,
 * start a process) ends the process with the sandbox's message.
 */
#include "system/qmp.h"
#include "system/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define UNDER_SANITIZER 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_SANITIZER 1
#endif

/* Sanitizer runtimes and valgrind make system calls of their own that the filter (rightly)
 * does not allow; the plain build runs these tests. */
static bool sandbox_testable(void)
{
    const char *preload = g_getenv("LD_PRELOAD");
#ifdef UNDER_SANITIZER
    g_test_skip("the sanitizer runtime makes system calls the filter refuses");
    return false;
#endif
    if (preload && strstr(preload, "vgpreload")) {
        g_test_skip("valgrind makes system calls the filter refuses");
        return false;
    }
    return true;
}

static void enter(void)
{
    g_autoptr(GError) err = NULL;

    g_assert_true(sandbox_drop_capabilities(&err));
    g_assert_no_error(err);
    g_assert_true(sandbox_install_seccomp(&err));
    g_assert_no_error(err);
}

static void *thread_fn(void *arg)
{
    int fd = eventfd(0, EFD_CLOEXEC);
    uint64_t v = 1;

    *(int *)arg = fd >= 0 && write(fd, &v, sizeof(v)) == sizeof(v) &&
                  read(fd, &v, sizeof(v)) == sizeof(v);
    if (fd >= 0) {
        close(fd);
    }
    return NULL;
}

static void test_run_loop_allowed(void)
{
    if (!sandbox_testable()) {
        return;
    }
    if (g_test_subprocess()) {
        pthread_t t;
        int ok = 0;
        void *p;

        enter();
        p = g_malloc(1 << 20); /* mmap-sized allocation */
        g_free(p);
        g_assert_cmpint(pthread_create(&t, NULL, thread_fn, &ok), ==, 0);
        g_assert_cmpint(pthread_join(t, NULL), ==, 0);
        g_assert_cmpint(ok, ==, 1);
        fprintf(stderr, "still running\n");
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_passed();
    g_test_trap_assert_stderr("*still running*");
}

/* Reads from fd until a "\r\n"-ended line holding needle arrives (the server's main
 * context iterating meanwhile); false after 5 s. */
static bool qmp_wait_for(int fd, const char *needle)
{
    g_autoptr(GString) in = g_string_new(NULL);
    gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    char buf[4096];

    while (g_get_monotonic_time() < end) {
        ssize_t n;
        while (g_main_context_iteration(NULL, FALSE)) {
        }
        n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n > 0) {
            g_string_append_len(in, buf, n);
            if (strstr(in->str, needle)) {
                return true;
            }
        } else {
            g_usleep(1000);
        }
    }
    return false;
}

/* The QMP socket, made before the filter, is served under it: accept, replies, a descriptor
 * passed with SCM_RIGHTS (getfd), garbage answered. */
static void test_qmp_allowed(void)
{
    if (!sandbox_testable()) {
        return;
    }
    if (g_test_subprocess()) {
        g_autofree char *dir = g_dir_make_tmp("sandbox-qmp-XXXXXX", NULL);
        g_autofree char *path = g_build_filename(dir, "qmp.sock", NULL);
        const char *getfd = "{\"execute\": \"qmp_capabilities\"}"
                            "{\"execute\": \"getfd\", \"arguments\": {\"fdname\": \"f\"}}";
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        union {
            char space[CMSG_SPACE(sizeof(int))];
            struct cmsghdr align;
        } ctl;
        struct iovec iov = { .iov_base = (void *)getfd, .iov_len = strlen(getfd) };
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.space,
                              .msg_controllen = sizeof(ctl.space) };
        struct cmsghdr *cm;
        QmpServer *qmp = qmp_server_new(NULL);
        int fd, pipefd[2];

        g_assert_true(qmp_server_listen_unix(qmp, path, NULL));
        qmp_server_keep_socket_file(qmp);
        g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        g_assert_cmpint(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
        g_assert_cmpint(pipe(pipefd), ==, 0);
        memset(&ctl, 0, sizeof(ctl)); /* the padding too: it goes to the kernel */
        cm = CMSG_FIRSTHDR(&msg);
        enter();
        g_assert_true(qmp_wait_for(fd, "\"QMP\""));
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &pipefd[1], sizeof(int));
        g_assert_cmpint(sendmsg(fd, &msg, MSG_NOSIGNAL), ==, (ssize_t)strlen(getfd));
        g_assert_true(qmp_wait_for(fd, "{\"return\":{}}\r\n{\"return\":{}}"));
        g_assert_cmpint(send(fd, "garbage\n", 8, MSG_NOSIGNAL), ==, 8);
        g_assert_true(qmp_wait_for(fd, "JSON parse error"));
        qmp_server_emit_event(qmp, "STOP", NULL);
        g_assert_true(qmp_wait_for(fd, "\"event\":\"STOP\""));
        close(fd);
        qmp_server_free(qmp);
        fprintf(stderr, "still running\n");
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_passed();
    g_test_trap_assert_stderr("*still running*");
}

/* An error message made after the filter is in: g_strerror of an errno not yet seen. GLib
 * converts strerror's text from the locale's charset to UTF-8 (g_locale_to_utf8); outside a
 * UTF-8 locale that is iconv, whose first use opens glibc's gconv configuration (seen in the
 * test bed: armpass died on openat when vfio-pci's teardown warned under -sandbox on). The
 * child runs in the C locale, as armpass under an init with no LANG does. */
static void test_strerror_allowed(void)
{
    if (!sandbox_testable()) {
        return;
    }
    if (g_test_subprocess()) {
        setlocale(LC_ALL, "C");
        enter();
        fprintf(stderr, "%s / %s / %s\n", g_strerror(EADDRINUSE), g_strerror(EBADFD),
                g_strerror(ENOTRECOVERABLE));
        fprintf(stderr, "still running\n");
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_passed();
    g_test_trap_assert_stderr("*Address already in use*still running*");
}

static void test_open_refused(void)
{
    if (!sandbox_testable()) {
        return;
    }
    if (g_test_subprocess()) {
        enter();
        int fd = open("/dev/null", O_RDONLY);
        fprintf(stderr, "open returned %d\n", fd);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("armpass: sandbox: blocked system call *report it*");
    g_test_trap_assert_stderr_unmatched("*open returned*");
}

static void test_fork_refused(void)
{
    if (!sandbox_testable()) {
        return;
    }
    if (g_test_subprocess()) {
        enter();
        pid_t pid = fork();
        if (pid == 0) {
            _exit(0);
        }
        fprintf(stderr, "fork returned %d\n", (int)pid);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("armpass: sandbox: blocked system call*");
    g_test_trap_assert_stderr_unmatched("*fork returned*");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/sandbox/run-loop-allowed", test_run_loop_allowed);
    g_test_add_func("/sandbox/qmp-allowed", test_qmp_allowed);
    g_test_add_func("/sandbox/strerror-allowed", test_strerror_allowed);
    g_test_add_func("/sandbox/open-refused", test_open_refused);
    g_test_add_func("/sandbox/fork-refused", test_fork_refused);
    return g_test_run();
}
