// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-launch: what a manager (libvirt and the like) does before it starts a VMM: opens the
 * privileged files itself, drops every privilege, and execs armpass with the open descriptors,
 * so that armpass runs as an ordinary user and opens nothing under /dev/vfio or /dev/iommu.
 *
 *   vfio-launch [--uid N] [--gid N] [--memlock BYTES|unlimited] [--legacy] [--probe PATH]...
 *               --pci BDF -- ARMPASS [ARGS...]
 *
 * As root it opens /dev/kvm and then
 *   - iommufd (default): /dev/iommu and the device's cdev /dev/vfio/devices/vfioN (N from
 *     sysfs /sys/bus/pci/devices/BDF/vfio-dev/; Documentation/driver-api/vfio.rst, "VFIO
 *     device cdev"), and appends
 *       -accel kvm,fd=K -object iommufd,id=io0,fd=I -device vfio-pci,host=BDF,iommufd=io0,fd=D
 *   - --legacy: /dev/vfio/vfio (the container) and /dev/vfio/G (G: the device's IOMMU group,
 *     sysfs iommu_group), and appends
 *       -accel kvm,fd=K -object vfio-container,id=ct0,fd=C -device vfio-pci,host=BDF,container=ct0,group-fd=G
 * to ARGS. Then it raises RLIMIT_MEMLOCK (default: unlimited; the kernel accounts the pinned
 * guest RAM to the user, both in VFIO type1 and in iommufd), drops every capability from the
 * bounding and ambient sets, calls setgroups(0), setgid(N), setuid(N) (default 65534, nobody),
 * sets no_new_privs, and checks through capget(2) that no capability is left in the effective,
 * permitted or inheritable set and that setuid(0) now fails. Each --probe PATH is then opened
 * O_RDWR as that user, which must fail: the result goes out as one line
 *   VFIO-LAUNCH-PROBE path=PATH uid=N result=EACCES|ENOENT|...|OPENED
 * (the test bed makes those files root's, mode 0600, and asserts EACCES). Last, it execs
 * ARMPASS with the descriptors (open without O_CLOEXEC, so they survive the exec).
 *
 * Lines on stderr start with "vfio-launch: "; any failure before the exec exits with status 1.
 */
#define PROG_NAME "vfio-launch"
#include "prog-util.h"

#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <linux/capability.h>
#include <stdbool.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_PROBES 16
#define MAX_EXTRA 8

static int open_or_die(const char *path)
{
    int fd = open(path, O_RDWR);   /* no O_CLOEXEC: armpass inherits it */
    if (fd < 0) {
        die("open %s: %s", path, strerror(errno));
    }
    fprintf(stderr, PROG_NAME ": opened %s as fd %d\n", path, fd);
    return fd;
}

/* The last component of the symbolic link at path (an IOMMU group number), into out. */
static void link_name(const char *path, char *out, size_t len)
{
    char target[PATH_MAX];
    ssize_t n = readlink(path, target, sizeof(target) - 1);
    if (n < 0) {
        die("readlink %s: %s (is the device bound to vfio-pci, with an IOMMU?)", path, strerror(errno));
    }
    target[n] = '\0';
    snprintf(out, len, "%s", basename(target));
}

/* /dev/vfio/devices/vfioN for the PCI device bdf: sysfs lists its cdev as vfio-dev/vfioN. */
static void cdev_path(const char *bdf, char *out, size_t len)
{
    char dir[256];
    snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s/vfio-dev", bdf);
    DIR *d = opendir(dir);
    if (!d) {
        die("%s: %s: %s is not bound to vfio-pci, or the kernel has no VFIO_DEVICE_CDEV",
            dir, strerror(errno), bdf);
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, "vfio", 4) == 0) {
            snprintf(out, len, "/dev/vfio/devices/%.64s", e->d_name);
            closedir(d);
            return;
        }
    }
    die("no vfioN in %s", dir);
}

static const char *errno_name(int e)
{
    switch (e) {
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case ENXIO: return "ENXIO";
    case ENODEV: return "ENODEV";
    case EBUSY: return "EBUSY";
    default: return "OTHER";
    }
}

