// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench-run: runs one VMM (armpass or QEMU, or any program) and measures it from the outside,
 * the same way whichever VMM it is. The benchmark (tests/e2e/cases/bench-lib.sh) runs it in L1.
 *
 *   bench-run [OPTIONS] -- PROGRAM [ARGS...]
 *
 *   --marker TEXT     time of the first appearance of TEXT on PROGRAM's stdout (repeatable;
 *                     matched as the bytes arrive, so a marker need not end its line)
 *   --sample-at TEXT  when this marker appears, sample the process: /proc/PID/smaps (resident
 *                     KiB in all, in the guest-RAM mapping, beyond it) and KVM's per-VM
 *                     statistics in /sys/kernel/debug/kvm/PID-FD/ (default: the first --marker)
 *   --ram-mib N       the guest's RAM size: its mapping is the smallest one of at least N MiB
 *                     (default: the largest mapping)
 *   --grab TEXT       keep every stdout line holding TEXT, from TEXT on (repeatable)
 *   --stats TEXT      keep the stderr line holding TEXT and the indented lines after it
 *                     (armpass's "-d stats" block: "armpass stats:")
 *   --log FILE        copy of PROGRAM's stdout and stderr, in arrival order
 *   --timeout S       SIGTERM after S seconds (default 300), SIGKILL 3 s later
 *   --poll-ms N       sample smaps every N ms while it runs (default 100; 0: only at the marker)
 *
 * Windows: a stdout line holding "BENCH-WINDOW-START NAME" (and later "BENCH-WINDOW-END NAME")
 * snapshots KVM's statistics; the result holds the difference and the time between the two
 * lines (a guest program brackets what it measures with them, see bench-mmio and bench-irq).
 *
 * Prints one line of JSON on stdout (times in seconds from just before fork(), CLOCK_MONOTONIC;
 * sizes in KiB):
 *   {"status": exit status or -1, "signal": N, "timed_out": bool, "first_byte_s": ...,
 *    "markers_s": {TEXT: s or null}, "exit_s": ..., "ru_maxrss_kib": peak RSS (getrusage of
 *    the child, i.e. VmHWM), "user_s", "sys_s", "rss_samples": N, "beyond_guest_peak_kib":
 *    the largest (resident - guest-RAM resident) over all samples, "at_sample": {"rss_kib",
 *    "guest_rss_kib", "guest_vma_kib", "beyond_guest_kib", "file_rss_kib" (resident pages of
 *    mapped files: the binary, its libraries), "guest_thp_kib" and "guest_hugetlb_kib" (the
 *    guest-RAM mapping's AnonHugePages + ShmemPmdMapped, and its hugetlb pages),
 *    "kvm": {counter: value}},
 *    "windows": {NAME: {"s", "kvm": {counter: delta}}}, "grabbed": [lines], "stats": [lines]}
 *
 * The KVM counters are the files of the VM's debugfs folder (Documentation/virt/kvm/api.rst,
 * "KVM_GET_STATS_FD" lists them; debugfs shows the vCPU ones summed over the VM's vCPUs):
 * exits, mmio_exit_user, mmio_exit_kernel, hvc_exit_stat, wfi_exit_stat, ... It needs debugfs
 * mounted on /sys/kernel/debug; without it "kvm" is empty.
 *
 * Exit status: 0 when PROGRAM ran (whatever its own status: see "status"), 1 when it could not
 * be started, 2 on a usage error.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434 /* the same on every architecture */
#endif

#define MAX_ITEMS 32
#define MAX_KEPT 512
#define MAX_COUNTERS 64
#define LINE_MAX_BYTES 65536

typedef struct {
    int n;
    char name[MAX_COUNTERS][48];
    uint64_t value[MAX_COUNTERS];
} KvmSnap;

typedef struct {
    char name[64];
    double t_start, t_end;
    KvmSnap start, delta;
    bool started, ended;
} Window;

typedef struct {
    char *buf;
    size_t len;
    size_t scanned;     /* stdout: bytes already searched for markers */
    bool capturing;     /* stderr: inside the stats block */
} LineBuf;

static const char *markers[MAX_ITEMS];
static double marker_t[MAX_ITEMS];
static int nr_markers;
static const char *grabs[MAX_ITEMS];
static int nr_grabs;
static const char *sample_at;
static const char *stats_text;
static char *kept_grab[MAX_KEPT], *kept_stats[MAX_KEPT];
static int nr_kept_grab, nr_kept_stats;
static Window windows[16];
static int nr_windows;
static FILE *log_file;
static pid_t child;
static uint64_t ram_bytes;
static double t0, first_byte = -1;

/* What one smaps sample found. */
typedef struct {
    bool ok;
    uint64_t rss_kib, guest_rss_kib, guest_vma_kib, file_rss_kib;
    uint64_t guest_thp_kib, guest_hugetlb_kib;  /* the guest-RAM mapping's huge pages */
} MemSample;
static MemSample at_sample;
static KvmSnap at_sample_kvm;
static bool sampled;
static uint64_t beyond_peak_kib;
static unsigned nr_samples;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n);
    if (!p) {
        fprintf(stderr, "bench-run: out of memory\n");
        exit(1);
    }
    return p;
}

