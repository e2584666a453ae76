// SPDX-License-Identifier: GPL-2.0-only
/* The MemoryRegion tree, its flattening into a FlatView, listeners and guest access dispatch. */
#define G_LOG_DOMAIN "armpass-memory"

#include "system/memory.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>

G_DEFINE_QUARK(armpass-memory-error-quark, armpass_memory_error)

/* ---- Regions ------------------------------------------------------------------------- */

static void region_init_common(MemoryRegion *mr, const char *name, MemoryRegionKind kind,
                               uint64_t size)
{
    memset(mr, 0, sizeof(*mr));
    mr->name = g_strdup(name);
    mr->kind = kind;
    mr->size = size;
}

void memory_region_init_container(MemoryRegion *mr, const char *name, uint64_t size)
{
    region_init_common(mr, name, MR_CONTAINER, size);
}

bool memory_region_init_ram(MemoryRegion *mr, const char *name, uint64_t size, GError **errp)
{
    void *host = mmap(NULL, size, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

    if (host == MAP_FAILED) {
        int err = errno;

        memset(mr, 0, sizeof(*mr));
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(err),
                    "region \"%s\": mmap of 0x%" PRIx64 " bytes of RAM: %s", name, size,
                    g_strerror(err));
        return false;
    }
    region_init_common(mr, name, MR_RAM, size);
    mr->host = host;
    mr->owns_host = true;
    return true;
}

void memory_region_init_ram_ptr(MemoryRegion *mr, const char *name, uint64_t size, void *host)
{
    region_init_common(mr, name, MR_RAM, size);
    mr->host = host;
}

void memory_region_init_ram_device_ptr(MemoryRegion *mr, const char *name, uint64_t size,
                                       void *host)
{
    region_init_common(mr, name, MR_RAM_DEVICE, size);
    mr->host = host;
}

void memory_region_init_io(MemoryRegion *mr, const char *name, uint64_t size,
                           const MemoryRegionOps *ops, void *opaque)
{
    region_init_common(mr, name, MR_IO, size);
    mr->ops = ops;
    mr->opaque = opaque;
}

void memory_region_finalize(MemoryRegion *mr)
{
    if (mr->parent) {
        memory_region_del_subregion(mr->parent, mr);
    }
    /* The children belong to whoever created them: only let go of them. */
    for (GList *l = mr->subregions; l; l = l->next) {
        ((MemoryRegion *)l->data)->parent = NULL;
    }
    g_list_free(mr->subregions);
    mr->subregions = NULL;
    if (mr->owns_host && mr->host) {
        munmap(mr->host, mr->size);
    }
    mr->host = NULL;
    mr->owns_host = false;
    g_free(mr->name);
    mr->name = NULL;
}

/* [a, a + as) and [b, b + bs) intersect; both ends fit in 64 bits (checked on insertion). */
static bool spans_overlap(uint64_t a, uint64_t as, uint64_t b, uint64_t bs)
{
    return a < b + bs && b < a + as;
}

