/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The host readiness probe (armpass probe): every platform, AMBA and PCI device of the host
 * as sysfs shows it, whether it can be passed through now, and what to do when it cannot;
 * for a platform or AMBA device, the guest node armpass would generate from its host node.
 * It reads sysfs only: no ioctl, no /dev/kvm, no root where sysfs is readable.
 * Sources (Linux 6.1 and 6.12): Documentation/driver-api/vfio.rst (groups, viability,
 * no-IOMMU mode, the cdev), Documentation/ABI/testing/sysfs-bus-{platform,pci,amba}
 * (driver_override, drivers_probe), Documentation/ABI/testing/sysfs-kernel-iommu_groups,
 * drivers/vfio/platform/vfio_platform_common.c (reset modules, reset_required),
 * drivers/vfio/container.c (enable_unsafe_noiommu_mode), drivers/vfio/vfio.h (no cdev for a
 * no-IOMMU device), kernel/irq/chip.c (__irq_do_set_handler: IRQ_NOREQUEST stays after a
 * chained handler is removed).
 *
 * It also reports the host's memory for guest RAM, read by hostmem_host_read
 * (system/hostmem.h): the hugetlb pools (Documentation/admin-guide/mm/hugetlbpage.rst:
 * /sys/kernel/mm/hugepages/hugepages-<N>kB/{nr,free,resv}_hugepages, /proc/meminfo
 * Hugepagesize), the THP modes and PMD size (Documentation/admin-guide/mm/transhuge.rst:
 * /sys/kernel/mm/transparent_hugepage/{enabled,shmem_enabled,hpage_pmd_size}), and the probe's
 * own RLIMIT_MEMLOCK (getrlimit(2)) and CAP_IPC_LOCK (capabilities(7)), against the guest RAM
 * VFIO pins. The limit and the capability are the process's, not sysfs's: run the probe as the
 * user, and in the environment (shell, systemd unit), that armpass will run in.
 * With --sysfs ROOT the pools and THP are read under ROOT, and /proc from probe_proc_root(ROOT):
 * ROOT's sibling "proc" when ROOT's last component is "sys", else the real "/proc".
 */
#ifndef ARMPASS_TOOLS_PROBE_H
#define ARMPASS_TOOLS_PROBE_H

#include "system/hostmem.h"

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum ProbeBus {
    PROBE_BUS_PLATFORM,
    PROBE_BUS_AMBA,
    PROBE_BUS_PCI,
} ProbeBus;

typedef enum ProbeSeverity {
    PROBE_BLOCKER, /* the device cannot be passed until this is fixed */
    PROBE_WARNING, /* it can, but read this first (no-IOMMU mode, a "may fail") */
    PROBE_NOTE,    /* worth knowing, nothing to do for armpass */
} ProbeSeverity;

/* One thing missing or worth knowing, with the commands that fix it. */
typedef struct ProbeIssue {
    char *id;          /* stable, for tools: "bind", "reset", "group-not-viable",
                        * "no-iommu-group", "noiommu", "irq-controller", "no-cdev",
                        * "reset-module" */
    ProbeSeverity severity;
    char *summary;     /* one short line */
    char *detail;      /* why, in a sentence or three (may be NULL) */
    GPtrArray *fix;    /* char *: shell commands, in order (may be empty) */
} ProbeIssue;

/* Another device of the same IOMMU group. */
typedef struct ProbeMember {
    char *name;
    char *driver;      /* NULL: no driver */
} ProbeMember;

typedef struct ProbeDevice {
    char *name;        /* "9010000.pl031", "0000:00:01.0" */
    ProbeBus bus;
    char *driver;      /* NULL: none */
    char *compatible;  /* the node's first compatible (platform/AMBA); NULL without a node */
    char *pci_id;      /* "1b36:0010 class 0x010802" (PCI) */
    int group;         /* IOMMU group number, -1: none */
    bool noiommu;      /* the group is a vfio no-IOMMU group */
    GPtrArray *members; /* ProbeMember *: the group's other devices */
    bool candidate;    /* false: skipped, see skip_reason */
    char *skip_reason;
    char *irq_controller; /* "gpio-controller" / "interrupt-controller" when its node says so */
    char *device_arg;  /* "vfio-amba,host=9010000.pl031[,noiommu=on]" */
    GPtrArray *issues; /* ProbeIssue * */
    char *guest_node;  /* dtc-like source of the planned guest node(s), or NULL */
    GPtrArray *dropped; /* char *: host properties left out of the guest node */
    char *guest_node_error; /* why no guest node could be planned, or NULL */
} ProbeDevice;

typedef struct ProbeReport {
    char *sysfs_root;
    bool iommufd;           /* /dev/iommu exists (sysfs class/misc/iommu) */
    bool noiommu_mode;      /* vfio's enable_unsafe_noiommu_mode is Y */
    bool vfio_loaded;       /* sysfs module/vfio exists */
    GPtrArray *devices;     /* ProbeDevice *, by bus then name */
    char *proc_root;        /* where meminfo was read: probe_proc_root(sysfs_root) */
    HostMemHost mem;        /* hostmem_host_read(sysfs_root, proc_root): pools, THP, memlock */
} ProbeReport;

/* Whether the device can be passed now: a candidate without a PROBE_BLOCKER issue. */
bool probe_device_ready(const ProbeDevice *d);
/* "ready", "ready-noiommu" (needs noiommu=on), "not-ready" or "skipped". */
const char *probe_device_status(const ProbeDevice *d);
const char *probe_bus_name(ProbeBus bus);
const char *probe_severity_name(ProbeSeverity s);