static char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

/* Resident KiB of the whole process and of its guest-RAM mapping, from /proc/PID/smaps. */
static MemSample sample_mem(void)
{
    MemSample m = { 0 };
    char path[64], line[512];
    snprintf(path, sizeof(path), "/proc/%d/smaps", (int)child);
    FILE *f = fopen(path, "r");
    if (!f) {
        return m;
    }
    uint64_t best_size = 0, best_rss = 0, cur_size = 0, best_thp = 0, best_hugetlb = 0;
    bool have_best = false, cur_is_vma = false, cur_is_file = false, cur_is_best = false;
    uint64_t total = 0, file = 0;
    while (fgets(line, sizeof(line), f)) {
        unsigned long start, end;
        char dash;
        if (sscanf(line, "%lx%c%lx ", &start, &dash, &end) == 3 && dash == '-') {
            cur_size = end - start;
            cur_is_vma = true;
            cur_is_best = false;
            /* "start-end perms offset dev inode [path]": a mapped file has an absolute path */
            const char *path = strchr(line, '/');
            cur_is_file = path && strchr(line, ' ') < path;
            continue;
        }
        if (cur_is_vma && strncmp(line, "Rss:", 4) == 0) {
            uint64_t kib = strtoull(line + 4, NULL, 10);
            total += kib;
            if (cur_is_file) {
                file += kib;
            }
            bool better;
            if (ram_bytes) {
                better = cur_size >= ram_bytes && (!have_best || cur_size < best_size);
            } else {
                better = !have_best || cur_size > best_size;
            }
            if (better) {
                best_size = cur_size;
                best_rss = kib;
                best_thp = best_hugetlb = 0;
                have_best = true;
                cur_is_best = true;
            }
            cur_is_vma = false;
            continue;
        }
        /* after Rss: in the mapping just chosen, its THPs and its hugetlb pages (which Rss
         * leaves out) */
        if (cur_is_best && strncmp(line, "AnonHugePages:", 14) == 0) {
            best_thp += strtoull(line + 14, NULL, 10);
        } else if (cur_is_best && strncmp(line, "ShmemPmdMapped:", 15) == 0) {
            best_thp += strtoull(line + 15, NULL, 10);
        } else if (cur_is_best && (strncmp(line, "Private_Hugetlb:", 16) == 0 ||
                                   strncmp(line, "Shared_Hugetlb:", 15) == 0)) {
            best_hugetlb += strtoull(strchr(line, ':') + 1, NULL, 10);
        }
    }
    fclose(f);
    m.ok = total > 0;
    m.rss_kib = total;
    m.guest_rss_kib = have_best ? best_rss : 0;
    m.guest_vma_kib = best_size / 1024;
    m.file_rss_kib = file;
    m.guest_thp_kib = have_best ? best_thp : 0;
    m.guest_hugetlb_kib = have_best ? best_hugetlb : 0;
    return m;
}

static void note_sample(MemSample m)
{
    if (!m.ok) {
        return;
    }
    nr_samples++;
    uint64_t beyond = m.rss_kib - m.guest_rss_kib;
    if (beyond > beyond_peak_kib) {
        beyond_peak_kib = beyond;
    }
}

/* KVM's statistics of the child's VM: every file of /sys/kernel/debug/kvm/PID-FD/ that holds
 * one number. With several VMs (QEMU probes the host CPU with a scratch VM), the one with the
 * most exits. */