bool memory_region_add_subregion(MemoryRegion *parent, uint64_t offset, MemoryRegion *sub,
                                 int priority, GError **errp)
{
    GList *pos = NULL;

    if (sub->size == 0) {
        g_set_error(errp, ARMPASS_MEMORY_ERROR, ARMPASS_MEMORY_ERROR_EMPTY,
                    "region \"%s\" is empty: cannot place it in \"%s\" at 0x%" PRIx64,
                    sub->name, parent->name, offset);
        return false;
    }
    if (sub->parent) {
        g_set_error(errp, ARMPASS_MEMORY_ERROR, ARMPASS_MEMORY_ERROR_HAS_PARENT,
                    "region \"%s\" is already in \"%s\" at 0x%" PRIx64
                    ": cannot place it in \"%s\" at 0x%" PRIx64,
                    sub->name, sub->parent->name, sub->addr, parent->name, offset);
        return false;
    }
    for (const MemoryRegion *a = parent; a; a = a->parent) {
        if (a == sub) {
            g_set_error(errp, ARMPASS_MEMORY_ERROR, ARMPASS_MEMORY_ERROR_HAS_PARENT,
                        "region \"%s\" cannot be placed inside \"%s\", which it contains",
                        sub->name, parent->name);
            return false;
        }
    }
    if (offset > parent->size || sub->size > parent->size - offset) {
        g_set_error(errp, ARMPASS_MEMORY_ERROR, ARMPASS_MEMORY_ERROR_OUT_OF_RANGE,
                    "region \"%s\" of size 0x%" PRIx64 " at 0x%" PRIx64
                    " does not fit in \"%s\" of size 0x%" PRIx64,
                    sub->name, sub->size, offset, parent->name, parent->size);
        return false;
    }
    for (GList *l = parent->subregions; l; l = l->next) {
        const MemoryRegion *sib = l->data;

        if (sib->priority == priority &&
            spans_overlap(offset, sub->size, sib->addr, sib->size)) {
            g_set_error(errp, ARMPASS_MEMORY_ERROR, ARMPASS_MEMORY_ERROR_OVERLAP,
                        "region \"%s\" [0x%" PRIx64 ", 0x%" PRIx64 ") overlaps \"%s\" [0x%"
                        PRIx64 ", 0x%" PRIx64 ") at the same priority %d in \"%s\"",
                        sub->name, offset, offset + sub->size, sib->name, sib->addr,
                        sib->addr + sib->size, priority, parent->name);
            return false;
        }
        if (!pos && sib->priority < priority) {
            pos = l;
        }
    }

    sub->parent = parent;
    sub->addr = offset;
    sub->priority = priority;
    /* Highest priority first; among equals, the earlier insertion first. */
    parent->subregions = g_list_insert_before(parent->subregions, pos, sub);
    g_debug("add \"%s\" [0x%" PRIx64 ", 0x%" PRIx64 ") to \"%s\" at priority %d", sub->name,
            offset, offset + sub->size, parent->name, priority);
    return true;
}

void memory_region_del_subregion(MemoryRegion *parent, MemoryRegion *sub)
{
    g_return_if_fail(sub->parent == parent);

    parent->subregions = g_list_remove(parent->subregions, sub);
    sub->parent = NULL;
    g_debug("del \"%s\" [0x%" PRIx64 ", 0x%" PRIx64 ") from \"%s\"", sub->name, sub->addr,
            sub->addr + sub->size, parent->name);
}

/* ---- Flattening ---------------------------------------------------------------------- */

/*
 * Fills the parts of [start, end) that no range of ranges (sorted, non-overlapping) claims yet
 * with pieces of mr, which starts at guest-physical base.
 */
static void fill_gaps(GArray *ranges, uint64_t start, uint64_t end, MemoryRegion *mr,
                      uint64_t base)
{
    unsigned lo = 0, hi = ranges->len;
    uint64_t cur = start;

    /* The first range that ends after start. */
    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        const FlatRange *r = &g_array_index(ranges, FlatRange, mid);

        if (r->addr + r->size <= start) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    for (unsigned i = lo; cur < end; i++) {
        const FlatRange *r = i < ranges->len ? &g_array_index(ranges, FlatRange, i) : NULL;
        uint64_t gap_end = r && r->addr < end ? r->addr : end;

        if (cur < gap_end) {
            FlatRange fr = {
                .addr = cur,
                .size = gap_end - cur,
                .mr = mr,
                .offset_in_region = cur - base,
            };

            g_array_insert_val(ranges, i, fr);
            i++; /* now past the piece just inserted, at r again */
            r = i < ranges->len ? &g_array_index(ranges, FlatRange, i) : NULL;
        }
        if (!r || r->addr >= end) {
            break;
        }
        cur = r->addr + r->size;
    }
}

