// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz-host-fdt: a host device-tree node imported and rewritten into a guest node. The input
 * is 4 control bytes, then a device-tree blob as a dt-node=FILE .dtb would give it:
 *   byte 0: the SysbusFdtSpec: bit 0 amba, 1 user_node, 2 clock_rate (24 MHz), 3 periphid,
 *           4 compatible override, 5 no host device-tree folder (dt_base_dir NULL), 6 edge
 *           IRQs, 7 a board without an apb-pclk clock;
 *   byte 1: the guest root: bits 0-2 #address-cells, 3-5 #size-cells (0 absent, 1, 2, 3,
 *           4 a two-cell property, else 2); bit 6 no GIC phandle; bit 7 a 4 KiB guest tree
 *           (libfdt runs out of space);
 *   byte 2: bits 0-1 regions, 2-3 IRQs (0-3 each), bit 4 bases above 4 GiB, bit 5 sizes
 *           above 4 GiB, bit 6 also hand the raw blob (when its header is sane and its
 *           totalsize within the input) to sysbus_fdt_add_node() directly;
 *   byte 3: the low byte of the periphid and of the SPI numbers.
 * host_node_load_blob() imports the blob, sysbus_fdt_add_node() adds the node to a guest tree
 * like virt's (GIC phandle 1, apb-pclk phandle 3). Host clocks are looked up in a fixed host
 * device-tree folder made at start-up (clock providers with phandles 0x10-0x18: fixed 24 MHz,
 * 64-bit rate, #clock-cells 1 and 2 without rates, a rate of 0, #clock-cells 2^32-1, a
 * malformed #clock-cells, linux,phandle without a rate, a provider nested 3 deep).
 * Oracles: the guest tree always stays a valid blob; on success the node is there with
 * compatible (arm,primecell for AMBA), reg and interrupts of the sizes asked, no phandle or
 * interrupts-extended, every guest clock it references exists, every phandle of the tree
 * names one node, and the machine can still hand out a valid phandle.
 */
#include "fuzz-common.h"
#include "hw/core/fdt.h"
#include "hw/vfio/host-node.h"
#include "hw/vfio/sysbus-fdt.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <libfdt.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#define GUEST_PHANDLE_GIC 1
#define GUEST_PHANDLE_APB_PCLK 3
#define GUEST_PHANDLE_FIRST_FREE 4

static char *host_tmp;  /* the temporary folder */
static char *host_base; /* host_tmp/base: the host's /sys/firmware/devicetree/base */

/* ---- the host device-tree folder ---- */

static void put_prop(const char *dir, const char *name, const void *val, size_t len)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);

    if (!g_file_set_contents(path, val, (gssize)len, NULL)) {
        fprintf(stderr, "fuzz-host-fdt: cannot write %s\n", path);
        abort();
    }
}

static void put_u32(const char *dir, const char *name, uint32_t v)
{
    fdt32_t c = cpu_to_fdt32(v);

    put_prop(dir, name, &c, sizeof(c));
}

static char *add_node(const char *parent, const char *name, uint32_t phandle)
{
    char *dir = g_build_filename(parent, name, NULL);

    if (g_mkdir_with_parents(dir, 0755) < 0) {
        fprintf(stderr, "fuzz-host-fdt: cannot make %s\n", dir);
        abort();
    }
    put_prop(dir, "name", name, strlen(name) + 1);
    if (phandle) {
        put_u32(dir, "phandle", phandle);
    }
    return dir;
}

static void rm_rf(const char *path)
{
    GDir *d = g_dir_open(path, 0, NULL);
    const char *e;

    if (d) {
        while ((e = g_dir_read_name(d))) {
            g_autofree char *p = g_build_filename(path, e, NULL);
            rm_rf(p);
        }
        g_dir_close(d);
        g_rmdir(path);
    } else {
        g_unlink(path);
    }
}

/* Folders of earlier runs that crashed (abort() skips atexit): "fuzz-host-fdt-PID" in the
 * temporary directory whose PID is gone. */
