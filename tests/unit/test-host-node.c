// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests: host device-tree node import (sysfs, .dtb, .dts), untrusted blobs, clock rates. */
#include "hw/vfio/host-node.h"
#include "hw/arm/virt.h"
#include "hw/core/fdt.h"
#include "hw/vfio/sysbus-fdt.h"
#include "host-fixture.h"

#include <libfdt.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


static void test_load_sysfs(void)
{
    g_autoptr(Host) h = host_new();
    g_autofree void *blob = NULL;
    g_autofree void *eth = NULL;
    int len, mdio;
    const char *s;

    if (!h) {
        return;
    }
    blob = host_load(h, "pl031@9010000");
    g_assert_cmpint(fdt_check_full(blob, fdt_totalsize(blob)), ==, 0);
    s = fdt_getprop(blob, 0, HOST_NODE_NAME_PROP, NULL);
    g_assert_cmpstr(s, ==, "pl031@9010000");
    g_assert_null(fdt_getprop(blob, 0, "name", NULL)); /* the "name" file is skipped */
    s = fdt_getprop(blob, 0, "compatible", &len);
    g_assert_cmpint(len, ==, sizeof("arm,pl031\0arm,primecell"));
    g_assert_cmpmem(s, len, "arm,pl031\0arm,primecell", len);
    g_assert_cmpuint(fdt32_to_cpu(((const fdt32_t *)fdt_getprop(blob, 0, "reg", &len))[1]),
                     ==, 0x9010000);
    g_assert_cmpint(len, ==, 16);
    g_assert_cmpint(fdt_first_subnode(blob, 0), ==, -FDT_ERR_NOTFOUND);

    /* children come along (the generator drops them, dt-node keeps them) */
    eth = host_load(h, "ethernet@9200000");
    mdio = fdt_subnode_offset(eth, 0, "mdio");
    g_assert_cmpint(mdio, >=, 0);
    g_assert_cmpint(fdt_subnode_offset(eth, mdio, "ethernet-phy@1"), >=, 0);
    g_assert_null(fdt_getprop(eth, mdio, "name", NULL));
    g_assert_nonnull(fdt_getprop(eth, 0, "pinctrl-0", NULL));
}

/* The of_node link of a device: a symlink into the tree, followed; its target names it. */
static void test_load_sysfs_symlink(void)
{
    g_autoptr(Host) h = host_new();
    g_autofree char *target = NULL;
    g_autofree char *link = NULL;
    g_autofree void *blob = NULL;
    g_autoptr(GError) err = NULL;

    if (!h) {
        return;
    }
    target = host_dir(h, "pl031@9010000");
    link = g_build_filename(h->tmp, "of_node", NULL);
    g_assert_cmpint(symlink(target, link), ==, 0);
    blob = host_node_load_sysfs(link, &err);
    g_assert_no_error(err);
    g_assert_cmpstr(fdt_getprop(blob, 0, HOST_NODE_NAME_PROP, NULL), ==, "pl031@9010000");
}

