// SPDX-License-Identifier: GPL-2.0-only
/* Host memory backends for guest RAM: anonymous (THP), memfd (shmem or hugetlb), hugetlbfs
 * files; preallocation over threads, mem-lock, and the checks that come before any of it. */
#define G_LOG_DOMAIN "armpass-hostmem"
#include "system/hostmem.h"

#include <cap-ng.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <linux/memfd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

G_DEFINE_QUARK(armpass-hostmem-error-quark, hostmem_error)

#define MiB (1024 * 1024ULL)

char *hostmem_size_str(uint64_t bytes)
{
    static const char *const units[] = { "bytes", "KiB", "MiB", "GiB", "TiB" };
    unsigned u = 0;

    while (u + 1 < G_N_ELEMENTS(units) && bytes >= 1024 && bytes % 1024 == 0) {
        bytes /= 1024;
        u++;
    }
    return g_strdup_printf("%" PRIu64 " %s", bytes, units[u]);
}

/* A page size as the kernel's command line writes it: 64K, 2M, 1G. */
static char *size_cmdline(uint64_t bytes)
{
    if (bytes % (1024 * MiB) == 0) {
        return g_strdup_printf("%" PRIu64 "G", (uint64_t)(bytes / (1024 * MiB)));
    }
    if (bytes % MiB == 0) {
        return g_strdup_printf("%" PRIu64 "M", (uint64_t)(bytes / MiB));
    }
    return g_strdup_printf("%" PRIu64 "K", bytes / 1024);
}

/* ---- The host ------------------------------------------------------------------------- */

static bool read_u64_file(const char *path, uint64_t *out)
{
    g_autofree char *text = NULL;
    char *end;

    if (!g_file_get_contents(path, &text, NULL, NULL)) {
        return false;
    }
    errno = 0;
    *out = g_ascii_strtoull(text, &end, 10);
    return end != text && errno == 0;
}

/* "always [madvise] never" -> "madvise" */
static void read_thp_mode(const char *path, char *out, size_t len)
{
    g_autofree char *text = NULL;
    const char *open, *close;

    out[0] = '\0';
    if (!g_file_get_contents(path, &text, NULL, NULL) || !(open = strchr(text, '[')) ||
        !(close = strchr(open, ']')) || (size_t)(close - open - 1) >= len) {
        return;
    }
    memcpy(out, open + 1, (size_t)(close - open - 1));
    out[close - open - 1] = '\0';
}

static int pool_cmp(const void *a, const void *b)
{
    const HostHugePool *x = a, *y = b;

    return x->page_size < y->page_size ? -1 : x->page_size > y->page_size;
}

void hostmem_host_read(const char *sysfs_root, const char *proc_root, HostMemHost *host)
{
    g_autofree char *thp = g_build_filename(sysfs_root, "kernel/mm/transparent_hugepage", NULL);
    g_autofree char *pools = g_build_filename(sysfs_root, "kernel/mm/hugepages", NULL);
    g_autofree char *meminfo = g_build_filename(proc_root, "meminfo", NULL);
    g_autofree char *path = NULL, *text = NULL;
    g_autoptr(GDir) dir = NULL;
    struct rlimit rl;
    struct sysinfo si;
    const char *name;

    memset(host, 0, sizeof(*host));
    host->base_page_size = (uint64_t)getpagesize();
    path = g_build_filename(thp, "enabled", NULL);
    read_thp_mode(path, host->thp_mode, sizeof(host->thp_mode));
    g_free(path);
    path = g_build_filename(thp, "shmem_enabled", NULL);
    read_thp_mode(path, host->shmem_thp_mode, sizeof(host->shmem_thp_mode));
    g_free(path);
    path = g_build_filename(thp, "hpage_pmd_size", NULL);
    if (!read_u64_file(path, &host->pmd_size) || host->pmd_size == 0) {
        /* A PMD maps one page-table page of 8-byte entries: 2 MiB with 4 KiB pages, 32 MiB
         * with 16 KiB, 512 MiB with 64 KiB. */
        host->pmd_size = host->base_page_size / 8 * host->base_page_size;
    }
    dir = g_dir_open(pools, 0, NULL);
    while (dir && (name = g_dir_read_name(dir)) && host->nr_pools < HOSTMEM_MAX_POOLS) {
        HostHugePool *p = &host->pools[host->nr_pools];
        g_autofree char *base = g_build_filename(pools, name, NULL);
        g_autofree char *nr = g_build_filename(base, "nr_hugepages", NULL);
        g_autofree char *fr = g_build_filename(base, "free_hugepages", NULL);
        g_autofree char *rs = g_build_filename(base, "resv_hugepages", NULL);
        uint64_t kib;

        if (sscanf(name, "hugepages-%" SCNu64 "kB", &kib) != 1 || kib == 0) {
            continue;
        }
        p->page_size = kib * 1024;
        read_u64_file(nr, &p->nr);
        read_u64_file(fr, &p->free);
        read_u64_file(rs, &p->resv);
        host->nr_pools++;
    }
    qsort(host->pools, host->nr_pools, sizeof(host->pools[0]), pool_cmp);
    if (g_file_get_contents(meminfo, &text, NULL, NULL)) {
        const char *h = strstr(text, "Hugepagesize:");
        if (h) {
            host->default_huge_size = g_ascii_strtoull(h + 13, NULL, 10) * 1024;
        }
    }
    host->memlock_limit = UINT64_MAX;
    if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        host->memlock_limit = rl.rlim_cur;
    }
    if (sysinfo(&si) == 0) {
        host->ram_and_swap = ((uint64_t)si.totalram + si.totalswap) *
                             (si.mem_unit ? si.mem_unit : 1);
    }
    capng_get_caps_process();
    host->cap_ipc_lock = capng_have_capability(CAPNG_EFFECTIVE, CAP_IPC_LOCK);
}