/* Renders mr, placed at guest-physical base, into ranges: higher-priority parts first. */
static void render_region(GArray *ranges, MemoryRegion *mr, uint64_t base)
{
    for (GList *l = mr->subregions; l; l = l->next) {
        MemoryRegion *sub = l->data;

        render_region(ranges, sub, base + sub->addr);
    }
    if (mr->kind != MR_CONTAINER && mr->size) {
        fill_gaps(ranges, base, base + mr->size, mr, base);
    }
}

FlatView *memory_region_flatten(MemoryRegion *root)
{
    GArray *ranges = g_array_new(FALSE, FALSE, sizeof(FlatRange));
    FlatView *fv = g_new0(FlatView, 1);
    unsigned out = 0;

    render_region(ranges, root, 0);

    /* Merge neighbours that are one contiguous piece of the same region. */
    for (unsigned i = 0; i < ranges->len; i++) {
        FlatRange *cur = &g_array_index(ranges, FlatRange, i);
        FlatRange *prev = out ? &g_array_index(ranges, FlatRange, out - 1) : NULL;

        if (prev && prev->mr == cur->mr && prev->addr + prev->size == cur->addr &&
            prev->offset_in_region + prev->size == cur->offset_in_region) {
            prev->size += cur->size;
        } else {
            g_array_index(ranges, FlatRange, out++) = *cur;
        }
    }
    g_array_set_size(ranges, out);

    fv->nr = ranges->len;
    fv->ranges = (FlatRange *)(void *)g_array_free(ranges, fv->nr == 0);
    return fv;
}

void flatview_free(FlatView *fv)
{
    if (fv) {
        g_free(fv->ranges);
        g_free(fv);
    }
}

const FlatRange *flatview_lookup(const FlatView *fv, uint64_t addr)
{
    unsigned lo = 0, hi;

    if (!fv) {
        return NULL;
    }
    hi = fv->nr;
    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        const FlatRange *r = &fv->ranges[mid];

        if (addr < r->addr) {
            hi = mid;
        } else if (addr - r->addr >= r->size) {
            lo = mid + 1;
        } else {
            return r;
        }
    }
    return NULL;
}

/* ---- Address spaces and listeners ---------------------------------------------------- */

void address_space_init(AddressSpace *as, MemoryRegion *root, const char *name)
{
    memset(as, 0, sizeof(*as));
    as->name = g_strdup(name);
    as->root = root;
    as->listeners = g_ptr_array_new();
    g_mutex_init(&as->commit_lock);
    g_mutex_init(&as->dispatch_lock);
}

/* call_rcu callback, on liburcu's call_rcu thread: touches nothing but the view itself. */
static void flatview_free_rcu(ArmpassRcuHead *head)
{
    flatview_free((FlatView *)(void *)((char *)head - offsetof(FlatView, rcu)));
}

static void range_debug(const AddressSpace *as, const char *what, const FlatRange *fr)
{
    g_debug("%s: %s [0x%" PRIx64 ", 0x%" PRIx64 ") -> \"%s\" + 0x%" PRIx64, as->name, what,
            fr->addr, fr->addr + fr->size, fr->mr->name, fr->offset_in_region);
}

/* Tells every listener, the last registered first, that fr goes. */
static void notify_del(AddressSpace *as, const FlatRange *fr)
{
    range_debug(as, "region_del", fr);
    for (guint i = as->listeners->len; i-- > 0;) {
        MemoryListener *l = g_ptr_array_index(as->listeners, i);

        if (l->region_del) {
            l->region_del(l, fr);
        }
    }
}

/* Tells every listener, the first registered first, that fr appears. Stops at a failure. */
static bool notify_add(AddressSpace *as, const FlatRange *fr, GError **errp)
{
    range_debug(as, "region_add", fr);
    for (guint i = 0; i < as->listeners->len; i++) {
        MemoryListener *l = g_ptr_array_index(as->listeners, i);

        if (l->region_add && !l->region_add(l, fr, errp)) {
            return false;
        }
    }
    return true;
}