static void remove_stale_trees(void)
{
    const char *tmp = g_get_tmp_dir();
    GDir *d = g_dir_open(tmp, 0, NULL);
    const char *e;

    if (!d) {
        return;
    }
    while ((e = g_dir_read_name(d))) {
        char *end = NULL;
        long pid;

        if (!g_str_has_prefix(e, "fuzz-host-fdt-")) {
            continue;
        }
        pid = strtol(e + strlen("fuzz-host-fdt-"), &end, 10);
        if (pid > 0 && end && !*end && kill((pid_t)pid, 0) < 0 && errno == ESRCH) {
            g_autofree char *path = g_build_filename(tmp, e, NULL);
            rm_rf(path);
        }
    }
    g_dir_close(d);
}

static void host_tree_make(void)
{
    g_autofree char *clk24 = NULL, *clk64 = NULL, *ctl = NULL, *zero = NULL, *many = NULL;
    g_autofree char *badcells = NULL, *norate = NULL, *two = NULL, *deep = NULL;
    const fdt64_t rate64 = cpu_to_fdt64(250000000);

    remove_stale_trees();
    host_tmp = g_strdup_printf("%s/fuzz-host-fdt-%ld", g_get_tmp_dir(), (long)getpid());
    rm_rf(host_tmp);
    if (g_mkdir(host_tmp, 0700) < 0) {
        fprintf(stderr, "fuzz-host-fdt: cannot make %s\n", host_tmp);
        abort();
    }
    host_base = g_build_filename(host_tmp, "base", NULL);
    g_free(add_node(host_tmp, "base", 0));
    clk24 = add_node(host_base, "clk24", 0x10);
    put_u32(clk24, "#clock-cells", 0);
    put_u32(clk24, "clock-frequency", 24000000);
    clk64 = add_node(host_base, "clk-wide", 0x11);
    put_prop(clk64, "clock-frequency", &rate64, sizeof(rate64));
    ctl = add_node(host_base, "clock-controller@9300000", 0x12);
    put_u32(ctl, "#clock-cells", 1);
    zero = add_node(host_base, "clk-zero", 0x13);
    put_u32(zero, "clock-frequency", 0);
    many = add_node(host_base, "clk-many", 0x14);
    put_u32(many, "#clock-cells", UINT32_MAX);
    badcells = add_node(host_base, "clk-badcells", 0x15);
    put_prop(badcells, "#clock-cells", "\0\0", 2);
    norate = add_node(host_base, "clk-norate", 0);
    put_u32(norate, "linux,phandle", 0x16);
    two = add_node(host_base, "clk-two", 0x17);
    put_u32(two, "#clock-cells", 2);
    g_free(add_node(host_base, "soc", 0));
    g_free(add_node(host_base, "soc/bus@0", 0));
    deep = add_node(host_base, "soc/bus@0/clk-deep", 0x18);
    put_u32(deep, "clock-frequency", 1000);
}

static void host_tree_remove(void)
{
    rm_rf(host_tmp);
    g_free(host_tmp);
    g_free(host_base);
}

/* ---- the guest tree ---- */

static int cells_of(unsigned mode)
{
    switch (mode) {
    case 0: return -1; /* absent */
    case 1: return 1;
    case 2: return 2;
    case 3: return 3;
    case 4: return -2; /* a two-cell property */
    default: return 2;
    }
}

static void set_cells(void *fdt, const char *name, int cells)
{
    if (cells == -2) {
        fdt32_t two[2] = { cpu_to_fdt32(2), cpu_to_fdt32(2) };
        FUZZ_CHECK(fdt_setprop(fdt, 0, name, two, sizeof(two)) == 0);
    } else if (cells >= 0) {
        FUZZ_CHECK(fdt_setprop_u32(fdt, 0, name, (uint32_t)cells) == 0);
    }
}

static void *guest_new(uint8_t mode, size_t size)
{
    void *fdt = g_malloc0(size);
    int node;

    FUZZ_CHECK(fdt_create_empty_tree(fdt, (int)size) == 0);
    set_cells(fdt, "#address-cells", cells_of(mode & 7));
    set_cells(fdt, "#size-cells", cells_of((mode >> 3) & 7));
    node = fdt_add_subnode(fdt, 0, "intc@8000000");
    FUZZ_CHECK(node >= 0);
    FUZZ_CHECK(fdt_setprop_u32(fdt, node, "phandle", GUEST_PHANDLE_GIC) == 0);
    node = fdt_add_subnode(fdt, 0, "apb-pclk");
    FUZZ_CHECK(node >= 0);
    FUZZ_CHECK(fdt_setprop_u32(fdt, node, "phandle", GUEST_PHANDLE_APB_PCLK) == 0);
    return fdt;
}

