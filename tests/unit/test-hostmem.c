// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests of guest RAM's backends: the -object memory-backend-* / -mem-path /
 * -mem-prealloc / -overcommit options and their resolution, the checks against a host's
 * hugetlb pools and RLIMIT_MEMLOCK (a made-up host), the host reader on a fake sysfs, and
 * real anonymous and memfd backends: alignment, THP advice, preallocation over threads,
 * mem-lock, and what smaps says of them. */
#include "hw/vfio/vfio-common.h"
#include "system/hostmem.h"
#include "system/options.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MiB (1024 * 1024ULL)
#define GiB (1024 * MiB)

/* Parses "armpass ARGS" (ARGS split on spaces) into cfg. */
static bool parse_line(ArmpassConfig *cfg, const char *line, GError **errp)
{
    g_autofree char *full = g_strconcat("armpass ", line, NULL);
    g_auto(GStrv) argv = g_strsplit(full, " ", -1);

    armpass_config_init(cfg);
    return armpass_parse_args((int)g_strv_length(argv), argv, cfg, errp);
}

/* ---- Options -------------------------------------------------------------------------- */

typedef struct OkCase {
    const char *line;
    HostMemKind kind;
    uint64_t size;
    bool share, prealloc, hugetlb, thp, lock, implicit;
    unsigned threads;
    uint64_t hugetlbsize;
    const char *mem_path;
} OkCase;

static const OkCase ok_cases[] = {
    /* the default: an implicit anonymous backend of -m, THP on */
    { "-m 256M", HOSTMEM_RAM, 256 * MiB, false, false, false, true, false, true, 1, 0, NULL },
    { "-m 256M -M virt,thp=off", HOSTMEM_RAM, 256 * MiB, false, false, false, false, false,
      true, 1, 0, NULL },
    { "-m 64M -mem-prealloc -overcommit mem-lock=on", HOSTMEM_RAM, 64 * MiB, false, true,
      false, true, true, true, 1, 0, NULL },
    { "-mem-path /dev/hugepages -m 128M", HOSTMEM_FILE, 128 * MiB, false, false, false, true,
      false, true, 1, 0, "/dev/hugepages" },
    /* -m may be left out: the backend's size is guest RAM's */
    { "-object memory-backend-memfd,id=m0,size=1G,hugetlb=on,hugetlbsize=2M "
      "-M virt,memory-backend=m0", HOSTMEM_MEMFD, GiB, true, false, true, true, false, false,
      1, 2 * MiB, NULL },
    { "-m 512M -object memory-backend-memfd,id=m0,size=512M,share=off,prealloc=on,"
      "prealloc-threads=4 -M virt,memory-backend=m0", HOSTMEM_MEMFD, 512 * MiB, false, true,
      false, true, false, false, 4, 0, NULL },
    { "-object memory-backend-ram,id=r,size=64M,share=on,thp=off -M memory-backend=r "
      "-mem-prealloc", HOSTMEM_RAM, 64 * MiB, true, true, false, false, false, false, 1, 0,
      NULL },
    { "-object memory-backend-file,id=f,size=2G,mem-path=/mnt/huge1G,prealloc=on "
      "-M virt,memory-backend=f", HOSTMEM_FILE, 2 * GiB, false, true, false, true, false,
      false, 1, 0, "/mnt/huge1G" },
};

static void test_options_ok(void)
{
    for (unsigned i = 0; i < G_N_ELEMENTS(ok_cases); i++) {
        const OkCase *t = &ok_cases[i];
        g_auto(ArmpassConfig) cfg;
        g_autoptr(GError) err = NULL;
        const HostMemConfig *c;

        if (!parse_line(&cfg, t->line, &err)) {
            g_error("%s: %s", t->line, err->message);
        }
        c = cfg.ram_backend;
        g_assert_nonnull(c);
        g_assert_cmpint(c->kind, ==, t->kind);
        g_assert_cmpuint(c->size, ==, t->size);
        g_assert_cmpuint(cfg.ram_size, ==, t->size);
        g_assert_cmpint(c->share, ==, t->share);
        g_assert_cmpint(c->prealloc, ==, t->prealloc);
        g_assert_cmpint(c->hugetlb, ==, t->hugetlb);
        g_assert_cmpint(c->thp, ==, t->thp);
        g_assert_cmpint(c->lock, ==, t->lock);
        g_assert_cmpint(c->implicit, ==, t->implicit);
        g_assert_cmpuint(c->prealloc_threads, ==, t->threads);
        g_assert_cmpuint(c->hugetlbsize, ==, t->hugetlbsize);
        g_assert_cmpstr(c->mem_path, ==, t->mem_path);
        g_assert_cmpint(c->require_hugetlbfs, ==, t->implicit && t->kind == HOSTMEM_FILE);
    }
}

/* direct-map=on: the backend is preallocated and locked (its pages must be there, and stay,
 * before their host-physical addresses are read). */