void address_space_destroy(AddressSpace *as)
{
    FlatView *old;

    armpass_mutex_lock(&as->commit_lock);
    old = as->view;
    armpass_rcu_assign_pointer(as->view, NULL);
    if (old) {
        for (unsigned i = old->nr; i-- > 0;) {
            notify_del(as, &old->ranges[i]);
        }
        armpass_call_rcu(&old->rcu, flatview_free_rcu);
    }
    g_ptr_array_free(as->listeners, TRUE);
    as->listeners = NULL;
    armpass_mutex_unlock(&as->commit_lock);
    /* This view and every older one still queued are freed before we go on. */
    armpass_rcu_barrier();
    g_mutex_clear(&as->commit_lock);
    g_mutex_clear(&as->dispatch_lock);
    g_free(as->name);
    as->name = NULL;
    as->root = NULL;
}

/* address_space_add_listener under commit_lock. */
static bool add_listener_locked(AddressSpace *as, MemoryListener *l, GError **errp)
{
    FlatView *view = as->view; /* stable: commits wait for commit_lock */
    unsigned nr = view ? view->nr : 0;

    g_ptr_array_add(as->listeners, l);
    if (!l->region_add) {
        return true;
    }
    for (unsigned i = 0; i < nr; i++) {
        if (!l->region_add(l, &view->ranges[i], errp)) {
            /* Undo: l hears of nothing it was not told of, and stays unregistered. */
            while (l->region_del && i-- > 0) {
                l->region_del(l, &view->ranges[i]);
            }
            g_ptr_array_remove(as->listeners, l);
            return false;
        }
    }
    return true;
}

bool address_space_add_listener(AddressSpace *as, MemoryListener *l, GError **errp)
{
    bool ok;

    armpass_mutex_lock(&as->commit_lock);
    ok = add_listener_locked(as, l, errp);
    armpass_mutex_unlock(&as->commit_lock);
    return ok;
}

void address_space_remove_listener(AddressSpace *as, MemoryListener *l)
{
    FlatView *view;

    armpass_mutex_lock(&as->commit_lock);
    view = as->view;
    if (!g_ptr_array_remove(as->listeners, l)) {
        armpass_mutex_unlock(&as->commit_lock);
        g_return_if_reached();
    }
    if (view && l->region_del) {
        for (unsigned i = view->nr; i-- > 0;) {
            l->region_del(l, &view->ranges[i]);
        }
    }
    armpass_mutex_unlock(&as->commit_lock);
}

static bool flat_range_equal(const FlatRange *a, const FlatRange *b)
{
    return a->addr == b->addr && a->size == b->size && a->mr == b->mr &&
           a->offset_in_region == b->offset_in_region;
}

/* Frees old once no reader can hold it: never waits (the caller may be inside a read-side
 * section, or hold dispatch_lock that a reader waits for). */
static void flatview_retire(FlatView *old)
{
    if (old) {
        armpass_call_rcu(&old->rcu, flatview_free_rcu);
    }
}

/* address_space_commit under commit_lock. */
static bool commit_locked(AddressSpace *as, GError **errp)
{
    FlatView *old = as->view; /* only commits change it, and we hold commit_lock */
    FlatView *new = memory_region_flatten(as->root);
    unsigned nold = old ? old->nr : 0;
    unsigned i, j;

    /* Readers see the old view or the new one, each whole; old stays valid for them (and for
     * the listeners below) until a grace period after flatview_retire. */
    armpass_rcu_assign_pointer(as->view, new);

    /* Both views are sorted by address and never overlap: a range survives only if the other
     * view holds an identical one at the same address. */
    for (i = 0, j = 0; i < nold; i++) {
        const FlatRange *o = &old->ranges[i];

        while (j < new->nr && new->ranges[j].addr < o->addr) {
            j++;
        }
        if (!(j < new->nr && flat_range_equal(o, &new->ranges[j]))) {
            notify_del(as, o);
        }
    }
    for (i = 0, j = 0; j < new->nr; j++) {
        const FlatRange *n = &new->ranges[j];

        while (i < nold && old->ranges[i].addr < n->addr) {
            i++;
        }
        if (!(i < nold && flat_range_equal(n, &old->ranges[i])) && !notify_add(as, n, errp)) {
            flatview_retire(old);
            return false;
        }
    }
    flatview_retire(old);
    return true;
}

