/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The VFIO layer every passthrough device model sits on (vfio-platform, vfio-amba, and next
 * vfio-pci): a context holding containers and groups, devices with their region and IRQ
 * info, the capability-chain walker, regions as trapped MemoryRegions with mmap'd
 * subregions, and the DMA listener that keeps guest RAM mapped for the devices, in a Type1
 * container (container.c) or an iommufd IOAS (iommufd.c): the backend seam is in
 * vfio-internal.h.
 * Every kernel call goes through HostOps. Source: Documentation/driver-api/vfio.rst,
 * include/uapi/linux/vfio.h (Linux 6.1).
 */
#ifndef ARMPASS_HW_VFIO_VFIO_COMMON_H
#define ARMPASS_HW_VFIO_VFIO_COMMON_H

#include "system/hostops.h"
#include "system/memory.h"

#include <glib.h>
#include <linux/vfio.h>
#include <stdbool.h>
#include <stdint.h>

/* Errors of this layer: domain VFIO_ERROR, code an errno value (the kernel's where it gave
 * one); messages are one line, "vfio DEVICE: what failed: why". */
#define VFIO_ERROR armpass_vfio_error_quark()
GQuark armpass_vfio_error_quark(void);

typedef struct VfioContext VfioContext;
typedef struct VfioContainer VfioContainer;
typedef struct VfioGroup VfioGroup;
typedef struct VfioDevice VfioDevice;

/* One mmap-able piece of a region: [offset, offset + size) bytes from the region's start. */
typedef struct VfioMmapArea {
    uint64_t offset;
    uint64_t size;
} VfioMmapArea;

/* VFIO_DEVICE_GET_REGION_INFO, its capability chain understood. */
typedef struct VfioRegionInfo {
    unsigned index;
    uint32_t flags;       /* VFIO_REGION_INFO_FLAG_* */
    uint64_t size;        /* bytes */
    uint64_t offset;      /* the region's offset in the device fd, bytes */
    bool has_sparse;      /* a SPARSE_MMAP capability was given: only its areas are mappable */
    GArray *sparse;       /* VfioMmapArea, from the capability (empty without one) */
    bool has_type;
    uint32_t type, subtype; /* VFIO_REGION_INFO_CAP_TYPE */
} VfioRegionInfo;

void vfio_region_info_clear(VfioRegionInfo *info);

/*
 * Where the DMA listener (listener.c) maps guest RAM for a device: a Type1 container
 * (container.c) or an iommufd IOAS (iommufd.c). IOVA = guest-physical address.
 */
typedef struct VfioDmaSpace VfioDmaSpace;
typedef struct VfioDmaOps {
    /* "type1v2", "type1", "iommufd": -d stats and messages. */
    const char *(*name)(const VfioDmaSpace *s);
    /* Maps [iova, iova + size) (bytes) to host-virtual vaddr, readable and writable (and
     * executable: see the design note in listener.c). Returns the ioctl's result, errno set;
     * *ioctl_name names it for messages. */
    int (*map)(VfioDmaSpace *s, uint64_t iova, uint64_t size, uint64_t vaddr,
               const char **ioctl_name);
    /* Unmaps what map mapped at exactly [iova, iova + size). Same conventions. */
    int (*unmap)(VfioDmaSpace *s, uint64_t iova, uint64_t size, const char **ioctl_name);
} VfioDmaOps;