static void test_options_direct_map(void)
{
    g_auto(ArmpassConfig) cfg;

    g_assert_true(parse_line(&cfg, "-object memory-backend-memfd,id=m,size=1G,hugetlb=on,"
                                   "hugetlbsize=1G -M virt,memory-backend=m,direct-map=on", NULL));
    g_assert_true(cfg.direct_map);
    g_assert_true(cfg.ram_backend->prealloc);
    g_assert_true(cfg.ram_backend->lock);
    armpass_config_clear(&cfg);
    g_assert_true(parse_line(&cfg, "-object memory-backend-memfd,id=m,size=1G,hugetlb=on "
                                   "-M virt,memory-backend=m", NULL));
    g_assert_false(cfg.direct_map);
    g_assert_false(cfg.ram_backend->lock);
}

typedef struct ErrCase {
    const char *line;
    const char *needle1, *needle2;
} ErrCase;

static const ErrCase err_cases[] = {
    { "-object memory-backend-ram,id=m,size=64M", "nothing uses it", "memory-backend=m" },
    { "-M virt,memory-backend=nope", "memory-backend=nope: no -object has that id", NULL },
    { "-m 256M -object memory-backend-ram,id=m,size=512M -M virt,memory-backend=m",
      "-m 256M differs from the size of memory-backend m (512M)", NULL },
    { "-object memory-backend-ram,id=m -M virt,memory-backend=m", "needs size=SIZE", NULL },
    { "-object memory-backend-ram,id=m,size=3M -M virt,memory-backend=m",
      "not a multiple of 2 MiB", NULL },
    { "-object memory-backend-ram,id=m,size=lots -M virt,memory-backend=m",
      "size=lots", "is not a size" },
    { "-object memory-backend-ram,size=64M", "needs id=NAME", NULL },
    { "-object memory-backend-ram,id=m,size=64M,hugetlb=on", "unknown property \"hugetlb\"",
      "memory-backend-ram takes" },
    { "-object memory-backend-file,id=m,size=64M -M memory-backend=m", "needs mem-path=PATH",
      NULL },
    { "-object memory-backend-memfd,id=m,size=64M,hugetlbsize=2M", "needs hugetlb=on", NULL },
    { "-object memory-backend-memfd,id=m,size=64M,hugetlb=on,hugetlbsize=3M",
      "hugetlbsize=3M is not a page size", NULL },
    { "-object memory-backend-memfd,id=m,size=64M,prealloc-threads=0",
      "prealloc-threads=0 is not a count", NULL },
    { "-object memory-backend-memfd,id=m,size=64M,share=maybe", "share=maybe is not on or off",
      NULL },
    { "-object memory-backend-ram,id=m,size=8M -M virt,memory-backend=m", "out of range", NULL },
    { "-object iommufd,id=m -object memory-backend-ram,id=m,size=64M",
      "id=m is already the id of an -object iommufd", NULL },
    { "-object memory-backend-ram,id=m,size=64M -object iommufd,id=m",
      "id=m is already the id of an -object memory-backend-ram", NULL },
    { "-mem-path /dev/hugepages -object memory-backend-ram,id=m,size=64M -M memory-backend=m",
      "-mem-path and -M memory-backend= both", NULL },
    { "-M virt,thp=off,memory-backend=m -object memory-backend-ram,id=m,size=64M",
      "give thp= on that -object", NULL },
    { "-M virt,thp=maybe", "thp=maybe is not on or off", NULL },
    { "-overcommit cpu-pm=on", "\"cpu-pm\" is not supported", "mem-lock" },
    { "-overcommit mem-lock=sure", "mem-lock=sure is not on or off", NULL },
    { "-M virt,direct-map=on", "direct-map=on needs physically contiguous guest RAM",
      "anonymous memory" },
    { "-object memory-backend-ram,id=r,size=64M -M virt,memory-backend=r,direct-map=on",
      "direct-map=on needs physically contiguous guest RAM", "memory-backend-ram" },
    { "-M virt,direct-map=maybe", "direct-map=maybe is not on or off", NULL },
};

static void test_options_errors(void)
{
    for (unsigned i = 0; i < G_N_ELEMENTS(err_cases); i++) {
        const ErrCase *t = &err_cases[i];
        g_auto(ArmpassConfig) cfg;
        g_autoptr(GError) err = NULL;

        if (parse_line(&cfg, t->line, &err)) {
            g_error("%s: accepted", t->line);
        }
        g_assert_true(err->domain == ARMPASS_OPTIONS_ERROR);
        g_assert_null(strchr(err->message, '\n'));
        if (!strstr(err->message, t->needle1) || (t->needle2 && !strstr(err->message, t->needle2))) {
            g_error("%s: message \"%s\" lacks \"%s\" / \"%s\"", t->line, err->message, t->needle1,
                    t->needle2 ? t->needle2 : "");
        }
    }
}

/* ---- Checks against a made-up host ---------------------------------------------------- */