/*
 * What the probe needs of the board to plan a guest node as the board would: where it places a
 * device that is alone on its platform bus, and the phandles the node refers to. main fills
 * it from the board's maps (system/main.c): the probe never includes the board, nor the board
 * the probe.
 */
typedef struct ProbeBoard {
    uint64_t pbus_base;          /* the platform-bus window: guest-physical, bytes */
    uint64_t pbus_size;
    unsigned pbus_first_spi;     /* its reserved SPIs (numbers from 0), pbus_nr_spis of them */
    unsigned pbus_nr_spis;
    uint32_t gic_phandle;
    uint32_t apb_pclk_phandle;
    uint32_t first_free_phandle; /* the first the device's node may take */
} ProbeBoard;

/*
 * Scans sysfs_root ("/sys"; a fixture folder in tests) and nothing else: bus/{platform,amba,
 * pci}/devices with their driver, iommu_group, of_node, vfio-dev, subsystem, class, vendor
 * and device; bus/BUS/drivers/DRIVER(/module); kernel/iommu_groups/N (devices, name);
 * module/vfio{,_platform}/parameters and initstate; class/misc/iommu (/dev/iommu); the
 * device tree under firmware/devicetree/base; the host's memory for guest RAM into r->mem
 * (hostmem_host_read of sysfs_root's kernel/mm and probe_proc_root(sysfs_root)'s meminfo, and
 * this process's RLIMIT_MEMLOCK and CAP_IPC_LOCK). Guest nodes are planned on board. Never
 * fails on one device: what cannot be read is reported. Errors (G_FILE_ERROR): sysfs_root/bus
 * is not a folder.
 */
ProbeReport *probe_scan(const char *sysfs_root, const ProbeBoard *board, GError **errp);
void probe_report_free(ProbeReport *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ProbeReport, probe_report_free)

/*
 * Plans d's guest node as armpass would generate it for "-device <d->device_arg>" alone on
 * board (hw/vfio/sysbus-fdt.c, from the host node under sysfs_root): regions from
 * the host's reg (placed in the platform-bus window), SPIs from the reserved range, edge or
 * level from a GIC specifier's flags (level otherwise). Sets d->guest_node (dtc-like text of
 * the node and of the fixed clocks it adds) and d->dropped, or d->guest_node_error.
 */
void probe_plan_guest_node(ProbeDevice *d, const char *sysfs_root, const ProbeBoard *board);

/*
 * The /proc that goes with sysfs_root: its sibling "proc" when sysfs_root's last component is
 * "sys" ("/sys" -> "/proc", "/tmp/t/sys/" -> "/tmp/t/proc", "sys" -> "./proc"), else the real
 * "/proc" (a sysfs fixture without a proc beside it). g_free it.
 */
char *probe_proc_root(const char *sysfs_root);

/*
 * Bytes of the largest guest RAM that hugetlb pool p can back now: its free pages that no
 * mapping has reserved yet (free_hugepages - resv_hugepages, hugetlbpage.rst: the pages
 * hostmem_check counts) times its page size, rounded down to a multiple of the page size and of
 * 2 MiB (what a backend's size= must be) and capped at ARMPASS_MAX_RAM; 0 when that is less than
 * ARMPASS_MIN_RAM (no guest fits).
 */
uint64_t probe_pool_max_guest_ram(const HostHugePool *p);
/*
 * The options that give a guest size bytes of RAM from p's pages: "-object
 * memory-backend-memfd,id=mem0,size=44M,hugetlb=on,hugetlbsize=2M -M virt,memory-backend=mem0"
 * (size and p->page_size in bytes, written with K, M or G as -object takes them). g_free it.
 */
char *probe_pool_option(const HostHugePool *p, uint64_t size);

/*
 * Bytes of the largest guest RAM a VFIO guest with an IOMMU can have under h's memlock limit:
 * VFIO pins all of guest RAM (type1 in the process's locked_vm, iommufd in the user's: both
 * against RLIMIT_MEMLOCK's soft limit, getrlimit(2); hostmem_check_memlock). UINT64_MAX when no
 * limit applies (CAP_IPC_LOCK, or RLIM_INFINITY); else the limit rounded down to 2 MiB and
 * capped at ARMPASS_MAX_RAM; 0 when that is less than ARMPASS_MIN_RAM (no such guest can
 * start). With -overcommit mem-lock=on and the legacy container the RAM counts twice: half.
 */
uint64_t probe_memlock_max_guest_ram(const HostMemHost *h);
/*
 * Whether h's memlock limit is small enough to bound guests: a limit applies (no CAP_IPC_LOCK,
 * not RLIM_INFINITY) and it is below the host's RAM and swap (sysinfo(2); or those are
 * unknown). The report then prints the fixes (ulimit -l, systemd's LimitMEMLOCK=,
 * CAP_IPC_LOCK).
 */
bool probe_memlock_is_small(const HostMemHost *h);

/*
 * The report for people: one block per device, a "to fix:" block of commands, the host's
 * memory for guest RAM (hugetlb pools with the largest guest each backs and its option, THP,
 * the memlock limit against VFIO's pinning and its fixes), a legend.
 */
char *probe_format_text(const ProbeReport *r);
/*
 * The report for tools: one JSON object, pretty-printed by json-c (two-space indent,
 * "key": value), the same fields as the text, the host's memory in "memory" (sizes in bytes;
 * docs/operating.md, "The host probe" lists them). No errors. g_free it.
 */
char *probe_format_json(const ProbeReport *r);

/* armpass probe [--json] [--sysfs ROOT]: argv[0] is "probe"; guest nodes planned on board.
 * Returns the exit status. */
int probe_main(int argc, char **argv, const ProbeBoard *board);

#endif