const HostHugePool *hostmem_host_pool(const HostMemHost *host, uint64_t page_size)
{
    for (unsigned i = 0; i < host->nr_pools; i++) {
        if (host->pools[i].page_size == page_size) {
            return &host->pools[i];
        }
    }
    return NULL;
}

/* ---- Configs -------------------------------------------------------------------------- */

static const char *const kind_names[] = {
    [HOSTMEM_RAM] = "memory-backend-ram",
    [HOSTMEM_MEMFD] = "memory-backend-memfd",
    [HOSTMEM_FILE] = "memory-backend-file",
};

const char *hostmem_kind_name(HostMemKind kind)
{
    return kind_names[kind];
}

bool hostmem_kind_from_name(const char *type, HostMemKind *kind)
{
    for (unsigned i = 0; type && i < G_N_ELEMENTS(kind_names); i++) {
        if (strcmp(type, kind_names[i]) == 0) {
            *kind = (HostMemKind)i;
            return true;
        }
    }
    return false;
}

HostMemConfig *hostmem_config_new(HostMemKind kind, const char *id)
{
    HostMemConfig *c = g_new0(HostMemConfig, 1);

    c->kind = kind;
    c->id = g_strdup(id);
    c->share = kind == HOSTMEM_MEMFD; /* QEMU: a memfd is shared unless share=off */
    c->seal = true;
    c->thp = true;
    c->prealloc_threads = 1;
    return c;
}

void hostmem_config_free(HostMemConfig *c)
{
    if (!c) {
        return;
    }
    g_free(c->id);
    g_free(c->mem_path);
    g_free(c);
}

HostMemConfig *hostmem_config_copy(const HostMemConfig *src)
{
    HostMemConfig *c = g_memdup2(src, sizeof(*src));

    c->id = g_strdup(src->id);
    c->mem_path = g_strdup(src->mem_path);
    return c;
}

/* Which kinds take a property (bit per HostMemKind). */
#define K_RAM (1u << HOSTMEM_RAM)
#define K_MEMFD (1u << HOSTMEM_MEMFD)
#define K_FILE (1u << HOSTMEM_FILE)
#define K_ALL (K_RAM | K_MEMFD | K_FILE)

static const struct {
    const char *name;
    unsigned kinds;
} backend_props[] = {
    { "id", K_ALL },          { "size", K_ALL },        { "share", K_ALL },
    { "prealloc", K_ALL },    { "prealloc-threads", K_ALL }, { "thp", K_RAM | K_MEMFD },
    { "hugetlb", K_MEMFD },   { "hugetlbsize", K_MEMFD }, { "seal", K_MEMFD },
    { "mem-path", K_FILE },
};

static const char *kind_props(HostMemKind kind, GString *s)
{
    for (unsigned i = 0; i < G_N_ELEMENTS(backend_props); i++) {
        if (backend_props[i].kinds & (1u << kind)) {
            g_string_append_printf(s, "%s%s", s->len ? ", " : "", backend_props[i].name);
        }
    }
    return s->str;
}

#define OPT_ERR(errp, ...) \
    g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID, __VA_ARGS__)

static bool prop_bool(const char *type, const char *key, const char *value, bool *out,
                      GError **errp)
{
    if (!parse_bool(value, out, NULL)) {
        OPT_ERR(errp, "-object %s: %s=%s is not on or off (e.g. %s=on)", type, key, value, key);
        return false;
    }
    return true;
}