bool address_space_commit(AddressSpace *as, GError **errp)
{
    bool ok;

    armpass_mutex_lock(&as->commit_lock);
    ok = commit_locked(as, errp);
    armpass_mutex_unlock(&as->commit_lock);
    return ok;
}

void address_space_synchronize(AddressSpace *as)
{
    (void)as; /* one grace period covers every AddressSpace */
    g_return_if_fail(!armpass_rcu_read_ongoing());
    armpass_rcu_synchronize();
    armpass_rcu_barrier(); /* and the old views are freed, so nothing can reach them */
}

/* ---- Guest accesses ------------------------------------------------------------------ */

/*
 * Everything below runs inside one RCU read-side section, taken by the public functions: the
 * view loaded with rcu_dereference, its ranges and their regions stay valid until the end.
 */

static bool access_one(AddressSpace *as, const FlatRange *fr, uint64_t addr, uint8_t *buf,
                       unsigned len, bool is_write)
{
    MemoryRegion *mr = fr->mr;
    uint64_t offset = fr->offset_in_region + (addr - fr->addr);

    if (memory_region_is_mapped(mr)) {
        uint8_t *host = (uint8_t *)mr->host + offset;

        if (is_write) {
            memcpy(host, buf, len);
        } else {
            memcpy(buf, host, len);
        }
        return true;
    }

    armpass_mutex_lock(&as->dispatch_lock);
    if (is_write) {
        uint64_t value = 0;

        memcpy(&value, buf, len);
        value = GUINT64_FROM_LE(value);
        mr->trapped_writes++;
        if (mr->ops && mr->ops->write) {
            mr->ops->write(mr->opaque, offset, value, len);
        }
    } else {
        uint64_t value = 0;

        mr->trapped_reads++;
        if (mr->ops && mr->ops->read) {
            value = mr->ops->read(mr->opaque, offset, len);
        }
        value = GUINT64_TO_LE(value);
        memcpy(buf, &value, len);
    }
    armpass_mutex_unlock(&as->dispatch_lock);
    return true;
}

static bool access_unassigned(AddressSpace *as, uint64_t addr, uint8_t *buf, unsigned len,
                              bool is_write)
{
    if (!is_write) {
        memset(buf, 0, len);
    }
    armpass_mutex_lock(&as->dispatch_lock);
    as->unassigned_accesses++;
    armpass_mutex_unlock(&as->dispatch_lock);
    g_debug("%s: unassigned %s of %u bytes at 0x%" PRIx64, as->name,
            is_write ? "write" : "read", len, addr);
    return false;
}

static bool access_view(AddressSpace *as, const FlatView *view, uint64_t addr, uint8_t *buf,
                        unsigned len, bool is_write);

/* One byte at a time, each dispatched wherever it lands in view. True if every byte landed
 * somewhere. The whole access sees one view, even if a byte's callback commits a new one. */
static bool access_split(AddressSpace *as, const FlatView *view, uint64_t addr, uint8_t *buf,
                         unsigned len, bool is_write)
{
    bool ok = true;

    for (unsigned i = 0; i < len; i++) {
        if (addr > UINT64_MAX - i) { /* past the top of the address space */
            ok = access_unassigned(as, addr + i, buf + i, 1, is_write) && ok;
        } else {
            ok = access_view(as, view, addr + i, buf + i, 1, is_write) && ok;
        }
    }
    return ok;
}

