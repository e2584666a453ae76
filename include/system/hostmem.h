/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Host memory backends: where guest RAM comes from.
 *
 * QEMU's -object memory-backend-ram|memory-backend-memfd|memory-backend-file, with QEMU's
 * property names (share, prealloc, prealloc-threads, hugetlb, hugetlbsize, mem-path, seal),
 * plus thp=on|off. Without one, guest RAM is an implicit memory-backend-ram: anonymous, aligned
 * in host-virtual address to the host's PMD size and madvised MADV_HUGEPAGE, so that
 * transparent huge pages back it, KVM maps it with stage-2 blocks (its host-virtual and
 * guest-physical addresses agree modulo the block size: fault_supports_stage2_huge_mapping in
 * arch/arm64/kvm/mmu.c) and VFIO pins it in large folios.
 *
 * Sizes are in bytes; "host" is a host-virtual address in armpass's process. A backend is made
 * once per armpass run and outlives guest reboots (its pages keep their contents and, for
 * hugetlb, their host-physical addresses), as QEMU's RAM does.
 *
 * Sources: mmap(2), memfd_create(2), madvise(2) (MADV_HUGEPAGE, MADV_POPULATE_WRITE),
 * mlock(2), getrlimit(2); Documentation/admin-guide/mm/hugetlbpage.rst and transhuge.rst
 * (/sys/kernel/mm/hugepages/hugepages-<N>kB/free_hugepages, /sys/kernel/mm/transparent_hugepage/
 * enabled and hpage_pmd_size); QEMU's docs/system/invocation (-object memory-backend-*).
 */
#ifndef ARMPASS_SYSTEM_HOSTMEM_H
#define ARMPASS_SYSTEM_HOSTMEM_H

#include "system/options.h"

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* The GError domain of this module; codes are errno values (ENOMEM: a pool or limit too
 * small, EINVAL: a size or page size that does not fit, ENOENT: a missing mem-path...). */
#define HOSTMEM_ERROR hostmem_error_quark()
GQuark hostmem_error_quark(void);

#define HOSTMEM_MAX_POOLS 8

/* One hugetlb pool of the host (/sys/kernel/mm/hugepages/hugepages-<N>kB). */
typedef struct HostHugePool {
    uint64_t page_size; /* bytes */
    uint64_t nr;        /* nr_hugepages */
    uint64_t free;      /* free_hugepages */
    uint64_t resv;      /* resv_hugepages: free but promised to a mapping already */
} HostHugePool;

/* What the host offers guest RAM, read from sysfs and /proc (hostmem_host_read). */
typedef struct HostMemHost {
    uint64_t base_page_size;   /* bytes (getpagesize) */
    uint64_t pmd_size;         /* bytes: a THP / stage-2 block (hpage_pmd_size, else derived) */
    char thp_mode[16];         /* "always", "madvise", "never"; "" when THP is not built in */
    char shmem_thp_mode[16];   /* the same for shmem (a memfd without hugetlb) */
    uint64_t default_huge_size; /* bytes (/proc/meminfo Hugepagesize); 0 if none */
    HostHugePool pools[HOSTMEM_MAX_POOLS];
    unsigned nr_pools;
    uint64_t memlock_limit;    /* bytes, RLIMIT_MEMLOCK's soft limit; UINT64_MAX: unlimited */
    bool cap_ipc_lock;         /* CAP_IPC_LOCK in the effective set: no memlock limit */
    uint64_t ram_and_swap;     /* bytes (sysinfo(2)); 0: unknown */
} HostMemHost;

/*
 * Reads the host's pools, THP modes and PMD size under sysfs_root (normally "/sys") and
 * proc_root ("/proc"), and armpass's own RLIMIT_MEMLOCK and CAP_IPC_LOCK. Never fails: what
 * cannot be read is left at 0 / "" (no pools, THP not built in).
 */
void hostmem_host_read(const char *sysfs_root, const char *proc_root, HostMemHost *host);
/* The pool of page_size bytes, or NULL when the host has none. */
const HostHugePool *hostmem_host_pool(const HostMemHost *host, uint64_t page_size);

