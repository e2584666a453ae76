// SPDX-License-Identifier: GPL-2.0-only
/* Access quirks (hw/vfio/access-quirks.c): fw_cfg takes only the accesses its bus accepts. */
#include "hw/vfio/vfio-common.h"

#include <libfdt.h>

/* A host node blob whose root is the device, with the given compatible. */
static void *node(const char *compat)
{
    void *fdt = g_malloc0(1024);

    g_assert_cmpint(fdt_create(fdt, 1024), ==, 0);
    g_assert_cmpint(fdt_finish_reservemap(fdt), ==, 0);
    g_assert_cmpint(fdt_begin_node(fdt, ""), ==, 0);
    g_assert_cmpint(fdt_property_string(fdt, "compatible", compat), ==, 0);
    g_assert_cmpint(fdt_end_node(fdt), ==, 0);
    g_assert_cmpint(fdt_finish(fdt), ==, 0);
    return fdt;
}

static void test_fw_cfg(void)
{
    g_autofree void *fdt = node("qemu,fw-cfg-mmio");
    unsigned n;
    const VfioAccessRule *r = vfio_access_quirk(fdt, 0, &n);

    g_assert_nonnull(r);
    g_assert_cmpuint(n, >, 0);
    /* data register: 1, 2 or 4 bytes, only at offset 0 */
    for (unsigned s = 1; s <= 4; s <<= 1) {
        g_assert_true(vfio_access_allowed(r, n, 0, s, false));
    }
    /* not 8 bytes: vfio-platform would split it, and its second half, at 4, oopsed L1 */
    g_assert_false(vfio_access_allowed(r, n, 0, 8, false));
    g_assert_false(vfio_access_allowed(r, n, 1, 1, false)); /* the access that oopsed L1 */
    g_assert_false(vfio_access_allowed(r, n, 4, 4, false));
    /* selector: 16-bit writes only (the 2-byte read at 8 oopsed L1 too) */
    g_assert_true(vfio_access_allowed(r, n, 8, 2, true));
    g_assert_false(vfio_access_allowed(r, n, 8, 2, false));
    g_assert_false(vfio_access_allowed(r, n, 8, 1, true));
    g_assert_false(vfio_access_allowed(r, n, 8, 4, false));
    g_assert_false(vfio_access_allowed(r, n, 9, 1, false));
    /* DMA address: 32 or 64-bit, naturally aligned */
    g_assert_true(vfio_access_allowed(r, n, 16, 8, false));
    g_assert_true(vfio_access_allowed(r, n, 16, 8, true));
    g_assert_true(vfio_access_allowed(r, n, 20, 4, false));
    g_assert_false(vfio_access_allowed(r, n, 18, 4, false));
    g_assert_false(vfio_access_allowed(r, n, 16, 2, false));
    /* past the windows */
    g_assert_false(vfio_access_allowed(r, n, 24, 1, false));
    g_assert_false(vfio_access_allowed(r, n, UINT64_MAX - 1, 8, false));
    /* other regions of the device have no rules */
    g_assert_null(vfio_access_quirk(fdt, 1, &n));
}

static void test_no_quirk(void)
{
    g_autofree void *fdt = node("arm,pl031");
    unsigned n = 7;

    g_assert_null(vfio_access_quirk(fdt, 0, &n));
    g_assert_cmpuint(n, ==, 0);
    g_assert_null(vfio_access_quirk(NULL, 0, &n));
    g_assert_true(vfio_access_allowed(NULL, 0, 3, 1, false)); /* no rules: everything in bounds */
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vfio-quirks/fw-cfg", test_fw_cfg);
    g_test_add_func("/vfio-quirks/none", test_no_quirk);
    return g_test_run();
}
