// SPDX-License-Identifier: GPL-2.0-only
/* The platform-bus window and its reserved SPIs: placement for dynamically added devices. */
#define G_LOG_DOMAIN "armpass-platform-bus"
#include "hw/core/platform-bus.h"

#include <errno.h>
#include <inttypes.h>

#define PLATFORM_BUS_ERROR platform_bus_error_quark()
static G_DEFINE_QUARK(armpass-platform-bus-error, platform_bus_error)

void platform_bus_init(PlatformBus *pb, uint64_t base, uint64_t size, unsigned spi_base,
                       unsigned spi_count)
{
    *pb = (PlatformBus){
        .base = base,
        .size = size,
        .next = base,
        .spi_base = spi_base,
        .spi_count = spi_count,
        .spis_used = g_array_new(FALSE, FALSE, sizeof(guint)),
    };
}

void platform_bus_destroy(PlatformBus *pb)
{
    if (pb->spis_used) {
        g_array_unref(pb->spis_used);
        pb->spis_used = NULL;
    }
}

bool platform_bus_alloc_mmio(PlatformBus *pb, uint64_t size, uint64_t align, uint64_t *addr,
                             GError **errp)
{
    uint64_t start;

    if (align < 0x1000) {
        align = 0x1000;
    }
    g_assert((align & (align - 1)) == 0);
    start = (pb->next + align - 1) & ~(align - 1);
    if (size == 0 || start < pb->next || start - pb->base > pb->size ||
        size > pb->size - (start - pb->base)) {
        g_set_error(errp, PLATFORM_BUS_ERROR, ENOSPC,
                    "the platform-bus window [0x%" PRIx64 ", 0x%" PRIx64 ") has no room for "
                    "0x%" PRIx64 " more bytes (place the device with mmio-base=)",
                    pb->base, pb->base + pb->size, size);
        return false;
    }
    *addr = start;
    pb->next = start + ((size + 0xfff) & ~0xfffULL);
    g_debug("MMIO [0x%" PRIx64 ", 0x%" PRIx64 ") allocated", start, start + size);
    return true;
}

static bool platform_bus_spi_used(PlatformBus *pb, unsigned spi)
{
    for (guint i = 0; i < pb->spis_used->len; i++) {
        if (g_array_index(pb->spis_used, guint, i) == spi) {
            return true;
        }
    }
    return false;
}

bool platform_bus_alloc_spi(PlatformBus *pb, unsigned *spi, GError **errp)
{
    for (unsigned s = pb->spi_base; s < pb->spi_base + pb->spi_count; s++) {
        if (!platform_bus_spi_used(pb, s)) {
            guint v = s;
            g_array_append_val(pb->spis_used, v);
            *spi = s;
            return true;
        }
    }
    g_set_error(errp, PLATFORM_BUS_ERROR, ENOSPC,
                "all %u SPIs reserved for the platform bus (%u-%u) are in use (choose one with "
                "irq-base=)", pb->spi_count, pb->spi_base, pb->spi_base + pb->spi_count - 1);
    return false;
}

bool platform_bus_reserve_spi(PlatformBus *pb, unsigned spi, unsigned max_spi, GError **errp)
{
    guint v = spi;

    if (spi > max_spi) {
        g_set_error(errp, PLATFORM_BUS_ERROR, ERANGE,
                    "SPI %u is past the last SPI the guest's GIC has (%u)", spi, max_spi);
        return false;
    }
    if (platform_bus_spi_used(pb, spi)) {
        g_set_error(errp, PLATFORM_BUS_ERROR, EBUSY, "SPI %u is already in use", spi);
        return false;
    }
    g_array_append_val(pb->spis_used, v);
    return true;
}
