// SPDX-License-Identifier: GPL-2.0-only
/* Host device-tree fixtures of the unit tests: host-soc.dtb written out as a sysfs folder. */
#include "host-fixture.h"

#include "hw/vfio/host-node.h"

#include <libfdt.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A fixture file: compiled .dtb (build dir) or .dts source. NULL (test skipped) without dtc. */
char *fixture_path(const char *name)
{
    bool dtb = g_str_has_suffix(name, ".dtb");
    const char *dir = g_getenv(dtb ? "SYSBUS_FDT_DTB_DIR" : "SYSBUS_FDT_DTS_DIR");

    if (!dir) {
        g_test_skip("fixtures not built (dtc missing at configure time?)");
        return NULL;
    }
    return g_build_filename(dir, name, NULL);
}

void rm_rf(const char *path)
{
    struct stat st;

    if (lstat(path, &st) < 0) {
        return;
    }
    if (S_ISDIR(st.st_mode)) {
        GDir *d = g_dir_open(path, 0, NULL);
        const char *e;
        g_assert_nonnull(d);
        while ((e = g_dir_read_name(d))) {
            g_autofree char *p = g_build_filename(path, e, NULL);
            rm_rf(p);
        }
        g_dir_close(d);
        g_assert_cmpint(rmdir(path), ==, 0);
    } else {
        g_assert_cmpint(unlink(path), ==, 0);
    }
}

void write_file(const char *path, const void *data, size_t len)
{
    g_autoptr(GError) err = NULL;
    g_assert_true(g_file_set_contents(path, data, (gssize)len, &err));
}

/* Writes fdt's node as Linux shows it in /sys/firmware/devicetree/base: one file per
 * property (raw bytes), a "name" file (node name without unit address, NUL-terminated),
 * one folder per child. */
void write_node_dir(const void *fdt, int node, const char *dir)
{
    const char *name = fdt_get_name(fdt, node, NULL);
    int prop, child;

    g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
    fdt_for_each_property_offset(prop, fdt, node) {
        const char *pname;
        int len;
        const void *val = fdt_getprop_by_offset(fdt, prop, &pname, &len);
        g_autofree char *path = g_build_filename(dir, pname, NULL);
        write_file(path, val, (size_t)len);
    }
    if (*name) {
        g_autofree char *path = g_build_filename(dir, "name", NULL);
        g_autofree char *base = g_strndup(name, strcspn(name, "@"));
        write_file(path, base, strlen(base) + 1);
    }
    fdt_for_each_subnode(child, fdt, node) {
        g_autofree char *path = g_build_filename(dir, fdt_get_name(fdt, child, NULL), NULL);
        write_node_dir(fdt, child, path);
    }
}

Host *host_new(void)
{
    g_autofree char *dtb = fixture_path("host-soc.dtb");
    g_autofree char *data = NULL;
    g_autoptr(GError) err = NULL;
    Host *h;
    size_t len;

    if (!dtb) {
        return NULL;
    }
    g_assert_true(g_file_get_contents(dtb, &data, &len, &err));
    g_assert_cmpint(fdt_check_full(data, len), ==, 0);
    h = g_new0(Host, 1);
    h->tmp = g_dir_make_tmp("test-host-fdt-XXXXXX", &err);
    g_assert_no_error(err);
    h->base = g_build_filename(h->tmp, "base", NULL);
    write_node_dir(data, 0, h->base);
    return h;
}

void host_free(Host *h)
{
    if (h) {
        rm_rf(h->tmp);
        g_free(h->tmp);
        g_free(h->base);
        g_free(h);
    }
}

char *host_dir(Host *h, const char *node)
{
    return g_build_filename(h->base, node, NULL);
}

void *host_load(Host *h, const char *node)
{
    g_autofree char *dir = host_dir(h, node);
    g_autoptr(GError) err = NULL;
    void *blob = host_node_load_sysfs(dir, &err);
    g_assert_no_error(err);
    g_assert_nonnull(blob);
    return blob;
}
