// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench-mmio: times 32-bit reads of one device register, and raises a device's level
 * interrupt in a tight loop. The benchmark (tests/e2e/cases/bench-lib.sh) runs it in L2 (the
 * guest, through /dev/mem) and in L1 (the host, through VFIO) on the same device.
 *
 *   bench-mmio devmem READS BATCHES WINDOW|- COMPATIBLE[@OFFSET]...
 *       In a guest: for each target, finds the device-tree node (under /proc/device-tree)
 *       whose compatible list holds COMPATIBLE and maps its first reg page from /dev/mem (the
 *       kernel needs CONFIG_DEVMEM); then times BATCHES rounds of READS 32-bit reads at OFFSET
 *       (default 0) of each target in turn. Whether a read is mapped or trapped is up to the
 *       VMM. With a WINDOW name, the batches are bracketed by the lines
 *       "BENCH-WINDOW-START WINDOW-busy" / "BENCH-WINDOW-END WINDOW-busy", followed by an idle
 *       window as long, "WINDOW-idle" (the same length of line, so the same console exits);
 *       bench-run turns them into KVM exit counts.
 *   bench-mmio vfio DEVICE OFFSET READS BATCHES
 *       On a host: opens DEVICE (a name under /sys/bus/{amba,platform}/devices, bound to
 *       vfio-amba or vfio-platform) through its no-IOMMU VFIO group, as
 *       Documentation/driver-api/vfio.rst describes (a container set to VFIO_NOIOMMU_IOMMU),
 *       and times reads at OFFSET of region 0 through the region's mmap (when VFIO lets it be
 *       mapped) and through pread() on the device fd. The group is exclusive: no VMM may hold
 *       it meanwhile.
 *   bench-mmio irq COUNT [WINDOW]
 *       In a guest with a PL031 bound to rtc-pl031: COUNT times, sets the alarm to the current
 *       count (MR = DR with the alarm unmasked: the PL031 asserts its level interrupt at once),
 *       then waits until the guest's rtc-pl031 handler has cleared it (RIS back to 0) and the
 *       RTC core has masked the alarm again (IMSC back to 0). Reports the interrupt's latency
 *       (MR write -> RIS clear) and how many entries /proc/interrupts counted. WINDOW as above
 *       ("WINDOW-busy" around the loop, then "WINDOW-idle").
 *
 * Units: ns per read (one value per batch, the loop's own overhead included: a few ns), ns of
 * latency. Output: one line per measurement, "BENCH-MMIO {json}", e.g.
 *   BENCH-MMIO {"mode": "devmem", "access": "cpu", "device": "arm,pl031", "phys": 201326592,
 *               "offset": 0, "reads": 100000, "ns_per_read": [41.2, 40.8], "last": 1795234567}
 * Exit status 0; 1 with a message on stderr when the device, /dev/mem or VFIO cannot be used
 * (on a machine without the device tree node, e.g. x86_64: "no device-tree node ...").
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/vfio.h>

#define PROG_NAME "bench-mmio"
#include "prog-util.h"

#define PAGE 4096ul

/* PL031 registers (ARM DDI 0224: PrimeCell RTC (PL031) Technical Reference Manual). */
enum { RTC_DR = 0x00, RTC_MR = 0x04, RTC_IMSC = 0x10, RTC_RIS = 0x14, RTC_ICR = 0x1c };


static uint64_t ns_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_ns(uint64_t ns)
{
    struct timespec ts = { (time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull) };
    while (nanosleep(&ts, &ts) && errno == EINTR) {
    }
}

static void window_mark(const char *what, const char *window, const char *suffix)
{
    if (window) {
        printf("BENCH-WINDOW-%s %s%s\n", what, window, suffix);
        fflush(stdout);
    }
}

/* Settling time after a window's start line, so the console has carried it out and bench-run
 * has taken its snapshot before the work starts. */
#define WINDOW_SETTLE_NS 300000000ull

/* --- the device tree ---------------------------------------------------------------------- */

static bool read_file(const char *path, uint8_t *buf, size_t cap, size_t *len)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        return false;
    }
    ssize_t n = read(fd, buf, cap);
    close(fd);
    if (n < 0) {
        return false;
    }
    *len = (size_t)n;
    return true;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static unsigned cells_of(const char *dir, const char *name, unsigned dflt)
{
    char path[PATH_MAX];
    uint8_t buf[4];
    size_t len;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return read_file(path, buf, sizeof(buf), &len) && len == 4 ? be32(buf) : dflt;
}