HostMemConfig *hostmem_config_parse(const OptList *ol, GError **errp)
{
    HostMemKind kind;
    g_autoptr(HostMemConfig) c = NULL;
    g_autoptr(GString) names = g_string_new(NULL);
    const char *type = ol->first;
    bool size_seen = false;

    if (!hostmem_kind_from_name(type, &kind)) {
        g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_UNKNOWN,
                    "-object %s: not a memory backend (use memory-backend-ram, "
                    "memory-backend-memfd or memory-backend-file)", type ? type : "");
        return NULL;
    }
    c = hostmem_config_new(kind, NULL);
    for (guint i = 0; i < ol->pairs->len; i++) {
        const OptPair *p = g_ptr_array_index(ol->pairs, i);
        unsigned kinds = 0;

        for (unsigned j = 0; j < G_N_ELEMENTS(backend_props); j++) {
            if (strcmp(p->key, backend_props[j].name) == 0) {
                kinds = backend_props[j].kinds;
            }
        }
        if (!(kinds & (1u << kind))) {
            g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_UNKNOWN,
                        "-object %s: unknown property \"%s\" (%s takes %s)", type, p->key, type,
                        kind_props(kind, names));
            return NULL;
        }
        if (!strcmp(p->key, "id")) {
            g_free(c->id);
            c->id = g_strdup(p->value);
        } else if (!strcmp(p->key, "size")) {
            g_autoptr(GError) err = NULL;

            if (!parse_size(p->value, 0, &c->size, &err)) {
                OPT_ERR(errp, "-object %s: size=%s: %s", type, p->value, err->message);
                return NULL;
            }
            size_seen = true;
        } else if (!strcmp(p->key, "hugetlbsize")) {
            g_autoptr(GError) err = NULL;

            if (!parse_size(p->value, 0, &c->hugetlbsize, &err) || c->hugetlbsize == 0 ||
                (c->hugetlbsize & (c->hugetlbsize - 1))) {
                OPT_ERR(errp, "-object %s: hugetlbsize=%s is not a page size (use a power of "
                        "two the host has a pool of, e.g. hugetlbsize=2M or 1G)", type,
                        p->value);
                return NULL;
            }
        } else if (!strcmp(p->key, "prealloc-threads")) {
            guint64 n;

            if (!g_ascii_string_to_unsigned(p->value, 10, 1, 256, &n, NULL)) {
                OPT_ERR(errp, "-object %s: prealloc-threads=%s is not a count from 1 to 256 "
                        "(e.g. prealloc-threads=4)", type, p->value);
                return NULL;
            }
            c->prealloc_threads = (unsigned)n;
        } else if (!strcmp(p->key, "mem-path")) {
            if (!*p->value) {
                OPT_ERR(errp, "-object %s: mem-path needs a path (e.g. mem-path=/dev/hugepages)",
                        type);
                return NULL;
            }
            g_free(c->mem_path);
            c->mem_path = g_strdup(p->value);
        } else {
            bool v;
            if (!prop_bool(type, p->key, p->value, &v, errp)) {
                return NULL;
            }
            if (!strcmp(p->key, "share")) {
                c->share = v;
            } else if (!strcmp(p->key, "prealloc")) {
                c->prealloc = v;
            } else if (!strcmp(p->key, "hugetlb")) {
                c->hugetlb = v;
            } else if (!strcmp(p->key, "seal")) {
                c->seal = v;
            } else if (!strcmp(p->key, "thp")) {
                c->thp = v;
            }
        }
    }
    if (!c->id || !*c->id) {
        OPT_ERR(errp, "-object %s: needs id=NAME, which -machine memory-backend= names (e.g. "
                "-object %s,id=mem0,size=512M -M virt,memory-backend=mem0)", type, type);
        return NULL;
    }
    if (!size_seen || c->size == 0) {
        OPT_ERR(errp, "-object %s,id=%s: needs size=SIZE, the guest's RAM (e.g. size=512M, "
                "as -m)", type, c->id);
        return NULL;
    }
    if (c->size % (2 * MiB) != 0) {
        OPT_ERR(errp, "-object %s,id=%s: size=0x%" PRIx64 " is not a multiple of 2 MiB (round "
                "it, e.g. size=512M)", type, c->id, c->size);
        return NULL;
    }
    if (c->hugetlbsize && !c->hugetlb) {
        OPT_ERR(errp, "-object %s,id=%s: hugetlbsize= needs hugetlb=on (e.g. "
                "hugetlb=on,hugetlbsize=2M)", type, c->id);
        return NULL;
    }
    if (kind == HOSTMEM_FILE && !c->mem_path) {
        OPT_ERR(errp, "-object %s,id=%s: needs mem-path=PATH, a hugetlbfs mount or a file on "
                "it (e.g. mem-path=/dev/hugepages)", type, c->id);
        return NULL;
    }
    return g_steal_pointer(&c);
}

/* ---- Checks --------------------------------------------------------------------------- */

