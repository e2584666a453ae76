/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The guest-physical memory model: a tree of MemoryRegions flattened into a FlatView,
 * with listeners told of every range that appears or goes.
 *
 * Addresses and sizes are in bytes. "addr"/"offset" are guest-physical or relative to a
 * parent region; "host" pointers are host-virtual addresses in armpass's own process.
 */
#ifndef ARMPASS_SYSTEM_MEMORY_H
#define ARMPASS_SYSTEM_MEMORY_H

#include "system/rcu.h"

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* Errors of this module (memory_region_init_ram's mmap failure is a G_FILE_ERROR instead). */
#define ARMPASS_MEMORY_ERROR armpass_memory_error_quark()
GQuark armpass_memory_error_quark(void);

typedef enum ArmpassMemoryError {
    ARMPASS_MEMORY_ERROR_EMPTY,        /* a subregion of size 0 */
    ARMPASS_MEMORY_ERROR_HAS_PARENT,   /* a subregion already attached (or an ancestor) */
    ARMPASS_MEMORY_ERROR_OUT_OF_RANGE, /* a subregion that does not fit in its parent */
    ARMPASS_MEMORY_ERROR_OVERLAP,      /* siblings of the same priority overlap */
    ARMPASS_MEMORY_ERROR_NOT_RAM,      /* address_space_write_ram outside RAM */
} ArmpassMemoryError;

typedef struct MemoryRegion MemoryRegion;
typedef struct AddressSpace AddressSpace;
typedef struct MemoryListener MemoryListener;

/* Read/write callbacks for a trapped (MMIO) region. size is 1, 2, 4 or 8 bytes; offset is
 * relative to the region's start. Values are in host byte order, little-endian guest view. */
typedef struct MemoryRegionOps {
    uint64_t (*read)(void *opaque, uint64_t offset, unsigned size);
    void (*write)(void *opaque, uint64_t offset, uint64_t value, unsigned size);
} MemoryRegionOps;

typedef enum MemoryRegionKind {
    MR_CONTAINER,  /* holds subregions only; unclaimed space is unassigned */
    MR_RAM,        /* anonymous guest RAM owned by armpass: memslot + DMA-mapped */
    MR_RAM_DEVICE, /* a user pointer (an mmap of a device): memslot, never DMA-mapped */
    MR_IO,         /* trapped: every access goes through ops */
} MemoryRegionKind;

struct MemoryRegion {
    char *name;
    MemoryRegionKind kind;
    uint64_t size;                 /* bytes */
    void *host;                    /* MR_RAM / MR_RAM_DEVICE: host-virtual base */
    bool owns_host;                /* MR_RAM allocated by memory_region_init_ram() */
    const MemoryRegionOps *ops;    /* MR_IO */
    void *opaque;                  /* MR_IO */
    MemoryRegion *parent;
    uint64_t addr;                 /* offset in parent, bytes */
    int priority;                  /* higher wins where siblings overlap */
    GList *subregions;             /* MemoryRegion *, highest priority first */
    /* Counters a benchmark reads (trapped accesses). Updated under the dispatch lock. */
    uint64_t trapped_reads, trapped_writes;
};

/*
 * One contiguous piece of the flattened view: guest-physical [addr, addr + size) is served
 * by mr at byte offset offset_in_region.
 *
 * Lifetime: a reader (a vCPU thread in address_space_rw) may still hold a FlatRange of a
 * view that a commit has just replaced, and so reach its mr, until a grace period has passed.
 * A MemoryRegion taken out of the map must therefore stay alive (not finalized, its host
 * memory not unmapped, its ops' opaque not freed) until address_space_synchronize has
 * returned after that commit, or until the vCPU threads have stopped.
 */
typedef struct FlatRange {
    uint64_t addr;
    uint64_t size;
    MemoryRegion *mr;
    uint64_t offset_in_region;
} FlatRange;

typedef struct FlatView {
    FlatRange *ranges; /* sorted by addr, never overlapping */
    unsigned nr;
    ArmpassRcuHead rcu; /* an AddressSpace's old view is freed after a grace period */
} FlatView;

/*
 * A listener hears of every range that is added to or removed from an AddressSpace's view
 * when it is committed. region_add may fail (the commit then fails with its error);
 * region_del may not. Either callback may be NULL.
 */
struct MemoryListener {
    const char *name;
    bool (*region_add)(MemoryListener *l, const FlatRange *fr, GError **errp);
    void (*region_del)(MemoryListener *l, const FlatRange *fr);
};

/*
 * Concurrency. view is RCU-protected (system/rcu.h): address_space_rw and
 * address_space_write_ram read it inside a read-side section, with no lock, from any
 * registered thread; a commit publishes the new view with rcu_assign_pointer and frees the
 * old one after a grace period (call_rcu), so a commit never waits for readers and may run
 * on a vCPU thread inside a trapped access (a guest programming a PCI BAR).
 * commit_lock serialises commits and guards listeners; listeners are called under it.
 * Lock order: dispatch_lock, then commit_lock; never dispatch_lock under commit_lock.
 * The MemoryRegion tree itself has no lock: while vCPUs run, change it (and commit) only on
 * one thread at a time, e.g. in trapped-access callbacks, which dispatch_lock serialises.
 * Code on the committing thread may read view directly (it cannot change under it).
 */
struct AddressSpace {
    char *name;
    MemoryRegion *root;
    FlatView *view;       /* current committed view (RCU), or NULL before the first commit */
    GPtrArray *listeners; /* MemoryListener *, under commit_lock */
    GMutex commit_lock;   /* serialises commits and listener (un)registration */
    GMutex dispatch_lock; /* serialises trapped accesses (vCPU threads, main loop) */
    uint64_t unassigned_accesses; /* under dispatch_lock */
};

void memory_region_init_container(MemoryRegion *mr, const char *name, uint64_t size);
/* Anonymous guest RAM of size bytes (mmap, MAP_NORESERVE). Errors: mmap's errno. */
bool memory_region_init_ram(MemoryRegion *mr, const char *name, uint64_t size, GError **errp);
/* Guest RAM at host-virtual host, size bytes, that a memory backend owns (system/hostmem.h):
 * mapped into the guest and DMA-mapped like memory_region_init_ram's, never unmapped here. */
void memory_region_init_ram_ptr(MemoryRegion *mr, const char *name, uint64_t size, void *host);
/* A region backed by host-virtual memory armpass does not own (an mmap of a device region):
 * mapped into the guest like RAM but never DMA-mapped (see memory_region_is_ram). */
void memory_region_init_ram_device_ptr(MemoryRegion *mr, const char *name, uint64_t size,
                                       void *host);
void memory_region_init_io(MemoryRegion *mr, const char *name, uint64_t size,
                           const MemoryRegionOps *ops, void *opaque);
/* Frees the name, subregion list and owned RAM. Detaches from its parent if still attached.
 * While vCPUs run, only once the region is out of the committed map and
 * address_space_synchronize has returned (see FlatRange). */
void memory_region_finalize(MemoryRegion *mr);

/*
 * Places sub at byte offset offset inside parent with priority. Errors (nothing changes):
 * sub is empty, already has a parent, does not fit inside parent, or overlaps a sibling of the
 * same priority.
 */
bool memory_region_add_subregion(MemoryRegion *parent, uint64_t offset, MemoryRegion *sub,
                                 int priority, GError **errp);
void memory_region_del_subregion(MemoryRegion *parent, MemoryRegion *sub);

static inline bool memory_region_is_ram(const MemoryRegion *mr)
{
    return mr->kind == MR_RAM;
}
static inline bool memory_region_is_ram_device(const MemoryRegion *mr)
{
    return mr->kind == MR_RAM_DEVICE;
}
/* True where the guest reaches host memory directly (a memslot): RAM and RAM_DEVICE. */
static inline bool memory_region_is_mapped(const MemoryRegion *mr)
{
    return mr->kind == MR_RAM || mr->kind == MR_RAM_DEVICE;
}

/* Builds the flat view of root: the caller owns the result (flatview_free). */
FlatView *memory_region_flatten(MemoryRegion *root);
void flatview_free(FlatView *fv);
/* The range holding guest-physical addr, or NULL. */
const FlatRange *flatview_lookup(const FlatView *fv, uint64_t addr);

void address_space_init(AddressSpace *as, MemoryRegion *root, const char *name);
/* Tells listeners every range goes, then waits for every pending RCU callback (so that no
 * old view is left unfreed): only once no thread accesses as any more, never inside a
 * read-side section. */
void address_space_destroy(AddressSpace *as);
/* Registers l and replays the current view to it. Errors: l's region_add failed. */
bool address_space_add_listener(AddressSpace *as, MemoryListener *l, GError **errp);
void address_space_remove_listener(AddressSpace *as, MemoryListener *l); /* replays removal */
/* Re-flattens the tree and tells listeners what changed: removals first, then additions.
 * Errors: a listener's region_add failed (the view is still updated). Serialised by
 * commit_lock; never waits for readers (the old view is freed after a grace period), so it
 * may run inside a read-side section and under dispatch_lock. The calling thread must be
 * registered with RCU (system/rcu.h). */
bool address_space_commit(AddressSpace *as, GError **errp);
/*
 * Waits until no thread can still reach a view older than the last commit (a grace period,
 * then every pending old view freed: liburcu's synchronize_rcu and rcu_barrier). For callers
 * that must free a MemoryRegion they removed and committed while vCPUs run. Never inside a
 * read-side section, nor with dispatch_lock held (readers wait for it inside theirs).
 */
void address_space_synchronize(AddressSpace *as);

/*
 * One guest access of len bytes (1, 2, 4 or 8) at guest-physical addr, as a vCPU makes it.
 * buf holds little-endian bytes. Returns false when nothing is there (reads then give 0).
 * An access that crosses the end of a trapped region is split into byte accesses.
 * Lock-free lookup in an RCU read-side section (the thread must be registered); trapped
 * accesses run their ops under dispatch_lock, still inside that section.
 */
bool address_space_rw(AddressSpace *as, uint64_t addr, uint8_t *buf, unsigned len,
                      bool is_write);

/* Copies len bytes from host buffer buf into guest RAM at guest-physical addr.
 * Errors: the range is not wholly inside RAM. Used by the boot loader. One RCU read-side
 * section (the thread must be registered): checked and copied against the same view. */
bool address_space_write_ram(AddressSpace *as, uint64_t addr, const void *buf, uint64_t len,
                             GError **errp);

#endif