/* Drops to uid/gid with no supplementary group and no capability; dies unless capget(2)
 * then shows empty effective, permitted and inheritable sets and setuid(0) fails. */
static void drop_privileges(uid_t uid, gid_t gid)
{
    /* The bounding set (needs CAP_SETPCAP, which root has until setuid) and the ambient set:
     * nothing can come back at the exec. */
    for (int cap = 0; cap <= 63; cap++) {
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) {
            die("PR_CAPBSET_DROP %d: %s", cap, strerror(errno));
        }
    }
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) {
        die("PR_CAP_AMBIENT_CLEAR_ALL: %s", strerror(errno));
    }
    if (setgroups(0, NULL) < 0) {
        die("setgroups(0): %s", strerror(errno));
    }
    if (setresgid(gid, gid, gid) < 0) {
        die("setresgid(%u): %s", (unsigned)gid, strerror(errno));
    }
    if (setresuid(uid, uid, uid) < 0) {
        die("setresuid(%u): %s", (unsigned)uid, strerror(errno));
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
        die("PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
    }

    struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof(data));
    if (syscall(SYS_capget, &hdr, data) < 0) {
        die("capget: %s", strerror(errno));
    }
    uint64_t eff = data[0].effective | (uint64_t)data[1].effective << 32;
    uint64_t prm = data[0].permitted | (uint64_t)data[1].permitted << 32;
    uint64_t inh = data[0].inheritable | (uint64_t)data[1].inheritable << 32;
    gid_t groups[4];
    int ngroups = getgroups(4, groups);
    fprintf(stderr, PROG_NAME ": now uid %u euid %u gid %u egid %u, %d supplementary groups, "
            "capabilities effective 0x%llx permitted 0x%llx inheritable 0x%llx\n",
            (unsigned)getuid(), (unsigned)geteuid(), (unsigned)getgid(), (unsigned)getegid(),
            ngroups, (unsigned long long)eff, (unsigned long long)prm, (unsigned long long)inh);
    if (eff || prm || inh) {
        die("capabilities left after the drop");
    }
    if (getuid() != uid || geteuid() != uid || getgid() != gid || getegid() != gid || ngroups != 0) {
        die("the drop to uid %u gid %u did not take", (unsigned)uid, (unsigned)gid);
    }
    if (setuid(0) == 0) {
        die("setuid(0) succeeded after the drop");
    }
    fprintf(stderr, PROG_NAME ": setuid(0) now fails: %s\n", strerror(errno));
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "uid", required_argument, NULL, 'u' },
        { "gid", required_argument, NULL, 'g' },
        { "memlock", required_argument, NULL, 'm' },
        { "legacy", no_argument, NULL, 'l' },
        { "probe", required_argument, NULL, 'p' },
        { "pci", required_argument, NULL, 'd' },
        { NULL, 0, NULL, 0 },
    };
    uid_t uid = 65534;
    gid_t gid = 65534;
    rlim_t memlock = RLIM_INFINITY;
    bool legacy = false;
    const char *probes[MAX_PROBES];
    int nprobes = 0;
    const char *bdf = NULL;
    int c;

    while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
        switch (c) {
        case 'u': uid = (uid_t)parse_num(optarg, "--uid"); break;
        case 'g': gid = (gid_t)parse_num(optarg, "--gid"); break;
        case 'm':
            memlock = strcmp(optarg, "unlimited") == 0 ? RLIM_INFINITY : (rlim_t)parse_num(optarg, "--memlock");
            break;
        case 'l': legacy = true; break;
        case 'p':
            if (nprobes == MAX_PROBES) {
                die("at most %d --probe", MAX_PROBES);
            }
            probes[nprobes++] = optarg;
            break;
        case 'd': bdf = optarg; break;
        default:
            die("usage: vfio-launch [--uid N] [--gid N] [--memlock BYTES|unlimited] [--legacy] "
                "[--probe PATH]... --pci BDF -- ARMPASS [ARGS...]");
        }
    }
    if (!bdf || optind >= argc) {
        die("usage: vfio-launch [--uid N] [--gid N] [--memlock BYTES|unlimited] [--legacy] "
            "[--probe PATH]... --pci BDF -- ARMPASS [ARGS...]");
    }
    if (strlen(bdf) > 32 || strchr(bdf, '/') || strchr(bdf, ',')) {
        die("--pci %s: not a PCI address like 0000:00:01.0", bdf);
    }
    if (uid == 0 || gid == 0) {
        die("--uid and --gid must not be 0: the point is to run armpass unprivileged");
    }
    if (geteuid() != 0) {
        die("must start as root (it opens /dev/kvm, /dev/iommu, /dev/vfio/*), not uid %u", (unsigned)geteuid());
    }

    /* Open what armpass will not be able to open. */
    static char extra[MAX_EXTRA][512];
    int nextra = 0;
    int kvm = open_or_die("/dev/kvm");
    snprintf(extra[nextra++], sizeof(extra[0]), "-accel");
    snprintf(extra[nextra++], sizeof(extra[0]), "kvm,fd=%d", kvm);
    if (legacy) {
        char link[256], group[64], gpath[128];
        snprintf(link, sizeof(link), "/sys/bus/pci/devices/%s/iommu_group", bdf);
        link_name(link, group, sizeof(group));
        snprintf(gpath, sizeof(gpath), "/dev/vfio/%.64s", group);
        int container = open_or_die("/dev/vfio/vfio");
        int grp = open_or_die(gpath);
        snprintf(extra[nextra++], sizeof(extra[0]), "-object");
        snprintf(extra[nextra++], sizeof(extra[0]), "vfio-container,id=ct0,fd=%d", container);
        snprintf(extra[nextra++], sizeof(extra[0]), "-device");
        snprintf(extra[nextra++], sizeof(extra[0]), "vfio-pci,host=%s,container=ct0,group-fd=%d", bdf, grp);
    } else {
        char cdev[128];
        cdev_path(bdf, cdev, sizeof(cdev));
        int iommu = open_or_die("/dev/iommu");
        int dev = open_or_die(cdev);
        snprintf(extra[nextra++], sizeof(extra[0]), "-object");
        snprintf(extra[nextra++], sizeof(extra[0]), "iommufd,id=io0,fd=%d", iommu);
        snprintf(extra[nextra++], sizeof(extra[0]), "-device");
        snprintf(extra[nextra++], sizeof(extra[0]), "vfio-pci,host=%s,iommufd=io0,fd=%d", bdf, dev);
    }

    struct rlimit rl = { .rlim_cur = memlock, .rlim_max = memlock };
    if (setrlimit(RLIMIT_MEMLOCK, &rl) < 0) {
        die("setrlimit(RLIMIT_MEMLOCK): %s", strerror(errno));
    }
    if (memlock == RLIM_INFINITY) {
        fprintf(stderr, PROG_NAME ": RLIMIT_MEMLOCK unlimited\n");
    } else {
        fprintf(stderr, PROG_NAME ": RLIMIT_MEMLOCK %llu bytes\n", (unsigned long long)memlock);
    }

    drop_privileges(uid, gid);

    for (int i = 0; i < nprobes; i++) {
        int fd = open(probes[i], O_RDWR | O_CLOEXEC);
        int e = errno;
        printf("VFIO-LAUNCH-PROBE path=%s uid=%u result=%s%s%s\n", probes[i], (unsigned)getuid(),
               fd >= 0 ? "OPENED" : errno_name(e), fd >= 0 ? "" : " ", fd >= 0 ? "" : strerror(e));
        if (fd >= 0) {
            close(fd);
        }
    }
    fflush(stdout);

    int n = argc - optind;
    char **args = calloc((size_t)(n + nextra + 1), sizeof(char *));
    if (!args) {
        die("out of memory");
    }
    for (int i = 0; i < n; i++) {
        args[i] = argv[optind + i];
    }
    for (int i = 0; i < nextra; i++) {
        args[n + i] = extra[i];
    }
    fprintf(stderr, PROG_NAME ": exec");
    for (int i = 0; args[i]; i++) {
        fprintf(stderr, " %s", args[i]);
    }
    fprintf(stderr, "\n");
    execv(args[0], args);
    die("exec %s: %s", args[0], strerror(errno));
}