/* The pool's message when it has too few pages: how many are free and how to grow it. */
static void pool_short_error(const HostMemConfig *c, const HostHugePool *p, uint64_t need,
                             GError **errp)
{
    g_autofree char *ps = hostmem_size_str(p->page_size);
    g_autofree char *size = hostmem_size_str(c->size);
    g_autofree char *boot = size_cmdline(p->page_size);
    uint64_t avail = p->free > p->resv ? p->free - p->resv : 0;
    uint64_t kib = p->page_size / 1024;

    g_set_error(errp, HOSTMEM_ERROR, ENOMEM,
                "%s %s: %s of guest RAM needs %" PRIu64 " huge pages of %s, but the host's pool "
                "has %" PRIu64 " free (%" PRIu64 " in all): grow it with "
                "'echo %" PRIu64 " > /sys/kernel/mm/hugepages/hugepages-%" PRIu64
                "kB/nr_hugepages'%s, or at boot with hugepagesz=%s hugepages=%" PRIu64,
                hostmem_kind_name(c->kind), c->id ? c->id : "", size, need, ps, avail, p->nr,
                p->nr - avail + need, kib,
                p->page_size == 2 * MiB ? " (sysctl vm.nr_hugepages)" : "", boot,
                p->nr - avail + need);
}

/* The pool for page_size: present, with room for size bytes. */
static bool check_pool(const HostMemConfig *c, const HostMemHost *host, uint64_t page_size,
                       GError **errp)
{
    const HostHugePool *p = hostmem_host_pool(host, page_size);
    g_autofree char *ps = hostmem_size_str(page_size);
    g_autofree char *boot = size_cmdline(page_size);
    uint64_t need, avail;

    if (!p) {
        g_autoptr(GString) have = g_string_new(NULL);

        for (unsigned i = 0; i < host->nr_pools; i++) {
            g_autofree char *s = hostmem_size_str(host->pools[i].page_size);
            g_string_append_printf(have, "%s%s", have->len ? ", " : "", s);
        }
        g_set_error(errp, HOSTMEM_ERROR, EINVAL,
                    "%s %s: the host has no pool of %s huge pages (%s%s): use a size it has, "
                    "or boot the host with hugepagesz=%s hugepages=N",
                    hostmem_kind_name(c->kind), c->id ? c->id : "", ps,
                    have->len ? "it has " : "hugetlb is not built in or has no pools",
                    have->str, boot);
        return false;
    }
    if (c->size % page_size) {
        g_autofree char *size = hostmem_size_str(c->size);
        g_set_error(errp, HOSTMEM_ERROR, EINVAL,
                    "%s %s: %s of guest RAM is not a multiple of its %s huge pages (give -m "
                    "and size= in whole pages, e.g. %" PRIu64 "M)", hostmem_kind_name(c->kind),
                    c->id ? c->id : "", size, ps,
                    ((c->size + page_size - 1) / page_size * page_size) >> 20);
        return false;
    }
    need = c->size / page_size;
    avail = p->free > p->resv ? p->free - p->resv : 0;
    if (need > avail) {
        pool_short_error(c, p, need, errp);
        return false;
    }
    return true;
}

bool hostmem_check(const HostMemConfig *c, const HostMemHost *host, uint64_t *page_size,
                   GError **errp)
{
    *page_size = host->base_page_size;
    /* Anonymous and shmem pages may be swapped, but more than the host's RAM and swap
     * together can never be backed: the guest would be OOM-killed part way. */
    if (host->ram_and_swap && c->size > host->ram_and_swap && !(c->kind == HOSTMEM_MEMFD &&
                                                                c->hugetlb)) {
        g_set_error(errp, HOSTMEM_ERROR, ENOMEM, "-m %" PRIu64 "M: this host has only %" PRIu64
                    " MiB of RAM and swap (give a smaller -m)", c->size >> 20,
                    host->ram_and_swap >> 20);
        return false;
    }
    if (c->kind == HOSTMEM_MEMFD && c->hugetlb) {
        uint64_t ps = c->hugetlbsize ? c->hugetlbsize : host->default_huge_size;

        if (!ps) {
            g_set_error(errp, HOSTMEM_ERROR, EINVAL,
                        "%s %s: hugetlb=on, but the host has no huge pages (a kernel with "
                        "HUGETLBFS, booted with hugepagesz=2M hugepages=N)",
                        hostmem_kind_name(c->kind), c->id);
            return false;
        }
        *page_size = ps;
        return check_pool(c, host, ps, errp);
    }
    if (c->kind == HOSTMEM_FILE) {
        struct statfs fs;
        struct stat st;

        if (stat(c->mem_path, &st) != 0) {
            int err = errno;
            g_set_error(errp, HOSTMEM_ERROR, err,
                        "%s %s: mem-path %s: %s (mount hugetlbfs there, e.g. 'mount -t "
                        "hugetlbfs none /dev/hugepages', or give a path that exists)",
                        hostmem_kind_name(c->kind), c->id, c->mem_path, g_strerror(err));
            return false;
        }
        if (statfs(c->mem_path, &fs) != 0) {
            int err = errno;
            g_set_error(errp, HOSTMEM_ERROR, err, "%s %s: statfs %s: %s",
                        hostmem_kind_name(c->kind), c->id, c->mem_path, g_strerror(err));
            return false;
        }
        if ((uint32_t)fs.f_type == (uint32_t)HUGETLBFS_MAGIC) {
            *page_size = (uint64_t)fs.f_bsize;
            return check_pool(c, host, *page_size, errp);
        }
        if (c->require_hugetlbfs) {
            g_set_error(errp, HOSTMEM_ERROR, EINVAL,
                        "-mem-path %s: not on hugetlbfs, so guest RAM would not get huge pages "
                        "(mount it: 'mount -t hugetlbfs none %s'; or use -object "
                        "memory-backend-file for a file elsewhere)", c->mem_path, c->mem_path);
            return false;
        }
        if (S_ISREG(st.st_mode) && (uint64_t)st.st_size < c->size && fs.f_type != TMPFS_MAGIC) {
            g_debug("mem-path %s is smaller than guest RAM: it grows", c->mem_path);
        }
    }
    return true;
}