static void test_load_sysfs_errors(void)
{
    g_autoptr(Host) h = host_new();
    g_autoptr(GError) err = NULL;
    g_autofree char *dir = NULL;
    g_autofree char *path = NULL;
    g_autofree char *big = NULL;
    void *blob;

    if (!h) {
        return;
    }
    /* a device without a device-tree node */
    dir = g_build_filename(h->tmp, "no-of-node", NULL);
    g_assert_null(host_node_load_sysfs(dir, &err));
    g_assert_nonnull(strstr(err->message, "no device-tree node"));
    g_assert_nonnull(strstr(err->message, "dt-node=FILE"));
    g_assert_nonnull(strstr(err->message, dir));
    g_clear_error(&err);
    g_free(dir);

    /* a symlink loop: a child folder that is its ancestor */
    dir = host_dir(h, "rtc@9011000");
    path = g_build_filename(dir, "loop", NULL);
    g_assert_cmpint(symlink("..", path), ==, 0);
    g_assert_null(host_node_load_sysfs(dir, &err));
    g_assert_nonnull(strstr(err->message, "symlink loop"));
    g_clear_error(&err);
    g_assert_cmpint(unlink(path), ==, 0);
    g_free(path);

    /* nesting: 8 levels are fine, 9 are not */
    path = g_strdup(dir);
    for (unsigned i = 1; i <= 8; i++) {
        char *next = g_strdup_printf("%s/n%u", path, i);
        g_free(path);
        path = next;
    }
    g_assert_cmpint(g_mkdir_with_parents(path, 0755), ==, 0);
    blob = host_node_load_sysfs(dir, &err);
    g_assert_no_error(err);
    g_free(blob);
    {
        g_autofree char *deeper = g_build_filename(path, "n9", NULL);
        g_assert_cmpint(g_mkdir_with_parents(deeper, 0755), ==, 0);
    }
    g_assert_null(host_node_load_sysfs(dir, &err));
    g_assert_nonnull(strstr(err->message, "deeper than 8"));
    g_clear_error(&err);
    {
        g_autofree char *n1 = g_build_filename(dir, "n1", NULL);
        rm_rf(n1);
    }
    g_free(path);

    /* more than 1 MiB of properties */
    path = g_build_filename(dir, "big", NULL);
    big = g_malloc0(HOST_NODE_MAX_SIZE / 2 + 1);
    write_file(path, big, HOST_NODE_MAX_SIZE / 2 + 1);
    blob = host_node_load_sysfs(dir, &err); /* half is fine */
    g_assert_no_error(err);
    g_free(blob);
    g_free(path);
    path = g_build_filename(dir, "big2", NULL);
    write_file(path, big, HOST_NODE_MAX_SIZE / 2 + 1);
    g_assert_null(host_node_load_sysfs(dir, &err));
    g_assert_nonnull(strstr(err->message, "larger than 1048576 bytes"));
    g_clear_error(&err);
    g_assert_cmpint(unlink(path), ==, 0);
    g_free(path);
    path = g_build_filename(dir, "big", NULL);
    g_assert_cmpint(unlink(path), ==, 0);
    g_free(path);

    /* neither file nor folder */
    path = g_build_filename(dir, "fifo", NULL);
    g_assert_cmpint(mkfifo(path, 0600), ==, 0);
    g_assert_null(host_node_load_sysfs(dir, &err));
    g_assert_nonnull(strstr(err->message, "neither a property file nor a node folder"));
}

/* Found by fuzz-host-node: a folder or file whose name holds a control character (a newline
 * from a firmware's node name, or a folder a user names with sysfsdev=) made an error
 * message of several lines, where armpass promises one. Control characters are shown
 * escaped ("\n", "\t", "\x01"). */
static void test_load_sysfs_control_chars(void)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *tmp = g_dir_make_tmp("test-host-node-XXXXXX", &err);
    g_autofree char *node = g_build_filename(tmp, "rtc\n@1", NULL);
    g_autofree char *compat = g_build_filename(node, "compatible", NULL);
    g_autofree char *fifo = g_build_filename(node, "pi\tpe\x01", NULL);
    g_autofree char *missing = g_build_filename(tmp, "no\nsuch.dtb", NULL);

    g_assert_no_error(err);
    g_assert_cmpint(mkdir(node, 0755), ==, 0);
    write_file(compat, "a", 2);
    g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
    g_assert_null(host_node_load_sysfs(node, &err));
    g_assert_null(strchr(err->message, '\n'));
    g_assert_null(strchr(err->message, '\t'));
    g_assert_nonnull(strstr(err->message, "rtc\\n@1/pi\\tpe\\x01: neither a property file"));
    g_clear_error(&err);
    g_assert_null(host_node_load_file(missing, &err));
    g_assert_null(strchr(err->message, '\n'));
    g_assert_nonnull(strstr(err->message, "no\\nsuch.dtb"));
    g_clear_error(&err);
    rm_rf(tmp);
}

/* ---- host_node_load_file ---- */