/* The first reg address of the node under dir (depth-first) whose compatible holds compat. */
static bool dt_find(const char *dir, const char *compat, int depth, uint64_t *addr)
{
    DIR *d = opendir(dir);
    if (!d) {
        return false;
    }
    struct dirent *e;
    bool found = false;
    while (!found && (e = readdir(d))) {
        if (e->d_name[0] == '.') {
            continue;
        }
        char node[1024], path[1100];
        if (snprintf(node, sizeof(node), "%s/%s", dir, e->d_name) >= (int)sizeof(node)) {
            continue;
        }
        snprintf(path, sizeof(path), "%s/compatible", node);
        uint8_t buf[512];
        size_t len;
        if (read_file(path, buf, sizeof(buf) - 1, &len)) {
            buf[len] = '\0';
            for (size_t i = 0; i < len; i += strlen((char *)buf + i) + 1) {
                if (strcmp((char *)buf + i, compat) == 0) {
                    unsigned ac = cells_of(dir, "#address-cells", 2);
                    snprintf(path, sizeof(path), "%s/reg", node);
                    if (read_file(path, buf, sizeof(buf), &len) && ac >= 1 && ac <= 2 &&
                        len >= ac * 4) {
                        *addr = ac == 2 ? (uint64_t)be32(buf) << 32 | be32(buf + 4) : be32(buf);
                        found = true;
                    }
                    break;
                }
            }
        }
        if (!found && depth > 0 && e->d_type == DT_DIR) {
            found = dt_find(node, compat, depth - 1, addr);
        }
    }
    closedir(d);
    return found;
}

static volatile uint32_t *devmem_map(const char *compat, uint64_t *phys)
{
    if (!dt_find("/proc/device-tree", compat, 2, phys)) {
        die("no device-tree node with compatible \"%s\" (under /proc/device-tree)", compat);
    }
    int fd = open("/dev/mem", O_RDWR | O_SYNC);
    if (fd < 0) {
        die("/dev/mem: %s (the kernel needs CONFIG_DEVMEM)", strerror(errno));
    }
    void *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)(*phys & ~(PAGE - 1)));
    if (p == MAP_FAILED) {
        die("mmap of /dev/mem: %s", strerror(errno));
    }
    close(fd);
    return (volatile uint32_t *)((uint8_t *)p + (*phys & (PAGE - 1)));
}

/* --- timing loops ------------------------------------------------------------------------- */

static uint32_t last_value;

static double time_reads(volatile uint32_t *reg, unsigned long reads)
{
    uint32_t v = 0;
    uint64_t t = ns_now();
    for (unsigned long i = 0; i < reads; i++) {
        v = *reg;
    }
    uint64_t dt = ns_now() - t;
    last_value = v;
    return (double)dt / (double)reads;
}

static double time_preads(int fd, off_t off, unsigned long reads)
{
    uint32_t v = 0;
    uint64_t t = ns_now();
    for (unsigned long i = 0; i < reads; i++) {
        if (pread(fd, &v, sizeof(v), off) != (ssize_t)sizeof(v)) {
            die("pread on the VFIO device: %s", strerror(errno));
        }
    }
    uint64_t dt = ns_now() - t;
    last_value = v;
    return (double)dt / (double)reads;
}

static void print_result(const char *mode, const char *access, const char *device, uint64_t phys,
                         unsigned long off, unsigned long reads, const double *ns, unsigned long n)
{
    printf("BENCH-MMIO {\"mode\": \"%s\", \"access\": \"%s\", \"device\": \"%s\", \"phys\": %"
           PRIu64 ", \"offset\": %lu, \"reads\": %lu, \"ns_per_read\": [", mode, access, device,
           phys, off, reads);
    for (unsigned long i = 0; i < n; i++) {
        printf("%s%.3f", i ? ", " : "", ns[i]);
    }
    printf("], \"last\": %" PRIu32 "}\n", last_value);
    fflush(stdout);
}

/* --- modes -------------------------------------------------------------------------------- */

#define MAX_TARGETS 8