static void kvm_snapshot(KvmSnap *out)
{
    out->n = 0;
    DIR *d = opendir("/sys/kernel/debug/kvm");
    if (!d) {
        return;
    }
    char prefix[32];
    int plen = snprintf(prefix, sizeof(prefix), "%d-", (int)child);
    struct dirent *e;
    KvmSnap cur;
    uint64_t best_exits = 0;
    bool have = false;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, prefix, (size_t)plen) != 0) {
            continue;
        }
        char dir[300];
        snprintf(dir, sizeof(dir), "/sys/kernel/debug/kvm/%s", e->d_name);
        DIR *vd = opendir(dir);
        if (!vd) {
            continue;
        }
        cur.n = 0;
        uint64_t exits = 0;
        struct dirent *f;
        while ((f = readdir(vd)) && cur.n < MAX_COUNTERS) {
            if (f->d_name[0] == '.' || strlen(f->d_name) >= sizeof(cur.name[0])) {
                continue;
            }
            char path[640], buf[64];
            snprintf(path, sizeof(path), "%s/%s", dir, f->d_name);
            int fd = open(path, O_RDONLY);
            if (fd < 0) {
                continue;
            }
            ssize_t n = read(fd, buf, sizeof(buf) - 1);
            close(fd);
            if (n <= 0) {
                continue;
            }
            buf[n] = '\0';
            char *end;
            errno = 0;
            uint64_t v = strtoull(buf, &end, 10);
            if (errno || end == buf || (*end != '\n' && *end != '\0') ||
                (*end == '\n' && end[1] != '\0')) {
                continue;
            }
            snprintf(cur.name[cur.n], sizeof(cur.name[0]), "%s", f->d_name);
            cur.value[cur.n++] = v;
            if (strcmp(f->d_name, "exits") == 0) {
                exits = v;
            }
        }
        closedir(vd);
        if (!have || exits >= best_exits) {
            *out = cur;
            best_exits = exits;
            have = true;
        }
    }
    closedir(d);
}

static uint64_t snap_get(const KvmSnap *s, const char *name, bool *found)
{
    for (int i = 0; i < s->n; i++) {
        if (strcmp(s->name[i], name) == 0) {
            *found = true;
            return s->value[i];
        }
    }
    *found = false;
    return 0;
}

static Window *window_named(const char *name, size_t len)
{
    for (int i = 0; i < nr_windows; i++) {
        if (strlen(windows[i].name) == len && strncmp(windows[i].name, name, len) == 0) {
            return &windows[i];
        }
    }
    if (nr_windows == (int)(sizeof(windows) / sizeof(windows[0])) || len >= sizeof(windows[0].name)) {
        return NULL;
    }
    Window *w = &windows[nr_windows++];
    memcpy(w->name, name, len);
    w->name[len] = '\0';
    return w;
}

/* The word after TAG in line, as (start, length). */
static bool word_after(const char *line, const char *tag, const char **w, size_t *len)
{
    const char *p = strstr(line, tag);
    if (!p) {
        return false;
    }
    p += strlen(tag);
    while (*p == ' ') {
        p++;
    }
    size_t n = strcspn(p, " \t\r\n");
    if (n == 0) {
        return false;
    }
    *w = p;
    *len = n;
    return true;
}

static void sample_now(void)
{
    MemSample m = sample_mem();
    note_sample(m);
    at_sample = m;
    kvm_snapshot(&at_sample_kvm);
    sampled = true;
}

/* A complete stdout line (no newline, CRs removed). */
static void stdout_line(const char *line, double t)
{
    const char *w;
    size_t len;
    if (word_after(line, "BENCH-WINDOW-START", &w, &len)) {
        Window *win = window_named(w, len);
        if (win && !win->started) {
            win->started = true;
            win->t_start = t;
            kvm_snapshot(&win->start);
        }
    } else if (word_after(line, "BENCH-WINDOW-END", &w, &len)) {
        Window *win = window_named(w, len);
        if (win && win->started && !win->ended) {
            KvmSnap end;
            kvm_snapshot(&end);
            win->ended = true;
            win->t_end = t;
            win->delta.n = 0;
            for (int i = 0; i < end.n; i++) {
                bool found;
                uint64_t before = snap_get(&win->start, end.name[i], &found);
                if (found) {
                    int k = win->delta.n++;
                    memcpy(win->delta.name[k], end.name[i], sizeof(end.name[i]));
                    win->delta.value[k] = end.value[i] - before;
                }
            }
        }
    }
    for (int i = 0; i < nr_grabs; i++) {
        const char *p = strstr(line, grabs[i]);
        if (p && nr_kept_grab < MAX_KEPT) {
            kept_grab[nr_kept_grab++] = xstrndup(p, strlen(p));
            break;
        }
    }
}