struct VfioDmaSpace {
    VfioContext *ctx;
    const VfioDmaOps *ops;
    MemoryListener listener;
    bool listener_added;
    const char *replaying; /* the device vfio_listener_start/stop name while the listener's
                            * replay runs its callbacks (listener.c's only), else NULL */
    GArray *valid_iovas;   /* struct { uint64_t start, last; } (VfioIovaRange): the IOVAs the
                            * host IOMMU accepts; NULL: not known, anything is tried */
    uint64_t dma_maps;     /* map calls that succeeded */
    uint64_t dma_bytes;    /* bytes they mapped */
    uint64_t dma_live;     /* mappings in place now: maps less the unmaps that succeeded (or
                            * that the kernel made moot by letting the IOMMU go) */
    uint64_t dma_live_bytes; /* their bytes */
    uint64_t dma_ns;       /* CLOCK_MONOTONIC ns spent in them (the kernel pins, i.e. faults
                            * in, every page of guest RAM there): -d stats prints it */
    bool host_took_back;   /* a device in it was taken back by its host (VfioDevice): the
                            * kernel may have let the IOMMU go already, so unmaps that fail
                            * are logged (g_debug), not warned about */
};

/* One range of IOVAs, inclusive: [start, last]. */
typedef struct VfioIovaRange {
    uint64_t start, last;
} VfioIovaRange;

struct VfioContainer {
    VfioContext *ctx;
    int fd;
    int iommu_type;        /* VFIO_TYPE1v2_IOMMU, VFIO_TYPE1_IOMMU or VFIO_NOIOMMU_IOMMU */
    char *id;              /* -object vfio-container,id=: only devices naming it join it;
                            * NULL: armpass opened it, devices without container= share it */
    GPtrArray *groups;     /* VfioGroup * */
    VfioDmaSpace dma;      /* Type1 only */
};

struct VfioGroup {
    VfioContext *ctx;
    int id;                /* /sys/kernel/iommu_groups/<id> */
    bool noiommu;          /* /dev/vfio/noiommu-<id> */
    int fd;
    VfioContainer *container;
    unsigned refcount;     /* devices open in it */
    bool host_took_back;   /* a device of it was taken back by its host (VfioDevice) */
};

typedef struct VfioIommufd VfioIommufd;
typedef struct VfioBackend VfioBackend;

struct VfioDevice {
    VfioContext *ctx;
    char *name;            /* "9010000.pl031" */
    char *sysfs_path;      /* the device's folder in sysfs */
    const VfioBackend *backend; /* legacy (group, container) or iommufd (cdev, IOAS) */
    int group_id;          /* its IOMMU group */
    bool noiommu;          /* a no-IOMMU group */
    VfioGroup *group;      /* legacy */
    VfioIommufd *iommufd;  /* iommufd */
    uint32_t devid;        /* iommufd: VFIO_DEVICE_BIND_IOMMUFD's out_devid */
    VfioDmaSpace *dma;     /* where its DMA is mapped; NULL: nowhere (no-IOMMU) */
    int fd;
    bool fd_passed;        /* fd= */
    uint32_t flags;        /* VFIO_DEVICE_FLAGS_* */
    unsigned num_regions;
    unsigned num_irqs;
    /* The host asked for the device back (vfio-pci's request interrupt: removed from the host
     * or unbound from vfio-pci). Once its fd is closed the kernel finishes that at once and,
     * for the group's last device, takes the group out of its container and lets the IOMMU
     * go (drivers/vfio/group.c, vfio_device_remove_group): VFIO_GROUP_UNSET_CONTAINER and the
     * DMA unmaps that follow may then fail, as expected (logged, not warned about). */
    bool host_took_back;
};

/*
 * How a device reaches VFIO (the -device properties iommufd=, fd=, container=, group-fd=).
 * All zero but the fds at -1: the legacy group path, armpass opening every file itself.
 */
typedef struct VfioAttachOptions {
    bool allow_noiommu;    /* noiommu=on */
    const char *iommufd;   /* -object iommufd id: the cdev path; NULL: the legacy group path */
    int device_fd;         /* fd=: an open /dev/vfio/devices/vfioN (iommufd only); -1: none */
    const char *container; /* -object vfio-container id (legacy only); NULL: none */
    int group_fd;          /* group-fd=: an open /dev/vfio/N (legacy only); -1: none */
} VfioAttachOptions;

