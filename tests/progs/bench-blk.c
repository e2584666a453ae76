// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench-blk: block-device reads with O_DIRECT (from the device, never the page cache), the
 * benchmark's NVMe figures. The same program runs in L1 on the bare device (the floor) and in
 * L2 under either VMM (tests/e2e/l2cases/bench-blk.sh).
 *
 *   bench-blk DEVICE rand QD COUNT BS [WINDOW]   COUNT reads of BS bytes at random BS-aligned
 *                                                offsets, by QD threads each doing one pread
 *                                                at a time (queue depth QD: QD threads at
 *                                                depth 1, so up to QD commands in flight)
 *   bench-blk DEVICE seq COUNT BS [WINDOW]       COUNT reads of BS bytes in order from offset
 *                                                0 (wrapping at the end), one at a time
 *
 *   bench-blk DEVICE empty WINDOW                a window with no reads in it: what the window
 *                                                lines and the lead cost by themselves
 *
 * With a WINDOW name the reads are counted directly over that fixed amount of work, never by
 * subtracting an idle stretch: bench-blk first waits for the controller's interrupts to go
 * quiet (no new one for 100 ms, at most 3 s: "settle_s", "settled"), prints
 * "BENCH-WINDOW-START WINDOW", sleeps a lead of 100 ms (bench-run snapshots KVM's counters when
 * it reads that line, which must happen before the first read), does the reads, and prints
 * "BENCH-WINDOW-END WINDOW" (bench-run's second snapshot). So a window's counts are the reads'
 * plus the lead's idle 100 ms and the END line's console output (the "empty" window measures
 * those two). Then a quiet "WINDOW-after" window of 300 ms: the interrupts that come in it
 * ("irqs_after") and KVM's exits in it tell a storm that outlives the reads (after a read
 * returns no interrupt is due).
 *
 * Interrupts: the sum of the /proc/interrupts lines naming "nvme" (or $BENCH_IRQ_MATCH: "ahci"
 * for an AHCI disk) over every CPU column, read
 * right before the first read and right after the last; "irqs_total" is the count then (all
 * the controller's interrupts since boot).
 *
 * Prints one line: BENCH-BLK {"mode", "qd", "bs", "reads", "s", "iops", "mib_s",
 * "lat_us": {"mean", "p50", "p90", "p99", "max"}, "irqs", "irqs_total", "device_bytes",
 * "threads", "window", "settle_s", "settled", "lead_s", "irqs_after", "after_s"} ("empty":
 * {"mode": "empty", "reads": 0, "window", "settle_s", "settled", "lead_s", "irqs"}).
 */
#define PROG_NAME "bench-blk"
#include "prog-util.h"

#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_QD 64

typedef struct {
    int fd;
    unsigned idx;
    uint64_t count;
    uint64_t bs;
    uint64_t blocks;
    bool seq;
    uint64_t *lat_ns;  /* count entries */
} Worker;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The controller's interrupts since boot: the /proc/interrupts lines naming "nvme", or
 * $BENCH_IRQ_MATCH. */
static uint64_t nvme_irqs(void)
{
    const char *match = getenv("BENCH_IRQ_MATCH");
    return prog_irq_count(match && *match ? match : "nvme");
}

static void sleep_ns(uint64_t ns)
{
    struct timespec ts = { (time_t)(ns / 1000000000u), (long)(ns % 1000000000u) };
    while (nanosleep(&ts, &ts) && errno == EINTR) {
    }
}

#define SETTLE_POLL_NS 50000000ull      /* 50 ms between two reads of /proc/interrupts */
#define SETTLE_QUIET 2                  /* polls without a new interrupt: 100 ms quiet */
#define SETTLE_MAX_NS 3000000000ull
#define LEAD_NS 100000000ull            /* after the START line, before the first read */
#define AFTER_NS 300000000ull           /* the quiet window after the reads */

/* Waits until the controller's interrupt count stays the same for SETTLE_QUIET polls in a row,
 * at most SETTLE_MAX_NS; returns the time waited and whether it went quiet. */
static double settle(bool *quiet)
{
    uint64_t t0 = now_ns(), last = nvme_irqs();
    unsigned same = 0;

    *quiet = false;
    while (now_ns() - t0 < SETTLE_MAX_NS) {
        sleep_ns(SETTLE_POLL_NS);
        uint64_t n = nvme_irqs();
        same = n == last ? same + 1 : 0;
        last = n;
        if (same >= SETTLE_QUIET) {
            *quiet = true;
            break;
        }
    }
    return (double)(now_ns() - t0) / 1e9;
}

static void *worker(void *opaque)
{
    Worker *w = opaque;
    uint64_t x = 0x9e3779b97f4a7c15ull * (w->idx + 1) ^ now_ns();
    void *buf;

    if (posix_memalign(&buf, 4096, w->bs)) {
        die("posix_memalign of %" PRIu64 " bytes failed", w->bs);
    }
    for (uint64_t i = 0; i < w->count; i++) {
        uint64_t block;
        if (w->seq) {
            block = i % w->blocks;
        } else {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            block = x % w->blocks;
        }
        uint64_t t0 = now_ns();
        ssize_t n = pread(w->fd, buf, w->bs, (off_t)(block * w->bs));
        w->lat_ns[i] = now_ns() - t0;
        if (n != (ssize_t)w->bs) {
            die("pread of %" PRIu64 " bytes at %" PRIu64 ": %s", w->bs, block * w->bs,
                n < 0 ? strerror(errno) : "short read");
        }
    }
    free(buf);
    return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void window(const char *what, const char *name, const char *suffix)
{
    if (name) {
        printf("BENCH-WINDOW-%s %s%s\n", what, name, suffix);
        fflush(stdout);
    }
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[2], "empty") == 0) {
        bool quiet;
        double settle_s = settle(&quiet);
        window("START", argv[3], "");
        uint64_t t0 = now_ns(), irq0 = nvme_irqs();
        sleep_ns(LEAD_NS);
        uint64_t irq1 = nvme_irqs();
        double lead_s = (double)(now_ns() - t0) / 1e9;
        window("END", argv[3], "");
        printf("BENCH-BLK {\"mode\": \"empty\", \"reads\": 0, \"window\": \"%s\", "
               "\"settle_s\": %.3f, \"settled\": %s, \"lead_s\": %.3f, \"irqs\": %" PRIu64 "}\n",
               argv[3], settle_s, quiet ? "true" : "false", lead_s, irq1 - irq0);
        fflush(stdout);
        return 0;
    }
    if (argc < 5) {
        die("usage: bench-blk DEVICE rand QD COUNT BS [WINDOW] | DEVICE seq COUNT BS [WINDOW] | "
            "DEVICE empty WINDOW");
    }
    const char *dev = argv[1];
    bool seq = strcmp(argv[2], "seq") == 0;
    if (!seq && strcmp(argv[2], "rand") != 0) {
        die("mode %s: want rand or seq", argv[2]);
    }
    int a = 3;
    unsigned qd = seq ? 1 : (unsigned)parse_num(argv[a++], "QD");
    if (argc < a + 2) {
        die("missing COUNT or BS");
    }
    uint64_t count = parse_num(argv[a++], "COUNT");
    uint64_t bs = parse_num(argv[a++], "BS");
    const char *win = argc > a ? argv[a] : NULL;
    if (qd == 0 || qd > MAX_QD || count < qd || bs == 0 || bs % 512) {
        die("QD must be 1-%d, COUNT at least QD, BS a multiple of 512", MAX_QD);
    }

    int fd = open(dev, O_RDONLY | O_DIRECT | O_CLOEXEC);
    if (fd < 0) {
        die("%s: %s", dev, strerror(errno));
    }
    uint64_t size = 0;
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        size = (uint64_t)st.st_size; /* a file (a trial run on the build host) */
    } else if (ioctl(fd, BLKGETSIZE64, &size) < 0) {
        size = 0;
    }
    if (size < bs) {
        die("%s: BLKGETSIZE64: %s", dev, size < bs ? "smaller than one read" : strerror(errno));
    }

    Worker w[MAX_QD];
    pthread_t th[MAX_QD];
    uint64_t *lat = calloc(count, sizeof(uint64_t));
    if (!lat) {
        die("out of memory");
    }
    uint64_t done = 0;
    for (unsigned i = 0; i < qd; i++) {
        uint64_t n = count / qd + (i < count % qd);
        w[i] = (Worker){ .fd = fd, .idx = i, .count = n, .bs = bs, .blocks = size / bs,
                         .seq = seq, .lat_ns = lat + done };
        done += n;
    }

    bool quiet = true;
    double settle_s = 0, lead_s = 0, after_s = 0;
    uint64_t irq_after = 0;
    if (win) {
        settle_s = settle(&quiet);
        window("START", win, "");
        uint64_t l0 = now_ns();
        sleep_ns(LEAD_NS);
        lead_s = (double)(now_ns() - l0) / 1e9;
    }
    uint64_t irq0 = nvme_irqs();
    uint64_t t0 = now_ns();
    if (qd == 1) {
        worker(&w[0]);
    } else {
        for (unsigned i = 0; i < qd; i++) {
            if (pthread_create(&th[i], NULL, worker, &w[i])) {
                die("pthread_create failed");
            }
        }
        for (unsigned i = 0; i < qd; i++) {
            pthread_join(th[i], NULL);
        }
    }
    uint64_t t1 = now_ns();
    uint64_t irq1 = nvme_irqs();
    if (win) {
        window("END", win, "");
        window("START", win, "-after");
        uint64_t a0 = now_ns();
        sleep_ns(AFTER_NS);
        irq_after = nvme_irqs() - irq1;
        after_s = (double)(now_ns() - a0) / 1e9;
        window("END", win, "-after");
    }

    qsort(lat, count, sizeof(uint64_t), cmp_u64);
    double sum = 0;
    for (uint64_t i = 0; i < count; i++) {
        sum += (double)lat[i];
    }
    double s = (double)(t1 - t0) / 1e9;