static void stderr_line(LineBuf *lb, const char *line)
{
    if (!stats_text) {
        return;
    }
    if (strstr(line, stats_text)) {
        lb->capturing = true;
    } else if (lb->capturing && line[0] != ' ') {
        lb->capturing = false;
    }
    if (lb->capturing && nr_kept_stats < MAX_KEPT) {
        kept_stats[nr_kept_stats++] = xstrndup(line, strlen(line));
    }
}

/* Scans the stdout line being assembled for markers not seen yet. */
static void scan_markers(LineBuf *lb, double t)
{
    lb->buf[lb->len] = '\0';
    for (int i = 0; i < nr_markers; i++) {
        if (marker_t[i] >= 0) {
            continue;
        }
        /* Search from where an earlier chunk may have cut the marker. */
        size_t ml = strlen(markers[i]);
        size_t from = lb->scanned > ml ? lb->scanned - ml : 0;
        if (strstr(lb->buf + from, markers[i])) {
            marker_t[i] = t - t0;
            if (sample_at && strcmp(markers[i], sample_at) == 0 && !sampled) {
                sample_now();
            }
        }
    }
    lb->scanned = lb->len;
}

static void feed(LineBuf *lb, bool is_stdout, const char *data, size_t n, double t)
{
    for (size_t i = 0; i < n; i++) {
        char c = data[i];
        if (c == '\r') {
            continue;
        }
        if (c == '\n') {
            if (is_stdout) {
                scan_markers(lb, t);
            }
            lb->buf[lb->len] = '\0';
            if (is_stdout) {
                stdout_line(lb->buf, t);
            } else {
                stderr_line(lb, lb->buf);
            }
            lb->len = 0;
            lb->scanned = 0;
            continue;
        }
        if (lb->len < LINE_MAX_BYTES - 1) {
            lb->buf[lb->len++] = c;
        }
    }
    if (is_stdout && lb->len > lb->scanned) {
        scan_markers(lb, t);
    }
}

/* Reads what fd has; returns false at EOF or on an error. */
static bool pump(int fd, LineBuf *lb, bool is_stdout)
{
    char buf[16384];
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
        return true;
    }
    if (n <= 0) {
        return false;
    }
    double t = now();
    if (is_stdout && first_byte < 0) {
        first_byte = t - t0;
    }
    if (log_file) {
        fwrite(buf, 1, (size_t)n, log_file);
        fflush(log_file);
    }
    feed(lb, is_stdout, buf, (size_t)n, t);
    return true;
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            fprintf(f, "\\%c", *p);
        } else if (*p < 0x20 || *p >= 0x7f) {
            fprintf(f, "\\u%04x", *p);
        } else {
            fputc(*p, f);
        }
    }
    fputc('"', f);
}

static void json_time(FILE *f, double t)
{
    if (t < 0) {
        fputs("null", f);
    } else {
        fprintf(f, "%.6f", t);
    }
}

static void json_snap(FILE *f, const KvmSnap *s)
{
    fputc('{', f);
    for (int i = 0; i < s->n; i++) {
        fprintf(f, "%s", i ? ", " : "");
        json_str(f, s->name[i]);
        fprintf(f, ": %" PRIu64, s->value[i]);
    }
    fputc('}', f);
}

static void json_lines(FILE *f, char **lines, int n)
{
    fputc('[', f);
    for (int i = 0; i < n; i++) {
        fprintf(f, "%s", i ? ", " : "");
        json_str(f, lines[i]);
    }
    fputc(']', f);
}

static void usage(void)
{
    fprintf(stderr, "usage: bench-run [--marker TEXT]... [--sample-at TEXT] [--ram-mib N] "
            "[--grab TEXT]... [--stats TEXT] [--log FILE] [--timeout S] [--poll-ms N] "
            "-- PROGRAM [ARGS...]\n");
    exit(2);
}