#define VFIO_ATTACH_OPTIONS_INIT { .device_fd = -1, .group_fd = -1 }

/*
 * Fills o from the -device properties (each NULL when not given): checks the combinations
 * (fd= needs iommufd=: "add iommufd=NAME"; container= and group-fd= belong to the legacy
 * path, so not with iommufd=) and parses the numbers. The strings must outlive o. Errors
 * (VFIO_ERROR, EINVAL) name the property and say what to write.
 */
bool vfio_attach_options_parse(const char *iommufd, const char *fd, const char *container,
                               const char *group_fd, bool allow_noiommu,
                               VfioAttachOptions *o, GError **errp);

/* What -d stats prints of a device's DMA mappings. False: it has none (no-IOMMU). */
typedef struct VfioDmaStats {
    const char *backend;   /* "type1v2", "type1", "iommufd" */
    uint64_t maps, bytes, ns;
} VfioDmaStats;
bool vfio_device_dma_stats(const VfioDevice *dev, VfioDmaStats *out);

/* What a machine's VFIO state holds right now (the soak cases compare it cycle by cycle,
 * docs/hardening.md): attached devices, open groups, open containers (legacy) and opened
 * iommufds, and the DMA mappings in place in all of them, from armpass's own book-keeping. */
typedef struct VfioResources {
    unsigned devices, groups, containers, iommufds;
    uint64_t dma_mappings;  /* in place now (VfioDmaSpace.dma_live, summed) */
    uint64_t dma_bytes;     /* their bytes */
} VfioResources;
/* Fills *out; ctx NULL gives zeros. No ioctl, no error. Main thread (or the dispatch lock). */
void vfio_context_resources(VfioContext *ctx, VfioResources *out);

/*
 * Creates the VFIO state of one machine. sysfs_root: "/sys" (a fixture folder in tests);
 * dev_root: "/dev/vfio". as: guest memory the DMA listener follows (may be NULL in tests).
 */
VfioContext *vfio_context_new(const HostOps *ops, const char *sysfs_root, const char *dev_root,
                              AddressSpace *as);
/* Every device must have been detached. */
void vfio_context_free(VfioContext *ctx);

/*
 * -object iommufd,id=ID[,fd=FD]: an iommufd context devices name with iommufd=ID. It is
 * opened (/dev/iommu, or FD checked) and gets its IOAS when the first device uses it; one no
 * device uses is never opened. fd -1: none given. Errors: id already taken (EEXIST).
 */
bool vfio_context_add_iommufd(VfioContext *ctx, const char *id, int fd, GError **errp);
/*
 * -object vfio-container,id=ID,fd=FD: an open /dev/vfio/vfio that devices naming it with
 * container=ID join (their groups, that is); checked when the first of them attaches.
 * Errors: id already taken (EEXIST), fd < 0 (EINVAL).
 */
bool vfio_context_add_container(VfioContext *ctx, const char *id, int fd, GError **errp);
/* Where the iommufd backend opens /dev/iommu ("/dev/iommu"; a fake's path in tests). */
void vfio_context_set_iommu_path(VfioContext *ctx, const char *path);
/* The host's page size in bytes: the unit of every mmap and memslot. */
uint64_t vfio_context_page_size(const VfioContext *ctx);

/*
 * The one-line hint for a device whose node says gpio-controller or interrupt-controller
 * (what: that property) and whose interrupt VFIO could not request (VFIO_DEVICE_SET_IRQS
 * TRIGGER: EINVAL): why (a host driver that bound it since boot installed a chained handler,
 * IRQ_NOREQUEST, which unbinding does not undo) and the boot-time way around it. vfio_driver:
 * vfio-amba or vfio-platform. Shared by vfio-platform/amba's realize and armpass probe.
 * g_free it.
 */
char *vfio_irq_controller_hint(const char *what, const char *vfio_driver);