static void test_load_file(void)
{
    g_autofree char *dts = fixture_path("user-rtc.dts");
    g_autofree char *dtb = fixture_path("user-rtc.dtb");
    g_autofree char *root_dts = fixture_path("user-root.dts");
    g_autofree void *a = NULL, *b = NULL, *c = NULL;
    g_autoptr(GError) err = NULL;

    if (!dts || !dtb || !root_dts) {
        return;
    }
    /* the root's only child is the device node, compiled from source or taken as a .dtb */
    a = host_node_load_file(dts, &err);
    g_assert_no_error(err);
    b = host_node_load_file(dtb, &err);
    g_assert_no_error(err);
    g_assert_cmpint(fdt_totalsize(a), ==, fdt_totalsize(b));
    g_assert_cmpmem(a, fdt_totalsize(a), b, fdt_totalsize(b));
    g_assert_cmpint(fdt_check_full(a, fdt_totalsize(a)), ==, 0);
    g_assert_cmpstr(fdt_getprop(a, 0, HOST_NODE_NAME_PROP, NULL), ==, "rtc@0");
    g_assert_cmpstr(fdt_getprop(a, 0, "acme,custom", NULL), ==, "kept");
    g_assert_cmpint(fdt_subnode_offset(a, 0, "child"), >=, 0);

    /* the root itself when it has compatible: no name recorded */
    c = host_node_load_file(root_dts, &err);
    g_assert_no_error(err);
    g_assert_cmpstr(fdt_getprop(c, 0, "compatible", NULL), ==, "acme,widget");
    g_assert_null(fdt_getprop(c, 0, HOST_NODE_NAME_PROP, NULL));
}

static void test_load_file_errors(void)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *tmp = g_dir_make_tmp("test-sysbus-fdt-XXXXXX", &err);
    g_autofree char *bad = g_build_filename(tmp, "bad.dts", NULL);
    g_autofree char *two = g_build_filename(tmp, "two.dts", NULL);
    g_autofree char *missing = g_build_filename(tmp, "missing.dts", NULL);
    g_autofree char *empty_bin = g_build_filename(tmp, "bin", NULL);
    g_autofree char *old_path = g_strdup(g_getenv("PATH"));
    g_autofree char *dtc = g_find_program_in_path("dtc");
    static const char bad_src[] = "/dts-v1/;\n/ { rtc { compatible = \"a\" }; };\n";
    static const char two_src[] = "/dts-v1/;\n/ { a { compatible = \"x\"; }; b { }; };\n";
    static const uint8_t truncated_dtb[] = { 0xd0, 0x0d, 0xfe, 0xed, 0, 0, 0x10, 0 };

    g_assert_no_error(err);
    if (!dtc) {
        g_test_skip("dtc is not installed");
        rm_rf(tmp);
        return;
    }
    g_assert_null(host_node_load_file(missing, &err));
    g_assert_nonnull(strstr(err->message, missing));
    g_clear_error(&err);

    write_file(bad, bad_src, sizeof(bad_src) - 1);
    g_assert_null(host_node_load_file(bad, &err));
    g_assert_nonnull(strstr(err->message, "dtc failed"));
    g_assert_nonnull(strstr(err->message, "syntax error"));
    g_assert_null(strchr(err->message, '\n'));
    g_clear_error(&err);

    write_file(two, two_src, sizeof(two_src) - 1);
    g_assert_null(host_node_load_file(two, &err));
    g_assert_nonnull(strstr(err->message, "no device node"));
    g_assert_nonnull(strstr(err->message, "2 child nodes"));
    g_clear_error(&err);

    /* a .dtb is recognised by its magic, and must be whole */
    write_file(bad, truncated_dtb, sizeof(truncated_dtb));
    g_assert_null(host_node_load_file(bad, &err));
    g_assert_nonnull(strstr(err->message, "not a valid device tree blob"));
    g_clear_error(&err);

    /* dtc missing */
    write_file(two, two_src, sizeof(two_src) - 1);
    g_assert_cmpint(g_mkdir_with_parents(empty_bin, 0755), ==, 0);
    g_setenv("PATH", empty_bin, TRUE);
    g_assert_null(host_node_load_file(two, &err));
    g_setenv("PATH", old_path, TRUE);
    g_assert_nonnull(strstr(err->message, "install device-tree-compiler"));
    g_clear_error(&err);
    rm_rf(tmp);
}

/* A blob built in memory: the root holds one device node "rtc@0" (or is the device itself
 * when root_is_device), with a property and a child. */
static void *make_node_blob(bool root_is_device)
{
    void *fdt = g_malloc0(4096);
    int node = 0;

    g_assert_cmpint(fdt_create_empty_tree(fdt, 4096), ==, 0);
    if (!root_is_device) {
        node = fdt_add_subnode(fdt, 0, "rtc@0");
        g_assert_cmpint(node, >=, 0);
    }
    g_assert_cmpint(fdt_setprop_string(fdt, node, "compatible", "arm,pl031"), ==, 0);
    g_assert_cmpint(fdt_setprop_u32(fdt, node, "acme,cell", 7), ==, 0);
    g_assert_cmpint(fdt_add_subnode(fdt, node, "child"), >=, 0);
    g_assert_cmpint(fdt_pack(fdt), ==, 0);
    return fdt;
}