static bool access_view(AddressSpace *as, const FlatView *view, uint64_t addr, uint8_t *buf,
                        unsigned len, bool is_write)
{
    const FlatRange *fr = flatview_lookup(view, addr);

    if (!fr) {
        /* Starts in a hole: split only if some later byte lands in a range. */
        for (unsigned i = 1; i < len && addr <= UINT64_MAX - i; i++) {
            if (flatview_lookup(view, addr + i)) {
                return access_split(as, view, addr, buf, len, is_write);
            }
        }
        return access_unassigned(as, addr, buf, len, is_write);
    }
    if (len > fr->size - (addr - fr->addr)) {
        /* crosses the end of the range */
        return access_split(as, view, addr, buf, len, is_write);
    }
    return access_one(as, fr, addr, buf, len, is_write);
}

bool address_space_rw(AddressSpace *as, uint64_t addr, uint8_t *buf, unsigned len,
                      bool is_write)
{
    bool ok;

    g_return_val_if_fail(len == 1 || len == 2 || len == 4 || len == 8, false);

    armpass_rcu_read_lock();
    ok = access_view(as, armpass_rcu_dereference(as->view), addr, buf, len, is_write);
    armpass_rcu_read_unlock();
    return ok;
}

/* address_space_write_ram against one view, inside the caller's read-side section. */
static bool write_ram_view(AddressSpace *as, const FlatView *view, uint64_t addr,
                           const void *buf, uint64_t len, GError **errp)
{
    const uint8_t *src = buf;
    uint64_t cur, left;

    if (len == 0) {
        return true;
    }
    if (addr > UINT64_MAX - (len - 1)) {
        g_set_error(errp, ARMPASS_MEMORY_ERROR, ARMPASS_MEMORY_ERROR_NOT_RAM,
                    "%s: 0x%" PRIx64 " bytes at 0x%" PRIx64 " run past the top of memory",
                    as->name, len, addr);
        return false;
    }

    /* Check the whole span first, so that nothing is written when it fails. */
    for (cur = addr, left = len; left;) {
        const FlatRange *fr = flatview_lookup(view, cur);
        uint64_t chunk;

        if (!fr || !memory_region_is_ram(fr->mr)) {
            if (fr) {
                g_set_error(errp, ARMPASS_MEMORY_ERROR, ARMPASS_MEMORY_ERROR_NOT_RAM,
                            "%s: cannot write 0x%" PRIx64 " bytes at 0x%" PRIx64
                            " to RAM: 0x%" PRIx64 " is in \"%s\", which is not RAM",
                            as->name, len, addr, cur, fr->mr->name);
            } else {
                g_set_error(errp, ARMPASS_MEMORY_ERROR, ARMPASS_MEMORY_ERROR_NOT_RAM,
                            "%s: cannot write 0x%" PRIx64 " bytes at 0x%" PRIx64
                            " to RAM: 0x%" PRIx64 " is unassigned",
                            as->name, len, addr, cur);
            }
            return false;
        }
        chunk = MIN(left, fr->size - (cur - fr->addr));
        cur += chunk;
        left -= chunk;
    }

    for (cur = addr, left = len; left;) {
        const FlatRange *fr = flatview_lookup(view, cur);
        uint64_t chunk = MIN(left, fr->size - (cur - fr->addr));

        memcpy((uint8_t *)fr->mr->host + fr->offset_in_region + (cur - fr->addr), src, chunk);
        src += chunk;
        cur += chunk;
        left -= chunk;
    }
    return true;
}

bool address_space_write_ram(AddressSpace *as, uint64_t addr, const void *buf, uint64_t len,
                             GError **errp)
{
    bool ok;

    armpass_rcu_read_lock();
    ok = write_ram_view(as, armpass_rcu_dereference(as->view), addr, buf, len, errp);
    armpass_rcu_read_unlock();
    return ok;
}
