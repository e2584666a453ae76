// SPDX-License-Identifier: GPL-2.0-only
/* Stress test: vCPU-like threads access guest memory while another thread changes the map. */
#include "system/memory.h"
#include "system/rcu.h"

#include <glib.h>
#include <inttypes.h>
#include <string.h>

#define SYS_SIZE (UINT64_C(1) << 32)
#define RAM_BASE UINT64_C(0x40000000) /* always mapped; a device may sit over part of it */
#define RAM_SIZE UINT64_C(0x10000)
#define WIN_BASE UINT64_C(0x10000000) /* where the movable regions come and go */
#define SLOT_SIZE UINT64_C(0x1000)
#define NR_SLOTS 6                   /* slots in the window, plus one over RAM (below) */
#define OVER_RAM NR_SLOTS            /* the slot at RAM_BASE + 0x4000, priority 1 */
#define CTL_BASE UINT64_C(0x09000000) /* a write there changes the map inside the access */
#define NR_DEVS 4                    /* trapped (MR_IO) movable regions */
#define NR_MOVABLE (NR_DEVS + 1)     /* and one RAM region (a RAM-backed BAR) */
#define NR_READERS 4                 /* SLOT_SIZE / 16 lanes is a multiple of it (below) */
#define ROUNDS 3000                  /* map changes, each one commit */
#define FINALIZE_EVERY 50            /* rounds between a region's finalize and re-init */
#define DEV_LIVE UINT64_C(0x4c4956452d444556)
#define DEV_DEAD UINT64_C(0xdeaddeaddeaddead)

/* A trapped device: its callbacks check that the region they are reached through is live. */
typedef struct Dev {
    uint64_t magic; /* DEV_LIVE, or DEV_DEAD while finalized */
    MemoryRegion mr;
    unsigned index;
    uint64_t accesses; /* under the dispatch lock */
} Dev;

typedef struct Stress {
    MemoryRegion sys, ram, bar_ram, ctl;
    Dev devs[NR_DEVS];
    MemoryRegion *movable[NR_MOVABLE];
    int slot_of[NR_MOVABLE]; /* -1 when not mapped */
    AddressSpace as;
    MemoryListener listener;
    int in_listener; /* atomic: listeners are never called concurrently */
    int done;        /* atomic: the readers stop */
    int started;     /* atomic: readers running */
    GRand *rand;     /* the map-changing thread's */
    unsigned commits, ctl_commits, finalized;
} Stress;

typedef struct Reader {
    Stress *s;
    unsigned index;
    uint64_t accesses;
} Reader;

static void dev_check(const Dev *d, uint64_t offset, unsigned size)
{
    g_assert_cmphex(d->magic, ==, DEV_LIVE);
    g_assert_nonnull(d->mr.name);
    g_assert_true(d->mr.kind == MR_IO);
    g_assert_cmpuint(size, >=, 1);
    g_assert_cmpuint(size, <=, 8);
    g_assert_cmpuint(offset + size, <=, d->mr.size);
}

static uint64_t dev_read(void *opaque, uint64_t offset, unsigned size)
{
    Dev *d = opaque;

    dev_check(d, offset, size);
    d->accesses++;
    return ((uint64_t)d->index << 16) | offset;
}

static void dev_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    Dev *d = opaque;

    (void)value;
    dev_check(d, offset, size);
    d->accesses++;
}

static const MemoryRegionOps dev_ops = { .read = dev_read, .write = dev_write };

static void dev_init(Dev *d, unsigned index)
{
    g_autofree char *name = g_strdup_printf("dev%u", index);

    memory_region_init_io(&d->mr, name, SLOT_SIZE, &dev_ops, d);
    d->index = index;
    d->magic = DEV_LIVE;
}

/* A listener that checks it is never called concurrently and never for a dead region. */
static void listener_enter(Stress *s, const FlatRange *fr)
{
    g_assert_cmpint(g_atomic_int_add(&s->in_listener, 1), ==, 0);
    for (unsigned i = 0; i < NR_DEVS; i++) {
        if (fr->mr == &s->devs[i].mr) {
            g_assert_cmphex(s->devs[i].magic, ==, DEV_LIVE);
        }
    }
    g_atomic_int_add(&s->in_listener, -1);
}

static bool stress_region_add(MemoryListener *l, const FlatRange *fr, GError **errp)
{
    (void)errp;
    listener_enter(G_STRUCT_MEMBER_P(l, -G_STRUCT_OFFSET(Stress, listener)), fr);
    return true;
}

static void stress_region_del(MemoryListener *l, const FlatRange *fr)
{
    listener_enter(G_STRUCT_MEMBER_P(l, -G_STRUCT_OFFSET(Stress, listener)), fr);
}