static void fake_host(HostMemHost *h)
{
    memset(h, 0, sizeof(*h));
    h->base_page_size = 4096;
    h->pmd_size = 2 * MiB;
    h->default_huge_size = 2 * MiB;
    h->pools[0] = (HostHugePool){ 2 * MiB, 150, 150, 0 };
    h->pools[1] = (HostHugePool){ GiB, 1, 1, 0 };
    h->nr_pools = 2;
    h->memlock_limit = 8 * MiB;
    h->ram_and_swap = 4 * GiB;
}

static HostMemConfig *memfd_huge(uint64_t size, uint64_t page)
{
    HostMemConfig *c = hostmem_config_new(HOSTMEM_MEMFD, "m0");

    c->size = size;
    c->hugetlb = true;
    c->hugetlbsize = page;
    return c;
}

static void test_check_pools(void)
{
    HostMemHost h;
    uint64_t ps;

    fake_host(&h);
    {   /* 256 MiB in 2 MiB pages: 128 of 150 */
        g_autoptr(HostMemConfig) c = memfd_huge(256 * MiB, 2 * MiB);
        g_assert_true(hostmem_check(c, &h, &ps, NULL));
        g_assert_cmpuint(ps, ==, 2 * MiB);
    }
    {   /* hugetlbsize left out: the host's default */
        g_autoptr(HostMemConfig) c = memfd_huge(256 * MiB, 0);
        g_assert_true(hostmem_check(c, &h, &ps, NULL));
        g_assert_cmpuint(ps, ==, 2 * MiB);
    }
    {   /* 400 MiB: 200 pages, 150 free; reserved pages are not free either */
        g_autoptr(HostMemConfig) c = memfd_huge(400 * MiB, 2 * MiB);
        g_autoptr(GError) err = NULL;
        g_assert_false(hostmem_check(c, &h, &ps, &err));
        g_assert_error(err, HOSTMEM_ERROR, ENOMEM);
        g_assert_nonnull(strstr(err->message, "needs 200 huge pages of 2 MiB, but the host's "
                                              "pool has 150 free (150 in all)"));
        g_assert_nonnull(strstr(err->message, "hugepages-2048kB/nr_hugepages"));
        g_assert_nonnull(strstr(err->message, "hugepagesz=2M hugepages=200"));
        g_assert_nonnull(strstr(err->message, "vm.nr_hugepages"));
        g_assert_null(strchr(err->message, '\n'));
    }
    {
        g_autoptr(HostMemConfig) c = memfd_huge(256 * MiB, 2 * MiB);
        g_autoptr(GError) err = NULL;
        h.pools[0].resv = 100; /* 50 left for us */
        g_assert_false(hostmem_check(c, &h, &ps, &err));
        g_assert_nonnull(strstr(err->message, "has 50 free"));
        h.pools[0].resv = 0;
    }
    {   /* a page size the host has no pool of */
        g_autoptr(HostMemConfig) c = memfd_huge(256 * MiB, 32 * MiB);
        g_autoptr(GError) err = NULL;
        g_assert_false(hostmem_check(c, &h, &ps, &err));
        g_assert_error(err, HOSTMEM_ERROR, EINVAL);
        g_assert_nonnull(strstr(err->message, "no pool of 32 MiB huge pages (it has 2 MiB, "
                                              "1 GiB)"));
    }
    {   /* 1 GiB pages: the size must be whole pages */
        g_autoptr(HostMemConfig) c = memfd_huge(1536 * MiB, GiB);
        g_autoptr(GError) err = NULL;
        g_assert_false(hostmem_check(c, &h, &ps, &err));
        g_assert_error(err, HOSTMEM_ERROR, EINVAL);
        g_assert_nonnull(strstr(err->message, "not a multiple of its 1 GiB huge pages"));
        g_assert_nonnull(strstr(err->message, "2048M"));
    }
    {
        g_autoptr(HostMemConfig) c = memfd_huge(GiB, GiB);
        g_autoptr(GError) err = NULL;
        g_assert_true(hostmem_check(c, &h, &ps, NULL));
        g_assert_cmpuint(ps, ==, GiB);
        c->size = 2 * GiB;
        g_assert_false(hostmem_check(c, &h, &ps, &err));
        g_assert_nonnull(strstr(err->message, "hugepagesz=1G hugepages=2"));
    }
    {   /* no hugetlb at all */
        g_autoptr(HostMemConfig) c = memfd_huge(256 * MiB, 0);
        g_autoptr(GError) err = NULL;
        h.default_huge_size = 0;
        g_assert_false(hostmem_check(c, &h, &ps, &err));
        g_assert_nonnull(strstr(err->message, "HUGETLBFS"));
        h.default_huge_size = 2 * MiB;
    }
    {   /* anonymous RAM beyond RAM and swap */
        g_autoptr(HostMemConfig) c = hostmem_config_new(HOSTMEM_RAM, "ram");
        g_autoptr(GError) err = NULL;
        c->size = 8 * GiB;
        g_assert_false(hostmem_check(c, &h, &ps, &err));
        g_assert_nonnull(strstr(err->message, "this host has only 4096 MiB of RAM and swap "
                                              "(give a smaller -m)"));
        c->size = 2 * GiB;
        g_assert_true(hostmem_check(c, &h, &ps, NULL));
        g_assert_cmpuint(ps, ==, 4096);
    }
}