/* A one-cell property of node, or dflt when it is absent or not one cell. */
static uint32_t node_u32(const void *fdt, int node, const char *name, uint32_t dflt)
{
    int len;
    const fdt32_t *v = fdt_getprop(fdt, node, name, &len);

    return v && len == 4 ? fdt32_to_cpu(*v) : dflt;
}

/* Every phandle in the tree names one node (a node may carry the same value as phandle and
 * as linux,phandle), and none is 0 or 0xffffffff. */
static void check_phandles_unique(const void *fdt)
{
    GHashTable *seen = g_hash_table_new(NULL, NULL);
    int node;

    for (node = 0; node >= 0; node = fdt_next_node(fdt, node, NULL)) {
        uint32_t mine = 0;

        for (unsigned i = 0; i < 2; i++) {
            int len;
            const fdt32_t *v = fdt_getprop(fdt, node, i ? "linux,phandle" : "phandle", &len);
            uint32_t ph;

            if (!v || len != 4) {
                continue;
            }
            ph = fdt32_to_cpu(*v);
            FUZZ_CHECK(ph != 0 && ph != UINT32_MAX);
            if (ph == mine) {
                continue;
            }
            FUZZ_CHECK(!g_hash_table_contains(seen, GUINT_TO_POINTER(ph)));
            g_hash_table_add(seen, GUINT_TO_POINTER(ph));
            mine = ph;
        }
    }
    g_hash_table_destroy(seen);
}

/* The checks on a successful sysbus_fdt_add_node(). */
static void check_added(const void *fdt, const SysbusFdtSpec *spec, uint32_t next_phandle)
{
    int node = fdt_first_subnode(fdt, 0); /* fdt_add_subnode puts a new node first */
    unsigned cells = node_u32(fdt, 0, "#address-cells", 2) + node_u32(fdt, 0, "#size-cells", 1);
    const char *compat;
    const fdt32_t *clocks;
    int len, count;

    FUZZ_CHECK(node >= 0);
    count = fdt_stringlist_count(fdt, node, "compatible");
    FUZZ_CHECK(count > 0);
    compat = fdt_getprop(fdt, node, "compatible", &len);
    if (spec->amba) {
        FUZZ_CHECK(fdt_stringlist_contains(compat, len, "arm,primecell"));
    }
    if (spec->nr_regs) {
        FUZZ_CHECK(fdt_getprop(fdt, node, "reg", &len) && len == (int)(spec->nr_regs * cells * 4));
    }
    if (spec->nr_irqs) {
        FUZZ_CHECK(fdt_getprop(fdt, node, "interrupts", &len) && len == (int)(spec->nr_irqs * 12));
    }
    FUZZ_CHECK(!fdt_getprop(fdt, node, "interrupts-extended", NULL));
    FUZZ_CHECK(!fdt_getprop(fdt, node, HOST_NODE_NAME_PROP, NULL));
    if (spec->user_node) {
        return;
    }
    FUZZ_CHECK(!fdt_getprop(fdt, node, "phandle", NULL));
    FUZZ_CHECK(fdt_first_subnode(fdt, node) < 0);
    clocks = fdt_getprop(fdt, node, "clocks", &len);
    for (int i = 0; clocks && i < len / 4; i++) {
        uint32_t ph = fdt32_to_cpu(clocks[i]);
        int clk = fdt_node_offset_by_phandle(fdt, ph);

        FUZZ_CHECK(clk >= 0);
        FUZZ_CHECK(ph == GUEST_PHANDLE_APB_PCLK || ph < next_phandle);
        if (ph != GUEST_PHANDLE_APB_PCLK) {
            int rate_len;

            FUZZ_CHECK(node_u32(fdt, clk, "#clock-cells", 1) == 0);
            FUZZ_CHECK(fdt_getprop(fdt, clk, "clock-frequency", &rate_len) && rate_len == 4);
        }
    }
}