/* host_node_load_blob: the in-memory .dtb entry point host_node_load_file and the fuzzer use. */
static void test_load_blob(void)
{
    g_autoptr(GError) err = NULL;
    g_autofree void *child = make_node_blob(false);
    g_autofree void *root = make_node_blob(true);
    g_autofree void *a = NULL, *b = NULL, *big = NULL;
    g_autofree char *dtb = NULL;
    size_t len = fdt_totalsize(child);

    a = host_node_load_blob(child, len, "mem.dtb", &err);
    g_assert_no_error(err);
    g_assert_cmpint(fdt_check_full(a, fdt_totalsize(a)), ==, 0);
    g_assert_cmpstr(fdt_getprop(a, 0, HOST_NODE_NAME_PROP, NULL), ==, "rtc@0");
    g_assert_cmpstr(fdt_getprop(a, 0, "compatible", NULL), ==, "arm,pl031");
    g_assert_cmpint(fdt_subnode_offset(a, 0, "child"), >=, 0);

    b = host_node_load_blob(root, fdt_totalsize(root), "mem.dtb", &err);
    g_assert_no_error(err);
    g_assert_null(fdt_getprop(b, 0, HOST_NODE_NAME_PROP, NULL));
    g_assert_cmpstr(fdt_getprop(b, 0, "compatible", NULL), ==, "arm,pl031");

    /* a header claiming more bytes than given: refused, never read past len */
    g_assert_null(host_node_load_blob(child, len - 1, "mem.dtb", &err));
    g_assert_error(err, ARMPASS_FDT_ERROR, FDT_ERR_TRUNCATED);
    g_assert_nonnull(strstr(err->message, "mem.dtb: not a valid device tree blob"));
    g_clear_error(&err);
    g_assert_null(host_node_load_blob(child, 0, "mem.dtb", &err));
    g_assert_nonnull(err);
    g_clear_error(&err);

    /* more than HOST_NODE_MAX_SIZE */
    big = g_malloc0(HOST_NODE_MAX_SIZE + 8);
    memcpy(big, child, len);
    g_assert_null(host_node_load_blob(big, HOST_NODE_MAX_SIZE + 8, "big.dtb", &err));
    g_assert_nonnull(strstr(err->message, "big.dtb: larger than"));
    g_clear_error(&err);

    /* the same bytes as a file give the same blob */
    if (g_getenv("SYSBUS_FDT_DTB_DIR")) {
        g_autofree char *data = NULL;
        g_autofree void *from_file = NULL, *from_mem = NULL;
        size_t dlen;

        dtb = fixture_path("user-rtc.dtb");
        g_assert_true(g_file_get_contents(dtb, &data, &dlen, &err));
        from_file = host_node_load_file(dtb, &err);
        g_assert_no_error(err);
        from_mem = host_node_load_blob(data, dlen, dtb, &err);
        g_assert_no_error(err);
        g_assert_cmpmem(from_file, fdt_totalsize(from_file), from_mem,
                        fdt_totalsize(from_mem));
    }
}

/*
 * Found by fuzz-host-fdt: a blob whose header says version 2-15 (pre-2008 dtc) crashed
 * fdt_check_full() of libfdt 1.6.1 (a NULL node name dereferenced). It is refused instead,
 * by the import and by sysbus_fdt_add_node() when handed one directly.
 */