bool hostmem_check_memlock(const HostMemHost *host, uint64_t locked_vm_bytes,
                           uint64_t user_bytes, const char *what, GError **errp)
{
    uint64_t need = MAX(locked_vm_bytes, user_bytes);
    g_autofree char *limit = NULL, *needed = NULL;

    if (host->cap_ipc_lock || host->memlock_limit == UINT64_MAX || need <= host->memlock_limit) {
        return true;
    }
    limit = hostmem_size_str(host->memlock_limit);
    needed = hostmem_size_str(need);
    g_set_error(errp, HOSTMEM_ERROR, ENOMEM,
                "RLIMIT_MEMLOCK is %s but %s locks %s of guest RAM: raise it (ulimit -l %" PRIu64
                ", or LimitMEMLOCK=%" PRIu64 " in the systemd unit) or give armpass "
                "CAP_IPC_LOCK", limit, what, needed, (need + 1023) / 1024, need);
    return false;
}

/* ---- Backends ------------------------------------------------------------------------- */

static int memfd_huge_flags(uint64_t page_size)
{
    return (int)((unsigned)__builtin_ctzll(page_size) << MFD_HUGE_SHIFT);
}

/* The memfd or file behind c; -1 for anonymous memory. */
static int backend_open(const HostMemConfig *c, uint64_t page_size, bool hugetlb, GError **errp)
{
    int fd = -1;

    if (c->kind == HOSTMEM_MEMFD) {
        g_autofree char *name = g_strdup_printf("armpass-ram-%s", c->id);
        unsigned flags = MFD_CLOEXEC | (c->seal ? MFD_ALLOW_SEALING : 0);

        if (hugetlb) {
            flags |= MFD_HUGETLB | (unsigned)memfd_huge_flags(page_size);
        }
        fd = memfd_create(name, flags);
        if (fd < 0 && errno == EINVAL && c->seal && hugetlb) {
            /* Before Linux 4.16 hugetlb memfds could not be sealed. */
            fd = memfd_create(name, flags & ~MFD_ALLOW_SEALING);
        }
        if (fd < 0) {
            int err = errno;
            g_set_error(errp, HOSTMEM_ERROR, err, "%s %s: memfd_create: %s%s",
                        hostmem_kind_name(c->kind), c->id, g_strerror(err),
                        hugetlb ? " (is the kernel built with HUGETLBFS?)" : "");
            return -1;
        }
    } else if (c->kind == HOSTMEM_FILE) {
        if (g_file_test(c->mem_path, G_FILE_TEST_IS_DIR)) {
            g_autofree char *tmpl = g_build_filename(c->mem_path, "armpass-ram.XXXXXX", NULL);

            fd = mkostemp(tmpl, O_CLOEXEC);
            if (fd >= 0) {
                unlink(tmpl); /* gone with armpass */
            }
        } else {
            fd = open(c->mem_path, O_RDWR | O_CLOEXEC);
        }
        if (fd < 0) {
            int err = errno;
            g_set_error(errp, HOSTMEM_ERROR, err, "%s %s: cannot open a file in %s: %s "
                        "(armpass needs to create and write files there)",
                        hostmem_kind_name(c->kind), c->id, c->mem_path, g_strerror(err));
            return -1;
        }
    } else {
        return -1;
    }
    if (ftruncate(fd, (off_t)c->size) != 0) {
        int err = errno;
        g_set_error(errp, HOSTMEM_ERROR, err, "%s %s: ftruncate to %" PRIu64 " bytes: %s",
                    hostmem_kind_name(c->kind), c->id, c->size, g_strerror(err));
        close(fd);
        return -1;
    }
    if (c->kind == HOSTMEM_MEMFD && c->seal) {
        /* Its size is guest RAM's: nobody it is handed to may change it. Best effort. */
        fcntl(fd, F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL);
    }
    return fd;
}