#define PCT(p) ((double)lat[(uint64_t)((count - 1) * (p))] / 1000.0)
    printf("BENCH-BLK {\"mode\": \"%s\", \"qd\": %u, \"bs\": %" PRIu64 ", \"reads\": %" PRIu64
           ", \"s\": %.6f, \"iops\": %.1f, \"mib_s\": %.3f, \"lat_us\": {\"mean\": %.2f, "
           "\"p50\": %.2f, \"p90\": %.2f, \"p99\": %.2f, \"max\": %.2f}, \"irqs\": %" PRIu64
           ", \"irqs_total\": %" PRIu64 ", \"device_bytes\": %" PRIu64 ", \"threads\": %u, "
           "\"window\": \"%s\", \"settle_s\": %.3f, \"settled\": %s, \"lead_s\": %.3f, "
           "\"irqs_after\": %" PRIu64 ", \"after_s\": %.3f}\n",
           seq ? "seq" : "rand", qd, bs, count, s, (double)count / s,
           (double)count * (double)bs / s / 1048576.0, sum / (double)count / 1000.0, PCT(0.5),
           PCT(0.9), PCT(0.99), (double)lat[count - 1] / 1000.0, irq1 - irq0, irq1, size, qd,
           win ? win : "", settle_s, quiet ? "true" : "false", lead_s, irq_after, after_s);
    fflush(stdout);
    free(lat);
    close(fd);
    return 0;
}