static void test_load_blob_old_version(void)
{
    g_autofree void *blob = make_node_blob(false);
    g_autoptr(GError) err = NULL;
    const SysbusFdtReg regs[] = { { 0xc000000, 0x1000 } };
    MachineState ms = { .gic_phandle = VIRT_PHANDLE_GIC, .next_phandle = 4 };
    g_autofree void *fdt = g_malloc0(GUEST_FDT_SIZE);

    for (uint32_t v = 2; v < 16; v++) {
        fdt_set_version(blob, v);
        fdt_set_last_comp_version(blob, v);
        g_assert_null(host_node_load_blob(blob, fdt_totalsize(blob), "old.dtb", &err));
        g_assert_error(err, ARMPASS_FDT_ERROR, FDT_ERR_BADVERSION);
        g_assert_nonnull(strstr(err->message, "old.dtb: "));
        g_clear_error(&err);
    }
    g_assert_cmpint(fdt_create_empty_tree(fdt, GUEST_FDT_SIZE), ==, 0);
    SysbusFdtSpec spec = { .host_fdt = blob, .name = "old", .regs = regs, .nr_regs = 1 };
    g_assert_false(sysbus_fdt_add_node(fdt, &ms, &spec, &err));
    g_assert_error(err, ARMPASS_FDT_ERROR, FDT_ERR_BADVERSION);
    g_clear_error(&err);
    /* version 16 (and 17, what dtc writes) still loads */
    fdt_set_version(blob, 16);
    fdt_set_last_comp_version(blob, 16);
    g_free(host_node_load_blob(blob, fdt_totalsize(blob), "v16.dtb", &err));
    g_assert_no_error(err);
}

/*
 * Found by fuzz-host-fdt: a property whose length field is 0xffffffff (-1 as libfdt's int).
 * libfdt 1.6.1 steps over it to offset + 8 + 0xffffffff, which wraps to just past the name
 * offset, so fdt_check_full() accepts the tree (the value's first word, here FDT_NOP, is
 * read as the next tag) and fdt_getprop() hands out the value with length -1, which the
 * import passed to fdt_property(): a memcpy of SIZE_MAX bytes. Refused instead, at import
 * and in sysbus_fdt_add_node().
 */
static void test_load_blob_negative_length(void)
{
    g_autofree void *blob = make_node_blob(true);
    g_autoptr(GError) err = NULL;
    struct fdt_property *prop;
    const fdt32_t nop = cpu_to_fdt32(FDT_NOP);
    const SysbusFdtReg regs[] = { { 0xc000000, 0x1000 } };
    MachineState ms = { .gic_phandle = VIRT_PHANDLE_GIC, .next_phandle = 4 };
    g_autofree void *fdt = g_malloc0(GUEST_FDT_SIZE);
    int len;

    /* the blob is packed: give it room for one more property first */
    g_assert_cmpint(fdt_open_into(blob, blob, 4096), ==, 0);
    g_assert_cmpint(fdt_setprop(blob, 0, "acme,bad", &nop, sizeof(nop)), ==, 0);
    prop = fdt_get_property_w(blob, 0, "acme,bad", NULL);
    g_assert_nonnull(prop);
    prop->len = cpu_to_fdt32(UINT32_MAX);
    g_assert_cmpint(fdt_check_full(blob, fdt_totalsize(blob)), ==, 0); /* libfdt is fooled */
    g_assert_nonnull(fdt_getprop(blob, 0, "acme,bad", &len));
    g_assert_cmpint(len, ==, -1);

    g_assert_null(host_node_load_blob(blob, fdt_totalsize(blob), "neg.dtb", &err));
    g_assert_error(err, ARMPASS_FDT_ERROR, FDT_ERR_BADSTRUCTURE);
    g_assert_nonnull(strstr(err->message, "neg.dtb: not a valid device tree blob"));
    g_clear_error(&err);

    g_assert_cmpint(fdt_create_empty_tree(fdt, GUEST_FDT_SIZE), ==, 0);
    SysbusFdtSpec spec = { .host_fdt = blob, .name = "neg", .regs = regs, .nr_regs = 1 };
    g_assert_false(sysbus_fdt_add_node(fdt, &ms, &spec, &err));
    g_assert_error(err, ARMPASS_FDT_ERROR, FDT_ERR_BADSTRUCTURE);
}

/* ---- host_dt_clock_rate ---- */

/* A root-node blob holding one extra property (name, value len bytes; NULL: none) and
 * compatible. */
static void *dma_blob(const char *compatible, const char *name, const void *value, int len)
{
    void *fdt = g_malloc0(4096);

    g_assert_cmpint(fdt_create(fdt, 4096), ==, 0);
    g_assert_cmpint(fdt_finish_reservemap(fdt), ==, 0);
    g_assert_cmpint(fdt_begin_node(fdt, ""), ==, 0);
    g_assert_cmpint(fdt_property_string(fdt, "compatible", compatible), ==, 0);
    if (name) {
        g_assert_cmpint(fdt_property(fdt, name, value, len), ==, 0);
    }
    g_assert_cmpint(fdt_end_node(fdt), ==, 0);
    g_assert_cmpint(fdt_finish(fdt), ==, 0);
    return fdt;
}