typedef enum HostMemKind {
    HOSTMEM_RAM,   /* memory-backend-ram: anonymous memory */
    HOSTMEM_MEMFD, /* memory-backend-memfd: a memfd (shmem, or hugetlb with hugetlb=on) */
    HOSTMEM_FILE,  /* memory-backend-file: a file on hugetlbfs (or tmpfs) at mem-path */
} HostMemKind;

/* One -object memory-backend-*, as given (hostmem_config_parse). */
typedef struct HostMemConfig {
    HostMemKind kind;
    char *id;
    uint64_t size;          /* bytes; 0 in the implicit backend: -m's */
    bool share;             /* MAP_SHARED (memfd: on by default, as in QEMU) */
    bool prealloc;          /* fault every page in before the guest starts */
    unsigned prealloc_threads; /* threads that fault it in (default 1) */
    bool hugetlb;           /* memfd: MFD_HUGETLB */
    uint64_t hugetlbsize;   /* memfd: bytes; 0: the host's default huge page size */
    char *mem_path;         /* file: a directory (an unlinked file is made in it) or a file */
    bool require_hugetlbfs; /* -mem-path: mem_path must be on hugetlbfs */
    bool seal;              /* memfd: seal its size (F_SEAL_GROW|SHRINK|SEAL), default on */
    bool thp;               /* MADV_HUGEPAGE where the pages are not hugetlb (default on) */
    bool lock;              /* -overcommit mem-lock=on: mlock the whole of it */
    bool implicit;          /* made from -m / -mem-path / -mem-prealloc, no -object */
} HostMemConfig;

/* Allocates a config with QEMU's defaults for kind (share on for memfd, seal on, thp on). */
HostMemConfig *hostmem_config_new(HostMemKind kind, const char *id);
void hostmem_config_free(HostMemConfig *c);
HostMemConfig *hostmem_config_copy(const HostMemConfig *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HostMemConfig, hostmem_config_free)
/* "memory-backend-ram" and its kin. */
const char *hostmem_kind_name(HostMemKind kind);
/* True when type names a memory backend, the kind in *kind. */
bool hostmem_kind_from_name(const char *type, HostMemKind *kind);
/*
 * The properties of -object TYPE,id=ID,... (ol->first is TYPE) into a new config. Errors
 * (ARMPASS_OPTIONS_ERROR, one line naming the option and what to give): an unknown property
 * or one the kind does not take, a malformed size, bool or count, a size that is missing, zero,
 * or not a multiple of 2 MiB, hugetlbsize without hugetlb=on, mem-path missing (file).
 */
HostMemConfig *hostmem_config_parse(const OptList *ol, GError **errp);

/*
 * Checks a backend against the host before anything is allocated. Errors (HOSTMEM_ERROR, one
 * line that says what to change): a huge page size the host has no pool of (EINVAL), a pool
 * with fewer free pages than the backend needs (ENOMEM: how many are free, and the boot option
 * and sysctl that grow it), a size that is not a multiple of the page size (EINVAL), a
 * mem-path that is missing (ENOENT) or, for -mem-path, not on hugetlbfs (EINVAL).
 * *page_size gets the backing's page size in bytes (the base page size for anonymous/shmem).
 */
bool hostmem_check(const HostMemConfig *c, const HostMemHost *host, uint64_t *page_size,
                   GError **errp);

/*
 * RLIMIT_MEMLOCK against what this run will lock: locked_vm_bytes counted in the process's
 * locked_vm (mlock of mem-lock=on, and VFIO type1's pinning of guest RAM), user_bytes in the
 * user's (iommufd's pinning). Error (HOSTMEM_ERROR ENOMEM), before any guest is built: the
 * limit, the amount needed, for what, and the fixes (ulimit -l, systemd's LimitMEMLOCK=,
 * CAP_IPC_LOCK). No limit applies with CAP_IPC_LOCK or an unlimited RLIMIT_MEMLOCK.
 */
bool hostmem_check_memlock(const HostMemHost *host, uint64_t locked_vm_bytes,
                           uint64_t user_bytes, const char *what, GError **errp);

/* One physically contiguous run of a backend: host-physical [hpa, hpa + size) backs the
 * backend's bytes [offset, offset + size). */
typedef struct HostMemRun {
    uint64_t hpa;    /* host-physical address, bytes */
    uint64_t size;   /* bytes, a multiple of the backend's page size */
    uint64_t offset; /* bytes from the backend's start (host-virtual b->host + offset) */
} HostMemRun;