typedef struct PreallocJob {
    uint8_t *start;
    uint64_t len;
    uint64_t page_size;
    int err; /* errno of the failure, 0: done */
} PreallocJob;

static gpointer prealloc_thread(gpointer opaque)
{
    PreallocJob *j = opaque;

    if (madvise(j->start, j->len, MADV_POPULATE_WRITE) == 0) {
        return NULL;
    }
    if (errno != EINVAL) {
        j->err = errno;
        return NULL;
    }
    /* Before Linux 5.14: touch each page. The memory is fresh (or a file we made), so
     * writing back what is read changes nothing. */
    for (uint64_t off = 0; off < j->len; off += j->page_size) {
        volatile uint8_t *p = j->start + off;
        *p = *p;
    }
    return NULL;
}

bool hostmem_prealloc(HostMemBackend *b, unsigned threads, GError **errp)
{
    uint64_t pages = b->size / b->page_size;
    g_autofree PreallocJob *jobs = NULL;
    g_autofree GThread **th = NULL;
    gint64 t0 = g_get_monotonic_time();
    uint64_t next = 0;

    threads = (unsigned)MAX(1, MIN((uint64_t)threads, pages));
    jobs = g_new0(PreallocJob, threads);
    th = g_new0(GThread *, threads);
    for (unsigned i = 0; i < threads; i++) {
        uint64_t n = pages / threads + (i < pages % threads);

        jobs[i] = (PreallocJob){ (uint8_t *)b->host + next * b->page_size, n * b->page_size,
                                 b->page_size, 0 };
        next += n;
        th[i] = i == 0 ? NULL : g_thread_new("prealloc", prealloc_thread, &jobs[i]);
    }
    prealloc_thread(&jobs[0]);
    for (unsigned i = 1; i < threads; i++) {
        g_thread_join(th[i]);
    }
    for (unsigned i = 0; i < threads; i++) {
        if (jobs[i].err) {
            g_autofree char *d = hostmem_backend_describe(b);
            g_set_error(errp, HOSTMEM_ERROR, jobs[i].err,
                        "%s: preallocating guest RAM: %s%s", d, g_strerror(jobs[i].err),
                        b->hugetlb ? " (the hugetlb pool ran short: grow it)"
                                   : " (the host is short of memory: give a smaller -m)");
            return false;
        }
    }
    b->prealloc_ns += (uint64_t)(g_get_monotonic_time() - t0) * 1000;
    b->prealloc_threads_used = threads;
    return true;
}