/* Which host nodes say their device does DMA (a no-IOMMU one then needs direct-map=on). */
static void test_dma_reason(void)
{
    const guint32 one = GUINT32_TO_BE(1);
    static const struct {
        const char *compatible, *prop;
        int len;
        const char *want;
    } t[] = {
        { "arm,pl031", NULL, 0, NULL },
        { "arm,pl031", "clock-names", 4, NULL },
        { "qemu,fw-cfg-mmio", "dma-coherent", 0, "dma-coherent" },
        { "arm,pl330", "#dma-cells", 4, "#dma-cells" },
        { "snps,dwmac", "dmas", 4, "dmas" },
        { "vendor,bus", "dma-ranges", 0, "dma-ranges" },
        { "virtio,mmio", NULL, 0, "compatible virtio,mmio" },
    };

    g_assert_null(host_node_dma_reason(NULL));
    for (unsigned i = 0; i < G_N_ELEMENTS(t); i++) {
        g_autofree void *fdt = dma_blob(t[i].compatible, t[i].prop, &one, t[i].len);
        const char *got = host_node_dma_reason(fdt);

        if (!t[i].want) {
            g_assert_null(got);
        } else {
            g_assert_nonnull(got);
            g_assert_true(g_str_has_prefix(got, t[i].want));
        }
    }
}

static void test_clock_rate(void)
{
    g_autoptr(Host) h = host_new();
    g_autoptr(GError) err = NULL;
    g_autofree char *missing = NULL;
    uint32_t hz = 0;

    if (!h) {
        return;
    }
    g_assert_true(host_dt_clock_rate(h->base, 0x8000, &hz, &err));
    g_assert_no_error(err);
    g_assert_cmpuint(hz, ==, 24000000);
    g_assert_true(host_dt_clock_rate(h->base, 0x8101, &hz, &err)); /* 64-bit */
    g_assert_cmpuint(hz, ==, 250000000);

    g_assert_false(host_dt_clock_rate(h->base, 0x8102, &hz, &err)); /* fixed-factor */
    g_assert_nonnull(strstr(err->message, "no clock-frequency"));
    g_assert_nonnull(strstr(err->message, "clock-rate="));
    g_clear_error(&err);
    g_assert_false(host_dt_clock_rate(h->base, 0x1234, &hz, &err));
    g_assert_nonnull(strstr(err->message, "no node with phandle 0x1234"));
    g_assert_nonnull(strstr(err->message, "clock-rate="));
    g_clear_error(&err);
    missing = g_build_filename(h->tmp, "nothing", NULL);
    g_assert_false(host_dt_clock_rate(missing, 0x8000, &hz, &err));
    g_assert_nonnull(strstr(err->message, "no such folder"));
    g_clear_error(&err);

    /* hostile: a 5-byte clock-frequency, a 0 Hz one */
    {
        g_autofree char *f = g_build_filename(h->base, "apb-pclk", "clock-frequency", NULL);
        write_file(f, "\0\0\0\0\1", 5);
        g_assert_false(host_dt_clock_rate(h->base, 0x8000, &hz, &err));
        g_assert_nonnull(strstr(err->message, "5 bytes"));
        g_clear_error(&err);
        write_file(f, "\0\0\0\0", 4);
        g_assert_false(host_dt_clock_rate(h->base, 0x8000, &hz, &err));
        g_assert_nonnull(strstr(err->message, "out of range"));
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/host-node/load-sysfs", test_load_sysfs);
    g_test_add_func("/host-node/load-sysfs-symlink", test_load_sysfs_symlink);
    g_test_add_func("/host-node/load-sysfs-errors", test_load_sysfs_errors);
    g_test_add_func("/host-node/load-sysfs-control-chars", test_load_sysfs_control_chars);
    g_test_add_func("/host-node/load-file", test_load_file);
    g_test_add_func("/host-node/load-file-errors", test_load_file_errors);
    g_test_add_func("/host-node/load-blob", test_load_blob);
    g_test_add_func("/host-node/load-blob-old-version", test_load_blob_old_version);
    g_test_add_func("/host-node/load-blob-negative-length", test_load_blob_negative_length);
    g_test_add_func("/host-node/clock-rate", test_clock_rate);
    g_test_add_func("/host-node/dma-reason", test_dma_reason);
    return g_test_run();
}