/*
 * Finds a platform or AMBA device by name under <sysfs>/bus/platform/devices and
 * <sysfs>/bus/amba/devices. Returns its sysfs folder (g_free). Errors: no such device (the
 * message says where it looked).
 */
char *vfio_find_sysfs_device(VfioContext *ctx, const char *name, GError **errp);

/*
 * Opens the device at sysfs_path for passthrough: checks it is bound to a vfio driver
 * (else: names its driver and how to bind vfio-platform/vfio-amba), finds its group from the
 * iommu_group link, opens the group (shared with other devices of the group; EBUSY: "another
 * process has it open"), checks it is viable, puts it in a container (shared where the
 * kernel accepts the group; IOMMU types Type1v2, then Type1; no-IOMMU groups only when
 * allow_noiommu, with a warning that the device can reach all memory by DMA), gets the
 * device fd and VFIO_DEVICE_GET_INFO. Errors name the device, the ioctl and errno; nothing
 * is left open on failure. The same device twice is an error.
 */
VfioDevice *vfio_device_attach(VfioContext *ctx, const char *sysfs_path, bool allow_noiommu,
                               GError **errp);
/*
 * vfio_device_attach with the backend and descriptors of o. iommufd (o->iommufd): the
 * device's cdev (<sysfs_path>/vfio-dev/vfioN -> <dev_root>/devices/vfioN, or o->device_fd,
 * checked against that sysfs entry), VFIO_DEVICE_BIND_IOMMUFD, VFIO_DEVICE_ATTACH_IOMMUFD_PT
 * to the object's one IOAS, guest RAM mapped there with IOMMU_IOAS_MAP after checking it
 * against IOMMU_IOAS_IOVA_RANGES (Documentation/userspace-api/iommufd.rst, the cdev section of
 * Documentation/driver-api/vfio.rst). Legacy: as vfio_device_attach, with o->container's and
 * o->group_fd's descriptors instead of opening /dev/vfio/vfio and /dev/vfio/N. Errors say
 * what to use instead when the kernel cannot do it (no /dev/iommu, no cdev, a no-IOMMU
 * device on iommufd) and what is wrong with a passed descriptor.
 */
VfioDevice *vfio_device_attach_opts(VfioContext *ctx, const char *sysfs_path,
                                    const VfioAttachOptions *o, GError **errp);
/* Closes the device fd, and the group and container when their last device goes (DMA
 * mappings are removed first). */
void vfio_device_detach(VfioDevice *dev);

/* VFIO_DEVICE_GET_REGION_INFO for index, growing argsz to read the capability chain. */
bool vfio_device_get_region_info(VfioDevice *dev, unsigned index, VfioRegionInfo *out,
                                 GError **errp);
/* VFIO_DEVICE_GET_IRQ_INFO for index. */
bool vfio_device_get_irq_info(VfioDevice *dev, unsigned index, struct vfio_irq_info *out,
                              GError **errp);
/* VFIO_DEVICE_SET_IRQS with one eventfd (DATA_EVENTFD) for action VFIO_IRQ_SET_ACTION_TRIGGER
 * or _UNMASK at sub-index start (count 1: MSI-X vector N alone is start N; 0 for INTx and
 * platform IRQs); fd -1 tears that eventfd down. Errors: an other action (EINVAL), the
 * kernel's refusal: "vfio DEVICE: VFIO_DEVICE_SET_IRQS (index 0, UNMASK eventfd 9): <errno>"
 * ("index 2, start 3" when start is not 0). Source: include/uapi/linux/vfio.h. */
bool vfio_device_set_irq_eventfd(VfioDevice *dev, unsigned index, unsigned start,
                                 uint32_t action, int fd, GError **errp);
/* VFIO_DEVICE_SET_IRQS DATA_EVENTFD | ACTION_TRIGGER for count sub-indexes from start, one
 * eventfd each (fds[i] -1: none for that one). For MSI-X the kernel (6.1) enables as many
 * host vectors as start + count. */