static double parse_double(const char *s, const char *what)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || v < 0) {
        fprintf(stderr, "bench-run: %s: not a non-negative number: %s\n", what, s);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    double timeout = 300, poll_ms = 100;
    const char *log_path = NULL;
    int a = 1;
    for (; a < argc; a++) {
        const char *o = argv[a];
        if (strcmp(o, "--") == 0) {
            a++;
            break;
        }
        if (a + 1 >= argc) {
            usage();
        }
        const char *v = argv[++a];
        if (strcmp(o, "--marker") == 0 && nr_markers < MAX_ITEMS) {
            marker_t[nr_markers] = -1;
            markers[nr_markers++] = v;
        } else if (strcmp(o, "--sample-at") == 0) {
            sample_at = v;
        } else if (strcmp(o, "--ram-mib") == 0) {
            ram_bytes = (uint64_t)parse_double(v, o) << 20;
        } else if (strcmp(o, "--grab") == 0 && nr_grabs < MAX_ITEMS) {
            grabs[nr_grabs++] = v;
        } else if (strcmp(o, "--stats") == 0) {
            stats_text = v;
        } else if (strcmp(o, "--log") == 0) {
            log_path = v;
        } else if (strcmp(o, "--timeout") == 0) {
            timeout = parse_double(v, o);
        } else if (strcmp(o, "--poll-ms") == 0) {
            poll_ms = parse_double(v, o);
        } else {
            usage();
        }
    }
    if (a >= argc) {
        usage();
    }
    if (!sample_at && nr_markers > 0) {
        sample_at = markers[0];
    }
    if (sample_at) {
        bool listed = false;
        for (int i = 0; i < nr_markers; i++) {
            listed |= strcmp(markers[i], sample_at) == 0;
        }
        if (!listed && nr_markers < MAX_ITEMS) {
            marker_t[nr_markers] = -1;
            markers[nr_markers++] = sample_at;
        }
    }
    if (log_path && !(log_file = fopen(log_path, "we"))) {
        fprintf(stderr, "bench-run: %s: %s\n", log_path, strerror(errno));
        return 1;
    }

    int out[2], err[2];
    /* Close-on-exec: the child gets them as its stdout and stderr only (dup2 clears the flag). */
    if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) {
        fprintf(stderr, "bench-run: pipe: %s\n", strerror(errno));
        return 1;
    }
    t0 = now();
    child = fork();
    if (child < 0) {
        fprintf(stderr, "bench-run: fork: %s\n", strerror(errno));
        return 1;
    }
    if (child == 0) {
        int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null >= 0) {
            dup2(null, STDIN_FILENO);
        }
        dup2(out[1], STDOUT_FILENO);
        dup2(err[1], STDERR_FILENO);
        execvp(argv[a], argv + a);
        fprintf(stderr, "bench-run: %s: %s\n", argv[a], strerror(errno));
        _exit(127);
    }
    close(out[1]);
    close(err[1]);
    int pidfd = (int)syscall(SYS_pidfd_open, child, 0);

    LineBuf lo = { .buf = xmalloc(LINE_MAX_BYTES) }, le = { .buf = xmalloc(LINE_MAX_BYTES) };
    bool out_open = true, err_open = true, exited = false, timed_out = false;
    int wstatus = 0;
    struct rusage ru = { 0 };
    double t_exit = -1, deadline = t0 + timeout, next_sample = t0 + poll_ms / 1000.0;
    double kill_at = -1;

    while (!exited || out_open || err_open) {
        double t = now();
        if (!exited && t >= deadline && kill_at < 0) {
            timed_out = true;
            kill(child, SIGTERM);
            kill_at = t + 3;
        }
        if (!exited && kill_at >= 0 && t >= kill_at) {
            kill(child, SIGKILL);
            kill_at = t + 3600;
        }
        if (exited && t > t_exit + t0 + 2) {
            break; /* something else holds the pipes open */
        }
        double wake = exited ? t_exit + t0 + 2 : (kill_at >= 0 ? kill_at : deadline);
        if (!exited && poll_ms > 0 && next_sample < wake) {
            wake = next_sample;
        }
        if (!exited && pidfd < 0 && t + 0.001 < wake) {
            wake = t + 0.001;
        }
        int ms = wake > t ? (int)((wake - t) * 1000) + 1 : 0;
        struct pollfd p[3] = {
            { .fd = out_open ? out[0] : -1, .events = POLLIN },
            { .fd = err_open ? err[0] : -1, .events = POLLIN },
            { .fd = exited ? -1 : pidfd, .events = POLLIN },
        };
        int r = poll(p, 3, ms);
        if (r < 0 && errno != EINTR) {
            fprintf(stderr, "bench-run: poll: %s\n", strerror(errno));
            break;
        }
        if (out_open && (p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
            out_open = pump(out[0], &lo, true);
        }
        if (err_open && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
            err_open = pump(err[0], &le, false);
        }
        if (!exited && (pidfd < 0 || (p[2].revents & POLLIN))) {
            pid_t w = wait4(child, &wstatus, WNOHANG, &ru);
            if (w == child) {
                exited = true;
                t_exit = now() - t0;
            }
        }
        t = now();
        if (!exited && poll_ms > 0 && t >= next_sample) {
            note_sample(sample_mem());
            while (next_sample <= t) {
                next_sample += poll_ms / 1000.0;
            }
        }
    }
    if (!exited) {
        kill(child, SIGKILL);
        wait4(child, &wstatus, 0, &ru);
        t_exit = now() - t0;
    }
    /* A last partial line on either stream still counts. */
    if (lo.len) {
        feed(&lo, true, "\n", 1, now());
    }
    if (le.len) {
        feed(&le, false, "\n", 1, now());
    }

    FILE *f = stdout;
    fprintf(f, "{\"status\": %d, \"signal\": %d, \"timed_out\": %s, \"first_byte_s\": ",
            WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1,
            WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0, timed_out ? "true" : "false");
    json_time(f, first_byte);
    fputs(", \"markers_s\": {", f);
    for (int i = 0; i < nr_markers; i++) {
        fprintf(f, "%s", i ? ", " : "");
        json_str(f, markers[i]);
        fputs(": ", f);
        json_time(f, marker_t[i]);
    }
    fputs("}, \"exit_s\": ", f);
    json_time(f, t_exit);
    fprintf(f, ", \"ru_maxrss_kib\": %ld, \"user_s\": %.3f, \"sys_s\": %.3f, \"rss_samples\": %u",
            ru.ru_maxrss, ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
            ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6, nr_samples);
    fprintf(f, ", \"beyond_guest_peak_kib\": ");
    if (nr_samples) {
        fprintf(f, "%" PRIu64, beyond_peak_kib);
    } else {
        fputs("null", f);
    }
    fputs(", \"at_sample\": ", f);
    if (sampled && at_sample.ok) {
        fprintf(f, "{\"rss_kib\": %" PRIu64 ", \"guest_rss_kib\": %" PRIu64
                ", \"guest_vma_kib\": %" PRIu64 ", \"beyond_guest_kib\": %" PRIu64
                ", \"file_rss_kib\": %" PRIu64 ", \"guest_thp_kib\": %" PRIu64
                ", \"guest_hugetlb_kib\": %" PRIu64 ", \"kvm\": ",
                at_sample.rss_kib, at_sample.guest_rss_kib, at_sample.guest_vma_kib,
                at_sample.rss_kib - at_sample.guest_rss_kib, at_sample.file_rss_kib,
                at_sample.guest_thp_kib, at_sample.guest_hugetlb_kib);
        json_snap(f, &at_sample_kvm);
        fputc('}', f);
    } else {
        fputs("null", f);
    }
    fputs(", \"windows\": {", f);
    bool first = true;
    for (int i = 0; i < nr_windows; i++) {
        if (!windows[i].ended) {
            continue;
        }
        fprintf(f, "%s", first ? "" : ", ");
        first = false;
        json_str(f, windows[i].name);
        fprintf(f, ": {\"s\": %.6f, \"kvm\": ", windows[i].t_end - windows[i].t_start);
        json_snap(f, &windows[i].delta);
        fputc('}', f);
    }
    fputs("}, \"grabbed\": ", f);
    json_lines(f, kept_grab, nr_kept_grab);
    fputs(", \"stats\": ", f);
    json_lines(f, kept_stats, nr_kept_stats);
    fputs("}\n", f);
    if (log_file) {
        fclose(log_file);
    }
    return 0;
}