static bool slot_taken(const Stress *s, int slot)
{
    for (unsigned i = 0; i < NR_MOVABLE; i++) {
        if (s->slot_of[i] == slot) {
            return true;
        }
    }
    return false;
}

/* Places movable region m in a free slot (false if none is free). */
static bool place(Stress *s, unsigned m)
{
    int slot = g_rand_int_range(s->rand, 0, NR_SLOTS + 1);

    for (int tries = 0; tries <= NR_SLOTS; tries++, slot = (slot + 1) % (NR_SLOTS + 1)) {
        if (!slot_taken(s, slot)) {
            bool ok;

            if (slot == OVER_RAM) {
                ok = memory_region_add_subregion(&s->sys, RAM_BASE + 0x4000, s->movable[m], 1,
                                                 NULL);
            } else {
                ok = memory_region_add_subregion(&s->sys, WIN_BASE + slot * SLOT_SIZE,
                                                 s->movable[m], 0, NULL);
            }
            g_assert_true(ok);
            s->slot_of[m] = slot;
            return true;
        }
    }
    return false;
}

static void unplace(Stress *s, unsigned m)
{
    memory_region_del_subregion(&s->sys, s->movable[m]);
    s->slot_of[m] = -1;
}

static void commit(Stress *s)
{
    g_autoptr(GError) err = NULL;

    g_assert_true(address_space_commit(&s->as, &err));
    s->commits++;
}

/* One change of the map and its commit: a region is added, moved or removed. */
static void step(Stress *s)
{
    unsigned m = g_rand_int_range(s->rand, 0, NR_MOVABLE);

    if (s->slot_of[m] < 0) {
        place(s, m); /* (re-)add */
    } else if (g_rand_boolean(s->rand)) {
        int from = s->slot_of[m];

        unplace(s, m); /* move: out and in again elsewhere, in one commit */
        s->slot_of[m] = from; /* keep its old slot out of the choice */
        g_assert_true(place(s, m)); /* NR_SLOTS + 1 > NR_MOVABLE: a slot is free */
    } else {
        unplace(s, m); /* remove */
    }
    commit(s);
}

/* The control register: a guest write that reprograms the map (a PCI BAR, say), so that the
 * commit runs inside a read-side section with the dispatch lock held. */
static void ctl_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    Stress *s = opaque;

    (void)offset, (void)value, (void)size;
    g_assert_true(armpass_rcu_read_ongoing());
    step(s);
    s->ctl_commits++;
}

static const MemoryRegionOps ctl_ops = { .write = ctl_write };

/* Takes a trapped device out of the map, waits for the readers, finalizes it and re-inits it
 * (what unplugging a device while vCPUs run does). */
static void finalize_one(Stress *s)
{
    unsigned d = g_rand_int_range(s->rand, 0, NR_DEVS);

    if (s->slot_of[d] >= 0) {
        unplace(s, d);
        commit(s);
    }
    address_space_synchronize(&s->as);
    s->devs[d].magic = DEV_DEAD;
    memory_region_finalize(&s->devs[d].mr);
    dev_init(&s->devs[d], d);
    s->finalized++;
}