bool vfio_device_set_irq_eventfds(VfioDevice *dev, unsigned index, unsigned start,
                                  unsigned count, const int32_t *fds, GError **errp);
/* VFIO_DEVICE_SET_IRQS DATA_NONE with ACTION_UNMASK at start 0: completes a level interrupt
 * by hand. */
bool vfio_device_irq_unmask(VfioDevice *dev, unsigned index, GError **errp);
/* VFIO_DEVICE_SET_IRQS DATA_NONE | ACTION_TRIGGER with count 0: disables the whole index. */
bool vfio_device_irq_disable(VfioDevice *dev, unsigned index, GError **errp);
/* VFIO_DEVICE_RESET when the device offers it (VFIO_DEVICE_FLAGS_RESET); true otherwise. */
bool vfio_device_reset(VfioDevice *dev, GError **errp);
/* pread/pwrite of len bytes at offset in the device fd; errors name the device and errno. */
bool vfio_device_pread(VfioDevice *dev, void *buf, size_t len, uint64_t offset, GError **errp);
bool vfio_device_pwrite(VfioDevice *dev, const void *buf, size_t len, uint64_t offset,
                        GError **errp);

/*
 * The capability chain walker. buf holds argsz bytes of an info struct whose chain starts at
 * byte first (0: none); header_size is the struct's fixed part (caps must lie past it).
 * Calls fn for each capability with its header and the bytes available from it. Refuses
 * (error naming the offset): an offset inside the fixed part or past argsz, a header or
 * capability that does not fit, a chain that does not move forward (loops). Unknown ids are
 * fn's to skip.
 */
typedef bool (*VfioCapFn)(const struct vfio_info_cap_header *cap, size_t avail, void *opaque,
                          GError **errp);
bool vfio_cap_chain_walk(const void *buf, size_t argsz, uint32_t first, size_t header_size,
                         VfioCapFn fn, void *opaque, GError **errp);

/* Parses a raw VFIO_DEVICE_GET_REGION_INFO answer of len bytes (struct + caps) into out:
 * SPARSE_MMAP areas (each must lie inside the region) and TYPE; unknown caps skipped.
 * The fuzz target's entry point. */
bool vfio_region_info_parse(const void *buf, size_t len, VfioRegionInfo *out, GError **errp);

/* A device region as the guest sees it: a trapped MemoryRegion (pread/pwrite on the device
 * fd, 1/2/4/8-byte accesses) with mmap'd RAM_DEVICE subregions over every mappable,
 * page-aligned area. */
typedef struct VfioRegionMmap {
    uint64_t offset; /* from the region's start, bytes */
    uint64_t size;
    void *host;      /* the mmap, host-virtual */
    MemoryRegion mr;
} VfioRegionMmap;

/* One register window a quirky device accepts trapped accesses in (hw/vfio/access-quirks.c). */
typedef struct VfioAccessRule {
    uint64_t offset;     /* from the region's start, bytes */
    uint64_t len;        /* bytes */
    unsigned sizes;      /* access sizes accepted, a mask of byte counts: 1|2|4|8 */
    bool at_start_only;  /* only at offset itself (a FIFO register), not inside the window */
    bool write_only;     /* reads refused */
} VfioAccessRule;

/*
 * The access rules of region `region` of the device whose host node (an FDT blob with the
 * device as its root) is host_node, or NULL (*nr_rules 0) if it has no quirk: every in-bounds
 * access is relayed. Never fails.
 */
const VfioAccessRule *vfio_access_quirk(const void *host_node, unsigned region,
                                        unsigned *nr_rules);
/* Whether an access (a write if is_write) of size bytes at region offset addr (bytes) fits a
 * rule, naturally aligned within it. rules NULL: always true. */
bool vfio_access_allowed(const VfioAccessRule *rules, unsigned nr_rules, uint64_t addr,
                         unsigned size, bool is_write);