/* A backend made from a config: guest RAM's host memory. */
typedef struct HostMemBackend {
    HostMemConfig *cfg;     /* owned */
    void *host;             /* host-virtual base, aligned to align bytes */
    uint64_t size;          /* bytes */
    uint64_t page_size;     /* bytes of the backing's pages: 4 KiB, 64 KiB, 2 MiB, 1 GiB */
    uint64_t align;         /* bytes: host's alignment (max of PMD size and page_size) */
    int fd;                 /* memfd or file; -1 for anonymous memory. A vhost-user device
                             * hands it out (with share=on) */
    bool hugetlb;           /* backed by hugetlb pages (memfd hugetlb=on, hugetlbfs file) */
    bool thp;               /* madvised MADV_HUGEPAGE */
    bool locked;            /* mlocked */
    uint64_t prealloc_ns;   /* time to fault it in (prealloc=on, mem-lock=on); 0: not done */
    unsigned prealloc_threads_used;
    GArray *runs;           /* HostMemRun, by offset (hostmem_backend_read_runs); NULL: not
                             * read (only a direct-mapped guest needs them) */
} HostMemBackend;

/*
 * Makes the backend: hostmem_check, then the memfd or file (an unlinked temporary file in a
 * mem-path directory), the mapping (reserved aligned, then mapped MAP_FIXED inside; hugetlb
 * pages are reserved at mmap, so a short pool fails here and not at a guest's fault), THP,
 * preallocation over prealloc_threads threads (MADV_POPULATE_WRITE, else touching each page)
 * for prealloc=on and for mem-lock=on, then mlock for mem-lock=on. Errors: hostmem_check's; the system call that failed, with errno
 * and what to do. Nothing is left allocated on error.
 */
HostMemBackend *hostmem_backend_new(HostMemConfig *cfg, const HostMemHost *host,
                                    GError **errp);
void hostmem_backend_free(HostMemBackend *b);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HostMemBackend, hostmem_backend_free)

/*
 * Faults in [b->host, b->host + b->size) with threads threads, each a contiguous share of
 * whole pages. Errors: the madvise or fault that failed (a hugetlb pool emptied meanwhile).
 */
bool hostmem_prealloc(HostMemBackend *b, unsigned threads, GError **errp);

/*
 * Reads where b's pages sit in host-physical memory from pagemap (normally
 * "/proc/self/pagemap": one 64-bit entry per base page of virtual address, bit 63 present,
 * bits 0-54 the page frame number: Documentation/admin-guide/mm/pagemap.rst) and keeps them in
 * b->runs, adjacent pages merged. b must be hugetlb (each page physically contiguous),
 * preallocated and locked. Errors (HOSTMEM_ERROR): pagemap unreadable; a page not present;
 * frame numbers all zero (EPERM: reading them needs CAP_SYS_ADMIN).
 */
bool hostmem_backend_read_runs(HostMemBackend *b, const char *pagemap, GError **errp);

/* One line for -d stats and probe: "memfd hugetlb 2 MiB pages, 256 MiB, shared". */
char *hostmem_backend_describe(const HostMemBackend *b);

/* What /proc/self/smaps says of the mapping holding host (all KiB; -1: not found). */
typedef struct HostMemUsage {
    int64_t rss_kib;
    int64_t anon_huge_kib;   /* AnonHugePages: THP in anonymous memory */
    int64_t shmem_huge_kib;  /* ShmemPmdMapped: THP in shmem (memfd) */
    int64_t hugetlb_kib;     /* Private_Hugetlb + Shared_Hugetlb */
    int64_t kernel_page_kib; /* KernelPageSize */
} HostMemUsage;

/* Parses smaps text (the whole of /proc/self/smaps) for the mapping that holds host. */
void hostmem_usage_from_smaps(const char *smaps, const void *host, HostMemUsage *u);
/* -d stats' guest RAM lines: backing, page size, huge pages backing it now, prealloc time. */
void hostmem_stats_text(const HostMemBackend *b, const HostMemUsage *u, GString *out);

/* "2 MiB", "1 GiB", "4 KiB", "300 MiB": a size for a message. */
char *hostmem_size_str(uint64_t bytes);

#endif