static uint32_t xorshift(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

/*
 * An access of len bytes for reader in [base - 8, base + size + 8): in a 16-byte lane centred
 * on a multiple of 16 (so on every region end: accesses straddle them), lane k belonging to
 * reader k % NR_READERS. Two readers never touch the same byte of RAM: that would be a race
 * of the guest's own, which TSan would rightly report. Slots are SLOT_SIZE apart, a multiple
 * of 16 * NR_READERS, so a region's bytes keep their reader wherever the region moves.
 */
G_STATIC_ASSERT(SLOT_SIZE % (16 * NR_READERS) == 0 && 0x4000 % (16 * NR_READERS) == 0);

static uint64_t lane_addr(uint64_t base, uint64_t size, unsigned reader, uint32_t v,
                          unsigned len)
{
    uint64_t k = (v % (size / 16 / NR_READERS)) * NR_READERS + reader;

    return base + 16 * k - 8 + (v >> 16) % (17 - len);
}

/* A vCPU: guest accesses of every size to the window, RAM and the part a device covers. */
static gpointer reader_thread(gpointer opaque)
{
    Reader *r = opaque;
    AddressSpace *as = &r->s->as;
    uint32_t x = 2463534242u + r->index;

    armpass_rcu_register_thread();
    g_atomic_int_inc(&r->s->started);
    while (!g_atomic_int_get(&r->s->done)) {
        uint32_t v = xorshift(&x), w = xorshift(&x);
        unsigned len = 1u << (v & 3);
        bool is_write = v & 4;
        uint8_t buf[64] = { 0 };
        uint64_t addr;

        switch ((v >> 3) & 3) {
        case 0: /* the RAM a device may cover (at RAM_BASE + 0x4000) */
        case 1:
            addr = lane_addr(RAM_BASE + 0x3000, 0x3000, r->index, w, len);
            break;
        case 2: /* the window */
            addr = lane_addr(WIN_BASE, NR_SLOTS * SLOT_SIZE, r->index, w, len);
            break;
        default: /* a boot-loader-like copy into this reader's own page of RAM */
            address_space_write_ram(as, RAM_BASE + 0x8000 + r->index * 0x1000 + w % 0xfc0,
                                    buf, 64, NULL);
            r->accesses++;
            continue;
        }
        address_space_rw(as, addr, buf, len, is_write);
        r->accesses++;
    }
    armpass_rcu_unregister_thread();
    return NULL;
}

static void test_map_changes_under_readers(void)
{
    Stress *s = g_new0(Stress, 1);
    Reader readers[NR_READERS];
    GThread *threads[NR_READERS];
    uint64_t dev_accesses = 0;

    s->rand = g_rand_new_with_seed(42);
    memory_region_init_container(&s->sys, "sys", SYS_SIZE);
    g_assert_true(memory_region_init_ram(&s->ram, "ram", RAM_SIZE, NULL));
    g_assert_true(memory_region_init_ram(&s->bar_ram, "bar-ram", SLOT_SIZE, NULL));
    memory_region_init_io(&s->ctl, "ctl", 0x1000, &ctl_ops, s);
    g_assert_true(memory_region_add_subregion(&s->sys, RAM_BASE, &s->ram, 0, NULL));
    g_assert_true(memory_region_add_subregion(&s->sys, CTL_BASE, &s->ctl, 0, NULL));
    for (unsigned i = 0; i < NR_DEVS; i++) {
        dev_init(&s->devs[i], i);
        s->movable[i] = &s->devs[i].mr;
    }
    s->movable[NR_DEVS] = &s->bar_ram;
    for (unsigned i = 0; i < NR_MOVABLE; i++) {
        s->slot_of[i] = -1;
    }
    address_space_init(&s->as, &s->sys, "stress");
    s->listener = (MemoryListener){ .name = "stress", .region_add = stress_region_add,
                                    .region_del = stress_region_del };
    g_assert_true(address_space_add_listener(&s->as, &s->listener, NULL));
    commit(s);

    for (unsigned i = 0; i < NR_READERS; i++) {
        readers[i] = (Reader){ .s = s, .index = i };
        threads[i] = g_thread_new("reader", reader_thread, &readers[i]);
    }
    while (g_atomic_int_get(&s->started) < NR_READERS) {
        g_thread_yield();
    }

    /* Bounded: ROUNDS changes, half of them made from inside a trapped write. */
    for (unsigned round = 0; round < ROUNDS; round++) {
        if (round % FINALIZE_EVERY == FINALIZE_EVERY - 1) {
            finalize_one(s);
        } else if (round % 2) {
            uint8_t one[4] = { 1 };

            g_assert_true(address_space_rw(&s->as, CTL_BASE, one, 4, true));
        } else {
            step(s);
        }
    }
    g_atomic_int_set(&s->done, 1);
    for (unsigned i = 0; i < NR_READERS; i++) {
        g_thread_join(threads[i]);
        g_assert_cmpuint(readers[i].accesses, >, 0);
        g_test_message("reader %u: %" PRIu64 " accesses", i, readers[i].accesses);
    }
    for (unsigned i = 0; i < NR_DEVS; i++) {
        dev_accesses += s->devs[i].accesses;
    }
    g_test_message("%u commits (%u inside a trapped write), %u finalized, %" PRIu64
                   " device accesses", s->commits, s->ctl_commits, s->finalized, dev_accesses);
    g_assert_cmpuint(s->ctl_commits, >, 0);
    g_assert_cmpuint(s->finalized, >, 0);

    address_space_destroy(&s->as);
    for (unsigned i = 0; i < NR_DEVS; i++) {
        memory_region_finalize(&s->devs[i].mr);
    }
    memory_region_finalize(&s->bar_ram);
    memory_region_finalize(&s->ctl);
    memory_region_finalize(&s->ram);
    memory_region_finalize(&s->sys);
    g_rand_free(s->rand);
    g_free(s);
}

/* Thousands of commits and unassigned accesses: their debug lines would fill the log and,
 * written under stdio's lock, take turns for the readers. */
static void drop_debug(const gchar *domain, GLogLevelFlags level, const gchar *msg,
                       gpointer opaque)
{
    (void)domain, (void)level, (void)msg, (void)opaque;
}

int main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    g_log_set_handler("armpass-memory", G_LOG_LEVEL_DEBUG, drop_debug, NULL);
    armpass_rcu_register_thread();
    g_test_add_func("/memory-rcu/map-changes-under-readers", test_map_changes_under_readers);
    ret = g_test_run();
    armpass_rcu_barrier();
    armpass_rcu_unregister_thread();
    return ret;
}