static void add(const void *host, const uint8_t *ctl)
{
    static const char *const override[] = { "acme,fuzz", "arm,pl031", NULL };
    const bool small = ctl[1] & 0x80;
    const size_t guest_size = small ? 4096 : 128 * 1024;
    void *fdt = guest_new(ctl[1], guest_size);
    GPtrArray *dropped = g_ptr_array_new_with_free_func(g_free);
    SysbusFdtReg regs[3];
    SysbusFdtIrq irqs[3];
    MachineState ms;
    GError *err = NULL;
    bool ok;

    for (unsigned i = 0; i < 3; i++) {
        regs[i].base = (ctl[2] & 0x10 ? UINT64_C(0x100000000) : 0) + 0xc000000 + i * 0x1000;
        regs[i].size = ctl[2] & 0x20 ? UINT64_C(0x100000000) : 0x1000;
        irqs[i].spi = ctl[3] + i;
        irqs[i].edge = ctl[0] & 0x40;
    }
    memset(&ms, 0, sizeof(ms));
    ms.gic_phandle = ctl[1] & 0x40 ? 0 : GUEST_PHANDLE_GIC;
    ms.apb_pclk_phandle = ctl[0] & 0x80 ? 0 : GUEST_PHANDLE_APB_PCLK;
    ms.next_phandle = GUEST_PHANDLE_FIRST_FREE;

    SysbusFdtSpec spec = {
        .host_fdt = host,
        .name = "fuzz.dev",
        .regs = regs,
        .nr_regs = ctl[2] & 3,
        .irqs = irqs,
        .nr_irqs = (ctl[2] >> 2) & 3,
        .compatible = ctl[0] & 0x10 ? override : NULL,
        .amba = ctl[0] & 1,
        .user_node = ctl[0] & 2,
        .clock_rate = ctl[0] & 4 ? 24000000 : 0,
        .dt_base_dir = ctl[0] & 0x20 ? NULL : host_base,
        .periphid = 0x00041000 | ctl[3],
        .has_periphid = ctl[0] & 8,
        .dropped = dropped,
    };

    ok = sysbus_fdt_add_node(fdt, &ms, &spec, &err);
    fuzz_note("sysbus_fdt_add_node", err);
    FUZZ_CHECK(ok == (err == NULL));
    /* whatever happened, the guest tree is still a valid blob */
    FUZZ_CHECK(fdt_check_full(fdt, guest_size) == 0);
    FUZZ_CHECK(ms.next_phandle >= GUEST_PHANDLE_FIRST_FREE);
    if (ok) {
        check_added(fdt, &spec, ms.next_phandle);
        check_phandles_unique(fdt);
        /* the next device can still be given a phandle */
        FUZZ_CHECK(ms.next_phandle != 0 && ms.next_phandle != UINT32_MAX);
        for (guint i = 0; i < dropped->len; i++) {
            FUZZ_CHECK(*(const char *)g_ptr_array_index(dropped, i));
        }
    } else {
        FUZZ_CHECK(g_str_has_prefix(err->message, "fuzz.dev: "));
        FUZZ_CHECK(dropped->len == 0);
        g_error_free(err);
    }
    g_ptr_array_unref(dropped);
    g_free(fdt);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_glib_init();
    host_tree_make();
    atexit(host_tree_remove);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *ctl = data;
    void *raw, *host;
    GError *err = NULL;

    if (size < 4) {
        return 0;
    }
    /* an exact-size, 8-byte aligned copy: libfdt wants the alignment, ASan sees over-reads */
    size -= 4;
    raw = g_malloc(size ? size : 1);
    memcpy(raw, data + 4, size);

    host = host_node_load_blob(raw, size, "fuzz.dtb", &err);
    fuzz_note("host_node_load_blob", err);
    FUZZ_CHECK((host != NULL) == (err == NULL));
    if (host) {
        FUZZ_CHECK(fdt_check_full(host, fdt_totalsize(host)) == 0);
        add(host, ctl);
        g_free(host);
    } else {
        FUZZ_CHECK(g_str_has_prefix(err->message, "fuzz.dtb: "));
        g_error_free(err);
    }
    /* The raw blob, when its header holds together within the input: sysbus_fdt_add_node()
     * checks the rest itself (its contract: totalsize bytes are there). */
    if ((ctl[2] & 0x40) && size >= sizeof(struct fdt_header) && fdt_check_header(raw) == 0 &&
        fdt_totalsize(raw) <= size) {
        add(raw, ctl);
    }
    g_free(raw);
    return 0;
}