/* Each batch reads every target in turn, so that drift hits them all alike. */
static int mode_devmem(unsigned long reads, unsigned long batches, const char *window,
                       int ntargets, char **targets)
{
    volatile uint32_t *reg[MAX_TARGETS];
    uint64_t phys[MAX_TARGETS];
    unsigned long off[MAX_TARGETS];
    char compat[MAX_TARGETS][128];
    double *ns[MAX_TARGETS];
    if (ntargets < 1 || ntargets > MAX_TARGETS) {
        die("give 1 to %d targets", MAX_TARGETS);
    }
    for (int i = 0; i < ntargets; i++) {
        const char *at = strchr(targets[i], '@');
        size_t len = at ? (size_t)(at - targets[i]) : strlen(targets[i]);
        if (len == 0 || len >= sizeof(compat[i])) {
            die("%s: not COMPATIBLE[@OFFSET]", targets[i]);
        }
        memcpy(compat[i], targets[i], len);
        compat[i][len] = '\0';
        off[i] = at ? parse_num(at + 1, "OFFSET") : 0;
        if (off[i] > PAGE - 4 || (off[i] & 3)) {
            die("%s: OFFSET must be 4-byte aligned inside the page", targets[i]);
        }
        reg[i] = devmem_map(compat[i], &phys[i]) + off[i] / 4;
        ns[i] = calloc(batches, sizeof(double));
        if (!ns[i]) {
            die("out of memory");
        }
        time_reads(reg[i], reads / 10 + 1); /* warm up: TLBs, the first fault */
    }
    window_mark("START", window, "-busy");
    sleep_ns(WINDOW_SETTLE_NS);
    uint64_t t = ns_now();
    for (unsigned long b = 0; b < batches; b++) {
        for (int i = 0; i < ntargets; i++) {
            ns[i][b] = time_reads(reg[i], reads);
        }
    }
    uint64_t busy = ns_now() - t;
    window_mark("END", window, "-busy");
    if (window) {
        window_mark("START", window, "-idle");
        sleep_ns(WINDOW_SETTLE_NS + busy);
        window_mark("END", window, "-idle");
    }
    for (int i = 0; i < ntargets; i++) {
        print_result("devmem", "cpu", compat[i], phys[i], off[i], reads, ns[i], batches);
        free(ns[i]);
    }
    return 0;
}

/* The iommu group number of a device named under /sys/bus/{amba,platform}/devices. */
static int group_of(const char *device)
{
    static const char *const buses[] = { "amba", "platform" };
    for (unsigned i = 0; i < 2; i++) {
        char path[PATH_MAX], link[PATH_MAX];
        snprintf(path, sizeof(path), "/sys/bus/%s/devices/%s/iommu_group", buses[i], device);
        ssize_t n = readlink(path, link, sizeof(link) - 1);
        if (n > 0) {
            link[n] = '\0';
            return atoi(basename(link));
        }
    }
    die("%s has no iommu_group: is it bound to vfio-amba or vfio-platform?", device);
    return -1;
}

