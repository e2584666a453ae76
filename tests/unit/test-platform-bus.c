// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests: platform-bus window placement and reserved-SPI allocation. */
#include "hw/core/platform-bus.h"

#include <string.h>

static void test_mmio_alloc(void)
{
    PlatformBus pb;
    uint64_t a, b, c;
    g_autoptr(GError) err = NULL;

    platform_bus_init(&pb, 0xc000000, 0x10000, 112, 4);
    g_assert_true(platform_bus_alloc_mmio(&pb, 0x18, 0x1000, &a, &err));
    g_assert_cmphex(a, ==, 0xc000000);
    /* a sub-page region still takes a whole page: the next starts a page on */
    g_assert_true(platform_bus_alloc_mmio(&pb, 0x1000, 0x1000, &b, &err));
    g_assert_cmphex(b, ==, 0xc001000);
    g_assert_true(platform_bus_alloc_mmio(&pb, 0x2000, 0x4000, &c, &err));
    g_assert_cmphex(c, ==, 0xc004000);
    g_assert_false(platform_bus_alloc_mmio(&pb, 0xb000, 0x1000, &a, &err));
    g_assert_nonnull(strstr(err->message, "mmio-base="));
    platform_bus_destroy(&pb);
}

static void test_spi_alloc(void)
{
    PlatformBus pb;
    unsigned s;
    g_autoptr(GError) err = NULL;

    platform_bus_init(&pb, 0xc000000, 0x10000, 112, 3);
    g_assert_true(platform_bus_reserve_spi(&pb, 113, 223, &err));
    g_assert_true(platform_bus_alloc_spi(&pb, &s, &err));
    g_assert_cmpuint(s, ==, 112);
    g_assert_true(platform_bus_alloc_spi(&pb, &s, &err));
    g_assert_cmpuint(s, ==, 114); /* 113 was taken by the user */
    g_assert_false(platform_bus_alloc_spi(&pb, &s, &err));
    g_assert_nonnull(strstr(err->message, "irq-base="));
    g_clear_error(&err);
    g_assert_false(platform_bus_reserve_spi(&pb, 112, 223, &err));
    g_assert_nonnull(strstr(err->message, "already in use"));
    g_clear_error(&err);
    g_assert_false(platform_bus_reserve_spi(&pb, 300, 223, &err));
    g_assert_nonnull(strstr(err->message, "past the last SPI"));
    platform_bus_destroy(&pb);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/platform-bus/mmio", test_mmio_alloc);
    g_test_add_func("/platform-bus/spi", test_spi_alloc);
    return g_test_run();
}