static void test_check_mem_path(void)
{
    HostMemHost h;
    uint64_t ps;
    g_autofree char *dir = g_dir_make_tmp("hostmem-XXXXXX", NULL);
    g_autofree char *missing = g_build_filename(dir, "nope", NULL);

    fake_host(&h);
    {
        g_autoptr(HostMemConfig) c = hostmem_config_new(HOSTMEM_FILE, "f");
        g_autoptr(GError) err = NULL;
        c->size = 64 * MiB;
        c->mem_path = g_strdup(missing);
        g_assert_false(hostmem_check(c, &h, &ps, &err));
        g_assert_error(err, HOSTMEM_ERROR, ENOENT);
        g_assert_nonnull(strstr(err->message, "mount -t hugetlbfs"));
    }
    {   /* -mem-path on a filesystem that is not hugetlbfs (the test's /tmp) */
        g_autoptr(HostMemConfig) c = hostmem_config_new(HOSTMEM_FILE, "mem-path");
        g_autoptr(GError) err = NULL;
        c->size = 64 * MiB;
        c->mem_path = g_strdup(dir);
        c->require_hugetlbfs = true;
        g_assert_false(hostmem_check(c, &h, &ps, &err));
        g_assert_error(err, HOSTMEM_ERROR, EINVAL);
        g_assert_nonnull(strstr(err->message, "not on hugetlbfs"));
        /* memory-backend-file takes a file elsewhere (tmpfs for vhost-user, say) */
        c->require_hugetlbfs = false;
        g_assert_true(hostmem_check(c, &h, &ps, NULL));
        g_assert_cmpuint(ps, ==, 4096);
    }
    g_rmdir(dir);
}

static void test_check_memlock(void)
{
    HostMemHost h;
    g_autoptr(GError) err = NULL;

    fake_host(&h);
    g_assert_true(hostmem_check_memlock(&h, 8 * MiB, 0, "x", NULL));
    g_assert_false(hostmem_check_memlock(&h, 256 * MiB, 0, "VFIO's DMA map (type1)", &err));
    g_assert_error(err, HOSTMEM_ERROR, ENOMEM);
    g_assert_nonnull(strstr(err->message, "RLIMIT_MEMLOCK is 8 MiB but VFIO's DMA map (type1) "
                                          "locks 256 MiB of guest RAM"));
    g_assert_nonnull(strstr(err->message, "ulimit -l 262144"));
    g_assert_nonnull(strstr(err->message, "LimitMEMLOCK=268435456"));
    g_assert_nonnull(strstr(err->message, "CAP_IPC_LOCK"));
    g_clear_error(&err);
    g_assert_false(hostmem_check_memlock(&h, 0, 64 * MiB, "iommufd", &err));
    h.cap_ipc_lock = true;
    g_assert_true(hostmem_check_memlock(&h, 256 * MiB, 0, "x", NULL));
    h.cap_ipc_lock = false;
    h.memlock_limit = UINT64_MAX;
    g_assert_true(hostmem_check_memlock(&h, 256 * MiB, 256 * MiB, "x", NULL));
}

/* ---- The host reader on a fake sysfs -------------------------------------------------- */

static void write_file(const char *root, const char *rel, const char *text)
{
    g_autofree char *path = g_build_filename(root, rel, NULL);
    g_autofree char *dir = g_path_get_dirname(path);

    g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
    g_assert_true(g_file_set_contents(path, text, -1, NULL));
}