typedef struct VfioRegion {
    VfioDevice *dev;
    VfioRegionInfo info;
    char *name;            /* "<device>.region<N>" */
    MemoryRegion mr;       /* trapped; the mmaps are its subregions */
    VfioRegionMmap *mmaps;
    unsigned nr_mmaps;
    uint64_t access_errors; /* trapped accesses refused, by the kernel or by the rules */
    const VfioAccessRule *rules; /* a quirk's accepted accesses; NULL: all in bounds */
    unsigned nr_rules;
    bool mmaps_off;        /* vfio_region_mmaps_enable(false): the mmaps are out of mr */
    /* Called after every trapped access (relayed or refused), on the vCPU thread, under the
     * AddressSpace's dispatch_lock; NULL: nobody listens. Set by the owner after setup. */
    void (*on_trap)(void *opaque);
    void *on_trap_opaque;
} VfioRegion;

/*
 * Builds r for region index. allow_mmap false (x-no-mmap=on) keeps every access trapped.
 * Areas smaller than a page or not page-aligned stay trapped. Errors: region info, mmap.
 */
bool vfio_region_setup(VfioDevice *dev, unsigned index, bool allow_mmap, VfioRegion *r,
                       GError **errp);
/* Removes the mmaps (the region must already be out of the guest's memory map). */
void vfio_region_finalize(VfioRegion *r);

/*
 * Takes the mmap'd RAM_DEVICE subregions of r out of r->mr (on false: every access to the
 * region then traps) or puts them back at their offsets, priority 1 (on true). Changes the
 * MemoryRegion tree only: the caller commits once for every region it changed
 * (vfio_device_commit_map). The removed subregions and their mmaps stay alive (a vCPU may still
 * use a view holding them until a grace period has passed); vfio_region_finalize frees them
 * either way. While vCPUs run, call it with the AddressSpace's dispatch_lock held (memory.h:
 * the tree has no lock of its own). Returns whether the tree changed (false: r has no mmaps,
 * or they already were where asked). Never fails. The mechanism of QEMU's
 * vfio_region_mmaps_set_enabled (hw/vfio/region.c).
 */
bool vfio_region_mmaps_enable(VfioRegion *r, bool on);
/*
 * address_space_commit of the AddressSpace dev's context follows (vfio_context_new's as;
 * NULL: nothing to do): memslots follow the tree (KVM_SET_USER_MEMORY_REGION). Under the
 * dispatch_lock like vfio_region_mmaps_enable (lock order: dispatch_lock, then commit_lock).
 * Errors (a listener's region_add, e.g. no memslot left) are logged (g_warning): the view is
 * updated anyway and the guest's accesses to a range without a memslot still work, trapped.
 */
void vfio_device_commit_map(VfioDevice *dev);

typedef struct ArmpassConfig ArmpassConfig;
/*
 * Which of cfg's -device vfio-* will pin all of guest RAM when it is DMA-mapped: *type1 for
 * the legacy container (pinned pages count in the process's locked_vm, against
 * RLIMIT_MEMLOCK: vfio_lock_acct in drivers/vfio/vfio_iommu_type1.c), *iommufd for an IOAS
 * (the user's locked_vm by default: drivers/iommu/iommufd/pages.c). A device in a no-IOMMU
 * group (sysfs_root/bus/.../iommu_group/name "vfio-noiommu") pins nothing. Reads sysfs only;
 * never fails (a device it cannot find counts as pinning).
 */
void vfio_guest_ram_pinning(const ArmpassConfig *cfg, const char *sysfs_root, bool *type1,
                            bool *iommufd);
/* How many of cfg's -device vfio-* sit in a no-IOMMU group (their DMA addresses are
 * host-physical: the devices a direct-mapped guest is for). Reads sysfs only. */
unsigned vfio_config_noiommu_devices(const ArmpassConfig *cfg, const char *sysfs_root);

#endif