static int mode_vfio(const char *device, unsigned long off, unsigned long reads,
                     unsigned long batches)
{
    int container = open("/dev/vfio/vfio", O_RDWR);
    if (container < 0) {
        die("/dev/vfio/vfio: %s", strerror(errno));
    }
    if (ioctl(container, VFIO_GET_API_VERSION) != VFIO_API_VERSION) {
        die("unknown VFIO API version");
    }
    if (ioctl(container, VFIO_CHECK_EXTENSION, VFIO_NOIOMMU_IOMMU) <= 0) {
        die("VFIO has no no-IOMMU mode (enable_unsafe_noiommu_mode)");
    }
    char path[64];
    snprintf(path, sizeof(path), "/dev/vfio/noiommu-%d", group_of(device));
    int group = open(path, O_RDWR);
    if (group < 0) {
        die("%s: %s (held by a VMM?)", path, strerror(errno));
    }
    struct vfio_group_status st = { .argsz = sizeof(st) };
    if (ioctl(group, VFIO_GROUP_GET_STATUS, &st) || !(st.flags & VFIO_GROUP_FLAGS_VIABLE)) {
        die("%s is not viable", path);
    }
    if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) ||
        ioctl(container, VFIO_SET_IOMMU, VFIO_NOIOMMU_IOMMU)) {
        die("%s: cannot set up its container: %s", path, strerror(errno));
    }
    int dev = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, device);
    if (dev < 0) {
        die("VFIO_GROUP_GET_DEVICE_FD %s: %s", device, strerror(errno));
    }
    struct vfio_region_info ri = { .argsz = sizeof(ri), .index = 0 };
    if (ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &ri)) {
        die("VFIO_DEVICE_GET_REGION_INFO %s: %s", device, strerror(errno));
    }
    if (off + 4 > ri.size || (off & 3)) {
        die("OFFSET must be 4-byte aligned inside region 0 of %s", device);
    }
    double *ns = calloc(batches, sizeof(double));
    if (!ns) {
        die("out of memory");
    }
    if (ri.flags & VFIO_REGION_INFO_FLAG_MMAP) {
        size_t len = (ri.size + PAGE - 1) & ~(PAGE - 1);
        void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, dev, (off_t)ri.offset);
        if (p == MAP_FAILED) {
            die("mmap of region 0 of %s: %s", device, strerror(errno));
        }
        volatile uint32_t *reg = (volatile uint32_t *)((uint8_t *)p + off);
        time_reads(reg, reads / 10 + 1);
        for (unsigned long b = 0; b < batches; b++) {
            ns[b] = time_reads(reg, reads);
        }
        print_result("vfio", "mmap", device, 0, off, reads, ns, batches);
        munmap(p, len);
    }
    /* pread is ~50 times slower: a tenth of the reads keeps the time reasonable. */
    unsigned long preads = reads / 10 ? reads / 10 : 1;
    time_preads(dev, (off_t)(ri.offset + off), preads / 10 + 1);
    for (unsigned long b = 0; b < batches; b++) {
        ns[b] = time_preads(dev, (off_t)(ri.offset + off), preads);
    }
    print_result("vfio", "pread", device, 0, off, preads, ns, batches);
    free(ns);
    close(dev);
    close(group);
    close(container);
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int mode_irq(unsigned long count, const char *window)
{
    uint64_t phys;
    volatile uint32_t *rtc = devmem_map("arm,pl031", &phys);
    double *lat = calloc(count, sizeof(double));
    if (!lat) {
        die("out of memory");
    }
    unsigned long retries = 0, done = 0, imsc_timeouts = 0;
    uint64_t before = prog_irq_count("rtc-pl031");
    window_mark("START", window, "-busy");
    sleep_ns(WINDOW_SETTLE_NS);
    uint64_t t_loop = ns_now();
    while (done < count) {
        rtc[RTC_ICR / 4] = 1;
        rtc[RTC_IMSC / 4] = 1;
        uint64_t t = ns_now();
        rtc[RTC_MR / 4] = rtc[RTC_DR / 4];
        /* The handler writes ICR: RIS drops. 200 ms without: the RTC core masked the alarm
         * between our IMSC write and MR write; start again. */
        bool cleared = false;
        uint64_t dt = 0;
        while ((dt = ns_now() - t) < 200000000ull) {
            if (!(rtc[RTC_RIS / 4] & 1)) {
                cleared = true;
                break;
            }
        }
        if (!cleared) {
            retries++;
            if (retries > count + 10) {
                die("the PL031's interrupt is not being handled (is rtc-pl031 bound?)");
            }
            continue;
        }
        lat[done++] = (double)dt;
        /* The RTC core's work masks the alarm after each interrupt: wait for it, or it could
         * mask the next one. */
        uint64_t t2 = ns_now();
        while (rtc[RTC_IMSC / 4] & 1) {
            if (ns_now() - t2 > 200000000ull) {
                imsc_timeouts++;
                break;
            }
        }
    }
    uint64_t busy = ns_now() - t_loop;
    window_mark("END", window, "-busy");
    uint64_t after = prog_irq_count("rtc-pl031");
    if (window) {
        window_mark("START", window, "-idle");
        sleep_ns(WINDOW_SETTLE_NS + busy);
        window_mark("END", window, "-idle");
    }
    qsort(lat, count, sizeof(double), cmp_double);
    double sum = 0;
    for (unsigned long i = 0; i < count; i++) {
        sum += lat[i];
    }
    printf("BENCH-MMIO {\"mode\": \"irq\", \"device\": \"arm,pl031\", \"phys\": %" PRIu64
           ", \"count\": %lu, \"entries\": %" PRIu64 ", \"retries\": %lu, \"imsc_timeouts\": %lu"
           ", \"loop_ns\": %" PRIu64 ", \"latency_ns\": {\"min\": %.0f, \"median\": %.0f, "
           "\"mean\": %.0f, \"max\": %.0f}}\n", phys, count, after - before, retries,
           imsc_timeouts, busy, lat[0], lat[count / 2], sum / (double)count, lat[count - 1]);
    fflush(stdout);
    free(lat);
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    unsigned long reads = 0, batches = 0;
    if ((!strcmp(mode, "devmem") || !strcmp(mode, "vfio")) && argc >= 6) {
        int a = !strcmp(mode, "devmem") ? 2 : 4;
        reads = parse_num(argv[a], "READS");
        batches = parse_num(argv[a + 1], "BATCHES");
        if (reads == 0 || batches == 0) {
            die("READS and BATCHES must be at least 1");
        }
    }
    if (!strcmp(mode, "devmem") && argc >= 6) {
        /* READS BATCHES WINDOW TARGET...: "-" for no window */
        return mode_devmem(parse_num(argv[2], "READS"), parse_num(argv[3], "BATCHES"),
                           strcmp(argv[4], "-") ? argv[4] : NULL, argc - 5, argv + 5);
    }
    if (!strcmp(mode, "vfio") && argc == 6) {
        return mode_vfio(argv[2], parse_num(argv[3], "OFFSET"), reads, batches);
    }
    if (!strcmp(mode, "irq") && (argc == 3 || argc == 4)) {
        unsigned long n = parse_num(argv[2], "COUNT");
        if (n == 0) {
            die("COUNT must be at least 1");
        }
        return mode_irq(n, argc == 4 ? argv[3] : NULL);
    }
    fprintf(stderr, "usage: bench-mmio devmem READS BATCHES WINDOW|- COMPATIBLE[@OFFSET]...\n"
                    "       bench-mmio vfio DEVICE OFFSET READS BATCHES\n"
                    "       bench-mmio irq COUNT [WINDOW]\n");
    return 1;
}