static void test_host_read(void)
{
    g_autofree char *root = g_dir_make_tmp("hostmem-sys-XXXXXX", NULL);
    HostMemHost h;

    write_file(root, "sys/kernel/mm/transparent_hugepage/enabled", "always [madvise] never\n");
    write_file(root, "sys/kernel/mm/transparent_hugepage/shmem_enabled",
               "always within_size advise [never] deny force\n");
    write_file(root, "sys/kernel/mm/transparent_hugepage/hpage_pmd_size", "2097152\n");
    write_file(root, "sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages", "1\n");
    write_file(root, "sys/kernel/mm/hugepages/hugepages-1048576kB/free_hugepages", "1\n");
    write_file(root, "sys/kernel/mm/hugepages/hugepages-1048576kB/resv_hugepages", "0\n");
    write_file(root, "sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "150\n");
    write_file(root, "sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "22\n");
    write_file(root, "sys/kernel/mm/hugepages/hugepages-2048kB/resv_hugepages", "2\n");
    write_file(root, "proc/meminfo", "MemTotal: 100 kB\nHugepagesize:       2048 kB\n");
    {
        g_autofree char *sys = g_build_filename(root, "sys", NULL);
        g_autofree char *proc = g_build_filename(root, "proc", NULL);
        hostmem_host_read(sys, proc, &h);
    }
    g_assert_cmpstr(h.thp_mode, ==, "madvise");
    g_assert_cmpstr(h.shmem_thp_mode, ==, "never");
    g_assert_cmpuint(h.pmd_size, ==, 2 * MiB);
    g_assert_cmpuint(h.default_huge_size, ==, 2 * MiB);
    g_assert_cmpuint(h.nr_pools, ==, 2);
    g_assert_cmpuint(h.pools[0].page_size, ==, 2 * MiB); /* sorted by size */
    g_assert_cmpuint(h.pools[0].nr, ==, 150);
    g_assert_cmpuint(h.pools[0].free, ==, 22);
    g_assert_cmpuint(h.pools[0].resv, ==, 2);
    g_assert_cmpuint(h.pools[1].page_size, ==, GiB);
    g_assert_true(hostmem_host_pool(&h, GiB) == &h.pools[1]);
    g_assert_null(hostmem_host_pool(&h, 64 * 1024));
    {   /* nothing there: no THP, no pools, a PMD size derived from the page size */
        hostmem_host_read("/nonexistent", "/nonexistent", &h);
        g_assert_cmpstr(h.thp_mode, ==, "");
        g_assert_cmpuint(h.nr_pools, ==, 0);
        g_assert_cmpuint(h.pmd_size, ==, (uint64_t)getpagesize() / 8 * getpagesize());
    }
    {
        g_autofree char *cmd = g_strdup_printf("rm -rf %s", root);
        g_assert_cmpint(system(cmd), ==, 0);
    }
}

/* ---- Real backends -------------------------------------------------------------------- */

/* Pages of [p, p + len) resident now (mincore). */
static uint64_t resident_pages(const void *p, uint64_t len)
{
    uint64_t pages = len / (uint64_t)getpagesize(), n = 0;
    g_autofree unsigned char *vec = g_malloc(pages);

    g_assert_cmpint(mincore((void *)p, len, vec), ==, 0);
    for (uint64_t i = 0; i < pages; i++) {
        n += vec[i] & 1;
    }
    return n;
}

static void test_backend_anonymous(void)
{
    HostMemHost h;
    g_autoptr(HostMemConfig) c = hostmem_config_new(HOSTMEM_RAM, "ram");
    g_autoptr(HostMemBackend) b = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *smaps = NULL, *d = NULL;
    HostMemUsage u;

    hostmem_host_read("/sys", "/proc", &h);
    c->size = 32 * MiB;
    c->implicit = true;
    b = hostmem_backend_new(c, &h, &err);
    g_assert_no_error(err);
    g_assert_cmpuint((uintptr_t)b->host % h.pmd_size, ==, 0);
    g_assert_cmpuint(b->align, ==, h.pmd_size);
    g_assert_cmpint(b->fd, ==, -1);
    g_assert_cmpuint(b->page_size, ==, (uint64_t)getpagesize());
    g_assert_false(b->hugetlb);
    /* the config is copied: the caller's may go */
    g_assert_true(b->cfg != c);
    /* lazily backed: nothing resident until touched */
    g_assert_cmpuint(resident_pages(b->host, b->size), ==, 0);
    memset(b->host, 0xa5, MiB);
    g_assert_cmpuint(resident_pages(b->host, b->size), >=, MiB / getpagesize());
    d = hostmem_backend_describe(b);
    g_assert_nonnull(strstr(d, "anonymous, 32 MiB"));
    g_assert_true(g_file_get_contents("/proc/self/smaps", &smaps, NULL, NULL));
    hostmem_usage_from_smaps(smaps, b->host, &u);
    g_assert_cmpint(u.rss_kib, >=, 1024);
    g_assert_cmpint(u.kernel_page_kib, ==, getpagesize() / 1024);
    /* advised wherever the kernel has THP at all */
    g_assert_cmpint(b->thp, ==, h.thp_mode[0] != '\0');
    g_assert_cmpint(u.anon_huge_kib, >=, 0);
}

static void test_backend_memfd_prealloc_threads(void)
{
    HostMemHost h;
    g_autoptr(HostMemConfig) c = hostmem_config_new(HOSTMEM_MEMFD, "m0");
    g_autoptr(HostMemBackend) b = NULL;
    g_autoptr(GError) err = NULL;
    g_autoptr(GString) out = g_string_new(NULL);
    g_autofree char *smaps = NULL, *link = NULL, *target = NULL;
    HostMemUsage u;

    hostmem_host_read("/sys", "/proc", &h);
    c->size = 16 * MiB;
    c->prealloc = true;
    c->prealloc_threads = 3;
    b = hostmem_backend_new(c, &h, &err);
    g_assert_no_error(err);
    g_assert_cmpint(b->fd, >=, 0);
    /* the memfd a vhost-user device will hand out: named, of guest RAM's size, sealed */
    link = g_strdup_printf("/proc/self/fd/%d", b->fd);
    target = g_file_read_link(link, NULL);
    g_assert_nonnull(strstr(target, "memfd:armpass-ram-m0"));
    g_assert_cmpint(lseek(b->fd, 0, SEEK_END), ==, (off_t)(16 * MiB));
    g_assert_cmpint(ftruncate(b->fd, 32 * MiB), ==, -1); /* F_SEAL_GROW */
    /* preallocated by three threads: every page resident before anything touched it */
    g_assert_cmpuint(resident_pages(b->host, b->size), ==, b->size / getpagesize());
    g_assert_cmpuint(b->prealloc_threads_used, ==, 3);
    g_assert_cmpuint(b->prealloc_ns, >, 0);
    /* shared (memfd's default): a write through the fd shows in guest RAM */
    g_assert_cmpint(pwrite(b->fd, "armpass", 7, 4096), ==, 7);
    g_assert_cmpmem((char *)b->host + 4096, 7, "armpass", 7);
    g_assert_true(g_file_get_contents("/proc/self/smaps", &smaps, NULL, NULL));
    hostmem_usage_from_smaps(smaps, b->host, &u);
    g_assert_cmpint(u.rss_kib, ==, 16 * 1024);
    hostmem_stats_text(b, &u, out);
    g_assert_nonnull(strstr(out->str, "guest RAM: memory-backend-memfd m0, 16 MiB"));
    g_assert_nonnull(strstr(out->str, "shared"));
    g_assert_nonnull(strstr(out->str, "guest RAM prealloc: "));
    g_assert_nonnull(strstr(out->str, "with 3 threads"));
}

static void test_backend_prealloc_more_threads_than_pages(void)
{
    HostMemHost h;
    g_autoptr(HostMemConfig) c = hostmem_config_new(HOSTMEM_RAM, "r");
    g_autoptr(HostMemBackend) b = NULL;

    hostmem_host_read("/sys", "/proc", &h);
    c->size = 2 * MiB;
    b = hostmem_backend_new(c, &h, NULL);
    g_assert_nonnull(b);
    g_assert_true(hostmem_prealloc(b, 1000, NULL));
    g_assert_cmpuint(b->prealloc_threads_used, ==, 2 * MiB / getpagesize());
    g_assert_cmpuint(resident_pages(b->host, b->size), ==, b->size / getpagesize());
}

static void test_backend_file_in_dir(void)
{
    HostMemHost h;
    g_autofree char *dir = g_dir_make_tmp("hostmem-file-XXXXXX", NULL);
    g_autoptr(HostMemConfig) c = hostmem_config_new(HOSTMEM_FILE, "f");
    g_autoptr(HostMemBackend) b = NULL;
    g_autoptr(GError) err = NULL;
    g_autoptr(GDir) d = NULL;

    hostmem_host_read("/sys", "/proc", &h);
    c->size = 4 * MiB;
    c->mem_path = g_strdup(dir);
    c->share = true;
    b = hostmem_backend_new(c, &h, &err);
    g_assert_no_error(err);
    /* an unlinked file: nothing left behind in the directory */
    d = g_dir_open(dir, 0, NULL);
    g_assert_null(g_dir_read_name(d));
    memcpy(b->host, "ram", 3);
    {
        char buf[3];
        g_assert_cmpint(pread(b->fd, buf, 3, 0), ==, 3);
        g_assert_cmpmem(buf, 3, "ram", 3);
    }
    g_rmdir(dir);
}

static void test_backend_memlock(void)
{
    HostMemHost h;
    g_autoptr(HostMemConfig) c = hostmem_config_new(HOSTMEM_RAM, "r");
    g_autoptr(HostMemBackend) b = NULL;
    g_autoptr(GError) err = NULL;

    hostmem_host_read("/sys", "/proc", &h);
    c->size = 2 * MiB;
    c->lock = true;
    b = hostmem_backend_new(c, &h, &err);
    if (!b) {
        /* a tight RLIMIT_MEMLOCK on this machine: the message says what to do */
        g_assert_nonnull(strstr(err->message, "mem-lock=on: mlock"));
        g_assert_nonnull(strstr(err->message, "ulimit -l"));
        g_test_skip("RLIMIT_MEMLOCK below 2 MiB here");
        return;
    }
    g_assert_true(b->locked);
    g_assert_cmpuint(resident_pages(b->host, b->size), ==, b->size / getpagesize());
}

static void test_smaps_parse(void)
{
    static const char smaps[] =
        "7f0000000000-7f0000200000 rw-p 00000000 00:00 0 \n"
        "Rss:                 100 kB\n"
        "AnonHugePages:         0 kB\n"
        "7f4000000000-7f4040000000 rw-s 00000000 00:0f 1234        /memfd:armpass-ram-m0 "
        "(deleted)\n"
        "Size:            1048576 kB\n"
        "KernelPageSize:     2048 kB\n"
        "Rss:                   0 kB\n"
        "AnonHugePages:         0 kB\n"
        "ShmemPmdMapped:        0 kB\n"
        "Shared_Hugetlb:   262144 kB\n"
        "Private_Hugetlb:       0 kB\n"
        "7f4040000000-7f4040001000 rw-p 00000000 00:00 0 \n"
        "Rss:                   4 kB\n";
    HostMemUsage u;

    hostmem_usage_from_smaps(smaps, (void *)0x7f4000100000ULL, &u);
    g_assert_cmpint(u.rss_kib, ==, 0);
    g_assert_cmpint(u.hugetlb_kib, ==, 256 * 1024);
    g_assert_cmpint(u.kernel_page_kib, ==, 2048);
    g_assert_cmpint(u.shmem_huge_kib, ==, 0);
    hostmem_usage_from_smaps(smaps, (void *)0x7f0000000000ULL, &u);
    g_assert_cmpint(u.rss_kib, ==, 100);
    hostmem_usage_from_smaps(smaps, (void *)0x1000, &u);
    g_assert_cmpint(u.rss_kib, ==, -1);
    g_assert_cmpint(u.hugetlb_kib, ==, -1);
    hostmem_usage_from_smaps(NULL, (void *)0x1000, &u);
    g_assert_cmpint(u.rss_kib, ==, -1);
}

/* Which -device vfio-* will pin guest RAM, and in whose account, from a fake sysfs. */
static void test_pin_plan(void)
{
    g_autofree char *root = g_dir_make_tmp("hostmem-pin-XXXXXX", NULL);
    static const struct {
        const char *line;
        bool type1, iommufd;
    } t[] = {
        { "", false, false },
        { "-device pl011", false, false },
        /* an IOMMU group: the legacy container pins, or iommufd= pins in the user's account */
        { "-device vfio-pci,host=0000:00:01.0", true, false },
        { "-device vfio-pci,host=00:01.0", true, false },
        { "-object iommufd,id=i -device vfio-pci,host=0000:00:01.0,iommufd=i", false, true },
        /* a no-IOMMU group pins nothing */
        { "-device vfio-amba,host=9010000.pl031,noiommu=on", false, false },
        { "-device vfio-amba,host=9010000.pl031,noiommu=on -device vfio-pci,host=0000:00:01.0",
          true, false },
        /* a device armpass cannot find counts (its realize refuses it later) */
        { "-device vfio-platform,host=nowhere", true, false },
    };

    write_file(root, "bus/pci/devices/0000:00:01.0/iommu_group/type", "DMA\n");
    write_file(root, "bus/amba/devices/9010000.pl031/iommu_group/name", "vfio-noiommu\n");
    for (unsigned i = 0; i < G_N_ELEMENTS(t); i++) {
        g_auto(ArmpassConfig) cfg;
        g_autoptr(GError) err = NULL;
        bool type1, iommufd;

        if (*t[i].line) {
            g_assert_true(parse_line(&cfg, t[i].line, &err));
        } else {
            armpass_config_init(&cfg);
        }
        vfio_guest_ram_pinning(&cfg, root, &type1, &iommufd);
        if (type1 != t[i].type1 || iommufd != t[i].iommufd) {
            g_error("%s: type1 %d iommufd %d, want %d %d", t[i].line, type1, iommufd,
                    t[i].type1, t[i].iommufd);
        }
    }
    {
        g_autofree char *cmd = g_strdup_printf("rm -rf %s", root);
        g_assert_cmpint(system(cmd), ==, 0);
    }
}

/* hostmem_backend_read_runs against a made-up pagemap: runs merged where both the offsets and
 * the frames are adjacent, a hole, a page not present, frame numbers hidden. */
static void test_read_runs(void)
{
    HostMemBackend b = { 0 };
    g_autofree char *dir = g_dir_make_tmp("hostmem-pagemap-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "pagemap", NULL);
    const uint64_t page = 2 * MiB, base = (uint64_t)getpagesize();
    /* four 2 MiB pages: frames of 0x100000000, 0x100200000 (adjacent), 0x80000000, 0x80200000 */
    const uint64_t hpa[4] = { 0x100000000ULL, 0x100200000ULL, 0x80000000ULL, 0x80200000ULL };
    g_autoptr(HostMemConfig) c = hostmem_config_new(HOSTMEM_MEMFD, "m");
    int fd;

    b.cfg = c;
    b.host = (void *)(uintptr_t)0x7f0000000000ULL;
    b.size = 4 * page;
    b.page_size = page;
    b.hugetlb = true;
    fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    g_assert_cmpint(fd, >=, 0);
    for (unsigned i = 0; i < 4; i++) {
        uint64_t e = (1ULL << 63) | (hpa[i] / base);
        off_t off = (off_t)(((uint64_t)(uintptr_t)b.host + i * page) / base * 8);
        g_assert_cmpint(pwrite(fd, &e, 8, off), ==, 8);
    }
    g_assert_true(hostmem_backend_read_runs(&b, path, NULL));
    g_assert_cmpuint(b.runs->len, ==, 2);
    g_assert_cmphex(g_array_index(b.runs, HostMemRun, 0).hpa, ==, 0x100000000ULL);
    g_assert_cmphex(g_array_index(b.runs, HostMemRun, 0).size, ==, 2 * page);
    g_assert_cmphex(g_array_index(b.runs, HostMemRun, 0).offset, ==, 0);
    g_assert_cmphex(g_array_index(b.runs, HostMemRun, 1).hpa, ==, 0x80000000ULL);
    g_assert_cmphex(g_array_index(b.runs, HostMemRun, 1).size, ==, 2 * page);
    g_assert_cmphex(g_array_index(b.runs, HostMemRun, 1).offset, ==, 2 * page);
    {   /* -d stats lists them */
        g_autoptr(GString) out = g_string_new(NULL);
        HostMemUsage u = { -1, -1, -1, -1, -1 };
        hostmem_stats_text(&b, &u, out);
        g_assert_nonnull(strstr(out->str, "guest RAM direct-mapped: guest-physical = "
                                          "host-physical 0x80000000-0x803fffff (4 MiB)"));
    }
    g_clear_pointer(&b.runs, g_array_unref);
    {   /* frame numbers hidden (no CAP_SYS_ADMIN): every entry present, PFN 0 */
        g_autoptr(GError) err = NULL;
        for (unsigned i = 0; i < 4; i++) {
            uint64_t e = 1ULL << 63;
            off_t off = (off_t)(((uint64_t)(uintptr_t)b.host + i * page) / base * 8);
            g_assert_cmpint(pwrite(fd, &e, 8, off), ==, 8);
        }
        g_assert_false(hostmem_backend_read_runs(&b, path, &err));
        g_assert_error(err, HOSTMEM_ERROR, EPERM);
        g_assert_nonnull(strstr(err->message, "CAP_SYS_ADMIN"));
        g_assert_null(b.runs);
    }
    {   /* a page not present */
        g_autoptr(GError) err = NULL;
        uint64_t e = 0;
        off_t off = (off_t)(((uint64_t)(uintptr_t)b.host + 3 * page) / base * 8);
        g_assert_cmpint(pwrite(fd, &e, 8, off), ==, 8);
        g_assert_false(hostmem_backend_read_runs(&b, path, &err));
        g_assert_error(err, HOSTMEM_ERROR, EFAULT);
        g_assert_nonnull(strstr(err->message, "offset 0x600000 is not present"));
    }
    {
        g_autoptr(GError) err = NULL;
        g_assert_false(hostmem_backend_read_runs(&b, "/nonexistent/pagemap", &err));
        g_assert_error(err, HOSTMEM_ERROR, ENOENT);
    }
    close(fd);
    unlink(path);
    g_rmdir(dir);
}

static void test_size_str(void)
{
    static const struct {
        uint64_t v;
        const char *s;
    } t[] = { { 4096, "4 KiB" }, { 2 * MiB, "2 MiB" }, { GiB, "1 GiB" }, { 300 * MiB, "300 MiB" },
              { 1536 * MiB, "1536 MiB" }, { 1000, "1000 bytes" } };

    for (unsigned i = 0; i < G_N_ELEMENTS(t); i++) {
        g_autofree char *s = hostmem_size_str(t[i].v);
        g_assert_cmpstr(s, ==, t[i].s);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/hostmem/options/ok", test_options_ok);
    g_test_add_func("/hostmem/options/errors", test_options_errors);
    g_test_add_func("/hostmem/options/direct-map", test_options_direct_map);
    g_test_add_func("/hostmem/check/pools", test_check_pools);
    g_test_add_func("/hostmem/check/mem-path", test_check_mem_path);
    g_test_add_func("/hostmem/check/memlock", test_check_memlock);
    g_test_add_func("/hostmem/host-read", test_host_read);
    g_test_add_func("/hostmem/backend/anonymous", test_backend_anonymous);
    g_test_add_func("/hostmem/backend/memfd-prealloc-threads",
                    test_backend_memfd_prealloc_threads);
    g_test_add_func("/hostmem/backend/prealloc-more-threads-than-pages",
                    test_backend_prealloc_more_threads_than_pages);
    g_test_add_func("/hostmem/backend/file-in-dir", test_backend_file_in_dir);
    g_test_add_func("/hostmem/backend/memlock", test_backend_memlock);
    g_test_add_func("/hostmem/smaps", test_smaps_parse);
    g_test_add_func("/hostmem/size-str", test_size_str);
    g_test_add_func("/hostmem/pin-plan", test_pin_plan);
    g_test_add_func("/hostmem/read-runs", test_read_runs);
    return g_test_run();
}