HostMemBackend *hostmem_backend_new(HostMemConfig *cfg_in, const HostMemHost *host,
                                    GError **errp)
{
    g_autoptr(HostMemBackend) b = g_new0(HostMemBackend, 1);
    HostMemConfig *c;
    uint64_t page_size, reserve_len;
    void *reserve, *map;
    int flags;

    b->cfg = c = hostmem_config_copy(cfg_in);
    b->fd = -1;
    if (!hostmem_check(c, host, &page_size, errp)) {
        return NULL;
    }
    b->size = c->size;
    b->page_size = page_size;
    b->hugetlb = page_size > host->base_page_size;
    b->align = MAX(page_size, host->pmd_size);
    if (c->kind != HOSTMEM_RAM && (b->fd = backend_open(c, page_size, b->hugetlb, errp)) < 0) {
        return NULL;
    }
    /* Reserve size + align of address space, then map the RAM MAP_FIXED at its first aligned
     * address and give back the rest (QEMU's qemu_ram_mmap does the same). */
    reserve_len = b->size + b->align;
    reserve = mmap(NULL, reserve_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    if (reserve == MAP_FAILED) {
        int err = errno;
        g_set_error(errp, HOSTMEM_ERROR, err, "-m %" PRIu64 "M: cannot allocate guest RAM "
                    "(give a smaller -m, or lift the limit on armpass's address space, "
                    "ulimit -v): reserving %" PRIu64 " MiB of address space: %s",
                    b->size >> 20, reserve_len >> 20, g_strerror(err));
        return NULL;
    }
    b->host = (void *)(((uintptr_t)reserve + b->align - 1) & ~(uintptr_t)(b->align - 1));
    flags = MAP_FIXED | (c->share ? MAP_SHARED : MAP_PRIVATE);
    if (b->fd < 0) {
        /* Anonymous memory is reserved lazily: -m may exceed what is free right now. */
        flags |= MAP_ANONYMOUS | MAP_NORESERVE;
    }
    /* hugetlb pages are reserved here (no MAP_NORESERVE): a short pool fails now. */
    map = mmap(b->host, b->size, PROT_READ | PROT_WRITE, flags, b->fd, 0);
    if (map == MAP_FAILED) {
        int err = errno;
        munmap(reserve, reserve_len);
        b->host = NULL;
        if (b->hugetlb && err == ENOMEM) {
            const HostHugePool *p = hostmem_host_pool(host, page_size);
            if (p) {
                pool_short_error(c, p, b->size / page_size, errp);
                return NULL;
            }
        }
        g_set_error(errp, HOSTMEM_ERROR, err, "%s %s: cannot allocate guest RAM: mmap of %"
                    PRIu64 " MiB: %s (give a smaller -m, or lift ulimit -v)",
                    hostmem_kind_name(c->kind), c->id ? c->id : "ram", b->size >> 20,
                    g_strerror(err));
        return NULL;
    }
    if ((uintptr_t)b->host > (uintptr_t)reserve) {
        munmap(reserve, (uintptr_t)b->host - (uintptr_t)reserve);
    }
    if ((uintptr_t)reserve + reserve_len > (uintptr_t)b->host + b->size) {
        munmap((uint8_t *)b->host + b->size,
               (uintptr_t)reserve + reserve_len - ((uintptr_t)b->host + b->size));
    }
    if (c->thp && !b->hugetlb && c->kind != HOSTMEM_FILE) {
        /* EINVAL: THP is not built in. Then there is nothing to turn on. */
        b->thp = madvise(b->host, b->size, MADV_HUGEPAGE) == 0;
        if (!b->thp) {
            g_debug("madvise(MADV_HUGEPAGE) of guest RAM: %s", g_strerror(errno));
        }
    }
    /* mem-lock=on faults everything in first, over the prealloc threads: mlock would do it
     * on one thread (and sanitizers make mlock a no-op). */
    if ((c->prealloc || c->lock) && !hostmem_prealloc(b, c->prealloc_threads, errp)) {
        return NULL;
    }
    if (c->lock) {
        if (mlock(b->host, b->size) != 0) {
            int err = errno;
            g_set_error(errp, HOSTMEM_ERROR, err, "-overcommit mem-lock=on: mlock of %" PRIu64
                        " MiB of guest RAM: %s (raise RLIMIT_MEMLOCK: ulimit -l, systemd's "
                        "LimitMEMLOCK=, or give armpass CAP_IPC_LOCK)", b->size >> 20,
                        g_strerror(err));
            return NULL;
        }
        b->locked = true;
    }
    {
        g_autofree char *d = hostmem_backend_describe(b);
        g_debug("guest RAM: %s at %p", d, b->host);
    }
    return g_steal_pointer(&b);
}

bool hostmem_backend_read_runs(HostMemBackend *b, const char *pagemap, GError **errp)
{
    uint64_t base_page = (uint64_t)getpagesize();
    g_autoptr(GArray) runs = g_array_new(FALSE, FALSE, sizeof(HostMemRun));
    bool any_pfn = false;
    int fd = open(pagemap, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        int err = errno;
        g_set_error(errp, HOSTMEM_ERROR, err, "direct-map: cannot read %s: %s", pagemap,
                    g_strerror(err));
        return false;
    }
    for (uint64_t off = 0; off < b->size; off += b->page_size) {
        uint64_t va = (uint64_t)(uintptr_t)b->host + off, entry = 0, pfn, hpa;
        HostMemRun *last = runs->len ? &g_array_index(runs, HostMemRun, runs->len - 1) : NULL;

        if (pread(fd, &entry, sizeof(entry), (off_t)(va / base_page * sizeof(entry))) !=
            (ssize_t)sizeof(entry)) {
            int err = errno ? errno : EIO;
            g_set_error(errp, HOSTMEM_ERROR, err, "direct-map: reading %s: %s", pagemap,
                        g_strerror(err));
            close(fd);
            return false;
        }
        if (!(entry >> 63 & 1)) {
            g_set_error(errp, HOSTMEM_ERROR, EFAULT, "direct-map: guest RAM's page at offset "
                        "0x%" PRIx64 " is not present (it must be preallocated and locked)",
                        off);
            close(fd);
            return false;
        }
        pfn = entry & ((1ULL << 55) - 1);
        any_pfn |= pfn != 0;
        hpa = pfn * base_page;
        if (last && last->hpa + last->size == hpa && last->offset + last->size == off) {
            last->size += b->page_size;
        } else {
            HostMemRun r = { hpa, b->page_size, off };
            g_array_append_val(runs, r);
        }
    }
    close(fd);
    if (!any_pfn) {
        g_set_error(errp, HOSTMEM_ERROR, EPERM, "direct-map=on: the host hides guest RAM's "
                    "host-physical addresses from armpass (%s gives page frame numbers only "
                    "to CAP_SYS_ADMIN): run armpass with CAP_SYS_ADMIN", pagemap);
        return false;
    }
    g_clear_pointer(&b->runs, g_array_unref);
    b->runs = g_steal_pointer(&runs);
    return true;
}

void hostmem_backend_free(HostMemBackend *b)
{
    if (!b) {
        return;
    }
    g_clear_pointer(&b->runs, g_array_unref);
    if (b->host) {
        munmap(b->host, b->size);
    }
    if (b->fd >= 0) {
        close(b->fd);
    }
    hostmem_config_free(b->cfg);
    g_free(b);
}

char *hostmem_backend_describe(const HostMemBackend *b)
{
    const HostMemConfig *c = b->cfg;
    g_autofree char *ps = hostmem_size_str(b->page_size);
    g_autofree char *size = hostmem_size_str(b->size);
    g_autoptr(GString) s = g_string_new(NULL);

    if (c->implicit && c->kind == HOSTMEM_RAM) {
        g_string_append(s, "anonymous");
    } else {
        g_string_append_printf(s, "%s %s", hostmem_kind_name(c->kind), c->id);
        if (c->kind == HOSTMEM_FILE) {
            g_string_append_printf(s, " (%s)", c->mem_path);
        }
    }
    g_string_append_printf(s, ", %s, %s pages%s", size, ps,
                           b->hugetlb ? " (hugetlb)" : b->thp ? ", THP madvised" : ", no THP");
    if (c->share) {
        g_string_append(s, ", shared");
    }
    if (b->locked) {
        g_string_append(s, ", locked");
    }
    return g_string_free(g_steal_pointer(&s), FALSE);
}

/* ---- Usage and stats ------------------------------------------------------------------ */

void hostmem_usage_from_smaps(const char *smaps, const void *host, HostMemUsage *u)
{
    g_auto(GStrv) lines = g_strsplit(smaps ? smaps : "", "\n", -1);
    uintptr_t addr = (uintptr_t)host;
    bool in = false, found = false;
    int64_t priv_huge = 0, shared_huge = 0;

    *u = (HostMemUsage){ -1, -1, -1, -1, -1 };
    for (unsigned i = 0; lines[i]; i++) {
        const char *l = lines[i];
        unsigned long start, end;
        char colon;

        if (sscanf(l, "%lx-%lx%c", &start, &end, &colon) == 3 && colon == ' ') {
            if (found && in) {
                break;
            }
            in = start <= addr && addr < end;
            found |= in;
            continue;
        }
        if (!in) {
            continue;
        }
#define FIELD(name, dst)                                                  \
        if (g_str_has_prefix(l, name ":")) {                              \
            dst = g_ascii_strtoll(l + sizeof(name), NULL, 10);            \
            continue;                                                     \
        }
        FIELD("Rss", u->rss_kib);
        FIELD("AnonHugePages", u->anon_huge_kib);
        FIELD("ShmemPmdMapped", u->shmem_huge_kib);
        FIELD("KernelPageSize", u->kernel_page_kib);
        FIELD("Private_Hugetlb", priv_huge);
        FIELD("Shared_Hugetlb", shared_huge);
#undef FIELD
    }
    if (found) {
        u->hugetlb_kib = priv_huge + shared_huge;
    }
}

void hostmem_stats_text(const HostMemBackend *b, const HostMemUsage *u, GString *out)
{
    g_autofree char *d = hostmem_backend_describe(b);
    int64_t huge = 0;

    g_string_append_printf(out, "  guest RAM: %s\n", d);
    if (u->hugetlb_kib > 0) {
        huge = u->hugetlb_kib;
    } else {
        huge = MAX(u->anon_huge_kib, 0) + MAX(u->shmem_huge_kib, 0);
    }
    /* hugetlb pages are not in Rss: the resident figure is the larger of the two. */
    g_string_append_printf(out, "  guest RAM huge pages: %" PRId64 " KiB of %" PRId64
                           " KiB resident (%s: AnonHugePages %" PRId64 ", ShmemPmdMapped %"
                           PRId64 ", hugetlb %" PRId64 " KiB)\n", huge,
                           MAX(u->rss_kib, u->hugetlb_kib),
                           b->hugetlb ? "hugetlb" : b->thp ? "THP" : "base pages",
                           u->anon_huge_kib, u->shmem_huge_kib, u->hugetlb_kib);
    for (guint i = 0; b->runs && i < b->runs->len; i++) {
        const HostMemRun *r = &g_array_index(b->runs, HostMemRun, i);
        g_string_append_printf(out, "  guest RAM direct-mapped: guest-physical = host-physical "
                               "0x%" PRIx64 "-0x%" PRIx64 " (%" PRIu64 " MiB)\n", r->hpa,
                               r->hpa + r->size - 1, r->size >> 20);
    }
    if (b->prealloc_ns) {
        g_string_append_printf(out, "  guest RAM prealloc: %.1f ms with %u thread%s (%.1f "
                               "ms/GiB)\n", b->prealloc_ns / 1e6, b->prealloc_threads_used,
                               b->prealloc_threads_used == 1 ? "" : "s",
                               b->prealloc_ns / 1e6 / ((double)b->size / (1 << 30)));
    }
}
